"""kl, ce and entropy as a computation of :mod:`divcli.engine.loop`: per row H(P), H(P,Q), D(P‖Q) and
the command's element terms (:mod:`divcli.computations.divergence_rows`), reduced as torch does."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..numerics import fast_path
from ..readers.blocks import Blocks
from ..vocabulary import Options
from ..engine.loop import Source, Start, mark_single
from ..readers.sizes import first_block_rows
from ..errors import DataError, option
from ..engine.start import (
    class_count,
    class_names,
    is_label_column,
    is_label_vector,
    is_one_hot_row,
    labels_as_column,
    read_all,
    known_values,
    read_firsts,
    refuse_one_class,
    refuse_torch_order,
)
from ..vocabulary import Kind, NATURAL, Command, Side
from ..engine.by_name import match_by_name
from ..engine.samples import warn_raw_samples
from ..numerics.smoothing import check_kinds, smoothing_notes, warn_floor
from .divergence_records import Context, Report, Summary, Totals, summarise_totals
from .divergence_rows import REPORTS, entropy_report, estimated


@dataclass(frozen=True)
class Breakdown:
    """``command`` (kl, ce or entropy) with ce's class weights, and entropy's estimator of H(P) from
    counts (None: the plug-in, alone)."""

    command: Command
    weight: np.ndarray | None = None
    estimator: str | None = None

    def start(self, operands: list[Blocks | None], options: Options) -> Start:
        """Read the first block of each operand and decide the classes, their names and the broadcast
        (ce: whether P is a column of labels)."""
        kind, inferred, (first_p, first_q), (p_blocks, q_blocks), matched = self._first_blocks(operands, options)
        count, first_p, p_blocks = self._classes(kind, first_p, p_blocks, first_q, q_blocks, options)
        sources = [Source(p_blocks, "P", first_p)] + ([] if q_blocks is None else [Source(q_blocks, "Q", first_q)])
        mark_single(sources)
        context = Context(
            command=self.command,
            reduction=options.reduction or self.command.default_reduction,
            base=options.base or NATURAL,
            classes=class_names(None if kind is Kind.LABELS else first_p, first_q, count),
            p=Side(p_blocks.name, kind, "P", inferred),
            q=None if q_blocks is None else Side(q_blocks.name, options.q_kind, "Q"),
            temperature=options.conversion.temperature,
            label_smoothing=options.label_smoothing,
            weight=self.weight,
            ignore_index=options.conversion.ignore_index,
            broadcast=next((source.role for source in sources if source.single), None),
            values=known_values([p_blocks, q_blocks], count),
            estimator=self.estimator,
            notes=tuple(matched.notes) + smoothing_notes(options.conversion),
        )
        # the fused kernel reads the logits' values itself (without label smoothing, which it does not take)
        deferred = (fast_path.use_fused(count, context.values)
                    and not (self.command is Command.CE and options.label_smoothing))
        return Start(context, count, [kind, options.q_kind][:len(sources)], [s.block for s in sources],
                     [s.blocks for s in sources], [s.single for s in sources], deferred=deferred,
                     conversions=matched.conversions)

    def _first_blocks(self, operands: list[Blocks | None], options: Options) -> tuple:
        """P's kind, whether it was guessed (ce: P a column of labels, then read last), the first
        blocks of P and Q (None without Q) and their operands; each refused when it has one class."""
        from ..readers.uniform import UniformBlocks

        p_blocks, q_blocks = operands[0], operands[1] if len(operands) > 1 else None
        kind = options.p_kind
        # not against uniform, made over P's classes: labels do not say how many classes there are
        guess = (options.infer_labels and self.command is Command.CE and kind is Kind.PROBS and q_blocks is not None
                 and not isinstance(q_blocks, UniformBlocks))
        firsts, operands = read_firsts([p_blocks] + ([] if q_blocks is None else [q_blocks]), kind,
                                       kinds=[kind, options.q_kind], p_last=guess)
        p_blocks, q_blocks = operands[0], operands[1] if q_blocks is not None else None
        first_p, first_q = firsts[0], firsts[1] if q_blocks is not None else None
        ignore_index = options.conversion.ignore_index
        if self.command is Command.CE and first_q is not None and kind is not Kind.LABELS and options.refuse_one_class:
            refuse_torch_order(first_p, p_blocks, first_q, ignore_index, kind, options.conversion.tolerance)
        inferred = guess and (is_label_column(first_p, first_q.shape[1], ignore_index)
                              or is_label_vector(first_p, first_q, ignore_index))
        if inferred:
            kind = Kind.LABELS
            one_hot = is_one_hot_row(first_p, first_q.shape[1])
            first_p, p_blocks = labels_as_column(first_p, p_blocks, first_q.rows)
            if one_hot:  # [1, 0] against 2 rows of 2 classes: labels (torch's reading) or one target row
                first_p.warnings.append(
                    f"{first_p.name} is read as labels, one class index per row of Q (as torch reads integer "
                    f"targets); it is also one one-hot row: pass {option('p_as', 'probs')} to compare every row of Q with it")
        count = len(firsts)  # 1 for entropy
        check_kinds(options.conversion, [kind, options.q_kind][:count])
        matched = match_by_name([first_p, first_q][:count], [p_blocks, q_blocks][:count], [kind, options.q_kind][:count],
                                options, histograms=self.command is not Command.CE)
        (first_p, first_q), (p_blocks, q_blocks) = (matched.firsts + [None])[:2], (matched.operands + [None])[:2]
        warn_raw_samples(matched.firsts, [kind, options.q_kind][:count], options)
        warn_floor(options.conversion, matched.firsts)
        if first_q is not None and options.refuse_one_class:
            for first, role, first_kind in ((first_p, "P", kind), (first_q, "Q", options.q_kind)):
                refuse_one_class(first, role, first_kind)
        return kind, inferred, (first_p, first_q), (p_blocks, q_blocks), matched

    def _classes(self, kind: Kind, first_p, p_blocks, first_q, q_blocks, options: Options) -> tuple:
        """The number of classes, and P's first block and operand (the entropy of labels reads them
        whole: the largest label counts the classes; then its first block is one-hot rows)."""
        if kind is Kind.LABELS and q_blocks is None:
            first_p, p_blocks = read_all(first_p, p_blocks)
        count = class_count(first_p if q_blocks is not None or kind is not Kind.LABELS else p_blocks.operand,
                            first_q, kind, options.conversion.given)
        if kind is Kind.LABELS and q_blocks is None:  # the labels, read whole, as one-hot rows of count classes
            first_p = p_blocks.read(first_block_rows(count))
            first_p.warnings = first_p.warnings + [
                f"{first_p.name}: a label is one class with probability 1, so each row's entropy is 0; for the entropy "
                f"of the labels' distribution, count them with {option('p_as', 'samples')}"]
        if self.weight is not None and self.weight.size != count:
            raise DataError("", f"{option('weight')} has {self.weight.size} values but there are {count} classes",
                            "give one weight per class")
        return count, first_p, p_blocks

    def step(self, start: Start, distributions: list) -> Report:
        if len(distributions) == 1:
            report = entropy_report(distributions[0], start.context)
            return report if self.estimator is None else estimated(report, distributions[0])
        return REPORTS[start.context.command](*distributions, start.context)

    def accumulator(self, start: Start) -> Totals:
        return Totals()

    def summarise(self, start: Start, totals: Totals, rows: list[int], warnings: list[str]) -> Summary:
        context = start.context
        return summarise_totals(context, totals, rows[0], rows[1] if len(rows) > 1 else None, warnings,
                                context.p.kind is Kind.LABELS)
