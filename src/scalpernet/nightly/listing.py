"""What ``scalpernet runs`` prints: recent nightly passes and ingestion runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from scalpernet.config import Settings
from scalpernet.graph import Graph
from scalpernet.ingest import runs
from scalpernet.nightly import ledger
from scalpernet.nightly.passes import nightly_zone


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _counts(item: dict[str, Any]) -> str:
    return (f"read {item.get('read') or 0:,}, ingested {item.get('ingested') or 0:,}, "
            f"present {item.get('already_present') or 0:,}, "
            f"quarantined {item.get('quarantined') or 0:,}")


def pass_line(p: dict[str, Any], zone: ZoneInfo) -> str:
    """One pass in one or two lines (the second says what went wrong)."""
    files = p.get("files") or []
    outcomes = {o: sum(1 for f in files if f.get("outcome") == o)
                for o in ("ingested", "duplicate", "failed", "retry")}
    analysis = p.get("analysis") or {}
    found = (f"{analysis['networks']} networks" if "networks" in analysis
             else "not run" if analysis else "-")
    line = (f"  {p['id']}  {_when(p.get('started_at'), zone)}  {p.get('status', '?'):<9} "
            f"{p.get('duration_s') or 0:>7.1f} s  files: "
            + ", ".join(f"{n} {o}" for o, n in outcomes.items())
            + f", {p.get('waiting') or 0} waiting; rows: {_counts(p)}; analysis: {found}"
            + ("  [local log only]" if p.get("recorded_in") == "local log" else ""))
    if p.get("error"):
        line += f"\n      {p['error']}"
    return line


def ingest_line(r: dict[str, Any], zone: ZoneInfo) -> str:
    """One run in one or two lines (the second says what went wrong)."""
    line = (f"  {r['id']}  {_when(r.get('started_at'), zone)}  {r.get('status', '?'):<9} "
            f"files {len(r.get('files') or [])}; rows: {_counts(r)}")
    if r.get("error"):
        line += f"\n      {r['error']}"
    return line


def runs_report(graph: Graph | None, settings: Settings, *, limit: int,
                as_json: bool = False) -> str:
    """Recent passes (Neo4j and the local log) and, with a graph, recent ingestion runs."""
    passes = ledger.recent_passes(graph, settings.data_dir, limit=limit)
    ingest_runs = runs.recent_runs(graph, limit=limit) if graph is not None else []
    if as_json:
        return orjson.dumps({"nightly_passes": passes, "ingest_runs": ingest_runs},
                            option=orjson.OPT_INDENT_2).decode()
    zone = nightly_zone(settings)
    lines = [f"nightly passes (newest first, times in {settings.nightly_timezone}):"]
    lines += [pass_line(p, zone) for p in passes] or ["  none yet"]
    if graph is not None:
        lines.append("ingestion runs (newest first):")
        lines += [ingest_line(r, zone) for r in ingest_runs] or ["  none yet"]
    return "\n".join(lines)
