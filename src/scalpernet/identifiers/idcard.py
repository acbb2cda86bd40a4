"""Resident ID numbers (GB 11643-1999): the key investigators join on, and why one is invalid.

Placeholder patients in scalper networks often carry ID numbers that fail the check digit or
name an impossible birth date or region. Such a number is evidence, so it is parsed and kept
with a reason, never rejected.

The region (the first six digits) must be a code of GB/T 2260, the national list of
administrative divisions, as python-stdnum ships it (``stdnum.cn.loc``): province,
prefecture and county codes, each of them at any time since the list began. A number keeps
the code of the county that issued it, and counties are merged, renamed and re-coded with
every reform, so a code abolished since is still a real person's number. python-stdnum's own
``cn.ric`` check goes further and demands that the county existed in the birth year; that
would accuse people registered after birth under a newer code, so it is not used here. Two
codes not in the list are accepted as well: 810000 and 820000 (residence permits of Hong Kong
and Macao residents, listed) and 830000 (those of Taiwan residents, not listed).

A made-up county code with a correct check digit is therefore invalid (``bad_region``),
like a wrong check digit: evidence, never a reason to reject the row.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from operator import mul
from typing import Final, Literal

import numpy as np
from stdnum import numdb

#: Weights W_i = 2^(18-i) mod 11 for positions 1..17 (GB 11643-1999).
WEIGHTS: tuple[int, ...] = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
#: ISO 7064 MOD 11-2: check character indexed by (weighted sum mod 11).
CHECK_CHARS = "10X98765432"
#: Region codes outside the list that real numbers carry (see the module docstring).
EXTRA_REGIONS: frozenset[str] = frozenset({"830000"})


def _divisions() -> frozenset[str]:
    """Every six-digit code of python-stdnum's GB/T 2260 list (``cn/loc``), past and present:
    two-digit province entries, each with its four-digit prefecture and county entries."""
    codes = set(EXTRA_REGIONS)
    for _, lo, hi, _, counties in numdb.get("cn/loc").prefixes:
        for province in range(int(lo), int(hi) + 1):
            for _, c_lo, c_hi, props, _ in counties:
                if "county" in props:
                    codes.update(f"{province:02d}{c:04d}" for c in range(int(c_lo),
                                                                          int(c_hi) + 1))
    return frozenset(codes)


#: Every region code accepted (see the module docstring).
REGION_CODES: frozenset[str] = _divisions()
#: Province-level codes (the first two digits of :data:`REGION_CODES`).
PROVINCE_CODES: frozenset[str] = frozenset(code[:2] for code in REGION_CODES)
#: Earliest birth year accepted: older numbers are typing errors or inventions.
MIN_BIRTH_YEAR = 1900

_ASCII_ZERO_SUM = 48 * sum(WEIGHTS)  # subtracts the ASCII offset of '0' in one step
_LAST_CHARS = frozenset("0123456789X")
#: Whether each six-digit number is a region code (one byte each, by the code's value).
_REGION_TABLE: Final = np.zeros(1_000_000, dtype=bool)
_REGION_TABLE[np.fromiter(map(int, REGION_CODES), np.int64)] = True
_CHECK_CODES: Final = np.frombuffer(CHECK_CHARS.encode("ascii"), np.uint8)
_EPOCH: Final = date(1970, 1, 1)
#: :func:`judge_plain`'s birth date of a number whose digits name no real date.
NO_BIRTH_DATE: Final = np.iinfo(np.int64).min

Reason = Literal[
    "empty",
    "bad_length",
    "bad_characters",
    "bad_region",
    "bad_birth_date",
    "future_birth_date",
    "bad_check_digit",
]


@dataclass(frozen=True, slots=True)
class IdCard:
    """One ID number as given, keyed and judged.

    ``key`` is what the graph joins on: whitespace removed, NFKC (full-width digits become
    ASCII), upper-case, a 15-digit legacy number upgraded to 18 digits. ``reason`` is ``None``
    exactly when ``valid``. ``birth_date``, ``sex`` and ``region`` are filled whenever the
    digits allow it, even for an invalid number, because investigators compare them.
    """

    key: str
    valid: bool
    reason: Reason | None
    birth_date: date | None
    sex: Literal["M", "F"] | None
    region: str | None
    legacy: bool = False


def check_char(body17: str) -> str:
    """The MOD 11-2 check character of 17 ASCII digits ('0'-'9' or 'X').

    >>> check_char("11010519491231002")
    'X'
    """
    if len(body17) != 17 or not (body17.isascii() and body17.isdigit()):
        raise ValueError("check_char needs exactly 17 ASCII digits")
    # bytes iterate as ints in C: about 3x faster than int() on each character
    total = sum(map(mul, body17.encode("ascii"), WEIGHTS)) - _ASCII_ZERO_SUM
    return CHECK_CHARS[total % 11]


def _clean(raw: str) -> str:
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    return "".join(text.split()).upper()


#: The reasons :func:`judge_plain` gives, by its codes (0: valid).
PLAIN_REASONS: Final[tuple[Reason | None, ...]] = (
    None, "bad_region", "bad_birth_date", "future_birth_date", "bad_check_digit")


def judge_plain(codes: np.ndarray, today: date) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Judge many plain numbers at once: ``codes`` holds one per row as 18 ASCII bytes
    (17 digits, then a digit or ``X``). Returns per number its reason code (an index into
    :data:`PLAIN_REASONS`), its birth date as days since 1970-01-01 (:data:`NO_BIRTH_DATE`
    when there is none) and whether its 17th digit is odd (male). The reasons are checked in
    :func:`parse_id_card`'s order; the region is the first six digits when the code is one.
    """
    digits = codes[:, :17].astype(np.int64) - 48
    year = digits[:, 6:10] @ np.array([1000, 100, 10, 1])
    month = digits[:, 10] * 10 + digits[:, 11]
    day = digits[:, 12] * 10 + digits[:, 13]
    leap = (year % 4 == 0) & ((year % 100 != 0) | (year % 400 == 0))
    month_days = np.array([31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31])[
        np.clip(month, 1, 12) - 1] + (leap & (month == 2))
    real = (month >= 1) & (month <= 12) & (day >= 1) & (day <= month_days) & (
        year >= MIN_BIRTH_YEAR)
    first = (np.clip(year, MIN_BIRTH_YEAR, 9999) - 1970).astype("datetime64[Y]")
    days = ((first.astype("datetime64[M]") + (np.clip(month, 1, 12) - 1)).astype(
        "datetime64[D]") + (day - 1)).astype(np.int64)
    days = np.where(real, days, NO_BIRTH_DATE)
    region = _REGION_TABLE[digits[:, :6] @ (10 ** np.arange(5, -1, -1))]
    check = _CHECK_CODES[((digits * np.array(WEIGHTS)).sum(axis=1)) % 11] == codes[:, 17]
    reason = np.select([~region, ~real, days > (today - _EPOCH).days, ~check], [1, 2, 3, 4], 0)
    return reason.astype(np.int8), days, digits[:, 16] % 2 == 1


def parse_id_card(raw: str, *, today: date | None = None) -> IdCard:
    """Key and judge one ID number; never raises on bad input (see :func:`parse_id_cards`).

    ``today`` fixes the "future birth date" check for reproducible runs (default: today).
    """
    return parse_id_cards([raw], today=today)[0]


def parse_id_cards(raws: Sequence[str], *, today: date | None = None) -> list[IdCard]:
    """Key and judge ID numbers, the numbers of plain form together (:func:`judge_plain`).

    Reasons are checked in this order and the first one found is reported: ``empty``,
    ``bad_length``, ``bad_characters``, ``bad_region``, ``bad_birth_date``,
    ``future_birth_date``, ``bad_check_digit``.
    """
    cards: list[IdCard | None] = []
    plain: list[tuple[int, str, bool]] = []  # (index, key, legacy)
    for raw in raws:
        if len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in _LAST_CHARS:
            plain.append((len(cards), raw, False))  # already clean: digits, upper-case X
            cards.append(None)
            continue
        key = _clean(raw)
        legacy = False
        if len(key) == 15 and key.isascii() and key.isdigit():
            # Pre-1999 numbers: 2-digit year (always 19xx) and no check character
            body = key[:6] + "19" + key[6:]
            key, legacy = body + check_char(body), True
        if not key:
            cards.append(IdCard(key, False, "empty", None, None, None))
        elif len(key) not in (15, 18):
            cards.append(IdCard(key, False, "bad_length", None, None, None))
        elif len(key) == 15 or not (key[:17].isascii() and key[:17].isdigit()) or \
                key[17] not in _LAST_CHARS:
            cards.append(IdCard(key, False, "bad_characters", None, None, None))
        else:
            plain.append((len(cards), key, legacy))
            cards.append(None)
    if plain:
        codes = np.frombuffer("".join(k for _, k, _ in plain).encode("ascii"), np.uint8)
        reasons, days, male = judge_plain(codes.reshape(-1, 18), today or date.today())
        for (index, key, legacy), code, day, m in zip(plain, reasons.tolist(), days.tolist(),
                                                      male.tolist(), strict=True):
            reason = PLAIN_REASONS[code]
            cards[index] = IdCard(key, reason is None, reason,
                                  _EPOCH + timedelta(days=day) if day != NO_BIRTH_DATE else None,
                                  "M" if m else "F", key[:6] if code != 1 else None, legacy)
    return cards  # type: ignore[return-value]
