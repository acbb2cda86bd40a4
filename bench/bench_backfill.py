"""A backfill from files to a served, analysable graph: --bulk beside the transactional path.

One run, side by side, on one generated export (seed 7, bench_dry_run.generate):
  1. the dry run on the single path: rows/s and peak RSS;
  2. ``ingest --bulk`` into an empty database, end to end (validate, write the importer's
     files, stop the server, import, start it, apply the schema, record the run);
  3. the transactional ingest of the first ``--tx-rows`` rows into an empty database
     (its rate is flat in the size; 1M rows would take most of an hour here).
Each step runs in a fresh process, so each peak RSS is its own. It needs a server of its
own: point SCALPERNET_DATA_DIR and SCALPERNET_BOLT_PORT at one whose data you do not need.

    uptime; flock /tmp/scalpernet-bench.lock .venv/bin/python bench/bench_backfill.py \\
        --rows 1000000
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))


def _peak_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cpu() -> float:
    """CPU seconds of this process and its finished children (the importer, not the
    server, which runs on)."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def step(kind: str, path: Path) -> dict[str, object]:
    """One measured step, in this process."""
    from scalpernet.config import get_settings
    from scalpernet.graph import get_graph
    from scalpernet.graph.schema import ensure_schema, reset_graph
    from scalpernet.localserver import LocalServer

    settings = get_settings()
    if kind != "dry":
        LocalServer(settings).start()
        graph = get_graph()
        ensure_schema(graph)
        reset_graph(graph)
    started = time.perf_counter()
    if kind == "dry":
        from scalpernet.ingest.validate import validate_paths

        report = validate_paths([path])
    elif kind == "bulk":
        from scalpernet.ingest.bulk import bulk_load

        stages: dict[str, float] = {}
        cpu: dict[str, float] = {}
        last = [time.perf_counter(), _cpu(), ""]

        def on_stage(name: str, _: object) -> None:  # wall and CPU seconds of each stage
            now, used, stage = time.perf_counter(), _cpu(), str(last[2])
            stages[stage] = round(stages.get(stage, 0) + now - float(last[0]), 1)
            cpu[stage] = round(cpu.get(stage, 0) + used - float(last[1]), 1)
            last[:] = [now, used, name.split(":")[0]]

        report = bulk_load(settings, [path], on_stage=on_stage)
    else:
        from scalpernet.ingest.pipeline import ingest_paths

        report = ingest_paths(get_graph(), [path])
    seconds = time.perf_counter() - started
    extra = {"stages": {k: v for k, v in stages.items() if k},
             "cpu_s": {k: v for k, v in cpu.items() if k}} if kind == "bulk" else {}
    return {**extra, "rows": report.read, "seconds": round(seconds, 1),
            "rows_per_s": round(report.read / seconds), "peak_rss_mb": round(_peak_mb())}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--tx-rows", type=int, default=50_000)
    parser.add_argument("--file", type=Path,
                        help="an export (a file or a folder) to use instead of generating")
    parser.add_argument("--steps", default="dry,bulk,transactional",
                        help="which steps to run, comma-separated")
    parser.add_argument("--step", nargs=2, help=argparse.SUPPRESS)  # child process mode
    args = parser.parse_args()
    if args.step:
        print(json.dumps(step(args.step[0], Path(args.step[1]))))
        return
    from bench_dry_run import generate
    from scalpernet.ingest.readers import source_files

    with tempfile.TemporaryDirectory(prefix="bench-backfill-") as tmp:
        path = args.file or Path(tmp) / "export.csv"
        if args.file is None:
            generate(path, args.rows)
        head = Path(tmp) / "head.csv"
        if "transactional" in args.steps:  # the first rows of one file
            with min(source_files([path])).open("rb") as src, head.open("wb") as out:
                for i, line in enumerate(src):
                    if i > args.tx_rows:
                        break
                    out.write(line)
        print(f"load average before: {os.getloadavg()}, {os.cpu_count()} CPUs")
        results = {}
        for kind, file in (("dry", path), ("bulk", path), ("transactional", head)):
            if kind not in args.steps.split(","):
                continue
            out = subprocess.run([sys.executable, __file__, "--step", kind, str(file)],
                                 check=True, stdout=subprocess.PIPE, text=True).stdout
            results[kind] = json.loads(out.strip().splitlines()[-1])
            print(f"{kind:>13}: {results[kind]}", flush=True)
        if {"bulk", "transactional"} <= results.keys():
            ratio = results["bulk"]["rows_per_s"] / results["transactional"]["rows_per_s"]
            print(f"--bulk / transactional: {ratio:.1f}x")
        print(f"load average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
