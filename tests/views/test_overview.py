"""The overview page as rendered: order as given, links, escaping, masking, people's words."""

from __future__ import annotations

import html
import re
import string
from datetime import UTC, datetime

from scalpernet.locale import DETAILS, detail_text, signal_detail
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


def test_signal_explanations_are_in_the_pages_language() -> None:
    ring = [key for key in DETAILS if key.startswith("ring.")]
    signals = [Signal(name=key.removeprefix("ring."), value=7,
                      detail=detail_text(key, **{f: 7 for f in _fields(DETAILS[key][1])})
                      + detail_text("logit", logit=1.25)) for key in ring]
    nets = [Network(id=f"n{i}", risk=0.9, size=3, signals=signals[i:i + 3])
            for i in range(0, len(signals), 3)]
    zh = html.unescape(render_overview_page(nets, masked=False))
    en = html.unescape(render_overview_page(nets, masked=False, filters=Filters(lang="en")))
    for s in signals:
        assert s.detail in en and s.detail not in zh
    assert "（风险贡献 +1.25）" in zh and "(logit +1.25)" in en
    assert "7 次挂号中 7 次在放号后 1 秒内完成" in zh
    assert "团伙内共 7 次挂号" in zh and "7 名陪诊员带客" in zh
    # the explanations cell of the Chinese page holds no English word
    cells = re.findall(r'<span class="signal-detail">([^<]*)</span>', zh)
    assert len(cells) == len(signals)
    assert not [c for c in cells if re.search("[A-Za-z]{2,}", c)]


def test_every_explanation_has_the_same_figures_in_both_languages() -> None:
    for key, (zh, en) in DETAILS.items():
        assert _fields(zh) == _fields(en) and _fields(en), key
        assert not re.search("[A-Za-z]{2,}", zh.format(**dict.fromkeys(_fields(zh), 7))), key
    # a text no template reads (an older or unknown signal) is shown as stored
    assert signal_detail("bookings", "12 of something", "zh-CN") == "12 of something"


def _fields(template: str) -> set[str]:
    return {f for _, f, _, _ in string.Formatter().parse(template) if f}
