"""Phone keys: one number is one key however an export writes it."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalpernet.identifiers.phone import VIRTUAL_SEGMENTS, parse_phone

mobiles = st.builds(
    lambda second, rest: "1" + second + rest,
    st.sampled_from("3456789"),
    st.text(alphabet="0123456789", min_size=9, max_size=9),
)


@pytest.mark.parametrize(
    "raw",
    ["13800138000", "+86 138-0013-8000", "+8613800138000", "0086 138 0013 8000",
     "8613800138000", " 138.0013.8000 ", "(+86)138 0013 8000", "１３８００１３８０００"],
)
def test_spellings_of_one_mobile_are_one_key(raw: str) -> None:
    phone = parse_phone(raw)
    assert (phone.key, phone.kind, phone.virtual) == ("13800138000", "mobile", False)


@pytest.mark.parametrize("segment", sorted(VIRTUAL_SEGMENTS))
def test_virtual_segments_are_marked(segment: str) -> None:
    phone = parse_phone(segment + "12345678")
    assert phone.kind == "mobile" and phone.virtual


def test_virtual_segments_are_the_domain_list() -> None:
    assert {"170", "171", "162", "165", "167"} == VIRTUAL_SEGMENTS


@pytest.mark.parametrize(
    ("raw", "key", "kind"),
    [
        ("010-12345678", "01012345678", "landline"),
        ("+86 10 1234 5678", "01012345678", "landline"),
        ("0755-8888 8888", "075588888888", "landline"),
        ("12345", "12345", "unknown"),
        ("12800138000", "12800138000", "unknown"),  # no mobile segment starts with 12
        ("无", "", "unknown"),
    ],
)
def test_other_numbers_are_digits_only(raw: str, key: str, kind: str) -> None:
    phone = parse_phone(raw)
    assert (phone.key, phone.kind, phone.virtual) == (key, kind, False)


@given(mobiles, st.sampled_from(["", "+86", "0086", "86", "+86 "]),
       st.sampled_from(["", " ", "-"]))
def test_prefix_and_separators_never_change_the_key(number: str, prefix: str, sep: str) -> None:
    written = prefix + sep.join([number[:3], number[3:7], number[7:]])
    phone = parse_phone(written)
    assert phone.key == number
    assert phone.kind == "mobile"
    assert phone.virtual == (number[:3] in VIRTUAL_SEGMENTS)


@given(st.text(max_size=30))
def test_key_is_always_ascii_digits(raw: str) -> None:
    key = parse_phone(raw).key
    assert key == "" or (key.isascii() and key.isdigit())
