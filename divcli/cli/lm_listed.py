"""``divcli lm`` on top-k log-probs (JSON Lines, :mod:`divcli.computations.lm_topk`): which operands
hold them (a file's first line, standard input's, a Dask dataset's first shard's), the options that
only full rows take, and the run, locally or on a Dask cluster."""

from __future__ import annotations

from contextlib import contextmanager

import click

from .request import Request

#: The options that read full rows, by parameter name: refused on top-k log-probs.
_FULL_ROWS = {"base_as": "--p-as", "candidate_as": "--q-as", "normalize": "--normalize"}


def listed_shapes(request: Request):
    """Each operand's shape of top-k log-probs (None: it holds rows), and standard input to read
    from then on (what was read to tell, then the rest; None where no operand is ``-``)."""
    from ..readers.listed_input import listed_shape, stdin_shape
    from .run import stdin_for

    if request.engine.dask:
        from ..dask_engine.listed import dataset_shape

        with _dask_errors():
            return [dataset_shape(spec) for spec in request.specs], None
    shapes, stdin = [], None
    for spec in request.specs:
        if spec == "-":
            shape, stdin = stdin_shape(stdin_for(spec))
        else:
            shape = listed_shape(spec)
        shapes.append(shape)
    return shapes, stdin


def run_listed(request: Request, shapes: list, tokens: int, measures: tuple, measures_text: str | None,
               stdin) -> None:
    """Two files (or a file and standard input) of top-k log-probs, a block of positions at a time;
    --labels a file of tokens; --engine dask over datasets of them."""
    from ..computations.lm_topk import ListedModels
    from ..computations.lm_topk_labels import TokenLabels
    from ..readers.top_logprobs import read_token_labels
    from ..vocabulary import Reduction

    _refuse_for_listed(request, shapes)
    if measures:
        measures = _listed_measures(measures_text, measures)
    labels = None if request.labels is None else TokenLabels(request.labels, read_token_labels(request.labels))
    writing, tolerance = request.writing, request.options.conversion.tolerance
    computation = ListedModels(labels, writing.top, request.options.reduction is Reduction.ROW, tolerance, tokens,
                               measures)
    if request.engine.dask:
        _on_dask(request, shapes, computation)
    else:
        _locally(request, shapes, computation, stdin)


def _locally(request: Request, shapes: list, computation, stdin) -> None:
    from ..output.registry import Content
    from ..readers.operand import STDIN_NAME
    from ..readers.top_logprobs import ListedBlocks
    from .console import make_sink, progress_bar, save_svg, warn
    from .terminal import Output

    writing = request.writing
    operands = [ListedBlocks(spec, shape) if spec != "-" else ListedBlocks(STDIN_NAME, shape, stdin)
                for spec, shape in zip(request.specs, shapes)]
    for blocks in operands:
        click.get_current_context().call_on_close(blocks.close)
    with Output(writing.output) as out, progress_bar("lm", writing, *operands) as progress:
        sink = make_sink(Content.LM, writing, out)
        computation.run(*operands, sink, progress.warn if progress else warn, progress)
        save_svg(sink, writing)


def _on_dask(request: Request, shapes: list, computation) -> None:
    """--engine dask: a task per shard pair of positions; the statistics written as locally."""
    from ..dask_engine.listed import run_listed_dask
    from ..errors import printable
    from ..output.registry import Content
    from .console import make_sink, say, warn
    from .terminal import Output

    writing, engine = request.writing, request.engine
    with _dask_errors(), Output(writing.output) as out:
        run_listed_dask(computation, list(request.specs), shapes, make_sink(Content.LM, writing, out),
                        scheduler=engine.scheduler, warn=warn,
                        say=(lambda message: say(printable(message))) if engine.verbose else None)


@contextmanager
def _dask_errors():
    """The Dask engine's errors as the command line says them: a usage error (exit 2), or its failure."""
    from ..errors import EngineError, EngineUsage
    from .run import engine_failure

    try:
        yield
    except EngineUsage as error:
        raise click.UsageError(str(error)) from None
    except EngineError as error:
        raise engine_failure(error) from None


def _refuse_for_listed(request: Request, shapes: list) -> None:
    """A top-k file beside full rows (exit 1), and the options that read full rows (exit 2)."""
    from ..errors import DataError

    if not all(shapes):
        listed, full = (0, 1) if shapes[0] else (1, 0)
        raise DataError("", f"{'PQ'[listed]} is top-k log-probs ({request.specs[listed]}) but {'PQ'[full]} is not "
                            f"({request.specs[full]})", "give both models' outputs in one form: both full rows "
                            "(logits, log-probs or probs) or both top-k log-probs as JSON Lines")
    for name, option in _FULL_ROWS.items():
        if name in request.options.conversion.given:
            raise click.UsageError(f"{option} reads full rows: top-k log-probs are read as log-probs")


def _listed_measures(text: str, measures: tuple) -> tuple:
    """--measures on top-k log-probs: the divergences only (:func:`~divcli.computations.lm_topk_cells.listed_measures`)."""
    from ..computations.lm_measures import NotAMeasure
    from ..computations.lm_topk_cells import listed_measures

    try:
        return listed_measures(text, measures)
    except NotAMeasure as error:
        raise click.BadParameter(str(error), param_hint="'--measures'") from None
