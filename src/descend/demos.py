"""The applications on real data, as ``descend demo housing``, ``stocks`` and ``bikes`` run them.

Each function prints its report (to a rich console) and returns the figures
it measured, so the tests can check them against the published ones.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from sklearn.metrics import confusion_matrix, mean_pinball_loss, mean_poisson_deviance, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

from .datasets import BIKESHARE_LEVELS, load_bikeshare, load_housing, load_smarket
from .features import technical_features
from .linear import GDClassifier, GDRegressor

if TYPE_CHECKING:
    from typing import Any, TypeVar

    from ._typing import ArrayLike, FloatArray, Matrix

    _Estimator = TypeVar("_Estimator", GDRegressor, GDClassifier)

__all__ = ["housing", "stocks", "bikes", "bike_design", "BIKES_ISLR"]


def _converged(estimator: _Estimator, X: Matrix, y: ArrayLike, tol: float = 1e-8) -> _Estimator:
    """Fit to the exact solution: the gradient at ``tol`` of its start, enough epochs, no warning expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return estimator.set_params(tol=tol, max_iter=20_000).fit(X, y)


def _least_squares(X: ArrayLike, y: ArrayLike, alpha: float = 0.0) -> tuple[FloatArray, float]:
    """Closed form of 1/(2n) |y - Xw - b|^2 + alpha/2 |w|^2: centre, then solve the normal equations."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    n = len(y)
    w = np.linalg.solve(Xc.T @ Xc / n + alpha * np.eye(X.shape[1]), Xc.T @ yc / n)
    return w, y_mean - x_mean @ w


def housing(console: Console | None = None, plot: str | None = None) -> dict[str, Any]:
    """House prices on Boston: ISLR's least-squares figures, then a ridge fit judged on held-out data.

    Parameters
    ----------
    console : rich.console.Console, optional
        Where the report is printed; a new console on the terminal by default.
    plot : str, optional
        A file to write the ridge fit's loss curve to.

    Returns
    -------
    dict
        The figures measured, ``lstat_intercept``, ``lstat_slope``, ``all_r2`` (ISLR's section 3.6), and
        ``"descend"`` and ``"closed form"``, each ``{"mse", "rmse", "r2"}`` of the ridge fit on the test
        suburbs.

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> from descend.demos import housing
    >>> results = housing(Console(file=io.StringIO()))  # the report, not printed here
    >>> round(results["lstat_intercept"], 2), round(results["lstat_slope"], 3), round(results["all_r2"], 3)
    (34.55, -0.95, 0.734)
    """
    console = console or Console()
    data = load_housing()
    X, y = data.data, data.target
    console.print("[bold]House prices: Boston, 506 suburbs, target medv (median value, $1000s)[/]")

    simple = _converged(GDRegressor(penalty=None), X[["lstat"]], y)
    full = _converged(GDRegressor(penalty=None), X, y)
    w_exact, b_exact = _least_squares(X[["lstat"]], y)
    results: dict[str, Any] = {
        "lstat_intercept": float(simple.intercept_[0]),
        "lstat_slope": float(simple.coef_[0]),
        "all_r2": float(full.score(X, y)),
    }
    table = Table(title="ISLR (2nd ed.), section 3.6: least squares on the full data")
    for column in ("model", "figure", "descend", "closed form", "ISLR"):
        table.add_column(column)
    table.add_row("medv ~ lstat", "intercept", f"{results['lstat_intercept']:.4f}", f"{b_exact:.4f}", "34.55")
    table.add_row("medv ~ lstat", "slope", f"{results['lstat_slope']:.4f}", f"{w_exact[0]:.4f}", "-0.950")
    w_all, b_all = _least_squares(X, y)
    table.add_row(
        "medv ~ all 12", "R^2", f"{results['all_r2']:.4f}", f"{r2_score(y, X.to_numpy() @ w_all + b_all):.4f}", "0.734"
    )
    console.print(table)

    # A model judged on data it has not seen: 80/20 split, L2 penalty. The
    # estimator standardizes the features internally (a change of variables
    # for the optimizer; the coefficients come back in the original units).
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.2, random_state=0)
    alpha = 0.01
    ridge = _converged(GDRegressor(penalty="l2", alpha=alpha), X_train, y_train)
    w_ridge, b_ridge = _least_squares(X_train, y_train, alpha)
    ours = ridge.predict(X_test)
    exact = X_test.to_numpy() @ w_ridge + b_ridge
    for name, prediction in (("descend", ours), ("closed form", exact)):
        mse = mean_squared_error(y_test, prediction)
        results[name] = {"mse": mse, "rmse": float(np.sqrt(mse)), "r2": r2_score(y_test, prediction)}
    table = Table(title=f"Ridge (alpha={alpha}), trained on {len(y_train)} suburbs, tested on the other {len(y_test)}")
    for column in ("", "MSE", "RMSE ($1000s)", "R^2"):
        table.add_column(column)
    for name in ("descend", "closed form"):
        m = results[name]
        table.add_row(name, f"{m['mse']:.5g}", f"{m['rmse']:.5g}", f"{m['r2']:.5g}")
    console.print(table)
    losses = ridge.history_["loss"]
    console.print(
        f"Full-batch gradient descent at lr = 1/L = {ridge.learning_rate_:.3g}: the training loss fell "
        f"from {losses[0]:.4g} to {losses[-1]:.6g} in {ridge.n_iter_} epochs."
    )
    if plot:
        from .plot import loss_curve

        loss_curve(ridge, title="Boston ridge: training loss", path=plot)
        console.print(f"Loss curve written to {plot}")
    return results


def stocks(console: Console | None = None, plot: str | None = None) -> dict[str, Any]:
    """Stock direction on Smarket: ISLR's logistic regression, then technical features, honestly judged.

    Parameters
    ----------
    console : rich.console.Console, optional
        Where the report is printed; a new console on the terminal by default.
    plot : str, optional
        A file to write the technical-feature model's loss curve to.

    Returns
    -------
    dict
        The figures measured, ``islr_accuracy``, ``always_up_2005``, ``islr_coef``, ``islr_intercept``
        (ISLR's section 4.7), ``features_accuracy``, ``baseline_accuracy`` and ``confusion`` (rows:
        actual Down, Up; columns: predicted).

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> from descend.demos import stocks
    >>> results = stocks(Console(file=io.StringIO()))
    >>> round(results["islr_accuracy"], 2), round(results["features_accuracy"], 3), results["confusion"]
    (0.56, 0.575, [[19, 92], [15, 126]])
    """
    console = console or Console()
    frame = load_smarket().frame
    console.print("[bold]Stock direction: S&P 500, 1250 days 2001-2005, target Direction (Up/Down)[/]")
    results = _islr_direction(frame, console)
    model, found = _technical_direction(frame, console)
    results.update(found)
    if plot:
        from .plot import loss_curve

        loss_curve(model, title="Smarket technical features: training loss", path=plot)
        console.print(f"Loss curve written to {plot}")
    return results


def _islr_direction(frame: pd.DataFrame, console: Console) -> dict[str, Any]:
    """ISLR's logistic regression Direction ~ Lag1 + Lag2, fitted on 2001-2004 and judged on 2005."""
    train, test = frame["Year"] < 2005, frame["Year"] == 2005
    y = frame["Direction"]
    islr = _converged(GDClassifier(penalty=None), frame.loc[train, ["Lag1", "Lag2"]], y[train])
    accuracy = islr.score(frame.loc[test, ["Lag1", "Lag2"]], y[test])
    always_up = float((y[test] == "Up").mean())
    console.print(
        f"ISLR (2nd ed.), section 4.7: logistic regression Direction ~ Lag1 + Lag2, fitted on 2001-2004, "
        f"predicts 2005 with accuracy [bold]{accuracy:.3f}[/] (ISLR: 0.56). Saying 'Up' every day scores "
        f"{always_up:.3f} in 2005. So the model is barely above chance, and no better than that trivial rule: "
        "yesterday's returns say almost nothing about today's."
    )
    return {
        "islr_accuracy": float(accuracy),
        "always_up_2005": always_up,
        "islr_coef": islr.coef_.ravel().tolist(),
        "islr_intercept": float(islr.intercept_[0]),
    }


def _technical_direction(frame: pd.DataFrame, console: Console) -> tuple[GDClassifier, dict[str, Any]]:
    """Technical features of past returns only (no look-ahead), split by time: (the model, its figures)."""
    features = technical_features(frame["Today"], lags=5, window=5)
    usable = features.notna().all(axis=1)
    X = features[usable]
    target = frame["Direction"][usable]
    years = frame.loc[usable, "Year"]
    X_train, X_test = X[years < 2005], X[years == 2005]
    y_train, y_test = target[years < 2005], target[years == 2005]
    model = GDClassifier(penalty="l2", alpha=0.01, random_state=0)
    model = _converged(model, X_train, y_train)
    predicted = model.predict(X_test)
    majority = y_train.value_counts().idxmax()
    results: dict[str, Any] = {
        "features_accuracy": float((predicted == y_test).mean()),
        "baseline_accuracy": float((y_test == majority).mean()),
    }
    matrix = confusion_matrix(y_test, predicted, labels=["Down", "Up"])
    results["confusion"] = matrix.tolist()
    table = Table(
        title="Technical features (lags 1-5, 5-day mean, volatility, rate of change); train 2001-2004, test 2005"
    )
    table.add_column("")
    table.add_column("predicted Down")
    table.add_column("predicted Up")
    for label, row in zip(["actual Down", "actual Up"], matrix, strict=True):
        table.add_row(label, *map(str, row))
    console.print(table)
    gain = results["features_accuracy"] - results["baseline_accuracy"]
    standard_error = float(np.sqrt(results["baseline_accuracy"] * (1 - results["baseline_accuracy"]) / len(y_test)))
    verdict = (
        "within two standard errors of it: chance, not skill"
        if abs(gain) < 2 * standard_error
        else "beyond two standard errors of it"
    )
    console.print(
        f"Accuracy {results['features_accuracy']:.3f} against {results['baseline_accuracy']:.3f} for always "
        f"predicting the training period's majority ('{majority}'), {gain:+.3f}: {verdict} "
        f"(one standard error on {len(y_test)} days is {standard_error:.3f})."
    )
    return model, results


#: ISLR (2nd ed.), section 4.6: the Poisson regression's coefficients, to the digits printed.
BIKES_ISLR = {
    "workingday": 0.0147,
    "temp": 0.7853,
    "weathersit[cloudy/misty]": -0.0752,
    "weathersit[light rain/snow]": -0.5758,
    "weathersit[heavy rain/snow]": -0.9263,
}


def bike_design(data: pd.DataFrame) -> pd.DataFrame:
    """ISLR's design for ``bikers ~ mnth + hr + workingday + temp + weathersit``, 39 columns.

    ``data`` as :func:`descend.datasets.load_bikeshare` gives it. mnth, hr and
    weathersit one-hot, each without its first level (January, hour 0, clear),
    which the intercept stands for. The columns, in the formula's order:
    ``mnth[Feb]`` .. ``mnth[Dec]``, ``hr[1]`` .. ``hr[23]``, ``workingday``,
    ``temp``, ``weathersit[cloudy/misty]`` .. ``weathersit[heavy rain/snow]``.

    Parameters
    ----------
    data : DataFrame
        The predictors, as ``load_bikeshare().data``.

    Returns
    -------
    DataFrame
        The 39 columns, floats, on ``data``'s index.

    Examples
    --------
    >>> from descend.datasets import load_bikeshare
    >>> from descend.demos import bike_design
    >>> X = bike_design(load_bikeshare().data)
    >>> X.shape, list(X.columns[:2]), list(X.columns[-2:])
    ((8645, 39), ['mnth[Feb]', 'mnth[March]'], ['weathersit[light rain/snow]', 'weathersit[heavy rain/snow]'])
    """
    columns = {}
    for name in ("mnth", "hr"):
        for level in BIKESHARE_LEVELS[name][1:]:
            columns[f"{name}[{level}]"] = (data[name] == level).astype(float)
    columns["workingday"] = data["workingday"].astype(float)
    columns["temp"] = data["temp"].astype(float)
    for level in BIKESHARE_LEVELS["weathersit"][1:]:
        columns[f"weathersit[{level}]"] = (data["weathersit"] == level).astype(float)
    return pd.DataFrame(columns, index=data.index)


def _level_effects(coefficients: pd.Series, name: str) -> pd.Series:
    """The effect of each level of ``name`` in sum coding: its treatment coefficient (0 for the
    reference level) less their mean, so that the effects add up to 0 (ISLR's figure 4.15)."""
    levels = BIKESHARE_LEVELS[name]
    treatment = np.array([0.0] + [coefficients[f"{name}[{level}]"] for level in levels[1:]])
    return pd.Series(treatment - treatment.mean(), index=levels)


def bikes(console: Console | None = None, plot: str | None = None) -> dict[str, Any]:
    """Bike rentals by the hour: ISLR's Poisson regression, then an 80% prediction interval from two quantile fits.

    Parameters
    ----------
    console : rich.console.Console, optional
        Where the report is printed; a new console on the terminal by default.
    plot : str, optional
        A file to write the monthly and hourly effects (:func:`descend.plot.effects`) to.

    Returns
    -------
    dict
        The figures measured, among them ``coef`` (the coefficients of :data:`BIKES_ISLR`), ``d2``,
        ``month_effects``, ``hour_effects``, and ``interval``: the two quantile fits against HiGHS, and
        the interval's ``coverage``, ``width``, ``below`` and ``above`` on held-out hours.

    Examples
    --------
    Three seconds of fits, so not run with the other examples (the output is a real run's):

    >>> import io
    >>> from rich.console import Console
    >>> from descend.demos import bikes
    >>> results = bikes(Console(file=io.StringIO()))  # doctest: +SKIP
    >>> {name: round(value, 4) for name, value in results["coef"].items()}  # doctest: +SKIP
    {'workingday': 0.0147, 'temp': 0.7853, 'weathersit[cloudy/misty]': -0.0752, 'weathersit[light rain/snow]': -0.5758, 'weathersit[heavy rain/snow]': -0.9263}
    >>> round(results["interval"]["descend"]["coverage"], 3)  # doctest: +SKIP
    0.785
    """
    console = console or Console()
    data = load_bikeshare()
    X, y = bike_design(data.data), data.target.to_numpy(dtype=float)
    console.print(
        "[bold]Bike rentals: Washington DC bike share, 8,645 hours of 2011, target bikers (rentals in the hour)[/]"
    )
    results = _bikes_poisson(console, X, y)
    results["interval"] = _bikes_interval(console, X, y)
    if plot:
        from .plot import effects

        effects(
            {"month": pd.Series(results["month_effects"]), "hour of the day": pd.Series(results["hour_effects"])},
            title="Bikeshare, Poisson regression: effect of the month and of the hour (log scale)",
            path=plot,
        )
        console.print(f"Monthly and hourly effects written to {plot}")
    return results


def _bikes_poisson(console: Console, X: pd.DataFrame, y: FloatArray) -> dict[str, Any]:
    """ISLR's Poisson regression on all the hours, against Newton's method and the published coefficients."""
    from sklearn.linear_model import PoissonRegressor
    from threadpoolctl import threadpool_limits

    # Poisson regression with its log link, unpenalized as a GLM is, fitted to the optimum: the
    # gradient at 1e-10 of its start (with standardized one-hot columns that takes a few hundred
    # epochs). The heavy-rain coefficient rests on a single hour, whose own gradient is 1/8645 of
    # the others': solvers that stop on a small gradient, like scikit-learn's default L-BFGS,
    # leave it in its fourth decimal (-0.9265). Newton's method does not.
    model = _converged(GDRegressor(loss="poisson", penalty=None), X, y, tol=1e-10)
    coefficients = pd.Series(model.coef_, index=X.columns)
    with threadpool_limits(1):  # 39 columns: on a busy machine, threads would only wait for each other
        exact = PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-12, max_iter=100).fit(X, y)
    deviance = float(mean_poisson_deviance(y, model.predict(X)))
    null_deviance = float(mean_poisson_deviance(y, np.full_like(y, y.mean())))
    results = {
        "coef": {name: float(coefficients[name]) for name in BIKES_ISLR},
        "all_coef": model.coef_.tolist(),
        "intercept": float(model.intercept_[0]),
        "feature_names": list(X.columns),
        "n_iter": int(model.n_iter_),
        "max_difference_to_newton": float(
            max(np.max(np.abs(model.coef_ - exact.coef_)), abs(model.intercept_[0] - exact.intercept_))
        ),
        "mean_deviance": deviance,
        "deviance": deviance * len(y),
        "null_deviance": null_deviance * len(y),
        "d2": float(model.score(X, y)),
        "month_effects": _level_effects(coefficients, "mnth").to_dict(),
        "hour_effects": _level_effects(coefficients, "hr").to_dict(),
    }
    table = Table(
        title="ISLR (2nd ed.), section 4.6: Poisson regression bikers ~ mnth + hr + workingday + temp "
        "+ weathersit on all 8,645 hours (weathersit against clear)"
    )
    for column in ("coefficient", "descend", "Newton", "ISLR"):
        table.add_column(column, justify="left" if column == "coefficient" else "right")
    for name, published in BIKES_ISLR.items():
        table.add_row(
            escape(name), f"{coefficients[name]:.4f}", f"{exact.coef_[X.columns.get_loc(name)]:.4f}", f"{published:.4f}"
        )
    console.print(table)
    console.print(
        f"Full-batch gradient descent, {model.n_iter_} epochs; every coefficient within "
        f"{results['max_difference_to_newton']:.1e} of Newton's method (scikit-learn's PoissonRegressor, "
        f"solver='newton-cholesky', tol 1e-12). "
        f"Deviance {results['deviance']:,.0f} against {results['null_deviance']:,.0f} for the mean alone "
        f"(mean Poisson deviance {deviance:.2f} against {null_deviance:.2f}): D^2 = [bold]{results['d2']:.4f}[/]. "
        f"exp(coefficient) multiplies the expected count: a warmer hour (temp +0.1) "
        f"{np.exp(0.1 * coefficients['temp']):.3f} times the rentals, light rain "
        f"{np.exp(coefficients['weathersit[light rain/snow]']):.3f} times."
    )
    months, hours = pd.Series(results["month_effects"]), pd.Series(results["hour_effects"])
    table = Table(title="Fitted effects (log scale, sum coding: each the deviation from the average month or hour)")
    for column in ("month", "effect", "hour", "effect", "hour", "effect"):
        table.add_column(column, justify="right")
    for i in range(12):
        table.add_row(
            months.index[i],
            f"{months.iloc[i]:+.3f}",
            str(i),
            f"{hours.iloc[i]:+.3f}",
            str(i + 12),
            f"{hours.iloc[i + 12]:+.3f}",
        )
    console.print(table)
    console.print(
        f"Other things equal, {months.idxmin()} has the fewest rentals and {months.idxmax()} the most "
        f"({np.exp(months.max() - months.min()):.1f} times as many); {hours.idxmin()}:00 the fewest of the day and "
        f"the rush hours the most: {hours.iloc[:12].idxmax()}:00 and {hours.idxmax()}:00 "
        f"({np.exp(hours.max() - hours.min()):.0f} times {hours.idxmin()}:00)."
    )
    return results


def _bikes_interval(console: Console, X: pd.DataFrame, y: FloatArray) -> dict[float | str, dict[str, Any]]:
    """An 80% prediction interval from the 0.1 and 0.9 quantile fits, judged on held-out hours.

    The same 39 columns, pinball-loss fits on 75% of the hours, coverage on the other 25%. The
    pinball loss is not smooth: the default full-batch fit minimizes its Moreau envelope, the
    smoothing shrunk tenfold stage by stage, until the rows the smoothed fit puts on the kinks give
    the exact minimizer (descend.linear._kinks); each fit is held against the exact minimum, a
    linear program (HiGHS), on the training hours. These one-hot columns and tied counts make the
    linear program degenerate (more rows on the kinks than weights, many optimal vertices).
    """
    from sklearn.linear_model import QuantileRegressor

    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.25, random_state=0)
    bounds: dict[float, FloatArray]
    reference: dict[float, FloatArray]
    interval: dict[float | str, dict[str, Any]]
    bounds, reference, interval = {}, {}, {}
    for q in (0.1, 0.9):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            quantile = GDRegressor(loss="quantile", quantile=q, penalty=None).fit(X_train, y_train)
        # The interior-point method of HiGHS, with its crossover to a vertex: the same minimum as its
        # simplex (solver="highs"), to every digit printed, in a quarter of the time (the quantile
        # lines may differ: this linear program has more than one optimal vertex).
        lp = QuantileRegressor(quantile=q, alpha=0.0, solver="highs-ipm").fit(X_train, y_train)
        ours, best = (mean_pinball_loss(y_train, m.predict(X_train), alpha=q) for m in (quantile, lp))
        bounds[q], reference[q] = quantile.predict(X_test), lp.predict(X_test)
        interval[q] = {
            "objective": float(ours),
            "highs_objective": float(best),
            "relative_gap": float(ours / best - 1),
            "n_iter": int(quantile.n_iter_),
            "warnings": [str(w.message) for w in caught],
        }
    for name, (low, high) in (("descend", (bounds[0.1], bounds[0.9])), ("HiGHS", (reference[0.1], reference[0.9]))):
        inside = (y_test >= low) & (y_test <= high)
        interval[name] = {
            "coverage": float(inside.mean()),
            "width": float(np.mean(high - low)),
            "below": float(np.mean(y_test < low)),
            "above": float(np.mean(y_test > high)),
        }
    table = Table(
        title=f"80% prediction interval from the 0.1 and 0.9 quantile fits: trained on {len(y_train):,} "
        f"hours, tested on the other {len(y_test):,}"
    )
    for column in ("", "loss q=0.1", "loss q=0.9", "coverage", "below", "above", "width"):
        table.add_column(column, justify="left" if not column else "right")
    for name, objective in (("descend", "objective"), ("HiGHS", "highs_objective")):
        m = interval[name]
        table.add_row(
            name,
            f"{interval[0.1][objective]:.4f}",
            f"{interval[0.9][objective]:.4f}",
            f"{m['coverage']:.3f}",
            f"{m['below']:.3f}",
            f"{m['above']:.3f}",
            f"{m['width']:.1f}",
        )
    console.print(table)
    ours = interval["descend"]
    console.print(
        f"Loss: the mean pinball loss on the training hours; descend's fits are full-batch gradient descent "
        f"on the smoothed loss ({interval[0.1]['n_iter']} and {interval[0.9]['n_iter']} epochs), then the exact minimizer "
        f"from the hours it puts on the kinks; HiGHS is scikit-learn's "
        f"QuantileRegressor, the exact linear program: descend's objective is {interval[0.1]['relative_gap']:.1e} "
        f"(q=0.1) and {interval[0.9]['relative_gap']:.1e} (q=0.9) above its minimum, relatively. On the held-out "
        f"hours [bold]{ours['coverage']:.1%}[/] of the counts fall inside descend's interval (80% intended; below "
        f"it {ours['below']:.1%}, above it {ours['above']:.1%}), {ours['width']:.0f} rentals wide on average."
    )
    for q in (0.1, 0.9):
        for message in interval[q]["warnings"]:
            console.print(f"[yellow]q={q}: {escape(message)}[/]")
    return interval
