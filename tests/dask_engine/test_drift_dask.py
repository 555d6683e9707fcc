"""divcli drift --engine dask against the local engine, on a real 2-worker LocalCluster (processes,
so every pass's results go through pickling): the reference's and the current's shards (as many as
each has) give the bins of the whole reference and the same counts and binned measures, exactly; a
bad cell names its shard and line."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.extras import needs

distributed = needs("distributed")
needs("pyarrow")

pytestmark = pytest.mark.dask

BINNED = ("psi", "kl_ref_cur", "kl_cur_ref", "js_distance", "hellinger", "chi2")


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def _lines(rng, rows: int, shift: float) -> list[str]:
    return [f"{'' if i % 9 == 0 else round(float(x), 4)},{rng.choice(['a', 'b', 'c'])}"
            for i, x in enumerate(rng.normal(shift, 1, rows))]


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """ref.csv and cur.csv whole, and in shards: 3 of the reference, 2 of the current."""
    rng = np.random.default_rng(8)
    root = tmp_path_factory.mktemp("drift-shards")
    for name, rows, shift, cuts in (("ref", 1500, 0.0, [0, 1, 700, 1500]), ("cur", 900, 0.3, [0, 450, 900])):
        lines = _lines(rng, rows, shift)
        (root / f"{name}.csv").write_text("x,group\n" + "\n".join(lines) + "\n")
        (root / name).mkdir()
        for index, (low, high) in enumerate(zip(cuts, cuts[1:])):
            (root / name / f"part-{index}.csv").write_text("x,group\n" + "\n".join(lines[low:high]) + "\n")
    return root


@pytest.mark.parametrize("rule", ["quantile:10", "uniform:5", "fd"])
def test_dask_gives_the_local_numbers(run, data, scheduler, rule):
    whole = run("drift", data / "ref.csv", data / "cur.csv", "--bins", rule, "-f", "json")
    sharded = run("drift", str(data / "ref" / "*.csv"), data / "cur", "--bins", rule, "-f", "json",
                  "--engine", "dask", "--scheduler", scheduler)
    assert whole.exit_code == 0 and sharded.exit_code == 0, sharded.stderr
    left, right = json.loads(whole.stdout), json.loads(sharded.stdout)
    for one, other in zip(left["columns"], right["columns"]):
        assert one["n_reference"] == other["n_reference"] == 1500
        assert one["n_bins"] == other["n_bins"]
        for key in BINNED:
            assert one[key] == other[key], (one["column"], key)
    assert "W₁ and KS are left out" in sharded.stderr


def test_a_bad_cell_names_its_shard(run, data, scheduler, tmp_path):
    (tmp_path / "part-0.csv").write_text("x,group\n1,a\n2,b\n")
    (tmp_path / "part-1.csv").write_text("x,group\n1,a\nten,b\n")
    result = run("drift", str(tmp_path / "*.csv"), data / "cur.csv", "--engine", "dask", "--scheduler", scheduler)
    assert result.exit_code == 1
    assert f"{tmp_path / 'part-1.csv'}:3:1" in result.stderr and "Traceback" not in result.stderr
