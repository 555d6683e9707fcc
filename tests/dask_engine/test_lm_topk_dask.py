"""divcli lm --engine dask on top-k log-probs (JSON Lines shards) against the local engine, on a real
2-worker LocalCluster (processes: every task and its totals go through pickling): the statistics, the
worst positions and their cells, the measures, the labels cut per shard, the warnings numbered in the
whole input, and the errors of shards that differ."""

from __future__ import annotations

import json
import math

import pytest

from helpers.extras import needs
from helpers.lm_data import log_softmax, model_outputs
from helpers.lm_topk_data import WRITERS, vocabulary, write

distributed = needs("distributed")
needs("pyarrow")

pytestmark = pytest.mark.dask

POSITIONS, VOCABULARY = 240, 30
#: Shards of responses: P's chat responses of 7 positions, Q's completions of 9 (echoed, so each
#: starts with a token of no log-probs); a shard boundary inside the local engine's block.
CUTS = [0, 7, 140, POSITIONS]
#: Exactly the local engine's: order statistics of the same floats.
EXACT = ("kl_max", "kl_p99_9", "kl_p99", "kl_p95", "kl_p90", "kl_median", "kl_p10", "kl_p5", "kl_p1", "kl_p0_1",
         "kl_min", "kl_mean", "same_top", "same_top_se", "positions", "labels_listed", "delta_p_max",
         "delta_p_median", "delta_p_min")


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def _responses(log_p, k, tokens, labels, shape, cuts, folder, name):
    """The whole file and its shards (one per cut), each response holding positions of one shard only."""
    per = 7 if shape == "chat" else 9
    extra = {"echo": True} if shape == "completions" else {}
    whole = []
    (folder / name).mkdir()
    for index, (start, stop) in enumerate(zip(cuts, cuts[1:])):
        part = WRITERS[shape](log_p[start:stop], k, tokens, labels[start:stop], per_response=per, **extra)
        write(folder / name / f"part-{index}.jsonl", part)
        whole += part
    write(folder / f"{name}.jsonl", whole)


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    root = tmp_path_factory.mktemp("lm-topk-shards")
    base, candidate, labels = model_outputs(POSITIONS, VOCABULARY, seed=7)
    tokens = vocabulary(VOCABULARY)
    _responses(log_softmax(base), 4, tokens, labels, "chat", CUTS, root, "p")
    _responses(log_softmax(candidate), 6, tokens, labels, "completions", CUTS, root, "q")
    for name, count in (("labels.jsonl", POSITIONS), ("short.jsonl", POSITIONS - 2)):
        (root / name).write_text("".join(json.dumps(tokens[label]) + "\n" for label in labels[:count]),
                                 encoding="utf-8")
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


@pytest.mark.parametrize("labels", [None, "labels.jsonl"])
def test_the_statistics_worst_positions_and_measures_are_the_local_engines(run_json, models, scheduler, labels):
    given = [] if labels is None else ["--labels", models / labels]
    options = [*given, "--top", 6, "--tokens", 3, "--measures", "js,tv,renyi_2"]
    local = run_json("lm", models / "p.jsonl", models / "q.jsonl", *options)
    remote = run_json(*dask("lm", f"{models}/p/*.jsonl", models / "q", *options, scheduler=scheduler))
    same_statistics(local["statistics"], remote["statistics"])
    assert remote["worst"] == local["worst"]  # numbered in the whole input, their cells to the bit
    assert any(record["position"] > CUTS[2] for record in remote["worst"])
    assert remote["p"] == {"source": f"{models}/p/*.jsonl", "kind": "top-logprobs", "shape": "chat"}
    assert remote["q"]["shape"] == "completions" and remote["n_positions"] == POSITIONS
    assert remote["warnings"] == local["warnings"]


def test_warnings_name_positions_in_the_whole_input(run_json, tmp_path, scheduler):
    """Q lists all of its mass at one position of the second shard: D is +inf there, said with the
    position the local engine names."""
    for name, lines in (("p", ['{"top_logprobs": {"a": -0.5}}'] * 5), ("q", ['{"top_logprobs": {"a": -0.6}}'] * 5)):
        (tmp_path / name).mkdir()
        write(tmp_path / name / "part-0.jsonl", lines[:2])
        rest = list(lines[2:])
        if name == "q":
            rest[1] = '{"top_logprobs": {"a": 0.0}}'
        write(tmp_path / name / "part-1.jsonl", rest)
    remote = run_json(*dask("lm", tmp_path / "p", tmp_path / "q", scheduler=scheduler))
    assert remote["statistics"]["kl_max"] == "inf"
    assert any(warning.startswith("D(P‖Q) is +inf: position 4: P's tail holds") and "part-1.jsonl:2" in warning
               for warning in remote["warnings"])


def test_shards_that_differ_are_refused(run, models, tmp_path, scheduler):
    result = run(*dask("lm", models / "p", models / "q", "--labels", models / "short.jsonl", scheduler=scheduler))
    assert result.exit_code == 1 and f"but P and Q have {POSITIONS} positions" in result.stderr
    assert f"position {POSITIONS - 1} has no label" in result.stderr
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    write(tmp_path / "p" / "part-0.jsonl", ['{"top_logprobs": {"a": -0.5}}'] * 3)
    write(tmp_path / "p" / "part-1.jsonl", ['{"top_logprobs": {"a": -0.5}}'] * 3)
    write(tmp_path / "q" / "part-0.jsonl", ['{"top_logprobs": {"a": -0.5}}'] * 3)
    write(tmp_path / "q" / "part-1.jsonl", ['{"top_logprobs": {"a": -0.5}}'] * 2)
    result = run(*dask("lm", tmp_path / "p", tmp_path / "q", scheduler=scheduler))
    assert result.exit_code == 1 and "position 3 is missing from Q" in result.stderr and "part-1.jsonl" in result.stderr
    write(tmp_path / "q" / "part-1.jsonl", (models / "q" / "part-0.jsonl").read_text(encoding="utf-8").splitlines())
    result = run(*dask("lm", tmp_path / "p", tmp_path / "q", scheduler=scheduler))
    assert result.exit_code == 1 and "holds completions responses, but the first shard holds top_logprobs lines" \
        in result.stderr
    result = run(*dask("lm", models / "p", models / "q", "--reduction", "row", scheduler=scheduler))
    assert result.exit_code == 2 and "--reduction row is local only with lm" in result.stderr
