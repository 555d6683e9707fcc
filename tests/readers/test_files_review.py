"""Files as users' code writes them, read adversarially: the faults a review of the day's readers
found (a missing row of a .tsv, a quoted row of numbers, --p-cols' messages, …), each with the file
written byte for byte as the program writes it and the numbers checked against float64 numpy.

A missing row must never disappear silently (it would pair every later row of P with the wrong row
of Q); a refusal is one line, exit 1 or 2, never a traceback."""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.extras import needs, needs_dask

P = np.array([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8], [0.25, 0.25, 0.5], [0.6, 0.3, 0.1]])
Q = np.array([[0.1, 0.2, 0.7], [0.2, 0.6, 0.2], [0.3, 0.3, 0.4], [0.5, 0.25, 0.25]])


def kl_rows(p: np.ndarray, q: np.ndarray) -> list[float]:
    return [float(value) for value in (p * np.log(p / q)).sum(axis=1)]


def kl_of(run, *args) -> list[float]:
    result = run("kl", *args, "--reduction", "row", "-f", "json")
    assert result.exit_code == 0, result.stderr
    return [row["kl_divergence"] for row in json.loads(result.stdout)["rows"]]


def one_line(result, code: int = 1) -> str:
    assert result.exit_code == code, (result.exit_code, result.stderr)
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if not line.startswith("warning:")]
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def tsv(rows, header=("a", "b", "c")) -> str:
    return "\t".join(header) + "\n" + "".join("\t".join(repr(float(v)) for v in row) + "\n" for row in rows)


# --------------------------------------------------------------------------------------------
# a row of nothing but tabs in a .tsv: a row of missing values (pandas writes a row of NaN so), never
# a blank line skipped


def _tab_row_at(rows: np.ndarray, index: int, width: int = 3) -> str:
    text = tsv(rows).splitlines(keepends=True)
    text.insert(index + 1, "\t" * (width - 1) + "\n")  # (after the header)
    return "".join(text)


@pytest.mark.parametrize("index", [0, 2, 4], ids=["first", "middle", "last"])
def test_a_row_of_tabs_in_a_tsv_is_refused_not_skipped(run, tmp_path, index):
    path = tmp_path / "p.tsv"
    path.write_text(_tab_row_at(P[:4], index))
    (tmp_path / "q.tsv").write_text(tsv(np.vstack([Q, Q[:1]])))
    line = one_line(run("kl", path, tmp_path / "q.tsv", "-q"))
    assert f"p.tsv:{index + 2}:" in line and "empty cells" in line, line


def test_a_row_of_tabs_is_refused_as_a_csv_row_of_commas_is(run, tmp_path):
    (tmp_path / "p.csv").write_text("a,b,c\n0.2,0.3,0.5\n,,\n0.1,0.1,0.8\n")
    (tmp_path / "p.tsv").write_text("a\tb\tc\n0.2\t0.3\t0.5\n\t\t\n0.1\t0.1\t0.8\n")
    csv_line = one_line(run("entropy", tmp_path / "p.csv", "-q"))
    tsv_line = one_line(run("entropy", tmp_path / "p.tsv", "-q"))
    assert csv_line.replace("p.csv", "p.tsv") == tsv_line


def test_a_row_of_tabs_on_standard_input_is_refused(run):
    line = one_line(run("entropy", "-", "-q", input="a\tb\tc\n0.2\t0.3\t0.5\n\t\t\n0.1\t0.1\t0.8\n"))
    assert "<stdin>:3:" in line or ":3:" in line, line


def test_a_row_of_tabs_in_a_large_tsv_is_refused_in_any_block(run, tmp_path):
    """Past 64 KiB the C parsers and the block cutter read the file: the same refusal, its line."""
    rng = np.random.default_rng(5)
    rows = rng.dirichlet(np.ones(3), size=6000)
    text = tsv(rows).splitlines(keepends=True)
    for at in (4000, 300, 1):  # inside a later block, across the first, right after the header
        broken = text[:at] + ["\t\t\n"] + text[at:]
        (tmp_path / "p.tsv").write_text("".join(broken))
        line = one_line(run("entropy", tmp_path / "p.tsv", "-q"))
        assert f"p.tsv:{at + 1}:" in line and "empty cells" in line, line


def test_a_trailing_row_of_tabs_in_a_large_tsv_is_refused(run, tmp_path):
    rows = np.random.default_rng(6).dirichlet(np.ones(3), size=6000)
    (tmp_path / "p.tsv").write_text(tsv(rows) + "\t\t\n")
    line = one_line(run("entropy", tmp_path / "p.tsv", "-q"))
    assert f"p.tsv:{6002}:" in line, line


def test_blank_lines_of_spaces_in_a_tsv_and_of_tabs_in_a_csv_stay_blank(run, tmp_path):
    """What is blank stays blank: spaces in a .tsv, tabs (no delimiter there) in a .csv."""
    (tmp_path / "p.tsv").write_text("a\tb\tc\n0.2\t0.3\t0.5\n   \n\n0.1\t0.1\t0.8\n  \n")
    (tmp_path / "p.csv").write_text("a,b,c\n0.2,0.3,0.5\n\t\t\n0.1,0.1,0.8\n\t\n")
    expected = kl_rows(P[:2], Q[:2])
    q = ";".join(",".join(repr(float(v)) for v in row) for row in Q[:2])
    for path in (tmp_path / "p.tsv", tmp_path / "p.csv"):
        assert kl_of(run, path, q) == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------------
# a quoted row of numbers in a comma CSV: the quotes made it one cell


def test_a_quoted_row_in_a_comma_csv_names_the_quotes_not_the_delimiter_in_use(run, tmp_path):
    (tmp_path / "p.csv").write_text('"0.2,0.8"\n"0.5,0.5"\n')
    line = one_line(run("kl", tmp_path / "p.csv", "0.5,0.5", "-q"))
    assert "p.csv:1:1" in line and "quote" in line, line
    assert "--delimiter ','" not in line and "0,36" not in line, line


# --------------------------------------------------------------------------------------------
# --p-cols, the old spelling: its errors name the option typed


@pytest.mark.parametrize("value", ["9", "zz"])
def test_p_cols_errors_name_p_cols(run, tmp_path, value):
    (tmp_path / "q.tsv").write_text(tsv(Q))
    result = run("kl", tmp_path / "q.tsv", tmp_path / "q.tsv", "--p-cols", value, "-q")
    line = one_line(result)
    assert "--p-cols" in line and "--p-select" not in line, line
    assert result.stderr.count("warning:") == 1


# --------------------------------------------------------------------------------------------
# records with a list field: the messages name the option typed; --engine dask reads them with
# --select as the local engine does, and refuses Parquet's list column in one line


def _log_lines(rows) -> str:
    """JSON Lines from a training loop's logging: a step, a loss, a tag and the probabilities."""
    return "".join(json.dumps({"step": i, "loss": 0.5 / (i + 1), "tag": "train", "probs": row.tolist()}) + "\n"
                   for i, row in enumerate(rows))


def test_a_records_list_choice_names_the_operands_own_option(run, tmp_path):
    (tmp_path / "p.jsonl").write_text(_log_lines(P))
    q = ";".join(",".join(repr(float(v)) for v in row) for row in Q)
    line = one_line(run("kl", tmp_path / "p.jsonl", q, "--p-select", "loss"))
    assert "--p-select chooses 'loss'" in line and "--p-select probs" in line, line
    line = one_line(run("kl", q, tmp_path / "p.jsonl", "--q-names", "probs"))
    assert "--q-names field 'probs' is a list" in line, line
    assert kl_of(run, tmp_path / "p.jsonl", q, "--p-select", "probs") == pytest.approx(kl_rows(P, Q), rel=1e-12)


@pytest.mark.dask
def test_dask_reads_records_of_json_lines_with_select_as_the_local_engine(run, tmp_path, dask_cluster):
    needs_dask()
    (tmp_path / "p.jsonl").write_text(_log_lines(P))
    (tmp_path / "q.jsonl").write_text(_log_lines(Q))
    expected = float(np.mean(kl_rows(P, Q)))
    with dask_cluster() as cluster:
        for options in (["--select", "probs"], ["--p-select", "probs", "--q-select", "probs"], []):
            result = run("kl", tmp_path / "p.jsonl", tmp_path / "q.jsonl", *options, "-q", "--engine", "dask",
                         "--scheduler", cluster.scheduler_address)
            assert result.exit_code == 0, (options, result.stderr)
            assert float(result.stdout) == pytest.approx(expected, rel=1e-12)


@pytest.mark.dask
def test_dask_refuses_a_parquet_list_column_in_one_line(run, tmp_path, dask_cluster):
    needs_dask()
    pa, pq = needs("pyarrow"), needs("pyarrow.parquet")
    for name, rows in (("p.parquet", P), ("q.parquet", Q)):
        pq.write_table(pa.table({"id": [7, 8, 9, 10], "logits": [np.log(row).tolist() for row in rows]}), tmp_path / name)
    local = run("kl", tmp_path / "p.parquet", tmp_path / "q.parquet", "--select", "logits", "--p-as", "logits",
                "--q-as", "logits", "-q")
    assert local.exit_code == 0 and float(local.stdout) == pytest.approx(float(np.mean(kl_rows(P, Q))), rel=1e-12)
    with dask_cluster() as cluster:
        result = run("kl", tmp_path / "p.parquet", tmp_path / "q.parquet", "--select", "logits", "--p-as", "logits",
                     "--q-as", "logits", "-q", "--engine", "dask", "--scheduler", cluster.scheduler_address)
    line = one_line(result)
    assert "'logits' holds a list" in line and "--engine local" in line, line
