"""Exports against the real Neo4j: each file parses back, holds what the network holds,
is masked for analysts and audited, and no cell can run as a spreadsheet formula."""

from __future__ import annotations

import csv
import io

import networkx as nx
import openpyxl

from scalpernet.export.tables import to_csv, to_xlsx
from tests.api.conftest import P2, Api

RAW = ("510107199013011234", "11010519491231002X", "17012345678", "13900002222")


def test_members_csv_and_xlsx_parse_back_full_for_investigators(api: Api) -> None:
    answer = api.get("/networks/n-gang/export/members", params={"format": "csv",
                                                                 "lang": "en"})
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/csv")
    assert 'filename="n-gang-members.csv"' in answer.headers["content-disposition"]
    assert answer.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8-sig"))))
    assert len(rows) == 9
    by_key = {r["key"]: r for r in rows}
    assert by_key[P2]["role"] == "patient" and by_key[P2]["role name"] == "Patient"
    assert by_key["203.0.113.7"]["score"] == "0.99"
    assert by_key["203.0.113.7"]["evidence registrations"].split() == [
        "H1|R1", "H1|R2", "H1|R3", "H2|R4", "H2|R5", "H2|R6"]

    xlsx = api.get("/networks/n-gang/export/members", params={"format": "xlsx"})
    assert xlsx.status_code == 200
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    values = list(sheet.values)
    assert values[0][:4] == ("类型", "标识", "引用", "角色")
    assert len(values) == 10
    assert ("技术人员" in {row[4] for row in values[1:]})


def test_registrations_carry_their_source_and_are_masked_for_analysts(api: Api) -> None:
    answer = api.get("/networks/n-gang/export/registrations",
                     params={"format": "xlsx", "lang": "en"}, role="analyst")
    assert answer.status_code == 200, answer.text
    sheet = openpyxl.load_workbook(io.BytesIO(answer.content)).active
    header, *rows = list(sheet.values)
    records = [dict(zip(header, row, strict=True)) for row in rows]
    assert [r["registration_id"] for r in records] == ["R1", "R2", "R3", "R4", "R5", "R6"]
    assert {(r["source_file"], r["source_line"]) for r in records} == {("export-h.csv", 2)}
    assert {r["payer_account"] for r in records} == {"alipay-8812"}
    assert records[0]["latency_ms"] == 21 and records[0]["fee_yuan"] == "300.00"
    text = " ".join(str(v) for r in records for v in r.values())
    assert not any(raw in text for raw in RAW)
    assert "VCR19876" not in text  # visit cards masked too
    audit = api.last_audit()
    assert audit["route"] == "/networks/{network_id}/export/{table}"
    assert audit["role"] == "analyst" and "payer:alipay-8812" in audit["entities"]
    assert not any(raw in " ".join(audit["entities"]) for raw in RAW)

    full = api.get("/networks/n-gang/export/registrations", params={"lang": "en"})
    rows = list(csv.DictReader(io.StringIO(full.content.decode("utf-8-sig"))))
    assert rows[0]["patient"] == "11010519491231002X|张三"
    assert rows[0]["phone"] == "17012345678"
    # the honest bookings behind the Wi-Fi (R7-R9) are not the gang's
    assert api.get("/networks/n-wifi/export/registrations").content.count(b"\r\n") == 1


def test_graph_exports_parse_back_with_networkx(api: Api) -> None:
    answer = api.get("/networks/n-gang/export/graph", params={"format": "graphml"})
    assert answer.status_code == 200
    graph = nx.read_graphml(io.BytesIO(answer.content))
    assert graph.number_of_nodes() == 9 and graph.number_of_edges() == 5
    assert graph.nodes["ip:203.0.113.7"]["role"] == "technician"
    assert graph.nodes["ip:203.0.113.7"]["role_name"] == "技术人员"
    assert graph.edges["ip:203.0.113.7", "payer:alipay-8812"]["registrations"] == 6

    masked = api.get("/networks/n-gang/export/graph", params={"format": "gexf"},
                     role="analyst")
    assert masked.status_code == 200
    assert not any(raw.encode() in masked.content for raw in RAW)
    graph = nx.read_gexf(io.BytesIO(masked.content))
    assert graph.number_of_nodes() == 9 and graph.number_of_edges() == 5
    assert all(node.startswith("ref_") for node in graph.nodes)
    assert api.get("/networks/n-none/export/graph").status_code == 404
    assert api.get("/networks/n-gang/export/members", role="ingest").status_code == 403


def test_no_cell_runs_as_a_formula() -> None:
    hostile = (["name"], [["=HYPERLINK(\"http://x\",\"open\")"], ["+1-2"], ["@SUM(A1)"],
                          ["ok\x07bell"]])
    rows = list(csv.reader(io.StringIO(to_csv(hostile).decode("utf-8-sig"))))
    assert [r[0][0] for r in rows[1:4]] == ["'", "'", "'"]
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx(hostile, "t"))).active
    cells = [row[0] for row in sheet.iter_rows(min_row=2)]
    assert [c.data_type for c in cells] == ["s", "s", "s", "s"]
    assert cells[0].value.startswith("=HYPERLINK")
    assert cells[3].value == "ok\ufffdbell"
