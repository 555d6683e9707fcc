"""Block-by-block reading and computing: the same numbers, messages and output whatever the block
size and whatever the source (file, standard input, literal, JSON, .npy), with errors located in
later blocks. Blocks are made tiny here so that every input crosses many block boundaries."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import example, given, settings, strategies as st

from divcli import vocabulary
from divcli.readers import sizes
from divcli.engine import collect
from divcli.computations import runs
from helpers.extras import needs
from helpers.fuzz_target import streamed_equals_whole

ROWS = 23


@pytest.fixture
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 3)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 10)  # then 2 rows of 5 classes (5 of 2) per block


def _logits(seed: int, rows: int = ROWS, classes: int = 5) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, 2, (rows, classes)).round(4)


def _sources(values: np.ndarray, folder, stem: str) -> dict:
    """The same table as CSV (with a header and blank lines), TSV, JSON Lines, JSON, .npy, literal."""
    rows = [",".join(map(repr, row)) for row in values.tolist()]
    csv = folder / f"{stem}.csv"
    csv.write_text("c0,c1,c2,c3,c4\n" + "\n\n".join(rows) + "\n")
    tsv = folder / f"{stem}.tsv"
    tsv.write_text("\n".join(row.replace(",", "\t") for row in rows) + "\n")
    jsonl = folder / f"{stem}.jsonl"
    jsonl.write_text("\n".join(json.dumps(row) for row in values.tolist()) + "\n")
    whole = folder / f"{stem}.json"
    whole.write_text(json.dumps(values.tolist()))
    np.save(folder / f"{stem}.npy", values)
    return {"csv": str(csv), "tsv": str(tsv), "jsonl": str(jsonl), "json": str(whole),
            "npy": str(folder / f"{stem}.npy"), "literal": ";".join(rows)}


@pytest.mark.parametrize("fmt", [("-q",), ("-q", "--reduction", "none"), ("-f", "csv"), ("-f", "json")])
def test_every_source_gives_the_same_output_across_blocks(run, tmp_path, tiny_blocks, fmt):
    p = _sources(_logits(1), tmp_path, "p")
    q = _sources(_logits(2), tmp_path, "q")
    kinds = ("--p-as", "logits", "--q-as", "logits")
    outputs = {}
    for name in p:
        result = run("kl", p[name], q["npy"], *kinds, *fmt)
        assert result.exit_code == 0, (name, result.stderr)
        outputs[name] = result.stdout.replace(p[name], "P")
    stdin = run("kl", "-", q["csv"], *kinds, *fmt, input=Path(p["csv"]).read_text())
    outputs["stdin"] = stdin.stdout.replace("<stdin>", "P")
    reference = outputs.pop("npy")
    for name, output in outputs.items():
        if fmt[-1] == "json":  # names and sources differ; the numbers must not
            document, expected = json.loads(output), json.loads(reference)
            assert document["value"] == expected["value"] and document["rows"] == expected["rows"], name
            assert document["reductions"] == expected["reductions"], name
        elif fmt[-1] == "csv" and name == "csv":  # the header names the classes: no other difference
            assert output == reference, name
        else:
            assert output == reference, name


def test_blocked_numbers_equal_the_numbers_of_one_block(run, tmp_path, tiny_blocks, monkeypatch):
    p = _sources(_logits(3), tmp_path, "p")
    q = _sources(_logits(4), tmp_path, "q")
    args = ("kl", p["csv"], q["csv"], "--p-as", "logits", "--q-as", "logits", "-f", "json")
    blocked = json.loads(run(*args).stdout)
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 10_000)
    whole = json.loads(run(*args).stdout)
    assert blocked["rows"] == whole["rows"]
    for name, value in whole["reductions"].items():
        assert blocked["reductions"][name] == pytest.approx(value, rel=1e-15, abs=1e-15)


def test_an_error_in_a_later_block_names_its_line(run, tmp_path, tiny_blocks):
    lines = ["0.2,0.8"] * 30
    lines[17] = "0.2,0.9"
    p = tmp_path / "p.csv"
    p.write_text("a,b\n" + "\n".join(lines) + "\n")
    result = run("entropy", str(p))
    assert result.exit_code == 1 and result.stdout == ""
    assert f"{p}:19: this row sums to 1.1" in result.stderr


def test_a_ragged_row_in_a_later_block(run, tmp_path, tiny_blocks):
    lines = ["0.2,0.8"] * 30
    lines[25] = "0.2,0.3,0.5"
    p = tmp_path / "p.csv"
    p.write_text("\n".join(lines) + "\n")
    result = run("entropy", str(p))
    assert result.exit_code == 1 and f"{p}:26" in result.stderr and "3 values" in result.stderr


@pytest.mark.parametrize("p_rows, q_rows, words", [
    (20, 21, ("P has 20 rows", "Q has 21")),                  # the last blocks differ: both known
    (18, 21, ("P has 18 rows", "Q has at least 21")),        # P ends on a block boundary, Q goes on
    (23, 18, ("P has at least 23 rows", "Q has 18")),
])
def test_row_counts_that_differ_in_a_later_block(run, tmp_path, tiny_blocks, p_rows, q_rows, words):
    p = tmp_path / "p.csv"
    q = tmp_path / "q.csv"
    p.write_text("0.5,0.5\n" * p_rows)
    q.write_text("0.5,0.5\n" * q_rows)
    result = run("kl", str(p), str(q))
    assert result.exit_code == 1 and result.stdout == ""
    assert all(word in result.stderr for word in words), result.stderr


def test_one_row_broadcasts_against_every_block(run, tmp_path, tiny_blocks):
    q = tmp_path / "q.csv"
    rows = [[0.1 * i, 1 - 0.1 * i] for i in range(1, 10)] * 3
    q.write_text("\n".join(f"{a!r},{b!r}" for a, b in rows) + "\n")
    result = run("kl", "0.4,0.6", str(q), "--reduction", "none", "-q")
    spelled = run("kl", ";".join(["0.4,0.6"] * len(rows)), str(q), "--reduction", "none", "-q")
    assert result.exit_code == 0 and result.stdout == spelled.stdout and len(result.stdout.splitlines()) == 27


def test_labels_and_ignored_rows_across_blocks(run, tmp_path, tiny_blocks):
    logits = _logits(5)
    labels = [i % 5 for i in range(ROWS)]
    labels[4] = labels[9] = -100
    q = tmp_path / "q.csv"
    q.write_text("\n".join(",".join(map(repr, row)) for row in logits.tolist()) + "\n")
    y = tmp_path / "y.csv"
    y.write_text("label\n" + "\n".join(map(str, labels)) + "\n")
    mean = float(run("ce", str(y), str(q), "--p-as", "labels", "--q-as", "logits", "-q").stdout)
    z = logits - logits.max(axis=1, keepdims=True)
    log_q = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
    kept = [i for i in range(ROWS) if labels[i] != -100]
    assert mean == pytest.approx(-np.mean([log_q[i, labels[i]] for i in kept]), rel=1e-13)


def test_warnings_in_later_blocks_name_the_right_row(run, tmp_path, tiny_blocks):
    q = tmp_path / "q.csv"
    rows = ["0.5,0.5"] * 12
    rows[10] = "1,0"
    q.write_text("\n".join(rows) + "\n")
    result = run("kl", "0.5,0.5", str(q), "-q")
    assert result.exit_code == 0 and result.stdout == "inf\n"
    assert "row 11, class '1'" in result.stderr and f"({q}:11:2)" in result.stderr


def test_table_of_a_blocked_input_shows_its_last_rows(run, short_tmp, tiny_blocks):
    p = _sources(_logits(6, rows=40), Path(short_tmp), "p")  # the table names the file: a short path
    result = run("entropy", p["csv"], "--p-as", "logits", env={"COLUMNS": "120"})
    assert "⋮ 20 rows" in result.stdout
    numbers = [line.split("│")[0].strip() for line in result.stdout.splitlines() if "│" in line]
    assert numbers[:3] == ["1", "2", "3"] and "40" in numbers and "31" in numbers and "30" not in numbers


def test_a_block_of_ignored_labels_is_no_error_when_others_count(run, tmp_path, tiny_blocks):
    y = tmp_path / "y.csv"
    y.write_text("\n".join(["-100"] * 9 + ["1", "0"]) + "\n")
    q = tmp_path / "q.csv"
    q.write_text("0,0\n" * 9 + "0,1\n1,0\n")
    result = run("ce", str(y), str(q), "--p-as", "labels", "--q-as", "logits", "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(-np.log(np.exp(1) / (1 + np.exp(1))), rel=1e-14)
    everything_ignored = run("ce", "-100;-100", "0,0;0,0", "--p-as", "labels", "--q-as", "logits")
    assert everything_ignored.exit_code == 1 and "every label is the ignore index" in everything_ignored.stderr


# --------------------------------------------------------------------------------------------
# found in review; each at the normal block sizes unless tiny_blocks is asked for


def test_one_row_p_against_a_long_q_numbers_every_row(run, tmp_path):
    q = tmp_path / "q.csv"
    rows = ["0.5,0.5"] * 256 + ["1,0"]
    q.write_text("\n".join(rows) + "\n")
    result = run("kl", "0,1", str(q), "-f", "csv")
    numbers = [line.split(",")[0] for line in result.stdout.splitlines()[1:]]
    assert numbers == [str(i) for i in range(1, 258)]
    warned = run("kl", "0.5,0.5", str(q), "-q")
    assert "row 257, class '1'" in warned.stderr and f"{q}:257:2" in warned.stderr


def test_columns_with_a_broadcast_operand_keep_the_names(run, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("only\n0.3\n0.7\n")
    q = tmp_path / "q.csv"
    names = [f"d{i}" for i in range(257)]
    q.write_text(",".join(names) + "\n" + ",".join(["0.5"] * 257) + "\n" + ",".join(["0.5"] * 257) + "\n")
    result = run("kl", str(p), str(q), "--columns", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    assert [line.split(",")[1] for line in result.stdout.splitlines()[1:]] == names


@pytest.mark.parametrize("rows", [21, 25, 30, 31])
def test_a_table_of_21_to_31_rows_shows_first_and_last_ten(run, tmp_path, rows):
    p = tmp_path / "p.csv"
    p.write_text("0.5,0.5\n" * rows)
    shown = [line.split("│")[0].strip() for line in run("entropy", str(p)).stdout.splitlines() if "│" in line]
    numbers = [int(cell) for cell in shown if cell.isdigit()]
    assert numbers == list(range(1, 11)) + list(range(rows - 9, rows + 1))


def test_entropy_of_a_long_labels_file(run, tmp_path):
    y = tmp_path / "y.csv"
    y.write_text("\n".join(str(i % 7) for i in range(70_000)) + "\n")
    result = run("entropy", str(y), "--p-as", "labels", "-q")
    assert result.exit_code == 0 and result.stdout == "0.0\n"


@pytest.mark.parametrize("text", [
    '"0.5","0.5"\n' + "0.5,0.5\n" * 299,                     # a quoted first row is data, not a header
    "\ufeff\nc0,c1\n" + "0.5,0.5\n" * 300,                     # a BOM, a blank line, then the header
    "0.5,0.5\n" * 150 + " \t\n" + "0.5,0.5\n" * 150,          # a line of spaces and tabs is blank
    "c0,c1\n" + "0.5,0.5\n" * 300 + "\n \n",                 # blank lines at the end
])
def test_equal_files_have_equal_rows_however_their_lines_look(run, tmp_path, text):
    p = tmp_path / "p.csv"
    p.write_text(text, encoding="utf-8")
    q = tmp_path / "q.csv"
    q.write_text("0.5,0.5\n" * 300)
    result = run("kl", str(p), str(q), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["n_rows"] == 300


def test_a_bom_then_a_blank_line_in_a_txt_file(run, tmp_path):
    x = tmp_path / "x.txt"
    x.write_bytes(b"\xef\xbb\xbf\n0.5,0.5\n0.2,0.8\n")
    result = run("entropy", str(x), "--reduction", "none", "-q")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


def test_a_one_row_operand_followed_by_a_blank_line_broadcasts(run, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("0.5,0.5\n  \n")
    result = run("kl", str(p), "0.5,0.5;0.2,0.8", "--reduction", "none", "-q")
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2


@pytest.mark.parametrize("text, line", [
    ("0.5,0.5\n,\n", 2),                                          # a one-row operand, then delimiters
    ("0.5,0.5\n" * 150 + ",\n" + "0.5,0.5\n" * 150, 151),          # within the first block
    ("c0,c1\n" + "0.5,0.5\n" * 300 + ",\n,\n", 302),               # as spreadsheets end their exports
    ("\n" * 5 + ",,,,\n" * 1000 + "0.5,0.5\n", 6),                  # no row before them
    ("0.5;0.5\n\n;\n", 3),
])
def test_a_row_of_delimiters_alone_is_an_error_not_a_blank_line(run, tmp_path, text, line):
    """A row of empty cells is refused as a row with one empty cell is, never dropped: it is no blank line."""
    p = tmp_path / "p.txt"
    p.write_text(text)
    for operand, where in ((p, f"{p}:{line}"), ("-", f"<stdin>:{line}")):
        result = run("kl", operand, "0.5,0.5", "-q", input=text)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr == f"Error: {where}: a row of empty cells (only delimiters, no value); " \
                                "remove the line, or write its values\n"


def test_the_longer_operand_is_counted_as_at_least(run, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("0.5,0.5\n" * 300)
    result = run("kl", str(p), "0.5,0.5;0.5,0.5;0.5,0.5")
    assert result.exit_code == 1 and "P has at least 256 rows" in result.stderr and "Q has 3" in result.stderr


def test_delimiter_option_keeps_json_on_stdin_json(run):
    result = run("entropy", "-", "--delimiter", ",", "-q", "--reduction", "none", input="[[0.5,0.5],[0.2,0.8]]\n")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 2


def test_json_lines_split_only_at_newlines(run, tmp_path):
    p = tmp_path / "p.jsonl"
    p.write_text('{"a\u2028b": 0.5, "c": 0.5}\n{"a\u2028b": 0.25, "c": 0.75}\n\x0c\n{"a\u2028b": 0.25, "c": 1}\n',
                 encoding="utf-8")
    result = run("entropy", str(p))
    assert result.exit_code == 1 and f"{p}:4: this row sums to 1.25" in result.stderr


_LINES = st.sampled_from(["0.25,0.75", "0.5,0.5", "1,0", " 0.1 , 0.9", "", "  ", "\t", ",", ",,", "\r",
                          "a,b", "0.3,0.7,0.1", "x,0.5", "0.5,0.5\r0.25,0.75", '"0.5","0.5"', "1/2,1/2",
                          "nan,1", "\ufeff0.5,0.5", '"0.5', '0.5",0.5', '0.5,"0.5', '"'])


@settings(max_examples=1000, deadline=None)
@given(lines=st.lists(_LINES, min_size=1, max_size=40), crlf=st.booleans(), last_newline=st.booleans(),
       rows=st.integers(1, 5), read_bytes=st.integers(1, 64))
@example(lines=[",", '"0.5'], crlf=False, last_newline=False, rows=1, read_bytes=1)
def test_text_blocks_read_what_the_whole_text_reads(lines, crlf, last_newline, rows, read_bytes):
    """TextBlocks in blocks of a few rows, topping up a few bytes at a time (newlines are found once
    and kept across blocks), give the rows, lines and header of the text read whole, or an error
    where it has one, at the same line. (It found that a carriage return alone, a line end for the
    csv module, was not counted by the blocks: later rows were a line early in messages; and that a
    line of delimiters before an open quote was passed over by the whole text's header search.)"""
    ending = "\r\n" if crlf else "\n"
    streamed_equals_whole((ending.join(lines) + (ending if last_newline else "")).encode(), rows, read_bytes)


# --------------------------------------------------------------------------------------------
# wide rows: the first block is bounded by values too (issue 13 item 3), the same for every source


@pytest.fixture
def value_budget(monkeypatch):
    """First blocks of 6 rows but 12 values: 2 rows of 5 classes, 1 row of 13."""
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 6)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 12)


def _wide_sources(values: np.ndarray, folder, stem: str) -> dict:
    """The table as CSV (header, blank lines), TSV, JSON Lines, JSON, .npy, Parquet and a literal."""
    pa, pq = needs("pyarrow"), needs("pyarrow.parquet")

    names = [f"c{i}" for i in range(values.shape[1])]
    rows = [",".join(map(repr, row)) for row in values.tolist()]
    found = _sources(values, folder, stem)
    (folder / f"{stem}.csv").write_text(",".join(names) + "\n" + "\n\n".join(rows) + "\n")
    pq.write_table(pa.table({name: values[:, i] for i, name in enumerate(names)}), folder / f"{stem}.parquet")
    return {**found, "parquet": str(folder / f"{stem}.parquet")}


def _block_rows(spec: str, q_spec: str, kind=None, stdin: bytes = b"") -> list[int]:
    """The rows of every block the local engine computes for kl (or ce of labels) of P and Q."""
    import io

    from divcli.readers.reading import open_blocks
    from divcli.vocabulary import Kind

    p = open_blocks(spec, io.BytesIO(stdin))
    q = open_blocks(q_spec, io.BytesIO(b""))
    sink = collect.Collect()
    options = vocabulary.Options(p_kind=kind or Kind.LOGITS, q_kind=Kind.LOGITS)
    runs.run_divergence(vocabulary.Command("ce" if kind else "kl"), p, q, options, sink)
    return [report.rows for report in sink.reports]


@pytest.mark.parametrize("classes, first", [(5, 2), (13, 1), (40, 1)])
def test_every_source_cuts_wide_rows_into_the_same_bounded_blocks(tmp_path, value_budget, classes, first):
    p = _wide_sources(_logits(5, 11, classes), tmp_path, "p")
    q = _wide_sources(_logits(6, 11, classes), tmp_path, "q")
    cuts = {name: _block_rows(spec, q["npy"]) for name, spec in p.items()}
    cuts["stdin"] = _block_rows("-", q["csv"], stdin=Path(p["csv"]).read_bytes())
    expected = [first]
    while sum(expected) < 11:
        expected.append(min(max(1, 12 // classes), 11 - sum(expected)))
    for name, rows in cuts.items():
        assert rows == expected, (name, rows)
        assert rows[0] * classes <= 12 or rows[0] == 1, name


@pytest.mark.parametrize("classes", [5, 13])
def test_wide_rows_give_byte_identical_output_from_every_source(run, tmp_path, value_budget, classes):
    p = _wide_sources(_logits(7, 11, classes), tmp_path, "p")
    q = _wide_sources(_logits(8, 11, classes), tmp_path, "q")
    kinds = ("--p-as", "logits", "--q-as", "logits")
    outputs = {}
    for fmt in (("-q",), ("-f", "csv", "--reduction", "none")):
        for name, spec in p.items():
            result = run("kl", spec, q["csv"], *kinds, *fmt)
            assert result.exit_code == 0, (name, result.stderr)
            outputs[name, fmt] = result.stdout.replace(spec, "P")
        stdin = run("kl", "-", q["csv"], *kinds, *fmt, input=Path(p["tsv"]).read_text())
        outputs["stdin", fmt] = stdin.stdout.replace("<stdin>", "P")
        reference = outputs["npy", fmt]
        for (name, shown), output in outputs.items():
            if shown == fmt and name not in ("csv", "parquet", "jsonl") or fmt == ("-q",):
                assert output == reference, (name, fmt)
            elif shown == fmt:  # the header names the classes in the csv output: the numbers are the same
                assert output.splitlines()[1:] == reference.splitlines()[1:], (name, fmt)


def test_labels_take_the_rows_of_a_wide_q(run, tmp_path, value_budget):
    """Labels (one column) against Q of 13 classes: blocks of one row, as Q's."""
    from divcli.vocabulary import Kind

    q = _wide_sources(_logits(9, 11, 13), tmp_path, "q")
    labels = tmp_path / "labels.csv"
    labels.write_text("\n".join(str(i % 13) for i in range(11)) + "\n")
    across = tmp_path / "across.csv"
    across.write_text(",".join(str(i % 13) for i in range(11)) + "\n")  # labels written across one row
    for spec in (str(labels), str(across)):
        assert _block_rows(spec, q["csv"], Kind.LABELS) == [1] * 11
    blocked = run("ce", labels, q["csv"], "--p-as", "labels", "--q-as", "logits", "-f", "csv", "--reduction", "none")
    assert blocked.exit_code == 0, blocked.stderr
    sizes.FIRST_BLOCK_ROWS, sizes.BLOCK_ELEMENTS = 10_000, 1 << 20  # restored by monkeypatch
    whole = run("ce", labels, q["csv"], "--p-as", "labels", "--q-as", "logits", "-f", "csv", "--reduction", "none")
    assert blocked.stdout == whole.stdout


def test_an_error_in_p_still_comes_first_when_p_is_labels(run, tmp_path):
    p = tmp_path / "labels.csv"
    p.write_text("0,1\n1,0\n")
    q = tmp_path / "q.csv"
    q.write_text("0.5,oops\n")
    result = run("ce", p, q, "--p-as", "labels")
    assert result.exit_code == 1 and str(p) in result.stderr.splitlines()[0], result.stderr


@pytest.mark.parametrize("count", [1, 5, 13, 40])
def test_block_of_numbers_rows_as_the_local_engine_cuts_them(tmp_path, value_budget, count):
    """The Dask engine orders its warnings by :func:`divcli.readers.sizes.block_of`: the local engine's blocks."""
    values = _logits(10, 11, count)
    np.save(tmp_path / "p.npy", values)
    rows = _block_rows(str(tmp_path / "p.npy"), str(tmp_path / "p.npy"))
    numbered = [sizes.block_of(row, count) for row in range(11)]
    assert numbered == [index for index, size in enumerate(rows) for _ in range(size)]


#: What the peak of a run is measured without (:func:`test_a_wide_multi_row_file_is_read_a_bounded_block_at_a_time`):
#: numba, whose import and kernels (loaded from its cache, or compiled where the cache is missing or
#: being rewritten by another process) are 130-190 MiB of it; and glibc's dynamic mmap threshold,
#: under which a freed block's arrays stay in the heap, so the peak grows over the first blocks
#: (150 → 210 MiB over 2 → 8 rows) with what the allocator keeps, not with what is held.
FLAT_MEMORY = {"DIVCLI_KERNEL": "numpy", "MALLOC_MMAP_THRESHOLD_": str(128 << 10)}


def _wide_rows(path: Path, rows: int, lines: list[str]) -> Path:
    path.write_text("".join(lines[row % len(lines)] for row in range(rows)))
    return path


@pytest.mark.slow
def test_a_wide_multi_row_file_is_read_a_bounded_block_at_a_time(tmp_path):
    """Rows of 400,000 classes (5 MB a line): each block holds 1 row (at most 2^19 values), so the
    peak is flat in the number of rows: 2 rows and 8 peak within a few MiB (147 and 159 MiB),
    where a reader that held the file would hold 37 MiB more a row (its text, parse and float64
    values: 140 → 360 MiB). One thread: the reader's bound alone; the same program measured both
    times, so what every run holds (Python, numpy, divcli) cancels out."""
    from test_hostile_inputs import measured

    rng = np.random.default_rng(3)
    lines = []
    for _ in range(2):
        row = rng.random(400_000).round(6)
        row /= row.sum()
        lines.append(",".join(map(repr, row.round(12).tolist())) + "\n")
    written = [np.array(line.split(","), dtype=float) for line in lines]  # their sums 1 to about 1e-10
    entropies = [-np.sum(row * np.log(row)) for row in (row[row > 0] / row.sum() for row in written)]  # 0 log 0 = 0
    peaks = []
    for rows in (2, 8):
        path = _wide_rows(tmp_path / f"wide{rows}.csv", rows, lines)
        code, err, _, peak, out = measured("entropy", path, "-q", "--threads", "1", env=FLAT_MEMORY)
        assert code == 0, err
        assert math.isclose(float(out), np.mean(entropies), rel_tol=1e-12)  # each line as often as the other
        peaks.append(peak)
    assert peaks[1] - peaks[0] < 48, f"{peaks[0]:.0f} MiB for 2 rows, {peaks[1]:.0f} MiB for 8"


def test_a_live_view_of_the_read_ahead_bytes_does_not_stop_the_reader():
    """The read-ahead bytearray is grown and cut in place; where a view of it is still alive (a
    frame kept by a traceback, in a Dask worker), the reader moves to a new buffer instead of
    raising BufferError."""
    import io

    from divcli.readers.textblocks import TextBlocks

    text = "".join(f"{i % 7 / 10},{1 - i % 7 / 10}\n" for i in range(5000)).encode()
    blocks = TextBlocks(io.BytesIO(text), "held.csv", ",", False)
    first = blocks.read(3)
    held = np.frombuffer(blocks.ahead, dtype=np.uint8)  # an export that outlives the call
    rest = [block for block in iter(lambda: blocks.read(1000), None)]
    assert first.rows + sum(block.rows for block in rest) == 5000 and held.size > 0
