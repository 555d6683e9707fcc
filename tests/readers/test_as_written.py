"""Delimited text and JSON Lines as spreadsheets, pandas and numpy write them: Excel's semicolons and
thousands separators, ``numpy.savetxt``'s spaces in a .csv or .tsv, a pandas Series (its index and
its default name ``0``), JSON Lines of bare labels, negative counts. Each reads the numbers a float64
reference gives, or fails in one line that says what the file holds and what to do.

Each layout is written byte for byte as the program writes it (so the suite without pandas runs
it), and once more by pandas itself where it is installed.
"""

from __future__ import annotations

import json

import numpy as np
import pytest

from helpers.extras import needs

Q = np.array([[0.1, 0.2, 0.7], [0.2, 0.6, 0.2], [0.3, 0.3, 0.4]])
Q_LITERAL = ";".join(",".join(repr(float(value)) for value in row) for row in Q)


def entropies(rows) -> list[float]:
    rows = np.asarray(rows, dtype=np.float64)
    rows = rows / rows.sum(axis=1, keepdims=True)
    return [float(-(row[row > 0] * np.log(row[row > 0])).sum()) for row in rows]


def entropy_rows(run, path, *options, input=None) -> list[float]:
    result = run("entropy", path, *options, "-f", "json", input=input)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    return [row["entropy_p"] for row in json.loads(result.stdout)["rows"]]


def one_line(result, code: int = 1) -> str:
    assert result.exit_code == code, result.stderr
    assert result.stdout == "" and "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("Error: "), result.stderr
    return lines[0]


def cross_entropy(labels) -> float:
    """torch's F.cross_entropy(log Q, labels), mean over rows, in float64."""
    return float(-np.mean(np.log(Q[np.arange(len(labels)), labels])))


# --------------------------------------------------------------------------------------------
# the delimiter of a .csv or .tsv: its extension's, unless the first line says otherwise


EXCEL_SEMICOLONS = "a;b;c\r\n0.2;0.3;0.5\r\n0.1;0.1;0.8\r\n"  # Excel's "CSV" where ',' is the decimal comma


@pytest.mark.parametrize("text", [EXCEL_SEMICOLONS, "0.2;0.3;0.5\n0.1;0.1;0.8\n", '"cat, big";b;c\n0.2;0.3;0.5\n0.1;0.1;0.8\n'],
                         ids=["header", "no-header", "quoted-header"])
def test_a_semicolon_csv_is_read_as_standard_input_would_be(run, tmp_path, text):
    path = tmp_path / "excel.csv"
    path.write_text(text)
    expected = entropies([[0.2, 0.3, 0.5], [0.1, 0.1, 0.8]])
    assert entropy_rows(run, path) == pytest.approx(expected, rel=1e-13)
    assert entropy_rows(run, "-", input=text) == pytest.approx(expected, rel=1e-13)


def test_a_semicolon_csv_keeps_its_class_names(run, tmp_path):
    path = tmp_path / "excel.csv"
    path.write_text(EXCEL_SEMICOLONS)
    explained = run("explain", path, "uniform", "-f", "json")
    assert explained.exit_code == 0, explained.stderr
    assert json.loads(explained.stdout)["classes"] == ["a", "b", "c"]


def test_semicolons_with_decimal_commas_get_the_decimal_point_hint(run, tmp_path):
    path = tmp_path / "euro.csv"
    path.write_text("0,2;0,8\n0,5;0,5\n")
    line = one_line(run("entropy", path))
    assert f"{path}:1:1: not a number: '0,2'" in line and "'.' as the decimal point" in line
    assert "--delimiter" not in line


@pytest.mark.parametrize("ext", [".csv", ".tsv"])
def test_numpy_savetxt_spaces_in_a_csv_or_tsv(run, tmp_path, ext):
    """numpy.savetxt's default delimiter is a space, whatever the file's extension."""
    rows = np.array([[0.2, 0.8], [0.5, 0.5], [0.125, 0.875]])
    path = tmp_path / f"rows{ext}"
    np.savetxt(path, rows)
    assert entropy_rows(run, path) == pytest.approx(entropies(rows), rel=1e-13)


@pytest.mark.parametrize("text, delimiter", [("a,b\n0.2,0.8\n", ","), ("a;b\n0.2;0.8\n", ";")])
def test_a_tsv_of_another_delimiter_is_sniffed(run, tmp_path, text, delimiter):
    path = tmp_path / "p.tsv"
    path.write_text(text)
    assert entropy_rows(run, path) == pytest.approx(entropies([[0.2, 0.8]]), rel=1e-13)


@pytest.mark.parametrize("text", ["0,5\n0,5\n", "p\n0,5\n0,5\n"], ids=["no-header", "header"])
def test_a_one_column_tsv_of_decimal_commas_is_not_split_at_them(run, tmp_path, text):
    path = tmp_path / "p.tsv"
    path.write_text(text)
    line = one_line(run("entropy", path, "--columns"))
    assert "not a number: '0,5'" in line and "'.' as the decimal point" in line


def test_a_one_column_csv_whose_header_has_a_space_stays_one_column(run, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text("class index\n2\n0\n1\n")
    result = run("ce", path, Q_LITERAL, "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(cross_entropy([2, 0, 1]), rel=1e-13)


def test_delimiter_option_still_wins(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("0.2;0.8\n")
    line = one_line(run("entropy", path, "--delimiter", ","))
    assert "the cells hold ';'" in line


# --------------------------------------------------------------------------------------------
# thousands separators


@pytest.mark.parametrize("cell, plain", [('"1,200"', "1200"), ('"12,345,678.5"', "12345678.5")])
def test_excel_thousands_separators_are_named(run, tmp_path, cell, plain):
    path = tmp_path / "counts.csv"
    path.write_text(f"a,b\r\n{cell},800\r\n")
    line = one_line(run("entropy", path, "--normalize"))
    assert f"{path}:2:1: not a number: '{cell.strip(chr(34))}'" in line
    assert "thousands separators" in line and f"write {plain}" in line
    assert "decimal point" not in line and "--delimiter" not in line


def test_points_between_thousands_and_a_decimal_comma(run, tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("a;b\n1.200,5;800\n")
    line = one_line(run("entropy", path, "--normalize"))
    assert "thousands separators" in line and "write 1200.5" in line and "--delimiter" not in line


def test_one_comma_between_semicolons_is_a_decimal_comma(run, tmp_path):
    """``1,200`` in a semicolon file is 1.2 written with a decimal comma, not a thousand and two hundred."""
    path = tmp_path / "counts.csv"
    path.write_text("a;b\n1,200;800\n")
    line = one_line(run("entropy", path, "--normalize"))
    assert "'.' as the decimal point" in line and "thousands" not in line


@pytest.mark.slow
def test_a_thousands_separator_deep_in_a_large_file(run, tmp_path):
    """The C parsers decline the cell; the careful reader names it, at its line."""
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" + "0.25,0.75\n" * 200_000 + '"1,200",5\n')
    line = one_line(run("entropy", path, "--normalize", "-q"))
    assert f"{path}:200002:1" in line and "write 1200" in line


# --------------------------------------------------------------------------------------------
# pandas' Series and frames without column names


SERIES = ",0\n0,0.2\n1,0.3\n2,0.5\n"               # pd.Series([0.2, 0.3, 0.5]).to_csv()
SERIES_LABELS = ",0\n0,2\n1,0\n2,1\n"              # pd.Series([2, 0, 1]).to_csv()
FRAME_TSV = "\t0\t1\n0\t0.2\t0.8\n1\t0.5\t0.5\n"    # pd.DataFrame([[.2, .8], [.5, .5]]).to_csv(sep="\t")


def test_a_series_of_labels_to_csv(run, tmp_path):
    path = tmp_path / "labels.csv"
    path.write_text(SERIES_LABELS)
    result = run("ce", path, Q_LITERAL, "-q")
    assert result.exit_code == 0, result.stderr
    assert float(result.stdout) == pytest.approx(cross_entropy([2, 0, 1]), rel=1e-13)


def test_a_series_of_probabilities_to_csv_is_one_column(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(SERIES)
    assert entropy_rows(run, path, "--columns") == pytest.approx(entropies([[0.2, 0.3, 0.5]]), rel=1e-13)
    # without --columns it is a histogram (a column naming the bins, one of numbers): the same one distribution
    assert entropy_rows(run, path) == pytest.approx(entropies([[0.2, 0.3, 0.5]]), rel=1e-13)


def test_a_frame_without_column_names_to_csv_tab(run, tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text(FRAME_TSV)
    result = run("entropy", path, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "row,name,entropy_p" and [line.split(",")[1] for line in lines[1:]] == ["0", "1"]
    values = [float(line.split(",")[2]) for line in lines[1:]]
    assert values == pytest.approx(entropies([[0.2, 0.8], [0.5, 0.5]]), rel=1e-13)


def test_a_row_of_data_with_an_empty_first_cell_is_still_an_error(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("0.2,0.8\n,1\n")
    assert "empty cell" in one_line(run("entropy", path))


def test_a_first_row_of_numbers_after_an_empty_cell_is_no_header_unless_0_1_2(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(",5\n0,1\n")
    assert "empty cell" in one_line(run("entropy", path))


def test_as_pandas_writes_them(run, tmp_path):
    pd = needs("pandas")
    pd.Series([2, 0, 1]).to_csv(tmp_path / "labels.csv")
    pd.Series([0.2, 0.3, 0.5]).to_csv(tmp_path / "p.csv")
    pd.DataFrame([[0.2, 0.8], [0.5, 0.5]]).to_csv(tmp_path / "frame.tsv", sep="\t")
    pd.Series([2, 0, 1], name="label").to_json(tmp_path / "labels.jsonl", orient="records", lines=True)
    assert (tmp_path / "labels.csv").read_text() == SERIES_LABELS
    assert (tmp_path / "frame.tsv").read_text() == FRAME_TSV
    for labels in ("labels.csv", "labels.jsonl"):
        result = run("ce", tmp_path / labels, Q_LITERAL, "-q")
        assert result.exit_code == 0, result.stderr
        assert float(result.stdout) == pytest.approx(cross_entropy([2, 0, 1]), rel=1e-13)
    assert entropy_rows(run, tmp_path / "p.csv", "--columns") == pytest.approx(entropies([[0.2, 0.3, 0.5]]))
    assert entropy_rows(run, tmp_path / "frame.tsv") == pytest.approx(entropies([[0.2, 0.8], [0.5, 0.5]]))


# --------------------------------------------------------------------------------------------
# JSON Lines of bare numbers


@pytest.mark.parametrize("source", ["file", "stdin"])
def test_json_lines_of_bare_labels(run, tmp_path, source):
    text = "2\n0\n1\n"
    path = tmp_path / "labels.jsonl"
    path.write_text(text)
    args = (path,) if source == "file" else ("-",)
    result = run("ce", *args, Q_LITERAL, "-f", "csv", input=text if source == "stdin" else None)
    assert result.exit_code == 0, result.stderr
    rows = result.stdout.splitlines()
    assert rows[0].startswith("row,label,") and [row.split(",")[1] for row in rows[1:]] == ["2", "0", "1"]
    expected = -np.log(Q[np.arange(3), [2, 0, 1]])
    assert [float(row.split(",")[4]) for row in rows[1:]] == pytest.approx(expected, rel=1e-13)


def test_json_lines_of_bare_numbers_are_a_column(run, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("0.2\n0.3\n0.5\n")
    assert entropy_rows(run, path, "--columns") == pytest.approx(entropies([[0.2, 0.3, 0.5]]), rel=1e-13)


@pytest.mark.parametrize("text, words", [("1\n[1, 2]\n", "this row has 2 values, the first has 1"),
                                         ("true\n", "not true"), ('"2"\n', 'not "2"'), ("null\n", "not null")])
def test_json_lines_mixing_bare_numbers_or_other_scalars(run, tmp_path, text, words):
    path = tmp_path / "p.jsonl"
    path.write_text(text)
    assert words in one_line(run("entropy", path))


# --------------------------------------------------------------------------------------------
# negative values with --normalize


def test_a_negative_count_is_no_score(run, tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("3,0,5\n2,-1,4\n")
    for args in (("kl", path, "uniform"), ("kl", "uniform", path), ("js", path, "uniform")):
        line = one_line(run(*args, "--normalize"))
        assert f"{path}:2:2: negative count '-1'" in line and "counts are never negative" in line
        assert "logits" not in line


@pytest.mark.parametrize("text, normalize", [("3,0,5\n2,-1.5,4\n", True), ("3,0,5\n2,-1,4\n", False)],
                         ids=["not-whole-numbers", "no-normalize"])
def test_a_negative_value_otherwise_suggests_scores(run, tmp_path, text, normalize):
    path = tmp_path / "p.csv"
    path.write_text(text)
    line = one_line(run("kl", path, "uniform", *(["--normalize"] if normalize else [])))
    assert "negative probability" in line and "--p-as logits" in line


def test_counts_that_sum_are_still_read(run, tmp_path):
    path = tmp_path / "counts.csv"
    path.write_text("3,0,5\n2,1,4\n")
    assert entropy_rows(run, path, "--normalize") == pytest.approx(entropies([[3, 0, 5], [2, 1, 4]]), rel=1e-13)
