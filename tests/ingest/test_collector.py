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


def test_what_lived_before_is_frozen_for_the_block_unless_the_process_froze_its_own() -> None:
    frozen_by_others = gc.get_freeze_count()  # an API test may have started the server
    gc.unfreeze()
    try:
        with fewer_collections():
            assert gc.get_freeze_count() > 0
        assert gc.get_freeze_count() == 0
        gc.freeze()  # as the API server does at start
        frozen = gc.get_freeze_count()
        with fewer_collections():
            assert gc.get_freeze_count() == frozen
        assert gc.get_freeze_count() == frozen
    finally:
        gc.unfreeze()
        if frozen_by_others:
            gc.freeze()


def test_a_full_collection_runs_every_so_many_rows(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    monkeypatch.setattr(collector_module.gc, "collect", lambda *a: calls.append(1) or 0)
    with fewer_collections(full_every=1_000) as collector:
        for _ in range(25):
            collector.rows(100)  # 2,500 rows: two full collections, 500 rows pending
    assert len(calls) == 2
