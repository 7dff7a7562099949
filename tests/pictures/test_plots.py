"""Pictures: the files are written and valid, and what is drawn is what minimize computed."""

import numpy as np
import pytest
from PIL import Image

from descend import minimize, plot
from descend.functions import get_function
from descend.optimizers import get_optimizer

PNG = b"\x89PNG\r\n\x1a\n"


def drawn(ax, label):
    # paths() labels a run "name: f = ... after n steps"; the other pictures by its name alone.
    line = next(line for line in ax.lines if line.get_label().split(":")[0] == label)
    return np.column_stack(line.get_data())


def test_paths_draws_minimizes_paths(tmp_path):
    f = get_function("rosenbrock")
    runs = plot.run_paths("rosenbrock", ["sgd", "adam"], lr={"sgd": 1e-3, "adam": 0.05}, iters=150)
    figure = plot.paths("rosenbrock", runs, path=tmp_path / "paths.png")
    assert (tmp_path / "paths.png").read_bytes()[:8] == PNG
    expected = minimize(f, f.start, get_optimizer("adam", lr=0.05), max_iter=150, tol=None).path
    np.testing.assert_array_equal(drawn(figure.axes[0], "adam"), expected)
    assert drawn(figure.axes[0], "sgd").shape == (151, 2)


def test_the_seed_visualizer_in_one_call(tmp_path):
    figure = plot.compare_optimizers(path=tmp_path / "seed.png")
    assert [ax.get_title().split(" ")[0] for ax in figure.axes] == ["sgd", "momentum", "adagrad"]
    f = get_function("bowl")
    expected = minimize(f, f.start, get_optimizer("momentum", lr=0.05), max_iter=50, tol=None).path
    np.testing.assert_array_equal(drawn(figure.axes[1], "momentum"), expected)
    with Image.open(tmp_path / "seed.png") as image:
        assert image.format == "PNG" and image.size[0] > 2 * image.size[1]


def test_an_optimizer_the_lr_dict_does_not_name_runs_at_its_default_rate():
    figure = plot.compare_optimizers("bowl", ("sgd", "adam"), lr={"sgd": 0.1}, iters=20)
    assert [ax.get_title().split(":")[0] for ax in figure.axes] == ["sgd (lr 0.1)", "adam (lr 0.001)"]
    f = get_function("bowl")
    expected = minimize(f, f.start, get_optimizer("adam"), max_iter=20, tol=None).path
    np.testing.assert_array_equal(drawn(figure.axes[1], "adam"), expected)


def test_the_readme_shows_the_committed_seed_picture():
    from pathlib import Path

    root = Path(__file__).parents[2]
    assert "docs/seed_visualizer.png" in (root / "README.md").read_text()
    assert (root / "docs" / "seed_visualizer.png").read_bytes()[:8] == PNG


def test_gif_has_one_frame_per_step_batch(tmp_path):
    runs = plot.run_paths("bowl", ["sgd", "momentum"], lr=0.1, iters=40)
    frames = plot.animate_paths("bowl", runs, tmp_path / "paths.gif", steps_per_frame=5)
    assert frames == 40 // 5 + 1  # steps 0, 5, ..., 40
    with Image.open(tmp_path / "paths.gif") as image:
        assert image.format == "GIF" and image.n_frames == frames
    with pytest.raises(ValueError, match=".gif or .mp4"):
        plot.animate_paths("bowl", runs, tmp_path / "paths.png")


def test_loss_curves(tmp_path):
    from descend import GDRegressor
    from descend.schedules import StepDecay

    rng = np.random.default_rng(0)
    X = rng.standard_normal((300, 3))
    y = X.sum(axis=1) + 0.1 * rng.standard_normal(300)
    model = GDRegressor(
        batch_size=16,
        schedule=StepDecay(0.05, 0.5, 50),
        early_stopping=True,
        max_iter=30,
        n_iter_no_change=100,
        tol=None,
        random_state=0,
    ).fit(X, y)
    figure = plot.loss_curve(model, path=tmp_path / "loss.png")
    assert len(figure.axes) == 2  # the learning rate on a second axis
    assert figure.axes[0].get_yscale() == "log"
    labels = [line.get_label() for line in figure.axes[0].lines]
    assert labels == ["training", "validation"]
    np.testing.assert_array_equal(figure.axes[0].lines[0].get_ydata(), model.history_["loss"])
    f = get_function("beale")
    runs = {name: minimize(f, f.start, name, lr=0.01, max_iter=100, tol=None) for name in ("adam", "rmsprop")}
    figure = plot.loss_curve(runs, path=tmp_path / "two.svg")
    assert (tmp_path / "two.svg").read_text().lstrip().startswith("<?xml")
    assert len(figure.axes) == 1 and len(figure.axes[0].lines) == 2


def test_an_axes_of_a_subfigure_saves_the_whole_figure(tmp_path):
    import matplotlib.pyplot as plt

    whole = plt.figure()
    left, right = whole.subfigures(1, 2)
    f = get_function("bowl")
    runs = {"sgd": minimize(f, f.start, "sgd", lr=0.1, max_iter=20, tol=None)}
    figure = plot.loss_curve(runs, ax=left.subplots(), path=tmp_path / "curve.png")
    assert figure is whole and Image.open(tmp_path / "curve.png").size[0] > 0
    assert plot.paths("bowl", runs, ax=right.subplots(), path=tmp_path / "paths.png") is whole
    plt.close(whole)


def test_effects_draws_each_level_in_order(tmp_path):
    import pandas as pd

    months = pd.Series([-0.5, 0.1, 0.4], index=["Jan", "Feb", "March"])
    hours = {hour: 0.1 * hour - 1.15 for hour in range(24)}
    figure = plot.effects({"month": months, "hour": hours}, title="effects", path=tmp_path / "effects.png")
    assert (tmp_path / "effects.png").read_bytes()[:8] == PNG
    assert [ax.get_title() for ax in figure.axes] == ["month", "hour"]
    assert [t.get_text() for t in figure.axes[0].get_xticklabels()] == ["Jan", "Feb", "March"]
    np.testing.assert_array_equal(figure.axes[0].lines[0].get_ydata(), months.to_numpy())
    np.testing.assert_array_equal(figure.axes[1].lines[0].get_ydata(), list(hours.values()))
    assert [t.get_text() for t in figure.axes[1].get_xticklabels()][-1] == "23"
    assert [p.name for p in tmp_path.iterdir()] == ["effects.png"]  # written whole: no temporary file left


def test_learning_rate_grid_marks_divergence(tmp_path):
    figure = plot.learning_rate_grid("bowl", "sgd", [0.05, 0.2, 0.45, 2.0], iters=60, path=tmp_path / "grid.png")
    titles = [ax.get_title() for ax in figure.axes if ax.get_visible()]
    assert titles[:3] == ["sgd, lr 0.05", "sgd, lr 0.2", "sgd, lr 0.45"] and "diverged" in titles[3]


@pytest.mark.parametrize(
    "name,check",
    [
        ("p.png", lambda data: data[:8] == PNG),
        ("p.svg", lambda data: b"<svg" in data[:2000]),
        ("p.gif", lambda data: data[:6] in (b"GIF89a", b"GIF87a")),
        ("p.html", lambda data: b"plotly" in data and b'src="http' not in data),  # plotly.js inside, no CDN
    ],
)
def test_descend_paths_writes_each_format(tmp_path, name, check, run_cli):
    out = run_cli(
        "paths",
        "--function",
        "himmelblau",
        "--optimizers",
        "sgd,nesterov",
        "--lr",
        "sgd=0.01,nesterov=0.002",
        "--start",
        "0,0",
        "--iters",
        "60",
        "--out",
        name,
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    assert check((tmp_path / name).read_bytes())


@pytest.mark.parametrize(
    "args,message",
    [
        (("--function", "everest"), "Unknown function 'everest'; valid names are: bowl, rosenbrock"),
        (("--optimizers", "sgd,adamm"), "Unknown optimizer 'adamm'; valid names are: sgd, momentum"),
        (("--optimizers", ","), "--optimizers names none"),
        (("--lr", "adam=fast"), "--lr must be a number or name=number pairs"),
        (("--start", "1"), "--start must be two numbers"),
    ],
)
def test_descend_paths_bad_input(tmp_path, args, message, run_cli):
    out = run_cli("paths", *args, "--out", "p.png", cwd=tmp_path)
    error = out.stderr.strip()
    assert out.returncode == 2 and error.startswith("error: ")
    assert error.removeprefix("error: ").startswith(message) and "Traceback" not in error
    assert not (tmp_path / "p.png").exists()


def test_rosenbrock_is_filled_on_log_levels_so_its_valley_shows():
    # Linear levels would paint the valley (half the grid lies in the lowest tenth of the heights) one colour.
    figure = plot.paths("rosenbrock", plot.run_paths("rosenbrock", ["adam"], lr=0.05, iters=50))
    filled = figure.axes[0].collections[0]
    levels = np.asarray(filled.levels)
    assert np.allclose(np.diff(np.log(levels)), np.log(levels[1] / levels[0]))  # geometric
    f = get_function("rosenbrock")
    x, y, Z, _ = plot.height_grid(f, 300)
    valley = Z < np.quantile(Z, 0.5)  # the lower half of the grid spans many levels, not one
    assert np.unique(np.digitize(Z[valley] - Z.min(), levels - levels[0])).size > 10
    assert not plot.spans_decades(plot.height_grid(get_function("bowl"), 100)[2])  # a bowl keeps linear levels


def test_the_legend_says_where_each_run_ended():
    runs = plot.run_paths("rosenbrock", ["sgd", "adam"], lr={"sgd": 1e-3, "adam": 0.05}, iters=150)
    figure = plot.paths("rosenbrock", runs)
    f = get_function("rosenbrock")
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels == [
        f"sgd: f = {f.value(runs['sgd'][-1]):.3g} after 150 steps",
        f"adam: f = {f.value(runs['adam'][-1]):.3g} after 150 steps",
    ]
