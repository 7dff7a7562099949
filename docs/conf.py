"""Sphinx configuration of descend's documentation.

Build it with ``python -m sphinx -W -b html docs docs/_build/html`` (``pip install -e ".[docs]"``).
The build uses no network: no intersphinx, MathJax from ``sphinx-mathjax-offline``, the theme's own
assets, and no sphinx-gallery execution-times page (its table pulls bootstrap and datatables from CDNs).
"""

import importlib
import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "src"))  # this checkout's descend, even when another is installed
sys.path.insert(0, str(HERE))  # gallery_order

import descend  # noqa: E402

project = "descend"
author = "the descend authors"
copyright = "the descend authors, BSD-3-Clause"
release = version = descend.__version__

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx-mathjax-offline",  # MathJax 3 copied into _static: no CDN
    "numpydoc",
    "sphinx_gallery.gen_gallery",
    "sphinx_copybutton",
    "matplotlib.sphinxext.plot_directive",
]

exclude_patterns = ["_build", "_screens", "**.ipynb_checkpoints", "api/generated/README.md"]
templates_path = []
html_theme = "pydata_sphinx_theme"
html_title = f"descend {release}"
html_static_path = ["_static"]
html_css_files = ["descend.css"]
html_theme_options = {
    "navigation_with_keys": False,
    "show_toc_level": 2,
    "footer_start": ["copyright"],
    "footer_end": ["sphinx-version"],
    "secondary_sidebar_items": ["page-toc"],
}
html_sidebars = {"index": []}
html_last_updated_fmt = None

# ---------------------------------------------------------------- autodoc + numpydoc
autodoc_default_options = {
    "member-order": "bysource",
    # scikit-learn's metadata-routing setters, made on every estimator class: documented by scikit-learn.
    "exclude-members": "set_fit_request,set_partial_fit_request,set_score_request,set_predict_request,"
                       # an optimizer's compiled step function: the module's docstring describes them
                       "step,row_step",
}
# A subclass's method without a docstring of its own (Adam.init) is documented once, on the base class.
autodoc_inherit_docstrings = False
autodoc_typehints = "none"  # numpydoc's Parameters sections say the types
autosummary_generate = False
numpydoc_show_class_members = False
numpydoc_xref_param_type = False
numpydoc_attributes_as_param_list = False
# A docstring that misses its Parameters or Returns section, documents a parameter that does not exist,
# or has no summary is a warning, so an error under -W.
numpydoc_validation_checks = {
    "GL08",  # the object has no docstring
    "SS01",  # no summary
    "PR01",  # a parameter is not documented
    "PR02",  # a documented parameter does not exist
    "RT01",  # no Returns section (functions that return something)
}
numpydoc_validation_exclude = {
    r"\._[a-z]",  # private names
    r"\.__[a-z]+__$",  # dunders
}
# Modules whose docstrings are still prose rather than numpydoc sections: rendered in the reference, but
# not yet validated. Converting one means removing it here and fixing what the build then reports.
# These two were being rewritten on other branches (streaming, Dask, loss metrics) when the others were
# converted: converting them then would only have made merge conflicts. (tests/docs/test_docstrings.py
# asks every other public class and function for an example.)
NOT_YET_VALIDATED = []
numpydoc_validation_exclude |= {rf"^descend\.{name}\." for name in NOT_YET_VALIDATED}

# ---------------------------------------------------------------- gallery
sphinx_gallery_conf = {
    "examples_dirs": ["../examples"],
    "gallery_dirs": ["auto_examples"],
    "filename_pattern": r"/plot_",
    "within_subsection_order": "gallery_order.ChapterOrder",  # only plot_*.py are run; the application scripts are not
    # housing.py and stocks.py run the applications (descend demo); the gallery has its own versions.
    "ignore_pattern": r"^(__init__|housing|stocks)\.py$",
    "download_all_examples": False,
    "write_computation_times": False,  # its page loads bootstrap, datatables and jquery from CDNs
    "backreferences_dir": None,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "show_signature": False,
    "image_scrapers": ("matplotlib",),
    "min_reported_time": 1e9,
}

# ---------------------------------------------------------------- plot directive (figures in the user guide)
plot_include_source = True
plot_html_show_source_link = False
plot_html_show_formats = False
plot_formats = [("png", 110)]
plot_rcparams = {"figure.figsize": (6.4, 4.0), "font.size": 10}
plot_pre_code = "import numpy as np\nimport matplotlib.pyplot as plt\n"

# ---------------------------------------------------------------- the API pages, from each module's __all__
# One page per public module (a module without a leading underscore that has __all__); every name in
# its __all__ gets an entry. Written at every build, so a new public name is documented (and validated
# by numpydoc) without touching the docs.
PUBLIC_MODULES = [
    "descend", "descend.minimize", "descend.optimizers", "descend.optimizers.sgd", "descend.optimizers.adaptive",
    "descend.optimizers.adam", "descend.optimizers.sign", "descend.optimizers.schedule_free",
    "descend.optimizers.rate_free", "descend.optimizers.matrix", "descend.optimizers.quasi_newton",
    "descend.optimizers.online",
    "descend.schedules", "descend.penalties", "descend.choices",
    "descend.losses", "descend.curvature", "descend.gradients", "descend.functions", "descend.exceptions",
    "descend.linear", "descend.io", "descend.datasets", "descend.features", "descend.text", "descend.readers",
    "descend.readers.tables", "descend.readers.stream", "descend.readers.svmlight",
    "descend.readers.vw", "descend.readers.lines", "descend.readers.dask_tables", "descend.online", "descend.murmurhash", "descend.metrics", "descend.plot", "descend.demos", "descend.cli",
]


def _canonical_page(obj, module_name):
    """The page that indexes ``obj``: its defining module's, if public; else the first page listing it."""
    home = getattr(obj, "__module__", None)
    for candidate in ([home] if home in PUBLIC_MODULES else []) + PUBLIC_MODULES:
        module = importlib.import_module(candidate)
        if any(getattr(module, n, None) is obj for n in module.__all__):
            return candidate
    return module_name


def _entry(module_name, name):
    """The autodoc directive for ``module.name``: a module link, a class, a function or a datum.

    An object listed by several modules is indexed on one page (its own module's) and shown with
    ``:no-index:`` and a link to it on the others.
    """
    module = importlib.import_module(module_name)
    obj = getattr(module, name)
    full = f"{module_name}.{name}"
    if isinstance(obj, type(sys)):
        return f".. rubric:: {name}\n\nThe module :doc:`{obj.__name__} <{obj.__name__}>`.\n"
    if isinstance(obj, (str, int, float, tuple, list, dict, frozenset)) or obj is None:
        return f".. autodata:: {full}\n   :annotation: = {_short_repr(obj)}\n"
    canonical = _canonical_page(obj, module_name) if isinstance(obj, type) or callable(obj) else module_name
    options = ""
    note = ""
    if canonical != module_name:
        options = "   :no-index:\n"
        note = f"\n   (Indexed on :doc:`{canonical} <{canonical}>`.)\n"
    if isinstance(obj, type):
        plain = issubclass(obj, BaseException) or _is_namedtuple(obj) or canonical != module_name
        if not plain and _private_bases(obj):
            # GDRegressor's fit and save live on a private base class: shown in its entry, as its own.
            others = [base.__name__ for base in obj.__mro__[1:] if base not in _private_bases(obj)]
            options += f"   :inherited-members: {', '.join(others)}\n"
        return f".. autoclass:: {full}\n{options}{'' if plain else '   :members:' + chr(10)}{note}"
    if hasattr(obj, "__code__") or type(obj).__name__ in ("CPUDispatcher", "builtin_function_or_method"):
        return f".. autofunction:: {full}\n{options}{note}"
    # An instance (the command line's Typer application): its type says what it is.
    kind = f"{type(obj).__module__.split('.')[0]}.{type(obj).__name__}"
    return f".. py:data:: {full}\n{options}\n   An instance of ``{kind}``.\n"


def _private_bases(cls):
    """The bases of ``cls`` that descend defines under a private name (``_BaseGD``)."""
    return [base for base in cls.__mro__[1:]
            if base.__module__.startswith("descend") and base.__name__.startswith("_")]


def _is_namedtuple(cls):
    return issubclass(cls, tuple) and hasattr(cls, "_fields")


def _short_repr(obj):
    text = repr(obj).replace("\n", " ")
    return text if len(text) <= 70 else text[:67] + "..."


def write_api_pages(app=None):
    out = HERE / "api" / "generated"
    out.mkdir(parents=True, exist_ok=True)
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        names = list(module.__all__)
        lines = [module_name, "=" * len(module_name), "", f".. automodule:: {module_name}", "   :no-members:", "",
                 ".. currentmodule:: " + module_name, ""]
        # The table lists the classes and functions (a datum's summary would be its type's docstring).
        functions = [n for n in names if isinstance(getattr(module, n), type) or hasattr(getattr(module, n), "__code__")
                     or type(getattr(module, n)).__name__ == "CPUDispatcher"]
        if functions:
            lines += [".. autosummary::", ""] + [f"   {n}" for n in functions] + [""]
        for name in names:
            lines += [_entry(module_name, name), ""]
        text = "\n".join(lines)
        target = out / f"{module_name}.rst"
        if not target.exists() or target.read_text() != text:  # unchanged files keep Sphinx's cache valid
            target.write_text(text)
    for page in out.glob("descend*.rst"):  # a module renamed or removed leaves no page behind
        if page.stem not in PUBLIC_MODULES:
            page.unlink()


write_api_pages()
