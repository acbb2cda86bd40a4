"""One booking as the simulator builds it, human booking times, and the row it becomes."""

from __future__ import annotations

import bisect
import random

import numpy as np

from scalpernet.simulate.hospitals import DAY, HOUR, MINUTE, Clock, Doctor, Hospital

#: Canonical column names (contracts §1), in contract order.
COLUMNS: tuple[str, ...] = (
    "registration_id", "hospital", "department", "doctor", "slot_time", "released_at",
    "booked_at", "paid_at", "status", "cancelled_at", "fee_yuan", "patient_name", "id_number",
    "phone", "visit_card", "account_id", "device_id", "ip", "payer_account", "payer_channel",
    "escort_agent_id", "escort_agent_name", "escort_agent_phone",
)

# When people book, by hour of the day: evenings and mornings, little at night.
_HOUR_WEIGHTS = (1, 1, 1, 1, 1, 1, 2, 4, 7, 8, 8, 6, 5, 5, 6, 6, 6, 5, 6, 7, 8, 7, 5, 2)
_HOUR_CUM = [sum(_HOUR_WEIGHTS[: h + 1]) for h in range(24)]
_HOUR_TOTAL = _HOUR_CUM[-1]
#: Booking statuses in the array forms (:func:`settle_many`).
STATUSES = ("booked", "cancelled", "attended", "no_show")
BOOKED, CANCELLED, ATTENDED, NO_SHOW = range(4)


class Booking:
    """A booking before it is written: times in simulator milliseconds, texts as exported."""

    __slots__ = (
        "account", "agent_id", "agent_name", "agent_phone", "booked", "cancelled", "card",
        "channel", "device", "doctor", "id_number", "ip", "name", "paid", "payer", "phone",
        "released", "slot", "status",
    )

    def __init__(self, doctor: Doctor, slot: int, released: int, booked: int, name: str,
                 id_number: str, phone: str | None, card: str | None, account: str | None,
                 device: str | None, ip: str | None, payer: str | None = None,
                 channel: str | None = None, paid: int | None = None) -> None:
        self.doctor = doctor
        self.slot = slot
        self.released = released
        self.booked = booked
        self.name = name
        self.id_number = id_number
        self.phone = phone
        self.card = card
        self.account = account
        self.device = device
        self.ip = ip
        self.payer = payer
        self.channel = channel
        self.paid = paid
        self.status = "booked"
        self.cancelled: int | None = None
        self.agent_id: str | None = None
        self.agent_name: str | None = None
        self.agent_phone: str | None = None

    def row(self, hospital: Hospital, clock: Clock) -> tuple[str, ...]:
        """The row's texts in :data:`COLUMNS` order after the registration id ("" if empty)."""
        iso = clock.iso
        doctor = self.doctor
        return (
            hospital.name, doctor.department, doctor.code, clock.iso_repeated(self.slot),
            clock.iso_repeated(self.released), iso(self.booked),
            "" if self.paid is None else iso(self.paid), self.status,
            "" if self.cancelled is None else iso(self.cancelled), doctor.fee, self.name,
            self.id_number, self.phone or "", self.card or "", self.account or "",
            self.device or "", self.ip or "", self.payer or "", self.channel or "",
            self.agent_id or "", self.agent_name or "", self.agent_phone or "",
        )


def next_open(hospital: Hospital, t: int) -> int:
    """``t``, or the end of the maintenance window ``t`` falls in."""
    if not hospital.closed(t):
        return t
    end = hospital.maintenance[1] * MINUTE
    day_start = t - t % DAY
    opened = day_start + end
    return opened if opened > t else opened + DAY


def human_time(rng: random.Random, hospital: Hospital, lo: int, hi: int) -> int:
    """A time a person books (or acts) in ``[lo, hi]``: waking hours, server open.

    Callers pass ``lo`` at least a minute after release, so people are never faster than the
    domain's one-minute login-to-payment floor here (fast humans are drawn separately).
    """
    if hi <= lo:
        return lo
    first, last = lo // DAY, hi // DAY
    for _ in range(12):
        day = first + int(rng.random() * (last - first + 1))
        hour = bisect.bisect_left(_HOUR_CUM, int(rng.random() * _HOUR_TOTAL) + 1)
        t = day * DAY + hour * HOUR + int(rng.random() * HOUR)
        if lo <= t <= hi and not hospital.closed(t):
            return t
    t = lo + int(rng.random() * min(hi - lo, HOUR))
    return lo if hospital.closed(t) else t


def human_times(rng: np.random.Generator, hospital: Hospital, lo: np.ndarray,
                hi: np.ndarray) -> np.ndarray:
    """:func:`human_time` for arrays of bounds: each row draws until it fits, as there."""
    out = lo.copy()
    todo = np.flatnonzero(hi > lo)
    first, days = lo // DAY, hi // DAY - lo // DAY + 1
    for _ in range(12):
        if not todo.size:
            return out
        u = rng.random((3, todo.size))
        day = first[todo] + (u[0] * days[todo]).astype(np.int64)
        hour = np.searchsorted(_HOUR_CUM, (u[1] * _HOUR_TOTAL).astype(np.int64) + 1)
        t = day * DAY + hour * HOUR + (u[2] * HOUR).astype(np.int64)
        ok = (lo[todo] <= t) & (t <= hi[todo]) & ~hospital.closed_many(t)
        out[todo[ok]] = t[ok]
        todo = todo[~ok]
    if todo.size:
        span = np.minimum(hi[todo] - lo[todo], HOUR)
        t = lo[todo] + (rng.random(todo.size) * span).astype(np.int64)
        out[todo] = np.where(hospital.closed_many(t), lo[todo], t)
    return out


def settle_many(rng: np.random.Generator, hospital: Hospital, slot: np.ndarray,
                booked: np.ndarray, export: int, cancel_rate: float,
                no_show_rate: float) -> tuple[np.ndarray, np.ndarray]:
    """:func:`settle` for arrays of bookings: their :data:`STATUSES` codes and cancel times
    (-1 where not cancelled)."""
    u = rng.random((3, len(slot)))
    latest, start = slot - 2 * HOUR, booked + 5 * MINUTE
    t = np.where(latest > start, start + (u[1] * (latest - start)).astype(np.int64),
                 booked + MINUTE)
    t = hospital.next_open_many(t)
    cancelled = (u[0] < cancel_rate) & (t <= export)
    status = np.where(slot < export, np.where(u[2] < no_show_rate, NO_SHOW, ATTENDED), BOOKED)
    status = np.where(cancelled, CANCELLED, status)
    return status, np.where(cancelled, t, -1)


def settle(rng: random.Random, hospital: Hospital, booking: Booking, export: int,
           cancel_rate: float, no_show_rate: float) -> None:
    """Give a booking its fate: cancelled, or attended / no-show once its slot has passed."""
    if rng.random() < cancel_rate:
        latest = booking.slot - 2 * HOUR
        start = booking.booked + 5 * MINUTE
        if latest > start:
            t = start + int(rng.random() * (latest - start))
        else:
            t = booking.booked + MINUTE
        t = next_open(hospital, t)
        if t <= export:  # an export holds no future cancellations
            booking.cancelled = t
            booking.status = "cancelled"
            return
    if booking.slot < export:
        booking.status = "no_show" if rng.random() < no_show_rate else "attended"
