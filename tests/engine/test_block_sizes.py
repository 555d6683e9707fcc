"""The block sizes are read from :mod:`divcli.readers.sizes` when a run cuts its blocks, never bound
when a module is imported.

A module that did ``from ..readers.sizes import BLOCK_ELEMENTS`` kept whatever value the name had at
its first import. The tests shrink the sizes with ``monkeypatch`` (``sizes.BLOCK_ELEMENTS = 10``):
where such a test was the first, in a pytest-xdist worker, to import the engine's loop, the loop
bounded every later block by 10 values for the rest of that worker, while the first blocks and
:func:`~divcli.readers.sizes.block_rows` used the real size. Labels (one column) against 5,000
classes then went on 104 + 10 rows against 104 + 1: "P has at least 114 rows but Q has 105", in
whichever worker the scheduling (the machine's load) made it happen.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import divcli
from divcli.readers import sizes

PACKAGE = Path(divcli.__file__).parent
#: The names of ``sizes`` a run reads as it goes; tests change them.
SIZES = {"BLOCK_ELEMENTS", "FIRST_BLOCK_ROWS"}


def _bound_at_import(source: str) -> list[str]:
    """The lines of ``source`` that bind a block size at import (``from … sizes import BLOCK_ELEMENTS``)."""
    return [f"line {node.lineno}: {alias.name}" for node in ast.walk(ast.parse(source))
            if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[-1] == "sizes"
            for alias in node.names if alias.name in SIZES]


def test_no_module_binds_a_block_size_when_imported():
    found = [f"{path.relative_to(PACKAGE.parent)} {hit}" for path in sorted(PACKAGE.rglob("*.py"))
             for hit in _bound_at_import(path.read_text(encoding="utf-8"))]
    assert found == [], "read sizes.BLOCK_ELEMENTS when the blocks are cut, not at import: " + ", ".join(found)


def test_the_check_finds_a_size_bound_at_import():
    source = "from ..readers.sizes import BLOCK_ELEMENTS, block_rows\nfrom ..readers import sizes\n"
    assert _bound_at_import(source) == ["line 1: BLOCK_ELEMENTS"]
    assert _bound_at_import("from divcli.readers.sizes import FIRST_BLOCK_ROWS as rows\n") == ["line 1: FIRST_BLOCK_ROWS"]


#: The engine's modules imported while a test has the sizes shrunk, the sizes put back, then a run.
FIRST_IMPORTED_SHRUNK = """
import sys
from divcli.readers import sizes
saved = sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS
sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS = 3, 10
import divcli.engine.loop, divcli.engine.by_name
sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS = saved
from divcli.cli import main
sys.argv = ["divcli"] + sys.argv[1:]
main()
"""


@pytest.mark.slow  # a whole program in a subprocess: its imports must be its own
def test_labels_against_a_wide_q_stay_aligned_whatever_was_imported_first(tmp_path):
    rng = np.random.default_rng(7)
    logits = rng.normal(0, 1, (300, 5000))
    labels = rng.integers(0, 5000, 300)
    np.save(tmp_path / "q.npy", logits)
    (tmp_path / "y.csv").write_text("".join(f"{label}\n" for label in labels))
    assert sizes.block_rows(5000) == 104  # blocks of 104 rows: 10 values a block would cut 10 and 1
    done = subprocess.run([sys.executable, "-c", FIRST_IMPORTED_SHRUNK, "ce", str(tmp_path / "y.csv"),
                           str(tmp_path / "q.npy"), "--q-as", "logits", "--reduction", "none", "-q", "--threads", "2"],
                          cwd=tmp_path, env={**os.environ, "PYTHONPATH": str(PACKAGE.parent)},
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    shifted = logits - logits.max(axis=1, keepdims=True)
    expected = np.log(np.exp(shifted).sum(axis=1)) - shifted[np.arange(300), labels]
    got = np.array([float(value) for value in done.stdout.split()])
    np.testing.assert_allclose(got, expected, rtol=1e-12)
