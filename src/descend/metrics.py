"""A fitted model's metrics on a table, gathered chunk by chunk.

Regression: R^2, RMSE, MAE. Classification: accuracy, log loss (when the
model gives probabilities) and the majority-class baseline to judge it by.
"""

from __future__ import annotations

import numpy as np

__all__ = ["table_metrics"]


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
    for X, y in chunks:
        n = len(y)
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
    return {"R^2": 1 - squared / m2 if m2 > 0 else float("nan"),
            "RMSE": float(np.sqrt(squared / count)), "MAE": absolute / count, "rows": count}


def _classification_metrics(estimator, chunks):
    count, correct, log_loss, tally = 0, 0, 0.0, {}
    proba = hasattr(estimator, "predict_proba")
    for X, y in chunks:
        n = len(y)
        correct += int(np.sum(estimator.predict(X) == y))
        for label, times in zip(*np.unique(y, return_counts=True), strict=True):
            tally[label] = tally.get(label, 0) + int(times)
        if proba:
            columns = np.searchsorted(estimator.classes_, y)
            chosen = estimator.predict_proba(X)[np.arange(n), columns]
            log_loss -= float(np.log(np.clip(chosen, 1e-15, 1.0)).sum())
        count += n
    _refuse_no_rows(count)
    metrics = {"accuracy": correct / count}
    if proba:
        metrics["log loss"] = log_loss / count
    metrics["baseline (majority class)"] = max(tally.values()) / count
    metrics["rows"] = count
    return metrics


def _refuse_no_rows(count):
    if count == 0:
        raise ValueError("there are no rows to measure the model on")
