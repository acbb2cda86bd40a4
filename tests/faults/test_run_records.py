"""Finding 3: every run record final and true.

A run is ``running`` only while its process lives; a dead one is settled ``abandoned`` with
what it wrote counted from the graph, a commit that lands after its death included; failure
records are always writable; a retry after a lost commit acknowledgement counts the rows it
wrote as written."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from neo4j.exceptions import IncompleteCommit

from scalpernet.graph import Graph
from scalpernet.ingest import pipeline, runs, writer
from scalpernet.ingest.pipeline import ingest_paths
from tests.faults import ghosts
from tests.ingest.exports import HEADER, write_export


def _count(graph: Graph, query: str, **params: object) -> int:
    records, _, _ = graph.driver.execute_query(query, params, database_=graph.database)
    return records[0][0]


def test_a_killed_run_is_settled_abandoned_with_what_it_wrote(empty_graph: Graph,
                                                              tmp_path: Path) -> None:
    export = tmp_path / "big.csv"
    write_export(export, 20_000)
    proc = subprocess.Popen([sys.executable, "-m", "scalpernet", "ingest", "--batch-size",
                             "1000", str(export)], env=os.environ.copy(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 300
        while _count(empty_graph, "MATCH (r:Registration) RETURN count(r)") < 3000:
            assert time.monotonic() < deadline and proc.poll() is None
            time.sleep(0.2)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    [run] = runs.recent_runs(empty_graph)  # no sleep: a commit still landing is waited for
    written = _count(empty_graph, "MATCH (r:Registration {ingest_run: $id}) RETURN count(r)",
                     id=run["id"])
    assert run["status"] == "abandoned" and run["ingested"] == written > 0
    assert f"pid {proc.pid}" in run["error"] and run["ended_at"] is not None
    assert _count(empty_graph, "MATCH (f:IngestedFile) WHERE f.status = 'partial' "
                               "RETURN count(f)") == 1


def test_a_commit_that_lands_after_its_process_died_is_counted(empty_graph: Graph) -> None:
    """The race: a run's process dies with a commit already sent; it lands after a new run
    has seen the process gone. The settled count must include it."""
    owner = ghosts.dead_owner()
    ghosts.start_dead_run(empty_graph, "ingest-dead", owner)
    held = ghosts.HeldCommit(owner, "ingest-dead", 500)
    settled: list[list[str]] = []
    settler = threading.Thread(target=lambda: settled.append(runs.settle_dead_runs(empty_graph)))
    settler.start()
    time.sleep(1.5)
    assert settler.is_alive()  # waiting for the server to be done with the dead process
    held.commit()
    settler.join(timeout=60)
    assert settled == [["ingest-dead"]]
    [run] = runs.recent_runs(empty_graph)
    assert (run["status"], run["ingested"]) == ("abandoned", 500)


def test_a_live_run_is_not_settled(empty_graph: Graph, tmp_path: Path) -> None:
    runs.start_run(empty_graph, "ingest-live", tmp_path / "q.jsonl")
    assert runs.settle_dead_runs(empty_graph) == []
    assert runs.recent_runs(empty_graph)[0]["status"] == "running"


def test_a_run_of_a_dead_process_on_another_host_waits_for_its_lease(empty_graph: Graph,
                                                                      tmp_path: Path) -> None:
    runs.start_run(empty_graph, "ingest-elsewhere", tmp_path / "q.jsonl")
    empty_graph.write("ingest_run_finish", id="ingest-elsewhere",
                      props={"host": "another-host", "pid": 1})
    assert runs.settle_dead_runs(empty_graph) == []  # its lease still runs
    empty_graph.driver.execute_query(
        "MATCH (r:IngestRun {id: 'ingest-elsewhere'}) "
        "SET r.lease_until = datetime() - duration('PT1S')", database_=empty_graph.database)
    assert runs.settle_dead_runs(empty_graph) == ["ingest-elsewhere"]


def test_undecodable_names_and_headers_still_leave_a_final_record(empty_graph: Graph,
                                                                  tmp_path: Path) -> None:
    good = tmp_path / os.fsdecode(b"good\xa6.csv")
    write_export(good, 5)
    bad = tmp_path / os.fsdecode(b"bad\xa6.csv")
    bad.write_bytes(b"registration_id,hospital,\xa6\xa6\n1,2,3\n")
    report = ingest_paths(empty_graph, [tmp_path], quarantine_path=tmp_path / "q.jsonl")
    assert report.status == "partial" and report.ingested == 5
    [run] = runs.recent_runs(empty_graph)
    assert run["status"] == "partial" and "bad\\udca6.csv" in run["error"]
    assert {f["status"] for f in run["files"]} == {"failed", "ingested"}


def test_a_lost_commit_acknowledgement_counts_the_rows_as_written(
        empty_graph: Graph, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    export = tmp_path / "a.csv"
    write_export(export, 3000)
    real = writer.write_batch
    lost: list[int] = []

    def flaky(graph: Graph, records: list, run_id: str, batch_no: int = 0,
              verdicts: dict | None = None) -> writer.BatchResult:
        result = real(graph, records, run_id, batch_no, verdicts)
        if batch_no == 1 and not lost:
            lost.append(batch_no)
            raise IncompleteCommit("the connection broke before the commit was acknowledged")
        return result

    monkeypatch.setattr(pipeline, "write_batch", flaky)
    report = ingest_paths(empty_graph, [export], batch_size=1000, retry_waits=(0.1,),
                          quarantine_path=tmp_path / "q.jsonl")
    assert lost == [1]
    assert (report.created, report.already_present) == (3000, 0)
    again = ingest_paths(empty_graph, [export], force=True, batch_size=1000,
                         quarantine_path=tmp_path / "q2.jsonl")
    assert (again.created, again.already_present) == (0, 3000)


def test_header_only_export_is_complete(empty_graph: Graph, tmp_path: Path) -> None:
    export = tmp_path / "empty.csv"
    export.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    report = ingest_paths(empty_graph, [export], quarantine_path=tmp_path / "q.jsonl")
    assert report.status == "complete" and runs.recent_runs(empty_graph)[0]["status"] == \
        "complete"
