#!/usr/bin/env python3
"""Byte snapshots of what divcli writes for every sample, command and format: for refactoring
(issue 14: "the same bytes on stdout and stderr for every sample and test case").

    python tests/snapshots.py write DIR     # before the change
    python tests/snapshots.py check DIR     # after it: every difference, byte for byte

Not a unit test: the last digits of numpy's exp and log differ between CPUs, so a snapshot is
compared on the machine that wrote it. Each case is run in-process (Click's runner, 100 columns)
and stored as DIR/NNN.txt: the command line, the exit code, standard output and standard error.
"""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

S = "samples/"
PAIRS = [
    (S + "target.csv", S + "uniform.csv", ""),
    (S + "hist_a.csv", S + "hist_b.csv", "--normalize"),
    (S + "teacher.csv", S + "student.csv", "--p-as logits --q-as logits -T 2"),
    (S + "target_logits.csv", S + "input_logits.csv", "--p-as logits --q-as logits"),
    (S + "sentiment_p.json", S + "sentiment_q.json", ""),
    (S + "frame_p.csv", S + "frame_q.csv", ""),
    ('"9/25,12/25,4/25"', "uniform", ""),
    ('"0.5,0.5"', '"1,0"', ""),
    ('"0.1,0.2,0.3"', '"0.1,0.2,0.30000001"', "--p-as logits --q-as logits"),
]
FORMATS = ["", "-q", "-f csv", "-f json"]


def cases() -> list[str]:
    out = []
    for p, q, extra in PAIRS:
        for fmt in FORMATS:
            out.append(f"kl {p} {q} {extra} {fmt}")
            out.append(f"compare {p} {q} {extra} {fmt}")
            out.append(f"js {p} {q} {extra} {fmt}")
        for reduction in ("none", "sum", "mean", "row"):
            out.append(f"kl {p} {q} {extra} --reduction {reduction} -q")
            out.append(f"kl {p} {q} {extra} --reduction {reduction} -f csv")
        out.append(f"kl {p} {q} {extra} --top 2")
        out.append(f"kl {p} {q} {extra} --base 2 -f json")
        out.append(f"explain {p} {q} {extra}")
        out.append(f"libraries {p} {q} {extra}")
    for fmt in FORMATS:
        out.append(f"ce {S}labels.csv {S}logits.csv --q-as logits {fmt}")
        out.append(f"ce {S}labels.csv {S}logits.csv --p-as labels --q-as logits --label-smoothing 0.1 "
                   f"--weight 1,1,2,1,1 {fmt}")
        out.append(f"entropy {S}target.csv {fmt}")
        out.append(f"entropy {S}teacher.csv --p-as logits --reduction none {fmt}")
        out.append(f"matrix {S}teacher.csv --p-as logits {fmt}")
        out.append(f"distill {S}teacher.csv {S}student.csv \"0;1;2;0;1;2;0;1\" -T 4 --alpha 0.7 {fmt}")
        out.append(f"kl {S}bins_p.csv {S}bins_q.csv --normalize --columns --names bin {fmt}")
    out += ["measures", "measures -f json", "--help", "kl --help", "ce --help", "compare --help",
            # errors: one line each, exit 1 or 2
            f"kl {S}target.csv {S}logits.csv", "kl \"0.5,0.4\" \"0.5,0.5\"", "kl \"a,b\" \"0.5,0.5\"",
            "kl \"0.5,0.5\" \"0.5,0.5\" --base 1", "kl \"0.5,0.5\" \"0.5,0.5\" -T nan", "ce \"7\" \"0.5,0.5\" --p-as labels",
            f"kl {S}hist_a.csv {S}hist_b.csv", "kl \"0.5,0.5\" \"0.5,0.5\" -q -f json"]
    return [" ".join(case.split()) for case in out]


def run_all() -> list[str]:
    import os

    from click.testing import CliRunner

    from divcli.cli import cli

    os.chdir(ROOT)
    texts = []
    for case in cases():
        result = CliRunner().invoke(cli, shlex.split(case), env={"COLUMNS": "100"}, prog_name="divcli")
        texts.append(f"$ divcli {case}\nexit {result.exit_code}\n--- stdout\n{result.stdout}--- stderr\n{result.stderr}")
    return texts


def main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] not in ("write", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    folder = Path(argv[1])
    texts = run_all()
    if argv[0] == "write":
        folder.mkdir(parents=True, exist_ok=True)
        for index, text in enumerate(texts):
            (folder / f"{index:03}.txt").write_text(text, encoding="utf-8")
        print(f"wrote {len(texts)} snapshots to {folder}")
        return 0
    differ = 0
    for index, text in enumerate(texts):
        path = folder / f"{index:03}.txt"
        before = path.read_text(encoding="utf-8") if path.exists() else None
        if before != text:
            differ += 1
            print(f"differs: {path}: {text.splitlines()[0]}")
    print(f"{len(texts) - differ} of {len(texts)} snapshots the same byte for byte")
    return 1 if differ else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
