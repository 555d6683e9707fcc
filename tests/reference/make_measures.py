"""Generate the reference fixtures in ``tests/reference/measures.json``.

The fixtures record what SciPy and torch compute, in float64, for the measures of ``divcli compare``,
``js``, ``matrix`` and ``libraries``, so that the test suite (tests/numerics/test_measures_reference.py) can
compare divcli against them without SciPy or torch installed.

How to run (from the repository root; the venv lives outside the repo):

    python3 -m venv /work/refenv
    /work/refenv/bin/pip install torch==2.13.0 numpy scipy mpmath
    /work/refenv/bin/python tests/reference/make_measures.py

It rewrites ``tests/reference/measures.json`` deterministically (fixed seed, fixed literals).

Where each number comes from (the case's "reference" field repeats it per key):

* KL both ways: ``scipy.stats.entropy(p, q, base=b)`` on probability rows; for logits operands
  ``torch.nn.functional.kl_div(log_softmax(q), log_softmax(p), log_target=True)`` (SciPy would see
  probabilities underflowed to 0 and answer inf where the true value is finite).  Both are
  cross-checked against ``scipy.special.rel_entr``, ``scipy.special.kl_div`` and torch ``kl_div``
  (batchmean / mean / swapped / without ``.log()`` are recorded in the ``libraries`` cases).
* JS divergence and distance: ``scipy.spatial.distance.jensenshannon(p, q, axis=1, base=b)`` (its
  square for the divergence).  The n-way JS: ``entropy(Σ πᵢ Pᵢ) − Σ πᵢ entropy(Pᵢ)`` with
  ``scipy.stats.entropy`` (SciPy has no n-way function).
* χ²: ``scipy.stats.power_divergence(p_row, q_row, lambda_="pearson" | "neyman").statistic`` per row.
  Where SciPy answers nan (0/0, or 0·inf for Neyman with p_i = 0) the row's key is left out of
  "expected" and listed under "scipy_nan" with the value divcli's documented convention gives
  (+inf where a p_i/0 or (q_i)²/0 term is needed, the χ² of the other entries where both are 0,
  computed by ``power_divergence`` on those entries).
* Cross-entropy: ``torch.nn.functional.cross_entropy(log q | logits q, p, reduction="none")`` with
  probability targets.  Where torch answers nan only because of 0·log 0 (p_i = q_i = 0) the value
  is ``entropy(p) + entropy(p, q)`` from SciPy instead (noted).
* Entropies: ``scipy.stats.entropy(p, base=b)``; perplexities ``exp(entropy(p))``.
* 1-Wasserstein (``--ordered``): ``scipy.stats.wasserstein_distance(range(C), range(C), p, q)``.
* Every compare row also carries "mpmath": every measure (including those SciPy lacks: total
  variation, Hellinger, Bhattacharyya, Rényi) computed from the formula at 60 significant digits
  from the exact inputs (logits through an exact log-softmax).  SciPy/torch values are asserted to
  agree with it to 1e-10 relative (1e-15 absolute) here, except where listed in "float64_limits".

Non-finite numbers are written as the strings "inf", "-inf", "nan".
"""

import json
import math
import sys
import warnings
from pathlib import Path

import mpmath
import numpy as np
import scipy
import scipy.spatial.distance
import scipy.special
import scipy.stats
import torch
import torch.nn.functional as F

SEED = 20250314
OUT = Path(__file__).resolve().with_name("measures.json")
RTOL, ATOL = 1e-10, 1e-15
BASES = ["e", 2]
LOG_KEYS = {"kl_pq", "kl_qp", "jeffreys", "js_divergence", "bhattacharyya_distance", "renyi_0.5", "renyi_2",
            "cross_entropy", "entropy_p", "entropy_q"}  # js_distance: √ of the log unit

mpmath.mp.dps = 60
warnings.filterwarnings("ignore", message=".*reduction: 'mean' divides.*")
torch.set_num_threads(1)
rng = np.random.default_rng(SEED)
NOTES = []


# ---------------------------------------------------------------- helpers
from make_reference import enc, tt  # noqa: E402  (the same JSON encoding and float64 tensors)


def f64(x):
    return np.asarray(x, dtype=np.float64)


def close(a, b, rtol=RTOL, atol=ATOL):
    a, b = float(a), float(b)
    if math.isinf(a) or math.isinf(b) or math.isnan(a) or math.isnan(b):
        return a == b or (math.isnan(a) and math.isnan(b))
    return abs(a - b) <= atol + rtol * abs(b)


def rand_probs(n, c, scale=1.0):
    return scipy.special.softmax(np.round(rng.normal(0, scale, size=(n, c)), 6), axis=1)


def rand_logits(n, c, scale=2.0):
    return np.round(rng.normal(0, scale, size=(n, c)), 6)


def broadcast(p, q):
    n = max(len(p), len(q))
    return np.broadcast_to(p, (n, p.shape[1])).copy(), np.broadcast_to(q, (n, q.shape[1])).copy()


# ---------------------------------------------------------------- operands
def as_probs(x, kind, T, c):
    """The probability rows SciPy (and divcli) see: softmax for logits, one-hot for labels."""
    if kind == "probs":
        return f64(x)
    if kind == "counts":
        x = f64(x)
        return x / x.sum(axis=1, keepdims=True)
    if kind == "logits":
        return scipy.special.softmax(f64(x) / T, axis=1)
    if kind == "log-probs":
        return np.exp(f64(x))
    if kind == "labels":
        return np.eye(c)[np.asarray(x)]
    raise ValueError(kind)


def as_logs_torch(x, kind, T, c):
    """log-probabilities in torch: log_softmax for logits (no underflow), log for probabilities."""
    if kind == "logits":
        return F.log_softmax(tt(x) / T, dim=1)
    if kind == "log-probs":
        return tt(x)
    return torch.log(tt(as_probs(x, kind, T, c)))


def mp_logs(x, kind, T, c):
    """Exact (60-digit) log-probability rows from the inputs as written."""
    rows = []
    if kind == "labels":
        for label in x:
            rows.append([mpmath.mpf(0) if k == label else mpmath.mpf("-inf") for k in range(c)])
        return rows
    for row in np.asarray(x, dtype=np.float64).tolist():
        v = [mpmath.mpf(r) for r in row]
        if kind == "logits":
            v = [z / mpmath.mpf(T) for z in v]
            lse = mpmath.log(mpmath.fsum(mpmath.exp(z) for z in v))
            rows.append([z - lse for z in v])
        elif kind == "log-probs":
            rows.append(v)
        else:  # probs, counts (normalised exactly)
            s = mpmath.fsum(v) if kind == "counts" else mpmath.mpf(1)
            rows.append([mpmath.log(z / s) if z > 0 else mpmath.mpf("-inf") for z in v])
    return rows


# ---------------------------------------------------------------- mpmath truth
def mp_measures(lp, lq):
    """Every compare measure in nats from exact log rows lp, lq (lists of mpf, -inf for 0)."""
    inf = mpmath.mpf("inf")
    p = [mpmath.exp(v) if v != -inf else mpmath.mpf(0) for v in lp]
    q = [mpmath.exp(v) if v != -inf else mpmath.mpf(0) for v in lq]
    C = len(p)

    def kl(a, la, b, lb):
        total = mpmath.mpf(0)
        for ai, lai, bi, lbi in zip(a, la, b, lb):
            if ai == 0:
                continue
            if bi == 0:
                return inf
            total += ai * (lai - lbi)
        return total

    def ent(a, la):
        return -mpmath.fsum(ai * lai for ai, lai in zip(a, la) if ai != 0)

    m = [(a + b) / 2 for a, b in zip(p, q)]
    lm = [mpmath.log(v) if v > 0 else -inf for v in m]
    js = (kl(p, lp, m, lm) + kl(q, lq, m, lm)) / 2
    bc = mpmath.fsum(mpmath.exp((a + b) / 2) for a, b in zip(lp, lq) if a != -inf and b != -inf)
    h2 = mpmath.fsum((mpmath.sqrt(a) - mpmath.sqrt(b)) ** 2 for a, b in zip(p, q)) / 2

    def chi2(o, e):
        total = mpmath.mpf(0)
        for oi, ei in zip(o, e):
            if ei == 0:
                if oi > 0:
                    return inf
                continue
            total += (oi - ei) ** 2 / ei
        return total

    def renyi(alpha):
        terms = []
        for a, b in zip(lp, lq):
            if a == -inf:
                continue
            if b == -inf:
                if alpha > 1:
                    return inf
                continue
            terms.append(mpmath.exp(alpha * a + (1 - alpha) * b))
        return mpmath.log(mpmath.fsum(terms)) / (alpha - 1)

    ce = inf if any(a > 0 and b == 0 for a, b in zip(p, q)) else \
        -mpmath.fsum(a * lb for a, lb in zip(p, lq) if a != 0)
    kl_pq, kl_qp = kl(p, lp, q, lq), kl(q, lq, p, lp)
    cdf = mpmath.mpf(0)
    w1 = mpmath.mpf(0)
    for k in range(C - 1):
        cdf += p[k] - q[k]
        w1 += abs(cdf)
    return {
        "kl_pq": kl_pq, "kl_qp": kl_qp, "jeffreys": kl_pq + kl_qp,
        "js_divergence": js, "js_distance": mpmath.sqrt(js),
        "total_variation": mpmath.fsum(abs(a - b) for a, b in zip(p, q)) / 2,
        "hellinger": mpmath.sqrt(h2),
        "bhattacharyya_coefficient": bc,
        "bhattacharyya_distance": -mpmath.log(bc) if bc > 0 else inf,
        "chi2_pearson": chi2(p, q), "chi2_neyman": chi2(q, p),
        "renyi_0.5": renyi(mpmath.mpf("0.5")), "renyi_2": renyi(mpmath.mpf(2)),
        "cross_entropy": ce, "entropy_p": ent(p, lp), "entropy_q": ent(q, lq),
        "perplexity_p": mpmath.exp(ent(p, lp)), "perplexity_q": mpmath.exp(ent(q, lq)),
        "wasserstein_1": w1,
    }


def in_base(values, base):
    """Nats → the unit of ``base`` (log measures ÷ ln b, js_distance ÷ √ln b)."""
    if base == "e":
        return dict(values)
    lb = math.log(base) if not isinstance(values.get("kl_pq"), mpmath.mpf) else mpmath.log(base)
    out = {}
    for k, v in values.items():
        if k in LOG_KEYS or k.startswith("renyi_"):
            out[k] = v / lb
        elif k == "js_distance":
            out[k] = v / (lb ** 0.5 if isinstance(lb, float) else mpmath.sqrt(lb))
        else:
            out[k] = v
    return out


# ---------------------------------------------------------------- SciPy / torch per row
def scipy_torch_rows(case_id, p_in, q_in, p_as, q_as, T, c):
    """Per row, per base: the SciPy/torch value of every key they have, plus notes and nan rows."""
    pp, qq = as_probs(p_in, p_as, T, c), as_probs(q_in, q_as, T, c)
    pp, qq = broadcast(pp, qq)
    lpt, lqt = as_logs_torch(p_in, p_as, T, c), as_logs_torch(q_in, q_as, T, c)
    n = len(pp)
    lpt, lqt = lpt.expand(n, c), lqt.expand(n, c)
    logits = "logits" in (p_as, q_as)
    how = {}
    rows = {str(b): [dict() for _ in range(n)] for b in BASES}
    scipy_nan = []
    # KL both ways
    if logits:
        kl_pq = F.kl_div(lqt, lpt, reduction="none", log_target=True).sum(1).numpy()
        kl_qp = F.kl_div(lpt, lqt, reduction="none", log_target=True).sum(1).numpy()
        how["kl_pq"] = "torch F.kl_div(log_softmax(Q), log_softmax(P), reduction='none', log_target=True).sum(1) / ln b"
        how["kl_qp"] = "torch F.kl_div(log_softmax(P), log_softmax(Q), reduction='none', log_target=True).sum(1) / ln b"
    else:
        kl_pq = scipy.stats.entropy(pp, qq, axis=1)
        kl_qp = scipy.stats.entropy(qq, pp, axis=1)
        chk = scipy.special.rel_entr(pp / pp.sum(1, keepdims=True), qq / qq.sum(1, keepdims=True)).sum(1)
        assert all(close(a, b, 1e-12, 1e-16) for a, b in zip(kl_pq, chk))
        how["kl_pq"] = "scipy.stats.entropy(P, Q, axis=1, base=b) (checked with scipy.special.rel_entr)"
        how["kl_qp"] = "scipy.stats.entropy(Q, P, axis=1, base=b)"
    how["jeffreys"] = "kl_pq + kl_qp (as above)"
    # cross-entropy: torch with probability targets
    target = tt(pp)
    inp = (tt(q_in) / T).expand(n, c) if q_as == "logits" else torch.log(tt(qq))
    ce = F.cross_entropy(inp, target, reduction="none").numpy()
    how["cross_entropy"] = ("torch F.cross_entropy(Q_logits / T, P, reduction='none')" if q_as == "logits"
                            else "torch F.cross_entropy(Q.log(), P, reduction='none') (probability targets)")
    # entropies, perplexities
    for base in BASES:
        b = None if base == "e" else base
        js = scipy.spatial.distance.jensenshannon(pp, qq, axis=1, base=b)
        hp = scipy.stats.entropy(pp, axis=1, base=b)
        hq = scipy.stats.entropy(qq, axis=1, base=b)
        lb = 1.0 if base == "e" else math.log(base)
        for i in range(n):
            r = rows[str(base)][i]
            r["kl_pq"] = kl_pq[i] / lb
            r["kl_qp"] = kl_qp[i] / lb
            r["jeffreys"] = (kl_pq[i] + kl_qp[i]) / lb
            r["js_distance"] = js[i]
            r["js_divergence"] = js[i] ** 2
            r["entropy_p"] = hp[i]
            r["entropy_q"] = hq[i]
            r["perplexity_p"] = math.exp(hp[i] * lb)
            r["perplexity_q"] = math.exp(hq[i] * lb)
            if math.isnan(ce[i]):
                # torch: 0 * log 0 where p_i = q_i = 0
                alt = scipy.stats.entropy(pp[i]) + scipy.stats.entropy(pp[i], qq[i])
                r["cross_entropy"] = alt / lb
                if base == "e":
                    NOTES.append(f"{case_id}: cross_entropy row {i + 1}: torch nan (0·log 0), "
                                 "used entropy(p) + entropy(p, q)")
            else:
                r["cross_entropy"] = ce[i] / lb
    how["js_distance"] = "scipy.spatial.distance.jensenshannon(P, Q, axis=1, base=b)"
    how["js_divergence"] = "scipy.spatial.distance.jensenshannon(P, Q, axis=1, base=b) ** 2"
    how["entropy_p"] = "scipy.stats.entropy(P, axis=1, base=b)"
    how["entropy_q"] = "scipy.stats.entropy(Q, axis=1, base=b)"
    how["perplexity_p"] = "exp(scipy.stats.entropy(P, axis=1))"
    how["perplexity_q"] = "exp(scipy.stats.entropy(Q, axis=1))"
    # chi-squared per row; wasserstein per row
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n):
            p_row, q_row = pp[i] / pp[i].sum(), qq[i] / qq[i].sum()
            for key, lam in (("chi2_pearson", "pearson"), ("chi2_neyman", "neyman")):
                stat = float(scipy.stats.power_divergence(p_row, q_row, lambda_=lam).statistic)
                if math.isnan(stat):
                    o, e = (p_row, q_row) if lam == "pearson" else (q_row, p_row)  # Σ (o − e)²/e
                    if np.any((e == 0) & (o > 0)):
                        conv, why = math.inf, "a term (x_i)^2/0 with x_i > 0: +inf"
                    else:
                        keep = ~((e == 0) & (o == 0))
                        conv = float(scipy.stats.power_divergence(p_row[keep], q_row[keep], lambda_=lam).statistic)
                        why = "terms with p_i = q_i = 0 count 0: power_divergence on the other entries"
                    scipy_nan.append({"row": i + 1, "key": key, "scipy": "nan", "convention": conv, "why": why})
                else:
                    for base in BASES:
                        rows[str(base)][i][key] = stat
            w = scipy.stats.wasserstein_distance(np.arange(c), np.arange(c), pp[i], qq[i])
            for base in BASES:
                rows[str(base)][i]["wasserstein_1"] = w
    how["chi2_pearson"] = "scipy.stats.power_divergence(p_row, q_row, lambda_='pearson').statistic"
    how["chi2_neyman"] = "scipy.stats.power_divergence(p_row, q_row, lambda_='neyman').statistic"
    how["wasserstein_1"] = "scipy.stats.wasserstein_distance(range(C), range(C), p_row, q_row)"
    return rows, scipy_nan, how, pp, qq


# ---------------------------------------------------------------- cases
COMPARE, JS, MATRIX, LIBRARIES, KD = [], [], [], [], []


def compare_case(case_id, p, q, p_as="probs", q_as="probs", T=1.0, normalize=False, ordered=True, note=""):
    p_kind = "counts" if normalize else p_as
    q_kind = "counts" if normalize else q_as
    p_arr = p if p_as == "labels" else f64(p)
    q_arr = f64(q)
    c = q_arr.shape[1]
    rows, scipy_nan, how, pp, qq = scipy_torch_rows(case_id, p_arr, q_arr, p_kind, q_kind, T, c)
    lps, lqs = mp_logs(p_arr, p_kind, T, c), mp_logs(q_arr, q_kind, T, c)
    n = len(pp)
    lps = lps * n if len(lps) == 1 else lps
    lqs = lqs * n if len(lqs) == 1 else lqs
    mp_rows = {str(b): [] for b in BASES}
    limits = []
    for i in range(n):
        truth = mp_measures(lps[i], lqs[i])
        for base in BASES:
            t = in_base(truth, base)
            mp_rows[str(base)].append({k: float(v) for k, v in t.items()})
            for k, v in rows[str(base)][i].items():
                if not close(v, float(t[k])):
                    limits.append({"row": i + 1, "key": k, "base": base, "scipy_torch": float(v),
                                   "mpmath": float(t[k])})
        for entry in scipy_nan:
            if entry["row"] == i + 1:
                entry["mpmath"] = float(truth[entry["key"]])
                if not close(entry["convention"], entry["mpmath"]):
                    NOTES.append(f"{case_id}: {entry['key']} row {i + 1}: the zero convention on float64 "
                                 f"probabilities gives {entry['convention']!r}, the exact value is {entry['mpmath']!r}")
    for lim in limits:
        NOTES.append(f"{case_id}: float64 limit {lim}")
    COMPARE.append({
        "id": case_id, "p": enc(p_arr), "q": enc(q_arr), "p_as": p_as, "q_as": q_as, "temperature": T,
        "normalize": normalize, "ordered": ordered, "n_rows": n, "n_classes": c, "note": note,
        "probs_p": enc(pp), "probs_q": enc(qq),
        "expected": enc(rows), "scipy_nan": enc(scipy_nan), "float64_limits": enc(limits),
        "mpmath": enc(mp_rows), "reference": how,
    })


def compare_cases():
    compare_case("uniform-1x3", [[0.36, 0.48, 0.16]], [[1 / 3, 1 / 3, 1 / 3]], note="the README example")
    compare_case("random-4x5", rand_probs(4, 5), rand_probs(4, 5))
    compare_case("zeros-in-p-3x4", [[0.5, 0.5, 0.0, 0.0], [0.0, 0.2, 0.3, 0.5], [0.1, 0.2, 0.3, 0.4]],
                 [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1]],
                 note="p_i = 0 < q_i: kl_qp, chi2_neyman = inf")
    compare_case("zeros-in-q-3x4", [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.4, 0.3, 0.2, 0.1]],
                 [[0.5, 0.5, 0.0, 0.0], [0.0, 0.2, 0.3, 0.5], [0.1, 0.2, 0.3, 0.4]],
                 note="q_i = 0 < p_i: kl_pq, chi2_pearson, cross_entropy, renyi_2 = inf")
    compare_case("zeros-in-both-3x4", [[0.5, 0.5, 0.0, 0.0], [0.25, 0.0, 0.25, 0.5], [0.0, 0.0, 1.0, 0.0]],
                 [[0.25, 0.75, 0.0, 0.0], [0.5, 0.0, 0.3, 0.2], [0.0, 0.5, 0.5, 0.0]],
                 note="zeros at the same classes (0·log 0 = 0) and at different ones")
    compare_case("disjoint-1x2", [[1.0, 0.0]], [[0.0, 1.0]], note="no overlap: JS = log 2, BC = 0, TV = 1")
    base = rand_probs(3, 6)
    near = base * (1 + 1e-4 * rng.uniform(-1, 1, size=base.shape))
    near = near / near.sum(1, keepdims=True)
    near[2] = base[2]
    compare_case("near-identical-3x6", base, near, note="relative differences ~1e-4; row 3 identical (all 0)")
    compare_case("counts-normalize-2x4", [[3, 5, 2, 0], [10, 0, 0, 1]], [[1, 1, 1, 1], [2, 3, 5, 4]],
                 normalize=True, note="histograms of counts, --normalize (SciPy rescales itself)")
    compare_case("logits-3x4", rand_logits(3, 4), rand_logits(3, 4), p_as="logits", q_as="logits")
    compare_case("logits-T2-2x5", rand_logits(2, 5), rand_logits(2, 5), p_as="logits", q_as="logits", T=2.0,
                 note="-T 2")
    compare_case("large-logits-3x3", [[0.0, 1e3, -1e3], [1e3, -1e3, 0.0], [2.0, 1.0, 0.0]],
                 [[-1e3, 0.0, 1e3], [1e3, 0.0, -1e3], [1.0, 1.0, 1.0]], p_as="logits", q_as="logits",
                 note="±1e3 logits: probabilities underflow to 0, the logs stay finite")
    compare_case("broadcast-p-1x4", [[0.4, 0.3, 0.2, 0.1]], rand_probs(3, 4), note="one P row against 3 Q rows")
    compare_case("broadcast-q-1x4", rand_probs(3, 4), [[0.1, 0.2, 0.3, 0.4]], note="3 P rows against one Q row")
    compare_case("labels-3x3", [0, 2, 1], [[0.7, 0.2, 0.1], [0.1, 0.1, 0.8], [0.5, 0.0, 0.5]], p_as="labels",
                 note="P as class labels (one-hot); row 3's label has q = 0")
    compare_case("ten-classes-2x10", rand_probs(2, 10, 1.5), rand_probs(2, 10, 1.5))
    with np.errstate(divide="ignore"):
        compare_case("log-probs-q-2x3", [[0.2, 0.5, 0.3], [0.6, 0.4, 0.0]],
                     np.log([[0.3, 0.3, 0.4], [0.1, 0.6, 0.3]]), q_as="log-probs")
    compare_case("underflow-both-1x3", [[0.0, -800.0, 0.0]], [[0.0, -1600.0, 0.0]], p_as="logits",
                 q_as="logits", ordered=False,
                 note="float64 probabilities of the middle class underflow to 0 on both sides, but "
                      "p²/q = e^0 there: the exact χ² Pearson is 1 (mpmath), SciPy/float64 sees 0/0")


def js_case(case_id, operands, weights=None, base="e", kinds=None, note=""):
    ops = [f64(o) for o in operands]
    c = ops[0].shape[1]
    n = max(len(o) for o in ops)
    probs = [np.broadcast_to(as_probs(o, "probs", 1.0, c), (n, c)) for o in ops]
    pi = np.full(len(ops), 1 / len(ops)) if weights is None else f64(weights)
    b = None if base == "e" else base
    mix = sum(w * pr for w, pr in zip(pi, probs))
    value = scipy.stats.entropy(mix, axis=1, base=b) - sum(
        w * scipy.stats.entropy(pr, axis=1, base=b) for w, pr in zip(pi, probs))
    how = "scipy.stats.entropy(Σ πᵢ Pᵢ, axis=1, base=b) − Σ πᵢ scipy.stats.entropy(Pᵢ, axis=1, base=b)"
    if len(ops) == 2 and weights is None:
        js = scipy.spatial.distance.jensenshannon(probs[0], probs[1], axis=1, base=b)
        assert all(close(a * a, v, 1e-9, 1e-15) for a, v in zip(js, value)), case_id
        value = js ** 2
        how = "scipy.spatial.distance.jensenshannon(P, Q, axis=1, base=b) ** 2"
    JS.append({"id": case_id, "operands": enc(ops), "weights": weights, "base": base, "n_rows": n,
               "expected_divergence": enc(value), "reference": how, "note": note})


def js_cases():
    js_case("js2-uniform", [[[0.36, 0.48, 0.16]], [[1 / 3, 1 / 3, 1 / 3]]])
    js_case("js2-zeros-base2", [[[0.5, 0.5, 0.0, 0.0], [0.25, 0.0, 0.25, 0.5]],
                                [[0.25, 0.75, 0.0, 0.0], [0.5, 0.0, 0.3, 0.2]]], base=2)
    js_case("js2-disjoint-base2", [[[1.0, 0.0]], [[0.0, 1.0]]], base=2, note="exactly 1 bit")
    js_case("js2-random", [rand_probs(4, 6), rand_probs(4, 6)])
    js_case("js2-weighted", [[[0.5, 0.5, 0.0, 0.0], [0.1, 0.2, 0.3, 0.4]],
                             [[0.0, 0.25, 0.25, 0.5], [0.4, 0.3, 0.2, 0.1]]], weights=[0.25, 0.75])
    js_case("js3-help-example", [[[1.0, 0.0]], [[0.0, 1.0]], [[0.5, 0.5]]], weights=[0.25, 0.25, 0.5])
    js_case("js3-equal", [rand_probs(3, 4), [[0.5, 0.5, 0.0, 0.0], [0.0, 0.0, 0.5, 0.5], [0.25, 0.25, 0.25, 0.25]],
                          rand_probs(3, 4)])
    js_case("js3-weighted-base2", [rand_probs(2, 5), rand_probs(2, 5), rand_probs(2, 5)],
            weights=[0.2, 0.3, 0.5], base=2)
    js_case("js4-broadcast", [[[0.7, 0.2, 0.1]], rand_probs(3, 3), [[0.1, 0.1, 0.8]], rand_probs(3, 3)],
            note="two one-row operands broadcast against three-row ones")


def matrix_case(case_id, rows, measure, base="e", normalize=False):
    x = f64(rows)
    pr = x / x.sum(1, keepdims=True) if normalize else x
    n, c = pr.shape
    b = None if base == "e" else base
    lb = 1.0 if base == "e" else math.log(base)
    out = [[None] * n for _ in range(n)]
    with np.errstate(divide="ignore", invalid="ignore"):
        for i in range(n):
            for j in range(n):
                p, q = pr[i], pr[j]
                if measure == "js_divergence":
                    v = scipy.spatial.distance.jensenshannon(p, q, base=b) ** 2
                elif measure == "js_distance":
                    v = scipy.spatial.distance.jensenshannon(p, q, base=b)
                elif measure == "kl_pq":
                    v = scipy.stats.entropy(p, q, base=b)
                elif measure == "cross_entropy":
                    v = (scipy.stats.entropy(p) + scipy.stats.entropy(p, q)) / lb
                elif measure == "chi2_pearson":
                    v = scipy.stats.power_divergence(p, q, lambda_="pearson").statistic
                elif measure == "wasserstein_1":
                    v = scipy.stats.wasserstein_distance(np.arange(c), np.arange(c), p, q)
                else:
                    raise ValueError(measure)
                out[i][j] = float(v)
    how = {
        "js_divergence": "scipy.spatial.distance.jensenshannon(row_i, row_j, base=b) ** 2",
        "js_distance": "scipy.spatial.distance.jensenshannon(row_i, row_j, base=b)",
        "kl_pq": "scipy.stats.entropy(row_i, row_j, base=b)",
        "cross_entropy": "(scipy.stats.entropy(row_i) + scipy.stats.entropy(row_i, row_j)) / ln b",
        "chi2_pearson": "scipy.stats.power_divergence(row_i, row_j, lambda_='pearson').statistic",
        "wasserstein_1": "scipy.stats.wasserstein_distance(range(C), range(C), row_i, row_j)",
    }[measure]
    MATRIX.append({"id": case_id, "rows": enc(x), "measure": measure, "base": base, "normalize": normalize,
                   "expected": enc(out), "reference": how})


def matrix_cases():
    m = [[0.2, 0.3, 0.5, 0.0], [0.1, 0.1, 0.4, 0.4], [0.25, 0.25, 0.25, 0.25], [0.0, 0.5, 0.5, 0.0]]
    for measure, base in [("js_divergence", "e"), ("js_distance", 2), ("kl_pq", "e"), ("kl_pq", 2),
                          ("chi2_pearson", "e"), ("wasserstein_1", "e"), ("cross_entropy", 2)]:
        matrix_case(f"matrix-{measure}-{base}", m, measure, base)
    matrix_case("matrix-js-counts-normalize", [[3, 5, 2], [1, 1, 1], [10, 0, 5]], "js_divergence", normalize=True)


# ---------------------------------------------------------------- libraries
def libraries_case(case_id, p, q, p_as="probs", q_as="probs", normalize=False, note=""):
    """What the libraries return when given what a user would pass them (see libraries.py's docstring)."""
    p, q = f64(p), f64(q)
    P = scipy.special.softmax(p, axis=1) if p_as == "logits" else p
    Q = scipy.special.softmax(q, axis=1) if q_as == "logits" else q
    Pt, Qt = tt(P), tt(Q)
    logQ = F.log_softmax(tt(q), dim=1) if q_as == "logits" else torch.log(Qt)
    logP = torch.log(Pt)  # the literal P.log() of the softmaxed probabilities
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch_vals = {
            'F.kl_div(Q.log(), P, reduction="batchmean")': F.kl_div(logQ, Pt, reduction="batchmean"),
            "nn.KLDivLoss()(Q.log(), P)": torch.nn.KLDivLoss()(logQ, Pt),
            'F.kl_div(P.log(), Q, reduction="batchmean")': F.kl_div(logP, Qt, reduction="batchmean"),
            'F.kl_div(Q, P, reduction="batchmean")': F.kl_div(Qt, Pt, reduction="batchmean"),
            "F.cross_entropy(Q.log(), P)": F.cross_entropy(logQ, Pt),
            "F.cross_entropy(Q, P)": F.cross_entropy(Qt, Pt),
        }
    with np.errstate(divide="ignore", invalid="ignore"):
        scipy_vals = {
            "scipy.stats.entropy(P, Q, axis=1).mean()": scipy.stats.entropy(P, Q, axis=1).mean(),
            "scipy.special.rel_entr(P, Q).sum()": scipy.special.rel_entr(P, Q).sum(),
            "scipy.special.kl_div(P, Q).sum()": scipy.special.kl_div(P, Q).sum(),
            "scipy.spatial.distance.jensenshannon(P, Q, axis=1).mean()":
                scipy.spatial.distance.jensenshannon(P, Q, axis=1).mean(),
        }
    # the exact D(P‖Q), batchmean, of the normalised rows, in log space
    lq = F.log_softmax(tt(q), dim=1) if q_as == "logits" else torch.log(tt(Q / Q.sum(1, keepdims=True)))
    lp = F.log_softmax(tt(p), dim=1) if p_as == "logits" else torch.log(tt(P / P.sum(1, keepdims=True)))
    exact = F.kl_div(lq, lp, reduction="batchmean", log_target=True)
    if not torch.isfinite(exact):
        with np.errstate(divide="ignore"):
            exact = scipy.stats.entropy(P, Q, axis=1).mean()
    values = {k: float(v) for k, v in torch_vals.items()}
    values.update({k: float(v) for k, v in scipy_vals.items()})
    LIBRARIES.append({
        "id": case_id, "p": enc(p), "q": enc(q), "p_as": p_as, "q_as": q_as, "normalize": normalize,
        "library_p": enc(P), "library_q": enc(Q), "exact": enc(float(exact)), "expected": enc(values),
        "note": note,
        "reference": ("torch 2.x in float64 on tensors of library_p/library_q (Q.log() = log_softmax(Q) for logits, "
                      "P.log() = torch.log(softmax(P))); SciPy on the same arrays; exact = torch "
                      "kl_div(log Q, log P, log_target=True, batchmean) on the normalised rows"),
    })


def libraries_cases():
    libraries_case("lib-uniform-1x3", [[0.36, 0.48, 0.16]], [[1 / 3, 1 / 3, 1 / 3]])
    libraries_case("lib-random-4x5", rand_probs(4, 5), rand_probs(4, 5))
    libraries_case("lib-zeros-in-p-2x4", [[0.5, 0.5, 0.0, 0.0], [0.0, 0.2, 0.3, 0.5]],
                   [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25]], note="P.log() = -inf: the swapped call is inf")
    libraries_case("lib-zeros-in-both-2x4", [[0.5, 0.5, 0.0, 0.0], [0.25, 0.0, 0.25, 0.5]],
                   [[0.25, 0.75, 0.0, 0.0], [0.5, 0.0, 0.3, 0.2]],
                   note="p_i = q_i = 0: torch's kl_div/cross_entropy compute 0·(−inf) = nan")
    libraries_case("lib-counts-normalize-2x4", [[3, 5, 2, 0], [10, 0, 1, 1]], [[1, 1, 1, 1], [2, 3, 5, 4]],
                   normalize=True, note="counts: torch sees counts, SciPy rescales")
    libraries_case("lib-logits-3x4", rand_logits(3, 4), rand_logits(3, 4), p_as="logits", q_as="logits")
    libraries_case("lib-large-logits-2x3", [[2.0, 1.0, 0.0], [0.0, 1e3, -1e3]], [[1.0, 1.0, 1.0], [-1e3, 0.0, 1e3]],
                   p_as="logits", q_as="logits", note="±1e3: softmax underflows to 0")


def kd_cases():
    """Hinton's distillation loss as training code computes it, on the teacher/student samples."""
    samples = Path(__file__).resolve().parents[2] / "samples"
    teacher = np.loadtxt(samples / "teacher.csv", delimiter=",", skiprows=1)
    student = np.loadtxt(samples / "student.csv", delimiter=",", skiprows=1)
    for temperature in (1.0, 2.0, 4.0, 0.5):
        t, s = tt(teacher), tt(student)
        loss = torch.nn.functional.kl_div(torch.log_softmax(s / temperature, 1), torch.softmax(t / temperature, 1),
                                          reduction="batchmean") * temperature * temperature
        KD.append({"id": f"kd-T{temperature:g}", "p": "samples/teacher.csv", "q": "samples/student.csv",
                   "temperature": temperature, "kd_loss": enc(loss.item()),
                   "how": "F.kl_div(F.log_softmax(s/T, 1), F.softmax(t/T, 1), reduction='batchmean') * T * T"})


def main():
    compare_cases()
    js_cases()
    matrix_cases()
    libraries_cases()
    kd_cases()
    doc = {
        "generated_by": "tests/reference/make_measures.py (numpy seed %d); regenerate with: "
                        "/work/refenv/bin/python tests/reference/make_measures.py" % SEED,
        "torch": torch.__version__, "scipy": scipy.__version__, "numpy": np.__version__,
        "mpmath": mpmath.__version__,
        "notes": NOTES,
    }
    lines = ["{"]
    for k, v in doc.items():
        lines.append(f"{json.dumps(k)}: {json.dumps(v, ensure_ascii=False)},")
    for name, cases in (("compare", COMPARE), ("js", JS), ("matrix", MATRIX), ("libraries", LIBRARIES), ("kd", KD)):
        lines.append(f'"{name}": [')
        lines.append(",\n".join(json.dumps(c, allow_nan=False, ensure_ascii=False) for c in cases))
        lines.append("]" + ("," if name != "kd" else ""))
    lines.append("}")
    OUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    json.loads(OUT.read_text(encoding="utf-8"))
    print(f"wrote {OUT}: {len(COMPARE)} compare, {len(JS)} js, {len(MATRIX)} matrix, {len(LIBRARIES)} libraries cases",
          file=sys.stderr)
    for note in NOTES:
        print("note:", note, file=sys.stderr)


if __name__ == "__main__":
    main()
