"""The readers of the built-in formats, as the table of :mod:`divcli.readers.registry` names them
(``"divcli.readers.builtin:csv_parse"``): imported when a file of one of them is first read."""

from __future__ import annotations

from typing import BinaryIO

from .binary import numpy_blocks as _numpy_blocks, read_npy_bytes, read_numpy
from .blocks import ArrayBlocks, Blocks
from .json import read_json, read_json_lines
from .operand import Operand, pick_read
from .parquet import ParquetBlocks, read_parquet, read_parquet_shard
from .reading import Request, ShardSource
from .text import extension_delimiter, read_delimited, sniff_delimiter
from .textblocks import TextBlocks


def _delimited(default: str | None):
    """Delimited text: ``default`` is the extension's delimiter (None: sniffed as standard input is),
    which the first line may overrule (:func:`~divcli.readers.text.extension_delimiter`)."""
    def sniff(text: str) -> str:
        return sniff_delimiter(text) if default is None else extension_delimiter(text, default)

    def parse(text: str, name: str, request: Request) -> Operand:
        delimiter = request.delimiter if request.delimiter is not None else sniff(text)
        return read_delimited(text, name, delimiter, columns=request.columns)

    def stream(source: BinaryIO, name: str, request: Request) -> Blocks:
        return TextBlocks(source, name, request.delimiter, False, columns=request.columns, sniff=sniff)

    return parse, stream


csv_parse, csv_stream = _delimited(",")
tsv_parse, tsv_stream = _delimited("\t")
txt_parse, txt_stream = _delimited(None)


def json_parse(text: str, name: str, request: Request) -> Operand:
    return read_json(text, name, request.columns, request.key)


def json_lines_parse(text: str, name: str, request: Request) -> Operand:
    return read_json_lines(text, name, columns=request.columns, key=request.key)


def json_lines_stream(source: BinaryIO, name: str, request: Request) -> Blocks:
    return TextBlocks(source, name, request.delimiter, True, columns=request.columns, key=request.key)


def numpy_read(path: str, request: Request) -> Operand:
    return pick_read(read_numpy(path, request.key, widen=request.widen, name=request.name), request.columns)


def numpy_blocks(path: str, request: Request) -> Blocks:
    return _numpy_blocks(path, request.key, request.columns, name=request.name)


def npy_shard(source: ShardSource, request: Request) -> Blocks:
    if source.local_path is not None:
        return _numpy_blocks(source.local_path, name=source.name)
    return ArrayBlocks(read_npy_bytes(source.open().read(), source.name))


def parquet_read(path: str, request: Request) -> Operand:
    return read_parquet(path, request.columns)


def parquet_blocks(path: str, request: Request) -> Blocks:
    return ParquetBlocks(path, request.columns)


def parquet_shard(source: ShardSource, request: Request) -> Blocks:
    return ArrayBlocks(read_parquet_shard(source))
