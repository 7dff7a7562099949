r"""Training on a Dask cluster: the data stays in the workers' memory, partition by partition.

``GDRegressor().fit(X, y)`` with a ``dask.array`` (or ``dask.dataframe``) X
trains on the active ``dask.distributed`` client, with the one epoch loop
of :mod:`descend.linear._trainer`; :class:`DaskSource` is how an epoch
walks the partitions.

* **Full batch** (``batch_size=None``): each step's gradient is a sum over
  partitions, computed on the workers (:func:`descend._engine.kernels.gradient_sum`)
  from the current weights, which travel to them with every step; the
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

``fit(table)`` with a :class:`descend.readers.dask_tables.DaskTable` (files that the
workers read) trains on its matrix and targets, persisted on the workers for
the full batch; for mini-batches they are not persisted: each epoch, each
partition is read again and its local epoch run in one task, so a worker holds
a partition at a time, not its share of the data.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np

from .._engine import kernels
from .._engine.problem import Data
from .._engine.stats import largest_eigenvalue
from ._state import DataSummary
from ._steps import Epoch, compiled_steps

if TYPE_CHECKING:
    from collections.abc import Callable

    from .._engine.problem import Model, Objective
    from .._typing import AnyArray, FloatArray, IntArray
    from ._settings import Settings
    from ._state import ModelState
    from ._steps import Evaluator, Problem, Stepper

__all__ = ["is_dask_collection", "is_dask_table", "DaskSource"]


def is_dask_collection(X: object) -> bool:
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "__dask_graph__")


def is_dask_table(X: object) -> bool:
    """Files that a Dask cluster reads (a descend.readers.dask_tables.DaskTable): anything with ``dask_arrays()``."""
    return hasattr(X, "dask_arrays")


def _call(function: Callable[..., Any], X: Any, y: Any, arguments: tuple[Any, ...]) -> Any:
    return function(X, y, *arguments)


def as_dask_arrays(X: Any, y: Any) -> tuple[Any, Any, list[str] | None]:
    """(X as a 2-D float64 dask array of whole rows, y as a 1-D dask array chunked alike, the
    column names of a dask DataFrame or None)."""
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


def _partition_data(X: FloatArray, y: FloatArray) -> Data:
    return Data(np.ascontiguousarray(X, dtype=np.float64), np.ascontiguousarray(y, dtype=np.float64), np.empty(0))


def _partition_gradient(
    X: FloatArray, y: FloatArray, model: Model, objective: Objective
) -> tuple[float, float, FloatArray]:
    """A worker's share of a full-batch step: (loss sum, weight sum, gradient sum) of its partition."""
    data = _partition_data(X, y)
    return kernels.gradient_sum(data, np.arange(data.X.shape[0]), model, objective)


def _partition_epoch(
    X: FloatArray,
    y: FloatArray,
    seed: int,
    problem: Problem,
    t: int,
    lrs: FloatArray,
    batch_size: int,
    plain: bool,
) -> tuple[FloatArray, tuple[FloatArray, ...], float, float, int, int]:
    """An epoch of mini-batch steps on one partition, from copies of the weights and state."""
    data = _partition_data(X, y)
    model, objective, hyperparameters, arrays = problem
    model = model._replace(theta=model.theta.copy())
    arrays = tuple(a.copy() for a in arrays)
    order = np.random.RandomState(seed).permutation(data.X.shape[0])
    n_steps = -(-data.X.shape[0] // batch_size)
    loss_sum, weight_sum, _ = compiled_steps(
        data, order, (model, objective, hyperparameters, arrays), t, lrs[:n_steps], batch_size, 1.0, plain
    )
    return model.theta, arrays, loss_sum, weight_sum, data.X.shape[0], n_steps


class DaskSource:
    """The rows of dask collections ``X`` and ``y``, persisted on the workers of the active client.
    ``classes`` (a classifier's labels, sorted): the targets are encoded on the cluster, as -1/+1
    for two classes and as the class index for more."""

    def __init__(self, X: Any, y: Any, settings: Settings, *, loss: str, classes: AnyArray | None = None) -> None:
        from distributed import default_client

        if settings.checkpoint is not None:
            raise ValueError(
                "checkpoints and resume=True are for fits in memory and on streams, not on a Dask "
                "cluster (whose workers recompute lost partitions themselves)"
            )
        try:
            self.client = default_client()
        except ValueError:
            raise ValueError(
                "fitting on dask collections needs a dask.distributed Client: from dask.distributed "
                "import Client; Client()  (or Client('tcp://host:port'))"
            ) from None
        # files read by the workers, for mini-batches: read again each epoch, a partition at a time
        self.persisted = not (is_dask_table(X) and settings.batch_size is not None)
        if is_dask_table(X):
            X, y, self.feature_names = X.dask_arrays()
        else:
            X, y, self.feature_names = as_dask_arrays(X, y)
        if self.persisted:
            X, y = self.client.persist([X, y])
        self.n_out, self.loss = 1, loss
        if classes is not None:
            binary = len(classes) == 2
            codes = y.map_blocks(lambda block: np.searchsorted(classes, block), dtype=np.int64)
            y = (2.0 * codes - 1.0) if binary else codes.astype(float)
            y = self.client.persist(y) if self.persisted else y
            self.n_out = 1 if binary else len(classes)
        self.X, self.y, self.settings = X, y, settings
        self.n_rows, self.n_features = int(X.shape[0]), int(X.shape[1])
        pairs = list(zip(X.to_delayed().ravel(), y.to_delayed().ravel(), strict=True))
        if self.persisted:
            partitions = [self.client.compute(part) for pair in pairs for part in pair]
            self.partitions = list(zip(partitions[::2], partitions[1::2], strict=True))
        else:
            self.partitions = pairs
        self.partition_rows = [int(c) for c in X.chunks[0]]
        batch = settings.batch_size
        assert not isinstance(batch, str)  # for_data settled "auto"
        self.batch_size = self.n_rows if batch is None else min(batch, min(self.partition_rows))
        self.steps_per_epoch = 1 if batch is None else max(-(-r // self.batch_size) for r in self.partition_rows)
        self.rows_per_epoch = self.curvature_rows = self.n_rows
        self.full_batch = batch is None

    @staticmethod
    def labels(X: Any, y: Any) -> AnyArray:
        """The sorted distinct labels of ``y``, computed on the cluster (a DaskTable knows its classes)."""
        import dask.array as da

        if is_dask_table(X):
            return X.classes

        return np.asarray(da.unique(as_dask_arrays(X, y)[1]).compute())

    def summary(self, rng: np.random.RandomState) -> DataSummary:
        import dask
        import dask.array as da

        mean, std, y_mean, y_max = dask.compute(
            self.X.mean(axis=0), self.X.std(axis=0), self.y.mean(), abs(self.y).max()
        )
        spread, mean_square = dask.compute(abs(self.y - y_mean).mean(), ((self.y - y_mean) ** 2).mean())
        counts = da.bincount(self.y.astype(int), minlength=self.n_out).compute() if self.loss == "multinomial" else None
        return DataSummary(
            mean,
            std,
            float(y_mean),
            counts,
            n_out=self.n_out,
            loss=self.loss,
            dtype=np.float64,
            target_max=float(y_max),
            target_spread=float(spread),
            target_rms=float(np.sqrt(mean_square)),
            rows=int(self.y.shape[0]) if np.isfinite(self.y.shape[0]) else 0,
        )

    def curvature(self, state: ModelState, eigenvalue: bool, row_norm: bool) -> tuple[float | None, float | None]:
        import dask
        import dask.array as da

        standardized = (self.X - state.center) * state.scale
        design = da.concatenate([standardized, da.ones((self.n_rows, 1), chunks=(self.X.chunks[0], 1))], axis=1)
        gram, norm = dask.compute(design.T @ design, ((standardized**2).sum(axis=1) + 1.0).max())
        return (largest_eigenvalue(gram) if eigenvalue else None), (float(norm) if row_norm else None)

    def sample(self, rows: int) -> tuple[Data, IntArray]:
        """The first ``rows`` rows, brought to the client."""
        X, y = (np.ascontiguousarray(a, dtype=np.float64) for a in (self.X[:rows].compute(), self.y[:rows].compute()))
        return Data(X, y, np.empty(0)), np.arange(len(y))

    def epoch(self, stepper: Stepper, rng: np.random.RandomState) -> Epoch:
        if stepper.line_search:
            return stepper.line_search_step(self._evaluator(stepper), self.n_rows)
        if self.settings.batch_size is None:
            loss_sum, weight_sum, grad = self._evaluator(stepper)(stepper.state.theta)
            stationarity = stepper.gradient_step(grad, 1.0 / weight_sum)
        else:
            loss_sum, weight_sum = self._local_epochs(stepper, rng)
            stationarity = -1.0
        stepper.check_finite(loss_sum)
        stepper.advance(self.n_rows)
        return Epoch(loss_sum, weight_sum, self.n_rows, stationarity)

    def _evaluator(self, stepper: Stepper) -> Evaluator:
        """theta -> (loss sum, weight sum, gradient sum) of the whole data, summed over the partitions
        on the workers."""

        def evaluate(theta: FloatArray) -> tuple[float, float, FloatArray]:
            # The weights travel inside each task, not scattered to the workers beforehand: scattered
            # data dies with a worker and cannot be recomputed, so a killed worker would cancel the step.
            model, objective, _, _ = stepper.problem()
            model = model._replace(theta=theta.copy())
            results = self.client.gather(self._tasks(_partition_gradient, [(model, objective)] * len(self.partitions)))
            return sum(r[0] for r in results), sum(r[1] for r in results), np.sum([r[2] for r in results], axis=0)

        return evaluate

    def stationarity(self, stepper: Stepper) -> float:
        return stepper.stationarity(self._evaluator(stepper))

    def kinked_minimizer(self, stepper: Stepper) -> None:
        return None  # its rounds read chosen rows and pass over the data several times: the workers' rows

    def _local_epochs(self, stepper: Stepper, rng: np.random.RandomState) -> tuple[float, float]:
        state = stepper.state
        lrs = stepper.rates(self.steps_per_epoch)
        seeds = rng.randint(0, 2**31 - 1, size=len(self.partitions))
        plain = stepper.plain(self.batch_size)
        problem = stepper.problem()
        results = self.client.gather(
            self._tasks(
                _partition_epoch, [(int(seed), problem, state.t, lrs, self.batch_size, plain) for seed in seeds]
            )
        )
        shares = np.array([r[4] for r in results], dtype=float) / self.n_rows
        state.theta[:] = np.sum([share * r[0] for share, r in zip(shares, results, strict=True)], axis=0)
        for index, name in enumerate(state.optimizer.state_names):
            state.optimizer_state[name][:] = np.sum(
                [share * r[1][index] for share, r in zip(shares, results, strict=True)], axis=0
            )
        state.optimizer_state["step"] += max(r[5] for r in results)
        stepper.last_lr = float(lrs[-1])
        return sum(r[2] for r in results), sum(r[3] for r in results)

    def _tasks(self, function: Callable[..., Any], arguments: list[tuple[Any, ...]]) -> list[Any]:
        """``function(X, y, *arguments[i])`` on each partition i: on its persisted rows, or reading them
        in the same task graph (a worker reads a partition, runs the task, and lets it go)."""
        if self.persisted:
            return [
                self.client.submit(function, X, y, *args, pure=False)
                for (X, y), args in zip(self.partitions, arguments, strict=True)
            ]
        from dask import delayed

        return self.client.compute(
            [
                delayed(_call, pure=False)(function, X, y, delayed(args, traverse=False))
                for (X, y), args in zip(self.partitions, arguments, strict=True)
            ]
        )

    def validation_loss(self, stepper: Stepper) -> None:
        return None

    def fingerprint(self) -> NoReturn:
        raise ValueError("checkpoints are for fits in memory and on streams, not on a Dask cluster")
