#!/usr/bin/env python3
"""divcli against what users would otherwise write, side by side in one run.

Generates its data under ``benchmarks/data/`` (fixed seed, reused when already there), runs every
command of a case as a whole process (one untimed warm-up, then ``--repeats`` timed runs, the
commands of a case interleaved round-robin so drift on a shared machine hits them alike), checks
that every command computes the same numbers, and writes medians, ratios and peak memory to
``benchmarks/RESULTS.md``.

    make bench                                    # the venvs, then this script with its defaults
    make bench BENCH_ARGS="--wide-rows 20000"     # smaller 100k × 1000 case
    python benchmarks/run.py --divcli .venv/bin/divcli --alt-python benchmarks/.venv/bin/python

The script itself needs only numpy (it runs in divcli's venv); pandas, SciPy and torch live in the
alternatives' venv (``--alt-python``).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import json
import os
import platform
import re
import shutil
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
OUT = DATA / "out"
ALT = HERE / "alternatives"
TIME_BIN = "/usr/bin/time"

RTOL = 1e-9   # agreement between commands: |a − b| ≤ RTOL·|b| + ATOL, row by row
ATOL = 1e-15

TINY_P, TINY_Q = "9/25,12/25,4/25", "1/3,1/3,1/3"
TINY_SCIPY = ("import scipy.stats; "
              "print(repr(float(scipy.stats.entropy([9/25, 12/25, 4/25], [1/3, 1/3, 1/3]))))")
TINY_TORCH = ("import torch; "
              "P = torch.tensor([[9/25, 12/25, 4/25]], dtype=torch.float64); "
              "Q = torch.full((1, 3), 1/3, dtype=torch.float64); "
              "print(repr(torch.nn.KLDivLoss(reduction='batchmean')(Q.log(), P).item()))")

# ---------------------------------------------------------------------------------------------
# Data: logits with 4 decimals (as samples/*.csv), headerless CSV, and the same values as .npy.
# ---------------------------------------------------------------------------------------------

_TABLE = None


def _table() -> np.ndarray:
    """Decimal text of k/10⁴ for k in [-99999, 99999], indexed by k + 99999 (fast CSV writing)."""
    global _TABLE
    if _TABLE is None:
        _TABLE = np.array([f"{k / 1e4:.4f}" for k in range(-99999, 100000)], dtype=object)
    return _TABLE


def _logit_block(rng: np.random.Generator, rows: int, classes: int) -> np.ndarray:
    """Integer logits ×10⁴, normal with σ = 2, clipped to |x| < 10."""
    return np.clip(np.rint(rng.normal(0.0, 2.0, (rows, classes)) * 1e4), -99999, 99999).astype(np.int64)


def make_logits(stem: str, rows: int, classes: int, seed: int, npy: bool) -> tuple[Path, Path | None]:
    """``data/<stem>.csv`` (and ``.npy``, the same float64 values) unless already there."""
    csv = DATA / f"{stem}_{rows}x{classes}_s{seed}.csv"
    npy_path = csv.with_suffix(".npy") if npy else None
    if csv.exists() and (npy_path is None or npy_path.exists()):
        return csv, npy_path
    print(f"  generating {csv.name}{' and .npy' if npy else ''} ...", flush=True)
    rng = np.random.default_rng(seed)
    table = _table()
    arr = None
    if npy_path is not None:
        arr = np.lib.format.open_memmap(str(npy_path) + ".tmp", mode="w+", dtype=np.float64, shape=(rows, classes))
    block = max(1, 2_000_000 // classes)
    tmp = csv.with_name(csv.name + ".tmp")
    with open(tmp, "w") as f:
        for start in range(0, rows, block):
            k = _logit_block(rng, min(block, rows - start), classes)
            if arr is not None:
                arr[start:start + len(k)] = k / 1e4
            f.write("\n".join(",".join(row) for row in table[k + 99999].tolist()))
            f.write("\n")
    if arr is not None:
        arr.flush()
        del arr
        os.replace(str(npy_path) + ".tmp", npy_path)
    os.replace(tmp, csv)
    return csv, npy_path


def stream_generator_cmd(block: Path, total_bytes: int) -> list[str]:
    """A process that writes ``block`` to stdout over and over, ≥ total_bytes in all (no numpy)."""
    code = ("import sys; b = open(sys.argv[1], 'rb').read(); n = -(-int(sys.argv[2]) // len(b)); "
            "w = sys.stdout.buffer.write\nfor _ in range(n): w(b)")
    return [sys.executable, "-c", code, str(block), str(total_bytes)]


# ---------------------------------------------------------------------------------------------
# Running
# ---------------------------------------------------------------------------------------------


class Command:
    def __init__(self, name: str, argv: list[str], *, output: Path | None = None, column: str | None = None,
                 stdin_gen: list[str] | None = None, check: bool = True):
        self.name = name
        self.argv = argv
        self.output = output            # per-row CSV the command writes (None: the number on stdout)
        self.column = column            # its column of per-row KL
        self.stdin_gen = stdin_gen      # a generator process piped into stdin
        self.check = check              # False: nothing to compare (``--help``, ``import numpy``)
        self.times: list[float] = []
        self.peaks_kib: list[int] = []
        self.sample_anon = False        # also sample the process tree's anonymous memory (see AnonSampler)
        self.anon_peaks_kib: list[int] = []
        self.last_anon_kib: int | None = None
        self.failed: str | None = None
        self.stdout = ""
        self.verdict = ""


def _peak_from_time(text: str) -> int | None:
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", text)
    return int(m.group(1)) if m else None


class AnonSampler:
    """The peak of a process tree's anonymous resident memory (``RssAnon`` of ``/proc/PID/status``,
    summed over the process and its descendants), sampled every ``interval`` s in a thread.

    ``ru_maxrss`` and ``/usr/bin/time -v`` count every resident page, file-backed ones too: a
    memory-mapped input (divcli maps ``.npy`` files) adds the pages read so far, which are the page
    cache's, clean, and given back under memory pressure. ``RssAnon`` is the process's own memory (heap,
    arrays). Sampled, so a peak shorter than the interval can be missed."""

    def __init__(self, pid: int, interval: float = 0.01):
        import threading
        self.pid, self.interval, self.peak_kib = pid, interval, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _tree(self) -> list[int]:
        pids, todo = [], [self.pid]
        while todo:
            pid = todo.pop()
            pids.append(pid)
            try:
                todo += [int(c) for c in open(f"/proc/{pid}/task/{pid}/children").read().split()]
            except OSError:
                pass
        return pids

    def _run(self) -> None:
        while not self._stop.is_set():
            total = 0
            for pid in self._tree():
                try:
                    for line in open(f"/proc/{pid}/status"):
                        if line.startswith("RssAnon:"):
                            total += int(line.split()[1])
                            break
                except OSError:
                    pass
            self.peak_kib = max(self.peak_kib, total)
            self._stop.wait(self.interval)

    def stop(self) -> int | None:
        self._stop.set()
        self._thread.join()
        return self.peak_kib or None


def run_once(cmd: Command, use_time: bool) -> tuple[float, int | None, int, str, str]:
    """Run once: (wall seconds, peak RSS KiB, exit code, stdout, stderr)."""
    if cmd.output is not None and cmd.output.is_dir():
        shutil.rmtree(cmd.output)  # a folder of parts (--engine dask -o DIR)
    elif cmd.output is not None and cmd.output.exists():
        cmd.output.unlink()
    with tempfile.TemporaryDirectory() as td:
        tfile = os.path.join(td, "time.txt")
        argv = [TIME_BIN, "-v", "-o", tfile, *cmd.argv] if use_time else cmd.argv
        with open(os.path.join(td, "out"), "w+b") as out, open(os.path.join(td, "err"), "w+b") as err:
            gen = None
            stdin = subprocess.DEVNULL
            if cmd.stdin_gen:
                gen = subprocess.Popen(cmd.stdin_gen, stdout=subprocess.PIPE)
                stdin = gen.stdout
            t0 = time.perf_counter()
            proc = subprocess.Popen(argv, stdin=stdin, stdout=out, stderr=err, cwd=ROOT, env=COMMAND_ENV)
            sampler = AnonSampler(proc.pid) if cmd.sample_anon else None
            if gen is not None:
                gen.stdout.close()
            _, status, usage = os.wait4(proc.pid, 0)
            wall = time.perf_counter() - t0
            cmd.last_anon_kib = sampler.stop() if sampler else None
            proc.returncode = os.waitstatus_to_exitcode(status)
            if gen is not None:
                gen.wait()
            out.seek(0)
            err.seek(0)
            stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        if use_time:
            peak = _peak_from_time(open(tfile).read()) if os.path.exists(tfile) else None
        else:
            peak = usage.ru_maxrss  # KiB on Linux; wait4 gives this child's (and its children's) peak
    return wall, peak, proc.returncode, stdout, stderr


#: Every timed command's environment: this one without PYTHONDONTWRITEBYTECODE (set on our machine),
#: so the warm-up run leaves bytecode and every timed run loads modules as after a pip install,
#: divcli's and the alternatives' alike, instead of compiling divcli's sources each time.
COMMAND_ENV = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}


#: Streams this long (GB) run without a warm-up and without the script that holds them whole.
LONG_STREAM_GB = 2.0


def run_case(commands: list[Command], repeats: int, use_time: bool, warm_up: bool = True) -> None:
    for cmd in commands if warm_up else []:                # warm-up: page cache, .pyc, first touch
        wall, peak, rc, out, err = run_once(cmd, use_time)
        if rc != 0:
            cmd.failed = f"exit {rc}: {err.strip().splitlines()[-1] if err.strip() else ''}"[:300]
            print(f"    {cmd.name}: FAILED ({cmd.failed})", flush=True)
        else:
            print(f"    {cmd.name}: warm-up {wall:.3f} s", flush=True)
    for i in range(repeats):                               # timed, round-robin
        for cmd in commands:
            if cmd.failed:
                continue
            wall, peak, rc, out, err = run_once(cmd, use_time)
            if rc != 0:
                cmd.failed = f"exit {rc} in repeat {i + 1}: {err.strip()[-200:]}"
                continue
            cmd.times.append(wall)
            if peak is not None:
                cmd.peaks_kib.append(peak)
            if cmd.last_anon_kib is not None:
                cmd.anon_peaks_kib.append(cmd.last_anon_kib)
            cmd.stdout = out
    for cmd in commands:
        if cmd.times:
            print(f"    {cmd.name}: median {statistics.median(cmd.times):.3f} s", flush=True)


def _per_row(cmd: Command) -> np.ndarray:
    if cmd.output.is_dir():  # CSV parts, in order
        return np.concatenate([_column(part, cmd.column) for part in sorted(cmd.output.glob("part-*.csv"))])
    return _column(cmd.output, cmd.column)


def _column(path: Path, column: str) -> np.ndarray:
    with open(path) as f:
        header = f.readline().rstrip("\n").split(",")
        idx = header.index(column)
        return np.array([float(line.split(",")[idx]) for line in f if line.strip()])


def check_agreement(commands: list[Command], reference: Command) -> None:
    """Compare every command's numbers with the reference's; set each command's verdict."""
    values = {}
    for cmd in commands:
        if cmd.failed or not cmd.check:
            continue
        try:
            values[cmd.name] = _per_row(cmd) if cmd.output is not None else np.array([float(cmd.stdout.strip())])
        except Exception as e:  # noqa: BLE001 - reported, not raised
            cmd.failed = f"unreadable output: {e}"[:300]
    ref = values.get(reference.name)
    if ref is None:
        ok = [c for c in commands if c.name in values]
        ref = values[ok[0].name] if ok else None
        reference = ok[0] if ok else reference
    for cmd in commands:
        if cmd.failed:
            cmd.verdict = "FAILED"
        elif not cmd.check:
            cmd.verdict = "n/a (no number)"
        elif cmd is reference:
            cmd.verdict = f"reference ({len(ref)} value{'s' if len(ref) != 1 else ''})"
        else:
            v = values[cmd.name]
            if v.shape != ref.shape:
                cmd.verdict = f"INVALID: {len(v)} values, reference has {len(ref)}"
            else:
                bad = np.abs(v - ref) > RTOL * np.abs(ref) + ATOL
                rel = float(np.max(np.abs(v - ref) / np.maximum(np.abs(ref), 1e-300)))
                if bad.any():
                    cmd.verdict = f"INVALID: {int(bad.sum())} rows differ (max rel {rel:.1e})"
                else:
                    cmd.verdict = f"agrees (max rel {rel:.0e})"


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except Exception:  # noqa: BLE001
        return "?"


def provenance() -> str:
    """The commit of the divcli measured, and any uncommitted change to ``divcli/``: taken when the
    run starts (the venv was installed from the tree just before), not when it ends."""
    commit = _git("rev-parse", "--short=12", "HEAD")
    dirty = _git("status", "--porcelain", "--", "divcli")
    if dirty:
        import hashlib
        diff = subprocess.run(["git", "diff", "HEAD", "--", "divcli"], cwd=ROOT, capture_output=True).stdout
        dirty = (f"; **`divcli/` had uncommitted changes** ({', '.join(l.split(maxsplit=1)[-1] for l in dirty.splitlines())}; "
                 f"`git diff HEAD -- divcli` sha1 {hashlib.sha1(diff).hexdigest()[:12]}): the divcli measured had them")
    return f"commit `{commit}` ({_git('log', '-1', '--format=%s')}){dirty}"


def machine_lines(args, divcli_python: str) -> list[str]:
    from procs import cpu_model, memory, versions  # the LM benchmarks' own, beside this script

    cpu, mem = cpu_model(), memory()

    return [
        f"- Date: {args._started:%Y-%m-%d %H:%M UTC}",
        f"- CPU: {cpu}; {os.cpu_count()} cores (shared, noisy); RAM {mem}; {platform.platform()}",
        f"- divcli: {args._provenance}",
        f"- divcli's venv (`{os.path.relpath(args.divcli, ROOT)}`): {versions(divcli_python, ['numpy', 'click', 'rich', 'pyarrow', 'orjson'])}",
        (f"- Alternatives' venv (`{os.path.relpath(args.alt_python, ROOT)}`): "
         f"{versions(args.alt_python, ['numpy', 'scipy', 'pandas', 'torch'])}; torch threads: "
         + subprocess.run([args.alt_python, "-c", "import torch; print(torch.get_num_threads())"],
                          capture_output=True, text=True).stdout.strip()) if os.path.exists(args.alt_python)
        else "- Alternatives' venv: not used (no case needs it)",
        f"- Dask (divcli's `dask` extra): {versions(divcli_python, ['dask', 'distributed', 'pyarrow'])}"
        if "dask" in args.cases.split(",") else "",
        f"- Load average (1/5/15 min) at start: {args._load_start}; at end: {_loadavg()}",
    ]


def _loadavg() -> str:
    try:
        return " ".join(open("/proc/loadavg").read().split()[:3])
    except OSError:
        return "?"


def _fmt_s(x: float) -> str:
    return f"{x:.3f}" if x < 10 else f"{x:.2f}"


def case_table(title: str, commands: list[Command], divcli_name: str, notes: list[str],
               in_bytes: int | None = None, elements: int | None = None) -> list[str]:
    lines = [f"### {title}", ""]
    lines += notes + ([""] if notes else [])
    div = next(c for c in commands if c.name == divcli_name)
    div_med = statistics.median(div.times) if div.times else None
    hdr = "| command | median s | min – max s | peak RSS MiB | divcli ÷ this | this ÷ divcli |"
    sep = "|---|---:|---:|---:|---:|---:|"
    if in_bytes:
        hdr += " input MB/s | M elements/s |"
        sep += "---:|---:|"
    hdr += " check |"
    sep += "---|"
    lines += [hdr, sep]
    for c in commands:
        if c.times:
            med = statistics.median(c.times)
            row = (f"| {c.name} | {_fmt_s(med)} | {_fmt_s(min(c.times))} – {_fmt_s(max(c.times))} | "
                   f"{max(c.peaks_kib) / 1024:.0f} | " if c.peaks_kib else
                   f"| {c.name} | {_fmt_s(med)} | {_fmt_s(min(c.times))} – {_fmt_s(max(c.times))} | ? | ")
            if div_med is not None and c.verdict and not c.verdict.startswith("INVALID"):
                row += f"{div_med / med:.2f} | {med / div_med:.2f} |"
            else:
                row += "— | — |"
            if in_bytes:
                row += f" {in_bytes / med / 1e6:.0f} | {elements / med / 1e6:.1f} |"
        else:
            row = "| " + c.name + " | — | — | — | — | — |" + (" — | — |" if in_bytes else "")
        lines.append(row + f" {c.verdict or c.failed} |")
    lines.append("")
    lines.append("<details><summary>commands</summary>")
    lines.append("")
    for c in commands:
        argv = " ".join(_shell_quote(a) for a in c.argv)
        if c.stdin_gen:
            argv = "<generator> | " + argv
        lines.append(f"- {c.name}: `{argv}`")
        if c.failed:
            lines.append(f"  - failed: `{c.failed}`")
    lines += ["", "</details>", ""]
    return lines


def _shell_quote(a: str) -> str:
    a = os.path.relpath(a, ROOT) if a.startswith(str(ROOT) + os.sep) else a
    return a if re.fullmatch(r"[\w./:=,+-]+", a) else "'" + a.replace("'", "'\\''") + "'"


# ---------------------------------------------------------------------------------------------


def kernel_case(args, divcli_python: str, alt: str, measured: dict) -> list[str]:
    """divcli's per-block kernel against torch (both on the threads divcli takes, and on one),
    softmax + SciPy and naive numpy, each timed in its own process on the same seeded logits
    (``benchmarks/kernel.py``): the computation alone."""
    rows, classes, threads = args.kernel_rows, args.classes, args._threads
    print(f"case: kernel ({rows} × {classes}, {threads} threads)", flush=True)
    plural = "s" if threads != 1 else ""
    # (label, kernel, interpreter, threads)
    kernels = [("divcli", "divcli", divcli_python, threads), ("torch", "torch", alt, threads),
               ("divcli-1", "divcli", divcli_python, 1), ("torch-1", "torch", alt, 1),
               ("scipy", "scipy", alt, 1), ("numpy", "numpy", alt, 1), ("one-exp", "one-exp", divcli_python, 1),
               ("exp-3", "exp-3", divcli_python, 1), ("exp-2", "exp-2", divcli_python, 1)]
    if threads == 1:
        kernels = [k for k in kernels if not k[0].endswith("-1")]
    names = {"divcli": f"divcli (checks, log-softmax, report), {threads} thread{plural}",
             "torch": f"torch CPU (float64), {threads} thread{plural}",
             "divcli-1": "divcli, 1 thread", "torch-1": "torch CPU, 1 thread",
             "scipy": "softmax + scipy.stats.entropy", "numpy": "naive numpy",
             "one-exp": "careful numpy, one `exp` per element, 1 thread (not divcli's: no accurate rows)",
             "exp-3": "floor: numpy's `exp` alone, 3 per pair, 1 thread",
             "exp-2": "floor: numpy's `exp` alone, 2 per pair, 1 thread (what divcli's kernel and any kernel from logits take)"}
    floors = ("exp-3", "exp-2")
    results = {}
    for label, kernel, python, kernel_threads in kernels:
        done = subprocess.run([python, str(HERE / "kernel.py"), kernel, "--rows", str(rows), "--classes",
                               str(classes), "--repeats", str(args.repeats), "--seed", str(args.seed),
                               "--threads", str(kernel_threads)],
                              capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            results[label] = {"failed": (done.stderr.strip().splitlines() or ["?"])[-1][:200]}
        else:
            results[label] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"    {label}: {results[label].get('m_elements_per_s', 'FAILED')}", flush=True)
    measured["kernel"] = results
    lines = [f"### 1c. The kernel in-process: per-row KL of two {rows:,} × {classes} float64 logit arrays", "",
             "Each kernel in its own process on the same seeded logits, the computation alone (no parsing, no "
             f"output): one warm-up, then {args.repeats} timed runs, median. M elements/s = N × C / time. "
             f"divcli computes its blocks on its pipeline ({threads} at once, as `divcli --threads {threads}`), "
             "torch on as many threads. issue 16 target: divcli ≥ 1.5 × torch CPU with the same number of threads.",
             "",
             "| kernel | median s | min – max s | M elements/s | divcli ÷ this (time) | divcli speed ÷ this | check |",
             "|---|---:|---:|---:|---:|---:|---|"]
    reference = results.get("scipy", {}).get("checksum")
    div = results.get("divcli", {})
    for label, *_ in kernels:
        result = results[label]
        if "failed" in result:
            lines.append(f"| {names[label]} | — | — | — | — | — | FAILED: `{result['failed']}` |")
            continue
        checksum = result["checksum"]
        check = "n/a (no KL: a floor)" if label in floors else "reference (Σ of per-row KL)" if label == "scipy" else (
            f"agrees (rel {abs(checksum - reference) / abs(reference):.0e})"
            if reference and abs(checksum - reference) <= 1e-9 * abs(reference) else "INVALID")
        ratio = (f"{div['seconds'] / result['seconds']:.2f} | {result['seconds'] / div['seconds']:.2f}"
                 if "seconds" in div else "— | —")
        lines.append(f"| {names[label]} | {_fmt_s(result['seconds'])} | {_fmt_s(min(result['times']))} – "
                     f"{_fmt_s(max(result['times']))} | {result['m_elements_per_s']:.1f} | {ratio} | {check} |")
    ceilings = [f"{results[floor]['m_elements_per_s']:.1f} M elements/s with {floor[-1]} `exp` per pair on one thread"
                for floor in floors if "m_elements_per_s" in results.get(floor, {})]
    if ceilings:
        lines += ["", "The floors bound every numpy kernel on one thread of this machine, whatever else it does: at most "
                  + " and ".join(ceilings) + "."]
    lines += ["", f"Command: `python benchmarks/kernel.py KERNEL --rows {rows} --classes {classes} "
                  f"--repeats {args.repeats} --threads T` (divcli, one-exp and the floors with divcli's venv, the "
                  "others with the alternatives' venv).", ""]
    return lines


def divcli_threads(python: str) -> int:
    """The threads divcli takes by default in its venv: every CPU the process may use."""
    code = "from divcli.engine.threads import available_cpus; print(available_cpus())"
    try:
        done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=True, cwd="/")
        return int(done.stdout.strip())
    except (OSError, ValueError, subprocess.CalledProcessError):
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _median(measured: dict, case: str, name: str) -> float | None:
    """The median time of the command ``name`` of ``case`` (None when it did not run or disagreed)."""
    for cmd in measured.get(case, []):
        if cmd.name == name and cmd.times and not (cmd.verdict or "").startswith(("INVALID", "FAILED")):
            return statistics.median(cmd.times)
    return None


def _peak_mib(measured: dict, case: str, name: str) -> float | None:
    for cmd in measured.get(case, []):
        if cmd.name == name and cmd.peaks_kib:
            return max(cmd.peaks_kib) / 1024
    return None


def targets_table(measured: dict, args) -> list[str]:
    """Issue 16's targets, each with what this run measured and whether it is met."""
    rows: list[tuple[str, str, float | None, str, bool | None]] = []  # (what, target, value, shown, met)

    def ratio(what: str, target: float, a: float | None, b: float | None, below: bool = True) -> None:
        value = a / b if a and b else None
        met = None if value is None else (value <= target if below else value >= target)
        rows.append((what, f"{'≤' if below else '≥'} {target:g}", value, "—" if value is None else f"{value:.3g}", met))

    pandas = "pandas + SciPy"
    size = f"{args.rows:,} × {args.classes}"
    ratio(f"2 × {size} CSVs → per-row CSV: divcli ÷ pandas + SciPy", 0.3,
          _median(measured, "long", "divcli"), _median(measured, "long", pandas))
    ratio("the same as `.npy`: divcli ÷ pandas + SciPy on the CSVs", 0.15,
          _median(measured, "npy", "divcli"), _median(measured, "long", pandas))
    kernel = measured.get("kernel", {})
    ratio(f"the kernel: divcli's speed ÷ torch CPU's, {args._threads} threads each", 1.5,
          kernel.get("divcli", {}).get("m_elements_per_s"), kernel.get("torch", {}).get("m_elements_per_s"),
          below=False)
    ratio("plain install (no fast extra), the CSV case: divcli ÷ pandas + SciPy", 1.0,
          _median(measured, "long", "divcli without the fast extra"), _median(measured, "long", pandas))
    ratio("tiny call: divcli ÷ the SciPy script", 0.2,
          _median(measured, "tiny", "divcli"), _median(measured, "tiny", "SciPy script"))
    ratio("`divcli --help` ÷ `python -c \"import numpy\"`", 0.6,
          _median(measured, "help", "divcli --help"), _median(measured, "help", "python -c \"import numpy\""))
    ratio("`distill -q` ÷ `kl -q` on the same float16 logits, with labels (issue 20)", 1.5,
          _median(measured, "distill", "divcli distill -q"), _median(measured, "distill", "divcli kl -q"))
    peak = _peak_mib(measured, "stream", "divcli")
    rows.append(("stdin stream: divcli's peak resident memory (MiB)", "≤ 300", peak,
                 "—" if peak is None else f"{peak:.0f}", None if peak is None else peak <= 300))
    mark = {True: "**met**", False: "**missed**", None: "not measured in this run"}
    lines = ["## Targets (issue 16)", "",
             "Each ratio from the medians of this run (commands side by side, round-robin); the floors that "
             "explain a missed target are in the case's table below.", "",
             "| target | wanted | this run | |", "|---|---:|---:|---|"]
    lines += [f"| {what} | {target} | {shown} | {mark[met]} |" for what, target, _, shown, met in rows]
    return lines + [""]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--divcli", default=str(ROOT / ".venv/bin/divcli"))
    ap.add_argument("--alt-python", default=str(HERE / ".venv/bin/python"))
    ap.add_argument("--repeats", type=int, default=5, help="timed runs per command (after one warm-up)")
    ap.add_argument("--seed", type=int, default=20261126)
    ap.add_argument("--rows", type=int, default=1_000_000, help="rows of the long case (default 1M)")
    ap.add_argument("--classes", type=int, default=16, help="classes of the long case (default 16)")
    ap.add_argument("--wide-rows", type=int, default=20_000,
                    help="rows of the wide case (default 20k; issue 5's 100k takes about 25 min more on 2 cores)")
    ap.add_argument("--wide-classes", type=int, default=1000, help="classes of the wide case (default 1000)")
    ap.add_argument("--stream-gb", type=float, default=0.2,
                    help="bytes (GB, 1e9) streamed through stdin (default 0.2; issue 5's 10 GB-class stream: 10)")
    ap.add_argument("--kernel-rows", type=int, default=1_000_000,
                    help="rows of the in-process kernel case (default 1M, × --classes)")
    ap.add_argument("--stream-cap-gb", type=float, default=12.0,
                    help="address-space cap (GiB) on every stream command, so a too-big stream fails "
                         "instead of exhausting the machine (default 12)")
    ap.add_argument("--distill-rows", type=int, default=2000, help="rows of the distill case (default 2000)")
    ap.add_argument("--distill-classes", type=int, default=32000,
                    help="classes of the distill case (default 32000: a language model's vocabulary)")
    ap.add_argument("--cases", default="tiny,kernel,long,wide,npy,stream,distill",
                    help="comma-separated subset of tiny,kernel,long,wide,npy,stream,distill,dask,scaling,lm (dask: "
                         "`make bench-dask`; scaling: `make bench-scaling`, into its own --scaling-results; "
                         "lm: `make bench-lm`, into benchmarks/RESULTS-lm.md)")
    ap.add_argument("--shards", type=int, default=8, help="shards of the dask case (default 8 × 125k rows)")
    ap.add_argument("--results", default=str(HERE / "RESULTS.md"))
    ap.add_argument("--scaling-rows", default="10000,100000,1000000,4000000",
                    help="rows of the scaling case, comma-separated (default 10k,100k,1M,4M × --classes)")
    ap.add_argument("--scaling-results", default=str(HERE / "RESULTS-scaling.md"),
                    help="the scaling case's table (default benchmarks/RESULTS-scaling.md)")
    ap.add_argument("--scaling-svg", default=str(HERE / "scaling.svg"),
                    help="the scaling case's plot (default benchmarks/scaling.svg; also copied to docs/scaling.svg)")
    args = ap.parse_args(argv)
    args._argv = argv if argv is not None else sys.argv[1:]
    args._load_start = _loadavg()
    args._started, args._provenance = datetime.datetime.now(datetime.timezone.utc), provenance()
    args._threads = divcli_threads(str(Path(args.divcli).parent / "python"))
    cases = set(args.cases.split(","))
    t_start = time.perf_counter()

    divcli = args.divcli
    divcli_python = str(Path(divcli).parent / "python")
    alt = args.alt_python
    for exe in (divcli, alt) if cases - {"dask", "scaling", "distill"} else (divcli,):
        if not os.path.exists(exe):
            sys.exit(f"missing {exe}: run `make bench` (it creates both venvs)")
    use_time = os.access(TIME_BIN, os.X_OK)
    DATA.mkdir(exist_ok=True)
    OUT.mkdir(exist_ok=True)

    report: list[str] = []
    skipped: list[str] = []
    measured: dict[str, list[Command]] = {}  # each case's commands, for the targets' table
    targets = {
        "tiny": "issue 16 targets: divcli ≤ 0.2 × the SciPy script; `--help` ≤ 0.6 × `python -c \"import numpy\"`. "
                "The floors: what importing divcli's two main dependencies (numpy and Click), or Click alone, costs.",
        "long": "issue 16 targets: divcli ≤ 0.3 × pandas + SciPy; without the fast extra ≤ 1.0 ×. The floors "
                "are whole processes that only parse the two files, or parse them and write a per-row CSV of the "
                "same size as divcli does, without the KL (`benchmarks/floors.py`).",
        "npy": "issue 16 target: divcli ≤ 0.15 × pandas + SciPy on the CSVs (the long case); the ratios "
               "below are against alternatives that read the same `.npy` files. The floor writes a CSV of the same "
               "rows and columns from numbers in memory, as divcli writes them (`benchmarks/floors.py write`).",
        "stream": "issue 16 target: peak memory ≤ 300 MiB whatever the stream's length.",
    }

    has_arrow = subprocess.run([divcli_python, "-c", "import pyarrow.csv"], capture_output=True).returncode == 0
    # divcli without its `fast` extra (as after a plain `pip install divcli`): numpy.loadtxt parses,
    # repr writes
    plain_install = [divcli_python, "-c", "import sys; sys.modules['pyarrow'] = sys.modules['orjson'] = None; "
                "sys.argv[0] = 'divcli'; from divcli.cli import main; main()"]

    def per_row_cmds(tag: str, p: Path, q: Path) -> list[Command]:
        outs = {k: OUT / f"{tag}_{k}.csv" for k in ("divcli", "plain", "pandas", "numpy", "torch")}
        args = [str(p), str(q), "--p-as", "logits", "--q-as", "logits", "-f", "csv"]
        plain = []
        if has_arrow and p.suffix == ".csv":
            plain = [Command("divcli without the fast extra", plain_install + ["kl", *args, "-o", str(outs["plain"])],
                             output=outs["plain"], column="kl_divergence")]
        floors = []
        if p.suffix == ".npy":  # what writing alone costs, as a whole process (benchmarks/floors.py)
            floors = [Command("floor: writing the per-row CSV alone (orjson, as divcli writes; no KL)",
                              [divcli_python, str(HERE / "floors.py"), "write", str(p), str(OUT / f"{tag}_floor.csv")],
                              check=False)]
        if p.suffix == ".csv":  # what parsing alone costs, as a whole process (benchmarks/floors.py)
            floors = [Command(f"floor: {how} parses both CSVs (no KL, no output)",
                              [divcli_python, str(HERE / "floors.py"), parser, str(p), str(q)], check=False)
                      for parser, how in (("arrow", "pyarrow"), ("numpy", "numpy.loadtxt"))
                      if parser == "numpy" or has_arrow]
            if has_arrow:  # everything but the KL: the parse above, then the write of the .npy case's floor
                floors.insert(1, Command("floor: pyarrow parses both CSVs, then the per-row CSV is written (no KL)",
                                         [divcli_python, str(HERE / "floors.py"), "arrow-write", str(p), str(q),
                                          str(OUT / f"{tag}_floor.csv")], check=False))
        return [
            Command("divcli", [divcli, "kl", *args, "-o", str(outs["divcli"])], output=outs["divcli"],
                    column="kl_divergence"),
            *plain,
            Command("pandas + SciPy", [alt, str(ALT / "pandas_scipy.py"), str(p), str(q), str(outs["pandas"])],
                    output=outs["pandas"], column="kl"),
            Command("naive numpy", [alt, str(ALT / "naive_numpy.py"), str(p), str(q), str(outs["numpy"])],
                    output=outs["numpy"], column="kl"),
            Command("torch", [alt, str(ALT / "torch_kl.py"), str(p), str(q), str(outs["torch"])],
                    output=outs["torch"], column="kl"),
            *floors,
        ]

    def per_row_case(tag: str, p: Path, q: Path, title: str, note: str) -> str:
        print(f"case: {tag} ({args.rows} × {args.classes})", flush=True)
        cmds = per_row_cmds(tag, p, q)
        run_case(cmds, args.repeats, use_time)
        check_agreement(cmds, next(c for c in cmds if c.name == "pandas + SciPy"))
        measured[tag] = cmds
        return case_table(title, cmds, "divcli", [note], in_bytes=p.stat().st_size + q.stat().st_size,
                          elements=2 * args.rows * args.classes)

    # (1) tiny calls ------------------------------------------------------------------------
    if "tiny" in cases:
        print("case: tiny", flush=True)
        cmds = [
            Command("divcli", [divcli, "kl", TINY_P, TINY_Q, "-q"]),
            Command("SciPy script", [alt, "-c", TINY_SCIPY]),
            Command("torch KLDivLoss script", [alt, "-c", TINY_TORCH]),
            Command("floor: python -c \"import numpy, click\" (divcli's venv)",
                    [divcli_python, "-c", "import numpy, click"], check=False),
        ]
        run_case(cmds, args.repeats, use_time)
        check_agreement(cmds, cmds[1])
        measured["tiny"] = cmds
        report += case_table("1a. One tiny call: D(P‖Q) for P = (9/25, 12/25, 4/25), Q uniform", cmds, "divcli",
                             ["Start-up dominates: each command is a whole process printing one number.",
                              targets["tiny"]])
        cmds = [
            Command("divcli --help", [divcli, "--help"], check=False),
            Command("python -c \"import numpy\"", [divcli_python, "-c", "import numpy"], check=False),
            Command("floor: python -c \"import click\"", [divcli_python, "-c", "import click"], check=False),
        ]
        run_case(cmds, args.repeats, use_time)
        check_agreement(cmds, cmds[0])
        measured["help"] = cmds
        report += case_table("1b. `divcli --help` against importing numpy (same interpreter, divcli's venv)",
                             cmds, "divcli --help", [])

    # (1c) the kernel, in-process ---------------------------------------------------------------
    if "kernel" in cases:
        report += kernel_case(args, divcli_python, alt, measured)

    # (2) long: N × 16 CSVs -------------------------------------------------------------------
    long_files = None
    if cases & {"long", "npy"}:
        print("data: long", flush=True)
        p, pn = make_logits("long_p", args.rows, args.classes, args.seed * 10 + 1, npy="npy" in cases)
        q, qn = make_logits("long_q", args.rows, args.classes, args.seed * 10 + 2, npy="npy" in cases)
        long_files = (p, q, pn, qn)
    if "long" in cases:
        p, q, _, _ = long_files
        size = p.stat().st_size + q.stat().st_size
        report += per_row_case(
            "long", p, q, f"2. Two {args.rows:,} × {args.classes} CSVs of logits → per-row KL as CSV",
            f"Inputs: {size / 1e6:.0f} MB of text in all (4-decimal logits, no header); "
            f"{2 * args.rows * args.classes / 1e6:.0f} M elements. " + targets["long"])

    # (2b) the same as .npy -----------------------------------------------------------------
    if "npy" in cases:
        _, _, pn, qn = long_files
        probe = subprocess.run([divcli, "kl", str(pn), str(qn), "--p-as", "logits", "--q-as", "logits", "-q"],
                               capture_output=True, text=True)
        if probe.returncode != 0:
            skipped.append(f"`.npy` case skipped: `divcli kl a.npy b.npy` failed: {probe.stderr.strip()[:200]}")
        else:
            size = pn.stat().st_size + qn.stat().st_size
            report += per_row_case(
                "npy", pn, qn,
                f"2b. The same two {args.rows:,} × {args.classes} arrays as `.npy` (float64) → per-row KL as CSV",
                f"Inputs: {size / 1e6:.0f} MB of `.npy`. " + targets["npy"])

    # (3) wide: N × 1000 CSVs -----------------------------------------------------------------
    if "wide" in cases:
        print("data: wide", flush=True)
        p, _ = make_logits("wide_p", args.wide_rows, args.wide_classes, args.seed * 10 + 3, npy=False)
        q, _ = make_logits("wide_q", args.wide_rows, args.wide_classes, args.seed * 10 + 4, npy=False)
        print(f"case: wide ({args.wide_rows} × {args.wide_classes})", flush=True)
        cmds = per_row_cmds("wide", p, q)
        run_case(cmds, args.repeats, use_time)
        check_agreement(cmds, next(c for c in cmds if c.name == "pandas + SciPy"))
        size = p.stat().st_size + q.stat().st_size
        note = "" if args.wide_rows == 100_000 else f" (issue 5 asks for 100,000 rows; this run used {args.wide_rows:,}: `--wide-rows`)"
        report += case_table(
            f"3. Two {args.wide_rows:,} × {args.wide_classes} CSVs of logits → per-row KL as CSV", cmds, "divcli",
            [f"Inputs: {size / 1e6:.0f} MB of text in all; {2 * args.wide_rows * args.wide_classes / 1e6:.0f} M elements{note}."],
            in_bytes=size, elements=2 * args.wide_rows * args.wide_classes)

    # (4) stream through stdin ----------------------------------------------------------------
    if "stream" in cases:
        print("data: stream", flush=True)
        block, _ = make_logits("stream_block", 8192, args.classes, args.seed * 10 + 5, npy=False)
        qrow, _ = make_logits("stream_q", 1, args.classes, args.seed * 10 + 6, npy=False)
        total = int(args.stream_gb * 1e9)
        reps = -(-total // block.stat().st_size)
        gen = stream_generator_cmd(block, total)
        rows = reps * 8192
        print(f"case: stream ({reps * block.stat().st_size / 1e9:.2f} GB, {rows} rows)", flush=True)
        cap = int(args.stream_cap_gb * 2 ** 30)
        prlimit = shutil.which("prlimit")
        wrap = [prlimit, f"--as={cap}", "--"] if prlimit else []
        cmds = [
            Command("divcli", wrap + [divcli, "kl", "-", str(qrow), "--p-as", "logits", "--q-as", "logits", "-q"],
                    stdin_gen=gen),
            Command("pandas + SciPy (chunks of 100k rows)", wrap + [alt, str(ALT / "pandas_scipy.py"), "-", str(qrow)],
                    stdin_gen=gen),
        ]
        # a long stream: the script that holds it whole could only fail at the cap, after minutes,
        # and a warm-up (minutes too) warms nothing that a generated stream needs
        long_stream = args.stream_gb >= LONG_STREAM_GB
        if not long_stream:
            cmds.append(Command("naive numpy (loadtxt, whole)", wrap + [alt, str(ALT / "naive_numpy.py"), "-", str(qrow)],
                                stdin_gen=gen))
        run_case(cmds, args.repeats, use_time, warm_up=not long_stream)
        check_agreement(cmds, cmds[1])
        measured["stream"] = cmds
        size = reps * block.stat().st_size
        report += case_table(
            f"4. A {size / 1e9:.2f} GB stream of {args.classes}-class logits on stdin ({rows:,} rows) → batchmean KL "
            f"against one Q row", cmds, "divcli",
            [f"The stream repeats one {block.stat().st_size / 1e6:.1f} MB block of 8,192 rows, written by a small "
             f"generator process (not counted in the peak memory). `--stream-gb` sets its length (issue 5 asks for "
             f"10 GB-class streams); every command runs under an address-space cap of {args.stream_cap_gb:g} GiB "
             f"({'`prlimit --as`' if prlimit else 'none: prlimit missing'}) so an over-long stream fails instead of "
             f"exhausting the machine. "
             + (f"A stream of {LONG_STREAM_GB:g} GB or more runs without the warm-up and without the naive numpy "
                "script, which holds the whole stream in memory (more than the cap). " if long_stream else "")
             + targets["stream"]],
            in_bytes=size, elements=rows * args.classes)

    # (7) distill -q against kl -q on a language model's logits ----------------------------------
    if "distill" in cases:
        report += distill_case(args, divcli, use_time, measured)

    # (8) the language-model case, numpy's accurate kernel against numba's fused one: a file of its own
    if "lm" in cases:
        sys.path.insert(0, str(HERE))
        import lm  # benchmarks/lm.py

        lm.main(["--python", divcli_python, "--alt-python", alt, "--repeats", str(args.repeats)])

    # (5) the Dask engine against the local one ------------------------------------------------
    if "dask" in cases:
        report += dask_case(args, divcli, divcli_python, use_time)

    # (6) scaling: the long and .npy cases at several sizes, into a file (and a plot) of their own ------
    if "scaling" in cases:
        scaling_case(args, divcli, divcli_python, use_time)
        if not cases - {"scaling"}:
            print(f"scaling only: {args.results} left as it is ({(time.perf_counter() - t_start) / 60:.1f} min)")
            return 0

    elapsed = time.perf_counter() - t_start
    head = [
        "# divcli benchmark results",
        "",
        "Written by `benchmarks/run.py` (`make bench`); see `benchmarks/README.md`. Every command is a whole "
        f"process, warm cache: one untimed warm-up, then {args.repeats} timed runs, the commands of a case "
        "interleaved round-robin; the tables give the median wall time. **divcli ÷ this** below 1 means divcli "
        "is faster (it is the form of issue 16's targets, e.g. ≤ 0.3); **this ÷ divcli** is its inverse. "
        "The machine is shared and noisy: only ratios measured side by side in one run mean much.",
        "",
        "Peak memory: maximum resident set size of the command's process, "
        + ("from `/usr/bin/time -v`" if use_time else "from `os.wait4` (the child's own `ru_maxrss`)")
        + f", the largest over the timed runs. Check: every command's numbers against the reference, row by row, "
        f"|a − b| ≤ {RTOL:g}·|b| + {ATOL:g}; a command that disagrees is marked INVALID and gets no ratio.",
        "",
        "## Machine",
        "",
        *[line for line in machine_lines(args, divcli_python) if line],
        simd_line(divcli_python),
        f"- Threads: divcli {args._threads} (`--threads` left at its default: every CPU the process may use); "
        f"torch in the kernel case {args._threads} and 1, in its scripts its default",
        f"- Sizes: kernel {args.kernel_rows:,} × {args.classes}; long {args.rows:,} × {args.classes}; wide {args.wide_rows:,} × {args.wide_classes}; "
        f"stream {args.stream_gb:g} GB; distill {args.distill_rows:,} × {args.distill_classes:,}; seed {args.seed}; cases run: {', '.join(sorted(cases))}; "
        f"whole run {elapsed / 60:.1f} min",
        f"- Command: `{' '.join(['python benchmarks/run.py'] + [_shell_quote(a) for a in (argv if argv is not None else sys.argv[1:])])}`",
        "",
        *targets_table(measured, args),
        "## Results",
        "",
    ]
    tail = []
    if skipped:
        tail = ["## Skipped", ""] + [f"- {s}" for s in skipped] + [""]
    Path(args.results).write_text("\n".join(head + report + tail))
    print(f"wrote {args.results} ({elapsed / 60:.1f} min)")
    return 0


#: numpy's SIMD level, printed by divcli's interpreter: what numpy was built for and what it found.
SIMD_PROBE = """
import json, os, numpy
try:
    from numpy._core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
except ImportError:  # numpy 1.x
    from numpy.core._multiarray_umath import __cpu_baseline__, __cpu_dispatch__, __cpu_features__
print(json.dumps({"numpy": numpy.__version__, "baseline": list(__cpu_baseline__),
                  "dispatch": list(__cpu_dispatch__),
                  "found": [k for k, v in __cpu_features__.items() if v],
                  "disabled": os.environ.get("NPY_DISABLE_CPU_FEATURES", "")}))
"""


def simd_line(python: str) -> str:
    """One line for the machine section: numpy's baseline, the dispatched targets this CPU runs, and
    whether numpy uses AVX-512 here (its float64 ``exp``/``log`` are vectorised only with AVX-512)."""
    try:
        done = subprocess.run([python, "-c", SIMD_PROBE], capture_output=True, text=True, check=True, env=COMMAND_ENV)
        info = json.loads(done.stdout.strip().splitlines()[-1])
    except Exception as e:  # noqa: BLE001 - reported, not raised
        return f"- SIMD: unknown ({e})"[:200]
    found = set(info["found"])
    used = [t for t in info["dispatch"] if t in found]
    avx512 = sorted(f for f in found if f.startswith("AVX512"))
    verdict = (f"**yes** ({', '.join(avx512)})" if "AVX512F" in found else "**no** (the CPU has no AVX512F)")
    if info["disabled"]:
        verdict += f"; NPY_DISABLE_CPU_FEATURES={info['disabled']}"
    return (f"- SIMD (numpy {info['numpy']}, divcli's venv): AVX-512 {verdict}; baseline "
            f"{' '.join(info['baseline']) or 'none'}; dispatched targets this CPU runs: {' '.join(used) or 'none'}; "
            f"AVX2 {'yes' if 'AVX2' in found else 'no'}, FMA3 {'yes' if 'FMA3' in found else 'no'}")


def fit_linear(xs: list[float], ys: list[float]) -> tuple[float, float]:
    """Least squares y = a + b·x with weights 1/y² (relative errors: the small sizes count as much as
    the large): (a, b)."""
    w = np.array([1 / y ** 2 for y in ys])
    x, y = np.array(xs, dtype=float), np.array(ys, dtype=float)
    design = np.stack([np.ones_like(x), x], axis=1) * np.sqrt(w)[:, None]
    (a, b), *_ = np.linalg.lstsq(design, y * np.sqrt(w), rcond=None)
    return float(a), float(b)


def scaling_case(args, divcli: str, divcli_python: str, use_time: bool) -> list[str]:
    """divcli's long case (two N × C CSVs of logits → per-row KL as CSV) and its .npy case at several N:
    median wall time and peak memory per size, into ``--scaling-results``, ``--scaling-svg`` and
    ``docs/scaling.svg``. Returns the lines of the results file."""
    import svgplot  # benchmarks/svgplot.py (this script's folder is on sys.path)

    sizes = sorted(int(float(s)) for s in args.scaling_rows.split(",") if s.strip())
    t_start = time.perf_counter()
    kinds = ["--p-as", "logits", "--q-as", "logits", "-f", "csv"]
    measured: list[tuple[int, str, Command, int]] = []     # (rows, kind, command, input bytes)
    pairs = []
    for rows in sizes:
        print(f"data: scaling {rows} × {args.classes}", flush=True)
        p, pn = make_logits("long_p", rows, args.classes, args.seed * 10 + 1, npy=True)
        q, qn = make_logits("long_q", rows, args.classes, args.seed * 10 + 2, npy=True)
        outs = {kind: OUT / f"scaling_{rows}_{kind}.csv" for kind in ("csv", "npy")}
        pair = [
            Command(f"CSV, {rows:,} rows", [divcli, "kl", str(p), str(q), *kinds, "-o", str(outs["csv"])],
                    output=outs["csv"], column="kl_divergence"),
            Command(f".npy, {rows:,} rows", [divcli, "kl", str(pn), str(qn), *kinds, "-o", str(outs["npy"])],
                    output=outs["npy"], column="kl_divergence"),
        ]
        for cmd in pair:
            cmd.sample_anon = True
        pairs.append(pair)
        measured += [(rows, "CSV", pair[0], p.stat().st_size + q.stat().st_size),
                     (rows, ".npy", pair[1], pn.stat().st_size + qn.stat().st_size)]
    # every size in one round-robin: a burst of load on the shared machine hits all sizes alike instead
    # of bending the curve at one of them
    print(f"case: scaling ({', '.join(map(str, sizes))} × {args.classes})", flush=True)
    run_case([cmd for pair in pairs for cmd in pair], args.repeats, use_time)
    for pair in pairs:
        check_agreement(pair, pair[0])                   # the same values: the two must agree
        for cmd in pair:                                 # 4M rows: ~0.4 GB each
            cmd.output.unlink(missing_ok=True)

    lines = [
        "# divcli scaling results",
        "",
        "Written by `benchmarks/run.py --cases scaling` (`make bench-scaling`); see `benchmarks/README.md`. "
        f"divcli's long case (two N × {args.classes} CSVs of logits → per-row KL as CSV: "
        "`divcli kl p.csv q.csv --p-as logits --q-as logits -f csv -o out.csv`) and the same values as "
        "float64 `.npy`, at each N: every command a whole process, warm cache, one untimed warm-up, then "
        f"{args.repeats} timed run{'s' if args.repeats != 1 else ''}, all the commands (every size, CSV and `.npy`) "
        "interleaved round-robin, so that a burst of load hits every size alike; the median wall time, and the "
        "peak resident memory "
        + ("from `/usr/bin/time -v`" if use_time else "from `os.wait4` (the child's own `ru_maxrss`)")
        + " (the largest over the timed runs), which counts file-backed pages too: divcli maps `.npy` inputs into "
        "memory, and the pages of the files read so far count as resident, though they are the page cache's "
        "(clean, shared, given back under memory pressure). So the table also gives the peak of the process's "
        "own (anonymous) memory, `RssAnon` of `/proc/PID/status` sampled every 10 ms. The CSV and the `.npy` command of a size must write the same "
        "per-row values (row by row, "
        f"|a − b| ≤ {RTOL:g}·|b| + {ATOL:g}). **The machine is shared (2 cores, other jobs running): times are "
        "noisy, tens of percent from run to run; the shape of the curves is what this measures, not the "
        "absolute figures.**",
        "",
        "![Wall time and peak memory against rows](scaling.svg)",
        "",
        "## Results",
        "",
        "| input | rows | input MB | median s | min – max s | M rows/s | µs per row | peak RSS MiB | "
        "peak anonymous MiB | check |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    fits = {}
    for kind in ("CSV", ".npy"):
        ok = [(rows, c, size) for rows, k, c, size in measured if k == kind]
        for rows, c, size in ok:
            if not c.times:
                lines.append(f"| {kind} | {rows:,} | {size / 1e6:.0f} | — | — | — | — | — | — | {c.verdict or c.failed} |")
                continue
            med = statistics.median(c.times)
            peak = f"{max(c.peaks_kib) / 1024:.0f}" if c.peaks_kib else "?"
            anon = f"{max(c.anon_peaks_kib) / 1024:.0f}" if c.anon_peaks_kib else "?"
            lines.append(f"| {kind} | {rows:,} | {size / 1e6:.0f} | {_fmt_s(med)} | {_fmt_s(min(c.times))} – "
                         f"{_fmt_s(max(c.times))} | {rows / med / 1e6:.2f} | {med / rows * 1e6:.2f} | {peak} | "
                         f"{anon} | {c.verdict} |")
        timed = [(rows, statistics.median(c.times)) for rows, c, _ in ok if c.times]
        if len(timed) >= 2:
            fits[kind] = fit_linear([r for r, _ in timed], [t for _, t in timed])
    lines.append("")
    summary = []
    for kind, (a, b) in fits.items():
        timed = [(rows, statistics.median(c.times), c) for rows, k, c, _ in measured if k == kind and c.times]
        worst = max(abs(t - (a + b * r)) / t for r, t, _ in timed)
        peaks = [max(c.peaks_kib) / 1024 for _, _, c in timed if c.peaks_kib]
        anons = [max(c.anon_peaks_kib) / 1024 for _, _, c in timed if c.anon_peaks_kib]
        big = [(r, t) for r, t, _ in timed if r >= 1_000_000]
        marginal = (f"; from {big[0][0]:,} to {big[-1][0]:,} rows the time grows {big[-1][1] / big[0][1]:.2f}× for "
                    f"{big[-1][0] / big[0][0]:.0f}× the rows" if len(big) >= 2 else "")
        memory = (f"; peak RSS {', '.join(f'{m:.0f}' for m in peaks)} MiB" if peaks else "") + (
            f", peak anonymous {', '.join(f'{m:.0f}' for m in anons)} MiB" if anons else "")
        summary.append(
            f"- {kind}: time ≈ {a:.2f} s + {b * 1e6:.2f} µs × rows (least squares on relative errors; every median "
            f"within {worst:.1%} of the fit){marginal}{memory} at {', '.join(f'{r:,}' for r, _, _ in timed)} rows.")
    if summary:
        lines += ["Linear fit (the fixed part is start-up: the interpreter, imports, opening the files):", "",
                  *summary, ""]
    lines += [
        "## Machine",
        "",
        *[line for line in machine_lines(args, divcli_python) if line and not line.startswith("- Alternatives'")],
        simd_line(divcli_python),
        f"- Sizes: {', '.join(f'{r:,}' for r in sizes)} rows × {args.classes} classes; seed {args.seed}; "
        f"the case took {(time.perf_counter() - t_start) / 60:.1f} min (data generation included when not cached)",
        f"- Command: `{' '.join(['python benchmarks/run.py'] + [_shell_quote(a) for a in args._argv])}`",
        "",
        "<details><summary>commands</summary>",
        "",
        *[f"- {c.name}: `{' '.join(_shell_quote(a) for a in c.argv)}`" for _, _, c, _ in measured],
        "",
        "</details>",
        "",
    ]

    colours = {"CSV": svgplot.COLOURS[0], ".npy": svgplot.COLOURS[1]}

    def series(kind: str, value, name: str = "{kind} → per-row CSV", dashed: bool = False,
               need: str = "peaks_kib") -> svgplot.Series:
        return svgplot.Series(name.format(kind=kind), [(rows, value(c)) for rows, k, c, _ in measured
                                                       if k == kind and c.times and getattr(c, need)],
                              colours[kind], dashed)

    time_guides = []
    for kind, (a, b) in fits.items():
        lo, hi = sizes[0], sizes[-1]
        xs = [lo * (hi / lo) ** (i / 40) for i in range(41)]
        time_guides.append(svgplot.Guide(f"fit {kind}: {a:.2f} s + {b * 1e6:.2f} µs × rows",
                                         [(x, a + b * x) for x in xs], colours[kind]))
    picture = svgplot.plot(
        [svgplot.Panel("Wall time (log–log)", "rows", "seconds (median)",
                       [series(k, lambda c: statistics.median(c.times)) for k in ("CSV", ".npy")],
                       x_log=True, y_log=True, guides=time_guides),
         svgplot.Panel("Peak memory", "rows", "MiB",
                       [series(k, lambda c: max(c.peaks_kib) / 1024, "{kind}: peak RSS") for k in ("CSV", ".npy")]
                       + [series(k, lambda c: max(c.anon_peaks_kib) / 1024, "{kind}: peak anonymous", True,
                                 "anon_peaks_kib") for k in ("CSV", ".npy")],
                       x_log=True, y_log=False, legend="top-left")],
        f"divcli kl: two N × {args.classes} logit inputs → per-row KL as CSV",
        note=f"{args._started:%Y-%m-%d}, shared {os.cpu_count()}-core machine (noisy timings), median of "
             f"{args.repeats} run{'s' if args.repeats != 1 else ''}; benchmarks/RESULTS-scaling.md")
    Path(args.scaling_svg).write_text(picture)
    Path(args.scaling_results).write_text("\n".join(lines))
    docs_svg = ROOT / "docs" / "scaling.svg"
    shutil.copyfile(args.scaling_svg, docs_svg)
    print(f"wrote {args.scaling_results}, {args.scaling_svg} and {docs_svg.relative_to(ROOT)}")
    return lines


def make_shards(npy: Path, shards: int) -> Path:
    """``npy`` cut into ``shards`` consecutive .npy files of (nearly) equal rows, in a folder of its own."""
    folder = npy.with_name(f"{npy.stem}_{shards}shards")
    if folder.is_dir() and len(list(folder.glob("part-*.npy"))) == shards:
        return folder
    folder.mkdir(exist_ok=True)
    whole = np.load(npy, mmap_mode="r")
    for index, part in enumerate(np.array_split(np.arange(len(whole)), shards)):
        np.save(folder / f"part-{index:02d}.npy", whole[part[0]:part[-1] + 1])
    return folder


@contextlib.contextmanager
def local_cluster(python: str, workers: int):
    """A LocalCluster of ``workers`` single-threaded worker processes, in a process of its own (so its
    start-up is not timed and it is not this script's memory); yields the scheduler's address."""
    code = ("import sys\nfrom distributed import LocalCluster\n"
            f"cluster = LocalCluster(n_workers={workers}, threads_per_worker=1, dashboard_address=':0')\n"
            "print(cluster.scheduler_address, flush=True)\nsys.stdin.read()\ncluster.close()\n")
    proc = subprocess.Popen([python, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        yield proc.stdout.readline().strip()
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()


#: The distill case's temperature and α: T ≠ 1 softens both sides, as in training; α < 1 needs the labels.
DISTILL_T, DISTILL_ALPHA = 2.0, 0.5


def make_distill_data(rows: int, classes: int, seed: int) -> tuple[Path, Path, Path]:
    """``data/distill_{teacher,student}_<rows>x<classes>_s<seed>.npy``, float16 logits (normal, σ = 2:
    a language model's head saved as it runs) and the labels (one class index a line, CSV), unless
    already there."""
    stem = f"{rows}x{classes}_s{seed}"
    teacher, student = DATA / f"distill_teacher_{stem}.npy", DATA / f"distill_student_{stem}.npy"
    labels = DATA / f"distill_labels_{stem}.csv"
    if teacher.exists() and student.exists() and labels.exists():
        return teacher, student, labels
    print(f"  generating {teacher.name}, {student.name} and {labels.name} ...", flush=True)
    rng = np.random.default_rng(seed)
    block = max(1, 2_000_000 // classes)
    for path in (teacher, student):
        tmp = str(path) + ".tmp"
        array = np.lib.format.open_memmap(tmp, mode="w+", dtype=np.float16, shape=(rows, classes))
        for start in range(0, rows, block):
            array[start:start + block] = rng.normal(0.0, 2.0, (min(block, rows - start), classes))
        array.flush()
        del array
        os.replace(tmp, path)
    labels.write_text("".join(f"{y}\n" for y in rng.integers(0, classes, rows).tolist()))
    return teacher, student, labels


def check_distill(commands: list[Command], t: float, alpha: float) -> None:
    """The distill case's verdicts: distill's loss without labels is T² × kl's batchmean, with labels
    α·T²·kl + (1 − α)·ce, each within RTOL of the kl and ce commands' values (the references)."""
    values = {}
    for cmd in commands:
        if not cmd.failed:
            try:
                values[cmd.name] = float(cmd.stdout.strip())
            except ValueError:
                cmd.failed = f"unreadable output: {cmd.stdout.strip()[:100]!r}"
    kl, ce = values.get("divcli kl -q"), values.get("divcli ce -q")
    expected = {"divcli kl -q": kl, "divcli ce -q": ce,
                "divcli distill -q, no labels": None if kl is None else t * t * kl,
                "divcli distill -q": None if kl is None or ce is None else alpha * t * t * kl + (1 - alpha) * ce}
    for cmd in commands:
        want = expected.get(cmd.name)
        if cmd.failed:
            cmd.verdict = "FAILED"
        elif cmd.name in ("divcli kl -q", "divcli ce -q"):
            cmd.verdict = "reference (1 value)"
        elif want is None:
            cmd.verdict = "FAILED: no reference"
        else:
            rel = abs(values[cmd.name] - want) / max(abs(want), 1e-300)
            cmd.verdict = (f"agrees with {'T²·kl' if 'no labels' in cmd.name else 'α·T²·kl + (1 − α)·ce'} "
                           f"(rel {rel:.0e})") if rel <= RTOL else f"INVALID: rel {rel:.1e}"


def distill_case(args, divcli: str, use_time: bool, measured: dict) -> list[str]:
    """``distill -q`` (the loss alone: one KL pass at T, one CE pass) against ``kl -q`` at the same T
    on the same teacher and student (float16 logits with labels), and ``ce -q``, the hard term's pass."""
    print("data: distill", flush=True)
    teacher, student, labels = make_distill_data(args.distill_rows, args.distill_classes, args.seed * 10 + 7)
    t, a = f"{DISTILL_T:g}", f"{DISTILL_ALPHA:g}"
    logits = ["--p-as", "logits", "--q-as", "logits"]
    cmds = [
        Command("divcli distill -q", [divcli, "distill", str(teacher), str(student), str(labels), "-T", t,
                                      "--alpha", a, "-q"]),
        Command("divcli kl -q", [divcli, "kl", str(teacher), str(student), *logits, "-T", t, "-q"]),
        Command("divcli ce -q", [divcli, "ce", str(labels), str(student), "--p-as", "labels", "--q-as", "logits",
                                 "-q"]),
        Command("divcli distill -q, no labels", [divcli, "distill", str(teacher), str(student), "-T", t, "-q"]),
    ]
    print(f"case: distill ({args.distill_rows} × {args.distill_classes})", flush=True)
    run_case(cmds, args.repeats, use_time)
    check_distill(cmds, DISTILL_T, DISTILL_ALPHA)
    measured["distill"] = cmds
    size = teacher.stat().st_size + student.stat().st_size
    return case_table(
        f"7. distill -q on two {args.distill_rows:,} × {args.distill_classes:,} float16 `.npy` of logits with "
        f"labels, against kl -q on the same pair (T = {t})", cmds, "divcli distill -q",
        [f"Inputs: {size / 1e6:.0f} MB of float16 `.npy` and {args.distill_rows:,} labels (CSV). Target: "
         "`distill -q` ≤ 1.5 × `kl -q` at the same T (**divcli ÷ this** on kl's row). `-q` computes the loss "
         "alone: the KL at T (the pass `kl -q` makes) and the cross-entropy with the labels at T = 1 (the pass "
         "`ce -q` makes); the table and `-f json` also compute the usual mistakes (two more KL passes). Each "
         "value is checked against kl's and ce's: α·T²·KL + (1 − α)·CE, α = "
         f"{a}."],
        in_bytes=size, elements=2 * args.distill_rows * args.distill_classes)


def dask_case(args, divcli: str, divcli_python: str, use_time: bool) -> list[str]:
    """The same 1M-row input on the local engine (one .npy per operand) and as shards on a 2-worker
    LocalCluster (--engine dask): the reduced value, and the per-row results written as CSV."""
    print("data: dask", flush=True)
    _, pn = make_logits("long_p", args.rows, args.classes, args.seed * 10 + 1, npy=True)
    _, qn = make_logits("long_q", args.rows, args.classes, args.seed * 10 + 2, npy=True)
    p_dir, q_dir = make_shards(pn, args.shards), make_shards(qn, args.shards)
    kinds = ["--p-as", "logits", "--q-as", "logits"]
    lines: list[str] = []
    with local_cluster(divcli_python, 2) as address:
        print(f"case: dask ({args.shards} shards, scheduler {address})", flush=True)
        engine = ["--engine", "dask", "--scheduler", address]
        value = [
            Command("divcli, local engine", [divcli, "kl", str(pn), str(qn), *kinds, "-q"]),
            Command("divcli --engine dask, 2-worker LocalCluster already running",
                    [divcli, "kl", str(p_dir), str(q_dir), *kinds, "-q", *engine]),
            Command("divcli --engine dask, starting its own LocalCluster",
                    [divcli, "kl", str(p_dir), str(q_dir), *kinds, "-q", "--engine", "dask"]),
        ]
        run_case(value, args.repeats, use_time)
        check_agreement(value, value[0])
        local_csv, parts = OUT / "dask_local.csv", OUT / "dask_parts.csv"
        per_row = [
            Command("divcli, local engine (-f csv -o FILE)", [divcli, "kl", str(pn), str(qn), *kinds, "-f", "csv",
                                                               "-o", str(local_csv)],
                    output=local_csv, column="kl_divergence"),
            Command("divcli --engine dask (-o DIR.csv/: a CSV part per shard, written by the workers)",
                    [divcli, "kl", str(p_dir), str(q_dir), *kinds, "-q", "-o", str(parts), *engine],
                    output=parts, column="kl_divergence"),
        ]
        run_case(per_row, args.repeats, use_time)
        check_agreement(per_row, per_row[0])
    size = pn.stat().st_size + qn.stat().st_size
    elements = 2 * args.rows * args.classes
    lines += case_table(
        f"5a. Two {args.rows:,} × {args.classes} arrays of logits → batchmean KL: local engine against "
        f"--engine dask on {args.shards} shards each", value, "divcli, local engine",
        [f"Inputs: {size / 1e6:.0f} MB of float64 `.npy`, whole for the local engine and cut into "
         f"{args.shards} shards per operand for Dask (the same values). The cluster: `LocalCluster(n_workers=2, "
         "threads_per_worker=1)` started once, outside the timings, in a process of its own; the third command "
         "starts (and stops) its own cluster sized to the machine, start-up included. **this ÷ divcli** is the "
         "overhead ratio of each engine against the local one. Peak RSS is the divcli client process only: the "
         "workers' memory is not counted."],
        in_bytes=size, elements=elements)
    lines += case_table(
        "5b. The same → per-row KL: one CSV file (local engine) against one CSV part per shard written by the "
        "workers (--engine dask)", per_row, "divcli, local engine (-f csv -o FILE)",
        ["Both write the same records (`row,entropy_p,cross_entropy,kl_divergence,check`); the check reads the "
         "parts back in order."],
        in_bytes=size, elements=elements)
    lines += [
        "Scaling: each shard is one task, so with W workers at most min(W, shards) shards run at once; the "
        "per-shard work is the local engine's loop, so the compute part divides by W until the shards run out "
        "(8 shards: no gain past 8 workers; use more, smaller shards for larger clusters), while the fixed cost "
        "(client start-up, listing the shards, reading the first block on the client, scheduling: about a "
        "second here, more with a remote scheduler) does not. On this 2-core machine two workers share the "
        "cores with the client and the scheduler, so a ratio near or above 1 is the expected result here; "
        "the engine pays off when the data are on many machines or do not fit on one.",
        "",
    ]
    return lines


if __name__ == "__main__":
    sys.exit(main())
