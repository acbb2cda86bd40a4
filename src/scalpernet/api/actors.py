"""What the API answers about actors, the people behind a network's identifiers.

Actors are served as detection stored them with the current analysis run: a network's
actors by tier (counts and the top of each tier), pages of them, their tree, and one actor
with its identifiers, the bookings through them and its evidence. Identifiers are shown
through ``ctx.present`` (masked for analysts, with opaque references), so masking happens
where it does for every other route; an answer names the entities and the actors it shows
for its audit line.
"""

from __future__ import annotations

import asyncio
from typing import Any

import orjson

from scalpernet.api.deps import Ctx
from scalpernet.api.errors import ApiError
from scalpernet.api.present import instant
from scalpernet.api.responses import render_json
from scalpernet.api.tree import ACTOR_TIERS, MEMBER_ROLES, ActorRow, Tree, current_tree

Payload = tuple[dict[str, Any], list[str]]
#: Longest an actor's queries may run (a technician's bookings can be many thousands).
QUERY_TIMEOUT_S = 20.0
#: Doctors listed in an actor's bookings summary.
TOP_DOCTORS = 10


def actor_out(ctx: Ctx, actor: ActorRow) -> dict[str, Any]:
    """An actor as every answer shows it: id, role, score, how many identifiers it uses,
    its parent and the bookings and payments linking them, and its evidence in numbers."""
    return {"id": actor.id, "role": actor.role, "score": actor.score,
            "identifiers": actor.identifiers, "parent": actor.parent, "link": actor.link,
            "evidence": ctx.present.text(actor.evidence)}


def leading(ctx: Ctx, tree: Tree, top: int) -> tuple[dict[str, Any], list[str]]:
    """A network's actors by tier: how many of each, and the `top` of each (highest score
    first), with the ids shown."""
    tiers, shown = [], []
    for role in ACTOR_TIERS:
        actors = tree.actors_by_role.get(role, [])
        tiers.append({"role": role, "count": len(actors),
                      "top": [actor_out(ctx, a) for a in actors[:top]]})
        shown += [a.id for a in actors[:top]]
    return {"total": len(tree.actors), "top_limit": top, "tiers": tiers}, shown


def _nodes(ctx: Ctx, tree: Tree, ids: list[str], children_limit: int, shown: list[str]
           ) -> list[dict[str, Any]]:
    out = []
    for actor_id in ids:
        kids = tree.children.get(actor_id, [])
        shown.append(actor_id)
        out.append({**actor_out(ctx, tree.by_id[actor_id]),
                    "children": _nodes(ctx, tree, kids[:children_limit], children_limit,
                                       shown),
                    "children_total": len(kids)})
    return out


def hierarchy(ctx: Ctx, tree: Tree, children_limit: int) -> tuple[orjson.Fragment, list[str]]:
    """The actor tree (technician → first level → second levels → patients, each link with
    its bookings and payments) with members counted per role, rendered once per masking and
    `children_limit`; and the actor ids it shows."""
    key = (ctx.masked, children_limit)
    hit = tree.rendered.get(key)
    if hit is None:
        counts = tree.counts()
        shown: list[str] = []
        body = {
            "tiers": [{"role": r, "count": counts.get(r, 0)} for r in MEMBER_ROLES],
            "children_limit": children_limit,
            "tree": _nodes(ctx, tree, tree.roots, children_limit, shown),
            "unattached": _nodes(ctx, tree, tree.unattached, children_limit, shown),
            "unattached_patients": tree.unattached_patients,
        }
        if len(tree.rendered) >= 16:
            tree.rendered.clear()
        hit = tree.rendered[key] = (orjson.Fragment(render_json(body)), shown)
    return hit


async def network_actors(ctx: Ctx, network_id: str, *, role: str | None, limit: int,
                         offset: int) -> tuple[dict[str, Any], list[str]]:
    """One page of a current network's actors in tier order (highest score first within a
    tier), optionally of one role; and the actor ids shown."""
    tree = await current_tree(ctx, network_id)
    total, page = tree.actor_page(role, offset, limit)
    payload = {"network": network_id, "run_id": tree.run_id, "role": role, "total": total,
               "limit": limit, "offset": offset,
               "tiers": [{"role": r, "count": len(tree.actors_by_role.get(r, []))}
                         for r in ACTOR_TIERS],
               "actors": [actor_out(ctx, a) for a in page]}
    return payload, [a.id for a in page]


async def actor_detail(ctx: Ctx, actor_id: str, *, limit: int, offset: int) -> Payload:
    """One actor of the current run: its identifiers (one page), the bookings through them
    and its stored evidence; 404 for an id that the current run does not hold."""
    found, bookings = await asyncio.gather(
        ctx.read("api_actor", id=actor_id, limit=limit, offset=offset,
                 timeout=QUERY_TIMEOUT_S),
        ctx.read("api_actor_bookings", id=actor_id, doctors=TOP_DOCTORS,
                 timeout=QUERY_TIMEOUT_S))
    if not found or not bookings:
        raise ApiError(404, "not_found", f"no current actor with id {actor_id}")
    row, stats = found[0], bookings[0]
    stored = row["actor"]
    actor = ActorRow.from_record([stored["id"], stored["role"], stored.get("score"),
                                  stored.get("parent"), stored.get("link"),
                                  stored.get("evidence"), row["identifiers_total"]])
    children = {c["role"]: c["count"] for c in row["children"]}
    idents = row["identifiers"]
    payload = {
        "actor": actor_out(ctx, actor),
        "run_id": row["run_id"],
        "network": row["network"],
        "parent": row["parent"],
        "children": [{"role": r, "count": children[r]} for r in ACTOR_TIERS if r in children],
        "identifiers_total": row["identifiers_total"], "identifiers_limit": limit,
        "identifiers_offset": offset,
        "identifiers": [ctx.present.entity(i["uid"], shared=bool(i.get("shared")),
                                           operated_by_tool=bool(i.get("operated_by_tool")),
                                           role=i.get("role"), score=i.get("score"))
                        for i in idents],
        "bookings": {
            "total": stats["total"], "first_booked_at": instant(stats["first_booked_at"]),
            "last_booked_at": instant(stats["last_booked_at"]),
            "departments": stats["departments"], "doctors": stats["doctors"],
            "hospitals": stats["hospitals"], "top_doctors": ctx.present.text(
                stats["top_doctors"]),
            "statuses": stats["statuses"], "latency_ms": stats["latency_ms"],
            "payments": stats["payments"],
        },
    }
    return payload, [i["uid"] for i in idents]


__all__ = ["actor_detail", "actor_out", "hierarchy", "leading", "network_actors"]
