"""Both cores: blocks read, computed and written at once (divcli.engine.threads, the engine's --threads).

What must hold whatever the threads: the same bytes on standard output and standard error, the same
exit code, every block in order, errors where they were, bounded read-ahead, and no thread left
behind when the consumer stops.
"""

from __future__ import annotations

import io
import os
import random
import threading
import time

import numpy as np
import pytest

from helpers.files import write_rows
from divcli import vocabulary
from divcli.readers import blocks
from divcli.engine import loop as engine, threads as pipeline
from divcli.readers import sizes
from divcli.readers.textblocks import TextBlocks


# --------------------------------------------------------------------------------------------
# pipeline.ordered


AVAILABLE_CPUS = pipeline.available_cpus  # the real one, for the test of it


@pytest.fixture(autouse=True)
def many_cpus(monkeypatch):
    """16 CPUs whatever the machine: the threads these tests ask for are used, not capped
    (a test of the cap sets its own number)."""
    monkeypatch.setattr(pipeline, "available_cpus", lambda: 16)


def slow_square(item: int) -> int:
    time.sleep(random.Random(item).random() / 500)  # results end out of order
    return item * item


@pytest.mark.parametrize("threads", [1, 2, 3, 8])
@pytest.mark.parametrize("on_a_thread", [True, False])
def test_results_come_in_the_items_order(threads, on_a_thread):
    assert list(pipeline.ordered(slow_square, range(60), threads, on_a_thread)) == [i * i for i in range(60)]


@pytest.mark.parametrize("on_a_thread", [True, False])
def test_no_items_and_one_item(on_a_thread):
    assert list(pipeline.ordered(slow_square, [], 2, on_a_thread)) == []
    assert list(pipeline.ordered(slow_square, [3], 2, on_a_thread)) == [9]


@pytest.mark.parametrize("on_a_thread", [True, False])
def test_an_error_in_work_comes_after_every_earlier_result(on_a_thread):
    def work(item):
        if item == 7:
            raise ValueError("item 7")
        return slow_square(item)

    taken = []
    with pytest.raises(ValueError, match="item 7"):
        for result in pipeline.ordered(work, range(20), 3, on_a_thread):
            taken.append(result)
    assert taken == [i * i for i in range(7)]


@pytest.mark.parametrize("on_a_thread", [True, False])
def test_an_error_while_reading_comes_after_every_earlier_result(on_a_thread):
    def items():
        yield from range(5)
        raise ValueError("bad line")

    taken = []
    with pytest.raises(ValueError, match="bad line"):
        for result in pipeline.ordered(slow_square, items(), 2, on_a_thread):
            taken.append(result)
    assert taken == [i * i for i in range(5)]


@pytest.mark.parametrize("threads", [2, 4])
@pytest.mark.parametrize("on_a_thread", [True, False])
def test_read_ahead_is_bounded(threads, on_a_thread):
    """A consumer that stops taking results stops the reading: at most the result being taken,
    ``threads`` being worked and one being read."""
    read = []

    def items():
        for item in range(1000):
            read.append(item)
            yield item

    results = pipeline.ordered(lambda item: item, items(), threads, on_a_thread)
    next(results)
    next(results)
    time.sleep(0.3)  # time for a reader that does not stop
    assert len(read) <= 2 + threads + 1
    results.close()


@pytest.mark.parametrize("on_a_thread", [True, False])
def test_threads_beyond_the_cpus_neither_start_nor_read_ahead(monkeypatch, on_a_thread):
    """100000 threads asked on 3 CPUs: 3 blocks worked at once and the read-ahead bounded by them,
    not by the number asked (it held every item read, and a thread each, before)."""
    monkeypatch.setattr(pipeline, "available_cpus", lambda: 3)
    read, started = [], set()

    def items():
        for item in range(1000):
            read.append(item)
            yield item

    def work(item):
        started.add(threading.current_thread().name)
        return item

    results = pipeline.ordered(work, items(), 100_000, on_a_thread)
    assert [next(results) for _ in range(20)] == list(range(20))
    time.sleep(0.3)  # time for a reader that does not stop
    assert len(read) <= 20 + 3 + 1
    assert len(started - {threading.current_thread().name}) <= 3
    results.close()


@pytest.mark.parametrize("on_a_thread", [True, False])
def test_a_consumer_that_stops_leaves_no_thread(on_a_thread):
    before = set(threading.enumerate())
    results = pipeline.ordered(slow_square, range(1000), 3, on_a_thread)
    for _, _ in zip(range(10), results):
        pass
    results.close()
    assert set(threading.enumerate()) <= before


def test_one_thread_reads_each_item_when_its_result_is_taken():
    read = []

    def items():
        for item in range(5):
            read.append(item)
            yield item

    results = pipeline.ordered(lambda item: item, items(), 1)
    assert next(results) == 0 and read == [0]
    assert next(results) == 1 and read == [0, 1]


def test_at_once_reads_every_item_and_raises_the_first_error_in_order():
    with pipeline.at_once(3) as each:
        assert each(slow_square, [1, 2, 3]) == [1, 4, 9]

        def fail(item):
            raise ValueError(f"item {item}")

        with pytest.raises(ValueError, match="item 1"):
            each(fail, [1, 2])
    with pipeline.at_once(1) as each:
        assert each is pipeline.one_by_one


def test_available_cpus_follows_the_affinity_mask(monkeypatch):
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert AVAILABLE_CPUS() == 3
    monkeypatch.delattr(os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert AVAILABLE_CPUS() == 1


# --------------------------------------------------------------------------------------------
# which reads may wait on another process


def test_text_blocks_know_whether_a_read_may_wait(tmp_path):
    path = tmp_path / "p.csv"
    path.write_text("0.5,0.5\n")
    with open(path, "rb") as stream:
        assert not TextBlocks(stream, "p.csv", ",", False).may_wait
    assert not TextBlocks(io.BytesIO(b"0.5,0.5\n"), "memory", ",", False).may_wait
    read_end, write_end = os.pipe()
    with os.fdopen(read_end, "rb") as stream, os.fdopen(write_end, "wb"):
        assert TextBlocks(stream, "-", ",", False).may_wait


# --------------------------------------------------------------------------------------------
# the commands: the same bytes whatever the threads


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 3)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 10)


@pytest.fixture
def operands(tmp_path):
    rng = np.random.default_rng(16)
    logits_p = write_rows(tmp_path / "zp.csv", rng.normal(0, 2, (41, 5)).round(4).tolist())
    logits_q = write_rows(tmp_path / "zq.csv", rng.normal(0, 2, (41, 5)).round(4).tolist())
    probs = rng.dirichlet(np.ones(5), 41)
    p = write_rows(tmp_path / "p.csv", probs.tolist())
    one = write_rows(tmp_path / "one.csv", [rng.dirichlet(np.ones(5)).tolist()])
    labels = write_rows(tmp_path / "labels.csv", [[int(x)] for x in rng.integers(0, 5, 41)])
    short = write_rows(tmp_path / "short.csv", rng.dirichlet(np.ones(5), 30).tolist())
    zeros = rng.dirichlet(np.ones(5), 41)
    zeros[::6, 0] = 0  # Q = 0 where P > 0: an infinite divergence, warned about row by row
    zeros /= zeros.sum(axis=1, keepdims=True)
    q_zeros = write_rows(tmp_path / "q0.csv", zeros.tolist())
    bad = tmp_path / "bad.csv"
    lines = (tmp_path / "p.csv").read_text().splitlines()
    lines[33] = lines[33].replace(",", ",-", 1)  # a negative probability, deep in the file
    bad.write_text("\n".join(lines) + "\n")
    return {"zp": logits_p, "zq": logits_q, "p": p, "one": one, "q0": q_zeros, "labels": labels, "short": short, "bad": str(bad)}


LOGITS = ("--p-as", "logits", "--q-as", "logits")
COMMANDS = [
    ("kl", "zp", "zq", LOGITS),
    ("kl", "p", "one", ()),
    ("kl", "one", "p", ()),
    ("kl", "p", "q0", ()),  # a warning in many blocks
    ("js", "p", "q0", ()),
    ("ce", "labels", "zq", ("--p-as", "labels", "--q-as", "logits")),
    ("entropy", "p", None, ()),
    ("js", "zp", "zq", LOGITS),
    ("compare", "p", "one", ()),
    ("kl", "p", "short", ()),  # rows that do not match: an error after the blocks before it
    ("kl", "bad", "one", ()),  # a bad value in a later block
    ("compare", "short", "p", ()),
]
FORMATS = [("-f", "csv"), ("-f", "json"), ("-q",), ("-f", "csv", "--reduction", "row"), ("--top", "3", "-q")]


@pytest.mark.parametrize("command, p, q, kinds", COMMANDS)
@pytest.mark.parametrize("fmt", FORMATS)
def test_every_command_writes_the_same_bytes_on_any_number_of_threads(run, operands, small_blocks,
                                                                      command, p, q, kinds, fmt):
    if command == "kl" and fmt[-1] == "row":
        fmt = ("-f", "csv", "--reduction", "none")
    args = [command, operands[p]] + ([operands[q]] if q else []) + list(kinds) + list(fmt)
    one = run(*args, "--threads", "1")
    assert one.exit_code == (1 if "bad" in (p, q) or "short" in (p, q) else 0), one.stderr
    assert one.exit_code == 0 or ":34:2:" in one.stderr or "but Q has 30" in one.stderr or "but Q has at least 32" in one.stderr
    assert command != "kl" or "q0" not in (p, q) or one.stderr.count("\n") > 3  # warnings from many blocks
    for threads in (2, 3, 5):
        other = run(*args, "--threads", str(threads))
        assert (other.exit_code, other.stdout, other.stderr) == (one.exit_code, one.stdout, one.stderr)


def test_the_threads_are_used(run, operands, small_blocks, monkeypatch):
    """The default is every CPU this process may use; --threads sets it; both reach the engine."""
    seen = []
    real = engine.compute_blocks

    def spy(*args, **kwargs):
        seen.append(args[6] if len(args) > 6 else kwargs.get("threads", 1))
        return real(*args, **kwargs)

    monkeypatch.setattr(engine, "compute_blocks", spy)
    monkeypatch.setattr(pipeline, "available_cpus", lambda: 7)
    for args in (["kl", operands["zp"], operands["zq"], *LOGITS], ["js", operands["zp"], operands["zq"], *LOGITS]):
        assert run(*args, "-q").exit_code == 0
        assert run(*args, "-q", "--threads", "3").exit_code == 0
    assert seen == [7, 3, 7, 3]


def test_a_pipe_is_read_in_the_callers_thread(operands, small_blocks):
    """A read from a pipe may wait on its writer: the engine reads it in its own thread (a reader
    thread blocked there could not be stopped), and computes the same numbers."""
    from divcli.engine.collect import Collect
    from divcli.computations.runs import run_divergence
    from divcli.vocabulary import Kind, Command
    from divcli.readers.reading import open_blocks

    data = open(operands["zp"], "rb").read()
    from divcli.vocabulary import Reduction

    options = vocabulary.Options(p_kind=Kind.LOGITS, q_kind=Kind.LOGITS, reduction=Reduction.NONE)
    values = {}
    for threads in (1, 2):
        read_end, write_end = os.pipe()
        writer = threading.Thread(target=lambda: (os.write(write_end, data), os.close(write_end)))
        writer.start()
        readers = set()
        with os.fdopen(read_end, "rb") as stream:
            p_blocks = TextBlocks(stream, "-", ",", False)
            real_read = p_blocks.read
            p_blocks.read = lambda *args: (readers.add(threading.current_thread().name), real_read(*args))[1]
            sink = Collect()
            run_divergence(Command.KL, p_blocks, open_blocks(operands["zq"], None), options, sink, threads=threads)
        writer.join()
        assert readers == {threading.main_thread().name}
        values[threads] = sink.value
    assert np.array_equal(values[1], values[2]) and values[1].shape == (41, 5)


def test_more_threads_than_cpus_are_capped_with_a_note(run, operands, small_blocks, monkeypatch):
    """--threads 100000 took 3.1 GB: capped at the CPUs this process may use, said in one line."""
    seen = []
    real = engine.compute_blocks
    monkeypatch.setattr(engine, "compute_blocks", lambda *args: seen.append(args[6]) or real(*args))
    monkeypatch.setattr(pipeline, "available_cpus", lambda: 2)
    args = ["kl", operands["zp"], operands["zq"], *LOGITS, "-f", "csv", "--reduction", "none"]
    one = run(*args, "--threads", "1")
    many = run(*args, "--threads", "100000")
    assert many.exit_code == 0 and many.stdout == one.stdout
    assert many.stderr == "note: --threads 100000 is more than the 2 CPUs this process may use; using 2\n"
    assert run(*args, "--threads", "2").stderr == "" and run(*args).stderr == ""
    assert seen == [1, 2, 2, 2]
    monkeypatch.setattr(pipeline, "available_cpus", lambda: 1)
    assert run(*args, "--threads", "3").stderr == "note: --threads 3 is more than the 1 CPU this process may use; using 1\n"


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5", "١", ""])
def test_threads_must_be_a_positive_integer(run, value):
    result = run("kl", "0.5,0.5", "0.5,0.5", "--threads", value)
    assert result.exit_code == 2 and "--threads" in result.stderr and "a whole number ≥ 1" in result.stderr
    assert len(result.stderr.strip().splitlines()[-1]) < 200 and "Traceback" not in result.stderr


def test_threads_are_the_local_engines(run):
    result = run("kl", "p.csv", "q.csv", "--engine", "dask", "--threads", "2")
    assert result.exit_code == 2 and "--threads" in result.stderr and "Traceback" not in result.stderr


# --------------------------------------------------------------------------------------------
# the Python API


def test_the_api_takes_threads_and_gives_the_same_numbers(monkeypatch):
    import divcli

    monkeypatch.setattr(sizes, "FIRST_BLOCK_ROWS", 3)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 12)
    rng = np.random.default_rng(5)
    zp, zq = rng.normal(0, 2, (50, 4)), rng.normal(0, 2, (50, 4))
    labels = rng.integers(0, 4, 50)
    calls = {
        "kl": lambda **t: divcli.kl_divergence(zp, zq, p_as="logits", q_as="logits", reduction="none", **t),
        "ce": lambda **t: divcli.cross_entropy(labels, zq, p_as="labels", q_as="logits", reduction="sum", **t),
        "entropy": lambda **t: divcli.entropy(zp, p_as="logits", reduction="none", **t),
        "js": lambda **t: divcli.js_divergence(zp, zq, p_as="logits", q_as="logits", reduction="mean", **t),
        "compare": lambda **t: divcli.compare(zp, zq, p_as="logits", q_as="logits", reduction="none", **t),
    }
    seen = []
    real = engine.compute_blocks
    monkeypatch.setattr(engine, "compute_blocks", lambda *args: seen.append(args[6]) or real(*args))
    for name, call in calls.items():
        one, three = call(), call(threads=3)
        if isinstance(one, dict):
            assert one.keys() == three.keys() and all(np.array_equal(one[k], three[k]) for k in one), name
        else:
            assert np.array_equal(one, three), name
    assert seen == [1, 3] * len(calls)


def test_a_parser_knows_when_the_operands_are_read_at_once():
    """pyarrow's CSV reader runs without threads of its own on the threads that read P and Q at
    once (divcli.readers.fast), with them elsewhere."""
    assert not blocks.reading_at_once()
    with pipeline.at_once(2) as each:
        assert each(lambda _: blocks.reading_at_once(), [1, 2]) == [True, True]


def test_the_reader_thread_is_not_reading_at_once():
    """One operand read ahead on the reader thread keeps pyarrow's own threads."""
    seen = []
    list(pipeline.ordered(lambda item: item, (seen.append(blocks.reading_at_once()) or item for item in range(4)), 2))
    assert seen == [False] * 4


def test_a_sink_that_fails_stops_the_reading_and_leaves_no_thread(operands, small_blocks):
    """A write that fails (a full disk) mid-run: the error comes out, and every thread the run
    started has ended by then."""
    from divcli.computations.runs import run_divergence
    from divcli.vocabulary import Kind, Command
    from divcli.readers.reading import open_blocks

    class Failing:
        blocks = 0

        def rows(self, block):
            self.blocks += 1
            if self.blocks == 3:
                raise OSError(28, "No space left on device")

        def finish(self, summary):
            raise AssertionError("the run went on after its sink failed")

    before = set(threading.enumerate())
    options = vocabulary.Options(p_kind=Kind.LOGITS, q_kind=Kind.LOGITS)
    with pytest.raises(OSError, match="No space"):
        run_divergence(Command.KL, open_blocks(operands["zp"], None), open_blocks(operands["zq"], None), options,
                       Failing(), threads=3)
    assert set(threading.enumerate()) <= before


@pytest.mark.parametrize("suffix, at_once", [(".npy", False), (".npz", True), (".csv", True)])
def test_light_reads_go_one_after_the_other_on_the_reader_thread(run, tmp_path, monkeypatch, suffix, at_once):
    """A .npy file's blocks cost a read of their bytes: both operands' are read on the reader thread,
    one after the other (a thread each would cost more than it saves); an .npz member is unpacked
    and text parsed, each operand on a thread of its own. The numbers are the same either way."""
    rng = np.random.default_rng(4)
    paths = []
    for name in "pq":
        z = rng.normal(0, 2, (40, 6)).round(3)
        path = tmp_path / f"{name}{suffix}"
        if suffix == ".npy":
            np.save(path, z)
        elif suffix == ".npz":
            np.savez_compressed(path, z=z)
        else:
            write_rows(path, z.tolist())
        paths.append(path)
    monkeypatch.setattr(sizes, "BLOCK_ELEMENTS", 6 * 8)
    seen = []
    real = engine._steps

    def watched(sources, rows, each=pipeline.one_by_one):
        return real(sources, rows, lambda read, items: each(
            lambda item: seen.append(blocks.reading_at_once()) or read(item), items))

    monkeypatch.setattr(engine, "_steps", watched)
    outputs = [run("kl", *paths, "--p-as", "logits", "--q-as", "logits", "-f", "csv", "--threads", threads)
               for threads in (1, 2)]
    assert outputs[0].exit_code == 0 and outputs[0].stdout == outputs[1].stdout
    assert seen and seen.count(True) == (len(seen) // 2 if at_once else 0)  # the second run's reads
