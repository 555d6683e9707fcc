"""The API's ``select``/``drop`` (and one operand's own ``p_select``, ``q_drop``, …) and entropy's
``estimator``: the numbers the command line gives with ``--select``/``--drop``/``--estimator``
(its JSON, compared by value), each also against a plain numpy computation of the columns chosen."""

from __future__ import annotations

import math

import numpy as np
import pytest

import divcli

pytestmark = pytest.mark.numeric

HEADER = ["id", "a", "b", "c", "note"]
P = [[1, 0.2, 0.3, 0.5, 7], [2, 0.1, 0.6, 0.3, 8]]
Q = [[1, 0.25, 0.25, 0.5, 9], [2, 0.3, 0.3, 0.4, 9]]


def _write(path, rows, header=HEADER):
    path.write_text(",".join(header) + "\n" + "".join(",".join(map(str, row)) + "\n" for row in rows))
    return str(path)


@pytest.fixture
def files(tmp_path):
    return _write(tmp_path / "p.csv", P), _write(tmp_path / "q.csv", Q)


def _kl_rows(p, q):
    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    return (p * np.log(p / q)).sum(axis=1)


def test_select_by_names_numbers_and_patterns_gives_the_cli_numbers(files, run_json):
    expected = _kl_rows([row[1:4] for row in P], [row[1:4] for row in Q]).mean()
    cli = run_json("kl", *files, "--select", "a,b,c", "--reduction", "batchmean")["value"]
    for select in ("a,b,c", ["a", "b", "c"], "2-4", "[abc]", ["2", "3-4"]):
        value = divcli.kl_divergence(*files, select=select)
        assert value == pytest.approx(expected, rel=1e-12)
        assert value == pytest.approx(cli, rel=1e-15)


def test_drop_leaves_out_the_columns_named(files, run_json):
    cli = run_json("kl", *files, "--drop", "id,note")["value"]
    assert divcli.kl_divergence(*files, drop="id,note") == pytest.approx(cli, rel=1e-15)
    assert divcli.kl_divergence(*files, drop=["1", "note"]) == pytest.approx(cli, rel=1e-15)


def test_one_operands_own_choice_replaces_the_shared_one(tmp_path, run_json):
    p = _write(tmp_path / "p.csv", [[0.2, 0.3, 0.5]], ["x", "y", "z"])
    q = _write(tmp_path / "q.csv", [[9, 0.25, 0.25, 0.5]], ["id", "x", "y", "z"])
    cli = run_json("kl", p, q, "--q-drop", "id")["value"]
    value = divcli.kl_divergence(p, q, q_drop="id")
    assert value == pytest.approx(cli, rel=1e-15)
    assert value == pytest.approx(_kl_rows([[0.2, 0.3, 0.5]], [[0.25, 0.25, 0.5]])[0], rel=1e-12)
    assert divcli.kl_divergence(p, q, select="x,y,z", q_select="2-4") == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize("function", ["cross_entropy", "js_divergence", "compare"])
def test_every_pair_function_takes_the_columns(files, run_json, function):
    command = {"cross_entropy": "ce", "js_divergence": "js", "compare": "compare"}[function]
    document = run_json(command, *files, "--select", "a,b,c")
    value = getattr(divcli, function)(*files, select="a,b,c")
    if function == "compare":
        assert value["kl_pq"] == pytest.approx(document["value"]["kl_pq"], rel=1e-15)
        assert value["kl_pq"] == pytest.approx(_kl_rows([r[1:4] for r in P], [r[1:4] for r in Q]).mean(), rel=1e-12)
    else:
        assert value == pytest.approx(document["value"], rel=1e-15)


def test_arrays_are_picked_by_number_too():
    p, q = np.array(P, dtype=float), np.array(Q, dtype=float)
    expected = _kl_rows(p[:, 1:4], q[:, 1:4]).mean()
    assert divcli.kl_divergence(p, q, select="2-4") == pytest.approx(expected, rel=1e-12)
    assert divcli.entropy(p, drop=[1, 5], reduction="none") == pytest.approx(
        -(p[:, 1:4] * np.log(p[:, 1:4])).sum(axis=1), rel=1e-12)


def test_matrix_takes_the_columns(files):
    rows = np.array(P, dtype=float)[:, 1:4]
    matrix = divcli.divergence_matrix(files[0], "kl", select="a,b,c")
    assert matrix[0, 1] == pytest.approx(_kl_rows(rows[:1], rows[1:])[0], rel=1e-12)


def test_a_column_that_is_not_there_names_the_argument(files):
    with pytest.raises(divcli.DataError) as caught:
        divcli.kl_divergence(*files, select="a,b,zz")
    assert "'zz'" in caught.value.what and "select" in str(caught.value) and "--" not in str(caught.value)
    with pytest.raises(divcli.DataError) as caught:
        divcli.kl_divergence(*files, select="a,b,c", q_select="a,b,zz")
    assert "q_select" in str(caught.value)


def test_a_select_that_is_no_list_of_columns_is_refused(files):
    with pytest.raises(ValueError, match="select is a string of columns"):
        divcli.kl_divergence(*files, select=3)


COUNTS = [[3, 1, 0], [5, 5, 2]]


def _plugin(row):
    n = sum(row)
    return -sum(c / n * math.log(c / n) for c in row if c)


def test_entropy_of_counts_by_an_estimator_is_the_clis(run_json):
    literal = "3,1,0"
    for estimator in ("plugin", "miller-madow", "chao-shen", "shrink", "jackknife"):
        cli = run_json("entropy", literal, "--p-as", "counts", "--estimator", estimator)["value"]
        assert divcli.entropy([3, 1, 0], p_as="counts", estimator=estimator) == pytest.approx(cli, rel=1e-15)


def test_miller_madow_by_hand():
    # plug-in + (m − 1)/(2N): m classes seen, N the row's sum
    values = divcli.entropy(COUNTS, p_as="counts", estimator="miller-madow", reduction="none", base=2)
    expected = [(_plugin(row) + (sum(1 for c in row if c) - 1) / (2 * sum(row))) / math.log(2) for row in COUNTS]
    assert values == pytest.approx(expected, rel=1e-12)
    assert divcli.entropy(COUNTS, p_as="counts", reduction="none") == pytest.approx(
        [_plugin(row) for row in COUNTS], rel=1e-12)


def test_an_estimator_needs_counts_and_a_known_name():
    with pytest.raises(ValueError, match='p_as="counts"'):
        divcli.entropy([0.5, 0.5], estimator="miller-madow")
    with pytest.raises(ValueError, match="estimator must be one of"):
        divcli.entropy([3, 1], p_as="counts", estimator="mm")
    with pytest.raises(divcli.DataError, match="whole numbers"):
        divcli.entropy([1.5, 1], p_as="counts", estimator="miller-madow")
