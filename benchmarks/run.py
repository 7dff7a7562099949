"""descend against its peers, each case in the same run, figures into BENCHMARKS.md.

    env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/run.py [--write]

(a) per-sample SGD, 100,000, 300,000 and 1,000,000 x 100, squared loss + L2, invscaling, 5 epochs:
    vs SGDRegressor
(b) mini-batch Adam, batch 32, one epoch over 100,000 and 200,000 x 100: vs torch.optim.Adam on
    nn.Linear (one thread) and vs a plain NumPy loop
(c) full-batch squared loss to a relative objective gap of 1e-8: vs NumPy's normal equations
(d) extra peak memory of a fit beyond X and y, over X's size
(e) first fit in a fresh process, with the compile cache warm
(f) one streamed epoch over a 5,000,000 x 20 Parquet file (840 MB in memory): peak RSS, and
    throughput against pyarrow's raw read of the same file; and what the shuffle buffer does
    to convergence on a file sorted by its target
(g) Dask full-batch gradient steps on a LocalCluster of 1 and 2 worker processes, and a
    projection on paper to N machines
(s) the set-up of a fit (everything outside its epochs) for mini-batch Adam, batch 32, on
    100,000 x 100 with the default standardization, counted in passes over X
(k) minimize against a bare Python loop of the same fun and Adam.update (Rosenbrock, 10,000 steps),
    and the explorer's 10,000-step request end to end (benchmarks/minimize_cases.py)
(o) every optimizer: minimize against a bare loop of its update (Rosenbrock, 10,000 steps), and its compiled
    per-sample epoch on 1,000,000 x 100 against plain SGD's (benchmarks/optimizer_cases.py)
(h) the text corpus of benchmarks/text_cases.py (200,000 documents, Zipf vocabulary of 50,000 words, 65
    words each, 80/20 split): descend.text.hash_texts against HashingVectorizer (2**20 features,
    alternate_sign=False), then 5 epochs of per-sample SGD (log loss, alpha 1e-6, scikit-learn's
    "optimal" schedule) on the CSR matrix against SGDClassifier; held-out accuracies
(i) the same corpus end to end, strings to a trained model in one pass: hash_texts + one epoch of
    per-sample AdaGrad (rate 1) against Vowpal Wabbit (logistic loss, -b 20, its adaptive defaults)
(j) extra peak memory of fits on that CSR matrix over its size
(q) quantile regression (q = 0.9) on 20,000 x 20 against QuantileRegressor's linear program (HiGHS), and
    descend alone on 1,000,000 x 20 (benchmarks/loss_cases.py)
(p) Poisson regression on 1,000,000 x 50 against PoissonRegressor (lbfgs) to a relative objective gap of 1e-6
(v) every optimizer name at defaults on Default, standardized iris and Boston: the objective's gap
    to the exact optimum (L-BFGS), epochs, time, warnings; beside scikit-learn's SGD at its defaults
(w) online learning from a Vowpal Wabbit file: descend learn against Vowpal Wabbit and river, one pass,
    rows per second, the progressive log loss, held-out accuracy, peak memory (benchmarks/online_cases.py)
(u) what a user types: estimators as typed, at their defaults, on sparse text (classification, regression)
    and dense data, beside scikit-learn's defaults and Vowpal Wabbit, each fit bounded to 60 s; and what
    standardize=True costs an epoch, per-sample and mini-batch, dense and CSR (benchmarks/user_cases.py)
(x) every core: the full batch, mini-batches, Hogwild! (case h again) and hashing at n_jobs=1 and 2, with the
    speed-ups and whether the results are equal bit for bit (benchmarks/parallel_cases.py)
(y) start-up: descend --help and descend fit --help as whole processes, beside the interpreter's own start
    and scikit-learn's import (benchmarks/startup_cases.py)

Each timing is the best of a few repeats (the machine is shared); the ratio
is descend's time over the peer's. Nothing here is asserted in the tests.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import textwrap
import time
import warnings
from pathlib import Path

import numpy as np
import startup_cases
from loss_cases import case_p, case_q, loss_lines
from online_cases import online_lines
from parallel_cases import parallel_lines
from timing import best_of
from user_cases import user_lines

ROOT = Path(__file__).resolve().parent.parent
TARGETS = {
    "a": 0.30,
    "b": 0.04,
    "c": 2.0,
    "d": 0.2,
    "e": 2.0,
    "f_rss_mb": 400,
    "f_throughput": 0.5,
    "h_hashing": 0.2,
    "h_fit": 0.5,
    "accuracy": 0.005,
    "j": 0.3,
}
SIZES_A = (100_000, 300_000, 1_000_000)
SIZES_B = (100_000, 200_000)


def linear_data(n, p, seed=0, dtype=np.float64):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, p)).astype(dtype)
    w = rng.standard_normal(p)
    y = (X @ w + 0.5 + 0.1 * rng.standard_normal(n)).astype(dtype)
    return X, y


def case_a():
    return {"by_rows": {n: _case_a(n) for n in SIZES_A}}


def _case_a(n):
    from sklearn.linear_model import SGDRegressor

    from descend import GDRegressor

    X, y = linear_data(n, 100)
    ours = GDRegressor(
        optimizer="sgd",
        learning_rate=0.01,
        schedule="invscaling",
        batch_size=1,
        max_iter=5,
        tol=None,
        penalty="l2",
        alpha=1e-6,
        shuffle=True,
        random_state=0,
        standardize=False,
    )
    theirs = SGDRegressor(
        loss="squared_error",
        learning_rate="invscaling",
        eta0=0.01,
        power_t=0.25,
        max_iter=5,
        tol=None,
        penalty="l2",
        alpha=1e-6,
        shuffle=True,
        random_state=0,
    )
    ours.fit(X[:1000], y[:1000])  # compile (or load the cache) outside the timing
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        t_theirs, _ = best_of(2, lambda: theirs.fit(X, y))
    t_ours, _ = best_of(3, lambda: ours.fit(X, y))
    mse_ours = float(np.mean((ours.predict(X) - y) ** 2))
    mse_theirs = float(np.mean((theirs.predict(X) - y) ** 2))
    return {
        "descend_s": t_ours,
        "sklearn_s": t_theirs,
        "ratio": t_ours / t_theirs,
        "mse_descend": mse_ours,
        "mse_sklearn": mse_theirs,
        "mse_rel_diff": abs(mse_ours / mse_theirs - 1),
    }


def numpy_minibatch_adam(X, y, lr, batch, seed=0):
    """The seed tutorial's way: a Python loop over shuffled mini-batches, Adam in NumPy."""
    rng = np.random.default_rng(seed)
    n, p = X.shape
    w, b = np.zeros(p), 0.0
    m_w, v_w, m_b, v_b = np.zeros(p), np.zeros(p), 0.0, 0.0
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    order = rng.permutation(n)
    for t, start in enumerate(range(0, n, batch), start=1):
        rows = order[start : start + batch]
        error = X[rows] @ w + b - y[rows]
        g_w, g_b = X[rows].T @ error / len(rows), error.mean()
        m_w = beta1 * m_w + (1 - beta1) * g_w
        v_w = beta2 * v_w + (1 - beta2) * g_w**2
        m_b = beta1 * m_b + (1 - beta1) * g_b
        v_b = beta2 * v_b + (1 - beta2) * g_b**2
        w -= lr * (m_w / (1 - beta1**t)) / (np.sqrt(v_w / (1 - beta2**t)) + eps)
        b -= lr * (m_b / (1 - beta1**t)) / (np.sqrt(v_b / (1 - beta2**t)) + eps)
    return w, b


def case_b():
    return {"by_rows": {n: _case_b(n) for n in SIZES_B}}


def _case_b(n):
    import torch

    from descend import GDRegressor

    X, y = linear_data(n, 100, seed=1)
    lr, batch = 0.01, 32
    ours = GDRegressor(
        optimizer="adam",
        learning_rate=lr,
        batch_size=batch,
        max_iter=1,
        tol=None,
        penalty=None,
        random_state=0,
        standardize=False,
    )
    ours.fit(X[:1000], y[:1000])
    t_ours, _ = best_of(3, lambda: ours.fit(X, y))

    torch.set_num_threads(1)
    Xt, yt = torch.from_numpy(X.astype(np.float32)), torch.from_numpy(y.astype(np.float32))

    def torch_epoch():
        torch.manual_seed(0)
        model = torch.nn.Linear(100, 1)
        opt = torch.optim.Adam(model.parameters(), lr=lr)
        order = torch.randperm(len(Xt))
        for start in range(0, len(Xt), batch):
            rows = order[start : start + batch]
            opt.zero_grad()
            loss = 0.5 * ((model(Xt[rows]).squeeze(1) - yt[rows]) ** 2).mean()
            loss.backward()
            opt.step()
        return model

    t_torch, _ = best_of(2, torch_epoch)
    t_numpy, _ = best_of(2, lambda: numpy_minibatch_adam(X, y, lr, batch))
    return {
        "descend_s": t_ours,
        "torch_s": t_torch,
        "numpy_loop_s": t_numpy,
        "ratio_torch": t_ours / t_torch,
        "ratio_numpy_loop": t_ours / t_numpy,
        "torch_version": torch.__version__,
    }


def case_s():
    """Set-up = 2 t(1 epoch) - t(2 epochs), against the one pass over X a fit makes before its
    epochs (its summary: finiteness and column moments) and a plain read of X (a column sum)."""
    from descend import GDRegressor
    from descend._engine.stats import summarize

    X, y = linear_data(100_000, 100, seed=2)
    settings = dict(optimizer="adam", learning_rate=0.01, batch_size=32, tol=None, penalty=None, random_state=0)
    GDRegressor(max_iter=1, **settings).fit(X[:1000], y[:1000])
    one, two = [], []
    for _ in range(7):  # alternating, so that a slow moment of the machine hits both
        one.append(best_of(1, lambda: GDRegressor(max_iter=1, **settings).fit(X, y))[0])
        two.append(best_of(1, lambda: GDRegressor(max_iter=2, **settings).fit(X, y))[0])
    t1, t2 = min(one), min(two)
    summary, _ = best_of(7, lambda: summarize(X, np.empty(0), np.arange(len(X))))
    read, _ = best_of(7, lambda: np.add.reduce(X, axis=0))
    setup = 2 * t1 - t2
    return {
        "fit_1_epoch_s": t1,
        "epoch_s": t2 - t1,
        "setup_s": setup,
        "summary_pass_s": summary,
        "one_read_s": read,
        "fixed_s": setup - summary,
    }


def case_v():
    """Default fits against the exact optimum of the same objective (tests/acceptance/test_default_fits.py
    computes it by L-BFGS, and defines the data and the objective)."""
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import SGDClassifier, SGDRegressor
    from sklearn.preprocessing import StandardScaler

    from descend import GDClassifier, GDRegressor
    from descend.optimizers import OPTIMIZER_NAMES

    sys.path.insert(0, str(ROOT / "tests" / "acceptance"))
    from test_default_fits import DATA, exact_optimum, objective

    def fit(model, X, y):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            start = time.perf_counter()
            model.fit(X, y)
            seconds = time.perf_counter() - start
        return seconds, any(issubclass(w.category, ConvergenceWarning) for w in caught)

    def gap(kind, X, y, model, best):
        coef = model.coef_[0] if kind == "binary" else model.coef_
        intercept = model.intercept_ if kind == "multiclass" else model.intercept_[0]
        return (objective(kind, X, y, coef, intercept) - best) / abs(best)

    rows = []
    for name, make in DATA.items():
        kind, X, y = make()
        best = exact_optimum(kind, X, y)
        Model = GDRegressor if kind == "regression" else GDClassifier
        for optimizer in OPTIMIZER_NAMES:
            fit(Model(optimizer=optimizer, max_iter=2), X, y)  # compile or load the cache first
            seconds, warned = fit(model := Model(optimizer=optimizer), X, y)
            rows.append([name, optimizer, gap(kind, X, y, model, best), model.n_iter_, seconds, warned])
        peer = SGDRegressor(random_state=0) if kind == "regression" else SGDClassifier(loss="log_loss", random_state=0)
        seconds, warned = fit(peer, X, y)
        rows.append([name, "scikit-learn SGD", gap(kind, X, y, peer, best), int(peer.n_iter_), seconds, warned])
        Z = StandardScaler().fit_transform(X)
        seconds, warned = fit(peer, Z, y)
        rows.append(
            [
                name,
                "scikit-learn SGD, standardized",
                gap(kind, Z, y, peer, exact_optimum(kind, Z, y)),
                int(peer.n_iter_),
                seconds,
                warned,
            ]
        )
    return {"rows": rows}


def case_u():
    """benchmarks/user_cases.py in a process of its own: it forks a child for each fit, and a fork after
    Numba's OpenMP threads have started (cases h and i start them in this process) may hang."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "user_cases.py"), "--json", "--limit", "120"],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )  # its progress passes through stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def case_w():
    """benchmarks/online_cases.py in a process of its own (it starts its learners as processes)."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "online_cases.py"), "--json"],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def case_x():
    """benchmarks/parallel_cases.py in a process of its own: its threads start after nothing else's."""
    out = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "parallel_cases.py"), "--json"],
        stdout=subprocess.PIPE,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def case_y():
    """benchmarks/startup_cases.py: whole processes, timed from outside."""
    return startup_cases.case_y()


def _text_lines(h, i, j):
    mark = {True: "met", False: "**missed**"}
    hashing, vw = h["hashing"], i["vw"]
    within_sklearn = abs(h["descend_accuracy"] - h["sklearn_accuracy"]) <= TARGETS["accuracy"]
    within_vw = abs(i["descend_accuracy"] - vw["vw_accuracy"]) <= TARGETS["accuracy"]
    return [
        f"Sparse text (issue 14): the corpus of `benchmarks/text_cases.py`, {hashing['documents']:,} documents "
        f"({hashing['MB']} MB of text), {h['nnz_train']:,} non-zeros in the 160,000 training rows; the hidden "
        f"rule that made the labels scores {h['rule_accuracy']:.4f} on the 40,000 held-out documents.",
        "",
        "| case | descend | peer | ratio | target | |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| (h) hashing 200,000 documents into 2**20 columns (n_jobs=-1, a list of str; from an Arrow array "
        f"{hashing['descend_arrow_s']:.3f} s, on one thread {hashing['descend_1_thread_s']:.3f} s); the matrices "
        f"equal entry for entry: {hashing['equal']} | {hashing['descend_s']:.3f} s | HashingVectorizer "
        f"{hashing['sklearn_s']:.2f} s | {hashing['ratio']:.3f} | <= 0.2 | {mark[hashing['ratio'] <= 0.2]} |",
        f"| (h) 5 epochs of per-sample SGD on the CSR matrix, log loss, alpha 1e-6, 'optimal' schedule (runs: "
        f"{', '.join(f'{t:.3f}' for t in h['descend_fit_all_s'])} s against "
        f"{', '.join(f'{t:.3f}' for t in h['sklearn_fit_all_s'])} s) | {h['descend_fit_s']:.3f} s | SGDClassifier "
        f"{h['sklearn_fit_s']:.3f} s | {h['fit_ratio']:.2f} | <= 0.5 | {mark[h['fit_ratio'] <= 0.5]} |",
        f"| (h) held-out accuracy | {h['descend_accuracy']:.4f} | {h['sklearn_accuracy']:.4f} "
        f"| {h['descend_accuracy'] - h['sklearn_accuracy']:+.4f} | within 0.005 | {mark[within_sklearn]} |",
        f"| (i) strings to a model in one pass over 160,000 documents: hash_texts (n_jobs=-1) + per-sample AdaGrad "
        f"(rate 1), "
        f"{i['descend_s']:.3f} s | {i['descend_documents_per_s']:,.0f} documents/s | Vowpal Wabbit {vw['version']} "
        f"{vw['vw_documents_per_s']:,} documents/s ({vw['vw_s']:.2f} s) | {i['documents_per_s_ratio']:.2f} "
        f"| > 1 | {mark[i['documents_per_s_ratio'] > 1]} |",
        f"| (i) held-out accuracy | {i['descend_accuracy']:.4f} | {vw['vw_accuracy']:.4f} "
        f"| {i['descend_accuracy'] - vw['vw_accuracy']:+.4f} | within 0.005 | {mark[within_vw]} |",
        *[
            f"| (j) extra peak memory over the CSR matrix ({j['csr_mb']:.0f} MB): {name} | | | {value:.4f} | < 0.3 "
            f"| {mark[value < TARGETS['j']]} |"
            for name, value in j["ratio_by_fit"].items()
        ],
        "",
        f"The epochs of (h) are bound by memory: five epochs of a bare Numba loop over the same rows, from zero "
        f"weights and shuffled anew each epoch (the dot product, the derivative and the update; no loss value, "
        f"no weights, no penalty, no set-up; rows prefetched), take {h['bare_fit_s']:.3f} s, "
        f"{h['bare_fit_ratio']:.2f} of scikit-learn's fit (runs: "
        f"{', '.join(f'{t:.3f}' for t in h['bare_fit_all_s'])} s, alternating with the fits above). The target "
        "of 0.5 asks for a fit about as fast as that bare loop. (j) counts resident memory: the 2**20 weights "
        "are allocated, but only the pages of the columns the documents touch are ever written.",
        "",
    ]


def _default_fit_lines(v):
    lines = [
        "Every optimizer at its defaults (issue 12): the final objective's gap to the exact optimum of the same "
        "objective (mean loss + 1e-4/2 |w|^2, found by L-BFGS), relative; the epochs; the time of the fit "
        "(the rate search of adaptive optimizers included); whether a ConvergenceWarning said the fit stopped "
        "short. scikit-learn's SGDClassifier(loss='log_loss') / SGDRegressor at their defaults minimize the "
        "same objective; on standardized features (their own advice) the gap is to that problem's optimum.",
        "",
        "| data | optimizer | gap | epochs | time | warned |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for name, optimizer, gap, epochs, seconds, warned in v["rows"]:
        lines.append(
            f"| {name} | {optimizer} | {gap:.1e} | {epochs} | {seconds * 1000:.0f} ms | {'yes' if warned else ''} |"
        )
    return lines + [""]


def case_o():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from optimizer_cases import case_o as every_optimizer

    return every_optimizer()


def _optimizer_lines(o, mark):
    """Case (o): every optimizer's cost, in minimize and in the compiled per-sample step."""
    slowest = max(o["minimize"].items(), key=lambda item: item[1]["ratio"])
    lines = [
        "## Every optimizer (issue 24)",
        "",
        "`benchmarks/optimizer_cases.py`: `minimize` against a bare loop of the same `fun` and `update`, "
        "10,000 steps on Rosenbrock at a rate of 1e-4 (`tol=None`), microseconds a step; and one compiled "
        "per-sample epoch of `GDRegressor(optimizer=name, batch_size=1)` on 1,000,000 x 100 against plain "
        "SGD's. Muon steps the 2-vector as a 1 x 2 matrix in `minimize` and refuses one row a step; L-BFGS "
        "(up to 20 iterations a step) is in neither.",
        "",
        "| optimizer | minimize (us a step) | bare loop (us a step) | ratio | target | | per-sample epoch (s) "
        "| over SGD's |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
    ]
    for name, figure in o["minimize"].items():
        epoch = o["per_sample"].get(name)
        lines.append(
            f"| {name} | {figure['minimize_us']:.2f} | {figure['bare_loop_us']:.2f} | {figure['ratio']:.2f} "
            f"| <= 1.5 | {mark[figure['ratio'] <= 1.5]} | {epoch['epoch_s'] if epoch else '-'} "
            f"| {epoch['over_sgd'] if epoch else '-'} |"
        )
    vw = o["vw_same_rows"]
    lines += [
        "",
        f"The highest ratio: {slowest[0]}, {slowest[1]['ratio']:.2f}.",
        "",
        f"Vowpal Wabbit's default update on the same hashed rows (case (u)'s text, counts, one pass over "
        f"{vw['train_rows']:,} rows in order): descend's `optimizer='normalized'` held-out accuracy "
        f"{vw['descend_accuracy']:.4f} in {vw['descend_s']:.2f} s, Vowpal Wabbit's {vw['vw_accuracy']:.4f} in "
        f"{vw['vw_s']:.2f} s (parsing its text lines included).",
        "",
    ]
    return lines


def case_k():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from minimize_cases import case_explorer
    from minimize_cases import case_k as minimize_against_loop

    return {"minimize": minimize_against_loop(), "explorer": case_explorer()}


TEXT = {
    "loss": "log_loss",
    "optimizer": "sgd",
    "alpha": 1e-6,
    "batch_size": 1,
    "standardize": False,
    "tol": None,
    "random_state": 0,
}
SGD_5_EPOCHS = dict(TEXT, schedule="optimal", max_iter=5)
ADAGRAD_1_PASS = dict(TEXT, optimizer="adagrad", learning_rate=1.0, max_iter=1)


def _corpus():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from text_cases import N_FEATURES, N_TRAIN, make_corpus

    documents, labels, rule = make_corpus(with_rule=True)
    return {"documents": documents, "labels": labels, "rule": rule, "n_train": N_TRAIN, "n_features": N_FEATURES}


def _bare_sparse_epoch():
    """A floor for (h): one epoch of per-sample logistic SGD over shuffled CSR rows with nothing but the
    dot product, the derivative and the update (no loss value, no weights, no penalty), rows
    prefetched as the engine does."""
    from numba import njit

    from descend._engine.prefetch import prefetch_csr_ahead

    @njit(fastmath=True)
    def epoch(indptr, indices, values, y, order, theta, lr):
        p, n = theta.shape[0] - 1, order.shape[0]
        for r in range(n):
            prefetch_csr_ahead(indptr, indices, values, order, r)
            i = order[r]
            dot = theta[p]
            for k in range(indptr[i], indptr[i + 1]):
                dot += theta[indices[k]] * values[k]
            d = -y[i] / (1.0 + np.exp(y[i] * dot))
            for k in range(indptr[i], indptr[i + 1]):
                theta[indices[k]] -= lr * d * values[k]
            theta[p] -= 0.01 * lr * d

    return epoch


def case_h(corpus):
    """Hashing (text_cases.case_hashing), then the 5-epoch fits on the training rows' CSR matrix."""
    from sklearn.linear_model import SGDClassifier
    from text_cases import case_hashing

    from descend import GDClassifier
    from descend.text import hash_texts

    hashing = case_hashing((corpus["documents"], corpus["labels"]))
    n, labels = corpus["n_train"], corpus["labels"]
    X = hash_texts(corpus["documents"], corpus["n_features"], alternate_sign=False)
    X_train, X_test, y_train, y_test = X[:n], X[n:], labels[:n], labels[n:]
    GDClassifier(**SGD_5_EPOCHS).fit(X_train[:1000], y_train[:1000])  # compile / load the cache
    bare, signs, shuffle = _bare_sparse_epoch(), 2.0 * y_train - 1.0, np.random.default_rng(0)
    bare(X_train.indptr, X_train.indices, X_train.data, signs, np.arange(10), np.zeros(X.shape[1] + 1), 0.1)

    def bare_fit():  # what the fit's epochs cost at the least: five bare epochs from zero, each shuffled anew
        theta = np.zeros(X.shape[1] + 1)
        for epoch in range(5):
            bare(X_train.indptr, X_train.indices, X_train.data, signs, shuffle.permutation(n), theta, 1 / (1 + epoch))

    ours, theirs, floor = [], [], []
    for _ in range(3):  # alternating, so that a slow moment of the machine hits all three
        ours.append(best_of(1, lambda: GDClassifier(**SGD_5_EPOCHS).fit(X_train, y_train)))
        theirs.append(
            best_of(
                1,
                lambda: SGDClassifier(loss="log_loss", alpha=1e-6, max_iter=5, tol=None, random_state=0).fit(
                    X_train, y_train
                ),
            )
        )
        floor.append(best_of(1, bare_fit)[0])
    (t_ours, model), (t_theirs, peer) = min(ours, key=lambda r: r[0]), min(theirs, key=lambda r: r[0])
    return {
        "hashing": hashing,
        "nnz_train": int(X_train.nnz),
        "descend_fit_s": t_ours,
        "sklearn_fit_s": t_theirs,
        "fit_ratio": t_ours / t_theirs,
        "bare_fit_s": min(floor),
        "bare_fit_ratio": min(floor) / t_theirs,
        "bare_fit_all_s": floor,
        "descend_fit_all_s": [r[0] for r in ours],
        "sklearn_fit_all_s": [r[0] for r in theirs],
        "descend_accuracy": float(model.score(X_test, y_test)),
        "sklearn_accuracy": float(peer.score(X_test, y_test)),
        "rule_accuracy": float(np.mean(corpus["rule"][n:] == y_test)),
    }


def case_i(corpus):
    """Strings to a trained model, one pass: descend (hash_texts, then one epoch of per-sample AdaGrad)
    against Vowpal Wabbit (text_cases.vowpal_wabbit_peer, strings in)."""
    from text_cases import vowpal_wabbit_peer

    from descend import GDClassifier
    from descend.text import hash_texts

    documents, labels, n = corpus["documents"], corpus["labels"], corpus["n_train"]
    train, y_train = documents[:n], labels[:n]
    X_test = hash_texts(documents[n:], corpus["n_features"], alternate_sign=False)
    GDClassifier(**ADAGRAD_1_PASS).fit(X_test[:1000], labels[n : n + 1000])  # compile / load the cache

    def end_to_end():
        return GDClassifier(**ADAGRAD_1_PASS).fit(
            hash_texts(train, corpus["n_features"], alternate_sign=False, n_jobs=-1), y_train
        )

    peer = vowpal_wabbit_peer((documents, labels, corpus["rule"]))
    seconds, model = best_of(3, end_to_end)
    return {
        "vw": peer,
        "descend_s": seconds,
        "descend_documents_per_s": n / seconds,
        "descend_accuracy": float(model.score(X_test, labels[n:])),
        "documents_per_s_ratio": (n / seconds) / peer["vw_documents_per_s"],
    }


SPARSE_MEMORY_PROBE = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[2])
    import numpy as np
    from descend import GDClassifier
    from timing import peak_added_by
    from descend.text import hash_texts
    from text_cases import N_FEATURES, N_TRAIN, make_corpus
    settings = json.loads(sys.argv[1])
    documents, labels = make_corpus()
    X = hash_texts(documents[:N_TRAIN], N_FEATURES, alternate_sign=False)
    y = labels[:N_TRAIN]
    del documents
    GDClassifier(**settings).fit(X[:1000], y[:1000])   # compile / load the cache first
    extra = peak_added_by(lambda: GDClassifier(**settings).fit(X, y))
    csr_bytes = X.data.nbytes + X.indices.nbytes + X.indptr.nbytes
    print(json.dumps({"extra": extra, "csr_bytes": csr_bytes}))
""")


def case_j():
    runs = {
        "per-sample SGD, 5 epochs (h)": SGD_5_EPOCHS,
        "per-sample AdaGrad, 1 epoch (i)": ADAGRAD_1_PASS,
        "mini-batch Adam, batch 32, 1 epoch": dict(
            TEXT, optimizer="adam", learning_rate=0.01, batch_size=32, max_iter=1
        ),
    }
    results, csr_mb = {}, None
    for name, settings in runs.items():
        out = subprocess.run(
            [sys.executable, "-c", SPARSE_MEMORY_PROBE, json.dumps(settings), str(ROOT / "benchmarks")],
            capture_output=True,
            text=True,
            check=True,
        )
        probe = json.loads(out.stdout.strip().splitlines()[-1])
        results[name] = probe["extra"] / probe["csr_bytes"]
        csr_mb = probe["csr_bytes"] / 1e6
    return {"ratio_by_fit": results, "ratio": max(results.values()), "csr_mb": csr_mb}


def case_c():
    from descend import GDRegressor

    X, y = linear_data(1_000_000, 100, seed=2)
    X *= np.linspace(0.5, 3.0, 100)  # some spread of scales, as real features have

    def normal_equations():
        return np.linalg.solve(X.T @ X, X.T @ y)

    t_exact, w_exact = best_of(3, normal_equations)
    f_star = 0.5 * np.mean((X @ w_exact - y) ** 2)
    model = GDRegressor(penalty=None, fit_intercept=False, tol=1e-13, n_iter_no_change=3, max_iter=10_000)
    model.fit(X[:2000], y[:2000])
    t_ours, _ = best_of(3, lambda: model.fit(X, y))
    f = 0.5 * np.mean((X @ model.coef_ - y) ** 2)
    return {
        "descend_s": t_ours,
        "normal_equations_s": t_exact,
        "ratio": t_ours / t_exact,
        "relative_gap": float((f - f_star) / f_star),
        "epochs": model.n_iter_,
    }


MEMORY_PROBE = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[2])
    import numpy as np
    from descend import GDRegressor
    from timing import peak_added_by
    settings = json.loads(sys.argv[1])
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1_000_000, 100))
    y = X @ rng.standard_normal(100) + 0.1 * rng.standard_normal(1_000_000)
    GDRegressor(**settings).fit(X[:1000], y[:1000])   # compile / load the cache first
    extra = peak_added_by(lambda: GDRegressor(**settings).fit(X, y))
    print(json.dumps({"extra": extra, "x_bytes": X.nbytes}))
""")


def case_d():
    runs = {
        "per-sample SGD": dict(batch_size=1, max_iter=1, tol=None, learning_rate=0.01, schedule="invscaling"),
        "mini-batch Adam + early stopping": dict(
            optimizer="adam", batch_size=32, max_iter=1, tol=None, early_stopping=True
        ),
        "full batch (Gram)": dict(max_iter=50, tol=None),
        "full batch, huber (row passes)": dict(loss="huber", max_iter=3, tol=None),
    }
    results = {}
    for name, settings in runs.items():
        out = subprocess.run(
            [sys.executable, "-c", MEMORY_PROBE, json.dumps(settings), str(ROOT / "benchmarks")],
            capture_output=True,
            text=True,
            check=True,
        )
        probe = json.loads(out.stdout.strip().splitlines()[-1])
        results[name] = probe["extra"] / probe["x_bytes"]
    return {"ratio_by_fit": results, "ratio": max(results.values())}


FIRST_FIT = textwrap.dedent("""
    import time
    start = time.perf_counter()
    import numpy as np
    import descend
    rng = np.random.default_rng(0)
    X = rng.standard_normal((1000, 5)); y = X.sum(axis=1)
    descend.GDRegressor().fit(X, y)
    descend.GDClassifier(batch_size=32, optimizer="adam").fit(X, y > 0)
    print(time.perf_counter() - start)
""")


def case_e():
    times = []
    for _ in range(3):  # the first run may fill the cache; the later ones find it warm
        out = subprocess.run([sys.executable, "-c", FIRST_FIT], capture_output=True, text=True, check=True)
        times.append(float(out.stdout.strip()))
    return {"first_run_s": times[0], "warm_cache_s": min(times[1:]), "ratio": min(times[1:])}


STREAM_PROBE = textwrap.dedent("""
    import json, sys, time
    import numpy as np
    from descend import GDRegressor
    from descend.readers.stream import TableStream
    model = GDRegressor(optimizer="sgd", learning_rate=0.001, batch_size=32, max_iter=1, tol=None,
                        random_state=0, standardize=False)
    model.fit(np.zeros((1000, 20)), np.zeros(1000))  # load the compiled loop first
    source = TableStream(sys.argv[1], "y", chunk_rows=65_536, buffer_rows=65_536)
    status = lambda key: [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key)][0] * 1024
    before = status("VmRSS")
    start, cpu = time.perf_counter(), time.process_time()
    model.fit(source)
    seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
    print(json.dumps({"seconds": seconds, "cpu": cpu, "peak_rss": status("VmHWM"), "rss_before": before,
                      "rows": model.rows_seen_}))
""")


def _write_parquet(path, n_rows, n_features, group_rows, *, sort_by_target=False, seed=0):
    import pyarrow as pa
    import pyarrow.parquet as pq

    rng = np.random.default_rng(seed)
    w = rng.standard_normal(n_features)
    names = [f"x{i}" for i in range(n_features)]
    schema = pa.schema([(n, pa.float64()) for n in names] + [("y", pa.float64())])
    X = y = None
    if sort_by_target:  # small enough to sort in memory
        X = rng.standard_normal((n_rows, n_features))
        y = X @ w + 0.1 * rng.standard_normal(n_rows)
        order = np.argsort(y)
        X, y = X[order], y[order]
    with pq.ParquetWriter(path, schema) as writer:
        for start in range(0, n_rows, group_rows):
            if sort_by_target:
                Xg, yg = X[start : start + group_rows], y[start : start + group_rows]
            else:
                Xg = rng.standard_normal((min(group_rows, n_rows - start), n_features))
                yg = Xg @ w + 0.1 * rng.standard_normal(len(Xg))
            writer.write_table(pa.table({**{n: Xg[:, i] for i, n in enumerate(names)}, "y": yg}, schema=schema))
    return w


RUNS_F = 5  # raw reads and streamed epochs, alternating: this machine is shared and noisy
RUNS_FILES = 3  # the same for each file through the CLI (each run reads the file twice: the epoch, the metrics)

# `descend fit FILE --target y --stream --epochs 1` as a user runs it, in a process of its own, with the
# epoch timed (ChunkSource.epoch wrapped: the only addition) and the whole process's peak resident memory.
CLI_PROBE = textwrap.dedent("""
    import json, sys, time
    from descend.linear import _sources
    epoch, times = _sources.ChunkSource.epoch, []
    def timed(self, *args):
        start = time.perf_counter()
        result = epoch(self, *args)
        times.append(time.perf_counter() - start)
        return result
    _sources.ChunkSource.epoch = timed
    sys.argv = ["descend", "fit", sys.argv[1], "--target", "y", "--stream", "--epochs", "1", "--out", sys.argv[2]]
    from descend.cli import main
    try:
        main()
    except SystemExit as stop:
        if stop.code:
            raise
    status = lambda key: [int(line.split()[1]) for line in open("/proc/self/status") if line.startswith(key)][0]
    print(json.dumps({"epoch_s": times[0], "peak_rss_mb": status("VmHWM") / 1024}))
""")


def _raw_parquet(path):
    """pyarrow's own streaming read of a Parquet file, as a user would write it: iter_batches with its
    defaults (batches of 65,536 rows, Arrow's threads), each column to NumPy."""
    import pyarrow.parquet as pq

    for batch in pq.ParquetFile(path).iter_batches():
        [column.to_numpy() for column in batch.columns]


def _raw_csv(path):
    """pyarrow's streaming CSV reader alone (open_csv, its defaults), each column to NumPy."""
    import pyarrow.csv as pcsv

    for batch in pcsv.open_csv(path):
        [column.to_numpy() for column in batch.columns]


def _files_f(folder):
    """The files of (f) as users write them: pandas' defaults (row groups of 1,048,576 rows), 250,000- and
    100,000-row groups (5,000,000 x 20 each), 500,000 x 400 in 2 groups, and the 5,000,000 x 20 as CSV."""
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    files = {
        "100k": Path(folder) / "groups-100k.parquet",
        "250k": Path(folder) / "groups-250k.parquet",
        "pandas": Path(folder) / "pandas-default.parquet",
        "wide": Path(folder) / "wide.parquet",
        "csv": Path(folder) / "table.csv",
    }
    _write_parquet(files["100k"], 5_000_000, 20, 100_000)
    _write_parquet(files["250k"], 5_000_000, 20, 250_000)
    table = pq.read_table(files["100k"])
    frame = table.to_pandas()
    frame.to_parquet(files["pandas"])
    pcsv.write_csv(table, files["csv"])
    del table, frame
    _write_parquet(files["wide"], 500_000, 400, 250_000)
    return files


def _cli_epochs(files):
    """Each file through the CLI, alternating with pyarrow's own read of it (best of RUNS_FILES each)."""
    results = {}
    for key, path in files.items():
        raw = _raw_csv if key == "csv" else _raw_parquet
        raw_times, runs = [], []
        for _ in range(RUNS_FILES):
            start = time.perf_counter()
            raw(path)
            raw_times.append(time.perf_counter() - start)
            out = subprocess.run(
                [sys.executable, "-c", CLI_PROBE, str(path), str(path.with_suffix(".json"))],
                capture_output=True,
                text=True,
                check=True,
                env={**os.environ, "COLUMNS": "250"},
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
            notice = next((line for line in out.stdout.splitlines() if line.startswith("notice: memory")), "")
        best = min(r["epoch_s"] for r in runs)
        results[key] = {
            "rows": 500_000 if key == "wide" else 5_000_000,
            "file_mb": path.stat().st_size / 1e6,
            "raw_s": min(raw_times),
            "raw_all_s": raw_times,
            "epoch_s": best,
            "epoch_all_s": [r["epoch_s"] for r in runs],
            "peak_rss_mb": max(r["peak_rss_mb"] for r in runs),
            "peak_rss_all_mb": [r["peak_rss_mb"] for r in runs],
            "throughput_ratio": min(raw_times) / best,
            "plan": notice,
        }
    return results


def case_f():
    import tempfile

    import pyarrow.parquet as pq

    from descend import GDRegressor
    from descend.readers.stream import TableStream

    results = {}
    # About 7 GB of files: DESCEND_BENCH_DIR says where, if not here.
    with tempfile.TemporaryDirectory(dir=os.environ.get("DESCEND_BENCH_DIR", ROOT)) as folder:
        big = Path(folder) / "big.parquet"
        _write_parquet(big, 5_000_000, 20, 100_000)

        def raw_read():
            file = pq.ParquetFile(big)
            for group in range(file.num_row_groups):
                [column.to_numpy() for column in file.read_row_group(group).columns]

        # Each stream run in a fresh process (its peak memory is the process's own), alternating
        # with raw reads, so that both meet the same moments of this shared machine.
        raw_read()
        raw_times, raw_cpu, runs = [], [], []
        for _ in range(RUNS_F):
            cpu = time.process_time()
            raw_times.append(best_of(1, raw_read)[0])
            raw_cpu.append(time.process_time() - cpu)
            out = subprocess.run(
                [sys.executable, "-c", STREAM_PROBE, str(big)], capture_output=True, text=True, check=True
            )
            runs.append(json.loads(out.stdout.strip().splitlines()[-1]))
        best = min(runs, key=lambda r: r["seconds"])
        t_raw = min(raw_times)
        results.update({"raw_read_cpu_s": raw_cpu[raw_times.index(t_raw)], "stream_epoch_cpu_s": best["cpu"]})
        results.update(
            {
                "in_memory_mb": 5_000_000 * 21 * 8 / 1e6,
                "raw_read_s": t_raw,
                "raw_read_all_s": raw_times,
                "stream_epoch_s": best["seconds"],
                "stream_epoch_all_s": [r["seconds"] for r in runs],
                "peak_rss_mb": max(r["peak_rss"] for r in runs) / 2**20,
                "rss_before_mb": best["rss_before"] / 2**20,
                "throughput_ratio": t_raw / best["seconds"],
            }
        )

        # The shuffle buffer on a file sorted by its target: one epoch, per-sample SGD.
        sorted_file = Path(folder) / "sorted.parquet"
        _write_parquet(sorted_file, 200_000, 10, 10_000, sort_by_target=True, seed=1)
        table = pq.read_table(sorted_file)
        X_all = np.column_stack([table.column(f"x{i}").to_numpy() for i in range(10)])
        y_all = table.column("y").to_numpy()
        settings = dict(learning_rate=0.01, batch_size=1, max_iter=1, tol=None, random_state=0)
        effect = {}
        for label, buffer in (("row groups only", 0), ("buffer 10,000", 10_000), ("buffer 100,000", 100_000)):
            model = GDRegressor(**settings).fit(TableStream(sorted_file, "y", chunk_rows=10_000, buffer_rows=buffer))
            effect[label] = float(np.mean((model.predict(X_all) - y_all) ** 2))
        model = GDRegressor(**settings).fit(X_all, y_all)
        effect["full shuffle in memory"] = float(np.mean((model.predict(X_all) - y_all) ** 2))
        results["buffer_effect_mse"] = effect

        # The files (16), each through the CLI at the default memory budget.
        files = _files_f(folder)
        results["cli"] = _cli_epochs(files)
    return results


def case_g():
    """Dask full-batch steps on a LocalCluster of 1 and of 2 worker processes (one thread each)."""
    import dask.array as da
    from distributed import Client, LocalCluster

    from descend import GDRegressor

    n, p, partitions = 4_000_000, 20, 8
    settings = dict(optimizer="sgd", learning_rate=0.1, batch_size=None, tol=None, standardize=False, random_state=0)
    results = {"rows": n, "features": p, "partitions": partitions}
    environment = dict(os.environ)  # a LocalCluster sets OMP_NUM_THREADS=1 here, for every later process
    for workers in (1, 2):
        with (
            LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None) as cluster,
            Client(cluster),
        ):
            for label, rows in (("big", n), ("tiny", 8 * partitions)):
                X = da.random.RandomState(0).standard_normal((rows, p), chunks=(rows // partitions, p)).persist()
                y = (X @ da.ones(p) + 0.5).persist()
                GDRegressor(**{**settings, "max_iter": 1}).fit(X, y)  # warm: workers load the compiled loop

                def fit(steps):
                    return best_of(3, lambda: GDRegressor(**{**settings, "max_iter": steps}).fit(X, y))[0]

                # One step's time: fits of 12 and of 2 steps differ by 10 steps, and by nothing else.
                results[f"step_s_{label}_{workers}"] = (fit(12) - fit(2)) / 10
    # On 8 rows per partition a step is all overhead: sending the weights, scheduling the tasks,
    # gathering the sums. With one worker, the rest of a big step is its compute.
    results["overhead_s_1"] = results["step_s_tiny_1"]
    results["overhead_s_2"] = results["step_s_tiny_2"]
    results["compute_s"] = results["step_s_big_1"] - results["overhead_s_1"]
    # Each task carries the d = p + 1 weights in and brings a gradient sum, the loss and the weight out.
    results["bytes_per_worker_per_step"] = (partitions // 2) * (8 * (p + 1) + 8 * (p + 3))
    os.environ.clear()
    os.environ.update(environment)
    return results


def machine():
    import threadpoolctl

    cpu = next(
        (line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo") if line.startswith("model name")),
        platform.processor(),
    )
    blas = [
        f"{i['internal_api']} {i['version']} ({i.get('architecture', '?')}, {i['num_threads']} threads)"
        for i in threadpoolctl.threadpool_info()
        if i["user_api"] == "blas"
    ]
    import numba
    import sklearn

    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "numba": numba.__version__,
        "scikit-learn": sklearn.__version__,
        "blas": ", ".join(blas),
    }


def _dask_lines(g):
    """(g) measured with 1 and 2 workers, and projected on paper to N machines."""
    n, d, C = g["rows"], g["features"] + 1, g["compute_s"]
    O1, O2 = g["overhead_s_1"], g["overhead_s_2"]
    delta = O2 - O1  # what the second worker added to a step's overhead
    F = 2 * n * d / C  # multiply-adds per second of one worker
    B = 1.25e9  # bytes per second of a 10 Gb/s link
    fixed = lambda N: C / N + O1  # noqa: E731  the overhead stays what one worker costs
    growing = lambda N: C / N + O1 + (N - 1) * max(delta, 0.0)  # noqa: E731  each worker adds what the second did
    projected = [f"| {N} (projected) | {1000 * fixed(N):.0f} ms | {1000 * growing(N):.0f} ms |" for N in (4, 8, 16, 32)]
    if delta > 0:
        growth = (
            f"If each worker adds what the second did, T(N) = C/N + O + (N - 1) delta is least at "
            f"N* = sqrt(C/delta) = {(C / delta) ** 0.5:.1f} machines, and more make a step slower:"
        )
    else:
        growth = (
            "The second worker added nothing measurable to the overhead here; the growing column "
            "below is then the same as the fixed one:"
        )
    return [
        f"Dask, full batch (issue 6): {n:,} x {g['features']} in {g['partitions']} partitions on a "
        "LocalCluster of worker processes with one thread each. The time of one gradient step (fits of "
        "12 and of 2 steps, the difference over 10, best of 3); the same on 8 rows per partition, which "
        "is all overhead; and the compute, what one worker's big step spends beyond that overhead:",
        "",
        "| workers | time per step | overhead (8 rows per partition) | compute (one worker's, split) |",
        "| --- | --- | --- | --- |",
        f"| 1 | {1000 * g['step_s_big_1']:.1f} ms | {1000 * O1:.1f} ms | {1000 * C:.1f} ms |",
        f"| 2 | {1000 * g['step_s_big_2']:.1f} ms | {1000 * O2:.1f} ms | {1000 * C / 2:.1f} ms |",
        "",
        f"Two workers take a step {g['step_s_big_1'] / g['step_s_big_2']:.2f} times as fast as one on "
        "this machine, whose 2 cores also run the client and the scheduler.",
        "",
        f"On paper, for N machines. Per step, each partition's task carries the d = {d} weights to its "
        f"worker and brings back a gradient sum of d floats, the loss and the weight sum: about "
        f"{g['bytes_per_worker_per_step']} bytes per worker per step with two workers (8d in, 8(d + 2) out, "
        f"per partition), against 2nd = {2 * n * d / 1e6:.0f} million multiply-adds of compute split N ways "
        f"(a worker does {F / 1e9:.2f} billion a second). Bandwidth: over a 10 Gb/s link, the time of the "
        f"client's 16dN bytes, 16dN/B, equals the compute time 2nd/(NF) at N = sqrt(nB/8F) = "
        f"{(n * B / (8 * F)) ** 0.5:.0f} machines, whatever d: bytes are no limit. Latency is: a step "
        f"costs O = {1000 * O1:.1f} ms beyond its compute with one worker, {1000 * O2:.1f} ms with two. If "
        f"that stays fixed, T(N) = C/N + O, compute falls below the overhead past N = C/O = {C / O1:.1f} "
        f"machines, and the speed-up can never pass (C + O)/O = {(C + O1) / O1:.1f}. {growth}",
        "",
        "| machines | step, overhead fixed | step, overhead growing |",
        "| --- | --- | --- |",
        *projected,
        "",
        "The crossover moves with the compute per step: more rows per step (or features) pay for more "
        "machines. Mini-batch local SGD exchanges the model once per epoch instead of once per step, "
        "which moves it much further, at the price of being approximate.",
        "",
    ]


def _stream_file_lines(cli, mark):
    """The rows of (f) for the issue's files through the CLI."""
    names = {
        "pandas": "5,000,000 x 20 Parquet as pandas writes it (row groups of 1,048,576)",
        "250k": "5,000,000 x 20 Parquet, row groups of 250,000",
        "100k": "5,000,000 x 20 Parquet, row groups of 100,000",
        "wide": "500,000 x 400 Parquet in 2 row groups",
        "csv": "5,000,000 x 20 CSV",
    }
    return [
        line
        for key, r in cli.items()
        for line in (
            f"| (f) `descend fit --stream --epochs 1`, {names[key]} ({r['file_mb']:,.0f} MB), default --memory: "
            f"peak RSS of the whole process (the runs: {', '.join(f'{m:.0f}' for m in r['peak_rss_all_mb'])} MB) "
            f"| {r['peak_rss_mb']:.0f} MB | | | < 400 MB | {mark[r['peak_rss_mb'] < 400]} |",
            f"| (f) its epoch over pyarrow's {'open_csv' if key == 'csv' else 'iter_batches'} alone (best of "
            f"{RUNS_FILES}, alternating: {', '.join(f'{t:.2f}' for t in r['epoch_all_s'])} s against "
            f"{', '.join(f'{t:.2f}' for t in r['raw_all_s'])} s) | {r['epoch_s']:.2f} s "
            f"| {r['raw_s']:.2f} s | {r['throughput_ratio']:.2f} | {'>= 0.8' if key == 'csv' else '>= 0.6'} "
            f"| {mark[r['throughput_ratio'] >= (0.8 if key == 'csv' else 0.6)]} |",
        )
    ]


def write_markdown(results, info, elapsed):
    a, b, c, d, e, f, k = (results[key] for key in "abcdefk")
    ok = {k: results[k]["ratio"] <= TARGETS[k] for k in "cde"}
    ok.update({("a", n): r["ratio"] <= TARGETS["a"] and r["mse_rel_diff"] <= 0.01 for n, r in a["by_rows"].items()})
    ok.update({("b", n): r["ratio_torch"] <= TARGETS["b"] for n, r in b["by_rows"].items()})
    ok["f_rss"] = f["peak_rss_mb"] < TARGETS["f_rss_mb"]
    ok["f_speed"] = f["throughput_ratio"] >= TARGETS["f_throughput"]
    mark = {True: "met", False: "**missed**"}
    lines = [
        "# Benchmarks",
        "",
        f"Run on {datetime.date.today().isoformat()} by `benchmarks/run.py` ({elapsed:.0f} s in all), on "
        f"{info['cpu']}, {info['cores']} cores; Python {info['python']}, NumPy {info['numpy']}, "
        f"Numba {info['numba']}, scikit-learn {info['scikit-learn']}, BLAS {info['blas']}. Times are the best "
        "of 2-3 repeats on a shared machine; every ratio is descend's time (or memory) over the peer's, "
        "measured in the same run.",
        "",
        "| case | descend | peer | ratio | target | |",
        "| --- | --- | --- | --- | --- | --- |",
        *[
            line
            for n, r in a["by_rows"].items()
            for line in (
                f"| (a) per-sample SGD, {n:,} x 100, squared + L2 (1e-6), invscaling from 0.01, shuffled, 5 epochs "
                f"| {r['descend_s']:.3f} s | SGDRegressor {r['sklearn_s']:.3f} s | {r['ratio']:.3f} | <= 0.30 "
                f"| {mark[ok['a', n]]} |",
                f"| (a) its final training MSE | {r['mse_descend']:.6f} | {r['mse_sklearn']:.6f} "
                f"| {100 * r['mse_rel_diff']:.2f}% apart | within 1% | |",
            )
        ],
        *[
            line
            for n, r in b["by_rows"].items()
            for line in (
                f"| (b) mini-batch Adam, batch 32, 1 epoch, {n:,} x 100 | {r['descend_s'] * 1000:.1f} ms "
                f"| torch.optim.Adam + nn.Linear (1 thread) {r['torch_s']:.2f} s | {r['ratio_torch']:.3f} | <= 0.04 "
                f"| {mark[ok['b', n]]} |",
                f"| (b) the same, against a plain NumPy loop | | NumPy loop {r['numpy_loop_s']:.3f} s "
                f"| {r['ratio_numpy_loop']:.3f} | | |",
            )
        ],
        f"| (s) set-up of a one-epoch fit of that kind on 100,000 x 100, standardized (all but the epoch): "
        f"one pass over X, its summary ({results['s']['summary_pass_s'] * 1000:.1f} ms; a bare read of X takes "
        f"{results['s']['one_read_s'] * 1000:.1f} ms), and {results['s']['fixed_s'] * 1000:.1f} ms of fixed costs, "
        f"beside an epoch of {results['s']['epoch_s'] * 1000:.1f} ms | {results['s']['setup_s'] * 1000:.1f} ms "
        f"| | | one pass over X | |",
        f"| (k) minimize, Adam on Rosenbrock, 10,000 steps, default arguments: {k['minimize']['minimize_us_per_step']:.2f} "
        f"us a step | {k['minimize']['minimize_us_per_step'] * 10:.1f} ms | bare loop of the same fun and Adam.update "
        f"{k['minimize']['bare_loop_us_per_step'] * 10:.1f} ms | {k['minimize']['ratio']:.2f} | <= 1.5 "
        f"| {mark[k['minimize']['ratio'] <= 1.5]} |",
        f"| (k) the explorer's 10,000-step request, end to end ({k['explorer']['encoder']}; with the standard "
        f"library's json {k['explorer']['request_stdlib_json_ms']:.0f} ms) | {k['explorer']['request_ms']:.0f} ms | | "
        f"| < 60 ms | {mark[k['explorer']['request_ms'] < 60]} |",
        f"| (c) full batch, squared loss, 1,000,000 x 100 (feature scales 0.5 to 3), to a relative objective "
        f"gap below 1e-8 (measured {max(c['relative_gap'], 0.0):.1e}, {c['epochs']} epochs) | {c['descend_s']:.2f} s "
        f"| normal equations {c['normal_equations_s']:.2f} s | {c['ratio']:.2f} | <= 2.0 | {mark[ok['c']]} |",
        f"| (d) extra peak memory of a fit over X's size (worst of the fits below) | | | {d['ratio']:.3f} "
        f"| <= 0.2 | {mark[ok['d']]} |",
        *[f"| (d) {name} | | | {value:.3f} | | |" for name, value in d["ratio_by_fit"].items()],
        f"| (e) first fit in a fresh process (import + cache load + 2 fits), warm cache "
        f"| {e['warm_cache_s']:.2f} s | | | <= 2 s | {mark[ok['e']]} |",
        f"| (e) the same with whatever cache the first run found | {e['first_run_s']:.2f} s | | | | |",
        f"| (f) one streamed epoch, 5,000,000 x 20 Parquet ({f['in_memory_mb']:.0f} MB in memory), shuffle "
        f"buffer 65,536 rows: peak RSS of the whole process | {f['peak_rss_mb']:.0f} MB | | | < 400 MB "
        f"| {mark[ok['f_rss']]} |",
        f"| (f) its throughput over pyarrow's raw read of the file (best of {RUNS_F} each, alternating; the runs: "
        f"{', '.join(f'{t:.2f}' for t in f['stream_epoch_all_s'])} s against "
        f"{', '.join(f'{t:.2f}' for t in f['raw_read_all_s'])} s) | {f['stream_epoch_s']:.2f} s "
        f"| raw read {f['raw_read_s']:.2f} s | {f['throughput_ratio']:.2f} | >= 0.5 | {mark[ok['f_speed']]} |",
        *_stream_file_lines(f.get("cli", {}), mark),
        "",
        "The shuffle buffer, measured: one epoch of per-sample SGD over a 200,000-row file sorted by its "
        "target (the worst case), training MSE after the epoch:",
        "",
        "| shuffling | MSE |",
        "| --- | --- |",
        *[f"| {label} | {value:.4g} |" for label, value in f["buffer_effect_mse"].items()],
        "",
        "Row-group order alone leaves long runs of similar targets, and the model chases them; a buffer "
        "of a few row groups restores most of a full shuffle. Through the CLI (the rows (f) `descend fit "
        "--stream`), a process holds about 310 MB besides its memory budget for data (80 MB by default): "
        "its imports (scikit-learn, pandas, Numba, pyarrow: about 245 MB), the first rows read, and Numba's "
        "compiler state once the first compiled loop is loaded (about 43 MB); files with row groups too large "
        "to read whole are read in slices, Arrow holding about 2.5 MB a column, and 400 columns in groups of "
        "250,000 rows are read a window of rows at a time, decoding each group many times over. Of the peak "
        "in (f), the process held "
        f"{f['rss_before_mb']:.0f} MB before the epoch's first row was read: its imports (NumPy, SciPy, "
        "scikit-learn, Numba, pandas, pyarrow) and the loaded compiled loops. The file is as pyarrow "
        "writes it by default (Snappy, dictionary pages), in row groups of 100,000 rows. The raw read "
        "decodes it with two threads; the epoch with one, a background thread reading each row group whole, "
        "a few columns a call, while the training thread scatters the rows of the one before into the "
        "shuffle buffer and runs its steps. The epoch spends more processor time on top of the decoding, "
        "the random scatter of every row into the shuffle buffer and the steps themselves: "
        f"{f['stream_epoch_cpu_s']:.2f} CPU-seconds against the raw read's {f['raw_read_cpu_s']:.2f} "
        "(in the best runs).",
        "",
        *_text_lines(results["h"], results["i"], results["j"]),
        *loss_lines(results["q"], results["p"], mark),
        *_dask_lines(results["g"]),
        *_default_fit_lines(results["v"]),
        *_optimizer_lines(results["o"], mark),
        *user_lines(results["u"]),
        *online_lines(results["w"]),
        *parallel_lines(results["x"]),
        *startup_cases.startup_lines(results["y"]),
        "How to read them: (a) and (b) are dominated by the compiled per-step loop, which reads each shuffled "
        "row where it lies and asks the processor for the row eight steps ahead, so that the cache misses "
        "overlap; (a) also pays, each epoch, for the shuffle and the schedule's rates, and once for the pass "
        "that checks X and finds its moments, a larger share at 100,000 rows. (c) costs one X'X, as the normal "
        "equations do, and then O(p^2) per epoch. (d) is measured as the rise of the process's peak resident "
        "memory during the fit.",
        "",
    ]
    lines += ["", (ROOT / "benchmarks" / "history.md").read_text().split("\n", 2)[2]]
    (ROOT / "BENCHMARKS.md").write_text("\n".join(lines))


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--write", action="store_true", help="write BENCHMARKS.md")
    # (b) imports torch, which changes the threading of the process: it runs after the NumPy-only cases.
    parser.add_argument("--only", default="acdeskovhijqpbfguwxy", help="which cases, in this order, e.g. 'ac'")
    args = parser.parse_args()
    start = time.perf_counter()
    cases = {
        "a": case_a,
        "b": case_b,
        "c": case_c,
        "d": case_d,
        "e": case_e,
        "f": case_f,
        "g": case_g,
        "s": case_s,
        "v": case_v,
        "k": case_k,
        "o": case_o,
        "h": case_h,
        "i": case_i,
        "j": case_j,
        "q": case_q,
        "p": case_p,
        "u": case_u,
        "w": case_w,
        "x": case_x,
        "y": case_y,
    }
    results, corpus = {}, None
    for key in args.only:
        if key in "hi" and corpus is None:
            corpus = _corpus()
        results[key] = cases[key](corpus) if key in "hi" else cases[key]()
        print(key, json.dumps(results[key]), flush=True)
    elapsed = time.perf_counter() - start
    print(f"total {elapsed:.0f} s")
    if args.write and set(results) == set(cases):
        write_markdown(results, machine(), elapsed)
        print("wrote BENCHMARKS.md")


if __name__ == "__main__":
    main()
