"""GET /health: no key needed; says whether Neo4j answers."""

from __future__ import annotations

import asyncio

from fastapi import APIRouter, Request

from scalpernet import __version__
from scalpernet.api.responses import JSON
from scalpernet.api.schemas import ErrorOut, HealthOut

router = APIRouter(tags=["health"])


@router.get("/health", response_model=None, responses={200: {"model": HealthOut},
                                                      429: {"model": ErrorOut},
                                                      503: {"model": HealthOut}})
async def health(request: Request) -> JSON:
    """Liveness and Neo4j reachability (503 while the database does not answer)."""
    try:
        latency: float | None = await asyncio.wait_for(request.app.state.graph.ping(), 5.0)
    except Exception:
        latency = None
    body = {"status": "ok" if latency is not None else "degraded", "version": __version__,
            "neo4j": {"reachable": latency is not None,
                      "latency_ms": round(latency, 2) if latency is not None else None}}
    return JSON(body, status_code=200 if latency is not None else 503)
