"""Scalper gangs: who is in them, and the bookings their grabbing tool makes.

A gang has one technician (bot servers, rotating or residential proxies or carrier NAT,
emulator or spoofed device ids, bot accounts, sometimes his own payment account), one
first-level scalper (a few payment accounts, a phone; some pose as an escort agent),
second-level scalpers posing as escort agents (their phones given as the customers'
contact, some with their own payment accounts), the customers (real people, often from
other cities) and placeholder patients (junk names, invalid ID numbers, virtual phones) that
occupy a slot until a buyer is found. How each gang does all this is its
:class:`~scalpernet.simulate.behaviour.Behaviour`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from scalpernet.simulate.behaviour import Behaviour, settle_behaviour
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
from scalpernet.simulate.rand import derive, hash64

#: Owner numbers of gang actors (customers are numbered below this, per hospital).
_ACTORS = GANG + (1 << 24)
#: ID-number owner numbers of placeholders (customers use ``hospital << 20 | n``).
_PLACEHOLDER_IDS = 9 << 20
#: Device owner numbers of spoofed device ids (one per booking, ``hospital << 20 | n``).
_SPOOFED = GANG + (3 << 24)
#: Home-address owner numbers of residential proxies (above every household's).
_RESIDENTIAL = 150_000_000

#: Every (role, as) a gang member is noted with; a note is ``index << 40 | actor``.
NOTES: tuple[tuple[str, str], ...] = (
    ("technician", "bot server ip"), ("technician", "proxy ip"),
    ("technician", "residential proxy ip"), ("technician", "bot account"),
    ("technician", "emulator device"), ("technician", "spoofed device"),
    ("technician", "technician payer"), ("first_level", "payer"),
    ("first_level", "first-level phone"), ("first_level", "first level as agent"),
    ("second_level", "escort agent"), ("second_level", "agent phone"),
    ("second_level", "agent payer"), ("patient", "placeholder"),
    ("patient", "placeholder id"), ("patient", "placeholder phone"), ("patient", "customer"),
    ("patient", "customer id"), ("patient", "customer phone"), ("patient", "customer payer"),
    ("patient", "customer account operated by the tool"),
)
_NOTE = {note: k << 40 for k, note in enumerate(NOTES)}
ACTOR_BITS = (1 << 40) - 1
#: Actor numbers within a gang: the technician, the first level, second-level scalper ``a``
#: (``AGENT + a``), placeholder identity ``p`` (``PLACEHOLDER + p``), and customers.
TECHNICIAN, FIRST_LEVEL, AGENT, PLACEHOLDER, CUSTOMER = 0, 1, 2, 100, 1 << 16


@dataclass(frozen=True, slots=True)
class Agent:
    """A second-level scalper (an escort agent as written on bookings), or the first level
    posing as one."""

    id: str
    name: str
    phone: str
    payer: Payer | None = None
    actor: int = FIRST_LEVEL


@dataclass(frozen=True, slots=True)
class Placeholder:
    name: str
    id_number: str
    phone: str


@dataclass
class Gang:
    """One scalper network, its tools, and how it behaves (:class:`Behaviour`)."""

    index: int
    id: str
    how: Behaviour
    unsold_share: float  # of placeholders cancelled without a buyer
    other_city_share: float
    tech_pays_early: bool
    bot_ips: list[str]
    proxy_ips: list[str]
    nat_ips: list[str]
    devices: list[str]
    accounts: list[str]
    tech_payer: Payer
    first_payers: list[Payer]
    first_phone: str
    first_agent: Agent | None
    agents: list[Agent]
    placeholders: list[Placeholder]
    switch_day: int  # money "technician_first": the first level pays from this day on
    targets: list[tuple[int, str]] = field(default_factory=list)  # (hospital, doctor code)

    @property
    def humanised(self) -> bool:
        return self.how.tool_timing == "human"

    @property
    def profile(self) -> str:
        return {"machine": "bot", "human": "humanised"}.get(self.how.tool_timing, "mixed")

    @property
    def active(self) -> tuple[int, int]:
        return self.how.active

    def _human(self, rng: random.Random, k: int) -> bool:
        timing = self.how.tool_timing
        return timing == "human" or (timing == "mixed" and rng.random() < 0.5)

    def latency_ms(self, rng: random.Random, k: int) -> int:
        """Booking latency after release for the gang's ``k``-th request on one pool: within
        18 ms of the tool's fastest, slower as its requests queue, or a human-like delay."""
        if self._human(rng, k):
            lo, hi = self.how.human_delay_s
            return rng.randint(int(lo * 1000), int(hi * 1000))
        fast, slow = self.how.machine_ms
        return min(slow, rng.randint(fast, min(slow, fast + 18)) + int(k * rng.uniform(0.5, 3.0)))

    def wash_delay_ms(self, rng: random.Random) -> int:
        """How soon after a placeholder's cancellation the buyer's booking follows."""
        if self._human(rng, 0):
            lo, hi = self.how.human_delay_s
            return rng.randint(int(lo * 1000), int(hi * 1000))
        return rng.randint(300, 3000)


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
                ids: IdNumbers, phones: Phones, handles: Handles, addresses: Addresses, *,
                knobs: dict[str, tuple] | None = None, stealth: set[int] | None = None,
                pinned: frozenset[str] = frozenset(), seed: int = 0, nat_ips: int = 3,
                ) -> tuple[list[Gang], dict[tuple[int, str], list]]:
    """Create ``count`` varied gangs and split each hot pool between the gangs targeting it.

    The default profile's draws come from ``rng`` in a fixed order; ``knobs`` (gang knobs
    to draw from, see :mod:`~scalpernet.simulate.behaviour`) and ``stealth`` (gang indexes)
    then change each gang's behaviour from seeds of their own; ``pinned`` knobs hold for the
    stealth gangs too. Returns the gangs and, per
    (hospital, hot doctor code), the list of (gang, share of the pool it grabs).
    """
    gangs = []
    scale = max(1, records // 100_000)
    knobs, stealth = knobs or {}, stealth or set()
    for g in range(count):
        base = _ACTORS + g * 4096
        proxies = rng.random() < 0.5
        first = rng.randint(0, days // 10)
        last = days - 1 - rng.randint(0, days // 10)
        first_phone = phones.make(base + 10)
        poses = rng.random() < 0.4
        agents = []
        for a in range(rng.randint(2, min(12, 2 + scale))):
            agents.append(_agent(handles, phones, base, a, rng.random() < 0.4))
        placeholders = []
        for p in range(rng.randint(10, 30 + 10 * scale)):
            x = hash64(base, p, 7)
            band = "adult" if x % 3 else "elder"
            valid = ids.make("gang", band, True, _PLACEHOLDER_IDS + g * 4096 + p)
            name = JUNK_NAMES[x % len(JUNK_NAMES)] if x % 4 else str(100 + (x >> 8) % 900)
            placeholders.append(Placeholder(name, invalid_id_number(x >> 16, valid),
                                            phones.make(base + 2000 + p, virtual=True)))
        placeholder_share = rng.uniform(0.2, 0.6)
        unsold, other_city = rng.uniform(0.05, 0.2), rng.uniform(0.4, 0.8)
        tech_pays_early = rng.random() < 0.6
        bot_ips = [addresses.cloud(g * 64 + k) for k in range(rng.randint(2, 4))]
        proxy_ips = ([addresses.proxy(g * 256 + k) for k in range(rng.randint(10, 40))]
                     if proxies else [])
        devices = [handles.device(base + 1000 + k) for k in range(rng.randint(3, 12))]
        accounts = [handles.account(base + 500 + k)
                    for k in range(rng.randint(4, 10 + 5 * min(scale, 4)))]
        n_payers = rng.randint(1, min(3, scale))
        how = settle_behaviour(Behaviour(
            tool_timing="human" if is_humanised(g, humanised_share) else "machine",
            machine_ms=(12, 95), human_delay_s=(1.0, 5.0),
            origin="proxies" if proxies else "servers", proxy_pool=len(proxy_ips),
            devices="emulators", tool_accounts="bot", money="mixed",
            agents_written="sometimes", contact="mixed",
            first_level_as="agent" if poses else "payer and phone",
            placeholder_share=placeholder_share, agents=len(agents), activity="whole",
            active=(first, max(first, last)), payers=n_payers,
        ), seed, g, days, knobs, g in stealth, pinned)
        if how.agents != len(agents) or how.money == "agents":
            # every agent of a gang paid through its agents has an account of his own
            agents = [_agent(handles, phones, base, a, how.money == "agents" or (
                agents[a].payer is not None if a < len(agents) else hash64(base, a, 13) % 10 < 4))
                for a in range(how.agents)]
        if how.origin == "proxies":  # 10-40 rotating proxies (proxy_pool sizes residential)
            if not proxy_ips:
                count = random.Random(derive(seed, "gang", g, "proxies")).randint(10, 40)
                proxy_ips = [addresses.proxy(g * 256 + k) for k in range(count)]
            how.proxy_pool = len(proxy_ips)
        else:
            proxy_ips = []
        nat = random.Random(derive(seed, "gang", g, "nat"))
        active = how.active
        gangs.append(Gang(
            index=g, id=f"g{g + 1}", how=how, unsold_share=unsold, other_city_share=other_city,
            tech_pays_early=tech_pays_early, bot_ips=bot_ips, proxy_ips=proxy_ips,
            nat_ips=[addresses.carrier_nat(k) for k in
                     sorted(nat.sample(range(nat_ips), min(nat_ips, nat.randint(2, 6))))]
            if how.origin == "carrier NAT" else [],
            devices=devices, accounts=accounts, tech_payer=handles.payer(base, "alipay"),
            first_payers=[handles.payer(base + 1 + k, "alipay") for k in range(how.payers)],
            first_phone=first_phone,
            first_agent=Agent(handles.escort_agent(base + 11), full_name(hash64(base, 11)),
                              first_phone) if how.first_level_as == "agent" else None,
            agents=agents, placeholders=placeholders,
            switch_day=active[0] + round((active[1] - active[0]) * nat.uniform(0.2, 0.5)),
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


def _agent(handles: Handles, phones: Phones, base: int, a: int, pays: bool) -> Agent:
    """Second-level scalper ``a`` of the gang numbered from ``base``."""
    owner = base + 100 + a
    return Agent(handles.escort_agent(owner), full_name(hash64(owner, 5)), phones.make(owner),
                 handles.payer(owner, "wechat") if pays else None, AGENT + a)


@dataclass
class GangDesk:
    """Makes one hospital's gang bookings and notes every gang entity that appears.

    ``members`` maps gang id -> kind -> key -> note (``NOTES`` index << 40 | actor number);
    an identifier is noted only when the column that carries it is in the export (``keep``).
    Carrier NAT addresses a tool hides behind are shared with honest people: they are noted
    in ``innocent``, not as gang members.
    """

    hospital: Hospital
    ids: IdNumbers
    phones: Phones
    handles: Handles
    addresses: Addresses
    days: int
    export: int
    members: dict
    innocent: dict
    keep: frozenset[str]
    customers: int = 0
    spoofed: int = 0

    def _note(self, gang: Gang, kind: str, key: str | None, role: str, part: str,
              actor: int, column: str) -> None:
        if key and column in self.keep:
            by_kind = self.members.setdefault(gang.id, {}).setdefault(kind, {})
            if key not in by_kind:
                by_kind[key] = _NOTE[role, part] | actor

    def _tool(self, rng: random.Random, gang: Gang, day: int,
              own: tuple[str, int] | None = None) -> tuple[str | None, str | None, str]:
        """The app account, device id and address of one request of the gang's tool;
        ``own`` is the customer's (account, actor) where the tool books through customers'
        own accounts."""
        how = gang.how
        if own is not None and how.tool_accounts == "customer":
            account = own[0]
            self._note(gang, "account", account, "patient",
                       "customer account operated by the tool", own[1], "account_id")
        else:
            account = rng.choice(gang.accounts)
            self._note(gang, "account", account, "technician", "bot account", TECHNICIAN,
                       "account_id")
        device: str | None = None
        if how.devices == "emulators":
            device = rng.choice(gang.devices)
            self._note(gang, "device", device, "technician", "emulator device", TECHNICIAN,
                       "device_id")
        elif how.devices == "spoofed":  # a new device id on every booking
            self.spoofed += 1
            device = self.handles.device(_SPOOFED + ((self.hospital.index << 20) | self.spoofed))
            self._note(gang, "device", device, "technician", "spoofed device", TECHNICIAN,
                       "device_id")
        if how.origin == "residential":  # a fresh block of the pool every day
            k = day * how.proxy_pool + int(rng.random() * how.proxy_pool)
            ip = self.addresses.home(_RESIDENTIAL + gang.index * 200_000 + k)
            self._note(gang, "ip", ip, "technician", "residential proxy ip", TECHNICIAN, "ip")
        elif how.origin == "carrier NAT":
            ip = rng.choice(gang.nat_ips)
            if "ip" in self.keep:
                self.innocent[("ip", ip)] = "carrier NAT"
        elif gang.proxy_ips and rng.random() < 0.6:
            ip = rng.choice(gang.proxy_ips)
            self._note(gang, "ip", ip, "technician", "proxy ip", TECHNICIAN, "ip")
        else:
            ip = rng.choice(gang.bot_ips)
            self._note(gang, "ip", ip, "technician", "bot server ip", TECHNICIAN, "ip")
        return account, device, ip

    def grab(self, rng: random.Random, gang: Gang, doctor: Doctor, day: int, slot: int,
             released: int, booked: int) -> list[Booking]:
        """The bookings one grabbed slot becomes: a customer's, or occupy and wash."""
        how = gang.how
        if rng.random() >= how.placeholder_share:
            return [self._customer(rng, gang, doctor, day, slot, released, booked)]
        pick = rng.randrange(len(gang.placeholders))
        p = gang.placeholders[pick]
        actor = PLACEHOLDER + pick
        account, device, ip = self._tool(rng, gang, day)
        hold = Booking(doctor, slot, released, booked, p.name, p.id_number, p.phone, None,
                       account, device, ip)
        self._note(gang, "patient", _patient_key(p.id_number, p.name), "patient",
                   "placeholder", actor, "patient_name")
        self._note(gang, "id_card", p.id_number.upper(), "patient", "placeholder id", actor,
                   "id_number")
        self._note(gang, "phone", p.phone, "patient", "placeholder phone", actor, "phone")
        if rng.random() < 0.4 and how.first_level_as != "phone":
            # the scalper pays to hold it, refunded on cancel
            payer = rng.choice(gang.first_payers)
            hold.payer, hold.channel = payer.account, payer.channel
            hold.paid = booked + rng.randint(1000, 3000)
            self._note(gang, "payer", payer.account, "first_level", "payer", FIRST_LEVEL,
                       "payer_account")
        # a buyer turns up later: cancel the placeholder and re-book within seconds
        latest = min(slot - HOUR, self.export - 10 * SECOND)
        wash = human_time(rng, self.hospital, booked + 10 * MINUTE, latest)
        if self.hospital.closed(wash + 6 * SECOND):
            wash = booked + 10 * MINUTE
        hold.cancelled = wash
        hold.status = "cancelled"
        if rng.random() < gang.unsold_share or wash >= latest:
            return [hold]
        delay = gang.wash_delay_ms(rng)
        return [hold, self._customer(rng, gang, doctor, day, slot, released, wash + delay)]

    def _broker(self, rng: random.Random, gang: Gang) -> Agent | None:
        """Who brought the customer: a second-level scalper, the first level posing as an
        agent, or nobody (the first level's own customer)."""
        r = rng.random()
        agent = (gang.first_agent if gang.first_agent and r < 0.12
                 else rng.choice(gang.agents) if r < 0.75 else None)
        if agent is None and gang.how.agents_written == "always":
            agent = gang.first_agent if gang.first_agent and r < 0.8 else rng.choice(gang.agents)
        return agent

    def _contact(self, rng: random.Random, gang: Gang, agent: Agent | None,
                 own_phone: str) -> str:
        """The contact phone written on a customer's booking."""
        mode, first = gang.how.contact, gang.how.first_level_as
        r = rng.random()
        if first == "phone" and rng.random() < 0.3:
            return gang.first_phone
        if mode == "mixed":
            if agent is not None and r < 0.5:
                return agent.phone
            if r < 0.58 and first != "payer":
                return gang.first_phone
            return own_phone
        if mode == "agent":
            return agent.phone if agent is not None else own_phone
        if mode == "first_level" and first != "payer":
            return gang.first_phone if r < 0.95 else own_phone
        return own_phone

    def _payer(self, rng: random.Random, gang: Gang, agent: Agent | None, day: int,
               owner: int) -> tuple[Payer, str, str, int]:
        """Who pays for a customer's booking: (payer, role, as, actor)."""
        how = gang.how
        money = how.money
        r = rng.random()
        if money == "mixed":  # the technician at first, mostly the first level, some by QR
            if gang.tech_pays_early and day < self.days * 0.2 and r < 0.7:
                return gang.tech_payer, "technician", "technician payer", TECHNICIAN
            if agent is not None and agent.payer is not None and r < 0.15:
                return agent.payer, "second_level", "agent payer", agent.actor
            customer = r < 0.25
        elif money == "technician_first":
            if day < gang.switch_day:
                return gang.tech_payer, "technician", "technician payer", TECHNICIAN
            customer = r < 0.05
        elif money == "agents":
            if agent is not None and agent.payer is not None and r < 0.85:
                return agent.payer, "second_level", "agent payer", agent.actor
            customer = r >= 0.85 and r < 0.9
        else:  # first_level, customer_qr
            customer = r < (0.9 if money == "customer_qr" else 0.05)
        if customer or how.first_level_as == "phone":
            return (self.handles.payer(GANG + (1 << 25) + owner, "wechat"), "patient",
                    "customer payer", CUSTOMER + owner)
        return rng.choice(gang.first_payers), "first_level", "payer", FIRST_LEVEL

    def _customer(self, rng: random.Random, gang: Gang, doctor: Doctor, day: int, slot: int,
                  released: int, booked: int) -> Booking:
        self.customers += 1
        owner = (self.hospital.index << 20) | self.customers
        actor = CUSTOMER + owner
        x = hash64(gang.index, owner, 9)
        band = "adult" if x % 10 < 5 else "elder" if x % 10 < 8 else "child"
        local = rng.random() >= gang.other_city_share
        id_number = self.ids.make("gang", band, local, owner)
        name = full_name(x >> 4)
        own_phone = self.phones.make(GANG + owner)
        account, device, ip = self._tool(rng, gang, day,
                                         (self.handles.account(GANG + owner), actor))
        agent = self._broker(rng, gang)
        contact = self._contact(rng, gang, agent, own_phone)
        card = (self.handles.visit_card(self.hospital.index + 1, GANG + owner)
                if x % 100 < 40 else None)
        booking = Booking(doctor, slot, released, booked, name, id_number,
                          as_written(contact, x >> 12), card, account, device, ip)
        self._note(gang, "patient", _patient_key(id_number, name), "patient", "customer",
                   actor, "patient_name")
        self._note(gang, "id_card", id_number, "patient", "customer id", actor, "id_number")
        written = agent is not None and gang.how.agents_written != "never"
        if written:
            booking.agent_id, booking.agent_name = agent.id, agent.name
            booking.agent_phone = agent.phone
        for phone, column in ((contact, "phone"),
                              (agent.phone if written else None, "escort_agent_phone")):
            if phone is None:
                continue
            if phone == own_phone:
                self._note(gang, "phone", phone, "patient", "customer phone", actor, column)
            elif phone == gang.first_phone:
                self._note(gang, "phone", phone, "first_level", "first-level phone",
                           FIRST_LEVEL, column)
            else:
                self._note(gang, "phone", phone, "second_level", "agent phone",
                           agent.actor, column)
        if written:
            first = agent is gang.first_agent
            self._note(gang, "escort_agent", agent.id, "first_level" if first else
                       "second_level", "first level as agent" if first else "escort agent",
                       agent.actor, "escort_agent_id")
        payer, role, part, who = self._payer(rng, gang, agent, day, owner)
        booking.payer, booking.channel = payer.account, payer.channel
        booking.paid = booked + (rng.randint(500, 3000) if role != "patient"
                                 else rng.randint(60_000, 900_000))
        self._note(gang, "payer", payer.account, role, part, who, "payer_account")
        if slot < self.export:
            booking.status = "no_show" if rng.random() < 0.04 else "attended"
        return booking


def _patient_key(id_number: str, name: str) -> str:
    from scalpernet.simulate.identities import patient_key

    return patient_key(id_number.upper(), name)
