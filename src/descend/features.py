"""Technical features of a return series, computed with no look-ahead.

Every feature of day t uses returns up to day t - 1 only: the series is
shifted by one day before any window is taken, so the row of day t could
have been computed on the evening of day t - 1.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

__all__ = ["technical_features"]


def technical_features(returns, *, lags: int = 5, window: int = 5) -> pd.DataFrame:
    """Lagged returns, moving average, volatility and rate of change.

    Parameters
    ----------
    returns : Series of daily returns in percent (like Smarket's ``Today``).
    lags : how many previous days' returns, as ``lag_1`` .. ``lag_<lags>``.
    window : days in the moving average ``ma``, the volatility ``vol``
        (standard deviation) and the rate of change ``roc`` (the percent
        change of the price index over the window).

    The first ``max(lags, window + 1)`` rows have missing values (not enough
    history) and should be dropped.
    """
    returns = pd.Series(returns, dtype=float).reset_index(drop=True)
    past = returns.shift(1)  # what was known at the close of the day before
    features = {f"lag_{k}": returns.shift(k) for k in range(1, lags + 1)}
    features["ma"] = past.rolling(window).mean()
    features["vol"] = past.rolling(window).std()
    index = np.cumprod(1.0 + past.fillna(0.0) / 100.0)
    features["roc"] = 100.0 * (index / index.shift(window) - 1.0)
    frame = pd.DataFrame(features)
    frame.iloc[: max(lags, window + 1)] = np.nan
    return frame
