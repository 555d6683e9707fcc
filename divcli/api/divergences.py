"""kl, ce and entropy as functions: the rows' numbers of ``divcli kl``, ``divcli ce`` and ``divcli
entropy``, reduced as the command reduces them."""

from __future__ import annotations

from ..vocabulary import make_options
from .operands import column_choice, no_batchmean, operand_blocks, reading_kind, warnings_for, \
    weights as class_weights


def _pair(p, q, kinds, select, drop, p_select, q_select, p_drop, q_drop):
    """P's and Q's blocks, each read as its kind says with its columns chosen."""
    return (operand_blocks(p, "p", kinds[0], column_choice(select, drop, side="p", own_select=p_select,
                                                           own_drop=p_drop), "p"),
            operand_blocks(q, "q", kinds[1], column_choice(select, drop, side="q", own_select=q_select,
                                                           own_drop=q_drop), "q"))


def kl_divergence(p, q, *, p_as="probs", q_as="probs", reduction=None, base="e",
                  tolerance=1e-6, normalize=False, temperature=1.0, threads=1, select=None, drop=None,
                  p_select=None, q_select=None, p_drop=None, q_drop=None):
    """D(P‖Q) = Σ p·log(p/q), reduced as torch's ``KLDivLoss(reduction=...)``; as ``divcli kl``.

    Parameters
    ----------
    p, q : array_like
        One row or N rows × C classes; P is the reference, Q the model. A single row is compared with
        every row of the other.
    reduction : {"none", "sum", "mean", "batchmean"}, optional (default: the command's, batchmean for kl, mean otherwise)
        torch's meanings: the N × C element terms, their total, total / (N·C), total / N.
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
        The same for one operand, in place of the shared ``select`` or ``drop`` (``--p-select``, …).

    Returns
    -------
    float or numpy.ndarray
        The reduced value (an N × C array for ``none``); ``inf`` where q = 0 < p.

    Raises
    ------
    DataError
        The data is wrong: a ``ValueError`` with ``.where``, ``.what``, ``.hint`` (the command line's message,
        options named as keyword arguments: ``p_as="logits"``).
    """
    from ..computations.runs import compute
    from ..vocabulary import Command

    options = make_options(reading_kind(p_as), reading_kind(q_as), reduction, base, tolerance=tolerance,
                           normalize=normalize, temperature=temperature)
    return compute(Command.KL, *_pair(p, q, (p_as, q_as), select, drop, p_select, q_select, p_drop, q_drop),
                   options, threads=threads, warn=warnings_for(p_as, q_as)).value


def cross_entropy(p, q, *, p_as="probs", q_as="probs", reduction=None, base="e", weight=None,
                  ignore_index=-100, label_smoothing=0.0, tolerance=1e-6, normalize=False, temperature=1.0,
                  threads=1, select=None, drop=None, p_select=None, q_select=None, p_drop=None, q_drop=None):
    """H(P,Q) = −Σ p·log q as torch's ``F.cross_entropy``; as ``divcli ce``.

    Parameters
    ----------
    p, q : array_like
        P: probabilities, or one class index per row with ``p_as="labels"``; Q: usually logits.
    reduction : {"none", "sum", "mean"}, optional (default: the command's, batchmean for kl, mean otherwise)
        ``mean`` is torch's: over the summed class weights of the rows for labels, over N for
        probability targets.
    weight : array_like or str, optional
        C non-negative class weights, or a file or literal of them (as ``--weight``).
    ignore_index : int
        Label rows equal to this are skipped (torch's default −100).
    label_smoothing : float
        ε in [0, 1]: the target becomes (1 − ε)·P + ε/C.
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
        The same for one operand, in place of the shared ``select`` or ``drop`` (``--p-select``, …).

    Returns
    -------
    float or numpy.ndarray
        The reduced value, or one value per row for ``none``.
    """
    from ..computations.runs import compute
    from ..vocabulary import Command

    options = no_batchmean(make_options(reading_kind(p_as), reading_kind(q_as), reduction, base, tolerance=tolerance,
                                        normalize=normalize, temperature=temperature, ignore_index=ignore_index,
                                        label_smoothing=label_smoothing))
    weights = class_weights(weight)
    return compute(Command.CE, *_pair(p, q, (p_as, q_as), select, drop, p_select, q_select, p_drop, q_drop),
                   options, weights, threads, warn=warnings_for(p_as, q_as)).value


def entropy(p, *, p_as="probs", reduction=None, base="e", tolerance=1e-6, normalize=False, temperature=1.0,
            threads=1, estimator="plugin", select=None, drop=None):
    """H(P) = −Σ p·log p per row, as ``scipy.stats.entropy(P, axis=1)``; as ``divcli entropy``.

    Parameters
    ----------
    p : array_like
        One row or N rows × C classes.
    reduction : {"none", "sum", "mean"}, optional (default: the command's, batchmean for kl, mean otherwise)
        One value per row, their total, or their mean.
    p_as : {"probs", "logits", "log-probs", "labels", "counts", "samples"}
        How to read P, as ``--p-as`` (``counts``: whole numbers ≥ 0, each row's sum its sample size N;
        ``samples``: a column of categories, as a list, array or pandas Series of labels or a file's
        column, counted into one row of counts).
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
    estimator : {"plugin", "miller-madow", "chao-shen", "shrink", "jackknife"}
        H(P) from counts (``p_as="counts"`` or ``"samples"``) by this estimator, as ``--estimator``:
        the plug-in is biased downwards with few samples per class; the others correct it from each
        row's N.
    select, drop : str or sequence of str, optional
        Which columns of a file (or array) hold the numbers, as ``--select`` and ``--drop``: names,
        patterns (``"teacher_*"``), numbers from 1 and ranges (``"2-5"``), comma-separated or a list.

    Returns
    -------
    float or numpy.ndarray
    """
    from ..computations.runs import compute
    from ..vocabulary import Command

    from ..vocabulary import ESTIMATORS

    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator must be one of {', '.join(ESTIMATORS)}, not {estimator!r}")
    if estimator != "plugin" and p_as not in ("counts", "samples"):
        raise ValueError(f"the {ESTIMATORS[estimator]} estimator corrects the plug-in by the sample size N, "
                         "which only counts give: pass p_as=\"counts\" (whole numbers, N = each row's sum), "
                         "or p_as=\"samples\" (a column of categories, counted)")
    options = no_batchmean(make_options(reading_kind(p_as), "probs", reduction, base, tolerance=tolerance,
                                        normalize=normalize, temperature=temperature))
    return compute(Command.ENTROPY, operand_blocks(p, "p", p_as, column_choice(select, drop)), None, options,
                   threads=threads, estimator=None if estimator == "plugin" else estimator,
                   warn=warnings_for(p_as)).value


