"""The two applications on real data, as ``descend demo housing`` and ``descend demo stocks`` run them.

Each function prints its report (to a rich console) and returns the figures
it measured, so the tests can check them against the published ones.
"""

from __future__ import annotations

import warnings

import numpy as np
from rich.console import Console
from rich.table import Table
from sklearn.metrics import confusion_matrix, mean_squared_error, r2_score
from sklearn.model_selection import train_test_split

from .datasets import load_housing, load_smarket
from .features import technical_features
from .linear import GDClassifier, GDRegressor

__all__ = ["housing", "stocks"]


def _converged(estimator, X, y):
    """Fit to the exact solution: the gradient at 1e-8 of its start, enough epochs, no warning expected."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        return estimator.set_params(tol=1e-8, max_iter=20_000).fit(X, y)


def _least_squares(X, y, alpha=0.0):
    """Closed form of 1/(2n) |y - Xw - b|^2 + alpha/2 |w|^2: centre, then solve the normal equations."""
    X, y = np.asarray(X, dtype=float), np.asarray(y, dtype=float)
    x_mean, y_mean = X.mean(axis=0), y.mean()
    Xc, yc = X - x_mean, y - y_mean
    n = len(y)
    w = np.linalg.solve(Xc.T @ Xc / n + alpha * np.eye(X.shape[1]), Xc.T @ yc / n)
    return w, y_mean - x_mean @ w


def housing(console: Console | None = None, plot: str | None = None) -> dict:
    """House prices on Boston: ISLR's least-squares figures, then a ridge fit judged on held-out data."""
    console = console or Console()
    data = load_housing()
    X, y = data.data, data.target
    console.print("[bold]House prices: Boston, 506 suburbs, target medv (median value, $1000s)[/]")

    simple = _converged(GDRegressor(penalty=None), X[["lstat"]], y)
    full = _converged(GDRegressor(penalty=None), X, y)
    w_exact, b_exact = _least_squares(X[["lstat"]], y)
    results = {
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
    table.add_row("medv ~ all 12", "R^2", f"{results['all_r2']:.4f}",
                  f"{r2_score(y, X.to_numpy() @ w_all + b_all):.4f}", "0.734")
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
    console.print(f"Full-batch gradient descent at lr = 1/L = {ridge.learning_rate_:.3g}: the training loss fell "
                  f"from {losses[0]:.4g} to {losses[-1]:.6g} in {ridge.n_iter_} epochs.")
    if plot:
        from .plot import loss_curve

        loss_curve(ridge, title="Boston ridge: training loss", path=plot)
        console.print(f"Loss curve written to {plot}")
    return results


def stocks(console: Console | None = None, plot: str | None = None) -> dict:
    """Stock direction on Smarket: ISLR's logistic regression, then technical features, honestly judged."""
    console = console or Console()
    frame = load_smarket().frame
    console.print("[bold]Stock direction: S&P 500, 1250 days 2001-2005, target Direction (Up/Down)[/]")
    train, test = frame["Year"] < 2005, frame["Year"] == 2005
    y = frame["Direction"]

    islr = _converged(GDClassifier(penalty=None), frame.loc[train, ["Lag1", "Lag2"]], y[train])
    accuracy = islr.score(frame.loc[test, ["Lag1", "Lag2"]], y[test])
    always_up = float((y[test] == "Up").mean())
    results = {"islr_accuracy": float(accuracy), "always_up_2005": always_up,
               "islr_coef": islr.coef_.ravel().tolist(), "islr_intercept": float(islr.intercept_[0])}
    console.print(
        f"ISLR (2nd ed.), section 4.7: logistic regression Direction ~ Lag1 + Lag2, fitted on 2001-2004, "
        f"predicts 2005 with accuracy [bold]{accuracy:.3f}[/] (ISLR: 0.56). Saying 'Up' every day scores "
        f"{always_up:.3f} in 2005. So the model is barely above chance, and no better than that trivial rule: "
        "yesterday's returns say almost nothing about today's."
    )

    # Technical features of past returns only (no look-ahead), split by time.
    features = technical_features(frame["Today"], lags=5, window=5)
    usable = features.notna().all(axis=1)
    X = features[usable]
    target = y[usable]
    years = frame.loc[usable, "Year"]
    X_train, X_test = X[years < 2005], X[years == 2005]
    y_train, y_test = target[years < 2005], target[years == 2005]
    model = GDClassifier(penalty="l2", alpha=0.01, random_state=0)
    model = _converged(model, X_train, y_train)
    predicted = model.predict(X_test)
    majority = y_train.value_counts().idxmax()
    results["features_accuracy"] = float((predicted == y_test).mean())
    results["baseline_accuracy"] = float((y_test == majority).mean())
    matrix = confusion_matrix(y_test, predicted, labels=["Down", "Up"])
    results["confusion"] = matrix.tolist()
    table = Table(title="Technical features (lags 1-5, 5-day mean, volatility, rate of change); "
                        "train 2001-2004, test 2005")
    table.add_column("")
    table.add_column("predicted Down")
    table.add_column("predicted Up")
    for label, row in zip(["actual Down", "actual Up"], matrix, strict=True):
        table.add_row(label, *map(str, row))
    console.print(table)
    gain = results["features_accuracy"] - results["baseline_accuracy"]
    standard_error = float(np.sqrt(results["baseline_accuracy"] * (1 - results["baseline_accuracy"]) / len(y_test)))
    verdict = ("within two standard errors of it: chance, not skill" if abs(gain) < 2 * standard_error
               else "beyond two standard errors of it")
    console.print(
        f"Accuracy {results['features_accuracy']:.3f} against {results['baseline_accuracy']:.3f} for always "
        f"predicting the training period's majority ('{majority}'), {gain:+.3f}: {verdict} "
        f"(one standard error on {len(y_test)} days is {standard_error:.3f})."
    )
    if plot:
        from .plot import loss_curve

        loss_curve(model, title="Smarket technical features: training loss", path=plot)
        console.print(f"Loss curve written to {plot}")
    return results
