"""The community step on its own: LFR graphs, the entangled merge, connectivity, the tree."""

from __future__ import annotations

import igraph as ig
import networkx as nx
import numpy as np
import pytest

from scalpernet.detect.actors import ActorDraft
from scalpernet.detect.evaluate import nmi
from scalpernet.detect.hierarchy import member_tree
from scalpernet.detect.networks import BookingLinks, find_communities, merge_entangled
from scalpernet.detect.params import DetectParams


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


def test_the_member_tree_is_the_actor_tree_at_the_grain_of_identifiers() -> None:
    # technician 0 (+10), first level 1, second level 2 (+12), patients 3 (+13) and 4, none 5
    actors = [ActorDraft("technician", [0, 10]), ActorDraft("first_level", [1], parent=0),
              ActorDraft("second_level", [2, 12], parent=1, link={"bookings": 4}),
              ActorDraft("patient", [3, 13], parent=2, link={"bookings": 2}),
              ActorDraft("patient", [4], parent=1, link={"bookings": 1, "payments": 1})]
    roles = {0: "technician", 10: "technician", 1: "first_level", 2: "second_level",
             12: "second_level", 3: "patient", 13: "patient", 4: "patient", 5: "none"}
    members = np.asarray(sorted(roles))
    tree = member_tree(actors, members, roles, np.ones(14, dtype=np.int64),
                       {5: [(2.0, 2, 3), (5.0, 1, 0), (9.0, 9, 6)]})
    links = {(t.parent, t.child, t.type) for t in tree}
    assert links == {(0, 10, "same_person"), (0, 1, "booked_for"), (1, 2, "contact_for"),
                     (2, 12, "same_person"), (2, 3, "brought"), (3, 13, "same_person"),
                     (1, 4, "paid_for"), (0, 5, "pulled_in")}
    # every member but the root has exactly one parent
    assert sorted(t.child for t in tree) == sorted(set(roles) - {0})
