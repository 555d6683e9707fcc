"""divcli lm, reviewed against its issue as a whole: every statistic and JSON key against a plain
float64 numpy computation written here (not the helpers' one), on generated model outputs (a
Zipf-like base, a candidate of the base plus structured noise, as a quantized model's) in every
input the command takes; and the defects the review found, each with the test that showed it."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import struct

import numpy as np
import pytest

from helpers.extras import needs, needs_dask

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
    # capped across the shards as one file is locally: the first three, then how many more
    assert positions == [("2", "2"), ("2", "3"), ("5", "2")], remote.stderr
    assert positions == re.findall(r"position (\d+), token (\d+)", local.stderr)
    assert "… and 1 more +inf terms in positions 2–5" in remote.stderr
    assert "q-1.npy: row 2, item 3" in remote.stderr  # the file's own row


def test_a_shards_warnings_renumbered_keep_the_files_own_rows():
    from divcli.computations.divergence_rows import renumbered_positions

    assert renumbered_positions("D(P‖Q) is +inf: position 2, token 7: p = 0.25 but q = 0 (position 3.npy: row 2, "
                                "item 8)", 300) == \
        "D(P‖Q) is +inf: position 302, token 7: p = 0.25 but q = 0 (position 3.npy: row 2, item 8)"
    assert renumbered_positions("… and 4 more +inf terms in positions 1–256", 300) == \
        "… and 4 more +inf terms in positions 301–556"
    assert renumbered_positions("Q: 3 rows renormalised", 300) == "Q: 3 rows renormalised"


# --------------------------------------------------------------------------------------------
# a generated set of model outputs, and every statistic of it computed here plainly

N, VOCAB, K = 240, 96, 6
#: The issue's list of JSON keys, exactly, and the ones with labels.
KEYS = ("kl_mean", "kl_se", "kl_max", "kl_p99_9", "kl_p99", "kl_p95", "kl_p90", "kl_median", "kl_p10", "kl_p5",
        "kl_p1", "kl_min", "same_top", "same_top_se", "positions")
LABEL_KEYS = ("ppl_p", "ppl_q", "ppl_ratio", "ln_ppl_ratio", "ln_ppl_ratio_se", "delta_p_mean", "delta_p_se",
              "delta_p_rms")
PERCENTS = {"kl_p99_9": 99.9, "kl_p99": 99, "kl_p95": 95, "kl_p90": 90, "kl_median": 50, "kl_p10": 10, "kl_p5": 5,
            "kl_p1": 1, "kl_p0_1": 0.1}
DELTA_PERCENTS = {"p99_9": 99.9, "p99": 99, "p95": 95, "p90": 90, "p75": 75, "median": 50, "p25": 25, "p10": 10,
                  "p5": 5, "p1": 1, "p0_1": 0.1}


def generated(seed: int = 23) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(base, candidate, labels): the base's logits a Zipf law (exponent 1.3) over a random order of
    the vocabulary with a little noise; the candidate's the base's as a quantized model's: rounded to
    a grid of 1/8, scaled per position, plus noise along a few directions shared by every position,
    and its two best tokens swapped at about one position in twelve. Labels drawn from the base."""
    rng = np.random.default_rng(seed)
    ranks = np.argsort(rng.random((N, VOCAB)), axis=1) + 1
    base = -1.3 * np.log(ranks) + rng.normal(0, 0.2, (N, VOCAB))
    directions = rng.normal(0, 1, (3, VOCAB))
    candidate = np.round(base * 8) / 8 * rng.uniform(0.95, 1.05, (N, 1)) + rng.normal(0, 0.1, (N, 3)) @ directions
    for row in np.flatnonzero(rng.random(N) < 1 / 12):
        first, second = np.argsort(-candidate[row])[:2]
        candidate[row, [first, second]] = candidate[row, [second, first]]
    shifted = base - base.max(axis=1, keepdims=True)
    p = np.exp(shifted) / np.exp(shifted).sum(axis=1, keepdims=True)
    labels = np.array([rng.choice(VOCAB, p=row) for row in p])
    return base, candidate, labels


def log_probs(logits: np.ndarray) -> np.ndarray:
    m = logits.max(axis=1, keepdims=True)
    return logits - m - np.log(np.sum(np.exp(logits - m), axis=1, keepdims=True))


def mean_se(x: np.ndarray) -> tuple[float, float]:
    return float(np.mean(x)), float(np.std(x, ddof=1) / math.sqrt(x.size))


def plain(kl: np.ndarray, p_top, q_top, p_label=None, q_label=None) -> dict:
    """Every statistic, from per-position values, as the issue defines it (llama.cpp's set)."""
    n = kl.size
    found = {"positions": n, "kl_max": kl.max(), "kl_min": kl.min()}
    found["kl_mean"], found["kl_se"] = mean_se(kl)
    found.update({key: np.percentile(kl, q) for key, q in PERCENTS.items()})
    f = float(np.mean(np.asarray(p_top) == np.asarray(q_top)))
    found.update(same_top=f, same_top_se=math.sqrt(f * (1 - f) / (n - 1)))
    if p_label is not None:
        nll_p, nll_q = -np.log(p_label), -np.log(q_label)
        (mp, sp), (mq, sq) = mean_se(nll_p), mean_se(nll_q)
        found.update(ppl_p=math.exp(mp), ppl_q=math.exp(mq), ppl_p_se=math.exp(mp) * sp, ppl_q_se=math.exp(mq) * sq)
        found["ln_ppl_correlation"] = np.corrcoef(nll_p, nll_q)[0, 1]
        found["ln_ppl_ratio"], found["ln_ppl_ratio_se"] = mean_se(nll_q - nll_p)
        found["ppl_ratio"] = math.exp(found["ln_ppl_ratio"])
        found["ppl_ratio_se"] = found["ppl_ratio"] * found["ln_ppl_ratio_se"]
        found["ppl_diff"] = found["ppl_q"] - found["ppl_p"]
        cov = np.cov(nll_p, nll_q, ddof=1)[0, 1] / n
        found["ppl_diff_se"] = math.sqrt(found["ppl_p_se"] ** 2 + found["ppl_q_se"] ** 2
                                         - 2 * found["ppl_p"] * found["ppl_q"] * cov)
        delta = q_label - p_label
        found["delta_p_mean"], found["delta_p_se"] = mean_se(delta)
        mse, mse_se = mean_se(delta ** 2)
        found["delta_p_rms"], found["delta_p_rms_se"] = math.sqrt(mse), mse_se / (2 * math.sqrt(mse))
        found.update(delta_p_max=delta.max(), delta_p_min=delta.min())
        found.update({f"delta_p_{key}": np.percentile(delta, q) for key, q in DELTA_PERCENTS.items()})
    return {key: float(value) for key, value in found.items()}


def full_reference(p_logits, q_logits, labels=None) -> dict:
    lp, lq = log_probs(np.asarray(p_logits, np.float64)), log_probs(np.asarray(q_logits, np.float64))
    kl = np.sum(np.exp(lp) * (lp - lq), axis=1)
    rows = np.arange(lp.shape[0])
    p_top, q_top = np.argmax(p_logits, axis=1), np.argmax(q_logits, axis=1)
    if labels is None:
        return plain(kl, p_top, q_top)
    return plain(kl, p_top, q_top, np.exp(lp[rows, labels]), np.exp(lq[rows, labels]))


def assert_statistics(found: dict, expected: dict, rtol: float = 1e-9) -> None:
    assert set(KEYS) <= set(found)
    wrong = {key: (found.get(key), value) for key, value in expected.items()
             if found.get(key) is None or not math.isclose(found[key], value, rel_tol=rtol, abs_tol=1e-15)}
    assert not wrong, wrong


@pytest.fixture(scope="module")
def outputs(tmp_path_factory):
    """The generated set as float16 .npy (2-D and 3-D), and its float64 values as stored."""
    folder = tmp_path_factory.mktemp("lm_review")
    base, candidate, labels = generated()
    p16, q16 = base.astype(np.float16), candidate.astype(np.float16)
    np.save(folder / "base.npy", p16)
    np.save(folder / "candidate.npy", q16)
    np.save(folder / "base3.npy", p16.reshape(4, 60, VOCAB))
    np.save(folder / "candidate3.npy", q16.reshape(4, 60, VOCAB))
    np.save(folder / "labels.npy", labels)
    return folder, p16.astype(np.float64), q16.astype(np.float64), labels


def test_every_statistic_and_key_of_float16_npy(run_json, outputs):
    folder, p, q, labels = outputs
    document = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--labels", folder / "labels.npy")
    statistics = document["statistics"]
    assert set(KEYS + LABEL_KEYS) <= set(statistics)
    assert_statistics(statistics, full_reference(p, q, labels))
    assert document["value"] == statistics["kl_mean"] and statistics["kl_min"] >= 0
    assert 0.8 < statistics["same_top"] < 1  # the swaps: the test can see a wrong count of them
    without = run_json("lm", folder / "base.npy", folder / "candidate.npy")["statistics"]
    assert_statistics(without, full_reference(p, q))
    assert not set(LABEL_KEYS) & set(without)


def test_3d_arrays_are_their_positions_and_batchmean_is_sequence_times_the_mean(run_json, outputs):
    folder, p, q, labels = outputs
    document = run_json("lm", folder / "base3.npy", folder / "candidate3.npy", "--labels", folder / "labels.npy")
    expected = full_reference(p, q, labels)
    assert_statistics(document["statistics"], expected)
    # torch's KLDivLoss(reduction="batchmean") on (4, 60, V): the sum over every element ÷ 4, as the docs say
    lp, lq = log_probs(p), log_probs(q)
    batchmean = float(np.sum(np.exp(lp) * (lp - lq))) / 4
    assert math.isclose(batchmean, 60 * document["statistics"]["kl_mean"], rel_tol=1e-12)


def test_log_probs_probs_and_standard_input(run, run_json, outputs, tmp_path):
    folder, p, q, labels = outputs
    np.save(tmp_path / "base_log.npy", log_probs(p))
    np.save(tmp_path / "candidate_probs.npy", np.exp(log_probs(q)))
    document = run_json("lm", tmp_path / "base_log.npy", tmp_path / "candidate_probs.npy", "--p-as", "log-probs",
                        "--q-as", "probs", "--labels", folder / "labels.npy")
    assert_statistics(document["statistics"], full_reference(p, q, labels), rtol=1e-8)
    piped = run_json("lm", "-", folder / "candidate.npy", input=(folder / "base.npy").read_bytes())
    assert_statistics(piped["statistics"], full_reference(p, q))


def safetensors_file(path, name: str, dtype: str, raw: bytes, shape) -> None:
    """A .safetensors file written by hand, as the format's specification lays it out."""
    header = json.dumps({name: {"dtype": dtype, "shape": list(shape), "data_offsets": [0, len(raw)]}}).encode()
    header += b" " * (-len(header) % 8)
    path.write_bytes(struct.pack("<Q", len(header)) + header + raw)


def bfloat16(values: np.ndarray) -> tuple[bytes, np.ndarray]:
    """float32 values rounded to bfloat16 (to nearest, ties to even): the bytes, and the values as float64."""
    bits = values.astype(np.float32).view(np.uint32).astype(np.uint64)
    upper = ((bits + 0x7FFF + ((bits >> 16) & 1)) >> 16).astype(np.uint16)
    return upper.tobytes(), (upper.astype(np.uint32) << 16).view(np.float32).astype(np.float64)


def test_safetensors_float16_and_bfloat16(run_json, tmp_path):
    needs("safetensors")
    base, candidate, labels = generated(seed=5)
    np.save(tmp_path / "labels.npy", labels)
    p16 = base.astype(np.float16)
    safetensors_file(tmp_path / "base.safetensors", "logits", "F16", p16.tobytes(), (2, N // 2, VOCAB))
    raw, q_bf16 = bfloat16(candidate)
    safetensors_file(tmp_path / "candidate.safetensors", "logits", "BF16", raw, (N, VOCAB))
    document = run_json("lm", f"{tmp_path / 'base.safetensors'}:logits", tmp_path / "candidate.safetensors",
                        "--labels", tmp_path / "labels.npy")
    assert_statistics(document["statistics"], full_reference(p16.astype(np.float64), q_bf16, labels))


# --------------------------------------------------------------------------------------------
# top-k log-probabilities, in each of the three shapes


def listed(logits: np.ndarray, labels: np.ndarray) -> list[dict[str, float]]:
    """Each position's top K tokens and its own token (the label), by text, with float64 log-probs."""
    lp = log_probs(logits)
    return [{f"t{token}": float(row[token]) for token in [*np.argsort(-row, kind="stable")[:K], label]}
            for row, label in zip(lp, labels)]


def topk_reference(p_lists, q_lists, labels) -> tuple[np.ndarray, dict]:
    """The per-position D of the coarsened distributions (the tokens both list, then one tail a side
    of 1 − Σ p over those) and the statistics, the label's probability from the lists."""
    kl, p_top, q_top, p_label, q_label = [], [], [], [], []
    for p, q, label in zip(p_lists, q_lists, labels):
        both = [token for token in p if token in q]
        pp, qq = np.exp([p[t] for t in both]), np.exp([q[t] for t in both])
        tail_p, tail_q = 1 - pp.sum(), 1 - qq.sum()
        kl.append(float(np.sum(pp * np.log(pp / qq)) + tail_p * math.log(tail_p / tail_q)))
        p_top.append(max(p, key=p.get))
        q_top.append(max(q, key=q.get))
        p_label.append(math.exp(p[f"t{label}"]))
        q_label.append(math.exp(q[f"t{label}"]))
    kl = np.array(kl)
    return kl, plain(kl, p_top, q_top, np.array(p_label), np.array(q_label))


def own_lines(lists, labels) -> str:
    return "".join(json.dumps({"token": f"t{label}", "logprob": lists_[f"t{label}"], "top_logprobs":
                               dict(list(lists_.items())[:K])}) + "\n" for lists_, label in zip(lists, labels))


def chat_lines(lists, labels, per_response: int = 50) -> str:
    lines = []
    for start in range(0, len(lists), per_response):
        content = [{"token": f"t{label}", "logprob": lists_[f"t{label}"],
                    "top_logprobs": [{"token": t, "logprob": v} for t, v in list(lists_.items())[:K]]}
                   for lists_, label in zip(lists[start:start + per_response], labels[start:start + per_response])]
        lines.append(json.dumps({"choices": [{"index": 0, "logprobs": {"content": content}}]}))
    return "\n".join(lines) + "\n"


def completions_lines(lists, labels, per_response: int = 80) -> str:
    lines = []
    for start in range(0, len(lists), per_response):
        part, part_labels = lists[start:start + per_response], labels[start:start + per_response]
        logprobs = {"tokens": [f"t{label}" for label in part_labels],
                    "token_logprobs": [lists_[f"t{label}"] for lists_, label in zip(part, part_labels)],
                    "top_logprobs": [dict(list(lists_.items())[:K]) for lists_ in part]}
        lines.append(json.dumps({"choices": [{"index": 0, "text": "", "logprobs": logprobs}]}))
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("shape", [own_lines, chat_lines, completions_lines])
def test_top_k_files_in_each_shape(run, run_json, tmp_path, shape):
    base, candidate, labels = generated(seed=31)
    p_lists, q_lists = listed(base, labels), listed(candidate, labels)
    (tmp_path / "base.jsonl").write_text(shape(p_lists, labels))
    (tmp_path / "candidate.jsonl").write_text(shape(q_lists, labels))
    kl, expected = topk_reference(p_lists, q_lists, labels)
    document = run_json("lm", tmp_path / "base.jsonl", tmp_path / "candidate.jsonl")
    assert_statistics(document["statistics"], expected, rtol=1e-8)
    full = full_reference(base, candidate)
    assert document["statistics"]["kl_mean"] <= full["kl_mean"]  # a lower bound, as the docs say
    assert math.isclose(document["statistics"]["ppl_p"], full_reference(base, candidate, labels)["ppl_p"], rel_tol=1e-12)
    # the labels as strings, from a file, are the positions' own tokens
    (tmp_path / "labels.jsonl").write_text("".join(json.dumps(f"t{label}") + "\n" for label in labels))
    assert run_json("lm", tmp_path / "base.jsonl", tmp_path / "candidate.jsonl", "--labels",
                    tmp_path / "labels.jsonl")["statistics"] == document["statistics"]
    rows = list(csv.DictReader(io.StringIO(run("lm", tmp_path / "base.jsonl", tmp_path / "candidate.jsonl",
                                               "--reduction", "row", "-f", "csv").stdout)))
    np.testing.assert_allclose([float(row["kl_divergence"]) for row in rows], kl, rtol=1e-9, atol=1e-15)
    assert [row["label"] for row in rows] == [f"t{label}" for label in labels]


# --------------------------------------------------------------------------------------------
# the records, --top with --tokens, --measures, --approx-percentiles, the API


def test_each_position_s_record(run, outputs):
    folder, p, q, labels = outputs
    result = run("lm", folder / "base3.npy", folder / "candidate3.npy", "--labels", folder / "labels.npy",
                 "--reduction", "row", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert list(rows[0]) == ["position", "batch", "sequence", "kl_divergence", "p_top", "q_top", "same_top", "label",
                             "p_label", "q_label", "delta_p"]
    lp, lq = log_probs(p), log_probs(q)
    every = np.arange(N)
    column = (lambda name, kind=float: np.array([kind(row[name]) for row in rows]))
    assert column("position", int).tolist() == list(range(1, N + 1))
    assert column("batch", int).tolist() == (every // 60).tolist() and column("sequence", int).tolist() == (every % 60).tolist()
    np.testing.assert_allclose(column("kl_divergence"), np.sum(np.exp(lp) * (lp - lq), axis=1), rtol=1e-12)
    assert column("p_top", int).tolist() == np.argmax(p, axis=1).tolist()
    assert column("q_top", int).tolist() == np.argmax(q, axis=1).tolist()
    assert [row["same_top"] for row in rows] == ["true" if a == b else "false" for a, b in
                                                 zip(np.argmax(p, axis=1), np.argmax(q, axis=1))]
    assert column("label", int).tolist() == labels.tolist()
    np.testing.assert_allclose(column("p_label"), np.exp(lp[every, labels]), rtol=1e-13)
    np.testing.assert_allclose(column("q_label"), np.exp(lq[every, labels]), rtol=1e-13)
    np.testing.assert_allclose(column("delta_p"), np.exp(lq[every, labels]) - np.exp(lp[every, labels]),
                               rtol=1e-11, atol=1e-16)


def test_the_worst_positions_and_their_tokens(run_json, outputs):
    folder, p, q, _ = outputs
    lp, lq = log_probs(p), log_probs(q)
    terms = np.exp(lp) * (lp - lq)
    kl = terms.sum(axis=1)
    document = run_json("lm", folder / "base3.npy", folder / "candidate3.npy", "--top", "7", "--tokens", "3")
    order = np.argsort(-kl, kind="stable")[:7]
    assert [record["position"] for record in document["worst"]] == (order + 1).tolist()
    for record, row in zip(document["worst"], order):
        assert (record["batch"], record["sequence"]) == divmod(int(row), 60)
        assert math.isclose(record["kl_divergence"], kl[row], rel_tol=1e-12)
        best = np.argsort(-np.abs(terms[row]), kind="stable")[:3]
        assert [token["token"] for token in record["tokens"]] == best.tolist()
        np.testing.assert_allclose([token["term"] for token in record["tokens"]], terms[row, best], rtol=1e-10)


def test_measures_js_per_position(run_json, outputs):
    folder, p, q, _ = outputs
    pp, qq = np.exp(log_probs(p)), np.exp(log_probs(q))
    m = (pp + qq) / 2
    js = 0.5 * np.sum(pp * np.log(pp / m), axis=1) + 0.5 * np.sum(qq * np.log(qq / m), axis=1)
    statistics = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--measures", "js")["statistics"]
    mean, se = mean_se(js)
    assert math.isclose(statistics["js_divergence_mean"], mean, rel_tol=1e-10)
    assert math.isclose(statistics["js_divergence_se"], se, rel_tol=1e-8)


def test_approximate_percentiles_within_their_bound(run_json, outputs):
    folder, p, q, labels = outputs
    expected = full_reference(p, q, labels)
    found = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--labels", folder / "labels.npy",
                     "--approx-percentiles")["statistics"]
    for key in PERCENTS:
        assert math.isclose(found[key], expected[key], rel_tol=2 ** -10), key
    exact = {key: value for key, value in expected.items() if key not in PERCENTS}
    assert_statistics(found, exact)


def test_the_python_api(outputs):
    import divcli

    folder, p, q, labels = outputs
    expected = full_reference(p, q, labels)
    for found in (divcli.lm_report(folder / "base.npy", folder / "candidate.npy", folder / "labels.npy"),
                  divcli.lm_report(p.astype(np.float16), q.reshape(4, 60, VOCAB), labels)):
        assert_statistics(found, expected)


@pytest.mark.slow
def test_shards_on_dask_give_the_plain_statistics(run_json, outputs, tmp_path, dask_cluster):
    """Shards of 100, 1 and 139 positions: every statistic the plain computation's, the percentiles exact."""
    needs_dask()
    folder, p, q, labels = outputs
    for name, values in (("p", np.load(folder / "base.npy")), ("q", np.load(folder / "candidate.npy"))):
        for index, (low, high) in enumerate(((0, 100), (100, 101), (101, N))):
            np.save(tmp_path / f"{name}-{index}.npy", values[low:high])
    expected = full_reference(p, q, labels)
    with dask_cluster() as cluster:
        found = run_json("lm", tmp_path / "p-*.npy", tmp_path / "q-*.npy", "--labels", folder / "labels.npy",
                         "--engine", "dask", "--scheduler", cluster.scheduler_address)["statistics"]
    assert_statistics(found, expected)
    local = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--labels", folder / "labels.npy")
    assert all(found[key] == local["statistics"][key] for key in ("kl_max", "kl_min", *PERCENTS))
