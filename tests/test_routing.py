"""A ``neo4j://`` URI (routing: a cluster, Aura) works for the CLI's driver, the analysis and
the API's async driver, against the real local server (which routes to itself)."""

from __future__ import annotations

import asyncio

from scalpernet.config import Settings
from scalpernet.detect.analyze import analyze
from scalpernet.graph import Graph
from scalpernet.graph.async_session import AsyncGraph
from scalpernet.graph.schema import reset_graph
from scalpernet.results.store import current_run
from tests.detect.world import build_world, write_world


def _routed(settings: Settings) -> Settings:
    address = settings.uri.split("://", 1)[1]
    return settings.model_copy(update={"neo4j_uri": f"neo4j://{address}",
                                       "neo4j_password": settings.password})


def test_a_routing_uri_reads_writes_analyzes_and_serves(graph: Graph) -> None:
    settings = _routed(graph.settings)
    assert settings.uri.startswith("neo4j://") and settings.external
    routed = Graph(settings)
    try:
        routed.verify()
        reset_graph(routed)
        write_world(routed, build_world().rows)
        result = analyze(routed)
        assert len(result.networks) == 2
        assert current_run(routed).id == result.run.id
    finally:
        routed.close()

    async def served() -> str:
        api = AsyncGraph(settings)
        try:
            rows = await api.read("results_current_run")
            return rows[0]["run"]["id"]
        finally:
            await api.close()

    assert asyncio.run(served()) == result.run.id
