"""The schema applies idempotently and covers every entity kind of the contract."""

from __future__ import annotations

from scalpernet.graph import Graph
from scalpernet.graph.queries import CYPHER_DIR, load_query, load_statements
from scalpernet.graph.schema import _applied, ensure_schema, reset_graph

ENTITY_LABELS = ["Registration", "Patient", "IDCard", "Phone", "IP", "Payer", "EscortAgent",
                 "Account", "Device"]


def test_schema_is_idempotent_and_complete(graph: Graph) -> None:
    _applied.clear()
    first = ensure_schema(graph)
    _applied.clear()
    second = ensure_schema(graph)  # re-applying changes nothing and does not fail
    assert first == second == len(load_statements("schema"))
    names = set(graph.read("schema_objects")[0]["names"])
    for label in ENTITY_LABELS:
        assert any(label.lower().replace("escortagent", "escort_agent") in n for n in names), label
    # indexes no query reads are dropped: each one costs every booking ingested; the
    # analysis window reads bookings by time
    assert not names & {"registration_hospital", "registration_registration_id"}
    assert "registration_booked_at" in names
    assert "registration_ingest_run" in names  # the nightly pass's read of what is new


def test_uniqueness_is_enforced(empty_graph: Graph) -> None:
    import neo4j.exceptions
    import pytest

    driver = empty_graph.driver
    driver.execute_query("CREATE (:Payer {key: $k})", k="p1", database_=empty_graph.database)
    with pytest.raises(neo4j.exceptions.ConstraintError):
        driver.execute_query("CREATE (:Payer {key: $k})", k="p1", database_=empty_graph.database)


def test_reset_empties_in_batches(empty_graph: Graph) -> None:
    empty_graph.driver.execute_query(
        "UNWIND range(1, $n) AS i CREATE (:Probe {i: i})-[:NEXT]->(:Probe)",
        n=250, database_=empty_graph.database)
    assert reset_graph(empty_graph, batch=100) == 500
    assert empty_graph.read("ping")[0]["one"] == 1


def test_every_query_file_loads() -> None:
    for path in sorted(CYPHER_DIR.glob("*.cypher")):
        if path.stem == "schema":
            continue
        text = load_query(path.stem)
        assert text.strip(), path.name
