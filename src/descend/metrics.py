"""A fitted model's metrics on a table, gathered chunk by chunk: those that judge what its loss fits.

Regression by squared error, Huber or the epsilon-insensitive losses: R^2, RMSE, MAE. The log-link
losses (Poisson, Gamma, Tweedie), which fit a mean: the mean deviance of their distribution
(scikit-learn's ``mean_tweedie_deviance`` at the loss's power) and D^2, the share of the deviance
of predicting the mean of y that the model explains (``d2_tweedie_score``). The quantile loss, which
fits the q-quantile: the mean pinball loss (``mean_pinball_loss`` with alpha = q) and the coverage, the
share of rows whose y is at most the prediction, which should be near q. Classification: accuracy,
log loss (when the model gives probabilities) and the majority-class baseline to judge it by.

A metric the rows do not define is ``None``, never NaN (a model file cannot
hold NaN, and a NaN reads as a number): R^2 and D^2 when the true values do not
vary (a single row, or a constant target), since they divide by their
spread; a deviance when a prediction is 0 or infinite (the exponential of a score out of range); the
log loss when a row's class is not one of the model's, since
the model gives it no probability. :func:`why_undefined` says which and why.
"""

from __future__ import annotations

import numpy as np

from .losses import LOG_LINK_LOSSES, check_targets, get_loss

__all__ = ["table_metrics", "why_undefined", "deviance_name", "COVERAGE"]


def table_metrics(task, estimator, chunks):
    """The metrics of ``estimator`` on the rows of ``chunks``, with their count as ``"rows"``.

    ``task`` is ``"regression"`` or ``"classification"``; ``chunks`` is an
    iterable of ``(X, y)``: one pair for a table in memory, the chunks of a
    stream otherwise. It is read once, and the sums are gathered chunk by
    chunk, so memory never holds more than a chunk. Which metrics: those of
    the estimator's ``loss`` (see the module's docstring). Raises ValueError
    when there are no rows, or when a target lies outside a log-link loss's
    domain (naming it, as training does).
    """
    if task == "classification":
        return _classification_metrics(estimator, chunks)
    loss = getattr(estimator, "loss", "squared_error")
    if loss in LOG_LINK_LOSSES:
        return _deviance_metrics(estimator, chunks, get_loss(loss, power=estimator.power))
    if loss == "quantile":
        return _quantile_metrics(estimator, chunks, float(estimator.quantile))
    return _regression_metrics(estimator, chunks)


class _Spread:
    """How the true values spread, gathered chunk by chunk: their count, whether they vary (exactly:
    the mean of equal floats can miss them by an ulp) and the sum of their squared deviations from
    their mean, by Chan et al.'s pairwise update: a chunk's own sum of squares, plus what the gap
    between its mean and the running mean adds."""

    def __init__(self):
        self.count, self.mean, self.m2 = 0, 0.0, 0.0
        self.low, self.high = np.inf, -np.inf

    def add(self, y):
        n = len(y)
        self.low, self.high = min(self.low, float(np.min(y))), max(self.high, float(np.max(y)))
        chunk_mean = float(np.mean(y))
        delta = chunk_mean - self.mean
        self.m2 += float(((y - chunk_mean) ** 2).sum()) + delta * delta * self.count * n / (self.count + n)
        self.mean += delta * n / (self.count + n)
        self.count += n

    @property
    def varies(self):
        return self.high > self.low


def _regression_metrics(estimator, chunks):
    spread, squared, absolute = _Spread(), 0.0, 0.0
    for X, y in chunks:
        if len(y) == 0:
            continue
        error = estimator.predict(X) - y
        squared += float(error @ error)
        absolute += float(np.abs(error).sum())
        spread.add(y)
    count = spread.count
    _refuse_no_rows(count)
    return {"R^2": 1 - squared / spread.m2 if spread.varies and spread.m2 > 0 else None,
            "RMSE": float(np.sqrt(squared / count)), "MAE": absolute / count, "rows": count}


def deviance_name(loss) -> str:
    """What the metrics call the mean deviance of a log-link ``loss`` (a :class:`descend.losses.Loss`)."""
    named = {1.0: "Poisson", 2.0: "Gamma"}.get(loss.power)
    return f"mean {named} deviance" if named else f"mean Tweedie deviance (power {loss.power:g})"


def _deviance_metrics(estimator, chunks, loss):
    """The mean deviance at the loss's power, and D^2. D^2's denominator, the deviance of predicting
    the mean of all the rows, is gathered as the variance is: a deviance is a Bregman divergence, so
    over a chunk A of n_A rows of mean m_A, the sum of d(y, c) for a constant c is the sum of
    d(y, m_A) plus n_A d(m_A, c); each chunk keeps those two numbers, c being known at the end."""
    from sklearn.metrics import mean_tweedie_deviance

    power = loss.power
    spread, deviance, parts, defined = _Spread(), 0.0, [], True
    for X, y in chunks:
        n = len(y)
        if n == 0:
            continue
        check_targets(loss, y)
        with np.errstate(over="ignore"):  # an infinite prediction leaves the deviance undefined, below
            prediction = estimator.predict(X)
        if defined and np.all(np.isfinite(prediction)) and (power == 0 or np.all(prediction > 0)):
            deviance += n * float(mean_tweedie_deviance(y, prediction, power=power))
        else:
            defined = False
        mean = float(np.mean(y))
        around_own_mean = 0.0 if mean == 0 else n * float(mean_tweedie_deviance(y, np.full(n, mean), power=power))
        parts.append((n, mean, around_own_mean))
        spread.add(y)
    count = spread.count
    _refuse_no_rows(count)
    mean = spread.mean
    null = None
    if spread.varies and (power == 0 or mean > 0):
        null = sum(own + n * float(mean_tweedie_deviance([m], [mean], power=power)) for n, m, own in parts)
    name = deviance_name(loss)
    return _finite({name: deviance / count if defined else None,
                    "D^2": 1 - deviance / null if defined and null is not None and null > 0 else None,
                    "rows": count})


def _quantile_metrics(estimator, chunks, quantile):
    """The mean pinball loss at ``quantile`` and the share of rows at or below their prediction."""
    from sklearn.metrics import mean_pinball_loss

    count, pinball, covered = 0, 0.0, 0
    for X, y in chunks:
        n = len(y)
        if n == 0:
            continue
        prediction = estimator.predict(X)
        pinball += n * float(mean_pinball_loss(y, prediction, alpha=quantile))
        covered += int(np.sum(y <= prediction))
        count += n
    _refuse_no_rows(count)
    return _finite({"mean pinball loss": pinball / count, COVERAGE: covered / count, "rows": count})


#: The quantile fits' coverage: near the quantile when the fit is right.
COVERAGE = "coverage (share of y <= prediction)"


def _finite(metrics):
    """``metrics`` with a value that is not a finite number as None (a model file holds no NaN or inf)."""
    return {name: (None if isinstance(value, float) and not np.isfinite(value) else value)
            for name, value in metrics.items()}


def _classification_metrics(estimator, chunks):
    count, correct, log_loss, tally = 0, 0, 0.0, {}
    proba = hasattr(estimator, "predict_proba")
    for X, y in chunks:
        n = len(y)
        correct += int(np.sum(estimator.predict(X) == y))
        for label, times in zip(*np.unique(y, return_counts=True), strict=True):
            tally[label] = tally.get(label, 0) + int(times)
        if proba and log_loss is not None and not np.isin(y, estimator.classes_).all():
            log_loss = None  # a class the model has no probability for
        if proba and log_loss is not None:
            columns = np.searchsorted(estimator.classes_, y)
            chosen = estimator.predict_proba(X)[np.arange(n), columns]
            log_loss -= float(np.log(np.clip(chosen, 1e-15, 1.0)).sum())
        count += n
    _refuse_no_rows(count)
    metrics = {"accuracy": correct / count}
    if proba:
        metrics["log loss"] = None if log_loss is None else log_loss / count
    metrics["baseline (majority class)"] = max(tally.values()) / count
    metrics["rows"] = count
    return metrics


def why_undefined(metrics) -> dict:
    """{name: reason} for each metric of ``metrics`` (a :func:`table_metrics` result) that is None."""
    constant = "a single row" if metrics.get("rows") == 1 else "the true values are all equal"
    reasons = {"R^2": constant, "D^2": constant, "log loss": "a class the model never saw"}
    deviance = "a prediction is 0 or infinite (the exponential of a score out of range)"
    undefined = {name: reasons.get(name, deviance if "deviance" in name else "not defined on these rows")
                 for name, value in metrics.items() if value is None}
    if any("deviance" in name for name in undefined) and "D^2" in undefined:
        undefined["D^2"] = deviance  # D^2 divides the model's deviance
    return undefined


def _refuse_no_rows(count):
    if count == 0:
        raise ValueError("there are no rows to measure the model on")
