"""Network and overview pages: escaped, masked for analysts, and complete without a network."""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re

import pytest

from scalpernet.results.models import Member, Network
from scalpernet.views import render_network_page
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
    page = render_network_page(hostile_network(), masked=False)
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
    page = render_network_page(hostile_network(), masked=True)
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
    assert resource.findall(page) == []
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
    net = sample_network(2000)
    page = render_network_page(net, masked=False)
    data = page_data(page)
    shown = [node for node in data["nodes"] if not node.get("hidden")]
    assert len(shown) <= 400
    assert len(data["nodes"]) > 2000  # every member travels with the page, to be opened
    group_nodes = [node for node in shown if node["id"] in data["groups"]]
    assert group_nodes and all(node["label"].startswith("+ ") for node in group_nodes)
    group = data["groups"][group_nodes[0]["id"]]
    assert group["collapsible"] and len(group["offsets"]) == len(group["members"])
    assert "Click a group to show its members" in page


def test_a_network_too_wide_even_collapsed_is_capped_with_a_notice() -> None:
    members = [Member(kind="account", key=f"acct-{i}", role="second_level", score=i / 1000)
               for i in range(1000)]
    net = Network(id="wide", risk=0.5, size=1000, members=members)
    page = render_network_page(net, masked=False, max_nodes=400)
    data = page_data(page)
    assert len(data["nodes"]) == 400
    kept = {node["label"] for node in data["nodes"]}
    assert "acct-999" in kept and "acct-0" not in kept  # the highest scores stay
    assert "600 of 1000 members are not drawn" in page


def test_small_networks_are_drawn_whole() -> None:
    data = page_data(render_network_page(sample_network(120), masked=False))
    assert not any(node.get("hidden") for node in data["nodes"])
    assert all(not group["collapsible"] for group in data["groups"].values())


def test_max_nodes_must_be_positive() -> None:
    with pytest.raises(ValueError, match="max_nodes"):
        render_network_page(sample_network(20), masked=False, max_nodes=0)
