"""``descend predict`` and ``descend evaluate``: using a model file that ``descend fit`` wrote."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import typer
from rich.console import Console

from ..metrics import table_metrics
from .app import UserError, app, one_line_errors
from .views import metrics_table, print_notice


def load_trained(model_path):
    """The estimator, its table preprocessing and its metadata from a model file ``descend fit`` wrote."""
    from ..io import ModelFileError, load_model
    from ..tabular import TablePreprocessor

    estimator, preprocessing, metadata = load_model(model_path)
    if preprocessing is None:
        raise ModelFileError(f"{model_path} was saved from Python without its preprocessing; "
                             "use it from Python, or train it with 'descend fit'")
    return estimator, TablePreprocessor.from_dict(preprocessing), metadata


@app.command()
def predict(
    model: Path = typer.Argument(..., help="A model file written by 'descend fit'."),
    data: Path = typer.Argument(..., help="Rows to predict: a .csv or .parquet file with the training columns."),
    out: Path = typer.Option(None, "--out", "-o", help="Write the predictions here (CSV); else print them."),
) -> None:
    """Predict every row of a table with a trained model (one output row per input row).

    Example: descend predict model.json new_houses.csv --out predictions.csv
    """
    with one_line_errors():
        import pandas as pd

        from ..io import write_atomically
        from ..tabular import read_table

        estimator, preprocessor, metadata = load_trained(model)
        frame = read_table(data)
        target = metadata.get("target")
        X = preprocessor.transform(frame, allowed_extra=(target,) if target else ())
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
            Console(stderr=True).print(f"{len(result)} predictions written to {out}")


@app.command()
def evaluate(
    model: Path = typer.Argument(..., help="A model file written by 'descend fit'."),
    data: Path = typer.Argument(..., help="Labelled rows: a .csv or .parquet file."),
    target: str = typer.Option(..., "--target", "-t", help="The column with the true values."),
) -> None:
    """Print a trained model's metrics on labelled data.

    Example: descend evaluate model.json test.csv --target price
    """
    with one_line_errors():
        from sklearn.base import is_classifier

        from ..tabular import clean_target, read_table, target_array

        estimator, preprocessor, _ = load_trained(model)
        notices: list[str] = []
        frame = clean_target(read_table(data), target, notices, learning=False)
        for notice in notices:
            print_notice(Console(), notice)
        task = "classification" if is_classifier(estimator) else "regression"
        X = preprocessor.transform(frame, allowed_extra=(target,))
        y = target_array(frame[target], task, estimator.classes_ if task == "classification" else None)
        if task == "classification":
            unknown = np.setdiff1d(y.astype(str), estimator.classes_.astype(str))
            if unknown.size:
                raise UserError(f"{target!r} holds classes the model never saw: {', '.join(unknown[:5])}")
        Console().print(metrics_table(f"{model.name} on {data.name}", table_metrics(task, estimator, [(X, y)])))
