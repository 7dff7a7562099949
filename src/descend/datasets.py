"""Data sets: four real ones shipped with the package, and synthetic generators.

``load_housing``, ``load_smarket``, ``load_default`` and ``load_bikeshare`` read CSV files inside the package (from
the ISLP package of *An Introduction to Statistical Learning*, BSD-style
licence; see ``descend/data/README.md``). Nothing is downloaded.
"""

from __future__ import annotations

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch, check_random_state

__all__ = ["load_housing", "load_smarket", "load_default", "load_bikeshare", "BIKESHARE_LEVELS", "make_linear",
           "StreamingDataSimulator", "make_random_walk_prices"]

ATTRIBUTION = (
    "From the ISLP package, the Python labs of 'An Introduction to Statistical Learning' "
    "(James, Witten, Hastie, Tibshirani, Taylor), BSD-style licence."
)


def _read(name: str) -> pd.DataFrame:
    with resources.files("descend").joinpath("data", name).open("rb") as handle:
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
    return Bunch(frame=frame, data=frame[features], target=frame["medv"], feature_names=features,
                 target_name="medv", DESCR="Boston housing, 506 rows. " + ATTRIBUTION)


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
    return Bunch(frame=frame, data=frame[features], target=frame["Direction"], feature_names=features,
                 target_name="Direction", DESCR="S&P 500 daily returns 2001-2005. " + ATTRIBUTION)


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
    return Bunch(frame=frame, data=data, target=frame["default"], feature_names=features, target_name="default",
                 DESCR="Credit card default, 10,000 customers. " + ATTRIBUTION)


#: The levels of Bikeshare's categorical columns, in their natural order; the first is the
#: reference level of a treatment coding (ISLR's: January, midnight, clear weather).
BIKESHARE_LEVELS = {
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
    return Bunch(frame=frame, data=data, target=frame["bikers"], feature_names=features, target_name="bikers",
                 DESCR="Washington DC bike share, hourly, 2011: 8,645 hours. " + ATTRIBUTION)


def make_linear(n_samples=1000, n_features=3, *, weights=None, bias=0.0, noise=0.1, random_state=None):
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
    random_state : int, Generator, RandomState or None
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
    """Batches of (X, y) from one fixed linear model, for online learning with ``partial_fit``.

    Each call of :meth:`next_batch` (or each step of :meth:`batches`) draws fresh
    samples; ``drift`` > 0 moves the true weights after every batch by ``drift`` times
    a standard normal step in each coordinate, to simulate a changing world.

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
    random_state : int, Generator, RandomState or None
        The seed.

    Raises
    ------
    ValueError
        For ``batch_size`` < 1.

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
    """

    def __init__(self, n_features=3, *, weights=None, bias=0.0, noise=0.1, batch_size=32, drift=0.0,
                 random_state=None):
        self._rng = check_random_state(random_state)
        self.weights = (self._rng.standard_normal(n_features) if weights is None
                        else np.array(weights, dtype=float))
        self.bias = float(bias)
        self.noise = float(noise)
        self.batch_size = int(batch_size)
        self.drift = float(drift)
        if self.batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")

    def next_batch(self):
        """One batch of fresh samples, then the drift's step.

        Returns
        -------
        X : ndarray of shape (batch_size, n_features)
            The features, drawn from N(0, 1).
        y : ndarray of shape (batch_size,)
            ``X @ weights + bias`` plus noise.
        """
        X = self._rng.standard_normal((self.batch_size, len(self.weights)))
        y = X @ self.weights + self.bias + self.noise * self._rng.standard_normal(self.batch_size)
        if self.drift:
            self.weights = self.weights + self.drift * self._rng.standard_normal(len(self.weights))
        return X, y

    def batches(self, n_batches):
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


def make_random_walk_prices(n_days=1000, *, start=100.0, drift=0.0003, volatility=0.01, random_state=None):
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
    random_state : int, Generator, RandomState or None
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
