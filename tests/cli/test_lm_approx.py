"""divcli lm --approx-percentiles: D(P‖Q)'s percentiles from a log-scale sketch. Every one within the
stated relative bound of the exact one (numpy's, from every position's value), the count, mean,
standard error, maximum and minimum the exact ones, on the local engine and merged from Dask shards."""

from __future__ import annotations

import json

import numpy as np
import pytest

from divcli.computations.lm_sketch import ALPHA
from helpers.extras import needs_dask
from helpers.lm_data import model_outputs

pytestmark = pytest.mark.numeric

PERCENTILES = ("kl_p99_9", "kl_p99", "kl_p95", "kl_p90", "kl_median", "kl_p10", "kl_p5", "kl_p1", "kl_p0_1")
#: The bound, and the last bits of the logarithm that places a value at a bin's edge.
BOUND = ALPHA * (1 + 1e-9)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("approx")
    base, candidate, _ = model_outputs(3000, 40, seed=21)
    candidate[:40] = base[:40]  # D = 0 at 40 positions
    np.save(folder / "p.npy", base)
    np.save(folder / "q.npy", candidate)
    for name, values in (("p", base), ("q", candidate)):
        (folder / name).mkdir()
        for index, (start, stop) in enumerate(((0, 1000), (1000, 1001), (1001, 3000))):
            np.save(folder / name / f"part-{index}.npy", values[start:stop])
    return folder


def _statistics(run, *args) -> dict:
    result = run("lm", *map(str, args), "-f", "json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)["statistics"]


def check_within_the_bound(approx: dict, exact: dict) -> None:
    for key in PERCENTILES:
        assert abs(approx[key] - exact[key]) <= BOUND * exact[key], (key, approx[key], exact[key])
    for key in ("positions", "kl_max", "kl_min", "same_top"):
        assert approx[key] == exact[key], key
    for key in ("kl_mean", "kl_se"):
        assert abs(approx[key] - exact[key]) <= 1e-12 * exact[key], key


def test_every_percentile_is_within_the_bound_of_the_exact_one(run, models):
    exact = _statistics(run, models / "p.npy", models / "q.npy")
    approx = _statistics(run, models / "p.npy", models / "q.npy", "--approx-percentiles")
    check_within_the_bound(approx, exact)
    assert exact["kl_p1"] == 0 == approx["kl_p1"] and exact["kl_p5"] > 0  # zeros counted apart, exactly
    assert any(approx[key] != exact[key] for key in PERCENTILES)  # a sketch, not the values


def test_an_infinite_kl_is_placed_as_the_exact_percentiles_place_it(run):
    p = ";".join(["1,2,3"] * 6 + ["1,1,1"] * 3)
    q = ";".join(["1,-inf,3"] * 2 + ["1,2,2.5"] * 4 + ["1,1,1"] * 3)
    exact = _statistics(run, p, q)
    approx = _statistics(run, p, q, "--approx-percentiles")
    for key in PERCENTILES:
        if exact[key] in ("inf", 0):
            assert approx[key] == exact[key], key
        else:
            assert abs(approx[key] - exact[key]) <= BOUND * exact[key], key


def test_the_json_says_the_percentiles_are_approximate(run, models):
    result = run("lm", models / "p.npy", models / "q.npy", "--approx-percentiles", "-f", "json")
    assert "log-scale sketch" in json.loads(result.stdout)["percentiles"]
    table = run("lm", models / "p.npy", models / "q.npy", "--approx-percentiles", env={"COLUMNS": "120"})
    histogram = table.stdout.split("a histogram on a log scale")[1]
    counts = [int(line.split("│")[1]) for line in histogram.splitlines() if line.count("│") == 2]
    assert sum(counts) == 3000  # the histogram counts every position


def test_top_k_inputs_refuse_it(run, tmp_path):
    line = json.dumps({"top_logprobs": {"a": -0.1, "b": -2.5}})
    (tmp_path / "p.jsonl").write_text(line + "\n")
    result = run("lm", tmp_path / "p.jsonl", tmp_path / "p.jsonl", "--approx-percentiles")
    assert result.exit_code == 2 and "--approx-percentiles reads full rows" in result.stderr


@pytest.mark.dask
def test_shards_merge_their_sketches_into_the_local_one(run, models, dask_cluster):
    needs_dask()
    local = _statistics(run, models / "p.npy", models / "q.npy", "--approx-percentiles")
    with dask_cluster() as cluster:
        remote = _statistics(run, models / "p", models / "q", "--approx-percentiles", "--engine", "dask",
                             "--scheduler", cluster.scheduler_address)
    for key in PERCENTILES + ("positions", "kl_max", "kl_min"):
        assert remote[key] == local[key], key  # the same bins, the same counts
    for key in ("kl_mean", "kl_se"):
        assert abs(remote[key] - local[key]) <= 1e-12 * local[key], key
