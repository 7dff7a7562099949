"""Data larger than memory: chunks of (X, y) read from Parquet or CSV files, epoch after epoch.

A :class:`TableStream` is re-iterable: each ``epoch(rng)`` reads the file
again and yields float chunks ``(X, y)``, turned into numbers by the same
:class:`descend.tabular.TablePreprocessor` as ``descend fit`` (learned on the
first rows). Memory is bounded by the chunk and buffer sizes, not by the file.

Shuffling out of core, in two stages:

1. the order of the *pieces* of the file (Parquet row groups, CSV blocks of
   ``chunk_rows``) is shuffled every epoch;
2. rows pass through a *shuffle buffer* of ``buffer_rows``: each new row
   takes the place of a row drawn at random from the buffer, which leaves.

A row can therefore only move within about ``buffer_rows`` of where its piece
lands: with pieces much smaller than the buffer this is close to a full
shuffle; when the file is sorted (by date, by label) and the buffer small,
consecutive steps still see correlated rows, which slows convergence (see
BENCHMARKS.md for a measurement).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from .tabular import DataError, TablePreprocessor, clean_target, infer_task

__all__ = ["TableStream", "open_stream"]


class TableStream:
    """Chunks of a CSV or Parquet file as float arrays, with the CLI's preprocessing.

    Parameters
    ----------
    path : the file (.csv or .parquet).
    target : the column to predict.
    chunk_rows : rows per chunk handed to the optimizer (and per CSV block).
    buffer_rows : size of the shuffle buffer (0: no row shuffling).
    shuffle : shuffle pieces and rows every epoch.
    impute, task : as for ``descend fit``.
    """

    def __init__(self, path, target, *, chunk_rows=65_536, buffer_rows=262_144, shuffle=True, impute="none",
                 task=None, sample_rows=10_000):
        self.path = Path(path)
        if not self.path.is_file():
            raise DataError(f"no such file: {self.path}")
        self.suffix = self.path.suffix.lower()
        if self.suffix not in (".csv", ".parquet", ".pq"):
            raise DataError(f"{self.path}: streaming reads .csv or .parquet files, not {self.suffix!r}")
        self.target = target
        self.chunk_rows = int(chunk_rows)
        self.buffer_rows = int(buffer_rows)
        self.shuffle = bool(shuffle)
        self.notices: list[str] = []
        first = self._head(sample_rows)
        if len(first) == 0:
            raise DataError(f"{self.path} has a header but no rows")
        first = clean_target(first, target, self.notices)
        self.task = task or infer_task(first[target])
        self.preprocessor = TablePreprocessor(impute).fit(first, target, self.notices)
        self.classes = self._scan_classes() if self.task == "classification" else None
        self.n_features = len(self.preprocessor.output_names)

    # ------------------------------------------------------------- reading
    def _parquet(self):
        import pyarrow.parquet as pq

        return pq.ParquetFile(self.path)

    def _head(self, rows) -> pd.DataFrame:
        if self.suffix == ".csv":
            try:
                return pd.read_csv(self.path, nrows=rows)
            except pd.errors.EmptyDataError:
                raise DataError(f"{self.path} is empty") from None
        file = self._parquet()
        return next(file.iter_batches(batch_size=rows)).to_pandas() if file.metadata.num_rows else pd.DataFrame()

    def _scan_classes(self):
        """The classes of the target over the whole file: one pass over that column only."""
        if self.suffix == ".csv":
            values = set()
            for block in pd.read_csv(self.path, usecols=[self.target], chunksize=self.chunk_rows):
                values.update(block[self.target].dropna().tolist())
        else:
            values = set(self._parquet().read(columns=[self.target]).column(0).drop_null().to_pylist())
        numeric = all(isinstance(v, (int, float, np.number)) and not isinstance(v, bool) for v in values)
        return np.array(sorted(values)) if numeric else np.array(sorted(map(str, values)), dtype=object)

    def pieces(self, rng=None):
        """The file's pieces (DataFrames from CSV, Arrow tables from Parquet), shuffled when ``rng`` is given."""
        if self.suffix == ".csv":
            # A CSV cannot be read from the middle cheaply: its blocks are read in order, and
            # shuffled within a window of the buffer's size instead.
            yield from pd.read_csv(self.path, chunksize=self.chunk_rows)
            return
        file = self._parquet()
        groups = np.arange(file.num_row_groups)
        if rng is not None:
            rng.shuffle(groups)
        columns = self.preprocessor.features + [self.target]
        for group in groups:
            yield file.read_row_group(int(group), columns=columns)

    def _numeric_arrays(self, table):
        """Straight from Arrow to one float matrix, when every feature is a number without holes:
        no DataFrame in between (the common case of big files, and the fast one)."""
        pre = self.preprocessor
        if pre.categories or table.column(self.target).null_count:
            return None
        X = np.empty((table.num_rows, len(pre.numeric)))
        for j, name in enumerate(pre.numeric):
            column = table.column(name)
            if column.null_count:
                return None
            X[:, j] = column.to_numpy()
        if not np.isfinite(X.sum()):
            return None  # a NaN or inf somewhere: the general path names the column
        y = table.column(self.target).to_numpy()
        return X, (y.astype(float) if self.task == "regression" else y)

    def _to_arrays(self, frame):
        if not isinstance(frame, pd.DataFrame):  # an Arrow table from Parquet
            arrays = self._numeric_arrays(frame) if self.task == "regression" else None
            if arrays is not None:
                return arrays
            frame = frame.to_pandas()
        frame = frame[frame[self.target].notna()] if frame[self.target].isna().any() else frame
        if len(frame) == 0:
            return None
        X = self.preprocessor.transform(frame, allowed_extra=(self.target,))
        y = frame[self.target]
        if self.task == "classification":
            y = y.to_numpy() if self.classes.dtype.kind in "iufb" else y.astype(str).to_numpy(dtype=object)
        else:
            y = y.to_numpy(dtype=float)
        return X, y

    def blocks(self, rng=None):
        """One pass over the file as ``(X, y, rows)``: the rows to use are ``X[rows]``, in that order.

        ``X`` may be the shuffle buffer itself, overwritten when the next block
        is asked for: use a block before asking for the next (the estimators
        do; :meth:`epoch` hands out copies). This is what keeps an epoch to
        one copy of each row into the buffer and no copy out: the compiled
        loop gathers ``X[rows]`` as it goes.

        The shuffle buffer is a fixed array of ``buffer_rows`` rows: once it is
        full, each new row takes the place of a row drawn at random from it,
        which leaves (the classic shuffle buffer, done a piece at a time).
        """
        rng = rng if self.shuffle else None
        size = self.buffer_rows
        buffer_X = buffer_y = None
        filled = 0
        for piece in self.pieces(rng):
            arrays = self._to_arrays(piece)
            del piece
            if arrays is None:
                continue
            X, y = arrays
            if rng is None or size == 0:
                for start in range(0, len(y), self.chunk_rows):
                    yield X, y, np.arange(start, min(start + self.chunk_rows, len(y)))
                continue
            if buffer_X is None:
                buffer_X = np.empty((size, X.shape[1]), dtype=X.dtype)
                buffer_y = np.empty(size, dtype=y.dtype)
            start = min(size - filled, len(y))
            buffer_X[filled:filled + start], buffer_y[filled:filled + start] = X[:start], y[:start]
            filled += start
            while start < len(y):
                count = min(len(y) - start, size)
                slots = rng.choice(size, count, replace=False)
                for first in range(0, count, self.chunk_rows):
                    yield buffer_X, buffer_y, slots[first:first + self.chunk_rows]
                buffer_X[slots], buffer_y[slots] = X[start:start + count], y[start:start + count]
                start += count
        if filled:
            order = rng.permutation(filled)
            for first in range(0, filled, self.chunk_rows):
                yield buffer_X[:filled], buffer_y[:filled], order[first:first + self.chunk_rows]

    def epoch(self, rng=None):
        """One pass over the file: chunks ``(X, y)`` of at most ``chunk_rows`` rows, copies of their own."""
        for X, y, rows in self.blocks(rng):
            yield X[rows], y[rows]

    def __iter__(self):
        return self.epoch()


def open_stream(path, target, **options) -> TableStream:
    """A :class:`TableStream` over ``path``."""
    return TableStream(path, target, **options)
