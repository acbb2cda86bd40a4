"""NightlyPass records: in Neo4j, and in a local JSON Lines log when Neo4j cannot take them.

A pass that fails because Neo4j is down is written to ``<data_dir>/nightly/passes.jsonl``;
the next pass that reaches Neo4j imports that log (by pass id, never overwriting), so the
graph ends up with every pass and ``scalpernet runs`` shows them in the meantime.
"""

from __future__ import annotations

import secrets
import socket
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson

from scalpernet.errors import printable, printable_data
from scalpernet.graph import Graph

#: Pass outcomes. complete: every ready file handled and the analysis (when due) stored.
#: partial: some files failed or wait for a retry, the rest done. failed: nothing more could be
#: done (Neo4j unavailable, analysis failed). abandoned: its process died mid-pass.
STATUSES = ("running", "complete", "partial", "failed", "abandoned")


def new_pass_id() -> str:
    """Sortable and unique: ``nightly-20260305T180000Z-3f9a1c``."""
    return f"nightly-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


@dataclass(slots=True)
class PassRecord:
    """One nightly pass, as stored on its ``NightlyPass`` node."""

    id: str
    drop_dir: str
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    host: str = field(default_factory=socket.gethostname)
    status: str = "running"
    ended_at: datetime | None = None
    #: One entry per file taken: name, outcome (ingested / duplicate / failed / retry), …
    files: list[dict[str, Any]] = field(default_factory=list)
    waiting: int = 0
    read: int = 0
    ingested: int = 0
    already_present: int = 0
    quarantined: int = 0
    #: The analysis run's summary (what ``scalpernet analyze --json`` prints), or why none ran.
    analysis: dict[str, Any] | None = None
    duration_s: float = 0.0
    error: str | None = None

    def count(self, outcome: str) -> int:
        return sum(1 for f in self.files if f["outcome"] == outcome)

    def props(self) -> dict[str, Any]:
        """Node properties: lists and maps as JSON text (Neo4j stores no nested maps)."""
        return {"id": self.id, "drop_dir": printable(self.drop_dir), "host": self.host,
                "started_at": self.started_at, "ended_at": self.ended_at,
                "status": self.status,
                "files": orjson.dumps(printable_data(self.files)).decode(),
                "waiting": self.waiting, "read": self.read, "ingested": self.ingested,
                "already_present": self.already_present, "quarantined": self.quarantined,
                "analysis": orjson.dumps(printable_data(self.analysis)).decode(),
                "duration_s": round(self.duration_s, 3),
                "error": printable(self.error) if self.error is not None else None}


def record_start(graph: Graph, record: PassRecord) -> None:
    graph.write("nightly_pass_start", id=record.id, started_at=record.started_at,
                drop_dir=printable(record.drop_dir), host=record.host)


def record_finish(graph: Graph, record: PassRecord) -> None:
    graph.write("nightly_pass_finish", id=record.id, props=record.props())


def abandon_others(graph: Graph, record: PassRecord) -> int:
    """Mark passes on this drop folder that are still 'running' as abandoned (we hold the lock)."""
    return graph.write("nightly_pass_abandon", id=record.id, drop_dir=printable(record.drop_dir),
                       now=datetime.now(UTC))[0]["abandoned"]


# -- the local log -------------------------------------------------------------------------
def local_log(data_dir: Path) -> Path:
    return data_dir / "nightly" / "passes.jsonl"


def append_local(path: Path, record: PassRecord) -> None:
    """Append the pass to the local log (one JSON object per line, flushed to disk)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("ab") as handle:
        handle.write(orjson.dumps(record.props()) + b"\n")
        handle.flush()


def read_local(path: Path) -> list[dict[str, Any]]:
    """The passes in the local log, as stored (datetimes as ISO text); bad lines skipped."""
    if not path.exists():
        return []
    passes = []
    for line in path.read_bytes().splitlines():
        try:
            item = orjson.loads(line)
        except orjson.JSONDecodeError:  # a line cut short by a crash
            continue
        if isinstance(item, dict) and "id" in item:
            passes.append(item)
    return passes


def import_local(graph: Graph, path: Path) -> int:
    """Store the local log's passes in Neo4j (existing ids are left as they are)."""
    passes = read_local(path)
    for item in passes:
        for key in ("started_at", "ended_at"):
            if isinstance(item.get(key), str):
                item[key] = datetime.fromisoformat(item[key])
    if not passes:
        return 0
    return graph.write("nightly_pass_import", passes=passes)[0]["passes"]


# -- reading ---------------------------------------------------------------------------------
def _decoded(item: dict[str, Any], source: str) -> dict[str, Any]:
    item = dict(item)
    for key in ("started_at", "ended_at"):
        value = item.get(key)
        if isinstance(value, str):
            item[key] = datetime.fromisoformat(value)
        elif value is not None and hasattr(value, "to_native"):
            item[key] = value.to_native()
    for key, empty in (("files", "[]"), ("analysis", "null")):
        if isinstance(item.get(key) or empty, str):
            item[key] = orjson.loads(item.get(key) or empty)
    item["recorded_in"] = source
    return item


def recent_passes(graph: Graph | None, data_dir: Path, *, limit: int = 20,
                  offset: int = 0) -> list[dict[str, Any]]:
    """Recent passes, newest first: Neo4j's (when ``graph`` is given) and the local log's."""
    by_id: dict[str, dict[str, Any]] = {}
    for item in read_local(local_log(data_dir)):
        by_id[item["id"]] = _decoded(item, "local log")
    if graph is not None:
        for row in graph.read("nightly_passes", limit=limit + offset + len(by_id), offset=0):
            by_id[row["pass"]["id"]] = _decoded(row["pass"], "neo4j")
    ordered = sorted(by_id.values(), key=lambda p: p["started_at"], reverse=True)
    return ordered[offset:offset + limit]
