"""A fitted model's metrics on a table, gathered chunk by chunk.

Regression: R^2, RMSE, MAE. Classification: accuracy, log loss (when the
model gives probabilities) and the majority-class baseline to judge it by.

A metric the rows do not define is ``None``, never NaN (a model file cannot
hold NaN, and a NaN reads as a number): R^2 when the true values do not
vary (a single row, or a constant target), since it divides by their
variance; the log loss when a row's class is not one of the model's, since
the model gives it no probability. :func:`why_undefined` says which and why.
"""

from __future__ import annotations

import numpy as np

__all__ = ["table_metrics", "metric_sums", "combine_metrics", "why_undefined"]


def table_metrics(task, estimator, chunks):
    """The metrics of ``estimator`` on the rows of ``chunks``, with their count as ``"rows"``.

    ``task`` is ``"regression"`` or ``"classification"``; ``chunks`` is an
    iterable of ``(X, y)``: one pair for a table in memory, the chunks of a
    stream otherwise. It is read once, and the sums are gathered chunk by
    chunk, so memory never holds more than a chunk. Raises ValueError when
    there are no rows.
    """
    return combine_metrics(task, (metric_sums(task, estimator, X, y) for X, y in chunks))


def metric_sums(task, estimator, X, y) -> tuple:
    """What the metrics need of one chunk: small sums, which :func:`combine_metrics` adds up (chunks
    measured apart, on a Dask cluster's workers, give the metrics of all their rows)."""
    n = len(y)
    if task == "regression":
        if n == 0:
            return (0,)
        error = estimator.predict(X) - y
        chunk_mean = float(np.mean(y))
        return (n, float(np.min(y)), float(np.max(y)), float(error @ error), float(np.abs(error).sum()), chunk_mean,
                float(((y - chunk_mean) ** 2).sum()))
    correct = int(np.sum(estimator.predict(X) == y))
    tally = {label: int(times) for label, times in zip(*np.unique(y, return_counts=True), strict=True)}
    log_loss = 0.0
    if not hasattr(estimator, "predict_proba"):
        log_loss = "none"
    elif not np.isin(y, estimator.classes_).all():
        log_loss = None  # a class the model has no probability for
    elif n:
        chosen = estimator.predict_proba(X)[np.arange(n), np.searchsorted(estimator.classes_, y)]
        log_loss = -float(np.log(np.clip(chosen, 1e-15, 1.0)).sum())
    return n, correct, log_loss, tally


def combine_metrics(task, sums):
    """The metrics of the chunks whose :func:`metric_sums` are ``sums``."""
    if task == "regression":
        return _regression_metrics(sums)
    return _classification_metrics(sums)


def _regression_metrics(sums):
    count, squared, absolute, mean, m2 = 0, 0.0, 0.0, 0.0, 0.0
    low, high = np.inf, -np.inf  # whether y varies, exactly: the mean of equal floats can miss them by an ulp
    for part in sums:
        n = part[0]
        if n == 0:
            continue
        _, chunk_low, chunk_high, chunk_squared, chunk_absolute, chunk_mean, chunk_m2 = part
        low, high = min(low, chunk_low), max(high, chunk_high)
        squared += chunk_squared
        absolute += chunk_absolute
        # The variance of y by Chan et al.'s pairwise update: a chunk's own sum of squares,
        # plus what the gap between its mean and the running mean adds.
        delta = chunk_mean - mean
        m2 += chunk_m2 + delta * delta * count * n / (count + n)
        mean += delta * n / (count + n)
        count += n
    _refuse_no_rows(count)
    return {"R^2": 1 - squared / m2 if high > low and m2 > 0 else None,
            "RMSE": float(np.sqrt(squared / count)), "MAE": absolute / count, "rows": count}


def _classification_metrics(sums):
    count, correct, log_loss, tally, proba = 0, 0, 0.0, {}, True
    for n, chunk_correct, chunk_log_loss, chunk_tally in sums:
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
    _refuse_no_rows(count)
    metrics = {"accuracy": correct / count}
    if proba:
        metrics["log loss"] = None if log_loss is None else log_loss / count
    metrics["baseline (majority class)"] = max(tally.values()) / count
    metrics["rows"] = count
    return metrics


def why_undefined(metrics) -> dict:
    """{name: reason} for each metric of ``metrics`` (a :func:`table_metrics` result) that is None."""
    reasons = {"R^2": "a single row" if metrics.get("rows") == 1 else "the true values are all equal",
               "log loss": "a class the model never saw"}
    return {name: reasons.get(name, "not defined on these rows") for name, value in metrics.items()
            if value is None}


def _refuse_no_rows(count):
    if count == 0:
        raise ValueError("there are no rows to measure the model on")
