"""The dry run's stream: blocks of an export tallied in worker processes, settled in order.

The reading process only cuts delimited files into blocks of lines
(:mod:`scalpernet.ingest.blocks`); worker processes split them into cells, validate them
column by column and send back a :class:`BlockTally`: per valid row only a key hash and a
content value (two numpy arrays), the block's flags and its quarantined rows. The reading
process counts them in read order and keeps the valid rows' records and the quarantined rows
on disk; once everything is read it judges duplicates (:mod:`scalpernet.ingest.spill`), reads
the conflicting rows again, and gives every quarantined row in file and line order. So memory
stays flat in the exports' size, and the results never depend on the number of workers.
JSON Lines and Parquet files are read in this process and their rows tallied the same way.
"""

from __future__ import annotations

import heapq
import multiprocessing as mp
import os
import sys
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from itertools import chain, islice
from operator import attrgetter
from pathlib import Path

import numpy as np

from scalpernet.errors import InputError
from scalpernet.ingest import blocks as block_parser
from scalpernet.ingest.blocks import Block
from scalpernet.ingest.columns import Tallies, tally_batch
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
from scalpernet.ingest.spill import HeldItems, SpilledLedger, scratch_folder

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
    row the block left unfinished (see :mod:`scalpernet.ingest.blocks`). ``plain``: the
    block was split by :func:`~scalpernet.ingest.blocks.plain_cells`.
    """

    keys: np.ndarray
    contents: np.ndarray
    lines: np.ndarray
    flags: Counter[str] = field(default_factory=Counter)
    flagged: dict[int, tuple[str, ...]] = field(default_factory=dict)
    items: list[QuarantineItem] = field(default_factory=list)
    blank: int = 0
    tail: Block | None = None
    plain: bool = False


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
        tallied = tally_cells(spec, block.start, *plain, today)
        tallied.plain = True
        return tallied
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
    """A block or batch read (``ordinal``: its place in the file), and its tally: computed
    here, or a worker's future."""

    file_index: int
    ordinal: int
    spec: CsvSpec | None  # None: ``rows`` were read by another reader
    block: Block | None
    rows: list[RawRow | QuarantineItem] | None
    tally: BlockTally | Future[BlockTally]

    def ready(self) -> bool:
        return type(self.tally) is BlockTally or self.tally.done()  # type: ignore[union-attr]

    def result(self) -> BlockTally:
        return self.tally if type(self.tally) is BlockTally else self.tally.result()  # type: ignore[union-attr,return-value]


#: What the stream yields for counting: ``(valid, exact duplicates, flags, quarantined
#: rows by reason)``.
Counted = tuple[int, int, Counter[str], Counter[str]]


class _Settler:
    """Takes tallies in read order and holds their valid rows' records and quarantine items
    on disk (``folder``) until the end; redoes the block after one that left a tail."""

    def __init__(self, today: date, stats: ReadStats, folder: Path) -> None:
        self.today, self.stats = today, stats
        self.ledger = SpilledLedger(folder)
        self.held = HeldItems(folder)
        self.flag_sets: dict[tuple[str, ...], int] = {(): 0}
        self.joined: defaultdict[int, set[int]] = defaultdict(set)  # blocks redone, by file
        self.parsed: defaultdict[int, set[int]] = defaultdict(set)  # blocks not plain
        self.tail: Block | None = None

    def settle(self, pending: _Pending) -> Counted:
        if self.tail is not None:  # the worker parsed this block from the wrong line
            assert pending.spec is not None and pending.block is not None
            self.joined[pending.file_index].add(pending.ordinal)
            pending.block = block_parser.join(self.tail, pending.block)
            tallied = tally_block(pending.spec, pending.block, self.today)
        else:
            tallied = pending.result()
        self.tail = tallied.tail
        self.stats.blank += tallied.blank
        if not tallied.plain and pending.spec is not None:
            self.parsed[pending.file_index].add(pending.ordinal)
        flag_sets = np.zeros(len(tallied.keys), dtype=np.int32)
        if tallied.flagged:
            ids = self.flag_sets
            flag_sets[list(tallied.flagged)] = [ids.setdefault(f, len(ids))
                                                for f in tallied.flagged.values()]
        self.ledger.add(tallied.keys, tallied.contents, tallied.lines, pending.file_index,
                        flag_sets)
        for item in tallied.items:
            self.held.add(pending.file_index, item)
        return len(tallied.keys), 0, tallied.flags, Counter(
            item.reason for item in tallied.items)

    def finish(self, reread: Callable[[int, np.ndarray, set[int], set[int]],
                                      Iterator[QuarantineItem]]
               ) -> Iterator[Counted | QuarantineItem]:
        """The run's duplicates and conflicts counted, then every quarantined row's item in
        read order. ``reread(file, lines, joined, parsed)`` gives the conflict items of a
        file's rows on ``lines``; ``joined`` and ``parsed``: the ordinals of its blocks that
        were redone after a tail, and of those that were not plain."""
        judged = self.ledger.judge()
        conflicts = judged.conflicts
        flags: Counter[str] = Counter()
        codes = list(self.flag_sets)
        for flag_set, n in enumerate(np.bincount(conflicts["flags"]).tolist()):
            for code in codes[flag_set] if n else ():
                flags[code] -= n
        yield -len(conflicts), judged.duplicates, flags, Counter(
            {"duplicate_conflict": len(conflicts)} if len(conflicts) else {})

        def found() -> Iterator[tuple[int, QuarantineItem]]:
            files = conflicts["file"]
            for file in np.unique(files).tolist():
                for item in reread(file, conflicts["line"][files == file], self.joined[file],
                                   self.parsed[file]):
                    yield file, item

        for _, item in heapq.merge(self.held, found(),
                                   key=lambda held: (held[0], held[1].line)):
            yield item

    def close(self) -> None:
        self.held.close()


def tally_paths(paths: Iterable[Path | str], mapping: dict[str, str] | None, today: date,
                stats: ReadStats, workers: int, lines_per_block: int | None = None,
                ) -> Iterator[Counted | QuarantineItem]:
    """The dry run's stream: the counts :func:`~scalpernet.ingest.validate.iter_records`
    would give, then the quarantined rows.

    While the exports are read, each block is counted as ``(valid, 0, flags, reasons)``.
    Duplicates are judged once all is read (:mod:`scalpernet.ingest.spill`); a last count,
    ``(-conflicts, exact duplicates, -their flags, {"duplicate_conflict": conflicts})``,
    moves the rows found to conflict from the valid rows to the quarantined ones. Then every
    quarantined row's item follows (already counted), in file and line order. Blocks are
    tallied in ``workers`` processes (here when 0, or for a file of one block) while this
    one reads on, at most two blocks a worker ahead; the results never depend on the number
    of workers.
    """
    lines_per_block = lines_per_block or block_parser.BLOCK_LINES
    files = source_files(paths)
    versions: list[tuple[int, int]] = []
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

    def reread(file: int, lines: np.ndarray, joined: set[int], parsed: set[int]
               ) -> Iterator[QuarantineItem]:
        return _conflict_rows(files[file], versions[file], mapping, lines_per_block, lines,
                              joined, parsed)

    with scratch_folder() as folder:
        settler = _Settler(today, stats, Path(folder))
        try:
            for index, path in enumerate(files):
                versions.append(_version(path))
                for ordinal, (spec, block, rows) in enumerate(
                        _read(path, mapping, stats, lines_per_block)):
                    queue.append(_Pending(index, ordinal, spec, block, rows,
                                          submit(spec, block, rows)))
                    # settle what is done; wait while every worker has two blocks
                    while queue and (len(queue) > 2 * workers or queue[0].ready()):
                        yield settler.settle(queue.popleft())
            while queue:
                yield settler.settle(queue.popleft())
            if pool is not None:  # every block is settled: the workers go before judging
                pool.shutdown()
                pool = None
            yield from settler.finish(reread)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
            settler.close()


def _version(path: Path) -> tuple[int, int]:
    stat = path.stat()
    return stat.st_size, stat.st_mtime_ns


def _conflict_rows(path: Path, version: tuple[int, int], mapping: dict[str, str] | None,
                   lines_per_block: int, lines: np.ndarray, joined: set[int],
                   parsed: set[int]) -> Iterator[QuarantineItem]:
    """The conflict items of a file's rows on ``lines`` (in order), read again as the run
    read them. Only the blocks holding those lines are read, and those whose unfinished
    last row the next one (its ordinal in ``joined``) needs; a plain block (its ordinal not
    in ``parsed``) only on those lines. The reading stops after the last of them."""
    if _version(path) != version:
        raise InputError(f"{path}: the file changed while it was read")
    wanted = set(lines.tolist())
    tail: Block | None = None
    for ordinal, ((spec, block, rows), end) in enumerate(
            _with_ends(_read(path, mapping, ReadStats(), lines_per_block))):
        if rows is None:
            assert spec is not None and block is not None
            here = lines[np.searchsorted(lines, block.start, "right"):
                         np.searchsorted(lines, end, "right")].tolist()
            if tail is not None:
                rows, tail = block_parser.parse(spec, block_parser.join(tail, block))
            elif not here and ordinal + 1 not in joined:
                continue  # none of its rows is wanted (they start on lines start+1..end)
            elif ordinal in parsed:
                rows, tail = block_parser.parse(spec, block)
            else:  # one whole row a line (so it left no tail)
                rows = [RawRow(spec.source, line, cells, spec.layout) for line, cells in
                        zip(here, block_parser.plain_rows_at(spec, block, here), strict=True)]
        for row in rows:
            if type(row) is RawRow and row.line in wanted:
                wanted.discard(row.line)
                yield conflict(row)
        if not wanted:
            return


_Read = tuple[CsvSpec | None, Block | None, list[RawRow | QuarantineItem] | None]


def _with_ends(read: Iterator[_Read]) -> Iterator[tuple[_Read, int]]:
    """Each block with the line its file's next block starts after (the last: a number
    past any line)."""
    held = next(read, None)
    for following in read:
        yield held, following[1].start if following[1] is not None else 0  # type: ignore[misc]
        held = following
    if held is not None:
        yield held, sys.maxsize


def _read(path: Path, mapping: dict[str, str] | None, stats: ReadStats, lines_per_block: int,
          ) -> Iterator[_Read]:
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
