"""Fault injection on the output (issue 13, "Nothing lost, nothing injected").

Real files, symlinks, FIFOs, sockets, device nodes made with os.mknod in a temporary folder, small
and read-only tmpfs mounts, /dev/full, RLIMIT_FSIZE, another uid, and signals sent to a real
``python -m divcli``. Every case checks the exit code, the message and what is on disk afterwards.
What needs root (mknod, mount, setuid) is skipped, with the reason shown, only when not root.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import shutil
import signal
import socket
import stat
import subprocess
import sys
import threading
import time

import pytest

from helpers.as_nobody import ROOT, divcli_as_nobody, needs_root
from helpers.extras import needs
from helpers.signals import signal_a_long_run

P, Q = "9/25,12/25,4/25", "1/3,1/3,1/3"
OLD = "the previous content\n" * 200  # 4,200 bytes: above the 1 KiB limits below


def leftovers(*folders) -> list[str]:
    return [name for folder in folders for name in os.listdir(folder) if name.startswith(".divcli-")]


def divcli(*args, input=None, env=None, preexec_fn=None, timeout=30) -> subprocess.CompletedProcess:
    """The real program in a subprocess (for what an in-process run cannot do: limits, uids)."""
    return subprocess.run([sys.executable, "-m", "divcli", *map(str, args)], input=input, capture_output=True,
                          text=True, env=env, preexec_fn=preexec_fn, timeout=timeout)


def assert_error(result, code: int, path, cause: str) -> None:
    """One line ``Error: PATH: cause`` on stderr, nothing on stdout, no traceback."""
    exit_code = getattr(result, "exit_code", getattr(result, "returncode", None))
    stderr = result.stderr
    assert exit_code == code, f"exit {exit_code}, stderr: {stderr!r}"
    assert result.stdout == ""
    assert "Traceback" not in stderr
    assert stderr == f"Error: {path}: {cause}\n", stderr


def big_csv(rows: int = 5000) -> str:
    return "".join(f"{(i % 7 + 1) / 10},{1 - (i % 7 + 1) / 10}\n" for i in range(rows))


# --------------------------------------------------------------------------------------------
# regular files: atomic, with the right mode, through symlinks


@pytest.mark.parametrize("mask, mode", [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_new_file_gets_the_umasks_mode(run, tmp_path, mask, mode):
    out = tmp_path / "out.txt"
    old = os.umask(mask)
    try:
        result = run("kl", P, Q, "-q", "-o", out)
    finally:
        os.umask(old)
    assert result.exit_code == 0 and result.stdout == ""
    assert stat.S_IMODE(out.stat().st_mode) == mode
    assert float(out.read_text()) > 0
    assert leftovers(tmp_path) == []


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o755])
def test_existing_file_keeps_its_mode(run, tmp_path, mode):
    out = tmp_path / "out.txt"
    out.write_text(OLD)
    out.chmod(mode)
    assert run("kl", P, Q, "-q", "-o", out).exit_code == 0
    assert stat.S_IMODE(out.stat().st_mode) == mode and out.read_text() != OLD
    assert leftovers(tmp_path) == []


def test_symlink_stays_a_symlink_and_its_target_is_written(run, tmp_path):
    real, links = tmp_path / "real", tmp_path / "links"
    real.mkdir()
    links.mkdir()
    target = real / "report.csv"
    target.write_text(OLD)
    target.chmod(0o640)
    link = links / "report.csv"
    link.symlink_to(target)
    assert run("kl", P, Q, "-f", "csv", "-o", link).exit_code == 0
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert next(csv.DictReader(io.StringIO(target.read_text())))["row"] == "1"
    assert stat.S_IMODE(target.stat().st_mode) == 0o640
    assert leftovers(real, links) == []


def test_dangling_symlink_creates_its_target(run, tmp_path):
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "new.txt")
    assert run("kl", P, Q, "-q", "-o", link).exit_code == 0
    assert link.is_symlink() and (tmp_path / "new.txt").read_text().strip()


def test_dash_is_standard_output(run, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("kl", P, Q, "-q", "-o", "-")
    assert result.exit_code == 0 and float(result.stdout) > 0
    assert os.listdir(tmp_path) == []


def test_svg_to_dash_with_table_on_stdout_is_refused(run):
    result = run("kl", P, Q, "--svg", "-")
    assert result.exit_code == 2 and "name the same file" in result.stderr


def test_svg_and_output_naming_one_file_through_a_symlink_are_refused(run, tmp_path):
    (tmp_path / "a.svg").write_text(OLD)
    (tmp_path / "b.svg").symlink_to(tmp_path / "a.svg")
    result = run("kl", P, Q, "-o", tmp_path / "a.svg", "--svg", tmp_path / "b.svg")
    assert result.exit_code == 2 and "name the same file" in result.stderr
    assert (tmp_path / "a.svg").read_text() == OLD


def test_svg_keeps_the_mode_of_the_picture(run, tmp_path):
    picture = tmp_path / "t.svg"
    picture.write_text(OLD)
    picture.chmod(0o604)
    result = run("kl", P, Q, "--svg", picture)
    assert result.exit_code == 0 and "D(P‖Q)" in result.stdout
    assert picture.read_text().startswith("<svg") and stat.S_IMODE(picture.stat().st_mode) == 0o604
    assert leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------
# paths that cannot be written: one line, exit 1, nothing changed


@pytest.mark.parametrize("given, cause", [
    ("", "No such file or directory"),
    ("newdir/", "Is a directory"),
    ("missing/out.txt", "No such file or directory"),
    (".", "Is a directory"),
])
def test_unwritable_paths(run, tmp_path, monkeypatch, given, cause):
    monkeypatch.chdir(tmp_path)
    assert_error(run("kl", P, Q, "-o", given), 1, given if given else "''", cause)
    assert os.listdir(tmp_path) == []


def test_svg_into_missing_folder_leaves_the_output_untouched(run, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text(OLD)
    picture = tmp_path / "missing" / "t.svg"
    assert_error(run("kl", P, Q, "-o", out, "--svg", picture), 1, picture, "No such file or directory")
    assert out.read_text() == OLD and leftovers(tmp_path) == []


def test_a_failing_run_leaves_the_old_file(run, tmp_path):
    out = tmp_path / "out.txt"
    out.write_text(OLD)
    result = run("kl", "0.5,-0.5", "0.5,0.5", "-o", out)
    assert result.exit_code == 1 and "negative probability" in result.stderr
    assert out.read_text() == OLD and leftovers(tmp_path) == []


def test_permission_denied_on_the_folder(open_dir):
    locked = os.path.join(open_dir, "locked")
    os.mkdir(locked, 0o755)
    out = os.path.join(locked, "out.txt")
    with open(out, "w") as file:
        file.write(OLD)
    os.chmod(out, 0o666)
    if not ROOT:
        os.chmod(locked, 0o555)
    result = divcli_as_nobody("kl", P, Q, "-q", "-o", out)
    assert_error(result, 1, locked, result.stderr.partition(f"{locked}: ")[2].rstrip("\n"))
    assert result.stderr.startswith(f"Error: {locked}: Permission denied (-o writes a temporary file in the folder of out.txt")  # not the file
    assert "make the folder writable or write elsewhere" in result.stderr
    assert open(out).read() == OLD and leftovers(locked) == []


def test_a_read_only_file_is_not_replaced(open_dir):
    out = os.path.join(open_dir, "out.txt")
    with open(out, "w") as file:
        file.write(OLD)
    os.chmod(out, 0o444)
    assert_error(divcli_as_nobody("kl", P, Q, "-q", "-o", out), 1, out, "Permission denied")
    assert open(out).read() == OLD and leftovers(open_dir) == []


@pytest.fixture
def mounted(tmp_path):
    """mount(options) → a fresh tmpfs under tmp_path, unmounted afterwards."""
    points = []

    def mount(options: str):
        if not ROOT:
            pytest.skip("mounting a tmpfs needs root")
        point = tmp_path / f"mnt{len(points)}"
        point.mkdir()
        subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(point)], check=True)
        points.append(point)
        return point

    yield mount
    for point in points:
        subprocess.run(["umount", str(point)], check=True)


def test_read_only_file_system(run, mounted):
    point = mounted("size=64k")
    out = point / "out.txt"
    out.write_text(OLD)
    subprocess.run(["mount", "-o", "remount,ro", str(point)], check=True)
    assert_error(run("kl", P, Q, "-o", out), 1, out, "Read-only file system")
    assert out.read_text() == OLD


def test_no_space_left_mid_write(run, mounted, tmp_path):
    point = mounted("size=8k")
    out = point / "out.csv"
    out.write_text("previous\n")
    rows = tmp_path / "rows.csv"
    rows.write_text(big_csv())
    assert_error(run("entropy", rows, "-f", "csv", "--reduction", "none", "-o", out), 1, out,
                 "No space left on device")
    assert out.read_text() == "previous\n" and leftovers(point) == []


def test_dev_full_is_written_in_place(run):
    assert os.path.exists("/dev/full"), "/dev/full is part of every Linux system"
    assert_error(run("kl", P, Q, "-o", "/dev/full"), 1, "/dev/full", "No space left on device")
    assert stat.S_ISCHR(os.stat("/dev/full").st_mode)


def _file_limit():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1024, 1024))


@pytest.mark.parametrize("option", ["-o", "--svg"])
def test_file_size_limit_keeps_the_old_file(tmp_path, option):
    target = tmp_path / "target"
    target.write_text(OLD)
    args = ("-f", "csv", "--reduction", "none", "-o", target) if option == "-o" else ("--svg", target)
    result = divcli("entropy", "-", *args, input=big_csv(200), preexec_fn=_file_limit)
    assert_error(result, 1, target, "File too large")
    assert target.read_text() == OLD and leftovers(tmp_path) == []


# --------------------------------------------------------------------------------------------
# devices, FIFOs, sockets: written in place, never replaced


@needs_root
def test_character_device_is_written_in_place(run, tmp_path):
    null = tmp_path / "null"
    os.mknod(null, stat.S_IFCHR | 0o666, os.makedev(1, 3))  # the same device as /dev/null
    for option in ("-o", "--svg"):
        result = run("kl", P, Q, option, null)
        assert result.exit_code == 0, result.stderr
        assert stat.S_ISCHR(null.stat().st_mode) and null.stat().st_rdev == os.makedev(1, 3)
    assert sorted(os.listdir(tmp_path)) == ["null"]


def _reader(path, into: list, delay: float = 0.0, read: bool = True):
    def target():
        with open(path, "rb") as fifo:
            time.sleep(delay)
            into.append(fifo.read() if read else b"")

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    return thread


def test_fifo_is_written_in_place(run, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    got: list = []
    reader = _reader(fifo, got)
    result = run("kl", P, Q, "-f", "json", "-o", fifo)
    reader.join(5)
    assert result.exit_code == 0, result.stderr
    assert json.loads(got[0])["command"] == "kl"
    assert stat.S_ISFIFO(fifo.stat().st_mode) and sorted(os.listdir(tmp_path)) == ["fifo"]


def test_fifo_whose_reader_leaves_is_a_broken_pipe(run, tmp_path):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    rows = tmp_path / "rows.csv"
    rows.write_text(big_csv())  # its output is more than a pipe holds
    reader = _reader(fifo, [], delay=0.2, read=False)
    result = run("entropy", rows, "-f", "csv", "--reduction", "none", "-o", fifo)
    reader.join(5)
    assert_error(result, 1, fifo, "Broken pipe")
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_socket_is_not_replaced(run, tmp_path):
    path = tmp_path / "sock"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        assert_error(run("kl", P, Q, "-o", path), 1, path, "No such device or address")
        assert stat.S_ISSOCK(path.stat().st_mode)
    finally:
        server.close()


# --------------------------------------------------------------------------------------------
# signals to a real process


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_signal_during_a_long_run_removes_the_temporary_file(tmp_path, number):
    code, err = signal_a_long_run(tmp_path, number, "-f", "csv")
    assert code == 128 + number, err


# --------------------------------------------------------------------------------------------
# COLUMNS that is no width


@pytest.mark.parametrize("command", [["kl", P, Q], ["compare", P, Q], ["explain", P, Q]])
@pytest.mark.parametrize("columns", ["-1", "0", "abc", ""])
def test_invalid_columns_is_ignored(run, tmp_path, command, columns):
    plain = run(*command, env={"COLUMNS": None}).stdout
    result = run(*command, env={"COLUMNS": columns})
    assert result.exit_code == 0 and result.stdout == plain and plain.strip()
    out = tmp_path / "rep.txt"
    assert run(*command, "-o", out, env={"COLUMNS": columns}).exit_code == 0
    assert out.read_text() == plain


# --------------------------------------------------------------------------------------------
# names from the data never reach the terminal as control sequences

EVIL = ["\x1b[2J", "\x1b]0;title\x07", "\x1b]52;c;aGVsbG8=\x07"]
SHOWN = ["\\x1b[2J", "\\x1b]0;title\\x07", "\\x1b]52;c;aGVsbG8=\\x07"]
CONTROLS = [chr(c) for c in range(32) if c != 10] + ["\x7f"] + [chr(c) for c in range(0x80, 0xa0)]


def _clean(text: str) -> None:
    bad = [c for c in text if c in CONTROLS]
    assert not bad, f"control characters on the terminal: {bad!r}"


@pytest.fixture
def evil(tmp_path):
    header = ",".join(["a"] + EVIL)
    (tmp_path / "p.csv").write_text(f"{header}\n0.2,0.3,0.4,0.1\n")
    (tmp_path / "q.csv").write_text(f"{header}\n0.1,0.3,0.5,0.1\n")
    keys = ["a"] + EVIL
    (tmp_path / "p.jsonl").write_text(json.dumps(dict(zip(keys, [0.2, 0.3, 0.4, 0.1]))) + "\n")
    (tmp_path / "q.jsonl").write_text(json.dumps(dict(zip(keys, [0.1, 0.0, 0.8, 0.1]))) + "\n")
    return tmp_path


@pytest.mark.parametrize("command", ["kl", "compare", "explain", "js", "libraries"])
@pytest.mark.parametrize("ext", ["csv", "jsonl"])
def test_class_names_are_escaped_in_tables_warnings_and_svg(run, evil, command, ext):
    picture = evil / f"{command}.svg"
    result = run(command, evil / f"p.{ext}", evil / f"q.{ext}", "--svg", picture, env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.stderr
    for text in (result.stdout, result.stderr, picture.read_text()):
        _clean(text)
    if command in ("kl", "explain"):
        shown = result.stdout + result.stderr
        assert any(s in shown for s in SHOWN), shown


def _two_rows(evil):
    """p.csv and q.csv with a second row: with --columns, distributions of two classes named by the header."""
    for name in ("p.csv", "q.csv"):
        (evil / f"two-{name}").write_text((evil / name).read_text() + "0.25,0.25,0.25,0.25\n")
    return evil / "two-p.csv", evil / "two-q.csv"


def test_row_names_are_escaped(run, evil):
    picture = evil / "t.svg"
    p, q = _two_rows(evil)
    for command in ("kl", "compare", "js", "matrix"):
        operands = [p] + ([] if command == "matrix" else [q])
        result = run(command, *operands, "--columns", "--normalize", "--svg", picture)
        assert result.exit_code == 0, result.stderr
        _clean(result.stdout + result.stderr + picture.read_text())
        assert "\\x1b" in result.stdout, result.stdout  # a narrow header may end in …


def test_file_names_are_escaped_in_tables_warnings_and_errors(run, evil):
    name = evil / "q\x1b]0;pwned\x07.jsonl"
    shutil.copy(evil / "q.jsonl", name)
    result = run("kl", evil / "p.jsonl", name)
    assert result.exit_code == 0
    _clean(result.stdout + result.stderr)
    assert "\\x1b]0;pwned\\x07" in result.stdout and "\\x1b]0;pwned\\x07" in result.stderr  # the +inf warning
    empty = evil / "e\x1b[2J.csv"
    empty.write_text("a,b\n")
    result = run("kl", empty, P)
    assert result.exit_code == 1 and "\\x1b[2J" in result.stderr
    _clean(result.stderr)


def test_output_path_is_escaped_in_errors(run, tmp_path):
    out = tmp_path / "no\x1b[2Jdir" / "x.txt"
    result = run("kl", P, Q, "-o", out)
    assert result.exit_code == 1 and "\\x1b[2J" in result.stderr
    _clean(result.stderr)


def test_parquet_column_names_are_escaped(run, tmp_path):
    pa, pq = needs("pyarrow"), needs("pyarrow.parquet")

    table = pa.table({name: [value] for name, value in zip(["a"] + EVIL, [0.2, 0.3, 0.4, 0.1])})
    pq.write_table(table, tmp_path / "p.parquet")
    result = run("kl", tmp_path / "p.parquet", tmp_path / "p.parquet")
    assert result.exit_code == 0, result.stderr
    _clean(result.stdout + result.stderr)
    assert SHOWN[1] in result.stdout


@pytest.mark.parametrize("command", ["kl", "compare", "explain"])
def test_machine_formats_keep_the_names_exactly(run, evil, command):
    document = json.loads(run(command, evil / "p.csv", evil / "q.csv", "-f", "json").stdout)
    assert document["classes"] == ["a"] + EVIL


def test_csv_keeps_class_and_row_names_exactly(run, evil):
    explained = list(csv.reader(io.StringIO(run("explain", evil / "p.csv", evil / "q.csv", "-f", "csv").stdout)))
    assert [row[0] for row in explained[1:]] == ["a"] + EVIL
    per_row = list(csv.DictReader(io.StringIO(run("kl", *_two_rows(evil), "--columns", "--normalize",
                                                  "-f", "csv", "--reduction", "none").stdout)))
    assert [row["name"] for row in per_row] == ["a"] + EVIL
