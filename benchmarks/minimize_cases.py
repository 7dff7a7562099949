"""The generic loop's cases: ``minimize`` against a bare loop (k), and the explorer's longest request.

    python benchmarks/minimize_cases.py            # prints both cases' figures as JSON lines

(k) 10,000 Adam steps on Rosenbrock (``descend.functions.Rosenbrock``) from (-1.5, 2): ``minimize``
    with its default arguments (Adam's lr 1e-3, tol=1e-6: it does not converge within 10,000 steps, so
    every run takes all of them and tests the gradient norm at each) against the same ``fun`` and
    ``Adam.update`` in a plain Python loop; microseconds a step and their ratio (target: at most 1.5).
    Beside them: ``tol=None``, ``record=False``, and ``fun`` alone.
(explorer) ``GET /api/path?function=rosenbrock&optimizer=adam&lr=0.05&iters=10000`` end to end through
    FastAPI's TestClient (target: under 60 ms), with the JSON encoder the explorer found (orjson when
    installed) and with the standard library's, which it falls back to; beside them the time of
    ``compute_path`` alone (the run and the gradient norms, before encoding).

Each figure is the best of several runs after a warm-up (the compiled code and the caches warm; the
machine is shared, and the best run is the one least disturbed). ``case_k`` and ``case_explorer``
return dicts of figures; ``benchmarks/run.py`` calls them. Nothing here is asserted in the tests.
"""

from __future__ import annotations

import json
import sys
import time

import numpy as np

STEPS = 10_000
REPEATS = 9
EXPLORER_QUERY = "/api/path?function=rosenbrock&optimizer=adam&lr=0.05&iters=10000"


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def best_of_alternating(repeats: int, fns: dict) -> dict:
    """{name: best time} over ``repeats`` rounds, each round running every fn once: a slow moment of the
    machine hits all of them, not one."""
    times = {name: [] for name in fns}
    for _ in range(repeats):
        for name, fn in fns.items():
            times[name].append(_timed(fn))
    return {name: min(values) for name, values in times.items()}


def case_k() -> dict:
    """``minimize`` against the bare loop: 10,000 Adam steps on Rosenbrock, microseconds a step."""
    from descend import minimize
    from descend.functions import Rosenbrock
    from descend.optimizers import Adam

    fun, x0 = Rosenbrock(), np.array([-1.5, 2.0])

    def bare_loop():
        optimizer = Adam()
        x = x0.copy()
        state = optimizer.init(x)
        for _ in range(STEPS):
            value, grad = fun(x)
            optimizer.update(x, grad, state, optimizer.lr)
        return x

    def fun_alone():
        x = x0.copy()
        for _ in range(STEPS):
            fun(x)

    runs = {
        "minimize": lambda: minimize(fun, x0, "adam", max_iter=STEPS),
        "bare_loop": bare_loop,
        "minimize_tol_none": lambda: minimize(fun, x0, "adam", max_iter=STEPS, tol=None),
        "minimize_record_false": lambda: minimize(fun, x0, "adam", max_iter=STEPS, record=False),
        "fun_alone": fun_alone,
    }
    # The same work: minimize takes all 10,000 steps and ends where the bare loop does.
    result = runs["minimize"]()
    if result.n_iter != STEPS or not np.array_equal(result.x, bare_loop()):
        raise RuntimeError(f"minimize and the bare loop differ: {result}")
    best = best_of_alternating(REPEATS, runs)
    figures = {f"{name}_us_per_step": seconds / STEPS * 1e6 for name, seconds in best.items()}
    figures["ratio"] = best["minimize"] / best["bare_loop"]
    figures["ratio_tol_none"] = best["minimize_tol_none"] / best["bare_loop"]
    figures["target_ratio"] = 1.5
    return figures


def case_explorer() -> dict:
    """The explorer's 10,000-step request end to end, in milliseconds, with each JSON encoder."""
    from fastapi.testclient import TestClient

    from descend.explorer import compute_path, create_app

    found = "orjson" if _has_orjson() else "json"
    client = TestClient(create_app())
    saved = sys.modules.get("orjson")
    sys.modules["orjson"] = None  # the app built now falls back to the standard library's json
    try:
        stdlib_client = TestClient(create_app())
    finally:
        if saved is None:
            del sys.modules["orjson"]
        else:
            sys.modules["orjson"] = saved

    def request(on):
        response = on.get(EXPLORER_QUERY)
        if response.status_code != 200 or len(response.content) < 100_000:
            raise RuntimeError(f"the explorer answered {response.status_code}: {response.text[:200]}")

    runs = {
        "request": lambda: request(client),
        "request_stdlib_json": lambda: request(stdlib_client),
        "compute_path": lambda: compute_path("rosenbrock", "adam", 0.05, STEPS),
    }
    for fn in runs.values():  # warm-up: compiled code, imports, the client's event loop
        fn()
    best = best_of_alternating(REPEATS, runs)
    figures = {f"{name}_ms": seconds * 1e3 for name, seconds in best.items()}
    figures["encoder"] = found
    figures["response_bytes"] = len(client.get(EXPLORER_QUERY).content)
    figures["target_ms"] = 60.0
    return figures


def _has_orjson() -> bool:
    try:
        import orjson  # noqa: F401 - only asking whether it is there
    except ImportError:
        return False
    return True


def main() -> None:
    for name, case in (("k", case_k), ("explorer", case_explorer)):
        print(
            name,
            json.dumps({key: round(value, 3) if isinstance(value, float) else value for key, value in case().items()}),
            flush=True,
        )


if __name__ == "__main__":
    main()
