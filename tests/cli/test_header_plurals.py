"""Headers that count things say one of them in the singular: ``N = 1 sample``, ``1 sample in 1
category``, ``1 resample`` (and the plural from 2 on, with thousands grouped where they were)."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.numeric


def test_one_sample_one_category_one_resample(run):
    result = run("entropy", "a", "--p-as", "samples", "--bootstrap", "1", "--seed", "1")
    assert result.exit_code == 0, result.stderr
    assert "P's counts: N = 1 sample\n" in result.stdout
    assert "P: 1 sample in 1 category, counted from literal 'a'" in result.stdout
    assert "from 1 resample of the counts, seed 1" in result.stdout


def test_many_are_plural_and_grouped(run):
    result = run("entropy", "a,b,b", "--p-as", "samples", "--bootstrap", "1200", "--seed", "1")
    assert result.exit_code == 0, result.stderr
    assert "P's counts: N = 3 samples\n" in result.stdout
    assert "P: 3 samples in 2 categories" in result.stdout
    assert "from 1,200 resamples of the counts" in result.stdout


def test_drift_says_one_category_folded(run, tmp_path):
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("c\n" + "a\n" * 10 + "b\nz\nz\nz\n")
    cur.write_text("c\n" + "a\n" * 10 + "z\nz\nz\n")
    result = run("drift", ref, cur, "--categorical", "c", "--min-share", "0.1")
    assert result.exit_code == 0, result.stderr
    assert "c: 1 category under the minimum share folded into (other)" in result.stdout
