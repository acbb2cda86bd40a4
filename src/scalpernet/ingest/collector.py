"""Fewer garbage collections while rows stream: a batch keeps ~10^5 acyclic objects alive.

With Python's default threshold, every young collection walks all of them again; raising the
threshold for the length of a run saves that work (~25% of the dry run, measured) and is
undone afterwards.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between young collections while rows stream (Python's default is 700).
STREAMING_THRESHOLD = 500_000


@contextmanager
def fewer_collections(threshold: int = STREAMING_THRESHOLD) -> Iterator[None]:
    """Raise the young-generation threshold for the block, then restore the previous ones."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], threshold), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)
