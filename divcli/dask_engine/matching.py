"""Each shard's classes matched by name, as the local engine matches two files'
(:mod:`divcli.engine.by_name`), then put in the order the first shards decided.

A task reads its shards' first blocks as they are written. Where the run named its classes, the
shard's P and Q are first matched to each other as two files are locally (a ``bin,count`` histogram
turned into one distribution over its bins; JSON objects' keys or a header in another order
realigned), and then to the run's classes, the first shards' (P's, then those only Q names): a
shard in another order is realigned; a class the shard lacks counts 0 there where the local engine
would count it so (a histogram's bin, ``--missing zero``), with a warning, and is refused otherwise;
a class the first shards do not name is refused, as no row before it has a place for it.
"""

from __future__ import annotations

import numpy as np

from ..engine.by_name import AlignedBlocks, is_binned, listing, match_by_name
from ..engine.loop import Start
from ..errors import DataError, option
from ..readers import sizes
from ..readers.blocks import Blocks, bounded_rows
from ..readers.operand import Operand
from ..vocabulary import ROLES, Kind, Options


def match_shard(start: Start, firsts: list[Operand | None], operands: list[Blocks], options: Options
                ) -> tuple[list[Operand | None], list[Blocks]]:
    """The shard's first blocks and blocks with its classes in the run's order (``start``: the
    client's, from the first shards); unchanged where the run's classes have no names."""
    classes = getattr(start.context, "classes", None)
    if not classes:
        return firsts, operands
    kinds = start.kinds[:len(firsts)]
    histograms = any(conversion is not None for conversion in start.conversions)  # the first shards were
    matched = match_by_name(firsts, operands, kinds, options, histograms=histograms)
    firsts, operands = list(matched.firsts), list(matched.operands)
    for index, (first, kind) in enumerate(zip(firsts, kinds)):
        if first is not None and kind is not Kind.LABELS and first.classes and first.classes != list(classes):
            firsts[index], operands[index] = _in_run_order(first, operands[index], list(classes), kind, options, index)
    return firsts, operands


def _in_run_order(first: Operand, blocks: Blocks, classes: list[str], kind: Kind, options: Options,
                  index: int) -> tuple[Operand, Blocks]:
    """One operand's shard realigned to the run's ``classes``; a class it lacks filled (0 for
    probabilities and counts) where that is allowed, with a warning on its first block."""
    missing = _refused_or_missing(first, classes, options)
    position = {name: column for column, name in enumerate(first.classes)}
    order = [position.get(name, len(first.classes)) for name in classes]
    fill = 0.0 if kind in (Kind.PROBS, Kind.COUNTS) else -np.inf
    aligned = AlignedBlocks(blocks, order, classes, fill)
    block = aligned.align(first)
    rows = bounded_rows(sizes.FIRST_BLOCK_ROWS, len(classes), sizes.BLOCK_ELEMENTS)
    if block.rows > rows:  # filled classes made it wider than a first block of the run's width
        aligned.pending, block = block.rows_slice(rows, block.rows), block.rows_slice(0, rows)
    if missing:
        word = "bin" if is_binned(first) else "class"
        block.warnings.append(f"{ROLES[index]} ({first.name}) has no {word if len(missing) == 1 else word + 's'} "
                              f"{listing(missing)}: counted as 0 there")
    return block, aligned


def _refused_or_missing(first: Operand, classes: list[str], options: Options) -> list[str]:
    """The run's classes the shard lacks, where they may count 0 there (a histogram's bins,
    ``--missing zero``); a shard naming a class the first shards do not, or lacking one otherwise,
    is refused."""
    extra = [name for name in first.classes if name not in set(classes)]
    if extra:
        raise DataError(first.name, f"names {_classes(extra)} that the first shards do not "
                                    f"(they name {listing(classes)})",
                        "give every shard the same classes (in any order)")
    missing = [name for name in classes if name not in set(first.classes)]
    if missing and not is_binned(first) and options.missing != "zero":
        raise DataError(first.name, f"has no {_classes(missing)}, which the first shards name",
                        f"give every shard the same classes, or pass {option('missing', 'zero')} to count a class "
                        "a shard lacks as 0 there")
    return missing


def _classes(names: list[str]) -> str:
    return f"{'class' if len(names) == 1 else 'classes'} {listing(names)}"
