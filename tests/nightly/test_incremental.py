"""The nightly pass's kept window: after each nightly export, the incremental analysis reads
only what changed and finds exactly what a full analysis of the same graph finds (real Neo4j,
real ingestion)."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from scalpernet.config import get_settings
from scalpernet.detect.analyze import Analysis, ReadWindow, WindowSource, detect
from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import PayerHistory, Projection
from scalpernet.graph import Graph
from scalpernet.ingest.pipeline import ingest_paths
from scalpernet.nightly import run_pass
from scalpernet.nightly.passes import kept_window
from scalpernet.nightly.window import KeptWindow
from scalpernet.results.models import Network
from scalpernet.results.store import all_networks, write_results
from tests.detect.world import START, World, build_stealth_world, build_world
from tests.ingest.exports import HEADER
from tests.nightly.conftest import Drop

#: Short enough that the first days leave the window as the nights go by.
PARAMS = DetectParams(window_days=6)


def _csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    """World rows as a hospital export."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for r in rows:
            out.writerow([
                r["rid"], r["hospital"], r["department"], r["doctor"], r["slot"],
                r["released"], r["booked"], r["paid"] or "", r["status"], r["cancelled"] or "",
                "300", r["name"], r["id_number"], r["phone"] or "", r["card"] or "",
                r["account"] or "", r["device"] or "", r["ip"] or "", r["payer"] or "",
                "alipay" if r["payer"] else "", r["agent"] or "", "", r["agent_phone"] or ""])
    return path


def _gang(row: dict[str, Any]) -> str:
    """Which gang's tool booked the row ('' for honest people)."""
    for gid in ("ga", "gb"):
        if any(str(row[k] or "").startswith(f"{gid}-") for k in ("device", "account", "payer")):
            return gid
    return ""


def _day(row: dict[str, Any]) -> int:
    return (datetime.fromisoformat(row["booked"]) - START).days


@dataclass
class Recorder:
    """A window source that keeps what it gave (to compare the two sources column by
    column)."""

    inner: WindowSource
    proj: Projection | None = None
    history: PayerHistory | None = None
    report: dict[str, Any] = field(default_factory=dict)

    def projection(self, graph: Graph, since_ms: int | None) -> Projection:
        self.proj = self.inner.projection(graph, since_ms)
        self.report = self.inner.report
        return self.proj

    def payer_history(self, graph: Graph, ids: np.ndarray, paid: np.ndarray) -> PayerHistory:
        self.history = self.inner.payer_history(graph, ids, paid)
        return self.history


def _same_projection(a: Projection, b: Projection) -> None:
    for name, value in vars(a).items():
        other = getattr(b, name)
        if isinstance(value, dict):
            assert value.keys() == other.keys(), name
            for k in value:
                assert np.array_equal(np.asarray(value[k]), np.asarray(other[k])), (name, k)
        else:
            assert np.array_equal(value, other), name


def _dumps(result: Analysis) -> list[dict[str, Any]]:
    """Networks as stored, but for when a network closed (the clock of each analysis)."""
    return [n.model_dump(exclude={"closed_at"}) for n in result.networks]


def _night(graph: Graph, kept: Path, export: Path) -> tuple[Analysis, dict[str, Any]]:
    """Ingest one export, analyse it both ways, check they agree, store the incremental
    one (the next night's previous results) and keep its window."""
    report = ingest_paths(graph, [export])
    assert report.status == "complete"
    window = KeptWindow(kept)
    incremental, full = Recorder(window), Recorder(ReadWindow())
    inc = detect(graph, PARAMS, source=incremental)
    whole = detect(graph, PARAMS, source=full)
    assert incremental.proj is not None and full.proj is not None
    _same_projection(incremental.proj, full.proj)
    assert (incremental.history is None) == (full.history is None)
    if full.history is not None:
        assert incremental.history is not None
        for name in ("ids", "bookings", "first_ms", "last_ms"):
            assert np.array_equal(getattr(incremental.history, name),
                                  getattr(full.history, name)), name
    # the same networks, ids, members, tiers, scores, actors and evidence
    assert _dumps(inc) == _dumps(whole)
    assert inc.run.summary["networks"] == whole.run.summary["networks"]
    write_results(graph, inc.run, inc.networks)
    window.save()
    return inc, window.report


def _members(result: Analysis, gid: str) -> set[str]:
    """Ids of the active networks holding one of the gang's tool accounts."""
    return {n.id for n in result.networks if n.status == "active"
            and any(m.kind == "account" and m.key.startswith(f"{gid}-") for m in n.members)}


def test_nightly_increments_give_the_full_analysis_results(empty_graph: Graph,
                                                           tmp_path: Path) -> None:
    world: World = build_world()
    rows = world.rows
    days = {id(r): _day(r) for r in rows}
    first = [r for r in rows if _gang(r) != "gb" and days[id(r)] <= 4]
    graph, kept = empty_graph, tmp_path / "kept"

    # night 0: nothing kept, so everything is read; one network (gang A)
    base, report = _night(graph, kept, _csv(tmp_path / "n0.csv", first))
    assert report["mode"] == "full"
    ga = _members(base, "ga")
    assert len(ga) >= 1 and not _members(base, "gb")

    # night 1: a day of gang A and honest people: the network grows, ids stay
    one, report = _night(graph, kept, _csv(tmp_path / "n1.csv", [
        r for r in rows if _gang(r) != "gb" and days[id(r)] == 5]))
    assert report["mode"] == "incremental" and report["rows_read"] > 0
    assert report["payers_read"] < report["payers"]  # untouched payers are not read again
    assert _members(one, "ga") == ga

    # night 2: gang B starts (its whole first week arrives): a new network
    two, report = _night(graph, kept, _csv(tmp_path / "n2.csv", [
        r for r in rows if _gang(r) == "gb" and days[id(r)] <= 5]))
    assert report["mode"] == "incremental"
    gb = _members(two, "gb")
    assert gb and not gb & ga

    # night 3: gang B's tool books eight more, paid through gang A's payer hub (the two
    # networks become one), and one of gang A's bookings is exported again, now cancelled
    # (ingestion replaces it)
    bridge = [dict(r, rid=f"{r['rid']}-X", payer="ga-alipay-hub")
              for r in rows if _gang(r) == "gb" and days[id(r)] <= 5][:8]
    changed = next(r for r in rows if _gang(r) == "ga" and days[id(r)] == 3
                   and r["cancelled"] is None)
    cancelled = dict(changed, status="cancelled", cancelled=(
        datetime.fromisoformat(changed["booked"]) + timedelta(hours=2)).isoformat())
    three, report = _night(graph, kept, _csv(tmp_path / "n3.csv", [*bridge, cancelled]))
    assert report["mode"] == "incremental" and report["rows_replaced"] == 1
    joined = _members(three, "ga") & _members(three, "gb")
    assert len(joined) == 1 and joined <= ga | gb  # one network, under an id it had

    # night 4: the last days of everyone, and a booking that arrives late from before the
    # window: the first days leave the window
    late = dict(rows[0], rid=f"{rows[0]['rid']}-late", booked=(datetime.fromisoformat(
        rows[0]["booked"]) - timedelta(days=30)).isoformat())
    four, report = _night(graph, kept, _csv(tmp_path / "n4.csv", [
        *[r for r in rows if days[id(r)] >= 6], late]))
    assert report["mode"] == "incremental" and report["rows_left_window"] > 0
    assert report["payers_read"] == report["payers"]  # a late booking: every payer again
    assert four.run.summary["networks"] >= 1


def test_a_kept_window_of_another_graph_is_not_used(empty_graph: Graph,
                                                    tmp_path: Path) -> None:
    kept = tmp_path / "kept"
    rows = build_stealth_world().rows
    _night(empty_graph, kept, _csv(tmp_path / "a.csv", rows[: len(rows) // 2]))
    # the database is emptied and filled again: the runs the window saw are gone
    from scalpernet.graph.schema import reset_graph

    reset_graph(empty_graph)
    _, report = _night(empty_graph, kept, _csv(tmp_path / "b.csv", rows))
    assert report == {**report, "mode": "full", "why": "a run it saw is gone"}


@pytest.fixture()
def six_days(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """SCALPERNET_ANALYSIS_WINDOW_DAYS=6 for the test (the settings read again after)."""
    monkeypatch.setenv("SCALPERNET_ANALYSIS_WINDOW_DAYS", "6")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def test_the_nightly_pass_analyses_incrementally(empty_graph: Graph, drop: Drop,
                                                 six_days: None) -> None:
    rows = build_world().rows
    half = len(rows) // 2
    _csv(drop.dir / "day1.csv", rows[:half])
    assert run_pass(drop.settings).record.analysis["window_read"]["mode"] == "full"
    _csv(drop.dir / "day2.csv", rows[half:])
    second = run_pass(drop.settings).record.analysis
    assert second["window_read"]["mode"] == "incremental"
    assert (kept_window(drop.settings) / "window.json").exists()
    # what the pass stored is what a full analysis of the same graph finds
    full = detect(empty_graph, DetectParams(window_days=6), source=ReadWindow())
    assert _summary(all_networks(empty_graph)) == _summary(full.networks)
    assert full.networks


def _summary(nets: list[Network]) -> list[tuple[Any, ...]]:
    """Each network's id, status, risk and members (as stored: members in any order)."""
    return sorted((n.id, n.status, n.risk, tuple(sorted((m.kind, m.key, m.role, m.score)
                                                        for m in n.members)))
                  for n in nets)
