"""Operands → reports, block by block: check that P and Q fit together, convert, compute, reduce.

Shared by the CLI and the Python API so both give the same numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Callable, Protocol

import numpy as np

from .readers.blocks import ArrayBlocks, Blocks, bounded_rows
from .errors import DataError
from .readers.operand import Operand
from .keys import ROLES
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

if TYPE_CHECKING:  # the measures of js and compare are imported when those commands run
    from .measures import Measure, MeasureContext, MeasureSummary

#: Rows in the first block of every operand (fewer when they would hold more than BLOCK_ELEMENTS
#: values); later blocks hold BLOCK_ELEMENTS values (rows × classes). Every block has one row at least.
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
    q_conversion: Conversion | None = None  # Q read otherwise than P (distill: T on one side only)
    #: ce: a P of one column of class indices (integers in [0, C), C > 1) is read as labels
    infer_labels: bool = False
    #: an operand with one class a row (every divergence 0) is an error (the CLI's choice)
    refuse_one_class: bool = False


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _is_label_column(first_p: Operand, classes: int, ignore_index: int | None) -> bool:
    """One column of integers, each a class index 0 … C-1 (or ``ignore_index``), with C > 1."""
    values = first_p.values
    if first_p.shape[1] != 1 or classes < 2 or values.size == 0:
        return False
    with np.errstate(invalid="ignore"):
        index = np.isfinite(values) & (values == np.round(values)) & (values >= 0) & (values < classes)
        skipped = values == ignore_index if ignore_index is not None else False
    return bool(np.all(index | skipped) and np.any(index))


def refuse_one_class(first: Operand, role: str, kind: Kind) -> None:
    """An operand whose rows have one class each: every divergence would be 0, and it is almost always
    histograms stored as columns (``count\n120\n340``). Labels have one column by right."""
    if kind is Kind.LABELS or first.shape[1] != 1:
        return
    values = first.values
    if first.is_transposed:
        hint = "with --columns each column is one distribution: leave out --columns to take each row"
    elif first.rows == 1:
        hint = "a distribution needs two classes or more"
    else:
        hint = "for one distribution per column (histograms stored as columns), pass --columns"
        if role == "P" and np.all(np.isfinite(values) & (values == np.round(values)) & (values >= 0)):
            hint += " (or --p-as labels if these are class indices)"
    raise DataError(first.name, f"every row of {role} has a single class ({first.shape[1]} column), so every "
                                "divergence would be 0", hint)


def _class_count(p: Operand, q: Operand | None, p_kind: Kind, given: frozenset[str] = frozenset()) -> int:
    """C, checking that P and Q agree on it (``given``: the options given, see :class:`Conversion`)."""
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
            "with --columns each column is one distribution, so P and Q need as many rows as each other; "
            "leave out --columns to take each row as one" if "columns" in given else
            "each row is one distribution over the same classes; for one distribution per column pass --columns",
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


def first_block_rows(count: int) -> int:
    """The rows of the first block of operands of ``count`` classes: :data:`FIRST_BLOCK_ROWS`, or as
    many as fit in :data:`BLOCK_ELEMENTS` values, one at least (later blocks: :func:`block_rows`)."""
    return bounded_rows(FIRST_BLOCK_ROWS, count, BLOCK_ELEMENTS)


def block_rows(count: int) -> int:
    """The rows of every block after the first: as many as fit in :data:`BLOCK_ELEMENTS` values."""
    return bounded_rows(BLOCK_ELEMENTS, count, BLOCK_ELEMENTS)


def read_firsts(operands: list[Blocks], p_kind: Kind, count: int | None = None, *, kinds: list[Kind] | None = None,
                p_last: bool = False) -> tuple[list[Operand], list[Blocks]]:
    """The first block of each operand (P first), and the operands (P's blocks may be replaced: labels
    written across one row; ``uniform`` made over the classes of another operand). Each reader bounds
    its first block by the width of its own rows; P is read last, as many rows as the others' first
    blocks, when it is labels (one column) or may turn out to be (``p_last``: ce's guess), so that
    every operand's first block has the same rows. ``kinds``: every operand's kind, for ``uniform``."""
    from .uniform import UniformBlocks, uniform_operand

    operands = list(operands)
    kinds = kinds or [p_kind] + [Kind.PROBS] * (len(operands) - 1)
    firsts: list[Operand | None] = [None] * len(operands)
    uniform = [isinstance(blocks, UniformBlocks) for blocks in operands]
    later = len(operands) > 1 and not uniform[0] and (p_kind is Kind.LABELS or p_last and not any(uniform))
    try:
        for index, blocks in enumerate(operands):
            if not uniform[index] and not (later and index == 0):
                firsts[index] = blocks.read(FIRST_BLOCK_ROWS, BLOCK_ELEMENTS)
    except DataError:  # P's error first, as P is read first otherwise
        if later:
            first = operands[0].read(FIRST_BLOCK_ROWS, BLOCK_ELEMENTS)
            if p_kind is Kind.LABELS:
                _labels_as_column(first, operands[0])
        raise
    if any(uniform):
        known = [first for first, kind in zip(firsts, kinds) if first is not None and kind is not Kind.LABELS]
        if not known:
            raise DataError("", "uniform is the uniform distribution over the other operand's classes, "
                                "and no other operand has classes",
                            "give P or Q as a distribution (labels do not say how many classes there are)")
        for index in (i for i, made in enumerate(uniform) if made):
            operands[index] = ArrayBlocks(uniform_operand(known[0].shape[1], kinds[index]))
            firsts[index] = operands[index].read(FIRST_BLOCK_ROWS, BLOCK_ELEMENTS)
    rows = None
    if later:
        rows = first_block_rows(count or next(first.shape[1] for first in firsts[1:]))
        firsts[0] = operands[0].read(rows, BLOCK_ELEMENTS)
    if p_kind is Kind.LABELS:
        firsts[0], operands[0] = _labels_as_column(firsts[0], operands[0], rows)
    return firsts, operands


def _labels_as_column(first: Operand, blocks: Blocks, rows: int | None = None) -> tuple[Operand, Blocks]:
    """Labels written across one row are one label per row (the first ``rows`` of them the first
    block); a labels operand has one column."""
    if first.rows == 1 and first.shape[1] > 1 and blocks.exhausted():
        blocks = ArrayBlocks(first.as_column())
        return blocks.read(rows or FIRST_BLOCK_ROWS), blocks
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
                    row_names=None if first.row_names is None else [name for part in parts for name in part.row_names],
                    source=None)
    return whole, ArrayBlocks(whole)


def _mismatch(a: "Source", b: "Source", a_more: bool, b_more: bool) -> DataError:
    """Operands ``a`` (the earlier) and ``b`` have different row counts; one that goes on is counted
    as "at least" so many."""
    a_text = f"{'at least ' if a_more else ''}{_count(a.rows, 'row', 'rows')}"
    b_text = f"{'at least ' if b_more else ''}{b.rows}"
    return DataError(
        "", f"{a.role} has {a_text} ({a.blocks.name}) but {b.role} has {b_text} ({b.blocks.name})",
        "give both the same number of rows, or one of them a single row to compare against every row",
    )


@dataclass
class Source:
    """One operand being read: its blocks, its role in messages, its current block, the rows so far."""

    blocks: Blocks
    role: str
    block: Operand
    rows: int = 0
    single: bool = False  # one row, compared with every row of the others

    def __post_init__(self):
        self.rows = self.block.rows


def _mark_single(sources: list[Source]) -> None:
    """An operand of one row is compared with every row of the others (the first, if all have one)."""
    for source in sources:
        source.single = len(sources) > 1 and source.block.rows == 1 and source.blocks.exhausted()
    if all(source.single for source in sources):
        for source in sources[1:]:
            source.single = False


def _check_aligned(sources: list[Source]) -> None:
    """The current blocks of the operands that are not broadcast have the same number of rows."""
    stepping = [source for source in sources if not source.single]
    first = stepping[0]
    for other in stepping[1:]:
        if other.block.rows != first.block.rows:
            first_longer = first.block.rows > other.block.rows
            raise _mismatch(first, other, first_longer and not first.blocks.exhausted(),
                            not first_longer and not other.blocks.exhausted())


def _steps(sources: list[Source], block_rows: int):
    """The operands' blocks in step: yields, at each step, the blocks that are new (None for an
    operand of one row after the first step), and reads the next ones when asked for them."""
    fresh: list[Operand | None] = [source.block for source in sources]
    while True:
        yield fresh
        fresh = [None if source.single else source.blocks.read(block_rows, BLOCK_ELEMENTS) for source in sources]
        stepping = [(source, block) for source, block in zip(sources, fresh) if not source.single]
        if all(block is None for _, block in stepping):
            return
        for source, block in stepping:
            if block is not None:
                source.block, source.rows = block, source.rows + block.rows
        ended = [source for source, block in stepping if block is None]
        if ended:
            going = next(source for source, block in stepping if block is not None)
            a, b = sorted((ended[0], going), key=sources.index)
            raise _mismatch(a, b, a is going, b is going)


@dataclass(frozen=True)
class Start:
    """What the first blocks decide for a whole run: the context, the class count, and the first block
    of each operand (P's blocks may be replaced: labels written across one row)."""

    context: Context
    count: int
    first_p: Operand
    first_q: Operand | None
    p_blocks: Blocks
    q_blocks: Blocks | None = None  # as given, or made (the operand uniform)


def prepare(command: Command, p_blocks: Blocks, q_blocks: Blocks | None, options: Options,
            weight: np.ndarray | None = None) -> Start:
    """Read the first block of each operand and decide the classes, their names and the broadcast."""
    kind = options.p_kind
    guess = options.infer_labels and command is Command.CE and kind is Kind.PROBS and q_blocks is not None
    firsts, operands = read_firsts([p_blocks] + ([] if q_blocks is None else [q_blocks]), kind,
                                   kinds=[kind, options.q_kind], p_last=guess)
    p_blocks, q_blocks = operands[0], operands[1] if q_blocks is not None else None
    first_p, first_q = firsts[0], firsts[1] if q_blocks is not None else None
    inferred = guess and _is_label_column(first_p, first_q.shape[1], options.conversion.ignore_index)
    if inferred:
        kind = Kind.LABELS
        first_p, p_blocks = _labels_as_column(first_p, p_blocks, first_q.rows)
    if first_q is not None and options.refuse_one_class:
        for first, role, first_kind in ((first_p, "P", kind), (first_q, "Q", options.q_kind)):
            refuse_one_class(first, role, first_kind)
    if kind is Kind.LABELS and q_blocks is None:
        first_p, p_blocks = _read_all(first_p, p_blocks)
    count = _class_count(first_p if q_blocks is not None or kind is not Kind.LABELS else p_blocks.operand,
                         first_q, kind, options.conversion.given)
    if kind is Kind.LABELS and q_blocks is None:  # the labels, read whole, as one-hot rows of count classes
        first_p = p_blocks.read(first_block_rows(count))
    if weight is not None and weight.size != count:
        raise DataError("", f"--weight has {weight.size} values but there are {count} classes",
                        "give one weight per class")
    sources = [Source(p_blocks, "P", first_p)] + ([] if q_blocks is None else [Source(q_blocks, "Q", first_q)])
    _mark_single(sources)
    context = Context(
        command=command,
        reduction=options.reduction or command.default_reduction,
        base=options.base or NATURAL,
        classes=class_names(None if kind is Kind.LABELS else first_p, first_q, count),
        p=Side(p_blocks.name, kind, "P", inferred),
        q=None if q_blocks is None else Side(q_blocks.name, options.q_kind, "Q"),
        temperature=options.conversion.temperature,
        label_smoothing=options.label_smoothing,
        weight=weight,
        ignore_index=options.conversion.ignore_index,
        broadcast=next((source.role for source in sources if source.single), None),
    )
    return Start(context, count, first_p, first_q, p_blocks, q_blocks)


def run(command: Command, p_blocks: Blocks, q_blocks: Blocks | None, options: Options, sink: Sink,
        weight: np.ndarray | None = None, warn: Callable[[str], None] = lambda message: None,
        progress: Callable[[int], None] | None = None) -> Summary:
    """Compute ``command`` block by block: each block's report goes to ``sink`` as soon as it is
    computed, and the reductions, accumulated in block order, end in ``sink.finish``. ``progress``,
    when given, is called after every block with the number of rows done.

    The first blocks have :data:`FIRST_BLOCK_ROWS` rows (fewer when they would hold more than
    :data:`BLOCK_ELEMENTS` values), the others as many as fit in :data:`BLOCK_ELEMENTS` values, one
    at least; every reader cuts the same blocks, so a file, standard input, a literal and an array
    give the same numbers to the last bit.
    """
    start = prepare(command, p_blocks, q_blocks, options, weight)
    options = replace(options, p_kind=start.context.p.kind)  # labels, when ce found a column of them
    totals, shown = Totals(), Warnings(warn)
    p_rows, q_rows = compute_blocks(start, start.p_blocks, start.q_blocks, options, sink, totals, shown, progress)
    shown.close()
    summary = summarize(start.context, totals, p_rows, q_rows, shown.messages, options.p_kind is Kind.LABELS)
    sink.finish(summary)
    return summary


def compute_blocks(start: Start, p_blocks: Blocks, q_blocks: Blocks | None, options: Options, sink: Sink,
                   totals: Totals, shown: "Warnings", progress: Callable[[int], None] | None = None
                   ) -> tuple[int, int | None]:
    """Every block of P and Q from ``start.first_p``/``first_q`` on: converted, checked, reported to
    ``sink``, added to ``totals``, warnings to ``shown``. Returns the row counts of P and Q.

    This loop is the whole computation: the local engine runs it over the operands, the Dask engine
    over each shard (:mod:`divcli.dask_engine`). The operand broadcast is the context's.
    """
    context, count = start.context, start.count
    sources = [Source(p_blocks, "P", start.first_p, single=context.broadcast == "P")]
    if q_blocks is not None:
        sources.append(Source(q_blocks, "Q", start.first_q, single=context.broadcast == "Q"))
    for distributions in _distributions(sources, [options.p_kind, options.q_kind], "PQ", options, count, shown):
        report = entropy_report(*distributions, context) if q_blocks is None else \
            REPORTS[context.command](*distributions, context)
        totals.add(report)
        shown.extend(report.warnings)
        sink.rows(report)
        if progress is not None:
            progress(totals.rows)
    return sources[0].rows, None if q_blocks is None else sources[1].rows


def _distributions(sources: list[Source], kinds: list[Kind], roles: str, options: Options, count: int,
                   shown: "Warnings"):
    """The operands' blocks in step, checked and converted (an operand of one row once): at each step
    the list of every operand's distribution (``roles`` name them in the hints of errors)."""
    distributions: list[Distribution | None] = [None] * len(sources)
    for fresh in _steps(sources, block_rows(count)):
        for index, block in enumerate(fresh):
            if block is not None:
                conversion = options.q_conversion if index and options.q_conversion else options.conversion
                distributions[index] = to_distribution(block, kinds[index], roles[index], conversion, count)
                shown.extend(block.warnings)
        _check_aligned(sources)
        yield list(distributions)


def _broadcast_rows(distributions: list[Distribution]) -> list[tuple[np.ndarray, np.ndarray]]:
    rows = max(d.rows for d in distributions)
    return [(np.broadcast_to(d.p, (rows, d.p.shape[1])), np.broadcast_to(d.log_p, (rows, d.p.shape[1])))
            for d in distributions]


def _measure_values(context: MeasureContext, distributions: list[Distribution]) -> dict[str, np.ndarray]:
    """One block's values: the measures of P and Q, or the n-way JS divergence with weights π."""
    from .accurate import broadcast, js_weighted_rows
    from .measures import Pair, evaluate
    exact = [broadcast(d.exact_rows(), max(d.rows for d in distributions)) for d in distributions]
    if context.weights is None:
        (p, log_p), (q, log_q) = _broadcast_rows(distributions)
        return evaluate(context.measures, Pair(p, log_p, q, log_q, *exact), context.scale)
    with np.errstate(divide="ignore", invalid="ignore"):
        divergence = js_weighted_rows(exact, context.weights) / context.scale
    return {"js_divergence": divergence, "js_distance": np.sqrt(divergence)}


@dataclass(frozen=True)
class MeasureStart:
    """What the first blocks decide for a whole ``js`` or ``compare`` run: the context, the class
    count, each operand's kind, first block and whether its one row goes with every row of the others
    (P's blocks may be replaced: labels written across)."""

    context: MeasureContext
    count: int
    kinds: list[Kind]
    firsts: list[Operand]
    operands: list[Blocks]
    single: list[bool]


def prepare_measures(command: str, operands: list[Blocks], options: Options, *, measures: list[Measure],
                     primary: str | None = None, weights: np.ndarray | None = None) -> MeasureStart:
    """Read the first block of each operand and decide the classes, their names and the broadcast.

    The first operand is read with ``options.p_kind``, every other with ``options.q_kind``; an
    operand of one row is compared with every row of the others."""
    from .measures import MeasureContext
    if len(operands) > len(ROLES):
        raise DataError("", f"{len(operands)} operands: at most {len(ROLES)}")
    kinds = [options.p_kind] + [options.q_kind] * (len(operands) - 1)
    firsts, operands = read_firsts(operands, options.p_kind, kinds=kinds)
    for index, (first, kind) in enumerate(zip(firsts, kinds) if options.refuse_one_class else ()):
        refuse_one_class(first, ROLES[index], kind)
    count = _class_count(firsts[0], firsts[1], options.p_kind, options.conversion.given)
    for index, first in enumerate(firsts[2:], start=2):
        if first.shape[1] != count:
            raise DataError("", f"{ROLES[index]} has {_count(first.shape[1], 'class', 'classes')} ({first.name}) "
                                f"but P and Q have {count}", "every operand is a distribution over the same classes")
    sources = [Source(blocks, ROLES[index], first) for index, (blocks, first) in enumerate(zip(operands, firsts))]
    _mark_single(sources)
    names = class_names(None if options.p_kind is Kind.LABELS else firsts[0], firsts[1], count)
    for first in firsts[2:]:
        if first.classes:
            class_names(firsts[1] if firsts[1].classes else firsts[0], first, count)  # the same names, or an error
    context = MeasureContext(
        command=command, measures=measures, primary=primary,
        reduction=(options.reduction or Reduction.MEAN).value, base=options.base or NATURAL, classes=names,
        sources=[blocks.name for blocks in operands], kinds=[kind.value for kind in kinds],
        temperature=options.conversion.temperature, weights=weights,
        broadcast=next((source.role for source in sources if source.single), None),
    )
    return MeasureStart(context, count, kinds, firsts, operands, [source.single for source in sources])


@dataclass
class MeasureTotals:
    """Per measure, the sum of its per-row values; the rows; and per measure that is +inf somewhere,
    [rows where it is, the first such row (counted from 0), that row's name or None]."""

    sums: dict[str, float]
    rows: int = 0
    infinite: dict[str, list] = field(default_factory=dict)

    @classmethod
    def of(cls, context: MeasureContext) -> "MeasureTotals":
        return cls({measure.key: 0.0 for measure in context.measures})

    def add(self, part: "MeasureTotals", offset: int) -> None:
        """Add the totals of the rows that follow, ``part`` (their rows counted from ``offset``)."""
        for key, total in part.sums.items():
            self.sums[key] += total
        for key, (count, row, name) in part.infinite.items():
            found = self.infinite.setdefault(key, [0, offset + row, name])
            found[0] += count
        self.rows += part.rows


def compute_measure_blocks(start: MeasureStart, operands: list[Blocks], firsts: list[Operand], options: Options,
                           sink, totals: MeasureTotals, shown: "Warnings",
                           progress: Callable[[int], None] | None = None) -> None:
    """Every block of the operands from ``firsts`` on: converted, checked, each measure computed,
    reported to ``sink``, added to ``totals``, warnings to ``shown``.

    This loop is the whole computation of ``js`` and ``compare``: the local engine runs it over the
    operands, the Dask engine over each shard. The broadcast is ``start.single``."""
    from .measures import MeasureReport
    context, count, kinds = start.context, start.count, start.kinds
    sources = [Source(blocks, ROLES[index], first, single=single)
               for index, (blocks, first, single) in enumerate(zip(operands, firsts, start.single))]
    roles = "P" + "Q" * (len(sources) - 1)  # every operand after P is read as --q-as says
    for distributions in _distributions(sources, kinds, roles, options, count, shown):
        values = _measure_values(context, distributions)
        placed = next((d.operand for d, s in zip(distributions, sources) if not s.single), distributions[0].operand)
        report = MeasureReport(context, values, placed.first_row, placed.row_names)
        for key, value in values.items():
            totals.sums[key] += float(np.sum(value))
            infinite = np.isposinf(value)
            if np.any(infinite):
                row = int(np.argmax(infinite))
                found = totals.infinite.setdefault(
                    key, [0, report.first_row + row, report.row_names[row] if report.row_names else None])
                found[0] += int(np.count_nonzero(infinite))
        totals.rows += report.rows
        sink.rows(report)
        if progress is not None:
            progress(totals.rows)


def _block_of(row: int, count: int) -> int:
    """The local engine's block that holds ``row``: its first :func:`first_block_rows`, then
    :func:`block_rows` at a time."""
    first = first_block_rows(count)
    return 0 if row < first else 1 + (row - first) // block_rows(count)


def summarize_measures(start: MeasureStart, totals: MeasureTotals, shown: "Warnings") -> MeasureSummary:
    """The reductions of the whole run, and the warning for the measures that are +inf somewhere
    (those first infinite in an earlier block of the local engine first, then in the measures' order)."""
    from .measures import MeasureSummary
    if totals.infinite:
        order = list(totals.sums)
        keys = sorted(totals.infinite, key=lambda key: (_block_of(totals.infinite[key][1], start.count),
                                                         order.index(key)))
        _, row, name = totals.infinite[keys[0]]
        shown.extend([f"{', '.join(keys)} +inf in {max(totals.infinite[key][0] for key in keys)} row(s) "
                      f"(first: row {name or row + 1}): a class has probability 0 on one "
                      "side only (or underflows to 0), so these measures are infinite there"])
    shown.close()
    sums, rows = totals.sums, totals.rows
    return MeasureSummary(start.context, rows, {"sum": dict(sums), "mean": {key: total / rows for key, total in sums.items()}},
                          shown.messages)


def run_measures(command: str, operands: list[Blocks], options: Options, sink, *, measures: list[Measure],
                 primary: str | None = None, weights: np.ndarray | None = None,
                 warn: Callable[[str], None] = lambda message: None,
                 progress: Callable[[int], None] | None = None) -> MeasureSummary:
    """``js`` and ``compare``: every measure per pair of rows, block by block, as :func:`run`
    (``progress`` too).

    The first operand is read with ``options.p_kind``, every other with ``options.q_kind``; an
    operand of one row is compared with every row of the others."""
    start = prepare_measures(command, operands, options, measures=measures, primary=primary, weights=weights)
    totals, shown = MeasureTotals.of(start.context), Warnings(warn)
    compute_measure_blocks(start, start.operands, start.firsts, options, sink, totals, shown, progress)
    summary = summarize_measures(start, totals, shown)
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
        raise DataError(operand.where(row, col),
                        f"weight {operand.text(row, col)!r} is not a finite non-negative number",
                        "give one finite number ≥ 0 per class, such as 1,1,2")
    return values  # weights whose sum overflows are fine: ce uses them divided by a power of two
