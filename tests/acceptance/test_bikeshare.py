"""Bike rentals (``descend demo bikes``): ISLR's Poisson regression to the printed digits, the exact
optimum, and an 80% prediction interval from two quantile fits that covers about 80% of unseen hours."""

import numpy as np
import pytest
from rich.console import Console
from sklearn.linear_model import PoissonRegressor
from threadpoolctl import threadpool_limits

from descend import demos
from descend.datasets import BIKESHARE_LEVELS, load_bikeshare

PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """The demo run once: (its results, the folder it drew its picture in)."""
    folder = tmp_path_factory.mktemp("bikes")
    with open(folder / "report.txt", "w") as report:
        results = demos.bikes(console=Console(file=report, width=120), plot=str(folder / "effects.png"))
    return results, folder


def test_the_five_coefficients_are_islrs_to_the_printed_digits(run):
    results, _ = run
    assert {name: round(value, 4) for name, value in results["coef"].items()} == demos.BIKES_ISLR
    assert list(demos.BIKES_ISLR) == [
        "workingday",
        "temp",
        "weathersit[cloudy/misty]",
        "weathersit[light rain/snow]",
        "weathersit[heavy rain/snow]",
    ]


def test_the_fit_is_the_exact_optimum(run):
    """Gradient descent on standardized one-hot columns reaches Newton's method's optimum. (scikit-learn's
    default L-BFGS does not: it stops with the heavy-rain coefficient, which rests on one hour, at -0.9265.)"""
    results, _ = run
    data = load_bikeshare()
    X = demos.bike_design(data.data)
    assert results["feature_names"] == list(X.columns) and X.shape == (8_645, 39)
    with threadpool_limits(1):
        newton = PoissonRegressor(alpha=0.0, solver="newton-cholesky", tol=1e-12, max_iter=100).fit(X, data.target)
    np.testing.assert_allclose(results["all_coef"], newton.coef_, rtol=0, atol=1e-5)
    assert results["intercept"] == pytest.approx(newton.intercept_, abs=1e-5)
    assert results["max_difference_to_newton"] < 1e-6
    # As R's glm prints them for this model: residual deviance 228041 on 8605 degrees of freedom,
    # null deviance 1052921 on 8644.
    assert round(results["deviance"]) == 228_041 and round(results["null_deviance"]) == 1_052_921
    assert results["d2"] == pytest.approx(1 - results["deviance"] / results["null_deviance"], rel=1e-12)
    assert round(results["d2"], 4) == 0.7834
    assert results["mean_deviance"] == pytest.approx(results["deviance"] / 8_645, rel=1e-12)


def test_the_effects_are_the_sum_coded_coefficients(run):
    results, _ = run
    months, hours = results["month_effects"], results["hour_effects"]
    assert list(months) == BIKESHARE_LEVELS["mnth"] and list(hours) == BIKESHARE_LEVELS["hr"]
    assert sum(months.values()) == pytest.approx(0, abs=1e-12) and sum(hours.values()) == pytest.approx(0, abs=1e-12)
    coef = dict(zip(results["feature_names"], results["all_coef"]))
    assert months["Feb"] - months["Jan"] == pytest.approx(coef["mnth[Feb]"], abs=1e-12)
    assert hours[17] - hours[0] == pytest.approx(coef["hr[17]"], abs=1e-12)
    # R's glm with contr.sum: mnth1 (January) -0.670170, hr1 (hour 0) -0.754386, hr9 (hour 8) 1.076927.
    assert round(months["Jan"], 4) == -0.6702 and round(hours[0], 4) == -0.7544 and round(hours[8], 4) == 1.0769
    assert min(months, key=months.get) == "Jan" and max(hours, key=hours.get) == 17


def test_the_80_percent_interval_covers_about_80_percent_of_unseen_hours(run):
    results, _ = run
    interval = results["interval"]
    ours = interval["descend"]
    assert 0.75 <= ours["coverage"] <= 0.85
    assert ours["below"] + ours["coverage"] + ours["above"] == pytest.approx(1.0)
    assert 0.05 <= ours["below"] <= 0.15 and 0.05 <= ours["above"] <= 0.15
    assert 100 < ours["width"] < 300
    assert abs(ours["coverage"] - interval["HiGHS"]["coverage"]) < 0.02  # as good as the exact quantile lines
    for q in (0.1, 0.9):  # each fit's training objective the linear program's minimum, without a warning
        assert abs(interval[q]["relative_gap"]) < 1e-12 and not interval[q]["warnings"]


def test_the_picture_and_the_report(run):
    results, folder = run
    assert (folder / "effects.png").read_bytes()[:8] == PNG
    report = (folder / "report.txt").read_text()
    for name, value in demos.BIKES_ISLR.items():
        assert f"│ {name} " in report and report.count(f"{value:.4f}") >= 3  # descend, Newton, ISLR
    assert f"D^2 = {results['d2']:.4f}" in report and "Monthly and hourly effects written to" in report


def test_descend_demo_bikes(tmp_path, run_cli):
    out = run_cli("demo", "bikes", "--plot", "effects.svg", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    for name, value in demos.BIKES_ISLR.items():
        rows = [line for line in out.stdout.splitlines() if line.startswith(f"│ {name} ")]
        cells = [c.strip() for c in rows[0].strip("│").split("│")]
        assert cells[1:] == [f"{value:.4f}"] * 3  # descend, Newton, ISLR
    assert "80% prediction interval" in out.stdout and "D^2 = 0.7834" in out.stdout
    assert [p.name for p in tmp_path.iterdir()] == ["effects.svg"]  # written whole, no temporary file left
    assert b"<svg" in (tmp_path / "effects.svg").read_bytes()[:2000]


def test_descend_demo_bikes_refuses_a_missing_folder_before_fitting(tmp_path, run_cli):
    out = run_cli("demo", "bikes", "--plot", tmp_path / "nope" / "effects.png")
    assert out.returncode == 2 and out.stderr.strip() == f"error: no such folder: {tmp_path / 'nope'}"
    assert "ISLR" not in out.stdout
