"""ID numbers: the GB 11643 check character, the key, and each reason a number is invalid."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalpernet.identifiers.idcard import (
    CHECK_CHARS,
    REGION_CODES,
    WEIGHTS,
    check_char,
    parse_id_card,
)

TODAY = date(2026, 1, 1)
bodies = st.text(alphabet="0123456789", min_size=17, max_size=17)


def _oracle_passes(number18: str) -> bool:
    """The standard's own verification: sum of a_i * W_i over all 18 chars == 1 (mod 11)."""
    values = [int(c) for c in number18[:17]] + [10 if number18[17] == "X" else int(number18[17])]
    weights = [*WEIGHTS, 1]
    return sum(v * w for v, w in zip(values, weights, strict=True)) % 11 == 1


def valid_number(region: str = "110105", born: date = date(1980, 5, 17), seq: str = "123") -> str:
    body = f"{region}{born:%Y%m%d}{seq}"
    return body + check_char(body)


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014"])
def test_check_char_agrees_with_the_standard_examples(number: str) -> None:
    assert check_char(number[:17]) == number[17]


def test_weights_are_powers_of_two_mod_11() -> None:
    assert tuple(pow(2, 17 - i, 11) for i in range(17)) == WEIGHTS


@given(bodies)
def test_exactly_one_candidate_check_char_passes_the_oracle(body: str) -> None:
    passing = [c for c in "0123456789X" if _oracle_passes(body + c)]
    assert passing == [check_char(body)]


@given(bodies)
def test_check_char_is_in_the_alphabet(body: str) -> None:
    assert check_char(body) in CHECK_CHARS


FULL_WIDTH_BODY = "１１０１０５１９４９１２３１００２"


@pytest.mark.parametrize("bad", ["", "1234", "1101051949123100X", FULL_WIDTH_BODY])
def test_check_char_refuses_anything_but_17_ascii_digits(bad: str) -> None:
    with pytest.raises(ValueError):
        check_char(bad)


def test_valid_number_gives_birth_date_sex_and_region() -> None:
    card = parse_id_card("11010519491231002X", today=TODAY)
    assert card.valid and card.reason is None
    assert card.birth_date == date(1949, 12, 31)
    assert card.sex == "F"  # 17th digit 2 is even
    assert card.region == "110105"


@given(bodies)
def test_key_is_stable_under_spaces_and_case(body: str) -> None:
    number = body + check_char(body)
    spaced = " ".join([number[:6], number[6:14], number[14:].lower()]) + "\t"
    assert parse_id_card(spaced, today=TODAY).key == number


def test_full_width_digits_are_the_same_key() -> None:
    full = "".join(chr(ord(c) + 0xFEE0) for c in "11010519491231002X")
    assert parse_id_card(full, today=TODAY).key == "11010519491231002X"


def test_legacy_15_digit_number_is_upgraded_to_18() -> None:
    card = parse_id_card("110105491231002", today=TODAY)
    assert card.key == "11010519491231002X"
    assert card.valid and card.legacy


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("12345", "bad_length"),
        ("11010519491231002XX", "bad_length"),
        ("1101051949123100AX", "bad_characters"),
        ("11010519491231002Y", "bad_characters"),
        ("11010549123100A", "bad_characters"),
        (valid_number(region="990105"), "bad_region"),
        (valid_number(region="000000"), "bad_region"),
        (valid_number(region="511099"), "bad_region"),  # Sichuan, no such county
        (valid_number(region="110199"), "bad_region"),
        ("110105" + "19491331" + "002" + check_char("11010519491331002"), "bad_birth_date"),
        ("110105" + "20230229" + "002" + check_char("11010520230229002"), "bad_birth_date"),
        ("440524188001010014", "bad_birth_date"),  # the standard's 1880 example: before 1900
        (valid_number(born=date(2027, 1, 1)), "future_birth_date"),
        ("110105194912310021", "bad_check_digit"),
    ],
)
def test_each_reason(raw: str, reason: str) -> None:
    card = parse_id_card(raw, today=TODAY)
    assert not card.valid
    assert card.reason == reason


@given(bodies, st.sampled_from("0123456789X"))
def test_a_wrong_check_char_is_never_valid(body: str, last: str) -> None:
    card = parse_id_card(body + last, today=TODAY)
    if last != check_char(body):
        assert not card.valid
    assert card.valid == (card.reason is None)


@given(
    st.sampled_from(sorted(REGION_CODES)),
    st.dates(min_value=date(1900, 1, 1), max_value=TODAY),
    st.text(alphabet="0123456789", min_size=3, max_size=3),
)
def test_every_well_formed_number_is_valid(region: str, born: date, seq: str) -> None:
    card = parse_id_card(valid_number(region, born, seq), today=TODAY)
    assert card.valid, card.reason
    assert card.birth_date == born
    assert card.sex == ("M" if int(seq[2]) % 2 else "F")


@given(st.text(max_size=40))
def test_never_raises_and_key_has_no_whitespace(raw: str) -> None:
    card = parse_id_card(raw, today=TODAY)
    assert not any(ch.isspace() for ch in card.key)
    assert card.valid == (card.reason is None)


@pytest.mark.parametrize("region", [
    "110103",  # Chongwen district, Beijing: merged away in 2010, its people keep the code
    "510116",  # Shuangliu district, Chengdu since 2016: someone born in 1950 moved in later
    "510100",  # a prefecture's own code
    "810000", "820000", "830000",  # residence permits of Hong Kong, Macao, Taiwan residents
])
def test_any_region_code_that_ever_existed_is_valid(region: str) -> None:
    card = parse_id_card(valid_number(region, date(1950, 2, 3)), today=TODAY)
    assert card.valid, card.reason
    assert card.region == region


def test_region_list_is_the_national_one() -> None:
    assert 6_000 <= len(REGION_CODES) <= 8_000
    assert {"510104", "440106", "650102"} <= REGION_CODES
    assert not {"511099", "990101", "000000"} & REGION_CODES
