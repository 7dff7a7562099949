"""svmlight / libsvm files, in memory and streamed, and their errors (issue 14, part 4)."""

import numpy as np
import pytest
import scipy.sparse as sp
from sklearn.datasets import dump_svmlight_file, load_svmlight_file

from descend.readers.svmlight import SvmlightFormat, SvmlightStream, read_svmlight
from descend.readers.tables import DataError


def write_rows(path, X, y, zero_based):
    dump_svmlight_file(X, y, str(path), zero_based=zero_based)
    return path


@pytest.fixture(scope="module")
def data():
    X = sp.random(500, 40, density=0.1, format="csr", random_state=2)
    keep = np.ones(500)
    keep[3] = 0  # a row with no entry
    X = (sp.diags(keep) @ X).tocsr()
    X.eliminate_zeros()
    assert X[:, 0].nnz and X[:, -1].nnz and X[3].nnz == 0
    return X, np.arange(500, dtype=float)  # one label a row: which row is which, once shuffled


@pytest.mark.parametrize("zero_based", [True, False])
def test_read_equals_scikit_learns_reader_and_keeps_its_index_base(tmp_path, data, zero_based):
    X, y = data
    path = write_rows(tmp_path / "rows.svm", X, y, zero_based)
    read, labels, found = read_svmlight(path)
    expected, expected_labels = load_svmlight_file(str(path))  # zero_based="auto"
    assert (read != expected).nnz == 0 and read.shape == expected.shape
    np.testing.assert_array_equal(labels, expected_labels)
    # Written zero-based, column 0 is index 0; written one-based, no index is 0: each read back as written.
    assert found == SvmlightFormat(40, zero_based=zero_based)
    np.testing.assert_allclose(read.toarray(), X.toarray(), rtol=1e-15)  # written with 16 digits


def test_a_stream_reads_the_same_matrix_and_shuffles_every_row_once(tmp_path, data):
    X, y = data
    path = write_rows(tmp_path / "rows.svm", X, y, False)
    read, labels, found = read_svmlight(path)
    source = SvmlightStream(path, chunk_rows=64, buffer_rows=150, shuffle=False, task="regression")
    assert (source.n_rows, source.n_features, source.format) == (500, found.n_features, found)
    chunks = list(source.epoch())
    assert all(chunk[0].shape[0] <= 64 for chunk in chunks)
    assert (sp.vstack([c[0] for c in chunks]) != read).nnz == 0
    np.testing.assert_array_equal(np.concatenate([c[1] for c in chunks]), labels)

    source = SvmlightStream(path, chunk_rows=64, buffer_rows=150, task="regression")
    chunks = list(source.epoch(np.random.RandomState(0)))
    rows = np.concatenate([c[1] for c in chunks]).astype(int)
    assert sorted(rows) == list(range(500)) and rows[:50].tolist() != list(range(50))
    stacked = sp.vstack([c[0] for c in chunks], format="csr")
    assert (stacked[np.argsort(rows)] != read).nnz == 0


def test_comments_blank_lines_and_classes(tmp_path):
    path = tmp_path / "small.svm"
    path.write_text("# written by hand\n1 1:0.5 3:2 # a comment\n\n-1 qid:4 2:1\n1\n")
    X, y, found = read_svmlight(path)
    assert found == SvmlightFormat(3, zero_based=False)
    np.testing.assert_array_equal(X.toarray(), [[0.5, 0, 2], [0, 1, 0], [0, 0, 0]])
    source = SvmlightStream(path, chunk_rows=2)
    assert source.task == "classification" and source.classes.tolist() == [-1, 1]
    assert source.classes.dtype.kind == "i"  # whole-number labels are classes 1 and -1, not 1.0 and -1.0
    assert sorted(np.concatenate([c[1] for c in source.epoch()]).tolist()) == [-1, 1, 1]


@pytest.mark.parametrize(
    "line, message",
    [
        ("x 1:2", "cannot read 'x' as a label (a number)"),
        ("1 2", "cannot read '2' as index:value"),
        ("1 abc:1", "cannot read 'abc:1' as index:value"),
        ("1 2:abc", "cannot read '2:abc' as index:value"),
        ("1 1: 0.5", "cannot read '1:' as index:value"),
        ("1 3:1 2:2", "indices must increase along a line, 2 comes after 3"),
        ("1 2:1 2:2", "indices must increase along a line, 2 comes after 2"),
        ("1 -1:2", "index -1 is negative"),
        ("1 2:nan", "a value is not finite (nan or inf)"),
        ("inf 2:1", "a value is not finite (nan or inf)"),
    ],
)
def test_a_bad_line_is_named_by_its_number(tmp_path, line, message):
    path = tmp_path / "bad.svm"
    path.write_text("1 1:0.5 3:2\n-1 2:1\n# a comment\n\n1 3:1.5\n" + line + "\n1 1:1\n")
    with pytest.raises(DataError) as caught:
        read_svmlight(path)
    assert str(caught.value) == f"{path} line 6: {message}"
    with pytest.raises(DataError) as caught:
        SvmlightStream(path, chunk_rows=4)  # the bad line in the second block
    assert str(caught.value) == f"{path} line 6: {message}"


def test_the_columns_given_and_an_index_beyond_them(tmp_path):
    path = tmp_path / "rows.svm"
    path.write_text("1 1:0.5 3:2\n-1 2:1\n1 7:1\n")
    X, _, found = read_svmlight(path, n_features=10)
    assert X.shape == (3, 10) and found == SvmlightFormat(10, zero_based=False)
    for read in (lambda: read_svmlight(path, n_features=5), lambda: SvmlightStream(path, n_features=5, chunk_rows=1)):
        with pytest.raises(DataError, match=r"rows.svm line 3: index 7 is beyond the 5 features \(indices 1 to 5\)"):
            read()


def test_a_file_to_predict_is_read_as_the_training_file_was(tmp_path):
    """A model trained on one-based indices reads a new file one-based, whatever the file holds."""
    trained = SvmlightFormat(4, zero_based=False)
    path = tmp_path / "new.svm"
    path.write_text("0 2:1\n")  # no index 1: on its own, "auto" would read it one-based too
    X, _ = trained.read(path)
    np.testing.assert_array_equal(X.toarray(), [[0, 1, 0, 0]])
    path.write_text("0 2:1\n0 0:1\n")
    with pytest.raises(DataError, match="new.svm line 2: index 0 in a file whose indices start at 1"):
        trained.read(path)
    assert SvmlightFormat.from_dict(trained.to_dict()) == trained
    assert trained.to_dict() == {"kind": "svmlight", "n_features": 4, "zero_based": False}


@pytest.mark.parametrize("text, message", [("", "is empty"), ("# nothing\n\n", "holds no rows")])
def test_a_file_without_rows_is_refused(tmp_path, text, message):
    path = tmp_path / "none.svm"
    path.write_text(text)
    for read in (lambda: read_svmlight(path), lambda: SvmlightStream(path)):
        with pytest.raises(DataError, match=message):
            read()
