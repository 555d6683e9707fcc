"""The one sink registry: each output format's name → the ``SINKS`` of its module, one line each.

A format's module holds ``SINKS``, a dict from each :class:`Content` of report it writes to the sink
class that writes it (or ``"module:Class"``, imported when first used: :func:`divcli.registries.resolve`).
Every sink is made as ``cls(out, console)`` (``console``, Rich's, only for a class with
``for_people``) and is fed as its kind says:

* ``ROWS`` (kl, ce, entropy), ``MEASURES`` (js, compare), ``LM`` (lm's positions): ``rows(report)``
  for each block as it is computed, then ``finish(summary)``;
* ``PARTS``, ``MEASURE_PARTS`` (``--engine dask -o DIR``, one part file per shard): ``rows(report)``
  for each block of the shard, then ``finish(None)``; ``binary`` sinks get a binary stream;
* the whole-document kinds (``TOP``, ``MATRIX``, ``LIBRARIES``, ``EXPLAIN``, ``DISTILL``, ``DRIFT``, ``MI``,
  ``CATALOGUE``, ``FORMATS``): ``write(...)`` once, with what the command computed.

This module imports neither numpy nor Rich: the CLI reads the ``-f`` choices from it at start-up.
"""

from __future__ import annotations

import enum
from typing import Any, TextIO

from ..registries import Registry, listed, resolve


class Content(enum.Enum):
    """What a sink is given to write."""

    ROWS = "rows"                    # kl, ce, entropy: divergence_records.Report blocks, then a Summary
    MEASURES = "measures"            # js, compare: measure_records.MeasureReport blocks, then a MeasureSummary
    TOP = "top"                      # --top: the ranked rows (top.Ranked)
    MATRIX = "matrix"                # matrix: every pair of rows
    LIBRARIES = "libraries"          # libraries: what torch, SciPy and Keras would say
    EXPLAIN = "explain"              # explain: the working of one row
    DISTILL = "distill"              # distill: the loss, its parts and the usual mistakes
    LM = "lm"                        # lm: blocks of positions (lm.Positions), then an LmSummary
    DRIFT = "drift"                  # drift: every column's bins and measures (drift.DriftReport)
    MI = "mi"                        # mi: the entropies and mutual information of X and Y
    CATALOGUE = "catalogue"          # measures: the catalogue of measures
    FORMATS = "formats"              # formats: the input formats, the output formats and the measures
    PARTS = "parts"                  # --engine dask -o DIR: a shard's Report blocks, one file
    MEASURE_PARTS = "measure-parts"  # the same for js and compare


#: The commands whose output each kind is, as ``divcli formats`` lists them (``--top``'s ranking and
#: Dask's parts are those of the streaming commands).
WRITTEN_BY = {
    Content.ROWS: ("kl", "ce", "entropy"), Content.MEASURES: ("js", "compare"), Content.MATRIX: ("matrix",),
    Content.LIBRARIES: ("libraries",), Content.EXPLAIN: ("explain",), Content.DISTILL: ("distill",),
    Content.LM: ("lm",), Content.DRIFT: ("drift",), Content.MI: ("mi",),
    Content.CATALOGUE: ("measures",), Content.FORMATS: ("formats",),
    Content.TOP: ("kl", "ce", "entropy", "js", "compare"),
    Content.PARTS: ("kl", "ce", "entropy"), Content.MEASURE_PARTS: ("js", "compare"),
}


class Format:
    """An output format: its name, its sinks (the ``SINKS`` dict, or ``"module:SINKS"``, imported when
    first used), whether ``-f`` offers it (``quiet`` is ``-q``; ``parquet`` only writes Dask's parts)
    and whether it is for people (``-f``'s help says so). A plain class: dataclasses would cost
    ``divcli --help`` a few milliseconds."""

    def __init__(self, name: str, sinks: Any, option: bool = True, for_people: bool = False):
        self.name, self.sinks, self.option, self.for_people = name, sinks, option, for_people

    def __repr__(self) -> str:
        return f"Format({self.name!r})"


#: Every output format, in ``-f``'s order. Adding one: a module with ``SINKS`` and a line here (or
#: :func:`register` at run time).
FORMATS = Registry("output format")
FORMATS.register("table", Format("table", "divcli.output.tables:SINKS", for_people=True))
FORMATS.register("csv", Format("csv", "divcli.output.csv:SINKS"))
FORMATS.register("json", Format("json", "divcli.output.json:SINKS"))
FORMATS.register("quiet", Format("quiet", "divcli.output.quiet:SINKS", option=False))
FORMATS.register("parquet", Format("parquet", "divcli.output.parquet:SINKS", option=False))
#: The format of ``-q``, and the default of ``-f``.
QUIET, TABLE = "quiet", "table"


#: How a message names the output of the kinds that are not a command's own name.
_OUTPUT_OF = {Content.ROWS: "kl, ce and entropy", Content.MEASURES: "js and compare", Content.TOP: "--top",
              Content.CATALOGUE: "measures", Content.PARTS: "--engine dask -o DIR",
              Content.MEASURE_PARTS: "--engine dask -o DIR"}


class NoSink(LookupError):
    """The format does not write this kind of report (``-f tsv`` for explain, say)."""

    def __init__(self, name: str, kind: Content):
        super().__init__(f"-f {name} does not write the output of {_OUTPUT_OF.get(kind, kind.value)}")
        self.name, self.kind = name, kind


def register(name: str, sinks, option: bool = True, for_people: bool = False) -> Format:
    """Add or replace the format ``name``: ``sinks`` is the ``SINKS`` dict or ``"module:SINKS"``."""
    return FORMATS.register(name, Format(name, sinks, option, for_people), replace=True)


def unregister(name: str) -> None:
    """Take the format ``name`` out (a test's throwaway format)."""
    FORMATS.unregister(name)


def choices() -> list[str]:
    """The names ``-f`` takes, in the registry's order."""
    return [fmt.name for fmt in FORMATS.entries() if fmt.option]


def option_help() -> str:
    """``-f``'s help, from the registry: ``table for people, csv or json for programs.``"""
    people = [fmt.name for fmt in FORMATS.entries() if fmt.option and fmt.for_people]
    programs = [fmt.name for fmt in FORMATS.entries() if fmt.option and not fmt.for_people]
    parts = [f"{listed(names)} for {who}" for names, who in ((people, "people"), (programs, "programs")) if names]
    return ", ".join(parts) + "."


def sinks_of(name: str) -> dict:
    """The ``SINKS`` of format ``name`` (its module imported on first use)."""
    fmt = FORMATS.get(name)
    fmt.sinks = resolve(fmt.sinks)
    return fmt.sinks


def supports(name: str, kind: Content) -> bool:
    return name in FORMATS and kind in sinks_of(name)


def writers_of(kind: Content) -> list[str]:
    """The formats that write ``kind``, in the registry's order."""
    return [name for name in FORMATS.names() if supports(name, kind)]


def sink_class(kind: Content, name: str) -> type:
    """The class that writes ``kind`` in format ``name``; :class:`NoSink` when there is none."""
    if not supports(name, kind):
        raise NoSink(name, kind)
    return resolve(sinks_of(name)[kind])


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
