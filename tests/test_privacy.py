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
    assert mask_key("account", "13144808824") == "131****8824"  # by content, any kind
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


@given(st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True), st.sampled_from(["", "-", " "]),
       st.sampled_from(["", "tel ", "联系电话：", "+86 ", "+86-"]))
def test_free_text_masks_phones_however_they_are_written(phone: str, sep: str,
                                                         before: str) -> None:
    from scalpernet.privacy import mask_text

    written = f"{before}{phone[:3]}{sep}{phone[3:7]}{sep}{phone[7:]} 转客服"
    assert mask_text(written) == f"{before}{phone[:3]}****{phone[7:]} 转客服"


def test_free_text_masks_landlines_and_leaves_times_and_amounts() -> None:
    from scalpernet.privacy import mask_text

    assert mask_text("office 010-8765-4321") == "office 010****4321"
    assert mask_text("desk 0755 12345678").endswith("5678")
    assert "1234" not in mask_text("desk 0755 12345678")
    for text in ("booked 2026-03-01 18:00:01.229", "fee ¥1,200", "order 2024-1234",
                 "key H01|H0120250303000001"):
        assert mask_text(text) == text
