"""The Operand record: the numbers of one operand (or a block of its rows) and where each came from.

Every reader returns one; the engine, the checks and every message use :meth:`Operand.where` and
:meth:`Operand.text` to name a value as the user wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from .columns import ColumnChoice, pick_values
from .floats import as_float64

STDIN = "-"
STDIN_NAME = "<stdin>"
WHITESPACE = " "  # as a delimiter: runs of spaces and tabs
#: ``Operand.lines`` of a class an operand lacks, counted as 0 where classes are matched by name
MISSING_LINE = -1



@dataclass
class Operand:
    """The numbers of one operand (or of a block of its rows), N rows × C classes, and where each
    came from.

    ``stored`` holds the numbers as read: float64 from every reader but the binary ones, whose
    blocks keep the dtype of the file (float16, float32, bfloat16 as its bits:
    :data:`~divcli.readers.floats.BFLOAT16_BITS`; C-contiguous rows × classes). ``values`` is
    them in float64, the array every check and formula takes: ``stored`` itself when it is float64,
    else widened when first asked for and kept, so a block that only a kernel reading float16 or
    float32 itself takes (numba's fused kernel) is never copied to 4× its bytes.

    ``lines[i]`` is the physical line of row ``i`` (0 where unknown); ``cells[i][j]`` is the text the
    user wrote for value ``(i, j)`` (``None`` for JSON, whose numbers have no text of their own).
    ``first_row`` is the index of row 0 in the whole operand. After :meth:`transposed`
    (``--columns``) ``lines`` and ``cells`` stay as written and positions follow the values.
    """

    stored: np.ndarray
    name: str
    classes: list[str] | None = None
    lines: list[int] | np.ndarray | None = None
    cells: list[list[str]] | None = None
    is_transposed: bool = False
    row_names: list[str] | None = field(default=None)
    warnings: list[str] = field(default_factory=list)
    #: (text, delimiter, its first physical line) when cells were not kept: see text()
    source: tuple[str, str, int] | None = None
    first_row: int = 0
    #: the column as written of each value column, when --select, --drop or --names left some out
    written_columns: tuple[int, ...] | None = None
    #: written as a 1-D array of integers (a .npy/.npz of an integer dtype, a JSON list of whole
    #: numbers): class indices as torch's targets are, when P may be labels (ce)
    integer_vector: bool = False

    @property
    def values(self) -> np.ndarray:
        """The numbers in float64 (see the class's docstring). Threads may ask at once: each then
        widens the block, and one of the equal copies is kept (no lock: none waits on another)."""
        widened = self.__dict__.get("_widened")
        if widened is None:
            widened = self.__dict__["_widened"] = as_float64(self.stored)  # itself when float64
        return widened

    @values.setter
    def values(self, values: np.ndarray) -> None:
        """New numbers (a format of one's own may rescale what it read): they are now what is stored."""
        self.stored = values

    def __setattr__(self, name: str, value) -> None:
        if name == "stored":  # new numbers: their float64 copy is made again when asked for
            self.__dict__.pop("_widened", None)
        super().__setattr__(name, value)

    def __getstate__(self) -> dict:
        """Pickled (the Dask engine's tasks) without the widened copy: it is made again if asked for."""
        state = dict(self.__dict__)
        state.pop("_widened", None)
        return state

    @property
    def shape(self) -> tuple[int, int]:
        return self.stored.shape  # type: ignore[return-value]

    @property
    def rows(self) -> int:
        return self.stored.shape[0]

    def _written(self, row: int, col: int | None) -> tuple[int | None, int | None, int | None]:
        """(index into lines and cells, row as written counted from 0, column as written)."""
        if self.is_transposed:
            return col, col, None if row is None else self._as_written(row + self.first_row)
        return row, None if row is None else row + self.first_row, self._as_written(col)

    def _as_written(self, col: int | None) -> int | None:
        return col if col is None or self.written_columns is None else self.written_columns[col]

    def where(self, row: int | None = None, col: int | None = None) -> str:
        """``p.csv:3:2``, ``<stdin>:3``, ``p.json: row 2, item 1`` or ``literal '…': row 2``."""
        if row is None:
            return self.name
        local, written_row, written_col = self._written(row, col)
        if local is None:
            return f"{self.name}: item {written_col + 1}"
        line = int(self.lines[local]) if self.lines is not None else 0
        if line == MISSING_LINE:  # a bin this operand lacks, counted as 0 (classes matched by name)
            return f"{self.name}: no such bin, counted as 0"
        if line:
            return f"{self.name}:{line}" + (f":{written_col + 1}" if written_col is not None else "")
        place = f"row {written_row + 1}" + (f", item {written_col + 1}" if written_col is not None else "")
        return f"{self.name}: {place}"

    def text(self, row: int, col: int) -> str:
        """The value at ``(row, col)`` as the user wrote it (or its shortest float text)."""
        local, _, written_col = self._written(row, col)
        if self.cells is not None:  # the chosen cells only
            return self.cells[local][row + self.first_row if self.is_transposed else col]
        if self.source is not None and self.lines is not None and int(self.lines[local]) > 0:
            text, delimiter, first_line = self.source
            cells = split_line(nth_line(text, int(self.lines[local]) - first_line + 1), delimiter)
            if written_col < len(cells):
                return cells[written_col]
        value = float(as_float64(self.stored[row:row + 1, col:col + 1])[0, 0])  # every stored value is a float64 too
        return str(int(value)) if self.integer_vector and value.is_integer() else repr(value)

    def transposed(self) -> "Operand":
        """Each column taken as a distribution (``--columns``): header cells now name the rows."""
        return replace(self, stored=np.ascontiguousarray(self.values.T),
                       classes=self.row_names, row_names=self.classes, is_transposed=not self.is_transposed)

    def rows_slice(self, start: int, stop: int) -> "Operand":
        """Rows ``start:stop`` as an operand of their own, kept as stored (their ``values`` widened when
        asked for, those rows only)."""
        part = slice(start, stop)
        by_row = not self.is_transposed
        return replace(
            self,
            stored=self.stored[part],
            lines=self.lines[part] if by_row and self.lines is not None else self.lines,
            cells=self.cells[part] if by_row and self.cells is not None else self.cells,
            row_names=None if self.row_names is None else self.row_names[part],
            warnings=self.warnings if start == 0 else [],
            first_row=self.first_row + start,
        )

    def as_column(self) -> "Operand":
        """One row of N values as N rows of one value (labels written across)."""
        if self.rows != 1:
            return self
        return replace(self, stored=self.stored.reshape(-1, 1), is_transposed=not self.is_transposed,
                       classes=None)


def nth_line(text: str, number: int) -> str:
    """Physical line ``number`` (1-based) of ``text``."""
    start = 0
    for _ in range(number - 1):
        start = text.index("\n", start) + 1
    end = text.find("\n", start)
    return text[start:] if end < 0 else text[start:end]


def split_line(line: str, delimiter: str) -> list[str]:
    """The cells of one line of delimited text, stripped (no quoting: see :func:`~divcli.readers.text.split_records`)."""
    return line.split() if delimiter == WHITESPACE else [cell.strip() for cell in line.split(delimiter)]


def pick_read(operand: Operand, columns: ColumnChoice | None) -> Operand:
    """``--select``, ``--drop`` and ``--names`` on an operand read whole as numbers (.npy, .npz, a
    literal): columns by number, row names from a column of numbers."""
    if columns is None or not columns.given:
        return operand
    picked = columns.resolve(operand.classes, operand.shape[1], operand.name)
    values, names = pick_values(operand.values, picked)
    return replace(operand, stored=values, classes=None if operand.classes is None else picked.cells(operand.classes),
                   cells=None if operand.cells is None else [picked.cells(row) for row in operand.cells],
                   row_names=names, written_columns=picked.keep, source=None)
