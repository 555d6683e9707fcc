"""On demand, a long differential run: divcli's number texts (orjson, with repr for the numbers it
would write differently) against ``repr``, number for number, on random float64 arrays over the
whole range. The suite runs a million numbers (``tests/output/test_render_blocks.py``); this runs as many
as asked::

    .venv/bin/python tests/check_number_texts.py --millions 200 --seed 7

Exits 1 and prints the first differences if any number's text differs.
"""

from __future__ import annotations

import argparse
import sys
import time

import numpy as np

from divcli.output import texts


def arrays(rng: np.random.Generator, size: int):
    """Random bits; binary fractions over ±80 binary orders; decimals of 0-17 places over 10^-4 … 10^17;
    integers; and the band [1e-9, 1e-4) that goes through repr. Half of each negated."""
    kinds = [
        lambda: rng.integers(0, 2**64, size, dtype=np.uint64).view(np.float64),
        lambda: np.ldexp(rng.random(size), rng.integers(-80, 80, size)),
        lambda: np.round(rng.random(size) * 10.0 ** rng.integers(-4, 17, size) * (d := 10.0 ** rng.integers(0, 18, size))) / d,
        lambda: np.floor(rng.random(size) * 10.0 ** rng.integers(1, 17, size)),
        lambda: 10.0 ** rng.uniform(-9, -4, size),
    ]
    while True:
        for make in kinds:
            values = make()
            yield np.where(rng.random(size) < 0.5, -values, values)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--millions", type=float, default=20.0)
    parser.add_argument("--seed", type=int, default=20261127)
    args = parser.parse_args()
    if texts.orjson_dumps() is None:
        print("orjson is not installed (or fails its probe): nothing to compare", file=sys.stderr)
        return 1
    rng, done, start, bad = np.random.default_rng(args.seed), 0, time.perf_counter(), []
    for values in arrays(rng, 1_000_000):
        got = texts.number_texts(values)
        want = list(map(repr, values.tolist()))
        if got != want:
            bad += [(w, g) for w, g in zip(want, got) if w != g][:5]
        done += values.size
        if done >= args.millions * 1e6 or len(bad) >= 5:
            break
    print(f"{done:,} numbers in {time.perf_counter() - start:.0f} s: {len(bad)} differences "
          f"(orjson {__import__('orjson').__version__}, seed {args.seed})")
    for want, got in bad:
        print(f"  repr {want}  divcli {got}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
