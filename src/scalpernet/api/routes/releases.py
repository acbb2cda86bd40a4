"""A member's releases: how soon the network's bookings came after each, beside everyone
else's (the network page's timeline shows it next to the member's bookings)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, require
from scalpernet.api.releases import MAX_RELEASES, ReleaseDelays, release_delays
from scalpernet.api.routes import AUTH_ERRORS
from scalpernet.api.schemas import responses

router = APIRouter(prefix="/networks", tags=["networks"])
Reader = Annotated[Ctx, Depends(require(*READERS))]


@router.get("/{network_id}/release-delays", response_model=None,
            responses=responses(ReleaseDelays, 404, *AUTH_ERRORS))
async def get_release_delays(
    ctx: Reader,
    network_id: Annotated[str, Path(min_length=1, max_length=200, description="Network id.")],
    member: Annotated[str, Query(min_length=1, max_length=600, description=(
        "The member: an opaque reference (ref_…) or kind:key."))],
    hospital: Annotated[str | None, Query(min_length=1, max_length=200, description=(
        "Only the member's releases at this hospital."))] = None,
    releases: Annotated[int, Query(ge=1, le=MAX_RELEASES, description=(
        "The member's latest releases compared."))] = 20,
) -> Response:
    """For the releases a member booked in (a hospital's slots opened at one instant), the
    delays after release of the network's bookings and of everyone else's, made in the day
    after each release, in the case report's bins."""
    payload, shown = await release_delays(ctx, network_id, member, hospital=hospital,
                                          releases=releases)
    return await ctx.respond(payload, entities=shown)
