"""A batch of export rows validated and normalised column by column, with pyarrow.

Every rule is the one in :mod:`scalpernet.records` and :mod:`scalpernet.identifiers`: this
module only applies it to whole columns. Checks that need no rule of their own (lengths,
emptiness, control characters, trimming) run as ``pyarrow.compute`` kernels; each rule that
is a Python function (a datetime, an ID number, a phone) runs once per *distinct* value of a
batch's column, through a bounded cache kept across batches, and its answers are gathered
back to the rows. Real exports repeat the same slot times, IPs, phones and ID numbers many
times over: that repetition is what makes this fast.

:func:`validate` turns a :class:`TextBatch` into the batch's valid rows, a ``pyarrow.Table``
of :data:`ROW_SCHEMA` (the one shape the dry run counts, the transactional writer sends and
the bulk writer writes), and the positions, codes and messages of the rows to quarantine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from hashlib import blake2b
from typing import Any, Final

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from scalpernet.identifiers import (
    NO_BIRTH_DATE,
    PLAIN_REASONS,
    IdCard,
    judge_plain,
    junk_name_reason,
    normalise_name,
    parse_id_cards,
    parse_ip,
    parse_phone,
)
from scalpernet.identifiers.ip import IPV4_RANGES
from scalpernet.records import (
    DATETIME_FIELDS,
    FIELD_CAP,
    FIELDS,
    KEY_CONTROL,
    KEY_FIELDS,
    REQUIRED,
    TEXT_CONTROL,
    YEAR_RANGE,
    RecordError,
    parse_channel,
    parse_datetime,
    parse_fee,
    parse_status,
    reason_message,
)

#: Distinct values remembered per rule across batches (hot IPs, scalper IDs, slot times).
CACHE_SIZE: Final = 1 << 16
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_US: Final = timedelta(microseconds=1)

#: The shape of valid rows (one registration each, identifiers keyed).
ROW_SCHEMA: Final = pa.schema([
    ("key", pa.string()), ("registration_id", pa.string()), ("hospital", pa.string()),
    ("department", pa.string()), ("doctor", pa.string()),
    ("slot_time", pa.int64()), ("released_at", pa.int64()), ("booked_at", pa.int64()),
    ("paid_at", pa.int64()), ("cancelled_at", pa.int64()), ("last_event", pa.int64()),
    ("latency_ms", pa.int64()), ("status", pa.string()), ("fee_yuan", pa.string()),
    ("patient", pa.string()), ("patient_name", pa.string()), ("junk_reason", pa.string()),
    ("id_card", pa.string()), ("id_valid", pa.bool_()), ("id_reason", pa.string()),
    ("id_birth_date", pa.date32()), ("id_sex", pa.string()), ("id_region", pa.string()),
    ("phone", pa.string()), ("phone_kind", pa.string()), ("phone_virtual", pa.bool_()),
    ("visit_card", pa.string()), ("account", pa.string()), ("device", pa.string()),
    ("ip", pa.string()), ("ip_version", pa.int64()), ("ip_private", pa.bool_()),
    ("ip_range", pa.string()), ("ip_raw", pa.string()),
    ("payer", pa.string()), ("payer_channel", pa.string()),
    ("agent", pa.string()), ("agent_name", pa.string()),
    ("agent_phone", pa.string()), ("agent_phone_kind", pa.string()),
    ("agent_phone_virtual", pa.bool_()),
    ("extra", pa.string()), ("flags", pa.list_(pa.string())), ("content_hash", pa.string()),
    ("source_file", pa.string()), ("source_line", pa.int64()),
])


@dataclass(slots=True)
class TextBatch:
    """Rows of one file as text: ``columns`` in the file's column order (no nulls),
    ``lines`` the physical line each row starts on, ``headers`` the file's column names,
    ``fields`` the column of each of :data:`~scalpernet.records.FIELDS` (``None``: absent),
    ``extra`` the unknown columns as (index, header)."""

    file: str
    lines: np.ndarray
    columns: list[pa.Array]
    headers: tuple[str, ...]
    fields: tuple[int | None, ...]
    extra: tuple[tuple[int, str], ...]

    def __len__(self) -> int:
        return len(self.lines)

    def raw(self, index: int) -> dict[str, Any]:
        """Row ``index`` as read, by the file's own headers (for the quarantine file)."""
        return {h: c[index].as_py() for h, c in zip(self.headers, self.columns, strict=True)}


@dataclass(slots=True)
class Validated:
    """A batch judged: its valid rows, and the rows to quarantine as (index, code, message)."""

    rows: pa.Table
    valid: np.ndarray  # batch index of each valid row
    bad: list[tuple[int, str, str]]


def _facts(column: pa.Array, rule: Callable[[str], tuple[Any, ...]],
           types: Sequence[pa.DataType]) -> list[pa.Array]:
    """``rule`` of every value, computed once per distinct value, one array per output."""
    encoded = pc.dictionary_encode(column)
    answers = list(map(rule, encoded.dictionary.to_pylist()))
    return [pc.take(pa.array([a[i] for a in answers], type=t), encoded.indices)
            for i, t in enumerate(types)]


@lru_cache(maxsize=CACHE_SIZE)
def _time(text: str) -> tuple[int | None, bool]:
    """(microseconds since the epoch or ``None`` when empty, usable)."""
    if not text:
        return None, True
    try:
        return (parse_datetime(text) - _EPOCH) // _US, True
    except ValueError:
        return None, False


#: The forms nearly every export writes, which :func:`_times` reads over whole columns: a
#: date, a space or ``T``, a time, up to six digits of fraction, and ``+08:00`` or nothing.
_PLAIN_FORM: Final = r"^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}:\d{2}(\.\d{1,6})?(\+08:00)?$"
_PLAIN_TIME: Final = "%Y-%m-%d %H:%M:%S"
_CST_US: Final = 8 * 3600 * 1_000_000


def _times(column: pa.Array) -> list[pa.Array]:
    """:func:`_time` of every value: a value in a :data:`_PLAIN_FORM` form whose date and
    time read back as written and whose year :func:`~scalpernet.records.parse_datetime`
    accepts is read by ``pyarrow.compute`` (the instant that rule gives it, in +08:00);
    every other value, doubtful or not in such a form, goes through the rule itself."""
    plain = pc.match_substring_regex(column, _PLAIN_FORM)
    if not pc.any(plain).as_py():
        return _facts(column, _time, (pa.int64(), pa.bool_()))
    head = pc.replace_substring(pc.utf8_slice_codeunits(column, 0, 19), "T", " ")
    parsed = pc.strptime(head, format=_PLAIN_TIME, unit="s", error_is_null=True)
    year = pc.year(parsed)
    plain = pc.fill_null(pc.and_(plain, pc.and_(
        pc.equal(pc.strftime(parsed, format=_PLAIN_TIME), head),
        pc.and_(pc.greater_equal(year, YEAR_RANGE[0]), pc.less_equal(year, YEAR_RANGE[1])))),
        False)
    fraction = pc.struct_field(pc.extract_regex(column, r"^.{19}\.(?P<f>\d{1,6})"), [0])
    fraction = pc.fill_null(pc.cast(pc.utf8_rpad(fraction, 6, "0"), pa.int64()), 0)
    micros = pc.add(pc.subtract(pc.multiply(pc.cast(parsed, pa.int64()), 1_000_000), _CST_US),
                    fraction)
    value, usable = _facts(pc.if_else(plain, "", column), _time, (pa.int64(), pa.bool_()))
    return [pc.if_else(plain, micros, value), pc.or_(plain, usable)]


@lru_cache(maxsize=1 << 10)
def _status(text: str) -> tuple[str | None]:
    try:
        return (parse_status(text),)
    except ValueError:
        return (None,)


@lru_cache(maxsize=1 << 10)
def _fee(text: str) -> tuple[str | None, bool]:
    if not text:
        return None, True
    try:
        return str(parse_fee(text)), True
    except ValueError:
        return None, False


@lru_cache(maxsize=1 << 10)
def _channel(text: str) -> tuple[str | None, str | None]:
    """(channel, the text kept in ``extra`` when it names no known channel)."""
    if not text:
        return None, None
    channel = parse_channel(text)
    return (channel, None) if channel is not None else ("other", text)


_CARD_TYPES: Final = (pa.string(), pa.bool_(), pa.string(), pa.date32(), pa.string(),
                      pa.string(), pa.string(), pa.string())


def _card_facts(card: IdCard) -> tuple[Any, ...]:
    """ID card key, valid, reason, birth date, sex, region, and its two flags."""
    return (card.key, card.valid, card.reason, card.birth_date, card.sex, card.region,
            None if card.reason is None else f"invalid_id:{card.reason}",
            "legacy_id" if card.legacy else None)


#: A plain ID number: 17 ASCII digits and a digit or ``X``, keyed as written.
_PLAIN_ID: Final = r"^[0-9]{17}[0-9X]$"
_PLAIN_REASONS: Final = pa.array(PLAIN_REASONS, pa.string())
_PLAIN_FLAGS: Final = pa.array([r and f"invalid_id:{r}" for r in PLAIN_REASONS], pa.string())


def _cards(column: pa.Array, today: date) -> list[pa.Array]:
    """:func:`_card` of every value; plain numbers are judged together
    (:func:`~scalpernet.identifiers.idcard.judge_plain`, the rule's own plain case)."""
    plain = pc.match_substring_regex(column, _PLAIN_ID)
    encoded = pc.dictionary_encode(pc.if_else(plain, "", column))
    answers = [_card_facts(c) for c in parse_id_cards(encoded.dictionary.to_pylist(),
                                                      today=today)]
    facts = [pc.take(pa.array([a[i] for a in answers], type=t), encoded.indices)
             for i, t in enumerate(_CARD_TYPES)]
    if not pc.any(plain).as_py():
        return facts
    padded = pc.if_else(plain, column, "0" * 18)  # one 18-byte number a row
    codes = np.frombuffer(padded.buffers()[2], np.uint8, count=18 * len(padded))
    reason, days, male = judge_plain(codes.reshape(-1, 18), today)
    code = pa.array(reason)
    fast = [column, pa.array(reason == 0), pc.take(_PLAIN_REASONS, code),
            pa.array(days.astype(np.int32), pa.int32(),
                     mask=days == NO_BIRTH_DATE).view(pa.date32()),
            pc.take(pa.array(["F", "M"]), pa.array(male.astype(np.int8))),
            pc.if_else(pa.array(reason != 1), pc.utf8_slice_codeunits(column, 0, 6),
                       pa.scalar(None, pa.string())),
            pc.take(_PLAIN_FLAGS, code), pa.nulls(len(column), pa.string())]
    return [pc.if_else(plain, f, s) for f, s in zip(fast, facts, strict=True)]


@lru_cache(maxsize=CACHE_SIZE)
def _name(text: str) -> tuple[str, str | None, str | None]:
    """(name key, junk reason, junk flag)."""
    junk = junk_name_reason(text)
    return normalise_name(text), junk, None if junk is None else f"junk_name:{junk}"


_PHONE_TYPES: Final = (pa.string(), pa.string(), pa.bool_(), pa.string())


@lru_cache(maxsize=CACHE_SIZE)
def _phone(text: str, prefix: str) -> tuple[str | None, str | None, bool | None, str | None]:
    """(key, kind, virtual, flag); no key when the text holds no usable number."""
    if not text:
        return None, None, None, None
    phone = parse_phone(text)
    if not phone.key:
        return None, None, None, f"{prefix}bad_phone"
    flag = (f"{prefix}virtual_phone" if phone.virtual
            else f"{prefix}unknown_phone" if phone.kind == "unknown" else None)
    return phone.key, phone.kind, phone.virtual, flag


#: A plain mobile number, eleven ASCII digits: :func:`~scalpernet.identifiers.parse_phone`
#: keys it as written and judges it by its first three digits (its segment).
_PLAIN_MOBILE: Final = r"^1[3-9][0-9]{9}$"


def _phones(column: pa.Array, prefix: str) -> list[pa.Array]:
    """:func:`_phone` of every value; plain mobile numbers are judged once per segment."""
    plain = pc.match_substring_regex(column, _PLAIN_MOBILE)
    if pc.any(plain).as_py():
        segment = pc.binary_join_element_wise(pc.utf8_slice_codeunits(column, 0, 3),
                                              "00000000", "")
        facts = _facts(pc.if_else(plain, segment, column), lambda t: _phone(t, prefix),
                       _PHONE_TYPES)
        return [pc.if_else(plain, column, facts[0]), *facts[1:]]
    return _facts(column, lambda t: _phone(t, prefix), _PHONE_TYPES)


_IP_TYPES: Final = (pa.string(), pa.int64(), pa.bool_(), pa.string(), pa.string(),
                    pa.string())


@lru_cache(maxsize=CACHE_SIZE)
def _ip(text: str) -> tuple[Any, ...]:
    """(key, version, private, range, raw text kept when unusable, flag)."""
    if not text:
        return None, None, None, None, None, None
    ip = parse_ip(text)
    if ip is None:
        return None, None, None, None, text, "bad_ip"
    return ip.key, ip.version, ip.private, str(ip.range), None, (
        "private_ip" if ip.private else None)


_OCTET: Final = r"(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])"
#: A plain dotted-quad IPv4 address: :func:`~scalpernet.identifiers.parse_ip` keys it as
#: written and judges it by the first of :data:`~scalpernet.identifiers.ip.IPV4_RANGES`
#: holding its value.
_PLAIN_V4: Final = rf"^({_OCTET}\.){{3}}{_OCTET}$"


def _ips(column: pa.Array) -> list[pa.Array]:
    """:func:`_ip` of every value; plain IPv4 addresses are judged together."""
    plain = pc.match_substring_regex(column, _PLAIN_V4)
    facts = _facts(pc.if_else(plain, "", column), _ip, _IP_TYPES)
    if not pc.any(plain).as_py():
        return facts
    octets = pc.list_flatten(pc.split_pattern(pc.if_else(plain, column, "0.0.0.0"), "."))
    value = pc.cast(octets, pa.int64()).to_numpy().reshape(-1, 4) @ np.array(
        [1 << 24, 1 << 16, 1 << 8, 1])
    ranges = np.full(len(value), "public", dtype=object)
    todo = np.ones(len(value), dtype=bool)
    for start, end, name in IPV4_RANGES:  # first match wins
        hit = todo & (value >= start) & (value <= end)
        ranges[hit], todo = name, todo & ~hit
    private = pa.array(~np.isin(ranges, ["public", "documentation"]))
    fast = [column, pa.array(np.full(len(value), 4)), private, pa.array(ranges, pa.string()),
            pa.nulls(len(value), pa.string()),
            pc.if_else(private, "private_ip", pa.scalar(None, pa.string()))]
    return [pc.if_else(plain, f, s) for f, s in zip(fast, facts, strict=True)]


def _strip(column: pa.Array) -> pa.Array:
    return pc.utf8_trim_whitespace(column)


def _nonempty(column: pa.Array) -> pa.Array:
    """Empty text as null: an absent optional value."""
    return pc.if_else(pc.equal(column, ""), pa.scalar(None, pa.string()), column)


def _may_hold_control(column: pa.Array) -> bool:
    """Whether a value may hold a control character: a byte below 0x20, DEL, or the UTF-8
    of a C1 control (0xC2 0x80-0x9F). A scan of the bytes costs far less than the pattern,
    which runs only then."""
    data = column.buffers()[2]
    if data is None:
        return False
    raw = np.frombuffer(data, np.uint8)
    if (raw < 0x20).any() or (raw == 0x7F).any():
        return True
    after = raw[np.flatnonzero(raw[:-1] == 0xC2) + 1]
    return bool(((after >= 0x80) & (after <= 0x9F)).any())


def _first_reasons(n: int, checks: list[tuple[pa.Array, str]]) -> pa.Array:
    """Per row the first code (in ``checks`` order) whose mask is true; null when none."""
    reason = pa.nulls(n, pa.string())
    for mask, code in reversed(checks):
        reason = pc.if_else(mask, pa.scalar(code), reason)
    return reason


def validate(batch: TextBatch, today: date) -> Validated:
    """Judge every row of ``batch``; see the module docstring."""
    n = len(batch)
    empty = pa.array([""] * n, pa.string()) if any(i is None for i in batch.fields) else None
    raw = {f: batch.columns[i] if i is not None else empty
           for f, i in zip(FIELDS, batch.fields, strict=True)}
    extras = [(name, batch.columns[i]) for i, name in batch.extra]
    text = {f: _strip(c) for f, c in raw.items()}

    checks: list[tuple[pa.Array, str]] = []
    for name, column in (*raw.items(), *extras):
        if (pc.max(pc.utf8_length(column)).as_py() or 0) > FIELD_CAP:
            checks.append((pc.greater(pc.utf8_length(column), FIELD_CAP),
                           f"field_too_large:{name}"))
    for name, column, pattern in (
            *((f, text[f], KEY_CONTROL) for f in KEY_FIELDS),
            *((f, text[f], TEXT_CONTROL) for f in FIELDS if f not in KEY_FIELDS),
            *((name, column, TEXT_CONTROL) for name, column in extras)):
        if _may_hold_control(column):
            mask = pc.match_substring_regex(column, pattern)
            if pc.any(mask).as_py():
                checks.append((mask, f"control_characters:{name}"))
    for name in REQUIRED:
        checks.append((pc.equal(text[name], ""), f"missing_required:{name}"))
    times: dict[str, pa.Array] = {}
    for name in DATETIME_FIELDS:
        times[name], usable = _times(text[name])
        checks.append((pc.invert(usable), f"bad_datetime:{name}"))
    (status,) = _facts(text["status"], _status, (pa.string(),))
    checks.append((pc.is_null(status), "bad_status"))
    fee, fee_usable = _facts(text["fee_yuan"], _fee, (pa.string(), pa.bool_()))
    checks.append((pc.invert(fee_usable), "bad_fee"))

    reason = _first_reasons(n, checks)
    good = pc.is_null(reason)
    bad_at = np.flatnonzero(~good.to_numpy(zero_copy_only=False))
    bad = []
    for index, code in zip(bad_at.tolist(), pc.take(reason, bad_at).to_pylist(), strict=True):
        message = reason_message(code)
        bad.append((index, code.split(":", 1)[0] if code.startswith("field_too") else code,
                    message))
    valid = np.flatnonzero(good.to_numpy(zero_copy_only=False))
    if len(valid) < n:
        take = pa.array(valid)
        text = {f: pc.take(c, take) for f, c in text.items()}
        times = {f: pc.take(c, take) for f, c in times.items()}
        status, fee = pc.take(status, take), pc.take(fee, take)
        extras = [(name, pc.take(c, take)) for name, c in extras]
    rows = _normalise(text, times, status, fee, extras, today, batch.file,
                      batch.lines[valid])
    return Validated(rows, valid, bad)


def _normalise(text: dict[str, pa.Array], times: dict[str, pa.Array], status: pa.Array,
               fee: pa.Array, extras: list[tuple[str, pa.Array]], today: date, file: str,
               lines: np.ndarray) -> pa.Table:
    """The valid rows of a batch in :data:`ROW_SCHEMA`."""
    n = len(lines)
    card = _cards(text["id_number"], today)
    name_key, junk, junk_flag = _facts(text["patient_name"], _name,
                                       (pa.string(), pa.string(), pa.string()))
    phone = _phones(text["phone"], "")
    agent_phone = _phones(text["escort_agent_phone"], "agent_")
    ip = _ips(text["ip"])
    channel, channel_given = _facts(text["payer_channel"], _channel,
                                    (pa.string(), pa.string()))

    booked = times["booked_at"].to_numpy(zero_copy_only=False)
    released = times["released_at"]
    no_release = released.is_null().to_numpy(zero_copy_only=False)
    delta = (booked - pc.fill_null(released, 0).to_numpy(zero_copy_only=False)) // 1000
    latency = pa.array(delta, pa.int64(), mask=no_release)
    early = pa.array(np.where((delta < 0) & ~no_release, "booked_before_release", None),
                     pa.string())
    last_event = pc.max_element_wise(times["booked_at"], times["paid_at"],
                                     times["cancelled_at"], skip_nulls=True)

    flags = _flags(n, [card[6], card[7], junk_flag, phone[3], agent_phone[3], ip[5], early])
    extra = _extra(n, extras, channel_given)
    stamp = {f: pc.fill_null(pc.cast(c, pa.string()), "") for f, c in times.items()}
    parts = [text["registration_id"], text["hospital"], text["department"], text["doctor"],
             stamp["slot_time"], stamp["released_at"], stamp["booked_at"], stamp["paid_at"],
             status, stamp["cancelled_at"], fee, name_key, card[0], phone[0],
             text["visit_card"], text["account_id"], text["device_id"],
             pc.coalesce(ip[0], ip[4]), text["payer_account"], channel,
             text["escort_agent_id"], text["escort_agent_name"], agent_phone[0], extra]
    joined = pc.binary_join_element_wise(*(pc.cast(p, pa.string()) for p in parts), "\x1f",
                                         null_handling="replace", null_replacement="")
    content_hash = pa.array([blake2b(b, digest_size=16).hexdigest()
                             for b in pc.cast(joined, pa.binary()).to_pylist()], pa.string())
    key = pc.binary_join_element_wise(text["hospital"], text["registration_id"], "|")
    patient = pc.binary_join_element_wise(card[0], name_key, "|")
    columns = [
        key, text["registration_id"], text["hospital"], text["department"], text["doctor"],
        times["slot_time"], times["released_at"], times["booked_at"], times["paid_at"],
        times["cancelled_at"], last_event, latency, status, fee,
        patient, text["patient_name"], junk, *card[:6],
        *phone[:3], _nonempty(text["visit_card"]), _nonempty(text["account_id"]),
        _nonempty(text["device_id"]), *ip[:5], _nonempty(text["payer_account"]), channel,
        _nonempty(text["escort_agent_id"]), _nonempty(text["escort_agent_name"]),
        *agent_phone[:3], extra, flags, content_hash,
        pa.array([file] * n, pa.string()), pa.array(lines, pa.int64()),
    ]
    return pa.Table.from_arrays(columns, schema=ROW_SCHEMA)


def _flags(n: int, columns: list[pa.Array]) -> pa.Array:
    """Each row's flags, sorted (a row may have none)."""
    present = [c for c in columns if c.null_count < len(c)]
    if not present:
        return pa.array([[]] * n, pa.list_(pa.string()))
    values = pa.concat_arrays(present)
    given = pc.is_valid(values)
    flags = pa.table({"row": pa.array(np.tile(np.arange(n), len(present))).filter(given),
                      "flag": values.filter(given)}).sort_by([("row", "ascending"),
                                                              ("flag", "ascending")])
    offsets = np.zeros(n + 1, np.int32)
    np.cumsum(np.bincount(flags.column("row").to_numpy(), minlength=n), out=offsets[1:])
    return pa.ListArray.from_arrays(pa.array(offsets), flags.column("flag").combine_chunks())


def _extra(n: int, extras: list[tuple[str, pa.Array]], channel_given: pa.Array) -> pa.Array:
    """Unknown columns (trimmed, empty ones dropped) as sorted JSON text; null when none."""
    columns = [(name, _strip(c).to_pylist()) for name, c in extras]
    if channel_given.null_count < len(channel_given):
        columns.append(("payer_channel_as_given", channel_given.to_pylist()))
    if not columns:
        return pa.nulls(n, pa.string())
    out: list[str | None] = []
    for i in range(n):
        values = {name: v[i] for name, v in columns if v[i]}
        out.append(orjson.dumps(values, option=orjson.OPT_SORT_KEYS).decode()
                   if values else None)
    return pa.array(out, pa.string())


def iso(column: pa.Array) -> pa.Array:
    """Microseconds since the epoch as ISO 8601 text in +08:00 (how Neo4j is sent them);
    formatted as local times, faster than through the zone."""
    local = pc.cast(pc.add(column, _CST_US), pa.timestamp("us"))
    return pc.binary_join_element_wise(pc.strftime(local, format="%Y-%m-%dT%H:%M:%S"),
                                       pa.scalar("+08:00"), "")


def parse_row(values: dict[str, str], *, source_file: str = "", source_line: int = 0,
              today: date | None = None) -> dict[str, Any]:
    """One row given as ``{field or unknown header: text}``, validated alone: its row of
    :data:`ROW_SCHEMA`, or :class:`~scalpernet.records.RecordError` with the reason."""
    headers = tuple(values)
    fields = tuple(headers.index(f) if f in values else None for f in FIELDS)
    extra = tuple((i, h) for i, h in enumerate(headers) if h not in FIELDS)
    batch = TextBatch(source_file, np.array([source_line], np.int64),
                      [pa.array([v], pa.string()) for v in values.values()], headers, fields,
                      extra)
    checked = validate(batch, today or date.today())
    if checked.bad:
        _, code, message = checked.bad[0]
        raise RecordError(code, message)
    return checked.rows.to_pylist()[0]  # type: ignore[no-any-return]
