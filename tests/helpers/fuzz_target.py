"""The fuzz target, without atheris: raw bytes → a reader → every check → a number.

Byte 0 picks the reader: whole-text parsers for CSV, TSV, TXT, JSON, JSON Lines and sniffed standard
input, a literal, or the block readers (delimited text, JSON Lines, standard input) in blocks of a
few rows. Byte 1 picks the kind and whether to ``--normalize``; the rest is the input. The only
exception allowed is divcli's :class:`~divcli.errors.DataError`, no numpy warning may escape (it
would reach the user's terminal), and a result is never ``nan``. ``tests/fuzz_readers.py`` drives it
with atheris; ``tests/readers/test_fuzz_regressions.py`` replays every crash found.
"""

from __future__ import annotations

import io
import math

from divcli.readers import sizes
from divcli.readers.blocks import ArrayBlocks
from divcli.engine.collect import Collect
from divcli.vocabulary import Options, Conversion, Kind, Command
from divcli.computations.runs import run_divergence
from divcli.errors import DataError
from divcli.readers.literal import parse_literal
from divcli.readers.operand import STDIN_NAME
from divcli.readers.reading import open_blocks, parse_text
from divcli.readers.source import decode
from divcli.readers.textblocks import TextBlocks

EXTENSIONS = [".csv", ".tsv", ".txt", ".json", ".jsonl", ""]
BLOCK_READERS = ["blocks-csv", "blocks-jsonl", "blocks-stdin"]
#: The C parsers (numpy's, pyarrow's) forced onto small inputs, each checked against the careful reader.
FAST_READERS = {"fast-numpy": {"FAST_MIN_CHARS": 0, "ARROW_MIN_BYTES": 1 << 62},
                "fast-arrow": {"FAST_MIN_CHARS": 0, "ARROW_MIN_BYTES": 0}}
READERS = len(EXTENSIONS) + 1 + len(BLOCK_READERS) + len(FAST_READERS)
KINDS = list(Kind)


class _Stdin(io.BytesIO):
    def isatty(self) -> bool:
        return False


def _blocks(data: bytes, reader: int, payload: bytes):
    """Two independent readers of the same bytes (P and Q), for the chosen reader."""
    def one():
        if reader < len(EXTENSIONS):
            extension = EXTENSIONS[reader]
            name = STDIN_NAME if not extension else f"fuzz{extension}"
            return ArrayBlocks(parse_text(decode(payload, name), name, extension))
        if reader == len(EXTENSIONS):
            return ArrayBlocks(parse_literal(payload.decode("utf-8", "replace")))
        which = (BLOCK_READERS + ["blocks-csv"] * len(FAST_READERS))[reader - len(EXTENSIONS) - 1]
        if which == "blocks-stdin":
            return open_blocks("-", _Stdin(payload))
        return TextBlocks(io.BytesIO(payload), "fuzz", ",", which == "blocks-jsonl")
    return one(), one()


def read(data: bytes):
    """The first operand of ``data`` read whole (for the reachability test)."""
    reader = data[0] % READERS if data else 0
    setting = data[1] if len(data) > 1 else 0
    p, _ = _blocks(data, reader, data[2:])
    block = p.read(1 << 20)
    return block, KINDS[setting % len(KINDS)], bool(setting & 0x80)


def check(data: bytes) -> None:
    """Raise anything but DataError, or AssertionError for a nan result; else return quietly. For the
    fast readers, the careful reader must give the same numbers, or an error where it does; for the
    block reader of delimited text, the text read whole must give the same rows and lines, or an
    error at the same line."""
    reader = data[0] % READERS if data else 0
    if reader == len(EXTENSIONS) + 1:  # blocks-csv
        streamed_equals_whole(data[2:])
    fast = reader - (len(EXTENSIONS) + 1 + len(BLOCK_READERS))
    if fast >= 0:
        import numpy as np

        from divcli.readers import fast as fast_reader

        thresholds = list(FAST_READERS.values())[fast]
        saved = {name: getattr(fast_reader, name) for name in thresholds}
        for name, value in thresholds.items():
            setattr(fast_reader, name, value)
        try:
            quick = _results(data, reader)
        finally:
            for name, value in saved.items():
                setattr(fast_reader, name, value)
        careful = _results(data, reader)
        if (quick is None) != (careful is None) or (quick is not None and not all(
                np.array_equal(a, b, equal_nan=True) for a, b in zip(quick, careful))):
            raise AssertionError(f"the fast reader and the careful one differ on {data!r}: {quick} {careful}")
        return
    _results(data, reader)


def _results(data: bytes, reader: int):
    """Entropy and KL of the input read as ``reader`` says; None for a DataError."""
    setting = data[1] if len(data) > 1 else 0
    kind, normalize = KINDS[setting % len(KINDS)], bool(setting & 0x80)
    conversion = Conversion(normalize=normalize)
    saved = sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS
    sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS = 2, 6
    try:
        results = []
        p, q = _blocks(data, reader, data[2:])
        sink = Collect()
        run_divergence(Command.ENTROPY, p, None, Options(p_kind=kind, conversion=conversion), sink)
        results.append(sink.value)
        if kind is not Kind.LABELS:
            p, q = _blocks(data, reader, data[2:])
            sink = Collect()
            run_divergence(Command.KL, p, q, Options(p_kind=kind, q_kind=kind, conversion=conversion), sink)
            results.append(sink.value)
    except DataError:
        return None
    finally:
        sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS = saved
    for value in results:
        if math.isnan(float(value)):
            raise AssertionError(f"nan result for {data!r}")
    return results


def streamed_equals_whole(payload: bytes, rows: int = 2, read_bytes: int = 16) -> None:
    """TextBlocks in blocks of ``rows`` rows, topping up ``read_bytes`` bytes at a time, against
    ``parse_text`` of the whole text: the same values, lines and header, or an error at the same
    file:line. (``tests/readers/test_blocks.py`` runs it on generated texts too.)"""
    import numpy as np

    from divcli.readers import textblocks

    def whole():
        return parse_text(decode(payload, "fuzz.csv"), "fuzz.csv", ".csv")

    def streamed():
        saved, textblocks.READ_BYTES = textblocks.READ_BYTES, read_bytes
        try:
            reader, parts = TextBlocks(io.BytesIO(payload), "fuzz.csv", ",", False), []
            while (block := reader.read(rows)) is not None:
                parts.append(block)
            return parts
        finally:
            textblocks.READ_BYTES = saved

    results = []
    for read in (whole, streamed):
        try:
            results.append(read())
        except DataError as error:
            # where: file and line; the whole text is decoded before it is read, the blocks one at
            # a time, so an error in an earlier row comes first in blocks: then only "an error"
            decoding = any(words in str(error) for words in ("not UTF-8", "binary file", "looks like UTF-"))
            results.append(("decoding",) if decoding else tuple(str(error).split(":")[:2]))
    one, parts = results
    if isinstance(one, tuple) or isinstance(parts, tuple):
        either_decoding = ("decoding",) in (one, parts) and isinstance(one, tuple) and isinstance(parts, tuple)
        if one != parts and not either_decoding:
            raise AssertionError(f"read whole and in blocks differ on {payload!r}: {one} {parts}")
        return
    same = (np.array_equal(np.concatenate([part.values for part in parts]), one.values, equal_nan=True)
            and np.concatenate([part.lines for part in parts]).tolist() == list(one.lines)
            and parts[0].classes == one.classes)
    if not same:
        raise AssertionError(f"read whole and in blocks differ on {payload!r}")
