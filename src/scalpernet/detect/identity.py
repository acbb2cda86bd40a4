"""Network and actor ids that stay put across runs when membership barely changes.

A network first inherits the id of the previous run's network it overlaps most (Jaccard of
member uids at least ``inherit_jaccard``; pairs matched greedily, best overlap first, ties
by id). A network with no such predecessor gets ``net-`` plus a hash of its anchor: its most
central member (largest weighted degree, ties by uid), which does not move when customers
come and go. Actors keep theirs the same way, within their network and role; a new actor's
anchor is its network's id, its role and its leading identifier.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

#: Ten digits in a row could be read as a phone number by masking, and the id masked.
_DIGIT_RUN = re.compile(r"[0-9]{10}")
_DIGITS_TO_LETTERS = str.maketrans("0123456789", "ghijklmnop")


def anchor_id(anchor_uid: str, prefix: str = "net-") -> str:
    """``prefix`` + 12 hex characters of SHA-256 of the anchor's uid (no personal data): the
    first 12 with no run of ten digits, so that masking by content never takes an id for a
    phone or an ID number."""
    digest = hashlib.sha256(anchor_uid.encode("utf-8")).hexdigest()
    body = next((digest[i:i + 12] for i in range(len(digest) - 11)
                 if not _DIGIT_RUN.search(digest[i:i + 12])),
                digest[:12].translate(_DIGITS_TO_LETTERS))
    return prefix + body


def jaccard(a: set[str], b: set[str]) -> float:
    if not a and not b:
        return 0.0
    return len(a & b) / len(a | b)


def assign_ids(new: Sequence[tuple[str, set[str]]], previous: dict[str, set[str]],
               min_jaccard: float, prefix: str = "net-") -> list[str]:
    """Ids for the new networks (or actors: ``prefix`` ``act-``), given as (anchor uid,
    member uids), in their order."""
    by_member: dict[str, list[str]] = {}
    for pid, members in previous.items():
        for m in members:
            by_member.setdefault(m, []).append(pid)
    candidates: list[tuple[float, str, int]] = []
    for i, (_, members) in enumerate(new):
        seen = {pid for m in members for pid in by_member.get(m, ())}
        for pid in sorted(seen):
            score = jaccard(members, previous[pid])
            if score >= min_jaccard:
                candidates.append((score, pid, i))
    candidates.sort(key=lambda c: (-c[0], c[1], c[2]))
    ids: list[str | None] = [None] * len(new)
    taken: set[str] = set()
    for _, pid, i in candidates:
        if ids[i] is None and pid not in taken:
            ids[i] = pid
            taken.add(pid)
    for i, (anchor, _) in enumerate(new):
        if ids[i] is not None:
            continue
        base = candidate = anchor_id(anchor, prefix)
        suffix = 2
        while candidate in taken:
            candidate = f"{base}-{suffix}"
            suffix += 1
        ids[i] = candidate
        taken.add(candidate)
    return [str(i) for i in ids]
