"""How soon after a release its bookings came: a network's beside everyone else's.

A member's booking timeline is read beside the hospital's other bookings of the same
releases (``network_release_delays``): for each release the member booked in (a hospital's
slots opened at one instant), the bookings made in the day after it, split into the
network's (linked to one of its members with a scalper role) and the others, in the delay
bins of the case report. A person needs about a minute; the tool, milliseconds.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, Field

from scalpernet.api.deps import Ctx
from scalpernet.api.errors import ApiError
from scalpernet.api.schemas import EntityOut
from scalpernet.api.service import resolve_uid
from scalpernet.report.figures import DELAY_BINS

#: Releases compared at most (the member's latest).
MAX_RELEASES = 50
#: Lower bounds of the bins after the first, in ms (from the report's bins).
BOUNDS = [upper for _, upper in DELAY_BINS if math.isfinite(upper)]


class DelayBin(BaseModel):
    label: str = Field(description="Delay after release, e.g. '< 100 ms'.")
    network: int = Field(description="The network's bookings in this bin.")
    others: int = Field(description="Everyone else's bookings of the same releases.")


class ReleaseDelays(BaseModel):
    network_id: str
    member: EntityOut
    releases: int = Field(description="The member's releases compared.")
    hospitals: list[str]
    hospital: str | None
    bins: list[DelayBin]
    network_bookings: int
    other_bookings: int


async def release_delays(ctx: Ctx, network_id: str, member: str, *, hospital: str | None,
                         releases: int) -> tuple[dict[str, Any], list[str]]:
    """The delay bins of the network's and the other bookings of a member's releases."""
    member_uid = resolve_uid(ctx, member, "member")
    records = await ctx.read("network_release_delays", id=network_id, uid=member_uid,
                             hospital=hospital, releases=releases, bounds=BOUNDS)
    if not records:
        raise ApiError(404, "not_found", f"no current network with id {network_id}")
    row = records[0]
    if not row["found"]:
        raise ApiError(404, "not_found", "no such member")
    counts = {True: [0] * len(DELAY_BINS), False: [0] * len(DELAY_BINS)}
    for c in row["counts"]:
        counts[bool(c["network"])][int(c["bin"])] += int(c["bookings"])
    bins = [{"label": label, "network": counts[True][i], "others": counts[False][i]}
            for i, (label, _) in enumerate(DELAY_BINS)]
    return {"network_id": network_id, "member": ctx.present.entity(member_uid),
            "releases": len(row["hospitals"]), "hospitals": sorted(set(row["hospitals"])),
            "hospital": hospital, "bins": bins,
            "network_bookings": sum(counts[True]), "other_bookings": sum(counts[False])}, [
        member_uid]
