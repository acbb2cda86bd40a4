"""Analysts' pages in a browser: sign in with a key, browse networks, masked and audited."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from tests.api.conftest import Api


def _sign_in(api: Api, role: str) -> httpx.Response:
    return api.client.post("/ui/login", data={"key": api.keys[role]}, follow_redirects=False)


def test_pages_send_a_browser_without_a_session_to_the_sign_in_form(api: Api) -> None:
    api.client.cookies.clear()
    response = api.client.get("/ui/networks", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"] == "/ui/login"
    form = api.client.get("/ui/login")
    assert form.status_code == 200 and '<form method="post" action="/ui/login">' in form.text
    assert "default-src 'none'" in form.headers["content-security-policy"]


def test_bad_and_ingest_keys_are_refused_with_a_clear_message(api: Api) -> None:
    api.client.cookies.clear()
    bad = api.client.post("/ui/login", data={"key": "<script>x</script>"})
    assert bad.status_code == 401 and "malformed API key" in bad.text
    assert "<script>x</script>" not in bad.text
    ingest = _sign_in(api, "ingest")
    assert ingest.status_code == 403 and "cannot read networks" in ingest.text
    assert "scalpernet_key" not in ingest.headers.get("set-cookie", "")


def test_an_analyst_browses_masked_pages_and_each_read_is_audited(api: Api) -> None:
    api.client.cookies.clear()
    signed_in = _sign_in(api, "analyst")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/ui/networks"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/ui" in cookie

    overview = api.client.get("/ui/networks")
    assert overview.status_code == 200 and "/ui/networks/n-gang" in overview.text
    audit = api.last_audit()
    assert (audit["role"], audit["route"]) == ("analyst", "/ui/networks")

    page = api.client.get("/ui/networks/n-gang")
    assert page.status_code == 200 and "<html" in page.text.lower()
    assert "17012345678" not in page.text and "170****5678" in page.text
    audit = api.last_audit()
    assert audit["route"] == "/ui/networks/{network_id}" and audit["entities"]

    assert api.client.get("/ui/networks/no-such-network").status_code == 404
    # the page cookie never authenticates the JSON API
    assert api.client.get("/networks").status_code == 401

    out = api.client.post("/ui/logout", follow_redirects=False)
    assert out.status_code == 303 and 'scalpernet_key=""' in out.headers["set-cookie"]
