"""The dry run's ledger on disk judges as one ledger in memory; conflicts are read again."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import numpy as np
import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scalpernet.errors import InputError
from scalpernet.ingest import blocks, spill, tally
from scalpernet.ingest.ledger import CONFLICT, SAME, BatchLedgers
from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.ingest.readers import ReadStats
from scalpernet.ingest.spill import HeldItems, SpilledLedger
from scalpernet.ingest.validate import validate_paths
from scalpernet.records import FIELDS

from .test_columns import counts_of_stream
from .test_dry_run import cells, csv_line

TODAY = date(2025, 6, 1)
# keys that differ in their top bits (partitions), in the bits of later splits, and 0 and 1
# (stored alike)
_POOL = np.array([0, 1, -1, 2**62, -(2**62), 2**58 + 5, 2**54 + 5, 2**50 + 5, 2**40 + 5,
                  2**33, 12345, -98765, 2**63 - 1, -(2**63)], dtype=np.int64)
_rows = st.lists(st.tuples(st.integers(0, len(_POOL) - 1), st.integers(0, 2)), max_size=60)


def one_ledger(files: list[list[tuple[int, int]]]) -> tuple[int, list[tuple[int, int]]]:
    """The reference: one ledger in memory judging the whole run in read order."""
    ledgers = BatchLedgers()
    duplicates, conflicts = 0, []
    for file, rows in enumerate(files):
        ledgers.start_file(first=file == 0)
        if not rows:
            continue
        verdicts = ledgers.judge(np.array([_POOL[k] for k, _ in rows], dtype=np.int64),
                                 np.array([v for _, v in rows], dtype=np.int64))
        duplicates += int(np.count_nonzero(verdicts == SAME))
        conflicts += [(file, line) for line in np.flatnonzero(verdicts == CONFLICT).tolist()]
    return duplicates, conflicts


@settings(max_examples=200, deadline=None)
@given(files=st.lists(_rows, min_size=1, max_size=4), buffer_rows=st.integers(1, 40),
       partition_keys=st.integers(1, 8), block=st.integers(1, 25))
def test_the_ledger_on_disk_judges_as_one_ledger_in_memory(
        tmp_path_factory: pytest.TempPathFactory, files: list[list[tuple[int, int]]],
        buffer_rows: int, partition_keys: int, block: int) -> None:
    folder = tmp_path_factory.mktemp("spill")
    ledger = SpilledLedger(folder, buffer_rows=buffer_rows, partition_keys=partition_keys)
    flag_of = {}
    for file, rows in enumerate(files):
        for start in range(0, len(rows), block):
            part = rows[start:start + block]
            lines = np.arange(start, start + len(part), dtype=np.int64)
            flags = (lines % 3).astype(np.int32)
            flag_of.update(((file, line), flag) for line, flag in
                           zip(lines.tolist(), flags.tolist(), strict=True))
            ledger.add(np.array([_POOL[k] for k, _ in part], dtype=np.int64),
                       np.array([v for _, v in part], dtype=np.int64), lines, file, flags)
    judged = ledger.judge()
    duplicates, conflicts = one_ledger(files)
    assert judged.duplicates == duplicates
    got = list(zip(judged.conflicts["file"].tolist(), judged.conflicts["line"].tolist(),
                   strict=True))
    assert got == conflicts  # in file and line order
    assert judged.conflicts["flags"].tolist() == [flag_of[c] for c in conflicts]
    assert not list(folder.glob("p*"))  # every partition's file is gone once judged


def test_a_partition_too_large_is_split_and_one_key_repeated_is_judged_whole(
        tmp_path: Path) -> None:
    rng = np.random.default_rng(3)
    distinct = rng.integers(-(2**63), 2**63 - 1, size=20_000, dtype=np.int64)
    keys = np.concatenate([distinct, distinct, np.full(3000, 77, dtype=np.int64)])
    contents = np.zeros(len(keys), dtype=np.int64)
    contents[-1] = 1  # the one key repeated: its last row conflicts
    ledger = SpilledLedger(tmp_path, buffer_rows=700, partition_keys=20)
    ledger.add(keys, contents, np.arange(len(keys), dtype=np.int64), 0,
               np.zeros(len(keys), dtype=np.int32))
    judged = ledger.judge()
    partitions = np.bincount(distinct.view(np.uint64) >> np.uint64(64 - spill.PARTITION_BITS))
    assert ledger.splits >= np.count_nonzero(partitions > 20) > 200  # ~80 each, parts ~5
    assert judged.duplicates == 20_000 + 2998
    assert judged.conflicts["line"].tolist() == [len(keys) - 1]


def test_held_items_come_back_as_they_went_in(tmp_path: Path) -> None:
    held = HeldItems(tmp_path)
    items = [(0, QuarantineItem("a.csv", 3, {"name": "x\udcff", "fee": "¥"}, "bad_fee", "m")),
             (2, QuarantineItem("b.csv", 9, ["cut", "short"], "row_shape", "m2"))]
    for file, item in items:
        held.add(file, item)
    assert list(held) == items
    assert list(HeldItems(tmp_path / "none")) == []  # nothing held: no file read


def multiline_export(path: Path) -> None:
    """Rows, every other one with a doctor ending in a line feed; the second half repeats
    the first half's registrations, every third with another fee: conflicts in blocks that
    follow a tail, in blocks that leave one, and in blocks of whole lines. A block read
    without the tail before it starts with the closing quote, which opens a field there."""
    doctor = [f"李医生{i}\n" if i % 2 else f"李医生{i}" for i in range(30)]
    rows = [cells(f"M{i}", doctor=doctor[i]) for i in range(30)]
    rows += [cells(f"M{i}", doctor=doctor[i], fee_yuan="¥400" if i % 3 == 0 else "¥300")
             for i in range(30)]
    rows.insert(40, cells("M99", status="?"))  # a quarantined row among the conflicts
    path.write_text("\n".join([csv_line(list(FIELDS)), *map(csv_line, rows)]) + "\n",
                    encoding="utf-8")


@pytest.mark.parametrize(("block_bytes", "workers"), [(90, 0), (300, 1), (700, 2), (1 << 18, 0)])
def test_conflicts_read_again_from_blocks_after_a_tail(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, block_bytes: int,
        workers: int) -> None:
    export = tmp_path / "exports" / "multi.csv"
    export.parent.mkdir()
    multiline_export(export)
    (tmp_path / "exports" / "later.csv").write_bytes(export.read_bytes())  # another file
    want = counts_of_stream([export.parent], tmp_path / "want.jsonl")
    monkeypatch.setattr(blocks, "BLOCK_BYTES", block_bytes)
    monkeypatch.setattr(spill, "BUFFER_ROWS", 7)  # the records go to the partitions' files
    monkeypatch.setattr(spill, "PARTITION_KEYS", 3)  # and partitions are split
    got = validate_paths([export.parent], quarantine_path=tmp_path / "got.jsonl",
                         today=TODAY, workers=workers)
    assert (got.read, got.valid, got.quarantined, got.duplicates, got.reasons,
            got.flags) == want
    # per file 10 conflicts; repeats: 20 in the first file, all 50 kept rows in the later one
    assert got.reasons["duplicate_conflict"] == 20 and got.duplicates == 20 + 50
    assert (tmp_path / "got.jsonl").read_bytes() == (tmp_path / "want.jsonl").read_bytes()
    first = orjson.loads((tmp_path / "got.jsonl").read_bytes().splitlines()[0])
    assert (first["reason"], first["raw"]["doctor"]) == ("duplicate_conflict", "李医生0")


def test_a_file_changed_before_its_conflicts_are_read_again_is_an_error(
        tmp_path: Path) -> None:
    export = tmp_path / "multi.csv"
    multiline_export(export)
    stream = tally.tally_paths([export], None, TODAY, ReadStats(), workers=0)
    for item in stream:
        if type(item) is tuple and item[0] < 0:  # judged; the conflicts are read next
            stat = export.stat()
            os.utime(export, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1))
            break
    with pytest.raises(InputError, match="changed while it was read"):
        list(stream)


@pytest.mark.parametrize("suffix", [".jsonl", ".parquet"])
def test_conflicts_in_json_lines_and_parquet_are_read_again(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, suffix: str) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    rows = [dict(zip(FIELDS, cells(f"J{i % 40}", fee_yuan=f"¥{300 + (i >= 40 and i % 4 == 0)}"),
                     strict=True)) for i in range(80)]
    export = tmp_path / "exports" / f"rows{suffix}"
    export.parent.mkdir()
    if suffix == ".jsonl":
        export.write_bytes(b"\n".join(map(orjson.dumps, rows)) + b"\n")
    else:
        pq.write_table(pa.Table.from_pylist(rows), export)
    want = counts_of_stream([export], tmp_path / "want.jsonl")
    monkeypatch.setattr(tally, "BATCH_ROWS", 7)
    monkeypatch.setattr(spill, "BUFFER_ROWS", 5)
    got = validate_paths([export], quarantine_path=tmp_path / "got.jsonl", today=TODAY,
                         workers=1)
    assert (got.read, got.valid, got.quarantined, got.duplicates, got.reasons,
            got.flags) == want
    assert got.reasons == {"duplicate_conflict": 10} and got.duplicates == 30
    assert (tmp_path / "got.jsonl").read_bytes() == (tmp_path / "want.jsonl").read_bytes()
