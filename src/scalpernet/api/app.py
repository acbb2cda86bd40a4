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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from scalpernet import __version__
from scalpernet.api.audit import AuditLog
from scalpernet.api.auth import KeyVerifier
from scalpernet.api.caching import CurrentRun, DetailCache
from scalpernet.api.deps import reject_unknown_query
from scalpernet.api.errors import ErrorBoundary, install_error_handlers
from scalpernet.api.present import ShownCache
from scalpernet.api.responses import JSON
from scalpernet.api.routes import (
    audit,
    entities,
    health,
    ingest,
    networks,
    paths,
    runs,
    search,
    ui,
)
from scalpernet.api.service import TreeCache, coalescers
from scalpernet.config import Settings, get_settings
from scalpernet.graph.async_session import AsyncGraph
from scalpernet.privacy import RefCipher, load_ref_secret

log = logging.getLogger("scalpernet.api")
access_log = logging.getLogger("scalpernet.api.access")

#: Largest upload accepted by POST /ingest/upload.
MAX_UPLOAD_BYTES = 2 * 1024**3

DESCRIPTION = """
Investigators and hospital security analysts map scalper networks: ranked networks with
their tier hierarchy and evidence, entities with their registrations, one-hop expansion,
shortest paths and search.

Every route but `/health` needs `X-API-Key` (`scalpernet apikey create --role ROLE`).
**investigator**: full identifiers. **analyst**: ID numbers and phones masked
(`510107********123X`, `138****5678`); every entity carries `ref`, an opaque reference
accepted wherever a key is. **admin**: everything plus `GET /audit`. **ingest**: upload only.

Every request is written to the audit log (identifiers masked) before it is answered.
Errors are `{"error": {"code", "message"}}`. Datetimes without an offset are +08:00.
"""


class AccessLog:
    """Request id, no-store caching and a log line naming the route template, never the path."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
        start = time.perf_counter()
        status = 500

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers += [(b"x-request-id", request_id.encode()),
                            (b"cache-control", b"no-store"),
                            (b"x-content-type-options", b"nosniff")]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            route = getattr(scope.get("route"), "path", "<unrouted>")
            access_log.info("%s %s %d %.1fms %s", scope.get("method"), route, status,
                            (time.perf_counter() - start) * 1000, request_id)


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
    """Uvicorn's logging setup plus the API's loggers (access lines name routes, not paths)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config["loggers"]["scalpernet"] = {"handlers": ["default"], "level": "INFO",
                                       "propagate": False}
    return config


def create_app(settings: Settings | None = None, *, key_cache_ttl: float = 5.0,
               run_cache_ttl: float = 1.0, max_upload_bytes: int = MAX_UPLOAD_BYTES,
               cors_origins: Sequence[str] = (), audit_fsync: bool = False,
               freeze_gc: bool = True) -> FastAPI:
    """The API application. CORS stays closed unless `cors_origins` names origins.

    A revoked key stops working within `key_cache_ttl` seconds; network details of a new
    analysis run replace the previous run's within `run_cache_ttl` seconds. `freeze_gc`
    applies :func:`settle_garbage_collector` once the app has started.
    """
    settings = settings or get_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        graph = AsyncGraph(settings)
        app.state.graph = graph
        app.state.verifier = KeyVerifier(graph, ttl=key_cache_ttl)
        app.state.current_run = CurrentRun(graph, ttl=run_cache_ttl)
        app.state.details = DetailCache()
        app.state.coalescers = coalescers(graph)
        app.state.audit = AuditLog(settings.data_dir / "audit", fsync=audit_fsync)
        app.state.refs = RefCipher(load_ref_secret(settings.data_dir / "api" / "ref.key"))
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

    app = FastAPI(title="ScalperNet Investigator API", version=__version__,
                  description=DESCRIPTION, lifespan=lifespan,
                  default_response_class=JSON,
                  dependencies=[Depends(reject_unknown_query)])
    app.state.settings = settings
    app.state.max_upload_bytes = max_upload_bytes
    app.state.trees = TreeCache()
    install_error_handlers(app)
    for module in (health, networks, entities, paths, search, runs, ingest, audit, ui):
        app.include_router(module.router)
    app.add_middleware(ErrorBoundary)
    if cors_origins:
        from fastapi.middleware.cors import CORSMiddleware

        app.add_middleware(CORSMiddleware, allow_origins=list(cors_origins),
                           allow_methods=["GET", "POST"], allow_headers=["X-API-Key"])
    app.add_middleware(AccessLog)
    return app
