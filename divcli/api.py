"""The Python API: the commands' numbers as functions (:mod:`divcli` names them)."""

from __future__ import annotations

from .vocabulary import make_options


def _operand(values, name: str):
    import os

    if isinstance(values, (str, os.PathLike)):  # a file of any registered format, or a literal
        import sys

        from .readers.reading import read_operand

        return read_operand(os.fspath(values), getattr(sys.stdin, "buffer", None))
    import numpy as np

    from .readers.operand import Operand

    array = np.asarray(values, dtype=np.float64)
    if array.ndim == 1:
        array = array[None, :]
    if array.ndim != 2:
        raise ValueError(f"{name} must be one row or a 2-D array of rows, not {array.ndim}-D")
    return Operand(array, name)


def _weights(weight):
    """Class weights as ``--weight`` takes them: a file or a literal (read and checked as the CLI
    does), or an array."""
    import os

    if weight is None:
        return None
    if isinstance(weight, (str, os.PathLike)):
        from .computations.runs import weight_vector

        return weight_vector(_operand(weight, "weight"))
    import numpy as np

    return np.asarray(weight, dtype=np.float64).ravel()


def kl_divergence(p, q, *, p_as="probs", q_as="probs", reduction=None, base="e",
                  tolerance=1e-6, normalize=False, temperature=1.0, threads=1):
    """D(P‖Q) = Σ p·log(p/q), reduced as torch's ``KLDivLoss(reduction=...)``; as ``divcli kl``.

    Parameters
    ----------
    p, q : array_like
        One row or N rows × C classes; P is the reference, Q the model. A single row is compared with
        every row of the other.
    reduction : {"none", "sum", "mean", "batchmean"}, optional (default: the command's, batchmean for kl, mean otherwise)
        torch's meanings: the N × C element terms, their total, total / (N·C), total / N.
    p_as, q_as : {"probs", "logits", "log-probs", "labels"}
        How to read P and Q (``labels`` for P only), as ``--p-as`` / ``--q-as``.
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
    from .computations.runs import compute
    from .vocabulary import Command

    options = make_options(p_as, q_as, reduction, base, tolerance=tolerance, normalize=normalize,
                           temperature=temperature)
    return compute(Command.KL, _operand(p, "p"), _operand(q, "q"), options, threads=threads).value


def cross_entropy(p, q, *, p_as="probs", q_as="probs", reduction=None, base="e", weight=None,
                  ignore_index=-100, label_smoothing=0.0, tolerance=1e-6, normalize=False, temperature=1.0,
                  threads=1):
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
    p_as, q_as : {"probs", "logits", "log-probs", "labels"}
        How to read P and Q (``labels`` for P only), as ``--p-as`` / ``--q-as``.
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

    Returns
    -------
    float or numpy.ndarray
        The reduced value, or one value per row for ``none``.
    """
    from .computations.runs import compute
    from .vocabulary import Command

    options = _no_batchmean(make_options(p_as, q_as, reduction, base, tolerance=tolerance, normalize=normalize,
                                         temperature=temperature, ignore_index=ignore_index,
                                         label_smoothing=label_smoothing))
    weights = _weights(weight)
    return compute(Command.CE, _operand(p, "p"), _operand(q, "q"), options, weights, threads).value


def entropy(p, *, p_as="probs", reduction=None, base="e", tolerance=1e-6, normalize=False, temperature=1.0,
            threads=1):
    """H(P) = −Σ p·log p per row, as ``scipy.stats.entropy(P, axis=1)``; as ``divcli entropy``.

    Parameters
    ----------
    p : array_like
        One row or N rows × C classes.
    reduction : {"none", "sum", "mean"}, optional (default: the command's, batchmean for kl, mean otherwise)
        One value per row, their total, or their mean.
    p_as : {"probs", "logits", "log-probs", "labels"}
        How to read P, as ``--p-as``.
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

    Returns
    -------
    float or numpy.ndarray
    """
    from .computations.runs import compute
    from .vocabulary import Command

    options = _no_batchmean(make_options(p_as, "probs", reduction, base, tolerance=tolerance, normalize=normalize,
                                         temperature=temperature))
    return compute(Command.ENTROPY, _operand(p, "p"), None, options, threads=threads).value


def js_divergence(p, q, *others, weights=None, distance=False, p_as="probs", q_as="probs", reduction=None,
                  base="e", tolerance=1e-6, normalize=False, temperature=1.0, threads=1):
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
    p_as, q_as : {"probs", "logits", "log-probs", "labels"}
        How to read P and Q (``labels`` for P only), as ``--p-as`` / ``--q-as``.
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

    Returns
    -------
    float or numpy.ndarray
    """
    import numpy as np

    from .measures.catalogue import named

    operands = [p, q, *others]
    pi = None if weights is None and len(operands) == 2 else \
        np.full(len(operands), 1 / len(operands)) if weights is None else np.asarray(weights, dtype=np.float64)
    if pi is not None and (pi.shape != (len(operands),) or np.any(pi < 0) or abs(pi.sum() - 1) > 1e-9):
        raise ValueError("weights are one proportion ≥ 0 per operand, summing to 1")
    values = _measures("js", operands, make_options(p_as, q_as, reduction, base, tolerance=tolerance,
                                                   normalize=normalize, temperature=temperature),
                       measures=[named("js_divergence"), named("js_distance")], weights=pi, threads=threads)
    return values["js_distance" if distance else "js_divergence"]


def compare(p, q, *, alpha=(0.5, 2.0), ordered=False, p_as="probs", q_as="probs", reduction=None, base="e",
            tolerance=1e-6, normalize=False, temperature=1.0, threads=1) -> dict:
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
    p_as, q_as : {"probs", "logits", "log-probs", "labels"}
        How to read P and Q (``labels`` for P only), as ``--p-as`` / ``--q-as``.
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

    Returns
    -------
    dict
        Measure key → value (or array of per-row values).
    """
    from .measures.catalogue import catalogue

    alphas = tuple(float(a) for a in (alpha if hasattr(alpha, "__iter__") else (alpha,)))
    return _measures("compare", [p, q], make_options(p_as, q_as, reduction, base, tolerance=tolerance,
                                                   normalize=normalize, temperature=temperature),
                     measures=catalogue(alphas, ordered), threads=threads)


def _no_batchmean(options):
    """``options``, unless they ask for batchmean, which only kl has (the command line refuses it the
    same way, before reading anything; computed, it would end in a KeyError)."""
    if options.reduction is not None and options.reduction.value == "batchmean":
        raise ValueError("batchmean is kl's reduction; use none, sum or mean")
    return options


def _measures(command, operands, options, threads=1, **how):
    from .readers.blocks import ArrayBlocks
    from .computations.runs import run_measure_set
    from .engine.collect import Collect

    _no_batchmean(options)
    sink = Collect()
    blocks = [ArrayBlocks(_operand(values, "pq"[index] if index < 2 else f"operand {index + 1}"))
              for index, values in enumerate(operands)]
    run_measure_set(command, blocks, options, sink, threads=threads, **how)
    return sink.value


def divergence_matrix(x, measure="js", *, p_as="probs", base="e", tolerance=1e-6, normalize=False,
                      temperature=1.0, max_terms=None):
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

    Returns
    -------
    numpy.ndarray
        N × N.
    """
    from .computations.matrix import pairwise_matrix
    from .measures.catalogue import named

    if p_as == "labels":
        raise ValueError("divergence_matrix compares distributions; labels are one class each")
    options = make_options(p_as, "probs", None, base, tolerance=tolerance, normalize=normalize,
                           temperature=temperature)
    try:
        chosen = named(measure)
    except KeyError:
        raise ValueError(f"{measure!r} is not a measure; use a key or an alias of divcli measures "
                         "(js, kl, tv, hellinger, renyi_2, …)") from None
    values, _ = pairwise_matrix(_operand(x, "x"), chosen, options, max_terms)
    return values


def distillation_loss(teacher_logits, student_logits, temperature, labels=None, *, alpha=None, base="e",
                      weight=None, ignore_index=-100, label_smoothing=0.0):
    """Hinton's knowledge-distillation loss α·T²·D(softmax(t/T) ‖ softmax(s/T)) (batchmean)
    + (1 − α)·CE(labels, s) (mean, at T = 1); α = 1 without ``labels``. As ``divcli distill``
    (without labels: the ``kd_loss`` of ``divcli kl … --p-as logits --q-as logits -T T``).

    Parameters
    ----------
    teacher_logits, student_logits : array_like
        N rows × C classes of logits (P and Q).
    temperature : float
        T > 0.
    labels : array_like, optional
        N class indices for the hard term.
    alpha : float in [0, 1], optional
        The soft term's weight (only with ``labels``).
    base : "e", 2, 10, "nats", "bits", "bans" or any number above 1
    weight, ignore_index, label_smoothing
        As :func:`cross_entropy`, for the hard term.

    Returns
    -------
    float
    """
    import numpy as np

    from .readers.blocks import ArrayBlocks
    from .computations.distill import distill

    if not temperature > 0:
        raise ValueError(f"temperature must be > 0, not {temperature!r}")
    if alpha is not None and labels is None:
        raise ValueError("alpha weighs the soft term against the hard cross-entropy with labels: give labels")
    if alpha is not None and not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1], not {alpha!r}")
    options = make_options("logits", "logits", None, base, temperature=temperature)
    teacher, student = _operand(teacher_logits, "teacher"), _operand(student_logits, "student")
    hard = None
    if labels is not None:
        hard = _operand(np.asarray(labels, dtype=np.float64).reshape(-1, 1), "labels")
    weights = _weights(weight)
    parts = distill(lambda: ArrayBlocks(teacher), lambda: ArrayBlocks(student),
                    None if hard is None else (lambda: ArrayBlocks(hard)), temperature=temperature, alpha=alpha,
                    base=options.base, conversion=options.conversion, weight=weights, ignore_index=ignore_index,
                    label_smoothing=label_smoothing, mistakes=False)
    return parts["loss"]


def lm_report(base, candidate, labels=None, *, base_as="logits", candidate_as="logits", top=None,
              per_position=False, tolerance=1e-6, normalize=False, threads=1):
    """Two language models compared position by position, as ``divcli lm``: D(P‖Q) per position
    (mean ± SE, percentiles), how often the top tokens agree and, with ``labels``, PPL and Δp.

    Parameters
    ----------
    base, candidate : array_like or str
        P (the reference model) and Q: (positions, vocab) or (batch, sequence, vocab) arrays (float16,
        float32 and bfloat16 are read as stored, never copied whole to float64), or files.
    labels : array_like or str, optional
        The next token's id at each position.
    base_as, candidate_as : {"logits", "log-probs", "probs"}
    top : int, optional
        Also the ``top`` positions of largest D(P‖Q), under ``"worst"``.
    per_position : bool
        Also every position, under ``"rows"``.
    tolerance, normalize, threads
        As :func:`kl_divergence`.

    Returns
    -------
    dict
        The statistics, keyed as ``divcli lm -f json``'s; ``"worst"``, ``"rows"``: arrays by field.
    """
    from .computations.lm_runs import lm_run

    return lm_run(base, candidate, labels, base_as=base_as, candidate_as=candidate_as, top=top,
                  per_position=per_position, tolerance=tolerance, normalize=normalize, threads=threads)
