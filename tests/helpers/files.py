"""Operand files written by tests."""

from __future__ import annotations


def write_rows(path, rows, header=None, delimiter=","):
    """Write rows of numbers with ``repr`` (exact round trip) and return the path as a string."""
    lines = [delimiter.join(header)] if header else []
    for row in rows:
        cells = row if isinstance(row, (list, tuple)) else [row]
        lines.append(delimiter.join(cell if isinstance(cell, str) else repr(float(cell)) if not isinstance(cell, int)
                                    else str(cell) for cell in cells))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return str(path)
