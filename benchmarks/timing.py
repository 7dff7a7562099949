"""What every benchmark case measures with: the best of a few runs, and the peak memory a fit adds."""

from __future__ import annotations

import ctypes
import gc
import time
import warnings


def best_of(repeats, fn):
    """``(least seconds, last result)`` of ``repeats`` calls of ``fn`` (the machine is shared: the
    least time is the one least disturbed)."""
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def _status(field):
    for line in open("/proc/self/status"):
        if line.startswith(field):
            return int(line.split()[1]) * 1024


def peak_added_by(fit):
    """The bytes by which ``fit()`` raises this process's peak resident memory over what it holds
    before (Linux: the peak, VmHWM, is reset to now first), its warnings silenced. The heap is
    trimmed first (glibc's malloc_trim): memory that making the data freed but kept would otherwise
    be reused by the fit unseen (the sparse fits of case (j) measured 0.00 that way, 0.66 to 0.91 of
    their CSR matrix on a trimmed heap, the same code)."""
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    before = _status("VmRSS:")
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit()
    return _status("VmHWM:") - before
