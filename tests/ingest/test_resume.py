"""Runs that die halfway resume without duplicates; a Neo4j restart mid-run is survived."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from scalpernet.config import get_settings
from scalpernet.graph import Graph
from scalpernet.ingest.pipeline import IngestError, ingest_paths
from scalpernet.ingest.runs import recent_runs
from scalpernet.localserver import LocalServer
from tests.ingest.exports import write_export


def _registrations(graph: Graph) -> tuple[int, int]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (r:Registration) RETURN count(r) AS n, count(DISTINCT r.key) AS keys",
        database_=graph.database)
    return records[0]["n"], records[0]["keys"]


def _wait_for(predicate: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.1)


def test_a_killed_run_resumes_without_duplicates(empty_graph: Graph, tmp_path: Path) -> None:
    export = tmp_path / "big.csv"
    write_export(export, 20_000, bad=5)
    proc = subprocess.Popen([sys.executable, "-m", "scalpernet", "ingest", "--batch-size", "1000",
                             str(export)], env=os.environ.copy())
    try:
        _wait_for(lambda: _registrations(empty_graph)[0] >= 3000)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    partial, _ = _registrations(empty_graph)
    assert 0 < partial < 20_000

    report = ingest_paths(empty_graph, [export], batch_size=5000,
                          quarantine_path=tmp_path / "q.jsonl")
    assert report.balanced() and report.read == 20_005 and report.quarantined == 5
    assert report.already_present >= partial and report.ingested == 20_000 - report.already_present
    assert _registrations(empty_graph) == (20_000, 20_000)
    assert recent_runs(empty_graph)[0]["status"] == "complete"


def test_neo4j_restart_mid_run_is_retried(empty_graph: Graph, tmp_path: Path) -> None:
    export = tmp_path / "big.csv"
    write_export(export, 20_000)
    server = LocalServer(get_settings())
    result: dict[str, object] = {}

    def run() -> None:
        try:
            result["report"] = ingest_paths(empty_graph, [export], batch_size=1000,
                                            quarantine_path=tmp_path / "q.jsonl")
        except BaseException as exc:  # reported by the assertion below
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    _wait_for(lambda: _registrations(empty_graph)[0] >= 3000)
    server.stop()
    time.sleep(2)
    server.start()
    worker.join(timeout=600)
    assert "error" not in result, result.get("error")
    report = result["report"]
    assert report.balanced() and report.read == 20_000  # type: ignore[attr-defined]
    assert _registrations(empty_graph) == (20_000, 20_000)


def test_neo4j_down_too_long_fails_clearly_then_resumes(empty_graph: Graph,
                                                        tmp_path: Path) -> None:
    export = tmp_path / "big.csv"
    write_export(export, 15_000)
    server = LocalServer(get_settings())
    result: dict[str, object] = {}

    def run() -> None:
        try:
            ingest_paths(empty_graph, [export], batch_size=1000, retry_waits=(0.5, 0.5),
                         quarantine_path=tmp_path / "q1.jsonl")
        except BaseException as exc:
            result["error"] = exc

    worker = threading.Thread(target=run)
    worker.start()
    _wait_for(lambda: _registrations(empty_graph)[0] >= 2000)
    server.stop()
    worker.join(timeout=300)
    server.start()
    error = result.get("error")
    assert isinstance(error, IngestError), error
    assert "rerun the same command to resume" in str(error)

    report = ingest_paths(empty_graph, [export], quarantine_path=tmp_path / "q2.jsonl")
    assert report.balanced() and report.already_present > 0
    assert _registrations(empty_graph) == (15_000, 15_000)


@pytest.fixture(autouse=True)
def _server_back_up() -> None:
    """Whatever a test did to the server, the next test finds it running."""
    yield
    LocalServer(get_settings()).start()
