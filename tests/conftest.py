"""Fixtures every test may use and the hooks of the suite; the shared helpers are in tests/helpers/.

Markers (``numeric``, ``dask``, ``slow``, ``sweep``) are declared in pyproject.toml and set by each
module or test itself (``pytestmark = pytest.mark.numeric``, ``@pytest.mark.slow``); an undeclared
one is an error (``--strict-markers``)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile

import pytest
from click.testing import CliRunner
from hypothesis import settings

from divcli.cli import cli
from helpers import sweeps
from helpers.extras import needs


def pytest_configure(config):
    """Hypothesis's profiles: ``ci`` (derandomized, 200 examples a property) unless HYPOTHESIS_PROFILE
    names another; ``dev`` (random, 100) for ``make test-fast``. ``CI`` set always takes ``ci``."""
    settings.register_profile("ci", derandomize=True, max_examples=200, deadline=None)
    settings.register_profile("dev", max_examples=100, deadline=None)
    settings.load_profile("ci" if os.environ.get("CI") else os.environ.get("HYPOTHESIS_PROFILE", "ci"))


def pytest_collection_modifyitems(config, items):
    """With ``DIVCLI_TEST_SWEEPS=sample`` (``make test-fast``), one case of each family of the sweeps
    (:mod:`helpers.sweeps`)."""
    if sweeps.sampled():
        kept, left_out = sweeps.sample(items)
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = kept


@pytest.fixture(autouse=True)
def pinned_terminal(monkeypatch):
    """Every test sees the same terminal and locale whatever the machine or the shell: no COLUMNS
    (a test that needs a width passes its own), a UTF-8 C locale, no colour switches. Subprocesses
    inherit the same."""
    # what the environment may set that changes how a table is laid out or text is encoded
    for name in ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
                 "PYTHONIOENCODING", "LANGUAGE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LC_ALL", "C.UTF-8")
    monkeypatch.setenv("LANG", "C.UTF-8")


@pytest.fixture
def short_tmp():
    """A new empty folder whose path has the same short length on every machine (``/tmp/dvXXXXXXXX``),
    for a test that compares table text with file names in it: tmp_path's length depends on the user
    name and the test's name, and a long one wraps the header at a pinned width."""
    root = "/tmp" if os.path.isdir("/tmp") else None
    folder = tempfile.mkdtemp(prefix="dv", dir=root)
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@pytest.fixture
def open_dir():
    """A new empty folder every uid can reach (pytest's tmp_path is behind a 0700 folder), for a run
    as nobody (:func:`helpers.as_nobody.divcli_as_nobody`)."""
    folder = tempfile.mkdtemp(prefix="divcli-faults-")
    os.chmod(folder, 0o777)
    yield folder
    shutil.rmtree(folder)


@pytest.fixture
def dask_cluster():
    """``with dask_cluster(processes=...) as cluster:`` a LocalCluster of one single-threaded worker
    on a free port (the Dask extra, or the test is skipped): test modules outside tests/dask_engine
    never import ``distributed`` themselves."""
    distributed = needs("distributed")

    def start(processes: bool = True):
        return distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=processes,
                                        dashboard_address=":0")

    return start


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
