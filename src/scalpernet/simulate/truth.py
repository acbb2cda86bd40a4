"""``truth.json``: who is in which gang with which role, and the innocent look-alikes.

Shape (contracts §6), with extra fields the contract allows::

    {"world": {...},
     "gangs": [{"id": "g1", "profile": "bot", "humanised": false, "size": 312, ...,
                "behaviour": {"tool_timing": "machine", "origin": "servers", ...},
                "actors": [{"id": "g1-a1", "role": "technician", "as": "technician",
                            "identifiers": 14}, ...],
                "members": [{"kind": "ip", "key": "47.92.3.18", "role": "technician",
                             "as": "bot server ip", "actor": "g1-a1"}, ...]}],
     "innocent": [{"kind": "ip", "key": "117.136.0.9", "why": "carrier NAT"}, ...]}

Keys are the contract entity keys (§2); only entities that appear in the written records
are listed (none of a column the export leaves out). Every member names its *actor*, the
person behind the identifier.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson

from scalpernet.simulate.gangs import (
    ACTOR_BITS,
    AGENT,
    CUSTOMER,
    FIRST_LEVEL,
    NOTES,
    PLACEHOLDER,
    TECHNICIAN,
    Gang,
)

ROLE_ORDER = {"technician": 0, "first_level": 1, "second_level": 2, "patient": 3}
#: Entity kinds that come from one optional column: absent from truth when it is dropped.
KIND_COLUMN = {"ip": "ip", "device": "device_id", "account": "account_id",
               "payer": "payer_account", "escort_agent": "escort_agent_id"}


def actor_role(actor: int) -> str:
    """The role of a gang's actor number (see :mod:`~scalpernet.simulate.gangs`)."""
    if actor == TECHNICIAN:
        return "technician"
    if actor == FIRST_LEVEL:
        return "first_level"
    return "second_level" if AGENT <= actor < PLACEHOLDER else "patient"


class Truth:
    """Gathers the hospitals' truth notes, in hospital order, and writes ``truth.json``.

    Members are kept grouped by gang and turned into JSON one gang at a time, so the parent
    process holds each member once, never the whole document.
    """

    def __init__(self, gangs: list[Gang], columns: tuple[str, ...] | None = None) -> None:
        self.gangs = gangs
        self.members: dict[str, dict[str, dict[str, int]]] = {
            g.id: {} for g in gangs}  # gang id -> kind -> key -> note (gangs.NOTES)
        self.innocent: dict[tuple[str, str], str] = {}
        self.bookings: Counter = Counter()
        kept = set(columns) if columns is not None else set(KIND_COLUMN.values())
        self._hidden = {kind for kind, column in KIND_COLUMN.items() if column not in kept}

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
            if k[0] not in self._hidden:
                self.innocent.setdefault(k, why)
        self.bookings.update(bookings)

    def size(self, gang_id: str) -> int:
        return sum(len(keys) for keys in self.members[gang_id].values())

    def gang_entry(self, g: Gang) -> dict:
        """One gang's behaviour, actors and members (sorted by role, kind and key).

        Actors are numbered ``<gang>-a1``, ``-a2``, ... in a fixed order (technician, first
        level, second-level scalpers, placeholder identities, customers), counting only
        actors with an identifier in the files.
        """
        listed = sorted(((ROLE_ORDER[NOTES[note >> 40][0]], kind, key, note)
                         for kind, keys in self.members[g.id].items()
                         for key, note in keys.items()))
        counts = Counter(note & ACTOR_BITS for *_, note in listed)
        agents_written = {note & ACTOR_BITS for _, kind, _, note in listed
                          if kind == "escort_agent"}
        names = {actor: f"{g.id}-a{k}" for k, actor in enumerate(sorted(counts), 1)}
        how = g.how
        latency = {"machine": [how.machine_ms[0] / 1000, how.machine_ms[1] / 1000],
                   "human": [round(x, 2) for x in how.human_delay_s]}.get(
            how.tool_timing, [how.machine_ms[0] / 1000, round(how.human_delay_s[1], 2)])
        return {
            "id": g.id,
            "profile": g.profile,
            "humanised": g.humanised,
            "latency_s": latency,
            "size": len(listed),
            "bookings": self.bookings.get(g.id, 0),
            "hospitals": sorted({h for h, _ in g.targets}),
            "uses_proxies": how.origin in ("proxies", "residential"),
            "first_level_as_agent": g.first_agent is not None,
            "placeholder_share": round(how.placeholder_share, 3),
            "stealth": how.stealth,
            "behaviour": how.profile(),
            "actors": [{"id": names[actor], "role": actor_role(actor),
                        "as": _actor_as(actor, actor in agents_written),
                        "identifiers": counts[actor]} for actor in sorted(counts)],
            "members": [{"kind": kind, "key": key, "role": NOTES[note >> 40][0],
                         "as": NOTES[note >> 40][1], "actor": names[note & ACTOR_BITS]}
                        for _, kind, key, note in listed],
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


def _actor_as(actor: int, written_as_agent: bool) -> str:
    """What an actor is, in words."""
    if actor == TECHNICIAN:
        return "technician"
    if actor == FIRST_LEVEL:
        return "big scalper posing as escort agent" if written_as_agent else "big scalper"
    if actor < PLACEHOLDER:
        return "escort agent" if written_as_agent else "second-level scalper"
    return "customer" if actor >= CUSTOMER else "placeholder identity"


def _dumps(value: object, indent: int) -> bytes:
    """``value`` as indented JSON, nested ``indent`` spaces deep (JSON strings hold no raw
    line breaks, so every line break is the indentation's)."""
    return orjson.dumps(value, option=orjson.OPT_INDENT_2).replace(b"\n",
                                                                   b"\n" + b" " * indent)
