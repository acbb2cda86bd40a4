"""The community step alone on LFR benchmark graphs: NMI against the planted partition.

LFR (Lancichinetti, Fortunato & Radicchi 2008) graphs with power-law degrees and community
sizes; μ is the share of each node's links that leave its community. For μ = 0.1 … 0.6 this
prints the NMI of ScalperNet's community step (``networks.find_communities``: components,
then Leiden with the modularity objective at resolution 1, explicit and seeded, per large
component; the entangled merge needs bookings and does nothing here) and of python-louvain.

networkx's generator overshoots the nominal μ (the measured share of links leaving their
planted community is printed as ``mixing``); ``--calibrated`` asks for μ/1.45 so that the
measured mixing lands near the row's μ.

    .venv/bin/python bench/bench_lfr.py [--n 1000] [--seeds 3] [--calibrated]
"""

from __future__ import annotations

import argparse
import time

import community as community_louvain
import igraph as ig
import networkx as nx

from scalpernet.detect.evaluate import nmi
from scalpernet.detect.networks import find_communities
from scalpernet.detect.params import DetectParams


def lfr(n: int, mu: float, seed: int) -> tuple[ig.Graph, list[int]]:
    """An LFR graph as igraph (unit weights) and its planted membership."""
    for attempt in range(20):
        try:
            g = nx.LFR_benchmark_graph(n, 3.0, 1.5, mu, average_degree=20, max_degree=50,
                                       min_community=20, max_community=100,
                                       seed=seed * 100 + attempt)
            break
        except nx.ExceededMaxIterations:
            continue
    else:
        raise RuntimeError(f"LFR generation failed for n={n} mu={mu}")
    labels: dict[frozenset, int] = {}
    truth = []
    for v in sorted(g.nodes):
        com = frozenset(g.nodes[v]["community"])
        truth.append(labels.setdefault(com, len(labels)))
    h = ig.Graph(n=n, edges=[(u, v) for u, v in g.edges if u != v])
    h.simplify()
    h.es["weight"] = [1.0] * h.ecount()
    return h, truth


def membership(groups: list[list[int]], n: int) -> list[int]:
    out = [0] * n
    for k, verts in enumerate(groups):
        for v in verts:
            out[v] = k
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=1000)
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--calibrated", action="store_true",
                    help="ask networkx for mu/1.45 so the measured mixing is near mu")
    args = ap.parse_args()
    params = DetectParams()
    print(f"LFR n={args.n}, average degree 20, max degree 50, communities 20-100, "
          f"{args.seeds} graphs per mu (mean NMI)")
    print("mixing: the measured share of links leaving their planted community (networkx's LFR")
    print("generator overshoots the nominal mu)")
    print(f"{'mu':>4} {'mixing':>7} {'community step':>15} {'louvain':>8} "
          f"{'step ms':>8} {'louvain ms':>11}")
    for mu in (0.1, 0.2, 0.3, 0.4, 0.5, 0.6):
        scores: dict[str, list[float]] = {"step": [], "louvain": []}
        t_leiden = t_louvain = 0.0
        mixing = []
        for seed in range(1, args.seeds + 1):
            g, truth = lfr(args.n, mu / 1.45 if args.calibrated else mu, seed)
            mixing.append(sum(truth[a] != truth[b] for a, b in g.get_edgelist()) / g.ecount())
            t = time.perf_counter()
            found = find_communities(g, params)
            t_leiden += time.perf_counter() - t
            scores["step"].append(nmi(membership(found, g.vcount()), truth))
            nxg = nx.Graph(g.get_edgelist())
            nxg.add_nodes_from(range(g.vcount()))
            t = time.perf_counter()
            part = community_louvain.best_partition(nxg, random_state=seed)
            t_louvain += time.perf_counter() - t
            scores["louvain"].append(nmi([part[v] for v in range(g.vcount())], truth))
        mean = {k: sum(v) / len(v) for k, v in scores.items()}
        print(f"{mu:>4.1f} {sum(mixing) / len(mixing):>7.3f} {mean['step']:>15.3f} "
              f"{mean['louvain']:>8.3f} {1000 * t_leiden / args.seeds:>8.1f} "
              f"{1000 * t_louvain / args.seeds:>11.1f}")


if __name__ == "__main__":
    main()
