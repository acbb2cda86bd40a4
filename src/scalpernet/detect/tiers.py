"""Tiers: each ring member's role from its position in the ring and its evidence.

Booking flows patient → second level (escort agent) → first level → technician's tool →
hospital, and the roles are read off that flow, never off the entity kind alone:

* **technician**: an IP, device or account that booked for several customers, or at machine
  speed: the grabbing tool's servers, proxies, emulators and bot accounts.
* **first_level**: the hub of the customer pipeline: a payer paying for customers of several
  agents (or customers without agent); a contact phone spanning several agents' customers;
  an escort agent whose own phone is such a hub (the big scalper posing as an agent).
* **second_level**: an escort agent bringing customers; its own phone; a payer or contact
  phone serving (almost) only one agent's customers.
* **patient**: patients, ID cards, a customer's own phone or payer (one customer), and
  placeholders.
* **none**: an entity in the ring that mostly lives outside it (involvement below the
  threshold), e.g. an honest patient's own phone pulled in.

A payer used for a single customer is that customer's (role patient), whatever its kind.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from scalpernet.detect.params import DetectParams
from scalpernet.detect.rings import Rings
from scalpernet.detect.signals import KINDS, EntitySignals, Incidence

_K = {k: i for i, k in enumerate(KINDS)}
#: A payer is one agent's when at least this share of its ring bookings came via that agent.
ONE_AGENT_SHARE = 0.8
#: Roles from highest tier to lowest (the hierarchy the views draw).
TIER_ORDER = ("technician", "first_level", "second_level", "patient", "none")


@dataclass
class Roles:
    role: np.ndarray  # dense entity -> role name ('' outside rings)
    reason: np.ndarray  # dense entity -> why, in words

    def of(self, index: int) -> str:
        return str(self.role[index])


def _hub_phone(rings: Rings) -> np.ndarray:
    """Contact phones spanning several agents' customers, or the customers without agent."""
    return (rings.contact_customers >= 3) & (
        (rings.contact_agents >= 2) | ((rings.contact_no_agent >= 1)
                                       & (rings.contact_agents <= 1)
                                       & (rings.contact_no_agent
                                          >= 0.2 * rings.contact_customers)))


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

    put(involvement < params.involvement_min,
        "none", "most of its bookings are outside the ring")
    put((kinds == _K["patient"]) | (kinds == _K["id_card"]), "patient", "customer or placeholder")
    tool = np.isin(kinds, [_K["ip"], _K["device"], _K["account"]])
    put(tool & ((rings.customers >= 2) | speedy), "technician",
        "booked for several customers within seconds of release")
    put(tool, "patient", "a customer's own")
    # agents: the big scalper's own phone is the pipeline hub
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
    idx = np.flatnonzero(owned & member & (role == ""))
    for i in idx:
        owner_role = role[rings.owner_agent[i]] or "second_level"
        role[i] = owner_role
        reason[i] = "an escort agent's own phone"
    put(phone & hub_phone, "first_level", "contact phone for several agents' customers")
    put(phone & (rings.contact_customers >= 3), "second_level",
        "contact phone for one agent's customers")
    put(phone, "patient", "a customer's or placeholder's phone")
    payer = kinds == _K["payer"]
    put(payer & (rings.customers <= 1), "patient", "paid for one customer")
    put(payer & (rings.agents >= 1) & (rings.top_agent_share >= ONE_AGENT_SHARE),
        "second_level", "paid for one escort agent's customers")
    put(payer, "first_level", "paid for customers across the pipeline")
    put(np.ones(n, dtype=bool), "none", "no scalping role")
    return Roles(role=role, reason=reason)
