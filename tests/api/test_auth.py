"""Keys are required, checked against stored hashes, revocable; each role sees only its routes."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING

import pytest

from scalpernet.apikeys import create_key, list_keys, parse_key

if TYPE_CHECKING:
    from tests.api.conftest import Api

READ_ROUTES = [
    "/networks", "/networks/n-gang", "/entities/ip/203.0.113.7",
    "/entities/ip/203.0.113.7/neighbours", "/entities/ip/203.0.113.7/registrations",
    "/paths?source=ip:203.0.113.7&target=payer:alipay-8812", "/search?q=alipay",
    "/ingest/runs", "/analysis/runs",
]


@pytest.mark.parametrize("route", [*READ_ROUTES, "/audit"])
def test_every_route_but_health_needs_a_key(api: Api, route: str) -> None:
    response = api.get(route, role=None)
    assert response.status_code == 401
    assert response.json()["error"] == {"code": "unauthorized",
                                        "message": "missing X-API-Key header"}


def test_health_needs_no_key(api: Api) -> None:
    assert api.get("/health", role=None).status_code == 200


@pytest.mark.parametrize("presented, message", [
    ("not-a-key", "malformed API key"),
    ("snk_0123456789abcdef_" + "A" * 43, "unknown API key"),
])
def test_bad_keys_are_refused(api: Api, presented: str, message: str) -> None:
    response = api.client.get("/networks", headers={"X-API-Key": presented})
    assert response.status_code == 401 and response.json()["error"]["message"] == message


def test_a_right_id_with_a_wrong_secret_is_refused(api: Api) -> None:
    key_id, _ = parse_key(api.keys["investigator"])  # type: ignore[misc]
    forged = f"snk_{key_id}_{'B' * 43}"
    response = api.client.get("/networks", headers={"X-API-Key": forged})
    assert response.status_code == 401 and response.json()["error"]["message"] == "unknown API key"


def test_a_revoked_key_is_refused(api: Api) -> None:
    response = api.get("/networks", role="revoked")
    assert response.status_code == 401 and "revoked" in response.json()["error"]["message"]


def test_only_the_hash_of_the_secret_is_stored(api: Api) -> None:
    key_id, secret = parse_key(api.keys["analyst"])  # type: ignore[misc]
    stored = api.graph.read("api_key_get", id=key_id)[0]["key"]
    assert stored["hash"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in str(stored) and stored["role"] == "analyst"
    listed = {k["id"]: k for k in list_keys(api.graph)}
    assert "hash" not in listed[key_id] and listed[key_id]["revoked_at"] is None


def test_each_new_key_is_different(api: Api) -> None:
    (_, a), (_, b) = create_key(api.graph, "analyst"), create_key(api.graph, "analyst")
    assert a != b and parse_key(a) and parse_key(b)


@pytest.mark.parametrize("route", [*READ_ROUTES, "/audit"])
def test_the_ingest_role_reads_nothing(api: Api, route: str) -> None:
    response = api.get(route, role="ingest")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "forbidden"


@pytest.mark.parametrize("role", ["investigator", "analyst"])
def test_only_admins_read_the_audit_log(api: Api, role: str) -> None:
    response = api.get("/audit", role=role)
    assert response.status_code == 403 and "admin" in response.json()["error"]["message"]
    assert api.get("/audit", role="admin").status_code == 200


@pytest.mark.parametrize("role", ["investigator", "analyst"])
def test_readers_cannot_upload(api: Api, role: str) -> None:
    response = api.client.post("/ingest/upload?filename=x.csv", content=b"a,b\n",
                               headers={"X-API-Key": api.keys[role]})
    assert response.status_code == 403


@pytest.mark.parametrize("role", ["investigator", "analyst", "admin"])
@pytest.mark.parametrize("route", READ_ROUTES)
def test_readers_read(api: Api, role: str, route: str) -> None:
    assert api.get(route, role=role).status_code == 200


def test_refusals_are_audited(api: Api) -> None:
    api.get("/audit", role="analyst")
    entry = api.last_audit()
    assert entry["outcome"] == "denied" and entry["status"] == 403
    assert entry["role"] == "analyst" and entry["route"] == "/audit"
    assert entry["key_id"] == parse_key(api.keys["analyst"])[0]  # type: ignore[index]


def test_a_cached_key_is_read_once_and_its_revocation_applies_within_the_ttl() -> None:
    import asyncio
    from datetime import UTC, datetime

    from scalpernet.api.auth import KeyVerifier
    from scalpernet.api.errors import ApiError
    from scalpernet.apikeys import hash_secret, new_key

    key_id, secret, full = new_key()

    class Graph:
        def __init__(self) -> None:
            self.reads = 0
            self.revoked_at: datetime | None = None

        async def read(self, name: str, **_: object) -> list[dict]:
            self.reads += 1
            await asyncio.sleep(0.01)
            return [{"key": {"id": key_id, "hash": hash_secret(secret), "role": "analyst",
                             "name": "", "revoked_at": self.revoked_at}}]

    async def main() -> None:
        graph = Graph()
        verifier = KeyVerifier(graph, ttl=0.3)  # type: ignore[arg-type]
        callers = await asyncio.gather(*(verifier.verify(full) for _ in range(50)))
        assert {c.role for c in callers} == {"analyst"} and graph.reads == 1
        graph.revoked_at = datetime.now(UTC)
        assert (await verifier.verify(full)).key_id == key_id  # still within the ttl
        await asyncio.sleep(0.35)
        with pytest.raises(ApiError, match="revoked"):
            await verifier.verify(full)
        assert graph.reads == 2
        with pytest.raises(ApiError, match="unknown API key"):
            await verifier.verify(f"snk_{key_id}_{'x' * 43}")  # the right id, a wrong secret

    asyncio.run(main())
