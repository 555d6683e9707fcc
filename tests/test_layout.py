"""The layout (issue 14 item 4): no module of divcli reaches into another's private names.

A name that starts with one underscore is its module's own; what another module needs is public.
The scan reads every module of divcli/ (no import): ``from .x import _name`` (or ``from divcli.x``)
and ``x._name`` where ``x`` was imported from divcli, by name or as a module. ``__future__`` and
dunder names (``__version__``) are allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "divcli"


def _private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _ours(node: ast.ImportFrom) -> bool:
    return node.level > 0 or (node.module or "").split(".")[0] == "divcli"


def private_uses(source: str, where: str) -> list[str]:
    """Every use in ``source`` of another divcli module's private name, as ``where:line: text``."""
    tree = ast.parse(source)
    imported: set[str] = set()  # local names bound to a divcli module or to a name from one
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module != "__future__" and _ours(node):
            for alias in node.names:
                if _private(alias.name):
                    found.append((node.lineno, f"from {'.' * node.level}{node.module or ''} import {alias.name}"))
                imported.add(alias.asname or alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "divcli":
                    imported.add(alias.asname or alias.name.split(".")[0])
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            base = node.value
            while isinstance(base, ast.Attribute):  # divcli.engine._x: the name at the root
                base = base.value
            if isinstance(base, ast.Name) and base.id in imported:
                found.append((node.lineno, ast.unparse(node)))
    return [f"{where}:{line}: {text}" for line, text in sorted(found)]


def test_no_module_imports_a_private_name_of_another():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        found += private_uses(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT.parent)))
    assert found == []


def test_the_scan_finds_each_way_of_reaching_in():
    source = ("from __future__ import annotations\n"
              "from . import engine\n"
              "from .report import _unsure, Report\n"
              "from ..output import registry as sinks\n"
              "import divcli.firsts\n"
              "import numpy.lib.format as npy_format\n"
              "engine._steps(1)\n"
              "sinks._FORMATS\n"
              "divcli.firsts._make_uniform\n"
              "Report._fields\n"
              "npy_format._read_array_header\n"  # numpy's: not divcli's to fix
              "engine.__name__\n"
              "self._own\n")
    assert [use.split(": ", 1)[1] for use in private_uses(source, "m.py")] == [
        "from .report import _unsure", "engine._steps", "sinks._FORMATS", "divcli.firsts._make_uniform",
        "Report._fields"]
