"""The language-model case: ``divcli kl -q`` on two float16 .npy of logits (a model's and a candidate's,
nearly identical, as a quantized model's), side by side with torch's one-liner in float32 and in
float64, on 1, 2, 4, 8 and 16 threads (those this machine has), in one run; with the floors that bound
it, measured in the same run, the first call after installing (numba compiles the fused kernel), a
cache folder that cannot be written, and an independent check of the number. Then, in the same run
(``--parts``): ``divcli lm``'s whole report against ``kl -q``, torch and llama.cpp's formulas on the
same pair (``lm_report.py``), ``compare`` and ``distill`` against ``kl`` on a 2000 × 32000 pair, and
the 1M × 16 logits kernel against torch float64 (``lm_parts.py``).

    python benchmarks/lm.py [--rows 1024] [--classes 131072] [--repeats 3] [--threads 1,2,4,8,16]
        [--alt-python benchmarks/.venv/bin/python] [--parts lm,report,ratios,kernel]

``--rows 1024`` (the default) is the size for a 2-core machine; ``--rows 8192`` is the full case, for
a machine of 16 cores and 64 GiB (torch float64 holds about 4 copies of the inputs in float64:
32 GiB). Every command is a whole process (``procs.py``); one untimed warm-up round, then
``--repeats`` timed rounds, round-robin. Writes ``benchmarks/RESULTS-lm.md`` (``make bench-lm``), its
targets at the top, each met or missed, with the floors where missed.
"""

from __future__ import annotations

import argparse
import datetime
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

import procs
from procs import Command, Target, fmt_s

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"

#: torch's usual way: load, log_softmax, kl_div(batchmean), in float32 or float64 (argv: P Q threads dtype)
TORCH = """
import sys, numpy as np, torch
torch.set_num_threads(int(sys.argv[3]))
dtype = getattr(torch, sys.argv[4])
p = torch.from_numpy(np.load(sys.argv[1])).to(dtype)
q = torch.from_numpy(np.load(sys.argv[2])).to(dtype)
print(torch.nn.functional.kl_div(torch.log_softmax(q, 1), torch.log_softmax(p, 1), reduction="batchmean",
                                 log_target=True).item())
"""

#: the smallest call that loads numba and the fused kernel (DIVCLI_KERNEL=fused): the start-up floor
TINY = ["kl", "0.25,0.75", "0.5,0.5", "-q"]
#: rows of the pair's head, for the first call after installing (the compile, not the arithmetic)
HEAD_ROWS = 16


def make_pair(rows: int, classes: int, seed: int, noise: float = 0.02) -> tuple[Path, Path]:
    """Zipf-like base logits (−1.1·log rank, shuffled per row, plus N(0, 0.5)) and base + N(0, noise),
    both float16, generated a block of rows at a time; reused when already there."""
    DATA.mkdir(exist_ok=True)
    p, q = (DATA / f"lm-{name}-{rows}x{classes}-{seed}.npy" for name in ("p", "q"))
    if p.exists() and q.exists():
        return p, q
    print(f"  generating {p.name} and {q.name} ...", flush=True)
    rng = np.random.default_rng(seed)
    ranks = -1.1 * np.log(np.arange(1, classes + 1, dtype=np.float64))
    out_p = np.lib.format.open_memmap(p, mode="w+", dtype=np.float16, shape=(rows, classes))
    out_q = np.lib.format.open_memmap(q, mode="w+", dtype=np.float16, shape=(rows, classes))
    for start in range(0, rows, 64):
        stop = min(start + 64, rows)
        base = ranks[rng.permuted(np.tile(np.arange(classes), (stop - start, 1)), axis=1)]
        base += 0.5 * rng.standard_normal(base.shape)
        out_p[start:stop] = base
        out_q[start:stop] = base + noise * rng.standard_normal(base.shape)
    out_p.flush(), out_q.flush()
    return p, q


def head_pair(p: Path, q: Path, rows: int = HEAD_ROWS) -> tuple[Path, Path]:
    """The first ``rows`` rows of the pair, as files of their own (same dtype and width: numba
    compiles the same kernels for them), made once."""
    heads = tuple(path.with_name(path.stem + f"-head{rows}.npy") for path in (p, q))
    for path, head in zip((p, q), heads):
        if not head.exists():
            np.save(head, np.load(path, mmap_mode="r")[:rows])
    return heads


def has_torch(alt_python: str) -> bool:
    return os.path.exists(alt_python) and subprocess.run(
        [alt_python, "-c", "import torch"], capture_output=True).returncode == 0


class Caches:
    """numba cache folders for the first call after installing: a new empty folder for every
    ``first`` run, which the ``again`` run after it reuses; and an install where no cache folder can be
    written (``unwritable``): a copy of divcli whose ``__pycache__`` folders are regular files (the
    folder beside the module is numba's cache when ``NUMBA_CACHE_DIR`` is unset), with the user-wide
    cache (``~/.cache/numba``, numba's next choice) under a regular file too: even root cannot make a
    folder there, as a read-only install and home would have it."""

    def __init__(self, env: dict):
        self.root = Path(tempfile.mkdtemp(prefix="divcli-bench-numba-"))
        self.env, self.current = env, ""
        blocker = self.root / "a-file"
        blocker.write_text("not a folder\n")
        package = self.root / "site" / "divcli"
        shutil.copytree(ROOT / "divcli", package, ignore=shutil.ignore_patterns("__pycache__"))
        for folder in [package, *(p for p in package.rglob("*") if p.is_dir())]:
            (folder / "__pycache__").write_text("not a folder\n")
        self.unwritable = {**{k: v for k, v in env.items() if k != "NUMBA_CACHE_DIR"},
                           "PYTHONPATH": str(package.parent), "HOME": str(blocker / "home"),
                           "XDG_CACHE_HOME": str(blocker / "cache")}

    def first(self) -> dict:
        self.current = tempfile.mkdtemp(dir=self.root)
        return {**self.env, "NUMBA_CACHE_DIR": self.current}

    def again(self) -> dict:
        return {**self.env, "NUMBA_CACHE_DIR": self.current}

    def cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def divcli_kl(python: str, p: Path, q: Path, threads: int, *extra: str) -> list[str]:
    return [python, "-m", "divcli", "kl", str(p), str(q), "--p-as", "logits", "--q-as", "logits", "-q",
            "--threads", str(threads), *extra]


def lm_commands(args, p: Path, q: Path, env: dict, caches: Caches) -> dict[str, list[Command]]:
    """The case's commands, by group: per thread count (divcli's kernels, torch, the exp floor),
    the floors that do not depend on the threads, and the first call's."""
    torch = has_torch(args.alt_python)
    groups: dict[str, list[Command]] = {}
    elements = 2 * args.rows * args.classes
    for threads in args._threads:
        group = groups.setdefault(f"threads {threads}", [])
        for kernel in args.kernels.split(","):
            group.append(Command(f"divcli kl -q, {kernel}", divcli_kl(args.python, p, q, threads),
                                 {**env, "DIVCLI_KERNEL": kernel}))
        if torch:
            for dtype in ("float32", "float64"):
                group.append(Command(f"torch {dtype}", [args.alt_python, "-c", TORCH, str(p), str(q), str(threads),
                                                        dtype], procs.environment()))
        group.append(Command("floor: numpy's exp over 2·N·C values", [args.python, str(HERE / "floors.py"), "exp",
                                                                        str(elements), str(threads)], env))
    groups["floors"] = [
        Command("floor: start-up with numba and the fused kernel loaded (a tiny `kl -q`)",
                [args.python, "-m", "divcli", *TINY], {**env, "DIVCLI_KERNEL": "fused"}),
        Command("floor: reading the two files", [args.python, str(HERE / "floors.py"), "read-npy", str(p), str(q)],
                env)]
    hp, hq = head_pair(p, q)
    most = args._threads[-1]
    groups["first call"] = [
        Command("cached (divcli's own numba cache)", divcli_kl(args.python, hp, hq, most), env),
        Command("first call after installing (an empty numba cache)", divcli_kl(args.python, hp, hq, most),
                caches.first),
        Command("the call after it (the same cache)", divcli_kl(args.python, hp, hq, most), caches.again),
        Command("no cache folder can be written", divcli_kl(args.python, hp, hq, most), caches.unwritable)]
    return groups


def numba_free(python: str, env: dict) -> dict[str, bool]:
    """Whether ``divcli --help`` and a tiny call run without importing numba (``-X importtime``
    lists every module imported, on stderr)."""
    found = {}
    for name, argv in (("`divcli --help`", ["--help"]), ("a tiny `kl -q`", TINY)):
        done = subprocess.run([python, "-X", "importtime", "-m", "divcli", *argv], capture_output=True, text=True,
                              env=env, cwd="/")
        found[name] = done.returncode == 0 and "numba" not in done.stderr
    return found


def reference_check(args, p: Path, q: Path, env: dict) -> dict:
    """divcli's per-row values (the fused kernel, every thread) against an independent computation of
    sampled rows in extended precision (``lm_reference.py``, in torch's interpreter when it has numpy
    and mpmath, an interpreter divcli does not run in)."""
    done = subprocess.run(divcli_kl(args.python, p, q, args._threads[-1], "--reduction", "row"), capture_output=True,
                          text=True, env=env, cwd="/")
    if done.returncode != 0:
        return {"failed": done.stderr.strip()[-300:]}
    values = np.array([float(line) for line in done.stdout.split()])
    rng = np.random.default_rng(args.seed)
    sample = rng.choice(args.rows, size=min(args.check_rows, args.rows), replace=False)
    rows = sorted({*sample.tolist(), int(values.argmin()), int(values.argmax())})
    with tempfile.NamedTemporaryFile("w", suffix=".txt") as handle:
        handle.write(done.stdout)
        handle.flush()
        python = args.alt_python if os.path.exists(args.alt_python) else args.python
        try:
            check = subprocess.run([python, str(HERE / "lm_reference.py"), str(p), str(q), handle.name, "--rows",
                                    ",".join(map(str, rows)), "--mpmath-rows", str(args.mpmath_rows)],
                                   capture_output=True, text=True, cwd="/")
        except OSError as error:
            return {"failed": str(error)}
    if check.returncode != 0:
        return {"failed": check.stderr.strip()[-300:]}
    import json
    result = json.loads(check.stdout)
    result["mean_of_rows"] = float(values.mean())
    return result


def floors_text(groups: dict[str, list[Command]], threads: int) -> str:
    """The floors measured at ``threads`` threads, as one sentence for a missed target."""
    def find(group: str, prefix: str) -> Command:
        return next(c for c in groups[group] if c.name.startswith(prefix))

    start, read = find("floors", "floor: start-up"), find("floors", "floor: reading")
    exp = find(f"threads {threads}", "floor: numpy's exp")
    parts = [(start.seconds, "start-up with numba"), (read.seconds, "reading the files"),
             (exp.seconds, f"numpy's exp over 2·N·C values on {threads} thread{'s' if threads > 1 else ''}")]
    total = sum(s for s, _ in parts if s)
    return ", ".join(f"{what} {fmt_s(s)}" for s, what in parts) + f" (each a whole process; together {fmt_s(total)})"


def lm_targets(args, groups: dict[str, list[Command]], imports: dict[str, bool], check: dict) -> list[Target]:
    def find(group: str, name: str) -> Command | None:
        return next((c for c in groups.get(group, []) if c.name == name), None)

    targets = []
    for threads in sorted({args._threads[0], args._threads[-1]}):
        fused, torch = find(f"threads {threads}", "divcli kl -q, fused"), find(f"threads {threads}", "torch float32")
        ratio = fused.seconds / torch.seconds if fused and torch and fused.seconds and torch.seconds else None
        targets.append(procs.ratio_target(f"LM case, {threads} thread{'s' if threads > 1 else ''}: divcli's wall time ÷ "
                                          "torch float32's", ratio, 1.0, floor=floors_text(groups, threads)))
    most = args._threads[-1]
    fused, torch = find(f"threads {most}", "divcli kl -q, fused"), find(f"threads {most}", "torch float32")
    memory = fused.anon_mib / torch.anon_mib if fused and torch and fused.anon_mib and torch.anon_mib else None
    start = find("floors", "floor: start-up with numba and the fused kernel loaded (a tiny `kl -q`)")
    targets.append(procs.ratio_target(
        f"LM case, {most} threads: divcli's peak private memory ÷ torch float32's", memory, 0.25,
        floor=f"start-up with numba: {start.anon_mib:.0f} MiB private (divcli {fused.anon_mib:.0f}, torch "
              f"{torch.anon_mib:.0f})" if memory and start.anon_mib else ""))
    if 2 in args._threads:
        targets.append(speedup_target(groups, find))
    cached, first, again, unwritable = groups["first call"]
    extra = first.seconds - cached.seconds if first.seconds and cached.seconds else None
    cpu = first.cpu_seconds - cached.cpu_seconds if first.cpu_seconds and cached.cpu_seconds else None
    targets.append(Target("first call after installing: seconds over a cached call (numba compiles)", "≤ 5 s",
                          f"{fmt_s(extra)} (CPU {fmt_s(cpu)})", None if extra is None else extra <= 5,
                          "the compile itself (numba's, on one thread), measured: the CPU time above"))
    extra = again.seconds - cached.seconds if again.seconds and cached.seconds else None
    targets.append(Target("the call after it: seconds over a cached call (read from the new cache)", "≤ 0.5 s",
                          fmt_s(extra), None if extra is None else extra <= 0.5))
    quiet = not unwritable.failed and not any(e.strip() for e in unwritable.stderr)
    same = unwritable.value is not None and cached.value is not None and abs(unwritable.value - cached.value) <= (
        1e-15 * abs(cached.value))
    targets.append(Target("no numba cache folder can be written: works, the same value, nothing on stderr",
                          "exit 0, silent", f"{'exit 0' if not unwritable.failed else 'FAILED'}, "
                          f"{'silent' if quiet else 'stderr written'}, {'same value' if same else 'value differs'}",
                          quiet and same))
    for name, free in imports.items():
        targets.append(Target(f"{name} without importing numba", "no numba", "no numba" if free else "numba imported",
                              free))
    worst = max((r.get(k, 0.0) for r in check.get("rows", []) for k in ("rel_longdouble", "rel_mpmath")), default=None)
    targets.append(procs.ratio_target("LM case: divcli's per-row KL against extended precision (sampled rows), "
                                      "largest relative difference", worst, 1e-12, unit=""))
    return targets


def speedup_target(groups: dict[str, list[Command]], find) -> Target:
    """divcli's speed-up from 1 to 2 threads, with the ideal that the serial part allows (start-up and
    reading, measured as floors) as its floor."""
    one, two = find("threads 1", "divcli kl -q, fused"), find("threads 2", "divcli kl -q, fused")
    speedup = one.seconds / two.seconds if one and two and one.seconds and two.seconds else None
    serial = sum(c.seconds or 0 for c in groups["floors"])
    ideal = one.seconds / ((one.seconds - serial) / 2 + serial) if speedup and one.seconds > serial else None
    return procs.ratio_target("LM case: divcli's speed-up from 1 to 2 threads", speedup, 1.8, below=False,
                              floor=f"start-up and reading ({fmt_s(serial)}) stay on one thread: at best "
                                    f"{ideal:.2f}× with the rest halved" if ideal else "")


def lm_table(args, groups: dict[str, list[Command]]) -> list[str]:
    reference = next((c.value for c in groups[f"threads {args._threads[0]}"] if c.name == "divcli kl -q, fused"), None)
    ones = {c.name: c.seconds for c in groups[f"threads {args._threads[0]}"]}
    lines = ["| command | threads | wall (median) | min – max | CPU (median) | peak RSS | peak private | speed-up "
             f"over {args._threads[0]} thread | batchmean KL | relative to divcli's fused |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---|---:|"]
    for group, commands in groups.items():
        if group == "first call":
            continue
        threads = group.split()[-1] if group.startswith("threads") else "1"
        for c in commands:
            if c.failed:
                lines.append(f"| {c.name} | {threads} | FAILED: `{c.failed[:150]}` | | | | | | | |")
                continue
            speedup = f"{ones[c.name] / c.seconds:.2f}" if group.startswith("threads") and ones.get(c.name) else ""
            value = c.value if not c.name.startswith("floor") else None
            gap = f"{abs(value - reference) / abs(reference):.1e}" if value is not None and reference else ""
            lines.append(f"| {c.name} | {threads} | {fmt_s(c.seconds)} | {fmt_s(min(c.wall))} – {fmt_s(max(c.wall))} | "
                         f"{fmt_s(c.cpu_seconds)} | {c.peak_mib:.0f} MiB | {c.anon_mib:.0f} MiB | {speedup} | "
                         f"{'' if value is None else repr(value)} | {gap} |")
    return lines


def first_call_lines(groups: dict[str, list[Command]], most: int, caches: Caches) -> list[str]:
    lines = [f"`divcli kl -q --threads {most}` on the pair's first {HEAD_ROWS} rows (files of their own: the same "
             "dtype and width, so numba compiles the same kernels, and the arithmetic takes little time): with "
             "divcli's own cache (filled by the warm-up); with `NUMBA_CACHE_DIR` a new empty folder for every run (a "
             "first call after installing: numba compiles the kernels and writes them there); the call after it in "
             "the same folder; and a copy of divcli where no cache folder can be written (its `__pycache__` "
             "folders and the user-wide cache folder are regular files, so that even root cannot write there, as "
             "in a read-only install and home): numba then compiles the kernels in memory, every run.", "",
             "| command | wall (median) | min – max | CPU (median) | peak RSS | peak private | value | stderr |",
             "|---|---:|---:|---:|---:|---:|---|---|"]
    for c in groups["first call"]:
        stderr = "FAILED" if c.failed else "written" if any(e.strip() for e in c.stderr) else "empty"
        if c.failed:
            lines.append(f"| {c.name} | FAILED: `{c.failed[:150]}` | | | | | | {stderr} |")
            continue
        lines.append(f"| {c.name} | {fmt_s(c.seconds)} | {fmt_s(min(c.wall))} – {fmt_s(max(c.wall))} | "
                     f"{fmt_s(c.cpu_seconds)} | {c.peak_mib:.0f} MiB | {c.anon_mib:.0f} MiB | {c.value!r} | {stderr} |")
    return lines


def check_lines(check: dict, reference_value: float | None) -> list[str]:
    if "failed" in check:
        return [f"The check FAILED: `{check['failed']}`"]
    lines = [f"divcli's per-row values (`kl --reduction row -q`, the fused kernel) of {len(check['rows'])} rows "
             "(sampled with a fixed seed, and the rows of the smallest and the largest value) against the same rows "
             f"computed independently (`benchmarks/lm_reference.py`, numpy {check['numpy']}, no divcli code): in "
             f"`longdouble` (numpy's ε {check['longdouble_eps']:.1e}), and "
             + ("with mpmath at 40 digits for the first row." if check["mpmath"] else "(mpmath is not installed "
                                                                                      "there: no mpmath row)."),
             "", "| row | divcli | longdouble | relative | mpmath | relative |", "|---:|---|---|---:|---|---:|"]
    for r in check["rows"]:
        mp = f"{r['mpmath']!r} | {r['rel_mpmath']:.1e}" if "mpmath" in r else " | "
        lines.append(f"| {r['row']} | {r['divcli']!r} | {r['longdouble']!r} | {r['rel_longdouble']:.1e} | {mp} |")
    if reference_value:
        gap = abs(check["mean_of_rows"] - reference_value) / abs(reference_value)
        lines += ["", f"The mean of divcli's {check['divcli_rows']} per-row values against its batchmean (`-q`): "
                      f"relative difference {gap:.1e}."]
    return lines


def write_results(args, sections: list[list[str]], targets: list[Target], started, load_at_start: str) -> None:
    lines = ["# The language-model case, and the other commands on a language model's logits", "",
             f"Written by `benchmarks/lm.py` (`make bench-lm`). Every command is a whole process; one untimed warm-up "
             f"round, then {args.repeats} timed rounds, the commands round-robin; the median wall time, the median "
             "CPU time (user + system) and the largest peak RSS (`wait4`) of the process. The machine may be "
             "shared: compare figures of one run only.", "", "## Machine", "",
             *procs.machine_lines(started, args.python, args.alt_python if has_torch(args.alt_python) else None,
                                  load_at_start),
             f"- Command: `python benchmarks/lm.py {' '.join(args._argv)}`", "",
             "## Targets", "", "Each from the medians of this run; where one is missed, the floors measured in "
             "the same run.", "", *procs.targets_table(targets), ""]
    for section in sections:
        lines += section + [""]
    Path(args.results).write_text("\n".join(lines))
    print(f"wrote {args.results}")


def parse(argv) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="divcli's interpreter (with numba: the fast extra)")
    parser.add_argument("--alt-python", default=str(HERE / ".venv/bin/python"), help="an interpreter with torch")
    parser.add_argument("--rows", type=int, default=1024, help="1024 on 2 cores; 8192: the full case")
    parser.add_argument("--classes", type=int, default=131072)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", default="1,2,4,8,16", help="those above the machine's CPUs are left out")
    parser.add_argument("--kernels", default="fused,numpy", help="divcli's kernels (DIVCLI_KERNEL) to run")
    parser.add_argument("--parts", default="lm,report,ratios,kernel",
                        help="lm, report (divcli lm's whole report), ratios (compare, distill), kernel (1M × 16)")
    parser.add_argument("--check-rows", type=int, default=16, help="rows sampled for the extended-precision check")
    parser.add_argument("--mpmath-rows", type=int, default=1, help="of those, computed with mpmath too")
    parser.add_argument("--ratio-rows", type=int, default=2000)
    parser.add_argument("--ratio-classes", type=int, default=32000)
    parser.add_argument("--kernel-rows", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--results", default=str(HERE / "RESULTS-lm.md"))
    args = parser.parse_args(argv)
    args._argv = list(sys.argv[1:] if argv is None else argv)
    # the commands run in / (the current folder would shadow divcli's PYTHONPATH): no relative paths
    args.python, args.alt_python = os.path.abspath(args.python), os.path.abspath(args.alt_python)
    args._threads = procs.thread_counts(args.threads, procs.cpus())
    return args


def lm_case(args, env: dict) -> tuple[list[list[str]], list[Target]]:
    p, q = make_pair(args.rows, args.classes, args.seed)
    caches = Caches(env)
    try:
        groups = lm_commands(args, p, q, env, caches)
        print(f"case: LM, {args.rows} × {args.classes}, threads {args._threads}", flush=True)
        procs.measure([c for group in groups.values() for c in group], args.repeats)
        imports = numba_free(args.python, env)
        check = reference_check(args, p, q, env)
        targets = lm_targets(args, groups, imports, check)
        first = first_call_lines(groups, args._threads[-1], caches)
    finally:
        caches.cleanup()
    fused = next((c.value for c in groups[f"threads {args._threads[-1]}"] if c.name == "divcli kl -q, fused"), None)
    intro = (f"Two {args.rows:,} × {args.classes:,} float16 `.npy` of logits ({p.stat().st_size / 2**20:.0f} MiB "
             "each): Zipf-like base logits and base + N(0, 0.02²), as a quantized model's, generated with a fixed seed. "
             "`divcli kl P Q --p-as logits --q-as logits -q --threads T` with numba's fused kernel "
             "(`DIVCLI_KERNEL=fused`, what rows this wide take with the fast extra) and numpy's kernels "
             "(`DIVCLI_KERNEL=numpy`, a plain install's path), against torch's load + `log_softmax` + `kl_div` "
             "(batchmean) in float32 and in float64 on as many threads. The floors are what no run can go "
             "below on this machine: the start-up (the interpreter, divcli's imports, numba and the cached fused "
             "kernel loaded, a tiny call computed), reading both files whole, and numpy's `exp` over as many values "
             "as both operands hold (one `exp` per value is the least any kernel from logits takes). The last "
             "column: each value's relative distance to divcli's; torch's float32 is not exact where P ≈ Q.")
    sections = [["## The language-model case", "", intro, "", *lm_table(args, groups)],
                ["### The first call after installing, and an install where no cache folder can be written", "", *first],
                ["### An independent check of the number", "", *check_lines(check, fused)]]
    return sections, targets


def main(argv=None) -> int:
    args = parse(argv)
    started, load_at_start = datetime.datetime.now(datetime.timezone.utc), procs.load()
    env = procs.environment(PYTHONPATH=str(ROOT))
    env.pop("DIVCLI_KERNEL", None)
    env.pop("NUMBA_CACHE_DIR", None)
    sections, targets = [], []
    parts = args.parts.split(",")
    if "lm" in parts:
        sections, targets = lm_case(args, env)
    if "report" in parts:
        import lm_report

        more_sections, more_targets = lm_report.report_case(args, env)
        sections.append(more_sections)
        targets += more_targets
    if "ratios" in parts or "kernel" in parts:
        import lm_parts

        for part, function in (("ratios", lm_parts.ratios_case), ("kernel", lm_parts.kernel_case)):
            if part in parts:
                more_sections, more_targets = function(args, env)
                sections.append(more_sections)
                targets += more_targets
    write_results(args, sections, targets, started, load_at_start)
    return 0


if __name__ == "__main__":
    sys.exit(main())
