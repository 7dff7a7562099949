r"""Linear models trained by gradient descent, with scikit-learn's interface.

:class:`GDRegressor` and :class:`GDClassifier` minimize

.. math::

    \frac{\sum_i s_i\, \ell(w^\top x_i + b,\ y_i)}{\sum_i s_i}
    + \alpha \left( \rho \lVert w \rVert_1 + \tfrac12 (1 - \rho) \lVert w \rVert_2^2 \right)

(sample weights :math:`s_i`, the intercept :math:`b` unpenalised) with any
optimizer of :mod:`descend.optimizers`, on the full batch, mini-batches or
one sample at a time. A converged full-batch fit is the exact solution of
this objective: scikit-learn's ``Ridge``, ``Lasso``, ``ElasticNet`` or
``LogisticRegression`` on the same problem.

One *epoch* is one pass over the training rows; ``max_iter`` counts epochs,
and the schedule's step ``t`` counts optimizer steps (one per batch).
"""

from __future__ import annotations

import math
import numbers
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state, compute_class_weight
from sklearn.utils.extmath import softmax
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, check_is_fitted, validate_data

from . import _engine
from .curvature import power_iteration
from .exceptions import DivergenceError
from .losses import CLASSIFICATION_LOSSES, LOSSES, REGRESSION_LOSSES
from .exceptions import EXPLOSION_FACTOR
from .optimizers import SGD, get_optimizer
from .penalties import get_penalty
from .schedules import SCHEDULE_NAMES, get_schedule, rates

__all__ = ["GDRegressor", "GDClassifier"]

# Rows per call of the compiled engine: often enough to update a progress bar
# and to notice a divergence, rarely enough to cost nothing.
CHUNK_ROWS = 1 << 16
# The curvature for learning_rate="auto" is measured on at most this many rows.
CURVATURE_ROWS = 100_000


def weighted_gram(X, sw, rows, y=None):
    r""":math:`\tilde X^\top W \tilde X` over ``rows`` for :math:`\tilde X = [X, 1]`, and with
    ``y`` also :math:`\tilde X^\top W y` and :math:`y^\top W y`. Built block by block, so
    that no copy of X is made beyond a block (none at all for unweighted, all rows)."""
    p = X.shape[1]
    gram = np.zeros((p + 1, p + 1))
    xty = np.zeros(p + 1)
    yty = 0.0
    whole = rows.shape[0] == X.shape[0] and np.array_equal(rows, np.arange(X.shape[0]))
    if whole and sw.size == 0:
        gram[:p, :p] = X.T @ X
        gram[:p, p] = gram[p, :p] = X.sum(axis=0)
        gram[p, p] = X.shape[0]
        if y is not None:
            xty[:p], xty[p], yty = X.T @ y, y.sum(), float(y @ y)
        return gram, xty, yty
    for start in range(0, rows.shape[0], 8192):
        block_rows = rows[start:start + 8192]
        Xb = X[block_rows]
        wb = sw[block_rows] if sw.size else np.ones(len(block_rows), dtype=X.dtype)
        weighted = Xb * wb[:, None]
        gram[:p, :p] += Xb.T @ weighted
        gram[:p, p] += weighted.sum(axis=0)
        gram[p, p] += wb.sum()
        if y is not None:
            yb = y[block_rows]
            xty[:p] += weighted.T @ yb
            xty[p] += wb @ yb
            yty += float((wb * yb) @ yb)
    gram[p, :p] = gram[:p, p]
    return gram, xty, yty


def standardized_gram(gram, xty, center, scale):
    """The Gram matrix and X~'Wy of the standardized [(X - center) * scale, 1], from those of [X, 1]."""
    p = len(center)
    A = np.eye(p + 1)
    A[np.arange(p), np.arange(p)] = scale
    A[p, :p] = -center * scale
    return A.T @ gram @ A, A.T @ xty


def _sample_rows(rows):
    """At most CURVATURE_ROWS of ``rows``, the same ones every time."""
    if rows.shape[0] <= CURVATURE_ROWS:
        return rows
    return np.sort(np.random.default_rng(0).choice(rows, CURVATURE_ROWS, replace=False))


class _BaseGD(BaseEstimator):
    """What the regressor and the classifier share: validation, the epoch loop, state."""

    _engine = "compiled"  # "reference" runs the NumPy path (tests, reading)

    def __init__(self, loss, *, optimizer="sgd", learning_rate="auto", schedule="constant", batch_size=None,
                 max_iter=1000, tol=1e-3, n_iter_no_change=5, penalty="l2", alpha=1e-4, l1_ratio=0.15,
                 fit_intercept=True, standardize=True, early_stopping=False, validation_fraction=0.1, shuffle=True,
                 random_state=None, warm_start=False, verbose=0, checkpoint=None, checkpoint_every=1):
        self.loss = loss
        self.optimizer = optimizer
        self.learning_rate = learning_rate
        self.schedule = schedule
        self.batch_size = batch_size
        self.max_iter = max_iter
        self.tol = tol
        self.n_iter_no_change = n_iter_no_change
        self.penalty = penalty
        self.alpha = alpha
        self.l1_ratio = l1_ratio
        self.fit_intercept = fit_intercept
        self.standardize = standardize
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.shuffle = shuffle
        self.random_state = random_state
        self.warm_start = warm_start
        self.verbose = verbose
        self.checkpoint = checkpoint
        self.checkpoint_every = checkpoint_every

    # ------------------------------------------------------------ validation
    def _check_params(self, n_samples):
        valid_losses = REGRESSION_LOSSES if isinstance(self, RegressorMixin) else CLASSIFICATION_LOSSES
        if self.loss not in valid_losses:
            raise ValueError(f"Unknown loss {self.loss!r}; valid losses are: {', '.join(valid_losses)}")
        for name, low in (("max_iter", 1), ("n_iter_no_change", 1), ("checkpoint_every", 1)):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
                raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
        if self.tol is not None and not (isinstance(self.tol, numbers.Real) and self.tol >= 0):
            raise ValueError(f"tol must be a number >= 0 or None, got {self.tol!r}")
        if self.batch_size is not None:
            if isinstance(self.batch_size, bool) or not isinstance(self.batch_size, numbers.Integral):
                raise ValueError(f"batch_size must be None (full batch) or an integer, got {self.batch_size!r}")
            if not 1 <= self.batch_size <= (n_samples if n_samples is not None else self.batch_size):
                raise ValueError(
                    f"batch_size must lie between 1 and the number of samples ({n_samples}), got {self.batch_size}"
                )
        if not (isinstance(self.validation_fraction, numbers.Real) and 0 < self.validation_fraction < 1):
            raise ValueError(f"validation_fraction must lie in (0, 1), got {self.validation_fraction!r}")
        lr = self.learning_rate
        if not (lr == "auto" or (isinstance(lr, numbers.Real) and not isinstance(lr, bool)
                                 and math.isfinite(lr) and lr > 0)):
            raise ValueError(f"learning_rate must be 'auto' or a number > 0, got {lr!r}")
        if isinstance(self.schedule, str) and self.schedule not in SCHEDULE_NAMES:
            raise ValueError(f"Unknown schedule {self.schedule!r}; valid names are: {', '.join(SCHEDULE_NAMES)}")
        if not isinstance(self.schedule, str) and not callable(self.schedule):
            raise TypeError(f"schedule must be a name or a callable t -> lr, got {self.schedule!r}")
        optimizer = get_optimizer(self.optimizer)
        penalty = get_penalty(self.penalty, self.alpha, self.l1_ratio)
        return optimizer, penalty

    def _validate_sample_weight(self, sample_weight, X):
        if sample_weight is None:
            return np.empty(0, dtype=X.dtype)
        sw = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        if not np.all(np.isfinite(sw)):
            raise ValueError("sample_weight contains NaN or inf")
        return np.ascontiguousarray(sw)

    # ------------------------------------------------------------- the loop
    def _initial_rate(self, optimizer, X, sw, rows, sw_mean, batch_size, loss, gram=None, row_norm=None):
        """lr0: a number as given, or 'auto': 1/L for gradient descent, the optimizer's own for adaptive ones.

        ``gram``: the standardized Gram matrix of the training rows, when it is at hand."""
        if self.learning_rate != "auto":
            return float(self.learning_rate)
        if not isinstance(optimizer, SGD):
            return optimizer.lr
        if gram is None:
            # The spectrum of X'X/n settles long before n rows: a sample suffices.
            gram, xty, _ = weighted_gram(X, sw, _sample_rows(rows))
            gram, _ = standardized_gram(gram, xty, self._center, self._scale)
        gram = gram / gram[-1, -1]  # the weight sum: X~'WX~ / sum(w)
        L = loss.curvature * power_iteration(lambda v: gram @ v, gram.shape[0])
        n = rows.shape[0]
        if batch_size < n:
            # Expected smoothness of a mini-batch of size b (Gower et al. 2019,
            # "SGD: General Analysis and Improved Rates", Proposition 3.8):
            # L_b = n(b-1)/(b(n-1)) L + (n-b)/(b(n-1)) L_max.
            if row_norm is None:
                row_norm = _engine.max_row_norm(X, sw, rows, self._center, self._scale, sw_mean)
            L_max = loss.curvature * row_norm
            b = batch_size
            L = n * (b - 1) / (b * (n - 1)) * L + (n - b) / (b * (n - 1)) * L_max
        L += self._penalty_weights()[1].max(initial=0.0)  # the L2 part's curvature
        rate = 1.0 / max(L, 1e-12)
        if batch_size < n:
            # Momentum multiplies the step (and the gradient noise) by 1 / (1 - momentum)
            # in the long run; on noisy batches, take that back.
            rate *= 1.0 - optimizer.momentum
        return rate

    def _make_schedule(self, lr0, steps_per_epoch):
        if not isinstance(self.schedule, str):
            return self.schedule
        if self.schedule == "cosine":
            return get_schedule("cosine", lr0, total_steps=self.max_iter * steps_per_epoch)
        if self.schedule == "step":  # halve every 10 epochs
            return get_schedule("step", lr0, steps=10 * steps_per_epoch)
        if self.schedule == "exponential":  # divide by e every 10 epochs
            return get_schedule("exponential", lr0, k=1.0 / (10 * steps_per_epoch))
        return get_schedule(self.schedule, lr0)

    def _setup(self, X, y, sw, n_out, loss_name, reset, chunked=False, rows=None):
        """Create or keep the parameters and optimizer state; remember the settings of this fit.
        (A chunk's rows do not bound the batch size: batches are cut within each chunk.)
        ``rows``: the rows of X to learn the first settings from (all of them by default)."""
        optimizer, penalty = self._check_params(None if chunked else X.shape[0])
        dtype = X.dtype
        if reset or not hasattr(self, "_theta"):
            p = X.shape[1]
            rows = np.arange(X.shape[0]) if rows is None else rows
            mean, std = np.zeros(p), np.ones(p)
            if self.standardize:
                mean, std = _engine.column_moments(X, sw, _sample_rows(rows))
            y = y[rows]
            weights = sw[rows] if sw.size else None
            counts = (np.bincount(y.astype(int), weights=weights, minlength=n_out) if loss_name == "multinomial"
                      else None)
            self._initialize(p, n_out, loss_name, dtype, mean, std, float(np.average(y, weights=weights)), counts,
                             optimizer)
        else:
            if len(self._theta) != n_out * (X.shape[1] + 1):
                raise ValueError(f"cannot continue a fit of {len(self._theta) // (len(self._center) + 1)} output(s) "
                                 f"and {len(self._center)} features on data of {X.shape[1]} features")
            if self._theta.dtype != dtype:
                self._theta = self._theta.astype(dtype)
                self._center, self._scale = self._center.astype(dtype), self._scale.astype(dtype)
            if getattr(self, "_state_of", None) != optimizer:
                # A model read from a file, or a new optimizer: the weights stay, the state starts afresh.
                self._opt_state = optimizer.init(self._theta)
                self._mu_product = 1.0
            self._opt_state = {k: (v.astype(dtype) if isinstance(v, np.ndarray) else v)
                               for k, v in self._opt_state.items()}
        self._state_of = optimizer
        self._optimizer, self._penalty = optimizer, penalty
        self._loss = LOSSES[loss_name]
        self._n_out = n_out

    def _initialize(self, p, n_out, loss_name, dtype, mean, std, mean_target, class_counts, optimizer):
        """Fresh parameters and optimizer state, from the data's column moments and target summary.

        The steps are taken in standardized coordinates, (x - mean) / std (only
        the scaling without an intercept: then a shift is not a change of
        variables). The intercept starts at the best constant model, not at
        0: the mean target, the log-odds of the positive class (targets are
        -1/+1, so that is (mean + 1) / 2), or the log class frequencies; an
        intercept far from 0 costs an optimizer with small steps many epochs.
        """
        center, scale = np.zeros(p), np.ones(p)
        if self.standardize:
            std = np.asarray(std, dtype=float)
            scale = np.where(std > 0, 1.0 / np.where(std > 0, std, 1.0), 1.0)
            if self.fit_intercept:
                center = np.asarray(mean, dtype=float)
        self._center, self._scale = center.astype(dtype), scale.astype(dtype)
        self._standardized = bool(self.standardize)
        self._theta = np.zeros(n_out * (p + 1), dtype=dtype)
        if self.fit_intercept:
            if loss_name in ("squared_error", "huber"):
                start = mean_target
            elif loss_name == "log_loss":
                positive = np.clip((mean_target + 1) / 2, 1e-6, 1 - 1e-6)
                start = np.log(positive / (1 - positive))
            elif loss_name == "multinomial":
                frequencies = np.clip(class_counts / class_counts.sum(), 1e-6, None)
                start = np.log(frequencies) - np.log(frequencies).mean()
            else:
                start = 0.0
            self._theta[p::p + 1] = start
        self._opt_state = optimizer.init(self._theta)
        self._mu_product = 1.0
        self.t_ = 0
        self.n_iter_ = 0
        self.history_ = {"loss": [], "val_loss": [], "lr": []}

    def _dask_setup(self, p, n_out, loss_name, mean, std, y, y_mean, names):
        """_setup for data on a Dask cluster: the moments and the target's mean come computed."""
        import dask.array as da

        optimizer, penalty = self._check_params(None)
        counts = da.bincount(y.astype(int), minlength=n_out).compute() if loss_name == "multinomial" else None
        self._initialize(p, n_out, loss_name, np.float64, mean, std, y_mean, counts, optimizer)
        self._state_of, self._optimizer, self._penalty = optimizer, optimizer, penalty
        self._loss, self._n_out = LOSSES[loss_name], n_out
        self.n_features_in_ = p
        if names is not None:
            self.feature_names_in_ = np.array(names, dtype=object)

    # ------------------------------------------------------ end of an epoch
    @staticmethod
    def _new_record():
        """What the stopping rules remember across epochs (it goes into checkpoints)."""
        return {"epoch": 0, "best_loss": np.inf, "best_val": np.inf, "no_improvement": 0, "best_theta": None,
                "best_iteration": None, "first_loss": None, "rows_seen": 0}

    def _end_epoch(self, mean_loss, record):
        """Count the epoch, refuse an exploding loss, and log it; returns the training objective."""
        self.n_iter_ += 1
        record["epoch"] += 1
        loss = self._objective(mean_loss)
        first = record["first_loss"] = loss if record["first_loss"] is None else record["first_loss"]
        if loss - first > EXPLOSION_FACTOR * max(1.0, abs(first)):
            raise DivergenceError(
                f"the fit diverged in epoch {self.n_iter_}: the training loss grew from {first:.6g} "
                f"to {loss:.6g}. Use a smaller learning_rate or standardize the features.", iteration=self.t_)
        self.history_["loss"].append(loss)
        self.history_["lr"].append(self._last_lr)
        return loss

    def _stalled(self, record, monitored, key="best_loss"):
        """The tol rule: True once ``monitored`` has not beaten its best by ``tol`` for
        ``n_iter_no_change`` epochs in a row."""
        if self.tol is not None and monitored > record[key] - self.tol:
            record["no_improvement"] += 1
        else:
            record["no_improvement"] = 0
        record[key] = min(record[key], monitored)
        return record["no_improvement"] >= self.n_iter_no_change

    def _warn_unconverged(self):
        warnings.warn(f"{type(self).__name__} reached max_iter={self.max_iter} epochs before the training "
                      "loss stopped improving; raise max_iter or tol.", ConvergenceWarning, stacklevel=4)

    def _penalty_weights(self):
        """Per standardized coordinate: the L1 and L2 weights of the penalty on the original coefficients."""
        l1 = self._penalty.l1 if self._penalty else 0.0
        l2 = self._penalty.l2 if self._penalty else 0.0
        scale = self._scale.astype(np.float64)
        return l1 * scale, l2 * scale * scale

    def _run_epoch(self, X, y, sw, order, batch_size, sw_mean, schedule, progress=None):
        """One pass over ``order``; returns (weighted loss sum, weight sum) of the rows met."""
        theta, state, optimizer = self._theta, self._opt_state, self._optimizer
        l1, l2 = self._penalty_weights()
        epsilon = float(getattr(self, "epsilon", 0.0))
        loss_sum = weight_sum = 0.0
        chunk = max(batch_size, (CHUNK_ROWS // batch_size) * batch_size)
        for start in range(0, len(order), chunk):
            rows = order[start:start + chunk]
            n_steps = -(-len(rows) // batch_size)
            lrs = rates(schedule, self.t_ + 1, n_steps)
            if not np.all(np.isfinite(lrs) & (lrs > 0)):
                raise ValueError(f"the schedule gave a learning rate that is not finite and > 0: {lrs[~(lrs > 0)][:1]}")
            if self._engine == "reference":
                part, weights = _engine.reference_steps(
                    X, y, sw, rows, self._center, self._scale, theta, self._n_out, self._loss.code, epsilon,
                    self.fit_intercept, batch_size, lrs, sw_mean, optimizer, state, l1, l2)
                self.t_ += n_steps
            else:
                code, hp, slots = _engine.pack_optimizer(optimizer, state)
                part, weights, self.t_, self._mu_product = _engine.compiled_steps(
                    X, y, sw, rows, self._center, self._scale, theta, self._n_out, self._loss.code, epsilon,
                    self.fit_intercept, batch_size, lrs, sw_mean, code, hp, *slots, self.t_, self._mu_product,
                    l1, l2, self._standardized)
                state["step"] = self.t_
                if "mu_product" in state:
                    state["mu_product"] = self._mu_product
            loss_sum += part
            weight_sum += weights
            self._check_finite(loss_sum)
            self._last_lr = float(lrs[-1])
            if progress is not None:
                progress.advance(progress.task_ids[0], len(rows))
        return loss_sum, weight_sum

    def _run_gram_epoch(self, gram, xty, yty, weight_sum, schedule):
        lr = float(rates(schedule, self.t_ + 1, 1)[0])
        if not (math.isfinite(lr) and lr > 0):
            raise ValueError(f"the schedule gave learning rate {lr} at step {self.t_ + 1}; it must be finite and > 0")
        code, hp, slots = _engine.pack_optimizer(self._optimizer, self._opt_state)
        l1, l2 = self._penalty_weights()
        loss_sum, self.t_, self._mu_product = _engine.compiled_gram_step(
            gram, xty, yty, weight_sum, self._theta, self.fit_intercept, lr, code, hp, *slots, self.t_,
            self._mu_product, l1, l2)
        self._opt_state["step"] = self.t_
        if "mu_product" in self._opt_state:
            self._opt_state["mu_product"] = self._mu_product
        self._check_finite(loss_sum)
        self._last_lr = lr
        return loss_sum / weight_sum

    def _check_finite(self, loss):
        if not (math.isfinite(loss) and np.all(np.isfinite(self._theta))):
            raise DivergenceError(
                f"the fit diverged at step {self.t_} (epoch {self.n_iter_ + 1}): the loss or the coefficients "
                "stopped being finite. Use learning_rate='auto' (the default), a smaller learning_rate, or "
                "standardize the features.",
                iteration=self.t_,
            )

    def _objective(self, mean_loss):
        if self._penalty is None:
            return mean_loss
        coef, _ = self._coefficients()
        return mean_loss + self._penalty.value(coef.ravel().astype(np.float64))

    def _fit_epochs(self, X, y, sw, n_epochs, *, stopping, resume=False):
        """The epoch loop of fit (stopping=True) and partial_fit (one epoch, no stopping rules)."""
        n = X.shape[0]
        rng = check_random_state(self.random_state)
        rows = np.arange(n)
        val_rows = None
        if stopping and self.early_stopping:
            from sklearn.model_selection import train_test_split  # here: its import costs 8 MB and 0.1 s

            stratify = y if isinstance(self, ClassifierMixin) else None
            try:
                rows, val_rows = train_test_split(rows, test_size=self.validation_fraction, stratify=stratify,
                                                  random_state=rng)
            except ValueError as error:
                raise ValueError(f"early_stopping cannot hold out validation_fraction="
                                 f"{self.validation_fraction} of {n} samples: {error}") from None
            rows, val_rows = np.sort(rows), np.sort(val_rows)
        n_train = rows.shape[0]
        batch_size = n_train if self.batch_size is None else min(self.batch_size, n_train)
        sw_mean = float(sw[rows].mean()) if sw.size else 1.0
        if sw.size and sw_mean == 0:
            raise ValueError("sample_weight is zero for every training sample")
        steps_per_epoch = -(-n_train // batch_size)
        # Squared error on the full batch: an epoch from the Gram matrix costs O(p^2).
        gram = None
        if (self._engine == "compiled" and self._loss.name == "squared_error" and batch_size == n_train
                and X.shape[1] <= 2000 and n_train >= 2 * X.shape[1]):
            gram, xty, yty = weighted_gram(X, sw, rows, y)
            gram, xty = standardized_gram(gram, xty, self._center.astype(float), self._scale.astype(float))
            gram_weight = gram[-1, -1]
        lr0 = self._initial_rate(self._optimizer, X, sw, rows, sw_mean, batch_size, self._loss, gram)
        self.learning_rate_ = lr0
        schedule = self._make_schedule(lr0, steps_per_epoch)
        observe = getattr(schedule, "observe", None)

        loop = self._new_record()
        if resume:
            document = self._read_checkpoint(self._fingerprint(X, y))
            self._restore_progress(document, loop, rng)
            self._restore_model(document)
            self._restore_schedule(document, schedule)
        self.best_iteration_ = loop["best_iteration"]
        converged = False
        progress = self._progress(n_epochs * n_train) if self.verbose else None
        try:
            while loop["epoch"] < n_epochs:
                if gram is not None:
                    mean_loss = self._run_gram_epoch(gram, xty, yty, gram_weight, schedule)
                    if progress is not None:
                        progress.advance(progress.task_ids[0], n_train)
                else:
                    shuffled = self.shuffle and batch_size < n_train
                    order = rng.permutation(rows) if shuffled else rows
                    loss_sum, weight_sum = self._run_epoch(X, y, sw, order, batch_size, sw_mean, schedule, progress)
                    mean_loss = loss_sum / weight_sum
                loss = self._end_epoch(mean_loss, loop)
                if observe is not None:
                    observe(loss)
                if stopping and val_rows is not None:
                    val_loss = float(_engine.compiled_mean_loss(
                        X, y, sw, val_rows, self._center, self._scale, self._theta, self._n_out,
                        self._loss.code, float(getattr(self, "epsilon", 0))))
                    self.history_["val_loss"].append(val_loss)
                    if val_loss < loop["best_val"]:
                        loop["best_theta"], loop["best_iteration"] = self._theta.copy(), self.n_iter_
                        self.best_iteration_ = self.n_iter_
                    converged = self._stalled(loop, val_loss, "best_val")
                elif stopping:
                    converged = self._stalled(loop, loss)
                if self.checkpoint is not None and (loop["epoch"] % self.checkpoint_every == 0 or converged
                                                    or loop["epoch"] == n_epochs):
                    self._write_checkpoint(loop, rng, schedule, self._fingerprint(X, y))
                if converged:
                    break
        finally:
            if progress is not None:
                progress.stop()
        if loop["best_theta"] is not None:  # early stopping keeps the weights of the best validation loss
            self._theta[:] = loop["best_theta"]
        if stopping and not converged and self.tol is not None:
            self._warn_unconverged()
        self._publish()

    # ------------------------------------------------------- chunked data
    @staticmethod
    def _is_chunks(X):
        """A source of (X, y) chunks: a descend.stream.TableStream, anything with an
        ``epoch(rng)`` method, or a one-shot iterator of pairs."""
        return hasattr(X, "epoch") or (hasattr(X, "__next__") and not hasattr(X, "shape"))

    def _fit_chunks(self, source, n_epochs, *, first_call, classes=None, resume=False):
        """Epochs over chunks (each chunk a block of rows): memory bounded by the chunk size.

        Checkpoints are written at the end of epochs; a resumed fit restores the random
        state before its first epoch, so the source shuffles it as the interrupted fit would have."""
        rng = check_random_state(self.random_state)
        if hasattr(source, "blocks"):  # (X, y, rows): the loop gathers X[rows] itself, no copies
            passes = lambda: source.blocks(rng)  # noqa: E731
        elif hasattr(source, "epoch"):
            passes = lambda: source.epoch(rng)  # noqa: E731
        else:
            used = []

            def passes():
                if used:
                    raise ValueError("a one-shot iterator of chunks allows one epoch; pass a TableStream "
                                     "(descend.stream) or an object with an epoch(rng) method for more")
                used.append(True)
                return source

        fingerprint = None
        if self.checkpoint is not None or resume:
            if not hasattr(source, "fingerprint"):
                raise ValueError("checkpoints of a fit on chunks need a source that can be read again and "
                                 "recognised: a descend.stream.TableStream (or an object with epoch(rng) and "
                                 "fingerprint() methods)")
            fingerprint = source.fingerprint()
        record = self._new_record()
        document = self._read_checkpoint(fingerprint) if resume else None
        if document is not None:
            self._restore_progress(document, record, rng)
            if record["epoch"] >= n_epochs:
                raise ValueError(f"{self.checkpoint} holds a fit that ran its {record['epoch']} epochs already; "
                                 "raise max_iter to go on")
        classes = getattr(source, "classes", None) if classes is None else classes
        # A TableStream has checked every value it puts in its buffer: checking the whole
        # buffer again for each block would cost more than the steps on it. And its blocks
        # are views of the same two arrays: once validated (and not copied), they need no
        # validating again, only their targets encoding.
        finite = bool(getattr(source, "blocks_are_finite", False))
        validated = (None, None)
        schedule = None
        progress = None
        converged = False
        try:
            while record["epoch"] < n_epochs:
                loss_sum = weight_sum = 0.0
                for chunk in passes():
                    if isinstance(chunk, tuple) and len(chunk) == 3:
                        X, y, order = chunk
                    else:
                        try:
                            X, y = chunk
                        except (TypeError, ValueError):
                            raise TypeError("chunks must be pairs (X, y)") from None
                        order = None
                    reset = first_call and schedule is None
                    checked = finite and X is validated[0] and y is validated[1]
                    given = X, y
                    X, y, sw, n_out, loss_name = self._prepare(X, y, None, reset, classes, finite, checked)
                    validated = given if X is given[0] else (None, None)
                    order = np.arange(X.shape[0]) if order is None else order
                    batch = len(order) if self.batch_size is None else min(self.batch_size, len(order))
                    if schedule is None:
                        # The first block's rows only: X may be a stream's buffer, of which X[order] is the block.
                        self._setup(X, y, sw, n_out, loss_name, reset=reset or resume, chunked=True, rows=order)
                        if document is not None:
                            self._restore_model(document)
                        else:
                            self.learning_rate_ = self._initial_rate(self._optimizer, X, sw, order, 1.0, batch,
                                                                     self._loss)
                        schedule = self._make_schedule(self.learning_rate_, max(1, len(order) // batch))
                        if document is not None:
                            self._restore_schedule(document, schedule)
                        if self.verbose:
                            rows_per_epoch = getattr(source, "n_rows", None)  # known for Parquet
                            progress = self._progress(n_epochs * rows_per_epoch if rows_per_epoch else None)
                    part, weights = self._run_epoch(X, y, sw, order, batch, 1.0, schedule, progress)
                    loss_sum += part
                    weight_sum += weights
                    record["rows_seen"] += len(order)
                    if progress is not None:
                        progress.update(progress.task_ids[0], description=f"epoch {record['epoch'] + 1}/{n_epochs}")
                if weight_sum == 0:
                    raise ValueError("the source gave no rows")
                loss = self._end_epoch(loss_sum / weight_sum, record)
                converged = n_epochs > 1 and self._stalled(record, loss)
                if self.checkpoint is not None and (record["epoch"] % self.checkpoint_every == 0 or converged
                                                    or record["epoch"] == n_epochs):
                    self._write_checkpoint(record, rng, schedule, fingerprint)
                if converged:
                    break
        finally:
            if progress is not None:
                progress.stop()
        if n_epochs > 1 and not converged and self.tol is not None:
            self._warn_unconverged()
        self.rows_seen_ = record["rows_seen"]
        self._publish()
        return self

    # ----------------------------------------------------------- checkpoints
    @staticmethod
    def _fingerprint(X, y):
        """Enough of the data to refuse resuming a checkpoint on other data."""
        return [int(X.shape[0]), int(X.shape[1]), float(np.sum(X[0])), float(np.sum(X[-1])),
                float(np.sum(y, dtype=np.float64))]

    def _write_checkpoint(self, loop, rng, schedule, fingerprint):
        """Everything the loop needs to go on exactly where it is, written atomically (JSON)."""
        import json

        from ._files import write_atomically

        kind, keys, position, has_gauss, cached = rng.get_state()

        def plain(value):
            if isinstance(value, np.ndarray):
                return {"array": value.tolist(), "dtype": str(value.dtype)}
            if isinstance(value, (np.floating, np.integer)):
                return value.item()
            return value

        document = {
            "format": "descend-checkpoint", "version": 1, "fingerprint": fingerprint,
            "params": {k: v for k, v in self.get_params(deep=False).items() if isinstance(v, (str, int, float,
                                                                                             type(None)))},
            "loop": {k: plain(v) for k, v in loop.items()},
            "rng": [kind, keys.tolist(), int(position), int(has_gauss), float(cached)],
            # A streamed fit takes these from its first block: the block a resumed fit starts on is another.
            "center": plain(self._center), "scale": plain(self._scale), "learning_rate": float(self.learning_rate_),
            "theta": plain(self._theta), "optimizer_state": {k: plain(v) for k, v in self._opt_state.items()},
            "mu_product": float(self._mu_product), "t": int(self.t_), "n_iter": int(self.n_iter_),
            "history": {k: [float(v) for v in values] for k, values in self.history_.items()},
            "schedule": {k: plain(v) for k, v in vars(schedule).items()} if hasattr(schedule, "observe") else None,
        }
        write_atomically(self.checkpoint, lambda stream: json.dump(document, stream))

    def _read_checkpoint(self, fingerprint):
        """The document in ``checkpoint``, refused if it is none or was written while fitting other data."""
        import json
        from pathlib import Path

        path = Path(self.checkpoint) if self.checkpoint is not None else None
        if path is None or not path.is_file():
            raise ValueError(f"resume=True needs an existing checkpoint file; checkpoint={self.checkpoint!r}")
        try:
            document = json.loads(path.read_text())
            if document.get("format") != "descend-checkpoint" or document.get("version") != 1:
                raise ValueError
        except ValueError:
            raise ValueError(f"{path} is not a descend checkpoint") from None
        if document["fingerprint"] != fingerprint:
            raise ValueError(f"{path} was written while fitting other data; it cannot be resumed on this data")
        return document

    @staticmethod
    def _checkpoint_value(item):
        if isinstance(item, dict) and "array" in item:
            return np.array(item["array"], dtype=item["dtype"])
        return item

    def _restore_progress(self, document, loop, rng):
        """Where the loop stood: its record (epoch, best losses) and the random state."""
        for key, item in document["loop"].items():
            loop[key] = self._checkpoint_value(item)
        kind, keys, position, has_gauss, cached = document["rng"]
        rng.set_state((kind, np.array(keys, dtype=np.uint32), position, has_gauss, cached))

    def _restore_model(self, document):
        """The weights and the optimizer as they were; after _setup, whose fresh start they replace."""
        value = self._checkpoint_value
        dtype = self._theta.dtype
        self._center, self._scale = value(document["center"]).astype(dtype), value(document["scale"]).astype(dtype)
        self.learning_rate_ = document["learning_rate"]
        self._theta[:] = value(document["theta"])
        self._opt_state = {k: value(v) for k, v in document["optimizer_state"].items()}
        self._state_of = self._optimizer
        self._mu_product = document["mu_product"]
        self.t_, self.n_iter_ = document["t"], document["n_iter"]
        self.history_ = {k: list(v) for k, v in document["history"].items()}

    def _restore_schedule(self, document, schedule):
        """What an adaptive schedule (reduce-on-plateau) has learned so far."""
        if document["schedule"] is not None:
            for key, item in document["schedule"].items():
                setattr(schedule, key, self._checkpoint_value(item))

    def _progress(self, total):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        progress = Progress("[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
                            "rows", TimeRemainingColumn(), transient=False)  # total None: rows counted, no bar
        progress.add_task(f"{type(self).__name__}", total=total)
        progress.start()
        return progress

    def _coefficients(self):
        """(coef, intercept) of the original features: w = v * scale, b = c - w . center."""
        p1 = len(self._theta) // self._n_out
        params = self._theta.reshape(self._n_out, p1)
        coef = params[:, :-1] * self._scale
        return coef, params[:, -1] - coef @ self._center

    def _set_coefficients(self, coef, intercept, center, scale):
        """The inverse of _coefficients: the parameters in standardized coordinates, v = w / scale and
        c = b + w . center, of ``coef`` (one row per output) and ``intercept`` (a model read from a file)."""
        self._center, self._scale = center, scale
        self._standardized = bool(self.standardize)
        self._n_out = coef.shape[0]
        self._theta = np.column_stack([coef / scale, intercept + coef @ center]).ravel()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = False
        return tags

    def save(self, path, **extra):
        """Write the fitted model to ``path`` as a JSON model file (see :mod:`descend.io`);
        ``descend.load(path)`` reads it back."""
        from .io import save

        save(self, path, **extra)


class GDRegressor(RegressorMixin, _BaseGD):
    r"""Linear regression by gradient descent.

    Parameters
    ----------
    loss : {"squared_error", "huber"}
        ``"squared_error"``: :math:`\tfrac12 (y - p)^2`; ``"huber"``: squared
        within ``epsilon`` of the target, linear beyond (robust to outliers).
    optimizer : str or descend.optimizers.Optimizer
        Any name of :data:`descend.optimizers.OPTIMIZER_NAMES` or an instance.
    learning_rate : "auto" or float
        ``"auto"``: for gradient descent (``"sgd"``, ``"momentum"``,
        ``"nesterov"``) 1/L, with L the curvature of the objective measured on
        the data (the largest eigenvalue of X~'WX~/n, for mini-batches the
        expected smoothness of a batch), so that the defaults do not diverge
        even on unscaled features; for adaptive optimizers their own default
        rate. A number is the initial rate.
    schedule : str or callable
        ``"constant"``, ``"invscaling"`` (lr / t^0.25, scikit-learn's),
        ``"step"`` (halve every 10 epochs), ``"exponential"`` (divide by e
        every 10 epochs), ``"cosine"`` (one cosine cycle over max_iter
        epochs), or any callable ``t -> lr`` / schedule of
        :mod:`descend.schedules` (then ``learning_rate`` is not used).
    batch_size : None or int
        None: the full batch; an int: mini-batches of that size; 1: one
        sample per step (stochastic gradient descent).
    max_iter : int
        Epochs at most.
    tol, n_iter_no_change : float or None, int
        Stop when the training loss (the validation loss with early stopping)
        has not improved by ``tol`` for ``n_iter_no_change`` epochs in a row.
    penalty, alpha, l1_ratio
        None, ``"l2"``, ``"l1"`` or ``"elasticnet"``, in scikit-learn's
        parameterisation; the L1 part by its proximal step (exact zeros).
    fit_intercept : bool
    standardize : bool
        Take the steps in standardized coordinates, :math:`(x - \mu)/\sigma`
        per feature (weighted by ``sample_weight``), mapping the weights back
        after. A change of variables: the objective, the penalty on the
        original coefficients and the solution are the same, but badly scaled
        features no longer make the problem ill-conditioned. ``False`` steps
        on the raw features, as ``torch.nn.Linear`` would. No copy of X is
        made either way.
    early_stopping, validation_fraction
        Hold out this fraction, stop when its loss stops improving, and keep
        the weights of the best epoch.
    shuffle : bool
        Shuffle the rows every epoch (mini-batches only).
    random_state : int, RandomState or None
        Seeds the shuffles and the validation split: same seed, same fit.
    warm_start : bool
        ``fit`` continues from the current weights and optimizer state.
    verbose : int
        > 0 shows a progress bar.
    checkpoint, checkpoint_every : path or None, int
        Write the whole state of the fit (weights, optimizer state, random
        state, epoch, early-stopping record) to this JSON file every
        ``checkpoint_every`` epochs, atomically; ``fit(X, y, resume=True)``
        goes on from it and ends with the same model, bit for bit, as a fit
        that was never interrupted.
    epsilon : float
        Huber's threshold.

    Attributes
    ----------
    coef_, intercept_, n_iter_, t_, learning_rate_, history_
        ``history_`` has per epoch ``loss`` (training objective, penalty
        included), ``val_loss`` (with early stopping) and ``lr`` (the rate of
        the epoch's last step). ``best_iteration_``: the epoch whose weights
        early stopping kept.
    """

    def __init__(self, loss="squared_error", *, optimizer="sgd", learning_rate="auto", schedule="constant",
                 batch_size=None, max_iter=1000, tol=1e-3, n_iter_no_change=5, penalty="l2", alpha=1e-4,
                 l1_ratio=0.15, fit_intercept=True, standardize=True, early_stopping=False, validation_fraction=0.1,
                 shuffle=True, random_state=None, warm_start=False, verbose=0, checkpoint=None,
                 checkpoint_every=1, epsilon=0.1):
        super().__init__(loss, optimizer=optimizer, learning_rate=learning_rate, schedule=schedule,
                         batch_size=batch_size, max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change,
                         penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                         standardize=standardize, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, shuffle=shuffle, random_state=random_state,
                         warm_start=warm_start, verbose=verbose, checkpoint=checkpoint,
                         checkpoint_every=checkpoint_every)
        self.epsilon = epsilon

    def _validate(self, X, y, sample_weight, reset, finite=False, checked=False):
        if not checked:
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C", y_numeric=True,
                                 reset=reset, ensure_all_finite=not finite)
        y = np.ascontiguousarray(y, dtype=X.dtype)
        if not (isinstance(self.epsilon, numbers.Real) and self.epsilon > 0):
            raise ValueError(f"epsilon must be a number > 0, got {self.epsilon!r}")
        return X, y, self._validate_sample_weight(sample_weight, X)

    def _prepare(self, X, y, sample_weight, reset, classes=None, finite=False, checked=False):
        """(X, y, sample weights, outputs, loss) for the loop; ``finite``: the values are known to
        be finite; ``checked``: X and y are the very arrays validated before."""
        X, y, sw = self._validate(X, y, sample_weight, reset, finite, checked)
        return X, y, sw, 1, self.loss

    def fit(self, X, y=None, sample_weight=None, *, resume=False):
        """Fit on (X, y) for up to ``max_iter`` epochs; ``resume=True`` goes on from ``checkpoint``.

        ``X`` may also be a source of ``(X, y)`` chunks (a :class:`descend.stream.TableStream`
        for data larger than memory), with ``y`` None."""
        if self._is_chunks(X):
            return self._fit_chunks(X, self.max_iter, first_call=not (self.warm_start and hasattr(self, "_theta")),
                                    resume=resume)
        from .distributed import fit_dask, is_dask_collection

        if is_dask_collection(X):
            if sample_weight is not None:
                raise ValueError("sample_weight is not supported with dask collections yet")
            self._check_params(None)  # before any work on the cluster
            return fit_dask(self, X, y, n_out=1, loss_name=self.loss, resume=resume)
        X, y, sw = self._validate(X, y, sample_weight, reset=True)
        self._setup(X, y, sw, 1, self.loss, reset=resume or not (self.warm_start and hasattr(self, "_theta")))
        self._fit_epochs(X, y, sw, self.max_iter, stopping=True, resume=resume)
        return self

    def partial_fit(self, X, y=None, sample_weight=None):
        """One epoch over (X, y) (or over a source of chunks), continuing from the current
        weights and optimizer state."""
        first = not hasattr(self, "_theta")
        if self._is_chunks(X):
            return self._fit_chunks(X, 1, first_call=first)
        X, y, sw = self._validate(X, y, sample_weight, reset=first)
        self._setup(X, y, sw, 1, self.loss, reset=first)
        self._fit_epochs(X, y, sw, 1, stopping=False)
        return self

    def _publish(self):
        coef, intercept = self._coefficients()
        self.coef_, self.intercept_ = coef[0], intercept

    def predict(self, X):
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        return X @ self.coef_ + self.intercept_[0]


class GDClassifier(ClassifierMixin, _BaseGD):
    r"""Linear classification by gradient descent.

    ``loss="log_loss"`` is logistic regression: binary with two classes,
    multinomial (softmax) with more, and has ``predict_proba``.
    ``loss="hinge"`` is a linear support vector machine, one-vs-rest with
    more than two classes. ``class_weight`` (a dict or ``"balanced"``)
    multiplies the sample weights of each class. The other parameters and
    the attributes are those of :class:`GDRegressor`, plus ``classes_``;
    ``coef_`` has one row per class (one for two classes).
    """

    def __init__(self, loss="log_loss", *, optimizer="sgd", learning_rate="auto", schedule="constant",
                 batch_size=None, max_iter=1000, tol=1e-3, n_iter_no_change=5, penalty="l2", alpha=1e-4,
                 l1_ratio=0.15, fit_intercept=True, standardize=True, early_stopping=False, validation_fraction=0.1,
                 shuffle=True, random_state=None, warm_start=False, verbose=0, checkpoint=None,
                 checkpoint_every=1, class_weight=None):
        super().__init__(loss, optimizer=optimizer, learning_rate=learning_rate, schedule=schedule,
                         batch_size=batch_size, max_iter=max_iter, tol=tol, n_iter_no_change=n_iter_no_change,
                         penalty=penalty, alpha=alpha, l1_ratio=l1_ratio, fit_intercept=fit_intercept,
                         standardize=standardize, early_stopping=early_stopping,
                         validation_fraction=validation_fraction, shuffle=shuffle, random_state=random_state,
                         warm_start=warm_start, verbose=verbose, checkpoint=checkpoint,
                         checkpoint_every=checkpoint_every)
        self.class_weight = class_weight

    def _encode(self, X, y, sample_weight, reset, classes=None, finite=False, checked=False):
        if not checked:
            X, y = validate_data(self, X, y, dtype=[np.float64, np.float32], order="C", reset=reset,
                                 ensure_all_finite=not finite)
        check_classification_targets(y)
        if reset:
            self.classes_ = np.unique(y) if classes is None else np.unique(np.asarray(classes))
            if len(self.classes_) < 2:
                raise ValueError(
                    f"GDClassifier needs samples of at least 2 classes; got 1 class: {self.classes_[0]!r}")
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels not in classes_ {self.classes_.tolist()}: {unknown.tolist()}")
        codes = np.searchsorted(self.classes_, y)
        sw = self._validate_sample_weight(sample_weight, X)
        if self.class_weight is not None:
            weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            sw = (sw if sw.size else np.ones(len(y), dtype=X.dtype)) * weights[codes].astype(X.dtype)
        binary = len(self.classes_) == 2
        # Binary losses take y = -1 / +1; more classes take the class index.
        target = (2.0 * codes - 1.0) if binary else codes.astype(float)
        n_out = 1 if binary else len(self.classes_)
        loss_name = "multinomial" if (self.loss == "log_loss" and not binary) else self.loss
        return X, np.ascontiguousarray(target, dtype=X.dtype), sw, n_out, loss_name

    def _prepare(self, X, y, sample_weight, reset, classes=None, finite=False, checked=False):
        if reset and classes is None:
            raise ValueError("fitting a classifier on chunks needs the classes up front: use a "
                             "descend.stream.TableStream, or partial_fit(chunks, classes=...)")
        return self._encode(X, y, sample_weight, reset=reset, classes=classes, finite=finite, checked=checked)

    def fit(self, X, y=None, sample_weight=None, *, resume=False):
        """Fit on (X, y) for up to ``max_iter`` epochs; ``resume=True`` goes on from ``checkpoint``.

        ``X`` may also be a source of ``(X, y)`` chunks (a TableStream), with ``y`` None."""
        if self._is_chunks(X):
            return self._fit_chunks(X, self.max_iter, first_call=not (self.warm_start and hasattr(self, "_theta")),
                                    resume=resume)
        if self.loss not in CLASSIFICATION_LOSSES:
            raise ValueError(f"Unknown loss {self.loss!r}; valid losses are: {', '.join(CLASSIFICATION_LOSSES)}")
        from .distributed import _as_dask_arrays, fit_dask, is_dask_collection

        if is_dask_collection(X):
            if sample_weight is not None or self.class_weight is not None:
                raise ValueError("sample_weight and class_weight are not supported with dask collections yet")
            import dask.array as da

            labels = _as_dask_arrays(X, y)[1]
            self.classes_ = np.asarray(da.unique(labels).compute())
            if len(self.classes_) < 2:
                raise ValueError(f"GDClassifier needs samples of at least 2 classes; got {len(self.classes_)}")
            binary = len(self.classes_) == 2
            loss_name = "multinomial" if (self.loss == "log_loss" and not binary) else self.loss
            return fit_dask(self, X, y, n_out=1 if binary else len(self.classes_), loss_name=loss_name,
                            classes=self.classes_, resume=resume)
        X, target, sw, n_out, loss_name = self._encode(X, y, sample_weight, reset=True)
        self._setup(X, target, sw, n_out, loss_name,
                    reset=resume or not (self.warm_start and hasattr(self, "_theta")))
        self._fit_epochs(X, target, sw, self.max_iter, stopping=True, resume=resume)
        return self

    def partial_fit(self, X, y=None, classes=None, sample_weight=None):
        """One epoch over (X, y) (or over a source of chunks), continuing from the current state;
        ``classes`` is needed on the first call."""
        first = not hasattr(self, "_theta")
        if self._is_chunks(X):
            return self._fit_chunks(X, 1, first_call=first, classes=classes)
        if first and classes is None:
            raise ValueError("classes must be passed on the first call to partial_fit")
        X, target, sw, n_out, loss_name = self._encode(X, y, sample_weight, reset=first, classes=classes)
        self._setup(X, target, sw, n_out, loss_name, reset=first)
        self._fit_epochs(X, target, sw, 1, stopping=False)
        return self

    def _publish(self):
        self.coef_, self.intercept_ = self._coefficients()

    def decision_function(self, X):
        """Scores: shape (n,) for two classes (positive means classes_[1]), (n, K) for more."""
        check_is_fitted(self)
        X = validate_data(self, X, dtype=[np.float64, np.float32], reset=False)
        scores = X @ self.coef_.T + self.intercept_
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X):
        scores = self.decision_function(X)
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[indices]

    def _has_proba(self):
        return self.loss == "log_loss"

    @available_if(_has_proba)
    def predict_proba(self, X):
        """Class probabilities (log_loss only): the sigmoid, or the softmax of the scores."""
        scores = self.decision_function(X)
        if scores.ndim == 1:
            positive = np.exp(-np.logaddexp(0.0, -scores))
            return np.column_stack([1.0 - positive, positive])
        return softmax(scores.astype(np.float64, copy=True))

    @available_if(_has_proba)
    def predict_log_proba(self, X):
        return np.log(self.predict_proba(X))
