"""Rings: the analysis graph of suspicious bookings, and the communities found in it.

The analysis graph links the entities of every *ring booking* (a booking made through a
triggered channel: see :mod:`scalpernet.detect.signals`) to each other, each link weighted by
the evidence of the bookings that share it. Damp identifiers (Wi-Fi, NAT, kiosks, allow-list)
never link.

The community step: connected components; a large component is split with Leiden (Traag,
Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing well-connected communities",
Sci. Rep. 9:5233) run on that component alone, which sidesteps modularity's resolution
limit on the whole graph. Then one domain rule: a community whose bookings mostly went
through another community's channels (its tool, payment hub, agents) is the same ring, so
it is merged back (an agent's customers are a community of their own to Leiden, but not a
ring of their own); two gangs joined by a shared proxy or customer stay apart. Every
community is checked for connectivity.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import igraph as ig
import numpy as np

from scalpernet.detect.arrays import combine, sorted_unique
from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import SLOTS, Projection
from scalpernet.detect.signals import CHANNEL_SLOTS, EntitySignals, Incidence, RegistrationSignals

_CHANNEL_CODES = np.asarray([SLOTS.index(s) for s in CHANNEL_SLOTS], dtype=np.int8)


@dataclass
class AnalysisGraph:
    """The weighted graph of ring bookings; vertex ``v`` is entity ``nodes[v]`` (dense index)."""

    graph: ig.Graph
    nodes: np.ndarray  # vertex -> dense entity index
    ring_bookings: np.ndarray  # registration rows linked through a triggered channel
    pair_registration: np.ndarray  # incidence pairs (into Incidence arrays) on ring bookings
    links: BookingLinks | None = None  # which vertices each ring booking touches

    def vertex_of(self) -> dict[int, int]:
        return {int(e): v for v, e in enumerate(self.nodes)}


@dataclass
class BookingLinks:
    """The vertices each ring booking touches: its patient (owner) and its channels."""

    booking: np.ndarray  # pair -> booking number (0..bookings-1)
    vertex: np.ndarray  # pair -> vertex
    owner: np.ndarray  # pair -> True where the vertex is the booking's patient
    channel: np.ndarray  # pair -> True where the vertex booked, paid or brokered it


def ring_bookings(proj: Projection, inc: Incidence, sig: EntitySignals) -> np.ndarray:
    """Rows of bookings made through at least one triggered channel."""
    on_channel = np.isin(inc.slot, _CHANNEL_CODES)
    hit = on_channel & sig.trigger[inc.entity]
    mark = np.zeros(proj.size, dtype=bool)
    mark[inc.registration[hit]] = True
    return np.flatnonzero(mark)


def booking_weight(reg: RegistrationSignals) -> np.ndarray:
    """Evidence weight of each booking: 1, plus 1 at machine speed, plus 1 in a wash pair."""
    return 1.0 + reg.machine.astype(np.float64) + reg.wash.astype(np.float64)


def build_analysis_graph(proj: Projection, reg: RegistrationSignals, inc: Incidence,
                         sig: EntitySignals, rows: np.ndarray | None = None) -> AnalysisGraph:
    """Link the non-damp entities of every ring booking pairwise, weights summed.

    ``rows`` overrides which bookings are linked (the benchmark links all of them).
    """
    if rows is None:
        rows = ring_bookings(proj, inc, sig)
    in_ring = np.zeros(proj.size, dtype=bool)
    in_ring[rows] = True
    pair_idx = np.flatnonzero(in_ring[inc.registration] & ~sig.damp[inc.entity])
    ent = inc.entity[pair_idx]
    regs = inc.registration[pair_idx]
    nodes = sorted_unique(ent)
    vertex = np.searchsorted(nodes, ent)
    # group the pairs by booking: a clique of the (at most nine) entities of each booking
    order = np.lexsort((vertex, regs))
    regs_s, vert_s = regs[order], vertex[order]
    starts = np.flatnonzero(np.r_[True, regs_s[1:] != regs_s[:-1]])
    sizes = np.diff(np.r_[starts, regs_s.size])
    weight = booking_weight(reg)
    src, dst, wts = [], [], []
    for a in range(int(sizes.max()) if sizes.size else 0):
        for b in range(a + 1, int(sizes.max())):
            ok = sizes > b
            s = starts[ok]
            src.append(vert_s[s + a])
            dst.append(vert_s[s + b])
            wts.append(weight[regs_s[s]])
    g = ig.Graph(n=int(nodes.size), directed=False)
    if src:
        u = np.concatenate(src).astype(np.int64)
        v = np.concatenate(dst).astype(np.int64)
        w = np.concatenate(wts)
        key = np.minimum(u, v) * max(int(nodes.size), 1) + np.maximum(u, v)
        uniq, inv = np.unique(key, return_inverse=True)
        inv = inv.reshape(-1)
        n = max(int(nodes.size), 1)
        g.add_edges(np.stack([uniq // n, uniq % n], axis=1).tolist())
        g.es["weight"] = np.bincount(inv, weights=w).tolist()
        g.es["bookings"] = np.bincount(inv).tolist()
    slots = inc.slot[pair_idx]
    links = BookingLinks(booking=np.searchsorted(rows, regs), vertex=vertex,
                         owner=slots == SLOTS.index("patient"),
                         channel=np.isin(slots, _CHANNEL_CODES))
    return AnalysisGraph(graph=g, nodes=nodes, ring_bookings=rows, pair_registration=pair_idx,
                         links=links)


def leiden(graph: ig.Graph, params: DetectParams) -> list[int]:
    """Leiden with the objective and resolution given explicitly and a fixed seed."""
    rng = random.Random(params.leiden_seed)
    ig.set_random_number_generator(rng)
    try:
        part = graph.community_leiden(
            objective_function=params.leiden_objective,
            weights="weight" if graph.ecount() else None,
            resolution=params.leiden_resolution, n_iterations=-1)
    finally:
        ig.set_random_number_generator(random)
    return list(part.membership)


def _served_by(labels: np.ndarray, links: BookingLinks, home: np.ndarray,
               ) -> dict[int, tuple[float, int]]:
    """For each community, its strongest server and the share of bookings behind it."""
    k = int(labels.max()) + 1
    ch = links.channel & (home[links.booking] >= 0)
    b = links.booking[ch]
    c, d = home[b], labels[links.vertex[ch]]
    own = np.bincount(home[home >= 0], minlength=k)
    # each booking counted once per community whose channels it touched
    _, first = np.unique(combine(b, c, d), return_index=True)
    cc, dc = c[first], d[first]
    through = np.bincount(dc, minlength=k)
    candidates: list[tuple[int, int, float]] = []
    cross = cc != dc
    # a community with bookings: served by D when its bookings touched D's channels
    pair, counts = np.unique(cc[cross] * k + dc[cross], return_counts=True)
    for p, n in zip(pair.tolist(), counts.tolist(), strict=True):
        client, server = divmod(p, k)
        if own[client] > 0:
            candidates.append((client, server, n / own[client]))
    # a community of bare channels: served by the community its bookings belong to
    bare = own[dc] == 0
    pair, counts = np.unique(dc[bare] * k + cc[bare], return_counts=True)
    for p, n in zip(pair.tolist(), counts.tolist(), strict=True):
        client, server = divmod(p, k)
        if client != server:
            candidates.append((client, server, n / max(int(through[client]), 1)))
    best: dict[int, tuple[float, int]] = {}
    for client, server, share in candidates:
        if client not in best or (share, -server) > (best[client][0], -best[client][1]):
            best[client] = (share, server)
    return best


def _union(k: int, pairs: list[tuple[int, int]]) -> np.ndarray:
    """Union-find over ``k`` labels: each label's root (the smallest label of its set)."""
    parent = list(range(k))

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, b in pairs:
        ra, rb = find(a), find(b)
        if ra != rb:
            parent[max(ra, rb)] = min(ra, rb)
    return np.asarray([find(x) for x in range(k)], dtype=np.int64)


def merge_served(labels: np.ndarray, links: BookingLinks, share: float) -> np.ndarray:
    """Merge every community whose bookings mostly used another community's channels.

    A booking belongs to its patient's community; community C is *served* by D when at
    least ``share`` of C's bookings touched a channel (IP, device, account, payer, agent,
    phone) lying in D. A community without bookings of its own (tool servers alone) is
    served by the community most of the bookings through it belong to. Served communities
    are merged into their server, all at once, until none is left.
    """
    labels = labels.copy()
    if links.booking.size == 0 or labels.size == 0:
        return labels
    home = np.full(int(links.booking.max()) + 1, -1, dtype=np.int64)
    while True:
        home[links.booking[links.owner]] = labels[links.vertex[links.owner]]
        best = {c: sv for c, (sh, sv) in _served_by(labels, links, home).items() if sh >= share}
        if not best:
            return labels
        roots = _union(int(labels.max()) + 1, sorted(best.items()))
        _, labels = np.unique(roots[labels], return_inverse=True)
        labels = labels.reshape(-1)


def find_communities(graph: ig.Graph, params: DetectParams,
                     links: BookingLinks | None = None) -> list[list[int]]:
    """The community step: components, Leiden inside large ones, the served-merge (when
    booking links are given), and a connectivity check.

    Returns vertex lists, each sorted, the list ordered by smallest vertex (deterministic).
    """
    if graph.vcount() == 0:
        return []
    comps = graph.connected_components()
    labels = np.asarray(comps.membership, dtype=np.int64)
    nxt = len(comps)
    split = np.zeros(graph.vcount(), dtype=bool)
    for comp in comps:
        if len(comp) < params.split_min_size:
            continue
        ordered = sorted(comp)
        sub = graph.induced_subgraph(ordered)
        part = np.asarray(leiden(sub, params), dtype=np.int64)
        labels[ordered] = nxt + part
        nxt += int(part.max()) + 1
        split[ordered] = True
    if links is not None and params.merge_served_share <= 1.0 and split.any():
        labels = merge_served(labels, links, params.merge_served_share)
    order = np.argsort(labels, kind="stable")
    bounds = np.flatnonzero(np.r_[True, labels[order][1:] != labels[order][:-1], True])
    out: list[list[int]] = []
    for a, b in itertools.pairwise(bounds.tolist()):
        members = order[a:b].tolist()
        if not split[members[0]]:
            out.append(members)  # a whole small component: connected by construction
            continue
        # every reported ring must be connected: split what is not
        piece = graph.induced_subgraph(members)
        for part in piece.connected_components():
            out.append(sorted(members[i] for i in part))
    out.sort(key=lambda c: c[0])
    return out
