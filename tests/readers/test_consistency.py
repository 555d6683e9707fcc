"""Issue 13 item 5, consistency: every reader refuses the same things in the same words.

Duplicate class names, digits other than ASCII 0-9, UTF-16/32 text and cells holding another
delimiter are refused by every reader (files of each format, standard input, literals) with the
name or character shown; UTF-8 BOMs are skipped everywhere; messages never carry Python's or a
library's own words; hints never suggest an option already given; ``-q`` with an explicit ``-f``
other than table is a usage error.
"""

from __future__ import annotations

import math

import pytest

from test_errors import assert_fails, succeed

LN2 = math.log(2)


def _feed(tmp_path, source: str, data: bytes, ext: str):
    """(operand argument, stdin bytes, where the message must point) for a file or standard input."""
    if source == "file":
        path = tmp_path / f"p{ext}"
        path.write_bytes(data)
        return str(path), None, str(path)
    return "-", data, "<stdin>"


# --------------------------------------------------------------------------------------------
# duplicate class names


@pytest.mark.parametrize(("ext", "text", "loc"), [
    (".json", '{"a":0.5,"b":0.5,"a":0.5}', ""),
    (".json", '[{"a":0.5,"b":0.5},{"a":0.25,"b":0.25,"a":0.5}]', ":1:20"),
    (".jsonl", '{"a":0.5,"b":0.5}\n{"a":0.25,"b":0.25,"a":0.5}\n', ":2"),
    (".csv", "a,b,a\n0.25,0.25,0.5\n", ":1"),
    (".tsv", "a\tb\ta\n0.25\t0.25\t0.5\n", ":1"),
    (".txt", "a b a\n0.25 0.25 0.5\n", ":1"),
], ids=["json-object", "json-list-of-objects", "jsonl", "csv", "tsv", "txt"])
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_class_named_twice_is_refused_with_its_name(run, tmp_path, ext, text, loc, source):
    arg, data, where = _feed(tmp_path, source, text.encode(), ext)
    assert_fails(run("entropy", arg, input=data), 1, "'a' twice", where=where + loc, hide=tmp_path)


def test_a_json_literal_naming_a_class_twice_is_refused(run):
    assert_fails(run("entropy", '{"a":0.5,"b":0.5,"a":0.5}'), 1, "'a' twice", where="literal '")


def test_a_long_json_lines_file_naming_a_class_twice_late_is_refused(run, tmp_path):
    """Read in blocks: the duplicate is in a later block."""
    lines = ['{"a":0.5,"b":0.5}'] * 30_000 + ['{"a":0.5,"b":0.25,"b":0.25}']
    path = tmp_path / "p.jsonl"
    path.write_text("\n".join(lines) + "\n")
    assert_fails(run("entropy", path), 1, "'b' twice", where=f"{path}:30001", hide=tmp_path)


# --------------------------------------------------------------------------------------------
# only ASCII digits are digits

ARABIC_HALF = "\u0660.\u0665"        # ٠.٥
FULLWIDTH_HALF = "\uff10.\uff15"     # ０.５


@pytest.mark.parametrize(("ext", "template", "loc"), [
    (".csv", "0.5,{x}\n", ":1:2"),
    (".csv", "a,b\n0.5,0.5\n{x},0.5\n", ":3:1"),
    (".tsv", "0.5\t{x}\n", ":1:2"),
    (".txt", "0.5 {x}\n", ":1:2"),
    (".json", "[0.5,{x}]", ":1:6"),
    (".jsonl", "[0.5,0.5]\n[0.5,{x}]\n", ":2:6"),
], ids=["csv", "csv-after-header", "tsv", "txt", "json", "jsonl"])
@pytest.mark.parametrize("number", [ARABIC_HALF, FULLWIDTH_HALF, "\u0661"], ids=["arabic", "fullwidth", "one"])
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_a_number_in_other_digits_is_refused_naming_the_character(run, tmp_path, ext, template, loc, number,
                                                                   source):
    arg, data, where = _feed(tmp_path, source, template.format(x=number).encode(), ext)
    escaped = ascii(number[0])  # '\u0660', as the message shows it
    assert_fails(run("entropy", arg, input=data), 1, escaped, "not an ASCII digit", "0-9",
                 where=where + loc, hide=tmp_path)


@pytest.mark.parametrize("number", [ARABIC_HALF, FULLWIDTH_HALF])
def test_a_first_row_in_other_digits_is_no_header(run, tmp_path, number):
    """Meant as numbers, so reported on line 1, not taken for class names."""
    path = tmp_path / "p.csv"
    path.write_text(f"{number},{number}\n0.5,0.5\n", encoding="utf-8")
    assert_fails(run("entropy", path), 1, ascii(number[0]), "not an ASCII digit", where=f"{path}:1:1",
                 hide=tmp_path)


@pytest.mark.parametrize("literal", [f"0.5,{ARABIC_HALF}", f"{FULLWIDTH_HALF},0.5", f"1/{chr(0x0662)},0.5"])
def test_a_literal_in_other_digits_is_refused(run, literal):
    assert_fails(run("entropy", literal), 1, "not an ASCII digit", where="literal '")


def test_other_digits_in_a_large_file_are_refused_as_in_a_small_one(run, tmp_path):
    """The C parsers (numpy's, pyarrow's) decline the cell; the careful reader names it."""
    lines = ["0.25,0.25,0.5"] * 20_000
    lines[12_345] = f"0.25,0.25,{ARABIC_HALF}"
    path = tmp_path / "p.csv"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert_fails(run("entropy", path), 1, "'\\u0660'", "not an ASCII digit", where=f"{path}:12346:3",
                 hide=tmp_path)


@pytest.mark.parametrize(("args", "option"), [
    (("entropy", "1,2", "--p-as", "logits", "-T", "\u0662"), "--temperature"),
    (("entropy", "0.5,0.5", "--base", "\u0662"), "--base"),
    (("entropy", "0.5,0.5", "--tolerance", "\uff11e-3"), "--tolerance"),
    (("compare", "0.5,0.5", "0.2,0.8", "--alpha", "\u0662"), "--alpha"),
    (("js", "0.5,0.5", "0.2,0.8", "--weights", f"{ARABIC_HALF},0.5"), "--weights"),
])
def test_an_option_value_in_other_digits_is_a_usage_error(run, args, option):
    assert_fails(run(*args), 2, option, "not an ASCII digit")


def test_ascii_numbers_still_read(run):
    assert succeed(run, "entropy", "0.5,1/2")["value"] == pytest.approx(LN2, rel=1e-12)


# --------------------------------------------------------------------------------------------
# UTF-8 BOMs are skipped, UTF-16/32 named


BOM = b"\xef\xbb\xbf"


@pytest.mark.parametrize(("ext", "text", "classes"), [
    (".csv", "0.5,0.5\n0.25,0.75\n", None),
    (".csv", "a,b\n0.5,0.5\n0.25,0.75\n", ["a", "b"]),
    (".tsv", "a\tb\n0.5\t0.5\n0.25\t0.75\n", ["a", "b"]),
    (".txt", "0.5 0.5\n0.25 0.75\n", None),
    (".json", "[[0.5,0.5],[0.25,0.75]]", None),
    (".json", '[{"a":0.5,"b":0.5},{"a":0.25,"b":0.75}]', ["a", "b"]),
    (".json", '\n  [[0.5,0.5],\n   [0.25,0.75]]\n', None),
    (".jsonl", "[0.5,0.5]\n[0.25,0.75]\n", None),
    (".jsonl", '{"a":0.5,"b":0.5}\n{"a":0.25,"b":0.75}\n', ["a", "b"]),
], ids=["csv", "csv-header", "tsv-header", "txt", "json", "json-objects", "json-indented", "jsonl",
        "jsonl-objects"])
@pytest.mark.parametrize("source", ["file", "stdin", "stdin-columns"])
def test_a_utf8_bom_is_skipped(run, tmp_path, ext, text, classes, source):
    arg, data, _ = _feed(tmp_path, "file" if source == "file" else "stdin", BOM + text.encode(), ext)
    columns = ("--columns",) if source == "stdin-columns" else ()
    doc = succeed(run, "entropy", arg, *columns, "--normalize", "--reduction", "none", input=data)
    if columns:
        assert doc["n_rows"] == 2
        return
    assert doc["value"] == pytest.approx([LN2, -(0.25 * math.log(0.25) + 0.75 * math.log(0.75))], rel=1e-12)
    if classes:
        assert doc["classes"] == classes


def test_a_utf8_bom_is_skipped_in_a_weight_file(run, tmp_path):
    path = tmp_path / "w.csv"
    path.write_bytes(BOM + b"1,1\n")
    doc = succeed(run, "ce", "0.5,0.5", "0,0", "--q-as", "logits", "--weight", path)
    assert doc["value"] == pytest.approx(LN2, rel=1e-12)


@pytest.mark.parametrize(("encoding", "named"), [
    ("utf-16", "UTF-16"), ("utf-16-le", "UTF-16LE"), ("utf-16-be", "UTF-16BE"),
    ("utf-32", "UTF-32"), ("utf-32-le", "UTF-32LE"), ("utf-32-be", "UTF-32BE"),
])
@pytest.mark.parametrize(("ext", "text"), [
    (".csv", "a,b\n0.5,0.5\n"), (".json", "[0.5,0.5]"), (".jsonl", "[0.5,0.5]\n[0.5,0.5]\n"), (".txt", "0.5 0.5\n"),
])
@pytest.mark.parametrize("source", ["file", "stdin"])
def test_utf16_and_utf32_text_is_named_with_the_fix(run, tmp_path, encoding, named, ext, text, source):
    arg, data, where = _feed(tmp_path, source, text.encode(encoding), ext)
    assert_fails(run("entropy", arg, input=data), 1, f"looks like {named} text", "divcli reads UTF-8",
                 f"iconv -f {named} -t UTF-8", where=where, hide=tmp_path)
    assert "binary" not in run("entropy", arg, input=data).stderr


def test_binary_garbage_is_still_a_binary_file(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01\xff\x10")
    assert_fails(run("entropy", path), 1, "binary file", hide=tmp_path)


# --------------------------------------------------------------------------------------------
# a file whose cells hold another delimiter


@pytest.mark.parametrize(("ext", "text", "loc", "option"), [
    (".tsv", "0.5|0.5\n0.25|0.75\n", ":1:1", "--delimiter '|'"),
    (".tsv", "a|b\n0.5|0.5\n", ":2:1", "--delimiter '|'"),
    (".txt", "0.5|0.5\n0.25|0.75\n", ":1:1", "--delimiter '|'"),
    (".csv", "0.5|0.5\n0.25|0.75\n", ":1:1", "--delimiter '|'"),
], ids=["tsv-of-pipes", "tsv-of-pipes-header", "txt-of-pipes", "csv-of-pipes"])
def test_cells_holding_another_delimiter_name_it_and_the_option(run, tmp_path, ext, text, loc, option):
    path = tmp_path / f"p{ext}"
    path.write_text(text)
    result = run("entropy", path)
    assert_fails(result, 1, "not a number", "the cells hold", option, where=f"{path}{loc}", hide=tmp_path)
    assert "decimal point" not in result.stderr


@pytest.mark.parametrize("option", ["--delimiter ','", "--delimiter '|'"])
def test_the_named_delimiter_reads_the_file(run, tmp_path, option):
    delimiter = option.split("'")[1]
    path = tmp_path / "p.tsv"
    path.write_text(f"0.5{delimiter}0.5\n0.25{delimiter}0.75\n")
    assert succeed(run, "entropy", path, "--delimiter", delimiter)["n_rows"] == 2


def test_a_decimal_comma_in_a_tsv_keeps_the_decimal_point_hint(run, tmp_path):
    path = tmp_path / "p.tsv"
    path.write_text("0,5\t0,5\n")
    result = run("entropy", path)
    assert_fails(result, 1, "decimal point", "0.36", where=f"{path}:1:1", hide=tmp_path)
    assert "--delimiter" not in result.stderr


# --------------------------------------------------------------------------------------------
# no Python or library words in messages, never cut off


def test_a_json_integer_of_5000_digits_is_too_large_not_pythons_limit(run, tmp_path):
    path = tmp_path / "p.json"
    path.write_text("[" + "1" * 5000 + ",0]")
    result = run("entropy", path)
    assert_fails(result, 1, "number too large for float64", where=f"{path}:1:2", hide=tmp_path)
    assert "sys." not in result.stderr and "4300" not in result.stderr


def test_a_jsonl_integer_of_5000_digits_is_too_large(run, tmp_path):
    path = tmp_path / "p.jsonl"
    path.write_text("[0.5,0.5]\n[" + "9" * 5000 + ",0]\n")
    result = run("entropy", path)
    assert_fails(result, 1, "number too large for float64", where=f"{path}:2", hide=tmp_path)
    assert "set_int_max_str_digits" not in result.stderr


def test_a_cell_over_128_kib_is_read(run, tmp_path):
    """The csv module's field limit is no limit of divcli's: 0.5 written with 200 000 zeros is 0.5."""
    path = tmp_path / "p.csv"
    path.write_text("0." + "5" + "0" * 200_000 + ",0.5\n")
    assert succeed(run, "entropy", path)["value"] == pytest.approx(LN2, rel=1e-12)


def test_a_bad_cell_over_128_kib_is_reported_in_divclis_words(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("0.5," + "x" * 200_000 + "\n")
    result = run("entropy", path)
    assert_fails(result, 1, "not a number", where=f"{path}:1:2", hide=tmp_path)
    assert "field limit" not in result.stderr and len(result.stderr) < 400


def test_text_after_a_closing_quote_is_said_in_divclis_words(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text('"a"b,c\n0.5,0.5\n')
    result = run("entropy", path)
    assert_fails(result, 1, "closing quote", '""', where=f"{path}:1", hide=tmp_path)
    assert "expected after" not in result.stderr


# --------------------------------------------------------------------------------------------
# hints never repeat an option already given


def test_the_single_column_hint_says_leave_out_columns_when_columns_is_given(run):
    result = run("entropy", "0.36,0.48,0.16", "--columns")
    assert_fails(result, 1, "this column sums to 0.36", "leave out --columns")
    assert "pass --columns" not in result.stderr


def test_the_single_column_hint_says_pass_columns_without_it(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("0.36\n0.48\n0.16\n")
    assert_fails(run("entropy", path), 1, "this row sums to 0.36", "pass --columns", hide=tmp_path)


def test_the_class_count_hint_leaves_out_columns_when_given(run):
    result = run("kl", "0.2,0.8;0.5,0.5", "0.1,0.2,0.7;0.2,0.2,0.6;0.3,0.3,0.4", "--columns")
    assert_fails(result, 1, "P has 2 classes", "Q has 3", "leave out --columns")
    assert "pass --columns" not in result.stderr


def test_the_tolerance_hint_asks_for_more_than_the_tolerance_given(run):
    result = run("entropy", "0.3,0.3", "--tolerance", "1e-3")
    assert_fails(result, 1, "sums to 0.6", "--normalize", "a --tolerance above 0.001")
    assert "a larger --tolerance" not in result.stderr


@pytest.mark.parametrize(("args", "given"), [
    (("entropy", "0.5,-0.5", "--normalize"), "--normalize"),
    (("entropy", "0,0", "--normalize"), "--normalize"),
    (("kl", "0.5,0.5", "inf,0", "--normalize"), "--normalize"),
    (("entropy", "0.5,0.5,0.5", "--columns"), "--columns"),
    (("kl", "0.2,0.8", "0.1,0.2,0.7", "--columns"), "--columns"),
    (("kl", "0.2,0.8", "0.1,0.2,0.7", "--normalize"), "--normalize"),
])
def test_no_hint_suggests_an_option_already_given(run, args, given):
    result = run(*args)
    assert result.exit_code == 1 and result.stdout == "" and "Traceback" not in result.stderr
    assert f"pass {given}" not in result.stderr and f"or {given}" not in result.stderr, result.stderr


# --------------------------------------------------------------------------------------------
# -q with an explicit -f


QUIET_COMMANDS = [
    ("entropy", "0.5,0.5"),
    ("kl", "0.5,0.5", "0.2,0.8"),
    ("ce", "0.5,0.5", "0.2,0.8"),
    ("js", "0.5,0.5", "0.2,0.8"),
    ("compare", "0.5,0.5", "0.2,0.8"),
    ("matrix", "0.5,0.5;0.2,0.8"),
    ("libraries", "0.5,0.5", "0.2,0.8"),
    ("explain", "0.5,0.5", "0.2,0.8"),
]


@pytest.mark.parametrize("args", QUIET_COMMANDS, ids=lambda args: args[0])
@pytest.mark.parametrize("fmt", ["json", "csv"])
@pytest.mark.parametrize("order", ["q-first", "f-first"])
def test_quiet_with_an_explicit_format_is_a_usage_error(run, args, fmt, order):
    options = ("-q", "-f", fmt) if order == "q-first" else ("--format", fmt, "--quiet")
    result = run(*args, *options)
    assert_fails(result, 2, "-q", f"-f {fmt}", "one of them")
    assert len([line for line in result.stderr.splitlines() if line.startswith("Error:")]) == 1


@pytest.mark.parametrize("args", QUIET_COMMANDS, ids=lambda args: args[0])
@pytest.mark.parametrize("extra", [(), ("-f", "table")], ids=["no-f", "f-table"])
def test_quiet_alone_or_with_table_still_prints_the_value(run, args, extra):
    result = run(*args, "-q", *extra)
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() and not result.stdout.lstrip().startswith("{")


def test_the_usage_error_comes_before_any_input_is_read(run):
    result = run("entropy", "-", "-q", "-f", "json", input=b"\xff\xfe garbage")
    assert_fails(result, 2, "-q", "-f json")
