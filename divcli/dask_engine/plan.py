"""What the client sends every Dask task besides its shards: the computation, its start and the options."""

from __future__ import annotations

from dataclasses import dataclass

from ..engine.loop import Computation, Start
from ..vocabulary import Options


@dataclass(frozen=True)
class Plan:
    """What every task is sent besides its shards."""

    computation: Computation | None
    start: Start | None  # without its first blocks and operands (see divcli.engine.loop.without_blocks)
    options: Options
    delimiter: str | None
    p_cols: tuple[str, ...] | None
    q_cols: tuple[str, ...] | None
    compare_names: bool
    keep_rows: bool
    #: the parts P and Q chose with options of their own (``select``; ``cols``: spelled --p-cols),
    #: for messages that name the option typed (divcli.readers.columns.ColumnChoice.option)
    own: tuple[frozenset[str], frozenset[str]] = (frozenset(), frozenset())
