"""Case (x) of benchmarks/run.py, every core: each kind of work at ``n_jobs=1`` and ``n_jobs=2``.

    python benchmarks/parallel_cases.py [--json]

- the full batch (L-BFGS, the default) of a logistic regression on 1,000,000 x 100 dense rows, and on the
  CSR matrix of case (h)'s text corpus (``batch_size=None``): the coefficients must be equal bit for bit;
- mini-batch Adam, 65,536 rows a batch, 3 epochs on the same dense rows (equal bit for bit too);
- Hogwild!: case (h) itself (5 epochs of per-sample SGD on the CSR matrix) beside ``SGDClassifier``, and
  3 epochs of per-sample SGD on the dense rows, with held-out accuracy;
- ``GDClassifier()`` at its defaults on the CSR matrix (one pass of the normalized update);
- ``hash_texts`` of the corpus's 200,000 documents (the matrices must be equal).

Each pair runs alternately, three times, and the best of each is kept (the machine is shared). Nothing
here is asserted in the tests.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from timing import best_of  # noqa: E402

N_DENSE, P_DENSE = 1_000_000, 100
SGD_5_EPOCHS = dict(
    loss="log_loss",
    optimizer="sgd",
    alpha=1e-6,
    batch_size=1,
    standardize=False,
    tol=None,
    random_state=0,
    schedule="optimal",
    max_iter=5,
)


def _pair(fit, runs=3):
    """{n_jobs: (best seconds, last result)} of ``fit(n_jobs)`` at 1 and 2, alternating."""
    times, results = {1: [], 2: []}, {}
    for _ in range(runs):
        for n_jobs in (1, 2):
            seconds, results[n_jobs] = best_of(1, lambda n=n_jobs: fit(n))
            times[n_jobs].append(seconds)
    return {n: (min(times[n]), results[n]) for n in (1, 2)}, times


def _summary(pair, times, **extra):
    (one, _), (two, _) = pair[1], pair[2]
    return {"one_s": one, "two_s": two, "speed_up": one / two, "one_all_s": times[1], "two_all_s": times[2], **extra}


def _same(a, b):
    return bool(np.array_equal(a.coef_, b.coef_) and np.array_equal(a.intercept_, b.intercept_))


def dense_data():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((N_DENSE + 100_000, P_DENSE))
    w = rng.standard_normal(P_DENSE) / 10
    y = (X @ w + rng.logistic(size=len(X)) > 0).astype(int)
    return X[:N_DENSE], y[:N_DENSE], X[N_DENSE:], y[N_DENSE:]


def case_x():
    results = _sparse_cases()
    results.update(_dense_cases())
    return results


def _sparse_cases():
    """Hashing, then the fits on case (h)'s CSR matrix."""
    from sklearn.linear_model import SGDClassifier
    from text_cases import N_FEATURES, N_TRAIN, make_corpus

    from descend import GDClassifier
    from descend.text import hash_texts

    results = {}
    documents, labels = make_corpus()
    hash_texts(documents[:2000], N_FEATURES, n_jobs=2)  # compile / load the cache
    pair, times = _pair(lambda n: hash_texts(documents, N_FEATURES, alternate_sign=False, n_jobs=n))
    equal = all(np.array_equal(getattr(pair[1][1], a), getattr(pair[2][1], a)) for a in ("indptr", "indices", "data"))
    results["hashing"] = _summary(pair, times, equal=equal, documents=len(documents))

    X = pair[1][1]
    X_train, X_test, y_train, y_test = X[:N_TRAIN], X[N_TRAIN:], labels[:N_TRAIN], labels[N_TRAIN:]
    for n_jobs in (1, 2):  # compile / load the cache of every loop below
        GDClassifier(**SGD_5_EPOCHS, n_jobs=n_jobs).fit(X_train[:2000], y_train[:2000])
        GDClassifier(n_jobs=n_jobs).fit(X_train[:20000], y_train[:20000])

    pair, times = _pair(lambda n: GDClassifier(batch_size=None, n_jobs=n).fit(X_train, y_train), runs=2)
    results["full_sparse"] = _summary(pair, times, equal=_same(pair[1][1], pair[2][1]), epochs=int(pair[1][1].n_iter_))

    pair, times = _pair(lambda n: GDClassifier(**SGD_5_EPOCHS, n_jobs=n).fit(X_train, y_train))
    peer_times, peer = [], None
    for _ in range(3):
        seconds, peer = best_of(
            1,
            lambda: SGDClassifier(loss="log_loss", alpha=1e-6, max_iter=5, tol=None, random_state=0).fit(
                X_train, y_train
            ),
        )
        peer_times.append(seconds)
    results["hogwild_sparse"] = _summary(
        pair,
        times,
        sklearn_s=min(peer_times),
        sklearn_all_s=peer_times,
        ratio_two=pair[2][0] / min(peer_times),
        ratio_one=pair[1][0] / min(peer_times),
        accuracy_one=float(pair[1][1].score(X_test, y_test)),
        accuracy_two=float(pair[2][1].score(X_test, y_test)),
        sklearn_accuracy=float(peer.score(X_test, y_test)),
    )

    pair, times = _pair(lambda n: GDClassifier(n_jobs=n, random_state=0).fit(X_train, y_train))
    results["defaults_sparse"] = _summary(
        pair,
        times,
        accuracy_one=float(pair[1][1].score(X_test, y_test)),
        accuracy_two=float(pair[2][1].score(X_test, y_test)),
    )
    return results


def _dense_cases():
    """The fits on 1,000,000 x 100 dense rows."""
    from descend import GDClassifier

    results = {}
    X, y, X_test, y_test = dense_data()
    GDClassifier(n_jobs=2).fit(X[:40000], y[:40000])
    pair, times = _pair(lambda n: GDClassifier(n_jobs=n).fit(X, y))
    results["full_dense"] = _summary(pair, times, equal=_same(pair[1][1], pair[2][1]), epochs=int(pair[1][1].n_iter_))

    adam = dict(optimizer="adam", batch_size=65_536, learning_rate=0.01, max_iter=3, tol=None, random_state=0)
    pair, times = _pair(lambda n: GDClassifier(n_jobs=n, **adam).fit(X, y))
    results["minibatch_dense"] = _summary(pair, times, equal=_same(pair[1][1], pair[2][1]))

    sgd = dict(
        optimizer="sgd", batch_size=1, learning_rate=0.01, max_iter=3, tol=None, standardize=False, random_state=0
    )
    GDClassifier(n_jobs=2, **sgd).fit(X[:20000], y[:20000])
    pair, times = _pair(lambda n: GDClassifier(n_jobs=n, **sgd).fit(X, y))
    results["hogwild_dense"] = _summary(
        pair,
        times,
        accuracy_one=float(pair[1][1].score(X_test, y_test)),
        accuracy_two=float(pair[2][1].score(X_test, y_test)),
    )
    return results


def parallel_lines(x):
    """The markdown of case (x)."""
    mark = {True: "met", False: "**missed**"}

    def runs(r):
        return (
            f"runs {', '.join(f'{t:.2f}' for t in r['one_all_s'])} s against "
            f"{', '.join(f'{t:.2f}' for t in r['two_all_s'])} s"
        )

    h, hd = x["hogwild_sparse"], x["hogwild_dense"]
    rows = [
        (
            "full batch (L-BFGS, the default), 1,000,000 x 100 dense logistic, "
            f"{x['full_dense']['epochs']} epochs; coefficients equal bit for bit: {x['full_dense']['equal']}",
            x["full_dense"],
            1.7,
        ),
        (
            "full batch (L-BFGS) of case (h)'s CSR matrix, batch_size=None, "
            f"{x['full_sparse']['epochs']} epochs; coefficients equal bit for bit: {x['full_sparse']['equal']}",
            x["full_sparse"],
            1.7,
        ),
        (
            "mini-batch Adam, 65,536 rows a batch, 3 epochs, the dense rows; coefficients equal bit for bit: "
            f"{x['minibatch_dense']['equal']}",
            x["minibatch_dense"],
            None,
        ),
        (
            f"hash_texts, {x['hashing']['documents']:,} documents into 2**20 columns; the matrices equal: "
            f"{x['hashing']['equal']}",
            x["hashing"],
            1.7,
        ),
        (
            f"Hogwild!: case (h), 5 epochs of per-sample SGD on the CSR matrix; held-out accuracy "
            f"{h['accuracy_one']:.4f} on one thread, {h['accuracy_two']:.4f} on two",
            h,
            None,
        ),
        (
            f"Hogwild!: per-sample SGD, 3 epochs, the dense rows; held-out accuracy {hd['accuracy_one']:.4f} on one "
            f"thread, {hd['accuracy_two']:.4f} on two",
            hd,
            1.4,
        ),
        (
            "GDClassifier() at its defaults on case (h)'s CSR matrix (one pass of the normalized update, Hogwild! on "
            f"two); held-out accuracy {x['defaults_sparse']['accuracy_one']:.4f} and "
            f"{x['defaults_sparse']['accuracy_two']:.4f}",
            x["defaults_sparse"],
            None,
        ),
    ]
    lines = [
        "Every core (case x, `benchmarks/parallel_cases.py`): each fit at `n_jobs=1` and `n_jobs=2`, "
        "alternating, best of 3 (2 for the sparse full batch).",
        "",
        "| case | n_jobs=1 | n_jobs=2 | speed-up | target | |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, r, target in rows:
        verdict = "" if target is None else mark[r["speed_up"] >= target]
        lines.append(
            f"| {name} ({runs(r)}) | {r['one_s']:.3f} s | {r['two_s']:.3f} s | {r['speed_up']:.2f} "
            f"| {'' if target is None else f'>= {target}'} | {verdict} |"
        )
    within = abs(h["accuracy_two"] - h["sklearn_accuracy"]) <= 0.005
    lines += [
        f"| (h) on two threads against SGDClassifier ({', '.join(f'{t:.3f}' for t in h['sklearn_all_s'])} s) "
        f"| {h['one_s']:.3f} s ({h['ratio_one']:.2f}) | {h['two_s']:.3f} s | {h['ratio_two']:.2f} of "
        f"{h['sklearn_s']:.3f} s | <= 0.5 | {mark[h['ratio_two'] <= 0.5]} |",
        f"| (h) held-out accuracy on two threads against SGDClassifier's {h['sklearn_accuracy']:.4f} | | "
        f"{h['accuracy_two']:.4f} | {h['accuracy_two'] - h['sklearn_accuracy']:+.4f} | within 0.005 "
        f"| {mark[within]} |",
        "",
        "What bounds the speed-ups on this machine: a full batch's set-up runs on one thread (checking X and "
        "its moments, one pass; the curvature of a sample of 100,000 rows for the first step, by power "
        "iteration), and on the dense problem L-BFGS needs only 7 epochs, so the set-up is a third of the fit. "
        "The sparse full batch's products scale (X w on two threads in 0.55 to 0.6 of one thread's time, "
        "X'd less: its columns are read at random rows), but each of its 180 epochs also runs the L-BFGS "
        "direction and the line search over a million weights on one thread. Hashing converts the strings to "
        "Arrow on one thread first. Two cores here read memory at about 23 GB/s on one thread, 27 GB/s on "
        "two: passes over dense rows gain little from a third core or more unless the rows are in cache, "
        "and the random reads of sparse rows gain from more cores only as memory's latency, not its "
        "bandwidth, bounds them. The Hogwild! figures vary from run to run by the way the threads were "
        "scheduled: on case (h), held-out accuracies from 0.7793 to 0.7895 on two threads in this session's "
        "runs (one thread: 0.7861). One-vs-rest classes shared out to the threads (not timed here) give one "
        "thread's weights bit for bit.",
        "",
    ]
    return lines


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--json", action="store_true", help="print the results as one line of JSON")
    args = parser.parse_args()
    start = time.perf_counter()
    results = case_x()
    results["elapsed_s"] = time.perf_counter() - start
    if args.json:
        print(json.dumps(results))
    else:
        print("\n".join(parallel_lines(results)))


if __name__ == "__main__":
    main()
