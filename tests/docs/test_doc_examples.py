"""The comparator of documented output (tests/helpers/doc_examples.py): what it lets through, and what not."""

from __future__ import annotations

import math

import pytest

from helpers.doc_examples import differences, examples, picture_text, same_number

TABLE = """\
per row, in nats
 row ┃     H(P) ┃   H(P,Q) ┃   D(P‖Q) ┃ check: H(P,Q) − H(P) − D(P‖Q)
━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
   1 │ 1.013313 │ 1.098612 │ 0.085300 │                    ✓ -1.7e-16

D(P‖Q) = 0.085300 nats  (batchmean)"""


@pytest.mark.parametrize(("page", "output"), [
    ("1.4988171886048072", "1.498817188604807"),                        # the last digit, AVX-512 against AVX2
    ("-0.0635141795954704,0.011642574036626711", "-0.06351417959547041,0.01164257403662671"),
    (TABLE, TABLE.replace("✓ -1.7e-16", "✓ 2.2e-16")),                  # a rounding residual
    (TABLE, TABLE.replace("✓ -1.7e-16", " ✓ 0.0")),
    ("the two sides differ by -1.7e-16, rounding", "the two sides differ by 4.4e-16, rounding"),
    ('{"value": 0.08529960131837061, "check": 3.5388358909926865e-16}',
     '{"value": 0.0852996013183706, "check": -1.1102230246251565e-16}'),
    ("warning: D(P‖Q) is +inf\ninf", "warning: D(P‖Q) is +inf\ninf"),
    ('"nan", nan', '"nan", nan'),
    ("  32.5% │ █▉", "  32.5% │ █▉"),
    ("1,0.0,0.4", "1,0,0.4000000000000001"),
    ("a line   ", "a line"),                                              # trailing spaces
], ids=["last-digit", "comma-list", "check-residual", "check-zero", "residual-in-words", "json",
        "inf", "nan", "percent", "csv", "trailing-spaces"])
def test_agrees(page, output):
    assert differences(page, output) == []


def test_a_wider_column_agrees():
    """A number one character longer widens its column: the padding and the rule grow, nothing else."""
    wider = """\
per row, in nats
 row ┃      H(P) ┃   H(P,Q) ┃   D(P‖Q) ┃ check: H(P,Q) − H(P) − D(P‖Q)
━━━━━╇━━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━━
   1 │ 1.0133130 │ 1.098612 │ 0.085300 │                     ✓ 1.1e-16

D(P‖Q) = 0.085300 nats  (batchmean)"""
    assert differences(TABLE, wider) == []


@pytest.mark.parametrize(("output", "words"), [
    (TABLE.replace("in nats", "in bits"), "line 1"),                      # a word
    (TABLE.replace("1.013313", "1.013314"), "1.013314"),                  # a number beyond 1e-12
    (TABLE.replace("0.085300 nats", "0.0853000001 nats"), "0.0853000001"),
    (TABLE.replace("✓ -1.7e-16", "✗ 2.0e-09"), "line 4"),                 # the mark
    (TABLE.replace("✓ -1.7e-16", "✓ 2.0e-09"), "2.0e-09"),                # a residual that is not one
    (TABLE.replace(" │ 0.085300", " ┃ 0.085300"), "line 4"),               # the structure of the table
    (TABLE.replace(" │ 0.085300 │", " │ "), "line 4"),                      # a column gone
    ("\n".join(TABLE.splitlines()[:-1]), "missing from the output"),       # a missing line
    (TABLE + "\nwarning: more", "not on the page"),                        # an extra line
    (TABLE.replace("(batchmean)", "(mean)"), "line 6"),
    (TABLE.replace("0.085300 nats", "inf nats"), "inf"),
    (TABLE.replace("0.085300 nats", "nan nats"), "nan"),
    (TABLE.replace("0.085300 nats", "0,085300 nats"), "line 6"),
], ids=["word", "number", "number-rel-1e-9", "mark", "residual-too-large", "rule", "column", "missing-line",
        "extra-line", "reduction", "inf", "nan", "comma"])
def test_differs(output, words):
    found = differences(TABLE, output)
    assert found and words in "\n".join(found), found


@pytest.mark.parametrize(("a", "b", "same"), [
    (1.0, 1.0 + 1e-13, True),
    (1.0, 1.0 + 2e-12, False),
    (2.5e8, 2.5e8 * (1 + 5e-13), True),
    (0.0, 1e-15, True),
    (0.0, 1e-13, True),            # both rounding residuals
    (1e-13, -2e-13, True),
    (1e-10, 2e-12, False),         # residuals, but 1e-10 apart
    (1e-2, 1e-2 * (1 + 1e-11), False),
    (1e-8, 2e-8, False),
    (math.inf, math.inf, True),
    (math.inf, -math.inf, False),
    (math.inf, 1e308, False),
    (math.nan, math.nan, True),
    (math.nan, 0.0, False),
])
def test_same_number(a, b, same):
    assert same_number(a, b) is same
    assert same_number(b, a) is same


def test_examples_are_found():
    page = "text\n```console\n$ divcli a\none\ntwo\n$ divcli b\n```\n```python\n$ not this\n```\n"
    assert examples(page) == [("divcli a", "one\ntwo"), ("divcli b", "")]


def _svg(console_text: str, width: int = 40) -> str:
    from rich.console import Console
    from rich.table import Table

    console = Console(record=True, width=width, color_system="truecolor", file=open("/dev/null", "w"))
    table = Table(show_edge=False)
    table.add_column("row", justify="right")
    table.add_column("value", justify="right")
    table.add_row("1", console_text)
    console.print("heading 0.5")
    console.print(table)
    return console.export_svg(title="t")


def test_picture_text_reads_the_lines_of_a_rich_svg():
    text = picture_text(_svg("0.085300"))
    assert text.splitlines()[:4] == ["heading 0.5", " row ┃    value", "━━━━━╇━━━━━━━━━━", "   1 │ 0.085300"]
    assert "styles:" in text


def test_pictures_agree_and_differ_as_text_does():
    page = picture_text(_svg("0.085300"))
    assert differences(page, picture_text(_svg("0.0853000"))) == []      # a wider column
    assert differences(page, picture_text(_svg("0.085301")))
    assert differences(page, picture_text(_svg("0.085300 nats")))
