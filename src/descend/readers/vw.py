"""Vowpal Wabbit's text format: one example a line, features in namespaces, hashed into CSR rows, in
memory (:func:`read_vw`) or streamed in blocks of rows from a file or standard input (:class:`VWStream`).

The format (Vowpal Wabbit's input format, its simple label)::

    label [importance [initial]] ['tag]|namespace[:scale] feature[:value] feature ... |other ...

    1 2.0 'doc17|words price:0.5 cheap cheap |site:2 example.com

- ``label``: a number (-1 and 1 for binary classification); a line without one (``|words price``, or
  ``'doc17 |words price``) is an example to predict, its label NaN. ``importance``: its weight in the
  loss, a number >= 0, 1 when absent. ``initial``, VW's initial prediction, is read and not used.
- ``'tag``: a name for the example (here ``doc17``), the last thing before the first ``|``, starting
  with an apostrophe (unlike VW, a tag without the apostrophe is read as a number: an error).
- ``|namespace``: a name written right after the bar (``| a b``: the default namespace, named
  ``""``), with an optional ``:scale`` that multiplies every value of the namespace. Vowpal Wabbit
  names a namespace in ``-q``, ``--cubic`` and ``--ignore`` by its first character (the default
  namespace's is a space, ``" "``), and so does ``interactions`` and ``ignore`` here. A ``|`` inside
  a feature starts a new namespace.
- ``feature[:value]``: a name (any bytes but spaces, tabs, ``:`` and ``|``) and a value, 1 when
  absent; the name is cut at its first ``:``. A feature with no name (``:0.5``) is anonymous, as in
  VW: its hash is the namespace's plus its rank among the namespace's anonymous features.
- Tokens are separated by spaces or tabs (a ``\\r`` before the end of a line is a space too); an
  empty line holds no example (it counts for the line numbers).

Numbers are decimal (``-1``, ``0.5``, ``.5``, ``2e-3``; not ``nan``, ``inf`` nor ``1_000``), read
exactly as Python's ``float`` reads them, correctly rounded (compiled: Clinger's exact fast path, else
the product of the digits and a 128-bit power of ten bounded from both sides, as in Eisel and
Lemire's algorithm; Python's own ``float`` for the rare number left undecided: more than 19
digits, a subnormal, a tie), and must be finite. A feature whose value (times its namespace's
scale) is 0 is left out, as VW leaves it out.

Hashing, as Vowpal Wabbit hashes (its semantics; the column is descend's, not VW's ``-b`` bits)::

    h(namespace)          = MurmurHash3_x86_32(namespace's bytes, seed 0)      (the default namespace: 0)
    h(feature)            = MurmurHash3_x86_32(feature name's bytes, seed h(namespace))
    column                = h (unsigned 32 bits) mod n_features

A feature's name is always hashed as a string (VW reads an all-digit name as a number; not here).
A repeated feature stays repeated, as in Vowpal Wabbit, which learns it as often as it appears: each
row's columns are sorted, and a feature that occurs twice (or two that collide) is two entries of its
column, side by side. A matrix product adds them up, as does every step of the linear models but the
normalized update (Vowpal Wabbit's), which takes a row's entries as they are and so learns as Vowpal
Wabbit does: on the text of ``benchmarks/online_cases.py`` its progressive log loss is 0.5052 where
Vowpal Wabbit's is 0.5053, and 0.5260 with each word's count as one entry. ``X.sum_duplicates()`` gives
the counts. No constant feature is added: the models fit their own intercept.

``ngram=N`` (``--ngram N``) adds, within each ``|namespace`` section of a line, the n-grams of
n = 2..N consecutive features (their values left aside: an n-gram's value is 1), hashed by folding the
features' hashes with Vowpal Wabbit's interaction combination::

    combine(h1, h2) = (h1 * 16777619) XOR h2   (uint32; 16777619 the 32-bit FNV prime)
    h(f1 f2 ... fn) = combine(... combine(combine(h(f1), h(f2)), h(f3)) ..., h(fn))

``interactions=("ab", "abc")`` (``-q ab``, ``--cubic abc``) crosses the features of every namespace
whose first character is ``a`` with those of every namespace whose first character is ``b`` (and
``c``): the pair (f, g) is the feature ``combine(h(f), h(g))`` of value ``v(f) * v(g)``, the triple
``combine(combine(h(f), h(g)), h(k))`` of value ``v(f) * v(g) * v(k)``; n-gram features take part.
When a letter repeats (``"aa"``, ``"aab"``), its features are taken as combinations, not
permutations: each set of distinct features once (i < j), never a feature with itself. (Vowpal
Wabbit keeps the self-pairs, i <= j; descend leaves them out: for a binary feature its square is
itself.) The crossed features are added to the row; the original ones stay. ``ignore=("b",)``
(``--ignore b``) drops every namespace whose first character is ``b``, from the features and the
interactions alike. Interaction and ignore characters are ASCII: a namespace is known by its first
byte.

How it runs: one compiled pass (Numba) over the bytes of a block of lines finds each line's label,
importance, tag, namespaces and features, reads the numbers, hashes the names, adds the n-grams and
interactions, sorts and sums each row, and writes the CSR arrays; no Python runs per line or per
feature. A line it cannot read is named: ``clicks.vw, line 7: the label 'abc' is not a number``
(or skipped and counted, with ``skip_bad=True``).

Examples
--------
>>> from descend.readers.vw import VWFormat
>>> form = VWFormat(n_features=2**10)
>>> block = form.parse(b"1 2.0 'first|words price:0.5 cheap cheap\\n\\n-1 |words dear\\n", tags=True)
>>> block.X.shape, block.y, block.weights, block.tags, block.lines
((2, 1024), array([ 1., -1.]), array([2., 1.]), ['first', None], array([1, 3]))
>>> block.X[0].data  # price, then cheap twice (their columns in increasing order): a repeat stays
array([0.5, 1. , 1. ])
"""

from __future__ import annotations

import io
import math
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from .._checks import check_integer, check_positive
from .._compiled import njit
from .._sort import sort_keys
from ..exceptions import DataError
from ..murmurhash import murmurhash3_32_seeded

if TYPE_CHECKING:
    from collections.abc import Callable, Collection
    from typing import Any, BinaryIO, TypeAlias

    from .._typing import FloatArray, Matrix, NDArray

    # The compiled pass's arrays: the bytes read; 10**q as (128-bit mantissa's high and low 64 bits, its power
    # of two, whether exact) and the powers of ten exact in a float; the numbers left to Python's float
    # ((start, stop) of each) and the pass's state; a line's features (hashes, values, namespaces' first
    # bytes); the sort's (keys, values, bucket bounds, spare keys).
    _Bytes: TypeAlias = NDArray[np.uint8]
    _Powers: TypeAlias = tuple[NDArray[np.uint64], NDArray[np.uint64], NDArray[np.int64], NDArray[np.bool_]]
    _Numbers: TypeAlias = tuple[_Powers, NDArray[np.float64]]
    _Slow: TypeAlias = tuple[NDArray[np.int64], NDArray[np.int64]]
    _Features: TypeAlias = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64]]
    _Members: TypeAlias = tuple[NDArray[np.int64], NDArray[np.int64], NDArray[np.int64]]
    _Scratch: TypeAlias = tuple[NDArray[np.int64], NDArray[np.float64], NDArray[np.int64], NDArray[np.int64]]
    _Tables: TypeAlias = tuple[NDArray[np.uint8], NDArray[np.int64], _Numbers]
    # An integer of the compiled pass: Python's, or NumPy's (the settings are np.int64).
    _Int: TypeAlias = int | np.integer[Any]

__all__ = ["VWFormat", "VWBlock", "read_vw", "VWStream"]

#: The most columns: scipy's indices are 32-bit signed integers.
MAX_FEATURES = 2**31 - 1
#: Bytes read from a stream at a time.
READ_BYTES = 1 << 20

_MASK32 = 0xFFFFFFFF
_FNV_PRIME = 16777619
_BAR, _COLON, _QUOTE = 124, 58, 39
# What a status code says is wrong: status = 4 * what + kind.
_LABEL, _IMPORTANCE, _INITIAL, _SCALE, _VALUE, _TOO_MANY, _TAG_NOT_LAST, _NO_BAR = 1, 2, 3, 4, 5, 6, 7, 8
# kind: how a number is wrong; _SLOW: well written, its value left to Python's float.
_OK, _NOT_A_NUMBER, _NOT_FINITE, _NEGATIVE, _SLOW = 0, 1, 2, 3, 4
_PAD = 8  # zero bytes after a block: the hash reads up to 3 bytes past a name
# The compiled pass's state, carried over calls, and why it returns.
_POS, _LINE, _ROWS, _NNZ, _BAD, _LISTED, _USED, _NEED = range(8)
_DONE, _FULL_ROWS, _FULL_ENTRIES, _FULL_BAD, _FULL_SLOW = range(5)


# ---------------------------------------------------------------------------------------------
# Numbers: exactly as Python's float, compiled (Clinger's fast path, else two bounds of 192 bits)
# ---------------------------------------------------------------------------------------------

_MIN_EXP10, _MAX_EXP10 = -348, 347


def _powers_of_ten() -> _Powers:
    """10**q for q from -348 to 347 as T * 2**(e - 127), T the 128-bit mantissa rounded down:
    (T's high 64 bits, T's low 64 bits, e, whether T is exact)."""
    high, low, exponents, exact = [], [], [], []
    for q in range(_MIN_EXP10, _MAX_EXP10 + 1):
        if q >= 0:
            value = 10**q
            bits = value.bit_length()
            mantissa = value >> (bits - 128) if bits > 128 else value << (128 - bits)
            exponents.append(bits - 1)
            exact.append(mantissa >> (128 - bits) == value if bits <= 128 else mantissa << (bits - 128) == value)
        else:
            divisor = 10**-q
            mantissa = (1 << (127 + divisor.bit_length())) // divisor
            exponents.append(-divisor.bit_length())
            exact.append(False)
        high.append(mantissa >> 64)
        low.append(mantissa & (2**64 - 1))
    return (
        np.array(high, np.uint64),
        np.array(low, np.uint64),
        np.array(exponents, np.int64),
        np.array(exact, np.bool_),
    )


_POWERS = _powers_of_ten()
_EXACT_POWERS = np.array([10.0**k for k in range(23)])


@njit(cache=True, inline="always")
def _mul_64(a: np.uint64, b: np.uint64) -> tuple[np.uint64, np.uint64]:
    """(high, low) 64-bit halves of the 128-bit product of the uint64 ``a`` and ``b``."""
    m32, s32 = np.uint64(0xFFFFFFFF), np.uint64(32)
    a0, a1, b0, b1 = a & m32, a >> s32, b & m32, b >> s32
    w0 = a0 * b0
    t = a1 * b0 + (w0 >> s32)
    w1 = (t & m32) + a0 * b1
    return a1 * b1 + (t >> s32) + (w1 >> s32), a * b


@njit(cache=True, inline="always")
def _rounded(w2: np.uint64, w1: np.uint64, w0: np.uint64) -> tuple[np.uint64, np.int64]:
    """The 192-bit number w2:w1:w0 (its top bit the 191st or the 190th) rounded to 53 bits, to
    nearest, ties to even: (mantissa, its power of two relative to the 139th bit)."""
    one = np.uint64(1)
    msb = w2 >> np.uint64(63)
    shift = np.uint64(9) + msb
    kept = w2 >> shift  # 54 bits: the mantissa and the half bit
    sticky = (w2 & ((one << shift) - one)) != 0 or w1 != 0 or w0 != 0
    mantissa = kept >> one
    if (kept & one) and (sticky or (mantissa & one)):
        mantissa += one
    power = np.int64(msb) - 1
    if mantissa >> np.uint64(53):
        mantissa = mantissa >> one
        power += 1
    return mantissa, power


@njit(cache=True)
def _scaled(mantissa: np.uint64, exp10: int, negative: bool, powers: _Powers) -> tuple[float, bool]:
    """(value, True) of ``mantissa * 10**exp10`` correctly rounded (a uint64 ``mantissa`` > 0), or
    (0, False) when undecided or not a normal float. The product of the mantissa and 10**q's
    128-bit mantissa rounded down, and of it rounded up, bound the exact product; when both round
    to the same float, so does the exact one (rounding is monotone). They differ only near a tie
    between two floats (the idea of Clinger's AlgorithmR and of Lemire's "Number parsing at a
    gigabyte per second", 2021)."""
    if exp10 < _MIN_EXP10 or exp10 > _MAX_EXP10:
        return 0.0, False
    powers_high, powers_low, powers_exp, powers_exact = powers
    zero, one = np.uint64(0), np.uint64(1)
    man = mantissa
    clz = 0
    for shift in (32, 16, 8, 4, 2, 1):
        if man >> np.uint64(64 - shift) == zero:
            man = man << np.uint64(shift)
            clz += shift
    k = exp10 - _MIN_EXP10
    a_high, a_low = _mul_64(man, powers_high[k])
    b_high, b_low = _mul_64(man, powers_low[k])
    w0, w1 = b_low, a_low + b_high
    w2 = a_high + (one if w1 < a_low else zero)
    low, power = _rounded(w2, w1, w0)
    if not powers_exact[k]:  # the bound from above: the mantissa of 10**q plus 1, times man
        u0 = w0 + man
        u1 = w1 + (one if u0 < w0 else zero)
        u2 = w2 + (one if u1 < w1 else zero)
        high, high_power = _rounded(u2, u1, u0)
        if high != low or high_power != power:
            return 0.0, False
    # value = mantissa * 2**(139 + power) * 2**(powers_exp - 127 - clz) (the kept bits start at 139)
    exp2 = power + 12 + powers_exp[k] - clz
    if exp2 < -1074 or exp2 > 971:
        return 0.0, False
    value = math.ldexp(np.float64(low), exp2)
    return (-value if negative else value), True


@njit(cache=True)
def _number(
    data: _Bytes, start: int, stop: int, powers: _Powers, exact_powers: NDArray[np.float64]
) -> tuple[float, int]:
    """(value, kind) of the decimal number ``data[start:stop]``: kind _OK, _NOT_A_NUMBER, or _SLOW
    (well written, but its exact value is left to Python's float)."""
    i = start
    negative = False
    if i < stop and (data[i] == 43 or data[i] == 45):  # + -
        negative = data[i] == 45
        i += 1
    mantissa = np.uint64(0)
    digits = 0  # significant digits in the mantissa
    any_digit = False
    exp10 = 0
    truncated = False
    while i < stop and 48 <= data[i] <= 57:
        any_digit = True
        if digits < 19:
            if mantissa > 0 or data[i] != 48:
                mantissa = mantissa * np.uint64(10) + np.uint64(data[i] - 48)
                digits += 1
        else:
            exp10 += 1
            truncated = truncated or data[i] != 48
        i += 1
    if i < stop and data[i] == 46:  # .
        i += 1
        while i < stop and 48 <= data[i] <= 57:
            any_digit = True
            if digits < 19:
                if mantissa > 0 or data[i] != 48:
                    mantissa = mantissa * np.uint64(10) + np.uint64(data[i] - 48)
                    digits += 1
                exp10 -= 1
            else:
                truncated = truncated or data[i] != 48
            i += 1
    if not any_digit:
        return 0.0, _NOT_A_NUMBER
    if i < stop and (data[i] == 101 or data[i] == 69):  # e E
        i += 1
        exp_negative = False
        if i < stop and (data[i] == 43 or data[i] == 45):
            exp_negative = data[i] == 45
            i += 1
        if i >= stop or not 48 <= data[i] <= 57:
            return 0.0, _NOT_A_NUMBER
        written = 0
        while i < stop and 48 <= data[i] <= 57:
            if written < 100_000:
                written = written * 10 + (data[i] - 48)
            i += 1
        exp10 += -written if exp_negative else written
    if i != stop:
        return 0.0, _NOT_A_NUMBER
    if truncated:
        return 0.0, _SLOW
    if mantissa == 0:
        return (-0.0 if negative else 0.0), _OK
    if mantissa < np.uint64(1 << 53) and -22 <= exp10 <= 22:  # both exact: one rounding (Clinger)
        value = np.float64(mantissa)
        value = value * exact_powers[exp10] if exp10 >= 0 else value / exact_powers[-exp10]
        return (-value if negative else value), _OK
    value, decided = _scaled(mantissa, exp10, negative, powers)
    return value, (_OK if decided else _SLOW)


# ---------------------------------------------------------------------------------------------
# The compiled pass over a block of lines
# ---------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _is_space(b: int) -> bool:
    return b == 32 or b == 9 or b == 13


@njit(cache=True)
def _read_number(
    data: _Bytes, start: int, stop: int, numbers: _Numbers, exact: NDArray[np.float64], slow: _Slow
) -> tuple[float, int]:
    """(value, kind) of a number of the block: a _SLOW one takes the next of ``exact`` (Python's
    float of it, from an earlier pass) when there is one, else is listed in ``slow`` = (spans,
    state) if there is room (and counted anyway: state[_LISTED]), and read as 1 for now (the pass
    is then run again)."""
    powers, exact_powers = numbers
    value, kind = _number(data, start, stop, powers, exact_powers)
    if kind == _SLOW:
        spans, state = slow
        used = state[_USED]
        state[_USED] += 1
        if used < exact.size:
            value, kind = exact[used], _OK
        else:
            listed = state[_LISTED]
            if listed < spans.shape[0]:
                spans[listed, 0] = start
                spans[listed, 1] = stop
            state[_LISTED] += 1
            return 1.0, _OK
    if kind == _OK and not np.isfinite(value):
        return value, _NOT_FINITE
    return value, kind


@njit(cache=True)
def _label_section(
    data: _Bytes, i: int, end: int, numbers: _Numbers, exact: NDArray[np.float64], slow: _Slow
) -> tuple[int, float, float, int, int, int, int, int]:
    """Read a line's label section from ``i``: (position of the first '|', label, importance, tag
    start, tag stop, status, bad start, bad stop)."""
    n_numbers = 0
    spans = (-1, -1, -1, -1, -1, -1)  # the numbers' (start, stop)
    tag_start, tag_stop = -1, -1
    first = -1
    while True:
        while i < end and _is_space(data[i]):
            i += 1
        if i >= end:
            return i, np.nan, 1.0, -1, -1, 4 * _NO_BAR, first, end
        if data[i] == _BAR:
            break
        start = i
        while i < end and not _is_space(data[i]) and data[i] != _BAR:
            i += 1
        if first < 0:
            first = start
        if tag_start >= 0:
            return i, np.nan, 1.0, -1, -1, 4 * _TAG_NOT_LAST, tag_start - 1, tag_stop
        if data[start] == _QUOTE:
            tag_start, tag_stop = start + 1, i
            continue
        if n_numbers == 3:
            return i, np.nan, 1.0, -1, -1, 4 * _TOO_MANY, first, i
        if n_numbers == 0:
            spans = (start, i, -1, -1, -1, -1)
        elif n_numbers == 1:
            spans = (spans[0], spans[1], start, i, -1, -1)
        else:
            spans = (spans[0], spans[1], spans[2], spans[3], start, i)
        n_numbers += 1
    label, weight = np.nan, 1.0
    for k in range(n_numbers):
        start, stop = (spans[0], spans[1]) if k == 0 else ((spans[2], spans[3]) if k == 1 else (spans[4], spans[5]))
        value, kind = _read_number(data, start, stop, numbers, exact, slow)
        if kind == _OK and k == 1 and value < 0:
            kind = _NEGATIVE
        if kind != _OK:
            return i, np.nan, 1.0, -1, -1, 4 * (_LABEL + k) + kind, start, stop
        if k == 0:
            label = value
        elif k == 1:
            weight = value
    return i, label, weight, tag_start, tag_stop, 0, -1, -1


@njit(cache=True)
def _ngrams(features: _Features, start: int, stop: int, count: int, ngram: _Int, group: int) -> int:
    """Add the n-grams (n = 2..ngram) of the features ``start:stop`` after ``count``; the new count."""
    hashes, values, groups = features
    for n in range(2, ngram + 1):
        for t in range(start, stop - n + 1):
            h = hashes[t]
            for k in range(1, n):
                h = ((h * _FNV_PRIME) & _MASK32) ^ hashes[t + k]
            hashes[count] = h
            values[count] = 1.0
            groups[count] = group
            count += 1
    return count


@njit(cache=True)
def _namespaces(
    data: _Bytes,
    i: int,
    end: int,
    features: _Features,
    ngram: _Int,
    ignore: NDArray[np.uint8],
    numbers: _Numbers,
    exact: NDArray[np.float64],
    slow: _Slow,
) -> tuple[int, int, int, int]:
    """Read a line's namespaces from its first '|' at ``i`` into ``features`` = (hashes, values,
    first bytes of their namespaces): (count, status, bad start, bad stop)."""
    hashes, values, groups = features
    count = 0
    while i < end:  # data[i] is a '|'
        i += 1
        start = i
        colon = -1
        while i < end and not _is_space(data[i]) and data[i] != _BAR:
            if data[i] == _COLON and colon < 0:
                colon = i
            i += 1
        name_stop = colon if colon >= 0 else i
        scale = 1.0
        if colon >= 0:
            scale, kind = _read_number(data, colon + 1, i, numbers, exact, slow)
            if kind != _OK:
                return count, 4 * _SCALE + kind, start, i
        group = data[start] if name_stop > start else 32
        seed = murmurhash3_32_seeded(data, start, name_stop, 0) & _MASK32
        ignored = ignore[group]
        section, anonymous = count, 0
        while True:
            while i < end and _is_space(data[i]):
                i += 1
            if i >= end or data[i] == _BAR:
                break
            start = i
            colon = -1
            while i < end and not _is_space(data[i]) and data[i] != _BAR:
                if data[i] == _COLON and colon < 0:
                    colon = i
                i += 1
            value, h = 1.0, 0
            if colon >= 0:
                value, kind = _read_number(data, colon + 1, i, numbers, exact, slow)
                if kind != _OK:
                    return count, 4 * _VALUE + kind, start, i
            name_stop = colon if colon >= 0 else i
            if name_stop == start:
                h = (seed + anonymous) & _MASK32
                anonymous += 1
            elif not ignored:
                h = murmurhash3_32_seeded(data, start, name_stop, seed) & _MASK32
            value *= scale
            if not np.isfinite(value):
                return count, 4 * _VALUE + _NOT_FINITE, start, i
            if ignored or value == 0.0:
                continue
            hashes[count] = h
            values[count] = value
            groups[count] = group
            count += 1
        if ngram > 1 and not ignored:
            count = _ngrams(features, section, count, count, ngram, group)
    return count, 0, -1, -1


@njit(cache=True)
def _members(groups: NDArray[np.int64], count: int, letter: int, members: NDArray[np.int64]) -> int:
    """The positions of the features of namespace letter ``letter`` into ``members``; how many."""
    n = 0
    for k in range(count):
        if groups[k] == letter:
            members[n] = k
            n += 1
    return n


@njit(cache=True)
def _interactions(
    features: _Features,
    count: int,
    terms: NDArray[np.int64],
    members: _Members,
    columns: tuple[_Int, _Int],
    out: tuple[NDArray[np.int32], NDArray[np.float64]],
    nnz: int,
) -> int:
    """Write the crossed features of the terms (rows of first bytes, -1 for none) from ``nnz`` into
    ``out`` = (indices, values), which has room; the new end. ``columns`` = (n_features, mask)."""
    hashes, values, groups = features
    indices, entries = out
    n_features, mask = columns
    first, second, third = members
    for t in range(terms.shape[0]):
        a, b, c = terms[t, 0], terms[t, 1], terms[t, 2]
        na = _members(groups, count, a, first)
        nb = _members(groups, count, b, second)
        nc = _members(groups, count, c, third) if c >= 0 else 0
        for p in range(na):
            fa = first[p]
            ha, va = (hashes[fa] * _FNV_PRIME) & _MASK32, values[fa]
            for q in range(p + 1 if b == a else 0, nb):
                fb = second[q]
                h, v = ha ^ hashes[fb], va * values[fb]
                if c < 0:
                    indices[nnz] = _column(h, n_features, mask)
                    entries[nnz] = v
                    nnz += 1
                    continue
                h = (h * _FNV_PRIME) & _MASK32
                for r in range(q + 1 if c == b else (p + 1 if c == a else 0), nc):
                    fc = third[r]
                    indices[nnz] = _column(h ^ hashes[fc], n_features, mask)
                    entries[nnz] = v * values[fc]
                    nnz += 1
    return nnz


@njit(cache=True)
def _interaction_count(
    groups: NDArray[np.int64], count: int, terms: NDArray[np.int64], members: NDArray[np.int64]
) -> int:
    """A bound on the number of crossed features of a line."""
    total = 0
    for t in range(terms.shape[0]):
        product = 1
        for k in range(3):
            if terms[t, k] >= 0:
                product *= _members(groups, count, terms[t, k], members)
        total += product
    return total


@njit(cache=True, inline="always")
def _column(h: int, n_features: _Int, mask: _Int) -> _Int:
    """The column of the 32-bit hash ``h``: h mod n_features (a mask when n_features is a power of 2)."""
    return h & mask if mask >= 0 else h % n_features


@njit(cache=True, inline="always")
def _insertion_sort(indices: NDArray[np.int32], values: NDArray[np.float64], lo: int, hi: int) -> None:
    for i in range(lo + 1, hi):
        index, value = indices[i], values[i]
        j = i - 1
        while j >= lo and indices[j] > index:
            indices[j + 1] = indices[j]
            values[j + 1] = values[j]
            j -= 1
        indices[j + 1] = index
        values[j + 1] = value


@njit(cache=True)
def _sort_row(
    indices: NDArray[np.int32], values: NDArray[np.float64], lo: int, hi: int, scratch: _Scratch, top_bit: int
) -> int:
    """Sort the entries ``lo:hi`` by column, stably (equal columns keep their order, side by side: a
    repeated feature stays repeated); the row's end. A long row goes through keys ``column << 32 | rank``,
    sorted by :func:`descend._sort.sort_keys` (buckets by their leading bits, insertion within): 3 times
    faster than insertion on 40 entries."""
    n = hi - lo
    if n <= 16:
        _insertion_sort(indices, values, lo, hi)
        return hi
    keys, spare, bounds, spare_keys = scratch
    for k in range(n):
        keys[k] = (np.int64(indices[lo + k]) << 32) | k
        spare[k] = values[lo + k]
    sort_keys(keys, n, top_bit + 32, spare_keys, bounds)
    for k in range(n):
        indices[lo + k] = keys[k] >> 32
        values[lo + k] = spare[keys[k] & _MASK32]
    return hi


@njit(cache=True)
def _scratch(size: _Int) -> tuple[_Features, _Members, _Scratch]:
    """The arrays of a line of ``size`` features at most: its features (hashes, values, namespaces'
    first bytes), the features of each namespace letter of an interaction (3), and the sort's (keys,
    values, bucket bounds, spare keys)."""
    features = (np.empty(size, np.int64), np.empty(size, np.float64), np.empty(size, np.int64))
    members = (np.empty(size, np.int64), np.empty(size, np.int64), np.empty(size, np.int64))
    return (
        features,
        members,
        (np.empty(size, np.int64), np.empty(size, np.float64), np.empty(4097, np.int64), np.empty(size, np.int64)),
    )


@njit(cache=True, nogil=True)
def _parse_lines(
    data: _Bytes,
    stop: int,
    max_rows: int,
    stop_at_bad: bool,
    settings: tuple[np.int64, np.int64],
    tables: _Tables,
    exact: NDArray[np.float64],
    out: tuple[NDArray[Any], ...],
    state: NDArray[np.int64],
) -> int:
    """Read the lines of ``data[state[_POS]:stop]`` (the last may lack its '\\n') into ``out`` until
    ``max_rows`` rows are written (or, if ``stop_at_bad``, a bad line is read), or an array of
    ``out`` is full: the reason (_DONE, or which is full: _FULL_ROWS, _FULL_ENTRIES, _FULL_BAD,
    _FULL_SLOW; state[_NEED] the entries a line needs). ``state`` = (position, lines read, rows,
    entries, bad lines, numbers left to Python, numbers read from ``exact``, need) carries the pass
    over calls: Python grows the full array and calls again.

    ``settings`` = (n_features, ngram); ``tables`` = (ignored first bytes (256), interaction terms
    (rows of 3 first bytes, -1 for none), the powers of ten); ``exact`` = Python's values of the
    numbers an earlier pass left to it; ``out`` = (indptr, indices, values, labels, weights, line
    of each row, tag (start, stop) of each row, bad lines (line, status, start, stop), numbers left
    to Python (start, stop)). Lines are counted from 0."""
    n_features, ngram = settings
    ignore, terms, numbers = tables
    indptr, indices, values, labels, weights, lines, tags, bad, spans = out
    slow = (spans, state)
    features, members, scratch = _scratch(64 * ngram)
    mask = n_features - 1 if n_features & (n_features - 1) == 0 else -1
    top_bit = 0
    while (1 << top_bit) < n_features:
        top_bit += 1
    pos, line, rows, nnz = state[_POS], state[_LINE], state[_ROWS], state[_NNZ]
    reason = _DONE
    while pos < stop and rows < max_rows:
        end = pos
        while end < stop and data[end] != 10:
            end += 1
        i = pos
        while i < end and _is_space(data[i]):
            i += 1
        if i >= end:
            pos, line = end + 1, line + 1
            continue
        need = ((end - i) // 2 + 2) * ngram  # a feature is a byte and a space at least; its n-grams
        if need > features[0].size:
            features, members, scratch = _scratch(need)
        listed, used = state[_LISTED], state[_USED]
        i, label, weight, tag_start, tag_stop, status, bad_start, bad_stop = _label_section(
            data, i, end, numbers, exact, slow
        )
        count = 0
        if status == 0:
            count, status, bad_start, bad_stop = _namespaces(
                data, i, end, features, ngram, ignore, numbers, exact, slow
            )
        extra = _interaction_count(features[2], count, terms, members[0]) if status == 0 and terms.shape[0] else 0
        if state[_LISTED] > spans.shape[0]:
            reason = _FULL_SLOW
        elif status != 0 and state[_BAD] == bad.shape[0]:
            reason = _FULL_BAD
        elif status == 0 and rows == labels.size:
            reason = _FULL_ROWS
        elif status == 0 and nnz + count + extra > indices.size:
            reason, state[_NEED] = _FULL_ENTRIES, nnz + count + extra
        if reason != _DONE:  # the line is read again once Python has made room
            state[_LISTED], state[_USED] = listed, used
            break
        pos, line = end + 1, line + 1
        if status != 0:
            n_bad = state[_BAD]
            bad[n_bad, 0], bad[n_bad, 1], bad[n_bad, 2], bad[n_bad, 3] = line - 1, status, bad_start, bad_stop
            state[_BAD] += 1
            if stop_at_bad:
                break
            continue
        hashes, feature_values, _ = features
        row_start = nnz
        for k in range(count):
            indices[nnz] = _column(hashes[k], n_features, mask)
            values[nnz] = feature_values[k]
            nnz += 1
        if extra:
            nnz = _interactions(features, count, terms, members, (n_features, mask), (indices, values), nnz)
        if nnz - row_start > scratch[0].size:
            scratch = (
                np.empty(nnz - row_start, np.int64),
                np.empty(nnz - row_start, np.float64),
                scratch[2],
                np.empty(nnz - row_start, np.int64),
            )
        nnz = _sort_row(indices, values, row_start, nnz, scratch, top_bit)
        labels[rows], weights[rows], lines[rows] = label, weight, line - 1
        tags[rows, 0], tags[rows, 1] = tag_start, tag_stop
        rows += 1
        indptr[rows] = nnz
    state[_POS], state[_LINE], state[_ROWS], state[_NNZ] = min(pos, stop), line, rows, nnz
    return reason


# ---------------------------------------------------------------------------------------------
# Python: the settings, a block of lines to rows, files and streams
# ---------------------------------------------------------------------------------------------

_WHAT = {
    _LABEL: "the label {token!r}",
    _IMPORTANCE: "the importance {token!r}",
    _INITIAL: "the initial prediction {token!r} (the third value before the first '|')",
}
_KINDS = {_NOT_A_NUMBER: "is not a number", _NOT_FINITE: "is not finite", _NEGATIVE: "is negative"}


def _problem(status: int, token: str) -> str:
    """What a line's status code says is wrong, naming its ``token``."""
    what, kind = divmod(int(status), 4)
    if what in _WHAT:
        return f"{_WHAT[what].format(token=token)} {_KINDS[kind]}"
    if what == _SCALE:
        return f"namespace {token!r} has a scale that {_KINDS[kind]}"
    if what == _VALUE:
        return f"feature {token!r} has a value that {_KINDS[kind]}"
    if what == _TOO_MANY:
        return (
            f"more than three values before the first '|' ({token!r}): a line is "
            "label [importance [initial]] ['tag] |namespace features"
        )
    if what == _TAG_NOT_LAST:
        return f"the tag {token!r} must come last before the first '|'"
    return "no '|': an example needs a namespace, as in '1 |words hello'"


def _characters(name: str, values: object, lengths: Collection[int]) -> tuple[str, ...]:
    """``values`` checked: a tuple of strings of ASCII characters, of the ``lengths`` allowed."""
    if isinstance(values, str):
        values = (values,)
    if not isinstance(values, (tuple, list)):
        raise TypeError(f"{name} must be a tuple of strings, got {type(values).__name__}: {values!r}")
    for value in values:
        if not isinstance(value, str):
            raise TypeError(f"{name} must hold strings, got {type(value).__name__}: {value!r}")
        if len(value) not in lengths or not value.isascii():
            size = " or ".join(map(str, lengths)) if len(lengths) < 3 else "1 or more"
            raise ValueError(
                f"{name} must hold strings of {size} ASCII characters (namespaces' first characters), got {value!r}"
            )
    return tuple(values)


class VWBlock(NamedTuple):
    """A block of examples read from Vowpal Wabbit's format: one row a line that holds an example.

    Parameters
    ----------
    X : scipy.sparse.csr_matrix of shape (rows, n_features)
        The hashed features, float64, columns sorted within a row (a repeated feature repeated).
    y : ndarray
        The labels, float64, NaN where a line has none.
    weights : ndarray
        The importance weights, float64 (1 where a line gives none).
    tags : list of (str or None), or None
        Each row's tag, when asked for, else None.
    lines : ndarray
        The 1-based line number of each row, int64.
    skipped : int
        Bad lines skipped (with ``skip_bad=True``).

    Examples
    --------
    >>> from descend.readers.vw import VWFormat
    >>> block = VWFormat(n_features=16).parse(b"0.5 |a x\\n|a y\\n", first_line=10)
    >>> block.y, block.lines, block.skipped
    (array([0.5, nan]), array([10, 11]), 0)
    """

    X: Matrix
    y: NDArray[np.float64]
    weights: NDArray[np.float64]
    tags: list[str | None] | None
    lines: NDArray[np.int64]
    skipped: int


@dataclass(frozen=True)
class VWFormat:
    """How a model reads Vowpal Wabbit's format: the columns, the interactions, the n-grams and the
    namespaces left out. It travels in a model file as the preprocessing (``to_dict``,
    ``from_dict``). See the module's docstring for the format and the hashing.

    Parameters
    ----------
    n_features : int
        The number of columns the features are hashed into, 1 to 2**31 - 1 (VW's ``-b 18`` is
        ``2**18``).
    interactions : tuple of str
        Namespaces crossed, by their first characters: ``"ab"`` as VW's ``-q ab``, ``"abc"`` as
        ``--cubic abc``. A single string is one interaction.
    ngram : int
        n-grams of 1 to ``ngram`` consecutive features within each namespace (VW's ``--ngram``);
        1, none.
    ignore : tuple of str
        Namespaces left out, by their first characters (``("b",)`` as ``--ignore b``; each
        character of each string counts).

    Raises
    ------
    ValueError
        For ``n_features`` or ``ngram`` not an integer in range, or interactions or ignore
        characters that are not 2 or 3 (1 or more) ASCII characters.
    TypeError
        For interactions or ignore that are not strings.

    Examples
    --------
    >>> from descend.readers.vw import VWFormat
    >>> form = VWFormat(n_features=2**18, interactions=("ab",))
    >>> form.to_dict()
    {'kind': 'vw', 'n_features': 262144, 'interactions': ['ab'], 'ngram': 1, 'ignore': []}
    >>> VWFormat.from_dict(form.to_dict()) == form
    True
    >>> VWFormat(interactions=("abcd",))
    Traceback (most recent call last):
    ...
    ValueError: interactions must hold strings of 2 or 3 ASCII characters (namespaces' first characters), got 'abcd'
    """

    n_features: int = 2**20
    interactions: tuple[str, ...] = ()
    ngram: int = 1
    ignore: tuple[str, ...] = ()

    kind = "vw"
    sparse = True
    ids = ()  # no column names the rows
    output_names = ()  # nor the features

    def __post_init__(self) -> None:
        n_features = check_integer("n_features", self.n_features, low=1)
        if n_features > MAX_FEATURES:
            raise ValueError(f"n_features must be at most 2**31 - 1 = {MAX_FEATURES}, got {n_features}")
        object.__setattr__(self, "n_features", n_features)
        object.__setattr__(self, "interactions", _characters("interactions", self.interactions, (2, 3)))
        object.__setattr__(self, "ngram", check_integer("ngram", self.ngram, low=1))
        object.__setattr__(self, "ignore", _characters("ignore", self.ignore, range(1, 257)))

    @property
    def n_outputs(self) -> int:
        """The number of columns, ``n_features``."""
        return self.n_features

    def to_dict(self) -> dict[str, Any]:
        """The settings as plain values (JSON's), with ``kind``: ``"vw"``.

        Returns
        -------
        dict
            ``kind``, ``n_features``, ``interactions``, ``ngram``, ``ignore`` (lists of strings).
        """
        return {
            "kind": self.kind,
            "n_features": int(self.n_features),
            "interactions": list(self.interactions),
            "ngram": int(self.ngram),
            "ignore": list(self.ignore),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> VWFormat:
        """The format ``to_dict`` wrote.

        Parameters
        ----------
        data : dict
            ``to_dict``'s values (``kind`` is not read).

        Returns
        -------
        VWFormat
            The same settings.
        """
        return cls(
            int(data["n_features"]),
            tuple(data.get("interactions", ())),
            int(data.get("ngram", 1)),
            tuple(data.get("ignore", ())),
        )

    @property
    def _compiled(self) -> tuple[tuple[np.int64, np.int64], _Tables]:
        """The compiled pass's (settings, tables)."""
        ignore = np.zeros(256, np.uint8)
        for text in self.ignore:
            ignore[list(text.encode())] = 1
        terms = np.full((len(self.interactions), 3), -1, np.int64)
        for k, term in enumerate(self.interactions):
            terms[k, : len(term)] = list(term.encode())
        return (np.int64(self.n_features), np.int64(self.ngram)), (ignore, terms, (_POWERS, _EXACT_POWERS))

    def parse(
        self,
        data: bytes | bytearray | memoryview,
        *,
        first_line: int = 1,
        where: str = "<stdin>",
        skip_bad: bool = False,
        tags: bool = False,
    ) -> VWBlock:
        """The examples of whole lines of text, hashed.

        Parameters
        ----------
        data : bytes, bytearray or memoryview
            Lines separated by ``\\n`` (the last may lack it); UTF-8 or any bytes (names are hashed
            as bytes).
        first_line : int
            The number of the first line, for the messages and ``lines``.
        where : str
            What the messages call the data (a file's name).
        skip_bad : bool
            Skip and count the lines that cannot be read, instead of raising.
        tags : bool
            Collect the tags (``VWBlock.tags``), else leave them None.

        Returns
        -------
        VWBlock
            The rows, labels, importance weights, tags, line numbers and lines skipped.

        Raises
        ------
        descend.readers.tables.DataError
            For a line that cannot be read (unless ``skip_bad``), naming it:
            ``clicks.vw, line 7: the label 'abc' is not a number``.

        Examples
        --------
        >>> from descend.readers.vw import VWFormat
        >>> VWFormat(n_features=8).parse(b"1 |a x\\nabc |a y\\n", where="clicks.vw")
        Traceback (most recent call last):
        ...
        descend.exceptions.DataError: clicks.vw, line 2: the label 'abc' is not a number
        >>> VWFormat(n_features=8).parse(b"1 |a x\\nabc |a y\\n", skip_bad=True).skipped
        1
        """
        array = np.zeros(len(data) + _PAD, np.uint8)
        array[: len(data)] = np.frombuffer(data, np.uint8)
        block, _, _ = _parse_array(self, array, 0, len(data), first_line, where, skip_bad, tags, len(data) + 1)
        return block

    def read(self, path: str | os.PathLike[str]) -> tuple[Matrix, FloatArray]:
        """(X, labels) of a file, read as the training file was.

        Parameters
        ----------
        path : str or path-like
            A file in Vowpal Wabbit's format.

        Returns
        -------
        X : scipy.sparse.csr_matrix of shape (rows, n_features)
            The hashed features.
        y : ndarray
            The labels, floats (NaN where a line has none).

        Raises
        ------
        descend.readers.tables.DataError
            For a missing or empty file, or a line that cannot be read, naming it.

        Examples
        --------
        >>> import os, tempfile
        >>> folder = tempfile.mkdtemp()
        >>> path = os.path.join(folder, "small.vw")
        >>> with open(path, "w") as file:
        ...     _ = file.write("1 |a x:2\\n-1 |a y\\n")
        >>> from descend.readers.vw import VWFormat
        >>> X, y = VWFormat(n_features=4).read(path)
        >>> X.shape, y
        ((2, 4), array([ 1., -1.]))
        >>> import shutil; shutil.rmtree(folder)
        """
        block = read_vw(path, self.n_features, interactions=self.interactions, ngram=self.ngram, ignore=self.ignore)
        return block.X, block.y


def _parse_array(
    form: VWFormat,
    array: _Bytes,
    start: int,
    stop: int,
    first_line: int,
    where: str,
    skip_bad: bool,
    tags: bool,
    max_rows: int,
) -> tuple[VWBlock, int, int]:
    """(VWBlock, byte after the last line read, lines read) of the lines of ``array[start:stop]``
    (zeros after ``stop``), up to ``max_rows`` rows.

    The arrays are NumPy's, grown in place (``realloc``: no copy for large ones) when the compiled
    pass says one is full, and cut to size at the end. A number the pass leaves undecided is read
    by Python's float, and the pass run again with it."""
    import scipy.sparse as sp

    settings, tables = form._compiled
    size = stop - start
    n_rows = min(max_rows, size // 64 + 64)
    n_entries = size // 8 * form.ngram + 256
    out: list[NDArray[Any]] = [
        np.empty(n_rows + 1, np.int64),
        np.empty(n_entries, np.int32),
        np.empty(n_entries),
        np.empty(n_rows),
        np.empty(n_rows),
        np.empty(n_rows, np.int64),
        np.empty((n_rows, 2), np.int64),
        np.empty((16, 4), np.int64),
        np.empty((64, 2), np.int64),
    ]
    exact = np.empty(0)
    while True:
        state = np.zeros(8, np.int64)
        state[_POS] = start
        out[0][0] = 0
        while True:
            reason = _parse_lines(array, stop, max_rows, not skip_bad, settings, tables, exact, tuple(out), state)
            if reason == _DONE:
                break
            grow = {_FULL_ROWS: (0, 3, 4, 5, 6), _FULL_ENTRIES: (1, 2), _FULL_BAD: (7,), _FULL_SLOW: (8,)}[reason]
            for k in grow:
                rows = max(
                    2 * out[k].shape[0],
                    int(state[_NEED]) if reason == _FULL_ENTRIES else 0,
                    int(state[_LISTED]) if reason == _FULL_SLOW else 0,
                )
                out[k].resize((rows,) + out[k].shape[1:], refcheck=False)
        if not state[_LISTED]:
            break
        spans = out[8][: state[_LISTED]].tolist()
        exact = np.concatenate([exact, [float(bytes(array[a:b])) for a, b in spans]])
    rows, nnz, n_bad = int(state[_ROWS]), int(state[_NNZ]), int(state[_BAD])
    indptr, indices, values, labels, weights, lines, spans, bad, _ = out
    if n_bad and not skip_bad:
        line, status, a, b = bad[0].tolist()
        token = bytes(array[a:b]).decode("utf-8", errors="replace")
        raise DataError(f"{where}, line {first_line + line}: {_problem(status, token)}")
    for array_, length in (
        (indptr, rows + 1),
        (indices, nnz),
        (values, nnz),
        (labels, rows),
        (weights, rows),
        (lines, rows),
    ):
        array_.resize(length, refcheck=False)  # realloc: the pages past the end go back, none is copied
    indptr = indptr.astype(np.int32) if nnz <= MAX_FEATURES else indptr
    indices = indices if nnz <= MAX_FEATURES else indices.astype(np.int64)
    X = sp.csr_matrix((values, indices, indptr), shape=(rows, form.n_features), copy=False)
    X.has_sorted_indices = True
    X.has_canonical_format = False  # a repeated feature is repeated: see the module's docstring
    names = None
    if tags:
        names = [
            None if a < 0 else bytes(array[a:b]).decode("utf-8", errors="replace") for a, b in spans[:rows].tolist()
        ]
    lines += first_line
    block = VWBlock(X, labels, weights, names, lines, n_bad)
    return block, int(state[_POS]), int(state[_LINE])


def read_vw(
    path: str | os.PathLike[str],
    n_features: int = 2**20,
    *,
    interactions: tuple[str, ...] = (),
    ngram: int = 1,
    ignore: tuple[str, ...] = (),
    skip_bad: bool = False,
    tags: bool = False,
) -> VWBlock:
    """The examples of a file in Vowpal Wabbit's format, hashed, in memory.

    Parameters
    ----------
    path : str or path-like
        A file in Vowpal Wabbit's text format (see the module's docstring).
    n_features : int
        The number of columns, 1 to 2**31 - 1.
    interactions : tuple of str
        Namespaces crossed, by their first characters (``"ab"``: ``-q ab``; ``"abc"``: ``--cubic abc``).
    ngram : int
        n-grams of up to ``ngram`` consecutive features in each namespace; 1, none.
    ignore : tuple of str
        Namespaces left out, by their first characters.
    skip_bad : bool
        Skip and count the lines that cannot be read, instead of raising.
    tags : bool
        Collect the tags.

    Returns
    -------
    VWBlock
        ``X`` (CSR, (rows, n_features)), ``y``, ``weights``, ``tags``, ``lines``, ``skipped``.

    Raises
    ------
    descend.readers.tables.DataError
        For a missing or empty file, a file with no example, or a line that cannot be read (unless
        ``skip_bad``), naming it: ``clicks.vw, line 7: the label 'abc' is not a number``.
    ValueError
        For a bad setting.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "clicks.vw")
    >>> with open(path, "w") as file:
    ...     _ = file.write("1 'a|user id=7 |ad sport\\n-1 0.5 'b|user id=8 |ad news\\n")
    >>> from descend.readers.vw import read_vw
    >>> block = read_vw(path, 2**18, interactions=("ua",), tags=True)
    >>> block.X.shape, block.X.getnnz(axis=1).tolist(), block.y, block.weights, block.tags
    ((2, 262144), [3, 3], array([ 1., -1.]), array([1. , 0.5]), ['a', 'b'])
    >>> import shutil; shutil.rmtree(folder)
    """
    from .tables import check_data_file

    form = VWFormat(n_features, interactions, ngram, ignore)
    path = check_data_file(path)
    data = path.read_bytes()
    array = np.zeros(len(data) + _PAD, np.uint8)
    array[: len(data)] = np.frombuffer(data, np.uint8)
    del data
    block, _, _ = _parse_array(form, array, 0, array.size - _PAD, 1, str(path), skip_bad, tags, array.size)
    if block.X.shape[0] == 0:
        raise DataError(f"{path} holds no example" + (f" ({block.skipped} bad lines skipped)" if block.skipped else ""))
    return block


class VWStream:
    """Blocks of examples of a file or a stream in Vowpal Wabbit's format, read as they come, in
    bounded memory: ``for block in VWStream(sys.stdin.buffer, form): ...``.

    The source is read ``READ_BYTES`` (1 MiB) at a time; a block is cut at a line's end once
    ``block_rows`` lines have arrived (or the source has no more for now), so that memory holds a
    block's bytes and rows, never the whole file. With ``follow=True`` the end of the file is not
    the end: the stream sleeps ``poll_seconds`` and reads again, handing out the lines appended
    meanwhile, until ``stop`` is set (then it reads to the end once more, and ends). A line is read
    once its ``\\n`` has come when following (a last line without it, maybe half written, is never
    read); else a last line without ``\\n`` is read at the end.

    Parameters
    ----------
    source : str, path-like or binary file object
        A file's path, or an object with a ``read(size)`` that returns bytes (``sys.stdin.buffer``,
        ``open(path, "rb")``, ``io.BytesIO``), not closed here.
    form : VWFormat
        How to read and hash the examples.
    block_rows : int
        Rows a block holds at most (fewer at the end, or when a source has no more for now), >= 1.
    skip_bad : bool
        Skip and count (``skipped``) the lines that cannot be read, instead of raising.
    follow : bool
        At the end of the source, wait for more lines (``tail -f``) until ``stop``.
    poll_seconds : float
        How long to sleep at the end before reading again, when following, > 0.
    stop : threading.Event or callable, optional
        Ends a following stream when set (or when it returns True), checked at the end of the
        source; the lines read by then are handed out first.
    tags : bool
        Collect the tags (``VWBlock.tags``).

    Attributes
    ----------
    skipped : int
        Bad lines skipped so far.

    Raises
    ------
    TypeError
        For a form that is not a VWFormat, a text (not binary) file object, a ``stop`` that is
        neither an Event nor callable, or a ``poll_seconds`` that is not a number.
    ValueError
        For ``block_rows`` < 1 or ``poll_seconds`` <= 0.
    descend.readers.tables.DataError
        While iterating: for a line that cannot be read (unless ``skip_bad``), naming it; for a
        path that is missing or a folder.

    Examples
    --------
    >>> import io
    >>> from descend.readers.vw import VWFormat, VWStream
    >>> lines = b"".join(b"%d |w word%d\\n" % (k % 2, k) for k in range(5))
    >>> stream = VWStream(io.BytesIO(lines), VWFormat(n_features=64), block_rows=2)
    >>> [(block.X.shape, block.y.tolist(), block.lines.tolist()) for block in stream]
    [((2, 64), [0.0, 1.0], [1, 2]), ((2, 64), [0.0, 1.0], [3, 4]), ((1, 64), [0.0], [5])]
    """

    stop: threading.Event | Callable[[], object] | None

    def __init__(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        form: VWFormat,
        *,
        block_rows: int = 4096,
        skip_bad: bool = False,
        follow: bool = False,
        poll_seconds: float = 0.2,
        stop: threading.Event | Callable[[], object] | None = None,
        tags: bool = False,
    ) -> None:
        if not isinstance(form, VWFormat):
            raise TypeError(f"form must be a VWFormat, got {type(form).__name__}")
        if isinstance(source, io.TextIOBase):
            raise TypeError("source must be a binary file object (sys.stdin.buffer, open(path, 'rb')), got a text one")
        if not (isinstance(source, (str, os.PathLike)) or hasattr(source, "read")):
            raise TypeError(f"source must be a path or a binary file object, got {type(source).__name__}")
        if stop is not None and not (isinstance(stop, threading.Event) or callable(stop)):
            raise TypeError(f"stop must be a threading.Event or a callable, got {type(stop).__name__}")
        self.block_rows = check_integer("block_rows", block_rows, low=1)
        poll_seconds = check_positive("poll_seconds", poll_seconds)
        self.source, self.form = source, form
        self.skip_bad, self.follow, self.poll_seconds = bool(skip_bad), bool(follow), float(poll_seconds)
        self.stop, self.tags = stop, bool(tags)
        self.skipped = 0
        if isinstance(source, (str, os.PathLike)):
            self.where = str(source)
        else:
            name = getattr(source, "name", None)
            self.where = name if isinstance(name, str) else "<stream>"

    def _stopped(self) -> bool:
        if self.stop is None:
            return False
        return self.stop.is_set() if isinstance(self.stop, threading.Event) else bool(self.stop())

    def __iter__(self) -> Iterator[VWBlock]:
        """The blocks, in the source's order.

        Yields
        ------
        VWBlock
            At most ``block_rows`` rows each.
        """
        if isinstance(self.source, (str, os.PathLike)):
            path = Path(self.source)
            if not path.is_file():
                raise DataError(f"{path} is a folder, not a data file" if path.is_dir() else f"no such file: {path}")
            with path.open("rb") as file:
                yield from self._blocks(file)
        else:
            yield from self._blocks(self.source)

    def _blocks(self, file: BinaryIO) -> Iterator[VWBlock]:
        pending = bytearray()  # bytes read, not yet handed out: whole lines, then a partial one
        first_line, newlines, ended, draining = 1, 0, False, False  # newlines: those in pending
        read = getattr(file, "read1", file.read)  # what has come, without waiting for a full read
        while True:
            while newlines < self.block_rows and not ended:  # a block's lines, or all there is for now
                chunk = read(READ_BYTES)
                if not chunk:
                    ended = True
                    break
                if not isinstance(chunk, (bytes, bytearray, memoryview)):
                    raise TypeError(
                        "source must be a binary file object (sys.stdin.buffer, open(path, 'rb')), "
                        f"its read gave {type(chunk).__name__}"
                    )
                before = len(pending)
                pending += chunk
                newlines += pending.count(b"\n", before)  # a memoryview has no count (before Python 3.14)
            if ended and self.follow and not draining and self._stopped():
                # One more read to the end: the lines written before stop was set.
                draining, ended = True, False
                continue
            finished = ended and (not self.follow or draining)
            # A last line without its '\n' is read at the end, unless following: it may be half written.
            stop = len(pending) if finished and not self.follow else pending.rfind(b"\n") + 1
            if stop:
                array = np.empty(stop + _PAD, np.uint8)
                array[:stop] = np.frombuffer(pending, np.uint8, count=stop)
                array[stop:] = 0
                start = 0
                # Whole blocks while the lines last; at the end (for now), what is left.
                while start < stop and (newlines >= self.block_rows or ended):
                    block, start, lines = _parse_array(
                        self.form, array, start, stop, first_line, self.where, self.skip_bad, self.tags, self.block_rows
                    )
                    first_line += lines
                    newlines = max(newlines - lines, 0)  # the last line may lack its '\n'
                    self.skipped += block.skipped
                    if block.X.shape[0]:
                        yield block
                del pending[:start]
            if finished:
                return
            if ended:  # following: wait for more
                time.sleep(self.poll_seconds)
                ended = False
