"""Write validated registrations to Neo4j: batched, idempotent, two transactions per batch.

Per batch, in two managed transactions, each of which first looks up which registrations
are stored already and with which content hash (so a retry after a lost connection
re-decides everything and can never duplicate):

1. a registration stored with the same hash is *already present* and skipped; one stored
   with another hash is *updated* when the row is the later version
   (:func:`~scalpernet.ingest.versions.version_key`; the stored node and its links are
   replaced), else kept as stored and counted already present;
2. the first transaction MERGEs the entity nodes of the rows to write, once per distinct key
   (deduplicated in Python first);
3. the second decides again and CREATEs the registrations and their links.

Several batches may be written at once (see ``pipeline``). That stays safe because
registrations are created, never merged: if another transaction stored the same booking
in the meantime, the uniqueness constraint fails this one, and its retry reads the booking
as present. Nor do the entities written depend on which of a run's batches commits first:
a version the same run stored is not what decides (the run's ledger did, in the order the
rows were read). Entity rows go to Neo4j sorted by key, so concurrent batches lock shared
entities in the same order, and an entity that is already complete is only read, not
written, so hub nodes (a carrier NAT address, a gang's payer) are not write-locked.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import neo4j
import pyarrow as pa

from scalpernet.graph import Graph, load_query
from scalpernet.ingest.entities import SOURCES, entity_tables
from scalpernet.ingest.rows import ROW_SCHEMA, iso
from scalpernet.ingest.versions import version_key
from scalpernet.records import CST

#: Row columns sent as datetimes (ISO text: the driver packs aware datetimes ~15x slower).
TIME_COLUMNS = ("slot_time", "released_at", "booked_at", "paid_at", "cancelled_at",
                "last_event")
Row = dict[str, Any]
#: What ``ingest_registrations`` reads of a row.
_REGISTRATION = (
    "key", "patient", "phone", "ip", "device", "account", "payer", "agent", "registration_id",
    "hospital", "department", "doctor", *TIME_COLUMNS, "latency_ms", "status", "fee_yuan",
    "visit_card", "payer_channel", "ip_raw", "extra", "flags", "content_hash", "source_file",
    "source_line", "ingest_run")


@dataclass(slots=True)
class BatchResult:
    """What one batch did: every row is exactly one of these."""

    created: int = 0
    updated: int = 0
    already_present: int = 0

    @property
    def ingested(self) -> int:
        return self.created + self.updated


def cypher_rows(table: pa.Table, run_id: str) -> list[Row]:
    """Valid rows (:data:`~scalpernet.ingest.rows.ROW_SCHEMA`) as query parameters:
    datetimes as fixed-width ISO text in +08:00, which also orders as the times do."""
    columns = {name: table.column(name).combine_chunks() for name in table.column_names}
    data: dict[str, list[Any]] = {
        name: (iso(column) if name in TIME_COLUMNS else column).to_pylist()
        for name, column in columns.items()}
    names = list(data)
    rows = [dict(zip(names, values, strict=True)) for values in zip(*data.values(), strict=True)]
    for row in rows:
        row["ingest_run"] = run_id
        row["flags"] = row["flags"] or None  # no flags: no property, as the bulk load has it
    return rows


#: The merge query of each label's entities (``HAS_PHONE``: an agent's phones).
_MERGES = {"IDCard": "ingest_merge_id_cards", "Phone": "ingest_merge_phones",
           "IP": "ingest_merge_ips", "Payer": "ingest_merge_payers",
           "Account": "ingest_merge_accounts", "Device": "ingest_merge_devices",
           "Patient": "ingest_merge_patients", "EscortAgent": "ingest_merge_escort_agents",
           "HAS_PHONE": "ingest_merge_agent_phones"}
_SOURCES = pa.schema([ROW_SCHEMA.field(name) for name in SOURCES])


def _entities(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """The rows' entities (:func:`~scalpernet.ingest.entities.entity_tables`) per merge
    query, sorted by key: concurrent batches then take their locks in one order."""
    tables = entity_tables(pa.Table.from_pylist(list(rows), schema=_SOURCES))
    return {_MERGES[label]: table.sort_by("key").to_pylist()
            for label, table in tables.items()}


@dataclass(slots=True)
class _Stored:
    """What is stored of a batch's bookings."""

    #: Content hash and last event (as :func:`cypher_rows` writes it) of each one stored.
    versions: dict[str, tuple[str, Any]]
    #: The keys this very batch (run id, batch number) stored in an earlier try whose
    #: acknowledgement was lost.
    ours: set[str]
    #: The keys whose stored version this run wrote (in any batch).
    this_run: set[str]


def _stored(tx: neo4j.ManagedTransaction, rows: Sequence[Row], batch: tuple[str, int]
            ) -> _Stored:
    """What is stored now of the bookings of ``rows`` (see :class:`_Stored`)."""
    stored = _Stored({}, set(), set())
    for rec in tx.run(load_query("ingest_registration_states"), keys=[r["key"] for r in rows]):
        key = rec["key"]
        stored.versions[key] = (rec["content_hash"], None if rec["last_event"] is None else
                                rec["last_event"].to_native().astimezone(CST).strftime(
                                    "%Y-%m-%dT%H:%M:%S.%f+08:00"))
        if rec["ingest_run"] == batch[0]:
            stored.this_run.add(key)
            if rec["ingest_batch"] == batch[1]:
                stored.ours.add(key)
    return stored


@dataclass(slots=True)
class _Plan:
    """What a batch must write, decided against what is stored."""

    to_write: dict[str, Row]
    changed: list[str]
    already_present: int
    #: Every row written at its turn, superseded ones too: their entities are written, as
    #: they would be had the rows come in different batches (and as the bulk load does).
    entity_rows: list[Row]


def _version(row: Row) -> tuple[bool, Any, str]:
    return version_key(row["last_event"], row["content_hash"])


def _plan(rows: Sequence[Row], stored: dict[str, tuple[str, Any]]) -> _Plan:
    plan = _Plan({}, [], 0, [])
    to_write = plan.to_write
    for record in rows:
        key = record["key"]
        if key in to_write:  # the same booking twice in one batch: the later version wins
            if to_write[key]["content_hash"] == record["content_hash"] or \
                    _version(record) < _version(to_write[key]):
                plan.already_present += 1
                continue
            to_write[key] = record
            plan.entity_rows.append(record)
            plan.already_present += 1  # the earlier row of the pair is superseded
            continue
        if key in stored:
            content_hash, stored_event = stored[key]
            if content_hash == record["content_hash"] or \
                    _version(record) < version_key(stored_event, content_hash):
                plan.already_present += 1
                continue
            plan.changed.append(key)
        to_write[key] = record
        plan.entity_rows.append(record)
    return plan


def _write_entities(tx: neo4j.ManagedTransaction, records: Sequence[Row],
                    batch: tuple[str, int]) -> None:
    """MERGE the entities of the rows the batch writes at their turn (not of lesser
    versions of a booking, which are not written).

    A version stored by this very run does not decide: the run's ledger did, in the order
    the rows were read (the run sends only first sightings and greater versions), so a
    batch committing before an earlier one changes nothing of the entities written. A
    version stored by an earlier run does (a lesser row writes nothing)."""
    stored = _stored(tx, records, batch)
    plan = _plan(records, {key: version for key, version in stored.versions.items()
                           if key not in stored.this_run})
    for query, rows in _entities(plan.entity_rows).items():
        if rows:
            tx.run(load_query(query), rows=rows).consume()


def _write_registrations(tx: neo4j.ManagedTransaction, records: Sequence[Row],
                         batch: tuple[str, int], verdicts: dict[str, str]) -> BatchResult:
    """Decide again against what is stored now, then create (or replace) and link.

    ``verdicts`` (kept across the tries of one batch) says of each key whether the first
    try planned to create or to update it: a key an earlier try committed is counted as
    that, not as already present."""
    stored = _stored(tx, records, batch)
    ours = stored.ours
    plan = _plan(records, stored.versions)
    for key in plan.to_write:
        verdicts.setdefault(key, "updated" if key in plan.changed else "created")
    result = BatchResult(already_present=plan.already_present - len(ours))
    for key in ours:  # one row of the batch per such key was written by the earlier try
        if verdicts.get(key) == "updated":
            result.updated += 1
        else:
            result.created += 1
    if not plan.to_write:
        return result
    if plan.changed:
        tx.run(load_query("ingest_replace_changed"), keys=plan.changed).consume()
    rows = [{k: r[k] for k in _REGISTRATION} | {"ingest_batch": batch[1]}
            for r in plan.to_write.values()]
    written = tx.run(load_query("ingest_registrations"), rows=rows).single()
    if written is None or written["written"] != len(rows):
        raise RuntimeError("a registration could not be linked to its patient")
    result.updated += len(plan.changed)
    result.created += len(rows) - len(plan.changed)
    return result


def write_batch(graph: Graph, records: Sequence[Row], run_id: str, batch_no: int = 0,
                verdicts: dict[str, str] | None = None) -> BatchResult:
    """Write one batch: its entities in one transaction, then its registrations in another.

    Two transactions, so that a concurrent batch's registrations never wait for this one's
    new entities: entity transactions are short and commit first, and registration
    transactions create relationships only to committed entities. A batch stopped between
    the two leaves entities a rerun links (MERGE is idempotent); the registration transaction
    alone decides what is counted, so nothing is counted twice. The driver retries transient
    failures of each; registrations carry ``ingest_batch`` so a retry after a lost commit
    acknowledgement knows the rows it wrote (``batch_no``, ``verdicts``: see
    :func:`_write_registrations`).
    """
    batch = (run_id, batch_no)
    verdicts = {} if verdicts is None else verdicts
    with graph.driver.session(database=graph.database) as session:
        session.execute_write(_write_entities, records, batch)
        return session.execute_write(_write_registrations, records, batch, verdicts)
