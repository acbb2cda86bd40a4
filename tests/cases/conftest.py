"""The API's small world (tests/api/world.cypher) with a live app, loaded again for each
module: case tests store further analysis runs, which must not leak into other modules."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.apikeys import create_key
from scalpernet.graph import Graph
from scalpernet.graph.schema import reset_graph
from tests.api.conftest import ROOMY, Api, api_settings, load_world


@pytest.fixture(scope="module")
def world(graph: Graph) -> Graph:
    reset_graph(graph)
    load_world(graph)
    return graph


@pytest.fixture(scope="module")
def api(world: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    data_dir = tmp_path_factory.mktemp("cases-api")
    keys = {role: create_key(world, role, name=f"test {role}")[1]
            for role in ("investigator", "analyst", "admin", "ingest")}
    app = create_app(api_settings(data_dir), key_cache_ttl=0, run_cache_ttl=0, limits=ROOMY)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, keys=keys, data_dir=data_dir, graph=world)
