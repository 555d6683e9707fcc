"""``divcli.drift`` and ``divcli.mutual_information``: the numbers of ``divcli drift -f json`` and
``divcli mi -f json`` (compared by value), each checked against a plain numpy computation, and the
arguments the command line would refuse refused with a ValueError that says why."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import divcli

pytestmark = pytest.mark.numeric

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
REF, CUR = str(SAMPLES / "drift_ref.csv"), str(SAMPLES / "drift_cur.csv")


def _same(found, expected):
    """Two JSON-like values equal by value (numbers to the last bit; JSON's "inf" as float)."""
    if isinstance(expected, dict):
        assert set(found) == set(expected)
        for key in expected:
            _same(found[key], expected[key])
    elif isinstance(expected, list):
        assert len(found) == len(expected)
        for one, other in zip(found, expected):
            _same(one, other)
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool) or expected in ("inf", "-inf"):
        assert float(found) == float(expected)
    else:
        assert found == expected


@pytest.mark.parametrize("args, kwargs", [
    (["--categorical", "city"], {"categorical": "city"}),
    (["--categorical", "city", "--bins", "uniform:5", "--select", "age,city"],
     {"categorical": ["city"], "bins": "uniform:5", "select": ["age", "city"]}),
    (["--drop", "city", "--bins", "edges:30,40,50", "--pseudocount", "0.5", "--thresholds", "0.05,0.2"],
     {"drop": "city", "bins": [30, 40, 50], "pseudocount": 0.5, "thresholds": (0.05, 0.2)}),
    (["--select", "city", "--categorical", "city", "--bootstrap", "50", "--seed", "3"],
     {"select": "city", "categorical": "city", "bootstrap": 50, "seed": 3}),
])
def test_drift_gives_the_columns_of_the_cli_json(run_json, args, kwargs):
    expected = {record["column"]: record for record in run_json("drift", REF, CUR, *args)["columns"]}
    found = divcli.drift(REF, CUR, **kwargs)
    assert list(found) == list(expected)
    _same(found, expected)


def _psi(reference, current):
    r = reference / reference.sum()
    c = current / current.sum()
    return float(np.sum((c - r) * np.log(c / r)))


def test_drift_of_mappings_by_hand():
    reference = {"city": ["a"] * 6 + ["b"] * 3 + ["c"], "x": [1.0, 2, 3, 4, 5, 6, 7, 8, 9, None]}
    current = {"city": ["a"] * 3 + ["b"] * 5 + ["c"] * 2, "x": [1.0, 1, 2, 2, 3, 9, 9, 9, 9, 9]}
    with pytest.warns(UserWarning, match=r"PSI is \+inf: column 'x'") as caught:
        found = divcli.drift(reference, current, bins="edges:3,6")
    assert caught[0].filename == __file__  # shown at the caller's line
    city = found["city"]
    assert city["kind"] == "categorical" and city["n_reference"] == 10
    assert city["psi"] == pytest.approx(_psi(np.array([6, 3, 1.0]), np.array([3, 5, 2.0])), rel=1e-12)
    # x: (−inf, 3], (3, 6], (6, inf) and a missing bin
    x = found["x"]
    assert x["psi"] == math.inf  # (3, 6] and the missing bin are empty in the current sample
    assert x["missing_reference"] == 1 and x["missing_current"] == 0
    smoothed = divcli.drift(reference, current, bins="edges:3,6", pseudocount=1)["x"]
    assert smoothed["psi"] == pytest.approx(_psi(np.array([4, 4, 4, 2.0]), np.array([6, 1, 6, 1.0])), rel=1e-12)


def test_drift_says_an_infinite_psi_as_a_python_warning():
    with pytest.warns(UserWarning, match="pseudocount="):
        divcli.drift({"x": [1.0, 2, 3, 4]}, {"x": [1.0, 1, 1, 1]}, bins="edges:2")


@pytest.mark.parametrize("kwargs, words", [
    ({"bins": "quantile:1"}, "quantile:1 needs a whole number of bins"),
    ({"pseudocount": 1, "epsilon": 0.01}, "two ways to smooth"),
    ({"epsilon": 1.5}, "epsilon is a share in (0, 1)"),
    ({"thresholds": (0.3, 0.1)}, "0 ≤ A ≤ B"),
    ({"seed": 1}, "give bootstrap=N too"),
    ({"bootstrap": 0}, "bootstrap is a whole number ≥ 1"),
    ({"bootstrap": 10, "seed": -1}, "seed is a whole number ≥ 0"),
    ({"thresholds": "ab"}, "thresholds are two numbers"),
    ({"binned": True, "bootstrap": 5}, "bootstrap is for raw samples"),
    ({"bootstrap": 10, "ci": 2}, "ci is a confidence level"),
    ({"binned": True, "select": "a"}, "select is for raw samples"),
    ({"min_share": -0.1}, "min_share is a share"),
])
def test_drift_refuses_what_the_command_line_refuses(kwargs, words):
    with pytest.raises(ValueError, match=None) as caught:
        divcli.drift(REF, CUR, **kwargs)
    assert words in str(caught.value)


def test_drift_of_files_with_another_columns_names_the_argument(tmp_path):
    other = tmp_path / "cur.csv"
    other.write_text("age,score\n1,2\n")
    with pytest.raises(divcli.DataError, match="drop="):
        divcli.drift(REF, str(other))
    with pytest.raises(ValueError, match="mapping of column name"):
        divcli.drift(REF, [1, 2, 3])


def _mi_by_hand(table):
    p = np.asarray(table, dtype=float) / np.sum(table)
    px, py = p.sum(axis=1), p.sum(axis=0)
    h = lambda v: -float(np.sum(v[v > 0] * np.log(v[v > 0])))  # noqa: E731
    return h(px), h(py), h(p.ravel()), h(px) + h(py) - h(p.ravel())


def test_mi_of_a_file_of_labels_is_the_clis(run_json):
    pairs = str(SAMPLES / "pairs.csv")
    expected = run_json("mi", pairs, "--x", "weather", "--y", "umbrella", "--base", "2")
    _same(divcli.mutual_information(pairs, x_column="weather", y_column="umbrella", base=2), expected)
    _same(divcli.mutual_information(pairs, base=2), expected)  # its two columns, X first


def test_mi_of_a_joint_table_is_the_clis(run_json):
    joint = str(SAMPLES / "joint.csv")
    expected = run_json("mi", "--joint", joint)
    _same(divcli.mutual_information(joint=joint), expected)
    table = [[30, 10], [5, 45], [10, 20]]
    found = divcli.mutual_information(joint=table)
    h_x, h_y, h_xy, mi = _mi_by_hand(table)
    assert (found["h_x"], found["h_y"], found["h_xy"]) == pytest.approx((h_x, h_y, h_xy), rel=1e-12)
    assert found["mi"] == pytest.approx(expected["mi"], rel=1e-15) == pytest.approx(mi, rel=1e-12)
    assert found["h_x_given_y"] == pytest.approx(h_xy - h_y, rel=1e-12)
    assert found["nmi_arithmetic"] == pytest.approx(mi / ((h_x + h_y) / 2), rel=1e-12)
    assert found["n"] == 120 and found["g_statistic"] == pytest.approx(2 * 120 * mi, rel=1e-12)


def test_mi_of_sequences_of_labels_by_hand():
    x = ["a", "a", "b", "b", "b", 1]
    y = [0, 0, 1, 1, 0, 1]
    found = divcli.mutual_information(x, y, base="bits")
    _, _, _, mi = _mi_by_hand([[2, 0], [1, 2], [0, 1]])  # X: 1, a, b (sorted as text); Y: 0, 1
    assert found["mi"] == pytest.approx(mi / math.log(2), rel=1e-12)
    assert found["unit"] == "bits" and found["n"] == 6


@pytest.mark.parametrize("args, kwargs, words", [
    ((["a"], ["b", "c"]), {}, "x has 1 labels and y 2"),
    ((["a", "b"],), {}, "come as two"),
    (([["a"]], [["b"]]), {}, "one label per row"),
    ((), {}, "give two columns of labels"),
    ((["a"], ["b"]), {"joint": [[1, 2]]}, "not both"),
    ((), {"joint": [1, 2]}, "2-D table"),
    ((["a"], ["b"]), {"base": 1}, "base"),
])
def test_mi_refuses_bad_arguments(args, kwargs, words):
    with pytest.raises(ValueError) as caught:
        divcli.mutual_information(*args, **kwargs)
    assert words in str(caught.value)


def test_mi_of_a_table_that_is_neither_counts_nor_probabilities_is_a_data_error():
    with pytest.raises(divcli.DataError, match="neither counts"):
        divcli.mutual_information(joint=[[0.5, 0.25], [0.5, 0.25]])
