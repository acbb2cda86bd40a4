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

:func:`tally_columns` is the dry run's variant: per row only what counting needs (key,
content value, flags), and the common forms of ID numbers, mobile numbers and timestamps
judged for the whole batch with numpy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from hashlib import blake2b
from itertools import compress, repeat
from operator import itemgetter, lt, mul
from typing import Any, Final

import numpy as np

from scalpernet.identifiers import (
    IdCard,
    Ip,
    Phone,
    normalise_name,
    parse_id_card,
    parse_ip,
    parse_phone,
)
from scalpernet.identifiers.idcard import CHECK_CHARS, MIN_BIRTH_YEAR, PROVINCE_CODES, WEIGHTS
from scalpernet.identifiers.names import junk_reason_of_key
from scalpernet.identifiers.phone import VIRTUAL_SEGMENTS
from scalpernet.records import (
    _CACHE_SIZE,
    _CONTROL,
    CHANNELS,
    FIELD_CAP,
    FIELDS,
    KEY_FIELDS,
    REQUIRED,
    STATUSES,
    YEAR_RANGE,
    Record,
    RecordError,
    _stamp,
    parse_datetime,
    parse_fee,
    parse_fields,
    parse_fields_content,
)

_KEY_POS: Final = tuple(FIELDS.index(f) for f in KEY_FIELDS)
#: Payer channel texts: the channel, ``""`` for none given
_CHANNEL_TEXTS: Final = {**CHANNELS, "": ""}
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


class _Memo(dict[Any, Any]):
    """``fn`` of each text (or other key), computed once: ``map(memo.__getitem__, column)``
    finds the texts seen before without a Python call, at about half the cost of an
    ``lru_cache`` (measured); emptied when it holds ``size`` texts."""

    __slots__ = ("fn", "size")

    def __init__(self, fn: Callable[[Any], Any], size: int) -> None:
        super().__init__()
        self.fn, self.size = fn, size

    def __missing__(self, key: Any) -> Any:
        if len(self) >= self.size:
            self.clear()
        value = self[key] = self.fn(key)
        return value


#: The dry run's time number of an empty datetime field: below every time's number
NO_TIME: Final = -1
# a time number's place values: year, month, day, hour, minute, second, microsecond
_TIME_PLACES: Final = (13 * 32 * 24 * 3_600_000_000, 32 * 24 * 3_600_000_000,
                       24 * 3_600_000_000, 3_600_000_000, 60_000_000, 1_000_000, 1)


def time_number(value: datetime | None) -> int:
    """The dry run's stamp of a datetime field: its wall-clock fields (as the content hash
    takes them) as one number that orders as the times do; :data:`NO_TIME` for none."""
    if value is None:
        return NO_TIME
    return sum(map(mul, (value.year, value.month, value.day, value.hour, value.minute,
                         value.second, value.microsecond), _TIME_PLACES))


def _number_only(text: str) -> int | _Unsure:
    got = _stamped(text)
    return got if got is _UNSURE else time_number(got[0])  # type: ignore[index,return-value]


#: The dry run's slot and release times: their time numbers, or ``_UNSURE``
_slot_number: Final = _Memo(_number_only, 1 << 12)


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


#: The dry run's fee texts: the fee's text in the content hash, or ``_UNSURE``
_fee_stamp: Final = _Memo(lambda text: got if (got := _fee_text(text)) is _UNSURE else got[1],
                          1 << 10)


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


@lru_cache(maxsize=2 * _CACHE_SIZE)  # busy exports hold 10^4-10^5 addresses; ~10 MB at most
def _ip_facts(raw: str) -> tuple[Ip | None, str | None, str, str | None]:
    """(ip, raw text kept when unusable, key text in the content hash, flag)."""
    if not raw:
        return None, None, "", None
    ip = parse_ip(raw)
    if ip is None:
        return None, raw, raw, "bad_ip"
    return ip, None, ip.key, "private_ip" if ip.private else None


# The dry run's lookups: each one part of the facts above, so no tuple is taken apart per row
_name_key: Final = _Memo(lambda raw: _name_facts(raw)[0], _CACHE_SIZE)
_name_flag: Final = _Memo(lambda raw: _name_facts(raw)[2], _CACHE_SIZE)
_ip_key: Final = _Memo(lambda raw: _ip_facts(raw)[2], 2 * _CACHE_SIZE)
_ip_flag: Final = _Memo(lambda raw: _ip_facts(raw)[3], 2 * _CACHE_SIZE)


#: The early-booking flag by whether the booking came before the release
_EARLY: Final = (None, "booked_before_release")
#: A row's flags, sorted, from its flag columns (``None``: not flagged)
_FLAG_SETS: Final = _Memo(lambda row: tuple(sorted(filter(None, row))), 1 << 12)


def _rows_where(column: Sequence[object], marker: object) -> list[int]:
    return [i for i, v in enumerate(column) if v is marker]


# -- vectorised keying of the common forms (numpy over fixed-width ASCII) -----------------
_WEIGHTS = np.array(WEIGHTS, dtype=np.int64)
_PROVINCES = np.zeros(100, dtype=bool)
_PROVINCES[[int(code) for code in PROVINCE_CODES]] = True
_CHECK_BYTES = np.frombuffer(CHECK_CHARS.encode("ascii"), dtype=np.uint8)
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)
_ID_FLAGS: Final = np.array([None, "invalid_id:bad_region", "invalid_id:bad_birth_date",
                             "invalid_id:future_birth_date", "invalid_id:bad_check_digit"],
                            dtype=object)


def _ascii_grid(texts: Sequence[str], width: int) -> np.ndarray | None:
    """``texts`` (all ``width`` long) as an (n, width) array of their bytes, or ``None``."""
    joined = "".join(texts)
    if not joined.isascii():
        return None
    return np.frombuffer(joined.encode("ascii"), dtype=np.uint8).reshape(-1, width)


def _of_width(texts: Sequence[str], width: int) -> tuple[np.ndarray, np.ndarray | None]:
    """The indexes of the texts ``width`` long, and those texts as :func:`_ascii_grid`
    (``None``: none, or not all ASCII)."""
    lengths = np.fromiter(map(len, texts), dtype=np.int64, count=len(texts))
    rows = np.flatnonzero(lengths == width)
    if len(rows) == len(texts):
        return rows, _ascii_grid(texts, width)
    if len(rows) == 0:
        return rows, None
    return rows, _ascii_grid(np.asarray(texts, dtype=object)[rows], width)


def _placed(n: int, rows: np.ndarray, values: np.ndarray) -> list[Any]:
    """A list of ``n`` items: ``values`` at ``rows``, ``None`` elsewhere."""
    if len(rows) == n:
        return values.tolist()  # type: ignore[no-any-return]
    out = np.full(n, None, dtype=object)
    out[rows] = values
    return out.tolist()  # type: ignore[no-any-return]


def _others(n: int, rows: np.ndarray) -> list[int]:
    """The indexes below ``n`` that are not in ``rows``."""
    if len(rows) == n:
        return []
    left = np.ones(n, dtype=bool)
    left[rows] = False
    return np.flatnonzero(left).tolist()  # type: ignore[no-any-return]


def _valid_dates(y: np.ndarray, m: np.ndarray, d: np.ndarray) -> np.ndarray:
    leap = (y % 4 == 0) & ((y % 100 != 0) | (y % 400 == 0))
    days = _MONTH_DAYS[np.clip(m, 0, 12)] + (leap & (m == 2))
    return (m >= 1) & (m <= 12) & (d >= 1) & (d <= days)  # type: ignore[no-any-return]


def _id_flags(ids: Sequence[str], today: date) -> tuple[list[str], list[str | None],
                                                         list[str | None]]:
    """(key, ``invalid_id:`` flag, ``legacy_id`` flag) per ID number, as ``parse_id_card``.

    18 ASCII digits (last one ``X`` allowed) are judged for the whole batch at once; any other
    form goes through ``parse_id_card``.
    """
    n = len(ids)
    keys = list(ids)
    legacy: list[str | None] = [None] * n
    rows, grid = _of_width(ids, 18)
    if grid is None:
        rows = rows[:0]
        invalid: list[str | None] = [None] * n
    else:
        digits = grid.astype(np.int64) - 48
        last = grid[:, 17]
        ok = (((digits[:, :17] >= 0) & (digits[:, :17] <= 9)).all(axis=1)
              & (((last >= 48) & (last <= 57)) | (last == 88)))
        digits[~ok] = 0
        year = digits[:, 6] * 1000 + digits[:, 7] * 100 + digits[:, 8] * 10 + digits[:, 9]
        month = digits[:, 10] * 10 + digits[:, 11]
        day = digits[:, 12] * 10 + digits[:, 13]
        born_ok = _valid_dates(year, month, day) & (year >= MIN_BIRTH_YEAR)
        future = year * 10_000 + month * 100 + day > (
            today.year * 10_000 + today.month * 100 + today.day)
        check_ok = _CHECK_BYTES[(digits[:, :17] * _WEIGHTS).sum(axis=1) % 11] == last
        code = np.select([~_PROVINCES[digits[:, 0] * 10 + digits[:, 1]], ~born_ok, future,
                          ~check_ok], [1, 2, 3, 4], 0)
        rows = rows[ok]
        invalid = _placed(n, rows, _ID_FLAGS[code[ok]])
    for i in _others(n, rows):
        card, invalid[i], legacy[i] = _card_facts(ids[i], today)
        keys[i] = card.key
    return keys, invalid, legacy


# "YYYY-MM-DD HH:MM:SS[.fff[fff]]": each byte's "0" (digits) or separator, and how far a
# digit may lie above "0"
_DT_TEMPLATE: Final = np.frombuffer(b"0000-00-00 00:00:00.000000", dtype=np.uint8)
_DT_SPAN: Final = np.where(np.equal(_DT_TEMPLATE, ord("0")), 9, 0).astype(np.uint8)
_DT_WIDTHS: Final = (19, 23, 26)
# fields (year, month, day, hour, minute, second, microsecond): lowest value and range
_DT_LOW: Final = np.array([YEAR_RANGE[0], 1, 1, 0, 0, 0, 0], dtype=np.int64)
_DT_RANGE: Final = np.array([YEAR_RANGE[1] - YEAR_RANGE[0], 11, 30, 23, 59, 59, 999_999],
                            dtype=np.uint64)


# positions of the tens and the ones digit of the year's two halves, month, day, hour,
# minute and second; place values of the fraction's digits
_DT_TENS_AT: Final = [0, 2, 5, 8, 11, 14, 17]
_DT_ONES_AT: Final = [1, 3, 6, 9, 12, 15, 18]
_DT_FRACTION: Final = np.array([100_000, 10_000, 1_000, 100, 10, 1], dtype=np.int64)


def _dt_fields(offsets: np.ndarray, width: int) -> np.ndarray:
    """(year, month, day, hour, minute, second, microsecond) per row of a grid's digit values
    (integer arrays only: numpy multiplies those without BLAS, which could start threads
    beside the worker processes)."""
    pairs = offsets[:, _DT_TENS_AT].astype(np.int64) * 10 + offsets[:, _DT_ONES_AT]
    fields = np.empty((len(offsets), 7), dtype=np.int64)
    fields[:, 0] = pairs[:, 0] * 100 + pairs[:, 1]
    fields[:, 1:6] = pairs[:, 2:]
    fields[:, 6] = offsets[:, 20:width] @ _DT_FRACTION[:width - 20] if width > 19 else 0
    return fields


_DT_NUMBER: Final = np.array(_TIME_PLACES, dtype=np.int64)


def _grid_numbers(grid: np.ndarray, width: int) -> tuple[np.ndarray, np.ndarray]:
    """Which rows of a grid of datetime texts ``width`` long ``parse_datetime`` accepts, and
    each row's :func:`time_number` (meaningless where not accepted)."""
    offsets = grid - _DT_TEMPLATE[:width]  # wraps below the template: a non-digit is above 9
    bad = offsets > _DT_SPAN[:width]
    fields = _dt_fields(offsets, width)
    outside = (fields - _DT_LOW).view(np.uint64) > _DT_RANGE  # below the lowest wraps
    ok = ~(bad.any(axis=1) | outside.any(axis=1)) if bad.any() or outside.any() \
        else np.ones(len(grid), dtype=bool)
    ok &= _valid_dates(fields[:, 0], fields[:, 1], fields[:, 2])
    return ok, fields @ _DT_NUMBER  # wraps only where not accepted


def _canonical_numbers(texts: Sequence[str]) -> tuple[list[int | None], list[int]]:
    """The :func:`time_number` of each ``YYYY-MM-DD HH:MM:SS[.fff|.ffffff]`` text that
    ``parse_datetime`` accepts, :data:`NO_TIME` for an empty text and ``None`` for every
    other text (left to ``parse_datetime``); and the indexes of those ``None``."""
    n = len(texts)
    lengths = list(map(len, texts))
    if n and lengths[0] in _DT_WIDTHS and lengths.count(lengths[0]) == n:
        grid = _ascii_grid(texts, lengths[0])
        if grid is not None:  # the usual batch: all one form
            ok, numbers = _grid_numbers(grid, lengths[0])
            if ok.all():
                return numbers.tolist(), []  # type: ignore[no-any-return]
            out = numbers.astype(object)
            out[~ok] = None
            return out.tolist(), np.flatnonzero(~ok).tolist()
    sizes = np.array(lengths, dtype=np.int64)
    out = np.full(n, None, dtype=object)
    done = sizes == 0
    out[done] = NO_TIME
    array = np.asarray(texts, dtype=object)
    for width in _DT_WIDTHS:
        rows = np.flatnonzero(sizes == width)
        grid = _ascii_grid(array[rows], width) if len(rows) else None
        if grid is not None:
            ok, numbers = _grid_numbers(grid, width)
            rows = rows[ok]
            out[rows] = numbers[ok]
            done[rows] = True
    return out.tolist(), np.flatnonzero(~done).tolist()


def _time_numbers(texts: Sequence[str], unsure: set[int]) -> list[int | _Unsure]:
    """The :func:`time_number` of each text of a datetime column, unusable ones marked and
    their rows added to ``unsure``."""
    if not any(texts):
        return [NO_TIME] * len(texts)
    out, left = _canonical_numbers(texts)
    for i in left:
        got = _stamped(texts[i])
        if got is _UNSURE:
            out[i] = got  # type: ignore[call-overload]
            unsure.add(i)
        else:
            out[i] = time_number(got[0])  # type: ignore[index]
    return out  # type: ignore[return-value]


_VIRTUAL = np.zeros(1000, dtype=bool)
_VIRTUAL[[int(segment) for segment in VIRTUAL_SEGMENTS]] = True
#: A mobile number's flag by [agent][virtual]
_VIRTUAL_FLAGS: Final = (np.array([None, "virtual_phone"], dtype=object),
                         np.array([None, "agent_virtual_phone"], dtype=object))


def _phone_flags(phones: Sequence[str], agent: bool = False
                 ) -> tuple[list[str], list[str | None]]:
    """(key text in the content hash, flag) per patient phone (per escort agent's phone:
    ``agent``), as ``parse_fields``.

    Mainland mobile numbers written as 11 plain digits are judged for the batch at once;
    every other form goes through ``parse_phone``.
    """
    n = len(phones)
    keys = list(phones)
    rows, grid = _of_width(phones, 11)
    if grid is None:
        rows = rows[:0]
        flags: list[str | None] = [None] * n
    else:
        digits = grid.astype(np.int64) - 48
        ok = (((digits >= 0) & (digits <= 9)).all(axis=1) & (digits[:, 0] == 1)
              & (digits[:, 1] >= 3))  # _MOBILE: 1[3-9] and 9 digits
        virtual = _VIRTUAL[np.where(ok, digits[:, 0] * 100 + digits[:, 1] * 10 + digits[:, 2],
                                    0)]
        rows = rows[ok]
        flags = _placed(n, rows, _VIRTUAL_FLAGS[agent][virtual[ok].astype(np.int64)])
    facts = _agent_phone if agent else _patient_phone
    for i in _others(n, rows):
        _, keys[i], flags[i] = facts(phones[i])
    return keys, flags


#: What the dry run keeps of a valid row: key value, content value, flags. The key value
#: is ``hash((hospital, registration_id))``, the record's key; the content value is
#: ``hash()`` of the tuple of parts of the normalised content the record's
#: ``content_hash`` is computed over, datetimes as their :func:`time_number`
#: (:func:`tally_parts`). Equal keys or contents give equal values within one
#: process, which is all that duplicate detection in a dry run needs (nothing is stored),
#: at a tenth of the cost.
Tally = tuple[int, int, tuple[str, ...]]


_PRINTABLE_ASCII: Final = bytes(range(0x20, 0x7F))


def _printable(text: str) -> bool:
    """``text.isprintable()``; ASCII text (most columns) in one pass over its bytes, about a
    quarter of the cost (measured)."""
    if text.isascii():  # then printable means no byte below 0x20 and no 0x7F
        return not text.encode("ascii").translate(None, _PRINTABLE_ASCII)
    return text.isprintable()


def _printables(texts: Sequence[str]) -> list[bool]:
    """:func:`_printable` of each text; the ASCII ones checked together in numpy."""
    ascii_texts = list(map(str.isascii, texts))
    codes = np.frombuffer("".join(compress(texts, ascii_texts)).encode("ascii"), dtype=np.uint8)
    if np.any(codes - np.uint8(0x20) >= np.uint8(0x7F - 0x20)):  # below 0x20 (wraps) or 0x7F
        return list(map(_printable, texts))
    return [fine or text.isprintable() for text, fine in zip(texts, ascii_texts, strict=True)]


def _prepare(
    columns: Sequence[Sequence[str]],
    extras: Sequence[dict[str, str]] | None,
    stamps: bool,
) -> tuple[set[int], list[list[str]], list[list[Any]], list[str | None], list[str | None]]:
    """The checks both paths share: (unsure rows, stripped columns, datetime and fee
    results, statuses, channels). ``stamps``: for the dry run, datetimes as their
    :func:`time_number` and fees as their text in the content hash, not as values."""
    unsure: set[int] = set()
    joined = list(map("".join, columns))
    for column, text in zip(columns, joined, strict=True):
        # no field is longer than the whole column: one join usually settles it
        if len(text) > FIELD_CAP and max(map(len, column)) > FIELD_CAP:
            unsure.update(i for i, v in enumerate(column) if len(v) > FIELD_CAP)
    if extras is not None:
        unsure.update(i for i, extra in enumerate(extras)
                      if extra and max(map(len, extra.values())) > FIELD_CAP)
    # Printable text holds no whitespace but " " (and no control character): a printable
    # column without " " has nothing to strip. Stripping a cell with nothing to strip
    # returns the cell itself, at half the cost of looking for spaces at the cells' ends.
    printable = _printables(joined)
    cols = [list(column) if fine and " " not in text else list(map(str.strip, column))
            for column, text, fine in zip(columns, joined, printable, strict=True)]
    for pos in _KEY_POS:
        # stripping only removes characters: no control character before, none after
        if not printable[pos] and _CONTROL.search(joined[pos]):
            column = cols[pos]
            unsure.update(i for i, v in enumerate(column) if _CONTROL.search(v))
    for pos in _REQUIRED_POS:
        column = cols[pos]
        if not all(column):
            unsure.update(i for i, v in enumerate(column) if not v)
    # checks whose results the records need: unsure values are marked, their rows set aside
    if stamps:
        checked: list[list[Any]] = [
            list(map(_slot_number.__getitem__, cols[4])),
            list(map(_slot_number.__getitem__, cols[5])),
            _time_numbers(cols[6], unsure), _time_numbers(cols[7], unsure),
            _time_numbers(cols[9], unsure), list(map(_fee_stamp.__getitem__, cols[10]))]
        scanned = (checked[0], checked[1], checked[5])  # _time_numbers added its own
    else:
        checked = scanned = [
            list(map(_slot_stamped, cols[4])), list(map(_slot_stamped, cols[5])),
            list(map(_stamped, cols[6])), list(map(_stamped, cols[7])),
            list(map(_stamped, cols[9])), list(map(_fee_text, cols[10]))]
    for column in scanned:
        if _UNSURE in column:
            unsure.update(_rows_where(column, _UNSURE))
    statuses = list(map(STATUSES.get, cols[8]))
    if None in statuses:
        unsure.update(_rows_where(statuses, None))
    channels = list(map(_CHANNEL_TEXTS.get, cols[19]))  # "" for none, None for unknown
    if None in channels:
        unsure.update(_rows_where(channels, None))
    return unsure, cols, checked, statuses, channels


def _validate(
    columns: Sequence[Sequence[str]],
    extras: Sequence[dict[str, str]] | None,
    source_file: str,
    source_lines: Sequence[int],
    today: date,
    tally: bool,
) -> list[Any]:
    n = len(source_lines)
    if n == 0:
        return []
    unsure, cols, checked, statuses, channels = _prepare(columns, extras, tally)
    if tally:
        return _tally_batch(columns, extras, today, unsure, cols, checked, statuses, channels)
    if not unsure:
        return _build(cols, checked, statuses, channels, extras, source_file, source_lines,
                      today)
    sure = [i for i in range(n) if i not in unsure]
    records: list[Record] = []
    if sure:
        pick = itemgetter(*sure)
        if len(sure) == 1:
            def take(column: Sequence[Any]) -> list[Any]:
                return [pick(column)]
        else:
            def take(column: Sequence[Any]) -> list[Any]:
                return list(pick(column))
        records = _build([take(c) for c in cols], [take(c) for c in checked],
                         take(statuses), take(channels),
                         None if extras is None else take(extras), source_file,
                         take(source_lines), today)
    out: list[Any] = []
    built = iter(records)
    for i in range(n):
        if i not in unsure:
            out.append(next(built))
            continue
        try:
            out.append(parse_fields([c[i] for c in columns], {} if extras is None else extras[i],
                                    source_file=source_file, source_line=source_lines[i],
                                    today=today))
        except RecordError as exc:
            out.append(_bare(exc))
    return out


def _bare(exc: RecordError) -> RecordError:
    """The error without its traceback: kept in a list, the traceback's frames would hold
    the list and the whole batch in a reference cycle until the next full collection."""
    exc.__traceback__ = exc.__context__ = None
    return exc


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
    return _validate(columns, extras, source_file, source_lines, today, tally=False)


@dataclass(slots=True)
class Tallies:
    """What the dry run keeps of a batch of rows, column by column.

    Per row ``i``: ``keys[i]`` and ``contents[i]`` (see :data:`Tally`) unless the row is in
    ``errors`` (then they are placeholders); ``flags`` holds the flags of rows that have any.
    """

    keys: list[int]
    contents: list[int]
    flags: dict[int, tuple[str, ...]]
    errors: dict[int, RecordError]


def tally_batch(
    columns: Sequence[Sequence[str]],
    extras: Sequence[dict[str, str]] | None,
    *,
    today: date,
) -> Tallies:
    """Like :func:`parse_columns`, for the dry run: what counting needs of each row (key,
    content value, flags) or its :class:`RecordError`, without building records."""
    if not columns or not columns[0]:
        return Tallies([], [], {}, {})
    return _validate(columns, extras, "", range(len(columns[0])), today,  # type: ignore[return-value]
                     tally=True)


def tally_columns(
    columns: Sequence[Sequence[str]],
    extras: Sequence[dict[str, str]] | None,
    *,
    today: date,
) -> list[Tally | RecordError]:
    """:func:`tally_batch` row by row: the :data:`Tally` of each row or its error."""
    got = tally_batch(columns, extras, today=today)
    return [got.errors[i] if i in got.errors else (key, content, got.flags.get(i, ()))
            for i, (key, content) in enumerate(zip(got.keys, got.contents, strict=True))]


def _tally_batch(
    columns: Sequence[Sequence[str]],
    extras: Sequence[dict[str, str]] | None,
    today: date,
    unsure: set[int],
    cols: list[list[str]],
    checked: list[list[Any]],
    statuses: list[str | None],
    channels: list[str | None],
) -> Tallies:
    # tallies are cheap: computed for every row (unusable values blanked), then the
    # unsure rows' are replaced by the reference's
    for i in unsure:
        for column in checked[:5]:
            column[i] = NO_TIME
        checked[5][i] = statuses[i] = ""
    got = _tallies(cols, checked, statuses, channels, extras, today)
    for i in unsure:
        got.flags.pop(i, None)
        try:
            record, parts = parse_fields_content(
                [c[i] for c in columns], {} if extras is None else extras[i], today=today)
        except RecordError as exc:
            got.errors[i] = _bare(exc)
        else:
            got.keys[i] = hash((record.hospital, record.registration_id))
            got.contents[i] = hash(tally_parts(record, parts))
            if record.flags:
                got.flags[i] = record.flags
    return got


def tally_parts(record: Record, parts: tuple[str, ...]) -> tuple[str | int, ...]:
    """A record's content parts as the dry run hashes them: its datetimes as their
    :func:`time_number` instead of their stamps."""
    times = map(time_number, (record.slot_time, record.released_at, record.booked_at,
                              record.paid_at))
    return (*parts[:4], *times, parts[8], time_number(record.cancelled_at), *parts[10:])


def _tallies(
    cols: list[list[str]],
    checked: list[list[Any]],
    statuses: list[str | None],
    channels: list[str | None],
    extras: Sequence[dict[str, str]] | None,
    today: date,
) -> Tallies:
    """Tallies for rows that passed every check: what :func:`_build` hashes, no objects."""
    (registration_id, hospital, department, doctor, _slot, _released, _booked, _paid,
     _status, _cancelled, _fee, patient_name, id_number, phone_s, visit_card, account_id,
     device_id, ip_s, payer_account, _channel, agent_id, agent_name, agent_phone_s) = cols
    slot_st, released_st, booked_st, paid_st, cancelled_st, fees = checked
    card_key, card_flag, legacy_flag = _id_flags(id_number, today)
    name_key = list(map(_name_key.__getitem__, patient_name))
    junk_flag = list(map(_name_flag.__getitem__, patient_name))
    phone_key, phone_flag = _phone_flags(phone_s)
    agent_key, agent_flag = _phone_flags(agent_phone_s, agent=True)
    ip_key = list(map(_ip_key.__getitem__, ip_s))
    ip_flag = list(map(_ip_flag.__getitem__, ip_s))
    # time numbers order as the times; NO_TIME (no release time) is below every time
    early = list(map(_EARLY.__getitem__, map(lt, booked_st, released_st)))
    flag_columns = (card_flag, legacy_flag, junk_flag, phone_flag, agent_flag, ip_flag, early)
    n = len(registration_id)
    flagged = sorted(set().union(*(compress(range(n), column) for column in flag_columns)))
    flags: dict[int, tuple[str, ...]] = {}
    if flagged:
        # each flagged row's flags (a few combinations, memoised) from its row of the columns
        pick = itemgetter(*flagged)
        picked = [pick(column) if len(flagged) > 1 else (pick(column),)
                  for column in flag_columns]
        flags = dict(zip(flagged, map(_FLAG_SETS.__getitem__, zip(*picked, strict=True)),
                         strict=True))
    parts = zip(
        registration_id, hospital, department, doctor, slot_st, released_st, booked_st,
        paid_st, statuses, cancelled_st, fees, name_key, card_key, phone_key,
        visit_card, account_id, device_id, ip_key, payer_account,
        channels, agent_id, agent_name, agent_key, strict=True)
    # a tuple's hash combines its items' hashes: no content text is built
    contents = list(map(hash, parts if extras is None else _with_extras(parts, extras)))
    # the items' hashes are cached by now: the key costs one small tuple hash
    keys = list(map(hash, zip(hospital, registration_id, strict=True)))
    return Tallies(keys, contents, flags, {})


def _kept(extras: Sequence[dict[str, str]]) -> list[dict[str, str]]:
    """Unknown columns as records keep them: stripped, empty ones dropped."""
    return [{k: t for k, v in extra.items() if (t := v.strip())} if extra else extra
            for extra in extras]


def _with_extras(parts: Iterable[tuple[str, ...]], extras: Sequence[dict[str, str]]
                 ) -> Iterator[tuple[str, ...]]:
    """Each row's content parts followed by its kept unknown columns, as ``key=value``."""
    for row, extra in zip(parts, _kept(extras), strict=True):
        yield (*row, *(f"{k}={v}" for k, v in sorted(extra.items()))) if extra else row


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
    channel_text, channels = channels, [c or None for c in channels]
    contents = list(map("\x1f".join, zip(
        registration_id, hospital, department, doctor, slot_st, released_st, booked_st,
        paid_st, statuses, cancelled_st, fee_st, name_key, (c.key for c in card), phone_key,
        visit_card, account_id, device_id, ip_key, payer_account, channel_text, agent_id,
        agent_name, agent_key, strict=True)))
    if extras is None:
        kept: list[dict[str, str]] = [{} for _ in contents]
    else:
        kept = _kept(extras)
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
