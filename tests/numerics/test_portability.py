"""``make test`` runs the numeric tests again with numpy's AVX-512 kernels off: that run must reach
numpy, and the ``numeric`` mark must reach the modules that check numbers. Its last run compiles
numba's fused kernel for a generic CPU: numba must honour that, and not load the host's build.

Each module says itself that it is numeric (``pytestmark = pytest.mark.numeric``); a module checks
numbers when it is one of tests/numerics/ (the kernels against reference and exact values, and
their properties; this module checks only the Makefile and numpy's switch), reads a reference
fixture of tests/reference/, or compares documented output by value (``assert_agrees``)."""

from __future__ import annotations

import ast
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.extras import needs

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
FEATURES = "from numpy._core._multiarray_umath import __cpu_features__ as f; import json; print(json.dumps(f))"
#: ``"reference" / "cases.json"``: a module that reads a reference fixture.
READS_A_FIXTURE = re.compile(r"""["']reference["']\s*/\s*["'][\w.-]+\.json["']""")


def _no_avx512() -> str:
    """The features the Makefile switches off for the second run."""
    found = re.search(r"^NO_AVX512 := (.+)$", (ROOT / "Makefile").read_text(encoding="utf-8"), re.MULTILINE)
    assert found, "the Makefile names no NO_AVX512 features"
    return found.group(1).strip()


def _features(env: dict) -> dict:
    result = subprocess.run([sys.executable, "-c", FEATURES], env=env, capture_output=True, text=True, check=True)
    return json.loads(result.stdout)


def test_the_makefile_runs_the_numeric_tests_without_avx512():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert 'NPY_DISABLE_CPU_FEATURES="$(NO_AVX512)" $(BIN)/python -m pytest -q -m numeric' in makefile


def test_the_makefile_runs_the_kernels_tests_for_a_generic_cpu():
    makefile = " ".join((ROOT / "Makefile").read_text(encoding="utf-8").replace("\\\n", " ").split())
    assert ('DIVCLI_KERNEL=fused NUMBA_CPU_NAME=generic NPY_DISABLE_CPU_FEATURES="$(NO_AVX512)" '
            "$(BIN)/python -m pytest -q -m numeric tests/numerics") in makefile


#: A loop numba vectorises, with a multiply-add it fuses where the CPU has FMA; cached as the fused kernel is.
MULTIPLY_ADD = """
from numba import njit

@njit(cache=True, fastmath={"contract"})
def axpy(a, x, y, out):
    for i in range(x.size):
        out[i] = a * x[i] + y[i]
"""
#: Runs it (argv: its folder) and says whether numba compiled it or loaded it from the cache, and what
#: the code it compiled uses.
RUN_MULTIPLY_ADD = """
import json, sys
import numpy as np
sys.path.insert(0, sys.argv[1])
from multiply_add import axpy
x = np.arange(64.0)
axpy(2.0, x, x, np.empty(64))
compiled = axpy.stats.cache_misses.get(axpy.signatures[0], 0) > 0
asm = axpy.inspect_asm(axpy.signatures[0]) if compiled else ""
print(json.dumps({"compiled": compiled, "wide": any(r in asm for r in ("%ymm", "%zmm")), "fma": "vfmadd" in asm}))
"""


@pytest.mark.slow
def test_numba_compiles_for_a_generic_cpu_apart_from_the_host(tmp_path):
    """Under make test's last run's NUMBA_CPU_NAME=generic, numba compiles without AVX or FMA, and
    does not load the host's build from a cache the host filled (numba keys its cache by CPU name and
    features), else that run would test the host's code again; the generic build is cached in turn."""
    needs("numba")
    (tmp_path / "multiply_add.py").write_text(MULTIPLY_ADD)
    env = {key: value for key, value in os.environ.items() if not key.startswith("NUMBA_")}
    env["NUMBA_CACHE_DIR"] = str(tmp_path / "cache")

    def run(**more: str) -> dict:
        done = subprocess.run([sys.executable, "-c", RUN_MULTIPLY_ADD, str(tmp_path)], env={**env, **more},
                              capture_output=True, text=True, check=True)
        return json.loads(done.stdout)

    host = run()
    assert host["compiled"]
    generic = run(NUMBA_CPU_NAME="generic")
    assert generic == {"compiled": True, "wide": False, "fma": False}
    assert run(NUMBA_CPU_NAME="generic")["compiled"] is False  # its own build, from the cache
    assert run()["compiled"] is False


def test_numpy_switches_its_avx512_kernels_off():
    """On an AVX-512 machine the features are on, and off under the Makefile's NPY_DISABLE_CPU_FEATURES
    (else the second run would silently test the same kernels again)."""
    env = {key: value for key, value in os.environ.items() if key != "NPY_DISABLE_CPU_FEATURES"}
    names = _no_avx512().split()
    on = _features(env)
    if not any(on.get(name) for name in names):
        pytest.skip("this CPU has none of the AVX-512 features: the second run is the same as the first")
    off = _features(dict(env, NPY_DISABLE_CPU_FEATURES=" ".join(names)))
    assert all(name in on for name in names), f"numpy does not know {names}: {sorted(on)}"
    assert not any(off[name] for name in names), off
    assert off != on


def _module_marks(path: Path) -> set[str]:
    """The markers a module sets on all its tests: ``pytestmark = pytest.mark.numeric``, or a list."""
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(getattr(target, "id", None) == "pytestmark" for target in node.targets):
            values = node.value.elts if isinstance(node.value, (ast.List, ast.Tuple)) else [node.value]
            return {value.attr for value in values
                    if isinstance(value, ast.Attribute) and ast.unparse(value.value) == "pytest.mark"}
    return set()


def _checks_numbers(path: Path) -> bool:
    """Whether the module checks numbers computed with numpy's exp and log (see the docstring)."""
    if path.parent == TESTS / "numerics":
        return path != Path(__file__).resolve()
    source = path.read_text(encoding="utf-8")
    return bool(READS_A_FIXTURE.search(source)) or "assert_agrees(" in source


def test_every_module_that_checks_numbers_is_marked_numeric():
    """Found by what the module does (the docstring's rule), not by a list of names."""
    checking = {path for path in TESTS.rglob("test_*.py") if _checks_numbers(path)}
    unmarked = {path.relative_to(TESTS).as_posix() for path in checking if "numeric" not in _module_marks(path)}
    assert unmarked == set()
    # each way of finding one finds what it is for
    assert {"docs/test_readme.py", "numerics/test_reference.py", "numerics/test_numerics.py"} <= {
        path.relative_to(TESTS).as_posix() for path in checking}


def test_the_module_marks_are_read_from_pytestmark(tmp_path):
    module = tmp_path / "test_m.py"
    module.write_text("import pytest\npytestmark = [pytest.mark.numeric, pytest.mark.skipif(True, reason='r'),\n"
                      "              pytest.mark.slow]\n")
    assert _module_marks(module) == {"numeric", "slow"}
    module.write_text("import pytest\npytestmark = pytest.mark.dask\n")
    assert _module_marks(module) == {"dask"}
    module.write_text("import pytest\n\n@pytest.mark.numeric\ndef test_a():\n    pass\n")
    assert _module_marks(module) == set()


@pytest.mark.slow
def test_the_numeric_modules_are_marked():
    """``-m numeric`` (make test's second run) collects the modules that mark themselves numeric, and
    no other."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "--co", "-m", "numeric", "-p", "no:cacheprovider"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    collected = {line.split("::")[0] for line in result.stdout.splitlines() if "::" in line}
    marked = {path.relative_to(ROOT).as_posix() for path in TESTS.rglob("test_*.py") if "numeric" in _module_marks(path)}
    assert collected == marked
    assert {"tests/docs/test_readme.py", "tests/numerics/test_reference.py"} <= collected


@pytest.mark.slow
def test_an_undeclared_marker_is_an_error(tmp_path):
    """A misspelt marker would leave its tests out of ``-m numeric`` (or in make test-fast) silently:
    pyproject's ``--strict-markers`` makes it an error, and the declared ones pass."""
    tests = tmp_path / "tests"
    tests.mkdir()
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tests / "test_declared.py").write_text("import pytest\n\npytestmark = [pytest.mark.numeric, pytest.mark.slow,"
                                            " pytest.mark.dask, pytest.mark.sweep]\n\ndef test_a():\n    pass\n")
    (tests / "test_misspelt.py").write_text("import pytest\n\n@pytest.mark.numerik\ndef test_b():\n    pass\n")
    command = [sys.executable, "-m", "pytest", "-q", "--co", "-p", "no:cacheprovider"]
    declared = subprocess.run([*command, "tests/test_declared.py"], cwd=tmp_path, capture_output=True, text=True)
    assert declared.returncode == 0 and "test_declared.py::test_a" in declared.stdout, declared.stdout
    misspelt = subprocess.run([*command, "tests/test_misspelt.py"], cwd=tmp_path, capture_output=True, text=True)
    assert misspelt.returncode != 0
    assert "'numerik' not found in `markers` configuration option" in misspelt.stdout + misspelt.stderr
