"""Networks the view tests render: markup and personal identifiers where exports put them."""

from __future__ import annotations

from datetime import UTC, datetime

from scalpernet.results.models import EntityRef, Link, Member, Network, Signal

XSS = "<img src=x onerror=alert(1)>"
ID_NUMBER = "510107199001011234"
PHONE = "13812345678"
ODD_ID = "5101071990ABC"  # an invalid ID number: no shape rule catches it, its key does
AGENT = "</script><script>alert(3)</script>"
PATIENT = f"{ID_NUMBER}|{XSS}"


def hostile_network() -> Network:
    """Markup in every text an export can fill, and identifiers in keys, details, evidence."""
    return Network(
        id='n-1"><script>alert(2)</script>', risk=0.91, size=5,
        hospitals=["<b>H1</b>"],
        first_seen=datetime(2026, 3, 1, tzinfo=UTC), last_seen=datetime(2026, 3, 2, tzinfo=UTC),
        signals=[Signal(name="shared_phone", value=7, detail=f"{PHONE} on 7 bookings <i>")],
        members=[
            Member(kind="ip", key="203.0.113.7", role="technician", score=0.99),
            Member(kind="escort_agent", key=AGENT, role="second_level", score=0.8,
                   evidence={"agent_phone": PHONE, "note": "<svg onload=alert(4)>"}),
            Member(kind="patient", key=PATIENT, role="patient", score=0.3,
                   signals=[Signal(name="booked_for", value=3, detail=f"id {ID_NUMBER}")],
                   evidence={"registrations": ["H1|R1"], "id": ODD_ID}),
            Member(kind="phone", key=PHONE, role="patient", score=0.2),
            Member(kind="id_card", key=ODD_ID, role="none", score=0.0),
        ],
        links=[
            Link(source=EntityRef(kind="ip", key="203.0.113.7"),
                 target=EntityRef(kind="escort_agent", key=AGENT), type="<b>paid</b>",
                 registrations=4),
            Link(source=EntityRef(kind="escort_agent", key=AGENT),
                 target=EntityRef(kind="patient", key=PATIENT), type="booked_for"),
            Link(source=EntityRef(kind="patient", key=PATIENT),
                 target=EntityRef(kind="phone", key=PHONE), type="contact"),
        ],
    )
