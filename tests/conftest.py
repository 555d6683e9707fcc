"""Shared test helpers: run the CLI in-process, write operand files, a deterministic Hypothesis profile."""

from __future__ import annotations

import json
import os

import pytest
from click.testing import CliRunner
from hypothesis import settings

from divcli.cli import cli

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


def write_rows(path, rows, header=None, delimiter=","):
    """Write rows of numbers with ``repr`` (exact round trip) and return the path as a string."""
    lines = [delimiter.join(header)] if header else []
    for row in rows:
        cells = row if isinstance(row, (list, tuple)) else [row]
        lines.append(delimiter.join(cell if isinstance(cell, str) else repr(float(cell)) if not isinstance(cell, int)
                                    else str(cell) for cell in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)
