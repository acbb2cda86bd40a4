"""The array forms the ordinary crowd uses give exactly what the one-at-a-time code gives."""

from __future__ import annotations

import random
from datetime import date

import numpy as np

from scalpernet.simulate.bookings import human_times, next_open, settle_many
from scalpernet.simulate.hospitals import DAY, HOUR, MINUTE, Clock
from scalpernet.simulate.identities import (
    CHANNELS,
    SURNAMES,
    Handles,
    IdNumbers,
    Phones,
    given_name,
    given_name_many,
    surname,
    surname_index_many,
)
from scalpernet.simulate.population import BANDS
from scalpernet.simulate.rand import Permutation, hash64, hash64_many, mix64, mix64_many
from scalpernet.simulate.world import WorldParams, build_world

RNG = random.Random(42)


def test_hashes_and_permutations_match_their_scalar_forms() -> None:
    xs = [RNG.getrandbits(64) for _ in range(500)]
    a = np.array(xs, dtype=np.uint64)
    assert mix64_many(a).tolist() == [mix64(x) for x in xs]
    assert hash64_many(99, a, 1).tolist() == [hash64(99, x, 1) for x in xs]
    for n in (7, 1000, 1 << 28, 48 * 10**8):
        perm = Permutation(n, 5)
        owners = [RNG.randrange(n) for _ in range(500)]
        assert perm.many(np.array(owners)).tolist() == [perm(i) for i in owners]


def test_identifiers_match_their_scalar_forms() -> None:
    ids, phones, handles = IdNumbers(3, date(2025, 3, 3)), Phones(3), Handles(3)
    owners = np.array([RNG.randrange(1 << 26) for _ in range(300)])
    for band in ("child", "adult", "elder"):
        for local in (True, False):
            small = owners % 1_000_000
            assert ids.make_many("gang", band, local, small) == [
                ids.make("gang", band, local, o) for o in small.tolist()]
    assert phones.make_many(owners, True) == [phones.make(o, True) for o in owners.tolist()]
    assert handles.accounts_many(owners) == [handles.account(o) for o in owners.tolist()]
    assert handles.devices_many(owners) == [handles.device(o) for o in owners.tolist()]
    assert handles.visit_cards_many(2, owners) == [handles.visit_card(2, o)
                                                  for o in owners.tolist()]
    channels = owners % 3
    assert handles.payers_many(owners, channels) == [
        handles.payer(o, CHANNELS[c]).account for o, c in zip(owners.tolist(),
                                                               channels.tolist(), strict=True)]
    xs = np.array([RNG.getrandbits(64) for _ in range(300)], dtype=np.uint64)
    assert given_name_many(xs) == [given_name(x) for x in xs.tolist()]
    assert [SURNAMES[i] for i in surname_index_many(xs)] == [surname(x) for x in xs.tolist()]


def test_households_and_people_match_their_scalar_forms() -> None:
    """Ordinary households and the cast's (whose shape is fixed) alike."""
    world = build_world(WorldParams(records=50_000, seed=9))
    pop = world.population
    cast = [c.household for c in world.cast.chronic] + [b.household for b in world.cast.busy]
    h = np.array(cast + [RNG.randrange(world.cast.reserved, world.households)
                         for _ in range(2_000)])
    hh = pop.households(h)
    m = pop.pick_members(hh, np.array([RNG.random() for _ in h]))
    names, id_numbers, phones = pop.people(hh, m)
    payers, channels = pop.payers_many(h * 6 + m)
    homes = pop.home_ips(h)
    for i, (k, j) in enumerate(zip(h.tolist(), m.tolist(), strict=True)):
        one = pop.household(k)
        assert (one.size, one.family_pays, one.shared_phone) == (
            int(hh.size[i]), bool(hh.family_pays[i]), bool(hh.shared_phone[i]))
        assert one.bands == tuple(BANDS[b] for b in hh.bands[i, :one.size].tolist())
        assert 0 <= j < one.size
        person = pop.person(k, j)
        assert (person.name, person.id_number, person.phone) == (
            names[i], id_numbers[i], phones[i])
        assert (pop.payer(k * 6 + j).account, pop.payer(k * 6 + j).channel) == (
            payers[i], channels[i])
        assert pop.home_ip(k) == homes[i]
    assert pop.first_phones(h) == [pop.phone(k, 0) for k in h.tolist()]
    assert any(p is None for p in phones) and any(":" in ip for ip in homes)


def test_time_helpers_match_their_scalar_forms() -> None:
    world = build_world(WorldParams(records=5_000, seed=2))
    clock = Clock(date(2025, 3, 3))
    times = np.array([RNG.randrange(-14 * DAY, 30 * DAY) for _ in range(2_000)])
    assert clock.iso_many(times) == [clock.iso(t) for t in times.tolist()]
    for hosp in world.hospitals:
        assert hosp.closed_many(times).tolist() == [hosp.closed(t) for t in times.tolist()]
        assert hosp.next_open_many(times).tolist() == [next_open(hosp, t)
                                                      for t in times.tolist()]


def test_human_times_and_fates_stay_in_bounds() -> None:
    world = build_world(WorldParams(records=5_000, seed=2))
    hosp = world.hospitals[0]
    rng = np.random.default_rng(1)
    lo = np.array([RNG.randrange(0, 5 * DAY) for _ in range(3_000)])
    hi = lo + np.array([RNG.choice((0, MINUTE, HOUR, 3 * DAY)) for _ in range(3_000)])
    t = human_times(rng, hosp, lo, hi)
    assert ((lo <= t) & (t <= hi)).all()
    assert not hosp.closed_many(t[hi > lo + HOUR]).any()
    slot = hi + 4 * HOUR
    status, cancelled = settle_many(rng, hosp, slot, t, 30 * DAY, 0.1, 0.06)
    gone = cancelled >= 0
    assert 0.05 < gone.mean() < 0.15
    assert (status[gone] == 1).all() and (cancelled[gone] > t[gone]).all()
    assert not hosp.closed_many(cancelled[gone]).any()
