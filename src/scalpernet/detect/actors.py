"""Actors: the people behind a ring's identifiers, and the ring as a tree of people.

Inside each ring, the identifiers one person controls are grouped, from the booking flow and
the direct links, with the reason for every grouping:

* a **patient** (customer or placeholder): the ID card, the patient records under it, and what
  only that customer used — the phone given for them alone, the payer that paid only for them,
  their own app account (marked *operated by the tool* when the tool booked through it: the
  tool's fingerprint, not the technician's identity), an address or device used only for them
  at human speed;
* a **second-level** scalper: an escort agent with its own phone, the contact phones given for
  its customers and the payer paying for them; with no agent column, a broker's phone and the
  payer paying through it; a payer read as a hub that is one scalper's own account, tied to
  his broker (:func:`_own_payers`) or one of many small accounts behind a few big ones
  (:func:`_small_hubs`), which takes the scalper's role;
* the **first level**: every first-level identifier of the ring (the money hub's accounts, its
  phone, the agent identity it poses as), and a broker phone several second-level scalpers'
  own accounts paid through beside the hub's (:func:`_first_level_phones`);
* the **technician**: every technician identifier (the tool's servers, proxies, devices, bot
  accounts, and the account it paid from in advance).

An identifier several customers used (a family's phone) stays with each of them, flagged as
shared. Members with role ``none`` belong to no actor. The tree: technician → first level →
second levels → patients, each patient under the second level that brought most of its
bookings (the first level when none did), each link with the bookings and payments behind it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from scalpernet.detect.projection import MISSING, Projection
from scalpernet.detect.rings import Rings
from scalpernet.detect.signals import KINDS, Incidence, RegistrationSignals
from scalpernet.detect.tiers import GROUP_PAYER_REASON, Roles

_K = {k: i for i, k in enumerate(KINDS)}
#: Slots that name a channel of the booking (an agent's own phone is the agent's: HAS_PHONE).
_CHANNEL_SLOTS = ("phone", "ip", "device", "account", "payer", "escort_agent")
#: A payer is one second-level scalper's own account when this share of its bookings that
#: name a second level name that one (:func:`_own_payers`) ...
OWN_PAYER_SHARE = 0.8
#: ... over at least this many bookings ...
OWN_PAYER_MIN = 2
#: ... and it paid this share of that scalper's paid bookings.
OWN_PAYER_PAID = 0.5
OWN_PAYER_REASON = ("paid for one second-level scalper's customers, most of those he brought: "
                    "his own account")
#: A broker phone (no agent) is the first level's when the first level's accounts paid at
#: least this share of its ring bookings ...
FIRST_PHONE_PAID = 0.5
#: ... and this many second-level scalpers' own accounts (each paying for several customers)
#: paid for others of them: it is the contact for several scalpers' customers, as the
#: first level's phone is when the scalpers pay for their own.
FIRST_PHONE_SCALPERS = 2
FIRST_PHONE_REASON = ("contact phone mostly paid for by the first level's accounts, and by "
                      "several second-level scalpers' own: the first level's")
#: The first level's accounts are a few (:func:`_small_hubs`) ...
FEW_HUBS = 3
#: ... leading the second-level scalpers' by this factor in customers ...
HUB_GAP = 2.0
#: ... the smallest of them paying at least this many customers ...
HUB_MIN_CUSTOMERS = 10
#: ... and the scalpers' accounts are many.
MANY_SMALL = 3
SMALL_HUB_REASON = ("one of many accounts each paying its own customers, far fewer than the "
                    "few hub accounts: a second-level scalper's own")
#: Actor tiers from the top of the tree down.
ACTOR_TIERS = ("technician", "first_level", "second_level", "patient")


@dataclass
class ActorDraft:
    """One person of a ring, before ids are given."""

    role: str
    members: list[int]  # dense entity indices, the anchor first
    shared: set[int] = field(default_factory=set)  # members another actor uses too
    operated: set[int] = field(default_factory=set)  # the customer's accounts the tool used
    parent: int = -1  # index of the actor above in the ring's list (-1: the root)
    evidence: dict[str, float | int | str | None] = field(default_factory=dict)
    link: dict[str, int] = field(default_factory=dict)  # bookings and payments with the parent

    @property
    def anchor(self) -> int:
        return self.members[0]


@dataclass
class _Ring:
    """A ring's bookings with the dense member of each slot (-1: none or not a member)."""

    rows: np.ndarray
    cols: dict[str, np.ndarray]


def _ring_columns(k: int, proj: Projection, inc: Incidence, rings: Rings) -> _Ring:
    rows = rings.bookings[k]
    cols = {}
    for slot in ("patient", "id_card", *_CHANNEL_SLOTS):
        dense = inc.index_of(proj.entities[slot][rows])
        ok = dense >= 0
        ok[ok] = rings.entity_ring[dense[ok]] == k
        cols[slot] = np.where(ok, dense, -1)
    return _Ring(rows, cols)


def resolve_actors(k: int, proj: Projection, reg: RegistrationSignals, inc: Incidence,
                   rings: Rings, roles: Roles) -> list[ActorDraft]:
    """The people of ring ``k``: technician, first level, second levels, then patients (by
    ID card order), each with its identifiers, evidence and parent.

    A hub or advance payer found to be one second-level scalper's own account
    (:func:`_own_payers`) joins that scalper and takes its role: ``roles`` is updated, with
    the reason, so the members say what their actors say; so does a broker phone found to
    be the first level's (:func:`_first_level_phones`), the second levels drawn again
    without it."""
    ring = _ring_columns(k, proj, inc, rings)
    members = rings.members[k]
    role = {int(m): roles.of(int(m)) for m in members}
    strength = rings.ring_bookings

    def by_strength(ids: list[int]) -> list[int]:
        return sorted(ids, key=lambda i: (-int(strength[i]), i))

    def unit_for(m: int) -> int | None:
        for agent in (int(rings.owner_agent[m]), int(rings.top_agent[m])):
            if agent in unit_of:
                return unit_of[agent]
        return None

    drawn = {m: (r, roles.reason[m]) for m, r in role.items()}  # the tiers' reading
    while True:
        for m, (r, why) in drawn.items():  # each round moves payers afresh
            if role[m] != r:
                roles.role[m], roles.reason[m], role[m] = r, why, r
        # second level: one person per escort agent, or per broker phone with no agent
        units: list[list[int]] = []
        unit_of: dict[int, int] = {}
        seconds = [m for m, r in role.items() if r == "second_level"]
        for a in by_strength([m for m in seconds if inc.kinds[m] == _K["escort_agent"]]):
            unit_of[a] = len(units)
            units.append([a])
        for p in by_strength([m for m in seconds if inc.kinds[m] == _K["phone"]]):
            u = unit_for(p)
            if u is None:
                u = len(units)
                units.append([])
            units[u].append(p)
            unit_of[p] = u
        brokered = _booking_units(ring, unit_of)
        own = _own_payers(ring, brokered, role, inc, by_strength)
        for reason, moved in ((OWN_PAYER_REASON, own),
                              (SMALL_HUB_REASON, _small_hubs(role, inc, rings, own, {
                                  m for m in role if roles.reason[m] == GROUP_PAYER_REASON}))):
            for m in moved:
                if role[m] != "second_level":
                    roles.role[m] = role[m] = "second_level"
                    roles.reason[m] = reason
        # the scalpers' own accounts known, a broker phone several of them paid through is
        # the first level's: the units are drawn again without it
        hub_phones = _first_level_phones(ring, role, inc, rings)
        if not hub_phones:
            break
        for p in hub_phones:
            drawn[p] = ("first_level", FIRST_PHONE_REASON)
    for m in by_strength([m for m in role if role[m] == "second_level" and m not in unit_of]):
        u = own.get(m, unit_for(m))
        broker = int(rings.top_broker[m])
        if u is None and broker in unit_of:
            u = unit_of[broker]
        if u is None:  # a second-level payer whose broker is not in the ring: its own person
            u = len(units)
            units.append([])
        units[u].append(m)
        unit_of[m] = u
    actors: list[ActorDraft] = []
    for tier in ("technician", "first_level"):
        ids = [m for m, r in role.items() if r == tier]
        if ids:
            actors.append(ActorDraft(tier, by_strength(ids)))
    offset = len(actors)
    actors.extend(ActorDraft("second_level", ids) for ids in units)
    unit_of = {m: u + offset for m, u in unit_of.items()}
    _patients(ring, inc, rings, role, actors)
    _tree(ring, actors, unit_of, inc)
    _evidence(ring, proj, reg, actors)
    return actors


def _first_level_phones(ring: _Ring, role: dict[int, str], inc: Incidence,
                        rings: Rings) -> list[int]:
    """Second-level broker phones (no agent of their own) that are the first level's.

    A broker's phone brings one scalper's customers: they are paid by the first level's
    accounts (the money through the hub) or by that scalper's own account. A phone whose
    bookings the first level's accounts paid for (at least ``FIRST_PHONE_PAID``) and that
    ``FIRST_PHONE_SCALPERS`` or more second-level accounts, each paying for several
    customers, paid for too, brought customers of several scalpers: the contact the first
    level gives, as its phone spans several agents' customers when agents are written."""
    phone, payer = ring.cols["phone"], ring.cols["payer"]
    out = []
    for p in np.unique(phone[phone >= 0]).tolist():
        if (role.get(p) != "second_level" or inc.kinds[p] != _K["phone"]
                or int(rings.owner_agent[p]) >= 0):
            continue
        paid = payer[(phone == p) & (payer >= 0)].tolist()
        if not paid:
            continue
        first = sum(role.get(x) == "first_level" for x in paid)
        scalpers = {x for x in paid if role.get(x) == "second_level"
                    and int(rings.customers[x]) >= 2}
        if first >= FIRST_PHONE_PAID * len(paid) and len(scalpers) >= FIRST_PHONE_SCALPERS:
            out.append(p)
    return out


def _small_hubs(role: dict[int, str], inc: Incidence, rings: Rings,
                own: dict[int, int], grouped: set[int]) -> list[int]:
    """Hub payers that are second-level scalpers' own accounts, told by size alone.

    A first level pays through a few accounts; second-level scalpers who pay for their own
    customers, with no agent written and no broker phone, leave only their accounts, each
    paying its own group of customers, and are read as hub accounts too. Ranked by customers,
    when at most ``FEW_HUBS`` accounts lead the rest by a factor of ``HUB_GAP`` or more, the
    last of them paying ``HUB_MIN_CUSTOMERS`` or more, and more accounts follow (at least
    ``MANY_SMALL``) than lead, the followers are the scalpers'. (A first level's accounts,
    used side by side, pay for similar numbers.) The accounts tiers already read as small
    groups' (``grouped``) rank among the followers. Returns the followers not in ``own``.
    """
    hubs = sorted((m for m, r in role.items() if (r == "first_level" or m in grouped)
                   and m not in own and inc.kinds[m] == _K["payer"]),
                  key=lambda m: (-int(rings.customers[m]), m))
    size = [int(rings.customers[m]) for m in hubs]
    best = (0.0, 0)
    for k in range(1, min(FEW_HUBS, len(hubs) - 1) + 1):
        gap = size[k - 1] / max(size[k], 1)
        if gap > best[0]:
            best = (gap, k)
    gap, k = best
    if (k and gap >= HUB_GAP and size[k - 1] >= HUB_MIN_CUSTOMERS
            and len(hubs) - k >= max(MANY_SMALL, k + 1)):
        return hubs[k:]
    return []


def _booking_units(ring: _Ring, unit_of: dict[int, int]) -> np.ndarray:
    """Each ring booking's second-level scalper as the booking names it (its escort agent,
    else its broker phone; -1: none)."""
    unit = np.full(ring.rows.size, -1, dtype=np.int64)
    for slot in ("phone", "escort_agent"):  # the agent wins
        col = ring.cols[slot]
        for b in np.flatnonzero(col >= 0).tolist():
            u = unit_of.get(int(col[b]))
            if u is not None:
                unit[b] = u
    return unit


def _own_payers(ring: _Ring, unit: np.ndarray, role: dict[int, str], inc: Incidence,
                by_strength) -> dict[int, int]:
    """Payers that are one second-level scalper's own account: of the payer's ring bookings
    that name a second level (its agent or broker phone), at least ``OWN_PAYER_SHARE`` name
    that one, over at least ``OWN_PAYER_MIN`` bookings, and the payer paid at least
    ``OWN_PAYER_PAID`` of that scalper's paid bookings. Bookings naming nobody (the
    customer's own phone, no agent written) say nothing either way.

    A first-level (hub) or technician (advance) payer passing the test is the scalper's and
    leaves its tier, unless it is the last identifier of its tier in the ring: the first
    level of a gang with one second-level scalper pays through him as much as he does.
    Returns payer -> unit."""
    payer = ring.cols["payer"]
    ok = (payer >= 0) & (unit >= 0)
    out: dict[int, int] = {}
    if not ok.any():
        return out
    pairs, counts = np.unique(np.stack([payer[ok], unit[ok]], axis=1), axis=0,
                              return_counts=True)
    named = dict(zip(*(a.tolist() for a in np.unique(payer[ok], return_counts=True)),
                     strict=True))
    paid = dict(zip(*(a.tolist() for a in np.unique(unit[ok], return_counts=True)),
                    strict=True))
    best: dict[int, tuple[int, int]] = {}
    for (p, u), c in zip(pairs.tolist(), counts.tolist(), strict=True):
        if p not in best or c > best[p][1]:
            best[p] = (u, c)
    for p, (u, c) in best.items():
        if (role.get(p) in ("second_level", "first_level", "technician")
                and inc.kinds[p] == _K["payer"] and c >= OWN_PAYER_MIN
                and c >= OWN_PAYER_SHARE * named[p] and c >= OWN_PAYER_PAID * paid[u]):
            out[p] = u
    for tier in ("first_level", "technician"):
        tier_ids = [m for m, r in role.items() if r == tier]
        if tier_ids and all(m in out for m in tier_ids):
            del out[by_strength(tier_ids)[0]]
    return out


def _patients(ring: _Ring, inc: Incidence, rings: Rings, role: dict[int, str],
              actors: list[ActorDraft]) -> None:
    """One actor per ID card of the ring, with what only its customer used."""
    cards = ring.cols["id_card"]
    actor_of_card: dict[int, int] = {}
    for card in np.unique(cards[cards >= 0]).tolist():
        actor_of_card[card] = len(actors)
        actors.append(ActorDraft("patient", [card]))
    for slot in ("patient", *_CHANNEL_SLOTS):
        col = ring.cols[slot]
        ok = (col >= 0) & (cards >= 0)
        if not ok.any():
            continue
        pairs = np.unique(np.stack([col[ok], cards[ok]], axis=1), axis=0)
        owned = [p for p in pairs.tolist() if role.get(p[0]) == "patient"]
        users: dict[int, list[int]] = {}
        for entity, card in owned:
            users.setdefault(entity, []).append(actor_of_card[card])
        for entity, who in users.items():
            for a in who:
                actors[a].members.append(entity)
                if len(who) > 1:
                    actors[a].shared.add(entity)
            if (inc.kinds[entity] == _K["account"]
                    and rings.quick[entity] + rings.rebooked[entity]
                    >= 0.5 * max(int(rings.ring_bookings[entity]), 1)):
                for a in who:
                    actors[a].operated.add(entity)


def _tree(ring: _Ring, actors: list[ActorDraft], unit_of: dict[int, int],
          inc: Incidence) -> None:
    """Each actor's parent and the bookings and payments that link them."""
    tiers = {a.role: i for i, a in reversed(list(enumerate(actors)))
             if a.role in ("technician", "first_level")}
    top = tiers.get("first_level", tiers.get("technician", -1))
    if "first_level" in tiers and "technician" in tiers:
        actors[tiers["first_level"]].parent = tiers["technician"]
    for a in actors:
        if a.role == "second_level":
            a.parent = top
    # each booking's second-level actor: via its agent, its broker phone, or its payer
    nb = ring.rows.size
    unit = np.full(nb, -1, dtype=np.int64)
    for slot in ("payer", "phone", "escort_agent"):  # later slots win: the agent first
        col = ring.cols[slot]
        for b in np.flatnonzero(col >= 0).tolist():
            u = unit_of.get(int(col[b]))
            if u is not None:
                unit[b] = u
    cards = ring.cols["id_card"]
    card_actor = {a.members[0]: i for i, a in enumerate(actors) if a.role == "patient"}
    ok = (cards >= 0) & (unit >= 0)
    best: dict[int, tuple[int, int]] = {}
    if ok.any():
        pairs, counts = np.unique(np.stack([cards[ok], unit[ok]], axis=1), axis=0,
                                  return_counts=True)
        for (card, u), c in zip(pairs.tolist(), counts.tolist(), strict=True):
            if card not in best or (c, -u) > (best[card][1], -best[card][0]):
                best[card] = (u, c)
    for card, i in card_actor.items():
        actors[i].parent = best[card][0] if card in best else top
    # link evidence: the child's bookings that touch the parent, and that the parent paid
    touch, paid = _touches(ring, actors)
    parent = np.asarray([a.parent for a in actors], dtype=np.int64)
    nb = max(ring.rows.size, 1)
    act, pos = touch // nb, touch % nb
    up = parent[act]
    has_up = up >= 0
    shared = has_up & np.isin(np.where(has_up, up, 0) * nb + pos, touch)
    paid_up = has_up & np.isin(np.where(has_up, up, 0) * nb + pos, paid)
    n = len(actors)
    bookings = np.bincount(act[shared], minlength=n)
    payments = np.bincount(act[paid_up], minlength=n)
    for i, a in enumerate(actors):
        if a.parent >= 0:
            a.link = {"bookings": int(bookings[i]), "payments": int(payments[i])}


def _touches(ring: _Ring, actors: list[ActorDraft]) -> tuple[np.ndarray, np.ndarray]:
    """(actor, booking) pairs as ``actor * bookings + position in ring.rows``, sorted and
    distinct: the ring bookings touching each actor's identifiers, and those one of its
    payers paid."""
    owner_e = np.asarray([m for a in actors for m in a.members], dtype=np.int64)
    owner_a = np.asarray([i for i, a in enumerate(actors) for _ in a.members], dtype=np.int64)
    order = np.argsort(owner_e, kind="stable")
    owner_e, owner_a = owner_e[order], owner_a[order]
    nb = max(ring.rows.size, 1)

    def pairs(cols: list[np.ndarray]) -> np.ndarray:
        pos = np.concatenate([np.flatnonzero(c >= 0) for c in cols]) if cols else np.zeros(0, int)
        ent = np.concatenate([c[c >= 0] for c in cols]) if cols else np.zeros(0, int)
        lo = np.searchsorted(owner_e, ent, side="left")
        hi = np.searchsorted(owner_e, ent, side="right")
        count = hi - lo
        if not count.any():
            return np.zeros(0, dtype=np.int64)
        which = np.repeat(np.arange(ent.size), count)
        start = np.repeat(lo - np.cumsum(np.r_[0, count[:-1]]), count)
        who = owner_a[start + np.arange(which.size)]
        return np.unique(who * nb + pos[which])

    return pairs(list(ring.cols.values())), pairs([ring.cols["payer"]])


def _evidence(ring: _Ring, proj: Projection, reg: RegistrationSignals,
              actors: list[ActorDraft]) -> None:
    """Each actor's numbers over the ring bookings touching its identifiers."""
    touch, paid = _touches(ring, actors)
    n, nb = len(actors), max(ring.rows.size, 1)
    act, pos = touch // nb, touch % nb
    rows = ring.rows[pos]

    def total(flag: np.ndarray) -> np.ndarray:
        return np.bincount(act, weights=flag[rows].astype(np.float64), minlength=n)

    cards = ring.cols["id_card"][pos]
    known = cards >= 0
    customers = np.bincount(np.unique(act[known] * (int(cards.max(initial=0)) + 1)
                                      + cards[known]) // (int(cards.max(initial=0)) + 1),
                            minlength=n)
    booked = proj.booked_ms[rows]
    when = booked != MISSING
    first = np.full(n, np.iinfo(np.int64).max, dtype=np.int64)
    last = np.full(n, MISSING, dtype=np.int64)
    np.minimum.at(first, act[when], booked[when])
    np.maximum.at(last, act[when], booked[when])
    bookings = np.bincount(act, minlength=n)
    payments = np.bincount(paid // nb, minlength=n)
    machine, quick, washed = total(reg.machine), total(reg.quick), total(reg.wash)
    for i, a in enumerate(actors):
        a.evidence = {
            "bookings": int(bookings[i]),
            "customers": int(customers[i]),
            "payments": int(payments[i]),
            "machine_speed": int(machine[i]),
            "within_seconds": int(quick[i]),
            "washed": int(washed[i]),
            "first_ms": int(first[i]) if last[i] != MISSING else None,
            "last_ms": int(last[i]) if last[i] != MISSING else None,
        }


__all__ = ["ACTOR_TIERS", "ActorDraft", "resolve_actors"]
