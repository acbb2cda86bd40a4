"""The detection projection: registrations and their entities pulled from Neo4j as columns.

A handful of aggregate queries (``cypher/detect_registrations.cypher`` and
``detect_links.cypher`` in slices, ``detect_id_cards``, ``detect_flags``,
``detect_agent_phones``) each return parallel lists, so a million bookings cross Bolt as a
dozen records rather than a million round trips; the queries run side by side on a thread
pool. Each booking's relationship chain is walked once for all its links; node properties
(flags) are read once per node rather than once per booking.
Entities are referred to by internal node id until the members of the networks are known;
only then are their uids read (:func:`entity_uids`).
"""

from __future__ import annotations

from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from scalpernet.graph import Graph

#: Entity slots of a registration, in column order; ``agent_phone`` is the escort agent's own
#: phone (``HAS_PHONE``), joined in Python.
SLOTS: tuple[str, ...] = (
    "patient", "id_card", "phone", "ip", "device", "account", "payer", "escort_agent",
    "agent_phone",
)
#: The contract kind of the entity in each slot.
SLOT_KINDS: dict[str, str] = {slot: slot for slot in SLOTS} | {"agent_phone": "phone"}
#: Sentinel for an absent time (the Cypher returns it for nulls).
MISSING = -(2**62)
_CODED = ("hospital", "doctor")


@dataclass
class Projection:
    """Registrations as numpy columns; entity columns hold node ids, -1 where absent."""

    registration: np.ndarray
    entities: dict[str, np.ndarray]
    latency_ms: np.ndarray
    booked_ms: np.ndarray
    cancelled_ms: np.ndarray
    paid_ms: np.ndarray
    slot_ms: np.ndarray
    booked_minute: np.ndarray  # minute of the day, China Standard Time
    cancelled: np.ndarray  # a cancellation time is recorded
    junk_name: np.ndarray
    id_valid: np.ndarray
    virtual_phone: np.ndarray
    #: Text columns as integer codes ('' is -1), with the vocabularies of the short ones.
    codes: dict[str, np.ndarray] = field(default_factory=dict)
    vocab: dict[str, list[str]] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return int(self.registration.shape[0])


def _encode(values: pa.Array, *, vocabulary: bool) -> tuple[np.ndarray, list[str]]:
    """Integer codes of a text column, '' coded -1.

    With ``vocabulary`` the codes index the sorted distinct values (hospital names, stable
    whatever the row order); without, codes only tell values apart (visit cards: counted,
    never shown), which spares sorting and copying a million strings.
    """
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64), []
    encoded = values.dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64)
    dictionary = encoded.dictionary
    if vocabulary:
        words = dictionary.to_pylist()
        order = sorted(range(len(words)), key=words.__getitem__)
        rank = np.empty(len(words), dtype=np.int64)
        rank[order] = np.arange(len(words))
        codes = rank[codes]
        words = [words[i] for i in order]
        empty = words.index("") if "" in words else -2
    else:
        words = []
        found = pc.index(dictionary, "").as_py()
        empty = found if found >= 0 else -2
    return np.where(codes == empty, -1, codes), words


#: China Standard Time, the zone bookings are read in (no daylight saving).
_CST_MS = 8 * 3_600_000


def _read(graph: Graph, name: str, **params: object) -> dict[str, np.ndarray | pa.Array]:
    """One query's columns, converted at once (the Python lists are the bulk of the memory):
    text to Arrow strings, the rest to numpy arrays."""
    record = graph.read(name, **params)[0]
    out: dict[str, np.ndarray | pa.Array] = {}
    for column, values in record.items():
        if column in _CODED:
            out[column] = pa.array(values, type=pa.string())
        else:
            out[column] = np.asarray(values, dtype=np.int8 if column == "slot" else np.int64)
        del values
    return out


def newest_booking(graph: Graph) -> int | None:
    """The newest booking time (epoch ms), None on a graph without bookings."""
    records = graph.read("detect_newest_booking")
    return int(records[0]["newest"]) if records else None


def window_start(graph: Graph, window_days: int) -> int | None:
    """Where the analysis window starts (epoch ms): ``window_days`` before the newest
    booking; None for the whole history (``window_days`` 0, or no booking yet)."""
    if window_days <= 0:
        return None
    newest = newest_booking(graph)
    return None if newest is None else newest - window_days * 86_400_000


def load_projection(graph: Graph, *, since_ms: int | None = None, parts: int = 4,
                    workers: int = 4) -> Projection:
    """Pull every registration (booked at or after ``since_ms`` when given) with its
    entities, ordered by node id (deterministic).

    Queries, run side by side: the registrations' own columns and their links to patient,
    contact phone, IP, device, account, payer and escort agent (each in ``parts`` slices),
    the patients' ID cards, the flagged entities (junk names, invalid ID numbers, virtual
    phones) and the agents' own phones; columns are joined by node id. Over a window the
    registrations and links come from the ``_since`` queries (the booked_at index); the
    entity queries read every entity (a property per node, not per booking).
    """
    suffix = "" if since_ms is None else "_since"
    window: dict[str, object] = {} if since_ms is None else {"since_ms": since_ms}
    jobs: dict[str, tuple[str, dict[str, object]]] = {
        f"registrations/{k}": (f"detect_registrations{suffix}",
                               {"part": k, "parts": parts, "missing": MISSING, **window})
        for k in range(parts)}
    for k in range(parts):
        jobs[f"links/{k}"] = (f"detect_links{suffix}", {"part": k, "parts": parts, **window})
    jobs["id_cards"] = ("detect_id_cards", {})
    jobs["flags"] = ("detect_flags", {})
    jobs["agent_phones"] = ("detect_agent_phones", {})
    with ThreadPoolExecutor(max_workers=max(1, workers)) as pool:
        futures = {key: pool.submit(_read, graph, name, **params)
                   for key, (name, params) in jobs.items()}
        results = {key: f.result() for key, f in futures.items()}
    slices = [results.pop(f"registrations/{k}") for k in range(parts)]
    columns: dict[str, np.ndarray | pa.Array] = {}
    for name in slices[0]:
        pieces = [piece[name] for piece in slices]
        columns[name] = (pa.concat_arrays(pieces) if name in _CODED
                         else np.concatenate(pieces))
    del slices
    registration = np.asarray(columns["registration"], dtype=np.int64)
    order = np.argsort(registration, kind="stable")
    registration = registration[order]
    n = registration.shape[0]

    def ints(name: str) -> np.ndarray:
        return np.asarray(columns[name], dtype=np.int64)[order]

    def place(ids: np.ndarray, values: np.ndarray) -> np.ndarray:
        """Entity ids keyed by registration id, laid out in projection order (-1: none)."""
        out = np.full(n, -1, dtype=np.int64)
        if ids.size and n:
            pos = np.clip(np.searchsorted(registration, ids), 0, n - 1)
            ok = registration[pos] == ids
            out[pos[ok]] = values[ok]
        return out

    links = [results.pop(f"links/{k}") for k in range(parts)]
    link_reg = np.concatenate([piece["registration"] for piece in links])
    link_ent = np.concatenate([piece["entity"] for piece in links])
    link_slot = np.concatenate([piece["slot"] for piece in links])
    del links
    entities: dict[str, np.ndarray] = {}
    for code, slot in enumerate(SLOTS):
        if slot in ("id_card", "agent_phone"):
            continue
        mine = link_slot == code
        entities[slot] = place(link_reg[mine], link_ent[mine])
    del link_reg, link_ent, link_slot
    patient = entities["patient"]
    entities["id_card"] = _lookup(results["id_cards"]["patient"],
                                  results["id_cards"]["id_card"], patient)
    entities["agent_phone"] = _agent_phones(results["agent_phones"], entities["escort_agent"])
    entities = {slot: entities[slot] for slot in SLOTS}
    codes: dict[str, np.ndarray] = {}
    vocab: dict[str, list[str]] = {}
    for name in _CODED:
        coded, words = _encode(columns[name], vocabulary=True)
        codes[name] = coded[order] if n else coded
        vocab[name] = words
    booked = ints("booked_ms")
    minute = np.where(booked == MISSING, -1, ((booked + _CST_MS) // 60_000) % 1440)
    cancelled_ms = ints("cancelled_ms")
    return Projection(
        registration=registration, entities=entities, latency_ms=ints("latency_ms"),
        booked_ms=booked, cancelled_ms=cancelled_ms, paid_ms=ints("paid_ms"),
        slot_ms=ints("slot_ms"),
        booked_minute=minute, cancelled=cancelled_ms != MISSING,
        junk_name=_member_of(results["flags"]["junk_name"], patient),
        id_valid=~_member_of(results["flags"]["invalid_id"], entities["id_card"]),
        virtual_phone=_member_of(results["flags"]["virtual_phone"], entities["phone"]),
        codes=codes, vocab=vocab,
    )


def _lookup(keys: np.ndarray, values: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """``values[keys.index(w)]`` for each ``w`` (-1 when absent); a key with several values
    keeps the smallest, the same every run."""
    if len(keys) == 0:
        return np.full(wanted.shape, -1, dtype=np.int64)
    k = np.asarray(keys, dtype=np.int64)
    v = np.asarray(values, dtype=np.int64)
    order = np.lexsort((v, k))
    k, v = k[order], v[order]
    first = np.r_[True, k[1:] != k[:-1]]
    k, v = k[first], v[first]
    pos = np.clip(np.searchsorted(k, wanted), 0, len(k) - 1)
    return np.where((wanted >= 0) & (k[pos] == wanted), v[pos], -1)


def _member_of(ids: np.ndarray, column: np.ndarray) -> np.ndarray:
    """True where the column's entity is among ``ids``."""
    if len(ids) == 0:
        return np.zeros(column.shape, dtype=bool)
    return np.isin(column, np.asarray(ids, dtype=np.int64)) & (column >= 0)


def _agent_phones(record: dict[str, np.ndarray], agents: np.ndarray) -> np.ndarray:
    """Each registration's escort agent's own phone (-1 without agent or phone)."""
    return _lookup(record["escort_agent"], record["phone"], agents)


@dataclass
class PayerHistory:
    """Payers' whole history (beyond the window): bookings and first and last booking time
    (epoch ms, ``MISSING`` when unknown), by payer node id."""

    ids: np.ndarray
    bookings: np.ndarray
    first_ms: np.ndarray
    last_ms: np.ndarray


def payer_history(graph: Graph, ids: np.ndarray, window_bookings: np.ndarray) -> PayerHistory:
    """The whole history of the payers named by node id (``window_bookings``: what each paid
    in the window), sorted by id.

    Every payer's bookings come from its relationship count (no booking read); the first and
    last booking are read only for the payers that also paid before the window, the others'
    history being the window (``MISSING`` then: the window's own times stand).
    """
    order = np.argsort(ids, kind="stable")
    ids = np.asarray(ids, dtype=np.int64)[order]
    window_bookings = np.asarray(window_bookings, dtype=np.int64)[order]
    bookings = _by_id(graph, "detect_payer_degrees", ids, ("bookings",), 50_000)["bookings"]
    older = ids[bookings > window_bookings]
    times = _by_id(graph, "detect_payer_history", older, ("first", "last"), 20_000,
                   missing=MISSING)
    first = np.full(ids.shape, MISSING, dtype=np.int64)
    last = np.full(ids.shape, MISSING, dtype=np.int64)
    pos = np.searchsorted(ids, older)
    first[pos], last[pos] = times["first"], times["last"]
    return PayerHistory(ids=ids, bookings=bookings, first_ms=first, last_ms=last)


def _by_id(graph: Graph, name: str, ids: np.ndarray, columns: tuple[str, ...], batch: int,
           **params: object) -> dict[str, np.ndarray]:
    """Columns of a query over node ids (``$ids``, in batches), in the order of ``ids``."""
    out: dict[str, list[int]] = {c: [] for c in columns}
    for start in range(0, len(ids), batch):
        chunk = [int(i) for i in ids[start : start + batch]]
        record = graph.read(name, ids=chunk, **params)[0]
        got = dict(zip(record["ids"], zip(*(record[c] for c in columns), strict=True),
                       strict=True))
        for k, c in enumerate(columns):
            out[c].extend(got[i][k] for i in chunk)
    return {c: np.asarray(v, dtype=np.int64) for c, v in out.items()}


def entity_uids(graph: Graph, ids: Iterable[int]) -> dict[int, str]:
    """The uid of each entity node id given."""
    wanted = sorted({int(i) for i in ids if i >= 0})
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 50_000):
        record = graph.read("detect_entity_uids", ids=wanted[start : start + 50_000])[0]
        out.update(zip(record["ids"], record["uids"], strict=True))
    return out


def entity_ids(graph: Graph, uids: Iterable[str]) -> dict[str, int]:
    """The node id of each entity uid given that exists in the graph."""
    record = graph.read("detect_entity_ids", uids=sorted(set(uids)))[0]
    return dict(zip(record["uids"], record["ids"], strict=True))


def ip_keys(graph: Graph) -> dict[int, str]:
    """Every IP node id with its key."""
    record = graph.read("detect_ip_keys")[0]
    return dict(zip(record["ids"], record["keys"], strict=True))


def visit_cards(graph: Graph, ids: Iterable[int], since_ms: int | None = None
                ) -> dict[int, int]:
    """Distinct visit cards on the bookings (booked at or after ``since_ms`` when given) of
    each entity node id given."""
    wanted = sorted({int(i) for i in ids if i >= 0})
    out: dict[int, int] = {}
    for start in range(0, len(wanted), 10_000):
        record = graph.read("detect_visit_cards", ids=wanted[start : start + 10_000],
                            since_ms=since_ms)[0]
        out.update(zip(record["ids"], record["cards"], strict=True))
    return out


def registration_keys(graph: Graph, ids: Iterable[int]) -> dict[int, str]:
    """The key (``<hospital>|<registration_id>``) of each registration node id given."""
    wanted = sorted({int(i) for i in ids})
    out: dict[int, str] = {}
    for start in range(0, len(wanted), 50_000):
        record = graph.read("detect_registration_keys", ids=wanted[start : start + 50_000])[0]
        out.update(zip(record["ids"], record["keys"], strict=True))
    return out
