"""GET /entities/{kind}/{key}: summary, one-hop neighbourhood and timeline of one entity."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api

P1 = "11010519491231002X|张三"


def test_summary_of_the_bot_ip(api: Api) -> None:
    body = api.get("/entities/ip/203.0.113.7").json()
    assert body["entity"]["uid"] == "ip:203.0.113.7"
    assert body["entity"]["properties"] == {"version": 4, "private": False}
    regs = body["registrations"]
    assert regs["total"] == 6 and regs["departments"] == 1 and regs["doctors"] == 1
    assert regs["first_booked_at"] == "2026-03-02T18:00:00.021000+08:00"
    assert regs["last_booked_at"] == "2026-03-02T18:00:00.060000+08:00"
    assert {h["hospital"]: h["registrations"] for h in regs["hospitals"]} == {"H1": 3, "H2": 3}
    assert {s["status"]: s["registrations"] for s in regs["statuses"]} == {
        "attended": 2, "booked": 2, "cancelled": 1, "no_show": 1}
    latency = regs["latency_ms"]
    assert (latency["count"], latency["min"], latency["max"], latency["under_1s"]) == (
        6, 21, 60, 6)
    assert latency["p50"] == 33
    assert body["networks"] == [{"network": "n-gang", "risk": 0.95, "role": "technician",
                                 "score": 0.99, "signals": [{"name": "bot_latency_p50_ms",
                                                             "value": 37.0,
                                                             "detail": "6 bookings"}],
                                 "evidence": body["networks"][0]["evidence"]}]
    assert body["flags"] == []


def test_an_id_card_counts_the_registrations_of_its_patients(api: Api) -> None:
    body = api.get("/entities/id_card/510107199013011234").json()
    assert body["registrations"]["total"] == 2
    assert body["flags"] == [{"name": "invalid_id_number", "detail": "bad_birth_date"}]


@pytest.mark.parametrize("kind, key, flag", [
    ("phone", "17012345678", "virtual_phone"),
    ("patient", "510107199013011234|561", "junk_name"),
    ("ip", "10.0.0.1", "private_ip"),
])
def test_flags_from_the_entity(api: Api, kind: str, key: str, flag: str) -> None:
    assert flag in [f["name"] for f in api.get(f"/entities/{kind}/{key}").json()["flags"]]


@pytest.mark.parametrize("kind, typed, key", [
    ("phone", "+86 138-1234-5678", "13812345678"),
    ("id_card", " 11010519491231002x ", "11010519491231002X"),
    ("patient", "11010519491231002x| 张 三", P1),
])
def test_keys_are_normalised_like_ingestion(api: Api, kind: str, typed: str, key: str) -> None:
    response = api.get(f"/entities/{kind}/{typed}")
    assert response.status_code == 200 and response.json()["entity"]["key"] == key


def test_unknown_entity_is_404(api: Api) -> None:
    response = api.get("/entities/payer/nobody")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found",
                                        "message": "no payer entity with key nobody"}
    for suffix in ("neighbours", "registrations"):
        assert api.get(f"/entities/payer/nobody/{suffix}").status_code == 404


def test_unknown_kind_is_422_naming_the_kinds(api: Api) -> None:
    response = api.get("/entities/wallet/x")
    assert response.status_code == 422
    assert "kind" in response.json()["error"]["message"]
    assert "escort_agent" in response.json()["error"]["message"]


def test_neighbourhood_counts_first_then_nodes(api: Api) -> None:
    body = api.get("/entities/payer/alipay-8812/neighbours").json()
    assert body["registrations"] == {"total": 6, "scanned": 6, "complete": True}
    counts = {c["type"]: (c["entities"], c["registrations"]) for c in body["counts"]}
    assert counts == {"FOR": (3, 6), "CONTACT": (2, 6), "FROM_IP": (1, 6), "ON_DEVICE": (1, 6),
                      "BY_ACCOUNT": (1, 6), "VIA_AGENT": (1, 6)}
    top = body["neighbours"][0]
    assert top["shared_registrations"] == 6 and top["type"] in counts
    assert body["truncated"] is False and len(body["neighbours"]) == 9


def test_neighbourhood_filters_and_caps(api: Api) -> None:
    body = api.get("/entities/payer/alipay-8812/neighbours?types=FOR&types=CONTACT&limit=2"
                   ).json()
    assert {c["type"] for c in body["counts"]} == {"FOR", "CONTACT"}
    assert len(body["neighbours"]) == 2 and body["truncated"] is True
    only_phones = api.get("/entities/payer/alipay-8812/neighbours?kinds=phone").json()
    assert {n["kind"] for n in only_phones["neighbours"]} == {"phone"}
    assert sorted(n["key"] for n in only_phones["neighbours"]) == ["13900002222", "17012345678"]


def test_neighbourhood_reports_a_partial_scan(api: Api) -> None:
    body = api.get("/entities/payer/alipay-8812/neighbours?scan=2").json()
    assert body["registrations"] == {"total": 6, "scanned": 2, "complete": False}
    assert sum(c["registrations"] for c in body["counts"] if c["type"] == "FOR") == 2


def test_direct_links_are_neighbours(api: Api) -> None:
    body = api.get("/entities/escort_agent/A9/neighbours?types=HAS_PHONE").json()
    assert [(n["type"], n["key"]) for n in body["neighbours"]] == [("HAS_PHONE", "13700001111")]
    card = api.get("/entities/id_card/11010519491231002X/neighbours?types=HAS_ID").json()
    assert [n["key"] for n in card["neighbours"]] == [P1]


@pytest.mark.parametrize("query, fragment", [
    ("types=KNOWS", "types"), ("limit=501", "limit"), ("scan=0", "scan"), ("kinds=wallet", "kinds"),
])
def test_neighbourhood_bad_parameters(api: Api, query: str, fragment: str) -> None:
    response = api.get(f"/entities/payer/alipay-8812/neighbours?{query}")
    assert response.status_code == 422 and fragment in response.json()["error"]["message"]


def test_timeline_in_booking_order_with_linked_entities(api: Api) -> None:
    body = api.get(f"/entities/patient/{P1}/registrations").json()
    assert body["total"] == 3
    assert [r["registration_id"] for r in body["registrations"]] == ["R1", "R4", "R9"]
    first = body["registrations"][0]
    assert first["hospital"] == "H1" and first["latency_ms"] == 21
    assert first["extra"] == {"备注": "call 13912345678 first"}
    linked = {(e["type"], e["uid"]) for e in first["entities"]}
    assert ("PAID_BY", "payer:alipay-8812") in linked and ("FOR", f"patient:{P1}") in linked


def test_timeline_window_order_and_pages(api: Api) -> None:
    url = f"/entities/patient/{P1}/registrations"
    window = api.get(f"{url}?since=2026-03-02T18:00:00.030%2B08:00&until=2026-03-04").json()
    assert window["total"] == 1 and window["registrations"][0]["registration_id"] == "R4"
    newest = api.get(f"{url}?order=desc&limit=2").json()
    assert [r["registration_id"] for r in newest["registrations"]] == ["R9", "R4"]
    page2 = api.get(f"{url}?order=desc&limit=2&offset=2").json()
    assert page2["total"] == 3 and [r["registration_id"] for r in page2["registrations"]] == ["R1"]


def test_timeline_bad_window_is_400(api: Api) -> None:
    response = api.get(f"/entities/patient/{P1}/registrations?since=2026-03-05&until=2026-03-01")
    assert response.status_code == 400
    assert response.json()["error"]["message"] == "since must not be after until"


def test_an_entity_without_registrations_is_found(api: Api) -> None:
    body = api.get("/entities/phone/13700001111").json()
    assert body["registrations"]["total"] == 0 and body["registrations"]["hospitals"] == []
    timeline = api.get("/entities/phone/13700001111/registrations").json()
    assert timeline["total"] == 0 and timeline["registrations"] == []
    around = api.get("/entities/phone/13700001111/neighbours").json()
    assert [(n["type"], n["key"]) for n in around["neighbours"]] == [("HAS_PHONE", "A9")]


def test_an_empty_window_still_finds_the_entity(api: Api) -> None:
    response = api.get(f"/entities/patient/{P1}/registrations?since=2030-01-01")
    assert response.status_code == 200 and response.json()["total"] == 0


def test_booking_instants_keep_their_offset_and_microseconds() -> None:
    from scalpernet.api.responses import render_json
    from scalpernet.api.service import instant

    shown = instant([1772445600, 21_000_999, 28800])  # 2026-03-02T10:00:00Z
    assert render_json(shown) == b'"2026-03-02T18:00:00.021000+08:00"'
    assert render_json(instant([1772445600, 0, 0])) == b'"2026-03-02T10:00:00+00:00"'
    assert instant([None, None, None]) is None
