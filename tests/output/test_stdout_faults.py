"""Faults of standard output and of targets that are already open, with the real program in a
subprocess: a full device, standard output closed or closed early by its reader, no temporary space
needed, ``-o /dev/stdout`` and its kind written through, an input named as the output, a folder that
takes no new files, ``-o x.parquet`` without Dask, and memory running out. Every case checks the
exit code and that standard error holds one line (or nothing), never a traceback.
"""

from __future__ import annotations

import csv
import io
import json
import os
import resource
import select
import shutil
import signal
import subprocess
import sys
import threading

import numpy as np
import pytest

from helpers.extras import needs

from divcli.cli.terminal import CLOSED_PIPE, HOLD

P, Q = "9/25,12/25,4/25", "1/3,1/3,1/3"
KL = 0.0852996013183706  # D(P‖Q) of P and Q in nats, by hand: Σ p·log(3p)
FULL = "Error: cannot write to standard output: No space left on device\n"
ROWS = "".join(f"{(i % 7 + 1) / 10},{1 - (i % 7 + 1) / 10}\n" for i in range(5000))


def divcli(*args, **how) -> subprocess.CompletedProcess:
    how.setdefault("stdout", subprocess.PIPE)
    return subprocess.run([sys.executable, "-m", "divcli", *map(str, args)], stderr=subprocess.PIPE, text=True,
                          timeout=60, **how)


def in_shell(script: str, cwd) -> subprocess.CompletedProcess:
    """``script`` in sh, with ``divcli`` standing for this interpreter running divcli."""
    return subprocess.run(["sh", "-c", script], cwd=cwd, capture_output=True, text=True, timeout=60,
                          env={**os.environ, "DIVCLI": f"{sys.executable} -m divcli"})


@pytest.fixture
def rows(tmp_path):
    """A file of 5,000 rows: with --reduction none its CSV is longer than a pipe or a held output."""
    path = tmp_path / "rows.csv"
    path.write_text(ROWS)
    return path


# --------------------------------------------------------------------------------------------
# a full device, a closed standard output


@pytest.mark.parametrize("args", [(), ("-q",), ("-f", "json"), ("-f", "csv")])
def test_a_full_device_on_standard_output_is_one_line(args):
    with open("/dev/full", "w") as full:
        result = divcli("kl", P, Q, *args, stdout=full)
    assert result.returncode == 1 and result.stderr == FULL


@pytest.mark.parametrize("target", ["stdout", "-o"])
def test_a_long_csv_to_a_full_device_is_one_line(rows, target):
    args = ("entropy", rows, "-f", "csv", "--reduction", "none")
    if target == "-o":
        result = divcli(*args, "-o", "/dev/full")
        assert result.returncode == 1 and result.stderr == "Error: /dev/full: No space left on device\n"
        return
    with open("/dev/full", "w") as full:
        result = divcli(*args, stdout=full)
    assert result.returncode == 1 and result.stderr == FULL


def _close_stdout():
    os.close(1)


def test_a_closed_standard_output_is_one_line():
    result = divcli("kl", P, Q, stdout=subprocess.DEVNULL, preexec_fn=_close_stdout)
    assert result.returncode == 1
    assert result.stderr.startswith("Error: cannot write to standard output: it is closed;")
    assert result.stderr.count("\n") == 1


def test_a_closed_standard_output_does_not_matter_with_o(tmp_path):
    out = tmp_path / "out.txt"
    result = divcli("kl", P, Q, "-q", "-o", out, stdout=subprocess.DEVNULL, preexec_fn=_close_stdout)
    assert result.returncode == 0 and result.stderr == ""
    assert float(out.read_text()) == pytest.approx(KL, rel=1e-12)


# --------------------------------------------------------------------------------------------
# a pipe closed by its reader: the run stops at once, quietly, the same way for every format


FORMATS = [("-f", "table"), ("-f", "csv"), ("-f", "json"), ("-q",)]


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_pipe_closed_before_the_output_ends_the_run_quietly(rows, fmt):
    process = subprocess.Popen([sys.executable, "-m", "divcli", "entropy", str(rows), *fmt, "--reduction", "none"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    process.stdout.close()  # the reader is gone before anything is written
    _, err = process.communicate(timeout=60)
    assert process.returncode == CLOSED_PIPE == 141 and err == b""


def _bounded():
    """A run that would never stop stays bounded: 2 GiB of memory, no file past 256 MiB."""
    resource.setrlimit(resource.RLIMIT_AS, (2 << 30, 2 << 30))
    resource.setrlimit(resource.RLIMIT_FSIZE, (256 << 20, 256 << 20))


@pytest.mark.parametrize("fmt", [("-f", "csv"), ("-f", "json"), ("-q", "--reduction", "none")])
def test_a_pipe_closed_early_stops_an_endless_run(fmt):
    """``divcli … | head -c 1`` on an input that never ends: the output comes once the held part is
    passed on, and closing the pipe ends the run (never the end of the input)."""
    process = subprocess.Popen([sys.executable, "-m", "divcli", "entropy", "-", *fmt], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_bounded)
    stop = threading.Event()

    def feed():
        try:
            while not stop.is_set():
                process.stdin.write(ROWS.encode())
        except (BrokenPipeError, ValueError, OSError):
            pass

    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        ready, _, _ = select.select([process.stdout], [], [], 30)
        assert ready and os.read(process.stdout.fileno(), 1), "nothing was written before the input's end"
        process.stdout.close()
        process.wait(timeout=30)
        assert process.returncode == CLOSED_PIPE, process.stderr.read()
        assert process.stderr.read() == b""
    finally:
        stop.set()
        if process.poll() is None:
            process.kill()
            process.wait()


def test_a_short_output_is_all_or_nothing(tmp_path):
    """Held until the run ends: a failure in the last row of a short input prints nothing."""
    p = tmp_path / "p.csv"
    p.write_text("0.5,0.5\n" * 100 + "0.5,-0.5\n")
    result = divcli("entropy", p, "-f", "csv", "--reduction", "none")
    assert result.returncode == 1 and result.stdout == "" and "negative probability" in result.stderr
    assert len(ROWS) * 4 < HOLD  # what the held part is meant to cover


def _small_files():
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))


def _long_output_with_small_files(tmp_path, fmt: str) -> subprocess.CompletedProcess:
    """kl --reduction none of two 4000 × 250 .npy in ``fmt`` (22 MB of CSV), no file past 1 MiB,
    TMPDIR being ``tmp_path``."""
    rng = np.random.default_rng(1)
    for name in ("p", "q"):
        x = rng.random((4000, 250))
        np.save(tmp_path / f"{name}.npy", x / x.sum(axis=1, keepdims=True))
    return divcli("kl", tmp_path / "p.npy", tmp_path / "q.npy", "--reduction", "none", "-f", fmt,
                  preexec_fn=_small_files, env={**os.environ, "TMPDIR": str(tmp_path)})


def test_standard_output_needs_no_temporary_space(tmp_path):
    """22 MB of CSV to a pipe while no file may grow past 1 MiB: nothing is spooled to TMPDIR."""
    result = _long_output_with_small_files(tmp_path, "csv")
    assert result.returncode == 0 and result.stderr == ""
    assert len(result.stdout) > 16 << 20 and result.stdout.count("\n") == 4001
    assert sorted(os.listdir(tmp_path)) == ["p.npy", "q.npy"]


def test_json_values_kept_for_the_end_need_room_in_tmpdir(tmp_path):
    """-f json --reduction none keeps its "value" list in a temporary file past 16 MiB: a TMPDIR
    without room is one line naming the folder, not a traceback."""
    result = _long_output_with_small_files(tmp_path, "json")
    assert result.returncode == 1 and result.stderr.count("\n") == 1
    assert result.stderr.startswith(f"Error: {tmp_path}: File too large (-f json keeps the values of --reduction "
                                    "none in a temporary file there")
    assert sorted(os.listdir(tmp_path)) == ["p.npy", "q.npy"]


# --------------------------------------------------------------------------------------------
# targets already open: written through, never reopened or replaced


@pytest.mark.parametrize("target, redirect", [
    ("/dev/stdout", ">>"),
    ("/proc/self/fd/1", ">>"),
    ("/dev/stderr", "2>>"),
    ("/dev/fd/3", "3>>"),
    ("log", ">>"),  # the file standard output already appends to
])
def test_an_open_stream_named_by_o_is_written_through(tmp_path, target, redirect):
    (tmp_path / "log").write_text("header\n")
    script = f'{{ echo more; $DIVCLI kl "{P}" "{Q}" -q -o {target}; }} {redirect} log'
    result = in_shell(script, tmp_path)
    assert result.returncode == 0, result.stderr
    lines = (tmp_path / "log").read_text().splitlines()
    assert lines[0] == "header" and float(lines[-1]) == pytest.approx(KL, rel=1e-12)
    assert [name for name in os.listdir(tmp_path) if name.startswith(".divcli-")] == []


@pytest.mark.skipif(shutil.which("bash") is None, reason="process substitution is bash's")
def test_a_process_substitution_is_written_through(tmp_path):
    script = f'{sys.executable} -m divcli kl "{P}" "{Q}" -f csv -o >(cat > out.csv); wait $!'
    result = subprocess.run(["bash", "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr == ""
    rows = list(csv.DictReader(io.StringIO((tmp_path / "out.csv").read_text())))
    assert float(rows[0]["kl_divergence"]) == pytest.approx(KL, rel=1e-12)


def test_dev_stdout_in_a_pipe_is_standard_output():
    result = divcli("kl", P, Q, "-f", "json", "-o", "/dev/stdout")
    assert result.returncode == 0 and result.stderr == ""
    assert json.loads(result.stdout)["value"] == pytest.approx(KL, rel=1e-12)


# --------------------------------------------------------------------------------------------
# an input named as the output: refused before anything is read


@pytest.fixture
def inputs(tmp_path):
    """P (whose last row is bad: reading it would be exit 1), Q, weights, a symlink and a hard link to P."""
    (tmp_path / "p.csv").write_text("0.2,0.8\n0.5,-0.5\n")
    (tmp_path / "q.csv").write_text("0.5,0.5\n0.5,0.5\n")
    (tmp_path / "w.csv").write_text("1,1\n")
    (tmp_path / "link.csv").symlink_to(tmp_path / "p.csv")
    os.link(tmp_path / "p.csv", tmp_path / "hard.csv")
    return tmp_path


@pytest.mark.parametrize("args, option, named, shown", [
    (("kl", "p.csv", "q.csv", "-o", "p.csv"), "-o", "p.csv", "the input p.csv"),
    (("kl", "p.csv", "q.csv", "-o", "link.csv"), "-o", "link.csv", "the input p.csv"),
    (("kl", "p.csv", "q.csv", "-o", "hard.csv"), "-o", "hard.csv", "the input p.csv"),
    (("kl", "q.csv", "p.csv", "--svg", "p.csv"), "--svg", "p.csv", "the input p.csv"),
    (("ce", "q.csv", "p.csv", "--weight", "w.csv", "-o", "w.csv"), "-o", "w.csv", "the input w.csv"),
    (("js", "q.csv", "q.csv", "p.csv", "-o", "p.csv"), "-o", "p.csv", "the input p.csv"),
    (("distill", "q.csv", "q.csv", "p.csv", "--labels-as", "probs", "-o", "p.csv"), "-o", "p.csv",
     "the input p.csv"),
    (("explain", "p.csv", "q.csv", "-o", "p.csv"), "-o", "p.csv", "the input p.csv"),
    (("matrix", "p.csv", "-o", "link.csv"), "-o", "link.csv", "the input p.csv"),
])
def test_an_input_named_as_the_output_is_refused_before_reading(inputs, args, option, named, shown):
    before = (inputs / "p.csv").read_text()
    result = divcli(*args, cwd=inputs)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr == (f"Error: {option} {named} is also {shown} (the same file): write the output to another "
                             "file, or the input would be lost\n")
    assert (inputs / "p.csv").read_text() == before and (inputs / "link.csv").is_symlink()


def test_standard_input_read_from_the_output_file_is_refused(inputs):
    with open(inputs / "p.csv") as stdin:
        result = divcli("kl", "-", "q.csv", "-o", "p.csv", stdin=stdin, cwd=inputs)
    assert result.returncode == 2 and "-o p.csv is also standard input (the same file)" in result.stderr


def test_an_output_beside_the_inputs_is_written(inputs):
    (inputs / "p.csv").write_text("0.2,0.8\n")
    result = divcli("kl", "p.csv", "q.csv", "-q", "-o", "out.txt", cwd=inputs)
    assert result.returncode == 0 and (inputs / "out.txt").read_text().strip()


# --------------------------------------------------------------------------------------------
# targets that cannot be: the real reason, and Parquet without Dask


def test_a_folder_that_takes_no_new_files_is_named():
    result = divcli("kl", P, Q, "-o", "/proc/version")
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: /proc: this folder takes no new files (a kernel file system")
    assert "No such file" not in result.stderr and result.stderr.count("\n") == 1


@pytest.mark.parametrize("name", ["x.parquet", "X.PQ"])
def test_parquet_without_dask_is_refused(tmp_path, name):
    result = divcli("kl", P, Q, "-o", tmp_path / name)
    assert result.returncode == 2 and result.stdout == ""
    assert "writes Parquet only as the part files of --engine dask -o DIR" in result.stderr
    assert result.stderr.count("\n") == 1 and os.listdir(tmp_path) == []


# --------------------------------------------------------------------------------------------
# memory running out


#: Run divcli with at most this many MiB of address space above what it holds once imported.
LIMITED = """
import resource, sys
import numpy, divcli.cli, divcli.computations.runs, divcli.engine.loop, divcli.readers.registry, divcli.output.quiet
held = int(open("/proc/self/status").read().split("VmSize:")[1].split()[0]) * 1024
limit = held + (int(sys.argv.pop(1)) << 20)
resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
sys.argv = ["divcli"] + sys.argv[1:]
divcli.cli.main()
"""


@pytest.mark.skipif(not os.path.exists("/proc/self/status"), reason="reads the address space from /proc")
def test_memory_running_out_is_one_line(tmp_path):
    wide = tmp_path / "wide.csv"
    wide.write_text(("0.000005," * 199_999 + "0.000005\n") * 4)  # 4 rows of 200,000 classes
    with open(wide) as stdin:
        result = subprocess.run([sys.executable, "-c", LIMITED, "32", "entropy", "-", "-q", "--threads", "1"],
                                stdin=stdin, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == ("Error: memory ran out (the system refused more); try a smaller input or --engine dask "
                             "(shards spread over workers)\n")  # not --threads 1: it has one thread


@pytest.mark.parametrize("args, tries", [
    (("kl", P, Q, "--threads", "2"), "try --threads 1 (each thread holds blocks of its own), a smaller input or "
                                    "--engine dask"),
    (("explain", P, Q), "try a smaller input\n"),
])
def test_memory_running_out_names_what_the_command_offers(run, monkeypatch, args, tries):
    import divcli.engine.loop
    import divcli.computations.explain

    def refused(*_args, **_kwargs):
        raise MemoryError

    monkeypatch.setattr(divcli.engine.loop, "run_computation", refused)
    monkeypatch.setattr(divcli.computations.explain, "for_row", refused)
    result = run(*args)
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: memory ran out") and tries in result.stderr


def test_pyarrows_memory_error_is_the_same_line(run, monkeypatch):
    pyarrow = needs("pyarrow")
    import divcli.engine.loop

    def refused(*_args, **_kwargs):
        raise pyarrow.ArrowMemoryError("malloc of size 1073741824 failed")

    monkeypatch.setattr(divcli.engine.loop, "run_computation", refused)
    result = run("entropy", P, "--threads", "1")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == "Error: memory ran out (the system refused more); try a smaller input or --engine dask " \
                            "(shards spread over workers)\n"


def test_a_thread_that_cannot_start_is_memory_running_out(run, monkeypatch, tmp_path):
    import threading as threads

    def refused(self):
        raise RuntimeError("can't start new thread")  # what CPython says when the system refuses one

    (tmp_path / "p.csv").write_text(ROWS)
    monkeypatch.setattr(threads.Thread, "start", refused)
    monkeypatch.setattr("divcli.engine.threads.available_cpus", lambda: 4)  # 4 threads, not capped on a smaller machine
    result = run("entropy", tmp_path / "p.csv", "--threads", "4")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.startswith("Error: memory ran out (no thread could be started); try --threads 1")


def test_svg_to_dev_stdout_with_the_table_there_is_refused():
    result = divcli("kl", P, Q, "--svg", "/dev/stdout")
    assert result.returncode == 2 and "-o and --svg name the same file" in result.stderr and result.stdout == ""


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGHUP", "SIGINT"])
def test_a_signal_as_the_temporary_file_is_made_leaves_no_file(run, monkeypatch, tmp_path, signal_name):
    """The signal arrives the instant mkstemp has made the file, before its name is kept: held back
    until the name is kept, then the run ends and the file is removed (it was left behind)."""
    import tempfile

    made = tempfile.mkstemp

    def made_then_signalled(*args, **kwargs):
        found = made(*args, **kwargs)
        os.kill(os.getpid(), getattr(signal, signal_name))
        return found

    monkeypatch.setattr(tempfile, "mkstemp", made_then_signalled)
    (tmp_path / "out.csv").write_text("old\n")
    try:
        result = run("kl", P, Q, "-o", tmp_path / "out.csv")
        code = result.exit_code
    except KeyboardInterrupt:  # SIGINT: Python's own handler, outside the command's
        code = 130
    assert code in (130, 128 + getattr(signal, signal_name))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.csv"]
    assert (tmp_path / "out.csv").read_text() == "old\n"


@pytest.mark.parametrize("stderr", ["full", "closed pipe"])
@pytest.mark.parametrize("args", [["kl", "0.5,0.5", "1,0", "-q"], ["kl", "0.5,0.5", "1,0", "-f", "csv"],
                                  ["kl", "0.5,0.5", "0.4,0.6", "-q", "--threads", "64"]])
def test_a_warning_that_standard_error_cannot_take_costs_nothing(args, stderr):
    """A warning (an infinite KL) or a note (--threads capped) on a standard error that is full or a
    pipe whose reader left: the result is written all the same, exit 0 (it was lost, exit 1)."""
    if stderr == "full":
        target = os.open("/dev/full", os.O_WRONLY)
    else:
        reader, target = os.pipe()
        os.close(reader)
    try:
        result = subprocess.run([sys.executable, "-m", "divcli", *args], stdout=subprocess.PIPE, stderr=target,
                                stdin=subprocess.DEVNULL, timeout=60)
    finally:
        os.close(target)
    assert result.returncode == 0
    last = result.stdout.decode().strip().splitlines()[-1].split(",")
    assert float(last[-2] if "csv" in args else last[0]) > 0
