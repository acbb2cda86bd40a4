"""Store and read detection results in Neo4j.

A new run replaces the previous one in a single transaction: readers see either the old
networks or the new ones, never a mix. A network stored exactly as the new run found it is
not written again: the new run finds the stored one too.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from typing import Any

import orjson

from scalpernet.entities import split_uid, uid
from scalpernet.graph import Graph
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

_BATCH = 5_000
#: Sessions that write a run's members and actors at once.
_WRITERS = 2
#: Changes when what is stored of a network changes shape, so that no network stored the old
#: way is carried over as if it were the same.
_CONTENT_VERSION = b"results-v1"


def _json(value: Any) -> str:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def _native(value: Any) -> Any:
    return value.to_native() if hasattr(value, "to_native") else value


def _chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), _BATCH):
        yield rows[start : start + _BATCH]


def _signals(signals: Sequence[Signal]) -> str:
    """Signals as stored: the JSON of their dumps (built directly: ``model_dump`` per signal
    is most of the cost of a hundred thousand members' rows)."""
    return _json([{"name": s.name, "value": s.value, "detail": s.detail} for s in signals])


def _links(links: Sequence[Link]) -> str:
    """Links as stored: the JSON of their dumps, built directly."""
    return _json([{"source": {"kind": x.source.kind, "key": x.source.key},
                   "target": {"kind": x.target.kind, "key": x.target.key},
                   "type": x.type, "weight": x.weight, "registrations": x.registrations}
                  for x in links])


def _network_row(net: Network) -> dict[str, Any]:
    return {
        "id": net.id,
        "risk": net.risk,
        "size": net.size,
        "signals": _signals(net.signals),
        "links": _links(net.links),
        "hospitals": sorted(net.hospitals),
        "first_seen": net.first_seen,
        "last_seen": net.last_seen,
        "status": net.status,
        "closed_at": net.closed_at,
    }


def _member_rows(net: Network) -> list[dict[str, Any]]:
    return [
        {
            "network": net.id,
            "uid": uid(m.kind, m.key),
            "role": m.role,
            "score": m.score,
            "signals": _signals(m.signals),
            "evidence": _json(m.evidence),
        }
        for m in net.members
    ]


def _actor_rows(net: Network) -> list[dict[str, Any]]:
    return [
        {
            "network": net.id,
            "id": a.id,
            "role": a.role,
            "score": a.score,
            "evidence": _json(a.evidence),
            "parent": a.parent,
            "link": _json(a.link),
            "identifiers": [{"uid": uid(i.kind, i.key), "shared": i.shared,
                             "operated_by_tool": i.operated_by_tool} for i in a.identifiers],
        }
        for a in net.actors
    ]


def _content_hash(network: dict[str, Any], members: list[dict[str, Any]],
                  actors: list[dict[str, Any]]) -> str:
    """SHA-256 of everything stored of one network (its properties, members and actors with
    their identifiers, in a fixed order): equal hashes, equal stored results."""
    digest = hashlib.sha256(_CONTENT_VERSION)
    digest.update(orjson.dumps(network, option=orjson.OPT_SORT_KEYS))
    for row in sorted(members, key=lambda r: r["uid"]):
        digest.update(orjson.dumps(row, option=orjson.OPT_SORT_KEYS))
    for row in sorted(actors, key=lambda r: r["id"]):
        digest.update(orjson.dumps({**row, "identifiers": sorted(
            row["identifiers"], key=lambda i: i["uid"])}, option=orjson.OPT_SORT_KEYS))
    return digest.hexdigest()


def write_results(graph: Graph, run: AnalysisRun, networks: Sequence[Network]) -> None:
    """Make `networks`, found by `run`, the current results.

    The new run is recorded, not yet current. A network the current run holds with the same
    content (same hash of its properties, members and actors) is carried over: the new run
    finds the stored one too, and nothing of it is written. The others' networks, members
    and actors are written beside the current ones, a batch per transaction (a million
    bookings' results would not fit one transaction's memory). One small transaction then
    makes the new run current, and what only earlier runs found is deleted a batch at a
    time. Readers always go through the current run, so they see the old results or the
    new, never a mix; a write that fails half-way leaves the old ones current, and its
    leftovers are deleted by the next write.
    """
    run_row = {**run.model_dump(), "params": _json(run.params), "summary": _json(run.summary)}
    network_rows: list[dict[str, Any]] = []
    members_of: list[list[dict[str, Any]]] = []
    actors_of: list[list[dict[str, Any]]] = []
    for net in networks:
        row, members, actors = _network_row(net), _member_rows(net), _actor_rows(net)
        row["content_hash"] = _content_hash(row, members, actors)
        row["members"] = len(members)
        network_rows.append(row)
        members_of.append(members)
        actors_of.append(actors)
    before = current_run(graph)
    delete_stale(graph, before.id if before else None)

    def created(query: str, chunk: Sequence[dict[str, Any]]) -> int:
        record = graph.write(query, rows=list(chunk), run_id=run.id)
        return int(record[0]["created"]) if record else 0

    graph.write("results_create_run", run=run_row)
    carried = set(graph.write("results_carry_networks", run_id=run.id, rows=[
        {"id": row["id"], "content_hash": row["content_hash"], "members": row["members"]}
        for row in network_rows])[0]["carried"])
    changed = [i for i, row in enumerate(network_rows) if row["id"] not in carried]
    network_rows = [network_rows[i] for i in changed]
    member_rows = [row for i in changed for row in members_of[i]]
    actor_rows = [row for i in changed for row in actors_of[i]]
    uses = sum(len(row["identifiers"]) for row in actor_rows)
    for chunk in _chunks(network_rows):
        created("results_create_networks", chunk)
    members = _write_all(created, "results_create_members", _chunks(member_rows))
    if members != len(member_rows):
        # A member that is not in the graph means the results do not match the data.
        raise RuntimeError(f"{len(member_rows) - members} network members are not in the graph")
    linked = _write_all(created, "results_create_actors", _actor_chunks(actor_rows))
    if linked != uses:
        raise RuntimeError(f"{uses - linked} actor identifiers are not in the graph")
    graph.write("results_switch", run_id=run.id, status=run.status)
    delete_stale(graph, run.id)


def _write_all(created: Callable[[str, Sequence[dict[str, Any]]], int], query: str,
               chunks: Iterable[Sequence[dict[str, Any]]]) -> int:
    """Send the batches from :data:`_WRITERS` sessions at once (the server writes them on
    as many CPUs); returns how many rows they created."""
    chunks = list(chunks)
    if _WRITERS < 2 or len(chunks) < 2:
        return sum(created(query, chunk) for chunk in chunks)
    with ThreadPoolExecutor(max_workers=_WRITERS) as pool:
        return sum(pool.map(lambda chunk: created(query, chunk), chunks))


def delete_stale(graph: Graph, keep: str | None, *, batch: int = _BATCH) -> int:
    """Delete the networks (with their members and actors) that the run ``keep`` did not
    find (all of them when None), a batch per transaction, and every other run's links to
    networks; returns how many nodes and relationships went."""
    total = 0
    for query in ("results_delete_stale_members", "results_delete_stale_uses",
                  "results_delete_stale_nodes", "results_delete_stale_found"):
        while True:
            deleted = int(graph.write(query, keep=keep, limit=batch)[0]["deleted"])
            total += deleted
            if deleted < batch:
                break
    return total


def _actor_chunks(rows: Sequence[dict[str, Any]]) -> Iterator[Sequence[dict[str, Any]]]:
    """Batches of about ``_BATCH`` identifiers (a technician's actor may hold thousands)."""
    batch: list[dict[str, Any]] = []
    size = 0
    for row in rows:
        batch.append(row)
        size += len(row["identifiers"]) + 1
        if size >= _BATCH:
            yield batch
            batch, size = [], 0
    if batch:
        yield batch


def actor_from_record(row: dict[str, Any], identifiers: list[dict[str, Any]]) -> Actor:
    """A stored Actor node's properties and its `network_actors` identifier rows as a model."""
    refs = []
    for ident in identifiers:
        kind, key = split_uid(ident["uid"])
        refs.append(ActorIdentifier(kind=kind, key=key,  # type: ignore[arg-type]
                                    shared=bool(ident.get("shared")),
                                    operated_by_tool=bool(ident.get("operated_by_tool"))))
    return Actor(id=row["id"], role=row["role"], score=row["score"], identifiers=refs,
                 evidence=orjson.loads(row.get("evidence") or "{}"), parent=row.get("parent"),
                 link=orjson.loads(row.get("link") or "{}"))


def network_actors(graph: Graph, network_id: str) -> list[Actor]:
    """The actors of one current network, highest tier first."""
    return [actor_from_record(r["actor"], r["identifiers"])
            for r in graph.read("network_actors", id=network_id)]


def _run(props: dict[str, Any]) -> AnalysisRun:
    return AnalysisRun(
        id=props["id"],
        started_at=_native(props["started_at"]),
        ended_at=_native(props.get("ended_at")),
        status=props.get("status", "complete"),
        params=orjson.loads(props.get("params") or "{}"),
        summary=orjson.loads(props.get("summary") or "{}"),
    )


def network_from_record(props: dict[str, Any],
                        members: list[dict[str, Any]] | None = None) -> Network:
    """A stored Network node's properties (and `network_get` member rows) as a model.

    Without `members` the result is a summary: no members and no links.
    """
    return Network(
        id=props["id"],
        risk=props["risk"],
        size=props["size"],
        signals=[Signal(**s) for s in orjson.loads(props.get("signals") or "[]")],
        links=[Link(**link) for link in orjson.loads(props.get("links") or "[]")]
        if members is not None else [],
        hospitals=list(props.get("hospitals") or []),
        first_seen=_native(props.get("first_seen")),
        last_seen=_native(props.get("last_seen")),
        status=props.get("status") or "active",
        closed_at=_native(props.get("closed_at")),
        members=[_member(m) for m in members or []],
    )


def _member(row: dict[str, Any]) -> Member:
    kind, key = split_uid(row["uid"])
    return Member(
        kind=kind,  # type: ignore[arg-type]
        key=key,
        role=row["role"],
        score=row["score"],
        signals=[Signal(**s) for s in orjson.loads(row.get("signals") or "[]")],
        evidence=orjson.loads(row.get("evidence") or "{}"),
    )


def current_run(graph: Graph) -> AnalysisRun | None:
    """The run whose results are current, or None before the first analysis."""
    records = graph.read("results_current_run")
    return _run(records[0]["run"]) if records else None


def analysis_runs(graph: Graph, *, limit: int = 20, offset: int = 0) -> list[AnalysisRun]:
    """Recent analysis runs, newest first."""
    return [_run(r["run"]) for r in graph.read("analysis_runs", limit=limit, offset=offset)]


def list_networks(
    graph: Graph,
    *,
    min_risk: float = 0.0,
    hospital: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 50,
    offset: int = 0,
) -> tuple[int, list[Network]]:
    """Current networks ranked by risk (without members) and the total that match."""
    record = graph.read("networks_list", min_risk=min_risk, hospital=hospital, since=since,
                        until=until, limit=limit, offset=offset)[0]
    return record["total"], [network_from_record(props) for props in record["networks"]]


def get_network(graph: Graph, network_id: str) -> Network | None:
    """One current network with its members, links and actors, or None."""
    records = graph.read("network_get", id=network_id)
    if not records:
        return None
    net = network_from_record(records[0]["network"], records[0]["members"])
    net.actors = network_actors(graph, network_id)
    return net


def all_networks(graph: Graph) -> list[Network]:
    """Every current network with members, highest risk first (for exports and evaluation)."""
    _, summaries = list_networks(graph, limit=1_000_000)
    return [net for s in summaries if (net := get_network(graph, s.id)) is not None]


def memberships(graph: Graph, kind: str, key: str) -> list[dict[str, Any]]:
    """The current networks an entity belongs to, with role, score, signals and evidence."""
    rows = graph.read("entity_memberships", uid=uid(kind, key))
    return [
        {
            "network": r["network"],
            "risk": r["risk"],
            "role": r["role"],
            "score": r["score"],
            "signals": orjson.loads(r["signals"] or "[]"),
            "evidence": orjson.loads(r["evidence"] or "{}"),
        }
        for r in rows
    ]


__all__ = [
    "EntityRef",
    "actor_from_record",
    "all_networks",
    "analysis_runs",
    "current_run",
    "delete_stale",
    "get_network",
    "list_networks",
    "memberships",
    "network_actors",
    "network_from_record",
    "write_results",
]
