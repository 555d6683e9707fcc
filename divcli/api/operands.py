"""The API's arguments read as the command line reads its operands: an array, a file of any
registered format or a literal, its columns chosen by ``select`` and ``drop`` (and one operand's own
``p_select``, ``q_drop``, …), and ce's class weights."""

from __future__ import annotations

import os


def column_choice(select=None, drop=None, *, side: str = "", own_select=None, own_drop=None):
    """``--select``/``--drop`` as keyword arguments: the shared ``select`` and ``drop``, each replaced
    by the operand's own (``p_select``, ``q_drop``: ``own_select``, ``own_drop``) where given, so that
    a message names the argument the caller gave. Each is a string as on the command line (``"a,b"``,
    ``"2-5"``, ``"teacher_*"``) or a sequence of such items (numbers count from 1, as there)."""
    from ..readers.columns import ColumnChoice

    own = frozenset(part for part, value in (("select", own_select), ("drop", own_drop)) if value is not None)
    return ColumnChoice(_items(select if own_select is None else own_select, "select"),
                        _items(drop if own_drop is None else own_drop, "drop"), side=side, own=own)


def _items(value, name: str) -> tuple[str, ...]:
    from ..readers.columns import split_items

    if value is None:
        return ()
    if isinstance(value, str):
        return split_items(value)
    if isinstance(value, int) or not hasattr(value, "__iter__"):
        raise ValueError(f"{name} is a string of columns (\"a,b\", \"2-5\") or a list of them, not {value!r}")
    return tuple(str(item).strip() for item in value if str(item).strip())


def operand(values, name: str, columns=None):
    """One operand: a path or a literal, read as the command line reads it, or an array of one row or
    N rows × C classes; ``columns`` (:func:`column_choice`) picks its columns."""
    from ..readers.operand import pick_read

    if isinstance(values, (str, os.PathLike)):  # a file of any registered format, or a literal
        import sys

        from ..readers.columns import ColumnChoice
        from ..readers.reading import read_operand

        return read_operand(os.fspath(values), getattr(sys.stdin, "buffer", None),
                            columns=columns or ColumnChoice())
    import numpy as np

    from ..readers.operand import Operand

    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{name} must be one row or a 2-D array of rows, not {array.ndim}-D")
    return pick_read(Operand(array, name), columns)


def reading_kind(word: str) -> str:
    """How an operand's numbers are read: ``samples`` are counted, then read as counts (their sample
    sizes and estimators are those of counts), as the command line reads ``--p-as samples``."""
    return "counts" if word == "samples" else word


def operand_blocks(values, name: str, kind: str, columns=None, side: str = "p"):
    """One operand's blocks: :func:`operand`'s, or with ``kind`` ``samples`` its one column of
    categories counted into one row of counts (``side`` names ``p_as`` or ``q_as`` in a refusal)."""
    if kind == "samples":
        from ..readers.sample_counts import CountedBlocks

        return CountedBlocks(counted(values, name, columns, side))
    from ..readers.blocks import ArrayBlocks

    return ArrayBlocks(operand(values, name, columns))


def counted(values, name: str, columns=None, side: str = "p"):
    """A column of categories counted: a file's (its one column, or the one ``select`` picks) or a
    literal's (``"cat,dog,cat"``), as the command line counts them; or a sequence of labels (a list,
    a numpy array, a pandas Series)."""
    from ..readers.sample_counts import count_column, count_values, memory_cells

    if isinstance(values, (str, os.PathLike)):
        import sys

        from ..readers.columns import ColumnChoice

        return count_column(os.fspath(values), getattr(sys.stdin, "buffer", None), None, columns or ColumnChoice(),
                            side)
    from collections.abc import Mapping

    if isinstance(values, Mapping) or hasattr(values, "columns"):  # a dict of columns, a DataFrame
        raise ValueError(f"{side}_as=\"samples\" counts one column of labels: give a file with select=, or "
                         f"the column itself (a list, an array, a Series such as frame[\"pred\"]), not "
                         f"{type(values).__name__}")
    cells = memory_cells(values)
    if cells.ndim != 1:
        raise ValueError(f"{side}_as=\"samples\" counts one column of labels: {name} is one label per row, not "
                         f"an array of shape {cells.shape}")
    if columns is not None and columns.given:
        raise ValueError(f"{name} is a sequence of labels, one column already: select and drop choose a column "
                         "of a file")
    return count_values(cells, name)


def warnings_for(*kinds: str):
    """Where a column of samples is counted, the run's warnings (a category one side never saw,
    counted as 0 there; missing values counted) as Python's; else none are shown, as before."""
    return python_warning if "samples" in kinds else (lambda message: None)


def python_warning(message: str) -> None:
    """The command line's warnings, as Python's (options in Python's words), shown at the caller's
    line: the first frame outside divcli."""
    import sys
    import warnings

    from ..errors import python_words

    package = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    frame, level = sys._getframe(1), 2
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(package + os.sep):
        frame, level = frame.f_back, level + 1
    warnings.warn(python_words(message), UserWarning, stacklevel=level)


def weights(weight):
    """Class weights as ``--weight`` takes them: a file or a literal (read and checked as the CLI
    does), or an array."""
    if weight is None:
        return None
    if isinstance(weight, (str, os.PathLike)):
        from ..computations.runs import weight_vector

        return weight_vector(operand(weight, "weight"))
    import numpy as np

    return np.asarray(weight, dtype=np.float64).ravel()


def no_batchmean(options):
    """``options``, unless they ask for batchmean, which only kl has (the command line refuses it the
    same way, before reading anything; computed, it would end in a KeyError)."""
    if options.reduction is not None and options.reduction.value == "batchmean":
        raise ValueError("batchmean is kl's reduction; use none, sum or mean")
    return options
