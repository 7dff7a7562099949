"""From a table (CSV or Parquet) to a design matrix, the same way at fit and at predict.

:class:`TablePreprocessor` learns from the training table which columns are
features, which are identifiers, which categorical columns become which
one-hot columns and what fills a missing value; it then turns any table with
those columns into the same matrix. It is plain data (``to_dict`` /
``from_dict``), so it travels inside a model file. Every problem with the
data raises :class:`DataError` with a message that names the column.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

__all__ = ["DataError", "read_table", "TablePreprocessor", "infer_task", "clean_target", "check_finite_columns"]

# An object column whose values are numbers at least this often is a numeric
# column with a typo, not a categorical one.
NUMERIC_SHARE = 0.9
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


def _check_numeric_typos(frame: pd.DataFrame, columns) -> None:
    """A text column whose values are nearly all numbers holds a typo: name it."""
    for column in columns:
        series = frame[column]
        if _is_numeric(series) or series.notna().sum() == 0:
            continue
        values = series.dropna()
        as_numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce")
        share = as_numbers.notna().mean()
        if share >= NUMERIC_SHARE and share < 1.0:
            bad = values[as_numbers.isna()]
            where = ", ".join(f"data row {i + 1} ({v!r})" for i, v in list(bad.items())[:3])
            raise DataError(f"column {column!r} is numeric but holds non-numeric values: {where}")


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


def clean_target(frame: pd.DataFrame, target: str, notices: list[str]) -> pd.DataFrame:
    """The rows that have a target; the others are dropped with a notice."""
    if target not in frame.columns:
        raise DataError(f"no column {target!r}; the columns are: {', '.join(frame.columns)}")
    missing = frame[target].isna()
    if missing.all():
        raise DataError(f"the target {target!r} is missing in every row")
    if missing.any():
        notices.append(f"dropped {int(missing.sum())} row(s) whose target {target!r} is missing")
        frame = frame.loc[~missing]
    _check_numeric_typos(frame, [target])
    check_finite_columns(frame, [target])
    if frame[target].nunique() < 2:
        raise DataError(f"the target {target!r} has a single value ({frame[target].iloc[0]}): nothing to learn")
    return frame


def infer_task(target: pd.Series) -> str:
    """Classification for a non-numeric or two-valued target, else regression."""
    if not _is_numeric(target) or target.nunique() <= 2:
        return "classification"
    return "regression"


def _looks_like_id(series: pd.Series) -> bool:
    """Unique in every row and not a measurement: text, or integers that nearly fill
    their range (a row number, with a few rows dropped or sampled away)."""
    n = len(series)
    if n < 3 or series.isna().any() or series.nunique() != n:
        return False
    if pd.api.types.is_integer_dtype(series):
        return bool(series.max() - series.min() + 1 <= 2 * n)
    return not _is_numeric(series)


class TablePreprocessor:
    """Learned on the training table; turns tables into float matrices.

    Numeric columns pass through (missing values filled by the training mean
    or median when ``impute`` says so, else an error naming the columns);
    other columns are one-hot encoded with the training categories (an
    unseen category gives all zeros); identifier columns are dropped.
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
        self.ids = [c for c in columns if _looks_like_id(whole[c])]
        for column in self.ids:
            notices.append(f"dropped column {column!r}: a different value in every row, an identifier")
        self.features = [c for c in columns if c not in self.ids]
        if not self.features:
            raise DataError("every column besides the target is an identifier: nothing to learn from")
        _check_numeric_typos(whole, self.features)
        check_finite_columns(whole, self.features)
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
        _check_numeric_typos(frame, self.numeric)
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
