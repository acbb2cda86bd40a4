"""The overview page: current networks, filtered and sorted by the analyst, for people.

Rendered with Jinja2 (autoescaped); the filters are a plain GET form, so the page runs no
script. Risk is shown with four decimals (0.9991 is not 1.00), times in China Standard Time
with the zone written, signals by what they mean, tiers as investigators name them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from urllib.parse import quote, urlencode

from jinja2 import Environment, PackageLoader, select_autoescape

from scalpernet.locale import signal_detail, signal_name
from scalpernet.privacy import mask_value
from scalpernet.results.models import Network

CST = timezone(timedelta(hours=8))
SORTS = ("risk", "size", "first_seen", "last_seen", "id")
#: The page's policy: its own styles, a form sent to itself, nothing else.
PAGE_CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
            "form-action 'self'")

WORDS: dict[str, tuple[str, str]] = {
    "title": ("按风险排列的团伙网络", "Networks by risk"),
    "count": ("当前分析结果中共 {total} 个网络符合条件，显示 {shown} 个。",
              "{total} networks in the current results match; {shown} shown."),
    "risk": ("风险", "Risk"), "network": ("网络", "Network"), "members": ("成员", "Members"),
    "hospitals": ("医院", "Hospitals"), "seen": ("活动时间（UTC+08:00）", "Seen (UTC+08:00)"),
    "signals": ("主要信号", "Top signals"), "hospital": ("医院", "Hospital"),
    "all": ("全部", "all"), "since": ("最后活动不早于", "Last seen from"),
    "until": ("首次活动不晚于", "First seen until"), "min_risk": ("最低风险", "Minimum risk"),
    "sort": ("排序", "Sort by"), "apply": ("筛选", "Apply"), "reset": ("清除", "Clear"),
    "desc": ("降序", "descending"), "asc": ("升序", "ascending"),
    "none": ("当前结果中没有符合条件的网络。", "No networks in the current results match."),
    "masked": ("身份证号和手机号已按您的角色脱敏。",
               "ID numbers and phones are masked for your role."),
    "tz": ("不带时区的时间按北京时间（UTC+08:00）理解。",
           "Times without a zone are China Standard Time (UTC+08:00)."),
    "sort_risk": ("风险", "risk"), "sort_size": ("成员数", "members"),
    "sort_first_seen": ("首次活动", "first seen"), "sort_last_seen": ("最后活动", "last seen"),
    "sort_id": ("网络编号", "network id"), "lang": ("English", "中文"),
    "sign_out": ("退出登录", "Sign out"), "files": ("报告与导出", "Report and files"),
    "cases": ("案件列表", "Cases"),
    "report": ("案件报告", "report"), "pdf": ("PDF", "PDF"),
    "registrations_xlsx": ("挂号 XLSX", "registrations XLSX"),
    "members_csv": ("成员 CSV", "members CSV"), "graphml": ("GraphML", "GraphML"),
}


@dataclass
class Filters:
    """What the analyst asked for; the text of each field as typed, for the form."""

    hospital: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    min_risk: float = 0.0
    sort: str = "risk"
    descending: bool = True
    lang: str = "zh-CN"
    since_text: str = ""
    until_text: str = ""
    min_risk_text: str = ""


def when(value: datetime | None) -> str:
    """A time in China Standard Time with its zone, to the second."""
    if value is None:
        return "—"
    return value.astimezone(CST).strftime("%Y-%m-%d %H:%M:%S +08:00")


def _env() -> Environment:
    return Environment(loader=PackageLoader("scalpernet.views", "templates"),
                       autoescape=select_autoescape(default=True, default_for_string=True),
                       trim_blocks=True, lstrip_blocks=True)


_ENV = _env()


def render_overview_page(networks: list[Network], *, total: int | None = None,
                         hospitals: list[str] = (), filters: Filters | None = None,  # type: ignore[assignment]
                         masked: bool, link_template: str = "{id}/view",
                         error: str | None = None, logout: str | None = None,
                         files_template: str | None = None, cases: str | None = None) -> str:
    """Networks in the order asked for, each linking to its view (`link_template` with
    `{id}`), under a form of filters; masked by content for analysts. `logout` (a signed-in
    browser's sign-out address) adds a sign-out button, `cases` a link to the case list;
    `files_template` (with `{id}`) adds each network's report and exports under that
    address."""
    filters = filters or Filters()
    lang = filters.lang
    words = {k: (zh if lang == "zh-CN" else en) for k, (zh, en) in WORDS.items()}
    shown = mask_value if masked else (lambda v: v)
    rows = []
    for rank, net in enumerate(networks, start=1):
        rows.append({
            "rank": rank, "id": net.id, "risk": net.risk,
            # 0.9991 stays below 1: never rounded up to a certainty
            "risk_text": f"{math.floor(net.risk * 10_000) / 10_000:.4f}",
            "href": link_template.replace("{id}", quote(net.id, safe="")),
            "files": (files_template.replace("{id}", quote(net.id, safe=""))
                      if files_template else None),
            "size": net.size, "hospitals": shown(", ".join(net.hospitals)),
            "first_seen": when(net.first_seen), "last_seen": when(net.last_seen),
            "signals": [{"name": signal_name(s.name, lang), "code": s.name,
                         "value": f"{s.value:,.4g}",
                         "detail": shown(signal_detail(s.name, s.detail, lang))}
                        for s in net.signals[:3]],
        })
    other = {"zh-CN": "en", "en": "zh-CN"}[lang]
    keep = {"hospital": filters.hospital or "", "since": filters.since_text,
            "until": filters.until_text, "min_risk": filters.min_risk_text,
            "sort": filters.sort, "order": "desc" if filters.descending else "asc"}
    return _ENV.get_template("overview.html").render(
        w=words, lang=lang, rows=rows, total=len(networks) if total is None else total,
        count=words["count"].format(total=len(networks) if total is None else total,
                                    shown=len(rows)),
        hospitals=[(h, shown(h)) for h in hospitals], f=filters, sorts=SORTS,
        masked=masked, error=error, csp=PAGE_CSP, logout=logout, cases=cases,
        with_files=files_template is not None,
        other_lang=urlencode({**{k: v for k, v in keep.items() if v}, "lang": other}))
