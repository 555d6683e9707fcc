"""The suite tells the truth on any machine: a test that needs an optional package takes it through
``helpers.extras.needs`` (skipped, with the reason and the extra to install, where it is missing; failed
where ``make test`` says every extra is there), never through an import of its own, so that
``make test-minimal`` (the package and its ``test`` extra only) collects and runs every module.
Only the Dask tests (tests/dask_engine/) touch ``distributed`` and ``dask`` themselves; elsewhere a
test that runs ``--engine dask`` asks ``needs_dask()`` or uses the ``dask_cluster`` fixture.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import re
from pathlib import Path

import pytest

from helpers import extras

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
DASK_TESTS = TESTS / "dask_engine"
HELPERS = TESTS / "helpers"


def _test_modules() -> list[Path]:
    """Every test module, conftest and helper: what the suite imports."""
    return sorted(path for path in TESTS.rglob("*.py")
                  if path.name.startswith("test_") or path.name == "conftest.py" or path.parent == HELPERS)


def extra_imports(source: str, where: str, dask_allowed: bool) -> list[str]:
    """Every import statement of an optional package in ``source``, and (unless ``dask_allowed``)
    every ``needs("dask…")`` or ``needs("distributed…")``, as ``where:line: text``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        names = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names = [node.module or ""]
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "needs"
              and node.args and isinstance(node.args[0], ast.Constant) and not dask_allowed
              and str(node.args[0].value).split(".")[0] in ("dask", "distributed")):
            found.append((node.lineno, ast.unparse(node)))
        if any(name.split(".")[0] in extras.EXTRAS for name in names):
            found.append((node.lineno, ast.unparse(node)))
    return [f"{where}:{line}: {text}" for line, text in sorted(found)]


def test_no_test_imports_an_optional_package_itself():
    found = []
    for path in _test_modules():
        if path == TESTS / "conftest.py":
            continue  # the dask_cluster fixture itself
        found += extra_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)),
                               dask_allowed=DASK_TESTS in path.parents)
    assert found == []


def test_the_scan_finds_each_way_of_importing():
    source = ("import pyarrow as pa\n"
              "from orjson import dumps\n"
              "def test():\n"
              "    import distributed\n"
              "    needs('distributed')\n"
              "    needs('pyarrow')\n"
              "    from divcli import dask_engine\n"
              "    from . import helpers\n")
    assert extra_imports(source, "t.py", dask_allowed=False) == [
        "t.py:1: import pyarrow as pa", "t.py:2: from orjson import dumps", "t.py:4: import distributed",
        "t.py:5: needs('distributed')"]
    assert extra_imports(source, "t.py", dask_allowed=True)[-1] == "t.py:4: import distributed"


def test_the_test_extra_pulls_in_no_optional_package():
    """``pip install '.[test]'`` is what make test-minimal installs: none of the extras may come with it."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")  # (tomllib is Python 3.11+)
    lists = [re.search(rf"^{key} = \[(.*?)^\]", text, re.M | re.S).group(1) for key in ("dependencies", "test")]
    names = {re.match(r"[A-Za-z0-9_.-]+", requirement).group(0).lower()
             for requirement in re.findall(r'^\s*"([^"]+)"', "".join(lists), re.M)}
    assert names & set(extras.EXTRAS) == set()
    assert names >= {"click", "numpy", "rich", "pytest", "hypothesis"}


@pytest.mark.parametrize("required", [False, True], ids=["skipped", "failed"])
def test_a_missing_package_is_skipped_with_its_extra_or_failed_when_required(tmp_path, required):
    (tmp_path / "test_one.py").write_text("from helpers.extras import needs\n"
                                          "def test_it():\n"
                                          "    needs('numpy')\n"
                                          "    needs('not_a_module_anywhere_xyz')\n")
    env = {key: value for key, value in os.environ.items() if key != extras.EXTRAS_REQUIRED}
    if required:
        env[extras.EXTRAS_REQUIRED] = "1"
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), str(TESTS)])
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider", "-p",
                             "no:randomly", str(tmp_path / "test_one.py")], cwd=tmp_path, env=env,
                            capture_output=True, text=True, timeout=120)
    if required:
        assert result.returncode == 1 and "1 failed" in result.stdout, result.stdout
        assert f"{extras.EXTRAS_REQUIRED} is set" in result.stdout
    else:
        assert result.returncode == 0 and "1 skipped" in result.stdout, result.stdout
        assert "needs not_a_module_anywhere_xyz, which is not installed" in result.stdout
