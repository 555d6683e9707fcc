"""The accurate kernels (divcli/numerics/accurate.py) as units, and the places issue 12 found wrong: near-identical
rows, zero weights, masked logits, huge and tiny weights, log-probabilities far from 0, explain's
checks. Exact values are mpmath's at 60 digits (quoted in the tests); tests/numerics/test_accuracy.py holds the
large reference suite."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, strategies as st

import divcli
from divcli import vocabulary
from divcli.numerics import accurate
from divcli.computations import divergence_records as report, divergence_rows
from divcli.readers.operand import Operand
from divcli.vocabulary import Conversion, Kind
from divcli.numerics.distributions import to_distribution
from divcli.numerics.plain import kl_rows

#: numbers computed with numpy's exp and log: make test runs them again with AVX-512 off
pytestmark = pytest.mark.numeric


def within(value: float, exact: float, rel: float) -> bool:
    return abs(value - exact) <= rel * abs(exact) + 1e-20


floats = st.floats(min_value=-1e300, max_value=1e300, allow_nan=False, allow_infinity=False)


@given(floats, floats)
def test_two_sum_is_exact(a, b):
    s, e = accurate.two_sum(np.array([a]), np.array([b]))
    assert Fraction(float(s[0])) + Fraction(float(e[0])) == Fraction(a) + Fraction(b)


@given(st.floats(min_value=-1e150, max_value=1e150, allow_nan=False),
       st.floats(min_value=-1e150, max_value=1e150, allow_nan=False))
def test_two_product_is_exact(a, b):
    p, e = accurate.two_product(np.array([a]), np.array([b]))
    exact = Fraction(a) * Fraction(b)
    if abs(exact) > 1e-280:  # above the range where the error itself underflows
        assert Fraction(float(p[0])) + Fraction(float(e[0])) == exact


@given(st.lists(st.floats(min_value=0, max_value=1e10, allow_nan=False), min_size=1, max_size=40))
def test_row_sums_are_exact_to_rounding_of_the_low_part(values):
    high, low = accurate.row_sums(np.array([values]))
    exact = sum(Fraction(v) for v in values)
    assert abs(Fraction(float(high[0])) + Fraction(float(low[0])) - exact) <= Fraction(1e-28) * max(exact, 1)


def test_the_series_meet_the_direct_formulas_at_their_edges():
    # φ(e^x) from its series at |x| ≤ 1 and p·x − (p − q) beyond; G(d) from its series at |d| ≤ 0.2
    for x in (-1.0, 1.0):
        q = np.array([[1.0]])
        series = accurate.phi_terms(np.exp(np.array([[x]])), q, np.array([[x]]))[0, 0]
        assert within(series, 1 + math.exp(x) * (x - 1), 1e-15)
    p, q = accurate.prob_rows(np.array([[0.6, 0.4]])), accurate.prob_rows(np.array([[0.4, 0.6]]))
    d = 0.2  # (p − q)/(p + q) for these rows
    g = (1 + d) * math.log1p(d) + (1 - d) * math.log1p(-d)
    assert within(accurate.js_rows(p, q)[0], 0.5 * 0.5 * g * 2, 1e-15)


def test_near_identical_logits_issue_example(run):
    result = run("kl", "0.1,0.2,0.3", "0.1,0.2,0.30000001", "--p-as", "logits", "--q-as", "logits", "-q")
    assert within(float(result.stdout), 1.16177484649570538905804701884e-17, 1e-12)


def test_the_seed_number_is_within_the_ordinary_bound(run):
    result = run("kl", "9/25,12/25,4/25", "1/3,1/3,1/3", "-q")
    assert within(float(result.stdout), 0.0852996013183705603423191459589, 1e-14)


def test_explain_checks_hold_on_near_identical_rows(run):
    result = run("explain", "0.1,0.2,0.3", "0.1,0.2,0.30000001", "--p-as", "logits", "--q-as", "logits")
    assert result.exit_code == 0 and "✗" not in result.stdout and "Pinsker" in result.stdout


@given(st.lists(st.floats(min_value=-5, max_value=5), min_size=2, max_size=8),
       st.integers(min_value=1, max_value=13), st.floats(min_value=-50, max_value=50))
def test_kl_of_near_rows_is_never_negative_and_explain_agrees(logits, exponent, shift):
    a = np.array(logits)
    b = a + shift + np.linspace(-1, 1, a.size) * 10.0 ** -exponent
    kl = divcli.kl_divergence([a], [b], p_as="logits", q_as="logits")
    assert kl >= 0
    js = divcli.js_divergence([a], [b], p_as="logits", q_as="logits")
    assert js >= 0


def test_log_probs_far_from_zero_with_normalize(run):
    # the exact entropy of a uniform row is log 3 whatever the shift
    for shift in ("-1e308", "-1e15", "-123456.7"):
        result = run("entropy", f"{shift},{shift},{shift}", "--p-as", "log-probs", "--normalize", "-q")
        assert within(float(result.stdout), math.log(3), 1e-14), shift


def test_a_class_of_weight_0_counts_for_nothing(run):
    result = run("ce", "1;0", "1,0;0.5,0.5", "--p-as", "labels", "--weight", "1,0", "--reduction", "sum", "-q")
    assert result.exit_code == 0 and result.stderr == ""
    assert within(float(result.stdout), math.log(2), 1e-15)


@pytest.mark.parametrize("weight", ["5e-324", "1e-300", "3", "1e308"])
def test_equal_weights_of_any_size_give_the_unweighted_mean(run, weight):
    args = ("ce", "samples/labels.csv", "samples/logits.csv", "--p-as", "labels", "--q-as", "logits", "-q")
    plain = float(run(*args).stdout)
    weighted = run(*args, "--weight", ",".join([weight] * 5))
    assert weighted.exit_code == 0 and "Traceback" not in weighted.stderr
    assert within(float(weighted.stdout), plain, 1e-15)


def test_weighted_losses_that_overflow_are_said_to(run):
    result = run("ce", "samples/labels.csv", "samples/logits.csv", "--p-as", "labels", "--q-as", "logits",
                 "--weight", "1e308,1e308,1e308,1e308,1e308", "--reduction", "sum", "-q")
    assert result.exit_code == 0 and result.stdout.strip() == "inf"
    assert "overflows float64" in result.stderr and "q = 0" not in result.stderr


@pytest.mark.parametrize("command", ["kl", "ce", "compare", "js"])
def test_a_masked_class_on_both_sides_is_as_if_absent(run, command):
    masked = run(command, "0,-inf,1", "0,-inf,2", "--p-as", "logits", "--q-as", "logits", "-q")
    absent = run(command, "0,1", "0,2", "--p-as", "logits", "--q-as", "logits", "-q")
    assert masked.exit_code == absent.exit_code == 0 and "nan" not in masked.stdout
    for got, want in zip(masked.stdout.split(), absent.stdout.split()):
        try:
            assert within(float(got), float(want), 1e-14)
        except ValueError:
            assert got == want  # the names of compare's measures


def _report_and_exact(zp, zq):
    context = report.Context(vocabulary.Command.KL, divcli.vocabulary.Reduction.BATCHMEAN, vocabulary.NATURAL,
                             [str(i) for i in range(zp.shape[1])], vocabulary.Side("p", Kind.LOGITS, "P"),
                             vocabulary.Side("q", Kind.LOGITS, "Q"))
    p = to_distribution(Operand(zp, "p"), Kind.LOGITS, "P", Conversion())
    q = to_distribution(Operand(zq, "q"), Kind.LOGITS, "Q", Conversion())
    got = divergence_rows.kl_report(p, q, context)
    exact_p, exact_q = p.exact_rows(), q.exact_rows()
    terms, _, entropy, cross = kl_rows(p.p, p.log_p, q.log_p)
    plain_unsure = divergence_rows._unsure(accurate.plain_error(entropy, cross, classes=zp.shape[1]), terms.sum(axis=1))
    return got, plain_unsure, accurate.kl_rows(exact_p, exact_q), accurate.entropy_rows(exact_p), \
        accurate.cross_entropy_rows(exact_p, exact_q)


def test_rows_on_both_sides_of_the_plain_kernels_bound_agree_with_the_accurate_kernels():
    rng = np.random.default_rng(5)
    zp = rng.normal(0, 2, (4000, 16))
    zq = zp + rng.normal(0, 1, (4000, 16)) * np.logspace(-12, 1, 4000)[:, None]  # near to far
    got, unsure, kl, entropy, cross = _report_and_exact(zp, zq)
    assert 100 < unsure.size < 3900  # both kernels ran
    np.testing.assert_allclose(got.kl, kl, rtol=1e-14, atol=1e-20)
    np.testing.assert_allclose(got.entropy_p, entropy, rtol=1e-14)
    np.testing.assert_allclose(got.cross_entropy, cross, rtol=1e-14)
    assert np.all(got.kl >= 0)


def test_probability_rows_are_taken_as_distributions():
    # a row within --tolerance of 1 is divided by its sum: the KL of a row against itself scaled is 0
    p = np.array([[0.2, 0.3, 0.5]])
    assert divcli.kl_divergence(p, p * (1 + 1e-7)) < 1e-30  # as given, Σ p·log(p/q) would be -1e-7


@pytest.mark.parametrize("temperature, kl, entropy", [
    ("3", 0.2086367008778479673752269, 1.294055397543159971514721),
    ("0.7", 3.048205336814541724234963, 0.6611752882722125435401156),
])
def test_logits_far_from_zero_divided_by_a_temperature(run, temperature, kl, entropy):
    # logits near 1e6 ÷ T carry a rounding of 1e-10 each: the rows take the accurate kernels
    p = ",".join(repr(1e6 + x) for x in (0.1, -2.3, 1.7, 0.4))
    q = ",".join(repr(1e6 + x) for x in (1.2, 0.3, -0.8, 2.1))
    got = run("kl", p, q, "--p-as", "logits", "--q-as", "logits", "-T", temperature, "-q")
    assert within(float(got.stdout), kl, 1e-14)
    got = run("entropy", p, "--p-as", "logits", "-T", temperature, "-q")
    assert within(float(got.stdout), entropy, 1e-14)


NEVER_NEGATIVE = ("kl_pq", "kl_qp", "jeffreys", "js_divergence", "js_distance", "total_variation", "hellinger",
                  "bhattacharyya_distance", "chi2_pearson", "chi2_neyman", "renyi_0.5", "renyi_2")


@given(st.lists(st.floats(min_value=-30, max_value=30), min_size=2, max_size=12),
       st.integers(min_value=0, max_value=16), st.floats(min_value=-1e4, max_value=1e4), st.booleans())
def test_measures_that_cannot_be_negative_never_are(logits, exponent, shift, as_probs):
    # far, near and identical rows (a perturbation of 10^-exponent, 10^-16 is below the last bit)
    a = np.array(logits)
    b = a + shift + np.cos(np.arange(a.size)) * 10.0 ** -exponent
    if as_probs:
        a, b = np.exp(a - a.max()), np.exp(b - b.max())
        a, b = a / a.sum(), b / b.sum()
    kind = "probs" if as_probs else "logits"
    values = divcli.compare([a], [b], p_as=kind, q_as=kind, reduction="none")
    for key in NEVER_NEGATIVE:
        assert values[key][0] >= 0, key


@given(st.lists(st.floats(min_value=-20, max_value=20), min_size=2, max_size=6),
       st.integers(min_value=0, max_value=16), st.sampled_from(["logits", "probs"]))
def test_explains_checks_hold_on_every_valid_input(logits, exponent, kind):
    """Gibbs, Pinsker, the JS bound and the entropy bound: never ✗ on valid input, near rows included."""
    import json

    from click.testing import CliRunner

    from divcli.cli import cli

    a = np.array(logits)
    b = a + np.sin(np.arange(a.size)) * 10.0 ** -exponent
    if kind == "probs":
        a, b = np.exp(a - a.max()), np.exp(b - b.max())
        a, b = a / a.sum(), b / b.sum()
    rows = [",".join(repr(float(x)) for x in row) for row in (a, b)]
    result = CliRunner().invoke(cli, ["explain", *rows, "--p-as", kind, "--q-as", kind, "-f", "json"])
    assert result.exit_code == 0, result.output
    checks = json.loads(result.stdout)["checks"]
    assert all(check["holds"] for check in checks), [c for c in checks if not c["holds"]]
