"""Whole processes timed side by side, for the language-model benchmarks (``lm.py``, ``lm_parts.py``,
``lm_scaling.py``): each command a process of its own, its wall time and CPU time (user + system,
from ``wait4``), its peak RSS (``/usr/bin/time``: a child forked from this script would count this
script's own pages in its ``ru_maxrss``) and its peak anonymous memory (``RssAnon``, sampled: the
process's private memory, without the pages of the files it maps). The commands of a case run
round-robin, after one untimed warm-up round, so that a burst of load on a shared machine hits them
alike. Medians are reported, peaks as the largest. Also: the machine's description and the targets
table, as the results files give them.
"""

from __future__ import annotations

import datetime
import os
import platform
import statistics
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


@dataclass
class Command:
    """One command of a case. ``env`` is a dict, or a function that gives a fresh one for every run
    (e.g. an empty numba cache folder per run)."""
    name: str
    argv: list[str]
    env: dict | Callable[[], dict]
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    rss_kib: list[int] = field(default_factory=list)
    anon_kib: list[int] = field(default_factory=list)
    stdout: str = ""
    stderr: list[str] = field(default_factory=list)  # every run's standard error, warm-up included
    failed: str | None = None

    @property
    def seconds(self) -> float | None:
        """The median wall time (None when it never ran to the end)."""
        return statistics.median(self.wall) if self.wall and not self.failed else None

    @property
    def cpu_seconds(self) -> float | None:
        return statistics.median(self.cpu) if self.cpu and not self.failed else None

    @property
    def peak_mib(self) -> float | None:
        return max(self.rss_kib) / 1024 if self.rss_kib and not self.failed else None

    @property
    def anon_mib(self) -> float | None:
        return max(self.anon_kib) / 1024 if self.anon_kib and not self.failed else None

    @property
    def value(self) -> float | None:
        """The last number the command printed (a ``-q`` run's value), None if none."""
        try:
            return float(self.stdout.split()[-1])
        except (IndexError, ValueError):
            return None


#: Every command's environment drops this (set on some machines): the warm-up round leaves bytecode, and
#: every timed run loads modules as after a pip install, instead of compiling sources each time.
NO_BYTECODE = "PYTHONDONTWRITEBYTECODE"
TIME_BIN = "/usr/bin/time"


def environment(**changes: str) -> dict:
    """This process's environment without ``PYTHONDONTWRITEBYTECODE``, with ``changes``."""
    return {**{k: v for k, v in os.environ.items() if k != NO_BYTECODE}, **changes}


def run(argv: list[str], env: dict, cwd: str = "/") -> tuple[float, float, int, int, int, str, str]:
    """(wall s, CPU s, peak RSS KiB, peak anonymous KiB, exit code, stdout, stderr) of one whole process."""
    from run import AnonSampler  # benchmarks/run.py

    use_time = os.access(TIME_BIN, os.X_OK)
    with tempfile.TemporaryDirectory() as folder:
        peak_file = os.path.join(folder, "peak")
        full = [TIME_BIN, "-f", "%M", "-o", peak_file, *argv] if use_time else argv
        with open(os.path.join(folder, "out"), "w+b") as out, open(os.path.join(folder, "err"), "w+b") as err:
            start = time.perf_counter()
            proc = subprocess.Popen(full, stdout=out, stderr=err, env=env, cwd=cwd)
            sampler = AnonSampler(proc.pid)
            _, status, usage = os.wait4(proc.pid, 0)  # its children's time too, once they are waited for
            wall = time.perf_counter() - start
            anon = sampler.stop() or 0
            out.seek(0), err.seek(0)
            stdout, stderr = out.read().decode(errors="replace"), err.read().decode(errors="replace")
        try:
            peak = int(Path(peak_file).read_text().split()[-1]) if use_time else usage.ru_maxrss
        except (OSError, ValueError, IndexError):
            peak = 0
    return (wall, usage.ru_utime + usage.ru_stime, peak, anon, os.waitstatus_to_exitcode(status), stdout, stderr)


def measure(commands: list[Command], repeats: int, warm_up: bool = True) -> None:
    """Round 0 (the warm-up: page cache, ``.pyc``, numba's cache) untimed, then ``repeats`` timed
    rounds, every command once a round, in order. A command that fails is reported and not run again."""
    for round_ in range(0 if warm_up else 1, repeats + 1):
        for cmd in commands:
            if cmd.failed:
                continue
            env = cmd.env() if callable(cmd.env) else cmd.env
            wall, cpu, rss, anon, code, stdout, stderr = run(cmd.argv, env)
            cmd.stderr.append(stderr)
            if code != 0:
                cmd.failed = f"exit {code}: {stderr.strip()[-300:]}"
                print(f"  {cmd.name}: FAILED ({cmd.failed})", flush=True)
                continue
            cmd.stdout = stdout
            print(f"  {cmd.name}: {wall:.2f} s, CPU {cpu:.2f} s{' (warm-up)' if round_ == 0 else ''}", flush=True)
            if round_:
                cmd.wall.append(wall)
                cmd.cpu.append(cpu)
                cmd.rss_kib.append(rss)
                cmd.anon_kib.append(anon)


def thread_counts(wanted: str, cpus: int) -> list[int]:
    """The thread counts of ``wanted`` ("1,2,4,8,16") that this machine has cores for, and the
    machine's own count where the list skips it (e.g. 12 cores: 1, 2, 4, 8, 12)."""
    counts = sorted({int(t) for t in wanted.split(",") if 0 < int(t) <= cpus})
    if max(int(t) for t in wanted.split(",")) >= cpus and cpus not in counts:
        counts.append(cpus)
    return counts or [1]


def cpus() -> int:
    """The CPUs this process may use (its affinity mask), as divcli's default ``--threads``."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    return f"{seconds:.3f} s" if seconds < 1 else f"{seconds:.2f} s"


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "?"


def cpu_model() -> str:
    """The processor's name (/proc/cpuinfo's model name, else what platform says)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _flags() -> set[str]:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("flags"):
                return set(line.split(":", 1)[1].split())
    except OSError:
        pass
    return set()


def memory() -> str:
    """The machine's memory (/proc/meminfo's MemTotal), in GiB."""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                return f"{int(line.split()[1]) / 1024 ** 2:.0f} GiB"
    except OSError:
        pass
    return "?"


def versions(python: str, modules: list[str]) -> str:
    """``Python 3.11.7, numpy 2.4.6, …`` of the interpreter ``python`` (its installed distributions)."""
    code = ("import importlib.metadata as md, platform\n"
            "def v(m):\n    try:\n        return md.version(m)\n    except md.PackageNotFoundError:\n"
            "        return 'not installed'\n"
            f"print('Python ' + platform.python_version() + ''.join(', ' + m + ' ' + v(m) for m in {modules!r}))")
    try:
        return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "not available"


def load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def machine_lines(started: datetime.datetime, python: str, alt_python: str | None, load_at_start: str) -> list[str]:
    """The machine section of a results file: date, CPU, cores, SIMD, versions, divcli's commit, load."""
    simd = [f for f in ("avx512f", "avx2", "fma") if f in _flags()]
    commit = _git("rev-parse", "--short=12", "HEAD")
    dirty = " (with uncommitted changes to `divcli/`)" if _git("status", "--porcelain", "--", "divcli") else ""
    lines = [f"- Date: {started:%Y-%m-%d %H:%M} UTC",
             f"- CPU: {cpu_model()}; {os.cpu_count()} cores ({cpus()} usable here), SIMD: "
             f"{', '.join(simd) or 'unknown'}; RAM {memory()}; {platform.system()} {platform.release()}",
             f"- divcli: commit `{commit}`{dirty}; its interpreter: {versions(python, ['numpy', 'numba', 'click'])}"]
    if alt_python:
        lines.append(f"- torch's interpreter: {versions(alt_python, ['numpy', 'torch'])}")
    lines.append(f"- Load average (1/5/15 min) at the start: {load_at_start}; at the end: {load()} (the machine may "
                 "be shared: compare figures of one run only)")
    return lines


@dataclass
class Target:
    """One target of a results file: what, the bound wanted, the figure measured, met or not (None:
    not measured in this run), and where missed, the floors that explain it."""
    what: str
    wanted: str
    measured: str
    met: bool | None
    floor: str = ""


def targets_table(targets: list[Target]) -> list[str]:
    mark = {True: "**met**", False: "**missed**", None: "not measured"}
    lines = ["| target | wanted | this run | | floor (where missed) |", "|---|---:|---:|---|---|"]
    lines += [f"| {t.what} | {t.wanted} | {t.measured} | {mark[t.met]} | {t.floor if t.met is False else ''} |"
              for t in targets]
    return lines


def ratio_target(what: str, value: float | None, bound: float, below: bool = True, floor: str = "",
                 unit: str = "×") -> Target:
    """A target on a ratio: met when ``value`` ≤ ``bound`` (``below``) or ≥ it."""
    met = None if value is None else (value <= bound if below else value >= bound)
    shown = "—" if value is None else f"{value:.3g}{unit}"
    return Target(what, f"{'≤' if below else '≥'} {bound:g}{unit}", shown, met, floor)
