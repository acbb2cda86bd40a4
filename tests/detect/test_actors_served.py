"""Actors found by `analyze` and served by the API: the same ids from run to run, each
actor's answer from the current run, and the ids of a superseded run gone."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.apikeys import create_key
from scalpernet.detect.analyze import analyze
from scalpernet.graph import Graph
from scalpernet.results.store import write_results
from tests.api.conftest import ROOMY, api_settings


@pytest.fixture()
def client(world_graph: Graph, tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    headers = {"X-API-Key": create_key(world_graph, "investigator", name="actors")[1]}
    app = create_app(api_settings(tmp_path), key_cache_ttl=0, run_cache_ttl=0, limits=ROOMY)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client, headers


def _served(client: TestClient, headers: dict[str, str]) -> dict[str, tuple[str, str]]:
    """Every actor of every current network, paged through the API: id -> (network, role)."""
    out: dict[str, tuple[str, str]] = {}
    networks = client.get("/networks?limit=200", headers=headers).json()["networks"]
    for net in networks:
        offset = 0
        while True:
            page = client.get(f"/networks/{net['id']}/actors?limit=200&offset={offset}",
                              headers=headers).json()
            out.update({a["id"]: (net["id"], a["role"]) for a in page["actors"]})
            offset += 200
            if offset >= page["total"]:
                break
    return out


def test_actor_ids_stay_put_across_runs_and_old_ones_go(
        world_graph: Graph, client: tuple[TestClient, dict[str, str]]) -> None:
    api, headers = client
    first = analyze(world_graph)
    served = _served(api, headers)
    assert set(served) == {a.id for n in first.networks for a in n.actors}
    assert {role for _, role in served.values()} == {
        "technician", "first_level", "second_level", "patient"}
    technician = next(i for i, (_, role) in served.items() if role == "technician")
    before = api.get(f"/actors/{technician}", headers=headers).json()
    assert before["run_id"] == first.run.id and before["bookings"]["total"] > 0

    second = analyze(world_graph)
    assert second.run.id != first.run.id
    assert _served(api, headers) == served  # the same people under the same ids
    again = api.get(f"/actors/{technician}", headers=headers).json()
    assert again["run_id"] == second.run.id
    assert again["actor"] == before["actor"] and again["bookings"] == before["bookings"]
    assert again["identifiers"] == before["identifiers"]

    # a third run in which one patient's actor got another id: the old one is gone
    nets = second.networks
    patient = next(a for n in nets for a in n.actors if a.role == "patient")
    old_id = patient.id
    patient.id = "act-renamed"
    third = second.run.model_copy(update={"id": second.run.id + "-3"})
    write_results(world_graph, third, nets)
    assert api.get(f"/actors/{old_id}", headers=headers).status_code == 404
    renamed = api.get("/actors/act-renamed", headers=headers).json()
    assert renamed["run_id"] == third.id and renamed["actor"]["role"] == "patient"
