"""``descend learn``: online learning from a stream, as Vowpal Wabbit's command line does it.

One pass over rows as they come, from a file or standard input (``-``), in Vowpal Wabbit's text
format, svmlight's, or CSV with a header: each row predicted, then learned from
(:mod:`descend.online`), with Vowpal Wabbit's progress table on stderr at doubling row counts. The
model file is written at the end, every ``--save-every`` rows or seconds (atomically: a reader
never sees half a file), and when the process is stopped (SIGINT, SIGTERM): the rows read so far
are learned, the model written, and the exit status is 0. ``--follow`` keeps reading a file that is
still being written; ``--initial`` goes on from a model file.
"""

from __future__ import annotations

import datetime
import itertools
import signal
import sys
import time
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING

import typer

from ..readers import file_format
from ..readers.lines import STDIN, LineBlocks, LineRows, prefetched
from .app import UserError, app, one_line_errors
from .fit import LossName, Task, parse_learning_rate, refuse_unwritable, task_of_loss

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator, Mapping
    from typing import Any, Literal

    from .._typing import AnyArray, FloatArray, Matrix
    from ..online import ProgressiveValidation
    from .models import Estimator, LineFormat, Preprocessing


class LearnFormat(str, Enum):
    auto = "auto"  # by the file's name; standard input: by its first line
    vw = "vw"
    svmlight = "svmlight"
    csv = "csv"


LEARN_HELP = (
    "Learn online from a stream, one pass: each row predicted, then learned from, with Vowpal Wabbit's progress "
    "table (the progressive loss) on stderr.\n\n"
    "Reads Vowpal Wabbit's text format ('label importance 'tag|namespace feature:value ...', the importance, "
    "the tag and the values optional), svmlight, or CSV with a header, from a file or standard input (-). "
    "SIGINT or SIGTERM writes the model (the rows read so far learned) and exits 0.\n\n"
    "Example: cat clicks.vw | descend learn - --out model.json; descend learn clicks.vw -q ab --out model.json; "
    "descend learn live.csv --target y --follow --save-every 10000 --out model.json"
)


def _sniff(first_line: bytes) -> str:
    """The format of standard input, from its first line: a '|' is Vowpal Wabbit's; 'index:value'
    fields after a number, svmlight's; else CSV."""
    if b"|" in first_line:
        return "vw"
    fields = first_line.split()
    if len(fields) > 1 and all(b":" in field for field in fields[1:] if not field.startswith(b"#")):
        return "svmlight"
    return "csv"


def _task_of(y: AnyArray, loss: LossName | None, task: Task | None) -> str:
    """The task: the loss's, or --task, or from the first rows' labels (two values: classification)."""
    import numpy as np

    if loss is not None:
        return task_of_loss(loss.value)
    if task is not None:
        return task.value
    values = np.unique(y[:10_000])
    if values.dtype.kind not in "iuf" or len(values) <= 2:
        return "classification"
    return "regression"


def _classes(y: AnyArray) -> AnyArray:
    """The classes of a classifier learning from a stream: -1 and 1 (Vowpal Wabbit's and svmlight's
    convention) or 0 and 1 when the first rows' labels are among them, else the first rows' labels (a
    class first seen later stops the run, named in one line)."""
    import numpy as np

    values = np.unique(y)
    for pair in ((-1, 1), (0, 1)):
        if values.dtype.kind in "iuf" and set(values.tolist()) <= set(pair):
            return np.array(pair, dtype=values.dtype)
    return values


class _Table:
    """Vowpal Wabbit's progress table, to stderr: the progressive loss since the start and since the
    last line, the row count, the last row's label and prediction, and one metric."""

    def __init__(self, quiet: bool) -> None:
        self.quiet, self.header_done = quiet, False

    def __call__(self, report: Mapping[str, Any]) -> None:
        if self.quiet:
            return
        metric = "accuracy" if "accuracy" in report else "RMSE" if "RMSE" in report else None
        if not self.header_done:
            name = f"{metric:>10}" if metric else ""
            print(
                f"{'average':>10} {'since':>10} {'rows':>12} {'label':>10} {'prediction':>10} {name}", file=sys.stderr
            )
            print(f"{'loss':>10} {'last':>10}", file=sys.stderr)
            self.header_done = True
        value = report.get(metric) if metric else None
        print(
            f"{report['average loss']:>10.6f} {report['since last']:>10.6f} {report['rows']:>12} "
            f"{_cell(report['label'])} {_cell(report['prediction'])} "
            f"{'' if value is None else f'{value:>10.4f}'}",
            file=sys.stderr,
            flush=True,
        )


def _cell(value: object) -> str:
    return f"{value:>10.4f}" if isinstance(value, float) else f"{str(value):>10}"


class _Saver:
    """Writes the model file (atomically) at the end and every ``rows`` rows or ``seconds`` seconds."""

    def __init__(self, out: Path | None, rows: int | None, seconds: float | None) -> None:
        self.out, self.rows, self.seconds = out, rows, seconds
        self.saved_rows, self.saved_at = 0, time.monotonic()

    def due(self, rows: int) -> bool:
        return (self.rows is not None and rows - self.saved_rows >= self.rows) or (
            self.seconds is not None and time.monotonic() - self.saved_at >= self.seconds
        )

    def save(
        self,
        model: Estimator,
        preprocessing: Preprocessing,
        form: str | None,
        rows: int,
        source: str,
        figures: dict[str, Any] | None,
    ) -> None:
        from ..io import save

        if self.out is None or not hasattr(model, "coef_"):
            return
        metadata = {
            "data": source,
            "format": form,
            "rows": int(rows),
            "online": True,
            "progressive": figures,
            "n_features": preprocessing.n_outputs,
            "written": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        }
        save(model, self.out, preprocessing=preprocessing.to_dict(), metadata=metadata)
        self.saved_rows, self.saved_at = rows, time.monotonic()


@app.command(help=LEARN_HELP)
def learn(
    data: str = typer.Argument(..., help="A file, or - for standard input."),
    out: Path = typer.Option(None, "--out", "-o", help="Where to write the model file (JSON)."),
    data_format: LearnFormat = typer.Option(
        LearnFormat.auto,
        "--format",
        help="vw, svmlight or csv; auto: by the file's name (.vw, .svm...), and standard input by its first line.",
    ),
    target: str = typer.Option(None, "--target", "-t", help="CSV: the column to predict."),
    text: list[str] = typer.Option(None, "--text", help="CSV: a column of free text, its words hashed."),
    task: Task = typer.Option(
        None,
        help="regression or classification (default: from the first rows' labels: "
        "two values, or text, is classification).",
    ),
    loss: LossName = typer.Option(
        None, metavar="NAME", show_default=False, help="What to minimize (default: log_loss, or squared_error)."
    ),
    optimizer: str = typer.Option(
        "auto",
        help="auto (Vowpal Wabbit's normalized update, one row a step), or an "
        "optimizer of gradients: sgd, adagrad, adam...",
    ),
    learning_rate: str = typer.Option("auto", "--learning-rate", "--lr", help="'auto' or a number."),
    batch_size: int = typer.Option(None, min=1, help="Rows a step (default: 1)."),
    alpha: float = typer.Option(0.0, min=0.0, help="Strength of an L2 penalty (default: none, as Vowpal Wabbit)."),
    bits: int = typer.Option(
        20,
        "--bits",
        "-b",
        min=1,
        max=30,
        help="Hashed features: 2**bits columns (VW format, CSV text; svmlight: its indices' range).",
    ),
    interactions: list[str] = typer.Option(
        None,
        "--interactions",
        "-q",
        help="VW format: cross the namespaces whose names start with these "
        "letters, e.g. -q ab (pairs) or -q abc (triples); repeat.",
    ),
    ngram: int = typer.Option(1, min=1, help="VW format: also n-grams of up to this many features a namespace."),
    ignore: list[str] = typer.Option(
        None, "--ignore", help="VW format: drop the namespaces starting with this letter; repeat."
    ),
    skip_bad: bool = typer.Option(
        False,
        "--skip-bad",
        help="VW format: count and skip malformed lines (else the first one stops the run, named by its number).",
    ),
    save_every: int = typer.Option(None, min=1, help="Write the model every this many rows."),
    save_seconds: float = typer.Option(None, min=0.0, help="Write the model every this many seconds."),
    initial: Path = typer.Option(
        None, help="Go on from this model file (written by 'descend learn' on the same format)."
    ),
    follow: bool = typer.Option(
        False,
        "--follow",
        help="At the end of the file, wait for more rows (a file still being written) until SIGINT or SIGTERM.",
    ),
    report_every: int = typer.Option(
        None, min=1, help="A table line every this many rows (default: at doubling counts, 1, 2, 4...)."
    ),
    quiet: bool = typer.Option(False, "--quiet", help="No progress table."),
    jobs: int = typer.Option(
        None,
        "--jobs",
        "-j",
        help="Threads that learn, Hogwild!, and hash CSV text columns (-1: every core; default: one, reproducible).",
    ),
) -> None:
    """Learn online from a stream, one pass (``--help``: LEARN_HELP)."""
    with one_line_errors():
        if out is not None:
            refuse_unwritable(out, "--out")
        if data != STDIN and not Path(data).exists():
            raise UserError(f"{data} does not exist")
        if follow and data == STDIN:
            raise UserError("--follow reads a file that is still being written; standard input waits by itself")
        form = None if data_format == LearnFormat.auto else data_format.value
        if form is None and data != STDIN:
            form = {"parquet": "csv"}.get(file_format(data), file_format(data))
            if file_format(data) == "parquet":
                raise UserError("descend learn reads rows as they come: text lines (VW, svmlight, CSV), not Parquet")
        _refuse_format_flags(form, target, text, interactions, ngram, ignore, skip_bad)
        settings = dict(
            optimizer=optimizer,
            learning_rate=parse_learning_rate(learning_rate),
            batch_size=batch_size or "auto",
            alpha=alpha,
            shuffle=False,
            n_jobs=jobs,
        )
        model, preprocessing = _initial_model(initial, form)
        session = _Session(
            LineBlocks(data, follow=follow, max_lines=65_536),
            "<stdin>" if data == STDIN else str(data),
            form,
            _Saver(out, save_every, save_seconds),
            _Table(quiet),
        )
        session.model = model
        session.make_reader = lambda found: LineRows(
            found,
            session.name,
            preprocessing or _new_format(found, bits, interactions, ngram, ignore),
            target=target,
            text=text or (),
            n_features=2**bits,
            n_jobs=jobs,
        )
        session.check_format = lambda found: _refuse_format_flags(
            found, target, text, interactions, ngram, ignore, skip_bad
        )
        stop = lambda signum, frame: session.lines.stop()  # noqa: E731  (the rows read so far are still learned)
        previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        try:
            result = session.run(
                lambda y: _new_model(y, loss, task, settings, session.form), skip_bad, report_every or "doubling"
            )
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        session.finish(result, out)


class _Session:
    """One run of ``descend learn``: blocks of lines to rows, the model learning from them
    (:func:`descend.online.progressive_validation`), the table printed, the model file written when due."""

    model: Estimator | None
    reader: LineRows | None
    report: dict[str, Any] | None
    make_reader: Callable[[str], LineRows] | None
    check_format: Callable[[str], None] | None

    def __init__(self, lines: LineBlocks, name: str, form: str | None, saver: _Saver, table: _Table) -> None:
        self.lines, self.name, self.form, self.saver, self.table = lines, name, form, saver, table
        self.model = self.reader = self.report = None
        self.make_reader = self.check_format = None
        self.rows = 0

    def on_report(self, report: dict[str, Any]) -> None:
        self.report = report
        self.table(report)

    def parsed(self, skip_bad: bool) -> Iterator[tuple[Matrix, AnyArray | None, FloatArray | None]]:
        """(X, y, weights or None) of each block of lines, read and parsed by a thread of its own a
        block ahead of the learning (the parser is compiled code that lets go of the GIL): the two
        overlap, as Vowpal Wabbit's parser and learner threads do."""

        def produce(
            take: Callable[[], int],
        ) -> Iterator[tuple[int, tuple[Matrix, AnyArray | None, FloatArray | None]]]:
            for chunk, first_line in self.lines:
                if self.form is None:  # standard input: its first line says
                    self.form = _sniff(chunk.split(b"\n", 1)[0])
                    assert self.check_format is not None  # set by learn() before the run
                    self.check_format(self.form)
                if self.reader is None:
                    assert self.make_reader is not None  # set by learn() before the run
                    self.reader = self.make_reader(self.form)
                parsed = self.reader.parse(chunk, first_line, skip_bad)
                if parsed is not None and parsed[0].shape[0]:
                    yield take(), parsed

        return prefetched(produce, 2)

    def blocks(self, skip_bad: bool) -> Iterator[tuple[Any, ...]]:
        """The parsed blocks for the learner; between two (the model has learned the first), the model
        file written when it is due."""
        for parsed in self.parsed(skip_bad):
            yield parsed if parsed[2] is not None else parsed[:2]
            self.rows += parsed[0].shape[0]
            if self.saver.due(self.rows):
                # the reader and the model exist once a block was learned from
                assert self.reader is not None and self.model is not None
                self.saver.save(
                    self.model, self.reader.preprocessing, self.form, self.rows, self.name, _figures(self.report)
                )

    def run(
        self, new_model: Callable[[AnyArray], Estimator], skip_bad: bool, report_at: Literal["doubling"] | int
    ) -> ProgressiveValidation:
        from ..online import progressive_validation

        blocks = self.blocks(skip_bad)
        first = next(blocks, None)
        if first is None:
            raise UserError(f"{self.name} held no rows to learn from")
        if self.model is None:
            self.model = new_model(first[1])
        classes = None if hasattr(self.model, "coef_") or _is_regressor(self.model) else _classes(first[1])
        return progressive_validation(
            self.model, itertools.chain([first], blocks), classes=classes, report_at=report_at, on_report=self.on_report
        )

    def finish(self, result: ProgressiveValidation, out: Path | None) -> None:
        assert self.reader is not None and self.model is not None  # the run read rows and learned from them
        self.saver.save(self.model, self.reader.preprocessing, self.form, self.rows, self.name, _figures(result.final))
        skipped = f", {self.reader.skipped} malformed lines skipped" if self.reader.skipped else ""
        where = f"; model written to {out}" if out else ""
        print(
            f"{self.rows} rows learned, progressive {self.model.loss} {result.final['loss']:.6f}{skipped}{where}",
            file=sys.stderr,
        )


def _figures(report: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """A report's figures, for the model file's metadata (JSON: None for NaN)."""
    import numpy as np

    if report is None:
        return None
    return {
        key: (None if isinstance(value, float) and not np.isfinite(value) else value)
        for key, value in report.items()
        if key not in ("label", "prediction")
    }


def _is_regressor(model: Estimator) -> bool:
    from sklearn.base import is_regressor

    return is_regressor(model)


def _refuse_format_flags(
    form: str | None,
    target: str | None,
    text: list[str] | None,
    interactions: list[str] | None,
    ngram: int,
    ignore: list[str] | None,
    skip_bad: bool,
) -> None:
    """Refuse the flags of another format than ``form`` (None: not known yet, standard input)."""
    if form is None:
        return
    given: object
    vw_flags = (
        (interactions, "--interactions/-q"),
        (ngram > 1, "--ngram"),
        (ignore, "--ignore"),
        (skip_bad, "--skip-bad"),
    )
    if form != "vw":
        for given, option in vw_flags:
            if given:
                raise UserError(f"{option} works on Vowpal Wabbit's format (namespaces), not on {form}")
    if form != "csv":
        for given, option in ((target, "--target"), (text, "--text")):
            if given:
                raise UserError(f"{option} works on CSV; a {form} line holds its label first")
    elif target is None:
        raise UserError("--target is required with CSV: the column to predict")


def _new_format(
    form: str, bits: int, interactions: list[str] | None, ngram: int, ignore: list[str] | None
) -> LineFormat | None:
    """How lines of ``form`` become rows (None for CSV: learned from its first rows)."""
    if form == "vw":
        from ..readers.vw import VWFormat

        return VWFormat(
            n_features=2**bits, interactions=tuple(interactions or ()), ngram=ngram, ignore=tuple(ignore or ())
        )
    if form == "svmlight":
        from ..readers.svmlight import SvmlightFormat

        return SvmlightFormat(2**bits, zero_based=True)
    return None


def _initial_model(initial: Path | None, form: str | None) -> tuple[Estimator, Preprocessing] | tuple[None, None]:
    """(model, its format) of ``--initial``, refused if its format is not the data's; (None, None)."""
    if initial is None:
        return None, None
    from .models import load_trained

    model, preprocessing, _ = load_trained(initial)
    kind = {"vw": "vw", "svmlight": "svmlight"}.get(getattr(preprocessing, "kind", ""), "csv")
    if form is not None and kind != form:
        raise UserError(f"{initial} was learned from {kind} rows, and the data is {form}")
    return model, preprocessing


def _new_model(
    y: AnyArray, loss: LossName | None, task: Task | None, settings: dict[str, Any], form: str | None
) -> Estimator:
    from .. import GDClassifier, GDRegressor

    kind = _task_of(y, loss, task)
    chosen = {**settings, **({"loss": loss.value} if loss is not None else {})}
    return GDClassifier(**chosen) if kind == "classification" else GDRegressor(**chosen)
