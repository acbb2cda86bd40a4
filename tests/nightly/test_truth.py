"""Findings 2 and 3 in the nightly pass: a file written to while read is never moved as
done; a pass's counts are true when a file fails mid-way; the local log's final record of a
pass is never replaced by a guess; a dead pass counts a commit that lands after it died."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from scalpernet.graph import Graph, clients
from scalpernet.ingest import pipeline
from scalpernet.nightly import ledger, passes, run_pass
from tests.faults import ghosts
from tests.ingest.exports import row, write_export
from tests.nightly.conftest import Drop


def _registrations(graph: Graph) -> tuple[int, int]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (r:Registration) RETURN count(r) AS n, count(DISTINCT r.key) AS keys",
        database_=graph.database)
    return records[0]["n"], records[0]["keys"]


def _stored(graph: Graph, pass_id: str) -> dict:
    [p] = [p for p in ledger.recent_passes(graph, Path("/nonexistent"), limit=50)
           if p["id"] == pass_id]
    return p


def test_a_file_the_sender_resumes_while_it_is_read_stays_for_the_next_pass(
        empty_graph: Graph, drop: Drop, monkeypatch: pytest.MonkeyPatch) -> None:
    export = drop.dir / "slow.csv"
    write_export(export, 1004, prefix="S")
    real = passes.ingest_paths

    def read_then_sender_resumes(*args: object, **kwargs: object) -> object:
        report = real(*args, **kwargs)
        with export.open("a", encoding="utf-8") as handle:  # the other 996 rows arrive
            for i in range(1004, 2000):
                handle.write(",".join(row(i, "S")) + "\n")
        return report

    monkeypatch.setattr(passes, "ingest_paths", read_then_sender_resumes)
    first = run_pass(drop.settings)
    assert (first.record.status, first.exit_code) == ("partial", 2)
    [entry] = first.record.files
    assert entry["outcome"] == "retry" and "changed while it was read" in entry["reason"]
    assert set(drop.files()) == {"slow.csv"}  # not moved to processed/
    monkeypatch.setattr(passes, "ingest_paths", real)

    second = run_pass(drop.settings)
    assert second.record.status == "complete"
    assert (second.record.read, second.record.ingested, second.record.already_present) == (
        2000, 996, 1004)
    assert _registrations(empty_graph) == (2000, 2000)


def test_a_mid_file_failure_reports_what_was_written_and_leaves_the_file(
        empty_graph: Graph, drop: Drop) -> None:
    export = drop.dir / "a.csv"
    write_export(export, 32_000, bad=2, prefix="M")  # the bad rows in the second block
    (drop.settings.data_dir).mkdir(parents=True)
    (drop.settings.data_dir / "quarantine").write_text("a file where the folder should be")
    outcome = run_pass(drop.settings)
    [entry] = outcome.record.files
    written = _registrations(empty_graph)[0]
    assert entry["outcome"] == "retry" and "cannot write the quarantine file" in entry["reason"]
    assert "rerun" not in entry["reason"] and "cannot read" not in entry["reason"]
    assert written > 0 and (outcome.record.ingested, entry["ingested"]) == (written, written)
    assert outcome.record.read >= written + 2 and outcome.record.quarantined == 0
    assert set(drop.files()) == {"a.csv"}
    stored = _stored(empty_graph, outcome.record.id)
    assert (stored["status"], stored["ingested"]) == ("partial", written)


def test_the_local_log_replaces_what_the_graph_only_guessed(empty_graph: Graph,
                                                             drop: Drop) -> None:
    record = ledger.PassRecord(id=ledger.new_pass_id(), drop_dir=str(drop.dir))
    ledger.record_start(empty_graph, record)  # then Neo4j went away mid-pass
    record.status, record.read, record.ingested = "failed", 5000, 5000
    record.files = [{"name": "a.csv", "outcome": "ingested", "moved_to": "processed/x/a.csv"}]
    record.error = "Neo4j became unavailable"
    ledger.append_local(ledger.local_log(drop.settings.data_dir), record)

    later = run_pass(drop.settings)
    assert later.record.status == "complete"
    stored = _stored(empty_graph, record.id)
    assert (stored["status"], stored["ingested"], stored["error"]) == (
        "failed", 5000, "Neo4j became unavailable")
    assert stored["files"][0]["outcome"] == "ingested"
    run_pass(drop.settings)  # importing the log again changes nothing
    assert _stored(empty_graph, record.id)["status"] == "failed"


def test_a_dead_pass_without_a_local_record_is_abandoned_with_what_it_wrote(
        empty_graph: Graph, drop: Drop, tmp_path: Path) -> None:
    dead = ledger.PassRecord(id=ledger.new_pass_id(), drop_dir=str(drop.dir))
    ledger.record_start(empty_graph, dead)
    export = tmp_path / "a.csv"
    write_export(export, 30, prefix="W")
    pipeline.ingest_paths(empty_graph, [export], parent=dead.id,
                          quarantine_path=tmp_path / "q.jsonl")
    run_pass(drop.settings)
    stored = _stored(empty_graph, dead.id)
    assert (stored["status"], stored["ingested"]) == ("abandoned", 30)
    assert "wrote 30 registrations" in stored["error"]


def test_a_dead_pass_counts_a_commit_that_lands_after_it_died(
        empty_graph: Graph, drop: Drop, monkeypatch: pytest.MonkeyPatch) -> None:
    dead = ledger.PassRecord(id=ledger.new_pass_id(), drop_dir=str(drop.dir))
    ledger.record_start(empty_graph, dead)
    owner = ghosts.dead_owner()
    ghosts.start_dead_run(empty_graph, "ingest-of-dead-pass", owner, parent=dead.id)
    held = ghosts.HeldCommit(owner, "ingest-of-dead-pass", 40)
    settling = threading.Event()
    looks = clients._server_holds

    def looked(*args: object) -> bool:
        settling.set()
        return looks(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(clients, "_server_holds", looked)
    later = threading.Thread(target=run_pass, args=(drop.settings,))
    later.start()
    settling.wait(timeout=30)  # the next pass found the dead run and settles it
    time.sleep(1.0)
    held.commit()  # the dead pass's last batch lands only now
    later.join(timeout=120)
    stored = _stored(empty_graph, dead.id)
    assert (stored["status"], stored["ingested"]) == ("abandoned", 40)
