"""The report and the exports for a signed-in browser: the same files as the JSON API's
(``routes.exports``), reached from the overview page with the page's sign-in, with the same
masking and audit. A browser without a sign-in is sent to the form."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import RedirectResponse, Response

from scalpernet.api.routes import exports
from scalpernet.api.routes.ui import _session
from scalpernet.locale import DEFAULT_LANG, Lang

router = APIRouter(prefix="/ui/networks", tags=["pages"], include_in_schema=False)
NetworkId = Annotated[str, Path(min_length=1, max_length=200)]
LangParam = Annotated[Lang, Query()]


@router.get("/{network_id}/report")
async def report_page(request: Request, network_id: NetworkId,
                      fmt: Annotated[Literal["html", "pdf"], Query(alias="format")] = "html",
                      lang: LangParam = DEFAULT_LANG) -> Response:
    """The printable case report of a network (HTML, or PDF to download)."""
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    return await exports.case_report(ctx, network_id, fmt, lang)


@router.get("/{network_id}/export/graph")
async def graph_file(request: Request, network_id: NetworkId,
                     fmt: Annotated[Literal["graphml", "gexf"], Query(alias="format")] = "graphml",
                     lang: LangParam = DEFAULT_LANG) -> Response:
    """The network as GraphML or GEXF."""
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    return await exports.export_graph(ctx, network_id, fmt, lang)


@router.get("/{network_id}/export/{table}")
async def table_file(request: Request, network_id: NetworkId,
                     table: Annotated[Literal["members", "registrations"], Path()],
                     fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
                     lang: LangParam = DEFAULT_LANG) -> Response:
    """The network's members or registrations as CSV or XLSX."""
    ctx = await _session(request)
    if ctx is None:
        return RedirectResponse("/ui/login", status_code=303)
    return await exports.export_table(ctx, network_id, table, fmt, lang)
