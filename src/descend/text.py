"""Feature hashing of texts and categorical columns, compiled: scikit-learn's ``HashingVectorizer`` and
``FeatureHasher(input_type="string")``, read straight from an Arrow string array's buffers.

The hashing trick (Weinberger, Dasgupta, Langford, Smola & Attenberg, "Feature hashing for large scale
multitask learning", ICML 2009; Shi et al., "Hash kernels for structured data", JMLR 2009) sends a
token ``t`` to the column and the sign::

    j(t) = |h(t)| mod n_features,        s(t) = +1 if h(t) >= 0 else -1   (s = +1 when alternate_sign=False)

where ``h`` is MurmurHash3_x86_32 (Austin Appleby, 2011, the public-domain ``MurmurHash3.cpp``) of the
token's UTF-8 bytes with seed 0, read as a signed 32-bit integer (``|-2**31|`` is ``2**31``). A
document's row is

    x_j = sum over the document's tokens (and n-grams) t with j(t) = j of s(t),

a sum that keeps its entry when it is 0 (a + and a - colliding: an explicit zero, as scikit-learn's
``sum_duplicates`` keeps it), and is then divided by its norm when that is not 0:
``||x||_2 = sqrt(sum_j x_j**2)`` for ``norm="l2"``, ``||x||_1 = sum_j |x_j|`` for ``"l1"``, each sum
taken over the columns in increasing order, as scikit-learn's ``normalize`` does. With a random sign
independent of the column, inner products are unbiased, E[<x(a), x(b)>] = <counts(a), counts(b)>
(Weinberger et al., Lemma 2); here, as in scikit-learn, the one hash gives both.

The tokens are scikit-learn's ``analyzer="word"`` with ``token_pattern=r"(?u)\\b\\w\\w+\\b"``: the
document is lowercased (Python's ``str.lower``), and a token is a maximal run of at least two word
characters (``\\w``: ``str.isalnum()`` or ``_``; for ASCII ``[0-9A-Za-z_]``); the n-grams for ``n`` in
``ngram_range`` are ``n`` consecutive tokens joined by one space. The result equals ``HashingVectorizer``
entry for entry (indices, values, row pointers) for any Unicode text, not only ASCII: for the code
points outside ASCII the kernel reads two tables that Python's own ``str.lower`` and ``str.isalnum``
fill, one call per distinct code point of the corpus (never per token), including the one lowercasing
that depends on context, the Greek capital sigma (final ``ς`` or ``σ``, by the rule CPython applies:
the Unicode Standard, section 3.13, "Final_Sigma"). It is therefore exact to the running Python's
Unicode version, which is the one ``re`` and ``str.lower`` use in scikit-learn too (checked on every
code point: each in a few contexts, with and without lowercasing).

How it runs: the documents become one Arrow string array (``pyarrow.array`` copies Python strings
once; an Arrow array is read in place), and one compiled pass over its bytes (Numba) lowercases,
cuts the tokens into a per-document scratch buffer (each token followed by one space, so that every
n-gram is a contiguous slice of it and is hashed without being built), hashes them, sorts each row's
``2 * j + (s < 0)`` keys, sums the duplicates, normalizes and writes the CSR arrays. No Python runs
per token or per document. The rows are cut into chunks of about equal size, four per thread
(``n_jobs`` threads: None or 1, this thread alone), each chunk written from where the bound on its
rows' entries puts it, then packed; the result does not depend on the number of threads.

``hash_columns`` hashes ``"column=value"`` tokens, one per column and row (``FeatureHasher`` on the
strings ``f"{column}={value}"``), through the same hash and the same row assembly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa
import scipy.sparse as sp
from numba import parallel_chunksize, prange
from sklearn.base import BaseEstimator, TransformerMixin

from ._checks import check_choice, check_integer
from ._compiled import njit
from ._sort import sort_keys
from ._threads import check_n_jobs, numba_threads, threads_for
from .murmurhash import murmurhash3_32

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable
    from typing import Any, TypeAlias

    import pandas as pd
    from sklearn.utils import Tags

    from ._typing import IntArray, NDArray

    #: The kernel's Unicode tables: (properties, lowercase's start, its length, its code points).
    _Tables: TypeAlias = tuple[NDArray[np.uint8], NDArray[np.int32], NDArray[np.uint8], NDArray[np.int32]]
    #: The CSR entries being written: (indices, values).
    _Out: TypeAlias = tuple[NDArray[np.int32], NDArray[np.float64]]
    #: (n_features, alternate_sign, norm code).
    _Hashing: TypeAlias = tuple[int, bool, int]

__all__ = ["hash_texts", "hash_columns", "TextHasher"]

# scikit-learn's bound: indices are 32-bit signed integers.
MAX_FEATURES = 2**31 - 1
# Rows are hashed in blocks whose bound on their entries is at most this many (768 MB of address space
# for indices and values): the bound is about twice a real text's entries, and Linux may refuse an
# allocation larger than its memory.
BLOCK_ENTRIES = 2**26
NORMS = ("l2", "l1", "none")

_CODE_SPACE = 0x110000
# Bits of a code point's entry in the property table.
_WORD, _CASED, _IGNORABLE = 1, 2, 4
_CAPITAL_SIGMA, _SMALL_SIGMA, _FINAL_SIGMA = 0x3A3, 0x3C3, 0x3C2
_NORM_CODES = {"none": 0, "l2": 1, "l1": 2}


# ---------------------------------------------------------------------------------------------
# Compiled: the hash, UTF-8, the tokenizer, a row's assembly, the rows of texts and of columns
# ---------------------------------------------------------------------------------------------


@njit(cache=True, inline="always")
def _key(h: int, n_features: int, alternate_sign: bool) -> int:
    """The row key 2 j + (s < 0) of hash ``h``: sorting keys sorts columns, and the sign rides along."""
    index = abs(h) % n_features
    return 2 * index + (1 if alternate_sign and h < 0 else 0)


@njit(cache=True, inline="always")
def _decode(data: NDArray[np.uint8], j: int) -> tuple[int, int]:
    """The code point starting at byte ``j`` of valid UTF-8, and the byte after it."""
    b = np.int64(data[j])
    if b < 0x80:
        return b, j + 1
    if b < 0xE0:
        return ((b & 0x1F) << 6) | (data[j + 1] & 0x3F), j + 2
    if b < 0xF0:
        return ((b & 0x0F) << 12) | ((data[j + 1] & 0x3F) << 6) | (data[j + 2] & 0x3F), j + 3
    return ((b & 0x07) << 18) | ((data[j + 1] & 0x3F) << 12) | ((data[j + 2] & 0x3F) << 6) | (data[j + 3] & 0x3F), j + 4


@njit(cache=True, inline="always")
def _encode(cp: int, out: NDArray[np.uint8], pos: int) -> int:
    """Write code point ``cp`` as UTF-8 at ``out[pos]``; the position after it."""
    if cp < 0x80:
        out[pos] = cp
        return pos + 1
    if cp < 0x800:
        out[pos] = 0xC0 | (cp >> 6)
        out[pos + 1] = 0x80 | (cp & 0x3F)
        return pos + 2
    if cp < 0x10000:
        out[pos] = 0xE0 | (cp >> 12)
        out[pos + 1] = 0x80 | ((cp >> 6) & 0x3F)
        out[pos + 2] = 0x80 | (cp & 0x3F)
        return pos + 3
    out[pos] = 0xF0 | (cp >> 18)
    out[pos + 1] = 0x80 | ((cp >> 12) & 0x3F)
    out[pos + 2] = 0x80 | ((cp >> 6) & 0x3F)
    out[pos + 3] = 0x80 | (cp & 0x3F)
    return pos + 4


@njit(cache=True, inline="always")
def _end_run(
    scratch: NDArray[np.uint8],
    pos: int,
    run_start: int,
    run_length: int,
    starts: IntArray,
    stops: IntArray,
    n_tokens: int,
) -> tuple[int, int]:
    """Close a run of word characters: a token (then one space) if it is 2 or more long, else undone."""
    if run_length >= 2:
        starts[n_tokens] = run_start
        stops[n_tokens] = pos
        scratch[pos] = 32
        return pos + 1, n_tokens + 1
    if run_length == 1:
        return run_start, n_tokens
    return pos, n_tokens


@njit(cache=True)
def _sigma(data: NDArray[np.uint8], start: int, stop: int, at: int, after: int, props: NDArray[np.uint8]) -> int:
    """CPython's lowercase of the capital sigma at bytes [at, after) of the document [start, stop):
    final ``ς`` when a cased letter precedes it and none follows it, case-ignorable characters
    skipped both ways (``unicodeobject.c``, ``handle_capital_sigma``), else ``σ``."""
    j = at
    c = -1
    while j > start:
        j -= 1
        while j > start and (data[j] & 0xC0) == 0x80:
            j -= 1
        c, _ = _decode(data, j)
        if not props[c] & _IGNORABLE:
            break
        c = -1
    if c < 0 or not props[c] & _CASED:
        return _SMALL_SIGMA
    j = after
    while j < stop:
        c, j = _decode(data, j)
        if not props[c] & _IGNORABLE:
            return _SMALL_SIGMA if props[c] & _CASED else _FINAL_SIGMA
    return _FINAL_SIGMA


@njit(cache=True)
def _tokenize(
    data: NDArray[np.uint8],
    start: int,
    stop: int,
    bytes_: NDArray[np.uint8],
    lowercase: bool,
    tables: _Tables,
    scratch: NDArray[np.uint8],
    starts: IntArray,
    stops: IntArray,
) -> int:
    """Cut document ``data[start:stop]`` into its tokens, lowercased, into ``scratch``; token ``t`` is
    ``scratch[starts[t]:stops[t]]`` and one space follows each. Returns the number of tokens.

    An ASCII byte ``b`` is read from ``bytes_[b]``: 0 if not a word character, else the byte itself
    lowercased (if lowercasing); ``bytes_`` is 255 for the bytes of other code points, which go
    through ``tables``: their properties (word character, cased, case-ignorable) and their lowercase,
    1 to 3 code points."""
    props, low_start, low_length, low_points = tables
    pos, run_start, run_length, n_tokens = 0, 0, 0, 0
    j = start
    while j < stop:
        b = bytes_[data[j]]
        if b != 255:
            j += 1
            if b != 0:
                if run_length == 0:
                    run_start = pos
                scratch[pos] = b
                pos += 1
                run_length += 1
            elif run_length:
                pos, n_tokens = _end_run(scratch, pos, run_start, run_length, starts, stops, n_tokens)
                run_length = 0
            continue
        at = j
        cp, j = _decode(data, j)
        if not lowercase:
            first, count = -1, 1
        elif cp == _CAPITAL_SIGMA:
            cp, first, count = _sigma(data, start, stop, at, j, props), -1, 1
        else:
            first, count = low_start[cp], low_length[cp]
        for k in range(count):
            point = cp if first < 0 else low_points[first + k]
            if props[point] & _WORD:
                if run_length == 0:
                    run_start = pos
                pos = _encode(point, scratch, pos)
                run_length += 1
            else:
                pos, n_tokens = _end_run(scratch, pos, run_start, run_length, starts, stops, n_tokens)
                run_length = 0
    pos, n_tokens = _end_run(scratch, pos, run_start, run_length, starts, stops, n_tokens)
    return n_tokens


@njit(cache=True)
def _write_row(
    keys: IntArray, count: int, norm: int, indices: NDArray[np.int32], values: NDArray[np.float64], nnz: int
) -> int:
    """Sum the signs of each column of a row's sorted keys, normalize; write from ``nnz``, return the new end."""
    first = nnz
    k = 0
    while k < count:
        index = keys[k] >> 1
        value = 0.0
        while k < count and (keys[k] >> 1) == index:
            value += -1.0 if keys[k] & 1 else 1.0
            k += 1
        indices[nnz] = index
        values[nnz] = value
        nnz += 1
    if norm != 0:
        total = 0.0
        for i in range(first, nnz):
            total += values[i] * values[i] if norm == 1 else abs(values[i])
        if total != 0.0:
            if norm == 1:
                total = np.sqrt(total)
            for i in range(first, nnz):
                values[i] /= total
    return nnz


@njit(cache=True)
def _top_bit(n_features: int) -> int:
    """The bit length of the largest key, 2 (n_features - 1) + 1."""
    top = 1
    while (1 << top) < 2 * n_features:
        top += 1
    return top


@njit(cache=True)
def _text_rows(
    rows: tuple[int, int, int],
    offsets: IntArray,
    data: NDArray[np.uint8],
    bytes_: NDArray[np.uint8],
    lowercase: bool,
    tables: _Tables,
    ngrams: tuple[int, int],
    hashing: _Hashing,
    sizes: tuple[int, int],
    out: _Out,
    counts: IntArray,
) -> None:
    """Write the rows ``rows`` = (first, last, first entry) of the documents
    ``data[offsets[i]:offsets[i + 1]]`` into ``out`` = (indices, values) from their first entry on,
    and their lengths into ``counts``.

    ``ngrams`` = (min_n, max_n); ``hashing`` = (n_features, alternate_sign, norm code);
    ``sizes`` = (scratch bytes, tokens of the longest document)."""
    first, last, nnz = rows
    min_n, max_n = ngrams
    n_features, alternate_sign, norm = hashing
    scratch_size, max_tokens = sizes
    indices, values = out
    scratch = np.empty(scratch_size, np.uint8)
    starts = np.empty(max_tokens, np.int64)
    stops = np.empty(max_tokens, np.int64)
    keys = np.empty(max_tokens * (max_n - min_n + 1), np.int64)
    spare = np.empty_like(keys)
    bounds = np.empty(4097, np.int64)
    top_bit = _top_bit(n_features)
    for i in range(first, last):
        n_tokens = _tokenize(data, offsets[i], offsets[i + 1], bytes_, lowercase, tables, scratch, starts, stops)
        count = 0
        for n in range(min_n, max_n + 1):
            for t in range(n_tokens - n + 1):
                # The n-gram is the slice from token t to token t + n - 1, single spaces between.
                h = murmurhash3_32(scratch, starts[t], stops[t + n - 1])
                keys[count] = _key(h, n_features, alternate_sign)
                count += 1
        sort_keys(keys, count, top_bit, spare, bounds)
        end = _write_row(keys, count, norm, indices, values, nnz)
        counts[i] = end - nnz
        nnz = end


@njit(cache=True, parallel=True)
def _hash_text_rows(
    chunks: tuple[IntArray, IntArray],
    offsets: IntArray,
    data: NDArray[np.uint8],
    bytes_: NDArray[np.uint8],
    lowercase: bool,
    tables: _Tables,
    ngrams: tuple[int, int],
    hashing: _Hashing,
    sizes: tuple[int, int],
    out: _Out,
    counts: IntArray,
) -> None:
    """``_text_rows`` over the chunks of rows ``chunks`` = (first rows, first entries), in parallel."""
    first_rows, first_entries = chunks
    for c in prange(first_rows.size - 1):
        _text_rows(
            (first_rows[c], first_rows[c + 1], first_entries[c]),
            offsets,
            data,
            bytes_,
            lowercase,
            tables,
            ngrams,
            hashing,
            sizes,
            out,
            counts,
        )


@njit(cache=True)
def _column_rows(
    rows: tuple[int, int, int],
    offsets: IntArray,
    data: NDArray[np.uint8],
    prefixes: tuple[IntArray, NDArray[np.uint8]],
    hashing: _Hashing,
    scratch_size: int,
    out: _Out,
    counts: IntArray,
) -> None:
    """As ``_text_rows``, for rows whose tokens are ``prefix[c] + value[c * n_rows + i]``, one per
    column ``c`` (``prefix[c]`` = ``"column="``; ``prefixes`` = (offsets, data))."""
    first, last, nnz = rows
    n_features, alternate_sign, norm = hashing
    prefix_offsets, prefix_data = prefixes
    indices, values = out
    n_rows = counts.size
    n_columns = prefix_offsets.size - 1
    scratch = np.empty(scratch_size, np.uint8)
    keys = np.empty(n_columns, np.int64)
    spare = np.empty_like(keys)
    bounds = np.empty(4097, np.int64)
    top_bit = _top_bit(n_features)
    for i in range(first, last):
        for c in range(n_columns):
            pos = 0
            for j in range(prefix_offsets[c], prefix_offsets[c + 1]):
                scratch[pos] = prefix_data[j]
                pos += 1
            item = c * n_rows + i
            for j in range(offsets[item], offsets[item + 1]):
                scratch[pos] = data[j]
                pos += 1
            keys[c] = _key(murmurhash3_32(scratch, 0, pos), n_features, alternate_sign)
        sort_keys(keys, n_columns, top_bit, spare, bounds)
        end = _write_row(keys, n_columns, norm, indices, values, nnz)
        counts[i] = end - nnz
        nnz = end


@njit(cache=True, parallel=True)
def _hash_column_rows(
    chunks: tuple[IntArray, IntArray],
    offsets: IntArray,
    data: NDArray[np.uint8],
    prefixes: tuple[IntArray, NDArray[np.uint8]],
    hashing: _Hashing,
    scratch_size: int,
    out: _Out,
    counts: IntArray,
) -> None:
    """``_column_rows`` over the chunks of rows, in parallel."""
    first_rows, first_entries = chunks
    for c in prange(first_rows.size - 1):
        _column_rows(
            (first_rows[c], first_rows[c + 1], first_entries[c]),
            offsets,
            data,
            prefixes,
            hashing,
            scratch_size,
            out,
            counts,
        )


@njit(cache=True)
def _pack(sources: IntArray, targets: IntArray, out: _Out) -> None:
    """Move chunk ``c``'s entries from ``sources[c]`` to ``targets[c]`` (up to ``targets[c + 1]``) in ``out``,
    chunk after chunk. In place and safe: ``targets[c] <= sources[c]``, so a forward copy never
    overwrites what it has yet to read, and chunk ``c`` ends at ``targets[c + 1] <= sources[c + 1]``,
    before the next chunk's entries."""
    indices, values = out
    for c in range(targets.size - 1):
        source, target = sources[c], targets[c]
        for k in range(targets[c + 1] - target):
            indices[target + k] = indices[source + k]
            values[target + k] = values[source + k]


@njit(cache=True)
def _code_points_beyond_ascii(data: NDArray[np.uint8], start: int, stop: int) -> IntArray:
    """The distinct code points >= 128 of the valid UTF-8 ``data[start:stop]``, in increasing order."""
    seen = np.zeros(_CODE_SPACE, np.bool_)
    j = start
    while j < stop:
        if data[j] < 0x80:
            j += 1
        else:
            cp, j = _decode(data, j)
            seen[cp] = True
    return np.flatnonzero(seen)


# ---------------------------------------------------------------------------------------------
# Python: Unicode tables, documents to Arrow buffers, the public functions
# ---------------------------------------------------------------------------------------------


def _is_word(char: str) -> bool:
    # What Python's re means by \w with (?u): SRE_UNI_IS_WORD = Py_UNICODE_ISALNUM or '_'.
    return char.isalnum() or char == "_"


def _sigma_context(char: str) -> int:
    """``_CASED``, ``_IGNORABLE`` or 0: the properties the final-sigma rule reads, found by asking
    ``str.lower`` itself (Python exposes neither): a capital sigma after ``char`` alone is final only
    if ``char`` is cased and not case-ignorable; after ``"a" + char``, also if ``char`` is ignorable."""
    if (char + "\u03a3").lower()[-1] == "\u03c2":
        return _CASED
    if ("a" + char + "\u03a3").lower()[-1] == "\u03c2":
        return _IGNORABLE
    return 0


def _unicode_tables(points: IntArray, lowercase: bool) -> tuple[_Tables, int, float]:
    """The kernel's tables for the code points ``points`` (>= 128) of a corpus, and how much longer
    the text grows when lowercased: (tables, code points per code point, bytes per byte), at most.

    Dense over the code space (6.6 MB, zero pages where no code point of the corpus lies)."""
    props = np.zeros(_CODE_SPACE, np.uint8)
    for b in range(128):
        props[b] = _WORD if _is_word(chr(b)) else 0
    low_start = np.zeros(_CODE_SPACE, np.int32)
    low_length = np.zeros(_CODE_SPACE, np.uint8)
    low_points: list[int]
    low_points, growth_points, growth_bytes = [], 1, 1.0
    for cp in points.tolist():
        char = chr(cp)
        lowered = char.lower() if lowercase else char
        low_start[cp], low_length[cp] = len(low_points), len(lowered)
        low_points.extend(map(ord, lowered))
        growth_points = max(growth_points, len(lowered))
        growth_bytes = max(growth_bytes, len(lowered.encode()) / len(char.encode()))
        for c in char + lowered:
            if _is_word(c):
                props[ord(c)] |= _WORD
    if lowercase and _CAPITAL_SIGMA in set(points.tolist()):
        for cp in list(range(128)) + points.tolist():
            props[cp] |= _sigma_context(chr(cp))
        props[_SMALL_SIGMA] |= _WORD
        props[_FINAL_SIGMA] |= _WORD
    tables = (props, low_start, low_length, np.array(low_points, np.int32))
    return tables, growth_points, growth_bytes


def _ascii_tables() -> _Tables:
    """Placeholders of the right types: an ASCII corpus never reads them."""
    return (np.zeros(1, np.uint8), np.zeros(1, np.int32), np.zeros(1, np.uint8), np.zeros(1, np.int32))


def _character_tables(
    array: pa.Array, offsets: IntArray, data: NDArray[np.uint8], lowercase: bool
) -> tuple[_Tables, int, float]:
    """``_unicode_tables`` of the code points beyond ASCII of the texts ``array`` (its ``offsets`` and
    ``data`` buffers), or, when there are none, ``_ascii_tables`` and no growth. A ValueError when the
    bytes are not UTF-8."""
    if offsets[-1] <= offsets[0] or data[offsets[0] : offsets[-1]].max() < 0x80:
        return _ascii_tables(), 1, 1.0
    try:
        array.validate(full=True)  # an Arrow array made elsewhere might not be UTF-8
    except pa.ArrowInvalid as error:
        raise ValueError(f"texts is not valid UTF-8: {error}") from None
    return _unicode_tables(_code_points_beyond_ascii(data, offsets[0], offsets[-1]), lowercase)


def _byte_map(lowercase: bool) -> NDArray[np.uint8]:
    """``bytes_`` of ``_tokenize``: the ASCII word characters (lowercased), 0 for the others, 255 above ASCII."""
    table = np.zeros(256, np.uint8)
    table[128:] = 255
    for b in range(128):
        if _is_word(chr(b)):
            table[b] = ord(chr(b).lower()) if lowercase else b
    return table


def _missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and value != value) or type(value).__name__ == "NAType"


def _bad_item(
    values: Iterable[object], what: str, where: str, error: Exception, *, one_type: bool = False
) -> Exception:
    """The error for the first item of ``values`` that is missing, or is not a string (UTF-8 bytes
    pass), or with ``one_type`` is not of the first item's type; ``where`` formats its row. Else,
    ``error``, Arrow's, said of ``what``."""
    first = None
    for row, value in enumerate(values):
        if _missing(value):
            return ValueError(
                f"{where.format(row=row)} is missing ({value!r}): every item must be a string (an empty document is '')"
            )
        if one_type:
            first = type(value) if first is None else first
            if type(value) is not first:
                return TypeError(
                    f"{where.format(row=row)} is a {type(value).__name__} ({value!r:.40}), but "
                    f"the first item is a {first.__name__}: a column holds one type"
                )
        elif isinstance(value, bytes):
            try:
                value.decode("utf-8")
            except UnicodeDecodeError as decode_error:
                return ValueError(
                    f"{where.format(row=row)} is bytes that are not UTF-8: {decode_error.reason} at byte {decode_error.start}"
                )
        elif not isinstance(value, str):
            return TypeError(f"{where.format(row=row)} is a {type(value).__name__} ({value!r:.40}), not a string")
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError as encode_error:
                return ValueError(
                    f"{where.format(row=row)} cannot be encoded as UTF-8: {encode_error.reason} at position {encode_error.start}"
                )
    return TypeError(f"{what} could not be read: {error}")


def _to_arrow(values: Iterable[Any], what: str, where: str, *, infer: bool = False) -> pa.Array:
    """A 1-d collection as one Arrow array: strings (or, with ``infer``, any one type Arrow infers)."""
    if isinstance(values, (str, bytes)):
        raise TypeError(f"{what} must be a sequence of strings, got a single {type(values).__name__}")
    if isinstance(values, pa.ChunkedArray):
        return values.combine_chunks()
    if isinstance(values, pa.Array):
        return values
    if isinstance(values, np.ndarray) and values.ndim != 1:
        raise ValueError(f"{what} must be one-dimensional, got an array of shape {values.shape}")
    if not hasattr(values, "__len__"):
        values = list(values)
    try:
        array = pa.array(values, type=None if infer else pa.large_string(), from_pandas=True)
    except (pa.ArrowInvalid, pa.ArrowTypeError, UnicodeError, TypeError, OverflowError) as error:
        raise _bad_item(values, what, where, error, one_type=infer) from None
    return array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array


def _strings(array: pa.Array, what: str, where: str) -> pa.Array:
    """``array`` as Arrow strings without nulls; a TypeError for any other type, naming ``what``, a
    ValueError for a null, naming its row (``where``)."""
    kind = array.type
    if pa.types.is_dictionary(kind):
        array, kind = array.dictionary_decode(), kind.value_type
    if pa.types.is_string_view(kind):
        array, kind = array.cast(pa.large_string()), pa.large_string()
    if not (pa.types.is_string(kind) or pa.types.is_large_string(kind)):
        raise TypeError(f"{what} must hold strings, got Arrow type {kind}")
    if array.null_count:
        row = int(np.flatnonzero(array.is_null().to_numpy(zero_copy_only=False))[0])
        raise ValueError(
            f"{where.format(row=row)} is missing (None, NaN or null): every item must be a "
            "string (an empty document is '')"
        )
    return array


def _buffers(array: pa.Array) -> tuple[IntArray, NDArray[np.uint8]]:
    """(offsets as int64, the data bytes) of a string or large string array, read in place."""
    width = np.int64 if pa.types.is_large_string(array.type) else np.int32
    _, offsets, data = array.buffers()
    offsets = np.frombuffer(offsets, width)[array.offset : array.offset + len(array) + 1].astype(np.int64)
    data = np.frombuffer(data, np.uint8) if data is not None and data.size else np.zeros(1, np.uint8)
    return offsets, data


def _hashing_parameters(n_features: int, alternate_sign: bool, norm: str | None) -> _Hashing:
    n_features = check_integer("n_features", n_features, low=1)
    if n_features > MAX_FEATURES:
        raise ValueError(f"n_features must be at most 2**31 - 1 = {MAX_FEATURES}, got {n_features}")
    if not isinstance(alternate_sign, (bool, np.bool_)):
        raise TypeError(f"alternate_sign must be True or False, got {alternate_sign!r}")
    norm = "none" if norm is None else check_choice("norm", norm, NORMS)
    return (n_features, bool(alternate_sign), _NORM_CODES[norm])


def _text_parameters(
    n_features: int, ngram_range: tuple[int, int], lowercase: bool, alternate_sign: bool, norm: str | None
) -> tuple[_Hashing, tuple[int, int], bool]:
    """The checked (hashing, (min_n, max_n), lowercase) of ``hash_texts``' parameters."""
    hashing = _hashing_parameters(n_features, alternate_sign, norm)
    if not isinstance(lowercase, (bool, np.bool_)):
        raise TypeError(f"lowercase must be True or False, got {lowercase!r}")
    return hashing, _ngram_range(ngram_range), bool(lowercase)


def _ngram_range(ngram_range: tuple[int, int]) -> tuple[int, int]:
    if not (isinstance(ngram_range, (tuple, list)) and len(ngram_range) == 2):
        raise TypeError(f"ngram_range must be a pair (min_n, max_n), got {ngram_range!r}")
    low = check_integer("ngram_range[0]", ngram_range[0], low=1)
    high = check_integer("ngram_range[1]", ngram_range[1], low=1)
    if low > high:
        raise ValueError(f"ngram_range must have min_n <= max_n, got {tuple(ngram_range)}")
    return low, high


def _chunks(bounds: IntArray, first_row: int, n_threads: int) -> tuple[tuple[IntArray, IntArray], int]:
    """Cut the rows ``first_row`` on, whose entries number at most ``bounds``, into chunks of about
    equal bounds, four per thread, that the threads take in turn (so that a thread slowed by another
    process does not hold the others up): (first rows, first entries), each ending with the end; one
    chunk for a small job or a single thread."""
    ends = np.cumsum(bounds)
    total = int(ends[-1]) if bounds.size else 0
    n_chunks = 1 if total < 2**16 or n_threads == 1 else 4 * n_threads
    cuts = np.searchsorted(ends, total * np.arange(1, n_chunks) / n_chunks, side="right")
    first_rows = np.unique(np.concatenate([[0], cuts, [bounds.size]])).astype(np.int64)
    first_entries = np.concatenate([[0], ends])[first_rows].astype(np.int64)
    return (first_rows + first_row, first_entries), total


def _hashed_rows(
    bounds: IntArray,
    hash_rows: Callable[[tuple[IntArray, IntArray], _Out, IntArray, bool], None],
    n_features: int,
    n_jobs: int | None,
) -> sp.csr_matrix:
    """The CSR matrix of rows whose entries number at most ``bounds``, which ``hash_rows(chunks, out,
    counts, parallel)`` writes chunk by chunk into ``out`` = (indices, values), with their lengths into
    ``counts``: by the ``prange`` loop on ``n_jobs`` threads when ``parallel``, else on this thread.

    Rows go in blocks of at most BLOCK_ENTRIES entries' bound (one block for most inputs); a block's
    chunks are written where the bound puts them, then packed in place."""
    counts = np.zeros(bounds.size, np.int64)
    ends = np.cumsum(bounds)
    splits = np.searchsorted(ends, np.arange(BLOCK_ENTRIES, ends[-1] if ends.size else 0, BLOCK_ENTRIES), "right")
    blocks = np.unique(np.concatenate([[0], splits])).tolist() + [bounds.size]  # a block even of 0 rows
    parts: list[_Out] = []
    n_threads = threads_for(n_jobs)
    for first, last in zip(blocks[:-1], blocks[1:]):
        chunks, total = _chunks(bounds[first:last], first, n_threads)
        # Allocated by NumPy, which asks Linux for huge pages: filling 12.5 million entries took 9 ms
        # instead of 52 ms in arrays Numba allocates (memory the process had used before). Pages of the
        # bound never reached are never touched: they cost address space only.
        out = np.empty(total + 1, np.int32), np.empty(total + 1, np.float64)
        if n_threads == 1:  # no prange: a single thread starts none
            hash_rows(chunks, out, counts, False)
        else:
            with numba_threads(n_threads), parallel_chunksize(1):
                hash_rows(chunks, out, counts, True)
        targets = np.concatenate([[0], np.cumsum(counts[first:last])])[chunks[0] - first]
        _pack(chunks[1], targets, out)
        for array in out:
            # realloc: the pages past the entries go back to the system, none is copied.
            array.resize(int(targets[-1]), refcheck=False)
        parts.append(out)
    indices, values = parts[0] if len(parts) == 1 else [np.concatenate(part) for part in zip(*parts)]
    return _csr(counts, indices, values, n_features)


def _csr(counts: IntArray, indices: IntArray, values: NDArray[np.float64], n_features: int) -> sp.csr_matrix:
    """scikit-learn's CSR of rows of ``counts`` entries: 32-bit row pointers unless the entries
    overflow them, then 64-bit indices."""
    indptr = np.zeros(counts.size + 1, np.int64)
    np.cumsum(counts, out=indptr[1:])
    if indptr[-1] <= MAX_FEATURES:
        indptr = indptr.astype(np.int32)
    else:
        indices = indices.astype(np.int64)
    matrix = sp.csr_matrix((values, indices, indptr), shape=(counts.size, n_features), copy=False)
    matrix.has_sorted_indices = True
    matrix.has_canonical_format = True
    return matrix


def hash_texts(
    texts: Iterable[str | bytes],
    n_features: int = 2**20,
    *,
    ngram_range: tuple[int, int] = (1, 1),
    lowercase: bool = True,
    alternate_sign: bool = True,
    norm: str | None = "l2",
    n_jobs: int | None = None,
) -> sp.csr_matrix:
    """The hashed token counts of ``texts``, a CSR matrix of shape (len(texts), n_features), float64.

    Equal to ``HashingVectorizer(n_features=n_features, ngram_range=ngram_range, lowercase=lowercase,
    alternate_sign=alternate_sign, norm=norm).transform(texts)`` entry for entry (see the module's
    docstring for the math and how it is computed).

    Parameters
    ----------
    texts : sequence of str or pyarrow string array
        A list, NumPy array, pandas Series, any iterable of str, or a pyarrow string array (string,
        large_string, string_view, dictionary of strings; chunked or not, read in place).
        ``bytes`` items are read as UTF-8, as ``HashingVectorizer`` does by default. An empty document
        gives an all-zero row. No documents give a matrix of 0 rows.
    n_features : int
        The number of columns, 1 to 2**31 - 1.
    ngram_range : (min_n, max_n)
        The token n-grams hashed, 1 <= min_n <= max_n.
    lowercase : bool
        Lowercase the text (``str.lower``) before cutting the tokens.
    alternate_sign : bool
        Sign each token's entry by its hash's sign.
    norm : {"l2", "l1", None}
        Each row divided by its norm, or not.
    n_jobs : int or None
        The threads that hash the documents: None or 1 this one, -1 every core (see
        :ref:`every core <every-core>`). The matrix is the same for any number.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (len(texts), n_features)
        The hashed counts, float64, in canonical format (sorted indices, no duplicates).

    Raises
    ------
    ValueError
        For a missing item (None, NaN, an Arrow null), naming its position (``texts[3]``), text that
        is not valid UTF-8, or a bad parameter value.
    TypeError
        For any other non-string item, naming its position, or a parameter of the wrong type.

    Examples
    --------
    >>> from sklearn.feature_extraction.text import HashingVectorizer
    >>> from descend.text import hash_texts
    >>> X = hash_texts(["the cat sat", "The cat, the hat"], n_features=8)
    >>> X.toarray().round(3)  # "the" twice: twice the weight, then each row's L2 norm is 1
    array([[ 0.   ,  0.   ,  0.   ,  0.   ,  0.577,  0.   , -0.577,  0.577],
           [ 0.   ,  0.   ,  0.   ,  0.   ,  0.408,  0.   , -0.816,  0.408]])
    >>> (X != HashingVectorizer(n_features=8).transform(["the cat sat", "The cat, the hat"])).nnz
    0
    >>> hash_texts(["fine", None])
    Traceback (most recent call last):
    ...
    ValueError: texts[1] is missing (None, NaN or null): every item must be a string (an empty document is '')
    """
    hashing, (min_n, max_n), lowercase = _text_parameters(n_features, ngram_range, lowercase, alternate_sign, norm)
    array = _strings(_to_arrow(texts, "texts", "texts[{row}]"), "texts", "texts[{row}]")
    offsets, data = _buffers(array)
    lengths = np.diff(offsets)
    longest = int(lengths.max()) if lengths.size else 0
    tables, growth_points, growth_bytes = _character_tables(array, offsets, data, lowercase)
    # A token is 2 or more code points and is followed by a non-word one (or the end): a document of
    # m code points once lowercased has at most (m + 1) // 3 tokens, and as many n-grams of each n.
    # The scratch holds a document's B lowercased bytes at most, a space after each token (B / 3 + 1
    # at most) and the 3 bytes the hash reads past the last.
    sizes = (int(growth_bytes * longest) * 3 // 2 + 8, (growth_points * longest + 1) // 3 + 1)
    bytes_ = _byte_map(lowercase)

    def hash_rows(chunks: tuple[IntArray, IntArray], out: _Out, counts: IntArray, parallel: bool) -> None:
        if parallel:
            _hash_text_rows(
                chunks, offsets, data, bytes_, lowercase, tables, (min_n, max_n), hashing, sizes, out, counts
            )
            return
        for c in range(chunks[0].size - 1):
            _text_rows(
                (chunks[0][c], chunks[0][c + 1], chunks[1][c]),
                offsets,
                data,
                bytes_,
                lowercase,
                tables,
                (min_n, max_n),
                hashing,
                sizes,
                out,
                counts,
            )

    return _hashed_rows((growth_points * lengths + 1) // 3 * (max_n - min_n + 1), hash_rows, hashing[0], n_jobs)


def _named_columns(columns: Any) -> list[tuple[Any, Any]]:
    """[(name, values)] of a pandas DataFrame, a pyarrow Table or RecordBatch, or a mapping."""
    if isinstance(columns, (pa.Table, pa.RecordBatch)):
        return list(zip(columns.column_names, columns.columns))
    if isinstance(columns, Mapping):
        return list(columns.items())
    if hasattr(columns, "columns") and hasattr(columns, "items"):  # a pandas DataFrame
        return list(columns.items())
    raise TypeError(
        f"columns must be a pandas DataFrame, a pyarrow Table or a mapping of names to values, "
        f"got {type(columns).__name__}"
    )


def _column_strings(name: str, values: Iterable[Any]) -> pa.Array:
    """A categorical column as Arrow strings: strings as they are, integers written in base 10 (as
    ``str`` writes them); other types are a TypeError, a missing value a ValueError, naming the row."""
    what, where = f"column {name!r}", f"column {name!r}, row {{row}}"
    array = _to_arrow(values, what, where, infer=True)
    if pa.types.is_dictionary(array.type):
        array = array.dictionary_decode()
    kind = array.type
    if pa.types.is_integer(kind) or pa.types.is_null(kind):
        array = array.cast(pa.large_string())
    elif not (pa.types.is_string(kind) or pa.types.is_large_string(kind) or pa.types.is_string_view(kind)):
        raise TypeError(
            f"{what} holds {kind} values: hash_columns hashes strings and integers; write other values as strings first"
        )
    return _strings(array, what, where).cast(pa.large_string())


def hash_columns(
    columns: pd.DataFrame | pa.Table | pa.RecordBatch | Mapping[str, Iterable[Any]],
    n_features: int = 2**20,
    *,
    alternate_sign: bool = True,
    norm: str | None = None,
    n_jobs: int | None = None,
) -> sp.csr_matrix:
    """The categorical columns ``columns`` hashed: one token ``"column=value"`` per column in each row.

    Equal to ``FeatureHasher(n_features, input_type="string", alternate_sign=alternate_sign)
    .transform([[f"{name}={value}" for name, value in row] for row in rows])`` entry for entry when
    ``norm`` is None (the default, as FeatureHasher does not normalize); "l2" and "l1" divide each
    row by its norm, as ``hash_texts`` does. A CSR matrix of shape (rows, n_features), float64.

    Parameters
    ----------
    columns : DataFrame, pyarrow Table or RecordBatch, or mapping
        The columns (a mapping is ``{name: values}``); each holds strings (or categories of
        strings) or integers, with no missing value (fill them first, e.g. with "missing").
    n_features : int
        The number of columns of the result, 1 to 2**31 - 1.
    alternate_sign : bool
        Sign each token's entry by its hash's sign.
    norm : {None, "l2", "l1"}
        Each row divided by its norm, or not (the default, as FeatureHasher).
    n_jobs : int or None
        The threads that hash the rows: None or 1 this one, -1 every core. The matrix is the same
        for any number.

    Returns
    -------
    scipy.sparse.csr_matrix of shape (rows, n_features)
        The hashed tokens, float64.

    Raises
    ------
    ValueError
        For no column, columns of different lengths, a missing value (naming the column and row),
        or a bad parameter value.
    TypeError
        For ``columns`` of another type, or a column of values other than strings and integers.

    Examples
    --------
    >>> from descend.text import hash_columns
    >>> hash_columns({"city": ["Lyon", "Oslo"], "rooms": [3, 2]}, n_features=8).toarray()
    array([[ 0.,  1.,  0.,  0.,  0.,  0.,  0.,  1.],
           [ 0.,  1.,  0.,  0.,  0.,  0.,  0., -1.]])
    """
    hashing = _hashing_parameters(n_features, alternate_sign, norm)
    named = _named_columns(columns)
    if not named:
        raise ValueError("columns has no column to hash")
    arrays = [_column_strings(str(name), values) for name, values in named]
    n_rows = len(arrays[0])
    for (name, _), array in zip(named, arrays):
        if len(array) != n_rows:
            raise ValueError(f"column {str(name)!r} has {len(array)} rows, column {str(named[0][0])!r} has {n_rows}")
    prefixes = _buffers(pa.array([f"{name}=" for name, _ in named], pa.large_string()))
    offsets, data = _buffers(pa.concat_arrays(arrays))
    longest = int(np.diff(offsets).max()) if n_rows else 0
    scratch_size = longest + int(np.diff(prefixes[0]).max()) + 3  # 3: the hash reads past a token

    def hash_rows(chunks: tuple[IntArray, IntArray], out: _Out, counts: IntArray, parallel: bool) -> None:
        if parallel:
            _hash_column_rows(chunks, offsets, data, prefixes, hashing, scratch_size, out, counts)
            return
        for c in range(chunks[0].size - 1):
            _column_rows(
                (chunks[0][c], chunks[0][c + 1], chunks[1][c]),
                offsets,
                data,
                prefixes,
                hashing,
                scratch_size,
                out,
                counts,
            )

    return _hashed_rows(np.full(n_rows, len(arrays), np.int64), hash_rows, hashing[0], n_jobs)


class TextHasher(TransformerMixin, BaseEstimator, auto_wrap_output_keys=None):  # type: ignore[call-arg]  # scikit-learn's
    """:func:`hash_texts` as a scikit-learn transformer, for pipelines: stateless (``fit`` checks the
    parameters and learns nothing), ``transform(texts)`` is ``hash_texts(texts, **parameters)``.

    ``HashingVectorizer`` with the same parameters gives the same matrix.

    Parameters
    ----------
    n_features : int
        The number of columns, 1 to 2**31 - 1.
    ngram_range : (min_n, max_n)
        The token n-grams hashed.
    lowercase : bool
        Lowercase the text before cutting the tokens.
    alternate_sign : bool
        Sign each token's entry by its hash's sign.
    norm : {"l2", "l1", None}
        Each row divided by its norm, or not.
    n_jobs : int or None
        The threads that hash the documents: None or 1 this one, -1 every core.

    Examples
    --------
    >>> from sklearn.pipeline import make_pipeline
    >>> from descend import GDClassifier
    >>> from descend.text import TextHasher
    >>> model = make_pipeline(TextHasher(n_features=2**10), GDClassifier())
    >>> model = model.fit(["good film", "great film", "bad film", "awful film"], [1, 1, 0, 0])
    >>> model.predict(["good", "awful"])
    array([1, 0])
    """

    def __init__(
        self,
        n_features: int = 2**20,
        *,
        ngram_range: tuple[int, int] = (1, 1),
        lowercase: bool = True,
        alternate_sign: bool = True,
        norm: str | None = "l2",
        n_jobs: int | None = None,
    ) -> None:
        self.n_features = n_features
        self.ngram_range = ngram_range
        self.lowercase = lowercase
        self.alternate_sign = alternate_sign
        self.norm = norm
        self.n_jobs = n_jobs

    def fit(self, X: object = None, y: object = None) -> TextHasher:
        """Check the parameters; nothing is learned.

        Parameters
        ----------
        X : ignored
            Present for scikit-learn's interface.
        y : ignored
            Present for scikit-learn's interface.

        Returns
        -------
        TextHasher
            This transformer.

        Raises
        ------
        ValueError
            For a bad parameter value.
        TypeError
            For a parameter of the wrong type.
        """
        _text_parameters(self.n_features, self.ngram_range, self.lowercase, self.alternate_sign, self.norm)
        check_n_jobs(self.n_jobs)
        return self

    def transform(self, X: Iterable[str | bytes]) -> sp.csr_matrix:
        """The documents ``X`` hashed: a CSR matrix of shape (len(X), n_features).

        Parameters
        ----------
        X : sequence of str or pyarrow string array
            The documents, as :func:`hash_texts` takes them.

        Returns
        -------
        scipy.sparse.csr_matrix of shape (len(X), n_features)
            ``hash_texts(X, **parameters)``.
        """
        return hash_texts(
            X,
            self.n_features,
            ngram_range=self.ngram_range,
            lowercase=self.lowercase,
            alternate_sign=self.alternate_sign,
            norm=self.norm,
            n_jobs=self.n_jobs,
        )

    def __sklearn_tags__(self) -> Tags:
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
