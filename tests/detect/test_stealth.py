"""Gangs that show no tool identifier of their own, against the real Neo4j.

The stealth gang books through a fresh residential address and device id every time, through
its customers' own app accounts, with 3-8 s delays and no agent column: only its money hubs
and its brokers' phones tie it together. The NAT gang hides its tool behind a carrier NAT
address it shares with 90 honest people.
"""

from __future__ import annotations

import pytest

from scalpernet.detect.analyze import analyze
from scalpernet.detect.evaluate import evaluate
from scalpernet.graph import Graph
from scalpernet.graph.schema import reset_graph
from scalpernet.results.store import all_networks
from tests.detect.world import NAT_IP, World, build_stealth_world, phone, write_world


@pytest.fixture(scope="module")
def stealth() -> World:
    return build_stealth_world()


@pytest.fixture()
def stealth_graph(graph: Graph, stealth: World) -> Graph:
    reset_graph(graph)
    write_world(graph, stealth.rows)
    return graph


def test_gangs_without_a_tool_identifier_are_found_whole_with_their_tiers(
        stealth_graph: Graph, stealth: World) -> None:
    result = analyze(stealth_graph)
    members = {f"{m.kind}:{m.key}": (net.id, m) for net in all_networks(stealth_graph)
               for m in net.members}
    role = {u: m.role for u, (_, m) in members.items()}
    gs = members["payer:gs-alipay-1"][0]
    gn = members[f"phone:{phone(80_001)}"][0]
    assert gs != gn and len(result.networks) == 2
    # the money hubs lead; the technician's account paid first and stopped
    assert role["payer:gs-alipay-1"] == role["payer:gs-alipay-2"] == "first_level"
    assert role["payer:gs-alipay-tech"] == "technician"
    # a fresh address and device every booking: the tool's; the account: the customer's
    assert role["ip:36.0.5.9"] == role["device:spoof-5"] == "technician"
    assert role["account:own-5"] == "patient"
    assert "grabbing tool" in members["account:own-5"][1].evidence["role_reason"]
    # no agent column: the brokers' phones and a broker's own payer are the second level
    assert {role[f"phone:{phone(70_000 + k)}"] for k in range(3)} == {"second_level"}
    assert role["payer:gs-wx-broker-0"] == "second_level"
    # no broker of its own: a scalper's account, told by paying for a small group only
    assert role["payer:gs-wx-group-0"] == "second_level"
    assert "small group" in members["payer:gs-wx-group-0"][1].evidence["role_reason"]
    # machine-speed bookings through the NAT address bring their customers into the ring
    assert {members[f"phone:{phone(86_000 + n)}"][0] for n in range(4)} == {gn}
    assert {role[f"phone:{phone(86_000 + n)}"] for n in range(4)} == {"patient"}
    # ... and so does one booked in the same release burst through a fresh address
    assert members[f"phone:{phone(86_010)}"][0] == members["ip:36.7.7.7"][0] == gn
    assert role["ip:36.7.7.7"] == "technician"
    # the NAT address ties the NAT gang's brokers together, and is nobody's role
    assert {members[f"phone:{phone(80_000 + k)}"][0] for k in range(4)} == {gn}
    assert role[f"ip:{NAT_IP}"] == "none"
    # the money hub is named in the ring's evidence
    ring = next(n for n in result.networks if n.id == gs)
    assert any(s.name == "money_hub" and s.value >= 10 for s in ring.signals)
    report = evaluate(result.networks, stealth.truth())
    assert report["precision"] == 1.0 and report["innocent_flagged"] == 0
    assert report["recall"] == 1.0 and report["gangs_recovered"] == 2
    assert report["role_accuracy"] == 1.0
