"""What the case routes answer: small verb-named functions over the ``case_*`` queries.

A case is keyed by its network's stable id, so it follows the network across nightly runs;
its figures are read from the network in the current analysis run. Each change is stored as
a :CaseEvent (who, when, what, the note) and the request that made it is audited before the
change is written (``Ctx.audit_ok``).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from scalpernet.api.deps import Ctx
from scalpernet.api.errors import ApiError
from scalpernet.cases.workflow import allowed_from, membership_changes, next_statuses

Payload = tuple[dict[str, Any], list[str]]
#: Members listed per kind of change (each says how many there are in all).
CHANGES_LIMIT = 100


def _by(ctx: Ctx) -> dict[str, str]:
    p = ctx.principal
    return {"key_id": p.key_id, "name": p.name, "role": p.role}


def event_shown(row: dict[str, Any]) -> dict[str, Any]:
    return {"seq": row["seq"], "type": row["type"], "at": row["at"],
            "by": {"key_id": row.get("by_key_id"), "name": row.get("by_name"),
                   "role": row.get("by_role")},
            "from": row.get("from"), "to": row.get("to"), "note": row.get("note")}


def _case(props: dict[str, Any]) -> dict[str, Any]:
    status = props["status"]
    return {"network_id": props["network_id"], "status": status,
            "next_statuses": next_statuses(status), "assignee": props.get("assignee"),
            "created_at": props.get("created_at"), "updated_at": props.get("updated_at"),
            "opened_run_id": props.get("opened_run_id"),
            "confirmed_at": props.get("confirmed_at"),
            "confirmed_run_id": props.get("confirmed_run_id"),
            "confirmed_size": props.get("confirmed_size"),
            "confirmed_risk": props.get("confirmed_risk")}


def _not_found(network_id: str) -> ApiError:
    return ApiError(404, "not_found", f"no case for network {network_id}")


async def _stored(ctx: Ctx, network_id: str) -> dict[str, Any]:
    records = await ctx.read("case_get", network_id=network_id)
    if not records:
        raise _not_found(network_id)
    return records[0]


async def _changes(ctx: Ctx, network_id: str, limit: int) -> tuple[dict[str, Any], list[str]]:
    """Who joined, left or changed role since the case was confirmed, and where those who
    left are now."""
    row = (await ctx.read("case_membership", network_id=network_id))[0]
    diff = membership_changes(row["confirmed"], row["current"] if row["present"] else [])
    shown: list[str] = []
    out: dict[str, Any] = {"network_present": row["present"]}
    for name, items in diff.items():
        page = items[:limit]
        shown.extend(u for u, _, _ in page)
        out[name] = {"total": len(items), "members": [
            ctx.present.entity(u, role_then=then, role_now=now) for u, then, now in page]}
    left = [u for u, _, _ in diff["left"]]
    elsewhere = (await ctx.read("case_members_elsewhere", uids=left, network_id=network_id)
                 if left else [])
    out["left_now_in"] = [{"network": r["network"], "members": r["members"]}
                          for r in elsewhere]
    return out, shown


async def _answer(ctx: Ctx, network_id: str) -> dict[str, Any]:
    """A case, its history and its network in the current run (no member shown): what a
    change is answered with, its audit line written before the change."""
    row = await _stored(ctx, network_id)
    return {"case": _case(row["case"]), "network": row["network"],
            "history": [event_shown(e) for e in row["events"]]}


async def get_case(ctx: Ctx, network_id: str, *, changes_limit: int = CHANGES_LIMIT
                   ) -> Payload:
    """A case, its history, its network in the current run and, once confirmed, what
    changed in the network's membership since."""
    payload: dict[str, Any] = {**await _answer(ctx, network_id), "changes": None}
    shown: list[str] = []
    if payload["case"]["confirmed_at"] is not None:
        payload["changes"], shown = await _changes(ctx, network_id, changes_limit)
    return payload, shown


async def list_cases(ctx: Ctx, *, status: str | None, assignee: str | None, limit: int,
                     offset: int) -> Payload:
    """Cases, most recently changed first, with their networks' current figures."""
    record = (await ctx.read("cases_list", status=status, assignee=assignee, limit=limit,
                             offset=offset))[0]
    return {"total": record["total"], "limit": limit, "offset": offset,
            "cases": [{**_case(item["case"]), "network": item["network"]}
                      for item in record["cases"]]}, []


async def open_case(ctx: Ctx, network_id: str, note: str | None
                    ) -> tuple[dict[str, Any], bool]:
    """Open the case of a current network (or find it open); True when opened now."""
    existing = await ctx.read("case_get", network_id=network_id)
    if not existing:
        found = await ctx.read("network_get_summary", id=network_id)
        if not found:
            raise ApiError(404, "not_found", f"no current network with id {network_id}")
        await ctx.audit_ok(status=201)
        rows = await ctx.graph.write("case_open", network_id=network_id, note=note,
                                     at=datetime.now(UTC), by=_by(ctx),
                                     request_id=ctx.request_id)
        if not rows:  # the network left the current run in between
            raise ApiError(404, "not_found", f"no current network with id {network_id}")
        created = bool(rows[0]["created"])
    else:
        created = False
    return await _answer(ctx, network_id), created


async def change_status(ctx: Ctx, network_id: str, status: str, note: str
                        ) -> dict[str, Any]:
    """Move a case along its workflow, with a note; 409 for a move the workflow forbids."""
    row = await _stored(ctx, network_id)
    current = row["case"]["status"]
    sources = allowed_from(status)
    if current not in sources:
        raise _refused_move(current, status)
    if status == "confirmed" and row["network"] is None:
        raise ApiError(409, "network_not_current",
                       f"network {network_id} is not in the current analysis run, so there "
                       "is no membership to confirm")
    ctx.extra_params.update({"status": status})
    await ctx.audit_ok()
    result = await ctx.graph.write("case_change_status", network_id=network_id, status=status,
                                   allowed_from=list(sources), note=note,
                                   at=datetime.now(UTC), by=_by(ctx),
                                   request_id=ctx.request_id)
    if not result:
        raise _not_found(network_id)
    if not result[0]["allowed"]:  # another change came first
        raise _refused_move(result[0]["before"], status)
    return await _answer(ctx, network_id)


def _refused_move(current: str, status: str) -> ApiError:
    allowed = ", ".join(next_statuses(current)) or "none (the case is closed)"
    return ApiError(409, "invalid_transition",
                    f"a {current} case cannot become {status} (it may become: {allowed})")


async def assign(ctx: Ctx, network_id: str, assignee: str | None, note: str | None
                 ) -> dict[str, Any]:
    """Give a case to someone (None: to nobody), with an optional note."""
    await _stored(ctx, network_id)
    ctx.extra_params.update({"assignee": assignee})
    await ctx.audit_ok()
    await ctx.graph.write("case_assign", network_id=network_id, assignee=assignee, note=note,
                          at=datetime.now(UTC), by=_by(ctx), request_id=ctx.request_id)
    return await _answer(ctx, network_id)


async def comment(ctx: Ctx, network_id: str, text: str) -> dict[str, Any]:
    """Add a comment to a case's history."""
    await _stored(ctx, network_id)
    await ctx.audit_ok()
    await ctx.graph.write("case_comment", network_id=network_id, note=text,
                          at=datetime.now(UTC), by=_by(ctx), request_id=ctx.request_id)
    return await _answer(ctx, network_id)
