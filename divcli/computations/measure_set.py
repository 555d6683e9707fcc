"""js and compare as a computation of :mod:`divcli.engine.loop`: every measure of a set (from the catalogue
of :mod:`divcli.measures.catalogue`) per pair of rows, or the n-way JS divergence, summed and averaged."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ..readers.blocks import Blocks
from ..readers.operand import Operand
from ..vocabulary import ROLES, Options, count_of, Kind, NATURAL, Reduction
from ..engine.loop import Source, Start, mark_single
from ..readers.sizes import block_of
from ..errors import DataError
from ..engine.by_name import match_by_name
from ..engine.samples import warn_raw_samples
from ..numerics.smoothing import check_kinds, smoothing_notes, warn_floor
from ..engine.start import class_count, class_names, read_firsts, refuse_one_class
from ..numerics.counts import SampleSizes, sample_sizes
from ..numerics.deviations import Deviations, deviations
from ..numerics.distributions import Distribution
from ..measures.catalogue import Measure
from ..measures.measure_records import MeasureContext, MeasureReport, MeasureSummary
from ..measures.kernels import evaluate
from ..measures.pair import Fused, Pair


def _plain_rows(distributions: list[Distribution], rows: int) -> tuple[np.ndarray, ...]:
    """P's and Q's probabilities and logs, with ``rows`` rows (an operand of one row repeated)."""
    (p, q) = distributions
    shape = (rows, p.classes)
    return tuple(np.broadcast_to(values, shape) for values in (p.p, p.log_p, q.p, q.log_p))


def measure_values(context: MeasureContext, distributions: list[Distribution]) -> dict[str, np.ndarray]:
    """One block's values: the measures of P and Q, or the n-way JS divergence with weights π. The
    rows each measure reads are made when first read, once (a js run never makes the plain ones)."""
    from ..numerics.accurate import broadcast, js_weighted_rows
    rows = max(d.rows for d in distributions)
    if context.weights is None:
        pair = Pair(plain=lambda: _plain_rows(distributions, rows),
                    accurate_rows=lambda: tuple(broadcast(d.exact_rows(), rows) for d in distributions),
                    fused=Fused.of(*distributions, rows))  # KL, H and CE by the fused kernel, where it takes them
        return evaluate(context.measures, pair, context.scale)
    exact = [broadcast(d.exact_rows(), rows) for d in distributions]
    with np.errstate(divide="ignore", invalid="ignore"):
        divergence = js_weighted_rows(exact, context.weights) / context.scale
    return {"js_divergence": divergence, "js_distance": np.sqrt(divergence)}


@dataclass
class MeasureTotals:
    """Per measure, the sum of its per-row values; the rows; and per measure that is +inf somewhere,
    [rows where it is, the first such row (counted from 0), that row's name or None]. ``count``: the
    classes, which place a row in the local engine's blocks (the order of the warning's measures)."""

    sums: dict[str, float]
    count: int = 1
    rows: int = 0
    infinite: dict[str, list] = field(default_factory=dict)
    deviations: Deviations = field(default_factory=Deviations)
    sizes: SampleSizes = field(default_factory=SampleSizes)

    def add(self, report: MeasureReport) -> None:
        self.deviations += report.deviations
        self.sizes += report.sizes
        for key, value in report.values.items():
            self.sums[key] += float(np.sum(value))
            infinite = np.isposinf(value)
            if np.any(infinite):
                row = int(np.argmax(infinite))
                found = self.infinite.setdefault(
                    key, [0, report.first_row + row, report.row_names[row] if report.row_names else None])
                found[0] += int(np.count_nonzero(infinite))
        self.rows += report.rows

    def merge(self, part: "MeasureTotals", offset: int) -> None:
        """Add the totals of the rows that follow, ``part`` (their rows counted from ``offset``)."""
        for key, total in part.sums.items():
            self.sums[key] += total
        for key, (count, row, name) in part.infinite.items():
            found = self.infinite.setdefault(key, [0, offset + row, name])
            found[0] += count
        self.deviations += part.deviations
        self.sizes += part.sizes
        self.rows += part.rows

    def closing_warnings(self) -> list[str]:
        """The measures that are +inf somewhere (those first infinite in an earlier block of the local
        engine first, then in the measures' order)."""
        if not self.infinite:
            return []
        order = list(self.sums)
        keys = sorted(self.infinite, key=lambda key: (block_of(self.infinite[key][1], self.count), order.index(key)))
        _, row, name = self.infinite[keys[0]]
        return [f"{', '.join(keys)} +inf in {max(self.infinite[key][0] for key in keys)} row(s) "
                f"(first: row {name or row + 1}): a class has probability 0 on one "
                "side only (or underflows to 0), so these measures are infinite there"]


@dataclass(frozen=True)
class MeasureSet:
    """``js`` or ``compare``: ``measures`` per pair of rows (``primary``: the one -q reports), or with
    mixture ``weights`` π the n-way JS divergence of every operand."""

    command: str
    measures: list[Measure]
    primary: str | None = None
    weights: np.ndarray | None = None

    def start(self, operands: list[Blocks], options: Options) -> Start:
        """Read the first block of each operand and decide the classes, their names and the broadcast.

        The first operand is read with ``options.p_kind``, every other with ``options.q_kind``; an
        operand of one row is compared with every row of the others."""
        if len(operands) > len(ROLES):
            raise DataError("", f"{len(operands)} operands: at most {len(ROLES)}")
        kinds = [options.p_kind] + [options.q_kind] * (len(operands) - 1)
        firsts, operands = read_firsts(operands, options.p_kind, kinds=kinds)
        check_kinds(options.conversion, kinds)
        matched = match_by_name(firsts, operands, kinds, options)
        firsts, operands = matched.firsts, matched.operands
        warn_raw_samples(firsts, kinds, options)
        warn_floor(options.conversion, firsts)
        for index, (first, kind) in enumerate(zip(firsts, kinds) if options.refuse_one_class else ()):
            refuse_one_class(first, ROLES[index], kind)
        count = class_count(firsts[0], firsts[1], options.p_kind, options.conversion.given)
        _check_widths(firsts, count)
        sources = [Source(blocks, ROLES[index], first) for index, (blocks, first) in enumerate(zip(operands, firsts))]
        mark_single(sources)
        names = _names(firsts, options.p_kind, count)
        context = MeasureContext(
            command=self.command, measures=self.measures, primary=self.primary,
            reduction=options.reduction or Reduction.default_for(self.command), base=options.base or NATURAL, classes=names,
            sources=[blocks.name for blocks in operands], kinds=[kind.value for kind in kinds],
            temperature=options.conversion.temperature, weights=self.weights,
            broadcast=next((source.role for source in sources if source.single), None),
            notes=tuple(matched.notes) + smoothing_notes(options.conversion),
        )
        # logits are checked as each block is read, their softmax made only where a measure reads the plain rows
        return Start(context, count, kinds, firsts, operands, [source.single for source in sources], deferred=True,
                     conversions=matched.conversions)

    def step(self, start: Start, distributions: list[Distribution]) -> MeasureReport:
        values = measure_values(start.context, distributions)
        placed = next((d.operand for d, single in zip(distributions, start.single) if not single),
                      distributions[0].operand)
        return MeasureReport(start.context, values, placed.first_row, placed.row_names,
                             deviations=deviations(distributions), sizes=sample_sizes(distributions))

    def accumulator(self, start: Start) -> MeasureTotals:
        return MeasureTotals({measure.key: 0.0 for measure in start.context.measures}, start.count)

    def summarise(self, start: Start, totals: MeasureTotals, rows: list[int], warnings: list[str]) -> MeasureSummary:
        sums, rows = totals.sums, totals.rows
        return MeasureSummary(start.context, rows, {"sum": dict(sums), "mean": {key: total / rows for key, total in sums.items()}},
                              warnings, dict(totals.deviations), dict(totals.sizes))


def _check_widths(firsts: list[Operand], count: int) -> None:
    """Every operand after P and Q over as many classes as they are."""
    for index, first in enumerate(firsts[2:], start=2):
        if first.shape[1] != count:
            raise DataError("", f"{ROLES[index]} has {count_of(first.shape[1], 'class', 'classes')} ({first.name}) "
                                f"but P and Q have {count}", "every operand is a distribution over the same classes")


def _names(firsts: list[Operand], p_kind: Kind, count: int) -> list[str]:
    """The classes' names, from P's header and Q's; every other operand's, when it has them, the same."""
    names = class_names(None if p_kind is Kind.LABELS else firsts[0], firsts[1], count)
    for first in firsts[2:]:
        if first.classes:
            class_names(firsts[1] if firsts[1].classes else firsts[0], first, count)  # the same names, or an error
    return names
