"""divcli's compare, js, matrix and libraries against SciPy, torch and mpmath (tests/reference/measures.json).

The fixtures and the script that made them (make_measures.py, run with SciPy and torch in float64) are
committed; neither library is needed here. Each case runs through the command line (operands written as
files, ``-f json`` parsed back) and must agree to 1e-9 relative, with a 1e-15 absolute floor for values
near 0. Measures SciPy lacks are checked against the 60-digit mpmath values in the fixtures, against
formulas worked by hand with ``math``, and against the inequalities that bind them.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from helpers.files import write_rows

#: numbers computed with numpy's exp and log (make test runs them again with AVX-512 off), in a sweep over
#: the reference fixture (one case per family under make test-fast: helpers.sweeps)
pytestmark = [pytest.mark.numeric, pytest.mark.sweep]

FIXTURES = json.loads((Path(__file__).resolve().parents[1] / "reference" / "measures.json").read_text(encoding="utf-8"))
COMPARE, JS, MATRIX, LIBRARIES = FIXTURES["compare"], FIXTURES["js"], FIXTURES["matrix"], FIXTURES["libraries"]
RTOL, ATOL = 1e-9, 1e-15
BASES = ["e", "2"]
LN2 = math.log(2)

#: What SciPy has no function for: checked against mpmath, hand formulas and inequalities.
NO_SCIPY = ["total_variation", "hellinger", "bhattacharyya_coefficient", "bhattacharyya_distance",
            "renyi_0.5", "renyi_2"]
SYMMETRIC = ["jeffreys", "js_divergence", "js_distance", "total_variation", "hellinger",
             "bhattacharyya_coefficient", "bhattacharyya_distance", "wasserstein_1"]
SWAPPED = [("kl_pq", "kl_qp"), ("chi2_pearson", "chi2_neyman"), ("entropy_p", "entropy_q"),
           ("perplexity_p", "perplexity_q")]

#: Where divcli disagrees with the reference (reported to the lead; strict, so a fix shows up as XPASS).
_UNDERFLOW = ("χ² and Rényi of order 2 are computed from float64 probabilities (or masked where p underflows "
              "to 0) although the logs from the logits are finite: the exact value is far from divcli's")
_TORCH_NAN = ("torch itself returns nan here (0·log 0 = 0·(−inf) where p_i = q_i = 0); divcli reports the "
              "zero-convention value as what torch returns")
KNOWN: dict[str, str] = {}  # test id → why divcli is known to disagree (strict xfail)


def known(test_id: str):
    reason = KNOWN.get(test_id)
    return [pytest.mark.xfail(strict=True, reason=reason)] if reason else []


def num(x) -> float:
    return float(x) if isinstance(x, str) else float(x)


def close(actual, expected, rtol=RTOL, atol=ATOL) -> bool:
    a, e = num(actual), num(expected)
    if math.isnan(e):
        return math.isnan(a)
    if math.isinf(e) or math.isinf(a):
        return a == e
    return abs(a - e) <= atol + rtol * abs(e)


def assert_close(actual, expected, what, rtol=RTOL, atol=ATOL):
    assert actual is not None, f"{what}: missing"
    assert close(actual, expected, rtol, atol), f"{what}: divcli {actual!r}, reference {expected!r}"


def reduce(values, how):
    values = [num(v) for v in values]
    total = math.fsum(values) if not any(math.isinf(v) for v in values) else math.inf
    return total if how == "sum" else total / len(values)


# ---------------------------------------------------------------- running divcli
def operand_file(path, rows):
    return write_rows(path, rows if isinstance(rows[0], list) else [int(v) for v in rows])


def compare_args(case, tmp_path, base, reduction="none", swap=False):
    p = operand_file(tmp_path / "p.csv", case["p"])
    q = operand_file(tmp_path / "q.csv", case["q"])
    p_as, q_as = case["p_as"], case["q_as"]
    if swap:
        p, q, p_as, q_as = q, p, q_as, p_as
    args = ["compare", p, q, "--p-as", p_as, "--q-as", q_as, "--base", base, "--reduction", reduction]
    if case["temperature"] != 1.0:
        args += ["-T", repr(case["temperature"])]
    if case["normalize"]:
        args.append("--normalize")
    if case["ordered"]:
        args.append("--ordered")
    return args


@pytest.fixture
def compare(run_json, tmp_path):
    def invoke(case, base, reduction="none", swap=False):
        return run_json(*compare_args(case, tmp_path, base, reduction, swap))

    return invoke


def _cases(cases, *extra, xfail=()):
    """(case, base[, extra]) parameters with ids; those in ``xfail`` marked as KNOWN says."""
    params = []
    for case in cases:
        for base in BASES:
            for more in extra or [None]:
                tail = () if more is None else (more,)
                test_id = "-".join([case["id"], f"base{base}", *map(str, tail)])
                marked = known(test_id) if test_id in xfail else []
                params.append(pytest.param(case, base, *tail, id=test_id, marks=marked))
    return params


# ---------------------------------------------------------------- compare
@pytest.mark.parametrize("case, base", _cases(COMPARE))
def test_compare_rows_match_scipy_and_torch(case, base, compare, request):
    """Per row, every key SciPy or torch has, in both bases (nats and bits)."""
    doc = compare(case, base)
    rows = doc["rows"]
    assert len(rows) == case["n_rows"] and doc["value"] is None
    limits = {(lim["row"], lim["key"]) for lim in case["float64_limits"] if str(lim["base"]) == base}
    failures = []
    for i, expected in enumerate(case["expected"][base]):
        for key, value in expected.items():
            if not case["ordered"] and key == "wasserstein_1":
                assert key not in rows[i]
                continue
            if (i + 1, key) in limits:
                continue  # SciPy itself is off here: see test_compare_where_scipy_loses_digits
            if not close(rows[i].get(key), value):
                failures.append(f"row {i + 1} {key}: divcli {rows[i].get(key)!r}, reference {value!r} "
                                f"({case['reference'][key]})")
    assert not failures, f"{case['id']} base {base}:\n" + "\n".join(failures)


@pytest.mark.parametrize("case, base", _cases([c for c in COMPARE if c["float64_limits"]],
                                               xfail={"near-identical-3x6-basee", "near-identical-3x6-base2"}))
def test_compare_where_scipy_loses_digits(case, base, compare):
    """Near-identical rows: SciPy's jensenshannon loses digits to cancellation; the exact value decides."""
    rows = compare(case, base)["rows"]
    for lim in case["float64_limits"]:
        if str(lim["base"]) == base:
            assert_close(rows[lim["row"] - 1][lim["key"]], lim["mpmath"], f"{case['id']} row {lim['row']} {lim['key']}")


@pytest.mark.parametrize("case, base", _cases(COMPARE, xfail={
    "large-logits-3x3-basee", "large-logits-3x3-base2", "underflow-both-1x3-basee", "underflow-both-1x3-base2"}))
def test_compare_measures_scipy_lacks_match_exact_values(case, base, compare):
    """TV, Hellinger, Bhattacharyya and Rényi against the formula at 60 digits (mpmath)."""
    rows = compare(case, base)["rows"]
    failures = []
    for i, exact in enumerate(case["mpmath"][base]):
        for key in NO_SCIPY:
            if not close(rows[i][key], exact[key]):
                failures.append(f"row {i + 1} {key}: divcli {rows[i][key]!r}, exact {exact[key]!r}")
    assert not failures, f"{case['id']} base {base}:\n" + "\n".join(failures)


SCIPY_NAN = [pytest.param(case, entry, id=f"{case['id']}-row{entry['row']}-{entry['key']}",
                          marks=known(f"{case['id']}-row{entry['row']}-{entry['key']}"))
             for case in COMPARE for entry in case["scipy_nan"]]


@pytest.mark.parametrize("case, entry", SCIPY_NAN)
def test_compare_where_scipy_answers_nan(case, entry, compare):
    """χ² where SciPy's power_divergence answers nan (0/0, or 0·inf for Neyman with p_i = 0).

    divcli follows its documented convention (+inf where a x²/0 term is needed, 0 for 0/0); where the
    operands are logits, the exact value (mpmath, from the logits) decides."""
    got = compare(case, "e")["rows"][entry["row"] - 1][entry["key"]]
    expected = entry["mpmath"] if "logits" in (case["p_as"], case["q_as"]) else entry["convention"]
    assert_close(got, expected, f"{case['id']} row {entry['row']} {entry['key']} ({entry['why']})")
    if num(entry["convention"]) == math.inf:
        assert got == "inf"


@pytest.mark.parametrize("case, base, reduction", _cases(COMPARE, "sum", "mean"))
def test_compare_reductions(case, base, reduction, compare):
    """--reduction sum/mean: value is the sum/mean of the per-row values, and equals reductions[...]."""
    doc = compare(case, base, reduction)
    assert doc["reduction"] == reduction
    assert doc["value"] == doc["reductions"][reduction]
    failures = []
    for key in doc["value"]:
        expected_rows = [row[key] for row in case["expected"][base] if key in row]
        got_rows = [row[key] for row in doc["rows"]]
        if not close(doc["value"][key], reduce(got_rows, reduction), 1e-12, 1e-16):
            failures.append(f"{key}: value {doc['value'][key]!r} is not the {reduction} of the rows")
        lim = any(lm["key"] == key and str(lm["base"]) == base for lm in case["float64_limits"])
        if len(expected_rows) == case["n_rows"] and not lim:
            if not close(doc["value"][key], reduce(expected_rows, reduction)):
                failures.append(f"{key}: divcli {doc['value'][key]!r}, "
                                f"SciPy/torch {reduce(expected_rows, reduction)!r}")
    assert not failures, f"{case['id']} base {base} {reduction}:\n" + "\n".join(failures)


@pytest.mark.parametrize("case, base", _cases(COMPARE))
def test_compare_none_carries_both_reductions(case, base, compare):
    doc = compare(case, base)
    for how in ("sum", "mean"):
        for key, value in doc["reductions"][how].items():
            assert_close(value, reduce([row[key] for row in doc["rows"]], how), f"{case['id']} {how} {key}", 1e-12,
                         1e-16)


# ---------------------------------------------------------------- properties
@pytest.mark.parametrize("case, base", _cases(COMPARE))
def test_compare_inequalities(case, base, compare):
    """JS ≤ log 2; Pinsker TV ≤ √(KL/2); H² ≤ TV ≤ √2·H; Rényi ½ ≤ KL ≤ Rényi 2; 0 ≤ BC ≤ 1."""
    scale = 1.0 if base == "e" else math.log(float(base))
    slack = 1e-12
    for i, row in enumerate(compare(case, base)["rows"], 1):
        r = {k: num(v) for k, v in row.items() if k != "row"}
        where = f"{case['id']} base {base} row {i}: {r}"
        assert 0 <= r["js_divergence"] <= LN2 / scale * (1 + slack), where
        assert r["js_distance"] <= math.sqrt(LN2 / scale) * (1 + slack), where
        kl_nats = r["kl_pq"] * scale
        assert r["total_variation"] <= math.sqrt(kl_nats / 2) * (1 + slack) + 1e-15, where
        h = r["hellinger"]
        assert h * h <= r["total_variation"] * (1 + slack) + 1e-15, where
        assert r["total_variation"] <= math.sqrt(2) * h * (1 + slack) + 1e-15, where
        assert r["renyi_0.5"] <= r["kl_pq"] * (1 + slack) + 1e-15, where
        assert r["kl_pq"] <= r["renyi_2"] * (1 + slack) + 1e-15, where
        assert -1e-15 <= r["bhattacharyya_coefficient"] <= 1 + 1e-15, where


@pytest.mark.parametrize("case, base", _cases(COMPARE, xfail={"large-logits-3x3-basee", "large-logits-3x3-base2"}))
def test_compare_identities(case, base, compare):
    """Rényi ½ = 2·Bhattacharyya distance; H(P,Q) = H(P) + D(P‖Q); Jeffreys = KL + reverse KL."""
    for i, row in enumerate(compare(case, base)["rows"], 1):
        r = {k: num(v) for k, v in row.items() if k != "row"}
        where = f"{case['id']} base {base} row {i}: {r}"
        assert close(r["renyi_0.5"], 2 * r["bhattacharyya_distance"], 1e-12, 1e-15), where
        assert close(r["cross_entropy"], r["entropy_p"] + r["kl_pq"], 1e-9, 1e-14), where
        assert close(r["jeffreys"], r["kl_pq"] + r["kl_qp"], 1e-12, 1e-15), where


@pytest.mark.parametrize("case, base", _cases(COMPARE))
def test_compare_renyi_2_is_log_one_plus_pearson(case, base, compare):
    """D₂(P‖Q) = log Σ p²/q = log(1 + χ²_Pearson): the two must agree with each other (χ² may overflow
    to inf where Rényi, in log space, is still finite: then Rényi is beyond log of the largest float)."""
    scale = 1.0 if base == "e" else math.log(float(base))
    for i, row in enumerate(compare(case, base)["rows"], 1):
        chi2, renyi_2 = num(row["chi2_pearson"]), num(row["renyi_2"])
        if chi2 == math.inf:
            assert renyi_2 * scale > 709, f"{case['id']} row {i}: chi2 inf, renyi_2 {renyi_2!r}"
            continue
        assert close(renyi_2, math.log1p(chi2) / scale, 1e-9, 1e-15), \
            f"{case['id']} base {base} row {i}: renyi_2 {renyi_2!r}, log(1 + chi2_pearson {chi2!r}) / ln b"


@pytest.mark.parametrize("case, base", _cases([c for c in COMPARE if c["p_as"] != "labels"]))
def test_compare_symmetric_measures_equal_when_swapped(case, base, compare):
    forward, backward = compare(case, base)["rows"], compare(case, base, swap=True)["rows"]
    for i, (f, b) in enumerate(zip(forward, backward), 1):
        for key in SYMMETRIC:
            if key in f:
                assert_close(b[key], f[key], f"{case['id']} row {i} {key} swapped", 1e-12, 1e-15)
        for one, other in SWAPPED:
            assert_close(b[one], f[other], f"{case['id']} row {i} {one} swapped ↔ {other}", 1e-12, 1e-15)


# ---------------------------------------------------------------- hand-worked: P = [.36, .48, .16], Q uniform
P_HAND, Q_HAND = [0.36, 0.48, 0.16], [1 / 3, 1 / 3, 1 / 3]


def hand_values():
    p, q = P_HAND, Q_HAND
    kl_pq = math.fsum(a * math.log(a / b) for a, b in zip(p, q))
    kl_qp = math.fsum(b * math.log(b / a) for a, b in zip(p, q))
    bc = math.fsum(math.sqrt(a * b) for a, b in zip(p, q))
    h_p = -math.fsum(a * math.log(a) for a in p)
    h_q = -math.fsum(b * math.log(b) for b in q)
    return {
        "total_variation": 0.5 * math.fsum(abs(a - b) for a, b in zip(p, q)),
        "bhattacharyya_coefficient": bc,
        "hellinger": math.sqrt(1 - bc),
        "bhattacharyya_distance": -math.log(bc),
        "renyi_0.5": -2 * math.log(bc),
        "renyi_2": math.log(math.fsum(a * a / b for a, b in zip(p, q))),
        "kl_pq": kl_pq, "kl_qp": kl_qp, "jeffreys": kl_pq + kl_qp,
        "chi2_pearson": math.fsum((a - b) ** 2 / b for a, b in zip(p, q)),
        "chi2_neyman": math.fsum((a - b) ** 2 / a for a, b in zip(p, q)),
        "cross_entropy": -math.fsum(a * math.log(b) for a, b in zip(p, q)),
        "entropy_p": h_p, "entropy_q": h_q,
        "perplexity_p": math.exp(h_p), "perplexity_q": math.exp(h_q),
        "wasserstein_1": abs(p[0] - q[0]) + abs(p[0] + p[1] - q[0] - q[1]),
    }


LOG_UNITS = {"bhattacharyya_distance", "renyi_0.5", "renyi_2", "kl_pq", "kl_qp", "jeffreys", "cross_entropy",
             "entropy_p", "entropy_q"}


@pytest.mark.parametrize("base", BASES)
def test_compare_hand_worked(base, run_json):
    doc = run_json("compare", "0.36,0.48,0.16", "1/3,1/3,1/3", "--ordered", "--base", base)
    row = doc["rows"][0]
    scale = 1.0 if base == "e" else math.log(2)
    hand = hand_values()
    assert hand["total_variation"] == pytest.approx(0.17333333333333334, rel=1e-15)
    for key, value in hand.items():
        expected = value / scale if key in LOG_UNITS else value
        assert_close(row[key], expected, f"{key} (base {base})", 1e-12, 1e-15)
    assert_close(row["perplexity_q"], 3.0, "perplexity of uniform over 3", 1e-12)


# ---------------------------------------------------------------- js
def js_args(case, tmp_path, base, distance=False, reduction="none"):
    paths = [write_rows(tmp_path / f"op{k}.csv", rows) for k, rows in enumerate(case["operands"])]
    args = ["js", *paths, "--base", base, "--reduction", reduction]
    if case["weights"] is not None:
        args += ["--weights", ",".join(map(repr, case["weights"]))]
    if distance:
        args.append("--distance")
    return args


JS_PARAMS = [pytest.param(case, id=case["id"]) for case in JS]


@pytest.mark.parametrize("case", JS_PARAMS)
def test_js_rows(case, run_json, tmp_path):
    base = str(case["base"])
    doc = run_json(*js_args(case, tmp_path, base))
    rows = doc["rows"]
    assert len(rows) == case["n_rows"]
    for i, (row, expected) in enumerate(zip(rows, case["expected_divergence"]), 1):
        assert_close(row["js_divergence"], expected, f"{case['id']} row {i} js_divergence ({case['reference']})")
        assert_close(row["js_distance"], math.sqrt(max(num(expected), 0.0)), f"{case['id']} row {i} js_distance",
                     RTOL, 1e-12)


@pytest.mark.parametrize("case", JS_PARAMS)
@pytest.mark.parametrize("reduction", ["sum", "mean"])
@pytest.mark.parametrize("distance", [False, True], ids=["divergence", "distance"])
def test_js_reduced_value(case, reduction, distance, run_json, tmp_path):
    base = str(case["base"])
    doc = run_json(*js_args(case, tmp_path, base, distance, reduction))
    per_row = [math.sqrt(max(num(v), 0.0)) if distance else num(v) for v in case["expected_divergence"]]
    assert_close(doc["value"], reduce(per_row, reduction), f"{case['id']} {reduction} distance={distance}",
                 RTOL, 1e-12 if distance else ATOL)


def test_js_help_example_is_half_log_two(run_json):
    """H(½,½) − ½·0 − ¼·0 − ¼·0 ... : the mixture is (½,½), two of the operands are certain."""
    doc = run_json("js", "1,0", "0,1", "0.5,0.5", "--weights", "0.25,0.25,0.5")
    assert_close(doc["value"], 0.5 * LN2, "js n-way help example", 1e-12)


# ---------------------------------------------------------------- matrix
@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in MATRIX])
def test_matrix_entries(case, run_json, tmp_path):
    path = write_rows(tmp_path / "m.csv", case["rows"])
    args = ["matrix", path, "--measure", case["measure"], "--base", str(case["base"])]
    if case["normalize"]:
        args.append("--normalize")
    matrix = run_json(*args)["matrix"]
    n = len(case["rows"])
    assert len(matrix) == n and all(len(row) == n for row in matrix)
    failures, checked = [], 0
    for i in range(n):
        for j in range(n):
            expected = case["expected"][i][j]
            if expected == "nan":
                continue  # SciPy's 0/0 (χ² where both rows have a 0): the compare tests cover divcli's convention
            checked += 1
            if not close(matrix[i][j], expected):
                failures.append(f"[{i}][{j}]: divcli {matrix[i][j]!r}, SciPy {expected!r}")
    assert checked >= n * n // 2
    assert not failures, f"{case['id']} ({case['reference']}):\n" + "\n".join(failures)


def test_matrix_aliases_match_keys(run_json, tmp_path):
    path = write_rows(tmp_path / "m.csv", MATRIX[0]["rows"])
    assert run_json("matrix", path, "--measure", "js")["matrix"] == \
        run_json("matrix", path, "--measure", "js_divergence")["matrix"]
    assert run_json("matrix", path, "--measure", "kl")["matrix"] == \
        run_json("matrix", path, "--measure", "kl_pq")["matrix"]


# ---------------------------------------------------------------- libraries
KERAS_EPS = 1e-7


def keras_kl(p_rows, q_rows):
    """keras.losses.KLDivergence: clip both to [ε, 1], Σ y_true·log(y_true / y_pred) per row, mean over rows."""
    per_row = []
    for p, q in zip(p_rows, q_rows):
        p = [min(max(num(v), KERAS_EPS), 1.0) for v in p]
        q = [min(max(num(v), KERAS_EPS), 1.0) for v in q]
        per_row.append(math.fsum(a * math.log(a / b) for a, b in zip(p, q)))
    return math.fsum(per_row) / len(per_row)


def keras_cce(p_rows, q_rows):
    """keras.losses.CategoricalCrossentropy: y_pred / Σ y_pred, clipped to [ε, 1 − ε];
    −Σ y_true·log y_pred per row, mean over rows."""
    per_row = []
    for p, q in zip(p_rows, q_rows):
        total = math.fsum(num(v) for v in q)
        q = [min(max(num(v) / total, KERAS_EPS), 1 - KERAS_EPS) for v in q]
        per_row.append(-math.fsum(num(a) * math.log(b) for a, b in zip(p, q)))
    return math.fsum(per_row) / len(per_row)


def libraries_doc(case, run_json, tmp_path):
    args = ["libraries", write_rows(tmp_path / "p.csv", case["p"]), write_rows(tmp_path / "q.csv", case["q"]),
            "--p-as", case["p_as"], "--q-as", case["q_as"]]
    if case["normalize"]:
        args.append("--normalize")
    return run_json(*args)


LIB_PARAMS = [pytest.param(case, call, id=f"{case['id']}-{call}", marks=known(f"{case['id']}-{call}"))
              for case in LIBRARIES for call in case["expected"]]


@pytest.mark.parametrize("case, call", LIB_PARAMS)
def test_libraries_torch_and_scipy(case, call, run_json, tmp_path):
    doc = libraries_doc(case, run_json, tmp_path)
    got = {entry["call"]: entry["value"] for entry in doc["libraries"]}
    assert_close(got.get(call), case["expected"][call], f"{case['id']}: {call}")


@pytest.mark.parametrize("case", [pytest.param(c, id=c["id"]) for c in LIBRARIES])
def test_libraries_exact_and_keras(case, run_json, tmp_path):
    doc = libraries_doc(case, run_json, tmp_path)
    calls = [entry["call"] for entry in doc["libraries"]]
    assert calls == list(case["expected"]) + ["keras.losses.KLDivergence()(P, Q)",
                                              "keras.losses.CategoricalCrossentropy()(P, Q)"]
    assert_close(doc["exact"], case["exact"], f"{case['id']}: exact D(P‖Q)")
    got = {entry["call"]: entry["value"] for entry in doc["libraries"]}
    assert_close(got["keras.losses.KLDivergence()(P, Q)"], keras_kl(case["library_p"], case["library_q"]),
                 f"{case['id']}: Keras KLDivergence")
    assert_close(got["keras.losses.CategoricalCrossentropy()(P, Q)"], keras_cce(case["library_p"], case["library_q"]),
                 f"{case['id']}: Keras CategoricalCrossentropy")


def test_fixtures_cover_what_was_asked():
    ids = {c["id"] for c in COMPARE}
    assert len(COMPARE) >= 12 and len(JS) >= 6 and len(MATRIX) >= 4 and len(LIBRARIES) >= 5
    assert {"zeros-in-p-3x4", "zeros-in-q-3x4", "zeros-in-both-3x4", "near-identical-3x6", "counts-normalize-2x4",
            "large-logits-3x3", "broadcast-p-1x4", "broadcast-q-1x4"} <= ids
    assert any(e["key"] == "chi2_neyman" and e["convention"] == "inf" for c in COMPARE for e in c["scipy_nan"])
    assert any(c["weights"] and len(c["operands"]) > 2 for c in JS)


@pytest.mark.parametrize("case", FIXTURES["kd"], ids=lambda case: case["id"])
def test_kd_loss_against_torch(case, run_json):
    """kl's kd_loss (batchmean when T = 1) against torch's distillation loss, T² · kl_div(…)."""
    root = Path(__file__).resolve().parents[2]
    document = run_json("kl", root / case["p"], root / case["q"], "--p-as", "logits", "--q-as", "logits",
                        "-T", repr(case["temperature"]))
    reductions = document["reductions"]
    value = reductions["kd_loss"] if case["temperature"] != 1 else reductions["batchmean"]
    assert "kd_loss" in reductions or case["temperature"] == 1
    assert_close(value, case["kd_loss"], case["id"])
