"""Data larger than memory: chunks of (X, y) read from Parquet or CSV files, epoch after epoch.

A :class:`TableStream` is re-iterable: each ``epoch(rng)`` reads the data
again and yields float chunks ``(X, y)``, turned into numbers by the same
:class:`descend.readers.tables.TablePreprocessor` as ``descend fit`` (learned on the
first rows of the first file). The data is a file, a folder of files or a
glob pattern (``"data/*.parquet"``): one stream whose files must hold the
same columns.

**Memory.** ``memory="80MB"`` (``descend fit --stream --memory``) bounds the
bytes held for data, whatever the files look like: what Arrow holds to read
(a few MB per column being read: a decoded dictionary page and a data page),
the pieces read ahead (``SLOTS`` staging arrays and Arrow's decoded copy: in
slices, a third of what the readers leave), and the shuffle buffer, which
takes what the rest leaves. :func:`plan_memory` makes the plan and says it
in a notice. A Parquet row group of numbers that fits twice in 60% of the
budget is read whole, about 1 MB of decoded columns a call (Arrow then holds
a column chunk or two; its decoding costs a third less than slices of every
column), into two staging arrays of a group; a larger one is read in slices
of rows (``ParquetFile(pre_buffer=False, buffer_size=...)``,
``iter_batches(batch_size=...)``), Arrow holding about 2.5 MB for each
column; when the columns are so many that those readers would take 85% of
the budget, a row group is read a window of rows at a time, a few columns at
a time, each window decoding the group from its start to the window's end:
bounded, but much slower (the notice says how many passes). A CSV is read in
blocks of bytes by pyarrow's streaming reader (``pyarrow.csv.open_csv``,
Arrow's threads off), sized for the reader's ~40 bytes a byte of block.

The budget is for data: a ``descend fit --stream`` process holds about 310
MB besides (see :data:`DEFAULT_MEMORY`), and :func:`return_memory_promptly`
keeps glibc from holding freed buffers.

**Shuffling** out of core, in two stages:

1. the order of the *pieces* (Parquet row groups of every file, shuffled
   together; CSV files) is shuffled every epoch;
2. the rows, as they come, fill a *shuffle buffer* of ``buffer_rows`` rows,
   each at a place drawn at random; a full buffer is handed out in the order
   of its places, a uniform shuffle of those ``buffer_rows`` rows, and fills
   again.

A row can therefore only move within about ``buffer_rows`` of where its piece
lands: with pieces much smaller than the buffer this is close to a full
shuffle; when the file is sorted (by date, by label) and the buffer small,
consecutive steps still see correlated rows, which slows convergence (see
BENCHMARKS.md for a measurement).

**Pace.** A background thread reads the pieces ahead (Arrow's decoding and
the compiled copy release the GIL) into a few recycled staging arrays, while
the training thread scatters each piece's rows and targets into the
row-major shuffle buffer (one compiled call, without the GIL) and runs its
steps on it, in place. Measured on 5,000,000 x 20 in 100,000-row groups: an
epoch spends about 0.27 CPU-s decoding, 0.08 copying to staging, 0.2
scattering and 0.4 in the steps: the training thread is the busier of the
two, and no longer also takes a share of the decoding (as it once did).
"""

from __future__ import annotations

import glob
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np
import pandas as pd

from .._compiled import njit
from ..choices import DEFAULT_MEMORY
from .lines import prefetched
from .tables import (
    HASHED_FEATURES,
    PARQUET_SUFFIXES,
    TEXT_SEPARATORS,
    DataError,
    TablePreprocessor,
    check_data_file,
    check_finite_columns,
    clean_target,
    infer_task,
    table_separator,
    target_array,
    text_dtypes,
)

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Collection, Iterable, Iterator, Sequence
    from types import ModuleType
    from typing import Any, TypeAlias

    import pyarrow as pa
    import pyarrow.parquet as pq

    from .._typing import AnyArray, FloatArray, IntArray, Matrix

    #: A file, a folder or a glob pattern; or the files themselves, as a list or a tuple.
    DataPaths: TypeAlias = (
        str
        | os.PathLike[str]
        | list[str]
        | list[Path]
        | list[str | os.PathLike[str]]
        | tuple[str | os.PathLike[str], ...]
    )
    #: A piece read: (features by rows, or a CSR matrix of rows by features; targets), None when it has no row.
    Piece: TypeAlias = tuple[Matrix, AnyArray] | None

__all__ = [
    "TableStream",
    "sparse_blocks",
    "DEFAULT_MEMORY",
    "memory_bytes",
    "table_files",
    "file_columns",
    "check_same_columns",
    "MemoryPlan",
    "plan_memory",
    "return_memory_promptly",
]

# What Arrow holds to read one Parquet column chunk, at most: its decoded dictionary page and a data
# page (pyarrow and Spark write pages of 1 MiB), with room for the compressed page; less for a smaller chunk.
COLUMN_READ_BYTES = 5 << 19
# Arrow's read buffer per column (ParquetFile's buffer_size).
READ_BUFFER = 1 << 16
# Whether Arrow decodes a slice's columns on its own threads too (the reader thread waits for them).
THREADED_READS = False
# Parquet read in windows of rows, a few columns at a time, only when Arrow's readers of all the columns
# would take more than this share of the budget: windows decode a row group many times over (4.9 s an
# epoch against 2 s on 5,000,000 x 20 in groups of 1,048,576 rows), and save less memory than planned.
WINDOWS_ABOVE = 0.85
# Columns read at once for the first rows, before the plan.
HEAD_COLUMNS = 16
# Staging arrays the reader thread fills ahead: one the training thread uses, one ready, one being read.
SLOTS = 3
# Row groups read whole (when two fit the budget, see plan_memory): two staging arrays of a group each
# (the training thread places one's rows while the reader thread fills the other), Arrow asked for about
# GROUP_READ_BYTES of decoded columns a call, so that it holds a column chunk or two, not a group.
GROUP_SLOTS = 2
GROUP_READ_BYTES = 1 << 20
# The share of the budget the staging of whole row groups may take (the shuffle buffer has the rest).
GROUP_SHARE = 0.6
# The largest and smallest CSV block pyarrow is asked to read at a time.
CSV_BLOCK_BYTES = (1 << 16, 1 << 24)
# What pyarrow's streaming CSV reader holds, in bytes a byte of its block size: measured on a 2 GB CSV of
# 5,000,000 x 21 numbers, its pool peaked at 37 MB with blocks of 1 MB and at 176 MB with 4.7 MB.
CSV_READER_PER_BLOCK_BYTE = 40

_UNITS = {
    "": 1,
    "b": 1,
    "kb": 10**3,
    "mb": 10**6,
    "gb": 10**9,
    "tb": 10**12,
    "k": 10**3,
    "m": 10**6,
    "g": 10**9,
    "kib": 2**10,
    "mib": 2**20,
    "gib": 2**30,
    "tib": 2**40,
}


def memory_bytes(memory: int | np.integer[Any] | str) -> int:
    """A memory size as bytes: an int, or text such as ``"256MB"``, ``"1.5 GB"``, ``"512MiB"`` (kB, MB, GB
    are powers of 1000, KiB, MiB, GiB of 1024, as Dask reads them).

    Parameters
    ----------
    memory : int or str
        A number of bytes, or a number followed by a unit (B, kB, MB, GB, TB, K, M, G, KiB, MiB, GiB,
        TiB; any case, spaces allowed).

    Returns
    -------
    int
        The bytes, more than 0.

    Raises
    ------
    ValueError
        When ``memory`` is not such a size (a bool, an unknown unit) or is not more than 0 bytes.

    Examples
    --------
    >>> memory_bytes("80MB")
    80000000
    >>> memory_bytes("1.5 GB"), memory_bytes("512MiB"), memory_bytes(1000)
    (1500000000, 536870912, 1000)
    """
    if isinstance(memory, (int, np.integer)) and not isinstance(memory, bool):
        value = int(memory)
    else:
        match = re.fullmatch(r"\s*([0-9]*\.?[0-9]+(?:e[0-9]+)?)\s*([a-z]*)\s*", str(memory).lower())
        if match is None or match.group(2) not in _UNITS:
            raise ValueError(f"memory must be a size such as '256MB', '1GB' or a number of bytes, got {memory!r}")
        value = int(float(match.group(1)) * _UNITS[match.group(2)])
    if value <= 0:
        raise ValueError(f"memory must be more than 0 bytes, got {memory!r}")
    return value


def _size(n_bytes: float) -> str:
    return f"{n_bytes / 1e9:.3g} GB" if n_bytes >= 1e9 else f"{n_bytes / 1e6:.3g} MB"


def return_memory_promptly(threshold: int = 1 << 18) -> bool:
    """Have the C allocator (glibc) give every block of ``threshold`` bytes or more back to the system
    when it is freed, for the rest of the process: by default glibc raises that threshold to the
    largest block freed so far (up to 32 MB), so that after an epoch's staging arrays and shuffle buffer
    are freed, blocks of that size come from its heap and stay resident: the process grew by about
    30 MB an epoch on 5,000,000 x 20 (memory 64 MB). ``descend fit --stream`` calls it; a library user
    may. Returns whether the allocator took it (False off glibc).

    Parameters
    ----------
    threshold : int
        Blocks of this many bytes or more are mapped on their own and given back when freed
        (glibc's ``M_MMAP_THRESHOLD``); 256 KiB by default.

    Returns
    -------
    bool
        Whether the allocator took the setting: False when there is no glibc ``mallopt`` (or it refused).

    Examples
    --------
    >>> isinstance(return_memory_promptly(), bool)  # True on glibc
    True
    """
    import ctypes
    import ctypes.util

    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return bool(libc.mallopt(-3, int(threshold)))  # M_MMAP_THRESHOLD: fixed, no longer dynamic
    except (OSError, AttributeError):
        return False


# ------------------------------------------------------------------------------------------ the files
_TABLE_SUFFIXES = PARQUET_SUFFIXES + tuple(TEXT_SEPARATORS)


def table_files(data: DataPaths) -> list[Path]:
    """The files of ``data``: a file, a folder (its Parquet and CSV files) or a glob pattern, sorted by
    name; all of one kind (Parquet, or text tables with one separator). A DataError when there is none.

    Parameters
    ----------
    data : str, Path, or list or tuple of them
        A file, a folder (its files ending in a Parquet or text-table suffix), or a glob pattern
        (``"data/*.parquet"``, ``**`` recursive); a list or tuple is taken as the files themselves, in
        its order.

    Returns
    -------
    list of Path
        The files.

    Raises
    ------
    descend.readers.tables.DataError
        When there is no file (an empty list, a folder without table files, a glob matching nothing, a
        path that does not exist), or when the files are not all of one kind.

    Examples
    --------
    >>> table_files("data")  # doctest: +SKIP
    [PosixPath('data/part0.parquet'), PosixPath('data/part1.parquet')]
    >>> table_files("no/such/file.parquet")
    Traceback (most recent call last):
    ...
    descend.exceptions.DataError: no such file: no/such/file.parquet
    """
    if isinstance(data, (list, tuple)):
        files = [Path(f) for f in data]
        if not files:
            raise DataError("no data files given")
    else:
        path = Path(data)
        if path.is_dir():
            files = sorted(f for f in path.iterdir() if f.is_file() and f.suffix.lower() in _TABLE_SUFFIXES)
            if not files:
                raise DataError(f"{path} is a folder with no .parquet or .csv file")
        elif path.is_file():
            files = [path]
        elif glob.has_magic(str(data)):
            files = sorted(Path(f) for f in glob.glob(str(data), recursive=True) if Path(f).is_file())
            if not files:
                raise DataError(f"no file matches {data}")
        else:
            raise DataError(f"no such file: {path}")
    files = [check_data_file(file) for file in files]
    kinds = [table_separator(file) for file in files]
    for file, kind in zip(files, kinds, strict=True):
        if kind != kinds[0]:
            raise DataError(
                f"{file} is not of the kind of {files[0]}: the files of one stream must be all "
                "Parquet or all text tables with the same separator"
            )
    return files


def file_columns(file: Path, separator: str | None) -> list[str]:
    """A table file's column names, read without its rows.

    Parameters
    ----------
    file : Path
        A Parquet file (``separator`` None: its footer is read) or a text table (its header).
    separator : str or None
        The text table's column separator (:func:`descend.readers.tables.table_separator`), None for Parquet.

    Returns
    -------
    list of str
        The column names, in the file's order.

    Raises
    ------
    descend.readers.tables.DataError
        When the file is empty or cannot be read as that kind of table.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = Path(folder) / "prices.csv"
    ...     _ = path.write_text("area,price\\n50,100\\n")
    ...     file_columns(path, ",")
    ['area', 'price']
    """
    if separator is None:
        import pyarrow.parquet as pq

        try:
            return list(pq.read_schema(file).names)
        except (OSError, ValueError) as error:
            raise DataError(f"{file} could not be read: {str(error).splitlines()[0]}") from None
    try:
        return [str(c) for c in pd.read_csv(file, sep=separator, nrows=0).columns]
    except pd.errors.EmptyDataError:
        raise DataError(f"{file} is empty") from None


def check_same_columns(files: Sequence[Path], names: Sequence[list[str]]) -> list[str]:
    """The first file's columns, ``names[0]``; a DataError naming the file and the column unless every file's
    columns (``names``, one list a file) are those.

    Parameters
    ----------
    files : sequence of Path
        The files, to name in the messages.
    names : sequence of list of str
        The column names of each file, in the order of ``files``.

    Returns
    -------
    list of str
        ``names[0]``, the first file's columns (the order of the others' may differ).

    Raises
    ------
    descend.readers.tables.DataError
        When a file lacks one of the first file's columns, or has one that the first has not.

    Examples
    --------
    >>> from pathlib import Path
    >>> check_same_columns([Path("a.csv"), Path("b.csv")], [["x", "y"], ["y", "x"]])
    ['x', 'y']
    >>> check_same_columns([Path("a.csv"), Path("b.csv")], [["x", "y"], ["x"]])
    Traceback (most recent call last):
    ...
    descend.exceptions.DataError: b.csv has no column 'y', which a.csv has: the files of one stream must hold the same columns
    """
    first = names[0]
    for file, columns in zip(files[1:], names[1:], strict=True):
        missing = [c for c in first if c not in columns]
        extra = [c for c in columns if c not in first]
        if missing:
            raise DataError(
                f"{file} has no column {missing[0]!r}, which {files[0].name} has: the files of "
                "one stream must hold the same columns"
            )
        if extra:
            raise DataError(
                f"{file} has a column {extra[0]!r} that {files[0].name} has not: the files of "
                "one stream must hold the same columns"
            )
    return first


def _missing_file(file: str | os.PathLike[str], error: BaseException) -> DataError:
    return DataError(
        f"{file} could not be read while streaming ({type(error).__name__}: "
        f"{str(error).splitlines()[0] if str(error) else 'gone'}); was it moved or deleted?"
    )


# ------------------------------------------------------------------------------------------ the memory plan
@dataclass(frozen=True)
class MemoryPlan:
    """How a stream spends its budget of ``budget`` bytes (see the module's docstring).

    Made by :func:`plan_memory`; :meth:`notice` says it in words.

    Parameters
    ----------
    budget : int
        The bytes held for data.
    row_bytes : int
        Bytes of a row as read (8 a number, strings as long as they are).
    buffer_row_bytes : int
        Bytes of a row in the shuffle buffer.
    reader_bytes : int
        What Arrow holds for the columns read at once (for a CSV, pyarrow's reader for a block).
    piece_rows : int
        Rows read at a time: a piece (with ``groups``, the largest row group; with ``windows``, a window
        of a row group).
    buffer_rows : int
        Rows of the shuffle buffer.
    windows : bool
        Whether Parquet row groups are read in windows of rows, ``column_batch`` columns at a time, each
        window decoding its group from the start.
    column_batch : int
        Columns read at a time with ``windows`` (else all the columns read).
    block_bytes : int
        For a CSV, the bytes pyarrow reads at a time; 0 for Parquet.
    groups : bool
        Whether Parquet row groups are read whole, a few columns at a time, into ``GROUP_SLOTS`` staging
        arrays of a group each.

    Examples
    --------
    >>> plan = plan_memory("8MB", columns=3, row_bytes=24, buffer_row_bytes=24, column_bytes=1 << 16)
    >>> plan.budget, plan.piece_rows, plan.buffer_rows, plan.windows
    (8000000, 26412, 211301, False)
    >>> plan.notice()
    'memory 8 MB: a shuffle buffer of 211,301 rows (5.07 MB), 26,412 rows read at a time'
    """

    budget: int
    #: Bytes of a row as read (8 a number, strings as long as they are) and of a row in the shuffle buffer.
    row_bytes: int
    buffer_row_bytes: int
    #: What Arrow holds for the columns read at once.
    reader_bytes: int
    #: Rows read at a time: a piece. With ``windows``, a piece is a window of a row group, read
    #: ``column_batch`` columns at a time, each window decoding its group from the start.
    piece_rows: int
    buffer_rows: int
    windows: bool = False
    column_batch: int = 0
    #: CSV: the bytes pyarrow reads at a time (0 for Parquet).
    block_bytes: int = 0
    #: Parquet row groups read whole, a few columns at a time, into GROUP_SLOTS staging arrays of a
    #: group each (``piece_rows`` is the largest group): what Arrow holds is a column chunk or two,
    #: and its decoding costs a third less than slices of all the columns at once.
    groups: bool = False

    def notice(self, group_rows: int = 0) -> str:
        text = (
            f"memory {_size(self.budget)}: a shuffle buffer of {self.buffer_rows:,} rows "
            f"({_size(self.buffer_rows * self.buffer_row_bytes)}), "
        )
        if self.block_bytes:
            return text + f"CSV read in blocks of {_size(self.block_bytes)}"
        if self.groups:
            return text + f"row groups of up to {self.piece_rows:,} rows read whole, a few columns at a time"
        text += f"{self.piece_rows:,} rows read at a time"
        if self.windows:
            passes = -(-group_rows // self.piece_rows) if group_rows else 1
            text += (
                f", {self.column_batch} column(s) at a time: the columns are too many to read all at once "
                f"(Arrow holds about {_size(COLUMN_READ_BYTES)} a column); a row group is decoded "
                f"{(passes + 1) / 2:.3g} times over (a larger --memory reads it in fewer passes)"
            )
        return text


def plan_memory(
    memory: int | np.integer[Any] | str,
    *,
    columns: int,
    row_bytes: int,
    buffer_row_bytes: int,
    column_bytes: int,
    buffer_rows: int | None = None,
    shuffle: bool = True,
    chunk_rows: int = 65_536,
    largest_piece: int | None = None,
    csv_row_bytes: int = 0,
    where: str = "the data",
    rows: int | None = None,
    whole_groups: bool = False,
) -> MemoryPlan:
    """The plan for a budget of ``memory`` bytes for data, as the module's docstring describes it.

    Parameters
    ----------
    memory : int or str
        The budget, as :func:`memory_bytes` reads it.
    columns : int
        The columns read (the features used and the target).
    row_bytes : int
        Bytes of a row as read.
    buffer_row_bytes : int
        Bytes of a row in the shuffle buffer.
    column_bytes : int
        What Arrow holds to read one Parquet column; 0 for a CSV.
    buffer_rows : int, optional
        The shuffle buffer's rows, taken from the budget first; None: what the budget leaves (at most ``rows``).
    shuffle : bool
        Whether rows are shuffled; without shuffling (and no ``buffer_rows``) the buffer is a chunk.
    chunk_rows : int
        Rows per chunk: the buffer's size when there is no shuffling.
    largest_piece : int, optional
        The most rows of a piece (the largest Parquet row group): no piece is read larger.
    csv_row_bytes : int
        Bytes of text of a CSV row, on average (for a CSV).
    where : str
        How the error message names the data.
    rows : int, optional
        The data's rows, when known: a buffer larger would shuffle no better.
    whole_groups : bool
        Whether every column is a number, so that Parquet row groups may be read whole.

    Returns
    -------
    MemoryPlan
        The plan.

    Raises
    ------
    ValueError
        When the budget cannot hold one row (naming ``where`` and what a row needs), or is not a size.

    Examples
    --------
    >>> plan = plan_memory("8MB", columns=3, row_bytes=24, buffer_row_bytes=24, column_bytes=1 << 16)
    >>> plan.reader_bytes, plan.piece_rows, plan.buffer_rows
    (393216, 26412, 211301)
    >>> plan_memory("8MB", columns=3, row_bytes=24, buffer_row_bytes=24, column_bytes=0,
    ...             csv_row_bytes=30).block_bytes
    65536
    >>> plan_memory(100, columns=3, row_bytes=24, buffer_row_bytes=24, column_bytes=1 << 16)
    Traceback (most recent call last):
    ...
    ValueError: memory=0.0001 MB is too small for the data: one row of its 3 columns needs about 0.131 MB (a row takes 24 bytes and Arrow about 0.0655 MB to read each column)
    """
    budget = memory_bytes(memory)
    fixed_buffer = buffer_rows if buffer_rows is not None else (None if shuffle else chunk_rows)
    reserved = 0 if fixed_buffer is None else fixed_buffer * buffer_row_bytes
    left = budget - reserved
    read = _piece_reading(
        left, fixed_buffer, columns, row_bytes, column_bytes, largest_piece, csv_row_bytes, whole_groups
    )
    used = read.reader + read.piece_rows * read.per_row
    buffer = fixed_buffer if fixed_buffer is not None else (left - used) // buffer_row_bytes
    if rows and fixed_buffer is None:
        buffer = min(buffer, max(rows, 1))  # a buffer larger than the data would shuffle no better
    if read.piece_rows < 1 or buffer < (1 if fixed_buffer is None else 0):
        need = (
            reserved
            + (read.reader if column_bytes else CSV_READER_PER_BLOCK_BYTE * csv_row_bytes)
            + read.per_row
            + buffer_row_bytes
        )
        raise _too_small(budget, where, need, columns, row_bytes, column_bytes, fixed_buffer, reserved)
    return MemoryPlan(
        budget,
        row_bytes,
        buffer_row_bytes,
        int(read.reader),
        int(read.piece_rows),
        int(buffer),
        read.windows,
        int(read.column_batch),
        read.block_bytes,
        read.groups,
    )


class _Reading(NamedTuple):
    """How a plan reads its pieces: what Arrow holds to read (``reader`` bytes), the rows of a piece, the
    bytes a row of a piece takes (staged and as Arrow decoded it), and MemoryPlan's fields of the way."""

    reader: int
    piece_rows: int
    per_row: int
    windows: bool
    column_batch: int
    block_bytes: int = 0
    groups: bool = False


def _piece_reading(
    left: int,
    fixed_buffer: int | None,
    columns: int,
    row_bytes: int,
    column_bytes: int,
    largest_piece: int | None,
    csv_row_bytes: int,
    whole_groups: bool,
) -> _Reading:
    """How the pieces are read with ``left`` bytes of the budget: CSV blocks, Parquet row groups whole
    (``whole_groups``: every column a number) when GROUP_SLOTS of the largest take at most GROUP_SHARE of
    it, else in slices or windows of rows."""
    per_row = (SLOTS + 1) * row_bytes  # the staging arrays and the piece as Arrow decoded it
    if column_bytes == 0:  # a CSV: pyarrow holds a few blocks of text as it parses them
        reader, piece_rows, block_bytes = _csv_reading(left, fixed_buffer, per_row, csv_row_bytes)
        return _Reading(reader, piece_rows, per_row, False, columns, block_bytes)
    if (
        whole_groups
        and largest_piece
        and (
            _group_reader_bytes(largest_piece, column_bytes) + GROUP_SLOTS * largest_piece * row_bytes
            <= (left if fixed_buffer is not None else GROUP_SHARE * left)
        )
    ):
        reader = _group_reader_bytes(largest_piece, column_bytes)
        return _Reading(reader, largest_piece, GROUP_SLOTS * row_bytes, False, columns, groups=True)
    return _Reading(
        *_sliced_reading(left, fixed_buffer, per_row, row_bytes, columns, column_bytes, largest_piece, whole_groups)
    )


def _too_small(
    budget: int,
    where: str,
    need: int,
    columns: int,
    row_bytes: int,
    column_bytes: int,
    fixed_buffer: int | None,
    reserved: int,
) -> ValueError:
    """The error of a budget that cannot hold one row, which ``need`` bytes."""
    taken = f" (buffer_rows={fixed_buffer:,} takes {_size(reserved)} of it)" if fixed_buffer else ""
    return ValueError(
        f"memory={_size(budget)} is too small for {where}{taken}: one row of its {columns} "
        f"columns needs about {_size(need)} (a row takes {row_bytes:,} bytes"
        + (f" and Arrow about {_size(column_bytes)} to read each column)" if column_bytes else ")")
    )


def _csv_reading(left: int, fixed_buffer: int | None, per_row: int, csv_row_bytes: int) -> tuple[int, int, int]:
    """(reader bytes, rows a block, block bytes) of a CSV: pyarrow's reader holds about
    CSV_READER_PER_BLOCK_BYTE bytes a byte of block; the blocks take a third of what is left when the
    shuffle buffer is sized from the budget."""
    share = left // 3 if fixed_buffer is None else left
    per_byte = CSV_READER_PER_BLOCK_BYTE + per_row / max(csv_row_bytes, 1)
    block_bytes = int(np.clip(share / per_byte, *CSV_BLOCK_BYTES))
    piece_rows = block_bytes // max(csv_row_bytes, 1) if share >= per_byte * csv_row_bytes else 0
    return CSV_READER_PER_BLOCK_BYTE * block_bytes, piece_rows, block_bytes


def _sliced_reading(
    left: int,
    fixed_buffer: int | None,
    per_row: int,
    row_bytes: int,
    columns: int,
    column_bytes: int,
    largest_piece: int | None,
    numbers_only: bool,
) -> tuple[int, int, int, bool, int]:
    """(reader bytes, rows a piece, bytes a row, windows?, columns a read) of Parquet row groups read in
    slices of rows, or, when Arrow's readers of every column would take more than WINDOWS_ABOVE of
    what is left, in windows of rows a few columns at a time."""
    reader, windows, column_batch = columns * (column_bytes + READ_BUFFER), False, columns
    if reader > WINDOWS_ABOVE * left:
        windows = True
        if numbers_only:  # each column batch is copied to staging as it is decoded
            per_row = SLOTS * row_bytes
        column_batch = int(max(1, min(columns, (left // 8) // (column_bytes + READ_BUFFER))))
        reader = column_batch * (column_bytes + READ_BUFFER)
    share = 1.0 if fixed_buffer is not None else (0.75 if windows else 1 / 3)  # the fewer windows, the better
    piece_rows = int(max(0, left - reader) * share) // per_row
    if largest_piece:
        piece_rows = min(piece_rows, largest_piece)
    return reader, piece_rows, per_row, windows, column_batch


def _group_reader_bytes(group_rows: int, column_bytes: int) -> int:
    """What Arrow holds to read a row group a few columns at a time: the columns of a call, decoded and
    compressed (about as large), and a column's decoded dictionary and page."""
    return 2 * max(GROUP_READ_BYTES, 8 * group_rows) + column_bytes


def _column_batches(columns: list[str], rows: int) -> list[list[str]]:
    """``columns`` cut into runs of about GROUP_READ_BYTES of a ``rows``-row group each (one column of a
    big group, many of a small one, where each call's overhead would show)."""
    per_call = max(1, GROUP_READ_BYTES // max(1, 8 * rows))
    return [columns[first : first + per_call] for first in range(0, len(columns), per_call)]


# ------------------------------------------------------------------------------------------ compiled copies
@njit(cache=True, nogil=True)
def _copy_finite(source: AnyArray, target: FloatArray) -> bool:
    """target[:] = source (as float64); whether every value is finite."""
    finite = True
    for i in range(source.shape[0]):
        value = np.float64(source[i])
        target[i] = value
        finite &= value - value == 0.0  # NaN for NaN and for +-inf
    return finite


@njit(cache=True, nogil=True)
def _place_rows(
    columns: FloatArray, y: AnyArray, start: int, slots: IntArray, buffer: FloatArray, buffer_y: AnyArray
) -> None:
    """buffer[slots[r]] = row start + r of a piece stored feature by feature (columns[j] is feature j),
    buffer_y[slots[r]] = y[start + r]: in one call that releases the GIL (NumPy's buffer_y[slots] = y
    holds it, and the reader thread waited for it)."""
    for r in range(slots.shape[0]):
        row = buffer[slots[r]]
        for j in range(columns.shape[0]):
            row[j] = columns[j, start + r]
        if buffer_y.shape[0]:
            buffer_y[slots[r]] = y[start + r]


_NO_TARGET = np.empty(0)  # for _place_rows: targets it cannot hold (text labels) are placed by NumPy


def _window(file: pq.ParquetFile, group: int, columns: list[str], low: int, high: int, column_batch: int) -> pa.Table:
    """Rows ``low`` to ``high`` of row group ``group`` as an Arrow table, read ``column_batch`` columns at a
    time, each batch decoding the group from its start (Parquet cannot start in the middle of a page
    without its page index)."""
    import pyarrow as pa

    arrays: dict[str, Any] = {}
    for start in range(0, len(columns), column_batch):
        names = columns[start : start + column_batch]
        chunks: list[list[Any]] = [[] for _ in names]
        position = 0
        # batches no longer than the window: a slice keeps its whole batch alive
        for batch in file.iter_batches(
            batch_size=max(1, min(1 << 16, high - low)), row_groups=[group], columns=names, use_threads=False
        ):
            end = position + batch.num_rows
            if end > low:
                part = batch.slice(max(0, low - position), min(end, high) - max(position, low))
                for chunk, column in zip(chunks, part.columns, strict=True):
                    chunk.append(column)
            position = end
            if position >= high:
                break
        arrays.update({name: pa.chunked_array(chunk) for name, chunk in zip(names, chunks, strict=True)})
    return pa.table(arrays)


class _TableFiles:
    """The files of a :class:`TableStream` as it learns them before training: their columns (refused
    unless every file holds the first one's), their Parquet row groups, the first rows and the target
    column; and each Parquet file opened for reading."""

    groups: list[tuple[int, int, int]]
    starts: list[IntArray]
    n_rows: int | None
    metadata: list[pq.FileMetaData]

    def __init__(self, files: list[Path], separator: str | None) -> None:
        self.files, self.separator = files, separator  # separator None: Parquet
        #: (file, group, rows) of every Parquet row group, each file's first row of each group, and their rows.
        self.groups, self.starts, self.n_rows = [], [], None
        #: Bytes of text of a CSV row, on average over the first MB of the first file (0 for Parquet).
        self.csv_row_bytes = 0
        if separator is None:
            self.metadata = [self.parquet(i).metadata for i in range(len(files))]
            check_same_columns(files, [m.schema.to_arrow_schema().names for m in self.metadata])
            for index, metadata in enumerate(self.metadata):
                rows = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
                self.groups += [(index, g, r) for g, r in enumerate(rows)]
                self.starts.append(np.cumsum([0] + rows))
            self.n_rows = sum(r for _, _, r in self.groups)
        else:
            check_same_columns(files, [file_columns(file, separator) for file in files])
            with open(files[0], "rb") as file:
                head = file.read(1 << 20)
            self.csv_row_bytes = max(1, len(head) // max(1, head.count(b"\n") - 1))
        self.largest_group = max((r for _, _, r in self.groups), default=0)

    def parquet(self, index: int) -> pq.ParquetFile:
        """The ``index``-th file, opened for reading (Arrow's read buffer: READ_BUFFER a column)."""
        import pyarrow.parquet as pq

        file = self.files[index]
        try:
            return pq.ParquetFile(file, pre_buffer=False, buffer_size=READ_BUFFER)
        except (OSError, ValueError) as error:  # a file deleted, or not Parquet
            if not file.is_file():
                raise _missing_file(file, error) from None
            raise DataError(f"{file} could not be read: {str(error).splitlines()[0]}") from None

    def column_bytes(self, names: Collection[str]) -> int:
        """What Arrow holds to read one of the columns ``names`` of a Parquet file (its largest column chunk,
        up to COLUMN_READ_BYTES); 0 for a CSV."""
        if self.separator is not None:
            return 0
        sizes = [
            m.row_group(g).column(c).total_uncompressed_size
            for m in self.metadata
            for g in range(m.num_row_groups)
            for c in range(m.num_columns)
            if m.schema.column(c).name in names
        ]
        return min(COLUMN_READ_BYTES, max(sizes, default=0)) or READ_BUFFER

    def head(self, rows: int, text: Iterable[str]) -> pd.DataFrame:
        """The first ``rows`` rows of the first file (the ``text`` columns of a CSV read as strings)."""
        if self.separator is not None:
            try:
                return pd.read_csv(self.files[0], sep=self.separator, nrows=rows, dtype=text_dtypes(text))
            except pd.errors.EmptyDataError:
                raise DataError(f"{self.files[0]} is empty") from None
        import pyarrow as pa

        file, names = self.parquet(0), self.metadata[0].schema.to_arrow_schema().names
        tables, count = [], 0
        for group in range(file.num_row_groups):  # HEAD_COLUMNS at a time: the columns may be many
            if count >= rows:
                break
            high = min(rows - count, file.metadata.row_group(group).num_rows)
            tables.append(_window(file, group, names, 0, high, HEAD_COLUMNS))
            count += high
        frame = pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame()
        del tables, file
        pa.default_memory_pool().release_unused()
        return frame

    def classes(self, target: str, chunk_rows: int) -> AnyArray:
        """The classes of the column ``target`` over every file: one pass over that column only."""
        import pyarrow.compute as pc

        values = set()
        if self.separator is not None:
            for file in self.files:
                for block in pd.read_csv(file, sep=self.separator, usecols=[target], chunksize=chunk_rows):
                    values.update(block[target].dropna().tolist())
        else:
            for index in range(len(self.files)):
                for batch in self.parquet(index).iter_batches(columns=[target], use_threads=False):
                    values.update(pc.unique(batch.column(0).drop_null()).to_pylist())
        numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values)
        return np.array(sorted(values)) if numeric else np.array(sorted(map(str, values)), dtype=object)

    def targets(self, target: str, chunk_rows: int) -> Iterator[tuple[FloatArray, Callable[[int], str]]]:
        """The column ``target`` alone, as :meth:`TableStream.targets` hands it out."""
        for index, path in enumerate(self.files):
            if self.separator is not None:
                with pd.read_csv(path, sep=self.separator, usecols=[target], chunksize=chunk_rows) as blocks:
                    for block in blocks:
                        yield self._numbered_targets(block[target], target, path)
                continue
            file = self.parquet(index)
            for group in range(file.num_row_groups):
                column = file.read_row_group(group, columns=[target], use_threads=False).column(0).to_pandas()
                start = int(self.starts[index][group])
                column.index = pd.RangeIndex(start, start + len(column))
                yield self._numbered_targets(column, target, path)

    def _numbered_targets(self, column: pd.Series, target: str, path: Path) -> tuple[FloatArray, Callable[[int], str]]:
        rows = column.index
        where = "" if len(self.files) == 1 else f"{path}: "
        return target_array(column.rename(target), "regression"), lambda i: f"{where}data row {rows[i] + 1}"


class _FilePieces:
    """How a :class:`TableStream` reads its files piece by piece: Parquet row groups whole, in slices
    or in windows of rows a few columns at a time, as its memory plan says; CSV blocks through
    pyarrow's reader; each piece preprocessed into (rows, targets) in a staging array. (The row groups,
    and the Parquet files opened, are its ``_table_files``'.)"""

    # Set by TableStream.
    files: list[Path]
    separator: str | None
    target: str
    task: str
    classes: AnyArray | None
    preprocessor: TablePreprocessor
    plan: MemoryPlan
    chunk_rows: int
    _read: list[str]
    _table_files: _TableFiles
    _position: dict[str, int]

    def _frame_piece(self, frame: pd.DataFrame, file: Path) -> Piece:
        """The general path: (features by rows, targets) of a DataFrame, through the preprocessor."""
        frame = frame[frame[self.target].notna()] if frame[self.target].isna().any() else frame
        if len(frame) == 0:
            return None
        try:
            if self.task == "regression":
                check_finite_columns(frame, [self.target])  # names the rows; an estimator would only say "Input y"
            X = self.preprocessor.transform(frame, allowed_extra=(self.target,))
        except DataError as error:
            if len(self.files) == 1:
                raise
            raise DataError(f"{file}: {error}") from None
        y = target_array(frame[self.target], self.task, self.classes)
        if not np.isfinite(X.data if self.preprocessor.sparse else X).all():
            # the preprocessor refuses NaN and inf; this keeps blocks_are_finite true
            raise DataError(f"{file}: a feature value is not finite")
        return (X, y) if self.preprocessor.sparse else (X.T, y)

    def _piece(self, part: pa.Table | pa.RecordBatch, first_row: int, file: Path, staging: FloatArray | None) -> Piece:
        """A piece from an Arrow table or batch ``part`` whose first row is the file's ``first_row``:
        its numeric columns straight into ``staging`` when they are all numbers without holes, else
        through pandas and the preprocessor (which fills the holes or names them)."""
        if staging is not None:
            rows = part.num_rows
            columns = staging[:, :rows]
            y: AnyArray | None = None
            for index, name in enumerate(self._read):
                column = part.column(index)
                if column.null_count:
                    break
                if name == self.target:
                    y = target_array(column.to_pandas(), self.task, self.classes)
                    if self.task == "regression" and not np.isfinite(y).all():
                        break
                elif not _copy_finite(column.to_numpy(), columns[index]):
                    break
            else:
                assert y is not None  # the target is read
                return columns[:-1], y  # the target is the last column read
        frame = part.to_pandas()
        frame.index = pd.RangeIndex(first_row, first_row + len(frame))
        return self._frame_piece(frame, file)

    def _group_order(self, rng: np.random.Generator | None) -> list[int]:
        order = np.arange(len(self._table_files.groups))
        if rng is not None:
            rng.shuffle(order)
        return order.tolist()

    def _group_piece(self, file: pq.ParquetFile, group: int, rows: int, staging: FloatArray) -> Piece:
        """Row group ``group`` (``rows`` rows) read a few columns at a time straight into ``staging``
        (features by rows) as (features by rows, targets); None when a column has a hole (a missing
        value, NaN or inf), which the general path names."""
        y: AnyArray | None
        columns, y = staging[:, :rows], None
        for names in _column_batches(self._read, rows):
            part = file.read_row_group(group, columns=names, use_threads=False)
            for name, column in zip(names, part.columns, strict=True):
                if column.null_count:
                    return None
                if name == self.target:
                    y = target_array(column.to_pandas(), self.task, self.classes)
                    if self.task == "regression" and not np.isfinite(y).all():
                        return None
                elif not _copy_finite(column.to_numpy(), columns[self._position[name]]):
                    return None
        assert y is not None  # the target is read
        return columns[:-1], y

    def _whole_groups(
        self, rng: np.random.Generator | None, take: Callable[[], int], staging: list[FloatArray | None]
    ) -> Iterator[tuple[int, Piece]]:
        """(slot, piece) for each Parquet row group of every file, in a shuffled order, read whole by
        :meth:`_group_piece` into the staging array of a slot taken by ``take()``; a group with a hole is
        read again in slices through pandas."""
        opened: dict[int, pq.ParquetFile] = {}
        self._position = {name: j for j, name in enumerate(self._read)}
        for k in self._group_order(rng):
            index, group, rows = self._table_files.groups[k]
            if index not in opened:
                opened.clear()  # one file open at a time
                opened[index] = self._table_files.parquet(index)
            file, name, start = opened[index], self.files[index], int(self._table_files.starts[index][group])
            slot = take()
            if staging[slot] is None:
                staging[slot] = np.empty((len(self._read), self.plan.piece_rows))
            try:
                piece = self._group_piece(file, group, rows, staging[slot])  # type: ignore[arg-type]  # filled above
                if piece is not None:
                    yield slot, piece
                    continue
                first = start
                for n, batch in enumerate(
                    file.iter_batches(
                        batch_size=self.chunk_rows, row_groups=[group], columns=self._read, use_threads=False
                    )
                ):
                    slot = slot if n == 0 else take()
                    yield slot, self._piece(batch, first, name, None)
                    first += batch.num_rows
            except OSError as error:
                raise _missing_file(name, error) from None

    def _window_piece(self, file: pq.ParquetFile, group: int, low: int, high: int, staging: FloatArray) -> Piece:
        """Rows ``low`` to ``high`` of row group ``group``, ``plan.column_batch`` columns at a time, each
        batch decoding the group from its start and copied into ``staging`` as it comes (Arrow holds one
        batch of a few columns, never the window); (features by rows, targets), or None at a hole."""
        targets: list[AnyArray]
        columns, targets = staging[:, : high - low], []
        for start in range(0, len(self._read), self.plan.column_batch):
            names = self._read[start : start + self.plan.column_batch]
            position = 0
            for batch in file.iter_batches(batch_size=1 << 16, row_groups=[group], columns=names, use_threads=False):
                end = position + batch.num_rows
                if end > low:
                    first = max(0, low - position)
                    part = batch.slice(first, min(end, high) - max(position, low))
                    at = max(position, low) - low
                    for name, column in zip(names, part.columns, strict=True):
                        if column.null_count:
                            return None
                        if name == self.target:
                            y = target_array(column.to_pandas(), self.task, self.classes)
                            if self.task == "regression" and not np.isfinite(y).all():
                                return None
                            targets.append(y)
                        elif not _copy_finite(
                            column.to_numpy(), columns[self._position[name], at : at + part.num_rows]
                        ):
                            return None
                position = end
                if position >= high:
                    break
        return columns[:-1], np.concatenate(targets)

    def _windows(
        self, rng: np.random.Generator | None, take: Callable[[], int], staging: list[FloatArray | None]
    ) -> Iterator[tuple[int, Piece]]:
        """(slot, piece) for each window of ``plan.piece_rows`` rows of each row group, the groups in a
        shuffled order, read by :meth:`_window_piece` into the staging array of a slot taken by
        ``take()``; a window with a hole goes through pandas, which names it."""
        opened: dict[int, pq.ParquetFile] = {}
        self._position = {name: j for j, name in enumerate(self._read)}
        for k in self._group_order(rng):
            index, group, rows = self._table_files.groups[k]
            if index not in opened:
                opened.clear()
                opened[index] = self._table_files.parquet(index)
            file, name, start = opened[index], self.files[index], int(self._table_files.starts[index][group])
            try:
                for low in range(0, rows, self.plan.piece_rows):
                    high = min(rows, low + self.plan.piece_rows)
                    slot = take()
                    if staging[slot] is None:
                        staging[slot] = np.empty((len(self._read), self.plan.piece_rows))
                    piece = self._window_piece(file, group, low, high, staging[slot])  # type: ignore[arg-type]  # filled above
                    if piece is None:
                        part = _window(file, group, self._read, low, high, self.plan.column_batch)
                        piece = self._piece(part, start + low, name, None)
                    yield slot, piece
            except OSError as error:
                raise _missing_file(name, error) from None

    def _parquet_parts(self, rng: np.random.Generator | None) -> Iterator[tuple[pa.Table | pa.RecordBatch, int, Path]]:
        """(Arrow part, its file's first row, file) for each piece of an epoch, and the staging it goes
        into: Parquet row groups of every file, in a shuffled order, in slices of ``plan.piece_rows``."""
        opened: dict[int, pq.ParquetFile]
        plan, opened = self.plan, {}
        for k in self._group_order(rng):
            index, group, rows = self._table_files.groups[k]
            if index not in opened:
                opened.clear()  # one file open at a time
                opened[index] = self._table_files.parquet(index)
            file, name, start = opened[index], self.files[index], int(self._table_files.starts[index][group])
            try:
                if not plan.windows:
                    batches = file.iter_batches(
                        batch_size=plan.piece_rows, row_groups=[group], columns=self._read, use_threads=THREADED_READS
                    )
                    first = start
                    for batch in batches:
                        yield batch, first, name
                        first += batch.num_rows
                else:
                    for low in range(0, rows, plan.piece_rows):
                        yield (
                            _window(file, group, self._read, low, min(rows, low + plan.piece_rows), plan.column_batch),
                            start + low,
                            name,
                        )
            except OSError as error:
                raise _missing_file(name, error) from None

    def _csv_parts(self, rng: np.random.Generator | None) -> Iterator[tuple[pa.RecordBatch, int, Path]]:
        """(Arrow batch, its file's first row, file) for each block of every CSV file, the files in a
        shuffled order."""
        import pyarrow as pa
        import pyarrow.csv as pcsv

        order = np.arange(len(self.files))
        if rng is not None:
            rng.shuffle(order)
        types = {c: pa.float64() for c in self.preprocessor.numeric}
        types.update({c: pa.string() for c in self.preprocessor.features if c not in self.preprocessor.numeric})
        if self.task == "regression":
            types[self.target] = pa.float64()
        convert = pcsv.ConvertOptions(column_types=types, include_columns=self._read, strings_can_be_null=True)
        for k in order.tolist():
            name = self.files[k]
            try:
                # Arrow's threads off: this thread parses, as fast on 2 cores, and without their read-ahead
                options = pcsv.ReadOptions(block_size=self.plan.block_bytes, use_threads=False)
                reader = pcsv.open_csv(
                    name,
                    read_options=options,
                    parse_options=pcsv.ParseOptions(delimiter=self.separator),
                    convert_options=convert,
                )
                first = 0
                while True:
                    try:
                        batch = reader.read_next_batch()
                    except StopIteration:
                        break
                    yield batch, first, name
                    first += batch.num_rows
            except FileNotFoundError as error:
                raise _missing_file(name, error) from None
            except pa.ArrowInvalid as error:
                raise DataError(f"{name}: {str(error).splitlines()[0]}") from None


class TableStream(_FilePieces):
    """Chunks of CSV or Parquet files as float arrays, with the CLI's preprocessing.

    Parameters
    ----------
    path : a file (.parquet, or a text table: .csv, .txt, .tsv), a folder of them, or a glob pattern
        (``"data/*.parquet"``); several files are one stream, and must hold the same columns.
    target : the column to predict.
    chunk_rows : rows per chunk handed to the optimizer.
    buffer_rows : size of the shuffle buffer (0: no row shuffling); None: what ``memory`` leaves.
    memory : the bytes held for data (see the module's docstring), e.g. ``"256MB"``; the plan is
        :attr:`plan`, said in :attr:`memory_notice`.
    shuffle : shuffle pieces and rows every epoch.
    impute, task : as for ``descend fit``.
    text, n_features, ngram_range : text columns and the hashed space (see :mod:`descend.readers.tables`). With a
        hashed part (text columns, or categorical columns with many values) the chunks are CSR matrices,
        each hashed as it is read (hashing learns nothing: every chunk is hashed the same way), shuffled
        by :func:`sparse_blocks`.
    sample_rows : the first rows of the first file, from which the preprocessing is learned (and the task
        inferred).

    Raises
    ------
    descend.readers.tables.DataError
        When there is no file, the files' columns or kinds disagree, or the first file has no rows.
    ValueError
        When ``chunk_rows`` is below 1 or ``buffer_rows`` below 0, or the memory is too small for a row
        (:func:`plan_memory`).

    Examples
    --------
    A Parquet file of 1,000 rows (3 numeric features and a target ``y``) in row groups of 250:

    >>> import numpy as np
    >>> stream = TableStream("data.parquet", "y", chunk_rows=256, memory="8MB")  # doctest: +SKIP
    >>> stream.n_rows, stream.n_features, stream.buffer_rows  # doctest: +SKIP
    (1000, 3, 1000)
    >>> stream.memory_notice  # doctest: +SKIP
    'memory 8 MB: a shuffle buffer of 1,000 rows (0.032 MB), row groups of up to 250 rows read whole, a few columns at a time'
    >>> [X.shape for X, y in stream.epoch(np.random.default_rng(0))]  # doctest: +SKIP
    [(256, 3), (256, 3), (256, 3), (232, 3)]
    """

    #: Every feature value that :meth:`blocks` hands out has been checked finite here, so the
    #: estimators need not check the whole shuffle buffer again for each block.
    blocks_are_finite = True

    def __init__(
        self,
        path: DataPaths,
        target: str,
        *,
        chunk_rows: int = 65_536,
        buffer_rows: int | None = None,
        memory: int | np.integer[Any] | str = DEFAULT_MEMORY,
        shuffle: bool = True,
        impute: str = "none",
        task: str | None = None,
        sample_rows: int = 10_000,
        text: Collection[str] = (),
        n_features: int = HASHED_FEATURES,
        ngram_range: Sequence[int] = (1, 1),
    ) -> None:
        self.files = table_files(path)
        self.path = self.files[0] if len(self.files) == 1 else Path(str(path))
        self.separator = table_separator(self.files[0])  # None for Parquet
        self.target = target
        self.chunk_rows = int(chunk_rows)
        if self.chunk_rows < 1 or (buffer_rows is not None and int(buffer_rows) < 0):
            raise ValueError(f"chunk_rows must be >= 1 and buffer_rows >= 0, got {chunk_rows} and {buffer_rows}")
        self.shuffle = bool(shuffle)
        self.notices: list[str] = []
        self.text = list(text)
        self._table_files = _TableFiles(self.files, self.separator)
        first = self._table_files.head(sample_rows, self.text)
        if len(first) == 0:
            raise DataError(f"{self.files[0]} has a header but no rows")
        first = clean_target(first, target, self.notices)
        self.task = task or infer_task(first[target])
        self.preprocessor = TablePreprocessor(impute, text=text, n_features=n_features, ngram_range=ngram_range).fit(
            first, target, self.notices
        )
        self.n_features = self.preprocessor.n_outputs
        self._read = self.preprocessor.features + [target]  # the columns read, ids and free text left out
        #: Rows in the files, when their metadata says (Parquet; counting a CSV's would mean reading it).
        self.n_rows = self._table_files.n_rows
        self.classes = self._table_files.classes(target, self.chunk_rows) if self.task == "classification" else None
        self.plan = self._plan(memory, None if buffer_rows is None else int(buffer_rows), first)
        self.buffer_rows = self.plan.buffer_rows
        self.memory_notice = self.plan.notice(self._table_files.largest_group)
        #: Bytes of the files a row takes, on average (for the progress bar's MB/s).
        size = sum(f.stat().st_size for f in self.files)
        self.bytes_per_row = size / self.n_rows if self.n_rows else self._table_files.csv_row_bytes

    def fingerprint(self) -> list[object]:
        """Enough of the files and the settings to refuse resuming a checkpoint on other data: a
        resumed fit must see, epoch after epoch, the rows the interrupted one would have.

        Returns
        -------
        list
            The file's name and size in bytes (a list of ``[name, size]`` for several files), then
            ``target``, ``n_features``, ``chunk_rows``, ``buffer_rows`` and ``shuffle``: JSON-friendly,
            for the checkpoint.

        Examples
        --------
        >>> stream.fingerprint()  # doctest: +SKIP
        ['data.parquet', 41806, 'y', 3, 256, 1000, True]
        """
        files = [[f.name, f.stat().st_size] for f in self.files]
        return [
            *(files[0] if len(files) == 1 else [files]),
            self.target,
            self.n_features,
            self.chunk_rows,
            self.buffer_rows,
            self.shuffle,
        ]

    # ------------------------------------------------------------- the plan
    def _plan(self, memory: int | np.integer[Any] | str, buffer_rows: int | None, first: pd.DataFrame) -> MemoryPlan:
        read = first[[c for c in self._read if c in first.columns]]
        numeric = self.preprocessor.numeric
        row_bytes = (
            8 * len(self._read)
            if not self._general()
            else int(np.ceil(read.memory_usage(deep=True, index=False).sum() / max(len(read), 1)))
        )
        buffer_row_bytes = 8 * (len(numeric) + 1) if not self.preprocessor.sparse else row_bytes
        files = self._table_files
        where = str(self.path) if len(self.files) == 1 else f"{len(self.files)} files like {self.files[0]}"
        return plan_memory(
            memory,
            columns=len(self._read),
            row_bytes=row_bytes,
            buffer_row_bytes=buffer_row_bytes,
            column_bytes=files.column_bytes(self._read),
            buffer_rows=buffer_rows,
            shuffle=self.shuffle,
            chunk_rows=self.chunk_rows,
            largest_piece=files.largest_group or None,
            csv_row_bytes=files.csv_row_bytes,
            where=where,
            rows=self.n_rows,
            whole_groups=not self._general(),
        )

    def _general(self) -> bool:
        """Whether pieces go through pandas and the preprocessor (categories, hashed columns)."""
        return bool(self.preprocessor.categories) or self.preprocessor.sparse

    def targets(self) -> Iterator[tuple[FloatArray, Callable[[int], str]]]:
        """The target column alone, in the files' order, piece by piece: ``(y, place)``, ``y`` the
        targets as numbers (a missing one NaN), ``place(i)`` how messages name the i-th row ("data row
        17", counted as :func:`descend.readers.tables.read_table`'s rows are, and the file when there are several).
        One pass over that column, for checks that must see every target before training (``descend fit
        --loss poisson``)."""
        yield from self._table_files.targets(self.target, self.chunk_rows)

    def pieces(self, rng: np.random.Generator | None = None) -> Iterator[tuple[Matrix, AnyArray]]:
        """The pieces of the files (slices of Parquet row groups, CSV blocks) as (features by rows,
        targets); row groups (CSV files) in a random order when ``rng`` is given. A piece may live in a
        staging array that the next piece but one overwrites.

        A background thread reads the pieces ahead (:func:`~descend.readers.lines.prefetched`), into ``SLOTS`` staging arrays
        when every feature is a number (else through pandas).

        Parameters
        ----------
        rng : numpy.random.Generator, optional
            Shuffles the order of the row groups (CSV files); None keeps the files' order.

        Yields
        ------
        columns : ndarray or scipy.sparse.csr_matrix
            The piece's features, one row a feature (a CSR matrix of rows by features when there is a
            hashed part).
        y : ndarray
            Its targets.

        Raises
        ------
        descend.readers.tables.DataError
            When a file cannot be read (moved, deleted, malformed) or a value cannot be preprocessed.

        Examples
        --------
        >>> [(X.shape, y.shape) for X, y in stream.pieces()]  # doctest: +SKIP
        [((3, 250), (250,)), ((3, 250), (250,)), ((3, 250), (250,)), ((3, 250), (250,))]
        """
        fast = not self._general()
        if self.plan.groups or (fast and self.plan.windows and self.separator is None):
            slots = GROUP_SLOTS if self.plan.groups else SLOTS
            staging: list[FloatArray | None] = [None] * slots
            read = self._whole_groups if self.plan.groups else self._windows
            yield from (
                piece for piece in prefetched(lambda take: read(rng, take, staging), slots) if piece is not None
            )
            return
        staging = [None] * SLOTS
        parts = self._csv_parts if self.separator is not None else self._parquet_parts

        def produce(take: Callable[[], int]) -> Iterator[tuple[int, Piece]]:
            for part, first, name in parts(rng):
                slot = take()
                if fast and (staging[slot] is None or staging[slot].shape[1] < part.num_rows):  # type: ignore[union-attr]  # not None after "or"
                    staging[slot] = None
                    staging[slot] = np.empty((len(self._read), max(part.num_rows, self.plan.piece_rows)))
                piece = self._piece(part, first, name, staging[slot] if fast else None)
                del part
                yield slot, piece

        for piece in prefetched(produce, SLOTS):
            if piece is not None:
                yield piece

    def blocks(self, rng: np.random.Generator | None = None) -> Iterator[tuple[Matrix, AnyArray, IntArray]]:
        """One pass over the files as ``(X, y, rows)``: the rows to use are ``X[rows]``, in that order.
        (CSR matrices, with a hashed part: :func:`sparse_blocks`.)

        ``X`` is the shuffle buffer itself, overwritten when the next block is
        asked for: use a block before asking for the next (the estimators do;
        :meth:`epoch` hands out copies). This is what keeps an epoch to one
        copy of each row into the buffer and none out. (How the buffer
        shuffles: the module's docstring, **Shuffling**.)

        Parameters
        ----------
        rng : numpy.random.Generator, optional
            Shuffles pieces and rows (when the stream shuffles); None: the files' order.

        Yields
        ------
        X : ndarray or scipy.sparse.csr_matrix
            The shuffle buffer (rows by features), or the last window's rows; a CSR window with a hashed
            part.
        y : ndarray
            Its targets.
        rows : ndarray of int
            The rows of the block, at most ``chunk_rows``, in the order to use them.

        Examples
        --------
        >>> X, y, rows = next(stream.blocks(np.random.default_rng(0)))  # doctest: +SKIP
        >>> X.shape, rows[:3], len(rows)  # doctest: +SKIP
        ((1000, 3), array([0, 1, 2]), 256)
        """
        rng = rng if self.shuffle else None
        blocks = sparse_blocks if self.preprocessor.sparse else _dense_blocks
        yield from blocks(self.pieces(rng), rng, self.buffer_rows, self.chunk_rows)

    def epoch(self, rng: np.random.Generator | None = None) -> Iterator[tuple[Matrix, AnyArray]]:
        """One pass over the files: chunks ``(X, y)`` of at most ``chunk_rows`` rows, copies of their own.

        Parameters
        ----------
        rng : numpy.random.Generator, optional
            Shuffles pieces and rows (when the stream shuffles); None: the files' order.

        Yields
        ------
        X : ndarray or scipy.sparse.csr_matrix
            A chunk's features, rows by features.
        y : ndarray
            Its targets.

        Examples
        --------
        >>> [X.shape for X, y in stream.epoch(np.random.default_rng(0))]  # doctest: +SKIP
        [(256, 3), (256, 3), (256, 3), (232, 3)]
        """
        for X, y, rows in self.blocks(rng):
            yield X[rows], y[rows]

    def __iter__(self) -> Iterator[tuple[Matrix, AnyArray]]:
        return self.epoch()


def _dense_blocks(
    pieces: Iterable[tuple[Matrix, AnyArray]], rng: np.random.Generator | None, buffer_rows: int, chunk_rows: int
) -> Iterator[tuple[Matrix, AnyArray, IntArray]]:
    """``(X, y, rows)`` blocks of dense ``pieces`` (features by rows, targets) through a shuffle buffer
    of ``buffer_rows`` rows, as :meth:`TableStream.blocks` hands them out.

    The buffer takes the rows as they come (pieces in shuffled order), each at a place drawn at random,
    and hands them out in the order of their places, ``chunk_rows`` at a time: a uniform shuffle of each
    window of ``buffer_rows`` rows. Scattering the rows as they come in lets the training loop read the
    buffer forwards, a third faster than reading it in a random order. Without ``rng`` (or with
    ``buffer_rows`` 0) the windows are chunks of rows in file order.
    """
    shuffling = rng is not None and buffer_rows > 0
    # unshuffled (the CLI's metrics pass), the window is a chunk, within what the plan gave the buffer
    size = buffer_rows if shuffling else max(1, min(chunk_rows, buffer_rows or chunk_rows))
    buffer_X: FloatArray | None
    buffer_y: AnyArray | None
    buffer_X = buffer_y = None
    filled = 0
    for columns, y in pieces:
        if buffer_X is None:
            buffer_X = np.empty((size, columns.shape[0]))
            buffer_y = np.empty(size, dtype=y.dtype)
        assert buffer_y is not None  # made with buffer_X
        start = 0
        while start < len(y):
            if filled == 0:
                places = (
                    rng.permutation(size)  # type: ignore[union-attr]  # shuffling: an rng
                    if shuffling
                    else np.arange(size)
                )
            count = min(size - filled, len(y) - start)
            slots = places[filled : filled + count]
            if buffer_y.dtype.kind in "iufb":
                _place_rows(columns, y, start, slots, buffer_X, buffer_y)
            else:  # text labels
                _place_rows(columns, _NO_TARGET, start, slots, buffer_X, _NO_TARGET)
                buffer_y[slots] = y[start : start + count]
            start += count
            filled += count
            if filled == size:
                for first in range(0, size, chunk_rows):
                    yield buffer_X, buffer_y, np.arange(first, min(first + chunk_rows, size))
                filled = 0
    if filled:  # the last window, not full: its rows, in the order of their places
        assert buffer_X is not None and buffer_y is not None  # made for the first piece
        taken = np.sort(places[:filled])
        X, y = buffer_X[taken], buffer_y[taken]
        for first in range(0, filled, chunk_rows):
            yield X, y, np.arange(first, min(first + chunk_rows, filled))


def sparse_blocks(
    pieces: Iterable[tuple[Matrix, AnyArray]], rng: np.random.Generator | None, buffer_rows: int, chunk_rows: int
) -> Iterator[tuple[Matrix, AnyArray, IntArray]]:
    """``(X, y, rows)`` blocks of CSR ``pieces`` ``(X, y)``, shuffled as :meth:`TableStream.blocks` shuffles
    dense rows: the pieces, as they come, fill a window of at least ``buffer_rows`` rows (the pieces of it
    stacked into one CSR matrix, bounded by the window and a piece), whose rows are handed out in a
    uniformly random order, ``chunk_rows`` at a time; ``X`` is the whole window and ``rows`` the rows to
    use, in that order, so that no chunk is copied. Without ``rng`` (or with ``buffer_rows`` 0) each piece
    is a window, in file order.

    Parameters
    ----------
    pieces : iterable of (scipy.sparse.csr_matrix, ndarray)
        The pieces ``(X, y)``, in file order.
    rng : numpy.random.Generator or None
        Shuffles the rows of each window; None keeps the file's order.
    buffer_rows : int
        The least rows of a window (0: a window per piece).
    chunk_rows : int
        Rows per block.

    Yields
    ------
    X : scipy.sparse.csr_matrix
        The window.
    y : ndarray
        Its targets.
    rows : ndarray of int
        The rows of the block, in the order to use them.

    Examples
    --------
    >>> import numpy as np
    >>> import scipy.sparse as sp
    >>> from descend.readers.stream import sparse_blocks
    >>> pieces = [(sp.csr_matrix(np.eye(3)), np.array([0.0, 1.0, 2.0])),
    ...           (sp.csr_matrix(np.eye(3)), np.array([3.0, 4.0, 5.0]))]
    >>> [(X.shape, rows) for X, y, rows in sparse_blocks(pieces, None, 0, 2)]
    [((3, 3), array([0, 1])), ((3, 3), array([2])), ((3, 3), array([0, 1])), ((3, 3), array([2]))]
    >>> [(X.shape, rows) for X, y, rows in sparse_blocks(pieces, np.random.default_rng(0), 6, 4)]
    [((6, 3), array([3, 2, 5, 4])), ((6, 3), array([0, 1]))]
    """
    import scipy.sparse as sp

    shuffling = rng is not None and buffer_rows > 0
    window: list[tuple[Matrix, AnyArray]]
    window, count = [], 0
    for X, y in pieces:
        window.append((X, y))
        count += X.shape[0]
        if shuffling and count < buffer_rows:
            continue
        yield from _window_blocks(sp, window, rng if shuffling else None, chunk_rows)
        window, count = [], 0
    if window:
        yield from _window_blocks(sp, window, rng if shuffling else None, chunk_rows)


def _window_blocks(
    sp: ModuleType, window: list[tuple[Matrix, AnyArray]], rng: np.random.Generator | None, chunk_rows: int
) -> Iterator[tuple[Matrix, AnyArray, IntArray]]:
    X = window[0][0] if len(window) == 1 else sp.vstack([piece[0] for piece in window], format="csr")
    y = np.concatenate([piece[1] for piece in window])
    order = rng.permutation(len(y)) if rng is not None else np.arange(len(y))
    for first in range(0, len(y), chunk_rows):
        yield X, y, order[first : first + chunk_rows]
