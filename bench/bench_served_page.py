"""Seconds the API takes to answer a served network page (read, render) and what the page's
hospital filter and timeline comparison add: ``network_member_hospitals`` for the page, and
``/networks/{id}/release-delays`` for a member, on the current results of the configured
Neo4j (e.g. ``simulate --records 30000 --seed 4``, ``ingest``, ``analyze``).

    .venv/bin/python bench/bench_served_page.py [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.apikeys import create_key
from scalpernet.config import get_settings
from scalpernet.graph import get_graph


def _median_s(action, repeat: int) -> float:  # type: ignore[no-untyped-def]
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        answer = action()
        times.append(time.perf_counter() - start)
        status = getattr(answer, "status_code", 200)
        if status != 200:
            raise SystemExit(f"answered {status}: {answer.text[:200]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    graph = get_graph()
    key = create_key(graph, "investigator", name="bench served page")[1]
    with tempfile.TemporaryDirectory() as tmp:
        base = get_settings()
        settings = base.model_copy(update={"data_dir": Path(tmp),
                                           "neo4j_password": base.password})
        with TestClient(create_app(settings)) as client:
            head = {"X-API-Key": key}
            for net in client.get("/networks", headers=head).json()["networks"][:3]:
                page = _median_s(lambda n=net: client.get(f"/networks/{n['id']}/view",
                                                         headers=head), args.repeat)
                hospitals = _median_s(lambda n=net: graph.read(
                    "network_member_hospitals", id=n["id"]), args.repeat)
                members = graph.read("network_get", id=net["id"])[0]["members"]
                patient = next(m for m in members if m["role"] == "patient")
                payer = next((m for m in members if m["uid"].startswith("payer:")), patient)
                delays = {m["uid"].split(":")[0]: _median_s(lambda m=m, n=net: client.get(
                    f"/networks/{n['id']}/release-delays", headers=head,
                    params={"member": m["uid"]}), args.repeat) for m in (patient, payer)}
                print(f"{net['id']}: {net['size']:,} members; page {page:.2f} s, of which "
                      f"member hospitals {hospitals:.2f} s; release delays: "
                      + ", ".join(f"{k} {v:.2f} s" for k, v in delays.items()), flush=True)


if __name__ == "__main__":
    main()
