"""Rings: the analysis graph of suspicious bookings, and the communities found in it.

The analysis graph links the entities of every *ring booking* (a booking made through a
triggered channel: see :mod:`scalpernet.detect.signals`) to each other, each link weighted by
the evidence of the bookings that share it. Damp identifiers (Wi-Fi, NAT, kiosks, allow-list)
never link.

The community step: connected components; a large component is split with Leiden (Traag,
Waltman & van Eck 2019, "From Louvain to Leiden: guaranteeing well-connected communities",
Sci. Rep. 9:5233) run on that component alone, which sidesteps modularity's resolution
limit on the whole graph. Then one domain rule: communities that many ring bookings span
together are the same ring, so they are merged back (Leiden cuts a ring whose tool mixes
accounts, addresses, payers and agents at random into pieces, and an agent's customers are a
community of their own to it, but not a ring of their own); two gangs joined by a shared
proxy or customer are spanned by a few bookings only and stay apart. Every community is
checked for connectivity.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

import igraph as ig
import numpy as np

from scalpernet.detect.arrays import combine, sorted_unique
from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import MISSING, SLOTS, Projection
from scalpernet.detect.signals import (
    CHANNEL_SLOTS,
    KINDS,
    EntitySignals,
    Incidence,
    RegistrationSignals,
)

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
    """The vertices each ring booking touches."""

    booking: np.ndarray  # pair -> booking number (0..bookings-1)
    vertex: np.ndarray  # pair -> vertex


def ring_bookings(proj: Projection, reg: RegistrationSignals, inc: Incidence,
                  sig: EntitySignals, params: DetectParams) -> np.ndarray:
    """Rows of bookings made through a triggered channel that is not shared, then through the
    channels those bookings show to be the ring's.

    A channel is the ring's when at least ``involvement_min`` of its bookings (and two or
    more) are ring bookings: an agent's phone, a second payer, a proxy the tool used again.
    Its other bookings join the ring (``expand_steps`` times): a customer an agent brought
    who paid by QR code through a fresh address and device shows no trigger of its own.
    Damp channels never pass bookings on, and neither do patients and ID cards (a customer's
    other bookings are the customer's own). A machine-speed booking through a channel
    carrying two or more ring bookings joins too, even a shared one. Last, the other half of
    every occupy-and-wash pair joins: the placeholder that held the slot for the ring's buyer,
    or the buyer it was washed to.
    """
    on_channel = np.isin(inc.slot, _CHANNEL_CODES) & ~sig.damp[inc.entity]
    hit = on_channel & sig.trigger[inc.entity]
    mark = np.zeros(proj.size, dtype=bool)
    mark[inc.registration[hit]] = True
    for _ in range(params.expand_steps):
        inside = np.bincount(inc.entity[on_channel], weights=mark[inc.registration[on_channel]],
                             minlength=inc.count)
        ours = (inside >= 2) & (inside >= params.involvement_min * sig.bookings)
        more = on_channel & ours[inc.entity] & ~mark[inc.registration]
        if not more.any():
            break
        mark[inc.registration[more]] = True
    # a machine-speed booking through a channel the ring books through is the tool's, even
    # when the channel is shared with honest people (a carrier NAT address) and the customer's
    # own identifiers carry nothing else: no person books within a second of release
    tool_channel = np.isin(inc.slot, _CHANNEL_CODES) & (~sig.damp[inc.entity]
                                                         | sig.shared[inc.entity])
    inside = np.bincount(inc.entity[tool_channel], weights=mark[inc.registration[tool_channel]],
                         minlength=inc.count)
    tool = tool_channel & (inside[inc.entity] >= 2) & reg.machine[inc.registration]
    mark[inc.registration[tool]] = True
    pairs = reg.wash_pairs
    either = mark[pairs[:, 0]] | mark[pairs[:, 1]]
    mark[pairs[either].reshape(-1)] = True
    return np.flatnonzero(mark)


def release_bursts(proj: Projection, reg: RegistrationSignals,
                   rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Machine-speed bookings of a release burst the ring took part in at machine speed, and
    the ring booking each joins through.

    A burst is one doctor's release at one hospital; no person books within a second of it,
    so every machine-speed booking of a burst is a grabbing tool's. A burst in which ring
    bookings were made at machine speed brings in its other machine-speed bookings, however
    fresh their address and however much their identifiers are the customers' own: each
    joins through the burst's earliest machine-speed ring booking. Returns (rows, anchors).
    """
    known = reg.machine & (proj.latency_ms != MISSING) & (proj.booked_ms != MISSING)
    fast = np.flatnonzero(known)
    empty = np.zeros(0, dtype=np.int64)
    if fast.size == 0 or rows.size == 0:
        return empty, empty
    released = proj.booked_ms[fast] - proj.latency_ms[fast]
    burst = combine(proj.codes["hospital"][fast], proj.codes["doctor"][fast], released)
    in_ring = np.isin(fast, rows)
    # each burst's earliest machine-speed ring booking
    order = np.lexsort((fast, proj.booked_ms[fast], ~in_ring, burst))
    head = order[np.r_[True, burst[order][1:] != burst[order][:-1]]]
    head = head[in_ring[head]]
    anchor_of = dict(zip(burst[head].tolist(), fast[head].tolist(), strict=True))
    join = np.flatnonzero(~in_ring & np.isin(burst, burst[head]))
    return fast[join], np.asarray([anchor_of[b] for b in burst[join].tolist()],
                                  dtype=np.int64)


def booking_weight(reg: RegistrationSignals) -> np.ndarray:
    """Evidence weight of each booking: 1, plus 1 at machine speed, plus 1 in a wash pair."""
    return 1.0 + reg.machine.astype(np.float64) + reg.wash.astype(np.float64)


def build_analysis_graph(proj: Projection, reg: RegistrationSignals, inc: Incidence,
                         sig: EntitySignals, params: DetectParams,
                         rows: np.ndarray | None = None) -> AnalysisGraph:
    """Link the non-damp entities of every ring booking pairwise, weights summed.

    A shared trigger (a tool behind a carrier NAT address) links only to the triggered
    channels of the ring's suspicious bookings through it: it ties a gang's agents together
    without pulling in the honest people behind the same address. ``rows`` overrides which
    bookings are linked (the benchmark links all of them).
    """
    burst_rows = burst_anchors = np.zeros(0, dtype=np.int64)
    if rows is None:
        rows = ring_bookings(proj, reg, inc, sig, params)
        burst_rows, burst_anchors = release_bursts(proj, reg, rows)
        rows = np.union1d(rows, burst_rows)
    in_ring = np.zeros(proj.size, dtype=bool)
    in_ring[rows] = True
    on_ring = in_ring[inc.registration]
    glue = on_ring & sig.shared[inc.entity] & reg.suspicious[inc.registration]
    pair_idx = np.flatnonzero((on_ring & ~sig.damp[inc.entity]) | glue)
    ent = inc.entity[pair_idx]
    regs = inc.registration[pair_idx]
    nodes = sorted_unique(ent)
    vertex = np.searchsorted(nodes, ent)
    # which ends may link: the shared ones only to triggered channels
    shared_v = sig.shared[nodes]
    triggered_v = sig.trigger[nodes] & ~shared_v
    patient_v = inc.kinds[nodes] == KINDS.index("patient")
    machine = reg.machine
    # group the pairs by booking: a clique of the (at most nine) entities of each booking
    order = np.lexsort((vertex, regs))
    regs_s, vert_s = regs[order], vertex[order]
    starts = np.flatnonzero(np.r_[True, regs_s[1:] != regs_s[:-1]])
    sizes = np.diff(np.r_[starts, regs_s.size])
    weight = booking_weight(reg)
    src, dst, wts = [], [], []
    for a in range(int(sizes.max()) if sizes.size else 0):
        for b in range(a + 1, int(sizes.max())):
            s = starts[sizes > b]
            x, y = vert_s[s + a], vert_s[s + b]
            # a shared identifier links triggered channels, and the customer of a
            # machine-speed booking (the tool booked it through the shared address)
            fast = machine[regs_s[s]]
            ok = np.where(shared_v[x], triggered_v[y] | (fast & patient_v[y]),
                          np.where(shared_v[y], triggered_v[x] | (fast & patient_v[x]), True))
            src.append(x[ok])
            dst.append(y[ok])
            wts.append(weight[regs_s[s[ok]]])
    # an occupy-and-wash pair links the placeholder that held the slot to the buyer
    patient = np.full(proj.size, -1, dtype=np.int64)
    owner = inc.slot[pair_idx] == SLOTS.index("patient")
    patient[regs[owner]] = vertex[owner]
    wash = reg.wash_pairs
    wash = wash[(patient[wash[:, 0]] >= 0) & (patient[wash[:, 1]] >= 0)
                & (patient[wash[:, 0]] != patient[wash[:, 1]])]
    src.append(patient[wash[:, 0]])
    dst.append(patient[wash[:, 1]])
    wts.append(weight[wash[:, 1]])
    # a booking that joined through its release burst links its customer to the burst's
    # anchor booking's
    burst = (patient[burst_rows] >= 0) & (patient[burst_anchors] >= 0)
    burst_rows, burst_anchors = burst_rows[burst], burst_anchors[burst]
    src.append(patient[burst_rows])
    dst.append(patient[burst_anchors])
    wts.append(weight[burst_rows])
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
    # ... and the re-booking touches the placeholder too (the merge counts it)
    links = BookingLinks(booking=np.concatenate([np.searchsorted(rows, regs),
                                                 np.searchsorted(rows, wash[:, 1]),
                                                 np.searchsorted(rows, burst_rows)]),
                         vertex=np.concatenate([vertex, patient[wash[:, 0]],
                                                patient[burst_anchors]]))
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


def _entanglement(labels: np.ndarray, links: BookingLinks) -> tuple[np.ndarray, np.ndarray,
                                                                      np.ndarray]:
    """Pairs of communities ring bookings span, with the bookings behind each pair and each
    community's bookings: (pairs as ``c * k + d`` with ``c < d``, shared, bookings per label)."""
    k = int(labels.max()) + 1
    touched = np.unique(links.booking * k + labels[links.vertex])
    booking, label = touched // k, touched % k
    per_label = np.bincount(label, minlength=k)
    starts = np.flatnonzero(np.r_[True, booking[1:] != booking[:-1]])
    sizes = np.diff(np.r_[starts, booking.size])
    pairs = []
    for i in range(int(sizes.max()) if sizes.size else 0):
        for j in range(i + 1, int(sizes.max())):
            ok = sizes > j
            pairs.append(label[starts[ok] + i] * k + label[starts[ok] + j])
    if not pairs:
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, per_label
    pair, shared = np.unique(np.concatenate(pairs), return_counts=True)
    return pair, shared, per_label


def merge_entangled(labels: np.ndarray, links: BookingLinks, share: float) -> np.ndarray:
    """Merge communities that ring bookings span together.

    Leiden cuts a ring whose tool mixes its accounts, addresses, payers and agents at random
    into pieces that many bookings still span (a customer's booking in one piece, the payer
    or agent behind it in another); two rings bridged by a shared proxy or customer are
    spanned by a few bookings only. Community C joins D when the bookings that touch both
    make at least ``share`` of C's bookings and D has more bookings than C: each community
    joins its most entangled larger partner, all at once, and the figures are counted again
    until nothing joins. A small piece lying between two rings joins one of them, never both,
    and the two rings (each the larger side of their own pair) stay apart.
    """
    labels = labels.copy()
    if links.booking.size == 0 or labels.size == 0:
        return labels
    while True:
        _, labels = np.unique(labels, return_inverse=True)
        labels = labels.reshape(-1)
        k = int(labels.max()) + 1
        pair, shared, per_label = _entanglement(labels, links)
        c, d = pair // k, pair % k
        # each pair looked at from its smaller side (fewer bookings; ties: the higher label)
        small_c = (per_label[c] < per_label[d]) | ((per_label[c] == per_label[d]) & (c > d))
        joiner, host = np.where(small_c, c, d), np.where(small_c, d, c)
        ratio = shared / np.maximum(per_label[joiner], 1)
        keep = ratio >= share
        if not keep.any():
            return labels
        joiner, host, ratio = joiner[keep], host[keep], ratio[keep]
        # each joiner's most entangled host (ties: the larger host, then the lower label)
        order = np.lexsort((host, -per_label[host], -ratio, joiner))
        first = order[np.r_[True, joiner[order][1:] != joiner[order][:-1]]]
        root = np.arange(k)
        root[joiner[first]] = host[first]
        labels = _union(root)[labels]


def _union(parent: np.ndarray) -> np.ndarray:
    """Each label's root under ``parent`` pointers (the pointers form a forest)."""
    root = parent.copy()
    while True:
        nxt = root[root]
        if np.array_equal(nxt, root):
            return root
        root = nxt


def find_communities(graph: ig.Graph, params: DetectParams,
                     links: BookingLinks | None = None) -> list[list[int]]:
    """The community step: components, Leiden inside large ones, the entangled merge (when
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
    if links is not None and params.merge_entangled_share <= 1.0 and split.any():
        labels = merge_entangled(labels, links, params.merge_entangled_share)
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
