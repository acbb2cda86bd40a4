"""Actors: the people behind a network's identifiers, as detection stored them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from scalpernet.api import actors
from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, ExplainParam, require
from scalpernet.api.routes import AUTH_ERRORS
from scalpernet.api.schemas import ActorDetail, responses

router = APIRouter(prefix="/actors", tags=["actors"])
Reader = Annotated[Ctx, Depends(require(*READERS))]
ActorId = Annotated[str, Path(min_length=1, max_length=200,
                              description="Actor id (stable across analysis runs).")]
MAX_IDENTIFIERS = 1000


@router.get("/{actor_id}", response_model=None,
            responses=responses(ActorDetail, 404, *AUTH_ERRORS))
async def get_actor(
    ctx: Reader, actor_id: ActorId,
    identifiers_limit: Annotated[int, Query(ge=1, le=MAX_IDENTIFIERS, description=(
        "Identifiers per page, ordered by uid."))] = 100,
    identifiers_offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    explain: ExplainParam = False,
) -> Response:
    """One actor of the current analysis run: its role, score and evidence, its place in
    the tree (parent, link, children per role), one page of the identifiers it uses (each
    shared or operated by the tool, with its role in the network), and a summary of the
    bookings through them: counts, first and last, hospitals, doctors, statuses, the delay
    after release and the payments."""
    payload, shown = await actors.actor_detail(ctx.explain(explain), actor_id,
                                               limit=identifiers_limit,
                                               offset=identifiers_offset)
    return await ctx.respond(payload, entities=shown,
                             actors=[actor_id, *([payload["parent"]["id"]]
                                                 if payload["parent"] else [])])
