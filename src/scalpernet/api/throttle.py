"""Rate limits and quotas (the `limits` library, in process memory): per caller address,
per API key, on lookups of keys that do not exist, and on uploads.

Every limit is configurable from the environment (``SCALPERNET_API_*``, see
:class:`ApiLimits`; ``off`` disables one). Each worker process counts on its own, so with
``--workers N`` a client may get up to N times a limit.
"""

from __future__ import annotations

import logging
import math
import time

from limits import RateLimitItem, RateLimitItemPerDay, parse_many
from limits.storage import MemoryStorage
from limits.strategies import FixedWindowRateLimiter, SlidingWindowCounterRateLimiter
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict
from starlette.requests import HTTPConnection

from scalpernet.api.errors import ApiError

log = logging.getLogger("scalpernet.api.throttle")


class ApiLimits(BaseSettings):
    """The API's limits; each rate is `limits` notation (``"600/minute;10000/day"``)."""

    model_config = SettingsConfigDict(env_prefix="SCALPERNET_API_", extra="ignore")

    #: Requests per API key (a person at the pages makes a few a second at most).
    rate_per_key: str = "1200/minute"
    #: Requests per caller address, with or without a key (floods without a key stop here).
    rate_per_address: str = "2400/minute"
    #: Lookups by key that find nothing, per API key: guessing keys one by one stops here.
    lookup_misses: str = "30/minute;300/day"
    #: Uploads per API key.
    uploads: str = "60/hour"
    #: Bytes uploaded per API key and day.
    upload_bytes_per_day: int = Field(default=50 * 1024**3, ge=0)
    #: Largest single upload.
    max_upload_bytes: int = Field(default=2 * 1024**3, ge=1)
    #: Seconds a request body may go without a byte before the request is dropped (408).
    body_idle_s: float = Field(default=30.0, gt=0)

    def described(self) -> dict[str, str | int | float]:
        return self.model_dump()


def _items(text: str) -> list[RateLimitItem]:
    text = text.strip()
    return [] if text.lower() in ("", "off", "none") else parse_many(text)


def _too_many(what: str, item: RateLimitItem, reset_at: float) -> ApiError:
    retry = max(1, math.ceil(reset_at - time.time()))
    return ApiError(429, "rate_limited", f"too many {what} (at most {item}); "
                                         f"try again in {retry} s",
                    headers={"Retry-After": str(retry)})


class Throttle:
    """The limits of one server process."""

    def __init__(self, limits: ApiLimits) -> None:
        self.limits = limits
        storage = MemoryStorage()
        self._rates = SlidingWindowCounterRateLimiter(storage)
        self._totals = FixedWindowRateLimiter(storage)
        self._per_key = _items(limits.rate_per_key)
        self._per_address = _items(limits.rate_per_address)
        self._misses = _items(limits.lookup_misses)
        self._uploads = _items(limits.uploads)
        self._bytes = ([RateLimitItemPerDay(limits.upload_bytes_per_day)]
                       if limits.upload_bytes_per_day else [])

    def _hit(self, items: list[RateLimitItem], what: str, *ids: str) -> ApiError | None:
        for item in items:
            if not self._rates.hit(item, *ids):
                return _too_many(what, item, self._rates.get_window_stats(item, *ids).reset_time)
        return None

    def address(self, connection: HTTPConnection) -> ApiError | None:
        """Count a request from its caller's address; a 429 error when over the limit."""
        host = connection.client.host if connection.client else "unknown"
        return self._hit(self._per_address, "requests from this address", "address", host)

    def key(self, key_id: str) -> ApiError | None:
        """Count a request of an API key; a 429 error when over the limit."""
        return self._hit(self._per_key, "requests with this key", "key", key_id)

    def check_lookup(self, key_id: str) -> None:
        """Raise 429 while the key has used up its lookups that found nothing."""
        for item in self._misses:
            if not self._rates.test(item, "miss", key_id):
                raise _too_many("lookups of keys that do not exist", item,
                                self._rates.get_window_stats(item, "miss", key_id).reset_time)

    def lookup_missed(self, key_id: str) -> None:
        """Count a lookup that found nothing; warn when the key reaches its limit (a client
        trying keys one after another, to find out which exist)."""
        for item in self._misses:
            if not self._rates.hit(item, "miss", key_id) or (
                    self._rates.get_window_stats(item, "miss", key_id).remaining == 0):
                log.warning("API key %s reached its limit of lookups that found nothing "
                            "(%s): possible enumeration; its key lookups are refused until "
                            "the window ends", key_id, item)
                return

    def upload_started(self, key_id: str) -> None:
        """Count an upload; 429 when the key has uploaded too often."""
        refused = self._hit(self._uploads, "uploads with this key", "upload", key_id)
        if refused is not None:
            raise refused

    def upload_bytes(self, key_id: str, size: int) -> None:
        """Count uploaded bytes; 429 once the key's daily volume is used up."""
        for item in self._bytes:
            if not self._totals.hit(item, "bytes", key_id, cost=size):
                reset = self._totals.get_window_stats(item, "bytes", key_id).reset_time
                raise ApiError(429, "quota_exceeded",
                               f"this key has uploaded its {item.amount} bytes for the day",
                               headers={"Retry-After": str(max(1, math.ceil(
                                   reset - time.time())))})
