"""Request context: the authenticated caller, the graph, the audit log and the presenter.

Every route that reads data takes a :class:`Ctx` from :func:`require` and answers through
:meth:`Ctx.respond`, which writes the audit line first: no line, no answer.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from typing import Annotated, Any, get_args, get_origin

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from scalpernet.api.audit import AuditLog, mask_params
from scalpernet.api.auth import KeyVerifier, Principal, api_key_header, presented_key_id
from scalpernet.api.errors import ApiError
from scalpernet.api.present import Presenter
from scalpernet.api.responses import JSON
from scalpernet.graph.async_session import AsyncGraph, QueryTrace
from scalpernet.privacy import RefCipher, mask_value

log = logging.getLogger("scalpernet.api")

ExplainParam = Annotated[bool, Query(
    description="Add the Cypher queries this answer ran, with their parameters "
                "(masked for analysts) and timings, under `explain`.")]


@dataclass
class Ctx:
    """Everything a route needs for one authenticated request."""

    request: Request
    principal: Principal
    graph: AsyncGraph
    audit: AuditLog
    present: Presenter
    request_id: str
    trace: QueryTrace | None = None
    extra_params: dict[str, Any] = field(default_factory=dict)

    @property
    def masked(self) -> bool:
        return self.principal.masked

    def explain(self, enabled: bool) -> Ctx:
        """Record the queries of this request when `enabled`."""
        self.trace = QueryTrace() if enabled else None
        return self

    async def read(self, name: str, *, timeout: float | None = None,
                   **params: Any) -> list[dict[str, Any]]:
        return await self.graph.read(name, timeout_=timeout, trace_=self.trace, **params)

    def params(self) -> dict[str, Any]:
        """Path and query parameters of the request, as given (masked when logged)."""
        out: dict[str, Any] = dict(self.request.path_params)
        for name in self.request.query_params:
            values = self.request.query_params.getlist(name)
            out[name] = values[0] if len(values) == 1 else values
        out.update(self.extra_params)
        return out

    async def audit_ok(self, entities: Iterable[str], status: int = 200) -> None:
        """Write this request's audit line; a failure becomes a 500 and no data leaves."""
        try:
            await self.audit.record(
                key_id=self.principal.key_id, role=self.principal.role,
                method=self.request.method, route=route_template(self.request), status=status,
                params=self.params(), entities=entities, request_id=self.request_id)
        except Exception as exc:
            log.error("audit write failed (%s): refusing the response", type(exc).__name__)
            raise ApiError(500, "audit_unavailable",
                           "the access could not be recorded in the audit log, so no data "
                           "is returned; tell the administrator") from exc

    async def respond(self, payload: dict[str, Any], *, entities: Iterable[str] = (),
                      status: int = 200) -> Response:
        """Audit, then answer with `payload` (plus the query trace when asked for)."""
        if self.trace is not None:
            entries = self.trace.entries
            if self.masked:
                entries = [{**e, "parameters": mask_value(mask_params(e["parameters"]))}
                           for e in entries]
            payload["explain"] = {"queries": entries}
        await self.audit_ok(entities, status)
        return JSON(payload, status_code=status)

    async def respond_rendered(self, body: bytes, *, entities: Iterable[str] = ()) -> Response:
        """Audit, then answer with JSON already rendered (a cached answer)."""
        await self.audit_ok(entities)
        return Response(body, media_type="application/json")


_QUERY_NAMES: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _is_list(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_is_list(arg) for arg in get_args(annotation))


def _declared_query_names(dependant: Any) -> tuple[frozenset[str], frozenset[str]]:
    """All query parameter names of a route, and those that take one value only."""
    names = {field.alias for field in dependant.query_params}
    single = {field.alias for field in dependant.query_params
              if not _is_list(field.field_info.annotation)}
    for sub in dependant.dependencies:
        sub_names, sub_single = _declared_query_names(sub)
        names |= sub_names
        single |= sub_single
    return frozenset(names), frozenset(single)


async def reject_unknown_query(request: Request) -> None:
    """422 for a query parameter the route does not take (a typo such as ``hospitl=H1``
    would otherwise be ignored and answer for every hospital) or for a single-valued one
    given twice (only the last would count)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    declared = _QUERY_NAMES.get(id(route))
    if declared is None:
        declared = _QUERY_NAMES[id(route)] = _declared_query_names(dependant)
    allowed, single = declared
    given = request.query_params
    unknown = sorted(set(given.keys()) - allowed)
    if unknown:
        takes = ", ".join(sorted(allowed)) or "none"
        raise ApiError(422, "invalid_parameter",
                       f"unknown query parameter {unknown[0]!r} (this route takes: {takes})")
    repeated = sorted(name for name in single if len(given.getlist(name)) > 1)
    if repeated:
        raise ApiError(422, "invalid_parameter",
                       f"{repeated[0]}: give it once (it takes a single value)")


def route_template(request: Request) -> str:
    route = request.scope.get("route")
    return getattr(route, "path", request.url.path)


def _state(request: Request) -> Any:
    return request.app.state


async def _denied(request: Request, key_id: str | None, role: str | None, status: int,
                  outcome: str) -> None:
    """Log a refused request; refusals are answered even when the log cannot be written."""
    try:
        await _state(request).audit.record(
            key_id=key_id, role=role, method=request.method, route=route_template(request),
            status=status, params=dict(request.path_params), outcome=outcome,
            request_id=request.state.request_id if hasattr(request.state, "request_id")
            else "")
    except Exception as exc:
        log.error("audit write failed for a refused request: %s", type(exc).__name__)


#: The cookie in which a signed-in browser keeps its key (pages under /ui only).
SESSION_COOKIE = "scalpernet_key"


def require(*roles: str, cookie: bool = False) -> Callable[..., Awaitable[Ctx]]:
    """A dependency that authenticates the caller and admits only `roles`.

    The key comes from ``X-API-Key``; with `cookie` (the browser pages) a signed-in browser's
    session cookie is accepted too.
    """

    async def dependency(request: Request,
                         api_key: Annotated[str | None, Depends(api_key_header)]) -> Ctx:
        state = _state(request)
        verifier: KeyVerifier = state.verifier
        if api_key is None and cookie:
            api_key = request.cookies.get(SESSION_COOKIE)
        try:
            principal = await verifier.verify(api_key)
        except ApiError as exc:
            await _denied(request, presented_key_id(request), None, exc.status, "unauthenticated")
            raise
        if principal.role not in roles:
            await _denied(request, principal.key_id, principal.role, 403, "denied")
            raise ApiError(403, "forbidden",
                           f"the {principal.role} role may not use this route "
                           f"(allowed: {', '.join(roles)})")
        refs: RefCipher = state.refs
        return Ctx(request=request, principal=principal, graph=state.graph, audit=state.audit,
                   present=Presenter(refs, masked=principal.masked, shown=state.shown),
                   request_id=getattr(request.state, "request_id", uuid.uuid4().hex[:16]))

    return dependency
