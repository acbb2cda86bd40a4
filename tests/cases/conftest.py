"""The API's small world (tests/api/world.cypher) with a live app, loaded again for each
module: case tests store further analysis runs, which must not leak into other modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scalpernet.graph import Graph
from scalpernet.graph.schema import reset_graph
from tests.api.conftest import Api, live_api, load_world


@pytest.fixture(scope="module")
def world(graph: Graph) -> Graph:
    reset_graph(graph)
    load_world(graph)
    return graph


@pytest.fixture(scope="module")
def api(world: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with live_api(world, tmp_path_factory.mktemp("cases-api")) as api:
        yield api
