"""Projection cost over the analysis window: wall time and Python memory per million bookings.

Runs against the configured Neo4j (it must hold a city: ``scalpernet simulate`` then
``scalpernet ingest --bulk``). For each ``--window-days`` value (0: the whole history) it
loads the detection projection under ``tracemalloc`` (numpy and the driver's lists are both
traced) and prints the registrations read, the seconds, the peak traced memory during the
load and the projection's own arrays, each also per million bookings; then the payers'
whole-history query and a whole ``detect`` (nothing stored). Figures go to stdout and, with
``--out``, to a JSON file. Say the machine load beside them (printed from ``os.getloadavg``).
"""

from __future__ import annotations

import argparse
import os
import time
import tracemalloc
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from scalpernet.detect.analyze import detect
from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import (
    Projection,
    load_projection,
    payer_history,
    window_start,
)
from scalpernet.detect.signals import KINDS, build_incidence
from scalpernet.graph import get_graph

MIB = 1024 * 1024


def _nbytes(proj: Projection) -> int:
    arrays = [v for v in vars(proj).values() if isinstance(v, np.ndarray)]
    arrays += list(proj.entities.values()) + list(proj.codes.values())
    return sum(a.nbytes for a in arrays)


def measure(days: int) -> dict[str, Any]:
    graph = get_graph()
    since = window_start(graph, days)
    tracemalloc.start()
    clock = time.perf_counter()
    proj = load_projection(graph, since_ms=since)
    seconds = time.perf_counter() - clock
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    n = proj.size
    per_m = 1e6 / max(n, 1)
    inc = build_incidence(proj)
    payers = np.flatnonzero(inc.kinds == KINDS.index("payer"))
    paid = np.bincount(inc.entity, minlength=inc.count)[payers]
    clock = time.perf_counter()
    if since is not None:
        payer_history(graph, inc.node_ids[payers], paid)
    history_s = time.perf_counter() - clock
    arrays = _nbytes(proj)
    del proj, inc
    clock = time.perf_counter()
    result = detect(graph, DetectParams(window_days=days), previous={}, previous_people={})
    detect_s = time.perf_counter() - clock
    return {
        "window_days": days, "registrations": n, "payers": int(payers.size),
        "projection_s": round(seconds, 2),
        "projection_peak_mib": round(peak / MIB, 1),
        "projection_peak_mib_per_million": round(peak / MIB * per_m, 1),
        "projection_arrays_mib_per_million": round(arrays / MIB * per_m, 1),
        "payer_history_s": round(history_s, 2), "detect_s": round(detect_s, 2),
        "networks": len(result.networks), "load_avg": os.getloadavg(),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--window-days", type=int, nargs="+", default=[0, 7])
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args()
    rows = [measure(days) for days in args.window_days]
    print("| window days | registrations | projection s | peak MiB | peak MiB / 1M | arrays MiB "
          "/ 1M | payer history s | detect s | networks | load |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        print(f"| {r['window_days']} | {r['registrations']:,} | {r['projection_s']} | "
              f"{r['projection_peak_mib']} | {r['projection_peak_mib_per_million']} | "
              f"{r['projection_arrays_mib_per_million']} | {r['payer_history_s']} | "
              f"{r['detect_s']} | {r['networks']} | "
              f"{' '.join(f'{x:.1f}' for x in r['load_avg'])} |")
    if args.out:
        args.out.write_bytes(orjson.dumps(rows, option=orjson.OPT_INDENT_2))


if __name__ == "__main__":
    main()
