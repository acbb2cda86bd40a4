"""The world against the domain brief: who books how fast, through what, paying for whom."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import timedelta
from itertools import pairwise
from pathlib import Path

from scalpernet.identifiers import (
    junk_name_reason,
    normalise_name,
    parse_id_card,
    parse_phone,
)
from scalpernet.identifiers.idcard import REGION_CODES
from scalpernet.identifiers.phone import VIRTUAL_SEGMENTS
from scalpernet.simulate import WorldParams, simulate
from scalpernet.simulate.identities import LOCAL_REGIONS, OTHER_REGIONS
from scalpernet.simulate.world import build_world

from .conftest import City, entity_keys, latency_s, read_rows, ts

ROLES = {"technician", "first_level", "second_level", "patient"}
WHYS = {"hospital wifi", "carrier NAT", "kiosk", "family payer", "company health check",
        "licensed escort", "fast human", "chronic patient"}


def _gang_of_account(city: City) -> dict[str, dict]:
    gangs = {g["id"]: g for g in city.truth["gangs"]}
    return {m["key"]: gangs[m["gang"]] for m in city.members(kind="account", role="technician")}


def _washed(city: City) -> set[tuple[str, str, str, str]]:
    """(hospital, doctor, slot, booked_at) of bookings made within 6 s of a cancellation."""
    cancels = defaultdict(list)
    for r in city.rows:
        if r["cancelled_at"]:
            cancels[r["hospital"], r["doctor"], r["slot_time"]].append(ts(r["cancelled_at"]))
    out = set()
    for r in city.rows:
        booked = ts(r["booked_at"])
        for c in cancels.get((r["hospital"], r["doctor"], r["slot_time"]), ()):
            if c <= booked <= c + timedelta(seconds=6):
                out.add((r["hospital"], r["doctor"], r["slot_time"], r["booked_at"]))
    return out


def test_truth_has_contract_shape(city: City) -> None:
    gangs = city.truth["gangs"]
    assert len(gangs) >= 2 and len({g["id"] for g in gangs}) == len(gangs)
    for g in gangs:
        assert {m["role"] for m in g["members"]} == ROLES, g["id"]
        assert all(set(m) >= {"kind", "key", "role"} for m in g["members"])
    assert {i["why"] for i in city.truth["innocent"]} == WHYS
    gang_keys = {(m["kind"], m["key"]) for m in city.members()}
    assert not gang_keys & {(i["kind"], i["key"]) for i in city.truth["innocent"]}


def test_every_truth_entity_appears_in_the_data(city: City) -> None:
    seen: set[tuple[str, str]] = set()
    for r in city.rows:
        seen |= entity_keys(r)
    listed = {(m["kind"], m["key"]) for m in city.members()}
    listed |= {(i["kind"], i["key"]) for i in city.truth["innocent"]}
    assert listed - seen == set()


def test_bots_book_within_a_tenth_of_a_second_humanised_gangs_in_1_to_5(city: City) -> None:
    gang_of = _gang_of_account(city)
    profiles = {g["profile"] for g in city.truth["gangs"]}
    assert profiles == {"bot", "humanised"}
    washed = _washed(city)
    at_release: dict[str, list[float]] = defaultdict(list)
    for r in city.rows:
        gang = gang_of.get(r["account_id"])
        if gang is None:
            continue
        if (r["hospital"], r["doctor"], r["slot_time"], r["booked_at"]) in washed:
            continue  # re-booked to the buyer after a placeholder's cancellation
        at_release[gang["id"]].append(latency_s(r))
    for gang in city.truth["gangs"]:
        lat = at_release[gang["id"]]
        assert lat, gang["id"]
        if gang["humanised"]:
            assert all(1.0 <= x <= 5.0 for x in lat), (gang["id"], min(lat), max(lat))
        else:
            assert all(0.0 < x <= 0.1 for x in lat), (gang["id"], max(lat))
            assert sorted(lat)[len(lat) // 2] <= 0.04  # about 0.02 s, as in the Chengdu cases


def test_humans_need_a_minute_except_the_few_fast_ones(city: City) -> None:
    gang_accounts = set(_gang_of_account(city))
    fast = {key for kind, key in city.innocent("fast human")}
    honest = [r for r in city.rows if r["account_id"] not in gang_accounts]
    fast_seen = 0
    for r in honest:
        lat = latency_s(r)
        if lat < 60:
            assert r["account_id"] in fast, (r["account_id"], lat)
            assert 1.0 <= lat <= 3.0
            fast_seen += 1
    assert fast_seen >= 5
    near_release = sum(latency_s(r) < 600 for r in honest)
    assert near_release / len(honest) < 0.3  # most people do not book at release at all


def test_no_booking_while_the_server_is_in_maintenance(city: City) -> None:
    windows = {h["name"]: h["maintenance"] for h in city.truth["world"]["hospitals"]}
    for r in city.rows:
        start, end = windows[r["hospital"]]
        hm = r["booked_at"][11:16]
        closed = hm >= start or hm < end if start > end else start <= hm < end
        assert not closed, (r["hospital"], r["booked_at"])
        assert r["released_at"] <= r["booked_at"] < r["slot_time"]


def test_nat_and_hospital_wifi_carry_hundreds_of_patients(city: City) -> None:
    nat = {k for _, k in city.innocent("carrier NAT")}
    wifi = {k for _, k in city.innocent("hospital wifi")}
    gang_accounts = set(_gang_of_account(city))
    honest = [r for r in city.rows if r["account_id"] not in gang_accounts]
    nat_share = sum(r["ip"] in nat for r in honest) / len(honest)
    wifi_share = sum(r["ip"] in wifi for r in honest) / len(honest)
    assert 0.30 <= nat_share <= 0.45
    assert 0.04 <= wifi_share <= 0.10
    patients = defaultdict(set)
    for r in honest:
        patients[r["ip"]].add(r["id_number"])
    assert sorted(len(patients[ip]) for ip in nat)[len(nat) // 2] >= 100
    assert min(len(patients[ip]) for ip in wifi) >= 100


def _patients_by_payer(city: City) -> tuple[dict[str, set], Counter]:
    patients: dict[str, set] = defaultdict(set)
    bookings: Counter = Counter()
    for r in city.rows:
        if r["payer_account"]:
            patients[r["payer_account"]].add((r["id_number"].upper(), r["patient_name"]))
            bookings[r["payer_account"]] += 1
    return patients, bookings


def test_family_payers_pay_for_two_to_six(city: City) -> None:
    patients, _ = _patients_by_payer(city)
    family = [k for kind, k in city.innocent("family payer") if kind == "payer"]
    assert len(family) >= 5
    assert all(2 <= len(patients[p]) <= 6 for p in family)
    organisations = {k for kind, k in city.innocent("company health check")
                     | city.innocent("licensed escort") if kind == "payer"}
    gang_payers = {m["key"] for m in city.members(kind="payer")}
    for payer, who in patients.items():
        if payer not in organisations and payer not in gang_payers:
            assert len(who) <= 6, payer  # no household is bigger


def test_gang_payers_pay_far_more_than_any_family(city: City) -> None:
    _, bookings = _patients_by_payer(city)
    family = [k for kind, k in city.innocent("family payer") if kind == "payer"]
    busiest_family = max(bookings[p] for p in family)
    for gang in city.truth["gangs"]:
        first = [m["key"] for m in gang["members"] if m["kind"] == "payer"
                 and m["role"] == "first_level"]
        assert max(bookings[p] for p in first) >= 3 * busiest_family, gang["id"]


def test_placeholders_are_junk_and_washed_within_seconds(city: City) -> None:
    placeholder_keys = {m["key"] for m in city.members(kind="patient", **{"as": "placeholder"})}
    rows = [r for r in city.rows
            if f"{parse_id_card(r['id_number']).key}|{normalise_name(r['patient_name'])}"
            in placeholder_keys]
    assert len(rows) >= 20
    washed = _washed(city)
    rebooked = 0
    for r in rows:
        assert not parse_id_card(r["id_number"]).valid
        assert junk_name_reason(r["patient_name"]) is not None, r["patient_name"]
        assert parse_phone(r["phone"]).key[:3] in VIRTUAL_SEGMENTS
        assert r["status"] == "cancelled"
        assert latency_s(r) <= 5.0  # occupied at release
        rebooked += any(key[:3] == (r["hospital"], r["doctor"], r["slot_time"])
                        for key in washed)
    assert rebooked / len(rows) >= 0.6


def test_customers_are_real_people_often_from_elsewhere(city: City) -> None:
    customers = [m["key"] for m in city.members(kind="id_card", **{"as": "customer id"})]
    assert customers
    cards = [parse_id_card(k) for k in customers]
    assert all(c.valid for c in cards)
    elsewhere = sum(not (c.region or "").startswith("5101") for c in cards) / len(cards)
    assert elsewhere >= 0.3


def test_every_region_code_the_simulator_writes_is_real() -> None:
    assert set(LOCAL_REGIONS + OTHER_REGIONS) <= REGION_CODES


def test_honest_ids_are_valid_and_some_phones_virtual(city: City) -> None:
    gang_accounts = set(_gang_of_account(city))
    honest = [r for r in city.rows if r["account_id"] not in gang_accounts]
    assert all(parse_id_card(r["id_number"]).valid for r in honest[::7])
    phones = {parse_phone(r["phone"]).key for r in honest if r["phone"]}
    virtual = sum(p[:3] in VIRTUAL_SEGMENTS for p in phones) / len(phones)
    assert 0.002 <= virtual <= 0.05  # a heuristic, not proof: some honest people use them


def test_cancellation_and_no_show_rates_are_realistic(city: City) -> None:
    status = Counter(r["status"] for r in city.rows)
    n = len(city.rows)
    assert 0.05 <= status["cancelled"] / n <= 0.15
    assert 0.02 <= status["no_show"] / n <= 0.10
    assert status["attended"] > n / 2 and status["booked"] > 0


def test_companies_pay_for_many_staff_at_human_speed(city: City) -> None:
    payers = [k for kind, k in city.innocent("company health check") if kind == "payer"]
    assert payers
    for payer in payers:
        rows = sorted((r for r in city.rows if r["payer_account"] == payer),
                      key=lambda r: r["booked_at"])
        assert len({r["id_number"] for r in rows}) >= 10
        assert len({r["slot_time"][:10] for r in rows}) == 1  # all on the check day
        gaps = [(ts(b["booked_at"]) - ts(a["booked_at"])).total_seconds()
                for a, b in pairwise(rows)]
        assert min(gaps) >= 60


def test_escort_agents_of_gangs_and_licensed_services_both_appear(city: City) -> None:
    licensed = {k for kind, k in city.innocent("licensed escort") if kind == "escort_agent"}
    scalpers = {m["key"] for m in city.members(kind="escort_agent")}
    assert licensed and scalpers and not licensed & scalpers
    per_agent = Counter(r["escort_agent_id"] for r in city.rows if r["escort_agent_id"])
    weeks = city.truth["world"]["days"] / 7
    assert max(per_agent[a] for a in licensed) / weeks <= 8  # a few a week, by hand
    assert max(per_agent[a] for a in scalpers) > max(per_agent[a] for a in licensed)


def test_humanised_share_sets_how_many_gangs_hide_behind_delays() -> None:
    def profiles(share: float) -> list[bool]:
        world = build_world(WorldParams(records=600_000, seed=3, humanised_share=share))
        return [g.humanised for g in world.gangs]

    assert profiles(1.0) == [True] * 6
    assert profiles(0.0) == [False] * 6
    assert profiles(0.5) == [False, True] * 3
    assert profiles(0.3) == [False, True, False, False, True, False]


def test_a_fully_humanised_world_has_no_bot_latencies(tmp_path: Path) -> None:
    summary = simulate(tmp_path, records=4_000, seed=3, workers=1,
                       params=WorldParams(humanised_share=1.0))
    truth = json.loads(summary.truth.read_text(encoding="utf-8"))
    assert [g["profile"] for g in truth["gangs"]] == ["humanised"] * len(truth["gangs"])
    accounts = {m["key"] for g in truth["gangs"] for m in g["members"]
                if m["kind"] == "account"}
    latencies = [latency_s(r) for r in read_rows(summary.files) if r["account_id"] in accounts]
    assert latencies and min(latencies) >= 1.0
