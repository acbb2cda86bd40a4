"""Finding 1: identifiers given as numbers are keyed as their digits exactly, or quarantined.

A float64 phone column and the same phone written by a spreadsheet into a CSV must reach
the one Phone node the plain CSV export links to."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from scalpernet.graph import Graph
from scalpernet.ingest.pipeline import ingest_paths
from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.ingest.validate import iter_batches
from tests.ingest.exports import HEADER, row


def outcome(path: Path) -> list[tuple[int, str | None]]:
    """(line, phone key or quarantine reason) per row, in line order."""
    got: list[tuple[int, str | None]] = []
    for batch in iter_batches([path]):
        got += [(r["source_line"], r["phone"]) for r in batch.rows.to_pylist()]
        got += [(i.line, i.reason) for i in batch.quarantined if isinstance(i, QuarantineItem)]
    return sorted(got)


def _csv(path: Path, phones: list[str], prefix: str = "T") -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i, phone in enumerate(phones):
            cells = row(i, prefix)
            cells[HEADER.index("phone")] = phone
            out.writerow(cells)
    return path


def _parquet(path: Path, phone: pa.Array, prefix: str = "P") -> Path:
    rows = [row(i, prefix) for i in range(len(phone))]
    data = {h: pa.array([r[j] for r in rows]) for j, h in enumerate(HEADER)}
    pq.write_table(pa.table({**data, "phone": phone}), path)
    return path


def test_spreadsheet_numbers_in_a_text_export_keep_their_digits(tmp_path: Path) -> None:
    path = _csv(tmp_path / "excel.csv", ["1.7616710332E+10", "17616710332.0", "1.76167E+10",
                                          "0755.83412345", "1.3800138e10", "13800138000"])
    assert outcome(path) == [(2, "17616710332"), (3, "17616710332"),
                             (4, "inexact_number:phone"), (5, "075583412345"),
                             (6, "inexact_number:phone"), (7, "13800138000")]


def test_a_float32_phone_column_cannot_hold_eleven_digits(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "f32.parquet",
                    pa.array([17616710332.0, 13800138000.0, float("nan")], pa.float32()))
    assert outcome(path) == [(1, "inexact_number:phone"), (2, "inexact_number:phone"),
                             (3, None)]


def test_a_nan_in_a_float64_phone_column_is_an_empty_phone(tmp_path: Path) -> None:
    path = _parquet(tmp_path / "nan.parquet", pa.array([17616710332.0, float("nan")]))
    assert outcome(path) == [(1, "17616710332"), (2, None)]


def test_typed_and_text_exports_link_to_one_phone(empty_graph: Graph, tmp_path: Path) -> None:
    exports = [_parquet(tmp_path / "a.parquet", pa.array([1.7616710332e10] * 3), "P"),
               _csv(tmp_path / "b.csv", ["1.7616710332E+10"] * 2, "E"),
               _csv(tmp_path / "c.csv", ["17616710332"], "C")]
    report = ingest_paths(empty_graph, exports, quarantine_path=tmp_path / "q.jsonl")
    assert (report.read, report.ingested, report.quarantined) == (6, 6, 0)
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (p:Phone)<-[:CONTACT]-(r:Registration) RETURN p.key AS key, count(r) AS n",
        database_=empty_graph.database)
    assert [(r["key"], r["n"]) for r in records] == [("17616710332", 6)]
