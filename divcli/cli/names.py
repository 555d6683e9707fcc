"""The commands' other names: aliases (``kld`` runs ``kl``), and what to suggest for a name that is
no command (a typo, a measure's key, another tool's word for one of them).

Click only; nothing here imports numpy (``divcli --help`` and a mistyped command stay quick). The
group (:mod:`divcli.cli`) resolves an alias to its command, lists the aliases in its help and
offers them to shell completion; a name that is neither gets :func:`no_such_command`'s message.
"""

from __future__ import annotations

import difflib
import os
import shlex

import click
from click.shell_completion import CompletionItem

#: alias → command: the spelled-out name, and llama.cpp's and torch's word for KL.
ALIASES = {"cross-entropy": "ce", "kld": "kl"}
#: Words other tools use for a command's quantity, and the command that computes it.
SYNONYMS = {
    "kl-divergence": "kl", "kl-div": "kl", "kldiv": "kl", "relative-entropy": "kl", "kullback-leibler": "kl",
    "crossentropy": "ce", "xent": "ce", "nll": "ce", "jsd": "js", "jensen-shannon": "js",
    "kd": "distill", "distillation": "distill", "perplexity": "lm", "heatmap": "matrix",
}


def command_name(name: str) -> str:
    """The command ``name`` runs: itself, or the command it is an alias of."""
    return ALIASES.get(name, name)


def alias_items(incomplete: str) -> list[CompletionItem]:
    """The aliases that complete ``incomplete``, each with the command it runs."""
    return [CompletionItem(alias, help=f"= {command}") for alias, command in ALIASES.items()
            if alias.startswith(incomplete)]


def aliases_line() -> str:
    """``Aliases: cross-entropy (ce), kld (kl).`` for the group's help."""
    return "Aliases: " + ", ".join(f"{alias} ({command})" for alias, command in ALIASES.items()) + "."


def no_such_command(name: str, commands: list[str], ctx: click.Context) -> click.UsageError:
    """Click's "No such command 'x'." with the suggestion that fits (exit 2)."""
    return click.UsageError(f"No such command {name!r}. {_suggestion(name, commands)}", ctx)


def _suggestion(name: str, commands: list[str]) -> str:
    """What ``name`` most likely meant: a command or alias in other case or with ``_`` for ``-``,
    another tool's word for one, a measure (which compare and matrix report), the commands (else
    the aliases) that read like it, or, for an operand where the command goes, the order."""
    known = [*commands, *ALIASES]
    spelled = name.lower().replace("_", "-")
    if spelled in known:
        return f"Did you mean {spelled!r}?"
    if spelled in SYNONYMS:
        return f"Did you mean {SYNONYMS[spelled]!r}?"
    from ..measures.catalogue import known as is_measure

    if is_measure(name):
        return (f"{name!r} is a measure: 'divcli compare P Q' reports it with the others, 'divcli matrix FILE "
                f"-m {name}' between rows")
    close = (difflib.get_close_matches(spelled, commands, n=3, cutoff=0.6)
             or difflib.get_close_matches(spelled, list(ALIASES), n=3, cutoff=0.6))
    if len(close) == 1:
        return f"Did you mean {close[0]!r}?"
    if close:
        return f"(Did you mean one of: {', '.join(close)}?)"
    if os.path.exists(name) or any(mark in name for mark in "./,;"):  # an operand where the command goes
        shown = shlex.quote(name)
        return f"The command comes first: 'divcli kl {shown} …', 'divcli entropy {shown}' ('divcli --help' lists them)."
    return "'divcli --help' lists the commands."
