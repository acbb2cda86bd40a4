"""Validation pipeline: export files in, valid registrations and quarantined rows out.

:func:`iter_records` is the one stream every consumer reads (the dry run counts it, the
database writer batches it): each data row becomes exactly one :class:`Record` or one
:class:`QuarantineItem`, so ``read == valid + quarantined`` always holds and nothing is lost
silently. :func:`validate_paths` is the dry run: it reads everything, writes the quarantine
file and returns :class:`Counts`.

Duplicates: a later row with the same registration key and the same ``content_hash`` is an
exact duplicate (the same booking exported twice, in any file of the run): it is valid,
yielded with ``duplicate=True`` and counted in ``Counts.duplicates``. A later row with the same
key and different content *in the same file* is quarantined as ``duplicate_conflict``: one
export holding two versions of a booking is for a person to decide. The same key with other
content in *another* file is a later export of that booking (cancelled, attended, paid): it is
valid, and the database writer keeps whichever version is newer.
"""

from __future__ import annotations

import gc
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Literal

from scalpernet.errors import ScalperNetError
from scalpernet.ingest.columns import parse_columns
from scalpernet.ingest.quarantine import QuarantineItem, QuarantineWriter
from scalpernet.ingest.readers import RawRow, ReadStats, read_file, source_files
from scalpernet.records import Record, RecordError, parse_fields

#: Rows between two progress callbacks.
PROGRESS_EVERY = 20_000
#: Rows validated together, column by column (:mod:`scalpernet.ingest.columns`).
BATCH_ROWS = 1024


class InvariantError(ScalperNetError):
    """The counts do not add up: a row was lost or counted twice (a bug, never data)."""


@dataclass(slots=True)
class Counts:
    """What one pass over the exports found.

    ``read`` counts data rows (blank rows are in ``blank``, not in ``read``); ``valid``
    includes the exact in-run ``duplicates``; ``reasons`` and ``flags`` count full codes
    (``bad_datetime:booked_at``, ``invalid_id:bad_check_digit``).
    """

    read: int = 0
    valid: int = 0
    quarantined: int = 0
    duplicates: int = 0
    blank: int = 0
    files: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    quarantine_path: Path | None = None

    def add(self, item: Record | QuarantineItem) -> None:
        self.read += 1
        if type(item) is Record:
            self.valid += 1
            self.duplicates += item.duplicate
            if item.flags:
                self.flags.update(item.flags)
        else:
            self.quarantined += 1
            self.reasons[item.reason] += 1

    def check(self) -> None:
        """Raise :class:`InvariantError` unless read = valid + quarantined."""
        if self.read != self.valid + self.quarantined or sum(
                self.reasons.values()) != self.quarantined:
            raise InvariantError(
                f"row accounting broken: read {self.read} != valid {self.valid} + quarantined "
                f"{self.quarantined} (reasons sum {sum(self.reasons.values())})")

    @property
    def flags_by_kind(self) -> Counter[str]:
        """Flags without their detail (``invalid_id`` rather than ``invalid_id:bad_region``)."""
        kinds: Counter[str] = Counter()
        for code, n in self.flags.items():
            kinds[code.split(":", 1)[0]] += n
        return kinds


class RegistrationLedger:
    """Registration key → content hash for one run, in a compact open-addressing table.

    Duplicate detection must remember every registration of the run; a ``dict`` of strings
    costs ~150 bytes a registration, this table 16 bytes a slot (at most 2/3 full): about
    24-48 bytes a registration. Keys are 64-bit string hashes (per process); two different
    keys colliding is about 1 in 10^8 for 10^6 registrations.
    """

    __slots__ = ("_keys", "_mask", "_size", "_values")

    def __init__(self, capacity: int = 1 << 16) -> None:
        size = 1 << max(4, (capacity - 1).bit_length())
        self._keys = array("q", bytes(8 * size))
        self._values = array("q", bytes(8 * size))
        self._mask = size - 1
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def see(self, key: str, content_hash: str) -> Literal["new", "same", "conflict"]:
        """Record ``key`` with its content; say whether it is new, a repeat or a conflict."""
        k = hash(key) or 1  # 0 marks an empty slot
        v = int(content_hash[:16], 16) - (1 << 63)  # signed 64-bit
        keys = self._keys
        mask = self._mask
        i = k & mask
        while True:
            slot = keys[i]
            if slot == 0:
                break
            if slot == k:
                return "same" if self._values[i] == v else "conflict"
            i = (i + 1) & mask
        keys[i] = k
        self._values[i] = v
        self._size += 1
        if self._size * 3 > len(keys) * 2:
            self._grow()
        return "new"

    def _grow(self) -> None:
        old = zip(self._keys, self._values, strict=True)
        size = len(self._keys) * 2
        keys = array("q", bytes(8 * size))
        values = array("q", bytes(8 * size))
        mask = size - 1
        for k, v in old:
            if k:
                i = k & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = k
                values[i] = v
        self._keys, self._values, self._mask = keys, values, mask


def validate_row(row: RawRow, today: date) -> Record | QuarantineItem:
    """One raw row to a record, or to a quarantine item with the record's reason."""
    vals, extra = row.values()
    try:
        return parse_fields(vals, extra, source_file=row.file, source_line=row.line,
                            today=today)
    except RecordError as exc:
        return QuarantineItem(row.file, row.line, row.raw(), exc.code, exc.message)


def validate_rows(rows: Sequence[RawRow], today: date) -> list[Record | QuarantineItem]:
    """Rows to records or quarantine items, in order; the same as :func:`validate_row` each.

    Consecutive rows of one file and layout are validated together, column by column.
    """
    out: list[Record | QuarantineItem] = []
    start = 0
    while start < len(rows):
        layout, file = rows[start].layout, rows[start].file
        end = start + 1
        while end < len(rows) and rows[end].layout is layout and rows[end].file == file:
            end += 1
        group = rows[start:end]
        cells = list(zip(*(row.cells for row in group), strict=True))
        empty = ("",) * len(group)
        width = len(cells)
        columns = [cells[i] if i < width else empty for i in layout.indexes]
        extras = ([{name: row.cells[i] for i, name in layout.extra} for row in group]
                  if layout.extra else None)
        results = parse_columns(columns, extras, source_file=file,
                                source_lines=[row.line for row in group], today=today)
        for row, result in zip(group, results, strict=True):
            if type(result) is Record:
                out.append(result)
            else:
                out.append(QuarantineItem(row.file, row.line, row.raw(),
                                          result.code, result.message))  # type: ignore[union-attr]
        start = end
    return out


def iter_records(
    paths: Iterable[Path | str],
    mapping: dict[str, str] | None = None,
    *,
    today: date | None = None,
    stats: ReadStats | None = None,
) -> Iterator[Record | QuarantineItem]:
    """Every data row of the exports, in file and line order, as a record or a quarantine item.

    Folders are walked recursively; ``mapping`` is the user's header mapping
    (:func:`~scalpernet.ingest.readers.load_mapping`). ``today`` fixes the ID-card birth-date
    check (default: the day the run starts). Header problems raise
    :class:`~scalpernet.errors.InputError` before the file's first row. Rows are validated
    :data:`BATCH_ROWS` at a time, so the reader runs at most that far ahead of the consumer.
    """
    today = today or date.today()
    stats = stats if stats is not None else ReadStats()
    run_ledger = RegistrationLedger()
    for path in source_files(paths):
        file_ledger = RegistrationLedger()
        pending: list[RawRow | QuarantineItem] = []
        rows = read_file(path, mapping, stats)
        while True:
            pending.extend(islice(rows, BATCH_ROWS))
            if not pending:
                break
            yield from _settle(pending, today, file_ledger, run_ledger)
            pending.clear()


def _settle(pending: list[RawRow | QuarantineItem], today: date, file_ledger: RegistrationLedger,
            run_ledger: RegistrationLedger) -> Iterator[Record | QuarantineItem]:
    """Validate one batch and apply the duplicate rules, in read order."""
    validated = iter(validate_rows([r for r in pending if type(r) is RawRow], today))  # type: ignore[misc]
    for row in pending:
        if type(row) is not RawRow:
            yield row  # type: ignore[misc]  # a reader's quarantine item
            continue
        item = next(validated)
        if type(item) is Record:
            if file_ledger.see(item.key, item.content_hash) != "conflict":
                if run_ledger.see(item.key, item.content_hash) == "same":
                    item.duplicate = True
            else:
                item = QuarantineItem(
                    row.file, row.line, row.raw(), "duplicate_conflict",  # type: ignore[union-attr]
                    "registration key seen earlier in this file with different content")
        yield item


def validate_paths(
    paths: Iterable[Path | str],
    mapping: dict[str, str] | None = None,
    quarantine_path: Path | None = None,
    *,
    today: date | None = None,
    on_progress: Callable[[Counts], None] | None = None,
) -> Counts:
    """The dry run: read and validate everything, write quarantined rows, return the counts.

    ``quarantine_path`` receives one JSON line per quarantined row (no file when there is
    none, or when it is ``None``). ``on_progress`` is called every :data:`PROGRESS_EVERY`
    rows and at the end. Raises :class:`InvariantError` if the counts ever fail to add up.
    """
    counts = Counts(quarantine_path=quarantine_path)
    stats = ReadStats()
    writer = QuarantineWriter(quarantine_path) if quarantine_path is not None else None
    # Rows allocate many short-lived, acyclic objects: the default threshold runs the cycle
    # collector every 700 allocations and costs ~10% of the run for nothing
    thresholds = gc.get_threshold()
    gc.set_threshold(max(thresholds[0], 50_000), *thresholds[1:])
    try:
        next_progress = PROGRESS_EVERY
        for item in iter_records(paths, mapping, today=today, stats=stats):
            counts.add(item)
            if writer is not None and type(item) is QuarantineItem:
                writer.write(item)
            if counts.read >= next_progress:
                next_progress += PROGRESS_EVERY
                counts.check()
                if on_progress is not None:
                    counts.files, counts.blank = stats.files, stats.blank
                    on_progress(counts)
    finally:
        gc.set_threshold(*thresholds)
        if writer is not None:
            writer.close()
    counts.files, counts.blank = stats.files, stats.blank
    if writer is not None and writer.count != counts.quarantined:
        raise InvariantError(f"quarantine file has {writer.count} lines for "
                             f"{counts.quarantined} quarantined rows")
    counts.check()
    if on_progress is not None:
        on_progress(counts)
    return counts
