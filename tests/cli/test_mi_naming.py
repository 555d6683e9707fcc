"""How ``divcli mi`` names its labels: by the rule every column of categories follows (``1`` and
``1.0`` one label, ``007`` and ``7`` two); a pair whose label is missing on either side is left out,
with one warning that says how many, and N counts the pairs kept; and its header's counts in the
singular where there is one.

The reference is computed here from ``collections.Counter`` of the pairs named by hand, and with
scikit-learn's ``mutual_info_score`` where it is installed."""

from __future__ import annotations

import json
import math
from collections import Counter

import pytest

import divcli
from helpers.extras import needs

pytestmark = pytest.mark.numeric

NAMED = {"1.0": "1", "2.0": "2", "+2": "2"}
MISSING = {"", "nan", "NaN", "NA", "null"}


def _plain_mi(pairs: list[tuple[str, str]]) -> float:
    """I(X;Y) in nats of the pairs, from their counts."""
    n = len(pairs)
    joint, xs, ys = Counter(pairs), Counter(x for x, _ in pairs), Counter(y for _, y in pairs)
    return sum(c / n * math.log(c * n / (xs[x] * ys[y])) for (x, y), c in joint.items())


def _write(tmp_path, rows: list[tuple[str, str]]):
    path = tmp_path / "pairs.csv"
    path.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in rows))
    return path


ROWS = [("1", "a"), ("1.0", "b"), ("2", "a"), ("2.0", "a"), ("+2", "b"), ("007", "b"), ("7", "a"), ("7", "a"),
        ("1", "b"), ("007", "b")]


def test_1_and_1_0_are_one_label_and_a_code_with_a_leading_zero_its_own(run_json, tmp_path):
    document = run_json("mi", _write(tmp_path, ROWS))
    named = [(NAMED.get(x, x), y) for x, y in ROWS]
    assert document["x"]["classes"] == 4 == len({x for x, _ in named})  # 1, 2, 007, 7
    assert document["n"] == 10
    assert document["mi"] == pytest.approx(_plain_mi(named), rel=1e-12, abs=1e-15)


def test_the_same_as_scikit_learn_on_the_labels_named(run_json, tmp_path):
    metrics = needs("sklearn.metrics")
    named = [(NAMED.get(x, x), y) for x, y in ROWS]
    expected = metrics.mutual_info_score([x for x, _ in named], [y for _, y in named])
    assert run_json("mi", _write(tmp_path, ROWS))["mi"] == pytest.approx(expected, rel=1e-12, abs=1e-15)


def test_a_pair_with_a_missing_label_is_left_out_with_one_warning(run, tmp_path):
    rows = ROWS + [("nan", "a"), ("3", ""), ("NA", "b"), ("4", "null"), ("NaN", "")]
    path = _write(tmp_path, rows)
    result = run("mi", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    kept = [(NAMED.get(x, x), y) for x, y in rows if x not in MISSING and y not in MISSING]
    assert document["n"] == len(kept) == 10
    assert document["mi"] == pytest.approx(_plain_mi(kept), rel=1e-12, abs=1e-15)
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1
    assert "5 of 15 pairs left out" in warnings[0] and f"{path}:12:1" in warnings[0]
    assert "10 pairs kept" in warnings[0]


def test_the_api_leaves_the_same_pairs_out(tmp_path):
    rows = ROWS + [("nan", "a"), ("3", "")]
    kept = [(NAMED.get(x, x), y) for x, y in rows if x not in MISSING and y not in MISSING]
    document = divcli.mutual_information(_write(tmp_path, rows))
    assert document["n"] == len(kept)
    assert document["mi"] == pytest.approx(_plain_mi(kept), rel=1e-12, abs=1e-15)


def test_no_pair_with_both_labels_is_refused_in_one_line(run, tmp_path):
    result = run("mi", _write(tmp_path, [("1", ""), ("NA", "a")]))
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert "pairs.csv:2:2" in message and "no pair has both labels" in message


def test_one_pair_and_one_class_are_said_in_the_singular(run, tmp_path):
    result = run("mi", _write(tmp_path, [("1", "a")]))
    assert result.exit_code == 0, result.stderr
    assert "N = 1 pair\n" in result.stdout and "N = 1 pairs" not in result.stdout
    assert result.stdout.count("(1 class)") == 2 and "classes" not in result.stdout


def test_the_contingency_table_orders_number_labels_by_value():
    """Rows and columns in the categories' order (2 before 10), each pair counted in its own cell."""
    from divcli.computations.mi import contingency

    table, x_names, y_names = contingency(["10", "2", "2", "1", "10"], ["a", "b", "a", "b", "b"])
    assert x_names == ["1", "2", "10"] and y_names == ["a", "b"]
    assert table.tolist() == [[0, 1], [1, 1], [1, 1]]


def test_python_labels_are_named_as_the_command_line_names_them():
    """A list [1, 1.0, 2, 2] holds two labels, as a file's column of 1, 1.0, 2, 2 does; None is refused."""
    import divcli

    document = divcli.mutual_information([1, 1.0, 2, 2], ["a", "b", "a", "b"])
    assert document["x"]["classes"] == 2 and document["n"] == 4
    with pytest.raises(ValueError, match="missing label"):
        divcli.mutual_information([1, None], ["a", "b"])
