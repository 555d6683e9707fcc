"""Operands → arrays: files, standard input and literals, with where each value came from.

One module per family of formats, each with its block reader beside it, one table that says which
reads what (:mod:`divcli.readers.registry`, the built-in readers in :mod:`divcli.readers.builtin`), and
the reading through it (:mod:`divcli.readers.reading`):

* :mod:`~divcli.readers.operand`: the :class:`Operand` record every reader returns;
* :mod:`~divcli.readers.numbers`: the number grammar (decimals, ``inf``, fractions; never ``nan``);
* :mod:`~divcli.readers.source`: bytes → text (UTF-8 only, binary refused, pipes bounded);
* :mod:`~divcli.readers.text` (the careful reader) and :mod:`~divcli.readers.fast` (the C parsers):
  CSV, TSV, TXT and sniffed standard input; :mod:`~divcli.readers.textblocks` reads them, and JSON
  Lines, a block of rows at a time;
* :mod:`~divcli.readers.json`: JSON and JSON Lines; :mod:`~divcli.readers.binary`: ``.npy`` and
  ``.npz``; :mod:`~divcli.readers.parquet`: Parquet (pyarrow); :mod:`~divcli.readers.literal`:
  literals on the command line;
* :mod:`~divcli.readers.blocks`: the block protocol and :class:`ArrayBlocks`.

Whatever is wrong raises :class:`~divcli.errors.DataError` naming the file (or ``<stdin>``, or the
literal), the physical line and the column where they are known. The names below are imported on
first use: ``import divcli.readers`` alone costs nothing.
"""

from __future__ import annotations

_EXPORTS = {
    "Operand": "operand", "STDIN": "operand", "STDIN_NAME": "operand",
    "Blocks": "blocks", "ArrayBlocks": "blocks", "bounded_rows": "blocks",
    "Format": "registry", "FORMATS": "registry", "register": "registry", "unregister": "registry",
    "shard_extensions": "registry", "Request": "reading", "ShardSource": "reading", "read_operand": "reading",
    "open_blocks": "reading", "open_shard": "reading", "parse_text": "reading",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str):
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'divcli.readers' has no attribute {name!r}")
    from importlib import import_module

    return getattr(import_module(f".{module}", __name__), name)
