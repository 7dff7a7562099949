"""The version, from one place: the package's metadata, descend.__version__, descend --version, the changelog."""

import importlib.metadata
from pathlib import Path

import descend

ROOT = Path(__file__).resolve().parents[2]


def test_the_version_is_read_from_one_place(run_cli):
    assert importlib.metadata.version("descend") == descend.__version__
    run = run_cli("--version")
    assert run.returncode == 0 and run.stdout == f"descend {descend.__version__}\n"
    assert "version =" not in (ROOT / "pyproject.toml").read_text().split("[tool.setuptools.dynamic]")[0]
    assert f"\n## {descend.__version__}\n" in (ROOT / "CHANGELOG.md").read_text()
