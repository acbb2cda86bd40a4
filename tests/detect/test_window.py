"""Analysis over a window of recent bookings, and networks that close when their bookings
fall out of it, against the real Neo4j."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.apikeys import create_key
from scalpernet.detect.analyze import analyze, detect
from scalpernet.detect.params import DetectParams
from scalpernet.detect.signals import DAY_MS, YEAR_MS
from scalpernet.graph import Graph
from scalpernet.graph.schema import reset_graph
from scalpernet.results.models import Network
from scalpernet.results.store import all_networks, current_run
from tests.api.conftest import ROOMY, api_settings
from tests.detect.world import World, build_stealth_world, write_world

WINDOW = DetectParams(window_days=30)
WHOLE = DetectParams(window_days=0)


def _shifted(rows: list[dict[str, Any]], days: int, tag: str, *,
             rename_payers: bool = True) -> list[dict[str, Any]]:
    """The rows ``days`` earlier, as other registrations (keys tagged); payers renamed
    unless asked not to (a payer's whole history counts even outside the window)."""
    out = []
    for row in rows:
        new = dict(row, key=f"{row['key']}-{tag}", rid=f"{row['rid']}-{tag}")
        for name in ("slot", "released", "booked", "paid", "cancelled"):
            if new[name] is not None:
                new[name] = (datetime.fromisoformat(new[name]) - timedelta(days=days)).isoformat()
        if rename_payers and new["payer"] is not None:
            new["payer"] = f"{tag}-{new['payer']}"
        out.append(new)
    return out


def _dumps(nets: list[Network]) -> list[dict[str, Any]]:
    return [n.model_dump() for n in nets]


def _uids(nets: list[Network]) -> set[str]:
    return {f"{m.kind}:{m.key}" for n in nets for m in n.members}


def test_old_bookings_are_ignored_and_the_window_equals_a_graph_of_its_bookings(
        world_graph: Graph, world: World) -> None:
    alone = detect(world_graph, WHOLE, previous={}, previous_people={})
    # two more gangs and the honest people again, 300 days earlier, on the same identifiers
    # (Wi-Fi, phones, patients) but their own payers
    old = _shifted(build_stealth_world().rows, 300, "old")
    write_world(world_graph, old)
    whole = detect(world_graph, WHOLE, previous={}, previous_people={})
    assert "payer:old-gs-alipay-1" in _uids(whole.networks)  # the old gangs are there
    windowed = detect(world_graph, WINDOW, previous={}, previous_people={})
    assert windowed.run.summary["registrations"] == len(world.rows)
    assert windowed.run.params["window_days"] == 30
    assert windowed.run.params["window_start"] is not None
    assert not any(u.startswith("payer:old-") for u in _uids(windowed.networks))
    # the same networks, ids, members, scores and evidence as a graph of the window alone
    assert _dumps(windowed.networks) == _dumps(alone.networks)
    # window 0 reads everything, as before windows existed
    assert whole.run.summary["registrations"] == len(world.rows) + len(old)
    assert whole.run.params["window_start"] is None


def test_a_payers_yearly_volume_comes_from_its_whole_history(world_graph: Graph,
                                                              world: World) -> None:
    hub = "ga-alipay-hub"
    # the hub paid for 20 bookings 200 days earlier, on visit cards of their own
    old = [r for r in _shifted(world.rows, 200, "old", rename_payers=False)
           if r["payer"] == hub][:20]
    for k, row in enumerate(old):
        row["card"] = f"VC-OLD-{k}"
    write_world(world_graph, old)
    result = detect(world_graph, WINDOW, previous={}, previous_people={})
    member = next(m for n in result.networks for m in n.members
                  if (m.kind, m.key) == ("payer", hub))
    signals = {s.name: s.value for s in member.signals}
    mine = [r for r in world.rows if r["payer"] == hub]
    times = [datetime.fromisoformat(r["booked"]) for r in mine + old]
    span_ms = (max(times) - min(times)).total_seconds() * 1000
    yearly = (len(mine) + len(old)) * YEAR_MS / max(span_ms, 30 * DAY_MS)
    assert signals["yearly_bookings"] == round(yearly, 1)
    # every other count is the window's
    assert signals["bookings"] == len(mine)
    assert signals["visit_cards"] == len({r["card"] for r in mine if r["card"]})


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scalpernet", *args], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=300, check=False)


@pytest.mark.timeout(900)
def test_networks_whose_bookings_left_the_window_are_kept_closed_and_served(
        graph: Graph, world: World, tmp_path: Path) -> None:
    reset_graph(graph)
    write_world(graph, _shifted(world.rows, 400, "old", rename_payers=False))
    first = analyze(graph, WINDOW)
    assert len(first.networks) == 2 and all(n.status == "active" for n in first.networks)
    stored = {n.id: n for n in all_networks(graph)}
    # a year later: new gangs, the old ones silent
    write_world(graph, build_stealth_world().rows)
    second = analyze(graph, WINDOW)
    closed = [n for n in second.networks if n.status == "closed"]
    assert {n.id for n in closed} == set(stored)
    assert second.run.summary["closed_networks"] == 2
    assert second.run.summary["networks"] == len(second.networks) - 2 >= 1
    for net in closed:
        assert net.closed_at == second.run.started_at
        kept = net.model_dump(exclude={"status", "closed_at"})
        assert kept == stored[net.id].model_dump(exclude={"status", "closed_at"})
    # served from the current run: networks --json and the API
    out = _cli("networks", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["run_id"] == second.run.id
    shown = {n["id"]: n for n in doc["networks"]}
    for net in closed:
        assert shown[net.id]["status"] == "closed" and shown[net.id]["closed_at"]
        assert len(shown[net.id]["members"]) == net.size
    assert {n["status"] for n in doc["networks"]} == {"active", "closed"}
    lines = _cli("networks").stdout.splitlines()
    assert sum(" closed " in line for line in lines) == 2
    _, key = create_key(graph, "investigator", name="window test")
    app = create_app(api_settings(tmp_path), key_cache_ttl=0, run_cache_ttl=0, limits=ROOMY)
    with TestClient(app, raise_server_exceptions=False) as client:
        some = closed[0]
        got = client.get(f"/networks/{some.id}", headers={"X-API-Key": key})
        assert got.status_code == 200, got.text
        body = got.json()
        assert body["status"] == "closed" and body["run_id"] == second.run.id
        assert body["members_total"] == some.size
        listed = client.get("/networks", headers={"X-API-Key": key}).json()
        assert {n["id"]: n["status"] for n in listed["networks"]}[some.id] == "closed"
    # the next run keeps them, closed since the first time, with the same ids and results
    third = analyze(graph, WINDOW)
    assert _dumps(third.networks) == _dumps(second.networks)
    # a stored network that is not found although its bookings are in the window is gone
    fourth = analyze(graph, DetectParams(window_days=30, min_risk=1.01))
    assert {n.id for n in fourth.networks} == set(stored)
    assert all(n.status == "closed" for n in fourth.networks)
    # over the whole history the old gangs are found again, with their ids
    fifth = analyze(graph, WHOLE)
    again = {n.id: n for n in fifth.networks}
    assert set(stored) <= set(again)
    assert all(again[i].status == "active" and again[i].closed_at is None for i in stored)


def test_a_window_over_a_graph_without_bookings_is_empty(empty_graph: Graph) -> None:
    result = analyze(empty_graph, WINDOW)
    assert result.networks == [] and result.run.params["window_start"] is None
    assert current_run(empty_graph).id == result.run.id
