"""divcli mi --estimator: H(X), H(Y), H(X,Y) estimated from the counts (pairs of labels, or a joint
table of whole numbers), H(X|Y), H(Y|X), I and NMI derived from them, as R's infotheo does; the bounds
0 ≤ I ≤ min(H(X), H(Y)) checked and flagged, the refusal of a table of probabilities (exit 2).

Every value is checked against the estimators' formulas written here in plain Python loops (R's
``entropy`` package 1.3.2 and ``infotheo`` 1.2 sources: ``entropy.MillerMadow``, ``entropy.ChaoShen``,
``freqs.shrink``; the jackknife by explicit deletions), applied to the marginal and joint counts."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from divcli.numerics.information import Information
from divcli.numerics.information_estimators import AT_LEAST_ZERO, AT_MOST_ENTROPIES, bounds_failed
from helpers.files import write_rows

pytestmark = pytest.mark.numeric

ESTIMATORS = ("miller-madow", "chao-shen", "shrink", "jackknife")


def _plugin(counts):
    n = sum(counts)
    return -sum(c / n * math.log(c / n) for c in counts if c)


def _miller_madow(counts):  # infotheo's entropy_miller_madow: the classes counted, N the samples
    return _plugin(counts) + (sum(1 for c in counts if c) - 1) / (2 * sum(counts))


def _chao_shen(counts):
    seen = [c for c in counts if c > 0]
    n = sum(seen)
    f1 = sum(1 for c in seen if c == 1)
    coverage = 1 - (n - 1 if f1 == n else f1) / n
    return -sum(coverage * c / n * math.log(coverage * c / n) / (1 - (1 - coverage * c / n) ** n) for c in seen)


def _shrink(counts):  # K: every cell given, zeros included (freqs.shrink of a 2-D table)
    n, k = sum(counts), len(counts)
    u = [c / n for c in counts]
    misfit = sum((x - 1 / k) ** 2 for x in u)
    lam = 1.0 if n <= 1 or misfit == 0 else min(1.0, max(0.0, sum(x * (1 - x) for x in u) / (n - 1) / misfit))
    return _plugin([lam / k + (1 - lam) * x for x in u])


def _jackknife(counts):
    n = sum(counts)
    deleted = [_plugin([c - (j == k) for j, c in enumerate(counts)]) for k, c in enumerate(counts) for _ in range(c)]
    return n * _plugin(counts) - (n - 1) * sum(deleted) / n


REFERENCES = {"miller-madow": _miller_madow, "chao-shen": _chao_shen, "shrink": _shrink, "jackknife": _jackknife}


def reference(table, name):
    """H(X), H(Y), H(X,Y) by the estimator from the row sums, column sums and cells of the classes seen,
    then the derived values (nats)."""
    t = np.asarray(table, dtype=np.int64)
    t = t[t.sum(axis=1) > 0][:, t.sum(axis=0) > 0]
    estimate = REFERENCES[name]
    h_x, h_y = estimate([int(v) for v in t.sum(axis=1)]), estimate([int(v) for v in t.sum(axis=0)])
    h_xy = estimate([int(v) for v in t.ravel()])
    return {"h_x": h_x, "h_y": h_y, "h_xy": h_xy, "h_x_given_y": h_xy - h_y, "h_y_given_x": h_xy - h_x,
            "mi": h_x + h_y - h_xy}


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-11, abs_tol=1e-13)


TABLES = [[[30, 10], [5, 45], [10, 20]], [[1, 1], [1, 1]], [[3, 0, 1], [0, 2, 0], [1, 0, 4]],
          [[0, 0, 0], [2, 1, 7]], [[5, 0], [0, 3], [2, 0]], [[1]]]


@pytest.mark.parametrize("name", ESTIMATORS)
@pytest.mark.parametrize("table", TABLES, ids=range(len(TABLES)))
def test_each_estimator_on_a_joint_table_of_counts(run_json, name, table):
    literal = ";".join(",".join(str(v) for v in row) for row in table)
    document = run_json("mi", "--joint", literal, "--estimator", name)
    expected = reference(table, name)
    for key, value in expected.items():
        assert close(document[key], value), key
    assert document["estimator"] == name and document["n"] == int(np.sum(table))
    assert document["bounds_hold"] == (expected["mi"] >= -1e-12 and expected["mi"] <= min(expected["h_x"], expected["h_y"]) + 1e-12)
    plug_in = document["plugin"]  # the plug-in values beside the estimates, and the G-test from them
    assert close(plug_in["h_x"], _plugin([int(v) for v in np.sum(table, axis=1) if v]))
    assert close(document["g_statistic"], 2 * document["n"] * plug_in["mi"])


def test_bits_divide_every_estimate_by_ln_2(run_json):
    nats = run_json("mi", "--joint", "3,0,1;0,2,0;1,0,4", "--estimator", "chao-shen")
    bits = run_json("mi", "--joint", "3,0,1;0,2,0;1,0,4", "--estimator", "chao-shen", "--base", "2")
    for key in ("h_x", "h_xy", "h_y_given_x", "mi"):
        assert close(bits[key], nats[key] / math.log(2)), key
    assert close(bits["nmi_max"], nats["nmi_max"])


def test_labels_give_the_estimates_of_their_counts(run_json, tmp_path):
    rng = np.random.default_rng(26)
    pairs = [(f"x{a}", f"y{b}") for a, b in zip(rng.integers(0, 4, 30), rng.integers(0, 3, 30))]
    path = tmp_path / "pairs.csv"
    write_rows(path, pairs, header=["x", "y"])
    x_names, y_names = sorted({x for x, _ in pairs}), sorted({y for _, y in pairs})
    table = [[sum(1 for p in pairs if p == (x, y)) for y in y_names] for x in x_names]
    for name in ESTIMATORS:
        document = run_json("mi", path, "--estimator", name)
        for key, value in reference(table, name).items():
            assert close(document[key], value), (name, key)


def test_normalised_estimates_are_the_ratios_not_capped(run_json):
    document = run_json("mi", "--joint", "1,1;1,1", "--estimator", "miller-madow")
    h_x, h_y, mi = document["h_x"], document["h_y"], document["mi"]
    assert close(mi, -1 / 8)  # I = 0 + (2 + 2 − 4 − 1)/(2·4): the corrections by hand
    assert close(document["nmi_arithmetic"], mi / ((h_x + h_y) / 2)) and document["nmi_geometric"] < 0
    one = run_json("mi", "--joint", "4,0;0,0", "--estimator", "shrink")  # one class each side: 1, as sklearn
    assert one["mi"] == 0 and one["nmi_min"] == 1.0
    side = run_json("mi", "--joint", "2,3,1", "--estimator", "jackknife")  # one class of X: I = 0 exactly
    assert side["mi"] == 0 and side["h_x"] == 0 and side["nmi_arithmetic"] == 0.0 and side["bounds_hold"]


def test_y_that_determines_x_gives_i_equal_to_h_x_exactly(run_json):
    """Not for shrink, whose K for H(X,Y) counts the pairs never seen: its H(X|Y) is > 0."""
    for name in ("miller-madow", "chao-shen", "jackknife"):
        document = run_json("mi", "--joint", "5,0,0;0,3,2", "--estimator", name)  # X a function of Y
        assert document["h_x_given_y"] == 0 and document["mi"] == document["h_x"], name
        assert document["bounds_hold"], name


@pytest.mark.parametrize("name, table", [("miller-madow", "1,1;1,1"), ("jackknife", "0,1,1;0,1,1"),
                                         ("chao-shen", "1,1;1,0"), ("shrink", "2,0;2,1")])
def test_small_samples_break_i_at_least_0_and_every_format_says_so(run, run_json, name, table):
    document = run_json("mi", "--joint", table, "--estimator", name)
    expected = reference([[int(v) for v in row.split(",")] for row in table.split(";")], name)
    assert expected["mi"] < 0 and close(document["mi"], expected["mi"])
    assert document["bounds_hold"] is False and document["bounds_failed"] == [AT_LEAST_ZERO]
    assert document["plugin"]["mi"] >= 0  # the plug-in keeps its bounds
    shown = run("mi", "--joint", table, "--estimator", name, env={"COLUMNS": "200"})
    assert shown.exit_code == 0 and f"estimates break {AT_LEAST_ZERO}" in shown.stdout
    lines = dict(csv.reader(io.StringIO(run("mi", "--joint", table, "--estimator", name, "-f", "csv").stdout)))
    assert lines["bounds_hold"] == "false" and lines["estimator"] == name


def test_a_bound_missed_by_rounding_alone_is_not_broken(run_json):
    """Shrinkage to the uniform (λ = 1): I = ln 2 + ln 3 − ln 6, 0 exactly, −2e-17 in float64: 0, held."""
    document = run_json("mi", "--joint", "1,0,0,0;0,2,1,0", "--estimator", "shrink")
    assert close(document["h_xy"], math.log(6)) and document["mi"] == 0.0 and document["bounds_hold"]


def test_the_upper_bound_is_checked_too():
    """No small table breaks I ≤ min(H(X), H(Y)) by these estimators (H(X,Y) is corrected at least as
    much as H(Y)); the check names it where it fails."""
    broken = Information(0.5, 0.4, 0.8, 0.3, 0.4, 0.45, 2, 2, estimator="shrink")
    assert bounds_failed(broken) == (AT_MOST_ENTROPIES,)
    assert bounds_failed(Information(0.5, 0.4, 0.9, 0.5, 0.4, -0.1, 2, 2, estimator="shrink")) == (AT_LEAST_ZERO,)


def test_header_names_the_estimator_and_the_plug_in_says_nothing_new(run):
    shown = run("mi", "--joint", "30,10;5,45", "--estimator", "chao-shen", env={"COLUMNS": "200"})
    assert "N = 90 pairs; the Chao–Shen estimator of H(X), H(Y), H(X,Y)" in shown.stdout
    plain = run("mi", "--joint", "30,10;5,45", env={"COLUMNS": "200"})
    assert "estimator" not in plain.stdout and "note:" not in plain.stdout
    assert "estimator" not in run("mi", "--joint", "30,10;5,45", "-f", "csv").stdout
    document = json.loads(run("mi", "--joint", "30,10;5,45", "-f", "json").stdout)
    assert document["estimator"] == "plugin" and document["bounds_hold"] is True and "plugin" not in document


def test_explain_works_the_plug_in_and_then_the_estimates(run, run_json):
    shown = run("mi", "--joint", "1,1;1,1", "--estimator", "miller-madow", "--explain", env={"COLUMNS": "200"})
    assert shown.exit_code == 0
    out = shown.stdout
    assert "the terms above are the plug-in's" in out and "H(X) = 0.818147 (plug-in 0.693147)" in out
    assert "= -0.125000 (plug-in 0)" in out and "0 ≤ I ≤ min(H(X), H(Y)): FAILS" in out
    assert "I = H(X) − H(X|Y) = 0.693147 − 0.693147 = 0" in out  # the plug-in's working, its own numbers


def test_a_table_of_probabilities_refuses_every_estimator_but_the_plug_in(run):
    for name in ESTIMATORS:
        result = run("mi", "--joint", "0.25,0.25;0.1,0.4", "--estimator", name)
        assert result.exit_code == 2 and "sample size N" in result.stderr and "probabilities" in result.stderr
    assert run("mi", "--joint", "0.25,0.25;0.1,0.4", "--estimator", "plugin").exit_code == 0
    assert run("mi", "--joint", "1,2;3,4", "--estimator", "nope").exit_code == 2
