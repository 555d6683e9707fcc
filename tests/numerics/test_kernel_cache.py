"""numba's cache of the fused kernel kept in step with its sources (divcli/numerics/kernel_cache.py): a
kernel cached for one module holds the code of the others' functions it calls, and numba keys it on
its own file alone; when any fused*.py changes, the cached kernels of them all are removed."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pytest

import divcli
from helpers.extras import needs
from divcli.numerics import fast_path, kernel_cache

pytestmark = pytest.mark.numeric

CACHED = ["fused._logit_pairs-254.py311.nbi", "fused._logit_pairs-254.py311.1.nbc",
          "fused_probs.entropy_rows-290.py311.nbi", "fused_probs.entropy_rows-290.py311.2.nbc"]
#: Files of the same folder that are not the fused kernel's: never removed.
OTHERS = ["plain.cpython-311.pyc", "fused.cpython-311.pyc", "other.function-3.py311.nbi"]


def package(folder: Path) -> Path:
    """A folder of fused modules, as numerics/ has them, and a __pycache__ with kernels cached."""
    folder.mkdir()
    for name in ("fused.py", "fused_rows.py", "fused_values.py", "plain.py"):
        (folder / name).write_text(f"# {name}\n")
    cache = folder / "__pycache__"
    cache.mkdir()
    for name in CACHED + OTHERS:
        (cache / name).write_bytes(b"cached")
    return folder


def present(cache: Path) -> set[str]:
    return {path.name for path in cache.iterdir()} - {kernel_cache.STAMP}


def test_kernels_of_other_sources_are_removed_once(tmp_path, monkeypatch):
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    folder = package(tmp_path / "numerics")
    cache = folder / "__pycache__"
    assert kernel_cache.refresh(folder)  # no stamp: kernels of unknown sources (an older version's)
    assert present(cache) == set(OTHERS)
    assert (cache / kernel_cache.STAMP).read_text() == kernel_cache.sources_hash(folder)
    for name in CACHED:  # compiled again by numba, from these sources
        (cache / name).write_bytes(b"fresh")
    assert not kernel_cache.refresh(folder)
    assert present(cache) == set(CACHED + OTHERS)


@pytest.mark.parametrize("changed", ["fused_rows.py", "fused_values.py", "fused_new.py"])
def test_a_changed_source_removes_every_fused_kernel(tmp_path, monkeypatch, changed):
    """fused_rows.py changed, fused.py not: fused.py's cached kernels (which hold fused_rows' loops) go too."""
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    folder = package(tmp_path / "numerics")
    kernel_cache.refresh(folder)
    for name in CACHED:
        (folder / "__pycache__" / name).write_bytes(b"fresh")
    (folder / "plain.py").write_text("# not the fused kernel's\n")
    assert not kernel_cache.refresh(folder)
    (folder / changed).write_text("# another version\n")
    assert kernel_cache.refresh(folder)
    assert present(folder / "__pycache__") == set(OTHERS)


def test_numba_cache_dir_is_the_folder_cleared(tmp_path, monkeypatch):
    """With NUMBA_CACHE_DIR, numba keeps a module's kernels in a folder of it named after the module's
    folder (its name and the SHA-1 of its path); __pycache__ beside the modules is left alone."""
    folder = package(tmp_path / "numerics")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "numba-cache"))
    cache = kernel_cache.cache_folder(folder)
    assert cache.parent == tmp_path / "numba-cache" and cache.name.startswith("numerics_")
    for name in CACHED:
        (cache / name).write_bytes(b"cached")
    assert kernel_cache.refresh(folder)
    assert present(cache) == set() and present(folder / "__pycache__") == set(CACHED + OTHERS)


def test_a_folder_that_cannot_be_written_is_left_silently(tmp_path, monkeypatch):
    """A cache folder under a file cannot be made: nothing to refresh, no error."""
    folder = package(tmp_path / "numerics")
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(tmp_path / "a-file" / "cache"))
    assert kernel_cache.cache_folder(folder) is None and not kernel_cache.refresh(folder)
    monkeypatch.delenv("NUMBA_CACHE_DIR")
    monkeypatch.setattr(kernel_cache.Path, "unlink", lambda *a, **k: (_ for _ in ()).throw(PermissionError()))
    assert not kernel_cache.refresh(folder)  # files that cannot be removed: left, no stamp written
    assert not (folder / "__pycache__" / kernel_cache.STAMP).exists()


def test_the_real_cache_is_found_as_numba_finds_it(monkeypatch):
    """The package's own folder: numba's cache files of the fused modules are where cache_folder says,
    after a kernel is compiled or loaded; and the stamp there is the sources' hash."""
    needs("numba")
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    divcli.entropy(np.full((1, 16), 1 / 16), reduction="row")
    cache = kernel_cache.cache_folder()
    assert any(cache.glob("fused_probs.entropy_rows-*.nbi"))
    assert (cache / kernel_cache.STAMP).read_text() == kernel_cache.sources_hash()


def test_a_copy_of_the_package_with_one_source_changed_recompiles(tmp_path, monkeypatch):
    """The whole package copied (as an install over an older version in place): its cached kernels
    are kept while the sources are the same, and removed when one of the fused modules changes."""
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    copy = tmp_path / "divcli"
    shutil.copytree(Path(divcli.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    folder = copy / "numerics"
    (folder / "__pycache__").mkdir()
    kernel_cache.refresh(folder)
    stale = folder / "__pycache__" / "fused.old_kernel-1.py311.nbi"
    stale.write_bytes(b"cached")
    assert not kernel_cache.refresh(folder) and stale.exists()
    source = folder / "fused_log.py"
    source.write_text(source.read_text() + "\n# changed\n")
    assert kernel_cache.refresh(folder) and not stale.exists()
