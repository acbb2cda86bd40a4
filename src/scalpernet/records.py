"""The registration record: one hospital booking as exported, parsed, validated and keyed.

Hospitals export bookings with Chinese or English headers, local times without offsets,
Chinese status words and fees written as "¥1,200元". This module holds every rule a row is
judged by, once: the per-value parsers below (datetimes, status, fee, channel) and, for
identifiers, :mod:`scalpernet.identifiers`. :mod:`scalpernet.ingest.rows` applies them to
whole columns of a batch.

Rules investigators can rely on:

* Datetimes are ISO 8601, ``YYYY-MM-DD HH:MM:SS[.fff]`` or ``YYYY/MM/DD ...``; a value without
  offset is China Standard Time (+08:00); a value with another offset is converted (same
  instant), microseconds kept.
* Invalid ID numbers, virtual phones, junk names and unusable IP text are evidence: they are
  kept and listed in ``flags``, never a quarantine reason.
* A control character (NUL, an ANSI escape's ESC, any C0/C1 control or DEL) in a key field
  is corruption; in any other field too, except tab and line breaks in free text. Such a row
  is quarantined (``control_characters:<field>``), never stored with the bytes stripped:
  stripping would hide the corruption from whoever fixes the export.
* Unknown extra columns are kept in ``extra``.
* Patient key: ``<ID card key>|<name>``, the name NFKC-normalised with whitespace and
  invisible characters removed (:func:`scalpernet.identifiers.normalise_name`): one person as
  the export names them; two names on one ID number are two patients on one ID card.
* Registration key: ``<hospital>|<registration_id>``, both trimmed.
* ``content_hash``: BLAKE2b-128 over the normalised content (not the source file or line), so
  the same booking exported twice hashes equal and a changed booking does not.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import Final

#: China Standard Time: the zone of a datetime written without an offset.
CST: Final = timezone(timedelta(hours=8))

_CST_OFFSET: Final = timedelta(hours=8)
_fromisoformat = datetime.fromisoformat

#: Canonical field names in contract order (shared/contracts.md §1).
FIELDS: Final[tuple[str, ...]] = (
    "registration_id", "hospital", "department", "doctor", "slot_time", "released_at",
    "booked_at", "paid_at", "status", "cancelled_at", "fee_yuan", "patient_name", "id_number",
    "phone", "visit_card", "account_id", "device_id", "ip", "payer_account", "payer_channel",
    "escort_agent_id", "escort_agent_name", "escort_agent_phone",
)
FIELD_SET: Final = frozenset(FIELDS)
REQUIRED: Final[tuple[str, ...]] = (
    "registration_id", "hospital", "department", "doctor", "slot_time", "booked_at", "status",
    "patient_name", "id_number",
)
DATETIME_FIELDS: Final[tuple[str, ...]] = (
    "slot_time", "released_at", "booked_at", "paid_at", "cancelled_at",
)
#: Fields that become graph keys: a control character there is corruption, not data.
KEY_FIELDS: Final[tuple[str, ...]] = (
    "registration_id", "hospital", "patient_name", "id_number", "phone", "visit_card",
    "account_id", "device_id", "ip", "payer_account", "escort_agent_id", "escort_agent_phone",
)
#: Longest accepted field, in characters; a longer one sends the row to quarantine.
FIELD_CAP: Final = 64 * 1024
#: Plausible years for a booking timestamp; outside them the value is garbage (0001-01-01).
YEAR_RANGE: Final = (1970, 2100)

#: Header aliases (normalised with :func:`normalise_header`) to canonical names.
ALIASES: Final[dict[str, tuple[str, ...]]] = {
    "registration_id": ("挂号单号", "流水号", "挂号流水号", "挂号编号", "挂号id", "预约单号",
                        "预约编号", "registration", "reg_id", "registration_no"),
    "hospital": ("医院", "医院名称", "医院编码", "医院代码", "医院编号", "hospital_code",
                 "hospital_name"),
    "department": ("科室", "科室名称", "就诊科室", "挂号科室", "dept"),
    "doctor": ("医生", "医生姓名", "医生编号", "医生工号", "医师", "doctor_name", "doctor_id"),
    "slot_time": ("就诊时间", "就诊时段", "号源时间", "appointment_time", "slot"),
    "released_at": ("放号时间", "号源释放时间", "release_time"),
    "booked_at": ("下单时间", "挂号时间", "预约提交时间", "提交时间", "booking_time"),
    "paid_at": ("支付时间", "付款时间", "缴费时间", "payment_time"),
    "status": ("状态", "挂号状态", "预约状态", "订单状态"),
    "cancelled_at": ("取消时间", "退号时间", "canceled_at", "cancel_time"),
    "fee_yuan": ("金额", "挂号费", "费用", "挂号金额", "支付金额", "fee", "amount"),
    "patient_name": ("患者姓名", "姓名", "病人姓名", "就诊人", "就诊人姓名", "name",
                     "patient"),
    "id_number": ("身份证号", "身份证号码", "身份证", "证件号", "证件号码", "患者身份证号",
                  "id_card", "idcard", "id_no"),
    "phone": ("手机号", "联系电话", "手机号码", "手机", "电话", "联系方式", "mobile",
              "phone_number"),
    "visit_card": ("就诊卡号", "就诊卡", "诊疗卡号", "医保卡号", "card_no"),
    "account_id": ("账号", "用户id", "用户账号", "账户", "app账号", "account", "user_id"),
    "device_id": ("设备号", "设备id", "设备指纹", "设备编号", "device"),
    "ip": ("ip地址", "客户端ip", "来源ip", "ip_address", "client_ip"),
    "payer_account": ("支付账号", "付款账号", "支付账户", "付款人账号", "payer"),
    "payer_channel": ("支付渠道", "支付方式", "付款方式", "channel", "payment_channel"),
    "escort_agent_id": ("陪诊员编号", "陪诊员id", "陪诊员工号", "agent_id"),
    "escort_agent_name": ("陪诊员姓名", "陪诊员", "agent_name"),
    "escort_agent_phone": ("陪诊员电话", "陪诊员手机", "陪诊员手机号", "agent_phone"),
}

_STATUS_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "booked": ("booked", "book", "booking", "reserved", "confirmed", "success", "paid",
               "已预约", "已挂号", "预约成功", "挂号成功", "已支付", "待就诊"),
    "cancelled": ("cancelled", "canceled", "cancel", "refunded", "已取消", "取消", "已退号",
                  "退号", "取消预约"),
    "attended": ("attended", "visited", "completed", "done", "已就诊", "已到诊", "已完成",
                 "已签到", "就诊完成"),
    "no_show": ("no_show", "noshow", "missed", "absent", "爽约", "未就诊", "未到诊", "失约",
                "过期未就诊"),
}
#: Status text (casefolded, separators as ``_``) to the contract vocabulary.
STATUSES: Final[dict[str, str]] = {
    word: status for status, words in _STATUS_WORDS.items() for word in words
}

_CHANNEL_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "alipay": ("alipay", "支付宝", "zfb"),
    "wechat": ("wechat", "wechatpay", "wechat_pay", "weixin", "wx", "微信", "微信支付"),
    "unionpay": ("unionpay", "union_pay", "银联", "云闪付", "银行卡"),
    "other": ("other", "其他", "其它"),
}
CHANNELS: Final[dict[str, str]] = {
    word: channel for channel, words in _CHANNEL_WORDS.items() for word in words
}

_SEPARATORS = re.compile(r"[\s\-]+")
#: C0/C1 controls and DEL; tab, CR and LF included: none belongs inside a key.
KEY_CONTROL: Final = "[\x00-\x1f\x7f-\x9f]"
#: The same without tab and line breaks, which free text (a department's name) may hold.
TEXT_CONTROL: Final = "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]"
_FEE_NOISE = re.compile(r"[\s,，¥￥元]|rmb|cny", re.IGNORECASE)
_FEE = re.compile(r"\d{1,9}(?:\.\d{1,4})?")
_LOOSE_DATETIME = re.compile(
    r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?"
    r"(?:[ T]+(\d{1,2})[:时](\d{1,2})(?:[:分](\d{1,2})(?:[.,](\d{1,6}))?)?秒?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?"
)


class RecordError(ValueError):
    """A row that cannot be used: ``code`` is the stable quarantine reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def normalise_header(header: str) -> str:
    """Header text as compared with aliases: NFKC, trimmed, casefolded, ``-``/spaces → ``_``."""
    text = unicodedata.normalize("NFKC", header).replace("\ufeff", "").strip().casefold()
    return _SEPARATORS.sub("_", text)


def canonical_field(header: str) -> str | None:
    """The canonical field a header names (canonical name or alias), or ``None``."""
    return _HEADER_INDEX.get(normalise_header(header))


_HEADER_INDEX: Final[dict[str, str]] = {
    **{normalise_header(a): f for f, aliases in ALIASES.items() for a in aliases},
    **{f: f for f in FIELDS},
}


def parse_datetime(text: str) -> datetime:
    """An aware datetime in +08:00 from export text; ``ValueError`` when unusable."""
    try:
        # Most values carry no offset: appending it is ~5x cheaper than .replace(tzinfo=).
        # A date alone would read "+" as the date/time separator, hence the tzinfo test.
        value = _fromisoformat(text + "+08:00")
        if value.tzinfo is None:
            raise ValueError(text)
    except ValueError:
        try:
            value = _fromisoformat(text)
        except ValueError:
            value = _parse_loose(text)
        if value.tzinfo is None:
            value = value.replace(tzinfo=CST)
        elif value.utcoffset() != _CST_OFFSET:
            value = value.astimezone(CST)
    if not YEAR_RANGE[0] <= value.year <= YEAR_RANGE[1]:
        raise ValueError(f"year {value.year} outside {YEAR_RANGE}")
    return value


def _parse_loose(text: str) -> datetime:
    """``2025/3/5 8:00``, ``2025年3月5日 08:00:00``, ``2025.03.05``: what Excel leaves behind."""
    m = _LOOSE_DATETIME.fullmatch(text.strip())
    if m is None:
        raise ValueError(f"not a datetime: {text[:40]!r}")
    y, mo, d, h, mi, s, frac, off = m.groups()
    micro = int((frac or "0").ljust(6, "0"))
    tz = None
    if off == "Z":
        tz = UTC
    elif off:
        sign = -1 if off[0] == "-" else 1
        digits = off[1:].replace(":", "")
        tz = timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    return datetime(int(y), int(mo), int(d), int(h or 0), int(mi or 0), int(s or 0), micro,
                    tzinfo=tz)


def _status_key(text: str) -> str:
    key = text if text.isascii() else unicodedata.normalize("NFKC", text)
    return _SEPARATORS.sub("_", key.strip().casefold())


def parse_status(text: str) -> str:
    """The contract status for export text; ``ValueError`` when unknown."""
    status = STATUSES.get(_status_key(text))
    if status is None:
        raise ValueError(f"unknown status {text[:40]!r}")
    return status


def parse_fee(text: str) -> Decimal:
    """Yuan as an exact Decimal from ``300``, ``¥1,200.50``, ``300元``; ``ValueError`` else."""
    if _FEE.fullmatch(text):  # the common case, no noise to remove
        return Decimal(text)
    cleaned = _FEE_NOISE.sub("", unicodedata.normalize("NFKC", text))
    if not _FEE.fullmatch(cleaned):
        raise ValueError(f"not a fee: {text[:40]!r}")
    return Decimal(cleaned)


def parse_channel(text: str) -> str | None:
    """alipay / wechat / unionpay / other, or ``None`` when the text names no known channel."""
    key = text if text.isascii() else unicodedata.normalize("NFKC", text)
    return CHANNELS.get(_SEPARATORS.sub("_", key.strip().casefold()))




def reason_message(code: str) -> str:
    """The quarantine message of a validation reason code (names fields, never values)."""
    kind, _, name = code.partition(":")
    if kind == "field_too_large":
        return f"field {name!r} has more than {FIELD_CAP} characters"
    if kind == "control_characters":
        return f"a control character in field {name!r}"
    if kind == "missing_required":
        return f"required field {name!r} is empty"
    if kind == "bad_datetime":
        return f"{name!r} is not a usable datetime"
    if kind == "bad_status":
        return "status is not one of booked/cancelled/attended/no_show or a known synonym"
    if kind == "bad_fee":
        return "fee_yuan is not a non-negative amount"
    raise ValueError(code)
