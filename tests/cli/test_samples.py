"""``--p-as samples`` / ``--q-as samples``: a column of categories counted into its empirical
distribution, then read as counts.

Every number is checked against a reference computed here: ``collections.Counter`` and plain float64
formulas, and ``scipy.stats.entropy`` where SciPy is installed."""

from __future__ import annotations

import json
import math
from collections import Counter

import numpy as np
import pytest

from helpers.extras import needs

pytestmark = pytest.mark.numeric

PREDS = ["cat", "dog", "cat", "bird", "cat", "dog", "cat", "fish"]
CURRENT = ["cat", "cat", "dog", "dog", "dog", "mouse", "cat"]


def _write(path, column, values, other=None):
    rows = [f"{i},{value}" for i, value in enumerate(values)] if other is None else values
    path.write_text(f"id,{column}\n" + "\n".join(rows) + "\n")
    return str(path)


@pytest.fixture
def files(tmp_path):
    return _write(tmp_path / "ref.csv", "pred", PREDS), _write(tmp_path / "cur.csv", "pred", CURRENT)


def _shares(values, categories):
    counts = Counter(values)
    total = sum(counts.values())
    return np.array([counts.get(name, 0) / total for name in categories])


def _entropy(values):
    p = _shares(values, sorted(set(values)))
    return float(-(p * np.log(p)).sum())


def _kl(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, p * np.log(p / q), 0.0)
    return float(terms.sum())


def test_entropy_of_a_column_is_that_of_its_counts(run_json, files):
    document = run_json("entropy", files[0], "--select", "pred", "--p-as", "samples")
    assert document["value"] == pytest.approx(_entropy(PREDS), rel=1e-14)
    assert document["classes"] == ["bird", "cat", "dog", "fish"]  # sorted by text
    assert document["inputs"]["p"]["samples"]["total_n"] == len(PREDS)
    assert f"P: {len(PREDS)} samples in 4 categories, counted from {files[0]}'s column 'pred'" in document["notes"]
    assert [row.get("name") for row in document["rows"]] == ["pred"]


def test_entropy_agrees_with_scipy(run_json, files):
    stats = needs("scipy.stats")
    document = run_json("entropy", files[0], "--select", "pred", "--p-as", "samples", "--base", "2")
    counts = list(Counter(PREDS).values())
    assert document["value"] == pytest.approx(float(stats.entropy(counts, base=2)), rel=1e-14)


def test_samples_give_the_numbers_of_the_same_counts(run_json, files, tmp_path):
    """The samples → counts path makes what --p-as counts reads from the counted histogram."""
    counts = Counter(PREDS)
    histogram = tmp_path / "hist.csv"
    histogram.write_text("".join(f"{name},{counts[name]}\n" for name in ["bird", "cat", "dog", "fish"]))
    histogram.write_text("bin,count\n" + histogram.read_text())
    from_samples = run_json("entropy", files[0], "--select", "pred", "--p-as", "samples", "--estimator", "chao-shen")
    from_counts = run_json("entropy", str(histogram), "--p-as", "counts", "--estimator", "chao-shen")
    assert from_samples["value"] == pytest.approx(from_counts["value"], rel=1e-15)
    assert from_samples["inputs"] == from_counts["inputs"]


def test_miller_madow_reads_the_sample_size(run_json, files):
    document = run_json("entropy", files[0], "--select", "pred", "--p-as", "samples", "--estimator", "miller-madow")
    expected = _entropy(PREDS) + (len(set(PREDS)) - 1) / (2 * len(PREDS))
    assert document["value"] == pytest.approx(expected, rel=1e-14)


def test_kl_matches_categories_by_name_and_warns_of_those_one_side_never_saw(run, files):
    result = run("kl", *files, "--select", "pred", "--p-as", "samples", "--q-as", "samples", "-f", "json")
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    union = ["bird", "cat", "dog", "fish", "mouse"]  # P's sorted, then Q's new one
    assert document["classes"] == union
    p, q = _shares(PREDS, union), _shares(CURRENT, union)
    assert document["value"] == math.inf or document["value"] == "inf"  # bird and fish: q = 0 where p > 0
    assert "Q (" in result.stderr and "2 categories seen only in another operand, counted as 0 here: 'bird', 'fish'" \
        in result.stderr
    assert "P (" in result.stderr and "1 category seen only in another operand, counted as 0 here: 'mouse'" \
        in result.stderr
    back = run_json_value(run, "kl", files[1], files[0], "--select", "pred", "--p-as", "samples", "--q-as", "samples")
    assert _kl(q, p) == math.inf and back == math.inf
    assert np.isfinite(_kl(p[[1, 2]] / p[[1, 2]].sum(), q[[1, 2]] / q[[1, 2]].sum()))


def run_json_value(run, *args):
    result = run(*args, "-q")
    assert result.exit_code == 0, result.output
    return float(result.stdout)


def test_kl_js_ce_by_hand_over_shared_categories(run, tmp_path):
    ref = _write(tmp_path / "a.csv", "y", ["1", "2", "2", "3", "3", "3"])
    cur = _write(tmp_path / "b.csv", "y", ["3", "2", "1.0", "1", "2"])  # 1.0 is the category 1
    union = ["1", "2", "3"]
    p, q = _shares([1, 2, 2, 3, 3, 3], [1, 2, 3]), _shares([3, 2, 1, 1, 2], [1, 2, 3])
    both = ("--select", "y", "--p-as", "samples", "--q-as", "samples")
    assert run_json_value(run, "kl", ref, cur, *both) == pytest.approx(_kl(p, q), rel=1e-13)
    m = (p + q) / 2
    assert run_json_value(run, "js", ref, cur, *both) == pytest.approx((_kl(p, m) + _kl(q, m)) / 2, rel=1e-13)
    assert run_json_value(run, "ce", ref, cur, *both) == pytest.approx(float(-(p * np.log(q)).sum()), rel=1e-13)
    result = run("compare", ref, cur, *both, "-f", "json")
    assert result.exit_code == 0, result.output
    measures = json.loads(result.stdout)["rows"][0]
    assert measures["total_variation"] == pytest.approx(float(np.abs(p - q).sum() / 2), rel=1e-13)
    assert json.loads(run("kl", ref, cur, *both, "-f", "json").stdout)["classes"] == union


def test_the_header_says_samples_and_categories(run, files):
    result = run("kl", *files, "--select", "pred", "--p-as", "samples", "--q-as", "samples", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    header = " ".join(result.stdout.split())  # a long path may wrap
    assert f"P: 8 samples in 4 categories, counted from {files[0]}'s column 'pred'" in header
    assert f"Q: 7 samples in 3 categories, counted from {files[1]}'s column 'pred'" in header


def test_missing_values_are_a_category_of_their_own_warned(run_json, run, tmp_path):
    path = tmp_path / "gaps.csv"
    path.write_text("y\na\n\nb\nNA\na\nnan\n")
    document = run_json("entropy", str(path), "--p-as", "samples")
    assert document["classes"] == ["a", "b", "(missing)"]
    # in a one-column file a blank line between rows is a missing value too, as drift counts it
    assert document["value"] == pytest.approx(_entropy(["a", "m", "b", "m", "a", "m"]), rel=1e-14)
    result = run("entropy", str(path), "--p-as", "samples", "-q")
    assert "3 of 6 values are missing (empty, NaN, NA, null), counted as the category '(missing)'" in result.stderr


def test_a_literal_is_a_list_of_samples(run_json):
    document = run_json("entropy", "b,a,b;b", "--p-as", "samples")
    assert document["classes"] == ["a", "b"]
    assert document["value"] == pytest.approx(_entropy(["b", "a", "b", "b"]), rel=1e-14)


def test_several_columns_are_refused_naming_select(run, tmp_path):
    path = tmp_path / "two.csv"
    path.write_text("a,b\nx,y\n")
    result = run("entropy", str(path), "--p-as", "samples")
    assert result.exit_code == 1
    assert "has 2 columns ('a', 'b'): --p-as samples counts the categories of one" in result.stderr
    assert "--select COL" in result.stderr and "Traceback" not in result.output


@pytest.mark.parametrize("extra, words", [(("--columns",), "leave out --columns"),
                                          (("--engine", "dask"), "leave --engine local")])
def test_options_that_cannot_take_samples_are_usage_errors(run, files, extra, words):
    result = run("kl", *files, "--select", "pred", "--p-as", "samples", "--q-as", "samples", *extra)
    assert result.exit_code == 2 and words in result.stderr


@pytest.mark.parametrize("command", ["matrix", "explain"])
def test_the_commands_of_distributions_refuse_samples(run, files, command):
    result = run(command, *files[:1 if command == "matrix" else 2], "--p-as", "samples")
    assert result.exit_code == 2 and "counted by kl, ce, entropy, js and compare" in result.stderr


def test_a_distribution_beside_samples_is_matched_by_its_names(run, files, tmp_path):
    model = tmp_path / "model.csv"
    model.write_text("fish,dog,cat,bird\n0.1,0.2,0.3,0.4\n")
    value = run_json_value(run, "kl", files[0], str(model), "--p-select", "pred", "--p-as", "samples")
    p = _shares(PREDS, ["bird", "cat", "dog", "fish"])
    assert value == pytest.approx(_kl(p, np.array([0.4, 0.3, 0.2, 0.1])), rel=1e-13)
    uniform = run_json_value(run, "kl", files[0], "uniform", "--p-select", "pred", "--p-as", "samples")
    assert uniform == pytest.approx(_kl(p, np.full(4, 0.25)), rel=1e-13)


def test_an_unnamed_distribution_beside_samples_is_refused(run, files):
    result = run("kl", files[0], "0.1,0.2,0.3,0.4", "--p-select", "pred", "--p-as", "samples")
    assert result.exit_code == 1
    assert "Q does not name its classes, so they cannot be matched to the categories" in result.stderr
    assert "--q-as samples" in result.stderr


def test_one_category_on_both_sides_is_no_error(run):
    assert run_json_value(run, "kl", "a,a", "a,a,a", "--p-as", "samples", "--q-as", "samples") == 0.0
    assert run_json_value(run, "js", "a,a", "b", "--p-as", "samples", "--q-as", "samples") == \
        pytest.approx(math.log(2), rel=1e-15)  # no category alike: as far apart as can be


def test_entropy_of_labels_hints_at_samples(run):
    result = run("entropy", "0;1;1", "--p-as", "labels", "-q")
    assert float(result.stdout) == 0.0
    assert "count them with --p-as samples" in result.stderr


@pytest.mark.parametrize("layout", ["jsonl", "npy", "stdin", "parquet"])
def test_the_formats_of_samples(run_json, tmp_path, layout):
    values = [3, 1, 1, 2, 3, 3, 3]
    if layout == "jsonl":
        path = tmp_path / "s.jsonl"
        path.write_text("".join(json.dumps({"y": value, "x": 0}) + "\n" for value in values))
        args, kwargs = (str(path), "--select", "y"), {}
    elif layout == "npy":
        path = tmp_path / "s.npy"
        np.save(path, np.array(values, dtype=np.int32))
        args, kwargs = (str(path),), {}
    elif layout == "stdin":
        args, kwargs = ("-",), {"input": "y\n" + "\n".join(map(str, values)) + "\n"}
    else:
        pa, pq = needs("pyarrow"), needs("pyarrow.parquet")
        path = tmp_path / "s.parquet"
        pq.write_table(pa.table({"y": values}), path)
        args, kwargs = (str(path),), {}
    document = run_json("entropy", *args, "--p-as", "samples", **kwargs)
    assert document["classes"] == ["1", "2", "3"]
    assert document["value"] == pytest.approx(_entropy(values), rel=1e-14)


def test_a_file_is_counted_a_piece_at_a_time(tmp_path, monkeypatch):
    from divcli.readers import sample_counts

    rng = np.random.default_rng(7)
    values = rng.choice(["a", "b", "c", "d", ""], size=5000, p=[0.4, 0.3, 0.2, 0.05, 0.05])
    path = tmp_path / "big.csv"
    path.write_text("y\n" + "\n".join(f'"{value}"' if not value else value for value in values) + "\n")
    whole = sample_counts.count_column(str(path))
    monkeypatch.setattr(sample_counts, "PIECE_BYTES", 97)
    pieces = sample_counts.count_column(str(path))
    expected = Counter(str(value) for value in values)
    assert whole.categories == pieces.categories == ["a", "b", "c", "d", "(missing)"]
    assert list(pieces.counts) == list(whole.counts) == [expected[name] for name in "abcd"] + [expected[""]]
