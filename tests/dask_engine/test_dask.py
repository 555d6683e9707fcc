"""--engine dask against the local engine, on a real 2-worker LocalCluster.

The cluster is started once for the module with ``processes=True``: the workers are separate
processes, so every task, its arguments and its results (and the data errors it returns) really go
through pickling and the network, as on a cluster; it costs about two seconds once. The dashboard
gets a free port (``:0``) so parallel runs never clash.

Without the Dask extra the module is skipped, with the reason (``make test-minimal``); ``make test``
installs the extra and sets DIVCLI_TEST_EXTRAS_REQUIRED, so there a missing Dask fails the suite
loudly instead of skipping it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.extras import needs

distributed = needs("distributed")
pa = needs("pyarrow")
pq = needs("pyarrow.parquet")
from divcli.readers import sizes
from divcli.readers.sizes import FIRST_BLOCK_ROWS

#: every test runs on the module's Dask cluster: make test-fast leaves them out
pytestmark = pytest.mark.dask

ROOT = Path(__file__).resolve().parents[2]
ROWS, CLASSES = 1000, 5
#: Shard boundaries: inside the local engine's first and second blocks, and a shard of one row.
CUTS = [0, 200, 300, 301, 650, ROWS]
NAMES = ["a", "b", "c", "d", "e"]
assert CUTS[1] < FIRST_BLOCK_ROWS < CUTS[2]


@pytest.fixture(scope="module")
def scheduler():
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as cluster:
        yield cluster.scheduler_address


def _csv_text(values, header=None, delimiter=","):
    lines = [delimiter.join(header)] if header else []
    lines += [delimiter.join(repr(float(x)) for x in row) for row in values]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def data(tmp_path_factory):
    """The same P and Q logits (and labels) whole and in shards of every format."""
    root = tmp_path_factory.mktemp("shards")
    rng = np.random.default_rng(6)
    p = np.round(rng.normal(0, 2, (ROWS, CLASSES)), 4)
    q = np.round(rng.normal(0, 2, (ROWS, CLASSES)), 4)
    labels = rng.integers(0, CLASSES, ROWS)
    labels[::7] = -100
    (root / "p.csv").write_text(_csv_text(p, NAMES))
    (root / "q.csv").write_text(_csv_text(q))
    (root / "labels.csv").write_text("\n".join(map(str, labels)) + "\n")
    np.save(root / "p.npy", p)
    np.save(root / "q.npy", q)
    for name in ("p", "q", "labels", "pq"):
        (root / name).mkdir()
    for index, (start, stop) in enumerate(zip(CUTS, CUTS[1:])):
        part = f"part-{index}"
        (root / "p" / f"{part}.csv").write_text(_csv_text(p[start:stop], NAMES))
        (root / "q" / f"{part}.csv").write_text(_csv_text(q[start:stop]))
        (root / "p" / f"{part}.tsv").write_text(_csv_text(p[start:stop], NAMES, "\t"))
        (root / "q" / f"{part}.tsv").write_text(_csv_text(q[start:stop], None, "\t"))
        (root / "p" / f"{part}.jsonl").write_text("".join(json.dumps(dict(zip(NAMES, row))) + "\n"
                                                          for row in p[start:stop].tolist()))
        (root / "q" / f"{part}.jsonl").write_text("".join(json.dumps(row) + "\n" for row in q[start:stop].tolist()))
        np.save(root / "p" / f"{part}.npy", p[start:stop])
        np.save(root / "q" / f"{part}.npy", q[start:stop])
        pq.write_table(pa.table({name: p[start:stop, i] for i, name in enumerate(NAMES)}), root / "p" / f"{part}.parquet")
        pq.write_table(pa.table({name: q[start:stop, i] for i, name in enumerate(NAMES)}), root / "q" / f"{part}.parquet")
        both = {**{f"teacher_{i}": p[start:stop, i] for i in range(CLASSES)},
                "id": np.arange(start, stop), **{f"student_{i}": q[start:stop, i] for i in range(CLASSES)}}
        pq.write_table(pa.table(both), root / "pq" / f"{part}.parquet")
        (root / "labels" / f"{part}.csv").write_text("\n".join(map(str, labels[start:stop])) + "\n")
    return root


def dask(run, scheduler, *args):
    return run(*args, "--engine", "dask", "--scheduler", scheduler)


def same_json(local: dict, distributed_: dict) -> None:
    """Rows identical to the bit; reductions to 1e-12 relative (only the order of additions differs)."""
    assert distributed_["rows"] == local["rows"]
    assert distributed_["n_rows"] == local["n_rows"] and distributed_["classes"] == local["classes"]
    assert distributed_["warnings"] == local["warnings"]
    for name, value in local["reductions"].items():
        assert distributed_["reductions"][name] == pytest.approx(value, rel=1e-12, abs=0)
    value = distributed_["value"]
    assert value == local["value"] if isinstance(value, list) else value == pytest.approx(local["value"], rel=1e-12)


@pytest.mark.parametrize("extension", [".csv", ".tsv", ".jsonl", ".npy", ".parquet"])
def test_kl_on_every_format_agrees_with_the_local_engine(run_json, data, scheduler, extension):
    whole = ".npy" if extension == ".npy" else ".csv"  # .npy names no classes
    local = run_json("kl", data / f"p{whole}", data / f"q{whole}", "--p-as", "logits", "--q-as", "logits", "-T", "2")
    sharded = run_json("kl", f"{data}/p/*{extension}", f"{data}/q/*{extension}", "--p-as", "logits",
                       "--q-as", "logits", "-T", "2", "--engine", "dask", "--scheduler", scheduler)
    same_json(local, sharded)
    assert sharded["p"]["source"] == f"{data}/p/*{extension}"


@pytest.mark.parametrize("dtype", ["float16", "float32"])
def test_shards_kept_in_their_dtype_agree_with_the_local_engine(run_json, data, scheduler, tmp_path, dtype):
    """.npy shards of float16 or float32 are kept so as they are read (their float64 values made
    when asked for, in the worker): the same rows as the whole file read locally."""
    for name in ("p", "q"):
        whole = np.load(data / f"{name}.npy").astype(dtype)
        np.save(tmp_path / f"{name}.npy", whole)
        (tmp_path / name).mkdir()
        for index, (start, stop) in enumerate(zip(CUTS, CUTS[1:])):
            np.save(tmp_path / name / f"part-{index}.npy", whole[start:stop])
    logits = ("--p-as", "logits", "--q-as", "logits")
    local = run_json("kl", tmp_path / "p.npy", tmp_path / "q.npy", *logits)
    same_json(local, run_json("kl", f"{tmp_path}/p/*.npy", f"{tmp_path}/q/*.npy", *logits, "--engine", "dask",
                              "--scheduler", scheduler))


def test_json_document_shards(run_json, scheduler, tmp_path):
    """JSON documents: each shard is read whole, as locally."""
    rng = np.random.default_rng(7)
    p, q = rng.dirichlet(np.ones(CLASSES), 60), rng.dirichlet(np.ones(CLASSES), 60)
    (tmp_path / "p.json").write_text(json.dumps([dict(zip(NAMES, row)) for row in p.tolist()]))
    (tmp_path / "q.json").write_text(json.dumps(q.tolist()))
    for name, values in (("p", p), ("q", q)):
        (tmp_path / name).mkdir()
        for index, rows in enumerate(np.array_split(values, 3)):
            rows = rows.tolist()
            (tmp_path / name / f"part-{index}.json").write_text(
                json.dumps([dict(zip(NAMES, row)) for row in rows] if name == "p" else rows))
    local = run_json("kl", tmp_path / "p.json", tmp_path / "q.json")
    same_json(local, run_json("kl", tmp_path / "p", tmp_path / "q", "--engine", "dask", "--scheduler", scheduler))


@pytest.mark.parametrize("args", [
    ("ce", "labels.csv", "labels/*.csv", "--p-as", "labels", "--q-as", "logits", "--weight", "1,2,1,0.5,1",
     "--label-smoothing", "0.1"),
    ("ce", "p.npy", "p/*.npy", "--p-as", "logits", "--q-as", "logits", "--reduction", "sum"),
    ("entropy", "p.csv", "p/*.parquet", "--p-as", "logits", "--reduction", "none"),
    ("kl", "p.csv", "p/*.csv", "--p-as", "logits", "--q-as", "logits", "--reduction", "none", "--base", "2"),
])
def test_ce_entropy_and_reductions_agree(run_json, data, scheduler, args):
    command, whole, sharded, *options = args
    q = [] if command == "entropy" else [data / "q.csv"]
    q_sharded = [] if command == "entropy" else [f"{data}/q/*.npy"]
    local = run_json(command, data / whole, *q, *options)
    remote = run_json(command, f"{data}/{sharded}", *q_sharded, *options, "--engine", "dask", "--scheduler", scheduler)
    same_json(local, remote)


def test_quiet_none_and_csv_are_byte_identical(run, data, scheduler):
    for output in (["-q", "--reduction", "none"], ["-f", "csv"], ["-q"], ["-f", "table"]):
        local = run("kl", data / "p.csv", data / "q.csv", "--p-as", "logits", "--q-as", "logits", *output)
        remote = dask(run, scheduler, "kl", f"{data}/p/*.csv", f"{data}/q/*.csv", "--p-as", "logits", "--q-as", "logits",
                      *output)
        assert remote.exit_code == 0, remote.stderr
        if output == ["-q"]:
            assert float(remote.stdout) == pytest.approx(float(local.stdout), rel=1e-12)
        elif output == ["-f", "table"]:  # all but the operands' names (and the sum's last digits)
            mine, theirs = remote.stdout.splitlines(), local.stdout.splitlines()
            assert len(mine) == len(theirs)
            assert [line for line in mine if "read as" not in line] == \
                   [line for line in theirs if "read as" not in line]
        else:
            assert remote.stdout == local.stdout


def test_one_dataset_with_column_selections(run_json, data, scheduler):
    local = run_json("kl", data / "p.csv", data / "q.csv", "--p-as", "logits", "--q-as", "logits")
    remote = run_json("kl", f"{data}/pq", f"{data}/pq", "--p-select", "teacher_*", "--q-select",
                      "student_0,student_1,student_2,student_3,student_4", "--p-as", "logits", "--q-as", "logits",
                      "--engine", "dask", "--scheduler", scheduler)
    assert remote["classes"] == [f"teacher_{i}" for i in range(CLASSES)]
    assert [row["kl_divergence"] for row in remote["rows"]] == [row["kl_divergence"] for row in local["rows"]]
    by_index = run_json("kl", f"{data}/p/*.npy", f"{data}/q/*.npy", "--p-select", "1,2", "--q-select", "4,5",
                        "--p-as", "logits", "--q-as", "logits", "--engine", "dask", "--scheduler", scheduler)
    assert by_index["n_classes"] == 2 and by_index["n_rows"] == ROWS
    p, q = np.load(data / "p.npy")[:2, :2], np.load(data / "q.npy")[:2, 3:]

    def literal(rows: np.ndarray) -> str:
        return ";".join(",".join(map(repr, row)) for row in rows.tolist())

    first = run_json("kl", literal(p), literal(q), "--p-as", "logits", "--q-as", "logits")
    assert [row["kl_divergence"] for row in by_index["rows"][:2]] == [row["kl_divergence"] for row in first["rows"]]


def test_select_chooses_every_shards_columns_numbered_from_1(run, run_json, data, scheduler):
    """--select sets P's and Q's shards' columns, by the local engine's rule: numbers from 1, ranges, names
    and patterns; --p-cols, the old spelling of --p-select, reads the same with a warning, and its old
    first column, 0, is refused naming the rule."""
    p, q = np.load(data / "p.npy")[:, 1:4], np.load(data / "q.npy")[:, 1:4]
    expected = np.sum(np.exp(_log_softmax(p)) * (_log_softmax(p) - _log_softmax(q)), axis=1)
    remote = run_json("kl", f"{data}/p/*.npy", f"{data}/q/*.npy", "--select", "2-4", *LOGITS, "--reduction", "none",
                      "--engine", "dask", "--scheduler", scheduler)
    assert remote["n_classes"] == 3
    np.testing.assert_allclose([row["kl_divergence"] for row in remote["rows"]], expected, rtol=1e-9, atol=1e-15)
    by_pattern = run_json("kl", f"{data}/pq", f"{data}/pq", "--p-select", "teacher_[123]", "--q-select", "student_[1-3]",
                          *LOGITS, "--reduction", "none", "--engine", "dask", "--scheduler", scheduler)
    assert by_pattern["classes"] == ["teacher_1", "teacher_2", "teacher_3"]
    old = run("kl", f"{data}/pq", f"{data}/pq", "--p-cols", "2-4", "--q-cols", "student_1,student_2,student_3",
              *LOGITS, "--reduction", "none", "-f", "json", "--engine", "dask", "--scheduler", scheduler)
    assert old.exit_code == 0 and old.stderr.count("--p-cols and --q-cols are now --p-select and --q-select") == 1
    assert [row["kl_divergence"] for row in json.loads(old.stdout)["rows"]] == \
        [row["kl_divergence"] for row in by_pattern["rows"]]
    zero = run("kl", f"{data}/pq", f"{data}/pq", "--p-cols", "0,1", "--q-cols", "6,7", *LOGITS,
               "--engine", "dask", "--scheduler", scheduler)
    assert zero.exit_code == 1 and "--p-cols: no column '0'; columns are numbered from 1" in zero.stderr


def _log_softmax(z: np.ndarray) -> np.ndarray:
    shifted = z - z.max(axis=1, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))


def test_a_literal_of_one_row_is_compared_with_every_row(run, data, scheduler):
    local = run("kl", data / "p.csv", "0.1,0.2,0.3,0.2,0.2", "--p-as", "logits", "-f", "csv")
    remote = dask(run, scheduler, "kl", f"{data}/p/*.parquet", "0.1,0.2,0.3,0.2,0.2", "--p-as", "logits", "-f", "csv")
    assert remote.exit_code == 0, remote.stderr
    assert remote.stdout == local.stdout


def _read_parts(folder: Path) -> list[dict]:
    rows = []
    for part in sorted(folder.iterdir()):
        if part.suffix == ".parquet":
            rows += pq.read_table(part).to_pylist()
        else:
            rows += [{key: value for key, value in record.items()} for record in csv.DictReader(part.open())]
    return rows


@pytest.mark.parametrize("folder, fmt", [("out", "table"), ("out.csv", "json"), ("parts", "csv")])
def test_parts_are_written_by_the_workers(run, data, scheduler, tmp_path, folder, fmt):
    args = ("ce", f"{data}/labels/*.csv", f"{data}/q/*.npy", "--p-as", "labels", "--q-as", "logits")
    local = run(*args[:1], data / "labels.csv", data / "q.csv", *args[3:], "-f", "csv")
    remote = dask(run, scheduler, *args, "-o", tmp_path / folder, "-f", fmt)
    assert remote.exit_code == 0, remote.stderr
    parts = sorted(path.name for path in (tmp_path / folder).iterdir())
    suffix = "parquet" if folder == "out" else "csv"
    assert parts == [f"part-{index:05d}.{suffix}" for index in range(len(CUTS) - 1)]
    expected = list(csv.DictReader(io.StringIO(local.stdout)))
    found = _read_parts(tmp_path / folder)
    assert len(found) == len(expected) == ROWS
    for mine, theirs in zip(found, expected):
        for key, value in theirs.items():
            if suffix == "csv":
                assert mine[key] == value
            elif value == "":
                assert mine[key] is None
            else:
                assert str(mine[key]).lower() == value or float(mine[key]) == float(value)
    if fmt == "json":
        document = json.loads(remote.stdout)
        assert document["rows"] == [] and document["n_rows"] == ROWS
    elif fmt == "table":
        assert "⋮ 980 rows" in remote.stdout and "1000 │" in remote.stdout.replace("  ", "")
    else:
        assert remote.stdout == ""


def test_parts_need_an_empty_folder(run, data, scheduler, tmp_path):
    (tmp_path / "old.txt").write_text("x")
    result = dask(run, scheduler, "kl", f"{data}/p/*.npy", f"{data}/q/*.npy", "-o", tmp_path, "--p-as", "logits",
                  "--q-as", "logits")
    assert result.exit_code == 2 and "not an empty folder" in result.stderr


# --------------------------------------------------------------------------------------------
# js and compare


def same_measures(local: dict, remote: dict) -> None:
    """js and compare: rows identical to the bit, reductions to 1e-12 relative."""
    assert remote["rows"] == local["rows"]
    assert remote["n_rows"] == local["n_rows"] and remote["classes"] == local["classes"]
    assert remote["warnings"] == local["warnings"] and remote["measures"] == local["measures"]
    def close(mine, theirs) -> bool:  # an infinity is the string "inf" in JSON
        return mine == theirs if isinstance(theirs, (str, list)) else mine == pytest.approx(theirs, rel=1e-12, abs=0)

    for name, values in local["reductions"].items():
        assert all(close(remote["reductions"][name][key], value) for key, value in values.items())
    value = local["value"]
    assert all(close(remote["value"][key], x) for key, x in value.items()) if isinstance(value, dict) else \
        close(remote["value"], value)


LOGITS = ("--p-as", "logits", "--q-as", "logits")


@pytest.mark.parametrize("command, extra", [("compare", ("--alpha", "0.5,3", "--ordered")), ("js", ("--distance",)),
                                            ("js", ("--weights", "1/4,3/4", "--reduction", "sum"))])
@pytest.mark.parametrize("extension", [".csv", ".npy", ".parquet"])
def test_compare_and_js_agree_with_the_local_engine(run_json, data, scheduler, command, extra, extension):
    whole = ".npy" if extension == ".npy" else ".csv"
    local = run_json(command, data / f"p{whole}", data / f"q{whole}", *LOGITS, *extra)
    remote = run_json(command, f"{data}/p/*{extension}", f"{data}/q/*{extension}", *LOGITS, *extra,
                      "--engine", "dask", "--scheduler", scheduler)
    same_measures(local, remote)
    assert [operand["source"] for operand in remote["operands"]] == [f"{data}/p/*{extension}", f"{data}/q/*{extension}"]


@pytest.mark.parametrize("command", ["compare", "js"])
def test_compare_and_js_rows_are_byte_identical(run, data, scheduler, command):
    for output in (["-f", "csv"], ["-q", "--reduction", "none"], ["-q"], ["-f", "table"]):
        local = run(command, data / "p.csv", data / "q.csv", *LOGITS, *output)
        remote = dask(run, scheduler, command, f"{data}/p/*.tsv", f"{data}/q/*.tsv", *LOGITS, "--delimiter", "tab", *output)
        assert remote.exit_code == local.exit_code == 0, remote.stderr
        if output == ["-q"]:
            mine, theirs = remote.stdout.split(), local.stdout.split()
            assert mine[::2] == theirs[::2] if command == "compare" else len(mine) == 1
            assert [float(x) for x in mine[command == "compare"::2]] == \
                   pytest.approx([float(x) for x in theirs[command == "compare"::2]], rel=1e-12)
        elif output == ["-f", "table"]:  # all but the operands' names
            assert [line for line in remote.stdout.splitlines() if "read as" not in line] == \
                   [line for line in local.stdout.splitlines() if "read as" not in line]
        else:
            assert remote.stdout == local.stdout


def test_compare_with_column_selections_labels_and_a_literal(run_json, data, scheduler, tmp_path):
    local = run_json("compare", data / "p.csv", data / "q.csv", *LOGITS)
    remote = run_json("compare", f"{data}/pq", f"{data}/pq", "--p-cols", "teacher_*", "--q-cols", "student_*",
                      *LOGITS, "--engine", "dask", "--scheduler", scheduler)
    assert remote["classes"] == [f"teacher_{i}" for i in range(CLASSES)]
    assert [{**row} for row in remote["rows"]] == local["rows"]
    (tmp_path / "labels").mkdir()  # compare has no ignore index: the labels without -100
    for part in [data / "labels.csv", *(data / "labels").iterdir()]:
        name = part.name if part.parent.name == "labels" and part.parent != data else "../labels.csv"
        (tmp_path / "labels" / name).write_text(part.read_text().replace("-100", "3"))
    local = run_json("compare", tmp_path / "labels.csv", data / "q.csv", "--p-as", "labels", "--q-as", "logits")
    remote = run_json("compare", f"{tmp_path}/labels/*.csv", f"{data}/q/*.npy", "--p-as", "labels", "--q-as", "logits",
                      "--engine", "dask", "--scheduler", scheduler)
    assert local["warnings"] and remote["warnings"] == local["warnings"]  # kl_qp is +inf for one-hot rows
    same_measures(local, remote)
    literal = "0.1,0.2,0.3,0.2,0.2"
    local = run_json("js", literal, data / "q.csv", "--q-as", "logits", "--reduction", "none")
    same_measures(local, run_json("js", literal, f"{data}/q/*.jsonl", "--q-as", "logits", "--reduction", "none",
                                  "--engine", "dask", "--scheduler", scheduler))


def test_compare_infinite_measures_warn_as_locally(run, scheduler, tmp_path):
    """The warning names the measures in the local engine's order and the first row in the whole input."""
    rng = np.random.default_rng(8)
    p, q = rng.dirichlet(np.ones(3), 600), rng.dirichlet(np.ones(3), 600)
    p[[5, 420], 2], q[[270, 599], 0] = 0, 0
    p, q = p / p.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)
    for name, values in (("p", p), ("q", q)):
        (tmp_path / f"{name}.csv").write_text(_csv_text(values))
        (tmp_path / name).mkdir()
        for index, (start, stop) in enumerate([(0, 250), (250, 280), (280, 600)]):
            (tmp_path / name / f"part-{index}.csv").write_text(_csv_text(values[start:stop]))
    local = run("compare", tmp_path / "p.csv", tmp_path / "q.csv", "-q")
    remote = dask(run, scheduler, "compare", tmp_path / "p", tmp_path / "q", "-q")
    assert local.exit_code == remote.exit_code == 0
    assert local.stderr.startswith("warning: kl_qp, jeffreys, chi2_neyman, kl_pq,") and "(first: row 6)" in local.stderr
    assert remote.stderr == local.stderr


@pytest.mark.parametrize("command, folder, fmt", [("compare", "out", "table"), ("js", "out.csv", "json"),
                                                  ("js", "parts", "csv"), ("compare", "q", "-q")])
def test_measure_parts_have_the_keys_as_columns(run, data, scheduler, tmp_path, command, folder, fmt):
    args = (f"{data}/p/*.npy", f"{data}/q/*.parquet", *LOGITS)
    local = run(command, data / "p.npy", data / "q.csv", *LOGITS, "-f", "csv")
    output = ["-q"] if fmt == "-q" else ["-f", fmt]
    remote = dask(run, scheduler, command, *args, "-o", tmp_path / folder, *output)
    assert remote.exit_code == 0, remote.stderr
    suffix = "csv" if folder.endswith(".csv") or fmt == "csv" else "parquet"
    assert sorted(path.name for path in (tmp_path / folder).iterdir()) == \
           [f"part-{index:05d}.{suffix}" for index in range(len(CUTS) - 1)]
    if suffix == "csv":
        assert "".join(part.read_text().split("\n", 1)[1] for part in sorted((tmp_path / folder).iterdir())) == \
               local.stdout.split("\n", 1)[1]
    else:
        expected = list(csv.DictReader(io.StringIO(local.stdout)))
        found = _read_parts(tmp_path / folder)
        assert list(found[0]) == list(expected[0])
        assert [{key: repr(value) if key != "row" else str(value) for key, value in row.items()} for row in found] == \
               [{key: value if key == "row" else repr(float(value)) for key, value in row.items()} for row in expected]
    if fmt == "json":
        document = json.loads(remote.stdout)
        assert document["rows"] == [] and document["n_rows"] == ROWS
    elif fmt == "-q":
        lines = remote.stdout.splitlines()
        assert len(lines) == 18 and lines[0].startswith("kl_pq\t")
    elif fmt == "table":
        table = run(command, data / "p.npy", data / "q.csv", *LOGITS)
        assert [line for line in remote.stdout.splitlines() if "read as" not in line] == \
               [line for line in table.stdout.splitlines() if "read as" not in line]
    else:
        assert remote.stdout == ""


def test_js_table_with_parts_shows_the_first_and_last_rows_as_locally(run, data, scheduler, tmp_path):
    for rows in (25, ROWS):  # between TABLE_ROWS and TABLE_ROWS + its tail, and many more
        for name in ("p", "q"):
            values = np.load(data / f"{name}.npy")[:rows]
            np.save(tmp_path / f"{name}{rows}.npy", values)
            (tmp_path / f"{name}{rows}").mkdir()
            for index, part in enumerate(np.array_split(values, 3)):
                np.save(tmp_path / f"{name}{rows}" / f"part-{index}.npy", part)
        local = run("js", tmp_path / f"p{rows}.npy", tmp_path / f"q{rows}.npy", *LOGITS)
        remote = dask(run, scheduler, "js", tmp_path / f"p{rows}", tmp_path / f"q{rows}", *LOGITS,
                      "-o", tmp_path / f"out{rows}")
        assert remote.exit_code == 0, remote.stderr
        assert [line for line in remote.stdout.splitlines() if "read as" not in line] == \
               [line for line in local.stdout.splitlines() if "read as" not in line]


def test_an_error_in_one_shard_of_compare_names_its_file_and_line(run, data, scheduler, tmp_path):
    bad = _csv_shards_with(data / "q", tmp_path / "q", "part-2.csv", 0, "0.1,0.2,x,0.3,0.4")
    for command in ("compare", "js"):
        message = _one_line(dask(run, scheduler, command, f"{data}/p/*.csv", bad, *LOGITS, "-o", tmp_path / "out"), 1)
        assert message.startswith(f"Error: {bad}/part-2.csv:1:3: not a number: 'x'"), message
    assert not (tmp_path / "out").exists()


# --------------------------------------------------------------------------------------------
# errors and warnings


def _csv_shards_with(source: Path, folder: Path, name: str, index: int, line: str) -> Path:
    """A copy of the CSV shards of ``source`` in which line ``index`` (from 0) of shard ``name`` is ``line``."""
    folder.mkdir()
    for part in source.glob("*.csv"):
        (folder / part.name).write_text(part.read_text())
    lines = (folder / name).read_text().splitlines()
    lines[index] = line
    (folder / name).write_text("\n".join(lines) + "\n")
    return folder


def _one_line(result, code: int) -> str:
    assert result.exit_code == code, result.stdout + result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def test_an_error_in_one_shard_names_its_file_and_line(run, data, scheduler, tmp_path):
    bad = _csv_shards_with(data / "p", tmp_path / "p", "part-4.csv", 17, "0.1,0.2,nan,0.3,0.4")
    for extra in ([], ["-o", tmp_path / "out"]):
        message = _one_line(dask(run, scheduler, "kl", f"{bad}/*.csv", f"{data}/q/*.csv", "--p-as", "logits",
                                 "--q-as", "logits", *extra), 1)
        assert message.startswith(f"Error: {bad}/part-4.csv:18:3: nan is not a value")
    assert not (tmp_path / "out").exists()  # nothing is written when a shard is wrong


def test_errors_of_binary_shards_name_the_row_in_the_shard(run, data, scheduler, tmp_path):
    bad = tmp_path / "q"
    bad.mkdir()
    for index, (start, stop) in enumerate(zip(CUTS, CUTS[1:])):
        values = np.full((stop - start, CLASSES), 0.2)
        if index == 4:
            values[9] = [0.5, 0.5, 0.5, 0.0, 0.0]
        np.save(bad / f"part-{index}.npy", values)
    message = _one_line(dask(run, scheduler, "kl", f"{data}/p/*.npy", f"{bad}", "--p-as", "logits"), 1)
    assert message.startswith(f"Error: {bad}/part-4.npy: row 10: this row sums to 1.5, not 1")


@pytest.mark.parametrize("p, q, words", [
    ("p/*.csv", "q/part-[0-3].csv", "P has 5 shards"),
    ("p/*.csv", "labels/*.csv", "every row of Q has a single class"),
    ("nowhere/*.csv", "q/*.csv", "no shards: nothing matches"),
])
def test_shards_that_do_not_fit(run, data, scheduler, p, q, words):
    message = _one_line(dask(run, scheduler, "kl", f"{data}/{p}", f"{data}/{q}", "--p-as", "logits", "--q-as",
                             "logits"), 1)
    assert words in message


def test_a_shard_of_other_rows_or_width(run, data, scheduler, tmp_path):
    short = tmp_path / "short"
    wide = tmp_path / "wide"
    short.mkdir()
    wide.mkdir()
    for index, (start, stop) in enumerate(zip(CUTS, CUTS[1:])):
        np.save(short / f"part-{index}.npy", np.zeros((stop - start - (index == 4), CLASSES)))
        np.save(wide / f"part-{index}.npy", np.zeros((stop - start, CLASSES + (index == 3))))
    message = _one_line(dask(run, scheduler, "kl", f"{data}/p/*.npy", short, "--p-as", "logits", "--q-as",
                             "logits"), 1)
    assert message == (f"Error: P has 350 rows ({data}/p/part-4.npy) but Q has 349 ({short}/part-4.npy); "
                       "give both the same number of rows, or one of them a single row to compare against every row")
    message = _one_line(dask(run, scheduler, "kl", f"{data}/p/*.npy", wide, "--p-as", "logits", "--q-as",
                             "logits"), 1)
    assert message == (f"Error: {wide}/part-3.npy: row 1: this shard has 6 values per row, the first shard has 5; "
                       "every shard needs one value per class")


def test_infinite_kl_warns_on_stderr_as_locally(run, data, scheduler, tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "q").mkdir()
    for index in range(3):
        np.save(tmp_path / "p" / f"part-{index}.npy", np.array([[0.5, 0.5], [0.25, 0.75]]))
        np.save(tmp_path / "q" / f"part-{index}.npy", np.array([[1.0, 0.0], [0.5, 0.5]]))
    result = dask(run, scheduler, "kl", tmp_path / "p", tmp_path / "q", "-q")
    assert result.exit_code == 0 and result.stdout == "inf\n"
    warnings = result.stderr.strip().splitlines()
    assert len(warnings) == 3 and all(line.startswith("warning: D(P‖Q) is +inf: row 1, class '1'") for line in warnings)
    assert f"({tmp_path}/q/part-2.npy: row 1, item 2)" in warnings[2]


@pytest.mark.parametrize("args, words", [
    (["kl", "1,0", "0,1", "--scheduler", "tcp://x:1"], "--scheduler is read by --engine dask only"),
    (["kl", "1,0", "0,1", "--p-cols", "a", "--p-select", "b"], "--p-cols is the old spelling of --p-select"),
    (["kl", "1,0", "0,1", "--engine", "dask", "--columns"], "--columns needs whole operands"),
    (["kl", "-", "0,1", "--engine", "dask"], "not standard input"),
    (["entropy", "1;0", "--p-as", "labels", "--engine", "dask"], "entropy of labels"),
    (["compare", "1,0", "0,1", "--p-drop", "a", "--engine", "dask"], "--p-drop: --engine local only"),
    (["js", "1,0", "0,1", "--engine", "dask", "--columns"], "--columns needs whole operands"),
])
def test_usage_errors(run, args, words):
    result = run(*args, input="0.5,0.5\n")
    assert result.exit_code == 2 and words in result.stderr and result.stdout == ""


def test_js_of_three_operands_is_local_only(run):
    message = _one_line(run("js", "1,0", "0,1", "0.5,0.5", "--engine", "dask"), 2)
    assert message == ("Error: --engine dask computes js of two operands; js of 3 operands is local only "
                       "(leave --engine local)")


def test_an_unreachable_scheduler_is_one_line(run, data):
    result = run("kl", f"{data}/p/*.npy", f"{data}/q/*.npy", "--engine", "dask", "--scheduler", "tcp://127.0.0.1:9",
                 "-q")
    message = _one_line(result, 2)
    assert message.startswith("Error: cannot reach the Dask scheduler at tcp://127.0.0.1:9") and "dask scheduler" in message


# --------------------------------------------------------------------------------------------
# the whole program, in a subprocess


def test_without_dask_installed_the_engine_says_how_to_install_it(data):
    """The extra is missing: imports of dask fail (as when it is not installed)."""
    code = ("import sys; sys.modules['dask'] = None; sys.modules['distributed'] = None; "
            "from divcli.cli import main; sys.argv = ['divcli'] + sys.argv[1:]; main()")
    result = subprocess.run([sys.executable, "-c", code, "kl", f"{data}/p/*.npy", f"{data}/q/*.npy", "--engine",
                             "dask"], capture_output=True, text=True, timeout=60, cwd=ROOT)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.strip().splitlines() == [
        "Error: --engine dask needs Dask, which is not installed here (no module 'dask'); "
        'install it with: pip install "divcli[dask]"']
    local = subprocess.run([sys.executable, "-c", code, "kl", "0.5,0.5", "0.25,0.75", "-q"], capture_output=True,
                           text=True, timeout=60, cwd=ROOT)
    assert local.returncode == 0 and local.stdout.startswith("0.1438")  # the local engine needs no Dask


def test_without_a_scheduler_a_local_cluster_is_started_and_named_when_verbose(data):
    env = dict(os.environ)
    env.pop("FORCE_COLOR", None)
    result = subprocess.run([sys.executable, "-m", "divcli", "kl", f"{data}/p/*.npy", f"{data}/q/*.npy",
                             "--p-as", "logits", "--q-as", "logits", "--engine", "dask", "-v", "-q"],
                            capture_output=True, text=True, timeout=180, cwd=ROOT, env=env)
    assert result.returncode == 0, result.stderr
    local = subprocess.run([sys.executable, "-m", "divcli", "kl", f"{data}/p.csv", f"{data}/q.csv",
                            "--p-as", "logits", "--q-as", "logits", "-q"], capture_output=True, text=True, timeout=60)
    assert float(result.stdout) == pytest.approx(float(local.stdout), rel=1e-12)
    said = result.stderr.splitlines()
    assert said[0].startswith("dask: scheduler tcp://") and "dashboard http://" in said[0]
    assert said[1] == "dask: 5 tasks, one per shard pair"


def test_wide_rows_are_cut_as_the_local_engine_cuts_them(run, scheduler, tmp_path):
    """5,000 classes: the first block holds 104 rows (2^19 values), not FIRST_BLOCK_ROWS; shards cut
    inside it and after it give the local engine's per-row values, byte for byte."""

    rng = np.random.default_rng(13)
    p, q = (np.round(rng.normal(0, 2, (300, 5000)), 2) for _ in range(2))
    assert sizes.first_block_rows(5000) == 104 < FIRST_BLOCK_ROWS
    for name, values in (("p", p), ("q", q)):
        (tmp_path / f"{name}.tsv").write_text(_csv_text(values, delimiter="\t"))
        (tmp_path / name).mkdir()
        for index, (start, stop) in enumerate(zip([0, 100, 250], [100, 250, 300])):
            (tmp_path / name / f"part-{index}.tsv").write_text(_csv_text(values[start:stop], delimiter="\t"))
    args = ("--p-as", "logits", "--q-as", "logits", "-f", "csv", "--reduction", "none")
    local = run("kl", tmp_path / "p.tsv", tmp_path / "q.tsv", *args)
    remote = dask(run, scheduler, "kl", tmp_path / "p", tmp_path / "q", *args)
    assert local.exit_code == 0 and remote.exit_code == 0, remote.stderr
    assert remote.stdout == local.stdout


def test_renormalised_rows_are_reported_over_every_shard(run_json, scheduler, tmp_path):
    """Each shard's largest |Σ − 1| of the rows divided by their sums, merged: the whole run's, as locally."""
    rng = np.random.default_rng(20)
    p, q = rng.dirichlet(np.ones(CLASSES), 90), rng.dirichlet(np.ones(CLASSES), 90)
    p[70, 0] += 3e-7  # in the last shard of P; the largest of Q in its first
    p[10, 1] += 1e-7
    q[5, 2] -= 4e-7
    for name, values in (("p", p), ("q", q)):
        (tmp_path / f"{name}.csv").write_text(_csv_text(values, NAMES))
        (tmp_path / name).mkdir()
        for index, rows in enumerate(np.array_split(values, 3)):
            (tmp_path / name / f"part-{index}.csv").write_text(_csv_text(rows, NAMES))
    local = run_json("kl", tmp_path / "p.csv", tmp_path / "q.csv")
    remote = run_json("kl", tmp_path / "p", tmp_path / "q", "--engine", "dask", "--scheduler", scheduler)
    same_json(local, remote)
    assert remote["inputs"] == local["inputs"]
    assert remote["inputs"]["p"]["largest_deviation"] == pytest.approx(3e-7, rel=1e-6)
    assert remote["inputs"]["q"]["largest_deviation"] == pytest.approx(4e-7, rel=1e-6)
