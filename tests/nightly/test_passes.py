"""Nightly passes against the real Neo4j: once per file, nothing lost, one at a time."""

from __future__ import annotations

import shutil
import subprocess
import sys
import threading
from pathlib import Path

import orjson
import pytest

from scalpernet.graph import Graph
from scalpernet.ingest.pipeline import ingest_paths
from scalpernet.ingest.runs import recent_runs
from scalpernet.nightly import PassLocked, ledger, run_pass
from tests.ingest.exports import write_export
from tests.nightly.conftest import Drop


def _stored_pass(graph: Graph, pass_id: str) -> dict:
    [p] = [p for p in ledger.recent_passes(graph, Path("/nonexistent"), limit=50)
           if p["id"] == pass_id]
    return p


def test_two_new_files_are_processed_once(empty_graph: Graph, drop: Drop) -> None:
    write_export(drop.dir / "a.csv", 30, prefix="A")
    write_export(drop.dir / "b.csv", 20, bad=2, prefix="B")
    before = drop.checksums()

    first = run_pass(drop.settings)
    r = first.record
    assert (r.status, first.exit_code, first.recorded_in) == ("complete", 0, "neo4j")
    assert sorted(f["name"] for f in r.files if f["outcome"] == "ingested") == ["a.csv", "b.csv"]
    assert (r.read, r.ingested, r.quarantined) == (52, 50, 2)
    assert r.analysis is not None and r.analysis["run_id"].startswith("analysis-")
    day = next(iter(drop.dir.glob("processed/*"))).name
    assert set(drop.files()) == {f"processed/{day}/a.csv", f"processed/{day}/b.csv"}
    assert drop.checksums() == before

    stored = _stored_pass(empty_graph, r.id)
    assert (stored["status"], stored["read"], stored["ingested"]) == ("complete", 52, 50)
    assert stored["analysis"]["run_id"] == r.analysis["run_id"]
    assert [f["outcome"] for f in stored["files"]] == ["ingested", "ingested"]
    runs_after_first = recent_runs(empty_graph, limit=50)
    assert len(runs_after_first) == 2

    second = run_pass(drop.settings)
    assert (second.record.status, second.record.files, second.record.read) == ("complete", [], 0)
    assert second.record.analysis == {"skipped": "no rows written since the served analysis"}
    assert len(recent_runs(empty_graph, limit=50)) == 2  # nothing read again
    assert set(drop.files()) == {f"processed/{day}/a.csv", f"processed/{day}/b.csv"}


def test_a_file_already_ingested_is_moved_as_a_duplicate_unread(empty_graph: Graph,
                                                                 drop: Drop) -> None:
    write_export(drop.dir / "a.csv", 10, prefix="D")
    assert run_pass(drop.settings).record.status == "complete"
    day = next(iter(drop.dir.glob("processed/*"))).name
    shutil.copy(drop.dir / "processed" / day / "a.csv", drop.dir / "a.csv")  # sent again
    shutil.copy(drop.dir / "processed" / day / "a.csv", drop.dir / "copy.csv")

    again = run_pass(drop.settings)
    assert again.record.status == "complete"
    assert sorted((f["name"], f["outcome"]) for f in again.record.files) == [
        ("a.csv", "duplicate"), ("copy.csv", "duplicate")]
    assert len(recent_runs(empty_graph, limit=50)) == 1  # no ingestion run read them
    names = set(drop.files())
    assert f"processed/{day}/a.csv" in names and f"processed/{day}/copy.csv" in names
    [renamed] = [n for n in names if n.startswith(f"processed/{day}/a~")]
    assert (drop.dir / renamed).read_bytes() == (drop.dir / "processed" / day / "a.csv"
                                                 ).read_bytes()


def test_a_half_written_file_waits_until_it_settles_or_gets_its_marker(
        empty_graph: Graph, drop: Drop) -> None:
    settings = drop.settings.model_copy(update={"drop_settle_s": 60.0})
    write_export(drop.dir / "late.csv", 10, prefix="L")
    (drop.dir / ".upload.csv.partial").write_bytes(b"registration_id,hosp")
    stat = (drop.dir / "late.csv").stat()

    waiting = run_pass(settings)
    assert (waiting.record.status, waiting.record.waiting, waiting.record.files) == (
        "complete", 1, [])
    assert set(drop.files()) == {"late.csv", ".upload.csv.partial"}
    assert (drop.dir / "late.csv").stat().st_mtime_ns == stat.st_mtime_ns
    assert recent_runs(empty_graph, limit=50) == []

    (drop.dir / "late.csv.done").write_text("", encoding="utf-8")
    taken = run_pass(settings)
    assert [(f["name"], f["outcome"]) for f in taken.record.files] == [("late.csv", "ingested")]
    day = next(iter(drop.dir.glob("processed/*"))).name
    assert set(drop.files()) == {f"processed/{day}/late.csv", f"processed/{day}/late.csv.done",
                                 ".upload.csv.partial"}


def test_nothing_in_the_drop_folder_is_lost(empty_graph: Graph, drop: Drop) -> None:
    write_export(drop.dir / "good.csv", 10, prefix="G")
    (drop.dir / "hospital-b").mkdir()
    write_export(drop.dir / "hospital-b" / "nested.csv", 10, prefix="N")
    (drop.dir / "broken.parquet").write_bytes(b"this is not parquet at all")
    (drop.dir / "notes.yaml").write_text("hospital: H1\n", encoding="utf-8")
    write_export(drop.dir / "lying.csv", 5, prefix="X")
    (drop.dir / "lying.csv.done").write_text("0" * 64 + "\n", encoding="utf-8")
    (drop.dir / "writing.csv.part").write_bytes(b"registration_id\n")
    before = drop.checksums()

    outcome = run_pass(drop.settings)
    r = outcome.record
    assert (r.status, outcome.exit_code) == ("partial", 2)
    by_name = {f["name"]: f for f in r.files}
    assert {n: f["outcome"] for n, f in by_name.items()} == {
        "good.csv": "ingested", "hospital-b/nested.csv": "ingested",
        "broken.parquet": "failed", "notes.yaml": "failed", "lying.csv": "failed"}
    assert "not an export file" in by_name["notes.yaml"]["reason"]
    assert "does not match" in by_name["lying.csv"]["reason"]
    day = next(iter(drop.dir.glob("processed/*"))).name
    for name in ("broken.parquet", "notes.yaml", "lying.csv"):
        reason = drop.dir / "failed" / day / f"{name}.reason.txt"
        assert reason.read_text(encoding="utf-8").strip() == by_name[name]["reason"]
    assert (drop.dir / "processed" / day / "hospital-b" / "nested.csv").exists()
    assert (drop.dir / "writing.csv.part").exists()
    assert drop.checksums() == before  # every byte still somewhere under the drop folder


def test_a_second_concurrent_pass_is_refused(empty_graph: Graph, drop: Drop) -> None:
    write_export(drop.dir / "a.csv", 10, prefix="C")
    locked, release = threading.Event(), threading.Event()
    outcomes = []

    def on_stage(stage: str) -> None:
        if stage == "locked":
            locked.set()
            assert release.wait(120)

    first = threading.Thread(target=lambda: outcomes.append(run_pass(drop.settings,
                                                                     on_stage=on_stage)))
    first.start()
    try:
        assert locked.wait(60)
        with pytest.raises(PassLocked, match="another nightly pass is running"):
            run_pass(drop.settings)
        proc = subprocess.run([sys.executable, "-m", "scalpernet", "nightly", "--once"],
                              env=drop.env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 75, proc.stderr
        [line] = proc.stderr.strip().splitlines()
        assert line.startswith("error: another nightly pass is running") and "pid" in line
        assert (drop.dir / "a.csv").exists()  # the refused passes touched nothing
    finally:
        release.set()
        first.join(120)
    [outcome] = outcomes
    assert outcome.record.status == "complete" and outcome.record.count("ingested") == 1


def test_a_pass_left_running_by_a_dead_process_is_marked_abandoned(empty_graph: Graph,
                                                                   drop: Drop) -> None:
    dead = ledger.PassRecord(id=ledger.new_pass_id(), drop_dir=str(drop.dir))
    ledger.record_start(empty_graph, dead)
    other = ledger.PassRecord(id=ledger.new_pass_id(), drop_dir="/elsewhere")
    ledger.record_start(empty_graph, other)
    outcome = run_pass(drop.settings)
    assert outcome.record.status == "complete"
    assert _stored_pass(empty_graph, dead.id)["status"] == "abandoned"
    assert _stored_pass(empty_graph, other.id)["status"] == "running"  # not our drop folder


def test_cli_nightly_once_and_runs(empty_graph: Graph, drop: Drop) -> None:
    write_export(drop.dir / "a.csv", 10, prefix="S")
    done = subprocess.run([sys.executable, "-m", "scalpernet", "nightly", "--once"],
                          env=drop.env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""
    assert "complete" in done.stdout and "1 file(s) ingested" in done.stdout
    pass_id = done.stdout.split()[2]

    listed = subprocess.run([sys.executable, "-m", "scalpernet", "runs"], env=drop.env,
                            capture_output=True, text=True, timeout=120)
    assert listed.returncode == 0, listed.stderr
    [ingest_run] = recent_runs(empty_graph, limit=5)
    assert pass_id in listed.stdout and ingest_run["id"] in listed.stdout
    assert "1 ingested" in listed.stdout

    as_json = subprocess.run([sys.executable, "-m", "scalpernet", "runs", "--json"],
                             env=drop.env, capture_output=True, text=True, timeout=120)
    doc = orjson.loads(as_json.stdout)
    assert doc["nightly_passes"][0]["id"] == pass_id
    assert doc["nightly_passes"][0]["files"][0]["outcome"] == "ingested"
    assert doc["ingest_runs"][0]["id"] == ingest_run["id"]


def test_rows_ingested_outside_the_pass_make_the_analysis_due(empty_graph: Graph, drop: Drop,
                                                              tmp_path: Path) -> None:
    write_export(drop.dir / "a.csv", 10, prefix="M")
    first = run_pass(drop.settings).record
    assert first.analysis is not None and "run_id" in first.analysis
    assert "skipped" in run_pass(drop.settings).record.analysis

    write_export(tmp_path / "manual.csv", 10, prefix="K")  # `scalpernet ingest` by hand
    ingest_paths(empty_graph, [tmp_path / "manual.csv"], quarantine_path=tmp_path / "q.jsonl")
    caught_up = run_pass(drop.settings).record
    assert caught_up.files == [] and caught_up.analysis is not None
    assert caught_up.analysis["run_id"] not in (first.analysis["run_id"], None)
