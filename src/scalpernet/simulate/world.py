"""The world's parameters, and the city they build: hospitals, people, gangs, daily quotas.

Figures come from ``shared/domain.md`` (see ``docs/simulator.md`` for each one's source).
Everything scales with the number of records asked for, so a 2,000-row test city and a
10-million-row benchmark city have the same shape.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date

from scalpernet.records import REQUIRED as REQUIRED_COLUMNS
from scalpernet.simulate.behaviour import OPTION_KNOBS, RANGE_KNOBS, WIDE, check_knob
from scalpernet.simulate.bookings import COLUMNS
from scalpernet.simulate.gangs import Gang, build_gangs
from scalpernet.simulate.hospitals import DAY, HOUR, Clock, Hospital, build_hospitals
from scalpernet.simulate.identities import Addresses, Handles, IdNumbers, Phones
from scalpernet.simulate.population import Cast, Population, Routes, build_cast
from scalpernet.simulate.rand import derive

#: Largest world: owner-number ranges of the identifier spaces are sized for it.
MAX_RECORDS = 20_000_000
MIN_RECORDS = 500
PROFILES = ("default", "wide")
#: The gang knobs (docs/simulator.md): option tuples or (low, high) ranges.
GANG_KNOBS = (*OPTION_KNOBS, *RANGE_KNOBS)


@dataclass(frozen=True)
class WorldParams:
    """What the world looks like. Defaults follow the domain brief."""

    records: int = 100_000
    seed: int = 1
    start: date = date(2025, 3, 3)
    # how honest bookings reach the server (shares of honest bookings; the rest: home)
    nat_share: float = 0.35
    wifi_share: float = 0.08
    kiosk_share: float | None = None  # hall kiosks; None: 0.04 (wide: 0.10)
    patients_per_nat_ip: int = 300
    ipv6_home_share: float = 0.2
    virtual_phone_share: float = 0.015
    # fates
    cancel_rate: float = 0.08
    no_show_rate: float = 0.06
    # hot experts and the gangs' grab
    hot_share: float = 0.08  # of a hospital day's bookings at hot experts
    hot_slots_max: int = 30
    gang_capture: tuple[float, float] = (0.6, 0.9)  # of a targeted hot pool
    humanised_share: float = 0.3  # every third gang or so hides behind 1-5 s delays
    # honest timing
    release_watch_share: float = 0.1  # ordinary bookings in the first 10 min after release
    rows_per_file: int = 500_000
    # which world: "default" (the gangs the simulator has always drawn) or "wide" (every
    # knob below drawn per gang from its full range, stealth gangs planted)
    profile: str = "default"
    gangs: int | None = None  # None: 2 + 1 per 150k records (wide: 4 + 1 per 40k), max 30
    stealth_gangs: int | None = None  # None: 0 (wide: one gang in four, at least one)
    # gang knobs, each drawn per gang: None takes the profile's (see behaviour.py)
    tool_timing: tuple[str, ...] | None = None  # machine, human, mixed
    machine_ms: tuple[int, int] | None = None  # machine-speed latency after release
    human_delay_s: tuple[float, float] | None = None  # human-like delays
    origin: tuple[str, ...] | None = None  # servers, proxies, residential, carrier NAT
    proxy_pool: tuple[int, int] | None = None  # residential pool size
    devices: tuple[str, ...] | None = None  # emulators, spoofed, absent
    tool_accounts: tuple[str, ...] | None = None  # bot, customer
    money: tuple[str, ...] | None = None  # first_level, technician_first, customer_qr, ...
    agents_written: tuple[str, ...] | None = None  # always, sometimes, never
    contact: tuple[str, ...] | None = None  # agent, first_level, customer, mixed
    first_level_as: tuple[str, ...] | None = None  # agent, payer, phone, payer and phone
    placeholder_share: tuple[float, float] | None = None
    agents: tuple[int, int] | None = None  # second-level scalpers per gang
    activity: tuple[str, ...] | None = None  # whole, burst
    burst_days: tuple[int, int] | None = None
    payers: tuple[int, int] | None = None  # first-level payment accounts
    # look-alikes beyond the default cast (None: the profile's; see docs/simulator.md)
    release_watchers: tuple[int, int] | None = None  # fast humans per hot pool per release
    health_check_companies: int | None = None
    escort_companies: int | None = None  # offices booking many clients minutes after release
    large_families: int | None = None  # clans: one payer and one phone for up to 18 people
    # the export's shape: optional contract columns left out of the files
    drop_columns: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not MIN_RECORDS <= self.records <= MAX_RECORDS:
            raise ValueError(f"records must be between {MIN_RECORDS} and {MAX_RECORDS}")
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {', '.join(PROFILES)}")
        for name in GANG_KNOBS:
            value = getattr(self, name)
            if value is not None:
                check_knob(name, value)
        if self.gangs is not None and not 1 <= self.gangs <= 30:
            raise ValueError("gangs must be between 1 and 30")
        check_drop_columns(self.drop_columns)

    @classmethod
    def wide(cls, **overrides: object) -> WorldParams:
        """The wide world: every gang knob drawn per gang from its full range, more and
        more kinds of look-alikes (hall kiosks carry 10 % of honest bookings)."""
        return cls(**{"profile": "wide", "kiosk_share": 0.10, **overrides})  # type: ignore[arg-type]

    def lookalikes(self) -> dict[str, object]:
        """How many of each look-alike: those set, else the profile's."""
        n, wide = self.records, self.profile == "wide"
        profile = {
            "release_watchers": (2, 6) if wide else None,
            "health_check_companies": min(10, (2 + n // 50_000) if wide else 1 + n // 150_000),
            "escort_companies": min(6, 1 + n // 100_000) if wide else 0,
            "large_families": max(5, n // 4_000) if wide else 0,
            "kiosk_share": 0.10 if wide else 0.04,
        }
        return {k: v if getattr(self, k) is None else getattr(self, k)
                for k, v in profile.items()}

    def knobs(self) -> dict[str, tuple]:
        """The gang knobs each gang draws from: those set, and the wide profile's."""
        out = {}
        for name in GANG_KNOBS:
            value = getattr(self, name)
            if value is None and self.profile == "wide":
                value = WIDE[name]
            if value is not None:
                out[name] = value
        return out

    def gang_count(self) -> int:
        if self.gangs is not None:
            return self.gangs
        if self.profile == "wide":
            return min(30, 4 + self.records // 40_000)
        return min(30, 2 + self.records // 150_000)

    def stealth(self, count: int) -> set[int]:
        """Which gangs are stealth gangs: gangs 2, 6, 10, ... (the only one in a one-gang
        city)."""
        k = self.stealth_gangs
        if k is None:
            k = max(1, count // 4) if self.profile == "wide" else 0
        picks = [g for g in range(1, count, 4)] or [0]
        return set(picks[:k])


def check_drop_columns(columns: tuple[str, ...]) -> None:
    """Raise ``ValueError`` (one line) unless every name is an optional contract column."""
    unknown = [c for c in columns if c not in COLUMNS]
    if unknown:
        raise ValueError(f"unknown column(s) {', '.join(unknown)}: the contract columns are "
                         f"{', '.join(COLUMNS)}")
    required = [c for c in columns if c in REQUIRED_COLUMNS]
    if required:
        raise ValueError(f"cannot drop required column(s) {', '.join(required)}: optional "
                         f"are {', '.join(c for c in COLUMNS if c not in REQUIRED_COLUMNS)}")


@dataclass
class World:
    """The built city: everything a hospital's generator needs, derived from the params."""

    params: WorldParams
    hospitals: list[Hospital]
    days: int
    export: int  # the export's time: later slots are still "booked"
    clock: Clock
    ids: IdNumbers
    phones: Phones
    handles: Handles
    addresses: Addresses
    population: Population
    households: int
    cast: Cast
    gangs: list[Gang]
    pools: dict[tuple[int, str], list]
    quota: list[list[int]]  # rows per hospital per visit day
    hot_slots: list[list[int]]  # slots per hot doctor per hospital per visit day
    summary: dict = field(default_factory=dict)

    @property
    def columns(self) -> tuple[str, ...]:
        """The export's columns: the contract's, less those dropped."""
        return tuple(c for c in COLUMNS if c not in self.params.drop_columns)

    @property
    def keep(self) -> frozenset[str]:
        return frozenset(self.columns)


def _largest_remainder(total: int, weights: list[float]) -> list[int]:
    s = sum(weights)
    raw = [total * w / s for w in weights]
    out = [int(r) for r in raw]
    order = sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))
    for i in order[: total - sum(out)]:
        out[i] += 1
    return out


def build_world(params: WorldParams) -> World:
    """Build the city for ``params``; cheap (milliseconds) and deterministic per seed."""
    n, seed = params.records, params.seed
    n_hosp = min(8, 3 + n // 200_000)
    days = min(365, max(14, n // 25_000))
    per_batch = n / (n_hosp * days)
    hot_per_hospital = min(8, max(2, round(per_batch * params.hot_share / 20)))
    hospitals = build_hospitals(n_hosp, hot_per_hospital, seed)
    addresses = Addresses(seed)
    handles = Handles(seed)
    for hosp in hospitals:
        # one public address for the hospital's guest Wi-Fi, two in a big city
        hosp.wifi_ips = [addresses.hospital(hosp.index * 4 + k)
                         for k in range(1 + (n >= 500_000))]
        hosp.kiosks = [(addresses.kiosk(hosp.index + 1, k), handles.device((1 << 26) + 50_000
                                                                            + hosp.index * 64 + k))
                       for k in range(4 + hosp.index % 5)]
    phones = Phones(seed)
    ids = IdNumbers(seed, params.start)
    rng = random.Random(derive(seed, "cast"))
    more = params.lookalikes()
    cast = build_cast(
        rng, hospitals, days,
        n_fast=max(5, n // (2_000 if more["release_watchers"] else 20_000)),
        n_chronic=max(6, n // 3_000),
        n_busy=max(10, n // 2_000), n_companies=int(more["health_check_companies"]),
        staff=min(120, max(10, n // 500)), n_agencies=min(6, 1 + n // 250_000),
        handles=handles, phones=phones, addresses=addresses,
        n_offices=int(more["escort_companies"]), n_clans=int(more["large_families"]))
    honest = n * (1 - params.hot_share)
    routes = Routes(params.nat_share, params.wifi_share, float(more["kiosk_share"]),
                    max(3, round(honest * params.nat_share / params.patients_per_nat_ip)),
                    params.virtual_phone_share, params.ipv6_home_share)
    households = cast.reserved + max(600, n // 2)
    population = Population(seed, ids, phones, handles, addresses, routes, cast.overrides)
    count = params.gang_count()
    gangs, pools = build_gangs(
        random.Random(derive(seed, "gangs")), count, hospitals, days, n,
        params.humanised_share, params.gang_capture, ids, phones, handles, addresses,
        knobs=params.knobs(), stealth=params.stealth(count), seed=seed,
        pinned=frozenset(k for k in GANG_KNOBS if getattr(params, k) is not None),
        nat_ips=routes.nat_ips)
    weights = []
    clock = Clock(params.start)
    for hosp in hospitals:
        for v in range(days):
            weekend = clock.date(v).weekday() >= 5
            weights.append(hosp.weight * (0.6 if weekend else 1.0))
    flat = _largest_remainder(n, weights)
    quota = [flat[h * days:(h + 1) * days] for h in range(n_hosp)]
    hot_slots = [[max(1, min(params.hot_slots_max, round(q * params.hot_share / len(hosp.hot))))
                  for q in quota[hosp.index]] for hosp in hospitals]
    export = (days - 1) * DAY + 12 * HOUR
    return World(params, hospitals, days, export, clock, ids, phones, handles, addresses,
                 population, households, cast, gangs, pools, quota, hot_slots)
