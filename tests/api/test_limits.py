"""Rate limits, quotas and timeouts: guessing keys stops within a few dozen tries (each one
audited), floods get 429, uploads have quotas, idle bodies do not hold connections."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.api.throttle import ApiLimits

if TYPE_CHECKING:
    from tests.api.conftest import Api

#: The masked phone of the world, 138****5678: the hidden digits are what a guesser wants.
CANDIDATES = [f"138{n:04d}5678" for n in range(1200, 1300)]


@contextmanager
def app_with(api: Api, tmp_path: Path, settings_for: Callable, **limits: object
             ) -> Iterator[TestClient]:
    app = create_app(settings_for(tmp_path), key_cache_ttl=0, limits=ApiLimits(**limits))
    with TestClient(app, raise_server_exceptions=False) as client:
        yield client


def _lines(tmp_path: Path) -> list[str]:
    return (tmp_path / "audit" / "api-audit.jsonl").read_text(encoding="utf-8").splitlines()


def test_an_analyst_guessing_a_masked_phone_is_refused_at_once(api: Api, tmp_path: Path,
                                                               settings_for: Callable) -> None:
    with app_with(api, tmp_path, settings_for) as client:
        headers = {"X-API-Key": api.keys["analyst"]}
        answers = [client.get(f"/entities/phone/{c}", headers=headers) for c in CANDIDATES]
        # the real number is among the candidates, and is refused like the others: no oracle
        assert "13812345678" in CANDIDATES
        assert {a.status_code for a in answers} == {403}
        assert len({a.text for a in answers}) == 1
        for route in ("/search?q={}&mode=exact", "/paths?source=phone:{}&target=ip:10.0.0.1"):
            assert client.get(route.format(CANDIDATES[0]), headers=headers).status_code == 403
    lines = _lines(tmp_path)
    assert len(lines) == len(CANDIDATES) + 2  # a line per try
    assert all('"outcome":"denied"' in line and "13812345678" not in line for line in lines)


def test_guessing_keys_with_any_key_stops_within_a_few_dozen_tries(
        api: Api, tmp_path: Path, settings_for: Callable,
        caplog: pytest.LogCaptureFixture) -> None:
    with app_with(api, tmp_path, settings_for) as client:  # the default limits
        headers = {"X-API-Key": api.keys["investigator"]}
        ref = client.get("/entities/ip/203.0.113.7", headers=headers).json()["entity"]["ref"]
        statuses = [client.get(f"/entities/phone/139{n:08d}", headers=headers).status_code
                    for n in range(60)]
        # a reference still works: the limit is on guessing, not on reading
        assert client.get(f"/entities/ip/{ref}", headers=headers).status_code == 200
        assert client.get("/entities/ip/203.0.113.7", headers=headers).status_code == 429
    first_refusal = statuses.index(429)
    assert statuses[:first_refusal] == [404] * first_refusal and first_refusal <= 31
    assert set(statuses[first_refusal:]) == {429}
    assert "possible enumeration" in caplog.text
    lines = _lines(tmp_path)
    assert len(lines) == 60 + 3
    assert sum('"outcome":"rate_limited"' in line for line in lines) == 60 - first_refusal + 1


def test_a_flood_from_one_address_without_a_key_gets_429(api: Api, tmp_path: Path,
                                                         settings_for: Callable) -> None:
    with app_with(api, tmp_path, settings_for, rate_per_address="20/minute") as client:
        answers = [client.get("/networks") for _ in range(30)]
        assert [a.status_code for a in answers] == [401] * 20 + [429] * 10
        assert 0 < int(answers[-1].headers["retry-after"]) <= 60
        assert client.get("/health").status_code == 429  # the address, whatever the route
    assert len(_lines(tmp_path)) == 31


def test_each_key_has_its_own_rate(api: Api, tmp_path: Path, settings_for: Callable) -> None:
    with app_with(api, tmp_path, settings_for, rate_per_key="5/minute") as client:
        analyst = {"X-API-Key": api.keys["analyst"]}
        assert [client.get("/networks", headers=analyst).status_code for _ in range(7)] == (
            [200] * 5 + [429] * 2)
        refused = client.get("/networks", headers=analyst).json()["error"]
        assert refused["code"] == "rate_limited" and "with this key" in refused["message"]
        other = {"X-API-Key": api.keys["investigator"]}
        assert client.get("/networks", headers=other).status_code == 200


def test_uploads_have_quotas(api: Api, tmp_path: Path, settings_for: Callable) -> None:
    with app_with(api, tmp_path, settings_for, uploads="2/hour",
                  upload_bytes_per_day=100) as client:
        headers = {"X-API-Key": api.keys["ingest"]}

        def upload(body: bytes) -> int:
            return client.post("/ingest/upload?filename=a.csv", content=body,
                               headers=headers).status_code

        assert upload(b"x" * 60) == 201
        assert upload(b"x" * 60) == 429  # over the day's bytes: nothing is kept
        assert upload(b"x") == 429  # over the number of uploads
    kept = [p.name for p in (tmp_path / "drop").iterdir()]
    assert len([n for n in kept if n.endswith(".csv")]) == 1 and not [
        n for n in kept if n.endswith(".partial")]


def test_unknown_key_ids_cost_one_read_not_one_each(api: Api, tmp_path: Path,
                                                    settings_for: Callable) -> None:
    made_up = "snk_0123456789abcdef_" + "A" * 43
    with app_with(api, tmp_path, settings_for) as client:
        verifier = client.app.state.verifier  # type: ignore[attr-defined]
        before = verifier.reads
        for _ in range(50):
            assert client.get("/networks", headers={"X-API-Key": made_up}).status_code == 401
        assert verifier.reads - before == 1


def _serve(app: object, port: int) -> tuple[threading.Thread, object]:
    import uvicorn

    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error",
                                           lifespan="on"))  # type: ignore[arg-type]
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    return thread, server


def test_an_idle_upload_body_is_dropped(api: Api, tmp_path: Path,
                                        settings_for: Callable) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(settings_for(tmp_path), limits=ApiLimits(body_idle_s=1.0))
    thread, server = _serve(app, port)
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(b"POST /ingest/upload?filename=slow.csv HTTP/1.1\r\n"
                         b"Host: 127.0.0.1\r\nX-API-Key: " + api.keys["ingest"].encode() +
                         b"\r\nContent-Length: 100000\r\n\r\nregistration_id,hospital\n")
            started = time.monotonic()
            answer = b""
            while chunk := sock.recv(65536):  # until the server closes the connection
                answer += chunk
            waited = time.monotonic() - started
        assert answer.startswith(b"HTTP/1.1 408") and b"body_timeout" in answer
        assert 0.9 < waited < 8
    finally:
        server.should_exit = True  # type: ignore[attr-defined]
        thread.join(timeout=30)
    drop = tmp_path / "drop"
    assert not drop.exists() or not list(drop.iterdir())  # the partial file is gone
    assert '"status":408' in _lines(tmp_path)[-1]
