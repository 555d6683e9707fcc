"""``--p-as counts`` / ``--q-as counts`` and entropy's ``--estimator``.

Counts are read as ``--normalize`` reads them (the same numbers, compared by value), with each row's
sample size N kept: the header and JSON's ``inputs`` say the sample sizes, and entropy's estimators
correct the plug-in by N (values computed here by their formulas, in float64)."""

from __future__ import annotations

import math

import pytest

pytestmark = pytest.mark.numeric

P = [[3, 1, 0], [5, 5, 2]]
Q = [[2, 2, 1], [1, 5, 2]]


@pytest.fixture
def files(tmp_path):
    def write(name, rows):
        path = tmp_path / name
        path.write_text("a,b,c\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
        return str(path)
    return write("p.csv", P), write("q.csv", Q)


def _plugin(counts):
    n = sum(counts)
    return -sum(c / n * math.log(c / n) for c in counts if c)


def _rows(document, key):
    return [row[key] for row in document["rows"]]


@pytest.mark.parametrize("command", ["kl", "js", "compare"])
def test_counts_give_the_numbers_of_normalize(run_json, files, command):
    counted = run_json(command, *files, "--p-as", "counts", "--q-as", "counts")
    normalized = run_json(command, *files, "--normalize")
    assert len(counted["rows"]) == 2
    for row, other in zip(counted["rows"], normalized["rows"]):
        for key, value in other.items():
            if isinstance(value, str):  # "inf" and the like
                assert row[key] == value, key
            else:
                assert row[key] == pytest.approx(value, rel=1e-15, abs=0), key
    assert counted["inputs"]["p"]["samples"] == {"rows": 2, "smallest_n": 4, "largest_n": 12, "total_n": 16}
    assert counted["inputs"]["q"]["samples"] == {"rows": 2, "smallest_n": 5, "largest_n": 8, "total_n": 13}
    assert "samples" not in normalized["inputs"]["p"]


def test_kl_value_by_hand(run_json, files):
    document = run_json("kl", *files, "--p-as", "counts", "--q-as", "counts", "--reduction", "row")
    for row, p, q in zip(document["rows"], P, Q):
        expected = sum(a / sum(p) * math.log((a / sum(p)) / (b / sum(q))) for a, b in zip(p, q) if a)
        assert row["kl_divergence"] == pytest.approx(expected, rel=1e-14)


def test_the_header_says_the_sample_sizes(run, files):
    result = run("kl", *files, "--p-as", "counts", "--q-as", "counts", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    assert "P (reference): " in result.stdout and "read as counts, 2 rows" in result.stdout
    assert "P's counts: N = 4 … 12 per row, 16 samples in 2 rows" in result.stdout
    assert "Q's counts: N = 5 … 8 per row, 13 samples in 2 rows" in result.stdout
    one = run("entropy", "7,2,1", "--p-as", "counts")
    assert "P's counts: N = 10 samples" in one.stdout


def test_counts_against_uniform(run, files):
    result = run("kl", files[0], "uniform", "--p-as", "counts", "--q-as", "counts", "--reduction", "row", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0].split(",")[3] == "kl_divergence"
    values = [float(line.split(",")[3]) for line in result.stdout.splitlines()[1:]]
    assert values == pytest.approx([math.log(3) - _plugin(row) for row in P], rel=1e-14)


@pytest.mark.parametrize("literal, words", [
    ("3,1.5,0", ["row 1, item 2", "'1.5' is not a count", "whole numbers"]),
    ("3,-1,0", ["row 1, item 2", "negative count '-1'"]),
    ("3,nan,0", ["row 1, item 2", "nan"]),
])
def test_refused_counts(run, literal, words):
    result = run("entropy", literal, "--p-as", "counts")
    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in result.stderr


def test_refused_count_in_a_file_names_row_and_column(run, tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("a,b\n1,2\n3,2.5\n")
    result = run("kl", str(path), "uniform", "--p-as", "counts")
    assert result.exit_code == 1
    assert "c.csv:3:2" in result.stderr and "'2.5' is not a count" in result.stderr


def _miller_madow(counts):
    return _plugin(counts) + (sum(1 for c in counts if c) - 1) / (2 * sum(counts))


def _chao_shen(counts):
    n = sum(counts)
    f1 = sum(1 for c in counts if c == 1)
    coverage = 1 - (n - 1 if f1 == n else f1) / n
    return -sum(coverage * c / n * math.log(coverage * c / n) / (1 - (1 - coverage * c / n) ** n)
                for c in counts if c)


@pytest.mark.parametrize("name, formula", [("miller-madow", _miller_madow), ("chao-shen", _chao_shen)])
@pytest.mark.parametrize("base, factor", [("e", 1.0), ("2", math.log(2))])
def test_entropy_estimators(run_json, files, name, formula, base, factor):
    document = run_json("entropy", files[0], "--p-as", "counts", "--estimator", name, "--base", base)
    assert document["estimator"] == name
    assert _rows(document, "entropy_p") == pytest.approx([formula(row) / factor for row in P], rel=1e-14)
    assert _rows(document, "entropy_plugin") == pytest.approx([_plugin(row) / factor for row in P], rel=1e-14)
    assert document["value"] == pytest.approx(sum(formula(row) for row in P) / 2 / factor, rel=1e-14)


def test_miller_madow_correction_in_bits(run):
    """(m − 1)/(2N) is in nats: in bits it is divided by log 2 with the rest (adding it to the bits
    as it is, the slip users have met, gives 0.936 here, not 0.992)."""
    result = run("entropy", "3,1,0", "--p-as", "counts", "--estimator", "miller-madow", "--base", "2", "-q")
    assert result.exit_code == 0, result.stderr
    plugin_bits = 0.75 * math.log2(4 / 3) + 0.25 * 2
    assert float(result.stdout) == pytest.approx(plugin_bits + 1 / (8 * math.log(2)), rel=1e-14)
    assert abs(float(result.stdout) - (plugin_bits + 1 / 8)) > 0.05


def test_estimator_table(run, files):
    result = run("entropy", files[0], "--p-as", "counts", "--estimator", "jackknife", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    assert "H(P) jackknife" in result.stdout and "H(P) plug-in" in result.stdout
    assert "with the jackknife estimator" in result.stdout


@pytest.mark.parametrize("kind", ["probs", "logits"])
def test_estimator_needs_counts(run, kind):
    result = run("entropy", "0.5,0.5", "--p-as", kind, "--estimator", "miller-madow")
    assert result.exit_code == 2
    assert "--estimator" in result.stderr and "--p-as counts" in result.stderr


def test_plugin_estimator_leaves_the_output_as_it_was(run, files):
    plain = run("entropy", files[0], "--p-as", "counts", "-f", "csv")
    chosen = run("entropy", files[0], "--p-as", "counts", "--estimator", "plugin", "-f", "csv")
    assert plain.stdout == chosen.stdout
    assert plain.stdout.splitlines()[0] == "row,entropy_p"


def test_bin_count_files_as_counts_matched_by_name(run_json, tmp_path):
    """A bin,count file read as counts is one row of counts; a bin on one side only counts 0 there."""
    p, q = tmp_path / "p.csv", tmp_path / "q.csv"
    p.write_text("bin,count\na,3\nb,1\n")
    q.write_text("bin,count\nb,2\na,2\nc,1\n")
    document = run_json("kl", str(p), str(q), "--p-as", "counts", "--q-as", "counts")
    expected = 0.75 * math.log(0.75 / 0.4) + 0.25 * math.log(0.25 / 0.4)
    assert document["value"] == pytest.approx(expected, rel=1e-14)
    assert document["inputs"]["p"]["samples"]["total_n"] == 4
    assert document["inputs"]["q"]["samples"]["total_n"] == 5
    assert any("'c'" in warning for warning in document["warnings"])


def test_smoothing_counts_is_refused_with_the_way(run):
    result = run("kl", "3,1,0", "2,2,1", "--p-as", "counts", "--q-as", "counts", "--pseudocount", "1")
    assert result.exit_code == 2  # two options that do not go together
    assert "--p-as counts" in result.stderr and "--normalize" in result.stderr
    assert "Traceback" not in result.stderr
