"""``divcli lm``'s warnings of +inf on a Dask cluster, capped across shards.

Locally a block of positions says its first three +inf positions, then one count
(``… and 21 more +inf terms in positions 1–24``). A task's shard is a block of its own, so left
alone every shard would say its three and its count: a dataset of many small shards would fill the
screen with what one file of the same positions says in four lines. The tasks therefore keep every
warning (:class:`Gathered`), and the client keeps the first three +inf positions of the whole
input and folds the others, and the shards' counts, into one count over the positions they span
(:func:`capped_infinite`); the other warnings go on as they came, capped as every run's are.
"""

from __future__ import annotations

import re

from ..engine.loop import Warnings

#: The +inf positions a run says before it counts the rest, as a block does locally.
SHOWN = 3
#: A +inf position (full rows: ``… is +inf: position 7, token 3: …``; top-k: ``… is +inf: position 7: …``).
_ONE = re.compile(r"^.* is \+inf: position (\d+)[:,]")
#: A block's count of the rest: full rows' words, or top-k log-probs'.
_MORE = re.compile(r"^… and (\d+) more (\+inf terms in positions |positions of \+inf in )(\d+)–(\d+)$")
#: The words of the count, full rows' and top-k log-probs'.
FULL_ROWS, LISTED = "+inf terms in positions ", "positions of +inf in "


class Gathered(Warnings):
    """A task's warnings, every one kept (none said): the client caps them across shards."""

    def __init__(self):
        super().__init__(lambda message: None)

    def extend(self, messages: list[str]) -> None:
        self.messages.extend(messages)


def capped_infinite(messages: list[str], words: str) -> list[str]:
    """``messages`` (every shard's, in order) with the first :data:`SHOWN` +inf positions kept, and
    the others and the shards' counts folded into one count (``words``: :data:`FULL_ROWS` or
    :data:`LISTED`) over the positions from the first to the last they span, right after the kept
    ones; the other messages as they are."""
    kept: list[str] = []
    more, span = 0, []
    for message in messages:
        one, counted = _ONE.match(message), _MORE.match(message)
        if one and sum(1 for line in kept if _ONE.match(line)) < SHOWN:
            kept.append(message)
            span.append(int(one.group(1)))
        elif one:
            more += 1
            span.append(int(one.group(1)))
        elif counted:
            more += int(counted.group(1))
            span += [int(counted.group(3)), int(counted.group(4))]
        else:
            kept.append(message)
    if not more:
        return kept
    last = max((index for index, line in enumerate(kept) if _ONE.match(line)), default=len(kept) - 1)
    return kept[:last + 1] + [f"… and {more} more {words}{min(span)}–{max(span)}"] + kept[last + 1:]
