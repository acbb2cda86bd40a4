"""Rings: the analysis graph of suspicious bookings, and the communities found in it.

The analysis graph links the entities of every *ring booking* (a booking made through a
triggered channel: see :mod:`scalpernet.detect.signals`) to each other, each link weighted by
the evidence of the bookings that share it. Damp identifiers (Wi-Fi, NAT, kiosks, allow-list)
never link. Rings are the connected components; a large component is split with Leiden
(Traag, Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing well-connected
communities", Sci. Rep. 9:5233) run on that component alone, which sidesteps modularity's
resolution limit on the whole graph; communities that hang on each other (an agent's
customers on the gang's tool and payers) are merged back until every ring keeps most of its
evidence inside, and every community is checked for connectivity.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import igraph as ig
import numpy as np

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

    def vertex_of(self) -> dict[int, int]:
        return {int(e): v for v, e in enumerate(self.nodes)}


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
                         sig: EntitySignals) -> AnalysisGraph:
    """Link the non-damp entities of every ring booking pairwise, weights summed."""
    rows = ring_bookings(proj, inc, sig)
    in_ring = np.zeros(proj.size, dtype=bool)
    in_ring[rows] = True
    pair_idx = np.flatnonzero(in_ring[inc.registration] & ~sig.damp[inc.entity])
    ent = inc.entity[pair_idx]
    regs = inc.registration[pair_idx]
    nodes = np.unique(ent)
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
    return AnalysisGraph(graph=g, nodes=nodes, ring_bookings=rows, pair_registration=pair_idx)


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


def merge_open(graph: ig.Graph, membership: list[int], max_out_share: float) -> list[int]:
    """Merge every community that is not self-contained into its strongest neighbour.

    A ring must keep most of its evidence inside: a community sending at least
    ``max_out_share`` of its weighted degree to other communities (an agent's customers, who
    hang on the gang's shared tool and payers) is merged into the neighbour it shares most
    with, the most open community first, until every community is self-contained. Two gangs
    joined by a shared proxy or customer stay apart: their bridge is a sliver of each.
    """
    labels = np.asarray(membership, dtype=np.int64)
    if graph.ecount() == 0 or max_out_share >= 1.0:
        return membership
    edges = np.asarray(graph.get_edgelist(), dtype=np.int64)
    w = np.asarray(graph.es["weight"], dtype=np.float64)
    while True:
        k = int(labels.max()) + 1
        if k == 1:
            break
        a, b = labels[edges[:, 0]], labels[edges[:, 1]]
        vol = np.bincount(a, weights=w, minlength=k) + np.bincount(b, weights=w, minlength=k)
        cross = a != b
        if not cross.any():
            break
        src = np.concatenate([a[cross], b[cross]])
        dst = np.concatenate([b[cross], a[cross]])
        ww = np.concatenate([w[cross], w[cross]])
        key, inv = np.unique(src * k + dst, return_inverse=True)
        cut = np.bincount(inv.reshape(-1), weights=ww)
        out = np.bincount(src, weights=ww, minlength=k) / np.maximum(vol, 1e-12)
        worst = int(np.argmax(out))  # ties: the lowest label
        if out[worst] < max_out_share:
            break
        mine = key // k == worst
        target = int((key[mine] % k)[np.argmax(cut[mine])])
        labels[labels == worst] = target
        _, labels = np.unique(labels, return_inverse=True)
        labels = labels.reshape(-1)
    return labels.tolist()


def find_communities(graph: ig.Graph, params: DetectParams) -> list[list[int]]:
    """The community step: components, Leiden inside large ones, merge-back, connectivity.

    Returns vertex lists, each sorted, the list ordered by smallest vertex (deterministic).
    """
    out: list[list[int]] = []
    for comp in graph.connected_components():
        if len(comp) < params.split_min_size:
            out.append(sorted(comp))
            continue
        sub = graph.induced_subgraph(sorted(comp))
        labels = merge_open(sub, leiden(sub, params), params.merge_out_share)
        ordered = sorted(comp)
        groups: dict[int, list[int]] = {}
        for v, label in enumerate(labels):
            groups.setdefault(label, []).append(v)
        for members in groups.values():
            # every reported ring must be connected: split what is not
            piece = sub.induced_subgraph(members)
            for part in piece.connected_components():
                out.append(sorted(ordered[members[i]] for i in part))
    out.sort(key=lambda c: c[0])
    return out


def is_connected(graph: ig.Graph, vertices: list[int]) -> bool:
    """True when the vertices induce a connected subgraph."""
    return graph.induced_subgraph(vertices).is_connected() if vertices else False
