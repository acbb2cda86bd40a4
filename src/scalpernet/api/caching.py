"""Answers that change only when an analysis run is stored: the current run's id, kept for a
second, and rendered network details keyed by that id.

A network detail (tier tree, member page with signals and evidence) is the same for every
caller who sees it the same way (masked or not) until the next analysis run, so it is
rendered once per run and page and served as bytes. The current run's id is re-read at
most every ``ttl`` seconds; a new run therefore replaces the cached details within ``ttl``.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Hashable, Sequence

from scalpernet.graph.async_session import AsyncGraph


class CurrentRun:
    """The id of the analysis run whose results are served, re-read at most every `ttl` s.

    Concurrent requests that find it stale share one read.
    """

    def __init__(self, graph: AsyncGraph, *, ttl: float = 1.0) -> None:
        self.graph = graph
        self.ttl = ttl
        self._value: str | None = None
        self._expires = 0.0
        self._reading: asyncio.Future[str | None] | None = None

    async def id(self) -> str | None:
        if time.monotonic() < self._expires:
            return self._value
        if self._reading is not None:
            return await asyncio.shield(self._reading)
        future: asyncio.Future[str | None] = asyncio.get_running_loop().create_future()
        self._reading = future
        try:
            records = await self.graph.read("api_current_run_id")
            value = records[0]["id"] if records else None
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it
            raise
        finally:
            self._reading = None
        self._value, self._expires = value, time.monotonic() + self.ttl
        future.set_result(value)
        return value


class DetailCache:
    """Rendered network details (JSON bytes, the uids and the actor ids they show) of one
    analysis run.

    Keys start with the run id; the first key of a new run empties the cache.
    """

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self.run_id: str | None = None
        self._entries: OrderedDict[Hashable, tuple[bytes, list[str], list[str]]] = OrderedDict()

    def get(self, run_id: str | None, key: Hashable
            ) -> tuple[bytes, list[str], list[str]] | None:
        if run_id != self.run_id:
            return None
        hit = self._entries.get(key)
        if hit is not None:
            self._entries.move_to_end(key)
        return hit

    def put(self, run_id: str | None, key: Hashable, body: bytes, shown: list[str],
            actors: Sequence[str] = ()) -> None:
        if run_id != self.run_id:
            self._entries.clear()
            self.run_id = run_id
        self._entries[key] = (body, shown, list(actors))
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)
