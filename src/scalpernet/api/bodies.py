"""Request bodies that stop arriving: dropped after a while instead of holding a connection.

A client that sends headers and then part of a body (or none) would keep its connection,
and a worker's attention, for as long as it likes. :class:`BodyTimeout` wraps ``receive``
so that waiting for the next piece of a body fails after ``idle_s`` seconds; the request
is answered 408 and the connection closed.
"""

from __future__ import annotations

import asyncio

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scalpernet.api.asgi import HttpMiddleware
from scalpernet.api.errors import ApiError


class BodyTimeout(HttpMiddleware):
    """ASGI middleware: at most `idle_s` seconds between two pieces of a request body."""

    def __init__(self, app: ASGIApp, idle_s: float) -> None:
        super().__init__(app)
        self.idle_s = idle_s

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        complete = False

        async def receive_in_time() -> Message:
            nonlocal complete
            if complete:  # the body is in: what follows is waiting for a disconnect
                return await receive()
            try:
                async with asyncio.timeout(self.idle_s):
                    message = await receive()
            except TimeoutError:
                raise ApiError(408, "body_timeout",
                               f"the request body stopped arriving for {self.idle_s:g} s",
                               headers={"Connection": "close"}) from None
            if message["type"] != "http.request" or not message.get("more_body", False):
                complete = True
            return message

        await self.app(scope, receive_in_time, send)
