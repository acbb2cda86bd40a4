"""The case report against the real Neo4j: every figure with the registrations behind it
(numbered, with source file and line), masked for analysts, in Chinese by default, and
printed to PDF by headless Chromium."""

from __future__ import annotations

import re
from html.parser import HTMLParser

from tests.api.conftest import Api
from tests.cases.test_cases import post

RAW = ("510107199013011234", "11010519491231002X", "17012345678", "13900002222")


class Text(HTMLParser):
    """The page's text by section id, and the ids it defines."""

    def __init__(self) -> None:
        super().__init__()
        self.section: str | None = None
        self.text: dict[str, str] = {}
        self.ids: set[str] = set()
        self.links: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = dict(attrs)
        if found.get("id"):
            self.ids.add(str(found["id"]))
            if tag == "section":
                self.section = found["id"]
        if tag == "a" and (found.get("href") or "").startswith("#"):
            self.links.add(str(found["href"])[1:])

    def handle_data(self, data: str) -> None:
        if self.section:
            self.text[self.section] = self.text.get(self.section, "") + data


def parsed(html: str) -> Text:
    page = Text()
    page.feed(html)
    return page


def test_every_number_leads_to_registrations_with_source_file_and_line(api: Api) -> None:
    post(api, "/cases", {"network_id": "n-gang", "note": "<script>alert(1)</script>"})
    answer = api.get("/networks/n-gang/report")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    html = answer.text
    assert '<html lang="zh-CN">' in html and "案件报告" in html and "技术人员" in html
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    page = parsed(html)
    assert {f"E{n}" for n in range(1, 7)} <= page.ids
    assert page.links <= page.ids  # every evidence link lands on a registration row
    appendix = page.text["appendix-a"]
    for n in range(1, 7):
        assert f"R{n}" in appendix
    assert appendix.count("export-h.csv:2") == 6
    fees = page.text["fees"]
    assert "1,800.00" in fees  # 6 × 300 yuan face value
    assert "400.00" in fees and "12,500.00" in fees  # 5 kept slots × 80 … 2,500 yuan
    assert re.search(r"< 100 ms\s*6", page.text["delays"])
    hospitals = page.text["hospitals"]
    assert re.search(r"H1\s*3\s*900.00\s*E1–E3", hospitals)
    assert re.search(r"H2\s*3\s*900.00\s*E4–E6", hospitals)
    assert "alipay-8812" in page.text["payments"]
    assert "+08:00" in page.text["appendix-a"]
    assert "新建" in page.text["case"]

    english = api.get("/networks/n-gang/report", params={"lang": "en"}).text
    assert '<html lang="en">' in english and "Case report" in english
    assert "Technician" in english


def test_an_analysts_report_holds_no_id_number_or_phone(api: Api) -> None:
    post(api, "/cases/n-gang/comments", {"text": "caller 13900002222"})
    answer = api.get("/networks/n-gang/report", role="analyst")
    assert answer.status_code == 200
    assert not any(raw in answer.text for raw in RAW)
    assert "脱敏" in answer.text
    audit = api.last_audit()
    assert audit["route"] == "/networks/{network_id}/report" and audit["role"] == "analyst"
    assert "payer:alipay-8812" in audit["entities"]
    assert api.get("/networks/n-none/report").status_code == 404


def test_the_report_prints_to_pdf(api: Api) -> None:
    """Needs Chromium: scripts/install-browser.sh installs Debian's."""
    answer = api.get("/networks/n-gang/report", params={"format": "pdf"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"] == "application/pdf"
    assert answer.content.startswith(b"%PDF-")
    assert len(answer.content) > 5_000


def test_long_evidence_folds_on_screen_and_prints_in_full(tmp_path) -> None:
    """40 bookings alternating kept and cancelled: each list is 20 runs, folded on screen;
    printed (Chromium, print media) every number is there."""
    from datetime import UTC, datetime, timedelta

    from scalpernet.api.present import Presenter
    from scalpernet.export.source import Booking
    from scalpernet.privacy import RefCipher, load_ref_keyring
    from scalpernet.report.figures import compute
    from scalpernet.report.render import render_report
    from scalpernet.views.headless import Chromium, serve_directory
    from tests.api.conftest import RELEASE, gang

    bookings = [Booking(props={
        "registration_id": f"R{i}", "hospital": "H1", "status": ("booked", "cancelled")[i % 2],
        "booked_at": (RELEASE + timedelta(milliseconds=30 + i)).isoformat(),
        "latency_ms": 30 + i, "fee_yuan": "300.00", "source_file": "x.csv",
        "source_line": i + 2}, links={"PAID_BY": ["payer:alipay-8812"]}) for i in range(40)]
    network = gang()
    present = Presenter(RefCipher(load_ref_keyring(tmp_path / "refs.json")), masked=True)
    html = render_report(network, bookings, 40, compute(network, bookings), present,
                         lang="zh-CN", run_id="r", case=None, generated=datetime.now(UTC))
    (tmp_path / "report.html").write_text(html, encoding="utf-8")
    shown = ("[...document.querySelectorAll('details.ev')].map(d => "
             "d.querySelector('span.ev').checkVisibility())")
    with serve_directory(tmp_path) as origin, Chromium() as browser:
        page = browser.open(f"{origin}/report.html")
        page.wait_for("document.readyState === 'complete'")
        screen = page.evaluate(shown)
        page.send("Emulation.setEmulatedMedia", {"media": "print"})
        printed = page.evaluate(shown)
        text = page.evaluate("document.querySelector('details.ev').textContent")
    assert len(screen) >= 2 and not any(screen)
    assert all(printed)
    assert "E1, E3, E5" in text and "E39" in text


def test_a_print_that_overruns_or_fails_says_so_in_one_line(tmp_path) -> None:
    import pytest

    from scalpernet.errors import ScalperNetError
    from scalpernet.report.render import PrintTimeout, print_pdf

    slow, broken = tmp_path / "slow.sh", tmp_path / "broken.sh"
    slow.write_text("#!/bin/sh\nsleep 30 &\nsleep 30\n")
    broken.write_text("#!/bin/sh\necho 'no display here' >&2\nexit 3\n")
    for script in (slow, broken):
        script.chmod(0o755)
    with pytest.raises(PrintTimeout, match="within 1 s"):
        print_pdf("<p>x</p>", chromium=str(slow), timeout=1)
    with pytest.raises(ScalperNetError, match=r"exit 3\): no display here"):
        print_pdf("<p>x</p>", chromium=str(broken))
