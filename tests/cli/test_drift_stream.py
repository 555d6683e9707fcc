"""divcli drift on samples read a piece at a time (files larger than memory, forced here by
DIVCLI_DRIFT_PIECE_BYTES): the same bins, counts and binned measures as read whole, exactly, for
every binning rule, every format read in pieces and pieces that cut the file anywhere; W₁ and KS
left out with a warning; and the radix selection's quantiles against numpy's."""

from __future__ import annotations

import json

import numpy as np
import pytest

from divcli.numerics.selection import (Target, digit_counts, fd_edges, in_bucket, key_value, quantile_from_order,
                                       quantile_ranks, sort_keys, target_value)
from helpers.extras import needs

BINNED = ("psi", "kl_ref_cur", "kl_cur_ref", "js_distance", "hellinger", "chi2")


def _frame(rng, rows: int, shift: float) -> dict[str, list]:
    """A numeric column with missing cells and ties, integer codes, a text column with missing cells,
    and a rounded long-tailed one (many equal values: collapsed quantile edges)."""
    a = [None if i % 13 == 0 else float(f"{value:.6g}") for i, value in enumerate(rng.normal(shift, 1, rows))]
    return {"a": a, "code": [int(v) for v in rng.integers(0, 5, rows)],
            "city": [None if i % 11 == 0 else str(rng.choice(["Paris", "Oslo", "Rome"])) for i in range(rows)],
            "d": [float(v) for v in np.round(rng.exponential(3, rows), 1)]}


def _write_csv(path, frame: dict[str, list]) -> None:
    names = list(frame)
    lines = [",".join(names)] + [",".join("" if frame[n][i] is None else str(frame[n][i]) for n in names)
                                  for i in range(len(frame[names[0]]))]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def samples(tmp_path_factory):
    rng = np.random.default_rng(5)
    root = tmp_path_factory.mktemp("drift-stream")
    ref, cur = root / "ref.csv", root / "cur.csv"
    _write_csv(ref, _frame(rng, 3000, 0.0))
    _write_csv(cur, _frame(rng, 2000, 0.25))
    return ref, cur


def _json(run, *args, env=None):
    result = run(*args, "-f", "json", env=env)
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout), result.stderr


def _same_binned(whole: dict, piecewise: dict) -> None:
    assert [c["column"] for c in whole["columns"]] == [c["column"] for c in piecewise["columns"]]
    for left, right in zip(whole["columns"], piecewise["columns"]):
        assert left["kind"] == right["kind"]
        assert left["n_reference"] == right["n_reference"] and left["n_current"] == right["n_current"]
        assert left["n_bins"] == right["n_bins"] and left["collapsed_edges"] == right["collapsed_edges"]
        for key in BINNED:
            assert left[key] == right[key], (left["column"], key)
        if left["kind"] == "numeric":
            assert right["wasserstein_1"] is None and right["ks"] is None


@pytest.mark.parametrize("rule", ["quantile:10", "quantile:100", "uniform:7", "fd", "edges:0,1,2"])
@pytest.mark.parametrize("piece", ["700", "5000"])
def test_pieces_give_the_same_numbers_as_whole(run, samples, rule, piece):
    ref, cur = samples
    whole, _ = _json(run, "drift", ref, cur, "--categorical", "code", "--bins", rule, "--min-share", "0.1")
    piecewise, stderr = _json(run, "drift", ref, cur, "--categorical", "code", "--bins", rule, "--min-share", "0.1",
                              env={"DIVCLI_DRIFT_PIECE_BYTES": piece})
    _same_binned(whole, piecewise)
    assert "W₁ and KS are left out" in stderr


def test_bins_of_a_column_are_the_same(run, samples):
    ref, cur = samples
    whole = run("drift", ref, cur, "--column", "a", "-f", "csv")
    piecewise = run("drift", ref, cur, "--column", "a", "-f", "csv", env={"DIVCLI_DRIFT_PIECE_BYTES": "900"})
    assert whole.exit_code == piecewise.exit_code == 0
    bins = [line for line in whole.stdout.splitlines() if line.startswith("a,") or "(" in line]
    assert bins and all(line in piecewise.stdout for line in bins if "wasserstein" not in line)


def test_a_small_file_is_read_whole(run, samples):
    ref, cur = samples
    whole, stderr = _json(run, "drift", ref, cur, env={"DIVCLI_DRIFT_PIECE_BYTES": str(10 ** 9)})
    assert whole["columns"][0]["wasserstein_1"] is not None and "left out" not in stderr


def test_npy_and_parquet_pieces(run, tmp_path):
    pa, pq = needs("pyarrow"), needs("pyarrow.parquet")
    rng = np.random.default_rng(9)
    ref, cur = rng.normal(0, 1, (4000, 2)), rng.normal(0.1, 1.2, (3000, 2))
    ref[::17, 0] = np.nan
    np.save(tmp_path / "ref.npy", ref)
    np.save(tmp_path / "cur.npy", cur)
    whole, _ = _json(run, "drift", tmp_path / "ref.npy", tmp_path / "cur.npy")
    piecewise, _ = _json(run, "drift", tmp_path / "ref.npy", tmp_path / "cur.npy",
                         env={"DIVCLI_DRIFT_PIECE_BYTES": "4000"})
    _same_binned(whole, piecewise)
    for name, values in (("ref", ref), ("cur", cur)):
        pq.write_table(pa.table({"1": values[:, 0], "2": values[:, 1]}), tmp_path / f"{name}.parquet", row_group_size=500)
    piecewise, _ = _json(run, "drift", tmp_path / "ref.parquet", tmp_path / "cur.parquet",
                         env={"DIVCLI_DRIFT_PIECE_BYTES": "4000"})
    _same_binned(whole, piecewise)


def test_an_error_names_its_line_in_a_later_piece(run, tmp_path):
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    rows = [str(i % 50) for i in range(400)]
    rows[300] = "oops"
    ref.write_text("x\n" + "\n".join(rows) + "\n")
    cur.write_text("x\n" + "\n".join(str(i % 40) for i in range(400)) + "\n")
    result = run("drift", ref, cur, env={"DIVCLI_DRIFT_PIECE_BYTES": "200"})
    assert result.exit_code == 1
    assert f"{ref}:302:1" in result.stderr and "oops" in result.stderr


def test_quantiles_from_order_statistics_are_numpys():
    rng = np.random.default_rng(3)
    for trial in range(400):
        n = int(rng.integers(1, 200))
        values = [rng.normal(size=n), rng.integers(-3, 4, n).astype(float), rng.exponential(size=n) * 1e-300][trial % 3]
        levels = np.arange(1, 10 + trial % 20) / (10 + trial % 20)
        ordered = np.sort(values)
        below, above, gamma = quantile_ranks(n, levels)
        assert np.array_equal(quantile_from_order(ordered[below], ordered[above], gamma), np.quantile(values, levels))
        if n > 1:
            edges = fd_edges(n, values.min(), values.max(), tuple(np.percentile(values, [75, 25])))
            assert np.array_equal(edges, np.histogram_bin_edges(values, "fd"))


def test_radix_selection_finds_every_order_statistic():
    rng = np.random.default_rng(4)
    values = np.concatenate([rng.normal(size=3000), np.full(400, 1.5), [-0.0, 0.0, -1e-300, 5e300]])
    keys, ordered = sort_keys(values), np.sort(values)
    assert np.array_equal(np.sort(keys), sort_keys(ordered)) and key_value(int(keys[0])) == values[0]
    for rank in (0, 1, 1500, 2000, 3200, len(values) - 1):
        target = Target(rank, len(values))
        while not target.narrowed(8):
            target.descend(digit_counts(keys, target.bucket))
        kept = {target.bucket: np.sort(in_bucket(keys, target.bucket, values))}
        assert target_value(target, kept) == ordered[rank]


def test_p_values_and_bootstrap_in_pieces(run, samples):
    needs("scipy")
    ref, cur = samples
    whole, _ = _json(run, "drift", ref, cur, "--p-values")
    piecewise, stderr = _json(run, "drift", ref, cur, "--p-values", "--bootstrap", "20",
                              env={"DIVCLI_DRIFT_PIECE_BYTES": "5000"})
    city = [c for c in whole["columns"] if c["column"] == "city"][0]
    assert city["chi2_p_value"] == [c for c in piecewise["columns"] if c["column"] == "city"][0]["chi2_p_value"]
    assert "bootstrap intervals are left out" in stderr
