"""Screenshots of the pages as an analyst sees them (masked), at 1440×900 and 1366×768, into
docs/screenshots/: the overview, the riskiest network's org chart, a patient's booking
timeline there (beside the same releases' other bookings), its case and its report; and the
report's PDF timing.

Needs analysed results in the configured Neo4j (e.g. ``scalpernet simulate --records 30000
--seed 4``, ``ingest``, ``analyze``) and Chromium (scripts/install-browser.sh). Serves the
app on 127.0.0.1 and drives a real Chromium through the signed-in pages (every other origin
cut off). Opens a case on the riskiest network, moves it to review, assigns and comments it
as an investigator, so the case page and the report show a history.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import socket
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import quote

import uvicorn
from fastapi.testclient import TestClient

from scalpernet.api import create_app
from scalpernet.apikeys import create_key
from scalpernet.config import get_settings
from scalpernet.graph import get_graph
from scalpernet.views.headless import Chromium, Page

SIZES = ((1440, 900), (1366, 768))


def _serve(app: object) -> tuple[str, uvicorn.Server, threading.Thread]:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = int(sock.getsockname()[1])
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,  # type: ignore[arg-type]
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    return f"http://127.0.0.1:{port}", server, thread


def _sign_in(browser: Chromium, origin: str, key: str) -> Page:
    page = browser.open(f"{origin}/ui/login")
    page.wait_for("!!document.querySelector('input[name=key]')")
    page.evaluate(f"document.querySelector('input[name=key]').value = {key!r}; "
                  "document.querySelector('form').submit()")
    page.wait_for("location.pathname === '/ui/networks' && document.readyState === 'complete'")
    return page


def _open(page: Page, url: str, ready: str = "document.readyState === 'complete'") -> None:
    page.navigate(url)
    time.sleep(0.3)
    page.wait_for(ready, timeout=120)


def _timeline(page: Page) -> None:
    """Open the riskiest patient's booking timeline in the side panel."""
    patient = page.evaluate(
        "(m => Object.keys(m).filter(id => m[id].role === 'patient' && m[id].ref)"
        ".sort((a, b) => m[b].score - m[a].score)[0])("
        "JSON.parse(document.getElementById('scalpernet-data').textContent).members)")
    page.evaluate(f"scalpernet.focus({patient!r})")
    page.evaluate("document.querySelectorAll('#details-body .tools > button')[1].click()")
    page.wait_for("!!document.querySelector('canvas.compare')", timeout=120)
    page.evaluate("window.scrollTo(0, 0); (aside => { const at = document.querySelector("
                  "'#details-body .tool-out'); aside.scrollTop += at.getBoundingClientRect()"
                  ".top - aside.getBoundingClientRect().top - 120; })("
                  "document.querySelector('aside'))")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/screenshots"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    graph = get_graph()
    analyst = create_key(graph, "analyst", name="screenshots")[1]
    investigator = create_key(graph, "investigator", name="李警官")[1]
    with tempfile.TemporaryDirectory() as tmp:
        base = get_settings()
        settings = base.model_copy(update={"data_dir": Path(tmp) / "data",
                                           "neo4j_password": base.password})
        app = create_app(settings)
        with TestClient(app) as client:
            head = {"X-API-Key": investigator}
            top = client.get("/networks", headers=head).json()["networks"][0]["id"]
            client.post("/cases", headers=head,
                        json={"network_id": top, "note": "放号后毫秒级抢号，疑似抢号软件"})
            for status, note in (("under_review", "调取支付账号流水"),
                                 ("confirmed", "支付账号为多名患者付款，技术人员使用同一设备")):
                client.post(f"/cases/{top}/status", headers=head,
                            json={"status": status, "note": note})
            client.post(f"/cases/{top}/assignee", headers=head,
                        json={"assignee": "李警官", "note": "辖区内医院"})
            client.post(f"/cases/{top}/comments", headers=head,
                        json={"text": "已向医院调取放号时段的访问日志"})
            start = time.perf_counter()
            pdf = client.get(f"/networks/{top}/report", headers={"X-API-Key": analyst},
                             params={"format": "pdf"})
            print(f"report of {top}: PDF {len(pdf.content) / 1e6:.1f} MB in "
                  f"{time.perf_counter() - start:.1f} s")
        origin, server, thread = _serve(create_app(settings))
        network = f"{origin}/ui/networks/{quote(top, safe='')}"
        try:
            for width, height in SIZES:
                with Chromium(width=width, height=height) as browser:
                    page = _sign_in(browser, origin, analyst)
                    size = f"{width}x{height}"
                    shots = [("overview", f"{origin}/ui/networks", None),
                             ("network-org-chart", network, "window.__scalpernetReady === true"),
                             ("network-served-timeline", None, None),
                             ("case", f"{origin}/ui/cases/{quote(top, safe='')}", None),
                             ("report", f"{network}/report", None)]
                    for name, url, ready in shots:
                        if url is None:
                            _timeline(page)
                        else:
                            _open(page, url, ready or "document.readyState === 'complete'")
                        target = args.out / f"{name}-{size}.png"
                        page.screenshot(target)
                        print(target)
                    if page.blocked or page.errors:
                        raise SystemExit(f"blocked {page.blocked}, errors {page.errors}")
        finally:
            server.should_exit = True
            thread.join(timeout=10)


if __name__ == "__main__":
    main()
