"""The access audit log: one JSON line per API request, written before the response goes out.

Lines go to ``<data folder>/audit/api-audit.jsonl`` through one ``O_APPEND`` descriptor with
a single ``write`` each, so a line reaches the operating system whole before the client sees
an answer; a failed write fails the request. Identifiers in the log are always masked,
whatever the caller's role: the log proves who saw what without becoming a copy of it.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio.to_thread
import orjson

from scalpernet.entities import KIND_LABELS
from scalpernet.privacy import mask_key, mask_text, mask_uid

AUDIT_FILE = "api-audit.jsonl"
_READ_BLOCK = 64 * 1024


@lru_cache(maxsize=200_000)
def mask_uid_safe(value: str) -> str:
    """`mask_uid` for anything that looks like a uid; other text gets `mask_text`."""
    kind = value.partition(":")[0]
    return mask_uid(value) if kind in KIND_LABELS and ":" in value else mask_text(value)


def mask_params(params: dict[str, Any]) -> dict[str, Any]:
    """Request parameters as they may be logged: keys masked by kind, text scrubbed."""
    kind = params.get("kind")
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name == "key" and isinstance(value, str) and isinstance(kind, str) and (
                kind in KIND_LABELS):
            out[name] = mask_key(kind, value)
        elif isinstance(value, str):
            out[name] = mask_uid_safe(value)
        elif isinstance(value, list):
            out[name] = [mask_uid_safe(v) if isinstance(v, str) else v for v in value]
        else:
            out[name] = value
    return out


class AuditLog:
    """Append-only JSONL audit log with newest-first reading for the admin route."""

    def __init__(self, directory: Path, *, fsync: bool = False) -> None:
        self.path = directory / AUDIT_FILE
        self.fsync = fsync
        self._lock = threading.Lock()
        self._fd: int | None = None

    def _descriptor(self) -> int:
        if self._fd is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        return self._fd

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None

    def append(self, entry: dict[str, Any]) -> None:
        """Write one entry as one line; raises OSError when it cannot be written whole."""
        line = orjson.dumps(entry, default=str) + b"\n"
        with self._lock:
            fd = self._descriptor()
            written = os.write(fd, line)
            if written != len(line):
                raise OSError(f"audit line written partly ({written} of {len(line)} bytes)")
            if self.fsync:
                os.fsync(fd)

    async def record(self, *, key_id: str | None, role: str | None, method: str, route: str,
                     status: int, params: dict[str, Any], entities: Iterable[str] = (),
                     outcome: str = "ok", request_id: str = "") -> None:
        """Log one request (masked); raises if the line is not written.

        One small ``write`` to the page cache takes microseconds, less than a hop to a
        thread; with ``fsync`` the write waits for the disk, so it leaves the event loop.
        """
        entry = {
            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
            "request_id": request_id,
            "key_id": key_id,
            "role": role,
            "method": method,
            "route": route,
            "status": status,
            "outcome": outcome,
            "params": mask_params(params),
            "entities": sorted({mask_uid_safe(u) for u in entities}),
        }
        if self.fsync:
            await anyio.to_thread.run_sync(self.append, entry)
        else:
            self.append(entry)

    def _lines_newest_first(self) -> Iterator[bytes]:
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            fh.seek(0, os.SEEK_END)
            position = fh.tell()
            tail = b""
            while position > 0:
                step = min(_READ_BLOCK, position)
                position -= step
                fh.seek(position)
                chunk = fh.read(step) + tail
                lines = chunk.split(b"\n")
                tail = lines.pop(0)
                for line in reversed(lines):
                    if line.strip():
                        yield line
            if tail.strip():
                yield tail

    def read(self, *, limit: int, offset: int = 0, key_id: str | None = None,
             route: str | None = None, since: datetime | None = None) -> list[dict[str, Any]]:
        """Entries newest first, filtered by key id, route prefix and time."""
        out: list[dict[str, Any]] = []
        skipped = 0
        for line in self._lines_newest_first():
            try:
                entry = orjson.loads(line)
            except orjson.JSONDecodeError:
                continue
            if since is not None and datetime.fromisoformat(entry["time"]) < since:
                break  # lines are in time order: everything further back is older
            if key_id is not None and entry.get("key_id") != key_id:
                continue
            if route is not None and not str(entry.get("route", "")).startswith(route):
                continue
            if skipped < offset:
                skipped += 1
                continue
            out.append(entry)
            if len(out) >= limit:
                break
        return out
