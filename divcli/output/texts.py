"""Numbers as text. For programs: the shortest text that reads back as the same float64 (``repr``),
non-finite numbers as ``inf``, ``-inf``, ``nan`` (JSON: the strings ``"inf"``, ``"-inf"``,
``"nan"``), whole columns at a time (through orjson for long ones when it is installed, else with
numpy: :mod:`divcli.output.shortest`). For
people: :func:`fmt`, six decimals where that reads well.
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import TextIO

import numpy as np

from ..numerics.counts import sizes_document, sizes_text
from .shortest import shortest_texts


def number(x: float) -> str:
    """The shortest text that reads back as the same float64: ``0.1``, ``inf``, ``nan``."""
    return repr(float(x))


def json_number(x) -> float | str | None:
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else number(x)


def json_safe(value):
    """A document for ``json.dumps(..., allow_nan=False)``: every float in it (in dicts, lists and
    tuples) as :func:`json_number` gives it, so ``inf``, ``-inf`` and ``nan`` become the strings
    ``"inf"``, ``"-inf"`` and ``"nan"``, never JSON's missing Infinity and NaN."""
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(item) for item in value]
    if isinstance(value, (float, np.floating)):
        return json_number(value)
    return value


def with_interval(record: dict, key: str) -> str:
    """A record's ``key`` for a table, with its bootstrap interval where it has one: ``value [low, high]``."""
    if f"{key}_low" not in record:
        return fmt(record[key])
    return f"{fmt(record[key])} [{fmt(record[f'{key}_low'])}, {fmt(record[f'{key}_high'])}]"


def fmt(x) -> str:
    """A number for a table: six decimals where that reads well, scientific elsewhere."""
    if x is None:
        return "—"
    x = float(x)
    if math.isnan(x):
        return "—"
    if math.isinf(x) or x == 0:
        return {math.inf: "+inf", -math.inf: "-inf"}.get(x, "0")
    if 1e-4 <= abs(x) < 1e7:
        return f"{x:.6f}"
    return f"{x:.3e}"


#: Columns at least this long are written by orjson when it is installed (the ``fast`` extra).
FAST_TEXTS = 256
#: orjson writes the same digits as ``repr`` (the shortest that read back as the same float64)
#: and the same text, except for magnitudes in [1e-9, 1e-4) (``1e-5`` for ``1e-05``, ``0.00005``
#: for ``5e-05``) and non-finite numbers: these go through ``repr``. Before first use it is
#: checked on these numbers, and not used if it writes any of them differently.
REPR_BAND = (1e-9, 1e-4)
PROBE = (0.0, -0.0, 1e-4, -1.0000000000000002e-4, 0.1, 1 / 3, 2.0, -100.0, 123456.789, 2.0**52,
         1e15, 9999999999999998.0, 1e16, -1.5e17, 1.7976931348623157e308, 9.999999999999999e-10,
         4.440892098500626e-16, -2.5e-20, 1.234e-300, 5e-324, 0.30000000000000004, 12.5)


@functools.cache
def orjson_dumps():
    """A function writing a 1-D numeric array as a list of texts with orjson, or ``None`` when
    orjson is missing or writes the probe numbers differently from ``repr`` (found once)."""
    try:
        import orjson
    except ImportError:
        return None

    def dumps(values: np.ndarray) -> list[str]:
        text = orjson.dumps(values, option=orjson.OPT_SERIALIZE_NUMPY).decode("ascii")
        return text[1:-1].split(",") if values.size else []

    return dumps if dumps(np.array(PROBE)) == list(map(repr, PROBE)) else None


def reprs(values: np.ndarray) -> list[str]:
    """``repr`` of every float64 of a contiguous 1-D array: through orjson for long columns when
    it is installed (many times faster; the few numbers it writes differently go through
    ``repr``), else with numpy (:func:`~divcli.output.shortest.shortest_texts`, the same texts),
    and ``repr`` of each for short columns (``tolist`` gives Python floats)."""
    if values.size < FAST_TEXTS:
        return list(map(repr, values.tolist()))
    dumps = orjson_dumps()
    if dumps is None:
        return shortest_texts(values)
    texts = dumps(values)
    magnitude = np.abs(values)
    in_band = (magnitude >= REPR_BAND[0]) & (magnitude < REPR_BAND[1])
    for index in np.flatnonzero(in_band | ~np.isfinite(values)).tolist():
        texts[index] = repr(float(values[index]))
    return texts


def row_numbers(first: int, count: int) -> list[str]:
    """The texts of the integers ``first, first + 1, …`` (the row column)."""
    dumps = orjson_dumps() if count >= FAST_TEXTS else None
    if dumps is None:
        return list(map(str, range(first, first + count)))
    return dumps(np.arange(first, first + count, dtype=np.int64))


def number_texts(values: np.ndarray) -> list[str]:
    """``repr`` of every float64 of a 1-D array, in one pass.

    A long column of few distinct values (the check column holds a few multiples of an ulp; a
    one-hot P's entropy is all 0) formats each distinct bit pattern once: ``-0.0`` and ``0.0`` stay
    apart, and the texts are the same ``repr``."""
    values = np.ascontiguousarray(values, dtype=np.float64)
    if values.size >= 1024:
        bits = values.view(np.int64)
        sample = bits[::bits.size // 512]
        if np.unique(sample).size * 4 < sample.size:
            distinct, inverse = np.unique(bits, return_inverse=True)
            texts = reprs(distinct.view(np.float64))
            return list(map(texts.__getitem__, inverse.ravel().tolist()))
    return reprs(values)


def blank(texts: list[str], mask: np.ndarray | None, empty: str) -> list[str]:
    """``texts`` with ``empty`` where ``mask`` is set (few rows, usually none)."""
    if mask is not None:
        for index in np.flatnonzero(mask).tolist():
            texts[index] = empty
    return texts


def json_texts(values: np.ndarray, missing: np.ndarray | None = None) -> list[str]:
    """JSON numbers: finite ones as ``repr``, non-finite ones as strings, ``null`` where ``missing``."""
    texts = number_texts(values)
    for index in np.flatnonzero(~np.isfinite(values)).tolist():
        texts[index] = f'"{texts[index]}"'
    return blank(texts, missing, "null")


def json_records(fields: list[tuple[str, list[str]]]) -> list[str]:
    """One JSON object per row, from each field's name and its texts, already JSON, row by row."""
    template = "{{" + ", ".join(json.dumps(name, ensure_ascii=False).replace("{", "{{").replace("}", "}}")
                                + ": {}" for name, _ in fields) + "}}"
    return list(map(template.format, *(texts for _, texts in fields)))


#: Characters that make the csv module quote a cell (with its default dialect and "\n" lines).
CSV_SPECIAL = re.compile(r'[,"\r\n]')


def write_csv_rows(out: TextIO, writer, columns: list[list[str]], names: list[str] | None = None,
                   joined_last: bool = False) -> None:
    """A block's records, from the texts of each column: joined by commas in one write, unless a
    name needs quoting (numbers never do); then through ``writer``, the csv module, which quotes
    them as it did the header. ``joined_last``: the last column holds cells already joined by
    commas (numbers), to be split for the csv module."""
    if names and any(CSV_SPECIAL.search(name) for name in names):
        writer.writerows([*cells[:-1], *cells[-1].split(",")] if joined_last else cells for cells in zip(*columns))
        return
    out.write("\n".join(map(",".join, zip(*columns))) + "\n")


def temperature_text(temperature: float, sides: list[tuple[str, str]]) -> str:
    """How a temperature T ≠ 1 was applied to each operand (role, kind): every kind becomes
    softmax(log p / T); written in the terms of its kind."""
    t = f"{temperature:g}"
    how = {"logits": "softmax(z/{t}) of its logits",
           "probs": "{r}^(1/{t}) renormalised = softmax(log {r}/{t})",
           "log-probs": "softmax(log {r}/{t}) of its log-probabilities",
           "labels": "one-hot, unchanged by T"}
    return f"temperature T = {t}: " + "; ".join(f"{role} as " + how[kind].format(t=t, r=role.lower())
                                                 for role, kind in sides)


def renormalised_text(whose: str, deviation: float, rows: str = "rows") -> str:
    """The line that says rows were divided by their sums (each within ``--tolerance`` of 1):
    ``P's rows renormalised (largest deviation 1.0e-04): each divided by its sum``; for ``rows="row"``
    (explain's one row) ``P's row renormalised (deviation 1.0e-04): divided by its sum``."""
    if rows == "row":
        return f"{whose} row renormalised (deviation {deviation:.1e}): divided by its sum"
    return f"{whose} rows renormalised (largest deviation {deviation:.1e}): each divided by its sum"


def renormalised_texts(deviations: dict[str, float], rows: str = "rows") -> list[str]:
    """:func:`renormalised_text` for each operand (by its role, ``P``, ``Q``, …) that had such a row."""
    return [renormalised_text(f"{role}'s", deviation, rows) for role, deviation in deviations.items() if deviation]


def inputs_document(roles: str, deviations: dict[str, float], sizes: dict | None = None) -> dict:
    """JSON's ``inputs``: per operand (``p``, ``q``, …), whether any of its rows was renormalised
    (divided by a sum within ``--tolerance`` of 1) and the largest |sum − 1| (0.0 when none); for an
    operand read as counts, ``samples``: its rows and their smallest, largest and total N."""
    inputs = {role.lower(): {"renormalised": bool(deviations.get(role)),
                             "largest_deviation": float(deviations.get(role, 0.0))} for role in roles}
    for role, counted in (sizes or {}).items():
        inputs[role.lower()]["samples"] = sizes_document(counted)
    return inputs


def sizes_texts(sizes: dict) -> list[str]:
    """The header's line for each operand read as counts: its sample sizes."""
    return [sizes_text(role, counted) for role, counted in sizes.items()]


def notes_document(notes: tuple[str, ...]) -> dict:
    """JSON's ``notes`` (what the table's header says of how the operands were read: a histogram, classes
    matched by name, smoothing), only when there are some: ``{}`` otherwise."""
    return {"notes": list(notes)} if notes else {}
