"""divcli lm on top-k log-probabilities (JSON Lines): the tail rule on hand-made cases (exact values
by hand), each shape (divcli's lines, chat and completions responses), a generated case against a
plain float64 numpy computation of the same coarsened KL (never above the full KL), the labels, the
positions and tokens that must agree, and the malformed lines, each refused in one line that names
the file and the line."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from helpers.lm_data import log_softmax, model_outputs, reference_statistics
from helpers.lm_topk_data import (WRITERS, coarsened_kl, full_kl, listed_sets, simple_lines, vocabulary, write)

pytestmark = pytest.mark.numeric

#: The coarsened KL per position agrees with the plain computation to this relative error (plus
#: the absolute error of a tail 1 − Σ p, a few ε, times its log-ratio).
RELATIVE, ABSOLUTE = 1e-9, 1e-13


def lines(*positions) -> list[str]:
    """divcli's own shape from (token → log-prob) dicts, or (own token, dict) pairs."""
    made = []
    for position in positions:
        own, listed = position if isinstance(position, tuple) else (None, position)
        made.append(json.dumps(({"token": own} if own is not None else {}) | {"top_logprobs": listed}))
    return made


def pair(tmp_path, p_lines, q_lines):
    return write(tmp_path / "p.jsonl", p_lines), write(tmp_path / "q.jsonl", q_lines)


def kl_rows(run_json, *args) -> list[float]:
    return [row["kl_divergence"] for row in run_json("lm", *args, "--reduction", "row")["rows"]]


# --------------------------------------------------------------------------------------------
# the tail rule, by hand


def test_a_token_one_side_lists_joins_the_tail_on_both(run_json, tmp_path):
    """P lists a (0.5) and b (0.3), Q lists a (0.4) and c (0.4). Both list only a: the cells are {a}
    and the tail, P's tail 1 − 0.5 = 0.5 (its 0.2 unlisted and b's 0.3), Q's 1 − 0.4 = 0.6."""
    p, q = pair(tmp_path, lines({"a": math.log(0.5), "b": math.log(0.3)}),
                lines({"a": math.log(0.4), "c": math.log(0.4)}))
    expected = 0.5 * math.log(0.5 / 0.4) + 0.5 * math.log(0.5 / 0.6)
    assert kl_rows(run_json, p, q) == [pytest.approx(expected, rel=1e-15)]


def test_the_same_lists_summing_to_one_give_the_full_kl(run_json, tmp_path):
    p_probs, q_probs = [0.7, 0.2, 0.1], [0.5, 0.3, 0.2]
    p, q = pair(tmp_path, lines({t: math.log(x) for t, x in zip("abc", p_probs)}),
                lines({t: math.log(x) for t, x in zip("cab", q_probs)}))
    q_of = dict(zip("cab", q_probs))
    expected = sum(x * math.log(x / q_of[t]) for t, x in zip("abc", p_probs))
    document = run_json("lm", p, q, "--reduction", "row")
    assert document["rows"][0]["kl_divergence"] == pytest.approx(expected, rel=1e-14)
    assert document["warnings"] == []  # sums off 1 by float64's rounding alone say nothing


def test_no_token_in_common_compares_the_tails_alone(run_json, tmp_path):
    """Nothing listed by both: one cell, the whole mass on each side: D = 0."""
    p, q = pair(tmp_path, lines({"a": -0.1}), lines({"b": -0.1}))
    document = run_json("lm", p, q, "--reduction", "row")
    assert document["rows"][0]["kl_divergence"] == 0.0
    assert document["rows"][0]["same_top"] is False


def test_a_tail_of_zero_against_mass_is_infinite_and_said(run_json, tmp_path):
    """Q lists all of its mass (0.6 + 0.4) on a and b, which P lists too (0.5, 0.25): P's tail 0.25
    meets Q's 0. A tail within --tolerance of 0 there is the rounding of the log-probs: taken as 0."""
    p, q = pair(tmp_path, lines({"a": math.log(0.5), "b": math.log(0.25)}, {"a": -0.5}),
                lines({"a": math.log(0.6), "b": math.log(0.4)}, {"a": -0.5}))
    document = run_json("lm", p, q)
    assert document["statistics"]["kl_max"] == "inf" and document["statistics"]["kl_min"] == 0.0
    assert any("D(P‖Q) is +inf: position 1: P's tail holds 0.25 but Q's holds 0" in w and "q.jsonl:1" in w
               for w in document["warnings"])
    p, q = pair(tmp_path, lines({"a": math.log(0.5), "b": math.log(0.5 - 3e-7)}),
                lines({"a": math.log(0.6), "b": math.log(0.4)}))
    document = run_json("lm", p, q)
    expected = 0.5 * math.log(0.5 / 0.6) + (0.5 - 3e-7) * math.log((0.5 - 3e-7) / 0.4)
    assert abs(document["statistics"]["kl_max"] - expected) <= 3e-7 * (1 + 1e-9)  # moved by the mass taken out
    assert any("P's tail (at most 3e-07, within the tolerance) is taken as 0 against Q's tail of 0 at 1 position" in w
               for w in document["warnings"])
    assert run_json("lm", p, q, "--tolerance", "1e-7")["statistics"]["kl_max"] == "inf"


def test_minus_infinity_is_a_probability_of_zero(run_json, tmp_path):
    """Position 1: q(a) = 0 < p(a), +inf. Position 2: p(b) = 0 (−Infinity), a cell of its own with
    no term of P's: the cells a (0.5, 0.5), b (0, 0.3) and the tail (0.5, 0.2)."""
    p, q = pair(tmp_path, lines({"a": math.log(0.5)}, {"a": math.log(0.5), "b": -math.inf}),
                lines({"a": -math.inf}, {"a": math.log(0.5), "b": math.log(0.3)}))
    rows = kl_rows(run_json, p, q)
    assert rows[0] == "inf"
    assert rows[1] == pytest.approx(0.5 * math.log(0.5 / 0.2), rel=1e-14)


def test_a_sum_past_one_within_the_tolerance_leaves_a_tail_of_zero(run_json, run, tmp_path):
    over = math.log(0.5 + 2e-7)
    p, q = pair(tmp_path, lines({"a": over, "b": over}), lines({"a": math.log(0.5), "b": math.log(0.5)}))
    document = run_json("lm", p, q)
    assert document["statistics"]["kl_max"] == pytest.approx(0.0, abs=1e-12)
    assert any("P's listed probabilities sum to more than 1 (by at most 4e-07, within the tolerance) at 1 position "
               "(first: position 1, " in w and "its tail there is taken as 0" in w for w in document["warnings"])
    result = run("lm", p, q, "--tolerance", "1e-7")
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "p.jsonl:1: P's listed probabilities sum to 1.0000004, more than 1" in result.stderr


def test_a_repeated_token_counts_once_and_two_values_are_refused(run_json, run, tmp_path):
    chat = {"choices": [{"logprobs": {"content": [
        {"token": "a", "logprob": -0.5, "top_logprobs": [{"token": "a", "logprob": -0.5}, {"token": "a", "logprob": -0.5},
                                                         {"token": "b", "logprob": -2.0}]}]}}]}
    p = write(tmp_path / "p.jsonl", [json.dumps(chat)])
    q = write(tmp_path / "q.jsonl", [json.dumps(chat)])
    assert run_json("lm", p, q)["statistics"]["kl_max"] == 0.0
    chat["choices"][0]["logprobs"]["content"][0]["top_logprobs"][1]["logprob"] = -0.7
    write(q, [json.dumps(chat)])
    result = run("lm", p, q)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert 'q.jsonl:1, token 1 of the response: token "a" is listed twice, with log-probs -0.5 and -0.7' in result.stderr


def test_a_token_named_twice_in_an_object_is_refused_unless_the_same(run, run_json, tmp_path):
    p = write(tmp_path / "p.jsonl", ['{"top_logprobs": {"a": -0.5, "b": -1.5, "a": -0.5}}'])
    q = write(tmp_path / "q.jsonl", ['{"top_logprobs": {"a": -0.5, "b": -1.5}}'])
    assert run_json("lm", p, q)["statistics"]["kl_max"] == 0.0
    write(p, ['{"top_logprobs": {"a": -0.5, "b": -1.5, "a": -0.6}}'])
    result = run("lm", p, q)
    assert result.exit_code == 1 and 'p.jsonl:1: token "a" is listed twice, with log-probs -0.5 and -0.6' in result.stderr


def test_the_top_token_is_the_most_likely_listed_the_first_of_ties(run_json, tmp_path):
    p, q = pair(tmp_path, lines({"x": -1.0, "y": -1.0}, {"x": -2.0, "y": -0.5}),
                lines({"y": -1.0, "x": -1.0}, {"z": -0.1}))
    rows = run_json("lm", p, q, "--reduction", "row")["rows"]
    assert [(row["p_top"], row["q_top"], row["same_top"]) for row in rows] == [("x", "y", False), ("y", "z", False)]


# --------------------------------------------------------------------------------------------
# the shapes, and a generated case against the plain computation


@pytest.fixture(scope="module")
def generated():
    """Seeded Zipf logits of 230 positions over 40 tokens: full log-softmax rows and labels."""
    base, candidate, labels = model_outputs(230, 40, seed=11)
    return log_softmax(base), log_softmax(candidate), labels, base, candidate


@pytest.mark.parametrize("shape", ["simple", "chat", "completions"])
@pytest.mark.parametrize("k_p, k_q", [(5, 5), (3, 8)])
def test_each_shape_gives_the_plain_coarsened_kl(run_json, tmp_path, generated, shape, k_p, k_q):
    log_p, log_q, labels, base, candidate = generated
    tokens = vocabulary(40)
    write(tmp_path / "p.jsonl", WRITERS[shape](log_p, k_p, tokens, labels))
    write(tmp_path / "q.jsonl", WRITERS[shape](log_q, k_q, tokens, labels))
    document = run_json("lm", tmp_path / "p.jsonl", tmp_path / "q.jsonl", "--reduction", "row")
    found = np.array([row["kl_divergence"] for row in document["rows"]])
    expected = coarsened_kl(log_p, log_q, listed_sets(log_p, k_p, labels), listed_sets(log_q, k_q, labels))
    np.testing.assert_allclose(found, expected, rtol=RELATIVE, atol=ABSOLUTE)
    assert np.all(found <= full_kl(log_p, log_q) + ABSOLUTE) and np.all(found >= 0)
    assert document["p"] == {"source": str(tmp_path / "p.jsonl"), "kind": "top-logprobs", "shape": shape}
    statistics = document["statistics"]
    assert statistics["kl_mean"] == pytest.approx(expected.mean(), rel=RELATIVE)
    assert statistics["kl_p90"] == pytest.approx(np.percentile(expected, 90), rel=RELATIVE)
    tops = [(row["p_top"], row["q_top"]) for row in document["rows"]]
    assert tops == [(tokens[i], tokens[j]) for i, j in zip(np.argmax(log_p, axis=1), np.argmax(log_q, axis=1))]
    # the labels are the positions' own tokens, listed with their log-probs: the perplexities are exact
    reference = reference_statistics(base, candidate, labels)
    for key in ("ppl_p", "ppl_q", "ln_ppl_ratio", "ppl_ratio", "delta_p_mean", "delta_p_rms", "delta_p_p90"):
        assert statistics[key] == pytest.approx(reference[key], rel=1e-12, abs=1e-15), key
    assert statistics["same_top"] == reference["same_top"] and statistics["labels_listed"] == 230
    assert [row["label"] for row in document["rows"]] == [tokens[i] for i in labels]


def test_longer_lists_never_lower_it(run_json, tmp_path, generated):
    """More tokens listed by both make the partition finer: by the data-processing inequality the
    KL can only grow, up to the full KL."""
    log_p, log_q, labels, *_ = generated
    tokens = vocabulary(40)
    found = []
    for k in (2, 6, 40):
        write(tmp_path / "p.jsonl", simple_lines(log_p, k, tokens))
        write(tmp_path / "q.jsonl", simple_lines(log_q, k, tokens))
        found.append(np.array(kl_rows(run_json, tmp_path / "p.jsonl", tmp_path / "q.jsonl")))
    assert np.all(found[0] <= found[1] + ABSOLUTE) and np.all(found[1] <= found[2] + ABSOLUTE)
    np.testing.assert_allclose(found[2], full_kl(log_p, log_q), rtol=1e-12)  # every token listed: the full KL


def test_the_shapes_agree_and_blocks_cut_responses_anywhere(run_json, tmp_path, generated, monkeypatch):
    """Chat responses of 7 positions, completions of 9 with an echoed first token of no log-probs,
    cut into blocks of 4 positions: the same numbers as one position a line."""
    from divcli.computations import lm_topk

    log_p, log_q, labels, *_ = generated
    tokens = vocabulary(40)
    write(tmp_path / "p.jsonl", simple_lines(log_p, 4, tokens, labels))
    write(tmp_path / "q.jsonl", simple_lines(log_q, 6, tokens, labels))
    whole = run_json("lm", tmp_path / "p.jsonl", tmp_path / "q.jsonl")
    write(tmp_path / "p.jsonl", WRITERS["chat"](log_p, 4, tokens, labels, per_response=7))
    write(tmp_path / "q.jsonl", WRITERS["completions"](log_q, 6, tokens, labels, per_response=9, echo=True))
    monkeypatch.setattr(lm_topk, "BLOCK_POSITIONS", 4)
    cut = run_json("lm", tmp_path / "p.jsonl", tmp_path / "q.jsonl")
    assert cut["statistics"] == whole["statistics"]


def test_outputs_keep_a_tokens_text(run, run_json, tmp_path):
    """Tokens with commas, quotes, line breaks and spaces: quoted in CSV, JSON strings, shown quoted
    in the table; --top ranks them."""
    awkward = [",", '"', "\n", " the", "a,b"]
    p, q = pair(tmp_path, lines(*[(t, {t: -0.2, "z": -3.0}) for t in awkward]),
                lines(*[(t, {t: -0.3 - i / 10, "z": -2.0}) for i, t in enumerate(awkward)]))
    rows = list(csv.DictReader(io.StringIO(run("lm", p, q, "--reduction", "row", "-f", "csv").stdout)))
    assert [row["p_top"] for row in rows] == awkward == [row["label"] for row in rows]
    assert [row["p_top"] for row in run_json("lm", p, q, "--reduction", "row")["rows"]] == awkward
    worst = run_json("lm", p, q, "--top", "2")["worst"]
    assert [row["label"] for row in worst] == ["a,b", " the"]
    table = run("lm", p, q, "--top", "2").stdout
    assert '"a,b"' in table and '" the"' in table and "a lower bound of D(P‖Q)" in table
    assert "top-k log-probs (top_logprobs lines)" in table


# --------------------------------------------------------------------------------------------
# the labels


def test_labels_from_a_file_and_the_positions_that_do_not_list_them(run, run_json, tmp_path):
    p, q = pair(tmp_path, lines({"a": math.log(0.5), "b": math.log(0.25)}, {"a": math.log(0.5)},
                                {"a": math.log(0.9)}),
                lines({"a": math.log(0.4), "b": math.log(0.5)}, {"a": math.log(0.5), "b": math.log(0.1)},
                      {"a": math.log(0.8)}))
    for name, text in (("labels.jsonl", '"b"\n"b"\n"a"\n'), ("labels.csv", "b\nb\na\n"), ("labels.txt", "b\nb\na\n")):
        labels = tmp_path / name
        labels.write_text(text, encoding="utf-8")
        document = run_json("lm", p, q, "--labels", labels, "--reduction", "row")
        rows = document["rows"]
        assert [row["p_label"] for row in rows] == [pytest.approx(0.25), None, pytest.approx(0.9)]
        assert rows[1]["delta_p"] is None and rows[0]["delta_p"] == pytest.approx(0.25)
        statistics = document["statistics"]
        assert statistics["labels_listed"] == 2
        assert statistics["ppl_p"] == pytest.approx(math.exp(-(math.log(0.25) + math.log(0.9)) / 2))
        assert any("the label is not among P's or Q's listed tokens at 1 of 3 positions" in w
                   for w in document["warnings"])
    assert "position 3,," not in run("lm", p, q, "--labels", labels, "--reduction", "row", "-f", "csv").stdout
    csv_rows = list(csv.DictReader(io.StringIO(run("lm", p, q, "--labels", labels, "--reduction", "row",
                                                   "-f", "csv").stdout)))
    assert csv_rows[1]["p_label"] == "" and csv_rows[1]["label"] == "b"


def test_no_label_listed_anywhere_leaves_the_perplexities_empty(run, run_json, tmp_path):
    p, q = pair(tmp_path, lines({"a": -0.1}), lines({"a": -0.2}))
    (tmp_path / "labels.txt").write_text("zz\n", encoding="utf-8")
    document = run_json("lm", p, q, "--labels", tmp_path / "labels.txt")
    assert document["statistics"]["ppl_p"] is None and document["statistics"]["labels_listed"] == 0
    assert "PPL(P)" in run("lm", p, q, "--labels", tmp_path / "labels.txt").stdout


def test_token_ids_as_labels_of_top_k_text_tokens_are_said_to_be_compared_as_text(run, tmp_path):
    """Labels written as token ids (464) against files that list the tokens' text (" the") match no
    position: one warning says that labels are compared as text and how to write them, instead of
    the statistics being left empty without a word; the table and JSON still give every KL."""
    p, q = pair(tmp_path, lines({" the": math.log(0.6), " cat": math.log(0.3)}, {" sat": math.log(0.5)}),
                lines({" the": math.log(0.5), " cat": math.log(0.4)}, {" sat": math.log(0.7)}))
    (tmp_path / "ids.txt").write_text("464\n3797\n", encoding="utf-8")
    result = run("lm", p, q, "--labels", tmp_path / "ids.txt", "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    assert document["statistics"]["labels_listed"] == 0 and document["statistics"]["ppl_p"] is None
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 1, result.stderr
    assert "no label is among P's or Q's listed tokens at any of the 2 positions" in warnings[0]
    assert "labels are compared as text" in warnings[0]
    assert "position 1's label is '464', and P lists tokens such as ' the' there" in warnings[0]
    assert "not its id" in warnings[0] and "ids.txt" in warnings[0]
    assert document["warnings"] == [warnings[0].removeprefix("warning: ")]
    expected = [0.6 * math.log(0.6 / 0.5) + 0.3 * math.log(0.3 / 0.4) + 0.1 * math.log(0.1 / 0.1),
                0.5 * math.log(0.5 / 0.7) + 0.5 * math.log(0.5 / 0.3)]
    assert document["statistics"]["kl_mean"] == pytest.approx(sum(expected) / 2, rel=1e-12)
    (tmp_path / "text.jsonl").write_text('" the"\n" sat"\n', encoding="utf-8")
    fixed = run("lm", p, q, "--labels", tmp_path / "text.jsonl", "-f", "json")
    assert fixed.exit_code == 0 and "compared as text" not in fixed.stderr
    assert json.loads(fixed.stdout)["statistics"]["labels_listed"] == 2


def test_labels_of_another_count_name_the_first_position_without(run, tmp_path):
    p, q = pair(tmp_path, lines({"a": -0.1}, {"a": -0.1}), lines({"a": -0.2}, {"a": -0.2}))
    (tmp_path / "short.txt").write_text("a\n", encoding="utf-8")
    (tmp_path / "long.txt").write_text("a\na\na\n", encoding="utf-8")
    assert "position 2 has no label" in run("lm", p, q, "--labels", tmp_path / "short.txt").stderr
    assert "label 3 has no position" in run("lm", p, q, "--labels", tmp_path / "long.txt").stderr


def test_the_two_sides_own_tokens_must_agree(run, tmp_path):
    p, q = pair(tmp_path, lines(("a", {"a": -0.1}), ("b", {"b": -0.1})), lines(("a", {"a": -0.1}), ("c", {"c": -0.1})))
    result = run("lm", p, q)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert "position 2 is token 'b' in P (" in result.stderr and "but 'c' in Q" in result.stderr


def test_a_sampled_token_outside_the_top_20_is_not_listed(run_json, tmp_path):
    """OpenAI gives −9999 for it: a mark, not a log-prob; the label is then not listed on that side."""
    def response(own_logprob):
        return json.dumps({"choices": [{"logprobs": {"content": [
            {"token": "r", "logprob": own_logprob, "top_logprobs": [{"token": "a", "logprob": -0.1}]}]}}]})
    p = write(tmp_path / "p.jsonl", [response(-9999.0)])
    q = write(tmp_path / "q.jsonl", [response(-6.0)])
    document = run_json("lm", p, q)
    assert document["statistics"]["labels_listed"] == 0 and document["labels"] == {"source": "the positions' own tokens"}


# --------------------------------------------------------------------------------------------
# what is refused


def test_positions_that_differ_name_the_first_one_missing(run, tmp_path):
    p, q = pair(tmp_path, lines({"a": -0.1}, {"a": -0.1}, {"a": -0.1}), lines({"a": -0.2}, {"a": -0.2}))
    result = run("lm", p, q)
    assert result.exit_code == 1 and "position 3 is missing from Q" in result.stderr
    assert "P has at least 3" in result.stderr or "P has 3" in result.stderr


CHAT_LINE = json.dumps({"choices": [{"logprobs": {"content": [{"token": "a", "logprob": -0.1, "top_logprobs": []}]}}]})


@pytest.mark.parametrize("second, words", [
    ("{not json", "p.jsonl:2: not JSON: "),
    ('{"top_logprobs": {"a": null}}', 'p.jsonl:2: the log-prob of token "a" is null, not a number'),
    ('{"top_logprobs": {"a": NaN}}', 'p.jsonl:2: the log-prob of token "a" is NaN, not a number'),
    ('{"top_logprobs": [["a", -0.1]]}', "p.jsonl:2: top_logprobs is a list, not an object of token: log-prob"),
    ('{"top_logprobs": {}}', "p.jsonl:2: no tokens listed"),
    ('{"token": 5, "top_logprobs": {"a": -1}}', "p.jsonl:2: token is 5, not a string"),
    (CHAT_LINE, "p.jsonl:2: one of the chat responses, but line 1 holds top_logprobs lines"),
    ("[1, 2]", "p.jsonl:2: another JSON value, but line 1 holds top_logprobs lines"),
])
def test_a_malformed_line_is_refused_with_its_file_and_line(run, tmp_path, second, words):
    p = write(tmp_path / "p.jsonl", ['{"top_logprobs": {"a": -0.1}}', second])
    q = write(tmp_path / "q.jsonl", ['{"top_logprobs": {"a": -0.1}}'] * 2)
    result = run("lm", p, q)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert words in result.stderr


@pytest.mark.parametrize("response, words", [
    ({"choices": [{"message": {}, "logprobs": None}]}, "p.jsonl:1: choices[0].logprobs is null: the response has no log-probs"),
    ({"choices": [{"logprobs": {"content": [{"token": "a", "logprob": -0.1, "top_logprobs": None}]}}]},
     "p.jsonl:1, token 1 of the response: top_logprobs is null"),
    ({"choices": [{"logprobs": {"content": [{"token": "a", "logprob": -0.1, "top_logprobs": []}]}}]},
     "p.jsonl:1, token 1 of the response: no tokens listed"),
    ({"choices": [{"text": "", "logprobs": {"tokens": ["a"], "token_logprobs": [-0.1], "top_logprobs": [{"a": -0.1}, {}]}}]},
     "p.jsonl:1: choices[0].logprobs lists 1 tokens, 1 token_logprobs and 2 top_logprobs"),
    ({"choices": []}, "p.jsonl:1: a response without choices"),
])
def test_a_malformed_response_is_refused_with_its_file_and_line(run, tmp_path, response, words):
    p = write(tmp_path / "p.jsonl", [json.dumps(response)])
    q = write(tmp_path / "q.jsonl", ['{"top_logprobs": {"a": -0.1}}'])
    result = run("lm", p, q)
    assert result.exit_code == 1 and len(result.stderr.strip().splitlines()) == 1
    assert words in result.stderr


def test_top_k_beside_full_rows_and_the_options_of_full_rows_are_refused(run, tmp_path):
    p, q = pair(tmp_path, lines({"a": -0.1}), lines({"a": -0.2}))
    result = run("lm", p, "0.5,0.5", "--q-as", "probs")
    assert result.exit_code == 1 and "P is top-k log-probs" in result.stderr and "but Q is not" in result.stderr
    result = run("lm", p, q, "--p-as", "log-probs")
    assert result.exit_code == 2 and "--p-as reads full rows" in result.stderr
