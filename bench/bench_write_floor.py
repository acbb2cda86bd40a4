"""The least CPU Neo4j spends storing one booking of ScalperNet's model through Cypher.

Ingestion's speed on this machine is bounded by the CPU Neo4j itself spends per booking. This
bench measures that floor with nothing of ScalperNet's own work: no validation, no reads of
what is stored, no MERGE, entities created beforehand. Three phases, each on an empty graph
of one server, batches of 5,000 rows through ``UNWIND``, two transactions in flight:

  1. nodes:      CREATE (r:Registration {key}) with the registration's 22 properties;
  2. linked:     the same, plus its 7 relationships (patient, phone, IP, device, account,
                 payer, one booking in ten an escort agent) to entities found by key;
  3. no_props:   CREATE (r:Registration {key}) and the 7 relationships, no other property.

For each it prints records/s and the server's CPU microseconds per record (all its threads:
query, commit, checkpoint, garbage collection), and the records/s that two CPUs could give if
Neo4j needed nothing else: 2 s of CPU per second divided by that cost.

    .venv/bin/python bench/bench_write_floor.py --records 200000
It empties the configured graph: point SCALPERNET_DATA_DIR/SCALPERNET_BOLT_PORT at a
server whose data you do not need.
"""

from __future__ import annotations

import argparse
import os
import random
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import psutil

from scalpernet.config import get_settings
from scalpernet.graph import get_graph, load_query
from scalpernet.graph.schema import ensure_schema, reset_graph
from scalpernet.localserver import LocalServer

CST = timezone(timedelta(hours=8))
KINDS = {"Patient": 60_000, "Phone": 60_000, "IP": 10_000, "Device": 25_000,
         "Account": 50_000, "Payer": 10_000, "EscortAgent": 500}

#: The bench's queries, in cypher/bench_floor_<phase>.cypher.
PHASES = ("nodes", "linked", "no_props")


def rows(count: int, seed: int = 5) -> list[dict[str, object]]:
    """Bookings shaped like ingestion's parameters, keyed to the entities made beforehand."""
    rng = random.Random(seed)
    start = datetime(2025, 3, 1, 18, tzinfo=CST)
    out = []
    for i in range(count):
        booked = start + timedelta(seconds=rng.randrange(5_000_000), milliseconds=20)
        out.append({
            "key": f"H{i % 20:02d}|R{i:09d}", "registration_id": f"R{i:09d}",
            "hospital": f"H{i % 20:02d}", "department": "心内科", "doctor": f"D{i % 400:04d}",
            "slot_time": (booked + timedelta(days=7)).isoformat(),
            "released_at": booked.replace(second=0, microsecond=0).isoformat(),
            "booked_at": booked.isoformat(),
            "paid_at": (booked + timedelta(seconds=30)).isoformat(),
            "cancelled_at": None, "last_event": (booked + timedelta(seconds=30)).isoformat(),
            "latency_ms": rng.randrange(20, 600_000), "status": "booked", "fee_yuan": "300",
            "visit_card": f"V{rng.randrange(10**8):08d}", "payer_channel": "alipay",
            "ip_raw": None, "extra": None, "flags": [] if i % 10 else ["virtual_phone"],
            "content_hash": f"{rng.getrandbits(128):032x}", "source_file": "/exports/city.csv",
            "source_line": i + 2, "ingest_run": "ingest-bench",
            "patient": f"Pa{rng.randrange(KINDS['Patient'])}",
            "phone": f"Ph{rng.randrange(KINDS['Phone'])}", "ip": f"IP{rng.randrange(KINDS['IP'])}",
            "device": f"De{rng.randrange(KINDS['Device'])}",
            "account": f"Ac{rng.randrange(KINDS['Account'])}",
            "payer": f"Pa{rng.randrange(KINDS['Payer'])}",
            "agent": f"Es{rng.randrange(KINDS['EscortAgent'])}" if i % 10 == 0 else None,
        })
    return out


def server_cpu() -> float:
    """CPU seconds the local Neo4j server has used so far (all its threads)."""
    pid = LocalServer(get_settings()).pid()
    assert pid is not None, "the local Neo4j server is not running"
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


def run_phase(name: str, data: list[dict[str, object]], batch: int, writers: int) -> None:
    graph = get_graph()
    reset_graph(graph)
    ensure_schema(graph)
    with graph.driver.session(database=graph.database) as session:
        for kind, n in KINDS.items():
            keys = [f"{kind[:2]}{i}" for i in range(n)]
            for at in range(0, n, 20_000):
                session.run(load_query("bench_floor_entities"), keys=keys[at:at + 20_000],
                            label=kind, prefix=kind.lower() + ":").consume()
    query = load_query(f"bench_floor_{name}")

    def write(part: list[dict[str, object]]) -> None:
        with graph.driver.session(database=graph.database) as session:
            session.execute_write(lambda tx: tx.run(query, rows=part).consume())

    cpu, started = server_cpu(), time.perf_counter()
    with ThreadPoolExecutor(writers) as pool:
        list(pool.map(write, [data[i:i + batch] for i in range(0, len(data), batch)]))
    seconds, used = time.perf_counter() - started, server_cpu() - cpu
    per_record = used / len(data) * 1e6
    print(f"{name:>8}: {len(data):,} records in {seconds:.1f} s = {len(data) / seconds:,.0f} "
          f"records/s; Neo4j CPU {per_record:.0f} µs a record -> at most "
          f"{2e6 / per_record:,.0f} records/s on 2 CPUs if Neo4j needed nothing else "
          f"(load average {os.getloadavg()[0]:.1f})", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--writers", type=int, default=2)
    parser.add_argument("--phases", nargs="*", default=list(PHASES), choices=PHASES)
    args = parser.parse_args()
    data = rows(args.records)
    for name in args.phases:
        run_phase(name, data, args.batch, args.writers)


if __name__ == "__main__":
    main()
