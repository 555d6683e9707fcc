"""--engine dask says and matches as the local engine does, on a real 2-worker LocalCluster: a column
error names the option typed (--select, --q-select, the old --p-cols), on the client's first shard
and on a worker's later one; shards that name their classes (JSON objects' keys, a header, a
``bin,count`` histogram) in another order are matched by name to the first shards' classes, and the
numbers are a float64 computation's of the same distributions."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.extras import needs

distributed = needs("distributed")
needs("pyarrow")

pytestmark = pytest.mark.dask


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def _dask(run, scheduler, *args):
    return run(*args, "--engine", "dask", "--scheduler", scheduler)


def _kl(p: dict, q: dict) -> float:
    """KL(P‖Q) in nats of two distributions given as class → weight (normalised here), over P's classes."""
    p_total, q_total = sum(p.values()), sum(q.values())
    terms = [(p[name] / p_total) * np.log((p[name] / p_total) / (q.get(name, 0.0) / q_total))
             for name in p if p[name] > 0]
    return float(np.sum(terms))


# -- 1. the option typed -------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def columns(tmp_path_factory):
    """Two CSV shards; the second lacks column 'c' (found by a worker, not by the client)."""
    root = tmp_path_factory.mktemp("columns")
    (root / "part-1.csv").write_text("a,b,c\n0.2,0.3,0.5\n")
    (root / "part-2.csv").write_text("a,b,d\n0.2,0.3,0.5\n")
    return root


@pytest.mark.parametrize("options, named", [
    (["--select", "x"], "--select"),
    (["--p-select", "x"], "--p-select"),
    (["--q-select", "x"], "--q-select"),
    (["--select", "a", "--q-select", "x"], "--q-select"),
    (["--select", "x", "--q-select", "a"], "--select"),
    (["--p-cols", "x"], "--p-cols"),
    (["--q-cols", "x"], "--q-cols"),
])
def test_a_column_error_names_the_option_typed(run, scheduler, columns, options, named):
    local = run("kl", columns / "part-1.csv", columns / "part-1.csv", *options)
    remote = _dask(run, scheduler, "kl", columns, columns, *options)
    assert local.exit_code == remote.exit_code == 1
    assert f"{named}: no column 'x'" in local.stderr
    assert f"{named}: no column 'x'" in remote.stderr, remote.stderr


@pytest.mark.parametrize("options, named", [
    (["--select", "a,c"], "--select"),
    (["--q-select", "b,c", "--p-select", "a,b"], "--q-select"),
    (["--p-cols", "a,c", "--q-cols", "a,b"], "--p-cols"),
])
def test_a_later_shards_column_error_names_the_option_typed(run, scheduler, columns, options, named):
    result = _dask(run, scheduler, "kl", columns, columns, *options, "--normalize")
    assert result.exit_code == 1
    assert f"part-2.csv: {named}: no column 'c'" in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


# -- 2. classes matched by name, shard by shard --------------------------------------------------------

P_ROWS = [[{"a": 0.2, "b": 0.5, "c": 0.3}, {"c": 0.1, "a": 0.6, "b": 0.3}],
          [{"b": 0.25, "c": 0.25, "a": 0.5}, {"a": 0.1, "b": 0.1, "c": 0.8}, {"c": 0.4, "b": 0.4, "a": 0.2}]]
Q_ROWS = [[{"c": 0.2, "b": 0.4, "a": 0.4}, {"a": 0.3, "b": 0.3, "c": 0.4}],
          [{"a": 0.3, "c": 0.3, "b": 0.4}, {"b": 0.2, "a": 0.2, "c": 0.6}, {"a": 0.5, "b": 0.25, "c": 0.25}]]


def _jsonl(folder, shards):
    folder.mkdir()
    for index, rows in enumerate(shards):
        (folder / f"part-{index}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in rows))
    return folder


def test_json_objects_in_another_key_order_are_matched_by_name_in_every_shard(run, scheduler, tmp_path):
    p, q = _jsonl(tmp_path / "p", P_ROWS), _jsonl(tmp_path / "q", Q_ROWS)
    result = _dask(run, scheduler, "kl", p, q, "--reduction", "none", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["classes"] == ["a", "b", "c"]
    expected = [_kl(mine, theirs) for shard_p, shard_q in zip(P_ROWS, Q_ROWS) for mine, theirs in zip(shard_p, shard_q)]
    np.testing.assert_allclose([row["kl_divergence"] for row in document["rows"]], expected, rtol=1e-12)
    for row, mine in zip(document["rows"], [row for shard in P_ROWS for row in shard]):
        assert row["terms"].keys() == {"a", "b", "c"}
        np.testing.assert_allclose(row["entropy_p"], -sum(v * np.log(v) for v in mine.values()), rtol=1e-12)
    compare = _dask(run, scheduler, "compare", p, q, "-f", "json")
    assert compare.exit_code == 0, compare.stderr
    assert json.loads(compare.stdout)["reductions"]["sum"]["kl_pq"] == pytest.approx(sum(expected), rel=1e-12)


def test_a_shard_naming_other_keys_is_refused_or_counted_0_with_missing_zero(run, scheduler, tmp_path):
    lacking = [P_ROWS[0], [{"a": 0.5, "b": 0.5}, {"b": 0.9, "a": 0.1}, {"a": 0.2, "b": 0.8}]]
    q_lacking = [Q_ROWS[0], [{"b": 0.4, "a": 0.6}, {"a": 0.3, "b": 0.7}, {"a": 0.5, "b": 0.5}]]
    p, q = _jsonl(tmp_path / "p", lacking), _jsonl(tmp_path / "q", q_lacking)
    refused = _dask(run, scheduler, "kl", p, q)
    assert refused.exit_code == 1 and refused.stdout == ""
    assert "part-1.jsonl: has no class 'c', which the first shards name" in refused.stderr
    assert "--missing zero" in refused.stderr
    zero = _dask(run, scheduler, "kl", p, q, "--missing", "zero", "--reduction", "none", "-f", "json")
    assert zero.exit_code == 0, zero.stderr
    expected = [_kl(mine, theirs) for shard_p, shard_q in zip(lacking, q_lacking) for mine, theirs in zip(shard_p, shard_q)]
    np.testing.assert_allclose([row["kl_divergence"] for row in json.loads(zero.stdout)["rows"]], expected, rtol=1e-12)
    assert "has no class 'c': counted as 0 there" in zero.stderr
    other = _jsonl(tmp_path / "other", [P_ROWS[0], [{"a": 0.5, "b": 0.2, "c": 0.2, "d": 0.1}] * 3])
    refused = _dask(run, scheduler, "kl", other, _jsonl(tmp_path / "q4", [Q_ROWS[0], [{"a": 0.5, "b": 0.2, "c": 0.2, "d": 0.1}] * 3]))
    assert refused.exit_code == 1
    assert "part-1.jsonl: names class 'd' that the first shards do not" in refused.stderr


HISTOGRAMS_P = [{"cat": 3, "dog": 5, "fish": 2}, {"fish": 1, "dog": 5, "cat": 2}, {"dog": 7, "cat": 1}]
HISTOGRAMS_Q = [{"dog": 4, "cat": 5, "fish": 1}, {"cat": 1, "fish": 3, "dog": 5}, {"fish": 2, "cat": 2, "dog": 4}]


def _histograms(folder, shards):
    folder.mkdir()
    for index, counts in enumerate(shards):
        (folder / f"part-{index}.csv").write_text("bin,count\n" + "".join(f"{k},{v}\n" for k, v in counts.items()))
    return folder


def test_bin_count_histograms_are_one_distribution_a_shard_matched_by_bin(run, scheduler, tmp_path):
    p, q = _histograms(tmp_path / "p", HISTOGRAMS_P), _histograms(tmp_path / "q", HISTOGRAMS_Q)
    result = _dask(run, scheduler, "kl", p, q, "--reduction", "none", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["classes"] == ["cat", "dog", "fish"] and document["n_rows"] == 3
    expected = [_kl(mine, theirs) for mine, theirs in zip(HISTOGRAMS_P, HISTOGRAMS_Q)]
    np.testing.assert_allclose([row["kl_divergence"] for row in document["rows"]], expected, rtol=1e-12)
    # P's third shard has no fish: an empty bin, counted as 0 there, with the local engine's warning
    assert "P (" in result.stderr and "part-2.csv) has no bin 'fish': counted as 0 there" in result.stderr
    for index, (mine, theirs) in enumerate(zip(HISTOGRAMS_P, HISTOGRAMS_Q)):
        local = run("kl", p / f"part-{index}.csv", q / f"part-{index}.csv", "-q")
        assert float(local.stdout) == pytest.approx(document["rows"][index]["kl_divergence"], rel=1e-12)
    js = _dask(run, scheduler, "js", p, q, "-q", "--reduction", "sum")
    assert js.exit_code == 0, js.stderr
    m = [{k: 0.5 * mine.get(k, 0) / sum(mine.values()) + 0.5 * theirs[k] / sum(theirs.values()) for k in theirs}
         for mine, theirs in zip(HISTOGRAMS_P, HISTOGRAMS_Q)]
    expected_js = sum(0.5 * _kl(mine, mix) + 0.5 * _kl(theirs, mix) for mine, theirs, mix in zip(HISTOGRAMS_P, HISTOGRAMS_Q, m))
    assert float(js.stdout) == pytest.approx(expected_js, rel=1e-12)


# -- lm's warnings of +inf, capped across shards -------------------------------------------------------

def _warnings(result) -> list[str]:
    assert result.exit_code == 0, result.stderr
    return [line for line in result.stderr.splitlines() if line.startswith("warning:")]


@pytest.mark.parametrize("infinite_per_shard", [6, 2])
def test_lm_says_the_first_three_positions_of_inf_and_one_count_as_locally(run, scheduler, tmp_path,
                                                                          infinite_per_shard):
    """4 shards of 6 positions, each with ``infinite_per_shard`` positions where q = 0 < p: the
    local engine's one block says three positions and counts the rest; on Dask every shard used to
    say its own three and its count. Full rows (.npy) and top-k log-probs (JSON Lines) alike."""
    p = np.tile([0.5, 0.3, 0.2], (24, 1))
    q = np.tile([0.5, 0.3, 0.2], (24, 1))
    infinite = [s * 6 + i for s in range(4) for i in range(infinite_per_shard)]
    q[infinite] = [0.6, 0.4, 0.0]
    folders = {name: tmp_path / name for name in ("p", "q", "lp", "lq")}
    for folder in folders.values():
        folder.mkdir()
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)

    def listed(rows) -> list[str]:  # c left out: where q's a and b hold all its mass, P's tail (c) is +inf
        return [json.dumps({"top_logprobs": {"a": float(np.log(r[0])), "b": float(np.log(r[1]))}}) + "\n" for r in rows]

    (tmp_path / "p.jsonl").write_text("".join(listed(p)))
    (tmp_path / "q.jsonl").write_text("".join(listed(q)))
    for s in range(4):
        np.save(folders["p"] / f"part-{s}.npy", p[s * 6:(s + 1) * 6])
        np.save(folders["q"] / f"part-{s}.npy", q[s * 6:(s + 1) * 6])
        (folders["lp"] / f"part-{s}.jsonl").write_text("".join(listed(p[s * 6:(s + 1) * 6])))
        (folders["lq"] / f"part-{s}.jsonl").write_text("".join(listed(q[s * 6:(s + 1) * 6])))
    more = len(infinite) - 3
    for local_args, remote_args, words, kinds in [
        ((tmp_path / "p.npy", tmp_path / "q.npy"), (folders["p"], folders["q"]), "+inf terms in positions",
         ("--p-as", "probs", "--q-as", "probs")),
        ((tmp_path / "p.jsonl", tmp_path / "q.jsonl"), (folders["lp"], folders["lq"]), "positions of +inf in", ()),
    ]:
        local = _warnings(run("lm", *local_args, "-q", *kinds))
        remote = _warnings(_dask(run, scheduler, "lm", *remote_args, "-q", *kinds))
        assert len(local) == len(remote) == 4, remote
        assert [line.split(" (")[0] for line in remote[:3]] == [line.split(" (")[0] for line in local[:3]]
        assert [int(line.split("position ")[1].split(",")[0].split(":")[0]) for line in remote[:3]] == [i + 1 for i in infinite[:3]]
        assert remote[3].startswith(f"warning: … and {more} more {words} 1–")
        assert local[3].startswith(f"warning: … and {more} more {words} 1–24")
