"""The one sink registry: each output format's name → the module of its sinks, one line each.

A format's module holds ``SINKS``, a dict from each :class:`Content` of report it writes to the sink
class that writes it (or ``"module:Class"``, imported when first used). Every sink is made as
``cls(out, console)`` (``console``, Rich's, only for a class with ``for_people``) and is fed as its
kind says:

* ``ROWS`` (kl, ce, entropy), ``MEASURES`` (js, compare): ``rows(report)`` for each block as it is
  computed, then ``finish(summary)``;
* ``PARTS``, ``MEASURE_PARTS`` (``--engine dask -o DIR``, one part file per shard): ``rows(report)``
  for each block of the shard, then ``finish(None)``; ``binary`` sinks get a binary stream;
* the whole-document kinds (``TOP``, ``MATRIX``, ``LIBRARIES``, ``EXPLAIN``, ``DISTILL``,
  ``CATALOGUE``): ``write(...)`` once, with what the command computed.

This module imports neither numpy nor Rich: the CLI reads the ``-f`` choices from it at start-up.
"""

from __future__ import annotations

import enum
import importlib
from typing import Any, TextIO


class Content(enum.Enum):
    """What a sink is given to write."""

    ROWS = "rows"                    # kl, ce, entropy: report.Report blocks, then a report.Summary
    MEASURES = "measures"            # js, compare: measures.MeasureReport blocks, then a MeasureSummary
    TOP = "top"                      # --top: the ranked rows (top.Ranked)
    MATRIX = "matrix"                # matrix: every pair of rows
    LIBRARIES = "libraries"          # libraries: what torch, SciPy and Keras would say
    EXPLAIN = "explain"              # explain: the working of one row
    DISTILL = "distill"              # distill: the loss, its parts and the usual mistakes
    CATALOGUE = "catalogue"          # measures: the catalogue of measures
    PARTS = "parts"                  # --engine dask -o DIR: a shard's Report blocks, one file
    MEASURE_PARTS = "measure-parts"  # the same for js and compare


class Format:
    """A format: its name, where its sinks are (a module path, or the ``SINKS`` dict itself), and
    whether ``-f`` offers it (``quiet`` is ``-q``; ``parquet`` only writes Dask's parts). A plain
    class: dataclasses would cost ``divcli --help`` a few milliseconds."""

    def __init__(self, name: str, sinks: Any, option: bool = True):
        self.name, self.sinks, self.option = name, sinks, option


#: Every output format. Adding one: a module with ``SINKS`` and a line here.
FORMATS: dict[str, Format] = {f.name: f for f in (
    Format("table", "divcli.output.tables"),
    Format("csv", "divcli.output.csv"),
    Format("json", "divcli.output.json"),
    Format("quiet", "divcli.output.quiet", option=False),
    Format("parquet", "divcli.output.parquet", option=False),
)}
#: The format of ``-q``, and the default of ``-f``.
QUIET, TABLE = "quiet", "table"


class NoSink(LookupError):
    """The format does not write this kind of report (``-f tsv`` for explain, say)."""

    def __init__(self, name: str, kind: Content):
        super().__init__(f"-f {name} does not write the output of {kind.value}")
        self.name, self.kind = name, kind


def register(name: str, sinks, option: bool = True) -> None:
    """Add or replace the format ``name``: ``sinks`` is a module path (its ``SINKS``) or the dict."""
    FORMATS[name] = Format(name, sinks, option)


def choices() -> list[str]:
    """The names ``-f`` takes, in the registry's order."""
    return [f.name for f in FORMATS.values() if f.option]


def sinks_of(name: str) -> dict:
    """The ``SINKS`` of format ``name`` (its module imported on first use)."""
    sinks = FORMATS[name].sinks
    return importlib.import_module(sinks).SINKS if isinstance(sinks, str) else sinks


def supports(name: str, kind: Content) -> bool:
    return name in FORMATS and kind in sinks_of(name)


def sink_class(kind: Content, name: str) -> type:
    """The class that writes ``kind`` in format ``name``; :class:`NoSink` when there is none."""
    if not supports(name, kind):
        raise NoSink(name, kind)
    found = sinks_of(name)[kind]
    if isinstance(found, str):
        module, _, attribute = found.partition(":")
        found = getattr(importlib.import_module(module), attribute)
    return found


def make(kind: Content, name: str, out: TextIO | None, console=None):
    """A sink of ``kind`` in format ``name`` writing to ``out`` (``console`` for the tables)."""
    return sink_class(kind, name)(out, console)


class TemporaryFileError(OSError):
    """A sink's own temporary file (JSON's kept values) could not be written: ``filename`` is the
    temporary folder, ``why`` what the file is for and how to do without; the command line says it
    in one line (divcli/cli/terminal.py)."""

    def __init__(self, error: OSError, folder: str, why: str):
        super().__init__(error.errno, error.strerror or str(error), folder)
        self.why = why


class Sink:
    """What every sink has: the stream (and console) it writes to; nothing written by default."""

    #: A table for people: made with Rich's console.
    for_people = False
    #: Writes bytes (Parquet parts), not text.
    binary = False
    #: The families of records (:mod:`divcli.fields`: ``rows``, ``measures``) ``rows`` takes; none
    #: for the whole-document sinks.
    takes: frozenset[str] = frozenset()

    def __init__(self, out: TextIO | None, console=None):
        self.out, self.console = out, console

    def rows(self, report) -> None:
        pass

    def finish(self, summary) -> None:
        pass

    def rows_beside_parts(self, total: int, command: str) -> list[tuple[int, int]] | None:
        """``--engine dask -o DIR``: the rows (ranges in the whole input) this sink shows beside the
        part files, as it keeps them when they stream by; ``[]``: none, the summary alone. None: it
        does not say, and the Dask engine refuses it (it will not guess)."""
        return None
