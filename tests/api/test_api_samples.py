"""``p_as="samples"`` / ``q_as="samples"`` in the Python API: a column of categories (a file's, a
literal's, or a list, numpy array or pandas Series of labels) counted into one row of counts, as
``--p-as samples`` counts it. Every number is compared with ``divcli … -f json`` by value and with
``collections.Counter`` and plain float64 formulas."""

from __future__ import annotations

import math
import warnings
from collections import Counter

import numpy as np
import pytest

import divcli
from helpers.extras import needs

pytestmark = pytest.mark.numeric

PREDS = ["cat", "dog", "cat", "bird", "cat", "dog", "cat", "fish"]
CURRENT = ["cat", "cat", "dog", "dog", "dog", "mouse", "cat"]
BOTH = {"p_as": "samples", "q_as": "samples"}


def _write(path, values):
    path.write_text("id,pred\n" + "".join(f"{i},{value}\n" for i, value in enumerate(values)))
    return str(path)


@pytest.fixture
def files(tmp_path):
    return _write(tmp_path / "ref.csv", PREDS), _write(tmp_path / "cur.csv", CURRENT)


def _shares(values, categories):
    counts = Counter(values)
    return np.array([counts.get(name, 0) for name in categories], dtype=np.float64) / len(values)


def _entropy(values):
    p = _shares(values, sorted(set(values)))
    return float(-(p * np.log(p)).sum())


def _kl(p, q):
    with np.errstate(divide="ignore", invalid="ignore"):
        return float(np.where(p > 0, p * np.log(p / q), 0.0).sum())


def _quiet(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        return function(*args, **kwargs)


def test_entropy_of_a_file_and_of_its_list_are_the_clis(run_json, files):
    for estimator in ("plugin", "miller-madow", "chao-shen"):
        expected = run_json("entropy", files[0], "--select", "pred", "--p-as", "samples", "--estimator", estimator,
                            "--base", "2")["value"]
        assert divcli.entropy(files[0], select="pred", p_as="samples", estimator=estimator, base=2) == expected
        assert divcli.entropy(PREDS, p_as="samples", estimator=estimator, base=2) == expected
    assert divcli.entropy(PREDS, p_as="samples") == pytest.approx(_entropy(PREDS), rel=1e-14)
    mm = _entropy(PREDS) + (len(set(PREDS)) - 1) / (2 * len(PREDS))  # Miller–Madow: + (K − 1)/2N
    assert divcli.entropy(PREDS, p_as="samples", estimator="miller-madow") == pytest.approx(mm, rel=1e-14)


@pytest.mark.parametrize("command, function", [("kl", divcli.kl_divergence), ("ce", divcli.cross_entropy),
                                               ("js", divcli.js_divergence)])
def test_two_columns_give_the_clis_value(run_json, tmp_path, command, function):
    ref, cur = ["1", "2", "2", "3", "3", "3"], ["3", "2", "1.0", "1", "2"]  # 1.0 is the category 1
    paths = _write(tmp_path / "a.csv", ref), _write(tmp_path / "b.csv", cur)
    expected = run_json(command, *paths, "--select", "pred", "--p-as", "samples", "--q-as", "samples")["value"]
    assert function(*paths, select="pred", **BOTH) == expected
    assert function(ref, cur, **BOTH) == expected
    assert function(np.array([1, 2, 2, 3, 3, 3]), np.array([3, 2, 1.0, 1, 2]), **BOTH) == expected
    p, q = _shares([1, 2, 2, 3, 3, 3], [1, 2, 3]), _shares([3, 2, 1, 1, 2], [1, 2, 3])
    m = (p + q) / 2
    by_hand = {"kl": _kl(p, q), "ce": float(-(p * np.log(q)).sum()), "js": (_kl(p, m) + _kl(q, m)) / 2}
    assert expected == pytest.approx(by_hand[command], rel=1e-13)


def test_compare_gives_the_clis_measures(run_json, files):
    expected = run_json("compare", *files, "--select", "pred", "--p-as", "samples", "--q-as", "samples")["rows"][0]
    found = _quiet(divcli.compare, PREDS, CURRENT, **BOTH)
    for key in ("hellinger", "total_variation", "js_divergence", "kl_pq", "kl_qp"):
        assert float(found[key]) == float(expected[key])
    union = ["bird", "cat", "dog", "fish", "mouse"]
    p, q = _shares(PREDS, union), _shares(CURRENT, union)
    assert found["total_variation"] == pytest.approx(float(np.abs(p - q).sum() / 2), rel=1e-13)
    assert found["hellinger"] == pytest.approx(float(np.sqrt(((np.sqrt(p) - np.sqrt(q)) ** 2).sum() / 2)), rel=1e-13)


def test_categories_are_matched_by_name_and_the_ones_a_side_never_saw_warned(files):
    with pytest.warns(UserWarning) as caught:
        value = divcli.kl_divergence(PREDS, CURRENT, **BOTH)
    said = [str(warning.message) for warning in caught]
    assert any("2 categories seen only in another operand, counted as 0 here: 'bird', 'fish'" in s for s in said)
    assert any("1 category seen only in another operand, counted as 0 here: 'mouse'" in s for s in said)
    assert caught[0].filename == __file__  # shown at the caller's line
    assert value == math.inf  # bird and fish: q = 0 < p
    shared = ["cat", "dog"]  # another order of first appearance: the same matching
    assert divcli.kl_divergence(["dog", "cat", "cat"], ["cat", "dog", "dog", "dog"], **BOTH) == pytest.approx(
        _kl(_shares(["dog", "cat", "cat"], shared), _shares(["cat", "dog", "dog", "dog"], shared)), rel=1e-13)


def test_a_distribution_beside_samples_is_matched_by_its_names(files, tmp_path):
    model = tmp_path / "model.csv"
    model.write_text("fish,dog,cat,bird\n0.1,0.2,0.3,0.4\n")
    p = _shares(PREDS, ["bird", "cat", "dog", "fish"])
    expected = _kl(p, np.array([0.4, 0.3, 0.2, 0.1]))
    assert divcli.kl_divergence(PREDS, str(model), p_as="samples") == pytest.approx(expected, rel=1e-13)
    assert divcli.kl_divergence(files[0], str(model), p_select="pred", p_as="samples") == pytest.approx(
        expected, rel=1e-13)


def test_a_pandas_series_and_its_missing_values(run_json, tmp_path):
    pd = needs("pandas")
    assert divcli.entropy(pd.Series(PREDS, name="pred"), p_as="samples") == pytest.approx(_entropy(PREDS), rel=1e-14)
    assert divcli.entropy(pd.Series(PREDS, dtype="category"), p_as="samples") == pytest.approx(
        _entropy(PREDS), rel=1e-14)
    codes = pd.Series([1, 2, None, 2, 1, 1], dtype="Int64")  # pandas' NA: the category (missing)
    with pytest.warns(UserWarning, match=r"1 of 6 values are missing .*counted as the category '\(missing\)'"):
        found = divcli.entropy(codes, p_as="samples")
    assert found == pytest.approx(_entropy(["1", "2", "m", "2", "1", "1"]), rel=1e-14)
    path = tmp_path / "codes.csv"
    path.write_text("y\n1\n2\nNA\n2\n1\n1\n")
    assert run_json("entropy", str(path), "--p-as", "samples")["value"] == found


def test_missing_values_of_a_list_are_a_category_warned():
    with pytest.warns(UserWarning, match="2 of 5 values are missing"):
        found = divcli.entropy(["a", None, "b", float("nan"), "a"], p_as="samples")
    assert found == pytest.approx(_entropy(["a", "m", "b", "m", "a"]), rel=1e-14)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # nothing to say: no warning
        assert divcli.entropy(["a", "b"], p_as="samples") == pytest.approx(math.log(2), rel=1e-15)


def test_a_literal_and_integer_codes(run_json):
    assert divcli.entropy("b,a,b;b", p_as="samples") == run_json("entropy", "b,a,b;b", "--p-as", "samples")["value"]
    assert divcli.entropy([1, 1.0, 2, "2", 3], p_as="samples") == pytest.approx(
        _entropy(["1", "1", "2", "2", "3"]), rel=1e-14)  # 1 and 1.0 one category, as in a file
    assert divcli.entropy(np.array([True, False, True]), p_as="samples") == pytest.approx(
        _entropy(["True", "False", "True"]), rel=1e-14)


@pytest.mark.parametrize("call, words", [
    (lambda: divcli.entropy({"pred": PREDS}, p_as="samples"), "counts one column of labels"),
    (lambda: divcli.entropy([["a", "b"], ["c", "d"]], p_as="samples"), "not an array of shape (2, 2)"),
    (lambda: divcli.entropy(PREDS, p_as="samples", select="pred"), "select and drop choose a column of a file"),
    (lambda: divcli.divergence_matrix(PREDS, p_as="samples"), "not samples"),
    (lambda: divcli.entropy([[3, 1]], estimator="chao-shen"), 'or p_as="samples"'),
])
def test_arguments_that_do_not_apply_are_refused(call, words):
    with pytest.raises(ValueError) as caught:
        call()
    assert words in str(caught.value) and not isinstance(caught.value, divcli.DataError)


def test_a_data_frame_is_refused_naming_its_column():
    pd = needs("pandas")
    with pytest.raises(ValueError, match=r'a Series such as frame\["pred"\]'):
        divcli.entropy(pd.DataFrame({"pred": PREDS}), p_as="samples")


def test_bad_data_is_a_data_error_in_pythons_words(files):
    with pytest.raises(divcli.DataError, match=r'has 2 columns .*p_as="samples" counts the categories of one; '
                                               r'choose it with select="COL"'):
        divcli.entropy(files[0], p_as="samples")
    with pytest.raises(divcli.DataError, match="has no values"):
        divcli.entropy([], p_as="samples")
