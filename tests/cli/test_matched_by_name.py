"""Classes matched by name: histograms as people have them (``bin,count``, pandas' ``value_counts()``
in CSV, TSV, JSON records and JSON Lines) and dictionaries in any order, across the two operands and
within a file; a bin one side lacks counts as 0 (warned), a key one side lacks is refused or, with
``--missing zero``, counted as 0 (warned). Every number against a float64 computation in the test."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from helpers.extras import needs

REF = {"cat": 50, "dog": 30, "eel": 20}
CUR = {"dog": 25, "cat": 60, "fox": 15}  # another order, no eel, a fox


def shares(counts: dict, classes: list[str]) -> np.ndarray:
    values = np.array([counts.get(name, 0) for name in classes], dtype=float)
    return values / values.sum()


def kl(p: np.ndarray, q: np.ndarray) -> float:
    with np.errstate(divide="ignore"):
        return float(sum(a * math.log(a / b) if a > 0 else 0.0 for a, b in zip(p, q)))


def js(p: np.ndarray, q: np.ndarray) -> float:
    m = (p + q) / 2
    return 0.5 * kl(p, m) + 0.5 * kl(q, m)


def psi(p: np.ndarray, q: np.ndarray) -> float:
    return float(sum((b - a) * math.log(b / a) for a, b in zip(p, q)))


def bin_count(path, counts: dict, header: str = "bin,count", delimiter: str = ",") -> str:
    """What ``series.value_counts().to_csv()`` writes (pandas ≥ 2 names the column ``count``)."""
    lines = [header.replace(",", delimiter)] + [f"{name}{delimiter}{count}" for name, count in counts.items()]
    path.write_text("\n".join(lines) + "\n")
    return str(path)


# --------------------------------------------------------------------------------------------
# histograms: bin,count


def test_bin_count_histograms_work_on_the_first_try(run, tmp_path):
    p = bin_count(tmp_path / "ref.csv", {"cat": 50, "dog": 30, "eel": 20})
    q = bin_count(tmp_path / "cur.csv", {"eel": 10, "cat": 60, "dog": 30})  # another order
    result = run("kl", p, q, "-q")
    assert result.exit_code == 0, result.stderr
    classes = ["cat", "dog", "eel"]
    expected = kl(shares(REF, classes), shares({"eel": 10, "cat": 60, "dog": 30}, classes))
    assert float(result.stdout) == pytest.approx(expected, rel=1e-14)
    assert result.stderr == ""  # another order is no warning: the header says so


def test_the_header_says_histogram_and_realigned(run, tmp_path):
    p = bin_count(tmp_path / "ref.csv", REF)
    q = bin_count(tmp_path / "cur.csv", {"eel": 10, "cat": 60, "dog": 30})
    table = run("kl", p, q).stdout
    assert "read as a histogram of 3 bins, its 'count' column divided by its total" in table
    assert "Q's classes (" in table and "in another order: matched to P's by name" in table
    doc = json.loads(run("kl", p, q, "-f", "json").stdout)
    assert doc["classes"] == ["cat", "dog", "eel"] and len(doc["notes"]) == 3


def test_a_bin_on_one_side_only_counts_as_zero_with_a_warning(run, tmp_path):
    p = bin_count(tmp_path / "ref.csv", REF)
    q = bin_count(tmp_path / "cur.csv", CUR)
    classes = ["cat", "dog", "eel", "fox"]
    result = run("js", p, q, "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(js(shares(REF, classes), shares(CUR, classes)), rel=1e-14)
    assert "has no bin 'fox': counted as 0 there" in result.stderr
    assert "has no bin 'eel': counted as 0 there" in result.stderr
    doc = json.loads(run("js", p, q, "-f", "json").stdout)
    assert doc["classes"] == classes
    assert any("has no bin 'fox'" in warning for warning in doc["warnings"])


def test_the_infinite_warning_of_a_bin_counted_as_zero_points_at_no_cell(run, tmp_path):
    p = bin_count(tmp_path / "ref.csv", REF)
    q = bin_count(tmp_path / "cur.csv", CUR)
    result = run("kl", p, q, "-q")
    assert result.exit_code == 0 and result.stdout.strip() == "inf"
    infinite = next(line for line in result.stderr.splitlines() if "is +inf" in line)
    assert "class 'eel'" in infinite and f"({q}: no such bin, counted as 0)" in infinite, infinite


def test_many_missing_bins_are_named_a_few_then_counted(run, tmp_path):
    p = bin_count(tmp_path / "ref.csv", {f"b{i}": i + 1 for i in range(12)})
    q = bin_count(tmp_path / "cur.csv", {"b0": 5, "b1": 5})
    result = run("js", p, q, "-q")
    assert result.exit_code == 0
    assert "has no bins 'b2', 'b3', 'b4', 'b5', 'b6' and 5 more: counted as 0 there" in result.stderr


def test_compare_and_psi_on_histograms(run, tmp_path):
    p = bin_count(tmp_path / "ref.csv", REF)
    q = bin_count(tmp_path / "cur.csv", {"dog": 25, "cat": 60, "eel": 15})
    classes = ["cat", "dog", "eel"]
    expected = psi(shares(REF, classes), shares({"dog": 25, "cat": 60, "eel": 15}, classes))
    result = run("compare", p, q, "-m", "psi", "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(expected, rel=1e-14)
    every = json.loads(run("compare", p, q, "-f", "json").stdout)
    assert every["value"]["jeffreys"] == pytest.approx(expected, rel=1e-14)


def test_tsv_and_the_count_header_of_integer_values(run, tmp_path):
    """A TSV; and pandas ≥ 2's value_counts() of an integer column: x,count, the values numbers."""
    p = bin_count(tmp_path / "ref.tsv", REF, delimiter="\t")
    q = bin_count(tmp_path / "cur.csv", {"cat": 40, "dog": 40, "eel": 20})
    classes = ["cat", "dog", "eel"]
    (value,) = run("kl", p, q, "-q").stdout.split()
    assert float(value) == pytest.approx(kl(shares(REF, classes), shares({"cat": 40, "dog": 40, "eel": 20}, classes)))
    a = bin_count(tmp_path / "a.csv", {"3": 10, "1": 30, "2": 60}, header="rating,count")
    b = bin_count(tmp_path / "b.csv", {"1": 20, "2": 50, "3": 30}, header="rating,proportion")
    result = run("kl", a, b, "-q")
    assert result.exit_code == 0, result.stderr
    expected = kl(np.array([10, 30, 60]) / 100, np.array([30, 20, 50]) / 100)
    assert float(result.stdout) == pytest.approx(expected, rel=1e-14)


def test_json_records_and_json_lines_of_bins(run, tmp_path):
    """``value_counts().reset_index().to_json(orient="records")`` (and ``lines=True``)."""
    (tmp_path / "ref.json").write_text(json.dumps([{"animal": k, "count": v} for k, v in REF.items()]))
    (tmp_path / "cur.jsonl").write_text("".join(json.dumps({"animal": k, "count": v}) + "\n" for k, v in CUR.items()))
    classes = ["cat", "dog", "eel", "fox"]
    result = run("kl", tmp_path / "ref.json", tmp_path / "cur.jsonl", "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == math.inf  # eel: p > 0, q = 0
    result = run("kl", tmp_path / "cur.jsonl", tmp_path / "ref.json", "-q", "--pseudocount", "1")
    expected = kl(shares({k: v + 1 for k, v in CUR.items()} | {"eel": 1}, classes),
                  shares({k: v + 1 for k, v in REF.items()} | {"fox": 1}, ["cat", "dog", "eel", "fox"]))
    assert float(result.stdout) == pytest.approx(expected, rel=1e-14)


def test_pandas_value_counts_as_written(run, tmp_path):
    pd = needs("pandas")
    ref = pd.Series(["cat"] * 50 + ["dog"] * 30 + ["eel"] * 20, name="animal")
    cur = pd.Series(["dog"] * 25 + ["cat"] * 60 + ["fox"] * 15, name="animal")
    ref.value_counts().to_csv(tmp_path / "ref.csv")
    cur.value_counts().to_csv(tmp_path / "cur.csv")
    cur.value_counts().reset_index().to_json(tmp_path / "cur.json", orient="records")
    classes = ["cat", "dog", "eel", "fox"]
    expected = js(shares(REF, classes), shares(CUR, classes))
    for q in ("cur.csv", "cur.json"):
        result = run("js", tmp_path / "ref.csv", tmp_path / q, "-q")
        assert result.exit_code == 0, result.stderr
        assert float(result.stdout) == pytest.approx(expected, rel=1e-14)


def test_a_bin_named_twice_is_refused(run, tmp_path):
    p = tmp_path / "ref.csv"
    p.write_text("bin,count\na,1\nb,2\na,3\n")
    result = run("kl", p, p)
    assert result.exit_code == 1 and "bin 'a' is named twice" in result.stderr and "Traceback" not in result.stderr


def test_ce_keeps_a_column_of_labels_beside_row_names(run, tmp_path):
    """ce's P of class indices beside an id column is labels, never a histogram."""
    labels = tmp_path / "labels.csv"
    labels.write_text("id,label\nimg1,2\nimg2,0\n")
    result = run("ce", labels, "0.2,0.3,0.5;0.1,0.8,0.1", "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(-(math.log(0.5) + math.log(0.1)) / 2, rel=1e-14)


# --------------------------------------------------------------------------------------------
# dictionaries: JSON objects in any order


def test_dictionaries_in_another_order_within_a_file_and_across(run, tmp_path):
    """``to_json(orient="records")`` of frames whose columns are in another order."""
    (tmp_path / "p.json").write_text('[{"cat": 0.2, "dog": 0.8}, {"dog": 0.5, "cat": 0.5}]')
    (tmp_path / "q.jsonl").write_text('{"dog": 0.3, "cat": 0.7}\n{"cat": 0.4, "dog": 0.6}\n')
    result = run("kl", tmp_path / "p.json", tmp_path / "q.jsonl", "--reduction", "row", "-q")
    assert result.exit_code == 0, result.stderr
    expected = [kl(np.array([0.2, 0.8]), np.array([0.7, 0.3])), kl(np.array([0.5, 0.5]), np.array([0.4, 0.6]))]
    np.testing.assert_allclose([float(x) for x in result.stdout.split()], expected, rtol=1e-14)
    doc = json.loads(run("kl", tmp_path / "p.json", tmp_path / "q.jsonl", "-f", "json").stdout)
    assert doc["notes"] == ["Q's classes (" + str(tmp_path / "q.jsonl") + ") in another order: matched to P's by name"]


def test_json_lines_keep_the_first_rows_order_across_blocks(run, tmp_path, monkeypatch):
    from divcli.readers import sizes

    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 2)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 4)
    rows = [{"a": 0.1, "b": 0.9}, {"b": 0.2, "a": 0.8}, {"b": 0.3, "a": 0.7}, {"a": 0.6, "b": 0.4}, {"b": 0.5, "a": 0.5}]
    (tmp_path / "p.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    result = run("kl", tmp_path / "p.jsonl", "0.5,0.5", "--reduction", "row", "-q")
    assert result.exit_code == 0, result.stderr
    expected = [kl(np.array([row["a"], row["b"]]), np.array([0.5, 0.5])) for row in rows]
    np.testing.assert_allclose([float(x) for x in result.stdout.split()], expected, rtol=1e-14)


def test_a_key_on_one_side_only_is_refused_with_the_keys(run, tmp_path):
    (tmp_path / "p.json").write_text('{"cat": 0.2, "dog": 0.5, "eel": 0.3}')
    (tmp_path / "q.json").write_text('{"dog": 0.4, "cat": 0.4, "fox": 0.2}')
    result = run("kl", tmp_path / "p.json", tmp_path / "q.json")
    assert result.exit_code == 1 and result.stdout == ""
    assert "the operands name different classes" in result.stderr
    assert "has no 'fox'" in result.stderr and "has no 'eel'" in result.stderr and "--missing zero" in result.stderr


def test_missing_zero_counts_a_key_as_zero_with_a_warning(run, tmp_path):
    (tmp_path / "p.json").write_text('{"cat": 0.2, "dog": 0.5, "eel": 0.3}')
    (tmp_path / "q.json").write_text('{"dog": 0.4, "cat": 0.4, "fox": 0.2}')
    result = run("js", tmp_path / "p.json", tmp_path / "q.json", "--missing", "zero", "-q")
    assert result.exit_code == 0, result.stderr
    expected = js(np.array([0.2, 0.5, 0.3, 0.0]), np.array([0.4, 0.4, 0.0, 0.2]))
    assert float(result.stdout) == pytest.approx(expected, rel=1e-14)
    assert "has no class 'fox': counted as 0 there" in result.stderr
    assert "has no class 'eel': counted as 0 there" in result.stderr


def test_a_row_without_a_key_of_the_first_is_refused_in_a_file(run, tmp_path):
    (tmp_path / "p.jsonl").write_text('{"cat": 0.2, "dog": 0.8}\n{"cat": 0.5, "eel": 0.5}\n')
    result = run("entropy", tmp_path / "p.jsonl")
    assert result.exit_code == 1
    assert "p.jsonl:2: this object's keys are not the first row's: it has no 'dog'; it has 'eel' besides" in result.stderr


def test_no_class_in_common_is_refused_even_with_missing_zero(run, tmp_path):
    (tmp_path / "p.json").write_text('{"cat": 0.2, "dog": 0.8}')
    (tmp_path / "q.json").write_text('{"x": 0.4, "y": 0.6}')
    result = run("kl", tmp_path / "p.json", tmp_path / "q.json", "--missing", "zero")
    assert result.exit_code == 1 and "the operands name no class alike" in result.stderr


def test_pandas_records_in_another_column_order(run, tmp_path):
    pd = needs("pandas")
    frame = pd.DataFrame({"cat": [0.7, 0.1], "dog": [0.2, 0.8], "eel": [0.1, 0.1]})
    frame.to_json(tmp_path / "p.json", orient="records")
    frame[["eel", "cat", "dog"]].to_json(tmp_path / "q.jsonl", orient="records", lines=True)
    result = run("kl", tmp_path / "p.json", tmp_path / "q.jsonl", "--reduction", "sum", "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == 0.0
