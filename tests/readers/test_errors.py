"""A catalogue of bad and awkward inputs: one test (or one parametrized case) per input.

Every failing case asserts the exit code (1 bad data, 2 bad command line), the key words of the
message on stderr (where, what, and the hint where there is one), that nothing reached stdout and
that no traceback was printed. Every awkward-but-valid case asserts the right numbers.

Each bad operand is fed as a file, on standard input (``-``) and as a literal where a literal can
say the same thing. Paths are absolute (``tmp_path``).
"""

from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field

import numpy as np
import pytest

SOURCES = ("file", "stdin", "literal")
LN2 = math.log(2)


# --------------------------------------------------------------------------------------------
# helpers


def assert_fails(result, code: int, *words, where=(), hide=None):
    """Exit ``code``, nothing on stdout, no traceback; on stderr every ``where`` string and every
    word (or one of a tuple of alternatives), case-insensitive.

    Words are looked for with ``hide`` (the tmp_path, whose name echoes the test's) taken out, so
    a word cannot match the path. Values are shown as the user wrote them, so numpy
    reprs never appear.
    """
    stderr = result.stderr
    assert result.exit_code == code, f"exit {result.exit_code}, stderr: {stderr!r}"
    assert result.stdout == "", f"stdout: {result.stdout!r}"
    assert "Traceback" not in stderr + result.stdout
    assert "np.float64" not in stderr and "np.int64" not in stderr, stderr
    for place in (where,) if isinstance(where, str) else where:
        assert place in stderr, f"{place!r} not in {stderr!r}"
    lowered = (stderr.replace(str(hide), "<tmp>") if hide else stderr).lower()
    for word in words:
        options = word if isinstance(word, tuple) else (word,)
        assert any(option.lower() in lowered for option in options), f"none of {options} in {stderr!r}"


def succeed(run, *args, **kwargs) -> dict:
    """Run with ``-f json``; assert exit 0, clean stderr; return the document."""
    result = run(*args, "-f", "json", **kwargs)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    return json.loads(result.stdout)


def entropy_of(*row: float) -> float:
    return -sum(p * math.log(p) for p in row if p > 0)


def kl_of(p, q) -> float:
    return sum(pi * math.log(pi / qi) for pi, qi in zip(p, q) if pi > 0)


@dataclass
class Bad:
    """One bad operand. ``args`` holds ``"{op}"`` where the operand goes.

    ``loc`` is what follows the name for a file or standard input (``":3:2"``), ``literal_loc``
    what follows it for a literal (``": row 3, item 2"``); ``literal`` is None when a literal cannot
    say the same thing.
    """

    id: str
    content: str | bytes
    args: tuple
    words: tuple
    literal: str | None = None
    ext: str = ".csv"
    loc: str = ""
    literal_loc: str = ""
    code: int = 1
    extra_file_words: tuple = field(default=())


ENTROPY = ("entropy", "{op}")
KL_Q = ("kl", "1/3,1/3,1/3", "{op}")          # the bad operand is Q
KL_Q_LOGITS = ("kl", "0.2,0.3,0.5", "{op}", "--q-as", "logits")
KL_Q_LOGPROBS = ("kl", "0.5,0.5", "{op}", "--q-as", "log-probs")
CE_LABELS = ("ce", "{op}", "0,0,0", "--p-as", "labels", "--q-as", "logits")
NOT_A_FLOAT = ("not a number", "nan")

BAD = [
    # --- empty and header-only
    Bad("empty", "", ENTROPY, (("no numbers", "empty"),)),
    Bad("blank-lines-only", "\n \n\n", ENTROPY, (("no numbers", "empty"),)),
    Bad("header-only", "a,b,c\n", ENTROPY, ("header", "no rows")),
    # --- delimited text
    Bad("ragged-rows", "0.5,0.5\n0.2,0.3,0.5\n", ENTROPY, ("3 values", "2", "one value per class"),
        literal="0.5,0.5;0.2,0.3,0.5", loc=":2", literal_loc=": row 2"),
    Bad("quote-over-line-end", '0.5,0.5\n"0.2\n",0.8\n0.4,0.6\n', ENTROPY,
        ("a quoted cell runs over the end of its line", "close the quote"), loc=":2"),
    Bad("quote-never-closed", '0.5,0.5\n0.4,0.6\n"0.2,0.8\n', ENTROPY,
        ("a quoted cell runs over the end of its line",), loc=":3"),
    Bad("non-numeric-cell", "0.2,0.8\n0.5,0.5\n0.4,abc\n", ENTROPY, ("not a number", "'abc'"),
        literal="0.2,0.8;0.5,0.5;0.4,abc", loc=":3:2", literal_loc=": row 3, item 2"),
    Bad("empty-cell", "0.2,0.8\n,0.8\n", ENTROPY, ("empty",),
        literal="0.2,0.8;,0.8", loc=":2:1", literal_loc=": row 2, item 1"),
    # a first row is a header only when it names classes: a nan, or a typo among numbers, is no header
    Bad("first-row-nan", "0.5,nan\n0.5,0.5\n", ENTROPY, ("nan",), loc=":1:2"),
    Bad("first-row-typo", "0.2,O.8\n0.5,0.5\n", ENTROPY, ("not a number", "'O.8'"), loc=":1:2"),
    Bad("nan-cell", "0.2,0.8\n0.5,0.5\n0.5,nan\n", ENTROPY, ("nan",),
        literal="0.2,0.8;0.5,0.5;0.5,nan", loc=":3:2", literal_loc=": row 3, item 2"),
    Bad("fraction-by-zero", "0.2,0.8\n1/0,1\n", ENTROPY, ("division by zero",),
        literal="0.2,0.8;1/0,1", loc=":2:1", literal_loc=": row 2, item 1"),
    # --- probabilities
    Bad("inf-in-probs", "0.2,0.8\n0.5,inf\n", ENTROPY, ("'inf'", "not a probability", "--p-as logits"),
        literal="0.2,0.8;0.5,inf", loc=":2:2", literal_loc=": row 2, item 2"),
    Bad("inf-in-q-probs", "0.2,0.3,0.5\ninf,0,0\n", KL_Q, ("'inf'", "not a probability", "--q-as logits"),
        literal="0.2,0.3,0.5;inf,0,0", loc=":2:1", literal_loc=": row 2, item 1"),
    Bad("negative-probability", "0.2,0.8\n1.5,-0.5\n", ENTROPY, ("negative probability", "'-0.5'", "--p-as"),
        literal="0.2,0.8;1.5,-0.5", loc=":2:2", literal_loc=": row 2, item 2"),
    Bad("row-sums-to-0.9", "0.2,0.8\n0.4,0.5\n", ENTROPY, ("sums to 0.9", "--normalize", "--tolerance"),
        literal="0.2,0.8;0.4,0.5", loc=":2", literal_loc=": row 2"),
    Bad("all-zero-row-normalize", "1,3\n0,0\n", ENTROPY + ("--normalize",), ("0", "normalize"),
        literal="1,3;0,0", loc=":2", literal_loc=": row 2"),
    # --- decimal commas and the wrong delimiter: never numbers, silently or otherwise
    Bad("semicolon-csv-decimal-commas", "0,36;0,48;0,16\n", ENTROPY,
        (("decimal", "0.36", "semicolon"),)),
    Bad("semicolon-csv-decimal-commas-2-rows", "0,36;0,48;0,16\n0,2;0,3;0,5\n", ENTROPY,
        (("decimal", "0.36", "semicolon"),)),
    Bad("semicolon-txt-decimal-commas", "0,36;0,48;0,16\n", ENTROPY, (("decimal", "0.36"),), ext=".txt"),
    Bad("semicolon-txt-decimal-commas-2-rows", "0,36;0,48;0,16\n0,2;0,3;0,5\n", ENTROPY,
        (("decimal", "0.36", "0.2"),), ext=".txt"),
    Bad("tsv-of-pipes", "0.5|0.5\n0.25|0.75\n", ENTROPY, ("the cells hold '|'", "--delimiter '|'"), ext=".tsv",
        loc=":1:1"),
    Bad("txt-of-pipes", "0.5|0.5\n0.25|0.75\n", ENTROPY, ("the cells hold '|'", "--delimiter '|'"), ext=".txt",
        loc=":1:1"),
    # --- digits other than ASCII 0-9 (Python's float() reads them): the character named, escaped
    Bad("arabic-indic-digit", "0.5,\u0665\n", ENTROPY, ("'\\u0665'", "not an ascii digit"),
        literal="0.5,\u0665", loc=":1:2", literal_loc=": row 1, item 2"),
    Bad("fullwidth-digits", "\uff10.\uff15,0.5\n", ENTROPY, ("'\\uff10'", "fullwidth digit zero"),
        literal="\uff10.\uff15,0.5", loc=":1:1", literal_loc=": row 1, item 1"),
    Bad("json-arabic-indic-digit", "[0.5,\u0665]", ENTROPY, ("'\\u0665'", "not an ascii digit"),
        literal="[0.5,\u0665]", ext=".json", loc=":1:6", literal_loc=":1:6"),
    # --- bytes
    Bad("binary-garbage", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x01", ENTROPY, ("binary",)),
    Bad("non-utf8", b"0.5,0.5\n0.2,0.8\n0.1,\xe9\n", ENTROPY, ("utf-8", "0xe9"), loc=":3"),
    Bad("utf-16", "0.5,0.5\n".encode("utf-16"), ENTROPY, ("looks like utf-16 text", "iconv -f utf-16 -t utf-8")),
    Bad("utf-32-without-bom", "0.5,0.5\n".encode("utf-32-le"), ENTROPY, ("utf-32le", "iconv")),
    # --- JSON
    Bad("json-wrong-depth", "[[[1]]]", ENTROPY, (("nested", "list"),), literal="[[[1]]]", ext=".json",
        loc=":1:3", literal_loc=":1:3"),
    Bad("json-ragged", "[[0.5,0.5],[0.2,0.3,0.5]]", ENTROPY, ("3 values", "one value per class"),
        literal="[[0.5,0.5],[0.2,0.3,0.5]]", ext=".json", loc=":1:12", literal_loc=":1:12"),
    Bad("json-string", '[[0.5,"0.5"]]', ENTROPY, ('"0.5"', "only json numbers"),
        literal='[[0.5,"0.5"]]', ext=".json", loc=":1:7", literal_loc=":1:7"),
    Bad("json-true", "[[0.5,0.5],[true,0]]", ENTROPY, ("true", "only json numbers"),
        literal="[[0.5,0.5],[true,0]]", ext=".json", loc=":1:13", literal_loc=":1:13"),
    Bad("json-null", "[0.5,null]", ENTROPY, ("null", "only json numbers"),
        literal="[0.5,null]", ext=".json", loc=":1:6", literal_loc=":1:6"),
    Bad("json-NaN", "[0.5,NaN]", ENTROPY, ("nan", "finite json numbers"), literal="[0.5,NaN]", ext=".json"),
    Bad("json-Infinity", "[0.5,Infinity]", ENTROPY, ("infinity",), literal="[0.5,Infinity]", ext=".json"),
    Bad("json-empty-list", "[]", ENTROPY, (("no numbers", "empty"),), literal="[]", ext=".json"),
    Bad("json-scalar", "0.5", ENTROPY, ("expected a list",), ext=".json"),  # on stdin "0.5" is text
    Bad("json-empty-row", "[[]]", ENTROPY, (("no numbers", "empty"),), literal="[[]]", ext=".json"),
    Bad("json-mixed-objects-and-lists", '[{"a":0.5,"b":0.5},[0.5,0.5]]', ENTROPY, ("mixes objects and lists",),
        ext=".json", loc=":1:20"),
    Bad("json-huge-integer", "[" + "9" * 400 + ",0]", ENTROPY, ("too large",), ext=".json"),
    Bad("json-integer-of-5000-digits", "[" + "9" * 5000 + ",0]", ENTROPY, ("too large for float64",), ext=".json",
        loc=":1:2"),
    Bad("json-duplicate-key", '{"a":0.5,"b":0.5,"a":0.5}', ENTROPY, ("'a' twice",),
        literal='{"a":0.5,"b":0.5,"a":0.5}', ext=".json"),
    Bad("jsonl-duplicate-key", '{"a":0.5,"b":0.5}\n{"b":0.5,"b":0.5}\n', ENTROPY, ("'b' twice",), ext=".jsonl",
        loc=":2"),
    Bad("json-nested-100000", "[" * 100_000 + "]" * 100_000, ENTROPY, ("nested too deeply",),
        literal="[" * 100_000 + "]" * 100_000, ext=".json"),
    Bad("json-syntax", "[[0.5, 0.5],\n [0.2 0.8]]", ENTROPY, ("invalid json", "delimiter"),
        literal="[[0.5, 0.5], [0.2 0.8]]", ext=".json", loc=":2:7", literal_loc=":1:19"),
    Bad("jsonl-bad-line", "[0.5,0.5]\n[0.2,0.8]\n[0.1,\n", ENTROPY, ("invalid json",), ext=".jsonl", loc=":3:"),
    Bad("jsonl-ragged-line", "[0.5,0.5]\n\n[0.2,0.3,0.5]\n", ENTROPY, ("3 values",), ext=".jsonl", loc=":3"),
    # --- labels (ce --p-as labels; Q is 3 classes)
    Bad("label-out-of-range", "0\n3\n1\n", CE_LABELS, ("label '3'", "out of range", "3 classes", "0 … 2"),
        literal="0;3;1", loc=":2:1", literal_loc=": row 2, item 1"),
    Bad("label-negative", "0\n-1\n1\n", CE_LABELS, ("label '-1'", "out of range", "--ignore-index"),
        literal="0;-1;1", loc=":2:1", literal_loc=": row 2, item 1"),
    Bad("label-non-integer", "0\n2.5\n1\n", CE_LABELS, ("label '2.5'", "not an integer"),
        literal="0;2.5;1", loc=":2:1", literal_loc=": row 2, item 1"),
    Bad("labels-all-ignored", "-100\n-100\n", CE_LABELS, ("ignore index", "-100", "--ignore-index"),
        literal="-100;-100"),
    Bad("labels-two-columns", "0,1\n1,2\n", CE_LABELS, ("one class index per row", "2 columns"),
        literal="0,1;1,2"),
    # --- logits and log-probabilities
    Bad("logit-plus-inf", "1,inf,0\n", KL_Q_LOGITS, ("'inf'", "not a valid logit", "-inf"),
        literal="1,inf,0", loc=":1:2", literal_loc=": row 1, item 2"),
    Bad("logit-nan", "1,nan,0\n", KL_Q_LOGITS, ("nan",),
        literal="1,nan,0", loc=":1:2", literal_loc=": row 1, item 2"),
    Bad("logits-row-all-minus-inf", "1,2,3\n-inf,-inf,-inf\n", KL_Q_LOGITS, ("every logit", "-inf", "unmasked"),
        literal="1,2,3;-inf,-inf,-inf", loc=":2", literal_loc=": row 2"),
    Bad("log-probs-not-normalised", "-0.6931471805599453,-1.2039728043259361\n", KL_Q_LOGPROBS,
        (("sums to 0.8", "sums to 0.7999"), "--q-as logits"),
        literal="-0.6931471805599453,-1.2039728043259361", loc=":1", literal_loc=": row 1"),
]


def feed(source: str, case: Bad, tmp_path):
    """(operand argument, stdin bytes, the places the message must name) for one way of feeding."""
    data = case.content.encode("utf-8") if isinstance(case.content, str) else case.content
    if source == "file":
        path = tmp_path / f"p{case.ext}"
        path.write_bytes(data)
        return str(path), None, [str(path) + case.loc]
    if source == "stdin":
        return "-", data, ["<stdin>" + case.loc]
    if len(case.literal) < 30:
        return case.literal, None, [f"literal '{case.literal}'{case.literal_loc}"]
    return case.literal, None, ["literal '", case.literal_loc]


def _bad_params():
    for case in BAD:
        for source in SOURCES:
            if source == "literal" and case.literal is None:
                continue
            if source == "stdin" and case.id.startswith(("semicolon-csv", "tab-sep", "json-scalar", "tsv-of")):
                continue  # standard input is sniffed: the .txt cases cover it; "0.5" is one text row
            yield pytest.param(case, source, id=f"{case.id}-{source}")


@pytest.mark.parametrize(("case", "source"), list(_bad_params()))
def test_bad_operand(run, tmp_path, case, source):
    arg, data, where = feed(source, case, tmp_path)
    args = [arg if a == "{op}" else a for a in case.args]
    result = run(*args, input=data)
    assert_fails(result, case.code, *case.words, where=where, hide=tmp_path)


# --------------------------------------------------------------------------------------------
# P and Q that do not fit together


@pytest.mark.parametrize("source", SOURCES)
def test_class_counts_differ(run, tmp_path, source):
    case = Bad("classes", "0.2,0.3,0.5\n", (), (), literal="0.2,0.3,0.5")
    arg, data, where = feed(source, case, tmp_path)
    result = run("kl", arg, "0.5,0.5", input=data)
    assert_fails(result, 1, "P has 3 classes", "Q has 2", "--columns", where=where, hide=tmp_path)


@pytest.mark.parametrize("source", SOURCES)
def test_row_counts_differ(run, tmp_path, source):
    case = Bad("rows", "0.2,0.8\n0.5,0.5\n0.1,0.9\n", (), (), literal="0.2,0.8;0.5,0.5;0.1,0.9")
    arg, data, where = feed(source, case, tmp_path)
    result = run("kl", arg, "0.5,0.5;0.5,0.5", input=data)
    assert_fails(result, 1, "P has 3 rows", "Q has 2", "single row", where=where, hide=tmp_path)


@pytest.mark.parametrize("one_side", ["p", "q"])
def test_one_row_broadcasts_against_n(run, tmp_path, one_side):
    many = [[0.2, 0.8], [0.5, 0.5], [0.9, 0.1]]
    one = [0.4, 0.6]
    path = tmp_path / "many.csv"
    path.write_text("\n".join(",".join(map(repr, row)) for row in many) + "\n")
    if one_side == "p":
        doc = succeed(run, "kl", "0.4,0.6", str(path), "--reduction", "none")
        expected = [kl_of(one, row) for row in many]
    else:
        doc = succeed(run, "kl", str(path), "0.4,0.6", "--reduction", "none")
        expected = [kl_of(row, one) for row in many]
    assert doc["n_rows"] == 3
    got = [row["kl_divergence"] for row in doc["rows"]]
    np.testing.assert_allclose(got, expected, rtol=1e-12)


def test_class_names_disagree(run, tmp_path):
    """Another order is matched by name; classes on one side only are refused, listed; none in common too."""
    p = tmp_path / "p.csv"
    q = tmp_path / "q.csv"
    p.write_text("a,b\n0.25,0.75\n")
    q.write_text("b,a\n0.5,0.5\n")
    assert run("kl", str(p), str(q)).exit_code == 0
    q.write_text("b,c\n0.5,0.5\n")
    assert_fails(run("kl", str(p), str(q)), 1, "name different classes", "has no 'c'", "has no 'a'",
                 "--missing zero", where=[str(p), str(q)], hide=tmp_path)
    q.write_text("x,y\n0.5,0.5\n")
    assert_fails(run("kl", str(p), str(q)), 1, "name no class alike", where=[str(p), str(q)], hide=tmp_path)


def test_duplicate_header(run, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("a,a\n0.5,0.5\n")
    assert_fails(run("entropy", str(p)), 1, "'a' twice", where=f"{p}:1", hide=tmp_path)


# --------------------------------------------------------------------------------------------
# --weight


@pytest.mark.parametrize("source", SOURCES)
def test_weight_of_wrong_length(run, tmp_path, source):
    case = Bad("weight", "1,2\n", (), (), literal="1,2")
    arg, data, _ = feed(source, case, tmp_path)
    result = run("ce", "0.2,0.3,0.5", "0,0,0", "--q-as", "logits", "--weight", arg, input=data)
    assert_fails(result, 1, "--weight", "2 values", "3 classes", "one weight per class", hide=tmp_path)


@pytest.mark.parametrize("source", SOURCES)
@pytest.mark.parametrize(("text", "shown"), [("1,-1,1", "'-1'"), ("1,inf,1", "'inf'"), ("1,-inf,1", "'-inf'")],
                         ids=["negative", "inf", "minus-inf"])
def test_weight_that_is_not_a_finite_non_negative_number(run, tmp_path, source, text, shown):
    """From a file or standard input bad data (exit 1, file:line:column); as a literal a bad option
    value (exit 2)."""
    case = Bad("weight", text + "\n", (), (), literal=text, loc=":1:2", literal_loc=": row 1, item 2")
    arg, data, where = feed(source, case, tmp_path)
    result = run("ce", "0.2,0.3,0.5", "0,0,0", "--q-as", "logits", "--weight", arg, input=data)
    code = 2 if source == "literal" else 1
    assert_fails(result, code, "weight", shown, "non-negative", "such as 1,1,2", where=where, hide=tmp_path)
    if source == "literal":
        assert "Invalid value for '--weight'" in result.stderr


@pytest.mark.parametrize("source", SOURCES)
def test_nan_weight(run, tmp_path, source):
    case = Bad("weight", "1,nan,1\n", (), (), literal="1,nan,1", loc=":1:2")
    arg, data, where = feed(source, case, tmp_path)
    result = run("ce", "0.2,0.3,0.5", "0,0,0", "--q-as", "logits", "--weight", arg, input=data)
    if source == "literal":
        assert_fails(result, 2, "--weight", "'1,nan,1'", "nan is not a value")
    else:
        assert_fails(result, 1, "nan", where=where, hide=tmp_path)


@pytest.mark.parametrize("source", ["file", "literal"])
def test_weights_whose_sum_overflows(run, tmp_path, source):
    """1e308 twice sums past float64: the right mean (equal weights: the unweighted one), not nan."""
    case = Bad("weight", "1e308,1e308\n", (), (), literal="1e308,1e308")
    arg, data, _ = feed(source, case, tmp_path)
    result = run("ce", "0;1", "1,2;3,1", "--p-as", "labels", "--q-as", "logits", "--weight", arg, "-q", input=data)
    plain = run("ce", "0;1", "1,2;3,1", "--p-as", "labels", "--q-as", "logits", "-q")
    assert result.exit_code == 0 and "Traceback" not in result.stderr
    assert float(result.stdout) == pytest.approx(float(plain.stdout), rel=1e-15)


# --------------------------------------------------------------------------------------------
# operands that are neither file nor literal; standard input twice


@pytest.mark.parametrize("args", [
    ("kl", "-", "-"),
    ("ce", "-", "0,0", "--weight", "-"),
    ("ce", "0.5,0.5", "-", "--weight", "-"),
], ids=["kl-both", "ce-p-and-weight", "ce-q-and-weight"])
def test_stdin_twice(run, args):
    assert_fails(run(*args, input="0.5,0.5\n"), 2, "'-'", "one operand")


@pytest.mark.parametrize("literal", ["", " ", ";"])
def test_empty_literal(run, literal):
    assert_fails(run("entropy", literal), 1, "file", "literal")


def test_missing_path(run, tmp_path):
    missing = tmp_path / "nope.csv"
    assert_fails(run("entropy", str(missing)), 1, "no existing file", "literal", where=str(missing), hide=tmp_path)


def test_missing_path_that_starts_like_a_number(run, tmp_path, monkeypatch):
    """``2024-p.csv`` starts like a literal, but it is plainly a missing file: the message says both."""
    monkeypatch.chdir(tmp_path)
    assert_fails(run("entropy", "2024-p.csv"), 1, "file", "literal", where="2024-p.csv")


def test_directory(run, tmp_path):
    assert_fails(run("entropy", str(tmp_path)), 1, "directory", where=str(tmp_path), hide=tmp_path)


# --------------------------------------------------------------------------------------------
# the command line (exit 2)


@pytest.mark.parametrize(("args", "words"), [
    (("entropy", "0.5,0.5", "--base", "0"), ("--base", "'0'")),
    (("entropy", "0.5,0.5", "--base", "1"), ("--base", "'1'")),
    (("entropy", "0.5,0.5", "--base", "-2"), ("--base", "'-2'")),
    (("entropy", "0.5,0.5", "--base", "x"), ("--base", "'x'")),
    (("entropy", "0.5,0.5", "--base", "inf"), ("--base", "'inf'")),
    (("entropy", "0.5,0.5", "--temperature", "0"), ("--temperature",)),
    (("kl", "0,1", "0,1", "-T", "-1", "--p-as", "logits"), ("--temperature",)),
    (("ce", "0.5,0.5", "0.5,0.5", "--label-smoothing", "1.5"), ("--label-smoothing", "1.5")),
    (("kl", "0.5,0.5", "0.5,0.5", "--reduction", "bogus"), ("--reduction", "bogus")),
    (("ce", "0.5,0.5", "0.5,0.5", "--reduction", "batchmean"), ("--reduction", "batchmean")),
    (("entropy", "0.5,0.5", "--reduction", "batchmean"), ("--reduction", "batchmean")),
    (("kl", "0.5,0.5", "0.5,0.5", "--q-as", "labels"), ("--q-as", "labels")),
    (("entropy", "0.5,0.5", "--bogus"), ("--bogus",)),
    (("kl", "0.5,0.5", "0.5,0.5", "-f", "xml"), ("--format", "xml")),
    (("kl", "0.5,0.5", "0.5,0.5", "--tolerance", "-1"), ("--tolerance",)),
    (("ce", "0", "0,0", "--p-as", "labels", "--ignore-index", "x"), ("--ignore-index",)),
    (("kl", "0.5,0.5"), ("missing argument", "Q")),
    (("entropy", "0.5,0.5", "0.5,0.5"), ("unexpected extra argument",)),
], ids=lambda v: "_".join(v) if isinstance(v, tuple) and v and v[0] in ("kl", "ce", "entropy") else None)
def test_bad_command_line(run, args, words):
    assert_fails(run(*args), 2, *words)


LOGITS_KL = ("kl", "0.5,0.5", "1,2", "--q-as", "logits")
CE = ("ce", "0.5,0.5", "1,2", "--q-as", "logits")
COMPARE = ("compare", "0.5,0.5", "0.2,0.8")
JS = ("js", "0.5,0.5", "0.2,0.8")


@pytest.mark.parametrize(("args", "option", "value", "words"), [
    *[(command, "-T", value, ("--temperature", f"'{value}'", "not a finite number", "T > 0"))
      for command in (LOGITS_KL, ("entropy", "1,2", "--p-as", "logits")) for value in ("nan", "inf", "-inf")],
    (LOGITS_KL, "-T", "0", ("--temperature", "'0'", "> 0")),
    (LOGITS_KL, "-T", "-2", ("--temperature", "'-2'", "> 0")),
    (LOGITS_KL, "-T", "x", ("--temperature", "'x'", "not a number")),
    (LOGITS_KL, "-T", "1e300", ("--temperature", "T²", "loses its digits", "up to 1e+100")),
    (LOGITS_KL, "-T", "1e101", ("--temperature", "T²", "loses its digits", "up to 1e+100")),
    *[(CE, "--label-smoothing", value, ("--label-smoothing", f"'{value}'", "not a finite number", "from 0"))
      for value in ("nan", "inf", "-inf")],
    (CE, "--label-smoothing", "1.5", ("--label-smoothing", "'1.5'", "from 0 to 1")),
    (CE, "--label-smoothing", "-0.1", ("--label-smoothing", "'-0.1'", "from 0 to 1")),
    *[(CE, "--tolerance", value, ("--tolerance", f"'{value}'", "not a finite number", "--normalize"))
      for value in ("nan", "inf", "-inf")],
    (CE, "--tolerance", "-1", ("--tolerance", "'-1'", "≥ 0")),
    *[(COMPARE, "--alpha", value, ("--alpha", f"'{value}'", "finite number > 0"))
      for value in ("nan", "inf", "-inf", "0", "-1")],
    (COMPARE, "--alpha", "0.5,nan", ("--alpha", "'nan'", "finite number > 0")),
    *[(CE, "--base", value, ("--base", f"'{value}'", "logarithm base")) for value in ("nan", "inf", "-inf")],
    *[(JS, "--weights", value, ("--weights", f"'{value}'", "not a list of numbers", "finite")) for value in ("nan,0.5", "inf,0", "-inf,1")],
    (JS, "--weights", "1e308,1e308", ("--weights", "sums to 2e+308, not 1", "such as 0.5,0.5")),
    (JS, "--weights", "-1,2", ("--weights", "negative", "sum to 1")),
    (JS, "--weights", "0.6,0.6", ("--weights", "sums to 1.2, not 1")),
], ids=lambda v: v if isinstance(v, str) and not v.startswith("-") or v in ("-T", "-1", "-2", "-inf", "-0.1",
                                                                              "-inf,1", "-1,2") else None)
def test_option_value_refused_when_read(run, args, option, value, words):
    """nan, ±inf and out-of-range option values are usage errors (exit 2) that say what to give;
    none reaches the numbers (nan used to print 0.0, turn the tolerance check off, or write a bare
    Infinity into JSON; huge values ended in an OverflowError)."""
    result = run(*args, option, value, "-f", "json")
    assert_fails(result, 2, *words)
    assert result.stderr.count("Error:") == 1 and "Error: Invalid value for" in result.stderr


@pytest.mark.parametrize(("args", "expected"), [
    (("entropy", "1,2,3", "--p-as", "logits", "-T", "1e300"), math.log(3)),         # logits / T ≈ 0: uniform
    (("ce", "0.5,0.5", "1,2", "--q-as", "logits", "-T", "1e300"), LN2),
    (("kl", "0.5,0.5", "1,2", "--q-as", "logits", "-T", "1e100"), 0.125e-200),         # ½·Var(z_q − log p)/T²
    (("js", "1,0", "0,1", "--weights", "1e-400,1"), 0.0),                             # π = (0, 1)
    (("compare", "0.5,0.5", "0.2,0.8", "--alpha", "1e300", "-q"), None),
])
def test_huge_and_tiny_option_values_give_the_right_number(run, args, expected):
    result = run(*args, *(() if "-q" in args else ("-f", "json")))
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    if expected is None:
        renyi = dict(line.split("\t") for line in result.stdout.splitlines())["renyi_1e+300"]
        assert float(renyi) == pytest.approx(math.log(0.5 / 0.2), rel=1e-12)   # the order ∞: log max p/q
    else:
        assert json.loads(result.stdout)["value"] == pytest.approx(expected, rel=1e-12, abs=1e-300)


# --------------------------------------------------------------------------------------------
# logits: -inf as a mask works


def test_minus_inf_logit_masks_a_class(run):
    doc = succeed(run, "kl", "0.25,0.75,0", "0,0,-inf", "--q-as", "logits")
    assert doc["value"] == pytest.approx(kl_of([0.25, 0.75], [0.5, 0.5]), rel=1e-12)
    assert doc["warnings"] == []


def test_minus_inf_logit_masks_a_class_in_p(run):
    doc = succeed(run, "entropy", "-inf,0,0", "--p-as", "logits")
    assert doc["value"] == pytest.approx(LN2, rel=1e-12)


# --------------------------------------------------------------------------------------------
# -o


def test_output_into_missing_folder(run, tmp_path):
    out = tmp_path / "missing" / "out.csv"
    assert_fails(run("entropy", "0.5,0.5", "-o", str(out), "-f", "csv"), 1, "no such file or directory",
                 where=f"Error: {out}: ", hide=tmp_path)
    assert not out.parent.exists()


def test_failing_run_leaves_no_output_file(run, tmp_path):
    out = tmp_path / "out.csv"
    result = run("entropy", "0.5,-0.5", "-o", str(out), "-f", "csv")
    assert_fails(result, 1, "negative probability")
    assert not out.exists()
    assert os.listdir(tmp_path) == []


def test_failing_run_keeps_an_existing_output_file(run, tmp_path):
    out = tmp_path / "out.csv"
    out.write_text("old\n")
    assert_fails(run("entropy", "0.5,-0.5", "-o", str(out), "-f", "csv"), 1, "negative probability")
    assert out.read_text() == "old\n"
    assert os.listdir(tmp_path) == ["out.csv"]


# --------------------------------------------------------------------------------------------
# +inf is a legitimate result


@pytest.mark.parametrize("command", ["kl", "ce"])
def test_q_zero_where_p_positive(run, tmp_path, command):
    p = tmp_path / "p.csv"
    q = tmp_path / "q.csv"
    p.write_text("a,b\n0.5,0.5\n0.5,0.5\n")
    q.write_text("a,b\n0.5,0.5\n1,0\n")
    result = run(command, str(p), str(q), "-f", "json")
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr
    doc = json.loads(result.stdout)
    assert doc["value"] == "inf"
    assert doc["rows"][0]["kl_divergence"] == 0.0
    assert doc["rows"][1]["kl_divergence"] == "inf"
    assert "warning" in result.stderr
    assert "row 2" in result.stderr and "'b'" in result.stderr
    assert f"{q}:3:2" in result.stderr
    assert "np.float64" not in result.stderr, result.stderr


def test_q_zero_where_p_zero_is_zero(run):
    doc = succeed(run, "kl", "0.5,0.5,0", "0.5,0.25,0.25")
    assert doc["value"] == pytest.approx(kl_of([0.5, 0.5], [0.5, 0.25]), rel=1e-12)
    doc = succeed(run, "kl", "0.5,0.5,0", "0.5,0.5,0")
    assert doc["value"] == 0.0 and doc["warnings"] == []


# --------------------------------------------------------------------------------------------
# awkward but valid: must work, with the right numbers


@dataclass
class Good:
    id: str
    content: str | bytes
    ext: str = ".csv"
    literal: str | None = None
    rows: tuple = ((0.5, 0.5), (0.25, 0.75))
    classes: tuple | None = None


GOOD = [
    Good("bom", "\ufeff0.5,0.5\n0.25,0.75\n"),
    Good("bom-header", "\ufeffa,b\n0.5,0.5\n0.25,0.75\n", classes=("a", "b")),
    Good("bom-json", "\ufeff[[0.5,0.5],[0.25,0.75]]", ext=".json"),
    Good("crlf", "0.5,0.5\r\n0.25,0.75\r\n"),
    Good("crlf-header", "a,b\r\n0.5,0.5\r\n0.25,0.75\r\n", classes=("a", "b")),
    Good("trailing-delimiter", "0.5,0.5,\n0.25,0.75,\n", literal="0.5,0.5;0.25,0.75;"),
    Good("trailing-delimiter-header", "a,b,\n0.5,0.5,\n0.25,0.75,\n", classes=("a", "b")),
    Good("surrounding-spaces", "  0.5 , 0.5  \n 0.25,  0.75\n", literal=" 0.5 , 0.5 ; 0.25 , 0.75 "),
    Good("blank-lines", "\n0.5,0.5\n\n  \n0.25,0.75\n\n"),
    Good("header-names-classes", "cat,dog,bird\n0.5,0.25,0.25\n", rows=((0.5, 0.25, 0.25),),
         classes=("cat", "dog", "bird")),
    Good("quoted-header", '"cat, big",dog\n0.5,0.5\n', rows=((0.5, 0.5),), classes=("cat, big", "dog")),
    Good("savetxt-txt", "", ext=".txt"),  # written by numpy.savetxt below
    Good("whitespace-txt", "0.5   0.5\n\t0.25 0.75\n", ext=".txt"),
    Good("semicolon-txt", "0.5;0.5\n0.25;0.75\n", ext=".txt"),
    Good("tsv", "0.5\t0.5\n0.25\t0.75\n", ext=".tsv"),
    Good("tsv-header", "a\tb\n0.5\t0.5\n0.25\t0.75\n", ext=".tsv", classes=("a", "b")),
    Good("fractions", "1/3,1/3,1/3\n1/2,1/4,1/4\n", rows=((1 / 3,) * 3, (0.5, 0.25, 0.25)),
         literal="1/3,1/3,1/3;1/2,1/4,1/4"),
    Good("scientific", "5e-1,5E-1\n2.5e-1,7.5E-01\n", literal="5e-1,5E-1;2.5e-1,7.5E-01"),
    Good("integers-json", "[[1,0],[0,1]]", ext=".json", rows=((1, 0), (0, 1)), literal="[[1,0],[0,1]]"),
    Good("json-one-row", "[0.25,0.75]", ext=".json", rows=((0.25, 0.75),), literal="[0.25,0.75]"),
    Good("jsonl", "[0.5,0.5]\n\n[0.25,0.75]\n", ext=".jsonl"),
    Good("ndjson-objects", '{"a":0.5,"b":0.5}\n{"a":0.25,"b":0.75}\n', ext=".ndjson", classes=("a", "b")),
    Good("json-object", '{"cat":0.5,"dog":0.25,"bird":0.25}', ext=".json", rows=((0.5, 0.25, 0.25),),
         classes=("cat", "dog", "bird"), literal='{"cat":0.5,"dog":0.25,"bird":0.25}'),
    Good("json-list-of-objects", '[{"a":0.5,"b":0.5},{"a":0.25,"b":0.75}]', ext=".json", classes=("a", "b"),
         literal='[{"a":0.5,"b":0.5},{"a":0.25,"b":0.75}]'),
]


def _good_params():
    for case in GOOD:
        for source in SOURCES:
            if source == "literal" and case.literal is None:
                continue
            yield pytest.param(case, source, id=f"{case.id}-{source}")


@pytest.mark.parametrize(("case", "source"), list(_good_params()))
def test_awkward_but_valid(run, tmp_path, case, source):
    path = tmp_path / f"p{case.ext}"
    if case.id == "savetxt-txt":
        np.savetxt(path, np.array(case.rows))
    else:
        data = case.content.encode("utf-8") if isinstance(case.content, str) else case.content
        path.write_bytes(data)
    if source == "file":
        doc = succeed(run, "entropy", str(path), "--reduction", "none")
    elif source == "stdin":
        doc = succeed(run, "entropy", "-", "--reduction", "none", input=path.read_bytes())
    else:
        doc = succeed(run, "entropy", case.literal, "--reduction", "none")
    assert doc["n_rows"] == len(case.rows)
    assert doc["n_classes"] == len(case.rows[0])
    expected = [entropy_of(*row) for row in case.rows]
    np.testing.assert_allclose(doc["value"], expected, rtol=1e-12, atol=1e-15)
    if case.classes:
        assert doc["classes"] == list(case.classes)


def test_header_names_appear_in_kl(run, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("cat,dog,bird\n0.5,0.25,0.25\n")
    doc = succeed(run, "kl", str(p), "1/3,1/3,1/3", "--reduction", "none")
    assert doc["classes"] == ["cat", "dog", "bird"]
    assert list(doc["rows"][0]["terms"]) == ["cat", "dog", "bird"]
    assert doc["rows"][0]["kl_divergence"] == pytest.approx(kl_of([0.5, 0.25, 0.25], [1 / 3] * 3), rel=1e-12)


def test_negative_logits_literal_needs_no_double_dash(run):
    doc = succeed(run, "entropy", "-1,-1", "--p-as", "logits")
    assert doc["value"] == pytest.approx(LN2, rel=1e-12)


def test_a_single_column_where_rows_were_meant(run, tmp_path):
    """One distribution written down a column: each 'row' sums to one value; the hint is --columns."""
    p = tmp_path / "p.csv"
    p.write_text("0.36\n0.48\n0.16\n")
    assert_fails(run("entropy", str(p)), 1, "sums to 0.36", "--columns", where=f"{p}:1", hide=tmp_path)
    assert_fails(run("kl", str(p), "1/3,1/3,1/3"), 1, "every row of P has a single class", "--columns", hide=tmp_path)
    works = run("entropy", str(p), "--columns", "-q")
    assert works.exit_code == 0 and works.stdout == run("entropy", "0.36,0.48,0.16", "-q").stdout


# --------------------------------------------------------------------------------------------
# large files go through numpy's parser first; errors keep their line, column and text


def _big_table(rows: int = 20_000) -> list[str]:
    return ["0.25,0.25,0.5"] * rows


@pytest.mark.parametrize("bad, words", [
    ("0.25,abc,0.5", ("not a number", "'abc'")),
    ("0.25,nan,0.5", ("nan is not a value",)),
    ("0.25,1/0,0.5", ("division by zero",)),
    ("0.25,,0.5", ("empty cell",)),
])
def test_an_error_deep_in_a_large_file_is_located(run, tmp_path, bad, words):
    lines = _big_table()
    lines[15_000] = bad
    p = tmp_path / "p.csv"
    p.write_text("a,b,c\n" + "\n".join(lines) + "\n")
    assert_fails(run("entropy", str(p)), 1, *words, where=f"{p}:15002:2", hide=tmp_path)


def test_a_bad_value_in_a_large_file_is_shown_as_written(run, tmp_path):
    lines = _big_table()
    lines[9_999] = "0.75,-0.250,0.5"
    p = tmp_path / "p.csv"
    p.write_text("\n".join(lines) + "\n")
    assert_fails(run("entropy", str(p)), 1, "negative probability '-0.250'", where=f"{p}:10000:2", hide=tmp_path)


def test_underflow_in_a_large_file_still_warns(run, tmp_path):
    lines = _big_table()
    lines[123] = "0.5,0.5,1e-400"
    p = tmp_path / "p.csv"
    p.write_text("\n".join(lines) + "\n")
    result = run("entropy", str(p), "-q")
    assert result.exit_code == 0 and f"{p}:124:3: '1e-400' underflows" in result.stderr


def test_a_word_in_the_first_row_of_data_is_no_header_and_gets_no_decimal_comma_hint(run, tmp_path):
    path = tmp_path / "h.csv"
    path.write_text("a,0.5,0.5\n0.2,0.3,0.5\n")
    result = run("entropy", path)
    assert result.exit_code == 1 and "h.csv:1:1: not a number: 'a'" in result.stderr
    assert "decimal point" not in result.stderr and result.stdout == ""


@pytest.mark.parametrize("objects", [False, True])
def test_a_json_document_of_5000_rows_reads_and_locates_a_late_error(run, tmp_path, objects):
    """Rows are located (line:column) only when a message needs it: locating every row up front
    scanned the text once per row."""
    rng = np.random.default_rng(5)
    rows = rng.dirichlet(np.ones(4), 5000)
    items = [dict(zip("abcd", row)) if objects else row for row in rows.tolist()]
    path = tmp_path / "p.json"
    path.write_text("[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]\n")
    document = succeed(run, "entropy", path, "--reduction", "sum")
    assert document["n_rows"] == 5000
    csv_path = tmp_path / "p.csv"
    csv_path.write_text("\n".join(",".join(repr(x) for x in row) for row in rows.tolist()) + "\n")
    same = succeed(run, "entropy", csv_path, "--reduction", "sum")
    assert [row["entropy_p"] for row in document["rows"]] == [row["entropy_p"] for row in same["rows"]]
    items[4321] = {"a": 0.5, "b": "x", "c": 0.25, "d": 0.25} if objects else [0.5, "x", 0.25, 0.25]
    path.write_text("[\n" + ",\n".join(json.dumps(item) for item in items) + "\n]\n")
    result = run("entropy", path)
    column = 17 if objects else 7
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {path}:4323:{column}: not a number: \"x\"")
