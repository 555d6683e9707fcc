"""divcli lm's smaller messages: each says the true reason in lm's words (positions and tokens, not
rows and classes), and the table titles stay on one line however narrow the table."""

from __future__ import annotations

import numpy as np
import pytest


def test_an_ordered_measure_called_by_its_family_is_refused_for_its_reason(run, tmp_path):
    np.save(tmp_path / "p.npy", np.zeros((2, 4)))
    for name in ("wasserstein", "wasserstein_1", "js,wasserstein"):
        result = run("lm", tmp_path / "p.npy", tmp_path / "p.npy", "--measures", name)
        assert result.exit_code == 2
        assert "wasserstein_1 needs ordered classes, and token ids are not ordered" in result.stderr
        assert "not a measure" not in result.stderr
    unknown = run("lm", tmp_path / "p.npy", tmp_path / "p.npy", "--measures", "wass")
    assert unknown.exit_code == 2 and "'wass' is not a measure" in unknown.stderr


@pytest.mark.parametrize(("shape", "said"), [((0, 50), "it holds no positions"), ((2, 0, 5), "it holds no positions"),
                                              ((3, 0), "its positions have no tokens")])
def test_an_empty_array_says_what_it_lacks(run, tmp_path, shape, said):
    np.save(tmp_path / "empty.npy", np.zeros(shape, dtype=np.float32))
    np.save(tmp_path / "q.npy", np.zeros((2, 5), dtype=np.float32))
    result = run("lm", tmp_path / "empty.npy", tmp_path / "q.npy")
    assert result.exit_code == 1
    assert f"empty.npy: has shape {shape}: {said}" in result.stderr
    assert "2-D" not in result.stderr and "Traceback" not in result.stderr


def test_an_infinite_kl_is_warned_of_by_position_and_token(run):
    p = ";".join(["0.2,0.3,0.5"] * 5)
    q = ";".join(["0.5,0.5,0"] * 5)
    result = run("lm", p, q, "--p-as", "probs", "--q-as", "probs", "-q")
    assert result.exit_code == 0 and result.stdout == "inf\n"
    lines = result.stderr.splitlines()
    assert lines[0].startswith("warning: D(P‖Q) is +inf: position 1, token 2: p = 0.5 but q = 0 (")
    assert lines[-1] == "warning: … and 2 more +inf terms in positions 1–5"
    assert "row 1, class" not in result.stderr


def test_titles_stay_on_one_line_at_one_position(run):
    result = run("lm", "1,2,3", "1,2,2.5", "--labels", "2", "--top", "1", "--tokens", "2", "--measures", "js",
                 env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    titles = [line.rstrip() for line in result.stdout.splitlines()]
    for title in ("the position of largest D(P‖Q)", "their tokens of largest |p·ln(p/q)|",
                  "D(P‖Q) per position, in nats", "D(P‖Q) per position, a histogram on a log scale",
                  "perplexity of the labels", "Δp = q(label) − p(label)", "other measures per position"):
        assert title in titles, title
    assert not any(line.startswith("the 1 positions") for line in titles)
    two = run("lm", "1,2,3;1,1,1", "1,2,2.5;1,1,2", "--top", "2", env={"COLUMNS": "200"})
    assert "the 2 positions of largest D(P‖Q)" in two.stdout
