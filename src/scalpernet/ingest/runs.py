"""Ingestion bookkeeping in Neo4j: one IngestRun per `scalpernet ingest`, files by checksum.

A run is ``running`` only while its process lives. Each run records the host, pid and
process start time that own it, and renews a lease (:data:`LEASE_S`) while it works. Before a
new run starts (and when runs are listed) every run still ``running`` whose process is gone
(same host: no such pid, or a pid reused by a later process; another host: a lease left to
expire) is marked ``abandoned``, with the registrations it wrote counted from the graph. That
count waits until the server holds no connection of the dead process and no transaction
that may still commit for it (:func:`scalpernet.graph.clients.server_done_with`): a commit
it had sent before it died is counted, whenever it lands. Its files stay ``partial``: the
next run reads them again and finds those rows already present.

Text sent to Neo4j must be valid UTF-8: file names and messages holding undecodable bytes
(``\\udca6``) are sent escaped (:func:`scalpernet.errors.printable`), so a failure record can
always be written.
"""

from __future__ import annotations

import hashlib
import socket
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from scalpernet.errors import printable, printable_data
from scalpernet.graph import Graph
from scalpernet.graph.clients import process_start, server_done_with, this_process

#: Seconds a run's lease lasts; it is renewed every quarter of that while the run works.
LEASE_S = 120.0
#: Seconds a new run waits for the server to be done with a dead run's process before
#: counting what it wrote; a run still held after that is settled by a later one.
SETTLE_WAIT_S = 30.0
#: Run outcomes. running: its process lives. complete: every file read to its end, every row
#: accounted for. partial: some file failed or changed while read (the others are complete).
#: failed: stopped by an error it recorded. abandoned: its process died without a word.
STATUSES = ("running", "complete", "partial", "failed", "abandoned")


def file_checksum(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes: the identity of an export, whatever its name."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def owner_alive(run: dict[str, Any], at: datetime | None = None) -> bool:
    """Whether the process that owns ``run`` still lives (see the module)."""
    if run.get("host") == socket.gethostname() and run.get("pid") is not None:
        started = process_start(int(run["pid"]))
        return started is not None and (run.get("pid_started") is None
                                        or abs(started - float(run["pid_started"])) < 1.0)
    lease = run.get("lease_until")
    if lease is None:
        return True  # a run of an older version on another host: nothing to judge it by
    lease = lease.to_native() if hasattr(lease, "to_native") else lease
    return lease > (at or now())


def start_run(graph: Graph, run_id: str, quarantine_file: Path,
              files: list[dict[str, Any]] | None = None, parent: str | None = None) -> None:
    """Open a run owned by this process, with its lease and the files it will read."""
    graph.write("ingest_run_start", id=run_id, started_at=now(),
                quarantine_file=printable(str(quarantine_file)),
                files=orjson.dumps(printable_data(files or [])).decode(), parent=parent,
                lease_until=now() + timedelta(seconds=LEASE_S), **this_process())


def finish_run(graph: Graph, run_id: str, status: str, counts: dict[str, int],
               files: list[dict[str, Any]], error: str | None = None) -> None:
    props = {**counts, "status": status, "ended_at": now(),
             "error": printable(error) if error is not None else None,
             "files": orjson.dumps(printable_data(files)).decode(), "lease_until": None}
    graph.write("ingest_run_finish", id=run_id, props=props)


class Lease:
    """Renews a run's lease from a daemon thread until closed (a context manager).

    A renewal that fails (Neo4j away) is skipped: the lease only lets runs on other hosts
    judge this one, and the run's own retries outlast a short absence."""

    def __init__(self, graph: Graph, run_id: str, every_s: float = LEASE_S / 4) -> None:
        self.graph, self.run_id, self.every_s = graph.with_retry_waits(()), run_id, every_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._renew, name="scalpernet-lease",
                                        daemon=True)

    def _renew(self) -> None:
        while not self._stop.wait(self.every_s):
            try:
                self.graph.write("ingest_run_lease", id=self.run_id,
                                 lease_until=now() + timedelta(seconds=LEASE_S))
            except Exception:
                continue

    def __enter__(self) -> Lease:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def settle_dead_runs(graph: Graph, wait_s: float = SETTLE_WAIT_S) -> list[str]:
    """Mark every ``running`` run whose process is gone ``abandoned``; returns their ids.

    What an abandoned run wrote is counted from the graph (the registrations that carry its
    id) once the server is done with its process, waiting up to ``wait_s`` for that; a run
    the server still holds stays ``running`` for a later settle. Its files stay partial and
    resume on the next run."""
    at = now()
    dead = [dict(r["run"]) for r in graph.read("ingest_runs_running")]
    dead = [run for run in dead if not owner_alive(run, at)
            and server_done_with(graph, run, wait_s)]
    for run in dead:
        where = (f"pid {run.get('pid')} on {run.get('host')}" if run.get("pid") is not None
                 else "its process")
        graph.write("ingest_run_abandon", id=run["id"], now=now(),
                    error=printable(f"{where} ended before the run finished; its files stay "
                                    "partial and resume on the next run"))
    return [run["id"] for run in dead]


def file_status(graph: Graph, checksum: str) -> str | None:
    """'complete', 'partial' or None (never seen)."""
    return graph.read("ingest_file_state", checksum=checksum)[0]["status"]


def mark_file(graph: Graph, *, checksum: str, path: Path, size: int, status: str,
              run_id: str, rows: int) -> None:
    graph.write("ingest_file_mark", checksum=checksum, path=printable(str(path)), size=size,
                status=status, run_id=run_id, rows=rows, now=now())


def recent_runs(graph: Graph, *, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """Recent ingestion runs, newest first, with their file list decoded (dead runs settled
    first, waiting a few seconds at most, so none is shown ``running`` that is not)."""
    settle_dead_runs(graph, wait_s=5.0)
    runs = []
    for record in graph.read("ingest_runs", limit=limit, offset=offset):
        run = dict(record["run"])
        run["files"] = orjson.loads(run.get("files") or "[]")
        for key in ("started_at", "ended_at", "lease_until"):
            if run.get(key) is not None:
                run[key] = run[key].to_native()
        runs.append(run)
    return runs
