"""Detection results are stored atomically, replaced whole, and read back unchanged."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest

from scalpernet.graph import Graph
from scalpernet.results.models import (
    Actor,
    ActorIdentifier,
    AnalysisRun,
    EntityRef,
    Link,
    Member,
    Network,
    Signal,
)
from scalpernet.results.store import (
    all_networks,
    current_run,
    get_network,
    list_networks,
    memberships,
    write_results,
)

T0 = datetime(2026, 3, 1, 18, 0, tzinfo=UTC)


def _seed(graph: Graph) -> None:
    graph.driver.execute_query(
        "UNWIND $rows AS r CREATE (e:Entity {uid: r.kind + ':' + r.key, key: r.key})",
        rows=[{"kind": "payer", "key": "p1"}, {"kind": "ip", "key": "203.0.113.7"},
              {"kind": "escort_agent", "key": "A9"}],
        database_=graph.database,
    )


def _network(net_id: str, risk: float, hospital: str = "H1") -> Network:
    return Network(
        id=net_id, risk=risk, size=2, hospitals=[hospital], first_seen=T0, last_seen=T0,
        signals=[Signal(name="bookings_at_release", value=512, detail="512 within 0.1 s")],
        members=[
            Member(kind="ip", key="203.0.113.7", role="technician", score=0.99,
                   signals=[Signal(name="bot_latency_p50_ms", value=21)],
                   evidence={"registrations": ["H1|R1", "H1|R2"]}),
            Member(kind="payer", key="p1", role="first_level", score=0.9),
        ],
        links=[Link(source=EntityRef(kind="ip", key="203.0.113.7"),
                    target=EntityRef(kind="payer", key="p1"), type="paid_bookings_from",
                    weight=2.0, registrations=2)],
    )


def test_write_then_read_round_trips(empty_graph: Graph) -> None:
    _seed(empty_graph)
    run = AnalysisRun(id="run-1", started_at=T0, ended_at=T0, params={"seed": 7},
                      summary={"networks": 2})
    write_results(empty_graph, run, [_network("n-low", 0.4), _network("n-high", 0.9, "H2")])

    assert current_run(empty_graph) == run
    total, ranked = list_networks(empty_graph)
    assert total == 2 and [n.id for n in ranked] == ["n-high", "n-low"]
    total, filtered = list_networks(empty_graph, hospital="H2", min_risk=0.5)
    assert total == 1 and filtered[0].id == "n-high"

    net = get_network(empty_graph, "n-high")
    assert net == _network("n-high", 0.9, "H2")
    assert [n.id for n in all_networks(empty_graph)] == ["n-high", "n-low"]
    roles = memberships(empty_graph, "ip", "203.0.113.7")
    assert {r["role"] for r in roles} == {"technician"} and len(roles) == 2
    assert get_network(empty_graph, "missing") is None


def test_a_new_run_replaces_the_old_one(empty_graph: Graph) -> None:
    _seed(empty_graph)
    write_results(empty_graph, AnalysisRun(id="r1", started_at=T0), [_network("a", 0.5)])
    write_results(empty_graph, AnalysisRun(id="r2", started_at=T0), [_network("b", 0.6)])
    assert current_run(empty_graph).id == "r2"
    assert [n.id for n in list_networks(empty_graph)[1]] == ["b"]
    assert get_network(empty_graph, "a") is None


def test_a_failed_write_leaves_the_previous_results(empty_graph: Graph) -> None:
    _seed(empty_graph)
    write_results(empty_graph, AnalysisRun(id="r1", started_at=T0), [_network("a", 0.5)])
    broken = _network("b", 0.6)
    broken.members.append(Member(kind="phone", key="13800000000", role="patient", score=0.1))
    with pytest.raises(RuntimeError, match="not in the graph"):
        write_results(empty_graph, AnalysisRun(id="r2", started_at=T0), [broken])
    assert current_run(empty_graph).id == "r1"
    assert [n.id for n in list_networks(empty_graph)[1]] == ["a"]
    # the next write deletes the failed one's leftovers and says it was abandoned
    write_results(empty_graph, AnalysisRun(id="r3", started_at=T0), [_network("a", 0.7)])
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (n) WHERE n:Network OR n:Actor RETURN collect(DISTINCT n.run_id) AS runs",
        database_=empty_graph.database)
    assert records[0]["runs"] == ["r3"]
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (r:AnalysisRun {id: 'r2'}) RETURN r.status AS status, r.current AS current",
        database_=empty_graph.database)
    assert (records[0]["status"], records[0]["current"]) == ("abandoned", False)


def test_a_network_keeps_its_id_from_run_to_run_with_its_actors(empty_graph: Graph) -> None:
    _seed(empty_graph)
    for run_id, risk in (("r1", 0.5), ("r2", 0.8)):
        net = _network("kept", risk)
        net.actors = [Actor(id="act-1", role="technician", score=0.9, identifiers=[
            ActorIdentifier(kind="ip", key="203.0.113.7")]),
            Actor(id="act-2", role="first_level", score=0.9, parent="act-1",
                  link={"bookings": 2, "payments": 2},
                  identifiers=[ActorIdentifier(kind="payer", key="p1")])]
        write_results(empty_graph, AnalysisRun(id=run_id, started_at=T0), [net])
    back = get_network(empty_graph, "kept")
    assert back is not None and back.risk == 0.8
    assert [(a.id, a.role, a.parent) for a in back.actors] == [
        ("act-1", "technician", None), ("act-2", "first_level", "act-1")]
    assert back.actors[1].link == {"bookings": 2, "payments": 2}
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (n) WHERE n:Network OR n:Actor RETURN count(n) AS nodes",
        database_=empty_graph.database)
    assert records[0]["nodes"] == 3  # the new run's network and two actors only


def _stored_ids(graph: Graph, network_id: str) -> dict[str, list[str]]:
    """The element ids of a current network's node, member links, actors and their USES."""
    records, _, _ = graph.driver.execute_query(
        "MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id}) "
        "OPTIONAL MATCH (n)<-[m:MEMBER_OF]-() "
        "WITH n, collect(elementId(m)) AS members "
        "OPTIONAL MATCH (n)-[:HAS_ACTOR]->(a:Actor) OPTIONAL MATCH (a)-[u:USES]->() "
        "RETURN elementId(n) AS node, members, collect(DISTINCT elementId(a)) AS actors, "
        "collect(elementId(u)) AS uses", id=network_id, database_=graph.database)
    row = records[0]
    return {"node": [row["node"]], **{k: sorted(row[k]) for k in ("members", "actors", "uses")}}


def _with_actors(net: Network) -> Network:
    net.actors = [Actor(id=f"{net.id}-tech", role="technician", score=0.9, identifiers=[
        ActorIdentifier(kind="ip", key="203.0.113.7", operated_by_tool=True)])]
    return net


def _results(graph: Graph) -> list[tuple[str, int, int]]:
    """Every Network node with how many runs found it and its member links."""
    records, _, _ = graph.driver.execute_query(
        "MATCH (n:Network) RETURN n.id AS id, COUNT { (:AnalysisRun)-[:FOUND]->(n) } AS runs, "
        "COUNT { (n)<-[:MEMBER_OF]-() } AS members ORDER BY id", database_=graph.database)
    return [(r["id"], r["runs"], r["members"]) for r in records]


def test_an_unchanged_network_is_carried_over_and_a_changed_one_rewritten(
        empty_graph: Graph) -> None:
    _seed(empty_graph)
    write_results(empty_graph, AnalysisRun(id="r1", started_at=T0),
                  [_with_actors(_network("same", 0.5)), _with_actors(_network("moved", 0.6))])
    same, moved = _stored_ids(empty_graph, "same"), _stored_ids(empty_graph, "moved")
    changed = _with_actors(_network("moved", 0.6))
    changed.members[1].score = 0.8  # one member's score: the network is not the same
    write_results(empty_graph, AnalysisRun(id="r2", started_at=T0),
                  [_with_actors(_network("same", 0.5)), changed])
    assert current_run(empty_graph).id == "r2"
    assert _stored_ids(empty_graph, "same") == same  # nothing of it written again
    now = _stored_ids(empty_graph, "moved")
    assert all(set(now[k]).isdisjoint(moved[k]) for k in now)  # all of it written afresh
    assert get_network(empty_graph, "same") == _with_actors(_network("same", 0.5))
    assert get_network(empty_graph, "moved") == changed
    # one node per network, each found by the current run only
    assert _results(empty_graph) == [("moved", 1, 2), ("same", 1, 2)]
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (r:AnalysisRun)-[:FOUND]->() RETURN collect(DISTINCT r.id) AS runs",
        database_=empty_graph.database)
    assert records[0]["runs"] == ["r2"]
    # a network's stored content changed behind the store's back is not carried over
    empty_graph.driver.execute_query(
        "MATCH (e:Entity {uid: 'payer:p1'})-[m:MEMBER_OF]->(:Network {id: 'same'}) DELETE m",
        database_=empty_graph.database)
    write_results(empty_graph, AnalysisRun(id="r3", started_at=T0),
                  [_with_actors(_network("same", 0.5)), changed])
    assert _stored_ids(empty_graph, "same")["node"] != same["node"]
    assert get_network(empty_graph, "same") == _with_actors(_network("same", 0.5))
    assert _results(empty_graph) == [("moved", 1, 2), ("same", 1, 2)]


class _PausesBeforeSwitch(Graph):
    """The suite's graph, calling ``pause`` just before a run is made current (or failing
    there when ``fail``)."""

    def __init__(self, graph: Graph, pause: Callable[[], None], fail: bool = False) -> None:
        self.__dict__.update(graph.__dict__)
        self.pause, self.fail = pause, fail

    def write(self, name: str, **params: Any) -> list[dict[str, Any]]:
        if name == "results_switch":
            self.pause()
            if self.fail:
                raise RuntimeError("the switch failed")
        return super().write(name, **params)


def test_readers_see_the_old_results_until_the_switch(empty_graph: Graph) -> None:
    _seed(empty_graph)
    write_results(empty_graph, AnalysisRun(id="r1", started_at=T0),
                  [_network("same", 0.5), _network("moved", 0.6), _network("gone", 0.3)])
    seen: list[Any] = []

    def read() -> None:
        total, nets = list_networks(empty_graph)
        seen.append((current_run(empty_graph).id, total,
                     [(n.id, n.risk) for n in nets], get_network(empty_graph, "moved").risk,
                     get_network(empty_graph, "same").risk, sorted(
                         r["network"] for r in memberships(empty_graph, "payer", "p1"))))

    write_results(_PausesBeforeSwitch(empty_graph, read), AnalysisRun(id="r2", started_at=T0),
                  [_network("same", 0.5), _network("moved", 0.9), _network("new", 0.2)])
    read()
    assert seen == [
        # while r2 is written: r1's networks, the carried one once
        ("r1", 3, [("moved", 0.6), ("same", 0.5), ("gone", 0.3)], 0.6, 0.5,
         ["gone", "moved", "same"]),
        ("r2", 3, [("moved", 0.9), ("same", 0.5), ("new", 0.2)], 0.9, 0.5,
         ["moved", "new", "same"])]


def test_a_failed_write_leaves_carried_networks_with_the_old_run(empty_graph: Graph) -> None:
    _seed(empty_graph)
    write_results(empty_graph, AnalysisRun(id="r1", started_at=T0),
                  [_with_actors(_network("same", 0.5)), _network("moved", 0.6)])
    same = _stored_ids(empty_graph, "same")
    with pytest.raises(RuntimeError, match="switch failed"):
        write_results(_PausesBeforeSwitch(empty_graph, lambda: None, fail=True),
                      AnalysisRun(id="r2", started_at=T0),
                      [_with_actors(_network("same", 0.5)), _network("moved", 0.9)])
    assert current_run(empty_graph).id == "r1"
    assert [(n.id, n.risk) for n in list_networks(empty_graph)[1]] == [
        ("moved", 0.6), ("same", 0.5)]
    # the next write carries the network over again and deletes the failed one's leftovers
    write_results(empty_graph, AnalysisRun(id="r3", started_at=T0),
                  [_with_actors(_network("same", 0.5)), _network("moved", 0.7)])
    assert _stored_ids(empty_graph, "same") == same
    assert [(n.id, n.risk) for n in list_networks(empty_graph)[1]] == [
        ("moved", 0.7), ("same", 0.5)]
    assert _results(empty_graph) == [("moved", 1, 2), ("same", 1, 2)]
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (r:AnalysisRun {id: 'r2'}) RETURN r.status AS status",
        database_=empty_graph.database)
    assert records[0]["status"] == "abandoned"


def test_batches_sent_from_two_sessions_store_every_member_once(
        empty_graph: Graph, monkeypatch: pytest.MonkeyPatch) -> None:
    """Members and actors of many networks, a row per batch, written from two sessions at
    once: each member and identifier link is stored exactly once, as from one session."""
    from scalpernet.results import store

    _seed(empty_graph)
    monkeypatch.setattr(store, "_BATCH", 1)
    networks = [_with_actors(_network(f"n-{i}", 0.5 + i / 100)) for i in range(8)]
    stored = {}
    for writers in (1, 2):
        monkeypatch.setattr(store, "_WRITERS", writers)
        monkeypatch.setattr(store, "_CONTENT_VERSION", f"v{writers}".encode())  # rewrite all
        write_results(empty_graph, AnalysisRun(id=f"w{writers}", started_at=T0), networks)
        records, _, _ = empty_graph.driver.execute_query(
            "MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network) "
            "RETURN n.id AS id, COUNT { (n)<-[:MEMBER_OF]-() } AS members, "
            "COUNT { (n)-[:HAS_ACTOR]->()-[:USES]->() } AS uses ORDER BY id",
            database_=empty_graph.database)
        stored[writers] = [(r["id"], r["members"], r["uses"]) for r in records]
    assert stored[2] == stored[1] == [(f"n-{i}", 2, 1) for i in range(8)]
    assert {n.id: len(n.members) for n in all_networks(empty_graph)} == {
        n.id: 2 for n in networks}
