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


# -- masking by content: identifiers planted in every format ------------------------------
ID_NUMBERS = st.from_regex(r"[1-6][0-9]{5}(19[0-9]{2}|20[0-2][0-9])(0[1-9]|1[0-2])"
                           r"(0[1-9]|[12][0-9])[0-9]{3}[0-9X]", fullmatch=True)
MOBILES = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
_FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")


def _written(kind: str, value: str, style: str) -> str:
    """`value` as exports and people write it."""
    if kind == "phone":
        a, b, c = value[:3], value[3:7], value[7:]
        return {"plain": value, "dashes": f"{a}-{b}-{c}", "dots": f"{a}.{b}.{c}",
                "spaces": f"{a} {b} {c}", "plus86": f"+86 {a} {b} {c}",
                "plus86-tight": f"+86{value}", "0086": f"0086-{value}",
                "full-width": value.translate(_FULL_WIDTH)}[style]
    a, b, c = value[:6], value[6:14], value[14:]
    return {"plain": value, "dashes": f"{a}-{b}-{c}", "dots": value, "spaces": f"{a} {b} {c}",
            "plus86": value.lower(), "plus86-tight": f"{a} {b[:4]} {b[4:]} {c}",
            "0086": value, "full-width": value.translate(_FULL_WIDTH)}[style]


STYLES = ["plain", "dashes", "dots", "spaces", "plus86", "plus86-tight", "0086", "full-width"]
#: Around a planted value: letters run into it, a Chinese name, field syntax — no digit.
SURROUNDINGS = st.text(alphabet=st.sampled_from(list("IDabcxyz王五张三李四 _|:/#()（）,;=-")),
                       max_size=8)


def _digits_of(text: str) -> str:
    return "".join(ch for ch in text.translate(str.maketrans("０１２３４５６７８９", "0123456789"))
                   if ch.isdigit())


@given(st.sampled_from(["id_card", "phone"]).flatmap(
           lambda kind: st.tuples(st.just(kind), ID_NUMBERS if kind == "id_card" else MOBILES)),
       st.sampled_from(STYLES), SURROUNDINGS, SURROUNDINGS,
       st.sampled_from(["id_card", "phone", "patient", "account", "payer", "device",
                        "escort_agent", "ip", "text"]))
def test_no_planted_identifier_survives_in_any_field(planted: tuple[str, str], style: str,
                                                     before: str, after: str,
                                                     field: str) -> None:
    from scalpernet.privacy import mask_text

    kind, value = planted
    text = f"{before}{_written(kind, value, style)}{after}"
    if field == "text":
        shown = mask_text(text)
    elif field == "patient":
        shown = mask_key("patient", f"11010519491231002X|{text}")
    else:
        shown = mask_key(field, text)
    # whatever the surroundings, no more of the number shows than its mask does
    assert value.upper() not in _digits_of(shown).upper()
    hidden = value[6:14] if kind == "id_card" else value[3:7]
    visible = _digits_of(mask_key(kind, value.upper()))  # what the mask itself shows
    if hidden not in visible:
        assert hidden not in _digits_of(shown)
    assert mask_text(shown) == shown  # masking twice changes nothing


@given(st.recursive(st.one_of(st.text(max_size=20), st.integers(-(2**63), 2**63 - 1), MOBILES,
                              ID_NUMBERS),
                    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(
                        st.text(max_size=5) | MOBILES, inner, max_size=4), max_leaves=12))
def test_nested_values_are_masked_throughout(value: object) -> None:
    import orjson

    from scalpernet.privacy import mask_value

    shown = orjson.dumps(mask_value(value)).decode()
    for raw in _planted_in(value):
        assert raw not in shown


def _planted_in(value: object) -> list[str]:
    import re

    text = str(value)
    return re.findall(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])", text)


def test_integers_that_read_as_phones_are_masked() -> None:
    from scalpernet.privacy import mask_value

    assert mask_value({"电话": 13144808824, "count": 12}) == {"电话": "131****8824", "count": 12}


def test_issue_examples() -> None:
    from scalpernet.privacy import mask_text

    assert mask_text("ID500101193907136410") == "ID500101********6410"
    assert mask_text("王五13144808824") == "王五131****8824"
    assert mask_text("131.4480.8824") == "131****8824"
    assert mask_text("+86 131 4480 8824") == "+86 131****8824"
    assert mask_key("patient", "500101193907136410|王五13144808824") == (
        "500101********6410|王五131****8824")
    # IP addresses are not phones, though some have eleven digits
    assert mask_text("139.123.145.67") == "139.123.145.67"


# -- opaque references: AES-SIV --------------------------------------------------------------
def test_aes_siv_matches_rfc_5297_vectors() -> None:
    """The construction the references use, checked against RFC 5297 appendix A."""
    from cryptography.hazmat.primitives.ciphers.aead import AESSIV

    # A.1: deterministic authenticated encryption
    key = bytes.fromhex("fffefdfcfbfaf9f8f7f6f5f4f3f2f1f0f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff")
    ad = bytes.fromhex("101112131415161718191a1b1c1d1e1f2021222324252627")
    plain = bytes.fromhex("112233445566778899aabbccddee")
    sealed = AESSIV(key).encrypt(plain, [ad])
    assert sealed.hex() == ("85632d07c6e8f37f950acd320a2ecc93"
                            "40c02b9690c4dc04daef7f6afe5c")
    assert AESSIV(key).decrypt(sealed, [ad]) == plain
    # A.2: nonce-based, several associated data (the nonce is the last one)
    key = bytes.fromhex("7f7e7d7c7b7a79787776757473727170404142434445464748494a4b4c4d4e4f")
    ad1 = bytes.fromhex("00112233445566778899aabbccddeeffdeaddadadeaddadaffeeddccbbaa9988"
                        "7766554433221100")
    ad2 = bytes.fromhex("102030405060708090a0")
    nonce = bytes.fromhex("09f911029d74e35bd84156c5635688c0")
    plain = bytes.fromhex("7468697320697320736f6d6520706c61696e7465787420746f20656e63727970"
                          "74207573696e67205349562d414553")
    assert AESSIV(key).encrypt(plain, [ad1, ad2, nonce]).hex() == (
        "7bdb6e3b432667eb06f4d14bff2fbd0fcb900f2fddbe404326601965c889bf17"
        "dba77ceb094fa663b7a3f748ba8af829ea64ad544a272e9c485b62a3fd5c0d")


def _keyring(tmp_path):  # type: ignore[no-untyped-def]
    from scalpernet.privacy import load_ref_keyring

    return load_ref_keyring(tmp_path / "ref-keys.json")


def test_references_are_stable_authenticated_and_letters_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from scalpernet.privacy import RefCipher

    cipher = RefCipher(_keyring(tmp_path))
    ref = cipher.encode("phone:13812345678")
    assert ref == RefCipher(_keyring(tmp_path)).encode("phone:13812345678")  # same file
    assert ref.startswith("ref_") and ref[4:].isalpha()
    assert cipher.decode(ref) == "phone:13812345678"
    for i in range(4, len(ref)):  # any changed character fails authentication
        changed = ref[:i] + ("B" if ref[i] != "B" else "C") + ref[i + 1:]
        assert cipher.decode(changed) is None
    assert (tmp_path / "ref-keys.json").stat().st_mode & 0o777 == 0o600


def test_rotation_keeps_old_references_for_the_grace_period(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime, timedelta

    from scalpernet.privacy import RefCipher, rotate_ref_keys

    old = RefCipher(_keyring(tmp_path))
    old_ref = old.encode("ip:10.0.0.1")
    rotated = rotate_ref_keys(tmp_path / "ref-keys.json", grace=timedelta(days=7))
    new = RefCipher(rotated)
    new_ref = new.encode("ip:10.0.0.1")
    assert new_ref != old_ref and new.decode(new_ref) == "ip:10.0.0.1"
    assert new.decode(old_ref) == "ip:10.0.0.1"  # within the grace period
    later = datetime.now(UTC) + timedelta(days=8)
    assert new.decode(old_ref, now=later) is None and new.decode(new_ref, now=later)
    # a second rotation after the grace period drops the expired key
    again = RefCipher(rotated.rotated(timedelta(days=1), now=later))
    assert [k.id for k in again.keyring.keys] == [2, 3]
