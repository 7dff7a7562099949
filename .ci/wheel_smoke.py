"""The installed wheel, used as a user would: run by .ci/wheel with the fresh environment's Python, outside the sources.

``python wheel_smoke.py core``: the lean install holds none of the extras' packages, and the core works: the
demo, a fit, a prediction, minimize, the data sets; a feature of an extra says which extra to install.
``python wheel_smoke.py explorer``: with ``descend[explorer]``, the explorer serves its page and Plotly.js from
the installed files.
"""

import importlib.metadata
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import descend

EXTRAS_PACKAGES = ("fastapi", "uvicorn", "plotly", "orjson", "matplotlib", "dask", "distributed", "autograd")
# The environment is not activated: its command sits beside its Python.
DESCEND = str(Path(sys.executable).parent / "descend")


def check(condition, what):
    if not condition:
        sys.exit(f"wheel smoke test failed: {what}")
    print(f"ok: {what}")


def run(*args, cwd):
    return subprocess.run([DESCEND, *map(str, args)], capture_output=True, text=True, cwd=cwd, timeout=600)


def core(folder: Path) -> None:
    installed = {dist.metadata["Name"].lower() for dist in importlib.metadata.distributions()}
    check(not installed & set(EXTRAS_PACKAGES), f"the core install holds none of {', '.join(EXTRAS_PACKAGES)}")
    package = Path(descend.__file__).resolve().parent
    check("site-packages" in package.parts, f"descend is imported from the installed wheel ({package})")
    check(Path(DESCEND).is_file(), f"the descend command ({DESCEND})")

    from descend.functions import Rosenbrock

    result = descend.minimize(Rosenbrock(), [-1.5, 2.0], "adam", lr=0.05, max_iter=5000)
    check(abs(result.x - 1).max() < 1e-3, f"descend.minimize finds Rosenbrock's minimum ({result.x})")

    from descend import datasets

    shapes = {
        name: getattr(datasets, f"load_{name}")().data.shape for name in ("housing", "smarket", "default", "bikeshare")
    }
    check(
        shapes["housing"][0] == 506
        and shapes["smarket"][0] == 1250
        and shapes["default"][0] == 10000
        and shapes["bikeshare"][0] == 8645,
        f"the shipped data sets load: {shapes}",
    )

    demo = run("demo", "housing", cwd=folder)
    check(demo.returncode == 0 and "ISLR" in demo.stdout, "descend demo housing")
    boston = package / "data" / "Boston.csv"
    fit = run("fit", boston, "--target", "medv", "--out", "model.json", cwd=folder)
    check(fit.returncode == 0 and json.loads((folder / "model.json").read_text()), "descend fit on a shipped CSV")
    predict = run("predict", "model.json", boston, cwd=folder)
    check(predict.returncode == 0 and len(predict.stdout.splitlines()) == 507, "descend predict")
    explore = run("explore", "--no-browser", cwd=folder)
    check(
        explore.returncode == 2
        and explore.stderr.strip().endswith('pip install "descend[explorer]"')
        and "Traceback" not in explore.stderr,
        f"descend explore names its extra: {explore.stderr.strip()}",
    )


def explorer(folder: Path) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = subprocess.Popen(
        [DESCEND, "explore", "--no-browser", "--port", str(port)],
        cwd=folder,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        page = None
        for _ in range(300):  # up to 30 s for the first start (imports, compiled loops)
            try:
                page = urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).read().decode()
                break
            except OSError:
                if server.poll() is not None:
                    sys.exit(f"wheel smoke test failed: descend explore exited: {server.stderr.read().decode()}")
                time.sleep(0.1)
        installed_page = (Path(descend.__file__).parent / "explorer_page.html").read_text(encoding="utf-8")
        check(page == installed_page, "the explorer serves its page from the installed files")
        script = urllib.request.urlopen(f"http://127.0.0.1:{port}/static/plotly.min.js", timeout=10).read()
        import plotly

        bundled = (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_bytes()
        check(script == bundled and len(script) > 1_000_000, "the explorer serves the installed Plotly.js")
        names = json.loads(urllib.request.urlopen(f"http://127.0.0.1:{port}/api/names", timeout=10).read())
        check("rosenbrock" in names["functions"] and "adam" in names["optimizers"], "the explorer's API answers")
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    with tempfile.TemporaryDirectory() as work:
        {"core": core, "explorer": explorer}[sys.argv[1]](Path(work))
