"""Detected networks: the ranked list, one network's hierarchy and evidence, its HTML view."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import HTMLResponse, Response

from scalpernet.api import actors, service
from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, ExplainParam, require
from scalpernet.api.routes import AUTH_ERRORS, IsoDateTime, window
from scalpernet.api.schemas import NetworkActors, NetworkDetail, NetworkList, responses
from scalpernet.entities import Role

router = APIRouter(prefix="/networks", tags=["networks"])
Reader = Annotated[Ctx, Depends(require(*READERS))]
ActorRole = Literal["technician", "first_level", "second_level", "patient"]
NetworkId = Annotated[str, Path(min_length=1, max_length=200, description="Network id.")]
MAX_PAGE = 200
MAX_MEMBERS = 1000
MAX_CHILDREN = 1000
MAX_TOP_ACTORS = 50


@router.get("", response_model=None, responses=responses(NetworkList, 400, *AUTH_ERRORS))
async def list_networks(
    ctx: Reader,
    hospital: Annotated[str | None, Query(max_length=200,
                                          description="Only networks seen at this hospital.")
                        ] = None,
    since: Annotated[IsoDateTime | None, Query(description="Last seen at or after (ISO 8601; "
                                                        "no offset means +08:00).")] = None,
    until: Annotated[IsoDateTime | None, Query(description="First seen at or before.")] = None,
    min_risk: Annotated[float, Query(ge=0.0, le=1.0)] = 0.0,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    explain: ExplainParam = False,
) -> Response:
    """Current networks ranked by risk, highest first, with the total that match."""
    since, until = window(since, until)
    query = {"min_risk": min_risk, "hospital": hospital, "since": since, "until": until,
             "limit": limit, "offset": offset}
    payload, shown = await service.list_networks(ctx.explain(explain), **query)
    return await ctx.respond(payload, entities=shown, run_id=payload["run_id"])


@router.get("/{network_id}", response_model=None,
            responses=responses(NetworkDetail, 404, *AUTH_ERRORS))
async def get_network(
    ctx: Reader, network_id: NetworkId,
    actors_limit: Annotated[int, Query(ge=0, le=MAX_TOP_ACTORS, description=(
        "Top actors shown per tier (highest score first); each tier says how many it "
        "has."))] = 5,
    members_limit: Annotated[int, Query(ge=1, le=MAX_MEMBERS, description=(
        "Members per page, ordered by tier (technician first), score, uid."))] = 100,
    members_offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    role: Annotated[Role | None, Query(description="Only members with this role.")] = None,
    children_limit: Annotated[int, Query(ge=0, le=MAX_CHILDREN, description=(
        "Child actors shown under each tree node (each node says how many it has)."))] = 10,
    explain: ExplainParam = False,
) -> Response:
    """One network, led by its actors (the people behind its identifiers) by tier: counts
    and the top actors of each tier; then the actor tree (technician → first_level →
    second_level → patients, each link with its bookings and payments), member counts per
    role, and one page of members with role, score, signals and evidence."""
    query = {"limit": members_limit, "offset": members_offset, "role": role,
             "children_limit": children_limit, "actors_limit": actors_limit}
    payload, shown, shown_actors = await service.network_detail(
        ctx.explain(explain), network_id, **query)
    return await ctx.respond(payload, entities=shown, actors=shown_actors,
                             run_id=payload["run_id"])


@router.get("/{network_id}/actors", response_model=None,
            responses=responses(NetworkActors, 404, *AUTH_ERRORS))
async def list_network_actors(
    ctx: Reader, network_id: NetworkId,
    role: Annotated[ActorRole | None, Query(description="Only actors with this role.")
                    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 50,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    explain: ExplainParam = False,
) -> Response:
    """A network's actors, one page at a time, in tier order (technician first; highest
    score first within a tier), with the total that match and the count per tier."""
    payload, shown = await actors.network_actors(ctx.explain(explain), network_id, role=role,
                                                 limit=limit, offset=offset)
    return await ctx.respond(payload, actors=shown)


@router.get("/{network_id}/view", response_class=HTMLResponse,
            responses=responses(None, 404, 501, *AUTH_ERRORS))
async def view_network(ctx: Reader, network_id: NetworkId) -> Response:
    """The interactive HTML page of one network (masked for analysts)."""
    html, shown = await service.network_view(ctx, network_id)
    await ctx.audit_ok(shown)
    return HTMLResponse(html)
