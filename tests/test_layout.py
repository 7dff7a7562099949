"""The package's shape: imports run one way, underscores mean "this file only", and a light import stays light."""

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "src" / "descend"


def modules():
    """{dotted name: syntax tree} of every module of the package."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = (path, ast.parse(path.read_text()))
    return found


def _for_the_checker(tree):
    """The import statements under ``if TYPE_CHECKING:``, which never run."""
    return {
        id(inner)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
        for statement in node.body
        for inner in ast.walk(statement)
        if isinstance(inner, (ast.Import, ast.ImportFrom))
    }


def imports(name, path, tree, known):
    """(module imported, name taken or None, whether it runs) for every import of the package in
    ``tree``, those inside functions included, and those only the type checker reads (not run)."""
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    typing_only = _for_the_checker(tree)
    for node in ast.walk(tree):
        runs = id(node) not in typing_only
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "descend":
                    yield alias.name, None, runs
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if target.split(".")[0] != "descend":
                continue
            for alias in node.names:
                submodule = f"{target}.{alias.name}"
                yield (submodule, None, runs) if submodule in known else (target, alias.name, runs)


def import_graph():
    """({module: the modules it imports when it runs}, [private names taken across modules]).

    An import only the type checker reads is not an edge: it never runs, and two modules that work
    together may name each other's types. It may not take a private name, all the same."""
    found = modules()
    graph, taken = {}, []
    for name, (path, tree) in found.items():
        for target, imported, runs in imports(name, path, tree, found):
            while target not in found and "." in target:
                target = target.rsplit(".", 1)[0]
            if target != name and target in found:
                if runs:
                    graph.setdefault(name, set()).add(target)
                if imported and imported.startswith("_") and not imported.startswith("__"):
                    taken.append(f"{name} takes {target}.{imported}")
    return graph, taken


def test_no_import_cycle():
    edges, _ = import_graph()
    assert "descend.linear._steps" in edges["descend.linear._trainer"]  # the graph is read, imports in functions too
    assert "descend.linear" in edges["descend.io"]
    state = {}

    def visit(module, trail):
        state[module] = "open"
        for target in sorted(edges.get(module, ())):
            assert state.get(target) != "open", "import cycle: " + " -> ".join(trail + [module, target])
            if target not in state:
                visit(target, trail + [module])
        state[module] = "done"

    for module in sorted(edges):
        if module not in state:
            visit(module, [])


def test_no_module_takes_another_modules_private_names():
    _, taken = import_graph()
    assert taken == []


def _statement_lines(node) -> int:
    """Lines on which a statement of ``node`` starts, docstrings aside.

    How many physical lines a statement takes is the formatter's choice (ruff format puts each of a long
    call's arguments on a line of its own, so a command's 40 options are 100 lines); the lines that start
    statements measure the logic, however it is laid out.
    """
    docstrings = {
        inner.body[0].lineno
        for inner in ast.walk(node)
        if isinstance(inner, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and ast.get_docstring(inner)
    }
    starts = {inner.lineno for inner in ast.walk(node) if isinstance(inner, ast.stmt) and inner is not node}
    return len(starts - docstrings)


def test_the_parts_are_small():
    """No class over 240 lines of statements; no function over 60, compiled kernels aside.

    Docstrings do not count: a numpydoc entry (parameters, returns, raises, examples) is as
    long as the documentation needs.
    """
    too_long = []
    for name, (_, tree) in modules().items():
        for node in ast.walk(tree):
            if not isinstance(node, (ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            length = _statement_lines(node)
            if isinstance(node, ast.ClassDef) and length > 240:
                too_long.append(f"class {name}.{node.name}: {length} lines of statements")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and length > 60:
                compiled = any("jit" in ast.unparse(d) for d in node.decorator_list)
                if not compiled:
                    too_long.append(f"function {name}.{node.name}: {length} lines of statements")
    assert too_long == []


def test_import_descend_loads_no_heavy_library():
    code = (
        "import sys, descend; descend.minimize; from descend import minimize; "
        "print(sorted(m for m in ('sklearn', 'pandas', 'pyarrow', 'matplotlib', 'dask') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_the_estimators_load_on_first_use():
    code = (
        "import sys, descend; assert 'sklearn' not in sys.modules; model = descend.GDRegressor(); "
        "print(type(model).__module__, 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["descend.linear._estimators", "True"]


def test_the_lazy_names_are_those_the_type_checker_reads():
    """descend/__init__.py says where each name lives twice: in _LAZY and _MODULES, which run, and in
    the imports under TYPE_CHECKING, which the type checker reads. The two must agree, and cover __all__."""
    import descend

    tree = ast.parse((PACKAGE / "__init__.py").read_text())
    checked = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING":
            for statement in node.body:
                module = "descend" + ("." + statement.module if statement.module else "")
                for alias in statement.names:
                    checked[alias.name] = module
    lazy = {**descend._LAZY, **{name: "descend" for name in descend._MODULES}}
    assert checked == lazy
    assert set(descend.__all__) == set(lazy) | {"__version__"}
    code = "import descend.minimize, descend; print(callable(descend.minimize), type(descend.minimize).__name__)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["True", "function"]  # the function, though the module of that name was imported
