"""The evaluation figures on a tiny made-up result and truth (no database needed)."""

from __future__ import annotations

from scalpernet.detect.evaluate import evaluate, format_report
from scalpernet.results.models import Member, Network


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
