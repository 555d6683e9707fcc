"""Telling top-k log-probs from rows by the first line, and standard input read again after: a pipe's
bytes replayed whole whatever it holds, a file's sought back."""

from __future__ import annotations

import io
import json

import pytest

from divcli.readers.listed_input import listed_shape, stdin_shape

CHAT = json.dumps({"choices": [{"logprobs": {"content": [{"token": "a", "logprob": -0.1,
                                                         "top_logprobs": [{"token": "a", "logprob": -0.1}]}]}}]})


class Pipe(io.RawIOBase):
    """A pipe that gives at most ``chunk`` bytes a read, and cannot seek."""

    def __init__(self, data: bytes, chunk: int = 3):
        self.data, self.chunk = data, chunk

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        size = min(len(buffer), self.chunk, len(self.data))
        buffer[:size] = self.data[:size]
        self.data = self.data[size:]
        return size


@pytest.mark.parametrize("data, shape", [
    (b'{"top_logprobs": {"a": -0.1}}\n{"top_logprobs": {"b": -0.2}}\n', "simple"),
    (b"\xef\xbb\xbf\n\n  " + CHAT.encode() + b"\n", "chat"),
    (CHAT.encode(), "chat"),  # one line, no line end
    (b'{"choices": [{"text": "", "logprobs": {"tokens": []}}]}\n', "completions"),
    (b"0.1,0.9\n0.5,0.5\n", None),
    (b'{"a": 0.1, "b": 0.9}\n{"a": 0.5, "b": 0.5}\n', None),  # JSON Lines of rows
    (b"[[0.1, 0.9]]", None),
    (b"\x93NUMPY\x01\x00", None),
    (b"", None),
])
def test_a_pipe_is_told_and_read_again_whole(data, shape):
    found, stream = stdin_shape(io.BufferedReader(Pipe(data), buffer_size=4))
    assert found == shape
    assert stream.read() == data


def test_a_file_is_sought_back_to_where_it_was(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"skipped\n" + CHAT.encode() + b"\n")
    with open(path, "rb") as stream:
        stream.readline()
        found, same = stdin_shape(stream)
        assert found == "chat" and same is stream and stream.read() == CHAT.encode() + b"\n"
    assert listed_shape(str(path)) is None  # its first line is not one
    assert listed_shape(str(tmp_path)) is None and listed_shape("-") is None
