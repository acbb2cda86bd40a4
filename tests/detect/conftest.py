"""The hand-made world, written once per test module into the real Neo4j."""

from __future__ import annotations

import pytest

from scalpernet.graph import Graph
from scalpernet.graph.schema import reset_graph
from tests.detect.world import World, build_world, write_world


@pytest.fixture(scope="module")
def world() -> World:
    return build_world()


@pytest.fixture()
def world_graph(graph: Graph, world: World) -> Graph:
    """An empty graph holding only the world (rewritten for every test that asks)."""
    reset_graph(graph)
    write_world(graph, world.rows)
    return graph
