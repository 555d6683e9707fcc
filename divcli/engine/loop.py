"""The one loop every computation runs: prepare → step over blocks → accumulate → summarise.

A *computation* turns the operands' distributions into per-block records and one summary. It
implements :class:`Computation`:

``start(operands, options) -> Start``
    Read the first block of every operand (:mod:`divcli.engine.start` has the helpers) and decide what
    holds for the whole run: the context (the record every block shares), the class count, each
    operand's kind and whether its one row goes with every row of the others.
``step(start, distributions) -> block``
    One block of rows: the operands' distributions (aligned, an operand of one row broadcast) → a
    record the sinks take (``block.rows``, ``block.warnings``). With threads, ``step`` runs for
    several blocks at once (the first alone): it may read ``start`` but change nothing shared.
``accumulator(start) -> Accumulator``
    An empty accumulator: ``add(block)`` in block order, ``merge(other, offset)`` for the totals of
    the rows that follow (a Dask shard's, its rows counted from ``offset``), ``closing_warnings()``
    for what only the whole run can say.
``summarise(start, accumulator, rows, warnings) -> summary``
    The reductions of the whole run (``rows``: the rows read from each operand).

:func:`run_computation` is the local engine; :func:`compute_blocks` is the loop alone, which the Dask engine runs
over each shard (:mod:`divcli.dask_engine`), merging the same accumulators in shard order. Nothing
in either asks which computation it runs.

The two computations today: :class:`divcli.computations.divergence.Breakdown` (kl, ce, entropy: H(P), H(P,Q),
D(P‖Q) and their terms per row) and :class:`divcli.computations.measure_set.MeasureSet` (js, compare: the
measures of :mod:`divcli.measures.catalogue` per pair of rows).

Adding one (per-token statistics of two language models, binned drift/PSI, information from
counts) is one module: a class with the four methods, its block record (a dataclass with ``rows``,
``first_row``, ``row_names``, ``warnings``), its accumulator and its summary; a command that builds
it and calls :func:`run_computation` with a sink for its records. Binned drift would bin in ``step`` and keep
per-bin counts in its accumulator (``merge``: add the counts); token statistics keep running sums
and counts; a computation over counts would accumulate counts and compute everything in
``summarise``. The readers, the block cutting, the broadcast, the warnings and the Dask engine come
with the loop.
"""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Callable, Iterator, Protocol

from .threads import Each, at_once, one_by_one, ordered
from ..readers.blocks import Blocks
from ..errors import DataError
from ..readers import sizes
from ..vocabulary import ROLES, Conversion, Kind, Options, count_of
from ..numerics.smoothing import smoothed

if TYPE_CHECKING:
    from ..readers.operand import Operand
    from ..numerics.distributions import Distribution

#: Warnings shown before the rest are only counted.
MAX_WARNINGS = 10


@dataclass(frozen=True)
class Start:
    """What the first blocks decide for a whole run: the computation's context, the class count,
    each operand's kind, first block, blocks (P's may be replaced: labels written across one row;
    ``uniform`` made) and whether its one row goes with every row of the others. ``deferred``: the
    computation reads logits' values itself (a fused kernel): they are checked as each block is
    converted, and their softmax is left for when something asks for it."""

    context: Any
    count: int
    kinds: list[Kind]
    firsts: list[Operand | None]
    operands: list[Blocks | None]
    single: list[bool]
    deferred: bool = False
    #: each operand's conversion where it is its own (a histogram's counts are normalised: engine.by_name)
    conversions: tuple[Conversion | None, ...] = ()

    def conversion(self, index: int, options: Options) -> Conversion:
        """How operand ``index`` is read: its own conversion, else Q's (every operand after P), else P's."""
        own = self.conversions[index] if index < len(self.conversions) else None
        if own is not None:
            return own
        return options.q_conversion if index and options.q_conversion else options.conversion


class Accumulator(Protocol):
    def add(self, block) -> None: ...

    def merge(self, other, offset: int) -> None: ...

    def closing_warnings(self) -> list[str]: ...


class Computation(Protocol):
    def start(self, operands: list[Blocks], options: Options) -> Start: ...

    def step(self, start: Start, distributions: list[Distribution]): ...

    def accumulator(self, start: Start) -> Accumulator: ...

    def summarise(self, start: Start, accumulator, rows: list[int], warnings: list[str]): ...


class Sink(Protocol):
    """Where the blocks go as they are computed (a renderer, or the Python API's collector)."""

    def rows(self, block) -> None: ...

    def finish(self, summary) -> None: ...


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


@dataclass
class Partial:
    """What the loop over some rows adds up to: the computation's accumulator and the rows read from
    each operand (a shard's, or the whole run's)."""

    totals: Any
    rows: list[int] = field(default_factory=list)

    def merge(self, other: "Partial", single: list[bool]) -> None:
        """Add the rows that follow; an operand of one row (``single``) stays one row."""
        self.totals.merge(other.totals, self.totals.rows)
        self.rows = [mine if one and mine else mine + theirs
                     for mine, theirs, one in zip(self.rows or [0] * len(other.rows), other.rows, single)]


# --------------------------------------------------------------------------------------------
# the operands in step


def rows_mismatch(a: tuple[str, int, str], b: tuple[str, int, str], a_more: bool = False,
                  b_more: bool = False) -> DataError:
    """Operands ``a`` (the earlier) and ``b``, each as (role, rows, name), have different row counts;
    one that goes on is counted as "at least" so many. The one message for it, streamed or whole
    (``divcli explain``)."""
    (a_role, a_rows, a_name), (b_role, b_rows, b_name) = a, b
    a_text = f"{'at least ' if a_more else ''}{count_of(a_rows, 'row', 'rows')}"
    b_text = f"{'at least ' if b_more else ''}{b_rows}"
    error = DataError(
        "", f"{a_role} has {a_text} ({a_name}) but {b_role} has {b_text} ({b_name})",
        "give both the same number of rows, or one of them a single row to compare against every row",
    )
    error.counts = ((a_role, a_rows, a_name, a_more), (b_role, b_rows, b_name, b_more))  # for a command's own words
    return error


def mismatch(a: "Source", b: "Source", a_more: bool, b_more: bool) -> DataError:
    """:func:`rows_mismatch` of two operands being read."""
    return rows_mismatch((a.role, a.rows, a.blocks.name), (b.role, b.rows, b.blocks.name), a_more, b_more)


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


def mark_single(sources: list[Source]) -> None:
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
            raise mismatch(first, other, first_longer and not first.blocks.exhausted(),
                           not first_longer and not other.blocks.exhausted())


def _steps(sources: list[Source], rows: int, each: Each = one_by_one) -> Iterator[list[Operand | None]]:
    """The operands' blocks in step: yields, at each step, the blocks that are new (None for an
    operand of one row after the first step), and reads the next ones when asked for them (through
    ``each``: at once on threads, or one after the other)."""

    def read(source: Source) -> Operand | None:
        return None if source.single else source.blocks.read(rows, sizes.BLOCK_ELEMENTS)

    fresh: list[Operand | None] = [source.block for source in sources]
    while True:
        yield fresh
        fresh = each(read, sources)
        stepping = [(source, block) for source, block in zip(sources, fresh) if not source.single]
        if all(block is None for _, block in stepping):
            return
        _advance(sources, stepping)


def _advance(sources: list[Source], stepping: list[tuple[Source, Operand | None]]) -> None:
    """Each stepping operand's new block taken (``None``: it has ended); an operand that ends
    before another is a mismatch of their rows."""
    for source, block in stepping:
        if block is not None:
            source.block, source.rows = block, source.rows + block.rows
    ended = [source for source, block in stepping if block is None]
    if ended:
        going = next(source for source, block in stepping if block is not None)
        a, b = sorted((ended[0], going), key=sources.index)
        raise mismatch(a, b, a is going, b is going)


def _converter(sources: list[Source], start: Start, options: Options) -> Callable[..., list[Distribution]]:
    """The function that checks and converts one step's fresh blocks into every operand's
    distribution, adding the blocks' warnings to a list as it goes (an operand of one row is
    converted once, at the first step, and kept). Every operand after P is read as Q is (its kind's
    hints name Q; ``options.q_conversion`` applies to it). After the first step it only reads what
    it keeps, so threads may call it at once."""
    kept: list[Distribution | None] = [None] * len(sources)

    def convert(fresh: list[Operand | None], warnings: list[str]) -> list[Distribution]:
        distributions = list(kept)
        for index, block in enumerate(fresh):
            if block is not None:
                conversion = start.conversion(index, options)
                distributions[index] = smoothed(block, start.kinds[index], "PQ"[min(index, 1)], conversion,
                                                start.count, deferred=start.deferred)
                warnings.extend(block.warnings)
                if sources[index].single:
                    kept[index] = distributions[index]
        return distributions

    return convert


def _reads(sources: list[Source], start: Start,
           each: Each = one_by_one) -> Iterator[tuple[list[Operand | None], DataError | None]]:
    """The operands' blocks in step (:func:`_steps`), each with the error that its rows are not
    aligned (None when they are), said after the step's blocks are converted; the last then."""
    for fresh in _steps(sources, sizes.block_rows(start.count), each):
        try:
            _check_aligned(sources)
        except DataError as error:
            yield fresh, error
            return
        yield fresh, None


# --------------------------------------------------------------------------------------------
# the loop


def compute_blocks(computation: Computation, start: Start, options: Options, sink: Sink, shown: Warnings,
                   progress: Callable[[int], None] | None = None, threads: int = 1) -> Partial:
    """Every block of ``start.operands`` from ``start.firsts`` on: converted, checked, stepped, given
    to ``sink``, added to the accumulator, warnings to ``shown``. This loop is the whole computation:
    the local engine runs it over the operands, the Dask engine over each shard.

    ``threads`` > 1: the blocks are read ahead in a thread of their own (the operands' blocks of a
    step at once, each operand on its own thread, unless every read is ``light``; in this thread when
    a read may wait on another process: standard input, a pipe) and converted and computed ``threads`` at a time
    (:func:`divcli.engine.threads.ordered`), while this thread writes them; the
    sink, the accumulator and the warnings still see every block in order, and each block's numbers
    are the same whatever the threads (the same function of the same rows)."""
    sources = [Source(blocks, ROLES[index], first, single=single) for index, (blocks, first, single)
               in enumerate(zip(start.operands, start.firsts, start.single)) if blocks is not None]
    convert = _converter(sources, start, options)

    def work(step: tuple[list[Operand | None], DataError | None]) -> tuple[list[str], Any, DataError | None]:
        """A step's blocks → (the warnings of reading them, the computed block, the error instead)."""
        fresh, misaligned = step
        warnings: list[str] = []
        try:
            distributions = convert(fresh, warnings)
            if misaligned is not None:
                raise misaligned
            return warnings, computation.step(start, distributions), None
        except DataError as error:  # said after the warnings of the blocks before it
            return warnings, None, error

    totals = computation.accumulator(start)
    on_a_thread = not any(getattr(source.blocks, "may_wait", False) for source in sources)
    # reads that cost little (.npy files, arrays) go one after the other: a thread each would cost
    # more in hand-overs than it saves (3% of the CPU of a float16 LM pair on two threads)
    light = all(getattr(source.blocks, "light", False) for source in sources)
    # closing: an error here stops the reading and the pool before the readers' threads are let go
    with at_once(len(sources) if threads > 1 and on_a_thread and not light else 1) as each, \
            closing(ordered(work, _reads(sources, start, each), threads, on_a_thread)) as results:
        for read_warnings, block, error in results:
            shown.extend(read_warnings)
            if error is not None:
                raise error
            totals.add(block)
            shown.extend(block.warnings)
            sink.rows(block)
            if progress is not None:
                progress(totals.rows)
    return Partial(totals, [source.rows for source in sources])


def summarise(computation: Computation, start: Start, partial: Partial, shown: Warnings):
    """The summary of a whole run, after the warnings only the whole run can give."""
    shown.extend(partial.totals.closing_warnings())
    shown.close()
    return computation.summarise(start, partial.totals, partial.rows, shown.messages)


def run_computation(computation: Computation, operands: list[Blocks], options: Options, sink: Sink,
        warn: Callable[[str], None] = lambda message: None, progress: Callable[[int], None] | None = None,
        threads: int = 1):
    """Compute block by block: each block's record goes to ``sink`` as soon as it is computed, and
    the summary, accumulated in block order, ends in ``sink.finish``. ``progress``, when given, is
    called after every block with the number of rows done. ``threads`` > 1 reads, computes and
    writes blocks at once (:func:`compute_blocks`); the numbers are the same to the last bit.

    The first blocks have :data:`~divcli.readers.sizes.FIRST_BLOCK_ROWS` rows (fewer when they would
    hold more than :data:`~divcli.readers.sizes.BLOCK_ELEMENTS` values), the others as many as fit in
    that many values, one at least; every reader cuts the same blocks, so a file, standard input, a
    literal and an array give the same numbers to the last bit.
    """
    start = computation.start(operands, options)
    shown = Warnings(warn)
    partial = compute_blocks(computation, start, options, sink, shown, progress, threads)
    summary = summarise(computation, start, partial, shown)
    sink.finish(summary)
    return summary


def without_blocks(start: Start) -> Start:
    """``start`` without what is read (first blocks, open operands): what a Dask task is sent."""
    return replace(start, firsts=[None] * len(start.firsts), operands=[None] * len(start.operands))
