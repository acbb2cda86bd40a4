"""The access audit log: one JSON line per request, whatever its outcome, before its answer.

:class:`AuditTrail` (ASGI middleware) writes the line when the response starts, so every
request is logged — answered, refused (401, 403, 429), invalid (400, 404, 405, 408, 422),
failed (5xx) or abandoned by its client (499) — including routes added later, which need
do nothing for it. Lines go to ``<data folder>/audit/api-audit.jsonl`` through one
``O_APPEND`` descriptor with a single ``write`` each, so a line reaches the operating system
whole before the client sees an answer; when it cannot be written a data answer is replaced
by a 500 and no data leaves (refusals and public answers, which hold none, still go).
Everything in a line is masked by content whatever the caller's role and whatever kind a
value was typed under: the log proves who saw what without becoming a copy of it.

What a route knows and the middleware cannot see goes in ``scope["state"]``: the entities
an answer showed (``audit_entities``), the actors (``audit_actors``), extra parameters
(``audit_params``), an outcome of its own (``audit_outcome``, e.g. ``signed_in``). A route
that must have its line written before a side effect (an upload kept) writes it itself
(``deps.Ctx.audit_ok``).
"""

from __future__ import annotations

import logging
import os
import re
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import Any

import anyio.to_thread
import orjson
from starlette.datastructures import QueryParams
from starlette.routing import Match
from starlette.types import Message, Receive, Scope, Send

from scalpernet.api.asgi import HttpMiddleware
from scalpernet.api.auth import is_public
from scalpernet.api.errors import error_body
from scalpernet.api.responses import render_json
from scalpernet.entities import KIND_LABELS
from scalpernet.privacy import mask_key, mask_uid, mask_value

AUDIT_FILE = "api-audit.jsonl"
_READ_BLOCK = 64 * 1024
log = logging.getLogger("scalpernet.api")


def mask_params(params: dict[str, Any]) -> dict[str, Any]:
    """Request parameters as they may be logged: masked by content, and a ``key`` typed
    under a personal kind masked whole (it is personal whatever its shape)."""
    kind = params.get("kind")
    out: dict[str, Any] = {}
    for name, value in params.items():
        if name == "key" and isinstance(value, str):
            out[name] = mask_key(kind if isinstance(kind, str) and kind in KIND_LABELS
                                 else "", value)
        else:
            out[name] = mask_value(value)
    return out


def outcome_of(status: int) -> str:
    """The audit outcome a status stands for, when the route gave none of its own."""
    if status < 400:
        return "ok"
    return {401: "unauthenticated", 403: "denied", 404: "not_found", 429: "rate_limited",
            499: "disconnected"}.get(status, "rejected" if status < 500 else "failed")


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

    async def record(self, entry: dict[str, Any]) -> None:
        """Write one (already masked) entry; raises if the line is not written.

        One small ``write`` to the page cache takes microseconds, less than a hop to a
        thread; with ``fsync`` the write waits for the disk, so it leaves the event loop.
        """
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


_CONVERTER = re.compile(r"\{(\w+):\w+\}")


@lru_cache(maxsize=1024)
def _template(path: str) -> str:
    return _CONVERTER.sub(r"{\1}", path)


def route_template(route: Any) -> str | None:
    """A route's path template as documented (``/entities/{kind}/{key}``, no converters)."""
    path = getattr(route, "path", None)
    return _template(path) if isinstance(path, str) else None


def _route_of(scope: Scope) -> tuple[str | None, dict[str, Any]]:
    """The route template and path parameters of a request, matched here when the request
    was answered before routing (a refused key)."""
    route = scope.get("route")
    if route is not None and hasattr(route, "path"):
        return route_template(route), dict(scope.get("path_params") or {})
    app = scope.get("app")
    for candidate in getattr(app, "routes", ()):
        match, child = candidate.matches(scope)
        if match is not Match.NONE:
            return route_template(candidate), dict(child.get("path_params") or {})
    return None, {}


def shown_in_line(state: dict[str, Any]) -> dict[str, list[str]]:
    """The masked ``entities`` (and ``actors``) of a request's audit line.

    Kept in the request state beside the lists it was made from, so that an answer sent
    again from memory (``caching.ResponseCache``) does not mask its hundred uids again."""
    entities, actors = state.get("audit_entities"), state.get("audit_actors")
    memo = state.get("audit_shown")
    if memo is not None and memo[0] is entities and memo[1] is actors:
        return memo[2]
    shown = {"entities": sorted({mask_uid(u) for u in entities or ()})}
    if actors:
        shown["actors"] = sorted({mask_value(a) for a in actors})
    state["audit_shown"] = (entities, actors, shown)
    return shown


def audit_entry(scope: Scope, status: int) -> dict[str, Any]:
    """The audit line of a request answered with `status`, masked."""
    state = scope.setdefault("state", {})
    principal = state.get("principal")
    template, params = _route_of(scope)
    query = QueryParams(scope.get("query_string", b""))
    for name in query:
        values = query.getlist(name)
        params[name] = values[0] if len(values) == 1 else values
    params.update(state.get("audit_params") or {})
    client = scope.get("client")
    entry: dict[str, Any] = {
        "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
        "request_id": state.get("request_id", ""),
        "key_id": principal.key_id if principal is not None else state.get("key_id"),
        "role": principal.role if principal is not None else None,
        "client": client[0] if client else None,
        "method": scope.get("method"),
        "route": template or "<unrouted>",
        "status": status,
        "outcome": state.get("audit_outcome") or outcome_of(status),
        "params": mask_params(params),
        **shown_in_line(state),
    }
    if state.get("via"):  # a signed-in browser's page session stood for the key
        entry["via"] = state["via"]
    if template is None:
        entry["path"] = mask_value(scope.get("path", ""))
    return entry


def _refusal() -> tuple[Message, Message]:
    body = render_json(error_body(
        "audit_unavailable", "the access could not be recorded in the audit log, so no data "
                             "is returned; tell the administrator"))
    return ({"type": "http.response.start", "status": 500,
             "headers": [(b"content-type", b"application/json"),
                         (b"content-length", str(len(body)).encode())]},
            {"type": "http.response.body", "body": body, "more_body": False})


class AuditTrail(HttpMiddleware):
    """ASGI middleware: one audit line per HTTP request, written before its answer starts."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope.setdefault("state", {})
        audit: AuditLog = scope["app"].state.audit
        refused = False
        answered = False

        async def send_audited(message: Message) -> None:
            nonlocal refused, answered
            if refused:
                return  # the answer was replaced: nothing of the original leaves
            if message["type"] == "http.response.start":
                answered = True
                status = message["status"]
                if state.get("audited_status") != status:  # a route may have written it
                    try:
                        await audit.record(audit_entry(scope, status))
                    except Exception as exc:
                        if status >= 400 or is_public(scope.get("path", "")):
                            # a refusal or a public answer holds no data: it still goes
                            log.error("audit write failed (%s) for a %d answer",
                                      type(exc).__name__, status)
                            await send(message)
                            return
                        log.error("audit write failed (%s): refusing the response",
                                  type(exc).__name__)
                        refused = True
                        start, body = _refusal()
                        await send(start)
                        await send(body)
                        return
            await send(message)

        try:
            await self.app(scope, receive, send_audited)
        finally:
            if not answered:  # the client went away (or the server stops) unanswered
                try:
                    audit.append(audit_entry(scope, 499))
                except Exception as exc:
                    log.error("audit write failed for an unanswered request: %s",
                              type(exc).__name__)
