"""The ordinary crowd: one hospital day's honest background bookings, drawn as arrays.

Most rows of a city are ordinary households booking an ordinary doctor, hours or days after
release. They are drawn a whole hospital day at a time with numpy (one generator per
hospital day, seeded from the world seed), and their people, phones, payers, accounts and
addresses come from the array forms of the functions the one-booking-at-a-time code uses
(:class:`~scalpernet.simulate.population.Population`), so a household is the same people
with the same identifiers whichever path books for it.
"""

from __future__ import annotations

from itertools import repeat

import numpy as np

from scalpernet.simulate.bookings import STATUSES, human_times, settle_many
from scalpernet.simulate.hospitals import DAY, HOUR, MINUTE, Doctor, Hospital
from scalpernet.simulate.identities import as_written
from scalpernet.simulate.rand import derive
from scalpernet.simulate.world import World

NAT, WIFI, KIOSK, HOME = range(4)
#: An honest booking decided elsewhere: (household, member or -1, doctor, slot, booked time,
#: route or -1); -1 leaves the choice to the crowd's draws.
Ready = tuple[int, int, Doctor, int, int, int]


class Crowd:
    """Draws one hospital's ordinary bookings, visit day by visit day."""

    def __init__(self, world: World, hospital: Hospital, innocent: dict) -> None:
        self.world, self.hosp, self.pop = world, hospital, world.population
        self.innocent = innocent  # (kind, key) -> why, shared with the hospital's generator
        routes = world.population.routes
        self._route_cum = np.cumsum([routes.nat, routes.wifi, routes.kiosk])
        self._nat: dict[int, str] = {}

    def _households(self, u: np.ndarray, often: np.ndarray) -> np.ndarray:
        """Ordinary household numbers; three draws in ten from the one in twenty who book
        often (sick elders, small children)."""
        cast_end = self.world.cast.reserved
        n = self.world.households - cast_end
        return cast_end + (u * np.where(often, n // 20, n)).astype(np.int64)

    def day(self, v: int, released: int, count: int,
            ready: list[Ready] = ()) -> tuple[np.ndarray, list]:
        """``count`` ordinary bookings for visit day ``v``, plus the ``ready`` ones: their
        booking times and rows.

        ``ready`` holds honest bookings whose household, doctor, slot and time are already
        decided (hot-pool winners, chronic patients, busy families); their member and route
        are drawn here where given as -1. Rows are tuples of texts in contract column order
        without the registration id (``""`` for empty).
        """
        hosp, params = self.hosp, self.world.params
        rng = np.random.default_rng(derive(params.seed, "crowd", hosp.index, v))
        u = rng.random((9, count))
        h = self._households(u[1], u[0] < 0.3)
        member = np.full(count, -1, dtype=np.int64)
        ordinary = hosp.ordinary
        doctors = [ordinary[d] for d in (u[2] * len(ordinary)).astype(np.int64).tolist()]
        minute = np.where(u[3] < 0.6, 8 * 60 + 15 * (u[4] * 16).astype(np.int64),
                          13 * 60 + 30 + 15 * (u[4] * 15).astype(np.int64))
        slot = v * DAY + minute * MINUTE
        route = self._routes(u[5])
        # when: at the hospital on the day, right after release, or any waking hour
        onsite = (route == WIFI) | (route == KIOSK)
        watch = ~onsite & (u[6] < params.release_watch_share)
        lo = np.where(onsite, max(released + MINUTE, v * DAY + 6 * HOUR + 30 * MINUTE),
                      released + MINUTE)
        hi = np.where(onsite, slot - 10 * MINUTE, slot - 30 * MINUTE)
        booked = human_times(rng, hosp, lo, hi)
        booked = np.where(watch, released + MINUTE + (u[7] * 9 * MINUTE).astype(np.int64),
                          booked)
        if ready:
            rh, rm, rdoctors, rslot, rbooked, rroute = zip(*ready, strict=True)
            h = np.concatenate([h, np.array(rh, dtype=np.int64)])
            member = np.concatenate([member, np.array(rm, dtype=np.int64)])
            doctors += rdoctors
            slot = np.concatenate([slot, np.array(rslot, dtype=np.int64)])
            booked = np.concatenate([booked, np.array(rbooked, dtype=np.int64)])
            route = np.concatenate([route, np.array(rroute, dtype=np.int64)])
        return booked, self._rows(rng, released, h, member, doctors, slot, booked, route)

    def _routes(self, u: np.ndarray) -> np.ndarray:
        """Routes drawn by their shares of honest bookings."""
        return np.searchsorted(self._route_cum, u, side="right")

    def _rows(self, rng: np.random.Generator, released: int, h: np.ndarray,
              member: np.ndarray, doctors: list[Doctor], slot: np.ndarray,
              booked: np.ndarray, route: np.ndarray) -> list[tuple]:
        """The rows of honest bookings: who in each household (where ``member`` is -1),
        identifiers, route (where -1), fates."""
        world, hosp, pop, params = self.world, self.hosp, self.pop, self.world.params
        count = len(h)
        u = rng.random((5, count))
        hh = pop.households(h)
        m = np.where(member < 0, pop.pick_members(hh, u[0]), member)
        route = np.where(route < 0, self._routes(u[4]), route)
        # who: the patient, the family member who books and pays, the contact phone
        names, ids, phones = pop.people(hh, m)
        owner = h * 6 + m
        no_phone = np.array([p is None for p in phones], dtype=bool)
        booker = np.where(hh.family_pays | no_phone, h * 6, owner)
        shared = hh.shared_phone | no_phone
        first_phones = pop.first_phones(h)
        payers, channels = pop.payers_many(booker)
        handles = world.handles
        accounts = handles.accounts_many(booker)
        devices = handles.devices_many(booker)
        ips = self._ips(route, h, u[1], accounts, devices)

        # what the export shows: visit cards, phones and ID numbers as written
        x = (u[2] * 1e15).astype(np.int64)
        cards = [""] * count
        with_card = np.flatnonzero(x % 100 < 85)
        for i, card in zip(with_card.tolist(),
                           handles.visit_cards_many(hosp.index + 1, owner[with_card]),
                           strict=True):
            cards[i] = card
        lower_x = (x % 5 == 0).tolist()
        ids = [i[:-1] + "x" if low and i[-1] == "X" else i
               for i, low in zip(ids, lower_x, strict=True)]
        contacts = [f if s else p for s, f, p in
                    zip(shared.tolist(), first_phones, phones, strict=True)]
        written = (x >> 8) % 100
        for i in np.flatnonzero(written >= 96).tolist():
            contacts[i] = as_written(contacts[i], int(written[i]))

        paid = booked + 20_000 + (u[3] * 100_000).astype(np.int64)
        status, cancelled = settle_many(rng, hosp, slot, booked, world.export,
                                        params.cancel_rate, params.no_show_rate)
        clock = world.clock
        cancelled_at = [""] * count
        at = np.flatnonzero(cancelled >= 0)
        for i, text in zip(at.tolist(), clock.iso_many(cancelled[at]), strict=True):
            cancelled_at[i] = text
        slot_at = {t: clock.iso_repeated(t) for t in np.unique(slot).tolist()}
        return list(zip(
            repeat(hosp.name), [d.department for d in doctors], [d.code for d in doctors],
            [slot_at[t] for t in slot.tolist()], repeat(clock.iso_repeated(released)),
            clock.iso_many(booked), clock.iso_many(paid), [STATUSES[s] for s in status.tolist()],
            cancelled_at, [d.fee for d in doctors], names, ids, contacts, cards, accounts,
            devices, ips, payers, channels, repeat(""), repeat(""), repeat("")))

    def _ips(self, route: np.ndarray, h: np.ndarray, u: np.ndarray, accounts: list[str],
             devices: list[str]) -> list[str]:
        """Each booking's address by route; kiosks also replace the device and clear the
        account. Carrier NAT, hospital Wi-Fi and kiosk addresses are noted as innocent."""
        hosp, innocent = self.hosp, self.innocent
        ips = [""] * len(route)
        home = np.flatnonzero(route == HOME)
        for i, ip in zip(home.tolist(), self.pop.home_ips(h[home]), strict=True):
            ips[i] = ip
        nat_ips = self.pop.routes.nat_ips
        for i in np.flatnonzero(route == NAT).tolist():
            k = int(u[i] * nat_ips)
            ip = self._nat.get(k)
            if ip is None:
                ip = self._nat[k] = self.world.addresses.carrier_nat(k)
                innocent[("ip", ip)] = "carrier NAT"
            ips[i] = ip
        for i in np.flatnonzero(route == WIFI).tolist():
            ips[i] = ip = hosp.wifi_ips[int(u[i] * len(hosp.wifi_ips))]
            innocent[("ip", ip)] = "hospital wifi"
        for i in np.flatnonzero(route == KIOSK).tolist():
            ips[i], devices[i] = ip, device = hosp.kiosks[int(u[i] * len(hosp.kiosks))]
            accounts[i] = ""  # kiosks book with the visit card, no app account
            innocent[("ip", ip)] = "kiosk"
            innocent[("device", device)] = "kiosk"
        return ips
