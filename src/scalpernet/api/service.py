"""What the API answers: small verb-named functions over named queries, one per question.

Each takes the request context (``ctx``) and returns a JSON-ready dict plus the uids of the
entities it shows (for the audit log). Keys are shown through ``ctx.present``, so masking
happens in one place whatever the route.
"""

from __future__ import annotations

import asyncio
import importlib
from collections import OrderedDict, defaultdict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import orjson

from scalpernet.api.batching import Coalescer
from scalpernet.api.caching import CurrentRun, DetailCache
from scalpernet.api.deps import Ctx
from scalpernet.api.errors import ApiError
from scalpernet.api.responses import render_json
from scalpernet.entities import KIND_LABELS, split_uid, uid
from scalpernet.graph.async_session import AsyncGraph
from scalpernet.identifiers import normalise_name, parse_id_card, parse_ip, parse_phone
from scalpernet.privacy import PERSONAL_KINDS, REF_PREFIX, mask_key, mask_text

#: Relationship types of the graph model an investigator can filter on.
REL_TYPES = ("FOR", "CONTACT", "FROM_IP", "ON_DEVICE", "BY_ACCOUNT", "PAID_BY", "VIA_AGENT",
             "HAS_ID", "HAS_PHONE")
TIERS = ("technician", "first_level", "second_level", "patient")
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


async def list_networks_rendered(ctx: Ctx, **query: Any) -> tuple[bytes, list[str]]:
    """:func:`list_networks` as JSON bytes, rendered once per analysis run, query and
    masking, then served from memory until the next run (like network details)."""
    state = ctx.request.app.state
    run_id = await state.current_run.id()
    lists: DetailCache = state.lists
    key = ("networks", ctx.masked, *sorted(query.items()))
    hit = lists.get(run_id, key)
    if hit is not None:
        return hit
    payload, shown = await list_networks(ctx, **query)
    body = render_json(payload)
    if payload["run_id"] == run_id:  # a run stored in between is cached on a later request
        lists.put(run_id, key, body, shown)
    return body, shown


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


def _ref_uid(ref: Any) -> str | None:
    if isinstance(ref, dict) and ref.get("kind") in KIND_LABELS and ref.get("key") is not None:
        return uid(ref["kind"], str(ref["key"]))
    return None


@dataclass
class Tree:
    """A network's tier tree and member order: uids only, built once per analysis run."""

    run_id: str | None
    role_of: dict[str, str]
    roots: list[str]
    children: dict[str, list[str]]
    link: dict[str, dict[str, Any]]
    unattached: list[str]
    attached_patients: int
    order: list[str] = field(default_factory=list)
    by_role: dict[str, list[str]] = field(default_factory=dict)
    #: The hierarchy as already serialised JSON, with the uids it shows, per
    #: (masked, children_limit): the same for every request until the next run.
    rendered: dict[tuple[bool, int], tuple[orjson.Fragment, list[str]]] = field(
        default_factory=dict)

    def page(self, role: str | None, offset: int, limit: int) -> tuple[int, list[str]]:
        """Members in page order (tier, score, uid), optionally of one role, and the total."""
        chosen = self.order if role is None else self.by_role.get(role, [])
        return len(chosen), chosen[offset:offset + limit]

    def counts(self) -> dict[str, int]:
        return {role: len(members) for role, members in self.by_role.items()}


def build_tree(run_id: str | None, members: list[list[str]],
               links: list[dict[str, Any]]) -> Tree:
    """The tiers technician → first_level → second_level → patient as a tree.

    `members` are ``[uid, role]`` pairs in page order. Each member hangs under the member
    of the nearest higher tier it is linked to, the strongest such link winning (weight,
    then registrations); link ends not among `members` count as patients. Non-technicians
    with no such link are unattached; role ``none`` stays outside the tree.
    """
    rank = {role: i for i, role in enumerate(TIERS)}
    role_of = {member: role for member, role in members}
    adjacent: dict[str, list[tuple[str, tuple[float, int], dict[str, Any]]]] = defaultdict(list)
    for item in links:
        a, b = _ref_uid(item.get("source")), _ref_uid(item.get("target"))
        if a is None or b is None or a == b:
            continue
        for end in (a, b):
            role_of.setdefault(end, "patient")
        strength = (float(item.get("weight") or 0), int(item.get("registrations") or 0))
        info = {"type": item.get("type"), "weight": item.get("weight"),
                "registrations": item.get("registrations")}
        adjacent[a].append((b, strength, info))
        adjacent[b].append((a, strength, info))
    parent: dict[str, tuple[str, dict[str, Any]]] = {}
    for member, role in role_of.items():
        level = rank.get(role)
        if not level:  # technicians are roots; 'none' is outside the tree
            continue
        best: tuple[int, tuple[float, int], str] | None = None
        for other, strength, info in adjacent.get(member, ()):
            other_level = rank.get(role_of[other])
            if other_level is None or other_level >= level:
                continue
            key = (other_level, strength, other)
            if best is None or key > best:
                best = key
                parent[member] = (other, info)
    children: dict[str, list[str]] = defaultdict(list)
    strength_of: dict[str, float] = {}
    for child, (up, info) in parent.items():
        children[up].append(child)
        strength_of[child] = float(info.get("weight") or 0)
    for kids in children.values():
        kids.sort(key=lambda c: (rank[role_of[c]], -strength_of[c], c))
    return Tree(
        run_id=run_id, role_of=role_of,
        roots=sorted(u for u, r in role_of.items() if r == "technician"),
        children=dict(children), link={c: info for c, (_, info) in parent.items()},
        unattached=sorted((u for u, r in role_of.items()
                           if r in rank and r not in ("technician", "patient")
                           and u not in parent), key=lambda u: (rank[role_of[u]], u)),
        attached_patients=sum(1 for u, r in role_of.items() if r == "patient" and u in parent),
        order=[member for member, _ in members], by_role=_by_role(members),
    )


def _by_role(members: list[list[str]]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = defaultdict(list)
    for member, role in members:
        out[role].append(member)
    return dict(out)


class TreeCache:
    """Recently built trees by network id; a tree is reused only for the same analysis run."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._trees: OrderedDict[str, Tree] = OrderedDict()
        self._building: dict[str, asyncio.Future[Tree]] = {}

    async def build_once(self, network_id: str, build: Callable[[], Awaitable[Tree]]) -> Tree:
        """Run `build` for a network unless a build is already under way, then share it:
        fifty clients opening a big network at once cost one build, not fifty."""
        pending = self._building.get(network_id)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Tree] = asyncio.get_running_loop().create_future()
        self._building[network_id] = future
        try:
            tree = await build()
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # retrieved: waiters re-raise it, nobody logs it as lost
            raise
        finally:
            del self._building[network_id]
        future.set_result(tree)
        self.put(network_id, tree)
        return tree

    def latest(self, network_id: str) -> Tree | None:
        """The tree last built for the network, whichever run it came from."""
        tree = self._trees.get(network_id)
        if tree is not None:
            self._trees.move_to_end(network_id)
        return tree

    def get(self, network_id: str, run_id: str | None) -> Tree | None:
        tree = self._trees.get(network_id)
        if tree is None or tree.run_id != run_id:
            return None
        self._trees.move_to_end(network_id)
        return tree

    def put(self, network_id: str, tree: Tree) -> None:
        self._trees[network_id] = tree
        self._trees.move_to_end(network_id)
        while len(self._trees) > self.size:
            self._trees.popitem(last=False)


async def _build_tree(ctx: Ctx, network_id: str) -> Tree:
    async def build() -> Tree:
        records = await ctx.read("api_network_hierarchy", id=network_id,
                                 timeout=QUERY_TIMEOUT_S)
        if not records:
            raise ApiError(404, "not_found", f"no current network with id {network_id}")
        record = records[0]

        def compute() -> Tree:
            links = _json_field(record["links"], [])
            return build_tree(record["run_id"], record["members"],
                              links if isinstance(links, list) else [])

        return await asyncio.to_thread(compute)

    cache: TreeCache = ctx.request.app.state.trees
    return await cache.build_once(network_id, build)


def _present_tree(ctx: Ctx, tree: Tree, nodes: list[str], children_limit: int
                  ) -> list[dict[str, Any]]:
    out = []
    for node in nodes:
        kids = tree.children.get(node, [])
        out.append(ctx.present.entity(
            node, role=tree.role_of[node], link=tree.link.get(node),
            children=_present_tree(ctx, tree, kids[:children_limit], children_limit),
            children_total=len(kids)))
    return out


def _shown_in_tree(tree: Tree, nodes: list[str], children_limit: int) -> list[str]:
    shown = []
    for node in nodes:
        shown.append(node)
        shown += _shown_in_tree(tree, tree.children.get(node, [])[:children_limit],
                                children_limit)
    return shown


async def network_detail(ctx: Ctx, network_id: str, *, limit: int, offset: int,
                         role: str | None, children_limit: int) -> Payload:
    """One current network: tier hierarchy, one page of members (role, score, signals,
    evidence), and member counts per role.

    The tree and the member order come from a per-run cache; the page itself is read by
    uid. Should a new analysis run land in between, the cache is rebuilt and read again.
    """
    cache: TreeCache = ctx.request.app.state.trees
    tree = cache.latest(network_id) or await _build_tree(ctx, network_id)
    for _ in range(2):
        total, uids = tree.page(role, offset, limit)
        records = await ctx.read("api_network_detail", id=network_id, uids=uids,
                                 timeout=QUERY_TIMEOUT_S)
        if not records:
            raise ApiError(404, "not_found", f"no current network with id {network_id}")
        record = records[0]
        if record["network"].get("run_id") == tree.run_id:
            break
        tree = await _build_tree(ctx, network_id)
    props = record["network"]
    hierarchy_, tree_shown = _rendered_hierarchy(ctx, tree, children_limit)
    payload = {**_network_summary(ctx, props), "hierarchy": hierarchy_,
               "members_total": total, "members_limit": limit, "members_offset": offset,
               "members": [_member(ctx, row) for row in record["members"]]}
    return payload, [*(r["uid"] for r in record["members"]), *tree_shown]


async def network_detail_rendered(ctx: Ctx, network_id: str, *, limit: int, offset: int,
                                  role: str | None, children_limit: int
                                  ) -> tuple[bytes, list[str]]:
    """:func:`network_detail` as JSON bytes, rendered once per analysis run, network, page
    and masking, then served from :class:`DetailCache` until the next run."""
    state = ctx.request.app.state
    current: CurrentRun = state.current_run
    details: DetailCache = state.details
    run_id = await current.id()
    key = (network_id, ctx.masked, limit, offset, role, children_limit)
    hit = details.get(run_id, key)
    if hit is not None:
        return hit
    payload, shown = await network_detail(ctx, network_id, limit=limit, offset=offset,
                                          role=role, children_limit=children_limit)
    body = render_json(payload)
    if payload["run_id"] == run_id:  # a run stored in between is cached on a later request
        details.put(run_id, key, body, shown)
    return body, shown


def _rendered_hierarchy(ctx: Ctx, tree: Tree, children_limit: int
                        ) -> tuple[orjson.Fragment, list[str]]:
    key = (ctx.masked, children_limit)
    hit = tree.rendered.get(key)
    if hit is None:
        counts = tree.counts()
        hierarchy_ = {
            "tiers": [{"role": r, "count": counts.get(r, 0)} for r in (*TIERS, "none")],
            "children_limit": children_limit,
            "tree": _present_tree(ctx, tree, tree.roots, children_limit),
            "unattached": _present_tree(ctx, tree, tree.unattached, children_limit),
            "unattached_patients": max(0, counts.get("patient", 0) - tree.attached_patients),
        }
        if len(tree.rendered) >= 16:
            tree.rendered.clear()
        hit = tree.rendered[key] = (
            orjson.Fragment(render_json(hierarchy_)),
            _shown_in_tree(tree, tree.roots + tree.unattached, children_limit))
    return hit


def _views_function(name: str) -> Any:
    for module in ("scalpernet.views", "scalpernet.views.render"):
        try:
            found = getattr(importlib.import_module(module), name, None)
        except ImportError:
            continue
        if callable(found):
            return found
    return None


async def network_view(ctx: Ctx, network_id: str) -> tuple[str, list[str]]:
    """The interactive HTML page of one network, from ``scalpernet.views``."""
    render = _views_function("render_network_page")
    if render is None:
        raise ApiError(501, "not_implemented",
                       "the network view is not available in this build: "
                       "scalpernet.views.render_network_page is missing")
    from scalpernet.results.store import network_from_record

    records = await ctx.read("network_get", id=network_id, timeout=QUERY_TIMEOUT_S)
    if not records:
        raise ApiError(404, "not_found", f"no current network with id {network_id}")
    props, rows = records[0]["network"], records[0]["members"]

    def build() -> str:
        return str(render(network_from_record(props, rows), masked=ctx.masked))

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


def instant(parts: list[int | None]) -> datetime | None:
    """A zoned datetime from ``[epoch seconds, nanosecond, offset seconds]`` (None for nulls)."""
    seconds, nanosecond, offset = parts
    if seconds is None or nanosecond is None or offset is None:
        return None
    zone = timezone(timedelta(seconds=offset))
    return datetime.fromtimestamp(seconds, zone).replace(microsecond=nanosecond // 1000)


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
