"""What an export or a report is made of, read from the current analysis run and shown
to one caller (masked for analysts): the network with its members, its registrations."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from scalpernet.api.deps import Ctx
from scalpernet.api.errors import ApiError
from scalpernet.results.models import Network
from scalpernet.results.store import network_from_record

#: Most registrations one export or report holds (each answer says when there are more).
MAX_REGISTRATIONS = 100_000
_ZONE_NAME = re.compile(r"\[[^\]]*\]$")


def parse_time(text: str | None) -> datetime | None:
    """A datetime from Cypher's ``toString`` (``…+08:00``, maybe a ``[zone]`` suffix)."""
    if not text:
        return None
    return datetime.fromisoformat(_ZONE_NAME.sub("", text))


@dataclass
class Booking:
    """One registration behind a network, with the entities it links to by kind."""

    props: dict[str, Any]
    links: dict[str, list[str]] = field(default_factory=dict)

    @property
    def booked_at(self) -> datetime | None:
        return parse_time(self.props.get("booked_at"))

    @property
    def released_at(self) -> datetime | None:
        return parse_time(self.props.get("released_at"))

    def linked(self, rel: str) -> str | None:
        found = self.links.get(rel)
        return found[0] if found else None


async def network(ctx: Ctx, network_id: str) -> Network:
    """The current network with every member (404 when no current network has the id)."""
    records = await ctx.read("network_get", id=network_id)
    if not records:
        raise ApiError(404, "not_found", f"no current network with id {network_id}")
    return network_from_record(records[0]["network"], records[0]["members"])


async def bookings(ctx: Ctx, network_id: str, limit: int = MAX_REGISTRATIONS
                   ) -> tuple[int, list[Booking]]:
    """The network's registrations in booking order (at most `limit`) and their total."""
    records = await ctx.read("network_registrations", id=network_id, limit=limit)
    if not records:
        raise ApiError(404, "not_found", f"no current network with id {network_id}")
    out = []
    for item in records[0]["items"]:
        links: dict[str, list[str]] = {}
        for link in item.pop("links"):
            if link.get("uid"):
                links.setdefault(link["type"], []).append(link["uid"])
        out.append(Booking(props=item, links=links))
    return records[0]["total"], out
