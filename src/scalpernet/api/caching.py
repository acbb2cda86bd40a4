"""Answers that change only when an analysis run is stored: the current run's id, kept for a
second, and the answers built from that run, kept as the bytes that were sent.

The network list and a network's detail (tier tree, member page with signals and evidence)
are the same for every caller of a role until the next analysis run. Their route marks
such an answer with its run (``Ctx.respond(..., run_id=...)``); :class:`ResponseCache`
keeps it under the role, path and query string, and answers the same request again from
memory without routing it: no parameter parsing, no dependency, no query, no rendering.
It sits inside authentication, rate limits and the audit trail, which apply to every
request as before: the kept answer brings back what its audit line names. The current
run's id is re-read at most every ``ttl`` seconds; a new run therefore replaces the kept
answers within ``ttl``.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from typing import Any

from cachetools import LRUCache
from starlette.types import Message, Receive, Scope, Send

from scalpernet.api.asgi import HttpMiddleware
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


#: What a kept answer's request left in ``scope["state"]`` for the middleware outside the
#: cache: the entities and actors its audit line names, and that line's masked lists.
CARRIED_STATE = ("audit_entities", "audit_actors", "audit_shown")
#: Request state naming the analysis run an answer was built from (set by ``Ctx.respond``).
ANSWER_RUN = "answer_run"
#: Bytes of kept answers per server process.
DEFAULT_CACHE_BYTES = 128 * 1024**2
_ENTRY_OVERHEAD = 1024


@dataclass(frozen=True)
class Answer:
    """An answer as it was sent, with the routing and audit state of its request."""

    run_id: str
    status: int
    headers: tuple[tuple[bytes, bytes], ...]
    body: bytes
    route: Any
    path_params: dict[str, Any]
    state: dict[str, Any]

    def size(self) -> int:
        return len(self.body) + _ENTRY_OVERHEAD


class AnswerCache:
    """Answers of one analysis run, least recently used dropped first past `max_bytes`.

    The first answer of a new run empties the cache."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.run_id: str | None = None
        self._entries: LRUCache[tuple[str, str, bytes], Answer] = LRUCache(
            max_bytes, getsizeof=Answer.size)

    def get(self, key: tuple[str, str, bytes]) -> Answer | None:
        return self._entries.get(key)

    def put(self, key: tuple[str, str, bytes], answer: Answer) -> None:
        if answer.run_id != self.run_id:
            self._entries.clear()
            self.run_id = answer.run_id
        if answer.size() <= self._entries.maxsize:
            self._entries[key] = answer

    def __len__(self) -> int:
        return len(self._entries)


class ResponseCache(HttpMiddleware):
    """ASGI middleware: answers marked with their analysis run are kept per role, path and
    query string, and sent again while that run is current.

    Only authenticated GETs answered 200 in one piece are kept, so a refusal, an error or a
    query that failed validation is always answered afresh. The key holds the caller's
    role: a masked answer never reaches a role that sees identifiers, nor the reverse.
    """

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        state = scope["state"]
        principal = state.get("principal")
        if principal is None or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        app_state = scope["app"].state
        cache: AnswerCache = app_state.answers
        key = (principal.role, scope["path"], scope["query_string"])
        hit = cache.get(key)
        if hit is not None and hit.run_id == await app_state.current_run.id():
            scope["route"] = hit.route
            scope["path_params"] = hit.path_params
            state.update(hit.state)
            await send({"type": "http.response.start", "status": hit.status,
                        "headers": list(hit.headers)})
            await send({"type": "http.response.body", "body": hit.body, "more_body": False})
            return
        sent: list[Message] = []

        async def send_kept(message: Message) -> None:
            if message["type"] == "http.response.start":
                sent.append({**message, "headers": tuple(message.get("headers", ()))})
            elif message["type"] == "http.response.body":
                sent.append(message)
            await send(message)

        await self.app(scope, receive, send_kept)
        run_id = state.get(ANSWER_RUN)
        if (run_id is None or len(sent) != 2 or sent[0]["status"] != 200
                or sent[1].get("more_body", False)):
            return
        try:
            if run_id != await app_state.current_run.id():
                return  # a newer run landed while this answer was built
        except Exception:  # the graph went away once the answer was sent: keep nothing
            return
        cache.put(key, Answer(
            run_id=run_id, status=200, headers=sent[0]["headers"],
            body=bytes(sent[1].get("body", b"")), route=scope.get("route"),
            path_params=dict(scope.get("path_params") or {}),
            state={name: state[name] for name in CARRIED_STATE if name in state}))
