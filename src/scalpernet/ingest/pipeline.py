"""Ingestion: read → validate → write, with nothing lost and nothing written twice.

Every data row ends up ingested (created or updated), already present, or quarantined with
its reason, and the run checks ``read = ingested + already_present + quarantined`` before it
reports success. Files are known by checksum: a file fully ingested before is skipped unless
``force``. A run that dies (killed, or Neo4j gone for longer than the retries) leaves its files
marked partial; the next run reads them again and every row already stored counts as already
present, so resuming never duplicates.

Parsing runs in the calling thread while writer threads send batches to Neo4j (two
transactions in flight by default), so parsing and writing overlap and the server uses
both its cores; the queue between them is bounded, so memory stays flat in the file size.
"""

from __future__ import annotations

import logging
import queue
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
from neo4j.exceptions import ConstraintError, ServiceUnavailable, SessionExpired, TransientError

from scalpernet.config import get_settings
from scalpernet.errors import InputError, ScalperNetError
from scalpernet.graph import Graph
from scalpernet.ingest import runs
from scalpernet.ingest.collector import fewer_collections
from scalpernet.ingest.quarantine import QuarantineWriter
from scalpernet.ingest.readers import ReadStats, source_files
from scalpernet.ingest.validate import FileReport, IngestReport, iter_batches
from scalpernet.ingest.writer import BatchResult, Row, cypher_rows, write_batch

log = logging.getLogger(__name__)

#: Rows per write transaction (measured: see bench/bench_ingest.py).
BATCH_SIZE = 5_000
#: Write transactions in flight at once (measured: see bench/bench_ingest.py).
WRITERS = 2
#: Waits between retries of a batch when Neo4j is unreachable: about a minute in all.
RETRY_WAITS_S: tuple[float, ...] = (1, 2, 4, 8, 16, 32)
#: Immediate retries of a batch that raced a concurrent one to store the same booking.
RACE_RETRIES = 10
_NEO4J_GONE = (ServiceUnavailable, SessionExpired)
# OSError: the socket broke under the driver. A ConstraintError (another transaction stored
# the same registration between our read and write) is retried at once: the retried
# transaction reads it as present.
_RETRYABLE = (*_NEO4J_GONE, TransientError, OSError)


class IngestError(ScalperNetError):
    """An ingestion run stopped; rerunning the same command resumes it."""


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
                     waits: Sequence[float] = RETRY_WAITS_S) -> BatchResult:
    """Write a batch, waiting and retrying while Neo4j is unreachable or restarting.

    Safe to repeat: the batch's transaction re-reads what is stored before writing. A
    booking stored meanwhile by a concurrent batch (a uniqueness failure) is retried at once.
    """
    races = 0
    for attempt, wait in enumerate((*waits, None)):
        while True:
            try:
                return write_batch(graph, batch, run_id)
            except ConstraintError:
                races += 1
                if races > RACE_RETRIES:
                    raise
            except _RETRYABLE as exc:
                if wait is None:
                    raise IngestError(
                        f"Neo4j at {graph.settings.uri} stayed unavailable after "
                        f"{len(waits)} retries ({type(exc).__name__}); "
                        "rerun the same command to resume") from exc
                log.warning("batch write failed (%s), retry %d in %.0f s",
                            type(exc).__name__, attempt + 1, wait)
                time.sleep(wait)
                break
    raise AssertionError("unreachable")


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
        self.batches: queue.Queue[list[Row] | None] = queue.Queue(maxsize=count + 1)
        self.error: BaseException | None = None
        self._lock = threading.Lock()
        self._threads = [threading.Thread(target=self._run, name=f"scalpernet-writer-{i}",
                                          daemon=True) for i in range(count)]

    def start(self) -> None:
        for thread in self._threads:
            thread.start()

    def _run(self) -> None:
        while (batch := self.batches.get()) is not None:
            if self.error is not None:
                continue  # drain: the run has failed, write nothing more
            try:
                result = write_with_retry(self.graph, batch, self.run_id, self.waits)
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

    def put(self, batch: list[Row]) -> None:
        if self.error is not None:
            raise self.error
        self.batches.put(batch)

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
    retry_waits: Sequence[float] = RETRY_WAITS_S,
) -> IngestReport:
    """Ingest export files or folders into the graph; returns the run's report.

    ``on_progress`` is called (from a writer thread, one call at a time) after each
    committed batch. ``writers`` transactions are in flight at once.
    Raises :class:`IngestError` (after recording the run as failed when Neo4j still answers)
    if the run cannot finish; the files then stay partial and the next run resumes them.
    Refuses (:class:`~scalpernet.ingest.bulk.BulkError`) to add to a database an unfinished
    bulk load holds.
    """
    from scalpernet.ingest.bulk import refuse_if_unfinished

    refuse_if_unfinished(get_settings())
    started = time.monotonic()
    run_id = new_run_id()
    if quarantine_path is None:
        quarantine_path = get_settings().data_dir / "quarantine" / f"{run_id}.jsonl"
    report = IngestReport(run_id=run_id, quarantine_path=quarantine_path)

    todo: list[Path] = []
    by_path: dict[str, FileReport] = {}
    for path in source_files(paths):
        checksum = runs.file_checksum(path)
        state = runs.file_status(graph, checksum)
        status = "skipped" if state == "complete" and not force else (
            "forced" if state == "complete" else "ingested")
        file_report = FileReport(str(path), checksum, path.stat().st_size, status)
        report.files.append(file_report)
        if status != "skipped":
            todo.append(path)
            by_path[str(path)] = file_report

    runs.start_run(graph, run_id, quarantine_path)
    for f in by_path.values():
        runs.mark_file(graph, checksum=f.checksum, path=Path(f.path), size=f.size,
                       status="partial", run_id=run_id, rows=0)

    writer = _Writers(graph, run_id, report, max(1, writers), retry_waits, on_progress)
    writer.start()
    quarantine = QuarantineWriter(quarantine_path)
    stats = ReadStats()
    with fewer_collections() as collector:
        pending: list[pa.Table] = []
        held = 0
        try:
            for batch in iter_batches(todo, mapping, stats=stats):
                for item in batch.quarantined:
                    quarantine.write(item)
                report.add(batch, by_path.get(batch.file))
                report.blank = stats.blank
                if batch.rows.num_rows:
                    pending.append(batch.rows)
                    held += batch.rows.num_rows
                while held >= batch_size:
                    table = pa.concat_tables(pending)
                    writer.put(cypher_rows(table.slice(0, batch_size), run_id))
                    collector.rows(min(batch_size, held))
                    rest = table.slice(batch_size)
                    pending, held = ([rest] if rest.num_rows else []), rest.num_rows
            if held:
                writer.put(cypher_rows(pa.concat_tables(pending), run_id))
            writer.finish()
        except BaseException as exc:
            writer.abandon()
            quarantine.close()
            report.status = "failed"
            report.seconds = time.monotonic() - started
            _record_failure(graph, report, exc)
            if isinstance(exc, ScalperNetError | KeyboardInterrupt):
                raise
            if isinstance(exc, OSError) and not isinstance(exc, _NEO4J_GONE):
                raise InputError(f"cannot read an export: {exc}; nothing after the last "
                                 "committed batch was written, rerun to resume") from exc
            if isinstance(exc, _NEO4J_GONE):
                raise IngestError(f"Neo4j became unavailable during ingestion "
                                  f"({type(exc).__name__}); rerun the same command to "
                                  "resume") from exc
            raise
    quarantine.close()

    report.seconds = time.monotonic() - started
    if not report.balanced():
        report.status = "failed"
        _record_failure(graph, report, None)
        raise IngestError(
            f"row accounting broken: read {report.read} != ingested {report.ingested} + "
            f"already present {report.already_present} + quarantined {report.quarantined}")
    for f in by_path.values():
        runs.mark_file(graph, checksum=f.checksum, path=Path(f.path), size=f.size,
                       status="complete", run_id=run_id, rows=f.read)
    report.status = "complete"
    runs.finish_run(graph, run_id, "complete", report.counts(), report.file_list())
    if on_progress is not None:
        on_progress(report)
    return report


def _record_failure(graph: Graph, report: IngestReport, exc: BaseException | None) -> None:
    """Best effort: say in the graph that the run failed (Neo4j may be the thing that failed)."""
    reason = f"{type(exc).__name__}: {exc}"[:300] if exc is not None else "accounting"
    try:
        runs.finish_run(graph, report.run_id, "failed", report.counts(), report.file_list(),
                        error=reason)
    except Exception:  # the original failure is what the user must see
        log.warning("could not record the failed run %s in Neo4j", report.run_id)
