"""One nightly pass: new complete exports in the drop folder → ingest → analyze → NightlyPass.

Under the drop folder's lock (:mod:`scalpernet.nightly.lock`):

1. scan for complete files (:mod:`scalpernet.nightly.drop`); files still being written wait;
2. reach Neo4j under the one retry policy (:mod:`scalpernet.graph.session`) with the pass's
   waits (``SCALPERNET_NIGHTLY_RETRY_WAITS``); if it stays down the pass fails, every file
   stays where it is, and the pass goes to the local log;
3. per file, oldest first: a checksum already fully ingested moves to ``processed/`` as a
   duplicate without being read; otherwise :func:`ingest_paths` reads it and, when its size
   and mtime are still those it was taken with, it moves to ``processed/``; a file written
   to while it was read stays for the next pass (what was read is stored, and counts as
   already present then); a file that cannot be read moves to ``failed/`` with its reason;
   when Neo4j fails mid-file, or the quarantine cannot be written, the file stays (its rows
   so far are marked partial and resume next time). The pass counts every row its ingest
   runs read and wrote, finished or not;
4. when the graph changed since the served analysis, run the same analysis as
   ``scalpernet analyze``;
5. record the pass.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import orjson
from neo4j.exceptions import AuthError, DriverError, Neo4jError

from scalpernet.config import Settings, get_settings
from scalpernet.errors import InputError, ScalperNetError, ServerError, one_line
from scalpernet.graph import Graph, get_graph
from scalpernet.graph.schema import ensure_schema
from scalpernet.graph.session import ServerGone
from scalpernet.ingest import runs
from scalpernet.ingest.pipeline import IngestError, ingest_paths
from scalpernet.ingest.readers import SUFFIXES
from scalpernet.ingest.validate import IngestReport
from scalpernet.messages import say
from scalpernet.nightly import ledger
from scalpernet.nightly.drop import DropFile, move_failed, move_processed, scan_drop
from scalpernet.nightly.lock import PassLock
from scalpernet.privacy import mask_text

log = logging.getLogger(__name__)

#: Errors that say Neo4j (not the file) is the problem.
_GRAPH_ERRORS = (IngestError, ServerError, DriverError, Neo4jError)


class GraphUnavailable(ScalperNetError):
    """Neo4j did not answer within the pass's retries."""


@dataclass(frozen=True, slots=True)
class PassOutcome:
    """A finished pass and the exit code ``scalpernet nightly --once`` gives it."""

    record: ledger.PassRecord
    #: Where the record went: 'neo4j' or the local log's path.
    recorded_in: str

    @property
    def exit_code(self) -> int:
        return {"complete": 0, "partial": 2}.get(self.record.status, 1)

    def summary(self, lang: str = "en") -> str:
        """One line in `lang` (the service's log: English): what the pass did."""
        r = self.record
        line = say("nightly.summary", lang, id=r.id, status=r.status, seconds=r.duration_s,
                   ingested=r.count("ingested"), duplicate=r.count("duplicate"),
                   failed=r.count("failed"), retry=r.count("retry"), waiting=r.waiting,
                   read=r.read, rows_ingested=r.ingested, present=r.already_present,
                   quarantined=r.quarantined)
        if r.analysis and "networks" in r.analysis:
            line += say("nightly.analysis", lang, run_id=r.analysis.get("run_id"),
                        networks=r.analysis["networks"])
        if r.error:
            line += f"; {r.error}"
        return line

    def failure(self, lang: str = "en") -> str:
        """The one line in `lang` a failed or partial pass leaves on stderr."""
        r = self.record
        if r.status == "partial":
            return self.summary(lang)
        return say("nightly.failed", lang, id=r.id, error=r.error, recorded_in=self.recorded_in)


def nightly_zone(settings: Settings) -> ZoneInfo:
    """The zone of the schedule and of the ``processed/<date>`` folders."""
    try:
        return ZoneInfo(settings.nightly_timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise InputError(f"SCALPERNET_NIGHTLY_TZ={settings.nightly_timezone!r} is not a known "
                         "time zone (an IANA name such as Asia/Shanghai)") from None


def _brief(exc: BaseException | str) -> str:
    """One masked line for a log, a reason file or a pass record (no ID numbers, no phones)."""
    text = (exc if isinstance(exc, str) else str(exc) or type(exc).__name__)
    return mask_text(one_line(text))


def connect(waits: tuple[float, ...], uri: str) -> Graph:
    """The graph with its schema, under the one retry policy
    (:meth:`~scalpernet.graph.session.Graph.retry`) with the pass's ``waits``;
    :class:`GraphUnavailable` when Neo4j stays away or refuses the pass.

    The graph returned retries every later call with the same waits."""
    graph = get_graph(verify=False).with_retry_waits(waits)
    try:
        graph.retry(graph.driver.verify_connectivity)  # the cached driver may be stale
        ensure_schema(graph)
        return graph
    except ServerGone as exc:
        raise GraphUnavailable(f"Neo4j at {uri} unavailable after {len(waits) + 1} tries "
                               f"({type(exc.__cause__).__name__}); files left in the drop "
                               "folder") from None
    except AuthError:
        raise GraphUnavailable(f"Neo4j at {uri} refused the credentials; files left in the "
                               "drop folder") from None
    except (*_GRAPH_ERRORS, OSError) as exc:
        raise GraphUnavailable(f"Neo4j at {uri} failed: {_brief(exc)}; files left in the "
                               "drop folder") from None


def _reachable(graph: Graph) -> bool:
    try:
        graph.verify()
    except ServerError:
        return False
    return True


def analysis_due(graph: Graph) -> bool:
    """True when rows were written after the served analysis started (or none exists)."""
    row = graph.read("nightly_analysis_due")[0]
    if row["ingested_at"] is None:
        return False
    return row["analysed_at"] is None or row["ingested_at"] > row["analysed_at"]


def run_analysis(graph: Graph, settings: Settings) -> dict[str, Any]:
    """What ``scalpernet analyze --json`` runs and prints, as a dict; the window read is
    kept under ``<data_dir>/analysis`` so that the next pass reads only what changed."""
    from scalpernet.detect.commands import run_analyze

    return orjson.loads(run_analyze(graph, as_json=True, kept=kept_window(settings)))


def kept_window(settings: Settings) -> Path:
    """Where the nightly pass keeps its analysis window between passes."""
    return settings.data_dir / "analysis"


class _Pass:
    """The state of one pass while it runs."""

    def __init__(self, settings: Settings, drop_dir: Path, record: ledger.PassRecord,
                 on_stage: Callable[[str], None] | None) -> None:
        self.settings = settings
        self.record = record
        self.drop_dir = drop_dir
        self.day = record.started_at.astimezone(nightly_zone(settings)).strftime("%Y-%m-%d")
        self.tag = record.id.rsplit("-", 1)[-1]
        self.on_stage = on_stage or (lambda stage: None)

    def file_entry(self, f: DropFile, outcome: str, **extra: Any) -> dict[str, Any]:
        entry = {"name": str(f.relative), "size": f.size, "outcome": outcome, **extra}
        self.record.files.append(entry)
        return entry

    def reject(self, f: DropFile, reason: str, **extra: Any) -> None:
        moved = move_failed(f, self.drop_dir, reason, day=self.day, tag=self.tag)
        self.file_entry(f, "failed", reason=reason, moved_to=str(moved.relative_to(
            self.drop_dir)), **extra)
        log.warning("%s moved to failed/: %s", f.relative, reason)

    def accept(self, f: DropFile, outcome: str, **extra: Any) -> None:
        moved = move_processed(f, self.drop_dir, day=self.day, tag=self.tag)
        self.file_entry(f, outcome, moved_to=str(moved.relative_to(self.drop_dir)), **extra)
        log.info("%s %s, moved to %s", f.relative, outcome, moved.relative_to(self.drop_dir))

    def take(self, graph: Graph, f: DropFile) -> None:
        """Handle one complete export; raises only when Neo4j is the problem."""
        if not f.is_export:
            self.reject(f, f"not an export file: {f.path.suffix or 'no suffix'} is not one of "
                           + " ".join(SUFFIXES))
            return
        checksum = runs.file_checksum(f.path)
        if not f.unchanged():  # written to again although it looked complete: next pass
            self.record.waiting += 1
            log.info("%s changed while being checked; left for the next pass", f.relative)
            return
        if f.marker_digest is not None and f.marker_digest != checksum:
            self.reject(f, "its SHA-256 does not match the one in its .done marker "
                           f"({f.marker_digest[:12]}…, file {checksum[:12]}…)",
                        checksum=checksum)
            return
        if runs.file_status(graph, checksum) == "complete":
            self.accept(f, "duplicate", checksum=checksum)
            return
        quarantine = (self.settings.data_dir / "quarantine"
                      / f"{self.record.id}-{len(self.record.files) + 1}.jsonl")
        try:
            report = ingest_paths(graph, [f.path], quarantine_path=quarantine,
                                  retry_waits=self.settings.nightly_retry_waits,
                                  parent=self.record.id)
        except IngestError as exc:
            if exc.report is not None:
                self.count(exc.report)
            if not _reachable(graph):
                raise GraphUnavailable(f"Neo4j became unavailable while ingesting "
                                       f"{f.relative}; files left in the drop folder") from exc
            # Neo4j answers again, or the quarantine could not be written: the file is not
            # to blame; it stays for the next pass.
            self.file_entry(f, "retry", checksum=checksum, reason=_brief(exc.cause),
                            **self.counts(exc.report))
            log.warning("%s left for the next pass: %s", f.relative, _brief(exc.cause))
            return
        except _GRAPH_ERRORS as exc:
            if not _reachable(graph):
                raise GraphUnavailable(f"Neo4j became unavailable while ingesting "
                                       f"{f.relative}; files left in the drop folder") from exc
            self.file_entry(f, "retry", checksum=checksum, reason=_brief(exc))
            return
        self.count(report)
        (file_report,) = report.files
        if file_report.status == "failed":
            self.reject(f, _brief(file_report.error or "unreadable"), checksum=checksum,
                        **self.counts(report))
            return
        if file_report.status == "changed" or not f.unchanged():
            # written to while it was read: what was read is stored, the rest waits
            self.file_entry(f, "retry", checksum=checksum,
                            reason="changed while it was read (still being written); read "
                                   "again when it has settled", **self.counts(report))
            log.info("%s changed while read; left for the next pass", f.relative)
            return
        self.accept(f, "ingested", checksum=checksum, **self.counts(report),
                    quarantine_file=str(report.quarantine_path) if report.quarantined else None)

    def count(self, report: IngestReport) -> None:
        """Add an ingest run's rows (finished or not: its true counts) to the pass."""
        r = self.record
        r.read += report.read
        r.ingested += report.ingested
        r.already_present += report.already_present
        r.quarantined += report.quarantined

    @staticmethod
    def counts(report: IngestReport | None) -> dict[str, Any]:
        if report is None:
            return {}
        return {"ingest_run": report.run_id, "read": report.read, "ingested": report.ingested,
                "already_present": report.already_present, "quarantined": report.quarantined}

    def run(self) -> ledger.PassRecord:
        """The pass's work; returns when done, raises :class:`GraphUnavailable`."""
        scan = scan_drop(self.drop_dir, settle_s=self.settings.drop_settle_s)
        self.record.waiting = len(scan.waiting)
        self.on_stage("scanned")
        graph = connect(self.settings.nightly_retry_waits, self.settings.uri)
        try:
            ledger.record_start(graph, self.record)
            # the local log first: its final records replace what the graph only guessed
            ledger.import_local(graph, ledger.local_log(self.settings.data_dir))
            # dead ingest runs first: a dead pass is counted from its runs' final counts
            runs.settle_dead_runs(graph)
            ledger.abandon_others(graph, self.record)
        except _GRAPH_ERRORS as exc:
            raise GraphUnavailable(f"Neo4j failed at the start of the pass: {_brief(exc)}"
                                   ) from exc
        self.on_stage("connected")
        for f in scan.ready:
            self.take(graph, f)
        self.on_stage("ingested")
        try:
            if analysis_due(graph):
                self.record.analysis = run_analysis(graph, self.settings)
            else:
                self.record.analysis = {"skipped": "no rows written since the served analysis"}
        except _GRAPH_ERRORS as exc:
            raise GraphUnavailable(f"analysis failed: {_brief(exc)}") from exc
        self.on_stage("analysed")
        troubled = self.record.count("failed") + self.record.count("retry")
        self.record.status = "partial" if troubled else "complete"
        if troubled:
            self.record.error = (f"{self.record.count('failed')} file(s) moved to failed/, "
                                 f"{self.record.count('retry')} left for retry")
        return self.record


def _store(record: ledger.PassRecord, settings: Settings) -> str:
    """Record the finished pass in Neo4j, else in the local log; returns where it went."""
    try:
        graph = get_graph()
        graph.verify()  # fails at once, where a write would retry for half a minute
        ledger.record_finish(graph, record)
        return "neo4j"
    except (*_GRAPH_ERRORS, OSError) as exc:
        path = ledger.local_log(settings.data_dir)
        ledger.append_local(path, record)
        log.warning("Neo4j could not take pass %s (%s); written to %s", record.id,
                    type(exc).__name__, path)
        return str(path)


def run_pass(settings: Settings | None = None, *,
             on_stage: Callable[[str], None] | None = None) -> PassOutcome:
    """Run one pass under the drop folder's lock; raises :class:`PassLocked` if one runs.

    ``on_stage`` is called with 'locked', 'scanned', 'connected', 'ingested', 'analysed'.
    A failed pass is returned (status 'failed', ``exit_code`` 1), not raised; an interrupted
    one (Ctrl-C, SIGTERM) is recorded as failed and the interruption goes on.
    """
    settings = settings or get_settings()
    drop_dir = Path(settings.drop_dir or settings.data_dir / "drop")
    drop_dir.mkdir(parents=True, exist_ok=True)
    record = ledger.PassRecord(id=ledger.new_pass_id(), drop_dir=str(drop_dir))
    current = _Pass(settings, drop_dir, record, on_stage)
    started = time.monotonic()
    with PassLock(drop_dir, record.id):
        current.on_stage("locked")
        try:
            current.run()
        except GraphUnavailable as exc:
            record.status, record.error = "failed", str(exc)
        except Exception as exc:  # a bug: still recorded, and the files not yet taken stay
            log.exception("nightly pass %s failed", record.id)
            record.status, record.error = "failed", f"{type(exc).__name__}: {_brief(exc)}"
        except BaseException:
            record.status, record.error = "failed", "interrupted; files not yet taken stay"
            _finish(record, started, settings)
            raise
        where = _finish(record, started, settings)
    return PassOutcome(record, where)


def _finish(record: ledger.PassRecord, started: float, settings: Settings) -> str:
    record.ended_at = datetime.now(record.started_at.tzinfo)
    record.duration_s = time.monotonic() - started
    return _store(record, settings)
