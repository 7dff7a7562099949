"""Data sets: four real ones shipped with the package, and synthetic generators.

``load_housing``, ``load_smarket``, ``load_default`` and ``load_bikeshare`` read CSV files inside the package (from
the ISLP package of *An Introduction to Statistical Learning*, BSD-style
licence; see ``descend/data/README.md``). Nothing is downloaded.
"""

from __future__ import annotations

from importlib import resources
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

from ._checks import check_choice, check_integer, check_number, check_positive

if TYPE_CHECKING:
    from collections.abc import Iterator

    from ._typing import ArrayLike, BoolArray, FloatArray, NDArray

__all__ = [
    "load_housing",
    "load_smarket",
    "load_default",
    "load_bikeshare",
    "BIKESHARE_LEVELS",
    "make_linear",
    "StreamingDataSimulator",
    "make_random_walk_prices",
]

ATTRIBUTION = (
    "From the ISLP package, the Python labs of 'An Introduction to Statistical Learning' "
    "(James, Witten, Hastie, Tibshirani, Taylor), BSD-style licence."
)


def _read(name: str) -> pd.DataFrame:
    with resources.files("descend").joinpath("data").joinpath(name).open("rb") as handle:
        return pd.read_csv(handle)


def load_housing() -> Bunch:
    """Boston housing: 506 suburbs, 12 predictors, target ``medv`` (median value, $1000s).

    Harrison & Rubinfeld 1978, *Hedonic prices and the demand for clean air*.

    Returns
    -------
    Bunch
        ``frame`` (all columns), ``data`` (the 12 predictors, a DataFrame), ``target`` (a
        Series), ``feature_names``, ``target_name`` and ``DESCR``.

    Examples
    --------
    >>> from descend.datasets import load_housing
    >>> housing = load_housing()
    >>> housing.data.shape, housing.target_name, housing.feature_names[:3]
    ((506, 12), 'medv', ['crim', 'zn', 'indus'])
    """
    frame = _read("Boston.csv")
    features = [c for c in frame.columns if c != "medv"]
    return Bunch(
        frame=frame,
        data=frame[features],
        target=frame["medv"],
        feature_names=features,
        target_name="medv",
        DESCR="Boston housing, 506 rows. " + ATTRIBUTION,
    )


def load_smarket() -> Bunch:
    """S&P 500 daily returns 2001-2005 (1250 days), target ``Direction`` (Up/Down of ``Today``).

    ``data`` holds what was known before the day: ``Lag1``..``Lag5`` and
    ``Volume``; ``frame`` also has ``Year`` and ``Today`` (the day's own
    return, which decides the target: never a feature).

    Returns
    -------
    Bunch
        ``frame``, ``data``, ``target`` (``"Up"`` or ``"Down"``), ``feature_names``,
        ``target_name`` and ``DESCR``.

    Examples
    --------
    >>> from descend.datasets import load_smarket
    >>> smarket = load_smarket()
    >>> smarket.data.shape, smarket.target.value_counts().to_dict()
    ((1250, 6), {'Up': 648, 'Down': 602})
    """
    frame = _read("Smarket.csv")
    features = ["Lag1", "Lag2", "Lag3", "Lag4", "Lag5", "Volume"]
    return Bunch(
        frame=frame,
        data=frame[features],
        target=frame["Direction"],
        feature_names=features,
        target_name="Direction",
        DESCR="S&P 500 daily returns 2001-2005. " + ATTRIBUTION,
    )


def load_default() -> Bunch:
    """Credit card default: 10,000 customers, target ``default`` (Yes/No, 3.3% Yes).

    ``data`` holds ``balance`` (monthly balance, $), ``income`` ($) and
    ``student`` as 1 for Yes and 0 for No; ``frame`` the file as it is, with
    ``student`` as Yes/No. ISLR's table 4.3 fits ``default ~ balance + income
    + student`` to all of it by logistic regression.

    Returns
    -------
    Bunch
        ``frame``, ``data``, ``target`` (``"Yes"`` or ``"No"``), ``feature_names``,
        ``target_name`` and ``DESCR``.

    Examples
    --------
    >>> from descend.datasets import load_default
    >>> default = load_default()
    >>> default.data.shape, round(float((default.target == "Yes").mean()), 3)
    ((10000, 3), 0.033)
    """
    frame = _read("Default.csv")
    features = ["balance", "income", "student"]
    data = frame[["balance", "income"]].assign(student=(frame["student"] == "Yes").astype(int))
    return Bunch(
        frame=frame,
        data=data,
        target=frame["default"],
        feature_names=features,
        target_name="default",
        DESCR="Credit card default, 10,000 customers. " + ATTRIBUTION,
    )


#: The levels of Bikeshare's categorical columns, in their natural order; the first is the
#: reference level of a treatment coding (ISLR's: January, midnight, clear weather).
BIKESHARE_LEVELS: dict[str, list[str] | list[int]] = {
    "mnth": ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"],
    "hr": list(range(24)),
    "weathersit": ["clear", "cloudy/misty", "light rain/snow", "heavy rain/snow"],
}


def load_bikeshare() -> Bunch:
    """Washington DC bike share, 2011: 8,645 hours, target ``bikers`` (rentals in the hour, a count).

    ``data`` holds the predictors: ``season``, ``mnth``, ``day`` (of the
    year), ``hr``, ``holiday``, ``weekday``, ``workingday``, ``weathersit``,
    ``temp`` and ``atemp`` (normalized temperatures), ``hum``, ``windspeed``;
    ``mnth``, ``hr`` and ``weathersit`` are pandas categoricals whose levels
    are in their natural order (:data:`BIKESHARE_LEVELS`: January, hour 0 and
    clear weather first). ``frame`` is the file as it is, with ``casual`` and
    ``registered``, whose sum is ``bikers``: never features. ISLR's section 4.6
    fits ``bikers ~ mnth + hr + workingday + temp + weathersit`` to all of it
    by Poisson regression.

    Returns
    -------
    Bunch
        ``frame``, ``data``, ``target`` (``bikers``), ``feature_names``, ``target_name`` and
        ``DESCR``.

    Examples
    --------
    >>> from descend.datasets import load_bikeshare
    >>> bikes = load_bikeshare()
    >>> bikes.data.shape, bikes.data["mnth"].cat.categories[:3].tolist(), int(bikes.target.sum())
    ((8645, 12), ['Jan', 'Feb', 'March'], 1243103)
    """
    frame = _read("Bikeshare.csv")
    features = [c for c in frame.columns if c not in ("casual", "registered", "bikers")]
    data = frame[features].copy()
    for column, levels in BIKESHARE_LEVELS.items():
        data[column] = pd.Categorical(data[column], categories=levels)
    return Bunch(
        frame=frame,
        data=data,
        target=frame["bikers"],
        feature_names=features,
        target_name="bikers",
        DESCR="Washington DC bike share, hourly, 2011: 8,645 hours. " + ATTRIBUTION,
    )


def make_linear(
    n_samples: int = 1000,
    n_features: int = 3,
    *,
    weights: ArrayLike | None = None,
    bias: float = 0.0,
    noise: float = 0.1,
    random_state: int | np.random.RandomState | None = None,
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64], float]:
    """Linear data with known weights: ``y = X @ weights + bias + noise * N(0, 1)``.

    Parameters
    ----------
    n_samples : int
        The number of rows.
    n_features : int
        The number of columns of X, each drawn from N(0, 1).
    weights : array-like of shape (n_features,), optional
        The true weights; drawn from N(0, 1) when not given.
    bias : float
        The true intercept.
    noise : float
        The standard deviation of the noise added to y.
    random_state : int, RandomState or None
        The seed (scikit-learn's ``check_random_state``).

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The features.
    y : ndarray of shape (n_samples,)
        The targets.
    weights : ndarray of shape (n_features,)
        The true weights.
    bias : float
        The true intercept.

    Raises
    ------
    ValueError
        When ``weights`` does not have ``n_features`` entries.

    Examples
    --------
    >>> import numpy as np
    >>> from descend.datasets import make_linear
    >>> X, y, weights, bias = make_linear(5, 2, weights=[1.0, -2.0], bias=0.5, noise=0.0, random_state=0)
    >>> X.shape, bool(np.allclose(y, X @ weights + bias))
    ((5, 2), True)
    """
    rng = check_random_state(random_state)
    weights = rng.standard_normal(n_features) if weights is None else np.asarray(weights, dtype=float)
    if weights.shape != (n_features,):
        raise ValueError(f"weights must have shape ({n_features},), got {weights.shape}")
    X = rng.standard_normal((n_samples, n_features))
    y = X @ weights + bias + noise * rng.standard_normal(n_samples)
    return X, y, weights, float(bias)


class StreamingDataSimulator:
    r"""Batches of (X, y) from a linear model that may change, for online learning with ``partial_fit``.

    Each call of :meth:`next_batch` (or each step of :meth:`batches`) draws
    fresh rows; row :math:`t = 0, 1, 2, \ldots` (the count of rows drawn
    before it) is

    .. math::

        x_t \sim N(0, I), \qquad
        y_t = x_t^\top w_t + b_t + \sigma \varepsilon_t, \quad \varepsilon_t \sim N(0, 1),

    with :math:`\sigma` = ``noise``. The true model :math:`(w_t, b_t)`, the
    *concept*, changes in three ways, which can be combined (the incremental,
    sudden and gradual drifts of Gama et al. 2014, *A survey on concept drift
    adaptation*, ACM Computing Surveys 46(4)):

    * a random walk, ``drift`` = :math:`s` > 0 (incremental drift): after
      every batch the weights move by :math:`w \leftarrow w + s\,\xi`,
      :math:`\xi \sim N(0, I)` (both concepts by the same step when there are
      two; the bias stays);
    * ``concept_drift="abrupt"`` (sudden drift): from row ``drift_position``
      = :math:`t_0` on, every row follows the new concept :math:`(w', b')` =
      (``new_weights``, ``new_bias``), even within a batch:
      :math:`(w_t, b_t) = (w', b')` for :math:`t \ge t_0`, :math:`(w, b)`
      before;
    * ``concept_drift="gradual"``: each row follows the new concept with the
      probability

      .. math::

          p(t) = \frac{1}{1 + e^{-4 (t - t_0) / W}},

      :math:`W` = ``drift_width``, drawn row by row (a batch can mix the two
      concepts): :math:`p` is 1/2 at :math:`t_0` and rises from 0.12 to 0.88
      over the :math:`W` rows centred there.

    The last two are the ``ConceptDriftStream`` of MOA (Bifet, Holmes, Kirkby &
    Pfahringer 2010, *MOA: Massive Online Analysis*, JMLR 11) and of river
    (Montiel et al. 2021, *River: machine learning for streaming data in
    Python*, JMLR 22), whose sigmoid this is; they count rows from 1, this
    class from 0, and its abrupt drift is an exact step (theirs, a width of 1).

    Parameters
    ----------
    n_features : int
        The number of columns (when ``weights`` is not given).
    weights : array-like, optional
        The true weights at the start; drawn from N(0, 1) when not given.
    bias : float
        The true intercept.
    noise : float
        The standard deviation of the noise added to y.
    batch_size : int
        Rows per batch, >= 1.
    drift : float
        The scale of the weights' random walk, per batch; 0 keeps them fixed.
    concept_drift : None, "abrupt" or "gradual"
        The change of concept at ``drift_position``; None: none.
    drift_position : int, optional
        :math:`t_0`, the row at which the new concept takes over (abrupt) or
        the centre of the change (gradual), >= 0; needed by a concept drift.
    drift_width : float, optional
        :math:`W`, the width of a gradual drift in rows, > 0; needed by
        ``"gradual"`` (an abrupt drift has none).
    new_weights : array-like of shape (n_features,), optional
        The new concept's weights; drawn from N(0, 1) (with this simulator's
        generator, after ``weights``) when not given.
    new_bias : float, optional
        The new concept's intercept; ``bias`` when not given.
    random_state : int, RandomState or None
        The seed (scikit-learn's ``check_random_state``). The generator draws
        the weights and the new weights (those not given), then per batch X,
        the noise, the gradual drift's uniform draw per row and the random
        walk's step: without ``concept_drift`` a seed gives the batches it gave
        before concept drift existed, bit for bit.

    Attributes
    ----------
    weights, bias : ndarray, float
        The first concept (its weights move with ``drift``).
    new_weights, new_bias : ndarray or None, float or None
        The new concept; None without ``concept_drift``.
    rows_drawn : int
        The rows drawn so far: the :math:`t` of the next row.
    last_batch_new_concept : ndarray of bool or None
        For each row of the last batch, whether it followed the new concept.

    Raises
    ------
    ValueError
        For ``batch_size`` < 1, an unknown ``concept_drift``, a missing or
        negative ``drift_position``, a ``drift_width`` <= 0 or missing for a
        gradual drift (or given for an abrupt one), ``new_weights`` of the
        wrong shape, or a concept drift's parameter without ``concept_drift``.

    Examples
    --------
    >>> import numpy as np
    >>> from descend import GDRegressor
    >>> from descend.datasets import StreamingDataSimulator
    >>> stream = StreamingDataSimulator(2, weights=[1.0, -2.0], noise=0.0, batch_size=16, random_state=0)
    >>> model = GDRegressor(optimizer="sgd", learning_rate=0.1)
    >>> for X, y in stream.batches(200):
    ...     model = model.partial_fit(X, y)
    >>> model.coef_.round(2)
    array([ 1., -2.])

    An abrupt drift at row 20 changes the concept in the middle of the second
    batch of 16; a gradual one of width 100 around row 200 mixes them:

    >>> stream = StreamingDataSimulator(2, weights=[1.0, -2.0], noise=0.0, batch_size=16, concept_drift="abrupt",
    ...                                 drift_position=20, new_weights=[-1.0, 0.5], random_state=0)
    >>> _ = stream.next_batch()
    >>> X, y = stream.next_batch()
    >>> stream.last_batch_new_concept.nonzero()[0]
    array([ 4,  5,  6,  7,  8,  9, 10, 11, 12, 13, 14, 15])
    >>> bool(np.allclose(y[4:], X[4:] @ [-1.0, 0.5])), bool(np.allclose(y[:4], X[:4] @ [1.0, -2.0]))
    (True, True)
    >>> gradual = StreamingDataSimulator(2, concept_drift="gradual", drift_position=200, drift_width=100)
    >>> gradual.new_concept_probability([100, 150, 200, 250, 300]).round(2)
    array([0.02, 0.12, 0.5 , 0.88, 0.98])
    """

    def __init__(
        self,
        n_features: int = 3,
        *,
        weights: ArrayLike | None = None,
        bias: float = 0.0,
        noise: float = 0.1,
        batch_size: int = 32,
        drift: float = 0.0,
        concept_drift: str | None = None,
        drift_position: int | None = None,
        drift_width: float | None = None,
        new_weights: ArrayLike | None = None,
        new_bias: float | None = None,
        random_state: int | np.random.RandomState | None = None,
    ) -> None:
        self._rng = check_random_state(random_state)
        self.weights = self._rng.standard_normal(n_features) if weights is None else np.array(weights, dtype=float)
        self.bias = float(bias)
        self.noise = float(noise)
        self.batch_size = int(batch_size)
        self.drift = float(drift)
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        self.concept_drift, self.drift_position, self.drift_width = _check_concept_drift(
            concept_drift, drift_position, drift_width, new_weights, new_bias
        )
        self.new_weights: NDArray[np.float64] | None = None
        self.new_bias: float | None = None
        if self.concept_drift is not None:
            n = len(self.weights)
            self.new_weights = (
                self._rng.standard_normal(n) if new_weights is None else np.array(new_weights, dtype=float)
            )
            if self.new_weights.shape != (n,):
                raise ValueError(f"new_weights must have shape ({n},), like weights, got {self.new_weights.shape}")
            self.new_bias = self.bias if new_bias is None else check_number("new_bias", new_bias)
        self.rows_drawn = 0
        self.last_batch_new_concept: BoolArray | None = None

    def new_concept_probability(self, t: ArrayLike) -> float | FloatArray:
        r"""The probability that row ``t`` follows the new concept.

        0 without a concept drift; for an abrupt one 1 from :math:`t_0` on and
        0 before; for a gradual one :math:`1 / (1 + e^{-4 (t - t_0) / W})`.

        Parameters
        ----------
        t : int or array-like of int
            Rows, counted from 0.

        Returns
        -------
        float or ndarray
            The probabilities, of the shape of ``t``.

        Examples
        --------
        >>> from descend.datasets import StreamingDataSimulator
        >>> abrupt = StreamingDataSimulator(2, concept_drift="abrupt", drift_position=10)
        >>> abrupt.new_concept_probability([0, 9, 10, 11])
        array([0., 0., 1., 1.])
        """
        t = np.asarray(t, dtype=float)
        if self.concept_drift is None:
            probability = np.zeros_like(t)
        elif self.concept_drift == "abrupt":
            probability = (t >= self.drift_position).astype(float)
        else:  # the logistic function, written with tanh, which does not overflow far from t0
            assert self.drift_width is not None  # a gradual drift has one (_check_concept_drift)
            probability = 0.5 * (1.0 + np.tanh(2.0 * (t - self.drift_position) / self.drift_width))
        return probability if probability.ndim else float(probability)

    def next_batch(self) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """One batch of fresh samples, then the drift's step.

        Returns
        -------
        X : ndarray of shape (batch_size, n_features)
            The features, drawn from N(0, 1).
        y : ndarray of shape (batch_size,)
            ``X @ weights + bias`` (``X @ new_weights + new_bias`` in the rows
            that follow the new concept) plus noise.
        """
        X = self._rng.standard_normal((self.batch_size, len(self.weights)))
        noise = self.noise * self._rng.standard_normal(self.batch_size)
        rows = self.rows_drawn + np.arange(self.batch_size)
        if self.concept_drift == "gradual":
            follows_new = self._rng.random(self.batch_size) < self.new_concept_probability(rows)
        else:
            follows_new = self.new_concept_probability(rows) == 1.0
        signal = X @ self.weights + self.bias
        if follows_new.any():
            signal = np.where(follows_new, X @ self.new_weights + self.new_bias, signal)
        y = signal + noise
        if self.drift:
            step = self.drift * self._rng.standard_normal(len(self.weights))
            self.weights = self.weights + step
            if self.new_weights is not None:
                self.new_weights = self.new_weights + step
        self.rows_drawn += self.batch_size
        self.last_batch_new_concept = follows_new
        return X, y

    def batches(self, n_batches: int) -> Iterator[tuple[NDArray[np.float64], NDArray[np.float64]]]:
        """An iterator over ``n_batches`` batches.

        Parameters
        ----------
        n_batches : int
            How many.

        Yields
        ------
        X, y : ndarray
            A batch, as :meth:`next_batch` returns it.
        """
        for _ in range(n_batches):
            yield self.next_batch()


_CONCEPT_DRIFTS = ("abrupt", "gradual")


def _check_concept_drift(
    concept_drift: str | None,
    drift_position: int | None,
    drift_width: float | None,
    new_weights: ArrayLike | None,
    new_bias: float | None,
) -> tuple[str | None, int | None, float | None]:
    """(concept_drift, drift_position, drift_width) checked: the kind's name, an int, a float or None."""
    if concept_drift is None:
        given = [
            name
            for name, value in [
                ("drift_position", drift_position),
                ("drift_width", drift_width),
                ("new_weights", new_weights),
                ("new_bias", new_bias),
            ]
            if value is not None
        ]
        if given:
            raise ValueError(
                f"{', '.join(given)} describe a concept drift, but concept_drift is None; "
                f"give concept_drift='abrupt' or 'gradual'"
            )
        return None, None, None
    kind = check_choice("concept_drift", concept_drift, _CONCEPT_DRIFTS)
    if drift_position is None:
        raise ValueError(f"concept_drift={kind!r} needs drift_position, the row at which the new concept takes over")
    position = check_integer("drift_position", drift_position, low=0)
    if kind == "abrupt":
        if drift_width is not None:
            raise ValueError(
                f"drift_width is the width of a gradual drift; concept_drift='abrupt' has none, "
                f"got drift_width={drift_width!r}"
            )
        return kind, position, None
    if drift_width is None:
        raise ValueError("concept_drift='gradual' needs drift_width, the number of rows over which it moves")
    return kind, position, check_positive("drift_width", drift_width)


def make_random_walk_prices(
    n_days: int = 1000,
    *,
    start: float = 100.0,
    drift: float = 0.0003,
    volatility: float = 0.01,
    random_state: int | np.random.RandomState | None = None,
) -> pd.Series:
    """Daily closing prices of a geometric random walk (log returns N(drift, volatility^2)).

    On such prices no feature predicts tomorrow's direction: a useful control.

    Parameters
    ----------
    n_days : int
        The number of days.
    start : float
        The price before the first day.
    drift : float
        The mean daily log return.
    volatility : float
        The standard deviation of the daily log return.
    random_state : int, RandomState or None
        The seed.

    Returns
    -------
    Series
        The prices, named ``close``, indexed by business day from 2020-01-01.

    Examples
    --------
    >>> from descend.datasets import make_random_walk_prices
    >>> make_random_walk_prices(3, random_state=0).round(2)
    2020-01-01    101.81
    2020-01-02    102.25
    2020-01-03    103.29
    Freq: B, Name: close, dtype: float64
    """
    rng = check_random_state(random_state)
    log_returns = drift + volatility * rng.standard_normal(n_days)
    prices = start * np.exp(np.cumsum(log_returns))
    return pd.Series(prices, index=pd.bdate_range("2020-01-01", periods=n_days), name="close")
