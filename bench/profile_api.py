"""CPU per request of the API application itself: requests driven straight through its ASGI
interface in one process (no sockets, no HTTP parsing, no clients), timed with the process
clock, so the figure does not depend on what else the machine runs.

``bench_api.py`` measures the whole server under 50 clients (uvicorn included); this says
what the application's own code costs per request and, with ``--profile``, where it goes.
It runs against the configured graph (the one ``bench_api.py --setup`` loaded), with the
bench's raised rate limits, and creates and revokes an API key of its own.

    .venv/bin/python bench/profile_api.py [--requests 5000] [--role investigator]
        [--scenarios networks,network,entity] [--repeat 3] [--profile 30]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import io
import logging.config
import os
import pstats
import time
from typing import Any
from urllib.parse import quote

from bench_api import BENCH_LIMITS


def _scope(path_qs: str, key: str) -> dict[str, Any]:
    path, _, query = path_qs.partition("?")
    return {"type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"},
            "http_version": "1.1", "server": ("127.0.0.1", 8000),
            "client": ("127.0.0.1", 50000), "scheme": "http", "method": "GET",
            "root_path": "", "path": path, "raw_path": path.encode(),
            "query_string": query.encode(),
            "headers": [(b"host", b"127.0.0.1:8000"), (b"x-api-key", key.encode())],
            "state": {}}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def call(app: Any, path_qs: str, key: str) -> int:
    """One request through the app; its status."""
    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(_scope(path_qs, key), _receive, send)
    return status


async def drive(app: Any, urls: list[str], key: str, requests: int,
                profile: cProfile.Profile | None) -> dict[str, Any]:
    """`requests` sequential requests over `urls` after a warm-up; CPU per request."""
    for i in range(min(500, requests)):
        if (status := await call(app, urls[i % len(urls)], key)) != 200:
            raise SystemExit(f"{urls[i % len(urls)]} answered {status}")
    if profile is not None:
        profile.enable()
    cpu, wall = time.process_time(), time.perf_counter()
    for i in range(requests):
        await call(app, urls[i % len(urls)], key)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    if profile is not None:
        profile.disable()
    return {"requests": requests, "cpu_ms_per_request": round(cpu * 1000 / requests, 3),
            "wall_ms_per_request": round(wall * 1000 / requests, 3)}


async def targets(app: Any, key: str) -> dict[str, list[str]]:
    """The bench's cached routes and entity lookups of network members, by reference."""
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                 headers={"X-API-Key": key}) as client:
        listing = (await client.get("/networks", params={"limit": 200})).json()
        ids = [n["id"] for n in listing["networks"]]
        members: list[str] = []
        for net_id in ids[:20]:
            detail = (await client.get(f"/networks/{quote(net_id, safe='')}")).json()
            members += [f"/entities/{m['kind']}/{m['ref']}" for m in detail["members"]]
    return {"networks": ["/networks", "/networks?limit=20", "/networks?min_risk=0.5",
                         "/networks?limit=200", "/networks?offset=5&limit=10"],
            "network": [f"/networks/{quote(n, safe='')}" for n in ids],
            "entity": members[:2000]}


async def main_async(args: argparse.Namespace) -> None:
    from scalpernet.api import create_app
    from scalpernet.api.app import log_config
    from scalpernet.api.throttle import ApiLimits
    from scalpernet.apikeys import create_key, revoke_key
    from scalpernet.graph import get_graph

    # the server's logging, its access lines written to nowhere
    logging.config.dictConfig(log_config())
    for handler in logging.getLogger("scalpernet").handlers:
        handler.setStream(open(os.devnull, "w"))  # type: ignore[attr-defined]  # noqa: SIM115
    os.environ.update(BENCH_LIMITS)
    graph = get_graph()
    record, key = create_key(graph, args.role, "profile")
    app = create_app(limits=ApiLimits())
    results: dict[str, Any] = {}
    try:
        async with app.router.lifespan_context(app):
            urls = await targets(app, key)
            for name in args.scenarios.split(","):
                profile = cProfile.Profile() if args.profile else None
                runs = [await drive(app, urls[name], key, args.requests, profile)
                        for _ in range(args.repeat)]
                results[name] = r = min(runs, key=lambda run: run["cpu_ms_per_request"])
                print(f"{name:<9} {r['cpu_ms_per_request']:.3f} ms CPU/request, the least of "
                      f"{args.repeat} runs of {r['requests']} "
                      f"({', '.join(str(run['cpu_ms_per_request']) for run in runs)}); "
                      f"{r['wall_ms_per_request']:.3f} ms wall", flush=True)
                if profile is not None:
                    out = io.StringIO()
                    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(
                        args.profile)
                    print(out.getvalue())
    finally:
        revoke_key(graph, record["id"])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--role", default="investigator", choices=["investigator", "analyst"])
    parser.add_argument("--scenarios", default="networks,network,entity")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per scenario; the least CPU is reported (the least "
                             "disturbed by other work on the machine)")
    parser.add_argument("--profile", type=int, default=0,
                        help="print this many lines of the profile (cumulative time)")
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
