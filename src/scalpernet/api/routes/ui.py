"""The analysts' pages in a browser: sign in with a key once, then browse networks.

A browser cannot send ``X-API-Key`` when following a link, so ``POST /ui/login`` checks the
key and opens a server-side page session (``api.sessions``): the HttpOnly, SameSite=Strict
cookie holds only the session's random id, never the key. The pages accept the session, and
so do the JSON API's reads when a page's script makes them (``X-ScalperNet-Page``), with the
key's role, masking and audit. ``POST /ui/logout`` ends the session. Every page read is
audited like an API read.
"""

from __future__ import annotations

import html
from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from scalpernet.api import service
from scalpernet.api.auth import READERS, Principal
from scalpernet.api.deps import Ctx, require
from scalpernet.api.errors import ApiError
from scalpernet.api.overview import overview_page
from scalpernet.api.sessions import SESSION_COOKIE
from scalpernet.apikeys import parse_key
from scalpernet.locale import DEFAULT_LANG, Lang
from scalpernet.views.strings import LANGUAGES

router = APIRouter(prefix="/ui", tags=["pages"], include_in_schema=False)
NetworkId = Annotated[str, Path(min_length=1, max_length=200)]
#: An overview filter as typed (read by `api.overview`, which names a bad one on the page).
FilterText = Annotated[str | None, Query(max_length=200)]
_reader = require(*READERS)
#: The cookie in which earlier versions kept the raw key under /ui: cleared at sign-in and
#: sign-out, so no browser keeps a key once it has signed in again.
_LEGACY_COOKIE = "scalpernet_key"

_LOGIN = """<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>ScalperNet: sign in</title>
<style>body{{font:15px system-ui,sans-serif;max-width:32em;margin:4em auto;color:#222}}
input{{width:100%;font:14px monospace;padding:.4em}}button{{margin-top:1em;padding:.4em 1.2em}}
.error{{color:#a00}}</style></head>
<body><h1>ScalperNet</h1>
<p>Sign in with your API key to browse the detected networks.</p>
{error}
<form method="post" action="/ui/login">
<label>API key<br><input name="key" type="password" autocomplete="off" required></label>
<button type="submit">Sign in</button></form></body></html>
"""


def _login_page(error: str = "", status: int = 200) -> HTMLResponse:
    shown = f'<p class="error">{html.escape(error)}</p>' if error else ""
    return HTMLResponse(_LOGIN.format(error=shown), status_code=status, headers={
        "Cache-Control": "no-store",
        "Content-Security-Policy":
            "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'"})


def presented_key_id_of(key: str | None) -> str | None:
    parsed = parse_key(key or "")
    return parsed[0] if parsed else None


async def _session(request: Request) -> Ctx | None:
    """The signed-in caller, or None when the browser must sign in (again)."""
    try:
        return await _reader(request, None)
    except ApiError as exc:
        if exc.status == 401:
            return None
        raise


@router.get("/login", response_class=HTMLResponse)
async def login_form() -> Response:
    """The sign-in form."""
    return _login_page()


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the key; on success open a page session and the overview."""
    form = parse_qs((await request.body())[:4096].decode("utf-8", "replace"))
    key = (form.get("key") or [""])[0].strip()
    try:
        principal = await request.app.state.verifier.verify(key)
    except ApiError as exc:
        _audit_sign_in(request, "sign_in_failed", key_id=presented_key_id_of(key))
        return _login_page(exc.message, status=401)
    _audit_sign_in(request, "signed_in" if principal.role in READERS else "sign_in_failed",
                   principal=principal)
    if principal.role not in READERS:
        return _login_page(f"a {principal.role} key cannot read networks", status=403)
    sessions = request.app.state.sessions
    token = await sessions.open(principal.key_id)
    response = RedirectResponse("/ui/networks", status_code=303)
    # Path "/": the page's script reads the JSON API with the session too.
    response.set_cookie(SESSION_COOKIE, token, max_age=sessions.lifetime_s, path="/",
                        httponly=True, samesite="strict", secure=request.url.scheme == "https")
    response.delete_cookie(_LEGACY_COOKIE, path="/ui")
    return response


def _audit_sign_in(request: Request, outcome: str, *, principal: Principal | None = None,
                   key_id: str | None = None) -> None:
    """Say who signed in or out for the request's audit line."""
    request.state.audit_outcome = outcome
    request.state.principal = principal
    request.state.key_id = key_id


@router.post("/logout")
async def logout(request: Request) -> Response:
    """End this browser's session."""
    token = request.cookies.get(SESSION_COOKIE)
    sessions = request.app.state.sessions
    session = await sessions.resolve(token)
    principal: Principal | None = None
    if session is not None:
        try:
            principal = await request.app.state.verifier.of_session(session.key_id)
        except ApiError:
            principal = None
        await sessions.end(token)
    _audit_sign_in(request, "signed_out", principal=principal,
                   key_id=session.key_id if session else None)
    response = RedirectResponse("/ui/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    response.delete_cookie(_LEGACY_COOKIE, path="/ui")
    return response


@router.get("/networks", response_class=HTMLResponse)
async def overview(request: Request, hospital: FilterText = None, since: FilterText = None,
                   until: FilterText = None, min_risk: FilterText = None,
                   sort: FilterText = None, order: FilterText = None,
                   lang: FilterText = None) -> Response:
    """Networks of the current run, filtered (hospital, since, until, min_risk) and sorted
    as asked, each linking to its page."""
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    asked = {"hospital": hospital, "since": since, "until": until, "min_risk": min_risk,
             "sort": sort, "order": order, "lang": lang}
    page, status = await overview_page(ctx, {k: v for k, v in asked.items() if v is not None},
                                       link_template="/ui/networks/{id}?lang="
                                                     + (lang if lang in LANGUAGES
                                                        else DEFAULT_LANG),
                                       logout="/ui/logout",
                                       files_template="/ui/networks/{id}",
                                       cases="/ui/cases")
    await ctx.audit_ok([], status=status)
    return HTMLResponse(page, status_code=status, headers={"Cache-Control": "no-store"})


@router.get("/networks/{network_id}", response_class=HTMLResponse)
async def network_page(request: Request, network_id: NetworkId,
                       lang: Annotated[Lang, Query()] = DEFAULT_LANG) -> Response:
    """One network's interactive page, in the language of the overview it was opened from."""
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    page, shown = await service.network_view(ctx, network_id, served=True, lang=lang)
    await ctx.audit_ok(shown)
    return HTMLResponse(page, headers={"Cache-Control": "no-store"})
