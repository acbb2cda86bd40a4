"""The writer: entities merged once, registrations created once, changes applied, data verbatim."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from scalpernet.graph import Graph
from scalpernet.ingest.rows import ROW_SCHEMA, parse_row
from scalpernet.ingest.writer import cypher_rows, write_batch

INJECTION = "'; MATCH (n) DETACH DELETE n //"


def _row(**over: str) -> dict[str, str]:
    row = {
        "registration_id": "R1", "hospital": "H1", "department": "心内科", "doctor": "D1",
        "slot_time": "2026-03-02 08:00:00", "released_at": "2026-03-01 18:00:00",
        "booked_at": "2026-03-01 18:00:00.021", "status": "booked", "fee_yuan": "300",
        "patient_name": "张三", "id_number": "11010519491231002X", "phone": "13812345678",
        "ip": "203.0.113.7", "payer_account": "alipay-1", "payer_channel": "支付宝",
        "account_id": "acc-1", "device_id": "dev-1", "escort_agent_id": "A1",
        "escort_agent_name": "李四", "escort_agent_phone": "17012345678",
    }
    row.update(over)
    return row


def _record(**over: str) -> dict[str, Any]:
    row = parse_row(_row(**over))
    return cypher_rows(pa.Table.from_pylist([row], schema=ROW_SCHEMA), "run")[0]


def _counts(graph: Graph) -> tuple[int, int]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) AS n, count(r) AS r",
        database_=graph.database)
    return records[0]["n"], records[0]["r"]


def test_first_write_builds_the_graph_model(empty_graph: Graph) -> None:
    result = write_batch(empty_graph, [_record(), _record(registration_id="R2",
                                                         booked_at="2026-03-01 18:00:00.030")],
                         "run-1")
    assert (result.created, result.updated, result.already_present) == (2, 0, 0)
    records, _, _ = empty_graph.driver.execute_query(
        """MATCH (r:Registration {key: 'H1|R1'})-[:FOR]->(p:Patient)-[:HAS_ID]->(c:IDCard),
                 (r)-[:CONTACT]->(ph:Phone), (r)-[:FROM_IP]->(ip:IP), (r)-[:ON_DEVICE]->(:Device),
                 (r)-[:BY_ACCOUNT]->(:Account), (r)-[:PAID_BY]->(py:Payer),
                 (r)-[:VIA_AGENT]->(a:EscortAgent)-[:HAS_PHONE]->(ap:Phone)
           RETURN r.latency_ms AS latency, r.fee_yuan AS fee, p.uid AS patient, c.valid AS valid,
                  py.channel AS channel, ap.virtual AS virtual, a.name AS agent, ip.uid AS ip""",
        database_=empty_graph.database)
    row = records[0]
    assert row["latency"] == 21 and row["fee"] == "300" and row["valid"] is True
    assert row["patient"] == "patient:11010519491231002X|张三"
    assert row["channel"] == "alipay" and row["virtual"] is True and row["agent"] == "李四"
    assert row["ip"] == "ip:203.0.113.7"
    # registrations, patient, ID card, 2 phones, IP, device, account, payer, agent
    assert _counts(empty_graph)[0] == 2 + 1 + 1 + 2 + 1 + 1 + 1 + 1 + 1


def test_rewriting_the_same_rows_changes_nothing(empty_graph: Graph) -> None:
    batch = [_record(), _record(registration_id="R2")]
    write_batch(empty_graph, batch, "run-1")
    before = _counts(empty_graph)
    again = write_batch(empty_graph, batch, "run-2")
    assert (again.created, again.updated, again.already_present) == (0, 0, 2)
    assert _counts(empty_graph) == before


def test_a_newer_export_updates_status_and_relinks(empty_graph: Graph) -> None:
    write_batch(empty_graph, [_record()], "run-1")
    newer = _record(status="已取消", cancelled_at="2026-03-01 18:00:05",
                    payer_account="wechat-9")
    result = write_batch(empty_graph, [newer], "run-2")
    assert (result.created, result.updated) == (0, 1)
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (r:Registration {key: 'H1|R1'})-[:PAID_BY]->(p:Payer) "
        "RETURN r.status AS status, collect(p.key) AS payers", database_=empty_graph.database)
    assert records[0]["status"] == "cancelled" and records[0]["payers"] == ["wechat-9"]
    older = write_batch(empty_graph, [_record()], "run-3")  # an older export loses
    assert older.already_present == 1
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (r:Registration {key: 'H1|R1'}) RETURN r.status AS s",
        database_=empty_graph.database)
    assert records[0]["s"] == "cancelled"


def test_injection_strings_are_stored_verbatim(empty_graph: Graph) -> None:
    write_batch(empty_graph, [_record(patient_name=INJECTION, department="<script>x</script>",
                                      payer_account=INJECTION)], "run-1")
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (r:Registration)-[:FOR]->(p:Patient), (r)-[:PAID_BY]->(py:Payer) "
        "RETURN p.name AS name, r.department AS dept, py.key AS payer, "
        "count { MATCH (n) } AS nodes", database_=empty_graph.database)
    row = records[0]
    assert row["name"] == INJECTION and row["payer"] == INJECTION
    assert row["dept"] == "<script>x</script>" and row["nodes"] > 5
