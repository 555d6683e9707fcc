"""What every command does between its options and its output: the checks that the command line
alone can decide (exit 2), reading the operands, and the runners of the streaming commands (kl, ce,
entropy with :func:`run_rows`; js and compare with :func:`run_measure_set`), local or on Dask.
"""

from __future__ import annotations

import os
import sys

import click

from ..errors import printable
from ..vocabulary import Reduction
from .terminal import Output
from .console import progress_bar, save_svg, say, sink_for, warn
from .options import DELIMITERS


def check_reduction(command: str, reduction: str) -> None:
    if reduction == "batchmean" and command != "kl":
        raise click.BadParameter(
            f"batchmean is kl's reduction; {command}'s mean already divides by the number of rows",
            param_hint="'--reduction'",
        )


def check_top(params: dict) -> None:
    """--top ranks the per-row values: it means --reduction row, and goes with no other reduction."""
    if params.get("top") is None:
        return
    if params["top"] < 1:
        raise click.BadParameter(f"{params['top']} is not a number of rows: give 1 or more", param_hint="'--top'")
    source = click.get_current_context().get_parameter_source("reduction")
    if source is click.core.ParameterSource.COMMANDLINE and params["reduction"] != "row":
        raise click.BadParameter(f"--top ranks the per-row values: give it alone or with --reduction row, "
                                 f"not --reduction {params['reduction']}", param_hint="'--top'")
    if params.get("engine") == "dask":
        raise click.UsageError("--top is local only: leave --engine local")
    params["reduction"] = "row"


def check_output(params: dict, dask: bool = False) -> None:
    """What can be told from the command line alone, before anything is read: -o or --svg naming an
    input, -o FILE.parquet without Dask (one line, exit 2). A path that cannot be written is found
    when it is opened (divcli/cli/terminal.py: ``Error: PATH: cause``, exit 1)."""
    if params["quiet"] and params["fmt"] != "table" and "fmt" in given():
        raise click.UsageError(f"-q prints only the value and -f {params['fmt']} a whole document: give one of them")
    svg = params.get("svg")
    if svg is not None:
        if params["quiet"] or params["fmt"] != "table":
            raise click.BadParameter("--svg saves the table; it does not go with -q or -f csv/json",
                                     param_hint="'--svg'")
        from .targets import same_target

        if same_target(params["output"], svg):
            raise click.BadParameter("-o and --svg name the same file; give each its own",
                                     param_hint="'--svg'")
    if dask:
        return
    if params["output"] is not None and os.path.splitext(params["output"])[1].lower() in (".parquet", ".pq"):
        raise one_line_usage(f"-o {printable(params['output'])}: divcli writes Parquet only as the part files of "
                             "--engine dask -o DIR; here write -f csv or -f json (to a .csv or .json file)")
    from .targets import input_written

    inputs = command_inputs()
    for option, path in (("-o", params["output"]), ("--svg", svg)):
        spec = None if path in (None, "-") else input_written(path, inputs)
        if spec is not None:
            shown = "standard input" if spec == "-" else f"the input {printable(spec)}"
            raise one_line_usage(f"{option} {printable(path)} is also {shown} (the same file): write the output to "
                                 "another file, or the input would be lost")


def one_line_usage(message: str) -> click.ClickException:
    """A command line that cannot be run: one line, ``Error: …``, exit 2 (no usage text)."""
    failure = click.ClickException(message)
    failure.exit_code = 2
    return failure


def command_inputs() -> list[str]:
    """What the command reads: every operand on its command line, and the --weight file."""
    ctx = click.get_current_context()
    specs: list = []
    for param in ctx.command.params:
        if isinstance(param, click.Argument) or param.name == "weight":
            value = ctx.params.get(param.name)
            specs.extend(value if isinstance(value, (tuple, list)) else [value])
    return [spec for spec in specs if isinstance(spec, str)]


def one_stdin(*specs: str | None) -> None:
    """At most one operand is standard input (or one pipe), and at least one is not uniform."""
    if sum(spec == "-" for spec in specs) > 1:
        raise click.UsageError("'-' (standard input) can stand for one operand only")
    from ..readers.source import same_stream

    # '-' and /dev/stdin, one FIFO twice: the second would find nothing, or wait for ever
    twice = same_stream(specs, getattr(sys.stdin, "buffer", None))
    if twice:
        raise click.UsageError(twice)
    if all(spec == "uniform" for spec in specs if spec is not None):
        raise click.UsageError("uniform is the uniform distribution over the other operand's classes: "
                               "give at least one operand that is a distribution")


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


def p_as_given() -> bool:
    """True when --p-as is on the command line (not its default)."""
    from click.core import ParameterSource

    return click.get_current_context().get_parameter_source("p_as") is not ParameterSource.DEFAULT


def given() -> frozenset[str]:
    """The parameters given on the command line (not left at their defaults), for the hints."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    return frozenset(name for name in ctx.params if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE)


def make_options(params: dict, *, ignore_index=None, label_smoothing: float = 0.0):
    from ..vocabulary import Options, Conversion, Kind, LogBase

    return Options(
        p_kind=Kind(params["p_as"]),
        q_kind=Kind(params.get("q_as") or "probs"),
        reduction=Reduction(params["reduction"]),
        base=LogBase(*params["base"]),
        conversion=Conversion(
            tolerance=params["tolerance"],
            normalize=params["normalize"],
            temperature=params["temperature"],
            ignore_index=ignore_index,
            given=given(),
        ),
        label_smoothing=label_smoothing,
        infer_labels=params.get("engine") == "local" and not p_as_given(),
        refuse_one_class=True,
    )


def operand_blocks(spec: str, params: dict):
    """An operand's blocks: streamed, or whole when --columns turns it around (uniform: made later)."""
    from ..readers.blocks import ArrayBlocks
    from ..readers.reading import open_blocks, read_operand
    from ..readers.uniform import UNIFORM, UniformBlocks

    if spec == UNIFORM:
        return UniformBlocks()
    delimiter = DELIMITERS.get(params["delimiter"])
    if params["columns"]:  # columns need the whole operand
        return ArrayBlocks(read_operand(spec, stdin_for(spec), delimiter, columns=column_choice(params)).transposed())
    blocks = open_blocks(spec, stdin_for(spec), delimiter, column_choice(params))
    click.get_current_context().call_on_close(blocks.close)  # when the command ends, error or not
    return blocks


def column_choice(params: dict):
    """--select, --drop and --names, applied to every operand (not to --weight)."""
    from ..readers.columns import ColumnChoice

    return ColumnChoice.parse(params["select"], params["drop"], params["names"])


def whole_operands(specs: tuple[str, ...], params: dict) -> list:
    """Operands read whole (explain and libraries), turned around with --columns."""
    one_stdin(*specs)
    params["reduction"] = "batchmean"
    check_output(params)
    from ..readers.reading import read_operand
    from ..vocabulary import Kind
    from ..readers.uniform import UNIFORM, uniform_operand

    operands = [None if spec == UNIFORM else read_operand(spec, stdin_for(spec), DELIMITERS.get(params["delimiter"]),
                                                          columns=column_choice(params))
                for spec in specs]
    operands = [operand.transposed() if params["columns"] and operand is not None else operand
                for operand in operands]
    kinds = [Kind(params["p_as"]), Kind(params["q_as"])]
    known = next((o for o, kind in zip(operands, kinds) if o is not None and kind is not Kind.LABELS), None)
    if None in operands and known is None:
        raise click.UsageError("uniform takes its classes from the other operand, and labels have none: give Q")
    return [uniform_operand(known.shape[1], kind) if operand is None else operand
            for operand, kind in zip(operands, kinds)]



def run_rows(command: str, p_spec: str, q_spec: str | None, params: dict, *, ignore_index=None,
         weight_spec: str | None = None, label_smoothing: float = 0.0) -> None:
    """Read the operands, compute the report, write it; every data error is a DataError (exit 1)."""
    one_stdin(p_spec, q_spec, weight_spec)
    check_reduction(command, params["reduction"])
    check_top(params)
    dask = check_engine(params, p_spec, q_spec)
    check_output(params, dask)

    from ..computations.runs import run
    from ..vocabulary import Command

    weight = None
    if weight_spec is not None:
        weight = class_weights(weight_spec, params)
    if dask:
        from ..computations.divergence import Breakdown

        options = make_options(params, ignore_index=ignore_index, label_smoothing=label_smoothing)
        run_on_dask(Breakdown(Command(command), weight), [p_spec] + ([] if q_spec is None else [q_spec]), params,
                  options)
        return
    p_blocks = operand_blocks(p_spec, params)
    q_blocks = None if q_spec is None else operand_blocks(q_spec, params)
    options = make_options(params, ignore_index=ignore_index, label_smoothing=label_smoothing)
    workers = threads(params)
    with Output(params["output"]) as out, progress_bar(command, params, p_blocks, q_blocks) as progress:
        sink = sink_for(params, out)
        run(Command(command), p_blocks, q_blocks, options, sink, weight,
            warn=progress.warn if progress else warn, progress=progress, threads=workers)
        save_svg(sink, params)


def class_weights(spec: str, params: dict):
    """ce's --weight: a file or standard input whose values are wrong is bad data (exit 1, with
    file:line:column); a literal on the command line is a bad option value (exit 2)."""
    from ..computations.runs import weight_vector
    from ..errors import DataError, cli_words
    from ..readers.reading import read_operand

    literal = spec != "-" and not os.path.exists(spec.rpartition(":")[0] if ".npz:" in spec.lower() else spec)
    try:
        return weight_vector(read_operand(spec, stdin_for(spec), DELIMITERS.get(params["delimiter"])))
    except DataError as error:
        if not literal:
            raise
        raise click.BadParameter(error.message(cli_words), param_hint="'--weight'") from None


def engine_failure(error) -> click.ClickException:
    """The Dask engine cannot run: one line, exit 2; the --scheduler address in it as printable."""
    return one_line_usage(printable(str(error)))


def run_on_dask(computation, specs: list[str], params: dict, options, measures: bool = False) -> None:
    """--engine dask: the per-row results to -o DIR's parts, the rest to standard output."""
    from ..dask_engine.run import run_dask
    from ..errors import EngineError, EngineUsage

    fmt = "quiet" if params["quiet"] else params["fmt"]
    try:
        with Output(None) as out:
            run_dask(computation, specs, options, fmt=fmt, sink=lambda: sink_for(params, out, measures=measures),
                     output=params["output"], scheduler=params["scheduler"],
                     delimiter=DELIMITERS.get(params["delimiter"]), p_cols=params["p_cols"],
                     q_cols=params["q_cols"], warn=warn,
                     say=(lambda message: say(printable(message))) if params["verbose"] else None)
    except EngineUsage as error:  # inside the command: Click adds its usage text, as for every usage error
        if error.option:
            raise click.BadParameter(str(error), param_hint=error.option) from None
        raise click.UsageError(str(error)) from None
    except EngineError as error:
        raise engine_failure(error) from None


def threads(params: dict) -> int:
    """--threads, or every CPU this process may use; more than those is capped at their number, with
    a note (a thread beyond them computes nothing sooner, and each holds a block in memory)."""
    from ..engine.threads import available_cpus

    cpus = available_cpus()
    count = params["threads"] or cpus
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


def check_engine(params: dict, *specs: str | None) -> bool:
    """True for --engine dask; the options only it reads are usage errors without it."""
    if params["engine"] == "dask":
        if params["threads"]:
            raise click.UsageError("--threads is --engine local's; a Dask cluster has its own workers and threads")
        if params["columns"]:
            raise click.UsageError("--columns needs whole operands; --engine dask reads shards of rows")
        chosen = [f"--{name}" for name in ("select", "drop", "names") if params[name]]
        if chosen:
            raise click.UsageError(f"{', '.join(chosen)}: --engine local only; with --engine dask choose each "
                                   "shard's columns with --p-cols and --q-cols (row names are not read there)")
        if "uniform" in specs:
            raise click.UsageError("the operand uniform is made by --engine local only; give a file of 1/C")
        return True
    for name in ("scheduler", "p_cols", "q_cols"):
        if params[name]:
            raise click.UsageError(f"--{name.replace('_', '-')} is read by --engine dask only")
    return False


def run_measure_set(command: str, specs: list[str], params: dict, **how) -> None:
    """``js`` and ``compare``: read every operand in step, compute the measures, write them."""
    one_stdin(*specs)
    check_reduction(command, params["reduction"])
    check_top(params)
    dask = check_engine(params, *specs)
    if dask and len(specs) > 2:
        raise engine_failure(f"--engine dask computes js of two operands; js of {len(specs)} operands is local "
                             "only (leave --engine local)")
    check_output(params, dask)
    if dask:
        from ..computations.measure_set import MeasureSet

        run_on_dask(MeasureSet(command, **how), specs, params, make_options(params), measures=True)
        return
    from ..computations.runs import run_measures

    operands = [operand_blocks(spec, params) for spec in specs]
    workers = threads(params)
    with Output(params["output"]) as out, progress_bar(command, params, *operands) as progress:
        sink = sink_for(params, out, measures=True)
        run_measures(command, operands, make_options(params), sink, warn=progress.warn if progress else warn,
                     progress=progress, threads=workers, **how)
        save_svg(sink, params)


