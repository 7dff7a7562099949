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
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["DataError", "read_table", "TablePreprocessor", "infer_task", "clean_target", "check_finite_columns",
           "check_columns"]

# A text column that is more than half numbers, with at most TYPO_ROWS other values or numbers at
# least NUMERIC_SHARE of the time, is a numeric column with typos: a share alone cannot judge a
# small table (3 numbers of 4 is 75%), a count alone cannot judge a big one.
NUMERIC_SHARE = 0.9
TYPO_ROWS = 2
# Unique values in every row tell an identifier from a category only in this many rows or more:
# in 4 rows, four colours or four sizes are unique too.
ID_MIN_ROWS = 20
MAX_CATEGORIES = 100
IMPUTE_CHOICES = ("none", "mean", "median")


class DataError(ValueError):
    """The data cannot be used as it is; the message says why and where."""


# The files descend reads: Parquet, and text tables with these column separators.
PARQUET_SUFFIXES = (".parquet", ".pq")
TEXT_SEPARATORS = {".csv": ",", ".txt": ",", ".tsv": "\t"}


def table_separator(path: Path) -> str | None:
    """None for a Parquet file, the column separator of a text table; a DataError for any other file."""
    suffix = path.suffix.lower()
    if suffix not in PARQUET_SUFFIXES and suffix not in TEXT_SEPARATORS:
        raise DataError(f"{path}: unknown file type {suffix!r}; use .csv or .parquet")
    return TEXT_SEPARATORS.get(suffix)


def read_table(path) -> pd.DataFrame:
    """Read a CSV or Parquet file, with a clear error for each way it can be unusable."""
    path = Path(path)
    if not path.exists():
        raise DataError(f"no such file: {path}")
    if path.is_dir():
        raise DataError(f"{path} is a folder, not a data file")
    if path.stat().st_size == 0:
        raise DataError(f"{path} is empty")
    separator = table_separator(path)
    try:
        frame = pd.read_parquet(path) if separator is None else pd.read_csv(path, sep=separator)
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


def target_array(y: pd.Series, task: str, classes=None) -> np.ndarray:
    """The target column as the estimators take it: floats for regression; for classification the
    labels, numbers kept as numbers and anything else as text, or as ``classes`` (a fitted model's
    labels) hold them."""
    if task == "classification":
        numeric = _is_numeric(y) if classes is None else np.asarray(classes).dtype.kind in "iufb"
        return y.to_numpy() if numeric else y.astype(str).to_numpy(dtype=object)
    if not _is_numeric(y):
        raise DataError(f"regression needs a numeric target; {y.name!r} holds text (e.g. {y.iloc[0]!r})")
    return y.to_numpy(dtype=float)


def _mostly_numbers(numbers: int, others: int) -> bool:
    total = numbers + others
    return numbers > others and (others <= TYPO_ROWS or numbers >= NUMERIC_SHARE * total)


def _check_numeric_typos(frame: pd.DataFrame, columns, *, numeric=False) -> None:
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
            raise DataError(f"column {column!r} is numeric but holds non-numeric values: {where} "
                            f"({numbers} of its {len(values)} values are numbers)")


def check_finite_columns(frame: pd.DataFrame, columns) -> None:
    """A DataError naming the column and its first data rows when a numeric column of ``columns``
    holds +-inf (NaN is a missing value: the callers fill it or name it as such)."""
    for column in columns:
        series = frame[column]
        if _is_numeric(series):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            infinite = np.isinf(values)
            if infinite.any():
                rows = ", ".join(str(i + 1) for i in series.index[infinite][:3])
                raise DataError(f"column {column!r} contains infinite values (data rows {rows})")


def check_columns(frame: pd.DataFrame, columns) -> None:
    """A DataError naming the column, the value and its data row when a column of ``columns`` is
    numeric with typos (text in a few rows) or holds +-inf."""
    _check_numeric_typos(frame, columns)
    check_finite_columns(frame, columns)


def clean_target(frame: pd.DataFrame, target: str, notices: list[str], *, learning: bool = True) -> pd.DataFrame:
    """The rows that have a target; the others are dropped with a notice. ``learning``: the rows are
    to train on, so a target with a single value is refused (measuring a model on one is fine)."""
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
    """Classification for a non-numeric or two-valued target, else regression."""
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


def _identifier_notices(whole: pd.DataFrame, columns) -> tuple[list[str], list[str]]:
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
            notices.append(f"dropped column {column!r}: a different value in each of its {n} rows{values}, "
                           "an identifier")
        else:
            use = "a number" if values else "one-hot encoded"
            notices.append(f"column {column!r} has a different value in each of its {n} rows{values}, like an "
                           f"identifier, but fewer than {ID_MIN_ROWS} rows cannot tell one from a category: it is "
                           f"kept as a feature ({use}); remove it if it only names the rows")
    return ids, notices


class TablePreprocessor:
    """Learned on the training table; turns tables into float matrices.

    Numeric columns pass through (missing values filled by the training mean
    or median when ``impute`` says so, else an error naming the columns);
    other columns are one-hot encoded with the training categories (an
    unseen category gives all zeros); identifier columns are dropped (in a
    table of ``ID_MIN_ROWS`` rows or more; see the module's docstring).
    """

    def __init__(self, impute: str = "none"):
        if impute not in IMPUTE_CHOICES:
            raise DataError(f"impute must be one of {', '.join(IMPUTE_CHOICES)}, got {impute!r}")
        self.impute = impute

    def fit(self, frame: pd.DataFrame, target: str | None, notices: list[str], *,
            whole: pd.DataFrame | None = None) -> "TablePreprocessor":
        """Learn from ``frame`` (the training rows); ``whole`` (all rows, when the training rows are a
        sample of them) is where identifier columns are recognised: a sample of 1..n is not consecutive."""
        columns = [c for c in frame.columns if c != target]
        if not columns:
            raise DataError("there are no feature columns besides the target")
        whole = frame if whole is None else whole
        check_columns(whole, columns)  # before identifiers: a numeric column with a typo is not one
        self.ids, found = _identifier_notices(whole, columns)
        notices.extend(found)
        self.features = [c for c in columns if c not in self.ids]
        if not self.features:
            raise DataError("every column besides the target is an identifier: nothing to learn from")
        self.numeric = [c for c in self.features if _is_numeric(frame[c])]
        self.categories = {}
        for column in self.features:
            if column not in self.numeric:
                levels = sorted(frame[column].dropna().astype(str).unique().tolist())
                if len(levels) > MAX_CATEGORIES:
                    raise DataError(f"column {column!r} has {len(levels)} distinct text values; more than "
                                    f"{MAX_CATEGORIES} is not a category (drop it or encode it first)")
                self.categories[column] = levels
        self.fill = {}
        missing = [c for c in self.numeric if frame[c].isna().any()]
        if missing and self.impute == "none":
            raise DataError(f"missing values in column(s) {', '.join(map(repr, missing))}; "
                            "pass --impute mean or --impute median to fill them")
        for column in self.numeric:
            values = frame[column].astype(float)
            self.fill[column] = float(values.mean() if self.impute == "mean" else values.median())
        return self

    @property
    def output_names(self) -> list[str]:
        names = list(self.numeric)
        for column, levels in self.categories.items():
            names += [f"{column}={level}" for level in levels]
        return names

    def transform(self, frame: pd.DataFrame, *, allowed_extra=()) -> np.ndarray:
        missing = [c for c in self.features if c not in frame.columns]
        if missing:
            raise DataError(f"the data lacks the training column(s) {', '.join(map(repr, missing))}")
        extra = [c for c in frame.columns if c not in self.features and c not in self.ids and c not in allowed_extra]
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
                raise DataError(f"missing values in column(s) {', '.join(map(repr, holes))} (data rows {rows}); "
                                "the model fills none: train it with --impute mean or --impute median")
            parts.append(numeric.fillna(self.fill).to_numpy())
        for column, levels in self.categories.items():
            values = frame[column].astype(str).where(frame[column].notna(), None).to_numpy()
            parts.append((values[:, None] == np.array(levels, dtype=object)[None, :]).astype(float))
        return np.ascontiguousarray(np.hstack(parts), dtype=float)

    def to_dict(self) -> dict:
        return {"impute": self.impute, "ids": self.ids, "features": self.features, "numeric": self.numeric,
                "categories": self.categories, "fill": self.fill}

    @classmethod
    def from_dict(cls, data: dict) -> "TablePreprocessor":
        self = cls(data["impute"])
        self.ids, self.features, self.numeric = list(data["ids"]), list(data["features"]), list(data["numeric"])
        self.categories = {k: list(v) for k, v in data["categories"].items()}
        self.fill = {k: float(v) for k, v in data["fill"].items()}
        return self
