"""The hierarchy of each ring as links the views can draw: technician → first level →
second level → patients, each member hung on its strongest link to the nearest higher tier.

Every member but its ring's root gets exactly one parent, so each ring's links form a tree:

* ``hierarchy``: to the neighbour of the nearest higher tier sharing the most evidence;
* ``same_tier``: a member with no higher-tier neighbour hangs on its tier's lead (the
  member of that tier with the largest weighted degree); a tier lead without one hangs on
  the lead of the nearest higher tier present;
* ``pulled_in``: a ``none`` member hangs on its strongest neighbour with a role.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scalpernet.detect.tiers import TIER_ORDER

NONE_RANK = TIER_ORDER.index("none")


@dataclass(frozen=True)
class TreeLink:
    parent: int
    child: int
    type: str
    weight: float
    bookings: int


def ring_trees(edges: np.ndarray, weight: np.ndarray, bookings: np.ndarray, ring: np.ndarray,
               rank: np.ndarray, name_order: np.ndarray, strength: np.ndarray,
               ) -> dict[int, list[TreeLink]]:
    """Links per ring over analysis-graph vertices.

    ``ring``: vertex → ring (-1: not reported); ``rank``: vertex → index in TIER_ORDER;
    ``name_order``: vertex → position of its uid in sorted order (the tie-breaker).
    """
    parent = np.full(ring.shape, -1, dtype=np.int64)
    p_weight = np.zeros(ring.shape)
    p_book = np.zeros(ring.shape, dtype=np.int64)
    if edges.size:
        c = np.concatenate([edges[:, 0], edges[:, 1]])
        u = np.concatenate([edges[:, 1], edges[:, 0]])
        w = np.concatenate([weight, weight])
        b = np.concatenate([bookings, bookings])
        none_child = rank[c] == NONE_RANK
        ok = (ring[c] >= 0) & (ring[c] == ring[u]) & np.where(
            none_child, rank[u] != NONE_RANK, rank[u] < rank[c])
        c, u, w, b = c[ok], u[ok], w[ok], b[ok]
        diff = np.where(rank[c] == NONE_RANK, 0, rank[c] - rank[u])
        order = np.lexsort((name_order[u], -w, diff, c))
        c, u, w, b = c[order], u[order], w[order], b[order]
        first = np.r_[True, c[1:] != c[:-1]] if c.size else np.zeros(0, dtype=bool)
        parent[c[first]], p_weight[c[first]], p_book[c[first]] = u[first], w[first], b[first]
    out: dict[int, list[TreeLink]] = {}
    members = np.flatnonzero(ring >= 0)
    by_ring: dict[int, list[int]] = {}
    for v in members[np.lexsort((name_order[members], -strength[members], rank[members]))]:
        by_ring.setdefault(int(ring[v]), []).append(int(v))
    for k, verts in by_ring.items():
        root = verts[0]
        leads: dict[int, int] = {}
        for v in verts:
            leads.setdefault(int(rank[v]), v)
        present = sorted(r for r in leads if r != NONE_RANK)
        links: list[TreeLink] = []
        for v in verts[1:]:
            if parent[v] >= 0:
                kind = "pulled_in" if rank[v] == NONE_RANK else "hierarchy"
                links.append(TreeLink(int(parent[v]), v, kind, float(p_weight[v]),
                                      int(p_book[v])))
                continue
            lead = leads[int(rank[v])]
            if lead != v:
                links.append(TreeLink(lead, v, "same_tier", 0.0, 0))
                continue
            higher = [r for r in present if r < rank[v]]
            links.append(TreeLink(leads[higher[-1]] if higher else root, v, "same_tier", 0.0, 0))
        out[k] = links
    return out
