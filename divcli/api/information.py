"""mi as a function: the mutual information of two columns of labels or of a joint table, with the
entropies, NMI and the G-test, the document of ``divcli mi -f json`` (:mod:`divcli.computations.mi`)."""

from __future__ import annotations

import os


def mutual_information(x=None, y=None, *, joint=None, base="e", x_column=None, y_column=None, delimiter=None,
                       header=None) -> dict:
    """I(X;Y) = D(P(X,Y) ‖ P(X)P(Y)) = H(X) − H(X|Y), with H(X), H(Y), H(X,Y), H(X|Y), H(Y|X), the
    normalised variants scikit-learn names and, for counts, the G-test of independence; as ``divcli mi``.

    The values are the plug-in ones: the pairs' frequencies taken as the probabilities.

    Parameters
    ----------
    x, y : sequence or str, optional
        Two columns of labels paired by row (lists or arrays of text or integers), or files of them;
        one file holds both when ``y`` is not given (its two columns, or ``x_column`` and ``y_column``).
    joint : array_like or str, optional
        Instead of labels: a table of counts (whole numbers) or probabilities (summing to 1), rows X's
        classes, columns Y's; or a file of one (a header of Y's names, X's names first if any).
    base : "e", 2, 10, "nats", "bits", "bans" or any number above 1
        Logarithm base of the entropies and I.
    x_column, y_column : str, optional
        The columns of labels in the files: names or numbers from 1.
    delimiter : str, optional
        The files' delimiter (default: sniffed).
    header : bool, optional
        Whether the label files' first line is a header (default: yes, unless it holds a number).

    Returns
    -------
    dict
        Keyed as ``divcli mi -f json``: ``mi``, ``h_x``, ``h_y``, ``h_xy``, ``h_x_given_y``,
        ``h_y_given_x``, ``nmi_arithmetic`` (and ``_geometric``, ``_min``, ``_max``), ``n``,
        ``g_statistic``, ``g_p_value`` (SciPy; None without it), ``dof``, and ``x``, ``y``: where
        each came from and its classes.
    """
    from ..vocabulary import LogBase

    chosen = LogBase.parse(base)
    if joint is not None:
        if x is not None or y is not None or x_column is not None or y_column is not None:
            raise ValueError("give either labels (x and y, or a file with x_column and y_column) or joint, not both")
        return _from_joint(joint, chosen, delimiter)
    if x is None:
        raise ValueError("give two columns of labels (x and y, or a file with x_column and y_column) or joint")
    x_labels, y_labels, x_from, y_from = _labels(x, y, x_column, y_column, delimiter, header)
    if len(x_labels) != len(y_labels):
        raise ValueError(f"x has {len(x_labels)} labels and y {len(y_labels)}: they are paired by row")
    from ..computations.mi import contingency, mi_document

    table, x_names, y_names = contingency(x_labels, y_labels)
    return mi_document(table, chosen, counts=True, x=x_from, y=y_from, x_names=x_names, y_names=y_names)


def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def _labels(x, y, x_column, y_column, delimiter, header):
    """X's and Y's labels, and where each came from: read from files, or given as sequences."""
    if not _is_path(x):
        if y is None or _is_path(y) or x_column is not None or y_column is not None:
            raise ValueError("labels given as sequences come as two: x and y (x_column and y_column choose "
                             "columns of files)")
        return _sequence(x, "x"), _sequence(y, "y"), {"source": "x", "column": None}, {"source": "y", "column": None}
    if y is not None and not _is_path(y):
        raise ValueError("x is a file: give y as a file too, or name both columns of x's file")
    from ..errors import DataError
    from ..readers.labels import read_labels

    x_table = read_labels(os.fspath(x), None, delimiter, header)
    y_table = x_table if y is None else read_labels(os.fspath(y), None, delimiter, header)
    if y is None and x_column is None and y_column is None:
        if x_table.width != 2:
            raise DataError(x_table.name, f"has {x_table.width} columns ({x_table.listing()}): which are X and Y?",
                            "name them with x_column and y_column (names or numbers from 1)")
        x_index, y_index = 0, 1
    else:
        x_index, y_index = x_table.column_index(x_column, "x_column"), y_table.column_index(y_column, "y_column")
    return (x_table.labels(x_index), y_table.labels(y_index),
            {"source": x_table.name, "column": x_table.column_name(x_index)},
            {"source": y_table.name, "column": y_table.column_name(y_index)})


def _sequence(values, name: str) -> list:
    import numpy as np

    array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"{name} is one label per row, not an array of shape {array.shape}")
    if any(label is None for label in array):
        raise ValueError(f"{name} holds None: every row needs a label")
    return [str(label) for label in array]


def _from_joint(joint, base, delimiter) -> dict:
    """A joint table's document: an array, or a file whose first column is X's names when it is not numbers."""
    from ..computations.mi import joint_counts, mi_document

    if _is_path(joint):
        operand = _joint_file(os.fspath(joint), delimiter)
        source, lines, cells, written = operand.name, operand.lines, operand.cells, operand.written_columns
        values, x_names, y_names = operand.values, operand.row_names, operand.classes
    else:
        import numpy as np

        values = np.asarray(joint, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"joint is a 2-D table (rows X, columns Y), not an array of shape {values.shape}")
        source, lines, cells, written, x_names, y_names = "joint", None, None, None, None, None
    counts = joint_counts(values, source, lines, cells, written, names=(x_names, y_names))
    x = {"source": source, "column": None, "as": "rows of the table"}
    y = {"source": source, "column": None, "as": "columns of the table"}
    return mi_document(values, base, counts=counts, x=x, y=y, x_names=x_names, y_names=y_names)


def _joint_file(spec: str, delimiter):
    """The table read as the command line reads it: numbers, or X's names in the first column."""
    from ..errors import DataError
    from ..readers.columns import ColumnChoice
    from ..readers.reading import read_operand

    try:
        return read_operand(spec, None, delimiter)
    except DataError as error:
        if not str(error.template[0]).endswith(":1"):  # the fault is not a name in the first column
            raise
        return read_operand(spec, None, delimiter, columns=ColumnChoice(names="1"))
