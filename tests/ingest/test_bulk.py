"""The bulk load builds the graph the transactional path builds, from the same messy input.

Runs on a server of its own (its own data folder and port), since a bulk load stops and
restarts the server it loads.
"""

from __future__ import annotations

import socket
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pytest

from scalpernet.config import get_settings
from scalpernet.graph import get_graph, session
from scalpernet.graph.schema import ensure_schema, reset_graph
from scalpernet.graph.session import close_graph
from scalpernet.ingest import bulk
from scalpernet.ingest.bulk import BulkError, bulk_load
from scalpernet.ingest.pipeline import ingest_paths
from scalpernet.ingest.validate import iter_batches, validate_paths
from scalpernet.localserver import LocalServer
from scalpernet.records import FIELDS

from .exports import id_number
from .test_dry_run import CHINESE, cells, csv_line

pytestmark = pytest.mark.server


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _server_of_its_own(data_dir: Path, *, start: bool) -> Iterator[LocalServer]:
    """A local server of its own (started or not); the suite's server, and the driver the
    other tests hold, are left alone (a bulk load closes the process's driver to restart
    its server)."""
    mp = pytest.MonkeyPatch()
    suite_graph = session._graph
    session._graph = None
    mp.setenv("SCALPERNET_DATA_DIR", str(data_dir))
    mp.setenv("SCALPERNET_BOLT_PORT", str(_free_port()))
    mp.delenv("NEO4J_URI", raising=False)
    get_settings.cache_clear()
    server = LocalServer(get_settings())
    if start:
        server.start()
    try:
        yield server
    finally:
        close_graph()
        server.stop()
        mp.undo()
        get_settings.cache_clear()
        session._graph = suite_graph


@pytest.fixture(scope="module")
def own_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalServer]:
    """A second local server, started."""
    with _server_of_its_own(tmp_path_factory.mktemp("bulk-server"), start=True) as server:
        yield server


def _tie(reg: str, scratch: Path) -> tuple[list[str], list[str]]:
    """Two versions of one booking with the same times (the same last event), each naming
    entities no other row names: (the greater version, the lesser one)."""
    def version(tag: str, n: int) -> list[str]:
        return cells(reg, patient_name=f"赵{tag}", id_number=id_number(900 + n),
                     phone=f"1361113{n:04d}", visit_card=f"card-{reg}-{tag}",
                     account_id=f"A-{reg}-{tag}", device_id=f"DEV-{reg}-{tag}",
                     ip=f"61.{n}.1.1", payer_account=f"pay-{reg}-{tag}")

    base = 2 * int(reg[1:])
    versions = [version("x", base), version("y", base + 1)]
    probes = [scratch / f"{reg}-probe-{i}.csv" for i in range(2)]  # one file: a conflict
    for probe, one in zip(probes, versions, strict=True):
        probe.write_text(f"{csv_line(list(FIELDS))}\n{csv_line(one)}\n", encoding="utf-8")
    hashes = [h for b in iter_batches(probes) for h in b.rows.column("content_hash").to_pylist()]
    for probe in probes:
        probe.unlink()
    greater, lesser = sorted(zip(hashes, versions, strict=True), reverse=True)
    return greater[1], lesser[1]


def messy(folder: Path) -> list[Path]:
    """Every entity kind, GB18030 with Chinese headers, duplicates, a conflict, quarantined
    rows, a later export of a booking in another file, two versions of a booking with the
    same last event (either one read first), JSON Lines."""
    folder.mkdir()
    # T1's lesser version comes second: nothing of it is written (its entities neither);
    # T2's comes first: written at its turn, as an older version is, then replaced
    t1_greater, t1_lesser = _tie("T1", folder.parent)
    t2_greater, t2_lesser = _tie("T2", folder.parent)
    agent = {"escort_agent_id": "E7", "escort_agent_name": "陪诊员甲",
             "escort_agent_phone": "13900139000"}
    first = {**agent, "device_id": "DEV-G1"}
    rows = [cells("G1", **first), cells("G2", department="心内科, 二病区", doctor="张\n医生"),
            cells("G3", patient_name="561", id_number="110105194912310021", **agent),
            cells("G4", booked_at="昨天"), cells("G1", **first),  # bad; exact duplicate
            cells("G5", status="待定", payer_account="pay2"),
            cells("G6", ip="bad ip", escort_agent_id="E7", escort_agent_phone="13900139001"),
            cells("G8", phone="", account_id="", device_id="", ip="", payer_account="",
                  payer_channel="", visit_card=""),
            cells("G9", payer_account="pay9", payer_channel="微信"),
            cells("G9", payer_account="pay9", status="已取消",  # same file: a conflict
                  cancelled_at="2025-02-26 19:00:00"),
            t1_greater, t2_lesser]
    gb = folder / "a.csv"
    gb.write_bytes(("\r\n".join([csv_line(CHINESE), *map(csv_line, rows)]) + "\r\n\r\n")
                   .encode("gb18030"))
    # a newer version (whose earlier one's device stays, as when written in another batch)
    # and an older one (the stored one stays, and nothing of the older one is written)
    later = [cells("G1", status="已取消", cancelled_at="2025-02-27 09:00:00",
                   device_id="DEV-NEW", **agent),
             cells("G3", patient_name="561", id_number="110105194912310021",
                   booked_at="2025-02-20 18:00:00", phone="13700137000",
                   payer_account="pay-old", **agent),
             t1_lesser, t2_greater]
    utf = folder / "b.csv"
    utf.write_text("\n".join([csv_line(list(FIELDS)), *map(csv_line, later)]) + "\n",
                   encoding="utf-8")
    objs = [dict(zip(FIELDS, cells("J1", hospital="H03", device_id="DEV9"), strict=True)),
            dict(zip(FIELDS, cells("J2", id_number=""), strict=True))]
    (folder / "c.jsonl").write_bytes(b"\n".join(map(orjson.dumps, objs)) + b"\n{cut\n")
    return [folder]


_VARYING = {"ingest_run", "ingest_batch"}  # the run's own id, and its batch (transactional)


def _tally(graph: tuple[list[Any], list[Any]]) -> tuple[Counter[str], Counter[str]]:
    """Nodes by label and relationships by type."""
    nodes, links = graph
    return Counter(label for labels, _ in nodes for label in labels), Counter(
        kind for kind, *_ in links)


def dump() -> tuple[list[Any], list[Any]]:
    """Every node and relationship of the model, with every property, in a stable order
    (the run records aside: their ids and times are the run's own)."""
    graph = get_graph()
    nodes = graph.driver.execute_query(
        "MATCH (n) WHERE NOT n:IngestRun AND NOT n:IngestedFile "
        "RETURN labels(n) AS labels, properties(n) AS props", database_=graph.database)[0]
    links = graph.driver.execute_query(
        "MATCH (a)-[r]->(b) WHERE NOT a:IngestRun "
        "RETURN type(r) AS type, a.key AS a, b.key AS b, properties(r) AS props",
        database_=graph.database)[0]

    def plain(props: dict[str, Any]) -> list[tuple[str, str]]:
        return sorted((k, repr(v)) for k, v in props.items() if k not in _VARYING)

    return (sorted((sorted(r["labels"]), plain(r["props"])) for r in nodes),
            sorted((r["type"], r["a"], r["b"], plain(r["props"])) for r in links))


def test_bulk_and_transactional_build_the_same_graph(own_server: LocalServer,
                                                     tmp_path: Path) -> None:
    paths = messy(tmp_path / "exports")
    dry = validate_paths(paths, quarantine_path=tmp_path / "dry.jsonl")
    graph = get_graph()
    ensure_schema(graph)
    reset_graph(graph)
    bulk = bulk_load(get_settings(), paths, quarantine_path=tmp_path / "bulk.jsonl")
    bulk_graph = dump()
    with pytest.raises(BulkError, match="db reset"):
        bulk_load(get_settings(), paths, quarantine_path=tmp_path / "again.jsonl")
    again = ingest_paths(get_graph(), paths, quarantine_path=tmp_path / "skip.jsonl")
    assert len(again.skipped_files) == 3 and again.read == 0  # known by checksum
    more = tmp_path / "more.csv"  # an incremental export on top of the bulk-loaded graph
    more.write_text("\n".join([csv_line(list(FIELDS)), csv_line(cells("N1")),
                               csv_line(cells("G1", status="已取消", cancelled_at=
                                              "2025-02-28 09:00:00"))]) + "\n",
                    encoding="utf-8")
    incremental = ingest_paths(get_graph(), [more], quarantine_path=tmp_path / "more.jsonl")
    assert (incremental.created, incremental.updated) == (1, 1)
    graph = get_graph()
    reset_graph(graph)
    graph.driver.execute_query("MATCH (n) DETACH DELETE n", database_=graph.database)
    tx = ingest_paths(graph, paths, quarantine_path=tmp_path / "tx.jsonl", writers=1)
    tx_graph = dump()
    assert _tally(tx_graph) == _tally(bulk_graph)
    for got, want in zip(tx_graph, bulk_graph, strict=True):
        extra = [x for x in got if x not in want]
        missing = [x for x in want if x not in got]
        assert not extra and not missing, f"transactional only {extra}; bulk only {missing}"
    assert tx_graph == bulk_graph
    nodes, links = bulk_graph
    keys = {dict(props).get("key") for _, props in nodes}
    assert repr("DEV-G1") in keys and repr("DEV-NEW") in keys  # both versions written
    assert repr("pay-old") not in keys and repr("13700137000") not in keys  # older: not
    for reg, written in (("T1", False), ("T2", True)):
        greater, lesser = (dict(zip(FIELDS, v, strict=True)) for v in _tie(reg, tmp_path))
        only = [lesser[name] for name in ("payer_account", "device_id", "account_id", "ip",
                                          "id_number", "phone", "visit_card")]
        found = [any(value in text for _, props in nodes for _, text in props)
                 for value in only]
        assert found == [written] * 6 + [False], (reg, only, found)  # a version's card: its own
        [kept] = [dict(props) for ls, props in nodes if "Registration" in ls
                  and dict(props)["registration_id"] == repr(reg)]
        assert kept["visit_card"] == repr(greater["visit_card"])  # the greater version kept
    labels = {label for ls, _ in nodes for label in ls}
    assert labels >= {"Registration", "Patient", "IDCard", "Phone", "IP", "Payer",
                      "EscortAgent", "Account", "Device", "Entity"}
    assert {t for t, *_ in links} == {"FOR", "HAS_ID", "CONTACT", "FROM_IP", "ON_DEVICE",
                                     "BY_ACCOUNT", "PAID_BY", "VIA_AGENT", "HAS_PHONE"}
    for report in (bulk, tx):
        assert (report.read, report.valid, report.quarantined, report.duplicates,
                report.blank) == (dry.read, dry.valid, dry.quarantined, dry.duplicates,
                                  dry.blank)
        assert report.reasons == dry.reasons and report.flags == dry.flags
        assert report.balanced()
    dry_lines = (tmp_path / "dry.jsonl").read_bytes()
    assert (tmp_path / "bulk.jsonl").read_bytes() == dry_lines
    assert (tmp_path / "tx.jsonl").read_bytes() == dry_lines
    assert dry.reasons["duplicate_conflict"] == 1 and dry.duplicates == 1 and dry.blank == 1


@pytest.fixture()
def stopped_server(tmp_path: Path) -> Iterator[LocalServer]:
    """A local server never started: no database yet, nothing answering on its port."""
    with _server_of_its_own(tmp_path / "never-started", start=False) as server:
        yield server


def test_a_killed_bulk_load_is_refused_until_rerun(stopped_server: LocalServer,
                                                   tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    paths = messy(tmp_path / "exports")
    dry = validate_paths(paths, quarantine_path=tmp_path / "dry.jsonl")
    assert stopped_server.pid() is None

    def killed(*args: Any) -> None:
        raise KeyboardInterrupt  # as a kill during the import would stop it

    monkeypatch.setattr(bulk, "_run_importer", killed)
    with pytest.raises(KeyboardInterrupt):
        bulk_load(get_settings(), paths, quarantine_path=tmp_path / "first.jsonl")
    run_id = bulk.unfinished(get_settings())
    assert run_id is not None and stopped_server.pid() is None
    with pytest.raises(BulkError, match="did not finish") as refused:
        ingest_paths(get_graph(verify=False), paths, quarantine_path=tmp_path / "plain.jsonl")
    assert "\n" not in str(refused.value) and "--bulk" in str(refused.value)
    assert "db reset" in str(refused.value)
    monkeypatch.undo()
    report = bulk_load(get_settings(), paths, quarantine_path=tmp_path / "rerun.jsonl")
    assert (report.run_id, report.status) == (run_id, "complete")
    assert bulk.unfinished(get_settings()) is None
    assert (report.read, report.valid, report.quarantined, report.duplicates) == (
        dry.read, dry.valid, dry.quarantined, dry.duplicates)
    assert (tmp_path / "rerun.jsonl").read_bytes() == (tmp_path / "dry.jsonl").read_bytes()
    graph = get_graph()
    stored = graph.driver.execute_query(
        "MATCH (r:Registration) RETURN count(r) AS n", database_=graph.database)[0][0]["n"]
    assert stored == report.created > 0
    again = ingest_paths(graph, paths, quarantine_path=tmp_path / "skip.jsonl")
    assert len(again.skipped_files) == 3 and again.read == 0


def test_the_importer_reads_fields_across_lines_only_when_a_value_holds_a_break(
        tmp_path: Path) -> None:
    files = bulk._Files(tmp_path)
    bulk._prepare(files)
    files.write("Registration", pa.table({"key": ["H01|R1"], "doctor": ["张医生"]}), 0)
    assert "--multiline-fields=false" in bulk.importer_args(files, "neo4j")
    files.write("Registration", pa.table({"key": ["H01|R2"], "doctor": ["张\r医生"]}), 1)
    args = bulk.importer_args(files, "neo4j")
    assert "--multiline-fields=true" in args and "--multiline-fields=false" not in args
