"""Wide rows stay readable: explain and the per-class breakdown of kl and ce on a 32,000-class row
list the 20 classes with the largest |term|, largest first, and sum up the rest in one line."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import pytest

from divcli.output.wide import TOP_CLASSES, largest_terms

CLASSES = 32_000
RNG = np.random.default_rng(20)
P_LOGITS = RNG.normal(0, 2, (2, CLASSES))
Q_LOGITS = RNG.normal(0, 2, (2, CLASSES))
#: A pinned console width (the table is laid out for it; the numbers are compared by value).
ENV = {"COLUMNS": "200"}


def _log_softmax(z: np.ndarray) -> np.ndarray:
    z = z - z.max()
    return z - np.log(np.exp(z).sum())


def _kl_terms(row: int) -> np.ndarray:
    log_p, log_q = _log_softmax(P_LOGITS[row]), _log_softmax(Q_LOGITS[row])
    return np.exp(log_p) * (log_p - log_q)


@pytest.fixture
def wide(tmp_path):
    p, q = tmp_path / "p.npy", tmp_path / "q.npy"
    np.save(p, P_LOGITS)
    np.save(q, Q_LOGITS)
    return str(p), str(q)


def _numbers(text: str) -> list[float]:
    return [float(x) for x in re.findall(r"[-+]?\d+(?:\.\d+)?(?:e[-+]?\d+)?", text)]


def _explain_classes(text: str) -> tuple[list[list[str]], str | None]:
    """The class lines of explain's step 3 (each split into its cells) and the line after them."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.split()[:3] == ["class", "p", "q"])
    rows = []
    for line in lines[start + 1:]:
        if not line.strip() or line.strip().startswith("…"):
            return rows, line.strip() or None
        rows.append(line.split())
    return rows, None


def test_explain_lists_the_20_largest_terms_in_under_10_kb(run, wide):
    p, q = wide
    result = run("explain", p, q, "--p-as", "logits", "--q-as", "logits", "--row", "2", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.encode()) < 10_000
    for formula in ("H(P) = −Σ p·log p", "H(P,Q) = −Σ p·log q", "D(P‖Q) = Σ p·log(p/q)"):
        assert formula in result.stdout
    rows, rest = _explain_classes(result.stdout)
    terms = _kl_terms(1)
    expected = np.argsort(-np.abs(terms), kind="stable")[:TOP_CLASSES]
    assert [int(cells[0]) for cells in rows] == expected.tolist()  # unnamed classes: 0, 1, 2, …
    shown = [float(cells[5]) for cells in rows]
    assert shown == sorted(shown, key=abs, reverse=True)
    assert np.allclose(shown, terms[expected], rtol=1e-5, atol=1e-6)  # six decimals
    kl = float(terms.sum())
    assert np.allclose([float(cells[6].rstrip("%")) for cells in rows], 100 * terms[expected] / kl, atol=0.051)
    others = np.delete(terms, expected)
    assert rest is not None and rest.startswith(f"… {CLASSES - TOP_CLASSES:,} more classes")
    negative, positive, total = _numbers(rest.split("classes", 1)[1])
    assert math.isclose(negative, others[others < 0].sum(), rel_tol=1e-5)
    assert math.isclose(positive, others[others > 0].sum(), rel_tol=1e-5)
    assert math.isclose(total, others.sum(), rel_tol=1e-5)
    assert math.isclose(total + sum(terms[expected]), kl, rel_tol=1e-5)


def test_explain_all_classes_lists_every_one(run, wide):
    p, q = wide
    result = run("explain", p, q, "--p-as", "logits", "--q-as", "logits", "--all-classes", env=ENV)
    assert result.exit_code == 0, result.stderr
    rows, rest = _explain_classes(result.stdout)
    assert rest is None or not rest.startswith("…")
    assert sorted(int(cells[0]) for cells in rows) == list(range(CLASSES))
    shown = [float(cells[5]) for cells in rows]
    assert shown == sorted(shown, key=abs, reverse=True)


def test_explain_of_a_few_classes_is_as_before(run):
    result = run("explain", "9/25,12/25,4/25", "1/3,1/3,1/3", env=ENV)
    assert result.exit_code == 0
    assert "p = (0.36, 0.48, 0.16)" in result.stdout
    assert "largest" not in result.stdout and "more classes" not in result.stdout


def test_explain_json_still_holds_every_class(run, wide):
    p, q = wide
    document = json.loads(run("explain", p, q, "--p-as", "logits", "--q-as", "logits", "-f", "json").stdout)
    assert len(document["kl_divergence"]["terms"]) == CLASSES


def _breakdown_rows(text: str, title: str) -> tuple[list[list[str]], str]:
    """The class rows of the breakdown titled ``title`` (cells), and the line under its table."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(title))
    rows, i = [], start + 3  # title, header, rule
    while not lines[i].startswith("─"):
        rows.append([cell.strip() for cell in lines[i].split("│")])
        i += 1
    return rows, lines[i + 2].strip()  # the rule, the total, then the line under the table


def test_kl_breakdown_of_a_wide_row_shows_the_top_classes(run, wide):
    p, q = wide
    result = run("kl", p, q, "--p-as", "logits", "--q-as", "logits", env=ENV)
    assert result.exit_code == 0, result.stderr
    for row in (0, 1):
        rows, rest = _breakdown_rows(result.stdout, f"row {row + 1}: D(P‖Q)")
        terms = _kl_terms(row)
        expected = np.argsort(-np.abs(terms), kind="stable")[:TOP_CLASSES]
        assert [int(cells[0]) for cells in rows] == expected.tolist()
        assert np.allclose([float(cells[5]) for cells in rows], terms[expected], rtol=1e-5, atol=1e-6)
        others = np.delete(terms, expected)
        assert rest.startswith(f"… {CLASSES - TOP_CLASSES:,} more classes")
        negative, positive, total = _numbers(rest.split("classes", 1)[1])
        assert math.isclose(negative, others[others < 0].sum(), rel_tol=1e-5)
        assert math.isclose(positive, others[others > 0].sum(), rel_tol=1e-5)
        assert math.isclose(total, others.sum(), rel_tol=1e-5)
    assert len(result.stdout.encode()) < 20_000


def test_ce_breakdown_of_a_wide_row_with_a_label(run, wide, tmp_path):
    _, q = wide
    labels = tmp_path / "y.csv"
    labels.write_text("31999\n5\n")
    result = run("ce", str(labels), q, "--p-as", "labels", "--q-as", "logits", env=ENV)
    assert result.exit_code == 0, result.stderr
    rows, rest = _breakdown_rows(result.stdout, "row 1: H(P,Q)")
    assert [cells[0] for cells in rows] == ["31999"]
    assert math.isclose(float(rows[0][4]), -_log_softmax(Q_LOGITS[0])[31999], rel_tol=1e-5)
    assert rest == f"… {CLASSES - 1:,} more classes (every term 0)"


def test_largest_terms():
    listed = largest_terms([0.5, -2.0, 0.0, math.inf, 1.0, math.nan, -0.25], limit=3)
    assert listed.indices == [3, 1, 4]
    assert listed.hidden == 4 and listed.negative == -0.25 and listed.positive == 0.5
    assert largest_terms([0.0, 1.0, 0.0], limit=3).indices == [1]  # a term of 0 is not listed
    assert largest_terms([0.0, 1.0, -3.0], limit=None).indices == [2, 1, 0]
    assert largest_terms([1.0, 2.0], limit=5).rest_line("nats") == ""


def test_explain_with_a_temperature_stays_short(run, wide):
    """Step 0 (the softened rows) shows the first and last values of a wide row, not all 32,000."""
    p, q = wide
    result = run("explain", p, q, "--p-as", "logits", "--q-as", "logits", "-T", "2", env=ENV)
    assert result.exit_code == 0, result.stderr
    assert "softmax(z / 2)" in result.stdout and len(result.stdout.encode()) < 10_000


def test_entropy_breakdown_of_a_wide_row(run, wide):
    p, _ = wide
    result = run("entropy", p, "--p-as", "logits", env=ENV)
    assert result.exit_code == 0, result.stderr
    rows, rest = _breakdown_rows(result.stdout, "row 1: H(P)")
    log_p = _log_softmax(P_LOGITS[0])
    terms = -np.exp(log_p) * log_p
    expected = np.argsort(-terms, kind="stable")[:TOP_CLASSES]
    assert [int(cells[0]) for cells in rows] == expected.tolist()
    assert math.isclose(_numbers(rest.split("classes", 1)[1])[-1], np.delete(terms, expected).sum(), rel_tol=1e-5)
