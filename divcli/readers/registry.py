"""The one format registry: which reader reads an operand, and the sniffing rules, in one place.

An operand is one of

* a path to a file whose extension names a registered :class:`Format` (``.csv``, ``.tsv``, ``.txt``,
  ``.json``, ``.jsonl``, ``.ndjson``, ``.npy``, ``.npz`` with ``file.npz:key``, ``.parquet``, ``.pq``);
* a file of another extension, or ``-`` for standard input, sniffed (:func:`parse_text`,
  :func:`sniffed_blocks`): JSON when the first non-blank character is ``[`` or ``{``, delimited text
  otherwise;
* a literal: numbers separated by commas, rows by ``;`` (``"0.2,0.8;0.5,0.5"``), or a JSON array.

The command line (:func:`open_blocks`, :func:`read_operand`), the Python API and the Dask engine's
shards (:func:`open_shard`) all read through this table. A new format is one :func:`register` call::

    register(Format("semicolons", (".semi",), parse=lambda text, name, request:
                    read_delimited(text, name, ";", columns=request.columns)))
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import BinaryIO, Callable

from .columns import ColumnChoice
from ..errors import DataError, show_value
from . import textblocks
from .binary import numpy_blocks, read_npy_bytes, read_numpy
from .blocks import ArrayBlocks, Blocks
from .json import is_flat_row, is_json_lines, read_json, read_json_lines
from .literal import looks_like_literal, parse_literal
from .operand import STDIN, STDIN_NAME, Operand, pick_read
from .parquet import ParquetBlocks, read_parquet, read_parquet_shard
from .source import BOM, check_no_nul, check_text_start, decode, read_bounded
from .text import read_delimited, sniff_delimiter
from .textblocks import TextBlocks


@dataclass(frozen=True)
class Request:
    """How to read an operand, whatever its format."""

    #: ``--delimiter``: overrides a delimited format's own (and the sniffed one)
    delimiter: str | None = None
    #: ``--select``, ``--drop`` and ``--names``
    columns: ColumnChoice = ColumnChoice()
    #: float64 at once; else as stored (blocks widen each slice: a float32 array is never copied whole)
    widen: bool = True
    #: an archive's member (``file.npz:key``)
    key: str | None = None


@dataclass(frozen=True)
class ShardSource:
    """One shard of the Dask engine, as a format's shard reader sees it."""

    name: str
    #: the shard's bytes (through fsspec; the engine closes them)
    open: Callable[[], BinaryIO]
    #: the path when the shard is a local file (a .npy is then read a block of rows at a time)
    local_path: str | None = None
    #: ``--p-cols``/``--q-cols`` as column names → indices, for a format that reads only those columns
    pick: Callable[[list[str]], list[int]] | None = None


@dataclass(frozen=True)
class Format:
    """One input format: its extensions and its readers. Every reader is optional; ``parse`` alone
    makes a text format, read whole from a file (a command's operand, the Python API) or a Dask shard.

    * ``parse(text, name, request)`` → Operand: the whole text of a file of this format;
    * ``stream(stream, name, request)`` → Blocks: a byte stream a block of rows at a time (the
      blocks have an ``owns_stream`` attribute: set when the registry opened the file for them);
    * ``read(path, request)`` → Operand: a local regular file read whole (binary formats);
    * ``blocks(path, request)`` → Blocks: a local regular file a block of rows at a time;
    * ``shard(source, request)`` → Blocks: a Dask shard (:class:`ShardSource`); by default
      ``stream``, else ``parse`` of the whole shard;
    * ``shard_extensions``: the extensions the Dask engine takes as shards (default: every one, when
      the format can read a shard); ``picks_columns``: ``shard`` applies ``source.pick`` itself;
      ``members``: a path may name a member, ``file.ext:key``.
    """

    name: str
    extensions: tuple[str, ...]
    parse: Callable[[str, str, Request], Operand] | None = None
    stream: Callable[[BinaryIO, str, Request], Blocks] | None = None
    read: Callable[[str, Request], Operand] | None = None
    blocks: Callable[[str, Request], Blocks] | None = None
    shard: Callable[[ShardSource, Request], Blocks] | None = None
    shard_extensions: tuple[str, ...] | None = None
    picks_columns: bool = False
    members: bool = False

    def shard_kinds(self) -> tuple[str, ...]:
        if self.shard_extensions is not None:
            return self.shard_extensions
        return self.extensions if (self.parse or self.stream or self.shard) else ()


#: extension (lower case, with its dot) → format
FORMATS: dict[str, Format] = {}


def register(fmt: Format) -> Format:
    """Add ``fmt`` to the table (an extension already there is taken over by it)."""
    for extension in fmt.extensions:
        FORMATS[extension.lower()] = fmt
    return fmt


def extension_of(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def shard_extensions() -> set[str]:
    """The extensions of the files the Dask engine reads as shards."""
    return {extension for fmt in FORMATS.values() for extension in fmt.shard_kinds()}


# --------------------------------------------------------------------------------------------
# the table


def _delimited(default: str | None):
    """Delimited text: ``default`` is the extension's delimiter (None: sniffed)."""
    def parse(text: str, name: str, request: Request) -> Operand:
        delimiter = request.delimiter if request.delimiter is not None else default or sniff_delimiter(text)
        return read_delimited(text, name, delimiter, columns=request.columns)

    def stream(source: BinaryIO, name: str, request: Request) -> Blocks:
        return TextBlocks(source, name, request.delimiter or default, False, columns=request.columns)

    return parse, stream


def _json_lines_stream(source: BinaryIO, name: str, request: Request) -> Blocks:
    return TextBlocks(source, name, request.delimiter, True, columns=request.columns)


def _npy_shard(source: ShardSource, request: Request) -> Blocks:
    if source.local_path is not None:
        return numpy_blocks(source.local_path, name=source.name)
    return ArrayBlocks(read_npy_bytes(source.open().read(), source.name))


for _name, _extension, _default in (("CSV", ".csv", ","), ("TSV", ".tsv", "\t"), ("text", ".txt", None)):
    _parse, _stream = _delimited(_default)
    register(Format(_name, (_extension,), parse=_parse, stream=_stream))
register(Format("JSON", (".json",), parse=lambda text, name, request: read_json(text, name, request.columns)))
register(Format("JSON Lines", (".jsonl", ".ndjson"), stream=_json_lines_stream,
                parse=lambda text, name, request: read_json_lines(text, name, columns=request.columns)))
def _read_numpy(path: str, request: Request) -> Operand:
    return pick_read(read_numpy(path, request.key, widen=request.widen), request.columns)


def _numpy_blocks(path: str, request: Request) -> Blocks:
    return numpy_blocks(path, request.key, request.columns)


register(Format("npy", (".npy",), shard=_npy_shard, read=_read_numpy, blocks=_numpy_blocks))
register(Format("npz", (".npz",), members=True, shard_extensions=(), read=_read_numpy, blocks=_numpy_blocks))
register(Format("Parquet", (".parquet", ".pq"), shard_extensions=(".parquet",), picks_columns=True,
                read=lambda path, request: read_parquet(path, request.columns),
                blocks=lambda path, request: ParquetBlocks(path, request.columns),
                shard=lambda source, request: ArrayBlocks(read_parquet_shard(source))))


# --------------------------------------------------------------------------------------------
# sniffing


def _sniffed_text(text: str, name: str, extension: str, request: Request) -> Operand:
    """Text of no known format: ``--delimiter`` says delimited (unless standard input holds JSON);
    else JSON (JSON Lines when more than one document) when it starts with ``[`` or ``{``; else
    delimited text with a sniffed delimiter."""
    json_like = text.lstrip()[:1] in ("[", "{")
    if request.delimiter is not None and not (extension == "" and json_like):
        return read_delimited(text, name, request.delimiter, columns=request.columns)
    if json_like:
        return (read_json_lines if is_json_lines(text) else read_json)(text, name, columns=request.columns)
    return read_delimited(text, name, sniff_delimiter(text), columns=request.columns)


def sniffed_blocks(stream: BinaryIO, request: Request, name: str = STDIN_NAME) -> Blocks:
    """Standard input (or a device, a FIFO): JSON Lines when its first non-blank line is one flat
    row and more follow, a JSON document when it starts with [ or {, else delimited text."""
    ahead = stream.read(textblocks.READ_BYTES).removeprefix(BOM)
    check_text_start(ahead, name)
    check_no_nul(ahead, name)
    start = ahead.lstrip()
    if start[:1] not in (b"[", b"{"):
        return TextBlocks(stream, name, request.delimiter, False, ahead, columns=request.columns)
    first, _, rest = start.partition(b"\n")
    while not rest.strip() and len(ahead) <= textblocks.MAX_LINE_BYTES and \
            (more := stream.read(textblocks.READ_BYTES)):
        check_no_nul(more, name, len(ahead))
        ahead, rest = ahead + more, rest + more
    if rest.strip() and is_flat_row(first):
        return TextBlocks(stream, name, None, True, ahead, columns=request.columns)
    text = decode(read_bounded(stream, name, ahead), name)
    return ArrayBlocks(_sniffed_text(text, name, "", Request(columns=request.columns)))


# --------------------------------------------------------------------------------------------
# operands read whole


def parse_text(text: str, name: str, extension: str = "", delimiter: str | None = None,
               columns: ColumnChoice = ColumnChoice()) -> Operand:
    """Parse text by its extension, sniffing the format when the extension does not say.

    ``delimiter`` (``--delimiter``) overrides the extension's and the sniffed one for delimited text.
    """
    fmt = FORMATS.get(extension)
    request = Request(delimiter, columns)
    if fmt is not None and fmt.parse is not None:
        return fmt.parse(text, name, request)
    return _sniffed_text(text, name, extension, request)


def read_file(path: str, delimiter: str | None = None, columns: ColumnChoice = ColumnChoice()) -> Operand:
    """A text file read whole (at most :data:`~divcli.readers.source.MAX_STREAM_BYTES` from a device)."""
    try:
        with open(path, "rb") as handle:
            data = read_bounded(handle, path)
    except IsADirectoryError:
        raise DataError(path, "is a directory", "give a file") from None
    except OSError as error:
        raise DataError(path, f"cannot read: {error.strerror}") from None
    return parse_text(decode(data, path), path, extension_of(path), delimiter, columns)


def _check_piped(stream: BinaryIO) -> None:
    if hasattr(stream, "isatty") and stream.isatty():
        raise DataError(STDIN_NAME, "'-' reads standard input, but nothing is piped in",
                        "pipe data in (cat p.csv | divcli …) or give a file")


def read_stdin(stream: BinaryIO, delimiter: str | None = None, columns: ColumnChoice = ColumnChoice()) -> Operand:
    _check_piped(stream)
    return parse_text(decode(read_bounded(stream, STDIN_NAME), STDIN_NAME), STDIN_NAME, "", delimiter, columns)


def _local_reader(spec: str) -> tuple[Format, str, str | None] | None:
    """The format that reads ``spec`` as a local file (or ``file.ext:key``, a member), its path and key."""
    fmt = FORMATS.get(extension_of(spec))
    if fmt is not None and fmt.read is not None and os.path.isfile(spec):
        return fmt, spec, None
    path, colon, key = spec.rpartition(":")
    fmt = FORMATS.get(extension_of(path)) if colon else None
    if fmt is not None and fmt.members and fmt.read is not None and os.path.isfile(path):
        return fmt, path, key or None
    return None


def read_operand(spec: str, stdin: BinaryIO, delimiter: str | None = None, *, widen: bool = True,
                 columns: ColumnChoice = ColumnChoice()) -> Operand:
    """Read one operand: ``-``, an existing path, or a literal (whose syntax is fixed). ``widen``:
    see :func:`~divcli.readers.binary.read_numpy`; ``columns``: ``--select``, ``--drop``, ``--names``."""
    if spec == STDIN:
        return read_stdin(stdin, delimiter, columns)
    local = _local_reader(spec)
    if local is not None:
        fmt, path, key = local
        return fmt.read(path, Request(delimiter, columns, widen, key))
    if os.path.exists(spec):
        return read_file(spec, delimiter, columns)
    if extension_of(spec) in FORMATS:
        raise DataError(spec, "no existing file and no valid literal",
                        "check the path (a literal is numbers like \"0.2,0.8\")")
    try:
        literal = parse_literal(spec)
    except DataError as error:
        if looks_like_literal(spec):
            raise
        if os.sep in spec:
            raise DataError(spec, "no existing file and no valid literal",
                            "check the path (a literal is numbers like \"0.2,0.8\")") from None
        raise DataError(
            "", f"{show_value(spec)} is no existing file and no valid literal ({error.template[1]})",
            "check the path, or write numbers like \"0.2,0.8\"",
        ) from None
    return pick_read(literal, columns)


# --------------------------------------------------------------------------------------------
# operands in blocks


def open_blocks(spec: str, stdin: BinaryIO, delimiter: str | None = None,
                columns: ColumnChoice = ColumnChoice()) -> Blocks:
    """Blocks of one operand: ``-``, a path, or a literal (see :func:`read_operand`); ``columns``:
    ``--select``, ``--drop`` and ``--names``, applied to every block."""
    request = Request(delimiter, columns, widen=False)
    if spec == STDIN:
        _check_piped(stdin)
        return sniffed_blocks(stdin, request)
    local = _local_reader(spec)
    if local is not None and local[0].blocks is not None:
        fmt, path, key = local
        return fmt.blocks(path, replace(request, key=key))
    fmt = FORMATS.get(extension_of(spec))
    streamed = fmt is not None and fmt.stream is not None
    # a device or a FIFO (/dev/stdin, <(…)) may never end: read like standard input, never whole
    device = fmt is None and os.path.exists(spec) and not os.path.isdir(spec) and not os.path.isfile(spec)
    if os.path.exists(spec) and not os.path.isdir(spec) and (streamed or device):
        return _stream_blocks(spec, None if device else fmt, request)
    return ArrayBlocks(read_operand(spec, stdin, delimiter, widen=False, columns=columns))  # widened block by block


def _stream_blocks(spec: str, fmt: Format | None, request: Request) -> Blocks:
    """The blocks of a file read as a stream: by ``fmt``, or sniffed as standard input is (None)."""
    try:
        stream = open(spec, "rb")  # noqa: SIM115 - closed by the blocks' close()
    except OSError as error:
        raise DataError(spec, f"cannot read: {error.strerror}") from None
    try:
        blocks = sniffed_blocks(stream, request, spec) if fmt is None else fmt.stream(stream, spec, request)
    except BaseException:
        stream.close()
        raise
    if isinstance(blocks, ArrayBlocks):
        stream.close()  # read whole already
    else:
        blocks.owns_stream = True
    return blocks


def open_shard(source: ShardSource, extension: str, request: Request) -> tuple[Blocks, bool]:
    """The blocks of one Dask shard of format ``extension``, and whether its reader applied
    ``source.pick`` already."""
    fmt = FORMATS[extension]
    if fmt.shard is not None:
        return fmt.shard(source, request), fmt.picks_columns
    if fmt.stream is not None:
        return fmt.stream(source.open(), source.name, request), False
    return ArrayBlocks(fmt.parse(decode(source.open().read(), source.name), source.name, request)), False
