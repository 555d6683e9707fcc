"""Top-k log-probabilities as JSON Lines (``divcli lm``): at each token position a model's most likely
next tokens and their log-probabilities, one file per model, read a block of positions at a time.

Three shapes; a file's first line tells which it holds, and a later line of another shape is an error:

- ``simple``, divcli's own: one position a line, ``{"token": "…", "top_logprobs": {"tok": -0.12, …}}``
  (``token``, the token at that position, may be left out, or given with its ``logprob``);
- ``chat``: one response a line, whose ``choices[0].logprobs.content`` lists its positions in order,
  each ``{"token", "logprob", "top_logprobs": [{"token", "logprob"}, …]}`` (OpenAI's chat
  completions, and the servers that copy them: vLLM, llama.cpp);
- ``completions``: one response a line, whose ``choices[0].logprobs`` holds ``tokens``,
  ``token_logprobs`` and ``top_logprobs: [{"tok": lp, …}, …]`` (OpenAI's, vLLM's completions). A
  position whose ``top_logprobs`` is null (the first token of an echoed prompt: nothing predicts
  it) is left out.

A position's listed tokens are its top log-probs and its own token (the one sampled, or echoed)
where the line gives that token's log-prob: OpenAI gives −9999 for a
sampled token outside the top 20, a mark and not a value, which is left out. A token listed twice
with the same log-prob counts once; twice with different ones (two tokens that print the same) is
an error: the comparison is by the tokens' text.
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
from collections import deque
from dataclasses import dataclass, field
from typing import BinaryIO

from ..errors import DataError, printable
from .source import size_text, stream_status
from .textblocks import MAX_LINE_BYTES

SIMPLE, CHAT, COMPLETIONS = "simple", "chat", "completions"
#: Each shape as the heading and the messages name it.
SHAPE_NAMES = {SIMPLE: "top_logprobs lines", CHAT: "chat responses", COMPLETIONS: "completions responses"}
#: OpenAI's log-prob of a sampled token outside the top 20: "very unlikely", not a value.
UNLISTED = -9999.0

_HINTS = {
    SIMPLE: 'write one position a line: {"token": "…", "top_logprobs": {"token": log-prob, …}}',
    CHAT: "write one chat completion a line, asked for with logprobs: true and top_logprobs: k",
    COMPLETIONS: "write one completion a line, asked for with logprobs: k",
}


@dataclass
class Listed:
    """A block of one file's positions: each one's listed tokens (token → log-prob, in the order
    listed), its own token (None where it has none), and where it was written: the line, and for a
    response the position's place in it (from 0; −1 for the simple shape)."""

    name: str
    first: int  # the positions before this block
    tokens: list[dict[str, float]] = field(default_factory=list)
    own: list[str | None] = field(default_factory=list)
    lines: list[int] = field(default_factory=list)
    items: list[int] = field(default_factory=list)

    @property
    def rows(self) -> int:
        return len(self.tokens)

    def where(self, index: int) -> str:
        """``base.jsonl:3`` (a line a position) or ``base.jsonl:3, token 5 of the response``."""
        item = self.items[index]
        return f"{self.name}:{self.lines[index]}" + (f", token {item + 1} of the response" if item >= 0 else "")


# --------------------------------------------------------------------------------------------
# which shape


def shape_of(document) -> str | None:
    """The shape of one parsed line: a response (``choices``) by its ``logprobs``, a line with
    ``top_logprobs`` the simple shape; None when it is neither."""
    if not isinstance(document, dict):
        return None
    if "choices" in document:
        choice = _first_choice(document)
        logprobs = choice.get("logprobs") if isinstance(choice, dict) else None
        if isinstance(logprobs, dict):
            return CHAT if "content" in logprobs else COMPLETIONS
        return CHAT if isinstance(choice, dict) and "message" in choice else COMPLETIONS
    return SIMPLE if "top_logprobs" in document else None


# --------------------------------------------------------------------------------------------
# the blocks


class ListedBlocks:
    """One file (or stream) of top-k log-probs, a block of positions at a time: a response's positions
    are handed out in order, as many as asked for, the rest kept for the next block (memory: one
    line). ``offset``: the positions before this file's (a Dask shard's), which the blocks' count on from."""

    may_wait = False

    def __init__(self, path: str, shape: str, stream: BinaryIO | None = None, offset: int = 0):
        self.name = path
        self.shape = shape
        self.stream = open(path, "rb") if stream is None else stream
        status = stream_status(self.stream)
        self.size = status.st_size if status is not None and stat.S_ISREG(status.st_mode) else None
        self.offset = offset
        self.read_bytes = 0
        self.line = 0  # the last line read
        self.done = 0  # the positions handed out
        self.pending: deque = deque()  # positions read, not handed out: (tokens, own, line, item)
        self.ended = False

    def read(self, rows: int, max_values: int | None = None) -> Listed | None:
        """The next ``rows`` positions (fewer at the end), or None when there are none left."""
        while len(self.pending) < rows and self._more():
            pass
        if not self.pending:
            return None
        block = Listed(self.name, self.offset + self.done)
        for _ in range(min(rows, len(self.pending))):
            tokens, own, line, item = self.pending.popleft()
            block.tokens.append(tokens)
            block.own.append(own)
            block.lines.append(line)
            block.items.append(item)
        self.done += block.rows
        return block

    def exhausted(self) -> bool:
        while not self.pending and self._more():
            pass
        return not self.pending

    def position(self) -> tuple[int, int | None]:
        """How far the reading is: (done, total) in bytes."""
        return self.read_bytes, self.size or None

    def close(self) -> None:
        self.stream.close()

    def _more(self) -> bool:
        """Read the next line that is not blank and queue its positions; False at the end."""
        while not self.ended:
            raw = self.stream.readline(MAX_LINE_BYTES + 1)
            self.read_bytes += len(raw)
            if not raw:
                self.ended = True
                break
            self.line += 1
            if len(raw) > MAX_LINE_BYTES:
                raise DataError(f"{self.name}:{self.line}", f"a line longer than {size_text(MAX_LINE_BYTES)}",
                                "write one position (or one response) a line")
            if raw.strip():
                self.pending.extend((tokens, own, self.line, item) for tokens, own, item in self._positions(raw))
                return True
        return False

    def _positions(self, raw: bytes) -> list[tuple[dict[str, float], str | None, int]]:
        where = f"{self.name}:{self.line}"
        try:
            document = json.loads(raw, object_pairs_hook=_object)
        except UnicodeDecodeError:
            raise DataError(where, "not UTF-8 text", "write JSON Lines in UTF-8") from None
        except json.JSONDecodeError as error:
            raise DataError(where, f"not JSON: {error.msg} (column {error.colno})", _HINTS[self.shape]) from None
        except RecursionError:
            raise DataError(where, "JSON nested too deeply", _HINTS[self.shape]) from None
        shape = shape_of(document)
        if shape != self.shape:
            found = "another JSON value" if shape is None else f"one of the {SHAPE_NAMES[shape]}"
            raise DataError(where, f"{found}, but line 1 holds {SHAPE_NAMES[self.shape]}",
                            "write every line of a file in one shape")
        return _READERS[shape](document, where)


class _Repeated(dict):
    """A JSON object that names a key twice (``json`` keeps the last): its pairs as written, for
    :func:`_token_map` to refuse two different log-probs of one token."""

    pairs: list = []


def _object(pairs: list) -> dict:
    found = dict(pairs)
    if len(found) == len(pairs):
        return found
    found = _Repeated(found)
    found.pairs = pairs
    return found


def _items(listed: dict) -> list:
    """An object's (token, log-prob) pairs, a key named twice as often as it is written."""
    return listed.pairs if isinstance(listed, _Repeated) else listed.items()


def _first_choice(document: dict):
    choices = document.get("choices")
    return choices[0] if isinstance(choices, list) and choices else None


# --------------------------------------------------------------------------------------------
# each shape's positions


def _simple(document: dict, where: str) -> list[tuple[dict[str, float], str | None, int]]:
    listed = document["top_logprobs"]
    if not isinstance(listed, dict):
        raise DataError(where, f"top_logprobs is {_kind(listed)}, not an object of token: log-prob",
                        _HINTS[SIMPLE])
    own = document.get("token")
    _check_token(own, where, "token", optional=True)
    tokens = _token_map(_items(listed), where)
    if own is not None:
        _add_own(tokens, own, document.get("logprob"), where)
    return [(tokens, own, -1)]


def _chat(document: dict, where: str) -> list[tuple[dict[str, float], str | None, int]]:
    content = _logprobs(document, where, CHAT).get("content")
    if not isinstance(content, list):
        raise DataError(where, f"choices[0].logprobs.content is {_kind(content)}, not a list of positions",
                        _HINTS[CHAT])
    positions = []
    for item, entry in enumerate(content):
        place = f"{where}, token {item + 1} of the response"
        if not isinstance(entry, dict):
            raise DataError(place, f"a position is {_kind(entry)}, not an object", _HINTS[CHAT])
        top = entry.get("top_logprobs")
        try:
            pairs = [(pair["token"], pair["logprob"]) for pair in top]
        except (KeyError, TypeError):
            raise DataError(place, f"top_logprobs is {_kind(top)}, not a list of {{token, logprob}}",
                            _HINTS[CHAT]) from None
        tokens = _token_map(pairs, place)
        own = entry.get("token")
        _check_token(own, place, "token")
        _add_own(tokens, own, entry.get("logprob"), place)
        positions.append((tokens, own, item))
    return positions


def _completions(document: dict, where: str) -> list[tuple[dict[str, float], str | None, int]]:
    logprobs = _logprobs(document, where, COMPLETIONS)
    tops, own_tokens, own_logprobs = (logprobs.get(key) for key in ("top_logprobs", "tokens", "token_logprobs"))
    for key, value in (("top_logprobs", tops), ("tokens", own_tokens), ("token_logprobs", own_logprobs)):
        if not isinstance(value, list):
            raise DataError(where, f"choices[0].logprobs.{key} is {_kind(value)}, not a list", _HINTS[COMPLETIONS])
    if not len(tops) == len(own_tokens) == len(own_logprobs):
        raise DataError(where, f"choices[0].logprobs lists {len(own_tokens)} tokens, {len(own_logprobs)} "
                        f"token_logprobs and {len(tops)} top_logprobs", "give one of each a position")
    positions = []
    for item, (top, own, own_logprob) in enumerate(zip(tops, own_tokens, own_logprobs)):
        if top is None:  # the first token of an echoed prompt
            continue
        place = f"{where}, token {item + 1} of the response"
        if not isinstance(top, dict):
            raise DataError(place, f"top_logprobs is {_kind(top)}, not an object of token: log-prob",
                            _HINTS[COMPLETIONS])
        _check_token(own, place, "tokens[]")
        tokens = _token_map(_items(top), place)
        _add_own(tokens, own, own_logprob, place)
        positions.append((tokens, own, item))
    return positions


_READERS = {SIMPLE: _simple, CHAT: _chat, COMPLETIONS: _completions}


def _logprobs(document: dict, where: str, shape: str) -> dict:
    choice = _first_choice(document)
    if not isinstance(choice, dict):
        raise DataError(where, "a response without choices", _HINTS[shape])
    logprobs = choice.get("logprobs")
    if not isinstance(logprobs, dict):
        raise DataError(where, f"choices[0].logprobs is {_kind(logprobs)}: the response has no log-probs",
                        _HINTS[shape])
    return logprobs


def _token_map(pairs, where: str) -> dict[str, float]:
    """Token → log-prob, in the order listed: a repeat of the same pair counts once."""
    tokens: dict[str, float] = {}
    for token, value in pairs:
        if token.__class__ is not str or value.__class__ is not float or value != value:  # the usual, at once
            _check_token(token, where, "a token")
            value = _log_prob(value, token, where)
        known = tokens.setdefault(token, value)
        if known != value:
            raise DataError(where, f"token {_shown(token)} is listed twice, with log-probs {known!r} and {value!r}",
                            "divcli compares tokens by their text: ask the server for tokens that print "
                            "differently (vLLM: return_tokens_as_token_ids)")
    if not tokens:
        raise DataError(where, "no tokens listed", "ask for the top log-probs (top_logprobs: k, k ≥ 1)")
    return tokens


def _add_own(tokens: dict[str, float], own: str, logprob, where: str) -> None:
    """The position's own token with its log-prob, unless listed already or given no value."""
    if own in tokens or logprob is None or logprob == UNLISTED:
        return
    tokens[own] = _log_prob(logprob, own, where)


def _log_prob(value, token: str, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise DataError(where, f"the log-prob of token {_shown(token)} is {_kind(value)}, not a number",
                        "a log-prob is a number ≤ 0 (−Infinity for a probability of 0)")
    return float(value)


def _check_token(token, where: str, what: str, optional: bool = False) -> None:
    if not isinstance(token, str) and not (optional and token is None):
        raise DataError(where, f"{what} is {_kind(token)}, not a string", "give each token as its text")


def _kind(value) -> str:
    """A JSON value, in words: ``null``, a short value as written, else its type."""
    if isinstance(value, (dict, list)):
        return "an object" if isinstance(value, dict) else "a list"
    return json.dumps(value)[:40]


def _shown(token: str) -> str:
    return printable(json.dumps(token, ensure_ascii=False))


# --------------------------------------------------------------------------------------------
# the labels


def read_token_labels(path: str) -> list[str]:
    """The label of each position, a token's text, read whole: a JSON Lines file (``.jsonl``,
    ``.json``: a JSON string a line), a CSV file (``.csv``: one column, quoted as CSV quotes) or a
    text file (anything else: each line one token as written, its line end, ``\\n`` or
    ``\\r\\n``, left out)."""
    if not os.path.isfile(path):
        raise DataError(path, "not a file", "give the labels of top-k log-probs as a file of tokens, one a line")
    with open(path, "rb") as stream:
        data = stream.read()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise DataError(path, "not UTF-8 text", "write the tokens in UTF-8") from None
    lower = path.lower()
    if lower.endswith((".jsonl", ".json", ".ndjson")):
        return [_json_label(line, f"{path}:{number}") for number, line in enumerate(text.splitlines(), start=1)
                if line.strip()]
    if lower.endswith(".csv"):
        return _csv_labels(text, path)
    lines = text.split("\n")
    lines = lines[:-1] if text.endswith("\n") else lines
    return [line[:-1] if line.endswith("\r") else line for line in lines]


def _json_label(line: str, where: str) -> str:
    try:
        token = json.loads(line)
    except ValueError as error:
        raise DataError(where, f"not JSON: {error}", 'write one JSON string a line: " the"') from None
    if not isinstance(token, str):
        raise DataError(where, f"{_kind(token)} is not a token", 'write one JSON string a line: " the"')
    return token


def _csv_labels(text: str, path: str) -> list[str]:
    tokens = []
    for number, row in enumerate(csv.reader(io.StringIO(text, newline="")), start=1):
        if len(row) != 1:
            raise DataError(f"{path}:{number}", f"{len(row)} cells, not one token",
                            'quote a token that holds a comma: ","')
        tokens.append(row[0])
    return tokens
