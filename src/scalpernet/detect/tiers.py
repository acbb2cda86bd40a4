"""Tiers: each ring member's role from its place in the ring's booking flow and its evidence.

Booking flows patient → second level (the broker who brought the customer) → first level (the
money and the pipeline) → technician's tool → hospital. Roles are read off that flow, counted
over the ring's own bookings, and hold whatever columns the export carries:

* **technician**: the tool's addresses and devices (ring bookings mostly machine-made: within
  seconds of release, or of the cancellation they re-booked, or for several customers); app
  accounts that booked for several customers (bot accounts); a payment account that paid the
  ring's bookings first and stopped when the money moved to other hub accounts (the
  technician paying in advance).
* **first_level**: the hub of the money and the pipeline: a payment account paying for the
  customers of several brokers (or with no broker at all); a contact phone spanning several
  escort agents' customers, or bringing most of the ring's customers; an escort agent whose
  own phone is such a hub (the big scalper posing as an agent).
* **second_level**: a broker serving one group of customers: an escort agent; its own phone;
  a contact phone given for several customers (with or without an agent column); a payment
  account paying (almost) only one broker's customers, or, when no broker is written, paying
  at once for a small group beside the ring's main accounts.
* **patient**: patients, ID cards, placeholders, and what one customer owns: a phone given for
  at most two customers, a payer paying for one, an app account booked for one (even when the
  tool booked through it: the account is the customer's, the tool only used it), an address
  or device used for one customer at human speed.
* **none**: a member that mostly lives outside the ring (involvement below the threshold),
  e.g. an honest patient's own phone given once on a gang booking.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scalpernet.detect.params import DetectParams
from scalpernet.detect.projection import MISSING
from scalpernet.detect.rings import BROKER_MIN_CUSTOMERS, Rings
from scalpernet.detect.signals import KINDS, EntitySignals, Incidence

_K = {k: i for i, k in enumerate(KINDS)}
#: A payer or phone is one broker's when at least this share of its ring bookings came
#: through that broker (agent or broker phone).
ONE_BROKER_SHARE = 0.8
#: A contact phone bringing at least this share of its ring's customers is the pipeline.
PIPELINE_SHARE = 0.5
#: An agent's phone given without its agent on this share of its bookings, the other agents'
#: at most half as often, brings the first level's own customers.
UNWRITTEN_SHARE = 0.2
#: A hub payer that stopped paying before this share of the ring's span had passed, while
#: other hub accounts paid on to its end, paid in advance: the technician's ...
ADVANCE_END_SHARE = 0.55
#: ... when the others paid on at least this fast, against their pace while it paid.
ADVANCE_PACE = 0.75
#: A payer paying at once for several customers, but for less than this share of the
#: bookings its ring's busiest account paid, pays for one group beside the hub's accounts:
#: a second-level scalper's own account (seen only by its volume when neither agents nor
#: their phones are written).
GROUP_PAYER_SHARE = 0.25
GROUP_PAYER_REASON = ("paid at once for a small group of the ring's customers, beside its main "
                      "accounts")
#: Roles from highest tier to lowest (the hierarchy the views draw).
TIER_ORDER = ("technician", "first_level", "second_level", "patient", "none")


@dataclass
class Roles:
    role: np.ndarray  # dense entity -> role name ('' outside rings)
    reason: np.ndarray  # dense entity -> why, in words

    def of(self, index: int) -> str:
        return str(self.role[index])


def _hub_phone(rings: Rings) -> np.ndarray:
    """Contact phones spanning several agents' customers, bringing most of the ring's, or
    alone in bringing the customers no agent is written for.

    Customers without an agent are the first level's own; when one agent's phone takes them
    while the other agents' phones come with their agent written, that agent is the big
    scalper posing as one. When every agent's phone comes without its agent now and then, the
    export merely leaves the column blank at times: nobody stands out.
    """
    broker = rings.contact_customers >= BROKER_MIN_CUSTOMERS
    ring = np.maximum(rings.entity_ring, 0)
    spans = (rings.contact_agents >= 2) & (rings.top_agent_share < ONE_BROKER_SHARE)
    pipeline = ((rings.contact_customers >= PIPELINE_SHARE * rings.ring_customers[ring])
                & (rings.contact_agents <= 1) & (rings.top_agent_share < ONE_BROKER_SHARE)
                if rings.count else np.zeros(ring.shape, dtype=bool))
    unwritten = rings.contact_no_agent / np.maximum(rings.contact_bookings, 1)
    tied = broker & (rings.contact_agents == 1) & (rings.entity_ring >= 0)
    alone = np.zeros(ring.shape, dtype=bool)
    for k in np.unique(rings.entity_ring[tied]):
        phones = np.flatnonzero(tied & (rings.entity_ring == k))
        lead = phones[np.argmax(unwritten[phones])]
        others = unwritten[phones[phones != lead]]
        if unwritten[lead] >= UNWRITTEN_SHARE and (
                others.size == 0 or float(np.median(others)) <= UNWRITTEN_SHARE / 2):
            alone[lead] = True
    return broker & (spans | pipeline | alone)


def _paid_in_advance(hub: np.ndarray, rings: Rings) -> np.ndarray:
    """Hub payers that paid first and stopped while the money moved to other hub accounts.

    A payer stopped at the time by which it had made 90% of its ring bookings. It paid in
    advance when that came before ``ADVANCE_END_SHARE`` of the ring's span, the other hub
    accounts paid on into the ring's last tenth, and their pace after it stopped was at least
    ``ADVANCE_PACE`` times their pace while it paid: the money kept flowing, through them.
    (The first level's accounts pay side by side to the end of the ring's bookings.)
    """
    out = np.zeros(hub.shape, dtype=bool)
    for k in range(rings.count):
        t0, t1 = int(rings.ring_first_ms[k]), int(rings.ring_last_ms[k])
        if t0 == MISSING or t1 <= t0:
            continue
        members = rings.members[k]
        hubs = members[hub[members]]
        if hubs.size < 2:
            continue
        times = {int(h): _known(rings.times[rings.time_starts[h]:rings.time_starts[h + 1]])
                 for h in hubs}
        for h, t in times.items():
            if t.size < 3:
                continue
            stop = float(np.quantile(t, 0.9))
            others = np.concatenate([u for o, u in times.items() if o != h])
            if (stop > t0 + ADVANCE_END_SHARE * (t1 - t0) or others.size == 0
                    or others.max() < t0 + 0.9 * (t1 - t0)):
                continue
            before = (others <= stop).sum() / max(stop - t0, 1.0)
            after = (others > stop).sum() / max(t1 - stop, 1.0)
            if after >= ADVANCE_PACE * before:
                out[h] = True
    return out


def _group_payers(payers: np.ndarray, rings: Rings) -> np.ndarray:
    """Payers whose ring bookings are under ``GROUP_PAYER_SHARE`` of the ring's busiest
    payer's (the busiest counted over every payer of the ring still unassigned)."""
    busiest = np.zeros(max(rings.count, 1), dtype=np.int64)
    idx = np.flatnonzero(payers)
    np.maximum.at(busiest, rings.entity_ring[idx], rings.ring_bookings[idx])
    out = np.zeros(payers.shape, dtype=bool)
    out[idx] = rings.ring_bookings[idx] < GROUP_PAYER_SHARE * busiest[rings.entity_ring[idx]]
    return out


def _known(times: np.ndarray) -> np.ndarray:
    return times[times != MISSING]


def assign_roles(inc: Incidence, sig: EntitySignals, rings: Rings,
                 params: DetectParams) -> Roles:
    """Roles for every ring member (dense entity arrays; non-members get '')."""
    n = inc.count
    role = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    member = rings.entity_ring >= 0
    kinds = inc.kinds
    involvement = rings.ring_bookings / np.maximum(sig.bookings, 1)
    # machine-made: within seconds of release, or of the cancellation it re-booked
    speedy = rings.quick + rings.rebooked >= 0.5 * np.maximum(rings.ring_bookings, 1)
    hub_phone = _hub_phone(rings)

    def put(mask: np.ndarray, name: str, why: str) -> None:
        todo = mask & member & (role == "")
        role[todo] = name
        reason[todo] = why

    put(sig.shared, "none", "shared with many honest people: the tool hid behind it")
    put(involvement < params.involvement_min,
        "none", "most of its bookings are outside the ring")
    put(kinds == _K["patient"], "patient", "a customer or placeholder the ring booked for")
    put(kinds == _K["id_card"], "patient", "the ID number of a customer or placeholder")
    # the tool: addresses and devices it books from, app accounts it books for many through
    machine = np.isin(kinds, [_K["ip"], _K["device"]])
    put(machine & (rings.customers >= 2), "technician",
        "booked for several customers: the grabbing tool's address or device")
    put(machine & speedy, "technician",
        "booked within seconds of release: the grabbing tool's address or device")
    put(machine, "patient", "a customer's own address or device, at human speed")
    account = kinds == _K["account"]
    put(account & (rings.customers >= 2), "technician",
        "an app account that booked for several customers: the tool's")
    put(account & speedy & (sig.placeholders >= np.maximum(sig.bookings, 1)), "technician",
        "an app account that booked only for placeholder identities: the tool's")
    put(account & speedy, "patient",
        "a customer's own app account, booked through by the grabbing tool")
    put(account, "patient", "a customer's own app account")
    # escort agents: the big scalper's own phone is the pipeline's hub
    agent = kinds == _K["escort_agent"]
    phone_of_agent = np.full(n, -1, dtype=np.int64)
    own = np.flatnonzero(rings.owner_agent >= 0)
    phone_of_agent[rings.owner_agent[own]] = own
    agent_hub = np.zeros(n, dtype=bool)
    has_phone = phone_of_agent >= 0
    agent_hub[has_phone] = hub_phone[phone_of_agent[has_phone]]
    put(agent & agent_hub, "first_level", "escort agent whose phone is the pipeline's hub")
    put(agent, "second_level", "escort agent bringing customers")
    phone = kinds == _K["phone"]
    owned = phone & (rings.owner_agent >= 0)
    for i in np.flatnonzero(owned & member & (role == "")):
        role[i] = role[rings.owner_agent[i]] or "second_level"
        reason[i] = "an escort agent's own phone"
    put(phone & hub_phone, "first_level",
        "contact phone for several agents' customers, or for most of the ring's")
    put(phone & (rings.contact_customers >= BROKER_MIN_CUSTOMERS), "second_level",
        "contact phone for one broker's customers")
    put(phone, "patient", "a customer's or placeholder's own phone")
    payer = kinds == _K["payer"]
    # a customer pays by hand, minutes after booking; the gang's accounts pay at once
    auto = rings.auto_paid >= 0.5 * np.maximum(rings.ring_bookings, 1)
    put(payer & (rings.customers <= 1) & auto, "second_level",
        "paid for one customer within seconds of booking: a scalper's account")
    put(payer & (rings.customers <= 1), "patient", "paid for one customer")
    one_agent = (rings.agents >= 1) & (rings.top_agent_share >= ONE_BROKER_SHARE)
    # one broker's: not the hub's (a payer paying through the first level's phone only)
    top = np.maximum(rings.top_broker, 0)
    one_broker = ((rings.brokers >= 1) & (rings.top_broker_share >= ONE_BROKER_SHARE)
                  & (rings.agents == 0) & (rings.top_broker >= 0)
                  & (role[top] == "second_level"))
    put(payer & (one_agent | one_broker), "second_level", "paid for one broker's customers")
    put(_group_payers(payer & member & (role == ""), rings) & auto, "second_level",
        GROUP_PAYER_REASON)
    hub = payer & member & (role == "")
    put(_paid_in_advance(hub, rings), "technician",
        "paid the ring's bookings first, until the money moved to other accounts")
    put(payer, "first_level", "paid for customers across the pipeline")
    put(np.ones(n, dtype=bool), "none", "no scalping role")
    return Roles(role=role, reason=reason)
