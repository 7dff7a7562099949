"""n_jobs to threads: scikit-learn's convention, capped by the cores the process was given."""

import threading

import pytest

from descend import _threads
from descend._threads import check_n_jobs, cores_given, run_all, threads_for


@pytest.fixture
def four_cores(monkeypatch):
    monkeypatch.setattr(_threads.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)


def test_n_jobs_convention(four_cores):
    assert cores_given() == 4
    assert [threads_for(n) for n in (None, 1, 2, 4, 9, -1, -2, -4, -9)] == [1, 1, 2, 4, 4, 4, 3, 1, 1]


@pytest.mark.parametrize("limit, expected", [("1", 1), ("2", 2), ("16", 4), ("", 4), ("many", 4), ("0", 4)])
def test_omp_num_threads_caps_the_cores(four_cores, monkeypatch, limit, expected):
    # joblib's workers (GridSearchCV(n_jobs=k)) and Dask's set it to their share of the machine
    monkeypatch.setenv("OMP_NUM_THREADS", limit)
    assert threads_for(-1) == expected
    assert threads_for(8) == expected


@pytest.mark.parametrize(
    "bad, error, words",
    [(0, ValueError, "got 0"), (1.5, TypeError, "got 1.5"), ("2", TypeError, "got '2'"), (True, TypeError, "got True")],
)
def test_bad_n_jobs_named(bad, error, words):
    with pytest.raises(error, match="n_jobs") as raised:
        check_n_jobs(bad)
    assert words in str(raised.value)


def test_run_all_keeps_the_order_and_raises_the_first_error():
    assert run_all([lambda k=k: k * k for k in range(7)], 3) == [k * k for k in range(7)]

    def fail():
        raise ValueError("this one")

    with pytest.raises(ValueError, match="this one"):
        run_all([lambda: 1, fail, lambda: 2], 2)


def test_one_thread_runs_here_and_starts_none():
    before = threading.active_count()
    names = run_all([lambda: threading.current_thread().name for _ in range(3)], 1)
    assert names == [threading.current_thread().name] * 3
    assert threading.active_count() == before
    on_pool = run_all([lambda: threading.current_thread().name for _ in range(2)], 2)
    assert all(name.startswith("descend") for name in on_pool)


@pytest.mark.parametrize("n_items, n_parts", [(10, 3), (5, 2), (3, 8), (1, 1), (1000, 7)])
def test_shares_cover_the_range_in_order_without_empty_ones(n_items, n_parts):
    from descend._threads import shares

    cut = shares(n_items, n_parts)
    assert cut[0][0] == 0 and cut[-1][1] == n_items and len(cut) == min(n_parts, n_items)
    assert all(a < b for a, b in cut) and all(b == c for (_, b), (c, _) in zip(cut[:-1], cut[1:]))
    assert max(b - a for a, b in cut) - min(b - a for a, b in cut) <= 1
