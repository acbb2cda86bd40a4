"""The overview page served from the real Neo4j: filters and sorting as an analyst uses
them (hospital, since, until, min_risk), and a bad filter named on the page."""

from __future__ import annotations

import html
import io
import re

import networkx as nx
import openpyxl
from fastapi.testclient import TestClient

from tests.api.conftest import Api


def signed_in(api: Api, role: str = "analyst") -> TestClient:
    client = api.client
    client.cookies.clear()
    answer = client.post("/ui/login", data={"key": api.keys[role]}, follow_redirects=False)
    assert answer.status_code == 303, answer.text
    return client


def order(html: str) -> list[str]:
    return re.findall(r'<td class="id"><a href="/ui/networks/([^"/?]+)\?lang=[^"]*">', html)


def test_filters_and_sorting(api: Api) -> None:
    client = signed_in(api)
    page = client.get("/ui/networks")
    assert page.status_code == 200
    assert order(page.text) == ["n-gang", "n-wifi"]
    assert "0.9500" in page.text and "+08:00" in page.text
    assert '<option value="H2">' in page.text
    assert '<form method="post" action="/ui/logout">' in page.text  # sign-out
    assert order(client.get("/ui/networks", params={"sort": "size", "order": "asc"}).text) \
        == ["n-wifi", "n-gang"]
    assert order(client.get("/ui/networks", params={"hospital": "H2"}).text) == ["n-gang"]
    assert order(client.get("/ui/networks", params={"min_risk": "0.5"}).text) == ["n-gang"]
    # n-wifi is seen until 4 March; n-gang only on 2 March (times without zone are +08:00)
    assert order(client.get("/ui/networks", params={"since": "2026-03-03T00:00"}).text) \
        == ["n-wifi"]
    assert order(client.get("/ui/networks", params={"until": "2026-03-02T18:00:01"}).text) \
        == ["n-gang"]
    bad = client.get("/ui/networks", params={"since": "yesterday", "hospital": "H2"})
    assert bad.status_code == 400
    assert "since: give a date" in bad.text and order(bad.text) == ["n-gang"]
    english = client.get("/ui/networks", params={"lang": "en"})
    assert "Networks by risk" in english.text
    audit = api.last_audit()
    assert (audit["route"], audit["role"], audit["params"]["lang"]) == (
        "/ui/networks", "analyst", "en")
    client.cookies.clear()


def test_report_and_files_open_from_the_overview(api: Api) -> None:
    client = signed_in(api)
    page = client.get("/ui/networks").text
    links = re.findall(r'href="(/ui/networks/n-gang/[^"]+)"', page)
    assert [html.unescape(link).split("?")[0] for link in links] == [
        "/ui/networks/n-gang/report", "/ui/networks/n-gang/report",
        "/ui/networks/n-gang/export/registrations", "/ui/networks/n-gang/export/members",
        "/ui/networks/n-gang/export/graph"]
    report = client.get(html.unescape(links[0]))
    assert report.status_code == 200 and "案件报告" in report.text
    assert "510107199013011234" not in report.text  # the analyst's masks hold
    xlsx = client.get(html.unescape(links[2]))
    assert xlsx.status_code == 200
    rows = list(openpyxl.load_workbook(io.BytesIO(xlsx.content)).active.values)
    assert len(rows) == 7  # header and R1..R6
    graph = client.get(html.unescape(links[4]))
    assert nx.read_graphml(io.BytesIO(graph.content)).number_of_nodes() == 9
    audit = api.last_audit()
    assert (audit["route"], audit["role"]) == ("/ui/networks/{network_id}/export/graph",
                                              "analyst")
    client.cookies.clear()
    away = client.get("/ui/networks/n-gang/report", follow_redirects=False)
    assert away.status_code == 303 and away.headers["location"] == "/ui/login"
