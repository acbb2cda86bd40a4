"""Who is calling: the ``X-API-Key`` header checked against hashed keys, and what each role may do.

Roles: ``investigator`` reads everything with full identifiers; ``analyst`` reads everything
with ID numbers and phones masked (navigating by opaque references); ``admin`` reads
everything, full identifiers, plus the audit log, and may upload; ``ingest`` may only upload.

Authentication happens once per request, in :class:`Authenticate`, before the request is
routed or its parameters are read: a caller without a valid key learns nothing of a route,
not even which parameters it takes. Routes then check roles with ``deps.require``.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

from cachetools import TTLCache
from fastapi.security import APIKeyHeader
from starlette.requests import HTTPConnection
from starlette.responses import RedirectResponse
from starlette.types import Receive, Scope, Send

from scalpernet.api.asgi import HttpMiddleware
from scalpernet.api.errors import ApiError, error_response
from scalpernet.api.responses import masked_viewer
from scalpernet.api.sessions import SESSION_COOKIE
from scalpernet.api.throttle import Throttle
from scalpernet.apikeys import parse_key, secret_matches
from scalpernet.graph.async_session import AsyncGraph

#: Roles that read investigative data.
READERS = ("investigator", "analyst", "admin")
#: Roles that see ID numbers and phones masked.
MASKED_ROLES = frozenset({"analyst"})
#: Paths answered without a key: liveness, the API's own documentation, the sign-in form.
PUBLIC_PATHS = frozenset({"/health", "/openapi.json", "/docs", "/ui/login", "/ui/logout"})
PUBLIC_PREFIXES = ("/docs/",)
#: Pages for browsers: a signed-in browser's session is accepted, and a browser without one
#: is sent to the sign-in form instead of getting a 401.
PAGES_PREFIX = "/ui/"
#: The header a network page's script sends with its reads of the JSON API. A session is
#: accepted there only with it: another site cannot add it without a CORS preflight, which
#: fails (the session cookie is SameSite=Strict besides).
PAGE_HEADER = "x-scalpernet-page"

api_key_header = APIKeyHeader(
    name="X-API-Key", auto_error=False,
    description="An API key from `scalpernet apikey create --role ROLE` (snk_<id>_<secret>).",
)


@dataclass(frozen=True)
class Principal:
    """An authenticated caller."""

    key_id: str
    role: str
    name: str

    @property
    def masked(self) -> bool:
        return self.role in MASKED_ROLES


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": "X-API-Key"})


class KeyVerifier:
    """Checks presented keys against the stored hashes, with short caches.

    A verified key is remembered for `ttl` seconds so that a busy client does not cost a
    database round trip per request; a revoked key therefore stops working within `ttl`.
    A key id that is not stored is remembered for `unknown_ttl` seconds, so that made-up
    keys do not cost a read each (ids are random: no key created later is among them).
    When the entry of a busy key expires, its concurrent requests share one read.
    """

    def __init__(self, graph: AsyncGraph, *, ttl: float = 5.0,
                 unknown_ttl: float = 60.0) -> None:
        self.graph = graph
        self.ttl = ttl
        self._known: TTLCache[str, dict[str, Any]] | None = (
            TTLCache(10_000, ttl) if ttl > 0 else None)
        self._unknown: TTLCache[str, bool] = TTLCache(100_000, unknown_ttl)
        self._reading: dict[str, asyncio.Future[dict[str, Any] | None]] = {}
        #: Reads of stored keys (for tests and measurements).
        self.reads = 0

    async def _stored(self, key_id: str) -> dict[str, Any] | None:
        if self._known is not None and (hit := self._known.get(key_id)) is not None:
            return hit
        if key_id in self._unknown:
            return None
        pending = self._reading.get(key_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[dict[str, Any] | None] = (
            asyncio.get_running_loop().create_future())
        self._reading[key_id] = future
        try:
            self.reads += 1
            records = await self.graph.read("api_key_get", id=key_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            del self._reading[key_id]
        stored = records[0]["key"] if records else None
        if stored is None:
            self._unknown[key_id] = True
        elif self._known is not None:
            self._known[key_id] = stored
        future.set_result(stored)
        return stored

    async def verify(self, presented: str | None) -> Principal:
        """The caller behind a presented key, or a 401 ApiError."""
        if not presented:
            raise _unauthorized("missing X-API-Key header")
        parsed = parse_key(presented)
        if parsed is None:
            raise _unauthorized("malformed API key")
        key_id, secret = parsed
        stored = await self._stored(key_id)
        if stored is None or not secret_matches(secret, stored.get("hash") or ""):
            raise _unauthorized("unknown API key")
        return self._principal(key_id, stored)

    async def of_session(self, key_id: str) -> Principal:
        """The caller behind a page session's key (revoked keys end their sessions)."""
        stored = await self._stored(key_id)
        if stored is None:
            raise _unauthorized("your session has ended: sign in again")
        return self._principal(key_id, stored)

    @staticmethod
    def _principal(key_id: str, stored: dict[str, Any]) -> Principal:
        if stored.get("revoked_at") is not None:
            raise _unauthorized("this API key has been revoked")
        return Principal(key_id=key_id, role=str(stored["role"]), name=stored.get("name") or "")


def session_accepted(connection: HTTPConnection) -> bool:
    """Whether a page session may stand for a key here: on the pages, and on the JSON API's
    reads made by a page's script (``X-ScalperNet-Page``); never for an upload."""
    if connection.url.path.startswith(PAGES_PREFIX):
        return True
    return connection.scope.get("method") == "GET" and PAGE_HEADER in connection.headers


async def authenticate(connection: HTTPConnection) -> Principal:
    """The caller of a request: its ``X-API-Key``, or where accepted its page session."""
    state = connection.app.state
    key = connection.headers.get("x-api-key")
    token = connection.cookies.get(SESSION_COOKIE)
    if key is None and token and session_accepted(connection):
        session = await state.sessions.resolve(token)
        if session is None:
            raise _unauthorized("your session has ended: sign in again")
        connection.scope["state"]["key_id"] = session.key_id
        connection.scope["state"]["via"] = "page_session"
        return await state.verifier.of_session(session.key_id)
    parsed = parse_key(key or "")
    connection.scope["state"]["key_id"] = parsed[0] if parsed else None
    return await state.verifier.verify(key)


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class Authenticate(HttpMiddleware):
    """ASGI middleware: every request but a public one is authenticated before it is routed.

    The caller goes to ``scope["state"]["principal"]`` (read by the audit log and by
    ``deps.require``), the masking of its answers is switched on for masked roles, and the
    per-address and per-key rate limits are applied (429 with ``Retry-After``).
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        connection = HTTPConnection(scope)
        path: str = scope["path"]
        throttle: Throttle = scope["app"].state.throttle
        refused = throttle.address(connection)
        if refused is None and not is_public(path):
            try:
                principal = await authenticate(connection)
            except ApiError as exc:
                if path.startswith(PAGES_PREFIX) and exc.status == 401:
                    await RedirectResponse("/ui/login", status_code=303)(scope, receive, send)
                    return
                await error_response(exc.status, exc.code, exc.message,
                                     headers=exc.headers)(scope, receive, send)
                return
            scope["state"]["principal"] = principal
            refused = throttle.key(principal.key_id)
        if refused is not None:
            await error_response(refused.status, refused.code, refused.message,
                                 headers=refused.headers)(scope, receive, send)
            return
        principal = scope["state"].get("principal")
        token = masked_viewer.set(principal is not None and principal.masked)
        try:
            await self.app(scope, receive, send)
        finally:
            masked_viewer.reset(token)
