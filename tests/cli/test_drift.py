"""divcli drift from the command line: inputs, options, formats, the exit-3 gate and the refusals."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from helpers.extras import needs

#: The keys of every column's record in JSON.
COLUMN_KEYS = {"column", "kind", "psi", "kl_ref_cur", "kl_cur_ref", "js_distance", "hellinger", "wasserstein_1", "ks",
               "chi2", "chi2_p_value", "ks_p_value", "verdict", "n_reference", "n_current", "missing_reference",
               "missing_current", "n_bins", "collapsed_edges", "folded", "unsmoothed"}


@pytest.fixture
def pair(tmp_path):
    """ref.csv and cur.csv: a numeric column x and a categorical one, city (one empty cell)."""
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("x,city\n1,Paris\n2,Paris\n3,Lyon\n4,\n")
    cur.write_text("x,city\n1,Paris\n3,Lyon\n4,Lyon\n5,Nice\n")
    return ref, cur


def psi(r, c) -> float:
    r, c = np.asarray(r, float), np.asarray(c, float)
    return float(np.sum((c - r) * np.log(c / r)))


def test_psi_of_a_small_sample_by_hand(run_json, pair):
    ref, cur = pair
    document = run_json("drift", ref, cur, "--bins", "edges:2", "--categorical", "city")
    x, city = document["columns"]
    assert x["column"] == "x" and x["kind"] == "numeric" and city["kind"] == "categorical"
    # x: (-inf, 2] holds 1, 2 | 1; (2, inf) holds 3, 4 | 3, 4, 5: shares ½, ½ and ¼, ¾
    assert math.isclose(x["psi"], 0.25 * math.log(3), rel_tol=1e-14)
    assert x["n_bins"] == 2 and x["missing_reference"] == 0
    # W₁ of {1,2,3,4} and {1,3,4,5}: the sorted gaps 0,1,1,1 averaged
    assert math.isclose(x["wasserstein_1"], 0.75, rel_tol=1e-14)
    assert math.isclose(x["ks"], 0.25, abs_tol=1e-15)
    assert x["chi2"] is None and city["wasserstein_1"] is None and city["ks"] is None
    # city: Lyon, Nice, Paris, (missing): ¼, 0, ½, ¼ against ½, ¼, ¼, 0: +inf both ways
    assert city["psi"] == "inf" and city["verdict"] == "major"
    assert set(x) == COLUMN_KEYS and set(city) == COLUMN_KEYS
    assert document["binning"] == "edges:2" and document["smoothing"] is None and document["unit"] == "nats"


def test_an_infinite_psi_warns_and_a_pseudocount_makes_it_finite_showing_both(run, pair):
    ref, cur = pair
    result = run("drift", ref, cur, "--select", "city", "--categorical", "city", "-f", "json")
    assert result.exit_code == 0
    assert "PSI is +inf: column 'city'" in result.stderr and "--pseudocount 0.5" in result.stderr
    result = run("drift", ref, cur, "--select", "city", "--categorical", "city", "--pseudocount", "1", "-f", "json")
    (city,) = json.loads(result.stdout)["columns"]
    assert result.stderr == ""
    r, c = np.array([1, 0, 2, 1]) + 1, np.array([2, 1, 1, 0]) + 1  # Lyon, Nice, Paris, (missing)
    assert math.isclose(city["psi"], psi(r / r.sum(), c / c.sum()), rel_tol=1e-13)
    assert city["unsmoothed"]["psi"] == "inf"
    assert json.loads(result.stdout)["smoothing"] == "pseudocount 1"


def test_epsilon_floors_the_shares_then_renormalises(run_json, pair):
    ref, cur = pair
    (city,) = run_json("drift", ref, cur, "--select", "city", "--categorical", "city", "--epsilon", "0.01")["columns"]
    r, c = np.array([0.25, 0.01, 0.5, 0.25]), np.array([0.5, 0.25, 0.25, 0.01])
    assert math.isclose(city["psi"], psi(r / r.sum(), c / c.sum()), rel_tol=1e-13)


def test_quiet_prints_the_psi_of_each_column_one_a_line(run, pair):
    ref, cur = pair
    result = run("drift", ref, cur, "--bins", "edges:2", "--categorical", "city", "-q")
    lines = result.stdout.splitlines()
    assert len(lines) == 2 and math.isclose(float(lines[0]), 0.25 * math.log(3), rel_tol=1e-14)
    assert lines[1] == "inf"
    one = run("drift", ref, cur, "--bins", "edges:2", "--select", "x", "-q")
    assert math.isclose(float(one.stdout), 0.25 * math.log(3), rel_tol=1e-14)


def test_fail_above_exits_3_naming_the_columns(run, pair):
    ref, cur = pair
    result = run("drift", ref, cur, "--bins", "edges:2", "--categorical", "city", "--fail-above", "0.25", "-q")
    assert result.exit_code == 3
    assert "psi above 0.25 in 2 of 2 columns: x (0.27" in result.stderr and "city (inf)" in result.stderr
    assert len(result.stdout.splitlines()) == 2  # the report is written first
    passed = run("drift", ref, cur, "--bins", "edges:2", "--select", "x", "--fail-above", "0.3", "-q")
    assert passed.exit_code == 0 and "above" not in passed.stderr
    ks = run("drift", ref, cur, "--select", "x", "--fail-above", "0.2", "--measure", "ks", "-q")
    assert ks.exit_code == 3 and "ks above 0.2 in 1 of 1 column: x (0.25)" in ks.stderr


def test_fail_above_with_a_measure_no_column_has_is_refused(run, pair):
    ref, cur = pair
    result = run("drift", ref, cur, "--select", "city", "--categorical", "city", "--fail-above", "1",
                 "--measure", "wasserstein_1")
    assert result.exit_code == 2 and "not measured for any of these columns" in result.stderr
    assert result.stdout == ""


def test_column_shows_its_bins_in_every_format(run, run_json, pair):
    ref, cur = pair
    document = run_json("drift", ref, cur, "--bins", "edges:2", "--column", "x", "--select", "x")
    assert document["column"] == "x"
    first, second = document["bins"]
    assert first == {"bin": "(-inf, 2]", "low": "-inf", "high": 2.0, "reference_count": 2, "current_count": 1,
                     "reference_share": 0.5, "current_share": 0.25, "psi_term": first["psi_term"]}
    assert math.isclose(first["psi_term"], 0.25 * math.log(2), rel_tol=1e-14)
    rows = list(csv.DictReader(io.StringIO(run("drift", ref, cur, "--bins", "edges:2", "--column", "x",
                                               "--select", "x", "-f", "csv").stdout)))
    assert [row["bin"] for row in rows] == ["(-inf, 2]", "(2, +inf)"] and rows[1]["current_count"] == "3"
    table = run("drift", ref, cur, "--bins", "edges:2", "--column", "x", "--select", "x", env={"COLUMNS": "120"})
    assert "(2, +inf)" in table.stdout and "PSI term" in table.stdout


def test_csv_has_a_record_per_column_with_the_unsmoothed_measures(run, pair):
    ref, cur = pair
    result = run("drift", ref, cur, "--categorical", "city", "--pseudocount", "0.5", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [row["column"] for row in rows] == ["x", "city"]
    assert rows[1]["psi_unsmoothed"] == "inf" and math.isfinite(float(rows[1]["psi"]))
    assert rows[0]["chi2"] == "" and rows[1]["wasserstein_1"] == "" and rows[0]["smoothing"] == "pseudocount 0.5"


def test_the_table_names_the_columns_and_their_verdicts(run, pair):
    ref, cur = pair
    result = run("drift", ref, cur, "--bins", "edges:2", "--categorical", "city", env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "stable < 0.1 ≤ moderate ≤ 0.25 < major" in result.stdout
    assert "major" in result.stdout and "missing values 1 in the reference" in result.stdout


def test_thresholds_change_the_verdict(run_json, pair):
    ref, cur = pair
    (x,) = run_json("drift", ref, cur, "--bins", "edges:2", "--select", "x", "--thresholds", "0.3,0.5")["columns"]
    assert x["verdict"] == "stable"


def test_min_share_folds_rare_categories_on_both_sides(run_json, tmp_path):
    ref, cur = tmp_path / "r.csv", tmp_path / "c.csv"
    ref.write_text("c\n" + "a\n" * 90 + "b\n" * 8 + "x\n" + "y\n")
    cur.write_text("c\n" + "a\n" * 85 + "b\n" * 13 + "z\n" + "y\n")
    (column,) = run_json("drift", ref, cur, "--categorical", "c", "--min-share", "0.05", "--column", "c")["columns"]
    assert column["folded"] == ["x", "y", "z"] and column["n_bins"] == 3
    r, c = np.array([90, 8, 2]) / 100, np.array([85, 13, 2]) / 100
    assert math.isclose(column["psi"], psi(r, c), rel_tol=1e-13)


def test_integer_codes_are_categories(run_json, tmp_path):
    ref, cur = tmp_path / "r.npy", tmp_path / "c.npy"
    np.save(ref, np.array([1, 1, 2, 3]))
    np.save(cur, np.array([1, 2, 2, 3]))
    document = run_json("drift", ref, cur, "--categorical", "1", "--column", "1")
    assert [item["bin"] for item in document["bins"]] == ["1", "2", "3"]
    assert math.isclose(document["columns"][0]["psi"], psi([0.5, 0.25, 0.25], [0.25, 0.5, 0.25]), rel_tol=1e-13)


@pytest.mark.parametrize("kind", ["npy2d", "jsonl", "tsv", "stdin"])
def test_every_input_format_gives_the_same_numbers(run, run_json, tmp_path, kind):
    rng = np.random.default_rng(3)
    ref, cur = rng.normal(0, 1, (200, 2)), rng.normal(0.5, 1, (150, 2))

    def write(path, values):
        if kind == "npy2d":
            np.save(path, values)
        elif kind == "jsonl":
            path.write_text("".join(json.dumps({"1": float(a), "2": float(b)}) + "\n" for a, b in values))
        else:
            # no header: a first row of numbers is data (the columns are numbered, as a .npy's)
            path.write_text("".join(f"{float(a)!r}\t{float(b)!r}\n" for a, b in values))

    suffix = {"npy2d": ".npy", "jsonl": ".jsonl"}.get(kind, ".tsv")
    paths = [tmp_path / f"r{suffix}", tmp_path / f"c{suffix}"]
    for path, values in zip(paths, (ref, cur)):
        write(path, values)
    if kind == "stdin":
        document = json.loads(run("drift", paths[0], "-", "-f", "json", input=paths[1].read_bytes()).stdout)
    else:
        document = run_json("drift", *paths)
    assert [column["column"] for column in document["columns"]] == ["1", "2"]
    for index, column in enumerate(document["columns"]):
        edges = np.unique(np.quantile(ref[:, index], np.arange(1, 10) / 10))
        r = np.bincount(np.searchsorted(edges, ref[:, index]), minlength=10) / 200
        c = np.bincount(np.searchsorted(edges, cur[:, index]), minlength=10) / 150
        assert math.isclose(column["psi"], psi(r, c), rel_tol=1e-12)


def test_parquet_samples_with_text_and_nulls(run_json, tmp_path):
    pa, pq = needs("pyarrow"), needs("pyarrow.parquet")
    ref, cur = tmp_path / "r.parquet", tmp_path / "c.parquet"
    pq.write_table(pa.table({"x": [1.0, 2.0, None, 4.0], "c": ["a", "b", None, "a"]}), ref)
    pq.write_table(pa.table({"x": [1.0, 2.0, 3.0, 4.0], "c": ["a", "a", "a", "b"]}), cur)
    x, c = run_json("drift", ref, cur, "--categorical", "c", "--bins", "edges:2")["columns"]
    assert x["missing_reference"] == 1 and c["missing_reference"] == 1 and c["n_bins"] == 3


# --------------------------------------------------------------------------------------------
# refusals


def test_different_columns_are_refused_naming_them(run, tmp_path):
    ref, cur = tmp_path / "r.csv", tmp_path / "c.csv"
    ref.write_text("a,b\n1,2\n")
    cur.write_text("a,c\n1,2\n")
    result = run("drift", ref, cur)
    assert result.exit_code == 1
    assert f"{cur}: no column 'b', which {ref} has" in result.stderr and "--drop b" in result.stderr


def test_a_column_of_text_alone_is_counted_per_category_and_said(run, run_json, pair):
    ref, cur = pair
    named = run_json("drift", ref, cur, "--categorical", "city")["columns"]
    found = run_json("drift", ref, cur)["columns"]
    assert [column["psi"] for column in found] == [column["psi"] for column in named]
    assert found[1]["chi2"] is not None and found[1]["wasserstein_1"] is None
    assert "note: city: text, so counted per category" in run("drift", ref, cur).stdout


def test_a_number_among_text_or_text_among_numbers_is_refused_with_the_fix(run, tmp_path, pair):
    ref, cur = pair
    typo = tmp_path / "typo.csv"
    typo.write_text("x,city\n1,Paris\n2,7\n3,Lyon\n4,Nice\n")
    result = run("drift", typo, cur)
    assert result.exit_code == 1
    assert f"{typo}:2:2: column 'city': not a number: 'Paris'" in result.stderr
    assert "pass --categorical city" in result.stderr
    slip = tmp_path / "slip.csv"
    slip.write_text("x,city\n1,Paris\nabc,Lyon\n3,Lyon\n4,Nice\n")
    result = run("drift", slip, cur)
    assert result.exit_code == 1 and f"{slip}:3:1: column 'x': not a number: 'abc'" in result.stderr


@pytest.mark.parametrize("args, words", [
    (("--bins", "quantile:1"), "from 2 to 10,000"),
    (("--bins", "edges:3,1"), "increase strictly"),
    (("--bins", "bananas"), "not a binning rule"),
    (("--pseudocount", "1", "--epsilon", "0.1"), "give one of them"),
    (("--measure", "ks"), "give --fail-above X too"),
    (("--thresholds", "0.3,0.1"), "above the second"),
    (("--thresholds", "0.1"), "not two thresholds"),
    (("--epsilon", "0"), "not a number"),
    (("--measure", "tv", "--fail-above", "1"), "'tv' is not one of"),
])
def test_bad_command_lines_exit_2(run, pair, args, words):
    ref, cur = pair
    result = run("drift", ref, cur, *args)
    assert result.exit_code == 2 and words in result.stderr, result.stderr


def test_an_unknown_column_or_categorical_name_is_refused(run, pair):
    """A name the samples have not is a mistake of the command line: exit 2."""
    ref, cur = pair
    result = run("drift", ref, cur, "--categorical", "city", "--column", "age")
    assert result.exit_code == 2 and "'--column': no column 'age'" in result.stderr and "'x', 'city'" in result.stderr
    result = run("drift", ref, cur, "--categorical", "town")
    assert result.exit_code == 2 and "--categorical: no column 'town'" in result.stderr


def test_ragged_rows_and_an_empty_file_are_refused(run, tmp_path):
    ref, cur = tmp_path / "r.csv", tmp_path / "c.csv"
    ref.write_text("a,b\n1,2\n3\n")
    cur.write_text("a,b\n")
    result = run("drift", ref, cur)
    assert result.exit_code == 1 and f"{ref}:3: 1 cells where the header has 2" in result.stderr
    ref.write_text("a,b\n1,2\n")
    result = run("drift", ref, cur)
    assert result.exit_code == 1 and f"{cur}: no rows of samples" in result.stderr


def test_plain_decimals_and_other_numbers_read_the_same(run_json, tmp_path):
    rng = np.random.default_rng(5)
    values = np.round(rng.normal(0, 1, (300, 2)), 4)
    plain, careful = tmp_path / "plain.csv", tmp_path / "careful.csv"
    plain.write_text("a,b\n" + "".join(f"{a},{b}\n" for a, b in values))
    careful.write_text("a,b\n" + "".join(f"{a:+},{b}\n" for a, b in values))  # a sign: not a plain decimal
    fast = run_json("drift", plain, plain, "--bins", "uniform:7")
    slow = run_json("drift", careful, plain, "--bins", "uniform:7")
    assert fast == {**slow, "reference": fast["reference"]} and slow["columns"][0]["psi"] == 0


def test_samples_larger_than_the_memory_available_are_refused(run, pair, monkeypatch):
    from divcli.readers import samples

    monkeypatch.setattr(samples, "available_memory", lambda: 100)
    ref, cur = pair
    result = run("drift", ref, cur)
    assert result.exit_code == 1
    assert "more than the 100 bytes available" in result.stderr and "shuf -n" in result.stderr


def test_output_goes_to_a_file_and_the_gate_still_exits_3(run, pair, tmp_path):
    ref, cur = pair
    out = tmp_path / "drift.json"
    result = run("drift", ref, cur, "--select", "x", "--bins", "edges:2", "-f", "json", "-o", out, "--fail-above", "0.1")
    assert result.exit_code == 3 and result.stdout == ""
    (x,) = json.loads(out.read_text())["columns"]
    assert math.isclose(x["psi"], 0.25 * math.log(3), rel_tol=1e-14)
    refused = run("drift", ref, cur, "-o", ref)
    assert refused.exit_code == 2 and "the same file" in refused.stderr and ref.read_text().startswith("x,city")


def test_integer_codes_written_as_1_and_1_0_are_one_category(run_json, tmp_path):
    """pandas writes an integer column with a gap as 1.0: the codes are matched by value, as in Parquet."""
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("k\n1\n2\n1\n2\n")
    cur.write_text("k\n1.0\n2.0\n1.0\nNA\n2.0\n")
    (column,) = run_json("drift", ref, cur, "--categorical", "k")["columns"]
    r, c = np.array([2, 2, 0]) / 4, np.array([2, 2, 1]) / 5  # 1, 2, (missing)
    assert column["n_bins"] == 3
    assert math.isclose(column["hellinger"], math.sqrt(0.5 * np.sum((np.sqrt(r) - np.sqrt(c)) ** 2)), rel_tol=1e-13)


@pytest.mark.parametrize("pieces", [None, "2000"])
def test_fd_asking_for_billions_of_bins_is_refused_before_any_edge_is_made(run, tmp_path, monkeypatch, pieces):
    values = np.random.default_rng(1).normal(size=1000)
    values[:3] = [1e9, 2e9, -1e9]
    path = tmp_path / "v.csv"
    np.savetxt(path, values, header="v", comments="", fmt="%.17g")
    if pieces:
        monkeypatch.setenv("DIVCLI_DRIFT_PIECE_BYTES", pieces)
    result = run("drift", path, path, "--bins", "fd", "-q")
    assert result.exit_code == 1
    assert "the Freedman–Diaconis rule asks for 11,191,754,058 bins" in result.stderr, result.stderr
