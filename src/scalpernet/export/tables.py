"""A network's members and registrations as tables, written as CSV or XLSX.

Cells are shown to the caller (masked for analysts: keys by kind, every text by content)
and can never run as a formula in a spreadsheet: hospital exports can hold any text, and
a name such as ``=HYPERLINK(…)`` would otherwise become a live link (CSV injection). CSV is
UTF-8 with a byte order mark, which Excel and WPS need to read Chinese.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from scalpernet.api.present import Presenter
from scalpernet.entities import split_uid
from scalpernet.export.source import Booking
from scalpernet.locale import kind_name, role_name
from scalpernet.results.models import Network

Table = tuple[list[str], list[list[Any]]]
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

#: Column → (zh-CN, en) header; registrations use the contract's names and aliases.
MEMBER_COLUMNS: dict[str, tuple[str, str]] = {
    "kind": ("类型", "kind"), "key": ("标识", "key"), "ref": ("引用", "ref"),
    "role": ("角色", "role"), "role_name": ("角色名称", "role name"),
    "score": ("评分", "score"), "ring_bookings": ("团伙挂号数", "ring bookings"),
    "role_reason": ("角色依据", "role reason"), "signals": ("信号", "signals"),
    "registrations": ("证据挂号", "evidence registrations"),
}
REGISTRATION_COLUMNS: dict[str, tuple[str, str]] = {
    "registration_id": ("挂号单号", "registration_id"), "hospital": ("医院", "hospital"),
    "department": ("科室", "department"), "doctor": ("医生", "doctor"),
    "slot_time": ("就诊时间", "slot_time"), "released_at": ("放号时间", "released_at"),
    "booked_at": ("下单时间", "booked_at"), "latency_ms": ("放号后毫秒", "latency_ms"),
    "paid_at": ("支付时间", "paid_at"), "status": ("状态", "status"),
    "cancelled_at": ("取消时间", "cancelled_at"), "fee_yuan": ("挂号费", "fee_yuan"),
    "payer_channel": ("支付渠道", "payer_channel"), "visit_card": ("就诊卡号", "visit_card"),
    "patient": ("患者", "patient"), "phone": ("联系电话", "phone"), "ip": ("IP地址", "ip"),
    "device": ("设备号", "device_id"), "account": ("账号", "account_id"),
    "payer": ("支付账号", "payer_account"), "escort_agent": ("陪诊员编号", "escort_agent_id"),
    "source_file": ("来源文件", "source_file"), "source_line": ("来源行号", "source_line"),
}
#: Registration column → the relationship that names that entity.
_LINKED = {"patient": "FOR", "phone": "CONTACT", "ip": "FROM_IP", "device": "ON_DEVICE",
           "account": "BY_ACCOUNT", "payer": "PAID_BY", "escort_agent": "VIA_AGENT"}


def _headers(columns: dict[str, tuple[str, str]], lang: str) -> list[str]:
    return [zh if lang == "zh-CN" else en for zh, en in columns.values()]


def _shown_key(present: Presenter, entity_uid: str | None) -> str | None:
    if entity_uid is None:
        return None
    kind, key = split_uid(entity_uid)
    return present.key(kind, key)


def member_table(network: Network, present: Presenter, lang: str) -> Table:
    """One row per member: what it is, its role and score, and the evidence behind them."""
    rows = []
    for m in network.members:
        evidence = m.evidence or {}
        rows.append(present.text([
            kind_name(m.kind, lang), present.key(m.kind, m.key),
            present.refs.encode(f"{m.kind}:{m.key}"), m.role, role_name(m.role, lang),
            m.score, evidence.get("ring_bookings"), evidence.get("role_reason"),
            "; ".join(f"{s.name}={s.value:g}" for s in m.signals),
            " ".join(str(r) for r in evidence.get("registrations") or []),
        ]))
    return _headers(MEMBER_COLUMNS, lang), rows


def registration_table(bookings: Sequence[Booking], present: Presenter, lang: str) -> Table:
    """One row per registration behind the network, with the entities it names."""
    rows = []
    for b in bookings:
        props = present.registration(b.props)
        row = [props.get(c) for c in REGISTRATION_COLUMNS if c not in _LINKED
               and c not in ("source_file", "source_line")]
        row += [_shown_key(present, b.linked(rel)) for rel in _LINKED.values()]
        row += [props.get("source_file"), props.get("source_line")]
        rows.append(row)
    order = [c for c in REGISTRATION_COLUMNS if c not in _LINKED
             and c not in ("source_file", "source_line")] + list(_LINKED) + [
        "source_file", "source_line"]
    columns = {c: REGISTRATION_COLUMNS[c] for c in order}
    return _headers(columns, lang), rows


def _inert(value: Any) -> Any:
    """A cell value no spreadsheet runs as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(table: Table) -> bytes:
    headers, rows = table
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows([_inert(v) for v in row] for row in rows)
    return out.getvalue().encode("utf-8-sig")


def _cells(sheet: Any, values: Iterable[Any], bold: bool = False) -> list[WriteOnlyCell]:
    cells = []
    for value in values:
        if isinstance(value, str):
            cell = WriteOnlyCell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
            cell.data_type = "s"  # text stays text, even when it starts with '='
        else:
            cell = WriteOnlyCell(sheet, value=value)
        if bold:
            cell.font = Font(bold=True)
        cells.append(cell)
    return cells


def to_xlsx(table: Table, title: str) -> bytes:
    headers, rows = table
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    sheet.freeze_panes = "A2"
    sheet.append(_cells(sheet, headers, bold=True))
    for row in rows:
        sheet.append(_cells(sheet, row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
