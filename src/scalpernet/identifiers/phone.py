"""Phone numbers as exports write them, reduced to the key the graph joins on.

A contact phone shared by many unrelated patients is one of the links that ties a scalper
network together, so ``+86 138-0013-8000``, ``0086 13800138000`` and ``13800138000`` must be
one key. Virtual-operator segments (bought in bulk for placeholder patients) are marked; the
mark is a signal for detection, not a verdict.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from typing import Literal

#: Mobile segments of virtual network operators (MVNO): 170, 171, 162, 165, 167.
VIRTUAL_SEGMENTS: frozenset[str] = frozenset({"170", "171", "162", "165", "167"})

_NON_DIGITS = re.compile(r"[^0-9]+")  # ASCII only: "\\d" also matches other scripts
# Mainland mobile numbers: 11 digits, 1 then 3-9
_MOBILE = re.compile(r"1[3-9]\d{9}")
# Landline with trunk prefix 0: area code (2-3 digits after the 0) + 7-8 digit number
_LANDLINE = re.compile(r"0[1-9]\d{8,10}")

Kind = Literal["mobile", "landline", "unknown"]


@dataclass(frozen=True, slots=True)
class Phone:
    """One phone number: ``key`` (digits only; mobiles without country code), kind, virtual.

    ``key`` is empty when the text held no digit at all; callers treat that as no phone.
    """

    key: str
    kind: Kind
    virtual: bool


def parse_phone(raw: str) -> Phone:
    """Key one phone number; never raises.

    Accepts separators (spaces, ``-``, ``.``, parentheses), full-width digits and the country
    code as ``+86``, ``0086`` or a bare ``86`` before an 11-digit mobile number. An extension
    (``010-12345678 ext 12``) is kept as digits: it is rare and dropping it could merge two
    different lines.
    """
    if len(raw) == 11 and raw.isascii() and _MOBILE.fullmatch(raw):  # the common case
        return Phone(raw, "mobile", raw[:3] in VIRTUAL_SEGMENTS)
    text = raw if raw.isascii() else unicodedata.normalize("NFKC", raw)
    stripped = text.strip()
    digits = _NON_DIGITS.sub("", stripped)
    international = False
    if stripped.startswith("+86"):
        digits, international = digits[2:], True
    elif digits.startswith("0086"):
        digits, international = digits[4:], True
    elif len(digits) == 13 and digits.startswith("86") and _MOBILE.fullmatch(digits[2:]):
        digits, international = digits[2:], True
    if _MOBILE.fullmatch(digits):
        return Phone(digits, "mobile", digits[:3] in VIRTUAL_SEGMENTS)
    if international and 9 <= len(digits) <= 11 and not digits.startswith("0"):
        # +86 10 1234 5678: the country code replaces the trunk 0 of the area code
        digits = "0" + digits
    if _LANDLINE.fullmatch(digits):
        return Phone(digits, "landline", False)
    return Phone(digits, "unknown", False)
