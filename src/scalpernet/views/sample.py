"""A synthetic scalper network of any size, for trying the pages, their tests and benchmark.

Shaped like the rings detection finds: a technician's bot IP and device, first-level payment
accounts, second-level escort agents and app accounts, and the patients booked through them
(patient, ID card, phone), plus a few members with no scalping role; and the people behind
them (actors) as detection stores them: one technician, one first level, an actor per
agent, one per patient under the agent who booked for them.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

from scalpernet.results.models import (
    Actor,
    ActorIdentifier,
    EntityRef,
    Link,
    Member,
    Network,
    Signal,
)


def _id_number(rng: random.Random) -> str:
    return (f"{rng.choice(['110101', '310104', '440305', '510107'])}"
            f"{rng.randint(1950, 2005)}{rng.randint(1, 12):02d}{rng.randint(1, 28):02d}"
            f"{rng.randint(0, 999):03d}{rng.choice('0123456789X')}")


def _phone(rng: random.Random) -> str:
    return f"1{rng.choice('3589')}{rng.randint(0, 999_999_999):09d}"


def sample_network(members: int, *, seed: int = 7, network_id: str | None = None,
                   patient_name: str | None = None, actors: bool = True) -> Network:
    """A network of about `members` members (exactly, for 12 or more).

    `patient_name` names the first patient (tests give it markup to check escaping);
    `actors=False` leaves the people out (a network stored before actors were resolved).
    """
    rng = random.Random(seed)
    out: list[Member] = []
    links: list[Link] = []
    people: list[Actor] = []
    t0_ms = 1_772_348_400_000  # 2026-03-01 07:00 UTC

    def person(role: str, refs: list[EntityRef], parent: str | None, score: float) -> str:
        bookings = rng.randint(2, 80)
        first = t0_ms + rng.randint(0, 18 * 86_400) * 1000
        people.append(Actor(
            id=f"act-{seed}-{len(people):04d}", role=role, score=round(score, 3),  # type: ignore[arg-type]
            identifiers=[ActorIdentifier(kind=r.kind, key=r.key) for r in refs],
            evidence={"bookings": bookings, "customers": rng.randint(1, 9),
                      "payments": rng.randint(0, bookings), "first_ms": first,
                      "last_ms": first + rng.randint(0, 86_400) * 1000},
            parent=parent, link={"bookings": bookings, "payments": rng.randint(0, bookings)}))
        return people[-1].id

    def add(kind: str, key: str, role: str, score: float, **evidence: object) -> EntityRef:
        out.append(Member(kind=kind, key=key, role=role, score=round(score, 3),  # type: ignore[arg-type]
                          signals=[Signal(name="bookings", value=rng.randint(3, 400),
                                          detail="registrations linked to this member")],
                          evidence=dict(evidence)))
        return EntityRef(kind=kind, key=key)  # type: ignore[arg-type]

    def link(a: EntityRef, b: EntityRef, kind: str) -> None:
        regs = rng.randint(1, 60)
        links.append(Link(source=a, target=b, type=kind, weight=float(regs), registrations=regs))

    ip = add("ip", f"203.0.113.{seed % 250}", "technician", 0.99,
             latency_p50_ms=21, registrations=[f"H1|R{i}" for i in range(5)])
    device = add("device", f"dev-{seed:04x}-bot", "technician", 0.95)
    link(ip, device, "same_bookings")
    technician = person("technician", [ip, device], None, 0.99)
    n_first = max(1, members // 100 + 1)
    n_second = max(1, members // 40 + 2)
    n_none = max(1, members // 35)
    n_patients = max(1, (members - 2 - n_first - n_second - n_none) // 3)
    firsts = []
    for i in range(n_first):
        payer = add("payer", f"alipay-{seed}-{i:03d}", "first_level", 0.7 + 0.25 * rng.random(),
                    channel="alipay")
        link(ip, payer, "bot_bookings_paid_by")
        firsts.append(payer)
    first_level = person("first_level", firsts, technician, 0.9)
    seconds = []
    agents = []
    for i in range(n_second):
        kind = "escort_agent" if i % 2 == 0 else "account"
        agent = add(kind, f"{'EA' if kind == 'escort_agent' else 'acct'}-{seed}-{i:03d}",
                    "second_level", 0.5 + 0.3 * rng.random())
        link(firsts[i % n_first], agent, "paid_for")
        seconds.append(agent)
        agents.append(person("second_level", [agent], first_level, 0.5 + 0.3 * rng.random()))
    for i in range(n_patients):
        id_number = _id_number(rng)
        name = patient_name if (i == 0 and patient_name is not None) else f"患者{i:04d}"
        phone = _phone(rng)
        patient = add("patient", f"{id_number}|{name}", "patient", 0.1 + 0.3 * rng.random(),
                      phone=phone, registrations=[f"H1|R{1000 + i}"])
        card = add("id_card", id_number, "patient", 0.1 + 0.2 * rng.random())
        contact = add("phone", phone, "patient", 0.1 + 0.2 * rng.random())
        booker = rng.randrange(n_second)
        link(seconds[booker], patient, "booked_for")
        person("patient", [patient, card, contact], agents[booker], 0.1 + 0.3 * rng.random())
        link(patient, card, "has_id")
        link(patient, contact, "contact")
    while len(out) < members:
        bystander = add("phone", _phone(rng), "none", 0.05 * rng.random(),
                        why="shared hospital Wi-Fi")
        link(bystander, ip, "shared_ip")
    t0 = datetime(2026, 3, 1, 7, 0, tzinfo=UTC)
    return Network(
        id=network_id or f"net-{seed}-{members}", risk=0.93, size=len(out), members=out,
        links=links, hospitals=["H1", "H2"], first_seen=t0,
        last_seen=datetime(2026, 3, 20, 7, 0, tzinfo=UTC),
        signals=[Signal(name="bookings_at_release", value=512, detail="512 within 0.1 s"),
                 Signal(name="shared_payers", value=n_first, detail="payers shared by agents")],
        actors=people if actors else [],
    )
