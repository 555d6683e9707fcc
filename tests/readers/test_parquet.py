"""Parquet operands (with the ``divcli[fast]`` extra): numeric columns as classes or one list column,
the same kinds, checks and numbers as CSV, read a record batch at a time; a one-line error naming
the install when pyarrow is missing."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.extras import needs
from divcli.readers import sizes
from divcli.readers import parquet

pa = needs("pyarrow")
pq = needs("pyarrow.parquet")


def _logits(seed, rows=23, classes=4):
    return np.random.default_rng(seed).normal(0, 2, (rows, classes)).round(4)


def _csv(path, values, header=None):
    lines = [",".join(header)] if header else []
    path.write_text("\n".join(lines + [",".join(map(repr, row)) for row in values.tolist()]) + "\n")
    return str(path)


def _columns(path, values, names=None, row_group_size=None, dtype=None):
    names = names or [f"c{i}" for i in range(values.shape[1])]
    table = pa.table({name: pa.array(values[:, i] if dtype is None else values[:, i].astype(dtype))
                      for i, name in enumerate(names)})
    pq.write_table(table, path, row_group_size=row_group_size)
    return str(path)


def _lists(path, values, row_group_size=None):
    pq.write_table(pa.table({"logits": pa.array(values.tolist(), type=pa.list_(pa.float64()))}), path,
                   row_group_size=row_group_size)
    return str(path)


@pytest.fixture
def tiny_blocks(monkeypatch):
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 3)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 8)
    monkeypatch.setattr(parquet.ParquetReader, "BATCH_ROWS", 5)


@pytest.mark.parametrize("args", [("-f", "csv"), ("-q", "--reduction", "none"), ("-q",), ("--columns", "-f", "csv")])
def test_parquet_reads_as_csv_does(run, tmp_path, tiny_blocks, args):
    p, q = _logits(1), _logits(2)
    names = ["a", "b", "c", "d"]
    kinds = ("--p-as", "logits", "--q-as", "logits")
    expected = run("kl", _csv(tmp_path / "p.csv", p, names), _csv(tmp_path / "q.csv", q), *kinds, *args)
    for p_file in (_columns(tmp_path / "p.parquet", p, names, row_group_size=7),
                   _lists(tmp_path / "pl.parquet", p, row_group_size=4)):
        result = run("kl", p_file, _lists(tmp_path / "q.parquet", q, row_group_size=6), *kinds, *args)
        assert result.exit_code == 0, result.stderr
        if "pl.parquet" in p_file and "--columns" in args:  # a list column names no class, so no row
            continue
        if "pl.parquet" in p_file and "csv" in args:  # a list column names no class
            assert result.stdout.splitlines()[1:] == expected.stdout.splitlines()[1:]
        else:
            assert result.stdout == expected.stdout


def test_header_names_are_the_column_names_and_integers_or_float32_widen(run_json, tmp_path):
    counts = np.array([[3, 1, 0], [2, 2, 4]])
    document = run_json("entropy", _columns(tmp_path / "h.parquet", counts, ["cat", "dog", "[CLS]"], dtype=np.int32),
                        "--normalize")
    assert document["classes"] == ["cat", "dog", "[CLS]"]
    probs = np.array([[0.25, 0.75]], dtype=np.float32)
    single = run_json("entropy", _columns(tmp_path / "f.parquet", probs, dtype=np.float32), "--tolerance", "1e-6")
    p = probs.astype(np.float64)
    assert single["value"] == pytest.approx(float(-(p * np.log(p)).sum()), rel=1e-15)


@pytest.mark.parametrize("make, words", [
    (lambda d: pq.write_table(pa.table({"a": [0.5, None], "b": [0.5, 0.5]}), d / "x.parquet"),
     "x.parquet: row 2, column 'a': a missing value (null)"),
    (lambda d: pq.write_table(pa.table({"a": [0.5, float("nan")], "b": [0.5, 0.5]}), d / "x.parquet"),
     "x.parquet: row 2, column 'a': nan is not a value"),
    (lambda d: pq.write_table(pa.table({"a": [0.5, 0.5], "b": ["x", "y"]}), d / "x.parquet"),
     "x.parquet: column 'b': holds string values, not real numbers"),
    (lambda d: pq.write_table(pa.table({"l": pa.array([[0.5, 0.5], [1.0]])}), d / "x.parquet"),
     "x.parquet: row 2: this row has 1 value, the first has 2"),
    (lambda d: pq.write_table(pa.table({"a": pa.array([], pa.float64())}), d / "x.parquet"),
     "x.parquet: no numbers found"),
    (lambda d: (d / "x.parquet").write_bytes(b"not parquet at all"), "x.parquet: not a Parquet file"),
    (lambda d: pq.write_table(pa.table({"a": [0.5, 0.7], "b": [0.5, 0.5]}), d / "x.parquet"),
     "x.parquet: row 2: this row sums to 1.2"),
])
def test_bad_parquet_files(run, tmp_path, make, words):
    make(tmp_path)
    result = run("entropy", str(tmp_path / "x.parquet"))
    assert result.exit_code == 1 and result.stdout == ""
    assert words in result.stderr and "Traceback" not in result.stderr, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_an_error_in_a_later_batch_names_its_row(run, tmp_path, tiny_blocks):
    values = np.full((30, 2), 0.5)
    values[26, 1] = -0.5
    result = run("entropy", _columns(tmp_path / "p.parquet", values, row_group_size=4))
    assert result.exit_code == 1 and "p.parquet: row 27, item 2: negative probability" in result.stderr


def test_without_pyarrow_the_error_says_what_to_install(run, tmp_path, monkeypatch):
    path = _columns(tmp_path / "p.parquet", np.array([[0.5, 0.5]]))
    monkeypatch.setitem(__import__("sys").modules, "pyarrow.parquet", None)
    result = run("entropy", path)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == f'Error: {path}: reading Parquet needs pyarrow, which is not installed; ' \
                                    'pip install "divcli[fast]" (pyarrow)'


@pytest.mark.parametrize("args", [("--p-as", "logits", "--q-as", "logits"),
                                  ("--p-as", "logits", "--q-as", "logits", "--columns"), ()])
def test_parquet_files_are_closed_when_the_command_ends(run, tmp_path, monkeypatch, args):
    # logits read as probabilities (no --p-as) are an error: the files are closed then too
    opened = []
    real_init = parquet.ParquetReader.__init__

    def spy(self, path, *args):
        real_init(self, path, *args)
        opened.append(self.file)

    monkeypatch.setattr(parquet.ParquetReader, "__init__", spy)
    p, q = _logits(3), _logits(4)
    result = run("kl", _columns(tmp_path / "p.parquet", p), _lists(tmp_path / "q.parquet", q), *args)
    assert result.exit_code == (0 if args else 1), result.stderr
    assert len(opened) == 2 and all(file.closed for file in opened)
