"""divcli against exact values: the accuracy contract of tests/reference/accuracy.json.

Each case of the fixture (made by tests/reference/make_accuracy.py with mpmath at 80 digits) gives
float64 operands and the exact value of the quantity for those floats. Every case runs through the
Python API (per-row values and every reduction) and a subset through the command line (``-q``, and
``-f csv`` for kl's per-row values); each number must be within its bound of the exact one,
|divcli − exact| ≤ rtol·|exact| + 1e-20 with rtol 1e-14 for ordinary inputs and 1e-12 for
near-identical P and Q (and 1e-14·|exact| with no absolute floor for kl at a large temperature,
whose T² × batchmean is the distillation loss), and KL, JS and Jeffreys must never be negative. Another test checks that
the fixture's exact numbers agree with each other (CE = H + KL, JS = H(M) − ½(H(P) + H(Q)), the
reductions of the rows) in decimal arithmetic, so a corrupted fixture fails.

``python tests/numerics/test_accuracy.py`` prints, per family, how many cases pass and the worst relative error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import sys
from collections import defaultdict
from decimal import Decimal, localcontext
from functools import lru_cache
from pathlib import Path

import numpy as np
import pytest

import divcli
from helpers.extras import needs
from divcli.numerics import fast_path

#: numbers computed with numpy's exp and log (make test runs them again with AVX-512 off), in a sweep over
#: the reference fixture (one case per family under make test-fast: helpers.sweeps)
pytestmark = [pytest.mark.numeric, pytest.mark.sweep]

FIXTURE = Path(__file__).resolve().parents[1] / "reference" / "accuracy.json"
DOCUMENT = json.loads(FIXTURE.read_text())
CASES = DOCUMENT["cases"]
BOUNDS = DOCUMENT["bounds"]
NEVER_NEGATIVE = {"kl", "js", "jeffreys"}


# ---------------------------------------------------------------- operands


def seeded_rows(spec: dict) -> np.ndarray:
    """The rows make_accuracy.py makes from a seed (the same function, checked by the checksum)."""
    rng = np.random.default_rng(spec["seed"])
    shape = (spec["rows"], spec["classes"])
    if spec["how"] == "normal":
        return rng.standard_normal(shape) * spec["scale"]
    return rng.random(shape)


def digest(array: np.ndarray) -> str:
    return hashlib.sha256(np.ascontiguousarray(array, dtype="<f8").tobytes()).hexdigest()


@lru_cache(maxsize=None)
def operand(case_id: str, role: str) -> np.ndarray | None:
    stored = BY_ID[case_id][role]
    if stored is None:
        return None
    if isinstance(stored, dict):
        array = seeded_rows(stored)
        assert digest(array) == stored["sha256"], f"{case_id}: the seeded {role} rows are not the generator's"
        return array
    return np.array([[float(x) for x in row] for row in stored], dtype=np.float64)


BY_ID = {case["id"]: case for case in CASES}


# ---------------------------------------------------------------- divcli, both ways


def api_kwargs(case: dict) -> dict:
    options = case["options"]
    kwargs = {"p_as": case["p_as"]}
    if case["q_as"] is not None:
        kwargs["q_as"] = case["q_as"]
    for key in ("normalize", "tolerance", "label_smoothing", "weight", "temperature"):
        if key in options:
            kwargs[key] = options[key]
    return kwargs


def api_values(case: dict) -> dict[str, list[float] | float]:
    """divcli's per-row values ("rows") and reductions, through the Python API."""
    p, q = operand(case["id"], "p"), operand(case["id"], "q")
    kwargs = api_kwargs(case)
    command, out = case["command"], {}
    reductions = list(case["exact"]["reductions"])
    if command == "kl":  # reduction none gives element terms: a row's value is its own batchmean
        out["rows"] = [divcli.kl_divergence(p if len(p) == 1 else p[n:n + 1], q if len(q) == 1 else q[n:n + 1],
                                            reduction="batchmean", **kwargs) for n in range(case["rows"])]
        for reduction in reductions:
            out[reduction] = divcli.kl_divergence(p, q, reduction=reduction, **kwargs)
        return out
    if command in ("js", "jeffreys"):
        for reduction in ("none", *reductions):
            values = divcli.compare(p, q, reduction=reduction, **kwargs)
            key = "rows" if reduction == "none" else reduction
            out[key if command == "jeffreys" else f"compare {key}"] = values[
                "jeffreys" if command == "jeffreys" else "js_divergence"]
            if command == "js":
                out[key] = divcli.js_divergence(p, q, reduction=reduction, **kwargs)
        return {key: list(np.ravel(value)) if key.endswith("rows") else value for key, value in out.items()}
    function = divcli.cross_entropy if command == "ce" else divcli.entropy
    operands = (p, q) if command == "ce" else (p,)
    out["rows"] = list(np.ravel(function(*operands, reduction="none", **kwargs)))
    for reduction in reductions:
        out[reduction] = function(*operands, reduction=reduction, **kwargs)
    return out


def literal(array: np.ndarray) -> str:
    return ";".join(",".join(repr(float(x)) for x in row) for row in array)


def cli_args(case: dict) -> list[str]:
    command = "compare" if case["command"] == "jeffreys" else case["command"]
    args = [command, case.get("cli_p") or literal(operand(case["id"], "p"))]
    if case["q"] is not None:
        args += [literal(operand(case["id"], "q")), "--q-as", case["q_as"]]
    args += ["--p-as", case["p_as"]]
    options = case["options"]
    if options.get("normalize"):
        args.append("--normalize")
    if "tolerance" in options:
        args += ["--tolerance", repr(options["tolerance"])]
    if options.get("label_smoothing"):
        args += ["--label-smoothing", repr(options["label_smoothing"])]
    if "weight" in options:
        args += ["--weight", ",".join(repr(float(w)) for w in options["weight"])]
    if "temperature" in options:
        args += ["-T", repr(options["temperature"])]
    return args


def cli_values(case: dict, run) -> dict[str, list[float] | float]:
    """divcli's per-row values and default reduction, through the command line."""
    args, command = cli_args(case), case["command"]

    def output(*extra):
        result = run(*args, *extra)
        assert result.exit_code == 0, result.stderr
        return result.stdout

    out = {}
    if command == "kl":
        records = list(csv.DictReader(io.StringIO(output("-f", "csv"))))
        out["rows"] = [float(record["kl_divergence"]) for record in records]
        out["batchmean"] = float(output("-q"))
    elif command == "jeffreys":
        lines = output("-q", "--reduction", "none").splitlines()
        column = lines[0].split("\t").index("jeffreys")
        out["rows"] = [float(line.split("\t")[column]) for line in lines[1:]]
        reduced = dict(line.split("\t") for line in output("-q").splitlines())
        out["mean"] = float(reduced["jeffreys"])
    else:
        out["rows"] = [float(line) for line in output("-q", "--reduction", "none").splitlines()]
        out["mean"] = float(output("-q"))
    return out


# ---------------------------------------------------------------- the bound


def decimal(value) -> Decimal:
    return Decimal(value) if not isinstance(value, str) else Decimal(value.replace("inf", "Infinity"))


def within(got: float, exact: str, rtol: Decimal, atol: Decimal) -> tuple[bool, float]:
    """(|got − exact| ≤ rtol·|exact| + atol, the relative error), in exact decimal arithmetic."""
    with localcontext() as context:
        context.prec = 80
        want = decimal(exact)
        if not math.isfinite(got) or want.is_infinite():
            same = got == float(want)
            return same, 0.0 if same else math.inf
        difference = abs(Decimal(got) - want)
        relative = float(difference / abs(want)) if want else float(difference)
        return difference <= rtol * abs(want) + atol, relative


def failures(case: dict, values: dict, route: str) -> tuple[list[str], float]:
    """What breaks the case's bound or sign in ``values``, and the worst relative error."""
    bound = BOUNDS[case["bound"]]
    rtol, atol = Decimal(repr(bound["rtol"])), Decimal(repr(bound["atol"]))
    exact = case["exact"]
    problems, worst = [], 0.0
    for key, got in values.items():
        per_row = key.endswith("rows")
        wanted = exact["rows"] if per_row else exact["reductions"][key.split()[-1]]
        for n, (value, want) in enumerate(zip(got, wanted) if per_row else [(got, wanted)]):
            value = float(value)
            where = f"{route} {key}" + (f"[{n}]" if per_row else "")
            ok, relative = within(value, want, rtol, atol)
            worst = max(worst, relative)
            if not ok:
                problems.append(f"{where}: {value!r} vs exact {want[:22]} (relative error {relative:.2e})")
            if case["command"] in NEVER_NEGATIVE and not value >= 0:
                problems.append(f"{where}: {value!r} is negative")
    return problems, worst


def case_id(case: dict) -> str:
    return case["id"]


@pytest.mark.filterwarnings("error::RuntimeWarning")  # numpy's warnings are findings too: no overflow, no 0/0
@pytest.mark.parametrize("case", CASES, ids=case_id)
def test_api_within_bound(case, monkeypatch):
    monkeypatch.setenv(fast_path.KERNEL, "numpy")  # numpy's kernels, whatever the classes (the fused one: below)
    problems, _ = failures(case, api_values(case), "api")
    assert not problems, f"{case['id']} ({case['bound']} bound):\n" + "\n".join(problems)


#: The cases numba's fused kernel computes (divcli/numerics/fast_path.py): kl, ce and entropy, and
#: compare's KL both ways (Jeffreys), no temperature.
FUSED_CASES = [case for case in CASES if case["command"] in ("kl", "ce", "entropy", "jeffreys")
               and case["options"].get("temperature", 1.0) == 1.0]


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("case", FUSED_CASES, ids=case_id)
def test_api_within_bound_on_the_fused_kernel(case, monkeypatch):
    """The same bounds with the fused kernel forced, at any number of classes (test_api_within_bound
    forces numpy's; without DIVCLI_KERNEL, rows of fast_path.FUSED_CLASSES and more take the fused one)."""
    needs("numba")
    monkeypatch.setenv(fast_path.KERNEL, "fused")
    problems, _ = failures(case, api_values(case), "api (fused)")
    assert not problems, f"{case['id']} ({case['bound']} bound):\n" + "\n".join(problems)


@pytest.mark.parametrize("case", [case for case in CASES if case["cli"]], ids=case_id)
def test_cli_within_bound(case, run):
    problems, _ = failures(case, cli_values(case, run), "cli")
    assert not problems, f"{case['id']} ({case['bound']} bound):\n" + "\n".join(problems)


# ---------------------------------------------------------------- the fixture itself


def test_seeded_operands_are_the_generators():
    seeded = [(case["id"], role) for case in CASES for role in ("p", "q") if isinstance(case[role], dict)]
    assert seeded
    for case_id_, role in seeded:
        assert operand(case_id_, role).shape[1] == 100_000


def test_fixture_covers_every_family():
    families = defaultdict(set)
    for case in CASES:
        families[case["family"]].add(case["command"])
    assert families["near"] == {"kl", "js", "jeffreys", "ce"}
    assert {"kl", "ce", "entropy"} <= families["extreme"]
    assert {"kl", "entropy"} <= families["logprobs"]
    assert {"kl", "ce", "entropy", "js"} <= families["subnormal"]
    assert {"kl", "ce", "entropy", "js", "jeffreys"} <= families["random"]
    assert families["ce"] == {"ce"} and families["seed"] == {"kl"}
    assert {case["classes"] for case in CASES if case["family"] == "random"} == {3, 16, 1000, 100_000}
    assert all(case["bound"] == "near" for case in CASES if case["family"] == "near")
    large = [case for case in CASES if case["family"] == "large-temperature"]
    assert {case["command"] for case in large} == {"kl", "js"} and all(case["bound"] == "tempered" for case in large)
    assert max(case["options"]["temperature"] for case in large) == 1e100
    assert BOUNDS["tempered"]["atol"] == 0
    near = [case for case in CASES if case["family"] == "near-temperature"]
    assert {case["options"]["temperature"] for case in near} == {0.5, 2.0, 7.3, 1e-3, 1e3, 1e100}
    assert {case["bound"] for case in near if case["options"]["temperature"] == 1e100 and case["command"] != "ce"} \
        == {"tempered"}


def _close(a: Decimal, b: Decimal, scale: Decimal) -> bool:
    """a = b to 1e-20 relative, allowing 1e-46 of ``scale`` (the stored digits of the summands)."""
    return abs(a - b) <= Decimal("1e-20") * abs(b) + Decimal("1e-46") * scale


def _consistency_problems(case: dict) -> list[str]:
    problems = []
    parts = {key: [decimal(x) for x in values] for key, values in case["parts"].items()}
    rows = [decimal(x) for x in case["exact"]["rows"]]
    command = case["command"]
    for n, value in enumerate(rows):
        h, hq, hm = parts["entropy_p"][n], parts["entropy_q"][n], parts["entropy_m"][n]
        ce, kl, kl_qp = parts["cross_entropy"][n], parts["kl_pq"][n], parts["kl_qp"][n]
        js = hm - (h + hq) / 2
        if ce.is_finite() and not _close(ce, h + kl, abs(ce) + abs(h)):
            problems.append(f"row {n}: H(P,Q) ≠ H(P) + D(P‖Q)")
        if kl.is_finite() and kl_qp.is_finite() and (kl < 0 or kl_qp < 0 or js < 0 or h < 0):
            problems.append(f"row {n}: a negative KL, JS or entropy")
        if case["q"] is None and not _close(ce, Decimal(case["classes"]).ln(), abs(ce)):
            problems.append(f"row {n}: the cross-entropy against uniform is not log C")
        expected = {"kl": kl, "entropy": h, "jeffreys": kl + kl_qp, "js": js}.get(command)
        if command == "ce" and "weight" not in case["options"]:
            expected = ce
        if expected is not None and expected.is_finite():
            scale = abs(hm) + abs(h) + abs(hq) if command == "js" else abs(expected) + abs(kl) + abs(kl_qp)
            if not _close(value, expected, scale):
                problems.append(f"row {n}: the {command} value disagrees with its parts")
        if command == "ce" and "weight" in case["options"]:
            weights = [Decimal(w) for w in case["options"]["weight"]]
            if not min(weights) * ce * (1 - Decimal("1e-40")) <= value <= max(weights) * ce * (1 + Decimal("1e-40")):
                problems.append(f"row {n}: the weighted cross-entropy is outside [min w, max w]·H(P',Q)")
    total = sum(rows, Decimal(0))
    reductions = {key: decimal(x) for key, x in case["exact"]["reductions"].items()}
    n_rows = Decimal(case["rows"])
    divisors = {"sum": Decimal(1), "batchmean": n_rows,
                "mean": n_rows * case["classes"] if command == "kl" else n_rows}
    if command == "ce" and case["p_as"] == "labels":
        weights = case["options"].get("weight")
        labels = [int(float(row[0])) for row in case["p"]]
        divisors["mean"] = sum((Decimal(weights[y]) if weights else Decimal(1) for y in labels), Decimal(0))
    scale = sum((abs(x) for x in rows), Decimal(0))
    for key, value in reductions.items():
        if total.is_finite() and not _close(value * divisors[key], total, scale):
            problems.append(f"reduction {key} is not the rows' {key}")
    return problems


def test_fixture_is_self_consistent():
    with localcontext() as context:
        context.prec = 80
        problems = {case["id"]: found for case in CASES if (found := _consistency_problems(case))}
    assert not problems, "\n".join(f"{key}: {value}" for key, value in list(problems.items())[:20])


def test_self_consistency_catches_a_corrupted_value():
    case = next(case for case in CASES if case["id"].startswith("near-kl-logits3-shift0-1e-13"))
    exact = case["exact"]["rows"][0]
    corrupted = {**case, "exact": {**case["exact"], "rows": [exact[:12] + str((int(exact[12]) + 1) % 10)
                                                             + exact[13:]]}}
    with localcontext() as context:
        context.prec = 80
        assert not _consistency_problems(case)
        assert _consistency_problems(corrupted)


def summary() -> None:
    """Per family: cases passing through the API (and the CLI), and the worst relative error."""
    from click.testing import CliRunner

    from divcli.cli import cli

    def run(*args):
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)

    table = defaultdict(lambda: {"cases": 0, "api_fail": 0, "cli": 0, "cli_fail": 0, "worst": 0.0, "worst_id": ""})
    for case in CASES:
        entry = table[case["family"]]
        entry["cases"] += 1
        problems, worst = failures(case, api_values(case), "api")
        entry["api_fail"] += bool(problems)
        if case["cli"]:
            entry["cli"] += 1
            cli_problems, cli_worst = failures(case, cli_values(case, run), "cli")
            entry["cli_fail"] += bool(cli_problems)
            worst = max(worst, cli_worst)
        if worst >= entry["worst"]:
            entry["worst"], entry["worst_id"] = worst, case["id"]
    print(f"{'family':<10} {'cases':>5} {'api pass':>8} {'api fail':>8} {'cli':>4} {'cli fail':>8}  worst relative error")
    for family, e in table.items():
        print(f"{family:<10} {e['cases']:>5} {e['cases'] - e['api_fail']:>8} {e['api_fail']:>8} {e['cli']:>4} "
              f"{e['cli_fail']:>8}  {e['worst']:.2e} ({e['worst_id']})")


if __name__ == "__main__":
    sys.exit(summary())
