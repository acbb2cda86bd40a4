"""Shortest paths between two entities."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from scalpernet.api import service
from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, ExplainParam, require
from scalpernet.api.routes import AUTH_ERRORS
from scalpernet.api.routes.entities import RelType
from scalpernet.api.schemas import Paths, responses

router = APIRouter(tags=["paths"])
Reader = Annotated[Ctx, Depends(require(*READERS))]
EntityParam = Annotated[str, Query(min_length=3, max_length=600,
                                   pattern=r"^(ref_[A-Za-z0-9_-]+|[a-z_]+:.+)$", description=(
    "`<kind>:<key>` (e.g. `payer:alipay-8812`) or an opaque reference."))]
MAX_HOPS = 6


@router.get("/paths", response_model=None,
            responses=responses(Paths, 400, 404, 504, *AUTH_ERRORS))
async def get_paths(
    ctx: Reader,
    source: EntityParam,
    target: EntityParam,
    max_hops: Annotated[int, Query(ge=1, le=MAX_HOPS, description=(
        "Relationships at most; entity → registration → entity is 2."))] = 4,
    types: Annotated[list[RelType] | None, Query(
        description="Only through these relationship types.")] = None,
    limit: Annotated[int, Query(ge=1, le=50, description="Paths returned at most.")] = 10,
    explain: ExplainParam = False,
) -> Response:
    """All shortest paths (up to `limit`) between two entities within `max_hops`."""
    payload, shown = await service.paths(ctx.explain(explain), source, target,
                                         max_hops=max_hops,
                                         types=list(types or service.REL_TYPES), limit=limit)
    return await ctx.respond(payload, entities=shown)
