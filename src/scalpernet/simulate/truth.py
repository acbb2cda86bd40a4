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

from collections import Counter
from pathlib import Path

import orjson

from scalpernet.simulate.gangs import Gang

ROLE_ORDER = {"technician": 0, "first_level": 1, "second_level": 2, "patient": 3}


class Truth:
    """Gathers the hospitals' truth notes, in hospital order, and writes ``truth.json``.

    Members are kept grouped by gang and turned into JSON one gang at a time, so the parent
    process holds each member once, never the whole document.
    """

    def __init__(self, gangs: list[Gang]) -> None:
        self.gangs = gangs
        self.members: dict[str, dict[str, dict[str, tuple[str, str]]]] = {
            g.id: {} for g in gangs}  # gang id -> kind -> key -> (role, as)
        self.innocent: dict[tuple[str, str], str] = {}
        self.bookings: Counter = Counter()

    def add(self, members: dict, innocent: dict, bookings: dict[str, int]) -> None:
        """One hospital's notes; what an earlier hospital noted first stays."""
        for gang_id, kinds in members.items():
            known = self.members[gang_id]
            for kind, keys in kinds.items():
                mine = known.get(kind)
                if mine is None:
                    known[kind] = keys
                    continue
                for key, note in keys.items():
                    mine.setdefault(key, note)
        for k, why in innocent.items():
            self.innocent.setdefault(k, why)
        self.bookings.update(bookings)

    def size(self, gang_id: str) -> int:
        return sum(len(keys) for keys in self.members[gang_id].values())

    def gang_entry(self, g: Gang) -> dict:
        """One gang's profile and members, sorted by role, kind and key."""
        listed = sorted(((ROLE_ORDER[role], kind, key, role, part)
                         for kind, keys in self.members[g.id].items()
                         for key, (role, part) in keys.items()))
        return {
            "id": g.id,
            "profile": g.profile,
            "humanised": g.humanised,
            "latency_s": [1.0, 5.0] if g.humanised else [0.012, 0.095],
            "size": len(listed),
            "bookings": self.bookings.get(g.id, 0),
            "hospitals": sorted({h for h, _ in g.targets}),
            "uses_proxies": g.uses_proxies,
            "first_level_as_agent": g.first_agent is not None,
            "placeholder_share": round(g.placeholder_share, 3),
            "members": [{"kind": kind, "key": key, "role": role, "as": part}
                        for _, kind, key, role, part in listed],
        }

    def innocent_entries(self) -> list[dict]:
        return [{"kind": kind, "key": key, "why": why} for (kind, key), why in
                sorted(self.innocent.items(), key=lambda i: (i[1], i[0]))]

    def write(self, path: Path, world: dict) -> None:
        """``{"world": ..., "gangs": [...], "innocent": [...]}``, indented by two spaces."""
        with path.open("wb") as fh:
            fh.write(b'{\n  "world": ' + _dumps(world, 2) + b',\n  "gangs": [')
            for k, g in enumerate(self.gangs):
                fh.write((b",\n    " if k else b"\n    ") + _dumps(self.gang_entry(g), 4))
            fh.write(b"\n  ],\n  \"innocent\": " + _dumps(self.innocent_entries(), 2)
                     + b"\n}\n")


def _dumps(value: object, indent: int) -> bytes:
    """``value`` as indented JSON, nested ``indent`` spaces deep (JSON strings hold no raw
    line breaks, so every line break is the indentation's)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).replace(b"\n",
                                                                   b"\n" + b" " * indent)
