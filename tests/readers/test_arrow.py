"""pyarrow's CSV parser for large delimited inputs (the ``divcli[fast]`` extra): it must read every
table exactly as the careful reader does, decline whatever it would read otherwise, leave every
error to the careful reader (so messages keep file:line:column, in any block), and stay unimported
for small inputs. ``make test`` installs the extra, so these run there."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from helpers.extras import needs
from helpers.parsers import count_parses
from divcli.readers import sizes
from divcli.readers import fast as fast_reader, text as text_reader

needs("pyarrow.csv")

ROOT = Path(__file__).resolve().parents[2]
finite = st.floats(allow_nan=False, allow_infinity=False)


@pytest.fixture
def arrow_always(monkeypatch):
    """Every text block goes to pyarrow first, whatever its size; calls are counted."""
    monkeypatch.setattr(fast_reader, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(fast_reader, "ARROW_MIN_BYTES", 0)
    return count_parses(monkeypatch, fast_reader, "parse_arrow")


@pytest.fixture
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 3)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 8)


@given(st.tuples(st.integers(1, 5), st.integers(1, 6)).flatmap(lambda s: arrays(np.float64, s, elements=finite)),
       st.sampled_from([",", "\t", ";", "|"]), st.booleans(), st.booleans(), st.booleans())
def test_arrow_and_careful_readers_agree(values, delimiter, header, crlf, spaces):
    lines = [delimiter.join(f"c{i}" for i in range(values.shape[1]))] if header else []
    pad = " " if spaces else ""
    lines += [delimiter.join(f"{pad}{float(x)!r}{pad}" for x in row) for row in values]
    text = ("\r\n" if crlf else "\n").join(lines) + "\n"
    careful = text_reader.read_delimited(text, "t", delimiter, large=False)
    original = fast_reader.FAST_MIN_CHARS
    fast_reader.FAST_MIN_CHARS = 0
    try:
        fast = fast_reader.read_fast(text, "t", delimiter, arrow=True)
    finally:
        fast_reader.FAST_MIN_CHARS = original
    if fast_reader.not_for_fast(text):  # e.g. 1e-300: may underflow, so the careful reader takes it
        assert fast is None
        return
    assert fast is not None
    np.testing.assert_array_equal(fast.values, careful.values)
    assert np.array_equal(np.signbit(fast.values), np.signbit(careful.values))  # -0.0 stays -0.0
    assert fast.classes == careful.classes
    assert list(fast.lines) == list(careful.lines)


@pytest.mark.parametrize("text", [
    "1,2,\n3,4,\n",          # one trailing delimiter: the careful reader drops it
    "0.5,0.5\r0.25,0.75\n",   # a bare carriage return: pyarrow would end a line there
    "0.5,0.5\n0.25,\n",       # an empty cell
    "0.5,nan\n0.5,0.5\n",     # nan
    "NaN,1\n",
    "0.5,0.5\n0.5,0.5,0.0\n",  # ragged
    "1/2,1/2\n",              # fractions
    '"0.5",0.5\n',            # quotes
    "0x1p-1,0.5\n",
    "1_0,2\n",
    "0.5,0.5\n\n0.5,0.5\n",   # a blank line would shift the line numbers
])
def test_what_pyarrow_would_read_otherwise_goes_to_the_careful_reader(text):
    original = fast_reader.FAST_MIN_CHARS
    fast_reader.FAST_MIN_CHARS = 0
    try:
        assert fast_reader.read_fast(text, "t", ",", arrow=True) is None
    finally:
        fast_reader.FAST_MIN_CHARS = original


def _table(rows: int, classes: int, seed: int) -> str:
    values = np.random.default_rng(seed).normal(0, 2, (rows, classes)).round(4)
    return "\n".join(",".join(map(repr, row)) for row in values.tolist()) + "\n"


@pytest.mark.parametrize("args", [
    ("-f", "csv"), ("-f", "json"), ("-q", "--reduction", "none"), ("-q",), ("--columns", "-f", "csv"),
])
def test_the_cli_writes_the_same_bytes_with_and_without_pyarrow(run, tmp_path, tiny_blocks, monkeypatch,
                                                                arrow_always, args):
    p = tmp_path / "p.csv"
    q = tmp_path / "q.csv"
    p.write_text("a,b,c,d\n" + _table(40, 4, 1).replace(",", " , "))  # a header, spaces around cells
    q.write_text(_table(40, 4, 2).replace("\n", "\r\n"))  # CRLF
    kinds = ("--p-as", "logits", "--q-as", "logits")
    with_arrow = run("kl", str(p), str(q), *kinds, *args)
    assert with_arrow.exit_code == 0, with_arrow.stderr
    assert any(arrow_always), "pyarrow parsed no block"
    monkeypatch.setattr(fast_reader, "load_pyarrow", lambda: None)
    without = run("kl", str(p), str(q), *kinds, *args)
    assert with_arrow.stdout == without.stdout and with_arrow.stderr == without.stderr


@pytest.mark.parametrize("bad, words", [
    ("0.25,abc,0.5,0.25", ":33:2: not a number: 'abc'"),
    ("0.25,nan,0.5,0.25", ":33:2: nan is not a value"),
    ("0.25,0.25,0.5", ":33: this row has 3 values"),
    ("0.25,0.25,0.5,0.5", ":33: this row sums to 1.5"),
    ("0.25,-0.25,0.5,0.5", ":33:2: negative probability '-0.25'"),
])
def test_an_error_in_a_later_block_keeps_its_line_and_column(run, tmp_path, tiny_blocks, arrow_always, bad, words):
    lines = ["0.25,0.25,0.25,0.25"] * 40
    lines[31] = bad  # line 33 with the header
    p = tmp_path / "p.csv"
    p.write_text("a,b,c,d\n" + "\n".join(lines) + "\n")
    result = run("entropy", str(p))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{p}{words}" in result.stderr, result.stderr
    assert any(arrow_always), "pyarrow parsed no block before the bad one"


def test_small_inputs_do_not_import_pyarrow(tmp_path):
    p = tmp_path / "p.csv"
    p.write_text(_table(2000, 4, 3))  # 64 KiB and more: numpy's parser, not pyarrow
    code = ("import sys; from divcli.cli import main; sys.argv = ['divcli', 'entropy', sys.argv[1], '--p-as', "
            "'logits', '-q']\ntry:\n    main()\nexcept SystemExit:\n    pass\n"
            "print('pyarrow' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, str(p)], cwd=ROOT, capture_output=True, text=True)
    assert result.stderr.strip().splitlines()[-1] == "False", result.stderr
