"""Which files a pass takes, and how they leave the drop folder (no database needed)."""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

from scalpernet.nightly.drop import move_failed, move_processed, scan_drop


def _write(path: Path, text: str = "registration_id\n1\n", age_s: float = 0.0) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if age_s:
        old = time.time() - age_s
        os.utime(path, (old, old))
    return path


def test_a_recent_file_without_marker_waits_and_a_marker_makes_it_ready(tmp_path: Path) -> None:
    export = _write(tmp_path / "a.csv")
    scan = scan_drop(tmp_path, settle_s=60)
    assert scan.ready == [] and scan.waiting == [export]

    (tmp_path / "a.csv.done").write_text("", encoding="utf-8")
    scan = scan_drop(tmp_path, settle_s=60)
    assert [f.path for f in scan.ready] == [export] and scan.waiting == []
    assert scan.ready[0].marker == tmp_path / "a.csv.done"


def test_settled_files_are_ready_once_the_settle_period_has_passed(tmp_path: Path) -> None:
    export = _write(tmp_path / "a.csv")
    assert scan_drop(tmp_path, settle_s=60).waiting == [export]
    # ctime cannot be set back; look from a minute later instead
    later = time.time() + 61
    assert [f.path for f in scan_drop(tmp_path, settle_s=60, now=later).ready] == [export]


def test_hidden_temporary_markers_and_outboxes_are_never_taken(tmp_path: Path) -> None:
    for name in (".a.csv.partial", "b.csv.part", "c.csv.tmp", "d.csv~", "e.csv.filepart",
                 ".hidden/f.csv", "processed/2026-03-05/g.csv", "failed/2026-03-05/h.csv",
                 "failed/2026-03-05/h.csv.reason.txt", "orphan.csv.done"):
        _write(tmp_path / name)
    nested = _write(tmp_path / "hospital-a" / "i.csv")
    scan = scan_drop(tmp_path, settle_s=0)
    assert [f.path for f in scan.ready] == [nested]
    assert scan.ready[0].relative == Path("hospital-a/i.csv")


def test_marker_digest_is_read_when_the_sender_wrote_one(tmp_path: Path) -> None:
    export = _write(tmp_path / "a.csv")
    digest = hashlib.sha256(export.read_bytes()).hexdigest()
    (tmp_path / "a.csv.done").write_text(digest + "\n", encoding="utf-8")
    _write(tmp_path / "b.csv")
    (tmp_path / "b.csv.done").write_text("ok\n", encoding="utf-8")
    ready = {f.path.name: f for f in scan_drop(tmp_path, settle_s=60).ready}
    assert ready["a.csv"].marker_digest == digest and ready["b.csv"].marker_digest is None


def test_ready_files_come_oldest_first(tmp_path: Path) -> None:
    _write(tmp_path / "new.csv", age_s=100)
    _write(tmp_path / "old.csv", age_s=500)
    assert [f.path.name for f in scan_drop(tmp_path, settle_s=0).ready] == ["old.csv", "new.csv"]


def test_moves_keep_folders_and_markers_and_never_overwrite(tmp_path: Path) -> None:
    _write(tmp_path / "hospital-a" / "a.csv", "first")
    (tmp_path / "hospital-a" / "a.csv.done").write_text("", encoding="utf-8")
    [first] = scan_drop(tmp_path, settle_s=0).ready
    moved = move_processed(first, tmp_path, day="2026-03-05", tag="aaa111")
    assert moved == tmp_path / "processed/2026-03-05/hospital-a/a.csv"
    assert moved.with_name("a.csv.done").exists() and not first.path.exists()

    _write(tmp_path / "hospital-a" / "a.csv", "second, same name")
    [second] = scan_drop(tmp_path, settle_s=0).ready
    again = move_processed(second, tmp_path, day="2026-03-05", tag="bbb222")
    assert again.name == "a~bbb222.csv"
    assert moved.read_text() == "first" and again.read_text() == "second, same name"

    _write(tmp_path / "bad.csv", "junk")
    [bad] = scan_drop(tmp_path, settle_s=0).ready
    failed = move_failed(bad, tmp_path, "cannot be read", day="2026-03-05", tag="ccc333")
    assert failed == tmp_path / "failed/2026-03-05/bad.csv" and failed.read_text() == "junk"
    assert (tmp_path / "failed/2026-03-05/bad.csv.reason.txt").read_text() == "cannot be read\n"


def test_an_empty_file_waits_unless_its_marker_says_it_is_complete(tmp_path: Path) -> None:
    empty = _write(tmp_path / "empty.csv", "", age_s=3600)
    later = time.time() + 3600
    assert scan_drop(tmp_path, settle_s=60, now=later).waiting == [empty]
    (tmp_path / "empty.csv.done").write_text("", encoding="utf-8")
    assert [f.path for f in scan_drop(tmp_path, settle_s=60, now=later).ready] == [empty]
