"""Concurrent lookups of one named query joined into one round trip to Neo4j.

Every query costs the driver and the server about a millisecond of CPU before it does any
work (session, Bolt messages, transaction), more than an entity lookup itself. When many
investigators ask at once, a :class:`Coalescer` sends the uids waiting at that moment as
one query (``UNWIND $uids``) and hands each request its own row. Every request is still
answered from the database, never from a cache; under light load a batch holds one uid.
"""

from __future__ import annotations

import asyncio
from collections.abc import Hashable
from typing import Any

from scalpernet.graph.async_session import AsyncGraph

Row = dict[str, Any]


def _hashable(value: Any) -> Hashable:
    return tuple(value) if isinstance(value, list) else value


class Coalescer:
    """Reads of the named query `name` (``$uids`` in, one row per found ``uid`` out),
    batched: at most `in_flight` batches run at once, and uids asked for meanwhile wait
    for the next (up to `max_batch` per batch), so batches grow with the load.

    Requests join a batch only when their other parameters are equal. A batch that fails
    is read again uid by uid, so that only the lookups that fail alone fail.
    """

    def __init__(self, graph: AsyncGraph, name: str, *, max_batch: int = 64,
                 in_flight: int = 2, timeout: float | None = None) -> None:
        self.graph = graph
        self.name = name
        self.max_batch = max_batch
        self.in_flight = in_flight
        self.timeout = timeout
        self._pending: dict[Hashable, list[tuple[str, asyncio.Future[Row | None]]]] = {}
        self._params: dict[Hashable, dict[str, Any]] = {}
        self._running = 0
        self._scheduled = False
        self._tasks: set[asyncio.Task[None]] = set()
        #: Batches sent and uids read (for tests and measurements).
        self.batches = 0
        self.reads = 0

    async def read(self, uid: str, **params: Any) -> Row | None:
        """The row for `uid`, or None when the query returns none for it."""
        key = tuple(sorted((name, _hashable(value)) for name, value in params.items()))
        future: asyncio.Future[Row | None] = asyncio.get_running_loop().create_future()
        self._pending.setdefault(key, []).append((uid, future))
        self._params.setdefault(key, params)
        self._schedule()
        return await future

    def _schedule(self) -> None:
        # after the current loop pass, so that requests read in the same pass join
        if not self._scheduled and self._running < self.in_flight and self._pending:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush)

    def _flush(self) -> None:
        self._scheduled = False
        while self._running < self.in_flight and self._pending:
            key = next(iter(self._pending))
            waiting = self._pending[key]
            batch, rest = waiting[:self.max_batch], waiting[self.max_batch:]
            params = self._params[key]
            if rest:
                self._pending[key] = rest
            else:
                del self._pending[key]
                del self._params[key]
            self._running += 1
            task = asyncio.create_task(self._run(batch, params))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _run(self, batch: list[tuple[str, asyncio.Future[Row | None]]],
                   params: dict[str, Any]) -> None:
        try:
            uids = list(dict.fromkeys(uid for uid, _ in batch))
            self.batches += 1
            self.reads += len(uids)
            try:
                rows = await self._read(uids, params)
            except Exception:
                if len(uids) == 1:
                    raise
                # one entity's failure (a timeout on a huge one) is not the others': alone
                rows = await self._read_alone(uids, params)
            for uid, future in batch:
                if future.done():
                    continue
                row = rows.get(uid)
                if isinstance(row, BaseException):
                    future.set_exception(row)
                    future.exception()  # retrieved: a cancelled waiter logs nothing
                else:
                    future.set_result(row)
        except BaseException as exc:
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
                    future.exception()
            if not isinstance(exc, Exception):
                raise
        finally:
            self._running -= 1
            self._schedule()

    async def _read(self, uids: list[str], params: dict[str, Any]) -> dict[str, Row]:
        records = await self.graph.read(self.name, timeout_=self.timeout, uids=uids, **params)
        return {row["uid"]: row for row in records}

    async def _read_alone(self, uids: list[str], params: dict[str, Any]
                          ) -> dict[str, Row | BaseException]:
        answers = await asyncio.gather(*(self._read([uid], params) for uid in uids),
                                       return_exceptions=True)
        rows: dict[str, Row | BaseException] = {}
        for uid, answer in zip(uids, answers, strict=True):
            if isinstance(answer, BaseException):
                rows[uid] = answer
            elif uid in answer:
                rows[uid] = answer[uid]
        return rows
