"""Hostile inputs (issue 13, items 3, 4 and 6): endless, binary and malformed operands.

Real files in tmp_path, /dev/zero and /dev/urandom as operands and piped to standard input, endless
lines fed through a pipe, and malformed .npy/.npz/Parquet files made here with numpy, zipfile and
pyarrow. Every case checks the exit code and the message; the subprocess cases also that the program
ended within seconds and that its peak memory (its own VmHWM from /proc, reported as it exits;
ru_maxrss would keep the forking pytest's) stayed bounded.
"""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest

import divcli
from divcli.readers import parquet, source, textblocks
from divcli.readers.reading import open_blocks
from divcli.readers.textblocks import TextBlocks
from divcli.errors import DataError
from helpers.as_nobody import divcli_as_nobody, needs_root
from helpers.extras import needs, needs_dask

#: endless and malformed inputs, many to whole programs in subprocesses: make test-fast leaves them out
pytestmark = pytest.mark.slow

MiB = 1 << 20

#: divcli in a child that reports its own peak resident memory on stderr as it exits. Its first
#: argument is the folder of the divcli under test, put first on its path: ``python -c`` puts the
#: working directory there, where another checkout's divcli would be measured instead.
MEASURED = """
import atexit, os, sys
sys.path.insert(0, sys.argv.pop(1))
def peak():  # VmHWM: this program's own peak (ru_maxrss keeps the forking parent's across exec)
    kib = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
    os.write(2, b"\\nMAXRSS %s\\n" % kib.encode())
atexit.register(peak)
sys.argv = ["divcli"] + sys.argv[1:]
from divcli.cli import main
main()
"""


def measured(*args, stdin=subprocess.DEVNULL, feed=None, timeout=60, env=None):
    """(exit code, stderr without the report, seconds, peak MiB, stdout) of divcli run with ``args``;
    ``feed``: a function writing to its standard input (a pipe) until the pipe breaks; ``env``:
    variables set for the child on top of this process's."""
    start = time.monotonic()
    under_test = str(Path(divcli.__file__).resolve().parents[1])
    child = subprocess.Popen([sys.executable, "-c", MEASURED, under_test, *map(str, args)],
                             stdin=subprocess.PIPE if feed else stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             env=None if env is None else {**os.environ, **env})
    if feed:
        threading.Thread(target=feed, args=(child.stdin,), daemon=True).start()
    try:
        if feed:  # communicate() would close the pipe being fed; the outputs here are a line or two
            child.wait(timeout=timeout)
            out, err = child.stdout.read(), child.stderr.read()
        else:
            out, err = child.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        child.kill()
        child.wait()
        raise AssertionError(f"divcli {args} still running after {timeout} s") from None
    seconds = time.monotonic() - start
    text = err.decode("utf-8", "replace")
    found = re.search(r"\nMAXRSS (\d+)\n$", text)
    assert found, text
    return child.returncode, text[:found.start()], seconds, int(found.group(1)) / 1024, out


def assert_refused(result, name, words, mib=300.0):
    """Refused in one line, in bounded memory; a hang (an endless input read to its end) fails by
    :func:`measured`'s timeout, not by a time bound here: speed is measured in benchmarks/."""
    code, err, _, peak, out = result
    assert code == 1 and out == b"", err
    assert "Traceback" not in err and err.count("\n") == 1, err
    assert err.startswith(f"Error: {name}") and words in err, err
    assert peak < mib, f"{peak:.0f} MiB"


def endless(piece: bytes):
    def feed(pipe):
        block = piece * (MiB // len(piece))
        try:
            while True:
                pipe.write(block)
        except (BrokenPipeError, ValueError, OSError):
            pass
    return feed


# --------------------------------------------------------------------------------------------
# endless and binary streams, refused at once in bounded memory


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_as_an_operand_is_refused_at_once(device):
    assert_refused(measured("kl", device, "0.5,0.5"), device, "binary file, not text (a NUL byte at byte")


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/urandom"])
def test_device_on_standard_input_is_refused_at_once(device):
    cat = subprocess.Popen(["cat", device], stdout=subprocess.PIPE)
    try:
        result = measured("kl", "-", "0.5,0.5", stdin=cat.stdout)
    finally:
        cat.kill()
        cat.wait()
    assert_refused(result, "<stdin>", "binary file, not text (a NUL byte at byte")


def test_device_as_standard_input_itself_is_refused(tmp_path):
    with open("/dev/zero", "rb") as zero:
        assert_refused(measured("entropy", "-", stdin=zero), "<stdin>", "binary file, not text (a NUL byte at byte 1)")


@pytest.mark.parametrize("name", ["zeros.csv", "zeros.tsv", "zeros.txt", "zeros.jsonl", "zeros.json", "zeros"])
def test_nul_filled_file_is_refused_on_its_first_bytes(tmp_path, name):
    path = tmp_path / name
    with open(path, "wb") as handle:
        handle.truncate(100 * MiB)  # 100 MiB of NUL bytes (sparse)
    assert_refused(measured("entropy", path), str(path), "binary file, not text (a NUL byte at byte 1)")


def test_nul_after_good_rows_is_refused_where_it_is(tmp_path):
    path = tmp_path / "late.csv"
    with open(path, "wb") as handle:
        handle.write(b"0.5,0.5\n" * 1000)
        handle.truncate(60 * MiB)
    assert_refused(measured("entropy", path), str(path), "a NUL byte at byte 8,001")


def test_endless_line_is_refused_at_the_cap():
    """256 MiB of one line, no line end: refused, holding about twice the cap at the most."""
    assert_refused(measured("kl", "-", "0.5,0.5", feed=endless(b"0.5,")), "<stdin>:1",
                   f"a line longer than {source.size_text(textblocks.MAX_LINE_BYTES)} (no line end found)", mib=800)


def test_endless_json_document_is_refused_at_the_cap():
    assert_refused(measured("entropy", "-", feed=endless(b"[0.5, 0.5],\n")), "<stdin>",
                   "more than 256 MiB to read whole from a pipe or device", mib=800)


class Endless(io.RawIOBase):
    """A stream that never ends (a pipe, not a regular file)."""

    def __init__(self, head: bytes, piece: bytes):
        self.head, self.piece = head, piece

    def readable(self):
        return True

    def readinto(self, buffer):
        data = self.head or self.piece * (len(buffer) // len(self.piece) or 1)
        self.head = b""
        size = min(len(buffer), len(data))
        buffer[:size] = data[:size]
        return size


@pytest.mark.parametrize("head, piece, words", [
    (b"", b"0.25,", "endless.csv:1: a line longer than 8 MiB (no line end found)"),
    (b"0.5,0.5\n", b"0.25,", "endless.csv:2: a line longer than 8 MiB (no line end found)"),
    (b"0.5,0.5\n", b"\n", "endless.csv:2: no row in more than 8 MiB"),
    (b"", b" \n", "endless.csv:1: no row in more than 8 MiB"),
])
def test_text_blocks_hold_at_most_twice_the_cap(monkeypatch, head, piece, words):
    monkeypatch.setattr(textblocks, "MAX_LINE_BYTES", 8 * MiB)
    reader = TextBlocks(io.BufferedReader(Endless(head, piece)), "endless.csv", ",", False)
    with pytest.raises(DataError) as error:
        while reader.read(256) is not None:
            pass
    assert words in str(error.value)
    assert len(reader.ahead) <= 2 * 8 * MiB + len(head)


def test_a_device_operand_is_streamed_like_standard_input(tmp_path):
    """A FIFO (as <(…) gives) is read block by block, never whole."""
    fifo = tmp_path / "rows"
    os.mkfifo(fifo)

    def writer():
        with open(fifo, "wb") as pipe:
            pipe.write(b"0.5,0.5\n" * 10)

    threading.Thread(target=writer, daemon=True).start()
    reader = open_blocks(str(fifo), sys.stdin.buffer)
    try:
        assert isinstance(reader, TextBlocks)
        assert reader.read(100).values.tolist() == [[0.5, 0.5]] * 10
    finally:
        reader.close()


@pytest.mark.slow
def test_wide_line_is_read_in_time_and_memory_proportional_to_it(tmp_path):
    """A 10 MB line of 450,000 classes (repr'd numbers); 57 MB was measured by hand (see the report)."""
    values = np.random.default_rng(0).random(450_000)
    values /= values.sum()
    path = tmp_path / "wide.csv"
    path.write_text(",".join(map(repr, values.tolist())) + "\n")
    assert path.stat().st_size > 9_000_000
    code, err, _, peak, out = measured("entropy", path, "-f", "json")  # a quadratic parse hangs: the timeout
    assert code == 0, err
    assert json.loads(out)["value"] > 0
    assert peak < 300, f"{peak:.0f} MiB"


def test_wide_line_gives_the_same_numbers_as_numpy(run, tmp_path):
    values = np.random.default_rng(1).random(20_000)
    values /= values.sum()
    path = tmp_path / "wide.csv"
    path.write_text(",".join(map(repr, values.tolist())) + "\n")
    result = run("entropy", path, "-f", "json")
    assert result.exit_code == 0, result.stderr
    expected = -np.sum(values * np.log(values))
    assert json.loads(result.stdout)["value"] == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------------
# malformed binary files: one line naming the file and the problem, exit 1


def _npy_bytes(array=None) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, np.array([[0.5, 0.5], [0.25, 0.75]]) if array is None else array)
    return buffer.getvalue()


def _header(shape) -> bytes:
    buffer = io.BytesIO()
    np.lib.format.write_array_header_1_0(buffer, {"descr": "<f8", "fortran_order": False, "shape": shape})
    return buffer.getvalue()


def _npz(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return buffer.getvalue()


GOOD = _npy_bytes()
#: name → (file bytes, the words of the message: divcli's, never numpy's or zipfile's own, which change
#: between their versions)
MALFORMED = {
    "corrupted-header.npy": (GOOD[:10] + b"{'descr': '<f8, 'shape': (2, 2)" + b" " * 86 + b"\n" + GOOD[128:],
                             "a corrupted .npy header (numpy cannot parse it: "),
    "unparsable-header.npy": (GOOD.replace(b"'descr'", b"'de\"scr"), "a corrupted .npy header"),
    "unknown-version.npy": (GOOD[:6] + b"ga" + GOOD[8:], "a .npy file of format version 103.97, which divcli does not"),
    "huge-shape.npy": (_header((10 ** 23, 2)), "the header says shape (100000000000000000000000, 2) of float64"),
    "cut-short.npy": (GOOD[:-8], "(32 bytes) but only 24 bytes follow it"),
    "not-npy.npy": (b"0.5,0.5\n", "not a .npy file (it does not start with \\x93NUMPY)"),
    "objects.npy": (_npy_bytes(np.array([{"a": 1}, None], dtype=object)),
                    "holds Python objects (object), which divcli never loads"),
    "truncated.npz": (_npz({"p.npy": GOOD})[:60], "a broken .npz (zip) archive ("),
    "pk-not-zip.npz": (b"PK\x03\x04 and then no zip at all", "a broken .npz (zip) archive"),
    "text.npz": (b"0.5,0.5\n", "not a .npz file (not a zip archive)"),
    "member-not-npy.npz": (_npz({"p.txt": b"0.5,0.5"}), "the member 'p.txt' is not a .npy array"),
    "member-garbage.npz": (_npz({"p.npy": b"hello"}), "not a .npy file"),
    "member-cut-short.npz": (_npz({"p.npy": GOOD[:-8]}), "but only 24 bytes follow it"),
}


def _shown_name(path, name):
    return f"{path}:p" if name.endswith(".npz") and name.startswith("member") else str(path)


@pytest.mark.parametrize("name", MALFORMED)
def test_malformed_numpy_file(run, tmp_path, name):
    data, words = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(data)
    result = run("entropy", path)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    shown = f"{path}:p.txt" if name == "member-not-npy.npz" else _shown_name(path, name)
    assert result.stderr.startswith(f"Error: {shown}: ") and words in result.stderr, result.stderr


@pytest.mark.parametrize("name", [name for name in MALFORMED if name.endswith(".npy")])
def test_malformed_npy_shard_gives_the_same_message_on_dask(run, tmp_path, name):
    _engine_needs(["--engine", "dask"])
    data, words = MALFORMED[name]
    path = tmp_path / name
    path.write_bytes(data)
    local = run("entropy", path)
    dask = run("entropy", path, "--engine", "dask")
    assert dask.exit_code == 1 and dask.stdout == "" and "Traceback" not in dask.stderr
    assert words in dask.stderr and dask.stderr == local.stderr


@needs_root
def test_unreadable_npy_names_the_real_cause(open_dir):
    path = os.path.join(open_dir, "locked.npy")
    with open(path, "wb") as handle:
        handle.write(GOOD)
    os.chmod(path, 0o600)
    result = divcli_as_nobody("entropy", path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == f"Error: {path}: cannot read: Permission denied\n"


def _engine_needs(engine: list[str]) -> None:
    """--engine dask runs on the Dask extra: without it the test is skipped."""
    if engine:
        needs_dask()


def _parquet(path, table):
    needs("pyarrow.parquet").write_table(table, path)
    return path


def test_fixed_size_list_column_is_read_as_rows(run_json, tmp_path):
    pa = needs("pyarrow")
    rows = [[0.5, 0.5], [0.25, 0.75], [0.125, 0.875]]
    fixed = _parquet(tmp_path / "fixed.parquet", pa.table({"p": pa.array(rows, type=pa.list_(pa.float64(), 2))}))
    listed = _parquet(tmp_path / "list.parquet", pa.table({"p": pa.array(rows, type=pa.list_(pa.float64()))}))
    got = run_json("entropy", fixed, "--reduction", "none")
    assert got["rows"] == run_json("entropy", listed, "--reduction", "none")["rows"]
    assert got["value"] == pytest.approx([-sum(v * np.log(v) for v in row) for row in rows])


def test_fixed_size_list_with_a_null_row_is_located(run, tmp_path):
    pa = needs("pyarrow")
    path = _parquet(tmp_path / "fixed.parquet",
                    pa.table({"p": pa.array([[0.5, 0.5], None], type=pa.list_(pa.float64(), 2))}))
    result = run("entropy", path)
    assert result.exit_code == 1 and result.stderr == f"Error: {path}: row 2: a missing row (null)\n"


@pytest.mark.parametrize("engine", [[], ["--engine", "dask"]], ids=["local", "dask"])
def test_duplicate_parquet_column_names_are_refused(run, tmp_path, engine):
    pa = needs("pyarrow")
    _engine_needs(engine)
    path = _parquet(tmp_path / "dup.parquet", pa.table([pa.array([0.5, 0.25]), pa.array([0.5, 0.75])],
                                                      names=["cat", "cat"]))
    result = run("entropy", path, *engine)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {path}: two columns are named 'cat'; give every column its own name\n"


@pytest.mark.parametrize("engine", [[], ["--engine", "dask"]], ids=["local", "dask"])
@pytest.mark.parametrize("cut", [lambda data: data[:-30], lambda data: b"PAR1" + b"x" * 100 + b"PAR1"],
                         ids=["footer cut", "footer garbage"])
def test_broken_parquet_reasons_are_whole_sentences(run, tmp_path, engine, cut):
    """pyarrow's reason, in its own words (which change between its versions: compared with what this
    pyarrow says, not with a copy), as its first sentence on one line."""
    pa, pq = needs("pyarrow"), needs("pyarrow.parquet")
    _engine_needs(engine)
    good = _parquet(tmp_path / "good.parquet", pa.table({"a": [0.5, 0.25], "b": [0.5, 0.75]}))
    path = tmp_path / "bad.parquet"
    path.write_bytes(cut(good.read_bytes()))
    with pytest.raises(Exception) as raised:  # noqa: PT011 - whatever pyarrow raises for it
        pq.ParquetFile(path)
    reason = parquet.arrow_reason(raised.value)
    assert reason and "\n" not in reason and not reason.endswith(".")
    result = run("entropy", path, *engine)
    assert result.exit_code == 1 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr == f"Error: {path}: not a Parquet file pyarrow can read ({reason})\n"


def test_arrow_reason_keeps_the_first_sentence_whole():
    pa = needs("pyarrow")
    error = pa.ArrowInvalid("Parquet magic bytes not found in footer. Either the file is corrupted or this "
                            "is not a parquet file.\nmore")
    assert parquet.arrow_reason(error) == "Parquet magic bytes not found in footer"
    assert parquet.arrow_reason(pa.ArrowInvalid("x" * 400)) == "ArrowInvalid: message too long to show"


# --------------------------------------------------------------------------------------------
# the fuzzer's corpus of hostile files


CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz_corpus")


def test_fuzz_corpus_holds_the_hostile_files_small():
    names = sorted(os.listdir(CORPUS))
    assert {"nul.csv", "corrupted-header.npy", "truncated.npz", "broken.parquet"} <= set(names)
    assert all(os.path.getsize(os.path.join(CORPUS, name)) <= 8192 for name in names)


@pytest.mark.parametrize("name", sorted(os.listdir(CORPUS)) if os.path.isdir(CORPUS) else ["missing"])
def test_every_corpus_file_is_refused_or_read_without_a_traceback(run, name):
    result = run("entropy", os.path.join(CORPUS, name))
    assert result.exit_code in (0, 1) and "Traceback" not in result.stderr
    assert result.exit_code == 0 or result.stderr.startswith(f"Error: {os.path.join(CORPUS, name)}")
