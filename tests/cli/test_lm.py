"""divcli lm: two language models' outputs compared position by position. Every statistic against a
plain float64 numpy computation (helpers.lm_data), KL per position against kl's own rows, the
inputs (.npy 2-D and 3-D, .npz, CSV, log-probs, probs), the hand-made edge cases (ties of the top
token, labels out of range, positions that differ), and each output format."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pytest

from helpers.lm_data import log_softmax, model_outputs, reference_statistics

pytestmark = pytest.mark.numeric

#: The statistics agree with the plain computation to this relative error: they are sums and
#: percentiles of per-position values each within 1e-14 of exact; the plain computation's standard
#: errors come from running sums (llama.cpp's), which lose a few more digits to cancellation.
RELATIVE = 1e-9

ISSUE_KEYS = ("kl_mean", "kl_se", "kl_max", "kl_p99_9", "kl_p99", "kl_p95", "kl_p90", "kl_median", "kl_p10", "kl_p5",
              "kl_p1", "kl_min", "same_top", "same_top_se", "positions")
LABEL_KEYS = ("ppl_p", "ppl_q", "ppl_ratio", "ln_ppl_ratio", "ln_ppl_ratio_se", "delta_p_mean", "delta_p_se",
              "delta_p_rms")


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Seeded logits of 300 positions over 64 tokens saved as float16 (2-D and 3-D), their float64
    values as read back, and labels drawn from the base model."""
    folder = tmp_path_factory.mktemp("lm")
    base, candidate, labels = model_outputs(300, 64, seed=7)
    p16, q16 = base.astype(np.float16), candidate.astype(np.float16)
    np.save(folder / "base.npy", p16)
    np.save(folder / "candidate.npy", q16)
    np.save(folder / "base3.npy", p16.reshape(3, 100, 64))
    np.save(folder / "candidate3.npy", q16.reshape(5, 60, 64))
    np.savetxt(folder / "labels.csv", labels, fmt="%d")
    return folder, p16.astype(np.float64), q16.astype(np.float64), labels


def close(found, expected, relative=RELATIVE):
    if expected is None or found is None:
        return found is expected
    if math.isinf(expected) or math.isnan(expected):
        return found == expected or (math.isnan(expected) and math.isnan(found))
    return abs(found - expected) <= relative * max(abs(expected), 1e-300) + 1e-300


def check_statistics(found: dict, expected: dict, relative: float = RELATIVE) -> None:
    wrong = {key: (found.get(key), value) for key, value in expected.items()
             if not close(found.get(key), value, relative)}
    assert not wrong, wrong


def test_every_statistic_is_the_plain_float64_computation(run_json, models):
    folder, p, q, labels = models
    document = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--labels", folder / "labels.csv")
    statistics = document["statistics"]
    assert set(ISSUE_KEYS + LABEL_KEYS) <= set(statistics)
    check_statistics(statistics, reference_statistics(p, q, labels))
    assert document["value"] == statistics["kl_mean"] and document["n_positions"] == 300
    assert 0 < statistics["same_top"] < 1  # the candidate swaps its two best tokens at some positions


def test_without_labels_there_are_no_perplexities(run_json, models):
    folder, p, q, _ = models
    statistics = run_json("lm", folder / "base.npy", folder / "candidate.npy")["statistics"]
    check_statistics(statistics, reference_statistics(p, q))
    assert not set(LABEL_KEYS) & set(statistics)


def test_kl_per_position_is_kl_commands_rows(run, models):
    folder, *_ = models
    kl = run("kl", folder / "base.npy", folder / "candidate.npy", "--p-as", "logits", "--q-as", "logits",
             "--reduction", "row", "-f", "csv")
    lm = run("lm", folder / "base.npy", folder / "candidate.npy", "--reduction", "row", "-f", "csv")
    assert kl.exit_code == 0 and lm.exit_code == 0, kl.stderr + lm.stderr
    kl_rows = list(csv.DictReader(io.StringIO(kl.stdout)))
    lm_rows = list(csv.DictReader(io.StringIO(lm.stdout)))
    assert [row["position"] for row in lm_rows] == [row["row"] for row in kl_rows]
    ours = np.array([float(row["kl_divergence"]) for row in lm_rows])
    theirs = np.array([float(row["kl_divergence"]) for row in kl_rows])
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0)
    assert np.all(ours >= 0)


def test_a_3d_array_is_batch_times_sequence_positions(run_json, models):
    folder, *_ = models
    flat = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--labels", folder / "labels.csv")
    batched = run_json("lm", folder / "base3.npy", folder / "candidate3.npy", "--labels", folder / "labels.csv")
    check_statistics(batched["statistics"], flat["statistics"], relative=1e-15)


def test_npz_members_and_csv_read_as_npy(run_json, models, tmp_path):
    folder, p, q, labels = models
    np.savez(tmp_path / "models.npz", base=np.load(folder / "base3.npy"), candidate=np.load(folder / "candidate.npy"))
    (tmp_path / "base.csv").write_text("".join(",".join(map(repr, row)) + "\n" for row in p.tolist()))
    expected = reference_statistics(p, q, labels)
    for base, candidate in ((f"{tmp_path / 'models.npz'}:base", f"{tmp_path / 'models.npz'}:candidate"),
                            (tmp_path / "base.csv", folder / "candidate.npy")):
        check_statistics(run_json("lm", base, candidate, "--labels", folder / "labels.csv")["statistics"], expected)


def test_log_probs_and_probs_give_the_same_statistics(run_json, models, tmp_path):
    folder, p, q, labels = models
    np.save(tmp_path / "base_log.npy", log_softmax(p))
    np.save(tmp_path / "candidate_probs.npy", np.exp(log_softmax(q)))
    document = run_json("lm", tmp_path / "base_log.npy", tmp_path / "candidate_probs.npy", "--p-as", "log-probs",
                        "--q-as", "probs", "--labels", folder / "labels.csv")
    check_statistics(document["statistics"], reference_statistics(p, q, labels), relative=1e-8)
    assert document["p"]["kind"] == "log-probs" and document["q"]["kind"] == "probs"


def test_a_model_against_itself_is_zero_never_negative(run_json, models):
    folder, *_ = models
    statistics = run_json("lm", folder / "base.npy", folder / "base.npy", "--labels", folder / "labels.csv")["statistics"]
    assert statistics["kl_min"] == statistics["kl_max"] == statistics["kl_mean"] == 0.0
    assert statistics["same_top"] == 1.0 and statistics["ppl_p"] == statistics["ppl_q"]
    assert statistics["delta_p_rms"] == 0.0 and statistics["ln_ppl_ratio"] == 0.0


def test_the_threads_and_blocks_give_the_same_numbers(run_json, tmp_path):
    base, candidate, labels = model_outputs(2000, 400, seed=3)  # 2000 × 400 values: several blocks
    np.save(tmp_path / "base.npy", base.astype(np.float16))
    np.save(tmp_path / "candidate.npy", candidate.astype(np.float16))
    np.savetxt(tmp_path / "labels.csv", labels, fmt="%d")
    args = ("lm", tmp_path / "base.npy", tmp_path / "candidate.npy", "--labels", tmp_path / "labels.csv")
    one, two = run_json(*args, "--threads", "1"), run_json(*args, "--threads", "2")
    assert one["statistics"] == two["statistics"]
    p, q = (np.load(tmp_path / name).astype(np.float64) for name in ("base.npy", "candidate.npy"))
    check_statistics(one["statistics"], reference_statistics(p, q, labels))


def test_the_top_token_is_the_first_of_tied_values(run_json):
    # row 1: P's 0.4 twice (top 0), Q's best is class 1; row 2: both tie on classes 0 and 1 (top 0)
    document = run_json("lm", "0.4,0.4,0.2;0.3,0.3,0.4", "0.3,0.5,0.2;0.4,0.4,0.2", "--p-as", "probs", "--q-as",
                        "probs", "--reduction", "row")
    assert [(row["p_top"], row["q_top"], row["same_top"]) for row in document["rows"]] == [(0, 1, False), (2, 0, False)]
    document = run_json("lm", "1,1,0", "1,1,-1", "--reduction", "row")
    assert document["rows"][0]["same_top"] is True and document["statistics"]["same_top_se"] is None


def test_rows_carry_the_labels_probabilities(run_json, models):
    folder, p, q, labels = models
    rows = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--labels", folder / "labels.csv",
                    "--reduction", "row")["rows"]
    every = np.arange(300)
    p_label = np.exp(log_softmax(p))[every, labels]
    q_label = np.exp(log_softmax(q))[every, labels]
    np.testing.assert_allclose([row["p_label"] for row in rows], p_label, rtol=1e-12)
    np.testing.assert_allclose([row["delta_p"] for row in rows], q_label - p_label, rtol=1e-9, atol=1e-16)
    assert [row["label"] for row in rows] == labels.tolist()
    assert [row["p_top"] for row in rows] == np.argmax(p, axis=1).tolist()


def test_top_lists_the_worst_positions_in_order(run, run_json, models):
    folder, p, q, _ = models
    log_p, log_q = log_softmax(p), log_softmax(q)
    kl = np.sum(np.exp(log_p) * (log_p - log_q), axis=1)
    expected = (np.argsort(-kl, kind="stable")[:5] + 1).tolist()
    document = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--top", "5")
    assert [row["position"] for row in document["worst"]] == expected
    quiet = run("lm", folder / "base.npy", folder / "candidate.npy", "--top", "5", "-q")
    assert [int(line.split("\t")[0]) for line in quiet.stdout.splitlines()] == expected
    table = run("lm", folder / "base.npy", folder / "candidate.npy", "--top", "5")
    assert "the 5 positions of largest D(P‖Q)" in table.stdout


def test_quiet_csv_and_table(run, models):
    folder, p, q, labels = models
    args = ("lm", folder / "base.npy", folder / "candidate.npy", "--labels", folder / "labels.csv")
    expected = reference_statistics(p, q, labels)
    assert close(float(run(*args, "-q").stdout), expected["kl_mean"])
    rows = dict(csv.reader(io.StringIO(run(*args, "-f", "csv").stdout)))
    assert rows.pop("statistic") == "value"
    check_statistics({key: float(value) for key, value in rows.items()}, expected)
    per_position = run(*args, "--reduction", "row", "-q").stdout.split()
    assert len(per_position) == 300
    table = run(*args).stdout
    for title in ("D(P‖Q) per position, in nats", "same top token", "PPL(Q)/PPL(P)", "Δp = q(label) − p(label)"):
        assert title in table


def test_one_position_has_no_standard_errors(run_json, run):
    statistics = run_json("lm", "1,2,3", "1,2,2.5", "--labels", "2")["statistics"]
    assert statistics["kl_se"] is None and statistics["ppl_p_se"] is None and statistics["positions"] == 1
    assert "±" not in run("lm", "1,2,3", "1,2,2.5").stdout.split("same top token")[0].split("mean")[1]


def test_an_infinite_kl_keeps_its_percentiles_infinite(run_json):
    """q = 0 where p > 0 (a masked logit) makes that position's KL +inf: numpy's interpolation towards
    it would say nan, divcli says +inf (and the median, at an exact rank, the value there)."""
    document = run_json("lm", "1,2,3;1,1,1;2,2,2", "1,-inf,3;1,1,1;2,2,2")
    statistics = document["statistics"]
    assert statistics["kl_max"] == statistics["kl_p99"] == statistics["kl_mean"] == "inf"
    assert statistics["kl_median"] == 0.0 == statistics["kl_min"]
    assert any("D(P‖Q) is +inf: position 1, token 1" in warning for warning in document["warnings"])


# --------------------------------------------------------------------------------------------
# what is refused


@pytest.mark.parametrize("labels, words", [
    ("0,1,2", "the labels have 3 tokens"),
    ("0,1,2,3,5", "token id 5 is not in the vocabulary (P and Q have 4 tokens: ids 0 … 3)"),
    ("0,1,-1,2", "token id -1 is not in the vocabulary"),
    ("0,1,2,3,0", "the labels have 5 tokens"),
    ("0,1;2,3", "the labels are one token id a position, but this has 2 rows × 2 columns"),
    ("0,1.5,2,3", "is not an integer"),
])
def test_labels_out_of_range_or_of_another_length(run, labels, words):
    result = run("lm", "1,2,3,4;4,3,2,1;0,0,0,1;1,0,0,0", "1,2,3,3;4,3,2,2;0,0,1,1;1,1,0,0", "--labels", labels)
    assert result.exit_code == 1 and words in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_label_counts_name_the_first_position_without_the_other(run):
    short = run("lm", "1,2;2,1;3,1", "1,1;2,2;3,3", "--labels", "0,1")
    assert "position 3 has no label" in short.stderr
    long = run("lm", "1,2;2,1;3,1", "1,1;2,2;3,3", "--labels", "0,1,1,0")
    assert "label 4 has no position" in long.stderr


def test_positions_that_differ_name_the_first_one_missing(run, models, tmp_path):
    folder, *_ = models
    np.save(tmp_path / "short.npy", np.load(folder / "candidate.npy")[:250])
    result = run("lm", folder / "base.npy", tmp_path / "short.npy")
    assert result.exit_code == 1
    assert "Q has 250 positions" in result.stderr and "position 251 is missing from Q" in result.stderr
    result = run("lm", tmp_path / "short.npy", folder / "base.npy")
    assert "position 251 is missing from P" in result.stderr
    result = run("lm", "1,2,3", "1,2,3;3,2,1")
    assert result.exit_code == 1 and "P has 1 position" in result.stderr and "position 2 is missing from P" in result.stderr


def test_vocabularies_that_differ_are_refused(run):
    result = run("lm", "1,2,3;3,2,1", "1,2;2,1")
    assert result.exit_code == 1
    assert "P has a vocabulary of 3 tokens" in result.stderr and "Q has 2" in result.stderr


def test_a_3d_array_in_fortran_order_is_refused(run, tmp_path):
    np.save(tmp_path / "f.npy", np.asfortranarray(np.ones((2, 3, 4))))
    result = run("lm", tmp_path / "f.npy", tmp_path / "f.npy")
    assert result.exit_code == 1 and "Fortran order" in result.stderr


@pytest.mark.parametrize("args, words", [
    (("--top", "0"), "0 is not a number of positions"),
    (("--top", "2", "--reduction", "row"), "give one of them"),
    (("--reduction", "batchmean"), "'batchmean' is not one of 'mean', 'row'"),
    (("--p-as", "labels"), "'labels' is not one of 'logits', 'log-probs', 'probs'"),
    (("-q", "-f", "json"), "-q prints only the value"),
])
def test_command_lines_it_cannot_run(run, args, words):
    result = run("lm", "1,2;2,1", "1,1;2,2", *args)
    assert result.exit_code == 2 and words in result.stderr


@pytest.mark.parametrize("dtype, said", [(np.float16, True), (np.float64, False)])
def test_log_probs_rounded_to_16_bits_are_refused_with_the_way_round(run, tmp_path, dtype, said):
    """float16 log-softmax outputs do not sum to 1 within the default tolerance: the one-line error
    says that 16 bits round them, and how to read them (as logits, renormalised exactly)."""
    logits = np.random.default_rng(4).normal(0, 3, (3, 3000))
    log_p = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    np.save(tmp_path / "p.npy", (log_p + (0 if said else 1e-3)).astype(dtype))
    np.save(tmp_path / "q.npy", log_p.astype(dtype))
    result = run("lm", tmp_path / "p.npy", tmp_path / "q.npy", "--p-as", "log-probs", "--q-as", "log-probs", "-q")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert ("16-bit numbers (float16, bfloat16) round each log-probability" in result.stderr) is said
    assert "pass --p-as logits" in result.stderr
