"""One router per resource; each route is thin and calls :mod:`scalpernet.api.service`."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from scalpernet.api.errors import ApiError

#: The contract's zone for datetimes given without an offset (China Standard Time).
CST = timezone(timedelta(hours=8))
#: Errors every authenticated route can answer.
AUTH_ERRORS = (401, 403, 422, 503)


def zoned(value: datetime | None) -> datetime | None:
    """A datetime with its offset; one without is China Standard Time (contracts §1)."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=CST)


def window(since: datetime | None, until: datetime | None) -> tuple[datetime | None,
                                                                     datetime | None]:
    """A validated [since, until) window."""
    since, until = zoned(since), zoned(until)
    if since is not None and until is not None and since > until:
        raise ApiError(400, "bad_request", "since must not be after until")
    return since, until
