"""Finding 4: faults named for what they are, in one line; one bad file loses nothing else;
a quarantine that cannot be written stops the run before a bad row is dropped."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from neo4j.exceptions import DatabaseUnavailable, ResultFailedError

from scalpernet import cli
from scalpernet.graph import Graph
from scalpernet.graph.session import server_gone
from scalpernet.ingest import runs
from scalpernet.ingest.pipeline import IngestError, ingest_paths
from tests.ingest.exports import HEADER, write_export


def _registrations(graph: Graph) -> tuple[int, int]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (r:Registration) RETURN count(r) AS n, count(DISTINCT r.key) AS keys",
        database_=graph.database)
    return records[0]["n"], records[0]["keys"]


def test_a_wrapped_database_unavailable_is_a_server_going_away() -> None:
    gone = DatabaseUnavailable()
    wrapped = ResultFailedError(None, "the result failed")  # type: ignore[arg-type]
    wrapped.__cause__ = gone
    assert server_gone(wrapped) and server_gone(gone)
    assert not server_gone(ValueError("a bug")) and not server_gone(KeyError("k"))


def test_a_full_disk_for_the_quarantine_fails_the_run_and_leaves_the_file(
        empty_graph: Graph, tmp_path: Path) -> None:
    export = tmp_path / "a.csv"
    write_export(export, 2000, bad=3)
    with pytest.raises(IngestError) as failed:
        ingest_paths(empty_graph, [export], batch_size=500, quarantine_path=Path("/dev/full"))
    message = str(failed.value)
    assert "cannot write the quarantine file /dev/full: No space left on device" in message
    assert "cannot read" not in message and len(message.splitlines()) == 1
    [run] = runs.recent_runs(empty_graph)
    assert run["status"] == "failed" and "quarantine file" in run["error"]
    assert runs.file_status(empty_graph, runs.file_checksum(export)) == "partial"
    report = ingest_paths(empty_graph, [export], quarantine_path=tmp_path / "q.jsonl")
    assert report.status == "complete" and report.quarantined == 3
    assert len((tmp_path / "q.jsonl").read_bytes().splitlines()) == 3
    assert _registrations(empty_graph) == (2000, 2000)


def test_a_quarantine_folder_that_is_a_file_is_named_as_such(empty_graph: Graph,
                                                              tmp_path: Path) -> None:
    export = tmp_path / "a.csv"
    write_export(export, 10, bad=1)
    (tmp_path / "taken").write_text("a file, not a folder")
    with pytest.raises(IngestError, match=r"cannot write the quarantine file .*taken/q.jsonl"):
        ingest_paths(empty_graph, [export], quarantine_path=tmp_path / "taken" / "q.jsonl")


def test_one_unusable_file_does_not_lose_the_others(empty_graph: Graph, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    folder = tmp_path / "exports"
    folder.mkdir()
    write_export(folder / "a.csv", 40, prefix="A")
    (folder / "b.csv").write_text("registration_id,hospital\nX,Y\n", encoding="utf-8")
    write_export(folder / "c.csv", 60, prefix="C")
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["ingest", str(folder), "--quarantine", str(tmp_path / "q.jsonl")])
    out, err = capsys.readouterr()
    assert exit_info.value.code == 1
    [line] = [n for n in err.splitlines() if not n.startswith("...")]  # progress aside
    assert line.startswith(f"error: {folder / 'b.csv'}: ") and "no column for" in line
    assert "read = ingested + already present + quarantined: 100 = 100 + 0 + 0" in out
    assert _registrations(empty_graph) == (100, 100)
    [run] = runs.recent_runs(empty_graph)
    assert run["status"] == "partial"
    status = {Path(f["path"]).name: f["status"] for f in run["files"]}
    assert status == {"a.csv": "ingested", "b.csv": "failed", "c.csv": "ingested"}
    states = {name: runs.file_status(empty_graph, runs.file_checksum(folder / name))
              for name in status}
    assert states == {"a.csv": "complete", "b.csv": "partial", "c.csv": "complete"}


def test_a_file_written_to_while_read_is_not_complete(empty_graph: Graph,
                                                      tmp_path: Path) -> None:
    export = tmp_path / "growing.csv"
    write_export(export, 3000, prefix="G")
    appended: list[bool] = []

    def sender_resumes(report: object) -> None:
        if not appended:
            appended.append(True)
            with export.open("a", encoding="utf-8") as handle:
                handle.write("R9,H1\n")

    report = ingest_paths(empty_graph, [export], batch_size=1000, writers=1,
                          on_progress=sender_resumes, quarantine_path=tmp_path / "q.jsonl")
    [f] = report.files
    assert (report.status, f.status) == ("partial", "changed")
    assert runs.file_status(empty_graph, f.checksum) == "partial"
    assert runs.recent_runs(empty_graph)[0]["status"] == "partial"


def test_an_unexpected_error_is_one_line_and_its_trace_goes_to_a_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    from scalpernet.config import get_settings

    monkeypatch.setenv("SCALPERNET_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a bug somewhere")

    monkeypatch.setattr("scalpernet.ingest.validate.validate_paths", broken)
    export = tmp_path / "a.csv"
    export.write_text(",".join(HEADER) + "\n", encoding="utf-8")
    try:
        with pytest.raises(SystemExit) as exit_info:
            cli.main(["ingest", "--dry-run", str(export)])
    finally:
        get_settings.cache_clear()
    assert exit_info.value.code == 1
    [line] = capsys.readouterr().err.strip().splitlines()
    assert line.startswith("error: unexpected RuntimeError: a bug somewhere; details in ")
    [crash] = (tmp_path / "data" / "logs").glob("crash-*.txt")
    assert "Traceback" in crash.read_text() and str(crash) in line


def test_the_cli_says_a_sigterm_in_one_line(tmp_path: Path) -> None:
    code = ("import os, signal, sys; from scalpernet import cli; "
            "cli.app.command('hang')(lambda: os.kill(os.getpid(), signal.SIGTERM)); "
            "cli.main(['hang'])")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert (done.returncode, done.stderr.strip()) == (143, "error: terminated")
