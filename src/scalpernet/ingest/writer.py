"""Write validated registrations to Neo4j: batched, idempotent, two transactions per batch.

Per batch, in two managed transactions, each of which first looks up which registrations
are stored already and with which content hash (so a retry after a lost connection
re-decides everything and can never duplicate):

1. a registration stored with the same hash is *already present* and skipped; one stored
   with another hash is *updated* when the row is not older than the stored version (the
   stored node and its links are replaced), else kept as stored and counted already present;
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
from datetime import datetime
from typing import Any

import neo4j
import orjson

from scalpernet.graph import Graph, load_query
from scalpernet.records import Record


@dataclass(slots=True)
class BatchResult:
    """What one batch did: every record is exactly one of these."""

    created: int = 0
    updated: int = 0
    already_present: int = 0

    @property
    def ingested(self) -> int:
        return self.created + self.updated


def last_event(record: Record) -> datetime:
    """The latest time a row speaks of: a newer export of a booking wins over an older one."""
    times = [t for t in (record.booked_at, record.paid_at, record.cancelled_at) if t is not None]
    return max(times)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _registration_row(record: Record, run_id: str) -> dict[str, Any]:
    """One registration as the parameters of ``ingest_registrations``.

    Datetimes travel as ISO text and become DateTime values in Cypher: the driver packs
    timezone-aware Python datetimes about 15x slower than strings (measured).
    """
    return {
        "key": record.key,
        "patient": record.patient_key,
        "phone": record.phone.key if record.phone else None,
        "ip": record.ip.key if record.ip else None,
        "device": record.device_id,
        "account": record.account_id,
        "payer": record.payer_account,
        "agent": record.escort_agent_id,
        "registration_id": record.registration_id,
        "hospital": record.hospital,
        "department": record.department,
        "doctor": record.doctor,
        "slot_time": record.slot_time.isoformat(),
        "released_at": _iso(record.released_at),
        "booked_at": record.booked_at.isoformat(),
        "paid_at": _iso(record.paid_at),
        "cancelled_at": _iso(record.cancelled_at),
        "last_event": last_event(record).isoformat(),
        "latency_ms": record.latency_ms,
        "status": record.status,
        "fee_yuan": None if record.fee_yuan is None else str(record.fee_yuan),
        "visit_card": record.visit_card,
        "payer_channel": record.payer_channel,
        "ip_raw": record.ip_raw,
        "extra": orjson.dumps(record.extra, option=orjson.OPT_SORT_KEYS).decode()
        if record.extra else None,
        "flags": list(record.flags),
        "content_hash": record.content_hash,
        "source_file": record.source_file,
        "source_line": record.source_line,
        "ingest_run": run_id,
    }


def _entities(records: Sequence[Record]) -> dict[str, list[dict[str, Any]]]:
    """Distinct entity rows per merge query, sorted by key (deterministic)."""
    id_cards: dict[str, dict[str, Any]] = {}
    phones: dict[str, dict[str, Any]] = {}
    ips: dict[str, dict[str, Any]] = {}
    payers: dict[str, dict[str, Any]] = {}
    accounts: dict[str, dict[str, Any]] = {}
    devices: dict[str, dict[str, Any]] = {}
    patients: dict[str, dict[str, Any]] = {}
    agents: dict[str, dict[str, Any]] = {}
    for r in records:
        card = r.id_card
        if card.key not in id_cards:
            id_cards[card.key] = {
                "key": card.key, "valid": card.valid, "invalid_reason": card.reason,
                "birth_date": card.birth_date, "sex": card.sex, "region": card.region,
            }
        for phone in (r.phone, r.escort_agent_phone):
            if phone is not None and phone.key not in phones:
                phones[phone.key] = {"key": phone.key, "kind": phone.kind,
                                     "virtual": phone.virtual}
        if r.ip is not None and r.ip.key not in ips:
            ips[r.ip.key] = {"key": r.ip.key, "version": r.ip.version,
                             "private": r.ip.private, "range": str(r.ip.range)}
        if r.payer_account:
            payer = payers.setdefault(r.payer_account, {"key": r.payer_account, "channel": None})
            payer["channel"] = payer["channel"] or r.payer_channel
        if r.account_id:
            accounts.setdefault(r.account_id, {"key": r.account_id})
        if r.device_id:
            devices.setdefault(r.device_id, {"key": r.device_id})
        if r.patient_key not in patients:
            patients[r.patient_key] = {
                "key": r.patient_key, "name": r.patient_name, "id_card": card.key,
                "junk_name": r.junk_reason is not None, "junk_reason": r.junk_reason,
            }
        if r.escort_agent_id:
            agent = agents.setdefault(r.escort_agent_id,
                                      {"key": r.escort_agent_id, "name": None, "phone": None})
            agent["name"] = agent["name"] or r.escort_agent_name
            if agent["phone"] is None and r.escort_agent_phone is not None:
                agent["phone"] = r.escort_agent_phone.key
    return {
        "ingest_merge_id_cards": _sorted(id_cards),
        "ingest_merge_phones": _sorted(phones),
        "ingest_merge_ips": _sorted(ips),
        "ingest_merge_payers": _sorted(payers),
        "ingest_merge_accounts": _sorted(accounts),
        "ingest_merge_devices": _sorted(devices),
        "ingest_merge_patients": _sorted(patients),
        "ingest_merge_escort_agents": _sorted(agents),
    }


def _sorted(rows: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Entity rows in key order: concurrent batches then take their locks in one order."""
    return [rows[key] for key in sorted(rows)]


def _stored(tx: neo4j.ManagedTransaction,
            records: Sequence[Record]) -> dict[str, tuple[str, Any]]:
    """Content hash and last event of the batch's bookings already stored."""
    return {
        rec["key"]: (rec["content_hash"], rec["last_event"])
        for rec in tx.run(load_query("ingest_registration_states"),
                          keys=[r.key for r in records])
    }


@dataclass(slots=True)
class _Plan:
    """What a batch must write, decided against what is stored."""

    to_write: dict[str, Record]
    changed: list[str]
    already_present: int


def _plan(records: Sequence[Record], stored: dict[str, tuple[str, Any]]) -> _Plan:
    plan = _Plan({}, [], 0)
    to_write = plan.to_write
    for record in records:
        key = record.key
        if key in to_write:  # the same booking twice in one batch: the newer row wins
            if to_write[key].content_hash == record.content_hash or \
                    last_event(record) < last_event(to_write[key]):
                plan.already_present += 1
                continue
            to_write[key] = record
            plan.already_present += 1  # the earlier row of the pair is superseded
            continue
        if key in stored:
            content_hash, stored_event = stored[key]
            if content_hash == record.content_hash or (
                stored_event is not None and last_event(record) < stored_event.to_native()
            ):
                plan.already_present += 1
                continue
            plan.changed.append(key)
        to_write[key] = record
    return plan


def _write_entities(tx: neo4j.ManagedTransaction, records: Sequence[Record]) -> None:
    """MERGE the entities of the bookings the batch will write (none of superseded rows)."""
    plan = _plan(records, _stored(tx, records))
    for query, rows in _entities(list(plan.to_write.values())).items():
        if rows:
            tx.run(load_query(query), rows=rows).consume()


def _write_registrations(tx: neo4j.ManagedTransaction, records: Sequence[Record],
                         run_id: str) -> BatchResult:
    """Decide again against what is stored now, then create (or replace) and link."""
    plan = _plan(records, _stored(tx, records))
    result = BatchResult(already_present=plan.already_present)
    if not plan.to_write:
        return result
    if plan.changed:
        tx.run(load_query("ingest_replace_changed"), keys=plan.changed).consume()
    rows = [_registration_row(r, run_id) for r in plan.to_write.values()]
    written = tx.run(load_query("ingest_registrations"), rows=rows).single()
    if written is None or written["written"] != len(rows):
        raise RuntimeError("a registration could not be linked to its patient")
    result.updated = len(plan.changed)
    result.created = len(rows) - len(plan.changed)
    return result


def write_batch(graph: Graph, records: Sequence[Record], run_id: str) -> BatchResult:
    """Write one batch: its entities in one transaction, then its registrations in another.

    Two transactions, so that a concurrent batch's registrations never wait for this one's
    new entities: entity transactions are short and commit first, and registration
    transactions create relationships only to committed entities. A batch stopped between
    the two leaves entities a rerun links (MERGE is idempotent); the registration transaction
    alone decides what is counted, so nothing is counted twice. The driver retries transient
    failures of each.
    """
    with graph.driver.session(database=graph.database) as session:
        session.execute_write(_write_entities, records)
        return session.execute_write(_write_registrations, records, run_id)
