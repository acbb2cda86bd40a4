"""GET /networks ranks and filters stored results; /networks/{id} shows tiers and evidence."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tests.api.conftest import Api


def test_networks_are_ranked_by_risk_with_a_total(api: Api) -> None:
    body = api.get("/networks").json()
    assert body["run_id"] == "run-1" and body["total"] == 2
    assert [n["id"] for n in body["networks"]] == ["n-gang", "n-wifi"]
    gang = body["networks"][0]
    assert gang["risk"] == 0.95 and gang["size"] == 9 and gang["hospitals"] == ["H1", "H2"]
    assert gang["signals"][0]["name"] == "bookings_at_release"


@pytest.mark.parametrize("query, expected", [
    ("hospital=H2", ["n-gang"]),
    ("hospital=H9", []),
    ("min_risk=0.5", ["n-gang"]),
    ("since=2026-03-03T00:00:00", ["n-wifi"]),
    ("until=2026-03-02T18:00:01%2B08:00", ["n-gang"]),
    ("since=2026-03-02T00:00:00Z&until=2026-03-05T00:00:00Z", ["n-gang", "n-wifi"]),
])
def test_filters(api: Api, query: str, expected: list[str]) -> None:
    body = api.get(f"/networks?{query}").json()
    assert [n["id"] for n in body["networks"]] == expected and body["total"] == len(expected)


def test_pagination_keeps_the_total(api: Api) -> None:
    first = api.get("/networks?limit=1").json()
    second = api.get("/networks?limit=1&offset=1").json()
    assert first["total"] == second["total"] == 2
    assert [first["networks"][0]["id"], second["networks"][0]["id"]] == ["n-gang", "n-wifi"]
    assert api.get("/networks?offset=5").json()["networks"] == []


@pytest.mark.parametrize("query, status, fragment", [
    ("limit=0", 422, "limit"),
    ("limit=201", 422, "less than or equal to 200"),
    ("offset=-1", 422, "offset"),
    ("min_risk=1.5", 422, "min_risk"),
    ("min_risk=high", 422, "min_risk"),
    ("since=yesterday", 422, "since"),
    ("since=2026-03-05T00:00:00&until=2026-03-01T00:00:00", 400, "since must not be after"),
])
def test_bad_parameters_get_a_clear_message(api: Api, query: str, status: int,
                                            fragment: str) -> None:
    response = api.get(f"/networks?{query}")
    assert response.status_code == status
    error = response.json()["error"]
    assert error["code"] in ("invalid_parameter", "bad_request") and fragment in error["message"]


def test_network_detail_members_carry_role_score_signals_and_evidence(api: Api) -> None:
    body = api.get("/networks/n-gang").json()
    members = {m["uid"]: m for m in body["members"]}
    assert len(members) == 9
    ip = members["ip:203.0.113.7"]
    assert ip["role"] == "technician" and ip["score"] == 0.99
    assert ip["signals"] == [{"name": "bot_latency_p50_ms", "value": 37.0,
                              "detail": "6 bookings"}]
    assert len(ip["evidence"]["registrations"]) == 6
    assert members["phone:17012345678"]["role"] == "none"
    assert body["members_total"] == 9


def test_members_are_paged_in_tier_order(api: Api) -> None:
    first = api.get("/networks/n-gang?members_limit=4").json()
    assert first["members_total"] == 9 and first["members_limit"] == 4
    assert [m["role"] for m in first["members"]] == ["technician"] * 3 + ["first_level"]
    assert [m["uid"] for m in first["members"][:3]] == [
        "ip:203.0.113.7", "device:dev-bot-1", "account:acct-bot-1"]  # by score
    rest = api.get("/networks/n-gang?members_limit=10&members_offset=4").json()
    assert [m["role"] for m in rest["members"]] == ["second_level"] + ["patient"] * 3 + ["none"]
    patients = api.get("/networks/n-gang?role=patient").json()
    assert patients["members_total"] == 3 and {m["role"] for m in patients["members"]} == {
        "patient"}
    # tier counts and the tree do not depend on the page
    assert patients["hierarchy"] == api.get("/networks/n-gang").json()["hierarchy"]


def test_unknown_network_is_404(api: Api) -> None:
    response = api.get("/networks/no-such-network")
    assert response.status_code == 404
    assert response.json()["error"] == {"code": "not_found",
                                        "message": "no current network with id no-such-network"}
    assert api.get("/networks/no-such-network/view").status_code == 404


def test_explain_shows_the_cypher_and_parameters(api: Api) -> None:
    body = api.get("/networks/n-gang?explain=true").json()
    query = next(q for q in body["explain"]["queries"] if q["name"] == "api_network_detail")
    assert "MATCH" in query["cypher"] and query["parameters"]["id"] == "n-gang"
    assert query["parameters"]["uids"][0] == "ip:203.0.113.7"
    assert len(query["parameters"]["uids"]) == 9
    assert "explain" not in api.get("/networks/n-gang").json()


def test_network_view_is_html_audited_and_masked_for_analysts(api: Api) -> None:
    response = api.get("/networks/n-gang/view")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "n-gang" in response.text and "17012345678" in response.text
    entry = api.last_audit()
    assert entry["route"] == "/networks/{network_id}/view" and len(entry["entities"]) == 9
    masked = api.get("/networks/n-gang/view", role="analyst")
    assert masked.status_code == 200 and "203.0.113.7" in masked.text
    assert "17012345678" not in masked.text and "510107199013011234" not in masked.text


@pytest.mark.parametrize("query, fragment", [
    ("members_limit=0", "members_limit"), ("members_limit=1001", "members_limit"),
    ("role=boss", "role"), ("children_limit=-1", "children_limit"),
])
def test_bad_detail_parameters(api: Api, query: str, fragment: str) -> None:
    response = api.get(f"/networks/n-gang?{query}")
    assert response.status_code == 422 and fragment in response.json()["error"]["message"]


def test_a_cached_tree_is_not_reused_for_another_run() -> None:
    from scalpernet.api.tree import TreeCache, build_tree

    cache = TreeCache(size=2)
    tree = build_tree("run-1", [["ip:1.2.3.4", "technician"]], [])
    cache.put("n", tree)
    assert cache.get("n", "run-1") is tree and cache.get("n", "run-2") is None
    cache.put("a", build_tree("run-1", [], []))
    cache.put("b", build_tree("run-1", [], []))
    assert cache.get("n", "run-1") is None  # the least recently used went first


def _actor(actor_id: str, role: str, parent: str | None, score: float = 0.5) -> list:
    return [actor_id, role, score, parent, '{"bookings": 1, "payments": 1}', "{}", 1]


def test_a_big_tree_builds_in_linear_time() -> None:
    import time

    from scalpernet.api.tree import build_tree

    actors = [_actor("t", "technician", None), _actor("f", "first_level", "t")]
    actors += [_actor(f"s{i}", "second_level", "f") for i in range(100)]
    actors += [_actor(f"p{i}", "patient", f"s{i % 100}") for i in range(20_000)]
    start = time.perf_counter()
    tree = build_tree("r", [], actors)
    assert time.perf_counter() - start < 2.0
    assert tree.roots == ["t"] and len(tree.children["f"]) == 100
    assert sum(len(tree.children[f"s{i}"]) for i in range(100)) == 20_000
    assert tree.unattached_patients == 0


def test_a_tree_hangs_each_actor_under_its_stored_parent() -> None:
    from scalpernet.api.tree import build_tree

    tree = build_tree("r", [["ip:1.2.3.4", "technician"], ["payer:p", "first_level"]], [
        _actor("t", "technician", None), _actor("f", "first_level", "t"),
        _actor("s1", "second_level", "f", 0.4), _actor("s2", "second_level", "f", 0.9),
        _actor("lost", "second_level", "gone"), _actor("p1", "patient", "s1"),
        _actor("p2", "patient", None), _actor("p3", "patient", "gone")])
    assert tree.roots == ["t"] and tree.children["t"] == ["f"]
    assert tree.children["f"] == ["s1", "s2"]  # in the order stored (tier, score, id)
    assert tree.unattached == ["lost"] and tree.unattached_patients == 2
    assert tree.by_id["f"].link == {"bookings": 1, "payments": 1}
    assert tree.actor_page("patient", 1, 5) == (3, [tree.by_id["p2"], tree.by_id["p3"]])
    assert tree.counts() == {"technician": 1, "first_level": 1}


def test_a_tree_from_an_older_run_is_rebuilt(api: Api) -> None:
    from scalpernet.api.tree import build_tree

    trees = api.client.app.state.trees
    trees.put("n-gang", build_tree("run-0", [["ip:203.0.113.7", "technician"]], []))
    body = api.get("/networks/n-gang?members_limit=99").json()  # a page not rendered yet
    assert body["members_total"] == 9 and len(body["members"]) == 9
    assert body["actors"]["total"] == 6
    assert trees.latest("n-gang").run_id == "run-1"
    trees.put("n-gang", build_tree("run-0", [], []))
    assert api.get("/networks/n-gang/actors").json()["total"] == 6


def test_concurrent_openings_of_a_network_build_its_tree_once() -> None:
    import asyncio

    from scalpernet.api.tree import Tree, TreeCache, build_tree

    builds = 0

    async def build() -> Tree:
        nonlocal builds
        builds += 1
        await asyncio.sleep(0.05)
        return build_tree("run-1", [["ip:1.2.3.4", "technician"]], [])

    async def main() -> list[Tree]:
        cache = TreeCache()
        return await asyncio.gather(*(cache.build_once("n", build) for _ in range(50)))

    trees = asyncio.run(main())
    assert builds == 1 and all(t is trees[0] for t in trees)


def _line(entry: dict) -> dict:
    return {k: v for k, v in entry.items() if k not in ("time", "request_id")}


def test_a_detail_is_served_again_from_memory_and_audited_each_time(api: Api) -> None:
    answers = api.client.app.state.answers
    first = api.get("/networks/n-gang?members_limit=7")
    kept, line = len(answers), _line(api.last_audit())
    again = api.get("/networks/n-gang?members_limit=7")
    assert again.content == first.content and len(answers) == kept
    assert answers.run_id == "run-1"
    assert _line(api.last_audit()) == line  # the kept answer names what the first one did
    entry = api.last_audit()  # 7 members on the page, the phone (role none) not among them
    assert entry["route"] == "/networks/{network_id}" and len(entry["entities"]) == 7
    assert "phone:170****5678" not in entry["entities"] and len(entry["actors"]) == 6
    assert again.headers["x-frame-options"] == "DENY" and again.headers["x-request-id"]
    masked = api.get("/networks/n-gang?members_limit=7", role="analyst")
    assert "17012345678" not in masked.text and "17012345678" in again.text
    assert len(answers) == kept + 1 and api.last_audit()["role"] == "analyst"
    masked_again = api.get("/networks/n-gang?members_limit=7", role="analyst")
    assert masked_again.content == masked.content and "17012345678" not in masked_again.text


def test_what_is_not_a_plain_answer_of_the_run_is_never_kept(api: Api) -> None:
    answers = api.client.app.state.answers
    api.get("/networks/n-gang")
    kept = len(answers)
    explained = [api.get("/networks/n-gang?explain=true").json() for _ in range(2)]
    assert all("explain" in body for body in explained) and len(answers) == kept
    for _ in range(2):
        assert api.get("/networks/n-none").status_code == 404
        assert api.get("/networks/n-gang?members_limit=0").status_code == 422
        assert api.get("/networks/n-gang?membrs_limit=5").status_code == 422
        assert api.get("/networks/n-gang", role="ingest").status_code == 403
        assert api.get("/networks/n-gang", role="revoked").status_code == 401
    assert len(answers) == kept


def test_an_answer_kept_for_another_run_is_not_served(api: Api) -> None:
    from scalpernet.api.caching import Answer

    answers = api.client.app.state.answers
    key = ("investigator", "/networks/n-gang", b"members_limit=5")
    answers.put(key, Answer(run_id="run-0", status=200,
                            headers=((b"content-type", b"application/json"),
                                     (b"content-length", b"15")),
                            body=b'{"stale": true}', route=None, path_params={}, state={}))
    body = api.get("/networks/n-gang?members_limit=5").json()
    assert "stale" not in body and body["run_id"] == "run-1" and len(body["members"]) == 5
    assert answers.run_id == "run-1" and answers.get(key).run_id == "run-1"


def test_the_current_run_is_read_once_per_ttl_and_shared() -> None:
    import asyncio

    from scalpernet.api.caching import CurrentRun

    class Graph:
        def __init__(self) -> None:
            self.reads = 0
            self.run = "run-1"

        async def read(self, name: str, **_: object) -> list[dict]:
            self.reads += 1
            await asyncio.sleep(0.01)
            return [{"id": self.run}]

    async def main() -> None:
        graph = Graph()
        current = CurrentRun(graph, ttl=0.2)  # type: ignore[arg-type]
        assert set(await asyncio.gather(*(current.id() for _ in range(20)))) == {"run-1"}
        assert graph.reads == 1
        graph.run = "run-2"
        assert await current.id() == "run-1" and graph.reads == 1  # within the ttl
        await asyncio.sleep(0.25)
        assert await current.id() == "run-2" and graph.reads == 2
        fresh = CurrentRun(graph, ttl=0)  # type: ignore[arg-type]
        await fresh.id()
        await fresh.id()
        assert graph.reads == 4

    asyncio.run(main())


def test_a_new_run_empties_the_answer_cache_and_its_size_is_bounded() -> None:
    from scalpernet.api.caching import Answer, AnswerCache

    def answer(run: str, body: bytes) -> Answer:
        return Answer(run_id=run, status=200, headers=(), body=body, route=None,
                      path_params={}, state={})

    cache = AnswerCache(max_bytes=3 * 1024 + 300)  # three small answers fit
    for name in "abc":
        cache.put(("analyst", name, b""), answer("run-1", b"x" * 10))
    cache.get(("analyst", "a", b""))
    cache.put(("analyst", "d", b""), answer("run-1", b"x" * 10))
    assert cache.get(("analyst", "b", b"")) is None  # the least recently used went first
    assert cache.get(("analyst", "a", b"")) is not None and len(cache) == 3
    cache.put(("analyst", "big", b""), answer("run-1", b"x" * 10_000))
    assert cache.get(("analyst", "big", b"")) is None and len(cache) == 3  # too big to keep
    cache.put(("analyst", "a", b""), answer("run-2", b"y"))
    assert len(cache) == 1 and cache.run_id == "run-2"
