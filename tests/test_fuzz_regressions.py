"""Every crash the fuzzer (tests/fuzz_readers.py) found, replayed: only DataError, no warning, no nan.

Byte 0 of each input picks the reader, byte 1 the kind (see tests/fuzz_target.py); the inputs below
were rewritten to pick the reader each was found with.
"""

from __future__ import annotations

import warnings

import pytest

from fuzz_target import check

CRASHES = {
    # log-probs of 1111: exp overflowed while checking the row sum (a RuntimeWarning on stderr)
    "log-probs-exp-overflow": b"\x02\x02\n1111\n1\n11055555\n",
    # entropy of label 222224444 built a one-hot row of 222 million classes (out of memory)
    "labels-huge-class-count": b"\x02/222224444",
    # the fraction 3E336/3 overflowed float64 inside Fraction → float (an OverflowError traceback)
    "fraction-overflow": b"\x05\x8c3E336/3\n\"",
    # the literal 1e999999999/3 made Fraction build a billion-digit integer: minutes (a fuzz timeout)
    "fraction-huge-exponent": b"\x06\x00" + b"1e999999999/3",
    # a label of 70 digits overflowed the cast to int64 (a RuntimeWarning, and a wrong label)
    "labels-beyond-int64": b"\x02\xdb\n" + b"6" * 70 + b"\n\n ",
}


@pytest.mark.parametrize("data", CRASHES.values(), ids=CRASHES.keys())
def test_fuzz_crash_is_fixed(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(data)


def test_every_reader_and_kind_is_reachable():
    """The target's first two bytes reach every reader and kind (so fuzzing covers them)."""
    from fuzz_target import BLOCK_READERS, EXTENSIONS, KINDS, READERS, read

    payloads = [b"0.5,0.5", b"0.5\t0.5", b"0.5 0.5", b"[0.5, 0.5]", b"[0.5, 0.5]", b"[0.5, 0.5]", b"0.5,0.5",
                b"0.5,0.5", b"[0.5, 0.5]", b"0.5,0.5"]
    assert len(payloads) == READERS == len(EXTENSIONS) + 1 + len(BLOCK_READERS)
    seen = set()
    for reader, payload in enumerate(payloads):
        for setting in range(len(KINDS)):
            operand, kind, _ = read(bytes([reader, setting]) + payload)
            seen.add((reader, kind))
            assert operand.values.tolist() == [[0.5, 0.5]], reader
    assert len(seen) == READERS * len(KINDS)
