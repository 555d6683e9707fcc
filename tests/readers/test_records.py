"""Records with a list field, as data code writes them: a JSON array of ``{"id": 7, "logits": […]}``
(pandas' ``to_json(orient="records")``), the same a line each (JSON Lines), and Parquet with an
``id`` column and a list column (``to_parquet``). The list is the row (``--select`` names it, or
the only list is taken), ``--names id`` names the rows; rows of another length, several lists and
a choice that is not a list are refused, with their words.

The numbers are checked against a plain float64 computation and against the same rows as a CSV."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from helpers.extras import needs

RNG = np.random.default_rng(26)
P = RNG.dirichlet(np.ones(6), size=5)
Q = RNG.dirichlet(np.ones(6), size=5)
IDS = [7, 8, 9, 10, 11]


def kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return (p * np.log(p / q)).sum(axis=1)


def rows_of(run, p, q, *options) -> tuple[list[str], list[float]]:
    """The row names and D(P‖Q) of every row (``--reduction row -f csv``)."""
    result = run("kl", p, q, "--reduction", "row", "-f", "csv", *options)
    assert result.exit_code == 0, result.stderr
    lines = [line.split(",") for line in result.stdout.splitlines()]
    head = lines[0]
    names = [line[head.index("name")] for line in lines[1:]] if "name" in head else []
    return names, [float(line[head.index("kl_divergence")]) for line in lines[1:]]


def fails(result, *parts: str) -> None:
    assert result.exit_code == 1, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    for part in parts:
        assert part in result.stderr, f"{part!r} not in {result.stderr!r}"


def records(p: np.ndarray, **extra) -> list[dict]:
    return [{"id": id_, "text": f"sample {id_}", "logits": row, **{k: v[i] for k, v in extra.items()}}
            for i, (id_, row) in enumerate(zip(IDS, p.tolist()))]


@pytest.fixture
def csvs(tmp_path) -> tuple[str, str]:
    """P and Q as plain CSV files: what the records must read the same as."""
    paths = tmp_path / "p.csv", tmp_path / "q.csv"
    for path, values in zip(paths, (P, Q)):
        np.savetxt(path, values, delimiter=",", fmt="%.17g")
    return str(paths[0]), str(paths[1])


@pytest.fixture
def jsonl(tmp_path) -> str:
    path = tmp_path / "p.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records(P)))
    return str(path)


@pytest.fixture
def q_jsonl(tmp_path) -> str:
    """Q's records: --select and --names choose in both operands."""
    path = tmp_path / "q.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records(Q)))
    return str(path)


@pytest.mark.parametrize("select", [(), ("--select", "logits"), ("--select", "3")])
def test_json_lines_of_records_read_their_list_field(run, jsonl, q_jsonl, csvs, select):
    """The only list, or the one --select names (by key, or numbered from 1 in the record)."""
    names, found = rows_of(run, jsonl, q_jsonl, *select)
    assert names == []
    assert found == pytest.approx(kl_rows(P, Q), rel=1e-12)
    assert found == rows_of(run, csvs[0], csvs[1])[1]


def test_records_name_their_rows_with_names(run, tmp_path, jsonl):
    array = tmp_path / "p.json"
    array.write_text(json.dumps(records(Q)))
    for p in (jsonl, f"{jsonl}"):
        names, found = rows_of(run, p, array, "--names", "id")
        assert names == [str(id_) for id_ in IDS]
        assert found == pytest.approx(kl_rows(P, Q), rel=1e-12)
    names, _ = rows_of(run, jsonl, array, "--names", "text", "--select", "logits")
    assert names == [f"sample {id_}" for id_ in IDS]


def test_a_single_record_is_one_row(run_json, tmp_path):
    path = tmp_path / "one.json"
    path.write_text(json.dumps({"id": 3, "probs": [0.25, 0.75]}))
    document = run_json("entropy", path, "--names", "id", "--reduction", "row")
    assert document["rows"][0]["name"] == "3"
    assert document["rows"][0]["entropy_p"] == pytest.approx(-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)))


def test_pandas_records_and_columns_layouts_of_a_frame_with_a_list_column(run, tmp_path, q_jsonl):
    pandas = needs("pandas")
    frame = pandas.DataFrame({"id": IDS, "logits": list(P)})
    for orient in ("records", "columns", "index", "split", "table"):
        path = tmp_path / f"{orient}.json"
        frame.to_json(path, orient=orient, double_precision=15)
        names, found = rows_of(run, path, q_jsonl, "--names", "id")
        assert names == [str(id_) for id_ in IDS], orient
        assert found == pytest.approx(kl_rows(P, Q), rel=1e-9), orient
    lines = tmp_path / "lines.jsonl"
    frame.to_json(lines, orient="records", lines=True, double_precision=15)
    assert rows_of(run, lines, q_jsonl, "--select", "logits")[1] == pytest.approx(kl_rows(P, Q), rel=1e-9)


def test_several_lists_need_a_select(run, tmp_path, q_jsonl):
    path = tmp_path / "two.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in records(P, teacher=Q.tolist())))
    fails(run("kl", path, q_jsonl), "two.jsonl:1: the record holds 2 list fields: 'logits', 'teacher'",
          "choose the list with --select logits")
    assert rows_of(run, path, path, "--select", "teacher")[1] == [0.0] * 5
    names, found = rows_of(run, path, path, "--drop", "teacher", "--names", "id")
    assert found == [0.0] * 5 and names == [str(id_) for id_ in IDS]


@pytest.mark.parametrize(("options", "parts"), [
    (("--select", "id"), ("p.jsonl:1: --select chooses 'id', but the numbers are one list field",
                          "choose the list with --select logits (its list fields are 'logits')")),
    (("--select", "logits,id"), ("--select chooses 'logits', 'id', but the numbers are one list field",)),
    (("--names", "logits"), ("p.jsonl:1: --names field 'logits' is a list",)),
    (("--select", "label"), ("--select: no column 'label'; its columns are 'id', 'text', 'logits'",)),
])
def test_a_choice_that_is_not_one_list_is_refused(run, jsonl, options, parts):
    fails(run("entropy", jsonl, *options), *parts)


def test_records_of_another_length_are_refused_at_the_first(run, tmp_path):
    rows = records(P)
    rows[3]["logits"] = rows[3]["logits"][:4]
    path = tmp_path / "ragged.jsonl"
    path.write_text("".join(json.dumps(record) + "\n" for record in rows))
    fails(run("entropy", path), "ragged.jsonl:4: this row has 4 values, the first has 6")
    array = tmp_path / "ragged.json"
    array.write_text(json.dumps(rows, indent=1))
    fails(run("entropy", array), "ragged.json:", "this row has 4 values, the first has 6")


def test_a_bad_value_in_a_list_field_is_placed(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": 1, "p": [0.5, 0.5]}\n{"id": 2, "p": [0.5, "x"]}\n')
    fails(run("entropy", path), 'bad.jsonl:2:22: not a number: "x"')


# --------------------------------------------------------------------------------------------
# Parquet: an id column and a list column


def parquet_file(tmp_path, name: str, **columns) -> str:
    pa = needs("pyarrow")
    parquet = needs("pyarrow.parquet")
    path = tmp_path / name
    parquet.write_table(pa.table(columns), path)
    return str(path)


def test_parquet_from_pandas_with_an_id_and_a_list_column(run, tmp_path, csvs, jsonl, q_jsonl):
    needs("pyarrow")
    pandas = needs("pandas")
    path = tmp_path / "p.parquet"
    pandas.DataFrame({"id": IDS, "logits": list(P)}).to_parquet(path)
    assert rows_of(run, path, csvs[1])[1] == rows_of(run, csvs[0], csvs[1])[1]
    for options in ((), ("--select", "logits")):
        names, found = rows_of(run, path, q_jsonl, "--names", "id", *options)
        assert names == [str(id_) for id_ in IDS]
        assert found == pytest.approx(kl_rows(P, Q), rel=1e-12)
    assert rows_of(run, path, jsonl)[1] == [0.0] * 5


def test_parquet_with_two_list_columns_needs_a_select(run, tmp_path, csvs):
    path = parquet_file(tmp_path, "two.parquet", id=["a", "b", "c", "d", "e"], logits=P.tolist(), teacher=Q.tolist())
    fails(run("kl", path, csvs[1]), "two.parquet: the file has 2 list columns: 'logits', 'teacher'",
          "choose the list with --select logits")
    teacher = parquet_file(tmp_path, "teacher.parquet", id=["a", "b", "c", "d", "e"], logits=Q.tolist())
    names, found = rows_of(run, path, teacher, "--select", "logits", "--names", "id")
    assert names == list("abcde") and found == pytest.approx(kl_rows(P, Q), rel=1e-12)
    fails(run("entropy", path, "--select", "id"), "--select chooses 'id', but the numbers are one list column")
    fails(run("entropy", path, "--select", "teacher", "--names", "logits"), "--names column 'logits' is a list")


def test_parquet_list_rows_of_another_length_are_refused_at_the_first(run, tmp_path):
    rows = P.tolist()
    rows[2] = rows[2][:5]
    path = parquet_file(tmp_path, "ragged.parquet", id=IDS, logits=rows)
    fails(run("entropy", path, "--names", "id"), "ragged.parquet: row 3: this row has 5 values, the first has 6")
