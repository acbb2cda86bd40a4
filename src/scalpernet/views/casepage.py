"""The case pages of a signed-in browser: the list of cases, and one case worked through.

Rendered with Jinja2 (autoescaped) from what the case routes answer (``cases.service``), so
the pages and the JSON API show the same case. The page runs no script: each change (a move
with its note, an assignee, a comment) is a plain form posted to the page's own address,
answered by the case page again. Times are China Standard Time with the zone written;
statuses and tiers as investigators say them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any
from urllib.parse import quote

from scalpernet.cases.workflow import STATUSES
from scalpernet.locale import key_role_name, kind_name, role_name, status_name
from scalpernet.views.overview import _ENV, PAGE_CSP, when

WORDS: dict[str, tuple[str, str]] = {
    "cases": ("案件列表", "Cases"), "case": ("案件", "Case"),
    "network": ("团伙", "Network"), "overview": ("← 团伙列表", "← All networks"),
    "sign_out": ("退出登录", "Sign out"), "lang": ("English", "中文"),
    "status": ("状态", "Status"), "assignee": ("负责人", "Assignee"),
    "nobody": ("未分配", "nobody"), "opened": ("立案时间", "Opened"),
    "updated": ("最近更改", "Last changed"), "risk": ("风险", "Risk"),
    "members": ("成员", "Members"), "run": ("分析批次", "Analysis run"),
    "network_now": ("团伙现状", "The network now"),
    "gone": ("当前分析结果中已没有编号为 {id} 的团伙。",
             "No network in the current results has the id {id}."),
    "page": ("团伙图", "network page"), "report": ("案件报告", "case report"),
    "pdf": ("PDF", "PDF"),
    "move": ("更改状态", "Move the case"), "to": ("改为", "to"),
    "note": ("说明（必填）", "Note (required)"), "note_optional": ("说明", "Note"),
    "submit_move": ("更改", "Move"), "closed": ("案件已移送，不能再更改状态。",
                                              "The case is referred: its status is final."),
    "assign": ("指派", "Assign"), "assign_hint": ("留空表示不指派给任何人。",
                                                 "Leave empty to give it to nobody."),
    "comment": ("评论", "Comment"), "submit_comment": ("添加评论", "Add the comment"),
    "history": ("历史记录", "History"), "at": ("时间（UTC+08:00）", "When (UTC+08:00)"),
    "by": ("操作人", "By"), "change": ("更改", "Change"),
    "event_opened": ("立案", "opened"), "event_status": ("状态", "status"),
    "event_assigned": ("指派", "assigned"), "event_comment": ("评论", "comment"),
    "changes": ("确认以来的成员变化", "Membership changes since confirmation"),
    "confirmed_then": ("于 {at} 确认（分析批次 {run}，{size} 个成员，风险 {risk}）。",
                       "Confirmed {at} (analysis run {run}, {size} members, risk {risk})."),
    "not_confirmed": ("案件确认后，这里会列出之后每次分析中加入、离开或角色变化的成员。",
                      "Once the case is confirmed, members who join, leave or change role "
                      "in later analyses are listed here."),
    "joined": ("加入", "Joined"), "left": ("离开", "Left"),
    "role_changed": ("角色变化", "Role changed"), "none_changed": ("无", "none"),
    "shown_of": ("（显示 {shown} / {total}）", " ({shown} of {total} shown)"),
    "left_now_in": ("离开的成员现在所在的团伙", "Where those who left are now"),
    "kind": ("类型", "Kind"), "key": ("标识", "Identifier"), "role_then": ("确认时角色",
                                                                       "Role then"),
    "role_now": ("现在角色", "Role now"),
    "masked": ("身份证号和手机号已按您的角色脱敏。",
               "ID numbers and phones are masked for your role."),
    "no_cases": ("还没有案件。在团伙图页面点击“案件”立案。",
                 "No cases yet. Open one from a network's page (the Case button)."),
    "count": ("共 {total} 个案件。", "{total} cases."), "all": ("全部", "all"),
    "filter": ("筛选", "Apply"),
}


def words(lang: str) -> dict[str, str]:
    return {k: (zh if lang == "zh-CN" else en) for k, (zh, en) in WORDS.items()}


def _risk(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{int(value * 10_000) / 10_000:.4f}"  # 0.9991 stays below 1


def _moment(value: Any) -> str:
    if value is None:
        return "—"
    if hasattr(value, "to_native"):
        value = value.to_native()
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return when(value)


def _members(items: Sequence[Mapping[str, Any]], lang: str) -> list[dict[str, str]]:
    return [{"kind": kind_name(m["kind"], lang), "key": m["key"],
             "role_then": role_name(m["role_then"], lang) if m.get("role_then") else "—",
             "role_now": role_name(m["role_now"], lang) if m.get("role_now") else "—"}
            for m in items]


def _event_change(event: Mapping[str, Any], lang: str) -> str:
    kind, before, after = event["type"], event.get("from"), event.get("to")
    if kind in ("opened", "status"):
        names = [status_name(s, lang) for s in (before, after) if s]
        return " → ".join(names)
    if kind == "assigned":
        return f"{before or '—'} → {after or '—'}"
    return ""


def _href(template: str, network_id: str) -> str:
    return template.replace("{id}", quote(network_id, safe=""))


def render_case_page(payload: Mapping[str, Any], *, lang: str, masked: bool,
                     network_template: str, action: str, cases_href: str,
                     overview: str, logout: str, error: str | None = None,
                     asked: Mapping[str, str] | None = None) -> str:
    """One case: its status and the moves it may make, assignee, comments, history, the
    network now, and what changed in its membership since confirmation.

    `network_template` (with ``{id}``) is a network's page, its report and files under it;
    `action` is where the page's forms post (``…/status``, ``…/assignee``, ``…/comments``);
    `error` names a change that was refused, and `asked` keeps what was typed then.
    """
    w = words(lang)
    case, network, changes = payload["case"], payload["network"], payload.get("changes")
    history = [{"seq": e["seq"], "at": _moment(e["at"]), "kind": e["type"],
                "type": w["event_" + e["type"]],
                "by": f"{e['by'].get('name') or e['by'].get('key_id') or '?'} "
                      f"({key_role_name(e['by'].get('role') or '?', lang)})",
                "change": _event_change(e, lang), "note": e.get("note") or ""}
               for e in payload["history"]]
    diff = None
    if changes is not None:
        diff = {name: {"total": changes[name]["total"],
                       "members": _members(changes[name]["members"], lang)}
                for name in ("joined", "left", "role_changed")}
        diff["present"] = changes["network_present"]
        diff["left_now_in"] = [{"id": n["network"], "members": n["members"],
                                "href": _href(network_template, n["network"])}
                               for n in changes["left_now_in"]]
    confirmed = None
    if case.get("confirmed_at") is not None:
        confirmed = w["confirmed_then"].format(
            at=_moment(case["confirmed_at"]), run=case.get("confirmed_run_id") or "—",
            size=f"{case.get('confirmed_size') or 0:,}", risk=_risk(case.get("confirmed_risk")))
    return _ENV.get_template("case.html").render(
        w=w, lang=lang, csp=PAGE_CSP, masked=masked, error=error, asked=asked or {},
        case=case, status=status_name(case["status"], lang),
        moves=[(s, status_name(s, lang)) for s in case["next_statuses"]],
        opened=_moment(case.get("created_at")), updated=_moment(case.get("updated_at")),
        network=network, risk=_risk(network["risk"]) if network else None,
        network_seen=(f"{_moment(network.get('first_seen'))} – "
                      f"{_moment(network.get('last_seen'))}" if network else None),
        history=history, diff=diff, confirmed=confirmed,
        gone=w["gone"].format(id=case["network_id"]),
        network_href=_href(network_template, case["network_id"]), action=action,
        cases_href=cases_href, overview=overview, logout=logout,
        other_lang="en" if lang == "zh-CN" else "zh-CN")


def render_case_list(payload: Mapping[str, Any], *, lang: str, masked: bool,
                     case_template: str, overview: str, logout: str,
                     status: str | None = None) -> str:
    """Cases, most recently changed first, each linking to its page (`case_template`
    with ``{id}``), with a filter by status."""
    w = words(lang)
    rows = [{"id": c["network_id"], "href": case_template.replace(
                "{id}", quote(c["network_id"], safe="")),
             "status": status_name(c["status"], lang), "assignee": c.get("assignee"),
             "updated": _moment(c.get("updated_at")),
             "risk": _risk(c["network"]["risk"]) if c.get("network") else None,
             "size": c["network"]["size"] if c.get("network") else None}
            for c in payload["cases"]]
    return _ENV.get_template("cases.html").render(
        w=w, lang=lang, csp=PAGE_CSP, masked=masked, rows=rows,
        count=w["count"].format(total=payload["total"]), overview=overview, logout=logout,
        statuses=[(s, status_name(s, lang)) for s in STATUSES], status=status or "",
        other_lang="en" if lang == "zh-CN" else "zh-CN")
