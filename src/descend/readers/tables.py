"""From a table (CSV or Parquet) to a design matrix, the same way at fit and at predict.

:class:`TablePreprocessor` learns from the training table which columns are
features, which are identifiers, which categorical columns become which
one-hot columns and what fills a missing value; it then turns any table with
those columns into the same matrix. It is plain data (``to_dict`` /
``from_dict``), so it travels inside a model file. Every problem with the
data raises :class:`DataError` with a message that names the column.

Two judgements about a column need evidence, and a small table has little:

- A text column whose values are mostly numbers is a numeric column with
  typos, an error naming the first one and its data row: "mostly" is more
  than half of the values, with at most ``TYPO_ROWS`` of them text or at
  most ``1 - NUMERIC_SHARE`` of them (3 numbers and an ``x`` in 4 rows; 900
  numbers and 100 words in 1000).
- A column with a different value in every row is an identifier, dropped
  with a notice, only in a table of ``ID_MIN_ROWS`` rows or more. In a
  smaller one it stays a feature, with a notice that says so.

Text and many categories, hashed (:mod:`descend.text`), into one space of
``n_features`` columns (2**20 by default) after the numeric and one-hot ones:

- A text column (``text=[...]``, ``descend fit --text NAME``) is cut into
  words (or word n-grams, ``ngram_range``), lowercased, hashed with
  ``hash_texts`` (scikit-learn's ``HashingVectorizer``: signed by the hash,
  ``alternate_sign=True``, so collisions cancel on average; each row of a
  column l2-normalized). Several text columns share the space: a word counts
  in it whichever column it is in, each column's row normalized on its own.
  An empty text is an empty document (an all-zero row, as in scikit-learn);
  a missing one (an empty CSV cell, NaN, null) is read as an empty document
  too, with a notice naming its rows: a CSV cannot tell the two apart. A
  column of numbers, or a value that is not a string, is an error naming
  the column (and the row).
- A categorical column with more than ``MAX_CATEGORIES`` (100) distinct
  values is hashed instead of one-hot encoded, ``"column=value"`` tokens
  through ``hash_columns`` (scikit-learn's ``FeatureHasher``), with a notice;
  a missing value is the token ``"column="``, its own level. 100 one-hot
  columns of a category are about as many as a fit can learn each from a
  useful share of the rows; past that, hashing keeps the matrix narrow and
  handles levels never seen in training without growing.
- A column that looks like free text (values of ``FREE_TEXT_WORDS`` words
  or more in ``FREE_TEXT_SHARE`` of its rows or more, and many distinct
  values: more than ``MAX_CATEGORIES``, or, in a table of ``ID_MIN_ROWS``
  rows or more, at least one for every two rows) but was not given as text
  is dropped, with a notice that suggests ``--text NAME``: one-hot or hashed
  as whole values, a text is an identifier. Names of two words ("Ann Lee",
  "row 12") are not free text: unique in every row, they are identifiers.

With a hashed part the matrix is a CSR matrix (never made dense), and the
numeric columns are standardized here, by the training mean and standard
deviation kept with the rest: the estimator then steps on raw columns, as
scaling each hashed column by its own deviation would blow rare words up.
Without one, it is a dense array as it always was, and model files without
these fields still load.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..choices import HASHED_FEATURES, IMPUTE_CHOICES
from ..exceptions import DataError
from . import SUFFIXES as FORMAT_SUFFIXES

if TYPE_CHECKING:
    import os
    from collections.abc import Collection, Iterable, Sequence
    from typing import Any

    from .._typing import AnyArray, FloatArray, Matrix

__all__ = [
    "check_data_file",
    "DataError",
    "read_table",
    "TablePreprocessor",
    "infer_task",
    "clean_target",
    "check_finite_columns",
    "check_columns",
    "check_text_names",
    "text_dtypes",
]

# A text column that is more than half numbers, with at most TYPO_ROWS other values or numbers at
# least NUMERIC_SHARE of the time, is a numeric column with typos: a share alone cannot judge a
# small table (3 numbers of 4 is 75%), a count alone cannot judge a big one.
NUMERIC_SHARE = 0.9
TYPO_ROWS = 2
# Unique values in every row tell an identifier from a category only in this many rows or more:
# in 4 rows, four colours or four sizes are unique too.
ID_MIN_ROWS = 20
# A categorical column with more distinct values than this is hashed, not one-hot encoded.
MAX_CATEGORIES = 100
# A column with FREE_TEXT_WORDS words or more in at least FREE_TEXT_SHARE of its values, with many
# distinct values, is free text.
FREE_TEXT_WORDS = 3
FREE_TEXT_SHARE = 0.5
# How texts are hashed: scikit-learn's HashingVectorizer defaults (the hashed space's default size is in
# descend.choices).
TEXT_HASHING: dict[str, Any] = {"lowercase": True, "alternate_sign": True, "norm": "l2"}


# The files descend reads: Parquet, and text tables with these column separators.
PARQUET_SUFFIXES = FORMAT_SUFFIXES["parquet"]
TEXT_SEPARATORS = {".csv": ",", ".txt": ",", ".tsv": "\t"}


def table_separator(path: Path) -> str | None:
    """None for a Parquet file, the column separator of a text table; a DataError for any other file."""
    suffix = path.suffix.lower()
    if suffix not in PARQUET_SUFFIXES and suffix not in TEXT_SEPARATORS:
        raise DataError(f"{path}: unknown file type {suffix!r}; use .csv or .parquet")
    return TEXT_SEPARATORS.get(suffix)


def text_dtypes(text: Iterable[str]) -> dict[str, type[str]]:
    """``pd.read_csv``'s ``dtype`` for the text columns ``text``: read as strings, always ("5 stars" and
    "5" alike), so that a block of a file where a text happens to be a number reads the same.

    Parameters
    ----------
    text : iterable of str
        The text columns.

    Returns
    -------
    dict
        ``{column: str}``.

    Examples
    --------
    >>> from descend.readers.tables import text_dtypes
    >>> text_dtypes(["review"])
    {'review': <class 'str'>}
    """
    return {column: str for column in text}


def check_data_file(path: str | os.PathLike[str]) -> Path:
    """``path`` as a Path, refused unless it is a file with something in it.

    Parameters
    ----------
    path : str or path-like
        A data file (a table, an svmlight file).

    Returns
    -------
    pathlib.Path
        The path.

    Raises
    ------
    DataError
        When it does not exist, is a folder, or is empty.

    Examples
    --------
    >>> check_data_file("no/such/table.csv")
    Traceback (most recent call last):
    ...
    descend.exceptions.DataError: no such file: no/such/table.csv
    """
    path = Path(path)
    if not path.exists():
        raise DataError(f"no such file: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a data file")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty")
    return path


def read_table(path: str | os.PathLike[str], text: Iterable[str] = ()) -> pd.DataFrame:
    """Read a CSV or Parquet file, with a clear error for each way it can be unusable; the columns
    ``text`` of a CSV are read as strings.

    Parameters
    ----------
    path : str or path-like
        A ``.csv``, ``.txt``, ``.tsv`` (tab-separated), ``.parquet`` or ``.pq`` file.
    text : iterable of str
        Columns of free text.

    Returns
    -------
    DataFrame
        The table, its column names as strings, on a fresh 0, 1, ... index.

    Raises
    ------
    DataError
        For a missing, empty or unreadable file, another suffix, no columns or no rows.

    Examples
    --------
    >>> import os, tempfile
    >>> from descend.readers.tables import read_table
    >>> folder = tempfile.mkdtemp()
    >>> with open(os.path.join(folder, "homes.csv"), "w") as file:
    ...     _ = file.write("size,city\\n50,Lyon\\n80,Oslo\\n")
    >>> read_table(os.path.join(folder, "homes.csv"))
       size  city
    0    50  Lyon
    1    80  Oslo
    >>> import shutil; shutil.rmtree(folder)
    """
    path = check_data_file(path)
    separator = table_separator(path)
    try:
        frame = (
            pd.read_parquet(path) if separator is None else pd.read_csv(path, sep=separator, dtype=text_dtypes(text))
        )
    except pd.errors.EmptyDataError:
        raise DataError(f"{path} has no columns") from None
    except Exception as error:  # pandas / pyarrow parse errors
        raise DataError(f"{path} could not be read: {str(error).splitlines()[0]}") from None
    if frame.shape[1] == 0:
        raise DataError(f"{path} has no columns")
    if len(frame) == 0:
        raise DataError(f"{path} has a header but no rows")
    frame.columns = [str(c) for c in frame.columns]
    return frame.reset_index(drop=True)


def _is_numeric(series: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)


# The longest label held as fixed-width text (4 bytes a character, every label as long as the longest).
SHORT_LABEL = 64


def target_array(y: pd.Series, task: str, classes: AnyArray | None = None) -> AnyArray:
    """The target column as the estimators take it: floats for regression; for classification the
    labels, numbers kept as numbers and anything else as text (fixed-width NumPy text when no label is
    longer than :data:`SHORT_LABEL` characters, else objects), or as ``classes`` (a fitted model's
    labels) hold them."""
    if task == "classification":
        numeric = _is_numeric(y) if classes is None else np.asarray(classes).dtype.kind in "iufb"
        if numeric:
            return y.to_numpy()
        labels = y.astype(str)
        # Short labels as fixed-width text: sorting them (np.unique, met a dozen times in a fit) takes a
        # tenth of the time objects take; long ones stay objects, whose memory is their own length.
        short = len(labels) == 0 or int(labels.str.len().max()) <= SHORT_LABEL
        return labels.to_numpy(dtype=str if short else object)
    if not _is_numeric(y):
        raise DataError(f"regression needs a numeric target; {y.name!r} holds text (e.g. {y.iloc[0]!r})")
    return y.to_numpy(dtype=float)


def _mostly_numbers(numbers: int, others: int) -> bool:
    total = numbers + others
    return numbers > others and (others <= TYPO_ROWS or numbers >= NUMERIC_SHARE * total)


def _all_numbers(values: pd.Series) -> bool:
    """Whether every string of ``values`` reads as a number: its first rows first, since a column of text
    has words there (parsing all of 120,000 documents as numbers took 0.3 s)."""
    head = values.iloc[:64]
    if pd.to_numeric(head.str.strip(), errors="coerce").isna().any():
        return False
    return bool(pd.to_numeric(values.str.strip(), errors="coerce").notna().all())


def _check_numeric_typos(frame: pd.DataFrame, columns: Iterable[str], *, numeric: bool = False) -> None:
    """A text column whose values are mostly numbers holds typos: name the first ones and their data
    rows. With ``numeric`` (the column held numbers in training) any text value is one."""
    for column in columns:
        series = frame[column]
        if _is_numeric(series) or series.notna().sum() == 0:
            continue
        values = series.dropna()
        as_numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
        bad = values[as_numbers.isna()]
        numbers = len(values) - len(bad)
        if len(bad) and (numeric or _mostly_numbers(numbers, len(bad))):
            where = ", ".join(f"data row {i + 1} ({v!r})" for i, v in list(bad.items())[:3])
            raise DataError(
                f"column {column!r} is numeric but holds non-numeric values: {where} "
                f"({numbers} of its {len(values)} values are numbers)"
            )


def check_finite_columns(frame: pd.DataFrame, columns: Iterable[str]) -> None:
    """A DataError naming the column and its first data rows when a numeric column of ``columns``
    holds +-inf (NaN is a missing value: the callers fill it or name it as such).

    Parameters
    ----------
    frame : DataFrame
        The table.
    columns : iterable of str
        The columns to check (the non-numeric ones are skipped).

    Raises
    ------
    DataError
        For a column holding +-inf, naming its first data rows (counted from 1).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from descend.readers.tables import DataError, check_finite_columns
    >>> check_finite_columns(pd.DataFrame({"x": [1.0, np.inf]}), ["x"])
    Traceback (most recent call last):
    ...
    descend.exceptions.DataError: column 'x' contains infinite values (data rows 2)
    """
    for column in columns:
        series = frame[column]
        if _is_numeric(series):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            infinite = np.isinf(values)
            if infinite.any():
                rows = ", ".join(str(i + 1) for i in series.index[infinite][:3])
                raise DataError(f"column {column!r} contains infinite values (data rows {rows})")


def check_columns(frame: pd.DataFrame, columns: Collection[str]) -> None:
    """A DataError naming the column, the value and its data row when a column of ``columns`` is
    numeric with typos (text in a few rows) or holds +-inf.

    Parameters
    ----------
    frame : DataFrame
        The table.
    columns : iterable of str
        The columns to check.

    Raises
    ------
    DataError
        For such a column, naming it, the value and its data row.

    Examples
    --------
    >>> import pandas as pd
    >>> from descend.readers.tables import check_columns
    >>> check_columns(pd.DataFrame({"x": ["1", "2", "three", "4", "5", "6", "7", "8", "9", "10"]}), ["x"])
    Traceback (most recent call last):
    ...
    descend.exceptions.DataError: column 'x' is numeric but holds non-numeric values: data row 3 ('three') (9 of its 10 values are numbers)
    """
    _check_numeric_typos(frame, columns)
    check_finite_columns(frame, columns)


def clean_target(frame: pd.DataFrame, target: str, notices: list[str], *, learning: bool = True) -> pd.DataFrame:
    """The rows that have a target; the others are dropped with a notice. ``learning``: the rows are
    to train on, so a target with a single value is refused (measuring a model on one is fine).

    Parameters
    ----------
    frame : DataFrame
        The table.
    target : str
        The target column.
    notices : list of str
        Appended to: what was dropped.
    learning : bool
        Refuse a target with a single value.

    Returns
    -------
    DataFrame
        The rows that have a target.

    Raises
    ------
    DataError
        For no such column, a target missing everywhere, a numeric target with typos or +-inf, or
        (learning) a single value.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from descend.readers.tables import clean_target
    >>> notices = []
    >>> clean_target(pd.DataFrame({"size": [50, 80, 120], "price": [1.0, np.nan, 3.5]}), "price", notices)
       size  price
    0    50    1.0
    2   120    3.5
    >>> notices
    ["dropped 1 row(s) whose target 'price' is missing"]
    """
    if target not in frame.columns:
        raise DataError(f"no column {target!r}; the columns are: {', '.join(frame.columns)}")
    missing = frame[target].isna()
    if missing.all():
        raise DataError(f"the target {target!r} is missing in every row")
    if missing.any():
        notices.append(f"dropped {int(missing.sum())} row(s) whose target {target!r} is missing")
        frame = frame.loc[~missing]
    check_columns(frame, [target])
    if learning and frame[target].nunique() < 2:
        raise DataError(f"the target {target!r} has a single value ({frame[target].iloc[0]}): nothing to learn")
    return frame


def infer_task(target: pd.Series) -> str:
    """Classification for a non-numeric or two-valued target, else regression.

    Parameters
    ----------
    target : Series
        The target column.

    Returns
    -------
    {"classification", "regression"}
        The task.

    Examples
    --------
    >>> import pandas as pd
    >>> from descend.readers.tables import infer_task
    >>> infer_task(pd.Series([1.0, 2.5, 3.0])), infer_task(pd.Series([0, 1, 1])), infer_task(pd.Series(["a", "b"]))
    ('regression', 'classification', 'classification')
    """
    if not _is_numeric(target) or target.nunique() <= 2:
        return "classification"
    return "regression"


def _unique_in_every_row(series: pd.Series) -> str | None:
    """How a column names its rows when it looks as if it did, "" for text different in every row,
    " (whole numbers from a to b)" for integers different in every row that nearly fill their range (a
    row number, with a few rows dropped or sampled away); None for a column that may measure something."""
    n = len(series)
    if n < 3 or series.isna().any() or series.nunique() != n:
        return None
    if pd.api.types.is_integer_dtype(series):
        low, high = int(series.min()), int(series.max())
        return f" (whole numbers from {low} to {high})" if high - low + 1 <= 2 * n else None
    return None if _is_numeric(series) else ""


def _looks_like_free_text(series: pd.Series) -> str | None:
    """How a text column looks like free text (see the module's docstring), or None."""
    if _is_numeric(series) or pd.api.types.is_bool_dtype(series):
        return None
    values = series.dropna().astype(str).str.strip()
    if len(values) == 0:
        return None
    worded = float((values.str.split().str.len() >= FREE_TEXT_WORDS).mean())
    distinct = values.nunique()
    many = distinct > MAX_CATEGORIES or (len(series) >= ID_MIN_ROWS and 2 * distinct >= len(series))
    if worded < FREE_TEXT_SHARE or not many:
        return None
    return f"{distinct} distinct values, {worded:.0%} of them of {FREE_TEXT_WORDS} words or more"


def _free_text_notices(whole: pd.DataFrame, columns: Iterable[str]) -> tuple[list[str], list[str]]:
    """The columns of ``columns`` that look like free text, and a notice for each: dropped, and how to
    use them."""
    free, notices = [], []
    for column in columns:
        looks = _looks_like_free_text(whole[column])
        if looks is not None:
            free.append(column)
            notices.append(
                f"dropped column {column!r}: free text ({looks}); pass --text {column} to learn from its words"
            )
    return free, notices


def _check_text_column(series: pd.Series, column: str, *, learning: bool) -> None:
    """A DataError unless ``series`` can be a text column: strings (and missing values). In training
    (``learning``), a column of numbers only is refused too: it is no text, even read as strings."""
    hint = f"--text is for columns of words; leave --text {column} out to use it as a number"
    if _is_numeric(series) or pd.api.types.is_bool_dtype(series):
        raise DataError(f"text column {column!r} holds {series.dtype} values, not text; {hint}")
    values = series.dropna()
    if isinstance(values.dtype, pd.CategoricalDtype):
        values = values.astype(object)
    if pd.api.types.infer_dtype(values, skipna=False) not in ("string", "empty"):
        row = next(i for i, v in values.items() if not isinstance(v, str))
        value = values[row]
        raise DataError(
            f"text column {column!r}, data row {row + 1}: {value!r:.40} is of type {type(value).__name__}, not text"
        )
    if learning and len(values) and _all_numbers(values):
        raise DataError(
            f"text column {column!r} holds only numbers (e.g. {values.iloc[0]!r} in data row "
            f"{values.index[0] + 1}), not text; {hint}"
        )


def check_text_names(frame: pd.DataFrame, text: Iterable[str], target: str | None) -> None:
    """A DataError for a text column (``--text``) that the table lacks, or that is the target.

    Parameters
    ----------
    frame : DataFrame
        The table.
    text : iterable of str
        The text columns named.
    target : str or None
        The target column.

    Raises
    ------
    DataError
        For the first such column.

    Examples
    --------
    >>> import pandas as pd
    >>> from descend.readers.tables import check_text_names
    >>> check_text_names(pd.DataFrame({"review": ["good"], "stars": [5]}), ["review"], "stars")
    >>> check_text_names(pd.DataFrame({"review": ["good"], "stars": [5]}), ["stars"], "stars")
    Traceback (most recent call last):
    ...
    descend.exceptions.DataError: --text stars: 'stars' is the target
    """
    for column in text:
        if column == target:
            raise DataError(f"--text {column}: {column!r} is the target")
        if column not in frame.columns:
            raise DataError(f"no column {column!r} (given with --text); the columns are: {', '.join(frame.columns)}")


def _missing_texts_notice(series: pd.Series, column: str) -> str | None:
    missing = series.isna()
    if not missing.any():
        return None
    count = int(missing.sum())
    rows = ", ".join(str(i + 1) for i in series.index[missing][:3]) + (", ..." if count > 3 else "")
    return (
        f"text column {column!r} has {count} missing value{'s' * (count > 1)} (data row{'s' * (count > 1)} "
        f"{rows}), read as empty text{'s' * (count > 1)}"
    )


def _identifier_notices(whole: pd.DataFrame, columns: Iterable[str]) -> tuple[list[str], list[str]]:
    """The identifier columns of ``columns``, and a notice for each column that looks like one: dropped
    in a table of ID_MIN_ROWS rows or more, kept as a feature in a smaller one."""
    ids, notices = [], []
    n = len(whole)
    for column in columns:
        values = _unique_in_every_row(whole[column])
        if values is None:
            continue
        if n >= ID_MIN_ROWS:
            ids.append(column)
            notices.append(
                f"dropped column {column!r}: a different value in each of its {n} rows{values}, an identifier"
            )
        else:
            use = "a number" if values else "one-hot encoded"
            notices.append(
                f"column {column!r} has a different value in each of its {n} rows{values}, like an "
                f"identifier, but fewer than {ID_MIN_ROWS} rows cannot tell one from a category: it is "
                f"kept as a feature ({use}); remove it if it only names the rows"
            )
    return ids, notices


class TablePreprocessor:
    """Learned on the training table; turns tables into float matrices.

    Numeric columns pass through (missing values filled by the training mean
    or median when ``impute`` says so, else an error naming the columns);
    other columns are one-hot encoded with the training categories (an
    unseen category gives all zeros), or hashed when they have more than
    ``MAX_CATEGORIES``; ``text`` columns are hashed words; identifier
    columns are dropped (in a table of ``ID_MIN_ROWS`` rows or more), and so
    are columns of free text not given in ``text`` (see the module's
    docstring). ``n_features`` and ``ngram_range`` shape the hashed part.

    Parameters
    ----------
    impute : str
        ``"none"``, ``"mean"`` or ``"median"``: how missing numbers are filled (``"none"``: an error naming
        the columns).
    text : iterable of str
        Columns of free text, hashed as words.
    n_features : int
        The columns of the hashed part.
    ngram_range : (min_n, max_n)
        The word n-grams of the text columns.
    n_jobs : int or None
        The threads that hash them (``hash_texts``'s ``n_jobs``); not part of what is learned or saved.

    Raises
    ------
    DataError
        For an unknown ``impute`` or ``min_n > max_n``.
    ValueError
        For ``n_features`` or an n below 1.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from descend.readers.tables import TablePreprocessor
    >>> train = pd.DataFrame({"size": [50.0, 80.0, 120.0], "city": ["Lyon", "Oslo", "Lyon"], "price": [1, 2, 3]})
    >>> preprocessor = TablePreprocessor(impute="mean").fit(train, "price", [])
    >>> preprocessor.output_names
    ['size', 'city=Lyon', 'city=Oslo']
    >>> preprocessor.transform(pd.DataFrame({"size": [np.nan], "city": ["Paris"]}))  # the mean; unseen city
    array([[83.33333333,  0.        ,  0.        ]])
    """

    hashing: dict[str, Any]
    dropped: list[str]
    hashed: list[str]
    standardized: dict[str, list[float]]
    categories: dict[str, list[str]]
    fill: dict[str, float]

    def __init__(
        self,
        impute: str = "none",
        *,
        text: Iterable[str] = (),
        n_features: int = HASHED_FEATURES,
        ngram_range: Sequence[int] = (1, 1),
        n_jobs: int | None = None,
    ) -> None:
        from .._checks import check_integer

        if impute not in IMPUTE_CHOICES:
            raise DataError(f"impute must be one of {', '.join(IMPUTE_CHOICES)}, got {impute!r}")
        self.impute = impute
        self.text = list(dict.fromkeys(text))
        n_features = check_integer("n_features", n_features, low=1)
        low, high = (check_integer("ngram_range", n, low=1) for n in ngram_range)
        if low > high:
            raise DataError(f"ngram_range must have min_n <= max_n, got {tuple(ngram_range)}")
        self.hashing = {"n_features": n_features, "ngram_range": [low, high], **TEXT_HASHING}
        self.dropped, self.hashed, self.standardized = [], [], {}
        self.n_jobs = n_jobs

    def fit(
        self, frame: pd.DataFrame, target: str | None, notices: list[str], *, whole: pd.DataFrame | None = None
    ) -> TablePreprocessor:
        """Learn from ``frame`` (the training rows); ``whole`` (all rows, when the training rows are a
        sample of them) is where identifier columns are recognised: a sample of 1..n is not consecutive.

        Parameters
        ----------
        frame : DataFrame
            The training rows.
        target : str or None
            The target column, not a feature.
        notices : list of str
            Appended to: the columns dropped or hashed, and why.
        whole : DataFrame, optional
            All the rows, when ``frame`` is a sample of them.

        Returns
        -------
        TablePreprocessor
            This preprocessor, fitted.

        Raises
        ------
        DataError
            For a table it cannot use (a numeric column with typos or +-inf, missing numbers
            without ``impute``, no feature left, ...), naming the column.
        """
        columns = [c for c in frame.columns if c != target]
        if not columns:
            raise DataError("there are no feature columns besides the target")
        whole = frame if whole is None else whole
        self._check_text(whole, target, notices)
        rest = [c for c in columns if c not in self.text]
        check_columns(whole, rest)  # before identifiers: a numeric column with a typo is not one
        self.dropped, found = _free_text_notices(whole, rest)
        notices.extend(found)
        self.ids, found = _identifier_notices(whole, [c for c in rest if c not in self.dropped])
        notices.extend(found)
        self.features = [c for c in columns if c not in self.ids and c not in self.dropped]
        if not self.features:
            advice = f"; pass --text {self.dropped[0]} to learn from its words" if self.dropped else ""
            raise DataError(
                f"every column besides the target is an identifier{' or free text' * bool(self.dropped)}"
                f": nothing to learn from{advice}"
            )
        self.numeric = [c for c in self.features if c not in self.text and _is_numeric(frame[c])]
        self._learn_categories(frame, notices)
        self._learn_fill(frame)
        return self

    def _check_text(self, whole: pd.DataFrame, target: str | None, notices: list[str]) -> None:
        check_text_names(whole, self.text, target)
        for column in self.text:
            _check_text_column(whole[column], column, learning=True)
            if whole[column].isna().all():
                raise DataError(f"text column {column!r} is missing in every row")
            notice = _missing_texts_notice(whole[column], column)
            if notice:
                notices.append(notice)

    def _learn_categories(self, frame: pd.DataFrame, notices: list[str]) -> None:
        """One-hot levels of the categorical columns, or hashing for those with too many."""
        self.categories, self.hashed = {}, []
        for column in self.features:
            if column not in self.numeric and column not in self.text:
                levels = sorted(frame[column].dropna().astype(str).unique().tolist())
                if len(levels) > MAX_CATEGORIES:
                    self.hashed.append(column)
                else:
                    self.categories[column] = levels
        if self.hashed:
            counts = ", ".join(f"{c!r} ({frame[c].nunique()} values)" for c in self.hashed)
            notices.append(
                f"hashed column(s) {counts} into {self.hashing['n_features']:,} hashed features: more "
                f"than {MAX_CATEGORIES} distinct values each, too many to one-hot encode"
            )

    def _learn_fill(self, frame: pd.DataFrame) -> None:
        self.fill = {}
        missing = [c for c in self.numeric if frame[c].isna().any()]
        if missing and self.impute == "none":
            raise DataError(
                f"missing values in column(s) {', '.join(map(repr, missing))}; "
                "pass --impute mean or --impute median to fill them"
            )
        self.standardized = {}
        for column in self.numeric:
            values = frame[column].astype(float)
            self.fill[column] = float(values.mean() if self.impute == "mean" else values.median())
            if self.sparse:
                filled = values.fillna(self.fill[column])
                deviation = float(filled.std(ddof=0))
                self.standardized[column] = [float(filled.mean()), deviation if deviation > 0 else 1.0]

    @property
    def sparse(self) -> bool:
        """Whether the matrix has a hashed part, and is therefore a CSR matrix."""
        return bool(self.text or self.hashed)

    @property
    def output_names(self) -> list[str]:
        """The names of the numeric and one-hot columns (the hashed ones, after them, have none)."""
        names = list(self.numeric)
        for column, levels in self.categories.items():
            names += [f"{column}={level}" for level in levels]
        return names

    @property
    def n_outputs(self) -> int:
        """The matrix's columns: the named ones, then the hashed space, if any."""
        return len(self.output_names) + (self.hashing["n_features"] if self.sparse else 0)

    def transform(
        self, frame: pd.DataFrame, *, allowed_extra: Iterable[str] = (), notices: list[str] | None = None
    ) -> Matrix:
        """The matrix of ``frame``: a float array, or a CSR matrix when there is a hashed part. A
        notice for missing texts goes to ``notices`` when given.

        Parameters
        ----------
        frame : DataFrame
            A table with the training columns.
        allowed_extra : iterable of str
            Columns that may be present besides them (the target).
        notices : list of str, optional
            Appended to: a notice for missing texts.

        Returns
        -------
        ndarray or scipy.sparse.csr_matrix of shape (rows, n_outputs)
            The matrix.

        Raises
        ------
        DataError
            For a training column missing, a column the model was not trained on, bad numbers, or
            missing numbers without ``impute``.
        """
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise DataError(f"the data lacks the training column(s) {', '.join(map(repr, missing))}")
        known = set(self.features) | set(self.ids) | set(self.dropped) | set(allowed_extra)
        extra = [c for c in frame.columns if c not in known]
        if extra:
            raise DataError(f"the data has column(s) the model was not trained on: {', '.join(map(repr, extra))}")
        _check_numeric_typos(frame, self.numeric, numeric=True)
        check_finite_columns(frame, self.numeric)
        parts = []
        if self.numeric:
            numeric = frame[self.numeric].apply(pd.to_numeric, errors="coerce").astype(float)
            holes = [c for c in self.numeric if numeric[c].isna().any()]
            if holes and self.impute == "none":
                rows = ", ".join(str(i + 1) for i in numeric.index[numeric[holes].isna().any(axis=1)][:3])
                raise DataError(
                    f"missing values in column(s) {', '.join(map(repr, holes))} (data rows {rows}); "
                    "the model fills none: train it with --impute mean or --impute median"
                )
            numeric = numeric.fillna(self.fill)
            for column, (mean, deviation) in self.standardized.items():
                numeric[column] = (numeric[column] - mean) / deviation
            parts.append(numeric.to_numpy())
        for column, levels in self.categories.items():
            values = frame[column].astype(str).where(frame[column].notna(), None).to_numpy()
            parts.append((values[:, None] == np.array(levels, dtype=object)[None, :]).astype(float))
        dense = np.ascontiguousarray(np.hstack(parts), dtype=float) if parts else np.empty((len(frame), 0))
        if not self.sparse:
            return dense
        return self._with_hashed(dense, frame, notices)

    def _with_hashed(self, dense: FloatArray, frame: pd.DataFrame, notices: list[str] | None) -> Matrix:
        """The named columns, then the hashed space, as one CSR matrix (never dense)."""
        import scipy.sparse as sp

        from ..text import hash_columns, hash_texts

        options = dict(self.hashing)
        n_features, ngram_range = options.pop("n_features"), tuple(options.pop("ngram_range"))
        hashed = None
        for column in self.text:
            _check_text_column(frame[column], column, learning=False)
            notice = _missing_texts_notice(frame[column], column)
            if notice and notices is not None:
                notices.append(notice)
            texts = frame[column].astype(object).where(frame[column].notna(), "")
            block = hash_texts(texts, n_features, ngram_range=ngram_range, n_jobs=self.n_jobs, **options)
            hashed = block if hashed is None else hashed + block
        if self.hashed:
            values = {c: frame[c].astype(str).where(frame[c].notna(), "") for c in self.hashed}
            block = hash_columns(values, n_features, alternate_sign=options["alternate_sign"], n_jobs=self.n_jobs)
            hashed = block if hashed is None else hashed + block
        if dense.shape[1] == 0:
            return hashed
        return sp.hstack([sp.csr_matrix(dense), hashed], format="csr")

    def to_dict(self) -> dict[str, Any]:
        return {
            "impute": self.impute,
            "ids": self.ids,
            "features": self.features,
            "numeric": self.numeric,
            "categories": self.categories,
            "fill": self.fill,
            "text": self.text,
            "hashed": self.hashed,
            "hashing": self.hashing if self.sparse else None,
            "standardized": self.standardized,
            "dropped": self.dropped,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TablePreprocessor:
        """The preprocessor of a model file; one written before text and hashing (without their
        fields) reads as one with neither.

        Parameters
        ----------
        data : dict
            What ``to_dict`` wrote.

        Returns
        -------
        TablePreprocessor
            The fitted preprocessor.
        """
        hashing = data.get("hashing") or {}
        self = cls(
            data["impute"],
            text=data.get("text", []),
            n_features=hashing.get("n_features", HASHED_FEATURES),
            ngram_range=hashing.get("ngram_range", (1, 1)),
        )
        self.hashing.update({k: v for k, v in hashing.items() if k in TEXT_HASHING})
        self.ids, self.features, self.numeric = list(data["ids"]), list(data["features"]), list(data["numeric"])
        self.categories = {k: list(v) for k, v in data["categories"].items()}
        self.fill = {k: float(v) for k, v in data["fill"].items()}
        self.hashed, self.dropped = list(data.get("hashed", [])), list(data.get("dropped", []))
        self.standardized = {k: [float(m), float(s)] for k, (m, s) in data.get("standardized", {}).items()}
        return self
