"""How many threads a call may use, and running work on them: ``n_jobs``, scikit-learn's convention.

``n_jobs=None`` (the default) and ``1`` run on the calling thread and start no thread; ``-1`` takes
every core the process was given, ``-2`` all but one, and so on; a positive ``k`` asks for ``k``.
Whatever is asked, a call takes at most the cores it was given (:func:`cores_given`): the cores of
the process's CPU affinity, capped by ``OMP_NUM_THREADS`` when it is set. A joblib worker (scikit-learn's
``GridSearchCV(n_jobs=k)``, ``cross_val_score``...) has it set to its share of the machine, and a Dask
worker to 1, so a fit inside them does not start more threads than there are cores to run them.

Two kinds of work run on the threads. The engine's compiled loops release the GIL (Numba's
``nogil``), so :func:`run_all` runs them on a pool of Python threads, one task each. The feature
hashing of :mod:`descend.text` is a Numba ``prange`` loop, run inside :func:`numba_threads`.
"""

from __future__ import annotations

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TYPE_CHECKING

from ._checks import is_number

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator
    from typing import Any, TypeVar

    T = TypeVar("T")

__all__ = ["check_n_jobs", "cores_given", "threads_for", "shares", "run_all", "numba_threads", "one_blas_thread"]

_pools: dict[int, ThreadPoolExecutor] = {}
_pools_lock = threading.Lock()
_blas: list[Any] = []  # the threadpoolctl controller of the BLAS libraries, made once
# A child of fork() has none of its parent's threads: its pools start afresh.
os.register_at_fork(after_in_child=_pools.clear)


def check_n_jobs(n_jobs: int | None) -> int | None:
    """``n_jobs`` if it is None or a non-zero integer; a ValueError or TypeError naming it otherwise."""
    if n_jobs is None:
        return None
    if isinstance(n_jobs, bool) or not is_number(n_jobs) or int(n_jobs) != n_jobs:
        raise TypeError(f"n_jobs must be None or an integer (-1 for every core), got {n_jobs!r}")
    if n_jobs == 0:
        raise ValueError(
            "n_jobs must be None, a positive number of threads or -1 for every core (-2 all but one...), got 0"
        )
    return int(n_jobs)


def cores_given() -> int:
    """The cores this process may use: its CPU affinity's, at most ``OMP_NUM_THREADS`` when that is
    a positive integer (as joblib's and Dask's workers set it)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    limit = os.environ.get("OMP_NUM_THREADS", "").strip()
    if limit.isdigit() and int(limit) > 0:
        cores = min(cores, int(limit))
    return max(cores, 1)


def threads_for(n_jobs: int | None) -> int:
    """The number of threads ``n_jobs`` stands for (module docstring), 1 or more."""
    n_jobs = check_n_jobs(n_jobs)
    cores = cores_given()
    if n_jobs is None:
        return 1
    if n_jobs < 0:
        return max(cores + 1 + n_jobs, 1)
    return min(n_jobs, cores)


def shares(n_items: int, n_parts: int) -> list[tuple[int, int]]:
    """``range(n_items)`` cut into at most ``n_parts`` consecutive shares (start, stop) of about equal size,
    none empty (one, empty, for no items)."""
    n_parts = max(1, min(n_parts, n_items))
    cuts = [round(n_items * k / n_parts) for k in range(n_parts + 1)]
    return [(a, b) for a, b in zip(cuts[:-1], cuts[1:])]


def _pool(n_threads: int) -> ThreadPoolExecutor:
    with _pools_lock:
        if n_threads not in _pools:
            _pools[n_threads] = ThreadPoolExecutor(n_threads, thread_name_prefix="descend")
        return _pools[n_threads]


def run_all(tasks: Iterable[Callable[[], T]], n_threads: int) -> list[T]:
    """The results of the callables ``tasks``, in their order, run on ``n_threads`` threads (on this
    one, in turn, when ``n_threads`` is 1). The first exception raised is raised here, once all
    have ended."""
    tasks = list(tasks)
    if n_threads <= 1 or len(tasks) <= 1:
        return [task() for task in tasks]
    futures = [_pool(min(n_threads, len(tasks))).submit(task) for task in tasks]
    errors = [future.exception() for future in futures]
    for error in errors:
        if error is not None:
            raise error
    return [future.result() for future in futures]


@contextmanager
def numba_threads(n_threads: int) -> Iterator[None]:
    """Numba's ``prange`` loops run on ``n_threads`` threads inside the block (the setting is this
    thread's own, so concurrent calls do not disturb each other)."""
    import numba

    n_threads = max(1, min(n_threads, numba.config.NUMBA_NUM_THREADS))  # type: ignore[attr-defined]  # set at run time
    before = numba.get_num_threads()
    numba.set_num_threads(n_threads)
    try:
        yield
    finally:
        numba.set_num_threads(before)


@contextmanager
def one_blas_thread() -> Iterator[None]:
    """NumPy's and scipy's BLAS on one thread inside the block. Its threads split a dot product by their
    number, so the result would depend on them; and on the vectors of a line search (a million
    weights) waking them costs more than they save: L-BFGS on 120,000 hashed documents took 17.9 s
    with OpenBLAS's two threads, 8.8 s with one."""
    if not _blas:
        import scipy.linalg  # noqa: F401  (loads scipy's own BLAS, so that the controller sees it)
        from threadpoolctl import ThreadpoolController

        _blas.append(ThreadpoolController().select(user_api="blas"))
    with _blas[0].limit(limits=1):
        yield
