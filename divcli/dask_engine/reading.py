"""One shard's blocks, on a worker (and the first ones on the client): opened through fsspec and the
readers' table (divcli.readers.reading), with P's and Q's ``--select`` (``--p-select``/``--q-select``) applied."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import replace
from typing import TYPE_CHECKING

import numpy as np

from ..errors import DataError
from ..readers.blocks import ArrayBlocks, Blocks, bounded_rows
from ..readers.columns import ColumnChoice
from ..readers.operand import Operand
from ..readers.reading import Request, ShardSource, open_shard as open_shard_blocks
from .shards import Shard

if TYPE_CHECKING:
    from .plan import Plan


def shard_choice(wanted: tuple[str, ...] | None, side: str, own: frozenset[str]) -> ColumnChoice:
    """P's or Q's --select for its shards (``side``: "p" or "q"); ``own``: the parts the operand gave
    with options of its own (``select``, and ``cols`` where it was spelled --p-cols), so that a
    message names the option typed, as the local engine's do."""
    return ColumnChoice(select=wanted or (), side=side, own=own)


def column_indices(choice: ColumnChoice, names: list[str] | None, width: int, where: str) -> list[int]:
    """A shard's columns as P's or Q's --select chooses them: names, patterns (``t_*``), numbers
    from 1 and ranges, in the order given (divcli.readers.columns)."""
    return list(choice.resolve(names, width, where).keep)


def select_columns(operand: Operand, indices: list[int]) -> Operand:
    """The chosen columns of an operand (a message's column number then counts in the selection)."""
    return replace(operand, stored=np.ascontiguousarray(operand.values[:, indices]),
                   classes=None if operand.classes is None else [operand.classes[i] for i in indices],
                   cells=None if operand.cells is None else [[row[i] for i in indices] for row in operand.cells],
                   source=None)


class Selected:
    """A shard's blocks with a column selection applied, and Q's class names dropped when there are
    selections (P's and Q's columns have different names; the selections pair them in order).

    With a selection, a block is bounded by the selected columns (as the local engine's blocks of
    those columns alone), and read in pieces each bounded by all the columns of the shard."""

    def __init__(self, blocks: Blocks, choice: ColumnChoice, keep_names: bool):
        self.blocks, self.choice, self.keep_names = blocks, choice, keep_names
        self.name = blocks.name
        self.indices: list[int] | None = None

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        if not self.choice.select:
            block = self.blocks.read(rows, max_values)
            return block if block is None or self.keep_names else replace(block, classes=None)
        parts: list[Operand] = []
        if self.indices is None:  # one row first: the selection's width bounds the block
            if (block := self.blocks.read(1, max_values)) is None:
                return None
            self.indices = column_indices(self.choice, block.classes, block.shape[1], self.name)
            parts.append(select_columns(block, self.indices))
        rows = bounded_rows(rows, len(self.indices), max_values)
        while (have := sum(part.rows for part in parts)) < rows and \
                (block := self.blocks.read(rows - have, max_values)) is not None:
            parts.append(select_columns(block, self.indices))
        if not parts:
            return None
        block = parts[0] if len(parts) == 1 else _joined(parts)
        return block if self.keep_names else replace(block, classes=None)

    def exhausted(self) -> bool:
        return self.blocks.exhausted()

    def close(self) -> None:
        self.blocks.close()  # a shard's file is the engine's ExitStack's: its blocks leave it open


def _joined(parts: list[Operand]) -> Operand:
    """Consecutive blocks of selected columns as one (their text is in their cells, when kept)."""
    first = parts[0]
    return replace(first, stored=np.concatenate([part.values for part in parts]),
                   lines=None if first.lines is None else np.concatenate([part.lines for part in parts]),
                   cells=None if any(part.cells is None for part in parts) else [row for part in parts for row in part.cells],
                   row_names=None if first.row_names is None else [name for part in parts for name in part.row_names],
                   warnings=[warning for part in parts for warning in part.warnings], source=None)


def _open(shard: Shard, stack: ExitStack):
    import fsspec

    try:
        return stack.enter_context(fsspec.open(shard.url, "rb"))
    except (OSError, ValueError) as error:
        raise DataError(shard.name, f"cannot read: {getattr(error, 'strerror', None) or error}") from None


def open_shard(shard: Shard, stack: ExitStack, plan: "Plan", role: str) -> Blocks:
    """The blocks of one shard, as :func:`divcli.readers.reading.open_blocks` gives those of one file."""
    side = role.lower()
    choice = shard_choice(plan.p_cols if role == "P" else plan.q_cols, side, plan.own[role == "Q"])
    if shard.operand is not None:
        blocks: Blocks = ArrayBlocks(shard.operand)
    else:  # by format, through the readers' registry
        pick = (lambda names: column_indices(choice, names, len(names), shard.name)) if choice.select else None
        source = ShardSource(shard.name, lambda: _open(shard, stack), shard.url if shard.is_local else None, pick)
        blocks, picked = open_shard_blocks(source, shard.extension,
                                           Request(delimiter=plan.delimiter, columns=choice if choice.select else ColumnChoice()))
        choice = ColumnChoice() if picked else choice
    return Selected(blocks, choice, role == "P" or plan.compare_names)
