"""The ``divcli`` command line: options → read → compute → render. No arithmetic here.

Exit codes: 0 success (a legitimate +inf included), 1 bad data, 2 bad command line.
numpy and Rich are imported inside the commands, so ``--help`` and usage errors stay fast.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import sys
import tempfile

import click

KINDS = ("probs", "logits", "log-probs", "labels")
REDUCTIONS = ("none", "sum", "mean", "batchmean")
FORMATS = ("table", "csv", "json")
DELIMITERS = {",": ",", ";": ";", "tab": "\t", "|": "|", "space": " "}
NEGATIVE_LITERAL = re.compile(r"-(?:\d|\.\d|inf)", re.IGNORECASE)


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


class OperandCommand(click.Command):
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
    """``e``, ``2``, ``10`` or any positive number other than 1."""

    name = "BASE"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        text = value.strip()
        if text.lower() == "e":
            return ("e", math.e)
        try:
            number = float(text)
        except ValueError:
            self.fail(f"{value!r} is not a number; use e, 2, 10 or any positive number other than 1", param, ctx)
        if not math.isfinite(number) or number <= 0 or number == 1:
            self.fail(f"{value!r} is not a logarithm base; use e, 2, 10 or any positive number other than 1",
                      param, ctx)
        return (text, number)


def _shared_options(command):
    """Options every command has (applied bottom-up, so listed here in reverse help order)."""
    decorators = [
        click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True),
                     help="Write to FILE (atomically) instead of standard output."),
        click.option("-f", "--format", "fmt", type=click.Choice(FORMATS), default="table", show_default=True,
                     help="table for people; csv or json for programs."),
        click.option("-q", "--quiet", is_flag=True,
                     help="Print only the reduced value (one line per row for --reduction none)."),
        click.option("--delimiter", type=click.Choice(list(DELIMITERS)),
                     help="The delimiter of text files and standard input: , ; tab | space "
                          "(default: by extension, sniffed for .txt and -)."),
        click.option("--columns", is_flag=True, help="Take each column as a distribution instead of each row."),
        click.option("--tolerance", type=click.FloatRange(min=0), default=1e-6, show_default=True,
                     help="How far a row of probabilities may sum from 1."),
        click.option("--normalize", is_flag=True,
                     help="Rescale rows to sum to 1 (counts, histograms; what SciPy does silently)."),
        click.option("-T", "--temperature", type=click.FloatRange(min=0, min_open=True), default=1.0,
                     show_default=True, help="Divide every logits operand by T before the softmax."),
        click.option("--base", type=LogBaseType(), default="e", show_default=True,
                     help="Logarithm base: e (nats), 2 (bits), 10 (bans) or any b > 0, b ≠ 1."),
    ]
    for decorator in decorators:
        command = decorator(command)
    return command


def _reduction_option(default: str, allowed: tuple[str, ...]):
    return click.option("--reduction", type=click.Choice(REDUCTIONS), default=default, show_default=True,
                        help=f"none | {' | '.join(r for r in allowed if r != 'none')} (torch's meanings).")


def _p_as_option():
    return click.option("--p-as", type=click.Choice(KINDS), default="probs", show_default=True,
                        help="How to read P: probs, logits, log-probs or labels (class indices).")


def _q_as_option():
    return click.option("--q-as", type=click.Choice(KINDS[:3]), default="probs", show_default=True,
                        help="How to read Q: probs, logits or log-probs.")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
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


def _run(command: str, p_spec: str, q_spec: str | None, params: dict, *, ignore_index=None,
         weight_spec: str | None = None, label_smoothing: float = 0.0) -> None:
    """Read the operands, compute the report, write it; every data error is a DataError (exit 1)."""
    if q_spec is not None and p_spec == "-" and q_spec == "-":
        raise click.UsageError("'-' (standard input) can stand for one operand only")
    if weight_spec == "-" and "-" in (p_spec, q_spec):
        raise click.UsageError("'-' (standard input) can stand for one operand only")
    _check_reduction(command, params["reduction"])
    if params["output"]:
        folder = os.path.dirname(os.path.abspath(params["output"]))
        if not os.path.isdir(folder):
            raise click.BadParameter(f"no such folder: {folder}", param_hint="'-o'")

    from .blocks import ArrayBlocks, open_blocks
    from .core import Options, run, weight_vector
    from .inputs import read_operand
    from .kinds import Conversion, Kind
    from .numerics import Reduction
    from .report import Command, LogBase

    stdin = sys.stdin.buffer
    delimiter = DELIMITERS.get(params["delimiter"])
    weight = weight_vector(read_operand(weight_spec, stdin, delimiter)) if weight_spec is not None else None

    def blocks(spec):
        if spec is None:
            return None
        if params["columns"]:  # columns need the whole operand
            return ArrayBlocks(read_operand(spec, stdin, delimiter).transposed())
        return open_blocks(spec, stdin, delimiter)

    p_blocks = blocks(p_spec)
    q_blocks = blocks(q_spec)
    options = Options(
        p_kind=Kind(params["p_as"]),
        q_kind=Kind(params.get("q_as") or "probs"),
        reduction=Reduction(params["reduction"]),
        base=LogBase(*params["base"]),
        conversion=Conversion(
            tolerance=params["tolerance"],
            normalize=params["normalize"],
            temperature=params["temperature"],
            ignore_index=ignore_index,
        ),
        label_smoothing=label_smoothing,
    )
    fmt = "quiet" if params["quiet"] else params["fmt"]
    progress = None if params["quiet"] or not _stderr_is_terminal() else _Progress(command, p_blocks, q_blocks)
    with _Output(params["output"]) as out:
        try:
            run(Command(command), p_blocks, q_blocks, options, _sink(fmt, out), weight,
                warn=progress.warn if progress else lambda message: click.echo(f"warning: {message}", err=True),
                progress=progress)
        finally:  # the bar is gone before the output is written or an error is shown
            if progress is not None:
                progress.close()


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
            click.echo(f"warning: {message}", err=True)
        else:
            self.bar.console.print(f"warning: {message}", markup=False, highlight=False, soft_wrap=True)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


class _Output:
    """Where the output goes, all or nothing: standard output through a spool file (so a failing run
    prints nothing), or ``-o FILE`` through a temporary file renamed into place."""

    def __init__(self, path: str | None):
        self.path = path
        self.is_terminal = path is None and sys.stdout.isatty()

    def __enter__(self):
        if self.path is None:
            self.stream = tempfile.SpooledTemporaryFile(max_size=1 << 24, mode="w+", encoding="utf-8", newline="")
        else:
            self.stream = tempfile.NamedTemporaryFile("w", encoding="utf-8", newline="", prefix=".divcli-",
                                                      suffix=".tmp", delete=False,
                                                      dir=os.path.dirname(os.path.abspath(self.path)))
        return self

    def __exit__(self, kind, error, traceback):
        if self.path is not None:
            self.stream.close()
            if kind is None:
                os.replace(self.stream.name, self.path)
            else:
                os.unlink(self.stream.name)
            return False
        if kind is None:
            self.stream.seek(0)
            shutil.copyfileobj(self.stream, sys.stdout, 1 << 16)
            sys.stdout.flush()
        self.stream.close()
        return False


def _sink(fmt: str, out: _Output):
    from .render import SINKS, Format, TableSink

    chosen, stream = Format(fmt), out.stream
    if chosen is not Format.TABLE:
        return SINKS[chosen](stream)
    from rich.console import Console

    # Not a terminal: never crop or wrap (COLUMNS decides when set), and colour only with FORCE_COLOR
    # (Rich itself honours NO_COLOR and FORCE_COLOR). The table is written to a spool, so a terminal
    # is named to Rich rather than found.
    if out.is_terminal:
        console = Console(file=stream, force_terminal=True, width=shutil.get_terminal_size().columns,
                          highlight=False)
    else:
        forced = bool(os.environ.get("FORCE_COLOR")) and not os.environ.get("NO_COLOR") and out.path is None
        console = Console(file=stream, width=_columns() or 10_000, highlight=False,
                          force_terminal=forced or None, color_system="auto" if forced else None)
    return TableSink(console)


def _columns() -> int | None:
    try:
        return int(os.environ.get("COLUMNS", "")) or None
    except ValueError:
        return None


@cli.command(cls=OperandCommand)
@click.argument("p")
@click.argument("q")
@_p_as_option()
@_q_as_option()
@_reduction_option("batchmean", REDUCTIONS)
@_shared_options
def kl(p, q, **params):
    """KL divergence D(P‖Q) = Σ p·log(p/q), per row, with the breakdown.

    torch: F.kl_div(log Q, P, reduction=...) (note torch's argument order);
    SciPy: scipy.stats.entropy(P, Q, axis=1) without its normalising.

    \b
    Examples:
      divcli kl "9/25,12/25,4/25" "1/3,1/3,1/3"
      divcli kl samples/target.csv samples/uniform.csv -q
      divcli kl samples/teacher.csv samples/student.csv --p-as logits --q-as logits -T 2 -f json
      divcli kl "-0.7,0.1,-0.1,0.1" "-0.1,0.2,-0.4,0.3" --p-as logits --q-as logits --reduction none
    """
    _run("kl", p, q, params)


@cli.command(cls=OperandCommand)
@click.argument("p")
@click.argument("q")
@_p_as_option()
@_q_as_option()
@_reduction_option("mean", ("none", "sum", "mean"))
@click.option("--label-smoothing", type=click.FloatRange(0, 1), default=0.0, show_default=True,
              help="ε: the target becomes (1−ε)·P + ε/C (torch's formula).")
@click.option("--weight", metavar="W", help="Class weights: a literal or a file of C non-negative numbers.")
@click.option("--ignore-index", type=int, default=-100, show_default=True,
              help="With --p-as labels, rows with this label are skipped (as torch).")
@_shared_options
def ce(p, q, label_smoothing, weight, ignore_index, **params):
    """Cross-entropy H(P,Q) = −Σ p·log q, as torch's F.cross_entropy.

    P is labels (class indices) or probabilities; Q usually logits.

    \b
    Examples:
      divcli ce samples/labels.csv samples/logits.csv --p-as labels --q-as logits
      divcli ce samples/onehot.csv samples/logits.csv --q-as logits --label-smoothing 0.1
      divcli ce "2;4;1" samples/logits.csv --p-as labels --q-as logits --weight "1,1,2,1,1" -f json
    """
    _run("ce", p, q, params, ignore_index=ignore_index, weight_spec=weight, label_smoothing=label_smoothing)


@cli.command(cls=OperandCommand)
@click.argument("p")
@_p_as_option()
@_reduction_option("mean", ("none", "sum", "mean"))
@_shared_options
def entropy(p, **params):
    """Entropy H(P) = −Σ p·log p per row, as scipy.stats.entropy(P, axis=1).

    \b
    Examples:
      divcli entropy "0.5,0.25,0.25" --base 2
      divcli entropy samples/hist_a.csv --normalize -q
      divcli entropy samples/logits.csv --p-as logits --reduction none -f csv
    """
    _run("entropy", p, None, params)


def main() -> None:
    """The console-script entry point."""
    cli.main(prog_name="divcli")
