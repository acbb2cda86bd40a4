"""Cases, exports and the report in a real headless Chromium, every other origin cut off: an
investigator opens a case from the network's page and works it through its states, the case
survives a re-analysis and shows who joined, left or changed role; an analyst downloads the
exports and the PDF report, and they open (openpyxl, networkx), masked. Every page and change
is audited."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import networkx as nx
import openpyxl
import pytest

from scalpernet.results.models import Member
from scalpernet.views.headless import Chromium, Page
from tests.api.browsing import loaded, serve_app, signed_in
from tests.api.conftest import P1, P3, P4, Api, gang, wifi
from tests.cases.test_cases import rerun


@pytest.fixture(scope="module")
def served(api: Api) -> Iterator[str]:
    with serve_app(api.data_dir) as origin:
        yield origin


@pytest.fixture(scope="module")
def browser() -> Iterator[Chromium]:
    with Chromium(width=1440, height=900) as chromium:
        yield chromium


def _submit(page: Page, form: str, fields: dict[str, str]) -> None:
    """Fill a form of the case page and send it (``submit()``: the browser's own checks of
    required fields are passed by, so that the server's refusals show)."""
    script = "".join(f"document.querySelector('#{form} [name={name}]').value = {value!r}; "
                     for name, value in fields.items())
    page.evaluate(script + f"document.getElementById({form!r}).submit()")


def _moved(page: Page, status: str, note: str) -> None:
    before = page.evaluate("document.querySelectorAll('#history tr.event').length")
    _submit(page, "move", {"status": status, "note": note})
    page.wait_for("document.readyState === 'complete' && "
                  f"document.querySelectorAll('#history tr.event').length > {before}",
                  timeout=20)
    assert page.evaluate("document.getElementById('case-status').dataset.status") == status


def _text(page: Page, selector: str) -> str:
    return page.evaluate(f"document.querySelector({selector!r}).textContent")


def test_a_case_goes_through_its_states_in_the_browser_and_survives_a_reanalysis(
        api: Api, served: str, browser: Chromium, tmp_path: Path) -> None:
    page = signed_in(browser, served, api.keys["investigator"])
    page.navigate(f"{served}/ui/networks/n-gang")
    page.wait_for("window.__scalpernetReady === true", timeout=60)
    page.evaluate("document.getElementById('open-case').click()")
    loaded(page, "/ui/cases/n-gang")
    assert page.evaluate("document.getElementById('case-status').dataset.status") == "new"
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "新建" in _text(page, "#case-status")
    # only the moves the workflow allows are offered
    assert page.evaluate("Array.from(document.querySelectorAll('#move option'))"
                         ".map(o => o.value)") == ["under_review", "dismissed"]

    # a move without a note is refused, named on the page, and changes nothing
    _submit(page, "move", {"status": "under_review", "note": "   "})
    page.wait_for("document.readyState === 'complete' && "
                  "!!document.querySelector('p.error[role=alert]')", timeout=20)
    assert "note" in _text(page, "p.error[role=alert]")
    assert page.evaluate("document.getElementById('case-status').dataset.status") == "new"

    _moved(page, "under_review", "核对支付账户 alipay-8812")
    _submit(page, "assign", {"assignee": "张警官", "note": "她的辖区"})
    page.wait_for("document.readyState === 'complete' && "
                  "(document.getElementById('case-assignee') || {}).textContent === '张警官'",
                  timeout=20)
    _submit(page, "comment", {"text": "已向 H2 调取监控，联系人 13912345678"})
    page.wait_for("document.querySelectorAll('#history tr.event-comment').length === 1",
                  timeout=20)
    _moved(page, "confirmed", "支付账户为三名患者付款")
    assert "确认" in _text(page, "#changes")
    assert [_text(page, f"#changes-{k} .count") for k in ("joined", "left", "role_changed")
            ] == ["0", "0", "0"]
    history = page.evaluate("Array.from(document.querySelectorAll('#history tr.event'))"
                            ".map(r => r.textContent)")
    assert len(history) == 5
    assert "审查中 → 已确认" in history[4] and "支付账户为三名患者付款" in history[4]
    assert "UTC" not in history[0] and "+08:00" in history[0] and "(侦查员)" in history[0]

    # the night after: P3 gone, P4 new, the escort agent now first level; the same id
    changed = gang()
    changed.members = [m for m in changed.members if m.key != P3] + [
        Member(kind="patient", key=P4, role="patient", score=0.5)]
    for m in changed.members:
        if m.key == "A9":
            m.role = "first_level"
    changed.size = len(changed.members)
    rerun(api, "run-2", [changed, wifi()])
    page.navigate(f"{served}/ui/cases/n-gang")
    loaded(page, "/ui/cases/n-gang")
    assert page.evaluate("document.getElementById('case-status').dataset.status") == "confirmed"
    assert "run-2" in _text(page, "#network-now")
    assert [_text(page, f"#changes-{k} .count") for k in ("joined", "left", "role_changed")
            ] == ["1", "1", "1"]
    changes = _text(page, "#changes")
    assert P4 in changes and P3 in changes and "二级黄牛" in changes and "一级黄牛" in changes

    # a forbidden move is not offered; a referral is final
    _moved(page, "referred", "移送经侦支队")
    assert page.evaluate("document.getElementById('move')") is None
    page.screenshot(tmp_path / "case.png")

    # the list of cases links to it
    page.navigate(f"{served}/ui/cases")
    loaded(page, "/ui/cases")
    assert "已移送" in _text(page, "table.cases") and "张警官" in _text(page, "table.cases")

    lines = api.audit_lines()
    posts = [line for line in lines if line["method"] == "POST"
             and line["route"].startswith("/ui/cases")]
    assert [(line["route"], line["status"]) for line in posts] == [
        ("/ui/cases", 201),
        ("/ui/cases/{network_id}/status", 400),
        ("/ui/cases/{network_id}/status", 200),
        ("/ui/cases/{network_id}/assignee", 200),
        ("/ui/cases/{network_id}/comments", 200),
        ("/ui/cases/{network_id}/status", 200),
        ("/ui/cases/{network_id}/status", 200)]
    assert all(line["role"] == "investigator" and line["via"] == "page_session"
               for line in posts)
    assert [line["params"].get("status") for line in posts if line["status"] == 200
            and line["route"].endswith("/status")] == ["under_review", "confirmed", "referred"]
    assert any(line["route"] == "/ui/cases/{network_id}" and line["method"] == "GET"
               and line["entities"] for line in lines)
    # the one error the browser saw is the refused blank note's answer
    assert page.blocked == [] and len(page.errors) == 1 and "400" in page.errors[0]
    page.close()

    # an analyst sees the same case with ID numbers and phones masked
    page = signed_in(browser, served, api.keys["analyst"])
    page.navigate(f"{served}/ui/cases/n-gang")
    loaded(page, "/ui/cases/n-gang")
    dom = page.evaluate("document.documentElement.outerHTML")
    assert "13912345678" not in dom and P4.split("|")[0] not in dom
    assert "赵六" in dom and "张警官" in dom
    page.close()


def test_an_analyst_downloads_the_exports_and_the_pdf_report_and_they_open(
        api: Api, served: str, browser: Chromium, tmp_path: Path) -> None:
    page = signed_in(browser, served, api.keys["analyst"])
    links = page.evaluate("Array.from(document.querySelectorAll('a'))"
                          ".map(a => a.getAttribute('href'))")
    folder = tmp_path / "downloads"
    folder.mkdir()
    page.allow_downloads(folder)

    def download(fragment: str, suffix: str) -> Path:
        href = next(h for h in links if h.startswith("/ui/networks/n-gang/") and fragment in h)
        page.evaluate(f"document.querySelector('a[href=\"{href}\"]').click()")
        return page.wait_download(folder, suffix, timeout=120)

    sheet = openpyxl.load_workbook(download("registrations?format=xlsx", ".xlsx")).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 1 + 6  # the header and the gang's six bookings
    cells = " ".join(str(c) for row in rows for c in row if c is not None)
    assert "export-h.csv" in cells and P1.split("|")[0] not in cells
    assert "17012345678" not in cells

    members_csv = download("members?format=csv", ".csv").read_text(encoding="utf-8-sig")
    assert len(list(csv.reader(io.StringIO(members_csv)))) == 1 + gang().size
    assert P1.split("|")[0] not in members_csv

    graph = nx.read_graphml(download("graph?format=graphml", ".graphml"))
    assert graph.number_of_nodes() == gang().size
    assert {data["role"] for _, data in graph.nodes(data=True)} >= {"technician", "patient"}
    assert all(P1.split("|")[0] not in data["label"] for _, data in graph.nodes(data=True))

    pdf = download("report?format=pdf", ".pdf").read_bytes()
    assert pdf.startswith(b"%PDF-") and b"%%EOF" in pdf[-64:] and len(pdf) > 5_000

    exports = [line for line in api.audit_lines() if line["route"].startswith(
        "/ui/networks/{network_id}/")]
    assert {line["route"] for line in exports} >= {
        "/ui/networks/{network_id}/export/{table}", "/ui/networks/{network_id}/export/graph",
        "/ui/networks/{network_id}/report"}
    assert all(line["role"] == "analyst" and line["status"] == 200 and line["entities"]
               for line in exports)
    assert page.blocked == [] and page.errors == []
    page.close()
