"""The Investigator API application: one async Neo4j driver per process, opened in the lifespan.

``scalpernet serve`` runs :func:`create_app` under uvicorn. Uvicorn's own access log is off:
it would print request paths, and a path can hold a phone number. The access log here names
the route template instead.
"""

from __future__ import annotations

import copy
import gc
import logging
import time
import uuid
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from fastapi import Depends, FastAPI
from fastapi.telemetry import TelemetryConfig
from starlette.types import Message, Receive, Scope, Send

from scalpernet import __version__
from scalpernet.api.asgi import HttpMiddleware
from scalpernet.api.audit import AuditLog, AuditTrail, route_template
from scalpernet.api.auth import Authenticate, KeyVerifier
from scalpernet.api.bodies import BodyTimeout
from scalpernet.api.caching import AnswerCache, CurrentRun, ResponseCache
from scalpernet.api.deps import reject_unknown_query
from scalpernet.api.errors import ErrorBoundary, install_error_handlers
from scalpernet.api.headers import SecurityHeaders
from scalpernet.api.present import ShownCache
from scalpernet.api.responses import JSON
from scalpernet.api.routes import (
    actors,
    audit,
    cases,
    docs,
    entities,
    exports,
    health,
    ingest,
    networks,
    paths,
    releases,
    runs,
    search,
    ui,
    ui_cases,
    ui_exports,
)
from scalpernet.api.service import coalescers
from scalpernet.api.sessions import PageSessions
from scalpernet.api.throttle import ApiLimits, Throttle
from scalpernet.api.tree import TreeCache
from scalpernet.config import Settings, get_settings
from scalpernet.graph.async_session import AsyncGraph
from scalpernet.privacy import REF_KEYS_FILE, RefCipher, load_ref_keyring

log = logging.getLogger("scalpernet.api")
access_log = logging.getLogger("scalpernet.api.access")

DESCRIPTION = """
Investigators and hospital security analysts map scalper networks: ranked networks led by
their actors (the people behind the identifiers: technician, first level, second levels,
patients) as a tree with its evidence, each actor with its identifiers and bookings,
entities with their registrations, one-hop expansion, shortest paths and search.

Every route but `/health` needs `X-API-Key` (`scalpernet apikey create --role ROLE`).
**investigator**: full identifiers. **analyst**: ID numbers and phones masked
(`510107********123X`, `138****5678`); every entity carries `ref`, an opaque reference
accepted wherever a key is. **admin**: everything plus `GET /audit`. **ingest**: upload only.

Analysts reach ID numbers and phones only through references: a key that is or holds a
personal identifier is refused to them (403 `reference_required`), in lookups, paths and
search alike. Requests are rate-limited per key and per address (429 with `Retry-After`).

Every request, whatever its outcome, is written to the audit log (identifiers masked)
before it is answered. Errors are `{"error": {"code", "message"}}`. Datetimes without an
offset are +08:00.
"""


class AccessLog(HttpMiddleware):
    """Request id and a log line naming the route template, never the path."""

    async def http(self, scope: Scope, receive: Receive, send: Send) -> None:
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message = {**message, "headers": [*message.get("headers", []),
                                                  (b"x-request-id", request_id.encode())]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = route_template(scope.get("route")) or "<unrouted>"
            access_log.info("%s %s %d %.1fms %s", scope.get("method"), route, status,
                            (time.perf_counter() - start) * 1000, request_id)


#: FastAPI's native OpenTelemetry, all of it switched off.
NO_TELEMETRY: TelemetryConfig = {"tracing": False, "metrics": False, "logs": False,
                                 "operation_spans": False}

#: Allocations between young-generation collections (Python's default is 700).
GC_YOUNG_THRESHOLD = 20_000


def settle_garbage_collector() -> None:
    """Keep the collector's pauses out of answers: what the server loaded at start (about
    100,000 objects of FastAPI, pydantic and the driver) is moved out of the collector's
    reach, and young collections run less often. Full collections otherwise walked all of
    it a few times a minute, pausing every request in flight for tens of milliseconds."""
    gc.collect()
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(GC_YOUNG_THRESHOLD, middle, old)


def log_config() -> dict[str, Any]:
    """Uvicorn's logging setup plus the API's loggers (access lines name routes, not paths).

    The API's lines go to standard error through a plain formatter: uvicorn's copies every
    record to colour it, which made the access line of a request cost 23 µs instead of 14.
    """
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["formatters"]["scalpernet"] = {"format": "%(levelname)s:     %(message)s"}
    config["handlers"]["scalpernet"] = {"formatter": "scalpernet",
                                        "class": "logging.StreamHandler",
                                        "stream": "ext://sys.stderr"}
    config["loggers"]["scalpernet"] = {"handlers": ["scalpernet"], "level": "INFO",
                                       "propagate": False}
    return config


def create_app(settings: Settings | None = None, *, key_cache_ttl: float = 5.0,
               run_cache_ttl: float = 1.0, max_upload_bytes: int | None = None,
               cors_origins: Sequence[str] = (), audit_fsync: bool = False,
               freeze_gc: bool = True, limits: ApiLimits | None = None) -> FastAPI:
    """The API application. CORS stays closed unless `cors_origins` names origins.

    A revoked key stops working within `key_cache_ttl` seconds; answers of a new analysis
    run replace the previous run's within `run_cache_ttl` seconds. `limits` defaults to
    the environment's (:class:`ApiLimits`); `max_upload_bytes` overrides its upload size.
    `freeze_gc` applies :func:`settle_garbage_collector` once the app has started.
    """
    settings = settings or get_settings()
    limits = limits or ApiLimits()
    if max_upload_bytes is not None:
        limits = limits.model_copy(update={"max_upload_bytes": max_upload_bytes})

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        graph = AsyncGraph(settings)
        app.state.graph = graph
        app.state.verifier = KeyVerifier(graph, ttl=key_cache_ttl)
        app.state.sessions = PageSessions(graph, ttl=key_cache_ttl)
        app.state.current_run = CurrentRun(graph, ttl=run_cache_ttl)
        app.state.answers = AnswerCache()
        app.state.coalescers = coalescers(graph)
        app.state.refs = RefCipher(load_ref_keyring(settings.data_dir / "api" / REF_KEYS_FILE))
        app.state.shown = ShownCache()
        try:
            await graph.ping()
        except Exception as exc:  # serve anyway: /health reports it, requests answer 503
            log.warning("Neo4j at %s does not answer yet: %s", settings.uri, type(exc).__name__)
        if freeze_gc:
            settle_garbage_collector()
        try:
            yield
        finally:
            await graph.close()
            app.state.audit.close()

    # Swagger UI is served from the installed package by `routes.docs` (no CDN: police
    # intranets are offline); ReDoc would load from a CDN and is left out. A path with a
    # trailing slash is a 404: a redirect would be built from the Host header.
    # FastAPI's OpenTelemetry hooks are off: spans would carry request paths, and a path
    # can hold a phone number (besides, asking for providers cost every request ~10 µs)
    app = FastAPI(title="ScalperNet Investigator API", version=__version__,
                  description=DESCRIPTION, lifespan=lifespan, telemetry=NO_TELEMETRY,
                  default_response_class=JSON, docs_url=None, redoc_url=None,
                  redirect_slashes=False, dependencies=[Depends(reject_unknown_query)])
    app.state.settings = settings
    app.state.limits = limits
    app.state.max_upload_bytes = limits.max_upload_bytes
    app.state.throttle = Throttle(limits)
    app.state.trees = TreeCache()
    # open before the first request: a refused request is audited too
    app.state.audit = AuditLog(settings.data_dir / "audit", fsync=audit_fsync)
    install_error_handlers(app)
    for module in (health, networks, releases, actors, exports, entities, paths, search,
                   runs, ingest, audit, cases, ui, ui_cases, ui_exports, docs):
        app.include_router(module.router)
    docs.mount_assets(app)
    # outermost last: AccessLog → SecurityHeaders → AuditTrail → ErrorBoundary →
    # BodyTimeout → (CORS) → Authenticate → ResponseCache → routes
    app.add_middleware(ResponseCache)
    app.add_middleware(Authenticate)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["X-API-Key"])
    app.add_middleware(BodyTimeout, idle_s=limits.body_idle_s)
    app.add_middleware(ErrorBoundary)
    app.add_middleware(AuditTrail)
    app.add_middleware(SecurityHeaders)
    app.add_middleware(AccessLog)
    return app
