"""The case report as one self-contained HTML page (Jinja2, autoescaped), and as PDF.

The page asks nothing of any server (charts are inline SVG, no script runs), so it prints
the same from a browser, a file share or headless Chromium. Everything shown passes through
the caller's presenter: an analyst's report holds no ID number or phone.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from scalpernet.api.present import Presenter
from scalpernet.entities import split_uid
from scalpernet.errors import ScalperNetError
from scalpernet.export.source import Booking
from scalpernet.locale import (
    key_role_name,
    kind_name,
    role_name,
    signal_detail,
    signal_name,
    status_name,
)
from scalpernet.report.figures import CST, DELAY_BINS, MARKUP_PER_SLOT, Figures, Row, spans
from scalpernet.results.models import Network

#: Longest a PDF may take to print.
PDF_TIMEOUT_S = 300

WORDS: dict[str, tuple[str, str]] = {
    "title": ("案件报告", "Case report"), "network": ("团伙网络", "Network"),
    "generated": ("生成时间", "Generated"), "run": ("分析批次", "Analysis run"),
    "risk": ("风险", "Risk"), "members": ("成员", "Members"),
    "case": ("案件", "Case"), "status": ("状态", "Status"), "assignee": ("负责人", "Assignee"),
    "no_case": ("尚未立案。", "No case opened yet."), "history": ("处理记录", "History"),
    "summary": ("概要", "Summary"), "slots": ("抢到号源", "Slots grabbed"),
    "kept": ("保留（已挂/已就诊/爽约）", "kept (booked / attended / no-show)"),
    "cancelled": ("已取消（含洗号）", "cancelled (incl. washed)"),
    "hospitals": ("涉及医院", "Hospitals targeted"),
    "doctors": ("涉及医生", "Doctors targeted"), "bookings": ("挂号数", "Bookings"),
    "fees": ("挂号费与加价估算", "Fees and estimated markup"),
    "face_value": ("挂号费合计（票面）", "Face-value fees"),
    "fee_unknown": ("无金额记录", "no fee recorded"),
    "markup": ("加价估算", "Estimated markup"),
    "markup_basis": ("按公开案例每号加价 {low}–{high} 元（典型 {mid} 元）乘以保留号源数；"
                     "记录中只有票面挂号费，此为估算而非实测。",
                     "kept slots × the markup per slot on public record, {low}–{high} yuan "
                     "(typically {mid}); the records hold the face-value fee only, so this is "
                     "an estimate, not a measurement."),
    "timeline": ("时间线（每日挂号）", "Timeline (bookings per day, UTC+08:00)"),
    "delays": ("放号后下单延迟分布", "Delay after release"),
    "delay_unknown": ("无放号时间", "no release time"),
    "human_floor": ("正常患者从登录到支付至少需要约 1 分钟。",
                    "A person needs at least about a minute from login to payment."),
    "payments": ("资金流向（支付账号）", "Payment flows (payment accounts)"),
    "payer": ("支付账号", "Payment account"), "role": ("角色", "Role"),
    "patients": ("患者数", "Patients"), "amount": ("金额（元）", "Amount (yuan)"),
    "channel": ("渠道", "Channel"), "tiers": ("层级结构", "Tiers"),
    "signals": ("风险信号", "Signals"), "evidence": ("依据", "Evidence"),
    "appendix_regs": ("附录 A：挂号记录（来源文件与行号）",
                      "Appendix A: registrations (source file and line)"),
    "appendix_members": ("附录 B：成员", "Appendix B: members"),
    "no": ("编号", "No."), "reg_id": ("挂号单号", "Registration"),
    "hospital": ("医院", "Hospital"), "department": ("科室", "Department"),
    "doctor": ("医生", "Doctor"), "booked_at": ("下单时间", "Booked at"),
    "delay_ms": ("延迟（毫秒）", "Delay (ms)"), "fee": ("挂号费", "Fee"),
    "patient": ("患者", "Patient"), "source": ("来源", "Source"),
    "kind": ("类型", "Kind"), "key": ("标识", "Identifier"), "score": ("评分", "Score"),
    "reason": ("角色依据", "Why this role"), "masked": (
        "本报告中身份证号和手机号已按您的角色脱敏。",
        "ID numbers and phones are masked for your role."),
    "truncated": ("本网络共有 {total} 条挂号记录，报告只包含前 {shown} 条。",
                  "The network has {total} registrations; the report holds the first {shown}."),
    "scope": ("挂号记录：与本网络中技术人员、一级或二级黄牛相关联的每一条挂号。",
              "Registrations: every booking linked to a member of the network who holds a "
              "scalper role (technician, first or second level)."),
    "tz": ("时间均为北京时间（UTC+08:00）。", "Times are China Standard Time (UTC+08:00)."),
    "note": ("说明", "Note"), "at": ("时间", "When"), "by": ("操作人", "By"),
    "change": ("变更", "Change"), "runs": ("段编号", "runs of numbers"),
    "event_opened": ("立案", "opened"), "event_status": ("状态变更", "status"),
    "event_assigned": ("指派", "assigned"), "event_comment": ("备注", "comment"),
}


class PrintTimeout(ScalperNetError):
    """Chromium did not finish printing in time."""


@dataclass
class CaseInfo:
    """A case's status, assignee and history, when a case is open on the network."""

    status: str
    assignee: str | None
    history: list[dict[str, Any]]


def _env() -> Environment:
    env = Environment(loader=PackageLoader("scalpernet.report", "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      trim_blocks=True, lstrip_blocks=True)
    env.filters["yuan"] = lambda v: f"{Decimal(v):,.2f}" if v is not None else "—"
    env.filters["count"] = lambda v: f"{v:,}"
    return env


_ENV = _env()


def when(value: datetime | str | None) -> str:
    """A time in China Standard Time, milliseconds kept, with its zone."""
    if value is None:
        return "—"
    if isinstance(value, str):
        from scalpernet.export.source import parse_time

        value = parse_time(value)
        if value is None:
            return "—"
    at = value.astimezone(CST)
    return at.strftime("%Y-%m-%d %H:%M:%S.") + f"{at.microsecond // 1000:03d} +08:00"


def evidence(row: Row) -> list[dict[str, Any]]:
    """A figure's registrations as runs of appendix numbers, for links like E1–E6."""
    return [{"first": a, "last": b} for a, b in spans(row.evidence)]


def render_report(network: Network, bookings: list[Booking], total: int, figures: Figures,
                  present: Presenter, *, lang: str, run_id: str | None,
                  case: CaseInfo | None, generated: datetime) -> str:
    """The report's HTML; `present` masks what an analyst may not see."""
    words = {k: (zh if lang == "zh-CN" else en) for k, (zh, en) in WORDS.items()}

    def shown(entity_uid: str | None) -> str:
        if entity_uid is None:
            return "—"
        kind, key = split_uid(entity_uid)
        return present.key(kind, key)

    regs = []
    for n, b in enumerate(bookings, start=1):
        props = present.registration(b.props)
        regs.append({"n": n, "id": props.get("registration_id"),
                     "hospital": props.get("hospital"), "department": props.get("department"),
                     "doctor": props.get("doctor"), "booked_at": when(props.get("booked_at")),
                     "delay": props.get("latency_ms"), "fee": props.get("fee_yuan"),
                     "status": props.get("status"), "payer": shown(b.linked("PAID_BY")),
                     "patient": shown(b.linked("FOR")),
                     "source": f"{props.get('source_file') or '?'}:"
                               f"{props.get('source_line') or '?'}"})
    members = [{"kind": kind_name(m.kind, lang), "key": present.key(m.kind, m.key),
                "role": role_name(m.role, lang), "score": m.score,
                "reason": present.text((m.evidence or {}).get("role_reason") or "")}
               for m in network.members]
    low, mid, high = MARKUP_PER_SLOT
    most = max([r.count for r in figures.timeline] or [1])
    context = {
        "lang": lang, "w": words, "network": network, "run_id": run_id,
        "generated": when(generated), "first": when(figures.first),
        "last": when(figures.last), "f": figures, "total": total,
        "truncated": words["truncated"].format(total=f"{total:,}", shown=f"{len(bookings):,}")
        if total > len(bookings) else None,
        "masked": present.masked, "regs": regs, "members": members,
        "hospitals": present.text(network.hospitals),
        "signals": [{"name": signal_name(s.name, lang), "value": f"{s.value:g}",
                     "detail": present.text(signal_detail(s.name, s.detail, lang))}
                    for s in network.signals],
        "payers": [{"key": shown(r.extra["uid"]),  # type: ignore[arg-type]
                    "role": role_name(str(r.extra["role"]), lang) if r.extra["role"] else "—",
                    "row": r} for r in figures.payers],
        "tiers": [{"name": role_name(r.label, lang), "count": r.count} for r in figures.tiers],
        "timeline_max": most, "delay_max": max([r.count for r in figures.delays] or [1]) or 1,
        "tier_max": max([r.count for r in figures.tiers] or [1]) or 1,
        "markup_basis": words["markup_basis"].format(low=low, mid=mid, high=high),
        "delay_labels": [label for label, _ in DELAY_BINS],
        "case": None if case is None else {
            "status": status_name(case.status, lang), "assignee": case.assignee,
            "history": [{**e, "at": when(e["at"]),
                         "by": {**e["by"], "role": key_role_name(e["by"].get("role") or "?",
                                                                 lang)},
                         "change": " → ".join(str(status_name(x, lang)) for x in
                                              (e.get("from"), e.get("to")) if x)}
                        for e in present.text(case.history)]},
        "evidence": evidence, "present": present,
    }
    context["hospital_rows"] = [{"label": present.text(r.label), "row": r}
                                for r in figures.hospitals]
    context["doctor_rows"] = [{"label": present.text(r.label), "row": r}
                              for r in figures.doctors]
    return _ENV.get_template("report.html").render(context)


def print_pdf(html: str, *, chromium: str | None = None,
              timeout: float = PDF_TIMEOUT_S) -> bytes:
    """The report printed to PDF by headless Chromium, with every network request refused
    (the page needs none). Chromium runs in a process group of its own, ended whole when
    it overruns `timeout`."""
    from scalpernet.views.headless import CHROMIUM_FLAGS, find_chromium

    binary = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="scalpernet-report-",
                                     ignore_cleanup_errors=True) as folder:
        page, pdf = Path(folder) / "report.html", Path(folder) / "report.pdf"
        page.write_text(html, encoding="utf-8")
        command = [binary, *CHROMIUM_FLAGS, f"--user-data-dir={folder}/profile",
                   "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri()]
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.PIPE, start_new_session=True)
        try:
            _, stderr = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise PrintTimeout(f"Chromium did not print the report within {timeout:.0f} s"
                               ) from exc
        if not pdf.exists() or pdf.stat().st_size == 0:
            last = (stderr.decode("utf-8", "replace").strip().splitlines() or ["?"])[-1]
            raise ScalperNetError(f"Chromium printed no PDF (exit {process.returncode}): "
                                  f"{last}")
        return pdf.read_bytes()
