"""What every input format, measure and output format registered in divcli must do: the checks of
tests/test_contracts.py (parametrised over the registries as they are when the tests are collected)
and of tests/test_extending.py (which runs them on throwaway registrations).

* An input format reads a small file of its format (:data:`SAMPLES` says how to write one) to the
  same numbers, whole and in blocks; honours ``--select``; and reports a broken file as one line.
* A measure stays in its range, is 0 on P = P (:data:`AT_EQUAL` names the built-ins that are not
  divergences), is finite on a sample, and is found by its key and its aliases.
* An output format writes every kind of report it declares, for the commands that make it.
"""

from __future__ import annotations

import io
import json
import math
from pathlib import Path
from typing import Callable

import numpy as np
import pytest
from click.testing import CliRunner

from divcli.cli import cli
from divcli.output.registry import Sink
from helpers.extras import needs
from helpers.files import write_rows

ROWS = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.25, 0.25, 0.5]]
HEADER = ["a", "b", "c"]
#: ``--select 3,1``: columns by number, which every format has (names need a header)
SELECT, SELECTED = "3,1", [[row[2], row[0]] for row in ROWS]


# --------------------------------------------------------------------------------------------
# input formats


def _json(path: Path) -> str:
    path.write_text(json.dumps([dict(zip(HEADER, row)) for row in ROWS]), encoding="utf-8")
    return str(path)


def _json_lines(path: Path) -> str:
    path.write_text("".join(json.dumps(dict(zip(HEADER, row))) + "\n" for row in ROWS), encoding="utf-8")
    return str(path)


def _npy(path: Path) -> str:
    np.save(path, np.array(ROWS))
    return str(path)


def _npz(path: Path) -> str:
    np.savez(path, probs=np.array(ROWS), other=np.zeros(2))
    return f"{path}:probs"


def _parquet(path: Path) -> str:
    pyarrow, parquet = needs("pyarrow"), needs("pyarrow.parquet")
    parquet.write_table(pyarrow.table({name: [row[i] for row in ROWS] for i, name in enumerate(HEADER)}), path)
    return str(path)


def _safetensors(path: Path) -> str:
    needs("safetensors.numpy").save_file({"probs": np.array(ROWS), "other": np.zeros(2)}, str(path))
    return f"{path}:probs"


#: How to write :data:`ROWS` in a format (by its name) to a path of its extension; the operand to
#: give divcli comes back. A format registered without one here fails its sample test, saying so.
SAMPLES: dict[str, Callable[[Path], str]] = {
    "CSV": lambda path: write_rows(path, ROWS, HEADER),
    "TSV": lambda path: write_rows(path, ROWS, HEADER, "\t"),
    "text": lambda path: write_rows(path, ROWS, HEADER, " "),
    "JSON": _json, "JSON Lines": _json_lines, "npy": _npy, "npz": _npz, "safetensors": _safetensors,
    "Parquet": _parquet,
}


def sample(fmt, folder: Path) -> str:
    """:data:`ROWS` written in ``fmt`` (a file of its first extension) in ``folder``."""
    writer = SAMPLES.get(fmt.name)
    assert writer is not None, f"tests/helpers/contracts.py SAMPLES has no way to write a file of the format {fmt.name!r}"
    return writer(folder / f"sample{fmt.extensions[0]}")


def _read_all(blocks) -> np.ndarray:
    parts = []
    try:
        while (block := blocks.read(2)) is not None:
            parts.append(block.values)
    finally:
        blocks.close()
    return np.concatenate(parts)


def check_reader(fmt, folder: Path) -> None:
    """``fmt`` reads its sample to :data:`ROWS`, whole and in blocks, and with ``--select`` to
    :data:`SELECTED`; every reader it names (``"module:attr"`` included) is a function."""
    from divcli.readers.columns import ColumnChoice
    from divcli.readers.reading import open_blocks, read_operand

    for kind in ("parse", "stream", "read", "blocks", "shard"):
        assert getattr(fmt, kind) is None or callable(fmt.reader(kind)), (fmt.name, kind)
    assert fmt.extensions and all(extension.startswith(".") for extension in fmt.extensions)
    spec = sample(fmt, folder)
    assert read_operand(spec, None).values.tolist() == ROWS
    assert _read_all(open_blocks(spec, None)).tolist() == ROWS
    chosen = ColumnChoice.parse(select=SELECT)
    assert read_operand(spec, None, columns=chosen).values.tolist() == SELECTED
    assert _read_all(open_blocks(spec, None, columns=chosen)).tolist() == SELECTED


def check_reader_command(fmt, folder: Path) -> None:
    """Through the command line: kl of the sample, and of its ``--select``, as of the numbers."""
    spec = sample(fmt, folder)
    for extra, rows in (((), ROWS), (("--select", SELECT, "--normalize"), SELECTED)):
        read = invoke("kl", spec, "uniform", *extra, "--reduction", "none", "-f", "json")
        assert read.exit_code == 0, read.stderr
        literal = ";".join(",".join(map(repr, row)) for row in rows)
        expected = invoke("kl", literal, "uniform", "--normalize", "--reduction", "none", "-f", "json")
        assert [row["kl_divergence"] for row in json.loads(read.stdout)["rows"]] == \
            pytest.approx([row["kl_divergence"] for row in json.loads(expected.stdout)["rows"]], rel=1e-12)


def check_reader_errors(fmt, folder: Path) -> None:
    """A broken file of ``fmt`` (bytes of no format) is a one-line error, exit 1, naming the file."""
    path = folder / f"broken{fmt.extensions[0]}"
    path.write_bytes(b"\x00\x01PK\x03not numbers at all\xff\xfe\n")
    result = invoke("kl", path, "uniform")
    assert result.exit_code == 1, (fmt.name, result.stderr)
    assert result.stderr.startswith("Error: ") and result.stderr.count("\n") == 1, result.stderr
    assert path.name in result.stderr


# --------------------------------------------------------------------------------------------
# measures


P = np.array([[0.5, 0.3, 0.2], [0.1, 0.1, 0.8], [0.25, 0.25, 0.5], [0.9, 0.05, 0.05]])
Q = np.array([[0.2, 0.3, 0.5], [0.3, 0.3, 0.4], [0.25, 0.25, 0.5], [0.05, 0.05, 0.9]])


def _entropy(p: np.ndarray) -> np.ndarray:
    return -(p * np.log(p)).sum(axis=1)


#: The value on P = Q of the built-in measures that are not divergences (all others: 0).
AT_EQUAL = {
    "bhattacharyya_coefficient": lambda p: np.ones(len(p)),
    "cross_entropy": _entropy, "entropy_p": _entropy, "entropy_q": _entropy,
    "perplexity_p": lambda p: np.exp(_entropy(p)), "perplexity_q": lambda p: np.exp(_entropy(p)),
}


def _bound(text: str, p: np.ndarray) -> np.ndarray:
    """One end of a measure's range (``0``, ``log 2``, ``√log 2``, ``H(P)``, ``C − 1``, ``∞``) per row."""
    python = (text.replace("∞", "inf").replace("−", "-").replace("H(P)", "H").replace("√log 2", "sqrt(log(2))")
              .replace("log C", "log(C)").replace("log 2", "log(2)"))
    value = eval(python, {"inf": math.inf, "log": math.log, "sqrt": math.sqrt, "C": p.shape[1], "H": _entropy(p)})
    return np.broadcast_to(np.asarray(value, dtype=float), (len(p),))


def check_measure(measure) -> None:
    """``measure`` (of the catalogue, a family's member included) in its range on P, Q; 0 (or its
    :data:`AT_EQUAL`) on P = P; finite; found by key."""
    import divcli
    from divcli.measures.catalogue import named

    values = divcli.compare(P, Q, ordered=True, alpha=(0.5, 2.0), reduction="none")
    same = divcli.compare(P, P, ordered=True, alpha=(0.5, 2.0), reduction="none")
    found = np.asarray(values[measure.key])
    assert found.shape == (len(P),) and np.isfinite(found).all(), (measure.key, found)
    low, high = (_bound(end.strip(), P) for end in measure.range.strip("[]").rsplit(",", 1))
    assert (found >= low - 1e-12).all() and (found <= high + 1e-12).all(), (measure.key, measure.range, found)
    equal = AT_EQUAL.get(measure.key, lambda p: np.zeros(len(p)))(P)
    assert np.asarray(same[measure.key]) == pytest.approx(equal, abs=1e-12), measure.key
    assert named(measure.key).key == measure.key


def check_measure_names(key: str) -> None:
    """The key and each alias of the measure ``key``: found, accepted by matrix -m, completed."""
    from divcli.cli.completion import complete_measure
    from divcli.measures.catalogue import aliases, known, named

    for name in [key, *(alias for alias, target in aliases().items() if target == key)]:
        assert known(name) and named(name).key == key
        assert name in {item.value for item in complete_measure(name)}
        result = invoke("matrix", "0.5,0.5;0.9,0.1", "-m", name, "-f", "json")
        assert result.exit_code == 0, result.stderr


# --------------------------------------------------------------------------------------------
# output formats

LOGITS = "1,2,0.5;0.3,0.1,2"
#: The reference and current samples of ``divcli drift``'s examples.
DRIFT_SAMPLES = Path(__file__).resolve().parents[2] / "samples"
#: How to make each kind of report from the command line (the format's option follows).
COMMANDS = {
    "rows": [("kl", "0.5,0.3,0.2;0.1,0.1,0.8", "0.2,0.3,0.5;0.3,0.3,0.4"), ("entropy", "0.5,0.5")],
    "measures": [("compare", "0.5,0.3,0.2;0.1,0.1,0.8", "0.2,0.3,0.5;0.3,0.3,0.4")],
    "top": [("kl", "0.5,0.3,0.2;0.1,0.1,0.8", "0.2,0.3,0.5;0.3,0.3,0.4", "--top", "1"),
            ("compare", "0.5,0.3,0.2;0.1,0.1,0.8", "0.2,0.3,0.5;0.3,0.3,0.4", "--top", "1")],
    "matrix": [("matrix", "0.5,0.5;0.9,0.1", "-m", "js")],
    "libraries": [("libraries", "0.5,0.5", "0.9,0.1")],
    "explain": [("explain", "0.5,0.5", "0.9,0.1")],
    "distill": [("distill", LOGITS, "0.5,1,1;1,2,0.1", "-T", "2")],
    "lm": [("lm", LOGITS, "0.5,1,1;1,2,0.1", "--labels", "0,2"), ("lm", LOGITS, LOGITS, "--reduction", "row"),
           ("lm", LOGITS, LOGITS, "--top", "1")],
    "drift": [("drift", DRIFT_SAMPLES / "drift_ref.csv", DRIFT_SAMPLES / "drift_cur.csv", "--categorical", "city"),
              ("drift", DRIFT_SAMPLES / "drift_ref.csv", DRIFT_SAMPLES / "drift_cur.csv", "--column", "age",
               "--select", "age")],
    "mi": [("mi", "--joint", "30,10;5,45"), ("mi", "--joint", "0.25,0.25;0.1,0.4")],
    "catalogue": [("measures",)],
    "formats": [("formats",)],
}


def invoke(*args):
    """divcli with ``args`` (Click's runner, in this process: it sees what a test registered)."""
    return CliRunner().invoke(cli, [str(arg) for arg in args])


def _choose(name: str) -> tuple[str, ...]:
    from divcli.output import registry

    if name == registry.QUIET:
        return ("-q",)
    assert name in registry.choices(), f"{name} is no choice of -f: only its parts can be written"
    return ("-f", name)


class Spy(Sink):
    """A sink that keeps the reports it is given, to feed a parts sink as Dask's workers do."""

    reports: list = []

    def rows(self, report) -> None:
        Spy.reports.append(report)


def _reports(command: str) -> list:
    from divcli.output import registry
    from divcli.output.registry import Content

    registry.register("contract-spy", {Content.ROWS: Spy, Content.MEASURES: Spy})
    Spy.reports = []
    try:
        result = invoke(command, "0.5,0.3,0.2;0.1,0.1,0.8", "0.2,0.3,0.5;0.3,0.3,0.4", "-f", "contract-spy")
    finally:
        registry.unregister("contract-spy")
    assert result.exit_code == 0, result.stderr
    return Spy.reports


def check_sink(name: str, kind) -> None:
    """Format ``name`` writes ``kind``: every command that makes it runs, exit 0, with output; a
    parts kind is written as a Dask worker writes it (to a stream of its own)."""
    from divcli.output import registry
    from divcli.output.registry import Content

    cls = registry.sink_class(kind, name)
    if kind in (Content.PARTS, Content.MEASURE_PARTS):
        if name == "parquet":
            needs("pyarrow")
        stream = io.BytesIO() if cls.binary else io.StringIO()
        sink = cls(stream)
        for report in _reports("kl" if kind is Content.PARTS else "compare"):
            sink.rows(report)
        sink.finish(None)
        assert stream.getvalue(), (name, kind)
        return
    for command in COMMANDS[kind.value]:
        result = invoke(*command, *_choose(name))
        assert result.exit_code == 0, (name, command, result.stderr)
        assert result.stdout.strip(), (name, command)


def written_kinds(name: str) -> list:
    from divcli.output import registry

    return list(registry.sinks_of(name))
