"""The evaluation figures on a tiny made-up result and truth (no database needed)."""

from __future__ import annotations

from scalpernet.detect.evaluate import evaluate, format_report
from scalpernet.results.models import Actor, ActorIdentifier, Member, Network


def _net(net_id: str, members: list[tuple[str, str, str]]) -> Network:
    return Network(id=net_id, risk=0.9, size=len(members),
                   members=[Member(kind=k, key=key, role=r, score=0.9)  # type: ignore[arg-type]
                            for k, key, r in members])


TRUTH = {
    "gangs": [
        {"id": "g1", "members": [
            {"kind": "ip", "key": "1.1.1.1", "role": "technician"},
            {"kind": "payer", "key": "p1", "role": "first_level"},
            {"kind": "id_card", "key": "A", "role": "patient"},
            {"kind": "id_card", "key": "B", "role": "patient"}]},
        {"id": "g2", "members": [
            {"kind": "ip", "key": "2.2.2.2", "role": "technician"},
            {"kind": "id_card", "key": "C", "role": "patient"}]},
    ],
    "innocent": [{"kind": "ip", "key": "9.9.9.9", "why": "hospital wifi"},
                 {"kind": "payer", "key": "fam", "why": "family payer"}],
}


def test_precision_recall_roles_and_recovery() -> None:
    nets = [
        _net("n1", [("ip", "1.1.1.1", "technician"), ("payer", "p1", "second_level"),
                    ("id_card", "A", "patient"), ("ip", "9.9.9.9", "technician"),
                    ("payer", "fam", "none")]),
        _net("n2", [("ip", "2.2.2.2", "technician")]),
    ]
    r = evaluate(nets, TRUTH)
    assert r["flagged"] == 5 and r["true_positives"] == 4
    assert r["precision"] == 0.8 and r["recall"] == round(4 / 6, 4)
    assert r["innocent_flagged"] == 1 and r["innocent_false_positive_rate"] == 0.5
    assert r["innocent_flagged_by_why"] == {"hospital wifi": 1}
    # core: 1.1.1.1 right, p1 wrong (second_level), 2.2.2.2 right
    assert r["core_members"] == 3 and r["role_accuracy"] == round(2 / 3, 4)
    assert r["role_confusion"]["first_level->second_level"] == 1
    # g1: 3 of 4 in n1 (recovered); g2: 1 of 2 in n2 (exactly half: recovered)
    assert r["gangs_recovered"] == 2
    assert "precision           0.8000" in format_report(r)


def test_nothing_found_scores_zero_not_an_error() -> None:
    r = evaluate([], TRUTH)
    assert r["precision"] == 0.0 and r["recall"] == 0.0 and r["gangs_recovered"] == 0


def test_actors_scored_against_the_truths_people() -> None:
    def who(kind: str, key: str, role: str, actor: str) -> dict[str, str]:
        return {"kind": kind, "key": key, "role": role, "actor": actor}

    truth = {"gangs": [{"id": "g1", "actors": [
        {"id": "t", "role": "technician"}, {"id": "f", "role": "first_level"},
        {"id": "s1", "role": "second_level"}, {"id": "s2", "role": "second_level"},
        {"id": "c1", "role": "patient"}, {"id": "c2", "role": "patient"}], "members": [
        who("ip", "1.1.1.1", "technician", "t"), who("device", "d", "technician", "t"),
        who("payer", "p", "first_level", "f"), who("escort_agent", "a1", "second_level", "s1"),
        who("phone", "111", "second_level", "s1"), who("escort_agent", "a2", "second_level",
                                                       "s2"),
        who("id_card", "A", "patient", "c1"), who("id_card", "B", "patient", "c2")]}]}
    net = _net("n1", [])
    net.actors = [
        Actor(id="x1", role="technician", score=0.9, identifiers=[
            ActorIdentifier(kind="ip", key="1.1.1.1"), ActorIdentifier(kind="device", key="d")]),
        Actor(id="x2", role="first_level", score=0.9,
              identifiers=[ActorIdentifier(kind="payer", key="p")]),
        Actor(id="x3", role="second_level", score=0.9,
              identifiers=[ActorIdentifier(kind="escort_agent", key="a1")]),
        # agent a2 merged into a customer: s2 is nobody's second level, and c2 holds a scalper
        Actor(id="x4", role="patient", score=0.9, identifiers=[
            ActorIdentifier(kind="id_card", key="B"),
            ActorIdentifier(kind="escort_agent", key="a2")]),
        Actor(id="x5", role="patient", score=0.9, identifiers=[
            ActorIdentifier(kind="id_card", key="A"),
            ActorIdentifier(kind="phone", key="111", shared=True)]),
    ]
    r = evaluate([net], truth)["actors"]
    assert r["people"] == 6 and r["core_people"] == 4
    assert r["tier_accuracy"] == 0.75 and r["second_level_one_to_one"] == 0.5
    # s2 is stood for by nobody: the tiers shown are right for the three people found
    assert r["core_people_found"] == 3 and r["tier_accuracy_found"] == 1.0
    assert r["patients_merged_with_scalpers"] == 1  # the shared phone does not count
    g = r["per_gang"][0]
    assert g["technician"] == {"truth": 1, "reported": 1}
    assert g["second_level"] == {"truth": 2, "reported": 1}
    assert g["patient"] == {"truth": 2, "reported": 2}
