"""The async counterpart of :mod:`scalpernet.graph.session`, for the HTTP API.

One :class:`AsyncGraph` (one ``AsyncDriver``) per server process, created in the app's
lifespan. Every query is loaded by name from ``cypher/`` and given parameters only; the
database is always named. A server that goes away is waited for under the sync side's retry
policy (:func:`scalpernet.graph.session.retry_policy`), with the short waits an interactive
client accepts (``SCALPERNET_API_RETRY_WAITS``); past them the call raises
:class:`~scalpernet.graph.session.ServerGone`, which the API answers as a one-line 503.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import neo4j
from neo4j import AsyncGraphDatabase, RoutingControl
from neo4j.exceptions import IncompleteCommit

from scalpernet.config import Settings
from scalpernet.graph.clients import this_process, user_agent
from scalpernet.graph.queries import load_query
from scalpernet.graph.session import ServerGone, acall_with_retry

_PLAIN = (str, int, float, bool, type(None))


def to_native(value: Any) -> Any:
    """Driver values as plain Python: Neo4j temporals become ``datetime``/``date``.

    Queries return maps and lists, never nodes, so this is all the conversion needed; the
    driver's own ``Record.data()`` checks every value against every graph type and cost
    more than the rest of a request.
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is dict:
        return {k: to_native(v) for k, v in value.items()}
    if kind is list:
        return [to_native(v) for v in value]
    if hasattr(value, "to_native"):
        return value.to_native()
    return value


class QueryTrace:
    """The named queries a request ran, with their parameters (for ``?explain=true``)."""

    def __init__(self) -> None:
        self.entries: list[dict[str, Any]] = []

    def add(self, name: str, params: dict[str, Any], elapsed_ms: float) -> None:
        self.entries.append({"name": name, "cypher": load_query(name), "parameters": params,
                             "elapsed_ms": round(elapsed_ms, 2)})


class AsyncGraph:
    """A connected Neo4j database for async code: run named read and write queries."""

    def __init__(self, settings: Settings, *, pool_size: int = 100,
                 retry_waits: Sequence[float] | None = None) -> None:
        """``retry_waits``: waits between tries while the server is away (default: the
        settings' ``api_retry_waits``)."""
        self.settings = settings
        self.database = settings.neo4j_database
        self.retry_waits = tuple(settings.api_retry_waits if retry_waits is None
                                 else retry_waits)
        password = settings.password
        auth = (settings.neo4j_user, password) if password is not None else None
        self.driver = AsyncGraphDatabase.driver(
            settings.uri, auth=auth, max_connection_pool_size=pool_size,
            connection_acquisition_timeout=10.0,
            # The retry policy waits for a server that went away; the driver's own retries
            # of a managed transaction are kept short.
            max_transaction_retry_time=2.0,
            # The server's notifications repeat the query text in warnings: not for a log.
            notifications_min_severity="OFF",
            user_agent=user_agent(this_process()),
        )

    async def close(self) -> None:
        await self.driver.close()

    async def ping(self) -> float:
        """Round-trip time of a trivial query in milliseconds; raises when unreachable (at
        once: health says how the server is now, without the retries' waits)."""
        start = time.perf_counter()
        await self._run("ping", {}, RoutingControl.READ, None, None, waits=())
        return (time.perf_counter() - start) * 1000

    async def _run(self, name: str, params: dict[str, Any], routing: RoutingControl,
                   timeout: float | None, trace: QueryTrace | None,
                   waits: Sequence[float] | None = None) -> list[dict[str, Any]]:
        query = neo4j.Query(load_query(name), timeout=timeout)  # type: ignore[arg-type]
        start = time.perf_counter()

        async def attempt() -> list[dict[str, Any]]:
            if routing is RoutingControl.WRITE:
                try:
                    records, _, _ = await self.driver.execute_query(
                        query, params, database_=self.database, routing_=routing)
                except IncompleteCommit as exc:  # it may have committed: not repeated
                    raise ServerGone(f"Neo4j at {self.settings.uri} went away before "
                                     "confirming the write; check it before repeating "
                                     "it") from exc
                return [to_native(dict(zip(record.keys(), record.values(), strict=True)))
                        for record in records]
            # a read in an auto-commit session: one round trip instead of a managed
            # transaction's begin/run/commit, and about a quarter less driver CPU
            async with self.driver.session(database=self.database,
                                           default_access_mode=neo4j.READ_ACCESS) as session:
                result = await session.run(query, params)
                keys = result.keys()
                return [to_native(dict(zip(keys, record.values(), strict=True)))
                        async for record in result]

        records = await acall_with_retry(self.settings.uri, attempt,
                                         self.retry_waits if waits is None else waits)
        if trace is not None:
            trace.add(name, params, (time.perf_counter() - start) * 1000)
        return records

    async def read(self, name: str, *, timeout_: float | None = None,
                   trace_: QueryTrace | None = None, **params: Any) -> list[dict[str, Any]]:
        """Run the named read query in an auto-commit read session; records as plain dicts."""
        return await self._run(name, params, RoutingControl.READ, timeout_, trace_)

    async def write(self, name: str, *, timeout_: float | None = None,
                    trace_: QueryTrace | None = None, **params: Any) -> list[dict[str, Any]]:
        """Run the named write query in a managed transaction; records as plain dicts."""
        return await self._run(name, params, RoutingControl.WRITE, timeout_, trace_)
