"""The fuzz target, without atheris: raw bytes → a reader → every check → a number.

Byte 0 picks the reader (CSV, TSV, TXT, JSON, JSON Lines, sniffed standard input, literal), byte 1
the kind and whether to ``--normalize``; the rest is the input. The only exception allowed is
divcli's :class:`~divcli.errors.DataError`, no numpy warning may escape (it would reach the user's
terminal), and a result is never ``nan``. ``tests/fuzz_readers.py`` drives it with atheris;
``tests/test_fuzz_regressions.py`` replays every crash found.
"""

from __future__ import annotations

import math

from divcli.core import Options, compute
from divcli.errors import DataError
from divcli.inputs import STDIN_NAME, decode, parse_literal, parse_text
from divcli.kinds import Conversion, Kind
from divcli.report import Command

EXTENSIONS = [".csv", ".tsv", ".txt", ".json", ".jsonl", ""]
KINDS = list(Kind)


def read(data: bytes):
    reader = data[0] % (len(EXTENSIONS) + 1) if data else 0
    setting = data[1] if len(data) > 1 else 0
    payload = data[2:]
    if reader == len(EXTENSIONS):
        operand = parse_literal(payload.decode("utf-8", "replace"))
    else:
        extension = EXTENSIONS[reader]
        name = STDIN_NAME if not extension else f"fuzz{extension}"
        operand = parse_text(decode(payload, name), name, extension)
    return operand, KINDS[setting % len(KINDS)], bool(setting & 0x80)


def check(data: bytes) -> None:
    """Raise anything but DataError, or AssertionError for a nan result; else return quietly."""
    try:
        operand, kind, normalize = read(data)
        conversion = Conversion(normalize=normalize)
        reports = [compute(Command.ENTROPY, operand, None, Options(p_kind=kind, conversion=conversion))]
        if kind is not Kind.LABELS:
            reports.append(compute(Command.KL, operand, operand,
                                   Options(p_kind=kind, q_kind=kind, conversion=conversion)))
    except DataError:
        return
    for result in reports:
        if math.isnan(float(result.value)):
            raise AssertionError(f"nan result for {data!r}")
