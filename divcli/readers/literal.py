"""Literals on the command line: ``"0.2,0.8;0.5,0.5"`` (rows by ``;``, numbers by ``,``) or a JSON array."""

from __future__ import annotations

import re

import numpy as np

from ..errors import DataError, show_value
from ..vocabulary import count_of
from .json import read_json
from .numbers import parse_number, with_range_warnings
from .operand import Operand


def parse_literal(spec: str) -> Operand:
    """``"0.2,0.8;0.5,0.5"`` (rows by ``;``, numbers by ``,``) or a JSON array."""
    name = f"literal {show_value(spec)}"
    if spec.lstrip()[:1] in ("[", "{"):
        return read_json(spec, name)
    rows, cells = [], []
    for row_text in spec.split(";"):
        if not row_text.strip() and len(rows) > 0:
            continue  # a trailing ';'
        items = [item.strip() for item in row_text.split(",")]
        values = []
        for col, item in enumerate(items):
            try:
                values.append(parse_number(item))
            except ValueError as error:
                raise DataError(
                    f"{name}: row {len(rows) + 1}, item {col + 1}", str(error)
                ) from None
        if rows and len(values) != len(rows[0]):
            raise DataError(f"{name}: row {len(rows) + 1}",
                            f"this row has {count_of(len(values), 'value', 'values')}, the first has {len(rows[0])}",
                            "every row needs one value per class")
        rows.append(values)
        cells.append(items)
    return with_range_warnings(Operand(np.array(rows, dtype=np.float64), name, cells=cells))


def looks_like_literal(spec: str) -> bool:
    """True when ``spec`` starts like a number or a JSON array (so ``-0.7,…`` is an operand)."""
    return bool(re.match(r"\s*(?:[+-]?(?:\d|\.\d|inf)|\[|\{)", spec, re.IGNORECASE))
