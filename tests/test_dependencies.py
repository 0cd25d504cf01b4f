"""A plain ``pip install glassnet`` pulls exactly what the package imports: no more, no less.

Optional features (the ``onnx`` extra) import their packages inside the functions that
need them, so ``import glassnet`` works without them.
"""

import ast
import re
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parents[1]
IMPORT_NAME = {"pillow": "PIL"}   # distributions whose import name differs from their own
FEATURE_EXTRAS = ("onnx",)        # extras that add features (not the test or bench tools)


def _names(specs):
    names = (re.match(r"[A-Za-z0-9_.-]+", spec).group(0).lower() for spec in specs)
    return {IMPORT_NAME.get(name, name.replace("-", "_")) for name in names}


def project():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]


def declared():
    """The import names of ``[project] dependencies`` in pyproject.toml."""
    return _names(project()["dependencies"])


def optional():
    """The import names of the feature extras (``pip install 'glassnet[onnx]'``)."""
    extras = project()["optional-dependencies"]
    return set().union(*(_names(extras[name]) for name in FEATURE_EXTRAS))


def _imports(tree, inside_functions=True):
    modules, stack = set(), [tree]
    while stack:
        node = stack.pop()
        if isinstance(node, ast.Import):
            modules.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            modules.add(node.module.split(".")[0])
        if inside_functions or not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(node))
    return modules


def imported(inside_functions=True):
    """Every top-level module that src/glassnet imports (also inside functions, unless told)."""
    modules = set()
    for path in (ROOT / "src" / "glassnet").rglob("*.py"):
        modules |= _imports(ast.parse(path.read_text(), str(path)), inside_functions)
    return modules - set(sys.stdlib_module_names) - {"glassnet"}


def test_runtime_dependencies_are_exactly_the_imported_packages():
    assert imported() - optional() == declared()


def test_optional_packages_are_imported_only_inside_the_functions_that_need_them():
    assert optional() <= imported()                        # each extra is used somewhere
    assert not imported(inside_functions=False) & optional()


def test_no_framework_inside_the_engine():
    assert not imported() & {"torch", "tensorflow", "keras", "jax", "numba", "mlxtend", "autograd"}
