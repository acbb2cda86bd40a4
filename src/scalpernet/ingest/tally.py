"""The dry run's stream: blocks of an export tallied in worker processes, settled in order.

The reading process only cuts delimited files into blocks of lines
(:mod:`scalpernet.ingest.blocks`); worker processes split them into cells, validate them
column by column and send back a :class:`BlockTally`: per valid row only a key hash and a
content value (two numpy arrays), the block's flags and its quarantined rows. The reading
process then judges duplicates for the whole block at once (:mod:`scalpernet.ingest.ledger`)
in read order, so the results never depend on the number of workers. JSON Lines and Parquet
files are read in this process and their rows tallied the same way.
"""

from __future__ import annotations

import heapq
import multiprocessing as mp
import os
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice
from operator import attrgetter
from pathlib import Path

import numpy as np

from scalpernet.ingest import blocks as block_parser
from scalpernet.ingest.blocks import Block
from scalpernet.ingest.columns import Tallies, tally_batch
from scalpernet.ingest.ledger import CONFLICT, SAME, BatchLedgers
from scalpernet.ingest.quarantine import QuarantineItem
from scalpernet.ingest.readers import (
    CsvSpec,
    Layout,
    RawRow,
    ReadStats,
    open_csv,
    read_file,
    source_files,
)

#: Rows of a JSON Lines or Parquet file tallied together.
BATCH_ROWS = 2048

_CONFLICT = "registration key seen earlier in this file with different content"


def conflict(row: RawRow) -> QuarantineItem:
    """The quarantine item for a row whose booking this file already holds otherwise."""
    return QuarantineItem(row.file, row.line, row.raw(), "duplicate_conflict", _CONFLICT)


def groups(rows: Sequence[RawRow]) -> Iterator[
        tuple[list[RawRow], list[Sequence[str]], list[dict[str, str]] | None]]:
    """Consecutive rows of one file and layout, with their cells as columns in
    :data:`~scalpernet.records.FIELDS` order and their unknown columns (``None``: none)."""
    start = 0
    while start < len(rows):
        layout, file = rows[start].layout, rows[start].file
        end = start + 1
        while end < len(rows) and rows[end].layout is layout and rows[end].file == file:
            end += 1
        group = rows[start:end]
        cells = list(chain.from_iterable(map(attrgetter("cells"), group)))
        yield list(group), *columns_of(cells, layout, len(group))
        start = end


def columns_of(cells: list[str], layout: Layout, n: int
               ) -> tuple[list[Sequence[str]], list[dict[str, str]] | None]:
    """``n`` rows of ``layout``'s width given as their cells, flat: their columns in
    :data:`~scalpernet.records.FIELDS` order and their unknown columns (``None``: none)."""
    width = layout.width
    empty = ("",) * n
    # column i is every width-th cell from i
    columns: list[Sequence[str]] = [cells[i::width] if i < width else empty
                                    for i in layout.indexes]
    if not layout.extra:
        return columns, None
    indexes, names = zip(*layout.extra, strict=True)
    return columns, [dict(zip(names, values, strict=True))
                     for values in zip(*(cells[i::width] for i in indexes), strict=True)]


@dataclass(slots=True)
class BlockTally:
    """What counting needs of a block or batch of rows.

    ``keys``, ``contents`` and ``lines``: per valid row in order, its key value and
    content value (see :data:`~scalpernet.ingest.columns.Tally`; equal keys or contents,
    equal values: workers are forked, so they hash as this process does) and its line.
    ``flags`` counts the valid rows' flags; ``flagged`` holds them per valid row that has
    any. ``items``: the block's quarantined rows in line order. ``tail``: the lines of a
    row the block left unfinished (see :mod:`scalpernet.ingest.blocks`).
    """

    keys: np.ndarray
    contents: np.ndarray
    lines: np.ndarray
    flags: Counter[str] = field(default_factory=Counter)
    flagged: dict[int, tuple[str, ...]] = field(default_factory=dict)
    items: list[QuarantineItem] = field(default_factory=list)
    blank: int = 0
    tail: Block | None = None


def tally_rows(rows: Sequence[RawRow | QuarantineItem], today: date) -> BlockTally:
    """Validate rows (a reader's quarantine items pass through) and tally them."""
    raw: list[RawRow] = [r for r in rows if type(r) is RawRow]  # type: ignore[misc]
    tallied = _Tallied()
    for group, columns, extras in groups(raw):
        tallied.add(tally_batch(columns, extras, today=today),
                    lambda i, group=group: (group[i].file, group[i].line, group[i].raw()))
    lines = np.fromiter(map(attrgetter("line"), raw), dtype=np.int64, count=len(raw))
    read_items = [r for r in rows if type(r) is QuarantineItem]
    return tallied.finish(lines, read_items)


def tally_cells(spec: CsvSpec, start: int, cells: list[str], offsets: np.ndarray,
                today: date) -> BlockTally:
    """Validate and tally rows of a delimited file given as their cells, flat, the rows on
    lines ``start + 1 + offsets`` (see :func:`~scalpernet.ingest.blocks.plain_cells`)."""
    layout = spec.layout
    width = layout.width
    n = len(offsets)
    columns, extras = columns_of(cells, layout, n)
    lines = offsets + (start + 1)

    def raw(i: int) -> tuple[str, int, dict[str, str]]:
        row = cells[i * width:(i + 1) * width]
        return spec.source, int(lines[i]), dict(zip(layout.headers, row, strict=True))

    tallied = _Tallied()
    if n:
        tallied.add(tally_batch(columns, extras, today=today), raw)
    return tallied.finish(lines, [])


class _Tallied:
    """Batch tallies gathered into one :class:`BlockTally`."""

    def __init__(self) -> None:
        self.keys: list[int] = []
        self.contents: list[int] = []
        self.flagged: dict[int, tuple[str, ...]] = {}
        self.errors: list[QuarantineItem] = []

    def add(self, got: Tallies,
            raw: Callable[[int], tuple[str, int, dict[str, str]]]) -> None:
        """One batch's tallies; ``raw(i)``: its row ``i``'s file, line and cells by header."""
        offset = len(self.keys)
        self.keys += got.keys
        self.contents += got.contents
        self.flagged.update((offset + i, f) for i, f in got.flags.items())
        self.errors += [QuarantineItem(*raw(i), e.code, e.message)
                        for i, e in sorted(got.errors.items())]

    def finish(self, lines: np.ndarray, read_items: list[QuarantineItem]) -> BlockTally:
        """The tally of rows on ``lines`` (all rows added, in the order added) and the
        reader's own quarantine items (in line order)."""
        flagged, errors = self.flagged, self.errors
        key_hashes = np.fromiter(self.keys, dtype=np.int64, count=len(self.keys))
        content_values = np.array(self.contents, dtype=np.int64)
        if len(lines) > 1 and np.any(lines[1:] < lines[:-1]):  # rows added out of line order
            order = np.argsort(lines, kind="stable")
            rank = np.empty_like(order)
            rank[order] = np.arange(len(order))
            lines, key_hashes, content_values = lines[order], key_hashes[order], \
                content_values[order]
            flagged = {int(rank[i]): f for i, f in flagged.items()}
            errors = sorted(errors, key=attrgetter("line"))
        if errors:  # keep the valid rows only, and renumber the flagged ones among them
            bad = np.isin(lines, [item.line for item in errors])
            position = np.cumsum(~bad) - 1
            flagged = {int(position[i]): f for i, f in flagged.items() if not bad[i]}
            lines, key_hashes, content_values = lines[~bad], key_hashes[~bad], \
                content_values[~bad]
        flags: Counter[str] = Counter()
        for row_flags in flagged.values():
            flags.update(row_flags)
        items = list(heapq.merge(read_items, errors, key=attrgetter("line"))) if errors \
            else read_items
        return BlockTally(key_hashes, content_values, lines, flags, flagged, items)


def tally_block(spec: CsvSpec, block: Block, today: date) -> BlockTally:
    """Parse a block of a delimited file and tally its rows (runs in a worker)."""
    plain = block_parser.plain_cells(spec, block)
    if plain is not None:
        return tally_cells(spec, block.start, *plain, today)
    stats = ReadStats()
    rows, tail = block_parser.parse(spec, block, stats)
    tallied = tally_rows(rows, today)
    tallied.blank, tallied.tail = stats.blank, tail
    return tallied


def default_workers() -> int:
    """Worker processes for a dry run: one per CPU, at most 4, none on a single CPU (the
    reading process only cuts blocks and judges duplicates, a small share of the work)."""
    if "fork" not in mp.get_all_start_methods():
        return 0  # workers must share this process's string hashing (see BlockTally)
    cpus = os.cpu_count() or 1
    return 0 if cpus < 2 else min(cpus, 4)


@dataclass(slots=True)
class _Pending:
    """A block or batch read, and its tally: computed here, or a worker's future."""

    file_index: int
    starts_file: bool
    spec: CsvSpec | None  # None: ``rows`` were read by another reader
    block: Block | None
    rows: list[RawRow | QuarantineItem] | None
    tally: BlockTally | Future[BlockTally]

    def ready(self) -> bool:
        return type(self.tally) is BlockTally or self.tally.done()  # type: ignore[union-attr]

    def result(self) -> BlockTally:
        return self.tally if type(self.tally) is BlockTally else self.tally.result()  # type: ignore[union-attr,return-value]


class _Settler:
    """Judges tallies in read order; redoes the block after one that left a tail."""

    def __init__(self, today: date, stats: ReadStats) -> None:
        self.today, self.stats = today, stats
        self.ledgers = BatchLedgers()
        self.tail: Block | None = None

    def settle(self, pending: _Pending
               ) -> Iterator[tuple[int, int, Counter[str]] | QuarantineItem]:
        if pending.starts_file:
            self.ledgers.start_file(first=pending.file_index == 0)
        if self.tail is not None:  # the worker parsed this block from the wrong line
            assert pending.spec is not None and pending.block is not None
            pending.block = block_parser.join(self.tail, pending.block)
            tallied = tally_block(pending.spec, pending.block, self.today)
        else:
            tallied = pending.result()
        self.tail = tallied.tail
        self.stats.blank += tallied.blank
        verdicts = self.ledgers.judge(tallied.keys, tallied.contents)
        conflicts = np.flatnonzero(verdicts == CONFLICT).tolist()
        flags = tallied.flags
        items: Iterable[QuarantineItem] = tallied.items
        if conflicts:
            lines = set(tallied.lines[conflicts].tolist())
            for i in conflicts:
                flags.subtract(tallied.flagged.get(i, ()))
            flags = +flags
            found = [conflict(row) for row in self._rows(pending)  # type: ignore[arg-type]
                     if type(row) is RawRow and row.line in lines]
            items = heapq.merge(tallied.items, found, key=attrgetter("line"))
        yield from items
        yield (len(tallied.keys) - len(conflicts), int(np.count_nonzero(verdicts == SAME)),
               flags)

    def _rows(self, pending: _Pending) -> list[RawRow | QuarantineItem]:
        if pending.rows is not None:
            return pending.rows
        assert pending.spec is not None and pending.block is not None
        return block_parser.parse(pending.spec, pending.block)[0]


def tally_paths(paths: Iterable[Path | str], mapping: dict[str, str] | None, today: date,
                stats: ReadStats, workers: int, lines_per_block: int | None = None,
                ) -> Iterator[tuple[int, int, Counter[str]] | QuarantineItem]:
    """The dry run's stream: each quarantined row as its item, and per block the valid
    rows as ``(valid, exact duplicates, flags)``: the counts
    :func:`~scalpernet.ingest.validate.iter_records` would give.

    Blocks are tallied in ``workers`` processes (here when 0, or for a file of one block)
    while this one reads on, at most two blocks a worker ahead; duplicates are judged here,
    in read order.
    """
    lines_per_block = lines_per_block or block_parser.BLOCK_LINES
    settler = _Settler(today, stats)
    pool: ProcessPoolExecutor | None = None
    queue: deque[_Pending] = deque()

    def submit(spec: CsvSpec | None, block: Block | None,
               rows: list[RawRow | QuarantineItem] | None) -> BlockTally | Future[BlockTally]:
        nonlocal pool
        # no processes for a file of one block
        if pool is None and workers and (len(rows) == BATCH_ROWS if block is None  # type: ignore[arg-type]
                                         else not block.final):
            pool = ProcessPoolExecutor(workers, mp_context=mp.get_context("fork"))
        if pool is None:
            if spec is not None:
                return tally_block(spec, block, today)  # type: ignore[arg-type]
            return tally_rows(rows, today)  # type: ignore[arg-type]
        if spec is not None:
            return pool.submit(tally_block, spec, block, today)
        return pool.submit(tally_rows, rows, today)  # type: ignore[arg-type]

    try:
        for index, path in enumerate(source_files(paths)):
            starts_file = True
            for spec, block, rows in _read(path, mapping, stats, lines_per_block):
                queue.append(_Pending(index, starts_file, spec, block, rows,
                                      submit(spec, block, rows)))
                starts_file = False
                # settle what is done; wait while every worker has two blocks
                while queue and (len(queue) > 2 * workers or queue[0].ready()):
                    yield from settler.settle(queue.popleft())
        while queue:
            yield from settler.settle(queue.popleft())
    finally:
        if pool is not None:
            pool.shutdown(cancel_futures=True)


def _read(path: Path, mapping: dict[str, str] | None, stats: ReadStats, lines_per_block: int,
          ) -> Iterator[tuple[CsvSpec | None, Block | None, list[RawRow | QuarantineItem] | None]]:
    """A file as blocks (delimited text) or as batches of rows (JSON Lines, Parquet)."""
    suffix = path.suffix.lower()
    if suffix in (".parquet", ".jsonl", ".ndjson"):
        rows = read_file(path, mapping, stats)
        while batch := list(islice(rows, BATCH_ROWS)):
            yield None, None, batch
        return
    stats.files += 1
    with open_csv(path, mapping, stats) as opened:
        if opened is None:
            return
        for block in block_parser.blocks(opened, lines_per_block):
            yield opened.spec, block, None
