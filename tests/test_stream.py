"""Streaming from files: chunks, shuffling out of core, fits over chunks (issue 6, part 1)."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend import GDClassifier, GDRegressor
from descend.stream import TableStream


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    rng = np.random.default_rng(0)
    n = 5000
    frame = pd.DataFrame(rng.standard_normal((n, 3)), columns=["a", "b", "c"])
    frame["kind"] = rng.choice(["x", "y"], n)
    frame["target"] = frame[["a", "b", "c"]].to_numpy() @ [1.0, -2.0, 0.5] + 3.0 * (frame["kind"] == "x") \
        + 0.1 * rng.standard_normal(n)
    frame["label"] = np.where(frame["target"] > frame["target"].median(), "high", "low")
    pq.write_table(pa.Table.from_pandas(frame), folder / "data.parquet", row_group_size=500)
    frame.to_csv(folder / "data.csv", index=False)
    return folder, frame


@pytest.mark.parametrize("name", ["data.parquet", "data.csv"])
def test_an_epoch_yields_every_row_once(files, name):
    folder, frame = files
    source = TableStream(folder / name, "target", chunk_rows=300, buffer_rows=1000)
    chunks = list(source.epoch(np.random.RandomState(0)))
    assert all(len(y) <= 300 for _, y in chunks)
    X = np.vstack([c[0] for c in chunks])
    assert X.shape == (5000, 7)  # a, b, c, kind=x, kind=y and the label's two columns
    np.testing.assert_allclose(np.sort(np.concatenate([c[1] for c in chunks])), np.sort(frame["target"]))
    # Shuffled: the first chunk is not the first rows of the file.
    assert not np.allclose(chunks[0][1][:50], frame["target"].to_numpy()[:50])


def test_a_streamed_fit_finds_the_in_memory_solution(files):
    folder, _ = files
    source = TableStream(folder / "data.parquet", "target", chunk_rows=512, buffer_rows=2048)
    model = GDRegressor(optimizer="adam", learning_rate=0.01, batch_size=16, max_iter=8, tol=None,
                        random_state=0).fit(source)
    names = source.preprocessor.output_names
    coef = dict(zip(names, model.coef_, strict=True))
    assert coef["a"] == pytest.approx(1.0, abs=0.05) and coef["b"] == pytest.approx(-2.0, abs=0.05)
    assert coef["kind=x"] - coef["kind=y"] == pytest.approx(3.0, abs=0.1)
    assert model.n_iter_ == 8 and model.rows_seen_ == 8 * 5000
    again = GDRegressor(optimizer="adam", learning_rate=0.01, batch_size=16, max_iter=8, tol=None,
                        random_state=0).fit(TableStream(folder / "data.parquet", "target", chunk_rows=512,
                                                        buffer_rows=2048))
    np.testing.assert_array_equal(again.coef_, model.coef_)  # same seed, same fit


def test_classifier_on_a_stream_and_partial_fit_on_an_iterator(files):
    folder, frame = files
    source = TableStream(folder / "data.csv", "label", chunk_rows=700)
    model = GDClassifier(batch_size=32, max_iter=3, tol=None, random_state=0).fit(source)
    assert list(model.classes_) == ["high", "low"]
    X = frame[["a", "b", "c"]].to_numpy()
    y = frame["target"].to_numpy()
    online = GDRegressor(batch_size=8, learning_rate=0.01)
    online.partial_fit(((X[i:i + 500], y[i:i + 500]) for i in range(0, 5000, 500)))
    assert online.n_iter_ == 1 and online.rows_seen_ == 5000
    with pytest.raises(ValueError, match="one epoch"):
        GDRegressor(max_iter=2).fit(iter([(X, y)]))
    with pytest.raises(ValueError, match="classes up front"):
        GDClassifier().fit(iter([(X, frame["label"].to_numpy())]))
