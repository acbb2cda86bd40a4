"""Pages in a real headless Chromium, served from 127.0.0.1 with every other origin cut off.

Each test waits for the graph to be drawn (the page's ready flag plus painted pixels), so a
page that does not draw fails here.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from scalpernet.views import render_network_page
from scalpernet.views.headless import BrowserError
from scalpernet.views.sample import sample_network

from .conftest import Site, node_on_screen, wait_drawn
from .networks import ID_NUMBER, PATIENT, XSS, hostile_network

INJECTED = "img, svg, iframe, object, embed, [onerror], [onload]"


def test_hostile_names_show_as_text_and_nothing_leaves_the_page(site: Site,
                                                                tmp_path: Path) -> None:
    page = site.open("hostile.html",
                     render_network_page(hostile_network(), masked=False, lang="en"))
    wait_drawn(page)
    patient = page.evaluate(
        "scalpernet.nodes.get({filter: n => n.label.startsWith('<img')}).map(n => n.id)")
    assert len(patient) == 1

    x, y = node_on_screen(page, patient[0])
    page.hover(x, y)
    page.wait_for("!!document.querySelector('div.vis-tooltip') && "
                  "document.querySelector('div.vis-tooltip').style.visibility === 'visible'",
                  timeout=10)
    tooltip = page.evaluate("document.querySelector('div.vis-tooltip').textContent")
    assert f"patient:{PATIENT}" in tooltip

    page.click(x, y)
    page.wait_for("document.getElementById('details-body').textContent.includes('Evidence')",
                  timeout=10)
    details = page.evaluate("document.getElementById('details-body').textContent")
    assert f"patient:{ID_NUMBER}|{XSS}" in details
    assert page.evaluate("scalpernet.network.getSelectedNodes()") == patient
    # the click shows everything in the panel: the tooltip does not stay to repeat it
    assert page.evaluate("document.querySelector('div.vis-tooltip').style.visibility") == \
        "hidden"

    page.screenshot(tmp_path / "hostile.png")
    assert (tmp_path / "hostile.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert page.evaluate(f"document.querySelectorAll({INJECTED!r}).length") == 0
    assert page.dialogs == [] and page.errors == []
    assert page.requests == [f"{site.origin}/hostile.html"] and page.blocked == []


def test_analysts_see_masked_identifiers_in_the_browser(site: Site) -> None:
    page = site.open("masked.html", render_network_page(hostile_network(), masked=True))
    wait_drawn(page)
    page.evaluate("scalpernet.select('m2')")
    details = page.evaluate("document.getElementById('details-body').textContent")
    assert f"patient:510107********1234|{XSS}" in details
    assert ID_NUMBER not in page.evaluate("document.documentElement.outerHTML")


def test_a_2000_member_network_draws_at_once_and_opens_a_group(site: Site) -> None:
    page = site.open("large.html", render_network_page(sample_network(2000, actors=False),
                                                       masked=False, lang="en"))
    seconds = wait_drawn(page, timeout=60)
    assert seconds < 20, f"took {seconds:.1f} s to draw"
    visible = "scalpernet.nodes.get({filter: n => !n.hidden}).length"
    before = page.evaluate(visible)
    assert before <= 400
    group = page.evaluate("scalpernet.nodes.get({filter: n => !n.hidden && "
                          "n.label.startsWith('+ ') && n.label.endsWith('patients')})[0].id")
    page.click(*node_on_screen(page, group))
    page.wait_for(f"{visible} > {before}", timeout=10)
    assert page.evaluate(f"scalpernet.nodes.get({group!r}).hidden") is True
    assert "patients of" in page.evaluate("document.getElementById('details-body').textContent")
    # Still responsive: a redraw of the opened graph takes a fraction of a second.
    page.evaluate("scalpernet.network.redraw()")
    time.sleep(0.3)
    assert page.evaluate("window.__scalpernetLastDrawMs") < 500
    assert page.errors == [] and page.blocked == []


def test_the_free_layout_settles_then_stops(site: Site) -> None:
    net = sample_network(150, actors=False)
    page = site.open("physics.html", render_network_page(net, masked=False, physics=True))
    wait_drawn(page)
    assert page.evaluate("scalpernet.network.physics.physicsEnabled") is False
    assert page.evaluate("document.getElementById('physics').checked") is False
    positions = "JSON.stringify(scalpernet.network.getPositions())"
    first = page.evaluate(positions)
    time.sleep(0.5)
    assert page.evaluate(positions) == first
    home = page.evaluate("scalpernet.nodes.get('m0')")
    moved = page.evaluate("scalpernet.network.getPositions(['m0']).m0")
    assert (round(moved["x"]), round(moved["y"])) != (round(home["x"]), round(home["y"]))


def test_the_policy_stops_markup_that_escaping_would_have_missed(site: Site) -> None:
    page_html = render_network_page(sample_network(30), masked=False).replace(
        "<body class=\"network-page\">",
        "<body class=\"network-page\"><img src=\"x.png\" onerror=\"document.title='pwned'\">")
    page = site.open("injected.html", page_html)
    wait_drawn(page)
    assert page.evaluate("document.title") != "pwned"
    # The browser refused the image before asking the server for it.
    assert page.failed == [(f"{site.origin}/x.png", "csp")]


def test_requests_to_other_origins_are_caught(site: Site) -> None:
    page = site.open("leaky.html", """<!DOCTYPE html><html><head>
        <link rel="stylesheet" href="https://cdn.example.com/bootstrap.css"></head><body>
        <img src="http://203.0.113.9/pixel.png">
        <script>fetch("https://example.org/beacon").catch(() => {});
                window.__done = true;</script></body></html>""")
    page.wait_for("window.__done === true && document.readyState === 'complete'")
    deadline = time.time() + 5
    while len(page.blocked) < 3 and time.time() < deadline:
        time.sleep(0.05)
    assert sorted(page.blocked) == ["http://203.0.113.9/pixel.png",
                                    "https://cdn.example.com/bootstrap.css",
                                    "https://example.org/beacon"]


def test_a_page_that_does_not_draw_fails_the_wait(site: Site) -> None:
    page_html = render_network_page(sample_network(30), masked=False)
    start = page_html.index("<script>", page_html.index('id="scalpernet-data"'))
    end = page_html.index("</script>", start)
    broken = page_html[:start] + "<script>" + page_html[end:]  # vis-network taken out
    page = site.open("broken.html", broken)
    with pytest.raises(BrowserError, match="timed out"):
        wait_drawn(page, timeout=5)
    assert any("vis is not defined" in error for error in page.errors)


VISIBLE = "scalpernet.nodes.get({filter: n => !n.hidden}).map(n => n.id)"


def test_the_page_opens_on_the_org_chart_and_opens_people_into_identifiers(site: Site) -> None:
    net = sample_network(3000)
    page = site.open("chart.html", render_network_page(net, masked=True))
    wait_drawn(page)
    opening = page.evaluate(VISIBLE)
    assert 5 <= len(opening) <= 20, opening  # a handful of boxes, no identifier yet
    assert not [n for n in opening if n.startswith("m")]
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "技术人员" in page.evaluate(
        "scalpernet.nodes.get(scalpernet.nodes.get({filter: n => !n.hidden})[0].id).label")
    # a person's box opens into their identifiers
    page.evaluate("scalpernet.openActor('a1')")  # the first level
    shown = page.evaluate(VISIBLE)
    assert len([n for n in shown if n.startswith("m")]) > 0
    # an agent's patients: the box opens into the patients' boxes
    block = next(n for n in opening if n.startswith("pg"))
    page.click(*node_on_screen(page, block))
    page.wait_for(f"!{VISIBLE}.includes({block!r})", timeout=10)
    assert len(page.evaluate(VISIBLE)) > len(shown)
    # the identifiers view is one click away, and back
    page.evaluate("document.getElementById('view-ids').click()")
    assert all(not n.startswith("a") for n in page.evaluate(VISIBLE))
    page.evaluate("document.getElementById('view-chart').click()")
    assert "a0" in page.evaluate(VISIBLE)
    # the list beside the canvas names every person; an entry focuses its box
    page.evaluate("document.getElementById('list').click()")
    entries = page.evaluate("document.querySelectorAll('#results li button').length")
    assert entries == min(300, len(net.actors))
    page.evaluate("document.querySelectorAll('#results li button')[2].focus(); "
                  "document.querySelectorAll('#results li button')[2].click()")
    assert page.evaluate("scalpernet.network.getSelectedNodes()") == ["a2"]
    # at 1366×768 the legend is on screen without scrolling
    page.send("Emulation.setDeviceMetricsOverride", {"width": 1366, "height": 768,
                                                     "deviceScaleFactor": 1, "mobile": False})
    page.wait_for("window.innerHeight === 768")
    assert page.evaluate("document.querySelector('.legend-box').getBoundingClientRect()"
                         ".bottom") <= 768
    assert page.errors == [] and page.blocked == []


def test_search_finds_a_patient_opens_the_chart_to_it_and_zooms(site: Site) -> None:
    net = sample_network(600, patient_name="张三丰")
    page = site.open("search.html", render_network_page(net, masked=True))
    wait_drawn(page)
    scale = page.evaluate("scalpernet.network.getScale()")
    page.evaluate("document.getElementById('search').value = '张三丰'; "
                  "document.getElementById('search-form').requestSubmit()")
    page.wait_for("scalpernet.network.getSelectedNodes().length === 1", timeout=10)
    selected = page.evaluate("scalpernet.network.getSelectedNodes()[0]")
    assert selected in page.evaluate(VISIBLE)
    assert "张三丰" in page.evaluate(f"scalpernet.nodes.get({selected!r}).label")
    assert page.evaluate("scalpernet.network.getScale()") > scale
    assert "张三丰" in page.evaluate("document.getElementById('results').textContent")
    assert "张三丰" in page.evaluate("document.getElementById('details-body').textContent")


def test_filters_hide_and_show_people_and_the_free_layout_stops_by_itself(site: Site) -> None:
    page = site.open("filters.html", render_network_page(sample_network(600), masked=True))
    wait_drawn(page)
    before = page.evaluate(VISIBLE)
    set_value = ("((id, v) => {const f = document.getElementById(id); f.value = v; "
                 "f.dispatchEvent(new Event('input'));})")
    page.evaluate(f"{set_value}('filter-role', 'second_level')")
    only = page.evaluate(VISIBLE)
    assert "a0" not in only and 0 < len(only) < len(before)
    page.evaluate(f"{set_value}('filter-role', '')")
    assert page.evaluate(VISIBLE) == before
    page.evaluate(f"{set_value}('filter-time', '0')")
    assert len(page.evaluate(VISIBLE)) < len(before)
    assert "UTC+8" in page.evaluate("document.getElementById('filter-time-value').textContent")
    page.evaluate(f"{set_value}('filter-time', '100')")
    page.evaluate("document.getElementById('physics').click()")
    assert page.evaluate("scalpernet.network.physics.physicsEnabled") is True
    page.wait_for("scalpernet.network.physics.physicsEnabled === false", timeout=10)
    assert page.evaluate("document.getElementById('physics').checked") is False


def test_the_hospital_filter_shows_only_the_people_who_booked_there(site: Site) -> None:
    net = sample_network(300)
    # the first-level scalpers and their identifiers booked at H2 only, everyone else at H1
    at_h2 = {f"{i.kind}:{i.key}" for a in net.actors if a.role == "first_level"
             for i in a.identifiers}
    hospitals_of = {f"{m.kind}:{m.key}": ["H2"] if f"{m.kind}:{m.key}" in at_h2 else ["H1"]
                    for m in net.members}
    page = site.open("hospitals.html",
                     render_network_page(net, masked=True, hospitals_of=hospitals_of))
    wait_drawn(page)
    assert page.evaluate("Array.from(document.querySelectorAll('#filter-hospital option'))"
                         ".map(o => o.textContent)") == ["全部医院", "H1", "H2"]
    before = page.evaluate(VISIBLE)
    roles = ("(ids => ids.map(id => (JSON.parse(document.getElementById('scalpernet-data')"
             ".textContent).chart.actors[id] || {role: id}).role))")
    set_value = ("((id, v) => {const f = document.getElementById(id); f.value = v; "
                 "f.dispatchEvent(new Event('input'));})")
    page.evaluate(f"{set_value}('filter-hospital', '1')")
    only = page.evaluate(VISIBLE)
    assert 0 < len(only) < len(before)
    assert set(page.evaluate(f"{roles}({only!r})")) == {"first_level"}
    page.evaluate(f"{set_value}('filter-hospital', '')")
    assert page.evaluate(VISIBLE) == before
    assert page.errors == []


def test_an_offline_page_without_hospitals_has_no_hospital_filter(site: Site) -> None:
    page = site.open("no-hospitals.html", render_network_page(sample_network(30), masked=True))
    wait_drawn(page)
    assert page.evaluate("document.getElementById('filter-hospital').hidden") is True
