"""lm: two language models' next-token distributions compared position by position, streamed."""

from __future__ import annotations

import click

from ..completion import operand
from ..options import DELIMITERS, ENGINES, BoundedFloat, OperandCommand, Threads, format_option

#: What BASE and CANDIDATE may be read as: logits (the default), log-probs or probs.
MODEL_KINDS = ("logits", "log-probs", "probs")


@click.command(cls=OperandCommand, examples=(
    "divcli lm samples/base.npy samples/candidate.npy --labels samples/tokens.csv -f json",
    "divcli lm samples/base.npy samples/candidate.npy --top 3",
), operands="(positions, vocab) or (batch, sequence, vocab): .npy, .npz, .safetensors, .kld, CSV…, a "
            "literal; top-k JSON Lines; - (stdin)")
@operand("base", uniform=False)
@operand("candidate", uniform=False)
@click.option("--p-as", "base_as", type=click.Choice(MODEL_KINDS), default="logits", show_default=True,
              metavar="KIND", help="BASE is logits, log-probs or probs.")
@click.option("--q-as", "candidate_as", type=click.Choice(MODEL_KINDS), default="logits", show_default=True,
              metavar="KIND", help="CANDIDATE is logits, log-probs or probs.")
@click.option("--labels", metavar="TOKENS",
              help="The next token's id at each position (file, - or \"5,3,9\"): adds PPL, Δp.")
@click.option("--normalize", is_flag=True, help="Rescale rows of probs to sum to 1.")
@click.option("--tolerance", type=BoundedFloat(0, hint="give a tolerance ≥ 0 such as 1e-6, or pass --normalize "
                                                        "to rescale rows"),
              default=1e-6, show_default=True, metavar="TOL", help="|row sum − 1| allowed for probs; renormalised.")
@click.option("--delimiter", type=click.Choice(list(DELIMITERS)), metavar="CHAR",
              help=", ; | tab or space (default: by extension, or as the first line shows).")
@click.option("--reduction", type=click.Choice(("mean", "row")), default="mean", show_default=True, metavar="R",
              help="mean: the statistics; row: every position too.")
@click.option("--top", type=int, metavar="N", help="Also the N positions of largest D(P‖Q).")
@click.option("--tokens", type=int, metavar="K",
              help="With --top: each one's K tokens of largest |p·ln(p/q)| (table: 5).")
@click.option("--measures", metavar="LIST", help="Also per position: js, tv, hellinger… (`divcli measures`) or all.")
@click.option("--approx-percentiles", is_flag=True,
              help="Percentiles of D(P‖Q) from a log-scale sketch, within 0.1%.")
@click.option("-q", "--quiet", is_flag=True,
              help="Print only the mean D(P‖Q) (a line per position for --reduction row).")
@format_option()
@click.option("-o", "--output", type=click.Path(readable=False), metavar="PATH",
              help="Write to PATH instead of standard output (atomically).")
@click.option("--svg", type=click.Path(readable=False), metavar="FILE",
              help="Also save the table as an SVG picture (written as -o writes).")
@click.option("--engine", type=click.Choice(ENGINES), default="local", metavar="NAME",
              help="local (default), or dask: a task per pair of shards on a Dask cluster.")
@click.option("--threads", type=Threads(), metavar="N",
              help="Threads of the local engine (default: every CPU this process may use).")
@click.option("--scheduler", metavar="ADDRESS",
              help="A running scheduler (tcp://host:8786); default: a local cluster.")
@click.option("-v", "--verbose", is_flag=True, help="Name the cluster and its dashboard on standard error.")
def lm(base, candidate, tokens, measures, approx_percentiles, **params):
    """Two language models compared token by token: KL, same top token, perplexities, Δp.

    BASE is P, the reference model; CANDIDATE is Q (quantized, pruned, fine-tuned, distilled): a
    row per token position (a 3-D array is batch·sequence positions). D(P‖Q) per position (mean ± SE,
    percentiles), same top token and, with --labels, PPL(P), PPL(Q) and Δp (as llama.cpp has them).
    """
    from ..lm_options import chosen_measures, token_count
    from ..request import positions_request

    request = positions_request((base, candidate), params)
    _run(request, token_count(tokens, request.writing), chosen_measures(measures, request.writing), measures,
         approx_percentiles)


def _run(request, tokens: int = 0, measures: tuple = (), measures_text: str | None = None, approx: bool = False) -> None:
    """Read the labels whole (--labels, else the tokens of llama.cpp's dumps) and both models a block of
    positions at a time, compute, write (top-k log-probs: :func:`divcli.cli.lm_listed.run_listed`)."""
    from ...computations.lm import LanguageModels, position_mismatch
    from ...engine.loop import run_computation
    from ...errors import DataError
    from ...output.registry import Content
    from ...readers.kld import dump_labels
    from ...vocabulary import Reduction
    from ..console import make_sink, progress_bar, save_svg, warn
    from ..lm_listed import listed_shapes, run_listed
    from ..run import threads
    from ..terminal import Output

    shapes, stdin = listed_shapes(request)
    if any(shapes):
        if approx:
            raise click.UsageError("--approx-percentiles reads full rows: top-k log-probs keep every position's D")
        return run_listed(request, shapes, tokens, measures, measures_text, stdin)
    writing = request.writing
    labels = None if request.labels is None else _labels(request.labels, request.reading)
    per_position = request.options.reduction is Reduction.ROW
    if request.engine.dask:
        _on_dask(request, LanguageModels(labels, writing.top, per_position, tokens, measures, approx))
        return
    operands = [_positions(spec, request.reading, stdin) for spec in request.specs]
    dumped = dump_labels(operands)  # llama.cpp's dumps: the same text checked, their tokens the labels
    computation = LanguageModels(dumped if labels is None else labels, writing.top, per_position, tokens, measures,
                                 approx)
    workers = threads(request.engine)
    with Output(writing.output) as out, progress_bar("lm", writing, *operands) as progress:
        sink = make_sink(Content.LM, writing, out)
        try:
            run_computation(computation, operands, request.options, sink, progress.warn if progress else warn,
                            progress, workers)
        except DataError as error:
            raise position_mismatch(error) from None
        save_svg(sink, writing)


def _on_dask(request, computation) -> None:
    """--engine dask: shards of positions, a task per shard pair; the statistics written as locally."""
    from ...dask_engine.positions import run_lm_dask
    from ...errors import EngineError, EngineUsage, printable
    from ...output.registry import Content
    from ..console import make_sink, say, warn
    from ..run import engine_failure
    from ..terminal import Output

    writing, engine = request.writing, request.engine
    try:
        with Output(writing.output) as out:
            run_lm_dask(computation, list(request.specs), request.options, make_sink(Content.LM, writing, out),
                        scheduler=engine.scheduler, delimiter=request.reading.delimiter, warn=warn,
                        say=(lambda message: say(printable(message))) if engine.verbose else None)
    except EngineUsage as error:
        raise click.UsageError(str(error)) from None
    except EngineError as error:
        raise engine_failure(error) from None


def _positions(spec: str, reading, stdin=None):
    """One model's outputs, a block of positions at a time (closed when the command ends); ``stdin``:
    standard input as it is to be read, once read to tell whether it holds top-k log-probs."""
    from ...readers.positions import open_positions
    from ..run import stdin_for

    blocks = open_positions(spec, stdin if spec == "-" and stdin is not None else stdin_for(spec), reading.delimiter)
    click.get_current_context().call_on_close(blocks.close)
    return blocks


def _labels(spec: str, reading):
    """--labels, read whole: one token id a position (8 bytes each)."""
    from ...readers.reading import read_operand
    from ..run import stdin_for

    return read_operand(spec, stdin_for(spec), reading.delimiter)
