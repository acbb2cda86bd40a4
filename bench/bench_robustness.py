"""Robustness sweep: a grid of simulated cities through the real pipeline on Neo4j.

Each point is a city (seed, size, world knobs, export shape) that is simulated, ingested
into an emptied local graph with ``scalpernet ingest``, analysed with ``scalpernet analyze``
and scored with ``scalpernet evaluate --json`` against its truth. The table gives, per point,
gangs found, member precision and recall, look-alikes flagged, tier accuracy on core members,
and the worst point of each column.

    SCALPERNET_DATA_DIR=... SCALPERNET_BOLT_PORT=... .venv/bin/python bench/bench_robustness.py \
        [--grid holdout|tuning|smoke] [--only NAME ...] [--out out/robustness] \\
        [--json FILE --markdown FILE [--resume]]

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
#: Seeds reported on (never tuned on). Seeds 101-106 were the holdout of the first sweep;
#: its misses were diagnosed on them, so they are retired and each sweep after a round of
#: tuning takes seeds no one has looked at.
HOLDOUT_SEEDS = (107, 108, 109, 110, 111, 112)
RETIRED_SEEDS = (101, 102, 103, 104, 105, 106)
#: Tuning points that force one hard kind of gang on every gang of a tuning city: the
#: second-level scalpers pay from their own accounts and are never written on a booking
#: (seen on retired seed 105), with and without the device, account and agent columns.
STRESS_KNOBS = {"money": ("agents",), "agents_written": ("never",)}

#: Export shapes: optional columns left out of the files.
NO_DEVICE_ACCOUNT_AGENT = ("device_id", "account_id", "escort_agent_id", "escort_agent_name",
                           "escort_agent_phone")
NO_AGENTS = ("escort_agent_id", "escort_agent_name", "escort_agent_phone")
NO_RELEASE = ("released_at",)
#: Largest city of the export-shape points (the full export runs at every size).
SHAPE_RECORDS = 50_000


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
    #: "gb18030-zh": the CSV files re-encoded in GB18030 with Chinese headers (an export
    #: from a hospital system configured for Chinese)
    encoding: str = "utf-8"

    def spec(self) -> str:
        return json.dumps({"seed": self.seed, "records": self.records, "world": self.world,
                           "knobs": self.knobs, "drop": list(self.drop), "fmt": self.fmt,
                           "encoding": self.encoding}, sort_keys=True)

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
        # the full export at the seed's size; the other shapes at up to SHAPE_RECORDS, so
        # that the grid fits an afternoon on two cores
        small = min(size, SHAPE_RECORDS)
        for shape, drop in shapes:
            n = size if not drop else small
            points.append(Point(f"s{seed}-{n // 1000}k-{shape}", seed, n, drop=drop))
        if i % 2 == 0:
            points.append(Point(f"s{seed}-{small // 1000}k-gb18030", seed, small,
                                encoding="gb18030-zh"))
    if which == "tuning":
        for seed in seeds[:2]:
            for shape, drop in shapes[:2]:
                points.append(Point(f"s{seed}-50k-agents-pay-{shape}", seed, 50_000,
                                    knobs=STRESS_KNOBS, drop=drop))
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
    if point.encoding == "gb18030-zh":
        _to_chinese_export(city)
    return city


def _to_chinese_export(city: Path) -> None:
    """Rewrite the city's CSV files in GB18030 with each column's first Chinese alias."""
    from scalpernet.records import ALIASES

    chinese = {field: next(a for a in aliases if not a.isascii())
               for field, aliases in ALIASES.items()}
    for path in sorted(city.glob("registrations_*.csv")):
        text = path.read_text(encoding="utf-8")
        head, _, body = text.partition("\n")
        header = ",".join(chinese.get(name, name) for name in head.split(","))
        path.write_bytes((header + "\n" + body).encode("gb18030"))


def cli(*args: str) -> str:
    """Run a ``scalpernet`` command; its failure stops the sweep with its one-line reason."""
    done = subprocess.run([str(BIN), *args], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
        raise SystemExit(f"scalpernet {' '.join(args[:2])} failed: {tail[0]}")
    return done.stdout


def _cards(truth: dict) -> set[str]:
    """The truth's gang ID cards (ID-card level scoring)."""
    return {m["key"] for g in truth["gangs"] for m in g["members"] if m["kind"] == "id_card"}


def _scores(flagged: set[str], positives: set[str]) -> dict[str, float]:
    hit = len(flagged & positives)
    return {"flagged": len(flagged), "precision": round(hit / len(flagged), 4) if flagged else 0.0,
            "recall": round(hit / len(positives), 4) if positives else 0.0}


def zou_baseline(city: Path, encoding: str = "utf-8") -> set[str]:
    """The published rule of Zou et al. (2026) on the city's files: an account is abnormal
    when it meets two of: more than 3 cancellations within 48 h; a device it used has more
    than 5 visit cards; a booking completed under 2 s after release. The ID numbers its
    bookings were for are flagged. Without an account column it flags nothing."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    from scalpernet.records import ALIASES

    canonical = {alias: name for name, aliases in ALIASES.items() for alias in aliases}
    text = ("account_id", "device_id", "visit_card", "id_number", "released_at", "booked_at",
            "cancelled_at")
    chinese = encoding == "gb18030-zh"
    tables = []
    for f in sorted(city.glob("registrations_*.csv")):
        t = pacsv.read_csv(f, read_options=pacsv.ReadOptions(
            encoding="gb18030" if chinese else "utf8"), convert_options=pacsv.ConvertOptions(
            column_types={n: pa.string() for c in text for n in (c, *ALIASES.get(c, ()))}))
        tables.append(t.rename_columns([canonical.get(c, c) for c in t.column_names]))
    table = pa.concat_tables(tables, promote_options="default")
    if "account_id" not in table.column_names:
        return set()

    def col(name: str) -> list:
        return table[name].to_pylist() if name in table.column_names else [None] * len(table)

    def ms(values: list) -> list:
        from datetime import datetime
        return [datetime.fromisoformat(v).timestamp() * 1000 if v else None for v in values]

    accounts, devices, cards, ids = col("account_id"), col("device_id"), col("visit_card"), \
        [v.strip().upper() if v else None for v in col("id_number")]
    released, booked, cancelled = ms(col("released_at")), ms(col("booked_at")), \
        ms(col("cancelled_at"))
    device_cards: dict[str, set] = {}
    for d, c in zip(devices, cards, strict=True):
        if d and c:
            device_cards.setdefault(d, set()).add(c)
    crowded = {d for d, cs in device_cards.items() if len(cs) > 5}
    cancels: dict[str, list[float]] = {}
    fast: set[str] = set()
    on_crowded: set[str] = set()
    for a, d, r, b, c in zip(accounts, devices, released, booked, cancelled, strict=True):
        if not a:
            continue
        if c is not None:
            cancels.setdefault(a, []).append(c)
        if r is not None and b is not None and 0 <= b - r < 2_000:
            fast.add(a)
        if d in crowded:
            on_crowded.add(a)
    burst: set[str] = set()
    for a, times in cancels.items():
        times.sort()
        j = 0
        for i in range(len(times)):
            while times[i] - times[j] > 48 * 3_600_000:
                j += 1
            if i - j + 1 > 3:
                burst.add(a)
                break
    abnormal = {a for a in set(accounts) - {None}
                if (a in burst) + (a in on_crowded) + (a in fast) >= 2}
    return {i for a, i in zip(accounts, ids, strict=True) if a in abnormal and i}


def run_point(point: Point, out: Path, *, bulk: bool = False) -> dict:
    """Simulate, ingest into an emptied graph, analyse, evaluate; the scores and timings."""
    t0 = time.perf_counter()
    city = simulate(point, out)
    t1 = time.perf_counter()
    cli("db", "reset", "--yes")
    cli("ingest", *(["--bulk"] if bulk else []), str(city))
    t2 = time.perf_counter()
    cli("analyze")
    t3 = time.perf_counter()
    report = json.loads(cli("evaluate", "--truth", str(city / "truth.json"), "--json"))
    report["timings_s"] = {"simulate": round(t1 - t0, 1), "ingest": round(t2 - t1, 1),
                           "analyze": round(t3 - t2, 1)}
    # ID-card level, against the published rule on the same files
    truth = json.loads((city / "truth.json").read_text(encoding="utf-8"))
    positives = _cards(truth)
    doc = json.loads(cli("networks", "--json"))
    ours = {m["key"] for n in doc["networks"] for m in n["members"]
            if m["kind"] == "id_card" and m["role"] != "none"}
    report["id_cards"] = {"ours": _scores(ours, positives),
                          "zou_2026": _scores(zou_baseline(city, point.encoding), positives)}
    return report


def row(point: Point, r: dict) -> list[str]:
    found = f"{r['gangs_recovered']}/{r['gangs']}"
    fp = f"{r['innocent_flagged']}/{r['innocent']} ({100 * r['innocent_false_positive_rate']:.2f}%)"
    a = r.get("actors") or {}
    cards = r.get("id_cards", {})
    ours, zou = cards.get("ours", {}), cards.get("zou_2026", {})
    return [point.name, found, f"{r['precision']:.3f}", f"{r['recall']:.3f}", fp,
            f"{r['role_accuracy']:.3f}",
            f"{a.get('tier_accuracy', 0):.3f} ({a.get('tier_accuracy_found', 0):.3f}) / "
            f"{a.get('second_level_one_to_one', 0):.3f} / "
            f"{a.get('patients_merged_with_scalpers', 0)}",
            f"{ours.get('recall', 0):.3f} vs {zou.get('recall', 0):.3f}",
            f"{ours.get('precision', 0):.3f} vs {zou.get('precision', 0):.3f}"]


def passes(r: dict) -> bool:
    return (r["gangs_recovered"] == r["gangs"] and r["precision"] >= 0.97
            and r["recall"] >= 0.95 and r["innocent_false_positive_rate"] <= 0.005
            and r["role_accuracy"] >= 0.95)


def table(results: list[tuple[Point, dict]]) -> str:
    head = ["point", "gangs found", "precision", "recall", "look-alikes flagged",
            "tier accuracy (core)",
            "actors: tiers (of those found) / 2nd level 1:1 / patients merged",
            "ID cards recall: ours vs Zou", "ID cards precision: ours vs Zou", "goal"]
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
        lines.append("| **worst** | " + " | ".join(cells) + f" | | | | {met}/{len(results)} met |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--grid", choices=("holdout", "tuning", "smoke"), default="holdout")
    ap.add_argument("--only", nargs="*", help="run only the points with these names")
    ap.add_argument("--out", type=Path, default=ROOT / "out" / "robustness")
    ap.add_argument("--json", type=Path, help="write every point's full report here")
    ap.add_argument("--markdown", type=Path, help="write the table here")
    ap.add_argument("--bulk", action="store_true", help="load each city with ingest --bulk")
    ap.add_argument("--resume", action="store_true",
                    help="keep the points already in --json (same spec) and run the others")
    args = ap.parse_args()
    points = grid(args.grid)
    if args.only:
        points = [p for p in points if p.name in set(args.only)]
    points.sort(key=lambda p: p.records)  # smallest first: a sweep cut short covers every seed
    done: dict[str, dict] = {}
    if args.resume and args.json and args.json.exists():
        done = json.loads(args.json.read_text(encoding="utf-8"))
    cli("db", "start")
    print(f"load average {os.getloadavg()[0]:.1f}; grid {args.grid}: {len(points)} points; "
          f"tuning seeds {TUNING_SEEDS}, holdout seeds {HOLDOUT_SEEDS}", flush=True)
    results: list[tuple[Point, dict]] = []
    for p in points:
        kept = done.get(p.name)
        if kept is not None and kept.get("spec") == json.loads(p.spec()):
            r = {k: v for k, v in kept.items() if k != "spec"}
        else:
            r = run_point(p, args.out, bulk=args.bulk)
            r["load_average"] = round(os.getloadavg()[0], 1)
        results.append((p, r))
        t = r["timings_s"]
        print(" | ".join(row(p, r)) + f"  [{'met' if passes(r) else 'MISSED'}; ingest "
              f"{t['ingest']} s, analyze {t['analyze']} s]", flush=True)
        # written after every point: a long sweep that stops keeps what it measured
        if args.json:
            args.json.write_text(json.dumps({q.name: {"spec": json.loads(q.spec()), **s}
                                             for q, s in results}, indent=1),
                                 encoding="utf-8")
        if args.markdown:
            args.markdown.write_text(table(results) + "\n", encoding="utf-8")
    print()
    print(table(results))


if __name__ == "__main__":
    main()
