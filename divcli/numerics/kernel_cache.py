"""numba's cache of the fused kernel, kept in step with the kernel's sources.

numba keys a cached function on the source of the file that defines it alone, while a compiled
kernel holds the code of every function it calls: fused_rows' loops, fused_values' decoding and
fused_log's log are compiled into the kernels of fused.py, fused_probs.py and fused_labels.py. After
one of those files changes (an edit, a pull, an install over an older version in place), the kernels
cached for the others would keep the old code, and give the old numbers. So, before the kernels are
loaded (:func:`refresh`, from fast_path.fused), the sources of every ``fused*.py`` beside this module
are hashed (a few small files) and the hash compared with a stamp file in the folder where numba keeps
their cache; where it differs, the cached kernels of these modules are removed there (numba compiles
them again) and the new stamp written. A folder that cannot be written is left as it is, silently.

Only the fused path comes here: nothing in it imports numba, but for numba's user-wide cache folder,
where numba is imported anyway.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

#: The folder of the fused kernel's modules.
HERE = Path(os.path.abspath(__file__)).parent  # as numba names it (os.path.abspath, links kept)
#: The stamp file's name, in the cache folder: the hash of the sources the cached kernels came from.
STAMP = "divcli-fused.stamp"


def sources_hash(folder: Path = HERE) -> str:
    """The SHA-256 of every ``fused*.py`` in ``folder`` (their names and bytes, in the order of their names)."""
    digest = hashlib.sha256()
    for path in sorted(folder.glob("fused*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def cache_folder(folder: Path = HERE) -> Path | None:
    """The folder where numba keeps the cache of the modules in ``folder``, as numba chooses it: a
    folder of ``NUMBA_CACHE_DIR`` where it is set, else ``__pycache__`` beside them, else one of the
    user's cache folder, the first that exists or can be made, and can be written; None where none can."""
    subpath = f"{folder.name}_{hashlib.sha1(str(folder).encode()).hexdigest()}"  # numba's, for a file's folder
    given = os.environ.get("NUMBA_CACHE_DIR")
    candidates = ([Path(given) / subpath] if given else
                  [folder / "__pycache__", *(Path(user) / subpath for user in _user_cache())])
    for candidate in candidates:
        try:
            candidate.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(candidate, os.W_OK | os.X_OK):
            return candidate
    return None


def _user_cache() -> list[str]:
    """numba's user-wide cache folder (where a module's own folder cannot be written)."""
    try:
        from numba.misc.appdirs import AppDirs
    except ImportError:
        return []
    return [AppDirs(appname="numba", appauthor=False).user_cache_dir]


def refresh(folder: Path = HERE) -> bool:
    """Remove the cached kernels of ``folder``'s fused modules where they were compiled from other
    sources than these (see the module's docstring); True where they were removed."""
    cache = cache_folder(folder)
    if cache is None:
        return False
    stamp, path = sources_hash(folder), cache / STAMP
    try:
        if path.read_text() == stamp:
            return False
    except (OSError, UnicodeDecodeError):
        pass  # no stamp yet: kernels cached before, if any, are of unknown sources
    try:
        for stale in cache.glob("fused*.nb[ic]"):  # numba's index and data files, named after the module
            stale.unlink(missing_ok=True)
        fresh = cache / f"{STAMP}.{os.getpid()}"
        fresh.write_text(stamp)
        os.replace(fresh, path)  # whole, for a process reading it at once
    except OSError:
        return False
    return True
