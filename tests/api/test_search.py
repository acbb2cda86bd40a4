"""GET /search: exact and prefix search over keys and names, masked and narrowed for analysts."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api


def _uids(body: dict) -> list[str]:
    return [r["uid"] for r in body["results"]]


def test_prefix_search_over_keys(api: Api) -> None:
    body = api.get("/search?q=alipay").json()
    assert _uids(body) == ["payer:alipay-8812"] and body["results"][0]["matched"] == "key"
    assert sorted(_uids(api.get("/search?q=510107&kinds=id_card").json())) == [
        "id_card:510107199001011234", "id_card:510107199013011234"]


def test_exact_search_normalises_the_key(api: Api) -> None:
    body = api.get("/search?q=%2B86 138 1234 5678&mode=exact").json()
    assert _uids(body) == ["phone:13812345678"]
    assert api.get("/search?q=1381234&mode=exact").json()["results"] == []


def test_search_by_name(api: Api) -> None:
    body = api.get("/search?q=张").json()
    assert _uids(body) == ["patient:11010519491231002X|张三"]
    assert body["results"][0]["matched"] == "name" and body["results"][0]["name"] == "张三"
    agents = api.get("/search?q=王五&mode=exact").json()
    assert _uids(agents) == ["escort_agent:A9"]


def test_kinds_narrow_the_search(api: Api) -> None:
    assert api.get("/search?q=1&kinds=payer").json()["results"] == []
    assert {r["kind"] for r in api.get("/search?q=1&kinds=phone").json()["results"]} == {"phone"}


def test_limit_caps_the_results(api: Api) -> None:
    body = api.get("/search?q=1&kinds=phone&limit=2").json()
    assert len(body["results"]) == 2 and body["truncated"] is True


def test_analysts_cannot_prefix_search_personal_identifiers(api: Api) -> None:
    body = api.get("/search?q=510107", role="analyst").json()
    assert body["restricted_kinds"] == ["id_card", "patient", "phone"]
    assert body["results"] == []
    # nor search them exactly: a yes/no on a full number undoes the mask
    exact = api.get("/search?q=13812345678&mode=exact", role="analyst")
    assert exact.status_code == 403 and exact.json()["error"]["code"] == "reference_required"
    assert api.get("/search?q=1381234&mode=exact&kinds=phone", role="analyst").json()[
        "restricted_kinds"] == ["phone"]
    # a reference finds its entity, masked
    by_ref = api.get(f"/search?q={api.ref('phone', '13812345678')}", role="analyst").json()
    assert [r["key"] for r in by_ref["results"]] == ["138****5678"]
    # names are not masked: a patient found by name comes back with a masked key
    named = api.get("/search?q=张", role="analyst").json()["results"]
    assert named[0]["key"] == "110105********002X|张三"


@pytest.mark.parametrize("query", ["q=", "q=%20", "mode=fuzzy&q=1", "limit=101&q=1",
                                   "kinds=wallet&q=1"])
def test_bad_search_parameters(api: Api, query: str) -> None:
    response = api.get(f"/search?{query}")
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_parameter"
