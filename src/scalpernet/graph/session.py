"""One driver per process; every query by name, with parameters, on the configured database.

A server that goes away (stopped, restarted, a broken socket, a lost commit acknowledgement,
a database still starting) is waited for: every call is retried with backoff
(:data:`RETRY_WAITS_S`, a tenacity policy) and, when the server stays away, fails with one
:class:`ServerGone` line. Every query the project sends is safe to repeat (MERGE, or writes
that re-read what is stored first). The async graph of the API
(:mod:`scalpernet.graph.async_session`) waits under the same policy (:func:`retry_policy`).

Each driver names the process it speaks for in its user agent
(:func:`scalpernet.graph.clients.user_agent`), so a dead process's last commit can be told
apart from a finished run.
"""

from __future__ import annotations

import copy
import logging
import threading
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any, TypeVar

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import (
    AuthError,
    ConnectionPoolError,
    DriverError,
    Neo4jError,
    ServiceUnavailable,
    SessionExpired,
)
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
)

from scalpernet.config import Settings, get_settings
from scalpernet.errors import ServerError
from scalpernet.graph.clients import this_process, user_agent
from scalpernet.graph.queries import load_query, load_statements

log = logging.getLogger(__name__)
T = TypeVar("T")

#: Waits between tries while Neo4j is away: about a minute in all before giving up
#: (``SCALPERNET_NEO4J_RETRY_WAITS`` sets the waits of a process's graph).
RETRY_WAITS_S: tuple[float, ...] = (1, 2, 4, 8, 16, 32)


class ServerGone(ServerError):
    """Neo4j went away and did not come back within the retries."""


def server_gone(exc: BaseException) -> bool:
    """Whether ``exc`` says the server (not the query) failed: worth waiting and retrying.

    Looks through the driver's wrappers (a ``ResultFailedError`` whose cause is a
    ``DatabaseUnavailable``) to the error the server or the socket gave."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ServiceUnavailable | SessionExpired | ConnectionPoolError
                      | OSError):
            return True
        if isinstance(current, Neo4jError | DriverError):
            if current.is_retryable():
                return True
            current = current.__cause__ or current.__context__
            continue
        return False
    return False


def backoff(waits: Sequence[float]) -> Callable[[RetryCallState], float]:
    """A tenacity wait: the n-th of ``waits`` before try n + 1 (the last one after that)."""

    def wait(state: RetryCallState) -> float:
        return float(waits[min(state.attempt_number, len(waits)) - 1])
    return wait


def _log_retry(state: RetryCallState) -> None:
    exc = state.outcome.exception() if state.outcome is not None else None
    log.warning("Neo4j unavailable (%s); try %d again in %.1f s", type(exc).__name__,
                state.attempt_number + 1, state.upcoming_sleep)


def retry_policy(waits: Sequence[float]) -> dict[str, Any]:
    """The one retry policy, as tenacity arguments: try again after each of ``waits`` while
    the server is away (:func:`server_gone`), then re-raise; other errors at once."""
    return {"retry": retry_if_exception(server_gone), "wait": backoff(waits or (0,)),
            "stop": stop_after_attempt(len(waits) + 1), "before_sleep": _log_retry,
            "reraise": True}


def _gone(uri: str, waits: Sequence[float], exc: Exception) -> ServerGone:
    return ServerGone(f"Neo4j at {uri} went away and did not come back within "
                      f"{sum(waits):.0f} s ({type(exc).__name__})")


def call_with_retry(uri: str, work: Callable[[], T],
                    waits: Sequence[float] = RETRY_WAITS_S) -> T:
    """``work()`` under :func:`retry_policy`; :class:`ServerGone` (one line) at last."""
    try:
        return Retrying(**retry_policy(waits))(work)
    except Exception as exc:
        if not server_gone(exc):
            raise
        raise _gone(uri, waits, exc) from exc


async def acall_with_retry(uri: str, work: Callable[[], Awaitable[T]],
                           waits: Sequence[float] = RETRY_WAITS_S) -> T:
    """``await work()`` under :func:`retry_policy`, for async code (the API)."""
    try:
        return await AsyncRetrying(**retry_policy(waits))(work)
    except Exception as exc:
        if not server_gone(exc):
            raise
        raise _gone(uri, waits, exc) from exc


class Graph:
    """A connected Neo4j database: run named queries and batched writes."""

    def __init__(self, settings: Settings, *, owner: dict[str, Any] | None = None) -> None:
        """``owner``: the process this driver speaks for (this one unless given)."""
        self.settings = settings
        self.database = settings.neo4j_database
        #: Waits between tries of every call while the server is away.
        self.retry_waits = tuple(settings.neo4j_retry_waits)
        password = settings.password
        auth = (settings.neo4j_user, password) if password is not None else None
        # Server notifications (e.g. "property does not exist yet" on an empty graph) are not
        # errors; logging them would only bury the one-line messages users need.
        # The driver's own retries of a managed transaction are kept short: the retry
        # policy above is the one that waits for a server that went away.
        self.driver = GraphDatabase.driver(settings.uri, auth=auth, max_connection_pool_size=16,
                                           notifications_min_severity="OFF",
                                           max_transaction_retry_time=5.0,
                                           user_agent=user_agent(owner or this_process()))

    def close(self) -> None:
        self.driver.close()

    def with_retry_waits(self, waits: Sequence[float]) -> Graph:
        """This graph (the same driver) with other waits between tries (``()``: none)."""
        view = copy.copy(self)
        view.retry_waits = tuple(waits)
        return view

    def verify(self) -> None:
        """Fail with one clear line when the server is unreachable or refuses the credentials."""
        try:
            self.driver.verify_connectivity()
        except ServiceUnavailable as exc:
            raise ServerError(
                f"cannot reach Neo4j at {self.settings.uri}: is it running? "
                "(scalpernet db start)"
            ) from exc
        except AuthError as exc:
            raise ServerError(f"Neo4j at {self.settings.uri} refused the credentials") from exc

    def retry(self, work: Callable[[], T], waits: Sequence[float] | None = None) -> T:
        """``work()`` under the retry policy (see the module): :class:`ServerGone` at last."""
        return call_with_retry(self.settings.uri, work,
                               self.retry_waits if waits is None else waits)

    def _query(self, name: str, params: dict[str, Any], routing: RoutingControl
               ) -> list[neo4j.Record]:
        query = load_query(name)
        return self.retry(lambda: self.driver.execute_query(
            query, params, database_=self.database, routing_=routing)[0])

    def read(self, name: str, **params: Any) -> list[neo4j.Record]:
        """Run the named read query and return its records."""
        return self._query(name, params, RoutingControl.READ)

    def write(self, name: str, **params: Any) -> list[neo4j.Record]:
        """Run the named write query in a managed transaction and return its records."""
        return self._query(name, params, RoutingControl.WRITE)

    def write_batch(self, name: str, rows: Iterable[Mapping[str, Any]], **params: Any) -> Any:
        """Run the named ``UNWIND $rows`` query over one batch in one managed transaction."""
        query = load_query(name)
        batch = list(rows)

        def work(tx: neo4j.ManagedTransaction) -> Any:
            return tx.run(query, rows=batch, **params).consume()

        def attempt() -> Any:
            with self.driver.session(database=self.database) as session:
                return session.execute_write(work)

        return self.retry(attempt)

    def run_autocommit(self, name: str, **params: Any) -> neo4j.ResultSummary:
        """Run the named query in an auto-commit transaction (``CALL {…} IN TRANSACTIONS``)."""
        def attempt() -> neo4j.ResultSummary:
            with self.driver.session(database=self.database) as session:
                return session.run(load_query(name), params).consume()

        return self.retry(attempt)

    def apply_script(self, name: str) -> int:
        """Run each statement of a multi-statement file (idempotent DDL such as the schema)."""
        statements = load_statements(name)
        for statement in statements:
            self.retry(lambda s=statement: self.driver.execute_query(s, database_=self.database))
        return len(statements)


_lock = threading.Lock()
_graph: Graph | None = None


def get_graph(*, verify: bool = True) -> Graph:
    """The process's single :class:`Graph`, created on first use."""
    global _graph
    with _lock:
        if _graph is None:
            graph = Graph(get_settings())
            if verify:
                graph.verify()
            _graph = graph
        return _graph


def close_graph() -> None:
    """Close the process's driver (tests and server shutdown)."""
    global _graph
    with _lock:
        if _graph is not None:
            _graph.close()
            _graph = None
