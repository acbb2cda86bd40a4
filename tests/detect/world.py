"""A small hand-made world written straight into the graph model (docs/graph-model.md).

Two gangs (one bot, one adding human-like 1.5-4.5 s delays) with tool, payer hub, agents,
customers and placeholders that occupy a slot and are washed to a buyer; and the innocent
look-alikes: hospital Wi-Fi, a company paying staff health checks from one desk, a family, a
licensed escort, a fast human, a chronic patient, and an honest patient whose own phone was
once given on a gang booking (it must come out as ``none``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from scalpernet.graph import Graph
from scalpernet.identifiers import check_char

CST = timezone(timedelta(hours=8))
START = datetime(2025, 3, 3, tzinfo=CST)
HOSPITAL = "蓉城第一人民医院"
WIFI_IP = "10.1.0.1"
OFFICE_IP = "198.51.100.20"

WRITE = """
UNWIND $rows AS row
CREATE (r:Registration {key: row.key, registration_id: row.rid, hospital: row.hospital,
        department: row.department, doctor: row.doctor, status: row.status,
        slot_time: datetime(row.slot), released_at: datetime(row.released),
        booked_at: datetime(row.booked), latency_ms: row.latency, visit_card: row.card,
        paid_at: CASE WHEN row.paid IS NULL THEN null ELSE datetime(row.paid) END,
        cancelled_at: CASE WHEN row.cancelled IS NULL THEN null ELSE datetime(row.cancelled) END})
MERGE (p:Patient:Entity {key: row.patient})
  ON CREATE SET p.uid = 'patient:' + row.patient, p.name = row.name, p.junk_name = row.junk
MERGE (c:IDCard:Entity {key: row.id_number})
  ON CREATE SET c.uid = 'id_card:' + row.id_number, c.valid = row.valid
MERGE (p)-[:HAS_ID]->(c)
CREATE (r)-[:FOR]->(p)
FOREACH (x IN CASE WHEN row.phone IS NULL THEN [] ELSE [row.phone] END |
  MERGE (e:Phone:Entity {key: x}) ON CREATE SET e.uid = 'phone:' + x, e.virtual = row.virtual
  CREATE (r)-[:CONTACT]->(e))
FOREACH (x IN CASE WHEN row.ip IS NULL THEN [] ELSE [row.ip] END |
  MERGE (e:IP:Entity {key: x}) ON CREATE SET e.uid = 'ip:' + x
  CREATE (r)-[:FROM_IP]->(e))
FOREACH (x IN CASE WHEN row.device IS NULL THEN [] ELSE [row.device] END |
  MERGE (e:Device:Entity {key: x}) ON CREATE SET e.uid = 'device:' + x
  CREATE (r)-[:ON_DEVICE]->(e))
FOREACH (x IN CASE WHEN row.account IS NULL THEN [] ELSE [row.account] END |
  MERGE (e:Account:Entity {key: x}) ON CREATE SET e.uid = 'account:' + x
  CREATE (r)-[:BY_ACCOUNT]->(e))
FOREACH (x IN CASE WHEN row.payer IS NULL THEN [] ELSE [row.payer] END |
  MERGE (e:Payer:Entity {key: x}) ON CREATE SET e.uid = 'payer:' + x
  CREATE (r)-[:PAID_BY]->(e))
FOREACH (x IN CASE WHEN row.agent IS NULL THEN [] ELSE [row.agent] END |
  MERGE (e:EscortAgent:Entity {key: x}) ON CREATE SET e.uid = 'escort_agent:' + x
  CREATE (r)-[:VIA_AGENT]->(e)
  MERGE (ap:Phone:Entity {key: row.agent_phone})
    ON CREATE SET ap.uid = 'phone:' + row.agent_phone, ap.virtual = false
  MERGE (e)-[:HAS_PHONE]->(ap))
"""


def id_number(n: int, valid: bool = True) -> str:
    body = f"510107{1950 + n % 50:04d}0{1 + n % 9}{10 + n % 18:02d}{n % 1000:03d}"
    right = check_char(body)
    if valid:
        return body + right
    wrong = "0" if right != "0" else "1"
    return body + wrong


def phone(n: int, virtual: bool = False) -> str:
    return f"{170 if virtual else 138}{n:08d}"


@dataclass
class World:
    rows: list[dict[str, Any]] = field(default_factory=list)
    gangs: dict[str, dict[str, set[str]]] = field(default_factory=dict)
    innocent: dict[str, str] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(7))

    def book(self, *, day: int, name: str, id_no: str, latency_ms: int, phone_no: str | None,
             ip: str | None, device: str | None, account: str | None, payer: str | None,
             agent: tuple[str, str] | None = None, doctor: str = "D001", slot_min: int = 0,
             status: str = "booked", cancel_after_ms: int | None = None,
             paid_after_ms: int | None = 2_000, virtual: bool = False, junk: bool = False,
             valid: bool = True, booked_at: datetime | None = None,
             card: str | None = None) -> dict[str, Any]:
        released = START + timedelta(days=day, hours=18)
        booked = booked_at or released + timedelta(milliseconds=latency_ms)
        slot = START + timedelta(days=day + 1, hours=8, minutes=slot_min)
        rid = f"R{len(self.rows) + 1:06d}"
        row = {
            "key": f"{HOSPITAL}|{rid}", "rid": rid, "hospital": HOSPITAL, "department": "心内科",
            "doctor": doctor, "status": status, "slot": slot.isoformat(),
            "released": released.isoformat(), "booked": booked.isoformat(),
            "latency": int((booked - released).total_seconds() * 1000), "card": card,
            "paid": None if paid_after_ms is None else (
                booked + timedelta(milliseconds=paid_after_ms)).isoformat(),
            "cancelled": None if cancel_after_ms is None else (
                booked + timedelta(milliseconds=cancel_after_ms)).isoformat(),
            "patient": f"{id_no}|{name}", "name": name, "junk": junk, "id_number": id_no,
            "valid": valid, "phone": phone_no, "virtual": virtual, "ip": ip, "device": device,
            "account": account, "payer": payer, "agent": agent[0] if agent else None,
            "agent_phone": agent[1] if agent else None,
        }
        self.rows.append(row)
        return row

    def note(self, gang: str, role: str, *uids: str) -> None:
        for u in uids:
            self.gangs.setdefault(gang, {}).setdefault(role, set()).add(u)

    def truth(self) -> dict[str, Any]:
        gangs = []
        for gid, roles in sorted(self.gangs.items()):
            members = [{"kind": u.split(":", 1)[0], "key": u.split(":", 1)[1], "role": role}
                       for role, uids in sorted(roles.items()) for u in sorted(uids)]
            gangs.append({"id": gid, "profile": gid, "members": members})
        innocent = [{"kind": u.split(":", 1)[0], "key": u.split(":", 1)[1], "why": why}
                    for u, why in sorted(self.innocent.items())]
        return {"gangs": gangs, "innocent": innocent}


def _gang(w: World, gid: str, base: int, humanised: bool, customers: int,
          placeholders: int) -> None:
    rng = w.rng
    ips = [f"203.0.113.{base + k}" for k in range(3)]
    devices = [f"{gid}-emu-{k}" for k in range(3)]
    accounts = [f"{gid}-bot-{k}" for k in range(4)]
    hub = f"{gid}-alipay-hub"
    first_phone = phone(base * 1000 + 1)
    first_agent = (f"{gid}-A0", first_phone)
    agents = [(f"{gid}-A{k}", phone(base * 1000 + 10 + k)) for k in (1, 2)]
    w.note(gid, "technician", *(f"ip:{x}" for x in ips), *(f"device:{x}" for x in devices),
           *(f"account:{x}" for x in accounts))
    w.note(gid, "first_level", f"payer:{hub}", f"phone:{first_phone}",
           f"escort_agent:{first_agent[0]}")
    for a, p in agents:
        w.note(gid, "second_level", f"escort_agent:{a}", f"phone:{p}")

    def latency() -> int:
        return rng.randint(1_500, 4_500) if humanised else rng.randint(15, 90)

    def tool() -> dict[str, str]:
        return {"ip": rng.choice(ips), "device": rng.choice(devices),
                "account": rng.choice(accounts)}

    def customer(n: int, day: int, slot: int, booked_at: datetime | None = None) -> None:
        name = f"客户{gid}{n}"
        id_no = id_number(base * 100 + n)
        agent = first_agent if n % 5 == 0 else agents[n % 2] if n % 5 != 1 else None
        contact = agent[1] if agent else first_phone
        own_payer = n % 4 == 3
        payer = f"{gid}-wx-customer-{n}" if own_payer else hub
        w.book(day=day, name=name, id_no=id_no, latency_ms=latency(), phone_no=contact,
               agent=agent, payer=payer, slot_min=slot, paid_after_ms=300_000 if own_payer
               else 2_000, booked_at=booked_at, card=f"VC{id_no[-8:]}" if n % 2 == 0 else None,
               **tool())
        w.note(gid, "patient", f"patient:{id_no}|{name}", f"id_card:{id_no}")
        if own_payer:
            w.note(gid, "patient", f"payer:{payer}")

    for n in range(customers):
        customer(n, n % 8, slot=(n * 7) % 240)
    for k in range(placeholders):
        id_no = id_number(base * 100 + 90 + k, valid=False)
        vphone = phone(base * 1000 + 500 + k, virtual=True)
        # each gang holds slots of its own (two placeholders never hold one slot)
        hold = w.book(day=k % 8, name="561", id_no=id_no, latency_ms=latency(), phone_no=vphone,
                      payer=None, slot_min=241 + base + k, status="cancelled",
                      cancel_after_ms=3_600_000, virtual=True, junk=True, valid=False, **tool())
        w.note(gid, "patient", f"patient:{id_no}|561", f"id_card:{id_no}", f"phone:{vphone}")
        washed = datetime.fromisoformat(hold["cancelled"]) + timedelta(
            milliseconds=rng.randint(1_000, 4_000) if humanised else rng.randint(300, 2_500))
        customer(customers + k, k % 8, slot=241 + base + k, booked_at=washed)


def _honest(w: World) -> None:
    rng = w.rng
    n = 5000
    # hospital Wi-Fi: many honest patients, human timing
    w.innocent[f"ip:{WIFI_IP}"] = "hospital wifi"
    for k in range(45):
        n += 1
        w.book(day=k % 8, name=f"病人{k}", id_no=id_number(n), latency_ms=rng.randint(
            120_000, 20_000_000), phone_no=phone(n), ip=WIFI_IP, device=f"dev-h{k}",
               account=f"acc-h{k}", payer=f"pay-h{k}", doctor="D010", slot_min=k)
    # a company's HR desk books and pays 35 staff health checks
    for u, why in (("payer:corp-pay", "company"), (f"ip:{OFFICE_IP}", "company"),
                   ("account:corp-hr", "company"), ("device:corp-pc", "company")):
        w.innocent[u] = why
    for k in range(35):
        n += 1
        w.book(day=2, name=f"员工{k}", id_no=id_number(n), latency_ms=rng.randint(
            3_600_000, 30_000_000), phone_no=phone(n), ip=OFFICE_IP, device="corp-pc",
               account="corp-hr", payer="corp-pay", doctor="D020", slot_min=k)
    # a daughter pays for her parents and child, one phone
    w.innocent["payer:family-pay"] = "family"
    w.innocent[f"phone:{phone(1900)}"] = "family"
    for k in range(6):
        n += 1
        w.book(day=k, name=f"家人{k % 3}", id_no=id_number(1950 + k % 3), latency_ms=rng.randint(
            300_000, 9_000_000), phone_no=phone(1900), ip="192.0.2.50", device="fam-phone",
               account="fam-acc", payer="family-pay", doctor="D011", slot_min=k)
    # a licensed escort books a few patients by hand
    w.innocent["escort_agent:licensed-7"] = "licensed escort"
    for k in range(5):
        n += 1
        w.book(day=k, name=f"陪诊客{k}", id_no=id_number(n), latency_ms=rng.randint(
            600_000, 9_000_000), phone_no=phone(n), ip="192.0.2.70", device="esc-dev",
               account="esc-acc", payer=f"esc-cust-{k}", agent=("licensed-7", phone(1970)),
               doctor="D012", slot_min=k)
    # a fast human: 1-3 s after release, for herself
    w.innocent["account:fast-acc"] = "fast human"
    for k in range(4):
        w.book(day=k, name="快手", id_no=id_number(1980), latency_ms=rng.randint(1_100, 2_900),
               phone_no=phone(1980), ip="192.0.2.80", device="fast-dev", account="fast-acc",
               payer="fast-pay", doctor="D001", slot_min=200 + k)
    # a chronic patient every day of the week
    w.innocent[f"patient:{id_number(1990)}|老病人"] = "chronic patient"
    for k in range(8):
        w.book(day=k, name="老病人", id_no=id_number(1990), latency_ms=rng.randint(
            60_000, 3_000_000), phone_no=phone(1990), ip="192.0.2.90", device="chr-dev",
               account="chr-acc", payer="chr-pay", doctor="D013", slot_min=k)
    # an honest patient whose own phone was once a gang customer's contact
    for k in range(6):
        w.book(day=k, name="正常人", id_no=id_number(1995), latency_ms=rng.randint(
            600_000, 9_000_000), phone_no=phone(1995), ip="192.0.2.95", device="hon-dev",
               account="hon-acc", payer="hon-pay", doctor="D014", slot_min=k)


def build_world() -> World:
    """The world's rows and its truth (deterministic)."""
    w = World()
    _gang(w, "ga", 10, humanised=False, customers=30, placeholders=6)
    _gang(w, "gb", 40, humanised=True, customers=24, placeholders=5)
    _honest(w)
    # gang A books one customer with the honest patient's own phone as contact
    w.book(day=3, name="借号客", id_no=id_number(1996), latency_ms=40, phone_no=phone(1995),
           ip="203.0.113.10", device="ga-emu-0", account="ga-bot-0", payer="ga-alipay-hub",
           slot_min=239)
    w.note("ga", "patient", f"patient:{id_number(1996)}|借号客", f"id_card:{id_number(1996)}")
    w.innocent[f"phone:{phone(1995)}"] = "honest patient's own phone"
    return w


def write_world(graph: Graph, rows: list[dict[str, Any]]) -> None:
    """Write rows in the graph model (batches of 500)."""
    for start in range(0, len(rows), 500):
        graph.driver.execute_query(WRITE, rows=rows[start:start + 500],
                                   database_=graph.database)


def now() -> datetime:
    return datetime.now(UTC)


NAT_IP = "117.136.0.9"


def _stealth_gang(w: World) -> None:
    """A tool that leaves no tool identifier: a fresh residential address and device id on
    every booking, the customers' own app accounts, 3-8 s delays, no agent column; brokers'
    phones as contacts; money through two hub accounts, the technician's paying at first."""
    rng = w.rng
    gid = "gs"
    hubs = ["gs-alipay-1", "gs-alipay-2"]
    tech = "gs-alipay-tech"
    brokers = [phone(70_000 + k) for k in range(3)]
    broker_payer = "gs-wx-broker-0"
    w.note(gid, "first_level", *(f"payer:{h}" for h in hubs))
    w.note(gid, "technician", f"payer:{tech}")
    w.note(gid, "second_level", *(f"phone:{p}" for p in brokers), f"payer:{broker_payer}")
    for n in range(42):
        day = n % 14
        name, id_no = f"隐客{n}", id_number(7_000 + n)
        contact = brokers[n % 3]
        payer = (tech if day < 4 and n % 4 else broker_payer if n % 3 == 0 and n % 7 == 0
                 else hubs[n % 2])
        ip, device, account = f"36.{n // 200}.{n % 200}.{7 + n % 3}", f"spoof-{n}", f"own-{n}"
        w.book(day=day, name=name, id_no=id_no, latency_ms=rng.randint(3_000, 8_000),
               phone_no=contact, ip=ip, device=device, account=account, payer=payer,
               doctor="D002", slot_min=n)
        w.note(gid, "technician", f"ip:{ip}", f"device:{device}")
        w.note(gid, "patient", f"patient:{id_no}|{name}", f"id_card:{id_no}",
               f"account:{account}")
    # a second-level scalper's own account, paying at once for three customers brought
    # through different brokers' phones: a small group beside the hub accounts
    group = "gs-wx-group-0"
    w.note(gid, "second_level", f"payer:{group}")
    for n in range(3):
        name, id_no = f"组客{n}", id_number(7_100 + n)
        ip, device, account = f"36.5.{n}.9", f"spoof-g{n}", f"own-g{n}"
        w.book(day=5 + n, name=name, id_no=id_no, latency_ms=rng.randint(3_000, 8_000),
               phone_no=brokers[1 + n % 2], ip=ip, device=device, account=account, payer=group,
               doctor="D002", slot_min=60 + n)
        w.note(gid, "technician", f"ip:{ip}", f"device:{device}")
        w.note(gid, "patient", f"patient:{id_no}|{name}", f"id_card:{id_no}",
               f"account:{account}")


def _nat_gang(w: World) -> None:
    """A tool behind a carrier NAT address shared with honest people, no device or account,
    agents' phones as contacts, customers paying by QR code, placeholders washed."""
    rng = w.rng
    gid = "gn"
    brokers = [phone(80_000 + k) for k in range(4)]
    w.note(gid, "second_level", *(f"phone:{p}" for p in brokers))
    w.innocent[f"ip:{NAT_IP}"] = "carrier NAT"
    for n in range(40):
        day = n % 10
        if n % 4 == 0:  # a placeholder holds the slot, washed to the buyer
            ph_id = id_number(8_500 + n, valid=False)
            hold = w.book(day=day, name="789", id_no=ph_id, latency_ms=rng.randint(2_000, 6_000),
                          phone_no=phone(85_000 + n, virtual=True), ip=NAT_IP, device=None,
                          account=None, payer=None, doctor="D003", slot_min=n,
                          status="cancelled", cancel_after_ms=7_200_000, virtual=True,
                          junk=True, valid=False)
            w.note(gid, "patient", f"patient:{ph_id}|789", f"id_card:{ph_id}",
                   f"phone:{phone(85_000 + n, virtual=True)}")
            booked_at = datetime.fromisoformat(hold["cancelled"]) + timedelta(milliseconds=1_500)
        else:
            booked_at = None
        name, id_no = f"网客{n}", id_number(8_000 + n)
        w.book(day=day, name=name, id_no=id_no, latency_ms=rng.randint(2_000, 6_000),
               phone_no=brokers[n % 4], ip=NAT_IP, device=None, account=None,
               payer=f"gn-qr-{n}", doctor="D003", slot_min=n, booked_at=booked_at,
               paid_after_ms=400_000)
        w.note(gid, "patient", f"patient:{id_no}|{name}", f"id_card:{id_no}",
               f"payer:gn-qr-{n}")
    # customers the tool booked at machine speed through the NAT address, with their own
    # phones and QR payments: nothing of the gang's on their bookings but the address
    for n in range(4):
        name, id_no = f"快客{n}", id_number(8_200 + n)
        w.book(day=n, name=name, id_no=id_no, latency_ms=rng.randint(80, 400),
               phone_no=phone(86_000 + n), ip=NAT_IP, device=None, account=None,
               payer=f"gn-qr-fast-{n}", doctor="D003", slot_min=50 + n, paid_after_ms=400_000)
        w.note(gid, "patient", f"patient:{id_no}|{name}", f"id_card:{id_no}",
               f"phone:{phone(86_000 + n)}", f"payer:gn-qr-fast-{n}")
    # and one the tool booked in the same release burst through a fresh address: nothing
    # but the burst ties it to the ring
    name, id_no = "快客新", id_number(8_210)
    w.book(day=0, name=name, id_no=id_no, latency_ms=600, phone_no=phone(86_010),
           ip="36.7.7.7", device=None, account=None, payer="gn-qr-fast-new", doctor="D003",
           slot_min=58, paid_after_ms=400_000)
    w.note(gid, "technician", "ip:36.7.7.7")
    w.note(gid, "patient", f"patient:{id_no}|{name}", f"id_card:{id_no}",
           f"phone:{phone(86_010)}", "payer:gn-qr-fast-new")
    # the honest people behind the same address: human speed, three of them quick
    for k in range(90):
        id_no = id_number(9_000 + k)
        w.book(day=k % 10, name=f"路人{k}", id_no=id_no, latency_ms=rng.randint(1_200, 2_800)
               if k < 3 else rng.randint(90_000, 20_000_000), phone_no=phone(90_000 + k),
               ip=NAT_IP, device=None, account=None, payer=f"nat-pay-{k}", doctor="D015",
               slot_min=k)
        w.innocent[f"patient:{id_no}|路人{k}"] = "carrier NAT user"


def build_stealth_world() -> World:
    """Two gangs that show no tool identifier of their own, among honest people."""
    w = World(rng=random.Random(11))
    _stealth_gang(w)
    _nat_gang(w)
    _honest(w)
    return w


def household(w: World) -> tuple[str, str, str]:
    """Two of the stealth gang's customers who share a mother's phone (and nothing else):
    returns the phone and both ID numbers."""
    mother = phone(75_000)
    ids = (id_number(7_500), id_number(7_501))
    for n, id_no in enumerate(ids):
        name = f"家{n}"
        w.book(day=6, name=name, id_no=id_no, latency_ms=4_000 + n, phone_no=mother,
               ip=f"36.9.9.{n}", device=f"spoof-h{n}", account=f"own-h{n}",
               payer="gs-alipay-1", doctor="D002", slot_min=90 + n)
        w.note("gs", "patient", f"patient:{id_no}|{name}", f"id_card:{id_no}",
               f"phone:{mother}", f"account:own-h{n}")
    return mother, *ids
