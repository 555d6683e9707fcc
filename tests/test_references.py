"""Names in the prose point at real things: every Sphinx-style reference in a docstring or comment of
divcli/ (``:func:`~divcli.engine.loop.run_computation```, ``:class:`Operand```, ``:mod:`.request```)
and every ``divcli.<module>.<name>`` written in divcli/ or in the documentation names a module, or a
name a module defines, imports or gives its instances. A module or function that moves or is renamed
leaves no stale name behind.

The modules are read, never imported (numba, Dask and pyarrow need not be installed): a module's
names are its top-level definitions, assignments and imports, a class's its methods, its class-level
names and what its methods assign to ``self``.
"""

from __future__ import annotations

import ast
import builtins
import re
from functools import cache
from pathlib import Path

from helpers.doc_examples import ROOT

PACKAGE = ROOT / "divcli"
ROLE = re.compile(r":(?:func|class|mod|data|attr|meth|exc|obj):`~?([^`<>\s]+?)(?:\(\))?`")
DOTTED = re.compile(r"(?<![\w./-])divcli(?:\.[A-Za-z_]\w*)+")
#: What the prose writes after ``divcli.`` that is not a Python name: files, the codecs, a Click meta key and
#: the made-up module of development.md's example.
NOT_NAMES = re.compile(r"^divcli\.(ascii|json|threads|fish|output\.tsv)\b|\.(py|md|svg|json)$")
#: Packages a reference may point into without divcli defining the name.
OUTSIDE = ("numpy", "click", "rich", "dask", "distributed", "pyarrow", "numba", "fsspec", "typing", "collections")


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(path): path for path in PACKAGE.rglob("*.py")}


@cache
def _tree(module: str) -> ast.Module:
    return ast.parse(MODULES[module].read_text(encoding="utf-8"))


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = module if MODULES[module].name == "__init__.py" else module.rpartition(".")[0]
    for _ in range(node.level - 1):
        package = package.rpartition(".")[0]
    return ".".join(part for part in (package, node.module) if part)


def _bound(nodes, module: str) -> dict[str, object]:
    """Name → its node (a def, a class, None for a value) or the ``(module, name)`` it was imported as."""
    names: dict[str, object] = {}
    for node in nodes:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            for target in node.targets if isinstance(node, ast.Assign) else [node.target]:
                for name in ast.walk(target):
                    if isinstance(name, ast.Name):
                        names[name.id] = None
        elif isinstance(node, ast.ImportFrom) and module:
            source = _absolute(module, node)
            for alias in node.names:
                names[alias.asname or alias.name] = (source, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                names[alias.asname or alias.name.split(".")[0]] = (alias.name if alias.asname else
                                                                   alias.name.split(".")[0], None)
        elif isinstance(node, (ast.If, ast.Try, ast.With)):
            names.update(_bound(ast.iter_child_nodes(node), module))
    return names


def _lazy(module: str) -> set[str]:
    """The names a package gives through its ``__getattr__``: the strings of its ``__all__`` and of its
    top-level tables (``_EXPORTS = {"Operand": "operand", ...}``)."""
    body = _tree(module).body
    if not any(isinstance(node, ast.FunctionDef) and node.name == "__getattr__" for node in body):
        return set()
    return {node.value for assign in body if isinstance(assign, (ast.Assign, ast.AnnAssign))
            for node in ast.walk(assign.value) if isinstance(node, ast.Constant) and isinstance(node.value, str)
            and node.value.isidentifier()}


def _members(cls: ast.ClassDef) -> set[str]:
    members = set(_bound(cls.body, ""))
    for node in ast.walk(cls):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "self":
            members.add(node.attr)
    for node in cls.body:  # an enum's members, a dataclass's fields: already in _bound
        if isinstance(node, ast.ClassDef):
            members.add(node.name)
    return members


def _walk(module: str, rest: list[str]) -> bool:
    """Is ``module.rest`` something? (A submodule, a name, a class's member, through imports.)"""
    if not rest:
        return True
    head, tail = rest[0], rest[1:]
    if f"{module}.{head}" in MODULES:
        return _walk(f"{module}.{head}", tail)
    found = _bound(_tree(module).body, module).get(head, False)
    if found is False:
        return head in _lazy(module)
    if isinstance(found, tuple):
        source, name = found
        if source.split(".")[0] != "divcli":
            return True  # numpy's, Click's: not divcli's to check
        if name is None:
            return source in MODULES and _walk(source, tail)
        if f"{source}.{name}" in MODULES:
            return _walk(f"{source}.{name}", tail)
        return source in MODULES and _walk(source, [name, *tail])
    if isinstance(found, ast.ClassDef) and tail:
        return tail[0] in _members(found) or any(
            isinstance(base, ast.Name) and _walk(module, [base.id, *tail]) for base in found.bases)
    return not tail or found is None  # an attribute of a value or a function's: not followed


def resolves(target: str, context: str | None = None) -> bool:
    """Does ``target``, written in module ``context`` (None: in the documentation), name something?"""
    if context and target.startswith("."):
        package = context if MODULES[context].name == "__init__.py" else context.rpartition(".")[0]
        target = package + target
    parts = target.split(".")
    if parts[0] in OUTSIDE or hasattr(builtins, target):
        return True
    starts = [(context, parts)] if context else []
    if context:
        starts.append((context.rpartition(".")[0] or context, parts))
    for length in range(len(parts), 0, -1):
        starts.append((".".join(parts[:length]), parts[length:]))
    if any(module in MODULES and _walk(module, rest) for module, rest in starts):
        return True
    # a method or attribute named alone, in its class's docstring
    return bool(context) and len(parts) == 1 and any(
        isinstance(node, ast.ClassDef) and parts[0] in _members(node) for node in ast.walk(_tree(context)))


def _broken(text: str, where: str, context: str | None, roles: bool) -> list[str]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        targets = [match.group(1) for match in ROLE.finditer(line)] if roles else []
        targets += [match.group(0) for match in DOTTED.finditer(line) if not NOT_NAMES.search(match.group(0))]
        found += [f"{where}:{number}: {target}" for target in targets if not resolves(target, context)]
    return found


def test_every_reference_in_the_code_names_something_that_exists():
    found = []
    for module, path in sorted(MODULES.items()):
        found += _broken(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)), module, roles=True)
    assert found == []


def test_every_divcli_name_in_the_documentation_exists():
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    found = []
    for page in pages:
        found += _broken(page.read_text(encoding="utf-8"), str(page.relative_to(ROOT)), None, roles=False)
    assert found == []


def test_the_check_finds_what_is_gone():
    assert resolves("divcli.engine.loop.run_computation") and resolves("divcli.readers.registry.Format")
    assert resolves("divcli.errors.DataError.template") and resolves("divcli.output.registry.Content.TOP")
    assert resolves(".request", "divcli.cli.run") and resolves("Operand", "divcli.readers.operand")
    assert not resolves("divcli.core.run") and not resolves("divcli.engine.loop.run_measures")
    assert not resolves("divcli.measures.catalogue.Measure.nothing") and not resolves(".firsts", "divcli.cli.run")
    assert _broken("see :func:`read_firsts` and divcli.kinds.Kind", "m.py", "divcli.readers.uniform", True) == [
        "m.py:1: read_firsts", "m.py:1: divcli.kinds.Kind"]


def test_the_layout_of_the_development_page_names_every_module():
    """docs/development.md's Layout lists each package's modules in its bullet (``- `readers/`: …``),
    the top-level ones anywhere in it: a module added without a word there fails."""
    text = (ROOT / "docs" / "development.md").read_text(encoding="utf-8")
    section = text.split("\n## Layout\n", 1)[1].split("\n## ", 1)[0]
    bullets = {}
    for bullet in re.split(r"\n- ", section)[1:]:
        first = re.match(r"`([\w/.]+)`", bullet)
        bullets[first.group(1).rstrip("/") if first.group(1).endswith("/") else ""] = bullet
    missing = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if path.stem in ("__init__", "__main__") or len(relative.parts) > 2:
            continue
        package = relative.parts[0] if len(relative.parts) == 2 else ""
        if f"`{path.name}`" not in (bullets.get(package, "") if package else section):
            missing.append(str(relative))
    assert missing == []
