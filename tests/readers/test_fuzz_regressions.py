"""Every crash the fuzzer (tests/fuzz_readers.py) found, replayed: only DataError, no warning, no nan.

Byte 0 of each input picks the reader, byte 1 the kind (see tests/helpers/fuzz_target.py); the inputs below
were rewritten to pick the reader each was found with.
"""

from __future__ import annotations

import warnings

import pytest

from helpers.fuzz_target import check

CRASHES = {
    # log-probs of 1111: exp overflowed while checking the row sum (a RuntimeWarning on stderr)
    "log-probs-exp-overflow": b"\x02\x02\n1111\n1\n11055555\n",
    # entropy of label 222224444 built a one-hot row of 222 million classes (out of memory)
    "labels-huge-class-count": b"\x02/222224444",
    # the fraction 3E336/3 overflowed float64 inside Fraction → float (an OverflowError traceback)
    "fraction-overflow": b"\x05\x8c3E336/3\n\"",
    # the literal 1e999999999/3 made Fraction build a billion-digit integer: minutes (a fuzz timeout)
    "fraction-huge-exponent": b"\x06\x00" + b"1e999999999/3",
    # numpy's parser forced onto a header with no rows warned "input contained no data" (a
    # UserWarning on the terminal; in real use a header line of 64 KiB or more and nothing else)
    "fast-header-alone": b"\n %\n",
    # pyarrow's parser took a lone carriage return for the end of a line, so a first line of
    # "6<CR>!0.l" became a header and the input numbers; the careful reader reports the bad cell
    "fast-arrow-lone-cr": b"\x8f\xa56\r!0.l\x11\n1\n",
    # a label of 70 digits overflowed the cast to int64 (a RuntimeWarning, and a wrong label)
    "labels-beyond-int64": b"\x02\xdb\n" + b"6" * 70 + b"\n\n ",
    # found by the block reader's property test (byte 0 = 7: blocks of delimited text, checked
    # against the text read whole): a carriage return alone ended a line for the csv module but
    # not for the block reader's line count; a quoted cell over a line end read whole as a number
    "blocks-lone-cr-line": b"\x07\x00" + b"\r\r\n0.25,0.75\r\n" * 3,
    "blocks-quote-over-line-end": b"\x07\x00" + b'0.1,0.9\n0.5,"0.5\n"\n0.25,0.75\n',
}


@pytest.mark.parametrize("data", CRASHES.values(), ids=CRASHES.keys())
def test_fuzz_crash_is_fixed(data):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(data)


def test_every_reader_and_kind_is_reachable():
    """The target's first two bytes reach every reader and kind (so fuzzing covers them)."""
    from helpers.fuzz_target import BLOCK_READERS, EXTENSIONS, FAST_READERS, KINDS, READERS, read

    payloads = [b"0.5,0.5", b"0.5\t0.5", b"0.5 0.5", b"[0.5, 0.5]", b"[0.5, 0.5]", b"[0.5, 0.5]", b"0.5,0.5",
                b"0.5,0.5", b"[0.5, 0.5]", b"0.5,0.5", b"0.5,0.5", b"0.5,0.5"]
    assert len(payloads) == READERS == len(EXTENSIONS) + 1 + len(BLOCK_READERS) + len(FAST_READERS)
    seen = set()
    for reader, payload in enumerate(payloads):
        for setting in range(len(KINDS)):
            operand, kind, _ = read(bytes([reader, setting]) + payload)
            seen.add((reader, kind))
            assert operand.values.tolist() == [[0.5, 0.5]], reader
    assert len(seen) == READERS * len(KINDS)


@pytest.mark.parametrize("reader", [10, 11], ids=["numpy", "pyarrow"])
@pytest.mark.parametrize("payload", [b"0.1,0.9\n0.5,0.5\n", b"a,b\n0.1,0.9\n", b"1e400,0\n", b"0.1, 0.9\n0.5,0.5",
                                     b'"0.1",0.9\n', b"0x1,2\n", b"1_0,2\n", b"  +.5, .5\n", b"nan,1\n",
                                     b"1,2,\n3,4,\n", b"9/25,16/25\n", b"0.5;0.5\n", b"1e-320,1\n"])
def test_fast_readers_agree_with_the_careful_one(reader, payload):
    """The C parsers forced onto small inputs: the same numbers as the careful reader, or an error
    where it gives one (the differential check the fuzzer runs)."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for setting in range(3):
            check(bytes([reader, setting]) + payload)
