"""Datasets → shards: a glob, a folder, one file or URL (any fsspec URL) or a literal, its shards in
natural order (``part-2`` before ``part-10``), and the pairs of P's and Q's shards the tasks get."""

from __future__ import annotations

import glob
import os
import re
from dataclasses import dataclass

from ..errors import EngineUsage

from ..vocabulary import count_of
from ..errors import DataError, EngineError
from ..readers.operand import Operand
from ..readers.registry import shard_extensions
from ..registries import listed
from ..readers.reading import read_operand


@dataclass(frozen=True)
class Shard:
    """One file of a dataset: ``url`` opens it on any worker, ``name`` is how messages call it.
    A literal is a shard of its own, read on the client (``operand``)."""

    url: str
    name: str
    extension: str
    operand: Operand | None = None

    @property
    def is_local(self) -> bool:
        return "://" not in self.url


def _natural(text: str) -> list:
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def _shown(path: str) -> str:
    """A local path as the user would write it: relative to the working folder when inside it."""
    relative = os.path.relpath(path)
    return path if relative.startswith("..") else relative


def shards(spec: str) -> list[Shard]:
    """The shards of ``spec`` in natural order: a glob, a folder, one file or URL, or a literal."""
    if spec == "-":
        raise EngineUsage("--engine dask reads files (globs, folders, URLs), not standard input")
    from fsspec.core import split_protocol, url_to_fs

    protocol = split_protocol(spec)[0]
    if protocol is None and not glob.has_magic(spec) and not os.path.exists(spec):
        operand = read_operand(spec, None)  # a literal, or the local engine's error for what is neither
        return [Shard("", operand.name, "", operand)]
    try:
        fs, path = url_to_fs(spec)
        files = _listed(fs, path)
    except ImportError as error:  # s3:// without s3fs: fsspec says which package
        raise EngineError(f"{spec}: {error}") from None
    except (OSError, ValueError) as error:
        raise DataError(spec, f"cannot list the shards: {error}") from None
    extension = _one_format(spec, files)
    files.sort(key=_natural)
    if protocol is None:
        return [Shard(path, _shown(path), extension) for path in files]
    return [Shard(fs.unstrip_protocol(path), fs.unstrip_protocol(path), extension) for path in files]


def _listed(fs, pattern: str) -> list[str]:
    """The files a glob, a folder (its shards, not its hidden ``.``/``_`` files) or a file names."""
    paths = fs.glob(pattern) if glob.has_magic(pattern) else [pattern]
    files = []
    for path in paths:
        if fs.isdir(path):
            files += [item for item in fs.ls(path, detail=False)
                      if not os.path.basename(item.rstrip("/"))[:1] in "._"
                      and _extension(item) in shard_extensions() and fs.isfile(item)]
        else:
            files.append(path)
    return files


def _shard_kinds() -> str:
    """What a shard may be, for a message: the registry's shard extensions."""
    return f"shards are {listed(shard_extensions())} files"


def _one_format(spec: str, files: list[str]) -> str:
    """The one extension of a dataset's shards, or the error saying why there is none."""
    if not files:
        raise DataError(spec, "no shards: nothing matches" if glob.has_magic(spec) else "no shards in this folder",
                        _shard_kinds())
    readable = shard_extensions()
    unknown = [path for path in files if _extension(path) not in readable]
    if unknown:
        raise DataError(unknown[0], "is no shard divcli reads",
                        _shard_kinds())
    extensions = sorted({_extension(path) for path in files})
    if len(extensions) > 1:
        raise DataError(spec, f"mixes {' and '.join(extensions)} shards", "give the shards of one dataset one format")
    return extensions[0]


def pairs(p_shards: list[Shard], q_shards: list[Shard] | None, broadcast: str | None, specs: list[str | None]):
    """The tasks' shards: shard i of P with shard i of Q, or the one shard of a broadcast operand with
    every shard of the other."""
    if q_shards is None:
        return [(p, None) for p in p_shards]
    if broadcast is not None:
        return [(p_shards[0], q) for q in q_shards] if broadcast == "P" else [(p, q_shards[0]) for p in p_shards]
    if len(p_shards) != len(q_shards):
        raise DataError("", f"P has {count_of(len(p_shards), 'shard', 'shards')} ({specs[0]}) but Q has "
                            f"{len(q_shards)} ({specs[1]})",
                        "shard i of P goes with shard i of Q (in natural order): give both as many, "
                        "or one of them a single row")
    return list(zip(p_shards, q_shards))
