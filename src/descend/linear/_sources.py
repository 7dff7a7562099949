"""Where a fit's rows come from: arrays in memory, or chunks streamed from a file.

A data source is what the epoch loop (:mod:`descend.linear._trainer`) needs
of the data, and the only thing that differs from one kind of data to
another:

* ``summary(rng)``: a :class:`~descend.linear._state.DataSummary` (column
  moments, target mean, outputs, loss, dtype); it also refuses NaN and inf;
* ``curvature(state, eigenvalue, row_norm)`` over ``curvature_rows`` rows:
  the largest eigenvalue of the standardized, weighted Gram matrix over the
  weight sum, and the largest row norm, each when asked (else None), for
  ``learning_rate="auto"``;
* ``sample(rows)``: (Data, rows) of at most that many rows, for the search
  of ``learning_rate="auto"``;
* ``batch_size``, ``steps_per_epoch``, ``rows_per_epoch`` (None if unknown),
  ``full_batch`` (each step sees every row);
* ``epoch(stepper, rng)``: one pass, handing rows to the stepper; returns an
  :data:`~descend.linear._steps.Epoch`;
* ``stationarity(stepper)``: the full batch's stationarity at the current
  weights (one more pass), or None where that pass is not worth its cost;
* ``validation_loss(stepper)``: the held-out loss, or None;
* ``kinked_minimizer(stepper)``: for a loss with kinks smoothed on the full
  batch, (theta, objective) at its exact minimizer near the smoothed one
  (:mod:`descend.linear._kinks`), or None where it is not found or not worth
  the passes it takes;
* ``fingerprint()``: enough of the data to recognise it when resuming.

The Dask source lives in :mod:`descend.linear._dask`.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

from .._engine.problem import Data, Gram, SparseData
from .._engine.stats import (
    check_sparse_finite,
    largest_eigenvalue,
    max_row_norm,
    sample_rows,
    sparse_row_norms,
    standardized_gram,
    summarize,
    summarize_sparse,
    weighted_gram,
)
from ._kinks import kinked_minimizer
from ._state import DataSummary
from ._steps import Epoch

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import TypeAlias

    from .._typing import ArrayLike, FloatArray, IntArray, Matrix
    from ._dask import DaskSource
    from ._settings import Settings
    from ._state import ModelState
    from ._steps import Evaluator, Stepper

    #: Any source of rows the epoch loop takes (the module docstring).
    Source: TypeAlias = "ArraySource | ChunkSource | DaskSource"
    #: The estimator's ``prepare`` of a ChunkSource: (X, y, first, finite, checked) -> (X, y, weights,
    #: n_out, loss).
    Prepare: TypeAlias = Callable[
        [Matrix, ArrayLike, bool, bool, bool], tuple[Matrix, FloatArray, FloatArray, int, str]
    ]

__all__ = ["ArraySource", "ChunkSource", "is_chunks"]

# Squared error on the full batch takes its epochs from the Gram matrix, O(p^2) each, when
# that matrix is small and the rows outnumber the columns enough for it to pay.
GRAM_MAX_FEATURES = 2000


def is_chunks(X: object) -> bool:
    """A source of (X, y) chunks: a descend.readers.stream.TableStream, anything with an ``epoch(rng)``
    method, or a one-shot iterator of pairs."""
    return hasattr(X, "epoch") or (hasattr(X, "__next__") and not hasattr(X, "shape"))


def _summary(
    X: Matrix,
    y: FloatArray,
    weights: FloatArray,
    rows: IntArray,
    n_out: int,
    loss: str,
    standardize: bool,
    dense_steps: bool,
) -> DataSummary:
    """The summary of ``rows``: one pass over them for the moments (and finiteness), the target's mean
    and, for the multinomial loss, the weight of each class. Sparse X is centered (implicitly, X
    staying sparse) only when every step is on every coordinate (``dense_steps``): a centered row
    is dense, and so would be the gradient of a lazy step. Else its summary's means are zeros, and
    its deviations, ones unless ``standardize`` asks for them, cost only the check of its non-zeros."""
    if sp.issparse(X):
        if standardize:
            mean, std = summarize_sparse(X, weights, rows)
            mean = mean if dense_steps else np.zeros(X.shape[1])
        else:
            mean, std = np.zeros(X.shape[1]), check_sparse_finite(X, np.ones(X.shape[1]))
    else:
        mean, std = summarize(X, weights, rows)
    target, row_weights = y[rows], (weights[rows] if weights.size else None)
    counts = np.bincount(target.astype(int), weights=row_weights, minlength=n_out) if loss == "multinomial" else None
    target_mean = np.average(target, axis=0, weights=row_weights)
    spread = (
        float(np.mean(np.average(np.abs(target - target_mean), axis=0, weights=row_weights))) if target.size else 1.0
    )
    rms = (
        float(np.sqrt(np.mean(np.average(np.square(target - target_mean), axis=0, weights=row_weights))))
        if target.size
        else 1.0
    )
    return DataSummary(
        mean,
        std,
        float(target_mean) if target.ndim == 1 else target_mean,
        counts,
        n_out=n_out,
        loss=loss,
        target_max=float(np.max(np.abs(target))) if target.size else 1.0,
        target_spread=spread,
        target_rms=rms,
        dtype=X.dtype,
        rows=float(row_weights.sum()) if row_weights is not None else len(rows),
    )


def _sample_curvature(
    X: Matrix,
    weights: FloatArray,
    rows: IntArray,
    state: ModelState,
    eigenvalue: bool,
    row_norm: bool,
    weight_mean: float,
) -> tuple[float | None, float | None]:
    """The largest eigenvalue of the standardized Gram matrix of a sample of ``rows`` over its
    weight sum, and their largest row norm, each if asked. For sparse X the Gram matrix's trace (the
    mean squared row norm) bounds the eigenvalue and stands in for it: measuring it would take a
    dense Gram matrix of every feature, or many passes."""
    if sp.issparse(X):
        center = state.center if state.center.any() else None
        largest, mean = sparse_row_norms(X, weights, rows, state.scale, weight_mean, center)
        return (mean if eigenvalue else None), (largest if row_norm else None)
    measured = None
    if eigenvalue:
        gram, xty, _ = weighted_gram(X, weights, sample_rows(rows))
        measured = largest_eigenvalue(standardized_gram(gram, xty, state.center, state.scale)[0])
    norm = max_row_norm(X, weights, rows, state.center, state.scale, weight_mean) if row_norm else None
    return measured, norm


def _data(X: Matrix, y: FloatArray, weights: FloatArray) -> Data | SparseData:
    """The engine's tuple of rows: dense, or CSR."""
    if sp.issparse(X):
        return SparseData(X.indptr, X.indices, X.data, y, weights)
    return Data(X, y, weights)


class ArraySource:
    """Rows in memory: ``X`` (n, p), ``y`` encoded, ``weights`` (n,) or empty; the training rows
    ``rows`` and, with early stopping, the held-out ``validation_rows``."""

    def __init__(
        self,
        X: Matrix,
        y: FloatArray,
        weights: FloatArray,
        *,
        n_out: int,
        loss: str,
        settings: Settings,
        rows: IntArray | None = None,
        validation_rows: IntArray | None = None,
        gram_allowed: bool = True,
    ) -> None:
        self.X = X  # the data's own form, dense or CSR, for its summaries
        self.data = _data(X, y, weights)
        self.n_out, self.loss, self.settings = n_out, loss, settings
        self.rows = np.arange(X.shape[0]) if rows is None else rows
        self.validation_rows = validation_rows
        n_train = self.rows.shape[0]
        assert not isinstance(settings.batch_size, str)  # for_data settled "auto"
        self.batch_size = n_train if settings.batch_size is None else min(settings.batch_size, n_train)
        self.weight_mean = float(weights[self.rows].mean()) if weights.size else 1.0
        if weights.size and self.weight_mean == 0:
            raise ValueError("sample_weight is zero for every training sample")
        self.steps_per_epoch = -(-n_train // self.batch_size)
        self.rows_per_epoch = self.curvature_rows = n_train
        self.full_batch = self.batch_size == n_train
        self.use_gram = (
            gram_allowed
            and loss == "squared_error"
            and n_out == 1
            and self.full_batch
            and not sp.issparse(X)
            and X.shape[1] <= GRAM_MAX_FEATURES
            and n_train >= 2 * X.shape[1]
        )
        self._gram: Gram | None = None
        self.scores_out: FloatArray | None = None

    def record_scores(self) -> None:
        """Progressive validation: the epoch records each row's scores before its step in
        ``scores_out`` (the normalized update's rows), and takes importance weights as they are, not
        over their mean, which rows that come one by one do not know."""
        self.scores_out = np.zeros((self.X.shape[0], self.n_out))
        self.weight_mean = 1.0

    def summary(self, rng: np.random.RandomState) -> DataSummary:
        return _summary(
            self.X,
            self.data.y,
            self.data.weights,
            np.arange(self.X.shape[0]),
            self.n_out,
            self.loss,
            self.settings.standardized_steps,
            self.settings.dense_steps or (self.full_batch and not self.settings.row_steps),
        )

    def gram(self, state: ModelState) -> Gram:
        """The full batch as a Gram tuple in the state's coordinates (made once)."""
        if self._gram is None:
            assert isinstance(self.data, Data)  # use_gram: dense rows
            X, y, weights = self.data
            matrix, xty, yty = weighted_gram(X, weights, self.rows, y)
            matrix, xty = standardized_gram(matrix, xty, state.center.astype(float), state.scale.astype(float))
            self._gram = Gram(matrix, xty, yty, matrix[-1, -1])
        return self._gram

    def curvature(self, state: ModelState, eigenvalue: bool, row_norm: bool) -> tuple[float | None, float | None]:
        if self.use_gram:
            return largest_eigenvalue(self.gram(state).matrix), None
        return _sample_curvature(self.X, self.data.weights, self.rows, state, eigenvalue, row_norm, self.weight_mean)

    def sample(self, rows: int) -> tuple[Data | SparseData, IntArray]:
        return self.data, sample_rows(self.rows, rows)

    def _evaluator(self, stepper: Stepper) -> Evaluator:
        if self.use_gram:
            return stepper.gram_evaluator(self.gram(stepper.state))
        return stepper.rows_evaluator(self.data, self.rows)

    def epoch(self, stepper: Stepper, rng: np.random.RandomState) -> Epoch:
        n_train = self.rows.shape[0]
        if stepper.line_search:
            return stepper.line_search_step(self._evaluator(stepper), n_train)
        if self.use_gram:
            return stepper.gram_step(self.gram(stepper.state), n_train)
        shuffled = self.settings.shuffle and self.batch_size < n_train
        order = rng.permutation(self.rows) if shuffled else self.rows
        return stepper.steps(self.data, order, self.batch_size, self.weight_mean, self.scores_out)

    def stationarity(self, stepper: Stepper) -> float:
        return stepper.stationarity(self._evaluator(stepper))

    def kinked_minimizer(self, stepper: Stepper) -> tuple[FloatArray, float] | None:
        """(theta, objective): the exact minimizer of a kinked loss's objective, from the smoothed one
        the stepper has reached (:mod:`descend.linear._kinks`); None where it is not found."""
        model, objective, _, _ = stepper.problem(isinstance(self.data, SparseData))
        return kinked_minimizer(
            self.data, self.rows, model, stepper.loss, objective.l1, objective.l2, stepper.smoothing
        )

    def validation_loss(self, stepper: Stepper) -> float | None:
        return None if self.validation_rows is None else stepper.mean_loss(self.data, self.validation_rows)

    def fingerprint(self) -> list[float]:
        X, y = self.X, self.data.y
        return [
            int(X.shape[0]),
            int(X.shape[1]),
            float(X[0].sum()),
            float(X[-1].sum()),
            float(np.sum(y, dtype=np.float64)),
        ]


class ChunkSource:
    """Blocks of rows from ``chunks``: a TableStream (or anything with ``blocks(rng)`` yielding
    ``(X, y, rows)``, or ``epoch(rng)`` yielding ``(X, y)``), or a one-shot iterator of pairs.

    ``prepare(X, y, first, finite, checked)`` is the estimator's: it validates a block and encodes
    its targets, returning ``(X, y, weights, n_out, loss)``; ``finite`` says the values are known to
    be finite, ``checked`` that X and y are the very arrays prepared before. Memory holds a block.
    """

    # The first block (set by summary(), until the first epoch has taken it): (Data, rows, X).
    _first: tuple[Data | SparseData, IntArray, Matrix] | None

    def __init__(self, chunks: Any, prepare: Prepare, settings: Settings) -> None:
        self.chunks, self.prepare, self.settings = chunks, prepare, settings
        self.rows_per_epoch = getattr(chunks, "n_rows", None)  # known for Parquet
        #: Bytes of the files a row takes (a TableStream's), for the progress bar's MB/s; None: not files.
        self.bytes_per_row = getattr(chunks, "bytes_per_row", None)
        self.full_batch = False  # a step sees one block at most
        # A TableStream has checked every value it puts in its buffer, and its blocks are views
        # of the same two arrays: once validated they need no validating again.
        self.finite = bool(getattr(chunks, "blocks_are_finite", False))
        self._validated: tuple[Any, Any] = (None, None)
        # the first epoch, started by summary(): (the first block, the rest)
        self._pending: tuple[tuple[Data | SparseData, IntArray], Iterator[Any]] | None = None
        self._used = False

    def _pass(self, rng: np.random.RandomState) -> Iterable[Any]:
        chunks = self.chunks
        if hasattr(chunks, "blocks"):  # (X, y, rows): the loop gathers X[rows] itself, no copies
            return chunks.blocks(rng)
        if hasattr(chunks, "epoch"):
            return chunks.epoch(rng)
        if self._used:
            raise ValueError(
                "a one-shot iterator of chunks allows one epoch; pass a TableStream "
                "(descend.readers.stream) or an object with an epoch(rng) method for more"
            )
        self._used = True
        return iter(chunks)

    def _block(self, chunk: Any, first: bool = False) -> tuple[Data | SparseData, IntArray, int, str]:
        """(Data, rows) of one chunk, validated and encoded."""
        if isinstance(chunk, tuple) and len(chunk) == 3:
            X, y, order = chunk
        else:
            try:
                X, y = chunk
            except (TypeError, ValueError):
                raise TypeError("chunks must be pairs (X, y)") from None
            order = None
        checked = self.finite and X is self._validated[0] and y is self._validated[1]
        given = X, y
        X, y, weights, n_out, loss = self.prepare(X, y, first, self.finite, checked)
        self._validated = given if X is given[0] else (None, None)
        self._last_X = X  # dense or CSR, for the first block's summary
        return _data(X, y, weights), (np.arange(X.shape[0]) if order is None else order), n_out, loss

    def summary(self, rng: np.random.RandomState) -> DataSummary:
        """The first block's summary: it starts the first epoch, which :meth:`epoch` goes on with."""
        blocks = iter(self._pass(rng))
        first = next(blocks, None)
        if first is None:
            raise ValueError("the source gave no rows")
        data, order, n_out, loss = self._block(first, first=True)
        X_of_first = self._last_X
        self._pending = (data, order), blocks
        assert not isinstance(self.settings.batch_size, str)  # for_data settled "auto"
        self.batch_size = len(order) if self.settings.batch_size is None else min(self.settings.batch_size, len(order))
        self.steps_per_epoch = max(1, len(order) // self.batch_size)
        self.curvature_rows = len(order)
        # The first block's rows only: X may be a stream's buffer, of which X[order] is the block.
        self._first = data, order, X_of_first
        return _summary(
            X_of_first,
            data.y,
            data.weights,
            order,
            n_out,
            loss,
            self.settings.standardized_steps,
            self.settings.dense_steps,
        )

    def curvature(self, state: ModelState, eigenvalue: bool, row_norm: bool) -> tuple[float | None, float | None]:
        assert self._first is not None  # summary() read it; the curvature is measured before the first epoch
        data, order, X = self._first
        return _sample_curvature(X, data.weights, order, state, eigenvalue, row_norm, 1.0)

    def sample(self, rows: int) -> tuple[Data | SparseData, IntArray]:
        assert self._first is not None  # summary() read it; the search runs before the first epoch
        data, order, _ = self._first
        return data, order[:rows]

    def epoch(self, stepper: Stepper, rng: np.random.RandomState) -> Epoch:
        blocks: Iterator[tuple[Data | SparseData, IntArray]]
        if self._pending is not None:  # the first epoch, whose first block summary() has read
            first, rest = self._pending
            self._pending = self._first = None
            blocks = itertools.chain([first], (self._block(chunk)[:2] for chunk in rest))
        else:
            blocks = (self._block(chunk)[:2] for chunk in self._pass(rng))
        loss_sum = weight_sum = 0.0
        rows = 0
        assert not isinstance(self.settings.batch_size, str)  # for_data settled "auto"
        for data, order in blocks:
            batch = len(order) if self.settings.batch_size is None else min(self.settings.batch_size, len(order))
            part = stepper.steps(data, order, batch, 1.0)
            loss_sum += part.loss_sum
            weight_sum += part.weight_sum
            rows += part.rows
        return Epoch(loss_sum, weight_sum, rows, -1.0)

    def stationarity(self, stepper: Stepper) -> None:
        return None  # it would take another read of the whole stream

    def validation_loss(self, stepper: Stepper) -> None:
        return None

    def kinked_minimizer(self, stepper: Stepper) -> None:
        return None  # its rounds read chosen rows and pass over the data several times: reads of the file

    def fingerprint(self) -> list[Any]:
        if not hasattr(self.chunks, "fingerprint"):
            raise ValueError(
                "checkpoints of a fit on chunks need a source that can be read again and "
                "recognised: a descend.readers.stream.TableStream (or an object with epoch(rng) and "
                "fingerprint() methods)"
            )
        return self.chunks.fingerprint()
