"""The tokens behind each worst position's D(P‖Q) (``divcli lm --top N``) in every format: the table
lists them under the worst positions; a JSON ``worst`` record holds them as ``tokens``, a list of
``{token, p, q, term}``; a CSV line of the ranked positions ends with them, four cells a token
(``token_1``, ``token_1_p``, ``token_1_q``, ``token_1_term``, then ``token_2``…), as many as the
position with the most, empty cells after a position's last one. Of top-k inputs the tokens are
strings and one cell is the tail (its token None: ``(tail)`` in the table, null in JSON, an empty
token cell in CSV)."""

from __future__ import annotations

import json

from ..errors import printable
from .csv import cell
from .texts import fmt
from .wide import share

#: The fields of each token, after its id, in CSV's header (``token_1_p`` …) and JSON's records.
FIELDS = ("p", "q", "term")
#: The table's name of the tail cell of top-k inputs (JSON: a token of null; CSV: an empty token cell).
TAIL_TEXT = "(tail)"


def json_worst(worst: list[dict], tokens) -> list[dict]:
    """The worst positions' JSON records, each with its ``tokens`` when they were asked for."""
    if tokens is None:
        return worst
    return [{**record, "tokens": found.records()} for record, found in zip(worst, tokens)]


def csv_header(tokens) -> list[str]:
    """The CSV header's cells for the tokens (none without them)."""
    width = max((found.token.size for found in tokens), default=0) if tokens else 0
    return [name for index in range(1, width + 1)
            for name in [f"token_{index}"] + [f"token_{index}_{field}" for field in FIELDS]]


def csv_cells(found, width: int) -> list[str]:
    """One position's tokens as CSV cells, ``width`` of them (the empty ones last)."""
    cells = [cell(value) for record in found.records() for value in record.values()]
    return cells + [""] * (width - len(cells))


def token_text(token) -> str:
    """A token as the tables show it: an id as it is, a token's text (top-k inputs) quoted, so that its
    spaces show and no text can be taken for the tail cell of top-k inputs (None), shown ``(tail)``."""
    if token is None:
        return TAIL_TEXT
    return str(token) if isinstance(token, int) else printable(json.dumps(token, ensure_ascii=False))


def tokens_table(worst: list[dict], tokens):
    """The table of each worst position's tokens of largest |term|, its rank and position on its
    first line, and each term's share of the position's D(P‖Q)."""
    from rich.table import Table
    from rich.text import Text

    title = "their tokens of largest |p·ln(p/q)|"
    table = Table(title=title, title_justify="left", show_edge=False, min_width=len(title))
    for name in ("rank", "position", "token", "p", "q", "p·ln(p/q)", "share"):
        table.add_column(name, justify="right")
    for rank, (record, found) in enumerate(zip(worst, tokens), start=1):
        lines = found.records()
        if not lines:  # every term 0: P and Q equal there
            table.add_row(str(rank), str(record["position"]), "—", "", "", "", "", end_section=True)
        for index, line in enumerate(lines):
            lead = [str(rank), str(record["position"])] if index == 0 else ["", ""]
            cells = lead + [token_text(line["token"]), fmt(line["p"]), fmt(line["q"]), fmt(line["term"]),
                            share(line["term"], record["kl_divergence"])]
            table.add_row(*map(Text, cells), end_section=index == len(lines) - 1)
    return table
