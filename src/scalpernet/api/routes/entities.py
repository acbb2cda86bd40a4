"""One entity: its summary, its one-hop neighbourhood and its registrations over time.

``{key}`` is the contract key (normalised the way ingestion keys it, so ``+86 138 1234 5678``
finds phone ``13812345678``) or an opaque reference (``ref_…``) from an earlier answer. A key
may hold ``/`` (a device id ``dev/42``); the expansion and timeline routes are matched
first, so a key that itself ends in ``/neighbours`` or ``/registrations`` is reached by
its reference.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from scalpernet.api import service
from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, ExplainParam, require
from scalpernet.api.routes import AUTH_ERRORS, IsoDateTime, window
from scalpernet.api.schemas import EntitySummary, Neighbourhood, Timeline, responses
from scalpernet.entities import Kind

router = APIRouter(prefix="/entities", tags=["entities"])
Reader = Annotated[Ctx, Depends(require(*READERS))]
KeyParam = Annotated[str, Path(min_length=1, max_length=512,
                               description="Contract key, or an opaque reference (ref_…).")]
RelType = Literal["FOR", "CONTACT", "FROM_IP", "ON_DEVICE", "BY_ACCOUNT", "PAID_BY", "VIA_AGENT",
                  "HAS_ID", "HAS_PHONE"]
MAX_NEIGHBOURS = 500
MAX_SCAN = 50_000
MAX_PAGE = 500


@router.get("/{kind}/{key:path}/neighbours", response_model=None,
            responses=responses(Neighbourhood, 400, 404, *AUTH_ERRORS))
async def get_neighbours(
    ctx: Reader, kind: Kind, key: KeyParam,
    types: Annotated[list[RelType] | None, Query(
        description="Only these relationship types (repeat the parameter).")] = None,
    kinds: Annotated[list[Kind] | None, Query(description="Only neighbours of these kinds.")
                     ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_NEIGHBOURS,
                                description="Neighbours returned at most.")] = 100,
    scan: Annotated[int, Query(ge=1, le=MAX_SCAN, description=(
        "Registrations examined at most; counts say when the scan was partial."))] = 10_000,
    explain: ExplainParam = False,
) -> Response:
    """One-hop expansion in the entity graph (a shared registration is the link): counts
    per relationship type first, then the neighbours sharing the most registrations."""
    payload, shown = await service.neighbours(
        ctx.explain(explain), kind, key, types=list(types or service.REL_TYPES),
        kinds=list(kinds or _all_kinds()), limit=limit, scan=scan)
    return await ctx.respond(payload, entities=shown)


@router.get("/{kind}/{key:path}/registrations", response_model=None,
            responses=responses(Timeline, 400, 404, *AUTH_ERRORS))
async def get_registrations(
    ctx: Reader, kind: Kind, key: KeyParam,
    since: Annotated[IsoDateTime | None, Query(description="Booked at or after (ISO 8601).")
                     ] = None,
    until: Annotated[IsoDateTime | None, Query(description="Booked before.")] = None,
    order: Annotated[Literal["asc", "desc"], Query()] = "asc",
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = 100,
    offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    explain: ExplainParam = False,
) -> Response:
    """The entity's registrations in a time window, in booking order, with the entities
    each one links to (timeline, paginated)."""
    since, until = window(since, until)
    payload, shown = await service.timeline(ctx.explain(explain), kind, key, since=since,
                                            until=until, descending=order == "desc",
                                            limit=limit, offset=offset)
    return await ctx.respond(payload, entities=shown)


@router.get("/{kind}/{key:path}", response_model=None,
            responses=responses(EntitySummary, 400, 404, *AUTH_ERRORS))
async def get_entity(ctx: Reader, kind: Kind, key: KeyParam,
                     explain: ExplainParam = False) -> Response:
    """The entity, a summary of its registrations (counts, first/last booking, hospitals,
    statuses, booking latency), its flags, and the current networks it belongs to with its
    role and the evidence there."""
    payload, shown = await service.entity_summary(ctx.explain(explain), kind, key)
    return await ctx.respond(payload, entities=shown)


def _all_kinds() -> list[str]:
    from scalpernet.entities import KIND_LABELS

    return list(KIND_LABELS)
