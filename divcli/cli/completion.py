"""Shell completion (Click's protocol, ``_DIVCLI_COMPLETE=bash_source|zsh_source|fish_source divcli``).

What completes: the commands and their aliases (:mod:`.names`); the operands to file names, and to
``-`` (standard input) and ``uniform`` where the operand takes them (:class:`OperandArgument`, whose
help line says the same); ``--measure`` to
the measures' keys and aliases (the catalogue of :mod:`divcli.measures.catalogue`); ``--base`` to its names; options with
choices (``--p-as``, ``--q-as``, ``--reduction``, ``-f``) to their choices (Click's own).

Click's bash script lets a file completion replace every other candidate; :class:`BashComplete`
merges them, so ``divcli kl sa<TAB>`` offers ``samples/`` and ``divcli kl <TAB>`` also ``uniform``.
"""

from __future__ import annotations

import click
from click.shell_completion import BashComplete as _ClickBash, CompletionItem, add_completion_class

#: The operands that are words, not files.
OPERAND_WORDS = {"-": "standard input", "uniform": "the uniform distribution over the other operand's classes"}
BASE_NAMES = {"e": "nats", "2": "bits", "10": "bans", "nats": "base e", "bits": "base 2", "bans": "base 10"}


def operand_items(incomplete: str, stdin: bool = True, uniform: bool = True) -> list[CompletionItem]:
    """An operand's candidates: the words it takes that match, then the shell's own file names."""
    taken = {"-": stdin, "uniform": uniform}
    words = [CompletionItem(word, help=help) for word, help in OPERAND_WORDS.items()
             if taken[word] and word.startswith(incomplete)]
    return words + [CompletionItem(incomplete, type="file")]


def complete_operand(ctx, param, incomplete: str) -> list[CompletionItem]:
    """An operand of two or more: -, uniform or a file."""
    return operand_items(incomplete)


def complete_input(ctx, param, incomplete: str) -> list[CompletionItem]:
    """The one operand of a command (no other operand to be uniform over): - or a file."""
    return operand_items(incomplete, uniform=False)


class OperandArgument(click.Argument):
    """An operand: a file or a literal, and where the command takes them, ``-`` (standard input,
    ``stdin``) and ``uniform`` (the uniform distribution over the other operand's classes). What it
    takes is said once, here: its completion offers those words, and the help's line of operands
    (:mod:`.help`) names them."""

    def __init__(self, *args, stdin: bool = True, uniform: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        self.stdin, self.uniform = stdin, uniform

    def shell_complete(self, ctx, incomplete: str) -> list[CompletionItem]:
        return operand_items(incomplete, self.stdin, self.uniform)


def operand(name: str, *, stdin: bool = True, uniform: bool = True, **kwargs):
    """``@operand("p")``: the argument ``name`` as an :class:`OperandArgument`."""
    return click.argument(name, cls=OperandArgument, stdin=stdin, uniform=uniform, **kwargs)


def complete_measure(incomplete: str) -> list[CompletionItem]:
    from ..measures.catalogue import aliases, keys

    items = [CompletionItem(key) for key in keys()]
    items += [CompletionItem(alias, help=f"= {key}") for alias, key in aliases().items()]
    items += [CompletionItem(f"renyi_{order}", help=f"Rényi divergence of order {order}") for order in ("0.5", "2")]
    return [item for item in items if item.value.startswith(incomplete)]


def complete_base(incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(name, help=help) for name, help in BASE_NAMES.items() if name.startswith(incomplete)]


_CLICK_FILES = "            COMPREPLY=()\n            compopt -o default\n"
_MERGED_FILES = "            COMPREPLY+=($(compgen -f -- \"$value\"))\n            compopt -o filenames 2>/dev/null\n"


class BashComplete(_ClickBash):
    """Click's bash completion, with file names added to the other candidates instead of replacing them
    (``-o filenames``: a folder gets its ``/`` and no space). Should Click's script change, its own is kept."""

    source_template = _ClickBash.source_template.replace(_CLICK_FILES, _MERGED_FILES)


add_completion_class(BashComplete, "bash")
