"""Help that reads (options under headings, readable metavars, examples last) and shell completion
through Click's protocol for bash, zsh and fish, and once through a real bash."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from divcli.cli import cli

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = [name for name in cli.commands]
DIVCLI = [sys.executable, "-m", "divcli"]


def help_text(command: str) -> str:
    """``divcli COMMAND --help`` as a 100-column terminal shows it (Click's test runner pins 80 columns)."""
    result = subprocess.run([*DIVCLI, command, "--help"], cwd=ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("command", COMMANDS)
def test_help_fits_40_lines_at_100_columns_and_ends_with_examples(command):
    text = help_text(command)
    lines = text.rstrip("\n").splitlines()
    assert len(lines) <= 40, text
    assert max(len(line) for line in lines) <= 100
    examples = text.rpartition("\nExamples:\n")[2].splitlines()
    assert 2 <= len(examples) <= 3 and all(line.startswith("  divcli " + command) for line in examples)


def test_kl_help_groups_options_under_headings():
    text = help_text("kl")
    headings = [line for line in text.splitlines() if line and not line.startswith(" ") and line.endswith(":")]
    assert headings[:3] == ["Inputs:", "Computation:", "Output:"] and headings[3].startswith("Engine")
    assert headings[-1] == "Examples:"
    engine = text.partition("\nEngine")[2].partition("\nExamples:")[0]
    for option in ("--engine", "--scheduler", "--verbose"):
        assert option in engine
    assert "--p-cols" not in text  # the old spelling of --p-select, read but not shown
    inputs = text.partition("\nInputs:")[2].partition("\nComputation:")[0]
    assert "uniform" in inputs and "--p-as, --q-as KIND" in inputs and "--delimiter CHAR" in inputs
    assert "--p-select, --q-drop, …" in inputs


def test_distill_help_says_what_distill_takes():
    """The shared lines are retold where they are not true of distill: TEACHER and STUDENT are read
    once per part (never -), there is no --reduction for -q, and -T leaves the labels alone."""
    inputs = help_text("distill").partition("Inputs:\n")[2].splitlines()
    assert inputs[0].split() == ["TEACHER,", "STUDENT", "a", "file,", "a", "literal", "such", "as",
                                 '"0.2,0.8;0.5,0.5",', "or", "uniform"]
    assert inputs[1].split()[0] == "LABELS" and "- (stdin)" in inputs[1]
    text = " ".join(help_text("distill").split())
    assert "--reduction" not in text and "-q, --quiet Print only the loss." in text
    assert "Soften TEACHER and STUDENT" in text and "Soften every operand" not in text
    assert "Soften every operand" in " ".join(help_text("kl").split())  # the shared option, untouched


def test_readable_metavars():
    text = help_text("kl")
    assert "[,|;|tab|||space]" not in text and "--delimiter CHAR" in text
    delimiter = next(line for line in text.splitlines() if "--delimiter" in line)
    assert all(choice in delimiter for choice in (",", ";", "|", "tab", "space"))
    output = next(line for line in text.splitlines() if "--output" in line)
    assert "-o, --output PATH" in output and "Write to PATH instead of standard output (atomically" in output


def test_delimiter_still_refuses_other_choices(run):
    result = run("kl", "1", "1", "--delimiter", ":")
    assert result.exit_code == 2 and "tab" in result.stderr


# --------------------------------------------------------------------------------------------
# completion: Click's protocol, in a subprocess as the shells call it


def complete(shell: str, words: str, cword: int | str, cwd: Path) -> str:
    env = {**os.environ, "_DIVCLI_COMPLETE": f"{shell}_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword)}
    result = subprocess.run(DIVCLI, cwd=cwd, env={**env, "PYTHONPATH": str(ROOT)}, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return result.stdout


def parse(shell: str, output: str) -> list[tuple[str, str]]:
    """(type, value) pairs from bash's and fish's "type,value" lines or zsh's type/value/help triples."""
    if shell == "zsh":
        lines = output.splitlines()
        return [(lines[i], lines[i + 1]) for i in range(0, len(lines), 3)]
    return [tuple(line.split("\t")[0].split(",", 1)) for line in output.splitlines()]


def ask(shell: str, line: str, tmp_path: Path) -> list[tuple[str, str]]:
    """Complete the last word of ``line`` (empty after a trailing space)."""
    words = line.split(" ")
    cword = words[-1] if shell == "fish" else len(words) - 1
    return parse(shell, complete(shell, line, cword, tmp_path))


SHELLS = ["bash", "zsh", "fish"]


@pytest.mark.parametrize("shell", SHELLS)
def test_operands_complete_files_stdin_and_uniform(shell, tmp_path):
    found = ask(shell, "divcli kl ", tmp_path)
    assert ("plain", "-") in found and ("plain", "uniform") in found and ("file", "") in found
    found = ask(shell, "divcli js a.csv u", tmp_path)
    assert found == [("plain", "uniform"), ("file", "u")]
    assert ("plain", "uniform") not in ask(shell, "divcli entropy ", tmp_path)


@pytest.mark.parametrize("shell", SHELLS)
def test_measure_completes_measure_names(shell, tmp_path):
    assert ask(shell, "divcli matrix p.csv --measure hel", tmp_path) == [("plain", "hellinger")]
    values = {value for _, value in ask(shell, "divcli matrix p.csv -m ", tmp_path)}
    from divcli.measures.catalogue import aliases, keys

    assert set(keys()) | set(aliases()) <= values


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("option, choices", [("--p-as", ["probs", "logits", "log-probs", "labels", "counts",
                                                         "samples"]),
                                             ("--q-as", ["probs", "logits", "log-probs", "counts", "samples"]),
                                             ("--reduction", ["none", "sum", "mean", "batchmean", "row"]),
                                             ("--base", ["e", "2", "10", "nats", "bits", "bans"])])
def test_choices_complete(shell, option, choices, tmp_path):
    assert [value for _, value in ask(shell, f"divcli kl p.csv q.csv {option} ", tmp_path)] == choices


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash here")
def test_completion_in_a_real_bash(tmp_path):
    """The script of `eval "$(_DIVCLI_COMPLETE=bash_source divcli)"`, called as bash calls it: file names
    and the words come together (Click's own script would drop the words when a file is asked for)."""
    (tmp_path / "p.csv").write_text("0.5,0.5\n")
    (tmp_path / "pq.json").write_text("[0.5,0.5]\n")
    (tmp_path / "plots").mkdir()
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "divcli").write_text(f"#!/bin/sh\nPYTHONPATH={ROOT} exec {sys.executable} -m divcli \"$@\"\n")
    (bin_dir / "divcli").chmod(0o755)
    script = """
        eval "$(_DIVCLI_COMPLETE=bash_source divcli)"
        show() { COMPREPLY=(); COMP_WORDS=("$@"); COMP_CWORD=$(( $# - 1 )); _divcli_completion divcli;
                 printf '%s\\n' "${COMPREPLY[@]}" | sort | tr '\\n' ' '; echo; }
        show divcli kl ""
        show divcli kl p
        show divcli kl p.csv q.csv --measure x
        show divcli matrix p.csv --measure hel
    """
    result = subprocess.run(["bash", "--norc", "--noprofile", "-c", script], cwd=tmp_path, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}"})
    assert result.returncode == 0, result.stderr
    everything, starting_p, _, measure = result.stdout.splitlines()
    assert everything.split() == sorted(["-", "bin", "p.csv", "plots", "pq.json", "uniform"])
    assert starting_p.split() == ["p.csv", "plots", "pq.json"]
    assert measure.split() == ["hellinger"]


# --------------------------------------------------------------------------------------------
# every example in every --help runs, as the docs' examples do (tests/docs)


def help_examples() -> list[str]:
    """The command lines under ``Examples:`` in ``divcli --help`` and in each command's ``--help``."""
    from click.testing import CliRunner

    lines = []
    for args in [[], *([name] for name in COMMANDS)]:
        text = CliRunner().invoke(cli, [*args, "--help"], catch_exceptions=False).stdout
        section = text.partition("Examples:\n")[2].partition("\n\n")[0]
        lines += [line.strip() for line in section.splitlines() if line.strip().startswith("divcli ")]
    return lines


EXAMPLES = help_examples()


def test_every_command_has_help_examples():
    assert {shlex.split(line)[1] for line in EXAMPLES} >= set(COMMANDS)


@pytest.mark.parametrize("line", EXAMPLES)
def test_every_help_example_runs(run, line, monkeypatch):
    """Run from the project's root, where the examples' samples/ are."""
    monkeypatch.chdir(ROOT)
    args = shlex.split(line)
    assert args[0] == "divcli"
    result = run(*args[1:])
    assert result.exit_code == 0, f"{line}\n{result.stderr}"
    assert result.stdout.strip() and "Error" not in result.stderr
