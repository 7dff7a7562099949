"""Whole lines from a file or standard input, in blocks, as they arrive: what the online command line
reads, whatever the format of its lines (Vowpal Wabbit's, svmlight's, CSV's).

:class:`LineBlocks` reads what is there (up to ``read_bytes`` at a time) and hands out the complete
lines of it, holding back a last line until its newline arrives (or the input ends). It never holds
more than one read of input, so a stream of any length takes the same memory. With ``follow``, the
end of a file is not the end: it waits for lines appended to it (``tail -f``), until :meth:`stop`.

Waiting is done with ``select`` and a timeout, never in a read that blocks: :meth:`stop` may then be
called from a signal handler, which only sets a flag, and the blocks end within ``poll_seconds``
with every line already read handed out. (A handler that raised instead could do so between a read
and the hand-out, and lose what was read.)
"""

from __future__ import annotations

import os
import queue
import select
import stat
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, BinaryIO, TypeVar

    from .._typing import AnyArray, FloatArray, Matrix

    _T = TypeVar("_T")

__all__ = ["LineBlocks", "LineRows", "prefetched", "STDIN"]

#: The name that means standard input.
STDIN = "-"


class LineBlocks:
    """Blocks of complete lines, ``(data, first_line)``: ``data`` the bytes of whole lines (each ending
    in a newline, but perhaps the input's last), ``first_line`` the 1-based number of its first line.

    Parameters
    ----------
    source : str, path-like or binary file object
        A file, ``"-"`` for standard input, or an open binary file (``sys.stdin.buffer``, a pipe).
    follow : bool
        At the end of the input, wait for more (a file still being written) until :meth:`stop`.
    poll_seconds : float
        How long a wait lasts before the stop flag is looked at again.
    read_bytes : int
        The most read at a time: the largest block, with the line it cuts.
    max_lines : int, optional
        The most lines in a block (a block is cut at a line's end).

    Examples
    --------
    >>> import io
    >>> blocks = LineBlocks(io.BytesIO(b"1 |a x\\n-1 |a y\\n1 |a z"), read_bytes=8)
    >>> [(data, first) for data, first in blocks]
    [(b'1 |a x\\n', 1), (b'-1 |a y\\n', 2), (b'1 |a z', 3)]
    """

    def __init__(
        self,
        source: str | os.PathLike[str] | BinaryIO,
        *,
        follow: bool = False,
        poll_seconds: float = 0.2,
        read_bytes: int = 1 << 22,
        max_lines: int | None = None,
    ) -> None:
        if not (isinstance(read_bytes, int) and read_bytes >= 1):
            raise ValueError(f"read_bytes must be an integer >= 1, got {read_bytes!r}")
        if max_lines is not None and not (isinstance(max_lines, int) and max_lines >= 1):
            raise ValueError(f"max_lines must be an integer >= 1, got {max_lines!r}")
        if not poll_seconds > 0:
            raise ValueError(f"poll_seconds must be > 0, got {poll_seconds!r}")
        self.source, self.follow, self.poll_seconds = source, bool(follow), float(poll_seconds)
        self.read_bytes, self.max_lines = read_bytes, max_lines
        self._stopped = threading.Event()
        self.lines_read = 0

    def stop(self) -> None:
        """End the blocks at the next wait (safe from a signal handler or another thread): the lines
        read so far are still handed out."""
        self._stopped.set()

    @property
    def stopped(self) -> bool:
        return self._stopped.is_set()

    def _open(self) -> tuple[BinaryIO, bool]:
        if hasattr(self.source, "read"):
            return self.source, False  # type: ignore[return-value]  # a file object: mypy cannot narrow by hasattr
        if str(self.source) == STDIN:
            return sys.stdin.buffer, False
        return open(Path(self.source), "rb"), True

    def __iter__(self) -> Iterator[tuple[bytes, int]]:
        handle, owned = self._open()
        try:
            yield from self._blocks(handle)
        finally:
            if owned:
                handle.close()

    def _blocks(self, handle: BinaryIO) -> Iterator[tuple[bytes, int]]:
        read = self._reader(handle)
        pending = b""
        while not self.stopped:
            data = read(True)
            if data is None:  # nothing yet: waited poll_seconds
                continue
            if not data:  # the end of the input
                if self.follow:
                    self._wait()
                    continue
                break
            pieces, size = [pending, data], len(pending) + len(data)
            while size < self.read_bytes:  # a pipe gives 64 KiB a read: take what else is there
                more = read(False)
                if not more:
                    break
                pieces.append(more)
                size += len(more)
            pending = b"".join(pieces)  # joined once: adding each piece would copy the block once a piece
            cut = pending.rfind(b"\n") + 1
            if cut:
                yield from self._hand_out(pending[:cut])
                pending = pending[cut:]
        if pending and not self.follow:  # a last line without its newline
            yield from self._hand_out(pending)

    def _hand_out(self, data: bytes) -> Iterator[tuple[bytes, int]]:
        if self.max_lines is None:
            first = self.lines_read + 1
            self.lines_read += data.count(b"\n") + (0 if data.endswith(b"\n") else 1)
            yield data, first
            return
        import numpy as np

        # Where each line ends, found in one vectorized pass: a loop of find() a line held the GIL
        # that the parsing thread and the learning thread share (0.7 s a million lines).
        ends = np.flatnonzero(np.frombuffer(data, np.uint8) == ord("\n")) + 1
        if not data.endswith(b"\n"):
            ends = np.append(ends, len(data))
        start = 0
        for first_line in range(0, len(ends), self.max_lines):  # lines first_line to last_line, max_lines at most
            last_line = min(first_line + self.max_lines, len(ends)) - 1
            stop = int(ends[last_line])
            first = self.lines_read + 1
            self.lines_read += last_line - first_line + 1
            yield data[start:stop], first
            start = stop

    def _reader(self, handle: BinaryIO) -> Callable[[bool], bytes | None]:
        """A function giving the next bytes read (b"" at the end, None when a wait found nothing). A
        file descriptor is read directly (a pipe only once select says it holds something); so the
        handle must not have been read from before, as a fresh file or standard input has not."""
        try:
            fd = handle.fileno()
        except (AttributeError, OSError, ValueError):  # an in-memory file: never waits
            return lambda wait: handle.read(self.read_bytes)
        regular = stat.S_ISREG(os.fstat(fd).st_mode)  # a file on disk: never blocks

        def read(wait: bool) -> bytes | None:
            """What is there, or with ``wait`` what comes within poll_seconds (None: nothing)."""
            if not regular:
                ready, _, _ = select.select([fd], [], [], self.poll_seconds if wait else 0.0)
                if not ready:
                    return None
            return os.read(fd, self.read_bytes)

        return read

    def _wait(self) -> None:
        self._stopped.wait(self.poll_seconds)


class _Stopped(Exception):
    """The consumer of a prefetched stream went away."""


def prefetched(produce: Callable[[Callable[[], int]], Iterable[tuple[int, _T]]], slots: int) -> Iterator[_T]:
    """The pieces of ``produce(take)``, a generator run in a background thread: before each piece it
    calls ``take()`` for a free slot of ``slots`` and yields ``(slot, piece)``; the piece handed out
    keeps its slot until the next one is asked for. Errors reach the consumer; a consumer that stops
    early stops the thread (after the piece it is reading). Reading (and parsing, in compiled code
    that lets go of the GIL) then overlaps with learning: at most ``slots`` pieces are held.

    Parameters
    ----------
    produce : callable
        ``produce(take)``: a generator of ``(slot, piece)``, each slot from ``take()``.
    slots : int
        How many pieces may be held at once (the one being used among them).

    Yields
    ------
    object
        The pieces, in order.

    Examples
    --------
    >>> def produce(take):
    ...     for piece in ("a", "b", "c"):
    ...         yield take(), piece.upper()
    >>> list(prefetched(produce, 2))
    ['A', 'B', 'C']
    """
    free: queue.Queue[int] = queue.Queue()
    ready: queue.Queue[tuple[str, Any]] = queue.Queue()
    stop = threading.Event()
    for slot in range(slots):
        free.put(slot)

    def take() -> int:
        while True:
            try:
                slot = free.get(timeout=0.05)
            except queue.Empty:
                slot = None
            if stop.is_set():
                raise _Stopped
            if slot is not None:
                return slot

    def run() -> None:
        try:
            for item in produce(take):
                if stop.is_set():
                    return
                ready.put(("piece", item))
            ready.put(("end", None))
        except _Stopped:
            pass
        except BaseException as error:  # handed to the consumer
            ready.put(("error", error))

    thread = threading.Thread(target=run, name="descend-read", daemon=True)
    thread.start()
    held: int | None = None
    try:
        while True:
            kind, item = ready.get()
            if held is not None:
                free.put(held)
                held = None
            if kind == "end":
                return
            if kind == "error":
                raise item
            held, piece = item
            yield piece
    finally:
        stop.set()
        thread.join()


class LineRows:
    """Whole lines of one format to a model's rows: what ``descend learn`` and ``descend predict -``
    make of the blocks :class:`LineBlocks` reads.

    Parameters
    ----------
    form : {"vw", "svmlight", "csv"}
        The lines' format.
    name : str
        The input's name, for errors.
    preprocessing : VWFormat, SvmlightFormat, TablePreprocessor or None
        How lines become the matrix; for CSV, None learns a TablePreprocessor from the first block
        (``text`` columns hashed into ``n_features``).
    target : str, optional
        CSV: the column to predict; None for rows to predict (no label read).
    text : tuple of str
        CSV: the columns of free text.
    n_features : int
        CSV: the hashed space of ``text``.
    n_jobs : int or None
        CSV: the threads that hash ``text`` (``hash_texts``'s ``n_jobs``; the same rows on any number).

    Examples
    --------
    >>> from descend.readers.vw import VWFormat
    >>> rows = LineRows("vw", "<stdin>", VWFormat(n_features=16))
    >>> X, y, weights = rows.parse(b"1 2 |a x\\n-1 |a y\\n", 1)
    >>> X.shape, y.tolist(), weights.tolist()
    ((2, 16), [1.0, -1.0], [2.0, 1.0])
    """

    #: VWFormat, SvmlightFormat or TablePreprocessor (or None, for CSV, until the first block): ``form`` says which.
    preprocessing: Any

    def __init__(
        self,
        form: str,
        name: str,
        preprocessing: Any = None,  # the docstring's three: naming them here would import those modules, which import this one
        *,
        target: str | None = None,
        text: Iterable[str] = (),
        n_features: int = 2**20,
        n_jobs: int | None = None,
    ) -> None:
        self.form, self.name, self.preprocessing = form, name, preprocessing
        self.target, self.text, self.n_features, self.n_jobs = target, tuple(text), n_features, n_jobs
        if form == "csv" and preprocessing is not None and n_jobs is not None:  # a model's (--initial)
            preprocessing.n_jobs = n_jobs  # hashes on the threads asked for: the same rows on any number
        self.header: bytes | None = None
        self.skipped = 0

    def parse(
        self, data: bytes, first_line: int, skip_bad: bool = False
    ) -> tuple[Matrix, AnyArray | None, FloatArray | None] | None:
        """The rows of whole lines.

        Parameters
        ----------
        data : bytes
            Whole lines, as :class:`LineBlocks` hands them out.
        first_line : int
            The number of the first of them in the input (for errors).
        skip_bad : bool
            Vowpal Wabbit's format: count and skip a malformed line rather than stop at it.

        Returns
        -------
        tuple or None
            ``(X, y, weights)``: ``y`` None for CSV rows to predict, ``weights`` None but for Vowpal
            Wabbit's importance; None for a CSV block of no row (its header alone).
        """
        if self.form == "vw":
            block = self.preprocessing.parse(data, first_line=first_line, where=self.name, skip_bad=skip_bad)
            self.skipped += block.skipped
            return block.X, block.y, block.weights
        if self.form == "svmlight":
            X, y = self.preprocessing.parse(data, first_line=first_line, where=self.name)
            return X, y, None
        return self._csv(data, first_line)

    def _csv(self, data: bytes, first_line: int) -> tuple[Matrix, AnyArray | None, None] | None:
        import io

        import pandas as pd

        from .tables import DataError, TablePreprocessor, clean_target

        if self.header is None:  # the first line of the input names the columns of every block
            cut = data.find(b"\n") + 1 or len(data)
            self.header, data = data[:cut], data[cut:]
            first_line += 1
        if not data.strip():
            return None
        try:
            frame = pd.read_csv(io.BytesIO(self.header + data), dtype={column: str for column in self.text})
        except (ValueError, pd.errors.ParserError) as error:
            last = first_line + data.count(b"\n")
            raise DataError(f"{self.name} lines {first_line} to {last}: {error}") from None
        frame.index = frame.index + first_line
        if self.target is None:  # rows to predict; a label column, if the rows have one, is not read
            return self.preprocessing.transform(frame, allowed_extra=tuple(frame.columns)), None, None
        if self.target not in frame.columns:
            raise DataError(f"{self.name} has no column {self.target!r}; its columns: {', '.join(frame.columns)}")
        frame = clean_target(frame, self.target, [], learning=True)
        if self.preprocessing is None:
            self.preprocessing = TablePreprocessor(text=self.text, n_features=self.n_features, n_jobs=self.n_jobs).fit(
                frame, self.target, []
            )
        return self.preprocessing.transform(frame, allowed_extra=(self.target,)), frame[self.target].to_numpy(), None
