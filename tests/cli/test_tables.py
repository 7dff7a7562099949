"""descend fit / predict / evaluate on files, through the real command."""

import json
import re

import numpy as np
import pandas as pd
import pytest


@pytest.fixture(scope="module")
def tables(tmp_path_factory):
    """A messy housing table: an ID column, a categorical column, missing targets."""
    folder = tmp_path_factory.mktemp("tables")
    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "house_id": np.arange(1000, 1000 + n),
            "sqft": rng.uniform(500, 3000, n).round(0),
            "rooms": rng.integers(1, 6, n),
            "neighborhood": rng.choice(["north", "south", "east"], n),
            "age": rng.uniform(0, 80, n).round(1),
        }
    )
    effect = frame["neighborhood"].map({"north": 30000, "south": -10000, "east": 0})
    frame["price"] = (
        50000 + 120 * frame["sqft"] + 8000 * frame["rooms"] - 500 * frame["age"] + effect + rng.normal(0, 15000, n)
    ).round(-2)
    frame.loc[[3, 17, 42], "price"] = np.nan
    frame.to_csv(folder / "houses.csv", index=False)
    frame.to_parquet(folder / "houses.parquet")
    frame.drop(columns=["price"]).to_csv(folder / "new.csv", index=False)
    frame.assign(sold=np.where(frame["price"] > frame["price"].median(), "yes", "no")).drop(columns=["price"]).to_csv(
        folder / "sold.csv", index=False
    )
    return folder, frame


def test_fit_predict_evaluate_on_a_messy_csv(tables, run_cli):
    folder, frame = tables
    out = run_cli("fit", "houses.csv", "--target", "price", "--out", "model.json", "--plot", "loss.png", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert "dropped 3 row(s) whose target 'price' is missing" in out.stdout
    assert "dropped column 'house_id'" in out.stdout
    assert "R^2" in out.stdout and "RMSE" in out.stdout and "MAE" in out.stdout
    document = json.loads((folder / "model.json").read_text())
    assert document["preprocessing"]["categories"] == {"neighborhood": ["east", "north", "south"]}
    assert document["metadata"]["task"] == "regression" and document["metadata"]["metrics"]["R^2"] > 0.9
    assert (folder / "loss.png").read_bytes()[:4] == b"\x89PNG"

    out = run_cli("predict", "model.json", "new.csv", "--out", "predictions.csv", cwd=folder)
    assert out.returncode == 0, out.stderr
    predictions = pd.read_csv(folder / "predictions.csv")
    assert len(predictions) == len(frame)  # one row per input row
    assert list(predictions.columns) == ["house_id", "prediction"]
    np.testing.assert_array_equal(predictions["house_id"], frame["house_id"])

    out = run_cli("evaluate", "model.json", "houses.csv", "--target", "price", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert "R^2" in out.stdout


def test_the_saved_model_predicts_as_the_fitted_one(tables, run_cli):
    folder, frame = tables
    from descend.io import load_model
    from descend.readers.tables import TablePreprocessor

    assert (
        run_cli("fit", "houses.parquet", "-t", "price", "-o", "parquet.json", "--test-size", "0", cwd=folder).returncode
        == 0
    )
    estimator, preprocessing, _ = load_model(folder / "parquet.json")
    X = TablePreprocessor.from_dict(preprocessing).transform(frame.drop(columns=["price"]))
    out = run_cli("predict", "parquet.json", "new.csv", cwd=folder)
    printed = pd.read_csv(pd.io.common.StringIO(out.stdout))
    np.testing.assert_array_equal(printed["prediction"].to_numpy(), estimator.predict(X))


def test_classification_is_inferred_from_a_text_target(tables, run_cli):
    folder, _ = tables
    out = run_cli(
        "fit",
        "sold.csv",
        "-t",
        "sold",
        "-o",
        "sold.json",
        "--optimizer",
        "adam",
        "--lr",
        "0.05",
        "--batch-size",
        "32",
        "--epochs",
        "30",
        cwd=folder,
    )
    assert out.returncode == 0, out.stderr
    assert "accuracy" in out.stdout and "baseline (majority class)" in out.stdout and "log loss" in out.stdout
    out = run_cli("predict", "sold.json", "new.csv", cwd=folder)
    predictions = pd.read_csv(pd.io.common.StringIO(out.stdout))
    assert set(predictions["prediction"]) <= {"yes", "no"}
    np.testing.assert_allclose(predictions["probability_no"] + predictions["probability_yes"], 1.0)


def bad_files(folder, frame):
    (folder / "empty.csv").write_text("")
    (folder / "header.csv").write_text("a,b,price\n")
    typo = frame.copy()
    typo["sqft"] = typo["sqft"].astype(object)
    typo.loc[5, "sqft"] = "12a"
    typo.to_csv(folder / "typo.csv", index=False)
    infinite = frame.copy()
    infinite.loc[7, "age"] = np.inf
    infinite.to_csv(folder / "inf.csv", index=False)
    frame.assign(price=5.0).to_csv(folder / "single.csv", index=False)
    holes = frame.copy()
    holes.loc[9, "rooms"] = np.nan
    holes.to_csv(folder / "holes.csv", index=False)
    frame.drop(columns=["rooms", "price"]).to_csv(folder / "norooms.csv", index=False)
    (folder / "corrupt.json").write_text('{"format": "descend-model", "version": 1, "estima')
    (folder / "foreign.json").write_text('{"model": "from another tool", "weights": [1, 2]}')


@pytest.mark.parametrize(
    "args,message",
    [
        (("fit", "missing.csv", "-t", "price", "-o", "out.json"), "no such file: missing.csv"),
        (("fit", "empty.csv", "-t", "price", "-o", "out.json"), "empty.csv is empty"),
        (("fit", "header.csv", "-t", "price", "-o", "out.json"), "has a header but no rows"),
        (("fit", "houses.csv", "-t", "cost", "-o", "out.json"), "no column 'cost'; the columns are: house_id"),
        (
            ("fit", "typo.csv", "-t", "price", "-o", "out.json"),
            "column 'sqft' is numeric but holds non-numeric values: data row 6 ('12a')",
        ),
        (("fit", "inf.csv", "-t", "price", "-o", "out.json"), "column 'age' contains infinite values"),
        (("fit", "single.csv", "-t", "price", "-o", "out.json"), "the target 'price' has a single value"),
        (("fit", "holes.csv", "-t", "price", "-o", "out.json"), "missing values in column(s) 'rooms'"),
        (("predict", "corrupt.json", "new.csv", "-o", "out.csv"), "corrupt.json is not a descend model file"),
        (("predict", "foreign.json", "new.csv", "-o", "out.csv"), "foreign.json is not a descend model file"),
        (("predict", "model.json", "norooms.csv", "-o", "out.csv"), "lacks the training column(s) 'rooms'"),
        (("fit", "houses.csv", "-t", "price", "-o", "out.json", "--optimizer", "adamm"), "Unknown optimizer 'adamm'"),
    ],
)
def test_bad_input_is_one_line_a_nonzero_exit_and_no_file(tables, args, message, run_cli):
    folder, frame = tables
    bad_files(folder, frame)
    if not (folder / "model.json").exists():
        assert run_cli("fit", "houses.csv", "-t", "price", "-o", "model.json", cwd=folder).returncode == 0
    out = run_cli(*args, cwd=folder)
    assert out.returncode == 2
    assert out.stderr.strip().splitlines() == [f"error: {out.stderr.strip()[7:]}"]  # one line
    assert message in out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert not (folder / "out.json").exists() and not (folder / "out.csv").exists()
    assert not [p for p in folder.iterdir() if ".tmp" in p.name]


def test_impute_fills_missing_features(tables, run_cli):
    folder, frame = tables
    bad_files(folder, frame)
    out = run_cli("fit", "holes.csv", "-t", "price", "-o", "imputed.json", "--impute", "median", cwd=folder)
    assert out.returncode == 0, out.stderr
    document = json.loads((folder / "imputed.json").read_text())
    assert document["preprocessing"]["fill"]["rooms"] == pytest.approx(frame["rooms"].median(), abs=1)


def test_metrics_gathered_chunk_by_chunk_equal_sklearns():
    from sklearn.metrics import log_loss, mean_absolute_error, mean_squared_error, r2_score

    from descend import GDClassifier, GDRegressor
    from descend.metrics import table_metrics as _metrics

    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 3))
    y = 50 + X @ [1.0, 2.0, -1.0] + rng.standard_normal(1000)
    model = GDRegressor(max_iter=5, tol=None).fit(X, y)
    chunks = [(X[i : i + 130], y[i : i + 130]) for i in range(0, 1000, 130)]
    streamed, whole = _metrics("regression", model, chunks), _metrics("regression", model, [(X, y)])
    prediction = model.predict(X)
    assert streamed["R^2"] == pytest.approx(r2_score(y, prediction), rel=1e-12)
    assert whole["R^2"] == pytest.approx(r2_score(y, prediction), rel=1e-12)
    assert streamed["RMSE"] == pytest.approx(np.sqrt(mean_squared_error(y, prediction)), rel=1e-12)
    assert streamed["MAE"] == pytest.approx(mean_absolute_error(y, prediction), rel=1e-12)
    labels = np.where(y > 50, "up", "down")
    classifier = GDClassifier(max_iter=5, tol=None).fit(X, labels)
    metrics = _metrics("classification", classifier, [(X[:400], labels[:400]), (X[400:], labels[400:])])
    assert metrics["log loss"] == pytest.approx(log_loss(labels, classifier.predict_proba(X)), rel=1e-12)
    assert metrics["accuracy"] == pytest.approx(classifier.score(X, labels))
    assert metrics["baseline (majority class)"] == max(np.mean(labels == "up"), np.mean(labels == "down"))


def test_fit_streams_a_parquet_file_over_several_epochs(tmp_path, run_cli):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((6000, 3))
    frame = pd.DataFrame(X, columns=["u", "v", "w"])
    frame["y"] = X @ [2.0, -1.0, 0.5] + 4.0 + 0.01 * rng.standard_normal(6000)
    frame.to_parquet(tmp_path / "big.parquet", row_group_size=1000)
    out = run_cli(
        "fit",
        "big.parquet",
        "--target",
        "y",
        "--stream",
        "--epochs",
        "3",
        "--chunk-rows",
        "500",
        "--buffer-rows",
        "2000",
        "--out",
        "model.json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "epoch 3/3" in out.stdout and "18000/18000 rows" in out.stdout  # progress in epochs and rows
    bar = re.sub(r"\s+|\d:\d\d:\d\d", "", out.stdout)  # rich wraps the bar's columns in a narrow terminal
    pace = re.search(r"rows([0-9.]+)([kMG]?)rows/s,([0-9.,]+)MB/s", bar)  # and its pace
    assert pace, out.stdout
    rows_per_second = float(pace[1]) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9}[pace[2]]
    file_bytes_per_row = (tmp_path / "big.parquet").stat().st_size / 6000
    assert float(pace[3].replace(",", "")) == pytest.approx(rows_per_second * file_bytes_per_row / 1e6, rel=0.01)
    assert "streamed (6000 rows)" in out.stdout
    document = json.loads((tmp_path / "model.json").read_text())
    assert document["metadata"]["streamed"] and document["metadata"]["metrics"]["R^2"] > 0.999
    frame.drop(columns=["y"]).to_csv(tmp_path / "new.csv", index=False)
    out = run_cli("predict", "model.json", "new.csv", "--out", "predictions.csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    predictions = pd.read_csv(tmp_path / "predictions.csv")["prediction"]
    np.testing.assert_allclose(predictions, frame["y"], atol=0.05)


def test_a_streamed_fit_checkpoints_and_resumes(tmp_path, run_cli):
    rng = np.random.default_rng(3)
    X = rng.standard_normal((3000, 3))
    frame = pd.DataFrame(X, columns=["u", "v", "w"]).assign(y=X @ [2.0, -1.0, 0.5] + rng.standard_normal(3000))
    frame.to_parquet(tmp_path / "data.parquet", row_group_size=500)
    common = (
        "fit",
        "data.parquet",
        "--target",
        "y",
        "--stream",
        "--optimizer",
        "adam",
        "--lr",
        "0.01",
        "--chunk-rows",
        "400",
        "--buffer-rows",
        "1000",
    )
    assert run_cli(*common, "--epochs", "4", "--out", "whole.json", cwd=tmp_path).returncode == 0
    first = run_cli(*common, "--epochs", "2", "--checkpoint", "state.json", "--out", "half.json", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert json.loads((tmp_path / "state.json").read_text())["loop"]["epoch"] == 2
    resumed = run_cli(
        *common, "--epochs", "4", "--checkpoint", "state.json", "--resume", "--out", "resumed.json", cwd=tmp_path
    )
    assert resumed.returncode == 0, resumed.stderr
    whole, again = (json.loads((tmp_path / name).read_text())["state"] for name in ("whole.json", "resumed.json"))
    assert whole["coef"] == again["coef"] and whole["intercept"] == again["intercept"]
    assert whole["history"] == again["history"] and whole["n_iter"] == again["n_iter"] == 4


@pytest.mark.parametrize(
    "args, message",
    [
        (("--stream", "--early-stopping"), "--early-stopping works on a table in memory, not with --stream"),
        (("--stream", "--test-size", "0.3"), "--test-size works on a table in memory, not with --stream"),
        (
            ("--scheduler", "tcp://127.0.0.1:1", "--checkpoint", "state.json"),
            "--checkpoint and --resume work in memory or with --stream, not with --scheduler",
        ),
        (("--resume",), "--resume needs --checkpoint FILE"),
        (("--plot", "nowhere/loss.png"), "--plot: no such folder nowhere"),
        (("--checkpoint", "."), "--checkpoint . is a folder"),
    ],
)
def test_fit_refuses_settings_it_cannot_honour_before_any_work(tables, args, message, run_cli):
    folder, _ = tables
    out = run_cli("fit", "houses.csv", "--target", "price", "--out", "refused.json", *args, cwd=folder)
    assert out.returncode == 2 and out.stderr.strip() == f"error: {message}"
    assert not (folder / "refused.json").exists()  # nothing trained, nothing written


def test_fit_streams_a_glob_of_files_within_a_memory_budget(tmp_path, run_cli):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((4000, 3))
    frame = pd.DataFrame(X, columns=["u", "v", "w"]).assign(y=X @ [2.0, -1.0, 0.5] + 4.0)
    (tmp_path / "data").mkdir()
    for k in range(4):
        frame.iloc[1000 * k : 1000 * (k + 1)].to_parquet(tmp_path / "data" / f"part-{k}.parquet", index=False)
    out = run_cli(
        "fit",
        "data/*.parquet",
        "--target",
        "y",
        "--stream",
        "--epochs",
        "3",
        "--memory",
        "2MB",
        "--out",
        "model.json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert "memory 2 MB: a shuffle buffer of 4,000 rows" in out.stdout and "streamed (4000 rows)" in out.stdout
    for args, message in (
        (("nothing/*.parquet", "--memory", "2MB"), "error: no file matches nothing/*.parquet"),
        (("data", "--memory", "1kB"), "error: memory=0.001 MB is too small for 4 files like"),
        (("data", "--memory", "plenty"), "error: memory must be a size such as '256MB'"),
    ):
        out = run_cli("fit", *args, "--target", "y", "--stream", "--out", "bad.json", cwd=tmp_path)
        assert out.returncode == 2 and out.stderr.startswith(message), out.stderr
        assert not (tmp_path / "bad.json").exists()
    out = run_cli("fit", "data/part-0.parquet", "--target", "y", "--memory", "2MB", "--out", "bad.json", cwd=tmp_path)
    assert out.returncode == 2 and "--memory works with --stream" in out.stderr


def test_fit_jobs_gives_the_same_full_batch_model(tmp_path, run_cli):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(20_000, 3))
    table = pd.DataFrame(X, columns=["a", "b", "c"]).assign(y=X @ [1.0, -2.0, 0.5] + rng.normal(size=20_000))
    table.to_csv(tmp_path / "rows.csv", index=False)
    coefs = []
    for jobs in ("1", "2"):
        run = run_cli(
            "fit", tmp_path / "rows.csv", "-t", "y", "--loss", "huber", "-o", tmp_path / f"{jobs}.json", "--jobs", jobs
        )
        assert run.returncode == 0, run.stderr
        coefs.append(json.loads((tmp_path / f"{jobs}.json").read_text())["state"])
    assert coefs[0] == coefs[1]
