"""Data larger than memory: chunks of (X, y) read from Parquet or CSV files, epoch after epoch.

A :class:`TableStream` is re-iterable: each ``epoch(rng)`` reads the file
again and yields float chunks ``(X, y)``, turned into numbers by the same
:class:`descend.tabular.TablePreprocessor` as ``descend fit`` (learned on the
first rows). Memory is bounded by the shuffle buffer and two pieces of the
file (Parquet row groups, CSV blocks), not by the file.

Shuffling out of core, in two stages:

1. the order of the *pieces* of the file (Parquet row groups, CSV blocks of
   ``chunk_rows``) is shuffled every epoch;
2. the rows, as they come, fill a *shuffle buffer* of ``buffer_rows`` rows,
   each at a place drawn at random; a full buffer is handed out in the order
   of its places, a uniform shuffle of those ``buffer_rows`` rows, and fills
   again.

A row can therefore only move within about ``buffer_rows`` of where its piece
lands: with pieces much smaller than the buffer this is close to a full
shuffle; when the file is sorted (by date, by label) and the buffer small,
consecutive steps still see correlated rows, which slows convergence (see
BENCHMARKS.md for a measurement).

How an epoch keeps to its memory and its pace: Parquet row groups are read
a column at a time (so Arrow holds one column chunk, not a whole group) into
one of two recycled staging arrays, feature by feature; a compiled loop
scatters their rows into the row-major shuffle buffer, which the training
loop then reads in order, in place. The next piece is read while the current
one trains: a background thread starts on its columns, and the training
thread, once done with its steps, takes the columns still unread (pyarrow and
the compiled loops release the GIL), so the two cores share the decoding.
"""

from __future__ import annotations

import itertools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from numba import njit

from .tabular import (HASHED_FEATURES, DataError, TablePreprocessor, check_finite_columns, clean_target,
                      infer_task, table_separator, target_array, text_dtypes)

__all__ = ["TableStream", "sparse_blocks"]

# Arrow decodes about this many bytes of a row group per read call: one column
# chunk of a big group, many of a small one (where each call's overhead would show).
READ_BYTES = 1 << 20


def _column_batches(columns, rows):
    """``columns`` cut into runs of about READ_BYTES of a ``rows``-row group each: Arrow then
    holds one such run of decoded data at a time, not the whole group (a 100,000 x 21 group
    read in one call raised the peak memory by about 60 MB more than column by column)."""
    per_call = max(1, READ_BYTES // max(1, 8 * rows))
    return [columns[first:first + per_call] for first in range(0, len(columns), per_call)]


@njit(cache=True, nogil=True)
def _copy_finite(source, target):
    """target[:] = source (as float64); whether every value is finite."""
    finite = True
    for i in range(source.shape[0]):
        value = np.float64(source[i])
        target[i] = value
        finite &= value - value == 0.0  # NaN for NaN and for +-inf
    return finite


@njit(cache=True, nogil=True)
def _place_rows(columns, start, slots, buffer):
    """buffer[slots[r]] = row start + r of a piece stored feature by feature (columns[j] is feature j)."""
    for r in range(slots.shape[0]):
        row = buffer[slots[r]]
        for j in range(columns.shape[0]):
            row[j] = columns[j, start + r]


@dataclass(frozen=True)
class _PieceSource:
    """What a piece reader needs of its stream, and all it uses of it.

    The fast path reads a row group's numeric columns straight into a staging
    array; the general path (categories, a hole, a CSV block) takes the piece
    through pandas and the stream's preprocessor.
    """

    #: The columns the fast path reads (the numeric features, then the target); None when every
    #: piece takes the general path (a CSV, a categorical feature).
    fast_columns: list[str] | None
    #: Rows in each Parquet row group (none for a CSV).
    group_rows: list[int]
    #: The row of the staging array that holds each numeric feature.
    feature_index: dict[str, int]
    #: The target column, the task and the classes (None for regression): how targets become labels.
    target: str
    task: str
    classes: np.ndarray | None
    #: The general path, Parquet: ``group_frame(file, group)`` is a row group as a DataFrame
    #: indexed by the file's row numbers.
    group_frame: Callable[..., pd.DataFrame]
    #: The general path: ``frame_piece(frame)`` is (features by rows, targets) of a DataFrame through
    #: the preprocessor, None if no row has a target.
    frame_piece: Callable[[pd.DataFrame], tuple | None]


class _PieceRead:
    """The reading of one piece of the file, cut into tasks that either thread may take.

    A Parquet row group on the fast path is a task per few columns, each
    copied into the staging array as soon as it is decoded; a piece on the
    general path (categories, a hole, a CSV block) is one task. The
    background reader takes the tasks in order as soon as the piece is
    started; the training thread takes those left when it comes for the
    piece (:meth:`finish`). Each task writes its own columns: which thread
    did which changes nothing in the result.
    """

    def __init__(self, source: _PieceSource, group, staging, csv=None):
        self.source, self.group, self.csv = source, group, csv
        self.fast = csv is None and source.fast_columns is not None
        if self.fast:
            rows = source.group_rows[group]
            self.columns, self.y = staging[:, :rows], None
            self.tasks = _column_batches(source.fast_columns, rows)
        else:
            self.tasks = [None]  # the whole piece, through pandas
        self.piece = None  # what the general path made of it
        self.holed = False  # the fast path met a hole or a NaN or an inf: the general path names it
        self.ended = False  # the CSV had no block left
        self.error = None
        self.cancelled = False
        self._next = self._running = 0
        self._turn = threading.Condition()

    def _claim(self):
        with self._turn:
            if self._next == len(self.tasks) or self.error is not None or self.cancelled or self.holed:
                return None
            self._next += 1
            self._running += 1
            return self._next - 1

    def work(self, file):
        """Take tasks until none is left (or one has failed)."""
        while (task := self._claim()) is not None:
            try:
                if self.fast:
                    self._read_columns(file, self.tasks[task])
                else:
                    self.piece = self._read_piece(file)
            except BaseException as error:  # handed to the training thread by finish()
                self.error = self.error or error
            finally:
                with self._turn:
                    self._running -= 1
                    self._turn.notify_all()

    def _wait(self):
        """Until no task is under way (none is started after this, as none is left to claim)."""
        with self._turn:
            self._turn.wait_for(lambda: self._running == 0)

    def cancel(self):
        self.cancelled = True
        self._wait()

    def finish(self, file):
        """Help with the tasks left, wait for the other thread's; the piece as (features by rows,
        targets), None if it has no rows."""
        self.work(file)
        self._wait()
        if self.error is not None:
            raise self.error
        if self.holed:
            return self._read_piece(file)
        return (self.columns, self.y) if self.fast else self.piece

    def _read_columns(self, file, names):
        """The fast path: a few numeric columns of a row group, into the staging array."""
        source = self.source
        part = file.read_row_group(self.group, columns=names, use_threads=False)
        for name, column in zip(part.column_names, part.columns, strict=True):
            if column.null_count:
                self.holed = True  # the general path drops the row or names the column
                return
            if name == source.target:
                y = target_array(column.to_pandas(), source.task, source.classes)
                if source.task == "regression" and not np.isfinite(y).all():
                    self.holed = True  # the general path names the row
                    return
                self.y = y
            elif not _copy_finite(column.to_numpy(), self.columns[source.feature_index[name]]):
                self.holed = True  # the general path names the column
                return

    def _read_piece(self, file):
        """The general path: the piece through pandas and the preprocessor."""
        if self.csv is None:
            return self.source.frame_piece(self.source.group_frame(file, self.group))
        frame = next(self.csv, None)
        self.ended = frame is None
        return None if frame is None else self.source.frame_piece(frame)


class TableStream:
    """Chunks of a CSV or Parquet file as float arrays, with the CLI's preprocessing.

    Parameters
    ----------
    path : the file (.parquet, or a text table: .csv, .txt, .tsv).
    target : the column to predict.
    chunk_rows : rows per chunk handed to the optimizer (and per CSV block).
    buffer_rows : size of the shuffle buffer (0: no row shuffling).
    shuffle : shuffle pieces and rows every epoch.
    impute, task : as for ``descend fit``.
    text, n_features, ngram_range : text columns and the hashed space (see :mod:`descend.tabular`). With a
        hashed part (text columns, or categorical columns with many values) the chunks are CSR matrices,
        each hashed as it is read (hashing learns nothing: every chunk is hashed the same way), shuffled
        by :func:`sparse_blocks`.
    """

    #: Every feature value that :meth:`blocks` hands out has been checked finite here, so the
    #: estimators need not check the whole shuffle buffer again for each block.
    blocks_are_finite = True

    def __init__(self, path, target, *, chunk_rows=65_536, buffer_rows=262_144, shuffle=True, impute="none",
                 task=None, sample_rows=10_000, text=(), n_features=HASHED_FEATURES, ngram_range=(1, 1)):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"no such file: {self.path}")
        self.separator = table_separator(self.path)  # None for Parquet
        self.target = target
        self.chunk_rows = int(chunk_rows)
        self.buffer_rows = int(buffer_rows)
        if self.chunk_rows < 1 or self.buffer_rows < 0:
            raise ValueError(f"chunk_rows must be >= 1 and buffer_rows >= 0, got {chunk_rows} and {buffer_rows}")
        self.shuffle = bool(shuffle)
        self.notices: list[str] = []
        self.text = list(text)
        first = self._head(sample_rows)
        if self.separator is None:
            import pyarrow as pa

            pa.default_memory_pool().release_unused()  # what Arrow kept of the head's read (about 30 MB)
        if len(first) == 0:
            raise DataError(f"{self.path} has a header but no rows")
        first = clean_target(first, target, self.notices)
        self.task = task or infer_task(first[target])
        self.preprocessor = TablePreprocessor(impute, text=text, n_features=n_features,
                                              ngram_range=ngram_range).fit(first, target, self.notices)
        self.classes = self._scan_classes() if self.task == "classification" else None
        self.n_features = self.preprocessor.n_outputs
        #: Rows in the file, when its metadata says (Parquet; counting a CSV's would mean reading it).
        self.n_rows = None
        if self.separator is None:
            metadata = self._parquet().metadata
            self._group_rows = [metadata.row_group(g).num_rows for g in range(metadata.num_row_groups)]
            self._group_starts = np.cumsum([0] + self._group_rows)  # messages name rows by their place in the file
            self.n_rows = metadata.num_rows

    def fingerprint(self):
        """Enough of the file and the settings to refuse resuming a checkpoint on other data: a
        resumed fit must see, epoch after epoch, the rows the interrupted one would have."""
        return [self.path.name, self.path.stat().st_size, self.target, self.n_features, self.chunk_rows,
                self.buffer_rows, self.shuffle]

    # ------------------------------------------------------------- reading
    def _parquet(self):
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path)

    def _read_group(self, file, group, columns, rows=None):
        """Row group ``group`` (its first ``rows`` rows) as one Arrow table."""
        import pyarrow as pa

        parts = {}
        for batch in _column_batches(columns, file.metadata.row_group(group).num_rows):
            part = file.read_row_group(group, columns=batch, use_threads=False)
            part = part if rows is None else part.slice(0, rows)
            parts.update(zip(part.column_names, part.columns, strict=True))
        return pa.table(parts)

    def _group_frame(self, file, group):
        """Row group ``group`` as a DataFrame indexed by the file's row numbers."""
        frame = self._read_group(file, group, self.preprocessor.features + [self.target]).to_pandas()
        frame.index = pd.RangeIndex(self._group_starts[group], self._group_starts[group] + len(frame))
        return frame

    def _head(self, rows) -> pd.DataFrame:
        if self.separator is not None:
            try:
                return pd.read_csv(self.path, sep=self.separator, nrows=rows, dtype=text_dtypes(self.text))
            except pd.errors.EmptyDataError:
                raise DataError(f"{self.path} is empty") from None
        import pyarrow as pa

        file = self._parquet()
        tables, count = [], 0
        for group in range(file.num_row_groups):
            if count >= rows:
                break
            tables.append(self._read_group(file, group, file.schema_arrow.names, rows - count))
            count += len(tables[-1])
        return pa.concat_tables(tables).to_pandas() if tables else pd.DataFrame()

    def _scan_classes(self):
        """The classes of the target over the whole file: one pass over that column only."""
        if self.separator is not None:
            values = set()
            for block in pd.read_csv(self.path, sep=self.separator, usecols=[self.target],
                                     chunksize=self.chunk_rows):
                values.update(block[self.target].dropna().tolist())
        else:
            values = set(self._parquet().read(columns=[self.target]).column(0).drop_null().to_pylist())
        numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values)
        return np.array(sorted(values)) if numeric else np.array(sorted(map(str, values)), dtype=object)

    def targets(self):
        """The target column alone, in the file's order, piece by piece: ``(y, place)``, ``y`` the
        targets as numbers (a missing one NaN), ``place(i)`` how messages name the i-th row ("data row
        17", counted as :func:`descend.tabular.read_table`'s rows are). One pass over that column, for
        checks that must see every target before training (``descend fit --loss poisson``)."""
        if self.separator is not None:
            with pd.read_csv(self.path, sep=self.separator, usecols=[self.target], chunksize=self.chunk_rows) as blocks:
                for block in blocks:
                    yield self._numbered_targets(block[self.target])
            return
        file = self._parquet()
        for group in range(file.num_row_groups):
            column = file.read_row_group(group, columns=[self.target], use_threads=False).column(0).to_pandas()
            column.index = pd.RangeIndex(self._group_starts[group], self._group_starts[group + 1])
            yield self._numbered_targets(column)

    def _numbered_targets(self, column):
        rows = column.index
        return (target_array(column.rename(self.target), "regression"),
                lambda i: f"data row {rows[i] + 1}")

    def _frame_piece(self, frame):
        """The general path: (features by rows, targets) of a DataFrame, through the preprocessor."""
        frame = frame[frame[self.target].notna()] if frame[self.target].isna().any() else frame
        if len(frame) == 0:
            return None
        if self.task == "regression":
            check_finite_columns(frame, [self.target])  # names the rows; an estimator would only say "Input y"
        X = self.preprocessor.transform(frame, allowed_extra=(self.target,))
        y = target_array(frame[self.target], self.task, self.classes)
        if not np.isfinite(X.data if self.preprocessor.sparse else X).all():
            # the preprocessor refuses NaN and inf; this keeps blocks_are_finite true
            raise DataError(f"{self.path}: a feature value is not finite")
        return (X, y) if self.preprocessor.sparse else (X.T, y)

    def _piece_source(self):
        """What the piece readers of an epoch use of this stream; the fast path needs every feature
        a number and a Parquet file."""
        numeric = self.preprocessor.numeric
        fast = self.separator is None and not self.preprocessor.categories and not self.preprocessor.sparse
        return _PieceSource(fast_columns=numeric + [self.target] if fast else None,
                            group_rows=self._group_rows if self.separator is None else [],
                            feature_index={name: j for j, name in enumerate(numeric)},
                            target=self.target, task=self.task, classes=self.classes,
                            group_frame=self._group_frame, frame_piece=self._frame_piece)

    def pieces(self, rng=None):
        """The file's pieces (Parquet row groups, CSV blocks of ``chunk_rows``) as (features by
        rows, targets); row groups in a random order when ``rng`` is given. A piece may live in
        a staging array that the next piece but one overwrites.

        Each piece is started by a background thread while the training loop
        uses the one before, and finished by both (:class:`_PieceRead`). Two
        threads are right for two cores: a second background reader slowed the
        epoch down, as three busy threads took turns on them.
        """
        file = reader_file = csv = staging = None
        source = self._piece_source()
        if self.separator is not None:
            # A CSV cannot be read from the middle cheaply: its blocks are read in order, and
            # shuffled within a window of the buffer's size instead.
            csv = pd.read_csv(self.path, sep=self.separator, chunksize=self.chunk_rows, dtype=text_dtypes(self.text))
            groups = itertools.repeat(None)  # until the file ends
        else:
            groups = np.arange(len(self._group_rows))
            if rng is not None:
                rng.shuffle(groups)
            groups = groups.tolist()
            file, reader_file = self._parquet(), self._parquet()  # one each: a file reader is not for two threads
            staging = [np.empty((len(self.preprocessor.numeric), max(self._group_rows, default=0)))
                       for _ in range(2)]
        previous = read = job = None
        with ThreadPoolExecutor(1, thread_name_prefix="descend-read") as reader:
            try:
                for k, group in enumerate(groups):
                    read = _PieceRead(source, group, None if staging is None else staging[k % 2], csv)
                    job = reader.submit(read.work, reader_file)
                    if previous is not None:
                        yield previous
                    previous = read.finish(file)
                    if read.ended:
                        break
                if previous is not None:
                    yield previous
            finally:
                if read is not None:
                    read.cancel()
                if job is not None:
                    job.result()  # the reader has left the file: it may be closed
                if csv is not None:
                    csv.close()

    def blocks(self, rng=None):
        """One pass over the file as ``(X, y, rows)``: the rows to use are ``X[rows]``, in that order.
        (CSR matrices, with a hashed part: :func:`sparse_blocks`.)

        ``X`` is the shuffle buffer itself, overwritten when the next block is
        asked for: use a block before asking for the next (the estimators do;
        :meth:`epoch` hands out copies). This is what keeps an epoch to one
        copy of each row into the buffer and none out.

        The shuffle buffer takes the rows ``buffer_rows`` at a time, as they
        come (row groups in shuffled order), each at a place drawn at random,
        and hands them out in the order of their places: a uniform shuffle of
        each window of ``buffer_rows`` rows. Scattering the rows as they come
        in lets the training loop read the buffer forwards, a third faster
        than reading it in a random order. Without shuffling, the windows are
        chunks of rows in file order.
        """
        rng = rng if self.shuffle else None
        if self.preprocessor.sparse:
            yield from sparse_blocks(self.pieces(rng), rng, self.buffer_rows, self.chunk_rows)
            return
        shuffling = rng is not None and self.buffer_rows > 0
        size = self.buffer_rows if shuffling else self.chunk_rows
        buffer_X = buffer_y = None
        filled = 0
        for columns, y in self.pieces(rng):
            if buffer_X is None:
                buffer_X = np.empty((size, columns.shape[0]))
                buffer_y = np.empty(size, dtype=y.dtype)
            start = 0
            while start < len(y):
                if filled == 0:
                    places = rng.permutation(size) if shuffling else np.arange(size)
                count = min(size - filled, len(y) - start)
                slots = places[filled:filled + count]
                _place_rows(columns, start, slots, buffer_X)
                buffer_y[slots] = y[start:start + count]
                start += count
                filled += count
                if filled == size:
                    for first in range(0, size, self.chunk_rows):
                        yield buffer_X, buffer_y, np.arange(first, min(first + self.chunk_rows, size))
                    filled = 0
        if filled:  # the last window, not full: its rows, in the order of their places
            taken = np.sort(places[:filled])
            X, y = buffer_X[taken], buffer_y[taken]
            for first in range(0, filled, self.chunk_rows):
                yield X, y, np.arange(first, min(first + self.chunk_rows, filled))

    def epoch(self, rng=None):
        """One pass over the file: chunks ``(X, y)`` of at most ``chunk_rows`` rows, copies of their own."""
        for X, y, rows in self.blocks(rng):
            yield X[rows], y[rows]

    def __iter__(self):
        return self.epoch()


def sparse_blocks(pieces, rng, buffer_rows, chunk_rows):
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
    >>> from descend.stream import sparse_blocks
    >>> pieces = [(sp.csr_matrix(np.eye(3)), np.array([0.0, 1.0, 2.0])),
    ...           (sp.csr_matrix(np.eye(3)), np.array([3.0, 4.0, 5.0]))]
    >>> [(X.shape, rows) for X, y, rows in sparse_blocks(pieces, None, 0, 2)]
    [((3, 3), array([0, 1])), ((3, 3), array([2])), ((3, 3), array([0, 1])), ((3, 3), array([2]))]
    >>> [(X.shape, rows) for X, y, rows in sparse_blocks(pieces, np.random.default_rng(0), 6, 4)]
    [((6, 3), array([3, 2, 5, 4])), ((6, 3), array([0, 1]))]
    """
    import scipy.sparse as sp

    shuffling = rng is not None and buffer_rows > 0
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


def _window_blocks(sp, window, rng, chunk_rows):
    X = window[0][0] if len(window) == 1 else sp.vstack([piece[0] for piece in window], format="csr")
    y = np.concatenate([piece[1] for piece in window])
    order = rng.permutation(len(y)) if rng is not None else np.arange(len(y))
    for first in range(0, len(y), chunk_rows):
        yield X, y, order[first:first + chunk_rows]
