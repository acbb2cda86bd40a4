"""A world with personal identifiers planted in every field, in every way exports write them.

The API test world (``tests/api/world.cypher``, its gang and its honest family) plus a
network whose account, payer, device and escort agent keys, names, registration fields,
unknown export columns, signals and evidence all hold an ID number or a phone — run into
letters, inside a name, with dots, dashes, spaces, +86, full-width digits, as a number.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import orjson
import pytest

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
from tests.api.conftest import RELEASE, Api, gang, live_api, load_world, wifi

#: The planted identifiers, as stored (the mask shows 500101********6410, 131****8824).
ID_NUMBER = "500101193907136410"
PHONE = "13144808824"
#: Their hidden parts: what no analyst may ever read.
HIDDEN = (ID_NUMBER[6:14], PHONE[3:7])
FULL_WIDTH_PHONE = PHONE.translate(str.maketrans("0123456789", "０１２３４５６７８９"))

ACCOUNT_PHONE = PHONE
ACCOUNT_ID = f"u-ID{ID_NUMBER}"
PAYER_PLUS86 = "alipay:+86 131 4480 8824"
PAYER_DOTS = "wx_131.4480.8824"
DEVICE_SLASH = "dev/131-4480-8824"  # a key holding '/'
AGENT_FULL_WIDTH = f"A-{FULL_WIDTH_PHONE}"
AGENT_NAME = f"王五{PHONE}"
PATIENT = f"{ID_NUMBER}|王五{PHONE}"
PATIENT_NAME = f"王五{PHONE}"

#: Every planted entity as (kind, key).
PLANTED = [("account", ACCOUNT_PHONE), ("account", ACCOUNT_ID), ("payer", PAYER_PLUS86),
           ("payer", PAYER_DOTS), ("device", DEVICE_SLASH), ("escort_agent", AGENT_FULL_WIDTH),
           ("patient", PATIENT), ("id_card", ID_NUMBER), ("phone", PHONE)]

_PLANT = """
CREATE (:Account:Entity {uid: 'account:' + $account_phone, key: $account_phone,
                         note: 'call ' + $phone_spaces})
CREATE (:Account:Entity {uid: 'account:' + $account_id, key: $account_id})
CREATE (:Payer:Entity {uid: 'payer:' + $payer_plus86, key: $payer_plus86, channel: 'alipay'})
CREATE (:Payer:Entity {uid: 'payer:' + $payer_dots, key: $payer_dots, channel: 'wechat'})
CREATE (:Device:Entity {uid: 'device:' + $device, key: $device})
CREATE (a:EscortAgent:Entity {uid: 'escort_agent:' + $agent, key: $agent, name: $agent_name})
CREATE (ph:Phone:Entity {uid: 'phone:' + $phone, key: $phone, kind: 'mobile', virtual: false})
CREATE (c:IDCard:Entity {uid: 'id_card:' + $id_number, key: $id_number, valid: true,
                         birth_date: date('1939-07-13'), sex: 'M', region: '500101'})
CREATE (p:Patient:Entity {uid: 'patient:' + $patient, key: $patient, name: $patient_name,
                          junk_name: false})
CREATE (p)-[:HAS_ID]->(c), (a)-[:HAS_PHONE]->(ph)
WITH p, ph, a
UNWIND range(1, 3) AS i
MATCH (ip:IP {key: '203.0.113.7'}), (acct:Account {key: $account_phone}),
      (acct2:Account {key: $account_id}), (payer:Payer {key: $payer_plus86}),
      (payer2:Payer {key: $payer_dots}), (device:Device {key: $device})
CREATE (r:Registration {key: 'H1|ID' + $id_number + '-' + i,
                        registration_id: 'ID' + $id_number + '-' + i, hospital: 'H1',
                        department: '产科 ' + $phone_dashes, doctor: '医生' + $phone,
                        status: 'booked', released_at: $released,
                        booked_at: $released + duration({milliseconds: 20 + i}),
                        latency_ms: 20 + i, fee_yuan: '300.00', visit_card: $phone,
                        extra: $extra, source_file: 'export-' + $phone + '.csv',
                        source_line: i})
CREATE (r)-[:FOR]->(p), (r)-[:CONTACT]->(ph), (r)-[:FROM_IP]->(ip), (r)-[:ON_DEVICE]->(device),
       (r)-[:VIA_AGENT]->(a)
WITH r, i, acct, acct2, payer, payer2
WITH r, CASE WHEN i = 1 THEN acct ELSE acct2 END AS account,
     CASE WHEN i = 3 THEN payer2 ELSE payer END AS paid_by
CREATE (r)-[:BY_ACCOUNT]->(account), (r)-[:PAID_BY]->(paid_by)
"""


def _ref(kind: str, key: str) -> EntityRef:
    return EntityRef(kind=kind, key=key)  # type: ignore[arg-type]


#: The planted network's actors: (id, role, parent, identifiers).
PLANTED_ACTORS = [
    ("act-planted-tech", "technician", None, [*PLANTED[0:2], PLANTED[4]]),
    ("act-planted-first", "first_level", "act-planted-tech", PLANTED[2:4]),
    ("act-planted-agent", "second_level", "act-planted-first", [PLANTED[5], PLANTED[8]]),
    ("act-planted-patient", "patient", "act-planted-agent", [PLANTED[6], PLANTED[7]]),
]


def planted_actors(evidence: dict) -> list[Actor]:
    """Every planted identifier used by an actor, each actor's evidence planted too."""
    return [Actor(id=actor_id, role=role, score=0.9, parent=parent,  # type: ignore[arg-type]
                  link={"bookings": 3, "payments": 3} if parent else {},
                  evidence={**evidence, "bookings": 3},
                  identifiers=[ActorIdentifier(kind=kind, key=key,  # type: ignore[arg-type]
                                               shared=kind == "phone")
                               for kind, key in uses])
            for actor_id, role, parent, uses in PLANTED_ACTORS]


def planted_network() -> Network:
    evidence = {"note": f"王五{PHONE} paid via {PAYER_DOTS}", "ids": [f"ID{ID_NUMBER}"],
                "phone_as_number": int(PHONE), f"联系{PHONE}": "key of a dict"}
    members = [Member(kind=kind, key=key, role=role, score=0.9,
                      signals=[Signal(name="planted", value=1,
                                      detail=f"contact +86 131 4480 8824 / ID{ID_NUMBER}")],
                      evidence=evidence)
               for (kind, key), role in zip(PLANTED, [
                   "technician", "technician", "first_level", "first_level", "technician",
                   "second_level", "patient", "none", "none"], strict=True)]
    links = [Link(source=_ref("payer", PAYER_PLUS86), target=_ref("escort_agent",
                                                                  AGENT_FULL_WIDTH),
                  type="paid_via_agent", weight=3, registrations=3),
             Link(source=_ref("escort_agent", AGENT_FULL_WIDTH), target=_ref("patient", PATIENT),
                  type="brokered", weight=3, registrations=3),
             Link(source=_ref("account", ACCOUNT_PHONE), target=_ref("payer", PAYER_PLUS86),
                  type="paid_bookings_from", weight=1, registrations=1)]
    return Network(id="n-planted", risk=0.9, size=len(members), hospitals=["H1"],
                   actors=planted_actors(evidence),
                   first_seen=RELEASE, last_seen=RELEASE + timedelta(seconds=1),
                   signals=[Signal(name="contact_in_free_text", value=int(PHONE),
                                   detail=f"call 131.4480.8824 or {FULL_WIDTH_PHONE}; "
                                          f"ID{ID_NUMBER}")],
                   members=members, links=links)


@pytest.fixture(scope="package")
def planted(graph: Graph) -> Graph:
    reset_graph(graph)
    load_world(graph)
    graph.driver.execute_query(
        _PLANT, database_=graph.database, account_phone=ACCOUNT_PHONE, account_id=ACCOUNT_ID,
        payer_plus86=PAYER_PLUS86, payer_dots=PAYER_DOTS, device=DEVICE_SLASH,
        agent=AGENT_FULL_WIDTH, agent_name=AGENT_NAME, phone=PHONE, id_number=ID_NUMBER,
        patient=PATIENT, patient_name=PATIENT_NAME, phone_spaces="131 4480 8824",
        phone_dashes="131-4480-8824", released=RELEASE,
        extra=orjson.dumps({"备注": "+86 131 4480 8824", "身份证": f"ID{ID_NUMBER}",
                            "电话": int(PHONE)}).decode())
    write_results(graph, AnalysisRun(id="run-2", started_at=datetime(2026, 3, 6, tzinfo=UTC),
                                     ended_at=datetime(2026, 3, 6, 0, 5, tzinfo=UTC),
                                     params={"seed": 1},
                                     summary={"networks": 3, "note": f"ID{ID_NUMBER}"}),
                  [gang(), wifi(), planted_network()])
    return graph


@pytest.fixture(scope="package")
def api(planted: Graph, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Api]:
    with live_api(planted, tmp_path_factory.mktemp("privacy-data"), "planted") as api:
        yield api
