"""Shared test helpers: run the CLI in-process, write operand files, a deterministic Hypothesis profile."""

from __future__ import annotations

import importlib
import importlib.util
import json
import os
import shutil
import tempfile

import pytest
from click.testing import CliRunner
from hypothesis import settings

from divcli.cli import cli

#: Modules whose tests check computed numbers. ``make test`` runs them a second time with numpy's
#: AVX-512 kernels switched off (NPY_DISABLE_CPU_FEATURES), as on an AVX2 machine: numpy's exp and
#: log give other last digits there, and these tests must hold on both.
NUMERIC_MODULES = {"test_readme", "test_reference", "test_measures_reference", "test_numerics", "test_properties", "test_fused",
                   "test_accuracy", "test_accurate"}


#: Modules whose every test starts a Dask cluster: ``make test-fast`` leaves them out.
DASK_MODULES = {"test_dask"}
#: Modules of whole-program runs in subprocesses and every documented example: ``slow`` as a whole.
SLOW_MODULES = {"test_readme", "test_hostile_inputs", "test_e2e"}


#: Set to ``sample`` (``make test-fast``): each test marked ``sweep`` runs its first case of each family
#: (the first word of the case's id: ``near``, ``kl``, ``large``…), not every case of the reference
#: fixtures; ``make test`` runs them all.
SWEEPS = "DIVCLI_TEST_SWEEPS"


def pytest_collection_modifyitems(config, items):
    """Mark every test of :data:`NUMERIC_MODULES` ``numeric`` (``pytest -m numeric``), of
    :data:`DASK_MODULES` ``dask`` and of :data:`SLOW_MODULES` ``slow``, by module name, so a new test
    there is in without a decorator; with :data:`SWEEPS` ``sample``, thin the sweeps."""
    for item in items:
        if item.path.stem in NUMERIC_MODULES:
            item.add_marker(pytest.mark.numeric)
        if item.path.stem in DASK_MODULES:
            item.add_marker(pytest.mark.dask)
        if item.path.stem in SLOW_MODULES:
            item.add_marker(pytest.mark.slow)
    if os.environ.get(SWEEPS) == "sample":
        kept, seen, left_out = [], set(), []
        for item in items:
            callspec = getattr(item, "callspec", None)
            if item.get_closest_marker("sweep") is None or callspec is None:
                kept.append(item)
                continue
            family = (item.path, item.originalname, callspec.id.split("-")[0])
            (left_out if family in seen else kept).append(item)
            seen.add(family)
        if left_out:
            config.hook.pytest_deselected(items=left_out)
            items[:] = kept


#: The optional packages tests use, and the extra of divcli's that installs each (None: not an extra
#: of divcli; the reference libraries). A test takes one through :func:`needs`, never an import:
#: ``make test-minimal`` runs the suite without any of them (tests/test_extras.py checks this).
EXTRAS = {"orjson": "fast", "pyarrow": "fast", "numba": "fast", "dask": "dask", "distributed": "dask", "fsspec": "dask",
          "pandas": "dask", "scipy": None, "torch": None}
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
    how = f"pip install 'divcli[{extra}]'" if extra else f"pip install {root}"
    reason = f"needs {root}, which is not installed ({how}): {error}"
    if os.environ.get(EXTRAS_REQUIRED):
        pytest.fail(f"{reason}; {EXTRAS_REQUIRED} is set, so every extra must be installed", pytrace=False)
    # reported at the test (or module) that needs it, not at this line
    raise pytest.skip.Exception(reason, allow_module_level=True, _use_item_location=True)


#: What the environment may set that changes how a table is laid out or text is encoded.
TERMINAL_VARIABLES = ("COLUMNS", "LINES", "FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE", "TTY_INTERACTIVE",
                      "PYTHONIOENCODING", "LANGUAGE")


@pytest.fixture(autouse=True)
def pinned_terminal(monkeypatch):
    """Every test sees the same terminal and locale whatever the machine or the shell: no COLUMNS
    (a test that needs a width passes its own), a UTF-8 C locale, no colour switches. Subprocesses
    inherit the same."""
    for name in TERMINAL_VARIABLES:
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
def dask_cluster():
    """``with dask_cluster(processes=...) as cluster:`` a LocalCluster of one single-threaded worker
    on a free port (the Dask extra, or the test is skipped): test modules outside tests/dask_engine
    never import ``distributed`` themselves."""
    distributed = needs("distributed")

    def start(processes: bool = True):
        return distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=processes,
                                        dashboard_address=":0")

    return start


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


def signal_a_long_run(tmp_path, number: int, *args: str) -> tuple[int, bytes]:
    """``divcli entropy - --reduction none *args -o tmp_path/target.csv`` on a pipe that never ends,
    sent signal ``number`` as soon as its temporary file exists (a signal arriving while the file is
    made is held until its name is kept): (its exit code, its stderr).
    Checks that nothing is left beside the target and that the target kept its previous content.
    Conditions, not sleeps: a loaded machine only makes each wait longer (the limits only stop a
    broken run)."""
    import signal as signals
    import subprocess
    import sys
    import threading
    import time

    target, old = tmp_path / "target.csv", "the previous content\n" * 200
    target.write_text(old)
    process = subprocess.Popen([sys.executable, "-m", "divcli", "entropy", "-", "--reduction", "none", *args,
                                "-o", str(target)], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE)
    chunk = "".join(f"{(i % 7 + 1) / 10},{1 - (i % 7 + 1) / 10}\n" for i in range(20_000)).encode()
    stop, opened = threading.Event(), threading.Event()

    def feed():  # fast until the output is open (the first block is read before), then slow, never the end
        try:
            while not stop.is_set():
                process.stdin.write(chunk)
                process.stdin.flush()
                if opened.is_set():
                    time.sleep(0.05)
        except (BrokenPipeError, ValueError):
            pass

    def leftovers() -> list[str]:
        return [name for name in os.listdir(tmp_path) if name != "target.csv"]

    threading.Thread(target=feed, daemon=True).start()
    try:
        deadline = time.monotonic() + 120
        while not leftovers() and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.005)
        assert leftovers(), f"the run never made its temporary file: {process.poll()=}"
        opened.set()
        process.send_signal(signals.Signals(number))
        _, err = process.communicate(timeout=120)
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
            process.wait()
    assert b"Traceback" not in err
    assert leftovers() == [] and target.read_text() == old
    return process.returncode, err
