"""Health, error shapes, headers and closed CORS: what every client can rely on."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from fastapi.testclient import TestClient

from scalpernet.api import create_app

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    import pytest

    from tests.api.conftest import Api


def test_health_reports_neo4j(api: Api) -> None:
    body = api.get("/health", role=None).json()
    assert body["status"] == "ok" and body["neo4j"]["reachable"] is True
    assert body["neo4j"]["latency_ms"] >= 0


def test_unreachable_neo4j_is_503_not_a_traceback(api: Api, tmp_path: Path,
                                                  settings_for: Callable) -> None:
    settings = settings_for(tmp_path, neo4j_uri="bolt://127.0.0.1:9")
    with TestClient(create_app(settings), raise_server_exceptions=False) as client:
        health = client.get("/health")
        assert health.status_code == 503 and health.json()["neo4j"]["reachable"] is False
        response = client.get("/networks", headers={"X-API-Key": api.keys["investigator"]})
        assert response.status_code == 503
        assert response.json() == {"error": {
            "code": "unavailable", "message": "the graph database is unreachable; try again"}}
        assert "Traceback" not in response.text


def test_unknown_routes_and_methods_use_the_error_shape(api: Api) -> None:
    missing = api.get("/nothing/here")
    assert missing.status_code == 404
    assert missing.json() == {"error": {"code": "not_found", "message": "no such route"}}
    wrong = api.client.delete("/networks", headers={"X-API-Key": api.keys["investigator"]})
    assert wrong.status_code == 405 and wrong.json()["error"]["code"] == "method_not_allowed"


def test_validation_errors_do_not_echo_the_input(api: Api) -> None:
    response = api.get("/entities/phone/13812345678/registrations?since=13812345678x")
    assert response.status_code == 422
    assert "13812345678x" not in response.text
    assert response.json()["error"]["details"][0]["parameter"] == "since"


def test_responses_are_not_cached_and_carry_a_request_id(api: Api) -> None:
    response = api.get("/networks")
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert len(response.headers["x-request-id"]) == 16


def test_cors_is_closed_by_default(api: Api) -> None:
    preflight = api.client.options("/networks", headers={
        "Origin": "https://evil.example", "Access-Control-Request-Method": "GET"})
    assert "access-control-allow-origin" not in preflight.headers
    simple = api.client.get("/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_opens_only_to_named_origins(api: Api, tmp_path: Path,
                                          settings_for: Callable) -> None:
    settings = settings_for(tmp_path)
    app = create_app(settings, cors_origins=["https://intranet.example"])
    with TestClient(app) as client:
        ok = client.get("/health", headers={"Origin": "https://intranet.example"})
        assert ok.headers["access-control-allow-origin"] == "https://intranet.example"
        other = client.get("/health", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in other.headers


def test_the_access_log_names_routes_not_identifiers(api: Api,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="scalpernet.api.access"):
        api.get("/entities/phone/13812345678")
    lines = [r.getMessage() for r in caplog.records if r.name == "scalpernet.api.access"]
    assert any("/entities/{kind}/{key} 200" in line for line in lines)
    assert not any("13812345678" in line for line in lines)


def test_openapi_documents_every_route_and_the_key(api: Api) -> None:
    schema = api.client.get("/openapi.json").json()
    for path in ("/health", "/networks", "/networks/{network_id}", "/networks/{network_id}/view",
                 "/entities/{kind}/{key}", "/entities/{kind}/{key}/neighbours",
                 "/entities/{kind}/{key}/registrations", "/paths", "/search", "/ingest/runs",
                 "/analysis/runs", "/ingest/upload", "/audit"):
        assert path in schema["paths"], path
    assert schema["components"]["securitySchemes"]["APIKeyHeader"]["name"] == "X-API-Key"
    entity = schema["paths"]["/entities/{kind}/{key}"]["get"]["responses"]
    assert set(entity) >= {"200", "401", "403", "404", "422"}


def test_runs_are_listed(api: Api) -> None:
    ingest = api.get("/ingest/runs").json()
    assert ingest["total"] == 1 and ingest["runs"][0]["id"] == "ingest-1"
    assert ingest["runs"][0]["files"] == [{"path": "export-h.csv", "rows": 9}]
    analysis = api.get("/analysis/runs").json()
    assert analysis["total"] == 1
    run = analysis["runs"][0]
    assert run["id"] == "run-1" and run["current"] is True and run["params"] == {"seed": 1}
    assert api.get("/analysis/runs?limit=500").status_code == 422


def test_unknown_query_parameters_are_refused(api: Api) -> None:
    response = api.get("/networks?hospitl=H1")
    assert response.status_code == 422
    message = response.json()["error"]["message"]
    assert "'hospitl'" in message and "hospital" in message


def test_a_query_out_of_time_is_a_504_asking_to_narrow_it(api: Api) -> None:
    import neo4j
    from neo4j.exceptions import ClientError

    from scalpernet.api.errors import fault_response

    slow = neo4j.Query("UNWIND range(1, 500000000) AS x WITH x WHERE x % 7 = 0 "
                       "RETURN count(*)", timeout=0.05)
    try:
        api.graph.driver.execute_query(slow, database_=api.graph.database)
    except ClientError as exc:
        status, body = fault_response(exc)
    else:
        raise AssertionError("the query was expected to time out")
    assert status == 504 and body["error"]["code"] == "timeout"
    assert "narrow" in body["error"]["message"]


def test_a_single_valued_parameter_given_twice_is_refused(api: Api) -> None:
    response = api.get("/networks?hospital=H1&hospital=H2")
    assert response.status_code == 422
    assert response.json()["error"]["message"] == "hospital: give it once (it takes a single value)"
    # list parameters may repeat
    assert api.get("/entities/payer/alipay-8812/neighbours?types=FOR&types=CONTACT"
                   ).status_code == 200


def test_startup_moves_loaded_objects_out_of_the_collectors_reach(api: Api) -> None:
    import gc

    from scalpernet.api.app import GC_YOUNG_THRESHOLD

    assert gc.get_freeze_count() > 10_000  # the api fixture's app has started
    assert gc.get_threshold()[0] == GC_YOUNG_THRESHOLD
