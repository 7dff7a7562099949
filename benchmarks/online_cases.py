"""Case (w) of benchmarks/run.py, online learning from a file: ``descend learn`` against Vowpal Wabbit and
river, one pass, each row predicted before it is learned from.

    python benchmarks/online_cases.py [--json] [--quick]

The data: the documents of case (u) (``user_cases.make_user_corpus``: 150,000 documents of a Zipf
vocabulary of 80,000 words, 43 words on average, labelled by a hidden sparse linear rule), written as
Vowpal Wabbit's text format, ``"1 |w word word ..."`` with labels -1 and 1: the first 120,000 lines to
learn from, the last 30,000 held out. A second file adds a namespace ``d`` of two features a document (its
length, in 8 buckets, and its first word), for ``-q wd``. For the memory and the pace at scale, the training
lines repeated to 100,000 and 1,000,000 lines.

Each learner makes one pass, logistic loss, 2^20 hashed features, its defaults otherwise:

- ``descend learn train.vw --out model.json --quiet`` in a process of its own (its start-up included);
- Vowpal Wabbit 9 through its Python bindings in a process of its own, reading the file itself:
  ``Workspace("--data train.vw --loss_function logistic -b 20 --quiet")``, then ``finish()``;
- river: ``compose.Pipeline(feature_extraction.BagOfWords(), linear_model.LogisticRegression())`` with
  ``evaluate.progressive_val_score``, on the first 20,000 documents (its pace is a few thousand a second).

Rows per second are the lines over the whole process's wall time (best of 2); the progressive log loss is
each learner's own report (``descend learn``'s model file, Vowpal Wabbit's ``get_sum_loss() /
get_weighted_examples()``, river's ``LogLoss``); held-out accuracy after the pass (Vowpal Wabbit and
river predict the held-out lines in the same process; descend with ``descend predict``). The peak memory
is the whole process's (``ru_maxrss`` of the child). Nothing here is asserted in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from user_cases import make_user_corpus  # noqa: E402

N_TRAIN, RIVER_ROWS, BITS, REPEATS = 120_000, 20_000, 20, 2
MEMORY_ROWS = (100_000, 1_000_000)
VW_ARGS = f"--loss_function logistic -b {BITS} --quiet"


def write_files(folder, quick=False):
    """The training, held-out and two-namespace files, and the memory files (their paths)."""
    documents, labels, _ = make_user_corpus(n_documents=30_000 if quick else 150_000)
    n = int(0.8 * len(documents))
    signs = np.where(labels == 1, 1, -1)
    lines = [f"{s} |w {d}\n" for s, d in zip(signs, documents, strict=True)]
    lengths = np.digitize([d.count(" ") + 1 for d in documents], [10, 20, 30, 40, 50, 60, 80])
    two = [
        f"{s} |w {d} |d len{b} first_{d.split(' ', 1)[0]}\n" for s, d, b in zip(signs, documents, lengths, strict=True)
    ]
    paths = {
        "train": folder / "train.vw",
        "test": folder / "test.vw",
        "train2": folder / "train2.vw",
        "test2": folder / "test2.vw",
    }
    paths["train"].write_text("".join(lines[:n]))
    paths["test"].write_text("".join(lines[n:]))
    paths["train2"].write_text("".join(two[:n]))
    paths["test2"].write_text("".join(two[n:]))
    for rows in MEMORY_ROWS if not quick else (10_000, 100_000):
        path = folder / f"memory_{rows}.vw"
        with path.open("w") as file:
            left = rows
            while left > 0:
                file.write("".join(lines[: min(n, left)]))
                left -= min(n, left)
        paths[f"memory_{rows}"] = path
    return paths, documents, labels, n


def timed_child(args, stdout=subprocess.DEVNULL):
    """(wall seconds, peak resident MB, stdout, stderr): the child waited for with wait4, so that its own
    peak memory is read (not the largest of every child so far)."""
    start = time.perf_counter()
    process = subprocess.Popen(args, stdout=subprocess.PIPE if stdout is None else stdout, stderr=subprocess.PIPE)
    out = process.stdout.read() if stdout is None else b""
    err = process.stderr.read()
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise RuntimeError(f"{' '.join(map(str, args[:5]))} failed: {err.decode()[-2000:]}")
    return seconds, usage.ru_maxrss / 1024, out, err


def descend_learn(train, model, extra=()):
    return timed_child(
        [
            sys.executable,
            "-m",
            "descend",
            "learn",
            str(train),
            "--out",
            str(model),
            "--quiet",
            "--bits",
            str(BITS),
            *extra,
        ]
    )


def descend_accuracy(model, test):
    _, _, out, _ = timed_child([sys.executable, "-m", "descend", "predict", str(model), str(test)], stdout=None)
    predicted = np.array([float(line.split(b",")[0]) for line in out.splitlines()[1:]])
    truth = np.array([float(line.split(" ", 1)[0]) for line in Path(test).read_text().splitlines()])
    return float(np.mean(predicted == truth))


VW_CHILD = """
import json, sys
from vowpalwabbit import Workspace
train, test, args = sys.argv[1], sys.argv[2], sys.argv[3]
model = Workspace(f"--data {train} " + args)
model.run_parser() if hasattr(model, "run_parser") else None
loss, weight = model.get_sum_loss(), model.get_weighted_examples()
accuracy = None
if test != "-":
    lines = open(test).read().splitlines()
    right = 0
    for line in lines:
        label, features = line.split(" ", 1)
        right += (model.predict(features) > 0) == (float(label) > 0)
    accuracy = right / len(lines)
model.finish()
print(json.dumps({"loss": loss / weight, "rows": weight, "accuracy": accuracy}))
"""


def vw_learn(train, test, extra=""):
    """Vowpal Wabbit, in a child: (seconds, peak MB, its figures). The held-out prediction, made in the same
    child after the pass, is timed apart: the child reports it, and the pass alone is what a pass costs."""
    seconds, peak, out, _ = timed_child(
        [sys.executable, "-c", VW_CHILD, str(train), "-", f"{VW_ARGS} {extra}"], stdout=None
    )
    figures = json.loads(out.decode().strip().splitlines()[-1])
    if test != "-":
        _, _, out, _ = timed_child(
            [sys.executable, "-c", VW_CHILD, str(train), str(test), f"{VW_ARGS} {extra}"], stdout=None
        )
        figures["accuracy"] = json.loads(out.decode().strip().splitlines()[-1])["accuracy"]
    return seconds, peak, figures


def river_pass(documents, labels, n_train):
    """river's logistic regression on bags of words: progressive validation on RIVER_ROWS documents, then
    held-out accuracy on 5,000."""
    import river
    from river import compose, evaluate, feature_extraction, linear_model, metrics, stream

    model = compose.Pipeline(feature_extraction.BagOfWords(), linear_model.LogisticRegression())
    rows = min(RIVER_ROWS, n_train)
    data = stream.iter_array(
        np.array(documents[:rows], dtype=object)[:, None], labels[:rows] == 1, feature_names=["text"]
    )
    data = ((x["text"], y) for x, y in data)
    start = time.perf_counter()
    loss = evaluate.progressive_val_score(data, model, metrics.LogLoss())
    seconds = time.perf_counter() - start
    test = range(n_train, min(n_train + 5_000, len(documents)))
    accuracy = float(np.mean([model.predict_one(documents[i]) == (labels[i] == 1) for i in test]))
    return {
        "version": river.__version__,
        "rows": rows,
        "seconds": round(seconds, 2),
        "rows_per_s": round(rows / seconds),
        "progressive_log_loss": round(loss.get(), 5),
        "accuracy": round(accuracy, 4),
    }


def model_figures(model):
    return json.loads(Path(model).read_text())["metadata"]["progressive"]


def case_w(quick=False):
    import vowpalwabbit

    folder = Path(tempfile.mkdtemp(dir=os.environ.get("DESCEND_BENCH_DIR")))
    paths, documents, labels, n = write_files(folder, quick)
    result = {
        "quick": quick,
        "train_rows": n,
        "held_out_rows": len(documents) - n,
        "vw_version": vowpalwabbit.__version__,
        "file_mb": round(paths["train"].stat().st_size / 2**20, 1),
    }
    model = folder / "model.json"
    descend_learn(paths["test"], folder / "warm.json")  # Numba's cache, outside the timing
    one_line = folder / "one.vw"
    one_line.write_text(paths["train"].read_text().split("\n", 1)[0] + "\n")
    result["start_up_s"] = {
        "descend": round(min(descend_learn(one_line, model)[0] for _ in range(REPEATS)), 3),
        "vw": round(min(vw_learn(one_line, "-")[0] for _ in range(REPEATS)), 3),
    }
    for name, train, test, extra in (
        ("one_namespace", "train", "test", ()),
        ("quadratic", "train2", "test2", ("-q", "wd")),
    ):
        times = [descend_learn(paths[train], model, extra) for _ in range(REPEATS)]
        seconds, peak = min(t[0] for t in times), max(t[1] for t in times)
        figures = model_figures(model)
        vw = [vw_learn(paths[train], paths[test], " ".join(extra)) for _ in range(REPEATS)]
        vw_seconds, vw_peak, vw_figures = min(v[0] for v in vw), max(v[1] for v in vw), vw[-1][2]
        result[name] = {
            "descend": {
                "seconds": round(seconds, 3),
                "rows_per_s": round(n / seconds),
                "peak_mb": round(peak),
                "progressive_log_loss": round(figures["loss"], 5),
                "progressive_accuracy": round(figures["accuracy"], 4),
                "accuracy": round(descend_accuracy(model, paths[test]), 4),
            },
            "vw": {
                "seconds": round(vw_seconds, 3),
                "rows_per_s": round(n / vw_seconds),
                "peak_mb": round(vw_peak),
                "progressive_log_loss": round(vw_figures["loss"], 5),
                "accuracy": round(vw_figures["accuracy"], 4),
            },
        }
        print(name, json.dumps(result[name]), file=sys.stderr, flush=True)
    result["scale"] = {}
    for key in (k for k in paths if k.startswith("memory_")):
        rows = int(key.split("_")[1])
        seconds, peak, _, _ = descend_learn(paths[key], model)
        vw_seconds, vw_peak, _ = vw_learn(paths[key], "-")
        result["scale"][str(rows)] = {
            "descend": {
                "seconds": round(seconds, 2),
                "peak_mb": round(peak),
                "rows_per_s": round(rows / seconds),
                "progressive_log_loss": round(model_figures(model)["loss"], 5),
            },
            "vw": {"seconds": round(vw_seconds, 2), "peak_mb": round(vw_peak), "rows_per_s": round(rows / vw_seconds)},
        }
        print(key, json.dumps(result["scale"][str(rows)]), file=sys.stderr, flush=True)
    result["river"] = river_pass(documents, labels, n)
    for path in (*paths.values(), one_line):
        path.unlink()
    return result


def online_lines(w):
    """The markdown of case (w)."""
    mark = {True: "met", False: "**missed**"}
    one, two, scale, start = w["one_namespace"], w["quadratic"], w["scale"], w["start_up_s"]
    small, large = sorted(scale, key=int)
    low, high = scale[small]["descend"]["peak_mb"], scale[large]["descend"]["peak_mb"]
    lines = [
        f"Online learning from a file (case w, `benchmarks/online_cases.py`{', --quick' if w['quick'] else ''}):"
        f" {w['train_rows']:,} documents of case (u)'s corpus as Vowpal Wabbit lines ({w['file_mb']} MB), "
        f"one pass, logistic loss, 2^{BITS} features, each learner at its defaults; held-out accuracy on the "
        f"last {w['held_out_rows']:,}. Vowpal Wabbit {w['vw_version']} reads the file itself (its Python "
        "bindings, `--data`), in a process of its own as `descend learn` is; rows per second over the whole "
        f"process (best of {REPEATS}). A process that reads one line takes {start['descend']:.2f} s for "
        f"`descend learn` (Python, NumPy, scikit-learn, Numba's compiled loops loaded from its cache) and "
        f"{start['vw']:.2f} s for Vowpal Wabbit's.",
        "",
        "| file | learner | rows/s | progressive log loss | held-out accuracy | peak memory |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for title, block in (("one namespace", one), ("two namespaces, -q wd", two)):
        for name, label in (("descend", "`descend learn`"), ("vw", "Vowpal Wabbit")):
            row = block[name]
            lines.append(
                f"| {title} | {label} | {row['rows_per_s']:,} | {row['progressive_log_loss']:.5f} | "
                f"{row['accuracy']:.4f} | {row['peak_mb']} MB |"
            )
    river = w["river"]
    lines.append(
        f"| one namespace, first {river['rows']:,} | river {river['version']} (BagOfWords + "
        f"LogisticRegression, `progressive_val_score`) | {river['rows_per_s']:,} | "
        f"{river['progressive_log_loss']:.5f} | {river['accuracy']:.4f} | |"
    )
    lines += [
        "",
        "The training lines repeated, one namespace:",
        "",
        "| lines | `descend learn` | Vowpal Wabbit | descend's rows/s over VW's | descend's peak memory |",
        "| --- | --- | --- | --- | --- |",
    ]
    for rows in (small, large):
        d, v = scale[rows]["descend"], scale[rows]["vw"]
        lines.append(
            f"| {int(rows):,} | {d['seconds']:.2f} s ({d['rows_per_s']:,} rows/s) | {v['seconds']:.2f} s "
            f"({v['rows_per_s']:,} rows/s) | {d['rows_per_s'] / v['rows_per_s']:.2f} | {d['peak_mb']} MB |"
        )
    d, v = scale[large]["descend"], scale[large]["vw"]
    marginal = (int(large) - int(small)) / (d["seconds"] - scale[small]["descend"]["seconds"])
    vw_marginal = (int(large) - int(small)) / (v["seconds"] - scale[small]["vw"]["seconds"])
    lines += [
        "",
        f"Between {int(small):,} and {int(large):,} lines (start-up left out): descend {marginal:,.0f} "
        f"rows/s, Vowpal Wabbit {vw_marginal:,.0f}.",
        "",
        "| bar | measured | |",
        "| --- | --- | --- |",
    ]
    for title, block in (("one namespace", one), ("-q wd", two)):
        d, v = block["descend"], block["vw"]
        lines.append(
            f"| {title}: rows/s at least Vowpal Wabbit's | {d['rows_per_s'] / v['rows_per_s']:.2f} of its "
            f"| {mark[d['rows_per_s'] >= v['rows_per_s']]} |"
        )
        ratio = d["progressive_log_loss"] / v["progressive_log_loss"]
        lines.append(
            f"| {title}: progressive log loss within 1% of Vowpal Wabbit's, or lower | {ratio:.4f} of its "
            f"| {mark[ratio <= 1.01]} |"
        )
    lines.append(
        f"| peak memory flat from {int(small):,} to {int(large):,} rows | {low} MB, {high} MB "
        f"| {mark[high <= 1.1 * low]} |"
    )
    return lines + [""]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="30,000 documents, for a fast check")
    parser.add_argument("--json", action="store_true", help="print the results as JSON (for benchmarks/run.py)")
    args = parser.parse_args()
    start = time.perf_counter()
    results = case_w(args.quick)
    print(json.dumps(results) if args.json else "\n".join(online_lines(results)))
    print(f"total {time.perf_counter() - start:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
