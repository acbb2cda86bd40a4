"""Identifiers planted in every field and format: an analyst, driving every route and page,
never reads one unmasked — nor does the audit log, whoever asked."""

from __future__ import annotations

import re
from itertools import pairwise
from typing import TYPE_CHECKING
from urllib.parse import quote

import pytest

from tests.privacy.conftest import (
    HIDDEN,
    ID_NUMBER,
    PAYER_DOTS,
    PHONE,
    PLANTED,
    PLANTED_ACTORS,
)

if TYPE_CHECKING:
    from tests.api.conftest import Api

#: Texts are cut here before their digits are read together: field and markup syntax, not
#: the separators people put inside a number.
_FIELD_BREAK = re.compile(r"[\"'<>{}\[\],;=&\n]")
_TO_ASCII = str.maketrans("０１２３４５６７８９", "0123456789")


def leaks(text: str, secrets: tuple[str, ...] = (ID_NUMBER, PHONE, *HIDDEN)) -> list[str]:
    """The planted identifiers (or their hidden parts) that can be read in `text`."""
    found = []
    for piece in _FIELD_BREAK.split(text.translate(_TO_ASCII)):
        digits = "".join(ch for ch in piece if ch.isdigit())
        found += [secret for secret in secrets if secret in digits]
    return sorted(set(found))


def analyst_routes(api: Api) -> list[str]:
    """Every route an analyst can use, on the planted entities (by reference)."""
    refs = {(kind, key): api.ref(kind, quote(key, safe="")) for kind, key in PLANTED}
    routes = ["/networks", "/networks?hospital=H1", "/networks?explain=true",
              "/networks/n-planted", "/networks/n-planted?members_limit=1000&children_limit=50",
              "/networks/n-planted?explain=true", "/networks/n-planted/view", "/networks/n-gang",
              "/networks/n-planted?actors_limit=50&children_limit=50",
              "/networks/n-planted/actors", "/networks/n-planted/actors?role=patient",
              "/networks/n-planted/actors?explain=true",
              "/ingest/runs", "/analysis/runs", "/nightly/passes",
              "/search?q=王五", "/search?q=王", "/search?q=alipay", "/search?q=wx",
              "/search?q=u-", "/search?q=dev", "/search?q=A-", "/search?q=131",
              "/search?q=王五1314&mode=prefix", "/search?q=wx_131.4480",
              "/entities/payer/" + quote(PAYER_DOTS) + "/neighbours",  # refused: personal
              "/entities/account/" + PHONE, "/entities/phone/131.4480.8824"]
    for actor_id, *_ in PLANTED_ACTORS:
        routes += [f"/actors/{actor_id}", f"/actors/{actor_id}?explain=true",
                   f"/actors/{actor_id}?identifiers_limit=1&identifiers_offset=1"]
    for (kind, _), ref in refs.items():
        routes += [f"/entities/{kind}/{ref}", f"/entities/{kind}/{ref}?explain=true",
                   f"/entities/{kind}/{ref}/neighbours",
                   f"/entities/{kind}/{ref}/neighbours?explain=true",
                   f"/entities/{kind}/{ref}/registrations",
                   f"/entities/{kind}/{ref}/registrations?order=desc&explain=true",
                   f"/search?q={ref}"]
    work_case(api)
    routes += ["/cases", "/cases/n-planted", "/networks/n-planted/report",
               "/networks/n-planted/report?lang=en"]
    routes += [f"/networks/n-planted/export/{what}?format={fmt}"
               for what, fmt in (("members", "csv"), ("registrations", "csv"),
                                 ("graph", "graphml"), ("graph", "gexf"))]
    pairs = list(refs.values())
    routes += [f"/paths?source={a}&target={b}&max_hops=6" for a, b in pairwise(pairs)]
    routes += [f"/paths?source={pairs[0]}&target={pairs[-1]}&explain=true"]
    return routes


def work_case(api: Api) -> None:
    """A case on the planted network, confirmed, with the identifiers in its notes."""
    headers = {"X-API-Key": api.keys["investigator"]}
    api.client.post("/cases", json={"network_id": "n-planted", "note": f"see {ID_NUMBER}"},
                    headers=headers)
    for status in ("under_review", "confirmed"):
        api.client.post("/cases/n-planted/status", headers=headers,
                        json={"status": status, "note": f"called {PHONE}"})
    api.client.post("/cases/n-planted/comments", headers=headers,
                    json={"text": f"{ID_NUMBER} / {PHONE}"})


def test_no_route_shows_an_analyst_a_planted_identifier(api: Api) -> None:
    seen: dict[int, int] = {}
    for route in analyst_routes(api):
        response = api.get(route, role="analyst")
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        assert response.status_code < 500, (route, response.text)
        if "actors" in route:  # the actor routes answer analysts in full, masked
            assert response.status_code == 200, (route, response.text)
        text = response.text
        if route.startswith("/search") and response.status_code == 200:
            body = response.json()
            body.pop("q")  # the analyst's own words, echoed
            text = str(body)
        assert leaks(text) == [], route
        # (the request id is random hex: its digits may read as a hidden part by chance)
        headers = {k: v for k, v in response.headers.items() if k != "x-request-id"}
        assert leaks(str(headers)) == [], route
    # the routes did answer (a refusal everywhere would prove nothing)
    assert seen.get(200, 0) >= 60 and seen.get(403, 0) >= 3


def test_a_search_with_hidden_digits_finds_nothing(api: Api) -> None:
    """`wx_131.4480` would otherwise confirm the hidden digits of `wx_131****8824`."""
    for q in ("wx_131.4480", "王五1314480", "u-ID5001011939"):
        body = api.get(f"/search?q={quote(q)}", role="analyst").json()
        assert body["results"] == [], q
    assert api.get(f"/search?q={quote(q)}").json()["results"]  # an investigator finds it


def test_investigators_do_read_them(api: Api) -> None:
    """The same routes in full for an investigator: the check above can find a leak."""
    text = api.get("/networks/n-planted?members_limit=1000").text
    assert ID_NUMBER in text and PHONE in text
    for actor_id in ("act-planted-patient", "act-planted-agent"):
        text = api.get(f"/actors/{actor_id}").text
        assert ID_NUMBER in text or PHONE in text, actor_id
    work_case(api)
    for route in ("/cases/n-planted", "/networks/n-planted/report",
                  "/networks/n-planted/export/registrations"):
        assert leaks(api.get(route).text, (ID_NUMBER, PHONE)) == sorted([ID_NUMBER, PHONE]), route


def test_no_page_shows_an_analyst_a_planted_identifier(api: Api) -> None:
    api.client.cookies.clear()
    signed_in = api.client.post("/ui/login", data={"key": api.keys["analyst"]},
                                follow_redirects=False)
    assert signed_in.status_code == 303
    for page in ("/ui/networks", "/ui/networks/n-planted", "/ui/networks/n-gang",
                 "/ui/networks/n-planted/report"):
        response = api.client.get(page)
        assert response.status_code == 200 and "<html" in response.text.lower()
        assert leaks(response.text) == [], page
    api.client.post("/ui/logout")
    api.client.cookies.clear()


@pytest.mark.parametrize("role", ["investigator", "admin"])
def test_the_audit_log_holds_no_planted_identifier_whoever_asked(api: Api, role: str) -> None:
    for route in analyst_routes(api):
        api.get(route, role=role)
    for kind, key in PLANTED:  # typed in full, under its own kind and under others
        api.get(f"/entities/{kind}/{quote(key, safe='')}", role=role)
        api.get(f"/entities/account/{quote(key, safe='')}", role=role)
        api.get(f"/search?q={quote(key, safe='')}&mode=exact", role=role)
    text = (api.data_dir / "audit" / "api-audit.jsonl").read_text(encoding="utf-8")
    # (hidden digits a caller typed itself, `q=wx_131.4480`, are its own words: full
    # identifiers are what the log must never hold)
    assert leaks(text, (ID_NUMBER, PHONE)) == []
    # the admin's reading of the log shows it masked too
    assert leaks(api.get("/audit?limit=1000", role="admin").text, (ID_NUMBER, PHONE)) == []


def test_keys_holding_a_slash_can_be_looked_up(api: Api) -> None:
    response = api.get("/entities/device/" + quote("dev/131-4480-8824", safe=""))
    assert response.status_code == 200
    assert response.json()["entity"]["key"] == "dev/131-4480-8824"
    plain = api.get("/entities/device/dev/131-4480-8824/neighbours")
    assert plain.status_code == 200 and plain.json()["entity"]["key"] == "dev/131-4480-8824"
