"""Request context: the authenticated caller, the graph, the audit log and the presenter.

Every route that reads data takes a :class:`Ctx` from :func:`require` (the caller was
authenticated before routing, by ``auth.Authenticate``) and answers through
:meth:`Ctx.respond`, which names what the answer shows for its audit line (written by
``audit.AuditTrail``: no line, no answer).
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any, get_args, get_origin

from fastapi import Depends, Query, Request
from fastapi.responses import Response

from scalpernet.api.audit import AuditLog, audit_entry, mask_params
from scalpernet.api.auth import Principal, api_key_header
from scalpernet.api.caching import ANSWER_RUN
from scalpernet.api.errors import ApiError
from scalpernet.api.present import Presenter
from scalpernet.api.responses import JSON
from scalpernet.api.sessions import SESSION_COOKIE as SESSION_COOKIE
from scalpernet.api.throttle import Throttle
from scalpernet.graph.async_session import AsyncGraph, QueryTrace
from scalpernet.privacy import RefCipher

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

    @property
    def masked(self) -> bool:
        return self.principal.masked

    @property
    def extra_params(self) -> dict[str, Any]:
        """Parameters for the audit line beyond the request's own (an upload's digest)."""
        return self.request.scope["state"].setdefault("audit_params", {})

    def explain(self, enabled: bool) -> Ctx:
        """Record the queries of this request when `enabled`."""
        self.trace = QueryTrace() if enabled else None
        return self

    async def read(self, name: str, *, timeout: float | None = None,
                   **params: Any) -> list[dict[str, Any]]:
        return await self.graph.read(name, timeout_=timeout, trace_=self.trace, **params)

    def shows(self, entities: Iterable[str], actors: Iterable[str] = ()) -> None:
        """Name the entities (and the actors) this answer shows, for its audit line."""
        self.request.state.audit_entities = list(entities)
        self.request.state.audit_actors = list(actors)

    @property
    def throttle(self) -> Throttle:
        return self.request.app.state.throttle

    async def audit_ok(self, entities: Iterable[str] = (), status: int = 200) -> None:
        """Write this request's audit line now, before a side effect that must not happen
        unlogged (an upload kept); a failure becomes a 500 and nothing happens."""
        self.shows(entities)
        try:
            await self.audit.record(audit_entry(self.request.scope, status))
        except Exception as exc:
            log.error("audit write failed (%s): refusing the response", type(exc).__name__)
            raise ApiError(500, "audit_unavailable",
                           "the access could not be recorded in the audit log, so no data "
                           "is returned; tell the administrator") from exc
        self.request.state.audited_status = status

    async def respond(self, payload: dict[str, Any], *, entities: Iterable[str] = (),
                      actors: Iterable[str] = (), status: int = 200,
                      run_id: str | None = None) -> Response:
        """Answer with `payload` (plus the query trace when asked for), naming what it shows.

        `run_id` marks an answer that is the same for every caller of this role until the
        next analysis run: ``caching.ResponseCache`` keeps it (never one with a trace)."""
        if self.trace is not None:
            entries = self.trace.entries
            if self.masked:
                entries = [{**e, "parameters": mask_params(e["parameters"])} for e in entries]
            payload["explain"] = {"queries": entries}
        elif run_id is not None:
            self.request.scope["state"][ANSWER_RUN] = run_id
        self.shows(entities, actors)
        return JSON(payload, status_code=status)


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


def _state(request: Request) -> Any:
    return request.app.state


def require(*roles: str) -> Callable[..., Awaitable[Ctx]]:
    """A dependency that admits only callers of `roles` (authenticated before routing)."""

    async def dependency(request: Request,
                         _: Annotated[str | None, Depends(api_key_header)]) -> Ctx:
        principal: Principal | None = request.scope.get("state", {}).get("principal")
        if principal is None:  # a public path cannot use a route that needs a caller
            raise ApiError(401, "unauthorized", "missing X-API-Key header",
                           headers={"WWW-Authenticate": "X-API-Key"})
        if principal.role not in roles:
            raise ApiError(403, "forbidden",
                           f"the {principal.role} role may not use this route "
                           f"(allowed: {', '.join(roles)})")
        state = _state(request)
        refs: RefCipher = state.refs
        return Ctx(request=request, principal=principal, graph=state.graph, audit=state.audit,
                   present=Presenter(refs, masked=principal.masked, shown=state.shown),
                   request_id=request.scope["state"].get("request_id") or uuid.uuid4().hex[:16])

    return dependency
