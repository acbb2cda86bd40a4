"""Faults that need a Neo4j server of their own (these tests kill and stop it).

* The API over a server that is killed and started again: a request while it is down is
  a one-line 503 after the retry policy's waits, one sent while it restarts succeeds once
  it is back, and no traceback reaches the caller or the log.
* The fault table's invariants at a small size (``bench/bench_faults.py``: kill -9 of the
  ingest then a rerun; a graceful Neo4j stop mid-ingest): rows in the graph = valid rows,
  distinct = total, no run left ``running``, no traceback, no error line.
"""

from __future__ import annotations

import importlib.util
import logging
import os
import signal
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from fastapi.testclient import TestClient

from scalpernet.api.app import create_app
from scalpernet.apikeys import create_key
from scalpernet.graph import get_graph
from scalpernet.graph.schema import ensure_schema, reset_graph
from scalpernet.localserver import LocalServer
from tests.api.conftest import ROOMY, api_settings
from tests.ingest.test_bulk import _server_of_its_own

pytestmark = pytest.mark.server

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    with _server_of_its_own(tmp_path_factory.mktemp("fault-server"), start=True) as server:
        yield server


def _kill(server: LocalServer) -> None:
    pid = server.pid()
    assert pid is not None
    os.kill(pid, signal.SIGKILL)
    while server.pid() is not None:
        time.sleep(0.1)
    server.pid_file.unlink(missing_ok=True)


def test_the_api_answers_a_server_going_away_in_one_line(
        own_server: LocalServer, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    graph = get_graph()
    ensure_schema(graph)
    reset_graph(graph)
    _, key = create_key(graph, "investigator", name="fault test")
    headers = {"X-API-Key": key}

    def app(waits: tuple[float, ...], name: str) -> TestClient:
        settings = api_settings(tmp_path / name, api_retry_waits=waits)
        return TestClient(create_app(settings, key_cache_ttl=0, run_cache_ttl=0,
                                     limits=ROOMY), raise_server_exceptions=False)

    caplog.set_level(logging.WARNING)
    with app((0.2, 0.5), "quick") as quick, app((1, 2, 4, 8, 16, 32, 32), "patient") as patient:
        assert quick.get("/ingest/runs", headers=headers).status_code == 200
        _kill(own_server)
        started = time.monotonic()
        down = quick.get("/ingest/runs", headers=headers)
        assert down.status_code == 503 and time.monotonic() - started >= 0.7
        error = down.json()["error"]
        assert error["code"] == "unavailable" and "\n" not in error["message"]
        answers: list[int] = []
        waiting = threading.Thread(target=lambda: answers.append(
            patient.get("/ingest/runs", headers=headers).status_code))
        waiting.start()  # sent while the server is down; it retries until the server is back
        time.sleep(1.0)
        own_server.start()
        waiting.join(timeout=120)
        assert answers == [200]
        assert quick.get("/ingest/runs", headers=headers).status_code == 200
    assert "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.exc_info is not None]


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_faults",
                                                  ROOT / "bench" / "bench_faults.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("scenario", ["kill30", "neo4j-stop"])
def test_a_fault_scenario_keeps_the_table_invariants(own_server: LocalServer, tmp_path: Path,
                                                     scenario: str) -> None:
    bench = _bench()
    outcome = bench.SCENARIOS[scenario](bench.Bench(2000, tmp_path))
    assert outcome.stored == outcome.distinct == outcome.valid == 2000, outcome
    assert outcome.running == 0 and outcome.tracebacks == 0 and outcome.error_lines == 0
    assert outcome.statuses[-1] == "complete" and outcome.ok
