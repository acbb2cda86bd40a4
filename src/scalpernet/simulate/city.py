"""One hospital's bookings, visit day by visit day: the grab at release, then the day.

For each visit day the slot pools of hot experts are contested at release time (bots ~0.02 s,
humanised gangs 1-5 s, fast humans 1-3 s, everyone else a minute or more), then the cast of
look-alikes books (chronic patients, company health checks, licensed escorts, busy
families), and ordinary households fill the day's quota. Every day's rows are sorted by
booking time and written before the next day starts.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scalpernet.simulate.bookings import Booking, human_time, next_open, settle
from scalpernet.simulate.crowd import HOME, NAT, Crowd, Ready
from scalpernet.simulate.gangs import Gang, GangDesk
from scalpernet.simulate.hospitals import (
    DAY,
    HOUR,
    MINUTE,
    SECOND,
    Hospital,
    ordinary_slot_minute,
    slot_times,
)
from scalpernet.simulate.identities import as_written, patient_key
from scalpernet.simulate.rand import derive
from scalpernet.simulate.world import World
from scalpernet.simulate.writer import RowWriter

_FAST = "fast"


@dataclass
class HospitalResult:
    """What one hospital's generator wrote and saw."""

    code: str
    files: list[str]
    rows: int
    members: dict  # gang id -> kind -> key -> (role, as)
    innocent: dict  # (kind, key) -> why
    gang_bookings: Counter = field(default_factory=Counter)


class HospitalDays:
    """Generates one hospital's visit days."""

    def __init__(self, world: World, hospital: Hospital) -> None:
        self.world = world
        self.hosp = hospital
        self.pop = world.population
        self.params = world.params
        self.members: dict = {}
        self.innocent: dict = {}
        self.gang_bookings: Counter = Counter()
        self.keep = world.keep
        self.desk = GangDesk(hospital, world.ids, world.phones, world.handles, world.addresses,
                             world.days, world.export, self.members, self.innocent, self.keep)
        cast = world.cast
        self.chronic = [c for c in cast.chronic if c.hospital == hospital.index]
        self.busy = [b for b in cast.busy if b.hospital == hospital.index]
        self.busy_count: Counter = Counter()
        self.companies = [c for c in cast.companies if c.hospital == hospital.index]
        self.escort_rate = 4 / 7 / len(world.hospitals)  # ~4 patients a week per agent
        self.watchers = world.params.lookalikes()["release_watchers"]
        self.clans = [c for c in cast.clans if c.hospital == hospital.index]
        self.offices = [o for o in cast.offices if o.hospital == hospital.index]
        # the day's honest bookings whose rows the crowd builds (hot-pool winners who are
        # ordinary people, chronic patients, busy families)
        self.ready: list[Ready] = []

    def _regular(self, rng: random.Random) -> int:
        """An ordinary household; one in twenty books often (sick elders, small children)."""
        cast_end = self.world.cast.reserved
        n = self.world.households - cast_end
        if rng.random() < 0.3:
            return cast_end + int(rng.random() * (n // 20))
        return cast_end + int(rng.random() * n)

    def _settle(self, rng: random.Random, b: Booking) -> Booking:
        settle(rng, self.hosp, b, self.world.export, self.params.cancel_rate,
               self.params.no_show_rate)
        return b

    def day(self, v: int, target: int) -> list[tuple[Booking, str | None]]:
        """The hot pools' and the look-alikes' bookings for visit day ``v``, at most about
        ``target`` of them (the ordinary crowd fills the rest: :class:`Crowd`)."""
        world, hosp, pop = self.world, self.hosp, self.pop
        rng = random.Random(derive(world.params.seed, "day", hosp.index, v))
        released = hosp.release_ms(v)
        out: list[tuple[Booking, str | None]] = []
        self.ready = []
        self._hot_pools(rng, v, released, out)
        weekday = world.clock.date(v).weekday()
        for c in self.chronic:
            if c.weekday != weekday or len(out) + len(self.ready) >= target:
                continue
            doctor = hosp.ordinary[c.doctor]
            slot = v * DAY + ordinary_slot_minute(rng) * MINUTE
            booked = human_time(rng, hosp, released + MINUTE, slot - 30 * MINUTE)
            self.ready.append((c.household, 1, doctor, slot, booked, -1))
            patient = pop.person(c.household, 1)
            self.innocent[("patient", patient_key(patient.id_number, patient.name))] = (
                "chronic patient")
        for company in self.companies:
            if company.check_day == v:
                room = max(0, (target - len(out) - len(self.ready)) // 2)
                self._health_check(rng, company, v, released, room, out)
        for agency in world.cast.agencies:
            for agent in agency.agents:
                if rng.random() < self.escort_rate and len(out) + len(self.ready) < target:
                    out.append((self._escorted(rng, agency, agent, v, released), None))
        for fam in self.busy:
            if rng.random() < fam.rate and len(out) + len(self.ready) < target:
                self._busy_family(rng, fam.household, v, released)
        for clan in self.clans:
            if rng.random() < clan.rate and len(out) + len(self.ready) < target:
                out.append((self._clan(rng, clan, v, released), None))
        for office in self.offices:
            if weekday < 5:
                room = max(0, (target - len(out) - len(self.ready)) // 4)
                self._office_day(rng, office, v, released, room, out)
        return out

    def _innocent(self, kind: str, key: str | None, why: str, column: str) -> None:
        if key and column in self.keep:
            self.innocent[(kind, key)] = why

    def _clan(self, rng: random.Random, clan, v: int, released: int) -> Booking:
        """A large family's head books for one of up to eighteen relatives: her payer and
        her phone on every booking."""
        hosp, pop = self.hosp, self.pop
        h = clan.households[int(rng.random() * len(clan.households))]
        m = pop.pick_member(rng, pop.household(h))
        doctor = hosp.ordinary[int(rng.random() * len(hosp.ordinary))]
        slot = v * DAY + ordinary_slot_minute(rng) * MINUTE
        booked = human_time(rng, hosp, released + MINUTE, slot - 30 * MINUTE)
        b = pop.booking(rng, hosp, doctor, slot, released, booked, h, m, route="home")
        head = clan.households[0]
        payer, phone = pop.payer(head * 6), pop.phone(head, 0)
        b.payer, b.channel, b.phone = payer.account, payer.channel, phone
        b.account, b.device = self.world.handles.account(head * 6), self.world.handles.device(
            head * 6)
        b.ip = pop.home_ip(head)
        self._innocent("payer", payer.account, "large family", "payer_account")
        self._innocent("phone", phone, "large family", "phone")
        return self._settle(rng, b)

    def _office_day(self, rng: random.Random, office, v: int, released: int, room: int,
                    out: list[tuple[Booking, str | None]]) -> None:
        """An escort company's agents book their clients from the office, one after another
        within minutes after release (by hand: a minute or more apart)."""
        hosp, pop = self.hosp, self.pop
        t = released + rng.randint(2, 5) * MINUTE
        for _ in range(min(room, rng.randint(*office.per_day))):
            agent = office.agents[int(rng.random() * len(office.agents))]
            h = self._regular(rng)
            m = pop.pick_member(rng, pop.household(h))
            doctor = hosp.ordinary[int(rng.random() * len(hosp.ordinary))]
            slot = v * DAY + ordinary_slot_minute(rng) * MINUTE
            t = next_open(hosp, t + rng.randint(40, 150) * SECOND)
            if t >= slot - 30 * MINUTE:
                break
            b = pop.booking(rng, hosp, doctor, slot, released, t, h, m, route="home")
            b.account, b.device, b.ip = agent.account, agent.device, office.ip
            b.agent_id, b.agent_name, b.agent_phone = agent.id, agent.name, agent.phone
            if rng.random() < 0.5:
                b.phone = agent.phone
                self._innocent("phone", agent.phone, "escort company", "phone")
            if rng.random() < 0.5:
                b.payer, b.channel = office.payer.account, office.payer.channel
                self._innocent("payer", office.payer.account, "escort company",
                               "payer_account")
            self._innocent("ip", office.ip, "escort company", "ip")
            self._innocent("escort_agent", agent.id, "escort company", "escort_agent_id")
            self._innocent("phone", agent.phone, "escort company", "escort_agent_phone")
            self._innocent("account", agent.account, "escort company", "account_id")
            self._innocent("device", agent.device, "escort company", "device_id")
            out.append((self._settle(rng, b), None))

    def _hot_pools(self, rng: random.Random, v: int, released: int,
                   out: list[tuple[Booking, str | None]]) -> None:
        world, hosp, pop = self.world, self.hosp, self.pop
        slots = world.hot_slots[hosp.index][v]
        minutes = slot_times(slots)
        for doctor in hosp.hot:
            requests: list[tuple[int, int, Gang | str | None]] = []
            for gang, share in world.pools.get((hosp.index, doctor.code), ()):
                if not gang.active[0] <= v <= gang.active[1]:
                    continue
                want = share * slots
                demand = int(want) + (rng.random() < want - int(want))
                for k in range(demand):
                    requests.append((gang.latency_ms(rng, k), len(requests), gang))
            watchers = ((0, 0, 1, 1, 2)[int(rng.random() * 5)] if self.watchers is None
                        else rng.randint(*self.watchers))
            for _ in range(watchers):
                requests.append((rng.randint(1000, 3000), len(requests), _FAST))
            for _ in range(slots):  # people who sat ready at release: a minute or more
                requests.append((60_000 + int(rng.expovariate(1 / 90_000)), len(requests), None))
            requests.sort()
            for i, (latency, _, who) in enumerate(requests[:slots]):
                slot = v * DAY + minutes[i] * MINUTE
                booked = released + latency
                if isinstance(who, Gang):
                    for b in self.desk.grab(rng, who, doctor, v, slot, released, booked):
                        out.append((b, who.id))
                        self.gang_bookings[who.id] += 1
                    continue
                if who == _FAST:
                    h = world.cast.fast[int(rng.random() * len(world.cast.fast))]
                    b = pop.booking(rng, hosp, doctor, slot, released, booked, h, 0,
                                    route="nat" if rng.random() < 0.5 else "home",
                                    innocent=self.innocent)
                    self.innocent[("account", b.account)] = "fast human"
                else:  # booked with the crowd (same people, drawn in bulk)
                    route = NAT if rng.random() < 0.5 else HOME
                    self.ready.append((self._regular(rng), -1, doctor, slot, booked, route))
                    continue
                out.append((self._settle(rng, b), None))

    def _health_check(self, rng: random.Random, company, v: int, released: int, room: int,
                      out: list[tuple[Booking, str | None]]) -> None:
        """HR books the staff one after another, at human speed, all on one check day."""
        hosp, pop = self.hosp, self.pop
        staff = company.staff[:room]
        # done by the evening before the check day's first slot (08:00)
        latest = v * DAY + 8 * HOUR - 2 * HOUR - len(staff) * 3 * MINUTE
        t = human_time(rng, hosp, released + MINUTE, min(released + DAY, latest))
        for k, h in enumerate(staff):
            t = next_open(hosp, t + rng.randint(60, 180) * SECOND)
            slot = v * DAY + (8 * 60 + (k % 12) * 10) * MINUTE
            b = pop.booking(rng, hosp, hosp.checkup, slot, released, t, h, 0, route="home")
            b.ip, b.account, b.device = company.ip, company.account, company.device
            b.payer, b.channel = company.payer.account, company.payer.channel
            out.append((self._settle(rng, b), None))
        for kind, key in (("payer", company.payer.account), ("ip", company.ip),
                          ("account", company.account), ("device", company.device)):
            self.innocent[(kind, key)] = "company health check"

    def _escorted(self, rng: random.Random, agency, agent, v: int, released: int) -> Booking:
        """A licensed escort books one client by hand."""
        hosp, pop = self.hosp, self.pop
        h = self._regular(rng)
        m = pop.pick_member(rng, pop.household(h))
        doctor = hosp.ordinary[int(rng.random() * len(hosp.ordinary))]
        slot = v * DAY + ordinary_slot_minute(rng) * MINUTE
        booked = human_time(rng, hosp, released + MINUTE, slot - 30 * MINUTE)
        b = pop.booking(rng, hosp, doctor, slot, released, booked, h, m, route="home")
        b.account, b.device = agent.account, agent.device
        b.ip = agency.ip if rng.random() < 0.5 else None
        if b.ip is None:
            b.ip = self.world.addresses.carrier_nat(int(rng.random() * pop.routes.nat_ips))
            self.innocent[("ip", b.ip)] = "carrier NAT"
        else:
            self.innocent[("ip", b.ip)] = "licensed escort"
        if rng.random() < 0.4:
            b.phone = as_written(agent.phone, int(rng.random() * 100))
            self._innocent("phone", agent.phone, "licensed escort", "phone")
        if rng.random() < 0.3:
            b.payer, b.channel = agency.payer.account, agency.payer.channel
            self.innocent[("payer", agency.payer.account)] = "licensed escort"
        b.agent_id, b.agent_name, b.agent_phone = agent.id, agent.name, agent.phone
        self._innocent("phone", agent.phone, "licensed escort", "escort_agent_phone")
        for kind, key in (("escort_agent", agent.id), ("account", agent.account),
                          ("device", agent.device)):
            self.innocent[(kind, key)] = "licensed escort"
        return self._settle(rng, b)

    def _busy_family(self, rng: random.Random, h: int, v: int, released: int) -> None:
        """A family whose daughter books for everyone, often: one payer, several patients."""
        hosp, pop = self.hosp, self.pop
        m = self.busy_count[h] % pop.household(h).size
        self.busy_count[h] += 1
        doctor = hosp.ordinary[int(rng.random() * len(hosp.ordinary))]
        slot = v * DAY + ordinary_slot_minute(rng) * MINUTE
        booked = human_time(rng, hosp, released + MINUTE, slot - 30 * MINUTE)
        self.ready.append((h, m, doctor, slot, booked, -1))
        if self.busy_count[h] >= 2:  # pays for two or more of the family by now
            payer = pop.payer(h * 6)
            self.innocent[("payer", payer.account)] = "family payer"
            self._innocent("phone", pop.phone(h, 0), "family payer", "phone")


def generate_hospital(world: World, index: int, out_dir: Path, fmt: str) -> HospitalResult:
    """Write hospital ``index``'s rows; return its files, row count and truth notes."""
    hosp = world.hospitals[index]
    gen = HospitalDays(world, hosp)
    crowd = Crowd(world, hosp, gen.innocent)
    writer = RowWriter(out_dir, hosp.code, fmt, world.params.rows_per_file, world.columns)
    clock = world.clock
    carry = 0
    for v in range(world.days):
        target = world.quota[index][v] + carry
        bookings = gen.day(v, max(0, target))
        booked, rows = crowd.day(v, hosp.release_ms(v),
                                 max(0, target - len(bookings) - len(gen.ready)), gen.ready)
        rows[:0] = [b.row(hosp, clock) for b, _ in bookings]
        carry = target - len(rows)
        order = np.argsort(np.concatenate([np.array([b.booked for b, _ in bookings],
                                                    dtype=np.int64), booked]), kind="stable")
        prefix = f"{hosp.code}{clock.date(v).strftime('%Y%m%d')}"
        writer.write([(f"{prefix}{i:06d}", *rows[k])
                      for i, k in enumerate(order.tolist(), 1)])
    files = writer.close()
    if carry:
        raise RuntimeError(f"{hosp.code}: quota missed by {carry} rows")
    return HospitalResult(hosp.code, [f.name for f in files], writer.rows, gen.members,
                          gen.innocent, gen.gang_bookings)
