"""The one tree of tiers: a ring's actors, and its members hung on them.

The actor tree (:mod:`scalpernet.detect.actors`) is technician → first level → second levels
→ patients. The member links the views draw are the same tree at the grain of identifiers:
each identifier hangs on its actor's anchor (``same_person``); each actor's anchor hangs on the
anchor of the actor above, the link typed by what the upper one did (``booked_for`` from the
technician, ``paid_for`` or ``contact_for`` from the first level, ``brought`` from a second
level) and carrying the bookings between them; a ``none`` member hangs on the member with a
role it shares most bookings with (``pulled_in``). Every member but the root has one parent.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scalpernet.detect.actors import ActorDraft

_FROM = {"technician": "booked_for", "second_level": "brought"}


@dataclass(frozen=True)
class TreeLink:
    parent: int  # dense entity index
    child: int
    type: str
    weight: float
    bookings: int


def member_tree(actors: list[ActorDraft], members: np.ndarray, roles: dict[int, str],
                ring_bookings: np.ndarray, neighbours: dict[int, list[tuple[float, int, int]]],
                ) -> list[TreeLink]:
    """Links over a ring's members (dense indices) from its actors.

    ``neighbours``: for each ``none`` member, its analysis-graph neighbours in the ring as
    (weight, bookings, member).
    """
    links: list[TreeLink] = []
    placed: set[int] = set()
    root = actors[0].anchor if actors else (int(members[0]) if len(members) else -1)
    placed.add(root)
    for a in actors:
        if a.parent >= 0:
            up = actors[a.parent]
            kind = _FROM.get(up.role) or ("paid_for" if a.link.get("payments", 0)
                                          >= a.link.get("bookings", 0) / 2 else "contact_for")
            links.append(TreeLink(up.anchor, a.anchor, kind, float(a.link.get("payments", 0)),
                                  int(a.link.get("bookings", 0))))
        elif a.anchor != root:
            links.append(TreeLink(root, a.anchor, "same_tier", 0.0, 0))
        placed.add(a.anchor)
        for m in a.members[1:]:
            if m not in placed:
                placed.add(m)
                links.append(TreeLink(a.anchor, m, "same_person", 0.0,
                                      int(ring_bookings[m])))
    for m in (int(x) for x in members):
        if m in placed:
            continue
        placed.add(m)
        ranked = sorted((-w, -b, v) for w, b, v in neighbours.get(m, [])
                        if roles.get(v, "none") != "none")
        if ranked:
            w, b, v = ranked[0]
            links.append(TreeLink(v, m, "pulled_in", -w, -b))
        else:
            links.append(TreeLink(root, m, "pulled_in", 0.0, int(ring_bookings[m])))
    return links
