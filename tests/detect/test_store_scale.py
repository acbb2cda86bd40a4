"""A big network reads back quickly: the read must not re-hash the links per member."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from scalpernet.graph import Graph
from scalpernet.results.models import AnalysisRun, EntityRef, Link, Member, Network
from scalpernet.results.store import get_network, write_results

MEMBERS = 6_000


def test_a_ring_of_thousands_with_a_long_hierarchy_reads_back_in_seconds(
        empty_graph: Graph) -> None:
    keys = [f"10.{k // 65536}.{(k // 256) % 256}.{k % 256}" for k in range(MEMBERS)]
    empty_graph.driver.execute_query(
        "UNWIND $keys AS k CREATE (:IP:Entity {key: k, uid: 'ip:' + k})", keys=keys,
        database_=empty_graph.database)
    refs = [EntityRef(kind="ip", key=k) for k in keys]
    net = Network(
        id="net-big", risk=0.9, size=MEMBERS,
        members=[Member(kind="ip", key=k, role="technician", score=0.9) for k in keys],
        links=[Link(source=refs[0], target=r, type="booked_for", weight=1.0, registrations=1)
               for r in refs[1:]])
    write_results(empty_graph, AnalysisRun(id="run-big", started_at=datetime.now(UTC)), [net])
    started = time.perf_counter()
    back = get_network(empty_graph, "net-big")
    elapsed = time.perf_counter() - started
    assert back is not None and back.size == MEMBERS and len(back.links) == MEMBERS - 1
    # grouping members by the projected map hashed ~700 KB of links per member: ~20 s
    assert elapsed < 10.0, f"reading one network took {elapsed:.1f} s"
