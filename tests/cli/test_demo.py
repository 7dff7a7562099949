"""The command line, run as a user runs it: a real process."""

import pytest


def test_demo_races_every_optimizer_to_the_rosenbrock_minimum(run_cli):
    out = run_cli("demo", "race")
    assert out.returncode == 0, out.stderr
    assert "Minimizing rosenbrock from (-1.5, 2); its minimum is 0 at (1, 1)." in out.stdout
    for name in (
        "sgd",
        "momentum",
        "nesterov",
        "adagrad",
        "rmsprop",
        "adam",
        "amsgrad",
        "adamw",
        "nadam",
        "adamax",
        "adadelta",
        "radam",
    ):
        assert f"│ {name} " in out.stdout
    rows = [line for line in out.stdout.splitlines() if line.startswith("│ adam ")]
    cells = [c.strip() for c in rows[0].strip("│").split("│")]
    assert cells[-1] == "yes" and float(cells[4]) < 1e-6  # adam reached (1, 1)


def test_demo_on_another_surface(run_cli):
    out = run_cli("demo", "race", "--function", "himmelblau", "--iters", "3000")
    assert out.returncode == 0, out.stderr
    assert "himmelblau" in out.stdout and "(3, 2)" in out.stdout


@pytest.mark.parametrize(
    "args,message",
    [
        (("demo", "race", "--function", "nope"), "error: Unknown function 'nope'; valid names are: bowl, rosenbrock"),
        (("demo", "race", "--iters", "0"), "error: Invalid value for '--iters'"),
        (("demo", "weather"), "error: Invalid value for 'which'"),
        (("fit",), "error: Missing argument 'data'"),
    ],
)
def test_bad_input_is_a_short_message_and_a_nonzero_exit(args, message, run_cli):
    out = run_cli(*args)
    assert out.returncode != 0
    assert message in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
    assert "Traceback" not in out.stderr + out.stdout


def test_help_lists_the_demo(run_cli):
    out = run_cli("--help")
    assert out.returncode == 0 and "demo" in out.stdout
