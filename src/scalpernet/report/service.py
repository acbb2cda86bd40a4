"""The case report for one caller: read from the current run, rendered, printed on demand."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

from scalpernet.api.deps import Ctx
from scalpernet.api.errors import ApiError
from scalpernet.cases.service import event_shown
from scalpernet.errors import ScalperNetError
from scalpernet.export import source
from scalpernet.report.figures import compute
from scalpernet.report.render import CaseInfo, PrintTimeout, print_pdf, render_report

#: The report page runs no script and fetches nothing.
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
            "form-action 'none'")


async def build(ctx: Ctx, network_id: str, lang: str) -> tuple[str, list[str]]:
    """The report's HTML and the uids of the entities it shows."""
    net = await source.network(ctx, network_id)
    (total, bookings), cases, run = await asyncio.gather(
        source.bookings(ctx, network_id), ctx.read("case_get", network_id=network_id),
        ctx.read("results_current_run"))
    case = None
    if cases:
        row = cases[0]
        case = CaseInfo(status=row["case"]["status"], assignee=row["case"].get("assignee"),
                        history=[event_shown(e) for e in row["events"]])
    figures = compute(net, bookings)
    run_id = run[0]["run"]["id"] if run else None

    def render() -> str:
        return render_report(net, bookings, total, figures, ctx.present, lang=lang,
                             run_id=run_id, case=case, generated=datetime.now(UTC))

    html = await asyncio.to_thread(render)
    shown = {f"{m.kind}:{m.key}" for m in net.members}
    shown.update(u for b in bookings for uids in b.links.values() for u in uids)
    return html, sorted(shown)


async def pdf(html: str) -> bytes:
    """The report printed to PDF; 503 when printing overran, 501 when this server has no
    Chromium."""
    try:
        return await asyncio.to_thread(print_pdf, html)
    except PrintTimeout as exc:
        raise ApiError(503, "unavailable", f"no PDF: {exc}; the HTML report has it all"
                       ) from exc
    except ScalperNetError as exc:
        raise ApiError(501, "not_implemented", f"no PDF: {exc}") from exc
