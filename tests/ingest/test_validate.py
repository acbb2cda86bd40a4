"""Validation stream: one record or one quarantine item per row, duplicates, the ledger."""

from __future__ import annotations

from hashlib import blake2b
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalpernet.ingest.quarantine import QuarantineItem, QuarantineWriter, quarantine_line
from scalpernet.ingest.validate import (
    IngestReport,
    InvariantError,
    iter_batches,
    validate_paths,
)
from scalpernet.records import FIELD_CAP, FIELDS

from .row_ledger import RegistrationLedger

HEADER = ",".join(FIELDS)


class Record(SimpleNamespace):
    """A valid row of the stream, ``duplicate`` marking an exact repeat."""


def iter_records(paths: list[Path]) -> list[Any]:
    """Valid rows and quarantine items of the stream, in file and line order."""
    out: list[Any] = []
    for batch in iter_batches(paths):
        rows = [Record(**r, duplicate=bool(d)) for r, d in
                zip(batch.rows.to_pylist(), batch.duplicate, strict=True)]
        out.extend(sorted([*rows, *batch.quarantined], key=lambda i: getattr(
            i, "source_line", None) or i.line))
    return out


def line(reg: str = "R1", *, status: str = "booked", department: str = "心内科",
         name: str = "王芳", id_number: str = "11010519491231002X", booked: str =
         "2025-02-26 18:00:00.020") -> str:
    cells = [reg, "H01", department, "D1", "2025-03-05 08:00:00", "2025-02-26 18:00:00",
             booked, "", status, "", "300", name, id_number, "13800138000", "", "", "",
             "58.30.1.2", "pay1", "alipay", "", "", ""]
    return ",".join(f'"{c}"' if ("," in c or '"' in c or "\n" in c) else c for c in cells)


def write(tmp_path: Path, *lines: str, name: str = "export.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join([HEADER, *lines]) + "\n", encoding="utf-8")
    return path


@given(st.lists(st.tuples(st.integers(0, 300), st.integers(0, 3)), max_size=400))
def test_ledger_agrees_with_a_dict(pairs: list[tuple[int, int]]) -> None:
    ledger = RegistrationLedger(capacity=16)  # small: forces several resizes
    oracle: dict[str, int] = {}
    for key, content in pairs:
        k, h = f"H|{key}", blake2b(str(content).encode(), digest_size=16).hexdigest()
        expected = "new" if k not in oracle else ("same" if oracle[k] == content else "conflict")
        oracle.setdefault(k, content)
        assert ledger.see(k, h) == expected
    assert len(ledger) == len(oracle)


def test_exact_duplicate_is_valid_and_marked_a_conflict_is_quarantined(tmp_path: Path) -> None:
    path = write(tmp_path, line("R1"), line("R1"), line("R1", status="cancelled"), line("R2"))
    got = list(iter_records([path]))
    assert [type(i).__name__ for i in got] == ["Record", "Record", "QuarantineItem", "Record"]
    assert [getattr(i, "duplicate", None) for i in got] == [False, True, None, False]
    conflict = got[2]
    assert isinstance(conflict, QuarantineItem)
    assert (conflict.reason, conflict.line) == ("duplicate_conflict", 4)
    assert conflict.raw["status"] == "cancelled"


def test_duplicates_are_found_across_files(tmp_path: Path) -> None:
    a = write(tmp_path, line("R1"), name="a.csv")
    b = write(tmp_path, line("R1"), line("R1", booked="2025-02-26 18:00:01"), name="b.csv")
    counts = validate_paths([a, b])
    assert (counts.read, counts.valid, counts.duplicates, counts.quarantined) == (3, 2, 1, 1)
    assert counts.reasons == {"duplicate_conflict": 1}


def test_a_later_export_in_another_file_is_not_a_conflict(tmp_path: Path) -> None:
    day1 = write(tmp_path, line("R1"), name="day1.csv")
    day2 = write(tmp_path, line("R1", status="cancelled"), name="day2.csv")
    counts = validate_paths([day1, day2])
    assert (counts.read, counts.valid, counts.duplicates, counts.quarantined) == (2, 2, 0, 0)


def test_counts_check_fails_loudly_when_rows_go_missing() -> None:
    counts = IngestReport(read=3, valid=2, quarantined=0)
    with pytest.raises(InvariantError, match="read 3 != valid 2"):
        counts.check()
    counts = IngestReport(read=1, valid=0, quarantined=1)
    with pytest.raises(InvariantError, match="reasons sum 0"):
        counts.check()


def test_a_10mb_field_is_quarantined_with_a_truncated_raw(tmp_path: Path) -> None:
    huge = "备" * (10 * 1024 * 1024)
    path = tmp_path / "huge.csv"
    with path.open("w", encoding="utf-8") as out:
        out.write(HEADER + "\n" + line("R1") + "\n")
        out.write(line("R2").replace("心内科", f'"{huge}"', 1) + "\n")
        out.write(line("R3") + "\n")
    del huge
    qpath = tmp_path / "q.jsonl"
    counts = validate_paths([path], quarantine_path=qpath)
    assert (counts.read, counts.valid, counts.quarantined) == (3, 2, 1)
    (doc,) = [orjson.loads(x) for x in qpath.read_bytes().splitlines()]
    assert (doc["line"], doc["reason"]) == (3, "field_too_large")
    assert len(doc["raw"]["department"]) == 1024
    assert doc["truncated"] == ["department: 10485760 characters, first 1024 kept"]
    assert qpath.stat().st_size < 64 * 1024


def test_a_field_just_over_the_cap_is_quarantined_and_one_at_the_cap_is_not(
        tmp_path: Path) -> None:
    path = write(tmp_path, line("R1", department="x" * FIELD_CAP),
                 line("R2", department="x" * (FIELD_CAP + 1)))
    got = list(iter_records([path]))
    assert isinstance(got[0], Record)
    assert isinstance(got[1], QuarantineItem) and got[1].reason == "field_too_large"


def test_control_characters_and_injection_strings(tmp_path: Path) -> None:
    injections = ["'; MATCH (n) DETACH DELETE n //", "<script>alert(1)</script>"]
    path = write(tmp_path,
                 line("R1", department=injections[0], name="<script>"),
                 line("R2", department=injections[1]),
                 line("R3\x07"),
                 line("R4", name="王\x00芳"),
                 line("R5", department="心内\x0b科"))
    got = list(iter_records([path]))
    reasons = [i.reason if isinstance(i, QuarantineItem) else "valid" for i in got]
    assert reasons == ["valid", "valid", "control_characters:registration_id",
                       "control_characters:patient_name", "control_characters:department"]
    assert got[0].department == injections[0]  # type: ignore[union-attr]
    assert got[0].patient_name == "<script>"  # type: ignore[union-attr]


def test_quarantine_line_escapes_undecodable_bytes_and_keeps_the_source() -> None:
    item = QuarantineItem("a.csv", 7, {"patient_name": "王\udcff"}, "bad_encoding", "bad bytes")
    doc = orjson.loads(quarantine_line(item))
    assert doc == {"file": "a.csv", "line": 7, "raw": {"patient_name": "王\\udcff"},
                   "reason": "bad_encoding", "message": "bad bytes"}


def test_quarantine_writer_creates_nothing_without_items(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "q.jsonl"
    with QuarantineWriter(path) as writer:
        pass
    assert not path.exists() and writer.count == 0
    with QuarantineWriter(path) as writer:
        writer.write(QuarantineItem("a.csv", 2, ["x"], "row_shape", "1 cells where 23"))
    assert path.exists() and len(path.read_bytes().splitlines()) == 1


def test_a_row_of_a_million_cells_keeps_a_bounded_quarantine_line(tmp_path: Path) -> None:
    path = write(tmp_path, line("R1"), ",".join(["x"] * 1_000_000), line("R2"))
    qpath = tmp_path / "q.jsonl"
    counts = validate_paths([path], quarantine_path=qpath)
    assert (counts.read, counts.valid, counts.quarantined) == (3, 2, 1)
    (doc,) = [orjson.loads(x) for x in qpath.read_bytes().splitlines()]
    assert (doc["line"], doc["reason"]) == (3, "row_shape")
    assert qpath.stat().st_size < 64 * 1024
    assert doc["truncated"] and "kept" in doc["truncated"][0]
