"""Issue 16, item 4: descend fit on 8 Parquet files (10,000,000 x 20 float64, 1.8 GB on disk) that a Dask
cluster's workers read: ``dask scheduler`` + 2 ``dask worker`` processes of one thread, the CLI process's peak
RSS by /usr/bin/time -v (the workers excluded; their peaks sampled with psutil), then the in-memory fit of the
same rows (about 10 GB and 80-160 s) and the largest coefficient difference.

    python benchmarks/dask_files.py /tmp/dask-bench 20                      # the full batch, 20 epochs
    python benchmarks/dask_files.py /tmp/dask-bench 2 --batch-size 1024     # mini-batches (local SGD)
    python benchmarks/dask_files.py /tmp/dask-bench 20 --compare-only       # the in-memory fit alone

Not a case of run.py: it takes 3 to 5 minutes. The data is written under the folder if missing; delete it after.
"""

import os
import re
import socket
import subprocess
import sys
import time

import numpy as np


def make(folder):
    """8 Parquet files of 1,250,000 x 20 float64 features and a target."""
    import pandas as pd

    rows, parts, k = 1_250_000, 8, 20
    coef = np.linspace(-2, 2, k)
    for index in range(parts):
        rng = np.random.default_rng(index)
        X = rng.standard_normal((rows, k)) * np.linspace(0.5, 3, k) + np.linspace(-1, 1, k)
        y = X @ coef + 1.0 + rng.standard_normal(rows)
        frame = pd.DataFrame(X, columns=[f"x{j}" for j in range(k)]).assign(y=y)
        frame.to_parquet(f"{folder}/part{index}.parquet", index=False, row_group_size=250_000)
        del frame, X, y


here = sys.argv[1]
epochs = sys.argv[2] if len(sys.argv) > 2 else "20"
if not os.path.isdir(f"{here}/data"):
    os.makedirs(f"{here}/data")
    make(f"{here}/data")
compare_only = "--compare-only" in sys.argv
with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
address = f"tcp://127.0.0.1:{port}"
quiet = dict(stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
procs = (
    []
    if compare_only
    else [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "dask",
                "scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--dashboard-address",
                ":0",
            ],
            **quiet,
        )
    ]
)
try:
    if compare_only:
        raise SystemExit
    procs += [
        subprocess.Popen(
            [sys.executable, "-m", "dask", "worker", address, "--nthreads", "1", "--no-dashboard"], **quiet
        )
        for _ in range(2)
    ]
    from distributed import Client

    with Client(address, timeout=30) as c:
        c.wait_for_workers(2, timeout=60)
    import threading

    import psutil

    peaks = {}
    done = threading.Event()

    def sample():
        while not done.is_set():
            for p in procs[1:]:
                try:
                    family = [psutil.Process(p.pid)] + psutil.Process(p.pid).children(recursive=True)
                    rss = max(q.memory_info().rss for q in family)
                except psutil.Error:
                    continue
                peaks[p.pid] = max(peaks.get(p.pid, 0), rss)
            time.sleep(0.2)

    threading.Thread(target=sample, daemon=True).start()
    extra = [a for a in sys.argv[3:] if a != "--compare-only"]
    start = time.time()
    run = subprocess.run(
        [
            "/usr/bin/time",
            "-v",
            sys.executable,
            "-m",
            "descend",
            "fit",
            f"{here}/data/*.parquet",
            "--target",
            "y",
            "--scheduler",
            address,
            "--epochs",
            epochs,
            "--tol",
            "0",
            "--out",
            f"{here}/cluster.json",
            *extra,
        ],
        capture_output=True,
        text=True,
    )
    done.set()
    print("worker peak RSS (largest process of each):", [f"{v / 2**20:.0f} MB" for v in peaks.values()])
    wall = time.time() - start
    print(run.stdout[-1500:])
    peak = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))
    print(
        run.stderr.splitlines()[0] if run.returncode else "",
        f"CLI client: peak RSS {peak / 1024:.0f} MB, wall {wall:.1f} s, exit {run.returncode}",
    )
except SystemExit:
    pass
finally:
    for p in reversed(procs):
        p.terminate()
    for p in procs:
        p.wait(timeout=30)

# the in-memory fit of the same rows, in this process
import pandas as pd

from descend.io import load
from descend.readers.tables import TablePreprocessor, clean_target

start = time.time()
frame = pd.concat([pd.read_parquet(f"{here}/data/part{i}.parquet") for i in range(8)], ignore_index=True)
notices = []
frame = clean_target(frame, "y", notices)
pre = TablePreprocessor("none").fit(frame, "y", notices, whole=frame)
X, y = pre.transform(frame, allowed_extra=("y",)), frame["y"].to_numpy()
del frame
cluster = load(f"{here}/cluster.json")
cluster = cluster[0] if isinstance(cluster, tuple) else cluster
model = type(cluster)(**cluster.get_params()).fit(X, y)
scale = np.abs(model.coef_).max()
print(
    f"in memory: {time.time() - start:.1f} s; max |coef difference| / max |coef| = "
    f"{np.abs(model.coef_ - cluster.coef_).max() / scale:.2e}, intercepts {float(np.ravel(model.intercept_)[0]):.12g} "
    f"{float(np.ravel(cluster.intercept_)[0]):.12g}, epochs {model.n_iter_} {cluster.n_iter_}"
)
