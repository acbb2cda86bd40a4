"""Ledgers judged a batch at a time give, row by row, the verdicts of one row at a time."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from scalpernet.ingest.ledger import CONFLICT, LATER, NEW, SAME, STALE, BatchLedgers, KeyTable

_row = st.tuples(st.integers(-3, 40), st.integers(0, 2))
_batches = st.lists(st.lists(_row, max_size=30), max_size=12)


def one_at_a_time(table: dict[int, tuple[int, int]], key: int, value: int, event: int) -> int:
    if key not in table:
        table[key] = (value, event)
        return NEW
    return SAME if table[key][0] == value else CONFLICT


def _event(key: int, value: int) -> int:
    """A booking's last event: part of its content, so the same content has the same."""
    return (value * 3 + key) % 4


@settings(max_examples=300, deadline=None)  # a loaded machine is not a wrong verdict
@given(files=st.lists(_batches, min_size=1, max_size=4))
def test_batches_agree_with_one_row_at_a_time(files: list[list[list[tuple[int, int]]]]) -> None:
    ledgers = BatchLedgers()
    ledgers.run = KeyTable(capacity=4)  # small: forces several resizes
    run: dict[int, tuple[int, int]] = {}
    for index, batches in enumerate(files):
        ledgers.start_file(first=index == 0)
        file: dict[int, tuple[int, int]] = run if index == 0 else {}
        for batch in batches:
            keys = np.array([k for k, _ in batch], dtype=np.int64)
            values = np.array([v for _, v in batch], dtype=np.int64)
            events = np.array([_event(k or 1, v) for k, v in batch], dtype=np.int64)
            got = ledgers.judge(keys, values, events).tolist()
            want = []
            for key, value in batch:
                key = key or 1  # 0 marks an empty slot: stored as 1
                event = _event(key, value)
                seen = one_at_a_time(file, key, value, event)
                if seen != CONFLICT and file is not run:
                    seen = one_at_a_time(run, key, value, event)
                    if seen == CONFLICT:  # another version: the greater one is current
                        newer = (event, value) > (run[key][1], run[key][0])
                        seen = LATER if newer else STALE
                        if newer:
                            run[key] = (value, event)
                want.append(seen)
            assert got == want
    assert len(ledgers.run) == len(run)


def test_a_million_keys_fit_and_are_found_again() -> None:
    rng = np.random.default_rng(7)
    keys = rng.integers(-(2**63), 2**63 - 1, size=1_000_000, dtype=np.int64)
    values = rng.integers(0, 3, size=keys.size, dtype=np.int64)
    table = KeyTable()
    for start in range(0, keys.size, 4096):
        assert (table.see(keys[start:start + 4096], values[start:start + 4096]) == NEW).all()
    assert len(table) == keys.size
    again = table.see(keys, values)
    assert (again == SAME).all()
    assert (table.see(keys[:10], values[:10] + 1) == CONFLICT).all()
