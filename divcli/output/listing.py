"""``divcli formats``: what the three registries hold, as one document, and its sinks.

The input formats (:mod:`divcli.readers.registry`: extensions, how each is read, who applies
``--select``, whether Dask takes it as shards), the output formats per command (this package's
registry) and the measures (:mod:`divcli.measures.catalogue`): read when the command runs, so a
format or a measure registered at run time is listed as the built-in ones are.
"""

from __future__ import annotations

import csv
import json

from .registry import QUIET, WRITTEN_BY, Content, Sink, choices, supports

#: The kinds whose formats ``divcli formats`` lists per command (``--top`` and Dask's parts aside).
_MAIN_KINDS = [kind for kind in WRITTEN_BY if kind not in (Content.TOP, Content.PARTS, Content.MEASURE_PARTS)]
_PARTS = {Content.ROWS: Content.PARTS, Content.MEASURES: Content.MEASURE_PARTS}


def _inputs() -> list[dict]:
    from ..readers.registry import format_of, formats

    rows = []
    for fmt in formats():
        extensions = [extension for extension in fmt.extensions if format_of(extension) is fmt]
        rows.append({"format": fmt.name, "extensions": extensions, "members": fmt.members,
                     "stream": fmt.streams, "picks_columns": fmt.picks_columns,
                     "dask_shards": [extension for extension in fmt.shard_kinds() if extension in extensions]})
    return rows


def _outputs() -> list[dict]:
    from .registry import FORMATS

    rows = []
    for kind in _MAIN_KINDS:
        parts = _PARTS.get(kind)
        for command in WRITTEN_BY[kind]:
            rows.append({"command": command, "formats": [name for name in choices() if supports(name, kind)],
                         "quiet": supports(QUIET, kind),
                         "dask_parts": [] if parts is None else [name for name in FORMATS.names()
                                                                  if supports(name, parts)]})
    return rows


def _measures() -> list[dict]:
    from ..measures.catalogue import MEASURES, aliases

    return [{"key": measure.key, "aliases": [alias for alias, key in aliases().items() if key == measure.key],
             "name": measure.name} for measure in MEASURES.entries()]


def document() -> dict:
    """Everything ``divcli formats`` lists: ``inputs``, ``outputs`` (per command) and ``measures``."""
    return {"inputs": _inputs(), "outputs": _outputs(), "measures": _measures()}


def _yes(value: bool) -> str:
    return "yes" if value else "no"


def _names(items: list[str]) -> str:
    return ", ".join(items) if items else "—"


def input_cells(row: dict) -> list[str]:
    """One input format as the table shows it: format, extensions, read, --select, --engine dask."""
    shards = row["dask_shards"]
    dask = "no" if not shards else "shards" if shards == row["extensions"] else f"shards ({' '.join(shards)})"
    extensions = " ".join(row["extensions"]) + (f" (FILE{row['extensions'][0]}:KEY)" if row["members"] else "")
    return [row["format"], extensions, "in blocks" if row["stream"] else "whole",
            "while reading" if row["picks_columns"] else "after reading", dask]


def output_cells(row: dict) -> list[str]:
    """One command's outputs: command, -f, -q, --engine dask -o DIR."""
    return [row["command"], _names(row["formats"]), _yes(row["quiet"]), _names(row["dask_parts"])]


def measure_cells(row: dict) -> list[str]:
    return [row["key"], _names(row["aliases"]), row["name"]]


#: Each table: its title, its columns, and how a row of the document becomes its cells.
TABLES = {
    "inputs": ("Input formats, by extension (other files and - are sniffed)",
               ("format", "extensions", "read", "--select", "--engine dask"), input_cells),
    "outputs": ("Output formats of each command",
                ("command", "-f", "-q", "--engine dask -o DIR"), output_cells),
    "measures": ("Measures (compare shows them all; matrix --measure KEY takes one)",
                 ("key", "aliases", "name"), measure_cells),
}


class FormatsTable(Sink):
    """The three tables for people."""

    for_people = True

    def write(self, document: dict) -> None:
        from rich.table import Table

        for index, (section, (title, columns, cells)) in enumerate(TABLES.items()):
            table = Table(title=title, title_justify="left", show_edge=False)
            for column in columns:
                table.add_column(column)
            for row in document[section]:
                table.add_row(*cells(row))
            if index:
                self.console.print()
            self.console.print(table)


class FormatsJson(Sink):
    def write(self, document: dict) -> None:
        self.out.write(json.dumps(document, ensure_ascii=False) + "\n")


class FormatsCsv(Sink):
    """One line per fact, ``section,name,property,value`` (a list's items joined by spaces): the
    three lists in one table a program can filter."""

    def write(self, document: dict) -> None:
        writer = csv.writer(self.out, lineterminator="\n")
        writer.writerow(["section", "name", "property", "value"])
        for section, rows in document.items():
            for row in rows:
                name, *properties = row.items()
                for key, value in properties:
                    text = " ".join(value) if isinstance(value, list) else str(value).lower() \
                        if isinstance(value, bool) else value
                    writer.writerow([section, name[1], key, text])
