"""Concurrent entity lookups share round trips; each request still gets its own row."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

import pytest

from scalpernet.api.batching import Coalescer

if TYPE_CHECKING:
    from tests.api.conftest import Api


class FakeGraph:
    """Answers ``$uids`` with one row per uid it knows, recording each call."""

    def __init__(self, known: set[str], *, fail: Exception | None = None) -> None:
        self.known = known
        self.fail = fail
        self.calls: list[dict[str, Any]] = []

    async def read(self, name: str, *, timeout_: float | None = None,
                   **params: Any) -> list[dict[str, Any]]:
        self.calls.append(params)
        await asyncio.sleep(0.01)
        if self.fail is not None:
            raise self.fail
        return [{"uid": u, "limit": params.get("limit")} for u in params["uids"]
                if u in self.known]


def test_lookups_asked_together_share_a_round_trip() -> None:
    graph = FakeGraph({f"phone:{i}" for i in range(100)})

    async def main() -> list[Any]:
        coalescer = Coalescer(graph, "q", max_batch=30, in_flight=1)  # type: ignore[arg-type]
        uids = ["phone:7", "phone:missing"] + [f"phone:{i}" for i in range(100)]
        return await asyncio.gather(*(coalescer.read(u) for u in uids))

    rows = asyncio.run(main())
    assert rows[0]["uid"] == "phone:7" and rows[1] is None
    assert [r["uid"] for r in rows[2:]] == [f"phone:{i}" for i in range(100)]
    assert len(graph.calls) == 4  # 102 lookups, 30 at most per batch
    assert all(len(call["uids"]) <= 30 for call in graph.calls)
    assert sum(len(call["uids"]) for call in graph.calls) == 101  # phone:7 read once


def test_only_lookups_with_equal_parameters_share_a_batch() -> None:
    graph = FakeGraph({"ip:1", "ip:2"})

    async def main() -> list[Any]:
        coalescer = Coalescer(graph, "q", in_flight=4)  # type: ignore[arg-type]
        return await asyncio.gather(coalescer.read("ip:1", limit=5, kinds=["ip"]),
                                    coalescer.read("ip:2", limit=5, kinds=["ip"]),
                                    coalescer.read("ip:1", limit=9, kinds=["ip"]))

    first, second, third = asyncio.run(main())
    assert (first["limit"], second["limit"], third["limit"]) == (5, 5, 9)
    assert sorted(len(call["uids"]) for call in graph.calls) == [1, 2]


def test_a_lone_lookup_is_not_held_back() -> None:
    graph = FakeGraph({"ip:1"})

    async def main() -> float:
        coalescer = Coalescer(graph, "q")  # type: ignore[arg-type]
        loop = asyncio.get_running_loop()
        start = loop.time()
        assert (await coalescer.read("ip:1"))["uid"] == "ip:1"
        return loop.time() - start

    assert asyncio.run(main()) < 0.5 and len(graph.calls) == 1


def test_a_failed_batch_fails_each_of_its_lookups_and_the_next_batch_runs() -> None:
    graph = FakeGraph({"ip:1"}, fail=RuntimeError("gone"))

    async def main() -> list[Any]:
        coalescer = Coalescer(graph, "q", in_flight=1)  # type: ignore[arg-type]
        failed = await asyncio.gather(coalescer.read("ip:1"), coalescer.read("ip:2"),
                                      return_exceptions=True)
        graph.fail = None
        return [*failed, await coalescer.read("ip:1")]

    first, second, after = asyncio.run(main())
    assert isinstance(first, RuntimeError) and isinstance(second, RuntimeError)
    assert after["uid"] == "ip:1"


def test_one_lookup_that_fails_does_not_fail_the_others_of_its_batch() -> None:
    class OneBad(FakeGraph):
        async def read(self, name: str, *, timeout_: float | None = None,
                       **params: Any) -> list[dict[str, Any]]:
            if "ip:bad" in params["uids"]:
                self.calls.append(params)
                raise TimeoutError("too big")
            return await super().read(name, timeout_=timeout_, **params)

    graph = OneBad({"ip:1", "ip:2", "ip:bad"})

    async def main() -> list[Any]:
        coalescer = Coalescer(graph, "q")  # type: ignore[arg-type]
        return await asyncio.gather(*(coalescer.read(u) for u in ("ip:1", "ip:bad", "ip:2",
                                                                  "ip:none")),
                                    return_exceptions=True)

    one, bad, two, none = asyncio.run(main())
    assert one["uid"] == "ip:1" and two["uid"] == "ip:2" and none is None
    assert isinstance(bad, TimeoutError)
    assert [len(call["uids"]) for call in graph.calls] == [4, 1, 1, 1, 1]


def test_a_cancelled_lookup_leaves_the_others_answered() -> None:
    graph = FakeGraph({"ip:1", "ip:2"})

    async def main() -> Any:
        coalescer = Coalescer(graph, "q")  # type: ignore[arg-type]
        doomed = asyncio.create_task(coalescer.read("ip:1"))
        kept = asyncio.create_task(coalescer.read("ip:2"))
        await asyncio.sleep(0)
        doomed.cancel()
        with pytest.raises(asyncio.CancelledError):
            await doomed
        return await kept

    assert asyncio.run(main())["uid"] == "ip:2"


def test_concurrent_requests_get_their_own_entity(api: Api) -> None:
    from concurrent.futures import ThreadPoolExecutor

    keys = ["203.0.113.7", "10.0.0.1", "198.51.100.99"] * 4
    coalescer = api.client.app.state.coalescers["api_entity_summary"]
    reads = coalescer.reads
    with ThreadPoolExecutor(len(keys)) as pool:
        responses = list(pool.map(lambda k: api.get(f"/entities/ip/{k}"), keys))
    found = [r.json()["entity"]["key"] if r.status_code == 200 else r.status_code
             for r in responses]
    assert found == ["203.0.113.7", "10.0.0.1", 404] * 4
    assert coalescer.reads > reads
    audited = [e["entities"] for e in api.audit_lines()[-len(keys):]
               if e["route"] == "/entities/{kind}/{key}" and e["status"] == 200]
    assert sorted(map(tuple, audited)) == [("ip:10.0.0.1",)] * 4 + [("ip:203.0.113.7",)] * 4
