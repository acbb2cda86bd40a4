"""Risk: a logistic score on named ring features, every term reported as a signal.

``risk = 1 / (1 + exp(-(bias + Σ weight_i · feature_i)))`` where each feature is a share or
a capped, log-scaled count in [0, 1]; a ring's signals list every feature with its value,
its contribution to the logit and what it means, so an investigator sees why a ring ranks
where it does. A member's score is the ring's risk times its involvement (share of its own
bookings inside the ring), raised by its own evidence when it triggered (see ``signals``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from scalpernet.detect.projection import Projection
from scalpernet.detect.rings import Rings
from scalpernet.detect.signals import KINDS, EntitySignals, Incidence, RegistrationSignals
from scalpernet.locale import detail_text
from scalpernet.results.models import Signal

BIAS = -4.0
#: (feature, weight): the logistic's named terms.
WEIGHTS: dict[str, float] = {
    "machine_speed_share": 3.0,
    "within_seconds_share": 2.5,
    "occupy_and_wash": 2.0,
    "placeholder_share": 2.5,
    "ids_per_channel_day": 1.5,
    "customers": 1.0,
    "money_hub": 1.5,
    "escort_agents": 0.5,
    "before_release": 1.0,
    "quiet_window_share": 1.0,
}
_K = {k: i for i, k in enumerate(KINDS)}


@dataclass
class RingScore:
    risk: float
    signals: list[Signal]
    features: dict[str, float]


def _log_cap(value: float, cap: float) -> float:
    """``log(1 + value) / log(1 + cap)`` clipped to [0, 1]."""
    return min(1.0, math.log1p(max(value, 0.0)) / math.log1p(cap))


def payer_yearly_reference(sig: EntitySignals, inc: Incidence) -> float:
    """The 99.9th percentile of payers' yearly bookings over the whole population."""
    payers = inc.kinds == _K["payer"]
    if not payers.any():
        return 0.0
    return float(np.percentile(sig.yearly[payers], 99.9))


def score_ring(k: int, proj: Projection, reg: RegistrationSignals, inc: Incidence,
               sig: EntitySignals, rings: Rings, payer_p999: float) -> RingScore:
    """The ring's risk with its signals, strongest contribution first."""
    rows = rings.bookings[k]
    members = rings.members[k]
    n = max(len(rows), 1)
    machine = int(reg.machine[rows].sum())
    quick = int(reg.quick[rows].sum())
    wash = int(reg.wash_rebook[rows].sum())
    placeholders = int(reg.placeholder[rows].sum())
    before = int(reg.before_release[rows].sum())
    quiet = int(reg.quiet_window[rows].sum())
    kinds = inc.kinds[members]
    channel = members[~np.isin(kinds, [_K["patient"], _K["id_card"]])]
    per_day = int(sig.max_ids_per_day[channel].max()) if channel.size else 0
    customers = len(np.unique(proj.entities["id_card"][rows]))
    agents = int((kinds == _K["escort_agent"]).sum())
    invalid = len(np.unique(proj.entities["id_card"][rows][~proj.id_valid[rows]]))
    junk = len(np.unique(proj.entities["patient"][rows][proj.junk_name[rows]]))
    virtual = int(reg.virtual_phone[rows].sum())
    payers = members[kinds == _K["payer"]]
    top_payer = float(sig.yearly[payers].max()) if payers.size else 0.0
    paid_for = int(rings.customers[payers].max()) if payers.size else 0
    features = {
        "machine_speed_share": machine / n,
        "within_seconds_share": quick / n,
        "occupy_and_wash": _log_cap(wash, 20),
        "placeholder_share": min(1.0, 4 * placeholders / n),
        "ids_per_channel_day": _log_cap(per_day, 30),
        "customers": _log_cap(customers, 100),
        "money_hub": _log_cap(paid_for, 50),
        "escort_agents": min(1.0, agents / 2),
        "before_release": _log_cap(before, 10),
        "quiet_window_share": min(1.0, 4 * quiet / n),
    }
    details = {
        "machine_speed_share": (machine, {"machine": machine, "n": n}),
        "within_seconds_share": (quick, {"quick": quick, "n": n}),
        "occupy_and_wash": (wash, {"wash": wash}),
        "placeholder_share": (placeholders, {"placeholders": placeholders, "invalid": invalid,
                                             "junk": junk}),
        "ids_per_channel_day": (per_day, {"per_day": per_day}),
        "money_hub": (paid_for, {"paid_for": paid_for}),
        "customers": (customers, {"customers": customers}),
        "escort_agents": (agents, {"agents": agents}),
        "before_release": (before, {"before": before}),
        "quiet_window_share": (quiet, {"quiet": quiet}),
    }
    z = BIAS + sum(WEIGHTS[name] * value for name, value in features.items())
    risk = 1.0 / (1.0 + math.exp(-z))
    contributions = sorted(((WEIGHTS[name] * features[name], name) for name in features),
                           key=lambda t: (-t[0], t[1]))
    signals = [
        Signal(name=name, value=float(details[name][0]),
               detail=detail_text(f"ring.{name}", **details[name][1])
               + detail_text("logit", logit=c))
        for c, name in contributions if c > 0
    ]
    signals.append(Signal(name="virtual_phones", value=float(virtual),
                          detail=detail_text("ring.virtual_phones", virtual=virtual)))
    if payers.size:
        signals.append(Signal(
            name="payer_yearly_bookings", value=round(top_payer, 1),
            detail=detail_text("ring.payer_yearly_bookings", top_payer=top_payer,
                               p999=payer_p999)))
    signals.append(Signal(name="bookings", value=float(len(rows)),
                          detail=detail_text("ring.bookings", bookings=len(rows))))
    return RingScore(risk=round(risk, 4), signals=signals, features=features)


def member_score(index: int, risk: float, role: str, sig: EntitySignals, rings: Rings) -> float:
    """The ring's risk times the member's involvement, a 'none' member capped low."""
    involvement = rings.ring_bookings[index] / max(int(sig.bookings[index]), 1)
    own = 1.0 if sig.trigger[index] else 0.9
    score = risk * min(1.0, involvement) * own
    if role == "none":
        score = min(score, 0.2)
    return round(float(score), 4)
