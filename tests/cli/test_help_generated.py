"""Help generated from what each command has: -q's words by --reduction, the operands' line by what
each operand takes (- and uniform, the same words completion offers), no Q option where there is no
Q, --engine and --threads apart, the group's formats from the registry; the commands' aliases and the
suggestions for a name that is no command."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from pathlib import Path

import pytest

from divcli.cli import cli

ROOT = Path(__file__).resolve().parents[2]
COMMANDS = list(cli.commands)


def help_text(run, *args: str) -> str:
    """``divcli ARGS --help`` as a 100-column terminal shows it (Click's test runner pins 80 columns)."""
    return _help(args)


@functools.lru_cache(maxsize=None)
def _help(args: tuple[str, ...]) -> str:
    result = subprocess.run([sys.executable, "-m", "divcli", *args, "--help"], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, env={**os.environ, "COLUMNS": "100"})
    assert result.returncode == 0, result.stderr
    return result.stdout


def section(text: str, heading: str) -> list[str]:
    """The lines under ``heading`` (a heading's first word), up to the next blank line."""
    start = next(i for i, line in enumerate(text.splitlines()) if line.startswith(heading))
    lines = text.splitlines()[start + 1:]
    return lines[:lines.index("")] if "" in lines else lines


def option_line(text: str, option: str) -> str:
    return next(line for line in text.splitlines() if line.lstrip().startswith(option))


@pytest.mark.parametrize("command", COMMANDS)
def test_quiet_names_the_reductions_only_where_the_command_has_reduction(run, command):
    text = help_text(run, command)
    if "-q, --quiet" not in text:
        return  # measures, formats: no -q
    quiet = option_line(text, "-q, --quiet")
    has_reduction = any(param.name == "reduction" for param in cli.commands[command].params)
    assert ("--reduction" in quiet) == has_reduction, quiet
    assert has_reduction or command in ("distill", "matrix", "explain", "libraries", "drift", "mi")


def test_quiet_of_the_commands_without_reduction_says_what_they_print(run):
    assert "Print only the matrix" in option_line(help_text(run, "matrix"), "-q")
    assert "H(P), H(P,Q) and D(P‖Q)" in option_line(help_text(run, "explain"), "-q")
    assert "each library's expression" in option_line(help_text(run, "libraries"), "-q")


@pytest.mark.parametrize("command", ["entropy", "matrix"])
def test_a_command_of_one_operand_lists_no_q_option(run, command):
    text = help_text(run, command)
    assert "--q-" not in text and "Q's" not in text
    line = section(text, "Inputs")[0]
    assert line.split()[0] in ("P", "FILE") and "- (stdin)" in line and "uniform" not in line


def test_entropy_has_no_option_of_q(run):
    assert "--q-" not in help_text(run, "entropy")
    assert not [param.name for param in cli.commands["entropy"].params if param.name.startswith("q_")]


@pytest.mark.parametrize("command", ["kl", "ce", "entropy", "js", "compare", "lm"])
def test_engine_and_threads_on_lines_of_their_own(run, command):
    text = help_text(run, command)
    engine = section(text, "Engine")
    firsts = [line.split()[0] for line in engine if line.startswith("  -")]
    assert firsts[:2] == ["--engine", "--threads"]
    assert "--threads" not in option_line(text, "--engine")
    heading = next(line for line in text.splitlines() if line.startswith("Engine"))
    assert "--scheduler" in heading and "-v are read by --engine dask only" in heading
    assert "--p-cols" not in text  # the old spelling of --p-select, hidden


def test_ce_says_a_column_of_class_indices_is_read_as_labels(run):
    assert "a column of class indices is read as labels" in help_text(run, "ce")


@pytest.mark.parametrize("command, takes", [
    ("kl", {"P, Q": ("- (stdin)", "uniform")}),
    ("js", {"P Q [R …]": ("- (stdin)", "uniform")}),
    ("explain", {"P, Q": ("- (stdin)", "uniform")}),
    ("entropy", {"P": ("- (stdin)",)}),
    ("matrix", {"FILE": ("- (stdin)",)}),
    ("distill", {"TEACHER, STUDENT": ("uniform",), "LABELS": ("- (stdin)", "uniform")}),
])
def test_the_operands_line_names_what_each_operand_takes(run, command, takes):
    lines = [line for line in section(help_text(run, command), "Inputs") if not line.lstrip().startswith("-")]
    found = {}
    for line in lines:
        names, _, words = line.strip().partition("  ")
        found[names] = words
    assert set(found) == set(takes)
    for names, words in takes.items():
        for word in ("- (stdin)", "uniform"):
            assert (word in found[names]) == (word in words), (names, found[names])
        assert "a file" in found[names] and 'a literal such as "0.2,0.8;0.5,0.5"' in found[names]


def test_every_help_fits_40_lines_without_the_help_option_line(run):
    for command in COMMANDS:
        text = help_text(run, command)
        assert len(text.rstrip("\n").splitlines()) <= 40, command
        assert "Show this message and exit" not in text  # the group's help names -h
    assert "-h, --help" in help_text(run)


# --------------------------------------------------------------------------------------------
# the group's help


def test_the_group_lists_every_input_format_of_the_registry(run):
    from divcli.readers.registry import extensions

    text = " ".join(help_text(run).split())
    for extension in extensions():
        assert f" {extension}" in text or f"({extension}" in text, extension
    for extension in (".npy", ".npz", ".parquet", ".ndjson", ".jsonl"):
        assert extension in text


def test_the_group_lists_a_format_registered_at_run_time(run):
    """Generated from the registry when shown, not typed into the help."""
    from divcli.readers import registry

    registry.register(registry.Format("throwaway", (".thrw",), parse=lambda text, name, request: None))
    try:
        assert ".thrw" in run("--help").stdout
    finally:
        registry.unregister("throwaway")
    assert ".thrw" not in run("--help").stdout


def test_the_group_says_how_to_turn_on_completion_and_names_the_aliases(run):
    text = " ".join(help_text(run).split())
    assert 'eval "$(_DIVCLI_COMPLETE=bash_source divcli)"' in text and "zsh_source" in text
    assert "fish_source" in text
    assert "Aliases: cross-entropy (ce), kld (kl)." in text


# --------------------------------------------------------------------------------------------
# aliases


@pytest.mark.parametrize("alias, command, args", [
    ("kld", "kl", ("0.36,0.48,0.16", "1/3,1/3,1/3", "-q")),
    ("cross-entropy", "ce", ("2", "0.2,0.3,0.5", "-q")),
])
def test_an_alias_runs_its_command(run, alias, command, args):
    by_alias, by_name = run(alias, *args), run(command, *args)
    assert by_alias.exit_code == 0 == by_name.exit_code, by_alias.stderr
    assert float(by_alias.stdout) == float(by_name.stdout)
    assert help_text(run, alias).replace(f"divcli {alias} ", f"divcli {command} ", 1) == help_text(run, command)


def complete(words: str, cword: int) -> list[str]:
    env = {**os.environ, "_DIVCLI_COMPLETE": "bash_complete", "COMP_WORDS": words, "COMP_CWORD": str(cword),
           "PYTHONPATH": str(ROOT)}
    result = subprocess.run([sys.executable, "-m", "divcli"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    return [line.split(",", 1)[1] for line in result.stdout.splitlines()]


def test_completion_knows_the_aliases():
    assert complete("divcli k", 1) == ["kl", "kld"]
    assert "cross-entropy" in complete("divcli c", 1)
    assert "--normalize" in complete("divcli kld --no", 2)


@pytest.mark.parametrize("words, cword, offered, left_out", [
    ("divcli distill ", 2, ["uniform", ""], ["-"]),
    ("divcli distill t.csv s.csv ", 4, ["-", "uniform", ""], []),
    ("divcli lm ", 2, ["-", ""], ["uniform"]),
    ("divcli entropy --q", 2, ["--quiet"], ["--q-cols"]),
])
def test_completion_offers_what_the_help_says(words, cword, offered, left_out):
    found = complete(words, cword)
    assert all(word in found for word in offered) and not any(word in found for word in left_out), found


# --------------------------------------------------------------------------------------------
# a name that is no command


@pytest.mark.parametrize("name, suggestion", [
    ("kll", "Did you mean 'kl'?"),
    ("comapre", "Did you mean 'compare'?"),
    ("KL", "Did you mean 'kl'?"),
    ("cross_entropy", "Did you mean 'cross-entropy'?"),
    ("kl-divergence", "Did you mean 'kl'?"),
    ("xent", "Did you mean 'ce'?"),
    ("hellinger", "'hellinger' is a measure: 'divcli compare P Q' reports it"),
    ("p.csv", "The command comes first: 'divcli kl p.csv …'"),
    ("zzz", "'divcli --help' lists the commands."),
])
def test_a_name_that_is_no_command_gets_a_useful_suggestion(run, name, suggestion):
    result = run(name, "x")
    assert result.exit_code == 2 and result.stdout == ""
    assert f"Error: No such command {name!r}. {suggestion}" in result.stderr, result.stderr


def test_entropy_is_not_suggested_for_cross_entropy(run):
    """Click's own suggestion once offered 'entropy' here: the alias runs instead."""
    assert run("cross-entropy", "1", "0.5,0.5", "-q").exit_code == 0
