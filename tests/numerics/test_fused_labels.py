"""The fused kernel's rows for P given as class labels (divcli/numerics/fused_labels.py) against numpy's
path: ce (weights, ignore_index, a label where Q's logit is −inf, no row left), kl with P as labels,
Q as logits or probabilities, distill's hard part; per row within the bounds, every field of
``-f csv --reduction none`` and the warnings word for word."""

from __future__ import annotations

import numpy as np
import pytest

import divcli
from helpers.extras import needs
from divcli.numerics import fast_path
from divcli.readers import sizes
from test_fused import FLOOR, assert_close, both_paths, csv_columns, lm_logits, numbers

pytestmark = pytest.mark.numeric

CLASSES = 700


def operands(q_as: str = "logits") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Labels (one ignored, -100), Q's rows (a masked class at row 2's label, confident rows), class weights
    (0 at row 4's label, where Q is masked too: a term of 0, not +inf)."""
    q = lm_logits(8, CLASSES, 1e-3, seed=21)[1].astype(np.float64)
    labels = np.array([3, 0, 17, -100, 42, 699, 5, 5])
    q[2, 17] = -np.inf  # +inf at the label
    q[4, 42] = -np.inf
    q[6, 5] = 900.0  # q_y ≈ 1: H(P,Q) ≈ 0 (1e-300 and below)
    q[7, :] = 0.0  # uniform: log C
    weight = np.linspace(0.5, 2.0, CLASSES)
    weight[42] = 0.0
    if q_as == "probs":
        q = np.exp(q - q.max(axis=1, keepdims=True))
        q /= q.sum(axis=1, keepdims=True)
    return labels, q, weight


@pytest.mark.parametrize("q_as", ["logits", "probs"])
def test_cross_entropy_of_labels_agrees(monkeypatch, q_as):
    labels, q, weight = operands(q_as)

    def compute():
        return {"none": divcli.cross_entropy(labels, q, p_as="labels", q_as=q_as, reduction="none"),
                "weighted": divcli.cross_entropy(labels, q, p_as="labels", q_as=q_as, weight=weight, reduction="none"),
                "mean": divcli.cross_entropy(labels, q, p_as="labels", q_as=q_as, weight=weight),
                "finite mean": divcli.cross_entropy(labels[[0, 1, 3, 5, 6, 7]], q[[0, 1, 3, 5, 6, 7]], p_as="labels",
                                                    q_as=q_as, weight=weight)}
    plain, fused = both_paths(monkeypatch, compute)
    for key in plain:
        assert_close(fused[key], plain[key])
    assert fused["none"][2] == np.inf and fused["none"][3] == 0.0 and fused["weighted"][4] == 0.0
    assert 0.0 <= fused["none"][6] < 1e-300 and abs(fused["none"][7] - np.log(CLASSES)) <= 4e-16 * np.log(CLASSES)


def test_kl_with_labels_agrees(monkeypatch):
    labels, q, _ = operands()
    labels[3] = 9  # kl takes no ignore_index

    def compute():
        return (divcli.kl_divergence(labels, q, p_as="labels", q_as="logits", reduction="row"),
                divcli.kl_divergence(labels, q, p_as="labels", q_as="logits", reduction="none"))
    (plain_rows, plain_terms), (fused_rows, fused_terms) = both_paths(monkeypatch, compute)
    assert_close(fused_rows, plain_rows)
    assert_close(fused_terms, plain_terms)
    assert np.count_nonzero(fused_terms) == labels.size - 1 and fused_rows[2] == np.inf  # row 6: q_y = 1
    assert np.array_equal(np.nonzero(fused_terms)[1], np.delete(labels, 6))


def test_a_block_of_ignored_rows(run, tmp_path, monkeypatch):
    """Blocks of two rows: the first has no row to compute, the kernel is given none."""
    labels, q, weight = operands()
    labels[:2] = -100
    np.save(tmp_path / "q.npy", q)
    np.savetxt(tmp_path / "labels.csv", labels[:, None], fmt="%d")
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 2)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 2 * CLASSES)
    args = ["ce", tmp_path / "labels.csv", tmp_path / "q.npy", "--p-as", "labels", "--q-as", "logits", "-f", "csv"]
    plain, fused = both_paths(monkeypatch, lambda: run(*args, "--reduction", "none"))
    assert fused.exit_code == 0 and fused.stderr == plain.stderr
    expected, got = csv_columns(plain.stdout), csv_columns(fused.stdout)
    assert got["cross_entropy"][:2] == expected["cross_entropy"][:2] == ["0.0", "0.0"]
    assert_close(numbers(got["cross_entropy"]), numbers(expected["cross_entropy"]))


def test_distillations_hard_part_agrees(monkeypatch):
    teacher, student = (z.astype(np.float64) for z in lm_logits(6, CLASSES, 1e-2, seed=22))
    labels = np.array([1, 2, 3, 4, 5, 6])
    plain, fused = both_paths(monkeypatch, lambda: divcli.distillation_loss(teacher, student, 2.0, labels, alpha=0.25))
    assert_close(fused, plain)


def command_lines(folder) -> list[list[str]]:
    """ce (ignore_index, weights) and kl of labels as a column of a .csv, Q's logits as .npy."""
    labels, q, weight = operands()
    np.save(folder / "q.npy", q)
    np.savetxt(folder / "labels.csv", labels[:, None], fmt="%d")
    kl_labels = labels.copy()
    kl_labels[3] = 9
    np.savetxt(folder / "kl-labels.csv", kl_labels[:, None], fmt="%d")
    np.savetxt(folder / "weight.csv", weight[None, :], delimiter=",")
    q_file = str(folder / "q.npy")
    return [["ce", str(folder / "labels.csv"), q_file, "--p-as", "labels", "--q-as", "logits", "--ignore-index", "-100",
             "--weight", str(folder / "weight.csv")],
            ["ce", str(folder / "labels.csv"), q_file, "--p-as", "labels", "--q-as", "logits"],
            ["kl", str(folder / "kl-labels.csv"), q_file, "--p-as", "labels", "--q-as", "logits"]]


@pytest.mark.parametrize("which", [0, 1, 2], ids=["ce-weighted", "ce", "kl"])
def test_every_field_agrees_on_both_paths(run, tmp_path, monkeypatch, which):
    args = command_lines(tmp_path)[which] + ["-f", "csv", "--reduction", "none"]
    plain, fused = both_paths(monkeypatch, lambda: run(*args))
    assert plain.exit_code == fused.exit_code == 0, fused.stderr
    assert fused.stderr == plain.stderr and "is +inf" in fused.stderr
    expected, got = csv_columns(plain.stdout), csv_columns(fused.stdout)
    assert list(got) == list(expected) and len(expected) > 1
    for title, cells in expected.items():
        values = numbers(cells)
        if values is None or title in ("row", "label"):
            assert got[title] == cells
        elif title == "check":  # cross − entropy − kl: 0 on the fused path, a rounding residue on numpy's
            assert np.all(np.abs(numbers(got[title])[np.isfinite(values)]) <= 1e-12)
        else:
            assert_close(numbers(got[title]), values, atol=2 * FLOOR)
    quiet = both_paths(monkeypatch, lambda: run(*args[:-4], "-q"))
    assert float(quiet[1].stdout) == pytest.approx(float(quiet[0].stdout), rel=1e-14, abs=0) or \
        quiet[0].stdout == quiet[1].stdout


def test_the_one_hot_rows_are_never_made(monkeypatch):
    """The labels kernel reads the labels: P's logs (a full array of 0 and −inf) are never taken where
    nothing shows them (a +inf term's warning shows P there: the rows here have none)."""
    needs("numba")
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    labels, q, weight = operands()
    labels, q = labels[[0, 1, 3, 5, 6, 7]], q[[0, 1, 3, 5, 6, 7]]
    divcli.cross_entropy(labels, q, p_as="labels", q_as="logits", weight=weight)  # numba's registries loaded
    taken, real = [], np.log
    monkeypatch.setattr(np, "log", lambda x, *a, **k: taken.append(np.shape(x)) or real(x, *a, **k))
    assert np.isfinite(divcli.cross_entropy(labels, q, p_as="labels", q_as="logits", weight=weight))
    assert (labels.size, CLASSES) not in taken
