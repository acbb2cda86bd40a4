"""``truth.json``: who is in which gang with which role, and the innocent look-alikes.

Shape (contracts §6), with extra fields the contract allows::

    {"world": {...},
     "gangs": [{"id": "g1", "profile": "bot", "humanised": false, "size": 312, ...,
                "members": [{"kind": "ip", "key": "47.92.3.18", "role": "technician",
                             "as": "bot server ip"}, ...]}],
     "innocent": [{"kind": "ip", "key": "117.136.0.9", "why": "carrier NAT"}, ...]}

Keys are the contract entity keys (§2); only entities that appear in the written records
are listed.
"""

from __future__ import annotations

from pathlib import Path

import orjson

from scalpernet.simulate.gangs import Gang

ROLE_ORDER = {"technician": 0, "first_level": 1, "second_level": 2, "patient": 3}


def gang_entries(gangs: list[Gang], members: dict, bookings: dict[str, int]) -> list[dict]:
    """Per gang: its profile and its members, sorted by role, kind and key."""
    by_gang: dict[str, list[dict]] = {g.id: [] for g in gangs}
    for (gang_id, kind, key), (role, part) in members.items():
        by_gang[gang_id].append({"kind": kind, "key": key, "role": role, "as": part})
    out = []
    for g in gangs:
        listed = sorted(by_gang[g.id], key=lambda m: (ROLE_ORDER[m["role"]], m["kind"], m["key"]))
        out.append({
            "id": g.id,
            "profile": g.profile,
            "humanised": g.humanised,
            "latency_s": [1.0, 5.0] if g.humanised else [0.012, 0.095],
            "size": len(listed),
            "bookings": bookings.get(g.id, 0),
            "hospitals": sorted({h for h, _ in g.targets}),
            "uses_proxies": g.uses_proxies,
            "first_level_as_agent": g.first_agent is not None,
            "placeholder_share": round(g.placeholder_share, 3),
            "members": listed,
        })
    return out


def innocent_entries(innocent: dict) -> list[dict]:
    return [{"kind": kind, "key": key, "why": why}
            for (kind, key), why in sorted(innocent.items(), key=lambda i: (i[1], i[0]))]


def write_truth(path: Path, world: dict, gangs: list[dict], innocent: list[dict]) -> None:
    data = {"world": world, "gangs": gangs, "innocent": innocent}
    path.write_bytes(orjson.dumps(data, option=orjson.OPT_INDENT_2) + b"\n")
