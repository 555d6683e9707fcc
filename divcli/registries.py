"""The one shape of divcli's registries: the input formats (:mod:`divcli.readers.registry`), the
measures (:mod:`divcli.measures.catalogue`) and the output formats (:mod:`divcli.output.registry`).

A :class:`Registry` holds named entries in the order they were registered, each with its aliases.
An entry, or a part of one, may be a ``"module:attr"`` string, imported when first used
(:func:`resolve`): ``divcli --help`` lists the formats and the measures without importing numpy,
pyarrow or Rich. Everything generated from a registry (the help, shell completion, ``divcli
formats``, the messages that list formats) reads it when it is shown, so an entry registered at
run time is listed as the built-in ones are.

This module imports nothing but the standard library's ``importlib``, and that only when an entry is
resolved.
"""

from __future__ import annotations

from typing import Any, Iterator


def resolve(entry: Any) -> Any:
    """``entry`` itself, or the attribute a ``"module:attr"`` string names (imported now)."""
    if not isinstance(entry, str):
        return entry
    module, colon, attribute = entry.partition(":")
    if not colon or not module or not attribute:
        raise ValueError(f"{entry!r} is not a 'module:attr' reference")
    import importlib

    found: Any = importlib.import_module(module)
    for name in attribute.split("."):
        found = getattr(found, name)
    return found


def listed(names: list[str], last: str = "or") -> str:
    """``.csv, .tsv or .npy``: names for a message or a help text."""
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} {last} {names[-1]}"


class Registry:
    """Named entries, in the order registered, and aliases for some of them.

    ``what`` names an entry in messages (``"measure"``, ``"input format"``). An entry given as a
    ``"module:attr"`` string is resolved by :meth:`get` the first time it is asked for, and kept.
    """

    def __init__(self, what: str):
        self.what = what
        self._entries: dict[str, Any] = {}
        self._aliases: dict[str, str] = {}

    def register(self, name: str, entry: Any, aliases: tuple[str, ...] = (), *, replace: bool = False) -> Any:
        """Add ``entry`` as ``name`` (last in the order), with its ``aliases``; a name or alias that
        is taken already is a ValueError unless ``replace`` (the entry then keeps its place)."""
        taken = [key for key in (name, *aliases) if key in self._entries or key in self._aliases]
        if taken and not replace:
            raise ValueError(f"{taken[0]!r} is a {self.what} already")
        for key in taken:
            self._aliases.pop(key, None)
        self._entries[name] = entry
        self._aliases.update({alias: name for alias in aliases})
        return entry

    def unregister(self, name: str) -> None:
        """Take ``name`` and its aliases out (nothing happens when it is not there)."""
        self._entries.pop(name, None)
        for alias in [alias for alias, target in self._aliases.items() if target == name]:
            del self._aliases[alias]

    def get(self, name: str) -> Any:
        """The entry ``name`` (or the one an alias names), resolved; KeyError when there is none."""
        name = self._aliases.get(name, name)
        entry = self._entries[name]
        if isinstance(entry, str):
            entry = self._entries[name] = resolve(entry)
        return entry

    def names(self) -> list[str]:
        """The entries' names, in the order registered (aliases left out)."""
        return list(self._entries)

    def aliases(self) -> dict[str, str]:
        """Alias → name, in the order registered."""
        return dict(self._aliases)

    def entries(self) -> list[Any]:
        """Every entry, resolved, in the order registered."""
        return [self.get(name) for name in self._entries]

    def __contains__(self, name: object) -> bool:
        return name in self._entries or name in self._aliases

    def __iter__(self) -> Iterator[str]:
        return iter(list(self._entries))

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Registry({self.what!r}: {', '.join(self._entries)})"
