"""What ``scalpernet analyze``, ``networks`` and ``evaluate`` print (the CLI stays thin)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson

from scalpernet.config import get_settings
from scalpernet.detect.analyze import Analysis, analyze
from scalpernet.detect.evaluate import evaluate, format_report, load_truth, to_json
from scalpernet.detect.params import DetectParams
from scalpernet.entities import ROLES
from scalpernet.graph import Graph
from scalpernet.locale import DEFAULT_LANG, signal_detail
from scalpernet.messages import say, tier, timing_name
from scalpernet.results.models import Network, NetworksDocument
from scalpernet.results.store import all_networks, current_run

#: The fields of `networks --json` (contracts §4), and the actors it adds.
_NETWORK_FIELDS = {"id", "risk", "size", "signals", "actors", "status", "closed_at"}
_MEMBER_FIELDS = {"kind", "key", "role", "score"}


def analysis_summary(result: Analysis, lang: str = DEFAULT_LANG) -> str:
    """A few lines in `lang`: networks, members by role, duration."""
    s, params = result.run.summary, result.run.params
    roles = s.get("members_by_role", {})
    lines = [
        say("analysis.head", lang, run_id=result.run.id, networks=s.get("networks", 0),
            members=s.get("members", 0), seconds=result.timings.get("total", 0.0))
        + (say("analysis.closed", lang, closed=s["closed_networks"])
           if s.get("closed_networks") else ""),
        say("analysis.window", lang, days=params["window_days"], start=params["window_start"])
        if params.get("window_start") else say("analysis.whole", lang),
        say("analysis.roles", lang,
            roles=", ".join(f"{tier(r, lang)} {roles.get(r, 0)}" for r in ROLES)),
        say("analysis.counts", lang, registrations=s.get("registrations", 0),
            entities=s.get("entities", 0), ring=s.get("ring_bookings", 0),
            triggered=s.get("triggered_channels", 0), damp=s.get("damp_identifiers", 0),
            allowlisted=s.get("allowlisted", 0)),
        say("analysis.stages", lang, stages=", ".join(
            f"{timing_name(k, lang)} {say('seconds', lang, seconds=v)}"
            for k, v in result.timings.items())),
    ]
    return "\n".join(lines)


def run_analyze(graph: Graph, *, window_days: int | None = None, as_json: bool = False,
                kept: Path | None = None, lang: str = DEFAULT_LANG) -> str:
    """Analyze the window (``window_days`` back from the newest booking, default from the
    settings; 0: the whole graph), store the results, and say what was found. ``kept``: a
    folder where the window read is kept between analyses, so that only what changed is
    read again (the nightly pass; same results as a full read)."""
    from scalpernet.nightly.window import KeptWindow

    days = get_settings().analysis_window_days if window_days is None else window_days
    source = KeptWindow(kept) if kept is not None else None
    result = analyze(graph, DetectParams(window_days=days), source=source)
    if source is not None:
        source.save()
    if as_json:
        return orjson.dumps({"run_id": result.run.id, **result.run.summary,
                             "timings_s": result.timings}, option=orjson.OPT_INDENT_2).decode()
    return analysis_summary(result, lang)


def networks_document(graph: Graph) -> dict[str, Any]:
    """The stored networks in the contract's shape, highest risk first."""
    run = current_run(graph)
    nets = all_networks(graph) if run is not None else []
    doc = NetworksDocument(run_id=run.id if run else None, networks=nets)
    return doc.model_dump(mode="json", include={
        "run_id": True,
        "networks": {"__all__": {**{f: True for f in _NETWORK_FIELDS},
                                 "members": {"__all__": _MEMBER_FIELDS}}},
    })


def _ordered(doc: dict[str, Any]) -> dict[str, Any]:
    """Contract key order: id, risk, size, signals, members; then the actors, the status
    (``active`` or ``closed``) and when it closed."""
    order = ("id", "risk", "size", "signals", "members", "actors", "status", "closed_at")
    nets = [{k: n[k] for k in order} for n in doc["networks"]]
    for n in nets:
        n["members"] = [{k: m[k] for k in ("kind", "key", "role", "score")} for m in n["members"]]
    return {"run_id": doc["run_id"], "networks": nets}


def run_networks(graph: Graph, *, as_json: bool, lang: str = DEFAULT_LANG) -> str:
    """`networks --json` prints the contract document; without it, one line per network in
    `lang` (its strongest signal explained in `lang` too)."""
    doc = _ordered(networks_document(graph))
    if as_json:
        return orjson.dumps(doc).decode()
    if doc["run_id"] is None:
        return say("networks.none", lang)
    lines = [say("networks.head", lang, run_id=doc["run_id"], n=len(doc["networks"]))]
    for n in doc["networks"]:
        people = {r: sum(1 for a in n["actors"] if a["role"] == r) for r in ROLES}
        first = n["signals"][0] if n["signals"] else None
        top = signal_detail(first["name"], first["detail"], lang) if first else ""
        closed = (say("networks.closed", lang, date=n["closed_at"][:10])
                  if n["status"] == "closed" else "")
        lines.append(say("networks.line", lang, id=n["id"], closed=closed, risk=n["risk"],
                         size=n["size"], people=len(n["actors"]),
                         roles=" ".join(f"{tier(r, lang)} {c}" for r, c in people.items() if c))
                     + (f"  | {top}" if top else ""))
    return "\n".join(lines)


def stored_networks(graph: Graph) -> list[Network]:
    return all_networks(graph) if current_run(graph) is not None else []


def run_evaluate(graph: Graph, truth: Path, *, as_json: bool = False) -> str:
    """Score the stored results against ``truth``."""
    report = evaluate(stored_networks(graph), load_truth(truth))
    return to_json(report) if as_json else format_report(report)
