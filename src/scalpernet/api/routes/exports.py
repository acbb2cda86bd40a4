"""Exports of one current network: members and registrations as CSV or XLSX, the network
as GraphML or GEXF. Masked for analysts like every answer, and audited with what they hold."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query
from fastapi.responses import Response

from scalpernet.api.auth import READERS
from scalpernet.api.deps import Ctx, require
from scalpernet.api.errors import ApiError
from scalpernet.api.routes import AUTH_ERRORS
from scalpernet.api.schemas import responses
from scalpernet.export import graphs, source, tables
from scalpernet.locale import DEFAULT_LANG, Lang
from scalpernet.report import service as report

router = APIRouter(prefix="/networks", tags=["exports"])
Reader = Annotated[Ctx, Depends(require(*READERS))]
NetworkId = Annotated[str, Path(min_length=1, max_length=200, description="Network id.")]
LangParam = Annotated[Lang, Query(description="Language of headers and role names.")]

CSV = "text/csv; charset=utf-8"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MEDIA = {"csv": CSV, "xlsx": XLSX, "graphml": "application/graphml+xml",
         "gexf": "application/gexf+xml", "pdf": "application/pdf"}


def _binary(*types: str) -> dict[int | str, dict[str, object]]:
    content = {t.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
               for t in types}
    return {200: {"description": "The file.", "content": content},
            **responses(None, 404, *AUTH_ERRORS)}


def _file(ctx: Ctx, body: bytes, fmt: str, name: str, shown: list[str]) -> Response:
    ctx.shows(shown)
    # ids are ASCII-safe in practice; anything else is replaced, never echoed raw
    safe = "".join(ch if ch.isascii() and (ch.isalnum() or ch in "-_.") else "_"
                   for ch in name)
    return Response(body, media_type=MEDIA[fmt], headers={
        "Content-Disposition": f'attachment; filename="{safe}.{fmt}"',
        "Cache-Control": "no-store"})


@router.get("/{network_id}/export/graph", response_class=Response,
            responses=_binary(MEDIA["graphml"], MEDIA["gexf"]))
async def export_graph(
    ctx: Reader, network_id: NetworkId,
    fmt: Annotated[Literal["graphml", "gexf"], Query(alias="format")] = "graphml",
    lang: LangParam = DEFAULT_LANG,
) -> Response:
    """The network's members and its tree of tiers as GraphML or GEXF (Gephi, i2, yEd)."""
    net = await source.network(ctx, network_id)
    graph = graphs.network_graph(net, ctx.present, lang)
    body = graphs.to_graphml(graph) if fmt == "graphml" else graphs.to_gexf(graph)
    return _file(ctx, body, fmt, f"{network_id}-graph",
                 [f"{m.kind}:{m.key}" for m in net.members])


@router.get("/{network_id}/export/{table}", response_class=Response,
            responses=_binary(CSV, XLSX) | {413: responses(None, 413)[413]})
async def export_table(
    ctx: Reader, network_id: NetworkId,
    table: Annotated[Literal["members", "registrations"], Path(description=(
        "members: role, score and evidence of each; registrations: every booking linked "
        "to a member with a scalper role, with its source file and line."))],
    fmt: Annotated[Literal["csv", "xlsx"], Query(alias="format")] = "csv",
    lang: LangParam = DEFAULT_LANG,
) -> Response:
    """The network's members or registrations as CSV (UTF-8 with BOM) or XLSX."""
    if table == "members":
        net = await source.network(ctx, network_id)
        rows = tables.member_table(net, ctx.present, lang)
        shown = [f"{m.kind}:{m.key}" for m in net.members]
    else:
        total, bookings = await source.bookings(ctx, network_id)
        if total > len(bookings):
            raise ApiError(413, "too_large", f"the network has {total} registrations; an "
                           f"export holds at most {len(bookings)}")
        rows = tables.registration_table(bookings, ctx.present, lang)
        shown = sorted({u for b in bookings for uids in b.links.values() for u in uids})
    body = tables.to_csv(rows) if fmt == "csv" else tables.to_xlsx(rows, table)
    return _file(ctx, body, fmt, f"{network_id}-{table}", shown)


@router.get("/{network_id}/report", response_class=Response,
            responses={200: {"description": "The report.", "content": {
                "text/html": {"schema": {"type": "string"}},
                "application/pdf": {"schema": {"type": "string", "format": "binary"}}}},
                **responses(None, 404, 413, 501, *AUTH_ERRORS)})
async def case_report(
    ctx: Reader, network_id: NetworkId,
    fmt: Annotated[Literal["html", "pdf"], Query(alias="format")] = "html",
    lang: LangParam = DEFAULT_LANG,
) -> Response:
    """The printable case report: slots grabbed, hospitals and doctors targeted, fees and
    the estimated markup, timeline, delay histogram, payment flows, tiers, the case's
    status and history, and every registration behind each number (source file and line).
    PDF is printed by headless Chromium."""
    html, shown = await report.build(ctx, network_id, lang)
    if fmt == "html":
        ctx.shows(shown)
        return Response(html, media_type="text/html; charset=utf-8", headers={
            "Cache-Control": "no-store", "Content-Security-Policy": report.PAGE_CSP})
    body = await report.pdf(html)
    return _file(ctx, body, "pdf", f"{network_id}-report", shown)
