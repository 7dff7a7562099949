"""Where descend's compiled functions come from: Numba's ``njit``, with an on-disk cache that cannot go stale.

The compiled loops inline functions of other modules (an optimizer's step, a loss, a penalty), but Numba's
cache checks only the file of the function it compiled: after an edit to ``optimizers/adam.py`` the kernels
would go on running the old step from the cache. So, for a function of descend's own files, the cache's
stamp is descend's version and a digest of the function's module and of every descend module it imports,
transitively; any edit there compiles anew. The cache files stay where Numba puts them (``NUMBA_CACHE_DIR``,
else ``__pycache__``, else the user's cache directory), and every other package's functions keep Numba's stamp.

Every module of descend takes ``njit`` from here, so that the stamp is in place before its first decorator runs.
"""

from __future__ import annotations

import ast
import functools
import hashlib
import os
import re
from typing import TYPE_CHECKING

from numba import njit
from numba.core import caching

from ._version import __version__

if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Any

__all__ = ["njit"]

_PACKAGE = os.path.dirname(os.path.abspath(__file__))

# The import statements that may name a descend module, parsed alone: every stamp is taken when descend is
# imported, and parsing whole files would cost a few milliseconds each. A docstring's line that looks like one is
# harmless (it fails to parse, or at worst adds a file to the stamp). "\n", not "^", lets the search skip ahead.
_IMPORT = re.compile(
    rb"\n[ \t]*(?:from[ \t]+(?:\.|descend\b)[\w.]*[ \t]+import[ \t]*(?:\([^)]*\)|[^\n]*)"
    rb"|import[ \t]+descend\b[^\n]*)"
)


@functools.cache
def _module_file(parts: tuple[str, ...]) -> str | None:
    path = os.path.join(_PACKAGE, *parts)
    for candidate in (path + ".py", os.path.join(path, "__init__.py")):
        if os.path.isfile(candidate):
            return candidate
    return None


def _imported(path: str, node: ast.Import | ast.ImportFrom) -> set[str]:
    """The descend files an import statement of the file at ``path`` reads names from."""
    if isinstance(node, ast.Import):
        modules = [tuple(alias.name.split(".")[1:]) for alias in node.names if alias.name.split(".")[0] == "descend"]
        return {file for file in map(_module_file, modules) if file}
    if node.level:
        package = path
        for _ in range(node.level):
            package = os.path.dirname(package)
        if package != _PACKAGE and not package.startswith(_PACKAGE + os.sep):
            return set()
        base = tuple(package[len(_PACKAGE) + 1 :].split(os.sep)) if package != _PACKAGE else ()
        base += tuple(node.module.split(".")) if node.module else ()
    elif node.module and node.module.split(".")[0] == "descend":
        base = tuple(node.module.split(".")[1:])
    else:
        return set()
    # `from package import module` reads the module's file, `from module import name` the module's
    files = {_module_file(base + (alias.name,)) for alias in node.names if alias.name != "*"}
    if None in files or not files:
        files.add(_module_file(base))
    return {file for file in files if file is not None}


@functools.cache
def _file(path: str) -> tuple[bytes, frozenset[str]]:
    """The file's hash and the descend files it imports."""
    with open(path, "rb") as f:
        source = f.read()
    imports: set[str] = set()
    for statement in _IMPORT.finditer(b"\n" + source):
        try:
            nodes = ast.parse(statement.group().strip()).body
        except SyntaxError:
            continue
        for node in nodes:
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                imports |= _imported(path, node)
    return hashlib.sha256(source).digest(), frozenset(imports)


@functools.cache
def source_digest(path: str) -> str:
    """A digest of the descend file at ``path`` and of every descend file it imports, transitively."""
    seen: set[str] = set()
    todo = [path]
    while todo:
        file = todo.pop()
        if file not in seen:
            seen.add(file)
            todo.extend(_file(file)[1])
    digest = hashlib.sha256()
    for file in sorted(seen):
        digest.update(file[len(_PACKAGE) :].encode() + b"\0" + _file(file)[0])
    return digest.hexdigest()


class _DescendStamp:
    """Mixed into Numba's locators: the same cache directory, for descend's files, with descend's stamp."""

    _py_file: str  # set by Numba's locator, the class after this one

    @classmethod
    def from_function(cls, py_func: Callable[..., Any], py_file: str) -> _DescendStamp | None:
        path = os.path.abspath(py_file)
        if not (path.startswith(_PACKAGE + os.sep) and os.path.isfile(path)):
            return None  # another package's function (or no file to read): Numba's own locators
        return super().from_function(py_func, py_file)  # type: ignore[misc]  # a mixin: Numba's locator has it

    def get_source_stamp(self) -> tuple[str, str]:
        return __version__, source_digest(os.path.abspath(self._py_file))


class _UserProvided(_DescendStamp, caching.UserProvidedCacheLocator):
    pass


class _InTree(_DescendStamp, caching.InTreeCacheLocator):
    pass


class _UserWide(_DescendStamp, caching.UserWideCacheLocator):
    pass


# In Numba's order (NUMBA_CACHE_DIR first, when set), ahead of Numba's own; once, even if reloaded.
caching.CacheImpl._locator_classes[:] = [_UserProvided, _InTree, _UserWide] + [
    cls for cls in caching.CacheImpl._locator_classes if cls.__module__ != __name__
]
