"""Plain decimals (``-1.2345``, ``0.5``, ``.5``, ``7.``, ``7``) parsed with numpy alone, faster than any C
parser numpy has, and exactly as the careful reader reads them.

Every cell must be ``-?digits.digits`` or ``-?digits`` (at most one point, at least one digit, at
most :data:`MAX_DIGITS` digits, at most 2**53 without its point), every line must end with a newline
after the same number of cells, and nothing else may be in the text: anything else returns None and
goes to the other parsers.

A cell is then an integer ``n`` (its digits without the point, read by ``numpy.fromstring``) over
``10**d`` (``d``: the digits after the point). Both are exact in float64 (``|n| ≤ 2**53``,
``d ≤ 18 ≤ 22``), so their quotient, one correctly rounded division, is the float64 nearest to the
decimal: what ``float()`` gives, which is what the careful reader uses. ``-0.0`` keeps its sign.
"""

from __future__ import annotations

import numpy as np

#: The most digits a cell may have: its integer without the point fits in an int64 (and 10**d is
#: exact in float64); it must also be at most 2**53 (:data:`MAX_WHOLE`) in magnitude.
MAX_DIGITS = 18
MAX_WHOLE = 2**53
_ALLOWED = b"0123456789.-\n"
_POWERS = 10.0 ** np.arange(MAX_DIGITS + 1)
_POINT, _MINUS, _NEWLINE, _ZERO = ord("."), ord("-"), ord("\n"), ord("0")


def parse_decimals(body: str, delimiter: str, codes: bool = False) -> np.ndarray | None:
    """The rows of ``body`` (a table of plain decimals, see the module) as float64, or None when
    any cell, line or byte is not plain: the caller then tries the other parsers. With ``codes``, a
    cell written with a leading zero (``007``, ``-01``) is not plain either: read as a number it
    would lose the zeros that name it as a category (:func:`~.sample_records.category_name`)."""
    if len(delimiter) != 1 or delimiter.encode() in _ALLOWED or not body.isascii():
        return None
    data = body.encode("ascii")
    if not data.endswith(b"\n"):
        data += b"\n"  # a last line without its newline
    if data.translate(None, _ALLOWED + delimiter.encode()):
        return None  # a space, a letter, a quote, a carriage return, a '+' …
    raw = np.frombuffer(data, dtype=np.uint8)
    ends = np.flatnonzero((raw == ord(delimiter)) | (raw == _NEWLINE))  # where every cell ends
    columns = _columns(raw[ends])
    if columns is None:
        return None
    starts = np.empty_like(ends)
    starts[0] = 0
    starts[1:] = ends[:-1] + 1
    found = _points(np.flatnonzero(raw == _POINT), ends)
    if found is None:
        return None  # a cell with two points
    pointed, after = found
    negative = raw[starts] == _MINUS
    if np.count_nonzero(raw == _MINUS) != np.count_nonzero(negative):
        return None  # a minus that does not start its cell ('1-2', '--1')
    digits = ends - starts - pointed - negative
    if digits.min() < 1 or digits.max() > MAX_DIGITS:
        return None  # '', '-', '.', '-.', or too many digits to stay exact
    if codes and _leading_zero(raw, starts + negative):
        return None
    table = bytes.maketrans(delimiter.encode() + b"\n", b",,")
    # Every cell is now 1 to 18 digits after an optional minus, so numpy reads every one; were it to
    # stop early (it would warn, a DeprecationWarning, hidden by default), the count says so. No
    # warnings filter is set here: that state is the process's, and readers run on several threads.
    try:
        whole = np.fromstring(data.translate(table, b"."), dtype=np.int64, sep=",")
    except ValueError:
        return None
    if whole.size != ends.size or whole.max() > MAX_WHOLE or whole.min() < -MAX_WHOLE:
        return None  # numpy stopped early, or an integer float64 would round
    scale = _POWERS[after[0]] if after.min() == after.max() else _POWERS[after]
    values = whole / scale
    zeros = np.flatnonzero(whole == 0)
    if zeros.size:
        values[zeros[negative[zeros]]] = -0.0  # '-0.0' is -0.0, as float() reads it
    return values.reshape(-1, columns)


def _leading_zero(raw: np.ndarray, first: np.ndarray) -> bool:
    """Whether a cell's first digit (at ``first``) is a 0 followed by another digit (``007``); each
    cell has a byte after its first digit (another, a point, or its end)."""
    following = raw[first + 1]
    return bool(np.any((raw[first] == _ZERO) & (following >= _ZERO) & (following <= _ZERO + 9)))


def _points(points: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray | int, np.ndarray] | None:
    """Whether each cell (ending at ``ends``) has a decimal point (1 or 0) and how many digits follow
    it, from where the points are; None when a cell has two."""
    if points.size == ends.size and (points < ends).all() and (points[1:] > ends[:-1]).all():
        return 1, ends - points - 1  # one point in every cell: the usual table
    if not points.size:
        return 0, np.zeros_like(ends)  # whole numbers
    before = np.searchsorted(points, ends)  # the points before each cell's end
    pointed = np.diff(before, prepend=0)
    if pointed.max() > 1:
        return None
    after = np.zeros_like(ends)
    has = pointed.astype(bool)
    after[has] = ends[has] - points[before[has] - 1] - 1
    return pointed, after


def _columns(kinds: np.ndarray) -> int | None:
    """The cells of every line, from what ends each cell (a delimiter or a newline), or None when
    the lines hold different numbers of cells."""
    lines = np.flatnonzero(kinds == _NEWLINE)
    columns = int(lines[0]) + 1
    if lines.size * columns != kinds.size:
        return None
    return columns if (lines == np.arange(columns - 1, kinds.size, columns)).all() else None
