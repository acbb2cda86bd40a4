"""GET /paths: shortest paths between two entities within a hop limit and through given types."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api

GANG_TO_WIFI = "/paths?source=ip:203.0.113.7&target=ip:10.0.0.1"


def test_two_entities_on_one_registration_are_two_hops_apart(api: Api) -> None:
    body = api.get("/paths?source=ip:203.0.113.7&target=payer:alipay-8812").json()
    assert len(body["paths"]) == 6  # one path through each of the six gang bookings
    path = body["paths"][0]
    assert path["length"] == 2
    assert [n["type"] for n in path["nodes"]] == ["entity", "registration", "entity"]
    assert path["nodes"][1]["hospital"] in ("H1", "H2")
    assert {r["type"] for r in path["relationships"]} == {"FROM_IP", "PAID_BY"}
    # both relationships point from the registration (node 1) to the entities
    assert all(r["from"] == 1 for r in path["relationships"])


def test_the_gang_reaches_the_hospital_wifi_through_patient_p1(api: Api) -> None:
    body = api.get(f"{GANG_TO_WIFI}&max_hops=4").json()
    assert body["paths"] and all(p["length"] == 4 for p in body["paths"])
    middles = {p["nodes"][2]["uid"] for p in body["paths"]}
    assert "patient:11010519491231002X|张三" in middles


def test_no_path_within_fewer_hops(api: Api) -> None:
    body = api.get(f"{GANG_TO_WIFI}&max_hops=3").json()
    assert body["paths"] == [] and body["max_hops"] == 3


def test_types_limit_the_relationships_used(api: Api) -> None:
    body = api.get(f"{GANG_TO_WIFI}&max_hops=6&types=FROM_IP&types=FOR").json()
    assert body["paths"]
    assert all(r["type"] in ("FROM_IP", "FOR") for p in body["paths"]
               for r in p["relationships"])
    assert {p["nodes"][2]["uid"] for p in body["paths"]} == {"patient:11010519491231002X|张三"}
    # contact phones alone do not join the gang to the Wi-Fi
    none = api.get(f"{GANG_TO_WIFI}&max_hops=6&types=FROM_IP&types=CONTACT").json()
    assert none["paths"] == []


def test_limit_caps_the_paths(api: Api) -> None:
    body = api.get("/paths?source=ip:203.0.113.7&target=payer:alipay-8812&limit=2").json()
    assert len(body["paths"]) == 2 and body["truncated"] is True


@pytest.mark.parametrize("query, status, fragment", [
    ("source=ip:203.0.113.7&target=ip:203.0.113.7", 400, "same entity"),
    ("source=ip:203.0.113.7&target=ip:10.0.0.1&max_hops=7", 422, "max_hops"),
    ("source=ip:203.0.113.7&target=ip:10.0.0.1&max_hops=0", 422, "max_hops"),
    ("source=ip:203.0.113.7", 422, "target"),
    ("source=wallet:1&target=ip:10.0.0.1", 422, "source"),
    ("source=ip:203.0.113.7&target=ip:10.0.0.1&types=KNOWS", 422, "types"),
    ("source=ip:203.0.113.7&target=payer:nobody", 404, "target"),
])
def test_bad_requests(api: Api, query: str, status: int, fragment: str) -> None:
    response = api.get(f"/paths?{query}")
    assert response.status_code == status and fragment in response.json()["error"]["message"]


def test_references_stand_in_for_keys(api: Api) -> None:
    ref = api.ref("phone", "17012345678")
    body = api.get(f"/paths?source={ref}&target=ip:203.0.113.7",
                   role="analyst").json()
    assert body["source"]["key"] == "170****5678" and body["paths"][0]["length"] == 2
