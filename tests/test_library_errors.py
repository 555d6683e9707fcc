"""The library without Click (issue 14, item 3): DataError is a plain ValueError, its messages name
options in Python's words (``p_as="logits"``), the command line's in flags (``--p-as logits``), and
computing from Python imports neither Click nor Rich."""

from __future__ import annotations

import ast
import pickle
import re
import subprocess
import sys
from pathlib import Path

import pytest

import divcli
from divcli.errors import DataError, cli_words, option, python_words

FLAG = re.compile(r"(?<![\w-])--[a-z]")
PACKAGE = Path(divcli.__file__).parent


def test_computing_from_python_imports_neither_click_nor_rich():
    code = """
import sys
import divcli

p, q = [[0.2, 0.3, 0.5], [0.5, 0.25, 0.25]], [[1/3, 1/3, 1/3], [0.4, 0.4, 0.2]]
divcli.kl_divergence(p, q)
divcli.cross_entropy(p, q, reduction="none")
divcli.entropy(p, base=2)
divcli.js_divergence(p, q)
divcli.compare(p, q)
divcli.kl_divergence("0.2,0.8", "0.5,0.5")
divcli.mutual_information(["a", "a", "b"], [1, 2, 2])
divcli.drift({"x": [1.0, 2, 3, 4]}, {"x": [1.0, 2, 2, 4]}, bins="edges:2.5")
import divcli.dask_engine.client, divcli.dask_engine.parts, divcli.dask_engine.shards  # the engine, not its CLI
import divcli.engine.loop, divcli.readers.registry, divcli.computations.explain, divcli.computations.distill, divcli.computations.libraries
try:
    divcli.kl_divergence([[0.5, -0.5]], [[0.5, 0.5]])
except ValueError as error:
    assert type(error).__name__ == "DataError", error
else:
    raise AssertionError("no DataError")
print(sorted(name for name in ("click", "rich") if name in sys.modules))
"""
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_data_error_is_a_value_error_with_its_parts():
    with pytest.raises(ValueError) as caught:
        divcli.kl_divergence([[0.5, -0.5]], [[0.5, 0.5]])
    error = caught.value
    assert isinstance(error, divcli.DataError)
    assert error.where == "p: row 1, item 2"
    assert error.what == "negative probability '-0.5'"
    assert error.hint == 'pass p_as="logits" or p_as="log-probs" if these are scores'
    assert str(error) == f"{error.where}: {error.what}; {error.hint}"
    assert error.message(cli_words) == ("p: row 1, item 2: negative probability '-0.5'; "
                                        "pass --p-as logits or --p-as log-probs if these are scores")


def test_a_pickled_data_error_keeps_both_renderings():  # as a Dask worker's error reaches the client
    error = DataError("p.csv:3", f"{option('weight')} has 2 values", f"pass {option('normalize', True)}")
    copy = pickle.loads(pickle.dumps(error))
    assert copy.template == error.template
    assert str(copy) == "p.csv:3: weight has 2 values; pass normalize=True"
    assert copy.message(cli_words) == "p.csv:3: --weight has 2 values; pass --normalize"


@pytest.mark.parametrize("placeholder, python, cli", [
    (option("p_as", "logits"), 'p_as="logits"', "--p-as logits"),
    (option("normalize", True), "normalize=True", "--normalize"),
    (option("tolerance"), "tolerance", "--tolerance"),
    (option("ignore_index"), "ignore_index", "--ignore-index"),
    (option("reduction", "sum"), 'reduction="sum"', "--reduction sum"),
    (option("delimiter", "\t", cli="tab"), 'delimiter="\\t"', "--delimiter tab"),
    (option("delimiter", ";", cli="';'"), 'delimiter=";"', "--delimiter ';'"),
])
def test_an_option_in_each_words(placeholder, python, cli):
    assert python_words(f"pass {placeholder} now") == f"pass {python} now"
    assert cli_words(f"pass {placeholder} now") == f"pass {cli} now"


def test_text_from_the_data_is_no_placeholder():
    # the placeholder's control characters from a file are escaped, never read as an option
    error = DataError("a\x1fnormalize\x1d\x1d\x1f.csv", "bad", None)
    assert "\\x1f" in error.message(cli_words) and "--normalize" not in error.message(cli_words)


# Each: the Python call, its CLI twin, the option in CLI words, the same in Python words.
CASES = [
    (lambda: divcli.kl_divergence("0.5,-0.5", "0.5,0.5"), ["kl", "0.5,-0.5", "0.5,0.5"],
     "--p-as logits", 'p_as="logits"'),
    (lambda: divcli.kl_divergence("0.2,0.2", "0.5,0.5"), ["kl", "0.2,0.2", "0.5,0.5"],
     "--normalize", "normalize=True"),
    (lambda: divcli.kl_divergence("0.2,0.2", "0.5,0.5"), ["kl", "0.2,0.2", "0.5,0.5"],
     "a larger --tolerance", "a larger tolerance"),
    (lambda: divcli.kl_divergence("0.5,0.5", "0.5,-0.5", q_as="log-probs"),
     ["kl", "0.5,0.5", "0.5,-0.5", "--q-as", "log-probs"], "--q-as logits", 'q_as="logits"'),
    (lambda: divcli.cross_entropy("0.5,0.5", "0.5,0.5", weight=[1, 1, 1]),
     ["ce", "0.5,0.5", "0.5,0.5", "--weight", "1,1,1"], "--weight has 3 values", "weight has 3 values"),
    (lambda: divcli.cross_entropy("3", "1,2", p_as="labels", q_as="logits"),
     ["ce", "3", "1,2", "--p-as", "labels", "--q-as", "logits"], "(--ignore-index)", "(ignore_index)"),
    (lambda: divcli.kl_divergence("1,2", "0.5,0.5", p_as="logits", temperature=1e-308),
     ["kl", "1,2", "0.5,0.5", "--p-as", "logits", "-T", "1e-308"], "a larger --temperature", "a larger temperature"),
]


@pytest.mark.parametrize("call, argv, cli, python", CASES)
def test_python_says_keywords_where_the_command_line_says_flags(run, call, argv, cli, python):
    with pytest.raises(DataError) as caught:
        call()
    message = str(caught.value)
    assert python in message
    assert not FLAG.search(message), message
    assert not FLAG.search(caught.value.what) and not FLAG.search(caught.value.hint or "")
    result = run(*argv)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1
    assert cli in result.stderr
    assert python not in result.stderr.replace(cli, "")


# Where a flag may still be written out: the command line itself, its renderers (tables, JSON notes
# that quote a command), the Dask engine (run only by the command line), and warnings (the Python
# API keeps none; the CLI prints them).
CLI_SIDE = {"libraries.py"}
CLI_SIDE_PACKAGES = {"cli", "output", "dask_engine"}
WARNINGS = ("scale --weight down",)
#: Another program's command line, quoted as is to Python callers too (how to make its files again).
OTHER_PROGRAMS = ("llama-perplexity",)


def test_the_library_names_options_only_through_option():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        relative = path.relative_to(PACKAGE)
        if relative.name in CLI_SIDE or relative.parts[0] in CLI_SIDE_PACKAGES:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docstrings = {id(node.body[0].value) for node in ast.walk(tree)
                      if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef))
                      and node.body and isinstance(node.body[0], ast.Expr)}
        for node in ast.walk(tree):
            if (isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings
                    and FLAG.search(node.value) and not any(text in node.value for text in WARNINGS + OTHER_PROGRAMS)):
                found.append(f"{relative}:{node.lineno}: {node.value!r}")
    assert not found, "write errors.option(...) for these flags:\n" + "\n".join(found)


def test_the_api_page_shows_the_error_as_raised():
    page = (PACKAGE.parent / "docs" / "api.md").read_text(encoding="utf-8")
    with pytest.raises(DataError) as caught:
        divcli.kl_divergence([[0.5, -0.5]], [[0.5, 0.5]])
    error = caught.value
    assert "\n".join([error.where, error.what, error.hint]) in page
    assert error.message(cli_words).split("; ")[-1] in page


@pytest.mark.parametrize("call", [
    lambda: divcli.cross_entropy([[0.5, 0.5]], [[0.9, 0.1]], reduction="batchmean"),
    lambda: divcli.entropy([[0.5, 0.5]], reduction="batchmean"),
    lambda: divcli.compare([[0.5, 0.5]], [[0.9, 0.1]], reduction="batchmean"),
])
def test_batchmean_is_refused_by_the_functions_other_than_kl(call):
    with pytest.raises(ValueError, match="^batchmean is kl's reduction; use none, sum or mean$"):
        call()


def test_an_unknown_measure_of_the_matrix_is_a_value_error_that_says_so():
    with pytest.raises(ValueError, match="^'nosuch' is not a measure; use a key or an alias of divcli measures"):
        divcli.divergence_matrix([[0.5, 0.5], [0.9, 0.1]], "nosuch")
    assert divcli.divergence_matrix([[0.5, 0.5], [0.9, 0.1]], "tv")[0, 1] == pytest.approx(0.4)


def test_class_weights_from_python_may_be_a_file_or_a_literal_as_on_the_command_line(tmp_path):
    """``weight="w.csv"`` is read as ``--weight w.csv`` is (it was taken for a number and refused),
    and its values are checked the same way."""
    p, q = [[0.2, 0.3, 0.5], [0.5, 0.25, 0.25]], [[1 / 3, 1 / 3, 1 / 3], [0.4, 0.4, 0.2]]
    path = tmp_path / "w.csv"
    path.write_text("1\n2\n0.5\n")
    expected = divcli.cross_entropy(p, q, weight=[1, 2, 0.5], reduction="none")
    assert divcli.cross_entropy(p, q, weight=str(path), reduction="none") == pytest.approx(expected, rel=1e-15)
    assert divcli.cross_entropy(p, q, weight=path, reduction="none") == pytest.approx(expected, rel=1e-15)
    assert divcli.cross_entropy(p, q, weight="1,2,0.5", reduction="none") == pytest.approx(expected, rel=1e-15)
    assert divcli.distillation_loss(p, q, 2.0, labels=[0, 2], alpha=0.5, weight=str(path)) == pytest.approx(
        divcli.distillation_loss(p, q, 2.0, labels=[0, 2], alpha=0.5, weight=[1, 2, 0.5]), rel=1e-15)
    path.write_text("1\n-2\n0.5\n")
    with pytest.raises(DataError, match=r"w\.csv:2.*not a finite non-negative number"):
        divcli.cross_entropy(p, q, weight=path)
