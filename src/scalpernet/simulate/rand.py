"""Deterministic randomness: per-component seeds, 64-bit mixing and keyed permutations.

Every part of the world draws from its own seed derived from the world seed and a path of
names (``derive(seed, "batch", hospital, day)``), so what one hospital or one gang gets never
depends on how many numbers another part drew before it, nor on which process generated it.
Identifiers that must be unique (ID numbers, phones, accounts) come from keyed bijections
(:class:`Permutation`): two owners never share one by accident.
"""

from __future__ import annotations

import hashlib

import numpy as np

M64 = (1 << 64) - 1
_GOLDEN = 0x9E3779B97F4A7C15
_U = np.uint64


def mix64(x: int) -> int:
    """SplitMix64 finaliser: a bijection of 64-bit integers that scatters every bit."""
    x &= M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def hash64(key: int, *parts: int) -> int:
    """A 64-bit hash of integers under ``key`` (fast; for per-entity attributes)."""
    x = key
    for p in parts:
        x = mix64(x ^ ((p * _GOLDEN) & M64))
    return x


def mix64_many(x: np.ndarray) -> np.ndarray:
    """:func:`mix64` of every element of a ``uint64`` array (wrapping arithmetic)."""
    x = (x ^ (x >> _U(30))) * _U(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> _U(27))) * _U(0x94D049BB133111EB)
    return x ^ (x >> _U(31))


def hash64_many(key: int | np.ndarray, *parts: int | np.ndarray) -> np.ndarray:
    """:func:`hash64` over arrays: ``key`` and each part an int or a ``uint64`` array."""
    x = np.asarray(key, dtype=np.uint64) if isinstance(key, np.ndarray) else _U(key & M64)
    for p in parts:
        if isinstance(p, np.ndarray):
            x = mix64_many(x ^ (p.astype(np.uint64) * _U(_GOLDEN)))
        else:
            x = mix64_many(x ^ _U((p * _GOLDEN) & M64))
    return np.asarray(x, dtype=np.uint64)


def derive(seed: int, *parts: object) -> int:
    """A 64-bit seed for one component: the world seed plus a path of names and numbers."""
    text = "/".join(str(p) for p in (seed, *parts)).encode()
    return int.from_bytes(hashlib.blake2b(text, digest_size=8).digest(), "big")


def unit(x: int) -> float:
    """A 64-bit hash mapped to [0, 1)."""
    return (x >> 11) * (1.0 / (1 << 53))


def unit_many(x: np.ndarray) -> np.ndarray:
    """:func:`unit` of every element of a ``uint64`` array."""
    return (x >> _U(11)).astype(np.float64) * (1.0 / (1 << 53))


class Permutation:
    """A keyed bijection of ``range(n)``: a 4-round Feistel network with cycle walking.

    ``Permutation(n, key)(i)`` is unique for every ``i`` in ``range(n)``, so owners numbered
    from disjoint ranges never share an identifier.
    """

    __slots__ = ("_half", "_keys", "_mask", "_shift", "n")

    def __init__(self, n: int, key: int) -> None:
        if n < 2:
            raise ValueError("a permutation needs at least two elements")
        self.n = n
        self._half = (max(2, (n - 1).bit_length()) + 1) // 2
        self._mask = (1 << self._half) - 1
        self._keys = tuple(mix64(key + (r + 1) * _GOLDEN) for r in range(4))
        self._shift = 64 - self._half

    def __call__(self, i: int) -> int:
        n = self.n
        if not 0 <= i < n:
            raise ValueError(f"{i} is outside the permutation's range {n}")
        half, mask, shift = self._half, self._mask, self._shift
        k0, k1, k2, k3 = self._keys
        x = i
        while True:
            # round function: the high bits of a keyed multiplicative hash (any function
            # keeps a Feistel network a bijection; this one is cheap and mixes well enough)
            left, right = x >> half, x & mask
            left ^= (((right ^ k0) * _GOLDEN) & M64) >> shift
            right ^= (((left ^ k1) * _GOLDEN) & M64) >> shift
            left ^= (((right ^ k2) * _GOLDEN) & M64) >> shift
            right ^= (((left ^ k3) * _GOLDEN) & M64) >> shift
            x = (left << half) | right
            if x < n:
                return x

    def many(self, i: np.ndarray) -> np.ndarray:
        """The permutation of every element of an integer array (``uint64`` out)."""
        i = np.asarray(i, dtype=np.uint64)
        if i.size and int(i.max()) >= self.n:
            raise ValueError(f"values outside the permutation's range {self.n}")
        half, mask, shift = _U(self._half), _U(self._mask), _U(self._shift)
        k0, k1, k2, k3 = (_U(k) for k in self._keys)
        g = _U(_GOLDEN)
        out = np.empty_like(i)
        todo = np.arange(i.size)
        x = i.copy()
        while todo.size:  # cycle walking: the few values that land outside go round again
            left, right = x >> half, x & mask
            left ^= ((right ^ k0) * g) >> shift
            right ^= ((left ^ k1) * g) >> shift
            left ^= ((right ^ k2) * g) >> shift
            right ^= ((left ^ k3) * g) >> shift
            x = (left << half) | right
            inside = x < _U(self.n)
            out[todo[inside]] = x[inside]
            todo, x = todo[~inside], x[~inside]
        return out
