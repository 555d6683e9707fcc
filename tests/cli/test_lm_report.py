"""divcli lm's report beyond the statistics: the tokens behind each --top position's KL (against a plain
float64 numpy computation, adding up to the position's KL), the histogram of KL per position (against
numpy.histogram), --measures (against compare's own rows) and --svg (well-formed, a bar a bin)."""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ElementTree

import numpy as np
import pytest

from helpers.lm_data import log_softmax, model_outputs

pytestmark = pytest.mark.numeric


@pytest.fixture(scope="module")
def models(tmp_path_factory):
    """Seeded logits of 300 positions over 64 tokens saved as float16, and their float64 values."""
    folder = tmp_path_factory.mktemp("lm_report")
    base, candidate, _ = model_outputs(300, 64, seed=11)
    p16, q16 = base.astype(np.float16), candidate.astype(np.float16)
    np.save(folder / "base.npy", p16)
    np.save(folder / "candidate.npy", q16)
    return folder, p16.astype(np.float64), q16.astype(np.float64)


def plain_terms(p_logits: np.ndarray, q_logits: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """p, q and p·log(p/q) per token, plainly in float64."""
    log_p, log_q = log_softmax(p_logits), log_softmax(q_logits)
    return np.exp(log_p), np.exp(log_q), np.exp(log_p) * (log_p - log_q)


def check_tokens(worst: list[dict], p_logits: np.ndarray, q_logits: np.ndarray, count: int) -> None:
    """Each worst position's tokens are its ``count`` terms of largest |term|, in that order, with the
    plain computation's p, q and term; and all its terms add up to its KL."""
    for record in worst:
        row = record["position"] - 1
        p, q, terms = (values[0] for values in plain_terms(p_logits[row:row + 1], q_logits[row:row + 1]))
        tokens = record["tokens"]
        assert [token["token"] for token in tokens] == np.argsort(-np.abs(terms), kind="stable")[:count].tolist()
        ids = [token["token"] for token in tokens]
        np.testing.assert_allclose([token["p"] for token in tokens], p[ids], rtol=1e-13)
        np.testing.assert_allclose([token["q"] for token in tokens], q[ids], rtol=1e-13)
        np.testing.assert_allclose([token["term"] for token in tokens], terms[ids], rtol=1e-11, atol=1e-16)
        assert math.isclose(float(np.sum(terms)), record["kl_divergence"], rel_tol=1e-11)
        sizes = [abs(token["term"]) for token in tokens]
        assert sizes == sorted(sizes, reverse=True)


# --------------------------------------------------------------------------------------------
# the tokens of --top


def test_the_tokens_are_the_plain_float64_terms(run_json, models):
    folder, p, q = models
    document = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--top", "8", "--tokens", "4")
    assert len(document["worst"]) == 8
    check_tokens(document["worst"], p, q, 4)


def test_the_tokens_through_blocks_and_threads(run_json, tmp_path):
    """2000 positions of 400 tokens: several blocks, the worst found in later ones displacing earlier ones."""
    base, candidate, _ = model_outputs(2000, 400, seed=5)
    np.save(tmp_path / "base.npy", base.astype(np.float16))
    np.save(tmp_path / "candidate.npy", candidate.astype(np.float16))
    args = ("lm", tmp_path / "base.npy", tmp_path / "candidate.npy", "--top", "12", "--tokens", "6")
    one, two = run_json(*args, "--threads", "1"), run_json(*args, "--threads", "2")
    assert one["worst"] == two["worst"]
    p, q = (np.load(tmp_path / name).astype(np.float64) for name in ("base.npy", "candidate.npy"))
    check_tokens(one["worst"], p, q, 6)
    positions = [record["position"] for record in one["worst"]]
    assert max(positions) > 256  # beyond the first block


def test_formats_list_the_tokens_only_when_asked(run, run_json, models):
    folder, *_ = models
    args = ("lm", folder / "base.npy", folder / "candidate.npy", "--top", "3")
    assert all("tokens" not in record for record in run_json(*args)["worst"])
    plain_csv = run(*args, "-f", "csv").stdout
    assert plain_csv.splitlines()[0] == "rank,position,kl_divergence,p_top,q_top,same_top"
    with_tokens = run_json(*args, "--tokens", "2")["worst"]
    rows = list(csv.DictReader(io.StringIO(run(*args, "--tokens", "2", "-f", "csv").stdout)))
    for row, record in zip(rows, with_tokens):
        for index, token in enumerate(record["tokens"], start=1):
            assert int(row[f"token_{index}"]) == token["token"]
            for field in ("p", "q", "term"):
                assert float(row[f"token_{index}_{field}"]) == token[field]
    assert "token_3" not in rows[0]
    assert run_json(*args, "--tokens", "0") == run_json(*args)
    table = run(*args).stdout
    assert "their tokens of largest |p·ln(p/q)|" in table
    lines = table.split("their tokens")[1].split("D(P‖Q) per position")[0]
    assert len([line for line in lines.splitlines() if re.match(r"\s+\d+ │\s+\d+ │\s+\d+ │", line)]) == 3
    assert len(re.findall(r"│\s+[\d.]+%|│\s+-[\d.]+%", lines)) == 15  # 5 tokens each by default
    assert "their tokens" not in run(*args, "--tokens", "0").stdout


def test_an_infinite_term_comes_first_and_p_zero_adds_nothing(run_json):
    # position 1: q = 0 where p = 0.1 (+inf); position 2: p = 0 on the last token (no term there)
    # (position 1 and 2 in the order of their KL: +inf first)
    document = run_json("lm", "0.5,0.4,0.1;0.5,0.5,0", "0.5,0.5,0;0.25,0.6,0.15", "--p-as", "probs", "--q-as",
                        "probs", "--top", "2", "--tokens", "3")
    first, second = document["worst"]
    assert first["position"] == 1 and first["tokens"][0] == {"token": 2, "p": 0.1, "q": 0.0, "term": "inf"}
    assert [token["token"] for token in second["tokens"]] == [0, 1]  # not token 2, where p = 0
    assert math.isclose(second["tokens"][0]["term"], 0.5 * math.log(2), rel_tol=1e-15)
    assert math.isclose(second["tokens"][1]["term"], 0.5 * math.log(0.5 / 0.6), rel_tol=1e-14)
    same = run_json("lm", "1,2,3", "1,2,3", "--top", "1", "--tokens", "3")
    assert same["worst"][0]["tokens"] == []


@pytest.mark.parametrize("args, words", [
    (("--top", "2", "--tokens", "-1"), "-1 is not a number of tokens"),
    (("--tokens", "2"), "--tokens lists the tokens of the --top positions"),
    (("--top", "2", "--tokens", "2", "-q"), "-q prints only each position and its KL"),
    (("--measures", "js,nope"), "'nope' is not a measure"),
    (("--measures", "wasserstein_1"), "token ids are not ordered"),
    (("--measures", "js", "-q"), "-q prints only D(P‖Q)"),
    (("--svg", "x.svg", "-f", "csv"), "--svg saves the table"),
])
def test_report_options_it_refuses(run, args, words):
    result = run("lm", "1,2;2,1", "1,1;2,2", *args)
    assert result.exit_code == 2 and words in result.stderr


# --------------------------------------------------------------------------------------------
# the histogram


def table_histogram(table: str) -> tuple[list[float], list[int], int, int]:
    """The histogram of lm's table: the edges, each bin's count, the count of KL 0 and of +inf."""
    section = table.split("a histogram on a log scale")[1].split("\n\n")[0]
    edges, counts, zero, infinite = [], [], 0, 0
    for line in section.splitlines():
        found = re.match(r"\s*\[([^,]+), ([^)]+)\)\s+│\s+(\d+)", line)
        if found:
            low, high, count = float(found[1]), float(found[2]), int(found[3])
            edges = (edges or [low]) + [high]
            counts.append(count)
        elif re.match(r"\s*0\s+│", line):
            zero = int(line.split("│")[1])
        elif re.match(r"\s*\+inf\s+│", line):
            infinite = int(line.split("│")[1])
    return edges, counts, zero, infinite


def test_the_histogram_is_numpys_over_the_positions(run, run_json, models, tmp_path):
    folder, p, q = models
    # a few positions where Q is P (KL 0) and one where Q masks a token P gives weight (KL +inf)
    q = q.copy()
    q[:5], q[7, 3] = p[:5], -np.inf
    np.save(tmp_path / "candidate.npy", q)
    args = ("lm", folder / "base.npy", tmp_path / "candidate.npy")
    kl = np.array([row["kl_divergence"] for row in run_json(*args, "--reduction", "row")["rows"]], dtype=float)
    edges, counts, zero, infinite = table_histogram(run(*args).stdout)
    positive = kl[(kl > 0) & np.isfinite(kl)]
    assert counts == np.histogram(positive, edges)[0].tolist()
    assert edges[0] <= positive.min() < edges[1] and edges[-2] <= positive.max() < edges[-1]
    assert (zero, infinite) == (5, 1) and sum(counts) + zero + infinite == 300
    assert all(re.fullmatch(r"[125]e-?\d+", f"{edge:.0e}".replace("e+0", "e").replace("e-0", "e-")) or edge >= 1
               for edge in edges)


def test_wide_spans_have_a_bin_a_decade_and_gather_the_smallest():
    from divcli.computations.lm_histogram import MAX_DECADES, edges, histogram

    assert edges(0.007, 0.2) == [0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5]
    assert edges(3e-9, 2.0) == [10.0 ** k for k in range(-9, 2)]
    wide = edges(1e-300, 5.0)
    assert len(wide) == MAX_DECADES + 1 and wide[0] == 1e-300 and wide[1:] == [float(f"1e{k}") for k in range(-10, 2)]
    values = np.array([0.0, 1e-300, 1e-200, 1e-5, 0.3, 4.9, np.inf])
    found = histogram(values)
    assert found.counts == np.histogram(values[(values > 0) & (values < np.inf)], found.edges)[0].tolist()
    assert found.counts[0] == 2 and (found.zero, found.infinite) == (1, 1)
    assert histogram(np.zeros(3)) .counts == [] and histogram(np.zeros(3)).zero == 3


def test_svg_is_well_formed_with_a_bar_a_bin(run, models, tmp_path):
    folder, *_ = models
    picture = tmp_path / "lm.svg"
    result = run("lm", folder / "base.npy", folder / "candidate.npy", "--svg", picture)
    assert result.exit_code == 0, result.stderr
    _, counts, zero, infinite = table_histogram(result.stdout)
    root = ElementTree.parse(picture).getroot()
    assert root.tag.endswith("svg")
    texts = ["".join(element.itertext()) for element in root.iter() if element.tag.endswith("text")]
    bars = [text for text in texts if re.match(r"[█▏▎▍▌▋▊▉]", text)]
    assert len(bars) == sum(1 for count in counts + [zero, infinite] if count) > 3


# --------------------------------------------------------------------------------------------
# --measures


def test_measures_are_compares_rows(run, run_json, models):
    folder, *_ = models
    compare = run("compare", folder / "base.npy", folder / "candidate.npy", "--p-as", "logits", "--q-as", "logits",
                  "--reduction", "row", "-f", "csv")
    assert compare.exit_code == 0, compare.stderr
    theirs = list(csv.DictReader(io.StringIO(compare.stdout)))
    document = run_json("lm", folder / "base.npy", folder / "candidate.npy", "--measures", "all", "--reduction", "row")
    ours, statistics = document["rows"], document["statistics"]
    keys = [key for key in theirs[0] if key not in ("row", "wasserstein_1")]
    assert [key for key in ours[0] if key in theirs[0]] == keys  # every measure of compare, in its order
    for key in keys:
        expected = np.array([float(row[key]) for row in theirs])
        found = np.array([row[key] for row in ours], dtype=float)
        np.testing.assert_allclose(found, expected, rtol=1e-13, atol=1e-300, err_msg=key)
        assert math.isclose(statistics[f"{key}_mean"], float(np.mean(expected)), rel_tol=1e-12)
        assert math.isclose(statistics[f"{key}_se"], float(np.std(expected, ddof=1) / math.sqrt(expected.size)),
                            rel_tol=1e-9)


def test_measures_go_with_top_csv_and_the_table(run, run_json, models):
    folder, *_ = models
    args = ("lm", folder / "base.npy", folder / "candidate.npy", "--measures", "js,tv,js")
    worst = run_json(*args, "--top", "3")["worst"]
    rows = {row["position"]: row for row in run_json(*args, "--reduction", "row")["rows"]}
    assert [list(record)[-2:] for record in worst] == [["js_divergence", "total_variation"]] * 3
    assert all(record == rows[record["position"]] for record in worst)
    statistics = dict(csv.reader(io.StringIO(run(*args, "-f", "csv").stdout)))
    assert list(statistics)[-4:] == ["js_divergence_mean", "js_divergence_se", "total_variation_mean",
                                     "total_variation_se"]
    table = run(*args).stdout
    assert "other measures per position" in table and "Jensen–Shannon divergence" in table
    assert "±" in table.split("other measures per position")[1]


def test_the_totals_of_two_shards_merge_as_one_run(models):
    """What the Dask engine does: the totals of the positions that follow merged in, the tokens and the
    measures' moments with them (their positions counted on)."""
    from divcli.computations.lm import LanguageModels
    from divcli.computations.lm_measures import chosen
    from divcli.engine.loop import Warnings, compute_blocks
    from divcli.readers.reading import open_blocks
    from divcli.vocabulary import make_options

    folder, p, q = models
    options = make_options("logits", "logits", "mean", "e")
    computation = LanguageModels(top=6, tokens=3, measures=tuple(chosen("js,hellinger")))

    def totals(rows: slice, name: str):
        for array, side in ((p, "p"), (q, "q")):
            np.save(folder / f"{name}_{side}.npy", array[rows])
        operands = [open_blocks(str(folder / f"{name}_{side}.npy"), None) for side in "pq"]
        start = computation.start(operands, options)
        return start, compute_blocks(computation, start, options, _Nowhere(), Warnings(lambda message: None))

    start, whole = totals(slice(None), "whole")
    _, first = totals(slice(0, 170), "first")
    _, second = totals(slice(170, None), "second")
    first.merge(second, [False, False])
    merged, expected = (computation.summarise(start, part.totals, part.rows, []) for part in (first, whole))
    assert merged.worst.position.tolist() == expected.worst.position.tolist()
    assert [found.records() for found in merged.tokens] == [found.records() for found in expected.tokens]
    for key, value in expected.statistics.items():
        assert math.isclose(merged.statistics[key], value, rel_tol=1e-12) if value else merged.statistics[key] == value


class _Nowhere:
    def rows(self, block) -> None:
        pass


def test_moments_merge_as_numpy_computes_them():
    from divcli.computations.lm_measures import Moments

    values = np.random.default_rng(2).lognormal(size=1001)
    moments = Moments()
    for part in np.split(values, [1, 2, 300, 301, 800]):
        moments.add(part)
    statistics = moments.statistics("x")
    assert math.isclose(statistics["x_mean"], float(np.mean(values)), rel_tol=1e-14)
    assert math.isclose(statistics["x_se"], float(np.std(values, ddof=1) / math.sqrt(values.size)), rel_tol=1e-13)
    one = Moments()
    one.add(np.array([2.5]))
    assert one.statistics("y") == {"y_mean": 2.5, "y_se": None}
