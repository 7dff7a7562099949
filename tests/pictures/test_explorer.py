"""The explorer's API (validated, never a 500) and its page in a real headless browser."""

import math
import shutil
import socket
import sys
import threading
import time

import numpy as np
import pytest
from fastapi.testclient import TestClient

from descend import minimize
from descend.explorer import create_app
from descend.functions import FUNCTION_NAMES, get_function
from descend.optimizers import OPTIMIZER_NAMES, get_optimizer


@pytest.fixture(scope="module")
def client():
    return TestClient(create_app())


def test_path_is_the_library_path(client):
    response = client.get(
        "/api/path", params={"function": "rosenbrock", "optimizer": "adam", "lr": 0.05, "iters": 200, "beta1": 0.8}
    )
    assert response.status_code == 200
    body = response.json()
    assert len(body["path"]) == 201 and len(body["loss"]) == 201 and not body["diverged"]
    f = get_function("rosenbrock")
    expected = minimize(f, f.start, get_optimizer("adam", lr=0.05, betas=(0.8, 0.999)), max_iter=200, tol=None)
    np.testing.assert_array_equal(np.array(body["path"]), expected.path)


def test_a_diverging_path_is_an_answer_not_an_error(client):
    body = client.get("/api/path", params={"function": "bowl", "optimizer": "sgd", "lr": 5, "iters": 500}).json()
    assert body["diverged"] and 1 < len(body["path"]) < 501
    assert all(math.isfinite(v) for v in body["loss"])


def test_steps_to_converge(client):
    body = client.get("/api/path", params={"function": "bowl", "optimizer": "sgd", "lr": 0.1, "iters": 500}).json()
    converged_at = body["converged_at"]
    assert converged_at is not None and 0 < converged_at < 500
    norms = [np.linalg.norm(get_function("bowl").grad(np.array(point))) for point in body["path"]]
    assert norms[converged_at] < 1e-6 and min(norms[:converged_at]) >= 1e-6  # the first such step, not a later one


@pytest.mark.parametrize("encoder", ["orjson", "json"])
def test_a_long_path_is_sent_to_the_last_bit_by_either_encoder(encoder, monkeypatch):
    if encoder == "orjson":
        pytest.importorskip("orjson")
    else:
        monkeypatch.setitem(sys.modules, "orjson", None)  # as if it were not installed: the standard library's json
    response = TestClient(create_app()).get(
        "/api/path", params={"function": "rosenbrock", "optimizer": "adam", "lr": 0.05, "iters": 10_000}
    )
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    body = response.json()
    f = get_function("rosenbrock")
    expected = minimize(f, f.start, get_optimizer("adam", lr=0.05), max_iter=10_000, tol=None)
    np.testing.assert_array_equal(np.array(body["path"]), expected.path)
    np.testing.assert_array_equal(np.array(body["loss"]), expected.loss_history)
    # Adam at 0.05 first gets within 1e-6 of a zero gradient at step 2022, as minimize's tol=1e-6 stops there.
    assert body["converged_at"] == minimize(f, f.start, get_optimizer("adam", lr=0.05), max_iter=10_000).n_iter == 2022
    assert body["diverged"] is False


@pytest.mark.parametrize(
    "params",
    [
        {"lr": "fast"},
        {"lr": -0.1},
        {"lr": 0},
        {"lr": "nan"},
        {"lr": "inf"},
        {"iters": 10_001},
        {"iters": 0},
        {"iters": 2.5},
        {"function": "everest"},
        {"optimizer": "adamm"},
        {"momentum": 1.0},
        {"beta2": -0.5},
        {"x0": "left"},
        {"optimizer": "nesterov", "momentum": 0},
    ],
)
def test_bad_parameters_are_4xx_with_a_message(client, params):
    query = {"function": "rosenbrock", "optimizer": "sgd", "lr": 0.001, "iters": 10, **params}
    response = client.get("/api/path", params=query)
    assert 400 <= response.status_code < 500
    assert response.json()["detail"]


def test_the_page_offers_the_librarys_names(client):
    names = client.get("/api/names").json()
    assert names == {
        "functions": list(FUNCTION_NAMES),
        "optimizers": list(OPTIMIZER_NAMES) + ["lbfgs"],
        "sliders": {"momentum": ["momentum", "nesterov", "sgd_schedulefree"], "beta1": BETAS, "beta2": BETAS},
    }
    assert "radam" not in client.get("/").text  # the page holds no list of its own


BETAS = ["adam", "amsgrad", "adamw", "nadam", "adamax", "radam", "sparse_adam", "lion", "adamw_schedulefree", "prodigy"]


@pytest.mark.parametrize(
    "optimizer,params",
    [
        ("lion", {"lr": 0.01, "beta1": 0.5}),
        ("prodigy", {"lr": 1.0}),
        ("sgd_schedulefree", {"lr": 0.001, "momentum": 0.5}),
        ("adamw_schedulefree", {"lr": 0.01, "beta2": 0.99}),
        ("rprop", {"lr": 0.01}),
        ("asgd", {"lr": 0.001}),
        ("adafactor", {"lr": 0.01}),
        ("sparse_adam", {"lr": 0.01, "beta1": 0.8}),
        ("ftrl", {"lr": 0.1}),
        ("lbfgs", {"lr": 1.0}),
    ],
)
def test_the_later_optimizers_draw_their_paths(client, optimizer, params):
    """A request for each kind of optimizer added later: its path, changed by the sliders it takes."""
    query = {"function": "rosenbrock", "optimizer": optimizer, "iters": 200, **params}
    path = client.get("/api/path", params=query).json()
    assert len(path["path"]) == 201 and not path["diverged"]
    assert path["loss"][-1] < path["loss"][0]
    if "beta1" in params or "momentum" in params:
        default = client.get("/api/path", params={k: v for k, v in query.items() if k not in ("beta1", "momentum")})
        assert default.json()["path"][-1] != path["path"][-1]  # the slider changed the optimizer


def test_the_momentum_slider_leaves_plain_sgd_and_rmsprop_plain(client):
    # The page sends every slider's value with every request; only the optimizers named for momentum take it.
    query = {"function": "rosenbrock", "lr": 0.001, "iters": 300, "momentum": 0.9, "beta1": 0.9, "beta2": 0.999}
    f = get_function("rosenbrock")
    for name in ("sgd", "rmsprop", "momentum"):
        body = client.get("/api/path", params={**query, "optimizer": name}).json()
        expected = minimize(f, f.start, get_optimizer(name, lr=0.001), max_iter=300, tol=None)
        np.testing.assert_array_equal(np.array(body["path"]), expected.path)
    half = client.get("/api/path", params={**query, "optimizer": "momentum", "momentum": 0.5}).json()
    expected = minimize(f, f.start, get_optimizer("momentum", lr=0.001, momentum=0.5), max_iter=300, tol=None)
    np.testing.assert_array_equal(np.array(half["path"]), expected.path)


def test_page_and_plotly_are_served_locally(client):
    page = client.get("/")
    assert page.status_code == 200 and "/static/plotly.min.js" in page.text and "cdn" not in page.text.lower()
    script = client.get("/static/plotly.min.js")
    assert script.status_code == 200 and len(script.content) > 1_000_000
    grid = client.get("/api/surface", params={"function": "beale"}).json()
    assert len(grid["x"]) == len(grid["z"][0]) and grid["minima"] == [[3.0, 0.5]]


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture(scope="module")
def server():
    import uvicorn

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = uvicorn.Config(create_app(), host="127.0.0.1", port=port, log_level="warning")
    instance = uvicorn.Server(config)
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    for _ in range(100):
        if instance.started:
            break
        time.sleep(0.05)
    assert instance.started, "the explorer server did not start within 5 s"
    yield f"http://127.0.0.1:{port}"
    instance.should_exit = True
    thread.join(timeout=5)


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_moving_the_learning_rate_slider_redraws_the_paths(server, client, tmp_path):
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
            ],
        )
        page = browser.new_page(viewport={"width": 1200, "height": 800})
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(server + "/")
        page.wait_for_function("document.body.dataset.drawn !== undefined", timeout=30_000)

        def drawn_paths():
            return page.evaluate("""() => Object.fromEntries(document.getElementById('plot').data
                .filter(t => t.meta === 'path').map(t => [t.name, t.x.map((x, i) => [x, t.y[i]])]))""")

        before = drawn_paths()
        assert set(before) == {"sgd", "momentum", "adam"}
        # At the opening view plain SGD stays plain: its path is not momentum's, nor its final loss.
        assert before["sgd"] != before["momentum"]
        losses = page.evaluate("Object.fromEntries(window.descendPaths.map(p => [p.optimizer, p.loss.at(-1)]))")
        assert losses["sgd"] != losses["momentum"]
        # Every slider names the optimizers it changes.
        assert page.inner_text("#momentum-targets") == "changes momentum, nesterov, sgd_schedulefree"
        assert page.inner_text("#beta1-targets") == "changes " + ", ".join(BETAS)
        ticket = page.evaluate("document.body.dataset.drawn")
        page.evaluate("""() => { const slider = document.getElementById('lr');
                                 slider.value = '-2.5'; slider.dispatchEvent(new Event('input')); }""")
        page.wait_for_function(f"document.body.dataset.drawn !== '{ticket}'", timeout=30_000)
        after = drawn_paths()
        assert after["adam"] != before["adam"]
        lr = 10**-2.5
        expected = client.get(
            "/api/path",
            params={
                "function": "rosenbrock",
                "optimizer": "adam",
                "lr": lr,
                "iters": 300,
                "x0": -1.5,
                "y0": 2.0,
                "beta1": 0.9,
                "beta2": 0.999,
                "momentum": 0.9,
            },
        ).json()
        np.testing.assert_allclose(np.array(after["adam"]), np.array(expected["path"]), rtol=1e-12)
        assert page.locator("#panel tbody tr").count() == 3
        # A click on the surface moves the start of every path there.
        ticket = page.evaluate("document.body.dataset.drawn")
        box = page.locator("#plot .nsewdrag").first.bounding_box()
        page.mouse.click(box["x"] + 0.75 * box["width"], box["y"] + 0.25 * box["height"])
        page.wait_for_function(f"document.body.dataset.drawn !== '{ticket}'", timeout=30_000)
        start = page.evaluate("window.descendPaths.map(p => p.path[0])")
        assert all(point == start[0] for point in start) and start[0] != [-1.5, 2.0]
        assert 0.5 < start[0][0] < 1.5 and 1.5 < start[0][1] < 2.5  # three quarters across, a quarter down
        page.screenshot(path=str(tmp_path / "explorer.png"))
        assert (tmp_path / "explorer.png").stat().st_size > 10_000
        browser.close()
    assert errors == []
