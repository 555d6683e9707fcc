"""Operands in blocks of rows: inputs of any length are read, checked and computed in bounded memory.

Delimited text and JSON Lines (files or standard input) are read block by block
(:class:`~divcli.readers.textblocks.TextBlocks`), Parquet a record batch at a time
(:class:`~divcli.readers.parquet.ParquetBlocks`); a literal, a JSON document or an ``.npz`` member
is read whole and sliced (:class:`ArrayBlocks`); an ``.npy`` file or an ``.npz`` member is read a block
of rows at a time (:class:`~divcli.readers.binary.NumpyBlocks`). Every
reader answers :meth:`read` with the next rows (an :class:`~divcli.readers.operand.Operand` whose
``first_row`` and ``lines`` place them in the whole input), or ``None`` at the end.

A block is bounded twice: ``read(rows, max_values)`` gives at most ``rows`` rows and, when
``max_values`` is given, at most ``max_values`` values (but always one row): every reader applies
:func:`bounded_rows` with the width of its rows as soon as it knows it (a text reader from its first
row), so every source of the same table cuts it into the same blocks.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Protocol

from .operand import Operand


def bounded_rows(rows: int, width: int, max_values: int | None) -> int:
    """How many of ``rows`` rows of ``width`` values a block holds: at most ``max_values`` values
    (when given), but at least one row."""
    if max_values is None:
        return rows
    return max(1, min(rows, max_values // max(1, width)))


class Blocks(Protocol):
    name: str
    #: True when a read may wait on another process (a pipe, a terminal): the engine then reads
    #: these blocks in the caller's thread. Readers of files and of memory may leave it out.
    may_wait: bool
    #: True when a read costs little next to computing the block (a slice of an array held whole, a
    #: ``.npy`` file's bytes): the engine then reads the operands' blocks of a step one after the
    #: other in its reader thread, not each on a thread of its own. Readers may leave it out.
    light: bool

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        """The next ``rows`` rows (fewer at the end), or None when there are none left; at most
        :func:`bounded_rows` of them when ``max_values`` is given."""

    def exhausted(self) -> bool:
        """True when :meth:`read` would return None."""

    def close(self) -> None:
        """Let go of what was opened for these blocks (a file); what was given to them stays open."""


class ArrayBlocks:
    """An operand held whole, handed out in slices of rows."""

    light = True  # a slice of rows: no copy

    def __init__(self, operand: Operand):
        self.operand = operand
        self.name = operand.name
        self.next = 0

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        if self.exhausted():
            return None
        rows = bounded_rows(rows, self.operand.shape[1], max_values)
        start, self.next = self.next, min(self.next + rows, self.operand.rows)
        return self.operand.rows_slice(start, self.next)

    def exhausted(self) -> bool:
        return self.next >= self.operand.rows

    def position(self) -> tuple[int, int | None]:
        """How far the reading is: (done, total) in rows."""
        return self.next, self.operand.rows

    def close(self) -> None:
        pass  # the operand was read before: nothing is open for these blocks


#: The names of the threads :func:`~divcli.engine.threads.at_once` reads the operands on (a reader may ask
#: :func:`reading_at_once` whether it is one).
AT_ONCE_PREFIX = "divcli-operands"


def reading_at_once() -> bool:
    """Is this one of the threads that read the operands at once (:func:`~divcli.engine.threads.at_once`)? A parser with
    threads of its own then does better without them: the operands' parses already share the CPUs."""
    import threading

    return threading.current_thread().name.startswith(AT_ONCE_PREFIX)


class UnnamedBlocks:
    """Blocks with their class names left out: another operand names the classes (P, where P and Q
    choose their columns each with an option of its own, paired in the order chosen)."""

    def __init__(self, blocks: Blocks):
        self.blocks = blocks
        self.name = blocks.name

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        block = self.blocks.read(rows, max_values)
        return block if block is None or block.classes is None else replace(block, classes=None)

    def exhausted(self) -> bool:
        return self.blocks.exhausted()

    def close(self) -> None:
        self.blocks.close()

    def __getattr__(self, name: str):  # may_wait, light, position() … of the blocks named
        return getattr(self.blocks, name)
