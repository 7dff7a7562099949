"""Tables to matrices: which columns are numbers with typos, which are identifiers (issue 12, part 3)."""

import numpy as np
import pandas as pd
import pytest

from descend.tabular import ID_MIN_ROWS, DataError, TablePreprocessor, check_columns, clean_target


def fit(frame, target="y"):
    notices = []
    return TablePreprocessor().fit(frame, target, notices), notices


@pytest.mark.parametrize("values, row, value, numbers", [
    (["2", "x", "8", "1"], 2, "x", "3 of its 4"),  # the table: 75% numbers, one word
    (["2", "3", "?"], 3, "?", "2 of its 3"),
    (["1", "2", "3", "n.a.", "5", "-"], 4, "n.a.", "4 of its 6"),  # two words among four numbers
])
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


@pytest.mark.parametrize("values", [
    ["1", "x"],  # half and half: nothing says which is the typo
    ["1", "2", "a", "b", "c"],  # mostly words
    ["red", "green", "blue", "red"],
])
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
    return pd.DataFrame({"name": [f"row {i}" for i in range(n)], "number": np.arange(1, n + 1),
                         "x": np.linspace(0, 1, n), "y": np.linspace(0, 1, n) ** 2})


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
    assert notices[0].startswith(f"column 'name' has a different value in each of its {ID_MIN_ROWS - 1} rows, "
                                 f"like an identifier, but fewer than {ID_MIN_ROWS} rows cannot tell")
    assert "kept as a feature (one-hot encoded)" in notices[0]
    assert "(whole numbers from 1 to 19)" in notices[1] and "kept as a feature (a number)" in notices[1]


def test_unique_measurements_are_not_identifiers():
    rng = np.random.default_rng(1)
    frame = pd.DataFrame({"sqft": rng.choice(np.arange(500, 3000), 100, replace=False),  # far from 1..n
                          "x": rng.normal(size=100), "y": rng.normal(size=100)})
    preprocessor, notices = fit(frame)
    assert preprocessor.ids == [] and notices == []


def test_measuring_on_a_single_valued_target_is_allowed_learning_from_it_is_not():
    frame = pd.DataFrame({"x": [1.0, 2.0], "y": [3.0, 3.0]})
    with pytest.raises(DataError, match="has a single value"):
        clean_target(frame, "y", [])
    assert len(clean_target(frame, "y", [], learning=False)) == 2
