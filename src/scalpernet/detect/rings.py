"""Rings as sets of entities and bookings, and each member's numbers inside its ring.

A ring booking belongs to the ring of its patient (the customer it was made for); a member's
numbers (bookings, customers, agents, speed) count only its own ring's
bookings, so an entity's life outside the ring does not colour its role there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scalpernet.detect.arrays import combine, distinct_per
from scalpernet.detect.networks import AnalysisGraph
from scalpernet.detect.projection import MISSING, SLOTS, Projection
from scalpernet.detect.signals import Incidence, RegistrationSignals

_PATIENT = SLOTS.index("patient")
#: A contact phone given for at least this many customers is a broker's, not a customer's.
BROKER_MIN_CUSTOMERS = 3
_PHONE = SLOTS.index("phone")


@dataclass
class Rings:
    """Ring membership of entities and bookings, plus member statistics inside the ring."""

    count: int
    entity_ring: np.ndarray  # dense entity -> ring (-1 outside every ring)
    booking_ring: np.ndarray  # registration row -> ring (-1 when not a ring booking)
    members: list[np.ndarray]  # ring -> dense entity indices (sorted)
    bookings: list[np.ndarray]  # ring -> registration rows (sorted)
    # per dense entity, counted over its own ring's bookings
    ring_bookings: np.ndarray
    customers: np.ndarray
    agents: np.ndarray
    top_agent_share: np.ndarray
    no_agent: np.ndarray
    quick: np.ndarray
    machine: np.ndarray
    rebooked: np.ndarray  # re-bookings within seconds of a cancellation (occupy and wash)
    auto_paid: np.ndarray  # bookings paid within seconds of being made
    contact_customers: np.ndarray  # as a contact phone: distinct ID numbers
    contact_agents: np.ndarray  # as a contact phone: distinct agents of those bookings
    contact_no_agent: np.ndarray  # as a contact phone: bookings without an agent
    contact_bookings: np.ndarray  # as a contact phone: bookings
    owner_agent: np.ndarray  # as an agent's own phone: that agent (dense index, -1 if none)
    # who brought the customers: contact phones given for several customers ("brokers")
    brokers: np.ndarray  # distinct broker phones on the entity's ring bookings
    top_broker_share: np.ndarray  # share of its ring bookings through its most used broker
    first_ms: np.ndarray  # first and last ring booking (MISSING when unknown)
    last_ms: np.ndarray
    ring_customers: np.ndarray  # ring -> distinct ID numbers booked
    ring_first_ms: np.ndarray  # ring -> first and last booking
    ring_last_ms: np.ndarray
    # each member's ring bookings' times, grouped by member: times[starts[e]:starts[e + 1]]
    times: np.ndarray
    time_starts: np.ndarray
    top_broker: np.ndarray  # the broker phone of top_broker_share (-1 if none)
    top_agent: np.ndarray  # the agent of top_agent_share (-1 if none)


def _most_used(entity: np.ndarray, value: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Each entity's most frequent value (ties: the lowest) and the share of its pairs it
    makes (-1 and 0 for entities without pairs)."""
    top_id = np.full(n, -1, dtype=np.int64)
    share = np.zeros(n)
    if entity.size == 0:
        return top_id, share
    _, idx, counts = np.unique(combine(entity, value), return_index=True, return_counts=True)
    order = np.lexsort((value[idx], -counts, entity[idx]))
    head = order[np.r_[True, entity[idx][order][1:] != entity[idx][order][:-1]]]
    top_id[entity[idx][head]] = value[idx][head]
    share[entity[idx][head]] = counts[head]
    return top_id, share / np.maximum(np.bincount(entity, minlength=n), 1)


def build_rings(proj: Projection, reg: RegistrationSignals, inc: Incidence, ag: AnalysisGraph,
                communities: list[list[int]]) -> Rings:
    """Map communities (analysis-graph vertices) to entities and bookings, and count."""
    n = inc.count
    entity_ring = np.full(n, -1, dtype=np.int64)
    for k, verts in enumerate(communities):
        entity_ring[ag.nodes[np.asarray(verts, dtype=np.int64)]] = k
    pairs = ag.pair_registration
    pe, pr, ps = inc.entity[pairs], inc.registration[pairs], inc.slot[pairs]
    booking_ring = np.full(proj.size, -1, dtype=np.int64)
    # a booking goes with any of its entities' rings first, then its patient's ring wins
    booking_ring[pr] = entity_ring[pe]
    is_patient = ps == _PATIENT
    booking_ring[pr[is_patient]] = entity_ring[pe[is_patient]]
    count = len(communities)
    members = [np.flatnonzero(entity_ring == k) for k in range(count)] if count else []
    ring_rows = np.flatnonzero(booking_ring >= 0)
    by_ring = np.argsort(booking_ring[ring_rows], kind="stable")
    splits = np.searchsorted(booking_ring[ring_rows][by_ring], np.arange(count + 1))
    bookings = [np.sort(ring_rows[by_ring][splits[k]:splits[k + 1]]) for k in range(count)]

    own = entity_ring[pe] == booking_ring[pr]
    e, r, s = pe[own], pr[own], ps[own]
    id_card = proj.entities["id_card"][r]
    agent = proj.entities["escort_agent"][r]
    agent_dense = inc.index_of(agent)
    ring_bookings = np.bincount(e, minlength=n)
    with_agent = agent_dense >= 0
    top_agent, top_share = _most_used(e[with_agent], agent_dense[with_agent], n)
    top_share = top_share * np.bincount(e[with_agent], minlength=n) / np.maximum(
        ring_bookings, 1)
    contact = s == _PHONE
    # an agent's own phone (HAS_PHONE), read off the projection: when the agent also gave it
    # as the contact phone the incidence pair keeps the contact slot only
    owner = np.full(n, -1, dtype=np.int64)
    own_phone = proj.entities["agent_phone"]
    has = own_phone >= 0
    if has.any():
        np.maximum.at(owner, inc.index_of(own_phone[has]),
                      inc.index_of(proj.entities["escort_agent"][has]))
    contact_customers = distinct_per(e[contact], id_card[contact], n)
    # a contact phone given for several customers is a broker's (an agent's, the first
    # level's), not a customer's own
    phone_dense = inc.index_of(proj.entities["phone"][r])
    broker = np.where((phone_dense >= 0) & (contact_customers[np.maximum(phone_dense, 0)]
                                            >= BROKER_MIN_CUSTOMERS), phone_dense, -1)
    via = broker >= 0
    top_id, top_broker = _most_used(e[via], broker[via], n)
    top_broker = top_broker * np.bincount(e[via], minlength=n) / np.maximum(ring_bookings, 1)
    booked = proj.booked_ms[r]
    known = booked != MISSING
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, MISSING, dtype=np.int64)
    np.minimum.at(first, e[known], booked[known])
    np.maximum.at(last, e[known], booked[known])
    first[last == MISSING] = MISSING
    ring_of = booking_ring[ring_rows]
    ring_customers = distinct_per(ring_of, proj.entities["id_card"][ring_rows], count)
    ring_first = np.full(count, np.iinfo(np.int64).max, dtype=np.int64)
    ring_last = np.full(count, MISSING, dtype=np.int64)
    rk = proj.booked_ms[ring_rows] != MISSING
    np.minimum.at(ring_first, ring_of[rk], proj.booked_ms[ring_rows][rk])
    np.maximum.at(ring_last, ring_of[rk], proj.booked_ms[ring_rows][rk])
    ring_first[ring_last == MISSING] = MISSING
    by_time = np.lexsort((booked, e))
    time_starts = np.searchsorted(e[by_time], np.arange(n + 1))
    return Rings(
        count=count, entity_ring=entity_ring, booking_ring=booking_ring, members=members,
        bookings=bookings, ring_bookings=ring_bookings,
        customers=distinct_per(e, id_card, n), agents=distinct_per(e, agent_dense, n),
        top_agent_share=top_share,
        no_agent=np.bincount(e, weights=(~with_agent).astype(float), minlength=n).astype(int),
        quick=np.bincount(e, weights=reg.quick[r].astype(float), minlength=n).astype(int),
        machine=np.bincount(e, weights=reg.machine[r].astype(float), minlength=n).astype(int),
        rebooked=np.bincount(e, weights=reg.wash_rebook[r].astype(float),
                             minlength=n).astype(int),
        auto_paid=np.bincount(e, weights=reg.auto_paid[r].astype(float),
                              minlength=n).astype(int),
        contact_customers=contact_customers,
        contact_bookings=np.bincount(e[contact], minlength=n),
        contact_agents=distinct_per(e[contact], agent_dense[contact], n),
        contact_no_agent=np.bincount(e[contact], weights=(agent_dense[contact] < 0).astype(float),
                                     minlength=n).astype(int),
        owner_agent=owner,
        brokers=distinct_per(e[via], broker[via], n), top_broker_share=top_broker,
        first_ms=first, last_ms=last, ring_customers=ring_customers,
        ring_first_ms=ring_first, ring_last_ms=ring_last,
        times=booked[by_time], time_starts=time_starts, top_broker=top_id,
        top_agent=top_agent,
    )
