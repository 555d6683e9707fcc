"""``--bootstrap N --ci C --seed S`` on entropy, kl, js and compare of counts: each row's counts
resampled (a multinomial draw of its own N), the interval of the same estimator over the resamples.

The references draw the same resamples here (numpy's PCG64 from ``SeedSequence(seed, spawn_key=(row,
operand))``) and measure them with plain float64 numpy; the coverage simulation checks that the
intervals of the plug-in entropy cover the true entropy as often as their level says."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from divcli.computations import count_intervals
from divcli.readers import sizes

pytestmark = pytest.mark.numeric

P = [[50, 30, 20, 0], [3, 3, 3, 3], [7, 1, 1, 1]]
Q = [[40, 40, 15, 5], [2, 4, 4, 2], [5, 2, 2, 1]]


def _write(path, rows):
    path.write_text("a,b,c,d\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return str(path)


@pytest.fixture
def files(tmp_path):
    return _write(tmp_path / "p.csv", P), _write(tmp_path / "q.csv", Q)


def _draws(seed, row, operand, counts, resamples):
    counts = np.asarray(counts, dtype=np.float64)
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(row, operand))))
    return generator.multinomial(int(counts.sum()), counts / counts.sum(), size=resamples).astype(np.float64)


def _entropy(counts):
    shares = counts / counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(shares > 0, shares * np.log(shares), 0.0), axis=-1)


def _kl(p_counts, q_counts):
    p = p_counts / p_counts.sum(axis=-1, keepdims=True)
    q = q_counts / q_counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.sum(np.where(p > 0, p * np.log(p / q), 0.0), axis=-1)


def _percentiles(values, levels):
    """numpy's linear percentiles, +inf where an infinite neighbour makes numpy's inf − inf a NaN."""
    with np.errstate(invalid="ignore"):
        found = np.percentile(values, levels)
    return list(np.where(np.isnan(found), np.inf, found))


def _pairs(document, key):
    return [tuple(float(row[name]) for name in (key, f"{key}_low", f"{key}_high"))  # JSON writes +inf as "inf"
            for row in document["rows"]]


def test_entropy_interval_is_the_shifted_percentile_of_the_plugin(run_json, files):
    document = run_json("entropy", files[0], "--p-as", "counts", "--bootstrap", 300, "--seed", 7, "--reduction", "row")
    assert document["intervals"] == {"method": "shifted percentile", "confidence": 0.95, "resamples": 300, "seed": 7}
    for row, (value, low, high) in enumerate(_pairs(document, "entropy_p")):
        counts = np.array(P[row], dtype=np.float64)
        resampled = _entropy(_draws(7, row, 0, counts, 300))
        estimate = _entropy(counts)
        shift = 2 * (estimate - resampled.mean())
        top = math.log(4)
        expected = [min(max(q + shift, 0.0), top) for q in np.percentile(resampled, [2.5, 97.5])]
        assert value == pytest.approx(estimate, rel=1e-14)
        assert [low, high] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_entropy_of_one_class_has_a_point_interval(run_json):
    document = run_json("entropy", "0,9,0", "--p-as", "counts", "--ci", "0.9", "--seed", "1")
    (value, low, high), = _pairs(document, "entropy_p")
    assert value == low == high == 0.0  # every resample is the same 9 samples of one class


def test_an_estimators_interval_is_the_percentile_of_that_estimator(run_json, files):
    document = run_json("entropy", files[0], "--p-as", "counts", "--estimator", "miller-madow", "--bootstrap", 200,
                        "--seed", 3, "--reduction", "row")
    assert document["intervals"]["method"] == "percentile"
    for row, (value, low, high) in enumerate(_pairs(document, "entropy_p")):
        drawn = _draws(3, row, 0, P[row], 200)
        miller_madow = _entropy(drawn) + (np.count_nonzero(drawn, axis=1) - 1) / (2 * drawn.sum(axis=1))
        assert [low, high] == pytest.approx(list(np.percentile(miller_madow, [2.5, 97.5])), rel=1e-12)


def test_kl_resamples_p_and_q_each_with_its_own_n(run_json, files):
    document = run_json("kl", *files, "--p-as", "counts", "--q-as", "counts", "--bootstrap", 250, "--ci", "0.8",
                        "--seed", 11, "--reduction", "row")
    assert document["intervals"]["method"] == "percentile"
    for row, (value, low, high) in enumerate(_pairs(document, "kl_divergence")):
        resampled = _kl(_draws(11, row, 0, P[row], 250), _draws(11, row, 1, Q[row], 250))
        assert [low, high] == pytest.approx(_percentiles(resampled, [10, 90]), rel=1e-12)


def test_two_columns_of_samples_are_resampled_as_their_counts(run_json, tmp_path):
    """--p-as samples is counted into one row of counts (categories matched by name), which the
    intervals resample as they resample --p-as counts."""
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("pred\n" + "a\n" * 6 + "b\n" * 3 + "c\n")
    cur.write_text("pred\n" + "a\n" * 4 + "b\n" * 4 + "c\n" * 2)
    document = run_json("kl", str(ref), str(cur), "--p-as", "samples", "--q-as", "samples", "--bootstrap", 150,
                        "--seed", 5)
    assert document["classes"] == ["a", "b", "c"]
    (value, low, high), = _pairs(document, "kl_divergence")
    resampled = _kl(_draws(5, 0, 0, [6, 3, 1], 150), _draws(5, 0, 1, [4, 4, 2], 150))
    assert [low, high] == pytest.approx(_percentiles(resampled, [2.5, 97.5]), rel=1e-12)


def test_an_operand_not_of_counts_is_held(run_json, tmp_path):
    document = run_json("kl", "30,20,10", "0.5,0.3,0.2", "--p-as", "counts", "--bootstrap", 100, "--seed", 2)
    (value, low, high), = _pairs(document, "kl_divergence")
    resampled = _kl(_draws(2, 0, 0, [30, 20, 10], 100), np.array([0.5, 0.3, 0.2]))
    assert [low, high] == pytest.approx(list(np.percentile(resampled, [2.5, 97.5])), rel=1e-12)


def test_js_and_compare_give_every_measure_an_interval_in_csv(run, files):
    result = run("compare", *files, "--p-as", "counts", "--q-as", "counts", "--bootstrap", 50, "--seed", 5,
                 "-m", "js,tv", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == ("row,js_divergence,js_divergence_low,js_divergence_high,"
                        "total_variation,total_variation_low,total_variation_high")
    for row, (line, p, q) in enumerate(zip(lines[1:], P, Q)):
        cells = [float(cell) for cell in line.split(",")[1:]]
        drawn_p, drawn_q = _draws(5, row, 0, p, 50), _draws(5, row, 1, q, 50)
        shares_p = drawn_p / drawn_p.sum(axis=1, keepdims=True)
        shares_q = drawn_q / drawn_q.sum(axis=1, keepdims=True)
        tv = 0.5 * np.abs(shares_p - shares_q).sum(axis=1)
        assert cells[4:] == pytest.approx(list(np.percentile(tv, [2.5, 97.5])), rel=1e-12, abs=1e-15)
        assert cells[1] <= cells[2]
    js = run("js", *files, "--p-as", "counts", "--q-as", "counts", "--bootstrap", 50, "--seed", 5, "-f", "csv")
    assert js.stdout.splitlines()[0] == "row,js_divergence,js_divergence_low,js_divergence_high,js_distance," \
                                        "js_distance_low,js_distance_high"
    assert [line.split(",")[1:4] for line in js.stdout.splitlines()[1:]] == \
        [line.split(",")[1:4] for line in lines[1:]]  # the same resamples, the same JS intervals


def test_the_same_seed_gives_the_same_intervals_whatever_the_blocks_and_threads(run, files, monkeypatch):
    args = ("kl", *files, "--p-as", "counts", "--q-as", "counts", "--bootstrap", 120, "--seed", 9,
            "--reduction", "row", "-f", "json")
    first = run(*args, "--threads", "1")
    assert first.exit_code == 0, first.stderr
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 1)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 4)  # a block a row
    monkeypatch.setattr(count_intervals, "ELEMENTS", 4 * 7)  # 7 resamples a call: rows cut in pieces
    again = run(*args, "--threads", "2")
    assert again.exit_code == 0, again.stderr
    rows = json.loads(first.stdout)["rows"]
    assert json.loads(again.stdout)["rows"] == rows
    other = json.loads(run(*args[:-4], "--seed", 10, "--reduction", "row", "-f", "json").stdout)["rows"]
    assert [row["kl_divergence_low"] for row in other] != [row["kl_divergence_low"] for row in rows]


def test_without_a_seed_one_is_chosen_and_said(run, run_json):
    document = run_json("entropy", "5,3,2", "--p-as", "counts", "--bootstrap", 100)
    seed = document["intervals"]["seed"]
    assert isinstance(seed, int) and seed >= 0
    again = run_json("entropy", "5,3,2", "--p-as", "counts", "--bootstrap", 100, "--seed", seed)
    assert again["rows"] == document["rows"]
    table = run("entropy", "5,3,2", "--p-as", "counts", "--bootstrap", 100, "--seed", 4, env={"COLUMNS": "120"})
    assert "95% shifted percentile bootstrap intervals [low, high] from 100 resamples of the counts, seed 4" \
        in table.stdout
    assert "H(P) [low, high]" in table.stdout and " [" in table.stdout.split("H(P) [low, high]")[1]


def test_quiet_prints_the_values_as_without_intervals(run, files):
    plain = run("kl", *files, "--p-as", "counts", "--q-as", "counts", "-q", "--reduction", "row")
    counted = run("kl", *files, "--p-as", "counts", "--q-as", "counts", "-q", "--reduction", "row", "--bootstrap", 20)
    assert counted.exit_code == 0 and counted.stdout == plain.stdout


@pytest.mark.parametrize("args, words", [
    (("entropy", "0.5,0.5", "--bootstrap", "10"), ["--p-as counts"]),
    (("kl", "0.5,0.5", "0.4,0.6", "--ci", "0.9"), ["--p-as counts"]),
    (("entropy", "5,5", "--p-as", "counts", "--ci", "1"), ["--ci", "below 1"]),
    (("entropy", "5,5", "--p-as", "counts", "--ci", "0"), ["--ci"]),
    (("entropy", "5,5", "--p-as", "counts", "--ci", "1.5"), ["--ci"]),
    (("entropy", "5,5", "--p-as", "counts", "--bootstrap", "0"), ["--bootstrap", "1000"]),
    (("entropy", "5,5", "--p-as", "counts", "--bootstrap", "5000000"), ["--bootstrap", "1,000,000"]),
    (("entropy", "5,5", "--p-as", "counts", "--bootstrap", "10", "--seed", "-1"), ["--seed"]),
    (("entropy", "5,5", "--p-as", "counts", "--seed", "3"), ["--seed", "--bootstrap N"]),
    (("js", "5,5", "4,6", "--p-as", "counts", "--bootstrap", "10", "--engine", "dask"), ["--engine dask"]),
])
def test_refusals(run, args, words):
    result = run(*args)
    assert result.exit_code == 2, result.stdout
    assert all(word in result.stderr for word in words), result.stderr
    assert "Traceback" not in result.stderr


def test_counts_past_what_a_draw_can_count_are_refused(run):
    result = run("entropy", "1e19,1", "--p-as", "counts", "--bootstrap", "10")
    assert result.exit_code == 1, result.stdout
    assert "1e+19" in result.stderr and "Traceback" not in result.stderr


def _coverage(run, tmp_path, p, draws, estimator="plugin", samples=200, resamples=1000):
    """How many of ``samples`` seeded multinomial samples' 95% intervals hold the true entropy of ``p``."""
    rng = np.random.default_rng(20240601)
    counts = rng.multinomial(draws, p, size=samples)
    path = tmp_path / "samples.csv"
    path.write_text("".join(",".join(map(str, row)) + "\n" for row in [[f"c{i}" for i in range(len(p))], *counts]))
    result = run("entropy", str(path), "--p-as", "counts", "--estimator", estimator, "--bootstrap", resamples,
                 "--seed", 1, "--reduction", "row", "-f", "json")
    assert result.exit_code == 0, result.stderr
    truth = float(-np.sum(p * np.log(p)))
    rows = json.loads(result.stdout)["rows"]
    return sum(row["entropy_p_low"] <= truth <= row["entropy_p_high"] for row in rows) / len(rows)


SKEWED = np.array([0.3, 0.2, 0.15, 0.1, 0.08, 0.06, 0.05, 0.03, 0.02, 0.01])


@pytest.mark.parametrize("p", [SKEWED, np.full(10, 0.1)], ids=["skewed", "uniform"])
def test_coverage_of_the_plugins_intervals(run, tmp_path, p):
    """200 samples of 200 draws of 10 classes: the 95% intervals hold the true entropy in 90–99% of
    them (the skewed p), or in more of them where the classes are equally likely (the plug-in is
    then at most the truth, the interval shifted above it)."""
    coverage = _coverage(run, tmp_path, p, 200)
    assert 0.90 <= coverage <= (0.99 if p is SKEWED else 1.0), coverage


def test_coverage_of_miller_madow(run, tmp_path):
    assert 0.90 <= _coverage(run, tmp_path, SKEWED, 200, "miller-madow") <= 0.99


def test_a_kl_interval_of_two_samples_of_one_distribution_does_not_reach_0(run_json):
    """Resamples add their own divergence: documented, the percentile interval sits above the 0 of P = Q."""
    document = run_json("kl", "20,20,20", "20,20,20", "--p-as", "counts", "--q-as", "counts", "--bootstrap", 200,
                        "--seed", 0)
    (value, low, high), = _pairs(document, "kl_divergence")
    assert value == 0.0 and 0.0 < low < high
