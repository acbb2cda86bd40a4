"""Ingestion bookkeeping in Neo4j: one IngestRun per `scalpernet ingest`, files by checksum."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from scalpernet.graph import Graph


def file_checksum(path: Path, chunk: int = 1 << 20) -> str:
    """SHA-256 of the file's bytes: the identity of an export, whatever its name."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


def now() -> datetime:
    return datetime.now(UTC)


def start_run(graph: Graph, run_id: str, quarantine_file: Path) -> None:
    graph.write("ingest_run_start", id=run_id, started_at=now(),
                quarantine_file=str(quarantine_file))


def finish_run(graph: Graph, run_id: str, status: str, counts: dict[str, int],
               files: list[dict[str, Any]], error: str | None = None) -> None:
    props = {**counts, "status": status, "ended_at": now(), "error": error,
             "files": orjson.dumps(files).decode()}
    graph.write("ingest_run_finish", id=run_id, props=props)


def file_status(graph: Graph, checksum: str) -> str | None:
    """'complete', 'partial' or None (never seen)."""
    return graph.read("ingest_file_state", checksum=checksum)[0]["status"]


def mark_file(graph: Graph, *, checksum: str, path: Path, size: int, status: str,
              run_id: str, rows: int) -> None:
    graph.write("ingest_file_mark", checksum=checksum, path=str(path), size=size,
                status=status, run_id=run_id, rows=rows, now=now())


def recent_runs(graph: Graph, *, limit: int = 20, offset: int = 0) -> list[dict[str, Any]]:
    """Recent ingestion runs, newest first, with their file list decoded."""
    runs = []
    for record in graph.read("ingest_runs", limit=limit, offset=offset):
        run = dict(record["run"])
        run["files"] = orjson.loads(run.get("files") or "[]")
        for key in ("started_at", "ended_at"):
            if run.get(key) is not None:
                run[key] = run[key].to_native()
        runs.append(run)
    return runs
