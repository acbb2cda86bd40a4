"""Analysts never see a full ID number or phone, and reach them only through opaque references."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from scalpernet.privacy import RefCipher, RefKey, RefKeyring

if TYPE_CHECKING:
    from tests.api.conftest import Api

#: Every personal identifier in world.cypher, including one inside free text.
RAW = ["11010519491231002X", "510107199013011234", "510107199001011234", "440301198506060018",
       "17012345678", "13900002222", "13812345678", "13700001111", "13912345678"]
P1 = "11010519491231002X|张三"

#: Routes as an analyst reaches them: personal entities by reference ({kind:key} below).
ROUTES = [
    "/networks", "/networks/n-gang", "/networks/n-wifi", "/entities/ip/203.0.113.7",
    "/entities/id_card/{id_card:510107199013011234}", "/entities/phone/{phone:13812345678}",
    f"/entities/patient/{{patient:{P1}}}", "/entities/payer/alipay-8812/neighbours",
    "/entities/ip/10.0.0.1/neighbours", "/entities/escort_agent/A9/neighbours",
    f"/entities/patient/{{patient:{P1}}}/registrations",
    "/entities/payer/alipay-8812/registrations",
    "/paths?source=ip:203.0.113.7&target=ip:10.0.0.1&max_hops=6",
    "/search?q={phone:13812345678}", "/search?q=张", "/search?q=A",
    "/entities/payer/alipay-8812?explain=true",
]


def with_refs(api: Api, route: str) -> str:
    """`route` with each ``{kind:key}`` replaced by that entity's reference."""
    import re

    return re.sub(r"\{(\w+):([^}]+)\}", lambda m: api.ref(m[1], m[2]), route)


@pytest.mark.parametrize("route", ROUTES)
def test_analysts_see_no_full_identifier(api: Api, route: str) -> None:
    response = api.get(with_refs(api, route), role="analyst")
    assert response.status_code == 200
    leaked = [raw for raw in RAW if raw in response.text]
    assert leaked == []


@pytest.mark.parametrize("route", [r for r in ROUTES if "patient" in r or "phone" in r
                                   or "id_card" in r or r.endswith("n-gang")])
def test_investigators_see_them(api: Api, route: str) -> None:
    text = api.get(with_refs(api, route), role="investigator").text
    assert any(raw in text for raw in RAW)


@pytest.mark.parametrize("route", [
    "/entities/id_card/510107199013011234", "/entities/phone/13812345678",
    "/entities/phone/1381234567", f"/entities/patient/{P1}/registrations",
    "/entities/account/13144808824", "/entities/payer/alipay-131.4480.8824",
    "/entities/phone/13812345678/neighbours",
    "/paths?source=phone:13812345678&target=ip:10.0.0.1",
    "/search?q=13812345678&mode=exact", "/search?q=ID510107199013011234",
])
def test_analysts_may_not_name_an_entity_by_a_personal_value(api: Api, route: str) -> None:
    """Whether such a key exists would be a yes/no oracle for the masked digits."""
    response = api.get(route, role="analyst")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "reference_required"
    assert [raw for raw in RAW if raw in response.text] == []


def test_masks_follow_the_contract_examples(api: Api) -> None:
    ref = api.ref("id_card", "510107199013011234")
    body = api.get(f"/entities/id_card/{ref}", role="analyst").json()
    assert body["entity"]["key"] == "510107********1234"
    assert body["entity"]["uid"] == "id_card:510107********1234"
    ref = api.ref("phone", "13812345678")
    phone = api.get(f"/entities/phone/{ref}", role="analyst").json()["entity"]
    assert phone["key"] == "138****5678"
    # the birth date is the masked part of the number: it is withheld too
    ref = api.ref("id_card", "11010519491231002X")
    card = api.get(f"/entities/id_card/{ref}", role="analyst").json()
    assert "birth_date" not in card["entity"]["properties"]
    full = api.get("/entities/id_card/11010519491231002X", role="investigator").json()
    assert full["entity"]["properties"]["birth_date"] == "1949-12-31"


def test_free_text_is_masked_for_analysts(api: Api) -> None:
    members = api.get("/networks/n-gang", role="analyst").json()["members"]
    payer = next(m for m in members if m["kind"] == "payer")
    assert payer["evidence"]["note"] == "pays for 510107********1234 and 170****5678"
    assert payer["evidence"]["patients"] == ["patient:510107********1234|561"]
    regs = api.get(f"/entities/patient/{api.ref('patient', P1)}/registrations",
                   role="analyst").json()
    first = regs["registrations"][0]
    assert first["extra"] == {"备注": "call 139****5678 first"}
    assert first["visit_card"] != "VCR19876" and first["visit_card"].endswith("9876")


def test_analysts_navigate_by_reference(api: Api) -> None:
    network = api.get("/networks/n-gang", role="analyst").json()
    patient = next(m for m in network["members"] if m["uid"].startswith("patient:") and
                   m["key"].endswith("561"))
    assert "*" in patient["key"]
    summary = api.get(f"/entities/patient/{patient['ref']}", role="analyst").json()
    assert summary["entity"]["ref"] == patient["ref"]
    assert summary["registrations"]["total"] == 2
    assert [f["name"] for f in summary["flags"]] == ["junk_name"]
    around = api.get(f"/entities/patient/{patient['ref']}/neighbours?kinds=id_card",
                     role="analyst").json()
    card = around["neighbours"][0]
    assert card["key"] == "510107********1234"
    card_summary = api.get(f"/entities/id_card/{card['ref']}", role="analyst").json()
    assert card_summary["flags"][0]["name"] == "invalid_id_number"
    by_search = api.get(f"/search?q={card['ref']}", role="analyst").json()
    assert [r["matched"] for r in by_search["results"]] == ["ref"]


def test_a_reference_is_stable_and_reveals_nothing(api: Api) -> None:
    one = api.ref("phone", "13812345678")
    two = api.get(f"/entities/phone/{one}", role="analyst").json()["entity"]["ref"]
    assert one == two and "13812345678" not in one and "5678" not in one
    assert not any(ch.isdigit() for ch in one)  # no mask can ever touch it


def test_a_forged_or_tampered_reference_finds_nothing(api: Api) -> None:
    ref = api.ref("phone", "13812345678")
    tampered = ref[:-2] + ("AA" if not ref.endswith("AA") else "BB")
    assert api.get(f"/entities/phone/{tampered}", role="analyst").status_code == 404
    forged = RefCipher(RefKeyring((RefKey(1, b"\x00" * 64, datetime.now(UTC)),))).encode(
        "phone:13812345678")
    response = api.get(f"/entities/phone/{forged}", role="analyst")
    assert response.status_code == 404 and forged not in response.text


def test_a_reference_for_another_kind_is_refused(api: Api) -> None:
    ref = api.ref("phone", "13812345678")
    response = api.get(f"/entities/ip/{ref}", role="analyst")
    assert response.status_code == 400
    assert response.json()["error"] == {"code": "ref_kind_mismatch",
                                        "message": "this reference names a phone, not a ip"}


def test_explain_parameters_are_masked_for_analysts(api: Api) -> None:
    ref = api.ref("phone", "13812345678")
    body = api.get(f"/entities/phone/{ref}?explain=true", role="analyst").json()
    params = [q["parameters"] for q in body["explain"]["queries"]]
    assert {"uids": ["phone:138****5678"]} in params
    full = api.get("/entities/phone/13812345678?explain=true", role="investigator").json()
    assert {"uids": ["phone:13812345678"]} in [q["parameters"] for q in
                                                full["explain"]["queries"]]
