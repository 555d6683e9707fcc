"""How ``divcli drift`` names a categorical column's categories: each cell on its own (the rule
``--p-as samples`` follows), so a file read a piece at a time (forced by DIVCLI_DRIFT_PIECE_BYTES)
counts exactly as one read whole: ``1.0`` and ``1`` one category wherever they fall, a code written
with a leading zero kept as written.

The expected counts are tallied here with ``collections.Counter`` from the values written."""

from __future__ import annotations

import json
from collections import Counter

import pytest

pytestmark = pytest.mark.numeric


def _bins(run, ref, cur, env=None) -> dict[str, tuple[int, int]]:
    result = run("drift", ref, cur, "--categorical", "c", "--column", "c", "-f", "json", env=env)
    assert result.exit_code == 0, result.stderr
    return {found["bin"]: (found["reference_count"], found["current_count"])
            for found in json.loads(result.stdout)["bins"]}


def _named(value: str) -> str:
    return {"1.0": "1", "2.0": "2", "NA": "(missing)"}.get(value, value)


def _expected(reference: list[str], current: list[str]) -> dict[str, tuple[int, int]]:
    ref, cur = Counter(map(_named, reference)), Counter(map(_named, current))
    return {name: (ref[name], cur[name]) for name in set(ref) | set(cur)}


def test_numbers_in_one_piece_and_text_in_another_name_1_and_1_0_alike(run, tmp_path):
    # the first pieces hold numbers alone (read as numbers), the later ones "1.0" beside text and "1"
    reference = ["1.0"] * 60 + ["1.0", "a", "1", "b"] * 30
    current = ["2.0"] * 50 + ["1", "a", "2", "b", "NA"] * 20
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("c\n" + "\n".join(reference) + "\n")
    cur.write_text("c\n" + "\n".join(current) + "\n")
    whole = _bins(run, ref, cur)
    pieces = _bins(run, ref, cur, env={"DIVCLI_DRIFT_PIECE_BYTES": "64"})
    assert whole == pieces == _expected(reference, current)
    assert list(whole) == ["1", "2", "a", "b", "(missing)"]


def test_a_code_with_leading_zeros_among_text_is_its_own_category(run, tmp_path):
    reference = ["007", "7", "7", "bond", "007", "0", "0.5", "00"]
    current = ["7", "bond", "007", "00"]
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("c\n" + "\n".join(reference) + "\n")
    cur.write_text("c\n" + "\n".join(current) + "\n")
    assert _bins(run, ref, cur) == _expected(reference, current)


def test_json_numbers_and_number_texts_are_one_category(run, tmp_path):
    ref, cur = tmp_path / "ref.jsonl", tmp_path / "cur.jsonl"
    ref.write_text('{"c": 1}\n{"c": "1.0"}\n{"c": "cat"}\n{"c": 2.0}\n{"c": "2"}\n')
    cur.write_text('{"c": "1"}\n{"c": "cat"}\n{"c": 2}\n')
    assert _bins(run, ref, cur) == {"1": (2, 1), "2": (2, 1), "cat": (1, 1)}


def test_a_code_column_names_alike_with_a_gap_on_one_side_only(run, tmp_path):
    # the reference has a missing cell (read cell by cell), the current none (plain decimals, read at
    # C speed): both name 02134 as written, so the same code is one category on both sides
    reference = ["02134", "10001", "02134", "NA", "90210"]
    current = ["02134", "10001", "10001", "90210"]
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("c\n" + "\n".join(reference) + "\n")
    cur.write_text("c\n" + "\n".join(current) + "\n")
    assert _bins(run, ref, cur) == _expected(reference, current)
