"""The benchmark's in-process kernels (``benchmarks/kernel.py``) compute what their rows say they do,
so that a figure in ``benchmarks/RESULTS.md`` is never the timing of a wrong computation."""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from helpers.extras import needs

KERNEL_PY = Path(__file__).resolve().parent.parent / "benchmarks" / "kernel.py"


@pytest.fixture(scope="module")
def kernel():
    spec = importlib.util.spec_from_file_location("benchmark_kernel", KERNEL_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _reference_kl(zp: np.ndarray, zq: np.ndarray) -> float:
    """Σ over rows of D(P‖Q) from logits, by the textbook formula with log-sum-exp."""
    def log_softmax(z):
        shifted = z - z.max(axis=1, keepdims=True)
        return shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
    log_p, log_q = log_softmax(zp), log_softmax(zq)
    return float((np.exp(log_p) * (log_p - log_q)).sum())


@pytest.mark.parametrize("name", ["divcli", "numpy", "one-exp"])
def test_kl_kernels_agree_with_the_textbook_sum(kernel, name):
    # 70,000 rows of 16: divcli's kernel crosses a block boundary (65,536 rows of 16 per block).
    zp, zq = kernel.logits(70_000, 16, seed=5)
    assert kernel.KERNELS[name]()(zp, zq) == pytest.approx(_reference_kl(zp, zq), rel=1e-12)


@pytest.mark.parametrize(("name", "operands"), [("exp-3", 3), ("exp-2", 2)])
def test_floors_take_their_exps_in_blocks(kernel, name, operands, monkeypatch):
    zp, zq = kernel.logits(70_000, 16, seed=6)
    calls = []
    real_exp = np.exp
    monkeypatch.setattr(kernel.np, "exp", lambda x, out: calls.append(x.size) or real_exp(x, out=out))
    checksum = kernel.KERNELS[name]()(zp, zq)
    assert sum(calls) == operands * zp.size  # every element, that many times
    assert max(calls) == 1 << 20  # in blocks of 2^20 values
    last = (zq if operands == 2 else zp)[(len(zp) // 65_536) * 65_536:]
    assert checksum == pytest.approx(float(real_exp(last).sum()), rel=1e-14)


# --- benchmarks/svgplot.py: the hand-written SVG of the scaling case (benchmarks/scaling.svg) ---------

SVGPLOT_PY = KERNEL_PY.with_name("svgplot.py")
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(scope="module")
def svgplot():
    spec = importlib.util.spec_from_file_location("benchmark_svgplot", SVGPLOT_PY)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up while being defined
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        del sys.modules[spec.name]


def _scaling_picture(svgplot):
    rows = [10_000, 100_000, 1_000_000, 4_000_000]
    time_panel = svgplot.Panel(
        "Wall time", "rows", "seconds",
        [svgplot.Series("CSV", [(n, 0.3 + 4e-6 * n) for n in rows]),
         svgplot.Series(".npy", [(n, 0.25 + 2e-6 * n) for n in rows])],
        x_log=True, y_log=True,
        guides=[svgplot.Guide("fit", [(n, 0.3 + 4e-6 * n) for n in (10_000, 200_000, 4_000_000)])])
    memory_panel = svgplot.Panel(
        "Peak memory", "rows", "MiB",
        [svgplot.Series("CSV", [(n, 150 + n / 1e6) for n in rows]),
         svgplot.Series(".npy", [(n, 120.0) for n in rows[:3]], dashed=True)],  # one point fewer: counted per series
        legend="bottom-right")
    return svgplot.plot([time_panel, memory_panel], "title & <escaped>", note="a note")


def test_svg_is_valid_xml_with_one_polyline_per_series(svgplot):
    import xml.etree.ElementTree as ET

    text = _scaling_picture(svgplot)
    root = ET.fromstring(text)  # raises on malformed XML (e.g. an unescaped "&" or "<")
    assert root.tag == SVG + "svg"
    polylines = root.findall(f".//{SVG}polyline")
    assert [p.get("data-name") for p in polylines] == ["CSV", ".npy", "CSV", ".npy"]
    counts = [len(p.get("points").split()) for p in polylines]
    assert counts == [4, 4, 4, 3]
    assert [p.get("stroke-dasharray") is not None for p in polylines] == [False, False, False, True]
    assert len(root.findall(f".//{SVG}circle")) == sum(counts)  # a dot per point
    assert len(root.findall(f".//{SVG}path")) == 1  # the guide is a dashed path, not a series
    assert "title &amp; &lt;escaped&gt;" in text
    assert text == _scaling_picture(svgplot)  # deterministic: same data, same bytes


def test_svg_points_are_placed_on_the_axes(svgplot):
    """Log x: equal ratios are equal distances; log y: a line of slope 1 in log–log is straight; the
    larger value is higher (SVG's y grows downwards); every point is inside its panel's frame."""
    import xml.etree.ElementTree as ET

    rows = [1_000, 10_000, 100_000, 1_000_000]
    panel = svgplot.Panel("t", "rows", "s", [svgplot.Series("linear", [(n, n * 1e-5) for n in rows])],
                          x_log=True, y_log=True)
    root = ET.fromstring(svgplot.plot([panel], "t"))
    points = [tuple(map(float, p.split(","))) for p in root.find(f".//{SVG}polyline").get("points").split()]
    xs, ys = zip(*points)
    steps_x = [b - a for a, b in zip(xs, xs[1:])]
    steps_y = [b - a for a, b in zip(ys, ys[1:])]
    assert max(steps_x) - min(steps_x) <= 0.2 and min(steps_x) > 0
    assert max(steps_y) - min(steps_y) <= 0.2 and max(steps_y) < 0
    frame = root.find(f".//{SVG}g/{SVG}rect")
    x0, y0 = float(frame.get("x")), float(frame.get("y"))
    x1, y1 = x0 + float(frame.get("width")), y0 + float(frame.get("height"))
    assert all(x0 < x < x1 and y0 < y < y1 for x, y in points)


def test_log_ticks_and_linear_ticks(svgplot):
    assert svgplot.log_ticks(5_000, 5_000_000) == [5e3, 1e4, 2e4, 5e4, 1e5, 2e5, 5e5, 1e6, 2e6, 5e6]
    assert svgplot.log_ticks(1_000, 10_000_000) == [1e3, 1e4, 1e5, 1e6, 1e7]  # > 3 decades: only the 1s
    assert svgplot.linear_ticks(0, 400) == [0, 100, 200, 300, 400]
    assert svgplot._si(4_000_000) == "4M" and svgplot._si(10_000) == "10k" and svgplot._si(0.5) == "0.5"


def test_the_performance_page_shows_the_scaling_results():
    """docs/performance.md shows the committed plot (a copy: an image under docs/ cannot point into
    benchmarks/) and includes RESULTS-scaling.md by line number: that line must be the table's header."""
    root = KERNEL_PY.parent.parent
    page = (root / "docs" / "performance.md").read_text(encoding="utf-8")
    assert "](scaling.svg)" in page
    assert (root / "docs" / "scaling.svg").read_bytes() == (root / "benchmarks" / "scaling.svg").read_bytes()
    import re
    line = int(re.search(r'--8<-- "benchmarks/RESULTS-scaling\.md:(\d+)"', page).group(1))
    results = (root / "benchmarks" / "RESULTS-scaling.md").read_text(encoding="utf-8").splitlines()
    assert results[line - 1].startswith("| input | rows |"), f"line {line} of RESULTS-scaling.md is not the table"


# --- benchmarks/run.py: issue 16's targets marked met or missed from a run's medians ----------------

RUN_PY = KERNEL_PY.with_name("run.py")


@pytest.fixture(scope="module")
def bench():
    sys.path.insert(0, str(RUN_PY.parent))  # run.py imports svgplot from its folder
    spec = importlib.util.spec_from_file_location("benchmark_run", RUN_PY)
    module = importlib.util.module_from_spec(spec)
    try:
        spec.loader.exec_module(module)
        yield module
    finally:
        sys.path.remove(str(RUN_PY.parent))


def _timed(bench, name, seconds, peak_mib=100, verdict="agrees"):
    command = bench.Command(name, ["true"])
    command.times, command.peaks_kib, command.verdict = list(seconds), [peak_mib * 1024], verdict
    return command


def test_targets_are_marked_met_or_missed_from_the_medians(bench):
    from types import SimpleNamespace

    measured = {
        "long": [_timed(bench, "divcli", [1.0, 1.2, 9.0]), _timed(bench, "pandas + SciPy", [4.0, 4.0, 4.0]),
                 _timed(bench, "divcli without the fast extra", [5.0, 5.0, 5.0])],
        "npy": [_timed(bench, "divcli", [0.6, 0.7, 0.8])],
        "kernel": {"divcli": {"m_elements_per_s": 90.0}, "torch": {"m_elements_per_s": 60.0}},
        "stream": [_timed(bench, "divcli", [1.0], peak_mib=301)],
        "tiny": [_timed(bench, "divcli", [0.2]), _timed(bench, "SciPy script", [1.0], verdict="INVALID: 1 rows")],
    }
    lines = bench.targets_table(measured, SimpleNamespace(rows=1_000_000, classes=16, _threads=2))
    rows = {line.split(" | ")[0].lstrip("| "): line for line in lines if line.startswith("| ") and "---" not in line}
    assert rows["2 × 1,000,000 × 16 CSVs → per-row CSV: divcli ÷ pandas + SciPy"].endswith("| 0.3 | **met** |")
    assert "| 0.175 | **missed**" in rows["the same as `.npy`: divcli ÷ pandas + SciPy on the CSVs"]  # 0.7 / 4
    assert "| 1.5 | **met** |" in rows["the kernel: divcli's speed ÷ torch CPU's, 2 threads each"]
    assert "| 1.25 | **missed** |" in rows["plain install (no fast extra), the CSV case: divcli ÷ pandas + SciPy"]
    assert "| 301 | **missed** |" in rows["stdin stream: divcli's peak resident memory (MiB)"]
    assert "not measured" in rows["tiny call: divcli ÷ the SciPy script"]  # the reference disagreed
    assert "not measured" in rows['`divcli --help` ÷ `python -c "import numpy"`']


def test_the_floors_read_and_write_what_divcli_does(tmp_path):
    spec = importlib.util.spec_from_file_location("benchmark_floors", KERNEL_PY.with_name("floors.py"))
    floors = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(floors)
    values = np.random.default_rng(2).normal(0, 2, (50, 4)).round(4)
    path = tmp_path / "p.csv"
    path.write_text("\n".join(",".join(map(repr, row)) for row in values.tolist()) + "\n")
    assert np.array_equal(floors.plain(str(path)), values)
    needs("pyarrow.csv")  # the floors of the CSV case are pyarrow's
    assert np.array_equal(floors.arrow(str(path)), values)
    assert all(np.array_equal(table, values) for table in floors.arrow_at_once([str(path), str(path)]))
    assert floors.main(["numpy", str(path), str(path)]) == 0 and floors.main(["arrow", str(path)]) == 0
    npy, out = tmp_path / "p.npy", tmp_path / "out.csv"
    np.save(npy, np.random.default_rng(3).normal(0, 2, (70_000, 5)))
    floors.write(str(npy), str(out), block=4096)
    both = tmp_path / "both.csv"
    assert floors.main(["arrow-write", str(path), str(path), str(both)]) == 0
    assert np.array_equal(np.loadtxt(both, delimiter=",", skiprows=1)[:, 1:], values)
    lines = out.read_text().splitlines()
    assert lines[0] == "row,a,b,c,d" and len(lines) == 70_001
    table = np.loadtxt(lines[1:], delimiter=",")
    assert np.array_equal(table[:, 0], np.arange(1, 70_001)) and np.array_equal(table[:, 1:], np.load(npy)[:, :4])


def test_the_distill_target_is_distill_over_kl(bench):
    from types import SimpleNamespace

    args = SimpleNamespace(rows=1_000_000, classes=16, _threads=2)
    target = "`distill -q` ÷ `kl -q` on the same float16 logits, with labels (issue 20)"

    def row(distill, kl):
        measured = {"distill": [_timed(bench, "divcli distill -q", distill), _timed(bench, "divcli kl -q", kl)]}
        lines = bench.targets_table(measured, args)
        return next(line for line in lines if line.startswith(f"| {target} |"))

    assert row([14.0, 15.0, 16.0], [10.0, 11.0, 12.0]).endswith("| ≤ 1.5 | 1.36 | **met** |")
    assert row([117.0], [13.0]).endswith("| ≤ 1.5 | 9 | **missed** |")
    assert "not measured" in next(line for line in bench.targets_table({}, args) if target in line)


def _printed(bench, name, value):
    command = bench.Command(name, ["true"])
    command.stdout = f"{value!r}\n"
    return command


def test_the_distill_case_checks_each_loss_against_kl_and_ce(bench):
    kl, ce, t, alpha = 1.0000257666743517, 11.2, 2.0, 0.5
    commands = [_printed(bench, "divcli distill -q", alpha * t * t * kl + (1 - alpha) * ce),
                _printed(bench, "divcli kl -q", kl), _printed(bench, "divcli ce -q", ce),
                _printed(bench, "divcli distill -q, no labels", t * t * kl * (1 + 1e-6))]
    bench.check_distill(commands, t, alpha)
    verdicts = [command.verdict for command in commands]
    assert verdicts[0].startswith("agrees") and verdicts[1].startswith("reference")
    assert verdicts[2].startswith("reference") and verdicts[3].startswith("INVALID")


def test_the_distill_data_are_float16_logits_and_labels(bench, tmp_path, monkeypatch):
    monkeypatch.setattr(bench, "DATA", tmp_path)
    teacher, student, labels = bench.make_distill_data(7, 50, seed=3)
    for path in (teacher, student):
        array = np.load(path)
        assert array.dtype == np.float16 and array.shape == (7, 50) and np.isfinite(array).all()
    assert not np.array_equal(np.load(teacher), np.load(student))
    values = [int(line) for line in labels.read_text().splitlines()]
    assert len(values) == 7 and all(0 <= y < 50 for y in values)
    assert bench.make_distill_data(7, 50, seed=3) == (teacher, student, labels)  # reused, not made again


# --- the language-model benchmarks (benchmarks/lm.py and its helpers) --------------------------------

def _load(name: str):
    """A module of benchmarks/ by its file name, its folder on sys.path (they import each other)."""
    folder = str(KERNEL_PY.parent)
    sys.path.insert(0, folder)
    try:
        spec = importlib.util.spec_from_file_location(f"benchmark_{name}", KERNEL_PY.with_name(f"{name}.py"))
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module  # dataclasses look their module up while being defined
        spec.loader.exec_module(module)
        return module
    finally:
        sys.path.remove(folder)


def test_the_thread_counts_are_those_the_machine_has():
    procs = _load("procs")
    assert procs.thread_counts("1,2,4,8,16", 2) == [1, 2]
    assert procs.thread_counts("1,2,4,8,16", 12) == [1, 2, 4, 8, 12]  # the machine's own count, where skipped
    assert procs.thread_counts("1,2,4,8,16", 16) == [1, 2, 4, 8, 16]
    assert procs.thread_counts("1,2", 16) == [1, 2]  # not asked for: not added


def test_a_target_shows_its_floor_only_where_missed():
    procs = _load("procs")
    met = procs.ratio_target("a", 0.5, 1.0, floor="start-up 0.5 s")
    missed = procs.ratio_target("b", 2.5, 2.0, below=False, floor="exp 1 s")
    unknown = procs.ratio_target("c", None, 1.0)
    assert (met.met, missed.met, unknown.met) == (True, True, None)
    missed = procs.ratio_target("b", 1.5, 2.0, below=False, floor="exp 1 s")
    lines = procs.targets_table([met, missed, unknown])
    assert lines[2] == "| a | ≤ 1× | 0.5× | **met** |  |"
    assert lines[3] == "| b | ≥ 2× | 1.5× | **missed** | exp 1 s |"
    assert lines[4] == "| c | ≤ 1× | — | not measured |  |"


def test_the_exp_floor_takes_one_exp_per_value_in_blocks(monkeypatch):
    floors = _load("floors")
    sizes = []
    real_exp = np.exp
    monkeypatch.setattr(floors.np, "exp", lambda x, out: sizes.append(x.size) or real_exp(x, out=out))
    floors.exp_floor(10 * 1024 + 7, 2, block=1024)
    assert sum(sizes) == 10 * 1024 + 7 and max(sizes) == 1024


def test_the_reference_kl_in_extended_precision_agrees_with_decimal_arithmetic():
    """lm_reference.py's longdouble D(P‖Q) of near-identical float16 logit rows (where float64's
    textbook formula loses digits) against the same formula in 50-digit decimal arithmetic."""
    from decimal import Decimal, localcontext

    reference = _load("lm_reference")
    rng = np.random.default_rng(3)
    for _ in range(5):
        zp = (-1.1 * np.log(rng.permutation(np.arange(1.0, 201.0))) + 0.5 * rng.standard_normal(200)).astype(np.float16)
        zq = (zp + 0.02 * rng.standard_normal(200)).astype(np.float16)
        with localcontext() as context:
            context.prec = 50
            a, b = [Decimal(float(x)) for x in zp], [Decimal(float(x)) for x in zq]
            log_sum_p, log_sum_q = sum(x.exp() for x in a).ln(), sum(x.exp() for x in b).ln()
            exact = float(sum((x - log_sum_p).exp() * ((x - log_sum_p) - (y - log_sum_q)) for x, y in zip(a, b)))
        assert reference.kl_longdouble(zp, zq) == pytest.approx(exact, rel=1e-14)


def test_the_cache_folders_of_the_first_call(tmp_path):
    """A new empty numba cache folder for every first call, reused by the call after it; and an
    install where no cache folder can be made: its __pycache__ folders and the user-wide cache are
    paths under regular files (even root cannot make them)."""
    lm = _load("lm")
    caches = lm.Caches({"PATH": "/usr/bin", "NUMBA_CACHE_DIR": "/elsewhere"})
    try:
        first = caches.first()["NUMBA_CACHE_DIR"]
        assert caches.again()["NUMBA_CACHE_DIR"] == first and not os.listdir(first)
        assert caches.first()["NUMBA_CACHE_DIR"] != first
        env = caches.unwritable
        assert "NUMBA_CACHE_DIR" not in env
        numerics = Path(env["PYTHONPATH"]) / "divcli" / "numerics"
        assert (numerics / "fused.py").is_file() and (numerics / "__pycache__").is_file()
        for path in (env["XDG_CACHE_HOME"], env["HOME"], numerics / "__pycache__" / "x"):
            with pytest.raises(OSError):
                os.makedirs(os.path.join(path, "numba"))
    finally:
        caches.cleanup()
    assert not caches.root.exists()


def test_the_performance_page_shows_the_language_model_plot():
    """docs/performance.md shows lm_scaling.py's plot, a copy of the one in benchmarks/ (an image under
    docs/ cannot point into benchmarks/)."""
    root = KERNEL_PY.parent.parent
    page = (root / "docs" / "performance.md").read_text(encoding="utf-8")
    assert "](lm-scaling.svg)" in page
    assert (root / "docs" / "lm-scaling.svg").read_bytes() == (root / "benchmarks" / "lm-scaling.svg").read_bytes()


def test_the_lm_report_targets_are_ratios_of_the_same_run():
    """lm_report.py: lm ÷ kl -q (wall, with the CPU ratio beside it where missed), lm ÷ torch, and
    the peak private memory ÷ torch's; not measured where torch is not there."""
    procs, report = _load("procs"), _load("lm_report")

    def command(wall: float, cpu: float, anon_kib: int):
        return procs.Command("c", [], {}, wall=[wall], cpu=[cpu], anon_kib=[anon_kib])

    lm, kl, torch = command(1.3, 2.6, 100 * 1024), command(1.0, 2.0, 90 * 1024), command(2.0, 3.0, 1000 * 1024)
    speed, against_torch, memory = report.report_targets(lm, kl, torch)
    assert (speed.met, speed.measured, speed.floor) == (False, "1.3×", "CPU ratio 1.30")
    assert (against_torch.met, memory.met, memory.measured) == (True, True, "0.1×")
    assert [target.met for target in report.report_targets(lm, kl, None)[1:]] == [None, None]


def test_kernel_py_reads_a_pair_of_files_as_stored(tmp_path):
    """``kernel.py divcli --files P Q`` (the LM case's computation alone): float16 files read as they
    are, the checksum the per-row KL of their rows."""
    import json
    import subprocess

    rng = np.random.default_rng(7)
    p = rng.normal(0, 2, (40, 300)).astype(np.float16)
    q = (p + rng.normal(0, 0.1, p.shape)).astype(np.float16)
    np.save(tmp_path / "p.npy", p)
    np.save(tmp_path / "q.npy", q)
    done = subprocess.run([sys.executable, str(KERNEL_PY), "divcli", "--files", str(tmp_path / "p.npy"),
                           str(tmp_path / "q.npy"), "--repeats", "1"], capture_output=True, text=True, check=True)
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["checksum"] == pytest.approx(_reference_kl(p.astype(np.float64), q.astype(np.float64)), rel=1e-12)
