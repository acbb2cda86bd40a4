"""Screenshots of the overview page and a case report as an analyst sees them (masked),
at 1440×900 and 1366×768, into docs/screenshots/; and the report's PDF timing.

Needs analysed results in the configured Neo4j (e.g. ``scalpernet simulate --records 30000
--seed 4``, ``ingest``, ``analyze``) and Chromium (scripts/install-browser.sh). Opens a
case on the riskiest network and moves it to review, so the report shows a history.

    .venv/bin/python scripts/case_screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import subprocess
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.apikeys import create_key
from scalpernet.config import get_settings
from scalpernet.graph import get_graph
from scalpernet.views.headless import CHROMIUM_FLAGS, find_chromium

SIZES = ((1440, 900), (1366, 768))


def shoot(html: str, name: str, out: Path, folder: Path) -> None:
    page = folder / f"{name}.html"
    page.write_text(html, encoding="utf-8")
    for width, height in SIZES:
        target = out / f"{name}-{width}x{height}.png"
        subprocess.run([find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={folder}/p",
                        f"--window-size={width},{height}", f"--screenshot={target}",
                        page.as_uri()], check=True, capture_output=True, timeout=120)
        print(target)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    graph = get_graph()
    analyst = create_key(graph, "analyst", name="screenshots")[1]
    investigator = create_key(graph, "investigator", name="李警官")[1]
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        base = get_settings()
        settings = base.model_copy(update={"data_dir": folder / "data",
                                           "neo4j_password": base.password})
        with TestClient(create_app(settings)) as client:
            head = {"X-API-Key": investigator}
            networks = client.get("/networks", headers=head).json()["networks"]
            top = networks[0]["id"]
            client.post("/cases", headers=head,
                        json={"network_id": top, "note": "放号后毫秒级抢号，疑似抢号软件"})
            client.post(f"/cases/{top}/status", headers=head,
                        json={"status": "under_review", "note": "调取支付账号流水"})
            client.post(f"/cases/{top}/assignee", headers=head, json={"assignee": "李警官"})
            client.post("/ui/login", data={"key": analyst})
            shoot(client.get("/ui/networks").text, "overview", args.out, folder)
            view = {"X-API-Key": analyst}
            report = client.get(f"/networks/{top}/report", headers=view)
            shoot(report.text, "report", args.out, folder)
            start = time.perf_counter()
            pdf = client.get(f"/networks/{top}/report", headers=view, params={"format": "pdf"})
            print(f"report of {top}: HTML {len(report.content) / 1e6:.1f} MB, PDF "
                  f"{len(pdf.content) / 1e6:.1f} MB in {time.perf_counter() - start:.1f} s")


if __name__ == "__main__":
    main()
