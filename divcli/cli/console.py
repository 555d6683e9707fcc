"""The terminal side of a run: warnings on standard error, the progress bar, Rich's console, and the
sink of the chosen format (``-q``, ``-f``) on the output, with the ``--svg`` picture after.
"""

from __future__ import annotations

import contextlib
import os
import sys
from typing import TYPE_CHECKING

import click

from ..errors import cli_words, printable
from .terminal import Output, silence, write_text

if TYPE_CHECKING:  # the request is made by the command, when it runs: not for --help
    from .request import Writing


def warn(message: str) -> None:
    """A warning on stderr, options in the command line's words (errors.option); names from the data
    in it are escaped (errors.printable)."""
    say(f"warning: {printable(cli_words(message))}")


def say(text: str) -> None:
    """A line on standard error (a warning, a note). When standard error cannot take it (closed, full,
    a pipe whose reader left) the run goes on without it: a warning is never worth the result."""
    if sys.stderr is None:
        return
    try:
        click.echo(text, err=True)
    except (OSError, ValueError):
        silence(sys.stderr)


def save_svg(sink, writing: Writing) -> None:
    if writing.svg is not None:
        title = "divcli " + " ".join(sys.argv[1:2])
        write_text(writing.svg, sink.console.export_svg(title=printable(title)))


@contextlib.contextmanager
def progress_bar(command: str, writing: Writing, *blocks):
    """A :class:`_Progress` for a run on a terminal (None with -q or in a pipe), closed on the way out:
    entered after the output, so the bar is gone before the output is written or an error shown."""
    progress = None if writing.quiet or not _stderr_is_terminal() else _Progress(command, *blocks)
    try:
        yield progress
    finally:
        if progress is not None:
            progress.close()


@contextlib.contextmanager
def whole_output(writing: Writing, title: str, kind):
    """For the commands that write their output at once (matrix, libraries, explain, distill): the
    chosen format's sink of ``kind`` on the output (with Rich's console for a table), and the --svg
    picture after."""
    with Output(writing.output) as out:
        writer = make_sink(kind, writing, out)
        yield writer
        if writer.console is not None and writing.svg is not None:
            write_text(writing.svg, writer.console.export_svg(title=title))


#: A run shows a progress bar on stderr once it has taken this long (and only on a terminal).
PROGRESS_AFTER_SECONDS = 1.0


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


class _Progress:
    """A Rich progress bar on stderr for long runs: it appears after :data:`PROGRESS_AFTER_SECONDS`,
    follows the operand that is furthest along (bytes of a file, rows of an array; a pulse for a
    pipe), and leaves nothing behind. Warnings are printed above it."""

    def __init__(self, command: str, *blocks):
        import time

        self.clock = time.monotonic
        self.started = self.clock()
        self.command = command
        self.blocks = [b for b in blocks if b is not None and hasattr(b, "position")]
        self.bar = None

    def _fraction(self) -> float | None:
        fractions = [done / total for done, total in (b.position() for b in self.blocks) if total]
        return max(fractions) if fractions else None

    def __call__(self, rows: int) -> None:
        if self.bar is None:
            if self.clock() - self.started < PROGRESS_AFTER_SECONDS:
                return
            from rich.console import Console
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

            self.bar = Progress(TextColumn(f"divcli {self.command}"), BarColumn(), TextColumn("{task.fields[rows]:,} rows"),
                                TimeElapsedColumn(), TimeRemainingColumn(), transient=True,
                                redirect_stdout=False, redirect_stderr=False,
                                console=Console(file=sys.stderr, force_terminal=True))
            self.task = self.bar.add_task("", total=None, rows=0)
            self.bar.start()
        fraction = self._fraction()
        self.bar.update(self.task, rows=rows, total=None if fraction is None else 1.0,
                        completed=0 if fraction is None else min(fraction, 1.0))

    def warn(self, message: str) -> None:
        if self.bar is None:
            warn(message)
        else:
            self.bar.console.print(f"warning: {printable(message)}", markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def make_sink(kind, writing: Writing, out: Output):
    """The sink of ``kind`` in the chosen format (``-q``, ``-f``) from the registry, on ``out``."""
    from ..output import registry

    try:
        cls = registry.sink_class(kind, registry.QUIET if writing.quiet else writing.fmt)
    except registry.NoSink as error:
        raise click.UsageError(str(error)) from None
    if out.path is None:
        from .screen import fit_stdout_to

        fit_stdout_to("table" if cls.for_people else writing.format)
    return cls(out.stream, _console(out, record=writing.svg is not None) if cls.for_people else None)


def sink_for(writing: Writing, out: Output, content):
    """The sink of a streamed computation for ``content`` (its records: kl, ce and entropy's rows, js
    and compare's measures), or with --top the ranking, written by the chosen format's top sink."""
    if writing.top is not None:
        from ..output.registry import Content
        from ..output.top import TopSink

        return TopSink(writing.top, make_sink(Content.TOP, writing, out))
    return make_sink(content, writing, out)


def _console(out: Output, record: bool = False):
    """Rich's console for the table. Not a terminal: never crop or wrap (COLUMNS decides when set),
    and colour only with FORCE_COLOR (Rich itself honours NO_COLOR and FORCE_COLOR). The table is
    written to a spool, so a terminal is named to Rich rather than found. With --svg the table is
    also recorded, at the terminal's width (or COLUMNS, or 120). Standard output's encoding decides
    whether the table is drawn in ASCII (a file is written in UTF-8), and a width too narrow for a
    table gives its plain lines (:mod:`.screen`)."""
    import shutil

    from .screen import console

    encoding = getattr(sys.stdout, "encoding", None) if out.path is None else None
    if out.is_terminal:
        return console(encoding, file=out.stream, force_terminal=True, width=shutil.get_terminal_size().columns,
                       highlight=False, record=record)
    forced = bool(os.environ.get("FORCE_COLOR")) and not os.environ.get("NO_COLOR") and out.path is None
    width = _columns() or (120 if record else 10_000)
    return console(encoding, file=out.stream, width=width, highlight=False, record=record,
                   force_terminal=forced or None, color_system="auto" if forced else None)


def _columns() -> int | None:
    """COLUMNS when it is a width (a positive whole number); anything else is ignored."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return None
    return columns if columns > 0 else None
