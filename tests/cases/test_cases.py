"""Cases against the real Neo4j: the workflow, assignee, comments, history, audit, masking,
and a case that follows its network through later analysis runs."""

from __future__ import annotations

from datetime import UTC, datetime

from scalpernet.results.models import AnalysisRun, Member
from scalpernet.results.store import write_results
from tests.api.conftest import P3, P4, Api, gang, wifi


def post(api: Api, url: str, body: dict, role: str = "investigator"):
    return api.client.post(url, json=body, headers={"X-API-Key": api.keys[role]})


def rerun(api: Api, run_id: str, networks: list) -> None:
    """A later nightly analysis: new results written beside the current ones, then made
    current (the previous run's networks are deleted)."""
    write_results(api.graph, AnalysisRun(id=run_id, started_at=datetime.now(UTC),
                                         params={"seed": 1}), networks)


def test_a_case_goes_through_its_states_and_survives_reanalysis(api: Api) -> None:
    opened = post(api, "/cases", {"network_id": "n-gang", "note": "bookings at release"})
    assert opened.status_code == 201, opened.text
    assert opened.json()["case"]["status"] == "new"
    again = post(api, "/cases", {"network_id": "n-gang"})
    assert again.status_code == 200
    assert [e["type"] for e in again.json()["history"]] == ["opened"]

    refused = post(api, "/cases/n-gang/status", {"status": "confirmed", "note": "too early"})
    assert refused.status_code == 409
    assert refused.json()["error"]["code"] == "invalid_transition"
    assert "under_review" in refused.json()["error"]["message"]

    for status, note in (("under_review", "checking the payer"),
                         ("confirmed", "payer alipay-8812 pays for three patients")):
        moved = post(api, "/cases/n-gang/status", {"status": status, "note": note})
        assert moved.status_code == 200, moved.text
        assert moved.json()["case"]["status"] == status
    assert post(api, "/cases/n-gang/assignee", {"assignee": "张警官", "note": "her area"},
                role="admin").status_code == 200
    assert post(api, "/cases/n-gang/comments", {"text": "asked H2 for the CCTV"},
                role="analyst").status_code == 200

    case = api.get("/cases/n-gang").json()
    assert case["case"]["status"] == "confirmed"
    assert case["case"]["assignee"] == "张警官"
    assert case["case"]["confirmed_run_id"] == "run-1"
    assert case["case"]["confirmed_size"] == 9
    assert case["case"]["next_statuses"] == ["referred", "dismissed"]
    history = case["history"]
    assert [(e["seq"], e["type"], e["from"], e["to"]) for e in history] == [
        (1, "opened", None, "new"), (2, "status", "new", "under_review"),
        (3, "status", "under_review", "confirmed"), (4, "assigned", None, "张警官"),
        (5, "comment", None, None)]
    assert [e["by"]["role"] for e in history] == [
        "investigator", "investigator", "investigator", "admin", "analyst"]
    assert history[2]["note"] == "payer alipay-8812 pays for three patients"
    assert case["changes"]["network_present"] is True
    assert all(case["changes"][k]["total"] == 0 for k in ("joined", "left", "role_changed"))

    # next night: patient P3 gone, P4 new, the escort agent now first level; same id
    changed = gang()
    changed.members = [m for m in changed.members if m.key != P3] + [
        Member(kind="patient", key=P4, role="patient", score=0.5)]
    for m in changed.members:
        if m.key == "A9":
            m.role = "first_level"
    changed.size = len(changed.members)
    rerun(api, "run-2", [changed, wifi()])

    case = api.get("/cases/n-gang").json()
    assert case["case"]["status"] == "confirmed"
    assert len(case["history"]) == 5
    assert case["network"]["run_id"] == "run-2"
    changes = case["changes"]
    assert [m["key"] for m in changes["joined"]["members"]] == [P4]
    assert [(m["key"], m["role_then"], m["role_now"]) for m in changes["left"]["members"]] == [
        (P3, "patient", None)]
    assert [(m["key"], m["role_then"], m["role_now"])
            for m in changes["role_changed"]["members"]] == [
        ("A9", "second_level", "first_level")]

    # the night after, the gang's members are found under another id
    moved = gang()
    moved.id = "n-gang-2"
    rerun(api, "run-3", [moved, wifi()])
    case = api.get("/cases/n-gang").json()
    assert case["network"] is None
    assert case["changes"]["network_present"] is False
    assert case["changes"]["left"]["total"] == 9
    assert case["changes"]["left_now_in"] == [{"network": "n-gang-2", "members": 9}]
    refer = post(api, "/cases/n-gang/status", {"status": "referred", "note": "to the unit"})
    assert refer.status_code == 200
    assert refer.json()["case"]["next_statuses"] == []
    closed = post(api, "/cases/n-gang/status", {"status": "dismissed", "note": "no"})
    assert closed.status_code == 409


def test_a_run_still_writing_is_not_read(api: Api) -> None:
    api.graph.write("results_create_run", run={
        "id": "run-writing", "started_at": datetime.now(UTC), "ended_at": None,
        "params": "{}", "summary": "{}"})
    api.graph.write("results_create_networks", run_id="run-writing", rows=[{
        "id": "n-wifi", "risk": 0.99, "size": 77, "signals": "[]", "links": "[]",
        "hospitals": ["H9"], "first_seen": None, "last_seen": None}])
    assert post(api, "/cases", {"network_id": "n-wifi"}).status_code in (200, 201)
    case = api.get("/cases/n-wifi").json()
    assert case["network"]["size"] == 2
    assert case["network"]["risk"] == 0.2
    listed = api.get("/cases", params={"status": "new"}).json()
    assert [(c["network_id"], c["network"]["size"]) for c in listed["cases"]] == [
        ("n-wifi", 2)]


def _node(api: Api, network_id: str) -> str:
    records, _, _ = api.graph.driver.execute_query(
        "MATCH (:AnalysisRun {current: true})-[:FOUND]->(n:Network {id: $id}) "
        "RETURN elementId(n) AS node", id=network_id, database_=api.graph.database)
    return records[0]["node"]


def test_a_case_follows_a_network_carried_over_unchanged(api: Api) -> None:
    # the world's networks current again, and no case of the gang yet
    rerun(api, "carry-0", [gang(), wifi()])
    api.graph.driver.execute_query(
        "MATCH (c:Case {network_id: 'n-gang'}) OPTIONAL MATCH (c)-[:HAS_EVENT]->(ev) "
        "DETACH DELETE c, ev", database_=api.graph.database)
    assert post(api, "/cases", {"network_id": "n-gang"}).status_code == 201
    for status in ("under_review", "confirmed"):
        assert post(api, "/cases/n-gang/status",
                    {"status": status, "note": "checked"}).status_code == 200
    node = _node(api, "n-gang")
    rerun(api, "carry-1", [gang(), wifi()])  # found again exactly as stored: not rewritten
    assert _node(api, "n-gang") == node
    case = api.get("/cases/n-gang").json()
    assert case["network"]["run_id"] == "carry-1"
    assert case["changes"]["network_present"] is True
    assert all(case["changes"][k]["total"] == 0 for k in ("joined", "left", "role_changed"))
    assert api.get("/networks/n-gang").json()["run_id"] == "carry-1"
    assert api.get("/actors/act-p1").json()["run_id"] == "carry-1"
    # the night after, one patient is gone: the network is written again under its id
    changed = gang()
    changed.members = [m for m in changed.members if m.key != P3]
    changed.size = len(changed.members)
    rerun(api, "carry-2", [changed, wifi()])
    assert _node(api, "n-gang") != node
    case = api.get("/cases/n-gang").json()
    assert case["network"]["run_id"] == "carry-2"
    assert [m["key"] for m in case["changes"]["left"]["members"]] == [P3]
