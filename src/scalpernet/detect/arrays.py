"""Grouping helpers over integer columns: rows combined into one int64 key and sorted once,
instead of ``np.unique(..., axis=0)``, which sorts row views and is ten times slower."""

from __future__ import annotations

import numpy as np

_LIMIT = 1 << 62
#: Largest presence table (entities x values) counted without sorting.
_TABLE = 1 << 26


def sorted_unique(a: np.ndarray) -> np.ndarray:
    """``np.unique`` by sorting (numpy 2's hash-based unique is slow on wide int64 keys)."""
    s = np.sort(a, kind="stable") if a.size else a
    return s[np.r_[True, s[1:] != s[:-1]]] if s.size else s


def _codes(col: np.ndarray) -> tuple[np.ndarray, int]:
    """Non-negative codes for a column and their width (values kept when already small)."""
    col = np.asarray(col, dtype=np.int64)
    if col.size == 0:
        return col, 1
    lo, hi = int(col.min()), int(col.max())
    if lo >= 0 and hi < (1 << 31):
        return col, hi + 1
    values, codes = np.unique(col, return_inverse=True)
    return codes.reshape(-1).astype(np.int64), max(int(values.shape[0]), 1)


def combine(*columns: np.ndarray) -> np.ndarray:
    """One int64 key per row, ordered like the rows' tuples."""
    parts = [_codes(c) for c in columns]
    span = 1
    for _, width in parts:
        span *= width
    if span >= _LIMIT:  # wide values: densify every column, then try again
        parts = []
        for c in columns:
            values, codes = np.unique(np.asarray(c, dtype=np.int64), return_inverse=True)
            parts.append((codes.reshape(-1).astype(np.int64), max(int(values.shape[0]), 1)))
        span = 1
        for _, width in parts:
            span *= width
        if span >= _LIMIT:
            raise OverflowError("too many distinct combinations for one int64 key")
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for codes, width in parts:
        key = key * width + codes
    return key


def distinct_per(entity: np.ndarray, values: np.ndarray, n: int,
                 mask: np.ndarray | None = None) -> np.ndarray:
    """How many distinct non-negative ``values`` each entity (0..n-1) has."""
    keep = values >= 0 if mask is None else (values >= 0) & mask
    e = np.asarray(entity[keep], dtype=np.int64)
    if e.size == 0:
        return np.zeros(n, dtype=np.int64)
    v, width = _codes(values[keep])
    if n * width <= _TABLE:  # few values (hospitals): a presence table, no sort
        seen = np.zeros(n * width, dtype=bool)
        seen[e * width + v] = True
        return seen.reshape(n, width).sum(axis=1).astype(np.int64)
    if n * width >= _LIMIT:
        _, dense = np.unique(v, return_inverse=True)
        v, width = dense.reshape(-1).astype(np.int64), int(dense.max()) + 1
    pairs = sorted_unique(e * width + v)
    return np.bincount(pairs // width, minlength=n)


def distinct_per_group(entity: np.ndarray, group: np.ndarray, values: np.ndarray,
                       n: int) -> np.ndarray:
    """For each entity, the most distinct ``values`` it has within one ``group`` (e.g. a day)."""
    keep = (values >= 0) & (group >= 0)
    if not keep.any():
        return np.zeros(n, dtype=np.int64)
    e = np.asarray(entity[keep], dtype=np.int64)
    g, gw = _codes(group[keep] - group[keep].min())
    v, vw = _codes(values[keep])
    if n * gw * vw >= _LIMIT:
        _, dense = np.unique(v, return_inverse=True)
        v, vw = dense.reshape(-1).astype(np.int64), int(dense.max()) + 1
    # distinct (entity, group, value), sorted: groups and entities come out in runs
    triples = sorted_unique((e * gw + g) * vw + v)
    eg = triples // vw
    starts = np.flatnonzero(np.r_[True, eg[1:] != eg[:-1]])
    counts = np.diff(np.r_[starts, eg.size])
    owner = eg[starts] // gw
    first = np.flatnonzero(np.r_[True, owner[1:] != owner[:-1]])
    best = np.zeros(n, dtype=np.int64)
    best[owner[first]] = np.maximum.reduceat(counts, first)
    return best


def dense_index(ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sorted distinct ids and each id's position among them (like ``np.unique`` with
    ``return_inverse``, by a lookup table when the ids are compact: no sort)."""
    if ids.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    top = int(ids.max()) + 1
    if int(ids.min()) < 0 or top > 4 * ids.size + 10_000_000:
        uniq, inv = np.unique(ids, return_inverse=True)
        return uniq, inv.reshape(-1)
    present = np.zeros(top, dtype=bool)
    present[ids] = True
    index = np.cumsum(present) - 1
    return np.flatnonzero(present), index[ids]
