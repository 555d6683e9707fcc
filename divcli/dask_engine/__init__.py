"""The distributed engine (``--engine dask``): the local engine's block loop, one Dask task per shard.

Imported only when ``--engine dask`` is asked for; Dask itself only inside :func:`run_dask`, after
:func:`~divcli.dask_engine.cluster.require` has said how to install it when it is missing.

How it maps onto the local engine:

* A dataset is a glob, a folder or one file of shards (every extension the readers' registry takes as
  shards: :func:`divcli.readers.registry.shard_extensions`; any fsspec URL such as ``s3://…`` where its
  filesystem package is installed), taken in
  natural order (``part-2`` before ``part-10``). Shard *i* of P goes with shard *i* of Q; P and Q may
  also be column selections (``--p-select``/``--q-select``) of the same dataset. A literal, or a dataset
  of one shard of one row, is compared with every row of the other, as locally.
* The client lists the shards and runs the computation's ``start`` (:mod:`divcli.engine.loop`) over the
  first block of the first ones, which decide the classes, their names and the broadcast, as locally.
* Each task opens its shard pair with divcli's own readers (text through the block reader, so every
  value and every error's ``file:line`` are the local engine's; ``.npy`` through numpy; Parquet
  through pyarrow) and runs :func:`divcli.engine.loop.compute_blocks`, the local engine's loop, with the
  same computation. It returns its :class:`~divcli.engine.loop.Partial` (the computation's accumulator
  and the rows read), its warnings and, when they are wanted, the per-row records.
* The client merges the partials in shard order (``Accumulator.merge``) and the computation's
  ``summarise`` reduces them as locally. Per-row values are the same floats; the reductions differ
  at most by the order of the additions (blocks restart at every shard), about 1e-16 relative.
* A data error in a task comes back as a value and is raised on the client as the same one-line
  error, naming the shard's file and the line (or row) in it; the first failing shard in order wins.
* Per-row results: with ``-o DIR`` every task's rows are written by a worker as
  ``DIR/part-NNNNN.parquet`` (or ``.csv``), never gathered; without it they are fetched shard by
  shard, in order, and written to standard output by the local engine's writers.

Nothing here names a computation: kl, ce, entropy, js and compare of P and Q all go this way.

The package, a module per part: :mod:`.shards` (datasets → shards in natural order, and the pairs of
P's and Q's), :mod:`.reading` (one shard's blocks, with its column selection), :mod:`.task` (what a
worker runs per shard, and its result), :mod:`.cluster` (Dask, the client and its cluster),
:mod:`.parts` (``-o DIR``: the per-row parts the workers write) and :mod:`.client` (:func:`run_dask`,
the client's side).
"""

from __future__ import annotations

from ..errors import EngineError
from .cluster import require
from .reading import open_shard
from .client import run_dask
from .shards import Shard, shards

__all__ = ["EngineError", "Shard", "open_shard", "require", "run_dask", "shards"]
