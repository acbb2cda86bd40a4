"""The case pages for a signed-in browser: the same cases as the JSON API's (``routes.cases``,
``cases.service``), with the page's sign-in, masking and audit.

A change is a plain form posted under the case's page; it is written (and audited before it
is written) by the case service, then the browser is sent back to the case page (303), so a
reload never sends the change twice. A change the workflow refuses answers the case page
with the reason at the top and the status of the refusal (409 for a forbidden move). The
session cookie is SameSite=Strict; a post that says it comes from another origin is refused
besides.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import parse_qs, quote, urlsplit

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError

from scalpernet.api.deps import Ctx
from scalpernet.api.errors import ApiError
from scalpernet.api.routes.ui import _session
from scalpernet.cases import service
from scalpernet.cases.schemas import Assignment, CaseOpen, Comment, StatusChange
from scalpernet.cases.workflow import STATUSES
from scalpernet.locale import DEFAULT_LANG, Lang
from scalpernet.views.casepage import render_case_list, render_case_page

router = APIRouter(prefix="/ui/cases", tags=["pages"], include_in_schema=False)
NetworkId = Annotated[str, Path(min_length=1, max_length=200)]
LangParam = Annotated[Lang, Query()]
OVERVIEW, LOGOUT, CASES = "/ui/networks", "/ui/logout", "/ui/cases"
_FORM_BYTES = 64 * 1024


def _case_href(network_id: str, lang: str) -> str:
    return f"{CASES}/{quote(network_id, safe='')}?lang={lang}"


def _same_origin(request: Request) -> None:
    """Refuse a post that names another origin (SameSite=Strict already keeps the session
    cookie off such posts; this says so plainly)."""
    origin = request.headers.get("origin")
    if origin and origin != "null":
        parts = urlsplit(origin)
        if parts.netloc != request.headers.get("host", ""):
            raise ApiError(403, "forbidden", "a change must come from this site's own pages")


async def _form(request: Request) -> dict[str, str]:
    body = (await request.body())[:_FORM_BYTES].decode("utf-8", "replace")
    return {k: v[0] for k, v in parse_qs(body, keep_blank_values=True).items()}


def _html(page: str, status: int = 200) -> HTMLResponse:
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


async def _case_page(ctx: Ctx, network_id: str, lang: str, *, status: int = 200,
                     error: str | None = None, asked: dict[str, str] | None = None
                     ) -> Response:
    payload, shown = await service.get_case(ctx, network_id)
    page = render_case_page(ctx.present.text(payload), lang=lang, masked=ctx.masked,
                            network_template=f"{OVERVIEW}/{{id}}", cases_href=CASES,
                            action=f"{CASES}/{quote(network_id, safe='')}",
                            overview=OVERVIEW, logout=LOGOUT, error=error,
                            asked=ctx.present.text(asked or {}))
    ctx.shows(shown)
    return _html(page, status)


@router.get("", response_class=HTMLResponse)
async def case_list(request: Request, lang: LangParam = DEFAULT_LANG,
                    status: Annotated[str | None, Query(max_length=20)] = None) -> Response:
    """Cases, most recently changed first, filtered by status."""
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    chosen = status if status in STATUSES else None
    payload, _ = await service.list_cases(ctx, status=chosen, assignee=None, limit=200,
                                          offset=0)
    page = render_case_list(ctx.present.text(payload), lang=lang, masked=ctx.masked,
                            case_template=f"{CASES}/{{id}}", overview=OVERVIEW,
                            logout=LOGOUT, status=chosen)
    ctx.shows([])
    return _html(page)


@router.post("")
async def open_case(request: Request, lang: LangParam = DEFAULT_LANG) -> Response:
    """Open the case of a network from its page (or find it open), then show it."""
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    _same_origin(request)
    form = await _form(request)
    try:
        body = CaseOpen(network_id=form.get("network_id", ""),
                        note=form.get("note", "").strip() or None)
    except ValidationError as exc:
        raise ApiError(400, "bad_request", _first_error(exc)) from exc
    await service.open_case(ctx, body.network_id, body.note)
    return _changed(ctx, body.network_id, lang)


@router.get("/{network_id}", response_class=HTMLResponse)
async def case_page(request: Request, network_id: NetworkId,
                    lang: LangParam = DEFAULT_LANG) -> Response:
    """One case: status and moves, assignee, comments, history, and what changed since it
    was confirmed."""
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    return await _case_page(ctx, network_id, lang)


def _first_error(exc: ValidationError) -> str:
    error = exc.errors()[0]
    where = ".".join(str(p) for p in error.get("loc", ()))
    return f"{where}: {error.get('msg', 'invalid')}" if where else str(error.get("msg"))


def _changed(ctx: Ctx, network_id: str, lang: str) -> Response:
    """Back to the case page. A change's audit line was written before the change, with
    the change's outcome; the redirect is the same request and gets no second line (a case
    found already open wrote none, and gets its line now)."""
    if getattr(ctx.request.state, "audited_status", None) is not None:
        ctx.request.state.audited_status = 303
    return RedirectResponse(_case_href(network_id, lang), status_code=303)


async def _change(request: Request, network_id: str, lang: str, what: str) -> Response:
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    _same_origin(request)
    form = await _form(request)
    try:
        if what == "status":
            move = StatusChange(status=form.get("status", ""),  # type: ignore[arg-type]
                                note=form.get("note", ""))
            await service.change_status(ctx, network_id, move.status, move.note)
        elif what == "assignee":
            given = Assignment(assignee=form.get("assignee", "").strip() or None,
                               note=form.get("note", "").strip() or None)
            await service.assign(ctx, network_id, given.assignee, given.note)
        else:
            said = Comment(text=form.get("text", ""))
            await service.comment(ctx, network_id, said.text)
    except ValidationError as exc:
        return await _refused(ctx, network_id, lang, 400, _first_error(exc), form)
    except ApiError as exc:
        if exc.status == 404:
            raise
        return await _refused(ctx, network_id, lang, exc.status, exc.message, form)
    return _changed(ctx, network_id, lang)


async def _refused(ctx: Ctx, network_id: str, lang: str, status: int, message: str,
                   form: dict[str, Any]) -> Response:
    """The case page again, the refusal named at the top and what was typed kept."""
    return await _case_page(ctx, network_id, lang, status=status, error=message, asked=form)


@router.post("/{network_id}/status")
async def change_status(request: Request, network_id: NetworkId,
                        lang: LangParam = DEFAULT_LANG) -> Response:
    """Move the case, with its note (409 and the case page for a forbidden move)."""
    return await _change(request, network_id, lang, "status")


@router.post("/{network_id}/assignee")
async def assign(request: Request, network_id: NetworkId,
                 lang: LangParam = DEFAULT_LANG) -> Response:
    """Give the case to someone (an empty name: to nobody)."""
    return await _change(request, network_id, lang, "assignee")


@router.post("/{network_id}/comments")
async def comment(request: Request, network_id: NetworkId,
                  lang: LangParam = DEFAULT_LANG) -> Response:
    """Add a comment to the case's history."""
    return await _change(request, network_id, lang, "comments")
