"""JSON documents as ML code writes them: ``json.dump({"logits": …})``, torch-style nested dicts,
objects of several arrays, pandas' ``to_json`` layouts; a path after the file's name
(``out.json:model.logits``) into a document or into every line of JSON Lines; and the refusals (a
key that is not there, several arrays, a path through a number), with their words.

Every number is checked against a plain float64 computation of the same rows, and against the same
rows given as a CSV file."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from helpers.extras import needs

RNG = np.random.default_rng(25)
P = RNG.dirichlet(np.ones(5), size=4)
Q = RNG.dirichlet(np.ones(5), size=4)


def kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """D(P‖Q) per row, in nats: the float64 reference."""
    return (p * np.log(p / q)).sum(axis=1)


def rows_of(run, p: str, q: str, *options) -> list[float]:
    result = run("kl", p, q, "--reduction", "row", "-f", "csv", *options)
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    column = lines[0].split(",").index("kl_divergence")
    return [float(line.split(",")[column]) for line in lines[1:]]


def assert_kl(run, p: str, q: str, expected: np.ndarray, *options) -> None:
    found = rows_of(run, p, q, *options)
    assert len(found) == len(expected)
    for value, reference in zip(found, expected):
        assert math.isclose(value, reference, rel_tol=1e-12, abs_tol=1e-15)


@pytest.fixture
def q_csv(tmp_path) -> str:
    path = tmp_path / "q.csv"
    np.savetxt(path, Q, delimiter=",", fmt="%.17g")
    return str(path)


def write(tmp_path, name: str, document) -> str:
    """``document`` as JSON (a string: the text as written)."""
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return str(path)


def fails(result, *parts: str) -> str:
    """Exit 1, one line on stderr holding every part, nothing on stdout."""
    assert result.exit_code == 1, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    for part in parts:
        assert part in result.stderr, f"{part!r} not in {result.stderr!r}"
    return result.stderr


# --------------------------------------------------------------------------------------------
# a path after the file's name, and the one array of a container


def test_the_only_array_of_an_object_is_read_with_or_without_its_key(run, tmp_path, q_csv):
    """json.dump({"logits": …}): today's most common file; read as the array, as :logits says too."""
    path = write(tmp_path, "p.json", {"logits": P.tolist()})
    assert_kl(run, path, q_csv, kl_rows(P, Q))
    assert_kl(run, path + ":logits", q_csv, kl_rows(P, Q))
    csv = tmp_path / "p.csv"
    np.savetxt(csv, P, delimiter=",", fmt="%.17g")
    assert rows_of(run, path, q_csv) == rows_of(run, str(csv), q_csv)


def test_a_torch_style_nested_dict_is_followed_down_to_its_one_array(run, tmp_path, q_csv):
    """Other keys holding plain values (a step, a name, a config of numbers) are no arrays."""
    document = {"config": {"lr": 0.1, "name": "run-3"}, "step": 1200,
                "model": {"outputs": {"probs": P.tolist()}, "epoch": 3}}
    path = write(tmp_path, "state.json", document)
    assert_kl(run, path, q_csv, kl_rows(P, Q))
    assert_kl(run, path + ":model.outputs.probs", q_csv, kl_rows(P, Q))
    assert_kl(run, path + ":model.outputs", q_csv, kl_rows(P, Q))


def test_an_object_of_several_arrays_is_read_by_key_and_refused_without_one(run, tmp_path):
    path = write(tmp_path, "pq.json", {"p": P.tolist(), "q": Q.tolist(), "step": 3})
    assert_kl(run, path + ":p", path + ":q", kl_rows(P, Q))
    fails(run("kl", path, path + ":q"), "pq.json: 2 arrays in it: 'p', 'q'",
          f"choose one after the file's name, as {path}:p")


def test_keys_with_dots_are_written_as_they_are_and_lists_are_indexed_from_0(run, tmp_path):
    """torch's state-dict keys hold dots: the longest key that matches is taken, no escape needed."""
    document = {"model.layers.0.out": P.tolist(), "runs": [{"probs": P.tolist()}, {"probs": Q.tolist()}]}
    path = write(tmp_path, "dots.json", document)
    assert_kl(run, path + ":model.layers.0.out", path + ":runs.1.probs", kl_rows(P, Q))
    assert_kl(run, path + ":runs.0.probs", path + ":runs.1.probs", kl_rows(P, Q))
    one_row = rows_of(run, path + ":runs.0.probs.2", path + ":runs.1.probs.2")
    assert math.isclose(one_row[0], kl_rows(P, Q)[2], rel_tol=1e-12)


def test_a_key_holding_a_colon_is_fine_after_the_first_colon(run, tmp_path):
    path = write(tmp_path, "colon.json", {"a:b": P.tolist(), "c": Q.tolist()})
    assert_kl(run, path + ":a:b", path + ":c", kl_rows(P, Q))


@pytest.mark.parametrize(("path", "document", "parts"), [
    ("p.json:logit", {"logits": [[0.5, 0.5]], "step": 3},
     ("p.json: no key 'logit' in the document; its keys are 'logits', 'step'",)),
    ("p.json:model.logit", {"model": {"logits": [[0.5, 0.5]], "step": 3}},
     ("p.json: no key 'logit' in 'model'; its keys are 'logits', 'step'",)),
    ("p.json:runs.2", {"runs": [[0.5, 0.5], [0.2, 0.8]]},
     ("p.json: 'runs' is a list of 2, and '2' is no index of it; index it from 0 to 1",)),
    ("p.json:step.x", {"step": 3, "logits": [0.5, 0.5]},
     ("p.json: 'step' is a number, not an object or a list; write the path up to 'step'",)),
    ("p.json:logits", {"logits": [[0.5, "0.5"]]}, ("p.json:1:19: not a number: \"0.5\"",)),
    ("p.json", {"meta": {"name": "x"}, "step": 3, "nested": {"deeper": {"a": 1}}},
     ("p.json: 'nested': no list of numbers in it; its keys are 'deeper'",)),
    ("p.json:model.logits", '{"model": {"logits": [[0.5, 0.5]], "logits": [[0.2, 0.8]]}}',
     ("p.json: 'model': the object names key 'logits' twice; give each key once",)),
    ("p.json", '{"logits": [[0.5, 0.5]], "logits": [[0.2, 0.8]]}',
     ("p.json: the object names key 'logits' twice; give each key once",)),
    ("p.json:runs", {"runs": {"a": [0.5, 0.5], "b": [0.5, 0.5]}},
     ("p.json: 'runs': 2 arrays in it: 'a', 'b'", "choose one after the file's name, as ", "p.json:runs.a")),
])
def test_a_path_that_leads_nowhere_is_refused_with_what_is_there(run, tmp_path, path, document, parts):
    file = write(tmp_path, path.partition(":")[0], document)
    fails(run("entropy", file + path.partition(":")[1] + path.partition(":")[2]), *parts)


def test_a_missing_file_with_a_key_is_no_existing_file(run, tmp_path):
    result = run("entropy", str(tmp_path / "absent.json") + ":logits")
    assert result.exit_code == 1 and "no existing file" in result.stderr


def test_a_flat_object_of_numbers_is_still_one_named_row(run_json, tmp_path):
    document = run_json("entropy", write(tmp_path, "row.json", {"cat": 0.25, "dog": 0.75}))
    assert document["classes"] == ["cat", "dog"]
    assert math.isclose(document["value"], -(0.25 * math.log(0.25) + 0.75 * math.log(0.75)), rel_tol=1e-14)


# --------------------------------------------------------------------------------------------
# JSON Lines: the path into every line, read a block at a time


def test_a_path_into_every_line_of_json_lines(run, tmp_path, q_csv):
    path = tmp_path / "run.jsonl"
    path.write_text("".join(json.dumps({"id": i, "outputs": {"probs": row, "text": "…"}}) + "\n"
                            for i, row in enumerate(P.tolist())))
    assert_kl(run, f"{path}:outputs.probs", q_csv, kl_rows(P, Q))
    lines = path.read_text().splitlines()
    lines[2] = json.dumps({"id": 2, "output": {"probs": P[2].tolist()}})
    path.write_text("\n".join(lines) + "\n")
    fails(run("kl", f"{path}:outputs.probs", q_csv),
          "run.jsonl:3: no key 'outputs' in the document; its keys are 'id', 'output'")


def test_a_path_into_json_lines_places_a_bad_value_at_its_line_and_column(run, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"out": {"p": [0.5, 0.5]}}\n{"out": {"p": [0.5, null]}}\n')
    fails(run("entropy", f"{path}:out.p"), "bad.jsonl:2:21: not a number: null")


# --------------------------------------------------------------------------------------------
# pandas' to_json, every layout, against the same frame as a CSV


PANDAS_LAYOUTS = ("columns", "index", "split", "records", "table", "values")


@pytest.mark.parametrize("orient", PANDAS_LAYOUTS)
def test_every_pandas_layout_of_a_frame_of_probabilities(run, tmp_path, q_csv, orient):
    pandas = needs("pandas")
    frame = pandas.DataFrame(P, columns=["a", "b", "c", "d", "e"])
    path = tmp_path / f"{orient}.json"
    frame.to_json(path, orient=orient, double_precision=15)
    csv = tmp_path / "p.csv"
    frame.to_csv(csv, index=False, float_format="%.15g")
    found, expected = rows_of(run, str(path), q_csv), rows_of(run, str(csv), q_csv)
    assert found == pytest.approx(expected, rel=1e-12)  # pandas' JSON writer rounds on its own
    assert found == pytest.approx(kl_rows(P, Q), rel=1e-9)


@pytest.mark.parametrize(("orient", "text"), [
    ("columns", '{"a":{"0":0.25,"1":0.5},"b":{"0":0.75,"1":0.5}}'),
    ("index", '{"0":{"a":0.25,"b":0.75},"1":{"a":0.5,"b":0.5}}'),
    ("split", '{"columns":["a","b"],"index":[0,1],"data":[[0.25,0.75],[0.5,0.5]]}'),
    ("table", '{"schema":{"fields":[{"name":"index","type":"integer"},{"name":"a","type":"number"},'
              '{"name":"b","type":"number"}],"primaryKey":["index"],"pandas_version":"1.4.0"},'
              '"data":[{"index":0,"a":0.25,"b":0.75},{"index":1,"a":0.5,"b":0.5}]}'),
])
def test_pandas_layouts_as_pandas_writes_them(run_json, tmp_path, orient, text):
    """The same layouts written out (pandas not needed): classes a, b; two rows."""
    path = tmp_path / f"{orient}.json"
    path.write_text(text)
    document = run_json("entropy", path, "--reduction", "row")
    assert document["classes"] == ["a", "b"]
    expected = [-(0.25 * math.log(0.25) + 0.75 * math.log(0.75)), math.log(2)]
    assert [row["entropy_p"] for row in document["rows"]] == pytest.approx(expected, rel=1e-14)


@pytest.mark.parametrize(("orient", "text"), [
    ("columns", '{"a":{"img1":0.25,"img2":0.5},"b":{"img1":0.75,"img2":0.5}}'),
    ("index", '{"img1":{"a":0.25,"b":0.75},"img2":{"a":0.5,"b":0.5}}'),
    ("columns", '{"a":{"10":0.25,"20":0.5},"b":{"10":0.75,"20":0.5}}'),  # an index of numbers, not 0, 1, …
])
def test_a_frame_with_an_index_of_its_own_is_refused_with_the_layouts_that_read(run, tmp_path, orient, text):
    """pandas' columns and index layouts of a frame whose index is not 0, 1, …: nothing tells its rows
    from its columns (the two layouts are each other's transpose), so it is refused, saying how to
    write it."""
    path = write(tmp_path, f"{orient}.json", text)
    fails(run("entropy", path), f"{path}: an object of objects with the same keys",
          "its rows and columns cannot be told apart", 'to_json(orient="split")', "reset_index()", "--names")


def test_the_layouts_the_refusal_suggests_read_the_frame(run, tmp_path, q_csv):
    pandas = needs("pandas")
    frame = pandas.DataFrame(P, columns=list("abcde"), index=pandas.Index([f"img{i}" for i in range(4)], name="id"))
    frame.to_json(tmp_path / "columns.json", double_precision=15)
    fails(run("kl", tmp_path / "columns.json", q_csv), "cannot be told apart", 'to_json(orient="split")')
    frame.to_json(tmp_path / "split.json", orient="split", double_precision=15)
    frame.reset_index().to_json(tmp_path / "reset.json", double_precision=15)
    assert rows_of(run, str(tmp_path / "split.json"), q_csv) == pytest.approx(kl_rows(P, Q), rel=1e-9)
    named = run("kl", tmp_path / "reset.json", q_csv, "--p-names", "id", "--reduction", "row", "-f", "json")
    assert named.exit_code == 0, named.stderr
    rows = json.loads(named.stdout)["rows"]
    assert [row["name"] for row in rows] == [f"img{i}" for i in range(4)]
    assert [row["kl_divergence"] for row in rows] == pytest.approx(kl_rows(P, Q), rel=1e-9)
