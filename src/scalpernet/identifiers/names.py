"""Patient names: the normal form used in the patient key, and junk-name detection.

Placeholder patients used to occupy a slot carry names such as "561", "测试" or "aaa".
A junk name is evidence for detection; it is flagged, never a reason to drop a booking.
"""

from __future__ import annotations

import re
import unicodedata

#: Placeholder words seen in exports (compared after NFKC and case folding).
TEST_WORDS: frozenset[str] = frozenset(
    {
        "test", "tests", "testing", "tester", "demo", "sample", "dummy", "fake", "temp",
        "null", "none", "nil", "nan", "n/a", "na", "unknown", "anonymous", "noname",
        "admin", "user", "guest", "asdf", "qwer", "qwerty", "abc", "abcd", "xyz",
        "aaa", "xxx", "zzz",
        "测试", "测试用户", "测试患者", "测试人员", "test用户", "无", "无名", "无名氏", "未知",
        "不详", "不明", "匿名", "某某", "某人", "患者", "病人", "姓名", "用户", "客户",
        "先生", "女士", "小姐", "临时", "占位", "空",
    }
)

_SPACES = re.compile(r"\s+")
# Invisible format characters (zero-width space, joiners, BOM, bidi marks) split one person
# into two patient keys if kept
_INVISIBLE = re.compile("[\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\u00ad]")
_DIGIT = re.compile(r"\d")
_LATIN_LETTER = re.compile(r"[A-Za-z]")


def normalise_name(name: str) -> str:
    """NFKC, every whitespace and invisible format character removed (patient key part)."""
    if name.isascii():
        return _SPACES.sub("", name)
    text = _SPACES.sub("", _INVISIBLE.sub("", unicodedata.normalize("NFKC", name)))
    # removing a space can bring a base letter and a combining mark together: compose again
    return unicodedata.normalize("NFKC", text)


def junk_name_reason(name: str) -> str | None:
    """Why a patient name looks like a placeholder, or ``None`` when it looks like a name.

    Reasons, first match wins: ``empty``, ``digits_only`` ("561"), ``test_word`` ("测试",
    "aaa", "未知"), ``single_latin_letter`` ("x"), ``too_short`` (one character),
    ``repeated_character`` ("哈哈哈"), ``contains_digits`` ("患者01"), ``no_letters``
    ("???", "--").
    """
    return junk_reason_of_key(normalise_name(name))


def junk_reason_of_key(norm: str) -> str | None:
    """:func:`junk_name_reason` of a name already normalised by :func:`normalise_name`."""
    if not norm:
        return "empty"
    if norm.isdigit():
        return "digits_only"
    folded = norm.casefold()
    if folded in TEST_WORDS:
        return "test_word"
    if len(norm) == 1:
        return "single_latin_letter" if _LATIN_LETTER.fullmatch(norm) else "too_short"
    if len(set(folded)) == 1:
        return "repeated_character"
    if _DIGIT.search(norm):
        return "contains_digits"
    if not any(ch.isalpha() for ch in norm):
        return "no_letters"
    return None
