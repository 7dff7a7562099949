r"""Online learning: one pass over a stream, each row predicted before the model learns from it.

A model that learns from rows as they arrive can be measured on them with no held-out set:
*progressive validation* (Blum, Kalai & Langford 1999) scores row :math:`i` with the model
trained on rows :math:`1, \dots, i-1`, then learns from it. The mean loss of those scores,

.. math::

    \bar\ell_n = \frac{\sum_{i \le n} h_i\, \ell(s_i, y_i)}{\sum_{i \le n} h_i},
    \qquad s_i = w_{i-1}^\top x_i + b_{i-1},

(:math:`h_i` the rows' importance weights) estimates the error on new rows as well as a held-out
set of the same size does, and every row is still learned from. Vowpal Wabbit's command line
prints it as it learns ("average loss", and "since last", the mean over the rows since the
previous line) at doubling example counts; river's ``evaluate.progressive_val_score`` computes it.

:func:`progressive_validation` runs a :class:`~descend.GDRegressor` or
:class:`~descend.GDClassifier` over a source of rows (arrays; an iterable of ``(X, y)`` or
``(X, y, sample_weight)`` blocks such as :class:`~descend.readers.stream.TableStream`,
:class:`~descend.readers.svmlight.SvmlightStream`, :class:`~descend.readers.vw.VWStream` or
:meth:`descend.datasets.StreamingDataSimulator.batches`) with the model's
:meth:`~descend.GDRegressor.progressive_fit`: each batch of its ``batch_size`` rows (at
``"auto"``, one row, with the normalized update) predicted, then learned from. Alongside the loss
it gathers the metrics that judge the model's kind (accuracy and log loss; RMSE, MAE and
:math:`R^2`; a deviance; the pinball loss and coverage, :mod:`descend.metrics`) as running sums, so
memory stays flat however long the stream.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .losses import LOG_LINK_LOSSES, class_probabilities, get_loss, loss_and_derivative
from .metrics import combine_metrics, merge_sums, prediction_sums

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, Literal

    import pandas as pd

    from ._typing import AnyArray, ArrayLike, FloatArray, IntArray, Matrix
    from .linear import GDClassifier, GDRegressor

__all__ = ["progressive_validation", "ProgressiveValidation", "report_counts"]


@dataclass
class ProgressiveValidation:
    """What :func:`progressive_validation` measured, at each report and at the end.

    Parameters
    ----------
    counts : ndarray of int
        The number of rows seen at each report.
    average_loss : ndarray
        The mean progressive loss of the rows so far (weighted by importance), at each report.
    recent_loss : ndarray
        The mean over the rows since the report before ("since last").
    labels, predictions : list
        The last row's label and prediction at each report (a class, or a value).
    metrics : dict of str to ndarray
        Each metric of the model's kind over the rows so far, at each report (NaN where the rows
        do not define it).
    final : dict
        The figures over every row: ``"rows"``, ``"loss"`` (the mean progressive loss) and the metrics.
    loss : str
        The loss whose mean ``average_loss`` is (the model's own, as :mod:`descend.losses` defines it).

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> from descend.online import progressive_validation
    >>> X = np.random.default_rng(0).standard_normal((500, 2))
    >>> result = progressive_validation(GDRegressor(), X, X @ [1.0, -1.0], report_at=250)
    >>> result.counts, result.loss, sorted(result.final)
    (array([250, 500]), 'squared_error', ['MAE', 'RMSE', 'R^2', 'loss', 'rows'])
    >>> bool(result.recent_loss[1] < result.recent_loss[0])  # it learned
    True
    """

    counts: IntArray
    average_loss: FloatArray
    recent_loss: FloatArray
    labels: list[Any]
    predictions: list[Any]
    metrics: dict[str, FloatArray]
    final: dict[str, float | None]
    loss: str = ""

    def to_frame(self) -> pd.DataFrame:
        """The reports as a pandas DataFrame, a row each.

        Returns
        -------
        pandas.DataFrame
            Columns ``rows``, ``average loss``, ``since last``, ``label``, ``prediction`` and the metrics.
        """
        import pandas as pd

        return pd.DataFrame(
            {
                "rows": self.counts,
                "average loss": self.average_loss,
                "since last": self.recent_loss,
                "label": self.labels,
                "prediction": self.predictions,
                **self.metrics,
            }
        )


def report_counts(report_at: Literal["doubling"] | int, low: int, high: int) -> list[int]:
    """The report counts in ``(low, high]``: the powers of two (``"doubling"``), or the multiples of an
    integer ``report_at``.

    Parameters
    ----------
    report_at : "doubling" or int
        When reports are made.
    low, high : int
        The rows seen before and after a block.

    Returns
    -------
    list of int
        The counts, in increasing order.

    Examples
    --------
    >>> report_counts("doubling", 0, 10), report_counts(4, 5, 12)
    ([1, 2, 4, 8], [8, 12])
    """
    if report_at == "doubling":
        counts: list[int]
        counts, c = [], 1
        while c <= high:
            if c > low:
                counts.append(c)
            c *= 2
        return counts
    first = (low // report_at + 1) * report_at
    return list(range(first, high + 1, report_at))


def _check_report_at(report_at: Literal["doubling"] | int) -> Literal["doubling"] | int:
    if report_at == "doubling":
        return report_at
    if isinstance(report_at, bool) or not isinstance(report_at, (int, np.integer)) or report_at < 1:
        raise ValueError(f"report_at must be 'doubling' or an integer >= 1, got {report_at!r}")
    return int(report_at)


def _blocks(
    source: Any, y: ArrayLike | None, sample_weight: ArrayLike | None, block_rows: int
) -> Iterator[tuple[Matrix, AnyArray, FloatArray | None]]:
    """``(X, y, weights or None)`` blocks of the source, in its order."""
    if y is not None:  # arrays in memory
        n = source.shape[0]
        y = np.asarray(y)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        if len(y) != n:
            raise ValueError(f"X has {n} rows and y {len(y)}: one target a row")
        for start in range(0, n, block_rows):
            rows = slice(start, start + block_rows)
            yield source[rows], y[rows], None if weights is None else weights[rows]
        return
    if sample_weight is not None:
        raise ValueError("sample_weight goes with arrays (X, y); a source of blocks gives its own weights")
    if hasattr(source, "shape"):
        raise ValueError("y is required with an array X; a source of blocks gives (X, y) pairs")
    for block in source:
        if hasattr(block, "X") and hasattr(block, "weights"):  # a VWBlock: its importance weights
            yield block.X, block.y, block.weights
        elif isinstance(block, tuple) and len(block) in (2, 3):
            yield block[0], np.asarray(block[1]), (np.asarray(block[2], dtype=float) if len(block) == 3 else None)
        else:
            raise TypeError(f"a source's blocks are (X, y) or (X, y, sample_weight), got {type(block).__name__}")


@dataclass
class _Measure:
    """The running sums of a progressive validation: the loss's, and the metrics' (merged, so flat)."""

    model: GDRegressor | GDClassifier
    task: str
    report_at: Literal["doubling"] | int
    loss_sum: float = 0.0
    weight_sum: float = 0.0
    rows: int = 0
    sums: tuple[Any, ...] = ("", 0)
    last_loss: float = 0.0
    last_weight: float = 0.0
    last: tuple[Any, Any] = (None, None)  # the label and prediction of the last row
    reports: list[dict[str, Any]] = field(default_factory=list)

    def loss_values(self, scores: FloatArray, y: AnyArray) -> FloatArray:
        """Each row's loss at its score: the model's loss, as the engine computes it."""
        model = self.model
        loss = get_loss(
            model.loss,
            epsilon=getattr(model, "epsilon", 0.1),
            quantile=getattr(model, "quantile", 0.5),
            power=getattr(model, "power", 1.5),
        )
        parameters = np.array([loss.parameter, 0.0])
        if self.task == "regression":
            values, _ = loss_and_derivative(scores, np.asarray(y, dtype=float), loss.code, parameters)
            return values.reshape(len(y), -1).sum(axis=1)
        classes = model.classes_
        if scores.ndim == 1:  # two classes: the second is +1
            values, _ = loss_and_derivative(scores, np.where(y == classes[1], 1.0, -1.0), loss.code, parameters)
            return values
        if model.loss == "log_loss":  # the multinomial loss: minus the log of the true class's probability
            chosen = class_probabilities("log_loss", scores)[np.arange(len(y)), np.searchsorted(classes, y)]
            return -np.log(np.clip(chosen, 1e-300, 1.0))
        signs = np.where(y[:, None] == classes[None, :], 1.0, -1.0)  # one against the rest, each output's loss
        values, _ = loss_and_derivative(scores, signs, loss.code, parameters)
        return values.sum(axis=1)

    def predictions(self, scores: FloatArray) -> tuple[AnyArray, FloatArray | None]:
        """(predictions, probabilities or None) of the scores: values, or classes."""
        model = self.model
        if self.task == "regression":
            if model.loss in LOG_LINK_LOSSES:
                with np.errstate(over="ignore"):
                    return np.exp(scores), None
            return scores, None
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        proba = class_probabilities(model.loss, scores) if model.loss in ("log_loss", "modified_huber") else None
        return model.classes_[indices], proba

    def add(
        self,
        scores: FloatArray,
        y: AnyArray,
        weights: FloatArray | None,
        on_report: Callable[[dict[str, Any]], object] | None,
    ) -> None:
        losses = self.loss_values(scores, y)
        weighted = losses if weights is None else losses * weights
        row_weights = np.ones(len(y)) if weights is None else weights
        cumulative_loss, cumulative_weight = np.cumsum(weighted), np.cumsum(row_weights)
        predicted, proba = self.predictions(scores)
        start = 0
        for count in report_counts(self.report_at, self.rows, self.rows + len(y)):
            stop = count - self.rows
            self._take(y, predicted, proba, start, stop)
            self.report(
                cumulative_loss[stop - 1],
                cumulative_weight[stop - 1],
                y[stop - 1],
                predicted[stop - 1],
                count,
                on_report,
            )
            start = stop
        self._take(y, predicted, proba, start, len(y))
        self.loss_sum += float(cumulative_loss[-1])
        self.weight_sum += float(cumulative_weight[-1])
        self.rows += len(y)
        self.last = (_plain(y[-1]), _plain(predicted[-1]))

    def _take(self, y: AnyArray, predicted: AnyArray, proba: FloatArray | None, start: int, stop: int) -> None:
        if stop > start:
            part = prediction_sums(
                self.task,
                self.model,
                y[start:stop],
                predicted[start:stop],
                None if proba is None else proba[start:stop],
            )
            self.sums = part if self.sums[1] == 0 else merge_sums(self.sums, part)

    def report(
        self,
        loss_so_far: float,
        weight_so_far: float,
        label: object,
        prediction: object,
        count: int,
        on_report: Callable[[dict[str, Any]], object] | None,
    ) -> None:
        total_loss, total_weight = self.loss_sum + float(loss_so_far), self.weight_sum + float(weight_so_far)
        recent_weight = total_weight - self.last_weight
        row = {
            "rows": count,
            "average loss": total_loss / total_weight if total_weight else float("nan"),
            "since last": (total_loss - self.last_loss) / recent_weight if recent_weight else float("nan"),
            "label": _plain(label),
            "prediction": _plain(prediction),
            **self.metrics(),
        }
        self.last_loss, self.last_weight = total_loss, total_weight
        self.reports.append(row)
        if on_report is not None:
            on_report(row)

    def metrics(self) -> dict[str, float | None]:
        measured = combine_metrics([self.sums]) if self.sums[1] else {}
        return {name: value for name, value in measured.items() if name != "rows"}

    def result(self, on_report: Callable[[dict[str, Any]], object] | None) -> ProgressiveValidation:
        if self.rows == 0:
            raise ValueError("the source gave no rows")
        if self.reports[-1]["rows"] != self.rows:  # the end is always reported: every row is in the sums
            self.report(0.0, 0.0, self.last[0], self.last[1], self.rows, on_report)
        names = [name for name in self.reports[-1] if name not in _REPORTED]
        metrics = {
            name: np.array([np.nan if r.get(name) is None else r[name] for r in self.reports], dtype=float)
            for name in names
        }
        final = {"rows": self.rows, "loss": self.loss_sum / self.weight_sum, **self.metrics()}
        column = {name: [r[name] for r in self.reports] for name in _REPORTED}
        return ProgressiveValidation(
            counts=np.array(column["rows"]),
            average_loss=np.array(column["average loss"], dtype=float),
            recent_loss=np.array(column["since last"], dtype=float),
            labels=column["label"],
            predictions=column["prediction"],
            metrics=metrics,
            final=final,
            loss=self.model.loss,
        )


_REPORTED = ("rows", "average loss", "since last", "label", "prediction")


def _plain(value: object) -> object:
    """A number or label as Python has it (a report is printed, or written as JSON)."""
    return value.item() if isinstance(value, np.generic) else value


def progressive_validation(
    model: GDRegressor | GDClassifier,
    source: Matrix | Iterable[Any],
    y: ArrayLike | None = None,
    *,
    classes: ArrayLike | None = None,
    sample_weight: ArrayLike | None = None,
    batch_size: int | str | None = None,
    report_at: Literal["doubling"] | int = "doubling",
    block_rows: int = 4096,
    on_report: Callable[[dict[str, Any]], object] | None = None,
) -> ProgressiveValidation:
    """Learn from a stream in one pass, each row predicted before the model learns from it, and
    measure those predictions (the module's docstring has the math).

    Equal, row for row, to a hand loop over the batches: predict (``decision_function`` for a
    classifier) with the model as it stands, then ``partial_fit``; the model's
    :meth:`~descend.GDRegressor.progressive_fit` runs it a block at a time, in compiled code for the
    normalized update. The model learns in place, and goes on from its state if it has learned before.

    Parameters
    ----------
    model : GDRegressor or GDClassifier
        The learner (at ``batch_size="auto"``: one row a step, with the normalized update).
    source : array-like, sparse matrix, or iterable of blocks
        The rows ``X`` (then ``y`` is given), or blocks ``(X, y)`` / ``(X, y, sample_weight)`` (a
        :class:`~descend.readers.vw.VWStream`'s blocks carry their importance weights), in order.
    y : array-like, optional
        The targets of an array ``X``.
    classes : array-like, optional
        A classifier's classes, if it has not learned before and the source does not say them
        (a ``classes`` attribute); else the first block's labels.
    sample_weight : array-like, optional
        Importance weights of an array ``X``'s rows.
    batch_size : int, optional
        Rows a step: set on the model (``set_params``) when given; else the model's own.
    report_at : "doubling" or int
        When to report: at 1, 2, 4, 8... rows (Vowpal Wabbit's table), or every ``report_at`` rows;
        and at the end.
    block_rows : int
        Rows of an array handed to ``progressive_fit`` at a time.
    on_report : callable, optional
        Called with each report (a dict: ``rows``, ``average loss``, ``since last``, ``label``,
        ``prediction`` and the metrics) as it is made: ``descend learn`` prints its table with it.

    Returns
    -------
    ProgressiveValidation
        The reports and the final figures.

    Raises
    ------
    ValueError, TypeError
        For a bad argument or block, no rows, and as ``partial_fit``.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDClassifier
    >>> from descend.online import progressive_validation
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((2000, 3))
    >>> y = (X @ [2.0, -1.0, 0.5] + 0.3 * rng.standard_normal(2000) > 0).astype(int)
    >>> result = progressive_validation(GDClassifier(), X, y, classes=[0, 1])
    >>> result.counts[:5], result.counts[-1]
    (array([ 1,  2,  4,  8, 16]), np.int64(2000))
    >>> bool(result.metrics["accuracy"][-1] > 0.85), bool(result.recent_loss[-1] < result.recent_loss[4])
    (True, True)
    """
    report_at = _check_report_at(report_at)
    if isinstance(block_rows, bool) or not isinstance(block_rows, (int, np.integer)) or block_rows < 1:
        raise ValueError(f"block_rows must be an integer >= 1, got {block_rows!r}")
    if batch_size is not None:
        model.set_params(batch_size=batch_size)
    from sklearn.base import is_classifier

    task = "classification" if is_classifier(model) else "regression"
    measure = _Measure(model, task, report_at)
    for X, targets, weights in _blocks(source, y, sample_weight, block_rows):
        if len(targets) == 0:
            continue
        if task == "classification":
            if not hasattr(model, "classes_") and classes is None:
                classes = getattr(source, "classes", None)
                classes = np.unique(targets) if classes is None else classes
            scores = model.progressive_fit(  # type: ignore[call-arg]  # a classifier's (task)
                X, targets, classes=classes, sample_weight=weights
            )
        else:
            scores = model.progressive_fit(X, targets, sample_weight=weights)
        measure.add(scores, targets, weights, on_report)
    return measure.result(on_report)
