"""Network and overview pages: escaped, masked for analysts, and complete without a network."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import UTC, datetime

import pytest

from scalpernet.results.models import Member, Network
from scalpernet.views import render_network_page, render_overview_page
from scalpernet.views.sample import sample_network

from .networks import ID_NUMBER, ODD_ID, PHONE, XSS, hostile_network

# URL strings inside the vendored vis-network: its licence header and an error message.
# None is a resource the page loads (the browser test proves no request leaves).
VENDOR_URL_STRINGS = {
    "http://almende.com",
    "http://naver.github.io/egjs",
    "http://opensource.org/licenses/MIT",
    "http://www.apache.org/licenses/LICENSE-2.0",
    "https://github.com/uuidjs/uuid#getrandomvalues-not-supported",
    "https://github.com/visjs",
    "https://github.com/zloirock/core-js",
    "https://github.com/zloirock/core-js/blob/v3.21.1/LICENSE",
    "https://visjs.github.io/vis-network/",
}


def page_data(page: str) -> dict:
    """The JSON data block the page's script draws from."""
    match = re.search(r'<script type="application/json" id="scalpernet-data">(.*?)</script>',
                      page, re.S)
    assert match, "no data block"
    return json.loads(match.group(1))


def scripts(page: str) -> list[str]:
    return re.findall(r"<script>(.*?)</script>", page, re.S)


def test_markup_from_the_data_is_never_markup_in_the_page() -> None:
    page = render_network_page(hostile_network(), masked=False, lang="en")
    own = page.replace(scripts(page)[0], "")  # the vendored library is not data
    for raw in (XSS, "<script>alert(2)</script>", "<script>alert(3)</script>",
                "<svg onload=alert(4)>", "<b>H1</b>", "<b>paid</b>", "<i>"):
        assert raw not in own
    # Every <script> is one of the page's own: data, vis-network (inserted whole), the app.
    assert own.count("<script") == 3 and "</script" not in scripts(page)[0]
    assert html.escape('Network n-1"><script>alert(2)</script>') in page
    # The text is all there, as text, for the page's script to show.
    data = page_data(page)
    labels = [node["label"] for node in data["nodes"]]
    assert "<img src=x onerror=…" in labels  # clipped to 20 characters
    patient = next(info for info in data["info"].values() if info["sub"].startswith("patient:"))
    assert patient["sub"] == f"patient:{ID_NUMBER}|{XSS}"
    assert all("title" not in node for node in data["nodes"]), "titles are built as DOM nodes"


def test_the_page_script_never_parses_data_as_html() -> None:
    page = render_network_page(hostile_network(), masked=False)
    app = scripts(page)[1]
    assert "textContent" in app
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in app


def test_analysts_see_no_id_number_or_phone() -> None:
    page = render_network_page(hostile_network(), masked=True, lang="en")
    for secret in (ID_NUMBER, PHONE, ODD_ID):
        assert secret not in page
    assert "510107********1234" in page and "138****5678" in page
    assert "ID numbers and phones are masked" in page
    data = page_data(page)
    patient = next(info for info in data["info"].values() if info["sub"].startswith("patient:"))
    assert patient["sub"] == f"patient:510107********1234|{XSS}"  # the name stays
    assert ["id", "51*********BC"] in patient["evidence"]  # an invalid number, by its key


def test_investigators_see_identifiers_in_full() -> None:
    page = render_network_page(hostile_network(), masked=False)
    assert ID_NUMBER in page and PHONE in page and ODD_ID in page
    assert "are masked" not in page


def test_the_page_loads_nothing_from_anywhere() -> None:
    page = render_network_page(sample_network(300), masked=False)
    resource = re.compile(
        r"""(?:\b(?:src|href|action|formaction|poster|srcset|data)\s*=\s*["']?\s*(?:https?:)?//)"""
        r"""|@import|\bimport\s*\(|\bfetch\s*\(|XMLHttpRequest|WebSocket|EventSource"""
        r"""|sendBeacon|importScripts|sourceMappingURL""", re.I)
    # The one fetch is the served page's read of its own API: an offline page never calls
    # it (no API in its data) and its policy (default-src 'none') would refuse it anyway.
    assert resource.findall(page) == ["fetch("]
    assert '"api":false' in page and "connect-src" not in page
    assert re.findall(r"url\(\s*(?![\"']?data:)", page) == []
    assert not re.search(r"<(?:link|iframe|object|embed|img|base)\b", page, re.I)
    vendor = scripts(page)[0]
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page))
    assert urls == VENDOR_URL_STRINGS
    outside_vendor = page.replace(vendor, "")
    assert re.findall(r"https?://", outside_vendor) == []


def test_the_policy_runs_only_the_page_own_scripts() -> None:
    page = render_network_page(sample_network(30), masked=False)
    policy = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                                     page).group(1))
    assert "default-src 'none'" in policy and "connect-src" not in policy
    allowed = set(re.findall(r"'sha256-([^']+)'", policy))
    hashes = {base64.b64encode(hashlib.sha256(s.encode()).digest()).decode()
              for s in scripts(page)}
    assert allowed == hashes and len(hashes) == 2


def test_nodes_are_styled_by_role_and_kind_and_sized_by_score() -> None:
    data = page_data(render_network_page(hostile_network(), masked=False))
    nodes = {node["id"]: node for node in data["nodes"]}
    technician, agent, patient = nodes["m0"], nodes["m1"], nodes["m2"]
    assert technician["shape"] == "triangle" and agent["shape"] == "hexagon"
    assert patient["shape"] == "dot" and nodes["m3"]["shape"] == "diamond"
    assert technician["color"]["background"] != agent["color"]["background"]
    assert technician["size"] > agent["size"] > patient["size"]
    assert technician["y"] < agent["y"] < patient["y"]
    edge_labels = {edge["label"] for edge in data["edges"]}
    assert {"<b>paid</b>", "booked_for", "contact"} <= edge_labels
    assert data["options"]["physics"]["enabled"] is False


def test_physics_is_an_option_that_settles_and_stops() -> None:
    data = page_data(render_network_page(sample_network(60), masked=False, physics=True))
    assert data["physics"] is True
    assert data["options"]["physics"]["enabled"] is True
    assert data["options"]["physics"]["stabilization"]["iterations"] <= 300


def test_a_large_network_collapses_patients_under_their_agents() -> None:
    net = sample_network(2000, actors=False)
    page = render_network_page(net, masked=False, lang="en")
    data = page_data(page)
    shown = [node for node in data["nodes"] if not node.get("hidden")]
    assert len(shown) <= 400
    assert len(data["nodes"]) > 2000  # every member travels with the page, to be opened
    group_nodes = [node for node in shown if node["id"] in data["groups"]]
    assert group_nodes and all(node["label"].startswith("+ ") for node in group_nodes)
    group = data["groups"][group_nodes[0]["id"]]
    assert group["collapsible"] and len(group["offsets"]) == len(group["members"])
    assert "Click a group to open it" in page


def test_a_network_too_wide_even_collapsed_is_capped_with_a_notice() -> None:
    members = [Member(kind="account", key=f"acct-{i}", role="second_level", score=i / 1000)
               for i in range(1000)]
    net = Network(id="wide", risk=0.5, size=1000, members=members)
    page = render_network_page(net, masked=False, max_nodes=400, lang="en")
    data = page_data(page)
    assert len(data["nodes"]) == 400
    kept = {node["label"] for node in data["nodes"]}
    assert "acct-999" in kept and "acct-0" not in kept  # the highest scores stay
    assert "600 of 1000 members are not drawn" in page


def test_small_networks_are_drawn_whole() -> None:
    data = page_data(render_network_page(sample_network(120, actors=False), masked=False))
    assert data["chart"] is None
    assert not any(node.get("hidden") for node in data["nodes"])
    assert all(not group["collapsible"] for group in data["groups"].values())


def test_max_nodes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_nodes"):
        render_network_page(sample_network(20), masked=False, max_nodes=0)


def _chart_nodes(data: dict) -> dict:
    return {n["id"]: n for n in data["nodes"] if n["id"] in data["chart"]["actors"]
            or n["id"] in data["chart"]["blocks"]}


def test_a_network_with_actors_opens_on_its_org_chart_in_chinese() -> None:
    net = sample_network(600)
    page = render_network_page(net, masked=True)
    data = page_data(page)
    chart = data["chart"]
    assert len(chart["actors"]) == len(net.actors)
    boxes = _chart_nodes(data)
    labels = [n["label"] for n in boxes.values()]
    assert any(label.startswith("技术人员\n") for label in labels)
    assert any(label.startswith("+ ") and label.endswith("名患者") for label in labels)
    opening = [i for i, a in chart["actors"].items() if a["block"] is None]
    opening += [b for b, blk in chart["blocks"].items()
                if blk["parent"] is None or chart["actors"][blk["parent"]]["block"] is None]
    assert len(opening) <= 20
    # each person knows the identifiers it opens into, and when it was first seen
    first = chart["actors"]["a1"]
    assert first["role"] == "first_level" and first["members"] and first["first"] > 0
    assert all(m in data["members"] for m in first["members"])
    assert '<html lang="zh-CN">' in page and "UTC+8" in page
    english = render_network_page(net, masked=True, lang="en")
    assert '<html lang="en">' in english and "Technician\n" in english.replace("\\n", "\n")
    with pytest.raises(ValueError, match="unknown language"):
        render_network_page(net, masked=True, lang="fr")


def test_actors_first_and_last_seen_come_from_stored_evidence() -> None:
    net = sample_network(60)
    net.actors[0].evidence = {"bookings": 3, "first_seen": "2026-03-02T10:00:00+00:00",
                              "last_seen": "2026-03-02T11:30:00+00:00"}
    data = page_data(render_network_page(net, masked=False))
    actor = data["chart"]["actors"]["a0"]
    assert actor["first"] == 1772445600000 and actor["last"] == 1772451000000
    facts = dict(map(tuple, data["info"]["a0"]["facts"]))
    assert facts["首次出现"] == "2026-03-02 18:00 UTC+8"
    assert not any(k in ("first_seen", "last_seen") for k, _ in data["info"]["a0"]["evidence"])


def test_links_within_a_tier_say_so_without_empty_counts() -> None:
    from scalpernet.results.models import EntityRef, Link

    net = hostile_network()
    net.links.append(Link(source=EntityRef(kind="ip", key="203.0.113.7"),
                          target=EntityRef(kind="phone", key=PHONE), type="same_tier",
                          weight=0.0, registrations=0))
    data = page_data(render_network_page(net, masked=False, lang="en"))
    edge = next(e for e in data["edges"] if e.get("dashes") is True and e["label"] ==
                "Within the tier")
    assert data["edgeInfo"][edge["id"]] == [["Link", "Within the tier"]]


def test_a_served_page_links_back_signs_out_and_may_read_its_api() -> None:
    from scalpernet.entities import uid
    from scalpernet.views import Served

    net = hostile_network()
    refs = {uid(m.kind, m.key): f"ref_{i}" for i, m in enumerate(net.members)}
    page = render_network_page(net, masked=True, served=Served(refs=refs))
    policy = html.unescape(re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"',
                                     page).group(1))
    assert "connect-src 'self'" in policy and "form-action 'self'" in policy
    assert '<a href="/ui/networks?lang=zh-CN">' in page and 'action="/ui/logout"' in page
    data = page_data(page)
    assert data["api"] is True and data["members"]["m0"]["ref"] == "ref_0"
    assert ID_NUMBER not in page


def test_risk_is_cut_not_rounded_and_times_carry_their_zone() -> None:
    net = Network(id="n", risk=0.9991, size=1, hospitals=["H1"],
                  first_seen=datetime(2026, 3, 2, 10, 0, tzinfo=UTC))
    page = render_overview_page([net], masked=False)
    assert "0.9991" in page and "1.00" not in page
    assert "2026-03-02 18:00:00 +08:00" in page
    assert "0.9999<" in render_overview_page([Network(id="m", risk=0.99999, size=1)],
                                             masked=False)  # cut, never rounded to 1


def test_an_odd_actor_or_a_parent_that_is_not_stored_leaves_the_chart_drawable() -> None:
    net = sample_network(80)
    net.actors[3] = net.actors[3].model_copy(update={"role": "none"})
    net.actors[4] = net.actors[4].model_copy(update={"parent": "no-such-actor"})
    data = page_data(render_network_page(net, masked=True))
    assert "a3" not in data["chart"]["actors"]
    assert "a4" in data["chart"]["actors"]
    ends = {e["from"] for e in data["edges"]} | {e["to"] for e in data["edges"]}
    assert "a3" not in ends
