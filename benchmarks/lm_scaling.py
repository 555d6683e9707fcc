"""How the language-model case scales: ``divcli kl -q`` (numba's fused kernel) against torch's float32
one-liner (load + ``log_softmax`` + ``kl_div``), over threads and over the vocabulary's size.

    python benchmarks/lm_scaling.py [--elements 134217728] [--classes 8192,16384,...,262144]
        [--threads 1,2,4,8,16] [--repeats 3] [--alt-python benchmarks/.venv/bin/python]

- Over threads: the pair of ``--elements`` values per operand at 131,072 classes (1024 rows by
  default: ``lm.py``'s pair), on every thread count of ``--threads`` this machine has (and its own).
- Over the vocabulary: pairs of the same number of values at C = 8k … 256k classes (rows = elements ÷
  C), on every thread, generated as ``lm.py``'s (Zipf-like logits, a candidate = base + small noise).

Every command a whole process, round-robin, one warm-up round (``procs.py``); speed = N × C pairs of
values per second of the whole process (start-up and reading included). Writes
``benchmarks/RESULTS-lm-scaling.md``, the plot ``benchmarks/lm-scaling.svg`` (``svgplot.py``, no
matplotlib) and its copy ``docs/lm-scaling.svg`` for the Performance page (``make bench-lm-scaling``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import sys
from pathlib import Path

import lm
import procs
import svgplot
from procs import Command, fmt_s

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LM_CLASSES = 131072


def commands(args, env: dict) -> tuple[dict[int, list[Command]], dict[int, list[Command]]]:
    """(by thread count, by classes): [divcli, torch] each; the pair at 131,072 classes on every
    thread is one entry of both."""
    torch = lm.has_torch(args.alt_python)
    most = args._threads[-1]
    pairs = {c: lm.make_pair(args.elements // c, c, args.seed) for c in sorted({*args._classes, LM_CLASSES})}

    def pair_commands(classes: int, threads: int) -> list[Command]:
        p, q = pairs[classes]
        found = [Command(f"divcli kl -q (fused), C = {classes}, {threads} threads", lm.divcli_kl(args.python, p, q, threads),
                         {**env, "DIVCLI_KERNEL": "fused"})]
        if torch:
            found.append(Command(f"torch float32, C = {classes}, {threads} threads",
                                 [args.alt_python, "-c", lm.TORCH, str(p), str(q), str(threads), "float32"],
                                 procs.environment()))
        return found

    by_threads = {t: pair_commands(LM_CLASSES, t) for t in args._threads}
    by_classes = {c: by_threads[most] if c == LM_CLASSES else pair_commands(c, most) for c in args._classes}
    return by_threads, by_classes


def speed(args, cmd: Command, classes: int) -> float | None:
    """M pairs of values per second of the whole process (N × C ÷ median wall time)."""
    return (args.elements // classes) * classes / cmd.seconds / 1e6 if cmd.seconds else None


def table(args, rows: list[tuple[str, int, int, Command]]) -> list[str]:
    lines = ["| command | rows × classes | threads | wall (median) | min – max | CPU (median) | peak RSS | peak private "
             "| M pairs/s | value |", "|---|---|---:|---:|---:|---:|---:|---:|---:|---|"]
    for label, classes, threads, c in rows:
        size = f"{args.elements // classes:,} × {classes:,}"
        if c.failed:
            lines.append(f"| {label} | {size} | {threads} | FAILED: `{c.failed[:150]}` | | | | | | |")
            continue
        lines.append(f"| {label} | {size} | {threads} | {fmt_s(c.seconds)} | {fmt_s(min(c.wall))} – "
                     f"{fmt_s(max(c.wall))} | {fmt_s(c.cpu_seconds)} | {c.peak_mib:.0f} MiB | {c.anon_mib:.0f} MiB | "
                     f"{speed(args, c, classes):.1f} | {c.value!r} |")
    return lines


def picture(args, by_threads: dict[int, list[Command]], by_classes: dict[int, list[Command]], started) -> str:
    names = ["divcli kl -q (fused kernel)", "torch float32"]

    def series(points: dict[int, list[Command]], index: int, classes_of) -> svgplot.Series:
        return svgplot.Series(names[index], [(x, speed(args, cmds[index], classes_of(x))) for x, cmds in points.items()
                                             if len(cmds) > index and cmds[index].seconds], svgplot.COLOURS[index])

    threads_series = [series(by_threads, i, lambda _: LM_CLASSES) for i in range(2)]
    one = by_threads[args._threads[0]][0]
    guides = [svgplot.Guide("divcli, ideal (1 thread's speed × threads)",
                            [(t, speed(args, one, LM_CLASSES) * t / args._threads[0]) for t in args._threads])] \
        if one.seconds and len(args._threads) > 1 else []
    most = args._threads[-1]
    panels = [
        svgplot.Panel(f"Over threads ({args.elements // LM_CLASSES:,} × {LM_CLASSES:,})", "threads",
                      "M pairs of values / s (whole process)", [s for s in threads_series if s.points], x_log=True,
                      guides=guides),
        svgplot.Panel(f"Over the vocabulary ({args.elements / 2**20:g} Mi values, {most} threads)", "classes (C)",
                      "M pairs of values / s (whole process)",
                      [s for s in (series(by_classes, i, lambda c: c) for i in range(2)) if s.points], x_log=True,
                      legend="bottom-right")]
    return svgplot.plot(panels, "kl -q on two float16 logit files: divcli against torch float32",
                        note=f"{started:%Y-%m-%d}, {procs.cpus()}-core machine (shared: noisy timings), median of "
                             f"{args.repeats} run{'s' if args.repeats != 1 else ''}, start-up and reading included")


def parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="divcli's interpreter (with numba: the fast extra)")
    parser.add_argument("--alt-python", default=str(HERE / ".venv/bin/python"), help="an interpreter with torch")
    parser.add_argument("--elements", type=int, default=1024 * LM_CLASSES, help="values per operand, at every C")
    parser.add_argument("--classes", default="8192,16384,32768,65536,131072,262144")
    parser.add_argument("--threads", default="1,2,4,8,16", help="those above the machine's CPUs are left out")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--results", default=str(HERE / "RESULTS-lm-scaling.md"))
    parser.add_argument("--svg", default=str(HERE / "lm-scaling.svg"))
    parser.add_argument("--docs-svg", default=str(ROOT / "docs" / "lm-scaling.svg"), help="its copy; '' for none")
    args = parser.parse_args(argv)
    args._argv = list(sys.argv[1:] if argv is None else argv)
    # the commands run in / (the current folder would shadow divcli's PYTHONPATH): no relative paths
    args.python, args.alt_python = os.path.abspath(args.python), os.path.abspath(args.alt_python)
    args._threads = procs.thread_counts(args.threads, procs.cpus())
    args._classes = [int(c) for c in args.classes.split(",")]
    return args


def main(argv=None) -> int:
    args = parse(argv)
    started, load_at_start = datetime.datetime.now(datetime.timezone.utc), procs.load()
    env = procs.environment(PYTHONPATH=str(ROOT))
    env.pop("DIVCLI_KERNEL", None)
    by_threads, by_classes = commands(args, env)
    unique = list({id(c): c for cmds in [*by_threads.values(), *by_classes.values()] for c in cmds}.values())
    print(f"scaling: threads {args._threads}, classes {args._classes}, {args.elements:,} values per operand", flush=True)
    procs.measure(unique, args.repeats)
    divcli_outputs = {cmds[0].stdout for cmds in by_threads.values() if not cmds[0].failed}
    most = args._threads[-1]
    lines = ["# How the language-model case scales: divcli against torch float32", "",
             "Written by `benchmarks/lm_scaling.py` (`make bench-lm-scaling`). `divcli kl P Q --p-as logits --q-as "
             "logits -q --threads T` with numba's fused kernel, against torch's load + `log_softmax` + `kl_div` "
             "(batchmean) in float32 on T threads, on two float16 `.npy` of logits (Zipf-like base logits and base + "
             "N(0, 0.02²), generated with a fixed seed). Every command a whole process; one untimed warm-up round, "
             f"then {args.repeats} timed rounds round-robin; medians. M pairs/s = rows × classes ÷ the whole "
             "process's wall time.", "", "## Machine", "",
             *procs.machine_lines(started, args.python, args.alt_python if lm.has_torch(args.alt_python) else None,
                                  load_at_start),
             f"- Command: `python benchmarks/lm_scaling.py {' '.join(args._argv)}`", "",
             "![divcli against torch float32 over threads and over the vocabulary](lm-scaling.svg)", "",
             f"## Over threads ({args.elements // LM_CLASSES:,} × {LM_CLASSES:,})", "",
             *table(args, [(c.name.split(",")[0], LM_CLASSES, t, c) for t, cmds in by_threads.items() for c in cmds]),
             "", f"divcli's output on every thread count: {'identical' if len(divcli_outputs) == 1 else 'DIFFERENT'}.",
             "", f"## Over the vocabulary ({args.elements:,} values per operand, {most} threads)", "",
             *table(args, [(c.name.split(",")[0], k, most, c) for k, cmds in by_classes.items() for c in cmds]), ""]
    Path(args.results).write_text("\n".join(lines))
    Path(args.svg).write_text(picture(args, by_threads, by_classes, started))
    if args.docs_svg:
        shutil.copyfile(args.svg, args.docs_svg)
    print(f"wrote {args.results}, {args.svg}" + (f" and {args.docs_svg}" if args.docs_svg else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
