"""The figures of a case report, each with the registrations behind it (pure, no I/O).

Registrations are numbered E1… in booking order (the report's appendix lists each with its
source file and line); every figure keeps the numbers of the registrations it counts, so an
auditor can follow any number back to the export rows it came from.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta, timezone
from decimal import Decimal, InvalidOperation

from scalpernet.export.source import Booking
from scalpernet.results.models import Network

#: Registration times are read and shown in China Standard Time.
CST = timezone(timedelta(hours=8))
#: Markup per resold slot on public record (yuan): 80–2,500, a 300-yuan slot typically
#: resold for 1,200 (Chengdu 2024–2025 and Nanjing 2025 cases). An estimate, not a
#: measurement: the records hold the face-value fee only.
MARKUP_PER_SLOT = (Decimal(80), Decimal(900), Decimal(2500))
#: Delay after release, upper bounds in ms: machine speed, a fast human, a human.
DELAY_BINS: tuple[tuple[str, float], ...] = (
    ("< 100 ms", 100), ("100 ms – 1 s", 1_000), ("1 – 3 s", 3_000), ("3 – 10 s", 10_000),
    ("10 – 60 s", 60_000), ("≥ 60 s", float("inf")))
#: Statuses of a slot that was kept (sold on): a cancelled one was freed or washed.
KEPT = frozenset({"booked", "attended", "no_show"})
TIERS = ("technician", "first_level", "second_level", "patient", "none")


@dataclass
class Row:
    """One line of a figure: a label, its count, an amount, and the registrations behind it."""

    label: str
    count: int
    evidence: list[int] = field(default_factory=list)
    amount: Decimal | None = None
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class Figures:
    bookings: int
    kept: Row
    cancelled: Row
    hospitals: list[Row]
    doctors: list[Row]
    fees: Row
    fees_unknown: Row
    markup: tuple[Decimal, Decimal, Decimal]
    timeline: list[Row]
    delays: list[Row]
    delay_unknown: Row
    payers: list[Row]
    tiers: list[Row]
    first: str | None
    last: str | None


def fee(value: object) -> Decimal | None:
    try:
        return Decimal(str(value)) if value not in (None, "") else None
    except InvalidOperation:
        return None


def spans(numbers: Sequence[int]) -> list[tuple[int, int]]:
    """Sorted registration numbers as runs: [1, 2, 3, 5] → [(1, 3), (5, 5)]."""
    out: list[tuple[int, int]] = []
    for n in sorted(numbers):
        if out and n == out[-1][1] + 1:
            out[-1] = (out[-1][0], n)
        else:
            out.append((n, n))
    return out


def _group(bookings: Sequence[Booking], key: Callable[[Booking], str | None],
           fees: Sequence[Decimal | None]) -> list[Row]:
    groups: dict[str, list[int]] = defaultdict(list)
    for n, b in enumerate(bookings, start=1):
        label = key(b)
        if label is not None:
            groups[label].append(n)
    rows = [Row(label, len(ns), ns, _sum(fees, ns)) for label, ns in groups.items()]
    return sorted(rows, key=lambda r: (-r.count, r.label))


def _sum(fees: Sequence[Decimal | None], numbers: Sequence[int]) -> Decimal:
    """The fees of registrations `numbers` (E-numbers, from 1), exactly."""
    return sum((f for n in numbers if (f := fees[n - 1]) is not None), Decimal(0))


def _day(b: Booking) -> date | None:
    at = b.booked_at
    return at.astimezone(CST).date() if at is not None else None


def compute(network: Network, bookings: Sequence[Booking]) -> Figures:
    """Every figure of the report from the network and its registrations in booking order."""
    numbered = list(enumerate(bookings, start=1))
    kept = [n for n, b in numbered if b.props.get("status") in KEPT]
    cancelled = [n for n, b in numbered if b.props.get("status") == "cancelled"]
    fees = [fee(b.props.get("fee_yuan")) for b in bookings]
    with_fee = [n for n, f in enumerate(fees, start=1) if f is not None]
    no_fee = [n for n, f in enumerate(fees, start=1) if f is None]
    days = _group(bookings, lambda b: (d.isoformat() if (d := _day(b)) else None), fees)
    days.sort(key=lambda r: r.label)
    delays = []
    for i, (label, upper) in enumerate(DELAY_BINS):
        lower = DELAY_BINS[i - 1][1] if i else float("-inf")
        ns = [n for n, b in numbered if (ms := b.props.get("latency_ms")) is not None
              and lower <= ms < upper]
        delays.append(Row(label, len(ns), ns))
    no_delay = [n for n, b in numbered if b.props.get("latency_ms") is None]
    role_of = {f"{m.kind}:{m.key}": m.role for m in network.members}
    payers = _group(bookings, lambda b: b.linked("PAID_BY"), fees)
    for row in payers:
        patients = {bookings[n - 1].linked("FOR") for n in row.evidence} - {None}
        row.extra = {"uid": row.label, "role": role_of.get(row.label), "patients": len(patients),
                     "channels": sorted(Counter(bookings[n - 1].props.get("payer_channel")
                                                or "?" for n in row.evidence))}
    roles = Counter(m.role for m in network.members)
    times = [b.props.get("booked_at") for b in bookings if b.props.get("booked_at")]
    return Figures(
        bookings=len(bookings),
        kept=Row("kept", len(kept), kept, _sum(fees, kept)),
        cancelled=Row("cancelled", len(cancelled), cancelled),
        hospitals=_group(bookings, lambda b: b.props.get("hospital"), fees),
        doctors=_group(bookings, lambda b: " · ".join(
            str(b.props.get(k) or "?") for k in ("hospital", "department", "doctor")), fees),
        fees=Row("fees", len(with_fee), with_fee, _sum(fees, with_fee)),
        fees_unknown=Row("unknown", len(no_fee), no_fee),
        markup=tuple(len(kept) * m for m in MARKUP_PER_SLOT),  # type: ignore[arg-type]
        timeline=days, delays=delays, delay_unknown=Row("unknown", len(no_delay), no_delay),
        payers=payers,
        tiers=[Row(role, roles.get(role, 0)) for role in TIERS],
        first=times[0] if times else None, last=times[-1] if times else None,
    )
