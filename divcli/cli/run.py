"""What every command does between its request (:mod:`.request`) and its output: reading the
operands (streamed, or whole for --columns, matrix, explain and libraries), and the one runner of
the streamed computations, :func:`run_streamed` (kl, ce, entropy, js and compare), local or on Dask.
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING

import click

from ..errors import printable, show_value
from .terminal import Output
from .console import progress_bar, save_svg, say, sink_for, warn

if TYPE_CHECKING:  # the request is made by the command, when it runs: not for --help
    from .request import Engine, Reading, Request


def stdin_for(spec: str):
    """Standard input's bytes when ``spec`` is ``-``, else None: a closed standard input (``<&-``)
    matters only to the operand that reads it, where it is one line, exit 1."""
    if spec != "-":
        return None
    stream = getattr(sys.stdin, "buffer", None)
    if stream is None or not _readable(stream):
        raise click.ClickException("standard input is closed; pipe data in (cat p.csv | divcli …) or give a file")
    return stream


def _readable(stream) -> bool:
    """Whether the descriptor under ``stream`` is open for reading (``0>file`` opens it for writing)."""
    import io

    try:
        descriptor = stream.fileno()
    except (AttributeError, io.UnsupportedOperation):  # not a file (a test's stream): taken as it is
        return True
    except (OSError, ValueError):  # closed
        return False
    try:
        os.fstat(descriptor)
    except OSError:
        return False
    try:
        import fcntl
    except ImportError:  # Windows
        return True
    return fcntl.fcntl(descriptor, fcntl.F_GETFL) & os.O_ACCMODE != os.O_WRONLY


def streamed_operands(request: Request) -> list:
    """Every operand's blocks, each read with its own options (:meth:`.request.Reading.operand`); where
    P and Q choose their columns each in an order of its own, the classes are named after P's alone."""
    from ..readers.blocks import UnnamedBlocks
    from ..readers.uniform import UNIFORM

    reading = request.reading
    operands = [operand_blocks(spec, reading.operand(index)) for index, spec in enumerate(request.specs)]
    return [UnnamedBlocks(blocks) if index and reading.in_order and spec != UNIFORM else blocks
            for index, (spec, blocks) in enumerate(zip(request.specs, operands))]


def _for_literal(spec: str, reading: Reading) -> Reading:
    """A literal is read without the shared --names (its rows are numbers as typed, with no column of
    names; the other operands' names are meant), which a note says; its own --p-names/--q-names holds."""
    from dataclasses import replace

    from ..readers.reading import is_literal

    if reading.names is None or "names" in reading.own or not is_literal(spec):
        return reading
    say(f"note: --names is not read from the literal {printable(show_value(spec))}: a literal has no column of names")
    return replace(reading, names=None)


def operand_blocks(spec: str, reading: Reading):
    """An operand's blocks: streamed, or whole when --columns turns it around (uniform: made later)."""
    from ..readers.blocks import ArrayBlocks
    from ..readers.reading import open_blocks
    from ..readers.uniform import UNIFORM, UniformBlocks

    if spec == UNIFORM:
        return UniformBlocks()
    if reading.counts_samples:
        return counted_blocks(spec, reading)
    reading = _for_literal(spec, reading)
    if reading.columns:  # columns need the whole operand
        return ArrayBlocks(whole_operand(spec, reading))
    blocks = open_blocks(spec, stdin_for(spec), reading.delimiter, reading.column_choice())
    click.get_current_context().call_on_close(blocks.close)  # when the command ends, error or not
    return blocks


def counted_blocks(spec: str, reading: Reading):
    """``--p-as samples``: the operand's one column of categories, counted (one row of counts)."""
    from ..readers.sample_counts import CountedBlocks, count_column

    return CountedBlocks(count_column(spec, stdin_for(spec), reading.delimiter, reading.column_choice(), reading.side))


def whole_operand(spec: str, reading: Reading):
    """An operand read whole, turned around with --columns."""
    from ..readers.reading import read_operand

    reading = _for_literal(spec, reading)
    operand = read_operand(spec, stdin_for(spec), reading.delimiter, columns=reading.column_choice())
    return operand.transposed() if reading.columns else operand


def whole_operands(request: Request) -> list:
    """explain's and libraries' P and Q, read whole (uniform: over the other operand's classes)."""
    from dataclasses import replace

    from ..vocabulary import Kind
    from ..readers.uniform import UNIFORM, uniform_operand

    reading = request.reading
    operands = [None if spec == UNIFORM else whole_operand(spec, reading.operand(index))
                for index, spec in enumerate(request.specs)]
    if reading.in_order and operands[1] is not None:  # classes named after P's (see streamed_operands)
        operands[1] = replace(operands[1], classes=None)
    kinds = [request.options.p_kind, request.options.q_kind]
    known = next((o for o, kind in zip(operands, kinds) if o is not None and kind is not Kind.LABELS), None)
    if None in operands and known is None:
        raise click.UsageError("uniform takes its classes from the other operand, and labels have none: give Q")
    return [uniform_operand(known.shape[1], kind) if operand is None else operand
            for operand, kind in zip(operands, kinds)]


def class_weights(spec: str, reading: Reading):
    """ce's and distill's --weight: a file or standard input whose values are wrong is bad data (exit
    1, with file:line:column); a literal on the command line is a bad option value (exit 2)."""
    from ..computations.runs import weight_vector
    from ..errors import DataError, cli_words
    from ..readers.reading import read_operand

    literal = spec != "-" and not os.path.exists(spec.rpartition(":")[0] if ".npz:" in spec.lower() else spec)
    try:
        return weight_vector(read_operand(spec, stdin_for(spec), reading.delimiter))
    except DataError as error:
        if not literal:
            raise
        raise click.BadParameter(error.message(cli_words), param_hint="'--weight'") from None


def breakdown(request: Request):
    """kl, ce or entropy's computation, with ce's class weights read from --weight."""
    from ..computations.divergence import Breakdown
    from ..vocabulary import Command

    weights = None if request.weight is None else class_weights(request.weight, request.reading)
    return Breakdown(Command(request.command), weights, request.estimator)


def run_streamed(request: Request, computation, content) -> None:
    """The one runner of the streamed computations (kl, ce and entropy's ``Breakdown``, js and
    compare's ``MeasureSet``): read the operands block by block, compute, and write each block's
    records (``content``: what the format's sink is given) as they come, then the summary; every
    data error is a DataError (exit 1). With --engine dask, on the cluster (:func:`_on_dask`)."""
    if request.reading.old_cols:
        from .sides import OLD_COLS_WARNING

        warn(OLD_COLS_WARNING)
    if request.engine.dask:
        _on_dask(request, computation, content)
        return
    from ..engine.loop import run_computation

    if request.intervals is not None:  # each row's values, and its resamples' (cli/intervals.py)
        from ..computations.count_intervals import CountIntervals

        computation = CountIntervals(computation, request.intervals)
    operands = streamed_operands(request)
    workers = threads(request.engine)
    writing = request.writing
    with Output(writing.output) as out, progress_bar(request.command, writing, *operands) as progress:
        sink = sink_for(writing, out, content)
        run_computation(computation, operands, request.options, sink, progress.warn if progress else warn,
                        progress, workers)
        save_svg(sink, writing)


def engine_failure(error) -> click.ClickException:
    """The Dask engine cannot run: one line, exit 2; the --scheduler address in it as printable."""
    from .request import one_line_usage

    return one_line_usage(printable(str(error)))


def _on_dask(request: Request, computation, content) -> None:
    """--engine dask: the per-row results to -o DIR's parts, the rest to standard output."""
    from ..dask_engine.client import run_dask
    from ..errors import EngineError, EngineUsage

    writing, engine = request.writing, request.engine
    try:
        with Output(None) as out:
            run_dask(computation, list(request.specs), request.options, fmt=writing.format,
                     sink=lambda: sink_for(writing, out, content), output=writing.output,
                     scheduler=engine.scheduler, delimiter=request.reading.delimiter, p_cols=engine.p_cols,
                     q_cols=engine.q_cols, warn=warn, own=engine.own,
                     say=(lambda message: say(printable(message))) if engine.verbose else None)
    except EngineUsage as error:  # inside the command: Click adds its usage text, as for every usage error
        if error.option:
            raise click.BadParameter(str(error), param_hint=error.option) from None
        raise click.UsageError(str(error)) from None
    except EngineError as error:
        raise engine_failure(error) from None


def threads(engine: Engine) -> int:
    """--threads, or every CPU this process may use; more than those is capped at their number, with
    a note (a thread beyond them computes nothing sooner, and each holds a block in memory)."""
    from ..engine.threads import available_cpus

    cpus = available_cpus()
    count = engine.threads or cpus
    if count > cpus:
        say(f"note: --threads {count} is more than the {cpus} CPU{'s' if cpus > 1 else ''} this process "
            f"may use; using {cpus}")
        count = cpus
    click.get_current_context().meta["divcli.threads"] = count  # shared with the group: out_of_memory
    return count


def out_of_memory(command, ctx: click.Context, error: BaseException | None = None) -> click.ClickException:
    """Memory ran out (exit 1; ``error`` a MemoryError, or the RuntimeError of a thread that could
    not start): one line with what to try, in the options ``command`` has (not --threads 1 when the
    run had one thread already: :func:`threads` notes it in ``ctx.meta``)."""
    options = set() if command is None else {param.name for param in command.params}
    one = ctx.meta.get("divcli.threads") == 1
    tries = (["--threads 1 (each thread holds blocks of its own)"] if "threads" in options and not one else []) + \
        ["a smaller input"] + (["--engine dask (shards spread over workers)"] if "engine" in options else [])
    cause = "no thread could be started" if isinstance(error, RuntimeError) else "the system refused more"
    return click.ClickException(f"memory ran out ({cause}); try " + ", ".join(tries[:-1])
                                + (" or " if len(tries) > 1 else "") + tries[-1])
