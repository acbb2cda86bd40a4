"""The dry run's duplicate ledger on disk, judged at the end of the run.

A ledger in memory grows with the exports (a :class:`~scalpernet.ingest.ledger.KeyTable`
takes 32 MB per million registrations). The dry run instead appends each valid row's
:data:`RECORD` (key value, content value, file, line, flag set) to one of
``2 ** PARTITION_BITS`` files chosen by the top bits of its key value, and judges the files
one after another once every row is read. All rows of one registration fall in one
partition, in read order, so judging a partition gives each row the verdict that
:class:`~scalpernet.ingest.ledger.BatchLedgers` judging the whole run would. A partition is
judged a chunk of records at a time, whatever files they come from, with two tables
(:class:`~scalpernet.ingest.ledger.KeyTable`): one keyed by file and key, which finds the
conflicts (other content than the registration's first row in that file), and one keyed by
key, which finds the exact repeats (the content of the registration's first row in the
run). Memory stays bounded whatever the exports' size: a buffer of
:data:`BUFFER_ROWS` records, and the tables of one partition, which is split again by the
next bits of the key while they hold more than :data:`PARTITION_KEYS` entries. Disk
takes 32 bytes a valid row. A run that never fills the buffer writes no file.
"""

from __future__ import annotations

import pickle
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Final

import numpy as np

from scalpernet.ingest.ledger import CONFLICT, SAME, KeyTable
from scalpernet.ingest.quarantine import QuarantineItem

#: One valid row. ``flags``: the id of its flag set (0: none), see the dry run's stream.
RECORD: Final = np.dtype([("key", "<i8"), ("content", "<i8"), ("line", "<i8"),
                          ("file", "<i4"), ("flags", "<i4")])
#: Top bits of the key value that choose a row's partition (the ledger's tables probe from
#: the low bits, so a partition's keys still spread over its table).
PARTITION_BITS: Final = 8
#: Further bits of the key value that split a partition holding too many registrations.
SPLIT_BITS: Final = 4
#: Records held in memory before they go to the partitions' files (2 MiB).
BUFFER_ROWS = 1 << 16
#: Entries a partition's two tables may hold while it is judged (~6 MiB of tables at most;
#: one export of 2^24 registrations fills the partitions that far).
PARTITION_KEYS = 1 << 17
#: Records read from a partition's file at once (512 KiB).
CHUNK_ROWS: Final = 1 << 14
#: Lowest key bit a split may use: the bits below place keys in the tables.
_LOWEST_SPLIT_BIT: Final = 32
#: Odd 64-bit multiplier that spreads file indexes over the key bits (2^64 / golden ratio).
_FILE_MIX: Final = np.uint64(0x9E3779B97F4A7C15)


@dataclass(slots=True)
class Judged:
    """The run's verdicts: exact repeats counted, conflicting rows' records in read order."""

    duplicates: int = 0
    conflicts: np.ndarray = field(default_factory=lambda: np.empty(0, dtype=RECORD))


class _TooManyKeys(Exception):
    """A partition's tables hold more than :data:`PARTITION_KEYS` entries: split it."""


class SpilledLedger:
    """Valid rows' records in, the run's duplicates and conflicts out (:meth:`judge`).

    ``folder`` receives the partitions' files (created on first use); the caller removes it.
    ``buffer_rows`` and ``partition_keys`` default to :data:`BUFFER_ROWS` and
    :data:`PARTITION_KEYS`.
    """

    def __init__(self, folder: Path, buffer_rows: int | None = None,
                 partition_keys: int | None = None) -> None:
        self.folder = folder
        self.partition_keys = partition_keys or PARTITION_KEYS
        self.splits = 0
        self._buffer = np.empty(buffer_rows or BUFFER_ROWS, dtype=RECORD)
        self._filled = 0
        self._written: set[int] = set()  # partitions with a file

    def add(self, keys: np.ndarray, contents: np.ndarray, lines: np.ndarray, file: int,
            flags: np.ndarray) -> None:
        """The valid rows of one block of ``file``, in line order."""
        done, n = 0, len(keys)
        while done < n:
            if self._filled == len(self._buffer):
                self._flush()
            take = min(n - done, len(self._buffer) - self._filled)
            part = self._buffer[self._filled:self._filled + take]
            part["key"] = keys[done:done + take]
            part["content"] = contents[done:done + take]
            part["line"] = lines[done:done + take]
            part["file"] = file
            part["flags"] = flags[done:done + take]
            self._filled += take
            done += take

    def judge(self) -> Judged:
        """Every row's verdict, as :class:`~scalpernet.ingest.ledger.BatchLedgers` judging
        the whole run in read order would give it (tests compare the two)."""
        judged = Judged()
        conflicts: list[np.ndarray] = []
        if not self._written:  # everything is still in the buffer: one partition
            self._judge(iter([self._buffer[:self._filled]]), judged, conflicts, None)
        else:
            self._flush()
            for p in sorted(self._written):
                self._judge_file(self._path(p), 64 - PARTITION_BITS, judged, conflicts)
            self._written.clear()
        if conflicts:
            found = np.concatenate(conflicts)
            judged.conflicts = found[np.lexsort((found["line"], found["file"]))]
        return judged

    def _path(self, partition: int) -> Path:
        return self.folder / f"p{partition:03d}"

    def _flush(self) -> None:
        """Append the buffer's records to their partitions' files (opened only to write:
        a run never holds 256 files open)."""
        records = self._buffer[:self._filled]
        part = _bits(records["key"], 64 - PARTITION_BITS, PARTITION_BITS)
        order = np.argsort(part, kind="stable")  # read order kept within each partition
        records, part = records[order], part[order]
        bounds = np.searchsorted(part, np.arange((1 << PARTITION_BITS) + 1))
        self.folder.mkdir(parents=True, exist_ok=True)
        for p in np.flatnonzero(np.diff(bounds)).tolist():
            with self._path(p).open("ab") as out:
                out.write(records[bounds[p]:bounds[p + 1]].tobytes())
            self._written.add(p)
        self._filled = 0

    def _judge_file(self, path: Path, shift: int, judged: Judged,
                    conflicts: list[np.ndarray]) -> None:
        """Judge a partition's file, or split it by the next bits when it holds too many
        registrations (``shift``: where its own bits start)."""
        mine = Judged()
        found: list[np.ndarray] = []
        try:
            self._judge(_chunks(path), mine, found, self.partition_keys
                        if shift - SPLIT_BITS >= _LOWEST_SPLIT_BIT else None)
        except _TooManyKeys:
            self.splits += 1
            for sub in _split(path, shift - SPLIT_BITS):
                self._judge_file(sub, shift - SPLIT_BITS, judged, conflicts)
            return
        path.unlink()
        judged.duplicates += mine.duplicates
        conflicts += found

    @staticmethod
    def _judge(chunks: Iterator[np.ndarray], judged: Judged, conflicts: list[np.ndarray],
               limit: int | None) -> None:
        """Judge one partition's records, in read order, a chunk at a time; raise
        :class:`_TooManyKeys` once its tables hold more than ``limit`` entries."""
        run, in_file = KeyTable(), KeyTable()
        for records in chunks:
            keys = np.where(records["key"] == 0, 1, records["key"])  # as the tables store it
            contents = records["content"]
            conflicted = in_file.see(_in_file(keys, records["file"]), contents) == CONFLICT
            if conflicted.any():
                conflicts.append(records[conflicted])
                kept = ~conflicted
                keys, contents = keys[kept], contents[kept]
            # conflicting rows are not entered: the first row of a key never conflicts
            judged.duplicates += int(np.count_nonzero(run.see(keys, contents) == SAME))
            if limit is not None and len(run) + len(in_file) > limit:
                raise _TooManyKeys


def _in_file(keys: np.ndarray, files: np.ndarray) -> np.ndarray:
    """Each key value mixed with its file's index: one value per (file, registration)."""
    mixed = keys.view(np.uint64) ^ ((files.astype(np.uint64) + np.uint64(1)) * _FILE_MIX)
    return mixed.view(np.int64)


def _bits(keys: np.ndarray, shift: int, bits: int) -> np.ndarray:
    """Bits ``shift`` to ``shift + bits`` of each key value, as partition numbers."""
    return ((keys.view(np.uint64) >> np.uint64(shift)) & np.uint64((1 << bits) - 1)).astype(
        np.intp)


def _chunks(path: Path) -> Iterator[np.ndarray]:
    with path.open("rb") as source:
        while (records := np.fromfile(source, dtype=RECORD, count=CHUNK_ROWS)).size:
            yield records


def _split(path: Path, shift: int) -> list[Path]:
    """A partition's file split by bits ``shift`` onwards of the key into files beside it,
    read order kept in each; the file itself is removed."""
    outs: dict[int, IO[bytes]] = {}
    try:
        for records in _chunks(path):
            part = _bits(records["key"], shift, SPLIT_BITS)
            order = np.argsort(part, kind="stable")
            records, part = records[order], part[order]
            bounds = np.searchsorted(part, np.arange((1 << SPLIT_BITS) + 1))
            for p in np.flatnonzero(np.diff(bounds)).tolist():
                if p not in outs:
                    outs[p] = path.with_name(f"{path.name}.{p:x}").open("wb")
                outs[p].write(records[bounds[p]:bounds[p + 1]].tobytes())
    finally:
        for out in outs.values():
            out.close()
    path.unlink()
    return [Path(outs[p].name) for p in sorted(outs)]


class HeldItems:
    """Quarantine items held on disk, in read order, until the run's conflicts are known
    (``file``: the index of the item's file in the run)."""

    def __init__(self, folder: Path) -> None:
        self.path = folder / "quarantined.pickle"
        self._out: IO[bytes] | None = None

    def add(self, file: int, item: QuarantineItem) -> None:
        if self._out is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._out = self.path.open("wb")
        pickle.dump((file, item), self._out, protocol=pickle.HIGHEST_PROTOCOL)

    def __iter__(self) -> Iterator[tuple[int, QuarantineItem]]:
        """The items held, in the order added (the file is written by this process only)."""
        if self._out is None:
            return
        self._out.close()
        with self.path.open("rb") as source:
            while True:
                try:
                    yield pickle.load(source)
                except EOFError:
                    return

    def close(self) -> None:
        if self._out is not None:
            self._out.close()


def scratch_folder() -> tempfile.TemporaryDirectory[str]:
    """A private folder for a run's spilled files, under the system's temporary folder
    (``TMPDIR``), removed with everything in it when the run ends."""
    return tempfile.TemporaryDirectory(prefix="scalpernet-dry-run-")

