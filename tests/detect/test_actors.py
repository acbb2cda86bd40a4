"""Actors: the people behind a network's identifiers, stored and read back from Neo4j."""

from __future__ import annotations

from scalpernet.detect.analyze import analyze
from scalpernet.graph import Graph
from scalpernet.graph.schema import reset_graph
from scalpernet.results.models import Actor, Network
from scalpernet.results.store import all_networks
from tests.detect.world import (
    World,
    build_stealth_world,
    household,
    id_number,
    phone,
    write_world,
)


def _actor_of(nets: list[Network], uid: str) -> list[tuple[Network, Actor]]:
    return [(n, a) for n in nets for a in n.actors
            if uid in {f"{i.kind}:{i.key}" for i in a.identifiers}]


def _uids(actor: Actor) -> set[str]:
    return {f"{i.kind}:{i.key}" for i in actor.identifiers}


def test_each_persons_identifiers_make_one_actor_in_a_tree(world_graph: Graph) -> None:
    analyze(world_graph)
    nets = all_networks(world_graph)
    assert len(nets) == 2
    for net in nets:
        by_role = {r: [a for a in net.actors if a.role == r]
                   for r in ("technician", "first_level", "second_level", "patient")}
        assert len(by_role["technician"]) == len(by_role["first_level"]) == 1
        ids = {a.id for a in net.actors}
        assert len(ids) == len(net.actors)
        tech, first = by_role["technician"][0], by_role["first_level"][0]
        assert tech.parent is None and first.parent == tech.id
        assert {a.parent for a in by_role["second_level"]} == {first.id}
        # a patient hangs on the second level that brought it, or on the first level
        assert {a.parent for a in by_role["patient"]} <= {first.id} | {
            a.id for a in by_role["second_level"]}
        # one ID card per patient actor; every identifier with a role is someone's
        assert all(sum(i.kind == "id_card" for i in a.identifiers) == 1
                   for a in by_role["patient"])
        used = set().union(*(_uids(a) for a in net.actors))
        assert used == {f"{m.kind}:{m.key}" for m in net.members if m.role != "none"}
        assert all(a.evidence["bookings"] >= 1 and a.evidence["identifiers"] == len(
            a.identifiers) for a in net.actors)
    (net, tech), = _actor_of(nets, "ip:203.0.113.10")
    assert {"account:ga-bot-0", "device:ga-emu-0"} <= _uids(tech) and tech.role == "technician"
    (_, first), = _actor_of(nets, "payer:ga-alipay-hub")
    assert _uids(first) == {"payer:ga-alipay-hub", f"phone:{phone(10001)}",
                            "escort_agent:ga-A0"}
    (_, agent), = _actor_of(nets, "escort_agent:ga-A1")
    assert agent.role == "second_level" and f"phone:{phone(10011)}" in _uids(agent)
    assert agent.link["bookings"] >= 1
    (_, customer), = _actor_of(nets, "payer:ga-wx-customer-3")
    assert customer.role == "patient" and f"id_card:{id_number(1003)}" in _uids(customer)
    # the honest patient's own phone pulled into the ring (role none) is nobody's
    assert not _actor_of(nets, f"phone:{phone(1995)}")


def test_the_tools_accounts_shared_phones_and_brokers_without_an_agent_column(
        graph: Graph) -> None:
    w: World = build_stealth_world()
    mother, kid_a, kid_b = household(w)
    reset_graph(graph)
    write_world(graph, w.rows)
    analyze(graph)
    nets = all_networks(graph)
    # the account the tool booked through is the customer's, marked as the tool's use
    (_, owner), = _actor_of(nets, "account:own-5")
    assert owner.role == "patient" and f"id_card:{id_number(7_005)}" in _uids(owner)
    mark = next(i for i in owner.identifiers if i.key == "own-5")
    assert mark.operated_by_tool and not mark.shared
    # the fresh addresses and devices, and the account paying in advance: the technician
    (_, tech), = _actor_of(nets, "device:spoof-5")
    assert tech.role == "technician" and {"ip:36.0.5.9", "payer:gs-alipay-tech"} <= _uids(tech)
    # no agent column: a broker's phone and the payer paying through it are one person
    (_, broker), = _actor_of(nets, "payer:gs-wx-broker-0")
    assert broker.role == "second_level" and _uids(broker) == {
        "payer:gs-wx-broker-0", f"phone:{phone(70_000)}"}
    # a mother's phone given for her two children stays with both, flagged shared
    both = _actor_of(nets, f"phone:{mother}")
    assert len(both) == 2 and {a.role for _, a in both} == {"patient"}
    assert all(next(i for i in a.identifiers if i.kind == "phone").shared for _, a in both)
    assert {f"id_card:{kid_a}", f"id_card:{kid_b}"} == {
        next(f"id_card:{i.key}" for i in a.identifiers if i.kind == "id_card") for _, a in both}


def test_actor_ids_survive_a_rerun_and_new_customers(world_graph: Graph, world: World) -> None:
    first = {a.id: (a.role, _uids(a)) for n in analyze(world_graph).networks for a in n.actors}
    again = {a.id: (a.role, _uids(a)) for n in analyze(world_graph).networks for a in n.actors}
    assert again == first
    extra = World(rng=world.rng)
    for k in range(2):
        extra.book(day=5, name=f"新客{k}", id_no=id_number(1500 + k), latency_ms=30,
                   phone_no=phone(10011), ip="203.0.113.11", device="ga-emu-1",
                   account="ga-bot-1", payer="ga-alipay-hub", slot_min=100 + k,
                   agent=("ga-A1", phone(10011)))
    for row in extra.rows:
        row["key"] += "-extra"
        row["rid"] += "-extra"
    write_world(world_graph, extra.rows)
    after = {a.id: (a.role, _uids(a)) for n in analyze(world_graph).networks for a in n.actors}
    # every actor of before is still there under its id; two new customers came
    assert set(first) <= set(after)
    assert sum(1 for role, _ in after.values() if role == "patient") == sum(
        1 for role, _ in first.values() if role == "patient") + 2


def test_a_bot_account_booking_one_placeholder_is_the_tools(graph: Graph) -> None:
    """An account the tool used for one placeholder alone looks like a customer's own; it
    booked only junk identities at machine speed, so it is the technician's, not a patient's."""
    from tests.detect.world import build_world

    w = build_world()
    hold = next(r for r in w.rows if r["name"] == "561" and r["account"].startswith("ga-"))
    hold["account"] = "ga-bot-solo"
    reset_graph(graph)
    write_world(graph, w.rows)
    nets = analyze(graph).networks
    (net, tech), = _actor_of(nets, "account:ga-bot-solo")
    assert tech.role == "technician" and "ip:203.0.113.10" in _uids(tech)
    member = next(m for m in net.members if m.kind == "account" and m.key == "ga-bot-solo")
    assert member.role == "technician" and "placeholder" in member.evidence["role_reason"]
