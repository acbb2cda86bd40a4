"""Score stored networks against a simulator's ``truth.json`` (contracts §6).

* A *flagged* entity is a network member whose role is not ``none``.
* **precision** = flagged gang members / flagged; **recall** = flagged gang members / gang
  members (every entity the truth lists in a gang).
* **innocent false-positive rate** = flagged look-alikes / look-alikes (the truth's
  ``innocent`` list: Wi-Fi, NAT, kiosks, families, chronic patients, escorts, companies).
* **role accuracy** on gang core members (truth role other than ``patient``): the share
  whose reported role equals the truth's (not found counts as wrong).
* **gang recovery**: a gang is recovered when one reported network holds at least
  ``recovery_share`` of its members (default a majority); ``purity`` is the share of a
  network's flagged members that belong to its main gang.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import orjson

from scalpernet.errors import InputError
from scalpernet.results.models import Network


def load_truth(path: Path) -> dict[str, Any]:
    """Read a truth file; a missing or malformed one is an input error."""
    try:
        data = orjson.loads(Path(path).read_bytes())
    except FileNotFoundError as exc:
        raise InputError(f"no truth file at {path}") from exc
    except orjson.JSONDecodeError as exc:
        raise InputError(f"truth file {path} is not JSON: {exc}") from exc
    if not isinstance(data, dict) or "gangs" not in data:
        raise InputError(f"truth file {path} has no 'gangs'")
    return data


def _ratio(a: int, b: int) -> float:
    return round(a / b, 4) if b else 0.0


def evaluate(networks: Iterable[Network], truth: dict[str, Any], *,
             recovery_share: float = 0.5) -> dict[str, Any]:
    """The figures above, plus per-gang detail and a confusion of core roles."""
    role_of: dict[str, str] = {}
    network_of: dict[str, str] = {}
    for net in networks:
        for m in net.members:
            u = f"{m.kind}:{m.key}"
            network_of[u] = net.id
            role_of[u] = m.role
    flagged = {u for u, r in role_of.items() if r != "none"}
    gang_of: dict[str, str] = {}
    truth_role: dict[str, str] = {}
    members_of: dict[str, set[str]] = {}
    profile: dict[str, str] = {}
    behaviour: dict[str, dict[str, Any]] = {}
    for gang in truth.get("gangs", []):
        behaviour[gang["id"]] = gang.get("behaviour", {})
        uids = {f"{m['kind']}:{m['key']}" for m in gang["members"]}
        members_of[gang["id"]] = uids
        profile[gang["id"]] = gang.get("profile", "")
        for m in gang["members"]:
            u = f"{m['kind']}:{m['key']}"
            gang_of.setdefault(u, gang["id"])
            truth_role.setdefault(u, m["role"])
    positives = set(gang_of)
    innocent = {f"{i['kind']}:{i['key']}" for i in truth.get("innocent", [])}
    hit = flagged & positives
    core = [u for u in positives if truth_role[u] != "patient"]
    core_ok = sum(1 for u in core if role_of.get(u) == truth_role[u])
    confusion = Counter(f"{truth_role[u]}->{role_of.get(u, 'missed')}" for u in core)
    gangs = []
    recovered = 0
    for gid, uids in sorted(members_of.items()):
        in_net = Counter(network_of[u] for u in uids if u in flagged)
        best, count = in_net.most_common(1)[0] if in_net else (None, 0)
        share = count / len(uids) if uids else 0.0
        ok = share >= recovery_share
        recovered += ok
        gang_core = [u for u in uids if truth_role[u] != "patient"]
        gangs.append({"id": gid, "profile": profile[gid], "members": len(uids),
                      "found": sum(in_net.values()), "best_network": best,
                      "best_share": round(share, 4), "networks": len(in_net),
                      "recovered": ok, "core_members": len(gang_core),
                      "role_accuracy": _ratio(sum(1 for u in gang_core
                                                  if role_of.get(u) == truth_role[u]),
                                              len(gang_core)),
                      "behaviour": behaviour[gid]})
    purity = []
    for net in networks:
        labels = Counter(gang_of.get(f"{m.kind}:{m.key}", "-") for m in net.members
                         if m.role != "none")
        total = sum(labels.values())
        main = max((c for g, c in labels.items() if g != "-"), default=0)
        purity.append(main / total if total else 0.0)
    by_why = Counter(i.get("why", "") for i in truth.get("innocent", [])
                     if f"{i['kind']}:{i['key']}" in flagged)
    return {
        "networks": len(purity),
        "flagged": len(flagged),
        "gang_members": len(positives),
        "true_positives": len(hit),
        "precision": _ratio(len(hit), len(flagged)),
        "recall": _ratio(len(hit), len(positives)),
        "innocent": len(innocent),
        "innocent_flagged": len(flagged & innocent),
        "innocent_false_positive_rate": _ratio(len(flagged & innocent), len(innocent)),
        "innocent_flagged_by_why": dict(sorted(by_why.items())),
        "core_members": len(core),
        "role_accuracy": _ratio(core_ok, len(core)),
        "role_confusion": dict(sorted(confusion.items())),
        "gangs": len(gangs),
        "gangs_recovered": recovered,
        "gang_recovery": _ratio(recovered, len(gangs)),
        "mean_network_purity": round(sum(purity) / len(purity), 4) if purity else 0.0,
        "per_gang": gangs,
        "actors": evaluate_actors(networks, truth),
    }


def evaluate_actors(networks: Iterable[Network], truth: dict[str, Any]) -> dict[str, Any]:
    """Reported actors against the truth's people (each gang member names its ``actor``).

    A reported actor stands for the truth person most of its identifiers belong to. Per gang
    and tier: how many people the truth has and how many actors stand for them; second-level
    scalpers matched one-to-one (exactly one second-level actor stands for the person, and
    stands for nobody else); tier accuracy per person (the actor standing for a core person
    has its role; a person nobody stands for counts as wrong), and the same over the core
    people found; and patient actors holding an identifier of a scalper (merged with one).
    """
    person_of: dict[str, str] = {}
    role_of: dict[str, str] = {}
    gang_of: dict[str, str] = {}
    people: dict[str, dict[str, str]] = {}
    for gang in truth.get("gangs", []):
        for a in gang.get("actors", []):
            people[a["id"]] = {"role": a["role"], "gang": gang["id"]}
        for m in gang["members"]:
            if "actor" in m:
                u = f"{m['kind']}:{m['key']}"
                person_of.setdefault(u, m["actor"])
                role_of.setdefault(u, m["role"])
                gang_of.setdefault(m["actor"], gang["id"])
    if not people:
        return {}
    stands: dict[str, list[str]] = {}  # truth person -> roles of the actors standing for it
    merged = 0
    reported = Counter()
    for net in networks:
        for actor in net.actors:
            votes = Counter(person_of[u] for r in actor.identifiers
                            if (u := f"{r.kind}:{r.key}") in person_of)
            if not votes:
                continue
            who = votes.most_common(1)[0][0]
            stands.setdefault(who, []).append(actor.role)
            reported[(people[who]["gang"], actor.role)] += 1
            if actor.role == "patient" and any(
                    role_of.get(f"{r.kind}:{r.key}", "patient") != "patient" and not r.shared
                    for r in actor.identifiers):
                merged += 1
    gangs = []
    core_ok = core = core_found = 0
    one_to_one = seconds = 0
    for gid in sorted({p["gang"] for p in people.values()}):
        mine = {pid: p for pid, p in people.items() if p["gang"] == gid}
        row: dict[str, Any] = {"id": gid}
        for tier in ("technician", "first_level", "second_level", "patient"):
            row[tier] = {"truth": sum(1 for p in mine.values() if p["role"] == tier),
                         "reported": reported[(gid, tier)]}
        for pid, p in mine.items():
            if p["role"] == "patient":
                continue
            core += 1
            roles = stands.get(pid, [])
            core_found += bool(roles)
            core_ok += bool(roles) and roles[0] == p["role"] and len(set(roles)) == 1
            if p["role"] == "second_level":
                seconds += 1
                one_to_one += roles == ["second_level"]
        gangs.append(row)
    return {
        "people": len(people),
        "people_found": len(stands),
        "core_people": core,
        "tier_accuracy": _ratio(core_ok, core),
        # the same over the core people some actor stands for: how right the tiers shown are
        "core_people_found": core_found,
        "tier_accuracy_found": _ratio(core_ok, core_found),
        "second_level_one_to_one": _ratio(one_to_one, seconds),
        "patients_merged_with_scalpers": merged,
        "per_gang": gangs,
    }


def format_report(report: dict[str, Any]) -> str:
    """The evaluation as a few readable lines."""
    lines = [
        f"networks            {report['networks']}",
        f"precision           {report['precision']:.4f}  "
        f"({report['true_positives']} of {report['flagged']} flagged are gang members)",
        f"recall              {report['recall']:.4f}  "
        f"({report['true_positives']} of {report['gang_members']} gang members)",
        f"innocent FP rate    {report['innocent_false_positive_rate']:.4f}  "
        f"({report['innocent_flagged']} of {report['innocent']} look-alikes flagged)",
        f"role accuracy       {report['role_accuracy']:.4f}  "
        f"(on {report['core_members']} gang core members)",
        f"gang recovery       {report['gangs_recovered']} of {report['gangs']} gangs "
        f"mostly in one network (mean purity {report['mean_network_purity']:.4f})",
    ]
    for g in report["per_gang"]:
        lines.append(f"  {g['id']:<5} {g['profile']:<10} {g['members']:>6} members, "
                     f"{g['found']:>6} found, best network holds {g['best_share']:.1%} "
                     f"({g['networks']} networks), tiers {g['role_accuracy']:.3f} "
                     f"on {g['core_members']} core")
    actors = report.get("actors")
    if actors:
        lines.append(f"actors              tier accuracy {actors['tier_accuracy']:.4f} on "
                     f"{actors['core_people']} core people "
                     f"({actors['tier_accuracy_found']:.4f} on the "
                     f"{actors['core_people_found']} found), second level one-to-one "
                     f"{actors['second_level_one_to_one']:.4f}, "
                     f"{actors['patients_merged_with_scalpers']} patient actors merged with "
                     "a scalper")
        for g in actors["per_gang"]:
            lines.append(f"  {g['id']:<5} people (truth/reported): " + ", ".join(
                f"{t} {g[t]['truth']}/{g[t]['reported']}"
                for t in ("technician", "first_level", "second_level", "patient")))
    if report["role_confusion"]:
        wrong = {k: v for k, v in report["role_confusion"].items()
                 if k.split("->")[0] != k.split("->")[1]}
        if wrong:
            lines.append("  core roles confused: " + ", ".join(
                f"{k} {v}" for k, v in wrong.items()))
    return "\n".join(lines)


def to_json(report: dict[str, Any]) -> str:
    return orjson.dumps(report, option=orjson.OPT_INDENT_2).decode()


def nmi(a: list[int], b: list[int]) -> float:
    """Normalised mutual information of two partitions (arithmetic-mean normalisation)."""
    import numpy as np

    if len(a) != len(b):
        raise ValueError("partitions of different sizes")
    if not a:
        return 1.0
    _, x = np.unique(np.asarray(a), return_inverse=True)
    _, y = np.unique(np.asarray(b), return_inverse=True)
    n = float(len(a))
    joint = np.zeros((x.max() + 1, y.max() + 1))
    np.add.at(joint, (x.reshape(-1), y.reshape(-1)), 1.0)
    pxy = joint / n
    px, py = pxy.sum(axis=1), pxy.sum(axis=0)
    nz = pxy > 0
    mi = float((pxy[nz] * np.log(pxy[nz] / np.outer(px, py)[nz])).sum())
    hx = -float((px[px > 0] * np.log(px[px > 0])).sum())
    hy = -float((py[py > 0] * np.log(py[py > 0])).sum())
    if hx + hy == 0:
        return 1.0
    return max(0.0, min(1.0, 2 * mi / (hx + hy)))
