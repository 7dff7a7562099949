"""The documentation builds with no warning, offline, and covers the public API.

The build writes to docs/_build/html, the folder .ci/run builds into after the tests, so that second
build only redoes what changed. Skipped where the docs tools are not installed (pip install -e ".[docs]").
"""

import importlib
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("numpydoc")
pytest.importorskip("sphinx_gallery")

ROOT = Path(__file__).parents[2]
HTML = ROOT / "docs" / "_build" / "html"
REMOTE = re.compile(r"<(?:script|link)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I)


@pytest.fixture(scope="module")
def site():
    build = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", "docs", str(HTML)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert build.returncode == 0, build.stderr[-5000:]
    return HTML


def test_no_page_loads_a_script_or_stylesheet_from_the_network(site):
    pages = list(site.rglob("*.html"))
    assert len(pages) > 40
    offenders = {
        str(page.relative_to(site)): REMOTE.findall(page.read_text(errors="replace"))[:3]
        for page in pages
        if REMOTE.search(page.read_text(errors="replace"))
    }
    assert offenders == {}
    # MathJax is the local copy.
    assert 'src="../_static/mathjax/tex-chtml.js' in (site / "user_guide" / "momentum.html").read_text()
    assert (site / "_static" / "mathjax" / "tex-chtml.js").exists()
    assert not (site / "auto_examples" / "sg_execution_times.html").exists()


def test_every_public_name_has_an_entry(site):
    import descend

    sys.path.insert(0, str(ROOT / "docs"))
    try:
        conf = importlib.import_module("conf")
    finally:
        sys.path.remove(str(ROOT / "docs"))
    missing = []
    for module_name in conf.PUBLIC_MODULES:
        page = (site / "api" / "generated" / f"{module_name}.html").read_text()
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if isinstance(getattr(module, name), types.ModuleType):
                assert f"{getattr(module, name).__name__}.html" in page
            elif (
                f'id="{module_name}.{name}"' not in page
                and f'<span class="sig-name descname"><span class="pre">{name}</span>' not in page
            ):
                missing.append(f"{module_name}.{name}")
    assert missing == []
    # Every public module (no leading underscore, an __all__) has its page.
    import pkgutil

    public = {
        m.name
        for m in pkgutil.walk_packages(descend.__path__, "descend.")
        if not any(part.startswith("_") for part in m.name.split(".")[1:])
        and hasattr(importlib.import_module(m.name), "__all__")
    }
    assert public <= set(conf.PUBLIC_MODULES)


def test_the_adam_entry_has_parameters_math_and_an_example(site):
    # indexed on its family's page, descend.optimizers.adam (descend.optimizers links to it)
    page = (site / "api" / "generated" / "descend.optimizers.adam.html").read_text()
    entry = page[page.index('id="descend.optimizers.adam.Adam"') : page.index('id="descend.optimizers.adam.AdamW"')]
    assert 'href="descend.optimizers.adam.html' in (site / "api" / "generated" / "descend.optimizers.html").read_text()
    assert "Parameters" in entry and "betas" in entry and "Examples" in entry and "Kingma" in entry
    assert "\\beta_1" in entry  # the update's math, rendered by MathJax in the browser


def test_every_gallery_page_shows_a_figure_the_build_drew(site):
    pages = sorted((site / "auto_examples").glob("plot_*.html"))
    assert len(pages) >= 12
    for page in pages:
        images = re.findall(r'<img[^>]+src="([^"]+sphx_glr_plot_[^"]+_0\d\d\.png)"', page.read_text())
        assert images, page.name
        assert all((page.parent / image).resolve().exists() for image in images)
