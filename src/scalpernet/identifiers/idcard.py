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
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from operator import mul
from typing import Literal

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


@lru_cache(maxsize=1 << 16)  # ~73k calendar days in 1900-2100: hot dates stay
def _birth_date(digits8: str) -> date | None:
    try:
        return date(int(digits8[:4]), int(digits8[4:6]), int(digits8[6:8]))
    except ValueError:
        return None


def parse_id_card(raw: str, *, today: date | None = None) -> IdCard:
    """Key and judge one ID number; never raises on bad input.

    ``today`` fixes the "future birth date" check for reproducible runs (default: today).
    Reasons are checked in this order and the first one found is reported: ``empty``,
    ``bad_length``, ``bad_characters``, ``bad_region``, ``bad_birth_date``,
    ``future_birth_date``, ``bad_check_digit``.
    """
    legacy = False
    if len(raw) == 18 and raw.isascii() and raw[:17].isdigit() and raw[17] in _LAST_CHARS:
        key = raw  # the common case: already clean (no space, digits and upper-case X)
    else:
        key = _clean(raw)
    if not key:
        return IdCard(key, False, "empty", None, None, None)
    if len(key) == 15:
        if not (key.isascii() and key.isdigit()):
            return IdCard(key, False, "bad_characters", None, None, None)
        # Pre-1999 numbers: 2-digit year (always 19xx) and no check character
        body = key[:6] + "19" + key[6:]
        key = body + check_char(body)
        legacy = True
    elif len(key) != 18:
        return IdCard(key, False, "bad_length", None, None, None)
    body, last = key[:17], key[17]
    if not (body.isascii() and body.isdigit()) or last not in "0123456789X":
        return IdCard(key, False, "bad_characters", None, None, None)

    sex: Literal["M", "F"] = "M" if int(body[16]) % 2 else "F"
    region = body[:6] if body[:6] in REGION_CODES else None
    born = _birth_date(body[6:14])
    reason: Reason | None = None
    if region is None:
        reason = "bad_region"
    elif born is None or born.year < MIN_BIRTH_YEAR:
        reason = "bad_birth_date"
    elif born > (today or date.today()):
        reason = "future_birth_date"
    elif CHECK_CHARS[(sum(map(mul, body.encode("ascii"), WEIGHTS)) - _ASCII_ZERO_SUM)
                     % 11] != last:  # check_char(body), its argument checks done above
        reason = "bad_check_digit"
    if born is not None and born.year < MIN_BIRTH_YEAR:
        born = None
    return IdCard(key, reason is None, reason, born, sex, region, legacy)
