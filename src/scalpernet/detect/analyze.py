"""``scalpernet analyze``: project the graph, find rings, assign tiers, score, store.

The stages, each its own module: projection (pull from Neo4j) → signals → networks (the
analysis graph and its communities) → rings (bookings and member numbers) → tiers → scoring
→ hierarchy links and stable ids → :func:`scalpernet.results.store.write_results`, which
replaces the previous run's results in one transaction.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

import numpy as np

from scalpernet.detect import allowlist as allowlists
from scalpernet.detect.actors import ActorDraft, resolve_actors
from scalpernet.detect.hierarchy import member_tree
from scalpernet.detect.identity import assign_ids
from scalpernet.detect.networks import AnalysisGraph, build_analysis_graph, find_communities
from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import (
    MISSING,
    PayerHistory,
    Projection,
    entity_uids,
    load_projection,
    payer_history,
    registration_keys,
    visit_cards,
    window_start,
)
from scalpernet.detect.rings import Rings, build_rings
from scalpernet.detect.scoring import (
    RingScore,
    member_score,
    payer_yearly_reference,
    score_ring,
)
from scalpernet.detect.signals import (
    KINDS,
    EntitySignals,
    Incidence,
    RegistrationSignals,
    build_incidence,
    entity_signals,
    registration_signals,
)
from scalpernet.detect.tiers import TIER_ORDER, Roles, assign_roles
from scalpernet.entities import ROLES, split_uid
from scalpernet.graph import Graph
from scalpernet.locale import detail_text
from scalpernet.privacy import mask_uid
from scalpernet.results.models import (
    Actor,
    ActorIdentifier,
    AnalysisRun,
    EntityRef,
    Link,
    Member,
    Network,
    Signal,
)
from scalpernet.results.store import get_network, write_results

log = logging.getLogger(__name__)


@dataclass
class Analysis:
    """What one analysis found (before or after it was stored)."""

    run: AnalysisRun
    networks: list[Network]
    timings: dict[str, float] = field(default_factory=dict)


_PERSON_KINDS = [KINDS.index("patient"), KINDS.index("id_card")]


class WindowSource(Protocol):
    """Where the analysis gets the window's bookings and its payers' whole history."""

    #: What it read (kept in the run's summary).
    report: dict[str, Any]

    def projection(self, graph: Graph, since_ms: int | None) -> Projection: ...

    def payer_history(self, graph: Graph, ids: np.ndarray,
                      paid: np.ndarray) -> PayerHistory: ...


class ReadWindow:
    """Everything read from the graph (a full analysis)."""

    def __init__(self) -> None:
        self.report: dict[str, Any] = {"mode": "full"}

    def projection(self, graph: Graph, since_ms: int | None) -> Projection:
        return load_projection(graph, since_ms=since_ms)

    def payer_history(self, graph: Graph, ids: np.ndarray, paid: np.ndarray) -> PayerHistory:
        return payer_history(graph, ids, paid)


def new_run_id() -> str:
    return f"analysis-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(3)}"


def previous_networks(graph: Graph) -> dict[str, set[str]]:
    """The current networks' member uids (to inherit their ids)."""
    return {r["id"]: set(r["members"]) for r in graph.read("detect_previous_networks")}


#: (network id, role) -> actor id -> identifier uids, of the current results.
PreviousActors = dict[tuple[str, str], dict[str, set[str]]]


def previous_actors(graph: Graph) -> PreviousActors:
    """The current networks' actors (to inherit their ids)."""
    out: PreviousActors = {}
    for r in graph.read("detect_previous_actors"):
        out.setdefault((r["network"], r["role"]), {})[r["id"]] = set(r["identifiers"])
    return out


def _when(ms: int) -> datetime | None:
    return None if ms == MISSING else datetime.fromtimestamp(ms / 1000, tz=UTC)


@dataclass
class _Context:
    proj: Projection
    reg: RegistrationSignals
    inc: Incidence
    sig: EntitySignals
    ag: AnalysisGraph
    rings: Rings
    roles: Roles
    since_ms: int | None = None  # the window's start (None: the whole history)
    visit_cards: dict[int, int] = field(default_factory=dict)  # dense entity -> cards


#: Each member's numbers that its signals and evidence quote, in this order.
_NUMBERS = ("bookings", "ring_bookings", "machine", "quick", "id_numbers", "max_ids_per_day",
            "yearly", "patients", "washes", "invalid_ids", "junk_names", "virtual_phones",
            "before_release", "quiet_window", "kind", "customers", "agents")


def _numbers(ctx: _Context, members: np.ndarray) -> dict[int, tuple]:
    """Each member's :data:`_NUMBERS` as Python values, read column by column (a numpy
    scalar read per number and member is the slow part of building 100,000 members)."""
    sig, rings = ctx.sig, ctx.rings
    columns = (sig.bookings, rings.ring_bookings, sig.machine, sig.quick, sig.id_numbers,
               sig.max_ids_per_day, sig.yearly, sig.patients, sig.washes, sig.invalid_ids,
               sig.junk_names, sig.virtual_phones, sig.before_release, sig.quiet_window,
               ctx.inc.kinds, rings.customers, rings.agents)
    return dict(zip(members.tolist(), zip(*(c[members].tolist() for c in columns),
                                          strict=True), strict=True))


#: Booking counts a member's signals quote only when non-zero, in the order they are listed
#: (their words: ``locale.DETAILS["member.<name>"]``).
_COUNTED = ("occupy_and_wash", "invalid_id_numbers", "junk_names", "virtual_phones",
            "before_release", "maintenance_window")


def _member_signals(numbers: tuple, cards: int) -> list[Signal]:
    """A member's signals from its :data:`_NUMBERS` and visit cards."""
    (bookings, ring_bookings, machine, quick, id_numbers, max_ids_per_day, yearly, patients,
     washes, invalid_ids, junk_names, virtual_phones, before_release, quiet_window, kind,
     *_) = numbers
    kind = KINDS[kind]
    out: list[tuple[str, float, str]] = [
        ("bookings", bookings, detail_text("member.bookings", bookings=bookings,
                                           ring_bookings=ring_bookings)),
    ]
    if machine:
        out.append(("machine_speed_bookings", machine,
                    detail_text("member.machine_speed_bookings", machine=machine)))
    if quick:
        out.append(("within_seconds_bookings", quick,
                    detail_text("member.within_seconds_bookings", quick=quick)))
    if kind not in ("patient", "id_card"):
        out.append(("id_numbers", id_numbers,
                    detail_text("member.id_numbers", id_numbers=id_numbers,
                                per_day=max_ids_per_day)))
        if cards:
            out.append(("visit_cards", cards, detail_text("member.visit_cards", cards=cards)))
    if kind == "payer":
        per_year = float(yearly)
        out.append(("yearly_bookings", round(per_year, 1),
                    detail_text("member.yearly_bookings", per_year=per_year,
                                patients=patients)))
    counts = (washes, invalid_ids, junk_names, virtual_phones, before_release, quiet_window)
    out.extend((name, count, detail_text(f"member.{name}", count=count))
               for name, count in zip(_COUNTED, counts, strict=True) if count)
    return [Signal.model_construct(name=n, value=float(v), detail=d) for n, v, d in out]


def detect(graph: Graph, params: DetectParams | None = None,
           previous: dict[str, set[str]] | None = None,
           previous_people: PreviousActors | None = None,
           source: WindowSource | None = None) -> Analysis:
    """Run detection over the window (``params.window_days``; 0: the whole graph); nothing
    is written. ``previous`` and ``previous_people``: the networks and actors whose ids to
    keep (default: the stored ones). A stored network not found again whose bookings all
    fell before the window is carried over, closed (:func:`closed_networks`). ``source``:
    where the window's bookings and payer history come from (default: read whole; the
    nightly pass's :class:`~scalpernet.nightly.window.KeptWindow` gives the same data)."""
    params = params or DetectParams()
    source = source or ReadWindow()
    started = datetime.now(UTC)
    timings: dict[str, float] = {}
    clock = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        timings[name] = round(now - clock, 3)
        clock = now

    since_ms = window_start(graph, params.window_days)
    proj = source.projection(graph, since_ms)
    lap("projection")
    reg = registration_signals(proj, params)
    inc = build_incidence(proj)
    allow = allowlists.load_allowlist()
    allowed = allowlists.resolve(graph, allow, inc)
    # over a window, payers' yearly volume still comes from their whole history
    history = None
    if since_ms is not None:
        payers = np.flatnonzero(inc.kinds == KINDS.index("payer"))
        paid = np.bincount(inc.entity, minlength=inc.count)[payers]
        history = source.payer_history(graph, inc.node_ids[payers], paid)
    sig = entity_signals(proj, reg, inc, params, allowed, history)
    lap("signals")
    ag = build_analysis_graph(proj, reg, inc, sig, params)
    communities = find_communities(ag.graph, params, ag.links)
    lap("communities")
    rings = build_rings(proj, reg, inc, ag, communities)
    roles = assign_roles(inc, sig, rings, params)
    ctx = _Context(proj, reg, inc, sig, ag, rings, roles, since_ms)
    p999 = payer_yearly_reference(sig, inc)
    scores = {k: score_ring(k, proj, reg, inc, sig, rings, p999) for k in range(rings.count)}
    # a network holds at least one channel that triggered by itself: its evidence
    own_trigger = sig.trigger & ~sig.shared
    kept = [k for k in range(rings.count)
            if scores[k].risk >= params.min_risk and len(rings.members[k]) >= params.min_size
            and own_trigger[rings.members[k]].any()]
    lap("tiers_scoring")
    before = previous if previous is not None else previous_networks(graph)
    networks = _networks(graph, ctx, kept, scores, params, before,
                         previous_people if previous_people is not None
                         else previous_actors(graph))
    found = {net.id for net in networks}
    closed = closed_networks(graph, [i for i in sorted(before) if i not in found], since_ms,
                             started)
    networks = sorted(networks + closed, key=lambda n: (-n.risk, n.id))
    lap("networks")
    by_role = Counter(m.role for net in networks if net.status == "active"
                      for m in net.members)
    summary = {
        "registrations": proj.size,
        "entities": inc.count,
        "ring_bookings": int(ag.ring_bookings.size),
        "analysis_graph": {"vertices": ag.graph.vcount(), "edges": ag.graph.ecount()},
        "triggered_channels": int(sig.trigger.sum()),
        "damp_identifiers": int(sig.damp.sum()),
        "allowlisted": int(allowed.sum()),
        "networks": len(networks) - len(closed),
        "closed_networks": len(closed),
        "members": sum(len(net.members) for net in networks if net.status == "active"),
        "members_by_role": {role: by_role.get(role, 0) for role in ROLES},
        "timings_s": timings,
        "window_read": source.report,
    }
    run = AnalysisRun(id=new_run_id(), started_at=started, ended_at=datetime.now(UTC),
                      status="complete",
                      params={**params.as_dict(), "allowlist": allow.source,
                              "allowlist_entries": len(allow),
                              "window_start": None if since_ms is None
                              else _when(since_ms).isoformat()},
                      summary=summary)
    return Analysis(run=run, networks=networks, timings=timings)


def closed_networks(graph: Graph, missing: list[str], since_ms: int | None,
                    now: datetime) -> list[Network]:
    """The stored networks of ``missing`` (not found by this run) whose bookings all fell
    before the window start, as stored, marked closed (since ``now`` unless closed before).

    A network not found again although its bookings are inside the window is gone; over the
    whole history (``since_ms`` None) nothing closes.
    """
    if since_ms is None:
        return []
    out = []
    for network_id in missing:
        net = get_network(graph, network_id)
        if net is None or net.last_seen is None or net.last_seen >= _when(since_ms):
            continue
        net.status = "closed"
        net.closed_at = net.closed_at or now
        out.append(net)
    return out


def _networks(graph: Graph, ctx: _Context, kept: list[int], scores: dict[int, RingScore],
              params: DetectParams, previous: dict[str, set[str]],
              previous_people: PreviousActors) -> list[Network]:
    rings, inc, sig, ag, proj = ctx.rings, ctx.inc, ctx.sig, ctx.ag, ctx.proj
    members_all = np.concatenate([rings.members[k] for k in kept]) if kept else np.zeros(0, int)
    uids = entity_uids(graph, inc.node_ids[members_all])
    uid_of = {i: uids[node] for i, node in zip(members_all.tolist(),
                                               inc.node_ids[members_all].tolist(), strict=True)}
    numbers = _numbers(ctx, members_all)
    # members are built from trusted internal values: models constructed without validation
    refs = {i: EntityRef.model_construct(kind=kind, key=key)
            for i, (kind, key) in ((i, split_uid(u)) for i, u in uid_of.items())}
    # visit cards bound to each channel of a ring (evidence, read for the members only)
    busy = members_all[~np.isin(inc.kinds[members_all], _PERSON_KINDS)
                       & (sig.bookings[members_all] >= 2)]
    cards = visit_cards(graph, inc.node_ids[busy], ctx.since_ms)
    ctx.visit_cards = {i: cards.get(node, 0)
                       for i, node in zip(busy.tolist(), inc.node_ids[busy].tolist(), strict=True)}
    # evidence samples: each member's first ring bookings (by node id)
    samples = _samples(ctx, members_all, params.evidence_samples)
    keys = registration_keys(graph, {r for rows in samples.values() for r in rows})
    vertex_of = ag.vertex_of()
    strength = (ag.graph.strength(weights="weight") if ag.graph.ecount()
                else [0.0] * ag.graph.vcount())
    near = _neighbours(ctx, kept)
    drafts = []
    for k in kept:
        score = scores[k]
        # actors first: a payer found to be a second-level scalper's own account takes his
        # role, and the members say so
        people = resolve_actors(k, proj, ctx.reg, inc, rings, ctx.roles)
        members = []
        ring_members = rings.members[k].tolist()
        for i in ring_members:
            ref = refs[i]
            role = ctx.roles.of(i)
            n = numbers[i]
            rows = samples.get(i, ())
            evidence = {
                "role_reason": str(ctx.roles.reason[i]),  # as actors left it
                "ring_bookings": n[1],
                "involvement": round(n[1] / max(n[0], 1), 4),
                "customers": n[15],
                "escort_agents": n[16],
                "registrations": [keys[r] for r in rows if r in keys],
            }
            members.append(Member.model_construct(
                kind=ref.kind, key=ref.key, role=role,
                score=member_score(i, score.risk, role, sig, rings),
                signals=_member_signals(n, ctx.visit_cards.get(i, 0)), evidence=evidence))
        members.sort(key=lambda m: (TIER_ORDER.index(m.role), -m.score, m.kind, m.key))
        rows = rings.bookings[k]
        booked = proj.booked_ms[rows]
        booked = booked[booked != MISSING]
        codes = np.unique(proj.codes["hospital"][rows])
        hospitals = sorted(proj.vocab["hospital"][c] for c in codes[codes >= 0])
        anchor = min(ring_members, key=lambda i: (-strength[vertex_of[i]], uid_of[i]))
        roles = dict(zip(ring_members, ctx.roles.role[rings.members[k]].tolist(), strict=True))
        tree = member_tree(people, rings.members[k], roles, rings.ring_bookings, near[k])
        links = [Link.model_construct(source=refs[t.parent], target=refs[t.child], type=t.type,
                                      weight=round(t.weight, 3), registrations=t.bookings)
                 for t in tree]
        scores_of = {(m.kind, m.key): m.score for m in members}
        drafts.append((uid_of[anchor], people, scores_of, Network(
            id="", risk=score.risk, size=len(members), signals=score.signals, members=members,
            links=links, hospitals=hospitals,
            first_seen=_when(int(booked.min())) if booked.size else None,
            last_seen=_when(int(booked.max())) if booked.size else None)))
    ids = assign_ids([(anchor, {f"{m.kind}:{m.key}" for m in net.members})
                      for anchor, _, _, net in drafts], previous, params.inherit_jaccard)
    networks = []
    for net_id, (anchor, people, scores_of, net) in zip(ids, drafts, strict=True):
        net.id = net_id
        net.actors = _actors(net_id, people, uid_of, refs, scores_of, previous_people,
                             params.inherit_jaccard)
        networks.append(net)
        log.info("network %s: risk %.3f, %d members, anchor %s", net_id, net.risk, net.size,
                 mask_uid(anchor))
    networks.sort(key=lambda n: (-n.risk, n.id))
    return networks


#: ring -> ``none`` member -> its neighbours in the ring as (weight, bookings, member).
Neighbours = dict[int, dict[int, list[tuple[float, int, int]]]]


def _neighbours(ctx: _Context, kept: list[int]) -> Neighbours:
    """For each kept ring, each ``none`` member's analysis-graph neighbours in that ring:
    (weight, bookings, member); the graph's edges are read once, as arrays."""
    g, nodes, rings = ctx.ag.graph, ctx.ag.nodes, ctx.rings
    out: Neighbours = {k: {} for k in kept}
    if g.ecount() == 0 or not kept:
        return out
    ends = np.asarray(g.get_edgelist(), dtype=np.int64).reshape(-1, 2)
    a, b = nodes[ends[:, 0]], nodes[ends[:, 1]]
    ring = rings.entity_ring[a]
    none = ctx.roles.role == "none"
    inside = (ring == rings.entity_ring[b]) & np.isin(ring, kept) & (none[a] | none[b])
    weight = np.asarray(g.es["weight"], dtype=np.float64)[inside]
    bookings = np.asarray(g.es["bookings"], dtype=np.int64)[inside]
    a, b, ring = a[inside], b[inside], ring[inside]
    # each edge seen from each of its ``none`` ends
    for me, other, side in ((a, b, none[a]), (b, a, none[b])):
        for k, m, w, n, o in zip(ring[side].tolist(), me[side].tolist(), weight[side].tolist(),
                                 bookings[side].tolist(), other[side].tolist(), strict=True):
            out[k].setdefault(m, []).append((w, n, o))
    return out


def _actors(network_id: str, people: list[ActorDraft], uid_of: dict[int, str],
            refs: dict[int, EntityRef], scores_of: dict[tuple[str, str], float],
            previous: PreviousActors, min_jaccard: float) -> list[Actor]:
    ids = [""] * len(people)
    for role in {a.role for a in people}:
        mine = [i for i, a in enumerate(people) if a.role == role]
        new = [(f"{network_id}|{role}|{uid_of[people[i].anchor]}",
                {uid_of[m] for m in people[i].members}) for i in mine]
        # a patient is its ID card: its id follows from it, no predecessor to look for
        before = {} if role == "patient" else previous.get((network_id, role), {})
        got = assign_ids(new, before, min_jaccard, "act-")
        for i, own in zip(mine, got, strict=True):
            ids[i] = own
    out = []
    for a, own in zip(people, ids, strict=True):
        idents = [ActorIdentifier.model_construct(kind=refs[m].kind, key=refs[m].key,
                                                  shared=m in a.shared,
                                                  operated_by_tool=m in a.operated)
                  for m in a.members]
        score = max((scores_of.get((r.kind, r.key), 0.0) for r in idents), default=0.0)
        first, last = a.evidence.get("first_ms"), a.evidence.get("last_ms")
        evidence = {**{k: v for k, v in a.evidence.items() if not k.endswith("_ms")},
                    "first_seen": _when(int(first)).isoformat() if first is not None else None,
                    "last_seen": _when(int(last)).isoformat() if last is not None else None,
                    "identifiers": len(idents)}
        out.append(Actor.model_construct(
            id=own, role=a.role, score=score, identifiers=idents, evidence=evidence,
            parent=ids[a.parent] if a.parent >= 0 else None, link=a.link))
    return out


def _samples(ctx: _Context, members: np.ndarray, limit: int) -> dict[int, list[int]]:
    """Up to ``limit`` ring bookings per member, as registration node ids, the earliest node
    ids first."""
    if limit <= 0 or members.size == 0:
        return {}
    inc, rings = ctx.inc, ctx.rings
    pairs = ctx.ag.pair_registration
    e, r = inc.entity[pairs], inc.registration[pairs]
    own = rings.booking_ring[r] == rings.entity_ring[e]
    e, r = e[own], r[own]
    order = np.lexsort((r, e))
    e, r = e[order], r[order]
    # the first ``limit`` of each entity's run
    first = np.searchsorted(e, e)
    keep = np.arange(e.size) - first < limit
    e, ids = e[keep], ctx.proj.registration[r[keep]]
    starts = np.searchsorted(e, members).tolist()
    ends = np.searchsorted(e, members, side="right").tolist()
    ids = ids.tolist()
    return {m: ids[s:t] for m, s, t in zip(members.tolist(), starts, ends, strict=True)}


def analyze(graph: Graph, params: DetectParams | None = None,
            source: WindowSource | None = None) -> Analysis:
    """Detect and store: the new results replace the previous run's in one transaction."""
    clock = time.perf_counter()
    result = detect(graph, params, source=source)
    write_results(graph, result.run, result.networks)
    result.timings["store"] = round(time.perf_counter() - clock - sum(result.timings.values()), 3)
    result.timings["total"] = round(time.perf_counter() - clock, 3)
    return result
