"""GET /networks ranks and filters stored results; /networks/{id} shows tiers and evidence."""

from __future__ import annotations

import importlib.util
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api


def test_networks_are_ranked_by_risk_with_a_total(api: Api) -> None:
    body = api.get("/networks").json()
    assert body["run_id"] == "run-1" and body["total"] == 2
    assert [n["id"] for n in body["networks"]] == ["n-gang", "n-wifi"]
    gang = body["networks"][0]
    assert gang["risk"] == 0.95 and gang["size"] == 9 and gang["hospitals"] == ["H1", "H2"]
    assert gang["signals"][0]["name"] == "bookings_at_release"


@pytest.mark.parametrize("query, expected", [
    ("hospital=H2", ["n-gang"]),
    ("hospital=H9", []),
    ("min_risk=0.5", ["n-gang"]),
    ("since=2026-03-03T00:00:00", ["n-wifi"]),
    ("until=2026-03-02T18:00:01%2B08:00", ["n-gang"]),
    ("since=2026-03-02T00:00:00Z&until=2026-03-05T00:00:00Z", ["n-gang", "n-wifi"]),
])
def test_filters(api: Api, query: str, expected: list[str]) -> None:
    body = api.get(f"/networks?{query}").json()
    assert [n["id"] for n in body["networks"]] == expected and body["total"] == len(expected)


def test_pagination_keeps_the_total(api: Api) -> None:
    first = api.get("/networks?limit=1").json()
    second = api.get("/networks?limit=1&offset=1").json()
    assert first["total"] == second["total"] == 2
    assert [first["networks"][0]["id"], second["networks"][0]["id"]] == ["n-gang", "n-wifi"]
    assert api.get("/networks?offset=5").json()["networks"] == []


@pytest.mark.parametrize("query, status, fragment", [
    ("limit=0", 422, "limit"),
    ("limit=201", 422, "less than or equal to 200"),
    ("offset=-1", 422, "offset"),
    ("min_risk=1.5", 422, "min_risk"),
    ("min_risk=high", 422, "min_risk"),
    ("since=yesterday", 422, "since"),
    ("since=2026-03-05T00:00:00&until=2026-03-01T00:00:00", 400, "since must not be after"),
])
def test_bad_parameters_get_a_clear_message(api: Api, query: str, status: int,
                                            fragment: str) -> None:
    response = api.get(f"/networks?{query}")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] in ("invalid_parameter", "bad_request") and fragment in error["message"]


def _tree_roles(nodes: list[dict], depth: int = 0) -> list[tuple[int, str, str]]:
    out = []
    for node in nodes:
        out.append((depth, node["role"], node["uid"]))
        out.extend(_tree_roles(node["children"], depth + 1))
    return out


def test_network_detail_has_the_tier_hierarchy(api: Api) -> None:
    body = api.get("/networks/n-gang").json()
    tiers = {t["role"]: t["count"] for t in body["hierarchy"]["tiers"]}
    assert tiers == {"technician": 3, "first_level": 1, "second_level": 1, "patient": 3,
                     "none": 1}
    roles = _tree_roles(body["hierarchy"]["tree"])
    # the bot IP is linked to the payer, the payer to the agent, the agent to the patients
    chain = [(d, r, u) for d, r, u in roles if d <= 3]
    assert (0, "technician", "ip:203.0.113.7") in chain
    assert (1, "first_level", "payer:alipay-8812") in chain
    assert (2, "second_level", "escort_agent:A9") in chain
    assert sorted(u for d, r, u in chain if d == 3) == [
        "patient:11010519491231002X|张三", "patient:510107199001011234|李四",
        "patient:510107199013011234|561"]
    assert all(r == "technician" for d, r, u in roles if d == 0)


def test_network_detail_members_carry_role_score_signals_and_evidence(api: Api) -> None:
    body = api.get("/networks/n-gang").json()
    members = {m["uid"]: m for m in body["members"]}
    assert len(members) == 9
    ip = members["ip:203.0.113.7"]
    assert ip["role"] == "technician" and ip["score"] == 0.99
    assert ip["signals"] == [{"name": "bot_latency_p50_ms", "value": 37.0,
                              "detail": "6 bookings"}]
    assert len(ip["evidence"]["registrations"]) == 6
    assert members["phone:17012345678"]["role"] == "none"
    assert {(link["source"]["uid"], link["target"]["uid"]) for link in body["links"]} >= {
        ("ip:203.0.113.7", "payer:alipay-8812"), ("payer:alipay-8812", "escort_agent:A9")}


def test_unknown_network_is_404(api: Api) -> None:
    response = api.get("/networks/no-such-network")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found",
                                        "message": "no current network with id no-such-network"}
    assert api.get("/networks/no-such-network/view").status_code == 404


def test_explain_shows_the_cypher_and_parameters(api: Api) -> None:
    body = api.get("/networks/n-gang?explain=true").json()
    (query,) = body["explain"]["queries"]
    assert query["name"] == "network_get" and "MATCH" in query["cypher"]
    assert query["parameters"] == {"id": "n-gang"}
    assert "explain" not in api.get("/networks/n-gang").json()


def test_network_view_is_html_or_a_clear_501(api: Api) -> None:
    response = api.get("/networks/n-gang/view")
    if importlib.util.find_spec("scalpernet.views") is None:
        assert response.status_code == 501 and "views" in response.json()["error"]["message"]
        return
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "n-gang" in response.text and "203.0.113.7" in response.text
