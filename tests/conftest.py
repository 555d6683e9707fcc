"""Shared test helpers: run the CLI in-process, write operand files, a deterministic Hypothesis profile."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from hypothesis import settings

from divcli.cli import cli

#: Modules whose tests check computed numbers. ``make test`` runs them a second time with numpy's
#: AVX-512 kernels switched off (NPY_DISABLE_CPU_FEATURES), as on an AVX2 machine: numpy's exp and
#: log give other last digits there, and these tests must hold on both.
NUMERIC_MODULES = {"test_readme", "test_reference", "test_measures_reference", "test_numerics", "test_properties",
                   "test_accuracy", "test_accurate"}


#: Modules whose every test starts a Dask cluster: ``make test-fast`` leaves them out.
DASK_MODULES = {"test_dask"}
#: Modules of whole-program runs in subprocesses and every documented example: ``slow`` as a whole.
SLOW_MODULES = {"test_readme", "test_hostile_inputs", "test_e2e"}


def pytest_collection_modifyitems(items):
    """Mark every test of :data:`NUMERIC_MODULES` ``numeric`` (``pytest -m numeric``), of
    :data:`DASK_MODULES` ``dask`` and of :data:`SLOW_MODULES` ``slow``, by module name, so a new test
    there is in without a decorator."""
    for item in items:
        if item.path.stem in NUMERIC_MODULES:
            item.add_marker(pytest.mark.numeric)
        if item.path.stem in DASK_MODULES:
            item.add_marker(pytest.mark.dask)
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)


settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture
def run():
    """``run(*args, input=None)`` → Click's Result, stdout and stderr kept apart."""

    def invoke(*args, input=None, env=None):
        runner = CliRunner()
        return runner.invoke(cli, [str(arg) for arg in args], input=input, env=env, catch_exceptions=False)

    return invoke


@pytest.fixture
def run_json(run):
    """Run with ``-f json``, assert success, return the parsed document."""

    def invoke(*args, **kwargs):
        result = run(*args, "-f", "json", **kwargs)
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    return invoke


def count_parses(monkeypatch, owner, name: str) -> list[bool]:
    """Replace the parser ``owner.name`` by one that records, call by call, whether it returned a
    table (not None); the list of those records."""
    taken = []
    parse = getattr(owner, name)

    def counting(*args):
        values = parse(*args)
        taken.append(values is not None)
        return values

    monkeypatch.setattr(owner, name, counting)
    return taken


def write_rows(path, rows, header=None, delimiter=","):
    """Write rows of numbers with ``repr`` (exact round trip) and return the path as a string."""
    lines = [delimiter.join(header)] if header else []
    for row in rows:
        cells = row if isinstance(row, (list, tuple)) else [row]
        lines.append(delimiter.join(cell if isinstance(cell, str) else repr(float(cell)) if not isinstance(cell, int)
                                    else str(cell) for cell in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)
