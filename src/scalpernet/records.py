"""The registration record: one hospital booking as exported, parsed, validated and keyed.

Hospitals export bookings with Chinese or English headers, local times without offsets,
Chinese status words and fees written as "¥1,200元". :func:`parse_record` turns one row
(canonical field names already resolved by the reader) into a :class:`Record` whose
identifiers are keyed for the graph, or raises :class:`RecordError` with a stable reason code
that sends the row to quarantine.

Rules investigators can rely on:

* Datetimes are ISO 8601, ``YYYY-MM-DD HH:MM:SS[.fff]`` or ``YYYY/MM/DD ...``; a value without
  offset is China Standard Time (+08:00). Every datetime is returned aware, in +08:00,
  milliseconds kept; a value with another offset is converted (same instant).
* Invalid ID numbers, virtual phones, junk names and unusable IP text are evidence: they are
  kept and listed in ``flags``, never a quarantine reason.
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from hashlib import blake2b
from operator import itemgetter
from typing import Final

from scalpernet.identifiers import (
    IdCard,
    Ip,
    Phone,
    junk_name_reason,
    normalise_name,
    parse_id_card,
    parse_ip,
    parse_phone,
)

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
# C0/C1 controls and DEL; tab, CR and LF included: none belongs inside a key
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")
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


@dataclass(slots=True)
class Record:
    """One valid registration, normalised; identifiers keyed for the graph."""

    registration_id: str
    hospital: str
    department: str
    doctor: str
    slot_time: datetime
    released_at: datetime | None
    booked_at: datetime
    paid_at: datetime | None
    status: str
    cancelled_at: datetime | None
    fee_yuan: Decimal | None
    patient_name: str
    name_key: str
    junk_reason: str | None
    id_card: IdCard
    phone: Phone | None
    visit_card: str | None
    account_id: str | None
    device_id: str | None
    ip: Ip | None
    ip_raw: str | None
    payer_account: str | None
    payer_channel: str | None
    escort_agent_id: str | None
    escort_agent_name: str | None
    escort_agent_phone: Phone | None
    extra: dict[str, str]
    latency_ms: int | None
    flags: tuple[str, ...]
    content_hash: str
    source_file: str = ""
    source_line: int = 0
    #: Set by the pipeline: an exact repeat of a registration already seen in this run.
    duplicate: bool = field(default=False, compare=False)

    @property
    def key(self) -> str:
        """Registration key ``<hospital>|<registration_id>``."""
        return f"{self.hospital}|{self.registration_id}"

    @property
    def patient_key(self) -> str:
        """Patient key ``<ID card key>|<normalised name>``."""
        return f"{self.id_card.key}|{self.name_key}"


def _stamp(value: datetime | None) -> str:
    """A datetime's wall-clock fields in +08:00 as hex, for the content hash.

    The pickle state bytes (year to microsecond): a format Python keeps stable so that old
    pickles load, and ~8x cheaper than ``isoformat`` on the hot path. Every datetime here is
    in +08:00 (no DST, fold is always 0), so equal stamps are equal instants.
    """
    return "" if value is None else value.__reduce__()[1][0].hex()  # type: ignore[index]


# Caches: real exports repeat the same IPs, phones, ID numbers, names and slot times many
# times over (that repetition is what the graph is about), and keying them is the costliest
# per-row work. Bounded, so memory stays flat however big the export.
_CACHE_SIZE = 1 << 14  # per cache: ~5 MB at most; hot keys (NAT IPs, scalper IDs) stay


@lru_cache(maxsize=_CACHE_SIZE)
def _id_card(raw: str, today: date) -> IdCard:
    return parse_id_card(raw, today=today)


@lru_cache(maxsize=_CACHE_SIZE)
def _name(raw: str) -> tuple[str, str | None]:
    return normalise_name(raw), junk_name_reason(raw)


_ip = lru_cache(maxsize=_CACHE_SIZE)(parse_ip)
_phone_key = lru_cache(maxsize=_CACHE_SIZE)(parse_phone)
_slot_datetime = lru_cache(maxsize=1 << 12)(parse_datetime)
_fee = lru_cache(maxsize=1 << 10)(parse_fee)


def _when(name: str, text: str, parse: Callable[[str], datetime]) -> datetime | None:
    if not text:
        return None
    try:
        return parse(text)
    except ValueError:
        raise RecordError(f"bad_datetime:{name}", f"{name!r} is not a usable datetime") from None


_KEY_INDEXES = itemgetter(*(FIELDS.index(f) for f in KEY_FIELDS))
_REQUIRED_INDEXES = itemgetter(*(FIELDS.index(f) for f in REQUIRED))


def parse_record(
    values: Mapping[str, str],
    *,
    source_file: str = "",
    source_line: int = 0,
    today: date | None = None,
) -> Record:
    """Validate and normalise one row given as ``{field or unknown header: text}``.

    Keys that are not canonical field names are kept in ``extra``. Raises
    :class:`RecordError` for quarantine; see :func:`parse_fields` for the reasons.
    """
    vals = [values.get(f) or "" for f in FIELDS]
    extra = {k: v for k, v in values.items() if k not in FIELD_SET}
    return parse_fields(vals, extra, source_file=source_file, source_line=source_line,
                        today=today)


def parse_fields(
    vals: Sequence[str],
    extra: dict[str, str],
    *,
    source_file: str = "",
    source_line: int = 0,
    today: date | None = None,
) -> Record:
    """Validate and normalise one row given positionally (``vals`` in :data:`FIELDS` order).

    The reference for one row (batches go through :mod:`scalpernet.ingest.columns`).
    ``extra`` holds unknown columns (emptied values are dropped). Reasons, first found wins:
    ``field_too_large``, ``control_characters:<field>``, ``missing_required:<field>``,
    ``bad_datetime:<field>``, ``bad_status``, ``bad_fee``.
    """
    return parse_fields_content(vals, extra, source_file=source_file,
                                source_line=source_line, today=today)[0]


def parse_fields_content(
    vals: Sequence[str],
    extra: dict[str, str],
    *,
    source_file: str = "",
    source_line: int = 0,
    today: date | None = None,
) -> tuple[Record, tuple[str, ...]]:
    """:func:`parse_fields`, and the parts of the normalised content its ``content_hash``
    hashes (the parts joined with ``"\\x1f"``)."""
    if max(map(len, vals)) > FIELD_CAP or (extra and max(map(len, extra.values())) > FIELD_CAP):
        name = next(k for k, v in (*zip(FIELDS, vals, strict=True), *extra.items())
                    if len(v) > FIELD_CAP)
        raise RecordError("field_too_large",
                          f"field {name!r} has more than {FIELD_CAP} characters")
    stripped = list(map(str.strip, vals))
    keys = _KEY_INDEXES(stripped)
    if _CONTROL.search("".join(keys)):
        name = next(f for f, v in zip(KEY_FIELDS, keys, strict=True) if _CONTROL.search(v))
        raise RecordError(f"control_characters:{name}",
                          f"a control character in key field {name!r}")
    if not all(_REQUIRED_INDEXES(stripped)):
        name = next(f for f, v in zip(REQUIRED, _REQUIRED_INDEXES(stripped), strict=True)
                    if not v)
        raise RecordError(f"missing_required:{name}", f"required field {name!r} is empty")
    (registration_id, hospital, department, doctor, slot_s, released_s, booked_s, paid_s,
     status_s, cancelled_s, fee_s, patient_name, id_number, phone_s, visit_card, account_id,
     device_id, ip_s, payer_account, channel_s, agent_id, agent_name, agent_phone_s) = stripped

    slot_time = _when("slot_time", slot_s, _slot_datetime)
    released_at = _when("released_at", released_s, _slot_datetime)
    booked_at = _when("booked_at", booked_s, parse_datetime)
    paid_at = _when("paid_at", paid_s, parse_datetime)
    cancelled_at = _when("cancelled_at", cancelled_s, parse_datetime)
    status = STATUSES.get(status_s) or STATUSES.get(_status_key(status_s))
    if status is None:
        raise RecordError("bad_status", "status is not one of booked/cancelled/attended/"
                          "no_show or a known synonym")
    fee = None
    if fee_s:
        try:
            fee = _fee(fee_s)
        except ValueError:
            raise RecordError("bad_fee", "fee_yuan is not a non-negative amount") from None

    flags: list[str] = []
    id_card = _id_card(id_number, today or date.today())
    if id_card.reason is not None:
        flags.append(f"invalid_id:{id_card.reason}")
    if id_card.legacy:
        flags.append("legacy_id")
    name_key, junk = _name(patient_name)
    if junk is not None:
        flags.append(f"junk_name:{junk}")
    phone = _phone(phone_s, "", flags) if phone_s else None
    agent_phone = _phone(agent_phone_s, "agent_", flags) if agent_phone_s else None

    ip = ip_raw = None
    if ip_s:
        ip = _ip(ip_s)
        if ip is None:
            ip_raw = ip_s
            flags.append("bad_ip")
        elif ip.private:
            flags.append("private_ip")

    if extra:
        extra = {k: t for k, v in extra.items() if (t := v.strip())}
    channel = None
    if channel_s:
        channel = CHANNELS.get(channel_s) or parse_channel(channel_s)
        if channel is None:
            channel = "other"
            extra["payer_channel_as_given"] = channel_s

    latency_ms = None
    if released_at is not None:
        delta = booked_at - released_at  # type: ignore[operator]  # booked_at is required
        latency_ms = delta.days * 86_400_000 + delta.seconds * 1000 + delta.microseconds // 1000
        if latency_ms < 0:
            flags.append("booked_before_release")
    if len(flags) > 1:
        flags.sort()

    content = (
        registration_id, hospital, department, doctor, _stamp(slot_time),
        _stamp(released_at), _stamp(booked_at), _stamp(paid_at), status, _stamp(cancelled_at),
        "" if fee is None else str(fee), name_key, id_card.key,
        "" if phone is None else phone.key, visit_card, account_id, device_id,
        ip.key if ip is not None else ip_s, payer_account, channel or "", agent_id, agent_name,
        "" if agent_phone is None else agent_phone.key,
        *((f"{k}={v}" for k, v in sorted(extra.items())) if extra else ()),
    )
    content_hash = blake2b("\x1f".join(content).encode("utf-8", "surrogatepass"),
                           digest_size=16).hexdigest()
    return Record(
        registration_id, hospital, department, doctor, slot_time,  # type: ignore[arg-type]
        released_at, booked_at, paid_at, status, cancelled_at,  # type: ignore[arg-type]
        fee, patient_name, name_key, junk, id_card, phone, visit_card or None,
        account_id or None, device_id or None, ip, ip_raw, payer_account or None, channel,
        agent_id or None, agent_name or None, agent_phone, extra, latency_ms, tuple(flags),
        content_hash, source_file, source_line,
    ), content


def _phone(raw: str, prefix: str, flags: list[str]) -> Phone | None:
    """Key a phone field and add its flags; ``None`` when there is no usable number."""
    phone = _phone_key(raw)
    if not phone.key:
        flags.append(f"{prefix}bad_phone")
        return None
    if phone.virtual:
        flags.append(f"{prefix}virtual_phone")
    elif phone.kind == "unknown":
        flags.append(f"{prefix}unknown_phone")
    return phone
