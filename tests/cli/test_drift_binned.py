"""drift --binned: two bin,count histograms, bins matched by name, measured as a categorical column."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

REF = {"red": 412, "blue": 305, "green": 198, "yellow": 85}
CUR = {"blue": 350, "red": 380, "green": 240, "purple": 30}  # another order, no yellow, a purple


def write(path, bins: dict, header: str = "colour,count") -> str:
    path.write_text(header + "\n" + "".join(f"{name},{value}\n" for name, value in bins.items()))
    return str(path)


@pytest.fixture
def pair(tmp_path):
    return write(tmp_path / "ref.csv", REF), write(tmp_path / "cur.csv", CUR)


def aligned(a: float = 0.0):
    union = ["red", "blue", "green", "yellow", "purple"]
    r = np.array([REF.get(name, 0) for name in union], float) + a
    c = np.array([CUR.get(name, 0) for name in union], float) + a
    return r / r.sum(), c / c.sum()


def test_psi_of_two_histograms_matched_by_name(run, pair):
    result = run("drift", "--binned", *pair, "--pseudocount", "0.5", "-f", "json")
    assert result.exit_code == 0, result.stderr
    (column,) = json.loads(result.stdout)["columns"]
    r, c = aligned(0.5)
    assert math.isclose(column["psi"], float(np.sum((c - r) * np.log(c / r))), rel_tol=1e-13)
    assert math.isclose(column["kl_ref_cur"], float(np.sum(r * np.log(r / c))), rel_tol=1e-13)
    assert column["wasserstein_1"] is None and column["ks"] is None
    bins = json.loads(run("drift", "--binned", *pair, "--column", "count", "-f", "json").stdout)["bins"]
    assert [b["bin"] for b in bins] == ["red", "blue", "green", "yellow", "purple"]  # the reference's order, then the current's
    assert [b["current_count"] for b in bins] == [380, 350, 240, 0, 30]
    compare = run("compare", *pair, "-m", "psi", "--pseudocount", "0.5", "-q")
    assert math.isclose(float(compare.stdout), column["psi"], rel_tol=1e-13)


def test_a_bin_one_side_lacks_counts_zero_with_a_warning_and_psi_is_infinite(run, pair):
    result = run("drift", "--binned", *pair, "-q")
    assert result.exit_code == 0 and result.stdout.strip() == "inf"
    assert "has no bin 'purple': counted as 0 there" in result.stderr
    assert "has no bin 'yellow': counted as 0 there" in result.stderr
    assert "PSI is +inf" in result.stderr and "--pseudocount" in result.stderr


def test_fail_above_gates_histograms_too(run, pair):
    result = run("drift", "--binned", *pair, "--pseudocount", "0.5", "--fail-above", "0.25", "-q")
    assert result.exit_code == 3


def test_shares_are_measured_but_get_no_chi2(run, tmp_path):
    r = write(tmp_path / "r.csv", {"a": 0.5, "b": 0.3, "c": 0.2}, "bin,proportion")
    c = write(tmp_path / "c.csv", {"a": 0.4, "b": 0.4, "c": 0.2}, "bin,proportion")
    (column,) = json.loads(run("drift", "--binned", r, c, "-f", "json").stdout)["columns"]
    ref, cur = np.array([0.5, 0.3, 0.2]), np.array([0.4, 0.4, 0.2])
    assert math.isclose(column["psi"], float(np.sum((cur - ref) * np.log(cur / ref))), rel_tol=1e-13)
    assert column["chi2"] is None


@pytest.mark.parametrize("options", [("--bins", "fd"), ("--categorical", "colour"), ("--bootstrap", "10")])
def test_options_for_raw_samples_are_refused(run, pair, options):
    result = run("drift", "--binned", *pair, *options)
    assert result.exit_code == 2 and "--binned reads histograms already binned" in result.stderr


def test_a_bin_named_twice_or_a_negative_count_is_refused_at_its_line(run, tmp_path):
    cur = write(tmp_path / "cur.csv", CUR)
    twice = tmp_path / "twice.csv"
    twice.write_text("colour,count\nred,1\nblue,2\nred,3\n")
    result = run("drift", "--binned", str(twice), cur)
    assert result.exit_code == 1 and "bin 'red' is named twice" in result.stderr
    negative = tmp_path / "negative.csv"
    negative.write_text("colour,count\nred,1\nblue,-2\n")
    result = run("drift", "--binned", str(negative), cur)
    assert result.exit_code == 1 and f"{negative}:3" in result.stderr and "not a number ≥ 0" in result.stderr
