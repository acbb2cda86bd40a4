"""Page sessions: a browser signs in with its key once and then holds only an opaque session id.

The cookie carries 256 random bits, never the API key. Neo4j stores the SHA-256 of that id
(``:PageSession``) with the key it stands for, when it was opened, last used and ends: a
session stops after ``lifetime_s`` at the latest, or after ``idle_s`` unused, at sign-out,
and when its key is revoked (``api_key_revoke`` deletes the key's sessions; the key is
checked on every request anyway). Sessions live in Neo4j rather than in the process because
``scalpernet serve --workers N`` runs several processes that must all know a session, and
because a restart must not sign every analyst out. A session found valid is remembered for
``ttl`` seconds per process, so an ended session can work for that long in another worker.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cachetools import TTLCache

from scalpernet.graph.async_session import AsyncGraph

#: The cookie in which a signed-in browser keeps its session id.
SESSION_COOKIE = "scalpernet_session"
#: The longest a session lasts, and how long it may go unused (seconds).
LIFETIME_S = 8 * 3600
IDLE_S = 30 * 60
#: A session's last use is written at most this often (seconds).
TOUCH_S = 60


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _native(value: Any) -> datetime:
    return value.to_native() if hasattr(value, "to_native") else value


@dataclass(frozen=True)
class PageSession:
    """A live session: the key it stands for and when it ends."""

    id: str  # SHA-256 of the cookie's token
    key_id: str
    seen_at: datetime
    expires_at: datetime


class PageSessions:
    """Opens, resolves and ends page sessions stored in Neo4j."""

    def __init__(self, graph: AsyncGraph, *, ttl: float = 5.0, lifetime_s: int = LIFETIME_S,
                 idle_s: int = IDLE_S) -> None:
        self.graph = graph
        self.lifetime_s, self.idle_s = lifetime_s, idle_s
        self._known: TTLCache[str, PageSession] | None = (
            TTLCache(10_000, ttl) if ttl > 0 else None)

    async def open(self, key_id: str) -> str:
        """A new session for `key_id`; returns the token for the cookie (shown only here)."""
        token = secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        await self.graph.write("page_session_create", id=_digest(token), key_id=key_id,
                               now=now, idle_before=now - timedelta(seconds=self.idle_s),
                               expires_at=now + timedelta(seconds=self.lifetime_s))
        return token

    async def resolve(self, token: str | None) -> PageSession | None:
        """The live session behind a cookie's token, or None (unknown, ended, expired)."""
        if not token or len(token) > 100:
            return None
        digest = _digest(token)
        now = datetime.now(UTC)
        session = self._known.get(digest) if self._known is not None else None
        if session is None:
            records = await self.graph.read("page_session_get", id=digest)
            if not records:
                return None
            row = records[0]["session"]
            session = PageSession(id=digest, key_id=row["key_id"],
                                  seen_at=_native(row["seen_at"]),
                                  expires_at=_native(row["expires_at"]))
        if now >= session.expires_at or now - session.seen_at >= timedelta(seconds=self.idle_s):
            await self.end(token)
            return None
        if now - session.seen_at >= timedelta(seconds=TOUCH_S):
            await self.graph.write("page_session_touch", id=digest, now=now)
            session = PageSession(id=digest, key_id=session.key_id, seen_at=now,
                                  expires_at=session.expires_at)
        if self._known is not None:
            self._known[digest] = session
        return session

    async def end(self, token: str | None) -> bool:
        """End the session behind `token` (sign-out); True when there was one."""
        if not token or len(token) > 100:
            return False
        digest = _digest(token)
        if self._known is not None:
            self._known.pop(digest, None)
        records = await self.graph.write("page_session_end", id=digest)
        return bool(records and records[0]["ended"])
