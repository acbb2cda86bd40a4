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

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path

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
    none, or when it is ``None``); it is written at the end, in file and line order. Memory
    stays flat in the exports' size (see :mod:`scalpernet.ingest.spill`). ``on_progress``
    is called about every :data:`PROGRESS_EVERY` rows and at the end; duplicates and
    conflicts are known only at the end. ``workers``: processes that validate
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
            items = 0
            for item in tally_paths(paths, mapping, today or date.today(), stats,
                                    default_workers() if workers is None else workers):
                if type(item) is QuarantineItem:  # counted already
                    items += 1
                    if writer is not None:
                        writer.write(item)
                    continue
                valid, duplicates, flags, reasons = item  # type: ignore[misc]
                # valid < 0 once, at the end: rows found to conflict become quarantined
                collector.rows(max(valid, 0))
                quarantined = sum(reasons.values())
                counts.read += valid + quarantined
                counts.valid += valid
                counts.quarantined += quarantined
                counts.duplicates += duplicates
                counts.flags.update(flags)
                counts.reasons.update(reasons)
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
    counts.flags = +counts.flags  # the conflicting rows' flags were taken off: no zeros
    if items != counts.quarantined or (writer is not None and writer.count != items):
        raise InvariantError(f"{items} quarantined rows given for {counts.quarantined} "
                             "counted, or not all written")
    counts.check()
    if on_progress is not None:
        on_progress(counts)
    return counts
