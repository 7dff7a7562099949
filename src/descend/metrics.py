"""A fitted model's metrics on a table, gathered chunk by chunk: those that judge what its loss fits.

Regression by squared error, Huber or the epsilon-insensitive losses: R^2, RMSE, MAE. The log-link
losses (Poisson, Gamma, Tweedie), which fit a mean: the mean deviance of their distribution
(scikit-learn's ``mean_tweedie_deviance`` at the loss's power) and D^2, the share of the deviance
of predicting the mean of y that the model explains (``d2_tweedie_score``). The quantile loss, which
fits the q-quantile: the mean pinball loss (``mean_pinball_loss`` with alpha = q) and the coverage, the
share of rows whose y is at most the prediction, which should be near q. Classification: accuracy,
log loss (when the model gives probabilities) and the majority-class baseline to judge it by.

Each chunk of rows is reduced to a few sums (:func:`metric_sums`), which :func:`combine_metrics` adds
up: chunks of a stream one after the other, or the partitions of a Dask cluster measured on its
workers, give the metrics of all their rows.

A metric the rows do not define is ``None``, never NaN (a model file cannot
hold NaN, and a NaN reads as a number): R^2 and D^2 when the true values do not
vary (a single row, or a constant target), since they divide by their
spread; a deviance when a prediction is 0 or infinite (the exponential of a score out of range); the
log loss when a row's class is not one of the model's, since
the model gives it no probability. :func:`why_undefined` says which and why.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from .losses import LOG_LINK_LOSSES, check_targets, get_loss

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from typing import Any

    from ._typing import AnyArray, ArrayLike, FloatArray, Matrix
    from .linear import GDClassifier, GDRegressor
    from .losses import Loss

__all__ = [
    "table_metrics",
    "metric_sums",
    "prediction_sums",
    "merge_sums",
    "combine_metrics",
    "why_undefined",
    "deviance_name",
    "COVERAGE",
]

#: The quantile fits' coverage: near the quantile when the fit is right.
COVERAGE = "coverage (share of y <= prediction)"


def table_metrics(
    task: str, estimator: GDRegressor | GDClassifier, chunks: Iterable[tuple[Matrix, AnyArray]]
) -> dict[str, float | None]:
    """The metrics of ``estimator`` on the rows of ``chunks``, with their count as ``"rows"``.

    ``chunks`` is read once, and the sums are gathered chunk by chunk, so memory never holds more
    than a chunk. Which metrics: those of the estimator's ``loss`` (see the module's docstring).

    Parameters
    ----------
    task : {"regression", "classification"}
        What the model does.
    estimator : GDRegressor or GDClassifier
        The fitted model.
    chunks : iterable of (X, y)
        One pair for a table in memory, the chunks of a stream otherwise.

    Returns
    -------
    dict
        ``{name: value}``, a value None where the rows do not define it (:func:`why_undefined`).

    Raises
    ------
    ValueError
        When there are no rows, or when a target lies outside a log-link loss's domain (naming it,
        as training does).

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> X = np.arange(8.0).reshape(-1, 1); y = 2 * X[:, 0] + 1
    >>> model = GDRegressor(penalty=None).fit(X, y)
    >>> metrics = table_metrics("regression", model, [(X[:4], y[:4]), (X[4:], y[4:])])
    >>> round(metrics["R^2"], 6), metrics["rows"]
    (1.0, 8)
    """
    return combine_metrics((metric_sums(task, estimator, X, y) for X, y in chunks))


def metric_sums(task: str, estimator: GDRegressor | GDClassifier, X: Matrix, y: AnyArray) -> tuple[Any, ...]:
    """What the metrics need of one chunk: a few sums, tagged by the kind of metrics they make.

    Parameters
    ----------
    task : {"regression", "classification"}
        What the model does.
    estimator : GDRegressor or GDClassifier
        The fitted model.
    X : array-like or sparse matrix
        The chunk's rows.
    y : array-like
        Their true values.

    Returns
    -------
    tuple
        ``(kind, n, ...)``, for :func:`combine_metrics`.

    Raises
    ------
    ValueError
        When a target lies outside a log-link loss's domain.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> X = np.arange(4.0).reshape(-1, 1)
    >>> model = GDRegressor(penalty=None).fit(X, X[:, 0])
    >>> metric_sums("regression", model, X, X[:, 0])[:2]
    ('regression', 4)
    """
    if task == "classification":
        if len(y) == 0:
            return ("classification", 0)
        proba = estimator.predict_proba(X) if hasattr(estimator, "predict_proba") else None
        return prediction_sums(task, estimator, y, estimator.predict(X), proba)
    if len(y) == 0:
        return (_kind(estimator), 0)
    loss = getattr(estimator, "loss", "squared_error")
    with np.errstate(over="ignore"):  # an infinite prediction leaves a deviance undefined
        prediction = estimator.predict(X)
    if loss in LOG_LINK_LOSSES:
        check_targets(_log_link_loss(estimator), y)
    return prediction_sums(task, estimator, y, prediction)


def prediction_sums(
    task: str,
    estimator: GDRegressor | GDClassifier,
    y: ArrayLike,
    prediction: AnyArray,
    proba: FloatArray | None = None,
) -> tuple[Any, ...]:
    """:func:`metric_sums` of rows whose predictions are made: ``prediction`` (the predicted values, or
    classes), ``proba`` (a classifier's probabilities, in the order of ``estimator.classes_``; None for
    one without). Online learning measures each row's prediction made before the model learned from
    it (:mod:`descend.online`).

    Parameters
    ----------
    task : {"regression", "classification"}
        What the model does.
    estimator : GDRegressor or GDClassifier
        The model: its ``loss`` (and ``quantile``, ``power``) picks the metrics; a classifier's ``classes_``.
    y : array-like
        The true values.
    prediction : ndarray
        The predictions: values, or classes.
    proba : ndarray of shape (n, n_classes), optional
        A classifier's probabilities.

    Returns
    -------
    tuple
        ``(kind, n, ...)``, for :func:`combine_metrics` and :func:`merge_sums`.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> prediction_sums("regression", GDRegressor(), np.array([1.0, 3.0]), np.array([1.0, 2.0]))
    ('regression', 2, 1.0, 3.0, 1.0, 1.0, 2.0, 2.0)
    """
    y = np.asarray(y)
    if task == "classification":
        return _classification_sums(estimator, y, prediction, proba)
    loss = getattr(estimator, "loss", "squared_error")
    if loss in LOG_LINK_LOSSES:
        return _deviance_sums(prediction, y, _log_link_loss(estimator))
    if loss == "quantile":
        return _quantile_sums(prediction, y, float(estimator.quantile))
    return _regression_sums(prediction, y)


def merge_sums(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    """The sums of two sets of rows in one tuple of the same size: what :func:`combine_metrics` would
    make of both, so that a stream of any length is measured in constant memory.

    Parameters
    ----------
    first, second : tuple
        :func:`metric_sums` (or :func:`prediction_sums`) of two sets of rows, of the same kind.

    Returns
    -------
    tuple
        The sums of their union.

    Examples
    --------
    >>> a = ("regression", 2, 0.0, 2.0, 0.5, 1.0, 1.0, 2.0)
    >>> b = ("regression", 1, 3.0, 3.0, 0.0, 0.0, 3.0, 0.0)
    >>> combine_metrics([merge_sums(a, b)]) == combine_metrics([a, b])
    True
    """
    if first[1] == 0:
        return second
    if second[1] == 0:
        return first
    kind = first[0]
    if kind == "regression":
        spread = _Spread()
        for part in (first, second):
            spread.add(part[1], part[2], part[3], part[6], part[7])
        return (
            "regression",
            spread.count,
            spread.low,
            spread.high,
            first[4] + second[4],
            first[5] + second[5],
            spread.mean,
            spread.m2,
        )
    if kind == "deviance":
        return _merged_deviance(first, second)
    if kind == "quantile":
        return ("quantile", first[1] + second[1], first[2] + second[2], first[3] + second[3])
    _, _, correct, log_loss, tally = first
    merged = dict(tally)
    combined: str | float | None
    for label, times in second[4].items():
        merged[label] = merged.get(label, 0) + times
    if "none" in (log_loss, second[3]):
        combined = "none"
    else:
        combined = None if log_loss is None or second[3] is None else log_loss + second[3]
    return ("classification", first[1] + second[1], correct + second[2], combined, merged)


def _kind(estimator: GDRegressor | GDClassifier) -> str:
    loss = getattr(estimator, "loss", "squared_error")
    return "deviance" if loss in LOG_LINK_LOSSES else "quantile" if loss == "quantile" else "regression"


def _log_link_loss(estimator: GDRegressor | GDClassifier) -> Loss:
    return get_loss(estimator.loss, power=getattr(estimator, "power", 1.5))


def combine_metrics(sums: Iterable[tuple[Any, ...]]) -> dict[str, float | None]:
    """The metrics of the chunks whose :func:`metric_sums` are ``sums`` (each tagged with its kind).

    Parameters
    ----------
    sums : iterable of tuple
        :func:`metric_sums` of each chunk.

    Returns
    -------
    dict
        ``{name: value}``, as :func:`table_metrics`.

    Raises
    ------
    ValueError
        When there are no rows.

    Examples
    --------
    >>> combine_metrics([("regression", 2, 0.0, 2.0, 0.5, 1.0, 1.0, 2.0)])
    {'R^2': 0.75, 'RMSE': 0.5, 'MAE': 0.5, 'rows': 2}
    """
    parts = [part for part in sums if part[1] > 0]
    _refuse_no_rows(sum(part[1] for part in parts))
    kind = parts[0][0]
    return {
        "regression": _regression_metrics,
        "deviance": _deviance_metrics,
        "quantile": _quantile_metrics,
        "classification": _classification_metrics,
    }[kind](parts)


def deviance_name(loss: Loss) -> str:
    """What the metrics call the mean deviance of a log-link loss.

    Parameters
    ----------
    loss : descend.losses.Loss
        A log-link loss.

    Returns
    -------
    str
        "mean Poisson deviance", "mean Gamma deviance" or "mean Tweedie deviance (power p)".

    Examples
    --------
    >>> from descend.losses import get_loss
    >>> deviance_name(get_loss("tweedie", power=1.5))
    'mean Tweedie deviance (power 1.5)'
    """
    assert loss.power is not None  # a log-link loss has one
    named = {1.0: "Poisson", 2.0: "Gamma"}.get(loss.power)
    return f"mean {named} deviance" if named else f"mean Tweedie deviance (power {loss.power:g})"


# ----------------------------------------------------------------- regression by squared error and kin
def _regression_sums(prediction: AnyArray, y: AnyArray) -> tuple[Any, ...]:
    n = len(y)
    if n == 0:
        return ("regression", 0)
    error = prediction - y
    chunk_mean = float(np.mean(y))
    return (
        "regression",
        n,
        float(np.min(y)),
        float(np.max(y)),
        float(error @ error),
        float(np.abs(error).sum()),
        chunk_mean,
        float(((y - chunk_mean) ** 2).sum()),
    )


class _Spread:
    """How the true values spread over the chunks: their count, whether they vary (exactly: the mean of
    equal floats can miss them by an ulp) and the sum of their squared deviations from their mean, by
    Chan et al.'s pairwise update: a chunk's own sum of squares, plus what the gap between its mean
    and the running mean adds."""

    def __init__(self) -> None:
        self.count, self.mean, self.m2 = 0, 0.0, 0.0
        self.low, self.high = np.inf, -np.inf

    def add(self, n: int, low: float, high: float, chunk_mean: float, chunk_m2: float) -> None:
        self.low, self.high = min(self.low, low), max(self.high, high)
        delta = chunk_mean - self.mean
        self.m2 += chunk_m2 + delta * delta * self.count * n / (self.count + n)
        self.mean += delta * n / (self.count + n)
        self.count += n

    @property
    def varies(self) -> bool:
        return self.high > self.low


def _regression_metrics(parts: list[tuple[Any, ...]]) -> dict[str, float | None]:
    spread, squared, absolute = _Spread(), 0.0, 0.0
    for _, n, low, high, chunk_squared, chunk_absolute, chunk_mean, chunk_m2 in parts:
        squared += chunk_squared
        absolute += chunk_absolute
        spread.add(n, low, high, chunk_mean, chunk_m2)
    count = spread.count
    return {
        "R^2": 1 - squared / spread.m2 if spread.varies and spread.m2 > 0 else None,
        "RMSE": float(np.sqrt(squared / count)),
        "MAE": absolute / count,
        "rows": count,
    }


# ----------------------------------------------------------------- log-link losses: deviance and D^2
def _deviance_sums(prediction: AnyArray, y: AnyArray, loss: Loss) -> tuple[Any, ...]:
    """A deviance is a Bregman divergence, so over a chunk A of n_A rows of mean m_A, the sum of
    d(y, c) for a constant c is the sum of d(y, m_A) plus n_A d(m_A, c): each chunk keeps those
    (D^2's denominator, the deviance of predicting the mean of all the rows, c known at the end)."""
    from sklearn.metrics import mean_tweedie_deviance

    n, power = len(y), loss.power
    if n == 0:
        return ("deviance", 0)
    defined = bool(np.all(np.isfinite(prediction)) and (power == 0 or np.all(prediction > 0)))
    deviance = n * float(mean_tweedie_deviance(y, prediction, power=power)) if defined else None
    mean = float(np.mean(y))
    around_own_mean = 0.0 if mean == 0 else n * float(mean_tweedie_deviance(y, np.full(n, mean), power=power))
    return ("deviance", n, float(np.min(y)), float(np.max(y)), mean, power, deviance, around_own_mean)


def _merged_deviance(first: tuple[Any, ...], second: tuple[Any, ...]) -> tuple[Any, ...]:
    """Two chunks' deviance sums as one: the same Bregman identity gives the union's own deviance
    around its mean, each part's own plus its rows times d(its mean, the union's mean)."""
    from sklearn.metrics import mean_tweedie_deviance

    spread = _Spread()
    for part in (first, second):
        spread.add(part[1], part[2], part[3], part[4], 0.0)
    power, mean = first[5], spread.mean
    deviance = None if first[6] is None or second[6] is None else first[6] + second[6]
    if power != 0 and mean <= 0:
        own = 0.0
    else:
        own = sum(
            part[7]
            + (0.0 if part[4] == mean else part[1] * float(mean_tweedie_deviance([part[4]], [mean], power=power)))
            for part in (first, second)
        )
    return ("deviance", spread.count, spread.low, spread.high, mean, power, deviance, own)


def _deviance_metrics(parts: list[tuple[Any, ...]]) -> dict[str, float | None]:
    from sklearn.metrics import mean_tweedie_deviance

    deviance: float | None
    spread, deviance, power = _Spread(), 0.0, parts[0][5]
    for _, n, low, high, mean, _, chunk_deviance, _ in parts:
        deviance = None if deviance is None or chunk_deviance is None else deviance + chunk_deviance
        spread.add(n, low, high, mean, 0.0)
    count, mean = spread.count, spread.mean
    null = None
    if spread.varies and (power == 0 or mean > 0):
        null = sum(
            own + n * float(mean_tweedie_deviance([m], [mean], power=power)) for _, n, _, _, m, _, _, own in parts
        )
    return _finite(
        {
            deviance_name(get_loss("tweedie", power=power)): None if deviance is None else deviance / count,
            "D^2": 1 - deviance / null if deviance is not None and null is not None and null > 0 else None,
            "rows": count,
        }
    )


# ----------------------------------------------------------------- quantiles: pinball loss and coverage
def _quantile_sums(prediction: AnyArray, y: AnyArray, quantile: float) -> tuple[Any, ...]:
    from sklearn.metrics import mean_pinball_loss

    n = len(y)
    if n == 0:
        return ("quantile", 0)
    return ("quantile", n, n * float(mean_pinball_loss(y, prediction, alpha=quantile)), int(np.sum(y <= prediction)))


def _quantile_metrics(parts: list[tuple[Any, ...]]) -> dict[str, float | None]:
    count = sum(part[1] for part in parts)
    pinball, covered = sum(part[2] for part in parts), sum(part[3] for part in parts)
    return _finite({"mean pinball loss": pinball / count, COVERAGE: covered / count, "rows": count})


# ----------------------------------------------------------------- classification
def _classification_sums(
    estimator: GDRegressor | GDClassifier, y: AnyArray, predicted: AnyArray, proba: FloatArray | None
) -> tuple[Any, ...]:
    n = len(y)
    correct = int(np.sum(predicted == y)) if n else 0
    tally = {label: int(times) for label, times in zip(*np.unique(y, return_counts=True), strict=True)}
    log_loss: float | str | None = 0.0
    if proba is None:
        log_loss = "none"
    elif not np.isin(y, estimator.classes_).all():
        log_loss = None  # a class the model has no probability for
    elif n:
        chosen = proba[np.arange(n), np.searchsorted(estimator.classes_, y)]
        log_loss = -float(np.log(np.clip(chosen, 1e-15, 1.0)).sum())
    return ("classification", n, correct, log_loss, tally)


def _classification_metrics(parts: list[tuple[Any, ...]]) -> dict[str, float | None]:
    log_loss: float | None
    tally: dict[Any, int]
    count, correct, log_loss, tally, proba = 0, 0, 0.0, {}, True
    for _, n, chunk_correct, chunk_log_loss, chunk_tally in parts:
        correct += chunk_correct
        for label, times in chunk_tally.items():
            tally[label] = tally.get(label, 0) + times
        if chunk_log_loss == "none":
            proba = False
        elif chunk_log_loss is None or log_loss is None:
            log_loss = None
        else:
            log_loss += chunk_log_loss
        count += n
    metrics: dict[str, float | None] = {"accuracy": correct / count}
    if proba:
        metrics["log loss"] = None if log_loss is None else log_loss / count
    metrics["baseline (majority class)"] = max(tally.values()) / count
    metrics["rows"] = count
    return metrics


def _finite(metrics: dict[str, float | None]) -> dict[str, float | None]:
    """``metrics`` with a value that is not a finite number as None (a model file holds no NaN or inf)."""
    return {
        name: (None if isinstance(value, float) and not np.isfinite(value) else value)
        for name, value in metrics.items()
    }


def why_undefined(metrics: Mapping[str, float | None]) -> dict[str, str]:
    """{name: reason} for each metric of ``metrics`` (a :func:`table_metrics` result) that is None.

    Parameters
    ----------
    metrics : dict
        ``{name: value}``, as :func:`table_metrics` returns (its ``"rows"`` says whether there was a
        single row).

    Returns
    -------
    dict
        ``{name: reason}`` for each metric whose value is None, in the order of ``metrics``; empty when
        every metric is defined.

    Examples
    --------
    >>> why_undefined({"R^2": None, "RMSE": 0.0, "MAE": 0.0, "rows": 1})
    {'R^2': 'a single row'}
    >>> why_undefined({"mean Poisson deviance": None, "D^2": None, "rows": 5})["D^2"]
    'a prediction is 0 or infinite (the exponential of a score out of range)'
    >>> why_undefined({"accuracy": 0.5, "log loss": None, "rows": 4})
    {'log loss': 'a class the model never saw'}
    """
    constant = "a single row" if metrics.get("rows") == 1 else "the true values are all equal"
    reasons = {"R^2": constant, "D^2": constant, "log loss": "a class the model never saw"}
    deviance = "a prediction is 0 or infinite (the exponential of a score out of range)"
    undefined = {
        name: reasons.get(name, deviance if "deviance" in name else "not defined on these rows")
        for name, value in metrics.items()
        if value is None
    }
    if any("deviance" in name for name in undefined) and "D^2" in undefined:
        undefined["D^2"] = deviance  # D^2 divides the model's deviance
    return undefined


def _refuse_no_rows(count: int) -> None:
    if count == 0:
        raise ValueError("there are no rows to measure the model on")
