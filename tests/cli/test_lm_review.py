"""divcli lm, reviewed against its issue as a whole: every statistic and JSON key against a plain
float64 numpy computation written here (not the helpers' one), on generated model outputs (a
Zipf-like base, a candidate of the base plus structured noise, as a quantized model's) in every
input the command takes; and the defects the review found, each with the test that showed it."""

from __future__ import annotations

import re

import numpy as np
import pytest

from helpers.extras import needs_dask

pytestmark = pytest.mark.numeric


# --------------------------------------------------------------------------------------------
# defects found by the review


@pytest.mark.slow
def test_dask_warnings_name_positions_in_the_whole_input(run, tmp_path, dask_cluster):
    """An infinite KL in the second shard is warned of at its position in the whole input, as the
    local engine does (it was counted within the shard), with the shard's own file row."""
    needs_dask()
    p, q = np.full((3, 4), 0.25), np.full((3, 4), 0.25)
    q[1] = [0.5, 0.5, 0.0, 0.0]
    for index in range(2):
        np.save(tmp_path / f"p-{index}.npy", p)
        np.save(tmp_path / f"q-{index}.npy", q)
    np.save(tmp_path / "p.npy", np.vstack([p, p]))
    np.save(tmp_path / "q.npy", np.vstack([q, q]))
    args = ("--p-as", "probs", "--q-as", "probs", "-q")
    local = run("lm", tmp_path / "p.npy", tmp_path / "q.npy", *args)
    with dask_cluster() as cluster:
        remote = run("lm", tmp_path / "p-*.npy", tmp_path / "q-*.npy", *args, "--engine", "dask",
                     "--scheduler", cluster.scheduler_address)
    assert remote.exit_code == 0, remote.stderr
    positions = re.findall(r"position (\d+), token (\d+)", remote.stderr)
    assert positions == [("2", "2"), ("2", "3"), ("5", "2"), ("5", "3")], remote.stderr
    assert "q-1.npy: row 2, item 3" in remote.stderr  # the file's own row
    assert set(re.findall(r"position (\d+)", local.stderr)) == {"2", "5"}


def test_a_shards_warnings_renumbered_keep_the_files_own_rows():
    from divcli.computations.divergence_rows import renumbered_positions

    assert renumbered_positions("D(P‖Q) is +inf: position 2, token 7: p = 0.25 but q = 0 (position 3.npy: row 2, "
                                "item 8)", 300) == \
        "D(P‖Q) is +inf: position 302, token 7: p = 0.25 but q = 0 (position 3.npy: row 2, item 8)"
    assert renumbered_positions("… and 4 more +inf terms in positions 1–256", 300) == \
        "… and 4 more +inf terms in positions 301–556"
    assert renumbered_positions("Q: 3 rows renormalised", 300) == "Q: 3 rows renormalised"
