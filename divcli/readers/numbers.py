"""The number grammar: what a cell may hold, and what a bad one is told.

Every number is a decimal, scientific, ``inf``/``-inf`` or a fraction ``a/b``; ``nan`` is never a
value. Only the ASCII digits are digits; a cell that looks meant as a number (``nan``, ``0,36``,
``٠.٥``) is never taken for a class name.
"""

from __future__ import annotations

import math
import re
import unicodedata
from fractions import Fraction

import numpy as np

from ..errors import DataError, foreign_digit, option, show_value
from .operand import Operand

# Only the ASCII digits 0-9 are digits (re.ASCII): Python's float() also reads '١' and '５'.
_DECIMAL = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_NUMBER = re.compile(rf"(?:{_DECIMAL}|[+-]?inf(?:inity)?)", re.IGNORECASE | re.ASCII)
_FRACTION = re.compile(rf"({_DECIMAL})\s*/\s*({_DECIMAL})", re.ASCII)
_NAN = re.compile(r"[+-]?nan", re.IGNORECASE)
_DECIMAL_COMMA = re.compile(r"[+-]?\d+,\d+", re.ASCII)
#: A number written with other digits (Arabic-Indic, fullwidth …): meant as a number, never a class name.
_ANY_DIGITS_NUMBER = re.compile(rf"{_DECIMAL}(?:\s*/\s*{_DECIMAL})?|[+-]?\d+,\d+")
#: The delimiters a cell may hold when the file was read with another one.
_OTHER_DELIMITERS = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_OPTION_VALUE = {",": "','", ";": "';'", "\t": "tab", "|": "'|'"}


def parse_number(text: str) -> float:
    """One number as divcli reads it; raises ``ValueError`` with the reason.

    >>> parse_number("9/25"), parse_number("-1e-3"), parse_number("inf")
    (0.36, -0.001, inf)
    """
    if _NUMBER.fullmatch(text):
        return float(text)
    fraction = _FRACTION.fullmatch(text)
    if fraction:
        return _fraction(*fraction.groups(), text)
    if _NAN.fullmatch(text):
        raise ValueError("nan is not a value")
    if not text:
        raise ValueError("empty cell")
    digit = foreign_digit(text)
    if digit:
        raise ValueError(f"not a number: {show_value(text)}: {digit}")
    raise ValueError(f"not a number: {show_value(text)}")


_SMALL_DECIMAL = re.compile(r"[+-]?[\d.]{1,40}(?:[eE][+-]?\d{1,3})?", re.ASCII)


def _fraction(numerator_text: str, denominator_text: str, text: str) -> float:
    """``a/b`` correctly rounded (1/3 is the float64 nearest to a third) where that is cheap: exact
    rational arithmetic for short numbers, float division for huge exponents or digit runs (an
    exact 1e999999999 would take minutes)."""
    if float(denominator_text) == 0 and not re.search(r"[1-9]", denominator_text.split("e")[0].split("E")[0]):
        raise ValueError(f"division by zero in {show_value(text)}")
    if _SMALL_DECIMAL.fullmatch(numerator_text) and _SMALL_DECIMAL.fullmatch(denominator_text):
        quotient = Fraction(numerator_text) / Fraction(denominator_text)
        try:
            return float(quotient)
        except OverflowError:
            return math.inf if quotient > 0 else -math.inf
    with np.errstate(all="ignore"):
        value = float(np.float64(numerator_text) / np.float64(denominator_text))
    if math.isnan(value):
        raise ValueError(f"{show_value(text)} is beyond float64's range")
    return value


def range_warning(text: str, value: float) -> str | None:
    """A warning when the float64 of ``text`` is not what it says: under- or overflow."""
    if value == 0 and re.search(r"[1-9]", text.split("e")[0].split("E")[0]):
        return f"{show_value(text)} underflows float64 to 0"
    if math.isinf(value) and "inf" not in text.lower():
        return f"{show_value(text)} overflows float64 to {value}"
    return None


def with_range_warnings(operand: Operand) -> Operand:
    """Note every cell whose float64 is 0 or infinite though its text is not (the first three)."""
    suspects = np.argwhere((operand.values == 0) | np.isinf(operand.values))
    found = []
    for row, col in suspects:
        warning = range_warning(operand.cells[row][col], float(operand.values[row, col]))
        if warning:
            found.append(f"{operand.where(int(row), int(col))}: {warning}")
    operand.warnings.extend(found[:3] + ([f"… and {len(found) - 3} more"] if len(found) > 3 else []))
    return operand


def looks_numeric(text: str) -> bool:
    """A cell meant as a number, even a bad one (``nan``, ``0,36``, ``1/0``, ``٠.٥``): never a class name.

    A first row is a header only when none of its cells looks numeric, so a ``nan`` or a typo in
    the first row of data is reported, not silently taken for a header; so is a row of numbers
    joined by another delimiter than the file's (``0.2|0.8``).
    """
    parts = _other_delimiter_parts(text)
    if parts:  # a file read with the wrong delimiter; a quoted class name may hold a comma ("x, 1")
        numeric = [looks_numeric(part) for part in parts if part]
        return bool(numeric) and (all(numeric) if "," in text else any(numeric))
    if _NUMBER.fullmatch(text) or _FRACTION.fullmatch(text) or _NAN.fullmatch(text) or _DECIMAL_COMMA.fullmatch(text):
        return True
    return not text.isascii() and bool(_ANY_DIGITS_NUMBER.fullmatch(unicodedata.normalize("NFKC", text)))


def is_decimal_comma(text: str) -> bool:
    """A number written with a decimal comma, ``0,36``."""
    return bool(_DECIMAL_COMMA.fullmatch(text))


def is_header_row(cells: list[str]) -> bool:
    """Is this first row (its cells as split, stripped) a header? When none of its cells looks like
    a number, or when it is pandas' header of default labels: an empty cell above the index column,
    then 0, 1, 2 … (``Series.to_csv()``, a frame without column names). A row of data never starts
    with an empty cell."""
    if not any(looks_numeric(cell) for cell in cells):
        return True
    return len(cells) > 1 and cells[0] == "" and all(cell == str(index) for index, cell in enumerate(cells[1:]))


def _other_delimiter_parts(text: str) -> list[str] | None:
    """The parts of a cell split at a delimiter it holds (``;``, tab, ``|``, or ``,`` unless it
    makes a decimal comma such as ``0,36``), or None when it holds none."""
    for delimiter in _OTHER_DELIMITERS:
        if delimiter in text and not (delimiter == "," and _DECIMAL_COMMA.fullmatch(text)):
            return [part.strip() for part in text.split(delimiter)]
    return None


def cell_error(where: str, text: str, reason: str, delimiter: str, line: str = "") -> DataError:
    """A bad cell; ``line`` is its whole row, to recognise decimal commas split by a ``,`` delimiter.

    A cell that holds another delimiter between numbers (a .tsv of commas, a .txt of ``|``) says
    which and names ``--delimiter`` (a cell that holds the delimiter in use was quoted: the quotes
    are named); a decimal comma (``0,36``) gets the decimal point's hint, and
    thousands separators (Excel's ``"1,200"``) their own (:func:`thousands_hint`)."""
    separators = thousands_hint(text, delimiter)
    if separators:  # its commas (or points) are no delimiter, and no decimal comma either
        return DataError(where, reason, separators)
    hints = []
    parts = _other_delimiter_parts(text) or []
    other = next((d for d in _OTHER_DELIMITERS if d in text), None) if parts else None
    if other is not None and other == delimiter:  # only quotes keep the delimiter in a cell
        return DataError(where, reason, f"the quotes make one cell of numbers apart by {_OPTION_VALUE[other]}, "
                                        "the delimiter: remove the quotes to read each number as a cell")
    if other is not None and any(looks_numeric(part) for part in parts):
        hints.append(f"the cells hold {_OPTION_VALUE[other]} between numbers, as a {_OTHER_DELIMITERS[other]}-"
                     f"separated file does: pass {option('delimiter', other, cli=_OPTION_VALUE[other])}")
    if (_DECIMAL_COMMA.fullmatch(text) or any(_DECIMAL_COMMA.fullmatch(part) for part in parts)
            or (delimiter == "," and other is not None and _DECIMAL_COMMA.search(line))):
        hints.append("divcli reads '.' as the decimal point: write 0.36, not 0,36")
    return DataError(where, reason, "; ".join(hints) or None)


#: Digits grouped by thousands: ``1,200``, ``12,345,678.5`` (Excel's "Use 1000 separator", US
#: style), and ``1.234,5`` (a decimal comma after points between thousands).
_THOUSANDS = re.compile(r"[+-]?[1-9]\d{0,2}(?:,\d{3})+(\.\d+)?", re.ASCII)
_THOUSANDS_POINTS = re.compile(r"[+-]?[1-9]\d{0,2}(?:\.\d{3})+,\d+", re.ASCII)


def thousands_hint(text: str, delimiter: str) -> str | None:
    """The hint for a number written with thousands separators, or None. ``1,200`` alone could be
    a decimal comma (1.2); it is read as thousands where the cell had to be quoted to hold its comma
    (the delimiter is ``,``, as Excel writes it), or when it has more groups or a decimal point."""
    grouped = _THOUSANDS.fullmatch(text)
    if grouped and (delimiter == "," or grouped.group(1) or text.count(",") > 1):
        plain = text.replace(",", "")
    elif _THOUSANDS_POINTS.fullmatch(text):
        plain = text.replace(".", "").replace(",", ".")
    else:
        return None
    return (f"divcli reads no thousands separators: write {plain} (in a spreadsheet, format the cells "
            "without the 1000 separator before saving)")

