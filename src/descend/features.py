"""Technical features of a return series, computed with no look-ahead.

Every feature of day t uses returns up to day t - 1 only: the series is
shifted by one day before any window is taken, so the row of day t could
have been computed on the evening of day t - 1.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from ._typing import ArrayLike

__all__ = ["technical_features"]


def technical_features(returns: pd.Series | ArrayLike, *, lags: int = 5, window: int = 5) -> pd.DataFrame:
    """Lagged returns, moving average, volatility and rate of change.

    Parameters
    ----------
    returns : Series or array-like
        Daily returns in percent (like Smarket's ``Today``).
    lags : int
        How many previous days' returns, as ``lag_1`` .. ``lag_<lags>``.
    window : int
        Days in the moving average ``ma``, the volatility ``vol``
        (standard deviation) and the rate of change ``roc`` (the percent
        change of the price index over the window).

    Returns
    -------
    DataFrame
        One row per day (a fresh 0, 1, ... index), the columns ``lag_1`` ..
        ``lag_<lags>``, ``ma``, ``vol``, ``roc``. The first
        ``max(lags, window + 1)`` rows have missing values (not enough
        history) and should be dropped.

    Examples
    --------
    >>> from descend.features import technical_features
    >>> features = technical_features([1.0, -0.5, 0.2, 0.4, -1.0, 0.3], lags=2, window=2)
    >>> features.dropna().round(3)  # day t sees the returns up to day t - 1
       lag_1  lag_2    ma    vol    roc
    3    0.2   -0.5 -0.15  0.495 -0.301
    4    0.4    0.2  0.30  0.141  0.601
    5   -1.0    0.4 -0.30  0.990 -0.604
    """
    returns = pd.Series(returns, dtype=float).reset_index(drop=True)
    past = returns.shift(1)  # what was known at the close of the day before
    features = {f"lag_{k}": returns.shift(k) for k in range(1, lags + 1)}
    features["ma"] = past.rolling(window).mean()
    features["vol"] = past.rolling(window).std()
    index: pd.Series = np.cumprod(1.0 + past.fillna(0.0) / 100.0)  # a Series: NumPy dispatches to its cumprod
    features["roc"] = 100.0 * (index / index.shift(window) - 1.0)
    frame = pd.DataFrame(features)
    frame.iloc[: max(lags, window + 1)] = np.nan
    return frame
