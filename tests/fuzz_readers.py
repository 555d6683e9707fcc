"""Coverage-guided fuzzing of divcli's readers and checks with atheris (``make fuzz``).

The target is ``tests/helpers/fuzz_target.py``: raw bytes to every reader, every kind, then computed; only
divcli's DataError may come out. A crash is written to ``crash-*``: add its bytes to
``tests/readers/test_fuzz_regressions.py`` and fix it.

    .venv/bin/pip install atheris
    .venv/bin/python tests/fuzz_readers.py -max_total_time=1800 -print_final_stats=1 CORPUS_DIR
"""

from __future__ import annotations

import sys
import warnings

import atheris

with atheris.instrument_imports(include=["divcli", "helpers"]):  # tests/, this folder, is on the path
    from helpers.fuzz_target import check


def main() -> None:
    warnings.simplefilter("error")  # a numpy RuntimeWarning would reach the user's terminal
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
