"""Identifiers given as numbers (Parquet, JSON Lines): read as their digits exactly, or
quarantined with a reason; never keyed as some other number."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.ingest.validate import iter_batches
from scalpernet.records import FIELDS

ROW = ["R1", "H01", "心内科", "D1", "2025-03-05 08:00:00", "", "2025-02-26 18:00:00.020", "",
       "booked", "", "300", "王芳", "11010519491231002X", "17616710332", "", "", "", "", "",
       "", "", "", ""]


def outcome(path: Path) -> list[tuple[int, str]]:
    """(line, phone key or quarantine reason) per row."""
    got: list[tuple[int, str]] = []
    for batch in iter_batches([path]):
        got += [(r["source_line"], r["phone"]) for r in batch.rows.to_pylist()]
        got += [(i.line, i.reason) for i in batch.quarantined if isinstance(i, QuarantineItem)]
    return sorted(got)


def table(phone: pa.Array, **columns: pa.Array) -> pa.Table:
    data = {f: pa.array([v] * len(phone)) for f, v in zip(FIELDS, ROW, strict=True)}
    ids = pa.array([f"R{i}" for i in range(len(phone))])
    return pa.table({**data, "registration_id": ids, "phone": phone, **columns})


def test_a_float64_phone_column_keeps_its_digits(tmp_path: Path) -> None:
    path = tmp_path / "float.parquet"
    pq.write_table(table(pa.array([1.7616710332e10, 13800138000.0, None])), path)
    assert outcome(path) == [(1, "17616710332"), (2, "13800138000"), (3, None)]


def test_inexact_numbers_in_identifier_columns_are_quarantined(tmp_path: Path) -> None:
    path = tmp_path / "inexact.parquet"
    pq.write_table(table(pa.array([13800138000.5, 2.0**60, 17616710332.0])), path)
    assert outcome(path) == [(1, "inexact_number:phone"), (2, "inexact_number:phone"),
                             (3, "17616710332")]


def test_decimal_and_unsigned_identifiers(tmp_path: Path) -> None:
    decimals = tmp_path / "decimal.parquet"
    pq.write_table(table(pa.array([Decimal("17616710332.00"), Decimal("17616710332.50")],
                                  pa.decimal128(14, 2))), decimals)
    assert outcome(decimals) == [(1, "17616710332"), (2, "inexact_number:phone")]
    unsigned = tmp_path / "unsigned.parquet"
    pq.write_table(table(pa.array([17616710332, 2**64 - 1], pa.uint64())), unsigned)
    assert outcome(unsigned) == [(1, "17616710332"), (2, "inexact_number:phone")]


def test_an_id_number_as_int64_keeps_every_digit(tmp_path: Path) -> None:
    path = tmp_path / "ids.parquet"
    pq.write_table(table(pa.array(["13800138000"]),
                         id_number=pa.array([110105194912310021], pa.int64())), path)
    (batch,) = [b for b in iter_batches([path]) if b.rows.num_rows]
    assert batch.rows.column("id_card").to_pylist() == ["110105194912310021"]


def test_json_numbers_in_identifier_fields(tmp_path: Path) -> None:
    base = dict(zip(FIELDS, ROW, strict=True))
    lines = [orjson.dumps({**base, "phone": 1.7616710332e10}),
             orjson.dumps({**base, "registration_id": "R2", "phone": 13800138000.5}),
             orjson.dumps({**base, "registration_id": "R3", "phone": 1e17}),
             orjson.dumps({**base, "registration_id": "R4"}).replace(
                 b'"17616710332"', b"123456789012345678901234"),
             orjson.dumps({**base, "registration_id": "R5", "phone": 13800138000})]
    path = tmp_path / "typed.jsonl"
    path.write_bytes(b"\n".join(lines) + b"\n")
    assert outcome(path) == [(1, "17616710332"), (2, "inexact_number:phone"),
                             (3, "inexact_number:phone"), (4, "inexact_number:phone"),
                             (5, "13800138000")]
