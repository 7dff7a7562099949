"""svmlight / libsvm files: one row a line, ``label index:value index:value ...``, into CSR matrices, in
memory or streamed in chunks.

The format (Joachims' SVMlight, libsvm): a label (a number), then ``index:value`` pairs with indices
increasing along the line; an optional ``qid:N`` is skipped; ``#`` starts a comment; blank lines are
skipped. Parsing is scikit-learn's (``sklearn.datasets.load_svmlight_file``): the whole file at once in
memory (:func:`read_svmlight`), or a block of ``chunk_rows`` lines at a time (:class:`SvmlightStream`),
so that both read the same matrix. Where scikit-learn's parser stops on a line it cannot read, the
block is read again line by line to name the line: ``data.svm line 17: cannot read 'abc:1' as
index:value``.

Index base, as scikit-learn's ``zero_based="auto"`` decides it: a file in which no index is 0 is
one-based (libsvm's convention; index ``i`` is column ``i - 1``), a file with an index 0 is zero-based.
The whole file decides (a stream reads it once first), and a model file keeps the decision, so that a
file to predict is read as the training file was, whichever indices it happens to hold.

The number of columns is the largest index's column plus one, or ``n_features`` when given (an index
beyond it is an error naming its line); a model file keeps it too. Memory, streamed: the byte offset of
each block of lines (found by the first pass, which also finds the indices' base, the columns, the rows
and the labels) and a shuffle window of CSR rows (:func:`descend.readers.stream.sparse_blocks`), not the file.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from itertools import islice
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from . import SUFFIXES as FORMAT_SUFFIXES
from .stream import sparse_blocks
from .tables import DataError, check_data_file, infer_task

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable, Iterator, Sequence
    from typing import Any, BinaryIO

    import pandas as pd

    from .._typing import AnyArray, FloatArray, IntArray, Matrix, NDArray

__all__ = ["SUFFIXES", "SvmlightFormat", "read_svmlight", "SvmlightStream", "is_svmlight", "labels"]

#: Files read as svmlight by their name alone.
SUFFIXES = FORMAT_SUFFIXES["svmlight"]
# A stream collects the distinct labels of the file (its classes) up to this many; past it, the
# labels are measurements and the task is regression.
MAX_LABELS = 1000


def is_svmlight(path: str | os.PathLike[str]) -> bool:
    """Whether ``path``'s name says svmlight.

    Parameters
    ----------
    path : str or path-like
        A file name.

    Returns
    -------
    bool
        Whether its suffix, any case, is one of :data:`SUFFIXES`.

    Examples
    --------
    >>> from descend.readers.svmlight import is_svmlight
    >>> is_svmlight("train.SVM"), is_svmlight("train.csv")
    (True, False)
    """
    return Path(path).suffix.lower() in SUFFIXES


def labels(y: FloatArray, task: str) -> NDArray[np.int64] | NDArray[np.float64]:
    """The labels of a file as a model takes them: for classification whole numbers as integers (a class
    ``1``, not ``1.0``), for regression floats.

    Parameters
    ----------
    y : ndarray
        The labels as read, floats.
    task : {"classification", "regression"}
        The task.

    Returns
    -------
    ndarray
        int64 labels for classification when all are whole numbers (below 2**53), else floats.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.readers.svmlight import labels
    >>> labels(np.array([1.0, 0.0]), "classification"), labels(np.array([1.0, 0.0]), "regression")
    (array([1, 0]), array([1., 0.]))
    """
    if task == "classification" and y.size and np.all(y == np.round(y)) and np.abs(y).max() < 2**53:
        return y.astype(np.int64)
    return y.astype(float)


@dataclass
class SvmlightFormat:
    """How a model reads svmlight files: its ``n_features`` columns, and whether indices start at 0. It
    travels in a model file as the preprocessing (``to_dict``, ``from_dict``).

    Parameters
    ----------
    n_features : int
        The number of columns.
    zero_based : bool
        Whether index 0 is the first column (else index 1 is).

    Examples
    --------
    >>> from descend.readers.svmlight import SvmlightFormat
    >>> form = SvmlightFormat(n_features=3, zero_based=False)
    >>> form.to_dict()
    {'kind': 'svmlight', 'n_features': 3, 'zero_based': False}
    >>> SvmlightFormat.from_dict(form.to_dict()) == form
    True
    """

    n_features: int
    zero_based: bool

    kind = "svmlight"
    sparse = True
    ids = ()  # no column names the rows
    output_names = ()  # nor the features

    @property
    def n_outputs(self) -> int:
        return self.n_features

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "n_features": int(self.n_features), "zero_based": bool(self.zero_based)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SvmlightFormat:
        return cls(int(data["n_features"]), bool(data["zero_based"]))

    def read(self, path: str | os.PathLike[str]) -> tuple[Matrix, FloatArray]:
        """(X, labels as floats) of a file, read as the training file was.

        Parameters
        ----------
        path : str or path-like
            An svmlight file.

        Returns
        -------
        X : scipy.sparse.csr_matrix of shape (rows, n_features)
            The features.
        y : ndarray
            The labels, floats.

        Raises
        ------
        descend.readers.tables.DataError
            For a file that cannot be read, naming the line (an index beyond ``n_features`` too).
        """
        X, y, _ = read_svmlight(path, self.n_features, zero_based=self.zero_based)
        return X, y

    def parse(self, data: bytes, *, first_line: int = 1, where: str = "<stdin>") -> tuple[Matrix, FloatArray]:
        """(X, labels as floats) of whole lines of svmlight text, as this format reads them: rows as
        they come, from a pipe or a growing file (``descend learn``, ``descend predict ... -``).

        Parameters
        ----------
        data : bytes
            Whole lines (blank and comment lines hold no row).
        first_line : int
            The line number of the first, in the input (for errors).
        where : str
            The input's name (for errors).

        Returns
        -------
        X : scipy.sparse.csr_matrix of shape (rows, n_features)
            The rows.
        y : ndarray
            The labels.

        Raises
        ------
        descend.readers.tables.DataError
            Naming the line of a problem: a bad field, an index beyond ``n_features``.

        Examples
        --------
        >>> SvmlightFormat(n_features=4, zero_based=True).parse(b"1 0:2.5 3:1\\n-1 2:1\\n")[0].toarray()
        array([[2.5, 0. , 0. , 1. ],
               [0. , 0. , 1. , 0. ]])
        """
        import scipy.sparse as sp

        lines = data.splitlines(keepends=True)
        if not any(_is_row(line) for line in lines):
            return sp.csr_matrix((0, self.n_features)), np.zeros(0)
        X, y = _parse(where, lines, first_line)

        def at(row: int, what: str) -> DataError:
            return _located(where, _line_of_row(lines, first_line, row), what)

        return _finish(X, y, self.n_features, self.zero_based, at)


# ------------------------------------------------------------------ naming the line of a problem
def _line_problem(line: bytes) -> str | None:
    """What is wrong with one line of an svmlight file, or None."""
    tokens = line.split(b"#", 1)[0].split()
    if not tokens:
        return None
    label = tokens[0].decode(errors="replace")
    try:
        float(label)
    except ValueError:
        return f"cannot read {label!r} as a label (a number)"
    previous = -1
    for token in tokens[1:]:
        text = token.decode(errors="replace")
        name, colon, value = text.partition(":")
        try:
            if name == "qid" and colon:
                int(value)
                continue
            if not colon:
                raise ValueError
            index, _ = int(name), float(value)
        except ValueError:
            return f"cannot read {text!r} as index:value"
        if index < 0:
            return f"index {index} is negative"
        if index <= previous:
            return f"indices must increase along a line, {index} comes after {previous}"
        previous = index
    return None


def _is_row(line: bytes) -> bool:
    return bool(line.split(b"#", 1)[0].strip())


def _located(path: str | os.PathLike[str], number: int, what: str) -> DataError:
    return DataError(f"{path} line {number}: {what}")


def _bad_line(path: str | os.PathLike[str], lines: Sequence[bytes], first_line: int, error: Exception) -> DataError:
    """The error of a block scikit-learn could not parse, naming its first bad line."""
    for k, line in enumerate(lines):
        problem = _line_problem(line)
        if problem:
            return _located(path, first_line + k, problem)
    return DataError(f"{path} (lines {first_line} to {first_line + len(lines) - 1}) could not be read: {error}")


def _line_of_row(lines: Sequence[bytes], first_line: int, row: int) -> int:
    """The line number of the block's ``row``-th row (blank and comment lines hold none)."""
    seen = -1
    for k, line in enumerate(lines):
        seen += _is_row(line)
        if seen == row:
            return first_line + k
    raise AssertionError("row past the block")  # pragma: no cover


# ------------------------------------------------------------------ blocks of lines
def _blocks(file: BinaryIO, chunk_rows: int) -> Iterator[tuple[int, int, list[bytes]]]:
    """``(byte offset, first line number, lines)`` of blocks of ``chunk_rows`` lines from the file's
    current position (line numbers from 1)."""
    offset, number = file.tell(), 1
    while True:
        lines = list(islice(file, chunk_rows))
        if not lines:
            return
        yield offset, number, lines
        offset += sum(map(len, lines))
        number += len(lines)


def _parse(path: str | os.PathLike[str], lines: Sequence[bytes], first_line: int) -> tuple[Matrix, FloatArray]:
    """(X with the file's raw indices, y) of a block of lines; a bad line is named."""
    from sklearn.datasets import load_svmlight_file

    try:
        return load_svmlight_file(io.BytesIO(b"".join(lines)), zero_based=True)
    except ValueError as error:
        raise _bad_line(path, lines, first_line, error) from None


def _finish(
    X: Matrix, y: FloatArray, n_features: int, zero_based: bool, where: Callable[[int, str], DataError]
) -> tuple[Matrix, FloatArray]:
    """The raw block (X, y) as the model's matrix: indices shifted to the base, ``n_features`` columns,
    every value finite. ``where(row, what)`` is the error naming a row's line."""
    import scipy.sparse as sp

    indices = X.indices
    limit = n_features + (0 if zero_based else 1)
    if indices.size:
        if not zero_based and indices.min() == 0:
            row = int(np.searchsorted(X.indptr, np.flatnonzero(indices == 0)[0], side="right") - 1)
            raise where(row, "index 0 in a file whose indices start at 1 (the training file had no index 0)")
        if indices.max() >= limit:
            at = int(np.flatnonzero(indices >= limit)[0])
            row = int(np.searchsorted(X.indptr, at, side="right") - 1)
            raise where(
                row,
                f"index {indices[at]} is beyond the {n_features} features "
                f"(indices {'0' if zero_based else '1'} to {limit - 1})",
            )
    bad = ~np.isfinite(X.data)
    if bad.any() or not np.isfinite(y).all():
        rows = [int(np.searchsorted(X.indptr, np.flatnonzero(bad)[0], side="right") - 1)] if bad.any() else []
        rows += [int(np.flatnonzero(~np.isfinite(y))[0])] if not np.isfinite(y).all() else []
        raise where(min(rows), "a value is not finite (nan or inf)")
    if not zero_based:
        indices = indices - 1
    matrix = sp.csr_matrix((X.data, indices, X.indptr), shape=(X.shape[0], n_features), copy=False)
    matrix.has_sorted_indices = True
    return matrix, y


def _decide(low: int | None, high: int | None, n_features: int | None, zero_based: bool | None) -> tuple[bool, int]:
    """(zero_based, n_features) of a file whose raw indices span [low, high] (None: no index at all):
    the base as given, else as scikit-learn's "auto" decides; the columns as given (an index beyond
    them is named by :func:`_finish`), else the largest index's column plus one."""
    if zero_based is None:
        zero_based = low is None or low == 0
    if n_features is not None:
        return zero_based, int(n_features)
    return zero_based, max(1, 0 if high is None else high + (1 if zero_based else 0))


def read_svmlight(
    path: str | os.PathLike[str], n_features: int | None = None, *, zero_based: bool | None = None
) -> tuple[Matrix, FloatArray, SvmlightFormat]:
    """(X as CSR, labels as floats, its SvmlightFormat) of an svmlight file, in memory.

    Parameters
    ----------
    path : str or path-like
        An svmlight file.
    n_features : int, optional
        The number of columns; by default the largest index's column plus one.
    zero_based : bool, optional
        Whether indices start at 0; by default decided from the file (see the module's docstring).

    Returns
    -------
    X : scipy.sparse.csr_matrix of shape (rows, n_features)
        The features.
    y : ndarray
        The labels, floats.
    format : SvmlightFormat
        How the file was read, for the files to predict.

    Raises
    ------
    descend.readers.tables.DataError
        For a missing, empty or unreadable file, naming the line of a problem.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "small.svm")
    >>> with open(path, "w") as file:
    ...     _ = file.write("1 1:0.5 3:2\\n0 2:1\\n# a comment\\n1 1:1.5 3:-1\\n")
    >>> from descend.readers.svmlight import read_svmlight
    >>> X, y, form = read_svmlight(path)  # no index 0: one-based
    >>> X.toarray(), y, form
    (array([[ 0.5,  0. ,  2. ],
           [ 0. ,  1. ,  0. ],
           [ 1.5,  0. , -1. ]]), array([1., 0., 1.]), SvmlightFormat(n_features=3, zero_based=False))
    >>> import shutil; shutil.rmtree(folder)
    """
    from sklearn.datasets import load_svmlight_file

    path = Path(path)
    check_data_file(path)
    try:
        X, y = load_svmlight_file(str(path), zero_based=True)
    except ValueError as error:
        with path.open("rb") as file:
            for _, first_line, lines in _blocks(file, 65_536):
                _parse(path, lines, first_line)
        raise DataError(f"{path} could not be read: {error}") from None
    if X.shape[0] == 0:
        raise DataError(f"{path} holds no rows")
    low, high = (int(X.indices.min()), int(X.indices.max())) if X.nnz else (None, None)
    zero_based, n_features = _decide(low, high, n_features, zero_based)

    def where(row: int, what: str) -> DataError:
        return _located(path, _line_number(path, row), what)

    X, y = _finish(X, y, n_features, zero_based, where)
    return X, y, SvmlightFormat(n_features, zero_based)


def _line_number(path: str | os.PathLike[str], row: int) -> int:
    with Path(path).open("rb") as file:
        seen = -1
        for number, line in enumerate(file, 1):
            seen += _is_row(line)
            if seen == row:
                return number
    raise AssertionError("row past the file")  # pragma: no cover


class SvmlightStream:
    """Chunks ``(X, y)`` of an svmlight file, CSR, epoch after epoch, in bounded memory: a source for
    ``GDRegressor.fit`` / ``GDClassifier.fit`` as :class:`descend.readers.stream.TableStream` is.

    The constructor reads the file once (blocks of ``chunk_rows`` lines): every line is checked (a bad
    one is named before any training), and the pass finds the indices' base, the columns (unless
    ``n_features`` is given), the rows, and the labels, from which the task (unless given) and the
    classes. Each epoch then reads the blocks in a shuffled order (a seek each) and shuffles their rows
    in windows of ``buffer_rows`` (:func:`descend.readers.stream.sparse_blocks`).

    Parameters
    ----------
    path : str or path-like
        An svmlight file.
    chunk_rows : int
        Lines per block read, and rows per chunk handed out, >= 1.
    buffer_rows : int
        Rows of the shuffle window, >= 0.
    shuffle : bool
        Shuffle the blocks and the rows every epoch.
    task : {"classification", "regression"}, optional
        By default inferred from the labels (more than 1000 distinct ones: regression).
    n_features : int, optional
        The number of columns; by default the largest index's column plus one.
    zero_based : bool, optional
        Whether indices start at 0; by default decided from the whole file.

    Raises
    ------
    descend.readers.tables.DataError
        For a missing, empty or unreadable file (naming the line), or too many classes.
    ValueError
        For ``chunk_rows`` < 1 or ``buffer_rows`` < 0.

    Examples
    --------
    >>> import os, tempfile
    >>> folder = tempfile.mkdtemp()
    >>> path = os.path.join(folder, "small.svm")
    >>> with open(path, "w") as file:
    ...     _ = file.write("1 1:0.5 3:2\\n0 2:1\\n# a comment\\n1 1:1.5 3:-1\\n")
    >>> from descend.readers.svmlight import SvmlightStream
    >>> stream = SvmlightStream(path, chunk_rows=2, shuffle=False)
    >>> stream.n_rows, stream.n_features, stream.task, stream.classes
    (3, 3, 'classification', array([0, 1]))
    >>> [(X.shape, y) for X, y in stream.epoch()]
    [((2, 3), array([1, 0])), ((1, 3), array([1]))]
    >>> import shutil; shutil.rmtree(folder)
    """

    #: Every value handed out has been checked finite.
    blocks_are_finite = True

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        chunk_rows: int = 65_536,
        buffer_rows: int = 262_144,
        shuffle: bool = True,
        task: str | None = None,
        n_features: int | None = None,
        zero_based: bool | None = None,
    ) -> None:
        self.path = Path(path)
        check_data_file(self.path)
        self.chunk_rows, self.buffer_rows, self.shuffle = int(chunk_rows), int(buffer_rows), bool(shuffle)
        if self.chunk_rows < 1 or self.buffer_rows < 0:
            raise ValueError(f"chunk_rows must be >= 1 and buffer_rows >= 0, got {chunk_rows} and {buffer_rows}")
        self.notices: list[str] = []
        self._offsets, self.n_rows, low, high, values = self._first_pass()
        zero_based, n_features = _decide(low, high, n_features, zero_based)
        self.format = SvmlightFormat(n_features, zero_based)
        self.n_features = n_features
        limit = n_features + (0 if zero_based else 1)
        for offset, first_line, count, block_high in self._offsets:
            if block_high >= limit:  # an index beyond --n-features: named now, not in the middle of a fit
                next(self._read_blocks([(offset, first_line, count, block_high)]), None)
        many = values is None
        self.task = task or ("regression" if values is None else infer_task(_series(values)))
        if self.task == "classification" and many:
            raise DataError(f"{self.path} holds more than {MAX_LABELS} distinct labels: too many classes")
        self.classes: NDArray[np.int64] | NDArray[np.float64] | None = None
        if self.task == "classification":
            assert values is not None  # too many labels for classes: refused above
            self.classes = labels(np.array(sorted(values)), "classification")

    def _first_pass(
        self,
    ) -> tuple[list[tuple[int, int, int, int]], int, int | None, int | None, set[float] | None]:
        offsets: list[tuple[int, int, int, int]]
        values: set[float] | None
        offsets, rows, low, high, values = [], 0, None, None, set()
        with self.path.open("rb") as file:
            for offset, first_line, lines in _blocks(file, self.chunk_rows):
                X, y = _parse(self.path, lines, first_line)
                if not np.isfinite(y).all() or not np.isfinite(X.data).all():
                    _finish(X, y, X.shape[1], True, self._where(lines, first_line))
                offsets.append((offset, first_line, len(lines), int(X.indices.max()) if X.nnz else -1))
                rows += X.shape[0]
                if X.nnz:
                    low = min(low, int(X.indices.min())) if low is not None else int(X.indices.min())
                    high = max(high, int(X.indices.max())) if high is not None else int(X.indices.max())
                if values is not None:
                    values.update(np.unique(y).tolist())
                    values = values if len(values) <= MAX_LABELS else None
        if rows == 0:
            raise DataError(f"{self.path} holds no rows")
        return offsets, rows, low, high, values

    def _where(self, lines: Sequence[bytes], first_line: int) -> Callable[[int, str], DataError]:
        return lambda row, what: _located(self.path, _line_of_row(lines, first_line, row), what)

    def fingerprint(self) -> list[object]:
        """Enough of the file and the settings to refuse resuming a checkpoint on other data.

        Returns
        -------
        list
            The file's name and size, the columns, the index base and the reading settings.
        """
        return [
            self.path.name,
            self.path.stat().st_size,
            self.n_features,
            self.format.zero_based,
            self.chunk_rows,
            self.buffer_rows,
            self.shuffle,
        ]

    def pieces(self, rng: np.random.Generator | None = None) -> Iterator[tuple[Matrix, AnyArray]]:
        """The file's blocks of lines as ``(X, y)``, CSR and labels; in a random order when ``rng`` is given.

        Parameters
        ----------
        rng : numpy.random.Generator, optional
            Shuffles the order of the blocks.

        Returns
        -------
        iterator of (scipy.sparse.csr_matrix, ndarray)
            One pair per block of lines.
        """
        order = np.arange(len(self._offsets))
        if rng is not None:
            rng.shuffle(order)
        return self._read_blocks([self._offsets[k] for k in order.tolist()])

    def targets(self) -> Iterator[tuple[FloatArray, Callable[[int], str]]]:
        """The labels, in the file's order, block by block: ``(y, place)``, ``place(i)`` how messages
        name the i-th row of the block ("data.svm line 17"). One more pass over the file, for checks
        that must see every label before training (``descend fit --loss poisson --stream``)."""
        with self.path.open("rb") as file:
            for offset, first_line, count, _ in self._offsets:
                file.seek(offset)
                lines = list(islice(file, count))
                _, y = _parse(self.path, lines, first_line)
                yield (
                    y.astype(float),
                    lambda i, lines=lines, first=first_line: (  # type: ignore[misc]  # a lambda with defaults
                        f"{self.path} line {_line_of_row(lines, first, i)}"
                    ),
                )

    def _read_blocks(self, blocks: Iterable[tuple[int, int, int, int]]) -> Iterator[tuple[Matrix, AnyArray]]:
        with self.path.open("rb") as file:
            for offset, first_line, count, _ in blocks:
                file.seek(offset)
                lines = list(islice(file, count))
                X, y = _parse(self.path, lines, first_line)
                if X.shape[0] == 0:
                    continue
                X, y = _finish(X, y, self.n_features, self.format.zero_based, self._where(lines, first_line))
                if self.task == "classification":
                    assert self.classes is not None  # known for a classification stream
                    y = y.astype(self.classes.dtype)
                yield X, y

    def blocks(self, rng: np.random.Generator | None = None) -> Iterator[tuple[Matrix, AnyArray, IntArray]]:
        """One pass as ``(X, y, rows)``: the rows to use are ``X[rows]``, in that order.

        Parameters
        ----------
        rng : numpy.random.Generator, optional
            Shuffles blocks and rows (when the stream shuffles).

        Returns
        -------
        iterator of (scipy.sparse.csr_matrix, ndarray, ndarray)
            Blocks, and the order of their rows.
        """
        rng = rng if self.shuffle else None
        return sparse_blocks(self.pieces(rng), rng, self.buffer_rows, self.chunk_rows)

    def epoch(self, rng: np.random.Generator | None = None) -> Iterator[tuple[Matrix, AnyArray]]:
        """One pass: chunks ``(X, y)`` of at most ``chunk_rows`` rows.

        Parameters
        ----------
        rng : numpy.random.Generator, optional
            Shuffles blocks and rows (when the stream shuffles).

        Yields
        ------
        X : scipy.sparse.csr_matrix
            A chunk's rows.
        y : ndarray
            Their labels.
        """
        for X, y, rows in self.blocks(rng):
            yield X[rows], y[rows]

    def __iter__(self) -> Iterator[tuple[Matrix, AnyArray]]:
        return self.epoch()


def _series(values: Iterable[float]) -> pd.Series:
    import pandas as pd

    return pd.Series(sorted(values), dtype=float)
