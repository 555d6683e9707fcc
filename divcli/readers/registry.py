"""The input formats: each one's extensions, its readers and what it can do, in one table.

An operand is one of

* a path to a file whose extension names a registered :class:`Format` (``.csv``, ``.npy``,
  ``file.npz:key``, ``.parquet``: ``divcli formats`` lists them all);
* a file of another extension, or ``-`` for standard input, sniffed (:mod:`divcli.readers.reading`):
  JSON when the first non-blank character is ``[`` or ``{``, delimited text otherwise;
* a literal: numbers separated by commas, rows by ``;`` (``"0.2,0.8;0.5,0.5"``), or a JSON array.

The command line, the Python API and the Dask engine's shards all read through this table
(:mod:`divcli.readers.reading`); the help, ``divcli formats`` and the messages that list extensions are
generated from it. A new format is one :func:`register` call; a reader given as ``"module:attr"`` is
imported when first used, so this module imports no numpy (``divcli --help`` reads it)::

    register(Format("semicolons", (".semi",), parse=lambda text, name, request:
                    read_delimited(text, name, ";")))

``--select``, ``--drop`` and ``--names`` are applied to whatever a format's readers return, unless it
says it picks the columns itself (``picks_columns``).
"""

from __future__ import annotations

import os
from typing import Any, Callable

from ..registries import Registry, resolve


#: the readers a format may have, in the order ``divcli formats`` names them
READERS = ("parse", "stream", "read", "blocks", "shard")


class Format:
    """One input format: its extensions and its readers. Every reader is optional (and may be a
    ``"module:attr"`` string); ``parse`` alone makes a text format, read whole from a file (a
    command's operand, the Python API) or a Dask shard.

    * ``parse(text, name, request)`` → Operand: the whole text of a file of this format;
    * ``stream(stream, name, request)`` → Blocks: a byte stream a block of rows at a time (the
      blocks have an ``owns_stream`` attribute: set when the registry opened the file for them);
    * ``read(path, request)`` → Operand: a local regular file read whole (binary formats);
    * ``blocks(path, request)`` → Blocks: a local regular file a block of rows at a time;
    * ``shard(source, request)`` → Blocks: a Dask shard (:class:`~divcli.readers.reading.ShardSource`);
      by default ``stream``, else ``parse`` of the whole shard;
    * ``picks_columns``: the readers apply ``request.columns`` (``--select``, ``--drop``,
      ``--names``) themselves; otherwise the registry applies them to what they return;
    * ``shard_picks``: ``shard`` applies ``source.pick`` (P's or Q's ``--select``) itself;
    * ``shard_extensions``: the extensions the Dask engine takes as shards (default: every one, when
      the format can read a shard); ``members``: a path may name a member, ``file.ext:key`` (an
      archive's array, a tensor, a path into a JSON document), given to the readers as ``request.key``.

    ``request`` is a :class:`~divcli.readers.reading.Request`. A plain class, not a dataclass:
    ``divcli --help`` makes the built-in ones.
    """

    def __init__(self, name: str, extensions: tuple[str, ...], *,
                 parse: Callable[..., Any] | str | None = None, stream: Callable[..., Any] | str | None = None,
                 read: Callable[..., Any] | str | None = None, blocks: Callable[..., Any] | str | None = None,
                 shard: Callable[..., Any] | str | None = None,
                 shard_extensions: tuple[str, ...] | None = None, picks_columns: bool = False,
                 shard_picks: bool = False, members: bool = False):
        self.name, self.extensions = name, tuple(extension.lower() for extension in extensions)
        self.parse, self.stream, self.read, self.blocks, self.shard = parse, stream, read, blocks, shard
        self.shard_extensions, self.picks_columns, self.shard_picks = shard_extensions, picks_columns, shard_picks
        self.members = members

    def reader(self, kind: str) -> Callable[..., Any] | None:
        """The reader ``kind`` (one of :data:`READERS`), imported when given as ``"module:attr"``."""
        found = getattr(self, kind)
        if isinstance(found, str):
            found = resolve(found)
            setattr(self, kind, found)
        return found

    def shard_kinds(self) -> tuple[str, ...]:
        """The extensions the Dask engine reads as shards of this format."""
        if self.shard_extensions is not None:
            return self.shard_extensions
        return self.extensions if (self.parse or self.stream or self.shard) else ()

    @property
    def streams(self) -> bool:
        """Read a block of rows at a time (in bounded memory), not whole."""
        return self.stream is not None or self.blocks is not None

    def __repr__(self) -> str:
        return f"Format({self.name!r}, {self.extensions!r})"


#: format name → format, in the order registered (``divcli formats`` lists them so)
FORMATS = Registry("input format")


def register(fmt: Format, *, replace: bool = False) -> Format:
    """Add ``fmt`` to the table. An extension another format has is taken over by the one registered
    last; a name already there is a ValueError unless ``replace``."""
    return FORMATS.register(fmt.name, fmt, replace=replace)


def unregister(name: str) -> None:
    """Take the format ``name`` out of the table (a test's throwaway format)."""
    FORMATS.unregister(name)


def formats() -> list[Format]:
    """Every format, in the order registered."""
    return FORMATS.entries()


def format_of(extension: str) -> Format | None:
    """The format of files with ``extension`` (lower case, with its dot), or None."""
    return next((fmt for fmt in reversed(formats()) if extension in fmt.extensions), None)


def extensions() -> list[str]:
    """Every extension a format reads, in the table's order."""
    return list(dict.fromkeys(extension for fmt in formats() for extension in fmt.extensions
                              if format_of(extension) is fmt))


def extension_of(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def shard_extensions() -> list[str]:
    """The extensions of the files the Dask engine reads as shards, in the table's order."""
    return [extension for extension in extensions() if extension in format_of(extension).shard_kinds()]


# --------------------------------------------------------------------------------------------
# the built-in formats: their readers are in divcli/readers/builtin.py, imported when first used

_BUILTIN = "divcli.readers.builtin:"
for _name, _extension, _reader in (("CSV", ".csv", "csv"), ("TSV", ".tsv", "tsv"), ("text", ".txt", "txt")):
    register(Format(_name, (_extension,), parse=f"{_BUILTIN}{_reader}_parse", stream=f"{_BUILTIN}{_reader}_stream",
                    picks_columns=True))
register(Format("JSON", (".json",), parse=f"{_BUILTIN}json_parse", picks_columns=True, members=True))
register(Format("JSON Lines", (".jsonl", ".ndjson"), parse=f"{_BUILTIN}json_lines_parse",
                stream=f"{_BUILTIN}json_lines_stream", picks_columns=True, members=True))
register(Format("npy", (".npy",), read=f"{_BUILTIN}numpy_read", blocks=f"{_BUILTIN}numpy_blocks",
                shard=f"{_BUILTIN}npy_shard", picks_columns=True))
register(Format("npz", (".npz",), read=f"{_BUILTIN}numpy_read", blocks=f"{_BUILTIN}numpy_blocks",
                members=True, shard_extensions=(), picks_columns=True))
register(Format("safetensors", (".safetensors",), read="divcli.readers.safetensor:tensor_read",
                blocks="divcli.readers.safetensor:tensor_blocks", members=True, shard_extensions=(), picks_columns=True))
register(Format("Parquet", (".parquet", ".pq"), read=f"{_BUILTIN}parquet_read", blocks=f"{_BUILTIN}parquet_blocks",
                shard=f"{_BUILTIN}parquet_shard", shard_extensions=(".parquet",), picks_columns=True,
                shard_picks=True))
