"""Operands → reports, block by block: check that P and Q fit together, convert, compute, reduce.

Shared by the CLI and the Python API so both give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Callable, Protocol

import numpy as np

from .blocks import ArrayBlocks, Blocks
from .errors import DataError
from .inputs import Operand
from .kinds import Conversion, Distribution, Kind, label_vector, to_distribution
from .numerics import Reduction
from .report import (
    NATURAL,
    REPORTS,
    Command,
    Context,
    LogBase,
    Report,
    Side,
    Summary,
    Totals,
    entropy_report,
    summarize,
)

#: Rows in the first block of every operand; later blocks hold BLOCK_ELEMENTS values (rows × classes).
FIRST_BLOCK_ROWS = 256
BLOCK_ELEMENTS = 1 << 20
#: Warnings shown before the rest are only counted.
MAX_WARNINGS = 10


#: With labels and no Q, the class count is the largest label + 1: bounded, as one-hot rows are built.
MAX_LABEL_CLASSES = 100_000


@dataclass(frozen=True)
class Options:
    """Everything besides the operands that decides the numbers."""

    p_kind: Kind = Kind.PROBS
    q_kind: Kind = Kind.PROBS
    reduction: Reduction | None = None  # None: the command's default
    base: LogBase | None = None
    conversion: Conversion = Conversion()
    label_smoothing: float = 0.0


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _class_count(p: Operand, q: Operand | None, p_kind: Kind) -> int:
    """C, checking that P and Q agree on it."""
    if p_kind is Kind.LABELS:
        if q is not None:
            return q.shape[1]
        labels = label_vector(p)
        count = int(labels.max()) + 1 if labels.max() >= 0 else 1
        if count > MAX_LABEL_CLASSES:
            raise DataError(p.where(), f"label {int(labels.max())} implies {count} classes, more than "
                            f"{MAX_LABEL_CLASSES} for the entropy of labels (which is 0 for a one-hot row)",
                            "labels are class indices 0 … C-1")
        return count
    if q is not None and p.shape[1] != q.shape[1]:
        raise DataError(
            "",
            f"P has {_count(p.shape[1], 'class', 'classes')} ({p.name}) but Q has {q.shape[1]} ({q.name})",
            "each row is one distribution over the same classes; for one distribution per column pass --columns",
        )
    return p.shape[1]


def class_names(p: Operand | None, q: Operand | None, count: int) -> list[str]:
    """The header's class names (P's, else Q's), or 0, 1, 2, …; P and Q must not disagree.

    ``p`` is None when P is labels, whose header names no class."""
    named = [operand for operand in (p, q) if operand is not None and operand.classes]
    if len(named) == 2 and named[0].classes != named[1].classes:
        order = " in a different order" if set(named[0].classes) == set(named[1].classes) else ""
        raise DataError("", f"P and Q name their classes differently{order}: "
                            f"{p.name} has {p.classes[:6]}, {q.name} has {q.classes[:6]}",
                        "put the classes in the same order in both")
    if named and len(named[0].classes) == count:
        return list(named[0].classes)
    return [str(i) for i in range(count)]


class Sink(Protocol):
    """Where the blocks go as they are computed (a renderer, or the Python API's collector)."""

    def rows(self, report: Report) -> None: ...

    def finish(self, summary: Summary) -> None: ...


class Collect:
    """A sink that keeps what ``--reduction none`` reports, for the Python API and the tests."""

    def __init__(self):
        self.parts: list[np.ndarray] = []
        self.reports: list[Report] = []
        self.summary: Summary | None = None

    def rows(self, report: Report) -> None:
        self.parts.append(report.values)
        self.reports.append(report)

    def finish(self, summary: Summary) -> None:
        self.summary = summary

    @property
    def value(self):
        """The reduced value, or the per-row (kl: per-element) values for ``none``."""
        if self.summary.value is not None:
            return self.summary.value
        return np.concatenate(self.parts)


def _labels_as_column(first: Operand, blocks: Blocks) -> tuple[Operand, Blocks]:
    """Labels written across one row are one label per row; a labels operand has one column."""
    if first.rows == 1 and first.shape[1] > 1 and blocks.exhausted():
        blocks = ArrayBlocks(first.as_column())
        return blocks.read(FIRST_BLOCK_ROWS), blocks
    label_vector(first)  # one column, or the error says so
    return first, blocks


def _read_all(first: Operand, blocks: Blocks) -> tuple[Operand, Blocks]:
    """Every block of a small operand in one (the entropy of labels needs the largest label)."""
    parts = [first]
    while (block := blocks.read(1 << 16)) is not None:
        parts.append(block)
    if len(parts) == 1:
        return first, ArrayBlocks(first)
    whole = replace(first, values=np.concatenate([part.values for part in parts]),
                    lines=None if first.lines is None else np.concatenate([part.lines for part in parts]),
                    cells=None if any(part.cells is None for part in parts) else
                    [row for part in parts for row in part.cells],
                    source=None)
    return whole, ArrayBlocks(whole)


def _mismatch(p_name: str, p_rows: int, p_more: bool, q_name: str, q_rows: int, q_more: bool) -> DataError:
    """P and Q have different row counts; an operand that goes on is counted as "at least"."""
    p_text = f"{'at least ' if p_more else ''}{_count(p_rows, 'row', 'rows')}"
    q_text = f"{'at least ' if q_more else ''}{q_rows}"
    return DataError(
        "", f"P has {p_text} ({p_name}) but Q has {q_text} ({q_name})",
        "give both the same number of rows, or one of them a single row to compare against every row",
    )


def run(command: Command, p_blocks: Blocks, q_blocks: Blocks | None, options: Options, sink: Sink,
        weight: np.ndarray | None = None, warn: Callable[[str], None] = lambda message: None,
        progress: Callable[[int], None] | None = None) -> Summary:
    """Compute ``command`` block by block: each block's report goes to ``sink`` as soon as it is
    computed, and the reductions, accumulated in block order, end in ``sink.finish``. ``progress``,
    when given, is called after every block with the number of rows done.

    The first blocks have :data:`FIRST_BLOCK_ROWS` rows, the others as many as fit in
    :data:`BLOCK_ELEMENTS` elements; every reader is asked for the same blocks, so a file, standard
    input, a literal and an array give the same numbers to the last bit.
    """
    kind = options.p_kind
    first_p = p_blocks.read(FIRST_BLOCK_ROWS)
    if kind is Kind.LABELS:
        first_p, p_blocks = _labels_as_column(first_p, p_blocks)
        if q_blocks is None:
            first_p, p_blocks = _read_all(first_p, p_blocks)
            first_p = p_blocks.read(FIRST_BLOCK_ROWS)
    first_q = q_blocks.read(FIRST_BLOCK_ROWS) if q_blocks is not None else None
    count = _class_count(first_p if q_blocks is not None or kind is not Kind.LABELS else p_blocks.operand,
                         first_q, kind)
    if weight is not None and weight.size != count:
        raise DataError("", f"--weight has {weight.size} values but there are {count} classes",
                        "give one weight per class")
    p_single = first_p.rows == 1 and q_blocks is not None and p_blocks.exhausted()
    q_single = first_q is not None and first_q.rows == 1 and q_blocks.exhausted() and not p_single
    context = Context(
        command=command,
        reduction=options.reduction or command.default_reduction,
        base=options.base or NATURAL,
        classes=class_names(None if kind is Kind.LABELS else first_p, first_q, count),
        p=Side(p_blocks.name, kind, "P"),
        q=None if q_blocks is None else Side(q_blocks.name, options.q_kind, "Q"),
        temperature=options.conversion.temperature,
        label_smoothing=options.label_smoothing,
        weight=weight,
        ignore_index=options.conversion.ignore_index,
        broadcast="P" if p_single else "Q" if q_single else None,
    )
    block_rows = max(1, BLOCK_ELEMENTS // count)

    def convert(block: Operand, role: str) -> Distribution:
        return to_distribution(block, kind if role == "P" else options.q_kind, role, options.conversion, count)

    p_block, q_block = first_p, first_q
    p_dist = q_dist = None
    p_rows, q_rows = first_p.rows, None if first_q is None else first_q.rows
    totals, shown = Totals(), Warnings(warn)
    while True:
        if p_dist is None or not p_single:
            p_dist = convert(p_block, "P")
            shown.extend(p_block.warnings)
        if q_block is not None and (q_dist is None or not q_single):
            q_dist = convert(q_block, "Q")
            shown.extend(q_block.warnings)
        if q_block is not None and not (p_single or q_single) and p_block.rows != q_block.rows:
            p_longer = p_block.rows > q_block.rows
            raise _mismatch(p_blocks.name, p_rows, p_longer and not p_blocks.exhausted(),
                            q_blocks.name, q_rows, not p_longer and not q_blocks.exhausted())
        report = entropy_report(p_dist, context) if q_block is None else REPORTS[command](p_dist, q_dist, context)
        totals.add(report)
        shown.extend(report.warnings)
        sink.rows(report)
        if progress is not None:
            progress(totals.rows)
        next_p = None if p_single else p_blocks.read(block_rows)
        next_q = None if q_single or q_blocks is None else q_blocks.read(block_rows)
        if next_p is None and next_q is None:
            break
        if q_blocks is not None and not (p_single or q_single) and (next_p is None or next_q is None):
            raise _mismatch(p_blocks.name, p_rows + (next_p.rows if next_p else 0), next_p is not None,
                            q_blocks.name, q_rows + (next_q.rows if next_q else 0), next_q is not None)
        if next_p is not None:
            p_block, p_rows = next_p, p_rows + next_p.rows
        if next_q is not None:
            q_block, q_rows = next_q, q_rows + next_q.rows
    shown.close()
    summary = summarize(context, totals, p_rows, q_rows, shown.messages, kind is Kind.LABELS)
    sink.finish(summary)
    return summary


class Warnings:
    """Warnings as they come, to ``warn``: the first :data:`MAX_WARNINGS`, then a count."""

    def __init__(self, warn: Callable[[str], None]):
        self.warn = warn
        self.messages: list[str] = []
        self.hidden = 0

    def extend(self, messages: list[str]) -> None:
        for message in messages:
            if len(self.messages) < MAX_WARNINGS:
                self.messages.append(message)
                self.warn(message)
            else:
                self.hidden += 1

    def close(self) -> None:
        if self.hidden:
            message = f"… and {self.hidden} more warnings"
            self.messages.append(message)
            self.warn(message)


def compute(command: Command, p: Operand, q: Operand | None, options: Options,
            weight: np.ndarray | None = None) -> Collect:
    """Every block of operands held in memory, collected: ``.value`` and ``.summary``."""
    sink = Collect()
    run(command, ArrayBlocks(p), None if q is None else ArrayBlocks(q), options, sink, weight)
    return sink


def weight_vector(operand: Operand) -> np.ndarray:
    """Class weights: one row or one column of finite non-negative numbers."""
    rows, cols = operand.shape
    if rows != 1 and cols != 1:
        raise DataError(operand.where(), f"weights are one number per class, but this has {rows} rows × {cols} columns")
    values = operand.values.ravel()
    bad = ~np.isfinite(values) | (values < 0)
    if np.any(bad):
        index = int(np.argmax(bad))
        row, col = (0, index) if rows == 1 else (index, 0)
        raise DataError(operand.where(row, col), f"weight {operand.text(row, col)!r} is not a finite non-negative number")
    return values
