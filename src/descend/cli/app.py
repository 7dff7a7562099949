"""The Typer app every command registers on, and the one place a user's error becomes one line.

Whatever a user can get wrong, a usage error, bad data, a model file, an
unwritable path, a diverging fit, ends in ``error: ...`` on stderr and exit
status 2: no traceback, and no output file left behind.
"""

from __future__ import annotations

import os
import sys
from contextlib import contextmanager
from typing import TYPE_CHECKING

import typer

from ..exceptions import MissingExtraError

if TYPE_CHECKING:
    from collections.abc import Iterator

app = typer.Typer(
    help="descend: gradient descent, end to end. Train linear models on CSV, Parquet or svmlight files, "
    "or watch the optimizers race.",
    add_completion=False,
    pretty_exceptions_enable=False,
    # Click's plain help: Typer's rich one loads 100 ms of modules (rich, markdown) before it prints a line.
    rich_markup_mode=None,
)


class UserError(Exception):
    """A mistake of the user's that the command line itself finds, reported in one line."""


@contextmanager
def one_line_errors() -> Iterator[None]:
    """Turn the errors a user can cause inside the block into one line and exit status 2.

    The library's own messages (bad data, model files, a diverging fit) are ValueErrors;
    the first line is enough of any, and an OSError names the file it could not use."""
    try:
        yield
    except BrokenPipeError:  # the reader went away (| head): as any filter, stop without a word
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())  # the interpreter's own flush at exit would fail again
        raise typer.Exit(code=1) from None
    except (UserError, ValueError, TypeError, OSError, MissingExtraError) as error:
        typer.echo(f"error: {str(error).splitlines()[0] if str(error) else type(error).__name__}", err=True)
        raise typer.Exit(code=2) from None


def _print_version(asked: bool) -> None:
    if asked:
        from .._version import __version__

        typer.echo(f"descend {__version__}")
        raise typer.Exit()


@app.callback(invoke_without_command=True)
def _root(
    context: typer.Context,
    version: bool = typer.Option(
        False, "--version", is_eager=True, callback=_print_version, help="Print descend's version and exit."
    ),
) -> None:
    """descend: gradient descent, end to end."""
    if context.invoked_subcommand is None:
        typer.echo(context.get_help())


def main() -> None:
    """Entry point: usage errors too end in one line, ``error: ...``, and exit status 2.

    The ``descend`` command (and ``python -m descend``) runs it on ``sys.argv``.

    Raises
    ------
    SystemExit
        Always, with the command's exit status: 0 on success, 2 for an error the user can fix
        (its one line on stderr), 130 when interrupted.

    Examples
    --------
    >>> import subprocess, sys
    >>> run = subprocess.run([sys.executable, "-m", "descend", "fit", "homes.csv", "--target", "price"],
    ...                      capture_output=True, text=True)
    >>> run.returncode, run.stderr
    (2, "error: Missing option '--out' / '-o'.\\n")
    """
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
