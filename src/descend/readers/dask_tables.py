"""Tables that a Dask cluster reads itself: files (a file, a folder, a glob) read by the workers, partition
by partition, turned into numbers by the same :class:`descend.readers.tables.TablePreprocessor` as a table in
memory, the client never holding the rows.

``DaskTable("data/*.parquet", "y")`` (``descend fit 'data/*.parquet' --target y --scheduler tcp://...``):

1. On the client, the file names only: :func:`descend.readers.stream.table_files` resolves the folder or the glob
   (to absolute paths: the workers must see the same files, a shared disk), and every file must hold the
   first one's columns (Parquet footers, CSV headers). ``dask.dataframe.read_parquet`` / ``read_csv``
   then make the partitions, which the workers read.
2. **One distributed pass** gathers, partition by partition, what :meth:`TablePreprocessor.fit` learns
   from a table in memory: rows whose target is missing (dropped, with the same notice), numbers against
   text in text columns (the typo rule), infinite values, the distinct values of each text column (up to
   ``MAX_CATEGORIES + 1``: categories, or too many), the share of worded values (free text), whether each
   column is unique in its partition (the identifier rule), sums and counts (the mean that fills missing
   values), the target's distinct values (the task, the classes). The client adds these small tallies and
   makes the same decisions with the same words. Two rules need more than a partition can tell, and only
   for a few columns they cost a targeted pass over those columns alone: whether a column unique in every
   partition is unique over all of them (whole numbers whose partitions' ranges do not overlap are; else
   Dask's ``nunique``), and the exact median (``impute="median"``: counts in bins, narrowed until the
   middle values are few). With ``impute="none"`` the model file's ``fill`` (which a model that fills
   nothing never uses) holds the means, where a table in memory stores medians: it saves those passes.
3. The matrix and the targets are dask arrays of the preprocessed partitions (:attr:`X`, :attr:`y`, their
   chunks the rows of each partition), which ``GDRegressor().fit(table)`` trains on with
   :class:`descend.linear._dask.DaskSource`: the full batch from the matrix persisted on the workers (each
   step reads every row; equal to the in-memory fit of the same rows), mini-batches (local SGD) without
   persisting: each epoch, each worker reads its partitions again, one at a time, bounded by a partition.

Hashed columns (``--text``, categories with more than ``MAX_CATEGORIES`` values) make a sparse matrix,
which the cluster does not train on: refused with a clear error, as are files whose columns disagree
and a glob matching nothing.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from .tables import (
    FREE_TEXT_SHARE,
    FREE_TEXT_WORDS,
    ID_MIN_ROWS,
    MAX_CATEGORIES,
    NUMERIC_SHARE,
    TYPO_ROWS,
    DataError,
    TablePreprocessor,
    table_separator,
    target_array,
)

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Sequence
    from typing import Any

    import dask.array as da
    import dask.dataframe as dd
    from distributed import Client

    from .._typing import AnyArray, FloatArray, IntArray, NDArray
    from ..linear import GDClassifier, GDRegressor
    from .stream import DataPaths

__all__ = ["DaskTable"]

# The bytes of a partition, as read_parquet and read_csv count them. A worker converting a partition holds a
# few copies of it (the frame, the numeric columns, the matrix): measured on 10,000,000 x 20 rows in 8
# Parquet files, mini-batches peaked at 2.1 GB a worker with Dask's default (a file a partition, 210 MB),
# 0.75 GB with 64 MB partitions (40 of them).
PARTITION_BYTES = "64MB"
# Distinct target values kept per partition: more than this is a regression target, or too many classes.
MAX_CLASSES = 10_000
# The exact median: the values between the bounds are brought to the client once they are this few.
MEDIAN_VALUES = 100_000
MEDIAN_BINS = 4096


# ------------------------------------------------------------------------------------------ on the workers
def _kind(series: pd.Series) -> str:
    if pd.api.types.is_bool_dtype(series):
        return "bool"
    if pd.api.types.is_integer_dtype(series):
        return "integer"
    if pd.api.types.is_numeric_dtype(series):
        return "float"
    return "text"


def _capped_distinct(values: AnyArray, cap: int) -> set[Any] | None:
    """The distinct values of ``values`` as a set, or None when there are more than ``cap``."""
    distinct = pd.unique(values)
    return None if len(distinct) > cap else set(distinct.tolist())


def _partition_stats(frame: pd.DataFrame, target: str) -> dict[str, Any]:
    """What one partition tells of its columns (see the module's docstring); small, whatever its rows."""
    frame.columns = [str(c) for c in frame.columns]
    stats: dict[str, Any] = {"rows": len(frame), "columns": list(frame.columns)}
    if target not in frame.columns:
        return stats
    missing = frame[target].isna().to_numpy()
    stats["missing_target"] = int(missing.sum())
    kept = frame.loc[~missing] if missing.any() else frame
    positions = np.flatnonzero(~missing)  # rows of the partition, as read
    stats["kept"] = len(kept)
    columns: dict[str, dict[str, Any]] = {}
    for name in kept.columns:
        series = kept[name]
        kind = _kind(series)
        nulls = series.isna().to_numpy()
        column: dict[str, Any] = {"kind": kind, "nulls": int(nulls.sum())}
        if kind in ("integer", "float"):
            values = series.to_numpy(dtype=float, na_value=np.nan)
            infinite = np.isinf(values)
            column["inf_rows"] = positions[infinite][:3].tolist()
            finite = values[~nulls & ~infinite]
            column["sum"], column["count"] = float(finite.sum()), int(len(finite))
            column["low"] = float(finite.min()) if len(finite) else np.inf
            column["high"] = float(finite.max()) if len(finite) else -np.inf
        if name == target:
            column["distinct"] = _capped_distinct(series.dropna().to_numpy(), MAX_CLASSES)
            if kind == "text":
                column.update(_text_tally(series, positions))
            columns[name] = column
            continue
        if kind == "text":
            column.update(_text_tally(series, positions))
            values = series.dropna().astype(str)
            column["levels"] = _capped_distinct(values.to_numpy(), MAX_CATEGORIES)
            stripped = values.str.strip()
            column["stripped"] = _capped_distinct(stripped.to_numpy(), MAX_CATEGORIES)
            column["worded"] = int((stripped.str.split().str.len() >= FREE_TEXT_WORDS).sum())
        if not nulls.any() and kind in ("integer", "text"):
            column["unique"] = bool(series.nunique() == len(series))
        columns[name] = column
    stats["column_stats"] = columns
    return stats


def _text_tally(series: pd.Series, positions: IntArray) -> dict[str, Any]:
    """Numbers and other values of a text column, with the first values that are not numbers and their rows."""
    present = series.notna().to_numpy()
    values = series[present]
    as_numbers = pd.to_numeric(values.astype(str).str.strip(), errors="coerce").notna().to_numpy()
    return {
        "numbers": int(as_numbers.sum()),
        "others": int((~as_numbers).sum()),
        "bad": [
            (int(row), value)
            for row, value in zip(positions[present][~as_numbers][:3], values[~as_numbers][:3].tolist(), strict=True)
        ],
    }


def _prepare(
    frame: pd.DataFrame, preprocessing: dict[str, Any], target: str, task: str, classes: AnyArray | None
) -> tuple[NDArray[np.float64], AnyArray]:
    """A partition as the estimator takes it: (matrix, targets), rows without a target dropped."""
    frame.columns = [str(c) for c in frame.columns]
    frame = frame[frame[target].notna()] if frame[target].isna().any() else frame
    preprocessor = TablePreprocessor.from_dict(preprocessing)
    X = preprocessor.transform(frame, allowed_extra=(target,))
    y = target_array(frame[target], task, classes)
    if task == "regression":
        y = np.ascontiguousarray(y, dtype=np.float64)
    return np.ascontiguousarray(X, dtype=np.float64), y


def _bin_counts(
    frame: pd.DataFrame, columns: Iterable[str], bounds: dict[str, tuple[float, float]], bins: int
) -> dict[str, tuple[int, IntArray]]:
    """Per column, the counts of its values in ``bins`` equal bins between its bounds, and below them."""
    out: dict[str, tuple[int, IntArray]] = {}
    for column in columns:
        low, high = bounds[column]
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        values = values[~np.isnan(values)]
        below = int((values < low).sum())
        inside = values[(values >= low) & (values <= high)]
        if high > low:
            index = np.minimum(((inside - low) / (high - low) * bins).astype(np.int64), bins - 1)
            counts = np.bincount(index, minlength=bins)
        else:
            counts = np.zeros(bins, dtype=np.int64)
            counts[0] = len(inside)
        out[column] = (below, counts)
    return out


def _values_between(
    frame: pd.DataFrame, columns: Iterable[str], bounds: dict[str, tuple[float, float]]
) -> dict[str, tuple[int, FloatArray]]:
    """Per column, the count of its values below its bounds, and the values between them."""
    out: dict[str, tuple[int, FloatArray]] = {}
    for column in columns:
        low, high = bounds[column]
        values = frame[column].to_numpy(dtype=float, na_value=np.nan)
        out[column] = (int((values < low).sum()), values[(values >= low) & (values <= high)])
    return out


def _kept_rows(frame: pd.DataFrame, target: str) -> pd.DataFrame:
    """The rows that have a target."""
    frame.columns = [str(c) for c in frame.columns]
    return frame[frame[target].notna()]


# ------------------------------------------------------------------------------------------ on the client
def _merge_distinct(parts: Sequence[set[Any] | None]) -> set[Any] | None:
    if any(part is None for part in parts):
        return None
    merged = set().union(*parts)  # type: ignore[arg-type]  # no part is None: returned above
    return merged


def _merge_column(parts: Sequence[dict[str, Any]], offsets: IntArray) -> dict[str, Any]:
    """One column's tallies over the partitions; rows made global (data rows of the whole table)."""
    kinds = {p["kind"] for p in parts}
    kind = kinds.pop() if len(kinds) == 1 else ("float" if kinds <= {"integer", "float"} else "text")
    merged: dict[str, Any] = {"kind": kind, "nulls": sum(p["nulls"] for p in parts)}
    if kind in ("integer", "float"):
        merged["inf_rows"] = [int(o + r) for p, o in zip(parts, offsets, strict=True) for r in p.get("inf_rows", [])]
        merged["sum"] = math.fsum(p.get("sum", 0.0) for p in parts)
        merged["count"] = sum(p.get("count", 0) for p in parts)
        merged["ranges"] = [(p["low"], p["high"]) for p in parts if p.get("count")]
    if "numbers" in parts[0] or kind == "text":
        merged["numbers"] = sum(p.get("numbers", 0) for p in parts)
        merged["others"] = sum(p.get("others", 0) for p in parts)
        merged["bad"] = [(int(o + r), v) for p, o in zip(parts, offsets, strict=True) for r, v in p.get("bad", [])]
    for key in ("distinct", "levels", "stripped"):
        if key in parts[0]:
            merged[key] = _merge_distinct([p.get(key) for p in parts])
    if "worded" in parts[0]:
        merged["worded"] = sum(p.get("worded", 0) for p in parts)
    merged["unique"] = all(p.get("unique", False) for p in parts)
    return merged


def _check_typos(name: str, column: dict[str, Any], numeric: bool = False) -> None:
    """As tabular's typo rule: a text column mostly numbers holds typos."""
    if column["kind"] != "text" or not column.get("bad"):
        return
    numbers, others = column["numbers"], column["others"]
    total = numbers + others
    mostly = numbers > others and (others <= TYPO_ROWS or numbers >= NUMERIC_SHARE * total)
    if numeric or mostly:
        where = ", ".join(f"data row {row + 1} ({value!r})" for row, value in column["bad"][:3])
        raise DataError(
            f"column {name!r} is numeric but holds non-numeric values: {where} "
            f"({numbers} of its {total} values are numbers)"
        )


def _check_finite(name: str, column: dict[str, Any]) -> None:
    if column.get("inf_rows"):
        rows = ", ".join(str(r + 1) for r in column["inf_rows"][:3])
        raise DataError(f"column {name!r} contains infinite values (data rows {rows})")


def _whole(tally: dict[str, Any]) -> tuple[float, float]:
    """The smallest and the largest finite value of a numeric column."""
    ranges = tally["ranges"]
    return min(r[0] for r in ranges), max(r[1] for r in ranges)


def _task_and_classes(name: str, target: dict[str, Any], task: str | None) -> tuple[str, AnyArray | None]:
    """The task (``task`` when given) and the classes (None for regression) of the target column ``name``
    from its tally ``target``, as clean_target and infer_task decide them for a table in memory."""
    _check_typos(name, target)
    _check_finite(name, target)
    distinct = target["distinct"]
    if distinct is not None and len(distinct) < 2:
        raise DataError(f"the target {name!r} has a single value ({next(iter(distinct))}): nothing to learn")
    numeric = target["kind"] in ("integer", "float")
    task = task or ("classification" if not numeric or (distinct is not None and len(distinct) <= 2) else "regression")
    if task == "regression" and not numeric:
        raise DataError(f"regression needs a numeric target; {name!r} holds text")
    if task != "classification":
        return task, None
    if distinct is None:
        raise DataError(
            f"the target {name!r} has more than {MAX_CLASSES:,} distinct values: too many "
            "classes (is it a regression target? --task regression)"
        )
    return task, (np.array(sorted(distinct)) if numeric else np.array(sorted(map(str, distinct)), dtype=object))


def _exact_medians(
    compute: Callable[[Any], Any],
    parts: list[Any],
    target: str,
    numeric: list[str],
    merged: dict[str, dict[str, Any]],
) -> dict[str, float]:
    """The exact median of each ``numeric`` column (pandas': the mean of the two middle values of an even
    count) over the rows with a ``target`` of the delayed partitions ``parts``, ``compute`` running the
    tasks on the cluster: counts in bins between bounds that hold the middle ranks, narrowed pass after
    pass (each pass counts exactly what lies below the bounds) until the values between them are few
    enough to bring to the client."""
    from dask import delayed

    kept = [delayed(_kept_rows)(part, target) for part in parts]
    fill: dict[str, float]
    pending: dict[str, dict[str, Any]]
    fill, pending = {}, {}
    for column in numeric:
        count = merged[column]["count"]
        if count == 0:
            fill[column] = float("nan")
            continue
        low, high = _whole(merged[column])
        pending[column] = {"bounds": (low, high), "inside": count, "ranks": sorted({(count - 1) // 2, count // 2})}
    while pending:
        bounds = {c: state["bounds"] for c, state in pending.items()}
        for column, state in list(pending.items()):
            if state["bounds"][0] == state["bounds"][1]:  # one value between the bounds: the median
                fill[column] = float(state["bounds"][0])
                del pending[column]
        few = [c for c, state in pending.items() if state["inside"] <= MEDIAN_VALUES]
        if few:
            parts = compute([delayed(_values_between)(p, few, bounds) for p in kept])
            for column in few:
                below = sum(part[column][0] for part in parts)
                values = np.sort(np.concatenate([part[column][1] for part in parts]))
                fill[column] = float(np.mean([values[r - below] for r in pending.pop(column)["ranks"]]))
        if not pending:
            break
        parts = compute([delayed(_bin_counts)(p, list(pending), bounds, MEDIAN_BINS) for p in kept])
        for column, state in pending.items():
            below = sum(part[column][0] for part in parts)
            counts = np.sum([part[column][1] for part in parts], axis=0)
            cumulative = below + np.cumsum(counts)
            low, high = state["bounds"]
            # a bin of margin on each side: a value on a bin's edge may round into its neighbour
            first = max(int(np.searchsorted(cumulative, state["ranks"][0], side="right")) - 1, 0)
            last = min(int(np.searchsorted(cumulative, state["ranks"][-1], side="right")) + 1, MEDIAN_BINS - 1)
            width = (high - low) / MEDIAN_BINS
            narrowed = (low + first * width, high if last == MEDIAN_BINS - 1 else low + (last + 1) * width)
            inside = int(counts[first : last + 1].sum())
            # bins that no longer narrow (float resolution): bring what lies between the bounds
            state["inside"] = inside if narrowed != state["bounds"] else 0
            state["bounds"] = narrowed
    return fill


class DaskTable:
    """A table (a file, a folder or a glob of Parquet or CSV files) read by the workers of a Dask cluster.

    Parameters
    ----------
    path : a file, a folder of files or a glob pattern; the workers must see the same paths.
    target : the column to predict.
    impute, task : as for ``descend fit``.
    client : a ``distributed.Client``; None: the active one.
    blocksize : bytes of a partition (``read_parquet`` / ``read_csv``'s ``blocksize``; a worker's memory grows with
        it, not with the data); None: Dask's default.

    Attributes
    ----------
    preprocessor, task, classes, notices : as a table in memory learns them.
    X, y : dask arrays of the matrix and the targets (not persisted), chunked by partition.
    n_rows : rows with a target; ``partition_rows`` their count per partition.

    Raises
    ------
    ValueError
        When no ``client`` is given and there is no active one.
    descend.readers.tables.DataError
        When there is no file, the files' columns or kinds disagree, a worker cannot read a partition,
        the target is absent, missing in every row, constant or unusable for the task, the columns hold
        what the preprocessing refuses (infinite values, numbers mixed with text, missing values with
        ``impute="none"``, no feature left), or a hashed column would make a sparse matrix.

    Examples
    --------
    Needs a Dask cluster whose workers see the files (not run here):

    >>> from dask.distributed import Client  # doctest: +SKIP
    >>> from descend import GDRegressor
    >>> from descend.metrics import combine_metrics
    >>> client = Client("tcp://scheduler:8786")  # doctest: +SKIP
    >>> table = DaskTable("data/*.parquet", "y", client=client)  # doctest: +SKIP
    >>> model = GDRegressor().fit(table)  # doctest: +SKIP
    >>> metrics = combine_metrics(table.measure(model))  # doctest: +SKIP
    """

    def __init__(
        self,
        path: DataPaths,
        target: str,
        *,
        impute: str = "none",
        task: str | None = None,
        client: Client | None = None,
        blocksize: int | str | None = PARTITION_BYTES,
    ) -> None:
        from .._extras import require
        from .stream import check_same_columns, file_columns, table_files

        require("distributed", "Reading files on a Dask cluster")
        if client is None:
            from distributed import default_client

            try:
                client = default_client()
            except ValueError:
                raise ValueError(
                    "reading files on a Dask cluster needs a dask.distributed Client: from "
                    "dask.distributed import Client; Client('tcp://host:port')"
                ) from None
        self.client = client
        self.files = [f.resolve() for f in table_files(path)]
        self.path = path
        self.target = target
        self.separator = table_separator(self.files[0])
        check_same_columns(self.files, [file_columns(f, self.separator) for f in self.files])
        self.frame = self._read(blocksize)
        self.notices: list[str] = []
        self.preprocessor = TablePreprocessor(impute)
        self._learn(task)
        if self.preprocessor.sparse:
            raise DataError(
                f"hashed column(s) {', '.join(map(repr, self.preprocessor.hashed))} (more than "
                f"{MAX_CATEGORIES} distinct values) make a sparse matrix, which a Dask cluster does not "
                "train on; drop the column, or train with --stream"
            )
        self._arrays()

    # ------------------------------------------------------------- the files
    def _read(self, blocksize: int | str | None) -> dd.DataFrame:
        import dask.dataframe as dd

        files = [str(f) for f in self.files]
        options = {} if blocksize is None else {"blocksize": blocksize}
        try:
            if self.separator is None:
                return dd.read_parquet(files, **options)
            return dd.read_csv(files, sep=self.separator, **options)
        except Exception as error:  # dask's and pyarrow's errors, of many types
            raise DataError(f"{self._where()} could not be read: {str(error).splitlines()[0]}") from None

    def _where(self) -> str:
        return str(self.files[0]) if len(self.files) == 1 else f"{len(self.files)} files like {self.files[0]}"

    def _compute(self, tasks: Any) -> Any:
        """Computes ``tasks`` on the cluster; a worker's error, in one line, naming the files."""
        try:
            return self.client.gather(self.client.compute(tasks))
        except DataError:
            raise
        except Exception as error:
            text = str(error).splitlines()[0] if str(error) else type(error).__name__
            raise DataError(
                f"{self._where()}: a worker could not read a partition ({type(error).__name__}: {text})"
            ) from None

    # ------------------------------------------------------------- the one pass
    def _learn(self, task: str | None) -> None:
        from dask import delayed

        self._parts = self.frame.to_delayed()
        stats = self._compute([delayed(_partition_stats)(part, self.target) for part in self._parts])
        self.partition_rows = [s["rows"] for s in stats]
        if self.target not in stats[0]["columns"]:
            raise DataError(f"no column {self.target!r}; the columns are: {', '.join(stats[0]['columns'])}")
        offsets = np.cumsum([0] + self.partition_rows)[:-1]
        self.kept_rows = [s["kept"] for s in stats]
        self.n_rows = sum(self.kept_rows)
        n = self.n_rows
        columns = stats[0]["columns"]
        merged = {c: _merge_column([s["column_stats"][c] for s in stats], offsets) for c in columns}
        if n == 0:
            raise DataError(f"the target {self.target!r} is missing in every row")
        dropped = sum(s["missing_target"] for s in stats)
        if dropped:
            self.notices.append(f"dropped {dropped} row(s) whose target {self.target!r} is missing")
        self.task, self.classes = _task_and_classes(self.target, merged[self.target], task)
        self._fit_preprocessor(merged, [c for c in columns if c != self.target], n)

    def _fit_preprocessor(self, merged: dict[str, dict[str, Any]], columns: list[str], n: int) -> None:
        """TablePreprocessor.fit's decisions, from the tallies (the same rules, the same notices)."""
        if not columns:
            raise DataError("there are no feature columns besides the target")
        for column in columns:
            _check_typos(column, merged[column])
            _check_finite(column, merged[column])
        dropped = []
        for column in columns:
            tally = merged[column]
            if tally["kind"] != "text" or tally["numbers"] + tally["others"] == 0:
                continue
            present = tally["numbers"] + tally["others"]
            worded = tally["worded"] / present
            distinct = tally["stripped"]
            many = distinct is None or len(distinct) > MAX_CATEGORIES or (n >= ID_MIN_ROWS and 2 * len(distinct) >= n)
            if worded >= FREE_TEXT_SHARE and many:
                count = self._distinct_count(column) if distinct is None else len(distinct)
                dropped.append(column)
                self.notices.append(
                    f"dropped column {column!r}: free text ({count} distinct values, {worded:.0%} of "
                    f"them of {FREE_TEXT_WORDS} words or more); pass --text {column} to learn from "
                    "its words"
                )
        ids = self._identifiers(merged, [c for c in columns if c not in dropped], n)
        features = [c for c in columns if c not in ids and c not in dropped]
        if not features:
            advice = f"; pass --text {dropped[0]} to learn from its words" if dropped else ""
            raise DataError(
                f"every column besides the target is an identifier{' or free text' * bool(dropped)}"
                f": nothing to learn from{advice}"
            )
        numeric = [c for c in features if merged[c]["kind"] in ("integer", "float")]
        categories: dict[str, list[str]]
        hashed: list[str]
        categories, hashed = {}, []
        for column in features:
            if column in numeric:
                continue
            levels = merged[column].get("levels")
            if levels is None or len(levels) > MAX_CATEGORIES:
                hashed.append(column)
            else:
                categories[column] = sorted(map(str, levels))
        impute = self.preprocessor.impute
        missing = [c for c in numeric if merged[c]["nulls"]]
        if missing and impute == "none":
            raise DataError(
                f"missing values in column(s) {', '.join(map(repr, missing))}; "
                "pass --impute mean or --impute median to fill them"
            )
        if impute == "median":
            fill = _exact_medians(self._compute, self._parts, self.target, numeric, merged)
        else:  # impute="none" fills nothing: its fill (medians in memory, never used) costs no passes here
            fill = {c: (merged[c]["sum"] / merged[c]["count"] if merged[c]["count"] else float("nan")) for c in numeric}
        self.preprocessor = TablePreprocessor.from_dict(
            {
                "impute": impute,
                "ids": ids,
                "features": features,
                "numeric": numeric,
                "categories": categories,
                "fill": fill,
                "text": [],
                "hashed": hashed,
                "dropped": dropped,
                "standardized": {},
            }
        )

    def _identifiers(self, merged: dict[str, dict[str, Any]], columns: list[str], n: int) -> list[str]:
        """tabular's identifier rule: a column with a different value in every row (whole numbers nearly
        filling their range, or text), dropped in ID_MIN_ROWS rows or more."""
        ids = []
        for column in columns:
            tally = merged[column]
            if n < 3 or tally["nulls"] or not tally["unique"] or tally["kind"] not in ("integer", "text"):
                continue
            values = ""
            if tally["kind"] == "integer":
                low, high = int(min(r[0] for r in tally["ranges"])), int(max(r[1] for r in tally["ranges"]))
                if high - low + 1 > 2 * n:
                    continue
                values = f" (whole numbers from {low} to {high})"
            if not self._unique_over_partitions(column, tally, n):
                continue
            if n >= ID_MIN_ROWS:
                ids.append(column)
                self.notices.append(
                    f"dropped column {column!r}: a different value in each of its {n} rows{values}, an identifier"
                )
            else:
                use = "a number" if values else "one-hot encoded"
                self.notices.append(
                    f"column {column!r} has a different value in each of its {n} rows{values}, like "
                    f"an identifier, but fewer than {ID_MIN_ROWS} rows cannot tell one from a "
                    f"category: it is kept as a feature ({use}); remove it if it only names the rows"
                )
        return ids

    def _unique_over_partitions(self, column: str, tally: dict[str, Any], n: int) -> bool:
        """Whether a column unique in each partition is unique over all of them."""
        if tally["kind"] == "integer":
            ranges = sorted(tally["ranges"])
            if all(a[1] < b[0] for a, b in zip(ranges, ranges[1:])):
                return True
        elif tally.get("levels") is not None:
            return len(tally["levels"]) == n
        return self._distinct_count(column) == n

    def _distinct_count(self, column: str) -> int:
        """The exact count of distinct values of one column, by Dask's ``nunique`` (a pass over it alone)."""
        return int(self._compute(self.frame[self.frame[self.target].notnull()][column].nunique()))

    # ------------------------------------------------------------- the arrays
    def _arrays(self) -> None:
        import dask.array as da
        from dask import delayed

        preprocessing = self.preprocessor.to_dict()
        k = len(self.preprocessor.output_names)
        y_dtype = (
            np.float64
            if self.task == "regression"
            else (self.classes.dtype if self.classes is not None else np.float64)
        )
        xs: list[da.Array]
        ys: list[da.Array]
        xs, ys = [], []
        for part, rows in zip(self._parts, self.kept_rows, strict=True):
            if rows == 0:
                continue
            pair = delayed(_prepare, nout=2)(part, preprocessing, self.target, self.task, self.classes)
            xs.append(da.from_delayed(pair[0], shape=(rows, k), dtype=np.float64))
            ys.append(da.from_delayed(pair[1], shape=(rows,), dtype=y_dtype))
        self.X = da.concatenate(xs, axis=0)
        self.y = da.concatenate(ys, axis=0)

    @property
    def feature_names(self) -> list[str]:
        return list(self.preprocessor.output_names)

    def measure(self, estimator: GDRegressor | GDClassifier) -> list[tuple[Any, ...]]:
        """The :func:`descend.metrics.metric_sums` of each partition, computed on the workers (a pass over
        the files unless the rows are persisted): ``combine_metrics(table.measure(model))``.

        Parameters
        ----------
        estimator : GDRegressor or GDClassifier
            The fitted model, sent to the workers.

        Returns
        -------
        list of tuple
            The :func:`descend.metrics.metric_sums` of each partition with rows, in order.

        Raises
        ------
        descend.readers.tables.DataError
            When a worker cannot read a partition.
        """
        from dask import delayed

        from ..metrics import metric_sums

        pairs = zip(self.X.to_delayed().ravel(), self.y.to_delayed().ravel(), strict=True)
        return self._compute([delayed(metric_sums)(self.task, estimator, X, y) for X, y in pairs])

    def dask_arrays(self) -> tuple[da.Array, da.Array, list[str]]:
        """(X, y, feature names): what :class:`descend.linear._dask.DaskSource` trains on.

        Returns
        -------
        X : dask.array.Array
            The matrix, chunked by partition (not persisted).
        y : dask.array.Array
            The targets, chunked alike.
        feature_names : list of str
            The names of the matrix's columns.
        """
        return self.X, self.y, self.feature_names

    def __repr__(self) -> str:
        return f"DaskTable({self._where()}, target={self.target!r}, {self.n_rows:,} rows)"
