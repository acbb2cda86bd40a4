"""A case's statuses and the moves between them (pure rules, no I/O).

new → under_review → confirmed → referred / dismissed. A case may be dismissed from any
open status, and a dismissed case reopened for review; a referral is final (it has left
for the prosecutor or the police unit that takes it). Every move carries a note.
"""

from __future__ import annotations

from typing import Literal

Status = Literal["new", "under_review", "confirmed", "referred", "dismissed"]
STATUSES: tuple[Status, ...] = ("new", "under_review", "confirmed", "referred", "dismissed")

#: Target status → the statuses a case may be in to move there.
MOVES: dict[Status, tuple[Status, ...]] = {
    "under_review": ("new", "dismissed"),
    "confirmed": ("under_review",),
    "referred": ("confirmed",),
    "dismissed": ("new", "under_review", "confirmed"),
}


def allowed_from(target: str) -> tuple[str, ...]:
    """The statuses from which a case may move to `target` (none for 'new')."""
    return MOVES.get(target, ())  # type: ignore[call-overload]


def next_statuses(status: str) -> list[str]:
    """Where a case in `status` may go next, in workflow order."""
    return [target for target in STATUSES if status in MOVES.get(target, ())]


def membership_changes(confirmed: list[list[str]], current: list[list[str]]
                       ) -> dict[str, list[tuple[str, str | None, str | None]]]:
    """Members who joined, left or changed role since confirmation, as (uid, role then,
    role now), each list sorted by uid."""
    then = dict((u, r) for u, r in confirmed)
    now = dict((u, r) for u, r in current)
    return {
        "joined": sorted((u, None, now[u]) for u in now.keys() - then.keys()),
        "left": sorted((u, then[u], None) for u in then.keys() - now.keys()),
        "role_changed": sorted((u, then[u], now[u]) for u in then.keys() & now.keys()
                               if then[u] != now[u]),
    }
