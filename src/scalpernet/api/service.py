"""What the API answers: small verb-named functions over named queries, one per question.

Each takes the request context (``ctx``) and returns a JSON-ready dict plus the uids of the
entities it shows (for the audit log). Keys are shown through ``ctx.present``, so masking
happens in one place whatever the route.
"""

from __future__ import annotations

import asyncio
import importlib
from datetime import datetime
from typing import Any

import orjson

from scalpernet.api import actors
from scalpernet.api.batching import Coalescer
from scalpernet.api.deps import Ctx
from scalpernet.api.errors import ApiError
from scalpernet.api.present import instant
from scalpernet.api.tree import TreeCache, load_tree
from scalpernet.entities import KIND_LABELS, split_uid, uid
from scalpernet.graph.async_session import AsyncGraph
from scalpernet.identifiers import normalise_name, parse_id_card, parse_ip, parse_phone
from scalpernet.privacy import PERSONAL_KINDS, REF_PREFIX, mask_key, mask_text

#: Relationship types of the graph model an investigator can filter on.
REL_TYPES = ("FOR", "CONTACT", "FROM_IP", "ON_DEVICE", "BY_ACCOUNT", "PAID_BY", "VIA_AGENT",
             "HAS_ID", "HAS_PHONE")
#: Longest a path search may run before the client is told to narrow it.
PATH_TIMEOUT_S = 10.0
#: Longest any other investigative query may run.
QUERY_TIMEOUT_S = 20.0

Payload = tuple[dict[str, Any], list[str]]


# -- identifying entities ------------------------------------------------------------------
def normalise_key(kind: str, raw: str) -> str:
    """A key as typed (``+86 138-1234-5678``) keyed the way ingestion keys it."""
    text = raw.strip()
    if kind == "id_card":
        return parse_id_card(text).key or text
    if kind == "phone":
        return parse_phone(text).key or text
    if kind == "ip":
        ip = parse_ip(text)
        return ip.key if ip else text
    if kind == "patient":
        id_number, sep, name = text.partition("|")
        if sep:
            return f"{parse_id_card(id_number).key or id_number.strip()}|{normalise_name(name)}"
    return text


def personal(kind: str, key: str) -> bool:
    """Whether a key is, or holds, a personal identifier (what analysts see masked)."""
    return kind in PERSONAL_KINDS or mask_key(kind, key) != key


def resolve(ctx: Ctx, kind: str, key_or_ref: str) -> str:
    """The uid named by a key, or by an opaque reference given in place of the key.

    A caller who sees masks may not name an entity by a key that is or holds a personal
    identifier: trying keys one by one would otherwise tell which exist, undoing the mask.
    Such a caller navigates by references. Any caller's lookups by key that find nothing
    are counted (``Throttle.check_lookup``).
    """
    if key_or_ref.startswith(REF_PREFIX):
        decoded = ctx.present.refs.decode(key_or_ref)
        if decoded is not None:
            ref_kind, _ = split_uid(decoded)
            if ref_kind != kind:
                raise ApiError(400, "ref_kind_mismatch",
                               f"this reference names a {ref_kind}, not a {kind}")
            return decoded
        if ctx.masked:  # not a genuine reference, and no key such a caller may type
            raise ApiError(404, "not_found", f"no {kind} entity for this reference")
    if not key_or_ref.strip():
        raise ApiError(422, "invalid_parameter", "key: must not be empty")
    key = normalise_key(kind, key_or_ref)
    if ctx.masked and personal(kind, key):
        raise reference_required()
    ctx.throttle.check_lookup(ctx.principal.key_id)
    return uid(kind, key)


def reference_required() -> ApiError:
    return ApiError(403, "reference_required",
                    "your role sees ID numbers and phones masked, so it may not name an entity "
                    "by one: use the entity's reference (ref_…) from an earlier answer")


def resolve_uid(ctx: Ctx, value: str, name: str) -> str:
    """A ``kind:key`` uid or a bare opaque reference, as given for `name`."""
    if value.startswith(REF_PREFIX) and ":" not in value:
        decoded = ctx.present.refs.decode(value)
        if decoded is None:
            raise ApiError(422, "invalid_parameter", f"{name}: not a valid reference")
        return decoded
    kind, sep, key = value.partition(":")
    if not sep or kind not in KIND_LABELS or not key:
        raise ApiError(422, "invalid_parameter",
                       f"{name}: give '<kind>:<key>' (kind one of {', '.join(KIND_LABELS)}) "
                       "or an opaque reference")
    return resolve(ctx, kind, key)


def _not_found(kind: str, key_or_ref: str, ctx: Ctx) -> ApiError:
    """A 404 that echoes at most the masked key; a lookup by key that missed is counted."""
    if key_or_ref.startswith(REF_PREFIX):
        return ApiError(404, "not_found", f"no {kind} entity for this reference")
    ctx.throttle.lookup_missed(ctx.principal.key_id)
    return ApiError(404, "not_found", f"no {kind} entity with key {mask_key(kind, key_or_ref)}")


def _json_field(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return default if value is None else value


# -- networks ------------------------------------------------------------------------------
def _network_summary(ctx: Ctx, props: dict[str, Any]) -> dict[str, Any]:
    return {
        "id": props["id"],
        "risk": props.get("risk"),
        "size": props.get("size"),
        "hospitals": list(props.get("hospitals") or []),
        "first_seen": props.get("first_seen"),
        "last_seen": props.get("last_seen"),
        "status": props.get("status") or "active",
        "closed_at": props.get("closed_at"),
        "run_id": props.get("run_id"),
        "signals": ctx.present.text(_json_field(props.get("signals"), [])),
    }


async def list_networks(ctx: Ctx, *, min_risk: float, hospital: str | None,
                        since: datetime | None, until: datetime | None, limit: int,
                        offset: int) -> Payload:
    """Current networks ranked by risk (highest first) with the total that match."""
    page, run = await asyncio.gather(
        ctx.read("api_networks_list", min_risk=min_risk, hospital=hospital, since=since,
                 until=until, limit=limit, offset=offset, timeout=QUERY_TIMEOUT_S),
        ctx.read("results_current_run"),
    )
    record = page[0]
    return {
        "run_id": run[0]["run"]["id"] if run else None,
        "total": record["total"], "limit": limit, "offset": offset,
        "networks": [_network_summary(ctx, props) for props in record["networks"]],
    }, []


def _stored_json(ctx: Ctx, value: Any, default: Any) -> Any:
    """JSON text stored by `results.store` (always written by orjson): passed through as is
    to a viewer who sees it unmasked, parsed and masked for an analyst."""
    if ctx.masked or not isinstance(value, str):
        return ctx.present.text(_json_field(value, default))
    return orjson.Fragment(value)


def _member(ctx: Ctx, row: dict[str, Any]) -> dict[str, Any]:
    return ctx.present.entity(
        row["uid"], role=row.get("role"), score=row.get("score"),
        signals=_stored_json(ctx, row.get("signals"), []),
        evidence=_stored_json(ctx, row.get("evidence"), {}),
    )


async def network_detail(ctx: Ctx, network_id: str, *, limit: int, offset: int,
                         role: str | None, children_limit: int, actors_limit: int
                         ) -> tuple[dict[str, Any], list[str], list[str]]:
    """One current network: its actors by tier (counts and the top of each), the actor tree,
    member counts per role and one page of members (role, score, signals, evidence); with
    the entities and the actors it shows.

    The tree and the member order come from a per-run cache; the page itself is read by
    uid. Should a new analysis run land in between, the cache is rebuilt and read again.
    """
    cache: TreeCache = ctx.request.app.state.trees
    tree = cache.latest(network_id) or await load_tree(ctx, network_id)
    for _ in range(2):
        total, uids = tree.page(role, offset, limit)
        records = await ctx.read("api_network_detail", id=network_id, uids=uids,
                                 timeout=QUERY_TIMEOUT_S)
        if not records:
            raise ApiError(404, "not_found", f"no current network with id {network_id}")
        record = records[0]
        if record["network"].get("run_id") == tree.run_id:
            break
        tree = await load_tree(ctx, network_id)
    props = record["network"]
    leading, top_shown = actors.leading(ctx, tree, actors_limit)
    hierarchy, tree_shown = actors.hierarchy(ctx, tree, children_limit)
    payload = {**_network_summary(ctx, props), "actors": leading, "hierarchy": hierarchy,
               "members_total": total, "members_limit": limit, "members_offset": offset,
               "members": [_member(ctx, row) for row in record["members"]]}
    return (payload, [r["uid"] for r in record["members"]],
            sorted({*top_shown, *tree_shown}))


def _views_function(name: str) -> Any:
    for module in ("scalpernet.views", "scalpernet.views.render"):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if callable(found):
            return found
    return None


async def network_view(ctx: Ctx, network_id: str, *, served: bool = False,
                       lang: str = "zh-CN") -> tuple[str, list[str]]:
    """The interactive HTML page of one network in `lang`, from ``scalpernet.views``; opened
    on its actors' org chart. `served`: for a signed-in browser under /ui (links to the
    overview and sign-out, and each member's reference for the page's reads of the API)."""
    render = _views_function("render_network_page")
    if render is None:
        raise ApiError(501, "not_implemented",
                       "the network view is not available in this build: "
                       "scalpernet.views.render_network_page is missing")
    from scalpernet.results.store import actor_from_record, network_from_record

    records = await ctx.read("network_get", id=network_id, timeout=QUERY_TIMEOUT_S)
    if not records:
        raise ApiError(404, "not_found", f"no current network with id {network_id}")
    props, rows = records[0]["network"], records[0]["members"]
    actor_rows = await ctx.read("network_actors", id=network_id, timeout=QUERY_TIMEOUT_S)
    hospitals_of = {r["uid"]: r["hospitals"] for r in await ctx.read(
        "network_member_hospitals", id=network_id, timeout=QUERY_TIMEOUT_S)}
    page_of = None
    if served:
        from scalpernet.views import Served

        page_of = Served(refs={r["uid"]: ctx.present.entity(r["uid"])["ref"] for r in rows})

    def build() -> str:
        network = network_from_record(props, rows)
        network.actors = [actor_from_record(r["actor"], r["identifiers"]) for r in actor_rows]
        return str(render(network, masked=ctx.masked, served=page_of, lang=lang,
                          hospitals_of=hospitals_of))

    html = await asyncio.to_thread(build)
    return html, [r["uid"] for r in rows]


# -- entities ------------------------------------------------------------------------------
def _flags(kind: str, props: dict[str, Any]) -> list[dict[str, Any]]:
    flags = []
    if kind == "id_card" and props.get("valid") is False:
        flags.append({"name": "invalid_id_number", "detail": props.get("invalid_reason") or ""})
    if kind == "phone" and props.get("virtual"):
        flags.append({"name": "virtual_phone",
                      "detail": "virtual-operator segment (a heuristic, not proof)"})
    if kind == "patient" and props.get("junk_name"):
        flags.append({"name": "junk_name", "detail": props.get("junk_reason") or ""})
    if kind == "ip" and props.get("private"):
        flags.append({"name": "private_ip", "detail": "private or shared address: many "
                                                      "honest patients may sit behind it"})
    return flags


async def read_entity(ctx: Ctx, name: str, entity_uid: str, **params: Any
                      ) -> dict[str, Any] | None:
    """The row of a per-entity query (``$uids`` in, one row per ``uid``) for one entity.

    Lookups asked for at the same time share a round trip (:mod:`scalpernet.api.batching`);
    with ``?explain=true`` the query runs alone, so that its parameters name this entity only.
    """
    if ctx.trace is not None:
        records = await ctx.read(name, uids=[entity_uid], timeout=QUERY_TIMEOUT_S, **params)
        return records[0] if records else None
    coalescer: Coalescer = ctx.request.app.state.coalescers[name]
    return await coalescer.read(entity_uid, **params)


def coalescers(graph: AsyncGraph) -> dict[str, Coalescer]:
    """One :class:`Coalescer` per batched entity query, for an app's lifetime."""
    return {name: Coalescer(graph, name, timeout=QUERY_TIMEOUT_S)
            for name in ("api_entity_summary", "api_entity_neighbours")}


async def entity_summary(ctx: Ctx, kind: str, key: str) -> Payload:
    """An entity, its registrations summary, flags and current networks with roles."""
    entity_uid = resolve(ctx, kind, key)
    row = await read_entity(ctx, "api_entity_summary", entity_uid)
    if row is None:
        raise _not_found(kind, key, ctx)
    props = row["entity"]
    payload = {
        "entity": ctx.present.entity(entity_uid,
                                     properties=ctx.present.properties(kind, props)),
        "registrations": {
            "total": row["total"], "first_booked_at": instant(row["first_booked_at"]),
            "last_booked_at": instant(row["last_booked_at"]), "departments": row["departments"],
            "doctors": row["doctors"],
            "hospitals": [h for h in row["hospitals"] if h["hospital"] is not None],
            "statuses": [s for s in row["statuses"] if s["status"] is not None],
            "latency_ms": row["latency_ms"],
        },
        "flags": _flags(kind, props),
        "networks": [{"network": n["network"], "risk": n["risk"], "role": n["role"],
                      "score": n["score"],
                      "signals": _stored_json(ctx, n["signals"], []),
                      "evidence": _stored_json(ctx, n["evidence"], {})}
                     for n in row["networks"]],
    }
    return payload, [entity_uid]


async def neighbours(ctx: Ctx, kind: str, key: str, *, types: list[str], kinds: list[str],
                     limit: int, scan: int) -> Payload:
    """Counts per relationship type first, then the neighbours sharing most, up to `limit`."""
    entity_uid = resolve(ctx, kind, key)
    record = await read_entity(ctx, "api_entity_neighbours", entity_uid, types=types,
                               kinds=kinds, limit=limit, scan=scan)
    if record is None:
        raise _not_found(kind, key, ctx)
    total, top = record["total"], record["top"]
    rows = sorted((row for row in record["rows"] if row["entities"]),
                  key=lambda row: (-row["entities"], row["type"]))
    payload = {
        "entity": ctx.present.entity(entity_uid),
        "registrations": {"total": total, "scanned": min(total, scan),
                          "complete": total <= scan},
        "counts": rows,
        "neighbours": [ctx.present.entity(item["uid"], type=item["type"],
                                          shared_registrations=item["shared"],
                                          first_booked_at=item["first"],
                                          last_booked_at=item["last"])
                       for item in top],
        "truncated": record["found"] > len(top),
    }
    return payload, [entity_uid, *(item["uid"] for item in top)]


async def timeline(ctx: Ctx, kind: str, key: str, *, since: datetime | None,
                   until: datetime | None, descending: bool, limit: int,
                   offset: int) -> Payload:
    """An entity's registrations in a time window, in booking order, one page at a time."""
    entity_uid = resolve(ctx, kind, key)
    records = await ctx.read("api_entity_timeline", uid=entity_uid, since=since, until=until,
                             descending=descending, limit=limit, offset=offset,
                             timeout=QUERY_TIMEOUT_S)
    if not records:
        raise _not_found(kind, key, ctx)
    shown: set[str] = {entity_uid}
    items = []
    for reg in records[0]["items"]:
        raw_links = [link for link in reg.pop("links") if link.get("uid")]
        shown.update(link["uid"] for link in raw_links)
        items.append({**ctx.present.registration(reg),
                      "entities": [ctx.present.entity(link["uid"], type=link["type"])
                                   for link in raw_links]})
    payload = {"entity": ctx.present.entity(entity_uid), "total": records[0]["total"],
               "limit": limit, "offset": offset, "since": since, "until": until,
               "order": "desc" if descending else "asc", "registrations": items}
    return payload, sorted(shown)


# -- paths ---------------------------------------------------------------------------------
def _path(ctx: Ctx, record: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    nodes, seen = [], []
    for node in record["nodes"]:
        if "registration" in node:
            nodes.append({"type": "registration", **node["registration"]})
        else:
            nodes.append({"type": "entity", **ctx.present.entity(node["uid"])})
            seen.append(node["uid"])
    rels = [{"type": r["type"], "from": i if r["forward"] else i + 1,
             "to": i + 1 if r["forward"] else i}
            for i, r in enumerate(record["relationships"])]
    return {"length": len(rels), "nodes": nodes, "relationships": rels}, seen


async def paths(ctx: Ctx, source: str, target: str, *, max_hops: int, types: list[str],
                limit: int) -> Payload:
    """All shortest paths (up to `limit`) of at most `max_hops` relationships."""
    a, b = resolve_uid(ctx, source, "source"), resolve_uid(ctx, target, "target")
    if a == b:
        raise ApiError(400, "bad_request", "source and target are the same entity")
    found = await ctx.read("api_search_keys_exact", uids=[a, b], limit=2)
    missing = {a, b} - {r["uid"] for r in found}
    if missing:
        which = "source" if a in missing else "target"
        if not (source if which == "source" else target).startswith(REF_PREFIX):
            ctx.throttle.lookup_missed(ctx.principal.key_id)
        raise ApiError(404, "not_found", f"the {which} entity does not exist")
    records = await ctx.read(f"api_paths_{max_hops}", source=a, target=b, types=types,
                             limit=limit, timeout=PATH_TIMEOUT_S)
    shown: list[str] = [a, b]
    out = []
    for record in records:
        path, seen = _path(ctx, record)
        out.append(path)
        shown.extend(seen)
    payload = {"source": ctx.present.entity(a), "target": ctx.present.entity(b),
               "max_hops": max_hops, "types": types, "paths": out,
               "truncated": len(out) >= limit}
    return payload, shown


# -- search --------------------------------------------------------------------------------
def _prefix(kind: str, text: str) -> str:
    if kind in ("id_card", "phone"):
        return "".join(text.split()).upper().replace("-", "")
    if kind == "patient":
        id_part, sep, name = text.partition("|")
        return "".join(id_part.split()).upper() + (sep + normalise_name(name) if sep else "")
    return text.strip()


async def search(ctx: Ctx, q: str, *, mode: str, kinds: list[str], limit: int) -> Payload:
    """Entities whose key (exact or prefix) or name (patients, escort agents) matches `q`.

    A caller who sees masks searches without personal identifiers: a `q` that holds one is
    refused, ID numbers, phones and patient keys are not searched by key at all, and a `q`
    with a digit finds no entity whose key or name holds a masked identifier — completing a
    masked number digit by digit, or asking whether it exists, would undo the mask.
    """
    q = q.strip()
    guarded = ctx.masked and any(ch.isdigit() for ch in q)
    if ctx.masked and not q.startswith(REF_PREFIX) and mask_text(q) != q:
        raise reference_required()
    restricted = sorted(PERSONAL_KINDS & set(kinds)) if ctx.masked else []
    key_kinds = [k for k in kinds if k not in restricted]
    hits: dict[str, dict[str, Any]] = {}
    fetch = limit + 1  # one more than shown tells whether the answer was cut

    if q.startswith(REF_PREFIX) and (decoded := ctx.present.refs.decode(q)) is not None:
        found = await ctx.read("api_search_keys_exact", uids=[decoded], limit=1)
        rows = [(r, "ref") for r in found]
        guarded = False
    else:
        queries = []
        if key_kinds:
            if mode == "exact":
                queries.append(("key", ctx.read("api_search_keys_exact", limit=fetch, uids=[
                    uid(k, normalise_key(k, q)) for k in key_kinds])))
            else:
                queries.append(("key", ctx.read("api_search_keys_prefix", limit=fetch,
                                                prefixes=[f"{k}:{_prefix(k, q)}"
                                                          for k in key_kinds])))
        if {"patient", "escort_agent"} & set(kinds):
            name = "api_search_names_exact" if mode == "exact" else "api_search_names_prefix"
            queries.append(("name", ctx.read(name, text=q, limit=fetch)))
        results = await asyncio.gather(*(coro for _, coro in queries))
        rows = [(r, how) for (how, _), found in zip(queries, results, strict=True)
                for r in found]
    for row, how in rows:
        kind, key = split_uid(row["uid"])
        if kind not in kinds or row["uid"] in hits:
            continue
        if guarded and (personal(kind, key) if how == "key"
                        else mask_text(row.get("name") or "") != (row.get("name") or "")):
            continue
        hits[row["uid"]] = ctx.present.entity(row["uid"], matched=how, name=row.get("name"))
    items = list(hits.values())[:limit]
    payload = {"q": q, "mode": mode, "kinds": kinds, "restricted_kinds": restricted,
               "results": items, "truncated": len(hits) > limit}
    return payload, [u for u in list(hits)[:limit]]


# -- runs ----------------------------------------------------------------------------------
def _run(props: dict[str, Any], json_fields: tuple[str, ...]) -> dict[str, Any]:
    out = dict(props)
    for name in json_fields:
        if name in out:
            out[name] = _json_field(out[name], out[name])
    return out


async def ingest_runs(ctx: Ctx, *, limit: int, offset: int) -> Payload:
    """Recent ingestion runs, newest first."""
    rows, count = await asyncio.gather(ctx.read("api_ingest_runs", limit=limit, offset=offset),
                                       ctx.read("api_ingest_runs_count"))
    runs = [ctx.present.text(_run(r["run"], ("files",))) for r in rows]
    return {"total": count[0]["total"], "limit": limit, "offset": offset, "runs": runs}, []


async def nightly_passes(ctx: Ctx, *, limit: int, offset: int) -> Payload:
    """Recent nightly passes, newest first."""
    rows, count = await asyncio.gather(ctx.read("nightly_passes", limit=limit, offset=offset),
                                       ctx.read("nightly_passes_count"))
    runs = [ctx.present.text(_run(r["pass"], ("files", "analysis"))) for r in rows]
    return {"total": count[0]["total"], "limit": limit, "offset": offset, "runs": runs}, []


async def analysis_runs(ctx: Ctx, *, limit: int, offset: int) -> Payload:
    """Recent analysis runs, newest first; `current` marks the one whose results are served."""
    rows, count = await asyncio.gather(ctx.read("analysis_runs", limit=limit, offset=offset),
                                       ctx.read("api_analysis_runs_count"))
    runs = [ctx.present.text(_run(r["run"], ("params", "summary"))) for r in rows]
    return {"total": count[0]["total"], "limit": limit, "offset": offset, "runs": runs}, []
