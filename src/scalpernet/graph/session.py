"""One driver per process; every query by name, with parameters, on the configured database."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

import neo4j
from neo4j import GraphDatabase, RoutingControl
from neo4j.exceptions import AuthError, ServiceUnavailable

from scalpernet.config import Settings, get_settings
from scalpernet.errors import ServerError
from scalpernet.graph.queries import load_query, load_statements


class Graph:
    """A connected Neo4j database: run named queries and batched writes."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.database = settings.neo4j_database
        password = settings.password
        auth = (settings.neo4j_user, password) if password is not None else None
        # Server notifications (e.g. "property does not exist yet" on an empty graph) are not
        # errors; logging them would only bury the one-line messages users need.
        self.driver = GraphDatabase.driver(settings.uri, auth=auth, max_connection_pool_size=16,
                                           notifications_min_severity="OFF")

    def close(self) -> None:
        self.driver.close()

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

    def read(self, name: str, **params: Any) -> list[neo4j.Record]:
        """Run the named read query and return its records."""
        records, _, _ = self.driver.execute_query(
            load_query(name), params, database_=self.database, routing_=RoutingControl.READ
        )
        return records

    def write(self, name: str, **params: Any) -> list[neo4j.Record]:
        """Run the named write query in a managed transaction and return its records."""
        records, _, _ = self.driver.execute_query(
            load_query(name), params, database_=self.database, routing_=RoutingControl.WRITE
        )
        return records

    def write_batch(self, name: str, rows: Iterable[Mapping[str, Any]], **params: Any) -> Any:
        """Run the named ``UNWIND $rows`` query over one batch in one managed transaction."""
        query = load_query(name)
        batch = list(rows)

        def work(tx: neo4j.ManagedTransaction) -> Any:
            return tx.run(query, rows=batch, **params).consume()

        with self.driver.session(database=self.database) as session:
            return session.execute_write(work)

    def run_autocommit(self, name: str, **params: Any) -> neo4j.ResultSummary:
        """Run the named query in an auto-commit transaction (``CALL {…} IN TRANSACTIONS``)."""
        with self.driver.session(database=self.database) as session:
            return session.run(load_query(name), params).consume()

    def apply_script(self, name: str) -> int:
        """Run each statement of a multi-statement file (idempotent DDL such as the schema)."""
        statements = load_statements(name)
        for statement in statements:
            self.driver.execute_query(statement, database_=self.database)
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
