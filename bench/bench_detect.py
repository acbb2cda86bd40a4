"""Detection on the configured graph: whole-analysis time and peak memory, then the
community step against python-louvain on the same projection, side by side.

    SCALPERNET_DATA_DIR=... SCALPERNET_BOLT_PORT=... .venv/bin/python bench/bench_detect.py \
        [--louvain-graph ring|all] [--no-store] [--analysis-only]

1. ``analyze`` end to end (projection, signals, rings, tiers, scores, stored in Neo4j):
   wall time per stage, the Python process's peak resident memory (ru_maxrss), and the CPU
   seconds used by this process and by the local Neo4j server (load-independent).
2. The analysis graph that detection splits (``ring``: the ring bookings' projection;
   ``all``: every booking's entities linked, damp identifiers left out — a much larger
   graph): our community step (components, Leiden per large component, entangled merge),
   igraph Leiden with the modularity objective at resolution 1 on the whole graph, and
   python-louvain's ``best_partition`` (resolution 1), each timed on the same graph, with
   the modularity of each partition measured by igraph on the whole graph.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import time
from pathlib import Path

import community as community_louvain
import networkx as nx
import numpy as np

from scalpernet.config import get_settings
from scalpernet.detect.analyze import analyze, detect
from scalpernet.detect.networks import build_analysis_graph, find_communities, leiden
from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import load_projection
from scalpernet.detect.signals import build_incidence, entity_signals, registration_signals
from scalpernet.graph import get_graph
from scalpernet.graph.schema import ensure_schema
from scalpernet.localserver import LocalServer


def cpu_seconds(pid: int | None) -> float:
    """User + system CPU seconds a process has used (Linux /proc), 0 when unknown."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_mb() -> float:
    """Peak resident memory of this process so far (Linux reports KiB)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--louvain-graph", choices=("ring", "all"), default="ring")
    ap.add_argument("--no-store", action="store_true", help="detect only, do not write")
    ap.add_argument("--analysis-only", action="store_true",
                    help="the whole analysis only, without the community comparison")
    args = ap.parse_args()
    graph = get_graph()
    ensure_schema(graph)
    print(f"machine: {platform.machine()}, {os.cpu_count()} CPUs, load average "
          f"{os.getloadavg()[0]:.1f} at start, python {platform.python_version()}")
    server = LocalServer(get_settings()).pid() if not get_settings().external else None
    own0, server0 = resource.getrusage(resource.RUSAGE_SELF), cpu_seconds(server)
    t = time.perf_counter()
    result = detect(graph) if args.no_store else analyze(graph)
    total = time.perf_counter() - t
    own1, server1 = resource.getrusage(resource.RUSAGE_SELF), cpu_seconds(server)
    own_cpu = own1.ru_utime + own1.ru_stime - own0.ru_utime - own0.ru_stime
    s = result.run.summary
    print(f"analysis: {s['registrations']:,} registrations, {s['entities']:,} entities, "
          f"{s['ring_bookings']:,} ring bookings -> {s['networks']} networks, "
          f"{s['members']:,} members")
    print(f"  whole analysis {total:.1f} s; stages: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in result.timings.items()))
    print(f"  peak memory (Python process): {peak_mb():,.0f} MiB")
    print(f"  CPU time: Python {own_cpu:.1f} s, Neo4j server "
          + (f"{server1 - server0:.1f} s" if server else "unknown (external server)")
          + f"; load average {os.getloadavg()[0]:.1f} at the end (other processes share the"
          " machine: wall time grows with their load)")
    if args.analysis_only:
        return

    params = DetectParams()
    proj = load_projection(graph)
    reg = registration_signals(proj, params)
    inc = build_incidence(proj)
    sig = entity_signals(proj, reg, inc, params, np.zeros(inc.count, dtype=bool))
    rows = None if args.louvain_graph == "ring" else np.arange(proj.size)
    ag = build_analysis_graph(proj, reg, inc, sig, params, rows)
    g = ag.graph
    print(f"community detection on the {args.louvain_graph} projection: "
          f"{g.vcount():,} vertices, {g.ecount():,} edges")

    def q(membership: list[int]) -> float:
        return g.modularity(membership, weights="weight")

    t = time.perf_counter()
    rings = find_communities(g, params, ag.links)
    t_step = time.perf_counter() - t
    ring_membership = [0] * g.vcount()
    for k, verts in enumerate(rings):
        for v in verts:
            ring_membership[v] = k
    t = time.perf_counter()
    whole = leiden(g, params)
    t_leiden = time.perf_counter() - t
    nxg = nx.Graph()
    nxg.add_nodes_from(range(g.vcount()))
    nxg.add_weighted_edges_from((e.source, e.target, e["weight"]) for e in g.es)
    t = time.perf_counter()
    part = community_louvain.best_partition(nxg, weight="weight", resolution=1.0,
                                            random_state=params.leiden_seed)
    t_louvain = time.perf_counter() - t
    louvain = [part[v] for v in range(g.vcount())]
    print(f"  {'method':<42} {'seconds':>9} {'modularity':>11} {'communities':>12}")
    for name, secs, members in (
            ("ScalperNet community step (per component)", t_step, ring_membership),
            ("igraph Leiden, modularity, resolution 1", t_leiden, whole),
            ("python-louvain best_partition", t_louvain, louvain)):
        print(f"  {name:<42} {secs:>9.2f} {q(members):>11.4f} {len(set(members)):>12,}")
    print(f"  Leiden speed-up over python-louvain: {t_louvain / max(t_leiden, 1e-9):.0f}x "
          f"(community step: {t_louvain / max(t_step, 1e-9):.0f}x)")


if __name__ == "__main__":
    main()
