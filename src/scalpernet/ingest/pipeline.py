"""Ingestion: read → validate → write, with nothing lost and nothing written twice.

Every data row ends up ingested (created or updated), already present, or quarantined with
its reason, and the run checks ``read = ingested + already_present + quarantined`` before it
reports success. Files are known by checksum: a file fully ingested before is skipped unless
``force``. A run that dies (killed, or Neo4j gone for longer than the retries) leaves its files
marked partial; the next run reads them again and every row already stored counts as already
present, so resuming never duplicates.

A file that cannot be read (an unusable header, an I/O error) is recorded as ``failed`` and
the run goes on with the others; a file whose size or mtime changed while it was read (a
sender still writing) is ``changed``. Neither is marked complete, and the run ends
``partial``. Every failure ends the run record ``failed`` with its true counts and raises
:class:`IngestError` (one line, carrying the report); a run killed outright is settled as
``abandoned`` by the next one (:func:`~scalpernet.ingest.runs.settle_dead_runs`).

Parsing runs in the calling thread while writer threads send batches to Neo4j (two
transactions in flight by default), so parsing and writing overlap and the server uses
both its cores; the queue between them is bounded, so memory stays flat in the file size.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from neo4j.exceptions import ConstraintError
from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

from scalpernet.config import get_settings
from scalpernet.errors import ScalperNetError, one_line, printable
from scalpernet.graph import Graph
from scalpernet.graph.session import RETRY_WAITS_S
from scalpernet.ingest import runs
from scalpernet.ingest.collector import fewer_collections
from scalpernet.ingest.quarantine import QuarantineError, QuarantineWriter
from scalpernet.ingest.readers import ReadStats, source_files
from scalpernet.ingest.validate import FileReport, IngestReport, iter_batches
from scalpernet.ingest.writer import BatchResult, Row, cypher_rows, write_batch

log = logging.getLogger(__name__)

#: Rows per write transaction (measured: see bench/bench_ingest.py).
BATCH_SIZE = 5_000
#: Write transactions in flight at once (measured: see bench/bench_ingest.py).
WRITERS = 2
#: Immediate retries of a batch that raced a concurrent one to store the same booking.
RACE_RETRIES = 10


class IngestError(ScalperNetError):
    """An ingestion run stopped; ``report`` holds what it did until then (true counts)."""

    def __init__(self, message: str, report: IngestReport | None = None,
                 cause: str | None = None) -> None:
        super().__init__(message)
        self.report = report
        #: What stopped the run, without the advice on what to do next.
        self.cause = cause or message


def estimate_rows(path: Path, sample: int = 1 << 20) -> int:
    """About how many rows a file holds (for progress and ETA): Parquet knows, text is sampled."""
    if path.suffix.lower() == ".parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    size = path.stat().st_size
    with path.open("rb") as handle:
        head = handle.read(sample)
    lines = head.count(b"\n")
    if not head or lines == 0:
        return 1 if head else 0
    return max(int(size * lines / len(head)) - 1, 0)


def new_run_id() -> str:
    """Sortable and unique: ``ingest-20260301T180000Z-3f9a1c``."""
    return f"ingest-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def write_with_retry(graph: Graph, batch: Sequence[Row], run_id: str,
                     waits: Sequence[float] = RETRY_WAITS_S, batch_no: int = 0) -> BatchResult:
    """Write a batch, waiting and retrying while Neo4j is away (the graph's policy).

    Safe to repeat: the batch's transaction re-reads what is stored before writing, and rows
    an earlier try of this very batch committed (a lost acknowledgement) count as written by
    it. A booking stored meanwhile by a concurrent batch (a uniqueness failure) is retried
    at once. Raises :class:`~scalpernet.graph.session.ServerGone` when Neo4j stays away.
    """
    verdicts: dict[str, str] = {}
    races = Retrying(retry=retry_if_exception_type(ConstraintError),
                     stop=stop_after_attempt(RACE_RETRIES + 1), reraise=True)
    return graph.retry(lambda: races(write_batch, graph, batch, run_id, batch_no, verdicts),
                       waits)


class _Writers:
    """The threads that write batches while the caller parses.

    Several transactions in flight keep both Neo4j and the parser busy; the bounded queue
    keeps memory flat. Batches commit in any order: each one re-reads what is stored, so
    the outcome does not depend on the order (see ``writer``).
    """

    def __init__(self, graph: Graph, run_id: str, report: IngestReport, count: int,
                 waits: Sequence[float],
                 on_batch: Callable[[IngestReport], None] | None = None) -> None:
        self.graph, self.run_id, self.report, self.waits = graph, run_id, report, waits
        self.on_batch = on_batch
        self.batches: queue.Queue[tuple[int, list[Row]] | None] = queue.Queue(
            maxsize=count + 1)
        self.sent = 0
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, name=f"scalpernet-writer-{i}",
                                          daemon=True) for i in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        while (item := self.batches.get()) is not None:
            if self.error is not None:
                continue  # drain: the run has failed, write nothing more
            batch_no, batch = item
            try:
                result = write_with_retry(self.graph, batch, self.run_id, self.waits, batch_no)
            except BaseException as exc:  # handed to the caller's thread
                with self._lock:
                    self.error = self.error or exc
                continue
            with self._lock:
                self.report.created += result.created
                self.report.updated += result.updated
                self.report.already_present += result.already_present
                if self.on_batch is not None:
                    self.on_batch(self.report)

    def already_present(self, rows: int) -> None:
        """Count rows settled without being sent: nothing of them is written."""
        with self._lock:
            self.report.already_present += rows

    def put(self, batch: list[Row]) -> None:
        if self.error is not None:
            raise self.error
        self.sent += 1
        self.batches.put((self.sent, batch))

    def finish(self) -> None:
        self.join()
        if self.error is not None:
            raise self.error

    def abandon(self) -> None:
        """Stop without writing the batches still queued."""
        with self._lock:
            if self.error is None:
                self.error = IngestError("run abandoned")
        try:
            while True:
                self.batches.get_nowait()
        except queue.Empty:
            pass
        self.join(timeout=120)

    def join(self, timeout: float | None = None) -> None:
        for _ in self._threads:
            self.batches.put(None)
        for thread in self._threads:
            thread.join(timeout)


def ingest_paths(
    graph: Graph,
    paths: Iterable[Path | str],
    *,
    mapping: dict[str, str] | None = None,
    force: bool = False,
    batch_size: int = BATCH_SIZE,
    writers: int = WRITERS,
    quarantine_path: Path | None = None,
    on_progress: Callable[[IngestReport], None] | None = None,
    retry_waits: Sequence[float] | None = None,
    parent: str | None = None,
) -> IngestReport:
    """Ingest export files or folders into the graph; returns the run's report.

    ``on_progress`` is called (from a writer thread, one call at a time) after each
    committed batch. ``writers`` transactions are in flight at once. ``retry_waits``: waits
    between tries while Neo4j is away (default: the graph's). ``parent``: the nightly
    pass this run is part of. Raises :class:`IngestError` (after recording the run as
    failed when Neo4j still answers) if the run cannot finish; the files then stay partial
    and the next run resumes them. A run with failed or changed files ends ``partial``.
    Refuses (:class:`~scalpernet.ingest.bulk.BulkError`) to add to a database an unfinished
    bulk load holds.
    """
    from scalpernet.ingest.bulk import refuse_if_unfinished

    refuse_if_unfinished(get_settings())
    started = time.monotonic()
    run_id = new_run_id()
    if retry_waits is not None:
        graph = graph.with_retry_waits(retry_waits)
    retry_waits = graph.retry_waits
    if quarantine_path is None:
        quarantine_path = get_settings().data_dir / "quarantine" / f"{run_id}.jsonl"
    report = IngestReport(run_id=run_id, quarantine_path=quarantine_path)
    runs.settle_dead_runs(graph)

    todo: list[Path] = []
    by_path: dict[str, FileReport] = {}  # by the name batches carry (printable)
    seen: dict[str, tuple[Path, int, int]] = {}  # the file, its size and mtime before reading
    for path in source_files(paths):
        before = path.stat()
        checksum = runs.file_checksum(path)
        state = runs.file_status(graph, checksum)
        status = "skipped" if state == "complete" and not force else (
            "forced" if state == "complete" else "ingested")
        name = printable(str(path))
        file_report = FileReport(name, checksum, before.st_size, status)
        report.files.append(file_report)
        if status != "skipped":
            todo.append(path)
            by_path[name] = file_report
            seen[name] = (path, before.st_size, before.st_mtime_ns)

    runs.start_run(graph, run_id, quarantine_path, report.file_list(), parent=parent)
    for f in by_path.values():
        runs.mark_file(graph, checksum=f.checksum, path=Path(f.path), size=f.size,
                       status="partial", run_id=run_id, rows=0)

    writer = _Writers(graph, run_id, report, max(1, writers), retry_waits, on_progress)
    writer.start()
    quarantine = QuarantineWriter(quarantine_path)
    stats = ReadStats()
    with runs.Lease(graph, run_id), fewer_collections() as collector:
        pending: list[pa.Table] = []
        held = 0
        try:
            for batch in iter_batches(todo, mapping, stats=stats, keep_going=True):
                report.add(batch, by_path.get(batch.file))
                report.blank = stats.blank
                for item in batch.quarantined:  # recorded before any row of the batch is sent
                    quarantine.write(item)
                if batch.rows.num_rows:
                    # repeats of a current version and lesser versions (the ledger's verdict,
                    # in the order read): nothing of them is written, whatever commits first
                    written = batch.written
                    rows = batch.rows if written.all() else batch.rows.filter(pa.array(written))
                    writer.already_present(batch.rows.num_rows - rows.num_rows)
                    if rows.num_rows:
                        pending.append(rows)
                        held += rows.num_rows
                while held >= batch_size:
                    table = pa.concat_tables(pending)
                    writer.put(cypher_rows(table.slice(0, batch_size), run_id))
                    collector.rows(min(batch_size, held))
                    rest = table.slice(batch_size)
                    pending, held = ([rest] if rest.num_rows else []), rest.num_rows
            if held:
                writer.put(cypher_rows(pa.concat_tables(pending), run_id))
            writer.finish()
            quarantine.close()
        except BaseException as exc:
            writer.abandon()
            with contextlib.suppress(QuarantineError):  # the first failure is the one told
                quarantine.close()
            if isinstance(exc, QuarantineError):  # only the lines on disk are quarantined
                report.quarantined = quarantine.durable
            report.status = "failed"
            report.seconds = time.monotonic() - started
            raise _failure(graph, report, exc) from exc
    _troubles(report, by_path, stats, seen)

    report.seconds = time.monotonic() - started
    if not report.balanced():
        report.status = "failed"
        _record_failure(graph, report, "row accounting broken")
        raise IngestError(
            f"row accounting broken: read {report.read} != ingested {report.ingested} + "
            f"already present {report.already_present} + quarantined {report.quarantined}",
            report)
    for f in by_path.values():
        if f.status not in ("failed", "changed"):
            runs.mark_file(graph, checksum=f.checksum, path=Path(f.path), size=f.size,
                           status="complete", run_id=run_id, rows=f.read)
    troubled = report.troubled_files
    report.status = "partial" if troubled else "complete"
    runs.finish_run(graph, run_id, report.status, report.counts(), report.file_list(),
                    error="; ".join(f"{f.path}: {f.error}" for f in troubled) or None)
    if on_progress is not None:
        on_progress(report)
    return report


def _troubles(report: IngestReport, by_path: dict[str, FileReport], stats: ReadStats,
              seen: dict[str, tuple[Path, int, int]]) -> None:
    """Mark the files that failed, and those written to while read (not complete)."""
    for name, f in by_path.items():
        if name in stats.failed:
            f.status, f.error = "failed", one_line(stats.failed[name])
            continue
        path, size, mtime = seen[name]
        try:
            st = path.stat()
            now = (st.st_size, st.st_mtime_ns)
        except OSError:
            now = (-1, -1)
        if now != (size, mtime):
            f.status = "changed"
            f.error = "changed while it was read (still being written?): not complete"


def _failure(graph: Graph, report: IngestReport, exc: BaseException) -> BaseException:
    """Record the failed run with its true counts; the one-line error to raise."""
    written = (f"{report.ingested:,} rows written, {report.quarantined:,} quarantined of "
               f"{report.read:,} read")
    if isinstance(exc, KeyboardInterrupt | SystemExit):
        _record_failure(graph, report, "interrupted")
        return exc
    if isinstance(exc, ScalperNetError):  # ServerGone, QuarantineError: their own line
        cause = str(exc)
    else:
        log.exception("ingest run %s failed", report.run_id)
        cause = f"{type(exc).__name__}: {exc}"
    cause = one_line(cause, 300)
    _record_failure(graph, report, cause)
    return IngestError(f"ingest run {report.run_id} failed ({written}): {cause}; rerun the "
                       "same command to resume", report, cause)


def _record_failure(graph: Graph, report: IngestReport, reason: str) -> None:
    """Best effort: say in the graph that the run failed (Neo4j may be the thing that failed:
    then the next run settles it as abandoned, counting what it wrote from the graph)."""
    try:
        runs.finish_run(graph.with_retry_waits(()), report.run_id, "failed",
                        report.counts(), report.file_list(), error=reason)
    except Exception:
        log.warning("could not record the failed run %s in Neo4j", report.run_id)
