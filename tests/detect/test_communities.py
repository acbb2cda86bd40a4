"""The community step on its own: LFR graphs, the entangled merge, connectivity, the tree."""

from __future__ import annotations

import igraph as ig
import networkx as nx
import numpy as np
import pytest

from scalpernet.detect.evaluate import nmi
from scalpernet.detect.hierarchy import ring_trees
from scalpernet.detect.networks import BookingLinks, find_communities, merge_entangled
from scalpernet.detect.params import DetectParams
from scalpernet.detect.tiers import TIER_ORDER


def _lfr(mu: float) -> tuple[ig.Graph, list[int]]:
    g = nx.LFR_benchmark_graph(250, 3, 1.5, mu, average_degree=10, max_degree=30,
                               min_community=25, max_community=60, seed=10)
    labels: dict[frozenset, int] = {}
    truth = [labels.setdefault(frozenset(g.nodes[v]["community"]), len(labels))
             for v in sorted(g.nodes)]
    h = ig.Graph(n=250, edges=[(u, v) for u, v in g.edges if u != v])
    h.simplify()
    h.es["weight"] = [1.0] * h.ecount()
    return h, truth


def _membership(groups: list[list[int]], n: int) -> list[int]:
    out = [-1] * n
    for k, verts in enumerate(groups):
        for v in verts:
            out[v] = k
    return out


@pytest.mark.parametrize(("mu", "floor"), [(0.1, 0.95), (0.3, 0.75)])
def test_lfr_planted_partition_is_recovered(mu: float, floor: float) -> None:
    g, truth = _lfr(mu)
    found = find_communities(g, DetectParams())
    assert nmi(_membership(found, 250), truth) >= floor
    assert all(g.induced_subgraph(c).is_connected() for c in found)
    assert find_communities(g, DetectParams()) == found  # seeded: the same every time


def test_nmi_of_identical_and_independent_partitions() -> None:
    assert nmi([0, 0, 1, 1], [5, 5, 9, 9]) == 1.0
    assert nmi([0, 0, 1, 1], [0, 1, 0, 1]) == 0.0


def _two_gangs() -> tuple[ig.Graph, BookingLinks]:
    """Two hub-and-spoke gangs (hubs 0 and 50) whose customers share one proxy (vertex 99)."""
    edges, weight, booking, vertex = [], [], [], []
    b = 0
    for hub, customers in ((0, range(1, 49)), (50, range(51, 99))):
        for c in customers:
            proxy = 99 if c in (5, 55) else hub + 49
            for u, v in ((c, hub), (c, proxy), (hub, proxy)):
                edges.append((u, v))
                weight.append(1.0)
            for v in (c, hub, proxy):
                booking.append(b)
                vertex.append(v)
            b += 1
    g = ig.Graph(n=100, edges=edges)
    g.es["weight"] = weight
    g.simplify(combine_edges="sum")
    return g, BookingLinks(np.asarray(booking), np.asarray(vertex))


def test_gangs_bridged_by_a_shared_proxy_stay_apart_and_whole() -> None:
    g, links = _two_gangs()
    params = DetectParams(split_min_size=10)
    found = find_communities(g, params, links)
    hub_a = next(c for c in found if 0 in c)
    hub_b = next(c for c in found if 50 in c)
    assert hub_a != hub_b
    assert set(range(1, 49)) <= set(hub_a) and set(range(51, 99)) <= set(hub_b)
    assert sum(len(c) for c in found) == 100


def test_pieces_of_one_ring_merge_and_a_bridge_joins_one_side_only() -> None:
    _, links = _two_gangs()
    # pretend Leiden cut gang A's customers 1-24 away from their hub, gang B's into three,
    # and left the shared proxy alone
    labels = np.zeros(100, dtype=np.int64)
    labels[1:25] = 1
    labels[50:] = 2
    labels[51:70] = 3
    labels[70:80] = 4
    labels[99] = 5
    merged = merge_entangled(labels, links, DetectParams().merge_entangled_share)
    assert len(set(merged[:50].tolist())) == 1
    assert len(set(merged[50:99].tolist())) == 1
    assert merged[0] != merged[60]
    assert merged[99] in (merged[0], merged[60])
    # nothing spans enough: nothing merges
    apart = merge_entangled(labels, links, 1.01)
    assert len(set(apart.tolist())) == 6


def test_ring_tree_hangs_every_member_on_one_parent() -> None:
    # technician 0, first level 1, second level 2, patients 3 and 4, none 5
    edges = np.asarray([[0, 1], [1, 2], [2, 3], [2, 4], [0, 3], [3, 5], [0, 4]])
    rank = np.asarray([0, 1, 2, 3, 3, TIER_ORDER.index("none")])
    trees = ring_trees(edges, np.ones(7), np.ones(7, dtype=np.int64), np.zeros(6, np.int64),
                       rank, np.arange(6), np.ones(6))
    links = {(t.parent, t.child, t.type) for t in trees[0]}
    assert links == {(0, 1, "hierarchy"), (1, 2, "hierarchy"), (2, 3, "hierarchy"),
                     (2, 4, "hierarchy"), (3, 5, "pulled_in")}
