"""Classes matched by name across the operands, and histograms read as one distribution.

Two layouts name their classes, and both are matched by name here, once, on the first blocks
(:func:`match_by_name`, called by every computation's ``start`` after
:func:`~divcli.engine.start.read_firsts`):

- **A histogram**: one column of numbers beside a column of bin names (``bin,count``, as pandas'
  ``value_counts().to_csv()`` writes it; the readers take such a column as the row names). Without
  ``--columns`` it is one distribution over its bins, its counts divided by their total (the
  layout says they are counts). Bins named down a column (this, or ``--columns`` with row names)
  are the bins of a histogram: a bin that one side has and the other does not is a bin the other
  side saw nothing in, **counted as 0** there, with a warning that names it.
- **Named classes**: a header row, the keys of JSON objects. A class that one side names and the
  other does not is more likely a mistake (another tokenizer, another label set, a typo) than an
  empty class: it is **refused**, with the classes listed, unless ``--missing zero`` says to count
  it as 0 there (warned).

Either way another order is no error: every operand is put in P's order (then the classes only a
later operand names), block by block, and the table's header and JSON's ``notes`` say so.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from ..errors import DataError, option, show_value
from ..readers.blocks import ArrayBlocks, Blocks, bounded_rows
from ..readers.operand import MISSING_LINE, Operand
from ..readers.sample_counts import CountedBlocks
from ..readers.uniform import is_uniform
from ..readers import sizes
from ..vocabulary import ROLES, Conversion, Kind, Options, count_of
from .start import read_all

#: Names shown in a warning or an error before "and N more".
SHOWN_NAMES = 5


@dataclass
class Matched:
    """The first blocks and blocks after matching, each operand's own conversion (a histogram's:
    normalised; None: the run's), and the notes for the header."""

    firsts: list[Operand | None]
    operands: list[Blocks | None]
    conversions: tuple[Conversion | None, ...] = ()
    notes: list[str] = field(default_factory=list)


def listing(names: list[str], limit: int = SHOWN_NAMES) -> str:
    """``'a', 'b' and 3 more``: at most ``limit`` names, quoted."""
    shown = ", ".join(show_value(name) for name in names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


def is_histogram(first: Operand | None) -> bool:
    """One column of numbers whose rows a column names (``bin,count``): bins down a column."""
    return first is not None and not first.is_transposed and first.shape[1] == 1 and first.row_names is not None


def is_binned(first: Operand) -> bool:
    """Classes named down a column (a histogram, or ``--columns`` with row names): bins, where a bin
    one side lacks is an empty bin."""
    return first.is_transposed and first.classes is not None


def match_by_name(firsts: list[Operand | None], operands: list[Blocks | None], kinds: list[Kind], options: Options,
                  histograms: bool = True) -> Matched:
    """Histograms turned into one distribution each (``histograms``: not for ce, whose column of
    class indices beside row names is labels), then every operand's classes matched by name."""
    firsts, operands = list(firsts), list(operands)
    conversions: list[Conversion | None] = [None] * len(firsts)
    notes = _counted_notes(operands)
    _refuse_unnamed(firsts, operands, kinds)
    for index, (first, kind) in enumerate(zip(firsts, kinds)):
        if histograms and kind in (Kind.PROBS, Kind.COUNTS) and is_histogram(first):
            firsts[index], operands[index], note = _as_distribution(first, operands[index], ROLES[index])
            conversions[index] = replace(options.conversion, normalize=True)
            notes.append(note)
    notes += _align(firsts, operands, kinds, options)
    return Matched(firsts, operands, tuple(conversions) if any(conversions) else (), notes)


def is_counted(blocks: Blocks | None) -> bool:
    """A column of categories counted (``--p-as samples``): its categories are bins, seen or not."""
    return isinstance(blocks, CountedBlocks)


def _counted_notes(operands: list[Blocks | None]) -> list[str]:
    """The header's line for each column of categories counted: its samples and categories."""
    notes = []
    for index, blocks in enumerate(operands):
        if is_counted(blocks):
            counted = blocks.counted
            notes.append(f"{ROLES[index]}: {count_of(counted.samples, 'sample', 'samples', grouped=True)} in "
                         f"{count_of(len(counted.categories), 'category', 'categories')}, counted from {counted.source}")
    return notes


def _refuse_unnamed(firsts: list[Operand | None], operands: list[Blocks | None], kinds: list[Kind]) -> None:
    """Beside a column of categories counted, an operand that does not name its classes cannot be
    matched to the categories (whose order is only the sorted one): refused, unless it is ``uniform``
    (made over the categories) or labels."""
    if not any(is_counted(blocks) for blocks in operands):
        return
    for index, (first, kind) in enumerate(zip(firsts, kinds)):
        if first is not None and kind is not Kind.LABELS and not first.classes and not is_uniform(first):
            raise DataError(first.name, f"{ROLES[index]} does not name its classes, so they cannot be matched to the "
                                        "categories counted from the other operand",
                            "give it a header naming the categories (or keys), or count it as well with "
                            f"{option(f'{ROLES[index].lower()}_as', 'samples')}")


def _as_distribution(first: Operand, blocks: Blocks, role: str) -> tuple[Operand, Blocks, str]:
    """A histogram (a column of counts, its rows named) read whole and turned into one row over its
    bins; the bins must be named once each."""
    whole, _ = read_all(first, blocks)
    _check_once(whole.row_names, whole, "bin")
    turned = whole.transposed()
    blocks = ArrayBlocks(turned)
    column = f"its {show_value(whole.classes[0])} column" if whole.classes else "its counts"
    note = f"{role}: {whole.name} read as a histogram of {count_of(whole.rows, 'bin', 'bins')}, {column} divided by its total"
    return blocks.read(sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS), blocks, note


def _check_once(names: list[str], operand: Operand, word: str) -> None:
    seen: dict[str, int] = {}
    for row, name in enumerate(names):
        if name in seen:
            raise DataError(operand.where(row), f"{word} {show_value(name)} is named twice (also {operand.where(seen[name])})",
                            f"give each {word} once (add up its counts)")
        seen[name] = row


def _align(firsts: list[Operand | None], operands: list[Blocks | None], kinds: list[Kind], options: Options) -> list[str]:
    """Every operand that names its classes put in one order (P's, then those only later operands
    name), a class it lacks counted as 0 or refused (see the module's docstring); the notes."""
    taking = [index for index, (first, kind) in enumerate(zip(firsts, kinds))
              if first is not None and kind is not Kind.LABELS]
    named = [index for index in taking if firsts[index].classes]
    if not _to_match(firsts, operands, taking, named):
        return []
    if not all(is_counted(operands[index]) for index in named):  # samples with no category alike: far apart
        _refuse_disjoint(firsts, named)
    _check_names(firsts, taking)
    union, lacking = _union(firsts, named)
    _refuse_missing(firsts, lacking, options)
    notes, warnings = [], []
    for index in named:
        note, warning = _realign(index, firsts, operands, kinds, union, lacking[index])
        notes += note
        warnings += warning
    if lacking[named[0]]:
        notes.append("the classes: P's, then those only " + ("Q names" if len(named) == 2 else "later operands name"))
    firsts[named[0]].warnings.extend(warnings)  # shown with the first block
    return notes + warnings


def _union(firsts: list[Operand | None], named: list[int]) -> tuple[list[str], dict[int, list[str]]]:
    """Every class any operand names (P's, then those only later operands name), and for each
    operand the classes of the union it lacks."""
    union = list(dict.fromkeys(name for index in named for name in firsts[index].classes))
    lacking = {index: [name for name in union if name not in set(firsts[index].classes)] for index in named}
    return union, lacking


def _to_match(firsts: list[Operand | None], operands: list[Blocks | None], taking: list[int], named: list[int]) -> bool:
    """Whether there is anything to match: two operands or more that name their classes, not alike,
    and more than one class a row (a column of categories counted may have found one)."""
    if len(named) < 2 or all(firsts[index].classes == firsts[named[0]].classes for index in named):
        return False
    # one class a row: refused as such (engine.start.refuse_one_class), with the fix
    return not any(firsts[index].shape[1] < 2 and not is_counted(operands[index]) for index in taking)


def _check_names(firsts: list[Operand | None], taking: list[int]) -> None:
    """Every operand to be matched names its classes, each once."""
    for index in taking:
        if not firsts[index].classes:
            raise DataError(firsts[index].name, f"{ROLES[index]} does not name its classes, so they cannot be matched "
                                                "to the other operands' names", "give it a header (or keys)")
        _check_once(firsts[index].classes, firsts[index], "class")


def _realign(index: int, firsts: list[Operand | None], operands: list[Blocks | None], kinds: list[Kind],
             union: list[str], missing: list[str]) -> tuple[list[str], list[str]]:
    """Operand ``index`` put in ``union``'s order, its ``missing`` classes filled (0, or −inf for
    logits); the note and the warning that say so."""
    first, blocks = firsts[index], operands[index]
    order = _order(first.classes, union)
    if not missing and order == list(range(len(union))):
        return [], []
    fill = 0.0 if kinds[index] in (Kind.PROBS, Kind.COUNTS) else -np.inf
    firsts[index], operands[index] = _aligned_blocks(first, blocks, order, union, fill)
    warnings = [_lacking_text(index, first, blocks, missing)] if missing else []
    if not index:
        return [], warnings
    if set(first.classes) == set(union):
        return [f"{ROLES[index]}'s classes ({first.name}) in another order: matched to P's by name"], warnings
    return [f"{ROLES[index]}'s classes ({first.name}) matched to the others' by name"], warnings


def _lacking_text(index: int, first: Operand, blocks: Blocks, missing: list[str]) -> str:
    """``Q (cur.csv) has no bin 'b': counted as 0 there``; a column of categories counted says how
    many categories it never saw."""
    if is_counted(blocks):
        many = count_of(len(missing), "category", "categories")
        return f"{ROLES[index]} ({first.name}): {many} seen only in another operand, counted as 0 here: {listing(missing)}"
    word = "bin" if is_binned(first) else "class"
    return f"{ROLES[index]} ({first.name}) has no {word if len(missing) == 1 else word + 's'} {listing(missing)}: counted as 0 there"


def _refuse_disjoint(firsts: list[Operand | None], named: list[int]) -> None:
    """Operands that name no class alike are not the same kind of thing: refused, never filled."""
    common = set(firsts[named[0]].classes).intersection(*(firsts[index].classes for index in named[1:]))
    if common:
        return
    said = ", ".join(f"{ROLES[index]} ({firsts[index].name}) {listing(firsts[index].classes, 3)}" for index in named)
    raise DataError("", f"the operands name no class alike: {said}",
                    "compare distributions over the same classes (check the files and their headers)")


def _refuse_missing(firsts: list[Operand | None], lacking: dict[int, list[str]], options: Options) -> None:
    """A class one operand lacks, where it is not counted as 0 (bins, ``--missing zero``): refused,
    with the classes each operand lacks."""
    refused = [(index, missing) for index, missing in lacking.items()
               if missing and options.missing != "zero" and not is_binned(firsts[index])]
    if not refused:
        return
    said = "; ".join(f"{ROLES[index]} ({firsts[index].name}) has no {listing(missing)}" for index, missing in refused)
    others = [name for index, missing in lacking.items() if index not in dict(refused) for name in missing]
    also = f" (and {len(others)} the others lack)" if others else ""
    raise DataError("", f"the operands name different classes: {said}{also}",
                    f"give every operand the same classes, or pass {option('missing', 'zero')} to count a class "
                    "an operand lacks as 0 there")


def _order(classes: list[str], union: list[str]) -> list[int]:
    """For each class of ``union``, its column in ``classes`` (``len(classes)``: none, filled)."""
    position = {name: column for column, name in enumerate(classes)}
    return [position.get(name, len(classes)) for name in union]


def _aligned_blocks(first: Operand, blocks: Blocks, order: list[int], union: list[str],
                    fill: float) -> tuple[Operand, "AlignedBlocks"]:
    """The first block put in ``union``'s order (cut to as many rows as a block of that width holds)
    and the blocks that do the same to every later block."""
    aligned = AlignedBlocks(blocks, order, union, fill)
    whole = aligned.align(first)
    rows = bounded_rows(sizes.FIRST_BLOCK_ROWS, len(union), sizes.BLOCK_ELEMENTS)
    if whole.rows > rows:  # a narrower operand's first block held more rows than one of the union's width
        aligned.pending = whole.rows_slice(rows, whole.rows)
        whole = whole.rows_slice(0, rows)
    return whole, aligned


class AlignedBlocks:
    """Blocks whose classes are put in another order (``order``: for each class of the run, the
    column it is in, or the width for a class these blocks lack, filled with ``fill``)."""

    def __init__(self, blocks: Blocks, order: list[int], classes: list[str], fill: float):
        self.blocks, self.order, self.classes, self.fill = blocks, order, classes, fill
        self.name = blocks.name
        self.may_wait = getattr(blocks, "may_wait", False)
        self.light = getattr(blocks, "light", False)
        self.pending: Operand | None = None

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        rows = bounded_rows(rows, len(self.order), max_values)  # cut as a block of the run's width is
        if self.pending is not None:
            block, rest = self.pending.rows_slice(0, rows), self.pending.rows_slice(rows, self.pending.rows)
            self.pending = rest if rest.rows else None
            return block
        block = self.blocks.read(rows)
        return None if block is None else self.align(block)

    def exhausted(self) -> bool:
        return self.pending is None and self.blocks.exhausted()

    def close(self) -> None:
        self.blocks.close()

    def __getattr__(self, name: str):  # position() and the like, of the blocks aligned
        return getattr(self.blocks, name)

    def align(self, block: Operand) -> Operand:
        """``block`` in the run's order of classes; where each value came from follows it."""
        values = np.concatenate([block.values, np.full((block.rows, 1), self.fill)], axis=1)[:, self.order]
        filled = "0" if self.fill == 0 else "-inf"
        if block.is_transposed:  # a class is a row as written: its line and cells move with it
            return self._align_written_rows(block, values, filled)
        width, order = block.shape[1], self.order
        written = block.written_columns or tuple(range(width))
        cells = None if block.cells is None else [[row[i] if i < width else filled for i in order] for row in block.cells]
        # a filled class was written nowhere: it is placed by its row alone (its value, 0, is never refused)
        return replace(block, stored=np.ascontiguousarray(values), classes=list(self.classes), cells=cells,
                       written_columns=tuple(written[i] if i < width else None for i in order))

    def _align_written_rows(self, block: Operand, values: np.ndarray, filled: str) -> Operand:
        """A block turned around (``--columns``, a histogram), whose classes were rows as written."""
        width, order = block.shape[1], self.order
        lines = None if block.lines is None else [int(block.lines[i]) if i < width else MISSING_LINE for i in order]
        cells = None if block.cells is None else \
            [block.cells[i] if i < width else [filled] * len(block.cells[0]) for i in order]
        return replace(block, stored=np.ascontiguousarray(values), classes=list(self.classes), lines=lines,
                       cells=cells)
