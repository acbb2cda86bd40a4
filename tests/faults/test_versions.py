"""Finding 5: two versions of a booking with the same latest event are decided by one total
order (:func:`~scalpernet.ingest.versions.version_key`), never by which file is read or
which transaction commits first: the same version is kept in either order, in one run or
two, by the transactional writer and by the bulk load."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest

from scalpernet.config import get_settings
from scalpernet.graph import Graph, get_graph
from scalpernet.graph.schema import reset_graph
from scalpernet.ingest.bulk import bulk_load
from scalpernet.ingest.ledger import LATER, NEW
from scalpernet.ingest.pipeline import ingest_paths, new_run_id
from scalpernet.ingest.validate import iter_batches
from scalpernet.ingest.versions import version_key
from scalpernet.ingest.writer import cypher_rows, write_batch
from scalpernet.localserver import LocalServer
from tests.ingest.exports import HEADER, row
from tests.ingest.test_bulk import _server_of_its_own, dump


def _versions(folder: Path, column: str = "doctor") -> tuple[Path, Path]:
    """One booking exported twice with the same times and other content (another doctor,
    or another value of ``column``)."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, value in (("a.csv", "D-first"), ("b.csv", "D-second")):
        cells = row(1, "V")
        cells[HEADER.index(column)] = value
        path = folder / name
        with path.open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([HEADER, cells])
        paths.append(path)
    return paths[0], paths[1]


def _kept(graph: Graph) -> tuple[str, str]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (r:Registration) RETURN r.doctor AS doctor, r.content_hash AS hash",
        database_=graph.database)
    [record] = records
    return record["doctor"], record["hash"]


def test_the_order_of_versions_is_total() -> None:
    event = "2026-03-01T18:00:01.001000+08:00"
    assert version_key(event, "b") > version_key(event, "a")
    assert version_key("2026-03-01T18:00:02.000000+08:00", "a") > version_key(event, "b")
    assert version_key(event, "a") > version_key(None, "z") > version_key(None, "a")


def test_the_same_version_is_kept_whatever_the_order(empty_graph: Graph,
                                                     tmp_path: Path) -> None:
    a, b = _versions(tmp_path / "exports")
    kept = []
    for order in ([a, b], [b, a]):  # one run, the files in either order
        reset_graph(empty_graph)
        report = ingest_paths(empty_graph, order, quarantine_path=tmp_path / "q.jsonl")
        assert report.ingested == 1 and report.quarantined == 0
        kept.append(_kept(empty_graph))
    hashes = []
    for first, second in ((a, b), (b, a)):  # two runs, either one first
        reset_graph(empty_graph)
        ingest_paths(empty_graph, [first], quarantine_path=tmp_path / "q.jsonl")
        hashes.append(_kept(empty_graph)[1])
        ingest_paths(empty_graph, [second], quarantine_path=tmp_path / "q.jsonl")
        kept.append(_kept(empty_graph))
    assert len(set(hashes)) == 2 and len(set(kept)) == 1
    assert kept[0][1] == max(hashes)  # of equal last events, the greater content hash


def test_the_order_a_runs_batches_commit_in_changes_nothing(empty_graph: Graph,
                                                            tmp_path: Path) -> None:
    """A run's batch holding a booking's lesser version, read first, and one holding its
    greater version (the same last event, another device): whichever commits first, the
    lesser version's device is written (as the bulk load writes it) and the greater kept."""
    a, b = _versions(tmp_path / "exports", column="device_id")
    for order in ([a, b], [b, a]):
        batches = [batch for batch in iter_batches(order) if batch.rows.num_rows]
        if [int(v) for batch in batches for v in batch.verdict] == [NEW, LATER]:
            break
    else:
        raise AssertionError("one of the two orders reads the lesser version first")
    run_id = new_run_id()
    first, second = (cypher_rows(batch.rows, run_id) for batch in batches)
    graphs = []
    for commits in ([(1, first), (2, second)], [(2, second), (1, first)]):
        reset_graph(empty_graph)
        for batch_no, rows in commits:
            write_batch(empty_graph, rows, run_id, batch_no)
        graphs.append(dump())
    assert graphs[0] == graphs[1]
    devices = {dict(props)["key"] for labels, props in graphs[0][0] if "Device" in labels}
    assert devices == {repr("D-first"), repr("D-second")}
    [kept] = [dict(props) for labels, props in graphs[0][0] if "Registration" in labels]
    assert kept["content_hash"] == repr(second[0]["content_hash"])


@pytest.fixture()
def stopped_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A server of its own, not started (a bulk load starts and restarts it)."""
    with _server_of_its_own(tmp_path / "bulk-server", start=False) as server:
        yield server


@pytest.mark.server
def test_the_bulk_load_keeps_the_same_version(stopped_server: LocalServer,
                                              tmp_path: Path) -> None:
    a, b = _versions(tmp_path / "exports")
    kept = []
    for order in ([a, b], [b, a]):
        if kept:
            reset_graph(get_graph())
        report = bulk_load(get_settings(), order, quarantine_path=tmp_path / "q.jsonl")
        assert report.ingested == 1
        kept.append(_kept(get_graph()))
    reset_graph(get_graph())
    ingest_paths(get_graph(), [a, b], quarantine_path=tmp_path / "q.jsonl")
    assert kept[0] == kept[1] == _kept(get_graph())
