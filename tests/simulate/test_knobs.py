"""Each gang knob changes what the files and the truth show; the wide world mixes them."""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from typer.testing import CliRunner

from scalpernet.cli import app
from scalpernet.identifiers import normalise_name, parse_id_card, parse_phone
from scalpernet.simulate import WorldParams, simulate
from scalpernet.simulate.bookings import COLUMNS
from scalpernet.simulate.world import build_world

from .conftest import City, entity_keys, latency_s, read_rows

RECORDS = 8_000
_CITIES: dict[tuple, City] = {}


@pytest.fixture(scope="module")
def make(tmp_path_factory: pytest.TempPathFactory):
    """A small city per setting, built once per module."""
    def build(seed: int = 4, records: int = RECORDS, **knobs: object) -> City:
        key = (seed, records, tuple(sorted(knobs.items())))
        if key not in _CITIES:
            out = tmp_path_factory.mktemp("knobs")
            summary = simulate(out, records=records, seed=seed, workers=1,
                               params=WorldParams(**knobs))  # type: ignore[arg-type]
            truth = json.loads(summary.truth.read_text(encoding="utf-8"))
            _CITIES[key] = City(summary, read_rows(summary.files), truth)
        return _CITIES[key]
    return build


def _gang_rows(city: City) -> dict[str, list[dict[str, str]]]:
    """Each gang's rows, told by the patients the truth gives it."""
    gang_of = {m["key"]: m["gang"] for m in city.members(kind="patient")}
    rows: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in city.rows:
        key = f"{parse_id_card(r['id_number']).key}|{normalise_name(r['patient_name'])}"
        if key in gang_of:
            rows[gang_of[key]].append(r)
    return rows


def _customer_rows(city: City) -> dict[str, list[dict[str, str]]]:
    customers = {m["key"] for m in city.members(kind="patient", **{"as": "customer"})}
    return {g: [r for r in rows if
                f"{parse_id_card(r['id_number']).key}|{normalise_name(r['patient_name'])}"
                in customers] for g, rows in _gang_rows(city).items()}


def _members(city: City, gang: str, **match: str) -> list[dict]:
    return [m for m in city.members(**match) if m["gang"] == gang]


def _at_release(rows: list[dict[str, str]]) -> list[float]:
    """Latencies of the bookings made at release (not the re-bookings after a wash)."""
    return [x for x in map(latency_s, rows) if x < 60]


def test_wide_world_mixes_behaviours_and_plants_a_stealth_gang(make) -> None:
    seen: dict[str, set] = defaultdict(set)
    for seed in (1, 2, 3):
        city = make(seed=seed, records=20_000, profile="wide")
        gangs = city.truth["gangs"]
        assert len(gangs) >= 4 and any(g["stealth"] for g in gangs)
        for g in gangs:
            for knob, value in g["behaviour"].items():
                seen[knob].add(json.dumps(value))
    for knob in ("tool_timing", "origin", "devices", "money", "agents_written", "contact",
                 "first_level_as", "tool_accounts"):
        assert len(seen[knob]) >= 2, knob
    assert len(seen["agents"]) >= 5


def test_default_world_has_no_stealth_gang_and_draws_as_before(make) -> None:
    city = make()
    for g in city.truth["gangs"]:
        b = g["behaviour"]
        assert not g["stealth"] and b["devices"] == "emulators" and b["money"] == "mixed"
        assert b["origin"] in ("servers", "proxies") and b["agents_written"] == "sometimes"


def test_a_knob_set_leaves_every_other_draw_alone() -> None:
    base = build_world(WorldParams(records=300_000, seed=5, profile="wide"))
    pinned = build_world(WorldParams(records=300_000, seed=5, profile="wide",
                                     devices=("absent",)))
    for a, b in zip(base.gangs, pinned.gangs, strict=True):
        left, right = a.how.profile(), b.how.profile()
        assert right.pop("devices") == "absent"
        left.pop("devices")
        assert left == right


def test_residential_pool_books_from_many_addresses_each_used_a_few_times(make) -> None:
    city = make(origin=("residential",), proxy_pool=(50, 80))
    for gang, rows in _gang_rows(city).items():
        uses = Counter(r["ip"] for r in rows)
        assert len(uses) >= 50, gang
        assert max(uses.values()) <= 8, (gang, uses.most_common(1))
        ips = {m["key"] for m in _members(city, gang, kind="ip")}
        assert set(uses) == ips
        assert {m["as"] for m in _members(city, gang, kind="ip")} == {"residential proxy ip"}


def test_rotating_proxies_are_ten_to_forty_per_gang_and_never_shared(make) -> None:
    city = make(origin=("proxies",), proxy_pool=(200, 300))
    owner: dict[str, str] = {}
    for g in city.truth["gangs"]:
        proxies = {m["key"] for m in g["members"] if m["as"] == "proxy ip"}
        assert 1 <= len(proxies) <= g["behaviour"]["proxy_pool"] <= 40
        for ip in proxies:
            assert owner.setdefault(ip, g["id"]) == g["id"]


def test_carrier_nat_addresses_are_shared_with_honest_people_not_gang_members(make) -> None:
    city = make(origin=("carrier NAT",))
    nat = {k for _, k in city.innocent("carrier NAT")}
    assert not city.members(kind="ip")
    honest = Counter(r["ip"] for r in city.rows)
    for gang, rows in _gang_rows(city).items():
        ips = {r["ip"] for r in rows}
        assert ips <= nat and len(ips) <= 6, gang
        assert all(honest[ip] > sum(r["ip"] == ip for r in rows) for ip in ips)


def test_spoofed_devices_are_new_on_every_booking(make) -> None:
    city = make(devices=("spoofed",))
    for gang, rows in _gang_rows(city).items():
        devices = [r["device_id"] for r in rows]
        assert all(devices) and len(set(devices)) == len(devices), gang
        assert {m["as"] for m in _members(city, gang, kind="device")} == {"spoofed device"}


def test_absent_devices_leave_the_column_empty(make) -> None:
    city = make(devices=("absent",))
    assert not city.members(kind="device")
    for rows in _gang_rows(city).values():
        assert not any(r["device_id"] for r in rows)


def test_agents_never_written(make) -> None:
    city = make(agents_written=("never",), contact=("agent",))
    assert not city.members(kind="escort_agent")
    for rows in _gang_rows(city).values():
        assert not any(r["escort_agent_id"] or r["escort_agent_phone"] for r in rows)
    # the second-level scalpers still show: their phones are the customers' contact
    agent_phones = city.members(kind="phone", role="second_level")
    assert agent_phones and {m["as"] for m in agent_phones} == {"agent phone"}
    actors = [a for g in city.truth["gangs"] for a in g["actors"] if a["role"] == "second_level"]
    assert actors and {a["as"] for a in actors} == {"second-level scalper"}


def test_agents_always_written(make) -> None:
    city = make(agents_written=("always",))
    for rows in _customer_rows(city).values():
        assert rows and all(r["escort_agent_id"] for r in rows)


@pytest.mark.parametrize(("contact", "role"), [("customer", "patient"),
                                                ("first_level", "first_level")])
def test_contact_phone_is_whose_the_knob_says(make, contact: str, role: str) -> None:
    city = make(contact=(contact,), first_level_as=("payer and phone",))
    roles = {(m["gang"], m["key"]): m["role"] for m in city.members(kind="phone")}
    for gang, rows in _customer_rows(city).items():
        got = Counter(roles[gang, parse_phone(r["phone"]).key] for r in rows)
        assert got[role] >= 0.9 * len(rows), (gang, got)


def test_machine_speed_and_human_delays_stay_in_their_ranges(make) -> None:
    for knobs, lo, hi in (({"tool_timing": ("machine",), "machine_ms": (5, 200)}, 0.005, 0.2),
                          ({"tool_timing": ("human",), "human_delay_s": (1.0, 10.0)}, 1, 10)):
        city = make(placeholder_share=(0.0, 0.0), **knobs)
        for gang, rows in _gang_rows(city).items():
            lat = _at_release(rows)
            assert lat and all(lo <= x <= hi for x in lat), (gang, min(lat), max(lat))
    mixed = make(tool_timing=("mixed",), placeholder_share=(0.0, 0.0))
    for gang, rows in _gang_rows(mixed).items():
        lat = _at_release(rows)
        assert min(lat) < 0.2 and max(lat) >= 1.0, gang


@pytest.mark.parametrize(("money", "part"), [("customer_qr", "customer payer"),
                                              ("agents", "agent payer"),
                                              ("first_level", "payer")])
def test_money_moves_as_the_knob_says(make, money: str, part: str) -> None:
    city = make(money=(money,), agents_written=("always",), first_level_as=("payer",))
    parts = {(m["gang"], m["key"]): m["as"] for m in city.members(kind="payer")}
    for gang, rows in _customer_rows(city).items():
        got = Counter(parts[gang, r["payer_account"]] for r in rows)
        assert got[part] >= 0.8 * len(rows), (gang, got)


def test_technician_pays_in_advance_then_the_first_level(make) -> None:
    city = make(money=("technician_first",))
    for g in city.truth["gangs"]:
        parts = {m["key"]: m["as"] for m in g["members"] if m["kind"] == "payer"}
        rows = sorted(_customer_rows(city)[g["id"]], key=lambda r: r["booked_at"])
        paid = [parts[r["payer_account"]] for r in rows]
        assert paid[0] == "technician payer" and "payer" in paid, g["id"]
        last_tech = max(i for i, p in enumerate(paid) if p == "technician payer")
        assert "technician payer" not in paid[last_tech + 1:]
        assert paid.index("payer") > paid.index("technician payer")


def test_first_level_visible_only_as_a_phone(make) -> None:
    city = make(first_level_as=("phone",))
    first = city.members(role="first_level")
    assert first and {m["kind"] for m in first} == {"phone"}


def test_no_placeholders_and_one_to_thirty_agents(make) -> None:
    city = make(placeholder_share=(0.0, 0.0), agents=(1, 1))
    assert not city.members(**{"as": "placeholder"})
    for g in city.truth["gangs"]:
        assert len([a for a in g["actors"] if a["role"] == "second_level"]) <= 1
    many = make(agents=(30, 30), agents_written=("always",))
    assert max(len({m["actor"] for m in g["members"] if m["role"] == "second_level"})
               for g in many.truth["gangs"]) >= 20


def test_a_burst_gang_books_only_on_its_few_days(make) -> None:
    city = make(activity=("burst",), burst_days=(2, 4))
    for g in city.truth["gangs"]:
        first, last = g["behaviour"]["active_days"]
        assert 1 <= last - first + 1 <= 4
        days = {r["slot_time"][:10] for r in _gang_rows(city)[g["id"]]}
        assert 1 <= len(days) <= 4, g["id"]


def test_tool_booking_through_customers_own_accounts(make) -> None:
    city = make(tool_accounts=("customer",), placeholder_share=(0.0, 0.0))
    accounts = city.members(kind="account")
    assert accounts and {m["as"] for m in accounts} == {"customer account operated by the tool"}
    patients = {m["actor"] for m in city.members(kind="patient")}
    assert {m["actor"] for m in accounts} <= patients


def test_stealth_gang_as_police_found_it(make) -> None:
    city = make(records=20_000, profile="wide")
    gang = next(g for g in city.truth["gangs"] if g["stealth"])
    rows = _gang_rows(city)[gang["id"]]
    assert not any(r["escort_agent_id"] for r in rows)
    devices = [r["device_id"] for r in rows]
    assert len(set(devices)) == len(devices)
    uses = Counter(r["ip"] for r in rows)
    assert len(uses) >= 100 and max(uses.values()) <= 5
    lat = _at_release(rows)
    assert min(lat) >= 2.0 and max(lat) <= 6.0
    first = [m["key"] for m in gang["members"] if m["kind"] == "payer"
             and m["role"] == "first_level"]
    assert len(first) == 2
    paid = {(r["id_number"], r["patient_name"]) for r in rows if r["payer_account"] in first}
    assert len(paid) >= 100


@pytest.mark.parametrize("dropped", [
    ("device_id", "account_id", "escort_agent_id", "escort_agent_name", "escort_agent_phone",
     "released_at"),
    ("phone", "ip", "payer_account", "payer_channel", "visit_card"),
])
def test_dropped_columns_are_absent_and_truth_lists_only_what_is_there(
        make, dropped: tuple[str, ...]) -> None:
    city = make(profile="wide", drop_columns=dropped)
    assert list(city.rows[0]) == [c for c in COLUMNS if c not in dropped]
    kinds = {m["kind"] for m in city.members()} | {i["kind"] for i in city.truth["innocent"]}
    gone = {"device_id": "device", "account_id": "account", "escort_agent_id": "escort_agent",
            "ip": "ip", "payer_account": "payer"}
    assert not kinds & {gone[c] for c in dropped if c in gone}
    seen: set[tuple[str, str]] = set()
    for r in city.rows:
        seen |= entity_keys({**{c: "" for c in COLUMNS}, **r})
    listed = {(m["kind"], m["key"]) for m in city.members()}
    listed |= {(i["kind"], i["key"]) for i in city.truth["innocent"]}
    assert listed <= seen
    assert city.truth["world"]["columns"] == list(city.rows[0])


def test_required_columns_cannot_be_dropped(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="cannot drop required column"):
        WorldParams(drop_columns=("id_number",))
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--records", "600",
                                      "--drop-columns", "device_id,booked_at"])
    assert result.exit_code == 1
    assert "cannot drop required column(s) booked_at" in result.output
    assert len(result.output.strip().splitlines()) == 1
    result = CliRunner().invoke(app, ["simulate", "--out", str(tmp_path), "--records", "600",
                                      "--drop-columns", "device_id,ip", "--world", "wide"])
    assert result.exit_code == 0, result.output
    header = next(tmp_path.glob("registrations_*.csv")).read_text().splitlines()[0]
    assert "device_id" not in header and ",ip," not in header


def test_every_member_names_one_actor_one_actor_per_person(make) -> None:
    city = make(records=20_000, profile="wide")
    for g in city.truth["gangs"]:
        actors = {a["id"]: a for a in g["actors"]}
        count = Counter(m["actor"] for m in g["members"])
        assert count == {a: actors[a]["identifiers"] for a in actors}
        for m in g["members"]:
            assert actors[m["actor"]]["role"] == m["role"], m
        by_role = Counter(a["role"] for a in g["actors"])
        assert by_role["technician"] == 1 and by_role["first_level"] <= 1
        for a in g["actors"]:
            mine = [m for m in g["members"] if m["actor"] == a["id"]]
            if a["role"] == "patient":  # one person: one patient entity, one ID card
                assert Counter(m["kind"] for m in mine)["patient"] == 1, a
                assert Counter(m["kind"] for m in mine)["id_card"] == 1, a
        assert all(a["id"].startswith(g["id"] + "-a") for a in g["actors"])


def test_wide_world_same_bytes_any_worker_count(tmp_path: Path) -> None:
    params = WorldParams.wide(drop_columns=("visit_card",))
    simulate(tmp_path / "a", records=3_000, seed=5, workers=1, params=params)
    simulate(tmp_path / "b", records=3_000, seed=5, workers=3, params=params)
    a = {p.name: p.read_bytes() for p in (tmp_path / "a").iterdir()}
    b = {p.name: p.read_bytes() for p in (tmp_path / "b").iterdir()}
    assert a == b


def test_wide_look_alikes_are_there_and_innocent(make) -> None:
    city = make(seed=1, records=20_000, profile="wide")
    whys = {i["why"] for i in city.truth["innocent"]}
    assert {"large family", "escort company", "fast human", "kiosk",
            "company health check"} <= whys
    gang_keys = {(m["kind"], m["key"]) for m in city.members()}
    assert not gang_keys & {(i["kind"], i["key"]) for i in city.truth["innocent"]}
    # release watchers: many honest people 1-3 s after release
    fast = {k for _, k in city.innocent("fast human")}
    watched = [latency_s(r) for r in city.rows if r["account_id"] in fast and latency_s(r) < 60]
    assert len(watched) >= 50 and all(1.0 <= x <= 3.0 for x in watched)
    # large families: one payer and one phone for more people than one household holds
    for payer in (k for kind, k in city.innocent("large family") if kind == "payer"):
        rows = [r for r in city.rows if r["payer_account"] == payer]
        assert len({parse_phone(r["phone"]).key for r in rows}) == 1
    clans = [len({r["id_number"] for r in city.rows if r["payer_account"] == k})
             for kind, k in city.innocent("large family") if kind == "payer"]
    assert max(clans) >= 4
    # escort companies: one office address, many clients, minutes after release, by hand
    for ip in (k for kind, k in city.innocent("escort company") if kind == "ip"):
        rows = sorted((r for r in city.rows if r["ip"] == ip), key=lambda r: r["booked_at"])
        assert len({r["id_number"] for r in rows}) >= 20
        assert all(latency_s(r) >= 120 for r in rows)
        assert sum(latency_s(r) <= 1_800 for r in rows) >= len(rows) / 2
    kiosks = {k for kind, k in city.innocent("kiosk") if kind == "ip"}
    assert 0.06 <= sum(r["ip"] in kiosks for r in city.rows) / len(city.rows) <= 0.14
