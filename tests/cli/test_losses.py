"""descend fit --loss, --quantile, --power: the losses beyond squared error and log loss from the command line,
their metrics, and the inputs they refuse (issue 15, item 6).

The first fit runs the real command (``run_cli``); the other runs call the command line's entry point in this process
(``descend``, below), the same code from ``main()`` on, so that a run costs its work and not the two seconds
of importing NumPy, pandas, scikit-learn and Numba again.
"""

import json
import re
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import d2_tweedie_score, mean_pinball_loss, mean_poisson_deviance, mean_tweedie_deviance

from descend import GDClassifier, GDRegressor
from descend.metrics import COVERAGE


@pytest.fixture
def descend(monkeypatch, capsys):
    """``descend(*args, cwd=folder)``: ``main()`` with these arguments, as a CompletedProcess like run_cli's."""
    from descend.cli import main

    def run(*args, cwd):
        monkeypatch.chdir(cwd)
        monkeypatch.setattr(sys, "argv", ["descend", *map(str, args)])
        with pytest.raises(SystemExit) as exit:
            main()
        out = capsys.readouterr()
        return subprocess.CompletedProcess(args, exit.value.code, out.out, out.err)

    return run


def features(rng, n):
    return pd.DataFrame({"x1": rng.standard_normal(n).round(3), "x2": rng.standard_normal(n).round(3)})


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """Tables drawn from known laws: counts (Poisson), a skewed target for quantiles, compound Poisson-Gamma
    amounts with exact zeros (Tweedie), Gamma amounts, yes/no labels; and the same with a bad target."""
    folder = tmp_path_factory.mktemp("losses")
    rng = np.random.default_rng(15)
    for name, n in (("counts.csv", 3000), ("counts_test.csv", 1000)):
        frame = features(rng, n)
        frame["y"] = rng.poisson(np.exp(0.3 + 0.5 * frame["x1"] - 0.4 * frame["x2"]))
        frame.to_csv(folder / name, index=False)
    for name in ("skewed.csv", "skewed_test.csv"):
        frame = features(rng, 5000)
        frame["y"] = (2 + frame["x1"] - 0.5 * frame["x2"] + rng.exponential(1.0, 5000)).round(4)
        frame.to_csv(folder / name, index=False)
    frame = features(rng, 3000)
    mean = np.exp(0.5 + 0.4 * frame["x1"] - 0.3 * frame["x2"])
    frame["y"] = rng.gamma(2.0 * rng.poisson(mean / 2.0), 1.0).round(4)  # a Poisson count of Gamma(2, 1) amounts
    frame.to_csv(folder / "amounts.csv", index=False)
    frame = features(rng, 3000)
    frame["y"] = rng.gamma(3.0, np.exp(0.2 + 0.3 * frame["x1"]) / 3.0).round(4) + 1e-4
    frame.to_csv(folder / "positive.csv", index=False)
    frame = features(rng, 2000)
    frame["y"] = np.where(rng.random(2000) < 1 / (1 + np.exp(-(2 * frame["x1"] - frame["x2"]))), "yes", "no")
    frame.to_csv(folder / "labels.csv", index=False)
    counts = pd.read_csv(folder / "counts.csv")
    late = counts.assign(y=counts["y"].where(counts.index != 1234, -3))
    late.to_csv(folder / "negative_late.csv", index=False)
    late.to_parquet(folder / "negative_late.parquet", row_group_size=500)
    lines = [f"{y} 1:{a} 2:{b}" for a, b, y in late.itertuples(index=False)]
    (folder / "negative_late.svm").write_text("# counts\n" + "\n".join(lines) + "\n")  # row 1235 on line 1236
    counts.loc[[12, 2344], "y"] = -3  # data rows 13 and 2345
    counts.to_csv(folder / "negative.csv", index=False)
    positive = pd.read_csv(folder / "positive.csv")
    positive.loc[1700, "y"] = 0.0
    positive.to_csv(folder / "zero.csv", index=False)
    counts.assign(y=(counts["y"] > 1).astype(int)).to_csv(folder / "two_values.csv", index=False)
    return folder


def printed(stdout, name):
    """The value a metrics table prints for ``name``."""
    match = re.search(re.escape(name) + r"\s*│\s*(\S+)\s*│", stdout)
    assert match, f"{name!r} is not in\n{stdout}"
    return match.group(1)


def model_file(path):
    def refuse(constant):
        raise AssertionError(f"the model file holds {constant}")

    return json.loads(path.read_text(), parse_constant=refuse)


def predictions(descend, model, data, cwd):
    out = descend("predict", model, data, "--out", "predictions.csv", cwd=cwd)
    assert out.returncode == 0, out.stderr
    return pd.read_csv(cwd / "predictions.csv")


def test_poisson_fit_predict_evaluate(folder, run_cli, descend):
    fitted = run_cli(
        "fit", "counts.csv", "-t", "y", "--loss", "poisson", "--test-size", "0", "-o", "poisson.json", cwd=folder
    )
    assert fitted.returncode == 0, fitted.stderr
    assert "(loss poisson," in fitted.stdout
    document = model_file(folder / "poisson.json")
    assert document["params"]["loss"] == "poisson"
    frame = pd.read_csv(folder / "counts.csv")
    X, y = frame[["x1", "x2"]].to_numpy(), frame["y"].to_numpy(dtype=float)

    # the library's GDRegressor on the same matrix, and the exponential of the model file's score
    library = GDRegressor(loss="poisson", random_state=0).fit(X, y)
    predicted = predictions(descend, "poisson.json", "counts.csv", folder)["prediction"].to_numpy()
    np.testing.assert_allclose(predicted, library.predict(X), rtol=1e-12)
    score = X @ np.array(document["state"]["coef"]) + document["state"]["intercept"][0]
    np.testing.assert_allclose(predicted, np.exp(score), rtol=1e-12)
    assert predicted.min() > 0 and abs(predicted.mean() - y.mean()) < 1e-3 * y.mean()  # the log link's balance

    # the training metrics: scikit-learn's on these predictions, printed to 4 digits, whole in the model file
    deviance, d2 = mean_poisson_deviance(y, predicted), d2_tweedie_score(y, predicted, power=1)
    assert printed(fitted.stdout, "mean Poisson deviance") == f"{deviance:.4g}"
    assert printed(fitted.stdout, "D^2") == f"{d2:.4g}" and "R^2" not in fitted.stdout
    metrics = document["metadata"]["metrics"]
    assert set(metrics) == {"mean Poisson deviance", "D^2", "rows"} and metrics["rows"] == 3000
    np.testing.assert_allclose([metrics["mean Poisson deviance"], metrics["D^2"]], [deviance, d2], rtol=1e-9)
    assert 0.15 < d2 < 0.6

    # evaluate on rows it never saw: scikit-learn's numbers again
    out = descend("evaluate", "poisson.json", "counts_test.csv", "-t", "y", cwd=folder)
    assert out.returncode == 0, out.stderr
    test = pd.read_csv(folder / "counts_test.csv")
    fresh = library.predict(test[["x1", "x2"]].to_numpy())
    assert printed(out.stdout, "mean Poisson deviance") == f"{mean_poisson_deviance(test['y'], fresh):.4g}"
    assert printed(out.stdout, "D^2") == f"{d2_tweedie_score(test['y'], fresh, power=1):.4g}"


def test_a_quantile_fit_covers_its_share_of_new_rows(folder, descend):
    out = descend(
        "fit", "skewed.csv", "-t", "y", "--loss", "quantile", "--quantile", "0.9", "-o", "q90.json", cwd=folder
    )
    assert out.returncode == 0, out.stderr
    assert set(model_file(folder / "q90.json")["metadata"]["metrics"]) == {"mean pinball loss", COVERAGE, "rows"}
    assert model_file(folder / "q90.json")["params"]["quantile"] == 0.9
    out = descend("evaluate", "q90.json", "skewed_test.csv", "-t", "y", cwd=folder)
    assert out.returncode == 0, out.stderr
    y = pd.read_csv(folder / "skewed_test.csv")["y"].to_numpy()
    predicted = predictions(descend, "q90.json", "skewed_test.csv", folder)["prediction"].to_numpy()
    coverage = np.mean(y <= predicted)
    assert abs(coverage - 0.9) < 0.03  # the mean, or the median, covers about 60% or 50% of these rows
    assert printed(out.stdout, COVERAGE) == f"{coverage:.4g}"
    pinball = mean_pinball_loss(y, predicted, alpha=0.9)
    assert printed(out.stdout, "mean pinball loss") == f"{pinball:.4g}"
    # the 0.9-quantile of the noise is log(10) above the line: the intercept found
    assert (
        abs(np.median(predicted - (2 + pd.read_csv(folder / "skewed_test.csv").eval("x1 - 0.5 * x2"))) - np.log(10))
        < 0.1
    )


def test_a_classifier_loss_modified_huber(folder, descend):
    out = descend(
        "fit", "labels.csv", "-t", "y", "--loss", "modified_huber", "--test-size", "0", "-o", "mh.json", cwd=folder
    )
    assert out.returncode == 0, out.stderr
    assert model_file(folder / "mh.json")["params"]["loss"] == "modified_huber"
    frame = pd.read_csv(folder / "labels.csv")
    library = GDClassifier(loss="modified_huber", random_state=0).fit(frame[["x1", "x2"]].to_numpy(), frame["y"])
    predicted = predictions(descend, "mh.json", "labels.csv", folder)
    np.testing.assert_array_equal(predicted["prediction"], library.predict(frame[["x1", "x2"]].to_numpy()))
    np.testing.assert_allclose(
        predicted[["probability_no", "probability_yes"]],
        library.predict_proba(frame[["x1", "x2"]].to_numpy()),
        rtol=1e-12,
    )
    accuracy = np.mean(predicted["prediction"] == frame["y"])
    assert printed(out.stdout, "accuracy") == f"{accuracy:.4g}" and accuracy > 0.75


@pytest.mark.parametrize(
    "data, loss, power",
    [("amounts.csv", ("--loss", "tweedie", "--power", "1.5"), 1.5), ("positive.csv", ("--loss", "gamma"), 2.0)],
)
def test_a_streamed_glm_measured_on_the_whole_file(folder, descend, data, loss, power):
    out = descend(
        "fit",
        data,
        "-t",
        "y",
        *loss,
        "--stream",
        "--chunk-rows",
        "700",
        "--buffer-rows",
        "1400",
        "-o",
        "streamed.json",
        cwd=folder,
    )
    assert out.returncode == 0, out.stderr
    document = model_file(folder / "streamed.json")
    assert document["params"]["loss"] == loss[1] and document["metadata"]["streamed"]
    if loss[1] == "tweedie":
        assert document["params"]["power"] == 1.5
    y = pd.read_csv(folder / data)["y"].to_numpy()
    predicted = predictions(descend, "streamed.json", data, folder)["prediction"].to_numpy()
    metrics = document["metadata"]["metrics"]
    name = "mean Gamma deviance" if power == 2 else "mean Tweedie deviance (power 1.5)"
    # gathered over five chunks, as scikit-learn computes them on the whole file
    np.testing.assert_allclose(metrics[name], mean_tweedie_deviance(y, predicted, power=power), rtol=1e-9)
    np.testing.assert_allclose(metrics["D^2"], d2_tweedie_score(y, predicted, power=power), rtol=1e-9)
    assert metrics["D^2"] > 0.05 and printed(out.stdout, "D^2") == f"{metrics['D^2']:.4g}"


POWER = (
    "power must be 0 (normal), 1 (Poisson), between 1 and 2 (compound Poisson-Gamma), 2 (Gamma) or above; "
    "Tweedie distributions exist for no power between 0 and 1, got 0.5"
)


@pytest.mark.parametrize(
    "args, message",
    [
        (("counts.csv", "--loss", "quantile", "--quantile", "1.5"), "quantile must lie in (0, 1), got 1.5"),
        (("counts.csv", "--loss", "quantile", "--quantile", "0"), "quantile must lie in (0, 1), got 0.0"),
        (("counts.csv", "--loss", "tweedie", "--power", "0.5"), POWER),
        (
            ("negative.csv", "--loss", "poisson"),
            "loss='poisson' needs targets >= 0 (counts, amounts); 'y' in data row 13 = -3",
        ),
        (
            ("negative_late.csv", "--loss", "poisson"),  # by its row in the file, not in the shuffled training rows
            "loss='poisson' needs targets >= 0 (counts, amounts); 'y' in data row 1235 = -3",
        ),
        (
            ("negative_late.csv", "--loss", "poisson", "--stream", "--chunk-rows", "500"),  # in the third chunk
            "loss='poisson' needs targets >= 0 (counts, amounts); 'y' in data row 1235 = -3",
        ),
        (
            ("negative_late.parquet", "--loss", "poisson", "--stream"),  # in the third row group
            "loss='poisson' needs targets >= 0 (counts, amounts); 'y' in data row 1235 = -3",
        ),
        (
            ("negative_late.svm", "--loss", "poisson", "--stream", "--chunk-rows", "500"),
            "loss='poisson' needs targets >= 0 (counts, amounts); negative_late.svm line 1236 = -3",
        ),
        (
            ("negative_late.svm", "--loss", "poisson"),
            "loss='poisson' needs targets >= 0 (counts, amounts); row 1235 of negative_late.svm = -3",
        ),
        (
            ("negative.csv", "--loss", "tweedie", "--stream"),
            "loss='tweedie with power=1.5' needs targets >= 0 (counts, amounts); 'y' in data row 13 = -3",
        ),
        (("zero.csv", "--loss", "gamma"), "loss='gamma' needs positive targets (> 0); 'y' in data row 1701 = 0"),
        (
            ("zero.csv", "--loss", "gamma", "--stream", "--chunk-rows", "500"),
            "loss='gamma' needs positive targets (> 0); 'y' in data row 1701 = 0",
        ),
        (("labels.csv", "--loss", "poisson"), "--loss poisson is a regression loss, but 'y' holds text: classes"),
        (
            ("two_values.csv", "--loss", "quantile"),
            "--loss quantile is a regression loss, but 'y' holds two values, "
            "taken for classes; --task regression fits them as numbers",
        ),
        (
            ("counts.csv", "--loss", "hinge"),
            "--loss hinge is a classification loss, but 'y' looks like numbers to "
            "predict (more than two values); --task classification takes them as classes",
        ),
        (
            ("counts.csv", "--loss", "hinge", "--stream"),
            "--loss hinge is a classification loss, but 'y' looks like "
            "numbers to predict (more than two values); --task "
            "classification takes them as classes",
        ),
        (
            ("counts.csv", "--loss", "gamma", "--task", "classification"),
            "--loss gamma is a regression loss, and --task is classification",
        ),
        (("counts.csv", "--quantile", "0.9"), "--quantile goes with --loss quantile, not the default loss"),
        (("counts.csv", "--loss", "poisson", "--power", "1.5"), "--power goes with --loss tweedie, not poisson"),
        (
            ("labels.csv", "--loss", "hinge", "--epsilon", "0.5"),
            "--epsilon goes with --loss huber or epsilon_insensitive or squared_epsilon_insensitive, not hinge",
        ),
    ],
)
def test_a_bad_loss_or_target_is_one_line_and_no_file(folder, descend, args, message):
    target = () if args[0].endswith(".svm") else ("-t", "y")
    out = descend("fit", *args, *target, "-o", "refused.json", cwd=folder)
    assert (out.returncode, out.stderr) == (2, f"error: {message}\n"), out.stdout
    assert not (folder / "refused.json").exists()


def test_evaluate_names_a_target_the_model_cannot_measure(folder, descend):
    assert descend("fit", "positive.csv", "-t", "y", "--loss", "gamma", "-o", "gamma.json", cwd=folder).returncode == 0
    out = descend("evaluate", "gamma.json", "zero.csv", "-t", "y", cwd=folder)
    assert (out.returncode, out.stderr) == (
        2,
        "error: loss='gamma' needs positive targets (> 0); 'y' in data row 1701 = 0\n",
    )
