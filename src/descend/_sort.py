"""Sorting the keys of a row, compiled: hashed columns are uniform, so a bucket sort by their leading
bits, then insertion within each bucket, beats a quicksort on rows of tens of keys. Feature hashing
(:mod:`descend.text`) sorts a row's columns with it, Vowpal Wabbit's reader (:mod:`descend.readers.vw`)
its (column, rank) keys.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._compiled import njit

if TYPE_CHECKING:
    from ._typing import IntArray

__all__ = ["insertion_sort", "sort_keys"]


@njit(cache=True, inline="always")
def insertion_sort(a: IntArray, lo: int, hi: int) -> None:
    """Sort ``a[lo:hi]`` in place by insertion: the fastest on the few keys of a bucket."""
    for i in range(lo + 1, hi):
        x = a[i]
        j = i - 1
        while j >= lo and a[j] > x:
            a[j + 1] = a[j]
            j -= 1
        a[j + 1] = x


@njit(cache=True)
def sort_keys(keys: IntArray, count: int, top_bit: int, spare: IntArray, bounds: IntArray) -> None:
    """Sort ``keys[:count]`` (all below ``2**top_bit``) in place: into about count / 4 buckets by their
    leading bits, then each bucket by insertion, or by quicksort if it is long (hashes are uniform, so
    buckets hold ~4 keys, but one token repeated fills one). Twice as fast as a quicksort on rows of
    tens of keys, which is what texts give."""
    if count <= 32:
        insertion_sort(keys, 0, count)
        return
    bits = 1
    while bits < 12 and (4 << bits) < count:
        bits += 1
    shift = max(top_bit - bits, 0)
    n_buckets = 1 << bits
    bounds[: n_buckets + 1] = 0
    for i in range(count):
        bounds[(keys[i] >> shift) + 1] += 1
    for b in range(n_buckets):
        bounds[b + 1] += bounds[b]
    for i in range(count):
        b = keys[i] >> shift
        spare[bounds[b]] = keys[i]
        bounds[b] += 1
    lo = 0
    for b in range(n_buckets):
        hi = bounds[b]
        if hi - lo <= 32:
            insertion_sort(spare, lo, hi)
        else:
            spare[lo:hi].sort()
        lo = hi
    keys[:count] = spare[:count]
