"""Investigator API under load: 50 concurrent clients over loopback against `scalpernet serve`.

Measures p50/p95/p99 latency and requests per second for the questions investigators ask
all day: an entity lookup (``GET /entities/{kind}/{key}``), the network list
(``GET /networks``), a network's detail (``GET /networks/{id}``), a one-hop expansion
(``GET /entities/{kind}/{key}/neighbours``), an actor (``GET /actors/{id}``: its
identifiers and the summary of their bookings, read from the graph each time) and pages of a
network's actors (``GET /networks/{id}/actors``, from the per-run tree). Goal: >= 1,000
requests/s with p99 <= 50 ms for the routes served from memory (network list and details),
zero errors.

Rate limits: the server is started with the per-key and per-address limits raised to
1,000,000 a minute (``SCALPERNET_API_RATE_PER_KEY`` / ``_PER_ADDRESS``), so that 50 clients
on one key measure the API, limiter included, not the limit; the bench prints and records
what it set. Other limits keep their defaults.

    # the graph: 1M simulated registrations, bulk-loaded and analysed (once)
    # --setup EMPTIES the configured graph first: point it at a Neo4j of its own
    .venv/bin/python bench/bench_api.py --setup --records 1000000
    # later runs reuse the loaded graph
    .venv/bin/python bench/bench_api.py [--clients 50] [--seconds 30] [--role investigator]
        [--workers 2] [--rate 300] [--scenarios entity,networks,network,neighbours,actor]

Each scenario runs closed loop (every client sends its next request as soon as the last is
answered: the saturating throughput and its latency); each ``--rate`` adds an open-loop run
at that fixed offered rate over the same 50 connections, latency counted from when each
request was due. CPU per request is reported for the server, Neo4j and the clients.

The server runs as its own process (``scalpernet serve``, uvicorn) on 127.0.0.1; the
clients are one asyncio process (uvloop when installed), each client one keep-alive
connection (a minimal HTTP/1.1 client: httpx cost more CPU per request than the API
itself). Targets: half the entity lookups and expansions hit network members (what
investigators open), half a uniform sample of all entities; network details cycle through
the current networks (their first page, which the server renders once per analysis run),
and ``network_pages`` through every member page of every network (each rendered afresh the
first time in a run). Every request is authenticated and audited, as in production.
Results go to ``bench/results/api.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parents[1]
SCALPERNET = [sys.executable, "-m", "scalpernet"]


def run_cli(*args: str) -> str:
    """Run a scalpernet command, echo its output, fail loudly."""
    print("$ scalpernet " + " ".join(args), flush=True)
    start = time.perf_counter()
    done = subprocess.run([*SCALPERNET, *args], capture_output=True, text=True, check=False)
    sys.stdout.write(done.stdout[-3000:])
    if done.returncode != 0:
        sys.stderr.write(done.stderr[-3000:])
        raise SystemExit(f"scalpernet {args[0]} failed ({done.returncode})")
    print(f"  ({time.perf_counter() - start:.0f} s)", flush=True)
    return done.stdout


def setup(out: Path, records: int, seed: int) -> dict[str, float]:
    """Simulate, bulk-load and analyse: the graph the bench runs on.

    The graph is emptied first, so the first backfill's offline importer (``ingest --bulk``)
    loads it, many times faster than transactional writes."""
    timings: dict[str, float] = {}
    if not (out / "truth.json").exists():
        start = time.perf_counter()
        run_cli("simulate", "--out", str(out), "--records", str(records), "--seed", str(seed))
        timings["simulate_s"] = time.perf_counter() - start
    run_cli("db", "reset", "--yes")
    start = time.perf_counter()
    run_cli("ingest", "--bulk", str(out))
    timings["ingest_s"] = time.perf_counter() - start
    start = time.perf_counter()
    run_cli("analyze")
    timings["analyze_s"] = time.perf_counter() - start
    return timings


def _neo4j_pid() -> list[int]:
    from scalpernet.config import get_settings
    from scalpernet.localserver import LocalServer

    pid_file = LocalServer(get_settings()).pid_file
    return [int(pid_file.read_text().strip())] if pid_file.exists() else []


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER_LOG = Path(tempfile.gettempdir()) / "scalpernet-bench-api-server.log"


#: Limits the bench sets on its server (see the module docstring).
BENCH_LIMITS = {"SCALPERNET_API_RATE_PER_KEY": "1000000/minute",
                "SCALPERNET_API_RATE_PER_ADDRESS": "1000000/minute"}


def start_server(port: int, workers: int) -> subprocess.Popen[bytes]:
    log = open(SERVER_LOG, "wb")  # noqa: SIM115
    print(f"server limits set by the bench: {BENCH_LIMITS}", flush=True)
    proc = subprocess.Popen([*SCALPERNET, "serve", "--host", "127.0.0.1", "--port", str(port),
                             "--workers", str(workers)], stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, **BENCH_LIMITS})
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return proc
        except httpx.TransportError:
            pass
        if proc.poll() is not None:
            raise SystemExit(f"the server exited; see {SERVER_LOG}")
        time.sleep(0.5)
    proc.terminate()
    raise SystemExit("the server did not answer /health within 120 s")


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of processes and their children (the server's workers)."""
    import psutil

    total = 0.0
    for pid in pids:
        try:
            proc = psutil.Process(pid)
            for p in [proc, *proc.children(recursive=True)]:
                times = p.cpu_times()
                total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def targets(graph: Any, base: str, key: str, sample: int, role: str) -> dict[str, list[str]]:
    """URLs for each scenario: network members and random entities, current networks.

    An analyst may not name an entity by a personal key, so its lookups are all of network
    members, by reference."""
    headers = {"X-API-Key": key}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        listing = client.get("/networks", params={"limit": 200}).json()
        networks = listing["networks"]
        if listing["total"] > 200:
            more = client.get("/networks", params={"limit": 200, "offset": 200}).json()
            networks += more["networks"]
        network_ids = [n["id"] for n in networks]
        members: list[str] = []
        actors: list[str] = []
        for net_id in network_ids[:100]:
            response = client.get(f"/networks/{quote(net_id, safe='')}",
                                  params={"members_limit": 1000, "actors_limit": 50})
            response.raise_for_status()
            # by reference: it works for every role (an analyst sees masked keys)
            members += [f"{m['kind']}/{m['ref']}" for m in response.json()["members"]]
            # each tier's top actors: the technician and first level (the most bookings)
            # come up once per network, patients and second levels many times
            actors += [a["id"] for tier in response.json()["actors"]["tiers"]
                       for a in tier["top"]]
    total = graph.read("api_bench_counts")[0]["entities"]
    uids = [r["uid"] for r in graph.read("api_bench_sample", p=min(1.0, 3 * sample / total),
                                          limit=sample)]
    randoms = [f"{u.split(':', 1)[0]}/{quote(u.split(':', 1)[1], safe='')}" for u in uids]
    rng = random.Random(7)
    rng.shuffle(members)
    entities = (members[:sample] if role == "analyst"
                else members[: sample // 2] + randoms[: sample // 2])
    rng.shuffle(entities)
    # every member page of every network: far more pages than the server keeps rendered
    pages = [f"/networks/{quote(n['id'], safe='')}?members_offset={offset}"
             for n in networks for offset in range(0, n["size"] or 0, 100)]
    rng.shuffle(pages)
    actor_pages = [f"/networks/{quote(n['id'], safe='')}/actors?offset={offset}"
                   for n in networks for offset in range(0, n["size"] or 0, 50)]
    rng.shuffle(actor_pages)
    rng.shuffle(actors)
    listings = ["/networks", "/networks?limit=20", "/networks?min_risk=0.5",
                "/networks?limit=200", "/networks?offset=5&limit=10"]
    return {
        "entity": [f"/entities/{e}" for e in entities],
        "networks": listings,
        "network": [f"/networks/{quote(n, safe='')}" for n in network_ids],
        "neighbours": [f"/entities/{e}/neighbours" for e in entities],
        "network_pages": pages,
        "actor": [f"/actors/{quote(a, safe='')}" for a in actors],
        "actor_pages": actor_pages,
    }


class Connection:
    """A minimal keep-alive HTTP/1.1 client on one loopback connection.

    httpx spent about 7 ms of CPU per request here, more than the server: on a small
    machine the clients, not the API, would be measured. This one parses only the status
    line and Content-Length (uvicorn always sends it for these answers).
    """

    def __init__(self, host: str, port: int, key: str) -> None:
        self.host, self.port = host, port
        self.head = f"Host: {host}:{port}\r\nX-API-Key: {key}\r\n\r\n".encode()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def get(self, path: str) -> tuple[int, bytes]:
        if self.writer is None or self.reader is None:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port)
        self.writer.write(f"GET {path} HTTP/1.1\r\n".encode() + self.head)
        await self.writer.drain()
        header = await self.reader.readuntil(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        status = int(lines[0].split(b" ", 2)[1])
        length = 0
        close = False
        for line in lines[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        body = await self.reader.readexactly(length)
        if close:
            await self.close()
        return status, body

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(OSError):
                await self.writer.wait_closed()
        self.reader = self.writer = None


async def load(base: str, key: str, urls: list[str], clients: int, seconds: float,
               rate: float | None = None) -> dict[str, Any]:
    """`clients` concurrent connections over `urls` for `seconds`; every latency.

    Closed loop (`rate` None): each connection sends its next request as soon as the last
    is answered, so the server is saturated. Open loop: request j is due at j / `rate`
    seconds, on connection j mod `clients`; its latency counts from when it was due, so a
    late connection is charged for the wait (no coordinated omission).
    """
    host, port = base.removeprefix("http://").rsplit(":", 1)
    latencies: list[float] = []
    errors: dict[str, int] = {}
    began = time.perf_counter()
    stop = began + seconds

    async def worker(offset: int) -> None:
        connection = Connection(host, int(port), key)
        i = offset
        try:
            while time.perf_counter() < stop:
                url = urls[i % len(urls)]
                if rate is None:
                    start = time.perf_counter()
                else:
                    start = began + i / rate
                    if start >= stop:
                        break
                    if (wait := start - time.perf_counter()) > 0:
                        await asyncio.sleep(wait)
                i += clients
                try:
                    status, _ = await connection.get(url)
                    if status != 200:
                        errors[str(status)] = errors.get(str(status), 0) + 1
                except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                    errors[type(exc).__name__] = errors.get(type(exc).__name__, 0) + 1
                    await connection.close()
                latencies.append((time.perf_counter() - start) * 1000)
        finally:
            await connection.close()

    cpu = time.process_time()
    await asyncio.gather(*(worker(i) for i in range(clients)))
    elapsed = time.perf_counter() - began
    cpu = time.process_time() - cpu
    ordered = sorted(latencies)

    def pct(q: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)

    return {"requests": len(ordered), "errors": errors, "seconds": round(elapsed, 1),
            "requests_per_s": round(len(ordered) / elapsed, 1),
            "p50_ms": pct(0.50), "p95_ms": pct(0.95), "p99_ms": pct(0.99),
            "max_ms": round(ordered[-1], 1), "mean_ms": round(statistics.fmean(ordered), 1),
            "client_cpu_ms_per_request": round(cpu * 1000 / max(len(ordered), 1), 2)}


def run_async(coroutine: Any) -> Any:
    """Run the clients on uvloop when it is installed (less client CPU per request)."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(coroutine)
    return uvloop.run(coroutine)


#: network_pages: member pages of all networks in turn, each rendered from the graph the
#: first time in a run, then kept like any answer of the run (128 MB per worker): a cold
#: pass, where they do not fit, measures a network detail not served from memory.
SCENARIOS = ("entity", "networks", "network", "neighbours", "network_pages", "actor",
             "actor_pages")


def measure(name: str, base: str, key: str, urls: list[str], clients: int, seconds: float,
            rate: float | None, server_pid: int, neo4j_pid: list[int]) -> dict[str, Any]:
    """One scenario after a 3 s warm-up, with CPU per request of server, Neo4j and clients."""
    run_async(load(base, key, urls, clients, 3.0, rate))
    load_before = os.getloadavg()[0]
    api_cpu, db_cpu = cpu_seconds([server_pid]), cpu_seconds(neo4j_pid)
    r = run_async(load(base, key, urls, clients, seconds, rate))
    # CPU per request says what the API costs whatever else the machine runs
    r["server_cpu_ms_per_request"] = round(
        (cpu_seconds([server_pid]) - api_cpu) * 1000 / max(r["requests"], 1), 2)
    r["neo4j_cpu_ms_per_request"] = round(
        (cpu_seconds(neo4j_pid) - db_cpu) * 1000 / max(r["requests"], 1), 2)
    r["load_average_1m"] = [round(load_before, 2), round(os.getloadavg()[0], 2)]
    mode = "closed loop" if rate is None else f"open loop {rate:g}/s"
    print(f"{name:<11} {mode:<18} {r['requests_per_s']:>7.1f} req/s  p50 {r['p50_ms']:>6.1f} ms"
          f"  p95 {r['p95_ms']:>6.1f}  p99 {r['p99_ms']:>6.1f}  max {r['max_ms']:>7.1f}  "
          f"errors {sum(r['errors'].values())}  CPU ms/req: server "
          f"{r['server_cpu_ms_per_request']}, Neo4j {r['neo4j_cpu_ms_per_request']}, "
          f"clients {r['client_cpu_ms_per_request']}; load {r['load_average_1m']}", flush=True)
    return r


def _uptime() -> str:
    return subprocess.run(["uptime"], capture_output=True, text=True, check=False).stdout.strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--setup", action="store_true",
                        help="simulate (if needed), reset the graph, ingest and analyse first")
    parser.add_argument("--data", type=Path, default=ROOT / "out" / "bench-api")
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--role", default="investigator", choices=["investigator", "analyst"])
    parser.add_argument("--sample", type=int, default=2000, help="entities to cycle through")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS),
                        help="comma-separated, of: " + ", ".join(SCENARIOS))
    parser.add_argument("--rate", type=float, action="append", default=[],
                        help="also run each scenario open loop at this many requests/s over "
                             "the same connections (repeatable)")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "api.json")
    args = parser.parse_args()
    scenarios = [name for name in args.scenarios.split(",") if name]
    if unknown := set(scenarios) - set(SCENARIOS):
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")

    from scalpernet.graph import get_graph
    from scalpernet.graph.schema import ensure_schema

    uptime_before = _uptime()
    print(f"uptime: {uptime_before}", flush=True)

    timings = setup(args.data, args.records, args.seed) if args.setup else {}
    graph = get_graph()
    ensure_schema(graph)
    counts = graph.read("api_bench_counts")[0]
    if counts["networks"] == 0:
        raise SystemExit("no networks in the graph: run with --setup (ingest and analyze)")
    print(f"graph: {dict(counts)}", flush=True)
    key = run_cli("apikey", "create", "--role", args.role, "--name", "bench").strip()
    key = key.splitlines()[-1]
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = start_server(port, args.workers)
    neo4j_pid = _neo4j_pid()
    results: dict[str, Any] = {}
    open_loop: dict[str, dict[str, Any]] = {}
    try:
        urls = targets(graph, base, key, args.sample, args.role)
        for name in scenarios:
            results[name] = measure(name, base, key, urls[name], args.clients, args.seconds,
                                    None, server.pid, neo4j_pid)
            for rate in args.rate:
                open_loop.setdefault(f"{rate:g}", {})[name] = measure(
                    name, base, key, urls[name], args.clients, args.seconds, rate,
                    server.pid, neo4j_pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
        run_cli("apikey", "revoke", key.split("_")[1])
    report = {
        "command": " ".join(["bench/bench_api.py", *sys.argv[1:]]),
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(),
                    "note": "shared with other workloads: see load_average_1m per scenario"},
        "graph": dict(counts), "setup": timings, "clients": args.clients,
        "seconds": args.seconds, "workers": args.workers, "role": args.role,
        "limits_set": BENCH_LIMITS,
        "uptime_before": uptime_before, "uptime_after": _uptime(),
        "goal": {"cached_routes": ["networks", "network"], "p99_ms": 50,
                 "requests_per_s": 1000, "errors": 0},
        "results": results,
    }
    if open_loop:
        report["open_loop"] = {
            "note": "fixed offered rate (requests/s) over the same connections; latency "
                    "counted from when each request was due",
            **open_loop}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    print(f"uptime: {report['uptime_after']}")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
