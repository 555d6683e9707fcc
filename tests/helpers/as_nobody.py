"""Running divcli as another user (nobody) and what needs root: shared by tests/output/test_faults.py
and tests/readers/test_hostile_inputs.py (a folder such a run can write into: the ``open_dir`` fixture
of tests/conftest.py)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

ROOT = os.geteuid() == 0
needs_root = pytest.mark.skipif(not ROOT, reason="needs root (mknod, mount or setuid); run the suite as root to cover it")


#: divcli as uid/gid 65534 (nobody) when the tests run as root: everything it will import is imported
#: first, as the interpreter, the venv and the checkout may sit where nobody cannot read (/root/.pyenv,
#: a clone in a 0700 temporary folder).
AS_NOBODY = """
import difflib, gettext, importlib, os, pkgutil, shutil, sys, tempfile
import concurrent.futures, queue, threading, zipfile, zlib  # what divcli imports only when it needs it
import divcli
for module in pkgutil.walk_packages(divcli.__path__, "divcli."):  # every module, lazy ones too
    if not module.name.startswith(("divcli.dask_engine", "divcli.numerics.fused")):  # (numba's: the fast extra)
        importlib.import_module(module.name)
if os.geteuid() == 0:
    os.setgid(65534)
    os.setuid(65534)
sys.argv = ["divcli"] + sys.argv[1:]
divcli.cli.main()
"""


def divcli_as_nobody(*args):
    return subprocess.run([sys.executable, "-c", AS_NOBODY, *map(str, args)], capture_output=True, text=True,
                          timeout=30, cwd="/")

