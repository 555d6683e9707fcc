"""Optional packages in tests: a test takes pyarrow, orjson, Dask and the like through :func:`needs`
(or :func:`needs_dask`), never through an import of its own, so that ``make test-minimal`` (no extra
installed) collects and runs every module (tests/test_extras.py checks this)."""

from __future__ import annotations

import importlib
import importlib.util
import os

import pytest

#: The optional packages tests use, and the extra of divcli's that installs each (None: not an extra
#: of divcli; the reference libraries).
EXTRAS = {"orjson": "fast", "pyarrow": "fast", "numba": "fast", "dask": "dask", "distributed": "dask", "fsspec": "dask",
          "pandas": "dask", "safetensors": "lm",
          "scipy": "stats", "torch": None, "sklearn": None, "mpmath": None}
#: The name pip installs a module under, where it is not the module's.
PIP_NAMES = {"sklearn": "scikit-learn"}
#: Set (to anything but empty) by ``make test``, whose venv has every extra: a missing one fails the
#: test there instead of skipping it, so the full run cannot pass by skipping.
EXTRAS_REQUIRED = "DIVCLI_TEST_EXTRAS_REQUIRED"


def needs(module: str):
    """``module`` imported (``"pyarrow.parquet"``), or the test skipped with the reason and the extra
    that installs it (failed instead where :data:`EXTRAS_REQUIRED` is set). At module level it
    skips the whole module, as ``pytest.importorskip`` does."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        _missing(module.split(".")[0], str(error))


def needs_dask() -> None:
    """Skip the test (as :func:`needs`) unless the Dask extra is installed, without importing it: for
    a test outside tests/dask_engine that runs ``--engine dask``."""
    for module in ("dask", "distributed"):
        if importlib.util.find_spec(module) is None:
            _missing(module, f"No module named {module!r}")


def _missing(root: str, error: str):
    extra = EXTRAS.get(root)
    how = f"pip install 'divcli[{extra}]'" if extra else f"pip install {PIP_NAMES.get(root, root)}"
    reason = f"needs {root}, which is not installed ({how}): {error}"
    if os.environ.get(EXTRAS_REQUIRED):
        pytest.fail(f"{reason}; {EXTRAS_REQUIRED} is set, so every extra must be installed", pytrace=False)
    # reported at the test (or module) that needs it, not at this line
    raise pytest.skip.Exception(reason, allow_module_level=True, _use_item_location=True)
