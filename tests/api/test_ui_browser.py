"""The served pages in a real headless Chromium: sign in, then search, expand, read a member's
timeline and find paths through the JSON API with the page's session, masked and audited.

The app runs on 127.0.0.1 (uvicorn in a thread) against the test world in Neo4j; the browser
fails every request to any other origin.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
import uvicorn

from scalpernet.api import create_app
from scalpernet.views.headless import Chromium, Page
from tests.api.conftest import P1, ROOMY, api_settings

if TYPE_CHECKING:
    from tests.api.conftest import Api


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def served(api: Api, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The app on a real socket, sharing the suite's world (and its keys)."""
    app = create_app(api_settings(api.data_dir), key_cache_ttl=0, run_cache_ttl=0,
                     limits=ROOMY)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port,
                                           log_level="warning", access_log=False))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 30
    while not server.started and time.time() < deadline:
        time.sleep(0.05)
    assert server.started, "the app did not start"
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium(width=1440, height=900) as chromium:
        yield chromium


def _signed_in(browser: Chromium, origin: str, key: str) -> Page:
    page = browser.open(f"{origin}/ui/login")
    page.wait_for("!!document.querySelector('input[name=key]')", timeout=20)
    page.evaluate(f"document.querySelector('input[name=key]').value = {key!r}; "
                  "document.querySelector('form').submit()")
    page.wait_for("location.pathname === '/ui/networks' && document.readyState === 'complete'",
                  timeout=20)
    return page


def test_an_analyst_searches_expands_reads_a_timeline_and_finds_paths(
        api: Api, served: str, browser: Chromium, tmp_path: Path) -> None:
    page = _signed_in(browser, served, api.keys["analyst"])
    assert "/ui/networks/n-gang" in page.evaluate("document.body.innerHTML")
    assert page.evaluate("!!document.querySelector('nav.session form[action=\"/ui/logout\"]')")
    page.navigate(f"{served}/ui/networks/n-gang")
    page.wait_for("window.__scalpernetReady === true", timeout=60)
    assert page.evaluate("document.querySelector('nav.session a').getAttribute('href')") == \
        "/ui/networks"

    # search: in the page and, exactly, across all data through /search
    page.evaluate("document.getElementById('search').value = 'A9'; "
                  "document.getElementById('search-form').requestSubmit()")
    page.wait_for("document.querySelector('#results .remote ul, #results .remote p.hint')"
                  " !== null", timeout=20)
    selected = page.evaluate("scalpernet.network.getSelectedNodes()")
    assert len(selected) == 1
    assert page.evaluate(f"scalpernet.nodes.get({selected[0]!r}).label") == "A9"
    assert "A9" in page.evaluate("document.querySelector('#results .remote').textContent")

    # neighbours on demand, from a patient: new nodes come from the API
    patient = page.evaluate("(m => Object.keys(m).find(id => m[id].label === '张三'))("
                            "JSON.parse(document.getElementById('scalpernet-data').textContent)"
                            ".members)")
    before = page.evaluate("scalpernet.nodes.length")
    page.evaluate(f"scalpernet.focus({patient!r})")
    buttons = "Array.from(document.querySelectorAll('#details-body .tools > button'))"
    page.evaluate(f"{buttons}[0].click()")
    page.wait_for(f"scalpernet.nodes.length > {before}", timeout=20)

    def expanded() -> bool:
        return any(line["route"] == "/entities/{kind}/{key}/neighbours" and
                   line["role"] == "analyst" and line["status"] == 200
                   for line in api.audit_lines())

    # focusing may open the patient's box before the neighbours arrive: wait for the read
    deadline = time.time() + 20
    while not expanded() and time.time() < deadline:
        time.sleep(0.2)
    assert expanded()

    # the booking timeline: a table and the histogram of delays after release
    page.evaluate(f"scalpernet.focus({patient!r})")
    page.evaluate(f"{buttons}[1].click()")
    page.wait_for("document.querySelectorAll('table.timeline tr').length > 1", timeout=20)
    assert page.evaluate("document.querySelectorAll('canvas.histogram').length") == 1
    assert "UTC+8" in page.evaluate("document.querySelector('table.timeline').textContent")
    page.screenshot(tmp_path / "timeline.png")

    # the other networks it is in, each a link to its page
    page.evaluate(f"{buttons}[2].click()")
    page.wait_for("!!document.querySelector('#details-body .tool-out a')", timeout=20)
    assert page.evaluate("document.querySelector('#details-body .tool-out a')"
                         ".getAttribute('href')") == "/ui/networks/n-gang"

    # shortest paths to another member of the page, named as the page shows it
    page.evaluate("document.querySelector('#details-body form.paths input').value = "
                  "'alipay-8812'; document.querySelector('#details-body form.paths')"
                  ".requestSubmit()")
    page.wait_for("document.querySelectorAll('#details-body ol.path').length > 0", timeout=20)
    assert page.evaluate("scalpernet.network.getSelectedNodes().length") >= 2
    assert any(line["route"] == "/paths" and line["role"] == "analyst"
               for line in api.audit_lines())

    # masked everywhere the analyst looked, and nothing left the origin
    dom = page.evaluate("document.documentElement.outerHTML")
    assert P1.split("|")[0] not in dom and "17012345678" not in dom
    page.screenshot(tmp_path / "served.png")
    assert page.blocked == [] and page.errors == []

    # signing out ends the session: the page is refused from then on
    page.evaluate("document.querySelector('nav.session form').submit()")
    page.wait_for("location.pathname === '/ui/login'", timeout=20)
    assert any(line["outcome"] == "signed_out" and line["role"] == "analyst"
               for line in api.audit_lines()[-3:])
    page.navigate(f"{served}/ui/networks/n-gang")
    time.sleep(0.5)
    page.wait_for("location.pathname === '/ui/login' && document.readyState === 'complete'",
                  timeout=20)
    page.close()
