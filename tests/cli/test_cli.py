"""The command line: the seed notebook's numbers, operands, kinds, options and output formats."""

from __future__ import annotations

import csv
import io
import json
import math
import re
from pathlib import Path

import numpy as np
import pytest

from helpers.files import write_rows
from divcli.output import tables
from divcli.readers.reading import open_blocks

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
S = {path.stem: str(path) for path in SAMPLES.iterdir()}


def quiet(run, *args, **kwargs) -> list[str]:
    result = run(args[0], "-q", *args[1:], **kwargs)
    assert result.exit_code == 0, result.stderr
    return result.stdout.splitlines()


# --------------------------------------------------------------------------------------------
# every number of the seed notebook


def test_seed_kl_literal(run):
    (line,) = quiet(run, "kl", "9/25,12/25,4/25", "1/3,1/3,1/3")
    assert line.startswith("0.085299601318")


def test_seed_kl_from_sample_files(run):
    (line,) = quiet(run, "kl", S["target"], S["uniform"])
    assert math.isclose(float(line), 0.08529960131837055, rel_tol=1e-12)


@pytest.mark.parametrize("args", [
    ("ce", S["labels"], S["logits"], "--p-as", "labels", "--q-as", "logits"),
    ("ce", "2;4;1", S["logits"], "--p-as", "labels", "--q-as", "logits"),
    ("ce", S["onehot"], S["logits"], "--q-as", "logits"),
    ("kl", S["onehot"], S["logits"], "--q-as", "logits"),
    ("kl", S["labels"], S["logits"], "--p-as", "labels", "--q-as", "logits"),
])
def test_seed_cross_entropy_three_ways(run, args):
    (line,) = quiet(run, *args)
    assert math.isclose(float(line), 1.5333611167290577, rel_tol=1e-12)


def test_seed_element_terms(run):
    args = ("kl", S["target_logits"], S["input_logits"], "--p-as", "logits", "--q-as", "logits")
    (terms,) = quiet(run, *args, "--reduction", "none")
    assert [round(float(x), 4) for x in terms.split(",")] == [-0.0635, 0.0116, 0.1097, -0.019]
    (mean,) = quiet(run, *args, "--reduction", "mean")
    (total,) = quiet(run, *args, "--reduction", "sum")
    assert round(float(mean), 4) == 0.0097 and round(float(total), 4) == 0.0389
    assert math.isclose(float(total), sum(map(float, terms.split(","))), rel_tol=1e-14)


# --------------------------------------------------------------------------------------------
# operands


def test_negative_literals_need_no_double_dash(run):
    with_dashes = quiet(run, "kl", "--p-as", "logits", "--q-as", "logits", "--", "-0.7,0.1,-0.1,0.1", "-0.1,0.2,-0.4,0.3")
    for order in (
        ("kl", "-0.7,0.1,-0.1,0.1", "-0.1,0.2,-0.4,0.3", "--p-as", "logits", "--q-as", "logits"),
        ("kl", "--p-as", "logits", "-0.7,0.1,-0.1,0.1", "--q-as", "logits", "-0.1,0.2,-0.4,0.3"),
        ("kl", "-T", "1", "-0.7,0.1,-0.1,0.1", "-0.1,0.2,-0.4,0.3", "--p-as=logits", "--q-as", "logits"),
    ):
        assert quiet(run, *order) == with_dashes


def test_negative_literal_keeps_operand_order(run):
    forward = quiet(run, "kl", "-1,0,1", "1,0,-1", "--p-as", "logits", "--q-as", "logits")
    backward = quiet(run, "kl", "1,0,-1", "-1,0,1", "--p-as", "logits", "--q-as", "logits")
    # symmetric here by construction, so compare with a genuinely different pair too
    other = quiet(run, "kl", "-2,0,1", "1,0,-1", "--p-as", "logits", "--q-as", "logits")
    swapped = quiet(run, "kl", "1,0,-1", "-2,0,1", "--p-as", "logits", "--q-as", "logits")
    assert forward == backward and other != swapped


def test_stdin_operand_csv_and_json(run):
    from_file = quiet(run, "kl", S["target"], S["uniform"])
    assert quiet(run, "kl", "-", S["uniform"], input=Path(S["target"]).read_text()) == from_file
    assert quiet(run, "kl", "-", S["uniform"], input='{"a": 0.36, "b": 0.48, "c": 0.16}') == from_file
    assert quiet(run, "kl", S["target"], "-", input="[[0.3333333333333333, 0.3333333333333333, 0.3333333333333334]]")


def test_json_literal_and_json_file(run, tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps([[0.36, 0.48, 0.16]]))
    assert quiet(run, "kl", str(path), "1/3,1/3,1/3") == quiet(run, "kl", "[0.36, 0.48, 0.16]", "1/3,1/3,1/3")


def test_named_classes_from_json(run_json):
    doc = run_json("kl", S["sentiment_p"], S["sentiment_q"])
    assert doc["classes"] == ["positive", "neutral", "negative"]
    p = np.array([[0.7, 0.2, 0.1], [0.1, 0.3, 0.6]])
    q = np.array([[0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    expected = (p * np.log(p / q)).sum(axis=1)
    np.testing.assert_allclose([row["kl_divergence"] for row in doc["rows"]], expected, rtol=1e-13)
    assert math.isclose(doc["value"], expected.mean(), rel_tol=1e-13)


def test_columns_takes_each_column_as_a_distribution(run, tmp_path):
    rows = write_rows(tmp_path / "rows.csv", [[0.2, 0.8], [0.5, 0.5]])
    cols = write_rows(tmp_path / "cols.csv", [[0.2, 0.5], [0.8, 0.5]])
    q = write_rows(tmp_path / "q.csv", [[0.4, 0.6], [0.9, 0.1]])
    qcols = write_rows(tmp_path / "qcols.csv", [[0.4, 0.9], [0.6, 0.1]])
    assert quiet(run, "kl", cols, qcols, "--columns", "--reduction", "none") == \
        quiet(run, "kl", rows, q, "--reduction", "none")


def test_one_row_is_broadcast(run):
    q = "0.1,0.9;0.5,0.5;0.9,0.1"
    broadcast = quiet(run, "kl", "0.3,0.7", q, "--reduction", "none")
    spelled_out = quiet(run, "kl", "0.3,0.7;0.3,0.7;0.3,0.7", q, "--reduction", "none")
    assert broadcast == spelled_out and len(broadcast) == 3


def test_normalize_counts_as_scipy_does(run):
    a = np.array([120, 340, 410, 280, 95, 30.0])
    b = np.array([90, 300, 450, 320, 140, 12.0])
    pa, pb = a / a.sum(), b / b.sum()
    (line,) = quiet(run, "kl", S["hist_a"], S["hist_b"], "--normalize")
    assert math.isclose(float(line), float(np.sum(pa * np.log(pa / pb))), rel_tol=1e-13)


# --------------------------------------------------------------------------------------------
# kinds and options


def test_huge_logits_do_not_overflow(run):
    (line,) = quiet(run, "kl", "1e4,0,-1e4", "0,1e4,-1e4", "--p-as", "logits", "--q-as", "logits")
    assert math.isclose(float(line), 1e4, rel_tol=1e-12)


def test_temperature_divides_logits(run):
    (hot,) = quiet(run, "kl", "2,0,-2", "0,2,-2", "--p-as", "logits", "--q-as", "logits", "-T", "2")
    (cold,) = quiet(run, "kl", "1,0,-1", "0,1,-1", "--p-as", "logits", "--q-as", "logits")
    assert float(hot) == pytest.approx(float(cold), rel=1e-14)  # within the accuracy contract


@pytest.mark.parametrize("base, unit, divisor", [("2", "bits", math.log(2)), ("10", "bans", math.log(10)),
                                                  ("3", "log-base-3 units", math.log(3))])
def test_base_changes_the_unit(run_json, base, unit, divisor):
    nats = run_json("entropy", "0.5,0.25,0.25")["value"]
    doc = run_json("entropy", "0.5,0.25,0.25", "--base", base)
    assert doc["unit"] == unit and math.isclose(doc["value"], nats / divisor, rel_tol=1e-15)


def test_entropy_in_bits_by_hand(run):
    assert quiet(run, "entropy", "0.5,0.25,0.25", "--base", "2") == ["1.5"]


def test_infinite_kl_is_a_result_with_a_warning(run):
    result = run("kl", "0.5,0.5", "1,0", "-f", "json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["value"] == "inf"
    assert "row 1" in result.stderr and "class '1'" in result.stderr and "q = 0" in result.stderr


def test_ce_weight_and_smoothing_reach_the_numbers(run):
    base = ("ce", "2;4;1", S["logits"], "--p-as", "labels", "--q-as", "logits")
    plain = float(quiet(run, *base)[0])
    weighted = float(quiet(run, *base, "--weight", "1,1,3,1,1")[0])
    smoothed = float(quiet(run, *base, "--label-smoothing", "0.1")[0])
    assert len({plain, weighted, smoothed}) == 3


def test_ce_ignore_index_skips_rows(run_json):
    doc = run_json("ce", "2;-100;1", S["logits"], "--p-as", "labels", "--q-as", "logits", "--reduction", "none")
    assert doc["value"][1] == 0.0 and doc["rows"][1]["ignored"] is True
    assert doc["rows"][1]["kl_divergence"] is None
    mean = run_json("ce", "2;-100;1", S["logits"], "--p-as", "labels", "--q-as", "logits")["value"]
    assert math.isclose(mean, (doc["value"][0] + doc["value"][2]) / 2, rel_tol=1e-15)


# --------------------------------------------------------------------------------------------
# output formats


def test_json_document(run_json):
    doc = run_json("kl", "9/25,12/25,4/25", "1/3,1/3,1/3")
    for key in ("command", "unit", "reduction", "value", "rows", "quantity", "direction", "reductions"):
        assert key in doc
    assert doc["command"] == "kl" and doc["unit"] == "nats" and doc["reduction"] == "batchmean"
    (row,) = doc["rows"]
    assert math.isclose(row["cross_entropy"], row["entropy_p"] + row["kl_divergence"], rel_tol=1e-15)
    assert doc["reductions"]["mean"] * 3 == pytest.approx(doc["reductions"]["sum"], rel=1e-15)


def test_json_none_gives_element_terms(run_json):
    doc = run_json("kl", S["teacher"], S["student"], "--p-as", "logits", "--q-as", "logits", "--reduction", "none")
    assert np.array(doc["value"]).shape == (8, 6)
    assert list(doc["rows"][0]["terms"]) == ["cat", "dog", "bird", "fish", "horse", "frog"]


def test_csv_reads_back_exactly(run, run_json):
    result = run("kl", S["teacher"], S["student"], "--p-as", "logits", "--q-as", "logits", "-f", "csv")
    assert result.exit_code == 0
    records = list(csv.DictReader(io.StringIO(result.stdout)))
    doc = run_json("kl", S["teacher"], S["student"], "--p-as", "logits", "--q-as", "logits")
    assert len(records) == 8
    for record, row in zip(records, doc["rows"]):
        assert float(record["kl_divergence"]) == row["kl_divergence"]
        assert float(record["cross_entropy"]) == row["cross_entropy"]


def test_csv_none_has_a_column_per_term(run):
    result = run("kl", "0.2,0.8;0.5,0.5", "0.5,0.5", "-f", "csv", "--reduction", "none")
    header = result.stdout.splitlines()[0].split(",")
    assert header[-2:] == ["term:0", "term:1"]


def test_quiet_is_the_shortest_round_trip(run_json, run):
    doc = run_json("ce", S["labels"], S["logits"], "--p-as", "labels", "--q-as", "logits")
    (line,) = quiet(run, "ce", S["labels"], S["logits"], "--p-as", "labels", "--q-as", "logits")
    assert line == repr(doc["value"])


def test_output_file_and_nothing_on_stdout(run, tmp_path):
    out = tmp_path / "out.json"
    result = run("kl", "9/25,12/25,4/25", "1/3,1/3,1/3", "-f", "json", "-o", str(out))
    assert result.exit_code == 0 and result.stdout == ""
    assert json.loads(out.read_text())["command"] == "kl"
    assert [p.name for p in tmp_path.iterdir()] == ["out.json"]


def test_table_names_direction_unit_and_check(run):
    result = run("kl", "9/25,12/25,4/25", "1/3,1/3,1/3", env={"COLUMNS": "100"})
    text = result.stdout
    assert "D(P‖Q)" in text and "nats" in text and "P (reference)" in text and "Q (model)" in text
    assert "✓" in text and "batchmean" in text and "◀ reported" in text
    assert "Gibbs" in text  # a negative term is explained
    assert "\x1b[" not in text  # no colour codes in a pipe


def test_check_column_is_relative_to_the_values(run):
    """Rows of H(P,Q) ≈ 2.5e8: the identity holds to rounding (≈ 3e-8 left of 2.1e8 is 1.4e-16 of
    it), so both rows are ✓, not ✗ as an absolute 1e-9 made them; the CSV shows the residual."""
    args = ("kl", "0.5,0.5;0.3,0.7", "0,-5e8;0,-3e8", "--q-as", "logits")
    rows = list(csv.DictReader(io.StringIO(run(*args, "-f", "csv").stdout)))
    assert any(abs(float(row["check"])) > 1e-9 for row in rows)  # the case the absolute rule got wrong
    result = run(*args, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    marks = [line.split("│")[-1].strip()[0] for line in result.stdout.splitlines() if re.match(r"\s*[12] │", line)]
    assert marks == ["✓", "✓"], result.stdout


@pytest.mark.parametrize(("check", "values", "holds"), [
    (3e-8, (2.1e8, 0.61, 2.1e8), True),
    (3e-8, (2.1, 0.61, 1.5), False),
    (-1.7e-16, (1.0986, 1.0133, 0.0853), True),
    (5e-13, (0.001, 0.0005, 0.0005), True),      # below 1, the bound is 1e-12
    (2e-12, (0.001, 0.0005, 0.0005), False),
    (2e-11, (30.0, 20.0, 10.0), True),
    (4e-11, (30.0, 20.0, 10.0), False),
    (1e-13, (None, None, 0.5), True),            # a value that does not exist counts for nothing
])
def test_check_holds_to_rounding_of_the_largest_value(check, values, holds):
    record = dict(zip(("cross_entropy", "entropy_p", "kl_divergence"), values), check=check)
    assert tables.check_holds(check, *values) is holds
    assert tables.check_text(record).startswith("✓" if holds else "✗")


def test_table_of_a_large_input_shows_first_and_last_rows(run, tmp_path):
    rng = np.random.default_rng(0)
    p = write_rows(tmp_path / "p.csv", rng.normal(size=(500, 4)).round(3).tolist())
    q = write_rows(tmp_path / "q.csv", rng.normal(size=(500, 4)).round(3).tolist())
    result = run("kl", p, q, "--p-as", "logits", "--q-as", "logits")
    lines = result.stdout.splitlines()
    assert len(lines) < 60
    assert any(re.match(r"\s*1 │", line) for line in lines) and any(re.match(r"\s*500 │", line) for line in lines)
    assert "480 rows" in result.stdout


def test_table_escapes_class_names(run, tmp_path):
    p = write_rows(tmp_path / "p.csv", [[0.5, 0.5]], header=["[CLS]", "[bold]x"])
    result = run("entropy", p)
    assert "[CLS]" in result.stdout and "[bold]x" in result.stdout


# --------------------------------------------------------------------------------------------
# help and version


def test_version(run):
    import divcli

    result = run("--version")
    assert result.exit_code == 0 and divcli.__version__ in result.stdout


@pytest.mark.parametrize("command", ["kl", "ce", "entropy", "js", "compare", "matrix", "measures", "explain",
                                     "libraries"])
def test_help_examples_work(run, command, monkeypatch):
    """Every example in a command's --help runs and succeeds (from the repository root)."""
    import shlex

    monkeypatch.chdir(SAMPLES.parent)
    help_text = run(command, "--help").stdout
    examples = [line.strip() for line in help_text.splitlines() if line.strip().startswith("divcli ")]
    assert len(examples) >= 2
    for example in examples:
        args = shlex.split(example)[1:]
        result = run(*args)
        assert result.exit_code == 0, (example, result.stderr)
        assert result.stdout


def _breakdown_rows(table: str) -> list[list[str]]:
    """The class rows of every per-class breakdown in a table: their cells, stripped."""
    rows, inside = [], False
    for line in table.splitlines():
        if line.lstrip().startswith("class ┃"):
            inside = True
        elif line.lstrip().startswith("─"):
            inside = False
        elif inside and "│" in line:
            rows.append([cell.strip() for cell in line.split("│")])
    return rows


def test_seed_log_softmax_and_softmax_values_are_in_the_tables(run):
    """In[44], In[59], In[79], In[80] of the notebook: log_softmax and softmax, to its 4 decimals."""
    table = run("ce", S["labels"], S["logits"], "--p-as", "labels", "--q-as", "logits",
                env={"COLUMNS": "120"}).stdout
    log_q = [[float(cells[3]) for cells in _breakdown_rows(table)[i * 5:(i + 1) * 5]] for i in range(3)]
    # the notebook's logits were float32 shown to 4 decimals, so its log_softmax agrees to ±1e-4
    np.testing.assert_allclose(log_q, [[-1.3284, -2.1583, -1.3804, -1.2631, -2.4612],
                                       [-1.8530, -2.7181, -1.0920, -1.1668, -2.0378],
                                       [-3.6826, -1.1819, -0.9225, -1.9895, -2.0108]], atol=1.5e-4)
    table = run("kl", S["target_logits"], S["input_logits"], "--p-as", "logits", "--q-as", "logits",
                env={"COLUMNS": "120"}).stdout
    rows = _breakdown_rows(table)
    columns = {name: [round(float(cells[i]), 4) for cells in rows] for i, name in enumerate(
        ["class", "p", "q", "log p", "log q", "term"]) if name != "class"}
    assert columns["q"] == [0.2182, 0.2946, 0.1617, 0.3255]          # softmax(input)
    assert columns["log q"] == [-1.5222, -1.2222, -1.8222, -1.1222]  # log_softmax(input)
    assert columns["p"] == [0.1375, 0.3060, 0.2505, 0.3060]          # softmax(target)
    assert columns["log p"] == [-1.9842, -1.1842, -1.3842, -1.1842]
    assert columns["term"] == [-0.0635, 0.0116, 0.1097, -0.0190]


@pytest.mark.parametrize("text, delimiter", [("0.36;0.48;0.16\n", ";"), ("0.36\t0.48\t0.16\n", "tab"),
                                             ("0.36|0.48|0.16\n", "|"), ("0.36  0.48 0.16\n", "space")])
def test_delimiter_option_reads_what_the_extension_would_not(run, tmp_path, text, delimiter):
    """A .csv whose first line holds no comma is sniffed as standard input is (; tab, spaces between
    numbers); a pipe is no delimiter divcli sniffs, and the message names the option."""
    path = tmp_path / "p.csv"
    path.write_text(text)
    expected = quiet(run, "kl", "0.36,0.48,0.16", "1/3,1/3,1/3")
    plain = run("kl", str(path), "1/3,1/3,1/3", "-q")
    if delimiter == "|":
        assert plain.exit_code == 1 and "--delimiter '|'" in plain.stderr
    else:
        assert plain.exit_code == 0 and plain.stdout.split() == expected
    assert quiet(run, "kl", str(path), "1/3,1/3,1/3", "--delimiter", delimiter) == expected


def test_delimiter_option_applies_to_stdin_but_not_to_literals(run):
    assert quiet(run, "entropy", "-", "--delimiter", "|", input="0.5|0.5\n") == ["0.6931471805599453"]
    assert quiet(run, "entropy", "0.5,0.5", "--delimiter", ";") == ["0.6931471805599453"]


def test_npy_and_npz_operands(run, tmp_path):
    p, q = np.array([[0.36, 0.48, 0.16], [0.2, 0.3, 0.5]]), np.array([1 / 3, 1 / 3, 1 / 3])
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q32.npy", q.astype(np.float32))
    np.savez(tmp_path / "pq.npz", p=p, q=q)
    np.savez(tmp_path / "one.npz", only=p)
    expected = quiet(run, "kl", "0.36,0.48,0.16;0.2,0.3,0.5", "1/3,1/3,1/3")
    assert quiet(run, "kl", tmp_path / "pq.npz:p", tmp_path / "pq.npz:q") == expected
    assert quiet(run, "kl", tmp_path / "p.npy", tmp_path / "pq.npz:q") == expected
    assert quiet(run, "kl", tmp_path / "one.npz", tmp_path / "pq.npz:q") == expected
    # float32 input is widened to float64 before any arithmetic (and, as every probability row, taken
    # as the distribution it is within --tolerance: divided by its sum)
    (line,) = quiet(run, "kl", tmp_path / "p.npy", tmp_path / "q32.npy", "--tolerance", "1e-6")
    q32 = q.astype(np.float32).astype(np.float64)
    q32 = q32 / q32.sum()
    assert float(line) == pytest.approx(np.mean(np.sum(p * np.log(p / q32), axis=1)), rel=1e-14)


@pytest.mark.slow
@pytest.mark.parametrize("dtype", [np.float32, np.int16, np.dtype(">f8")])
def test_a_large_npy_not_in_float64_is_widened_a_block_at_a_time(run, tmp_path, dtype):
    """A float32, integer or big-endian .npy is read a block of rows at a time as stored (never copied
    whole into float64); every block is widened as it is read, and the numbers are those of the
    float64 copy."""
    rng = np.random.default_rng(5)
    values = (rng.integers(-20, 20, (300_000, 4)) if np.dtype(dtype).kind == "i"
              else rng.normal(0, 3, (300_000, 4))).astype(dtype)
    np.save(tmp_path / "p.npy", values)
    np.save(tmp_path / "p64.npy", values.astype(np.float64))
    blocks = open_blocks(str(tmp_path / "p.npy"), None)
    assert blocks.dtype == np.dtype(dtype) and not hasattr(blocks, "operand")
    block = blocks.read(1000)
    assert block.values.dtype == np.float64 and np.array_equal(block.values, values[:1000].astype(np.float64))
    args = ["--p-as", "logits", "--q-as", "logits", "-f", "csv"]
    stored = run("kl", tmp_path / "p.npy", "0,1,2,3", *args)
    widened = run("kl", tmp_path / "p64.npy", "0,1,2,3", *args)
    assert stored.exit_code == 0 and stored.stdout == widened.stdout
    assert len(stored.stdout.splitlines()) == 300_001


@pytest.mark.parametrize("make, spec, words", [
    (lambda d: np.savez(d / "a.npz", p=np.ones(2), q=np.ones(2)), "a.npz", "more than one array"),
    (lambda d: np.savez(d / "a.npz", p=np.ones(2)), "a.npz:zz", "no array 'zz'"),
    (lambda d: np.save(d / "a.npy", np.array(["x", "y"])), "a.npy", "not real numbers"),
    (lambda d: np.save(d / "a.npy", np.ones((2, 2, 2))), "a.npy", "shape (2, 2, 2)"),
    (lambda d: np.save(d / "a.npy", np.array([0.5, np.nan])), "a.npy", "nan is not a value"),
    (lambda d: (d / "a.npy").write_bytes(b"garbage"), "a.npy", "not a .npy file"),
])
def test_bad_numpy_files(run, tmp_path, make, spec, words):
    make(tmp_path)
    result = run("entropy", tmp_path / spec)
    assert result.exit_code == 1 and result.stdout == "" and words in result.stderr
    assert "Traceback" not in result.stderr


def test_nan_deep_in_a_large_npy_is_located(run, tmp_path):
    """The nan check reads a memory-mapped .npy a slice of rows at a time; the row is still exact."""
    values = np.full((300_000, 4), 0.25)
    values[280_000, 2] = np.nan
    np.save(tmp_path / "p.npy", values)
    result = run("entropy", tmp_path / "p.npy")
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{tmp_path / 'p.npy'}: row 280001, item 3: nan is not a value" in result.stderr
