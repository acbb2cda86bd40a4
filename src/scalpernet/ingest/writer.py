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
as present. Entity rows go to Neo4j sorted by key, so concurrent batches lock shared
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
from scalpernet.ingest.rows import iso
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


def _entities(rows: Sequence[Row]) -> dict[str, list[Row]]:
    """Distinct entity rows per merge query, sorted by key (deterministic).

    An escort agent is linked to every distinct phone given for it; its name, and a payer's
    channel, are the first known in row order."""
    id_cards: dict[str, Row] = {}
    phones: dict[str, Row] = {}
    ips: dict[str, Row] = {}
    payers: dict[str, Row] = {}
    accounts: dict[str, Row] = {}
    devices: dict[str, Row] = {}
    patients: dict[str, Row] = {}
    agents: dict[str, Row] = {}
    agent_phones: dict[tuple[str, str], Row] = {}
    for r in rows:
        if r["id_card"] not in id_cards:
            id_cards[r["id_card"]] = {
                "key": r["id_card"], "valid": r["id_valid"], "invalid_reason": r["id_reason"],
                "birth_date": r["id_birth_date"], "sex": r["id_sex"], "region": r["id_region"],
            }
        for prefix in ("phone", "agent_phone"):
            key = r[prefix]
            if key is not None and key not in phones:
                phones[key] = {"key": key, "kind": r[f"{prefix}_kind"],
                               "virtual": r[f"{prefix}_virtual"]}
        if r["ip"] is not None and r["ip"] not in ips:
            ips[r["ip"]] = {"key": r["ip"], "version": r["ip_version"],
                            "private": r["ip_private"], "range": r["ip_range"]}
        if r["payer"]:
            payer = payers.setdefault(r["payer"], {"key": r["payer"], "channel": None})
            payer["channel"] = payer["channel"] or r["payer_channel"]
        if r["account"]:
            accounts.setdefault(r["account"], {"key": r["account"]})
        if r["device"]:
            devices.setdefault(r["device"], {"key": r["device"]})
        if r["patient"] not in patients:
            patients[r["patient"]] = {
                "key": r["patient"], "name": r["patient_name"], "id_card": r["id_card"],
                "junk_name": r["junk_reason"] is not None, "junk_reason": r["junk_reason"],
            }
        if r["agent"]:
            agent = agents.setdefault(r["agent"], {"key": r["agent"], "name": None})
            agent["name"] = agent["name"] or r["agent_name"]
            if r["agent_phone"] is not None:
                agent_phones.setdefault((r["agent"], r["agent_phone"]),
                                        {"agent": r["agent"], "phone": r["agent_phone"]})
    return {
        "ingest_merge_id_cards": _sorted(id_cards),
        "ingest_merge_phones": _sorted(phones),
        "ingest_merge_ips": _sorted(ips),
        "ingest_merge_payers": _sorted(payers),
        "ingest_merge_accounts": _sorted(accounts),
        "ingest_merge_devices": _sorted(devices),
        "ingest_merge_patients": _sorted(patients),
        "ingest_merge_escort_agents": _sorted(agents),
        "ingest_merge_agent_phones": [agent_phones[k] for k in sorted(agent_phones)],
    }


def _sorted(rows: dict[str, Row]) -> list[Row]:
    """Entity rows in key order: concurrent batches then take their locks in one order."""
    return [rows[key] for key in sorted(rows)]


def _stored(tx: neo4j.ManagedTransaction, rows: Sequence[Row], batch: tuple[str, int]
            ) -> tuple[dict[str, tuple[str, Any]], set[str]]:
    """Content hash and last event (as :func:`cypher_rows` writes it) of the batch's
    bookings already stored, and the keys that this very batch (run id, batch number)
    stored in an earlier try whose acknowledgement was lost."""
    stored: dict[str, tuple[str, Any]] = {}
    ours: set[str] = set()
    for rec in tx.run(load_query("ingest_registration_states"), keys=[r["key"] for r in rows]):
        stored[rec["key"]] = (rec["content_hash"], None if rec["last_event"] is None else
                              rec["last_event"].to_native().astimezone(CST).strftime(
                                  "%Y-%m-%dT%H:%M:%S.%f+08:00"))
        if (rec["ingest_run"], rec["ingest_batch"]) == batch:
            ours.add(rec["key"])
    return stored, ours


@dataclass(slots=True)
class _Plan:
    """What a batch must write, decided against what is stored."""

    to_write: dict[str, Row]
    changed: list[str]
    already_present: int


def _version(row: Row) -> tuple[bool, Any, str]:
    return version_key(row["last_event"], row["content_hash"])


def _plan(rows: Sequence[Row], stored: dict[str, tuple[str, Any]]) -> _Plan:
    plan = _Plan({}, [], 0)
    to_write = plan.to_write
    for record in rows:
        key = record["key"]
        if key in to_write:  # the same booking twice in one batch: the later version wins
            if to_write[key]["content_hash"] == record["content_hash"] or \
                    _version(record) < _version(to_write[key]):
                plan.already_present += 1
                continue
            to_write[key] = record
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
    return plan


def _write_entities(tx: neo4j.ManagedTransaction, records: Sequence[Row],
                    batch: tuple[str, int]) -> None:
    """MERGE the entities of the bookings the batch will write (none of superseded rows)."""
    plan = _plan(records, _stored(tx, records, batch)[0])
    for query, rows in _entities(list(plan.to_write.values())).items():
        if rows:
            tx.run(load_query(query), rows=rows).consume()


def _write_registrations(tx: neo4j.ManagedTransaction, records: Sequence[Row],
                         batch: tuple[str, int], verdicts: dict[str, str]) -> BatchResult:
    """Decide again against what is stored now, then create (or replace) and link.

    ``verdicts`` (kept across the tries of one batch) says of each key whether the first
    try planned to create or to update it: a key an earlier try committed is counted as
    that, not as already present."""
    stored, ours = _stored(tx, records, batch)
    plan = _plan(records, stored)
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
