"""The overview page's request: its filters read from the query string, the networks of
the current run read once, the page rendered. A filter that cannot be read is named on the
page (status 400) and the others still apply."""

from __future__ import annotations

from collections.abc import Mapping

from scalpernet.api.deps import Ctx
from scalpernet.api.routes import _iso, zoned
from scalpernet.results.store import network_from_record
from scalpernet.views.overview import SORTS, Filters, render_overview_page

#: Networks listed on the overview page.
OVERVIEW_LIMIT = 500


def read_filters(query: Mapping[str, str]) -> tuple[Filters, str | None]:
    """The filters asked for, and a one-line error for the first one that is not valid."""
    lang = query.get("lang", "zh-CN")
    f = Filters(lang=lang if lang in ("zh-CN", "en") else "zh-CN")
    errors: list[str] = []
    f.hospital = (query.get("hospital") or "").strip()[:200] or None
    for name in ("since", "until"):
        text = (query.get(name) or "").strip()[:40]
        setattr(f, f"{name}_text", text)
        if text:
            try:
                setattr(f, name, zoned(_iso(text)))
            except ValueError:
                errors.append(f"{name}: give a date or datetime such as 2026-03-02T18:00")
    f.min_risk_text = (query.get("min_risk") or "").strip()[:20]
    if f.min_risk_text:
        try:
            f.min_risk = float(f.min_risk_text)
            if not 0.0 <= f.min_risk <= 1.0:
                raise ValueError
        except ValueError:
            f.min_risk = 0.0
            errors.append("min_risk: give a number from 0 to 1")
    sort = query.get("sort", "risk")
    f.sort = sort if sort in SORTS else "risk"
    f.descending = query.get("order", "desc") != "asc"
    if f.since and f.until and f.since > f.until:
        errors.append("since must not be after until")
        f.since = f.until = None
    return f, (errors[0] if errors else None)


async def overview_page(ctx: Ctx, query: Mapping[str, str], *, link_template: str,
                        logout: str | None = None, files_template: str | None = None,
                        cases: str | None = None) -> tuple[str, int]:
    """The page's HTML and its status (400 when a filter could not be read)."""
    filters, error = read_filters(query)
    record = (await ctx.read("ui_overview_networks", min_risk=filters.min_risk,
                             hospital=filters.hospital, since=filters.since,
                             until=filters.until, sort=filters.sort,
                             descending=filters.descending, limit=OVERVIEW_LIMIT))[0]
    networks = [network_from_record(props) for props in record["networks"]]
    page = render_overview_page(networks, total=record["total"],
                                hospitals=record["hospitals"], filters=filters,
                                masked=ctx.masked, link_template=link_template, error=error,
                                logout=logout, files_template=files_template,
                                cases=cases)
    return page, 400 if error else 200
