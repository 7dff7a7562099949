"""Files that a Dask cluster reads itself (issue 16, item 4): a LocalCluster of 2 worker processes, 8 Parquet files."""

import numpy as np
import pandas as pd
import pytest

distributed = pytest.importorskip("distributed")

from descend import GDClassifier, GDRegressor  # noqa: E402
from descend.readers import dask_tables as dask_table  # noqa: E402
from descend.readers.dask_tables import DaskTable  # noqa: E402
from descend.readers.tables import DataError, TablePreprocessor, clean_target, infer_task, target_array  # noqa: E402


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    with distributed.Client(cluster) as client:
        yield client
    cluster.close()


def table(n=4000, seed=0):
    """Numbers on several scales, a category, a row number, a shuffled identifier, a few missing values."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, 3)) * [1, 3, 0.5] + [0, 1, 2]
    colour = rng.choice(["red", "green", "blue"], n)
    y = X @ [1.0, -2.0, 0.5] + (colour == "red") * 2.0 + 1.0 + 0.3 * rng.standard_normal(n)
    frame = pd.DataFrame(X, columns=["a", "b", "c"]).assign(
        colour=colour, row=np.arange(n), code=rng.permutation(n) + 10_000, y=y
    )
    frame.loc[[3, n // 2, n - 1], "y"] = np.nan
    frame.loc[[7, n // 2 + 100], "a"] = np.nan
    return frame


def write_parts(frame, folder, parts=8):
    folder.mkdir()
    for index, part in enumerate(np.array_split(np.arange(len(frame)), parts)):
        frame.iloc[part].to_parquet(folder / f"part{index}.parquet", index=False)
    return folder


def in_memory(frame, target, impute, task=None):
    """What descend fit does with a table in memory, on every row: (preprocessor, notices, X, y, task)."""
    notices = []
    frame = clean_target(frame.reset_index(drop=True), target, notices)
    task = task or infer_task(frame[target])
    preprocessor = TablePreprocessor(impute).fit(frame, target, notices, whole=frame)
    return (
        preprocessor,
        notices,
        preprocessor.transform(frame, allowed_extra=(target,)),
        target_array(frame[target], task),
        task,
    )


def assert_same_model(ours, reference):
    scale = np.abs(reference.coef_).max()
    np.testing.assert_allclose(ours.coef_, reference.coef_, rtol=1e-8, atol=1e-8 * scale)
    np.testing.assert_allclose(ours.intercept_, reference.intercept_, rtol=1e-8, atol=1e-8 * scale)
    np.testing.assert_allclose(ours.history_["loss"], reference.history_["loss"], rtol=1e-8)


def test_full_batch_from_8_parquet_files_equals_the_in_memory_fit(client, tmp_path):
    frame = table()
    files = DaskTable(write_parts(frame, tmp_path / "parts"), "y", impute="mean")
    assert len(files.files) == 8 and files.n_rows == 3997
    preprocessor, notices, X, y, task = in_memory(frame, "y", "mean")
    assert files.notices == notices  # the dropped targets, the two identifiers, in the same words
    assert files.task == task == "regression"
    ours, theirs = files.preprocessor.to_dict(), preprocessor.to_dict()
    np.testing.assert_allclose([ours["fill"][c] for c in "abc"], [theirs["fill"][c] for c in "abc"], rtol=1e-12)
    assert {**ours, "fill": None} == {**theirs, "fill": None}
    settings = dict(penalty="elasticnet", alpha=0.01, max_iter=20, tol=None)
    model = GDRegressor(**settings).fit(files)
    assert_same_model(model, GDRegressor(**settings).fit(X, y))
    assert list(model.feature_names_in_) == preprocessor.output_names


def test_a_classifier_of_text_labels_from_files(client, tmp_path):
    frame = table(seed=1).drop(columns=["code"])
    frame["y"] = np.where(frame["y"].isna(), None, np.digitize(frame["y"], [-1.0, 2.0]).astype(str))
    frame["y"] = frame["y"].map({"0": "low", "1": "mid", "2": "high", None: None})
    files = DaskTable(write_parts(frame, tmp_path / "parts"), "y", impute="median")
    _, _, X, y, task = in_memory(frame, "y", "median")
    assert files.task == task == "classification" and list(files.classes) == ["high", "low", "mid"]
    model = GDClassifier(max_iter=15, tol=None).fit(files)
    assert_same_model(model, GDClassifier(max_iter=15, tol=None).fit(X, y))


def test_the_median_is_exact_when_narrowed_in_bins(client, tmp_path, monkeypatch):
    monkeypatch.setattr(dask_table, "MEDIAN_VALUES", 40)  # a few passes of counts in bins, then the values
    monkeypatch.setattr(dask_table, "MEDIAN_BINS", 16)
    frame = table(n=3001, seed=2)
    frame["b"] = np.round(frame["b"])  # many equal values
    files = DaskTable(write_parts(frame, tmp_path / "parts"), "y", impute="median")
    preprocessor = in_memory(frame, "y", "median")[0]
    assert files.preprocessor.to_dict()["fill"] == preprocessor.to_dict()["fill"]


def test_mini_batches_read_the_files_again_each_epoch(client, tmp_path, monkeypatch):
    files = DaskTable(write_parts(table(), tmp_path / "parts"), "y", impute="mean")

    def refuse(*args, **kwargs):
        raise AssertionError("mini-batches on files persist nothing")

    monkeypatch.setattr(client, "persist", refuse)
    model = GDRegressor(batch_size=32, max_iter=4, tol=None, random_state=0).fit(files)
    np.testing.assert_allclose(model.coef_[:3], [1.0, -2.0, 0.5], atol=0.1)


def test_bad_files_are_clear_errors(client, tmp_path):
    with pytest.raises(DataError, match="no file matches"):
        DaskTable(str(tmp_path / "nothing" / "*.parquet"), "y")
    folder = write_parts(table(n=400), tmp_path / "parts", parts=3)
    pd.read_parquet(folder / "part1.parquet").rename(columns={"b": "B"}).to_parquet(folder / "part1.parquet")
    with pytest.raises(DataError, match=r"part1.parquet has no column 'b', which part0.parquet has"):
        DaskTable(folder, "y")
    with pytest.raises(DataError, match="no column 'price'"):
        DaskTable(folder / "part0.parquet", "price")
