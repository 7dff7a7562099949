r"""The state of a linear model: everything a fit has learned, in the coordinates its steps take.

The steps are taken in standardized coordinates :math:`z = (x - \mu) \odot s`
(``center`` :math:`\mu`, ``scale`` :math:`s = 1/\sigma`): ``theta`` holds, for
each of ``n_out`` outputs, the weights :math:`v` of z and the intercept
:math:`c`. The coefficients of the original features follow,
:math:`w = v \odot s` and :math:`b = c - w^\top \mu`
(:meth:`ModelState.coefficients`). The optimizer's state (its moments, the
step count ``"step"``, NAdam's ``"mu_product"``) travels with the weights
it belongs to, and so do the epochs run and the history of the losses.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from .._engine.step import penalty_value
from ..losses import LOG_LINK_LOSSES, REGRESSION_LOSSES
from ..optimizers import Optimizer
from ._model_file import packed, unpacked

if TYPE_CHECKING:
    from numpy.typing import DTypeLike

    from .._typing import FloatArray, IntArray, NDArray
    from ..penalties import ElasticNet

__all__ = ["DataSummary", "ModelState", "plain", "from_plain"]


@dataclass
class DataSummary:
    """What a fit needs to know of its data to start: the weighted column moments (over all of
    it or a first block), the weighted mean target (one per output for several regression
    outputs), for the multinomial loss the weight of each class; the number of outputs, the loss's
    name (``"multinomial"`` for log-loss on more than two classes), the dtype of the rows, and
    the largest target in absolute value (the curvature of the log-link losses), the target's
    spread (the first smoothing of the quantile loss) and its root mean square deviation (the
    normalized update's damping for squared error)."""

    mean: FloatArray
    std: FloatArray
    target_mean: float | FloatArray
    class_counts: FloatArray | IntArray | None
    n_out: int
    loss: str
    dtype: DTypeLike
    target_max: float = 1.0
    target_spread: float = 1.0  # the mean absolute deviation of the target: the scale of the residuals
    target_rms: float = 1.0  # its root mean square deviation: squared error's derivatives' size at the mean
    rows: float = 0  # how many rows it summarizes (weighted): the class shares' prior weighs 1 row a class


def starting_intercept(loss: str, summary: DataSummary) -> float | FloatArray:
    """The best constant model (near it, for the losses whose best constant is not the mean: the
    median of the quantile loss...): the mean target, or its log with a log link; the log-odds of
    the positive class (targets are
    -1/+1, so its share is (mean + 1) / 2); or the log class frequencies, each class's share
    counting one row more of it. An intercept far from 0
    costs an optimizer with small steps many epochs."""
    if loss in REGRESSION_LOSSES and loss not in LOG_LINK_LOSSES:
        return summary.target_mean
    if loss in LOG_LINK_LOSSES:  # the log of the mean: the best constant prediction of a log link
        return np.log(np.maximum(summary.target_mean, 1e-10))
    # The class shares are estimated with one row of each class added (Laplace's rule of succession):
    # the first row of a stream, learned alone, then starts the intercept at log 2, not at log 1e6.
    n = summary.rows
    if loss == "log_loss":
        positive = np.clip((n * (summary.target_mean + 1) / 2 + 1) / (n + 2), 1e-6, 1 - 1e-6)
        return np.log(positive / (1 - positive))
    if loss == "multinomial":
        assert summary.class_counts is not None  # a multinomial summary counts its classes
        shares = summary.class_counts / summary.class_counts.sum()
        frequencies = np.clip((n * shares + 1) / (n + len(shares)), 1e-6, None)
        return np.log(frequencies) - np.log(frequencies).mean()
    return 0.0


def conform(optimizer: Optimizer, theta: FloatArray, state: dict[str, Any]) -> dict[str, Any]:
    """``state`` (read from a file, or of another dtype) as ``optimizer.init(theta)`` would make it:
    each array in the dtype and shape init gives it (NAdam's mu_product, a number in files written
    before it became a one-element array, included)."""
    fresh = optimizer.init(theta)
    return {
        key: (
            np.asarray(state[key], dtype=value.dtype).reshape(value.shape)
            if isinstance(value, np.ndarray)
            else type(value)(state[key])
        )
        for key, value in fresh.items()
    }


@dataclass
class ModelState:
    """See the module docstring. ``learning_rate`` is the initial rate of the latest fit."""

    theta: FloatArray
    center: FloatArray
    scale: FloatArray
    standardized: bool
    n_out: int
    optimizer: Optimizer
    optimizer_state: dict[str, Any]
    learning_rate: float = float("nan")
    n_iter: int = 0
    history: dict[str, list[float]] = field(default_factory=lambda: {"loss": [], "val_loss": [], "lr": []})
    # (penalty, scale, weights) of the latest penalty_weights: each epoch asks again, and with a
    # million features making them costs as much as a tenth of the epoch.
    _penalty_weights: tuple[ElasticNet | None, FloatArray, tuple[NDArray[np.float64], NDArray[np.float64]]] | None = (
        field(default=None, repr=False, compare=False)
    )

    @property
    def t(self) -> int:
        """Optimizer steps taken (one per batch)."""
        return self.optimizer_state["step"]

    @property
    def n_features(self) -> int:
        return len(self.center)

    @classmethod
    def start(
        cls,
        summary: DataSummary,
        *,
        n_out: int,
        loss: str,
        optimizer: Optimizer,
        standardize: bool,
        fit_intercept: bool,
        dtype: DTypeLike,
    ) -> ModelState:
        """A fresh model: the standardization from the data's moments (centering only with an intercept,
        as a shift without one is not a change of variables), the intercept at the best constant."""
        p = len(summary.mean)
        center, scale = np.zeros(p), np.ones(p)
        if standardize:
            std = np.asarray(summary.std, dtype=float)
            scale = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 1.0)
            if fit_intercept:
                center = np.asarray(summary.mean, dtype=float)
        theta = np.zeros(n_out * (p + 1), dtype=dtype)
        if fit_intercept:
            theta[p :: p + 1] = starting_intercept(loss, summary)
        optimizer = optimizer.for_coefficients(n_out, p + 1)
        return cls(
            theta,
            center.astype(dtype, copy=False),
            scale.astype(dtype, copy=False),
            bool(standardize),
            n_out,
            optimizer,
            optimizer.init(theta),
        )

    @classmethod
    def from_coefficients(
        cls,
        coef: FloatArray,
        intercept: FloatArray,
        center: FloatArray,
        scale: FloatArray,
        *,
        standardized: bool,
        optimizer: Optimizer,
    ) -> ModelState:
        """The inverse of :meth:`coefficients` for ``coef`` (one row per output): v = w / scale and
        c = b + w . center; the optimizer's state starts afresh."""
        theta = np.column_stack([coef / scale, intercept + coef @ center]).ravel()
        optimizer = optimizer.for_coefficients(coef.shape[0], coef.shape[1] + 1)
        return cls(theta, center, scale, bool(standardized), coef.shape[0], optimizer, optimizer.init(theta))

    def continue_with(self, optimizer: Optimizer, n_features: int, dtype: DTypeLike) -> None:
        """Go on fitting (warm start, partial_fit) on data of ``n_features`` columns in ``dtype``: the
        weights stay; a different optimizer (or one read from a file) starts its state afresh."""
        if n_features != self.n_features:
            raise ValueError(
                f"cannot continue a fit of {self.n_out} output(s) and {self.n_features} features on "
                f"data of {n_features} features"
            )
        retyped = self.theta.dtype != dtype
        if retyped:
            self.theta, self.center, self.scale = (a.astype(dtype) for a in (self.theta, self.center, self.scale))
        optimizer = optimizer.for_coefficients(self.n_out, n_features + 1)
        if optimizer != self.optimizer:
            self.optimizer, self.optimizer_state = optimizer, optimizer.init(self.theta)
        elif retyped:  # the state made for these weights, in their old dtype (a state read from a file is conformed
            # as it is read): left alone, a stream of many small partial fits would allocate it anew each time
            self.optimizer_state = conform(optimizer, self.theta, self.optimizer_state)

    def copy(self) -> ModelState:
        """A state of its own: the arrays copied, the optimizer shared (it holds no state)."""
        return ModelState(
            self.theta.copy(),
            self.center.copy(),
            self.scale.copy(),
            self.standardized,
            self.n_out,
            self.optimizer,
            {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in self.optimizer_state.items()},
            self.learning_rate,
            self.n_iter,
            {k: list(v) for k, v in self.history.items()},
        )

    def coefficients(self) -> tuple[FloatArray, FloatArray]:
        """(coef, intercept) of the original features: w = v * scale, b = c - w . center, with v the
        optimizer's estimate (the weights themselves, or ASGD's average of them)."""
        params = self.optimizer.estimate(self.theta, self.optimizer_state).reshape(self.n_out, -1)
        coef = params[:, :-1] * self.scale
        return coef, params[:, -1] - coef @ self.center

    def penalty_weights(self, penalty: ElasticNet | None) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Per standardized coordinate: the L1 and L2 weights of ``penalty`` on the original coefficients."""
        made = self._penalty_weights
        if made is not None and made[0] == penalty and made[1] is self.scale:  # == : each fit checks its own
            return made[2]
        l1 = penalty.l1 if penalty else 0.0
        l2 = penalty.l2 if penalty else 0.0
        scale = self.scale.astype(np.float64, copy=False)
        weights = l1 * scale, l2 * scale * scale
        self._penalty_weights = penalty, self.scale, weights
        return weights

    def objective(self, mean_loss: float, penalty: ElasticNet | None) -> float:
        """The training objective: the mean loss plus the penalty on the original coefficients."""
        if penalty is None:
            return mean_loss
        return mean_loss + penalty_value(self.theta, self.n_out, *self.penalty_weights(penalty))

    def optimizer_dict(self) -> dict[str, Any]:
        """The optimizer's state as JSON-ready data (a checkpoint and a model file hold it: learning from
        more rows goes on exactly where it stood)."""
        return {k: plain(v) for k, v in self.optimizer_state.items()}

    def restore_optimizer(self, data: dict[str, Any]) -> None:
        """Take over :meth:`optimizer_dict`'s data."""
        self.optimizer_state = conform(self.optimizer, self.theta, {k: from_plain(v) for k, v in data.items()})

    def to_dict(self) -> dict[str, Any]:
        """The state as JSON-ready data (a checkpoint holds it)."""
        return {
            "center": plain(self.center),
            "scale": plain(self.scale),
            "learning_rate": float(self.learning_rate),
            "theta": plain(self.theta),
            "optimizer_state": self.optimizer_dict(),
            "n_iter": int(self.n_iter),
            "history": {k: [float(v) for v in values] for k, values in self.history.items()},
        }

    def restore(self, data: dict[str, Any]) -> None:
        """Take over ``to_dict``'s data: the fit goes on exactly where it stood."""
        dtype = self.theta.dtype
        self.center = from_plain(data["center"]).astype(dtype)
        self.scale = from_plain(data["scale"]).astype(dtype)
        self.theta = from_plain(data["theta"]).astype(dtype)
        self.learning_rate = data["learning_rate"]
        self.restore_optimizer(data["optimizer_state"])
        self.n_iter = data["n_iter"]
        self.history = {k: list(v) for k, v in data["history"].items()}


def plain(value: Any) -> Any:
    """A value as JSON holds it: an array as its data (:func:`~descend.linear._model_file.packed`) and
    dtype, a NumPy scalar as a number."""
    if isinstance(value, np.ndarray):
        return {"array": packed(value), "dtype": str(value.dtype)}
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    return value


def from_plain(item: Any) -> Any:
    """The inverse of :func:`plain`."""
    if isinstance(item, dict) and "array" in item:
        return unpacked(item["array"], dtype=item["dtype"])
    return item
