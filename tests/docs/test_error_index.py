"""docs/errors.md quotes divcli's messages: each quote must still be in the source, so the index
cannot go stale.

A quote is the code span that starts a list item: ``- `fixed words`: what it means, the fix``. In a
quote ``…`` stands for what changes (a value, a path, an option's name); the words between must
appear, in order, in one string of the source: a string literal, or an f-string with its
placeholders (adjacent literals joined, as Python joins them). A message that changes its words
fails here until the page follows. Quotes marked ``(Click's message)`` are Click's own usage errors,
looked up in Click's source instead.
"""

from __future__ import annotations

import ast
import re
from functools import lru_cache
from pathlib import Path

import click
import pytest

import divcli
from helpers.doc_examples import ROOT

PAGE = ROOT / "docs" / "errors.md"
QUOTE = re.compile(r"^\s*- `([^`]+)`(.*)$", re.MULTILINE)
CLICKS = "(Click's message)"
HOLE = "\x00"  # a placeholder of an f-string: no quoted words can stand across it


@lru_cache(maxsize=None)
def strings(package: Path) -> frozenset[str]:
    """Every string a module of ``package`` writes: literals, and f-strings with their placeholders
    as HOLE."""
    found = set()
    for path in sorted(package.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                found.add(node.value)
            elif isinstance(node, ast.JoinedStr):
                found.add("".join(part.value if isinstance(part, ast.Constant) else HOLE for part in node.values))
    return frozenset(found)


def words(quote: str) -> list[str]:
    return [piece.strip() for piece in quote.split("…") if piece.strip()]


def in_order(pieces: list[str], text: str) -> bool:
    start = 0
    for piece in pieces:
        found = text.find(piece, start)
        if found < 0:
            return False
        start = found + len(piece)
    return True


def written_by(quote: str, package: Path) -> bool:
    pieces = words(quote)
    return bool(pieces) and any(in_order(pieces, text) for text in strings(package))


DIVCLI = Path(divcli.__file__).parent
CLICK = Path(click.__file__).parent
QUOTES = [(quote, CLICKS in rest) for quote, rest in QUOTE.findall(PAGE.read_text(encoding="utf-8"))]


def test_the_page_quotes_the_messages():
    assert len(QUOTES) >= 60
    assert sum(clicks for _, clicks in QUOTES) >= 2
    headings = re.findall(r"^## (.*)$", PAGE.read_text(encoding="utf-8"), re.MULTILINE)
    assert headings[:1] == ["Exit codes"] and len(headings) >= 6


@pytest.mark.parametrize("quote, clicks", QUOTES, ids=[quote for quote, _ in QUOTES])
def test_quoted_message_is_in_the_source(quote, clicks):
    where = CLICK if clicks else DIVCLI
    assert written_by(quote, where), f"docs/errors.md quotes `{quote}`, which {where.name}'s source does not write"


def test_a_changed_message_is_caught():
    """The check can fail: words that are not there, or not in this order, or across a placeholder."""
    assert written_by("no existing file and no valid literal", DIVCLI)
    assert not written_by("no existing file nor a valid literal", DIVCLI)
    assert written_by("sums to …, not 1 (tolerance …)", DIVCLI)
    assert not written_by("not 1 (tolerance … sums to", DIVCLI)
    assert not written_by("sums to 0.9, not 1", DIVCLI)
    assert not written_by("No such option", DIVCLI)
