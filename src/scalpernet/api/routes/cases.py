"""Cases: open one on a network, move it through its workflow, assign it, comment on it."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, ExplainParam, require
from scalpernet.api.routes import AUTH_ERRORS
from scalpernet.api.schemas import responses
from scalpernet.cases import service
from scalpernet.cases.schemas import (
    Assignment,
    CaseAnswer,
    CaseDetail,
    CaseList,
    CaseOpen,
    Comment,
    StatusChange,
)
from scalpernet.cases.workflow import Status

router = APIRouter(prefix="/cases", tags=["cases"])
#: Investigators, analysts and admins all work cases; every change names its author.
Worker = Annotated[Ctx, Depends(require(*READERS))]
NetworkId = Annotated[str, Path(min_length=1, max_length=200,
                                description="The network's stable id.")]


@router.get("", response_model=None, responses=responses(CaseList, *AUTH_ERRORS))
async def list_cases(
    ctx: Worker,
    status: Annotated[Status | None, Query(description="Only cases in this status.")] = None,
    assignee: Annotated[str | None, Query(min_length=1, max_length=100)] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
) -> Response:
    """Cases, most recently changed first, with their networks' current figures."""
    payload, shown = await service.list_cases(ctx, status=status, assignee=assignee,
                                              limit=limit, offset=offset)
    return await ctx.respond(payload, entities=shown)


@router.post("", response_model=None, status_code=201,
             responses={201: {"model": CaseAnswer},
                        **responses(CaseAnswer, 400, 404, *AUTH_ERRORS)})
async def open_case(ctx: Worker, body: CaseOpen) -> Response:
    """Open the case of a current network (201), or answer the one already open (200)."""
    payload, created = await service.open_case(ctx, body.network_id, body.note)
    return await ctx.respond(payload, status=201 if created else 200)


@router.get("/{network_id}", response_model=None,
            responses=responses(CaseDetail, 404, *AUTH_ERRORS))
async def get_case(
    ctx: Worker, network_id: NetworkId,
    changes_limit: Annotated[int, Query(ge=0, le=1000, description=(
        "Members listed per kind of change (joined, left, role changed)."))] = 100,
    explain: ExplainParam = False,
) -> Response:
    """A case: status, assignee, history, its network now and, once confirmed, who joined,
    left or changed role since (and where those who left are now)."""
    payload, shown = await service.get_case(ctx.explain(explain), network_id,
                                            changes_limit=changes_limit)
    return await ctx.respond(payload, entities=shown)


@router.post("/{network_id}/status", response_model=None,
             responses=responses(CaseAnswer, 400, 404, 409, *AUTH_ERRORS))
async def change_status(ctx: Worker, network_id: NetworkId, body: StatusChange) -> Response:
    """Move the case: new → under_review → confirmed → referred, or dismissed (409 for a
    move the workflow forbids). Confirming keeps the members for later comparison."""
    return await ctx.respond(await service.change_status(ctx, network_id, body.status,
                                                         body.note))


@router.post("/{network_id}/assignee", response_model=None,
             responses=responses(CaseAnswer, 400, 404, *AUTH_ERRORS))
async def assign(ctx: Worker, network_id: NetworkId, body: Assignment) -> Response:
    """Give the case to someone, or to nobody (null)."""
    return await ctx.respond(await service.assign(ctx, network_id, body.assignee, body.note))


@router.post("/{network_id}/comments", response_model=None,
             responses=responses(CaseAnswer, 400, 404, *AUTH_ERRORS))
async def comment(ctx: Worker, network_id: NetworkId, body: Comment) -> Response:
    """Add a comment to the case's history."""
    return await ctx.respond(await service.comment(ctx, network_id, body.text))
