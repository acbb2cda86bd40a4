"""Ingestion throughput and memory, side by side with Neo4j's own LOAD CSV.

Prints, for a simulated city of N records (default 1M):
  1. ScalperNet ingest into an empty graph: records/s and the Python process's peak RSS,
     sampled along the run to show memory stays flat in the file size;
  2. ScalperNet ingest of a second city (a later year) into the graph already holding N;
  3. LOAD CSV with CALL {...} IN TRANSACTIONS loading the first city's files into the same
     model in the same server, empty graph again; and the ratio of (1) to (3).

Run against the local server (LOAD CSV reads from its import folder):
    .venv/bin/python bench/bench_ingest.py --records 1000000
It empties the configured graph: point SCALPERNET_DATA_DIR/SCALPERNET_BOLT_PORT at a
server whose data you do not need.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import tempfile
import threading
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import psutil

from scalpernet.config import get_settings
from scalpernet.graph import get_graph
from scalpernet.graph.schema import _applied, ensure_schema, reset_graph
from scalpernet.graph.session import close_graph
from scalpernet.ingest.pipeline import ingest_paths
from scalpernet.localserver import LocalServer
from scalpernet.simulate import WorldParams, simulate


class RssSampler(threading.Thread):
    """Samples this process's RSS every 0.5 s; keeps the peak and the samples."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[tuple[float, int]] = []
        self.stop = threading.Event()

    def run(self) -> None:
        proc = psutil.Process()
        start = time.monotonic()
        while not self.stop.wait(0.5):
            self.samples.append((time.monotonic() - start, proc.memory_info().rss))

    def quartiles(self) -> list[int]:
        if not self.samples:
            return []
        n = len(self.samples)
        return [self.samples[min(n - 1, int(n * q))][1] // 2**20 for q in (0.25, 0.5, 0.75)] + [
            max(s[1] for s in self.samples) // 2**20]


def _server() -> psutil.Process | None:
    """The local Neo4j process, to charge its CPU time to each phase."""
    pid_file = get_settings().server_dir / "run" / "neo4j.pid"
    try:
        return psutil.Process(int(pid_file.read_text().strip()))
    except (OSError, ValueError, psutil.Error):
        return None


def _cpu(proc: psutil.Process | None) -> float:
    if proc is None:
        return float("nan")
    times = proc.cpu_times()
    return times.user + times.system


def fresh_database() -> None:
    """An empty graph, fast: with a local server, its store files are removed between runs
    (deleting millions of nodes with Cypher takes longer than the runs themselves)."""
    settings = get_settings()
    if settings.external:
        reset_graph(get_graph())
        return
    server = LocalServer(settings)
    close_graph()
    server.stop()
    for kind in ("databases", "transactions"):
        shutil.rmtree(settings.server_dir / "data" / kind / settings.neo4j_database,
                      ignore_errors=True)
    server.start()
    _applied.clear()
    ensure_schema(get_graph())


def timed_ingest(files: list[Path], label: str, batch: int, writers: int) -> float:
    graph = get_graph()
    sampler = RssSampler()
    sampler.start()
    server = _server()
    server_cpu, client_cpu = _cpu(server), time.process_time()
    began = time.perf_counter()
    report = ingest_paths(graph, files, batch_size=batch, writers=writers, force=True,
                          quarantine_path=Path(tempfile.mkdtemp()) / "q.jsonl")
    seconds = time.perf_counter() - began
    sampler.stop.set()
    sampler.join()
    rate = report.read / seconds
    print(f"{label} (batch {batch}, {writers} writers): {report.read:,} rows in "
          f"{seconds:.1f} s = {rate:,.0f} records/s (ingested {report.ingested:,}, already "
          f"present {report.already_present:,}, quarantined {report.quarantined:,}); "
          f"CPU us/record: Neo4j {1e6 * (_cpu(server) - server_cpu) / report.read:,.0f}, "
          f"Python {1e6 * (time.process_time() - client_cpu) / report.read:,.0f}; "
          f"load {os.getloadavg()[0]:.1f}; RSS MiB at 25/50/75% and peak: "
          f"{sampler.quartiles()}", flush=True)
    return rate


def timed_load_csv(files: list[Path], batch: int) -> float:
    graph = get_graph()
    import_dir = get_settings().server_dir / "import" / "bench"
    import_dir.mkdir(parents=True, exist_ok=True)
    rows = 0
    server = _server()
    server_cpu = _cpu(server)
    began = time.perf_counter()
    for path in files:
        shutil.copy(path, import_dir / path.name)
        with path.open("rb") as handle:
            rows += sum(1 for _ in handle) - 1
        graph.run_autocommit("bench_load_csv", url=f"file:///bench/{path.name}", batch=batch,
                             file=str(path), run="bench-load-csv")
    seconds = time.perf_counter() - began
    shutil.rmtree(import_dir)
    rate = rows / seconds
    print(f"LOAD CSV, same model, no validation (batch {batch}), empty graph: {rows:,} rows "
          f"in {seconds:.1f} s = {rate:,.0f} records/s; CPU us/record: Neo4j "
          f"{1e6 * (_cpu(server) - server_cpu) / rows:,.0f}; load {os.getloadavg()[0]:.1f}",
          flush=True)
    return rate


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--skip-second", action="store_true")
    parser.add_argument("--skip-load-csv", action="store_true")
    parser.add_argument("--without", default="",
                        help="Registration indexes to drop before ingesting, to measure what "
                             "each costs: booked_at, ingest_run (comma-separated)")
    args = parser.parse_args()
    dropped = [name for name in args.without.split(",") if name]
    settings = get_settings()
    from scalpernet.localserver import LocalServer
    from scalpernet.servermemory import describe

    print(f"Neo4j {describe(LocalServer(settings).memory)}", flush=True)

    work = Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    first = simulate(work / "a", records=args.records, seed=args.seed)
    files_a = sorted(first.files)
    print(f"city A: {first.records:,} records in {len(files_a)} files "
          f"({sum(f.stat().st_size for f in files_a) / 2**20:,.0f} MiB); "
          f"cpus {os.cpu_count()}, load {os.getloadavg()[0]:.1f}", flush=True)

    fresh_database()
    for name in dropped:
        get_graph().run_autocommit(f"bench_drop_index_{name}")
    print(f"Registration indexes dropped: {dropped or 'none'}", flush=True)
    ours = timed_ingest(files_a, "ScalperNet ingest, empty graph", args.batch, args.writers)
    if not args.skip_second:
        later = replace(WorldParams(), start=date(2026, 3, 2))
        second = simulate(work / "b", records=args.records, seed=args.seed + 1, params=later)
        timed_ingest(sorted(second.files), f"ScalperNet ingest, graph holding {first.records:,}",
                     args.batch, args.writers)
    if not args.skip_load_csv:
        fresh_database()
        theirs = timed_load_csv(files_a, args.batch)
        print(f"ratio ScalperNet / LOAD CSV (empty graph): {ours / theirs:.2f}")
    print(f"process peak RSS (ru_maxrss): "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MiB")
    shutil.rmtree(work)


if __name__ == "__main__":
    main()
