"""Inputs that change while they are read, cost far more than their size, or are the same stream twice.

A ``.npy`` file cut short by another program while divcli reads it, an ``.npz`` member that unpacks
to hundreds of MB of zeros, one FIFO or standard input named as two operands, delimiter-only lines by
the megabyte: each ends in one line on stderr, in bounded time and memory.
"""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from helpers.extras import needs

import divcli
from divcli.readers import sizes

#: where the divcli under test is imported from (the child imports the same)
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(divcli.__file__)))
MiB = 1 << 20

#: divcli in a child that reports its own peak resident memory (VmHWM) on stderr as it exits; with
#: ``--cut-after-first-block PATH KEEP`` first, PATH is cut to KEEP bytes once its first block is read,
#: as another program rewriting the file would.
DRIVER = """
import atexit, os, sys
def peak():
    kib = next(line.split()[1] for line in open("/proc/self/status") if line.startswith("VmHWM"))
    os.write(2, b"\\nMAXRSS %s\\n" % kib.encode())
atexit.register(peak)
args = sys.argv[1:]
if args[0] == "--cut-after-first-block":
    path, keep, args = args[1], int(args[2]), args[3:]
    from divcli.readers import reading
    opened = reading.open_blocks
    def open_blocks(spec, *rest, **named):
        blocks = opened(spec, *rest, **named)
        if spec == path:
            read = blocks.read
            def read_then_cut(*a, **k):
                block = read(*a, **k)
                os.truncate(path, keep)
                return block
            blocks.read = read_then_cut
        return blocks
    reading.open_blocks = open_blocks
sys.argv = ["divcli"] + args
from divcli.cli import main
main()
"""


def measured(*args, tmpdir=None, timeout=120):
    """(exit code, stderr without the report, seconds, peak MiB, stdout) of divcli run with ``args``."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    if tmpdir is not None:
        env["TMPDIR"] = str(tmpdir)
    start = time.monotonic()
    child = subprocess.run([sys.executable, "-c", DRIVER, *map(str, args)], stdin=subprocess.DEVNULL,
                           capture_output=True, env=env, timeout=timeout)
    seconds = time.monotonic() - start
    text = child.stderr.decode("utf-8", "replace")
    found = re.search(r"\nMAXRSS (\d+)\n$", text)
    peak = int(found.group(1)) / 1024 if found else float("nan")
    return child.returncode, text[:found.start()] if found else text, seconds, peak, child.stdout


# --------------------------------------------------------------------------------------------
# a .npy file cut short while it is read


@pytest.mark.parametrize("command", [["kl", "-q"], ["entropy", "-f", "csv"]])
def test_a_npy_cut_short_while_it_is_read_is_one_line_not_a_bus_error(tmp_path, command):
    rng = np.random.default_rng(1)
    values = rng.random((200_000, 16))
    path = tmp_path / "p.npy"
    np.save(path, values / values.sum(axis=1, keepdims=True))
    spool = tmp_path / "spool"
    spool.mkdir()
    operands = [path, path] if command[0] == "kl" else [path]
    code, err, _, _, out = measured("--cut-after-first-block", path, os.path.getsize(path) // 3,
                                    *command, *operands, tmpdir=spool)
    assert code == 1, (code, err)  # not -7 (SIGBUS, exit 135 in a shell)
    assert err == f"Error: {path}: the file changed while being read (another program wrote to it meanwhile); " \
                  "run divcli again once the file is written\n"
    assert out == b"" and os.listdir(spool) == []  # no half-written output left behind


def test_a_npy_read_whole_is_read_not_mapped(run, tmp_path, monkeypatch):
    """--columns reads an operand whole: from the file, the same numbers as numpy's, and no mapping."""
    values = np.array([[0.1, 0.2], [0.3, 0.4], [0.6, 0.4]])
    np.save(tmp_path / "p.npy", values)
    monkeypatch.setattr(np, "memmap", None)  # any use of it would fail
    result = run("entropy", tmp_path / "p.npy", "--columns", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    expected = [-(column * np.log(column)).sum() for column in values.T]
    assert [float(row[-1]) for row in rows] == pytest.approx(expected, rel=1e-12)


# --------------------------------------------------------------------------------------------
# an .npz member unpacked a block at a time, its declared size bounded


def _zeros_npz(path, rows: int, columns: int = 2) -> None:
    """An .npz whose member ``p`` is ``rows`` × ``columns`` float64 zeros, written without holding them."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(header, {"descr": "<f8", "fortran_order": False, "shape": (rows, columns)})
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        with archive.open("p.npy", "w", force_zip64=True) as member:
            member.write(header.getvalue())
            zeros, left = bytes(16 * MiB), rows * columns * 8
            while left:
                member.write(zeros[:min(left, len(zeros))])
                left -= min(left, len(zeros))


def test_a_zip_bomb_member_is_refused_at_its_first_block_in_bounded_memory(tmp_path):
    path = tmp_path / "bomb.npz"
    _zeros_npz(path, 16 * MiB)  # 256 MiB of zeros in about 256 KB
    assert os.path.getsize(path) < 2 * MiB
    code, err, _, peak, out = measured("entropy", path)
    assert code == 1 and out == b"" and err.count("\n") == 1, err
    assert err.startswith(f"Error: {path}:p: row 1: ") and "sums to 0" in err, err
    assert peak < 160, f"{peak:.0f} MiB"  # the member whole is 256 MiB


def test_an_npz_member_read_whole_must_fit_in_memory(run, tmp_path, monkeypatch):
    path = tmp_path / "bomb.npz"
    _zeros_npz(path, 4 * MiB)  # 64 MiB declared
    monkeypatch.setattr(sizes, "memory_available", lambda: 16 * MiB)
    result = run("entropy", path, "--columns")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith(f"Error: {path}:p: the header says shape (4194304, 2) of float64: 64 MiB as "
                                    "float64, more than the 16 MiB of memory available; save a smaller array")


def test_an_npz_member_streamed_gives_the_numbers_of_numpy(run, tmp_path):
    rng = np.random.default_rng(2)
    p = rng.random((3000, 5))
    p /= p.sum(axis=1, keepdims=True)
    np.savez_compressed(tmp_path / "p.npz", p=p, other=np.ones(3))
    result = run("entropy", f"{tmp_path / 'p.npz'}:p", "-f", "csv")
    assert result.exit_code == 0, result.stderr
    got = [float(line.split(",")[-1]) for line in result.stdout.splitlines()[1:]]
    assert got == pytest.approx(-(p * np.log(p)).sum(axis=1), rel=1e-12)


def test_an_npz_member_cut_short_inside_its_data_is_one_line(run, tmp_path):
    """A member whose zip entry is damaged after its header: found when the block is unpacked."""
    p = np.full((40_000, 4), 0.25)
    np.savez_compressed(tmp_path / "p.npz", p=p)
    data = bytearray((tmp_path / "p.npz").read_bytes())
    middle = len(data) // 2
    data[middle:middle + 64] = bytes(64)
    (tmp_path / "p.npz").write_bytes(bytes(data))
    result = run("entropy", tmp_path / "p.npz", "-q")
    assert result.exit_code == 1 and "Traceback" not in result.stderr and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {tmp_path / 'p.npz'}:p: ")


def test_an_empty_npz_says_it_holds_no_array(run, tmp_path):
    np.savez(tmp_path / "empty.npz")
    result = run("entropy", tmp_path / "empty.npz")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"Error: {tmp_path / 'empty.npz'}: the archive holds no array; " \
                            "save one with numpy.savez(file, name=array)\n"


# --------------------------------------------------------------------------------------------
# one stream named as two operands


def divcli(*args, stdin=subprocess.DEVNULL, input=None, timeout=30):
    """divcli in a child process (standard input a real descriptor, as in a shell)."""
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""))
    return subprocess.run([sys.executable, "-m", "divcli", *map(str, args)], input=input,
                          stdin=None if input is not None else stdin, capture_output=True, env=env, timeout=timeout)


@pytest.mark.parametrize("operands", [("-", "/dev/stdin"), ("/dev/fd/0", "-"), ("/dev/stdin", "/proc/self/fd/0")])
def test_standard_input_named_twice_is_refused_like_two_dashes(operands):
    result = divcli("kl", *operands, input=b"0.5,0.5\n")
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().endswith(f"Error: '{operands[0]}' and '{operands[1]}' both read standard input, "
                                           "which can stand for one operand only\n")


def test_one_fifo_as_both_operands_is_refused_not_waited_on(tmp_path):
    fifo = tmp_path / "p.fifo"
    os.mkfifo(fifo)
    result = divcli("kl", fifo, fifo, timeout=20)  # it waited forever
    assert result.returncode == 2 and result.stdout == b""
    assert result.stderr.decode().endswith(f"Error: '{fifo}' and '{fifo}' are the same pipe, which can stand "
                                           "for one operand only (it is read once)\n")


def test_a_fifo_as_the_third_operand_of_js_is_refused(tmp_path):
    fifo = tmp_path / "p.fifo"
    os.mkfifo(fifo)
    result = divcli("js", fifo, "0.5,0.5", fifo, timeout=20)
    assert result.returncode == 2 and b"are the same pipe, which can stand for one operand only" in result.stderr


def test_the_same_regular_file_twice_still_works(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("0.2,0.8\n0.5,0.5\n")
    os.link(path, tmp_path / "hard.csv")
    os.symlink(path, tmp_path / "soft.csv")
    for operands in [(path, path), (path, tmp_path / "hard.csv"), (tmp_path / "soft.csv", path)]:
        result = divcli("kl", "-q", *operands)
        assert result.returncode == 0 and float(result.stdout) == 0.0, result.stderr
    with open(path, "rb") as handle:  # standard input a regular file: '-' and the file are read apart
        result = divcli("kl", "-q", "-", path, stdin=handle)
    assert result.returncode == 0 and float(result.stdout) == 0.0, result.stderr
    with open(path, "rb") as handle:
        result = divcli("kl", "-q", "-", "/dev/stdin", stdin=handle)
    assert result.returncode == 0 and float(result.stdout) == 0.0, result.stderr


def test_a_device_named_twice_is_read_twice():
    result = divcli("kl", "/dev/null", "/dev/null")
    assert result.returncode == 1 and "no numbers found" in result.stderr.decode()


# --------------------------------------------------------------------------------------------
# blank lines by the megabyte: skipped in time linear in their size (no Python call a line)


BLANK_LAYOUTS = {
    "newlines first": "\n" * (16 * MiB) + "0.5,0.5\n0.2,0.8\n",
    "spaces and tabs first": " \t\r\n" * (4 * MiB) + "0.5,0.5\n0.2,0.8\n",
    "between rows": "0.5,0.5\n" + "\n" * (8 * MiB) + "0.2,0.8\n" + " \n" * (4 * MiB),
}


@pytest.mark.parametrize("layout", BLANK_LAYOUTS)
@pytest.mark.parametrize("how", [[], ["--columns", "--normalize"], ["-"]], ids=["blocks", "whole", "stdin"])
def test_megabytes_of_blank_lines_are_skipped_in_linear_time(run, tmp_path, layout, how):
    text = BLANK_LAYOUTS[layout]
    path = tmp_path / "p.csv"
    path.write_text(text)
    args = ["-"] if how == ["-"] else [path, *how]
    start = time.monotonic()
    result = run("entropy", *args, "-f", "csv", input=text if how == ["-"] else None)
    seconds = time.monotonic() - start
    assert result.exit_code == 0, result.stderr
    rows = [line.split(",") for line in result.stdout.splitlines()[1:]]
    columns = np.array([[0.5, 0.2], [0.5, 0.8]]) if "--columns" in how else np.array([[0.5, 0.5], [0.2, 0.8]])
    columns = columns / columns.sum(axis=1, keepdims=True)
    assert [float(row[-1]) for row in rows] == pytest.approx(-(columns * np.log(columns)).sum(axis=1), rel=1e-12)
    # a hang guard, not a speed claim (speed is measured in benchmarks/): skipping them was quadratic,
    # 1.5-4 s a MiB; now well under a second in all
    assert seconds < 120, f"{seconds:.1f} s for {len(text) / MiB:.0f} MiB"


def test_megabytes_of_delimiter_only_lines_are_an_error_at_the_first(run, tmp_path):
    path = tmp_path / "p.csv"
    path.write_text(",,,,\n" * (8 * MiB // 5) + "0.5,0.5\n")
    result = run("entropy", path, "-q")  # the error names line 1: nothing after it was read (29.5 s to skip them all, once)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == f"Error: {path}:1: a row of empty cells (only delimiters, no value); " \
                            "remove the line, or write its values\n"


# --------------------------------------------------------------------------------------------
# a null in a Parquet list column: its row and item, not its place in the flattened lists


@pytest.mark.parametrize("fixed", [False, True], ids=["list", "fixed-size list"])
@pytest.mark.parametrize("rows, row, item", [(3, 2, 2), (70_000, 69_001, 1)])
def test_a_null_in_a_parquet_list_column_is_placed_by_row_and_item(run, tmp_path, fixed, rows, row, item):
    pa, pq = needs("pyarrow"), needs("pyarrow.parquet")

    values = [[0.25, 0.5, 0.25] for _ in range(rows)]
    values[row - 1] = [0.25, 0.5, 0.25]
    values[row - 1][item - 1] = None
    path = tmp_path / "p.parquet"
    pq.write_table(pa.table({"p": pa.array(values, type=pa.list_(pa.float64(), 3) if fixed else pa.list_(pa.float64()))}),
                   path)
    for how in ([], ["--columns"]):
        result = run("entropy", path, "-q", *how)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr == f"Error: {path}: row {row}, item {item}: a missing value (null); " \
                                "every cell needs a number\n"


# --------------------------------------------------------------------------------------------
# JSON numbers beyond float64: refused at their line and column


@pytest.mark.parametrize("name, text, where, number", [
    ("p.json", "[[0.5, 0.5],\n [1e400, 1]]", "2:3", "1e400"),
    ("p.json", '{"a": 0.5, "b": -1E+400}', "1:17", "-1E+400"),
    ("p.jsonl", '{"a": 0.5, "b": 0.5}\n{"a": 1e400, "b": 1}\n', "2:7", "1e400"),
    ("p.jsonl", "[0.5, 0.5]\n[0.5,    1e999]\n", "2:10", "1e999"),
])
def test_a_json_number_beyond_float64_is_refused_at_its_line_and_column(run, tmp_path, name, text, where, number):
    path = tmp_path / name
    path.write_text(text)
    for operand, shown in ((path, str(path)), ("-", "<stdin>")):
        result = run("entropy", operand, "--p-as", "logits", "-q", input=text)
        assert result.exit_code == 1 and result.stdout == ""
        assert result.stderr == f"Error: {shown}:{where}: number too large for float64: '{number}'; " \
                                "float64 reaches about 1.8e308, and JSON has no infinity\n"


def test_a_json_number_that_underflows_is_warned_about_at_its_line_and_column(run, tmp_path):
    path = tmp_path / "p.json"
    path.write_text("[[0.5, 0.5, 0],\n [0.5, 0.5, 1e-400]]")
    result = run("entropy", path, "-q")
    assert result.exit_code == 0, result.stderr
    assert f"warning: {path}:2:13: '1e-400' underflows float64 to 0" in result.stderr


# --------------------------------------------------------------------------------------------
# the hostile files of this page in the fuzzer's corpus (each a few KB)


CORPUS = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz_corpus")


@pytest.mark.parametrize("name, words", [
    ("empty.npz", "empty.npz: the archive holds no array"),
    ("zeros-bomb.npz", "zeros-bomb.npz:p: row 1: this row sums to 0.0"),  # 4 MiB of zeros in 4 KB
    ("delimiters-only.csv", "delimiters-only.csv:1: a row of empty cells (only delimiters, no value)"),
    ("overflow.json", "overflow.json:2:3: number too large for float64: '1e400'"),
    ("list-null.parquet", "list-null.parquet: row 2, item 2: a missing value (null)"),
])
def test_corpus_files_are_refused_with_their_place(run, name, words):
    if name.endswith(".parquet"):
        needs("pyarrow")
    result = run("entropy", os.path.join(CORPUS, name))
    assert result.exit_code == 1 and result.stdout == "" and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {os.path.join(CORPUS, words)}"), result.stderr
