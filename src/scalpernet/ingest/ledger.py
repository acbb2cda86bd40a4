"""Registration ledgers judged a batch at a time: which rows repeat a booking seen before.

A :class:`KeyTable` maps 64-bit registration key hashes to a 64-bit content value and the
booking's last event in an open-addressing table held in numpy arrays (24 bytes a slot, at
most 2/3 full), and judges a whole batch with array operations: the same verdicts, row by
row in order, as a table judging one row at a time (the tests' reference), for a small
fraction of the cost.
"""

from __future__ import annotations

from typing import Final

import numpy as np

#: Verdicts, one per row: first sighting, the same content again, other content.
NEW: Final = 0
SAME: Final = 1
CONFLICT: Final = 2
#: :class:`BatchLedgers` only: other content than the booking's current version, first
#: seen in an earlier file, and greater than it in the one order of versions
#: (:func:`~scalpernet.ingest.versions.version_key`: the later last event, of equal ones the
#: greater content hash): the new current version (the one a transactional run writes over
#: the stored one).
LATER: Final = 3
#: :class:`BatchLedgers` only: the same, but lesser than the current version (a
#: transactional run finds the stored version greater and keeps it: nothing of this row is
#: written, its entities neither).
STALE: Final = 4
#: Slots moved at once when a table doubles.
_REHASH_SLOTS: Final = 1 << 16
#: Keys still probing when the rest of the probing goes one key at a time: a few long
#: probe runs would otherwise cost a round of array operations each step.
_SCALAR_TAIL: Final = 8


class KeyTable:
    """Key hash → (content value, last event); a key hash of 0 is stored as 1 (0 marks an
    empty slot)."""

    __slots__ = ("_keys", "_values", "size")

    def __init__(self, capacity: int = 1 << 16) -> None:
        slots = 1 << max(4, (capacity - 1).bit_length())
        self._keys = np.zeros(slots, dtype=np.int64)
        self._values = np.zeros((slots, 2), dtype=np.int64)
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def see(self, keys: np.ndarray, values: np.ndarray,
            events: np.ndarray | None = None) -> np.ndarray:
        """Record a batch of (key, content, last event) in order; per row :data:`NEW`,
        :data:`SAME` or :data:`CONFLICT`. A conflicting row does not replace what is stored
        (:meth:`supersede` does)."""
        keys = _nonzero(keys)
        values = np.asarray(values, dtype=np.int64)
        events = np.zeros_like(values) if events is None else np.asarray(events, np.int64)
        while (self.size + len(keys)) * 3 > len(self._keys) * 2:
            self._grow()
        unique, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
        slot, found = self._find(unique)
        # each row is compared with the stored content, else with its key's first row here
        reference = np.where(found, self._values[slot, 0], values[first])[inverse]
        verdict = np.where(reference == values, SAME, CONFLICT).astype(np.int8)
        new = ~found
        verdict[first[new]] = NEW
        # a new key goes to the empty slot its search ended on, unless another took it
        self._insert(unique[new], np.stack([values, events], axis=1)[first[new]], slot[new])
        return verdict

    def supersede(self, keys: np.ndarray, values: np.ndarray,
                  events: np.ndarray) -> np.ndarray:
        """For stored keys whose rows carry other content (each key's rows the same
        content): per row whether it is the greater version (the later last event, of
        equal ones the greater content value: the order of
        :func:`~scalpernet.ingest.versions.version_key`, whose content hash the value's
        digits begin), in which case it becomes the stored version."""
        unique, first, inverse = np.unique(_nonzero(keys), return_index=True,
                                           return_inverse=True)
        slot, _ = self._find(unique)
        event, stored_event = events[first], self._values[slot, 1]
        newer = (event > stored_event) | (
            (event == stored_event) & (values[first] > self._values[slot, 0]))
        self._values[slot[newer]] = np.stack([values, events], axis=1)[first[newer]]
        return newer[inverse]

    def _find(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Per key (all distinct): its slot and ``True``, or ``False`` when absent."""
        mask = len(self._keys) - 1
        slot = np.zeros(len(keys), dtype=np.int64)
        found = np.zeros(len(keys), dtype=bool)
        active = np.arange(len(keys))
        probe = keys & mask
        while active.size > _SCALAR_TAIL:
            stored = self._keys[probe]
            hit = stored == keys[active]
            done = hit | (stored == 0)
            slot[active[done]] = probe[done]
            found[active[hit]] = True
            active, probe = active[~done], (probe[~done] + 1) & mask
        table = self._keys
        for row, key, at in zip(active.tolist(), keys[active].tolist(), probe.tolist(),
                                strict=True):
            while (stored := table.item(at)) != key and stored != 0:
                at = (at + 1) & mask
            slot[row], found[row] = at, stored == key
        return slot, found

    def _insert(self, keys: np.ndarray, values: np.ndarray,
                probe: np.ndarray | None = None) -> None:
        """Add keys known to be absent and distinct, each probing from its home slot or
        from ``probe`` (a slot on its probe run with no empty slot before it)."""
        mask = len(self._keys) - 1
        todo = np.arange(len(keys))
        probe = keys & mask if probe is None else probe
        while todo.size > _SCALAR_TAIL:
            free = np.flatnonzero(self._keys[probe] == 0)
            placed = np.zeros(len(todo), dtype=bool)
            if free.size:
                # several keys may reach one free slot: one of the writes stays, read back
                slots, wanted = probe[free], keys[todo[free]]
                self._keys[slots] = wanted
                won = free[self._keys[slots] == wanted]
                self._values[probe[won]] = values[todo[won]]
                placed[won] = True
            todo, probe = todo[~placed], (probe[~placed] + 1) & mask
        table = self._keys
        for key, value, at in zip(keys[todo].tolist(), values[todo].tolist(), probe.tolist(),
                                  strict=True):
            while table.item(at) != 0:
                at = (at + 1) & mask
            table[at] = key
            self._values[at] = value
        self.size += len(keys)

    def _grow(self) -> None:
        keys, values = self._keys, self._values
        self._keys = np.zeros(2 * len(keys), dtype=np.int64)
        self._values = np.zeros((len(self._keys), 2), dtype=np.int64)
        self.size = 0
        for start in range(0, len(keys), _REHASH_SLOTS):  # a slice at a time: little extra
            part = keys[start:start + _REHASH_SLOTS]
            used = part != 0
            self._insert(part[used], values[start:start + _REHASH_SLOTS][used])


def _nonzero(keys: np.ndarray) -> np.ndarray:
    return np.where(keys == 0, 1, keys).astype(np.int64, copy=False)


class BatchLedgers:
    """The run's and the current file's tables (see :mod:`scalpernet.ingest.validate`).

    Within the first file both hold the same registrations, so one table serves as both.
    """

    __slots__ = ("file", "run")

    def __init__(self) -> None:
        self.run = KeyTable()
        self.file = self.run

    def start_file(self, first: bool) -> None:
        self.file = self.run if first else KeyTable()

    def judge(self, keys: np.ndarray, values: np.ndarray, events: np.ndarray) -> np.ndarray:
        """Per row in order: :data:`CONFLICT` (seen in this file with other content),
        :data:`SAME` (the booking's current version again), :data:`LATER` or :data:`STALE`
        (another file's other version, greater or lesser than the current one) or
        :data:`NEW`. Conflicting rows are not entered in the run's table."""
        keys = _nonzero(keys)
        verdict = self.file.see(keys, values, events)
        if self.file is self.run:
            return verdict
        kept = np.flatnonzero(verdict != CONFLICT)
        run = self.run.see(keys[kept], values[kept], events[kept])
        verdict[kept] = run
        other = kept[run == CONFLICT]
        if other.size:
            newer = self.run.supersede(keys[other], values[other], events[other])
            repeat = np.ones(other.size, dtype=bool)  # of a greater version: now current
            repeat[np.unique(keys[other], return_index=True)[1]] = False
            verdict[other] = np.where(newer, np.where(repeat, SAME, LATER), STALE)
        return verdict
