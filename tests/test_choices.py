"""descend.choices: the one list of each kind of name, equal to the registry of the module that defines them."""

import subprocess
import sys

from descend import choices, functions, losses, optimizers, schedules
from descend.readers import stream, tables


def test_each_registry_knows_exactly_the_names_of_its_list():
    assert tuple(optimizers._NAMED) == choices.OPTIMIZER_NAMES
    assert tuple(optimizers._MATRIX_NAMED) == choices.MATRIX_OPTIMIZER_NAMES
    assert tuple(optimizers._ROW_NAMED) == choices.ROW_OPTIMIZER_NAMES
    assert tuple(optimizers._FULL_BATCH_NAMED) == choices.FULL_BATCH_OPTIMIZER_NAMES
    assert tuple(functions._NAMED) == choices.FUNCTION_NAMES
    assert tuple(schedules._NAMED) + ("cosine",) == choices.SCHEDULE_NAMES
    assert set(losses.LOSSES) == set(choices.REGRESSION_LOSSES + choices.CLASSIFICATION_LOSSES + ("multinomial",))
    for name in choices.SCHEDULE_NAMES:
        schedules.get_schedule(name, 0.1, total_steps=10, **({"alpha": 1e-4} if name == "optimal" else {}))
    assert stream.DEFAULT_MEMORY == choices.DEFAULT_MEMORY and tables.HASHED_FEATURES == choices.HASHED_FEATURES


HEAVY = ("numpy", "numba", "pandas", "scipy", "sklearn", "pyarrow")


def test_the_command_lines_help_loads_no_numerical_library():
    # What keeps `descend --help` and `descend fit --help` quick (BENCHMARKS.md times them): they import
    # neither NumPy nor anything that compiles.
    for args in (["--help"], ["fit", "--help"], ["learn", "--help"], ["demo", "--help"]):
        code = (
            "import sys\nsys.argv = ['descend'] + sys.argv[1:]\nfrom descend.cli import main\n"
            "try:\n    main()\nexcept SystemExit:\n    pass\n"
            f"print(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY!r}), file=sys.stderr)"
        )
        run = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60)
        assert run.stdout.startswith("Usage: descend") and run.stderr == "[]\n", (args, run.stderr)
