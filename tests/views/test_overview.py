"""The overview page as rendered: order as given, links, escaping, masking, people's words."""

from __future__ import annotations

import html
from datetime import UTC, datetime

from scalpernet.results.models import Network, Signal
from scalpernet.views import render_overview_page
from scalpernet.views.overview import Filters

from .networks import PHONE


def test_rows_link_each_view_escaped_and_masked() -> None:
    high = Network(id="a/b?<c>", risk=0.9991, size=4000, hospitals=["<b>H1</b>"],
                   first_seen=datetime(2026, 3, 2, 10, 0, tzinfo=UTC),
                   signals=[Signal(name="machine_speed_share", value=302,
                                   detail=f"302 of 481 bookings; call {PHONE}"),
                            *(Signal(name=f"s{i}", value=i) for i in range(4))])
    low = Network(id="low risk", risk=0.2, size=3, hospitals=["H2"])
    page = render_overview_page([high, low], masked=True, link_template="/ui/networks/{id}")
    assert page.index("a/b?&lt;c&gt;") < page.index("low risk")
    assert 'href="/ui/networks/a%2Fb%3F%3Cc%3E"' in page
    assert "<b>H1</b>" not in page and "&lt;b&gt;H1&lt;/b&gt;" in page
    assert PHONE not in page and "138****5678" in page
    assert "0.9991" in page and "1.00<" not in page
    assert "4,000" in page
    assert "2026-03-02 18:00:00 +08:00" in page  # 10:00 UTC shown in China Standard Time
    assert "放号后 1 秒内抢到" in page and 'title="machine_speed_share"' in page
    assert "s1" in page and "s2" not in page  # the top three signals
    assert "<script" not in page and "form-action 'self'" in html.unescape(page)
    assert '<html lang="zh-CN">' in page


def test_english_and_an_empty_result_say_so() -> None:
    page = render_overview_page([], masked=False, filters=Filters(lang="en"), total=0)
    assert '<html lang="en">' in page
    assert "No networks in the current results match." in page
    assert "lang=zh-CN" in page  # the way back to Chinese
