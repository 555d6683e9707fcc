"""divcli mi on inputs as people have them: a crosstab saved with its margins (refused: the totals
would be counted as a class), a row whose label held the delimiter unquoted (refused: every label
after it would shift), labels holding control characters (escaped in the table, never written raw).
The accepted tables' numbers are checked against a plain float64 computation here."""

from __future__ import annotations

import json

import numpy as np
import pytest

pytestmark = pytest.mark.numeric

CROSSTAB = "weather,no,yes\ncloud,36,39\nrain,32,29\nsun,33,31\n"
MARGINS = "weather,no,yes,All\ncloud,36,39,75\nrain,32,29,61\nsun,33,31,64\nAll,101,99,200\n"
SHARES_MARGINS = ("weather,no,yes,All\ncloud,0.18,0.195,0.375\nrain,0.16,0.145,0.305\nsun,0.165,0.155,0.32\n"
                  "All,0.505,0.495,1.0\n")


def _plain_mi(table) -> float:
    p = np.asarray(table, dtype=np.float64) / np.sum(table)
    q = p.sum(axis=1)[:, None] * p.sum(axis=0)[None, :]
    return float(np.sum(np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0) / q), 0.0)))


@pytest.mark.parametrize("text, which, line", [
    (MARGINS, "row and column", ":5"),
    (SHARES_MARGINS, "row and column", ":5"),
    ("weather,no,yes,Total\ncloud,36,39,75\nrain,32,29,61\n", "column", ""),
    ("weather,no,yes\ncloud,36,39\nrain,32,29\nsun,33,31\nTotal,101,99\n", "row", ":5"),
    ("36,39,75\n32,29,61\n68,68,136\n", "row and column", ":3"),
])
def test_a_table_with_its_totals_is_refused(run, tmp_path, text, which, line):
    path = tmp_path / "crosstab.csv"
    path.write_text(text)
    result = run("mi", "--joint", path)
    assert result.exit_code == 1
    message = result.stderr.strip()
    assert "\n" not in message and "Traceback" not in message
    assert message.startswith(f"Error: {path}{line}: its last {which} hold")
    assert f"drop the total {which}" in message


def test_the_same_table_without_its_margins_is_read(run_json, tmp_path):
    path = tmp_path / "crosstab.csv"
    path.write_text(CROSSTAB)
    document = run_json("mi", "--joint", path)
    assert document["mi"] == pytest.approx(_plain_mi([[36, 39], [32, 29], [33, 31]]), rel=1e-12)


@pytest.mark.parametrize("text, table", [
    ("x,a,b\nr,1,0\ns,0,1\nt,1,1\n", [[1, 0], [0, 1], [1, 1]]),  # a last row that sums the others, named as a class
    ("x,a,b,c\nr,1,2,3\ns,2,1,3\n", [[1, 2, 3], [2, 1, 3]]),  # a last column likewise
])
def test_a_class_that_happens_to_sum_the_others_is_kept(run_json, tmp_path, text, table):
    path = tmp_path / "joint.csv"
    path.write_text(text)
    assert run_json("mi", "--joint", path)["mi"] == pytest.approx(_plain_mi(table), rel=1e-12, abs=1e-15)


def test_the_api_refuses_the_margins_too(tmp_path):
    import divcli

    path = tmp_path / "crosstab.csv"
    path.write_text(MARGINS)
    with pytest.raises(ValueError, match="its last row and column hold the totals"):
        divcli.mutual_information(joint=str(path))


def test_a_row_with_more_cells_than_the_header_is_refused(run, tmp_path):
    path = tmp_path / "cities.csv"
    path.write_text("city,rain\nParis,yes\nNew York, NY,no\nLyon,no\n")
    result = run("mi", path)
    assert result.exit_code == 1
    assert result.stderr.strip() == (f"Error: {path}:3: 3 cells where the header has 2; quote a label that holds "
                                     "the delimiter (\"New York, NY\"), or give every row the same columns")


def test_control_characters_in_labels_are_escaped_in_the_table(run, tmp_path):
    path = tmp_path / "\x1b[1mlabels.csv"
    path.write_text("x,y\n\x1b[31mred,a\nb\x07,b\nb\x07,b\n")
    result = run("mi", path, "--explain", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    assert "\x1b" not in result.stdout and "\x07" not in result.stdout
    assert "\\x1b[31mred" in result.stdout and "b\\x07" in result.stdout and "\\x1b[1mlabels.csv" in result.stdout
    document = json.loads(run("mi", path, "--explain", "-f", "json").stdout)  # JSON keeps the labels as read
    assert {cell["x"] for cell in document["cells"]} == {"\x1b[31mred", "b\x07"}
    assert document["mi"] == pytest.approx(_plain_mi([[1, 0], [0, 2]]), rel=1e-12)


def test_with_an_estimator_the_g_test_says_it_is_the_plug_in_s(run, run_json):
    """G = 2·N·I is the plug-in I's (the test's statistic), not the corrected I printed above it."""
    table = [[1, 2], [3, 4]]
    document = run_json("mi", "--joint", "1,2;3,4", "--estimator", "shrink")
    assert document["g_statistic"] == pytest.approx(2 * 10 * _plain_mi(table), rel=1e-12)
    assert document["mi"] < 0 < document["g_statistic"]
    text = run("mi", "--joint", "1,2;3,4", "--estimator", "shrink").stdout
    assert "G = 2·N·I (the plug-in I, in nats) = " in text
    assert "G = 2·N·I (nats) = " in run("mi", "--joint", "1,2;3,4").stdout
