"""Signals per registration and per entity, each a number an investigator can check.

Registration level: machine-speed and within-seconds bookings after release, bookings before
release, bookings in a hospital's quiet (maintenance) window, occupy-and-wash pairs (a
cancelled slot re-booked within seconds), placeholder identities (invalid ID number, junk
name) and virtual phones.

Entity level (every IP, device, account, payer, escort agent, phone, patient, ID card):
bookings, distinct ID numbers and patients, the most ID numbers in one day, distinct visit
cards, agents and hospitals, and how many of those bookings carry each registration signal.
A *trigger* is a channel that booked for many people at machine speed, washed slots or
booked placeholders; a *damp* identifier has a huge reach at human speed (hospital Wi-Fi,
carrier NAT, kiosks, a company's desk) or is allow-listed: it never links a ring. A *shared*
trigger is both: a tool hiding among many honest people (behind a carrier NAT address): its
suspicious bookings are the ring's, the rest are not, and it links nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from scalpernet.detect.arrays import combine, dense_index, distinct_per, distinct_per_group
from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import MISSING, SLOT_KINDS, SLOTS, PayerHistory, Projection

DAY_MS = 86_400_000
YEAR_MS = 365 * DAY_MS
#: Slots whose entity books, pays or brokers: the channels a bot or a scalper controls.
CHANNEL_SLOTS = ("ip", "device", "account", "payer", "escort_agent", "phone", "agent_phone")
_CHANNEL_SLOT_CODES = np.asarray([SLOTS.index(s) for s in CHANNEL_SLOTS], dtype=np.int8)
#: Width of the bins of the day used to find each hospital's quiet window (minutes).
_QUIET_BIN = 10


@dataclass
class RegistrationSignals:
    """Boolean columns over the projection's registrations."""

    machine: np.ndarray
    quick: np.ndarray
    before_release: np.ndarray
    quiet_window: np.ndarray
    wash_cancel: np.ndarray
    wash_rebook: np.ndarray
    placeholder: np.ndarray
    virtual_phone: np.ndarray
    cancelled: np.ndarray
    slot_group: np.ndarray  # (hospital, doctor, slot time) as one integer
    wash_pairs: np.ndarray  # (cancelled row, re-booking row) of each occupy-and-wash pair
    auto_paid: np.ndarray  # paid within seconds of booking: no hand confirms a payment so fast

    @cached_property
    def wash(self) -> np.ndarray:
        return self.wash_cancel | self.wash_rebook

    @cached_property
    def suspicious(self) -> np.ndarray:
        """Bookings that carry a signal of their own: a tool's or a scalper's hand."""
        return (self.quick | self.wash | self.placeholder | self.before_release
                | self.quiet_window)


@dataclass
class Incidence:
    """Entity-registration pairs over every slot (deduplicated), entities densely indexed."""

    node_ids: np.ndarray  # dense index -> node id (sorted)
    kinds: np.ndarray  # dense index -> kind code (index into KINDS)
    entity: np.ndarray  # pair -> dense entity index
    registration: np.ndarray  # pair -> registration row
    slot: np.ndarray  # pair -> slot code (index into SLOTS)

    @property
    def count(self) -> int:
        return int(self.node_ids.shape[0])

    def index_of(self, node_ids: np.ndarray) -> np.ndarray:
        """Dense index of node ids (-1 for ids that are not entities of the projection)."""
        if self.count == 0:
            return np.full(node_ids.shape, -1, dtype=np.int64)
        pos = np.clip(np.searchsorted(self.node_ids, node_ids), 0, self.count - 1)
        return np.where(self.node_ids[pos] == node_ids, pos, -1)


KINDS: tuple[str, ...] = ("patient", "id_card", "phone", "ip", "device", "account", "payer",
                          "escort_agent")
_KIND_CODE = {k: i for i, k in enumerate(KINDS)}


@dataclass
class EntitySignals:
    """Per-entity counts (dense arrays over :class:`Incidence` entities)."""

    bookings: np.ndarray
    machine: np.ndarray
    quick: np.ndarray
    before_release: np.ndarray
    quiet_window: np.ndarray
    washes: np.ndarray
    placeholders: np.ndarray
    invalid_ids: np.ndarray
    junk_names: np.ndarray
    virtual_phones: np.ndarray
    id_numbers: np.ndarray
    quick_id_numbers: np.ndarray
    patients: np.ndarray
    max_ids_per_day: np.ndarray
    agents: np.ndarray
    hospitals: np.ndarray
    first_ms: np.ndarray  # first and last booking: payers only (their yearly volume)
    last_ms: np.ndarray
    yearly: np.ndarray  # bookings a year over the active span (at least 30 days)
    trigger: np.ndarray
    damp: np.ndarray
    allowlisted: np.ndarray
    #: Triggered but shared with many honest people (a tool behind carrier NAT): only its
    #: suspicious bookings are the ring's, and it links nothing (it is damp as well).
    shared: np.ndarray

    def quick_share(self) -> np.ndarray:
        return self.quick / np.maximum(self.bookings, 1)


def registration_signals(proj: Projection, params: DetectParams) -> RegistrationSignals:
    """The per-booking signals."""
    lat = proj.latency_ms
    known = lat != MISSING
    machine = known & (lat >= 0) & (lat < params.machine_ms)
    quick = known & (lat >= 0) & (lat < params.quick_ms)
    before = known & (lat < 0)
    cancelled = proj.cancelled
    group = _slot_groups(proj)
    wash_cancel, wash_rebook, pairs = _occupy_and_wash(proj, group, cancelled, params.wash_ms)
    return RegistrationSignals(
        machine=machine, quick=quick, before_release=before,
        quiet_window=_quiet_window(proj, quick), wash_cancel=wash_cancel,
        wash_rebook=wash_rebook, placeholder=proj.junk_name | ~proj.id_valid,
        virtual_phone=proj.virtual_phone, cancelled=cancelled, slot_group=group,
        wash_pairs=pairs, auto_paid=_auto_paid(proj, params.auto_pay_ms),
    )


def _auto_paid(proj: Projection, within_ms: int) -> np.ndarray:
    known = (proj.paid_ms != MISSING) & (proj.booked_ms != MISSING)
    delay = proj.paid_ms - proj.booked_ms
    return known & (delay >= 0) & (delay < within_ms)


def _slot_groups(proj: Projection) -> np.ndarray:
    """One integer per (hospital, doctor, slot time): the slot a booking takes."""
    if proj.size == 0:
        return np.zeros(0, dtype=np.int64)
    slot = proj.slot_ms
    minute = np.where(slot == MISSING, -1, (slot - slot[slot != MISSING].min(initial=0)) // 60_000)
    key = combine(proj.codes["hospital"], proj.codes["doctor"], minute)
    _, group = np.unique(key, return_inverse=True)
    return group.reshape(-1).astype(np.int64)


def _occupy_and_wash(proj: Projection, group: np.ndarray, cancelled: np.ndarray,
                     wash_ms: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cancelled bookings whose slot was booked again within ``wash_ms``, those re-bookings,
    and the (cancelled, re-booking) row pairs."""
    n = proj.size
    wash_cancel = np.zeros(n, dtype=bool)
    wash_rebook = np.zeros(n, dtype=bool)
    no_pairs = np.zeros((0, 2), dtype=np.int64)
    if n == 0:
        return wash_cancel, wash_rebook, no_pairs
    booked = proj.booked_ms
    base = int(booked[booked != MISSING].min()) if (booked != MISSING).any() else 0
    span = 1 << 40  # ~35 years of milliseconds: a group's times never reach the next group
    rel = np.where(booked == MISSING, span - 1, booked - base)
    key = group * span + np.clip(rel, 0, span - 1)
    order = np.argsort(key, kind="stable")
    sorted_key = key[order]
    cand = np.flatnonzero(cancelled & (proj.cancelled_ms != MISSING))
    if cand.size == 0:
        return wash_cancel, wash_rebook, no_pairs
    c_rel = np.clip(proj.cancelled_ms[cand] - base, 0, span - 1)
    lo = np.searchsorted(sorted_key, group[cand] * span + c_rel, side="left")
    hi = np.searchsorted(sorted_key, group[cand] * span + np.clip(c_rel + wash_ms, 0, span - 1),
                         side="right")
    # the first booking of the same slot at or after the cancellation, not the cancelled one
    pairs = [no_pairs]
    for step in range(3):
        pos = lo + step
        ok = pos < hi
        if not ok.any():
            break
        idx = order[np.minimum(pos, n - 1)]
        hit = ok & (idx != cand)
        wash_cancel[cand[hit]] = True
        wash_rebook[idx[hit]] = True
        pairs.append(np.stack([cand[hit], idx[hit]], axis=1))
    return wash_cancel, wash_rebook, np.concatenate(pairs)


def _quiet_window(proj: Projection, quick: np.ndarray) -> np.ndarray:
    """Bookings made while their hospital's human traffic is (almost) nil: maintenance hours.

    Each hospital's quiet bins are learned from its human-speed bookings: a 10-minute bin of
    the day holding under 2% of the hospital's average bin is taken as closed.
    """
    n = proj.size
    out = np.zeros(n, dtype=bool)
    minute = proj.booked_minute
    valid = (minute >= 0) & (proj.codes["hospital"] >= 0)
    if not valid.any():
        return out
    hospitals = np.where(valid, proj.codes["hospital"], 0)
    bins = np.where(valid, minute // _QUIET_BIN, 0)
    nbins = 24 * 60 // _QUIET_BIN
    human = valid & ~quick
    counts = np.zeros((len(proj.vocab["hospital"]), nbins), dtype=np.int64)
    np.add.at(counts, (hospitals[human], bins[human]), 1)
    mean = counts.sum(axis=1, keepdims=True) / nbins
    # too little traffic to tell when a hospital is closed: no quiet window
    quiet = (counts < 0.02 * mean) & (counts.sum(axis=1, keepdims=True) >= 50 * nbins)
    out = valid & quiet[hospitals, bins]
    return out


def build_incidence(proj: Projection) -> Incidence:
    """Every (entity, registration) pair of the projection."""
    ents, regs, slots = [], [], []
    for code, slot in enumerate(SLOTS):
        col = proj.entities[slot]
        if slot == "agent_phone":
            # one pair per (entity, booking): an agent's own phone given as the contact
            # phone is already there
            rows = np.flatnonzero((col >= 0) & (col != proj.entities["phone"]))
        else:
            rows = np.flatnonzero(col >= 0)
        ents.append(col[rows])
        regs.append(rows)
        slots.append(np.full(rows.shape, code, dtype=np.int8))
    ent = np.concatenate(ents) if ents else np.zeros(0, dtype=np.int64)
    reg = np.concatenate(regs) if regs else np.zeros(0, dtype=np.int64)
    slot = np.concatenate(slots) if slots else np.zeros(0, dtype=np.int8)
    node_ids, dense = dense_index(ent)
    kinds = np.zeros(node_ids.shape[0], dtype=np.int8)
    kind_codes = np.asarray([_KIND_CODE[SLOT_KINDS[s]] for s in SLOTS], dtype=np.int8)
    kinds[dense] = kind_codes[slot]
    return Incidence(node_ids=node_ids, kinds=kinds, entity=dense, registration=reg, slot=slot)


def entity_signals(proj: Projection, reg: RegistrationSignals, inc: Incidence,
                   params: DetectParams, allowlisted: np.ndarray,
                   history: PayerHistory | None = None) -> EntitySignals:
    """Counts per entity, then which channels trigger and which identifiers are damp.

    ``history``: the payers' whole history when the projection is a window; their yearly
    volume (and first and last booking) then come from it, every other count from the
    window."""
    n = inc.count
    e, r = inc.entity, inc.registration

    def count(flag: np.ndarray) -> np.ndarray:
        return np.bincount(e, weights=flag[r].astype(np.float64), minlength=n).astype(np.int64)

    bookings = np.bincount(e, minlength=n)
    id_card = proj.entities["id_card"][r]
    # reach (distinct people, cards, days) matters for channels only: patients and ID cards
    # are their own people
    ch = np.isin(inc.slot, _CHANNEL_SLOT_CODES)
    ec, rc, idc = e[ch], r[ch], id_card[ch]
    booked = proj.booked_ms[rc]
    day = np.where(booked == MISSING, -1, booked // DAY_MS)
    # first and last booking: for the yearly volume of payers
    pay = (inc.slot == SLOTS.index("payer")) & (proj.booked_ms[r] != MISSING)
    first = np.zeros(n, dtype=np.int64)
    last = np.zeros(n, dtype=np.int64)
    if pay.any():
        first[:] = np.iinfo(np.int64).max
        np.minimum.at(first, e[pay], proj.booked_ms[r[pay]])
        np.maximum.at(last, e[pay], proj.booked_ms[r[pay]])
        first = np.where(last > 0, first, 0)
    volume = bookings
    if history is not None:
        volume, first, last = _whole_history(inc, history, bookings, first, last)
    sig = EntitySignals(
        bookings=bookings, machine=count(reg.machine), quick=count(reg.quick),
        before_release=count(reg.before_release), quiet_window=count(reg.quiet_window),
        washes=count(reg.wash), placeholders=count(reg.placeholder),
        invalid_ids=count(~proj.id_valid), junk_names=count(proj.junk_name),
        virtual_phones=count(reg.virtual_phone), id_numbers=distinct_per(ec, idc, n),
        quick_id_numbers=distinct_per(ec, idc, n, reg.quick[rc]),
        patients=distinct_per(ec, proj.entities["patient"][rc], n),
        max_ids_per_day=distinct_per_group(ec, day, idc, n),
        agents=distinct_per(ec, proj.entities["escort_agent"][rc], n),
        hospitals=distinct_per(ec, proj.codes["hospital"][rc], n),
        first_ms=first, last_ms=last,
        yearly=volume * (YEAR_MS / np.maximum(last - first, 30 * DAY_MS).astype(np.float64)),
        trigger=np.zeros(n, dtype=bool),
        damp=np.zeros(n, dtype=bool), allowlisted=allowlisted,
        shared=np.zeros(n, dtype=bool),
    )
    placeholder_ids = distinct_per(ec, idc, n, reg.placeholder[rc])
    wash_slots = distinct_per(ec, reg.slot_group[rc], n, reg.wash[rc])
    share = sig.quick_share()
    channel = np.isin(inc.kinds, [_KIND_CODE[k] for k in ("phone", "ip", "device", "account",
                                                          "payer", "escort_agent")])
    sig.damp = channel & (allowlisted | (
        (sig.id_numbers >= params.damp_min_ids) & (share <= params.damp_max_quick_share)))
    sig.trigger = channel & ~sig.damp & (
        ((sig.quick_id_numbers >= params.trigger_quick_ids)
         & (share >= params.trigger_quick_share))
        | ((wash_slots >= params.trigger_washes)
           & (sig.washes >= params.trigger_wash_share * sig.bookings))
        | ((placeholder_ids >= params.trigger_placeholders)
           & (share >= params.trigger_placeholder_quick_share))
        | (sig.before_release >= params.trigger_before_release))
    # shared: many people at human speed besides the tool (a carrier NAT address)
    human = ~reg.suspicious[rc]
    human_ids = distinct_per(ec, idc, n, human)
    human_bookings = np.bincount(ec, weights=human.astype(np.float64), minlength=n)
    sig.shared = sig.trigger & (human_ids >= params.damp_min_ids) & (
        human_bookings >= params.shared_min_human_share * sig.bookings)
    sig.damp |= sig.shared
    return sig


def _whole_history(inc: Incidence, history: PayerHistory, bookings: np.ndarray,
                   first: np.ndarray, last: np.ndarray,
                   ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bookings, first and last booking per entity with the payers' taken from their whole
    history (the others unchanged)."""
    volume, first, last = bookings.copy(), first.copy(), last.copy()
    dense = inc.index_of(history.ids)
    ok = (dense >= 0) & (inc.kinds[np.maximum(dense, 0)] == _KIND_CODE["payer"])
    dense = dense[ok]
    volume[dense] = history.bookings[ok]
    known = history.last_ms[ok] != MISSING
    first[dense[known]] = history.first_ms[ok][known]
    last[dense[known]] = history.last_ms[ok][known]
    return volume, first, last
