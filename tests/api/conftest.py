"""The API under test: a small world in the real Neo4j, keys for every role, a live app.

The world (``world.cypher``) is loaded once for the package; the app runs in-process with
its own data folder (audit log, reference secret, drop folder), no key cache (a revoked
key is refused at once) and the current analysis run read on every request.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import orjson
import pytest
from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.api.throttle import ApiLimits
from scalpernet.apikeys import create_key, revoke_key
from scalpernet.config import Settings, get_settings
from scalpernet.graph import Graph
from scalpernet.graph.schema import reset_graph
from scalpernet.results.models import (
    Actor,
    ActorIdentifier,
    AnalysisRun,
    EntityRef,
    Link,
    Member,
    Network,
    Signal,
)
from scalpernet.results.store import write_results

CST = timezone(timedelta(hours=8))
RELEASE = datetime(2026, 3, 2, 18, 0, tzinfo=CST)
P1 = "11010519491231002X|张三"
P2 = "510107199013011234|561"
P3 = "510107199001011234|李四"
P4 = "440301198506060018|赵六"


def _ref(kind: str, key: str) -> EntityRef:
    return EntityRef(kind=kind, key=key)  # type: ignore[arg-type]


def _uses(*uids: str, shared: tuple[str, ...] = ()) -> list[ActorIdentifier]:
    out = []
    for value in uids:
        kind, _, key = value.partition(":")
        out.append(ActorIdentifier(kind=kind, key=key, shared=value in shared))  # type: ignore[arg-type]
    return out


def _evidence(bookings: int, customers: int, payments: int, identifiers: int) -> dict:
    return {"bookings": bookings, "customers": customers, "payments": payments,
            "machine_speed": bookings, "within_seconds": bookings, "washed": 0,
            "first_seen": "2026-03-02T18:00:00.021000+08:00",
            "last_seen": "2026-03-02T18:00:00.060000+08:00", "identifiers": identifiers}


def gang_actors() -> list[Actor]:
    """The people of the gang as detection would store them: the technician (the tool's
    address, device and bot account), the first level (the payer), the escort agent A9,
    and one patient per ID card (P1 and P2 share the virtual contact phone)."""
    virtual = "phone:17012345678"
    patients = [
        Actor(id=f"act-p{i}", role="patient", score=score, parent="act-a9",
              link={"bookings": 2, "payments": 2}, evidence=_evidence(2, 1, 0, len(uses)),
              identifiers=_uses(*uses, shared=(virtual,)))
        for i, score, uses in (
            (1, 0.6, (f"patient:{P1}", "id_card:11010519491231002X", virtual)),
            (2, 0.7, (f"patient:{P2}", "id_card:510107199013011234", virtual)),
            (3, 0.6, (f"patient:{P3}", "id_card:510107199001011234", "phone:13900002222")))]
    return [
        Actor(id="act-tech", role="technician", score=0.99, evidence=_evidence(6, 3, 0, 3),
              identifiers=_uses("ip:203.0.113.7", "device:dev-bot-1", "account:acct-bot-1")),
        Actor(id="act-first", role="first_level", score=0.93, parent="act-tech",
              link={"bookings": 6, "payments": 0}, evidence=_evidence(6, 3, 6, 1),
              identifiers=_uses("payer:alipay-8812")),
        Actor(id="act-a9", role="second_level", score=0.8, parent="act-first",
              link={"bookings": 6, "payments": 6}, evidence=_evidence(6, 3, 0, 2),
              identifiers=_uses("escort_agent:A9", "phone:13700001111")),
        *patients,
    ]


def gang() -> Network:
    """The gang of world.cypher as detection would store it."""
    members = [
        Member(kind="ip", key="203.0.113.7", role="technician", score=0.99,
               signals=[Signal(name="bot_latency_p50_ms", value=37, detail="6 bookings")],
               evidence={"registrations": [f"H{h}|R{i}" for h, i in
                                           ((1, 1), (1, 2), (1, 3), (2, 4), (2, 5), (2, 6))]}),
        Member(kind="device", key="dev-bot-1", role="technician", score=0.95),
        Member(kind="account", key="acct-bot-1", role="technician", score=0.9),
        Member(kind="payer", key="alipay-8812", role="first_level", score=0.93,
               evidence={"note": "pays for 510107199013011234 and 17012345678",
                         "patients": ["patient:" + P2]}),
        Member(kind="escort_agent", key="A9", role="second_level", score=0.8),
        Member(kind="patient", key=P1, role="patient", score=0.6),
        Member(kind="patient", key=P2, role="patient", score=0.7),
        Member(kind="patient", key=P3, role="patient", score=0.6),
        Member(kind="phone", key="17012345678", role="none", score=0.2),
    ]
    links = [
        Link(source=_ref("ip", "203.0.113.7"), target=_ref("payer", "alipay-8812"),
             type="paid_bookings_from", weight=6, registrations=6),
        Link(source=_ref("payer", "alipay-8812"), target=_ref("escort_agent", "A9"),
             type="paid_via_agent", weight=6, registrations=6),
        *(Link(source=_ref("escort_agent", "A9"), target=_ref("patient", p), type="brokered",
               weight=2, registrations=2) for p in (P1, P2, P3)),
    ]
    return Network(id="n-gang", risk=0.95, size=len(members), hospitals=["H1", "H2"],
                   first_seen=RELEASE + timedelta(milliseconds=21),
                   last_seen=RELEASE + timedelta(milliseconds=60),
                   signals=[Signal(name="bookings_at_release", value=6,
                                   detail="6 bookings within 0.1 s; contact 17012345678")],
                   members=members, links=links, actors=gang_actors())


def wifi() -> Network:
    """A low-risk cluster around the hospital Wi-Fi (honest look-alike)."""
    return Network(id="n-wifi", risk=0.2, size=2, hospitals=["H1"],
                   first_seen=RELEASE + timedelta(seconds=90),
                   last_seen=RELEASE + timedelta(days=2, seconds=120),
                   members=[Member(kind="ip", key="10.0.0.1", role="none", score=0.1),
                            Member(kind="payer", key="wechat-honest", role="none", score=0.1)])


def load_world(graph: Graph) -> None:
    text = (Path(__file__).with_name("world.cypher")).read_text(encoding="utf-8")
    body = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("//"))
    for statement in (s.strip() for s in body.split(";")):
        if statement:
            graph.driver.execute_query(statement, database_=graph.database)
    store_world_results(graph)


def store_world_results(graph: Graph) -> None:
    """The world's detection results, stored as analysis run ``run-1``."""
    write_results(graph, AnalysisRun(id="run-1", started_at=datetime(2026, 3, 5, tzinfo=UTC),
                                     ended_at=datetime(2026, 3, 5, 0, 5, tzinfo=UTC),
                                     params={"seed": 1}, summary={"networks": 2}),
                  [gang(), wifi()])


#: Limits the suite's many requests stay under; the limits themselves are tested with
#: apps of their own (test_limits.py).
ROOMY = ApiLimits(rate_per_key="100000/minute", rate_per_address="100000/minute",
                  lookup_misses="100000/minute", uploads="10000/hour")


@dataclass
class Api:
    """The running app and a key per role."""

    client: TestClient
    keys: dict[str, str]
    data_dir: Path
    graph: Graph

    def get(self, url: str, role: str | None = "investigator", **kwargs: object):
        headers = {"X-API-Key": self.keys[role]} if role else {}
        return self.client.get(url, headers=headers, **kwargs)  # type: ignore[arg-type]

    def ref(self, kind: str, key: str) -> str:
        """The opaque reference of an entity (the same for every role), as analysts use it."""
        response = self.get(f"/entities/{kind}/{key}", role="investigator")
        assert response.status_code == 200, response.text
        return response.json()["entity"]["ref"]

    def audit_lines(self) -> list[dict]:
        path = self.data_dir / "audit" / "api-audit.jsonl"
        return [orjson.loads(line) for line in path.read_bytes().splitlines() if line.strip()]

    def last_audit(self) -> dict:
        return self.audit_lines()[-1]


def api_settings(data_dir: Path, **changes: object) -> Settings:
    """The configured Neo4j, with the app's own files (audit, references, drop folder) under
    `data_dir`. ``model_copy`` runs no validator, so the drop folder is set here too."""
    base = get_settings()
    return base.model_copy(update={"data_dir": data_dir, "drop_dir": data_dir / "drop",
                                   "neo4j_password": base.password, **changes})


@contextmanager
def live_api(graph: Graph, data_dir: Path, name: str = "test") -> Iterator[Api]:
    """A live app over `graph` with a key of each role (caches off, roomy limits)."""
    keys = {role: create_key(graph, role, name=f"{name} {role}")[1]
            for role in ("investigator", "analyst", "admin", "ingest")}
    app = create_app(api_settings(data_dir), key_cache_ttl=0, run_cache_ttl=0, limits=ROOMY)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, keys=keys, data_dir=data_dir, graph=graph)


@pytest.fixture(scope="package")
def settings_for() -> Callable[..., Settings]:
    """`api_settings` for tests that start an app of their own."""
    return api_settings


@pytest.fixture(scope="package")
def world(graph: Graph) -> Graph:
    reset_graph(graph)
    load_world(graph)
    return graph


@pytest.fixture(scope="package")
def api(world: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    data_dir = tmp_path_factory.mktemp("api-data")
    keys = {role: create_key(world, role, name=f"test {role}")[1]
            for role in ("investigator", "analyst", "admin", "ingest")}
    revoked_record, keys["revoked"] = create_key(world, "investigator", name="revoked")
    revoke_key(world, revoked_record["id"])
    app = create_app(api_settings(data_dir), key_cache_ttl=0, run_cache_ttl=0,
                     max_upload_bytes=64 * 1024, limits=ROOMY)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Api(client=client, keys=keys, data_dir=data_dir, graph=world)
