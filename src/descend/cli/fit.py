"""``descend fit``: train a linear model on a table and write it to a model file.

Three ways to train: the table in memory (split into training and held-out
rows), the file streamed in chunks epoch after epoch (``--stream``), or the
files read by the workers of an existing Dask cluster (``--scheduler``; see
:mod:`descend.readers.dask_tables`: the client never holds the rows). Every flag that a way
cannot honour, and every output that cannot be written, is refused before any
work is done.

Two kinds of data: a table (CSV, Parquet; ``--text`` columns hashed into
words, see :mod:`descend.readers.tables`) or an svmlight / libsvm file
(``--format svmlight``, or a name ending in .svm, .svmlight, .libsvm; see
:mod:`descend.readers.svmlight`). What to train with, when the options do not say, is the
library's choice (``optimizer="auto"``, ``batch_size="auto"``: see
:mod:`descend.linear._settings`): a large sparse matrix (hashed text, an
svmlight file) is learned online, one pass of one row a step with Vowpal
Wabbit's normalized update; other data take the full batch. A streamed
sparse file is learned online the same way (its size is not known before
the pass). A notice says what was chosen.
"""

from __future__ import annotations

import datetime
import math
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from .._extras import require
from ..choices import (
    CLASSIFICATION_LOSSES,
    DEFAULT_MEMORY,
    FULL_BATCH_OPTIMIZER_NAMES,
    HASHED_FEATURES,
    IMPUTE_CHOICES,
    MATRIX_OPTIMIZER_NAMES,
    OPTIMIZER_NAMES,
    PENALTY_NAMES,
    REGRESSION_LOSSES,
    ROW_OPTIMIZER_NAMES,
    SCHEDULE_NAMES,
)
from ..readers import file_format
from .app import UserError, app, one_line_errors
from .views import convergence_notice, metrics_table, new_console, print_notice

if TYPE_CHECKING:  # numpy is imported by the functions that use it: --help does not load it
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any

    from rich.console import Console

    from .._typing import AnyArray, FloatArray, IntArray, Matrix
    from ..losses import Loss
    from ..readers.stream import TableStream
    from ..readers.svmlight import SvmlightStream
    from .models import Estimator, LineFormat, Preprocessing


class Task(str, Enum):
    regression = "regression"
    classification = "classification"


# Metrics on fewer held-out rows than this say more about the split than about the model.
MIN_TEST_ROWS = 10

# Choices come from the modules that define them, so the command line cannot drift from the library.
Penalty = Enum("Penalty", {name: name for name in ("none",) + PENALTY_NAMES}, type=str)  # type: ignore[misc]  # members made at runtime
Impute = Enum("Impute", {name: name for name in IMPUTE_CHOICES}, type=str)  # type: ignore[misc]  # members made at runtime
Schedule = Enum("Schedule", {name: name for name in SCHEDULE_NAMES}, type=str)  # type: ignore[misc]  # members made at runtime
LossName = Enum("LossName", {name: name for name in REGRESSION_LOSSES + CLASSIFICATION_LOSSES}, type=str)  # type: ignore[misc]  # members made at runtime

#: The options of the losses' own parameters, and the losses that take each (the estimator's parameter
#: of the same name).
LOSS_OPTIONS = {
    "quantile": ("quantile",),
    "power": ("tweedie",),
    "epsilon": ("huber", "epsilon_insensitive", "squared_epsilon_insensitive"),
}
LOSS_HELP = (
    "What the fit minimizes: a name listed above, of the task's (default: squared_error, log_loss). "
    "poisson, gamma and tweedie predict exp(Xw + b), a mean. The metrics printed are those of the loss."
)
LOSS_OPTION_HELP = {
    "quantile": "With --loss quantile: the quantile to fit, between 0 and 1 (default 0.5, the median).",
    "power": "With --loss tweedie: its power, 0 or from 1 on (1 Poisson, between 1 and 2 compound Poisson-Gamma, "
    "2 Gamma; default 1.5).",
    "epsilon": "With --loss huber, or a loss with epsilon in its name: the threshold, in the target's units "
    "(default 0.1).",
}


class DataFormat(str, Enum):
    auto = "auto"  # by the file's name: svmlight (.svm, .svmlight, .libsvm), Vowpal Wabbit (.vw), else a table
    table = "table"  # CSV (.csv, .txt, .tsv) or Parquet (.parquet, .pq)
    svmlight = "svmlight"
    vw = "vw"  # Vowpal Wabbit's text format (descend.readers.vw), in memory


@dataclass(frozen=True)
class FitJob:
    """What every way of training shares: the data, the outputs, and the estimator's settings."""

    data: Path
    target: str | None  # None for an svmlight file: its labels are its first field
    task: Task | None  # None: inferred from the target
    out: Path
    plot: Path | None
    impute: Impute
    resume: bool
    settings: dict[str, Any]  # keyword arguments of GDRegressor and GDClassifier; those the user gave, for the rest
    svmlight: bool  # the data is lines with their labels first (svmlight, or Vowpal Wabbit's: vw), not a table
    text: tuple[str, ...] = ()  # text columns
    n_features: int | None = None  # the hashed space (a table), the columns (svmlight); None: the default
    ngram_range: tuple[int, int] = (1, 1)
    epochs_given: bool = False  # --epochs was given (else an online fit makes one pass)
    vw: bool = False  # the lines are Vowpal Wabbit's

    @property
    def epochs(self) -> int:
        return self.settings["max_iter"]


FIT_HELP = (
    "Train a linear model on a table (or an svmlight file) and write it to a model file.\n\n"
    f"Losses (--loss) for regression: {', '.join(REGRESSION_LOSSES)}; "
    f"for classification: {', '.join(CLASSIFICATION_LOSSES)}.\n\n"
    "Example: descend fit houses.csv --target price --out model.json;\n"
    "descend fit reviews.csv --target label --text review --out model.json;\n"
    "descend fit trips.csv --target riders --loss poisson --out model.json"
)


@app.command(help=FIT_HELP)
def fit(
    data: Path = typer.Argument(
        ...,
        help="Training data: a .csv or .parquet file or an svmlight file; with --stream "
        "or --scheduler also a folder or a quoted glob ('data/*.parquet').",
    ),
    target: str = typer.Option(
        None, "--target", "-t", help="The column to predict (a table; an svmlight file's labels are its first field)."
    ),
    out: Path = typer.Option(..., "--out", "-o", help="Where to write the model file (JSON)."),
    task: Task = typer.Option(
        None,
        help="regression or classification; inferred from the target if not given "
        "(text or two values: classification).",
    ),
    loss: LossName = typer.Option(None, metavar="NAME", show_default=False, help=LOSS_HELP),
    quantile: float = typer.Option(None, help=LOSS_OPTION_HELP["quantile"]),
    power: float = typer.Option(None, help=LOSS_OPTION_HELP["power"]),
    epsilon: float = typer.Option(None, help=LOSS_OPTION_HELP["epsilon"]),
    optimizer: str = typer.Option(
        "auto",
        help=f"auto, {', '.join(OPTIMIZER_NAMES + ROW_OPTIMIZER_NAMES)}, "
        f"{', '.join(FULL_BATCH_OPTIMIZER_NAMES + MATRIX_OPTIMIZER_NAMES)} "
        "(auto: normalized for one row a step, lbfgs for the full batch, else "
        "sgd; muon for several classes or targets).",
    ),
    learning_rate: str = typer.Option(
        "auto", "--learning-rate", "--lr", help="'auto' (from the data's curvature) or a number."
    ),
    batch_size: int = typer.Option(
        None,
        min=1,
        help="Rows per step (default: auto, the full batch, or for a large sparse matrix one row a step, online).",
    ),
    epochs: int = typer.Option(
        None, min=1, help="Most passes over the data (default: 1000; one when learning online)."
    ),
    penalty: Penalty = typer.Option(Penalty.l2, help="Regularisation."),  # type: ignore[attr-defined]  # made at runtime
    alpha: float = typer.Option(1e-4, min=0.0, help="Strength of the penalty."),
    l1_ratio: float = typer.Option(0.15, min=0.0, max=1.0, help="Share of L1 in the elastic net."),
    early_stopping: bool = typer.Option(False, "--early-stopping", help="Stop when a held-out 10% stops improving."),
    test_size: float = typer.Option(
        None, min=0.0, max=0.9, help="Share of rows held out for the metrics (default: 0.2; none with --stream)."
    ),
    random_state: int = typer.Option(0, help="Seed for the split and the shuffles."),
    impute: Impute = typer.Option(Impute.none, help="Fill missing feature values, or refuse them."),  # type: ignore[attr-defined]  # made at runtime
    plot: Path = typer.Option(None, help="Also write the loss curve to this PNG/SVG file."),
    checkpoint: Path = typer.Option(None, help="Write the state of the fit to this file as it goes."),
    checkpoint_every: int = typer.Option(1, min=1, help="Epochs between checkpoints."),
    resume: bool = typer.Option(False, "--resume", help="Go on from --checkpoint (same data, same settings)."),
    stream: bool = typer.Option(
        False, "--stream", help="Read the file in chunks, epoch after epoch: memory bounded by --memory, not the file."
    ),
    chunk_rows: int = typer.Option(65_536, min=1, help="With --stream: rows per chunk."),
    buffer_rows: int = typer.Option(
        None, min=0, help="With --stream: rows in the shuffle buffer (default: what --memory leaves)."
    ),
    memory: str = typer.Option(
        None,
        help=f"With --stream: the memory held for data, e.g. 256MB (default: "
        f"{DEFAULT_MEMORY}): read buffers, pieces read ahead, the shuffle buffer.",
    ),
    scheduler: str = typer.Option(
        None,
        help="Train on a Dask cluster (tcp://host:8786) whose workers read the "
        "files at the same paths (full batch: exact; else local SGD).",
    ),
    text: list[str] = typer.Option(
        None,
        "--text",
        help="A column of free text: its words are hashed into --n-features columns (repeat for more columns).",
    ),
    n_features: int = typer.Option(
        None,
        min=1,
        help="Columns of the hashed space of --text columns and "
        f"categories with many values (default: 2**20 = "
        f"{HASHED_FEATURES}); of an svmlight file (default: its "
        "largest index).",
    ),
    ngram: str = typer.Option(
        None, help="With --text: MIN,MAX words per hashed term, e.g. 1,2 for words and pairs of words (default: 1,1)."
    ),
    data_format: DataFormat = typer.Option(
        DataFormat.auto,
        "--format",
        help="table (CSV, Parquet), svmlight or vw (Vowpal Wabbit's format); auto: by the file's name.",
    ),
    schedule: Schedule = typer.Option(None, help="The learning rate's schedule (default: constant)."),
    standardize: bool = typer.Option(
        None, "--standardize/--no-standardize", help="Step in standardized coordinates (default: yes)."
    ),
    tol: float = typer.Option(None, min=0.0, help="When to stop: see GDRegressor's tol (default: 1e-6)."),
    jobs: int = typer.Option(None, "--jobs", "-j", help="Threads, -1 every core (the full batch: the same model)."),
) -> None:
    """Train a linear model on a table (or an svmlight file) and write it to a model file (``--help``: FIT_HELP)."""
    console = new_console()
    with one_line_errors():
        _refuse_before_work(scheduler, out=out, plot=plot, checkpoint=checkpoint)
        settings = _estimator_settings(
            optimizer=optimizer,
            learning_rate=learning_rate,
            batch_size=batch_size,
            epochs=epochs,
            penalty=penalty,
            alpha=alpha,
            l1_ratio=l1_ratio,
            early_stopping=early_stopping,
            random_state=random_state,
            tol=tol,
            checkpoint=checkpoint,
            checkpoint_every=checkpoint_every,
            schedule=schedule,
            standardize=standardize,
            n_jobs=jobs,
        )
        settings.update(_loss_settings(loss, task, quantile=quantile, power=power, epsilon=epsilon))
        vw = data_format == DataFormat.vw or (data_format == DataFormat.auto and file_format(data) == "vw")
        svmlight = vw or _is_svmlight(data, data_format)
        _refuse_data_flags(svmlight, target, text, ngram, scheduler)
        if vw and (stream or scheduler):
            raise UserError("a Vowpal Wabbit file is read in memory; for one pass over a stream, use 'descend learn'")
        job = FitJob(
            data,
            target,
            task,
            out,
            plot,
            impute,
            resume,
            settings,
            svmlight,
            tuple(text or ()),
            n_features,
            _parse_ngram(ngram),
            epochs_given=epochs is not None,
            vw=vw,
        )
        _refuse_flags_out_of_place(stream, scheduler, early_stopping, test_size, checkpoint, resume)
        _check_settings(settings, task)
        _refuse_memory_out_of_place(memory, stream, svmlight)
        _train(console, job, stream, scheduler, test_size, chunk_rows, buffer_rows, memory)


def _refuse_before_work(scheduler: str | None, **paths: Path | None) -> None:
    """Refuse each file option's path (``--out``, ``--plot``...) that cannot be written, and ``--plot`` or
    ``--scheduler`` without the extra that they need: before the fit, not after it."""
    for option, path in paths.items():
        refuse_unwritable(path, f"--{option}")
    if paths.get("plot"):
        require("matplotlib", "--plot")
    if scheduler:
        require("distributed", "--scheduler")


def _estimator_settings(
    *,
    optimizer: str,
    learning_rate: str,
    batch_size: int | None,
    epochs: int | None,
    penalty: Penalty,
    alpha: float,
    l1_ratio: float,
    early_stopping: bool,
    random_state: int,
    checkpoint: Path | None,
    checkpoint_every: int,
    schedule: Schedule | None,
    standardize: bool | None,
    tol: float | None,
    n_jobs: int | None = None,
) -> dict[str, Any]:
    """The keyword arguments of GDRegressor and GDClassifier that the options say; the estimator's defaults
    for the options not given (``max_iter`` 1000: an online fit makes one pass whatever it says)."""
    settings = dict(
        optimizer=optimizer,
        learning_rate=parse_learning_rate(learning_rate),
        batch_size="auto" if batch_size is None else batch_size,
        max_iter=epochs or 1000,
        penalty=None if penalty == Penalty.none else penalty.value,  # type: ignore[attr-defined]  # made at runtime
        alpha=alpha,
        l1_ratio=l1_ratio,
        early_stopping=early_stopping,
        random_state=random_state,
        checkpoint=str(checkpoint) if checkpoint else None,
        checkpoint_every=checkpoint_every,
        n_jobs=n_jobs,
    )
    given = {"schedule": schedule.value if schedule else None, "standardize": standardize, "tol": tol}
    settings.update({key: value for key, value in given.items() if value is not None})
    return settings


def _train(
    console: Console,
    job: FitJob,
    stream: bool,
    scheduler: str | None,
    test_size: float | None,
    chunk_rows: int,
    buffer_rows: int | None,
    memory: str | None,
) -> None:
    """Train the way the flags say: the file streamed (--stream), read by a Dask cluster (--scheduler), or
    in memory."""
    if stream:
        _fit_streamed(console, job, chunk_rows, buffer_rows, memory or DEFAULT_MEMORY)
    elif scheduler:
        _fit_on_cluster(console, job, scheduler)
    else:
        _fit_in_memory(console, job, 0.2 if test_size is None else test_size)


def task_of_loss(name: str) -> str:
    return "regression" if name in REGRESSION_LOSSES else "classification"


def _loss_settings(loss: LossName | None, task: Task | None, **parameters: float | None) -> dict[str, Any]:
    """The estimator's settings of ``--loss`` and its parameters (those given); a parameter that the
    loss does not take, or a loss of the other task than ``--task``, refused."""
    name = None if loss is None else loss.value
    if name is not None and task is not None and task_of_loss(name) != task.value:
        raise UserError(f"--loss {name} is a {task_of_loss(name)} loss, and --task is {task.value}")
    chosen = {} if name is None else {"loss": name}
    for option, value in parameters.items():
        if value is None:
            continue
        takers = LOSS_OPTIONS[option]
        if name not in takers:
            raise UserError(
                f"--{option} goes with --loss {' or '.join(takers)}, not {'the default loss' if name is None else name}"
            )
        chosen[option] = value
    return chosen


def _check_settings(settings: dict[str, Any], task: Task | None) -> None:
    """The estimator's parameters checked by the library, as a fit checks them, before any data is read
    (a --power between 0 and 1, a --quantile outside (0, 1)...)."""
    name = settings.get("loss")
    kind = task_of_loss(name) if name else (task.value if task is not None else "regression")
    _new_estimator(kind, settings, verbose=0).check_params()


def _refuse_loss_of_other_task(job: FitJob, task: str, text: bool = False) -> None:
    """Refuse a loss of the other task than the one the target was taken for (a --task given was
    checked against the loss before); ``text``: the target holds text."""
    name = job.settings.get("loss")
    if name is None or task_of_loss(name) == task:
        return
    holder = repr(job.target) if job.target else f"the labels of {job.data.name}"
    if task == "classification" and text:
        raise UserError(f"--loss {name} is a regression loss, but {holder} holds text: classes")
    if task == "classification":
        raise UserError(
            f"--loss {name} is a regression loss, but {holder} holds two values, taken for classes; "
            "--task regression fits them as numbers"
        )
    raise UserError(
        f"--loss {name} is a classification loss, but {holder} looks like numbers to predict (more "
        "than two values); --task classification takes them as classes"
    )


def _target_loss(job: FitJob, task: str) -> Loss | None:
    """The loss whose domain the targets must lie in (a log-link loss: counts for poisson, positive
    values for gamma), or None."""
    from ..losses import get_loss

    name = job.settings.get("loss")
    if task != "regression" or name is None:
        return None
    loss = get_loss(name, **{key: job.settings[key] for key in ("power",) if key in job.settings})
    return loss if loss.log_link else None


def _check_targets(job: FitJob, task: str, y: AnyArray, place: Callable[[int], str]) -> None:
    """Refuse, before any training, a target outside the loss's domain, named by its row in the file
    (``place(i)``: the i-th of ``y``); the library would name it by its place in the training rows."""
    from ..losses import check_targets

    loss = _target_loss(job, task)
    if loss is not None:
        check_targets(loss, y, where=place)


def _check_streamed_targets(job: FitJob, source: TableStream | SvmlightStream) -> None:
    """As :func:`_check_targets`, on every target of a stream: one pass over the target column."""
    from ..losses import check_targets

    loss = _target_loss(job, source.task)
    if loss is None:
        return
    holder = f"{job.target!r} in " if job.target else ""
    for y, place in source.targets():
        check_targets(loss, y, where=lambda i, place=place: holder + place(i))  # type: ignore[misc]  # mypy infers no lambda with a default


def refuse_unwritable(path: Path | None, option: str) -> None:
    """Refuse, before any work, an output path that cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise UserError(f"{option} {path} is a folder")
    if not path.parent.is_dir():
        raise UserError(f"{option}: no such folder {path.parent}")


def _refuse_flags_out_of_place(
    stream: bool,
    scheduler: str | None,
    early_stopping: bool,
    test_size: float | None,
    checkpoint: Path | None,
    resume: bool,
) -> None:
    """Refuse, before any work, a flag that the chosen way of training cannot honour."""
    if resume and checkpoint is None:
        raise UserError("--resume needs --checkpoint FILE")
    if stream:
        for given, option in (
            (scheduler, "--scheduler"),
            (early_stopping, "--early-stopping"),
            (test_size is not None, "--test-size"),
        ):
            if given:
                raise UserError(f"{option} works on a table in memory, not with --stream")
    elif scheduler:
        if checkpoint or resume:
            raise UserError("--checkpoint and --resume work in memory or with --stream, not with --scheduler")
        for given, option in ((early_stopping, "--early-stopping"), (test_size is not None, "--test-size")):
            if given:
                raise UserError(
                    f"{option} works in memory or with --stream, not with --scheduler (the cluster "
                    "trains on every row, and measures the model on them)"
                )


def _refuse_memory_out_of_place(memory: str | None, stream: bool, svmlight: bool) -> None:
    if memory is not None and not stream:
        raise UserError("--memory works with --stream (a table in memory takes what it takes)")
    if memory is not None and svmlight:
        raise UserError("--memory works on a table (CSV or Parquet); an svmlight stream takes --buffer-rows")


def _is_svmlight(data: Path, data_format: DataFormat) -> bool:
    from ..readers.svmlight import is_svmlight

    return data_format == DataFormat.svmlight or (data_format == DataFormat.auto and is_svmlight(data))


def _refuse_data_flags(
    svmlight: bool, target: str | None, text: list[str] | None, ngram: str | None, scheduler: str | None
) -> None:
    """Refuse, before any work, the flags of a table on an svmlight file and the other way round."""
    if svmlight:
        if target is not None:
            raise UserError("an svmlight file holds its labels in each line's first field: leave --target out")
        for given, option in ((text, "--text"), (ngram, "--ngram")):
            if given:
                raise UserError(f"{option} works on a table (CSV or Parquet), not on an svmlight file")
        if scheduler:
            raise UserError("--scheduler works on a dense table, not on an svmlight file")
        return
    if scheduler and text:
        raise UserError(
            "--text works in memory or with --stream, not with --scheduler: hashed words make a sparse "
            "matrix, which a Dask cluster does not train on"
        )
    if target is None:
        raise UserError("--target is required: the column to predict")
    if ngram is not None and not text:
        raise UserError("--ngram works with --text: it says how the words of text columns are hashed")


def _parse_ngram(text: str | None) -> tuple[int, int]:
    """``"1,2"`` as (1, 2); None as (1, 1)."""
    if text is None:
        return (1, 1)
    parts = text.replace(" ", "").split(",")
    if len(parts) != 2 or not all(part.isdigit() and int(part) >= 1 for part in parts) or int(parts[0]) > int(parts[1]):
        raise UserError(
            f"--ngram must be MIN,MAX with 1 <= MIN <= MAX, e.g. 1,2 for words and pairs of words; got {text!r}"
        )
    return int(parts[0]), int(parts[1])


def _streamed_sparse_settings(settings: dict[str, Any], epochs_given: bool, notices: list[str]) -> dict[str, Any]:
    """``settings`` for a sparse stream: online, one row a step for one pass, unless the options say
    otherwise (a stream's size is not known before its pass: the library's "auto" cannot judge it)."""
    chosen: dict[str, int | None] = {}
    if settings["batch_size"] == "auto":
        chosen["batch_size"] = 1
        if not epochs_given:
            chosen["max_iter"] = 1
            if "tol" not in settings:
                chosen["tol"] = None  # one pass by design, not a fit stopped short
    if chosen:
        notices.append(
            "a sparse stream: learned online, one row a step"
            + (" for one pass" if "max_iter" in chosen else "")
            + "; --batch-size and --epochs choose otherwise"
        )
    return {**settings, **chosen}


def _chosen_notice(estimator: Estimator, X: Matrix) -> str | None:
    """What ``"auto"`` chose for a sparse matrix in memory, said in one line (None if nothing was left to it)."""
    if estimator.get_params()["batch_size"] != "auto":
        return None
    rows, columns = X.shape
    if estimator.batch_size_ == 1:
        return (
            f"a large sparse matrix ({rows:,} rows of {columns:,} columns, {X.nnz / rows:.0f} non-zeros a "
            "row): learned "
            f"online, one pass of one row a step with the {estimator.optimizer_.name} update; --batch-size "
            "and --epochs choose otherwise"
        )
    return (
        f"a sparse matrix of {rows:,} rows and {columns:,} columns: the full batch (online learning takes "
        "10,000 rows or more); --batch-size 1 learns one row a step"
    )


def parse_learning_rate(text: str) -> str | float:
    if text == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise UserError(f"--learning-rate must be 'auto' or a number, got {text!r}") from None


@dataclass(frozen=True)
class _Loaded:
    """The data in memory as the estimator takes it: the training and held-out rows (no held-out rows:
    ``X_test`` None), the task, how rows became the matrix (``preprocessing``: a TablePreprocessor or an
    SvmlightFormat, with ``to_dict``, ``output_names``, ``n_outputs``, ``sparse``), and the rows read."""

    task: str
    preprocessing: Preprocessing
    X_train: Matrix
    y_train: AnyArray
    X_test: Matrix | None
    y_test: AnyArray
    rows: int
    weights_train: FloatArray | None = None  # importance weights (Vowpal Wabbit's), None when all are 1


def _split(job: FitJob, held_out: float, y: AnyArray, task: str, rows: int) -> tuple[IntArray, IntArray]:
    """(training rows, held-out rows): stratified for classification, refused when too few to measure on."""
    import numpy as np
    from sklearn.model_selection import train_test_split

    if held_out == 0:
        return np.arange(rows), np.arange(0)
    _refuse_too_few_held_out(
        rows, held_out, len(np.unique(y)) if task == "classification" else 0, job.target or "the labels"
    )
    try:
        return train_test_split(
            np.arange(rows),
            test_size=held_out,
            random_state=job.settings["random_state"],
            stratify=y if task == "classification" else None,
        )
    except ValueError as error:
        raise UserError(f"cannot hold out --test-size {held_out}: {error}") from None


def _load_table(job: FitJob, held_out: float, notices: list[str]) -> _Loaded:
    """A table in memory, split, its preprocessing learned on the training rows."""
    import pandas as pd

    from ..readers.tables import (
        TablePreprocessor,
        check_columns,
        check_text_names,
        clean_target,
        infer_task,
        read_table,
        target_array,
    )

    assert job.target is not None  # a table's, which _refuse_data_flags required
    frame = read_table(job.data, text=job.text)
    check_text_names(frame, job.text, job.target)
    frame = clean_target(frame, job.target, notices)
    # a typo is named before any split
    check_columns(frame, [c for c in frame.columns if c != job.target and c not in job.text])
    task = job.task.value if job.task is not None else infer_task(frame[job.target])
    column = frame[job.target]
    numeric = pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
    _refuse_loss_of_other_task(job, task, text=not numeric)
    y = target_array(frame[job.target], task)
    _check_targets(job, task, y, lambda i: f"{job.target!r} in data row {frame.index[i] + 1}")
    train_rows, test_rows = _split(job, held_out, y, task, len(frame))
    train = frame.iloc[train_rows]
    preprocessor = TablePreprocessor(
        job.impute.value,
        text=job.text,
        n_features=job.n_features or HASHED_FEATURES,
        ngram_range=job.ngram_range,
        n_jobs=job.settings.get("n_jobs"),
    )
    preprocessor.fit(train, job.target, notices, whole=frame)
    X_train = preprocessor.transform(train, allowed_extra=(job.target,))
    X_test = None
    if len(test_rows):
        X_test = preprocessor.transform(frame.iloc[test_rows], allowed_extra=(job.target,))
    return _Loaded(task, preprocessor, X_train, y[train_rows], X_test, y[test_rows], len(frame))


def _load_svmlight(job: FitJob, held_out: float) -> _Loaded:
    """An svmlight or Vowpal Wabbit file in memory, split."""
    import numpy as np
    import pandas as pd

    from ..readers.svmlight import labels, read_svmlight
    from ..readers.tables import infer_task

    weights = None
    X: Matrix
    y: AnyArray
    lines_format: LineFormat
    if job.vw:
        from ..readers.vw import VWFormat, read_vw

        block = read_vw(job.data, job.n_features or HASHED_FEATURES)
        X, y, lines_format = block.X, block.y, VWFormat(n_features=block.X.shape[1])
        if np.isnan(y).any():
            raise UserError(f"{job.data} line {block.lines[np.isnan(y)][0]} has no label: nothing to learn from")
        weights = None if np.all(block.weights == 1.0) else block.weights
    else:
        X, y, lines_format = read_svmlight(job.data, job.n_features)
    task = job.task.value if job.task is not None else infer_task(pd.Series(y))
    _refuse_loss_of_other_task(job, task)
    y = labels(y, task)
    _check_targets(job, task, y, lambda i: f"row {i + 1} of {job.data}")
    if task == "classification" and len(np.unique(y)) < 2:
        raise UserError(f"the labels of {job.data} have a single value ({y[0]}): nothing to learn")
    train_rows, test_rows = _split(job, held_out, y, task, X.shape[0])
    X_test = X[np.sort(test_rows)] if len(test_rows) else None
    train_rows = np.sort(train_rows)
    return _Loaded(
        task,
        lines_format,
        X[train_rows],
        y[train_rows],
        X_test,
        y[np.sort(test_rows)],
        X.shape[0],
        None if weights is None else weights[train_rows],
    )


def _refuse_too_few_held_out(rows: int, held_out: float, classes: int, target: str) -> None:
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
    raise UserError(
        f"holding out {held_out * 100:.3g}% of {rows} rows leaves {measured} row"
        f"{'' if measured == 1 else 's'} to measure on, fewer than {why}; use {advice} "
        "or --test-size 0 to report training metrics"
    )


def _new_estimator(task: str, settings: Mapping[str, Any], verbose: int) -> Estimator:
    from ..linear import GDClassifier, GDRegressor

    return (GDRegressor if task == "regression" else GDClassifier)(**settings, verbose=verbose)


def _fit_in_memory(console: Console, job: FitJob, held_out: float) -> None:
    import numpy as np

    from ..metrics import table_metrics

    notices: list[str] = []
    loaded = _load_svmlight(job, held_out) if job.svmlight else _load_table(job, held_out, notices)
    if not loaded.preprocessing.sparse and job.n_features is not None:
        notices.append("--n-features is not used: no column is hashed (see --text)")
    notice: str | None  # each notice, then what "auto" chose
    for notice in notices:
        print_notice(console, notice)
    n_train = loaded.X_train.shape[0]
    verbose = 1 if n_train * job.epochs >= 5_000_000 else 0  # a progress bar on long fits
    estimator = _new_estimator(loaded.task, job.settings, verbose)
    if loaded.task == "classification" and len(np.unique(loaded.y_train)) < 2:
        raise UserError(f"the training rows hold a single class of {repr(job.target) if job.target else 'labels'}")
    with convergence_notice(console, job.epochs):
        estimator.fit(loaded.X_train, loaded.y_train, sample_weight=loaded.weights_train, resume=job.resume)
    if loaded.preprocessing.sparse and (notice := _chosen_notice(estimator, loaded.X_train)):
        print_notice(console, notice)
    if loaded.X_test is None:
        metrics = table_metrics(loaded.task, estimator, [(loaded.X_train, loaded.y_train)])
        title = "training metrics (no rows held out)"
    else:
        metrics = table_metrics(loaded.task, estimator, [(loaded.X_test, loaded.y_test)])
        title = f"held-out metrics ({len(loaded.y_test)} of {loaded.rows} rows)"
    console.print(metrics_table(title, metrics))
    _write_model(
        console,
        job,
        estimator,
        loaded.preprocessing,
        {
            "task": loaded.task,
            "target": job.target,
            "data": str(job.data),
            "rows": int(loaded.rows),
            "trained_on": int(n_train),
            "metrics": metrics,
            "metrics_on": title,
        },
        f"{job.data.name}: training loss",
    )


def _fit_on_cluster(console: Console, job: FitJob, address: str) -> None:
    """The files read by the cluster's workers (a DaskTable), the fit there, and the training metrics
    gathered there: the client holds sums, never rows."""
    from distributed import Client

    from ..metrics import combine_metrics
    from ..readers.dask_tables import DaskTable

    try:
        client = Client(address, timeout=20)
    except (OSError, TimeoutError) as error:
        raise UserError(f"cannot reach the Dask scheduler at {address}: {str(error).splitlines()[0]}") from None
    try:
        task = job.task.value if job.task is not None else None
        assert job.target is not None  # a table's, which _refuse_data_flags required
        table = DaskTable(job.data, job.target, impute=job.impute.value, task=task, client=client)
        for notice in table.notices:
            print_notice(console, notice)
        if job.n_features is not None:
            print_notice(console, "--n-features is not used: no column is hashed (see --text)")
        estimator = _new_estimator(table.task, job.settings, verbose=0)
        with convergence_notice(console, job.epochs):
            estimator.fit(table)
        metrics = combine_metrics(table.measure(estimator))
    finally:
        client.close()
    title = f"training metrics over every row, on the cluster ({metrics['rows']} rows)"
    console.print(metrics_table(title, metrics))
    _write_model(
        console,
        job,
        estimator,
        table.preprocessor,
        {
            "task": table.task,
            "target": job.target,
            "data": str(job.data),
            "rows": int(table.n_rows),
            "trained_on": int(table.n_rows),
            "files": len(table.files),
            "metrics": metrics,
            "metrics_on": title,
        },
        f"{job.data.name}: training loss (on a Dask cluster)",
    )


def _stream_source(job: FitJob, chunk_rows: int, buffer_rows: int | None, memory: str) -> SvmlightStream | TableStream:
    """The file as chunks: a TableStream, or an SvmlightStream."""
    task = job.task.value if job.task is not None else None
    if job.svmlight:
        from ..readers.svmlight import SvmlightStream

        return SvmlightStream(
            job.data,
            chunk_rows=chunk_rows,
            buffer_rows=262_144 if buffer_rows is None else buffer_rows,
            task=task,
            n_features=job.n_features,
        )
    from ..readers.stream import TableStream

    assert job.target is not None  # a table's, which _refuse_data_flags required
    return TableStream(
        job.data,
        job.target,
        chunk_rows=chunk_rows,
        buffer_rows=buffer_rows,
        memory=memory,
        impute=job.impute.value,
        task=task,
        text=job.text,
        n_features=job.n_features or HASHED_FEATURES,
        ngram_range=job.ngram_range,
    )


def _fit_streamed(console: Console, job: FitJob, chunk_rows: int, buffer_rows: int | None, memory: str) -> None:
    from ..metrics import table_metrics
    from ..readers.stream import return_memory_promptly

    return_memory_promptly()  # this process is the stream's: its freed buffers go back at once
    source = _stream_source(job, chunk_rows, buffer_rows, memory)
    text = source.classes is not None and source.classes.dtype.kind not in "iufb"
    _refuse_loss_of_other_task(job, source.task, text=text)
    _check_streamed_targets(job, source)
    # job.svmlight says which stream it is (an SvmlightStream has a format, a TableStream a preprocessor)
    preprocessing = source.format if job.svmlight else source.preprocessor  # type: ignore[union-attr]
    if not job.svmlight:
        print_notice(console, source.memory_notice)  # type: ignore[union-attr]
    for notice in source.notices:  # learned from the first rows; only rows without a target go on being dropped
        later = "; later chunks drop such rows too" if "whose target" in notice else ""
        print_notice(console, f"{notice} (in the first rows{later})")
    notices: list[str] = []
    if preprocessing.sparse:
        settings = _streamed_sparse_settings(job.settings, job.epochs_given, notices)
    else:
        if job.n_features is not None:
            notices.append("--n-features is not used: no column is hashed (see --text)")
        batch = job.settings["batch_size"]
        settings = {**job.settings, "batch_size": 256 if batch in ("auto", None) else batch}  # not one step an epoch
    for notice in notices:
        print_notice(console, notice)
    estimator = _new_estimator(source.task, settings, verbose=1)
    with convergence_notice(console, job.epochs):
        estimator.fit(source, resume=job.resume)
    from threadpoolctl import threadpool_limits

    # One BLAS thread for the chunks' predictions: the reader thread has the other core, and OpenBLAS's
    # threads, spinning against it, made this pass slower than the epoch (8.8 s against 4.9 s on
    # 5,000,000 x 20, and 50 MB more resident).
    with threadpool_limits(1, user_api="blas"):
        metrics = table_metrics(source.task, estimator, _blocks_in_place(source))
    title = f"training metrics over the whole file, streamed ({metrics['rows']} rows)"
    console.print(metrics_table(title, metrics))
    _write_model(
        console,
        job,
        estimator,
        preprocessing,
        {
            "task": source.task,
            "target": job.target,
            "data": str(job.data),
            "rows": metrics["rows"],
            "streamed": True,
            "metrics": metrics,
            "metrics_on": title,
        },
        f"{job.data.name}: training loss (streamed)",
    )


def _blocks_in_place(source: TableStream | SvmlightStream) -> Iterator[tuple[Matrix, AnyArray]]:
    """The chunks of one pass over a stream, in file order, as views of its buffer where they can be (a
    table's: each is used before the next is read), not copies."""
    import numpy as np

    if not hasattr(source, "blocks"):
        yield from source.epoch()
        return
    for X, y, rows in source.blocks():
        if len(rows) and rows[-1] - rows[0] == len(rows) - 1 and (np.diff(rows) == 1).all():
            yield X[rows[0] : rows[-1] + 1], y[rows[0] : rows[-1] + 1]
        else:
            yield X[rows], y[rows]


def _write_model(
    console: Console,
    job: FitJob,
    estimator: Estimator,
    preprocessing: Preprocessing,
    metadata: dict[str, Any],
    plot_title: str,
) -> None:
    """Save the model with its preprocessing and metadata; draw its loss curve if asked."""
    from ..io import save

    metadata = {
        **metadata,
        "features": list(preprocessing.output_names),
        "n_features": preprocessing.n_outputs,
        "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
    }
    save(estimator, job.out, preprocessing=preprocessing.to_dict(), metadata=metadata)
    epochs = f"{estimator.n_iter_} epoch{'' if estimator.n_iter_ == 1 else 's'}"
    console.print(
        f"model written to {job.out} (loss {estimator.loss}, {epochs}, learning rate {estimator.learning_rate_:.3g})"
    )
    if job.plot:
        from ..plot import loss_curve

        loss_curve(estimator, title=plot_title, path=job.plot)
        console.print(f"loss curve written to {job.plot}")
