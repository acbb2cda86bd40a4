"""The registration record: parsing, normalisation, flags, keys, hashes and quarantine reasons."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from types import SimpleNamespace
from typing import Any

import orjson
import pytest
from hypothesis import given
from hypothesis import strategies as st

from scalpernet.ingest.rows import parse_row
from scalpernet.records import (
    ALIASES,
    CST,
    FIELD_CAP,
    FIELDS,
    REQUIRED,
    RecordError,
    canonical_field,
    parse_datetime,
    parse_fee,
    parse_status,
)

TODAY = date(2026, 1, 1)


def row(**over: str) -> dict[str, str]:
    """A complete, valid contract row; keyword arguments replace fields."""
    base = {
        "registration_id": "R0001", "hospital": "H01", "department": "心内科",
        "doctor": "D007", "slot_time": "2025-03-05 08:00:00",
        "released_at": "2025-02-26 18:00:00", "booked_at": "2025-02-26 18:00:00.020",
        "paid_at": "2025-02-26 18:00:31", "status": "booked", "cancelled_at": "",
        "fee_yuan": "300", "patient_name": "王芳", "id_number": "11010519491231002X",
        "phone": "13800138000", "visit_card": "V123", "account_id": "A1", "device_id": "DEV1",
        "ip": "58.30.1.2", "payer_account": "pay001", "payer_channel": "alipay",
        "escort_agent_id": "", "escort_agent_name": "", "escort_agent_phone": "",
    }
    base.update(over)
    return base


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_record(values: dict[str, str], **kw: Any) -> SimpleNamespace:
    """The validated row, datetimes as aware datetimes, the fee as a Decimal."""
    got = parse_row(values, today=TODAY, **kw)
    for name in ("slot_time", "released_at", "booked_at", "paid_at", "cancelled_at"):
        if got[name] is not None:
            got[name] = (_EPOCH + timedelta(microseconds=got[name])).astimezone(CST)
    got["fee_yuan"] = None if got["fee_yuan"] is None else Decimal(got["fee_yuan"])
    got["flags"] = tuple(got["flags"])
    got["extra"] = orjson.loads(got["extra"]) if got["extra"] else {}
    return SimpleNamespace(**got)


def parse(**over: str) -> SimpleNamespace:
    return parse_record(row(**over))


def reason(**over: str) -> str:
    with pytest.raises(RecordError) as info:
        parse(**over)
    return info.value.code


def test_a_clean_row_is_normalised() -> None:
    rec = parse(**{"note": " walk-in "})
    assert rec.key == "H01|R0001"
    assert rec.patient == "11010519491231002X|王芳"
    assert rec.booked_at == datetime(2025, 2, 26, 18, 0, 0, 20_000, tzinfo=CST)
    assert rec.booked_at.utcoffset() == timedelta(hours=8)
    assert rec.latency_ms == 20
    assert rec.status == "booked"
    assert rec.fee_yuan == Decimal("300")
    assert rec.id_valid and rec.phone == "13800138000"
    assert rec.ip == "58.30.1.2"
    assert rec.payer_channel == "alipay"
    assert rec.flags == ()
    assert rec.extra == {"note": "walk-in"}
    assert rec.agent is None and rec.cancelled_at is None


def test_latency_is_none_without_release_time() -> None:
    assert parse(released_at="").latency_ms is None


def test_booking_before_release_is_flagged_not_refused() -> None:
    rec = parse(released_at="2025-02-26 18:00:01")
    assert rec.latency_ms == -980
    assert "booked_before_release" in rec.flags


@pytest.mark.parametrize(
    ("over", "flag"),
    [
        ({"id_number": "110105194912310021"}, "invalid_id:bad_check_digit"),
        ({"id_number": "123"}, "invalid_id:bad_length"),
        ({"id_number": "110105491231002"}, "legacy_id"),
        ({"patient_name": "561"}, "junk_name:digits_only"),
        ({"patient_name": "测试"}, "junk_name:test_word"),
        ({"phone": "170 1234 5678"}, "virtual_phone"),
        ({"phone": "无"}, "bad_phone"),
        ({"phone": "12345"}, "unknown_phone"),
        ({"escort_agent_phone": "16512345678"}, "agent_virtual_phone"),
        ({"ip": "not-an-ip"}, "bad_ip"),
        ({"ip": "192.168.1.20"}, "private_ip"),
        ({"ip": "100.64.3.4"}, "private_ip"),
    ],
)
def test_evidence_is_kept_as_flags(over: dict[str, str], flag: str) -> None:
    rec = parse(**over)
    assert flag in rec.flags
    assert list(rec.flags) == sorted(rec.flags)


def test_bad_ip_keeps_the_raw_text_and_no_key() -> None:
    rec = parse(ip=" 999.1.1.1 ")
    assert rec.ip is None and rec.ip_raw == "999.1.1.1"


def test_patient_key_uses_the_normalised_name() -> None:
    assert parse(patient_name=" 王\u3000芳 ").patient == "11010519491231002X|王芳"
    assert parse(id_number="11010519491231002x").patient.startswith("11010519491231002X|")


@pytest.mark.parametrize(
    ("text", "status"),
    [("booked", "booked"), ("BOOKED", "booked"), ("已预约", "booked"), ("已挂号", "booked"),
     ("预约成功", "booked"), ("已取消", "cancelled"), ("取消", "cancelled"),
     ("Canceled", "cancelled"), ("已就诊", "attended"), ("已到诊", "attended"),
     ("attended", "attended"), ("爽约", "no_show"), ("未就诊", "no_show"),
     ("未到诊", "no_show"), ("No-Show", "no_show"), ("no show", "no_show"),
     (" noshow ", "no_show")],
)
def test_status_vocabulary(text: str, status: str) -> None:
    assert parse_status(text) == status
    assert parse(status=text).status == status


@pytest.mark.parametrize(("text", "value"), [
    ("300", "300"), ("¥1,200.50", "1200.50"), ("￥300", "300"), ("300元", "300"),
    ("1，200 元", "1200"), ("RMB 88.8", "88.8"), ("0", "0"),
])
def test_fee_spellings(text: str, value: str) -> None:
    assert parse_fee(text) == Decimal(value)


@given(st.decimals(min_value=0, max_value=10**8, places=2, allow_nan=False))
def test_fee_round_trips_with_currency_and_grouping(value: Decimal) -> None:
    assert parse_fee(f"¥{value:,}元") == value


@pytest.mark.parametrize("text", ["-5", "abc", "1e5", "NaN", "Infinity", "1.2.3", "12345678901"])
def test_bad_fee_is_quarantined(text: str) -> None:
    assert reason(fee_yuan=text) == "bad_fee"


@pytest.mark.parametrize(("text", "expected"), [
    ("2025-02-26 18:00:00", datetime(2025, 2, 26, 18, tzinfo=CST)),
    ("2025-02-26T18:00:00.123", datetime(2025, 2, 26, 18, 0, 0, 123_000, tzinfo=CST)),
    ("2025/02/26 18:00:00.5", datetime(2025, 2, 26, 18, 0, 0, 500_000, tzinfo=CST)),
    ("2025/2/6 8:05", datetime(2025, 2, 6, 8, 5, tzinfo=CST)),
    ("2025年2月6日 08:05:09", datetime(2025, 2, 6, 8, 5, 9, tzinfo=CST)),
    ("2025-02-26T10:00:00Z", datetime(2025, 2, 26, 18, tzinfo=CST)),
    ("2025-02-26T18:00:00+08:00", datetime(2025, 2, 26, 18, tzinfo=CST)),
    ("2025-02-26", datetime(2025, 2, 26, tzinfo=CST)),
])
def test_datetime_spellings(text: str, expected: datetime) -> None:
    value = parse_datetime(text)
    assert value == expected
    assert value.utcoffset() == timedelta(hours=8)


@given(st.datetimes(min_value=datetime(1971, 1, 1), max_value=datetime(2099, 1, 1)),
       st.integers(min_value=-12 * 60, max_value=14 * 60))
def test_datetime_instant_is_kept_and_shown_in_cst(naive: datetime, minutes: int) -> None:
    naive = naive.replace(microsecond=naive.microsecond // 1000 * 1000)
    assert parse_datetime(naive.isoformat(sep=" ", timespec="milliseconds")) == \
        naive.replace(tzinfo=CST)
    aware = naive.replace(tzinfo=timezone(timedelta(minutes=minutes)))
    value = parse_datetime(aware.isoformat())
    assert value == aware and value.utcoffset() == timedelta(hours=8)


@pytest.mark.parametrize("field", ["slot_time", "booked_at", "released_at", "paid_at",
                                   "cancelled_at"])
@pytest.mark.parametrize("text", ["2025-02-30 10:00", "yesterday", "0001-01-01 00:00:00",
                                  "45678.5", "2025-13-01"])
def test_bad_datetime_names_the_field(field: str, text: str) -> None:
    assert reason(**{field: text}) == f"bad_datetime:{field}"


@pytest.mark.parametrize("field", REQUIRED)
def test_missing_required_names_the_field(field: str) -> None:
    assert reason(**{field: "  "}) == f"missing_required:{field}"


def test_bad_status_is_quarantined() -> None:
    assert reason(status="maybe") == "bad_status"


@pytest.mark.parametrize("field", ["registration_id", "hospital", "id_number", "phone",
                                   "patient_name", "payer_account"])
def test_control_characters_in_key_fields_are_quarantined(field: str) -> None:
    value = row()[field] or "x"
    assert reason(**{field: value[:2] + "\x00" + value[2:]}) == f"control_characters:{field}"


def test_tabs_and_line_breaks_in_free_text_are_data() -> None:
    rec = parse(department="心内\t科\n二病区")
    assert rec.department == "心内\t科\n二病区"


@pytest.mark.parametrize("text", ["心内\x00科", "\x1b[31m心内科\x1b[0m", "心内科\x7f", "a\x85b"])
def test_nul_and_ansi_escapes_in_any_field_are_quarantined(text: str) -> None:
    assert reason(department=text) == "control_characters:department"
    with pytest.raises(RecordError) as info:
        parse_record({**row(), "remark": text})
    assert info.value.code == "control_characters:remark"


def test_a_field_over_the_cap_is_quarantined_even_in_extra_columns() -> None:
    assert reason(department="x" * (FIELD_CAP + 1)) == "field_too_large"
    with pytest.raises(RecordError) as info:
        parse_record({**row(), "remark": "y" * (FIELD_CAP + 1)})
    assert info.value.code == "field_too_large" and "remark" in info.value.message


@pytest.mark.parametrize("text", ["'; MATCH (n) DETACH DELETE n //", "<script>alert(1)</script>",
                                  "Robert'); DROP TABLE students;--", "${jndi:ldap://x}"])
def test_injection_strings_are_plain_data(text: str) -> None:
    rec = parse(department=text, doctor=text, registration_id=text)
    assert rec.department == text and rec.key == f"H01|{text}"


def test_unknown_payer_channel_is_other_and_the_text_kept() -> None:
    rec = parse(payer_channel="数字人民币")
    assert rec.payer_channel == "other"
    assert rec.extra["payer_channel_as_given"] == "数字人民币"
    assert parse(payer_channel="微信支付").payer_channel == "wechat"


def test_content_hash_ignores_spelling_and_source_but_not_content() -> None:
    a = parse_record(row(), source_file="a.csv", source_line=2)
    b = parse_record(row(booked_at="2025/02/26 10:00:00.02Z".replace("/", "-"),
                         phone="+86 138-0013-8000", patient_name="王 芳", status="已预约",
                         fee_yuan="¥300", id_number="11010519491231002x"),
                     source_file="b.jsonl", source_line=99)
    assert a.content_hash == b.content_hash
    assert parse(status="cancelled").content_hash != a.content_hash
    assert parse(booked_at="2025-02-26 18:00:00.021").content_hash != a.content_hash
    assert parse(**{"note": "x"}).content_hash != a.content_hash


@given(st.text(alphabet=st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1,
               max_size=30).filter(str.strip))
def test_any_registration_id_keeps_its_text(reg: str) -> None:
    rec = parse(registration_id=reg)
    assert rec.registration_id == reg.strip()
    assert len(rec.content_hash) == 32


CONTRACT_ALIASES = {
    "registration_id": ["挂号单号", "流水号"], "hospital": ["医院"], "department": ["科室"],
    "doctor": ["医生"], "slot_time": ["就诊时间"], "released_at": ["放号时间"],
    "booked_at": ["下单时间", "挂号时间"], "paid_at": ["支付时间"], "status": ["状态"],
    "cancelled_at": ["取消时间"], "fee_yuan": ["金额", "挂号费"],
    "patient_name": ["患者姓名", "姓名"], "id_number": ["身份证号"],
    "phone": ["手机号", "联系电话"], "visit_card": ["就诊卡号"], "account_id": ["账号", "用户ID"],
    "device_id": ["设备号"], "ip": ["IP地址", "IP"], "payer_account": ["支付账号"],
    "payer_channel": ["支付渠道"], "escort_agent_id": ["陪诊员编号"],
    "escort_agent_name": ["陪诊员姓名"], "escort_agent_phone": ["陪诊员电话"],
}


@pytest.mark.parametrize(("field", "alias"),
                         [(f, a) for f, aliases in CONTRACT_ALIASES.items() for a in aliases])
def test_every_contract_alias_maps(field: str, alias: str) -> None:
    assert canonical_field(alias) == field
    assert canonical_field(f" \ufeff{alias} ") == field


def test_every_field_has_aliases_and_canonical_names_map_to_themselves() -> None:
    assert set(CONTRACT_ALIASES) == set(FIELDS) == set(ALIASES)
    for name in FIELDS:
        assert canonical_field(name) == name
        assert canonical_field(name.upper().replace("_", " ")) == name
    assert canonical_field("备注") is None


def test_aware_values_of_any_zone_give_one_instant() -> None:
    utc = parse(booked_at="2025-02-26T10:00:00.020+00:00").booked_at
    assert utc == datetime(2025, 2, 26, 10, 0, 0, 20_000, tzinfo=UTC)
    assert utc.utcoffset() == timedelta(hours=8)
