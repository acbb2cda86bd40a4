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
    assert "scalpernet_session" not in ingest.headers.get("set-cookie", "")


def test_an_analyst_browses_masked_pages_and_each_read_is_audited(api: Api) -> None:
    api.client.cookies.clear()
    signed_in = _sign_in(api, "analyst")
    assert signed_in.status_code == 303 and signed_in.headers["location"] == "/ui/networks"
    cookie = signed_in.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/;" in cookie
    # the cookie holds an opaque session id, never the key nor its secret
    assert api.keys["analyst"].rsplit("_", 1)[1].lower() not in cookie
    assert "snk_" not in cookie
    # the cookie earlier versions kept the key in is cleared
    assert any(c.startswith('scalpernet_key="";') and "path=/ui" in c.lower()
               for c in signed_in.headers.get_list("set-cookie"))

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
    assert out.status_code == 303 and 'scalpernet_session=""' in out.headers["set-cookie"]


PAGE = {"X-ScalperNet-Page": "1"}


def _session_token(api: Api, role: str) -> str:
    api.client.cookies.clear()
    assert _sign_in(api, role).status_code == 303
    token = api.client.cookies.get("scalpernet_session")
    assert token and len(token) >= 40
    return token


def test_the_pages_script_reads_the_json_api_with_the_session_masked_and_audited(
        api: Api) -> None:
    _session_token(api, "analyst")
    search = api.client.get("/search", params={"q": "A9"}, headers=PAGE)
    assert search.status_code == 200, search.text
    assert [hit["key"] for hit in search.json()["results"]] == ["A9"]
    audit = api.last_audit()
    assert (audit["role"], audit["route"], audit["status"]) == ("analyst", "/search", 200)
    assert audit["via"] == "page_session"
    # masking follows the key's role: an analyst's expansion shows phones masked
    ref = api.ref("escort_agent", "A9")
    around = api.client.get(f"/entities/escort_agent/{ref}/neighbours", headers=PAGE)
    assert around.status_code == 200, around.text
    assert "17012345678" not in around.text
    assert api.last_audit()["role"] == "analyst"
    # without the page's header the session is not a key, and it never uploads
    assert api.client.get("/search", params={"q": "A9"}).status_code == 401
    upload = api.client.post("/ingest/upload?filename=a.csv", content=b"x", headers=PAGE)
    assert upload.status_code == 401
    # roles hold: an analyst's session does not read the audit log
    assert api.client.get("/audit", headers=PAGE).status_code == 403
    api.client.post("/ui/logout")


def test_sign_out_ends_the_session_on_the_server(api: Api) -> None:
    token = _session_token(api, "investigator")
    assert api.client.get("/ui/networks", follow_redirects=False).status_code == 200
    out = api.client.post("/ui/logout", follow_redirects=False)
    assert out.status_code == 303 and out.headers["location"] == "/ui/login"
    assert api.last_audit()["outcome"] == "signed_out"
    # the same id presented again (a copied cookie) no longer opens anything
    api.client.cookies.set("scalpernet_session", token)
    again = api.client.get("/ui/networks", follow_redirects=False)
    assert again.status_code == 303 and again.headers["location"] == "/ui/login"
    assert api.client.get("/search", params={"q": "A9"}, headers=PAGE).status_code == 401
    api.client.cookies.clear()


def test_an_expired_or_idle_session_and_a_revoked_key_end_the_session(api: Api) -> None:
    from scalpernet.apikeys import create_key, revoke_key

    _session_token(api, "analyst")
    api.graph.driver.execute_query(
        "MATCH (s:PageSession) SET s.expires_at = datetime() - duration('PT1S')",
        database_=api.graph.database)
    expired = api.client.get("/ui/networks", follow_redirects=False)
    assert expired.status_code == 303 and expired.headers["location"] == "/ui/login"

    _session_token(api, "analyst")
    api.graph.driver.execute_query(
        "MATCH (s:PageSession) SET s.seen_at = datetime() - duration('PT31M')",
        database_=api.graph.database)
    assert api.client.get("/ui/networks", follow_redirects=False).status_code == 303

    record, key = create_key(api.graph, "investigator", name="soon revoked")
    api.client.cookies.clear()
    assert api.client.post("/ui/login", data={"key": key}).status_code == 200
    assert api.client.get("/ui/networks", follow_redirects=False).status_code == 200
    revoke_key(api.graph, record["id"])
    assert api.client.get("/ui/networks", follow_redirects=False).status_code == 303
    stored = api.graph.driver.execute_query(
        "MATCH (s:PageSession {key_id: $id}) RETURN count(s) AS n", id=record["id"],
        database_=api.graph.database).records[0]["n"]
    assert stored == 0
    api.client.cookies.clear()


def test_an_unknown_network_case_or_page_under_ui_answers_a_page_in_the_readers_language(
        api: Api) -> None:
    api.client.cookies.clear()
    assert _sign_in(api, "analyst").status_code == 303
    page_csp = api.client.get("/ui/networks").headers["content-security-policy"]
    # a network opened from the English overview is in English, and links back to it
    assert 'href="/ui/networks/n-gang?lang=en"' in api.client.get("/ui/networks?lang=en").text
    english = api.client.get("/ui/networks/n-gang", params={"lang": "en"}).text
    assert '<html lang="en">' in english and 'href="/ui/networks?lang=en"' in english
    for path in ("/ui/networks/no-such-network", "/ui/cases/no-such-network",
                 "/ui/networks/no-such-network/report", "/ui/no-such-page"):
        zh = api.client.get(path)
        assert zh.status_code == 404 and zh.headers["content-type"].startswith("text/html")
        assert '<html lang="zh-CN">' in zh.text and "未找到" in zh.text
        assert '<a class="back" href="/ui/networks?lang=zh-CN">' in zh.text
        assert zh.headers["content-security-policy"] == page_csp
        assert zh.headers["x-frame-options"] == "DENY"
        assert zh.headers["cache-control"] == "no-store"
        audit = api.last_audit()
        assert (audit["status"], audit["outcome"]) == (404, "not_found")
        en = api.client.get(path, params={"lang": "en"})
        assert en.status_code == 404 and '<html lang="en">' in en.text
        assert "Not found" in en.text and "未找到" not in en.text
        assert 'href="/ui/networks?lang=en"' in en.text
    # what the reader typed is escaped, and a phone in it masked
    hostile = api.client.get("/ui/networks/<b>17012345678</b>")
    assert hostile.status_code == 404 and "<b>" not in hostile.text
    assert "&lt;b&gt;" in hostile.text and "17012345678" not in hostile.text
    # the JSON API keeps its JSON 404s
    for path in ("/networks/no-such-network", "/cases/no-such-network", "/no-such-route"):
        json_404 = api.get(path)
        assert json_404.status_code == 404
        assert json_404.json()["error"]["code"] == "not_found"
        assert api.last_audit()["status"] == 404
