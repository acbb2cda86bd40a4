"""Actors through the API: a network led by its people, pages of them, one actor with its
identifiers, bookings and evidence; masked, referenced and audited like every route, and
always of the current analysis run."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest

from scalpernet.graph import Graph
from scalpernet.results.models import Actor, AnalysisRun
from scalpernet.results.store import write_results
from tests.api.conftest import gang, store_world_results, wifi

if TYPE_CHECKING:
    from tests.api.conftest import Api

GANG_ACTORS = ["act-tech", "act-first", "act-a9", "act-p2", "act-p1", "act-p3"]


def _tree_ids(nodes: list[dict], depth: int = 0) -> list[tuple[int, str, str]]:
    out = []
    for node in nodes:
        out.append((depth, node["role"], node["id"]))
        out.extend(_tree_ids(node["children"], depth + 1))
    return out


# -- GET /networks/{id} ---------------------------------------------------------------------
def test_a_network_leads_with_its_actors_by_tier(api: Api) -> None:
    body = api.get("/networks/n-gang").json()
    keys = list(body)
    assert keys.index("actors") < keys.index("hierarchy") < keys.index("members")
    actors = body["actors"]
    assert actors["total"] == 6 and actors["top_limit"] == 5
    assert [(t["role"], t["count"]) for t in actors["tiers"]] == [
        ("technician", 1), ("first_level", 1), ("second_level", 1), ("patient", 3)]
    tech = actors["tiers"][0]["top"][0]
    assert tech == {"id": "act-tech", "role": "technician", "score": 0.99, "identifiers": 3,
                    "parent": None, "link": None, "evidence": {
                        "bookings": 6, "customers": 3, "payments": 0, "machine_speed": 6,
                        "within_seconds": 6, "washed": 0,
                        "first_seen": "2026-03-02T18:00:00.021000+08:00",
                        "last_seen": "2026-03-02T18:00:00.060000+08:00", "identifiers": 3}}
    # the top of a tier: highest score first, then id
    assert [a["id"] for a in actors["tiers"][3]["top"]] == ["act-p2", "act-p1", "act-p3"]
    # what the route returned before is still there
    assert body["members_total"] == 9 and len(body["members"]) == 9
    assert {t["role"]: t["count"] for t in body["hierarchy"]["tiers"]} == {
        "technician": 3, "first_level": 1, "second_level": 1, "patient": 3, "none": 1}


def test_the_top_of_each_tier_is_capped_by_actors_limit(api: Api) -> None:
    one = api.get("/networks/n-gang?actors_limit=1").json()["actors"]
    assert [len(t["top"]) for t in one["tiers"]] == [1, 1, 1, 1]
    assert [t["count"] for t in one["tiers"]] == [1, 1, 1, 3] and one["top_limit"] == 1
    none = api.get("/networks/n-gang?actors_limit=0").json()["actors"]
    assert all(t["top"] == [] for t in none["tiers"]) and none["total"] == 6
    response = api.get("/networks/n-gang?actors_limit=51")
    assert response.status_code == 422 and "actors_limit" in response.text


def test_the_hierarchy_is_the_stored_actor_tree(api: Api) -> None:
    hierarchy = api.get("/networks/n-gang").json()["hierarchy"]
    assert _tree_ids(hierarchy["tree"]) == [
        (0, "technician", "act-tech"), (1, "first_level", "act-first"),
        (2, "second_level", "act-a9"), (3, "patient", "act-p2"), (3, "patient", "act-p1"),
        (3, "patient", "act-p3")]
    tech = hierarchy["tree"][0]
    first = tech["children"][0]
    agent = first["children"][0]
    # each link carries the bookings and payments detection stored for it
    assert first["link"] == {"bookings": 6, "payments": 0}
    assert agent["link"] == {"bookings": 6, "payments": 6} and agent["parent"] == "act-first"
    assert agent["children"][0]["link"] == {"bookings": 2, "payments": 2}
    assert hierarchy["unattached"] == [] and hierarchy["unattached_patients"] == 0


def test_tree_nodes_cap_their_children(api: Api) -> None:
    hierarchy = api.get("/networks/n-gang?children_limit=1").json()["hierarchy"]
    agent = hierarchy["tree"][0]["children"][0]["children"][0]
    assert agent["id"] == "act-a9" and agent["children_total"] == 3
    assert [c["id"] for c in agent["children"]] == ["act-p2"]
    assert hierarchy["children_limit"] == 1
    bare = api.get("/networks/n-gang?children_limit=0").json()["hierarchy"]["tree"]
    assert bare[0]["children"] == [] and bare[0]["children_total"] == 1


def test_a_network_without_actors_has_an_empty_tree(api: Api) -> None:
    body = api.get("/networks/n-wifi").json()
    assert body["actors"]["total"] == 0 and body["hierarchy"]["tree"] == []
    assert body["members_total"] == 2


# -- GET /networks/{id}/actors --------------------------------------------------------------
def test_actors_are_paged_in_tier_order(api: Api) -> None:
    pages = [api.get(f"/networks/n-gang/actors?limit=2&offset={o}").json() for o in (0, 2, 4)]
    assert [a["id"] for page in pages for a in page["actors"]] == GANG_ACTORS
    first = pages[0]
    assert (first["network"], first["run_id"], first["role"], first["total"], first["limit"],
            first["offset"]) == ("n-gang", "run-1", None, 6, 2, 0)
    assert [(t["role"], t["count"]) for t in first["tiers"]] == [
        ("technician", 1), ("first_level", 1), ("second_level", 1), ("patient", 3)]
    assert api.get("/networks/n-gang/actors?offset=6").json()["actors"] == []
    default = api.get("/networks/n-gang/actors").json()
    assert default["limit"] == 50 and [a["id"] for a in default["actors"]] == GANG_ACTORS


def test_actors_filtered_by_role(api: Api) -> None:
    patients = api.get("/networks/n-gang/actors?role=patient&limit=2").json()
    assert patients["total"] == 3 and patients["role"] == "patient"
    assert [a["id"] for a in patients["actors"]] == ["act-p2", "act-p1"]
    assert {a["parent"] for a in patients["actors"]} == {"act-a9"}
    second = api.get("/networks/n-gang/actors?role=second_level").json()
    assert [a["id"] for a in second["actors"]] == ["act-a9"]
    assert second["actors"][0]["identifiers"] == 2
    assert api.get("/networks/n-wifi/actors?role=technician").json()["total"] == 0


@pytest.mark.parametrize("query, fragment", [
    ("role=none", "role"), ("role=boss", "role"), ("limit=0", "limit"),
    ("limit=201", "limit"), ("offset=-1", "offset"), ("members_limit=5", "members_limit"),
])
def test_bad_actor_page_parameters(api: Api, query: str, fragment: str) -> None:
    response = api.get(f"/networks/n-gang/actors?{query}")
    assert response.status_code == 422 and fragment in response.json()["error"]["message"]


def test_actors_of_an_unknown_network_are_404(api: Api) -> None:
    response = api.get("/networks/no-such-network/actors")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found",
                                        "message": "no current network with id no-such-network"}


# -- GET /actors/{id} -----------------------------------------------------------------------
def test_an_actor_with_its_identifiers_bookings_and_evidence(api: Api) -> None:
    body = api.get("/actors/act-first").json()
    assert body["actor"]["id"] == "act-first" and body["actor"]["role"] == "first_level"
    assert body["actor"]["evidence"]["payments"] == 6
    assert body["actor"]["link"] == {"bookings": 6, "payments": 0}
    assert body["run_id"] == "run-1"
    assert body["network"] == {"id": "n-gang", "risk": 0.95, "size": 9}
    assert body["parent"] == {"id": "act-tech", "role": "technician", "score": 0.99}
    assert body["children"] == [{"role": "second_level", "count": 1}]
    (payer,) = body["identifiers"]
    assert payer["uid"] == "payer:alipay-8812" and payer["ref"].startswith("ref_")
    assert (payer["role"], payer["score"], payer["shared"], payer["operated_by_tool"]) == (
        "first_level", 0.93, False, False)
    bookings = body["bookings"]
    assert bookings["total"] == 6 and bookings["doctors"] == 1
    assert bookings["first_booked_at"] == "2026-03-02T18:00:00.021000+08:00"
    assert bookings["last_booked_at"] == "2026-03-02T18:00:00.060000+08:00"
    assert bookings["hospitals"] == [{"hospital": "H1", "registrations": 3},
                                     {"hospital": "H2", "registrations": 3}]
    assert bookings["top_doctors"] == [{"hospital": "H1", "doctor": "D1", "registrations": 3},
                                       {"hospital": "H2", "doctor": "D1", "registrations": 3}]
    assert bookings["latency_ms"]["count"] == 6 and bookings["latency_ms"]["max"] == 60
    assert bookings["latency_ms"]["under_1s"] == 6
    assert bookings["payments"] == {"paid": 6, "payers": 1, "by_own_payers": 6,
                                    "fee_yuan": 1800.0}


def test_a_patient_actor_shares_the_family_phone(api: Api) -> None:
    body = api.get("/actors/act-p1").json()
    by_uid = {i["uid"]: i for i in body["identifiers"]}
    assert set(by_uid) == {"id_card:11010519491231002X", "patient:11010519491231002X|张三",
                           "phone:17012345678"}
    assert by_uid["phone:17012345678"]["shared"] is True
    assert by_uid["id_card:11010519491231002X"]["role"] is None  # not a network member
    assert body["children"] == [] and body["parent"]["id"] == "act-a9"
    # every booking through its identifiers: its own two, the Wi-Fi one, and the two of the
    # other customer on the shared phone
    bookings = body["bookings"]
    assert bookings["total"] == 5 and bookings["payments"]["payers"] == 2
    assert bookings["payments"]["by_own_payers"] == 0
    assert bookings["statuses"][0] == {"status": "attended", "registrations": 3}


def test_an_actors_identifiers_are_paged(api: Api) -> None:
    whole = api.get("/actors/act-tech").json()
    assert whole["identifiers_total"] == 3 and whole["identifiers_limit"] == 100
    assert [i["uid"] for i in whole["identifiers"]] == [
        "account:acct-bot-1", "device:dev-bot-1", "ip:203.0.113.7"]
    page = api.get("/actors/act-tech?identifiers_limit=1&identifiers_offset=1").json()
    assert [i["uid"] for i in page["identifiers"]] == ["device:dev-bot-1"]
    assert page["identifiers_total"] == 3 and page["identifiers_offset"] == 1
    assert api.get("/actors/act-tech?identifiers_limit=0").status_code == 422


def test_an_unknown_actor_is_404(api: Api) -> None:
    response = api.get("/actors/act-nobody")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found",
                                        "message": "no current actor with id act-nobody"}


def test_explain_shows_the_actor_page_query(api: Api) -> None:
    api.get("/networks/n-gang/actors")  # the tree is cached now
    body = api.get("/networks/n-gang/actors?explain=true").json()
    (query,) = body["explain"]["queries"]
    assert query["name"] == "api_network_hierarchy" and query["parameters"] == {"id": "n-gang"}
    assert "explain" not in api.get("/networks/n-gang/actors").json()


def test_explain_shows_the_actor_queries(api: Api) -> None:
    body = api.get("/actors/act-a9?explain=true").json()
    names = {q["name"] for q in body["explain"]["queries"]}
    assert names == {"api_actor", "api_actor_bookings"}
    assert all(q["parameters"]["id"] == "act-a9" for q in body["explain"]["queries"])


# -- masking, references, roles, audit -------------------------------------------------------
def test_analysts_see_an_actors_identifiers_masked_and_follow_references(api: Api) -> None:
    full = api.get("/actors/act-p2").json()
    masked = api.get("/actors/act-p2", role="analyst")
    assert masked.status_code == 200
    for secret in ("510107199013011234", "17012345678"):
        assert secret in str(full) and secret not in masked.text
    shown = {i["kind"]: i for i in masked.json()["identifiers"]}
    assert shown["phone"]["key"] == "170****5678"
    assert shown["id_card"]["key"] == "510107********1234"
    # the reference is the same for both roles and opens the entity for the analyst
    assert shown["phone"]["ref"] == next(i["ref"] for i in full["identifiers"]
                                         if i["kind"] == "phone")
    entity = api.get(f"/entities/phone/{shown['phone']['ref']}", role="analyst")
    assert entity.status_code == 200 and entity.json()["entity"]["key"] == "170****5678"
    for url in ("/networks/n-gang", "/networks/n-gang/actors?role=patient"):
        assert "17012345678" not in api.get(url, role="analyst").text


@pytest.mark.parametrize("url", ["/actors/act-p1", "/networks/n-gang/actors"])
def test_the_new_routes_need_a_reading_role(api: Api, url: str) -> None:
    assert api.get(url, role=None).status_code == 401
    assert api.get(url, role="revoked").status_code == 401
    refused = api.get(url, role="ingest")
    assert refused.status_code == 403 and refused.json()["error"]["code"] == "forbidden"
    for role in ("investigator", "analyst", "admin"):
        assert api.get(url, role=role).status_code == 200


def test_reading_an_actor_is_audited_with_what_it_showed(api: Api) -> None:
    api.get("/actors/act-p2", role="analyst")
    entry = api.last_audit()
    assert entry["route"] == "/actors/{actor_id}" and entry["role"] == "analyst"
    assert entry["params"] == {"actor_id": "act-p2"} and entry["outcome"] == "ok"
    assert entry["actors"] == ["act-a9", "act-p2"]
    assert entry["entities"] == ["id_card:510107********1234", "patient:510107********1234|561",
                                 "phone:170****5678"]
    api.get("/actors/act-nobody")
    missed = api.last_audit()
    assert missed["outcome"] == "not_found" and missed["params"] == {"actor_id": "act-nobody"}


def test_reading_actor_pages_and_the_network_is_audited(api: Api) -> None:
    api.get("/networks/n-gang/actors?role=patient&limit=2")
    entry = api.last_audit()
    assert entry["route"] == "/networks/{network_id}/actors"
    assert entry["params"] == {"network_id": "n-gang", "role": "patient", "limit": "2"}
    assert entry["actors"] == ["act-p1", "act-p2"] and entry["entities"] == []
    for _ in range(2):  # rendered once, then served from memory: audited alike
        api.get("/networks/n-gang?actors_limit=1&children_limit=1")
        entry = api.last_audit()
        assert entry["actors"] == ["act-a9", "act-first", "act-p2", "act-tech"]
        assert len(entry["entities"]) == 9


# -- the current analysis run only -----------------------------------------------------------
class _FailsToSwitch(Graph):
    """The suite's graph, except that a run is never made current (a write that failed)."""

    def __init__(self, graph: Graph) -> None:
        self.__dict__.update(graph.__dict__)

    def write(self, name: str, **params: object) -> list[dict]:
        if name == "results_switch":
            raise RuntimeError("the switch failed")
        return super().write(name, **params)


@pytest.fixture()
def later_runs(api: Api) -> Iterator[Graph]:
    """Room for runs after the world's own; the world's results are restored afterwards."""
    yield api.graph
    api.graph.driver.execute_query("MATCH (r:AnalysisRun) DETACH DELETE r",
                                   database_=api.graph.database)
    store_world_results(api.graph)


def _rerun(actors: list[Actor]) -> list:
    net = gang()
    net.actors = actors
    return [net, wifi()]


def test_actor_ids_are_served_from_the_current_run_only(api: Api, later_runs: Graph) -> None:
    # run 2: the same people (ids kept, as detection keeps them), but the third patient's
    # ID card was found to be someone else: a new actor with a new id
    kept = [a for a in gang().actors if a.id != "act-p3"]
    moved = next(a for a in gang().actors if a.id == "act-p3").model_copy(
        update={"id": "act-p3b", "score": 0.65})
    write_results(later_runs, AnalysisRun(id="run-2", started_at=datetime(2026, 3, 6,
                                                                          tzinfo=UTC)),
                  _rerun([*kept, moved]))
    assert api.get("/actors/act-p1").json()["run_id"] == "run-2"
    assert api.get("/actors/act-p3b").json()["actor"]["score"] == 0.65
    gone = api.get("/actors/act-p3")  # an id of the superseded run
    assert gone.status_code == 404 and gone.json()["error"]["code"] == "not_found"
    page = api.get("/networks/n-gang/actors").json()
    assert page["run_id"] == "run-2"
    assert [a["id"] for a in page["actors"]] == [*GANG_ACTORS[:4], "act-p3b", "act-p1"]
    tree = api.get("/networks/n-gang").json()["hierarchy"]["tree"]
    assert "act-p3" not in {i for _, _, i in _tree_ids(tree)}

    # run 3 fails before it is made current: its actors stay invisible
    extra = Actor(id="act-writing", role="patient", score=0.5,
                  identifiers=gang().actors[-1].identifiers)
    with pytest.raises(RuntimeError, match="switch failed"):
        write_results(_FailsToSwitch(later_runs),
                      AnalysisRun(id="run-3", started_at=datetime(2026, 3, 7, tzinfo=UTC)),
                      _rerun([*kept, moved, extra]))
    status = later_runs.read("analysis_runs", limit=5, offset=0)
    assert {r["run"]["id"]: r["run"]["status"] for r in status}["run-3"] == "writing"
    assert api.get("/actors/act-writing").status_code == 404
    assert api.get("/actors/act-p1").json()["run_id"] == "run-2"
    assert api.get("/networks/n-gang/actors").json()["total"] == 6
