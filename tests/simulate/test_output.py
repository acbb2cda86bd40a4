"""The files: contract columns and formats, exact counts, determinism per seed."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from scalpernet.cli import app
from scalpernet.records import FIELDS
from scalpernet.simulate import WorldParams, simulate
from scalpernet.simulate.bookings import COLUMNS

from .conftest import RECORDS, City

ISO_MS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+08:00")


def _bytes(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_columns_are_the_contract_fields(city: City) -> None:
    assert COLUMNS == FIELDS
    assert list(city.rows[0]) == list(FIELDS)


def test_exact_record_count_in_several_files(city: City) -> None:
    assert city.summary.records == RECORDS == len(city.rows)
    assert len(city.summary.files) >= 3
    assert all(f.name.startswith("registrations_") for f in city.summary.files)


def test_datetimes_are_iso_with_offset_and_milliseconds(city: City) -> None:
    for row in city.rows[::50]:
        for column in ("slot_time", "released_at", "booked_at", "paid_at", "cancelled_at"):
            assert row[column] == "" or ISO_MS.fullmatch(row[column]), (column, row[column])
    assert all(r["slot_time"] and r["booked_at"] and r["released_at"] for r in city.rows)


def test_registration_ids_unique_per_hospital(city: City) -> None:
    keys = [(r["hospital"], r["registration_id"]) for r in city.rows]
    assert len(set(keys)) == len(keys)


def test_same_seed_same_bytes_any_worker_count(tmp_path: Path) -> None:
    a = simulate(tmp_path / "a", records=3_000, seed=5, workers=1)
    simulate(tmp_path / "b", records=3_000, seed=5, workers=2)
    simulate(tmp_path / "c", records=3_000, seed=6, workers=1)
    first, second, other = (_bytes(tmp_path / x) for x in "abc")
    assert len(a.files) >= 3 and first == second
    assert first.keys() == other.keys()
    assert all(first[name] != other[name] for name in first)


@pytest.mark.parametrize("fmt", ["jsonl", "parquet"])
def test_formats_hold_the_same_rows(tmp_path: Path, fmt: str) -> None:
    csv_city = simulate(tmp_path / "csv", records=1_000, seed=2, fmt="csv")
    other = simulate(tmp_path / fmt, records=1_000, seed=2, fmt=fmt)
    from .conftest import read_rows

    expected = [{k: (v or None) for k, v in r.items()} for r in read_rows(csv_city.files)]
    got: list[dict] = []
    for path in other.files:
        if fmt == "jsonl":
            got.extend(json.loads(line) for line in path.read_text(encoding="utf-8").splitlines())
        else:
            got.extend(pq.read_table(path).to_pylist())
    assert got == expected
    assert (tmp_path / "csv" / "truth.json").read_bytes().replace(b'"csv"', b"") == (
        tmp_path / fmt / "truth.json").read_bytes().replace(f'"{fmt}"'.encode(), b"")


def test_rows_per_file_rotates(tmp_path: Path) -> None:
    summary = simulate(tmp_path, records=2_000, seed=1, params=WorldParams(rows_per_file=300))
    assert len(summary.files) > 3
    assert sum(len(f.read_text(encoding="utf-8").splitlines()) - 1 for f in summary.files) == 2_000


def test_too_few_records_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="records"):
        simulate(tmp_path, records=10)


def test_cli_prints_what_it_wrote(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--records", "1500",
                                      "--seed", "4", "--format", "jsonl"])
    assert result.exit_code == 0, result.output
    assert "truth.json" in result.output
    assert re.search(r"1500 records, 3 hospitals, \d+ days, \d+ gangs", result.output)
    assert len(list(tmp_path.glob("registrations_*.jsonl"))) == 3


def test_cli_refuses_unknown_format(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--format", "xml"])
    assert result.exit_code == 1
    assert not list(tmp_path.iterdir())


def test_output_does_not_depend_on_string_hashing(tmp_path: Path) -> None:
    """Another process with another PYTHONHASHSEED writes the same bytes."""
    import os
    import subprocess
    import sys

    simulate(tmp_path / "here", records=1_500, seed=8, workers=1)
    code = ("import sys; from scalpernet.simulate import simulate; "
            "simulate(sys.argv[1], records=1_500, seed=8, workers=1)")
    env = dict(os.environ, PYTHONHASHSEED="12345")
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], check=True, env=env)
    assert _bytes(tmp_path / "here") == _bytes(tmp_path / "there")
