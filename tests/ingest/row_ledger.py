"""The one-row-at-a-time registration ledger: the reference for the batch ledgers.

:mod:`scalpernet.ingest.ledger` judges a whole batch with numpy; the tests compare its
verdicts, and the record stream built on it, with this table judging one row at a time.
"""

from __future__ import annotations

from array import array
from typing import Literal


def _content_value(content_hash: str) -> int:
    return int(content_hash[:16], 16) - (1 << 63)


class RegistrationLedger:
    """Registration key → content hash, judged one row at a time: the reference the batch
    ledgers (:mod:`scalpernet.ingest.ledger`, which both streams use) are tested against.

    Duplicate detection must remember every registration of the run; a ``dict`` of strings
    costs ~150 bytes a registration, this table 16 bytes a slot (at most 2/3 full): about
    24-48 bytes a registration. Keys are 64-bit string hashes (per process); two different
    keys colliding is about 1 in 10^8 for 10^6 registrations.
    """

    __slots__ = ("_keys", "_mask", "_size", "_values")

    def __init__(self, capacity: int = 1 << 16) -> None:
        size = 1 << max(4, (capacity - 1).bit_length())
        self._keys = array("q", bytes(8 * size))
        self._values = array("q", bytes(8 * size))
        self._mask = size - 1
        self._size = 0

    def __len__(self) -> int:
        return self._size

    def see(self, key: str, content_hash: str) -> Literal["new", "same", "conflict"]:
        """Record ``key`` with its content; say whether it is new, a repeat or a conflict."""
        return self.see_value(key, _content_value(content_hash))

    def see_value(self, key: str, v: int) -> Literal["new", "same", "conflict"]:
        """:meth:`see` with the content as a signed 64-bit value (one way for the whole run)."""
        k = hash(key) or 1  # 0 marks an empty slot
        keys = self._keys
        mask = self._mask
        i = k & mask
        while True:
            slot = keys[i]
            if slot == 0:
                break
            if slot == k:
                return "same" if self._values[i] == v else "conflict"
            i = (i + 1) & mask
        keys[i] = k
        self._values[i] = v
        self._size += 1
        if self._size * 3 > len(keys) * 2:
            self._grow()
        return "new"

    def _grow(self) -> None:
        old = zip(self._keys, self._values, strict=True)
        size = len(self._keys) * 2
        keys = array("q", bytes(8 * size))
        values = array("q", bytes(8 * size))
        mask = size - 1
        for k, v in old:
            if k:
                i = k & mask
                while keys[i]:
                    i = (i + 1) & mask
                keys[i] = k
                values[i] = v
        self._keys, self._values, self._mask = keys, values, mask
