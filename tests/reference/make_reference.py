"""Generate the reference fixtures in ``tests/reference/cases.json``.

The fixtures record what torch (and SciPy) compute for KL divergence,
cross-entropy and entropy, in float64, so that divcli's test suite can compare
against them without needing torch installed.

How to run (from the repository root; keep the venv outside the repo):

    python3 -m venv /tmp/refenv
    /tmp/refenv/bin/pip install torch==2.13.0 numpy scipy
    /tmp/refenv/bin/python tests/reference/make_reference.py

It rewrites ``tests/reference/cases.json`` (deterministically: fixed seed).

Every case is computed with torch on float64 tensors (entropy with
``scipy.stats.entropy``) and cross-checked by an independent computation:
kl against ``scipy.special.rel_entr``, entropy against torch ``xlogy``, ce
against a plain numpy re-implementation of torch's formulas.  The two must
agree to 1e-12 relative (1e-13 absolute floor).  Where torch yields nan only
because of 0 * log(0) (p_i = 0 where q_i = 0), the expected value is taken
from the zero-convention computation instead and the case's "reference" field
says so.  Non-finite numbers (in inputs and expected values) are written as
the strings "inf", "-inf", "nan".
"""

import json
import math
import sys
import warnings
from pathlib import Path

import numpy as np
import scipy
import scipy.special
import scipy.stats
import torch
import torch.nn.functional as F

SEED = 20240611
BASES = ["e", 2, 10, 3]
SHAPES = [(4, 5), (1, 3), (3, 7)]
KINDS_P = ["probs", "logits", "log-probs", "labels"]
KINDS_Q = ["probs", "logits", "log-probs"]
RTOL = 1e-12
ATOL = 1e-13
OUT = Path(__file__).resolve().with_name("cases.json")

warnings.filterwarnings("ignore", message=".*reduction: 'mean' divides.*")
torch.set_num_threads(1)

rng = np.random.default_rng(SEED)
CASES = []
IDS = set()


# ---------------------------------------------------------------- helpers
def ln_base(base):
    return None if base == "e" else math.log(base)


def base_txt(base):
    return "" if base == "e" else f" / ln {base}"


def fmt_num(x):
    return repr(float(x)).rstrip("0").rstrip(".") if float(x) != int(x) else str(int(x))


def enc(x):
    """JSON-encodable copy with non-finite floats as strings."""
    if isinstance(x, np.ndarray):
        x = x.tolist()
    if isinstance(x, (list, tuple)):
        return [enc(v) for v in x]
    if isinstance(x, dict):
        return {k: enc(v) for k, v in x.items()}
    if isinstance(x, (bool, type(None), str)):
        return x
    if isinstance(x, (int, np.integer)):
        return int(x)
    x = float(x)
    if math.isnan(x):
        return "nan"
    if math.isinf(x):
        return "inf" if x > 0 else "-inf"
    return x


def tt(x):
    return torch.tensor(np.asarray(x, dtype=np.float64), dtype=torch.float64)


def np_softmax(x):
    return scipy.special.softmax(np.asarray(x, dtype=np.float64), axis=1)


def np_log_softmax(x):
    return scipy.special.log_softmax(np.asarray(x, dtype=np.float64), axis=1)


def rand_logits(n, c, scale=2.0):
    return np.round(rng.normal(0.0, scale, size=(n, c)), 6)


def make_operand(kind, n, c):
    if kind == "logits":
        return rand_logits(n, c)
    if kind == "probs":
        p = np_softmax(rand_logits(n, c))
        assert np.all(np.abs(p.sum(1) - 1) < 1e-14)
        return p
    if kind == "log-probs":
        lp = np_log_softmax(rand_logits(n, c))
        assert np.all(np.abs(np.exp(lp).sum(1) - 1) < 1e-14)
        return lp
    if kind == "labels":
        return rng.integers(0, c, size=n)
    raise ValueError(kind)


def one_hot(labels, c):
    return np.eye(c, dtype=np.float64)[np.asarray(labels)]


def scaled(name, T):
    return f"{name}/{fmt_num(T)}" if T is not None else name


def torch_log(x, kind, T, name):
    """Operand as a log-probability tensor, plus the text of how."""
    if T is not None and kind in ("probs", "log-probs"):  # -T softens every kind: log_softmax(log p / T)
        logs = torch.log(tt(x)) if kind == "probs" else tt(x)
        inner = f"log({name})" if kind == "probs" else name
        return F.log_softmax(logs / T, dim=1), f"log_softmax({inner}/{fmt_num(T)})"
    if kind == "probs":
        return torch.log(tt(x)), f"log({name})"
    if kind == "logits":
        v = tt(x) if T is None else tt(x) / T
        return F.log_softmax(v, dim=1), f"log_softmax({scaled(name, T)})"
    if kind == "log-probs":
        return tt(x), name
    raise ValueError(kind)


def torch_prob(x, kind, T, name, c):
    if T is not None and kind in ("probs", "log-probs"):
        logs = torch.log(tt(x)) if kind == "probs" else tt(x)
        inner = f"log({name})" if kind == "probs" else name
        return F.softmax(logs / T, dim=1), f"softmax({inner}/{fmt_num(T)})"
    if kind == "probs":
        return tt(x), name
    if kind == "logits":
        v = tt(x) if T is None else tt(x) / T
        return F.softmax(v, dim=1), f"softmax({scaled(name, T)})"
    if kind == "log-probs":
        return torch.exp(tt(x)), f"exp({name})"
    if kind == "labels":
        return F.one_hot(torch.as_tensor(np.asarray(x)), c).to(torch.float64), f"one_hot({name})"
    raise ValueError(kind)


def np_prob(x, kind, T, c):
    """Independent (scipy/numpy) probability rows."""
    if T is not None and kind in ("probs", "log-probs"):
        with np.errstate(divide="ignore"):
            logs = np.log(np.asarray(x, dtype=np.float64)) if kind == "probs" else np.asarray(x, dtype=np.float64)
        return np_softmax(logs / T)
    if kind == "probs":
        return np.asarray(x, dtype=np.float64)
    if kind == "logits":
        return np_softmax(np.asarray(x) / (T or 1.0))
    if kind == "log-probs":
        return np.exp(np.asarray(x, dtype=np.float64))
    if kind == "labels":
        return one_hot(x, c)
    raise ValueError(kind)


def np_log(x, kind, T):
    if T is not None and kind in ("probs", "log-probs"):
        with np.errstate(divide="ignore"):
            logs = np.log(np.asarray(x, dtype=np.float64)) if kind == "probs" else np.asarray(x, dtype=np.float64)
        return np_log_softmax(logs / T)
    if kind == "probs":
        with np.errstate(divide="ignore"):
            return np.log(np.asarray(x, dtype=np.float64))
    if kind == "logits":
        return np_log_softmax(np.asarray(x) / (T or 1.0))
    if kind == "log-probs":
        return np.asarray(x, dtype=np.float64)
    raise ValueError(kind)


def to_np(v):
    return v.detach().numpy().astype(np.float64) if torch.is_tensor(v) else np.asarray(v, dtype=np.float64)


def close(a, b):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL, equal_nan=True))


def reduce_np(terms, reduction, n):
    if reduction == "none":
        return terms
    total = terms.sum()
    if reduction == "sum":
        return total
    if reduction == "mean":
        return total / terms.size if terms.ndim == 2 else total / n
    if reduction == "batchmean":
        return total / n
    raise ValueError(reduction)


def settle(case_id, torch_val, check_val, zero_ok, note):
    """Pick the expected value: torch's, unless torch is nan only by 0*log0."""
    t = to_np(torch_val)
    c = to_np(check_val)
    if close(t, c):
        return t, False
    if zero_ok and np.any(np.isnan(t)) and not np.any(np.isnan(c)):
        mask = ~np.isnan(t)
        assert close(t[mask], c[mask]) if t.ndim else True, case_id
        return c, True
    raise AssertionError(f"{case_id}: torch {t!r} != cross-check {c!r} ({note})")


def add(case):
    assert case["id"] not in IDS, case["id"]
    IDS.add(case["id"])
    exp = case["expected"]
    case["expected"] = enc(exp.tolist() if isinstance(exp, np.ndarray) and exp.ndim else float(exp))
    CASES.append(case)


# ---------------------------------------------------------------- kl
def kl_case(case_id, p, q, p_as, q_as, reduction, base, T=None, zero_ok=False):
    q = np.asarray(q, dtype=np.float64)
    c = q.shape[1]
    n = max(len(p), len(q))
    logq, qtxt = torch_log(q, q_as, T, "q")
    if p_as == "log-probs":
        (target, ptxt), log_target = torch_log(p, "log-probs", T, "p"), True
    else:
        target, ptxt = torch_prob(p, p_as, T, "p", c)
        log_target = False
    expand = len(p) != len(q)
    if expand:
        logq = logq.expand(n, c)
        target = target.expand(n, c)
    val = F.kl_div(logq, target, reduction=reduction, log_target=log_target)
    lb = ln_base(base)
    if lb is not None:
        val = val / lb
    # independent check: scipy.special.rel_entr on probabilities
    pp = np.broadcast_to(np_prob(p, p_as, T, c), (n, c))
    qp = np.broadcast_to(np_prob(q, q_as, T, c), (n, c))
    if np.any((qp == 0) & (pp > 0)) and q_as != "probs":
        # q underflowed to 0 in probability space (huge logits): use log-space
        lq = np.broadcast_to(np_log(q, q_as, T), (n, c))
        terms = scipy.special.xlogy(pp, pp) - np.where(pp == 0, 0.0, pp * lq)
        how = "xlogy(p,p) - p*scipy.special.log_softmax(q)"
    else:
        terms = scipy.special.rel_entr(pp, qp)
        how = "scipy.special.rel_entr(p, q)"
    chk = reduce_np(terms, reduction, n)
    if lb is not None:
        chk = chk / lb
    expected, fell_back = settle(case_id, val, chk, zero_ok, how)
    lt = ", log_target=True" if log_target else ""
    exp_txt = " (P, Q expanded to %dx%d)" % (n, c) if expand else ""
    if fell_back:
        ref = (f"{how}{exp_txt}, reduction '{reduction}'{base_txt(base)}; "
               f"torch kl_div gives nan here (0 * -inf where p_i = 0)")
    else:
        ref = (f"torch.nn.functional.kl_div({qtxt}, {ptxt}, reduction='{reduction}'{lt}){base_txt(base)}"
               f"{exp_txt}; checked with {how}")
    add({
        "id": case_id, "command": "kl",
        "p": enc(np.asarray(p)), "q": enc(q), "p_as": p_as, "q_as": q_as,
        "reduction": reduction, "base": base,
        "temperature": T, "weight": None, "ignore_index": None, "label_smoothing": None,
        "expected": expected, "reference": ref,
    })


# ---------------------------------------------------------------- ce
def ce_numpy(logq, p, p_as, weight, ignore_index, eps, reduction):
    n, c = logq.shape
    w = np.ones(c) if weight is None else np.asarray(weight, dtype=np.float64)
    eps = eps or 0.0
    if p_as == "labels":
        y = np.asarray(p)
        ii = -100 if ignore_index is None else ignore_index
        keep = y != ii
        ys = np.where(keep, y, 0)
        nll = np.where(keep, -w[ys] * logq[np.arange(n), ys], 0.0)
        denom = w[ys[keep]].sum()
        if eps == 0:
            return {"none": nll, "sum": nll.sum(), "mean": nll.sum() / denom if denom else np.nan}[reduction]
        smooth = np.where(keep, -(logq * w).sum(1), 0.0)
        a = nll if eps < 1 else np.zeros(n)  # torch: (1 - eps) * nll, but 0 * inf would be nan
        if reduction == "none":
            return (1 - eps) * a + (eps / c) * smooth
        if reduction == "sum":
            return (1 - eps) * a.sum() + (eps / c) * smooth.sum()
        if not denom:
            return np.nan
        return (1 - eps) * (a.sum() / denom) + (eps / c) * (smooth.sum() / denom)
    pt = np.asarray(p, dtype=np.float64)
    if eps > 0:
        pt = pt * (1 - eps) + eps / c
    with np.errstate(invalid="ignore"):
        terms = np.where(pt == 0, 0.0, -w * pt * logq)
    loss = terms.sum(1)
    if reduction == "none":
        return loss
    if reduction == "sum":
        return loss.sum()
    return loss.sum() / n


def ce_case(case_id, p, q, p_as, q_as, reduction, base, T=None, weight=None,
            ignore_index=None, eps=None, zero_ok=False):
    q = np.asarray(q, dtype=np.float64)
    n, c = q.shape
    Tq = T  # -T softens every kind (issue 15)
    logq, qtxt = torch_log(q, q_as, Tq, "q")
    if p_as == "labels":
        target, ptxt = torch.as_tensor(np.asarray(p), dtype=torch.long), "p"
        p_np = np.asarray(p)
    else:
        target, ptxt = torch_prob(p, p_as, T, "p", c)
        p_np = np_prob(p, p_as, T, c)
    kw = {"reduction": reduction}
    extra = ""
    if weight is not None:
        kw["weight"] = tt(weight)
        extra += ", weight=w"
    if ignore_index is not None:
        kw["ignore_index"] = ignore_index
        extra += f", ignore_index={ignore_index}"
    if eps is not None:
        kw["label_smoothing"] = eps
        extra += f", label_smoothing={eps}"
    val = F.cross_entropy(logq, target, **kw)
    lb = ln_base(base)
    if lb is not None:
        val = val / lb
    lq_np = np_log(q, q_as, Tq)
    chk = ce_numpy(lq_np, p_np, p_as, weight, ignore_index, eps, reduction)
    if lb is not None:
        chk = chk / lb
    expected, fell_back = settle(case_id, val, chk, zero_ok, "numpy ce")
    call = f"torch.nn.functional.cross_entropy({qtxt}, {ptxt}, reduction='{reduction}'{extra}){base_txt(base)}"
    if fell_back:
        ref = (f"by hand (numpy, torch's formula with 0*log 0 = 0): {call} gives nan here "
               f"(0 * -inf)")
    else:
        ref = call + "; checked with numpy"
    add({
        "id": case_id, "command": "ce",
        "p": enc(np.asarray(p)), "q": enc(q), "p_as": p_as, "q_as": q_as,
        "reduction": reduction, "base": base, "temperature": T,
        "weight": enc(weight) if weight is not None else None,
        "ignore_index": ignore_index, "label_smoothing": eps,
        "expected": expected, "reference": ref,
    })


# ---------------------------------------------------------------- entropy
def entropy_case(case_id, p, p_as, reduction, base, T=None):
    p_arr = np.asarray(p)
    c = p_arr.shape[1] if p_as != "labels" else int(p_arr.max()) + 1
    pp = np_prob(p, p_as, T, c)
    sb = None if base == "e" else base
    rows = scipy.stats.entropy(pp, axis=1, base=sb)
    n = len(pp)
    expected = reduce_np(rows, reduction, n)
    # cross-check with torch xlogy
    tp, _ = torch_prob(p, p_as, T, "p", c)
    trow = -torch.special.xlogy(tp, tp).sum(1)
    lb = ln_base(base)
    if lb is not None:
        trow = trow / lb
    tval = {"none": trow, "sum": trow.sum(), "mean": trow.sum() / n}[reduction]
    assert close(expected, to_np(tval)), (case_id, expected, tval)
    src = {"probs": "p", "logits": f"softmax({scaled('p', T)})", "log-probs": "exp(p)",
           "labels": "one_hot(p)"}[p_as]
    red = {"none": "", "sum": ".sum()", "mean": ".mean()"}[reduction]
    ref = (f"scipy.stats.entropy({src}, axis=1{'' if sb is None else f', base={sb}'}){red}; "
           f"checked with torch -xlogy(p,p).sum(1)")
    add({
        "id": case_id, "command": "entropy",
        "p": enc(p_arr), "q": None, "p_as": p_as, "q_as": None,
        "reduction": reduction, "base": base, "temperature": T,
        "weight": None, "ignore_index": None, "label_smoothing": None,
        "expected": expected, "reference": ref,
    })


def bname(base):
    return "basee" if base == "e" else f"base{base}"


def tname(T):
    return "" if T is None else "-T" + fmt_num(T)


# ================================================================ cases
def seed_cases():
    p1 = [[9 / 25, 12 / 25, 4 / 25]]
    q1 = [[1 / 3, 1 / 3, 1 / 3]]
    kl_case("seed-kl-probs-probs-batchmean", p1, q1, "probs", "probs", "batchmean", "e")
    q2 = [[-0.2886, -1.1185, -0.3406, -0.2233, -1.4214],
          [0.7044, -0.1608, 1.4654, 1.3905, 0.5196],
          [-0.8406, 1.6600, 1.9194, 0.8524, 0.8311]]
    y2 = [2, 4, 1]
    ce_case("seed-ce-labels-logits-mean", y2, q2, "labels", "logits", "mean", "e")
    ce_case("seed-ce-onehot-probs-logits-mean", one_hot(y2, 5), q2, "probs", "logits", "mean", "e")
    kl_case("seed-kl-onehot-probs-logits-batchmean", one_hot(y2, 5), q2, "probs", "logits", "batchmean", "e")
    kl_case("seed-kl-labels-logits-batchmean", y2, q2, "labels", "logits", "batchmean", "e")
    p3 = [[-0.7, 0.1, -0.1, 0.1]]
    q3 = [[-0.1, 0.2, -0.4, 0.3]]
    for r in ["none", "mean", "sum", "batchmean"]:
        kl_case(f"seed-kl-logits-logits-{r}", p3, q3, "logits", "logits", r, "e")
    want = {
        "seed-kl-probs-probs-batchmean": 0.0852996013,
        "seed-ce-labels-logits-mean": 1.5333611167,
        "seed-ce-onehot-probs-logits-mean": 1.5333611167,
        "seed-kl-onehot-probs-logits-batchmean": 1.5333611167,
        "seed-kl-labels-logits-batchmean": 1.5333611167,
        "seed-kl-logits-logits-mean": 0.0097,
        "seed-kl-logits-logits-sum": 0.0389,
    }
    got = {c["id"]: c["expected"] for c in CASES}
    for k, v in want.items():
        assert abs(got[k] - v) < 10 ** -(len(repr(v).split(".")[1])) / 2 + 1e-15, (k, got[k], v)
    none = got["seed-kl-logits-logits-none"][0]
    assert [round(x, 4) for x in none] == [-0.0635, 0.0116, 0.1097, -0.019], none


def kl_cases():
    i = 0
    for p_as in KINDS_P:
        for q_as in KINDS_Q:
            for r in ["none", "sum", "mean", "batchmean"]:
                for base in BASES:
                    n, c = SHAPES[i % 3]
                    i += 1
                    p = make_operand(p_as, n, c)
                    q = make_operand(q_as, n, c)
                    kl_case(f"kl-{p_as}-{q_as}-{r}-{bname(base)}-{n}x{c}", p, q, p_as, q_as, r, base)
    # temperature
    j = 0
    for p_as, q_as in [("logits", "logits"), ("logits", "probs"), ("logits", "log-probs"),
                       ("probs", "logits"), ("log-probs", "logits"), ("labels", "logits")]:
        for T in [2.0, 0.5]:
            for r in ["batchmean", "none", "sum"]:
                base = BASES[j % 4]
                n, c = SHAPES[j % 3]
                j += 1
                p = make_operand(p_as, n, c)
                q = make_operand(q_as, n, c)
                kl_case(f"kl-{p_as}-{q_as}-{r}-{bname(base)}-{n}x{c}{tname(T)}", p, q, p_as, q_as, r, base, T=T)
    # broadcasting: P 1 row / Q 4 rows, and the reverse
    j = 0
    for p_as, q_as in [("probs", "probs"), ("logits", "logits"), ("log-probs", "probs")]:
        for r in ["none", "sum", "mean", "batchmean"]:
            base = BASES[j % 4]
            j += 1
            p = make_operand(p_as, 1, 5)
            q = make_operand(q_as, 4, 5)
            kl_case(f"kl-bcast-p1-q4-{p_as}-{q_as}-{r}-{bname(base)}", p, q, p_as, q_as, r, base)
            p = make_operand(p_as, 4, 5)
            q = make_operand(q_as, 1, 5)
            kl_case(f"kl-bcast-p4-q1-{p_as}-{q_as}-{r}-{bname(base)}", p, q, p_as, q_as, r, base)
    kl_case("kl-bcast-p1-q4-logits-logits-batchmean-base2-T2", make_operand("logits", 1, 5),
            make_operand("logits", 4, 5), "logits", "logits", "batchmean", 2, T=2.0)


def kl_zero_cases():
    # P = 0 where Q = 0 -> term 0 (torch: nan); P > 0 where Q = 0 -> inf
    pz = [[0.5, 0.5, 0.0, 0.0], [0.25, 0.0, 0.25, 0.5], [0.1, 0.2, 0.3, 0.4]]
    qz = [[0.25, 0.75, 0.0, 0.0], [0.5, 0.0, 0.3, 0.2], [0.1, 0.2, 0.3, 0.4]]
    qinf = [[0.25, 0.75, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.4, 0.3, 0.2, 0.1]]
    pzero_only = [[0.0, 0.5, 0.5, 0.0], [0.2, 0.3, 0.0, 0.5], [1.0, 0.0, 0.0, 0.0]]
    qpos = [[0.1, 0.2, 0.3, 0.4], [0.25, 0.25, 0.25, 0.25], [0.7, 0.1, 0.1, 0.1]]
    with np.errstate(divide="ignore"):
        lpz, lqz, lqinf = np.log(pz), np.log(qz), np.log(qinf)
        lp0 = np.log(pzero_only)
    for k, r in enumerate(["none", "sum", "mean", "batchmean"]):
        base = BASES[k]
        kl_case(f"kl-zero-pq0-probs-probs-{r}-{bname(base)}", pz, qz, "probs", "probs", r, base, zero_ok=True)
        kl_case(f"kl-zero-inf-probs-probs-{r}-{bname(base)}", pz, qinf, "probs", "probs", r, base, zero_ok=True)
        kl_case(f"kl-zero-p0-probs-probs-{r}-{bname(base)}", pzero_only, qpos, "probs", "probs", r, base)
        kl_case(f"kl-zero-pq0-logprobs-logprobs-{r}-{bname(base)}", lpz, lqz, "log-probs", "log-probs", r, base,
                zero_ok=True)
    for k, r in enumerate(["none", "batchmean"]):
        kl_case(f"kl-zero-p0-logprobs-probs-{r}-{bname(BASES[k])}", lp0, qpos, "log-probs", "probs", r, BASES[k],
                zero_ok=True)
    kl_case("kl-zero-inf-logprobs-probs-sum-basee", lpz, qinf, "log-probs", "probs", "sum", "e", zero_ok=True)
    kl_case("kl-zero-labels-probs-none-basee", [0, 3, 2], qz, "labels", "probs", "none", "e", zero_ok=True)
    kl_case("kl-zero-labels-probs-batchmean-base2", [0, 3, 2], qz, "labels", "probs", "batchmean", 2,
            zero_ok=True)
    kl_case("kl-zero-labels-inf-probs-sum-basee", [2, 0, 1], qinf, "labels", "probs", "sum", "e", zero_ok=True)


def kl_large_cases():
    pl = [[1e4, -1e4, 0.0, 5000.0], [-1e4, -1e4, 1e4, 1e4], [0.0, 1e4, -5000.0, 1.0]]
    ql = [[-1e4, 1e4, 0.0, 5000.0], [1e4, -1e4, 1e4, 9999.0], [0.0, 1e4, -1e4, 2.0]]
    for k, r in enumerate(["none", "sum", "mean", "batchmean"]):
        base = BASES[k]
        kl_case(f"kl-large-logits-logits-{r}-{bname(base)}", pl, ql, "logits", "logits", r, base)
    kl_case("kl-large-logits-logits-batchmean-basee-T2", pl, ql, "logits", "logits", "batchmean", "e", T=2.0)
    kl_case("kl-large-logits-logits-sum-base2-T0.5", pl, ql, "logits", "logits", "sum", 2, T=0.5)
    kl_case("kl-large-probs-logits-batchmean-basee", np_softmax(pl), ql, "probs", "logits", "batchmean", "e")
    kl_case("kl-large-labels-logits-none-basee", [0, 2, 1], ql, "labels", "logits", "none", "e")


def ce_cases():
    j = 0
    for p_as in ["labels", "probs"]:
        for q_as in KINDS_Q:
            for r in ["none", "sum", "mean"]:
                for wname in ["now", "w"]:
                    for eps in [None, 0.1, 1.0]:
                        base = BASES[j % 4]
                        n, c = SHAPES[j % 3]
                        j += 1
                        p = make_operand(p_as, n, c)
                        q = make_operand(q_as, n, c)
                        w = np.round(rng.uniform(0.2, 3.0, size=c), 3).tolist() if wname == "w" else None
                        ls = "ls0" if eps is None else f"ls{fmt_num(eps)}"
                        ce_case(f"ce-{p_as}-{q_as}-{r}-{wname}-{ls}-{bname(base)}-{n}x{c}", p, q, p_as, q_as, r,
                                base, weight=w, eps=eps)
    # explicit label_smoothing 0.0 and temperature on Q logits
    ce_case("ce-labels-logits-mean-now-ls0explicit-basee-4x5", make_operand("labels", 4, 5),
            make_operand("logits", 4, 5), "labels", "logits", "mean", "e", eps=0.0)
    for k, (p_as, T) in enumerate([("labels", 2.0), ("labels", 0.5), ("probs", 2.0), ("probs", 0.5)]):
        for r in ["none", "mean"]:
            base = BASES[(k + len(r)) % 4]
            ce_case(f"ce-{p_as}-logits-{r}-now-ls0-{bname(base)}-4x5{tname(T)}", make_operand(p_as, 4, 5),
                    make_operand("logits", 4, 5), p_as, "logits", r, base, T=T)
    # other P kinds as probability targets (softmax of logits / exp of log-probs)
    for k, p_as in enumerate(["logits", "log-probs"]):
        for q_as in ["logits", "probs"]:
            for r in ["none", "mean"]:
                base = BASES[(k + len(q_as) + len(r)) % 4]
                ce_case(f"ce-{p_as}-{q_as}-{r}-now-ls0-{bname(base)}-3x7", make_operand(p_as, 3, 7),
                        make_operand(q_as, 3, 7), p_as, q_as, r, base)
    ce_case("ce-logits-logits-mean-w-ls0.1-base2-3x7-T2", make_operand("logits", 3, 7),
            make_operand("logits", 3, 7), "logits", "logits", "mean", 2, T=2.0,
            weight=np.round(rng.uniform(0.2, 3.0, size=7), 3).tolist(), eps=0.1)


def ce_ignore_cases():
    j = 0
    setups = [
        ("ignore-default", [1, -100, 4, -100, 0, 2], None),
        ("ignore3", [3, 1, 3, 0, 4, 2], 3),
    ]
    for name, labels, ii in setups:
        for q_as in ["logits", "probs"]:
            for r in ["none", "sum", "mean"]:
                for wname in ["now", "w"]:
                    for eps in [None, 0.1]:
                        base = BASES[j % 4]
                        j += 1
                        q = make_operand(q_as, 6, 5)
                        w = [0.5, 2.0, 1.25, 3.0, 0.75] if wname == "w" else None
                        ls = "ls0" if eps is None else f"ls{fmt_num(eps)}"
                        ce_case(f"ce-{name}-labels-{q_as}-{r}-{wname}-{ls}-{bname(base)}", labels, q, "labels",
                                q_as, r, base, weight=w, ignore_index=ii, eps=eps)
    q = make_operand("log-probs", 6, 5)
    ce_case("ce-ignore3-labels-log-probs-mean-w-ls1-base10", [3, 1, 3, 0, 4, 2], q, "labels", "log-probs",
            "mean", 10, weight=[0.5, 2.0, 1.25, 3.0, 0.75], ignore_index=3, eps=1.0)
    # every row ignored: torch's mean is 0/0 = nan, sum is 0
    q = make_operand("logits", 3, 4)
    ce_case("ce-ignore-all-labels-logits-mean-basee", [-100, -100, -100], q, "labels", "logits", "mean", "e")
    ce_case("ce-ignore-all-labels-logits-sum-basee", [-100, -100, -100], q, "labels", "logits", "sum", "e")


def ce_zero_cases():
    pz = [[0.5, 0.5, 0.0, 0.0], [0.25, 0.0, 0.25, 0.5], [0.1, 0.2, 0.3, 0.4]]
    qz = [[0.25, 0.75, 0.0, 0.0], [0.5, 0.0, 0.3, 0.2], [0.1, 0.2, 0.3, 0.4]]
    qinf = [[0.25, 0.75, 0.0, 0.0], [0.5, 0.5, 0.0, 0.0], [0.4, 0.3, 0.2, 0.1]]
    w = [1.5, 0.5, 2.0, 1.0]
    for k, r in enumerate(["none", "sum", "mean"]):
        base = BASES[k]
        ce_case(f"ce-zero-pq0-probs-probs-{r}-now-{bname(base)}", pz, qz, "probs", "probs", r, base, zero_ok=True)
        ce_case(f"ce-zero-pq0-probs-probs-{r}-w-{bname(base)}", pz, qz, "probs", "probs", r, base, weight=w,
                zero_ok=True)
        ce_case(f"ce-zero-inf-probs-probs-{r}-now-{bname(base)}", pz, qinf, "probs", "probs", r, base,
                zero_ok=True)
        # labels on a class where q = 0 -> inf; labels elsewhere with q zeros -> finite
        ce_case(f"ce-zero-inf-labels-probs-{r}-now-{bname(base)}", [2, 0, 1], qinf, "labels", "probs", r, base)
        ce_case(f"ce-zero-finite-labels-probs-{r}-now-{bname(base)}", [1, 3, 0], qz, "labels", "probs", r, base)
    # label smoothing spreads mass onto q = 0 classes -> inf
    ce_case("ce-zero-labels-probs-mean-now-ls0.1-basee", [1, 3, 0], qz, "labels", "probs", "mean", "e", eps=0.1)
    ce_case("ce-zero-probs-probs-none-now-ls0.1-basee", pz, qz, "probs", "probs", "none", "e", eps=0.1,
            zero_ok=True)
    # eps = 1 with q = 0 at the label: torch computes 0 * inf = nan for the nll part
    ce_case("ce-zero-labels-probs-none-now-ls1-basee", [2, 0, 1], qinf, "labels", "probs", "none", "e", eps=1.0,
            zero_ok=True)
    with np.errstate(divide="ignore"):
        ce_case("ce-zero-pq0-probs-log-probs-sum-now-base2", pz, np.log(qz), "probs", "log-probs", "sum", 2,
                zero_ok=True)


def ce_large_cases():
    ql = [[-1e4, 1e4, 0.0, 5000.0], [1e4, -1e4, 1e4, 9999.0], [0.0, 1e4, -1e4, 2.0]]
    pl = [[1e4, -1e4, 0.0, 5000.0], [-1e4, -1e4, 1e4, 1e4], [0.0, 1e4, -5000.0, 1.0]]
    for k, r in enumerate(["none", "sum", "mean"]):
        base = BASES[k]
        ce_case(f"ce-large-labels-logits-{r}-{bname(base)}", [0, 2, 1], ql, "labels", "logits", r, base)
        ce_case(f"ce-large-probs-logits-{r}-{bname(base)}", np_softmax(pl), ql, "probs", "logits", r, base)
    ce_case("ce-large-labels-logits-mean-w-ls0.1-basee", [0, 2, 1], ql, "labels", "logits", "mean", "e",
            weight=[1.0, 2.0, 0.5, 1.5], eps=0.1)
    ce_case("ce-large-labels-logits-mean-basee-T2", [0, 2, 1], ql, "labels", "logits", "mean", "e", T=2.0)


def entropy_cases():
    j = 0
    for p_as in KINDS_P:
        for r in ["none", "sum", "mean"]:
            for base in BASES:
                n, c = SHAPES[j % 3]
                j += 1
                p = make_operand(p_as, n, c)
                entropy_case(f"entropy-{p_as}-{r}-{bname(base)}-{n}x{c}", p, p_as, r, base)
    for k, T in enumerate([2.0, 0.5]):
        for r in ["none", "mean"]:
            base = BASES[(k * 2 + len(r)) % 4]
            entropy_case(f"entropy-logits-{r}-{bname(base)}-4x5{tname(T)}", make_operand("logits", 4, 5),
                         "logits", r, base, T=T)
    pz = [[0.5, 0.5, 0.0, 0.0], [0.25, 0.0, 0.25, 0.5], [1.0, 0.0, 0.0, 0.0]]
    with np.errstate(divide="ignore"):
        lpz = np.log(pz)
    for k, r in enumerate(["none", "sum", "mean"]):
        entropy_case(f"entropy-zero-probs-{r}-{bname(BASES[k])}", pz, "probs", r, BASES[k])
        entropy_case(f"entropy-zero-log-probs-{r}-{bname(BASES[k + 1])}", lpz, "log-probs", r, BASES[k + 1])
    pl = [[1e4, -1e4, 0.0, 5000.0], [-1e4, -1e4, 1e4, 1e4], [0.0, 1e-4, -5000.0, 1.0]]
    entropy_case("entropy-large-logits-none-basee", pl, "logits", "none", "e")
    entropy_case("entropy-large-logits-mean-base2", pl, "logits", "mean", 2)
    entropy_case("entropy-large-logits-sum-base3-T0.5", pl, "logits", "sum", 3, T=0.5)


def main():
    seed_cases()
    kl_cases()
    kl_zero_cases()
    kl_large_cases()
    ce_cases()
    ce_ignore_cases()
    ce_zero_cases()
    ce_large_cases()
    entropy_cases()
    head = {
        "generated_by": f"tests/reference/make_reference.py (numpy seed {SEED}); regenerate with: "
                        "pip install torch==2.13.0 numpy scipy && python tests/reference/make_reference.py",
        "torch": torch.__version__,
        "scipy": scipy.__version__,
        "numpy": np.__version__,
    }
    lines = ["{"]
    for k, v in head.items():
        lines.append(f"{json.dumps(k)}: {json.dumps(v)},")
    lines.append('"cases": [')
    lines.append(",\n".join(json.dumps(c, allow_nan=False) for c in CASES))
    lines.append("]}")
    OUT.write_text("\n".join(lines) + "\n")
    json.loads(OUT.read_text())  # sanity: valid JSON
    counts = {}
    for c in CASES:
        counts[c["command"]] = counts.get(c["command"], 0) + 1
    print(f"wrote {len(CASES)} cases to {OUT} ({OUT.stat().st_size} bytes): {counts}", file=sys.stderr)


if __name__ == "__main__":
    main()
