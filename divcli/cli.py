"""The ``divcli`` command line: options → read → compute → render. No arithmetic here.

Exit codes: 0 success (a legitimate +inf included), 1 bad data, 2 bad command line.
numpy and Rich are imported inside the commands, so ``--help`` and usage errors stay fast.
"""

from __future__ import annotations

import contextlib
import math
import os
import re
import sys

import click

from .cli_help import SectionedCommand
from .completion import complete_base, complete_input, complete_measure, complete_operand
from .errors import foreign_digit, printable
from .model import Reduction
from .terminal import Output as _Output
from .terminal import write_text

KINDS = ("probs", "logits", "log-probs", "labels")
REDUCTIONS = tuple(reduction.value for reduction in Reduction)
ENGINES = ("local", "dask")
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "|": "|", "space": " "}
NEGATIVE_LITERAL = re.compile(r"-(?:\d|\.\d|inf)", re.IGNORECASE)


class FormatChoice(click.Choice):
    """``-f``: the formats of the sink registry (divcli.output.registry), read when an option is
    parsed, so a format registered at run time is a choice too."""

    def __init__(self):
        super().__init__(())

    @property
    def choices(self):
        from .output import registry  # here: --help imports no more than it needs

        return tuple(registry.choices())

    @choices.setter
    def choices(self, value) -> None:
        pass


def _operands_last(args: list[str], value_options: set[str]) -> list[str]:
    """Move operands behind ``--`` so a literal such as ``-0.7,0.1`` is an operand, not an option.

    Options keep their values (``-T 2``, ``--base -1``); everything that is not an option is kept in
    its order.
    """
    options: list[str] = []
    operands: list[str] = []
    index = 0
    while index < len(args):
        arg = args[index]
        if arg == "--":
            operands.extend(args[index + 1:])
            break
        if NEGATIVE_LITERAL.match(arg) or arg == "-" or not arg.startswith("-"):
            operands.append(arg)
        else:
            options.append(arg)
            if arg in value_options and index + 1 < len(args):
                index += 1
                options.append(args[index])
        index += 1
    return options + ["--"] + operands if operands else options


class OperandCommand(SectionedCommand):
    """A command whose operands may begin with a minus sign (negative logits need no ``--``)."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        value_options = {
            name
            for param in self.get_params(ctx)
            if isinstance(param, click.Option) and not param.is_flag and not param.count
            for name in param.opts + param.secondary_opts
        }
        return super().parse_args(ctx, _operands_last(args, value_options))


class LogBaseType(click.ParamType):
    """``e``, ``2``, ``10`` or any positive number other than 1; ``nats``, ``bits``, ``bans`` name e, 2, 10."""

    name = "BASE"
    NAMED = {"e": ("e", math.e), "nats": ("e", math.e), "bits": ("2", 2.0), "bans": ("10", 10.0)}

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.lower() in self.NAMED:
            return self.NAMED[text.lower()]
        if foreign_digit(text):
            self.fail(f"{value!r} is not a number: {foreign_digit(text)}", param, ctx)
        try:
            number = float(text)
        except ValueError:
            self.fail(f"{value!r} is not a number; use e, 2, 10 (or nats, bits, bans) or any positive number "
                      "other than 1", param, ctx)
        if not math.isfinite(number) or number <= 0 or number == 1:
            self.fail(f"{value!r} is not a logarithm base; use e, 2, 10 or any positive number other than 1",
                      param, ctx)
        return (text, number)

    def shell_complete(self, ctx, param, incomplete):
        return complete_base(incomplete)


class BoundedFloat(click.ParamType):
    """A finite number in a range, refused when the command line is read (exit 2): ``nan``, ``inf``
    and numbers outside the range never reach the computation. ``hint`` says what to give instead."""

    name = "FLOAT"

    def __init__(self, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                 hint: str = ""):
        self.low, self.high, self.low_open, self.hint = low, high, low_open, hint

    def _range(self) -> str:
        if self.high is None:
            return f"a number {'>' if self.low_open else '≥'} {self.low:g}"
        return f"a number from {self.low:g} to {self.high:g}"

    def convert(self, value, param, ctx):
        text = value.strip() if isinstance(value, str) else value
        if isinstance(text, str) and foreign_digit(text):
            self.fail(f"{value!r} is not a number: {foreign_digit(text)}", param, ctx)
        try:
            number = float(text)
        except (TypeError, ValueError):
            self.fail(f"{value!r} is not a number; {self.hint}", param, ctx)
        if math.isnan(number) or math.isinf(number):
            self.fail(f"{value!r} is not a finite number; {self.hint}", param, ctx)
        below = self.low is not None and (number <= self.low if self.low_open else number < self.low)
        if below or (self.high is not None and number > self.high):
            self.fail(f"{value!r} is not {self._range()}; {self.hint}", param, ctx)
        return number


TEMPERATURE = BoundedFloat(0, low_open=True, hint="give a temperature T > 0 such as 2")
#: kl with T ≠ 1 reports kd_loss = T² × batchmean; above this T² is no float64.
MAX_KD_TEMPERATURE = 1e154


def _engine_options(command):
    """--engine, and what only the Dask engine reads (divcli/dask_engine/, imported only for it)."""
    decorators = [
        click.option("-v", "--verbose", is_flag=True, help="Name the cluster and its dashboard on standard error."),
        click.option("--q-cols", metavar="COLS",
                     help="Q's columns in each shard: names, 0-based indices or patterns ('s_*'), comma-separated."),
        click.option("--p-cols", metavar="COLS", help="P's columns in each shard (as --q-cols)."),
        click.option("--scheduler", metavar="ADDRESS",
                     help="A running scheduler (tcp://host:8786); default: a local cluster."),
        click.option("--engine", type=click.Choice(ENGINES), default="local", metavar="NAME",
                     help="local (default), or dask: a task per shard on a Dask cluster."),
    ]
    for decorator in decorators:
        command = decorator(command)
    return command


def _shared_options(command):
    """Options every command has (applied bottom-up, so listed here in reverse help order)."""
    decorators = [
        click.option("--svg", type=click.Path(readable=False), metavar="FILE",
                     help="Also save the table as an SVG picture (written as -o writes)."),
        click.option("-o", "--output", type=click.Path(readable=False), metavar="PATH",
                     help="Write to PATH instead of standard output (atomically; dask: a folder)."),
        click.option("-f", "--format", "fmt", type=FormatChoice(), default="table", show_default=True,
                     metavar="FORMAT", help="table for people, csv or json for programs."),
        click.option("-q", "--quiet", is_flag=True,
                     help="Print only the reduced value (a line per row for --reduction none)."),
        click.option("--delimiter", type=click.Choice(list(DELIMITERS)), metavar="CHAR",
                     help=", ; | tab or space (default: by extension; sniffed for .txt and -)."),
        click.option("--names", metavar="COL", help="The column of row names (with --columns: of class names)."),
        click.option("--drop", metavar="COLS", help="Columns to leave out (as --select)."),
        click.option("--select", metavar="COLS",
                     help="Columns of numbers to read: names, numbers from 1, ranges 2-5; comma-separated."),
        click.option("--columns", is_flag=True, help="Take each column as a distribution instead of each row."),
        click.option("--tolerance", type=BoundedFloat(0, hint="give a tolerance ≥ 0 such as 1e-6, or pass "
                                                           "--normalize to rescale rows"),
                     default=1e-6, show_default=True, metavar="TOL",
                     help="How far a row of probabilities may sum from 1."),
        click.option("--normalize", is_flag=True,
                     help="Rescale rows to sum to 1 (counts, histograms; as SciPy does silently)."),
        click.option("-T", "--temperature", type=TEMPERATURE, default=1.0, metavar="T",
                     show_default=True, help="Soften every operand: softmax(log p / T)."),
        click.option("--base", type=LogBaseType(), default="e", show_default=True, metavar="B",
                     help="e or nats, 2 or bits, 10 or bans, or any b > 0, b ≠ 1."),
    ]
    for decorator in decorators:
        command = decorator(command)
    return command


def _reduction_option(command: str):
    """--reduction (the command's default and choices: :class:`divcli.model.Reduction`), and --top
    (which ranks what --reduction row reports)."""
    torch = [r for r in Reduction.choices_for(command) if r != "row"]
    reduction = click.option("--reduction", type=click.Choice(REDUCTIONS), default=Reduction.default_for(command).value,
                             show_default=True,
                             metavar="R", help=f"{', '.join(torch[:-1])} or {torch[-1]} (torch), or row.")
    top = click.option("--top", type=int, metavar="N",
                       help="The N rows with the largest per-row value (implies row).")
    return lambda command: reduction(top(command))


def _p_as_option():
    return click.option("--p-as", type=click.Choice(KINDS), default="probs", metavar="KIND",
                        help="P is probs (default), logits, log-probs or labels (class indices).")


def _q_as_option():
    return click.option("--q-as", type=click.Choice(KINDS[:3]), default="probs", metavar="KIND",
                        help="Q is probs (default), logits or log-probs.")


class DivcliGroup(click.Group):
    """The group: the one place where the library's :class:`~divcli.errors.DataError` becomes the
    command line's one-line ``Error: …`` with exit 1, options named as flags (errors.cli_words)."""

    def invoke(self, ctx: click.Context):
        from .errors import DataError, cli_words

        try:
            return super().invoke(ctx)
        except DataError as error:
            raise click.ClickException(error.message(cli_words)) from None


@click.group(cls=DivcliGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="divcli", prog_name="divcli")
def cli():
    """Exact KL divergence, entropy and cross-entropy from the shell, explained.

    P is the reference ("true", target) distribution, Q the model. Each operand is a file
    (.csv .tsv .txt .json .jsonl), - for standard input, or a literal such as "0.2,0.8;0.5,0.5".

    \b
    Examples:
      divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3"
      divcli ce samples/labels.csv samples/logits.csv --p-as labels --q-as logits
      divcli entropy "0.5,0.25,0.25" --base 2 -q

    Exit codes: 0 success, 1 bad data, 2 bad command line.
    """


def _check_reduction(command: str, reduction: str) -> None:
    if reduction == "batchmean" and command != "kl":
        raise click.BadParameter(
            f"batchmean is kl's reduction; {command}'s mean already divides by the number of rows",
            param_hint="'--reduction'",
        )


def _check_top(params: dict) -> None:
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


def _check_output(params: dict, dask: bool = False) -> None:
    """What can be told from the command line alone; a path that cannot be written is found when
    it is opened (divcli/terminal.py: ``Error: PATH: cause``, exit 1)."""
    if params["quiet"] and params["fmt"] != "table" and "fmt" in _given():
        raise click.UsageError(f"-q prints only the value and -f {params['fmt']} a whole document: give one of them")
    svg = params.get("svg")
    if svg is not None:
        if params["quiet"] or params["fmt"] != "table":
            raise click.BadParameter("--svg saves the table; it does not go with -q or -f csv/json",
                                     param_hint="'--svg'")
        output = params["output"] if params["output"] is not None else "-"
        if output == svg or "-" not in (output, svg) and os.path.realpath(output) == os.path.realpath(svg):
            raise click.BadParameter("-o and --svg name the same file; give each its own",
                                     param_hint="'--svg'")


def _one_stdin(*specs: str | None) -> None:
    """At most one operand is standard input, and at least one is not uniform."""
    if sum(spec == "-" for spec in specs) > 1:
        raise click.UsageError("'-' (standard input) can stand for one operand only")
    if all(spec == "uniform" for spec in specs if spec is not None):
        raise click.UsageError("uniform is the uniform distribution over the other operand's classes: "
                               "give at least one operand that is a distribution")


def _p_as_given() -> bool:
    """True when --p-as is on the command line (not its default)."""
    from click.core import ParameterSource

    return click.get_current_context().get_parameter_source("p_as") is not ParameterSource.DEFAULT


def _given() -> frozenset[str]:
    """The parameters given on the command line (not left at their defaults), for the hints."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    return frozenset(name for name in ctx.params if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE)


def _options(params: dict, *, ignore_index=None, label_smoothing: float = 0.0):
    from .core import Options
    from .kinds import Conversion, Kind
    from .report import LogBase

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
            given=_given(),
        ),
        label_smoothing=label_smoothing,
        infer_labels=params.get("engine") == "local" and not _p_as_given(),
        refuse_one_class=True,
    )


def _blocks(spec: str, params: dict):
    """An operand's blocks: streamed, or whole when --columns turns it around (uniform: made later)."""
    from .readers.blocks import ArrayBlocks
    from .readers.registry import open_blocks, read_operand
    from .uniform import UNIFORM, UniformBlocks

    if spec == UNIFORM:
        return UniformBlocks()
    delimiter = DELIMITERS.get(params["delimiter"])
    if params["columns"]:  # columns need the whole operand
        return ArrayBlocks(read_operand(spec, sys.stdin.buffer, delimiter, columns=_column_choice(params)).transposed())
    blocks = open_blocks(spec, sys.stdin.buffer, delimiter, _column_choice(params))
    click.get_current_context().call_on_close(blocks.close)  # when the command ends, error or not
    return blocks


def _column_choice(params: dict):
    """--select, --drop and --names, applied to every operand (not to --weight)."""
    from .columns import ColumnChoice

    return ColumnChoice.parse(params["select"], params["drop"], params["names"])


def _whole_operands(specs: tuple[str, ...], params: dict) -> list:
    """Operands read whole (explain and libraries), turned around with --columns."""
    _one_stdin(*specs)
    params["reduction"] = "batchmean"
    _check_output(params)
    from .readers.registry import read_operand
    from .kinds import Kind
    from .uniform import UNIFORM, uniform_operand

    operands = [None if spec == UNIFORM else read_operand(spec, sys.stdin.buffer, DELIMITERS.get(params["delimiter"]),
                                                          columns=_column_choice(params))
                for spec in specs]
    operands = [operand.transposed() if params["columns"] and operand is not None else operand
                for operand in operands]
    kinds = [Kind(params["p_as"]), Kind(params["q_as"])]
    known = next((o for o, kind in zip(operands, kinds) if o is not None and kind is not Kind.LABELS), None)
    if None in operands and known is None:
        raise click.UsageError("uniform takes its classes from the other operand, and labels have none: give Q")
    return [uniform_operand(known.shape[1], kind) if operand is None else operand
            for operand, kind in zip(operands, kinds)]


def _warn(message: str) -> None:
    """A warning on stderr; names from the data in it are escaped (errors.printable)."""
    click.echo(f"warning: {printable(message)}", err=True)


def _run(command: str, p_spec: str, q_spec: str | None, params: dict, *, ignore_index=None,
         weight_spec: str | None = None, label_smoothing: float = 0.0) -> None:
    """Read the operands, compute the report, write it; every data error is a DataError (exit 1)."""
    _one_stdin(p_spec, q_spec, weight_spec)
    _check_reduction(command, params["reduction"])
    _check_top(params)
    dask = _check_engine(params, p_spec, q_spec)
    _check_output(params, dask)

    from .core import run
    from .report import Command

    weight = None
    if weight_spec is not None:
        weight = _class_weights(weight_spec, params)
    if dask:
        from .breakdown import Breakdown

        options = _options(params, ignore_index=ignore_index, label_smoothing=label_smoothing)
        _run_dask(Breakdown(Command(command), weight), [p_spec] + ([] if q_spec is None else [q_spec]), params,
                  options)
        return
    p_blocks = _blocks(p_spec, params)
    q_blocks = None if q_spec is None else _blocks(q_spec, params)
    options = _options(params, ignore_index=ignore_index, label_smoothing=label_smoothing)
    with _Output(params["output"]) as out, _progress_bar(command, params, p_blocks, q_blocks) as progress:
        sink = _sink(params, out)
        run(Command(command), p_blocks, q_blocks, options, sink, weight,
            warn=progress.warn if progress else _warn, progress=progress)
        _save_svg(sink, params)


def _class_weights(spec: str, params: dict):
    """ce's --weight: a file or standard input whose values are wrong is bad data (exit 1, with
    file:line:column); a literal on the command line is a bad option value (exit 2)."""
    from .core import weight_vector
    from .errors import DataError, cli_words
    from .readers.registry import read_operand

    literal = spec != "-" and not os.path.exists(spec.rpartition(":")[0] if ".npz:" in spec.lower() else spec)
    try:
        return weight_vector(read_operand(spec, sys.stdin.buffer, DELIMITERS.get(params["delimiter"])))
    except DataError as error:
        if not literal:
            raise
        raise click.BadParameter(error.message(cli_words), param_hint="'--weight'") from None


def _run_dask(computation, specs: list[str], params: dict, options, measures: bool = False) -> None:
    """--engine dask: the per-row results to -o DIR's parts, the rest to standard output."""
    from .dask_engine import run_dask

    fmt = "quiet" if params["quiet"] else params["fmt"]
    with _Output(None) as out:
        run_dask(computation, specs, options, fmt=fmt, sink=lambda: _sink(params, out, measures=measures),
                 output=params["output"], scheduler=params["scheduler"],
                 delimiter=DELIMITERS.get(params["delimiter"]), p_cols=params["p_cols"], q_cols=params["q_cols"],
                 warn=_warn, say=(lambda message: click.echo(message, err=True)) if params["verbose"] else None)


def _check_engine(params: dict, *specs: str | None) -> bool:
    """True for --engine dask; the options only it reads are usage errors without it."""
    if params["engine"] == "dask":
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


def _check_base_above_1(params: dict) -> None:
    """The measures' square roots (the JS distance) need divergences ≥ 0, so a base above 1."""
    if params["base"][1] < 1:
        raise click.BadParameter(f"{params['base'][0]!r}: below 1 every divergence is negative and the JS "
                                 "distance (a square root) undefined; use e, 2, 10 or any base above 1",
                                 param_hint="'--base'")


def _run_measures(command: str, specs: list[str], params: dict, **how) -> None:
    """``js`` and ``compare``: read every operand in step, compute the measures, write them."""
    _check_base_above_1(params)
    _one_stdin(*specs)
    _check_reduction(command, params["reduction"])
    _check_top(params)
    dask = _check_engine(params, *specs)
    if dask and len(specs) > 2:
        from .dask_engine import EngineError

        raise EngineError(f"--engine dask computes js of two operands; js of {len(specs)} operands is local only "
                          "(leave --engine local)")
    _check_output(params, dask)
    if dask:
        from .measure_set import MeasureSet

        _run_dask(MeasureSet(command, **how), specs, params, _options(params), measures=True)
        return
    from .core import run_measures

    operands = [_blocks(spec, params) for spec in specs]
    with _Output(params["output"]) as out, _progress_bar(command, params, *operands) as progress:
        sink = _sink(params, out, measures=True)
        run_measures(command, operands, _options(params), sink, warn=progress.warn if progress else _warn,
                     progress=progress, **how)
        _save_svg(sink, params)


def _save_svg(sink, params: dict) -> None:
    if params.get("svg") is not None:
        title = "divcli " + " ".join(sys.argv[1:2])
        write_text(params["svg"], sink.console.export_svg(title=printable(title)))


@contextlib.contextmanager
def _progress_bar(command: str, params: dict, *blocks):
    """A :class:`_Progress` for a run on a terminal (None with -q or in a pipe), closed on the way out:
    entered after the output, so the bar is gone before the output is written or an error shown."""
    progress = None if params["quiet"] or not _stderr_is_terminal() else _Progress(command, *blocks)
    try:
        yield progress
    finally:
        if progress is not None:
            progress.close()


@contextlib.contextmanager
def _whole_output(params: dict, title: str, kind):
    """For the commands that write their output at once (matrix, libraries, explain, distill): the
    chosen format's sink of ``kind`` on the output (with Rich's console for a table), and the --svg
    picture after."""
    with _Output(params["output"]) as out:
        writer = _make_sink(kind, params, out)
        yield writer
        if writer.console is not None and params.get("svg") is not None:
            write_text(params["svg"], writer.console.export_svg(title=title))


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
            _warn(message)
        else:
            self.bar.console.print(f"warning: {printable(message)}", markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def _make_sink(kind, params: dict, out: _Output):
    """The sink of ``kind`` in the chosen format (``-q``, ``-f``) from the registry, on ``out``."""
    from .output import registry

    try:
        cls = registry.sink_class(kind, registry.QUIET if params.get("quiet") else params["fmt"])
    except registry.NoSink as error:
        raise click.UsageError(str(error)) from None
    return cls(out.stream, _console(out, record=params.get("svg") is not None) if cls.for_people else None)


def _sink(params: dict, out: _Output, measures: bool = False):
    """The sink of a streaming command: its rows (kl, ce, entropy) or measures (js, compare), or
    with --top the ranking, written by the chosen format's top sink."""
    from .output.registry import Kind

    if params.get("top") is not None:
        from .top import TopSink

        return TopSink(params["top"], _make_sink(Kind.TOP, params, out))
    return _make_sink(Kind.MEASURES if measures else Kind.ROWS, params, out)


def _console(out: _Output, record: bool = False):
    """Rich's console for the table. Not a terminal: never crop or wrap (COLUMNS decides when set),
    and colour only with FORCE_COLOR (Rich itself honours NO_COLOR and FORCE_COLOR). The table is
    written to a spool, so a terminal is named to Rich rather than found. With --svg the table is
    also recorded, at the terminal's width (or COLUMNS, or 120)."""
    import shutil

    from rich.console import Console

    if out.is_terminal:
        return Console(file=out.stream, force_terminal=True, width=shutil.get_terminal_size().columns,
                       highlight=False, record=record)
    forced = bool(os.environ.get("FORCE_COLOR")) and not os.environ.get("NO_COLOR") and out.path is None
    width = _columns() or (120 if record else 10_000)
    return Console(file=out.stream, width=width, highlight=False, record=record,
                   force_terminal=forced or None, color_system="auto" if forced else None)


def _columns() -> int | None:
    """COLUMNS when it is a width (a positive whole number); anything else is ignored."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        return None
    return columns if columns > 0 else None


@cli.command(cls=OperandCommand, examples=(
    'divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3"',
    'divcli kl samples/target.csv samples/uniform.csv -q',
    'divcli kl "-0.7,0.1,-0.1,0.1" "-0.1,0.2,-0.4,0.3" --p-as logits --q-as logits --reduction none',
))
@click.argument("p", shell_complete=complete_operand)
@click.argument("q", shell_complete=complete_operand)
@_p_as_option()
@_q_as_option()
@_reduction_option("kl")
@_shared_options
@_engine_options
def kl(p, q, **params):
    """KL divergence D(P‖Q) = Σ p·log(p/q), per row, with the breakdown.

    torch: F.kl_div(log Q, P, reduction=...) (note torch's argument order);
    SciPy: scipy.stats.entropy(P, Q, axis=1) without its normalising.
    """
    if params["temperature"] > MAX_KD_TEMPERATURE:
        raise click.BadParameter(f"{params['temperature']:g}: kl reports the distillation loss T² × batchmean, and "
                                 f"T² overflows float64; give a temperature up to {MAX_KD_TEMPERATURE:g}",
                                 param_hint="'-T' / '--temperature'")
    _run("kl", p, q, params)


@cli.command(cls=OperandCommand, examples=(
    'divcli ce samples/labels.csv samples/logits.csv --p-as labels --q-as logits',
    'divcli ce "2;4;1" samples/logits.csv --q-as logits --label-smoothing 0.1 --weight "1,1,2,1,1"',
))
@click.argument("p", shell_complete=complete_operand)
@click.argument("q", shell_complete=complete_operand)
@_p_as_option()
@_q_as_option()
@_reduction_option("ce")
@click.option("--label-smoothing", type=BoundedFloat(0, 1, hint="give ε from 0 (none) to 1, such as 0.1"),
              default=0.0, show_default=True, metavar="ε",
              help="The target becomes (1−ε)·P + ε/C (torch's formula).")
@click.option("--weight", metavar="W", help="Class weights: a literal or a file of C non-negative numbers.")
@click.option("--ignore-index", type=int, default=-100, show_default=True, metavar="K",
              help="Labels: rows with this label are skipped, as torch.")
@_shared_options
@_engine_options
def ce(p, q, label_smoothing, weight, ignore_index, **params):
    """Cross-entropy H(P,Q) = −Σ p·log q, as torch's F.cross_entropy.

    P is labels (class indices) or probabilities; Q usually logits.
    """
    _run("ce", p, q, params, ignore_index=ignore_index, weight_spec=weight, label_smoothing=label_smoothing)


@cli.command(cls=OperandCommand, examples=(
    'divcli entropy "0.5,0.25,0.25" --base 2',
    'divcli entropy samples/hist_a.csv --normalize -q',
    'divcli entropy samples/logits.csv --p-as logits --reduction none -f csv',
))
@click.argument("p", shell_complete=complete_input)
@_p_as_option()
@_reduction_option("entropy")
@_shared_options
@_engine_options
def entropy(p, **params):
    """Entropy H(P) = −Σ p·log p per row, as scipy.stats.entropy(P, axis=1).
    """
    _run("entropy", p, None, params)


@cli.command(cls=OperandCommand, examples=(
    "divcli distill samples/teacher.csv samples/student.csv -T 2",
    "divcli distill samples/teacher.csv samples/student.csv samples/labels.csv -T 4 --alpha 0.7 -q",
))
@click.argument("teacher")
@click.argument("student")
@click.argument("labels", required=False)
@click.option("--alpha", type=BoundedFloat(0, 1, hint="give α from 0 to 1, such as 0.5"), metavar="A",
              help="Weight of the KL term; 1 − A weighs CE with LABELS (default 1).")
@click.option("--teacher-as", type=click.Choice(KINDS[:3]), default="logits", show_default=True, metavar="KIND",
              help="TEACHER is logits, probs or log-probs.")
@click.option("--student-as", type=click.Choice(KINDS[:3]), default="logits", show_default=True, metavar="KIND",
              help="STUDENT is logits, probs or log-probs.")
@click.option("--labels-as", type=click.Choice(("labels", "probs")), default="labels", show_default=True,
              metavar="KIND", help="LABELS are class indices (labels) or probs.")
@click.option("--label-smoothing", type=BoundedFloat(0, 1, hint="give ε from 0 (none) to 1, such as 0.1"),
              default=0.0, show_default=True, metavar="ε", help="ε of the hard term, as ce.")
@click.option("--weight", metavar="W", help="Class weights of the hard term, as ce.")
@click.option("--ignore-index", type=int, default=-100, show_default=True, metavar="K",
              help="Labels skipped by the hard term, as torch.")
@_shared_options
def distill(teacher, student, labels, alpha, teacher_as, student_as, labels_as, label_smoothing, weight,
            ignore_index, **params):
    """Hinton's knowledge-distillation loss, its parts, and the usual mistakes.

    loss = α·T²·D(softmax(t/T) ‖ softmax(s/T)) (batchmean) + (1 − α)·CE(labels, s) (mean, T = 1).
    TEACHER and STUDENT are read once per part: files or literals, not - (LABELS may be -).
    """
    for role, spec in (("TEACHER", teacher), ("STUDENT", student)):
        if spec == "-":
            raise click.UsageError(f"distill reads {role} once per part (three or four passes), so it cannot be "
                                   "- (standard input): give a file or a literal; LABELS may be -")
    if alpha is not None and labels is None:
        raise click.BadParameter("--alpha weighs the soft term against the hard CE with LABELS: give LABELS, "
                                 "or leave --alpha out (α = 1)", param_hint="'--alpha'")
    if params["temperature"] > MAX_KD_TEMPERATURE:
        raise click.BadParameter(f"{params['temperature']:g}: T² overflows float64; give a temperature up to "
                                 f"{MAX_KD_TEMPERATURE:g}", param_hint="'-T' / '--temperature'")
    params.update(reduction="batchmean", p_as="probs")
    _check_output(params)
    from .distill import distill as compute_distill
    from .kinds import Kind
    from .output import registry

    class_weight = None if weight is None else _class_weights(weight, params)
    options = _options(params)
    document = {"command": "distill",
                "formula": "α·T²·D(softmax(t/T) ‖ softmax(s/T)) + (1 − α)·CE(labels, s)",
                "unit": options.base.unit, "base": options.base.text, "temperature": params["temperature"],
                "teacher": {"source": teacher, "kind": teacher_as}, "student": {"source": student, "kind": student_as},
                "labels": None if labels is None else {"source": labels, "kind": labels_as}}
    document.update(compute_distill(
        lambda: _blocks(teacher, params), lambda: _blocks(student, params),
        None if labels is None else (lambda: _blocks(labels, params)),
        temperature=params["temperature"], alpha=alpha, teacher_kind=Kind(teacher_as), student_kind=Kind(student_as),
        labels_kind=Kind(labels_as), base=options.base, conversion=options.conversion, weight=class_weight,
        ignore_index=ignore_index, label_smoothing=label_smoothing, warn=_warn))
    with _whole_output(params, "divcli distill", registry.Kind.DISTILL) as writer:
        writer.write(document)


class AlphaType(click.ParamType):
    """Rényi orders: one number or a comma-separated list, each > 0."""

    name = "α[,α…]"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        orders = []
        for text in str(value).split(","):
            if foreign_digit(text):
                self.fail(f"{text.strip()!r} is not a number: {foreign_digit(text)}", param, ctx)
            try:
                alpha = float(text)
            except ValueError:
                self.fail(f"{text.strip()!r} is not a number", param, ctx)
            if not math.isfinite(alpha) or alpha <= 0:
                self.fail(f"{text.strip()!r}: a Rényi order is a finite number > 0", param, ctx)
            orders.append(alpha)
        return tuple(orders)


def _mixture_weights(text: str | None, count: int) -> list[float] | None:
    """js's weights π: one finite non-negative number (or fraction a/b) per operand, summing to 1.

    The sum is taken exactly (as fractions), so weights such as 1e308,1e308 are refused for what
    they are (they sum to 2e+308, not 1), not with an overflow."""
    if text is None:
        return None
    from fractions import Fraction

    if foreign_digit(text):
        raise click.BadParameter(f"{text!r} is not a list of numbers: {foreign_digit(text)}", param_hint="'--weights'")
    try:
        weights = [Fraction(cell.strip()) for cell in text.split(",")]
    except (ValueError, ZeroDivisionError):
        raise click.BadParameter(f"{text!r} is not a list of numbers such as 0.5,0.25,0.25 (finite ones, "
                                 "or fractions a/b)",
                                 param_hint="'--weights'")
    if len(weights) != count:
        raise click.BadParameter(f"{len(weights)} weights for {count} operands: give one per operand",
                                 param_hint="'--weights'")
    if any(w < 0 for w in weights):
        raise click.BadParameter(f"{text!r}: a weight is negative; weights are proportions ≥ 0 that sum to 1",
                                 param_hint="'--weights'")
    total = sum(weights)
    if abs(total - 1) > Fraction(1, 10**9):
        from decimal import Decimal

        exact = Decimal(total.numerator) / Decimal(total.denominator)  # no float: 1e308 + 1e308 is no float64
        shown = f"{Decimal(f'{exact:.6g}').normalize():g}"
        raise click.BadParameter(f"{text!r} sums to {shown}, not 1; weights are proportions ≥ 0 that "
                                 "sum to 1, such as 0.5,0.5", param_hint="'--weights'")
    return [float(w) for w in weights]


@cli.command(cls=OperandCommand, examples=(
    'divcli js samples/hist_a.csv samples/hist_b.csv --normalize --base 2 -q',
    'divcli js "1,0" "0,1" "0.5,0.5" --weights 0.25,0.25,0.5 -q',
))
@click.argument("operands", nargs=-1, metavar="P Q [R …]", shell_complete=complete_operand)
@click.option("--distance", is_flag=True, help="Report the JS distance √JS (SciPy's jensenshannon) instead.")
@click.option("--weights", metavar="π", help="Mixture weights, one per operand, summing to 1 (default: equal).")
@_p_as_option()
@_q_as_option()
@_reduction_option("js")
@_shared_options
@_engine_options
def js(operands, distance, weights, **params):
    """Jensen–Shannon divergence per row: ½D(P‖M) + ½D(Q‖M), M = ½(P+Q).

    Symmetric, finite, at most log 2; --distance: its square root, SciPy's jensenshannon. With more
    operands or --weights, H(Σ πᵢPᵢ) − Σ πᵢH(Pᵢ); every operand after P is read as --q-as says.
    """
    if len(operands) < 2:
        raise click.UsageError("js needs at least two operands, P and Q")
    from .keys import ROLES

    if len(operands) > len(ROLES):
        raise click.UsageError(f"{len(operands)} operands: js takes at most {len(ROLES)}")
    pi = _mixture_weights(weights, len(operands))
    import numpy as np

    from .measures import named

    measures = [named("js_divergence"), named("js_distance")]
    if pi is None and len(operands) > 2:
        pi = [1 / len(operands)] * len(operands)
    pi = None if pi is None else np.array(pi)
    _run_measures("js", list(operands), params, measures=measures, weights=pi,
                  primary="js_distance" if distance else "js_divergence")


@cli.command(cls=OperandCommand, examples=(
    'divcli compare "0.36,0.48,0.16" "1/3,1/3,1/3"',
    'divcli compare samples/hist_a.csv samples/hist_b.csv --normalize --ordered -f csv',
))
@click.argument("p", shell_complete=complete_operand)
@click.argument("q", shell_complete=complete_operand)
@click.option("--alpha", type=AlphaType(), default="0.5,2", show_default=True, metavar="α[,α…]",
              help="Orders of the Rényi divergences (comma-separated).")
@click.option("--ordered", is_flag=True,
              help="Classes are ordered, one unit apart: add the 1-Wasserstein distance.")
@_p_as_option()
@_q_as_option()
@_reduction_option("compare")
@_shared_options
@_engine_options
def compare(p, q, alpha, ordered, **params):
    """Every common divergence between P and Q at once, each with its formula and convention.

    KL both ways, Jeffreys, Jensen–Shannon, total variation, Hellinger, Bhattacharyya, χ²,
    Rényi, cross-entropy, entropies and perplexities (and 1-Wasserstein with --ordered).
    """
    from .measures import catalogue

    _run_measures("compare", [p, q], params, measures=catalogue(alpha, ordered))


class MeasureType(click.ParamType):
    """A measure's key (``divcli measures`` lists them) or alias: js, kl, tv, … (from the catalogue)."""

    name = "MEASURE"

    def shell_complete(self, ctx, param, incomplete):
        return complete_measure(incomplete)

    def convert(self, value, param, ctx):
        from .measures import ALIASES, keys, known

        if not known(value):
            self.fail(f"{value!r} is not a measure; use one of {', '.join(keys())}, renyi_α for any "
                      f"order α > 0, or {', '.join(ALIASES)}", param, ctx)
        return value


@cli.command(cls=OperandCommand, examples=(
    'divcli matrix samples/teacher.csv --p-as logits',
    'divcli matrix samples/hist_a.csv --normalize --measure hellinger -f csv',
))
@click.argument("file", shell_complete=complete_input)
@click.option("-m", "--measure", type=MeasureType(), default="js", show_default=True,
              help="A key or alias of `divcli measures`: js, kl, tv, hellinger, renyi_2, …")
@_p_as_option()
@_shared_options
def matrix(file, measure, **params):
    """The matrix of a measure between every pair of rows of one operand, as a heatmap.

    Entry (i, j) takes row i as P and row j as Q (the same both ways for symmetric measures).
    """
    params["reduction"] = "none"
    _check_output(params)
    _check_base_above_1(params)
    if params["p_as"] == "labels":
        raise click.BadParameter("matrix compares distributions; labels are one class each", param_hint="'--p-as'")
    import numpy as np

    from .readers.registry import read_operand
    from .kinds import to_distribution
    from .measures import MAX_MATRIX_ROWS, named, pairwise
    from .numerics import log_base

    measure = named(measure)
    operand = read_operand(file, sys.stdin.buffer, DELIMITERS.get(params["delimiter"]), columns=_column_choice(params))
    if params["columns"]:
        operand = operand.transposed()
    if operand.rows > MAX_MATRIX_ROWS:
        from .errors import DataError

        raise DataError(operand.where(), f"{operand.rows} rows make a matrix of {operand.rows ** 2:,} values, "
                                         f"more than matrix computes ({MAX_MATRIX_ROWS} rows)",
                        "take a sample of the rows")
    options = _options(params)
    distribution = to_distribution(operand, options.p_kind, "P", options.conversion)
    for message in operand.warnings:
        _warn(message)
    labels = operand.row_names or [str(row + 1) for row in range(operand.rows)]
    values = pairwise(distribution.p, distribution.log_p, measure, log_base(options.base.value),
                      distribution.exact_rows())
    infinite = int((values == math.inf).sum())
    if infinite:
        i, j = (int(x) for x in np.argwhere(values == math.inf)[0])
        _warn(f"{measure.key} is +inf in {infinite} of {values.size} entries (first: P = row {i + 1}, "
              f"Q = row {j + 1}): a class has probability 0 (or underflows to 0) in Q but not in P")
    from .output.registry import Kind

    with _whole_output(params, "divcli matrix", Kind.MATRIX) as writer:
        writer.write(values, labels, measure, options.base, operand.name, params["p_as"])


@cli.command(cls=SectionedCommand, examples=(
    'divcli measures',
    'divcli measures -f json',
))
@click.option("-f", "--format", "fmt", type=FormatChoice(), default="table", show_default=True,
              metavar="FORMAT", help="table for people, csv or json for programs.")
def measures(fmt):
    """The measures of compare and matrix: key, formula, range, unit and convention.
    """
    from .measures import catalogue

    rows = [{"key": m.key, "name": m.name, "formula": m.formula, "range": m.range,
             "unit": "class steps" if m.unit else "log units (--base)" if m.log_power == 1 else
             "√ log units" if m.log_power else "none", "symmetric": m.symmetric, "convention": m.convention}
            for m in catalogue(ordered=True)]
    from .output.registry import Kind

    with _Output(None) as out:
        _make_sink(Kind.CATALOGUE, {"fmt": fmt}, out).write(rows)


@cli.command(cls=OperandCommand, examples=(
    'divcli libraries "9/25,12/25,4/25" "1/3,1/3,1/3"',
    'divcli libraries samples/hist_a.csv samples/hist_b.csv --normalize',
    'divcli libraries samples/teacher.csv samples/student.csv --p-as logits --q-as logits -f json',
))
@click.argument("p", shell_complete=complete_operand)
@click.argument("q", shell_complete=complete_operand)
@_p_as_option()
@_q_as_option()
@_shared_options
def libraries(p, q, **params):
    """What torch, SciPy and Keras return for D(P‖Q) on these inputs, and why each differs.

    Computed with divcli's own formulas, following each library's documentation (none of them is
    needed): KLDivLoss's mean against batchmean, argument order, a forgotten .log(), cross_entropy's
    log_softmax, SciPy's silent normalising, Keras's clipping to 1e-7.
    """
    operands = _whole_operands((p, q), params)
    from .libraries import compare_libraries
    from .output.registry import Kind

    options = _options(params)
    found, exact = compare_libraries(operands, options)
    unit = options.base.unit
    note = "every library computes in nats"
    if options.base.value != math.e:
        note += f"; their values are shown ÷ ln {options.base.text}"
    if options.conversion.normalize:
        note += "; --normalize rescaled P and Q for divcli, the libraries get the numbers as given"
    converted = [role for role, kind in (("P", params["p_as"]), ("Q", params["q_as"]))
                 if kind != "probs" or params["temperature"] != 1]
    if converted:
        temperature = f" / {params['temperature']:g}" if params["temperature"] != 1 else ""
        note += f"; {' and '.join(converted)} in the calls stand for the probabilities softmax(x{temperature})"
        if params["temperature"] != 1:
            note += " (x: logits, or the logs of the probabilities)"
    with _whole_output(params, "divcli libraries", Kind.LIBRARIES) as writer:
        writer.write(found, exact, unit, note, (operands[0].name, operands[1].name))


@cli.command(cls=OperandCommand, examples=(
    'divcli explain "9/25,12/25,4/25" "1/3,1/3,1/3"',
    'divcli explain samples/labels.csv samples/logits.csv --p-as labels --q-as logits --row 2',
))
@click.argument("p", shell_complete=complete_operand)
@click.argument("q", shell_complete=complete_operand)
@click.option("--row", type=click.IntRange(min=1), default=1, show_default=True, help="The row to explain (1 = first).")
@_p_as_option()
@_q_as_option()
@_shared_options
def explain(p, q, row, **params):
    """Work through H(P), H(P,Q) and D(P‖Q) for one row, with the numbers put in.

    Why H(P,Q) = H(P) + D(P‖Q), why KL's terms can be negative while their sum is not, and the
    checks that hold (Gibbs, Pinsker, the Jensen–Shannon bound). -f json gives every number.
    """
    operands = _whole_operands((p, q), params)
    from .explain import for_row
    from .output.registry import Kind

    work = for_row(operands, _options(params), row)
    if work["kl_divergence"]["value"] == math.inf:
        infinite = [name for name, t in zip(work["classes"], work["kl_divergence"]["terms"]) if t == math.inf]
        _warn(f"D(P‖Q) is +inf: row {row}, class {infinite[0]!r}: q = 0 (or underflows to 0) where p > 0")
    with _whole_output(params, "divcli explain", Kind.EXPLAIN) as writer:
        writer.write(work)


def main() -> None:
    """The console-script entry point."""
    cli.main(prog_name="divcli")
