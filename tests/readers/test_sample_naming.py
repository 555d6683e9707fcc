"""How ``--p-as samples`` names a column's categories: each cell on its own, so that a file read a
piece at a time counts exactly as one read whole (``1.0`` and ``1`` one category wherever they
fall), and a code written with leading zeros among text kept as written (``007`` is not ``7``).

The expected counts are tallied here with ``collections.Counter`` from the values written."""

from __future__ import annotations

from collections import Counter

import pytest

from divcli.readers import sample_counts
from divcli.readers.columns import ColumnChoice

pytestmark = pytest.mark.numeric


def _count(path, **choice):
    counted = sample_counts.count_column(str(path), columns=ColumnChoice(**choice))
    return dict(zip(counted.categories, counted.counts.tolist()))


def test_numbers_in_one_piece_and_text_in_another_name_1_and_1_0_alike(tmp_path, monkeypatch):
    # the first pieces hold numbers alone (read as numbers), the later ones text beside "1.0"
    values = ["1.0"] * 60 + ["1.0", "a", "1", "b"] * 30
    path = tmp_path / "mixed.csv"
    path.write_text("c\n" + "\n".join(values) + "\n")
    whole = _count(path)
    monkeypatch.setattr(sample_counts, "PIECE_BYTES", 64)
    pieces = _count(path)
    expected = Counter("1" if value in ("1", "1.0") else value for value in values)
    assert whole == pieces == dict(expected)


def test_a_code_with_leading_zeros_among_text_is_its_own_category(tmp_path):
    values = ["007", "7", "7", "bond", "007", "0", "0.5", "00"]
    path = tmp_path / "codes.csv"
    path.write_text("agent\n" + "\n".join(values) + "\n")
    assert _count(path) == dict(Counter(values))


def test_json_numbers_and_number_texts_are_one_category(tmp_path):
    path = tmp_path / "labels.jsonl"
    path.write_text('{"y": 1}\n{"y": "1.0"}\n{"y": "cat"}\n{"y": 2.0}\n{"y": "2"}\n{"y": null}\n')
    assert _count(path) == {"1": 2, "2": 2, "cat": 1, "(missing)": 1}
