"""Pipes and terminals: colour only where asked, warnings that never change the exit code, a
terminal on standard input, and the overflow guards."""

from __future__ import annotations

import importlib.util
import json
import os
import pty
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from helpers.files import write_rows
from helpers.signals import signal_a_long_run

BIN = Path(sys.executable).parent
ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("env, coloured", [
    ({}, False),
    ({"FORCE_COLOR": "1"}, True),
    ({"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),
])
def test_colour_in_a_pipe_only_when_forced(run, env, coloured):
    result = run("entropy", "0.5,0.5", env={"FORCE_COLOR": None, "NO_COLOR": None, **env})
    assert result.exit_code == 0
    assert ("\x1b[" in result.stdout) is coloured


def test_output_file_never_has_colour(run, tmp_path):
    out = tmp_path / "table.txt"
    assert run("entropy", "0.5,0.5", "-o", out, env={"FORCE_COLOR": "1"}).exit_code == 0
    assert "\x1b[" not in out.read_text() and "H(P)" in out.read_text()


def test_a_wide_table_is_not_cropped_in_a_pipe(run, tmp_path):
    name = "a-very-long-class-name-" * 8
    p = write_rows(tmp_path / "p.csv", [[0.5, 0.5]], header=[name, "b"])
    result = run("entropy", p, env={"COLUMNS": None})
    assert name in result.stdout and "…" not in result.stdout


@pytest.mark.parametrize("operand, where", [
    ("0.5,0.5,1e-400", "literal '0.5,0.5,1e-400': row 1, item 3"),
    ("[0.5, 0.5, 1e-400]", "literal '[0.5, 0.5, 1e-400]'"),
])
def test_underflow_is_a_warning_not_an_error(run, operand, where):
    result = run("entropy", operand, "-q")
    assert result.exit_code == 0 and result.stdout == "0.6931471805599453\n"
    assert where in result.stderr and "'1e-400' underflows float64 to 0" in result.stderr


def test_underflow_in_a_file_names_line_and_column(run, tmp_path):
    p = tmp_path / "p.csv"
    p.write_text("a,b,c\n0.5,0.5,0\n0.5,0.5,1e-999\n")
    result = run("entropy", str(p), "-q")
    assert result.exit_code == 0 and f"{p}:3:3: '1e-999' underflows" in result.stderr
    assert "2:3" not in result.stderr  # a written 0 is no warning


def test_overflow_to_minus_inf_in_log_probs_is_named(run):
    result = run("entropy", "0,-1e400", "--p-as", "log-probs", "-q")
    assert result.exit_code == 0 and "'-1e400' overflows float64 to -inf" in result.stderr


def test_logits_divided_by_a_tiny_temperature_overflow_with_a_message(run):
    result = run("kl", "1e300,0", "0,0", "--p-as", "logits", "--q-as", "logits", "-T", "1e-10")
    assert result.exit_code == 1 and result.stdout == ""
    assert "row 1, item 1" in result.stderr and "overflows" in result.stderr and "--temperature" in result.stderr


def test_normalizing_a_row_whose_sum_overflows(run):
    result = run("entropy", "1e308,1e308", "--normalize")
    assert result.exit_code == 1 and "overflows" in result.stderr and result.stdout == ""


def test_json_errors_name_line_and_column(run, tmp_path):
    p = tmp_path / "p.json"
    p.write_text('[\n  [0.5, 0.5],\n  [0.25, "0.75"]\n]\n')
    result = run("entropy", str(p))
    assert result.exit_code == 1 and f"{p}:3:10: not a number: \"0.75\"" in result.stderr


@pytest.mark.skipif(not (BIN / "divcli").exists(), reason="divcli is not installed next to this Python")
def test_a_terminal_on_standard_input_is_refused_not_waited_on():
    """``divcli entropy -`` typed at a prompt, with nothing piped in, says so instead of hanging."""
    parent, child = pty.openpty()
    try:
        result = subprocess.run([str(BIN / "divcli"), "entropy", "-"], stdin=child, capture_output=True,
                                text=True, timeout=60, cwd=ROOT)
    finally:
        os.close(parent)
        os.close(child)
    assert result.returncode == 1 and result.stdout == ""
    assert "<stdin>" in result.stderr and "nothing is piped" in result.stderr


@pytest.fixture
def progress_at_once(monkeypatch):
    from divcli.cli import console

    monkeypatch.setattr(console, "PROGRESS_AFTER_SECONDS", 0.0)
    return console


def _long_input(tmp_path):
    rows = [[0.25, 0.75]] * 600
    rows[5] = [1.0, 0.0]
    return write_rows(tmp_path / "p.csv", rows), write_rows(tmp_path / "q.csv", [[0.5, 0.5]] * 599 + [[1.0, 0.0]])


def test_no_progress_bar_when_stderr_is_not_a_terminal(run, tmp_path, progress_at_once):
    p, q = _long_input(tmp_path)
    result = run("kl", p, q, "-f", "csv")
    assert result.exit_code == 0
    assert result.stderr == "warning: D(P‖Q) is +inf: row 600, class '1': p = 0.75 but q = 0 " \
                            f"({q}:600:2)\n"  # the warning alone: no bar, no control codes


@pytest.mark.parametrize("quiet", [False, True])
def test_a_progress_bar_on_a_terminal_except_with_quiet(run, tmp_path, progress_at_once, monkeypatch, quiet):
    monkeypatch.setattr(progress_at_once, "_stderr_is_terminal", lambda: True)
    p, q = _long_input(tmp_path)
    result = run("kl", p, q, *(["-q"] if quiet else ["-f", "csv"]))
    assert result.exit_code == 0
    assert ("divcli kl" in result.stderr and "rows" in result.stderr) is not quiet
    assert "warning: D(P‖Q) is +inf: row 600" in result.stderr
    assert result.stdout.count("\n") == (1 if quiet else 601)  # standard output carries data only


@pytest.mark.parametrize("command", ["compare", "js"])
def test_compare_and_js_show_the_bar_on_a_terminal_only(run, tmp_path, progress_at_once, monkeypatch, command):
    p, q = _long_input(tmp_path)
    piped = run(command, p, q, "-f", "csv")
    assert piped.exit_code == 0 and f"divcli {command}" not in piped.stderr
    monkeypatch.setattr(progress_at_once, "_stderr_is_terminal", lambda: True)
    shown = run(command, p, q, "-f", "csv")
    assert shown.exit_code == 0 and f"divcli {command}" in shown.stderr
    assert shown.stdout == piped.stdout  # standard output carries data only


# --------------------------------------------------------------------------------------------
# standard input closed (<&-): one line for the operand that reads it, nothing for the others

P, Q = "9/25,12/25,4/25", "1/3,1/3,1/3"
SAMPLES = ROOT / "samples"
CLOSED_STDIN = "Error: standard input is closed; pipe data in (cat p.csv | divcli …) or give a file\n"


def divcli(*args, env=None, close=(), timeout=60, **kwargs) -> subprocess.CompletedProcess:
    """The real program, with the descriptors in ``close`` closed before it starts (``<&-``, ``2>&-``)."""
    def closing():
        for descriptor in close:
            os.close(descriptor)

    return subprocess.run([sys.executable, "-m", "divcli", *map(str, args)], capture_output=True,
                          stdin=subprocess.DEVNULL, env={**os.environ, **(env or {})}, preexec_fn=closing, cwd=ROOT,
                          timeout=timeout, **kwargs)


@pytest.mark.parametrize("args", [
    ["kl", "-", Q],
    ["ce", "-", SAMPLES / "logits.csv", "--p-as", "labels", "--q-as", "logits"],
    ["ce", SAMPLES / "labels.csv", SAMPLES / "logits.csv", "--p-as", "labels", "--q-as", "logits", "--weight", "-"],
    ["entropy", "-", "-q"],
    ["entropy", "-", "--columns"],
    ["distill", SAMPLES / "teacher.csv", SAMPLES / "student.csv", "-"],
    ["js", P, "-"],
    ["compare", "-", Q, "-f", "json"],
    ["matrix", "-"],
    ["explain", P, "-"],
    ["libraries", "-", Q],
])
def test_closed_standard_input_is_one_line(args):
    result = divcli(*args, close=[0], text=True)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == CLOSED_STDIN


@pytest.mark.parametrize("args", [
    ["kl", P, Q, "-q"], ["kl", P, Q], ["ce", SAMPLES / "labels.csv", SAMPLES / "logits.csv", "--p-as", "labels",
                                       "--q-as", "logits", "-f", "csv"],
    ["entropy", P, "-f", "json"], ["distill", SAMPLES / "teacher.csv", SAMPLES / "student.csv", "-q"],
    ["js", P, Q, "uniform", "-q"], ["compare", P, Q], ["matrix", SAMPLES / "teacher.csv", "--p-as", "logits"],
    ["explain", P, Q], ["libraries", P, Q], ["measures"], ["--help"], ["kl", "--help"], ["--version"],
])
def test_closed_standard_input_does_not_matter_without_dash(args):
    result = divcli(*args, close=[0], text=True)
    assert result.returncode == 0 and result.stderr == "" and result.stdout.strip()


@pytest.mark.parametrize("shell", ["bash_source", "bash_complete", "zsh_complete", "fish_complete"])
def test_completion_with_standard_input_closed(shell):
    result = divcli(close=[0], text=True, env={"_DIVCLI_COMPLETE": shell, "COMP_WORDS": "divcli kl --p-a",
                                               "COMP_CWORD": "2"})
    assert result.returncode == 0 and result.stderr == "" and result.stdout.strip()


def test_standard_input_open_for_writing_only_is_refused(tmp_path):
    with open(tmp_path / "written", "w") as only_written:
        result = subprocess.run([sys.executable, "-m", "divcli", "kl", "-", Q], stdin=only_written, cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stderr == CLOSED_STDIN


# --------------------------------------------------------------------------------------------
# exit codes whatever happens to the terminal: Ctrl-C is 130, a usage error stays 2

INTERRUPTED = 130
EVERY_COMMAND = [
    ["kl", P, Q], ["ce", "2;0", Q, "--p-as", "labels"], ["entropy", P], ["js", P, Q], ["compare", P, Q],
    ["distill", P, Q], ["matrix", P], ["explain", P, Q], ["libraries", P, Q],
]


@pytest.mark.parametrize("fmt", [[], ["-q"], ["-f", "csv"], ["-f", "json"]])
@pytest.mark.parametrize("command", EVERY_COMMAND, ids=lambda command: command[0])
def test_ctrl_c_while_reading_exits_130_quietly(run, monkeypatch, command, fmt):
    from divcli.readers import reading

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(reading, "open_blocks", interrupted)
    monkeypatch.setattr(reading, "read_operand", interrupted)
    result = run(*command, *fmt)
    assert result.exit_code == INTERRUPTED, result.stderr
    assert result.stdout == "" and result.stderr == ""  # not Click's "Aborted!" (exit 1, "bad data")


@pytest.mark.parametrize("threads, fmt", [("1", ["-f", "csv"]), ("4", ["-f", "json"]), ("4", []), ("1", ["-q"])])
def test_sigint_while_reading_standard_input_exits_130(tmp_path, threads, fmt):
    """A real SIGINT, sent while divcli waits on a pipe that never ends (blocks computed on threads
    beside it): exit 130, at most one line, and the -o file untouched, its temporary file gone."""
    code, err = signal_a_long_run(tmp_path, signal.SIGINT, *fmt, "--threads", threads)
    assert code == INTERRUPTED, err
    assert err.count(b"\n") <= 1


def _closed_pipe() -> int:
    """The writing end of a pipe whose reader is gone (``2>&- | …`` as the process sees it)."""
    reader, writer = os.pipe()
    os.close(reader)
    return writer


@pytest.mark.parametrize("args, code", [
    (["kl", "--bogus"], 2), (["kl", P], 2), (["kl", P, Q, "--base", "1"], 2), (["nonsense"], 2),
    (["kl", P, "0.5,0.4"], 1), (["kl", "--help"], 0), (["kl", P, Q, "-q"], 0),
])
@pytest.mark.parametrize("stderr", ["closed", "closed pipe"])
def test_exit_code_stands_when_standard_error_cannot_be_written(args, code, stderr):
    if stderr == "closed":
        result = divcli(*args, close=[2])
    else:
        writer = _closed_pipe()
        try:
            result = subprocess.run([sys.executable, "-m", "divcli", *args], stdout=subprocess.PIPE, stderr=writer,
                                    stdin=subprocess.DEVNULL, cwd=ROOT, timeout=60)
        finally:
            os.close(writer)
    assert result.returncode == code


# --------------------------------------------------------------------------------------------
# what the user typed, echoed in a message, never reaches the terminal as a control sequence

ESC = "\x1b]0;title\x07\x1b[2J"


@pytest.mark.parametrize("args", [
    pytest.param(["kl", P, Q, "--engine", "dask", "--scheduler", f"tcp://127.0.0.1:1{ESC}"],
                 marks=pytest.mark.skipif(importlib.util.find_spec("distributed") is None,
                                          reason="the message naming the scheduler needs Dask (the dask extra)")),
    ["kl", P, Q, f"extra{ESC}"],
    [f"nonsense{ESC}"],
    ["kl", P, Q, f"--bogus{ESC}"],
])
def test_echoed_command_line_values_are_escaped(args):
    from click.testing import CliRunner

    from divcli.cli import cli

    result = CliRunner().invoke(cli, args, color=True)  # as on a terminal: Click strips nothing
    assert result.exit_code == 2 and result.stdout == ""
    assert "\x1b" not in result.stderr and "\x07" not in result.stderr
    assert "\\x1b]0;title\\x07\\x1b[2J" in result.stderr


# --------------------------------------------------------------------------------------------
# an encoding without Unicode (PYTHONIOENCODING=cp1252 or ascii, Windows redirection): ASCII
# forms in tables and messages, never a traceback; JSON stays valid (and ASCII), CSV exact

TABLES = [
    ["kl", P, Q],
    ["kl", SAMPLES / "teacher.csv", SAMPLES / "student.csv", "--p-as", "logits", "--q-as", "logits", "--top", "3"],
    ["ce", SAMPLES / "labels.csv", SAMPLES / "logits.csv", "--p-as", "labels", "--q-as", "logits"],
    ["entropy", SAMPLES / "target.csv", "--base", "2"],
    ["distill", SAMPLES / "teacher.csv", SAMPLES / "student.csv", "0;1;2;0;1;2;0;1", "-T", "4", "--alpha", "0.7"],
    ["js", P, Q, "uniform"],
    ["compare", P, Q],
    ["matrix", SAMPLES / "teacher.csv", "--p-as", "logits"],
    ["explain", P, Q],
    ["libraries", SAMPLES / "teacher.csv", SAMPLES / "student.csv", "--p-as", "logits", "--q-as", "logits"],
    ["measures"],
]
#: The numbers of a table: six decimals, or three and an exponent.
NUMBER = re.compile(r"-?\d+\.\d{6}(?![\d.])|-?\d\.\d{3}e[-+]\d+")


def numbers(text: str) -> list[float]:
    return [float(number) for number in NUMBER.findall(text)]


def table_id(args) -> str:
    return " ".join(str(arg).rpartition("/")[2] for arg in args[:2])


def invoke(args, charset="utf-8", env=None):
    from click.testing import CliRunner

    from divcli.cli import cli

    return CliRunner(charset=charset).invoke(cli, [str(arg) for arg in args], env=env, catch_exceptions=False)


@pytest.mark.parametrize("charset", ["cp1252", "ascii"])
@pytest.mark.parametrize("args", TABLES, ids=table_id)
def test_every_table_in_an_encoding_without_unicode(args, charset):
    """The real program with PYTHONIOENCODING (Click's test runner's streams would do the same, but
    the point is the interpreter's own)."""
    unicode = invoke(args)
    result = divcli(*args, env={"PYTHONIOENCODING": charset})
    assert result.returncode == 0 and result.stderr == b"", result.stderr
    text = result.stdout.decode(charset)  # strict: nothing the encoding cannot hold
    assert "\\u" not in text and "\\x" not in text  # every symbol has its form, none is escaped
    assert numbers(text) == pytest.approx(numbers(unicode.stdout))
    if charset == "ascii":
        assert "┃" in unicode.stdout or "‖" in unicode.stdout or "Σ" in unicode.stdout
        assert "|" in text and "-" in text


def test_ascii_forms_of_the_kl_table():
    text = invoke(["kl", P, Q], "ascii").stdout
    assert "KL divergence D(P||Q) = sum p*log(p/q), in nats" in text
    assert re.search(r" row \| +H\(P\) \| +H\(P,Q\) \| +D\(P\|\|Q\) \| check: H\(P,Q\) - H\(P\) - D\(P\|\|Q\)", text)
    assert re.search(r"\| +ok -?\d\.\de-\d\d", text) and "total / N   <- reported" in text
    lines = [line for line in text.splitlines() if line.startswith("-----")]
    assert lines and all(set(line) <= set("-+") for line in lines)  # Rich's ASCII box


@pytest.mark.parametrize("charset", ["cp1252", "ascii"])
def test_messages_warnings_and_help_in_an_encoding_without_unicode(charset):
    error = invoke(["kl", P, Q, "--threads", "0"], charset)
    assert error.exit_code == 2 and "give a whole number >= 1" in error.stderr_bytes.decode(charset)
    warned = invoke(["kl", "0.5,0.5", "1,0", "-q"], charset)
    assert warned.exit_code == 0 and "warning: D(P||Q) is +inf" in warned.stderr_bytes.decode(charset)
    shown = invoke(["kl", "--help"], charset)
    assert shown.exit_code == 0 and "D(P||Q)" in shown.stdout_bytes.decode(charset)


@pytest.mark.parametrize("charset", ["cp1252", "ascii"])
def test_json_stays_valid_and_ascii(tmp_path, charset):
    p = write_rows(tmp_path / "p.csv", [[0.5, 0.5]], header=["café", "日本"])
    for args in (["kl", p, "0.4,0.6"], ["compare", p, "0.4,0.6"], ["explain", p, "0.4,0.6"]):
        unicode = json.loads(invoke([*args, "-f", "json"]).stdout)
        result = invoke([*args, "-f", "json"], charset)
        assert result.exit_code == 0
        assert json.loads(result.stdout_bytes.decode("ascii")) == unicode  # the same document, in ASCII


def test_csv_keeps_names_exactly_or_says_why_not(tmp_path):
    p = write_rows(tmp_path / "p.csv", [[0.5, 0.5]], header=["café", "b"])
    western = invoke(["kl", p, "0.4,0.6", "-f", "csv", "--reduction", "none"], "cp1252")
    assert western.exit_code == 0 and "term:café" in western.stdout_bytes.decode("cp1252")
    plain = invoke(["kl", p, "0.4,0.6", "-f", "csv", "--reduction", "none"], "ascii")
    assert plain.exit_code == 1 and "Traceback" not in plain.stderr
    assert plain.stderr.endswith("Error: standard output's encoding (ascii) cannot write '\\xe9' (LATIN SMALL "
                                 "LETTER E WITH ACUTE); set PYTHONIOENCODING=utf-8, or write a file with -o\n")


def test_a_file_is_written_in_utf8_whatever_the_terminal(tmp_path):
    out = tmp_path / "table.txt"
    assert invoke(["kl", P, Q, "-o", out], "ascii").exit_code == 0
    assert "D(P‖Q)" in out.read_text(encoding="utf-8")


@pytest.mark.parametrize("encoding", ["cp1252", "ascii"])
@pytest.mark.parametrize("args", [["compare", P, Q, "-f", "json"], ["kl", "--help"], ["kl", P, "0.5,0.6"]],
                         ids=lambda args: " ".join(args[::2]))
def test_pythonioencoding_in_a_real_process(args, encoding):
    result = divcli(*args, env={"PYTHONIOENCODING": encoding})
    assert result.returncode in (0, 1) and b"Traceback" not in result.stderr
    result.stdout.decode(encoding), result.stderr.decode(encoding)  # strict
    assert (result.stdout + result.stderr).strip()


# --------------------------------------------------------------------------------------------
# a width too narrow for a table (COLUMNS=1…40): plain lines, every number whole


@pytest.mark.parametrize("columns", ["1", "5", "10", "20", "40"])
@pytest.mark.parametrize("args", TABLES, ids=table_id)
def test_a_narrow_width_keeps_every_number(args, columns):
    wide = invoke(args, env={"COLUMNS": "10000"})
    narrow = invoke(args, env={"COLUMNS": columns})
    assert narrow.exit_code == 0 and numbers(narrow.stdout) == pytest.approx(numbers(wide.stdout))


def test_the_plain_form_of_a_table():
    text = invoke(["kl", P, Q], env={"COLUMNS": "10"}).stdout
    assert "per row, in nats\nrow 1\n  H(P): 1.013313\n  H(P,Q): 1.098612\n  D(P‖Q): 0.085300\n" in text
    assert "\nclass 2\n  p: 0.160000\n" in text and "\ntotal\n  p: 1.000000\n" in text
    assert "\nreduction batchmean\n  nats: 0.085300\n  how: total ÷ N   ◀ reported\n" in text
    assert invoke(["kl", P, Q], env={"COLUMNS": "100"}).stdout.count("┃") > 10  # a table where it fits
