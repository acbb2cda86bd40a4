"""Benchmark the synthetic city: records per second and peak memory, at several sizes.

    .venv/bin/python bench/bench_simulate.py                 # 250k and 1M records, CSV
    .venv/bin/python bench/bench_simulate.py --records 250000 1000000 --format parquet

Each size runs in a fresh process so peak RSS is that run's alone: ``main`` is the parent
(world and truth), ``worker`` the largest hospital-generating process. Memory should stay
flat as records grow: rows stream to the files and identities are computed, not stored.
``cpu s`` counts every process; ``load`` is the 1-minute load average before and after the
run (wall time on a shared machine is only comparable at a similar load). Measure wall time
under the shared lock so benchmarks never overlap::

    flock /tmp/scalpernet-bench.lock .venv/bin/python bench/bench_simulate.py
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile

_CHILD = """
import json, resource, sys, time
from scalpernet.simulate import simulate
records, fmt, workers, out = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4]
cpu0 = time.process_time()
s = simulate(out, records=records, seed=1, fmt=fmt, workers=workers or None)
self_ru = resource.getrusage(resource.RUSAGE_SELF)
kids = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "records": s.records, "seconds": s.seconds, "files": len(s.files), "gangs": s.gangs,
    "gang_bookings": s.gang_bookings, "innocent": s.innocent,
    "cpu_s": self_ru.ru_utime + self_ru.ru_stime + kids.ru_utime + kids.ru_stime,
    "rss_main_mb": self_ru.ru_maxrss / 1024, "rss_worker_mb": kids.ru_maxrss / 1024,
}))
"""


def run(records: int, fmt: str, workers: int) -> dict:
    with tempfile.TemporaryDirectory(prefix="scalpernet-bench-") as out:
        done = subprocess.run([sys.executable, "-c", _CHILD, str(records), fmt, str(workers),
                               out], check=True, capture_output=True, text=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[250_000, 1_000_000])
    ap.add_argument("--format", default="csv", choices=["csv", "jsonl", "parquet"])
    ap.add_argument("--workers", type=int, default=0, help="0: one per CPU")
    args = ap.parse_args()
    print(f"{'records':>10} {'wall s':>7} {'rec/s':>8} {'cpu s':>7} {'rss main MB':>11} "
          f"{'rss worker MB':>13} {'gangs':>5} {'gang rows':>9} {'load':>11}")
    for n in args.records:
        before = os.getloadavg()[0]
        r = run(n, args.format, args.workers)
        load = f"{before:.1f}-{os.getloadavg()[0]:.1f}"
        print(f"{r['records']:>10} {r['seconds']:>7.1f} {r['records'] / r['seconds']:>8.0f} "
              f"{r['cpu_s']:>7.1f} {r['rss_main_mb']:>11.0f} {r['rss_worker_mb']:>13.0f} "
              f"{r['gangs']:>5} {r['gang_bookings']:>9} {load:>11}", flush=True)


if __name__ == "__main__":
    main()
