"""One router per resource; each route is thin and calls :mod:`scalpernet.api.service`."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Annotated, Any

from pydantic import BeforeValidator

from scalpernet.api.errors import ApiError

#: The contract's zone for datetimes given without an offset (China Standard Time).
CST = timezone(timedelta(hours=8))
#: Errors every authenticated route can answer (429: a rate limit, see `api.throttle`).
AUTH_ERRORS = (401, 403, 422, 429, 503)


def window(since: datetime | None, until: datetime | None) -> tuple[datetime | None,
                                                                     datetime | None]:
    """A validated [since, until) window."""
    since, until = zoned(since), zoned(until)
    if since is not None and until is not None and since > until:
        raise ApiError(400, "bad_request", "since must not be after until")
    return since, until


_LEAP_SECOND = re.compile(r"(T\d\d:\d\d):60")
_EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
_LATEST = datetime(2200, 1, 1, tzinfo=UTC)


def _iso(value: Any) -> Any:
    """ISO 8601 text only: a bare number would otherwise pass as seconds since 1970."""
    if not isinstance(value, str):
        return value
    text = _LEAP_SECOND.sub(r"\1:59", value.upper())  # RFC 3339 allows 't', 'z' and :60
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        raise ValueError("give an ISO 8601 date or datetime, e.g. 2026-03-02T18:00:00+08:00"
                         ) from None


def zoned(value: datetime | None) -> datetime | None:
    """The instant in UTC; a datetime without offset is China Standard Time (contracts §1).

    Years outside 1900-2199 are clamped to that range (no registration lies outside it) so
    that the database, which refuses such values, can still compare them.
    """
    if value is None:
        return None
    if value.tzinfo is None:
        value = value.replace(tzinfo=CST)
    if value.year < 1901:
        return _EARLIEST
    if value.year > 2198:
        return _LATEST
    return value.astimezone(UTC)


#: A datetime query parameter: ISO 8601 only; no offset means China Standard Time.
IsoDateTime = Annotated[datetime, BeforeValidator(_iso)]
