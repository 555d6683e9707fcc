"""``divcli.mutual_information(..., estimator=...)``: the numbers of ``divcli mi --estimator E -f json``
(compared by value) for label files and joint tables, one case worked by hand (Miller–Madow: each
entropy plus (K − 1)/2N), and the arguments the command line refuses refused with a ValueError."""

from __future__ import annotations

import math
from collections import Counter
from pathlib import Path

import pytest

import divcli
from divcli.vocabulary import ESTIMATORS

pytestmark = pytest.mark.numeric

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
PAIRS, JOINT = str(SAMPLES / "pairs.csv"), str(SAMPLES / "joint.csv")


def same(found, expected):
    """Two JSON-like values equal by value (numbers to the last bit; JSON's "inf" as a float)."""
    if isinstance(expected, dict):
        assert set(found) == set(expected)
        for key in expected:
            same(found[key], expected[key])
    elif isinstance(expected, list):
        assert len(found) == len(expected)
        for one, other in zip(found, expected):
            same(one, other)
    elif isinstance(expected, (int, float)) and not isinstance(expected, bool) or expected in ("inf", "-inf"):
        assert float(found) == float(expected) or math.isnan(float(found)) and math.isnan(float(expected))
    else:
        assert found == expected


@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_labels_give_the_clis_numbers(run_json, estimator):
    expected = run_json("mi", PAIRS, "--x", "weather", "--y", "umbrella", "--estimator", estimator, "--base", "2")
    found = divcli.mutual_information(PAIRS, x_column="weather", y_column="umbrella", estimator=estimator, base=2)
    same(found, expected)
    assert found["estimator"] == estimator and ("plugin" in found) == (estimator != "plugin")


@pytest.mark.parametrize("estimator", list(ESTIMATORS))
def test_a_joint_table_gives_the_clis_numbers(run_json, estimator):
    expected = run_json("mi", "--joint", JOINT, "--estimator", estimator)
    same(divcli.mutual_information(joint=JOINT, estimator=estimator), expected)
    table = [[30, 10], [5, 45], [10, 20]]  # joint.csv's counts, as an array: the same numbers
    found = divcli.mutual_information(joint=table, estimator=estimator)
    for key in ("mi", "h_x", "h_y", "h_xy", "h_x_given_y", "h_y_given_x", "nmi_arithmetic", "n"):
        assert found[key] == expected[key]


def _plugin(counts):
    n = sum(counts)
    return -sum(c / n * math.log(c / n) for c in counts if c)


def _miller_madow(counts):
    return _plugin(counts) + (sum(1 for c in counts if c) - 1) / (2 * sum(counts))


def test_miller_madow_of_sequences_by_hand():
    x = ["a", "a", "b", "b", "b", "c", "c", "a"]
    y = [0, 0, 1, 1, 0, 1, 1, 1]
    found = divcli.mutual_information(x, y, estimator="miller-madow")
    h_x = _miller_madow(list(Counter(x).values()))  # 3 classes, N = 8: + 2/16
    h_y = _miller_madow(list(Counter(y).values()))  # 2 classes: + 1/16
    h_xy = _miller_madow(list(Counter(zip(x, y)).values()))  # 5 cells seen: + 4/16
    assert h_x == pytest.approx(_plugin([3, 3, 2]) + 2 / 16, rel=1e-15)
    assert found["h_x"] == pytest.approx(h_x, rel=1e-13)
    assert found["h_y"] == pytest.approx(h_y, rel=1e-13)
    assert found["h_xy"] == pytest.approx(h_xy, rel=1e-13)
    assert found["mi"] == pytest.approx(h_x + h_y - h_xy, rel=1e-12)
    assert found["h_x_given_y"] == pytest.approx(h_xy - h_y, rel=1e-12)
    plug_in = _plugin([3, 3, 2]) + _plugin([3, 5]) - _plugin(list(Counter(zip(x, y)).values()))
    assert found["plugin"]["mi"] == pytest.approx(plug_in, rel=1e-12)
    assert found["mi"] == pytest.approx(plug_in - 1 / 16, rel=1e-12)  # (2 + 1 − 4)/16 below the plug-in


def test_the_plugin_is_the_default():
    x, y = ["a", "b", "a", "b"], ["u", "u", "v", "v"]
    assert divcli.mutual_information(x, y) == divcli.mutual_information(x, y, estimator="plugin")


def test_an_estimator_of_probabilities_is_refused_as_the_command_line_refuses_it(run, tmp_path):
    probabilities = tmp_path / "joint.csv"
    probabilities.write_text("a,b\n0.25,0.25\n0.25,0.25\n")
    result = run("mi", "--joint", probabilities, "--estimator", "chao-shen")
    assert result.exit_code == 2 and "leave --estimator out" in result.stderr
    for joint in (str(probabilities), [[0.25, 0.25], [0.25, 0.25]]):
        with pytest.raises(ValueError, match="holds probabilities .*leave estimator out") as caught:
            divcli.mutual_information(joint=joint, estimator="chao-shen")
        assert not isinstance(caught.value, divcli.DataError)  # an argument that does not apply, not bad data
    assert divcli.mutual_information(joint=[[0.25, 0.25], [0.25, 0.25]])["mi"] == 0.0


def test_an_unknown_estimator_is_refused():
    with pytest.raises(ValueError, match="estimator must be one of plugin, miller-madow"):
        divcli.mutual_information(["a"], ["b"], estimator="millermadow")


def test_label_files_are_refused_in_each_edges_words(run, tmp_path):
    """One reading for both: the same faults, the choice of columns named as each edge names it."""
    wide = tmp_path / "wide.csv"
    wide.write_text("a,b,c\n1,2,3\n4,5,6\n")
    short = tmp_path / "short.csv"
    short.write_text("y\nu\n")
    result = run("mi", wide)
    assert result.exit_code == 1
    assert "has 3 columns ('a', 'b', 'c'): which are X and Y?; name them with --x COL --y COL" in result.stderr
    with pytest.raises(divcli.DataError, match=r"which are X and Y\?; name them with x_column and y_column"):
        divcli.mutual_information(str(wide))
    result = run("mi", wide, "--x", "d", "--y", "a")
    assert result.exit_code == 1 and "no column 'd' for --x" in result.stderr
    with pytest.raises(divcli.DataError, match="no column 'd' for x_column"):
        divcli.mutual_information(str(wide), x_column="d", y_column="a")
    result = run("mi", wide, short, "--x", "a", "--y", "y")
    assert result.exit_code == 1 and f"{short}: X has 2 labels and Y 1; X and Y are paired by row" in result.stderr
    with pytest.raises(divcli.DataError, match="X has 2 labels and Y 1; X and Y are paired by row") as caught:
        divcli.mutual_information(str(wide), str(short), x_column="a", y_column="y")
    assert caught.value.where == str(short)
