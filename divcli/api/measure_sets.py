"""js, compare and matrix as functions: several measures of the same operands (``divcli js``,
``divcli compare``) and one measure between every pair of rows (``divcli matrix``)."""

from __future__ import annotations

from ..vocabulary import make_options
from .operands import column_choice, no_batchmean, operand, operand_blocks, reading_kind, warnings_for


def js_divergence(p, q, *others, weights=None, distance=False, p_as="probs", q_as="probs", reduction=None,
                  base="e", tolerance=1e-6, normalize=False, temperature=1.0, threads=1, select=None, drop=None,
                  p_select=None, q_select=None, p_drop=None, q_drop=None):
    """The Jensen–Shannon divergence per row (``distance=True``: its square root, SciPy's
    ``jensenshannon``), reduced by ``none``, ``sum`` or ``mean``; with more operands or ``weights``
    the n-way H(Σ πᵢPᵢ) − Σ πᵢH(Pᵢ). As ``divcli js``.

    Parameters
    ----------
    p, q, *others : array_like
        Two or more operands of the same shape (or single rows).
    weights : array_like, optional
        Mixture weights π, one per operand, ≥ 0 and summing to 1 (default: equal).
    distance : bool
        Return √JS per row (then reduced) instead of JS.
    reduction : {"none", "sum", "mean"}, optional (default: the command's, batchmean for kl, mean otherwise)
    p_as, q_as : {"probs", "logits", "log-probs", "labels", "counts", "samples"}
        How to read P and Q (``labels`` for P only), as ``--p-as`` / ``--q-as``. ``samples``: a
        column of categories (a list, array or pandas Series of labels, or a file's one column or
        the one ``select`` picks) counted into one row of counts; two such are matched by name.
    base : "e", 2, 10, "nats", "bits", "bans" or any number above 1
        Logarithm base of the result: nats, bits, bans.
    tolerance : float
        How far a row of probabilities may sum from 1 (absolute); such a row is divided by its sum.
    normalize : bool
        Rescale rows to sum to 1 (counts, histograms); without it nothing is normalised silently.
    temperature : float
        Soften every operand: softmax(log p / T) per row (logits: softmax(z / T)); labels stay one-hot.
    threads : int
        Blocks computed at once (default 1); the numbers are the same for any number of threads.
    select, drop : str or sequence of str, optional
        Which columns of a file (or array) hold the numbers, as ``--select`` and ``--drop``: names,
        patterns (``"teacher_*"``), numbers from 1 and ranges (``"2-5"``), comma-separated or a list.
    p_select, q_select, p_drop, q_drop : str or sequence of str, optional
        The same for one operand, in place of the shared ``select`` or ``drop`` (``--p-select``, …;
        Q's for every operand after P).

    Returns
    -------
    float or numpy.ndarray
    """
    import numpy as np

    from ..measures.catalogue import named

    operands = [p, q, *others]
    pi = None if weights is None and len(operands) == 2 else \
        np.full(len(operands), 1 / len(operands)) if weights is None else np.asarray(weights, dtype=np.float64)
    if pi is not None and (pi.shape != (len(operands),) or np.any(pi < 0) or abs(pi.sum() - 1) > 1e-9):
        raise ValueError("weights are one proportion ≥ 0 per operand, summing to 1")
    values = _measures("js", operands, (p_as, q_as), dict(tolerance=tolerance, normalize=normalize,
                                                          temperature=temperature, reduction=reduction, base=base),
                       measures=[named("js_divergence"), named("js_distance")], weights=pi, threads=threads,
                       columns=(select, drop, p_select, q_select, p_drop, q_drop))
    return values["js_distance" if distance else "js_divergence"]


def compare(p, q, *, alpha=(0.5, 2.0), ordered=False, p_as="probs", q_as="probs", reduction=None, base="e",
            tolerance=1e-6, normalize=False, temperature=1.0, threads=1, select=None, drop=None, p_select=None,
            q_select=None, p_drop=None, q_drop=None) -> dict:
    """Every measure of ``divcli compare`` (keys as its JSON: ``kl_pq``, ``js_divergence``, …):
    each reduced by ``sum`` or ``mean`` over the rows, or an array per row for ``none``.

    Parameters
    ----------
    p, q : array_like
        P the reference, Q the model.
    alpha : float or sequence of float
        The orders of the Rényi divergences (keys ``renyi_<α>``).
    ordered : bool
        The classes are in order: add ``wasserstein_1``, the earth mover's distance.
    reduction : {"none", "sum", "mean"}, optional (default: the command's, batchmean for kl, mean otherwise)
    p_as, q_as : {"probs", "logits", "log-probs", "labels", "counts", "samples"}
        How to read P and Q (``labels`` for P only), as ``--p-as`` / ``--q-as``. ``samples``: a
        column of categories (a list, array or pandas Series of labels, or a file's one column or
        the one ``select`` picks) counted into one row of counts; two such are matched by name.
    base : "e", 2, 10, "nats", "bits", "bans" or any number above 1
        Logarithm base of the result: nats, bits, bans.
    tolerance : float
        How far a row of probabilities may sum from 1 (absolute); such a row is divided by its sum.
    normalize : bool
        Rescale rows to sum to 1 (counts, histograms); without it nothing is normalised silently.
    temperature : float
        Soften every operand: softmax(log p / T) per row (logits: softmax(z / T)); labels stay one-hot.
    threads : int
        Blocks computed at once (default 1); the numbers are the same for any number of threads.
    select, drop : str or sequence of str, optional
        Which columns of a file (or array) hold the numbers, as ``--select`` and ``--drop``: names,
        patterns (``"teacher_*"``), numbers from 1 and ranges (``"2-5"``), comma-separated or a list.
    p_select, q_select, p_drop, q_drop : str or sequence of str, optional
        The same for one operand, in place of the shared ``select`` or ``drop`` (``--p-select``, …;
        Q's for every operand after P).

    Returns
    -------
    dict
        Measure key → value (or array of per-row values).
    """
    from ..measures.catalogue import catalogue

    alphas = tuple(float(a) for a in (alpha if hasattr(alpha, "__iter__") else (alpha,)))
    return _measures("compare", [p, q], (p_as, q_as), dict(tolerance=tolerance, normalize=normalize,
                                                         temperature=temperature, reduction=reduction, base=base),
                     measures=catalogue(alphas, ordered), threads=threads,
                     columns=(select, drop, p_select, q_select, p_drop, q_drop))


def _measures(command, operands, kinds, numbers: dict, threads=1, columns=(None,) * 6, **how):
    """js and compare: every operand read as its kind says (P as ``kinds[0]``, the others as
    ``kinds[1]``; P with P's columns, the others with Q's), the measures collected."""
    from ..computations.runs import run_measure_set
    from ..engine.collect import Collect

    options = no_batchmean(make_options(reading_kind(kinds[0]), reading_kind(kinds[1]), numbers.pop("reduction"),
                                        numbers.pop("base"), **numbers))
    select, drop, p_select, q_select, p_drop, q_drop = columns
    choices = [column_choice(select, drop, side="p", own_select=p_select, own_drop=p_drop),
               column_choice(select, drop, side="q", own_select=q_select, own_drop=q_drop)]
    sink = Collect()
    blocks = [operand_blocks(values, "pq"[index] if index < 2 else f"operand {index + 1}", kinds[index > 0],
                             choices[index > 0], "pq"[index > 0])
              for index, values in enumerate(operands)]
    run_measure_set(command, blocks, options, sink, threads=threads, warn=warnings_for(*kinds), **how)
    return sink.value


def divergence_matrix(x, measure="js", *, p_as="probs", base="e", tolerance=1e-6, normalize=False,
                      temperature=1.0, max_terms=None, select=None, drop=None):
    """The N × N matrix of ``measure`` (a key of ``divcli measures`` or an alias: js, kl, tv, …)
    between every pair of rows of ``x``: entry (i, j) takes row i as P and row j as Q. As
    ``divcli matrix``.

    Parameters
    ----------
    x : array_like
        N rows × C classes.
    measure : str
        ``js``, ``kl``, ``tv``, ``hellinger``, ``renyi_2``, … (``divcli measures``).
    p_as : {"probs", "logits", "log-probs"}
        How to read the rows.
    base : "e", 2, 10, "nats", "bits", "bans" or any number above 1
        Logarithm base of the result: nats, bits, bans.
    tolerance : float
        How far a row of probabilities may sum from 1 (absolute); such a row is divided by its sum.
    normalize : bool
        Rescale rows to sum to 1 (counts, histograms); without it nothing is normalised silently.
    temperature : float
        Soften every operand: softmax(log p / T) per row (logits: softmax(z / T)); labels stay one-hot.
    max_terms : float, optional
        Compute at most this many terms, N² × C (default 1e8, up to about a minute): more raises
        ``DataError`` before anything is computed, with the number to pass.
    select, drop : str or sequence of str, optional
        Which columns of a file (or array) hold the numbers, as ``--select`` and ``--drop``: names,
        patterns (``"teacher_*"``), numbers from 1 and ranges (``"2-5"``), comma-separated or a list.

    Returns
    -------
    numpy.ndarray
        N × N.
    """
    from ..computations.matrix import pairwise_matrix
    from ..measures.catalogue import named

    if p_as == "labels":
        raise ValueError("divergence_matrix compares distributions; labels are one class each")
    if p_as == "samples":
        raise ValueError("divergence_matrix compares rows of distributions, not samples: count the categories "
                         "first, or compare two columns with js_divergence or compare (p_as=\"samples\")")
    options = make_options(p_as, "probs", None, base, tolerance=tolerance, normalize=normalize,
                           temperature=temperature)
    try:
        chosen = named(measure)
    except KeyError:
        raise ValueError(f"{measure!r} is not a measure; use a key or an alias of divcli measures "
                         "(js, kl, tv, hellinger, renyi_2, …)") from None
    values, _ = pairwise_matrix(operand(x, "x", column_choice(select, drop)), chosen, options, max_terms)
    return values
