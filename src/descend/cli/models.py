"""``descend predict`` and ``descend evaluate``: using a model file that ``descend fit`` wrote.

The model file's preprocessing says how to read the data: a table through its TablePreprocessor (text
columns hashed as in training), or an svmlight file with the training file's columns and index base.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..readers.lines import STDIN
from .app import UserError, app, one_line_errors
from .views import metrics_table, new_console, print_notice

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any, TypeAlias

    import pandas as pd
    from typing_extensions import TypeIs

    from .._typing import AnyArray, Matrix
    from ..linear import GDClassifier, GDRegressor
    from ..readers.svmlight import SvmlightFormat
    from ..readers.tables import TablePreprocessor
    from ..readers.vw import VWFormat

    #: A model the command line trains or reads from a model file.
    Estimator: TypeAlias = GDRegressor | GDClassifier
    #: Lines with their labels first: svmlight's, or Vowpal Wabbit's.
    LineFormat: TypeAlias = SvmlightFormat | VWFormat
    #: How a model reads its rows: a table's preprocessing, or a format of lines.
    Preprocessing: TypeAlias = TablePreprocessor | LineFormat


JOBS_HELP = "Threads that hash text columns, -1 every core (the same predictions for any number)."


def load_trained(model_path: Path, jobs: int | None = None) -> tuple[Estimator, Preprocessing, dict[str, Any]]:
    """The estimator, its preprocessing (a TablePreprocessor, or an SvmlightFormat) and its metadata
    from a model file ``descend fit`` wrote; ``jobs``, the threads (``n_jobs``) that hash a table's text
    columns, checked here. Hashing gives the same rows on any number of threads."""
    from .._threads import check_n_jobs
    from ..io import ModelFileError, load_model
    from ..readers.svmlight import SvmlightFormat
    from ..readers.tables import TablePreprocessor

    n_jobs = check_n_jobs(jobs)
    estimator, preprocessing, metadata = load_model(model_path)
    if preprocessing is None:
        raise ModelFileError(
            f"{model_path} was saved from Python without its preprocessing; "
            "use it from Python, or train it with 'descend fit'"
        )
    if preprocessing.get("kind") == SvmlightFormat.kind:
        return estimator, SvmlightFormat.from_dict(preprocessing), metadata
    if preprocessing.get("kind") == "vw":
        from ..readers.vw import VWFormat

        return estimator, VWFormat.from_dict(preprocessing), metadata
    table = TablePreprocessor.from_dict(preprocessing)
    table.n_jobs = n_jobs
    return estimator, table, metadata


def _svmlight_model(preprocessor: Preprocessing) -> TypeIs[LineFormat]:
    """Whether the model reads lines with their labels first (svmlight's, or Vowpal Wabbit's)."""
    return getattr(preprocessor, "kind", None) in ("svmlight", "vw")


def _read_svmlight_for(preprocessor: LineFormat, data: Path, model: Path) -> tuple[Matrix, AnyArray]:
    """(X, labels) of the svmlight file ``data`` as the model reads it; a table is refused by name."""
    from ..readers.tables import PARQUET_SUFFIXES

    if Path(data).suffix.lower() in PARQUET_SUFFIXES + (".csv", ".tsv"):  # not .txt: libsvm's files may be
        raise UserError(f"{model} was trained on an svmlight file, and {data} is a table")
    return preprocessor.read(data)


def _read_table_for(preprocessor: TablePreprocessor, data: Path, model: Path) -> pd.DataFrame:
    """The table ``data`` as the model's preprocessing reads it; an svmlight file is refused by name."""
    from ..readers.svmlight import is_svmlight
    from ..readers.tables import read_table

    if is_svmlight(data):
        raise UserError(f"{model} was trained on a table, and {data} is an svmlight file")
    return read_table(data, text=preprocessor.text)


@app.command()
def predict(
    model: Path = typer.Argument(..., help="A model file written by 'descend fit'."),
    data: Path = typer.Argument(
        ...,
        help="Rows to predict: a .csv or .parquet file with the training columns "
        "(an svmlight file for a model trained on one).",
    ),
    out: Path = typer.Option(None, "--out", "-o", help="Write the predictions here (CSV); else print them."),
    jobs: int = typer.Option(None, "--jobs", "-j", help=JOBS_HELP),
) -> None:
    """Predict every row of a table with a trained model (one output row per input row); ``-`` reads
    rows from standard input and writes each block's predictions as it comes, in bounded memory.

    Example: descend predict model.json new_houses.csv --out predictions.csv;
    cat new.vw | descend predict model.json -
    """
    with one_line_errors():
        import pandas as pd

        from ..io import write_atomically

        estimator, preprocessor, metadata = load_trained(model, jobs)
        if str(data) == STDIN:
            if out is not None:
                raise UserError("rows from standard input are predicted to standard output: leave --out out")
            _predict_stream(estimator, preprocessor)
            return
        if _svmlight_model(preprocessor):
            X, _ = _read_svmlight_for(preprocessor, data, model)  # the labels of the file are not used
            result = pd.DataFrame(index=pd.RangeIndex(X.shape[0]))
        else:
            frame = _read_table_for(preprocessor, data, model)
            target = metadata.get("target")
            notices: list[str] = []
            X = preprocessor.transform(frame, allowed_extra=(target,) if target else (), notices=notices)
            for notice in notices:
                print_notice(new_console(stderr=True), notice)
            result = pd.DataFrame(index=frame.index)
            for column in preprocessor.ids:
                if column in frame.columns:
                    result[column] = frame[column]
        result["prediction"] = estimator.predict(X)
        if hasattr(estimator, "predict_proba"):
            for label, column in zip(estimator.classes_, estimator.predict_proba(X).T, strict=True):
                result[f"probability_{label}"] = column
        if out is None:
            result.to_csv(sys.stdout, index=False)
        else:
            write_atomically(out, lambda stream: result.to_csv(stream, index=False))
            new_console(stderr=True).print(f"{len(result)} predictions written to {out}")


def _predict_stream(estimator: Estimator, preprocessor: Preprocessing) -> None:
    """Rows from standard input to predictions on standard output, block by block as lines arrive, in
    the model's format (Vowpal Wabbit's, svmlight's, or CSV with its header first)."""
    import pandas as pd

    from ..readers.lines import LineBlocks, LineRows

    form = {"vw": "vw", "svmlight": "svmlight"}.get(getattr(preprocessor, "kind", ""), "csv")
    rows, written = LineRows(form, "<stdin>", preprocessor), False
    for data, first_line in LineBlocks(STDIN, max_lines=16_384):
        parsed = rows.parse(data, first_line)
        if parsed is None or parsed[0].shape[0] == 0:
            continue
        X = parsed[0]
        result = pd.DataFrame({"prediction": estimator.predict(X)})
        if hasattr(estimator, "predict_proba"):
            for label, column in zip(estimator.classes_, estimator.predict_proba(X).T, strict=True):
                result[f"probability_{label}"] = column
        result.to_csv(sys.stdout, index=False, header=not written)
        sys.stdout.flush()
        written = True


@app.command()
def evaluate(
    model: Path = typer.Argument(..., help="A model file written by 'descend fit'."),
    data: Path = typer.Argument(
        ..., help="Labelled rows: a .csv or .parquet file (an svmlight file for a model trained on one)."
    ),
    target: str = typer.Option(None, "--target", "-t", help="The column with the true values (a table)."),
    jobs: int = typer.Option(None, "--jobs", "-j", help=JOBS_HELP),
) -> None:
    """Print a trained model's metrics on labelled data.

    Example: descend evaluate model.json test.csv --target price
    """
    import numpy as np

    from ..losses import check_targets, get_loss
    from ..metrics import table_metrics

    with one_line_errors():
        from sklearn.base import is_classifier

        estimator, preprocessor, _ = load_trained(model, jobs)
        task = "classification" if is_classifier(estimator) else "regression"
        if _svmlight_model(preprocessor):
            if target is not None:
                raise UserError("an svmlight file holds its labels in each line's first field: leave --target out")
            from ..readers.svmlight import labels

            X, y = _read_svmlight_for(preprocessor, data, model)
            y = labels(y, task)
            place = lambda i: f"row {i + 1} of {data}"  # noqa: E731
        else:
            X, y, place = _labelled_table(preprocessor, model, data, target, task, estimator)
        if task == "regression":  # a target the loss cannot measure (a negative count...), named by its row
            check_targets(get_loss(estimator.loss, power=estimator.power), y, where=place)
        if task == "classification":
            unknown = np.setdiff1d(y.astype(str), estimator.classes_.astype(str))
            if unknown.size:
                holder = repr(target) if target else f"{data}'s labels"
                raise UserError(f"{holder} holds classes the model never saw: {', '.join(unknown[:5])}")
        new_console().print(metrics_table(f"{model.name} on {data.name}", table_metrics(task, estimator, [(X, y)])))


def _labelled_table(
    preprocessor: TablePreprocessor, model: Path, data: Path, target: str | None, task: str, estimator: Estimator
) -> tuple[Matrix, AnyArray, Callable[[int], str]]:
    """(X, y, place) of a labelled table, rows without a target dropped with a notice; ``place(i)`` names
    the i-th of y by its row in the file."""
    from ..readers.tables import clean_target, target_array

    if target is None:
        raise UserError("--target is required: the column with the true values")
    notices: list[str] = []
    frame = clean_target(_read_table_for(preprocessor, data, model), target, notices, learning=False)
    X = preprocessor.transform(frame, allowed_extra=(target,), notices=notices)
    for notice in notices:
        print_notice(new_console(), notice)
    y = target_array(frame[target], task, estimator.classes_ if task == "classification" else None)
    return X, y, lambda i: f"{target!r} in data row {frame.index[i] + 1}"
