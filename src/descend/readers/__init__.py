"""Files in, matrices out: every data format descend reads, one module each.

- :mod:`descend.readers.tables`: CSV and Parquet tables to matrices (numbers standardized, categories
  one-hot or hashed, text columns hashed), and the checks that name a bad column;
- :mod:`descend.readers.stream`: tables larger than memory, read in pieces within a memory budget;
- :mod:`descend.readers.svmlight`: svmlight/libsvm files, in memory or streamed in blocks of lines;
- :mod:`descend.readers.vw`: Vowpal Wabbit's text format (namespaces, importance weights, tags,
  interactions), hashed, in memory or streamed from a file or standard input;
- :mod:`descend.readers.dask_tables`: tables read by a Dask cluster's workers.

:func:`file_format` says which of them reads a file, from its name. A new format is a module here and a
line in :data:`SUFFIXES`.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import os

__all__ = ["SUFFIXES", "FORMATS", "file_format"]

#: The suffixes each format's files take (any case); a name with none of them is read as CSV.
SUFFIXES = {
    "parquet": (".parquet", ".pq"),
    "svmlight": (".svm", ".svmlight", ".libsvm"),
    "vw": (".vw",),
    "csv": (".csv", ".tsv", ".txt"),
}
FORMATS = tuple(SUFFIXES)


def file_format(path: str | os.PathLike[str]) -> str:
    """The format of the file ``path``, from its suffix: ``"parquet"``, ``"svmlight"``, ``"vw"`` or ``"csv"``.

    Standard input (``"-"``) and any other name are ``"csv"``.

    Parameters
    ----------
    path : str or path-like
        A file's name.

    Returns
    -------
    str
        A key of :data:`SUFFIXES`.

    Examples
    --------
    >>> from descend.readers import file_format
    >>> file_format("clicks.VW"), file_format("train.svm"), file_format("houses.csv"), file_format("-")
    ('vw', 'svmlight', 'csv', 'csv')
    """
    suffix = Path(str(path)).suffix.lower()
    for name, suffixes in SUFFIXES.items():
        if suffix in suffixes:
            return name
    return "csv"
