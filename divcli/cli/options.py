"""The command line's parameter types and shared options: ``--base``, the bounded numbers, ``-f``,
the Rényi orders and measures, and the option groups every command shares (Click only: ``--help``
imports neither numpy nor Rich).
"""

from __future__ import annotations

import math
import re

import click

from ..errors import foreign_digit
from ..vocabulary import LogBase, Reduction
from .completion import complete_base, complete_measure, operand
from .help import SectionedCommand

KINDS = ("probs", "logits", "log-probs", "labels", "counts", "samples")
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
        from ..output import registry  # here: --help imports no more than it needs

        return tuple(registry.choices())

    @choices.setter
    def choices(self, value) -> None:
        pass


class FormatOption(click.Option):
    """``-f``, whose help names the formats of the sink registry as they are when it is shown."""

    @property
    def help(self) -> str:
        from ..output import registry

        return registry.option_help()

    @help.setter
    def help(self, value) -> None:
        pass


def format_option():
    """``-f FORMAT``: a choice of the sink registry's formats, ``table`` by default."""
    return click.option("-f", "--format", "fmt", cls=FormatOption, type=FormatChoice(), default="table",
                        show_default=True, metavar="FORMAT")


def operands_last(args: list[str], value_options: set[str]) -> list[str]:
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
        return super().parse_args(ctx, operands_last(args, value_options))


class LogBaseType(click.ParamType):
    """``e``, ``2``, ``10``, a unit's name or any number above 1 (:meth:`divcli.vocabulary.LogBase.parse`),
    as ``(text, value)``; anything else refused when the command line is read (exit 2)."""

    name = "BASE"

    def convert(self, value, param, ctx):
        if not isinstance(value, str):
            return value
        if foreign_digit(value.strip()):
            self.fail(f"{value!r} is not a number: {foreign_digit(value.strip())}", param, ctx)
        try:
            base = LogBase.parse(value)
        except ValueError as error:
            self.fail(str(error), param, ctx)
        return (base.text, base.value)

    def shell_complete(self, ctx, param, incomplete):
        return complete_base(incomplete)


class BoundedFloat(click.ParamType):
    """A finite number in a range, refused when the command line is read (exit 2): ``nan``, ``inf``
    and numbers outside the range never reach the computation. ``hint`` says what to give instead."""

    name = "FLOAT"

    def __init__(self, low: float | None = None, high: float | None = None, *, low_open: bool = False,
                 high_open: bool = False, hint: str = ""):
        self.low, self.high, self.low_open, self.high_open, self.hint = low, high, low_open, high_open, hint

    def _range(self) -> str:
        if self.high is None:
            return f"a number {'>' if self.low_open else '≥'} {self.low:g}"
        if self.low_open and self.high_open:  # (low, high): --epsilon
            return f"a number above {self.low:g} and below {self.high:g}"
        if self.low_open:  # (low, high]: drift's --ci
            return f"a number above {self.low:g}, up to {self.high:g}"
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
        above = self.high is not None and (number >= self.high if self.high_open else number > self.high)
        if below or above:
            self.fail(f"{value!r} is not {self._range()}; {self.hint}", param, ctx)
        return number


TEMPERATURE = BoundedFloat(0, low_open=True, hint="give a temperature T > 0 such as 2")


class Threads(click.ParamType):
    """--threads: a whole number ≥ 1."""

    name = "N"

    def convert(self, value, param, ctx):
        text = str(value).strip()
        if not (text.isascii() and text.isdigit()) or int(text) < 1:
            self.fail(f"{value!r} is not a number of threads; give a whole number ≥ 1 such as 2, or leave "
                      "--threads out to use every CPU", param, ctx)
        return int(text)


#: kl with T ≠ 1 reports kd_loss = T² × batchmean, and distill T² × KL. D(P‖Q) at T shrinks as
#: ½·Var(z_q − z_p)/T²: above this T it leaves float64's normal numbers (below 2.2e-308) for logits
#: whose differences spread less than about 1e-53, and T² × D loses its digits with it (at 1e154,
#: where T² itself ends, already for a spread of 2).
MAX_KD_TEMPERATURE = 1e100


def kd_temperature_refused(temperature: float, what: str) -> click.BadParameter:
    """-T above :data:`MAX_KD_TEMPERATURE` for a command that multiplies a KL at T by T²."""
    return click.BadParameter(f"{temperature:g}: {what} loses its digits above T = {MAX_KD_TEMPERATURE:g} (the KL "
                              f"at T shrinks as 1/T², out of float64's range); give a temperature up to "
                              f"{MAX_KD_TEMPERATURE:g}", param_hint="'-T' / '--temperature'")


def engine_options(command=None, *, operands: int = 2):
    """--engine, and what only the Dask engine reads (divcli/dask_engine/, imported only for it):
    ``@engine_options`` for a command of P and Q, ``@engine_options(operands=1)`` for one of P alone
    (no --q-cols)."""
    if command is None:
        return lambda command: engine_options(command, operands=operands)
    decorators = [
        click.option("-v", "--verbose", is_flag=True, help="Name the cluster and its dashboard on standard error."),
        # the first spelling of --p-select and --q-select, which numbered columns from 0 (divcli/cli/sides.py)
        *([click.option("--q-cols", metavar="COLS", hidden=True)] if operands > 1 else []),
        click.option("--p-cols", metavar="COLS", hidden=True),
        click.option("--scheduler", metavar="ADDRESS",
                     help="A running scheduler (tcp://host:8786); default: a local cluster."),
        click.option("--threads", type=Threads(), metavar="N",
                     help="Threads of the local engine (default: every CPU this process may use)."),
        click.option("--engine", type=click.Choice(ENGINES), default="local", metavar="NAME",
                     help="local (default), or dask: a task per shard on a Dask cluster."),
    ]
    for decorator in decorators:
        command = decorator(command)
    return command


def shared_options(command):
    """Options every command has (applied bottom-up, so listed here in reverse help order)."""
    decorators = [
        click.option("--svg", type=click.Path(readable=False), metavar="FILE",
                     help="Also save the table as an SVG picture (written as -o writes)."),
        click.option("-o", "--output", type=click.Path(readable=False), metavar="PATH",
                     help="Write to PATH instead of standard output (atomically; dask: a folder)."),
        format_option(),
        click.option("-q", "--quiet", is_flag=True),  # its help: by what the command has (help.QUIET)
        click.option("--delimiter", type=click.Choice(list(DELIMITERS)), metavar="CHAR",
                     help=", ; | tab or space (default: by extension, or as the first line shows)."),
        click.option("--names", metavar="COL",
                     help="The column of row names, a name or a number from 1 (with --columns: of class names)."),
        click.option("--drop", metavar="COLS", help="Columns to leave out (as --select)."),
        click.option("--select", metavar="COLS",
                     help="Columns of numbers to read: names, patterns 'a_*', numbers from 1, ranges 2-5."),
        click.option("--columns", is_flag=True, help="Take each column as a distribution instead of each row."),
        click.option("--tolerance", type=BoundedFloat(0, hint="give a tolerance ≥ 0 such as 1e-6, or pass "
                                                           "--normalize to rescale rows"),
                     default=1e-6, show_default=True, metavar="TOL",
                     help="|row sum − 1| allowed; such a row is renormalised."),
        click.option("--normalize", is_flag=True,
                     help="Rescale rows to sum to 1 (counts, histograms; as SciPy does silently)."),
        click.option("-T", "--temperature", type=TEMPERATURE, default=1.0, metavar="T",
                     show_default=True, help="Soften every operand: softmax(log p / T)."),
        click.option("--base", type=LogBaseType(), default="e", show_default=True, metavar="B",
                     help="Log base: e or nats, 2 or bits, 10 or bans, or any b > 1."),
    ]
    for decorator in decorators:
        command = decorator(command)
    return command


def smoothing_options(command):
    """--pseudocount and --epsilon (kl, js, compare: smoothing of counts and probabilities,
    :mod:`divcli.numerics.smoothing`) and --missing (a class one operand lacks: :mod:`divcli.engine.by_name`)."""
    decorators = [
        click.option("--missing", type=click.Choice(["zero"]), metavar="zero",
                     help="A class named on one side only counts as 0 there (bins always do)."),
        click.option("--epsilon", type=BoundedFloat(0, 1, low_open=True, high_open=True,
                                                   hint="give a floor E well below 1/classes, such as 1e-4"),
                     metavar="E", help="Floor every share at E, then renormalise."),
        click.option("--pseudocount", type=BoundedFloat(0, low_open=True, hint="give a count A > 0 such as 0.5"),
                     metavar="A", help="Add A to every class's count, then normalise."),
    ]
    for decorator in decorators:
        command = decorator(command)
    return command


def own_reading_options(command):
    """--p-select/--q-select, --p-drop/--q-drop, --p-names/--q-names, --p-delimiter/--q-delimiter: one
    operand's own --select, --drop, --names and --delimiter (divcli/cli/sides.py), in place of the shared
    one for that operand. The help shows them on one line (divcli/cli/help.py's MERGED)."""
    for side in "qp":
        role = side.upper()
        decorators = [
            click.option(f"--{side}-delimiter", type=click.Choice(list(DELIMITERS)), metavar="CHAR",
                         help=f"{role}'s own --delimiter."),
            click.option(f"--{side}-names", metavar="COL", help=f"{role}'s own --names."),
            click.option(f"--{side}-drop", metavar="COLS", help=f"{role}'s own --drop."),
            click.option(f"--{side}-select", metavar="COLS", help=f"{role}'s own --select."),
        ]
        for decorator in decorators:
            command = decorator(command)
    return command


def reduction_option(command: str):
    """--reduction (the command's default and choices: :class:`divcli.vocabulary.Reduction`), and --top
    (which ranks what --reduction row reports)."""
    torch = [r for r in Reduction.choices_for(command) if r != "row"]
    reduction = click.option("--reduction", type=click.Choice(REDUCTIONS), default=Reduction.default_for(command).value,
                             show_default=True,
                             metavar="R", help=f"{', '.join(torch[:-1])} or {torch[-1]} (torch), or row.")
    top = click.option("--top", type=int, metavar="N",
                       help="The N rows with the largest per-row value (implies row).")
    return lambda command: reduction(top(command))


def p_as_option():
    return click.option("--p-as", type=click.Choice(KINDS), default="probs", metavar="KIND",
                        help="probs (default), logits, log-probs, labels (0…C−1), counts, samples.")


def q_as_option():
    return click.option("--q-as", type=click.Choice(KINDS[:3] + KINDS[4:]), default="probs", metavar="KIND",
                        help="probs (default), logits, log-probs, counts, samples.")


def operand_pair(command):
    """The operands P and Q (each a file, a literal, - or uniform) and how each is read."""
    for decorator in reversed((operand("p"), operand("q"), p_as_option(), q_as_option())):
        command = decorator(command)
    return command



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



class MeasureList(click.ParamType):
    """Measures' keys or aliases, comma-separated (compare -m): each as :class:`MeasureType` takes it."""

    name = "KEYS"

    def convert(self, value, param, ctx):
        if isinstance(value, tuple):
            return value
        keys = tuple(key.strip() for key in str(value).split(",") if key.strip())
        if not keys:
            self.fail("name one measure or more, such as psi,js", param, ctx)
        return tuple(MeasureType().convert(key, param, ctx) for key in keys)


class MeasureType(click.ParamType):
    """A measure's key (``divcli measures`` lists them) or alias: js, kl, tv, … (from the catalogue)."""

    name = "MEASURE"

    def shell_complete(self, ctx, param, incomplete):
        return complete_measure(incomplete)

    def convert(self, value, param, ctx):
        from ..measures.catalogue import aliases, keys, known

        if not known(value):
            self.fail(f"{value!r} is not a measure; use one of {', '.join(keys())}, renyi_α for any "
                      f"order α > 0, or {', '.join(aliases())}", param, ctx)
        return value


def one_line_usage(message: str) -> click.ClickException:
    """A command line that cannot be run: one line, ``Error: …``, exit 2 (no usage text)."""
    failure = click.ClickException(message)
    failure.exit_code = 2
    return failure
