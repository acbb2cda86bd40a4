"""The nightly pass on a large graph: a day's export added, ingested and analysed.

Steps, each in a fresh process (so each peak RSS is its own), on a simulated city split by
booking time into a history and its last ``--nightly`` bookings (the night's export):

  1. ``bulk``: ``ingest --bulk`` of the history into an empty database;
  2. ``full``: the full window analysis of the history, stored, its window kept (the kept
     window of the first nightly pass: nothing kept yet, so everything is read);
  3. ``nightly``: one nightly pass (``run_pass``: ingest the export, then the incremental
     analysis over the kept window), wall seconds and peak RSS of the pass's process;
  4. ``compare``: a full analysis of the same graph (everything read again, the previous
     results those the nightly pass started from) against what the nightly pass stored:
     ids, status, risk, and every member's kind, key, role and score must be identical;
     its wall seconds and peak RSS are the full window analysis of the grown graph.

Needs a server of its own (it empties it): point SCALPERNET_DATA_DIR and
SCALPERNET_BOLT_PORT at one whose data you do not need. Say the load beside the figures.

    uptime; .venv/bin/scalpernet simulate --out /tmp/city --records 1050000 --seed 5
    .venv/bin/python bench/bench_nightly.py --city /tmp/city --nightly 50000 \\
        --out bench/results/nightly.json; uptime
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

_WORK = "bench-nightly"


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def split(city: Path, work: Path, nightly: int) -> tuple[Path, Path]:
    """The city's CSV files as one history file and the export of its last ``nightly``
    bookings (by booking time), all text as written."""
    files = sorted(city.glob("registrations_*.csv"))
    with files[0].open(encoding="utf-8") as handle:
        names = handle.readline().strip().split(",")
    text = pacsv.ConvertOptions(column_types=dict.fromkeys(names, pa.string()),
                                strings_can_be_null=False)
    table = pa.concat_tables([pacsv.read_csv(f, convert_options=text) for f in files])
    order = pc.sort_indices(table, sort_keys=[("booked_at", "ascending")])
    table = table.take(order)
    history_dir = work / "history"
    history_dir.mkdir(parents=True, exist_ok=True)
    history, night = history_dir / "history.csv", work / "nightly.csv"
    cut = table.num_rows - nightly
    pacsv.write_csv(table.slice(0, cut), history)
    pacsv.write_csv(table.slice(cut), night)
    return history_dir, night


def step(kind: str, work: Path) -> dict[str, Any]:
    """One measured step, in this process."""
    from scalpernet.config import get_settings
    from scalpernet.detect.analyze import ReadWindow, detect
    from scalpernet.detect.commands import run_analyze
    from scalpernet.detect.params import DetectParams
    from scalpernet.graph import get_graph
    from scalpernet.nightly import run_pass
    from scalpernet.nightly.passes import kept_window
    from scalpernet.results.store import all_networks

    settings = get_settings()
    params = DetectParams(window_days=settings.analysis_window_days)
    out: dict[str, Any] = {"step": kind}
    started = time.perf_counter()
    if kind == "bulk":
        from scalpernet.graph.schema import ensure_schema, reset_graph
        from scalpernet.ingest.bulk import bulk_load
        from scalpernet.localserver import LocalServer

        LocalServer(settings).start()
        graph = get_graph()
        ensure_schema(graph)
        reset_graph(graph)
        shutil.rmtree(kept_window(settings), ignore_errors=True)
        report = bulk_load(settings, [work / "history"])
        out["rows"] = report.read
    elif kind == "full":
        result = json.loads(run_analyze(get_graph(), as_json=True, kept=kept_window(settings)))
        out.update(networks=result["networks"], registrations=result["registrations"],
                   window_read=result["window_read"], timings_s=result["timings_s"])
        snapshot(get_graph(), work)
    elif kind == "nightly":
        drop = work / "drop"
        shutil.rmtree(drop, ignore_errors=True)
        drop.mkdir()
        shutil.copy(work / "nightly.csv", drop / "nightly.csv")
        done = run_pass(settings.model_copy(update={"drop_dir": drop, "drop_settle_s": 0.0}))
        out.update(status=done.record.status, ingested=done.record.ingested,
                   analysis=done.record.analysis)
    else:
        graph = get_graph()
        previous, people = load_snapshot(work)
        full = detect(graph, params, previous=previous, previous_people=people,
                      source=ReadWindow())
        out["detect_s"] = round(time.perf_counter() - started, 1)
        stored = all_networks(graph)
        out["identical"] = _summary(stored) == _summary(full.networks)
        out["networks"] = len(full.networks)
        out["timings_s"] = full.timings
    out["seconds"] = round(time.perf_counter() - started, 1)
    out["peak_rss_mb"] = round(_peak_mb())
    return out


def _summary(nets: list[Any]) -> list[tuple[Any, ...]]:
    """Each network's id, status, risk, size and members (as stored: in any order)."""
    return sorted((n.id, n.status, n.risk, n.size,
                   tuple(sorted((m.kind, m.key, m.role, m.score) for m in n.members)))
                  for n in nets)


def snapshot(graph: Any, work: Path) -> None:
    """The stored networks' and actors' members (the previous results of the next pass)."""
    from scalpernet.detect.analyze import previous_actors, previous_networks

    nets = {k: sorted(v) for k, v in previous_networks(graph).items()}
    people = [[n, r, a, sorted(u)] for (n, r), actors in previous_actors(graph).items()
              for a, u in actors.items()]
    (work / "previous.json").write_text(json.dumps({"networks": nets, "actors": people}))


def load_snapshot(work: Path) -> tuple[dict[str, set[str]], dict[Any, dict[str, set[str]]]]:
    data = json.loads((work / "previous.json").read_text())
    people: dict[Any, dict[str, set[str]]] = {}
    for n, r, a, u in data["actors"]:
        people.setdefault((n, r), {})[a] = set(u)
    return {k: set(v) for k, v in data["networks"].items()}, people


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city", type=Path, help="a simulated city (CSV files)")
    parser.add_argument("--nightly", type=int, default=50_000)
    parser.add_argument("--work", type=Path, default=None,
                        help="where the split files go (default: next to the city)")
    parser.add_argument("--steps", default="split,bulk,full,nightly,compare")
    parser.add_argument("--out", type=Path, default=None)
    parser.add_argument("--step", nargs=2, help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step[0], Path(args.step[1]))))
        return
    work = args.work or args.city.parent / _WORK
    steps = args.steps.split(",")
    print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs", flush=True)
    results: dict[str, Any] = {}
    if "split" in steps:
        clock = time.perf_counter()
        split(args.city, work, args.nightly)
        print(f"split: {time.perf_counter() - clock:.1f} s", flush=True)
    for kind in ("bulk", "full", "nightly", "compare"):
        if kind not in steps:
            continue
        load = os.getloadavg()
        out = subprocess.run([sys.executable, __file__, "--step", kind, str(work)],
                             check=True, stdout=subprocess.PIPE, text=True).stdout
        results[kind] = {**json.loads(out.strip().splitlines()[-1]), "load_before": load,
                         "load_after": os.getloadavg()}
        print(f"{kind:>8}: {json.dumps(results[kind])}", flush=True)
    print(f"load average after: {os.getloadavg()}")
    if args.out:
        args.out.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
