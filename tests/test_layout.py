"""The layout: packages in layers, imports only downwards and without cycles, and no module reaching
into another's private names.

The layers, bottom to top (a module imports its own layer and those below, never one above)::

    vocabulary, errors, registries, fields  <  readers  <  numerics  <  measures  <  engine  <  computations  <  output
        <  dask_engine  <  cli, api (and the package itself)

Every import counts: at the top of a module, inside a function (the lazy ones) and under
``TYPE_CHECKING``. A name that starts with one underscore is its module's own; what another module
needs is public. The scans read every module of divcli/ (no import): ``from .x import _name`` (or
``from divcli.x``) and ``x._name`` where ``x`` was imported from divcli, by name or as a module.
``__future__`` and dunder names (``__version__``) are allowed.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

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


#: The layers, bottom to top: a module's first name under divcli/ says its layer.
LAYERS = [{"vocabulary", "errors", "registries", "fields"}, {"readers"}, {"numerics"}, {"measures"}, {"engine"}, {"computations"},
          {"output"}, {"dask_engine"}, {"cli", "api", "__init__", "__main__"}]


def module_name(path: Path, root: Path = ROOT) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path = ROOT) -> set[str]:
    """The divcli modules ``path`` imports anywhere (a name imported from a package that is a module
    of it counts as that module)."""
    here = module_name(path, root)
    package = here if path.name == "__init__.py" else here.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and _ours(node):
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module
            for alias in node.names:
                sub = f"{module}.{alias.name}"
                found.add(sub if _exists(sub, root) else module)
        elif isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.split(".")[0] == "divcli"}
    found.discard(here)
    return found


def _exists(module: str, root: Path) -> bool:
    path = root.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def layer(module: str) -> int:
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else "__init__"
    return next(index for index, names in enumerate(LAYERS) if top in names)


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    return {module_name(path, root): imports_of(path, root) for path in sorted(root.rglob("*.py"))}


def test_every_module_has_a_layer():
    for module in graph():
        layer(module)  # StopIteration for a package no layer names


def upward_imports(root: Path = ROOT) -> list[str]:
    return [f"{module} imports {imported}" for module, imported_set in graph(root).items()
            for imported in sorted(imported_set)
            if imported.split(".")[0] == "divcli" and imported != "divcli" and layer(imported) > layer(module)]


def test_imports_go_down_the_layers():
    assert upward_imports() == []


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan), each sorted."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(node):
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in edges.get(node, ()):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                other = stack.pop()
                on_stack.discard(other)
                component.append(other)
                if other == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(edges):
        if node not in index:
            visit(node)
    return sorted(found)


def test_no_import_cycles():
    edges = graph()
    # a package's __init__ that names its modules' functions is not a cycle with them
    assert cycles({module: {imported for imported in targets if imported in edges} for module, targets in edges.items()}) == []


@pytest.mark.parametrize(("source", "words"), [
    ("from ..cli import run\n", "imports divcli.cli.run"),
    ("from ..output.tables import Table\n", "imports divcli.output.tables"),
    ("if TYPE_CHECKING:\n    from ..computations.runs import Collect\n", "imports divcli.computations.runs"),
    ("def f():\n    from ..engine import loop\n", "imports divcli.engine.loop"),
])
def test_the_layer_check_finds_an_upward_import(tmp_path, source, words):
    """Each way of importing upwards, written into a copy of a low module, is found."""
    import shutil

    copy = tmp_path / "divcli"
    shutil.copytree(ROOT, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "readers" / "blocks.py").write_text((copy / "readers" / "blocks.py").read_text() + source)
    assert upward_imports(copy) == [f"divcli.readers.blocks {words}"]


def test_the_cycle_check_finds_a_cycle():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": set()}) == []
