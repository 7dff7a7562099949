"""Case (o) of benchmarks/run.py: what each optimizer costs.

    python benchmarks/optimizer_cases.py            # prints the figures as one JSON line

(o) minimize: 10,000 steps of each optimizer of ``descend.optimizers.OPTIMIZER_NAMES`` (and Muon, on the
    vector as a 1 x 2 matrix) on Rosenbrock from (-1.5, 2), at a rate of 1e-4 so that none diverges,
    ``tol=None`` so that every run takes all the steps: ``minimize`` against the same ``fun`` and the
    optimizer's ``update`` in a plain Python loop (the best of 5 alternating runs each); microseconds a step
    and their ratio (target, as case (k): at most 1.5). L-BFGS is left out: a step of it is up to 20
    iterations, which a bare loop of ``update`` does not have.
(o) the compiled per-sample step: one epoch of ``GDRegressor(optimizer=name, batch_size=1, max_iter=1)`` on
    1,000,000 x 100 (squared loss, rate 1e-4, no standardization, no penalty, a fixed order) for each
    optimizer of gradients, against plain SGD's epoch (the best of 2 each, after a fit on 1,000 rows that
    compiles the loop). Muon is left out (one row's gradient is a rank-one matrix: it refuses
    batch_size=1), and L-BFGS (the full batch only).

(o) Vowpal Wabbit's update on the same hashed rows: the sparse text of case (u) (benchmarks/user_cases.py,
    150,000 documents, the first 120,000 to train), hashed once by ``hash_texts(docs, 2**20,
    alternate_sign=False, norm=None)`` (counts); one pass in the rows' order of
    ``GDClassifier(optimizer="normalized", batch_size=1, max_iter=1, penalty=None, shuffle=False)`` against
    Vowpal Wabbit fed the same rows as ``index:count`` features (``--loss_function logistic -b 24``, its
    defaults otherwise: the same adaptive, normalized, invariant update). Held-out accuracy and seconds
    (Vowpal Wabbit's include parsing its text lines).

Timings are noisy on a shared machine; nothing here is asserted in the tests.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import numpy as np

STEPS = 10_000
REPEATS = 5
ROWS, COLUMNS = 1_000_000, 100
RATE = 1e-4


def _timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def minimize_against_loop() -> dict:
    """{name: {"minimize_us", "bare_loop_us", "ratio"}} of 10,000 steps on Rosenbrock."""
    from descend import minimize
    from descend.functions import Rosenbrock
    from descend.optimizers import OPTIMIZER_NAMES, get_optimizer

    fun, x0 = Rosenbrock(), np.array([-1.5, 2.0])
    made = {name: (lambda name=name: get_optimizer(name, lr=RATE)) for name in OPTIMIZER_NAMES}
    made["muon"] = lambda: get_optimizer("muon", lr=RATE, shape=(1, 2))
    figures = {}
    for name, make in made.items():

        def bare_loop():
            optimizer = make()
            x = x0.copy()
            state = optimizer.init(x)
            for _ in range(STEPS):
                _, grad = fun(x)
                optimizer.update(x, grad, state, optimizer.lr)
            return x

        def run():
            return minimize(fun, x0, make(), max_iter=STEPS, tol=None)

        run(), bare_loop()  # compile, warm the caches
        times = {"minimize": [], "bare_loop": []}
        for _ in range(REPEATS):
            times["minimize"].append(_timed(run))
            times["bare_loop"].append(_timed(bare_loop))
        best = {key: min(values) / STEPS * 1e6 for key, values in times.items()}
        figures[name] = {
            "minimize_us": round(best["minimize"], 3),
            "bare_loop_us": round(best["bare_loop"], 3),
            "ratio": round(best["minimize"] / best["bare_loop"], 3),
        }
    return figures


def per_sample_epochs() -> dict:
    """{name: {"epoch_s", "over_sgd"}}: one compiled per-sample epoch on 1,000,000 x 100."""
    from descend import GDRegressor
    from descend.optimizers import OPTIMIZER_NAMES

    rng = np.random.default_rng(0)
    X = rng.standard_normal((ROWS, COLUMNS))
    y = X @ rng.standard_normal(COLUMNS) + rng.standard_normal(ROWS)
    settings = dict(
        batch_size=1,
        max_iter=1,
        tol=None,
        learning_rate=RATE,
        standardize=False,
        penalty=None,
        shuffle=False,
        random_state=0,
    )
    figures = {}
    for name in OPTIMIZER_NAMES:
        make = lambda: GDRegressor(optimizer=name, **settings)  # noqa: E731
        make().fit(X[:1000], y[:1000])  # compile the loop (or load it from the cache)
        figures[name] = {"epoch_s": round(min(_timed(lambda: make().fit(X, y)) for _ in range(2)), 4)}
    for figure in figures.values():
        figure["over_sgd"] = round(figure["epoch_s"] / figures["sgd"]["epoch_s"], 2)
    return figures


def vowpal_wabbit_same_rows() -> dict:
    """Held-out accuracy and seconds of descend's normalized update and Vowpal Wabbit's on one matrix."""
    from user_cases import make_user_corpus, split
    from vowpalwabbit import Workspace

    from descend import GDClassifier
    from descend.text import hash_texts

    documents, labels, _ = make_user_corpus()
    n = split(len(documents))
    X = hash_texts(documents, 2**20, alternate_sign=False, norm=None)

    def lines(rows, y=None):
        for i in range(rows.shape[0]):
            start, end = rows.indptr[i], rows.indptr[i + 1]
            features = " ".join(f"{j}:{v:g}" for j, v in zip(rows.indices[start:end], rows.data[start:end]))
            yield f"{1 if y[i] else -1} | {features}" if y is not None else f"| {features}"

    model = GDClassifier(optimizer="normalized", batch_size=1, max_iter=1, tol=None, penalty=None, shuffle=False)
    model.fit(X[:1000], labels[:1000])  # compile
    ours_s = _timed(lambda: model.fit(X[:n], labels[:n]))
    ours = float(model.score(X[n:], labels[n:]))
    workspace = Workspace("--loss_function logistic -b 24 --quiet")
    train_lines = list(lines(X[:n], labels[:n]))
    theirs_s = _timed(lambda: [workspace.learn(line) for line in train_lines])
    predicted = np.array([workspace.predict(line) > 0 for line in lines(X[n:])])
    theirs = float(np.mean(predicted == labels[n:]))
    workspace.finish()
    return {
        "descend_accuracy": round(ours, 4),
        "descend_s": round(ours_s, 3),
        "vw_accuracy": round(theirs, 4),
        "vw_s": round(theirs_s, 3),
        "train_rows": int(n),
    }


def case_o() -> dict:
    return {
        "minimize": minimize_against_loop(),
        "per_sample": per_sample_epochs(),
        "vw_same_rows": vowpal_wabbit_same_rows(),
    }


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).parent))
    print(json.dumps(case_o()))
