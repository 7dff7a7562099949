"""descend fit / predict on text columns, many-valued categories and svmlight files (issue 14, parts 3 and 4)."""

import json

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp

POSITIVE = ["great", "excellent", "love", "wonderful", "perfect", "amazing", "best", "happy"]
NEGATIVE = ["terrible", "awful", "hate", "broken", "worst", "poor", "disappointed", "refund"]


def make_reviews(n, seed=0):
    """Reviews of 3 to 9 filler words and 3 sentiment words, each of the review's side 85% of the time
    (the majority of the three is right 94% of the time: what a model can reach); 60% positive."""
    rng = np.random.default_rng(seed)
    positive = rng.random(n) < 0.6
    filler = rng.choice([f"word{i}" for i in range(200)], (n, 9))
    lengths = rng.integers(3, 10, n)
    agrees = rng.random((n, 3)) < 0.85
    good, bad = rng.choice(POSITIVE, (n, 3)), rng.choice(NEGATIVE, (n, 3))
    sentiment = np.where(agrees == positive[:, None], good, bad)
    reviews = []
    for i in range(n):
        words = list(filler[i, : lengths[i]]) + list(sentiment[i])
        rng.shuffle(words)
        reviews.append(" ".join(words).capitalize() + ".")
    return pd.DataFrame(
        {
            "review": reviews,
            "price": rng.uniform(5, 500, n).round(2),
            "label": np.where(positive, "positive", "negative"),
        }
    )


@pytest.fixture(scope="module")
def reviews(tmp_path_factory):
    folder = tmp_path_factory.mktemp("text")
    frame = make_reviews(3000)
    frame.to_csv(folder / "reviews.csv", index=False)
    frame.drop(columns=["label"]).to_csv(folder / "new.csv", index=False)
    return folder, frame


def read_model(path):
    return json.loads(path.read_text())


def said(out):
    return " ".join(out.stdout.split())  # rich wraps notices to the terminal's width


def design(frame, preprocessing):
    """The matrix descend fit should make of the reviews, built here from descend.text directly."""
    from descend.text import hash_texts

    mean, deviation = preprocessing["standardized"]["price"]
    price = sp.csr_matrix(((frame["price"].to_numpy() - mean) / deviation)[:, None])
    return sp.hstack([price, hash_texts(frame["review"].tolist())], format="csr")


def test_a_text_column_beats_the_baseline_and_predict_hashes_it_the_same_way(reviews, run_cli):
    from descend.io import load_model

    folder, frame = reviews
    out = run_cli("fit", "reviews.csv", "--target", "label", "--text", "review", "--out", "model.json", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert (
        "a sparse matrix of 2,400 rows and 1,048,577 columns: the full batch (online learning takes 10,000 rows "
        "or more); --batch-size 1 learns one row a step"
    ) in said(out)
    document = read_model(folder / "model.json")
    metrics = document["metadata"]["metrics"]
    assert metrics["rows"] == 600 and metrics["baseline (majority class)"] == pytest.approx(0.6, abs=0.01)
    assert metrics["accuracy"] >= 0.88  # the sentiment words' majority is right 94% of the time
    assert f"{metrics['accuracy']:.4g}" in out.stdout
    preprocessing = document["preprocessing"]
    assert preprocessing["text"] == ["review"] and preprocessing["hashing"] == {
        "n_features": 2**20,
        "ngram_range": [1, 1],
        "lowercase": True,
        "alternate_sign": True,
        "norm": "l2",
    }

    out = run_cli("predict", "model.json", "new.csv", "--out", "predictions.csv", cwd=folder)
    assert out.returncode == 0, out.stderr
    printed = pd.read_csv(folder / "predictions.csv")
    estimator, _, _ = load_model(folder / "model.json")
    X = design(frame, preprocessing)
    np.testing.assert_array_equal(printed["prediction"], estimator.predict(X))
    np.testing.assert_allclose(printed["probability_positive"], estimator.predict_proba(X)[:, 1], rtol=1e-12)
    assert (printed["prediction"] == frame["label"]).mean() >= 0.88


@pytest.fixture(scope="module")
def whole_file_fit(reviews, run_cli):
    """descend fit on every row (--test-size 0), in memory."""
    folder, _ = reviews
    out = run_cli(
        "fit", "reviews.csv", "-t", "label", "--text", "review", "-o", "whole.json", "--test-size", "0", cwd=folder
    )
    assert out.returncode == 0, out.stderr
    return read_model(folder / "whole.json")


def test_the_command_line_fit_is_the_library_fit_on_the_same_matrix(reviews, whole_file_fit):
    from descend import GDClassifier

    _, frame = reviews
    params = {**whole_file_fit["params"], "verbose": 0}
    assert (params["batch_size"], params["optimizer"]) == ("auto", "auto")  # the library's choice: the full batch
    assert whole_file_fit["state"]["batch_size"] is None
    model = GDClassifier(**params).fit(design(frame, whole_file_fit["preprocessing"]), frame["label"].to_numpy())
    from descend.linear._model_file import unpacked

    assert model.coef_.ravel().tolist() == unpacked(whole_file_fit["state"]["coef"])[0].tolist()
    assert model.intercept_.tolist() == whole_file_fit["state"]["intercept"]


def test_predict_and_evaluate_hash_on_threads_to_the_same_rows(reviews, whole_file_fit, run_cli):
    from descend.io import load_model

    folder, frame = reviews
    many = pd.concat([frame] * 8, ignore_index=True)  # 24,000 reviews: hashed in chunks, four a thread
    many.drop(columns=["label"]).to_csv(folder / "many.csv", index=False)
    many.to_csv(folder / "many_labelled.csv", index=False)
    out = run_cli("predict", "whole.json", "many.csv", "--jobs", "2", "--out", "threads.csv", cwd=folder)
    assert out.returncode == 0, out.stderr
    estimator, _, _ = load_model(folder / "whole.json")
    X = design(many, whole_file_fit["preprocessing"])
    printed = pd.read_csv(folder / "threads.csv")
    np.testing.assert_array_equal(printed["prediction"], estimator.predict(X))
    np.testing.assert_allclose(printed["probability_positive"], estimator.predict_proba(X)[:, 1], rtol=1e-12)
    out = run_cli("evaluate", "whole.json", "many_labelled.csv", "-t", "label", "-j", "-1", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert f"{estimator.score(X, many['label'].to_numpy()):.4f}" in out.stdout
    out = run_cli("predict", "whole.json", "many.csv", "--jobs", "0", "--out", "zero.csv", cwd=folder)
    assert out.returncode == 2 and out.stderr.startswith("error: n_jobs must be") and out.stderr.count("\n") == 1
    assert not (folder / "zero.csv").exists()


def test_a_streamed_text_fit_comes_close_to_the_in_memory_one(reviews, whole_file_fit, run_cli):
    """Streamed, the rows come in another order (CSV blocks, a shuffle window): not the same steps, so
    not the same weights, but the same model as far as predictions go."""
    from descend.io import load_model

    folder, frame = reviews
    out = run_cli(
        "fit",
        "reviews.csv",
        "-t",
        "label",
        "--text",
        "review",
        "-o",
        "streamed.json",
        "--stream",
        "--chunk-rows",
        "500",
        "--buffer-rows",
        "1200",
        cwd=folder,
    )
    assert out.returncode == 0, out.stderr
    streamed = read_model(folder / "streamed.json")
    assert streamed["metadata"]["streamed"] and streamed["metadata"]["metrics"]["rows"] == 3000
    assert streamed["preprocessing"]["hashing"] == whole_file_fit["preprocessing"]["hashing"]
    accuracy = streamed["metadata"]["metrics"]["accuracy"]
    assert accuracy == pytest.approx(whole_file_fit["metadata"]["metrics"]["accuracy"], abs=0.02)
    assert accuracy >= 0.88
    X = design(frame, whole_file_fit["preprocessing"])  # the same mean and deviation of the price
    agree = load_model(folder / "streamed.json")[0].predict(X) == load_model(folder / "whole.json")[0].predict(X)
    assert agree.mean() >= 0.97


def test_free_text_not_given_as_text_is_dropped_with_a_hint(reviews, run_cli):
    folder, frame = reviews
    out = run_cli("fit", "reviews.csv", "-t", "label", "-o", "notext.json", "--epochs", "3", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert (
        "notice: dropped column 'review': free text (3000 distinct values, 100% of them of 3 words or more); "
        "pass --text review to learn from its words"
    ) in said(out)
    frame[["review", "label"]].to_csv(folder / "only_text.csv", index=False)
    out = run_cli("fit", "only_text.csv", "-t", "label", "-o", "notext.json", cwd=folder)
    assert out.returncode == 2
    assert out.stderr.strip() == (
        "error: every column besides the target is an identifier or free text: nothing "
        "to learn from; pass --text review to learn from its words"
    )


def test_missing_texts_are_empty_texts_with_a_notice(reviews, run_cli):
    from descend.io import load_model
    from descend.readers.tables import TablePreprocessor

    folder, frame = reviews
    holes = frame.head(400).copy()
    holes.loc[[3, 50], "review"] = np.nan
    holes.to_csv(folder / "holes.csv", index=False)
    out = run_cli("fit", "holes.csv", "-t", "label", "--text", "review", "-o", "holes.json", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert "notice: text column 'review' has 2 missing values (data rows 4, 51), read as empty texts" in said(out)
    holes.drop(columns=["label"]).to_csv(folder / "holes_new.csv", index=False)
    out = run_cli("predict", "holes.json", "holes_new.csv", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert "notice: text column 'review' has 2 missing values" in " ".join(out.stderr.split())
    printed = pd.read_csv(pd.io.common.StringIO(out.stdout))
    estimator, preprocessing, _ = load_model(folder / "holes.json")
    filled = holes.drop(columns=["label"]).fillna({"review": ""})
    X = TablePreprocessor.from_dict(preprocessing).transform(filled)
    assert X[3, 1:].nnz == 0  # an empty text: no word
    np.testing.assert_array_equal(printed["prediction"], estimator.predict(X))


def test_a_categorical_column_of_many_values_is_hashed(tmp_path, run_cli):
    from descend.io import load_model
    from descend.text import hash_columns

    rng = np.random.default_rng(0)
    n, stores = 4000, 150
    store, x = rng.integers(0, stores, n), rng.normal(size=n)
    effect = 2 * rng.normal(size=stores)
    frame = pd.DataFrame({"store": [f"S{k}" for k in store], "x": x, "y": 3 * x + effect[store] + rng.normal(size=n)})
    frame.to_csv(tmp_path / "stores.csv", index=False)
    out = run_cli("fit", "stores.csv", "-t", "y", "-o", "model.json", "--n-features", "4096", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert (
        "notice: hashed column(s) 'store' (150 values) into 4,096 hashed features: more than 100 distinct "
        "values each, too many to one-hot encode"
    ) in said(out)
    document = read_model(tmp_path / "model.json")
    assert document["preprocessing"]["hashed"] == ["store"] and document["preprocessing"]["categories"] == {}
    # Without the stores, R^2 is about 9 / (9 + 4 + 1) = 0.64; with them, about 13 / 14 = 0.93.
    assert document["metadata"]["metrics"]["R^2"] > 0.85

    new = pd.DataFrame({"store": ["S1", "S2", "a store never seen"], "x": [0.0, 1.0, -1.0]})
    new.to_csv(tmp_path / "new.csv", index=False)
    out = run_cli("predict", "model.json", "new.csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    estimator, _, _ = load_model(tmp_path / "model.json")
    mean, deviation = document["preprocessing"]["standardized"]["x"]
    X = sp.hstack(
        [sp.csr_matrix(((new["x"] - mean) / deviation).to_numpy()[:, None]), hash_columns(new[["store"]], 4096)],
        format="csr",
    )
    np.testing.assert_allclose(
        pd.read_csv(pd.io.common.StringIO(out.stdout))["prediction"], estimator.predict(X), rtol=1e-12
    )


@pytest.fixture(scope="module")
def svmlight_files(tmp_path_factory):
    from sklearn.datasets import dump_svmlight_file

    folder = tmp_path_factory.mktemp("svmlight")
    rng = np.random.default_rng(0)
    X = sp.random(3000, 500, density=0.02, format="csr", random_state=1)
    y = np.where(X @ rng.normal(size=500) + 0.1 * rng.normal(size=3000) > 0, 1, -1)
    dump_svmlight_file(X, y, str(folder / "train.svm"), zero_based=False)  # libsvm's one-based indices
    (folder / "bad.svm").write_text("1 1:0.5 3:2\n-1 2:1\n# a comment\n\n1 3:1.5\n-1 abc:1\n")
    return folder, X, y


def test_an_svmlight_file_in_memory_and_streamed(svmlight_files, run_cli):
    from descend.io import load_model

    folder, X, y = svmlight_files
    out = run_cli("fit", "train.svm", "-o", "memory.json", "--test-size", "0", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert "a sparse matrix of 3,000 rows and 500 columns: the full batch" in said(out)
    out = run_cli(
        "fit",
        "train.svm",
        "-o",
        "streamed.json",
        "--stream",
        "--chunk-rows",
        "400",
        "--buffer-rows",
        "1000",
        cwd=folder,
    )
    assert out.returncode == 0, out.stderr
    memory, streamed = read_model(folder / "memory.json"), read_model(folder / "streamed.json")
    for document in (memory, streamed):
        assert document["preprocessing"] == {"kind": "svmlight", "n_features": 500, "zero_based": False}
        assert document["metadata"]["metrics"]["rows"] == 3000 and document["metadata"]["target"] is None
        assert document["metadata"]["metrics"]["accuracy"] >= 0.9
    # In memory, 3,000 rows take the full batch; a stream is learned online, in one pass.
    assert memory["state"]["batch_size"] is None and streamed["state"]["batch_size"] == 1
    assert streamed["state"]["n_iter"] == 1 and "converge" not in said(out)
    out = run_cli("predict", "memory.json", "train.svm", cwd=folder)
    assert out.returncode == 0, out.stderr
    printed = pd.read_csv(pd.io.common.StringIO(out.stdout))
    assert list(printed.columns) == ["prediction", "probability_-1", "probability_1"]
    np.testing.assert_array_equal(printed["prediction"], load_model(folder / "memory.json")[0].predict(X))
    out = run_cli("evaluate", "streamed.json", "train.svm", cwd=folder)
    assert out.returncode == 0, out.stderr
    assert f"{streamed['metadata']['metrics']['accuracy']:.4g}" in out.stdout


@pytest.mark.parametrize(
    "args, message",
    [
        (("fit", "bad.svm", "-o", "out.json"), "bad.svm line 6: cannot read 'abc:1' as index:value"),
        (("fit", "bad.svm", "-o", "out.json", "--stream"), "bad.svm line 6: cannot read 'abc:1' as index:value"),
        (
            ("fit", "train.svm", "-o", "out.json", "--target", "y"),
            "an svmlight file holds its labels in each line's first field: leave --target out",
        ),
        (
            ("fit", "train.svm", "-o", "out.json", "--text", "review"),
            "--text works on a table (CSV or Parquet), not on an svmlight file",
        ),
        (
            ("fit", "train.svm", "-o", "out.json", "--n-features", "100"),
            "train.svm line {line}: index {index} is beyond the 100 features (indices 1 to 100)",
        ),
    ],
)
def test_svmlight_input_errors_are_one_line(svmlight_files, args, message, run_cli):
    folder, X, _ = svmlight_files
    beyond = np.flatnonzero(X.indices >= 100)[0]  # the first entry past column 100, in the file's order
    message = message.format(
        line=int(np.searchsorted(X.indptr, beyond, side="right")),  # its line, from 1
        index=X.indices[beyond] + 1,
    )  # written one-based
    out = run_cli(*args, cwd=folder)
    assert out.returncode == 2 and out.stderr.strip() == f"error: {message}", out.stderr
    assert not (folder / "out.json").exists()


@pytest.mark.parametrize(
    "args, message",
    [
        (("--text", "reveiw"), "no column 'reveiw' (given with --text); the columns are: review, price, label"),
        (("--text", "price"), "text column 'price' holds only numbers (e.g. "),
        (("--text", "review", "--target", "review"), "--text review: 'review' is the target"),
        (("--ngram", "1,2"), "--ngram works with --text: it says how the words of text columns are hashed"),
        (
            ("--text", "review", "--ngram", "2"),
            "--ngram must be MIN,MAX with 1 <= MIN <= MAX, e.g. 1,2 for words and pairs of words; got '2'",
        ),
        (
            ("--text", "review", "--scheduler", "tcp://127.0.0.1:1"),
            "--text works in memory or with --stream, not with --scheduler: hashed words make a sparse matrix, which a "
            "Dask cluster does not train on",
        ),
    ],
)
def test_bad_text_options_are_one_line_errors(reviews, args, message, run_cli):
    folder, _ = reviews
    target = () if "--target" in args else ("--target", "label")
    out = run_cli("fit", "reviews.csv", *target, "-o", "out.json", *args, cwd=folder)
    assert out.returncode == 2, out.stdout + out.stderr
    assert out.stderr.startswith(f"error: {message}") and len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stdout + out.stderr
    assert not (folder / "out.json").exists()


def test_a_text_column_of_numbers_in_a_parquet_file_is_refused(tmp_path, run_cli):
    frame = make_reviews(100)
    frame.assign(review=np.arange(100)).to_parquet(tmp_path / "numbers.parquet")
    out = run_cli("fit", "numbers.parquet", "-t", "label", "--text", "review", "-o", "out.json", cwd=tmp_path)
    assert out.returncode == 2
    assert out.stderr.strip().startswith("error: text column 'review' holds int64 values, not text")


def test_a_model_file_from_before_text_columns_still_predicts(tmp_path, run_cli):
    """Model files written before this change have no text, hashing, standardized or dropped fields."""
    from descend.io import load_model

    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"x": rng.normal(size=200), "colour": rng.choice(["red", "blue"], 200)})
    frame["y"] = 2 * frame["x"] + (frame["colour"] == "red") + 0.1 * rng.normal(size=200)
    frame.to_csv(tmp_path / "t.csv", index=False)
    assert run_cli("fit", "t.csv", "-t", "y", "-o", "model.json", cwd=tmp_path).returncode == 0
    document = read_model(tmp_path / "model.json")
    for field in ("text", "hashed", "hashing", "standardized", "dropped"):
        document["preprocessing"].pop(field)
    (tmp_path / "old.json").write_text(json.dumps(document))
    out = run_cli("predict", "old.json", "t.csv", cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    estimator, _, _ = load_model(tmp_path / "old.json")
    X = np.column_stack([frame["x"], frame["colour"] == "blue", frame["colour"] == "red"]).astype(float)
    np.testing.assert_array_equal(pd.read_csv(pd.io.common.StringIO(out.stdout))["prediction"], estimator.predict(X))
