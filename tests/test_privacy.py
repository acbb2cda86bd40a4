"""Masks hide what analysts and logs may not see, and keep what they may."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from scalpernet.privacy import mask_id_number, mask_key, mask_phone, mask_uid


def test_contract_examples() -> None:
    assert mask_id_number("510107199001011234") == "510107********1234"
    assert mask_id_number("51010719900101123X") == "510107********123X"
    assert mask_phone("13812345678") == "138****5678"
    assert mask_key("patient", "510107199001011234|张三") == "510107********1234|张三"
    assert mask_key("payer", "alipay-1") == "alipay-1"
    assert mask_uid("phone:13812345678") == "phone:138****5678"


@given(st.text(alphabet="0123456789X", min_size=0, max_size=24))
def test_id_masks_hide_the_birth_date_and_keep_the_length(value: str) -> None:
    masked = mask_id_number(value)
    assert len(masked) == len(value)
    if len(value) == 18:
        assert masked[6:14] == "*" * 8


@given(st.text(alphabet="0123456789", min_size=0, max_size=16))
def test_phone_masks_show_at_most_seven_digits_of_a_mobile_and_four_otherwise(value: str) -> None:
    masked = mask_phone(value)
    assert len(masked) == len(value)
    shown = sum(ch.isdigit() for ch in masked)
    assert shown <= (7 if len(value) == 11 else 4)
