"""Binary files on standard input (``divcli kl - q.npy < p.npy``): ``.npy``, ``.npz`` and llama.cpp's
``.kld`` are known by their first bytes, copied to a temporary file and read as that file is; the
numbers are the file's, messages name ``<stdin>``, and the copy is gone when the command ends,
whether it succeeds, fails or is interrupted."""

from __future__ import annotations

import errno
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time

import numpy as np
import pytest

from helpers.kld_files import dump, text_for
from helpers.lm_data import model_outputs

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


@pytest.fixture
def spool_folder(tmp_path, monkeypatch):
    """The temporary folder the copies go to (this process's), checked empty after the test."""
    folder = tmp_path / "spool"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    yield folder
    assert os.listdir(folder) == []


@pytest.fixture(scope="module")
def arrays(tmp_path_factory):
    folder = tmp_path_factory.mktemp("stdin")
    rng = np.random.default_rng(5)
    p, q = rng.random((40, 7)), rng.random((40, 7))
    p /= p.sum(axis=1, keepdims=True)
    q /= q.sum(axis=1, keepdims=True)
    np.save(folder / "p.npy", p)
    np.save(folder / "p32.npy", p.astype(np.float32))
    np.save(folder / "q.npy", q)
    np.savez(folder / "one.npz", p=p)
    np.savez_compressed(folder / "two.npz", p=p, q=q)
    return folder, p, q


def _kl_rows(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    """The float64 reference: Σ p·ln(p/q) per row (no zeros here)."""
    return (p * np.log(p / q)).sum(axis=1)


def _values(result) -> list[float]:
    assert result.exit_code == 0, result.stderr
    return [float(line) for line in result.stdout.split()]


@pytest.mark.parametrize("name", ["p.npy", "p32.npy", "one.npz"])
def test_an_array_on_stdin_gives_the_numbers_of_the_file(run, arrays, spool_folder, name):
    folder, p, q = arrays
    piped = _values(run("kl", "-", folder / "q.npy", "-q", "--reduction", "row",
                        input=(folder / name).read_bytes()))
    named = _values(run("kl", folder / name, folder / "q.npy", "-q", "--reduction", "row"))
    assert piped == named
    if name == "p32.npy":  # float32 rows miss a sum of 1 by rounding: renormalised, as divcli does
        p = p.astype(np.float32).astype(np.float64)
        p /= p.sum(axis=1, keepdims=True)
    expected = _kl_rows(p, q)
    assert np.allclose(piped, expected, rtol=1e-12, atol=0)


def test_every_command_reads_an_array_on_stdin(run, arrays, spool_folder):
    folder, p, q = arrays
    data = (folder / "p.npy").read_bytes()
    entropy = _values(run("entropy", "-", "-q", "--reduction", "row", input=data))
    assert np.allclose(entropy, -(p * np.log(p)).sum(axis=1), rtol=1e-12, atol=0)
    document = json.loads(run("compare", folder / "q.npy", "-", "-f", "json", input=data).stdout)
    assert document["operands"][1]["source"] == "<stdin>"
    assert np.isclose(document["value"]["kl_pq"], _kl_rows(q, p).mean(), rtol=1e-12, atol=0)
    js = run("js", "-", folder / "q.npy", "-q", input=data)
    assert js.exit_code == 0, js.stderr
    whole = run("matrix", "-", "-f", "json", input=data)  # read whole, not in blocks
    assert whole.exit_code == 0, whole.stderr


def test_labels_on_stdin_as_npy(run, arrays, spool_folder, tmp_path):
    folder, p, q = arrays
    labels = np.arange(40) % 7
    np.save(tmp_path / "labels.npy", labels)
    found = _values(run("ce", "-", folder / "q.npy", "-q", "--reduction", "row",
                        input=(tmp_path / "labels.npy").read_bytes()))
    assert np.allclose(found, -np.log(q[np.arange(40), labels]), rtol=1e-12, atol=0)


def test_an_archive_of_several_arrays_on_stdin_is_refused_with_the_way_out(run, arrays, spool_folder):
    folder, *_ = arrays
    result = run("kl", "-", folder / "q.npy", input=(folder / "two.npz").read_bytes())
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr == ("Error: <stdin>: more than one array in the archive; standard input takes an .npz of "
                             "one array; save the archive and name one of its arrays (p, q) as FILE.npz:p\n")


def test_broken_binary_input_is_named_stdin(run, arrays, spool_folder):
    folder, *_ = arrays
    cut = (folder / "p.npy").read_bytes()[:300]
    result = run("kl", "-", folder / "q.npy", input=cut)
    assert result.exit_code == 1 and result.stderr.startswith("Error: <stdin>: the header says shape (40, 7) of ")
    zipped = run("kl", "-", folder / "q.npy", input=b"PK\x03\x04 not a zip archive")
    assert zipped.exit_code == 1 and zipped.stderr.startswith("Error: <stdin>: a broken .npz (zip) archive")


def test_text_on_stdin_is_read_as_before(run, spool_folder):
    assert _values(run("kl", "-", "0.4,0.6", "-q", input=b"0.5,0.5\n")) == _values(run("kl", "0.5,0.5", "0.4,0.6", "-q"))
    short = run("kl", "-", "0.4,0.6", "-q", input=b"1")  # fewer bytes than any magic
    assert short.exit_code == 1 and "Traceback" not in short.stderr
    assert run("entropy", "-", "-q", input=b"").exit_code == 1


def test_a_dump_on_stdin_is_for_lm_only(run, tmp_path, spool_folder):
    base, candidate, labels = model_outputs(20, 30, seed=3)
    path = dump(tmp_path / "base.kld", text_for(labels, 5, 30), base.astype(np.float32))
    result = run("kl", "-", "uniform", input=open(path, "rb").read())
    assert result.exit_code == 1
    assert result.stderr == ("Error: <stdin>: a llama.cpp KL-divergence dump (it starts with _logits_), which only "
                             "divcli lm reads; compare two dumps with divcli lm BASE.kld CANDIDATE.kld\n")


def test_lm_reads_a_dump_and_a_3d_array_on_stdin(run_json, tmp_path, spool_folder):
    base, candidate, labels = model_outputs(24, 30, seed=4)
    tokens = text_for(labels, 5, 30)  # 2 positions a chunk, 12 chunks
    base_kld = dump(tmp_path / "base.kld", tokens, base.astype(np.float32))
    candidate_kld = dump(tmp_path / "candidate.kld", tokens, candidate.astype(np.float32))
    named = run_json("lm", base_kld, candidate_kld)
    piped = run_json("lm", "-", candidate_kld, input=open(base_kld, "rb").read())
    assert piped["statistics"] == named["statistics"] and "ppl_p" in piped["statistics"]  # the dump's labels
    assert piped["p"]["source"] == "<stdin>"
    np.save(tmp_path / "base3.npy", base.reshape(4, 6, 30))
    np.save(tmp_path / "candidate.npy", candidate)
    flat = run_json("lm", tmp_path / "base3.npy", tmp_path / "candidate.npy", "--top", "2")
    three = run_json("lm", "-", tmp_path / "candidate.npy", "--top", "2", input=(tmp_path / "base3.npy").read_bytes())
    assert three["statistics"] == flat["statistics"] and three["worst"] == flat["worst"]
    assert "batch" in three["worst"][0] and "sequence" in three["worst"][0]


def test_a_copy_that_cannot_be_made_says_why(run, arrays, monkeypatch, spool_folder):
    folder, *_ = arrays

    def full(*args, **kwargs):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(tempfile, "mkstemp", full)
    result = run("kl", "-", folder / "q.npy", input=(folder / "p.npy").read_bytes())
    assert result.exit_code == 1
    assert result.stderr == (f"Error: <stdin>: cannot copy a binary file from standard input to the temporary folder "
                             f"{spool_folder}: No space left on device; set TMPDIR to a folder with room for the "
                             "whole file, or give the file's path instead of -\n")


# --------------------------------------------------------------------------------------------
# whole programs: standard input a file or a pipe, the copy removed, also on Ctrl-C


def _divcli(*args: str, spool, **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, TMPDIR=str(spool), PYTHONPATH=ROOT)
    return subprocess.run([sys.executable, "-m", "divcli", *args], env=env, capture_output=True, timeout=120, **kwargs)


@pytest.mark.slow
def test_a_program_reads_stdin_from_a_file_and_from_a_pipe(arrays, tmp_path):
    folder, p, q = arrays
    spool = tmp_path / "spool"
    spool.mkdir()
    with open(folder / "p.npy", "rb") as stdin:
        redirected = _divcli("kl", "-", str(folder / "q.npy"), "-q", spool=spool, stdin=stdin)
    data = (folder / "one.npz").read_bytes()
    piped = _divcli("kl", "-", str(folder / "q.npy"), "-q", spool=spool, input=data)
    for result in (redirected, piped):
        assert result.returncode == 0, result.stderr
        assert np.isclose(float(result.stdout), _kl_rows(p, q).mean(), rtol=1e-12, atol=0)
    failed = _divcli("kl", "-", str(folder / "q.npy"), spool=spool, input=(folder / "two.npz").read_bytes())
    assert failed.returncode == 1 and failed.stderr.startswith(b"Error: <stdin>: more than one array")
    assert os.listdir(spool) == []


@pytest.mark.slow
def test_ctrl_c_while_copying_leaves_nothing_behind(tmp_path):
    """Standard input holds a .npy header and then waits: the copy is made, Ctrl-C ends the run with
    130 and the copy is removed."""
    spool = tmp_path / "spool"
    spool.mkdir()
    saved = io.BytesIO()
    np.save(saved, np.zeros((1000, 10)))
    process = subprocess.Popen([sys.executable, "-m", "divcli", "entropy", "-", "-q"],
                               env=dict(os.environ, TMPDIR=str(spool), PYTHONPATH=ROOT),
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        process.stdin.write(saved.getvalue()[:40_000])  # half of it: the rest never comes
        process.stdin.flush()
        deadline = time.monotonic() + 60
        while not os.listdir(spool) and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.01)
        assert os.listdir(spool), "the copy was never made"
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert process.returncode == 130 and b"Traceback" not in err
    assert os.listdir(spool) == []
