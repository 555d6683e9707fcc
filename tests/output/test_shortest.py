"""repr with numpy (divcli.output.shortest), the writer of long columns without orjson: every text
must be repr's, number for number, over the whole float64 range, and the numpy path must do the
work (repr only for the few numbers it leaves), as it is what a plain install writes with."""

from __future__ import annotations

import sys

import numpy as np
import pytest

from divcli.output import shortest, texts



def _edges() -> np.ndarray:
    """Limits of the numpy path and of float64, their neighbours, every power of ten and two."""
    limits = np.array([1e-9, 1e-4, 1e15, 1e16, 1e22, 2.0**52, 2.0**53, 2.0**1023, 1e-300, 1.0, 0.5])
    special = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 5e-324, 2.2250738585072014e-308,
                        1.7976931348623157e308, 0.1, 0.30000000000000004, 1 / 3])
    return np.concatenate([_near(limits), 10.0 ** np.arange(-325, 309), 2.0 ** np.arange(-1074, 1024), special])


def _near(values: np.ndarray) -> np.ndarray:
    return np.concatenate([values, np.nextafter(values, 0), np.nextafter(values, np.inf),
                           np.nextafter(np.nextafter(values, 0), 0)])


MAKERS = {
    "bits": lambda rng: rng.integers(0, 2**64, 300_000, dtype=np.uint64).view(np.float64),
    "binary": lambda rng: np.ldexp(rng.random(300_000), rng.integers(-20, 55, 300_000)),
    "decimals": lambda rng: np.round(rng.random(300_000) * 10.0 ** rng.integers(-5, 17, 300_000),
                                     int(rng.integers(0, 12))),
    "short decimals": lambda rng: (lambda d: np.round(rng.normal(0, 100, 300_000) * d) / d)(
        10.0 ** rng.integers(0, 12, 300_000)),
    "log scale": lambda rng: 10.0 ** rng.uniform(-6, 17, 300_000),
    "normal": lambda rng: rng.normal(0, 3, 300_000),
    # dyadic decimals: exact halves at the 16th to 18th digit, where the nearest decimal is a tie
    "dyadic": lambda rng: rng.integers(1, 2**50, 300_000).astype(np.float64) * 2.0 ** -rng.integers(0, 12, 300_000),
    "near powers": lambda rng: _near(np.concatenate([10.0 ** np.arange(-6, 18), 2.0 ** np.arange(-20, 60),
                                                     np.array([1e-4, 1e15, 1e16])])),
    "edges": lambda rng: _edges(),
    "ties": lambda rng: np.array([12345678901234.0625, 1234567890123.03125, 0.5, 1.5, 2.5, 1e-4, 9.5,
                                  123456789012345.5, 0.3, 0.1 + 0.2, 1 / 3, 2 / 3, 100.0, 1e5]),
}


@pytest.mark.parametrize("name", list(MAKERS))
def test_every_text_is_reprs(name):
    values = MAKERS[name](np.random.default_rng(17))
    values = np.where(np.arange(values.size) % 2 == 1, -values, values)  # both signs
    assert shortest.shortest_texts(values) == list(map(repr, values.tolist()))


def test_numpy_writes_nearly_every_text_itself(monkeypatch):
    """Only the numbers in doubt go to repr: none of a million normal ones (in plain notation)."""
    calls = []
    monkeypatch.setattr(shortest, "repr", lambda x: calls.append(x) or repr(x), raising=False)
    rng = np.random.default_rng(5)
    normal = rng.normal(0, 3, 1_000_000)
    values = np.concatenate([normal[np.abs(normal) >= 1e-4], [0.0, -0.0, np.inf, np.nan, 1e-300, 1e300, 2.0]])
    assert shortest.shortest_texts(values) == list(map(repr, values.tolist()))
    assert len(calls) == 7, calls  # the seven it cannot write: 0, -0, inf, nan, tiny, huge, 2.0


def test_without_orjson_long_columns_are_written_with_numpy(monkeypatch):
    monkeypatch.setitem(sys.modules, "orjson", None)
    monkeypatch.setattr(texts, "orjson_dumps", texts.orjson_dumps.__wrapped__)  # looked for again
    used = []
    monkeypatch.setattr(texts, "shortest_texts", lambda values: used.append(values.size)
                        or shortest.shortest_texts(values))
    values = np.random.default_rng(2).normal(0, 2, 5000)
    assert texts.number_texts(values) == list(map(repr, values.tolist()))
    assert texts.number_texts(values[:10]) == list(map(repr, values[:10].tolist()))  # short: repr
    assert used == [5000]


def test_its_constants_are_exact():
    assert all(int(power) == 10**s for s, power in enumerate(shortest._TEN))
    assert shortest._WIDTH >= 1 + len("0.000") + 17 + 1
