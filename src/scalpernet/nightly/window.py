"""The analysis window kept between nightly passes: the projection is updated, not reread.

A full analysis reads every booking of the window from Neo4j (the projection) and every
window payer's whole history; that read is most of its cost and grows with the window. A
nightly pass adds a day's export, so most of it cannot have changed. :class:`KeptWindow`
keeps what the last analysis read (``<folder>/window.arrow``: one row per window booking,
with its key; ``payers.npz``: the payers' history; ``window.json``: where the window started
and which ingestion runs it has seen) and, on the next analysis:

1. reads only the registrations written by the ingestion runs it has not seen (new
   bookings, and changed ones, which ingestion creates again under a new node), their
   links, and the ID cards, own phones and flags of their patients, agents and phones;
2. drops the kept rows those replace (same key or node id) and those now before the
   window's start, adds the new rows of the window, and re-derives the ID card and agent
   phone of every row of a touched patient or agent (a patient can gain an ID card, an
   agent a phone, only with a booking);
3. reads the whole history again only for the payers whose bookings changed (touched by a
   new or replaced booking, or whose count in the window moved).

The projection and the payer history it gives are the ones :func:`load_projection` and
:func:`payer_history` would read from the same graph, column for column (tested in
``tests/nightly/test_incremental.py``), and detection is a deterministic function of them,
the stored previous results and the allow-list; so the networks, ids, members, tiers and
scores are those of a full analysis. Anything it cannot vouch for (no kept window, one from
another database or an older format, a run it saw that no longer exists, a window that
starts earlier than the kept one) makes it read everything, as a full analysis does.

It trusts that registrations are written by ingestion runs only (every one carries its
``ingest_run``), as everything in ScalperNet does.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.ipc as ipc

from scalpernet.detect.projection import (
    _CODED,
    _CST_MS,
    MISSING,
    SLOTS,
    PayerHistory,
    Projection,
    _encode,
    _lookup,
    _member_of,
    load_projection,
    payer_history,
    registration_keys,
)
from scalpernet.graph import Graph

log = logging.getLogger(__name__)

#: Bumped whenever what is kept changes meaning: an older kept window is then not used.
FORMAT = 1
_TIMES = ("latency_ms", "booked_ms", "cancelled_ms", "paid_ms", "slot_ms")
_FLAGS = ("junk_name", "id_valid", "virtual_phone")


def _ids(values: np.ndarray) -> list[int]:
    return [int(i) for i in np.unique(values[values >= 0])]


def _table(proj: Projection, keys: pa.Array) -> pa.Table:
    """The projection's rows as an Arrow table (text columns as text), with their keys."""
    columns: dict[str, Any] = {"registration": proj.registration, "key": keys}
    for name in _TIMES:
        columns[name] = getattr(proj, name)
    for name in _CODED:
        words = pa.array([*proj.vocab[name], ""], type=pa.string())
        codes = proj.codes[name]
        columns[name] = words.take(pa.array(np.where(codes < 0, len(words) - 1, codes)))
    for slot in SLOTS:
        columns[f"e_{slot}"] = proj.entities[slot]
    for name in _FLAGS:
        columns[name] = getattr(proj, name)
    return pa.table(columns)


def _projection(table: pa.Table) -> Projection:
    """The projection of a table of :func:`_table`'s shape (rows in node id order), built
    as :func:`load_projection` builds it."""

    def ints(name: str) -> np.ndarray:
        return table.column(name).to_numpy().astype(np.int64, copy=False)

    codes: dict[str, np.ndarray] = {}
    vocab: dict[str, list[str]] = {}
    for name in _CODED:
        codes[name], vocab[name] = _encode(table.column(name).combine_chunks(),
                                           vocabulary=True)
    booked = ints("booked_ms")
    cancelled = ints("cancelled_ms")
    return Projection(
        registration=ints("registration"),
        entities={slot: ints(f"e_{slot}") for slot in SLOTS},
        latency_ms=ints("latency_ms"), booked_ms=booked, cancelled_ms=cancelled,
        paid_ms=ints("paid_ms"), slot_ms=ints("slot_ms"),
        booked_minute=np.where(booked == MISSING, -1, ((booked + _CST_MS) // 60_000) % 1440),
        cancelled=cancelled != MISSING,
        junk_name=table.column("junk_name").to_numpy(),
        id_valid=table.column("id_valid").to_numpy(),
        virtual_phone=table.column("virtual_phone").to_numpy(),
        codes=codes, vocab=vocab)


@dataclass
class _Delta:
    """What the unseen runs wrote, as a table of :func:`_table`'s shape (every booking time,
    the window not yet applied), and the entities it touches."""

    table: pa.Table
    patients: np.ndarray
    agents: np.ndarray
    payers: np.ndarray


def _read_delta(graph: Graph, runs: list[str]) -> _Delta:
    record = graph.read("detect_registrations_of_runs", runs=runs, missing=MISSING)[0]
    registration = np.asarray(record["registration"], dtype=np.int64)
    order = np.argsort(registration, kind="stable")
    registration = registration[order]
    n = registration.size
    columns: dict[str, Any] = {"registration": registration,
                               "key": pa.array(record["key"], type=pa.string()).take(order)}
    for name in _TIMES:
        columns[name] = np.asarray(record[name], dtype=np.int64)[order]
    for name in _CODED:
        columns[name] = pa.array(record[name], type=pa.string()).take(order)
    entities = {slot: np.full(n, -1, dtype=np.int64) for slot in SLOTS}
    for start in range(0, n, 20_000):
        links = graph.read("detect_links_of",
                           ids=[int(i) for i in registration[start:start + 20_000]])[0]
        reg = np.asarray(links["registration"], dtype=np.int64)
        ent = np.asarray(links["entity"], dtype=np.int64)
        slot = np.asarray(links["slot"], dtype=np.int64)
        pos = np.searchsorted(registration, reg)
        for code, name in enumerate(SLOTS):
            mine = slot == code
            entities[name][pos[mine]] = ent[mine]
    patients = np.unique(entities["patient"][entities["patient"] >= 0])
    agents = np.unique(entities["escort_agent"][entities["escort_agent"] >= 0])
    cards = graph.read("detect_id_cards_of", ids=[int(i) for i in patients])[0]
    entities["id_card"] = _lookup(cards["patient"], cards["id_card"], entities["patient"])
    phones = graph.read("detect_agent_phones_of", ids=[int(i) for i in agents])[0]
    entities["agent_phone"] = _lookup(phones["escort_agent"], phones["phone"],
                                      entities["escort_agent"])
    flags = graph.read("detect_flags_of", patients=[int(i) for i in patients],
                       id_cards=_ids(entities["id_card"]), phones=_ids(entities["phone"]))[0]
    for slot in SLOTS:
        columns[f"e_{slot}"] = entities[slot]
    columns["junk_name"] = _member_of(flags["junk_name"], entities["patient"])
    columns["id_valid"] = ~_member_of(flags["invalid_id"], entities["id_card"])
    columns["virtual_phone"] = _member_of(flags["virtual_phone"], entities["phone"])
    payers = entities["payer"]
    return _Delta(table=pa.table(columns), patients=patients, agents=agents,
                  payers=np.unique(payers[payers >= 0]))


def _in_window(table: pa.Table, since_ms: int | None) -> np.ndarray:
    booked = table.column("booked_ms").to_numpy()
    if since_ms is None:
        return np.ones(len(booked), dtype=bool)
    return (booked != MISSING) & (booked >= since_ms)


def _rederive(graph: Graph, table: pa.Table, patients: np.ndarray,
              agents: np.ndarray) -> pa.Table:
    """The ID card (and its validity) of every row of the given patients, and the own phone
    of every row of the given agents, read again."""
    patient = table.column("e_patient").to_numpy()
    agent = table.column("e_escort_agent").to_numpy()
    mine = np.isin(patient, patients) & (patient >= 0)
    id_card = table.column("e_id_card").to_numpy().copy()
    id_valid = table.column("id_valid").to_numpy().copy()
    if mine.any():
        cards = graph.read("detect_id_cards_of", ids=_ids(patient[mine]))[0]
        id_card[mine] = _lookup(cards["patient"], cards["id_card"], patient[mine])
        flags = graph.read("detect_flags_of", patients=[], id_cards=_ids(id_card[mine]),
                           phones=[])[0]
        id_valid[mine] = ~_member_of(flags["invalid_id"], id_card[mine])
    agent_phone = table.column("e_agent_phone").to_numpy().copy()
    theirs = np.isin(agent, agents) & (agent >= 0)
    if theirs.any():
        phones = graph.read("detect_agent_phones_of", ids=_ids(agent[theirs]))[0]
        agent_phone[theirs] = _lookup(phones["escort_agent"], phones["phone"], agent[theirs])
    for name, values in (("e_id_card", id_card), ("id_valid", id_valid),
                         ("e_agent_phone", agent_phone)):
        table = table.set_column(table.schema.get_field_index(name), name, pa.array(values))
    return table


@dataclass
class KeptWindow:
    """A source of the projection and payer history for :func:`detect` that reuses the
    last analysis's read (see the module docstring); :meth:`save` keeps the new one."""

    folder: Path
    #: What this analysis did: ``full`` or ``incremental``, rows kept and read.
    report: dict[str, Any] = field(default_factory=dict)
    _table: pa.Table | None = None
    _since_ms: int | None = None
    _seen: list[str] = field(default_factory=list)
    _history: dict[str, np.ndarray] | None = None
    _touched: np.ndarray | None = None  # payers whose whole history must be read again

    @property
    def _state_path(self) -> Path:
        return self.folder / "window.json"

    def _load(self) -> tuple[dict[str, Any], pa.Table, dict[str, np.ndarray]] | None:
        try:
            state = orjson.loads(self._state_path.read_bytes())
            if state.get("format") != FORMAT:
                return None
            # mapped, not copied: the kept rows are only read, then filtered into new ones
            table = ipc.open_file(pa.memory_map(str(self.folder / "window.arrow"))).read_all()
            with np.load(self.folder / "payers.npz") as npz:
                history = {k: npz[k] for k in npz.files}
        except (OSError, ValueError, pa.ArrowException) as exc:
            log.info("no kept analysis window used (%s)", type(exc).__name__)
            return None
        return state, table, history

    def projection(self, graph: Graph, since_ms: int | None) -> Projection:
        """The window's projection (bookings at or after ``since_ms``; None: all)."""
        record = graph.read("detect_ingest_runs")[0]
        runs = dict(zip(record["ids"], record["statuses"], strict=True))
        kept = self._load()
        why = None
        if kept is None:
            why = "nothing kept"
        else:
            state, table, history = kept
            if not set(state["seen"]) <= set(runs):
                why = "a run it saw is gone"
            elif (since_ms is None) != (state["since_ms"] is None) or (
                    since_ms is not None and since_ms < state["since_ms"]):
                why = "the window starts earlier"
        self._seen = sorted(r for r, status in runs.items() if status != "running")
        self._since_ms = since_ms
        if why is not None:
            proj = load_projection(graph, since_ms=since_ms)
            keys = registration_keys(graph, proj.registration)
            self._table = _table(proj, pa.array([keys[int(i)] for i in proj.registration],
                                                type=pa.string()))
            self._history = None
            self.report = {"mode": "full", "why": why, "rows_read": proj.size}
            return proj
        unseen = sorted(r for r in runs if r not in set(state["seen"]))
        delta = _read_delta(graph, unseen)
        # kept rows that a new row replaces (same key: changed; same node id: reused)
        replaced = (pc.is_in(table.column("key"),
                             value_set=delta.table.column("key").combine_chunks())
                    .to_numpy()
                    | np.isin(table.column("registration").to_numpy(),
                              delta.table.column("registration").to_numpy()))
        payers = table.column("e_payer").to_numpy()
        outside = ~_in_window(delta.table, since_ms)
        staying = ~replaced & _in_window(table, since_ms)
        merged = pa.concat_tables([table.filter(pa.array(staying)),
                                   delta.table.filter(pa.array(~outside))])
        merged = merged.take(pa.array(np.argsort(merged.column("registration").to_numpy(),
                                                 kind="stable")))
        merged = _rederive(graph, merged, delta.patients, delta.agents)
        self._table = merged
        self._history = history
        # a booking before the window may have replaced one whose payer is not known here:
        # then every payer's history is read again
        self._touched = None if outside.any() else np.union1d(
            delta.payers, payers[replaced & (payers >= 0)])
        self.report = {"mode": "incremental", "runs_read": len(unseen),
                       "rows_read": delta.table.num_rows, "rows_kept": int(staying.sum()),
                       "rows_replaced": int(replaced.sum()),
                       "rows_left_window": int((~replaced & ~_in_window(table, since_ms))
                                               .sum())}
        return _projection(merged)

    def payer_history(self, graph: Graph, ids: np.ndarray, paid: np.ndarray) -> PayerHistory:
        """The whole history of the window's payers (``paid``: their window bookings), read
        again only for the payers whose bookings may have changed."""
        ids = np.asarray(ids, dtype=np.int64)
        paid = np.asarray(paid, dtype=np.int64)
        order = np.argsort(ids, kind="stable")
        ids, paid = ids[order], paid[order]
        kept = self._history
        if kept is None or self._touched is None or kept["ids"].size == 0:
            fresh = payer_history(graph, ids, paid)
            read = ids.size
        else:
            pos = np.clip(np.searchsorted(kept["ids"], ids), 0, kept["ids"].size - 1)
            reuse = ((kept["ids"][pos] == ids) & (kept["paid"][pos] == paid)
                     & ~np.isin(ids, self._touched))
            again = payer_history(graph, ids[~reuse], paid[~reuse])
            fresh = PayerHistory(ids=ids, bookings=np.empty_like(ids),
                                 first_ms=np.empty_like(ids), last_ms=np.empty_like(ids))
            for name, column in (("bookings", "bookings"), ("first_ms", "first"),
                                 ("last_ms", "last")):
                values = getattr(fresh, name)
                values[reuse] = kept[column][pos[reuse]]
                values[~reuse] = getattr(again, name)
            read = int((~reuse).sum())
        self._history = {"ids": ids, "paid": paid, "bookings": fresh.bookings,
                         "first": fresh.first_ms, "last": fresh.last_ms}
        self.report["payers_read"] = read
        self.report["payers"] = int(ids.size)
        return fresh

    def save(self) -> None:
        """Keep this analysis's window for the next one (written aside, then renamed)."""
        if self._table is None:
            return
        history = self._history or {k: np.zeros(0, dtype=np.int64)
                                    for k in ("ids", "paid", "bookings", "first", "last")}
        state = {"format": FORMAT, "since_ms": self._since_ms, "seen": self._seen,
                 "rows": self._table.num_rows}
        # without its state the kept files are not used: a pass stopped half-way through
        # saving leaves the next one a full read, never a mix
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._state_path.unlink(missing_ok=True)
            for name, write in (
                    ("window.arrow", lambda p: _write_arrow(p, self._table)),
                    ("payers.npz", lambda p: _write_npz(p, history)),
                    ("window.json", lambda p: p.write_bytes(orjson.dumps(state)))):
                part = self.folder / f".{name}.part"
                write(part)
                os.chmod(part, 0o600)
                os.replace(part, self.folder / name)
        except OSError as exc:  # the results are stored: the next pass reads everything
            log.warning("analysis window not kept: %s", exc)


def _write_arrow(path: Path, table: pa.Table | None) -> None:
    assert table is not None
    with pa.OSFile(str(path), "wb") as sink, ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table)


def _write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    with path.open("wb") as handle:
        np.savez(handle, **arrays)
