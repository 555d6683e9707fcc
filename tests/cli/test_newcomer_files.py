"""Files a newcomer has, through the real program: labels saved with ``np.save``, torch's argument
order, float32 softmax rows, tables in bits, a 32,000-class row, a full device, a closed standard
input. Each gives the right number (checked against a float64 reference by value) or one line and
its exit code: never a traceback, never a silently wrong number."""

from __future__ import annotations

import math
import os
import subprocess
import sys

import numpy as np
import pytest

RNG = np.random.default_rng(2026)


def divcli(command: str, cwd) -> subprocess.CompletedProcess:
    """``command`` (``divcli …`` with shell redirections) through bash, divcli being this Python's."""
    env = dict(os.environ, COLUMNS="120", NO_COLOR="1")
    line = command.replace("divcli ", f"{sys.executable} -m divcli ", 1)
    return subprocess.run(["bash", "-c", line], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def one_line_error(result: subprocess.CompletedProcess, code: int) -> str:
    assert result.returncode == code, result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: ") and "Traceback" not in result.stderr, result.stderr
    return lines[0]


def log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


@pytest.fixture
def ml_files(tmp_path):
    """5 positions × 5 classes of logits (N = C, where labels read as one row once went wrong), the
    labels as ``np.save`` writes them."""
    logits = RNG.normal(size=(5, 5))
    labels = np.array([3, 0, 4, 4, 1])
    np.save(tmp_path / "logits.npy", logits)
    np.save(tmp_path / "labels.npy", labels)
    return logits, labels


def test_labels_saved_with_np_save(ml_files, tmp_path):
    logits, labels = ml_files
    result = divcli("divcli ce labels.npy logits.npy --q-as logits -q", tmp_path)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    expected = -log_softmax(logits)[np.arange(5), labels].mean()  # torch's F.cross_entropy(logits, labels)
    assert math.isclose(float(result.stdout), expected, rel_tol=1e-13)


def test_torchs_argument_order(ml_files, tmp_path):
    line = one_line_error(divcli("divcli ce logits.npy labels.npy --p-as logits", tmp_path), 1)
    assert "P comes first" in line and "did you mean `divcli ce labels.npy logits.npy --q-as logits`" in line


def test_float32_softmax_rows(tmp_path):
    """Rows of a float32 softmax sum to 1 within ~1e-7: renormalised, said so, and the number is the
    KL of the rows divided by their sums (float64 reference)."""
    p32 = np.exp(log_softmax(RNG.normal(size=(4, 10)))).astype(np.float32)
    q32 = np.exp(log_softmax(RNG.normal(size=(4, 10)))).astype(np.float32)
    np.save(tmp_path / "p.npy", p32)
    np.savetxt(tmp_path / "q.csv", q32, delimiter=",", fmt="%.9g")
    p = p32.astype(np.float64) / p32.astype(np.float64).sum(axis=1, keepdims=True)
    q = np.loadtxt(tmp_path / "q.csv", delimiter=",")
    q = q / q.sum(axis=1, keepdims=True)
    expected = float(np.mean(np.sum(p * np.log(p / q), axis=1)))
    quiet = divcli("divcli kl p.npy q.csv -q", tmp_path)
    assert quiet.returncode == 0 and quiet.stderr == "", quiet.stderr
    assert math.isclose(float(quiet.stdout), expected, rel_tol=1e-12)
    table = divcli("divcli kl p.npy q.csv", tmp_path)
    assert "P's rows renormalised (largest deviation" in table.stdout
    assert "Q's rows renormalised (largest deviation" in table.stdout


def test_a_table_in_bits_can_be_redone_by_hand(tmp_path):
    result = divcli('divcli kl "0.7,0.2,0.1" "0.6,0.3,0.1" --base 2', tmp_path)
    assert result.returncode == 0, result.stderr
    row = next(line for line in result.stdout.splitlines() if line.strip().startswith("0 "))
    p, q, log_p, log_q, term = (float(cell) for cell in row.replace("│", " ").split()[1:6])
    assert "log₂ p" in result.stdout and "p·log₂(p/q)" in result.stdout
    assert math.isclose(log_p, math.log2(0.7), abs_tol=1e-6) and math.isclose(log_q, math.log2(0.6), abs_tol=1e-6)
    assert math.isclose(term, p * (log_p - log_q), abs_tol=2e-6)


def test_a_wide_row_stays_readable(tmp_path):
    np.save(tmp_path / "t.npy", RNG.normal(size=(2, 32_000)))
    np.save(tmp_path / "s.npy", RNG.normal(size=(2, 32_000)))
    result = divcli("divcli explain t.npy s.npy --p-as logits --q-as logits --row 2", tmp_path)
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.encode()) < 10_000
    assert "31,980 more classes" in result.stdout


def test_a_full_device(tmp_path):
    line = one_line_error(divcli('divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3" > /dev/full', tmp_path), 1)
    assert line == "Error: cannot write to standard output: No space left on device"


def test_a_closed_standard_input(tmp_path):
    line = one_line_error(divcli('divcli kl - "1/3,1/3,1/3" <&-', tmp_path), 1)
    assert line.startswith("Error: standard input is closed")
