"""Scalper gangs: who is in them, and the bookings their grabbing tool makes.

A gang has one technician (bot servers' and rotating proxies' IPs, emulator devices, bot
accounts, sometimes his own payment account early on), one first-level scalper (a few payment
accounts; some also act as an escort agent), several second-level scalpers posing as escort
agents (their phones given as customers' contact phone, some with their own payment
accounts), the customers (real people, often from other cities) and placeholder patients
(junk names, invalid ID numbers, virtual phones) that occupy a slot until a buyer is found.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from scalpernet.simulate.bookings import Booking, human_time
from scalpernet.simulate.hospitals import HOUR, MINUTE, SECOND, Doctor, Hospital
from scalpernet.simulate.identities import (
    GANG,
    JUNK_NAMES,
    Addresses,
    Handles,
    IdNumbers,
    Payer,
    Phones,
    as_written,
    full_name,
    invalid_id_number,
)
from scalpernet.simulate.rand import hash64

#: Owner numbers of gang actors (customers are numbered below this, per hospital).
_ACTORS = GANG + (1 << 24)
#: The (role, as) pairs gang members are noted with, each kept once.
_NOTES: dict[tuple[str, str], tuple[str, str]] = {}
#: ID-number owner numbers of placeholders (customers use ``hospital << 20 | n``).
_PLACEHOLDER_IDS = 9 << 20


@dataclass(frozen=True, slots=True)
class Agent:
    """An escort agent as written on bookings (a second-level scalper, or the first level)."""

    id: str
    name: str
    phone: str
    payer: Payer | None = None


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    id_number: str
    phone: str


@dataclass
class Gang:
    """One scalper network and its tools."""

    index: int
    id: str
    humanised: bool  # adds 1-5 s human-like delays to hide the bot
    uses_proxies: bool
    placeholder_share: float  # of grabbed slots first occupied by a placeholder
    unsold_share: float  # of placeholders cancelled without a buyer
    other_city_share: float
    tech_pays_early: bool
    active: tuple[int, int]  # first and last visit day the tool runs
    bot_ips: list[str]
    proxy_ips: list[str]
    devices: list[str]
    accounts: list[str]
    tech_payer: Payer
    first_payers: list[Payer]
    first_phone: str
    first_agent: Agent | None
    agents: list[Agent]
    placeholders: list[Placeholder]
    targets: list[tuple[int, str]] = field(default_factory=list)  # (hospital, doctor code)

    @property
    def profile(self) -> str:
        return "humanised" if self.humanised else "bot"

    def latency_ms(self, rng: random.Random, k: int) -> int:
        """Booking latency after release for the gang's ``k``-th request on one pool."""
        if self.humanised:
            return rng.randint(1000, 5000)
        return min(95, rng.randint(12, 30) + int(k * rng.uniform(0.5, 3.0)))


def is_humanised(g: int, share: float) -> bool:
    """Whether gang ``g`` hides behind human-like delays: every ``round(1 / share)``-th gang.

    Gang 1 (the second) is the first humanised one, so even a two-gang city has one (with the
    default 0.3: gangs 1, 4, 7, ...); 0.5 makes every other gang humanised, and a share above
    two thirds (1.0 included) every gang. 0 makes none.
    """
    if share <= 0:
        return False
    step = max(1, round(1 / share))
    return g % step == 1 % step


def build_gangs(rng: random.Random, count: int, hospitals: list[Hospital], days: int,
                records: int, humanised_share: float, capture: tuple[float, float],
                ids: IdNumbers, phones: Phones, handles: Handles,
                addresses: Addresses) -> tuple[list[Gang], dict[tuple[int, str], list]]:
    """Create ``count`` varied gangs and split each hot pool between the gangs targeting it.

    Returns the gangs and, per (hospital, hot doctor code), the list of (gang, share of the
    pool it grabs).
    """
    gangs = []
    scale = max(1, records // 100_000)
    for g in range(count):
        base = _ACTORS + g * 4096
        proxies = rng.random() < 0.5
        first = rng.randint(0, days // 10)
        last = days - 1 - rng.randint(0, days // 10)
        first_phone = phones.make(base + 10)
        first_agent = None
        if rng.random() < 0.4:
            first_agent = Agent(handles.escort_agent(base + 11), full_name(hash64(base, 11)),
                                first_phone)
        agents = []
        for a in range(rng.randint(2, min(12, 2 + scale))):
            owner = base + 100 + a
            payer = handles.payer(owner, "wechat") if rng.random() < 0.4 else None
            agents.append(Agent(handles.escort_agent(owner), full_name(hash64(owner, 5)),
                                phones.make(owner), payer))
        placeholders = []
        for p in range(rng.randint(10, 30 + 10 * scale)):
            x = hash64(base, p, 7)
            band = "adult" if x % 3 else "elder"
            valid = ids.make("gang", band, True, _PLACEHOLDER_IDS + g * 4096 + p)
            name = JUNK_NAMES[x % len(JUNK_NAMES)] if x % 4 else str(100 + (x >> 8) % 900)
            placeholders.append(Placeholder(name, invalid_id_number(x >> 16, valid),
                                            phones.make(base + 2000 + p, virtual=True)))
        gangs.append(Gang(
            index=g, id=f"g{g + 1}", humanised=is_humanised(g, humanised_share),
            uses_proxies=proxies, placeholder_share=rng.uniform(0.2, 0.6),
            unsold_share=rng.uniform(0.05, 0.2), other_city_share=rng.uniform(0.4, 0.8),
            tech_pays_early=rng.random() < 0.6, active=(first, max(first, last)),
            bot_ips=[addresses.cloud(g * 64 + k) for k in range(rng.randint(2, 4))],
            proxy_ips=[addresses.proxy(g * 256 + k) for k in range(rng.randint(10, 40))]
            if proxies else [],
            devices=[handles.device(base + 1000 + k) for k in range(rng.randint(3, 12))],
            accounts=[handles.account(base + 500 + k)
                      for k in range(rng.randint(4, 10 + 5 * min(scale, 4)))],
            tech_payer=handles.payer(base, "alipay"),
            first_payers=[handles.payer(base + 1 + k, "alipay")
                          for k in range(rng.randint(1, min(3, scale)))],
            first_phone=first_phone, first_agent=first_agent, agents=agents,
            placeholders=placeholders,
        ))
    pools: dict[tuple[int, str], list] = {}
    for gang in gangs:
        for hosp in rng.sample(hospitals, rng.randint(1, min(3, len(hospitals)))):
            for doc in rng.sample(hosp.hot, rng.randint(1, min(3, len(hosp.hot)))):
                gang.targets.append((hosp.index, doc.code))
                pools.setdefault((hosp.index, doc.code), []).append(gang)
    shares: dict[tuple[int, str], list] = {}
    for pool, members in sorted(pools.items()):
        weights = [rng.uniform(0.5, 1.5) for _ in members]
        grab = rng.uniform(*capture)
        shares[pool] = [(gang, grab * w / sum(weights)) for gang, w in
                        zip(members, weights, strict=True)]
    return gangs, shares


@dataclass
class GangDesk:
    """Makes one hospital's gang bookings and notes every gang entity that appears."""

    hospital: Hospital
    ids: IdNumbers
    phones: Phones
    handles: Handles
    days: int
    export: int
    members: dict  # gang id -> kind -> key -> (role, as)
    customers: int = 0

    def _note(self, gang: Gang, kind: str, key: str | None, role: str, part: str) -> None:
        if key:
            by_kind = self.members.setdefault(gang.id, {}).setdefault(kind, {})
            if key not in by_kind:
                # one shared (role, as) pair per kind of note: a big city notes millions
                by_kind[key] = _NOTES.setdefault((role, part), (role, part))

    def _tool(self, rng: random.Random, gang: Gang) -> tuple[str, str, str]:
        account = rng.choice(gang.accounts)
        device = rng.choice(gang.devices)
        if gang.proxy_ips and rng.random() < 0.6:
            ip = rng.choice(gang.proxy_ips)
            self._note(gang, "ip", ip, "technician", "proxy ip")
        else:
            ip = rng.choice(gang.bot_ips)
            self._note(gang, "ip", ip, "technician", "bot server ip")
        self._note(gang, "account", account, "technician", "bot account")
        self._note(gang, "device", device, "technician", "emulator device")
        return account, device, ip

    def grab(self, rng: random.Random, gang: Gang, doctor: Doctor, day: int, slot: int,
             released: int, booked: int) -> list[Booking]:
        """The bookings one grabbed slot becomes: a customer's, or occupy and wash."""
        if rng.random() >= gang.placeholder_share:
            return [self._customer(rng, gang, doctor, day, slot, released, booked)]
        p = rng.choice(gang.placeholders)
        account, device, ip = self._tool(rng, gang)
        hold = Booking(doctor, slot, released, booked, p.name, p.id_number, p.phone, None,
                       account, device, ip)
        self._note(gang, "patient", _patient_key(p.id_number, p.name), "patient",
                   "placeholder")
        self._note(gang, "id_card", p.id_number.upper(), "patient", "placeholder id")
        self._note(gang, "phone", p.phone, "patient", "placeholder phone")
        if rng.random() < 0.4:  # the scalper pays to hold it, refunded on cancel
            payer = rng.choice(gang.first_payers)
            hold.payer, hold.channel = payer.account, payer.channel
            hold.paid = booked + rng.randint(1000, 3000)
            self._note(gang, "payer", payer.account, "first_level", "payer")
        # a buyer turns up later: cancel the placeholder and re-book within seconds
        latest = min(slot - HOUR, self.export - 10 * SECOND)
        wash = human_time(rng, self.hospital, booked + 10 * MINUTE, latest)
        if self.hospital.closed(wash + 6 * SECOND):
            wash = booked + 10 * MINUTE
        hold.cancelled = wash
        hold.status = "cancelled"
        if rng.random() < gang.unsold_share or wash >= latest:
            return [hold]
        delay = rng.randint(1000, 5000) if gang.humanised else rng.randint(300, 3000)
        return [hold, self._customer(rng, gang, doctor, day, slot, released, wash + delay)]

    def _customer(self, rng: random.Random, gang: Gang, doctor: Doctor, day: int, slot: int,
                  released: int, booked: int) -> Booking:
        self.customers += 1
        owner = (self.hospital.index << 20) | self.customers
        x = hash64(gang.index, owner, 9)
        band = "adult" if x % 10 < 5 else "elder" if x % 10 < 8 else "child"
        local = rng.random() >= gang.other_city_share
        id_number = self.ids.make("gang", band, local, owner)
        name = full_name(x >> 4)
        own_phone = self.phones.make(GANG + owner)
        account, device, ip = self._tool(rng, gang)
        r = rng.random()
        agent = (gang.first_agent if gang.first_agent and r < 0.12
                 else rng.choice(gang.agents) if r < 0.75 else None)
        r = rng.random()
        if agent is not None and r < 0.5:
            contact = agent.phone
        elif r < 0.58:
            contact = gang.first_phone
            self._note(gang, "phone", contact, "first_level", "first-level phone")
        else:
            contact = own_phone
            self._note(gang, "phone", contact, "patient", "customer phone")
        card = (self.handles.visit_card(self.hospital.index + 1, GANG + owner)
                if x % 100 < 40 else None)
        booking = Booking(doctor, slot, released, booked, name, id_number,
                          as_written(contact, x >> 12), card, account, device, ip)
        self._note(gang, "patient", _patient_key(id_number, name), "patient", "customer")
        self._note(gang, "id_card", id_number, "patient", "customer id")
        if agent is not None:
            booking.agent_id, booking.agent_name = agent.id, agent.name
            booking.agent_phone = agent.phone
            first = agent is gang.first_agent
            role = "first_level" if first else "second_level"
            self._note(gang, "escort_agent", agent.id, role,
                       "first level as agent" if first else "escort agent")
            self._note(gang, "phone", agent.phone, role,
                       "first-level phone" if first else "agent phone")
        # who pays: the technician at first, mostly the first level, some customers by QR
        r = rng.random()
        auto = True
        if gang.tech_pays_early and day < self.days * 0.2 and r < 0.7:
            payer, role, part = gang.tech_payer, "technician", "technician payer"
        elif agent is not None and agent.payer is not None and r < 0.15:
            payer, role, part = agent.payer, "second_level", "agent payer"
        elif r < 0.25:
            payer = self.handles.payer(GANG + (1 << 25) + owner, "wechat")
            role, part, auto = "patient", "customer payer", False
        else:
            payer, role, part = rng.choice(gang.first_payers), "first_level", "payer"
        booking.payer, booking.channel = payer.account, payer.channel
        booking.paid = booked + (rng.randint(500, 3000) if auto else rng.randint(60_000, 900_000))
        self._note(gang, "payer", payer.account, role, part)
        if slot < self.export:
            booking.status = "no_show" if rng.random() < 0.04 else "attended"
        return booking


def _patient_key(id_number: str, name: str) -> str:
    from scalpernet.simulate.identities import patient_key

    return patient_key(id_number.upper(), name)
