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

__all__ = ["table_metrics", "why_undefined"]


def table_metrics(task, estimator, chunks):
    """The metrics of ``estimator`` on the rows of ``chunks``, with their count as ``"rows"``.

    ``task`` is ``"regression"`` or ``"classification"``; ``chunks`` is an
    iterable of ``(X, y)``: one pair for a table in memory, the chunks of a
    stream otherwise. It is read once, and the sums are gathered chunk by
    chunk, so memory never holds more than a chunk. Raises ValueError when
    there are no rows.
    """
    if task == "regression":
        return _regression_metrics(estimator, chunks)
    return _classification_metrics(estimator, chunks)


def _regression_metrics(estimator, chunks):
    count, squared, absolute, mean, m2 = 0, 0.0, 0.0, 0.0, 0.0
    low, high = np.inf, -np.inf  # whether y varies, exactly: the mean of equal floats can miss them by an ulp
    for X, y in chunks:
        n = len(y)
        if n == 0:
            continue
        low, high = min(low, float(np.min(y))), max(high, float(np.max(y)))
        error = estimator.predict(X) - y
        squared += float(error @ error)
        absolute += float(np.abs(error).sum())
        # The variance of y by Chan et al.'s pairwise update: a chunk's own sum of squares,
        # plus what the gap between its mean and the running mean adds.
        chunk_mean = float(np.mean(y))
        delta = chunk_mean - mean
        m2 += float(((y - chunk_mean) ** 2).sum()) + delta * delta * count * n / (count + n)
        mean += delta * n / (count + n)
        count += n
    _refuse_no_rows(count)
    return {"R^2": 1 - squared / m2 if high > low and m2 > 0 else None,
            "RMSE": float(np.sqrt(squared / count)), "MAE": absolute / count, "rows": count}


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
    reasons = {"R^2": "a single row" if metrics.get("rows") == 1 else "the true values are all equal",
               "log loss": "a class the model never saw"}
    return {name: reasons.get(name, "not defined on these rows") for name, value in metrics.items()
            if value is None}


def _refuse_no_rows(count):
    if count == 0:
        raise ValueError("there are no rows to measure the model on")
