"""divcli lm at scale: the fused kernel's rows (D(P‖Q), the top tokens and log p(label) from one set
of passes) against numpy's path and kl's own rows; lm's totals merged shard by shard as the Dask
engine merges them; and the Python API, :func:`divcli.lm_report`, against the command."""

from __future__ import annotations

import math

import numpy as np
import pytest

import divcli
from divcli.computations.lm import LmTotals, Positions
from helpers.extras import needs
from helpers.lm_data import model_outputs, reference_statistics

pytestmark = pytest.mark.numeric


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    folder = tmp_path_factory.mktemp("lm-scale")
    base, candidate, labels = model_outputs(240, 96, seed=5)
    for dtype in ("float16", "float32"):
        np.save(folder / f"base-{dtype}.npy", base.astype(dtype))
        np.save(folder / f"candidate-{dtype}.npy", candidate.astype(dtype))
    np.savetxt(folder / "labels.csv", labels, fmt="%d")
    return folder, base, candidate, labels


def rows_of(run_json, *args) -> dict[str, list]:
    document = run_json("lm", *args, "--reduction", "row")
    return {key: [row[key] for row in document["rows"]] for key in document["rows"][0]}


def close_lists(found, expected, relative: float) -> bool:
    return all(math.isclose(a, b, rel_tol=relative, abs_tol=1e-300) for a, b in zip(found, expected, strict=True))


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_the_fused_rows_are_numpys_and_kls(run_json, models, monkeypatch, dtype):
    """On the fused kernel every position's D(P‖Q) is kl's own row to the bit, the top tokens are
    numpy's argmax, and p(label), q(label) agree with numpy's path's (a full softmax) to 1e-14."""
    needs("numba")
    folder, *_ = models
    files = (folder / f"base-{dtype}.npy", folder / f"candidate-{dtype}.npy")
    monkeypatch.setenv("DIVCLI_KERNEL", "numpy")
    plain = rows_of(run_json, *files, "--labels", folder / "labels.csv")
    monkeypatch.setenv("DIVCLI_KERNEL", "fused")
    fused = rows_of(run_json, *files, "--labels", folder / "labels.csv")
    kl_rows = run_json("kl", *files, "--p-as", "logits", "--q-as", "logits", "--reduction", "row")["rows"]
    assert fused["kl_divergence"] == [row["kl_divergence"] for row in kl_rows]
    assert close_lists(fused["kl_divergence"], plain["kl_divergence"], 1e-13)
    for key in ("position", "p_top", "q_top", "same_top", "label"):
        assert fused[key] == plain[key], key
    for key in ("p_label", "q_label"):
        assert close_lists(fused[key], plain[key], 1e-14), key


@pytest.mark.parametrize("kernel", ["fused", "numpy"])
def test_the_top_token_is_the_first_maximum_negative_zero_too(run_json, tmp_path, monkeypatch, kernel):
    """numpy's argmax: the first of tied values, −0 and +0 equal (the fused kernel compares values,
    not their bits)."""
    if kernel == "fused":
        needs("numba")
    monkeypatch.setenv("DIVCLI_KERNEL", kernel)
    rows = np.array([[-1.0, -0.0, 0.0, -2.0], [1.0, 3.0, 3.0, 2.0], [-3.0, -1.0, -2.0, -1.0]], dtype=np.float16)
    np.save(tmp_path / "p.npy", rows)
    np.save(tmp_path / "q.npy", rows[::-1].copy())
    found = rows_of(run_json, tmp_path / "p.npy", tmp_path / "q.npy")
    assert found["p_top"] == [1, 1, 1] == np.argmax(rows, axis=1).tolist()
    assert found["q_top"] == [1, 1, 1]


def _block(first: int, kl: list[float], same: list[bool]) -> Positions:
    rows = len(kl)
    top = np.zeros(rows, dtype=np.int64)
    return Positions(np.arange(first + 1, first + rows + 1), np.array(kl), top, np.where(same, top, 1),
                     np.arange(rows), -np.arange(1.0, rows + 1), -np.arange(2.0, rows + 2))


def test_totals_merged_shard_by_shard_are_the_totals_of_the_whole():
    """LmTotals.merge (the Dask engine's): the values in order, the agreeing tops counted, the worst
    positions renumbered from the shards before them and ranked across them (ties: the earlier)."""
    kl = [0.5, 0.1, 0.9, 0.3, 0.9, 0.2, 0.7]
    same = [True, False, True, True, False, True, False]
    whole = LmTotals(top=3)
    whole.add(_block(0, kl[:2], same[:2]))
    whole.add(_block(2, kl[2:], same[2:]))
    merged, shards = LmTotals(top=3), [(0, 3), (3, 4), (4, 7)]
    for start, stop in shards:  # each shard's positions counted from its own start, as a task counts them
        shard = LmTotals(top=3)
        shard.add(_block(0, kl[start:stop], same[start:stop]))
        merged.merge(shard, merged.rows)
    assert merged.rows == whole.rows == 7 and merged.same == whole.same == 4
    assert np.concatenate(merged.kl).tolist() == np.concatenate(whole.kl).tolist() == kl
    assert len(merged.nll_p) == 3 and np.concatenate(merged.nll_p).size == 7
    assert merged.worst.position.tolist() == whole.worst.position.tolist() == [3, 5, 7]
    assert merged.worst.kl.tolist() == [0.9, 0.9, 0.7]


def test_the_api_gives_the_commands_statistics(run_json, models):
    folder, base, candidate, labels = models
    files = (folder / "base-float16.npy", folder / "candidate-float16.npy")
    command = run_json("lm", *files, "--labels", folder / "labels.csv", "--top", 4)
    p16, q16 = np.load(files[0]), np.load(files[1])
    for found in (divcli.lm_report(*files, folder / "labels.csv", top=4),                       # files
                  divcli.lm_report(p16, q16, labels, top=4),                                     # arrays
                  divcli.lm_report(p16.reshape(4, 60, -1), q16.reshape(2, 120, -1), labels.tolist(), top=4)):
        for key, value in command["statistics"].items():
            assert found[key] == pytest.approx(value, rel=1e-12, abs=0) if value is not None else found[key] is None
        assert found["worst"]["position"].tolist() == [row["position"] for row in command["worst"]]
        assert found["worst"]["kl_divergence"].tolist() == [row["kl_divergence"] for row in command["worst"]]
    expected = reference_statistics(p16.astype(np.float64), q16.astype(np.float64), labels)
    assert divcli.lm_report(p16, q16, labels)["ppl_ratio"] == pytest.approx(expected["ppl_ratio"], rel=1e-9)


def test_the_api_gives_every_position_when_asked(models):
    folder, *_ = models
    found = divcli.lm_report(folder / "base-float32.npy", folder / "candidate-float32.npy", per_position=True)
    rows = found["rows"]
    assert set(rows) == {"position", "kl_divergence", "p_top", "q_top", "same_top"}
    assert rows["position"].tolist() == list(range(1, 241))
    assert rows["kl_divergence"].mean() == pytest.approx(found["kl_mean"], rel=1e-12)
    assert rows["same_top"].mean() == found["same_top"] and "worst" not in found


@pytest.mark.parametrize("call, error, words", [
    (lambda p: divcli.lm_report(p[None, None], p), ValueError, "not 4-D"),
    (lambda p: divcli.lm_report(p, p, top=0), ValueError, "top is a number of positions"),
    (lambda p: divcli.lm_report(p, p[:5]), divcli.DataError, "position 6 is missing from Q"),
    (lambda p: divcli.lm_report(p, p, [1, 2]), divcli.DataError, "position 3 has no label"),
    (lambda p: divcli.lm_report(p, p, base_as="labels"), ValueError, "labels"),
])
def test_the_api_refuses_what_the_command_refuses(models, call, error, words):
    _, base, *_ = models
    with pytest.raises(error, match=words):
        call(base)


@pytest.mark.parametrize("top", [1, 3, 50, 1000])
def test_the_worst_positions_kept_block_by_block_are_those_of_one_sort(top):
    """LmTotals.add skips the sort for a block of which no position beats the least kept: the worst
    positions (ties: the earlier first) are still those of one sort of every position."""
    rng = np.random.default_rng(top)
    totals, values, first = LmTotals(top=top), [], 0
    for _ in range(200):
        rows = int(rng.integers(1, 9))
        kl = np.round(rng.exponential(1.0, rows), 1)  # rounded: many ties
        totals.add(Positions(np.arange(first + 1, first + rows + 1), kl, np.zeros(rows, int), np.zeros(rows, int)))
        values.append(kl)
        first += rows
    every = np.concatenate(values)
    order = np.lexsort((np.arange(every.size), -every))[:top]
    assert totals.worst.position.tolist() == (order + 1).tolist()
    assert np.array_equal(totals.worst.kl, every[order])


def test_the_api_names_each_position_s_batch_and_token_of_a_3d_array():
    """A (batch, sequence, vocab) array given to lm_report: its worst positions say their batch and
    token, as those of the same array saved to a file do; a 2-D array's say neither."""
    rng = np.random.default_rng(8)
    base = rng.normal(0, 1, (3, 4, 30))
    candidate = base + rng.normal(0, 0.3, base.shape)
    worst = divcli.lm_report(base, candidate, top=5)["worst"]
    batch, token = np.divmod(worst["position"] - 1, 4)
    assert np.array_equal(worst["batch"], batch) and np.array_equal(worst["sequence"], token)
    flat = divcli.lm_report(base.reshape(12, 30), candidate.reshape(12, 30), top=5)["worst"]
    assert "batch" not in flat and np.array_equal(flat["position"], worst["position"])
