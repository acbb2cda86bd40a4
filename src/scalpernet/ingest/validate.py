"""Validation pipeline: export files in, valid registrations and quarantined rows out.

:func:`iter_records` is the one stream every consumer reads (the dry run counts it, the
database writer batches it): each data row becomes exactly one :class:`Record` or one
:class:`QuarantineItem`, so ``read == valid + quarantined`` always holds and nothing is lost
silently. Rows are validated in batches, column by column (:mod:`scalpernet.ingest.columns`).
:func:`validate_paths` is the dry run: it reads everything, writes the quarantine file and
returns :class:`Counts` (the same counts as the stream, without building records; blocks of
the exports are validated in worker processes, see :mod:`scalpernet.ingest.tally`).

Duplicates: a later row with the same registration key and the same ``content_hash`` is an
exact duplicate (the same booking exported twice, in any file of the run): it is valid,
yielded with ``duplicate=True`` and counted in ``Counts.duplicates``. A later row with the same
key and different content *in the same file* is quarantined as ``duplicate_conflict``: one
export holding two versions of a booking is for a person to decide. The same key with other
content in *another* file is a later export of that booking (cancelled, attended, paid): it is
valid, and the database writer keeps whichever version is newer.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Literal

import numpy as np

from scalpernet.errors import ScalperNetError
from scalpernet.ingest.collector import fewer_collections
from scalpernet.ingest.columns import parse_columns
from scalpernet.ingest.ledger import CONFLICT, SAME, BatchLedgers
from scalpernet.ingest.quarantine import QuarantineItem, QuarantineWriter
from scalpernet.ingest.readers import RawRow, ReadStats, read_file, source_files
from scalpernet.ingest.tally import conflict, default_workers, groups, tally_paths
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
    """Registration key → content hash, judged one row at a time: the reference the batch
    ledgers (:mod:`scalpernet.ingest.ledger`, which both streams use) are tested against.

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
        return self.see_value(key, _content_value(content_hash))

    def see_value(self, key: str, v: int) -> Literal["new", "same", "conflict"]:
        """:meth:`see` with the content as a signed 64-bit value (one way for the whole run)."""
        k = hash(key) or 1  # 0 marks an empty slot
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
    for group, columns, extras in groups(rows):
        results = parse_columns(columns, extras, source_file=group[0].file,
                                source_lines=[row.line for row in group], today=today)
        for row, result in zip(group, results, strict=True):
            if type(result) is Record:
                out.append(result)
            else:
                out.append(QuarantineItem(row.file, row.line, row.raw(),
                                          result.code, result.message))  # type: ignore[union-attr]
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
    ledgers = BatchLedgers()
    for index, path in enumerate(source_files(paths)):
        ledgers.start_file(first=index == 0)
        rows = read_file(path, mapping, stats)
        while batch := list(islice(rows, BATCH_ROWS)):
            validated = validate_rows([r for r in batch if type(r) is RawRow], today)  # type: ignore[misc]
            records: list[Record] = [r for r in validated if type(r) is Record]  # type: ignore[misc]
            verdicts = iter(ledgers.judge(
                np.fromiter((hash(r.key) for r in records), np.int64, len(records)),
                np.fromiter((_content_value(r.content_hash) for r in records), np.int64,
                            len(records))).tolist())
            items = iter(validated)
            for row in batch:
                if type(row) is not RawRow:
                    yield row  # type: ignore[misc]  # a reader's quarantine item
                    continue
                item = next(items)
                if type(item) is Record:
                    verdict = next(verdicts)
                    if verdict == CONFLICT:
                        item = conflict(row)
                    elif verdict == SAME:
                        item.duplicate = True
                yield item


def _content_value(content_hash: str) -> int:
    """A record's content hash as the signed 64-bit value the ledgers keep."""
    return int(content_hash[:16], 16) - (1 << 63)


def validate_paths(
    paths: Iterable[Path | str],
    mapping: dict[str, str] | None = None,
    quarantine_path: Path | None = None,
    *,
    today: date | None = None,
    on_progress: Callable[[Counts], None] | None = None,
    workers: int | None = None,
) -> Counts:
    """The dry run: read and validate everything, write quarantined rows, return the counts.

    ``quarantine_path`` receives one JSON line per quarantined row (no file when there is
    none, or when it is ``None``). ``on_progress`` is called about every
    :data:`PROGRESS_EVERY` rows and at the end. ``workers``: processes that validate
    batches beside this one (default :func:`default_workers`; 0: none); the counts and the
    quarantine file are the same whatever the number. Raises :class:`InvariantError` if the
    counts ever fail to add up.
    """
    counts = Counts(quarantine_path=quarantine_path)
    stats = ReadStats()
    writer = QuarantineWriter(quarantine_path) if quarantine_path is not None else None
    with fewer_collections() as collector:  # batches keep ~10^5 acyclic objects alive
        try:
            next_progress = PROGRESS_EVERY
            for item in tally_paths(paths, mapping, today or date.today(), stats,
                                    default_workers() if workers is None else workers):
                if type(item) is QuarantineItem:
                    counts.add(item)
                    if writer is not None:
                        writer.write(item)
                    continue
                valid, duplicates, flags = item  # type: ignore[misc]
                collector.rows(valid)
                counts.read += valid
                counts.valid += valid
                counts.duplicates += duplicates
                counts.flags.update(flags)
                if counts.read >= next_progress:
                    next_progress += PROGRESS_EVERY
                    counts.check()
                    if on_progress is not None:
                        counts.files, counts.blank = stats.files, stats.blank
                        on_progress(counts)
        finally:
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
