"""divcli lm --engine dask against the local engine, on a real 2-worker LocalCluster (processes, so
every task and its totals go through pickling): the statistics by value, the percentiles, maximum
and minimum exactly (the same per-position floats, sorted whole), the worst positions numbered in
the whole input, the labels cut per shard, and the errors of positions and labels that differ."""

from __future__ import annotations

import math

import numpy as np
import pytest

from helpers.extras import needs
from helpers.lm_data import model_outputs

distributed = needs("distributed")
needs("pyarrow")

pytestmark = pytest.mark.dask

POSITIONS, VOCABULARY = 600, 48
#: Shard boundaries: a shard of one position, one inside the local engine's first block, the rest.
CUTS = [0, 150, 151, 400, POSITIONS]
#: Exactly the local engine's: order statistics of the same floats.
EXACT = ("kl_max", "kl_p99_9", "kl_p99", "kl_p95", "kl_p90", "kl_median", "kl_p10", "kl_p5", "kl_p1", "kl_p0_1",
         "kl_min", "same_top", "same_top_se", "positions", "delta_p_max", "delta_p_median", "delta_p_min")


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Seeded float16 logits, whole and in shards (2-D, and 3-D of 2 sequences a shard), and labels."""
    root = tmp_path_factory.mktemp("lm-shards")
    base, candidate, labels = model_outputs(POSITIONS, VOCABULARY, seed=11)
    for name, values in (("p", base.astype(np.float16)), ("q", candidate.astype(np.float16))):
        np.save(root / f"{name}.npy", values)
        (root / name).mkdir()
        (root / f"{name}3").mkdir()
        for index, (start, stop) in enumerate(zip(CUTS, CUTS[1:])):
            np.save(root / name / f"part-{index}.npy", values[start:stop])
        for index, rows in enumerate(np.split(values, 3)):  # 200 positions a shard: 2 × 100
            np.save(root / f"{name}3" / f"part-{index}.npy", rows.reshape(2, 100, VOCABULARY))
    np.savetxt(root / "labels.csv", labels, fmt="%d")
    np.savetxt(root / "short.csv", labels[:-3], fmt="%d")
    np.savetxt(root / "long.csv", np.append(labels, [1, 2]), fmt="%d")
    return root


def dask(*args, scheduler):
    return [*map(str, args), "--engine", "dask", "--scheduler", scheduler]


def same_statistics(local: dict, remote: dict) -> None:
    assert remote.keys() == local.keys()
    for key, value in local.items():
        if key in EXACT or value is None:
            assert remote[key] == value, key
        else:
            assert math.isclose(remote[key], value, rel_tol=1e-12, abs_tol=1e-300), (key, remote[key], value)


@pytest.mark.parametrize("shards", ["p", "p3"])
def test_statistics_and_worst_positions_agree_with_the_local_engine(run_json, models, scheduler, shards):
    """2-D shards cut anywhere (one of a single position) and 3-D shards (batch·sequence positions)."""
    other = shards.replace("p", "q")
    local = run_json("lm", models / "p.npy", models / "q.npy", "--labels", models / "labels.csv", "--top", 7)
    remote = run_json(*dask("lm", f"{models}/{shards}/*.npy", f"{models}/{other}", "--labels", models / "labels.csv",
                            "--top", 7, scheduler=scheduler))
    same_statistics(local["statistics"], remote["statistics"])
    # 3-D shards may differ in shape: a position is numbered across the shards, without a batch and token
    assert all("batch" not in record and "sequence" not in record and "token" not in record for record in remote["worst"])
    assert remote["worst"] == local["worst"]  # positions counted across the shards, the same KL to the bit
    assert any(row["position"] > CUTS[2] for row in remote["worst"])  # (not all in the first shard)
    assert remote["p"]["source"] == f"{models}/{shards}/*.npy" and remote["n_positions"] == POSITIONS


def test_without_labels_and_quiet(run, run_json, models, scheduler):
    local = run_json("lm", models / "p.npy", models / "q.npy")
    remote = run_json(*dask("lm", models / "p", models / "q", scheduler=scheduler))
    same_statistics(local["statistics"], remote["statistics"])
    assert "ppl_p" not in remote["statistics"]
    quiet = run(*dask("lm", models / "p", models / "q", "-q", scheduler=scheduler))
    assert quiet.exit_code == 0, quiet.stderr
    assert math.isclose(float(quiet.stdout), local["value"], rel_tol=1e-12)


def test_labels_that_differ_in_number_are_the_local_engines_errors(run, models, scheduler):
    short = run(*dask("lm", models / "p", models / "q", "--labels", models / "short.csv", scheduler=scheduler))
    assert short.exit_code == 1
    assert f"the labels have {POSITIONS - 3} tokens" in short.stderr
    assert f"P and Q have {POSITIONS} positions" in short.stderr and f"position {POSITIONS - 2} has no label" in short.stderr
    local = run("lm", models / "p.npy", models / "q.npy", "--labels", models / "long.csv")
    remote = run(*dask("lm", models / "p", models / "q", "--labels", models / "long.csv", scheduler=scheduler))
    assert remote.exit_code == local.exit_code == 1
    assert remote.stderr.replace(f"{models}/p", f"{models}/p.npy") == local.stderr


def test_positions_that_differ_in_a_shard_pair_name_the_first_one_missing(run, models, scheduler, tmp_path):
    for name in ("p", "q"):
        (tmp_path / name).mkdir()
        values = np.load(models / f"{name}.npy")
        np.save(tmp_path / name / "part-0.npy", values[:300])
        np.save(tmp_path / name / "part-1.npy", values[300:(POSITIONS if name == "p" else POSITIONS - 1)])
    result = run(*dask("lm", tmp_path / "p", tmp_path / "q", scheduler=scheduler))
    assert result.exit_code == 1
    # the position in the whole input, as the local engine names it (not the shard's 300th)
    assert result.stderr == (f"Error: Q has 299 positions ({tmp_path}/q/part-1.npy) but P has 300 ({tmp_path}/p/part-1.npy): "
                             "position 600 is missing from Q; give both models' outputs for the same positions (one row "
                             "per token position)\n")
    np.save(tmp_path / "whole-q.npy", np.load(models / "q.npy")[:-1])
    local = run("lm", models / "p.npy", tmp_path / "whole-q.npy")
    assert "position 600 is missing from Q" in local.stderr


@pytest.mark.slow
def test_an_error_on_a_local_cluster_is_one_line(tmp_path):
    """A shard pair that differs stops the run while other tasks are running: the workers of the
    LocalCluster divcli starts do not print their warnings of the cancelled tasks before the error."""
    import os
    import subprocess
    import sys

    rng = np.random.default_rng(4)
    for name in ("p", "q"):
        (tmp_path / name).mkdir()
        for index in range(6):
            rows = 150 if (name, index) == ("q", 0) else 200
            np.save(tmp_path / name / f"s{index}.npy", rng.normal(size=(rows, 2000)).astype(np.float32))
    result = subprocess.run([sys.executable, "-m", "divcli", "lm", str(tmp_path / "p"), str(tmp_path / "q"),
                             "--engine", "dask", "-q"], capture_output=True, text=True, timeout=300,
                            env=dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path)))
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: Q has 150 positions") and result.stderr.count("\n") == 1, result.stderr


@pytest.mark.parametrize("args, words", [
    (("--reduction", "row"), "--reduction row is local only"),
    (("--threads", "2"), "--threads is --engine local's"),
])
def test_what_the_dask_engine_does_not_take(run, models, scheduler, args, words):
    result = run(*dask("lm", models / "p", models / "q", *args, scheduler=scheduler))
    assert result.exit_code == 2 and words in result.stderr


def test_scheduler_without_the_dask_engine_is_refused(run, models):
    result = run("lm", models / "p.npy", models / "q.npy", "--scheduler", "tcp://127.0.0.1:1")
    assert result.exit_code == 2 and "--scheduler is read by --engine dask only" in result.stderr
