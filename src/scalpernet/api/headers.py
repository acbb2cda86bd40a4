"""Security headers on every answer, and each page's Content-Security-Policy as a header.

Pages carry their policy in a ``<meta>`` tag (it lists the hashes of their own scripts, so
it is written where the page is rendered); a policy in a meta tag cannot forbid framing and
applies only once the parser reaches it. This middleware copies it into a real
``Content-Security-Policy`` header with ``frame-ancestors 'none'`` added, on every HTML
answer of every route, and gives a page without a policy the strictest one.
"""

from __future__ import annotations

import html
import re

from starlette.datastructures import MutableHeaders
from starlette.types import Message, Receive, Scope, Send

from scalpernet.api.asgi import HttpMiddleware

#: For answers that are not pages (JSON): nothing may be loaded or framed.
API_CSP = "default-src 'none'; frame-ancestors 'none'"
#: For a page that states no policy of its own.
STRICT_PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
                   "base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
_META_CSP = re.compile(rb'<meta\s+http-equiv="Content-Security-Policy"\s+content="([^"]*)"',
                       re.IGNORECASE)
#: How far into a page its policy may be (it belongs in the head).
_HEAD_BYTES = 16 * 1024


def _with_frame_ancestors(policy: str) -> str:
    policy = policy.strip().rstrip(";")
    if "frame-ancestors" not in policy:
        policy += "; frame-ancestors 'none'"
    return policy


def page_policy(body: bytes) -> str:
    """The header policy of a page: its meta policy with framing forbidden, or the strict one."""
    found = _META_CSP.search(body[:_HEAD_BYTES])
    if found is None:
        return STRICT_PAGE_CSP
    return _with_frame_ancestors(html.unescape(found[1].decode("utf-8", "replace")))


class SecurityHeaders(HttpMiddleware):
    """ASGI middleware: no caching, no sniffing, no framing, no referrer; CSP on everything."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        held: Message | None = None
        chunks: list[bytes] = []

        async def send_secured(message: Message) -> None:
            nonlocal held
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("cache-control", "no-store")
                headers["x-content-type-options"] = "nosniff"
                headers["x-frame-options"] = "DENY"
                headers["referrer-policy"] = "no-referrer"
                own = headers.get("content-security-policy")
                if own is not None:
                    headers["content-security-policy"] = _with_frame_ancestors(own)
                elif headers.get("content-type", "").startswith("text/html"):
                    held = message  # the policy is in the page: wait for its body
                    return
                else:
                    headers["content-security-policy"] = API_CSP
                await send(message)
                return
            if held is not None and message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
                if message.get("more_body", False):
                    return
                body = b"".join(chunks)
                MutableHeaders(scope=held)["content-security-policy"] = page_policy(body)
                start, held = held, None
                await send(start)
                await send({"type": "http.response.body", "body": body, "more_body": False})
                return
            await send(message)

        await self.app(scope, receive, send_secured)
