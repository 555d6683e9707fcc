"""divcli lm's report options on top-k log-probs: --tokens (each worst position's cells: the tokens both
models list and the tail, whose terms add up to its D), --measures (compare's measures on the same
coarsened distributions, each the value ``divcli compare`` gives for them written out as rows of
probabilities), and the files read from standard input."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.lm_data import log_softmax, model_outputs
from helpers.lm_topk_data import top_indices, vocabulary, write

pytestmark = pytest.mark.numeric

ROOT = Path(__file__).resolve().parents[2]

#: The terms of a position's cells add up to its D(P‖Q) to this relative error, and to float64's
#: rounding of 1 = Σ p and 1 = Σ q over its cells (each tail rounded once: ½ ulp of 1 a side).
SUM_RELATIVE, SUM_ABSOLUTE = 1e-13, 2.5e-16


def lines(*positions) -> list[str]:
    return [json.dumps({"top_logprobs": listed}) for listed in positions]


def pair(tmp_path, p_lines, q_lines):
    return write(tmp_path / "p.jsonl", p_lines), write(tmp_path / "q.jsonl", q_lines)


def listed_positions(log_p: np.ndarray, k: int, tokens: list[str], labels: np.ndarray) -> list[dict[str, float]]:
    """Each position's listed tokens as divcli reads them: its top k, then its own token (the label)."""
    found = []
    for i, row in enumerate(top_indices(log_p, k)):
        listed = {tokens[j]: float(log_p[i, j]) for j in row}
        listed.setdefault(tokens[labels[i]], float(log_p[i, labels[i]]))
        found.append(listed)
    return found


def own_lines(listed: list[dict[str, float]], tokens: list[str], labels: np.ndarray) -> list[str]:
    return [json.dumps({"token": tokens[label], "logprob": position[tokens[label]], "top_logprobs": position})
            for position, label in zip(listed, labels)]


def coarsened(p: dict[str, float], q: dict[str, float]) -> tuple[list[float], list[float]]:
    """The two rows of probabilities of a position's cells: the tokens both list (in P's order), then
    each side's tail: 1 − Σ p over its list, plus its tokens the other does not list (correctly rounded)."""
    cells = [token for token in p if token in q]
    rows = []
    for mine, theirs in ((p, q), (q, p)):
        rest = math.fsum([1.0] + [-math.exp(value) for value in mine.values()])
        tail = math.fsum([rest] + [math.exp(value) for token, value in mine.items() if token not in theirs])
        rows.append([math.exp(mine[token]) for token in cells] + [tail])
    return rows[0], rows[1]


@pytest.fixture(scope="module")
def generated(tmp_path_factory):
    """60 seeded positions over 20 tokens, P listing its top 4 and Q its top 6, each its own token too."""
    folder = tmp_path_factory.mktemp("topk-options")
    base, candidate, labels = model_outputs(60, 20, seed=3)
    tokens = vocabulary(20)
    listed = [listed_positions(log_softmax(values), k, tokens, labels) for values, k in ((base, 4), (candidate, 6))]
    write(folder / "p.jsonl", own_lines(listed[0], tokens, labels))
    write(folder / "q.jsonl", own_lines(listed[1], tokens, labels))
    return folder, listed


# --------------------------------------------------------------------------------------------
# --tokens


def test_the_cells_of_a_position_and_their_terms_by_hand(run_json, tmp_path):
    """P lists a 0.5, b 0.3; Q lists a 0.4, c 0.4. The cells: a (0.5, 0.4) and the tail (0.5, 0.6):
    P's 0.2 unlisted and b's 0.3, Q's 0.2 unlisted and c's 0.4."""
    p, q = pair(tmp_path, lines({"a": math.log(0.5), "b": math.log(0.3)}), lines({"a": math.log(0.4), "c": math.log(0.4)}))
    document = run_json("lm", p, q, "--top", 1, "--tokens", 5)
    worst = document["worst"][0]
    a, tail = 0.5 * math.log(0.5 / 0.4), 0.5 * math.log(0.5 / 0.6)
    assert [cell["token"] for cell in worst["tokens"]] == ["a", None]  # the tail is no token: null
    for cell, (p_value, q_value, term) in zip(worst["tokens"], [(0.5, 0.4, a), (0.5, 0.6, tail)]):
        assert cell["p"] == pytest.approx(p_value, rel=1e-15) and cell["q"] == pytest.approx(q_value, rel=1e-15)
        assert cell["term"] == pytest.approx(term, rel=1e-14)
    assert math.isclose(sum(cell["term"] for cell in worst["tokens"]), worst["kl_divergence"], rel_tol=SUM_RELATIVE)


@pytest.mark.parametrize("p_listed, q_listed, terms", [
    # a token Q gives more than P: a negative term; the tail the largest
    ({"x": math.log(0.1), "y": math.log(0.2)}, {"x": math.log(0.3), "y": math.log(0.25)},
     {"x": 0.1 * math.log(0.1 / 0.3), "y": 0.2 * math.log(0.2 / 0.25), None: 0.7 * math.log(0.7 / 0.45)}),
    # p = 0 (−Infinity): a term of 0, left out; three tokens in common
    ({"x": -math.inf, "y": math.log(0.5), "z": math.log(0.25)}, {"x": math.log(0.2), "y": math.log(0.3), "z": math.log(0.3)},
     {"y": 0.5 * math.log(0.5 / 0.3), "z": 0.25 * math.log(0.25 / 0.3), None: 0.25 * math.log(0.25 / 0.2)}),
    # the same tail (0.1 each, to the rounding of the log-probs): a term of about 0
    ({"x": math.log(0.6), "y": math.log(0.3)}, {"y": math.log(0.4), "x": math.log(0.5)},
     {"x": 0.6 * math.log(0.6 / 0.5), "y": 0.3 * math.log(0.3 / 0.4), None: 0.0}),
])
def test_the_terms_are_known_and_add_up_to_the_kl(run_json, tmp_path, p_listed, q_listed, terms):
    p, q = pair(tmp_path, lines(p_listed), lines(q_listed))
    worst = run_json("lm", p, q, "--top", 1, "--tokens", 9)["worst"][0]
    found = {cell["token"]: cell["term"] for cell in worst["tokens"]}
    assert found.keys() == terms.keys()
    for token, term in terms.items():
        assert math.isclose(found[token], term, rel_tol=1e-14, abs_tol=1e-15), token
    sizes = [abs(cell["term"]) for cell in worst["tokens"]]
    assert sizes == sorted(sizes, reverse=True)  # largest |term| first
    assert math.isclose(sum(found.values()), worst["kl_divergence"], rel_tol=SUM_RELATIVE)


def test_every_position_s_cells_add_up_to_its_kl(run_json, generated):
    """All 60 positions ranked, every cell listed: the terms p·ln(p/q) add up to the position's D,
    computed as Σ q·φ(p/q) (terms never negative), within 1e-13 relative, and within the rounding of
    the cells' sums, where both sides sum to 1 only to an ulp (Σ p·ln(p/q) = Σ q·φ(p/q) + Σ p − Σ q)."""
    folder, listed = generated
    worst = run_json("lm", folder / "p.jsonl", folder / "q.jsonl", "--top", 60, "--tokens", 30)["worst"]
    assert len(worst) == 60
    for record in worst:
        p_listed, q_listed = listed[0][record["position"] - 1], listed[1][record["position"] - 1]
        cells = [token for token in p_listed if token in q_listed]
        assert {cell["token"] for cell in record["tokens"]} <= set(cells) | {None}
        total = math.fsum(cell["term"] for cell in record["tokens"])
        assert math.isclose(total, record["kl_divergence"], rel_tol=SUM_RELATIVE, abs_tol=SUM_ABSOLUTE), \
            record["position"]
        p_row, q_row = coarsened(p_listed, q_listed)
        tail = next(cell for cell in record["tokens"] if cell["token"] is None)
        assert tail["p"] == p_row[-1] and tail["q"] == q_row[-1]


def test_the_tail_in_csv_and_the_table_never_a_token(run, run_json, tmp_path):
    """A token whose text is "(tail)": quoted in the table, a string in JSON; the tail is (tail) in
    the table, an empty token cell in CSV, null in JSON. The table lists 5 cells by default."""
    p, q = pair(tmp_path, lines({"(tail)": math.log(0.5), "b": math.log(0.3)}),
                lines({"(tail)": math.log(0.4), "c": math.log(0.4)}))
    table = run("lm", p, q, "--top", 1).stdout
    assert '"(tail)" │ 0.500000 │ 0.400000 │' in table and " (tail) │ 0.500000 │ 0.600000 │" in table
    assert [cell["token"] for cell in run_json("lm", p, q, "--top", 1, "--tokens", 2)["worst"][0]["tokens"]] == [
        "(tail)", None]
    rows = list(csv.reader(io.StringIO(run("lm", p, q, "--top", 1, "--tokens", 2, "-f", "csv").stdout)))
    record = dict(zip(rows[0], rows[1]))
    assert record["token_1"] == "(tail)" and record["token_2"] == ""
    assert float(record["token_2_p"]) == pytest.approx(0.5) and float(record["token_2_q"]) == pytest.approx(0.6)


def test_tokens_keeps_its_rules(run, tmp_path):
    p, q = pair(tmp_path, lines({"a": -0.1}), lines({"a": -0.2}))
    assert "give --top N too" in run("lm", p, q, "--tokens", 2).stderr
    assert run("lm", p, q, "--top", 1, "--tokens", 2, "-q").exit_code == 2


# --------------------------------------------------------------------------------------------
# --measures


def compare_rows(run_json, folder, rows: list[tuple[list[float], list[float]]]) -> list[dict]:
    """``divcli compare --reduction row`` on each position's two rows (positions of as many cells in
    one run): its record per position."""
    found: list[dict | None] = [None] * len(rows)
    for width in sorted({len(p_row) for p_row, _ in rows}):
        index = [i for i, (p_row, _) in enumerate(rows) if len(p_row) == width]
        for side in (0, 1):
            (folder / f"{'pq'[side]}{width}.csv").write_text(
                "".join(",".join(map(repr, rows[i][side])) + "\n" for i in index), encoding="utf-8")
        if width == 1:  # nothing listed by both: the tails alone, 1 against 1 (compare takes no one-class rows)
            for i in index:
                found[i] = None
            continue
        records = run_json("compare", folder / f"p{width}.csv", folder / f"q{width}.csv", "--reduction", "row")["rows"]
        for i, record in zip(index, records):
            found[i] = record
    return found


def test_each_measure_is_compares_on_the_coarsened_rows(run_json, generated, tmp_path):
    folder, listed = generated
    document = run_json("lm", folder / "p.jsonl", folder / "q.jsonl", "--measures", "all", "--reduction", "row")
    rows = [coarsened(p, q) for p, q in zip(*listed)]
    expected = compare_rows(run_json, tmp_path, rows)
    keys = [key for key in document["rows"][0] if key not in ("position", "kl_divergence", "p_top", "q_top",
                                                               "same_top", "label", "p_label", "q_label", "delta_p")]
    assert keys == ["kl_pq", "kl_qp", "jeffreys", "js_divergence", "js_distance", "total_variation", "hellinger",
                    "bhattacharyya_coefficient", "bhattacharyya_distance", "chi2_pearson", "chi2_neyman", "renyi_0.5",
                    "renyi_2"]  # all: the divergences; no entropy, perplexity or cross-entropy
    assert sum(reference is not None for reference in expected) > 50
    for row, reference in zip(document["rows"], expected):
        for key in keys:
            if reference is None:
                assert row[key] == (1.0 if key == "bhattacharyya_coefficient" else 0.0), key
            else:
                assert math.isclose(row[key], reference[key], rel_tol=1e-13, abs_tol=1e-16), (row["position"], key)
        assert math.isclose(row["kl_pq"], row["kl_divergence"], rel_tol=1e-13, abs_tol=1e-16)
    statistics = document["statistics"]
    for key in keys:
        values = np.array([row[key] for row in document["rows"]])
        assert statistics[f"{key}_mean"] == pytest.approx(values.mean(), rel=1e-13)
        assert statistics[f"{key}_se"] == pytest.approx(values.std(ddof=1) / math.sqrt(values.size), rel=1e-10)


def test_measures_in_the_table_and_the_worst_positions(run, run_json, generated):
    folder, _ = generated
    worst = run_json("lm", folder / "p.jsonl", folder / "q.jsonl", "--measures", "js,tv", "--top", 3)["worst"]
    assert all({"js_divergence", "total_variation"} <= record.keys() for record in worst)
    table = run("lm", folder / "p.jsonl", folder / "q.jsonl", "--measures", "hellinger").stdout
    assert "other measures per position" in table and "Hellinger distance" in table


@pytest.mark.parametrize("measures, words", [
    ("js,entropy_p", "entropy_p would not be P's entropy on top-k log-probs"),
    ("perplexity_q", "perplexity_q would not be Q's perplexity on top-k log-probs"),
    ("all,cross_entropy", "cross_entropy would not be the models' cross-entropy on top-k log-probs"),
    ("wasserstein_1", "wasserstein_1"),
])
def test_measures_of_one_model_are_refused(run, tmp_path, measures, words):
    p, q = pair(tmp_path, lines({"a": -0.1}), lines({"a": -0.2}))
    result = run("lm", p, q, "--measures", measures)
    assert result.exit_code == 2 and words in result.stderr
    assert result.stderr.strip().splitlines()[-1].startswith("Error: Invalid value for '--measures'")


# --------------------------------------------------------------------------------------------
# standard input


def test_either_file_from_standard_input(run_json, run, generated):
    folder, _ = generated
    files = folder / "p.jsonl", folder / "q.jsonl"
    whole = run_json("lm", *files, "--top", 3, "--tokens", 2)
    for index in (0, 1):
        args = ["-" if side == index else path for side, path in enumerate(files)]
        found = run_json("lm", *args, "--top", 3, "--tokens", 2, input=files[index].read_bytes())
        assert found["statistics"] == whole["statistics"] and found["worst"] == whole["worst"]
        assert found["pq"[index]]["source"] == "<stdin>"
    result = run("lm", "-", "-", input=files[0].read_bytes())
    assert result.exit_code == 2 and "'-' (standard input) can stand for one operand only" in result.stderr


def test_standard_input_of_rows_is_read_as_rows(run, run_json, tmp_path):
    """Told by its first line: numbers (or a JSON array) are full rows, read as before."""
    rows = "0.1,0.9\n0.6,0.4\n"
    (tmp_path / "q.csv").write_text("0.2,0.8\n0.5,0.5\n", encoding="utf-8")
    found = run_json("lm", "-", tmp_path / "q.csv", "--p-as", "probs", "--q-as", "probs", "--reduction", "row",
                     input=rows)
    expected = [0.1 * math.log(0.1 / 0.2) + 0.9 * math.log(0.9 / 0.8), 0.6 * math.log(0.6 / 0.5) + 0.4 * math.log(0.4 / 0.5)]
    assert [row["kl_divergence"] for row in found["rows"]] == [pytest.approx(value, rel=1e-14) for value in expected]
    p = write(tmp_path / "p.jsonl", lines({"a": -0.1}))
    result = run("lm", p, "-", input="[[0.5, 0.5]]")
    assert result.exit_code == 1 and "P is top-k log-probs" in result.stderr and "but Q is not (-)" in result.stderr


@pytest.mark.slow
def test_a_pipe_of_responses_in_a_subprocess(generated):
    """Through a real pipe, written a line at a time: what was read to tell the shape is read again."""
    folder, _ = generated
    script = "import sys, time\nfor line in open(sys.argv[1], 'rb'):\n    sys.stdout.buffer.write(line); sys.stdout.flush()\n"
    writer = subprocess.Popen([sys.executable, "-c", script, str(folder / "p.jsonl")], stdout=subprocess.PIPE)
    piped = subprocess.run([sys.executable, "-m", "divcli", "lm", "-", str(folder / "q.jsonl"), "-q"],
                           stdin=writer.stdout, capture_output=True, text=True, cwd=ROOT)
    writer.wait()
    whole = subprocess.run([sys.executable, "-m", "divcli", "lm", str(folder / "p.jsonl"), str(folder / "q.jsonl"),
                            "-q"], capture_output=True, text=True, cwd=ROOT)
    assert piped.returncode == 0, piped.stderr
    assert float(piped.stdout) == float(whole.stdout)
