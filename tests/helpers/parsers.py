"""Which parser a reader took: a test of the fast readers (numpy's, pyarrow's) counts their calls."""

from __future__ import annotations


def count_parses(monkeypatch, owner, name: str) -> list[bool]:
    """Replace the parser ``owner.name`` by one that records, call by call, whether it returned a
    table (not None); the list of those records."""
    taken = []
    parse = getattr(owner, name)

    def counting(*args):
        values = parse(*args)
        taken.append(values is not None)
        return values

    monkeypatch.setattr(owner, name, counting)
    return taken
