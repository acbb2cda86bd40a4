"""Ingestion runs: exact accounting, idempotent reruns, skip by checksum, recorded runs."""

from __future__ import annotations

from pathlib import Path

import orjson

from scalpernet.graph import Graph
from scalpernet.ingest.pipeline import ingest_paths
from scalpernet.ingest.runs import recent_runs
from tests.ingest.exports import write_export


def _shape(graph: Graph) -> dict[str, int]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (n) WITH labels(n) AS ls, count(*) AS c RETURN ls, c", database_=graph.database)
    nodes = {":".join(sorted(r["ls"])): r["c"] for r in records}
    records, _, _ = graph.driver.execute_query(
        "MATCH ()-[r]->() RETURN type(r) AS t, count(*) AS c", database_=graph.database)
    return {**nodes, **{r["t"]: r["c"] for r in records}}


def _data_shape(graph: Graph) -> dict[str, int]:
    """The graph's shape without the run bookkeeping (which grows with every run)."""
    return {k: v for k, v in _shape(graph).items()
            if k not in ("IngestRun", "IngestedFile", "READ")}


def test_quarantined_rows_are_accounted_exactly(empty_graph: Graph, tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    write_export(export, 1200, bad=3)
    quarantine = tmp_path / "q.jsonl"
    report = ingest_paths(empty_graph, [export], batch_size=500, quarantine_path=quarantine)
    assert (report.read, report.ingested, report.already_present, report.quarantined) == \
        (1203, 1200, 0, 3)
    assert report.reasons == {"bad_datetime:booked_at": 3}
    lines = [orjson.loads(x) for x in quarantine.read_bytes().splitlines()]
    assert [q["line"] for q in lines] == [1202, 1203, 1204]
    assert {q["reason"] for q in lines} == {"bad_datetime:booked_at"}
    assert _shape(empty_graph)["Registration"] == 1200
    run = recent_runs(empty_graph)[0]
    assert run["status"] == "complete" and run["read"] == 1203 and run["quarantined"] == 3
    assert run["files"][0]["status"] == "ingested"


def test_rerun_skips_by_checksum_and_force_changes_nothing(empty_graph: Graph,
                                                           tmp_path: Path) -> None:
    export = tmp_path / "export.csv"
    write_export(export, 800, bad=2)
    ingest_paths(empty_graph, [export], batch_size=300, quarantine_path=tmp_path / "q1")
    before = _data_shape(empty_graph)

    copy = tmp_path / "renamed" / "same-bytes.csv"  # identity is the checksum, not the name
    copy.parent.mkdir()
    copy.write_bytes(export.read_bytes())
    skipped = ingest_paths(empty_graph, [export, copy], quarantine_path=tmp_path / "q2")
    assert skipped.read == 0 and len(skipped.skipped_files) == 2

    forced = ingest_paths(empty_graph, [export], force=True, batch_size=300,
                          quarantine_path=tmp_path / "q3")
    assert (forced.read, forced.ingested, forced.already_present, forced.quarantined) == \
        (802, 0, 800, 2)
    assert _data_shape(empty_graph) == before


def test_two_files_in_a_folder_and_a_repeat_row(empty_graph: Graph, tmp_path: Path) -> None:
    folder = tmp_path / "drop"
    folder.mkdir()
    write_export(folder / "a.csv", 100)
    write_export(folder / "b.csv", 150)  # its first 100 rows repeat a.csv's exactly
    report = ingest_paths(empty_graph, [folder], quarantine_path=tmp_path / "q")
    assert (report.read, report.ingested, report.already_present) == (250, 150, 100)
    assert report.balanced() and _shape(empty_graph)["Registration"] == 150


def test_cli_prints_the_accounting_and_strict_fails_on_quarantine(empty_graph: Graph,
                                                                  tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    export = tmp_path / "export.csv"
    write_export(export, 300, bad=2)

    def cli(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "scalpernet", "ingest", *args],
                              capture_output=True, text=True, env=os.environ.copy(),
                              timeout=300, check=False)

    first = cli(str(export))
    assert first.returncode == 0, first.stderr
    assert "read = ingested + already present + quarantined: 302 = 300 + 0 + 2" in first.stdout
    again = cli(str(export))
    assert "1 skipped (already ingested)" in again.stdout and again.returncode == 0
    strict = cli("--force", "--strict", str(export))
    assert strict.returncode == 2
    assert strict.stderr.strip() == "error: 2 rows quarantined (--strict)"
    missing = cli(str(tmp_path / "nope.csv"))
    assert missing.returncode == 1 and len(missing.stderr.strip().splitlines()) == 1


def test_a_later_export_updates_bookings_in_the_same_run(empty_graph: Graph,
                                                         tmp_path: Path) -> None:
    import csv

    from tests.ingest.exports import HEADER, row

    day1, day2 = tmp_path / "day1.csv", tmp_path / "day2.csv"
    write_export(day1, 10)
    with day2.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        for i in range(10):
            cancelled = row(i)
            cancelled[HEADER.index("status")] = "已取消"
            cancelled[HEADER.index("cancelled_at")] = "2026-03-01 20:00:00"
            out.writerow(cancelled)
    report = ingest_paths(empty_graph, [day1, day2], quarantine_path=tmp_path / "q")
    assert report.quarantined == 0 and report.balanced() and report.ingested == 10
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (r:Registration) RETURN collect(DISTINCT r.status) AS s, count(r) AS n",
        database_=empty_graph.database)
    assert records[0]["s"] == ["cancelled"] and records[0]["n"] == 10
    # the older export arriving later changes nothing
    again = ingest_paths(empty_graph, [day1], force=True, quarantine_path=tmp_path / "q2")
    assert again.already_present == 10 and again.ingested == 0


def _write_rows(path: Path, rows: list[list[str]]) -> None:
    import csv

    from tests.ingest.exports import HEADER

    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(HEADER)
        out.writerows(rows)


def _registrations(graph: Graph) -> dict[str, tuple[str, int]]:
    records, _, _ = graph.driver.execute_query(
        "MATCH (r:Registration) RETURN r.key AS key, r.status AS status, "
        "COUNT { (r)-->() } AS links", database_=graph.database)
    return {r["key"]: (r["status"], r["links"]) for r in records}


def test_concurrent_writers_store_exactly_what_one_writer_stores(empty_graph: Graph,
                                                                  tmp_path: Path) -> None:
    """Repeats and updates of one booking race each other in concurrent transactions.

    Small files, one batch each: a booking, its cancelled re-export and the old export
    again sit in consecutive batches, so they are written at the same time.
    """
    from scalpernet.graph.schema import reset_graph
    from tests.ingest.exports import HEADER, row

    files = []
    for block in range(12):
        booked = [row(block * 7 + i) for i in range(7)]
        cancelled = []
        for original in booked:
            changed = list(original)
            changed[HEADER.index("status")] = "已取消"
            changed[HEADER.index("cancelled_at")] = "2026-03-01 20:00:00"
            cancelled.append(changed)
        for suffix, rows in (("a", booked), ("b", cancelled), ("c", booked[::-1])):
            files.append(tmp_path / f"{block:02d}-{suffix}.csv")
            _write_rows(files[-1], rows)

    one = ingest_paths(empty_graph, files, batch_size=7, writers=1,
                       quarantine_path=tmp_path / "q1")
    shape, stored = _data_shape(empty_graph), _registrations(empty_graph)
    reset_graph(empty_graph)
    many = ingest_paths(empty_graph, files, batch_size=7, writers=4,
                        quarantine_path=tmp_path / "q2")

    assert one.read == many.read == 252 and one.balanced() and many.balanced()
    assert _data_shape(empty_graph) == shape
    assert _registrations(empty_graph) == stored
    assert {status for status, _ in stored.values()} == {"cancelled"}
    records, _, _ = empty_graph.driver.execute_query(
        "MATCH (r:Registration)-[l]->(e) WITH r, type(l) AS t, e, count(*) AS c "
        "WHERE c > 1 RETURN count(*) AS doubled", database_=empty_graph.database)
    assert records[0]["doubled"] == 0
