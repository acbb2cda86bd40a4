"""Detection thresholds and weights in one place; every run stores the values it used."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class DetectParams:
    """What counts as machine speed, a damp identifier, a ring, and how evidence is weighed."""

    #: A booking this soon after release is machine speed (humans need a minute; the study's
    #: fastest 1% of manual bookings took about 2 s).
    machine_ms: int = 1_000
    #: "Within seconds of release": catches grabbing tools that add human-like delays.
    quick_ms: int = 15_000
    #: A booking paid this soon after it was made was paid by a machine or a scalper's
    #: standing order: a person confirming a payment in an app takes longer.
    auto_pay_ms: int = 10_000
    #: Occupy and wash: a cancelled slot re-booked this soon after the cancellation.
    wash_ms: int = 10_000
    #: A channel (IP, device, account, payer, agent, phone) triggers when it booked at least
    #: this many distinct ID numbers within seconds of release ...
    trigger_quick_ids: int = 6
    #: ... and at least this share of its bookings were that quick.
    trigger_quick_share: float = 0.5
    #: Or when it took part in occupy-and-wash pairs on this many distinct slots ...
    trigger_washes: int = 3
    #: ... making up at least this share of its bookings (a busy NAT address sees the odd
    #: honest cancellation re-booked by chance).
    trigger_wash_share: float = 0.1
    #: Or when it booked this many placeholder identities (invalid ID or junk name) ...
    trigger_placeholders: int = 3
    #: ... with at least this share of its bookings quick.
    trigger_placeholder_quick_share: float = 0.2
    #: Or when it booked this many times before the slots were released.
    trigger_before_release: int = 3
    #: Damp identifiers (Wi-Fi, NAT, kiosks, company desks): this many distinct ID numbers ...
    damp_min_ids: int = 30
    #: ... and at most this share of their bookings quick: human timing, shared innocently.
    damp_max_quick_share: float = 0.1
    #: A triggered channel that booked that many distinct ID numbers at human speed (no
    #: quick, washed, placeholder, before-release or maintenance-window signal), making at
    #: least this share of its bookings, is shared with honest people (a tool behind carrier
    #: NAT): its bookings do not make a ring, and it links only triggered channels.
    shared_min_human_share: float = 0.2
    #: Ring bookings spread through the ring's own channels this many times (0: triggers only).
    expand_steps: int = 1
    #: Components larger than this are split with Leiden.
    split_min_size: int = 40
    #: Leiden objective and resolution (explicit: igraph's default CPM/1 gives singletons).
    leiden_objective: str = "modularity"
    leiden_resolution: float = 1.0
    leiden_seed: int = 20_250_611
    #: Communities sharing at least this share of the smaller one's link weight are one
    #: ring: merged back (above 1: never).
    merge_entangled_share: float = 0.2
    #: A reported network has at least this many members and this risk.
    min_size: int = 4
    min_risk: float = 0.5
    #: An inherited id needs this Jaccard overlap with a network of the previous run.
    inherit_jaccard: float = 0.5
    #: A member counts as involved when this share of its bookings are the ring's.
    involvement_min: float = 0.5
    #: Only registrations booked within this many days of the newest booking are read
    #: (0: the whole history). Payers' yearly volume still comes from their whole history.
    window_days: int = 0
    #: Evidence samples kept per member (registration keys an auditor can open).
    evidence_samples: int = 5

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)
