"""A plain ``pip install glassnet`` pulls exactly what the package imports: no more, no less."""

import ast
import re
import sys
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib", reason="tomllib is in the standard library from Python 3.11")

ROOT = Path(__file__).resolve().parents[1]
IMPORT_NAME = {"pillow": "PIL"}   # distributions whose import name differs from their own


def declared():
    """The import names of ``[project] dependencies`` in pyproject.toml."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    names = (re.match(r"[A-Za-z0-9_.-]+", spec).group(0).lower() for spec in project["dependencies"])
    return {IMPORT_NAME.get(name, name.replace("-", "_")) for name in names}


def imported():
    """Every top-level module that src/glassnet imports (at the top or inside a function)."""
    modules = set()
    for path in (ROOT / "src" / "glassnet").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - {"glassnet"}


def test_runtime_dependencies_are_exactly_the_imported_packages():
    assert imported() == declared()


def test_no_framework_inside_the_engine():
    assert not imported() & {"torch", "tensorflow", "keras", "jax", "numba", "threadpoolctl", "mlxtend"}
