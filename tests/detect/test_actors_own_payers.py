"""Second-level scalpers who pay from their own accounts and are never written on a booking:
their payers join them, against the real Neo4j."""

from __future__ import annotations

from scalpernet.detect.actors import FIRST_PHONE_REASON, OWN_PAYER_REASON
from scalpernet.detect.analyze import analyze
from scalpernet.detect.evaluate import evaluate_actors
from scalpernet.graph import Graph
from scalpernet.graph.schema import reset_graph
from scalpernet.results.models import Actor, Network
from tests.detect.world import World, _honest, id_number, phone, write_world


def _agents_pay(w: World, agents: int, first_pays_agents: bool = False,
                first_phone: bool = False) -> dict:
    """A bot gang with no agent column: each agent's phone is the contact of half his
    customers (the others give their own), and his own account pays for them (one in eight
    paid by the first level's hub, which also pays for the first level's own customers).
    With ``first_pays_agents`` the hub pays for everybody and the agents have no account.
    With ``first_phone`` the first level's own phone is the contact of its own customers and
    of one customer of each agent (paid by the agent), each agent bringing ten. Returns the
    truth (people included)."""
    rng = w.rng
    ips = [f"203.0.113.{60 + k}" for k in range(3)]
    bots = [f"ap-bot-{k}" for k in range(4)]
    hub = "ap-alipay-hub"
    members = [{"kind": "ip", "key": ip, "role": "technician", "actor": "t"} for ip in ips]
    members += [{"kind": "account", "key": a, "role": "technician", "actor": "t"} for a in bots]
    members.append({"kind": "payer", "key": hub, "role": "first_level", "actor": "f"})
    people = [{"id": "t", "role": "technician"}, {"id": "f", "role": "first_level"}]
    first = phone(63_000)
    if first_phone:
        members.append({"kind": "phone", "key": first, "role": "first_level", "actor": "f"})
    n = 0

    def book(contact: str, payer: str) -> None:
        nonlocal n
        name, id_no = f"付客{n}", id_number(3_000 + n)
        w.book(day=n % 8, name=name, id_no=id_no, latency_ms=rng.randint(15, 90),
               phone_no=contact, ip=rng.choice(ips), device=None, account=rng.choice(bots),
               payer=payer, doctor="D004", slot_min=n)
        members.extend([{"kind": "patient", "key": f"{id_no}|{name}", "role": "patient",
                         "actor": f"c{n}"},
                        {"kind": "id_card", "key": id_no, "role": "patient", "actor": f"c{n}"}])
        if contact == phone(60_000 + n):
            members.append({"kind": "phone", "key": contact, "role": "patient",
                            "actor": f"c{n}"})
        people.append({"id": f"c{n}", "role": "patient"})
        n += 1

    for a in range(agents):
        own_phone, own_payer = phone(61_000 + a), f"ap-wx-agent-{a}"
        people.append({"id": f"a{a}", "role": "second_level"})
        members.append({"kind": "phone", "key": own_phone, "role": "second_level",
                        "actor": f"a{a}"})
        if not first_pays_agents:
            members.append({"kind": "payer", "key": own_payer, "role": "second_level",
                            "actor": f"a{a}"})
        for c in range(10 if first_phone else 8):
            contact = own_phone if c % 2 == 0 else phone(60_000 + n)
            if first_phone and c == 1:
                contact = first
            book(contact, hub if first_pays_agents or c == 6 else own_payer)
    for _ in range(8):  # the first level's own customers, their own phones as contact
        book(first if first_phone else phone(60_000 + n), hub)
    return {"gangs": [{"id": "ap", "actors": people, "members": members}], "innocent": []}


def _load(graph: Graph, agents: int, first_pays_agents: bool = False,
          first_phone: bool = False) -> tuple[list[Network], dict]:
    w = World()
    truth = _agents_pay(w, agents, first_pays_agents, first_phone)
    _honest(w)
    reset_graph(graph)
    write_world(graph, w.rows)
    return analyze(graph).networks, truth


def _holding(nets: list[Network], uid: str) -> tuple[Network, Actor]:
    (found,) = [(n, a) for n in nets for a in n.actors
                if uid in {f"{i.kind}:{i.key}" for i in a.identifiers}]
    return found


def test_an_agents_own_payer_joins_him_and_takes_his_role(graph: Graph) -> None:
    nets, truth = _load(graph, agents=3)
    for a in range(3):
        net, agent = _holding(nets, f"payer:ap-wx-agent-{a}")
        assert agent.role == "second_level"
        assert {f"{i.kind}:{i.key}" for i in agent.identifiers} == {
            f"phone:{phone(61_000 + a)}", f"payer:ap-wx-agent-{a}"}
        member = next(m for m in net.members if m.key == f"ap-wx-agent-{a}")
        assert member.role == "second_level"
        assert member.evidence["role_reason"] == OWN_PAYER_REASON
    # the hub paying for the first level's own customers and a few of each agent's stays
    _, first = _holding(nets, "payer:ap-alipay-hub")
    assert first.role == "first_level"
    scores = evaluate_actors(nets, truth)
    assert scores["second_level_one_to_one"] == 1.0 and scores["tier_accuracy"] == 1.0
    assert scores["patients_merged_with_scalpers"] == 0


def test_the_first_levels_phone_for_several_scalpers_customers_is_his(graph: Graph) -> None:
    """No agent written, the scalpers paying for their own: the first level's phone, given
    for its own customers (paid by its hub) and for one of each scalper's (paid by him), is
    the first level's, not a broker of its own."""
    nets, truth = _load(graph, agents=3, first_phone=True)
    net, first = _holding(nets, f"phone:{phone(63_000)}")
    assert first.role == "first_level"
    assert {f"{i.kind}:{i.key}" for i in first.identifiers} == {
        f"phone:{phone(63_000)}", "payer:ap-alipay-hub"}
    member = next(m for m in net.members if m.key == phone(63_000))
    assert member.role == "first_level"
    assert member.evidence["role_reason"] == FIRST_PHONE_REASON
    scores = evaluate_actors(nets, truth)
    assert scores["second_level_one_to_one"] == 1.0 and scores["tier_accuracy"] == 1.0


def test_the_first_levels_only_account_stays_his_when_it_pays_for_one_agent(
        graph: Graph) -> None:
    """With one agent and the hub paying for all his customers, the hub pays through him as
    an own account would; it is the first level's last identifier, so it stays first level."""
    nets, _ = _load(graph, agents=1, first_pays_agents=True)
    net, first = _holding(nets, "payer:ap-alipay-hub")
    assert first.role == "first_level"
    assert next(m for m in net.members if m.key == "ap-alipay-hub").role == "first_level"


def _accounts_only(w: World, sizes: list[int]) -> None:
    """A bot gang with no agent column whose customers all give their own phones: each of
    ``sizes`` is an account paying that many customers (nothing else tells them apart)."""
    rng = w.rng
    ips = [f"203.0.113.{80 + k}" for k in range(3)]
    n = 0
    for a, size in enumerate(sizes):
        for _ in range(size):
            w.book(day=n % 8, name=f"账客{n}", id_no=id_number(4_000 + n),
                   latency_ms=rng.randint(15, 90), phone_no=phone(62_000 + n),
                   ip=rng.choice(ips), device=None, account=f"ao-bot-{n % 4}",
                   payer=f"ao-pay-{a}", doctor="D005", slot_min=n % 240)
            n += 1


def _roles(graph: Graph, sizes: list[int]) -> tuple[dict[str, str], list[Actor]]:
    w = World()
    _accounts_only(w, sizes)
    _honest(w)
    reset_graph(graph)
    write_world(graph, w.rows)
    net, _ = _holding(analyze(graph).networks, "payer:ao-pay-0")
    return {m.key: m.role for m in net.members if m.kind == "payer"}, net.actors


def test_many_small_accounts_behind_a_big_hub_are_each_a_second_level_scalper(
        graph: Graph) -> None:
    roles, actors = _roles(graph, [30, 9, 8, 7, 6])
    assert roles == {"ao-pay-0": "first_level", **{f"ao-pay-{a}": "second_level"
                                                   for a in range(1, 5)}}
    seconds = [a for a in actors if a.role == "second_level"]
    assert sorted(i.key for a in seconds for i in a.identifiers) == [
        f"ao-pay-{a}" for a in range(1, 5)] and len(seconds) == 4
    (first,) = [a for a in actors if a.role == "first_level"]
    assert [i.key for i in first.identifiers] == ["ao-pay-0"]


def test_a_first_levels_accounts_of_similar_size_stay_one_hub(graph: Graph) -> None:
    roles, actors = _roles(graph, [20, 16, 12, 9, 8])
    assert set(roles.values()) == {"first_level"}
    assert [a.role for a in actors].count("first_level") == 1
    assert not [a for a in actors if a.role == "second_level"]
