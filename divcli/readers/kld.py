"""llama.cpp's KL-divergence dumps: the file ``llama-perplexity --kl-divergence-base FILE`` writes,
read a block of positions at a time (``divcli lm``).

The layout is the perplexity tool's (little-endian):

- ``_logits_`` (8 bytes), n_ctx, n_vocab, n_chunk (int32 each);
- the text's n_chunk·n_ctx tokens (int32), chunk after chunk;
- per chunk, one record for each position it scores, n_ctx//2 … n_ctx − 2 (the first half of a
  chunk is context only, and the last token predicts nothing within it): ``2·((n_vocab + 1)//2) + 4``
  uint16, a float32 scale and a float32 minimum, then n_vocab uint16 values (padded to an even count).

Token i's log-prob is ``minimum + scale·value[i]`` (computed here in float64, one rounding): the
tool stores the log-softmax of the model's logits on 65536 steps between the top log-prob and the
top − 16, every token below that at the minimum. Record k of chunk c predicts the token at
``c·n_ctx + n_ctx//2 + k + 1``: the labels. Rows are these dequantised log-probs; ``divcli lm`` reads
them as logits (renormalised by log-sum-exp), the tokens at the minimum of a row that spans the
whole range as one tail cell (:mod:`divcli.computations.lm_floors`; docs/commands/lm.md says why).

A file is checked before any block is read: the magic, a header that fits the file's length
exactly, every token an id of the vocabulary; a record whose scale or minimum is not a finite
number is an error when its block is read. Read with ``os.pread``, never memory-mapped.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import BinaryIO

import numpy as np

from ..errors import DataError
from ..vocabulary import count_of
from .blocks import bounded_rows
from .operand import STDIN, Operand

MAGIC = b"_logits_"
#: The magic and three int32: n_ctx, n_vocab, n_chunk.
HEADER_BYTES = 20
#: The largest vocabulary read: beyond any model's (256k today), far below what would not fit a row.
MAX_VOCABULARY = 1 << 24
_REMAKE = "make it again with llama-perplexity --kl-divergence-base FILE"
_CHANGED = ("the file changed while being read (another program wrote to it meanwhile)",
            "run divcli again once the file is written")


@dataclass(frozen=True)
class Layout:
    """A dump's header and the sizes it implies."""

    n_ctx: int
    n_vocab: int
    n_chunk: int

    @property
    def first(self) -> int:
        """The chunk's first scored position (counted from 0)."""
        return self.n_ctx // 2

    @property
    def per_chunk(self) -> int:
        """The positions a chunk scores."""
        return self.n_ctx - 1 - self.first

    @property
    def positions(self) -> int:
        return self.per_chunk * self.n_chunk

    @property
    def record(self) -> int:
        """The uint16s of one position's record."""
        return 2 * ((self.n_vocab + 1) // 2) + 4

    @property
    def records_start(self) -> int:
        return HEADER_BYTES + 4 * self.n_chunk * self.n_ctx

    @property
    def size(self) -> int:
        """The file's length in bytes."""
        return self.records_start + 2 * self.record * self.positions

    def where(self, token: int) -> str:
        """Token ``token`` of the text (from 0) as the chunk and index the tool counts."""
        return f"token {token + 1:,} of the text: chunk {token // self.n_ctx + 1}, token {token % self.n_ctx + 1} of {self.n_ctx}"

    def first_position(self, token: int) -> int:
        """The first position (from 1) whose distribution depends on token ``token`` (from 0): the one it
        is the label of, or for a token of a chunk's context its chunk's first position."""
        chunk, index = divmod(token, self.n_ctx)
        return chunk * self.per_chunk + max(index - self.first - 1, 0) + 1


def _layout(handle: BinaryIO, name: str, size: int) -> Layout:
    """The header of the dump ``handle`` (``size`` bytes), checked against the file's length."""
    head = handle.read(HEADER_BYTES)
    if head[:8] != MAGIC:
        raise DataError(name, "not a llama.cpp KL-divergence dump (it does not start with _logits_)",
                        "give the file llama-perplexity --kl-divergence-base FILE wrote")
    if len(head) < HEADER_BYTES:
        raise DataError(name, f"cut short in its header ({len(head)} bytes of {HEADER_BYTES})", _REMAKE)
    n_ctx, n_vocab, n_chunk = (int(value) for value in np.frombuffer(head, dtype="<i4", offset=8))
    if n_ctx < 3:
        raise DataError(name, f"the header says a context of {n_ctx} tokens, which scores no position "
                              "(llama-perplexity scores the second half of each chunk of -c tokens)", _REMAKE)
    if not 1 <= n_vocab <= MAX_VOCABULARY:
        raise DataError(name, f"the header says a vocabulary of {n_vocab:,} tokens (divcli reads 1 to "
                              f"{MAX_VOCABULARY:,})", _REMAKE)
    if n_chunk < 1:
        raise DataError(name, f"the header says {n_chunk} chunks: it holds no position", _REMAKE)
    layout = Layout(n_ctx, n_vocab, n_chunk)
    _check_size(layout, name, size)
    return layout


def _check_size(layout: Layout, name: str, size: int) -> None:
    """The file holds exactly what its header says: the tokens, then every chunk's records."""
    said = f"n_ctx {layout.n_ctx}, n_vocab {layout.n_vocab}, n_chunk {layout.n_chunk}"
    if size < layout.records_start:
        raise DataError(name, f"cut short: its header ({said}) says {layout.n_chunk * layout.n_ctx:,} tokens "
                              f"({4 * layout.n_chunk * layout.n_ctx:,} bytes) but only {size - HEADER_BYTES:,} "
                              "bytes follow it", _REMAKE)
    if size < layout.size:
        chunk_bytes = 2 * layout.record * layout.per_chunk
        whole = (size - layout.records_start) // chunk_bytes
        raise DataError(name, f"cut short: it holds the log-probs of {whole} of its {layout.n_chunk} chunks "
                              f"({size:,} bytes of {layout.size:,}; {said})",
                        f"llama-perplexity may have stopped before the end: {_REMAKE}")
    if size > layout.size:
        raise DataError(name, f"{size - layout.size:,} bytes more than its header ({said}) says it holds "
                              f"({layout.size:,} bytes)", _REMAKE)


class KldBlocks:
    """A dump's positions, a block at a time: each row one position's dequantised log-probs
    (float64), in the order of the file (chunk after chunk); :attr:`tokens` the text, read whole
    (4 bytes a token), and :meth:`labels` the token each position predicts."""

    may_wait = False
    light = True  # a read of the file's bytes

    def __init__(self, handle: BinaryIO, name: str, layout: Layout):
        self.handle, self.name, self.layout = handle, name, layout
        self.stamp = self._stamp()
        self.rows, self.width = layout.positions, layout.n_vocab
        self.tokens = np.frombuffer(self._read(HEADER_BYTES, layout.records_start - HEADER_BYTES), dtype="<i4")
        outside = (self.tokens < 0) | (self.tokens >= layout.n_vocab)
        if outside.any():
            token = int(np.argmax(outside))
            raise DataError(name, f"{layout.where(token)} is {self.tokens[token]}, not an id of its vocabulary of "
                                  f"{layout.n_vocab:,} tokens", _REMAKE)
        self.next = 0

    def _stamp(self) -> tuple[int, int]:
        status = os.fstat(self.handle.fileno())
        return status.st_size, status.st_mtime_ns

    def _read(self, offset: int, count: int) -> bytes:
        """``count`` bytes from ``offset``; the file must not have changed since it was opened."""
        if self._stamp() != self.stamp:
            raise DataError(self.name, *_CHANGED)
        parts, got = [], 0
        while got < count:
            part = self._pread(min(count - got, 1 << 30), offset + got)
            if not part:
                raise DataError(self.name, *_CHANGED)
            parts.append(part)
            got += len(part)
        return b"".join(parts)

    def _pread(self, size: int, offset: int) -> bytes:
        if hasattr(os, "pread"):
            return os.pread(self.handle.fileno(), size, offset)
        self.handle.seek(offset)  # Windows: no pread; these blocks are read by one thread at a time
        return self.handle.read(size)

    def labels(self) -> np.ndarray:
        """The token each position predicts (int64, one a position)."""
        layout = self.layout
        text = self.tokens.reshape(layout.n_chunk, layout.n_ctx)
        return text[:, layout.first + 1:].ravel().astype(np.int64)

    def read(self, rows: int, max_values: int | None = None) -> Operand | None:
        if self.exhausted():
            return None
        start = self.next
        stop = min(start + bounded_rows(rows, self.width, max_values), self.rows)
        record = self.layout.record
        raw = self._read(self.layout.records_start + 2 * record * start, 2 * record * (stop - start))
        records = np.frombuffer(raw, dtype="<u2").reshape(stop - start, record)
        self.next = stop
        return Operand(self._dequantised(records, start), self.name, first_row=start)

    def _dequantised(self, records: np.ndarray, start: int) -> np.ndarray:
        """minimum + scale·value of each record, in float64; a scale or minimum that is not a
        finite number (a corrupted record) is an error naming its position."""
        scale, minimum = np.ascontiguousarray(records[:, :4]).view("<f4").astype(np.float64).T
        wrong = ~(np.isfinite(scale) & np.isfinite(minimum) & (scale >= 0))
        if wrong.any():
            row = int(np.argmax(wrong))
            raise DataError(f"{self.name}: position {start + row + 1}",
                            f"a record whose scale ({float(scale[row])!r}) or minimum ({float(minimum[row])!r}) is not a "
                            "log-prob's (a finite number, the scale ≥ 0)", _REMAKE)
        values = records[:, 4:4 + self.width].astype(np.float64)
        values *= scale[:, None]
        values += minimum[:, None]
        return values

    def exhausted(self) -> bool:
        return self.next >= self.rows

    def position(self) -> tuple[int, int | None]:
        """How far the reading is: (done, total) in positions."""
        return self.next, self.rows

    def close(self) -> None:
        self.handle.close()


def is_dump(spec: str) -> bool:
    """Whether ``spec`` names a local dump: a ``.kld`` file, or any file that starts with ``_logits_``."""
    if spec == STDIN or not os.path.isfile(spec):
        return False
    if spec.lower().endswith(".kld"):
        return True
    try:
        with open(spec, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False


def kld_blocks(path: str, name: str | None = None) -> KldBlocks:
    """The blocks of the dump at ``path``, its header and tokens checked."""
    name = name or path
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the blocks' close()
    except OSError as error:
        raise DataError(name, f"cannot read: {error.strerror or error}") from None
    try:
        return KldBlocks(handle, name, _layout(handle, name, os.fstat(handle.fileno()).st_size))
    except BaseException:
        handle.close()
        raise


def dump_labels(operands: list) -> Operand | None:
    """The labels of the dumps among ``operands`` (P and Q): the tokens each position predicts, as
    one column of ids named after the dump (P's when both are dumps, which must then have been
    computed on the same text: :func:`same_text`); None when neither is a dump."""
    dumps = [blocks for blocks in operands if isinstance(blocks, KldBlocks)]
    if len(dumps) == 2:
        same_text(*dumps)
    if not dumps:
        return None
    return Operand(dumps[0].labels().astype(np.float64)[:, None], dumps[0].name, integer_vector=True)


def same_text(p: KldBlocks, q: KldBlocks) -> None:
    """P's and Q's dumps hold the same positions: the same vocabulary, context and text (the first
    token that differs named, with the first position it changes), and as many chunks."""
    a, b = p.layout, q.layout
    if a.n_vocab != b.n_vocab:
        raise DataError("", f"P has a vocabulary of {count_of(a.n_vocab, 'token', 'tokens')} ({p.name}) but Q has "
                            f"{b.n_vocab} ({q.name})", "compare dumps of models with the same vocabulary (tokenizer)")
    if a.n_ctx != b.n_ctx:
        raise DataError("", f"P was computed with a context of {a.n_ctx} tokens ({p.name}) but Q with {b.n_ctx} "
                            f"({q.name}): their positions differ from position 1 on",
                        "run llama-perplexity with the same -c for both models")
    common = min(a.n_chunk, b.n_chunk) * a.n_ctx
    differ = p.tokens[:common] != q.tokens[:common]
    if differ.any():
        token = int(np.argmax(differ))
        raise DataError("", f"P and Q were computed on different texts from position {a.first_position(token)} on: "
                            f"{a.where(token)} is {p.tokens[token]} in P ({p.name}) but {q.tokens[token]} in Q "
                            f"({q.name})", "run llama-perplexity on the same text file, with the same -c, for both models")
    if a.n_chunk != b.n_chunk:
        (short_role, short, short_name), (long_role, long, long_name) = sorted(
            [("P", a, p.name), ("Q", b, q.name)], key=lambda side: side[1].n_chunk)
        raise DataError("", f"{short_role} has {count_of(short.positions, 'position', 'positions')} ({short_name}: "
                            f"{count_of(short.n_chunk, 'chunk', 'chunks')}) but {long_role} has {long.positions} "
                            f"({long_name}: {long.n_chunk}): position {short.positions + 1} is missing from {short_role}",
                        "run llama-perplexity with the same --chunks for both models")
