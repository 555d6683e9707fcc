"""``make test`` runs the numeric tests twice, the second time with numpy's AVX-512 kernels off:
that run must reach numpy, and the ``numeric`` mark must reach the modules that check numbers."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import NUMERIC_MODULES

ROOT = Path(__file__).resolve().parents[2]
FEATURES = "from numpy._core._multiarray_umath import __cpu_features__ as f; import json; print(json.dumps(f))"


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


@pytest.mark.slow
def test_the_numeric_modules_are_marked():
    """``-m numeric`` collects every module that checks numbers, and no other."""
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "--co", "-m", "numeric", "-p", "no:cacheprovider"],
                            cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    modules = {Path(line.split("::")[0]).stem for line in result.stdout.splitlines() if "::" in line}
    present = {path.stem for path in (ROOT / "tests").rglob("test_*.py")}
    assert modules == NUMERIC_MODULES & present
    assert {"test_readme", "test_reference", "test_measures_reference", "test_numerics", "test_properties"} <= modules


@pytest.mark.slow
def test_a_new_accuracy_module_is_marked(tmp_path):
    """tests/numerics/test_accuracy.py is numeric by its name alone, in whichever folder of tests/."""
    tests = tmp_path / "tests"
    (tests / "numerics").mkdir(parents=True)
    shutil.copy(ROOT / "tests" / "conftest.py", tests)
    shutil.copytree(ROOT / "tests" / "helpers", tests / "helpers")
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tests / "numerics" / "test_accuracy.py").write_text("def test_a():\n    pass\n")
    (tests / "numerics" / "test_other.py").write_text("def test_b():\n    pass\n")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "--co", "-m", "numeric", "-p", "no:cacheprovider"],
                            cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "test_accuracy.py::test_a" in result.stdout
    assert "test_other.py" not in result.stdout
