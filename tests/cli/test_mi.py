"""divcli mi: two columns of labels or a joint table → the entropies, I(X;Y), NMI and the G-test,
every format, --base, --explain, and the refusals (exit 1 for bad data, 2 for a bad command line).
Every number is checked against a plain float64 computation in the test."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from helpers.files import write_rows

pytestmark = pytest.mark.numeric

PAIRS = [("rain", "yes"), ("rain", "yes"), ("rain", "no"), ("sun", "no"), ("sun", "no"), ("sun", "no"),
         ("sun", "yes"), ("cloud", "no"), ("cloud", "yes"), ("cloud", "no"), ("rain", "yes"), ("sun", "no")]


def plain(pairs):
    """H(X), H(Y), H(X,Y) and I in nats by the textbook formulas, from the pairs' frequencies."""
    n = len(pairs)

    def h(items):
        counts = np.unique(np.array(items, dtype=object).astype(str), return_counts=True)[1] / n
        return float(-(counts * np.log(counts)).sum())

    h_x, h_y, h_xy = h([x for x, _ in pairs]), h([y for _, y in pairs]), h([f"{x}\x00{y}" for x, y in pairs])
    return {"h_x": h_x, "h_y": h_y, "h_xy": h_xy, "h_x_given_y": h_xy - h_y, "h_y_given_x": h_xy - h_x,
            "mi": h_x + h_y - h_xy}


@pytest.fixture
def pairs_csv(tmp_path):
    path = tmp_path / "pairs.csv"
    write_rows(path, PAIRS, header=["weather", "umbrella"])
    return path


def close(a, b):
    return math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-14)


def test_labels_of_one_file_against_plain_float64(run_json, pairs_csv):
    document = run_json("mi", pairs_csv, "--x", "weather", "--y", "umbrella")
    for key, value in plain(PAIRS).items():
        assert close(document[key], value), key
    assert document["n"] == 12 and document["dof"] == 2
    assert document["x"] == {"source": str(pairs_csv), "column": "weather", "classes": 3}
    assert close(document["g_statistic"], 2 * 12 * plain(PAIRS)["mi"])
    h_x, h_y, mi = document["h_x"], document["h_y"], document["mi"]
    assert close(document["nmi_arithmetic"], mi / ((h_x + h_y) / 2))
    assert close(document["nmi_geometric"], mi / math.sqrt(h_x * h_y))
    assert close(document["nmi_min"], mi / min(h_x, h_y)) and close(document["nmi_max"], mi / max(h_x, h_y))


def test_two_files_and_a_file_of_two_columns_give_the_same(run_json, pairs_csv, tmp_path):
    x, y = tmp_path / "x.csv", tmp_path / "y.csv"
    write_rows(x, [(a,) for a, _ in PAIRS], header=["weather"])
    write_rows(y, [(b,) for _, b in PAIRS], header=["umbrella"])
    one = run_json("mi", pairs_csv)
    two = run_json("mi", x, y)
    assert one["mi"] == two["mi"] and one["h_xy"] == two["h_xy"]


def test_integer_labels_without_a_header(run_json, tmp_path):
    path = tmp_path / "ints.csv"
    rows = [(i % 3, (i * 7) % 4) for i in range(40)]
    write_rows(path, rows)
    document = run_json("mi", path)
    assert document["n"] == 40 and document["x"]["column"] == "1"
    assert close(document["mi"], plain([(str(a), str(b)) for a, b in rows])["mi"])


def test_base_two_divides_by_ln_2(run_json, pairs_csv):
    nats, bits = run_json("mi", pairs_csv), run_json("mi", pairs_csv, "--base", "2")
    assert bits["unit"] == "bits" and close(bits["mi"], nats["mi"] / math.log(2))
    assert close(bits["h_xy"], nats["h_xy"] / math.log(2))
    assert bits["nmi_arithmetic"] == nats["nmi_arithmetic"]  # a ratio: no unit
    assert bits["g_statistic"] == nats["g_statistic"]  # G is 2·N·I in nats, whatever the base shown


def test_quiet_prints_i_and_csv_every_number(run, pairs_csv):
    quiet = run("mi", pairs_csv, "-q", "--base", "bits")
    assert quiet.exit_code == 0 and close(float(quiet.stdout), plain(PAIRS)["mi"] / math.log(2))
    result = run("mi", pairs_csv, "-f", "csv")
    values = dict(csv.reader(io.StringIO(result.stdout)))
    assert values.pop("quantity") == "value"
    assert close(float(values["mi"]), plain(PAIRS)["mi"]) and values["n"] == "12" and values["dof"] == "2"


def test_joint_table_of_counts_with_names(run_json, tmp_path):
    path = tmp_path / "joint.csv"
    write_rows(path, [("rain", 30, 10), ("sun", 5, 45), ("cloud", 10, 20)], header=["weather", "yes", "no"])
    document = run_json("mi", "--joint", path, "--explain")
    table = np.array([[30, 10], [5, 45], [10, 20]], dtype=np.float64)
    pairs = [(f"x{i}", f"y{j}") for i in range(3) for j in range(2) for _ in range(int(table[i, j]))]
    assert close(document["mi"], plain(pairs)["mi"]) and document["n"] == 120
    cells = {(c["x"], c["y"]): c for c in document["cells"]}
    assert set(cells) == {(x, y) for x in ("rain", "sun", "cloud") for y in ("yes", "no")}
    p = table / 120
    q = np.outer(p.sum(axis=1), p.sum(axis=0))
    assert close(cells["rain", "yes"]["term"], p[0, 0] * math.log(p[0, 0] / q[0, 0]))
    assert close(sum(c["term"] for c in document["cells"]), document["mi"])


def test_joint_table_of_probabilities_has_no_g_test(run, run_json):
    document = run_json("mi", "--joint", "0.25,0.25;0.1,0.4")
    assert document["n"] is None and document["g_statistic"] is None and document["g_p_value"] is None
    p = np.array([[0.25, 0.25], [0.1, 0.4]])
    expected = float((p * np.log(p / np.outer(p.sum(axis=1), p.sum(axis=0)))).sum())
    assert close(document["mi"], expected)
    table = run("mi", "--joint", "0.25,0.25;0.1,0.4")
    assert "G-test: none for a table of probabilities" in table.stdout


def test_p_value_without_scipy_says_how_to_get_it(run, pairs_csv, monkeypatch):
    from divcli.numerics import p_values

    monkeypatch.setattr(p_values, "scipy_installed", lambda: False)
    result = run("mi", pairs_csv)
    assert result.exit_code == 0 and "pip install 'divcli[stats]'" in result.stdout
    assert json.loads(run("mi", pairs_csv, "-f", "json").stdout)["g_p_value"] is None


def test_explain_shows_the_working_with_the_numbers(run, pairs_csv):
    result = run("mi", pairs_csv, "--explain", env={"COLUMNS": "120"})
    assert result.exit_code == 0
    assert "I(X;Y) = D(P(X,Y) ‖ P(X)P(Y))" in result.stdout and "I = H(X) − H(X|Y) = " in result.stdout
    assert "FAILS" not in result.stdout and "0 ≤ I ≤ min(H(X), H(Y)): holds" in result.stdout


@pytest.mark.parametrize("args, words", [
    (("--joint", "1,2;3,4", "x.csv"), "not both"),
    ((), "give two columns of labels"),
    (("FILE", "--x", "a"), "name X's with --x and Y's with --y"),
    (("-", "-"), "cannot both be -"),
    (("FILE", "-q", "--explain"), "give one of them"),
])
def test_command_line_refusals_exit_2(run, args, words):
    result = run("mi", *args)
    assert result.exit_code == 2 and words in result.stderr


def test_bad_data_exits_1_naming_the_place(run, tmp_path):
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("x,y\na,b\nc,\n")
    result = run("mi", ragged)
    assert result.exit_code == 0 and f"{ragged}:3:2" in result.stderr and "1 of 2 pairs left out" in result.stderr
    ragged.write_text("x,y\na,\nc,\n")
    result = run("mi", ragged)
    assert result.exit_code == 1 and f"{ragged}:2:2" in result.stderr and "no pair has both labels" in result.stderr
    x, y = tmp_path / "x.csv", tmp_path / "y.csv"
    x.write_text("a\nb\nc\n")
    y.write_text("a\nb\n")
    result = run("mi", x, y, "--no-header")
    assert result.exit_code == 1 and "X has 3 labels and Y 2" in result.stderr
    result = run("mi", "--joint", "1,-2;3,4")
    assert result.exit_code == 1 and "'-2' is no count or probability" in result.stderr
    result = run("mi", "--joint", "0.5,0.7;0.1,0.2")
    assert result.exit_code == 1 and "neither counts" in result.stderr
    three = tmp_path / "three.csv"
    write_rows(three, [("a", "b", "c")], header=["p", "q", "r"])
    result = run("mi", three)
    assert result.exit_code == 1 and "which are X and Y?" in result.stderr
    result = run("mi", three, "--x", "p", "--y", "nope")
    assert result.exit_code == 1 and "no column 'nope' for --y" in result.stderr
