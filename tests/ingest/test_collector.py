"""Garbage collection while rows stream: rarer young collections, periodic full ones."""

from __future__ import annotations

import gc

import pytest

from scalpernet.ingest import collector as collector_module
from scalpernet.ingest.collector import fewer_collections


def test_thresholds_rise_for_the_block_and_come_back() -> None:
    before = gc.get_threshold()
    with fewer_collections(threshold=123_456):
        assert gc.get_threshold() == (max(before[0], 123_456), *before[1:])
    assert gc.get_threshold() == before
    with pytest.raises(RuntimeError), fewer_collections(threshold=123_456):
        raise RuntimeError("a failed run restores them too")
    assert gc.get_threshold() == before


def test_a_full_collection_runs_every_so_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(collector_module.gc, "collect", lambda *a: calls.append(1) or 0)
    with fewer_collections(full_every=1_000) as collector:
        for _ in range(25):
            collector.rows(100)  # 2,500 rows: two full collections, 500 rows pending
    assert len(calls) == 2
