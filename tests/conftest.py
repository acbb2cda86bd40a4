"""Shared fixtures: every test that needs a database talks to the real local Neo4j.

`make test` starts a dedicated test server (its own data folder and port, see the Makefile)
and points ``SCALPERNET_DATA_DIR`` / ``SCALPERNET_BOLT_PORT`` (or ``NEO4J_URI``) at it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from scalpernet.config import get_settings
from scalpernet.graph import Graph, get_graph
from scalpernet.graph.schema import ensure_schema, reset_graph

#: The command speaks English to the tests, which read its lines (subprocesses inherit it);
#: ``tests/test_messages.py`` runs it without, in its default Chinese.
os.environ["SCALPERNET_LANG"] = "en"


@pytest.fixture(scope="session")
def graph() -> Iterator[Graph]:
    """The configured Neo4j, reachable and with the schema applied."""
    get_settings.cache_clear()
    graph = get_graph()
    ensure_schema(graph)
    yield graph


@pytest.fixture()
def empty_graph(graph: Graph) -> Graph:
    """The database emptied before the test (the schema stays)."""
    reset_graph(graph)
    return graph
