"""Every request is audited whatever its outcome, and authenticated before it is routed."""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import orjson
from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.api.throttle import ApiLimits
from tests.api.conftest import ROOMY

if TYPE_CHECKING:
    from tests.api.conftest import Api


def _lines(folder: Path) -> list[dict]:
    path = folder / "audit" / "api-audit.jsonl"
    return [orjson.loads(line) for line in path.read_bytes().splitlines()] if path.exists() \
        else []


def _dead_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_two_hundred_requests_of_every_outcome_leave_two_hundred_lines(
        api: Api, tmp_path: Path, settings_for: Callable) -> None:
    live, dead = tmp_path / "live", tmp_path / "dead"
    limits = ROOMY.model_copy(update={"lookup_misses": "3/minute", "max_upload_bytes": 64})
    inv, ana, ing = (api.keys[r] for r in ("investigator", "analyst", "ingest"))

    def key(k: str) -> dict[str, str]:
        return {"X-API-Key": k}

    # (what, how) — each a request that ends in a different way
    kinds: list[tuple[str, Callable[[TestClient, TestClient], object]]] = [
        ("200", lambda c, _: c.get("/networks", headers=key(ana))),
        ("200 public", lambda c, _: c.get("/health")),
        ("200 docs", lambda c, _: c.get("/docs")),
        ("401 none", lambda c, _: c.get("/networks/n-gang")),
        ("401 bad", lambda c, _: c.get("/networks", headers=key("snk_x"))),
        ("403 role", lambda c, _: c.get("/audit", headers=key(ana))),
        ("403 ref", lambda c, _: c.get("/entities/phone/13812345678", headers=key(ana))),
        ("404 route", lambda c, _: c.get("/no/such/route", headers=key(inv))),
        ("404 entity", lambda c, _: c.get("/entities/payer/nobody", headers=key(inv))),
        ("404 slash", lambda c, _: c.get("/networks/", headers=key(inv))),
        ("405", lambda c, _: c.delete("/networks", headers=key(inv))),
        ("400", lambda c, _: c.get("/networks?since=2026-03-02&until=2026-03-01",
                                   headers=key(inv))),
        ("422 unknown", lambda c, _: c.get("/networks?hospitl=H1", headers=key(inv))),
        ("422 value", lambda c, _: c.get("/networks?limit=abc", headers=key(inv))),
        ("413 upload", lambda c, _: c.post("/ingest/upload?filename=a.csv", content=b"x" * 65,
                                           headers=key(ing))),
        ("400 upload", lambda c, _: c.post("/ingest/upload?filename=a.csv", content=b"",
                                           headers=key(ing))),
        ("422 upload", lambda c, _: c.post("/ingest/upload?filename=../a.csv", content=b"x",
                                           headers=key(ing))),
        ("sign-in", lambda c, _: c.post("/ui/login", data={"key": ana},
                                        follow_redirects=False)),
        ("sign-in failed", lambda c, _: c.post("/ui/login", data={"key": "wrong"})),
        ("sign-out", lambda c, _: c.post("/ui/logout", follow_redirects=False)),
        ("page without session", lambda c, _: (c.cookies.clear(),
                                               c.get("/ui/networks", follow_redirects=False))),
        ("429 guessing", lambda c, _: c.get("/entities/phone/13999999999", headers=key(inv))),
        ("503", lambda _, d: d.get("/networks", headers=key(inv))),
    ]
    sent: Counter[str] = Counter()
    live_app = create_app(settings_for(live), key_cache_ttl=0, limits=limits)
    dead_app = create_app(settings_for(dead, neo4j_uri=f"bolt://127.0.0.1:{_dead_port()}"),
                          key_cache_ttl=0, limits=ApiLimits())
    with TestClient(live_app, raise_server_exceptions=False) as client, \
            TestClient(dead_app, raise_server_exceptions=False) as down:
        for i in range(200):
            what, how = kinds[i % len(kinds)]
            how(client, down)
            sent[what] += 1
    lines = _lines(live) + _lines(dead)
    assert len(lines) == 200
    statuses = Counter(line["status"] for line in lines)
    for status in (200, 303, 400, 401, 403, 404, 405, 413, 422, 429, 503):
        assert statuses[status] > 0, status
    outcomes = Counter(line["outcome"] for line in lines)
    assert outcomes["signed_in"] == sent["sign-in"]
    assert outcomes["sign_in_failed"] == sent["sign-in failed"]
    assert outcomes["signed_out"] == sent["sign-out"]
    assert outcomes["rate_limited"] >= sent["429 guessing"] - 3
    assert {line["route"] for line in lines} >= {"/networks", "/audit", "<unrouted>",
                                                 "/entities/{kind}/{key}", "/ui/login"}
    assert all("13812345678" not in orjson.dumps(line).decode() for line in lines)


def test_a_caller_without_a_key_learns_nothing_of_a_route(api: Api) -> None:
    """Authentication comes before parameter validation: no list of parameters, no 404/405."""
    for method, url in (("GET", "/networks?bogus=1"), ("GET", "/networks?limit=abc"),
                        ("GET", "/no/such/route"), ("DELETE", "/networks"),
                        ("GET", "/entities/wallet/x")):
        response = api.client.request(method, url)
        assert response.status_code == 401, url
        assert response.json()["error"]["message"] == "missing X-API-Key header"
    assert api.get("/networks?bogus=1").status_code == 422  # with a key, the 422 as before


def test_no_redirect_is_built_from_the_host_header(api: Api) -> None:
    response = api.client.get("/networks/", headers={"Host": "evil.example",
                                                     "X-API-Key": api.keys["investigator"]},
                              follow_redirects=False)
    assert response.status_code == 404 and "location" not in response.headers


def test_the_docs_are_served_from_here(api: Api) -> None:
    page = api.client.get("/docs")
    assert page.status_code == 200 and "/docs/assets/swagger-ui-bundle.js" in page.text
    assert "script-src 'self'" in page.headers["content-security-policy"]
    for asset in ("/docs/assets/swagger-ui-bundle.js", "/docs/assets/swagger-ui.css",
                  "/docs/init.js"):
        assert api.client.get(asset).status_code == 200, asset
    assert api.client.get("/redoc").status_code == 401  # gone (and not public)
    src = Path(__file__).resolve().parents[2] / "src"
    for path in src.rglob("*.py"):
        text = path.read_text(encoding="utf-8").lower()
        for host in ("cdn.", "jsdelivr", "unpkg", "cdnjs"):
            assert host not in text, (path, host)


def test_pages_get_their_policy_as_a_header_and_cannot_be_framed(api: Api) -> None:
    api.client.cookies.clear()
    api.client.post("/ui/login", data={"key": api.keys["analyst"]})
    page = api.client.get("/ui/networks/n-gang")
    policy = page.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'sha256-" in policy
    assert page.headers["x-frame-options"] == "DENY"
    login = api.client.get("/ui/login")
    assert "frame-ancestors 'none'" in login.headers["content-security-policy"]
    api.client.cookies.clear()
    json = api.get("/networks")
    assert json.headers["content-security-policy"] == "default-src 'none'; frame-ancestors 'none'"
    assert json.headers["x-frame-options"] == "DENY"


def test_the_network_list_is_rendered_once_per_analysis_run(api: Api) -> None:
    answers = api.client.app.state.answers  # type: ignore[attr-defined]
    first = api.get("/networks?limit=7")
    cached = len(answers)
    again = api.get("/networks?limit=7")
    assert first.content == again.content and len(answers) == cached
    masked = api.get("/networks?limit=7", role="analyst")
    assert len(answers) == cached + 1 and "170****5678" in masked.text
    assert "17012345678" in first.text
