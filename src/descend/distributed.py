r"""Training on a Dask cluster: the data stays in the workers' memory, partition by partition.

``GDRegressor().fit(X, y)`` with a ``dask.array`` (or ``dask.dataframe``) X
runs here, on the active ``dask.distributed`` client.

* **Full batch** (``batch_size=None``): each step's gradient is a sum over
  partitions, computed on the workers (:func:`descend._engine.compiled_gradient_sum`)
  from the current weights, which are broadcast to them every step; the
  client adds the sums and takes the optimizer's step. It is the in-memory
  full-batch fit, up to the order of floating-point sums (tested to 1e-8).
* **Mini-batch** (``batch_size`` an int): *local SGD with model averaging*.
  Each worker runs an epoch of mini-batch steps on its own partition from the
  same weights and optimizer state; the client then averages the weights and
  the optimizer states, weighted by rows. This is the synchronous
  parallel-SGD scheme of Ruder 2016, *An overview of gradient descent
  optimization algorithms*, section 5 (parallelizing and distributing SGD;
  see also Zinkevich et al. 2010). It is an approximation: the average of
  models trained apart is not the model one sequential pass would give.

A worker that dies mid-fit is no failure: Dask recomputes its tasks on the
workers that remain (the partitions are rebuilt from the task graph).
"""

from __future__ import annotations

import numpy as np
from sklearn.utils import check_random_state

from . import _engine
from .schedules import rates

__all__ = ["is_dask_collection", "fit_dask"]


def is_dask_collection(X) -> bool:
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "__dask_graph__")


def _as_dask_arrays(X, y):
    import dask.array as da
    import dask.dataframe as dd

    names = None
    if isinstance(X, dd.DataFrame):
        names = [str(c) for c in X.columns]
        X = X.to_dask_array(lengths=True)
    if isinstance(y, (dd.Series, dd.DataFrame)):
        y = y.to_dask_array(lengths=True)
    if not isinstance(y, da.Array):
        y = da.from_array(np.asarray(y), chunks=(X.chunks[0],))
    if X.ndim != 2 or y.ndim != 1:
        raise ValueError(f"dask X must be 2-D and y 1-D, got {X.ndim}-D and {y.ndim}-D")
    if np.isnan(X.shape[0]) or X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y have inconsistent numbers of samples: {X.shape[0]} and {y.shape[0]}")
    X = X.rechunk({1: -1}).astype(np.float64)
    y = y.rechunk((X.chunks[0],))
    return X, y, names


def _partition_gradient(X, y, center, scale, theta, n_out, loss_code, epsilon):
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    return _engine.compiled_gradient_sum(X, y, np.empty(0), center, scale, theta, n_out, loss_code, epsilon)


def _partition_epoch(X, y, seed, center, scale, theta, state, code, hp, t, mu_product, n_out, loss_code, epsilon,
                     fit_intercept, batch_size, lrs, l1, l2):
    """An epoch of mini-batch steps on one partition, from copies of the weights and state."""
    X = np.ascontiguousarray(X, dtype=np.float64)
    y = np.ascontiguousarray(y, dtype=np.float64)
    theta = theta.copy()
    slots = [s.copy() for s in state]
    order = np.random.RandomState(seed).permutation(X.shape[0])
    n_steps = -(-X.shape[0] // batch_size)
    loss_sum, weight_sum, t, mu_product = _engine.compiled_steps(
        X, y, np.empty(0), order, center, scale, theta, n_out, loss_code, epsilon, fit_intercept, batch_size,
        lrs[:n_steps], 1.0, code, hp, *slots, t, mu_product, l1, l2)
    return theta, slots, loss_sum, weight_sum, X.shape[0], n_steps, mu_product


def fit_dask(estimator, X, y, *, n_out, loss_name, classes=None, resume=False):
    """Fit ``estimator`` (GDRegressor or GDClassifier) on dask collections with the active client."""
    import dask
    import dask.array as da
    from distributed import default_client

    if estimator.checkpoint is not None or resume:
        raise ValueError("checkpoints and resume=True are for fits in memory and on streams, not on a Dask "
                         "cluster (whose workers recompute lost partitions themselves)")
    try:
        client = default_client()
    except ValueError:
        raise ValueError("fitting on dask collections needs a dask.distributed Client: "
                         "from dask.distributed import Client; Client()  (or Client('tcp://host:port'))") from None
    X, y, names = _as_dask_arrays(X, y)
    X, y = client.persist([X, y])
    n, p = int(X.shape[0]), int(X.shape[1])
    if classes is not None:
        classes = np.asarray(classes)
        binary = len(classes) == 2
        codes = y.map_blocks(lambda block: np.searchsorted(classes, block), dtype=np.int64)
        y = ((2.0 * codes - 1.0) if binary else codes.astype(float)).persist()

    # The same setup as in memory: moments, first intercept, curvature.
    mean, std, y_mean = dask.compute(X.mean(axis=0), X.std(axis=0), y.mean())
    estimator._dask_setup(p, n_out, loss_name, mean, std, y, float(y_mean), names)
    center, scale = estimator._center, estimator._scale
    optimizer, loss = estimator._optimizer, estimator._loss
    epsilon = float(getattr(estimator, "epsilon", 0.0))
    l1, l2 = estimator._penalty_weights()
    batch_size = estimator.batch_size
    gram = row_norm = None
    if estimator.learning_rate == "auto" and isinstance(optimizer, _engine.SGD):
        standardized = (X - center) * scale
        ones = da.ones((n, 1), chunks=(X.chunks[0], 1))
        design = da.concatenate([standardized, ones], axis=1)
        gram, row_norm = dask.compute(design.T @ design, ((standardized**2).sum(axis=1) + 1.0).max())
    partitions = list(zip(X.to_delayed().ravel(), y.to_delayed().ravel(), strict=True))
    partitions = [client.compute(part) for pair in partitions for part in pair]
    pairs = list(zip(partitions[::2], partitions[1::2], strict=True))
    rows_per_partition = [int(c) for c in X.chunks[0]]
    local_batch = n if batch_size is None else min(batch_size, min(rows_per_partition))
    lr0 = estimator._initial_rate(optimizer, None, np.empty(0), np.arange(n), 1.0, local_batch if batch_size
                                  else n, loss, gram, float(row_norm) if row_norm is not None else None)
    estimator.learning_rate_ = lr0
    steps_per_epoch = 1 if batch_size is None else max(-(-r // local_batch) for r in rows_per_partition)
    schedule = estimator._make_schedule(lr0, steps_per_epoch)
    rng = check_random_state(estimator.random_state)
    record = estimator._new_record()
    for _ in range(estimator.max_iter):
        code, hp, slots = _engine.pack_optimizer(optimizer, estimator._opt_state)
        # The weights travel inside each task, not scattered to the workers beforehand: scattered
        # data dies with a worker and cannot be recomputed, so a killed worker would cancel the step.
        theta = estimator._theta.copy()
        if batch_size is None:
            tasks = [client.submit(_partition_gradient, xp, yp, center, scale, theta, n_out, loss.code, epsilon,
                                   pure=False) for xp, yp in pairs]
            results = client.gather(tasks)
            loss_sum = sum(r[0] for r in results)
            weight_sum = sum(r[1] for r in results)
            grad = np.sum([r[2] for r in results], axis=0)
            lr = float(rates(schedule, estimator.t_ + 1, 1)[0])
            estimator.t_, estimator._mu_product = _engine.compiled_apply_gradient(
                estimator._theta, grad, n_out, 1.0 / weight_sum, l1, l2, estimator.fit_intercept, lr, code, hp,
                *slots, estimator.t_, estimator._mu_product)
        else:
            lrs = rates(schedule, estimator.t_ + 1, steps_per_epoch)
            seeds = rng.randint(0, 2**31 - 1, size=len(pairs))
            tasks = [client.submit(_partition_epoch, xp, yp, int(seed), center, scale, theta, slots, code, hp,
                                   estimator.t_, estimator._mu_product, n_out, loss.code, epsilon,
                                   estimator.fit_intercept, local_batch, lrs, l1, l2, pure=False)
                     for (xp, yp), seed in zip(pairs, seeds, strict=True)]
            results = client.gather(tasks)
            weights = np.array([r[4] for r in results], dtype=float) / n
            estimator._theta[:] = np.sum([w * r[0] for w, r in zip(weights, results, strict=True)], axis=0)
            for index, name in enumerate(_engine.slot_names(optimizer)):
                estimator._opt_state[name][:] = np.sum([w * r[1][index] for w, r in
                                                        zip(weights, results, strict=True)], axis=0)
            loss_sum = sum(r[2] for r in results)
            weight_sum = sum(r[3] for r in results)
            estimator.t_ += max(r[5] for r in results)
            estimator._mu_product = float(np.mean([r[6] for r in results]))
            lr = float(lrs[-1])
        estimator._opt_state["step"] = estimator.t_
        if "mu_product" in estimator._opt_state:
            estimator._opt_state["mu_product"] = estimator._mu_product
        estimator._check_finite(loss_sum)
        estimator._last_lr = lr
        objective = estimator._end_epoch(loss_sum / weight_sum, record)
        if estimator._stalled(record, objective):
            break
    else:
        if estimator.tol is not None:
            estimator._warn_unconverged()
    estimator._publish()
    return estimator
