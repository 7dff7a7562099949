"""Writing files so that a crash never leaves half of one."""

from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator
    from typing import TextIO


def _default_mode() -> int:
    """The permissions a plain open() would give a new file (mkstemp makes it private)."""
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


# Read once: reading the umask means setting it for a moment, which would race with other
# threads if done on every write (and checkpoints write every epoch).
_DEFAULT_MODE = _default_mode()


@contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[str]:
    """Yield a temporary path in the folder of ``path``; when the block completes it is renamed
    to ``path`` (replacing any old file at once), and when it fails it is removed."""
    path = Path(path)
    directory = path.parent  # "." for a bare file name
    if not directory.is_dir():
        raise FileNotFoundError(f"no such folder: {directory}")
    # The real suffix stays last: writers such as Pillow choose the format by it.
    handle, temporary = tempfile.mkstemp(dir=directory, prefix=f".{path.name}.", suffix=f".tmp{path.suffix}")
    os.close(handle)
    try:
        yield temporary
        os.chmod(temporary, _DEFAULT_MODE)
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def write_atomically(path: str | os.PathLike[str], write: Callable[[TextIO], object]) -> None:
    """Call ``write(stream)`` on a text file that appears at ``path`` only once complete.

    The text goes to a temporary file in the same folder, renamed to ``path`` when ``write``
    returns (replacing any old file at once) and removed if it raises.

    Parameters
    ----------
    path : str or path-like
        The file to write; its folder must exist.
    write : callable
        ``write(stream)`` writes the text to ``stream`` (UTF-8, no newline translation).

    Raises
    ------
    FileNotFoundError
        When the folder of ``path`` does not exist.

    Examples
    --------
    >>> import os, tempfile
    >>> from descend.io import write_atomically
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     write_atomically(os.path.join(folder, "notes.txt"), lambda stream: stream.write("done\\n"))
    ...     print(open(os.path.join(folder, "notes.txt")).read().strip())
    done
    """
    with atomic_path(path) as temporary:
        with open(temporary, "w", encoding="utf-8", newline="") as stream:
            write(stream)
