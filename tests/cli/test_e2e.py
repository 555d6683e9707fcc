"""The installed ``divcli`` as a shell script runs it: in a subprocess, through pipes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
DIVCLI = BIN / "divcli"

#: whole programs in subprocesses (slow: make test-fast leaves them out), through the installed script
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not DIVCLI.exists(), reason="divcli is not installed next to this Python")]


def sh(command: str, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, PATH=f"{BIN}{os.pathsep}{os.environ['PATH']}")
    env.pop("FORCE_COLOR", None)
    return subprocess.run(["bash", "-c", command], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120, **kwargs)


def test_installed_script_and_module_agree():
    script = sh('divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3" -q')
    module = sh(f'"{sys.executable}" -m divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3" -q')
    assert script.returncode == module.returncode == 0
    assert script.stdout == module.stdout and script.stdout.startswith("0.0852996")


def test_pipe_in_and_out():
    result = sh("cat samples/teacher.csv | divcli kl - samples/student.csv --p-as logits --q-as logits -T 2 -f json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["n_rows"] == 8


def test_a_pipe_closed_early_ends_quietly(tmp_path):
    rows = "\n".join("0.1,0.2,0.3,0.4" for _ in range(200_000))
    (tmp_path / "p.csv").write_text(rows + "\n")
    result = sh(f"divcli kl {tmp_path}/p.csv '0.25,0.25,0.25,0.25' --reduction none -q | head -1")
    assert result.returncode == 0
    assert result.stdout.count("\n") == 1
    assert result.stderr == ""


def test_errors_go_to_stderr_with_no_traceback():
    result = sh("divcli kl '0.5,0.6' '0.5,0.5'")
    assert result.returncode == 1 and result.stdout == ""
    assert "sums to" in result.stderr and "Traceback" not in result.stderr


def test_usage_error_exit_code():
    result = sh("divcli kl - - < /dev/null")
    assert result.returncode == 2 and "one operand" in result.stderr


def test_no_colour_codes_in_a_pipe():
    result = sh('divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3" | cat')
    assert result.returncode == 0 and "\x1b[" not in result.stdout and "D(P‖Q)" in result.stdout


def test_shell_completion_as_documented():
    script = sh("_DIVCLI_COMPLETE=bash_source divcli")
    assert script.returncode == 0 and "complete" in script.stdout
    words = sh("COMP_WORDS='divcli k' COMP_CWORD=1 _DIVCLI_COMPLETE=bash_complete divcli")
    assert "kl" in words.stdout


@pytest.mark.parametrize("args", [["--help"], ["--version"], ["kl", "--help"], ["kl", "--bogus"],
                                  ["kl", "-", "-"], ["ce", "1", "1", "--reduction", "batchmean"],
                                  ["compare", "--help"], ["compare", "1", "1", "--alpha", "0"],
                                  ["js", "1", "1", "--weights", "0.9,0.9"], ["matrix", "1", "-m", "nope"],
                                  ["explain", "--help"], ["libraries", "--help"], ["measures", "--help"],
                                  ["kl", "1", "1", "--scheduler", "tcp://x:1"]])
def test_help_version_and_usage_errors_import_neither_numpy_nor_rich(args):
    """Start-up: what needs no numbers loads no numpy, no Rich, no Dask, no pyarrow or orjson, and
    not the temporary files of the output (python -X importtime lists imports)."""
    result = subprocess.run([sys.executable, "-X", "importtime", "-m", "divcli", *args], cwd=ROOT,
                            capture_output=True, text=True, timeout=60, stdin=subprocess.DEVNULL)
    assert result.returncode in (0, 2)
    imported = {line.split("|")[-1].strip() for line in result.stderr.splitlines() if line.startswith("import time:")}
    assert "click" in imported
    heavy = {"numpy", "rich", "dask", "distributed", "pyarrow", "orjson", "numba"}
    if "--help" in args:  # a command's request is made when it runs (its dataclasses cost --help 2 ms)
        assert "divcli.cli.request" not in imported
    if args != ["--version"]:  # Click finds the version with importlib.metadata, which imports tempfile
        heavy.add("tempfile")
    assert not {name for name in imported if name.split(".")[0] in heavy}


def test_a_plain_install_holds_every_module(tmp_path):
    """`pip install .` (not editable) must ship every module of every subpackage: the wheel holds
    each .py file of divcli/ that git tracks."""
    import subprocess
    import zipfile
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    built = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                            "-w", str(tmp_path), str(root)], capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    (wheel,) = tmp_path.glob("divcli-*.whl")
    shipped = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(["git", "ls-files", "divcli"], cwd=root, capture_output=True, text=True).stdout.split()
    missing = [path for path in tracked if path.endswith(".py") and path not in shipped]
    assert tracked and not missing, missing


@pytest.mark.parametrize("args, code", [(["kl", "0.5,0.5", "0.2,0.8", "-q"], 0), (["kl", "0.5,0.6", "0.5,0.5"], 1),
                                        (["kl"], 2)])
def test_the_objects_left_at_exit_are_frozen_not_collected_again(args, code):
    """The interpreter's collections at exit would walk numba's objects again (some 0.2 s of CPU
    once its kernels are loaded): the entry point freezes them, whatever the exit code."""
    program = ("import atexit, gc, sys\nfrom divcli.cli import main\n"
               "atexit.register(lambda: print('frozen', gc.get_freeze_count() > 0))\n"
               "sys.argv = ['divcli'] + sys.argv[1:]\nmain()\n")
    result = subprocess.run([sys.executable, "-c", program, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == code
    assert result.stdout.endswith("frozen True\n")
