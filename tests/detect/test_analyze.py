"""Detection end to end on the hand-made world, against the real Neo4j."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from scalpernet.detect.analyze import analyze, detect
from scalpernet.detect.evaluate import evaluate
from scalpernet.graph import Graph
from scalpernet.locale import signal_detail
from scalpernet.results.store import all_networks, current_run
from tests.detect.world import WIFI_IP, World, id_number, phone, write_world


def _roles(graph: Graph) -> dict[str, tuple[str, str]]:
    """uid -> (network id, role) of every stored member."""
    return {f"{m.kind}:{m.key}": (net.id, m.role) for net in all_networks(graph)
            for m in net.members}


def test_both_gangs_found_with_their_tiers_and_no_innocent(world_graph: Graph,
                                                           world: World) -> None:
    result = analyze(world_graph)
    assert current_run(world_graph).id == result.run.id
    roles = _roles(world_graph)
    ga = roles["payer:ga-alipay-hub"][0]
    gb = roles["payer:gb-alipay-hub"][0]
    assert ga != gb and len(result.networks) == 2
    # the bot gang's tool, hub, big scalper posing as agent, agents and customers
    assert roles["ip:203.0.113.10"] == (ga, "technician")
    assert roles["account:ga-bot-0"] == (ga, "technician")
    assert roles["escort_agent:ga-A0"] == (ga, "first_level")
    assert roles[f"phone:{phone(10001)}"] == (ga, "first_level")
    assert roles["escort_agent:ga-A1"] == (ga, "second_level")
    assert roles[f"phone:{phone(10011)}"] == (ga, "second_level")
    assert roles["payer:ga-wx-customer-3"] == (ga, "patient")
    assert roles[f"id_card:{id_number(1090, valid=False)}"] == (ga, "patient")
    # the humanised gang (1.5-4.5 s) is found all the same
    assert roles["device:gb-emu-0"] == (gb, "technician")
    assert roles["escort_agent:gb-A2"] == (gb, "second_level")
    # an honest patient's own phone given once on a gang booking: in the ring, no role
    assert roles[f"phone:{phone(1995)}"] == (ga, "none")
    flagged = {u for u, (_, role) in roles.items() if role != "none"}
    assert not flagged & set(world.innocent)
    assert WIFI_IP not in {u.split(":", 1)[1] for u in roles}
    report = evaluate(result.networks, world.truth())
    assert report["precision"] == 1.0 and report["recall"] == 1.0
    assert report["role_accuracy"] == 1.0 and report["gangs_recovered"] == 2


def test_networks_carry_evidence_and_a_hierarchy(world_graph: Graph) -> None:
    analyze(world_graph)
    nets = all_networks(world_graph)
    assert [n.risk for n in nets] == sorted((n.risk for n in nets), reverse=True)
    for net in nets:
        assert 0.0 <= net.risk <= 1.0 and net.size == len(net.members)
        names = {s.name for s in net.signals}
        assert {"within_seconds_share", "occupy_and_wash", "placeholder_share"} <= names
        # the links are a tree over the members: every member but one has one parent
        children = [(link.target.kind, link.target.key) for link in net.links]
        assert len(children) == len(set(children)) == net.size - 1
        member_roles = {(m.kind, m.key): m.role for m in net.members}
        order = ["technician", "first_level", "second_level", "patient", "none"]
        for link in net.links:
            parent = member_roles[(link.source.kind, link.source.key)]
            child = member_roles[(link.target.kind, link.target.key)]
            assert order.index(parent) <= order.index(child) or child == "none"
        hub = next(m for m in net.members if m.kind == "payer" and m.role == "first_level")
        assert hub.evidence["customers"] >= 10 and hub.evidence["registrations"]
        assert any(s.name == "yearly_bookings" for s in hub.signals)
        cards = next(s for s in hub.signals if s.name == "visit_cards")
        assert 5 <= cards.value <= hub.evidence["customers"]
        assert net.first_seen is not None and net.hospitals


def test_every_stored_explanation_reads_in_chinese(world_graph: Graph) -> None:
    """The pages put each signal's figures into Chinese words: every explanation detection
    stores, of a network and of a member, is one the catalogue reads."""
    analyze(world_graph)
    signals = [s for net in all_networks(world_graph)
               for s in [*net.signals, *(s for m in net.members for s in m.signals)]]
    assert len({s.name for s in signals}) >= 15
    for s in signals:
        chinese = signal_detail(s.name, s.detail, "zh-CN")
        assert not re.search("[A-Za-z]{2,}", chinese), (s.name, s.detail, chinese)
        assert signal_detail(s.name, s.detail, "en") == s.detail


def test_same_graph_twice_gives_identical_networks(world_graph: Graph) -> None:
    first = detect(world_graph, previous={})
    second = detect(world_graph, previous={})
    assert [n.model_dump() for n in first.networks] == [n.model_dump() for n in second.networks]



def _grow_gang_a(graph: Graph, world: World, *, id_base: int, slot_min: int,
                 suffix: str) -> None:
    """Two more customers for gang A, booked by its tool (keys made new by ``suffix``)."""
    extra = World(rng=world.rng)
    for k in range(2):
        extra.book(day=5, name=f"新客{k}", id_no=id_number(id_base + k), latency_ms=30,
                   phone_no=phone(10001), ip="203.0.113.11", device="ga-emu-1",
                   account="ga-bot-1", payer="ga-alipay-hub", slot_min=slot_min + k)
    for row in extra.rows:
        row["key"] += suffix
        row["rid"] += suffix
    write_world(graph, extra.rows)

def test_ids_survive_a_small_change_in_membership(world_graph: Graph, world: World) -> None:
    before = {n.id: {(m.kind, m.key) for m in n.members} for n in analyze(world_graph).networks}
    # two more customers for gang A, booked by its tool
    _grow_gang_a(world_graph, world, id_base=1500, slot_min=100, suffix="-extra")
    after = {n.id: {(m.kind, m.key) for m in n.members} for n in analyze(world_graph).networks}
    assert set(after) == set(before)
    grown = next(i for i, members in after.items() if ("payer", "ga-alipay-hub") in members)
    assert len(after[grown]) == len(before[grown]) + 4
    # a fresh analysis with no previous run derives the same ids from the anchors
    assert {n.id for n in detect(world_graph, previous={}).networks} == set(before)


def test_an_empty_graph_stores_an_empty_run(empty_graph: Graph) -> None:
    result = analyze(empty_graph)
    assert result.networks == [] and current_run(empty_graph).id == result.run.id
    assert result.run.summary["registrations"] == 0


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "scalpernet", *args], capture_output=True,
                          text=True, env=os.environ.copy(), timeout=300, check=False)


@pytest.mark.timeout(600)
def test_cli_analyze_networks_json_and_evaluate(world_graph: Graph, world: World,
                                                tmp_path: Path) -> None:
    done = _cli("analyze")
    assert done.returncode == 0, done.stderr
    assert "2 networks" in done.stdout and "technician" in done.stdout
    out = _cli("networks", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert set(doc) == {"run_id", "networks"} and doc["run_id"] == current_run(world_graph).id
    risks = [n["risk"] for n in doc["networks"]]
    assert risks == sorted(risks, reverse=True) and len(risks) == 2
    for net in doc["networks"]:
        # the contract's fields in its order, then the actors and the status
        assert list(net) == ["id", "risk", "size", "signals", "members", "actors",
                             "status", "closed_at"]
        assert net["status"] == "active" and net["closed_at"] is None
        assert {a["role"] for a in net["actors"]} == {"technician", "first_level",
                                                      "second_level", "patient"}
        assert net["size"] == len(net["members"])
        assert all(list(m) == ["kind", "key", "role", "score"] for m in net["members"])
        assert all(set(s) == {"name", "value", "detail"} for s in net["signals"])
    truth = tmp_path / "truth.json"
    truth.write_text(json.dumps(world.truth()), encoding="utf-8")
    scored = _cli("evaluate", "--truth", str(truth), "--json")
    assert scored.returncode == 0, scored.stderr
    report = json.loads(scored.stdout)
    assert report["precision"] == 1.0 and report["gangs_recovered"] == 2
    missing = _cli("evaluate", "--truth", str(tmp_path / "nope.json"))
    assert missing.returncode == 1 and "no truth file" in missing.stderr


@pytest.mark.timeout(600)
def test_cli_summaries_speak_the_language_chosen_and_json_is_the_same(
        world_graph: Graph) -> None:
    done = _cli("--lang", "zh-CN", "analyze")
    assert done.returncode == 0, done.stderr
    assert "2 个团伙" in done.stdout and "各角色成员：技术人员 " in done.stdout
    assert "networks" not in done.stdout and "technician" not in done.stdout
    listed = _cli("--lang", "zh-CN", "networks").stdout.splitlines()
    assert listed[0].endswith("：2 个团伙") and len(listed) == 3
    for line in listed[1:]:
        assert "风险 " in line and "一级黄牛 " in line and "患者 " in line
        assert not re.search("[A-Za-z]{2,}", line.partition("  ")[2].partition("|")[2])
    english = _cli("--lang", "en", "networks").stdout.splitlines()
    assert english[0].endswith(": 2 networks") and "first_level " in english[1]
    assert _cli("--lang", "zh-CN", "networks", "--json").stdout == \
        _cli("--lang", "en", "networks", "--json").stdout


def _nodes(graph: Graph) -> dict[str, str]:
    """The current networks' ids and the element ids of their nodes."""
    records, _, _ = graph.driver.execute_query(
        "MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network) "
        "RETURN n.id AS id, elementId(n) AS node", database_=graph.database)
    return {r["id"]: r["node"] for r in records}


def test_a_reanalysis_writes_only_the_networks_that_changed(world_graph: Graph,
                                                            world: World) -> None:
    first = analyze(world_graph)
    nodes = _nodes(world_graph)
    assert len(nodes) == len(first.networks) >= 2
    # nothing new: the next run finds every stored network as it is
    again = analyze(world_graph)
    assert current_run(world_graph).id == again.run.id != first.run.id
    assert _nodes(world_graph) == nodes
    # two more customers for gang A: its network is written afresh; every other network is
    # kept as stored exactly when detection found it as it was
    stored = {n.id: n.model_dump() for n in all_networks(world_graph)}
    _grow_gang_a(world_graph, world, id_base=1600, slot_min=120, suffix="-more")
    grown = analyze(world_graph)
    gang_a = next(n.id for n in grown.networks
                  if any((m.kind, m.key) == ("payer", "ga-alipay-hub") for m in n.members))
    after = _nodes(world_graph)
    assert set(after) == set(nodes) and after[gang_a] != nodes[gang_a]
    now = {n.id: n.model_dump() for n in all_networks(world_graph)}
    assert {i: after[i] == nodes[i] for i in after} == {i: now[i] == stored[i] for i in after}
