"""Ingestion runs, analysis runs and nightly passes: what was loaded and analysed, when, with
what outcome."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response

from scalpernet.api import service
from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, require
from scalpernet.api.routes import AUTH_ERRORS
from scalpernet.api.schemas import RunsOut, responses

router = APIRouter(tags=["runs"])
Reader = Annotated[Ctx, Depends(require(*READERS))]
Limit = Annotated[int, Query(ge=1, le=200)]
Offset = Annotated[int, Query(ge=0, le=1_000_000)]


@router.get("/ingest/runs", response_model=None, responses=responses(RunsOut, *AUTH_ERRORS))
async def ingest_runs(ctx: Reader, limit: Limit = 20, offset: Offset = 0) -> Response:
    """Recent `scalpernet ingest` runs, newest first."""
    payload, _ = await service.ingest_runs(ctx, limit=limit, offset=offset)
    return await ctx.respond(payload)


@router.get("/analysis/runs", response_model=None, responses=responses(RunsOut, *AUTH_ERRORS))
async def analysis_runs(ctx: Reader, limit: Limit = 20, offset: Offset = 0) -> Response:
    """Recent `scalpernet analyze` runs, newest first; `current` marks the served one."""
    payload, _ = await service.analysis_runs(ctx, limit=limit, offset=offset)
    return await ctx.respond(payload)


@router.get("/nightly/passes", response_model=None, responses=responses(RunsOut, *AUTH_ERRORS))
async def nightly_passes(ctx: Reader, limit: Limit = 20, offset: Offset = 0) -> Response:
    """Recent `scalpernet nightly` passes, newest first: files, counts, analysis, status."""
    payload, _ = await service.nightly_passes(ctx, limit=limit, offset=offset)
    return await ctx.respond(payload)
