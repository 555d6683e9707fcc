"""What ``divcli mi`` reads, read once for the command line and the Python API: two columns of labels
paired by row (:func:`read_label_pair`), or a joint table of counts or probabilities
(:func:`read_joint_table`).

The two edges differ only in the words that name the choice of columns in a message (``--x COL`` on
the command line, ``x_column`` in Python): :class:`ColumnWords` carries them.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import BinaryIO

from ..errors import DataError
from ..readers.operand import STDIN, Operand


@dataclass(frozen=True)
class ColumnWords:
    """How an edge names the choice of X's and Y's columns: each alone (``--x``), and both (``--x COL
    --y COL``)."""

    x: str
    y: str
    both: str


@dataclass(frozen=True)
class LabelPair:
    """X's and Y's labels (as many of each), and where each came from (``source``, ``column``)."""

    x_labels: list[str]
    y_labels: list[str]
    x: dict
    y: dict


def read_label_pair(x_spec: str, y_spec: str | None, x_column: str | None, y_column: str | None,
                    words: ColumnWords, *, stdin: BinaryIO | None = None, delimiter: str | None = None,
                    header: bool | None = None) -> LabelPair:
    """X's and Y's labels from their files (``-``: ``stdin``); one file holds both when ``y_spec`` is
    None (its two columns, X the first, or the columns named). Rows are paired: X and Y of different
    lengths are refused, naming Y's file."""
    from ..readers.labels import read_labels

    x_table = read_labels(x_spec, stdin, delimiter, header)
    y_table = x_table if y_spec is None else read_labels(y_spec, stdin, delimiter, header)
    if y_spec is None and x_column is None and y_column is None:  # a file of two columns: X the first, Y the second
        if x_table.width != 2:
            raise DataError(x_table.name, f"has {x_table.width} columns ({x_table.listing()}): which are X and Y?",
                            f"name them with {words.both} (names or numbers from 1)")
        x_index, y_index = 0, 1
    else:
        x_index, y_index = x_table.column_index(x_column, words.x), y_table.column_index(y_column, words.y)
    x_labels, y_labels = x_table.labels(x_index), y_table.labels(y_index)
    if len(x_labels) != len(y_labels):
        raise DataError(y_table.name, f"X has {len(x_labels)} labels and Y {len(y_labels)}",
                        "X and Y are paired by row: give them as many rows")
    return LabelPair(x_labels, y_labels,
                     {"source": x_table.name, "column": x_table.column_name(x_index)},
                     {"source": y_table.name, "column": y_table.column_name(y_index)})


def read_joint_table(spec: str, stdin: BinaryIO | None = None, delimiter: str | None = None) -> Operand:
    """A joint table (rows X, columns Y) read as any operand; its first column is X's names when it
    is not numbers. Standard input is read once: a fault there is told as it is."""
    from ..readers.columns import ColumnChoice
    from ..readers.reading import read_operand

    try:
        return read_operand(spec, stdin, delimiter)
    except DataError as error:
        if spec == STDIN:
            raise
        if not str(error.template[0]).endswith(":1"):  # the fault is not a name in the first column
            raise
        # X's names in the first column: read again with them as the rows' names (a fault now is told)
        return read_operand(spec, stdin, delimiter, columns=ColumnChoice(names="1"))
