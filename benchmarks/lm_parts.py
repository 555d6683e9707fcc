"""The other parts of ``benchmarks/lm.py``'s run, on a language model's logits and in the same run:

- ``ratios``: ``compare`` and ``distill -q`` against ``kl -q`` on the same 2000 × 32000 float16 pair
  (a language model's head; ``run.py``'s distill data, with its labels): ``compare`` ≤ 3 × ``kl``,
  ``distill -q`` ≤ 1.5 × ``kl -q`` at the same temperature, and ``kl -q -T 2`` ≤ 1.5 × ``kl -q`` (the
  fused kernel's passes at a temperature).
- ``kernel``: the per-row KL of 1M × 16 float64 logits in-process (``kernel.py``), divcli against
  torch in float64, on 1 thread and on every thread: divcli ≥ 2 × torch's speed.

Each function gives its section of ``RESULTS-lm.md`` and its targets.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import procs
from procs import Command, Target, fmt_s

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: run.py's distill case's data (seed 20261126 × 10 + 7): reused when already generated
RATIO_SEED = 202611267
#: distill's temperature and weight, as run.py's distill case
T, ALPHA = 2.0, 0.5


def _value(stdout: str, name: str | None = None) -> float | None:
    """The number printed by a ``-q`` run; ``name``: the value of that measure in ``compare -q``'s
    ``name<TAB>value`` lines."""
    try:
        if name is None:
            return float(stdout.split()[-1])
        return next(float(line.split()[1]) for line in stdout.splitlines() if line.split()[:1] == [name])
    except (IndexError, ValueError, StopIteration):
        return None


def _relative(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else abs(a - b) / max(abs(b), 1e-300)


def ratios_case(args, env: dict) -> tuple[list[str], list[Target]]:
    """``compare -q`` and ``distill -q`` against ``kl -q`` on the same pair, with each value checked
    against kl's (compare's kl_pq; distill's loss = α·T²·kl at T + (1 − α)·ce)."""
    import run  # benchmarks/run.py: its distill data

    teacher, student, labels = run.make_distill_data(args.ratio_rows, args.ratio_classes, RATIO_SEED)
    divcli = [args.python, "-m", "divcli"]
    logits = ["--p-as", "logits", "--q-as", "logits"]
    t, a = f"{T:g}", f"{ALPHA:g}"
    kl, compare, kl_t, distill, ce = commands = [
        Command("divcli kl -q", [*divcli, "kl", str(teacher), str(student), *logits, "-q"], env),
        Command("divcli compare -q", [*divcli, "compare", str(teacher), str(student), *logits, "-q"], env),
        Command(f"divcli kl -q -T {t}", [*divcli, "kl", str(teacher), str(student), *logits, "-T", t, "-q"], env),
        Command(f"divcli distill -q -T {t} --alpha {a}, with labels",
                [*divcli, "distill", str(teacher), str(student), str(labels), "-T", t, "--alpha", a, "-q"], env),
        Command("divcli ce -q (labels against the student)",
                [*divcli, "ce", str(labels), str(student), "--p-as", "labels", "--q-as", "logits", "-q"], env)]
    print(f"case: compare and distill against kl, {args.ratio_rows} × {args.ratio_classes}", flush=True)
    procs.measure(commands, args.repeats)
    kl_value, kl_t_value, ce_value = kl.value, kl_t.value, ce.value
    expected = {kl.name: kl_value, kl_t.name: kl_t_value, ce.name: ce_value,
                compare.name: kl_value,
                distill.name: None if kl_t_value is None or ce_value is None
                else ALPHA * T * T * kl_t_value + (1 - ALPHA) * ce_value}
    got = {c.name: _value(c.stdout, "kl_pq" if c is compare else None) for c in commands}
    checks = {kl.name: "reference", kl_t.name: "reference", ce.name: "reference",
              compare.name: "its kl_pq against kl's", distill.name: "against α·T²·kl at T + (1 − α)·ce"}
    lines = [f"## compare and distill against kl: two {args.ratio_rows:,} × {args.ratio_classes:,} float16 `.npy` "
             "of logits", "",
             "A language model's head saved as it runs (normal logits, σ = 2), with a label per row; "
             f"`divcli` on its default threads ({procs.cpus()} here). `compare -q` computes every measure of "
             "`compare` (about 20, from the same per-row pieces); `distill -q` computes the loss: the KL at T "
             f"(the pass `kl -q -T {t}` makes) and the cross-entropy with the labels at T = 1 (the pass `ce -q` "
             "makes). The ratios are to `kl -q` at the same temperature.", "",
             "| command | wall (median) | min – max | CPU (median) | peak RSS | ÷ kl -q (same T) | value | check |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for c in commands:
        if c.failed:
            lines.append(f"| {c.name} | FAILED: `{c.failed[:150]}` | | | | | | |")
            continue
        base = kl_t if c in (kl_t, distill) else kl
        ratio = f"{c.seconds / base.seconds:.2f}" if c is not base and c is not ce and base.seconds else ""
        rel = _relative(got[c.name], expected[c.name])
        check = checks[c.name] if checks[c.name] == "reference" else (
            f"{checks[c.name]}: rel {rel:.0e}" if rel is not None and rel <= 1e-12 else
            f"INVALID ({checks[c.name]}: rel {rel})")
        lines.append(f"| {c.name} | {fmt_s(c.seconds)} | {fmt_s(min(c.wall))} – {fmt_s(max(c.wall))} | "
                     f"{fmt_s(c.cpu_seconds)} | {c.peak_mib:.0f} MiB | {ratio} | {got[c.name]!r} | {check} |")

    def ratio(x: Command, y: Command) -> float | None:
        return x.seconds / y.seconds if x.seconds and y.seconds else None

    both = (kl_t.seconds or 0) + (ce.seconds or 0)
    targets = [
        procs.ratio_target(f"compare ÷ kl on {args.ratio_rows:,} × {args.ratio_classes:,} float16 logits",
                           ratio(compare, kl), 3.0,
                           floor=f"`kl -q` alone {fmt_s(kl.seconds)} (one measure of compare's)"),
        procs.ratio_target(f"kl -q -T {t} ÷ kl -q (T = 1) on the same pair", ratio(kl_t, kl), 1.5,
                           floor=f"`kl -q` at T = 1 {fmt_s(kl.seconds)}" if kl.seconds else ""),
        procs.ratio_target(f"distill -q ÷ kl -q (T = {t}) on the same pair", ratio(distill, kl_t), 1.5,
                           floor=f"its two passes apart: `kl -q -T {t}` {fmt_s(kl_t.seconds)} + `ce -q` "
                                 f"{fmt_s(ce.seconds)} = {fmt_s(both)} ({both / kl_t.seconds:.2f} × kl)"
                           if kl_t.seconds and ce.seconds else "")]
    return lines, targets


def _kernel(args, env: dict, kernel: str, threads: int, python: str, extra_env: dict | None = None,
            files: tuple | None = None) -> dict:
    shape = ["--files", *map(str, files)] if files else ["--rows", str(args.kernel_rows), "--classes", "16"]
    done = subprocess.run([python, str(HERE / "kernel.py"), kernel, *shape,
                           "--repeats", str(max(3, args.repeats)), "--threads", str(threads)],
                          capture_output=True, text=True, cwd=ROOT, env={**env, **(extra_env or {})})
    if done.returncode != 0:
        return {"failed": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
    return json.loads(done.stdout.strip().splitlines()[-1])


def kernel_case(args, env: dict) -> tuple[list[str], list[Target]]:
    """``kernel.py divcli`` (the kernel the command takes: 16 million values are past fast_path.FUSED_VALUES,
    the fused one where numba is installed; and the fused one forced) and ``kernel.py torch`` (float64)
    on every thread count, and numpy's ``exp`` floor on one."""
    import lm

    torch = lm.has_torch(args.alt_python)
    print(f"case: kernel, {args.kernel_rows} × 16, threads {args._threads}", flush=True)
    rows = []  # (label, threads, result)
    for threads in args._threads:
        rows.append(("divcli", threads, _kernel(args, env, "divcli", threads, args.python)))
        rows.append(("divcli, fused kernel forced (`DIVCLI_KERNEL=fused`)", threads,
                     _kernel(args, env, "divcli", threads, args.python, {"DIVCLI_KERNEL": "fused"})))
        if torch:
            rows.append(("torch float64", threads, _kernel(args, env, "torch", threads, args.alt_python)))
        for label, _, result in rows[-3:]:
            print(f"    {label}, {threads}: {result.get('m_elements_per_s', 'FAILED')}", flush=True)
    rows.append(("floor: numpy's `exp` alone, 2 per pair", 1, _kernel(args, env, "exp-2", 1, args.python)))
    speed = {(label, threads): r.get("m_elements_per_s") for label, threads, r in rows}
    reference = next((r["checksum"] for label, _, r in rows if label == "torch float64" and "checksum" in r), None)
    lines = [f"## The kernel: per-row KL of two {args.kernel_rows:,} × 16 float64 logit arrays, in-process", "",
             "`benchmarks/kernel.py`: each kernel in its own process on the same seeded logits, the computation "
             "alone (no reading, no output), one warm-up, then the median of its timed runs; M elements/s = N × C / "
             "time. divcli computes its blocks on its own pipeline (as `--threads T`), torch "
             "(`log_softmax` + `kl_div`, float64) on T threads. The floor is numpy's `exp` alone, twice per pair "
             "of elements, on one thread.", "",
             "| kernel | threads | median | M elements/s | divcli ÷ this (speed) | check (Σ of per-row KL) |",
             "|---|---:|---:|---:|---:|---|"]
    for label, threads, result in rows:
        if "failed" in result:
            lines.append(f"| {label} | {threads} | FAILED: `{result['failed']}` | | | |")
            continue
        mine = speed.get(("divcli", threads))
        versus = f"{mine / result['m_elements_per_s']:.2f}" if mine and label != "divcli" else ""
        check = ("n/a (a floor)" if label.startswith("floor") else "reference" if label == "torch float64" else
                 f"rel {abs(result['checksum'] - reference) / abs(reference):.0e} to torch's" if reference else "")
        lines.append(f"| {label} | {threads} | {fmt_s(result['seconds'])} | {result['m_elements_per_s']:.1f} | "
                     f"{versus} | {check} |")
    floor = speed.get(("floor: numpy's `exp` alone, 2 per pair", 1))
    targets = []
    for threads in sorted({args._threads[0], args._threads[-1]}):
        mine, theirs = speed.get(("divcli", threads)), speed.get(("torch float64", threads))
        targets.append(procs.ratio_target(
            f"{args.kernel_rows:,} × 16 logits kernel, {threads} thread{'s' if threads > 1 else ''}: divcli's speed ÷ "
            "torch float64's",
            mine / theirs if mine and theirs else None, 2.0, below=False,
            floor=f"numpy's `exp` alone, 2 per pair, 1 thread: {floor:.1f} M elements/s (divcli: {mine:.1f})"
            if floor and mine else ""))
    if len(args._threads) > 1:
        more_lines, target = _lm_compute(args, env)
        lines += more_lines
        targets.append(target)
    return lines, targets


def _lm_compute(args, env: dict) -> tuple[list[str], Target]:
    """The LM case's computation alone, in-process (``kernel.py divcli --files``: the pair read into
    memory first, float16 as stored), on 1 thread and on the most: how the row-parallel work scales,
    start-up and reading left out."""
    import lm

    p, q = lm.make_pair(args.rows, args.classes, args.seed)
    least, most = args._threads[0], args._threads[-1]
    print(f"case: the LM case's computation in-process, threads {least} and {most}", flush=True)
    found = {threads: _kernel(args, env, "divcli", threads, args.python, files=(p, q)) for threads in (least, most)}
    lines = ["", "### The language-model case's computation alone, in-process", "",
             f"`benchmarks/kernel.py divcli --files`: the {args.rows:,} × {args.classes:,} float16 pair of the "
             "language-model case read into memory first, then its per-row KL computed on divcli's pipeline (the "
             "fused kernel, as the command takes it) on T threads: no start-up, no reading, no output. Median of "
             "the timed runs.", "", "| threads | median | M elements/s | speed-up |", "|---:|---:|---:|---:|"]
    for threads, result in found.items():
        if "failed" in result:
            lines.append(f"| {threads} | FAILED: `{result['failed']}` | | |")
            continue
        speedup = found[least]["seconds"] / result["seconds"] if "seconds" in found[least] else None
        shown = f"{speedup:.2f}" if speedup else ""
        lines.append(f"| {threads} | {fmt_s(result['seconds'])} | {result['m_elements_per_s']:.1f} | {shown} |")
    one, all_ = (found[t].get("seconds") for t in (least, most))
    return lines, procs.ratio_target(
        f"LM case's computation alone (in-process; start-up and reading left out): speed-up from {least} to "
        f"{most} threads", one / all_ if one and all_ else None, 0.9 * most, below=False)
