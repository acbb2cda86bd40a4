"""Hospitals of the synthetic city: departments, doctors, release rules, maintenance windows.

Times inside the simulator are integer milliseconds since the world's first visit day at
00:00 China Standard Time; :func:`iso` writes them as ISO 8601 with ``+08:00``.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta

import numpy as np

SECOND = 1000
MINUTE = 60 * SECOND
HOUR = 60 * MINUTE
DAY = 24 * HOUR

#: Hospitals of the city (fictional names).
HOSPITALS = (
    ("H01", "蓉城第一人民医院"), ("H02", "锦江妇女儿童医院"), ("H03", "天府中医医院"),
    ("H04", "蓉北肿瘤医院"), ("H05", "西城口腔医院"), ("H06", "高新区人民医院"),
    ("H07", "东湖眼科医院"), ("H08", "南湖骨科医院"),
)
DEPARTMENTS = (
    "心血管内科", "消化内科", "神经内科", "呼吸与危重症医学科", "内分泌科", "骨科", "眼科",
    "口腔科", "皮肤科", "妇科", "产科建档", "儿科", "肿瘤科", "中医科", "耳鼻喉科", "泌尿外科",
    "风湿免疫科", "肾内科",
)
CHECKUP = "体检中心"

#: Release rules (hour, minute, days ahead): 18:00 for tomorrow, 16:00 for day +7, ...
RELEASE_RULES = ((18, 0, 1), (16, 0, 7), (20, 0, 7), (8, 0, 14), (15, 0, 3), (7, 30, 7))
#: Booking-server maintenance windows (start, end) in minutes of the day, across midnight.
MAINTENANCE = ((23 * 60, 5 * 60 + 30), (0, 6 * 60), (23 * 60 + 30, 5 * 60))
#: Registration fees in yuan: experts cost more, ordinary clinics little.
HOT_FEES = ("100.00", "150.00", "200.00", "300.00")
ORDINARY_FEES = ("10.00", "20.00", "30.00", "50.00")


@dataclass(frozen=True, slots=True)
class Doctor:
    code: str
    department: str
    hot: bool
    fee: str


@dataclass(slots=True)
class Hospital:
    """One hospital: its release rule, maintenance window, doctors and special places."""

    index: int
    code: str
    name: str
    release_minute: int  # minute of the day the pool is released
    lead_days: int  # the pool for day v is released on day v - lead_days
    maintenance: tuple[int, int]
    weight: float
    hot: list[Doctor] = field(default_factory=list)
    ordinary: list[Doctor] = field(default_factory=list)
    checkup: Doctor | None = None
    wifi_ips: list[str] = field(default_factory=list)
    kiosks: list[tuple[str, str]] = field(default_factory=list)  # (ip, device)

    def release_ms(self, day: int) -> int:
        """When the slot pool of visit day ``day`` is released."""
        return (day - self.lead_days) * DAY + self.release_minute * MINUTE

    def closed(self, t: int) -> bool:
        """True while the booking server is down for maintenance."""
        m = (t % DAY) // MINUTE
        start, end = self.maintenance
        return m >= start or m < end if start > end else start <= m < end

    def closed_many(self, t: np.ndarray) -> np.ndarray:
        """:meth:`closed` for an array of times."""
        m = (t % DAY) // MINUTE
        start, end = self.maintenance
        return (m >= start) | (m < end) if start > end else (start <= m) & (m < end)

    def next_open_many(self, t: np.ndarray) -> np.ndarray:
        """Each time, or the end of the maintenance window it falls in."""
        opened = t - t % DAY + self.maintenance[1] * MINUTE
        opened = np.where(opened > t, opened, opened + DAY)
        return np.where(self.closed_many(t), opened, t)


def build_hospitals(count: int, hot_per_hospital: int, seed: int) -> list[Hospital]:
    """``count`` hospitals with their own rules, several departments and hot experts."""
    out = []
    for i in range(count):
        rng = random.Random(f"{seed}/hospital/{i}")
        code, name = HOSPITALS[i]
        hour, minute, lead = RELEASE_RULES[i % len(RELEASE_RULES)]
        hosp = Hospital(
            index=i, code=code, name=name, release_minute=hour * 60 + minute, lead_days=lead,
            maintenance=MAINTENANCE[i % len(MAINTENANCE)], weight=rng.uniform(0.6, 1.4),
        )
        departments = rng.sample(DEPARTMENTS, rng.randint(6, 10))
        n = 0
        for k in range(hot_per_hospital):
            n += 1
            hosp.hot.append(Doctor(f"D{n:03d}", departments[k % len(departments)], True,
                                   rng.choice(HOT_FEES)))
        for dept in departments:
            for _ in range(rng.randint(3, 8)):
                n += 1
                hosp.ordinary.append(Doctor(f"D{n:03d}", dept, False,
                                            rng.choice(ORDINARY_FEES)))
        if i % 3 == 0:  # every third hospital runs a health-check centre
            n += 1
            hosp.checkup = Doctor(f"D{n:03d}", CHECKUP, False, "200.00")
        out.append(hosp)
    return out


def slot_times(count: int) -> list[int]:
    """Minutes of the day for ``count`` consecutive slots of a morning session."""
    step = max(5, min(15, 240 // max(1, count)))
    return [8 * 60 + (k * step) % 240 for k in range(count)]


def ordinary_slot_minute(rng: random.Random) -> int:
    """A slot minute in the morning (08:00-11:45) or afternoon (13:30-17:00) session."""
    if rng.random() < 0.6:
        return 8 * 60 + 15 * rng.randrange(16)
    return 13 * 60 + 30 + 15 * rng.randrange(15)


class Clock:
    """ISO 8601 text for simulator times, with the date part cached per day."""

    def __init__(self, start: date) -> None:
        self._start = start
        self._days: dict[int, str] = {}
        self._memo: dict[int, str] = {}

    def date(self, day: int) -> date:
        return self._start + timedelta(days=day)

    def iso_repeated(self, t: int) -> str:
        """:meth:`iso` for times many rows share (slots, releases), memoised per day."""
        text = self._memo.get(t)
        if text is None:
            if len(self._memo) > 4096:
                self._memo.clear()
            text = self._memo[t] = self.iso(t)
        return text

    def iso(self, t: int) -> str:
        day, rest = divmod(t, DAY)
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = (self._start + timedelta(days=day)).isoformat()
        s, ms = divmod(rest, 1000)
        m, s = divmod(s, 60)
        h, m = divmod(m, 60)
        return f"{prefix}T{h:02d}:{m:02d}:{s:02d}.{ms:03d}+08:00"

    def _prefix(self, day: int) -> bytes:
        """``YYYY-MM-DDT`` of a day, as ASCII bytes."""
        prefix = self._days.get(day)
        if prefix is None:
            prefix = self._days[day] = (self._start + timedelta(days=day)).isoformat()
        return f"{prefix}T".encode("ascii")

    def iso_many(self, t: np.ndarray) -> list[str]:
        """:meth:`iso` for an array of times, built as fixed-width ASCII in one go."""
        day, rest = np.divmod(t, DAY)
        if not len(t):
            return []
        first = int(day.min())
        prefixes = np.frombuffer(b"".join(self._prefix(d) for d in
                                          range(first, int(day.max()) + 1)),
                                 dtype=np.uint8).reshape(-1, 11)
        text = np.empty((len(t), len(_ISO_TEMPLATE)), dtype=np.uint8)
        text[:] = _ISO_TEMPLATE
        text[:, :11] = prefixes[day - first]
        hours, rest = np.divmod(rest, HOUR)
        minutes, rest = np.divmod(rest, MINUTE)
        seconds, ms = np.divmod(rest, SECOND)
        text[:, 11:13] = _DIGITS2[hours]
        text[:, 14:16] = _DIGITS2[minutes]
        text[:, 17:19] = _DIGITS2[seconds]
        text[:, 20:23] = _DIGITS3[ms]
        return text.view(f"S{len(_ISO_TEMPLATE)}").ravel().astype(
            f"U{len(_ISO_TEMPLATE)}").tolist()


_ISO_TEMPLATE = np.frombuffer(b"2000-01-01T00:00:00.000+08:00", dtype=np.uint8)
_DIGITS2 = np.frombuffer("".join(f"{i:02d}" for i in range(100)).encode(), np.uint8).reshape(-1, 2)
_DIGITS3 = np.frombuffer("".join(f"{i:03d}" for i in range(1000)).encode(), np.uint8).reshape(-1, 3)
