"""Analysts' pages mask ID numbers and phones wherever they appear, investigators' do not."""

from __future__ import annotations

from scalpernet.views.masking import IdentifierMask

ID_NUMBER = "510107199001011234"
PHONE = "13812345678"
ODD_ID = "51010719900101"  # 14 digits: no shape rule takes it for an ID number


def test_keys_are_masked_by_kind() -> None:
    mask = IdentifierMask(True)
    assert mask.key("id_card", ID_NUMBER) == "510107********1234"
    assert mask.key("phone", PHONE) == "138****5678"
    assert mask.key("patient", f"{ID_NUMBER}|张三") == "510107********1234|张三"
    assert mask.key("payer", "alipay-8812") == "alipay-8812"


def test_free_text_is_masked_by_shape_and_by_the_network_own_keys() -> None:
    mask = IdentifierMask(True, [("id_card", ODD_ID), ("payer", "alipay-88121234")])
    text = f"called {PHONE} for {ID_NUMBER}; card {ODD_ID}; paid by alipay-88121234"
    assert mask.text(text) == ("called 138****5678 for 510107********1234; "
                               "card 51**********01; paid by alipay-88121234")


def test_nested_evidence_is_masked_keys_and_values() -> None:
    mask = IdentifierMask(True)
    evidence = {"phones": [PHONE, {"again": PHONE}], PHONE: 3, "count": 7}
    assert mask.value(evidence) == {"phones": ["138****5678", {"again": "138****5678"}],
                                    "138****5678": 3, "count": 7}


def test_an_unmasked_viewer_sees_everything_unchanged() -> None:
    mask = IdentifierMask(False, [("id_card", ODD_ID)])
    evidence = {"phone": PHONE, "card": ODD_ID}
    assert mask.value(evidence) == evidence
    assert mask.text(f"{ID_NUMBER} {PHONE}") == f"{ID_NUMBER} {PHONE}"
    assert mask.key("phone", PHONE) == PHONE
