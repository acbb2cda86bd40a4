"""The one path from export files to validated batches, and the one account of a run.

:func:`iter_batches` reads every file (:mod:`~scalpernet.ingest.readers`), validates each
batch column by column (:mod:`~scalpernet.ingest.rows`) and judges duplicates with the one
ledger (:mod:`~scalpernet.ingest.ledger`). The dry run counts its batches, the transactional
ingest writes them through Cypher and the bulk load writes them as the importer's files:
all three see the same rows, the same quarantine items in the same order, and the same
blank rows, so their counts agree. :class:`IngestReport` is the account every one of them
keeps and prints.

Duplicates: a later row with the same registration key and the same ``content_hash`` is an
exact duplicate (the same booking exported twice, in any file of the run): it is valid,
marked ``duplicate`` and counted in ``duplicates``. A later row with the same key and
different content *in the same file* is quarantined as ``duplicate_conflict``: one export
holding two versions of a booking is for a person to decide. The same key with other content
in *another* file is a later export of that booking (cancelled, attended, paid): it is
valid, and the ledger says whether it is greater than the booking's current version in the
one order of versions (:mod:`~scalpernet.ingest.versions`: the writers write it over the
stored one) or lesser (nothing of it is written: already present).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scalpernet.errors import InputError, ScalperNetError, printable
from scalpernet.ingest.ledger import CONFLICT, SAME, STALE, BatchLedgers
from scalpernet.ingest.quarantine import QuarantineItem, QuarantineWriter
from scalpernet.ingest.readers import ReadStats, read_file, source_files
from scalpernet.ingest.rows import ROW_SCHEMA, TextBatch, validate

CONFLICT_MESSAGE = "registration key seen earlier in this file with different content"


class InvariantError(ScalperNetError):
    """The counts do not add up: a row was lost or counted twice (a bug, never data)."""


@dataclass(slots=True)
class FileReport:
    """One export file of a run."""

    path: str
    checksum: str = ""
    size: int = 0
    #: 'ingested', 'skipped' (already complete), 'forced', 'failed' (not read to its end),
    #: 'changed' (written to while read: not complete), 'read' (a dry run's)
    status: str = "ingested"
    read: int = 0
    valid: int = 0
    quarantined: int = 0
    #: Why the file was not read to its end ('failed'), or changed while read ('changed').
    error: str | None = None


@dataclass(slots=True)
class Batch:
    """Part of one file, validated: its valid rows (:data:`ROW_SCHEMA`), the ledger's
    verdict on each (:mod:`~scalpernet.ingest.ledger`: ``NEW``, ``SAME``, ``LATER``,
    ``STALE``) and its quarantined rows."""

    file: str
    rows: pa.Table
    verdict: np.ndarray
    quarantined: list[QuarantineItem]

    @property
    def duplicate(self) -> np.ndarray:
        """Exact repeats of a booking's current version."""
        return self.verdict == SAME

    @property
    def stale(self) -> np.ndarray:
        """Other versions older than a booking's current one."""
        return self.verdict == STALE

    @property
    def written(self) -> np.ndarray:
        """Rows a writer writes: first sightings and newer versions."""
        return (self.verdict != SAME) & (self.verdict != STALE)

    @property
    def read(self) -> int:
        return self.rows.num_rows + len(self.quarantined)


@dataclass(slots=True)
class IngestReport:
    """What one run (dry, transactional or bulk) found and did.

    ``read`` counts data rows (blank rows are in ``blank``, not in ``read``); ``valid``
    includes the exact in-run ``duplicates``; ``reasons`` and ``flags`` count full codes
    (``bad_datetime:booked_at``, ``invalid_id:bad_check_digit``). A run that writes also
    says of every valid row whether it was ``created``, ``updated`` or ``already_present``.
    """

    run_id: str = ""
    read: int = 0
    valid: int = 0
    duplicates: int = 0
    quarantined: int = 0
    blank: int = 0
    created: int = 0
    updated: int = 0
    already_present: int = 0
    reasons: Counter[str] = field(default_factory=Counter)
    flags: Counter[str] = field(default_factory=Counter)
    files: list[FileReport] = field(default_factory=list)
    quarantine_path: Path | None = None
    status: str = "running"
    seconds: float = 0.0

    @property
    def ingested(self) -> int:
        return self.created + self.updated

    @property
    def settled(self) -> int:
        """Rows whose fate is final: written (or found stored) or quarantined."""
        return self.ingested + self.already_present + self.quarantined

    @property
    def skipped_files(self) -> list[FileReport]:
        return [f for f in self.files if f.status == "skipped"]

    @property
    def troubled_files(self) -> list[FileReport]:
        """Files not read to their end, or changed while read: not complete."""
        return [f for f in self.files if f.status in ("failed", "changed")]

    @property
    def flags_by_kind(self) -> Counter[str]:
        """Flags without their detail (``invalid_id`` rather than ``invalid_id:bad_region``)."""
        kinds: Counter[str] = Counter()
        for code, n in self.flags.items():
            kinds[code.split(":", 1)[0]] += n
        return kinds

    def add(self, batch: Batch, file: FileReport | None = None) -> None:
        """Count a batch read."""
        valid = batch.rows.num_rows
        self.read += batch.read
        self.valid += valid
        self.duplicates += int(batch.duplicate.sum())
        self.quarantined += len(batch.quarantined)
        self.reasons.update(item.reason for item in batch.quarantined)
        if valid:
            counts = pc.value_counts(pc.list_flatten(batch.rows.column("flags")))
            self.flags.update({c["values"].as_py(): c["counts"].as_py() for c in counts})
        if file is not None:
            file.read += batch.read
            file.valid += valid
            file.quarantined += len(batch.quarantined)

    def check(self) -> None:
        """Raise :class:`InvariantError` unless read = valid + quarantined."""
        if self.read != self.valid + self.quarantined or sum(
                self.reasons.values()) != self.quarantined:
            raise InvariantError(
                f"row accounting broken: read {self.read} != valid {self.valid} + quarantined "
                f"{self.quarantined} (reasons sum {sum(self.reasons.values())})")

    def balanced(self) -> bool:
        """read = ingested + already present + quarantined (a run that wrote)."""
        return self.read == self.ingested + self.already_present + self.quarantined

    def counts(self) -> dict[str, int]:
        return {"read": self.read, "ingested": self.ingested, "updated": self.updated,
                "already_present": self.already_present, "quarantined": self.quarantined,
                "blank": self.blank, "skipped_files": len(self.skipped_files)}

    def file_list(self) -> list[dict[str, object]]:
        return [{"path": f.path, "checksum": f.checksum, "size": f.size, "status": f.status,
                 "read": f.read, "valid": f.valid, "quarantined": f.quarantined,
                 **({"error": f.error} if f.error else {})} for f in self.files]


_HEX = np.zeros(256, np.uint64)
_HEX[np.frombuffer(b"0123456789abcdef", np.uint8)] = np.arange(16, dtype=np.uint64)


def _content_values(rows: pa.Table) -> np.ndarray:
    """Each row's content hash as the signed 64-bit value the ledgers keep: its first 16
    hex digits, less 2**63."""
    if not rows.num_rows:
        return np.zeros(0, np.int64)
    head = pc.utf8_slice_codeunits(rows.column("content_hash").combine_chunks(), 0, 16)
    digits = _HEX[np.frombuffer(head.buffers()[2], np.uint8, count=16 * len(head))]
    value = (digits.reshape(-1, 16) << (4 * np.arange(15, -1, -1, dtype=np.uint64))).sum(
        axis=1, dtype=np.uint64)
    return (value ^ np.uint64(1 << 63)).view(np.int64)


def _judge(text: TextBatch, rows: pa.Table, valid: np.ndarray, ledgers: BatchLedgers,
           quarantined: list[QuarantineItem]) -> Batch:
    keys = np.fromiter(map(hash, rows.column("key").to_pylist()), np.int64, rows.num_rows)
    events = rows.column("last_event").to_numpy()
    verdict = ledgers.judge(keys, _content_values(rows), events)
    conflict = verdict == CONFLICT
    if conflict.any():
        for index in valid[conflict].tolist():
            quarantined.append(QuarantineItem(text.file, int(text.lines[index]),
                                              text.raw(index), "duplicate_conflict",
                                              CONFLICT_MESSAGE))
        rows = rows.filter(pa.array(~conflict))
        verdict = verdict[~conflict]
    quarantined.sort(key=lambda item: item.line)
    return Batch(text.file, rows, verdict, quarantined)


def iter_batches(
    paths: Iterable[Path | str],
    mapping: dict[str, str] | None = None,
    *,
    today: date | None = None,
    stats: ReadStats | None = None,
    keep_going: bool = False,
) -> Iterator[Batch]:
    """Every data row of the exports, in file order, in validated batches.

    Folders are walked recursively; ``mapping`` is the user's header mapping
    (:func:`~scalpernet.ingest.readers.load_mapping`). ``today`` fixes the ID-card birth-date
    check (default: the day the run starts). Header problems raise
    :class:`~scalpernet.errors.InputError` before the file's first row; with ``keep_going``
    the file is recorded in ``stats.failed`` instead and the next file is read.
    """
    today = today or date.today()
    stats = stats if stats is not None else ReadStats()
    ledgers = BatchLedgers()
    empty = ROW_SCHEMA.empty_table()
    for index, path in enumerate(source_files(paths)):
        ledgers.start_file(first=index == 0)
        try:
            for item in read_file(path, mapping, stats):
                if isinstance(item, QuarantineItem):
                    yield Batch(item.file, empty, np.zeros(0, np.int8), [item])
                    continue
                checked = validate(item, today)
                quarantined = [QuarantineItem(item.file, int(item.lines[i]), item.raw(i), code,
                                              message) for i, code, message in checked.bad]
                yield _judge(item, checked.rows, checked.valid, ledgers, quarantined)
        except InputError as exc:
            if not keep_going:
                raise
            stats.failed[printable(str(path))] = str(exc)  # one bad file loses no other


def validate_paths(
    paths: Iterable[Path | str],
    mapping: dict[str, str] | None = None,
    quarantine_path: Path | None = None,
    *,
    today: date | None = None,
    on_progress: Callable[[IngestReport], None] | None = None,
) -> IngestReport:
    """The dry run: read and validate everything, write quarantined rows, return the counts.

    ``quarantine_path`` receives one JSON line per quarantined row (no file when there is
    none, or when it is ``None``): the same lines, in the same order, as a real run writes.
    Raises :class:`InvariantError` if the counts ever fail to add up.
    """
    report = IngestReport(quarantine_path=quarantine_path)
    stats = ReadStats()
    writer = QuarantineWriter(quarantine_path) if quarantine_path is not None else None
    try:
        for batch in iter_batches(paths, mapping, today=today, stats=stats, keep_going=True):
            report.add(batch)
            if writer is not None:
                for item in batch.quarantined:
                    writer.write(item)
            report.blank = stats.blank
            if on_progress is not None:
                on_progress(report)
    finally:
        if writer is not None:
            writer.close()
    report.blank = stats.blank
    names = [printable(str(p)) for p in source_files(paths)]
    report.files = [FileReport(name, status="failed" if name in stats.failed else "read",
                               error=stats.failed.get(name)) for name in names]
    report.check()
    report.status = "partial" if stats.failed else "complete"
    return report
