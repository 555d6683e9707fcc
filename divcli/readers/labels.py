"""Columns of labels (``divcli mi``): delimited text whose cells are category names or integers, read
as text, one label per row. A label is compared as written (cells stripped of spaces): ``1`` and
``1.0`` are two labels.

The first line is a header (the columns' names) unless one of its cells is a number, or
``header=False`` (``--no-header``): a column of text labels cannot tell its name from its first
label, so the report names the column it read. A column is chosen by its header's name or by a
number from 1; a file of one column needs no choice.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

from ..errors import DataError, show_value
from .numbers import looks_numeric
from .operand import STDIN, STDIN_NAME, WHITESPACE
from .source import decode, read_bounded
from .text import sniff_delimiter, split_records


@dataclass(frozen=True)
class LabelTable:
    """A delimited text's cells as text: its header (None: none), its records, and each record's line."""

    name: str
    header: list[str] | None
    records: list[list[str]]
    lines: list[int]

    @property
    def width(self) -> int:
        return len(self.header) if self.header is not None else len(self.records[0]) if self.records else 0

    def column_index(self, column: str | None, option: str) -> int:
        """The 0-based index of ``column`` (a header name, or a number from 1); the only column when
        None. ``option`` names the choice in messages (``--x``)."""
        if column is None:
            if self.width != 1:
                raise DataError(self.name, f"has {self.width} columns ({self.listing()}): which holds the labels?",
                                f"choose one with {option} COL (a name or a number from 1)")
            return 0
        if self.header is not None and column in self.header:
            return self.header.index(column)
        if column.isdigit() and 1 <= int(column) <= self.width:
            return int(column) - 1
        raise DataError(self.name, f"no column {show_value(column)} for {option}", f"its columns are {self.listing()}")

    def column_name(self, index: int) -> str:
        """The column's name in the header, or its number from 1."""
        return self.header[index] if self.header is not None else str(index + 1)

    def listing(self) -> str:
        if self.header is not None:
            return ", ".join(show_value(cell) for cell in self.header)
        return f"1 to {self.width}" if self.width > 1 else "1"

    def labels(self, index: int) -> list[str]:
        """Column ``index``'s labels, one a record; an empty or missing cell is refused."""
        found = []
        for record, line in zip(self.records, self.lines):
            cell = record[index] if index < len(record) else ""
            if cell == "":
                raise DataError(f"{self.name}:{line}:{index + 1}", "no label (an empty cell)",
                                "every row needs a label in each column read")
            found.append(cell)
        return found


def read_labels(spec: str, stdin: BinaryIO, delimiter: str | None = None, header: bool | None = None) -> LabelTable:
    """The delimited text ``spec`` (a path, or ``-`` for standard input) as cells of text; ``header``
    None: the first line is a header unless it holds a number."""
    name = STDIN_NAME if spec == STDIN else spec
    data = _read_bytes(spec, stdin)
    text = decode(data, name)
    delimiter = delimiter or sniff_delimiter(text)
    lines, records = [], []
    for line, cells in split_records(text, name, delimiter if delimiter != WHITESPACE else WHITESPACE):
        lines.append(line)
        records.append(cells)
    if not records:
        raise DataError(name, "no labels: the file is empty", "give a column of labels, one a row")
    if header is None:
        header = not any(looks_numeric(cell) for cell in records[0])
    head = records.pop(0) if header else None
    first = lines.pop(0) if header else None
    if not records:
        raise DataError(name, f"no labels below the header (line {first})", "give a column of labels, one a row")
    _check_widths(name, head, records, lines)
    return LabelTable(name, head, records, lines)


def _check_widths(name: str, head: list[str] | None, records: list[list[str]], lines: list[int]) -> None:
    """Refuse a row with more cells than the header (or the first row): a label holding the delimiter
    unquoted (``New York, NY``) would shift every label after it into the wrong column."""
    width = len(head) if head is not None else len(records[0])
    for record, line in zip(records, lines):
        if len(record) > width:
            raise DataError(f"{name}:{line}", f"{len(record)} cells where the {'header' if head else 'first row'} "
                            f"has {width}", "quote a label that holds the delimiter (\"New York, NY\"), "
                            "or give every row the same columns")


def _read_bytes(spec: str, stdin: BinaryIO) -> bytes:
    if spec == STDIN:
        if hasattr(stdin, "isatty") and stdin.isatty():
            raise DataError(STDIN_NAME, "'-' reads standard input, but nothing is piped in",
                            "pipe labels in (cat y.csv | divcli mi x.csv -) or give a file")
        return read_bounded(stdin, STDIN_NAME)
    if os.path.isdir(spec):
        raise DataError(spec, "is a directory", "give a file")
    try:
        with open(spec, "rb") as handle:
            return read_bounded(handle, spec)
    except OSError as error:
        raise DataError(spec, f"cannot read: {error.strerror}", "check the path") from None
