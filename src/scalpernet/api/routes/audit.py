"""GET /audit: the access log, newest first (admin only)."""

from __future__ import annotations

import asyncio
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from scalpernet.api.deps import Ctx, require
from scalpernet.api.routes import AUTH_ERRORS, IsoDateTime, zoned
from scalpernet.api.schemas import AuditOut, responses

router = APIRouter(tags=["audit"])
Admin = Annotated[Ctx, Depends(require("admin"))]


@router.get("/audit", response_model=None, responses=responses(AuditOut, *AUTH_ERRORS))
async def read_audit(
    ctx: Admin,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    key_id: Annotated[str | None, Query(pattern=r"^[0-9a-f]{16}$")] = None,
    route: Annotated[str | None, Query(max_length=200, description="Route prefix.")] = None,
    since: Annotated[IsoDateTime | None, Query()] = None,
) -> Response:
    """Audit entries (identifiers masked), newest first, filtered by key, route and time."""
    entries = await asyncio.to_thread(ctx.audit.read, limit=limit, offset=offset,
                                      key_id=key_id, route=route, since=zoned(since))
    return await ctx.respond({"limit": limit, "offset": offset, "entries": entries})
