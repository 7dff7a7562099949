"""Streaming from files: chunks, shuffling out of core, fits over chunks (issue 6, part 1)."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from descend import GDClassifier, GDRegressor
from descend.readers.stream import TableStream
from descend.readers.tables import DataError


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stream")
    rng = np.random.default_rng(0)
    n = 5000
    frame = pd.DataFrame(rng.standard_normal((n, 3)), columns=["a", "b", "c"])
    frame["kind"] = rng.choice(["x", "y"], n)
    frame["target"] = (
        frame[["a", "b", "c"]].to_numpy() @ [1.0, -2.0, 0.5]
        + 3.0 * (frame["kind"] == "x")
        + 0.1 * rng.standard_normal(n)
    )
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
    model = GDRegressor(optimizer="adam", learning_rate=0.01, batch_size=16, max_iter=8, tol=None, random_state=0).fit(
        source
    )
    names = source.preprocessor.output_names
    coef = dict(zip(names, model.coef_, strict=True))
    assert coef["a"] == pytest.approx(1.0, abs=0.05) and coef["b"] == pytest.approx(-2.0, abs=0.05)
    assert coef["kind=x"] - coef["kind=y"] == pytest.approx(3.0, abs=0.1)
    assert model.n_iter_ == 8 and model.rows_seen_ == 8 * 5000
    again = GDRegressor(optimizer="adam", learning_rate=0.01, batch_size=16, max_iter=8, tol=None, random_state=0).fit(
        TableStream(folder / "data.parquet", "target", chunk_rows=512, buffer_rows=2048)
    )
    np.testing.assert_array_equal(again.coef_, model.coef_)  # same seed, same fit


def test_classifier_on_a_stream_and_partial_fit_on_an_iterator(files):
    folder, frame = files
    source = TableStream(folder / "data.csv", "label", chunk_rows=700)
    model = GDClassifier(batch_size=32, max_iter=3, tol=None, random_state=0).fit(source)
    assert list(model.classes_) == ["high", "low"]
    X = frame[["a", "b", "c"]].to_numpy()
    y = frame["target"].to_numpy()
    online = GDRegressor(batch_size=8, learning_rate=0.01)
    online.partial_fit((X[i : i + 500], y[i : i + 500]) for i in range(0, 5000, 500))
    assert online.n_iter_ == 1 and online.rows_seen_ == 5000
    with pytest.raises(ValueError, match="one epoch"):
        GDRegressor(max_iter=2).fit(iter([(X, y)]))
    with pytest.raises(ValueError, match="classes up front"):
        GDClassifier().fit(iter([(X, frame["label"].to_numpy())]))


# ------------------------------------------------- the numeric fast path and the shuffle windows
@pytest.fixture(scope="module")
def numeric(tmp_path_factory):
    """Numbers only (the fast path), 3,000 rows in row groups of 700; every target is distinct."""
    folder = tmp_path_factory.mktemp("numeric")
    rng = np.random.default_rng(1)
    X = rng.standard_normal((3000, 4))
    frame = pd.DataFrame(X, columns=["a", "b", "c", "d"])
    frame["y"] = X @ [1.0, -1.0, 2.0, 0.5] + 0.05 * rng.standard_normal(3000)
    path = folder / "numbers.parquet"
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), path, row_group_size=700)
    return path, frame


def _file_rows(blocks, frame):
    """The file's row number of each row handed out, in order; checks each row's values exactly."""
    where = {value: i for i, value in enumerate(frame["y"])}
    rows = []
    for X, y, chosen in blocks:
        for x, target in zip(X[chosen], y[chosen], strict=True):
            i = where[target]
            np.testing.assert_array_equal(x, frame[["a", "b", "c", "d"]].to_numpy()[i])
            rows.append(i)
    return np.array(rows)


@pytest.mark.parametrize("buffer_rows", [1000, 2100, 5000])
def test_numbers_go_straight_to_the_buffer_each_row_once(numeric, buffer_rows):
    path, frame = numeric
    source = TableStream(path, "y", chunk_rows=300, buffer_rows=buffer_rows)
    rows = _file_rows(source.blocks(np.random.RandomState(0)), frame)
    np.testing.assert_array_equal(np.sort(rows), np.arange(3000))
    # A window of the buffer mixes rows of several row groups, in no file order.
    first = rows[: min(buffer_rows, 3000)]
    assert len(np.unique(first // 700)) > 1
    assert not np.all(np.diff(first) > 0)


def test_without_shuffling_rows_come_in_file_order(numeric):
    path, frame = numeric
    source = TableStream(path, "y", chunk_rows=256, shuffle=False)
    np.testing.assert_array_equal(_file_rows(source.blocks(np.random.RandomState(0)), frame), np.arange(3000))
    # Row groups shuffled, no buffer: each group's rows in order, the groups in a random order.
    source = TableStream(path, "y", chunk_rows=256, buffer_rows=0)
    rows = _file_rows(source.blocks(np.random.RandomState(0)), frame)
    groups = rows // 700
    starts = np.flatnonzero(np.diff(groups)) + 1
    assert len(starts) == 4 and not np.all(np.diff(groups[np.r_[0, starts]]) > 0)
    assert np.all(np.diff(rows)[np.diff(groups) == 0] == 1)


def test_same_seed_same_epoch(numeric):
    path, frame = numeric
    source = TableStream(path, "y", chunk_rows=300, buffer_rows=1000)
    first = _file_rows(source.blocks(np.random.RandomState(3)), frame)
    np.testing.assert_array_equal(_file_rows(source.blocks(np.random.RandomState(3)), frame), first)
    assert not np.array_equal(_file_rows(source.blocks(np.random.RandomState(4)), frame), first)


def test_training_on_the_buffer_equals_training_on_copies_of_its_chunks(numeric):
    """The estimators read the shuffle buffer in place and skip re-checking it: the same steps as
    on copied, fully validated chunks of the same epoch."""
    path, _ = numeric
    source = TableStream(path, "y", chunk_rows=300, buffer_rows=1000)
    settings = dict(optimizer="adam", learning_rate=0.01, batch_size=16, max_iter=1, tol=None, random_state=0)
    in_place = GDRegressor(**settings).fit(source)
    chunks = list(source.epoch(np.random.RandomState(0)))
    copied = GDRegressor(**settings).fit(iter(chunks))
    np.testing.assert_array_equal(in_place.coef_, copied.coef_)
    np.testing.assert_array_equal(in_place.intercept_, copied.intercept_)
    assert in_place.rows_seen_ == 3000


def test_a_hole_or_an_infinity_past_the_first_rows_is_named(tmp_path, numeric):
    _, frame = numeric
    holed = frame.copy()
    holed.loc[2500, "b"] = np.nan
    pq.write_table(pa.Table.from_pandas(holed, preserve_index=False), tmp_path / "holed.parquet", row_group_size=700)
    source = TableStream(tmp_path / "holed.parquet", "y", sample_rows=500)
    with pytest.raises(ValueError, match=r"missing values in column\(s\) 'b' \(data rows 2501\)"):
        list(source.epoch(np.random.RandomState(0)))
    # With imputation, the hole gets the fill learned on the first rows.
    source = TableStream(tmp_path / "holed.parquet", "y", sample_rows=500, impute="mean", shuffle=False)
    X = np.vstack([X for X, _ in source.epoch()])
    assert X[2500, 1] == source.preprocessor.fill["b"] == pytest.approx(frame["b"][:500].mean())
    assert np.isfinite(X).all()

    infinite = frame.copy()
    infinite.loc[2900, "c"] = np.inf
    pq.write_table(pa.Table.from_pandas(infinite, preserve_index=False), tmp_path / "inf.parquet", row_group_size=700)
    with pytest.raises(ValueError, match=r"'c' contains infinite values \(data rows 2901\)"):
        list(TableStream(tmp_path / "inf.parquet", "y", sample_rows=500).epoch(np.random.RandomState(0)))
    target = frame.copy()
    target.loc[2600, "y"] = -np.inf
    pq.write_table(pa.Table.from_pandas(target, preserve_index=False), tmp_path / "target.parquet", row_group_size=700)
    with pytest.raises(ValueError, match=r"'y' contains infinite values \(data rows 2601\)"):
        GDRegressor(max_iter=1, tol=None).fit(TableStream(tmp_path / "target.parquet", "y", sample_rows=500))


def test_the_reader_thread_stops_with_the_epoch_and_passes_its_errors_on(numeric, monkeypatch):
    import threading

    path, _ = numeric
    source = TableStream(path, "y", chunk_rows=300, buffer_rows=1000)
    blocks = source.blocks(np.random.RandomState(0))
    next(blocks)
    blocks.close()  # the training loop stopped early (an error, a divergence)
    assert not [t for t in threading.enumerate() if t.name.startswith("descend-read")]

    calls = []
    method = "_group_piece" if source.plan.groups else "_piece"  # row groups read whole, or in slices
    real = getattr(TableStream, method)

    def failing(self, *args):
        calls.append(1)
        if len(calls) == 3:
            raise OSError("the disk went away")
        return real(self, *args)

    monkeypatch.setattr(TableStream, method, failing)
    with pytest.raises((OSError, DataError), match="the disk went away"):  # a whole group's read names its file
        GDRegressor(max_iter=1, tol=None).fit(source)
    assert not [t for t in threading.enumerate() if t.name.startswith("descend-read")]
    assert len(calls) == 3  # of 5 row groups: nothing was read after the failure


def test_a_text_column_is_hashed_chunk_by_chunk_as_the_whole_file_is(tmp_path):
    """Hashing learns nothing: the chunks of a stream, stacked, are the matrix of the whole file."""
    import scipy.sparse as sp

    rng = np.random.default_rng(0)
    n = 700
    words = np.array(["good", "bad", "fine", "slow", "quick", "price", "box"])
    frame = pd.DataFrame(
        {
            "review": [" ".join(rng.choice(words, rng.integers(1, 6))) for _ in range(n)],
            "x": rng.normal(size=n),
            "label": rng.choice(["yes", "no"], n),
        }
    )
    frame.loc[[10, 600], "review"] = np.nan  # in the first rows, and past them
    frame.to_csv(tmp_path / "texts.csv", index=False)
    source = TableStream(
        tmp_path / "texts.csv",
        "label",
        chunk_rows=128,
        buffer_rows=300,
        shuffle=False,
        text=["review"],
        n_features=512,
        sample_rows=200,
    )
    assert source.n_features == 1 + 512 and source.classes.tolist() == ["no", "yes"]
    assert any("text column 'review' has 1 missing value (data row 11)" in notice for notice in source.notices)
    chunks = list(source.epoch())
    assert all(sp.isspmatrix_csr(X) and X.shape[0] <= 128 for X, _ in chunks)
    whole = source.preprocessor.transform(
        pd.read_csv(tmp_path / "texts.csv", dtype={"review": str}), allowed_extra=("label",)
    )
    assert (sp.vstack([X for X, _ in chunks]) != whole).nnz == 0
    np.testing.assert_array_equal(np.concatenate([y for _, y in chunks]), frame["label"])

    shuffled = TableStream(
        tmp_path / "texts.csv",
        "label",
        chunk_rows=128,
        buffer_rows=300,
        text=["review"],
        n_features=512,
        sample_rows=200,
    )
    chunks = list(shuffled.epoch(np.random.RandomState(0)))
    X = sp.vstack([X for X, _ in chunks], format="csr")
    column, expected = X[:, 0].toarray().ravel(), whole[:, 0].toarray().ravel()  # x, a different value a row
    assert (np.sort(column) == np.sort(expected)).all() and (column != expected).any()  # each row once, shuffled
    model = GDClassifier(batch_size=1, standardize=False, schedule="optimal", max_iter=2, tol=None, random_state=0).fit(
        shuffled
    )
    assert model.coef_.shape == (1, 513)


# ------------------------------------------------- the memory budget, and folders or globs of files
def test_memory_sizes_and_the_plan(numeric):
    from descend.readers.stream import memory_bytes

    assert memory_bytes("256MB") == 256 * 10**6 and memory_bytes("1.5 GB") == 1_500_000_000
    assert memory_bytes("512MiB") == 512 * 2**20 and memory_bytes(4096) == 4096
    for bad in ("lots", "12 parsecs", "-1MB", 0):
        with pytest.raises(ValueError, match="memory must be"):
            memory_bytes(bad)
    path, _ = numeric
    source = TableStream(path, "y", memory="1MB")
    plan = source.plan
    assert plan.buffer_rows >= 1 and 1 <= plan.piece_rows <= 700  # a slice of a row group at most
    assert plan.reader_bytes + plan.piece_rows * 4 * plan.row_bytes + plan.buffer_rows * plan.buffer_row_bytes <= 10**6
    assert "memory 1 MB: a shuffle buffer of" in source.memory_notice
    X = np.vstack([X for X, _ in source.epoch(np.random.RandomState(0))])
    assert X.shape == (3000, 4)
    with pytest.raises(ValueError, match=r"memory=0.001 MB is too small for .*numbers.parquet"):
        TableStream(path, "y", memory="1kB")
    with pytest.raises(ValueError, match="buffer_rows=100,000 takes"):
        TableStream(path, "y", memory="1MB", buffer_rows=100_000)


def test_many_columns_are_read_a_window_at_a_time(tmp_path):
    """Columns too many for Arrow to read all at once under the budget: windows of rows, a few columns
    at a time; the same rows, each once."""
    rng = np.random.default_rng(4)
    X = rng.standard_normal((2000, 60))
    frame = pd.DataFrame(X, columns=[f"x{i}" for i in range(60)]).assign(y=X.sum(axis=1))
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "wide.parquet", row_group_size=1000)
    source = TableStream(tmp_path / "wide.parquet", "y", memory="1.2MB", shuffle=False, chunk_rows=100)
    assert source.plan.windows and source.plan.column_batch < 61 and source.plan.piece_rows < 1000
    assert "column(s) at a time" in source.memory_notice
    chunks = list(source.epoch())
    np.testing.assert_array_equal(np.vstack([c[0] for c in chunks]), X)
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), frame["y"])
    shuffled = TableStream(tmp_path / "wide.parquet", "y", memory="1.2MB", chunk_rows=100, buffer_rows=500)
    assert shuffled.plan.windows and shuffled.plan.piece_rows < 1000
    rows = np.vstack([X for X, _, _ in [(X[r], y, r) for X, y, r in shuffled.blocks(np.random.RandomState(1))]])
    assert sorted(map(tuple, rows)) == sorted(map(tuple, X)) and (rows != X).any()  # each row once, shuffled

    frame.loc[1234, "x17"] = np.nan  # a hole in a window: the general path names it
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), tmp_path / "holed.parquet", row_group_size=1000)
    with pytest.raises(DataError, match="x17"):
        list(TableStream(tmp_path / "holed.parquet", "y", memory="1.2MB", shuffle=False, chunk_rows=100).epoch())


@pytest.fixture(scope="module")
def split(tmp_path_factory, numeric):
    """The numeric table as one file of 8 row groups and as a folder of 8 files, one group each."""
    folder = tmp_path_factory.mktemp("split")
    _, frame = numeric
    frame = frame.iloc[:2400]
    pq.write_table(pa.Table.from_pandas(frame, preserve_index=False), folder / "one.parquet", row_group_size=300)
    (folder / "parts").mkdir()
    for k in range(8):
        pq.write_table(
            pa.Table.from_pandas(frame.iloc[300 * k : 300 * (k + 1)], preserve_index=False),
            folder / "parts" / f"part-{k}.parquet",
        )
    frame.iloc[:1200].to_csv(folder / "parts-a.csv", index=False)
    frame.iloc[1200:].to_csv(folder / "parts-b.csv", index=False)
    return folder, frame


@pytest.mark.parametrize("data", ["parts", "parts/*.parquet"])
def test_a_folder_or_a_glob_of_files_fits_like_the_one_file(split, data):
    folder, frame = split
    settings = dict(optimizer="adam", learning_rate=0.01, batch_size=16, max_iter=3, tol=None, random_state=0)
    one = GDRegressor(**settings).fit(TableStream(folder / "one.parquet", "y", chunk_rows=256, buffer_rows=700))
    stream = TableStream(str(folder / data), "y", chunk_rows=256, buffer_rows=700)
    assert len(stream.files) == 8 and stream.n_rows == 2400
    many = GDRegressor(**settings).fit(stream)
    np.testing.assert_allclose(many.coef_, one.coef_, rtol=0, atol=1e-12)
    np.testing.assert_allclose(many.intercept_, one.intercept_, rtol=0, atol=1e-12)
    X = frame[["a", "b", "c", "d"]].to_numpy()
    np.testing.assert_allclose(many.predict(X), one.predict(X), rtol=0, atol=1e-12)
    # Shuffled across files: the first window mixes rows of several files.
    rows = _file_rows(stream.blocks(np.random.RandomState(0)), frame)
    np.testing.assert_array_equal(np.sort(rows), np.arange(2400))
    assert len(np.unique(rows[:700] // 300)) > 2
    csv = list(TableStream(str(folder / "parts-*.csv"), "y", shuffle=False).epoch())
    np.testing.assert_array_equal(np.concatenate([y for _, y in csv]), frame["y"])


def test_files_that_disagree_none_at_all_or_one_gone(split, tmp_path):
    folder, frame = split
    with pytest.raises(ValueError, match=r"no file matches .*nothing-\*\.parquet"):
        TableStream(str(tmp_path / "nothing-*.parquet"), "y")
    with pytest.raises(ValueError, match="folder with no .parquet or .csv file"):
        TableStream(tmp_path, "y")
    frame.iloc[:100].to_parquet(tmp_path / "a.parquet", index=False)
    frame.iloc[100:200].rename(columns={"c": "see"}).to_parquet(tmp_path / "b.parquet", index=False)
    with pytest.raises(ValueError, match=r"b.parquet has no column 'c', which a.parquet has"):
        TableStream(tmp_path, "y")
    frame.iloc[100:200].drop(columns=["c"]).to_csv(tmp_path / "b.csv", index=False)
    with pytest.raises(ValueError, match=r"b.csv is not of the kind of .*a.parquet"):
        TableStream(str(tmp_path / "[ab].*"), "y")
    (tmp_path / "b.parquet").unlink()
    frame.iloc[100:200].to_parquet(tmp_path / "b.parquet", index=False)
    stream = TableStream(str(tmp_path / "*.parquet"), "y")
    (tmp_path / "b.parquet").unlink()  # gone before the epoch reads it
    with pytest.raises(ValueError, match=r"b.parquet could not be read while streaming .*moved or deleted"):
        GDRegressor(max_iter=1, tol=None).fit(stream)


def test_the_progress_bar_of_a_stream_says_rows_and_megabytes_a_second(numeric, capsys):
    from descend.linear._trainer import rate_text

    assert rate_text(2_494_000, 210.8) == "2.49M rows/s, 526 MB/s"
    assert rate_text(12_345, None) == "12.3k rows/s" and rate_text(9e6, 400) == "9M rows/s, 3,600 MB/s"
    assert rate_text(None, 210.8) == ""  # no pace measured yet
    path, _ = numeric
    source = TableStream(path, "y", chunk_rows=300, buffer_rows=600)
    assert source.bytes_per_row == pytest.approx(path.stat().st_size / 3000)
    GDRegressor(max_iter=2, tol=None, verbose=1, batch_size=32).fit(source)
    out = capsys.readouterr().out
    assert "6000/6000 rows" in out and " rows/s, " in out and " MB/s" in out
    GDRegressor(max_iter=1, tol=None, verbose=1).fit(np.ones((50, 2)), np.ones(50))
    assert "rows/s" not in capsys.readouterr().out  # arrays in memory: no files to measure


def test_listed_files_are_checked_as_every_data_file_is(split, tmp_path):
    folder, _ = split
    parts = sorted((folder / "parts").glob("part-*.parquet"))
    (tmp_path / "empty.parquet").write_bytes(b"")
    (tmp_path / "sub.parquet").mkdir()
    with pytest.raises(DataError, match=r"empty.parquet is empty"):
        TableStream([parts[0], tmp_path / "empty.parquet"], "y")
    with pytest.raises(DataError, match=r"sub.parquet is a folder, not a data file"):
        TableStream([parts[0], tmp_path / "sub.parquet"], "y")
    with pytest.raises(DataError, match=r"no such file: .*gone.parquet"):
        TableStream([parts[0], tmp_path / "gone.parquet"], "y")
