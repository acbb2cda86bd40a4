"""The served pages in a real headless Chromium: sign in, then search, expand, read a member's
timeline and find paths through the JSON API with the page's session, masked and audited.

The app runs on 127.0.0.1 (uvicorn in a thread) against the test world in Neo4j; the browser
fails every request to any other origin.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from scalpernet.views.headless import Chromium
from tests.api.browsing import serve_app, signed_in
from tests.api.conftest import P1

if TYPE_CHECKING:
    from tests.api.conftest import Api


@pytest.fixture(scope="module")
def served(api: Api) -> Iterator[str]:
    """The app on a real socket, sharing the suite's world (and its keys)."""
    with serve_app(api.data_dir) as origin:
        yield origin


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium(width=1440, height=900) as chromium:
        yield chromium


def test_an_analyst_searches_expands_reads_a_timeline_and_finds_paths(
        api: Api, served: str, browser: Chromium, tmp_path: Path) -> None:
    page = signed_in(browser, served, api.keys["analyst"])
    assert "/ui/networks/n-gang" in page.evaluate("document.body.innerHTML")
    assert page.evaluate("!!document.querySelector('nav.session form[action=\"/ui/logout\"]')")
    page.navigate(f"{served}/ui/networks/n-gang")
    page.wait_for("window.__scalpernetReady === true", timeout=60)
    assert page.evaluate("document.querySelector('nav.session a').getAttribute('href')") == \
        "/ui/networks?lang=zh-CN"

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
    # beside it, the same releases' bookings: the gang's at machine speed, the others' human
    page.wait_for("!!document.querySelector('canvas.compare')", timeout=20)
    compared = page.evaluate("Array.from(document.querySelectorAll('table.compare-table tr'))"
                             ".map(r => Array.from(r.cells).map(c => c.textContent))")
    assert compared[1] == ["< 100 ms", "6", "0"]
    assert compared[-1] == ["≥ 60 s", "0", "2"]
    assert any(line["route"] == "/networks/{network_id}/release-delays" and
               line["role"] == "analyst" and line.get("via") == "page_session"
               for line in api.audit_lines())
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
    page.evaluate("document.querySelector('nav.session form[action=\"/ui/logout\"]').submit()")
    page.wait_for("location.pathname === '/ui/login'", timeout=20)
    assert any(line["outcome"] == "signed_out" and line["role"] == "analyst"
               for line in api.audit_lines()[-3:])
    page.navigate(f"{served}/ui/networks/n-gang")
    time.sleep(0.5)
    page.wait_for("location.pathname === '/ui/login' && document.readyState === 'complete'",
                  timeout=20)
    page.close()
