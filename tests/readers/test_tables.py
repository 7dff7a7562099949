"""Tables to matrices: which columns are numbers with typos, which are identifiers (issue 12, part 3)."""

import numpy as np
import pandas as pd
import pytest

from descend.readers.tables import (
    ID_MIN_ROWS,
    SHORT_LABEL,
    DataError,
    TablePreprocessor,
    check_columns,
    clean_target,
    target_array,
)


def fit(frame, target="y"):
    notices = []
    return TablePreprocessor().fit(frame, target, notices), notices


@pytest.mark.parametrize(
    "values, row, value, numbers",
    [
        (["2", "x", "8", "1"], 2, "x", "3 of its 4"),  # the table: 75% numbers, one word
        (["2", "3", "?"], 3, "?", "2 of its 3"),
        (["1", "2", "3", "n.a.", "5", "-"], 4, "n.a.", "4 of its 6"),  # two words among four numbers
    ],
)
def test_a_small_column_of_numbers_with_a_word_names_the_word_and_its_row(values, row, value, numbers):
    frame = pd.DataFrame({"b": values, "y": np.arange(len(values), dtype=float)})
    with pytest.raises(DataError) as caught:
        check_columns(frame, ["b"])
    message = str(caught.value)
    assert message.startswith(f"column 'b' is numeric but holds non-numeric values: data row {row} ({value!r})")
    assert f"({numbers} values are numbers)" in message
    with pytest.raises(DataError, match=f"data row {row} "):
        fit(frame)  # the preprocessor checks before it looks for identifiers


def test_data_rows_are_the_files_rows_after_rows_without_a_target_are_dropped():
    frame = pd.DataFrame({"b": ["1", "2", "3", "4", "oops", "6"], "y": [1.0, np.nan, 3.0, 4.0, 5.0, 6.0]})
    notices = []
    kept = clean_target(frame, "y", notices)
    with pytest.raises(DataError, match=r"data row 5 \('oops'\)"):
        check_columns(kept, ["b"])


@pytest.mark.parametrize(
    "values",
    [
        ["1", "x"],  # half and half: nothing says which is the typo
        ["1", "2", "a", "b", "c"],  # mostly words
        ["red", "green", "blue", "red"],
    ],
)
def test_a_column_of_words_is_a_category(values):
    frame = pd.DataFrame({"c": values, "y": np.arange(len(values), dtype=float)})
    check_columns(frame, ["c"])  # no error


def test_in_a_big_table_a_share_decides_not_a_count():
    rng = np.random.default_rng(0)
    numbers = rng.normal(size=1000).round(3).astype(str)
    typos = numbers.copy()
    typos[rng.choice(1000, 100, replace=False)] = "unknown"  # 90% numbers: a numeric column with typos
    with pytest.raises(DataError, match="column 'a' is numeric"):
        check_columns(pd.DataFrame({"a": typos}), ["a"])
    words = numbers.copy()
    words[:150] = "unknown"  # 85% numbers: below the share, and 150 words are more than a few typos
    check_columns(pd.DataFrame({"a": words}), ["a"])


def test_a_column_numeric_in_training_is_numeric_at_prediction():
    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0], "y": [1.0, 2.0, 3.0, 5.0]})
    preprocessor, _ = fit(frame)
    with pytest.raises(DataError, match=r"column 'a' is numeric but holds non-numeric values: data row 1 \('one'\)"):
        preprocessor.transform(pd.DataFrame({"a": ["one", "two", "3"]}))  # mostly words, still typos here


def unique_columns(n):
    return pd.DataFrame(
        {
            "name": [f"row {i}" for i in range(n)],
            "number": np.arange(1, n + 1),
            "x": np.linspace(0, 1, n),
            "y": np.linspace(0, 1, n) ** 2,
        }
    )


def test_an_identifier_is_dropped_in_a_table_big_enough_to_tell():
    preprocessor, notices = fit(unique_columns(ID_MIN_ROWS))
    assert preprocessor.ids == ["name", "number"] and preprocessor.features == ["x"]
    assert notices == [
        f"dropped column 'name': a different value in each of its {ID_MIN_ROWS} rows, an identifier",
        f"dropped column 'number': a different value in each of its {ID_MIN_ROWS} rows (whole numbers from 1 to "
        f"{ID_MIN_ROWS}), an identifier",
    ]


def test_in_a_small_table_a_column_unique_in_every_row_stays_a_feature_and_is_named():
    preprocessor, notices = fit(unique_columns(ID_MIN_ROWS - 1))
    assert preprocessor.ids == [] and preprocessor.numeric == ["number", "x"]
    assert len(preprocessor.categories["name"]) == ID_MIN_ROWS - 1  # one-hot encoded
    assert len(notices) == 2
    assert notices[0].startswith(
        f"column 'name' has a different value in each of its {ID_MIN_ROWS - 1} rows, "
        f"like an identifier, but fewer than {ID_MIN_ROWS} rows cannot tell"
    )
    assert "kept as a feature (one-hot encoded)" in notices[0]
    assert "(whole numbers from 1 to 19)" in notices[1] and "kept as a feature (a number)" in notices[1]


def test_unique_measurements_are_not_identifiers():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(
        {
            "sqft": rng.choice(np.arange(500, 3000), 100, replace=False),  # far from 1..n
            "x": rng.normal(size=100),
            "y": rng.normal(size=100),
        }
    )
    preprocessor, notices = fit(frame)
    assert preprocessor.ids == [] and notices == []


def test_measuring_on_a_single_valued_target_is_allowed_learning_from_it_is_not():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 3.0]})
    with pytest.raises(DataError, match="has a single value"):
        clean_target(frame, "y", [])
    assert len(clean_target(frame, "y", [], learning=False)) == 2


# ---------------------------------------------------------------- text columns and many categories (issue 14)
def texts_table(n=60, seed=0):
    rng = np.random.default_rng(seed)
    words = np.array(["good", "bad", "fine", "slow", "quick", "price", "box", "ok"])
    return pd.DataFrame(
        {
            "review": [" ".join(rng.choice(words, 4)) for _ in range(n)],
            "title": [" ".join(rng.choice(words, 2)) for _ in range(n)],
            "x": rng.normal(size=n),
            "y": rng.choice(["a", "b"], n),
        }
    )


def test_text_columns_share_the_hashed_space_after_the_named_columns():
    import scipy.sparse as sp

    from descend.text import hash_texts

    frame = texts_table()
    preprocessor = TablePreprocessor(text=["review", "title"], n_features=256, ngram_range=(1, 2)).fit(frame, "y", [])
    X = preprocessor.transform(frame.drop(columns=["y"]))
    assert sp.isspmatrix_csr(X) and X.shape == (60, 1 + 256) and preprocessor.n_outputs == 257
    assert preprocessor.output_names == ["x"]  # the hashed columns have no names
    mean, deviation = frame["x"].mean(), frame["x"].std(ddof=0)
    assert preprocessor.standardized == {"x": [pytest.approx(mean), pytest.approx(deviation)]}
    hashed = hash_texts(frame["review"], 256, ngram_range=(1, 2)) + hash_texts(frame["title"], 256, ngram_range=(1, 2))
    np.testing.assert_allclose(X[:, 1:].toarray(), hashed.toarray(), rtol=1e-15)
    np.testing.assert_allclose(X[:, 0].toarray().ravel(), (frame["x"] - mean) / deviation, rtol=1e-12)
    again = TablePreprocessor.from_dict(preprocessor.to_dict()).transform(frame.drop(columns=["y"]))
    assert (again != X).nnz == 0


def test_an_empty_text_is_an_empty_document_and_a_missing_one_is_said():
    frame = texts_table().assign(review=lambda f: f["review"].astype(object))
    frame.loc[2, "review"] = ""
    frame.loc[[5, 7], "review"] = np.nan
    notices = []
    preprocessor = TablePreprocessor(text=["review"], n_features=64).fit(frame.drop(columns=["title"]), "y", notices)
    assert notices == ["text column 'review' has 2 missing values (data rows 6, 8), read as empty texts"]
    told = []
    X = preprocessor.transform(frame.drop(columns=["title", "y"]), notices=told)
    assert told == notices
    assert [X[i, 1:].nnz for i in (2, 5, 7)] == [0, 0, 0] and X[3, 1:].nnz > 0


@pytest.mark.parametrize(
    "values, message",
    [
        ([1.5, 2.5] * 30, "text column 'review' holds float64 values, not text"),
        (["3", "4 "] * 30, "text column 'review' holds only numbers (e.g. '3' in data row 1), not text"),
        (["good"] * 10 + [7] + ["bad"] * 49, "text column 'review', data row 11: 7 is of type int, not text"),
    ],
)
def test_a_text_column_must_hold_text(values, message):
    frame = texts_table().assign(review=values)
    with pytest.raises(DataError) as caught:
        TablePreprocessor(text=["review"]).fit(frame, "y", [])
    assert str(caught.value).startswith(message)


def test_a_text_column_must_be_a_column_and_not_the_target():
    frame = texts_table()
    with pytest.raises(DataError, match="no column 'body' \\(given with --text\\); the columns are: review, title"):
        TablePreprocessor(text=["body"]).fit(frame, "y", [])
    with pytest.raises(DataError, match="--text y: 'y' is the target"):
        TablePreprocessor(text=["y"]).fit(frame, "y", [])


def test_free_text_is_dropped_with_a_hint_names_and_short_categories_are_not():
    rng = np.random.default_rng(0)
    n = 40
    frame = pd.DataFrame(
        {
            "comment": [f"this one was {w} and {i}" for i, w in enumerate(rng.choice(["good", "bad"], n))],
            "customer": [f"Ann Lee{i}" for i in range(n)],  # two words, unique: a name, an identifier
            "city": rng.choice(["New York City", "Los Angeles", "Salt Lake City"], n),  # words, but few values
            "x": rng.normal(size=n),
            "y": rng.normal(size=n),
        }
    )
    preprocessor, notices = fit(frame)
    assert preprocessor.dropped == ["comment"] and preprocessor.ids == ["customer"]
    assert list(preprocessor.categories) == ["city"] and not preprocessor.sparse
    assert notices[0] == (
        "dropped column 'comment': free text (40 distinct values, 100% of them of 3 words or "
        "more); pass --text comment to learn from its words"
    )
    assert notices[1].startswith("dropped column 'customer': a different value in each of its 40 rows")
    X = preprocessor.transform(frame.drop(columns=["y"]))  # the dropped columns may come back at prediction
    assert isinstance(X, np.ndarray) and X.shape == (n, 4)


def test_a_category_of_more_than_max_categories_values_is_hashed():
    import scipy.sparse as sp

    from descend.readers.tables import MAX_CATEGORIES
    from descend.text import hash_columns

    rng = np.random.default_rng(0)
    n = 400
    frame = pd.DataFrame(
        {
            "store": [f"S{k}" for k in rng.integers(0, MAX_CATEGORIES + 20, n)],
            "colour": rng.choice(["red", "blue"], n),
            "y": rng.normal(size=n),
        }
    )
    frame.loc[4, "store"] = np.nan
    notices = []
    preprocessor = TablePreprocessor(n_features=1024).fit(frame, "y", notices)
    levels = frame["store"].nunique()
    assert levels > MAX_CATEGORIES and preprocessor.hashed == ["store"] and list(preprocessor.categories) == ["colour"]
    assert notices == [
        f"hashed column(s) 'store' ({levels} values) into 1,024 hashed features: more than "
        f"{MAX_CATEGORIES} distinct values each, too many to one-hot encode"
    ]
    X = preprocessor.transform(frame.drop(columns=["y"]))
    assert sp.isspmatrix_csr(X) and X.shape == (n, 2 + 1024)
    expected = hash_columns({"store": frame["store"].fillna("")}, 1024)  # a missing value is the token "store="
    assert (X[:, 2:] != expected).nnz == 0
    np.testing.assert_array_equal(
        X[:, :2].toarray(), np.column_stack([frame["colour"] == "blue", frame["colour"] == "red"])
    )


def test_a_preprocessor_written_before_text_columns_reads_as_before():
    frame = texts_table().drop(columns=["review", "title"]).assign(colour=lambda f: f["y"].map({"a": "r", "b": "g"}))
    preprocessor, _ = fit(frame.assign(y=np.arange(60.0)))
    old = {
        key: value
        for key, value in preprocessor.to_dict().items()
        if key in ("impute", "ids", "features", "numeric", "categories", "fill")
    }
    again = TablePreprocessor.from_dict(old)
    X = again.transform(frame.drop(columns=["y"]))
    assert isinstance(X, np.ndarray) and not again.sparse and again.text == [] and again.standardized == {}
    np.testing.assert_array_equal(X, preprocessor.transform(frame.drop(columns=["y"])))


def test_text_labels_are_fixed_width_when_short_objects_when_long():
    """Short labels as fixed-width text (np.unique sorts them far faster than objects); a label longer
    than SHORT_LABEL keeps every label an object, so that one long label does not widen them all."""
    short = target_array(pd.Series(["yes", "no", "yes"]), "classification")
    assert short.dtype.kind == "U" and short.tolist() == ["yes", "no", "yes"]
    long = target_array(pd.Series(["no", "y" * (SHORT_LABEL + 1)]), "classification")
    assert long.dtype == object and long.tolist() == ["no", "y" * (SHORT_LABEL + 1)]
    numbers = target_array(pd.Series([3, 1, 3]), "classification")
    assert numbers.dtype.kind == "i" and numbers.tolist() == [3, 1, 3]
