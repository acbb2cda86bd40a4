"""Apply the schema (constraints and indexes) idempotently before anything writes."""

from __future__ import annotations

from scalpernet.graph.session import Graph

_applied: set[int] = set()


def ensure_schema(graph: Graph) -> int:
    """Create every constraint and index in ``cypher/schema.cypher`` that is missing.

    Runs once per driver per process; returns how many statements were applied.
    """
    if id(graph) in _applied:
        return 0
    count = graph.apply_script("schema")
    graph.read("await_indexes")
    _applied.add(id(graph))
    return count


def reset_graph(graph: Graph, *, batch: int = 10_000) -> int:
    """Delete every node and relationship in batches; returns the node count deleted."""
    total = 0
    while True:
        deleted = graph.write("reset_batch", limit=batch)[0]["deleted"]
        total += deleted
        if deleted < batch:
            return total
