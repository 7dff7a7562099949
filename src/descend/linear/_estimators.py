"""GDRegressor and GDClassifier: the scikit-learn interface of the linear models.

The estimators hold their parameters, check and encode the data they are
given, pick its source (arrays in memory, chunks of a stream, a Dask
collection), hand it to the one epoch loop (:mod:`descend.linear._trainer`),
and publish what it learned as scikit-learn's attributes (``coef_``,
``intercept_``, ``n_iter_``...). Nothing about training happens here.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, Any, overload

import numpy as np
import scipy.sparse as sp
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.utils import _safe_indexing, check_random_state, compute_class_weight
from sklearn.utils.metaestimators import available_if
from sklearn.utils.multiclass import check_classification_targets
from sklearn.utils.validation import _check_sample_weight, _num_samples, check_is_fitted, validate_data

from ..losses import (
    CLASSIFICATION_LOSSES,
    LOG_LINK_LOSSES,
    REGRESSION_LOSSES,
    check_targets,
    class_probabilities,
    get_loss,
)
from ..optimizers import get_optimizer
from ._dask import DaskSource, is_dask_collection, is_dask_table
from ._model_file import (
    ModelFileError,
    floats,
    param_from_json,
    param_to_json,
    read_document,
    refuse,
    unpacked,
    write_document,
)
from ._settings import ONLINE_FIRST_ROWS, fit_settings, for_data
from ._sources import ArraySource, ChunkSource, is_chunks
from ._state import ModelState
from ._trainer import Trainer

if TYPE_CHECKING:
    import os
    from collections.abc import Callable
    from typing import Literal

    from typing_extensions import Self

    from .._typing import AnyArray, ArrayLike, FloatArray, IntArray, Matrix
    from ..optimizers import Optimizer
    from ..penalties import ElasticNet
    from ._settings import Settings
    from ._sources import Prepare, Source

__all__ = ["GDRegressor", "GDClassifier", "load_model"]

FLOAT_DTYPES = [np.float64, np.float32]


def canonical_rows(X: Matrix) -> Matrix:
    """X as the engine takes it: dense as it is; CSR in canonical form (each row's column indices
    sorted, no duplicate), made on a copy when X is not, so the caller's matrix is never changed."""
    if not sp.issparse(X) or X.has_canonical_format:
        return X
    X = X.copy()
    X.sum_duplicates()
    return X


class _BaseGD(BaseEstimator):
    """What the regressor and the classifier share: parameters, the ways to fit, model files.

    A subclass says which losses it takes (``_losses``), how it validates and
    encodes data (``_encode``) and how it publishes coefficients (``_publish``).
    The fitted model lives in ``_state``, a :class:`~descend.linear._state.ModelState`.
    """

    _engine = "compiled"  # "reference" runs the NumPy path (tests, reading)
    _losses: tuple[str, ...] = ()
    # The fitted model (set by a fit or a model file) and whether y was 2-D.
    _state: ModelState
    _targets_2d: bool

    if TYPE_CHECKING:  # what a subclass defines

        def _encode(
            self,
            X: Matrix,
            y: ArrayLike | None,
            sample_weight: ArrayLike | None,
            *,
            reset: bool,
            classes: ArrayLike | None = None,
            check_finite: bool = True,
            checked: bool = False,
            chunks: bool = False,
            canonical: bool = True,
        ) -> tuple[Matrix, FloatArray, FloatArray, int, str]: ...

        def _publish(self, state: ModelState) -> None: ...

        def _dask_source(self, X: Any, y: Any, sample_weight: ArrayLike | None, settings: Settings) -> DaskSource: ...

    def __init__(
        self,
        loss: str,
        *,
        optimizer: str | Optimizer = "auto",
        learning_rate: str | float = "auto",
        schedule: str | Callable[[int], float] = "constant",
        batch_size: int | str | None = "auto",
        max_iter: int = 1000,
        tol: float | None = 1e-6,
        n_iter_no_change: int = 5,
        penalty: str | ElasticNet | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        standardize: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        warm_start: bool = False,
        verbose: int = 0,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1,
        sparse_updates: str = "lazy",
        n_jobs: int | None = None,
    ) -> None:
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
        self.sparse_updates = sparse_updates
        self.n_jobs = n_jobs

    # ------------------------------------------------------------ fitting
    def fit(
        self, X: Any, y: ArrayLike | None = None, sample_weight: ArrayLike | None = None, *, resume: bool = False
    ) -> Self:
        """Fit on (X, y) for up to ``max_iter`` epochs; ``resume=True`` goes on from ``checkpoint``.

        Parameters
        ----------
        X : array-like, sparse matrix, source of chunks, Dask collection or DaskTable
            The rows, shape (n_samples, n_features); or a source of ``(X, y)`` chunks (a
            :class:`descend.readers.stream.TableStream` for data larger than memory), with ``y`` None; or
            a Dask array or DataFrame; or a :class:`descend.readers.dask_tables.DaskTable` (files that the
            cluster's workers read), with ``y`` None.
        y : array-like, optional
            The targets (None with a source of chunks or a DaskTable).
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows.
        resume : bool
            Go on from the file ``checkpoint`` names.

        Returns
        -------
        GDRegressor or GDClassifier
            This model, fitted.

        Raises
        ------
        ValueError
            For a bad parameter or bad data (named), or a checkpoint of another fit.
        descend.DivergenceError
            When the training loss stops being finite or explodes.
        """
        settings = fit_settings(self.get_params(deep=False), self._losses)
        fresh = resume or not (settings.warm_start and hasattr(self, "_state"))
        rng = check_random_state(settings.random_state)
        previous = None if fresh else self._chosen()
        source: Source
        if is_chunks(X):
            settings = for_data(settings, None, previous, chunks=True)
            source = ChunkSource(X, self._chunk_encoder(fresh, getattr(X, "classes", None)), settings)
        elif is_dask_collection(X) or is_dask_table(X):
            settings = for_data(settings, None, previous)
            source = self._dask_source(X, y, sample_weight, settings)
        else:
            source = self._array_source(
                X, y, sample_weight, settings, reset=True, rng=rng, hold_out=True, previous=previous
            )
        return self._train(
            source, source.settings, rng, n_epochs=source.settings.max_iter, stopping=True, fresh=fresh, resume=resume
        )

    def _chosen(self) -> tuple[Optimizer, int | str | None] | None:
        """(optimizer, batch size) of the fit that a warm start or partial_fit continues: what
        ``"auto"`` chose then is kept (None before any fit)."""
        if not hasattr(self, "_state"):
            return None
        return self._state.optimizer, getattr(self, "batch_size_", None)

    def check_params(self) -> Self:
        """Check the parameters as ``fit`` does, before any data (``descend fit`` asks before it reads
        a file).

        Returns
        -------
        self
            The estimator, unchanged.

        Raises
        ------
        ValueError, TypeError
            Naming the first bad parameter.

        Examples
        --------
        >>> from descend import GDRegressor
        >>> GDRegressor(loss="quantile", quantile=1.5).check_params()
        Traceback (most recent call last):
        ...
        ValueError: quantile must lie in (0, 1), got 1.5
        """
        fit_settings(self.get_params(deep=False), self._losses)
        return self

    @overload
    def _partial_fit(
        self,
        X: Any,
        y: ArrayLike | None,
        sample_weight: ArrayLike | None,
        classes: ArrayLike | None = None,
        *,
        online: bool = False,
        record: Literal[False] = False,
    ) -> Self: ...

    @overload
    def _partial_fit(
        self,
        X: Any,
        y: ArrayLike | None,
        sample_weight: ArrayLike | None,
        classes: ArrayLike | None = None,
        *,
        online: bool = False,
        record: Literal[True],
    ) -> FloatArray: ...

    def _partial_fit(
        self,
        X: Any,
        y: ArrayLike | None,
        sample_weight: ArrayLike | None,
        classes: ArrayLike | None = None,
        *,
        online: bool = False,
        record: bool = False,
    ) -> Self | FloatArray:
        """One epoch over (X, y) or over a source of chunks, continuing from the current state.
        ``online``: the rows in the order given, "auto" settled as for rows that come one by one;
        ``record``: returns the scores of each row before its step (:meth:`progressive_fit`)."""
        settings = fit_settings(self.get_params(deep=False), self._losses)
        first = not hasattr(self, "_state")
        rng = check_random_state(settings.random_state)
        source: ArraySource | ChunkSource
        if is_chunks(X):
            classes = getattr(X, "classes", None) if classes is None else classes
            settings = for_data(settings, None, self._chosen(), chunks=True)
            source = ChunkSource(X, self._chunk_encoder(first, classes), settings)
        else:
            if online:
                settings = replace(settings, shuffle=False)
            source = self._array_source(
                X, y, sample_weight, settings, reset=first, classes=classes, previous=self._chosen(), online=online
            )
            if record:
                source.record_scores()
        self._train(source, source.settings, rng, n_epochs=1, stopping=False, fresh=first)
        if record:
            assert isinstance(source, ArraySource) and source.scores_out is not None  # record_scores made it
            return source.scores_out
        return self

    def _progressive_fit(
        self, X: Matrix, y: ArrayLike, sample_weight: ArrayLike | None, classes: ArrayLike | None = None
    ) -> FloatArray:
        """Each row scored by the model as it stands, then learned from, in order (progressive_fit)."""
        settings = fit_settings(self.get_params(deep=False), self._losses)
        if settings.batch_size is None:
            raise ValueError(
                "progressive_fit learns from rows as they come: batch_size=None (the full batch) has "
                "no place in it; use 'auto', 1 or a mini-batch size"
            )
        n = _num_samples(X)
        y = np.asarray(y)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        parts: list[FloatArray] = []
        start = 0
        while start < n:
            fresh = not hasattr(self, "_state")
            chosen = for_data(settings, None, self._chosen(), online=True)
            if chosen.batch_size is None:  # "auto" keeps the batch size of the fit this one goes on from
                raise ValueError(
                    "progressive_fit learns from rows as they come: this model was fitted on the full batch "
                    "(batch_size_=None), which batch_size='auto' goes on with; set batch_size (1 or a mini-batch "
                    "size) and an optimizer that steps on it, such as optimizer='sgd'"
                )
            assert isinstance(chosen.batch_size, int)  # for_data settled "auto"
            # The normalized update records each row's scores inside its loop: the rest of the rows in one call.
            # Anything else scores a batch, then learns from it; a fresh model, its first ONLINE_FIRST_ROWS rows
            # (scored by the starting model), which give it its units.
            first = max(chosen.batch_size, ONLINE_FIRST_ROWS) if fresh else chosen.batch_size
            stop = n if chosen.row_steps and not fresh else min(start + first, n)
            rows = slice(start, stop)
            part = (_safe_indexing(X, rows), y[rows], None if weights is None else weights[rows])
            if stop == n and not fresh and chosen.row_steps:
                parts.append(self._partial_fit(*part, classes, online=True, record=True))
            else:
                before = None if fresh else self._scores(part[0]).reshape(stop - start, -1)
                self._partial_fit(*part, classes, online=True)
                parts.append(np.zeros((stop - start, self._state.n_out)) if before is None else before)
            start = stop
        scores = np.concatenate(parts) if parts else np.zeros((0, 1))
        return scores.ravel() if scores.shape[1] == 1 and self._single_output() else scores

    def _single_output(self) -> bool:
        return True

    def _train(
        self,
        source: Source,
        settings: Settings,
        rng: np.random.RandomState,
        *,
        n_epochs: int,
        stopping: bool,
        fresh: bool,
        resume: bool = False,
    ) -> Self:
        trainer = Trainer(settings, name=type(self).__name__, params=self.get_params(deep=False), engine=self._engine)
        state, record = trainer.fit(
            source, None if fresh else self._state, rng, n_epochs=n_epochs, stopping=stopping, resume=resume
        )
        self._state = state
        self._publish(state)
        self.optimizer_, self.batch_size_ = state.optimizer, settings.batch_size
        self.n_iter_, self.t_, self.learning_rate_ = state.n_iter, state.t, state.learning_rate
        self.history_ = state.history
        self.best_iteration_, self.rows_seen_ = record.best_iteration, record.rows_seen
        return self

    def _array_source(
        self,
        X: Matrix,
        y: ArrayLike | None,
        sample_weight: ArrayLike | None,
        settings: Settings,
        *,
        reset: bool,
        rng: np.random.RandomState | None = None,
        hold_out: bool = False,
        classes: ArrayLike | None = None,
        previous: tuple[Optimizer, int | str | None] | None = None,
        online: bool = False,
    ) -> ArraySource:
        """Arrays in memory, validated (their finiteness is checked by the source's one pass over X)
        and encoded, with the settings' "auto" settled for them (``previous``: see :meth:`_chosen`;
        ``online``: for rows that come one by one); with early stopping (``hold_out``, a fit's), a
        validation share held out. A fit's batch is at most its rows; a partial fit's chunk, the last
        of a stream, may be shorter than one batch."""
        X, y, weights, n_out, loss = self._encode(
            X, y, sample_weight, reset=reset, classes=classes, check_finite=False, canonical=False
        )
        settings = for_data(settings, X, previous, online=online)
        if not settings.row_steps:  # the normalized update takes a row's entries as they are, repeats included
            X = canonical_rows(X)
        if hold_out and settings.batch_size is not None and settings.batch_size > X.shape[0]:
            raise ValueError(
                f"batch_size must lie between 1 and the number of samples ({X.shape[0]}), got {settings.batch_size}"
            )
        rows = validation_rows = None
        if hold_out and settings.early_stopping:
            rows, validation_rows = self._hold_out(X.shape[0], y, settings, rng)
        return ArraySource(
            X,
            y,
            weights,
            n_out=n_out,
            loss=loss,
            settings=settings,
            rows=rows,
            validation_rows=validation_rows,
            gram_allowed=self._engine == "compiled",
        )

    def _hold_out(
        self, n: int, y: FloatArray, settings: Settings, rng: np.random.RandomState | None
    ) -> tuple[IntArray, IntArray]:
        from sklearn.model_selection import train_test_split  # here: its import costs 8 MB and 0.1 s

        stratify = y if isinstance(self, ClassifierMixin) else None
        try:
            rows, validation_rows = train_test_split(
                np.arange(n), test_size=settings.validation_fraction, stratify=stratify, random_state=rng
            )
        except ValueError as error:
            raise ValueError(
                f"early_stopping cannot hold out validation_fraction={settings.validation_fraction} "
                f"of {n} samples: {error}"
            ) from None
        return np.sort(rows), np.sort(validation_rows)

    def _chunk_encoder(self, fresh: bool, classes: ArrayLike | None) -> Prepare:
        """The ChunkSource's ``prepare``: validate and encode a block; the first of a fresh fit resets
        the feature count (and, for a classifier, needs the classes)."""

        def prepare(
            X: Matrix, y: ArrayLike, first: bool, finite: bool, checked: bool
        ) -> tuple[Matrix, FloatArray, FloatArray, int, str]:
            return self._encode(
                X,
                y,
                None,
                reset=fresh and first,
                classes=classes,
                check_finite=not finite,
                checked=checked,
                chunks=True,
            )

        return prepare

    def _dask_features(self, source: DaskSource) -> None:
        """The feature count and names, as validate_data sets them for arrays."""
        self.n_features_in_ = source.n_features
        if source.feature_names is not None:
            self.feature_names_in_ = np.array(source.feature_names, dtype=object)

    def _validate_sample_weight(self, sample_weight: ArrayLike | None, X: Matrix) -> FloatArray:
        if sample_weight is None:
            return np.empty(0, dtype=X.dtype)
        weights = _check_sample_weight(sample_weight, X, dtype=X.dtype, ensure_non_negative=True)
        if not np.all(np.isfinite(weights)):
            raise ValueError("sample_weight contains NaN or inf")
        return np.ascontiguousarray(weights)

    # -------------------------------------------------------- model files
    def save(
        self,
        path: str | os.PathLike[str],
        *,
        preprocessing: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
    ) -> None:
        """Write the fitted model to ``path`` as a JSON model file (see :mod:`descend.io`);
        ``descend.load(path)`` reads it back.

        Parameters
        ----------
        path : str or path-like
            The file, written atomically.
        preprocessing : dict, optional
            How raw data becomes X, kept with the model (the command line's).
        metadata : dict, optional
            Free-form JSON data kept with the model.

        Raises
        ------
        ValueError
            For a model not fitted yet.
        """
        if not hasattr(self, "coef_"):
            raise ValueError(f"this {type(self).__name__} is not fitted yet: fit it before saving")
        state = self._state
        document: dict[str, Any] = {
            "coef": floats(self.coef_),
            "intercept": floats(self.intercept_),
            "n_features_in": int(self.n_features_in_),
            "feature_names_in": (
                None if not hasattr(self, "feature_names_in_") else [str(n) for n in self.feature_names_in_]
            ),
            "center": _constant_or_floats(state.center),
            "scale": _constant_or_floats(state.scale),
            "n_iter": int(self.n_iter_),
            "t": int(self.t_),
            "learning_rate": float(self.learning_rate_),
            "history": {k: [float(v) for v in values] for k, values in self.history_.items()},
            "dtype": str(state.theta.dtype),
            # What the fit took ("auto" chose it, or the parameters said it): a warm start goes on with it.
            "optimizer": {
                "name": state.optimizer.name,
                "params": {k: param_to_json(v) for k, v in state.optimizer.get_params().items()},
            },
            "batch_size": self.batch_size_,
            "optimizer_state": state.optimizer_dict(),  # so that partial_fit, or descend learn, goes on exactly
        }
        if hasattr(self, "classes_"):
            document["classes"] = self.classes_.tolist()
        write_document(
            path,
            estimator=type(self).__name__,
            params=self.get_params(deep=False),
            state=document,
            preprocessing=preprocessing,
            metadata=metadata,
        )

    def _restore(self, path: str | os.PathLike[str], state: dict[str, Any]) -> None:
        """Take over the fitted model of a file's ``state`` section."""
        dtype = np.dtype(state.get("dtype", "float64"))
        if dtype not in (np.float32, np.float64):
            refuse(path, f"unknown dtype {dtype}")
        coef = unpacked(state["coef"], dtype=dtype)
        intercept = unpacked(state["intercept"], dtype=dtype)
        n_out = 1 if coef.ndim == 1 else coef.shape[0]
        self._targets_2d = coef.ndim == 2
        p = int(state["n_features_in"])
        if coef.shape[-1] != p or intercept.shape != (n_out,):
            refuse(path, "its coefficients do not fit together")
        center, scale = (
            np.broadcast_to(unpacked(state[name], dtype=dtype), (p,)).copy() for name in ("center", "scale")
        )
        for value in (coef, intercept, center, scale):
            if not np.all(np.isfinite(value)):
                refuse(path, "it holds non-finite numbers")
        if state.get("classes") is not None:
            self.classes_ = np.array(state["classes"])
        chosen = state.get("optimizer")  # files before "auto" have none: their parameter is the optimizer
        optimizer = (
            get_optimizer(chosen["name"], **{k: param_from_json(v) for k, v in chosen["params"].items()})
            if chosen is not None
            else get_optimizer(self.optimizer)
        )
        self._state = ModelState.from_coefficients(
            coef.reshape(n_out, p), intercept, center, scale, standardized=self.standardize, optimizer=optimizer
        )
        self.optimizer_ = optimizer
        self.batch_size_ = state.get("batch_size", self.batch_size)
        if "optimizer_state" in state:  # older files have none: a partial fit then starts the optimizer afresh
            self._state.restore_optimizer(state["optimizer_state"])
        self._state.n_iter, self._state.learning_rate = int(state["n_iter"]), float(state["learning_rate"])
        self._state.history = {k: list(v) for k, v in state["history"].items()}
        self.coef_, self.intercept_ = coef, intercept
        self.n_features_in_ = p
        if state.get("feature_names_in") is not None:
            self.feature_names_in_ = np.array(state["feature_names_in"], dtype=object)
        self.n_iter_, self.t_ = self._state.n_iter, int(state["t"])
        self.learning_rate_, self.history_ = self._state.learning_rate, self._state.history

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.input_tags.sparse = True
        return tags

    def _scores(self, X: Matrix) -> FloatArray:
        """X w' + b for new rows, checked as fit checked its own: (n,) for a 1-D coef_, else (n, outputs)."""
        check_is_fitted(self)
        X = validate_data(self, X, accept_sparse="csr", dtype=FLOAT_DTYPES, reset=False)
        if self.coef_.ndim == 2:
            return np.asarray(X @ self.coef_.T) + self.intercept_
        return np.asarray(X @ self.coef_) + self.intercept_[0]


class GDRegressor(RegressorMixin, _BaseGD):
    r"""Linear regression by gradient descent.

    Parameters
    ----------
    loss : str
        With :math:`p = x^\top w + b` and :math:`r = p - y`:
        ``"squared_error"`` :math:`\tfrac12 r^2`; ``"huber"``: squared within
        ``epsilon`` of the target, linear beyond (robust to outliers);
        ``"epsilon_insensitive"`` :math:`\max(0, |r| - \epsilon)` and
        ``"squared_epsilon_insensitive"`` its square (support vector
        regression); ``"quantile"`` the pinball loss
        :math:`\max(q r', (q - 1) r')`, :math:`r' = y - p`, whose minimizer
        predicts the ``quantile`` q of y given x; ``"poisson"``, ``"gamma"``,
        ``"tweedie"`` the half unit deviances of scikit-learn's
        ``PoissonRegressor``, ``GammaRegressor`` and ``TweedieRegressor`` with
        a log link: predictions are :math:`\exp(x^\top w + b)`, ``score`` is
        :math:`D^2`. The kinked losses (quantile, epsilon-insensitive) are
        minimized on the full batch through a smoothing shrunk to zero
        (continuation), ending, for data in memory, on the exact minimizer
        the smoothed one points to (:mod:`descend.linear._kinks`); on
        mini-batches by their subgradients.
    optimizer : "auto", str or descend.optimizers.Optimizer
        ``"auto"`` (the default): the normalized update (``"normalized"``,
        Vowpal Wabbit's) for one row a step, plain gradient descent
        (``"sgd"``) otherwise. Any name of
        :data:`descend.optimizers.OPTIMIZER_NAMES` or
        :data:`descend.optimizers.ROW_OPTIMIZER_NAMES`, or an instance.
    learning_rate : "auto" or float
        ``"auto"``: for gradient descent (``"sgd"``, ``"momentum"``,
        ``"nesterov"``) 1/L, with L the curvature of the objective measured on
        the data (the largest eigenvalue of X~'WX~/n, for mini-batches the
        expected smoothness of a batch), so that the defaults do not diverge
        even on unscaled features; plain gradient descent on the full batch
        then takes Barzilai-Borwein steps under a line search (SpaRSA). For
        adaptive optimizers given by name, the rate of 0.001 ... 1 whose
        20-epoch run on (at most 10,000 of) the rows ends lowest; given as an
        instance, or for the normalized update (whose rate does not depend on
        the data's scale), the optimizer's own ``lr``. A number is the initial
        rate.
    schedule : str or callable
        ``"constant"``, ``"invscaling"`` (lr / t^0.25, scikit-learn's),
        ``"step"`` (halve every 10 epochs), ``"exponential"`` (divide by e
        every 10 epochs), ``"cosine"`` (one cosine cycle over max_iter
        epochs), ``"optimal"`` (scikit-learn's: 1 / (alpha (t0 + t - 1)),
        starting, with ``learning_rate="auto"``, at alpha^(-1/4) as
        scikit-learn does), or any callable ``t -> lr`` / schedule of
        :mod:`descend.schedules` (then ``learning_rate`` is not used).
    batch_size : "auto", None or int
        None: the full batch; an int: mini-batches of that size; 1: one
        sample per step (stochastic gradient descent). ``"auto"`` (the
        default): a large sparse matrix (at least 10,000 rows and 1,000
        features, at most 1% non-zeros: hashed text, click logs, one-hot
        categories) is learned online, one pass of one row a step with the
        normalized update, as Vowpal Wabbit learns; other data take the full
        batch. ``batch_size_`` and ``optimizer_`` say what was chosen (see
        :mod:`descend.linear._settings`).
    max_iter : int
        Epochs at most (an online fit chosen by ``batch_size="auto"`` makes one).
    tol, n_iter_no_change : float or None, int
        When a fit has converged. On the full batch, with a smooth loss (all
        but hinge) and no early stopping: when the norm of the objective's
        minimum-norm subgradient :math:`G` (its gradient, the L1 part's
        subdifferential taken at its smallest) has fallen to ``tol`` times its
        value at the start, :math:`\lVert G(\theta_k) \rVert \le
        \mathrm{tol}\, \lVert G(\theta_0) \rVert`, the optimality test of
        exact solvers; 1e-6, the default, gives the published digits of ISLR's
        Default regression. On mini-batches (and for hinge, or the validation
        loss of early stopping), when the epoch's mean loss :math:`\ell_k` has
        not fallen below :math:`(1 - \mathrm{tol}) \min_{j<k} \ell_j` for
        ``n_iter_no_change`` epochs in a row. A fit that ends by ``max_iter``
        instead warns how far it stopped (the gradient's relative norm, or the
        loss's last change). ``None`` runs ``max_iter`` epochs, silently.
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
        made either way. Two fits step on the raw features whatever it says:
        the normalized update, which is invariant to each feature's scale,
        and the full batch of a sparse, wide matrix, whose rare columns
        scaling would make ill-conditioned (the same solution, reached sooner).
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
    sparse_updates : {"lazy", "dense"}
        How a step treats the coordinates a step's rows do not touch, when X
        is sparse (CSR). ``standardize`` scales its columns, and centers them
        only when every step is dense (the full batch, or ``"dense"``), then
        implicitly, X staying sparse: the dense fit's steps. ``"lazy"``: per-sample plain SGD
        without ``standardize`` takes exactly the dense steps in O(non-zeros
        of the row) (the penalty's decay of the untouched weights is applied
        when they are next touched: the scaled-weight trick for L2, the
        cumulative penalty of Tsuruoka et al. 2009 for L1); every other
        optimizer and batch steps on the touched coordinates only, with the
        semantics of ``torch.optim.SparseAdam`` (moments, penalty and step
        move only where the gradient is non-zero; the step count is the
        optimizer's; the step is the optimizer's own, for Adam
        ``torch.optim.Adam``'s placement of eps). ``"dense"``: every
        coordinate at every step, the dense fit's steps exactly, O(features)
        a step.
    n_jobs : int or None
        The threads a fit runs on (scikit-learn's convention): None or 1, this one and no other;
        -1, every core the process was given; never more than that (see :ref:`every core
        <every-core>`). The full batch sums fixed blocks of rows on them, so its coefficients are
        the same for any ``n_jobs``, bit for bit; so are the steps of several outputs (one-vs-rest
        classes, several targets), shared out to the threads. Other per-sample steps take
        Hogwild!'s lock-free steps, with plain SGD, the optimizers whose state is one number per
        coordinate and the normalized update; they are not reproducible bit for bit for more than
        one thread. Other steps run on one thread.
    epsilon : float
        Huber's threshold; the half-width of the epsilon-insensitive losses' tube.
    quantile : float
        The quantile :math:`\tau` in (0, 1) of ``loss="quantile"``.
    power : float
        Tweedie's power of ``loss="tweedie"``: 0 (normal), 1 (Poisson), between
        1 and 2 (compound Poisson-Gamma), 2 (Gamma), above 2 (3: inverse Gaussian).

    Attributes
    ----------
    optimizer_, batch_size_
        The optimizer (an instance) and the batch size the fit took: the
        parameters', or what ``"auto"`` chose for the data.
    coef_, intercept_, n_iter_, t_, learning_rate_, history_
        ``history_`` has per epoch ``loss`` (training objective, penalty
        included), ``val_loss`` (with early stopping) and ``lr`` (the rate of
        the epoch's last step). ``best_iteration_``: the epoch whose weights
        early stopping kept.

    Raises
    ------
    ValueError
        From ``fit``: a parameter out of its range or an unknown name (checked
        when fitting, as scikit-learn does), or targets outside the loss's
        domain (:func:`descend.losses.check_targets`).

    Examples
    --------
    A converged full-batch fit is the exact least-squares solution:

    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((50, 2))
    >>> y = X @ [1.5, -2.0] + 0.5 + 0.1 * rng.standard_normal(50)
    >>> model = GDRegressor(alpha=0.0).fit(X, y)
    >>> model.coef_.round(4), model.intercept_.round(4)
    (array([ 1.5178, -2.0003]), array([0.503]))
    >>> np.linalg.lstsq(np.c_[X, np.ones(50)], y, rcond=None)[0].round(4)
    array([ 1.5178, -2.0003,  0.503 ])
    >>> round(model.score(X, y), 4)
    0.9982
    """

    _losses = REGRESSION_LOSSES

    def __init__(
        self,
        loss: str = "squared_error",
        *,
        optimizer: str | Optimizer = "auto",
        learning_rate: str | float = "auto",
        schedule: str | Callable[[int], float] = "constant",
        batch_size: int | str | None = "auto",
        max_iter: int = 1000,
        tol: float | None = 1e-6,
        n_iter_no_change: int = 5,
        penalty: str | ElasticNet | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        standardize: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        warm_start: bool = False,
        verbose: int = 0,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1,
        sparse_updates: str = "lazy",
        n_jobs: int | None = None,
        epsilon: float = 0.1,
        quantile: float = 0.5,
        power: float = 1.5,
    ) -> None:
        super().__init__(
            loss,
            optimizer=optimizer,
            learning_rate=learning_rate,
            schedule=schedule,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            standardize=standardize,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            shuffle=shuffle,
            random_state=random_state,
            warm_start=warm_start,
            verbose=verbose,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            sparse_updates=sparse_updates,
            n_jobs=n_jobs,
        )
        self.epsilon = epsilon
        self.quantile = quantile
        self.power = power

    def _encode(
        self,
        X: Matrix,
        y: ArrayLike | None,
        sample_weight: ArrayLike | None,
        *,
        reset: bool,
        classes: ArrayLike | None = None,
        check_finite: bool = True,
        checked: bool = False,
        chunks: bool = False,
        canonical: bool = True,
    ) -> tuple[Matrix, FloatArray, FloatArray, int, str]:
        """(X, y, weights, outputs, loss) for the loop; ``checked``: X and y are the very arrays
        validated before. A 2-D y of k columns is k outputs, fitted together."""
        if not checked:
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse="csr",
                dtype=FLOAT_DTYPES,
                order="C",
                y_numeric=True,
                multi_output=True,
                reset=reset,
                ensure_all_finite=check_finite,
            )
            X = canonical_rows(X) if canonical else X
        y = np.ascontiguousarray(y, dtype=X.dtype)
        if reset:
            self._targets_2d = y.ndim == 2
        elif (y.ndim == 2) != self._targets_2d or (y.ndim == 2 and y.shape[1] != self._state.n_out):
            raise ValueError(
                f"y has shape {y.shape}, but this model was fitted on "
                f"{'a 2-D y of ' + str(self._state.n_out) + ' columns' if self._targets_2d else '1-D y'}"
            )
        check_targets(get_loss(self.loss, power=self.power), y)
        if y.ndim == 2 and y.shape[1] == 1:  # one output: the engine takes it as a vector
            y = np.ascontiguousarray(y[:, 0])
        return X, y, self._validate_sample_weight(sample_weight, X), (y.shape[1] if y.ndim == 2 else 1), self.loss

    def _dask_source(self, X: Any, y: Any, sample_weight: ArrayLike | None, settings: Settings) -> DaskSource:
        if sample_weight is not None:
            raise ValueError("sample_weight is not supported with dask collections yet")
        if getattr(y, "ndim", 1) != 1:
            raise ValueError(f"a Dask fit takes one target column; y has shape {y.shape}")
        self._targets_2d = False
        source = DaskSource(X, y, settings, loss=self.loss)
        self._dask_features(source)
        return source

    def partial_fit(self, X: Any, y: ArrayLike | None = None, sample_weight: ArrayLike | None = None) -> Self:
        """One epoch over (X, y) (or over a source of chunks), continuing from the current
        weights and optimizer state.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features), or a source of chunks
            The rows, or a source of ``(X, y)`` chunks (then ``y`` is None).
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows.

        Returns
        -------
        GDRegressor
            This model.

        Examples
        --------
        >>> import numpy as np
        >>> from descend import GDRegressor
        >>> from descend.datasets import make_linear
        >>> X, y, _, _ = make_linear(50, 2, weights=[1.5, -2.0], random_state=0)
        >>> model = GDRegressor(optimizer="adam", batch_size=10, random_state=0)
        >>> for _ in range(3):
        ...     model = model.partial_fit(X, y)
        >>> model.n_iter_
        3
        """
        return self._partial_fit(X, y, sample_weight)

    def progressive_fit(self, X: Matrix, y: ArrayLike, sample_weight: ArrayLike | None = None) -> FloatArray:
        r"""Predict each row, then learn from it: one pass over the rows in the order given, as
        online learning goes (Vowpal Wabbit's default, river's ``learn_one``); returns the predictions
        made before each row was learned from, the rows' progressive validation (Blum, Kalai &
        Langford 1999).

        Row :math:`i`'s score is :math:`s_i = w_{i-1}^\top x_i + b_{i-1}`, the model as it stood after
        rows :math:`1, \dots, i-1`; the mean loss of the :math:`s_i` estimates the model's error on
        new rows with no held-out set. The same as, for each batch of ``batch_size`` rows in turn,
        scoring it with the model as it stands (0 before the first), then ``partial_fit`` on it (a
        fresh model's first part: its first 32 rows, or one batch if more, which give it its units),
        with ``"auto"`` settled for rows that come one by one: one a step, with the normalized
        update (its loop records each row's score, so a call on many rows costs what ``partial_fit``
        costs). Importance weights (``sample_weight``) scale each row's step as they are.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows, in the order they arrive.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            The targets.
        sample_weight : array-like of shape (n_samples,), optional
            The rows' importance weights.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            Each row's score before the model learned from it: the prediction, or with a log-link
            loss its logarithm, the linear predictor.

        Raises
        ------
        ValueError
            For ``batch_size=None``, and as ``partial_fit``.

        Examples
        --------
        >>> import numpy as np
        >>> from descend import GDRegressor
        >>> X = np.array([[1.0], [2.0], [3.0], [4.0]])
        >>> model = GDRegressor()
        >>> before = model.progressive_fit(X, 2 * X[:, 0])
        >>> float(before[0]), model.batch_size_, model.optimizer_.name  # the first row meets a model of zeros
        (0.0, 1, 'normalized')
        """
        return self._progressive_fit(X, y, sample_weight)

    def _single_output(self) -> bool:
        return not self._targets_2d

    def _publish(self, state: ModelState) -> None:
        coef, intercept = state.coefficients()
        self.coef_, self.intercept_ = (coef if self._targets_2d else coef[0]), intercept

    def __sklearn_tags__(self) -> Any:
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        tags.target_tags.single_output = True
        if self.loss in ("poisson", "gamma") or (self.loss == "tweedie" and self.power != 0):
            tags.target_tags.positive_only = True
        return tags

    def predict(self, X: Matrix) -> FloatArray:
        """The predictions: the linear score, or with a log-link loss (Poisson, Gamma, Tweedie) its
        exponential, the predicted mean. One column per output for a 2-D y.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_outputs)
            The predictions.
        """
        score = self._scores(X)
        return np.exp(score) if self.loss in LOG_LINK_LOSSES else score

    def score(self, X: Matrix, y: ArrayLike, sample_weight: ArrayLike | None = None) -> float:
        """R^2 of the predictions; for the log-link losses D^2, the share of the Tweedie deviance (of
        their power) explained, as scikit-learn's PoissonRegressor, GammaRegressor and
        TweedieRegressor score.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Their targets.
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows.

        Returns
        -------
        float
            R^2 (or D^2), 1 for perfect predictions.
        """
        if self.loss not in LOG_LINK_LOSSES:
            return super().score(X, y, sample_weight=sample_weight)
        from sklearn.metrics import d2_tweedie_score

        power = {"poisson": 1.0, "gamma": 2.0}.get(self.loss, self.power)
        return d2_tweedie_score(y, self.predict(X), sample_weight=sample_weight, power=power)


class GDClassifier(ClassifierMixin, _BaseGD):
    r"""Linear classification by gradient descent.

    ``loss="log_loss"`` is logistic regression: binary with two classes,
    multinomial (softmax) with more, and has ``predict_proba``.
    ``loss="hinge"`` is a linear support vector machine, one-vs-rest with
    more than two classes, as are ``"squared_hinge"``, ``"modified_huber"``
    (a smooth hinge with scikit-learn's ``predict_proba``,
    :math:`(\min(1, \max(-1, f)) + 1)/2`) and ``"perceptron"``
    (:math:`\max(0, -y f)`, which learns one row a step: with no
    ``batch_size`` it takes ``batch_size=1``, since over the full batch
    :math:`w = 0` minimizes it). ``class_weight`` (a dict or ``"balanced"``)
    multiplies the sample weights of each class. The other parameters and
    the attributes are those of :class:`GDRegressor`, plus ``classes_``;
    ``coef_`` has one row per class (one for two classes).

    Parameters
    ----------
    loss : {"log_loss", "hinge", "modified_huber", "squared_hinge", "perceptron"}
        The loss of the score :math:`p` and the label :math:`y = \pm 1` (:mod:`descend.losses`).
    optimizer, learning_rate, schedule, batch_size, max_iter, tol, n_iter_no_change
        As for :class:`GDRegressor`.
    penalty, alpha, l1_ratio, fit_intercept, standardize
        As for :class:`GDRegressor`.
    early_stopping, validation_fraction, shuffle, random_state, warm_start, verbose
        As for :class:`GDRegressor` (the held-out fraction is stratified by class).
    checkpoint, checkpoint_every, sparse_updates, n_jobs
        As for :class:`GDRegressor`.
    class_weight : dict, "balanced" or None
        Weights of the classes, multiplying the sample weights: ``{class: weight}``, or
        ``"balanced"``, n_samples / (n_classes * count of the class).

    Raises
    ------
    ValueError
        From ``fit``: a bad parameter, fewer than two classes, or labels outside the classes given.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDClassifier
    >>> X, y = np.array([[-2.0], [-1.0], [1.0], [2.0]]), np.array(["no", "no", "yes", "yes"])
    >>> model = GDClassifier().fit(X, y)
    >>> model.classes_, model.predict([[-3.0], [0.5]])
    (array(['no', 'yes'], dtype='<U3'), array(['no', 'yes'], dtype='<U3'))
    >>> model.predict_proba([[0.0]])  # the boundary, halfway between the classes
    array([[0.5, 0.5]])
    >>> three = GDClassifier().fit([[0.0], [1.0], [2.0], [3.0], [4.0], [5.0]], [0, 0, 1, 1, 2, 2])
    >>> three.coef_.shape, three.predict([[0.2], [2.5], [4.8]])  # multinomial: a row per class
    ((3, 1), array([0, 1, 2]))
    """

    _losses = CLASSIFICATION_LOSSES

    def __init__(
        self,
        loss: str = "log_loss",
        *,
        optimizer: str | Optimizer = "auto",
        learning_rate: str | float = "auto",
        schedule: str | Callable[[int], float] = "constant",
        batch_size: int | str | None = "auto",
        max_iter: int = 1000,
        tol: float | None = 1e-6,
        n_iter_no_change: int = 5,
        penalty: str | ElasticNet | None = "l2",
        alpha: float = 1e-4,
        l1_ratio: float = 0.15,
        fit_intercept: bool = True,
        standardize: bool = True,
        early_stopping: bool = False,
        validation_fraction: float = 0.1,
        shuffle: bool = True,
        random_state: int | np.random.RandomState | None = None,
        warm_start: bool = False,
        verbose: int = 0,
        checkpoint: str | os.PathLike[str] | None = None,
        checkpoint_every: int = 1,
        sparse_updates: str = "lazy",
        n_jobs: int | None = None,
        class_weight: dict[Any, float] | str | None = None,
    ) -> None:
        super().__init__(
            loss,
            optimizer=optimizer,
            learning_rate=learning_rate,
            schedule=schedule,
            batch_size=batch_size,
            max_iter=max_iter,
            tol=tol,
            n_iter_no_change=n_iter_no_change,
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            fit_intercept=fit_intercept,
            standardize=standardize,
            early_stopping=early_stopping,
            validation_fraction=validation_fraction,
            shuffle=shuffle,
            random_state=random_state,
            warm_start=warm_start,
            verbose=verbose,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            sparse_updates=sparse_updates,
            n_jobs=n_jobs,
        )
        self.class_weight = class_weight

    def _encode(
        self,
        X: Matrix,
        y: Any,  # the labels as given (None is refused by validate_data), validated here or, checked, before
        sample_weight: ArrayLike | None,
        *,
        reset: bool,
        classes: ArrayLike | None = None,
        check_finite: bool = True,
        checked: bool = False,
        chunks: bool = False,
        canonical: bool = True,
    ) -> tuple[Matrix, FloatArray, FloatArray, int, str]:
        """(X, targets, weights, outputs, loss): binary losses take y = -1 / +1, more classes the
        class index; ``class_weight`` multiplies the sample weights."""
        if chunks and reset and classes is None:
            raise ValueError(
                "fitting a classifier on chunks needs the classes up front: use a "
                "descend.readers.stream.TableStream, or partial_fit(chunks, classes=...)"
            )
        if not checked:
            X, y = validate_data(
                self,
                X,
                y,
                accept_sparse="csr",
                dtype=FLOAT_DTYPES,
                order="C",
                reset=reset,
                ensure_all_finite=check_finite,
            )
            X = canonical_rows(X) if canonical else X
        check_classification_targets(y)
        if reset:
            self._set_classes(np.unique(y) if classes is None else np.unique(np.asarray(classes)))
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if unknown.size:
            raise ValueError(f"y contains labels not in classes_ {self.classes_.tolist()}: {unknown.tolist()}")
        codes = np.searchsorted(self.classes_, y)
        weights = self._validate_sample_weight(sample_weight, X)
        if self.class_weight is not None:
            class_weights = compute_class_weight(self.class_weight, classes=self.classes_, y=y)
            weights = (weights if weights.size else np.ones(len(y), dtype=X.dtype)) * class_weights[codes].astype(
                X.dtype
            )
        n_out, loss = self._outputs()
        target = (2.0 * codes - 1.0) if n_out == 1 else codes.astype(float)
        return X, np.ascontiguousarray(target, dtype=X.dtype), weights, n_out, loss

    def _set_classes(self, classes: AnyArray) -> None:
        if len(classes) < 2:
            got = f"1 class: {classes[0]!r}" if len(classes) == 1 else "no class"
            raise ValueError(f"GDClassifier needs samples of at least 2 classes; got {got}")
        self.classes_ = classes

    def _outputs(self) -> tuple[int, str]:
        """(outputs, loss): one output for two classes, one per class for more, where log-loss is
        the multinomial (softmax) loss."""
        binary = len(self.classes_) == 2
        return (1 if binary else len(self.classes_)), (
            "multinomial" if (self.loss == "log_loss" and not binary) else self.loss
        )

    def _dask_source(self, X: Any, y: Any, sample_weight: ArrayLike | None, settings: Settings) -> DaskSource:
        if sample_weight is not None or self.class_weight is not None:
            raise ValueError("sample_weight and class_weight are not supported with dask collections yet")
        self._set_classes(DaskSource.labels(X, y))
        n_out, loss = self._outputs()
        source = DaskSource(X, y, settings, loss=loss, classes=self.classes_)
        self._dask_features(source)
        return source

    def partial_fit(
        self,
        X: Any,
        y: ArrayLike | None = None,
        classes: ArrayLike | None = None,
        sample_weight: ArrayLike | None = None,
    ) -> Self:
        """One epoch over (X, y) (or over a source of chunks), continuing from the current state;
        ``classes`` is needed on the first call.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features), or a source of chunks
            The rows, or a source of ``(X, y)`` chunks (then ``y`` is None).
        y : array-like of shape (n_samples,)
            The labels.
        classes : array-like, optional
            Every class, on the first call (a source of chunks may say them itself).
        sample_weight : array-like of shape (n_samples,), optional
            Weights of the rows.

        Returns
        -------
        GDClassifier
            This model.

        Raises
        ------
        ValueError
            On the first call without ``classes``, or for labels outside them.

        Examples
        --------
        >>> import numpy as np
        >>> from descend import GDClassifier
        >>> model = GDClassifier(loss="hinge", batch_size=1, random_state=0)
        >>> model = model.partial_fit([[-2.0], [-1.0], [1.0], [2.0]], ["no", "no", "yes", "yes"],
        ...                           classes=["no", "yes"])
        >>> model.predict([[-3.0], [3.0]])
        array(['no', 'yes'], dtype='<U3')
        """
        if not hasattr(self, "_state") and classes is None and not is_chunks(X):
            raise ValueError("classes must be passed on the first call to partial_fit")
        return self._partial_fit(X, y, sample_weight, classes=classes)

    def progressive_fit(
        self, X: Matrix, y: ArrayLike, classes: ArrayLike | None = None, sample_weight: ArrayLike | None = None
    ) -> FloatArray:
        r"""Score each row, then learn from it: one pass over the rows in the order given, as online
        learning goes (Vowpal Wabbit's default, river's ``learn_one``); returns the scores made before
        each row was learned from, the rows' progressive validation (Blum, Kalai & Langford 1999).
        ``classes`` is needed on the first call.

        Row :math:`i`'s score is :math:`s_i = w_{i-1}^\top x_i + b_{i-1}`, the model as it stood after
        rows :math:`1, \dots, i-1`. The same as, for each batch of ``batch_size`` rows in turn,
        ``decision_function`` on it with the model as it stands (0 before the first), then
        ``partial_fit`` on it (a fresh model's first part: its first 32 rows, or one batch if more,
        which give it its units), with ``"auto"`` settled for rows that come one by one: one a step,
        with the normalized update (its loop records each row's score). Importance weights
        (``sample_weight``) scale each row's step as they are.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows, in the order they arrive.
        y : array-like of shape (n_samples,)
            The labels.
        classes : array-like, optional
            Every class, on the first call.
        sample_weight : array-like of shape (n_samples,), optional
            The rows' importance weights.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            Each row's ``decision_function`` before the model learned from it (positive means
            ``classes_[1]`` for two classes).

        Raises
        ------
        ValueError
            For ``batch_size=None``, and as ``partial_fit``.

        Examples
        --------
        >>> import numpy as np
        >>> from descend import GDClassifier
        >>> x = np.array([-2.0, 2.0, -1.0, 1.0, -3.0, 3.0] * 12)
        >>> y = np.where(x > 0, "yes", "no")
        >>> scores = GDClassifier().progressive_fit(x[:, None], y, classes=["no", "yes"])
        >>> right = (scores > 0) == (y == "yes")
        >>> # the first 32 rows scored by the starting model, the next 40 as it learns
        >>> float(scores[0]), int(right[:32].sum()), int(right[32:].sum())
        (0.0, 16, 40)
        """
        return self._progressive_fit(X, y, sample_weight, classes)

    def _publish(self, state: ModelState) -> None:
        self.coef_, self.intercept_ = state.coefficients()

    def decision_function(self, X: Matrix) -> FloatArray:
        """Scores: shape (n,) for two classes (positive means classes_[1]), (n, K) for more.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        ndarray of shape (n_samples,) or (n_samples, n_classes)
            :math:`X w^\top + b`.
        """
        scores = self._scores(X)
        return scores.ravel() if scores.shape[1] == 1 else scores

    def predict(self, X: Matrix) -> AnyArray:
        """The class of each row: ``classes_[1]`` where the score is positive, else the best-scoring class.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        ndarray of shape (n_samples,)
            The predicted classes, labels of ``classes_``.
        """
        scores = self.decision_function(X)
        indices = (scores > 0).astype(int) if scores.ndim == 1 else scores.argmax(axis=1)
        return self.classes_[indices]

    def _has_proba(self) -> bool:
        return self.loss in ("log_loss", "modified_huber")

    @available_if(_has_proba)
    def predict_proba(self, X: Matrix) -> FloatArray:
        """Class probabilities. log_loss: the sigmoid, or the softmax of the scores. modified_huber:
        as scikit-learn defines them for it (Zadrozny & Elkan 2002), (clip(score, -1, 1) + 1) / 2 per
        class, normalized over the classes for more than two (uniform where every score is -1 or less).

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The probabilities, in the order of ``classes_``; each row sums to 1.
        """
        return class_probabilities(self.loss, self.decision_function(X))

    @available_if(_has_proba)
    def predict_log_proba(self, X: Matrix) -> FloatArray:
        """The logarithms of :meth:`predict_proba`.

        Parameters
        ----------
        X : array-like or sparse matrix of shape (n_samples, n_features)
            The rows.

        Returns
        -------
        ndarray of shape (n_samples, n_classes)
            The log-probabilities.
        """
        return np.log(self.predict_proba(X))


ESTIMATORS: dict[str, type[GDRegressor] | type[GDClassifier]] = {
    "GDRegressor": GDRegressor,
    "GDClassifier": GDClassifier,
}


def _constant_or_floats(values: ArrayLike) -> float | list[Any] | dict[str, Any]:
    """One number for an array that holds one value (the center and scale of an unstandardized fit:
    on a hashed space of 2**20 columns, two thirds of the file), else the list."""
    values = np.asarray(values)
    if values.size and np.all(values == values.flat[0]):
        first = floats(values.flat[0:1])
        assert isinstance(first, list)  # one value: packed keeps it a list
        return first[0]
    return floats(values)


def load_model(
    path: str | os.PathLike[str],
) -> tuple[GDRegressor | GDClassifier, dict[str, Any] | None, dict[str, Any]]:
    """``(estimator, preprocessing dict or None, metadata dict)`` from a model file.

    Parameters
    ----------
    path : str or path-like
        A model file written by ``estimator.save`` or :func:`descend.io.save`.

    Returns
    -------
    estimator : GDRegressor or GDClassifier
        The fitted model.
    preprocessing : dict or None
        The preprocessing saved with it (the command line's), or None.
    metadata : dict
        The free-form metadata saved with it, ``{}`` when there is none.

    Raises
    ------
    ModelFileError
        When the file is not a descend model this version can read (another format, a newer
        version, a field missing or malformed).

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from descend import GDClassifier
    >>> from descend.io import load_model
    >>> X, y = np.array([[-2.0], [-1.0], [1.0], [2.0]]), np.array([0, 0, 1, 1])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     GDClassifier().fit(X, y).save(os.path.join(folder, "model.json"), metadata={"rows": 4})
    ...     model, preprocessing, metadata = load_model(os.path.join(folder, "model.json"))
    >>> model.predict([[-3.0], [3.0]]), preprocessing, metadata
    (array([0, 1]), None, {'rows': 4})
    """
    document = read_document(path)
    try:
        cls = ESTIMATORS[document["estimator"]]
        estimator = cls(**{k: param_from_json(v) for k, v in document["params"].items()})
        estimator._restore(path, document["state"])
    except ModelFileError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        refuse(path, f"a field is missing or malformed ({type(error).__name__}: {error})")
    return estimator, document.get("preprocessing"), document.get("metadata") or {}
