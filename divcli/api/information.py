"""mi as a function: the mutual information of two columns of labels or of a joint table, with the
entropies, NMI and the G-test, the document of ``divcli mi -f json`` (:mod:`divcli.computations.mi`)."""

from __future__ import annotations

import os


def mutual_information(x=None, y=None, *, joint=None, base="e", estimator="plugin", x_column=None, y_column=None,
                       delimiter=None, header=None) -> dict:
    """I(X;Y) = D(P(X,Y) ‖ P(X)P(Y)) = H(X) − H(X|Y), with H(X), H(Y), H(X,Y), H(X|Y), H(Y|X), the
    normalised variants scikit-learn names and, for counts, the G-test of independence; as ``divcli mi``.

    The values are the plug-in ones (the pairs' frequencies taken as the probabilities) unless
    ``estimator`` names another.

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
    estimator : {"plugin", "miller-madow", "chao-shen", "shrink", "jackknife"}
        How H(X), H(Y) and H(X,Y) are estimated from the counts, I and the conditionals derived from
        them, as ``--estimator``: the plug-in's I is biased upwards with few samples per cell; the
        others correct the entropies from N (counts only: not a table of probabilities). The plug-in
        values are then under ``"plugin"``, and ``bounds_failed`` lists the bounds of I the estimate
        breaks (0 ≤ I ≤ min(H(X), H(Y))).
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
        ``g_statistic``, ``g_p_value`` (SciPy; None without it), ``dof``, ``estimator``,
        ``bounds_hold``, ``bounds_failed``, and ``x``, ``y``: where each came from and its classes.
    """
    from ..vocabulary import LogBase

    chosen = LogBase.parse(base)
    _check_estimator(estimator)
    if joint is not None:
        if x is not None or y is not None or x_column is not None or y_column is not None:
            raise ValueError("give either labels (x and y, or a file with x_column and y_column) or joint, not both")
        return _from_joint(joint, chosen, delimiter, estimator)
    if x is None:
        raise ValueError("give two columns of labels (x and y, or a file with x_column and y_column) or joint")
    x_labels, y_labels, x_from, y_from = _labels(x, y, x_column, y_column, delimiter, header)
    if len(x_labels) != len(y_labels):
        raise ValueError(f"x has {len(x_labels)} labels and y {len(y_labels)}: they are paired by row")
    from ..computations.mi import contingency, mi_document

    table, x_names, y_names = contingency(x_labels, y_labels)
    return mi_document(table, chosen, counts=True, x=x_from, y=y_from, x_names=x_names, y_names=y_names,
                       estimator=estimator)


def _check_estimator(estimator) -> None:
    from ..vocabulary import ESTIMATORS

    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {estimator!r}")


def _is_path(value) -> bool:
    return isinstance(value, (str, os.PathLike))


def _stdin():
    import sys

    return getattr(sys.stdin, "buffer", None)


def _labels(x, y, x_column, y_column, delimiter, header):
    """X's and Y's labels, and where each came from: read from files, or given as sequences."""
    if not _is_path(x):
        if y is None or _is_path(y) or x_column is not None or y_column is not None:
            raise ValueError("labels given as sequences come as two: x and y (x_column and y_column choose "
                             "columns of files)")
        return _sequence(x, "x"), _sequence(y, "y"), {"source": "x", "column": None}, {"source": "y", "column": None}
    if y is not None and not _is_path(y):
        raise ValueError("x is a file: give y as a file too, or name both columns of x's file")
    from ..computations.mi_inputs import ColumnWords, read_label_pair

    words = ColumnWords("x_column", "y_column", "x_column and y_column")
    pair = read_label_pair(os.fspath(x), None if y is None else os.fspath(y), x_column, y_column, words,
                           stdin=_stdin(), delimiter=delimiter, header=header)
    return pair.x_labels, pair.y_labels, pair.x, pair.y


def _sequence(values, name: str) -> list:
    import numpy as np

    array = np.asarray(values, dtype=object)
    if array.ndim != 1:
        raise ValueError(f"{name} is one label per row, not an array of shape {array.shape}")
    from ..readers.sample_records import category_name

    labels = [category_name(label) for label in array.tolist()]  # the command line's names: 1.0 is 1
    if any(label is None for label in labels):
        raise ValueError(f"{name} holds a missing label (None, NaN or empty): every row needs one")
    return labels


def _from_joint(joint, base, delimiter, estimator: str) -> dict:
    """A joint table's document: an array, or a file whose first column is X's names when it is not numbers."""
    from ..computations.mi import joint_counts, mi_document

    if _is_path(joint):
        from ..computations.mi_inputs import read_joint_table

        operand = read_joint_table(os.fspath(joint), _stdin(), delimiter)
        source, lines, cells, written = operand.name, operand.lines, operand.cells, operand.written_columns
        values, x_names, y_names = operand.values, operand.row_names, operand.classes
    else:
        import numpy as np

        values = np.asarray(joint, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"joint is a 2-D table (rows X, columns Y), not an array of shape {values.shape}")
        source, lines, cells, written, x_names, y_names = "joint", None, None, None, None, None
    counts = joint_counts(values, source, lines, cells, written, names=(x_names, y_names))
    if not counts and estimator != "plugin":
        from ..vocabulary import ESTIMATORS

        raise ValueError(f"the {ESTIMATORS[estimator]} estimator corrects the plug-in by the sample size N, and "
                         f"{source} holds probabilities (not whole numbers): give the table of counts, or leave "
                         "estimator out")
    x = {"source": source, "column": None, "as": "rows of the table"}
    y = {"source": source, "column": None, "as": "columns of the table"}
    return mi_document(values, base, counts=counts, x=x, y=y, x_names=x_names, y_names=y_names, estimator=estimator)
