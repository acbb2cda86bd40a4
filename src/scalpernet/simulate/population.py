"""The honest city: households, their people, and the look-alikes that fool naive rules.

Households and people are pure functions of their number (nothing is stored per person), so
a city of millions costs no memory. A household shares a home IP; in most families one adult
(the daughter paying for her parents and children) books and pays for everyone, and some
give the same phone for all. The *cast* is a few hundred reserved households and
organisations whose behaviour looks like scalping but is not: chronic patients booking every
week, busy families, fast humans, companies paying staff health checks, licensed escorts.
"""

from __future__ import annotations

import bisect
import random
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

from scalpernet.simulate.bookings import Booking
from scalpernet.simulate.hospitals import Hospital
from scalpernet.simulate.identities import (
    CHANNELS,
    OTHERS,
    SURNAMES,
    Addresses,
    Handles,
    IdNumbers,
    Payer,
    Phones,
    as_written,
    full_name,
    given_name,
    given_name_many,
    id_as_written,
    surname,
    surname_index_many,
)
from scalpernet.simulate.rand import hash64, hash64_many, mix64, mix64_many, unit, unit_many

#: Household sizes 1-6 and their shares.
HOUSEHOLD_SIZES = ((1, 0.30), (2, 0.28), (3, 0.20), (4, 0.12), (5, 0.06), (6, 0.04))
_BAND_WEIGHT = {"elder": 3, "child": 2, "adult": 1}
_SIZE_CUM = [sum(s for _, s in HOUSEHOLD_SIZES[: i + 1]) for i in range(len(HOUSEHOLD_SIZES))]
#: Age bands as small integers in the array forms, and their weights.
BANDS = ("adult", "elder", "child")
ADULT, ELDER, CHILD = range(3)
_BAND_WEIGHTS = np.array([_BAND_WEIGHT[b] for b in BANDS])
_PAYER_CHANNEL = np.array([0, 0, 0, 0, 0, 1, 1, 1, 1, 2])


@dataclass(frozen=True, slots=True)
class Person:
    owner: int
    name: str
    id_number: str
    phone: str | None
    band: str


@dataclass(frozen=True, slots=True)
class Household:
    index: int
    size: int
    family_pays: bool
    shared_phone: bool
    bands: tuple[str, ...]  # age band of each member; member 0 is the adult who pays
    weights: tuple[int, ...]  # cumulative chance of being the patient (elders, children more)
    surname: str


@dataclass(frozen=True, slots=True)
class Households:
    """The array form of :class:`Household` for many household numbers at once."""

    index: np.ndarray
    size: np.ndarray
    family_pays: np.ndarray
    shared_phone: np.ndarray
    bands: np.ndarray  # (n, 6) band codes (:data:`BANDS`); members past the size are adults
    weights: np.ndarray  # (n, 6) cumulative chances of being the patient
    surname: np.ndarray  # index into SURNAMES


@dataclass(frozen=True, slots=True)
class Override:
    """A cast household's fixed shape (size, who pays, shared phone, member 1's age band)."""

    size: int
    family_pays: bool
    shared_phone: bool
    member1: str | None = None


@dataclass(frozen=True, slots=True)
class Routes:
    """How honest bookings reach the booking server, as shares of honest bookings."""

    nat: float
    wifi: float
    kiosk: float
    nat_ips: int
    virtual_phone: float
    ipv6_home: float


class Population:
    """Households and people by number; bookings an honest person makes."""

    def __init__(self, seed: int, ids: IdNumbers, phones: Phones, handles: Handles,
                 addresses: Addresses, routes: Routes,
                 overrides: dict[int, Override] | None = None) -> None:
        self._key = hash64(seed, 0x5EED)
        self._ids, self._phones, self._handles, self._addr = ids, phones, handles, addresses
        self.routes = routes
        self._overrides = overrides or {}
        self.household = lru_cache(maxsize=1 << 15)(self._household)
        self.person = lru_cache(maxsize=1 << 16)(self._person)
        self.phone = lru_cache(maxsize=1 << 15)(self._phone)
        self.payer = lru_cache(maxsize=1 << 15)(self._payer)

    def _household(self, h: int) -> Household:
        x = hash64(self._key, h)
        fixed = self._overrides.get(h)
        if fixed is not None:
            size, family_pays, shared = fixed.size, fixed.family_pays, fixed.shared_phone
        else:
            u = unit(x)
            size = next(s for (s, _), c in zip(HOUSEHOLD_SIZES, _SIZE_CUM, strict=True)
                        if u < c or c == _SIZE_CUM[-1])
            family_pays = size > 1 and (x >> 8) % 10 < 7
            shared = (x >> 16) % 10 < 3
        bands = ["adult"]
        y = mix64(x)
        for m in range(1, size):
            if m == 1 and fixed is not None and fixed.member1:
                bands.append(fixed.member1)
                continue
            r = (y >> (10 * m)) % 100
            bands.append("elder" if r < 45 else "child" if r < 80 else "adult")
        acc, cum = 0, []
        for band in bands:
            acc += _BAND_WEIGHT[band]
            cum.append(acc)
        return Household(h, size, family_pays, shared, tuple(bands), tuple(cum),
                         surname(y))

    def home_ip(self, h: int) -> str:
        """The household's broadband address (IPv6 for some)."""
        x = hash64(self._key, h)
        if (x >> 24) % 1000 < self.routes.ipv6_home * 1000:
            return self._addr.home6(h, x >> 40)
        return self._addr.home(h)

    def _phone(self, h: int, m: int) -> str | None:
        owner = h * 6 + m
        band = self.household(h).bands[m]
        x = hash64(self._key, owner, 1)
        if band == "adult" or (band == "elder" and (x >> 16) % 10 < 8):
            virtual = (x >> 24) % 1000 < self.routes.virtual_phone * 1000
            return self._phones.make(owner, virtual)
        return None

    def _person(self, h: int, m: int) -> Person:
        owner = h * 6 + m
        x = hash64(self._key, owner, 1)
        hh = self.household(h)
        band = hh.bands[m]
        local = (x >> 8) % 100 < 80
        id_number = self._ids.make("honest", band, local, owner)
        own_surname = m == 0 or band == "child" or (x >> 12) % 2 == 0
        name = (hh.surname if own_surname else surname(x >> 3)) + given_name(x >> 30)
        return Person(owner, name, id_number, self.phone(h, m), band)

    def _payer(self, owner: int) -> Payer:
        channel = CHANNELS[(0, 0, 0, 0, 0, 1, 1, 1, 1, 2)[hash64(self._key, owner, 4) % 10]]
        return self._handles.payer(owner, channel)

    # -- the same, for many households at once (numpy arrays in, lists of texts out) --------
    def households(self, h: np.ndarray) -> Households:
        """:meth:`household` for many household numbers (cast households keep their shape)."""
        x = hash64_many(self._key, h)
        size = np.minimum(np.searchsorted(_SIZE_CUM, unit_many(x), side="right"),
                          len(_SIZE_CUM) - 1) + 1
        family_pays = (size > 1) & ((x >> np.uint64(8)) % np.uint64(10) < 7)
        shared = (x >> np.uint64(16)) % np.uint64(10) < 3
        y = mix64_many(x)
        bands = np.zeros((len(h), 6), dtype=np.int64)
        for m in range(1, 6):
            r = (y >> np.uint64(10 * m)) % np.uint64(100)
            bands[:, m] = np.where(r < 45, ELDER, np.where(r < 80, CHILD, ADULT))
        if self._overrides:
            for i in np.flatnonzero(h <= max(self._overrides)).tolist():
                fixed = self._overrides.get(int(h[i]))
                if fixed is not None:
                    size[i], family_pays[i] = fixed.size, fixed.family_pays
                    shared[i] = fixed.shared_phone
                    if fixed.member1:
                        bands[i, 1] = BANDS.index(fixed.member1)
        present = np.arange(6) < size[:, None]
        weights = np.cumsum(_BAND_WEIGHTS[bands] * present, axis=1)
        return Households(h, size, family_pays, shared, bands, weights, surname_index_many(y))

    @staticmethod
    def pick_members(hh: Households, u: np.ndarray) -> np.ndarray:
        """:meth:`pick_member` for many households, ``u`` uniform draws in [0, 1)."""
        total = hh.weights[np.arange(len(u)), hh.size - 1]
        return ((hh.weights <= (u * total)[:, None]) & (np.arange(6) < hh.size[:, None])).sum(1)

    def _phones_many(self, owner: np.ndarray, x: np.ndarray, has: np.ndarray) -> list:
        """Phones of people whose ``x = hash64(key, owner, 1)`` is known; None without one."""
        out: list[str | None] = [None] * len(owner)
        virtual = ((x >> np.uint64(24)) % np.uint64(1000)).astype(np.float64) < (
            self.routes.virtual_phone * 1000)
        for v in (False, True):
            at = np.flatnonzero(has & (virtual == v))
            for i, phone in zip(at.tolist(), self._phones.make_many(owner[at], v), strict=True):
                out[i] = phone
        return out

    def people(self, hh: Households, m: np.ndarray) -> tuple[list, list, list]:
        """Names, ID numbers and phones (None without one) of members ``m`` of ``hh``."""
        owner = hh.index * 6 + m
        x = hash64_many(self._key, owner, 1)
        band = hh.bands[np.arange(len(m)), m]
        local = (x >> np.uint64(8)) % np.uint64(100) < 80
        ids: list[str] = [""] * len(m)
        for b, name in enumerate(BANDS):
            for loc in (True, False):
                at = np.flatnonzero((band == b) & (local == loc))
                if at.size:
                    made = self._ids.make_many("honest", name, loc, owner[at])
                    for i, id_number in zip(at.tolist(), made, strict=True):
                        ids[i] = id_number
        own = (m == 0) | (band == CHILD) | ((x >> np.uint64(12)) % np.uint64(2) == 0)
        sur = np.where(own, hh.surname, surname_index_many(x >> np.uint64(3))).tolist()
        names = [SURNAMES[s] + g for s, g in
                 zip(sur, given_name_many(x >> np.uint64(30)), strict=True)]
        has = (band == ADULT) | ((band == ELDER) & ((x >> np.uint64(16)) % np.uint64(10) < 8))
        return names, ids, self._phones_many(owner, x, has)

    def first_phones(self, h: np.ndarray) -> list[str]:
        """:meth:`phone` of member 0 (an adult, who always has one) of many households."""
        owner = h * 6
        return self._phones_many(owner, hash64_many(self._key, owner, 1),
                                 np.ones(len(h), dtype=bool))

    def payers_many(self, owners: np.ndarray) -> tuple[list[str], list[str]]:
        """:meth:`payer`'s accounts and channels for many owner numbers."""
        channel = _PAYER_CHANNEL[(hash64_many(self._key, owners, 4) % np.uint64(10)).astype(
            np.int64)]
        return self._handles.payers_many(owners, channel), [CHANNELS[c] for c in
                                                             channel.tolist()]

    def home_ips(self, h: np.ndarray) -> list[str]:
        """:meth:`home_ip` of many households."""
        x = hash64_many(self._key, h)
        six = ((x >> np.uint64(24)) % np.uint64(1000)).astype(np.float64) < (
            self.routes.ipv6_home * 1000)
        out = self._addr.home.many(h)
        for i in np.flatnonzero(six).tolist():
            out[i] = self._addr.home6(int(h[i]), int(x[i]) >> 40)
        return out

    @staticmethod
    def pick_member(rng: random.Random, hh: Household) -> int:
        """Who in the household needs the doctor: elders and children more often."""
        if hh.size == 1:
            return 0
        return bisect.bisect_right(hh.weights, rng.random() * hh.weights[-1])

    def booking(self, rng: random.Random, hospital: Hospital, doctor, slot: int,
                released: int, booked: int, h: int, m: int, route: str | None = None,
                innocent: dict | None = None) -> Booking:
        """One honest booking for member ``m`` of household ``h``.

        ``route`` is ``nat``, ``wifi``, ``kiosk`` or ``home``; drawn from the routes' shares
        when not given. Look-alike infrastructure is noted in ``innocent``.
        """
        hh = self.household(h)
        patient = self.person(h, m)
        booker = h * 6 if hh.family_pays or patient.phone is None else patient.owner
        shared = hh.shared_phone or patient.phone is None
        contact = self.phone(h, 0) if shared else patient.phone
        payer = self.payer(booker)
        if route is None:
            u = rng.random()
            r = self.routes
            route = ("nat" if u < r.nat else "wifi" if u < r.nat + r.wifi
                     else "kiosk" if u < r.nat + r.wifi + r.kiosk else "home")
        handles = self._handles
        account = handles.account(booker)
        device = handles.device(booker)
        if route == "nat":
            ip = self._addr.carrier_nat(int(rng.random() * self.routes.nat_ips))
            if innocent is not None:
                innocent[("ip", ip)] = "carrier NAT"
        elif route == "wifi":
            ip = hospital.wifi_ips[int(rng.random() * len(hospital.wifi_ips))]
            if innocent is not None:
                innocent[("ip", ip)] = "hospital wifi"
        elif route == "kiosk":
            ip, device = hospital.kiosks[int(rng.random() * len(hospital.kiosks))]
            account = None  # kiosks book with the visit card, no app account
            if innocent is not None:
                innocent[("ip", ip)] = "kiosk"
                innocent[("device", device)] = "kiosk"
        else:
            ip = self.home_ip(h)
        x = int(rng.random() * 1e15)
        card = handles.visit_card(hospital.index + 1, patient.owner) if x % 100 < 85 else None
        return Booking(
            doctor, slot, released, booked, patient.name, id_as_written(patient.id_number, x),
            None if contact is None else as_written(contact, x >> 8), card, account, device,
            ip, payer.account, payer.channel, booked + 20_000 + int(rng.random() * 100_000),
        )


# -- the cast of look-alikes ---------------------------------------------------------------
@dataclass(frozen=True, slots=True)
class Chronic:
    household: int  # the patient is member 1, an elder whose daughter pays
    hospital: int
    doctor: int  # index into the hospital's ordinary doctors
    weekday: int


@dataclass(frozen=True, slots=True)
class BusyFamily:
    household: int
    hospital: int
    rate: float  # bookings per day


@dataclass(frozen=True, slots=True)
class Company:
    """An employer paying its staff's health checks: one payer, many patients, human speed."""

    index: int
    payer: Payer
    ip: str
    account: str
    device: str
    hospital: int
    check_day: int
    staff: tuple[int, ...]  # households whose member 0 works there


@dataclass(frozen=True, slots=True)
class EscortAgent:
    id: str
    name: str
    phone: str
    account: str
    device: str


@dataclass(frozen=True, slots=True)
class Agency:
    """A licensed escort service: its agents book a few patients a week, by hand."""

    index: int
    payer: Payer
    ip: str
    agents: tuple[EscortAgent, ...]


@dataclass(frozen=True, slots=True)
class Clan:
    """A large family: two or three households whose head (member 0 of the first) books,
    pays and gives her phone for everyone."""

    households: tuple[int, ...]
    hospital: int
    rate: float  # bookings per day


@dataclass(frozen=True, slots=True)
class EscortOffice:
    """An escort company: one office address, several agents booking many clients each
    day within minutes after release, by hand; the company pays some bookings."""

    index: int
    payer: Payer
    ip: str
    agents: tuple[EscortAgent, ...]
    hospital: int
    per_day: tuple[int, int]  # clients booked on a working day


@dataclass
class Cast:
    fast: list[int] = field(default_factory=list)  # households whose member 0 is fast
    chronic: list[Chronic] = field(default_factory=list)
    busy: list[BusyFamily] = field(default_factory=list)
    companies: list[Company] = field(default_factory=list)
    agencies: list[Agency] = field(default_factory=list)
    clans: list[Clan] = field(default_factory=list)
    offices: list[EscortOffice] = field(default_factory=list)
    reserved: int = 0  # households below this number belong to the cast
    overrides: dict[int, Override] = field(default_factory=dict)


def build_cast(rng: random.Random, hospitals: list[Hospital], days: int, n_fast: int,
               n_chronic: int, n_busy: int, n_companies: int, staff: int, n_agencies: int,
               handles: Handles, phones: Phones, addresses: Addresses, n_offices: int = 0,
               n_clans: int = 0) -> Cast:
    """Reserve the look-alike households and create companies and escort agencies."""
    cast = Cast()
    nxt = 0
    for _ in range(n_chronic):
        hosp = rng.choice(hospitals)
        cast.chronic.append(Chronic(nxt, hosp.index, rng.randrange(len(hosp.ordinary)),
                                    rng.randrange(7)))
        cast.overrides[nxt] = Override(rng.randint(2, 4), True, rng.random() < 0.5, "elder")
        nxt += 1
    for _ in range(n_busy):
        cast.busy.append(BusyFamily(nxt, rng.choice(hospitals).index, rng.uniform(0.2, 0.45)))
        cast.overrides[nxt] = Override(rng.randint(3, 6), True, True, "elder")
        nxt += 1
    for _ in range(n_fast):
        cast.fast.append(nxt)
        cast.overrides[nxt] = Override(1, False, False)
        nxt += 1
    with_checkup = [h for h in hospitals if h.checkup is not None]
    for c in range(n_companies):
        owner = OTHERS + c
        members = tuple(range(nxt, nxt + staff))
        nxt += staff
        cast.companies.append(Company(
            c, handles.payer(owner, rng.choice(("alipay", "unionpay"))), addresses.office(c),
            handles.account(owner), handles.device(owner), rng.choice(with_checkup).index,
            rng.randrange(min(3, days - 1), days), members))
    for a in range(n_agencies):
        owner = OTHERS + 10_000 + a * 16
        agents = tuple(
            EscortAgent(handles.escort_agent(owner + k), full_name(hash64(owner, k)),
                        phones.make(owner + k), handles.account(owner + k),
                        handles.device(owner + k))
            for k in range(1, rng.randint(2, 4) + 1))
        cast.agencies.append(Agency(a, handles.payer(owner, "alipay"),
                                    addresses.office(1000 + a), agents))
    for _ in range(n_clans):  # drawn after the default cast, whose draws stay as they were
        size = rng.randint(2, 3)
        for k in range(size):
            cast.overrides[nxt + k] = Override(rng.randint(4, 6), True, True,
                                               "elder" if k == 0 else None)
        cast.clans.append(Clan(tuple(range(nxt, nxt + size)), rng.choice(hospitals).index,
                               rng.uniform(0.3, 0.6)))
        nxt += size
    for o in range(n_offices):
        owner = OTHERS + 20_000 + o * 16
        agents = tuple(
            EscortAgent(handles.escort_agent(owner + k), full_name(hash64(owner, k)),
                        phones.make(owner + k), handles.account(owner + k),
                        handles.device(owner + k))
            for k in range(1, rng.randint(3, 8) + 1))
        lo = rng.randint(3, 8)
        cast.offices.append(EscortOffice(
            o, handles.payer(owner, "unionpay"), addresses.office(2000 + o), agents,
            rng.choice(hospitals).index, (lo, lo + rng.randint(2, 12))))
    cast.reserved = nxt
    return cast
