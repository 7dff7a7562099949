"""``descend fit``: train a linear model on a table and write it to a model file.

Three ways to train: the table in memory (split into training and held-out
rows), the file streamed in chunks epoch after epoch (``--stream``), or the
rows sent to an existing Dask cluster (``--scheduler``). Every flag that a way
cannot honour, and every output that cannot be written, is refused before any
work is done.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import typer
from rich.console import Console

from ..metrics import table_metrics
from ..optimizers import OPTIMIZER_NAMES
from ..penalties import PENALTY_NAMES
from ..tabular import IMPUTE_CHOICES
from .app import UserError, app, one_line_errors
from .views import convergence_notice, metrics_table, print_notice

if TYPE_CHECKING:
    import pandas as pd  # kept out of the import of the command line


class Task(str, Enum):
    regression = "regression"
    classification = "classification"


# Metrics on fewer held-out rows than this say more about the split than about the model.
MIN_TEST_ROWS = 10

# Choices come from the modules that define them, so the command line cannot drift from the library.
Penalty = Enum("Penalty", {name: name for name in ("none",) + PENALTY_NAMES}, type=str)
Impute = Enum("Impute", {name: name for name in IMPUTE_CHOICES}, type=str)


@dataclass(frozen=True)
class FitJob:
    """What every way of training shares: the data, the outputs, and the estimator's settings."""

    data: Path
    target: str
    task: Task | None  # None: inferred from the target
    out: Path
    plot: Path | None
    impute: Impute
    resume: bool
    settings: dict  # keyword arguments of GDRegressor and GDClassifier

    @property
    def epochs(self):
        return self.settings["max_iter"]


@app.command()
def fit(
    data: Path = typer.Argument(..., help="Training data: a .csv or .parquet file."),
    target: str = typer.Option(..., "--target", "-t", help="The column to predict."),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the model file (JSON)."),
    task: Task = typer.Option(None, help="regression or classification; inferred from the target if not given "
                                         "(text or two values: classification)."),
    optimizer: str = typer.Option("sgd", help=f"{', '.join(OPTIMIZER_NAMES)}."),
    learning_rate: str = typer.Option("auto", "--learning-rate", "--lr",
                                      help="'auto' (from the data's curvature) or a number."),
    batch_size: int = typer.Option(None, min=1, help="Rows per step; omit for the full batch, 1 for SGD."),
    epochs: int = typer.Option(1000, min=1, help="Most passes over the data."),
    penalty: Penalty = typer.Option(Penalty.l2, help="Regularisation."),
    alpha: float = typer.Option(1e-4, min=0.0, help="Strength of the penalty."),
    l1_ratio: float = typer.Option(0.15, min=0.0, max=1.0, help="Share of L1 in the elastic net."),
    early_stopping: bool = typer.Option(False, "--early-stopping", help="Stop when a held-out 10% stops improving."),
    test_size: float = typer.Option(None, min=0.0, max=0.9, help="Share of rows held out for the metrics "
                                                                 "[default: 0.2; none with --stream]."),
    random_state: int = typer.Option(0, help="Seed for the split and the shuffles."),
    impute: Impute = typer.Option(Impute.none, help="Fill missing feature values, or refuse them."),
    plot: Path = typer.Option(None, help="Also write the loss curve to this PNG/SVG file."),
    checkpoint: Path = typer.Option(None, help="Write the state of the fit to this file as it goes."),
    checkpoint_every: int = typer.Option(1, min=1, help="Epochs between checkpoints."),
    resume: bool = typer.Option(False, "--resume", help="Go on from --checkpoint (same data, same settings)."),
    stream: bool = typer.Option(False, "--stream", help="Read the file in chunks, epoch after epoch: memory "
                                                        "bounded by --chunk-rows and --buffer-rows, not the file."),
    chunk_rows: int = typer.Option(65_536, min=1, help="With --stream: rows per chunk."),
    buffer_rows: int = typer.Option(262_144, min=0, help="With --stream: rows in the shuffle buffer."),
    scheduler: str = typer.Option(None, help="Train on an existing Dask cluster, e.g. tcp://127.0.0.1:8786 "
                                             "(full batch: exact; mini-batches: local SGD with averaging)."),
) -> None:
    """Train a linear model on a table and write it to a model file.

    Example: descend fit houses.csv --target price --out model.json
    """
    console = Console()
    with one_line_errors():
        for path, option in ((out, "--out"), (plot, "--plot"), (checkpoint, "--checkpoint")):
            _refuse_unwritable(path, option)
        if resume and checkpoint is None:
            raise UserError("--resume needs --checkpoint FILE")
        settings = dict(optimizer=optimizer, learning_rate=_parse_learning_rate(learning_rate),
                        batch_size=batch_size, max_iter=epochs,
                        penalty=None if penalty == Penalty.none else penalty.value, alpha=alpha, l1_ratio=l1_ratio,
                        early_stopping=early_stopping, random_state=random_state,
                        checkpoint=str(checkpoint) if checkpoint else None, checkpoint_every=checkpoint_every)
        job = FitJob(data, target, task, out, plot, impute, resume, settings)
        _refuse_flags_out_of_place(stream, scheduler, early_stopping, test_size, checkpoint, resume)
        if stream:
            _fit_streamed(console, job, chunk_rows, buffer_rows)
        else:
            _fit_in_memory(console, job, 0.2 if test_size is None else test_size, scheduler)


def _refuse_unwritable(path, option):
    """Refuse, before any work, an output path that cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise UserError(f"{option} {path} is a folder")
    if not path.parent.is_dir():
        raise UserError(f"{option}: no such folder {path.parent}")


def _refuse_flags_out_of_place(stream, scheduler, early_stopping, test_size, checkpoint, resume):
    """Refuse, before any work, a flag that the chosen way of training cannot honour."""
    if stream:
        for given, option in ((scheduler, "--scheduler"), (early_stopping, "--early-stopping"),
                              (test_size is not None, "--test-size")):
            if given:
                raise UserError(f"{option} works on a table in memory, not with --stream")
    elif scheduler and (checkpoint or resume):
        raise UserError("--checkpoint and --resume work in memory or with --stream, not with --scheduler")


def _parse_learning_rate(text):
    if text == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise UserError(f"--learning-rate must be 'auto' or a number, got {text!r}") from None


@dataclass(frozen=True)
class _SplitTable:
    """The table read into memory, its task, and which rows train and which are held out."""

    frame: pd.DataFrame
    task: str
    y: np.ndarray
    train_rows: np.ndarray
    test_rows: np.ndarray


def _read_and_split(job, held_out, notices):
    from sklearn.model_selection import train_test_split

    from ..tabular import check_columns, clean_target, infer_task, read_table, target_array

    frame = clean_target(read_table(job.data), job.target, notices)
    check_columns(frame, [c for c in frame.columns if c != job.target])  # a typo is named before any split
    task = job.task.value if job.task is not None else infer_task(frame[job.target])
    y = target_array(frame[job.target], task)
    if held_out == 0:
        return _SplitTable(frame, task, y, np.arange(len(frame)), np.arange(0))
    _refuse_too_few_held_out(len(frame), held_out, len(np.unique(y)) if task == "classification" else 0,
                             job.target)
    try:
        train_rows, test_rows = train_test_split(np.arange(len(frame)), test_size=held_out,
                                                 random_state=job.settings["random_state"],
                                                 stratify=y if task == "classification" else None)
    except ValueError as error:
        raise UserError(f"cannot hold out --test-size {held_out}: {error}") from None
    return _SplitTable(frame, task, y, train_rows, test_rows)


def _refuse_too_few_held_out(rows, held_out, classes, target):
    """Refuse a split whose held-out rows are too few to measure on: fewer than MIN_TEST_ROWS, or than
    the classes; the advice names a --test-size that would do, when one that keeps half the rows would."""
    measured = math.ceil(held_out * rows)  # as scikit-learn's train_test_split counts them
    needed = max(MIN_TEST_ROWS, classes)
    if measured >= needed:
        return
    why = f"the {classes} classes of {target!r}" if classes > MIN_TEST_ROWS else str(MIN_TEST_ROWS)
    share = -(-needed * 100 // rows) / 100  # the smallest share in hundredths that holds out enough
    while math.ceil(share * rows) < needed:
        share += 0.01
    advice = f"more data, --test-size {share:.2f} or more," if share <= 0.5 else "more data"
    raise UserError(f"holding out {held_out * 100:.3g}% of {rows} rows leaves {measured} row"
                    f"{'' if measured == 1 else 's'} to measure on, fewer than {why}; use {advice} "
                    "or --test-size 0 to report training metrics")


def _new_estimator(task, settings, verbose):
    from ..linear import GDClassifier, GDRegressor

    return (GDRegressor if task == "regression" else GDClassifier)(**settings, verbose=verbose)


def _fit_in_memory(console, job, held_out, scheduler):
    from ..tabular import TablePreprocessor

    notices: list[str] = []
    table = _read_and_split(job, held_out, notices)
    train = table.frame.iloc[table.train_rows]
    preprocessor = TablePreprocessor(job.impute.value).fit(train, job.target, notices, whole=table.frame)
    for notice in notices:
        print_notice(console, notice)
    X_train, y_train = preprocessor.transform(train, allowed_extra=(job.target,)), table.y[table.train_rows]
    verbose = 1 if len(train) * job.epochs >= 5_000_000 else 0  # a progress bar on long fits
    estimator = _new_estimator(table.task, job.settings, verbose)
    if table.task == "classification" and len(np.unique(y_train)) < 2:
        raise UserError(f"the training rows hold a single class of {job.target!r}")
    with convergence_notice(console, job.epochs):
        if scheduler:
            _fit_on_cluster(estimator, scheduler, X_train, y_train)
        else:
            estimator.fit(X_train, y_train, resume=job.resume)
    metrics, title = _measure(table, estimator, preprocessor, job.target, X_train)
    console.print(metrics_table(title, metrics))
    _write_model(console, job, estimator, preprocessor,
                 {"task": table.task, "target": job.target, "data": str(job.data), "rows": int(len(table.frame)),
                  "trained_on": int(len(table.train_rows)), "metrics": metrics, "metrics_on": title},
                 f"{job.data.name}: training loss")


def _measure(table, estimator, preprocessor, target, X_train):
    """The metrics on the held-out rows, or on the training rows when none are held out; and their title."""
    if len(table.test_rows) == 0:
        metrics = table_metrics(table.task, estimator, [(X_train, table.y[table.train_rows])])
        return metrics, "training metrics (no rows held out)"
    X_test = preprocessor.transform(table.frame.iloc[table.test_rows], allowed_extra=(target,))
    metrics = table_metrics(table.task, estimator, [(X_test, table.y[table.test_rows])])
    return metrics, f"held-out metrics ({len(table.test_rows)} of {len(table.frame)} rows)"


def _fit_on_cluster(estimator, address, X, y):
    """Send the rows to the cluster's workers in four partitions or more, and fit there."""
    import dask.array as da
    from distributed import Client

    try:
        client = Client(address, timeout=20)
    except (OSError, TimeoutError) as error:
        raise UserError(f"cannot reach the Dask scheduler at {address}: {str(error).splitlines()[0]}") from None
    try:
        rows = max(1, -(-len(y) // max(4, 2 * len(client.scheduler_info()["workers"]))))
        estimator.fit(da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows))
    finally:
        client.close()


def _fit_streamed(console, job, chunk_rows, buffer_rows):
    from ..stream import TableStream

    source = TableStream(job.data, job.target, chunk_rows=chunk_rows, buffer_rows=buffer_rows,
                         impute=job.impute.value, task=job.task.value if job.task is not None else None)
    for notice in source.notices:  # learned from the first rows; only rows without a target go on being dropped
        later = "; later chunks drop such rows too" if "whose target" in notice else ""
        print_notice(console, f"{notice} (in the first rows{later})")
    settings = {**job.settings, "batch_size": job.settings["batch_size"] or 256}  # a full batch: one step an epoch
    estimator = _new_estimator(source.task, settings, verbose=1)
    with convergence_notice(console, job.epochs):
        estimator.fit(source, resume=job.resume)
    metrics = table_metrics(source.task, estimator, source.epoch())
    title = f"training metrics over the whole file, streamed ({metrics['rows']} rows)"
    console.print(metrics_table(title, metrics))
    _write_model(console, job, estimator, source.preprocessor,
                 {"task": source.task, "target": job.target, "data": str(job.data), "rows": metrics["rows"],
                  "streamed": True, "metrics": metrics, "metrics_on": title},
                 f"{job.data.name}: training loss (streamed)")


def _write_model(console, job, estimator, preprocessor, metadata, plot_title):
    """Save the model with its preprocessing and metadata; draw its loss curve if asked."""
    from ..io import save

    metadata = {**metadata, "features": preprocessor.output_names,
                "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    save(estimator, job.out, preprocessing=preprocessor.to_dict(), metadata=metadata)
    console.print(f"model written to {job.out} ({estimator.n_iter_} epochs, learning rate "
                  f"{estimator.learning_rate_:.3g})")
    if job.plot:
        from ..plot import loss_curve

        loss_curve(estimator, title=plot_title, path=job.plot)
        console.print(f"loss curve written to {job.plot}")
