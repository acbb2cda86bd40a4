"""What ``scalpernet runs`` prints: recent nightly passes and ingestion runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import orjson

from scalpernet.config import Settings
from scalpernet.graph import Graph
from scalpernet.ingest import runs
from scalpernet.messages import say
from scalpernet.nightly import ledger
from scalpernet.nightly.passes import nightly_zone


def _when(value: datetime | None, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%Y-%m-%d %H:%M:%S") if value else "-"


def _counts(item: dict[str, Any], lang: str) -> str:
    return say("runs.counts", lang, read=item.get("read") or 0,
               ingested=item.get("ingested") or 0, present=item.get("already_present") or 0,
               quarantined=item.get("quarantined") or 0)


def pass_line(p: dict[str, Any], zone: ZoneInfo, lang: str = "en") -> str:
    """One pass in one or two lines (the second says what went wrong)."""
    files = p.get("files") or []
    outcomes = {o: sum(1 for f in files if f.get("outcome") == o)
                for o in ("ingested", "duplicate", "failed", "retry")}
    analysis = p.get("analysis") or {}
    found = (say("runs.networks", lang, n=analysis["networks"]) if "networks" in analysis
             else say("runs.not_run", lang) if analysis else "-")
    line = (say("runs.pass", lang, id=p["id"], at=_when(p.get("started_at"), zone),
                status=p.get("status", "?"), seconds=p.get("duration_s") or 0,
                files=", ".join(say(f"outcome.{o}", lang, n=n) for o, n in outcomes.items()),
                waiting=p.get("waiting") or 0, counts=_counts(p, lang), analysis=found)
            + (say("runs.local_log", lang) if p.get("recorded_in") == "local log" else ""))
    if p.get("error"):
        line += f"\n      {p['error']}"
    return line


def ingest_line(r: dict[str, Any], zone: ZoneInfo, lang: str = "en") -> str:
    """One run in one or two lines (the second says what went wrong)."""
    line = say("runs.ingest", lang, id=r["id"], at=_when(r.get("started_at"), zone),
               status=r.get("status", "?"), files=len(r.get("files") or []),
               counts=_counts(r, lang))
    if r.get("error"):
        line += f"\n      {r['error']}"
    return line


def runs_report(graph: Graph | None, settings: Settings, *, limit: int,
                as_json: bool = False, lang: str = "en") -> str:
    """Recent passes (Neo4j and the local log) and, with a graph, recent ingestion runs;
    the words in `lang`."""
    passes = ledger.recent_passes(graph, settings.data_dir, limit=limit)
    ingest_runs = runs.recent_runs(graph, limit=limit) if graph is not None else []
    if as_json:
        return orjson.dumps({"nightly_passes": passes, "ingest_runs": ingest_runs},
                            option=orjson.OPT_INDENT_2).decode()
    zone = nightly_zone(settings)
    lines = [say("runs.passes", lang, zone=settings.nightly_timezone)]
    lines += [pass_line(p, zone, lang) for p in passes] or [say("runs.none", lang)]
    if graph is not None:
        lines.append(say("runs.ingests", lang))
        lines += [ingest_line(r, zone, lang) for r in ingest_runs] or [say("runs.none", lang)]
    return "\n".join(lines)
