"""`scalpernet view NETWORK_ID --out FILE.html` writes the stored network's page."""

from __future__ import annotations

import html
from datetime import UTC, datetime
from pathlib import Path

import pytest

from scalpernet.cli import main
from scalpernet.entities import KIND_LABELS
from scalpernet.graph import Graph
from scalpernet.results.models import AnalysisRun, Network
from scalpernet.results.store import write_results

from .networks import ID_NUMBER, PHONE, XSS, hostile_network


def store(graph: Graph, network: Network) -> None:
    """The members as entity nodes (kind label + :Entity), then the network as results."""
    for kind, label in KIND_LABELS.items():
        keys = [m.key for m in network.members if m.kind == kind]
        if keys:
            graph.driver.execute_query(
                f"UNWIND $keys AS key "
                f"CREATE (:{label}:Entity {{uid: $kind + ':' + key, key: key}})",
                keys=keys, kind=kind, database_=graph.database)
    run = AnalysisRun(id="run-view", started_at=datetime(2026, 3, 3, tzinfo=UTC))
    write_results(graph, run, [network])


def run_cli(*args: str) -> int:
    with pytest.raises(SystemExit) as stopped:
        main(list(args))
    return stopped.value.code


def test_view_writes_a_masked_page_unless_an_allowed_key_asks_otherwise(
        empty_graph: Graph, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from scalpernet.apikeys import create_key

    network = hostile_network()
    store(empty_graph, network)
    out = tmp_path / "network.html"
    assert run_cli("view", network.id, "--out", str(out), "--physics") == 0
    page = out.read_text(encoding="utf-8")
    assert html.escape(f"团伙 {network.id}") in page and XSS not in page
    assert ID_NUMBER not in page and PHONE not in page and "138****5678" in page
    assert '"physics":true' in page
    assert capsys.readouterr().out.endswith("identifiers masked\n")

    full = tmp_path / "full.html"
    assert run_cli("view", network.id, "--out", str(full), "--unmasked") == 1
    assert "needs your API key" in capsys.readouterr().err
    _, analyst = create_key(empty_graph, "analyst", name="a")
    assert run_cli("view", network.id, "--out", str(full), "--unmasked", "--key", analyst) == 1
    assert "the analyst role may not see" in capsys.readouterr().err
    assert not full.exists()
    _, investigator = create_key(empty_graph, "investigator", name="i")
    assert run_cli("view", network.id, "--out", str(full), "--unmasked", "--key",
                   investigator, "--lang", "en") == 0
    page = full.read_text(encoding="utf-8")
    assert ID_NUMBER in page and html.escape(f"Network {network.id}") in page


def test_an_unknown_network_is_one_line_and_no_file(empty_graph: Graph, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "missing.html"
    assert run_cli("view", "no-such-network", "--out", str(out)) == 1
    err = capsys.readouterr().err
    assert err == ("error: no network 'no-such-network' in the current results "
                   "(see scalpernet networks)\n")
    assert not out.exists()


def test_an_unwritable_file_is_one_line(empty_graph: Graph, tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    network = hostile_network()
    store(empty_graph, network)
    out = tmp_path / "no-such-folder" / "page.html"
    assert run_cli("view", network.id, "--out", str(out)) == 1
    assert capsys.readouterr().err.startswith(f"error: cannot write {out}: ")
