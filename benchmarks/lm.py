"""The language-model case: ``divcli kl -q`` on two float16 .npy of logits (a model's and a candidate's,
nearly identical, as a quantized model's), with numpy's accurate kernel and with numba's fused one
(``DIVCLI_KERNEL``), at 1 and 2 threads, side by side with a torch float32 one-liner when the
benchmark venv has torch. Every command is a whole process; one untimed warm-up, then ``--repeats``
timed runs round-robin; the table gives the median wall time, the CPU time and the peak RSS.

    python benchmarks/lm.py [--rows 1024] [--classes 131072] [--repeats 3] [--alt-python benchmarks/.venv/bin/python]

Writes benchmarks/RESULTS-lm.md (``make bench-lm``).
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
DATA = HERE / "data"

#: torch's usual way: load, log_softmax in float32, kl_div(batchmean)
TORCH = """
import sys, numpy as np, torch
torch.set_num_threads(int(sys.argv[3]))
p = torch.from_numpy(np.load(sys.argv[1])).float()
q = torch.from_numpy(np.load(sys.argv[2])).float()
print(torch.nn.functional.kl_div(torch.log_softmax(q, 1), torch.log_softmax(p, 1), reduction="batchmean",
                                 log_target=True).item())
"""


def make_pair(rows: int, classes: int, seed: int, noise: float = 0.02) -> tuple[Path, Path]:
    """Zipf-like base logits (−1.1·log rank, shuffled per row, plus N(0, 0.5)) and base + N(0, noise),
    both float16, generated a block of rows at a time; reused when already there."""
    DATA.mkdir(exist_ok=True)
    p, q = (DATA / f"lm-{name}-{rows}x{classes}-{seed}.npy" for name in ("p", "q"))
    if p.exists() and q.exists():
        return p, q
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


def run(argv: list[str], env: dict) -> tuple[float, float, int, str]:
    """(wall s, CPU s, peak RSS KiB, stdout) of one whole process (its own rusage, from wait4)."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdout=out, stderr=err, env=env, cwd="/")
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - start
        out.seek(0), err.seek(0)
        if os.waitstatus_to_exitcode(status):
            raise SystemExit(f"{argv}: exit {os.waitstatus_to_exitcode(status)}: {err.read().decode()[-500:]}")
        return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss, out.read().decode().strip()


def measure(commands: dict[str, tuple[list[str], dict]], repeats: int) -> dict[str, dict]:
    results = {name: {"wall": [], "cpu": [], "rss": [], "value": None} for name in commands}
    for round_ in range(repeats + 1):  # round 0: the warm-up (page cache, .pyc, numba's cache)
        for name, (argv, env) in commands.items():
            wall, cpu, rss, stdout = run(argv, env)
            print(f"  {name}: {wall:.2f} s, CPU {cpu:.2f} s{' (warm-up)' if round_ == 0 else ''}", flush=True)
            if round_:
                results[name]["wall"].append(wall)
                results[name]["cpu"].append(cpu)
                results[name]["rss"].append(rss)
            results[name]["value"] = float(stdout.split()[-1])
    return results


def simd() -> str:
    flags = set()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                flags = set(line.split(":", 1)[1].split())
                break
    except OSError:
        pass
    return ", ".join(level for level in ("avx512f", "avx2", "fma") if level in flags) or "unknown"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--python", default=sys.executable, help="divcli's interpreter (with numba for 'fused')")
    parser.add_argument("--alt-python", default=str(HERE / ".venv/bin/python"), help="an interpreter with torch")
    parser.add_argument("--rows", type=int, default=1024)
    parser.add_argument("--classes", type=int, default=131072)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", default="1,2")
    parser.add_argument("--seed", type=int, default=20261206)
    parser.add_argument("--results", default=str(HERE / "RESULTS-lm.md"))
    args = parser.parse_args(argv)
    p, q = make_pair(args.rows, args.classes, args.seed)
    base_env = {**os.environ, "PYTHONPATH": str(ROOT)}
    base_env.pop("DIVCLI_KERNEL", None)
    commands = {}
    for threads in args.threads.split(","):
        for kernel in ("numpy", "fused"):
            commands[f"divcli kl -q, {kernel}, {threads} thread(s)"] = (
                [args.python, "-m", "divcli", "kl", str(p), str(q), "--p-as", "logits", "--q-as", "logits", "-q",
                 "--threads", threads], {**base_env, "DIVCLI_KERNEL": kernel})
        has_torch = os.path.exists(args.alt_python) and subprocess.run(
            [args.alt_python, "-c", "import torch"], capture_output=True).returncode == 0
        if has_torch:
            commands[f"torch float32, {threads} thread(s)"] = ([args.alt_python, "-c", TORCH, str(p), str(q), threads],
                                                               dict(os.environ))
    started = datetime.datetime.now(datetime.timezone.utc)
    results = measure(commands, args.repeats)
    reference = next(iter(results.values()))["value"]
    lines = [
        "# The language-model case: kl -q on near-identical float16 logits",
        "",
        f"Written by `benchmarks/lm.py` (`make bench-lm`), {started:%Y-%m-%d %H:%M} UTC. Two {args.rows:,} × "
        f"{args.classes:,} float16 `.npy` of logits ({p.stat().st_size / 2**20:.0f} MiB each): Zipf-like base "
        "logits and base + N(0, 0.02²), as a quantized model's. Every row is near-identical: numpy's path "
        "(`DIVCLI_KERNEL=numpy`) computes it by the plain formulas, then again by its accurate kernel; numba's fused "
        "kernel (`DIVCLI_KERNEL=fused`) computes every row once, from the values read. "
        f"One warm-up, then {args.repeats} timed runs round-robin; the median wall time, the median CPU time "
        "(user + system) and the largest peak RSS of the process (wait4). The machine may be shared: "
        "compare figures of one run only, and the CPU times more than the wall times.",
        "",
        f"- Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, SIMD: {simd()}; load "
        f"average at the end: {os.getloadavg()[0]:.1f}",
        f"- Python {platform.python_version()}; the last column: each value's relative distance to the first's "
        "(divcli's two kernels agree to the last digits; torch's float32 is not exact where P ≈ Q)",
        "",
        "| command | wall (median) | CPU (median) | peak RSS | batchmean KL | relative to the first |",
        "|---|---|---|---|---|---|",
    ]
    for name, result in results.items():
        gap = abs(result["value"] - reference) / abs(reference)
        lines.append(f"| {name} | {statistics.median(result['wall']):.2f} s | {statistics.median(result['cpu']):.2f} s"
                     f" | {max(result['rss']) / 1024:.0f} MiB | {result['value']!r} | {gap:.1e} |")
    if not any(name.startswith("torch") for name in results):
        lines += ["", f"torch: not measured, no torch in {args.alt_python}."]
    Path(args.results).write_text("\n".join(lines) + "\n")
    print(f"wrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
