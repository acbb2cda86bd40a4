"""Every request is logged, masked, before it is answered; no log line, no answer."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.apikeys import parse_key

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from tests.api.conftest import Api

RAW = ["11010519491231002X", "510107199013011234", "510107199001011234", "17012345678",
       "13900002222", "13812345678"]
P1 = "11010519491231002X|张三"


def test_a_read_is_logged_with_masked_parameters_and_entities(api: Api) -> None:
    response = api.get("/entities/phone/13812345678/registrations?limit=5")
    assert response.status_code == 200
    entry = api.last_audit()
    assert entry["key_id"] == parse_key(api.keys["investigator"])[0]  # type: ignore[index]
    assert entry["role"] == "investigator" and entry["outcome"] == "ok"
    assert entry["method"] == "GET" and entry["status"] == 200
    assert entry["route"] == "/entities/{kind}/{key}/registrations"
    assert entry["params"] == {"kind": "phone", "key": "138****5678", "limit": "5"}
    assert "phone:138****5678" in entry["entities"]
    assert f"patient:{P1}".replace("11010519491231002X", "110105********002X") in (
        entry["entities"])
    assert entry["request_id"] == response.headers["x-request-id"]
    assert entry["time"].endswith("+00:00")


def test_network_reads_log_every_member_shown(api: Api) -> None:
    api.get("/networks/n-gang", role="analyst")
    entry = api.last_audit()
    assert entry["role"] == "analyst" and len(entry["entities"]) == 9
    assert "id_card:510107199013011234" not in entry["entities"]
    assert "phone:170****5678" in entry["entities"]


def test_the_log_holds_no_full_identifier(api: Api) -> None:
    for url in (f"/entities/patient/{P1}", "/search?q=13812345678&mode=exact",
                "/paths?source=phone:17012345678&target=ip:10.0.0.1&max_hops=6",
                "/entities/id_card/510107199013011234/neighbours"):
        assert api.get(url).status_code == 200
    text = (api.data_dir / "audit" / "api-audit.jsonl").read_text(encoding="utf-8")
    assert [raw for raw in RAW if raw in text] == []
    assert "phone:170****5678" in text


def test_admins_read_the_log_newest_first_and_filtered(api: Api) -> None:
    api.get("/networks", role="analyst")
    api.get("/analysis/runs", role="investigator")
    body = api.get("/audit?limit=2", role="admin").json()
    assert [e["route"] for e in body["entries"]] == ["/analysis/runs", "/networks"]
    analyst_id = parse_key(api.keys["analyst"])[0]  # type: ignore[index]
    mine = api.get(f"/audit?key_id={analyst_id}&route=/networks", role="admin").json()
    assert mine["entries"] and all(e["key_id"] == analyst_id for e in mine["entries"])
    assert all(e["route"].startswith("/networks") for e in mine["entries"])
    # the admin's own reads of the log are logged too
    assert api.last_audit()["route"] == "/audit" and api.last_audit()["role"] == "admin"
    assert api.get("/audit?since=2999-01-01T00:00:00Z", role="admin").json()["entries"] == []


def test_bad_audit_filters(api: Api) -> None:
    response = api.get("/audit?key_id=xyz", role="admin")
    assert response.status_code == 422 and "key_id" in response.json()["error"]["message"]


def test_an_unwritable_log_fails_the_request_without_data(api: Api, tmp_path: Path,
                                                          settings_for: Callable) -> None:
    (tmp_path / "audit").write_text("not a folder", encoding="utf-8")
    settings = settings_for(tmp_path)
    app = create_app(settings, key_cache_ttl=0)
    with TestClient(app, raise_server_exceptions=False) as client:
        headers = {"X-API-Key": api.keys["investigator"]}
        response = client.get("/entities/phone/13812345678", headers=headers)
        assert response.status_code == 500
        assert response.json()["error"]["code"] == "audit_unavailable"
        assert "13812345678" not in response.text and "registrations" not in response.text
        assert client.get("/networks/n-gang", headers=headers).status_code == 500
        assert client.get("/health").status_code == 200


def test_fsync_mode_writes_the_line_before_answering(api: Api, tmp_path: Path,
                                                     settings_for: Callable) -> None:
    settings = settings_for(tmp_path)
    with TestClient(create_app(settings, audit_fsync=True)) as client:
        response = client.get("/networks", headers={"X-API-Key": api.keys["analyst"]})
        assert response.status_code == 200
        lines = (tmp_path / "audit" / "api-audit.jsonl").read_text().splitlines()
        assert len(lines) == 1 and '"route":"/networks"' in lines[0]
