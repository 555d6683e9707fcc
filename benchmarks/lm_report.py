"""The ``report`` part of ``benchmarks/lm.py``'s run: ``divcli lm`` (the whole report: every
statistic, with labels) on the LM case's float16 pair, against ``divcli kl -q`` on the same pair,
a torch CPU script that computes the same report (log_softmax of both, per-position KL, its mean,
standard error and percentiles, same top token, perplexities and Δp) in float32, and llama.cpp's
formulas in numpy (float32 log-softmax, sums in double, a block of positions at a time, as
``llama-perplexity --kl-divergence`` computes them). Targets: ``lm`` ≤ 1.2 × ``kl -q``, ≤ torch
float32's time, and its peak private memory ≤ ¼ of torch's.

Gives its section of ``RESULTS-lm.md`` and its targets.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import procs
from procs import Command, Target, fmt_s

HERE = Path(__file__).resolve().parent

#: torch's report, float32 on every thread (argv: P Q labels): log_softmax both, per-position KL, its
#: mean ± SE and percentiles, same top, PPL(P), PPL(Q), Δp; prints the statistics, the mean KL last
TORCH_REPORT = """
import sys, numpy as np, torch
p = torch.from_numpy(np.load(sys.argv[1])).float()
q = torch.from_numpy(np.load(sys.argv[2])).float()
labels = torch.from_numpy(np.loadtxt(sys.argv[3], dtype=np.int64))
log_p, log_q = torch.log_softmax(p, 1), torch.log_softmax(q, 1)
kl = (log_p.exp() * (log_p - log_q)).sum(1).double()
n = kl.numel()
quantiles = torch.tensor([0.999, 0.99, 0.95, 0.9, 0.5, 0.1, 0.05, 0.01, 0.001], dtype=torch.float64)
same = (p.argmax(1) == q.argmax(1)).double().mean()
at = torch.arange(n)
nll_p, nll_q = -log_p[at, labels].double(), -log_q[at, labels].double()
delta = nll_q.neg().exp() - nll_p.neg().exp()
report = {"kl_se": (kl.std() / n ** 0.5).item(), "kl_max": kl.max().item(), "kl_min": kl.min().item(),
          "percentiles": torch.quantile(kl, quantiles).tolist(), "same_top": same.item(),
          "ppl_p": nll_p.mean().exp().item(), "ppl_q": nll_q.mean().exp().item(),
          "delta_p_mean": delta.mean().item(), "delta_p_rms": delta.square().mean().sqrt().item(),
          "delta_p_percentiles": torch.quantile(delta, quantiles).tolist()}
print(report)
print(kl.mean().item())
"""

#: llama.cpp's formulas (its perplexity tool's log_softmax and KL per position) in numpy, a block of
#: positions at a time: float32 logits, their maximum, Σ exp in double, log-sum-exp in float; KL in
#: double; the mean and SE from running sums, the percentiles of the sorted values (argv: P Q labels)
LLAMA_REPORT = """
import sys, numpy as np
p_all, q_all = np.load(sys.argv[1], mmap_mode="r"), np.load(sys.argv[2], mmap_mode="r")
labels = np.loadtxt(sys.argv[3], dtype=np.int64)
kls, same, nll_p, nll_q = [], 0, [], []
def log_softmax(z):
    top = z.max(axis=1, keepdims=True)
    sums = np.exp(z - top).sum(axis=1, dtype=np.float64, keepdims=True)
    return z - (top + np.log(sums).astype(np.float32))
for start in range(0, p_all.shape[0], 32):
    zp, zq = np.asarray(p_all[start:start + 32], np.float32), np.asarray(q_all[start:start + 32], np.float32)
    lp, lq = log_softmax(zp), log_softmax(zq)
    kls.append(np.sum(np.exp(lp).astype(np.float64) * (lp - lq), axis=1))
    same += int(np.sum(zp.argmax(1) == zq.argmax(1)))
    at, y = np.arange(zp.shape[0]), labels[start:start + zp.shape[0]]
    nll_p.append(-lp[at, y].astype(np.float64)); nll_q.append(-lq[at, y].astype(np.float64))
kl = np.concatenate(kls); n = kl.size
mean = kl.sum() / n
se = np.sqrt((np.sum(kl * kl) / n - mean * mean) / (n - 1))
nll_p, nll_q = np.concatenate(nll_p), np.concatenate(nll_q)
delta = np.exp(-nll_q) - np.exp(-nll_p)
print({"kl_se": se, "percentiles": np.percentile(kl, [99.9, 99, 95, 90, 50, 10, 5, 1, 0.1]).tolist(),
       "same_top": same / n, "ppl_p": np.exp(nll_p.mean()), "ppl_q": np.exp(nll_q.mean()),
       "delta_p_rms": np.sqrt(np.mean(delta * delta))})
print(mean)
"""


def make_labels(rows: int, classes: int, seed: int) -> Path:
    """One token id a position, drawn uniformly with the case's seed (the timing does not depend on
    which); reused when already there."""
    path = HERE / "data" / f"lm-labels-{rows}x{classes}-{seed}.csv"
    if not path.exists():
        labels = np.random.default_rng(seed).integers(0, classes, rows)
        path.write_text("".join(f"{label}\n" for label in labels))
    return path


def _lm_value(command: Command) -> float | None:
    """``divcli lm -f json``'s value: the mean KL."""
    try:
        return float(json.loads(command.stdout)["value"])
    except (ValueError, KeyError, TypeError):
        return None


def report_case(args, env: dict) -> tuple[list[str], list[Target]]:
    """The commands side by side on the LM case's pair, on every thread this machine has."""
    import lm

    p, q = lm.make_pair(args.rows, args.classes, args.seed)
    labels = make_labels(args.rows, args.classes, args.seed)
    files = [str(p), str(q)]
    divcli = [args.python, "-m", "divcli"]
    commands = [
        Command("divcli lm, every statistic, with labels (-f json)", [*divcli, "lm", *files, "--labels", str(labels),
                                                                       "-f", "json"], env),
        Command("divcli kl -q", [*divcli, "kl", *files, "--p-as", "logits", "--q-as", "logits", "-q"], env),
        Command("llama.cpp's formulas in numpy", [args.python, "-c", LLAMA_REPORT, *files, str(labels)], env)]
    if lm.has_torch(args.alt_python):
        commands.append(Command("torch float32, the same report", [args.alt_python, "-c", TORCH_REPORT, *files,
                                                                    str(labels)], procs.environment()))
    print(f"case: lm report, {args.rows} × {args.classes}", flush=True)
    procs.measure(commands, args.repeats)
    report, kl = commands[0], commands[1]
    torch = commands[3] if len(commands) > 3 else None
    reference = _lm_value(report)
    lines = ["## The whole `divcli lm` report on the same pair", "",
             f"`divcli lm P Q --labels L -f json` (every statistic: KL's mean ± SE and percentiles, same top, "
             f"PPL, Δp; L one token id a position, drawn with the seed) on the {args.rows:,} × {args.classes:,} "
             f"float16 pair above, on every thread ({procs.cpus()} here), against `divcli kl -q` on the same pair, "
             "a torch script that computes the same report in float32 (load, `log_softmax` of both, per-position "
             "KL, mean, SE, `torch.quantile`, same top, PPL, Δp) and llama.cpp's formulas in numpy (float32 "
             "log-softmax with sums in double, 32 positions at a time, the mean and SE from running sums). "
             "Last column: the mean KL's relative distance to divcli lm's.", "",
             "| command | wall (median) | min – max | CPU (median) | peak RSS | peak private | ÷ kl -q (wall) | "
             "mean KL | relative |", "|---|---:|---:|---:|---:|---:|---:|---|---:|"]
    for c in commands:
        if c.failed:
            lines.append(f"| {c.name} | FAILED: `{c.failed[:150]}` | | | | | | | |")
            continue
        value = _lm_value(c) if c is report else c.value
        ratio = f"{c.seconds / kl.seconds:.2f}" if kl.seconds and c is not kl else ""
        gap = f"{abs(value - reference) / abs(reference):.1e}" if value is not None and reference else ""
        lines.append(f"| {c.name} | {fmt_s(c.seconds)} | {fmt_s(min(c.wall))} – {fmt_s(max(c.wall))} | "
                     f"{fmt_s(c.cpu_seconds)} | {c.peak_mib:.0f} MiB | {c.anon_mib:.0f} MiB | {ratio} | "
                     f"{'' if value is None else repr(value)} | {gap} |")
    return lines, report_targets(report, kl, torch)


def report_targets(report: Command, kl: Command, torch: Command | None) -> list[Target]:
    def ratio(x: Command | None, y: Command | None, field: str) -> float | None:
        a, b = (getattr(x, field), getattr(y, field)) if x and y else (None, None)
        return a / b if a and b else None

    cpu = ratio(report, kl, "cpu_seconds")
    return [
        procs.ratio_target("the whole `divcli lm` report (with labels) ÷ `divcli kl -q`, wall", ratio(report, kl, "seconds"),
                           1.2, floor=f"CPU ratio {cpu:.2f}" if cpu else ""),
        procs.ratio_target("the whole `divcli lm` report ÷ torch float32's same report, wall",
                           ratio(report, torch, "seconds"), 1.0),
        procs.ratio_target("the whole `divcli lm` report: peak private memory ÷ torch float32's",
                           ratio(report, torch, "anon_mib"), 0.25)]
