"""Robustness sweep: a grid of simulated cities through the real pipeline on Neo4j.

Each point is a city (seed, size, world knobs, export shape) that is simulated, ingested
into an emptied local graph with ``scalpernet ingest``, analysed with ``scalpernet analyze``
and scored with ``scalpernet evaluate --json`` against its truth. The table gives, per point,
gangs found, member precision and recall, look-alikes flagged, tier accuracy on core members,
and the worst point of each column.

    SCALPERNET_DATA_DIR=... SCALPERNET_BOLT_PORT=... .venv/bin/python bench/bench_robustness.py \
        [--grid holdout|tuning|smoke] [--only NAME ...] [--out out/robustness] [--keep]

Seeds are split once and for all: detection is tuned on the ``tuning`` grid's seeds
(``TUNING_SEEDS``) and reported on the ``holdout`` grid, whose seeds it never saw. The goal
(every holdout point): all gangs found, precision >= 0.97, recall >= 0.95, look-alikes
flagged <= 0.5 %, tier accuracy on core members >= 0.95.

Cities are cached under ``--out`` by their spec (a rerun only re-ingests and re-analyses);
``--markdown FILE`` writes the table for ``bench/results/``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent / "scalpernet"

#: Seeds detection may be tuned on; every other seed is for reporting only.
TUNING_SEEDS = (11, 12, 13, 14)
#: Seeds reported on (never tuned on).
HOLDOUT_SEEDS = (101, 102, 103, 104, 105, 106)

#: Export shapes: optional columns left out of the files.
NO_DEVICE_ACCOUNT_AGENT = ("device_id", "account_id", "escort_agent_id", "escort_agent_name",
                           "escort_agent_phone")
NO_AGENTS = ("escort_agent_id", "escort_agent_name", "escort_agent_phone")
NO_RELEASE = ("released_at",)


@dataclass(frozen=True)
class Point:
    """One city of the grid."""

    name: str
    seed: int
    records: int
    world: str = "wide"  # "default" or "wide"
    knobs: dict = field(default_factory=dict)
    drop: tuple[str, ...] = ()
    fmt: str = "csv"

    def spec(self) -> str:
        return json.dumps({"seed": self.seed, "records": self.records, "world": self.world,
                           "knobs": self.knobs, "drop": list(self.drop), "fmt": self.fmt},
                          sort_keys=True)

    def digest(self) -> str:
        return hashlib.sha256(self.spec().encode()).hexdigest()[:10]


def grid(which: str) -> list[Point]:
    """The points of a grid: sizes, worlds and export shapes crossed with its seeds."""
    if which == "smoke":
        return [Point("smoke-default", 101, 20_000, world="default"),
                Point("smoke-wide", 101, 20_000)]
    seeds = TUNING_SEEDS if which == "tuning" else HOLDOUT_SEEDS
    sizes = (20_000, 50_000, 100_000, 200_000)
    shapes: list[tuple[str, tuple[str, ...]]] = [
        ("full", ()), ("no-dev-acct-agent", NO_DEVICE_ACCOUNT_AGENT), ("no-agents", NO_AGENTS)]
    points = []
    for i, seed in enumerate(seeds):
        size = sizes[i % len(sizes)]
        for shape, drop in shapes:
            points.append(Point(f"s{seed}-{size // 1000}k-{shape}", seed, size, drop=drop))
    # the default world (the demo's) stays perfect
    points.append(Point(f"s{seeds[0]}-100k-default", seeds[0], 100_000, world="default"))
    return points


def simulate(point: Point, out: Path) -> Path:
    """The point's city on disk (cached by spec)."""
    from scalpernet.simulate import WorldParams
    from scalpernet.simulate import simulate as run_simulation

    city = out / f"{point.name}-{point.digest()}"
    if (city / "truth.json").exists():
        return city
    shutil.rmtree(city, ignore_errors=True)
    knobs = {**point.knobs, "drop_columns": point.drop}
    params = WorldParams.wide(**knobs) if point.world == "wide" else WorldParams(**knobs)
    run_simulation(city, records=point.records, seed=point.seed, fmt=point.fmt, params=params)
    return city


def cli(*args: str) -> str:
    """Run a ``scalpernet`` command; its failure stops the sweep with its one-line reason."""
    done = subprocess.run([str(BIN), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"scalpernet {' '.join(args[:2])} failed: {tail[0]}")
    return done.stdout


def run_point(point: Point, out: Path) -> dict:
    """Simulate, ingest into an emptied graph, analyse, evaluate; the scores and timings."""
    t0 = time.perf_counter()
    city = simulate(point, out)
    t1 = time.perf_counter()
    cli("db", "reset", "--yes")
    cli("ingest", str(city))
    t2 = time.perf_counter()
    cli("analyze")
    t3 = time.perf_counter()
    report = json.loads(cli("evaluate", "--truth", str(city / "truth.json"), "--json"))
    report["timings_s"] = {"simulate": round(t1 - t0, 1), "ingest": round(t2 - t1, 1),
                           "analyze": round(t3 - t2, 1)}
    return report


def row(point: Point, r: dict) -> list[str]:
    found = f"{r['gangs_recovered']}/{r['gangs']}"
    fp = f"{r['innocent_flagged']}/{r['innocent']} ({100 * r['innocent_false_positive_rate']:.2f}%)"
    return [point.name, found, f"{r['precision']:.3f}", f"{r['recall']:.3f}", fp,
            f"{r['role_accuracy']:.3f}"]


def passes(r: dict) -> bool:
    return (r["gangs_recovered"] == r["gangs"] and r["precision"] >= 0.97
            and r["recall"] >= 0.95 and r["innocent_false_positive_rate"] <= 0.005
            and r["role_accuracy"] >= 0.95)


def table(results: list[tuple[Point, dict]]) -> str:
    head = ["point", "gangs found", "precision", "recall", "look-alikes flagged",
            "tier accuracy (core)", "goal"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for p, r in results:
        lines.append("| " + " | ".join([*row(p, r), "met" if passes(r) else "**missed**"])
                     + " |")
    if results:
        worst = [
            min(results, key=lambda t: t[1]["gang_recovery"]),
            min(results, key=lambda t: t[1]["precision"]),
            min(results, key=lambda t: t[1]["recall"]),
            max(results, key=lambda t: t[1]["innocent_false_positive_rate"]),
            min(results, key=lambda t: t[1]["role_accuracy"]),
        ]
        cells = [
            f"{worst[0][1]['gangs_recovered']}/{worst[0][1]['gangs']} ({worst[0][0].name})",
            f"{worst[1][1]['precision']:.3f} ({worst[1][0].name})",
            f"{worst[2][1]['recall']:.3f} ({worst[2][0].name})",
            f"{100 * worst[3][1]['innocent_false_positive_rate']:.2f}% ({worst[3][0].name})",
            f"{worst[4][1]['role_accuracy']:.3f} ({worst[4][0].name})",
        ]
        met = sum(passes(r) for _, r in results)
        lines.append("| **worst** | " + " | ".join(cells) + f" | {met}/{len(results)} met |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", choices=("holdout", "tuning", "smoke"), default="holdout")
    ap.add_argument("--only", nargs="*", help="run only the points with these names")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "robustness")
    ap.add_argument("--json", type=Path, help="write every point's full report here")
    ap.add_argument("--markdown", type=Path, help="write the table here")
    args = ap.parse_args()
    points = grid(args.grid)
    if args.only:
        points = [p for p in points if p.name in set(args.only)]
    cli("db", "start")
    print(f"load average {os.getloadavg()[0]:.1f}; grid {args.grid}: {len(points)} points; "
          f"tuning seeds {TUNING_SEEDS}, holdout seeds {HOLDOUT_SEEDS}", flush=True)
    results: list[tuple[Point, dict]] = []
    for p in points:
        r = run_point(p, args.out)
        results.append((p, r))
        t = r["timings_s"]
        print(" | ".join(row(p, r)) + f"  [{'met' if passes(r) else 'MISSED'}; ingest "
              f"{t['ingest']} s, analyze {t['analyze']} s]", flush=True)
    text = table(results)
    print()
    print(text)
    if args.markdown:
        args.markdown.write_text(text + "\n", encoding="utf-8")
    if args.json:
        args.json.write_text(json.dumps({p.name: {"spec": json.loads(p.spec()), **r}
                                         for p, r in results}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
