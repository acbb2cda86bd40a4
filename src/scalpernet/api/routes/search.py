"""Search across identifiers (entity keys) and names (patients, escort agents)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from scalpernet.api import service
from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, ExplainParam, require
from scalpernet.api.routes import AUTH_ERRORS
from scalpernet.api.schemas import SearchOut, responses
from scalpernet.entities import KIND_LABELS, Kind

router = APIRouter(tags=["search"])
Reader = Annotated[Ctx, Depends(require(*READERS))]


@router.get("/search", response_model=None, responses=responses(SearchOut, *AUTH_ERRORS))
async def search(
    ctx: Reader,
    q: Annotated[str, Query(min_length=1, max_length=200, description=(
        "A key, the start of one, a name, or an opaque reference."))],
    mode: Annotated[Literal["exact", "prefix"], Query()] = "prefix",
    kinds: Annotated[list[Kind] | None, Query(description="Only these kinds.")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    explain: ExplainParam = False,
) -> Response:
    """Entities whose key or name matches `q`, exactly or by prefix. Results are masked for
    analysts, who cannot prefix-search ID numbers, phones or patient keys (exact only)."""
    if not q.strip():
        from scalpernet.api.errors import ApiError

        raise ApiError(422, "invalid_parameter", "q: must not be blank")
    payload, shown = await service.search(ctx.explain(explain), q, mode=mode,
                                          kinds=list(kinds or KIND_LABELS), limit=limit)
    return await ctx.respond(payload, entities=shown)
