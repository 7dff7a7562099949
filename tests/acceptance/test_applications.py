"""The applications on real data reproduce ISLR's published figures; the data helpers."""

import numpy as np
import pandas as pd
import pytest
from rich.console import Console

from descend import GDRegressor, demos
from descend.datasets import (
    StreamingDataSimulator,
    load_housing,
    load_smarket,
    make_linear,
    make_random_walk_prices,
)
from descend.features import technical_features


def quiet():
    return Console(file=open("/dev/null", "w"))


def test_shipped_data_sets():
    housing = load_housing()
    assert housing.frame.shape == (506, 13) and housing.target_name == "medv"
    assert len(housing.feature_names) == 12 and "medv" not in housing.feature_names
    smarket = load_smarket()
    assert smarket.frame.shape == (1250, 9)
    assert "Today" not in smarket.feature_names  # the day's own return decides the target
    assert set(smarket.target) == {"Up", "Down"}
    assert "ISLP" in housing.DESCR


def test_housing_demo_reproduces_islr(tmp_path):
    plot = tmp_path / "loss.png"
    results = demos.housing(console=quiet(), plot=str(plot))
    assert round(results["lstat_intercept"], 2) == 34.55
    assert round(results["lstat_slope"], 3) == -0.950
    assert round(results["all_r2"], 3) == 0.734
    ours, exact = results["descend"], results["closed form"]
    for key in ("mse", "rmse", "r2"):  # gradient descent and the closed form agree to 4 significant digits
        assert f"{ours[key]:.4g}" == f"{exact[key]:.4g}"
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_stocks_demo_reproduces_islr():
    results = demos.stocks(console=quiet())
    assert round(results["islr_accuracy"], 2) == 0.56
    np.testing.assert_allclose(results["islr_coef"], [-0.05562, -0.04449], atol=1e-4)  # glm's coefficients
    assert results["islr_intercept"] == pytest.approx(0.03222, abs=1e-4)
    assert results["always_up_2005"] == pytest.approx(141 / 252)
    assert sum(map(sum, results["confusion"])) == 252
    assert abs(results["features_accuracy"] - results["baseline_accuracy"]) < 0.1


def test_technical_features_never_look_ahead():
    returns = pd.Series(np.random.default_rng(0).standard_normal(300))
    features = technical_features(returns, lags=5, window=5)
    changed = returns.copy()
    changed.iloc[200:] += 100.0  # rewrite the future from day 200 on
    features_changed = technical_features(changed, lags=5, window=5)
    pd.testing.assert_frame_equal(features.iloc[:201], features_changed.iloc[:201])  # day 200 saw only the past
    assert not features.iloc[201:].equals(features_changed.iloc[201:])
    assert features.iloc[:6].isna().all().all() and features.iloc[6:].notna().all().all()
    assert features["lag_1"].iloc[10] == returns.iloc[9]
    assert features["ma"].iloc[10] == pytest.approx(returns.iloc[5:10].mean())
    expected_roc = 100 * (np.prod(1 + returns.iloc[5:10] / 100) - 1)
    assert features["roc"].iloc[10] == pytest.approx(expected_roc)


def test_generators():
    X, y, weights, bias = make_linear(500, 3, weights=[1.0, -2.0, 0.5], bias=3.0, noise=0.01, random_state=0)
    model = GDRegressor(penalty=None, tol=1e-10).fit(X, y)
    np.testing.assert_allclose(model.coef_, weights, atol=0.01)
    stream = StreamingDataSimulator(4, weights=[1.0, 2.0, 3.0, 4.0], batch_size=16, random_state=1)
    batches = list(stream.batches(3))
    assert len(batches) == 3 and batches[0][0].shape == (16, 4)
    prices = make_random_walk_prices(250, random_state=0)
    assert len(prices) == 250 and (prices > 0).all()
    again = make_random_walk_prices(250, random_state=0)
    pd.testing.assert_series_equal(prices, again)
