"""Column-at-a-time validation of a batch of rows: the fast path of every ingestion run.

:func:`~scalpernet.records.parse_fields` validates one row and is the reference.
:func:`parse_columns` gives, for every row of a batch, exactly what ``parse_fields`` gives
(the same :class:`~scalpernet.records.Record`, or the same
:class:`~scalpernet.records.RecordError` code and message), at a fraction of the cost: each
check runs once over a whole column, mostly in C (``map`` over ``str.strip``, dictionary
lookups, bounded caches of the keying functions), and repeated texts are keyed once.

It only decides the rows it is certain about. A row that fails or is unsure on any check (a
field too large, a control character in a key, an empty required field, a datetime, status,
fee or channel the direct lookups do not know) goes whole to ``parse_fields``, so every
quarantine reason, message and unusual spelling is decided in one place. Tests compare both
paths on messy fixtures and generated rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from hashlib import blake2b
from itertools import repeat
from operator import itemgetter
from typing import Final

from scalpernet.identifiers import (
    IdCard,
    Ip,
    Phone,
    normalise_name,
    parse_id_card,
    parse_ip,
    parse_phone,
)
from scalpernet.identifiers.names import junk_reason_of_key
from scalpernet.records import (
    _CACHE_SIZE,
    _CONTROL,
    CHANNELS,
    FIELD_CAP,
    FIELDS,
    KEY_FIELDS,
    REQUIRED,
    STATUSES,
    Record,
    RecordError,
    _stamp,
    parse_datetime,
    parse_fee,
    parse_fields,
)

_KEY_POS: Final = tuple(FIELDS.index(f) for f in KEY_FIELDS)
_REQUIRED_POS: Final = tuple(FIELDS.index(f) for f in REQUIRED)
_MS: Final = timedelta(milliseconds=1)


class _Unsure:
    """Marks a value the fast path leaves to ``parse_fields``."""

    __slots__ = ()


_UNSURE: Final = _Unsure()

_Stamped = tuple[datetime | None, str]


def _stamped(text: str) -> _Stamped | _Unsure:
    """(datetime, content-hash stamp) for a datetime field; ``(None, "")`` when empty."""
    if not text:
        return None, ""
    try:
        value = parse_datetime(text)
    except ValueError:
        return _UNSURE
    return value, _stamp(value)


# Slot and release times repeat (a slot is booked by many): keyed once per distinct text
_slot_stamped = lru_cache(maxsize=1 << 12)(_stamped)


@lru_cache(maxsize=1 << 10)
def _fee_text(text: str) -> tuple[Decimal | None, str] | _Unsure:
    """(fee, its text in the content hash); ``(None, "")`` when empty."""
    if not text:
        return None, ""
    try:
        fee = parse_fee(text)
    except ValueError:
        return _UNSURE
    return fee, str(fee)


@lru_cache(maxsize=_CACHE_SIZE)
def _card_facts(raw: str, today: date) -> tuple[IdCard, str | None, str | None]:
    """The keyed ID card and its flags (``invalid_id:<reason>``, ``legacy_id``)."""
    card = parse_id_card(raw, today=today)
    invalid = None if card.reason is None else f"invalid_id:{card.reason}"
    return card, invalid, "legacy_id" if card.legacy else None


@lru_cache(maxsize=_CACHE_SIZE)
def _name_facts(raw: str) -> tuple[str, str | None, str | None]:
    """(name key, junk reason, junk flag)."""
    key = normalise_name(raw)
    junk = junk_reason_of_key(key)
    return key, junk, None if junk is None else f"junk_name:{junk}"


def _phone_facts(raw: str, prefix: str) -> tuple[Phone | None, str, str | None]:
    """(phone or ``None``, key text in the content hash, flag) as ``parse_fields`` keys it."""
    if not raw:
        return None, "", None
    phone = parse_phone(raw)
    if not phone.key:
        return None, "", f"{prefix}bad_phone"
    if phone.virtual:
        return phone, phone.key, f"{prefix}virtual_phone"
    if phone.kind == "unknown":
        return phone, phone.key, f"{prefix}unknown_phone"
    return phone, phone.key, None


_patient_phone = lru_cache(maxsize=_CACHE_SIZE)(lambda raw: _phone_facts(raw, ""))
_agent_phone = lru_cache(maxsize=1 << 12)(lambda raw: _phone_facts(raw, "agent_"))


@lru_cache(maxsize=_CACHE_SIZE)
def _ip_facts(raw: str) -> tuple[Ip | None, str | None, str, str | None]:
    """(ip, raw text kept when unusable, key text in the content hash, flag)."""
    if not raw:
        return None, None, "", None
    ip = parse_ip(raw)
    if ip is None:
        return None, raw, raw, "bad_ip"
    return ip, None, ip.key, "private_ip" if ip.private else None


def _rows_where(column: Sequence[object], marker: object) -> list[int]:
    return [i for i, v in enumerate(column) if v is marker]


def parse_columns(
    columns: Sequence[Sequence[str]],
    extras: Sequence[dict[str, str]] | None,
    *,
    source_file: str,
    source_lines: Sequence[int],
    today: date,
) -> list[Record | RecordError]:
    """Validate a batch given as columns in :data:`~scalpernet.records.FIELDS` order.

    ``columns[f][i]`` is field ``f`` of row ``i``; ``extras[i]`` holds row ``i``'s unknown
    columns (``None``: no row has any). Returns, per row in order, the record
    ``parse_fields`` would return or the :class:`RecordError` it would raise.
    """
    n = len(source_lines)
    if n == 0:
        return []
    unsure: set[int] = set()
    for column in columns:
        if max(map(len, column)) > FIELD_CAP:
            unsure.update(i for i, v in enumerate(column) if len(v) > FIELD_CAP)
    if extras is not None:
        unsure.update(i for i, extra in enumerate(extras)
                      if extra and max(map(len, extra.values())) > FIELD_CAP)
    cols = [list(map(str.strip, column)) for column in columns]
    for pos in _KEY_POS:
        column = cols[pos]
        if _CONTROL.search("".join(column)):
            unsure.update(i for i, v in enumerate(column) if _CONTROL.search(v))
    for pos in _REQUIRED_POS:
        column = cols[pos]
        if not all(column):
            unsure.update(i for i, v in enumerate(column) if not v)
    # checks whose results the records need: unsure values are marked, their rows set aside
    checked = [
        list(map(_slot_stamped, cols[4])), list(map(_slot_stamped, cols[5])),
        list(map(_stamped, cols[6])), list(map(_stamped, cols[7])),
        list(map(_stamped, cols[9])), list(map(_fee_text, cols[10])),
    ]
    for column in checked:
        if _UNSURE in column:
            unsure.update(_rows_where(column, _UNSURE))
    statuses = list(map(STATUSES.get, cols[8]))
    if None in statuses:
        unsure.update(_rows_where(statuses, None))
    channels = list(map(CHANNELS.get, cols[19]))
    if None in channels:
        unsure.update(i for i, (c, s) in enumerate(zip(channels, cols[19], strict=True))
                      if c is None and s)

    if not unsure:
        return _build(cols, checked, statuses, channels, extras, source_file,  # type: ignore[return-value]
                      source_lines, today)
    sure = [i for i in range(n) if i not in unsure]
    records: list[Record] = []
    if sure:
        pick = itemgetter(*sure)
        if len(sure) == 1:
            def take(column: Sequence[object]) -> list[object]:
                return [pick(column)]
        else:
            def take(column: Sequence[object]) -> list[object]:
                return list(pick(column))
        records = _build(
            [take(c) for c in cols], [take(c) for c in checked], take(statuses),  # type: ignore[misc]
            take(channels), None if extras is None else take(extras),  # type: ignore[arg-type]
            source_file, take(source_lines), today)  # type: ignore[arg-type]
    out: list[Record | RecordError] = []
    built = iter(records)
    for i in range(n):
        if i not in unsure:
            out.append(next(built))
            continue
        try:
            out.append(parse_fields([c[i] for c in columns],
                                    {} if extras is None else extras[i],
                                    source_file=source_file, source_line=source_lines[i],
                                    today=today))
        except RecordError as exc:
            out.append(exc)
    return out


def _build(
    cols: list[list[str]],
    checked: list[list[object]],
    statuses: list[str | None],
    channels: list[str | None],
    extras: Sequence[dict[str, str]] | None,
    source_file: str,
    source_lines: Sequence[int],
    today: date,
) -> list[Record]:
    """Records for rows that passed every check (all columns already filtered to them)."""
    (registration_id, hospital, department, doctor, _slot, _released, _booked, _paid,
     _status, _cancelled, _fee, patient_name, id_number, phone_s, visit_card, account_id,
     device_id, ip_s, payer_account, _channel, agent_id, agent_name, agent_phone_s) = cols
    slot, slot_st = zip(*checked[0], strict=True)
    released, released_st = zip(*checked[1], strict=True)
    booked, booked_st = zip(*checked[2], strict=True)
    paid, paid_st = zip(*checked[3], strict=True)
    cancelled, cancelled_st = zip(*checked[4], strict=True)
    fee, fee_st = zip(*checked[5], strict=True)
    card, card_flag, legacy_flag = zip(*map(_card_facts, id_number, repeat(today)),
                                       strict=True)
    name_key, junk, junk_flag = zip(*map(_name_facts, patient_name), strict=True)
    phone, phone_key, phone_flag = zip(*map(_patient_phone, phone_s), strict=True)
    agent_phone, agent_key, agent_flag = zip(*map(_agent_phone, agent_phone_s), strict=True)
    ip, ip_raw, ip_key, ip_flag = zip(*map(_ip_facts, ip_s), strict=True)
    latency = [None if r is None else (b - r) // _MS
               for b, r in zip(booked, released, strict=True)]
    early = [None if ms is None or ms >= 0 else "booked_before_release" for ms in latency]
    flags = [tuple(sorted(filter(None, row))) if any(row) else ()
             for row in zip(card_flag, legacy_flag, junk_flag, phone_flag, agent_flag,
                            ip_flag, early, strict=True)]
    channel_text = [c or "" for c in channels]
    contents = list(map("\x1f".join, zip(
        registration_id, hospital, department, doctor, slot_st, released_st, booked_st,
        paid_st, statuses, cancelled_st, fee_st, name_key, (c.key for c in card), phone_key,
        visit_card, account_id, device_id, ip_key, payer_account, channel_text, agent_id,
        agent_name, agent_key, strict=True)))
    if extras is None:
        kept: list[dict[str, str]] = [{} for _ in contents]
    else:
        kept = [{k: t for k, v in extra.items() if (t := v.strip())} if extra else extra
                for extra in extras]
        for i, extra in enumerate(kept):
            if extra:
                contents[i] += "\x1f" + "\x1f".join(f"{k}={v}" for k, v in sorted(extra.items()))
    hashes = [blake2b(c.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()
              for c in contents]
    return list(map(
        Record, registration_id, hospital, department, doctor, slot, released, booked, paid,
        statuses, cancelled, fee, patient_name, name_key, junk, card, phone,
        [v or None for v in visit_card], [v or None for v in account_id],
        [v or None for v in device_id], ip, ip_raw, [v or None for v in payer_account],
        channels, [v or None for v in agent_id], [v or None for v in agent_name], agent_phone,
        kept, latency, flags, hashes, repeat(source_file), source_lines))
