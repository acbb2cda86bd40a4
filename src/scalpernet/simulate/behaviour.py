"""How each gang behaves: the knobs of the world and the behaviour each gang draws from them.

Every behaviour the domain describes is a knob: how the tool books (machine speed, human-like
delays, both), where it books from (a few servers, rotating proxies, a residential proxy
pool, carrier NAT), which device ids it shows, whose app accounts it books through, how the
money moves, whether escort agents are written on bookings, whose phone is the contact, how
the first level shows himself, the placeholder share, the number of second-level scalpers
and when the gang is active. A knob is a tuple of options (or a ``(low, high)`` range); each
gang draws one option (a value in the range) from its own seed, so one city mixes them.

A knob left ``None`` takes its *profile*'s value: the ``default`` profile is the world the
simulator has always built (its draws are kept, so a seed gives the same files); the
``wide`` profile draws every knob from its full range and plants the stealth gangs.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from scalpernet.simulate.rand import derive

TIMINGS = ("machine", "human", "mixed")
ORIGINS = ("servers", "proxies", "residential", "carrier NAT")
DEVICES = ("emulators", "spoofed", "absent")
ACCOUNTS = ("bot", "customer")
MONEY = ("first_level", "technician_first", "customer_qr", "agents", "mixed")
WRITTEN = ("always", "sometimes", "never")
CONTACTS = ("agent", "first_level", "customer", "mixed")
FIRST_LEVEL_AS = ("agent", "payer", "phone", "payer and phone")
ACTIVITY = ("whole", "burst")

#: Option knobs: name -> the options it accepts.
OPTION_KNOBS: dict[str, tuple[str, ...]] = {
    "tool_timing": TIMINGS, "origin": ORIGINS, "devices": DEVICES, "tool_accounts": ACCOUNTS,
    "money": MONEY, "agents_written": WRITTEN, "contact": CONTACTS,
    "first_level_as": FIRST_LEVEL_AS, "activity": ACTIVITY,
}
#: Range knobs: name -> the widest range it accepts.
RANGE_KNOBS: dict[str, tuple[float, float]] = {
    "machine_ms": (1, 1000), "human_delay_s": (0.5, 60.0), "proxy_pool": (2, 500),
    "placeholder_share": (0.0, 1.0), "agents": (1, 64), "burst_days": (1, 60),
    "payers": (1, 8),
}

#: The wide world: every knob over its full range (figures from the domain brief; see
#: docs/simulator.md).
WIDE: dict[str, tuple] = {
    "tool_timing": TIMINGS, "machine_ms": (5, 200), "human_delay_s": (1.0, 10.0),
    "origin": ORIGINS, "proxy_pool": (50, 300), "devices": DEVICES, "tool_accounts": ACCOUNTS,
    "money": MONEY, "agents_written": WRITTEN, "contact": CONTACTS,
    "first_level_as": FIRST_LEVEL_AS, "placeholder_share": (0.0, 0.6), "agents": (1, 30),
    "activity": ("whole", "whole", "burst"), "burst_days": (2, 6), "payers": (1, 3),
}
#: Below this a drawn placeholder share is 0: gangs that never occupy and wash.
NO_PLACEHOLDERS_BELOW = 0.1

#: The stealth gang police caught in Nanjing: a residential proxy pool, a few seconds'
#: human-like delays, a new device id every booking, escort agents never written, and the
#: money through two payment accounts.
STEALTH: dict[str, object] = {
    "tool_timing": "human", "human_delay_s": (2.0, 6.0), "origin": "residential",
    "proxy_pool": (200, 300), "devices": "spoofed", "tool_accounts": "customer",
    "money": "first_level", "payers": 2, "agents_written": "never", "contact": "agent",
    "first_level_as": "payer", "activity": "whole",
}


@dataclass
class Behaviour:
    """What one gang does: one value of every knob (recorded in truth.json per gang)."""

    tool_timing: str
    machine_ms: tuple[int, int]  # fastest and slowest machine-speed request
    human_delay_s: tuple[float, float]  # the range human-like delays are drawn from
    origin: str
    proxy_pool: int  # residential addresses live at one time, or the rotating proxies
    devices: str
    tool_accounts: str
    money: str
    agents_written: str
    contact: str
    first_level_as: str
    placeholder_share: float
    agents: int
    activity: str
    active: tuple[int, int]  # first and last visit day the tool runs
    payers: int  # first-level payment accounts
    stealth: bool = False

    def profile(self) -> dict:
        """The drawn value of every knob, as truth.json records it."""
        return {
            "tool_timing": self.tool_timing, "machine_ms": list(self.machine_ms),
            "human_delay_s": [round(x, 2) for x in self.human_delay_s],
            "origin": self.origin, "proxy_pool": self.proxy_pool, "devices": self.devices,
            "tool_accounts": self.tool_accounts, "money": self.money,
            "agents_written": self.agents_written, "contact": self.contact,
            "first_level_as": self.first_level_as,
            "placeholder_share": round(self.placeholder_share, 3), "agents": self.agents,
            "activity": self.activity, "active_days": list(self.active),
            "first_level_payers": self.payers, "stealth": self.stealth,
        }


def check_knob(name: str, value: object) -> None:
    """Raise ``ValueError`` unless ``value`` is a usable setting of knob ``name``."""
    if name in OPTION_KNOBS:
        options = OPTION_KNOBS[name]
        if not isinstance(value, tuple) or not value or any(v not in options for v in value):
            raise ValueError(f"{name} must be a non-empty tuple of {', '.join(options)}")
        return
    lo_ok, hi_ok = RANGE_KNOBS[name]
    if (not isinstance(value, tuple) or len(value) != 2 or not lo_ok <= value[0] <= value[1]
            <= hi_ok):
        raise ValueError(f"{name} must be a (low, high) range within {lo_ok}-{hi_ok}")


def _draw(rng: random.Random, name: str, value: tuple) -> object:
    """One gang's value of a knob: an option, or a number in the range."""
    if name in OPTION_KNOBS:
        return value[int(rng.random() * len(value))]
    lo, hi = value
    if name == "machine_ms":  # the gang's fastest and slowest request
        fast = rng.randint(lo, max(lo, (lo + hi) // 2))
        return fast, rng.randint(min(hi, fast + 10), hi)
    if name == "human_delay_s":
        fast = rng.uniform(lo, (lo + hi) / 2)
        return fast, rng.uniform(min(hi, fast + 0.5), hi)
    if isinstance(lo, int) and isinstance(hi, int):
        return rng.randint(lo, hi)
    share = rng.uniform(lo, hi)
    if name == "placeholder_share" and lo < NO_PLACEHOLDERS_BELOW and (
            share < NO_PLACEHOLDERS_BELOW):
        return 0.0
    return share


def settle_behaviour(base: Behaviour, seed: int, g: int, days: int,
                     knobs: dict[str, tuple], stealth: bool,
                     pinned: frozenset[str] = frozenset()) -> Behaviour:
    """``base`` (the default profile's draws) with every knob in ``knobs`` drawn for gang
    ``g``.

    Each knob draws from its own seed, so setting one knob never changes another's draws.
    A stealth gang takes :data:`STEALTH`'s settings (ranges drawn the same way), except for
    the knobs ``pinned`` (set explicitly for the whole world).
    """
    values = dict(base.__dict__)
    settings: dict[str, object] = dict(knobs)
    if stealth:
        settings.update({k: v if isinstance(v, tuple) else (v,) if isinstance(v, str) else
                         (v, v) for k, v in STEALTH.items() if k not in pinned})
        values["stealth"] = True
    for name, value in settings.items():
        if name == "burst_days":
            continue
        values[name] = _draw(random.Random(derive(seed, "gang", g, name)), name, value)
    if values["activity"] == "burst":  # the default profile's gangs work the whole period
        rng = random.Random(derive(seed, "gang", g, "burst"))
        lo, hi = settings.get("burst_days", WIDE["burst_days"])
        length = min(days, rng.randint(int(lo), int(hi)))
        first = rng.randint(0, days - length)
        values["active"] = (first, first + length - 1)
    return Behaviour(**values)
