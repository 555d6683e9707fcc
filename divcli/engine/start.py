"""The first blocks of the operands: what they decide for a whole run (the classes, their names,
labels, ``uniform``), shared by every computation's ``start`` (:mod:`divcli.engine.loop`)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..readers import sizes
from ..readers.blocks import ArrayBlocks, Blocks
from ..vocabulary import count_of, Kind
from ..readers.sizes import first_block_rows
from ..errors import DataError, option
from ..readers.operand import Operand
from ..numerics.distributions import could_be_labels, label_vector, whole_below

#: With labels and no Q, the class count is the largest label + 1: bounded, as one-hot rows are built.
MAX_LABEL_CLASSES = 100_000


def is_label_column(first_p: Operand, classes: int, ignore_index: int | None) -> bool:
    """One column of integers, each a class index 0 … C-1 (or ``ignore_index``), with C > 1."""
    if first_p.shape[1] != 1:
        return False
    return _class_indices(first_p.values, classes, ignore_index)


def is_label_vector(first_p: Operand, first_q: Operand, ignore_index: int | None) -> bool:
    """A 1-D array of integers (``np.save`` of labels, a .npz key holding one, a JSON list of whole
    numbers), each a class index of Q's classes: one label per row of Q, as torch's integer targets
    are. Not when it is also Q's single row's distribution (a one-hot row saved as integers)."""
    if not first_p.integer_vector or first_p.rows != 1:
        return False
    classes = first_q.shape[1]
    if first_q.rows == 1 and is_one_hot_row(first_p, classes):
        return False
    return _class_indices(first_p.values, classes, ignore_index)


def is_one_hot_row(first_p: Operand, classes: int) -> bool:
    """One row of ``classes`` values, each 0 or 1, summing to 1: a one-hot distribution."""
    values = first_p.values
    return (first_p.rows == 1 and values.shape[1] == classes and bool(np.all((values == 0) | (values == 1)))
            and float(values.sum()) == 1.0)


def _class_indices(values: np.ndarray, classes: int, ignore_index: int | None) -> bool:
    if classes < 2 or values.size == 0:
        return False
    index = whole_below(values, classes)
    skipped = values == ignore_index if ignore_index is not None else False
    return bool(np.all(index | skipped) and np.any(index))


def refuse_torch_order(first_p: Operand, p_blocks: Blocks, first_q: Operand, ignore_index: int | None,
                       p_kind: Kind = Kind.LOGITS, tolerance: float = 0.0) -> None:
    """``ce LOGITS LABELS``, the order of torch's ``F.cross_entropy(input, target)``: Q holds one
    class index per row of P (a column, or a 1-D array of integers as long as P has rows) and P has
    classes for them, P not being a table of probabilities already (rows ≥ 0 summing to 1: then Q is
    a distribution broadcast to them). Refused with the order to use, never swapped."""
    classes = first_p.shape[1]
    if classes < 2:
        return
    if p_kind is Kind.PROBS:
        with np.errstate(invalid="ignore", over="ignore"):
            values = first_p.values
            if np.all(values >= 0) and np.all(np.abs(values.sum(axis=1) - 1.0) <= tolerance):
                return
    if first_q.shape[1] == 1 and first_q.rows > 1:
        labels = first_q.values
    elif first_q.integer_vector and first_q.rows == 1 and first_q.shape[1] > 1:
        rows = first_p.rows if p_blocks.exhausted() else None  # P's rows, when its first block holds them all
        if rows != first_q.shape[1] and (rows is not None or first_q.shape[1] == classes):
            return
        labels = first_q.values
    else:
        return
    if not _class_indices(labels, classes, ignore_index):
        return
    raise DataError(
        first_q.name,
        f"Q holds class indices (one per row of P) and P has {classes} classes: P comes first: the target (labels); "
        "Q second: the model's logits",
        f"did you mean `divcli ce {_shown(first_q.name, 'LABELS')} {_shown(first_p.name, 'LOGITS')} "
        f"{option('q_as', 'logits')}`, with your other options? "
        "(torch's F.cross_entropy takes them the other way round)")


def _shown(name: str, placeholder: str) -> str:
    """A file name as a shell word, or the placeholder for a literal or standard input."""
    import shlex

    if name.startswith("literal ") or name.startswith("<"):
        return placeholder
    return shlex.quote(name)


def refuse_one_class(first: Operand, role: str, kind: Kind) -> None:
    """An operand whose rows have one class each: every divergence would be 0, and it is almost always
    histograms stored as columns (``count\n120\n340``). Labels have one column by right."""
    if kind is Kind.LABELS or first.shape[1] != 1:
        return
    values = first.values
    if first.is_transposed:
        hint = f"with {option('columns')} each column is one distribution: leave out {option('columns')} to take each row"
    elif first.rows == 1:
        hint = "a distribution needs two classes or more"
    else:
        hint = f"for one distribution per column (histograms stored as columns), pass {option('columns', True)}"
        if role == "P" and np.all(np.isfinite(values) & (values == np.round(values)) & (values >= 0)):
            hint = f"pass {option('p_as', 'labels')} if these are class indices (or, {hint})"
    raise DataError(first.name, f"every row of {role} has a single class ({first.shape[1]} column), so every "
                                "divergence would be 0", hint)


def class_count(p: Operand, q: Operand | None, p_kind: Kind, given: frozenset[str] = frozenset()) -> int:
    """C, checking that P and Q agree on it (``given``: the options given, see :class:`~divcli.vocabulary.Conversion`)."""
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
            f"P has {count_of(p.shape[1], 'class', 'classes')} ({p.name}) but Q has {q.shape[1]} ({q.name})",
            f"if P holds class indices, one per row of Q, pass {option('p_as', 'labels')}"
            if p_kind is Kind.PROBS and p.rows == 1 and (p.integer_vector or could_be_labels(p, q.shape[1])) else
            f"with {option('columns')} each column is one distribution, so P and Q need as many rows as each other; "
            f"leave out {option('columns')} to take each row as one" if "columns" in given else
            f"each row is one distribution over the same classes; for one distribution per column pass {option('columns', True)}",
        )
    return p.shape[1]


def class_names(p: Operand | None, q: Operand | None, count: int) -> list[str]:
    """The header's class names (P's, else Q's), or 0, 1, 2, …; P and Q must not disagree.

    ``p`` is None when P is labels, whose header names no class."""
    named = [operand for operand in (p, q) if operand is not None and operand.classes]
    if len(named) == 2 and named[0].classes != named[1].classes:
        how = "the same classes in a different order" if set(named[0].classes) == set(named[1].classes) else \
            "their classes differently"
        raise DataError("", f"P and Q name {how}: {p.name} has {p.classes[:6]}, {q.name} has {q.classes[:6]}",
                        "put the classes in the same order in both")
    if named and len(named[0].classes) == count:
        return list(named[0].classes)
    return [str(i) for i in range(count)]


def known_values(operands: list[Blocks | None], classes: int) -> int | None:
    """How many values the longest operand holds (its rows × ``classes``), where the readers know
    their rows before reading them (an array, a ``.npy``, ``.npz`` or Parquet file: the total of their
    ``position()``); None where one does not (text, counted in bytes; a stream). An operand without a
    position (a uniform row made to match) counts no rows."""
    rows = 0
    for blocks in operands:
        if blocks is None or not hasattr(blocks, "position"):
            continue
        total = None if getattr(blocks, "position_in_bytes", False) else blocks.position()[1]
        if total is None:
            return None
        rows = max(rows, total)
    return rows * classes


def read_firsts(operands: list[Blocks], p_kind: Kind, count: int | None = None, *, kinds: list[Kind] | None = None,
                p_last: bool = False) -> tuple[list[Operand], list[Blocks]]:
    """The first block of each operand (P first), and the operands (P's blocks may be replaced: labels
    written across one row; ``uniform`` made over the classes of another operand). Each reader bounds
    its first block by the width of its own rows; P is read last, as many rows as the others' first
    blocks, when it is labels (one column) or may turn out to be (``p_last``: ce's guess), so that
    every operand's first block has the same rows. ``kinds``: every operand's kind, for ``uniform``."""
    from ..readers.uniform import UniformBlocks

    operands = list(operands)
    kinds = kinds or [p_kind] + [Kind.PROBS] * (len(operands) - 1)
    firsts: list[Operand | None] = [None] * len(operands)
    uniform = [isinstance(blocks, UniformBlocks) for blocks in operands]
    later = len(operands) > 1 and not uniform[0] and (p_kind is Kind.LABELS or p_last and not any(uniform))
    _read_first_blocks(operands, firsts, uniform, later, p_kind)
    if any(uniform):
        _make_uniform(operands, firsts, kinds, uniform)
    rows = None
    if later:
        rows = first_block_rows(count or next(first.shape[1] for first in firsts[1:]))
        firsts[0] = operands[0].read(rows, sizes.BLOCK_ELEMENTS)
    if p_kind is Kind.LABELS:
        firsts[0], operands[0] = labels_as_column(firsts[0], operands[0], rows)
    return firsts, operands


def _read_first_blocks(operands: list[Blocks], firsts: list[Operand | None], uniform: list[bool], later: bool,
                       p_kind: Kind) -> None:
    """The first block of every operand read as it is (not ``uniform``, not P when it is read
    ``later``), into ``firsts``; on an error, P's error first, as P is read first otherwise."""
    try:
        for index, blocks in enumerate(operands):
            if not uniform[index] and not (later and index == 0):
                firsts[index] = blocks.read(sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS)
    except DataError:  # P's error first, as P is read first otherwise
        if later:
            first = operands[0].read(sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS)
            if p_kind is Kind.LABELS:
                labels_as_column(first, operands[0])
        raise


def _make_uniform(operands: list[Blocks], firsts: list[Operand | None], kinds: list[Kind], uniform: list[bool]) -> None:
    """Each ``uniform`` operand made over the classes of the first operand read that has them."""
    from ..readers.uniform import uniform_operand

    known = [first for first, kind in zip(firsts, kinds) if first is not None and kind is not Kind.LABELS]
    if not known:
        raise DataError("", "uniform is the uniform distribution over the other operand's classes, "
                            "and no other operand has classes",
                        "give P or Q as a distribution (labels do not say how many classes there are)")
    for index in (i for i, made in enumerate(uniform) if made):
        operands[index] = ArrayBlocks(uniform_operand(known[0].shape[1], kinds[index]))
        firsts[index] = operands[index].read(sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS)


def labels_as_column(first: Operand, blocks: Blocks, rows: int | None = None) -> tuple[Operand, Blocks]:
    """Labels written across one row are one label per row (the first ``rows`` of them the first
    block); a labels operand has one column."""
    if first.rows == 1 and first.shape[1] > 1 and blocks.exhausted():
        blocks = ArrayBlocks(first.as_column())
        return blocks.read(rows or sizes.FIRST_BLOCK_ROWS), blocks
    label_vector(first)  # one column, or the error says so
    return first, blocks


def read_all(first: Operand, blocks: Blocks) -> tuple[Operand, Blocks]:
    """Every block of a small operand in one (the entropy of labels needs the largest label)."""
    parts = [first]
    while (block := blocks.read(1 << 16)) is not None:
        parts.append(block)
    if len(parts) == 1:
        return first, ArrayBlocks(first)
    whole = replace(first, stored=np.concatenate([part.values for part in parts]),
                    lines=None if first.lines is None else np.concatenate([part.lines for part in parts]),
                    cells=None if any(part.cells is None for part in parts) else
                    [row for part in parts for row in part.cells],
                    row_names=None if first.row_names is None else [name for part in parts for name in part.row_names],
                    source=None)
    return whole, ArrayBlocks(whole)
