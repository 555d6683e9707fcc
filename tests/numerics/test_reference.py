"""divcli against reference values made by torch and SciPy in float64 (tests/reference/cases.json).

The fixtures and the script that made them (make_reference.py) are committed; torch is not needed
here. Every case runs through the command line (operands written as files) and through the Python
API, and must agree to 1e-9 relative.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import divcli
from helpers.files import write_rows

#: numbers computed with numpy's exp and log (make test runs them again with AVX-512 off), in a sweep over
#: the reference fixture (one case per family under make test-fast: helpers.sweeps)
pytestmark = [pytest.mark.numeric, pytest.mark.sweep]

FIXTURES = json.loads((Path(__file__).resolve().parents[1] / "reference" / "cases.json").read_text())
CASES = FIXTURES["cases"]
RTOL, ATOL = 1e-9, 1e-12


def _number(x):
    return float(x) if isinstance(x, str) else x


def _array(value):
    """Nested lists (or one number) with "inf"/"nan" strings → a float64 array."""
    return np.vectorize(_number, otypes=[float])(np.array(value, dtype=object))


def assert_close(actual, expected, case_id):
    actual, expected = _array(actual), _array(expected)
    assert actual.shape == expected.shape, case_id
    same_inf = np.isinf(expected) == np.isinf(actual)
    assert same_inf.all() and (actual[np.isinf(expected)] == expected[np.isinf(expected)]).all(), case_id
    finite = np.isfinite(expected)
    np.testing.assert_allclose(actual[finite], expected[finite], rtol=RTOL, atol=ATOL, err_msg=case_id)


def _args(case, tmp_path):
    p_path = write_rows(tmp_path / "p.csv", case["p"])
    args = [case["command"], p_path]
    if case["q"] is not None:
        args += [write_rows(tmp_path / "q.csv", case["q"]), "--q-as", case["q_as"]]
    args += ["--p-as", case["p_as"], "--reduction", case["reduction"], "--base", str(case["base"])]
    if case["temperature"] is not None:
        args += ["--temperature", repr(case["temperature"])]
    if case["weight"] is not None:
        args += ["--weight", ",".join(map(repr, case["weight"]))]
    if case["ignore_index"] is not None:
        args += ["--ignore-index", str(case["ignore_index"])]
    if case["label_smoothing"] is not None:
        args += ["--label-smoothing", repr(case["label_smoothing"])]
    return args


def _undefined(case) -> bool:
    """Every label ignored: torch gives nan (mean) or 0 (sum) over no rows; divcli refuses instead."""
    ignore = -100 if case["ignore_index"] is None else case["ignore_index"]
    return case["p_as"] == "labels" and case["command"] == "ce" and all(label == ignore for label in case["p"])


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_cli_matches_reference(case, tmp_path, run):
    result = run(*_args(case, tmp_path), "-f", "json")
    if _undefined(case):
        assert result.exit_code == 1 and "ignore" in result.stderr
        assert result.stdout == ""
        return
    assert result.exit_code == 0, result.stderr
    assert_close(json.loads(result.stdout)["value"], case["expected"], case["id"])


def _api_value(case):
    common = dict(p_as=case["p_as"], reduction=case["reduction"], base=case["base"],
                  temperature=case["temperature"] or 1.0)
    p = _array(case["p"])
    if case["p_as"] == "labels":
        p = p.reshape(-1, 1)
    if case["command"] == "entropy":
        return divcli.entropy(p, **common)
    q = _array(case["q"])
    if case["command"] == "kl":
        return divcli.kl_divergence(p, q, q_as=case["q_as"], **common)
    return divcli.cross_entropy(
        p, q, q_as=case["q_as"], weight=case["weight"],
        ignore_index=-100 if case["ignore_index"] is None else case["ignore_index"],
        label_smoothing=case["label_smoothing"] or 0.0, **common,
    )


@pytest.mark.parametrize("case", [c for c in CASES if not _undefined(c)], ids=lambda c: c["id"])
def test_api_matches_reference(case):
    assert_close(_api_value(case), case["expected"], case["id"])


def test_fixtures_cover_every_combination():
    """The fixtures are as broad as the issue asks: every kind, reduction, base and ce option."""
    seen = {(c["command"], c["p_as"], c["q_as"], c["reduction"]) for c in CASES}
    for p_as in ("probs", "logits", "log-probs", "labels"):
        for q_as in ("probs", "logits", "log-probs"):
            for reduction in ("none", "sum", "mean", "batchmean"):
                assert ("kl", p_as, q_as, reduction) in seen
    assert {str(c["base"]) for c in CASES} == {"e", "2", "10", "3"}
    ce = [c for c in CASES if c["command"] == "ce"]
    assert any(c["weight"] for c in ce) and any(c["label_smoothing"] for c in ce)
    assert any(c["ignore_index"] not in (None, -100) for c in ce)
    assert any(isinstance(c["expected"], str) and c["expected"] == "inf" for c in CASES)
    assert len(CASES) > 400
