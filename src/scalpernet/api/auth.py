"""Who is calling: the ``X-API-Key`` header checked against hashed keys, and what each role may do.

Roles: ``investigator`` reads everything with full identifiers; ``analyst`` reads everything
with ID numbers and phones masked (navigating by opaque references); ``admin`` reads
everything, full identifiers, plus the audit log, and may upload; ``ingest`` may only upload.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.security import APIKeyHeader

from scalpernet.api.errors import ApiError
from scalpernet.apikeys import parse_key, secret_matches
from scalpernet.graph.async_session import AsyncGraph

#: Roles that read investigative data.
READERS = ("investigator", "analyst", "admin")
#: Roles that see ID numbers and phones masked.
MASKED_ROLES = frozenset({"analyst"})

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


class KeyVerifier:
    """Checks presented keys against the stored hashes, with a short cache.

    A verified key is remembered for `ttl` seconds so that a busy client does not cost a
    database round trip per request; a revoked key therefore stops working within `ttl`.
    When the entry of a busy key expires, its concurrent requests share one read.
    """

    def __init__(self, graph: AsyncGraph, *, ttl: float = 5.0) -> None:
        self.graph = graph
        self.ttl = ttl
        self._cache: dict[str, tuple[float, dict[str, Any] | None]] = {}
        self._reading: dict[str, asyncio.Future[dict[str, Any] | None]] = {}

    async def _stored(self, key_id: str) -> dict[str, Any] | None:
        hit = self._cache.get(key_id)
        if hit is not None and hit[0] > time.monotonic():
            return hit[1]
        pending = self._reading.get(key_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[dict[str, Any] | None] = (
            asyncio.get_running_loop().create_future())
        self._reading[key_id] = future
        try:
            records = await self.graph.read("api_key_get", id=key_id)
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            del self._reading[key_id]
        stored = records[0]["key"] if records else None
        if stored is not None and self.ttl > 0:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[key_id] = (time.monotonic() + self.ttl, stored)
        future.set_result(stored)
        return stored

    async def verify(self, presented: str | None) -> Principal:
        """The caller behind a presented key, or a 401 ApiError."""
        if not presented:
            raise ApiError(401, "unauthorized", "missing X-API-Key header",
                           headers={"WWW-Authenticate": "X-API-Key"})
        parsed = parse_key(presented)
        if parsed is None:
            raise ApiError(401, "unauthorized", "malformed API key",
                           headers={"WWW-Authenticate": "X-API-Key"})
        key_id, secret = parsed
        stored = await self._stored(key_id)
        if stored is None or not secret_matches(secret, stored.get("hash") or ""):
            raise ApiError(401, "unauthorized", "unknown API key",
                           headers={"WWW-Authenticate": "X-API-Key"})
        if stored.get("revoked_at") is not None:
            raise ApiError(401, "unauthorized", "this API key has been revoked",
                           headers={"WWW-Authenticate": "X-API-Key"})
        return Principal(key_id=key_id, role=str(stored["role"]), name=stored.get("name") or "")


def presented_key_id(request: Request) -> str | None:
    """The public id in the request's key, if it has the key's shape (for the audit log)."""
    parsed = parse_key(request.headers.get("x-api-key", ""))
    return parsed[0] if parsed else None
