"""The command line's request: what a command asks for, as typed records made once from Click's
parameters at the command's edge (:func:`streamed_request`, :func:`whole_request`), with the checks
that the command line alone decides (exit 2), made while it is read, in the order their errors are
told. Below the commands everything takes the request or its parts, never Click's dictionary: a
parameter goes down the layers and does not come back up (tests/cli/test_request_edge.py checks it).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, replace

import click

from ..errors import printable
from ..vocabulary import Intervals, LogBase, Options, make_options
from .drift_options import DriftRequest
from .intervals import count_intervals
from .options import DELIMITERS, one_line_usage
from .sides import NO_SIDES, OWN_OPTIONS, PARTS, Side, chosen, from_options


@dataclass(frozen=True)
class Reading:
    """How every operand is read: --delimiter (the character), --columns, --select, --drop, --names,
    and P's and Q's own (``sides``: --p-select, --q-drop, …, :mod:`.sides`). :meth:`operand` is one
    operand's reading, its own options in place of the shared ones."""

    delimiter: str | None = None
    columns: bool = False
    select: str | None = None
    drop: str | None = None
    names: str | None = None
    sides: tuple[Side, Side] = NO_SIDES
    #: --p-cols or --q-cols was given (the old spelling of --p-select, --q-select: warned once)
    old_cols: bool = False
    #: after :meth:`operand`: whose reading it is ("p", "q") and which parts were its own
    side: str = ""
    own: frozenset[str] = frozenset()
    #: the sides ("p", "q") given as ``samples``: a column of categories, counted (:attr:`counts_samples`)
    samples: frozenset[str] = frozenset()

    def operand(self, index: int) -> "Reading":
        """The reading of operand ``index`` (0 is P; every later one reads as Q)."""
        side = self.sides[min(index, 1)]
        parts = {part: chosen(getattr(self, part), side, part) for part in PARTS}
        return replace(self, sides=NO_SIDES, side="pq"[min(index, 1)], own=side.given, **parts)

    @property
    def counts_samples(self) -> bool:
        """After :meth:`operand`: this operand is a column of categories to count (``--p-as samples``)."""
        return self.side in self.samples

    @property
    def in_order(self) -> bool:
        """P and Q both choose their columns, differently (one of them, or both, with an option of its
        own): the columns are paired in the order chosen, and the classes named after P's (Q's names
        are not compared). Where only one chooses, the other's names are still compared."""
        p, q = self.operand(0).select, self.operand(1).select
        return p is not None and q is not None and p != q

    def column_choice(self):
        """--select, --drop and --names (or this operand's own), applied to an operand (not to --weight)."""
        from ..readers.columns import ColumnChoice

        return ColumnChoice.parse(self.select, self.drop, self.names, side=self.side, own=self.own - {"delimiter"})


@dataclass(frozen=True)
class Writing:
    """Where and how the result is written: -f, -q, -o, --svg and --top (the rows to rank)."""

    fmt: str = "table"
    quiet: bool = False
    output: str | None = None
    svg: str | None = None
    top: int | None = None

    @property
    def format(self) -> str:
        """The format of the sink: ``quiet`` with -q, else -f's."""
        return "quiet" if self.quiet else self.fmt


@dataclass(frozen=True)
class Engine:
    """Where a streamed computation runs: --engine, --threads, and what only the Dask engine reads (its
    shards' columns: P's and Q's --select, or --p-select and --q-select)."""

    name: str = "local"
    threads: int | None = None
    scheduler: str | None = None
    p_cols: str | None = None
    q_cols: str | None = None
    verbose: bool = False
    #: P's and Q's parts given with their own options (--q-select, --p-cols): messages name them
    own: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())

    @property
    def dask(self) -> bool:
        return self.name == "dask"


@dataclass(frozen=True)
class Request:
    """One command's request: its operands as given (``specs``), the numbers' options (made by
    :func:`divcli.vocabulary.make_options`), how the operands are read, how the result is written,
    where it runs, and ce's and distill's --weight as given."""

    command: str
    specs: tuple[str, ...]
    options: Options
    reading: Reading
    writing: Writing
    engine: Engine = Engine()
    weight: str | None = None
    labels: str | None = None
    estimator: str | None = None  # entropy of counts: --estimator, when not the plug-in
    intervals: Intervals | None = None  # counts: --bootstrap, --ci, --seed


def streamed_request(command: str, specs: tuple[str | None, ...], params: dict, *, weight: str | None = None,
                     ignore_index: int | None = None, label_smoothing: float = 0.0,
                     estimator: str | None = None) -> Request:
    """kl, ce, entropy, js and compare's request (``specs``: the operands; entropy's Q None)."""
    given = _given()
    one_stdin(*specs, weight)
    check_reduction(command, params["reduction"])
    reduction = top_reduction(params["top"], params["reduction"], "reduction" in given, params["engine"])
    reading, engine = _reading(params), Engine(params["engine"], params["threads"], params["scheduler"],
                                               verbose=params["verbose"])
    if engine.dask:  # the one column choice a shard takes: each operand's --select (or --p-select, --q-select)
        p, q = reading.operand(0), reading.operand(1)
        engine = replace(engine, p_cols=p.select, q_cols=q.select, own=(p.own, q.own))
    specs = tuple(spec for spec in specs if spec is not None)
    check_engine(engine, reading, specs)
    check_samples(reading, engine)
    intervals = count_intervals(params.get("bootstrap"), params.get("ci"), params.get("seed"),
                                (params.get("p_as"), params.get("q_as")), engine.dask)
    writing = _writing(params, top=params["top"])
    check_output(writing, given, specs + (weight,), engine.dask)
    options = _options(params, reduction, given, ignore_index=ignore_index, label_smoothing=label_smoothing,
                       infer_labels=not engine.dask and "p_as" not in given, **_smoothing(params))
    return Request(command, specs, options, reading, writing, engine, weight, estimator=estimator, intervals=intervals)


def whole_request(command: str, specs: tuple[str | None, ...], params: dict, *, reduction: str,
                  stdin_once: bool = False, weight: str | None = None) -> Request:
    """The request of a command that writes its output at once (matrix, libraries, explain, distill),
    its numbers reduced by ``reduction``; ``stdin_once``: at most one operand is standard input."""
    given = _given()
    if stdin_once:
        one_stdin(*specs)
    writing = _writing(params)
    check_output(writing, given, specs + (weight,))
    specs = tuple(spec for spec in specs if spec is not None)
    reading = _reading(params)
    if reading.samples:
        raise one_line_usage(f"--{min(reading.samples)}-as samples is counted by kl, ce, entropy, js and compare; "
                             f"{command} reads distributions, not samples")
    return Request(command, specs, _options(params, reduction, given), reading, writing, weight=weight)


def positions_request(specs: tuple[str, str], params: dict) -> Request:
    """lm's request: two models' outputs, a row a position, and --labels (read whole); locally or
    with --engine dask over shards of positions.
    --top lists the worst positions besides the statistics, and --reduction row every position."""
    given = _given()
    labels = params["labels"]
    one_stdin(*specs, labels)
    top = params["top"]
    if top is not None and top < 1:
        raise click.BadParameter(f"{top} is not a number of positions: give 1 or more", param_hint="'--top'")
    if top is not None and params["reduction"] == "row":
        raise click.BadParameter("--top lists the worst positions, --reduction row every position: give one of them",
                                 param_hint="'--top'")
    writing = Writing(params["fmt"], params["quiet"], params["output"], params["svg"], top)
    engine = Engine(params["engine"], params["threads"], params["scheduler"], verbose=params["verbose"])
    check_engine(engine, Reading(), specs)
    check_output(writing, given, specs + (labels,))
    options = make_options(params["base_as"], params["candidate_as"], params["reduction"], "e", tolerance=params["tolerance"],
                           normalize=params["normalize"], given=given, refuse_one_class=True)
    return Request("lm", specs, options, Reading(DELIMITERS.get(params["delimiter"])), writing,
                   engine, labels=labels)


def _smoothing(params: dict) -> dict:
    """--pseudocount, --epsilon and --missing, where the command has them: one way to smooth, and
    only counts and probabilities (a bad command line, exit 2)."""
    from ..errors import DataError, cli_words
    from ..numerics.smoothing import check_kinds
    from ..vocabulary import Conversion, Kind

    smoothing = {name: params.get(name) for name in ("pseudocount", "epsilon")}
    if None not in smoothing.values():
        raise click.UsageError("--pseudocount and --epsilon are two ways to smooth: give one of them")
    try:
        check_kinds(Conversion(**smoothing), [Kind(_kind_word(params, "p_as")), Kind(_kind_word(params, "q_as"))])
    except DataError as error:
        raise one_line_usage(error.message(cli_words)) from None
    return {**smoothing, "missing": params.get("missing")}


def _reading(params: dict) -> Reading:
    own = {name: params.get(name) for name in OWN_OPTIONS}
    return Reading(DELIMITERS.get(params["delimiter"]), params["columns"], params["select"], params["drop"],
                   params["names"], from_options(own, DELIMITERS),
                   old_cols=own["p_cols"] is not None or own["q_cols"] is not None,
                   samples=_samples(params))


def _samples(params: dict) -> frozenset[str]:
    """The sides given as ``samples`` (a column of categories may hold one category: no error)."""
    return frozenset(side for side in "pq" if params.get(f"{side}_as") == "samples")


def _kind_word(params: dict, name: str) -> str:
    """``--p-as`` or ``--q-as`` as the numbers are read: ``samples`` are counted, then read as counts
    (their sample sizes and estimators are those of counts)."""
    word = params.get(name) or "probs"
    return "counts" if word == "samples" else word


def _writing(params: dict, top: int | None = None) -> Writing:
    return Writing(params["fmt"], params["quiet"], params["output"], params.get("svg"), top)


def _options(params: dict, reduction: str, given: frozenset[str], **more) -> Options:
    """The numbers' options from the command's words (distill's operands are read as probs here: its
    computation reads the teacher and student as --teacher-as and --student-as say)."""
    return make_options(_kind_word(params, "p_as"), _kind_word(params, "q_as"), reduction,
                        LogBase(*params["base"]), tolerance=params["tolerance"], normalize=params["normalize"],
                        temperature=params["temperature"], given=given,
                        refuse_one_class=not _samples(params), **more)


def _given() -> frozenset[str]:
    """The parameters given on the command line (not left at their defaults), for the checks and hints."""
    from click.core import ParameterSource

    ctx = click.get_current_context()
    return frozenset(name for name in ctx.params if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE)


# --------------------------------------------------------------------------------------------
# the checks: each returns what it decides, or raises (exit 2)


def check_reduction(command: str, reduction: str) -> None:
    if reduction == "batchmean" and command != "kl":
        raise click.BadParameter(
            f"batchmean is kl's reduction; {command}'s mean already divides by the number of rows",
            param_hint="'--reduction'",
        )


def top_reduction(top: int | None, reduction: str, reduction_given: bool, engine: str) -> str:
    """The reduction to compute: --top ranks the per-row values, so it means --reduction row, and goes
    with no other reduction."""
    if top is None:
        return reduction
    if top < 1:
        raise click.BadParameter(f"{top} is not a number of rows: give 1 or more", param_hint="'--top'")
    if reduction_given and reduction != "row":
        raise click.BadParameter(f"--top ranks the per-row values: give it alone or with --reduction row, "
                                 f"not --reduction {reduction}", param_hint="'--top'")
    if engine == "dask":
        raise click.UsageError("--top is local only: leave --engine local")
    return "row"


def check_engine(engine: Engine, reading: Reading, specs: tuple[str, ...]) -> None:
    """The options only --engine dask reads are usage errors without it, and those it cannot take
    with it."""
    if engine.dask:
        if engine.threads:
            raise click.UsageError("--threads is --engine local's; a Dask cluster has its own workers and threads")
        if reading.columns:
            raise click.UsageError("--columns needs whole operands; --engine dask reads shards of rows")
        chosen = [f"--{name}" for name in ("drop", "names") if getattr(reading, name)] + \
            [f"--{side}-{part}" for side, own in zip("pq", reading.sides) for part in sorted(own.given - {"select", "cols"})]
        if chosen:
            raise click.UsageError(f"{', '.join(chosen)}: --engine local only; with --engine dask choose each "
                                   "shard's columns with --select, or --p-select and --q-select (row names are "
                                   "not read there)")
        if "uniform" in specs:
            raise click.UsageError("the operand uniform is made by --engine local only; give a file of 1/C")
        if len(specs) > 2:
            raise one_line_usage(f"--engine dask computes js of two operands; js of {len(specs)} operands is "
                                 "local only (leave --engine local)")
        return
    if engine.scheduler:
        raise click.UsageError("--scheduler is read by --engine dask only")


def check_samples(reading: Reading, engine: Engine) -> None:
    """``samples`` count a column whole, on this machine: not with --columns (a column is the sample
    already) or --engine dask (whose shards are rows of distributions)."""
    if not reading.samples:
        return
    given = " and ".join(f"--{side}-as samples" for side in sorted(reading.samples))
    if reading.columns:
        raise one_line_usage(f"{given} {'counts' if len(reading.samples) == 1 else 'count'} a column of categories "
                             "into one distribution: leave out --columns")
    if engine.dask:
        raise one_line_usage(f"{given} {'counts' if len(reading.samples) == 1 else 'count'} a column here, as it "
                             "is read: leave --engine local")


def check_output(writing: Writing, given: frozenset[str], inputs: tuple[str | None, ...], dask: bool = False) -> None:
    """What can be told from the command line alone, before anything is read: -o or --svg naming an
    input, -o FILE.parquet without Dask (one line, exit 2). A path that cannot be written is found
    when it is opened (divcli/cli/terminal.py: ``Error: PATH: cause``, exit 1)."""
    if writing.quiet and writing.fmt != "table" and "fmt" in given:
        raise click.UsageError(f"-q prints only the value and -f {writing.fmt} a whole document: give one of them")
    svg = writing.svg
    if svg is not None:
        if writing.quiet or writing.fmt != "table":
            raise click.BadParameter("--svg saves the table; it does not go with -q or -f csv/json",
                                     param_hint="'--svg'")
        from .targets import same_target

        if same_target(writing.output, svg):
            raise click.BadParameter("-o and --svg name the same file; give each its own",
                                     param_hint="'--svg'")
    if dask:
        return
    if writing.output is not None and os.path.splitext(writing.output)[1].lower() in (".parquet", ".pq"):
        raise one_line_usage(f"-o {printable(writing.output)}: divcli writes Parquet only as the part files of "
                             "--engine dask -o DIR; here write -f csv or -f json (to a .csv or .json file)")
    from .targets import input_written

    read = [spec for spec in inputs if isinstance(spec, str)]  # every operand, and the --weight file
    for option, path in (("-o", writing.output), ("--svg", svg)):
        spec = None if path in (None, "-") else input_written(path, read)
        if spec is not None:
            shown = "standard input" if spec == "-" else f"the input {printable(spec)}"
            raise one_line_usage(f"{option} {printable(path)} is also {shown} (the same file): write the output to "
                                 "another file, or the input would be lost")


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


def drift_request(specs: tuple[str, str], params: dict) -> DriftRequest:
    """drift's request, with the command line's checks: one standard input, one smoothing, --measure
    only with --fail-above, -o naming no input."""
    from ..computations.bootstrap import Resampling
    from ..computations.drift import DriftSettings
    from ..engine.threads import available_cpus
    from ..readers.columns import split_items
    from .drift_options import check_binned, check_bootstrap, check_gate, check_picture, check_smoothing

    one_stdin(*specs)
    if params["binned"]:
        check_binned(_given(), params["engine"])
    check_smoothing(params["pseudocount"], params["epsilon"])
    measure = check_gate(params["fail_above"], params["measure"])
    check_bootstrap(params["bootstrap"], _given())
    svg = params["svg"]
    writing = replace(_writing(params), svg=None)  # drift's picture is its histograms, not the table's
    check_output(writing, _given(), specs)
    check_picture(svg, writing.output, specs)
    resampling = (None if params["bootstrap"] is None else
                  Resampling(params["bootstrap"], params["seed"], params["ci"], available_cpus()))
    settings = DriftSettings(params["bins"], split_items(params["categorical"]), params["min_share"],
                             params["pseudocount"], params["epsilon"], params["thresholds"], params["p_values"],
                             resampling)
    reading = Reading(DELIMITERS.get(params["delimiter"]), select=params["select"], drop=params["drop"])
    return DriftRequest(specs, settings, reading, writing, params["column"], params["fail_above"], measure, svg,
                        params["binned"])
