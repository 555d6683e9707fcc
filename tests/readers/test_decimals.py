"""numpy's own parse of plain decimals (divcli.readers.decimals), the reader of large plain tables
when pyarrow is not installed: it must read every table it takes exactly as the careful reader does
(same float64 bits, -0.0 kept), decline everything else (the careful reader or numpy's loadtxt then
read it, so errors keep file:line:column), and actually be taken for a plain table."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, strategies as st

from helpers.parsers import count_parses
from divcli.readers import sizes
from divcli.readers import decimals, fast as fast_reader, text as text_reader
from divcli.readers.decimals import parse_decimals


def careful(text: str, delimiter: str = ","):
    """The careful reader alone (the C parsers switched off)."""
    original = fast_reader.FAST_MIN_CHARS
    fast_reader.FAST_MIN_CHARS = 1 << 62
    try:
        return text_reader.read_delimited(text, "t", delimiter, large=False)
    finally:
        fast_reader.FAST_MIN_CHARS = original


def same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# A plain decimal as people and programs write it: sign, integer digits (leading zeros too), a
# point, fraction digits; '.5', '5.' and '5' too; up to 15 digits in all.
@st.composite
def plain_cells(draw):
    whole = draw(st.text("0123456789", max_size=8))
    fraction = draw(st.text("0123456789", max_size=15 - len(whole)))
    if not whole and not fraction:
        fraction = "0"
    if draw(st.booleans()) and whole:
        return draw(st.sampled_from(["", "-"])) + whole  # a whole number
    return draw(st.sampled_from(["", "-"])) + whole + "." + fraction


@given(st.integers(1, 6).flatmap(lambda c: st.lists(st.lists(plain_cells(), min_size=c, max_size=c),
                                                    min_size=1, max_size=8)),
       st.sampled_from([",", ";", "\t", "|"]), st.booleans())
def test_every_plain_decimal_reads_as_the_careful_reader_reads_it(rows, delimiter, last_newline):
    text = "\n".join(delimiter.join(row) for row in rows) + ("\n" if last_newline else "")
    values = parse_decimals(text, delimiter)
    assert values is not None
    assert same_bits(values, careful(text, delimiter).values)  # bit for bit: -0.0 too
    assert same_bits(values, np.array([[float(cell) for cell in row] for row in rows]))


@given(st.integers(1, 20), st.integers(1, 40), st.integers(0, 2**32 - 1), st.integers(0, 12))
def test_random_tables_read_bit_for_bit(rows, classes, seed, places):
    rng = np.random.default_rng(seed)
    values = rng.normal(0, 10.0 ** rng.integers(-3, 6), (rows, classes)).round(places)
    text = "\n".join(",".join(f"{x:.{places}f}" for x in row) for row in values.tolist()) + "\n"
    parsed = parse_decimals(text, ",")
    if "e" in text or np.abs(values * 10.0**places).max() >= 2**53:
        return  # more digits than the parser takes exactly: declined, tested below
    assert parsed is not None
    assert same_bits(parsed, careful(text).values)


@pytest.mark.parametrize("cell", [
    "0.123456789012345", "999999999999999.", "-.999999999999999", "0.000000000000001", "-0.0", "-0.000",
    "-.0", "0.", "-0.", ".0", "9007199254740.992", "0.30000000000000", "123456.789012345", "15", "-0",
    "000000000000015", "-999999999999999", "9007199254740992", "-9.007199254740992", "0.0000000000000001",
    "000000000000000001", "0.00000000000000001",
])
def test_edge_cells_read_exactly(cell):
    text = f"{cell},1.0\n"
    parsed = parse_decimals(text, ",")
    assert parsed is not None
    assert same_bits(parsed, careful(text).values)
    assert np.signbit(parsed[0, 0]) == cell.startswith("-")


DECLINED = [
    "0x1p3,1.0\n", "inf,1.0\n", "-inf,1.0\n", "Infinity,1.0\n", "nan,1.0\n", "NaN,1.0\n",
    "1_000.5,1.0\n", "+1.5,1.0\n", " 1.5,1.0\n", "1.5 ,1.0\n", "1.5,\t1.0\n", "1.5e3,1.0\n", "1e400,1.0\n",
    "1.0e-400,1.0\n", "1/3,1.0\n", '"1.5",1.0\n', "1.5,1.0\n\n2.5,1.0\n", "\n1.5,1.0\n", "1.5,1.0\r\n",
    "1.5,1.0\r2.5,1.0\n", "1.5,1.0,\n", ",1.5,1.0\n", "1.5,,1.0\n", "1..5,1.0\n", "1.5.5,1.0\n", "-,1.0\n",
    "-.,1.0\n", ".,1.0\n", "--1.5,1.0\n", "1-.5,1.0\n", "1.5-,1.0\n", "-1.5-,1.0\n",
    "9007199254740993,1.0\n", "-900719925474099.3,1.0\n", "0000000000000000001,1.0\n", "1e5,1.0\n", "١.٥,1.0\n", "1.5,1.0\n2.5\n", "1.5\n2.5,1.0\n",
    "a,b\n1.5,1.0\n", "1.5;1.0\n", "", "\n", "1.5,1.0\x00\n", "1.5,1.0\x0b\n", "1.5,1.0\x0c\n", "١٢.٣,1.0\n", "1.5,1\n2,3.4.5\n", "12345678901234567,1\n",
    "１.５,1.0\n", "1.5\u00a0,1.0\n",
]


@pytest.mark.parametrize("text", DECLINED)
def test_what_is_not_plain_is_declined_and_read_by_the_others(text):
    assert parse_decimals(text, ",") is None
    original = fast_reader.FAST_MIN_CHARS
    fast_reader.FAST_MIN_CHARS = 0
    try:  # the whole fast route: numpy's loadtxt or the careful reader, never another value
        try:
            slow = careful(text)
        except ValueError as error:
            with pytest.raises(type(error), match="^" + __import__("re").escape(str(error)) + "$"):
                text_reader.read_delimited(text, "t", ",", large=False)
            return
        fast = text_reader.read_delimited(text, "t", ",", large=False)
    finally:
        fast_reader.FAST_MIN_CHARS = original
    assert same_bits(fast.values, slow.values) and fast.warnings == slow.warnings
    assert list(fast.lines) == list(slow.lines) and fast.classes == slow.classes


@pytest.mark.parametrize("delimiter", ["", ",,", ".", "-", "5", "\n", "é"])
def test_a_delimiter_it_cannot_split_at_is_declined(delimiter):
    assert parse_decimals("1.5" + delimiter + "2.5\n", delimiter) is None


def _table(rows: int, classes: int, seed: int) -> str:
    values = np.random.default_rng(seed).normal(0, 2, (rows, classes)).round(4)
    return "\n".join(",".join(f"{x:.4f}" for x in row) for row in values.tolist()) + "\n"


@pytest.fixture
def counted(monkeypatch):
    """Calls of the decimals parser that returned a table; numpy's loadtxt forbidden."""
    taken = count_parses(monkeypatch, fast_reader, "parse_decimals")

    def no_loadtxt(*args, **kwargs):
        raise AssertionError("numpy.loadtxt parsed a plain table")

    monkeypatch.setattr(fast_reader.np, "loadtxt", no_loadtxt)
    monkeypatch.setattr(fast_reader, "load_pyarrow", lambda: None)  # as without the fast extra
    return taken


def test_a_large_plain_table_is_read_by_the_decimals_parser(counted):
    text = "a,b,c,d\n" + _table(5000, 4, 1)
    assert len(text) >= fast_reader.FAST_MIN_CHARS
    read = text_reader.read_delimited(text, "t", ",")
    assert counted == [True]
    assert same_bits(read.values, careful(text).values)
    assert read.classes == ["a", "b", "c", "d"] and list(read.lines) == list(range(2, 5002))


def test_the_cli_reads_large_plain_files_with_it(run, tmp_path, counted):
    p, q = tmp_path / "p.csv", tmp_path / "q.csv"
    p.write_text(_table(20000, 8, 2))  # larger than a first block of 256 rows and FAST_MIN_CHARS
    q.write_text(_table(20000, 8, 3))
    result = run("kl", p, q, "--p-as", "logits", "--q-as", "logits", "--reduction", "row", "-q")
    assert result.exit_code == 0, result.stderr
    assert counted and all(counted)
    assert len(result.stdout.splitlines()) == 20000


@pytest.mark.parametrize("bad, words", [
    ("0.25,abc,0.5,0.25", ":33:2: not a number: 'abc'"),
    ("0.25,nan,0.5,0.25", ":33:2: nan is not a value"),
    ("0.25,0.25,0.5", ":33: this row has 3 values"),
    ("0.25,0.25,0.5,0.5", ":33: this row sums to 1.5"),
    ("0.25,-0.25,0.5,0.5", ":33:2: negative probability '-0.25'"),
    ("0.25,--0.25,0.5,0.5", ":33:2: not a number: '--0.25'"),
    ("0.25,0.25.0,0.5,0.5", ":33:2: not a number: '0.25.0'"),
])
def test_an_error_in_a_later_block_keeps_its_line_and_column(run, tmp_path, monkeypatch, bad, words):
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 3)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 8)
    monkeypatch.setattr(fast_reader, "FAST_MIN_CHARS", 0)
    monkeypatch.setattr(fast_reader, "load_pyarrow", lambda: None)
    taken = count_parses(monkeypatch, fast_reader, "parse_decimals")
    lines = ["0.25,0.25,0.25,0.25"] * 40
    lines[31] = bad  # line 33 with the header
    p = tmp_path / "p.csv"
    p.write_text("a,b,c,d\n" + "\n".join(lines) + "\n")
    result = run("entropy", str(p))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{p}{words}" in result.stderr, result.stderr
    assert any(taken), "the decimals parser read no block before the bad one"


def test_its_limits_keep_every_integer_and_power_of_ten_exact():
    assert 10 ** decimals.MAX_DIGITS < 2**63 and decimals.MAX_WHOLE == 2**53
    assert all(int(power) == 10**d for d, power in enumerate(decimals._POWERS))


def test_threads_parse_at_once_and_the_warnings_filters_stay_as_they_were():
    """The engine reads P and Q on two threads: the parser keeps no state and sets no warnings
    filter (a filter set and restored by two threads at once can be left set for the whole run)."""
    import threading
    import warnings

    rng = np.random.default_rng(8)
    tables = [rng.normal(0, 3, (2000, 7)).round(4) for _ in range(8)]
    texts = ["\n".join(",".join(f"{v:.4f}" for v in row) for row in table) + "\n" for table in tables]
    before = list(warnings.filters)
    results = [None] * len(texts)

    def parse(index):
        for _ in range(20):
            results[index] = parse_decimals(texts[index], ",")

    workers = [threading.Thread(target=parse, args=(index,)) for index in range(len(texts))]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert warnings.filters == before
    for result, table in zip(results, tables):
        assert np.array_equal(result, table)


@pytest.mark.parametrize("body, code", [("007,1\n", True), ("1,-01\n", True), ("1,2\n3,00\n", True),
                                        ("0,0.5\n", False), ("10.05,-0.001\n", False), (".5,0.\n", False),
                                        ("0\n-0\n", False)])
def test_codes_leaves_a_cell_with_a_leading_zero_to_the_careful_reader(body, code):
    # a column of categories names 007 as written: the fast path would read it as 7
    plain = parse_decimals(body, ",")
    assert plain is not None
    assert (parse_decimals(body, ",", codes=True) is None) == code
    if not code:
        assert np.array_equal(parse_decimals(body, ",", codes=True), plain, equal_nan=True)
