"""The ``descend`` command line.

Every failure a user can cause ends in one line on stderr, ``error: ...``,
and exit status 2; no traceback, and no output file left behind.
"""

from __future__ import annotations

import datetime
import sys
import warnings
from contextlib import contextmanager
from enum import Enum
from pathlib import Path

import numpy as np
import typer
from rich.console import Console
from rich.table import Table

from .functions import FUNCTION_NAMES
from .optimizers import OPTIMIZER_NAMES
from .penalties import PENALTY_NAMES
from .tabular import IMPUTE_CHOICES

app = typer.Typer(
    help="descend: gradient descent, end to end. Train linear models on CSV or Parquet files, "
    "or watch the optimizers race.",
    add_completion=False,
    pretty_exceptions_enable=False,
)

# Learning rates for the optimizer race, tuned by hand on Rosenbrock from its
# classic start: for each method about the fastest that does not diverge.
DEMO_RACE = {
    "sgd": 2e-3,
    "momentum": 2e-3,
    "nesterov": 1e-3,
    "adagrad": 0.5,
    "rmsprop": 1e-3,
    "adam": 0.05,
    "amsgrad": 0.05,
    "adamw": 0.05,
    "nadam": 2e-3,
    "adamax": 0.2,
    "adadelta": 1.0,
    "radam": 0.01,
}


class Failure(Exception):
    """A problem to report in one line."""


def _fail(message: str) -> None:
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code=2)


def _run(action):
    """Run ``action``; turn the errors a user can cause into one line and exit status 2.

    Our own messages (bad data, model files, a diverging fit) are ValueErrors too; the
    first line is enough of any, and an OSError names the file it could not use."""
    try:
        return action()
    except (Failure, ValueError, TypeError, OSError) as error:
        _fail(str(error).splitlines()[0] if str(error) else type(error).__name__)


@app.callback(invoke_without_command=True)
def _root(context: typer.Context) -> None:
    """descend: gradient descent, end to end."""
    if context.invoked_subcommand is None:
        typer.echo(context.get_help())


class Task(str, Enum):
    regression = "regression"
    classification = "classification"


# Choices come from the modules that define them, so the command line cannot drift from the library.
Penalty = Enum("Penalty", {name: name for name in ("none",) + PENALTY_NAMES}, type=str)
Impute = Enum("Impute", {name: name for name in IMPUTE_CHOICES}, type=str)


class Demo(str, Enum):
    all = "all"
    housing = "housing"
    stocks = "stocks"
    race = "race"


def _metrics_table(title, metrics):
    table = Table(title=title, title_justify="left", min_width=len(title))
    table.add_column("metric")
    table.add_column("value", justify="right")
    for name, value in metrics.items():
        table.add_row(name, f"{value:.4g}" if isinstance(value, float) else str(value))
    return table


def _metrics(task, estimator, chunks):
    """Regression: R^2, RMSE, MAE; classification: accuracy, log loss, majority-class baseline.

    ``chunks`` is an iterable of ``(X, y)``: one pair for a table in memory,
    the chunks of a stream otherwise. The sums are gathered chunk by chunk
    (the variance of y by Chan et al.'s pairwise update), so memory never
    holds more than a chunk.
    """
    count, sums = 0, {"squared": 0.0, "absolute": 0.0, "mean": 0.0, "m2": 0.0, "correct": 0, "log": 0.0}
    tally = {}
    proba = task == "classification" and hasattr(estimator, "predict_proba")
    for X, y in chunks:
        n = len(y)
        if task == "regression":
            error = estimator.predict(X) - y
            sums["squared"] += float(error @ error)
            sums["absolute"] += float(np.abs(error).sum())
            chunk_mean = float(np.mean(y))
            delta = chunk_mean - sums["mean"]
            sums["m2"] += float(((y - chunk_mean) ** 2).sum()) + delta * delta * count * n / (count + n)
            sums["mean"] += delta * n / (count + n)
        else:
            sums["correct"] += int(np.sum(estimator.predict(X) == y))
            for label, times in zip(*np.unique(y, return_counts=True), strict=True):
                tally[label] = tally.get(label, 0) + int(times)
            if proba:
                columns = np.searchsorted(estimator.classes_, y)
                chosen = estimator.predict_proba(X)[np.arange(n), columns]
                sums["log"] -= float(np.log(np.clip(chosen, 1e-15, 1.0)).sum())
        count += n
    if count == 0:
        raise Failure("there are no rows to measure the model on")
    if task == "regression":
        return {"R^2": 1 - sums["squared"] / sums["m2"] if sums["m2"] > 0 else float("nan"),
                "RMSE": float(np.sqrt(sums["squared"] / count)), "MAE": sums["absolute"] / count, "rows": count}
    metrics = {"accuracy": sums["correct"] / count}
    if proba:
        metrics["log loss"] = sums["log"] / count
    metrics["baseline (majority class)"] = max(tally.values()) / count
    metrics["rows"] = count
    return metrics


def _parse_learning_rate(text):
    if text == "auto":
        return "auto"
    try:
        return float(text)
    except ValueError:
        raise Failure(f"--learning-rate must be 'auto' or a number, got {text!r}") from None


def _write_model(console, estimator, out, preprocessor, metadata, plot, plot_title):
    """Save the model with its preprocessing and metadata; draw its loss curve if asked."""
    from .io import save

    metadata = {**metadata, "features": preprocessor.output_names,
                "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds")}
    save(estimator, out, preprocessing=preprocessor.to_dict(), metadata=metadata)
    console.print(f"model written to {out} ({estimator.n_iter_} epochs, learning rate "
                  f"{estimator.learning_rate_:.3g})")
    if plot:
        from .plot import loss_curve

        loss_curve(estimator, title=plot_title, path=plot)
        console.print(f"loss curve written to {plot}")


def _check_output(path, option):
    """Refuse, before any work, an output path that cannot be written."""
    if path is None:
        return
    if path.is_dir():
        raise Failure(f"{option} {path} is a folder")
    if not path.parent.is_dir():
        raise Failure(f"{option}: no such folder {path.parent}")


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

    def action():
        from sklearn.model_selection import train_test_split

        from .linear import GDClassifier, GDRegressor
        from .tabular import TablePreprocessor, clean_target, infer_task, read_table, target_array

        for path, option in ((out, "--out"), (plot, "--plot"), (checkpoint, "--checkpoint")):
            _check_output(path, option)
        if resume and checkpoint is None:
            raise Failure("--resume needs --checkpoint FILE")
        settings = dict(optimizer=optimizer, learning_rate=_parse_learning_rate(learning_rate),
                        batch_size=batch_size, max_iter=epochs,
                        penalty=None if penalty == Penalty.none else penalty.value, alpha=alpha, l1_ratio=l1_ratio,
                        early_stopping=early_stopping, random_state=random_state,
                        checkpoint=str(checkpoint) if checkpoint else None, checkpoint_every=checkpoint_every)
        if stream:
            for given, option in ((scheduler, "--scheduler"), (early_stopping, "--early-stopping"),
                                  (test_size is not None, "--test-size")):
                if given:
                    raise Failure(f"{option} works on a table in memory, not with --stream")
            return _fit_stream(console, data, target, out, task, settings, resume, impute, plot, chunk_rows,
                               buffer_rows)
        if scheduler and (checkpoint or resume):
            raise Failure("--checkpoint and --resume work in memory or with --stream, not with --scheduler")
        held_out = 0.2 if test_size is None else test_size
        notices: list[str] = []
        frame = clean_target(read_table(data), target, notices)
        chosen_task = task.value if task is not None else infer_task(frame[target])
        y = target_array(frame[target], chosen_task)
        if held_out > 0:
            stratify = y if chosen_task == "classification" else None
            try:
                train_rows, test_rows = train_test_split(np.arange(len(frame)), test_size=held_out,
                                                         random_state=random_state, stratify=stratify)
            except ValueError as error:
                raise Failure(f"cannot hold out --test-size {held_out}: {error}") from None
        else:
            train_rows, test_rows = np.arange(len(frame)), np.arange(0)
        train = frame.iloc[train_rows]
        preprocessor = TablePreprocessor(impute.value).fit(train, target, notices, whole=frame)
        for notice in notices:
            console.print(f"[yellow]notice:[/] {notice}")
        X_train = preprocessor.transform(train, allowed_extra=(target,))
        verbose = 1 if len(train) * epochs >= 5_000_000 else 0  # a progress bar on long fits
        estimator = (GDRegressor if chosen_task == "regression" else GDClassifier)(**settings, verbose=verbose)
        if chosen_task == "classification" and len(np.unique(y[train_rows])) < 2:
            raise Failure(f"the training rows hold a single class of {target!r}")
        with _convergence_notice(console, epochs):
            if scheduler:
                _fit_on_cluster(estimator, scheduler, X_train, y[train_rows])
            else:
                estimator.fit(X_train, y[train_rows], resume=resume)
        if len(test_rows):
            X_test = preprocessor.transform(frame.iloc[test_rows], allowed_extra=(target,))
            metrics = _metrics(chosen_task, estimator, [(X_test, y[test_rows])])
            title = f"held-out metrics ({len(test_rows)} of {len(frame)} rows)"
        else:
            metrics = _metrics(chosen_task, estimator, [(X_train, y[train_rows])])
            title = "training metrics (no rows held out)"
        console.print(_metrics_table(title, metrics))
        _write_model(console, estimator, out, preprocessor,
                     {"task": chosen_task, "target": target, "data": str(data), "rows": int(len(frame)),
                      "trained_on": int(len(train_rows)), "metrics": metrics, "metrics_on": title},
                     plot, f"{data.name}: training loss")

    _run(action)


@contextmanager
def _convergence_notice(console, epochs):
    """A fit's warning that it ran out of epochs, as a notice; other warnings as they are."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        yield
    for warning in caught:
        if "max_iter" in str(warning.message):
            console.print(f"[yellow]notice:[/] did not converge in {epochs} epochs; raise --epochs")
        else:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)


def _fit_on_cluster(estimator, address, X, y):
    """Send the rows to the cluster's workers in four partitions or more, and fit there."""
    import dask.array as da
    from distributed import Client

    try:
        client = Client(address, timeout=20)
    except (OSError, TimeoutError) as error:
        raise Failure(f"cannot reach the Dask scheduler at {address}: {str(error).splitlines()[0]}") from None
    try:
        rows = max(1, -(-len(y) // max(4, 2 * len(client.scheduler_info()["workers"]))))
        estimator.fit(da.from_array(X, chunks=(rows, X.shape[1])), da.from_array(y, chunks=rows))
    finally:
        client.close()


def _fit_stream(console, data, target, out, task, settings, resume, impute, plot, chunk_rows, buffer_rows):
    from .linear import GDClassifier, GDRegressor
    from .stream import TableStream

    source = TableStream(data, target, chunk_rows=chunk_rows, buffer_rows=buffer_rows, impute=impute.value,
                         task=task.value if task is not None else None)
    for notice in source.notices:
        console.print(f"[yellow]notice:[/] {notice} (in the first rows; later chunks drop such rows too)")
    settings = {**settings, "batch_size": settings["batch_size"] or 256}  # a full batch would be one step an epoch
    estimator = (GDRegressor if source.task == "regression" else GDClassifier)(**settings, verbose=1)
    with _convergence_notice(console, settings["max_iter"]):
        estimator.fit(source, resume=resume)
    metrics = _metrics(source.task, estimator, source.epoch())
    title = f"training metrics over the whole file, streamed ({metrics['rows']} rows)"
    console.print(_metrics_table(title, metrics))
    _write_model(console, estimator, out, source.preprocessor,
                 {"task": source.task, "target": target, "data": str(data), "rows": metrics["rows"],
                  "streamed": True, "metrics": metrics, "metrics_on": title},
                 plot, f"{data.name}: training loss (streamed)")


def _load(model_path):
    from .io import ModelFileError, load_model
    from .tabular import TablePreprocessor

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

    def action():
        import pandas as pd

        from .io import write_atomically
        from .tabular import read_table

        estimator, preprocessor, metadata = _load(model)
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

    _run(action)


@app.command()
def evaluate(
    model: Path = typer.Argument(..., help="A model file written by 'descend fit'."),
    data: Path = typer.Argument(..., help="Labelled rows: a .csv or .parquet file."),
    target: str = typer.Option(..., "--target", "-t", help="The column with the true values."),
) -> None:
    """Print a trained model's metrics on labelled data.

    Example: descend evaluate model.json test.csv --target price
    """

    def action():
        from sklearn.base import is_classifier

        from .tabular import clean_target, read_table, target_array

        estimator, preprocessor, _ = _load(model)
        notices: list[str] = []
        frame = clean_target(read_table(data), target, notices)
        for notice in notices:
            Console().print(f"[yellow]notice:[/] {notice}")
        task = "classification" if is_classifier(estimator) else "regression"
        X = preprocessor.transform(frame, allowed_extra=(target,))
        y = target_array(frame[target], task, estimator.classes_ if task == "classification" else None)
        if task == "classification":
            unknown = np.setdiff1d(y.astype(str), estimator.classes_.astype(str))
            if unknown.size:
                raise Failure(f"{target!r} holds classes the model never saw: {', '.join(unknown[:5])}")
        Console().print(_metrics_table(f"{model.name} on {data.name}", _metrics(task, estimator, [(X, y)])))

    _run(action)


def _race(function: str, iters: int) -> None:
    from .curvature import safe_learning_rate
    from .exceptions import DivergenceError
    from .functions import get_function
    from .minimize import minimize

    surface = get_function(function)
    console = Console()
    start = surface.start
    minima = ", ".join("(" + ", ".join(f"{c:g}" for c in m) + ")" for m in surface.minima)
    console.print(
        f"Minimizing [bold]{surface.name}[/] from ({start[0]:g}, {start[1]:g}); "
        f"its minimum is {surface.min_value:g} at {minima}.\n"
        f"Plain gradient descent is safe there with a step up to 1/L = "
        f"{safe_learning_rate(surface, start):.3g}, L the curvature at the start "
        f"(descend.curvature.safe_learning_rate)."
    )
    table = Table(title=f"descend.minimize on {surface.name}, at most {iters} steps, tol 1e-8")
    for column in ("optimizer", "lr", "steps", "final loss", "distance to a minimum", "converged"):
        table.add_column(column, justify="left" if column == "optimizer" else "right")
    for name, lr in DEMO_RACE.items():
        try:
            result = minimize(surface, start, name, lr=lr, max_iter=iters, tol=1e-8)
        except DivergenceError as error:
            table.add_row(name, f"{lr:g}", str(error.iteration), "diverged", "-", "no")
            continue
        distance = np.min(np.linalg.norm(surface.minima - result.x, axis=1))
        table.add_row(name, f"{lr:g}", str(result.n_iter), f"{result.fun:.3e}", f"{distance:.3e}",
                      "yes" if result.converged else "no")
    console.print(table)
    if surface.name != "bowl":
        console.print("adamw's decoupled weight decay (0.01) pulls its end point off the minimum: "
                      "it minimizes a different objective.")


@app.command()
def demo(
    which: Demo = typer.Argument(Demo.all, help="housing: house prices on Boston; stocks: stock direction on the "
                                                 "S&P 500; all: both; race: the optimizers on a test surface."),
    function: str = typer.Option("rosenbrock", help=f"For the race: {', '.join(FUNCTION_NAMES)}."),
    iters: int = typer.Option(10_000, min=1, max=1_000_000, help="For the race: most steps per optimizer."),
    plot: Path = typer.Option(None, help="For housing and stocks: write the loss curve to this file."),
) -> None:
    """Run the demos on the data shipped with descend (nothing is downloaded).

    Example: descend demo housing
    """

    def action():
        from . import demos

        if which == Demo.race:
            _race(function, iters)
        if which in (Demo.housing, Demo.all):
            demos.housing(plot=str(plot) if plot and which == Demo.housing else None)
        if which == Demo.all:
            Console().print()
        if which in (Demo.stocks, Demo.all):
            demos.stocks(plot=str(plot) if plot and which == Demo.stocks else None)

    _run(action)


def _parse_rates(text, names):
    if text is None:
        return None
    try:
        if "=" not in text:
            return float(text)
        rates = {}
        for part in text.split(","):
            name, value = part.split("=")
            rates[name.strip()] = float(value)
    except ValueError:
        raise Failure(f"--lr must be a number or name=number pairs like adam=0.1,sgd=0.01, got {text!r}") from None
    unknown = set(rates) - set(names)
    if unknown:
        raise Failure(f"--lr names {', '.join(sorted(unknown))}, not among --optimizers {', '.join(names)}")
    return rates


@app.command()
def paths(
    out: Path = typer.Option(..., "--out", "-o", help="Output file: .png, .svg, .gif (animation) or .html."),
    function: str = typer.Option("rosenbrock", help=f"{', '.join(FUNCTION_NAMES)}."),
    optimizers: str = typer.Option("sgd,momentum,adam", help="Comma-separated optimizer names."),
    lr: str = typer.Option(None, "--lr", help="One rate for all, or name=rate pairs: adam=0.1,sgd=0.01."),
    start: str = typer.Option(None, help="Starting point x,y (default: the surface's classic start)."),
    iters: int = typer.Option(200, min=1, max=100_000, help="Steps per optimizer."),
) -> None:
    """Draw optimizer paths over a test surface.

    Example: descend paths --function rosenbrock --optimizers sgd,momentum,adam --lr adam=0.05 --out paths.png
    """

    def action():
        from . import plot
        from .functions import get_function
        from .optimizers import get_optimizer

        get_function(function)  # the library's own errors name the valid choices
        names = [n.strip() for n in optimizers.split(",") if n.strip()]
        if not names:
            raise Failure("--optimizers names none")
        for name in names:
            get_optimizer(name)
        suffix = out.suffix.lower()
        if suffix not in (".png", ".svg", ".gif", ".html"):
            raise Failure(f"--out must end in .png, .svg, .gif or .html, not {out.name!r}")
        point = None
        if start is not None:
            try:
                point = [float(v) for v in start.split(",")]
            except ValueError:
                point = []
            if len(point) != 2:
                raise Failure(f"--start must be two numbers x,y, got {start!r}")
        runs = plot.run_paths(function, names, lr=_parse_rates(lr, names), start=point, iters=iters)
        if suffix == ".html":
            from .explorer import html_paths

            html_paths(function, runs, out)
        elif suffix == ".gif":
            plot.animate_paths(function, runs, out, steps_per_frame=max(1, iters // 60))
        else:
            plot.paths(function, runs, path=out)
        Console().print(f"{len(runs)} path(s) on {function} written to {out}")

    _run(action)


@app.command()
def explore(
    port: int = typer.Option(8765, min=1, max=65535, help="Port on 127.0.0.1."),
    host: str = typer.Option("127.0.0.1", help="Address to listen on (only this machine by default)."),
    no_browser: bool = typer.Option(False, "--no-browser", help="Do not open a browser."),
) -> None:
    """Open the interactive explorer: sliders, optimizers, paths redrawn as you move them.

    Example: descend explore --port 8765
    """
    from .explorer import serve

    Console().print(f"descend explorer on http://{host}:{port}/  (Ctrl+C to stop)")
    serve(host=host, port=port, open_browser=not no_browser)


def main() -> None:
    """Entry point: usage errors too end in one line, ``error: ...``, and exit status 2."""
    try:
        status = app(standalone_mode=False)  # returns the code of a typer.Exit
    except Exception as error:  # click's own exceptions (typer carries a private copy of click)
        exit_code = getattr(error, "exit_code", None)
        if not isinstance(exit_code, int):
            raise
        format_message = getattr(error, "format_message", None)
        if callable(format_message):  # a usage error: bad option, missing argument, invalid value
            typer.echo(f"error: {format_message()}", err=True)
        sys.exit(exit_code)
    except KeyboardInterrupt:
        typer.echo("error: interrupted", err=True)
        sys.exit(130)
    sys.exit(status if isinstance(status, int) else 0)
