"""Which place an output path names: a descriptor this process has open (``/dev/stdout``,
``/dev/fd/N``, the file standard output is redirected to), standard output itself, or a file that is
also an input. :class:`~divcli.cli.terminal.Output` and the checks of ``-o`` and ``--svg`` ask here."""

from __future__ import annotations

import os
import re
import stat

#: Paths that name a descriptor of this process (``/proc/<pid>/fd/N`` for this pid only).
_DESCRIPTOR_PATH = re.compile(r"/(?:dev/fd|proc/self/fd|proc/thread-self/fd|proc/(\d+)/fd)/(\d+)")
_STANDARD_PATHS = {"/dev/stdin": 0, "/dev/stdout": 1, "/dev/stderr": 2}


def descriptor_named(path: str) -> int | None:
    """The descriptor of this process that ``path`` names: ``/dev/stdout`` (1), ``/dev/stderr``
    (2), ``/dev/fd/N``, ``/proc/self/fd/N``, or any path to the file, pipe or terminal that standard
    output or standard error already is; None for every other path."""
    absolute = os.path.abspath(path)
    if absolute in _STANDARD_PATHS:
        return _STANDARD_PATHS[absolute]
    match = _DESCRIPTOR_PATH.fullmatch(absolute)
    if match and (match[1] is None or int(match[1]) == os.getpid()):
        return int(match[2])
    try:
        info = os.stat(path)
    except (OSError, ValueError):
        return None
    for descriptor in (1, 2):
        try:
            other = os.fstat(descriptor)
        except OSError:
            continue
        if (info.st_dev, info.st_ino) == (other.st_dev, other.st_ino):
            return descriptor
    return None


def same_target(one: str | None, other: str | None) -> bool:
    """Whether two outputs go to one place: both standard output (None, ``-``, ``/dev/stdout``, …)
    or paths to the same file (symlinks followed)."""
    if _is_stdout(one) or _is_stdout(other):
        return _is_stdout(one) and _is_stdout(other)
    return os.path.realpath(one) == os.path.realpath(other)


def _is_stdout(path: str | None) -> bool:
    return path is None or path == "-" or descriptor_named(path) == 1


def _identity(info) -> tuple[int, int] | None:
    """A file's (device, inode), None for a device node (a terminal, /dev/null: shared by design)."""
    if stat.S_ISCHR(info.st_mode) or stat.S_ISBLK(info.st_mode):
        return None
    return info.st_dev, info.st_ino


def input_written(path: str, specs) -> str | None:
    """The first of the inputs ``specs`` that writing ``path`` would overwrite: the same file (by
    device and inode, so through a symlink or a hard link too), an archive's ``file.npz:key`` by its
    file, and ``-`` when standard input is that file; None when there is none."""
    try:
        written = _identity(os.stat(path))
    except (OSError, ValueError):
        return None  # a new file overwrites nothing
    if written is None:
        return None
    for spec in specs:
        if spec is None:
            continue
        try:
            if spec == "-":
                infos = [os.fstat(0)]
            else:
                candidates = [spec] + ([spec.rpartition(":")[0]] if ":" in spec else [])
                infos = [os.stat(candidate) for candidate in candidates if os.path.exists(candidate)]
        except (OSError, ValueError):
            continue
        if any(_identity(info) == written for info in infos):
            return spec
    return None
