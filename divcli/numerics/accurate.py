"""The accurate kernels: KL, JS, entropy and cross-entropy of rows to a few units in the last place
of the exact value, also where P ≈ Q. Pure numpy, no I/O.

"Exact" is the value for the float64 inputs as given: softmax of logit rows (computed exactly), and
probability rows taken as distributions (divided by their exact sum). The usual formulas lose that
where it matters most: Σ p·(log p − log q) adds terms whose logs each carry an absolute error near
1e-16, and for P ≈ Q the sum itself is far smaller (1e-10 … 1e-26). Here

- every operand's row is kept as a head and a tail whose sum is exact (error-free transformations:
  ``two_sum``, ``two_product``, and row sums exact to O(C²ε²) after Rump's split), so that
  ``x = log(p/q)`` comes out to a few units in the last place of x itself, a constant error in it
  aside (a constant error η multiplies every p/q by e^η, which moves the KL below by η·KL only);
- KL is a sum of non-negative terms, ``D(P‖Q) = Σ q·φ(p/q)`` with ``φ(r) = r·log r − r + 1``
  (Σ p = Σ q = 1 makes the two forms equal), φ(e^x) from its series where |x| ≤ 1 and from
  ``p·x − (p − q)`` elsewhere (there the cancellation costs at most a factor 7);
- JS is Σ ½·m·G(d) with m = ½(p + q), d = (p − q)/(p + q) = tanh(x/2) and
  ``G(d) = (1 + d)·log(1 + d) + (1 − d)·log(1 − d)``, from its series where |d| ≤ 0.2;
- a softmax's normaliser is 1 + (the others), kept as log1p of the others, so a confident row (its
  entropy 1e-13 or 1e-300) keeps its digits; probability rows are scaled by a power of two so that
  their sum is near 1 and its log is small;
- a probability that is exactly 0 (a −inf logit, a 0) is told apart from one that underflowed: q = 0
  exactly where p is not makes the KL and the cross-entropy +inf however small p is; a p too small
  for float64 next to a q that is not 0 adds nothing.

These kernels cost several times the plain ones; :mod:`divcli.computations.divergence_rows` and :mod:`divcli.measures.catalogue` use
them for the rows whose plain values could miss the accuracy bound (see :func:`plain_error`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace

import numpy as np

EPS = float(np.finfo(np.float64).eps)  # 2^-52
_SPLITTER = 134217729.0  # 2^27 + 1, Veltkamp's constant for float64
_SPLIT_LIMIT = 2.0 ** 995  # beyond this the splitter's product overflows

#: φ(e^x) = x²·Σ_j (j + 1)/(j + 2)!·x^j, enough terms for 1e-17 relative at |x| ≤ 1.
_PHI = [(j + 1) / float(np.prod(np.arange(1, j + 3, dtype=np.float64))) for j in range(20)]
#: G(d) = d²·Σ_k d^(2k)/((k + 1)(2k + 1)), enough terms for 1e-17 relative at |d| ≤ 0.2.
_JS = [1.0 / ((k + 1) * (2 * k + 1)) for k in range(13)]
#: e^s − 1 − s = s²·Σ_j s^j/(j + 2)!, enough terms for 1e-17 relative at |s| ≤ 1.
_EXP2 = [1.0 / float(np.prod(np.arange(1, j + 3, dtype=np.float64))) for j in range(18)]


def two_sum(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``s + e == a + b`` exactly, with ``s = fl(a + b)`` (Knuth); ``e = 0`` where ``s`` is not finite."""
    s = a + b
    with np.errstate(invalid="ignore"):
        v = s - a
        e = s - v
        np.subtract(a, e, out=e)  # a − (s − v)
        np.subtract(b, v, out=v)  # b − v
        e += v
    finite = np.isfinite(s)
    return s, e if finite.all() else np.where(finite, e, 0.0)


def _split(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    c = _SPLITTER * a
    high = c - (c - a)
    return high, a - high


def two_product(a: np.ndarray, b) -> tuple[np.ndarray, np.ndarray]:
    """``p + e == a·b`` exactly, with ``p = fl(a·b)`` (Dekker); ``e = 0`` beyond the splitter's range
    and where an underflow makes the error unrepresentable (it is then below 1e-300 of ``p``)."""
    a, b = np.broadcast_arrays(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64))
    p = a * b
    safe = (np.abs(a) < _SPLIT_LIMIT) & (np.abs(b) < _SPLIT_LIMIT) & np.isfinite(p)
    a_high, a_low = _split(np.where(safe, a, 0.0))
    b_high, b_low = _split(np.where(safe, b, 0.0))
    e = ((a_high * b_high - np.where(safe, p, 0.0)) + a_high * b_low + a_low * b_high) + a_low * b_low
    return p, np.where(safe, e, 0.0)


def row_sums(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The sum of each row of non-negative finite ``x`` as ``high + low``, exact to O(C²ε²).

    Rump's extraction: with σ a power of two above C·max(x), the parts ``(σ + x) − σ`` are exact and
    add up without error in any order; what is left, below ε·σ each, adds up with an error that
    small. A row whose σ would overflow is summed plainly (its low part is then 0)."""
    top = np.max(x, axis=1)
    _, exponent = np.frexp(top)
    shift = int(np.ceil(np.log2(x.shape[1] + 2)))
    with np.errstate(over="ignore"):
        sigma = np.ldexp(1.0, exponent + shift)[:, None]
        heads = (sigma + x) - sigma
    heads = np.where(np.isfinite(sigma), heads, x)
    high = heads.sum(axis=1)
    low = (x - heads).sum(axis=1)
    return two_sum(high, low)


@dataclass(frozen=True)
class Rows:
    """One operand's rows, accurately: probabilities ``p`` (a few ε relative), their logs
    ``log_p`` (an absolute error near ε·(|log p| + log C)), and what exact log-ratios need.

    For logits, ``head + tail`` is exactly z − max(z) (``head`` rounded, ``tail`` its error, and the
    division by a temperature's error too) and ``log_total`` is log Σ e^(z − max); rows softened by a
    temperature T also keep the logits before the division (``logits``, and ``temperature``), for
    :func:`log_ratio`. For probabilities, ``head`` is the row scaled by a power of two (exactly) so
    that its sum ``total + total_low`` (exact to O(C²ε²)) is in [0.5, 1)."""

    p: np.ndarray
    log_p: np.ndarray
    head: np.ndarray
    from_logits: bool
    null: np.ndarray | None = None  # where the probability is exactly 0 (a masked logit, a 0): not an underflow
    tail: np.ndarray | None = None
    log_total: np.ndarray | None = None
    total: np.ndarray | None = None
    logits: np.ndarray | None = None  # z of softmax(z / T), for rows softened by T ≠ 1
    temperature: float = 1.0


def broadcast(rows: Rows, count: int, index: int | None = None) -> Rows:
    """``rows`` with ``count`` rows: its one row repeated (its row ``index`` with ``index``), or as it is."""
    def fit(value):
        if not isinstance(value, np.ndarray):
            return value
        value = value if index is None else value[index:index + 1]
        return value if value.shape[0] == count else np.broadcast_to(value, (count,) + value.shape[1:])
    return replace(rows, **{f.name: fit(getattr(rows, f.name)) for f in fields(rows)})


def divide(a: np.ndarray, divisor: float) -> tuple[np.ndarray, np.ndarray]:
    """``a / divisor`` as ``z + z_low``, z_low the rounding error of the division (0 where not finite)."""
    z = a / divisor
    product, error = two_product(z, divisor)
    with np.errstate(invalid="ignore"):
        low = ((a - product) - error) / divisor
    return z, np.where(np.isfinite(low), low, 0.0)


def logit_rows(z: np.ndarray, z_low: np.ndarray | None = None) -> Rows:
    """Softmax of logit rows; −inf masks a class, and every row has a finite entry.

    The normaliser Σ e^(z − max) = 1 + (the others) is kept as log1p of the others, so that a
    confident row (the others 1e-13 or 1e-300) loses none of its entropy to the rounding of 1 + δ."""
    top = np.max(z, axis=1, keepdims=True)
    with np.errstate(over="ignore"):
        head, tail = two_sum(z, -top)  # head = −inf: below −1.8e308, a probability of 0 here
    first = np.argmax(z, axis=1)[:, None]  # one of the maxima
    if z_low is not None:  # the maximum's own rounding moves the shift, not the others' logs
        tail = tail + np.where(np.isfinite(head), z_low - np.take_along_axis(z_low, first, axis=1), 0.0)
    e = np.exp(head)
    e *= 1.0 + tail
    top_e = np.take_along_axis(e, first, axis=1)
    np.put_along_axis(e, first, 0.0, axis=1)  # the others, summed without a copy of e
    others = e.sum(axis=1, keepdims=True)
    np.put_along_axis(e, first, top_e, axis=1)
    log_total = np.log1p(others)  # Σ e = 1 + the others
    e /= 1.0 + others
    log_p = head - log_total
    log_p += tail
    return Rows(e, log_p, head, True, tail=tail, log_total=log_total, null=z == -np.inf)


def prob_rows(x: np.ndarray) -> Rows:
    """Probability rows (or counts) divided by their exact sums; every row has a positive entry.

    Each row is first scaled by a power of two (exactly) so that its sum is in [0.75, 1.5) and log Σ
    is small and carries no rounding of its own; an entry that this takes out of the normal range
    keeps a log taken before the scaling (its weight, below 1e-308 of the row's, counts for nothing)."""
    high, _ = row_sums(x)
    _, exponent = np.frexp(high / 0.75)
    exponent = (exponent - 1)[:, None]
    head = np.ldexp(x, -exponent)
    high, low = row_sums(head)
    with np.errstate(divide="ignore"):
        log_total = np.log(high) + low / high
        log_p = np.log(head) - log_total[:, None]
        lost = (head < np.finfo(np.float64).tiny) & (x > 0)
        if np.any(lost):
            log_p = np.where(lost, (np.log(x) - exponent * np.log(2.0)) - log_total[:, None], log_p)
    return Rows(head / (high + low)[:, None], log_p, head, False, log_total=log_total, total=high, null=x == 0)


def log_ratio(p: Rows, q: Rows) -> np.ndarray:
    """x = log(p/q) per element: +inf where q = 0 < p, −inf where p = 0 (and where both are 0)."""
    with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
        if p.from_logits and q.from_logits:
            x = p.head - q.head
            x -= p.log_total - q.log_total
            x += p.tail - q.tail
            if p.logits is not None and q.logits is not None and p.temperature == q.temperature:
                x = _tempered_ratio(p, q, x)
        elif not p.from_logits and not q.from_logits:
            ratio = (q.total / p.total)[:, None]  # its rounding is a constant factor: harmless
            scaled, error = two_product(p.head, ratio)
            t = ((scaled - q.head) + error) / q.head
            x = np.where(np.abs(t) < 0.5, np.log1p(t), np.log(scaled / q.head))
            wide = ~np.isfinite(x) & (p.head > 0) & (q.head > 0)  # p/q over- or underflows
            x = np.where(wide, p.log_p - q.log_p, x)
        else:
            x = p.log_p - q.log_p
        # p = 0 exactly: no term of p; q = 0 exactly: +inf; a p that underflowed (its log finite or
        # below −1.8e308) next to a q that is not 0: a term too small for float64, as p = 0
        return _nulls(p, q, x)


def _nulls(p: Rows, q: Rows, x: np.ndarray) -> np.ndarray:
    """``x`` (written into) with −inf where p = 0 (exactly, or underflowed), then +inf where q = 0
    exactly and p is not."""
    minus = np.broadcast_to(p.null | (p.p == 0), x.shape)
    if minus.any():
        x[minus] = -np.inf
    plus = np.broadcast_to(q.null & ~p.null, x.shape)
    if plus.any():
        x[plus] = np.inf
    return x


def _tempered_ratio(p: Rows, q: Rows, x: np.ndarray) -> np.ndarray:
    """log(p/q) for rows softened by one temperature T, from the differences of the logits, where
    the rows allow it (the same masked classes, |s| ≤ 1 below: T at least the spread of the
    differences); ``x`` elsewhere.

    With d = z_q − z_p (exact as a head and a tail), μ = Σ p·d and s = (d − μ)/T, log(q/p) =
    s − log Σ p·e^s, so log(p/q) = D − s with D = log Σ p·e^s = log1p(Σ p·(e^s − 1 − s)) (Σ p·s = 0;
    the terms from their series), which is D(P‖Q) itself. No normaliser is taken: in ``x`` the
    rounding of log_total (about ε·log C, the same for every class) stands against log-ratios of
    order spread/T, and against a D of order Var(d)/T², which loses its digits as T grows (all of
    them by T ≈ 1e16), and T²·D, the distillation loss, with it. Here an error η in μ changes D by
    a relative η/T + η²/Var_P(d) only (first order in η cancels), and T²·D → ½·Var_P(d) as T → ∞."""
    finite = np.isfinite(p.logits) & np.isfinite(q.logits)
    head, tail = two_sum(q.logits, -p.logits)
    head, tail = np.where(finite, head, 0.0), np.where(finite, tail, 0.0)
    # d about its value at P's most likely class (finite there): a constant added to one side's logits
    # then costs μ no digits (d − d₀ is exact where they are within a factor 2, Sterbenz), as in the
    # fused kernel; s is the same, being d less its mean
    head = head - np.take_along_axis(head, np.argmax(p.p, axis=1)[:, None], axis=1)
    mu = ((p.p * head).sum(axis=1) + (p.p * tail).sum(axis=1))[:, None]
    s = np.where(finite, ((head - mu) + tail) / p.temperature, 0.0)
    done = np.all(np.isfinite(p.logits) == np.isfinite(q.logits), axis=1) & np.all(np.abs(s) <= 1.0, axis=1)
    if not np.any(done):
        return x
    s = np.where(done[:, None], s, 0.0)
    kl = np.log1p(np.sum(p.p * (s * s * _horner(_EXP2, s)), axis=1))  # pairwise: a few ε for any C
    return np.where(done[:, None] & finite, kl[:, None] - s, x)


def _horner(coefficients: list[float], x: np.ndarray) -> np.ndarray:
    total = x * coefficients[-1]
    total += coefficients[-2]
    for c in reversed(coefficients[:-2]):
        total *= x
        total += c
    return total


def phi_terms(p: np.ndarray, q: np.ndarray, x: np.ndarray) -> np.ndarray:
    """q·φ(p/q) per element, never negative: the terms of D(P‖Q) = Σ q·φ(p/q); x = log(p/q)."""
    near = np.abs(x) <= 1.0
    if near.all():  # near-identical rows: the series everywhere, nothing gathered
        terms = x * x
        terms *= _horner(_PHI, x)
        terms *= q
    else:
        with np.errstate(invalid="ignore", over="ignore"):
            terms = p * x - (p - q)
        if np.any(near):
            xs = x[near]
            terms[near] = q[near] * (xs * xs * _horner(_PHI, xs))
    zero = (p == 0) & (x != np.inf)
    terms[zero] = q[zero]  # φ(0) = 1
    terms[x == np.inf] = np.inf  # q = 0 < p, however small p is
    return terms


def kl_rows(p: Rows, q: Rows, x: np.ndarray | None = None) -> np.ndarray:
    """D(P‖Q) per row, in nats."""
    x = log_ratio(p, q) if x is None else x
    return phi_terms(p.p, q.p, x).sum(axis=1)


def js_rows(p: Rows, q: Rows, x: np.ndarray | None = None) -> np.ndarray:
    """The Jensen–Shannon divergence per row, in nats."""
    x = log_ratio(p, q) if x is None else x
    d = 0.5 * x
    np.tanh(d, out=d)  # (p − q)/(p + q); ±1 where one side is 0
    small = np.abs(d) <= 0.2
    if small.all():  # near-identical rows: the series everywhere, nothing gathered
        g = _js_series(d)
    else:
        g = np.empty_like(d)
        g[~small] = _js_g(d[~small])
        if np.any(small):
            g[small] = _js_series(d[small])
        g[np.isnan(d)] = 0.0  # both 0
    m = p.p + q.p
    m *= 0.5  # m = ½(p + q)
    m *= 0.5
    m *= g
    return m.sum(axis=1)


def _js_g(d: np.ndarray) -> np.ndarray:
    """G(d) = (1 + d)·log(1 + d) + (1 − d)·log(1 − d), its limit 2·log 2 at d = ±1."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(d > -1, (1 + d) * np.log1p(d), 0.0) + np.where(d < 1, (1 - d) * np.log1p(-d), 0.0)


def _js_series(d: np.ndarray) -> np.ndarray:
    """G(d) for |d| ≤ 0.2, from its series in d²."""
    ds = d * d
    g = _horner(_JS, ds)
    g *= ds
    return g


def total_variation_rows(p: Rows, q: Rows, x: np.ndarray | None = None) -> np.ndarray:
    """½ Σ |p − q| per row, with |p − q| = q·|e^x − 1| where p and q are close."""
    x = log_ratio(p, q) if x is None else x
    near = np.abs(x) <= 1
    with np.errstate(invalid="ignore", over="ignore"):
        gaps = np.expm1(x)
        np.abs(gaps, out=gaps)
        gaps *= q.p
        if not near.all():
            gaps = np.where(near, gaps, np.abs(p.p - q.p))
    return 0.5 * gaps.sum(axis=1)


def kl_terms(p: np.ndarray, x: np.ndarray) -> np.ndarray:
    """The element terms p·log(p/q) (0 where p = 0), as torch's ``kl_div(reduction="none")``."""
    with np.errstate(invalid="ignore"):
        return np.where(p > 0, p * x, 0.0)


def cross_entropy_terms(p: Rows, q: Rows, weight: np.ndarray | None = None) -> np.ndarray:
    """−w·p·log q per element: 0 where p = 0 exactly or w = 0 (a class of weight 0 counts for
    nothing, even where q = 0), +inf where q = 0 exactly but p is not (however small)."""
    wp = p.p if weight is None else p.p * weight
    counts = ~p.null if weight is None else ~p.null & (weight > 0)
    with np.errstate(invalid="ignore"):
        terms = np.where(counts & (wp > 0), wp * -q.log_p, 0.0) + 0.0  # + 0.0: no −0.0 where log q = 0
    terms[counts & q.null] = np.inf
    return terms


def entropy_terms(p: Rows) -> np.ndarray:
    """−p·log p per element (0 where p = 0)."""
    return cross_entropy_terms(p, p)


def js_weighted_rows(rows: list[Rows], weights) -> np.ndarray:
    """The generalised JS divergence Σ πᵢ·D(Pᵢ‖M), M = Σ πᵢ·Pᵢ, per row, in nats (operands of weight
    0 left out). log(pᵢ/m) = −log Σⱼ πⱼ·pⱼ/pᵢ = −log1p(Σⱼ πⱼ·(e^xⱼᵢ − 1)) with xⱼᵢ = log(pⱼ/pᵢ) exact,
    so rows near M lose nothing; every term q·φ is ≥ 0."""
    taking = [(float(w), r) for w, r in zip(weights, rows) if w > 0]
    m = sum(w * r.p for w, r in taking)
    total = 0.0
    for w, r in taking:
        ratios = [(v, log_ratio(s, r)) for v, s in taking]
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            s = sum(v * np.expm1(x) for v, x in ratios)
            near = -np.log1p(s)
            logs = np.stack([np.log(v) + x for v, x in ratios])
            top = np.max(logs, axis=0)
            far = -(top + np.log(np.sum(np.exp(logs - np.where(np.isfinite(top), top, 0.0)), axis=0)))
        y = np.where(np.abs(s) <= 0.5, near, far)
        y = np.where(r.p == 0, -np.inf, y)
        total = total + w * phi_terms(r.p, m, y).sum(axis=1)
    return total


def entropy_rows(p: Rows) -> np.ndarray:
    """H(P) per row, in nats."""
    return entropy_terms(p).sum(axis=1)


def cross_entropy_rows(p: Rows, q: Rows, weight: np.ndarray | None = None) -> np.ndarray:
    """H(P,Q) = −Σ w·p·log q per row, in nats (+inf where q = 0 < w·p)."""
    return cross_entropy_terms(p, q, weight).sum(axis=1)


def plain_error(*magnitudes: np.ndarray, classes: int) -> np.ndarray:
    """A bound, per row, on the absolute error of the plain formulas in nats: a few ε times the
    sizes of what they add (the entropies, cross-entropies and log C of the row)."""
    return 4 * EPS * (sum(np.abs(m) for m in magnitudes) + np.log(classes) + 1.0)
