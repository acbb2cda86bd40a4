"""One error shape for every failure: ``{"error": {"code", "message"}}``, never a traceback."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from neo4j.exceptions import ClientError, ServiceUnavailable, SessionExpired, TransientError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match
from starlette.types import Message, Receive, Scope, Send

from scalpernet.api.asgi import HttpMiddleware
from scalpernet.api.responses import JSON
from scalpernet.graph.session import ServerGone
from scalpernet.privacy import mask_text, mask_value

log = logging.getLogger("scalpernet.api")

_STATUS_CODES = {
    400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 408: "body_timeout",
    411: "length_required", 413: "too_large", 415: "unsupported_media_type",
    422: "invalid_parameter", 429: "rate_limited",
    500: "internal", 501: "not_implemented", 503: "unavailable", 504: "timeout",
}


class ApiError(Exception):
    """A failure the client can act on: HTTP status, stable code, clear message."""

    def __init__(self, status: int, code: str, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers


def error_body(code: str, message: str, **extra: Any) -> dict[str, Any]:
    """The error shape; the message is masked by content for every caller (a message may
    quote what the caller typed, and that may be an ID number or a phone)."""
    return {"error": {"code": code, "message": mask_text(message), **mask_value(extra)}}


def error_response(status: int, code: str, message: str, *,
                   headers: dict[str, str] | None = None, **extra: Any) -> JSON:
    return JSON(error_body(code, message, **extra), status_code=status, headers=headers)


def _validation_message(errors: list[dict[str, Any]]) -> tuple[str, list[dict[str, str]]]:
    details = []
    for err in errors:
        loc = [str(part) for part in err.get("loc", ()) if part not in ("query", "path", "body",
                                                                        "header")]
        # The input itself is left out: it may be an ID number or a phone.
        details.append({"parameter": ".".join(loc) or "request", "problem": str(err.get("msg"))})
    message = "; ".join(f"{d['parameter']}: {d['problem']}" for d in details) or "bad request"
    return message, details


#: Where the pages live: a 404 there is a page for a person, not the JSON error.
PAGES_PREFIX = "/ui/"


def _page_not_found(request: Request) -> HTMLResponse | None:
    """The 404 page in the reader's language (``?lang=``, as every page picks it) for a path
    under /ui; None for the JSON API's paths."""
    if not request.url.path.startswith(PAGES_PREFIX):
        return None
    from scalpernet.views.notfound import render_not_found_page
    from scalpernet.views.strings import DEFAULT_LANGUAGE, LANGUAGES

    lang = request.query_params.get("lang")
    page = render_not_found_page(request.url.path, overview="/ui/networks",
                                 lang=lang if lang in LANGUAGES else DEFAULT_LANGUAGE)
    return HTMLResponse(page, status_code=404, headers={"Cache-Control": "no-store"})


def install_error_handlers(app: FastAPI) -> None:
    """Map every exception to the error shape; log server faults with masked text only.
    A 404 under /ui (an unknown network, case or page) answers a page instead."""

    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError) -> JSON | HTMLResponse:
        if exc.status == 404 and (page := _page_not_found(request)) is not None:
            return page
        return error_response(exc.status, exc.code, exc.message, headers=exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSON:
        message, details = _validation_message(list(exc.errors()))
        return error_response(422, "invalid_parameter", message, details=details)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSON | HTMLResponse:
        if exc.status_code == 404 and (page := _page_not_found(request)) is not None:
            return page
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        if exc.status_code == 404 and message == "Not Found":
            message = "no such route"
        headers = getattr(exc, "headers", None)
        if exc.status_code == 405:
            headers = {**(headers or {}), "Allow": _allowed_methods(request)}
        return error_response(exc.status_code, code, message, headers=headers)


_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _allowed_methods(request: Request) -> str:
    """Every method the path takes, over all its routes (Starlette names only the first
    route's, so ``GET /cases`` would hide ``POST /cases``)."""
    methods = [method for method in _METHODS
               if any(route.matches({**request.scope, "method": method})[0] is Match.FULL
                      for route in request.app.routes)]
    return ", ".join(methods)


def fault_response(exc: BaseException) -> tuple[int, dict[str, Any]]:
    if isinstance(exc, ServerGone | ServiceUnavailable | SessionExpired):
        return 503, error_body("unavailable", "the graph database is unreachable; try again")
    if isinstance(exc, TransientError) or (
        isinstance(exc, ClientError) and "TimedOut" in (exc.code or "")
    ):
        return 504, error_body("timeout", "the query took too long; narrow it (fewer hops, "
                                          "types or a shorter window) and try again")
    incident = uuid.uuid4().hex[:12]
    log.error("unhandled %s on request (incident %s): %s", type(exc).__name__, incident,
              mask_text(str(exc))[:500])
    return 500, error_body("internal", f"internal error (incident {incident}); "
                                       "the server log has the details")


class ErrorBoundary(HttpMiddleware):
    """ASGI middleware: an exception escaping a route becomes a JSON 5xx, not a traceback."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if started:  # headers are out: nothing sane can be sent any more
                log.error("failure after the response started: %s", type(exc).__name__)
                return
            if isinstance(exc, ApiError):  # raised outside a route (a body that stopped)
                await error_response(exc.status, exc.code, exc.message,
                                     headers=exc.headers)(scope, receive, send)
                return
            status, body = fault_response(exc)
            await JSON(body, status_code=status)(scope, receive, send)
