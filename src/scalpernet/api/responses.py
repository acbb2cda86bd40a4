"""JSON answers serialised by orjson (datetimes, dates and decimals handled natively)."""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


def _default(value: Any) -> Any:
    return str(value)


def render_json(content: Any) -> bytes:
    """The bytes of a JSON answer, as every response renders them."""
    return orjson.dumps(content, default=_default, option=orjson.OPT_NON_STR_KEYS)


class JSON(JSONResponse):
    """A JSON response rendered with orjson; about twice as fast as the standard one."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return render_json(content)
