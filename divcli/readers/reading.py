"""Reading an operand through the format table (:mod:`divcli.readers.registry`): whole or in blocks,
from a file, standard input, a literal or a Dask shard, and sniffing what no extension names.

The command line (:func:`open_blocks`, :func:`read_operand`), the Python API and the Dask engine's
shards (:func:`open_shard`) all read here. ``--select``, ``--drop`` and ``--names`` reach every format:
a format whose readers do not pick the columns themselves (``Format.picks_columns``) has them picked
from what its readers return (:func:`picked`, :class:`PickedBlocks`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, replace
from typing import BinaryIO, Callable

from ..errors import DataError, show_value
from . import textblocks
from .blocks import ArrayBlocks, Blocks
from .columns import ColumnChoice
from .json import is_flat_row, is_json_lines, read_json, read_json_lines
from .literal import looks_like_literal, parse_literal
from .operand import STDIN, STDIN_NAME, Operand, pick_read
from .registry import Format, extension_of, format_of
from .source import BOM, check_no_nul, check_text_start, decode, read_bounded
from .spool import binary_kind, read_head, spooled
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
    #: the file's name in messages, when not its path (``<stdin>``: standard input copied to a file)
    name: str | None = None


@dataclass(frozen=True)
class ShardSource:
    """One shard of the Dask engine, as a format's shard reader sees it."""

    name: str
    #: the shard's bytes (through fsspec; the engine closes them)
    open: Callable[[], BinaryIO]
    #: the path when the shard is a local file (a .npy is then read a block of rows at a time)
    local_path: str | None = None
    #: P's or Q's ``--select`` as column names → indices, for a format that reads only those columns
    pick: Callable[[list[str]], list[int]] | None = None


# --------------------------------------------------------------------------------------------
# --select, --drop and --names for a format that does not pick them itself


class PickedBlocks:
    """Blocks with ``--select``, ``--drop`` and ``--names`` applied to each (resolved once, on the
    first block's header and width: :func:`~divcli.readers.columns.ColumnChoice.resolve` keeps it)."""

    def __init__(self, blocks: Blocks, columns: ColumnChoice):
        self.blocks, self.columns = blocks, columns
        self.name = blocks.name
        self.may_wait = getattr(blocks, "may_wait", False)

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        block = self.blocks.read(rows, max_values)
        return None if block is None else pick_read(block, self.columns)

    def exhausted(self) -> bool:
        return self.blocks.exhausted()

    def close(self) -> None:
        self.blocks.close()

    def __getattr__(self, name: str):  # position(), owns_stream, … of the blocks picked from
        return getattr(self.blocks, name)


def picked(fmt: Format, read: Operand | Blocks, request: Request) -> Operand | Blocks:
    """What a reader of ``fmt`` returned, with ``request.columns`` applied unless the format did."""
    if fmt.picks_columns or not request.columns.given:
        return read
    if isinstance(read, Operand):
        return pick_read(read, request.columns)
    if isinstance(read, ArrayBlocks):
        return ArrayBlocks(pick_read(read.operand, request.columns))
    return PickedBlocks(read, request.columns)


def _parse(fmt: Format, text: str, name: str, request: Request) -> Operand:
    return picked(fmt, fmt.reader("parse")(text, name, request), request)


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


def sniffed_blocks(stream: BinaryIO, request: Request, name: str = STDIN_NAME, ahead: bytes = b"") -> Blocks:
    """Standard input (or a device, a FIFO) of text: JSON Lines when its first non-blank line is one
    flat row and more follow, a JSON document when it starts with [ or {, else delimited text;
    ``ahead``: its first bytes, read already."""
    ahead = (ahead + stream.read(textblocks.READ_BYTES)).removeprefix(BOM)
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
               columns: ColumnChoice = ColumnChoice(), key: str | None = None) -> Operand:
    """Parse text by its extension, sniffing the format when the extension does not say.

    ``delimiter`` (``--delimiter``) overrides the extension's and the sniffed one for delimited text;
    ``key`` is a path into a JSON document (``FILE.json:KEY``).
    """
    fmt = format_of(extension)
    request = Request(delimiter, columns, key=key)
    if fmt is not None and fmt.parse is not None:
        return _parse(fmt, text, name, request)
    return _sniffed_text(text, name, extension, request)


def read_file(path: str, delimiter: str | None = None, columns: ColumnChoice = ColumnChoice(),
              key: str | None = None) -> Operand:
    """A text file read whole (at most :data:`~divcli.readers.source.MAX_STREAM_BYTES` from a device)."""
    try:
        with open(path, "rb") as handle:
            data = read_bounded(handle, path)
    except IsADirectoryError:
        raise DataError(path, "is a directory", "give a file") from None
    except OSError as error:
        raise DataError(path, f"cannot read: {error.strerror}") from None
    return parse_text(decode(data, path), path, extension_of(path), delimiter, columns, key)


def _check_piped(stream: BinaryIO) -> None:
    if hasattr(stream, "isatty") and stream.isatty():
        raise DataError(STDIN_NAME, "'-' reads standard input, but nothing is piped in",
                        "pipe data in (cat p.csv | divcli …) or give a file")


def read_stdin(stream: BinaryIO, delimiter: str | None = None, columns: ColumnChoice = ColumnChoice(),
               widen: bool = True) -> Operand:
    """Standard input read whole: a binary file by its first bytes (:mod:`.spool`), else text."""
    _check_piped(stream)
    head = read_head(stream)
    kind = binary_kind(head)
    if kind is not None:
        request = Request(delimiter, columns, widen, name=STDIN_NAME)
        return spooled_read(stream, head, kind, lambda fmt, path: picked(fmt, fmt.reader("read")(path, request), request))
    first = (head + stream.read(1 << 16)).removeprefix(BOM)
    check_text_start(first, STDIN_NAME)
    return parse_text(decode(read_bounded(stream, STDIN_NAME, first), STDIN_NAME), STDIN_NAME, "", delimiter, columns)


def spooled_read(stream: BinaryIO, head: bytes, kind: str, read: Callable, name: str = STDIN_NAME):
    """``read(format, path)`` of a binary file on ``stream`` (``head`` its first bytes, ``kind`` its
    extension) copied to a temporary file, which is gone once ``read`` has opened it. A kind no
    format of the table reads (llama.cpp's dumps) is refused before anything is copied."""
    fmt = format_of(kind)
    if fmt is None or fmt.read is None:
        raise DataError(name, "a llama.cpp KL-divergence dump (it starts with _logits_), which only divcli lm reads",
                        "compare two dumps with divcli lm BASE.kld CANDIDATE.kld")
    with spooled(stream, head, kind, name) as path:
        return read(fmt, path)


def _member(spec: str) -> tuple[Format, str, str | None] | None:
    """``file.ext:key`` of a format with members (an archive's array, a tensor, a path into a JSON
    document): its format, the file and the key (None when empty). The file is the part before the
    first colon that leaves an existing file of such a format, so a key may hold colons."""
    at = spec.find(":")
    while at >= 0:
        path = spec[:at]
        fmt = format_of(extension_of(path))
        if fmt is not None and fmt.members and os.path.isfile(path):
            return fmt, path, spec[at + 1:] or None
        at = spec.find(":", at + 1)
    return None


def _local_reader(spec: str) -> tuple[Format, str, str | None] | None:
    """The format that reads ``spec`` as a local file (or ``file.ext:key``, a member), its path and key."""
    fmt = format_of(extension_of(spec))
    if fmt is not None and fmt.read is not None and os.path.isfile(spec):
        return fmt, spec, None
    member = _member(spec)
    return member if member is not None and member[0].read is not None else None


def is_literal(spec: str) -> bool:
    """Whether :func:`read_operand` reads ``spec`` as a literal: not ``-``, no file, no member of one."""
    return spec != STDIN and _local_reader(spec) is None and not os.path.exists(spec) and \
        format_of(extension_of(spec)) is None


def read_operand(spec: str, stdin: BinaryIO, delimiter: str | None = None, *, widen: bool = True,
                 columns: ColumnChoice = ColumnChoice()) -> Operand:
    """Read one operand: ``-``, an existing path, or a literal (whose syntax is fixed). ``widen``:
    see :func:`~divcli.readers.binary.read_numpy`; ``columns``: ``--select``, ``--drop``, ``--names``."""
    if spec == STDIN:
        return read_stdin(stdin, delimiter, columns, widen)
    local = _local_reader(spec)
    if local is not None:
        fmt, path, key = local
        request = Request(delimiter, columns, widen, key)
        return picked(fmt, fmt.reader("read")(path, request), request)
    if os.path.exists(spec):
        return read_file(spec, delimiter, columns)
    member = _member(spec)
    if member is not None:  # a path into a JSON document, read whole
        return read_file(member[1], delimiter, columns, member[2])
    if format_of(extension_of(spec)) is not None:
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
        return stream_blocks(stdin, request)
    local = _local_reader(spec)
    if local is not None and local[0].blocks is not None:
        fmt, path, key = local
        request = replace(request, key=key)
        return picked(fmt, fmt.reader("blocks")(path, request), request)
    fmt = format_of(extension_of(spec))
    streamed = fmt is not None and fmt.stream is not None
    # a device or a FIFO (/dev/stdin, <(…)) may never end: read like standard input, never whole
    device = fmt is None and os.path.exists(spec) and not os.path.isdir(spec) and not os.path.isfile(spec)
    if os.path.exists(spec) and not os.path.isdir(spec) and (streamed or device):
        return _stream_blocks(spec, None if device else fmt, request)
    member = _member(spec) if not os.path.exists(spec) else None
    if member is not None and member[0].stream is not None:  # FILE.jsonl:KEY, a path into every line
        return _stream_blocks(member[1], member[0], replace(request, key=member[2]))
    return ArrayBlocks(read_operand(spec, stdin, delimiter, widen=False, columns=columns))  # widened block by block


def stream_blocks(stream: BinaryIO, request: Request, name: str = STDIN_NAME) -> Blocks:
    """Standard input (or a device, a FIFO) a block of rows at a time: a binary file (``.npy``,
    ``.npz``) by its first bytes, copied to a temporary file and read from there; else text,
    sniffed (:func:`sniffed_blocks`)."""
    head = read_head(stream)
    kind = binary_kind(head)
    if kind is None:
        return sniffed_blocks(stream, request, name, head)
    request = replace(request, name=name)
    return spooled_read(stream, head, kind, lambda fmt, path: picked(fmt, fmt.reader("blocks")(path, request), request),
                        name)


def _stream_blocks(spec: str, fmt: Format | None, request: Request) -> Blocks:
    """The blocks of a file read as a stream: by ``fmt``, or sniffed as standard input is (None)."""
    try:
        stream = open(spec, "rb")  # noqa: SIM115 - closed by the blocks' close()
    except OSError as error:
        raise DataError(spec, f"cannot read: {error.strerror}") from None
    try:
        blocks = stream_blocks(stream, request, spec) if fmt is None else fmt.reader("stream")(stream, spec, request)
    except BaseException:
        stream.close()
        raise
    if hasattr(blocks, "owns_stream"):  # they read it on
        blocks.owns_stream = True
    else:
        stream.close()  # read whole already, or copied to a file of their own
    return blocks if fmt is None else picked(fmt, blocks, request)


def open_shard(source: ShardSource, extension: str, request: Request) -> tuple[Blocks, bool]:
    """The blocks of one Dask shard of format ``extension``, and whether the columns are chosen
    already: by ``source.pick`` in a shard reader that applies it, or by ``request.columns`` in a
    format read as a local file is (records of JSON Lines then take ``--select`` as their list field)."""
    fmt = format_of(extension)
    if fmt.shard is not None:
        return picked(fmt, fmt.reader("shard")(source, request), request), fmt.shard_picks
    if fmt.stream is not None:
        blocks = fmt.reader("stream")(source.open(), source.name, request)
        return picked(fmt, blocks, request), request.columns.given
    text = decode(source.open().read(), source.name)
    return ArrayBlocks(_parse(fmt, text, source.name, request)), request.columns.given
