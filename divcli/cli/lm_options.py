"""``divcli lm``'s report options, checked from the command line alone (exit 2): ``--tokens K``, the
tokens listed for each ``--top`` position, and ``--measures LIST``, the other measures per position."""

from __future__ import annotations

import click

from .request import Writing

#: The tokens the table lists for each --top position when --tokens is not given (-f csv and -f json
#: list them only when asked, so that their records keep their fields).
TABLE_TOKENS = 5


def token_count(tokens: int | None, writing: Writing) -> int:
    """How many tokens to give for each of the worst positions: --tokens K (with --top, not with -q),
    else :data:`TABLE_TOKENS` in the table with --top, else none."""
    if tokens is None:
        return TABLE_TOKENS if writing.top is not None and writing.format == "table" else 0
    if tokens < 0:
        raise click.BadParameter(f"{tokens} is not a number of tokens: give 0 or more", param_hint="'--tokens'")
    if writing.top is None:
        raise click.BadParameter("--tokens lists the tokens of the --top positions: give --top N too",
                                 param_hint="'--tokens'")
    if writing.quiet:
        raise click.BadParameter("-q prints only each position and its KL: --tokens goes with the table, -f csv "
                                 "and -f json", param_hint="'--tokens'")
    return tokens


def chosen_measures(text: str | None, writing: Writing) -> tuple:
    """The measures of --measures (none without it); with -q, which prints only KL, a usage error."""
    if text is None:
        return ()
    from ..computations.lm_measures import NotAMeasure, chosen

    if writing.quiet:
        raise click.BadParameter("-q prints only D(P‖Q): --measures goes with the table, -f csv and -f json",
                                 param_hint="'--measures'")
    try:
        return tuple(chosen(text))
    except NotAMeasure as error:
        raise click.BadParameter(str(error), param_hint="'--measures'") from None
