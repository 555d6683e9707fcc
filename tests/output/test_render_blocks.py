"""The machine formats are built a column at a time per block; they must write exactly what the
per-row records (``records.records``, which the table still uses) would give, written one row at
a time as divcli 1.0 did: every field, every quoting rule, every non-finite and missing value."""

from __future__ import annotations

import csv
import io
import json
import math
import sys
import types

import numpy as np
import pytest

from helpers.extras import needs
from divcli.computations import runs
from divcli.readers import sizes as block_sizes
from divcli.output import texts
from divcli.output.records import records as row_records
from divcli.output.csv import CsvSink
from divcli.output.json import JsonSink
from divcli.output.quiet import QuietSink
from divcli.readers.blocks import ArrayBlocks
from divcli.vocabulary import Options, Conversion, Kind, Reduction, Command, LogBase
from divcli.readers.operand import Operand


def _number(x) -> str:
    return repr(float(x))


def _json_number(x):
    return x if x is None or math.isfinite(x) else _number(x)


class RecordCsv:
    """divcli 1.0's CSV sink: one dict per row, then csv.writer."""

    def __init__(self, out):
        self.writer = csv.writer(out, lineterminator="\n")
        self.fields = None

    def rows(self, report):
        records = row_records(report)
        terms = report.command is Command.KL and report.reduction is Reduction.NONE
        if self.fields is None:
            self.fields = [key for key in records[0] if key != "terms"]
            self.writer.writerow(self.fields + ([f"term:{name}" for name in report.classes] if terms else []))
        for record in records:
            cells = []
            for key in self.fields:
                value = record[key]
                cells.append("" if value is None else str(value).lower() if isinstance(value, bool)
                             else _number(value) if isinstance(value, float) else str(value))
            if terms:
                cells += [_number(x) for x in record["terms"].values()]
            self.writer.writerow(cells)

    def finish(self, summary):
        pass


class RecordJsonRows:
    """divcli 1.0's JSON rows and ``none`` values, one json.dumps per row."""

    def __init__(self, out):
        self.out = out
        self.parts, self.values = [], []

    def rows(self, report):
        for record in row_records(report):
            record = {key: ({k: _json_number(v) for k, v in value.items()} if isinstance(value, dict)
                            else _json_number(value) if isinstance(value, float) else value)
                      for key, value in record.items()}
            self.parts.append(json.dumps(record, ensure_ascii=False, allow_nan=False))
        if report.reduction is Reduction.NONE:
            for row in report.values.tolist():
                cell = [_json_number(x) for x in row] if isinstance(row, list) else _json_number(row)
                self.values.append(json.dumps(cell, allow_nan=False))

    def finish(self, summary):
        pass


class Tee:
    def __init__(self, *sinks):
        self.sinks = sinks

    def rows(self, report):
        for sink in self.sinks:
            sink.rows(report)

    def finish(self, summary):
        for sink in self.sinks:
            sink.finish(summary)


def _operand(values, name, classes=None, transposed=False):
    operand = Operand(np.asarray(values, dtype=np.float64), name, classes)
    return operand.transposed() if transposed else operand


def _cases(repeat: int = 1):
    """The cases; ``repeat`` > 1 repeats every row that many times (with fresh logits), so that
    blocks are long enough for orjson's path."""
    rng = np.random.default_rng(7)
    logits_p, logits_q = rng.normal(0, 3, (9 * repeat, 4)), rng.normal(0, 3, (9 * repeat, 4))
    probs_q = np.array([[0.5, 0.5, 0.0, 0.0]] * 9 * repeat)
    probs_p = np.array([[0.25, 0.25, 0.25, 0.25], [1, 0, 0, 0], [0.5, 0.5, 0, 0]] * 3 * repeat)
    odd = ["a,b", 'say "x"', "plain", "{x}", "line\nbreak", "é ü", "", "%s", "9"] * repeat
    labels = np.array([[0], [3], [-100], [1], [2], [-100], [0], [1], [3]] * repeat, dtype=float)
    yield "kl logits", Command.KL, _operand(logits_p, "p"), _operand(logits_q, "q"), \
        Options(Kind.LOGITS, Kind.LOGITS), None
    yield "kl none, inf terms", Command.KL, _operand(probs_p, "p", ["x", "y,z", 'q"', "{w}"]), \
        _operand(probs_q, "q"), Options(reduction=Reduction.NONE), None
    yield "kl names", Command.KL, _operand(logits_p.T, "p", odd, transposed=True), \
        _operand(logits_q.T, "q", odd, transposed=True), Options(Kind.LOGITS, Kind.LOGITS, Reduction.NONE), None
    yield "ce labels ignored", Command.CE, _operand(labels, "y"), _operand(logits_q, "q"), \
        Options(Kind.LABELS, Kind.LOGITS, conversion=Conversion(ignore_index=-100)), None
    yield "ce weighted smoothed", Command.CE, _operand(labels, "y"), _operand(logits_q, "q"), \
        Options(Kind.LABELS, Kind.LOGITS, Reduction.NONE, conversion=Conversion(ignore_index=-100),
                label_smoothing=0.1), np.array([1.0, 2.0, 0.5, 0.0])
    yield "ce inf", Command.CE, _operand(probs_p, "p"), _operand(probs_q, "q"), Options(base=LogBase("2", 2.0)), None
    yield "entropy none", Command.ENTROPY, _operand(probs_p, "p"), None, Options(reduction=Reduction.NONE), None
    yield "entropy names", Command.ENTROPY, _operand(np.abs(logits_p.T), "p", odd, transposed=True), None, \
        Options(conversion=Conversion(normalize=True)), None


CASES = list(_cases())


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(block_sizes, "FIRST_BLOCK_ROWS", 2)
    monkeypatch.setattr(block_sizes, "BLOCK_ELEMENTS", 12)


@pytest.mark.parametrize("case", CASES, ids=[case[0] for case in CASES])
def test_block_output_equals_the_per_row_records(case, small_blocks):
    _check_block_output(*case[1:])


LONG_CASES = list(_cases(repeat=70))


@pytest.mark.parametrize("case", LONG_CASES, ids=[case[0] for case in LONG_CASES])
def test_long_block_output_equals_the_per_row_records(case, monkeypatch):
    """630 rows in blocks of 300: the first two blocks' columns go through orjson (300 ≥
    texts.FAST_TEXTS), the last one (30 rows) through repr."""
    needs("orjson")
    dumps = texts.orjson_dumps()
    sizes = []
    monkeypatch.setattr(texts, "orjson_dumps", lambda: lambda values: sizes.append(values.size) or dumps(values))
    monkeypatch.setattr(block_sizes, "FIRST_BLOCK_ROWS", 300)
    monkeypatch.setattr(block_sizes, "BLOCK_ELEMENTS", 1200)
    _check_block_output(*case[1:])
    assert 300 in sizes


def _check_block_output(command, p, q, options, weight):
    new_csv, old_csv, new_json, new_quiet = io.StringIO(), io.StringIO(), io.StringIO(), io.StringIO()
    old_json = RecordJsonRows(None)
    sinks = Tee(CsvSink(new_csv), RecordCsv(old_csv), JsonSink(new_json), old_json,
                QuietSink(new_quiet))
    runs.run_divergence(command, ArrayBlocks(p), None if q is None else ArrayBlocks(q), options, sinks, weight)
    assert new_csv.getvalue() == old_csv.getvalue()
    document = new_json.getvalue()
    rows_text = document[document.index('"rows": [') + len('"rows": ['):document.index('], "value": ')]
    assert rows_text == ", ".join(old_json.parts)
    if options.reduction is Reduction.NONE:
        values_text = document[document.index('"value": [') + len('"value": ['):document.index('], "reductions"')]
        assert values_text == ", ".join(old_json.values)
        expected = [",".join(map(_number, row)) if isinstance(row, list) else _number(row)
                    for row in json.loads("[" + values_text.replace('"', "") .replace("inf", "Infinity")
                                          .replace("nan", "NaN") + "]")]
        assert new_quiet.getvalue().splitlines() == expected
    json.loads(document)  # strict JSON


@pytest.mark.parametrize("make", [
    lambda rng: rng.choice([0.0, -0.0, 4.440892098500626e-16, -8.881784197001252e-16, np.inf, np.nan], 5000),
    lambda rng: np.where(rng.random(3000) < 0.9, 0.0, rng.normal(size=3000)),
    lambda rng: rng.normal(size=4096),
    lambda rng: np.zeros(1024),
])
def test_texts_of_long_columns_are_each_numbers_repr(make):
    values = make(np.random.default_rng(3))
    assert texts.number_texts(values) == [repr(x) for x in values.tolist()]


def _edges() -> np.ndarray:
    """Numbers at the edges of orjson's use: each band limit and its neighbours, powers of ten and
    two, the extremes of float64, zeros of both signs, non-finite numbers."""
    limits = np.array([1e-9, 1e-4, 1e15, 1e16, 1e22, 2.0**52, 2.0**53, 2.0**1023, 1e-300, 1.0, 0.5])
    near = np.concatenate([limits, np.nextafter(limits, 0), np.nextafter(limits, np.inf)])
    decades = 10.0 ** np.arange(-325, 309)
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 2.2250738585072014e-308,
                        1.7976931348623157e308, 0.1, 0.30000000000000004, 1 / 3])
    values = np.concatenate([near, decades, 2.0 ** np.arange(-1074, 1024), special])
    return np.concatenate([values, -values])


@pytest.mark.parametrize("make", [
    lambda rng: rng.integers(0, 2**64, 200_000, dtype=np.uint64).view(np.float64),   # any bits
    lambda rng: np.ldexp(rng.random(200_000), rng.integers(-60, 80, 200_000)),
    lambda rng: np.round(rng.random(200_000) * 10.0 ** rng.integers(-10, 17, 200_000), 6),
    lambda rng: np.floor(rng.random(200_000) * 10.0 ** rng.integers(1, 18, 200_000)),
    lambda rng: rng.normal(0, 3, 200_000),
    lambda rng: _edges(),
], ids=["bits", "binary", "decimals", "integers", "normal", "edges"])
def test_orjsons_texts_are_each_numbers_repr(make):
    """orjson's path writes what repr writes, number for number, over the whole float64 range."""
    needs("orjson")
    values = make(np.random.default_rng(11))
    values = np.where(np.arange(values.size) % 2 == 1, -values, values)
    assert values.size >= texts.FAST_TEXTS
    assert texts.reprs(np.ascontiguousarray(values)) == [repr(x) for x in values.tolist()]
    assert texts.row_numbers(7, values.size) == [str(n) for n in range(7, 7 + values.size)]


def test_without_orjson_texts_are_repr(monkeypatch):
    monkeypatch.setitem(sys.modules, "orjson", None)
    monkeypatch.setattr(texts, "orjson_dumps", texts.orjson_dumps.__wrapped__)  # looked for again
    assert texts.orjson_dumps() is None
    values = _edges()
    assert texts.number_texts(values) == [repr(x) for x in values.tolist()]
    assert texts.row_numbers(1, 300) == [str(n) for n in range(1, 301)]


def test_an_orjson_that_writes_numbers_differently_is_not_used(monkeypatch):
    """A version that wrote ``1e-5`` style exponents everywhere (or any other difference on the
    probe numbers) is left alone: the texts come from repr."""
    fake = types.ModuleType("orjson")
    fake.OPT_SERIALIZE_NUMPY = 0
    fake.dumps = lambda values, option=0: ("[" + ",".join(
        f"{x:.17g}" for x in values.tolist()) + "]").encode()
    monkeypatch.setitem(sys.modules, "orjson", fake)
    monkeypatch.setattr(texts, "orjson_dumps", texts.orjson_dumps.__wrapped__)  # looked for again
    assert texts.orjson_dumps() is None
    values = np.linspace(0.1, 3.0, 500)
    assert texts.number_texts(values) == [repr(x) for x in values.tolist()]


@pytest.mark.parametrize("args", [["compare", "-f", "csv"], ["compare", "-q", "--reduction", "none"],
                                  ["js", "-f", "csv"], ["kl", "-f", "csv", "--reduction", "none"]])
def test_long_outputs_are_the_same_with_orjson_and_without(run, tmp_path, monkeypatch, args):
    """Every machine format of a 700-row run, written through orjson and through repr alone."""
    rng = np.random.default_rng(13)
    p, q = rng.dirichlet(np.full(5, 0.3), 700), rng.dirichlet(np.full(5, 0.3), 700)
    p[::7, 2] = 0.0  # zeros: inf and 0 terms, numbers in orjson's repr band
    p /= p.sum(axis=1, keepdims=True)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    command, *options = args
    outputs = []
    needs("orjson")
    for dumps in (texts.orjson_dumps(), None):
        assert (dumps is not None) == (not outputs)
        monkeypatch.setattr(texts, "orjson_dumps", lambda: dumps)
        result = run(command, tmp_path / "p.npy", tmp_path / "q.npy", *options)
        assert result.exit_code == 0, result.stderr
        outputs.append(result.stdout)
    assert outputs[0] == outputs[1] and len(outputs[0].splitlines()) >= 700


@pytest.mark.parametrize("args", [["compare"], ["compare", "--reduction", "none"], ["js", "--reduction", "none"],
                                  ["kl", "--reduction", "none"], ["kl", "--columns"], ["compare", "--columns"]])
def test_json_rows_are_what_json_dumps_writes(run, tmp_path, args):
    """Every JSON sink's rows, built from column texts, are byte for byte what json.dumps writes for
    each row object (divcli 1.0's writer): numbers as repr, inf and nan as strings, names unescaped."""
    rng = np.random.default_rng(17)
    columns = "--columns" in args
    rows = 9 if columns else 700  # distributions; with --columns each is a named column
    p, q = rng.dirichlet(np.full(4, 0.4), rows), rng.dirichlet(np.full(4, 0.4), rows)
    p[::5, 0] = 0.0  # zeros: inf terms and measures
    p /= p.sum(axis=1, keepdims=True)
    for name, values in (("p.csv", p), ("q.csv", q)):
        table = values.T if columns else values
        header = ",".join(f'"c{index}, é{{x}}"' for index in range(table.shape[1]))
        (tmp_path / name).write_text(header + "\n" + "\n".join(",".join(map(repr, row)) for row in table.tolist())
                                     + "\n", encoding="utf-8")
    result = run(args[0], tmp_path / "p.csv", tmp_path / "q.csv", *args[1:], "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = result.stdout
    rows_text = document[document.index('"rows": [') + len('"rows": ['):document.index('], "value": ')]
    parsed = json.loads(document)
    assert rows_text == ", ".join(json.dumps(row, ensure_ascii=False) for row in parsed["rows"])
    assert len(parsed["rows"]) == rows and ("name" in parsed["rows"][0]) == columns


@pytest.mark.parametrize("command", ["compare", "js", "kl"])
@pytest.mark.parametrize("odd", [True, False])
def test_csv_is_what_the_csv_module_writes(run, tmp_path, command, odd):
    """Every CSV sink writes its records in one join when no name needs quoting, else through the
    csv module: either way the text is what csv.writer writes for the same cells."""
    rng = np.random.default_rng(19)
    names = ['a,b', 'say "x"', "plain", "é {x}"] if odd else ["a", "b", "c", "d"]
    for file in ("p.csv", "q.csv"):
        table = rng.dirichlet(np.full(3, 0.5), 4).T  # 3 classes × 4 named columns
        with open(tmp_path / file, "w", newline="", encoding="utf-8") as handle:
            csv.writer(handle, lineterminator="\n").writerows([names] + table.tolist())
    result = run(command, tmp_path / "p.csv", tmp_path / "q.csv", "--columns", "-f", "csv", "--reduction", "none")
    assert result.exit_code == 0, result.stderr
    rows = list(csv.reader(io.StringIO(result.stdout)))
    assert [row[1] for row in rows[1:]] == names
    again = io.StringIO()
    csv.writer(again, lineterminator="\n").writerows(rows)
    assert result.stdout == again.getvalue()
