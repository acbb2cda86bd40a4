"""Signals read off the hand-made world in the real Neo4j: speed, washes, damp, triggers."""

from __future__ import annotations

import numpy as np

from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import entity_ids, entity_uids, load_projection
from scalpernet.detect.signals import (
    build_incidence,
    entity_signals,
    registration_signals,
)
from scalpernet.graph import Graph
from tests.detect.world import OFFICE_IP, WIFI_IP, World, phone


def _signals(graph: Graph):
    params = DetectParams()
    proj = load_projection(graph, parts=3, workers=2)
    reg = registration_signals(proj, params)
    inc = build_incidence(proj)
    sig = entity_signals(proj, reg, inc, params, np.zeros(inc.count, dtype=bool))
    return proj, reg, inc, sig


def test_projection_holds_every_booking_with_its_entities(world_graph: Graph,
                                                          world: World) -> None:
    proj = load_projection(world_graph, parts=3, workers=2)
    assert proj.size == len(world.rows)
    assert (proj.entities["patient"] >= 0).all() and (proj.entities["id_card"] >= 0).all()
    with_agent = sum(1 for r in world.rows if r["agent"])
    assert int((proj.entities["escort_agent"] >= 0).sum()) == with_agent
    assert int((proj.entities["agent_phone"] >= 0).sum()) == with_agent
    assert list(proj.registration) == sorted(proj.registration)  # deterministic order
    ids = entity_ids(world_graph, ["payer:ga-alipay-hub", "payer:nobody"])
    assert list(ids) == ["payer:ga-alipay-hub"]
    assert entity_uids(world_graph, ids.values()) == {ids["payer:ga-alipay-hub"]:
                                                      "payer:ga-alipay-hub"}


def test_speed_washes_and_placeholders_per_booking(world_graph: Graph, world: World) -> None:
    _, reg, _, _ = _signals(world_graph)
    machine = sum(1 for r in world.rows if 0 <= r["latency"] < 1_000)
    quick = sum(1 for r in world.rows if 0 <= r["latency"] < 6_000)
    assert int(reg.machine.sum()) == machine and int(reg.quick.sum()) == quick
    # 6 + 5 placeholders held a slot and were washed to a buyer within seconds
    assert int(reg.wash_cancel.sum()) == 11 and int(reg.wash_rebook.sum()) == 11
    assert int(reg.placeholder.sum()) == 11 and int(reg.virtual_phone.sum()) == 11
    assert not (reg.wash_cancel & reg.wash_rebook).any()
    # an honest cancellation far from any re-booking is not a wash
    assert int(reg.cancelled.sum()) == 11


def test_tools_trigger_and_shared_identifiers_are_damp(world_graph: Graph) -> None:
    _, _, inc, sig = _signals(world_graph)
    uids = ["ip:203.0.113.10", "account:gb-bot-1", "payer:ga-alipay-hub", f"ip:{WIFI_IP}",
            "account:corp-hr", f"ip:{OFFICE_IP}", "payer:corp-pay", "account:fast-acc",
            "payer:family-pay", f"phone:{phone(1900)}", "escort_agent:licensed-7"]
    ids = entity_ids(world_graph, uids)
    dense = {u: int(inc.index_of(np.asarray([ids[u]]))[0]) for u in uids}
    triggered = {u for u, i in dense.items() if sig.trigger[i]}
    damp = {u for u, i in dense.items() if sig.damp[i]}
    assert triggered == {"ip:203.0.113.10", "account:gb-bot-1", "payer:ga-alipay-hub"}
    assert damp == {f"ip:{WIFI_IP}", "account:corp-hr", f"ip:{OFFICE_IP}", "payer:corp-pay"}
    hub = dense["payer:ga-alipay-hub"]
    assert sig.quick_id_numbers[hub] >= 20 and sig.patients[hub] == sig.id_numbers[hub]
    assert sig.id_numbers[dense[f"ip:{WIFI_IP}"]] == 45
    assert sig.quick[dense["account:fast-acc"]] == 4  # fast, but one person: no trigger
