"""divcli drift's uncertainty and pictures: --bootstrap's intervals against the textbook resampling
loop, --p-values against SciPy's tests (and without SciPy, a note), --svg's histograms, and the
refusals of these options."""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
import warnings
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest

from divcli.numerics import p_values
from helpers.extras import needs

ROOT = Path(__file__).resolve().parents[2]
SVG = "{http://www.w3.org/2000/svg}"
INTERVAL_KEYS = [f"{key}{end}" for key in ("psi", "kl_ref_cur", "kl_cur_ref", "js_distance", "hellinger",
                                            "wasserstein_1", "ks", "chi2") for end in ("_low", "_high")]


@pytest.fixture
def samples(tmp_path):
    """ref.csv (400 rows) and cur.csv (300 rows): a numeric column x, shifted, and a categorical one."""
    rng = np.random.default_rng(12)
    sides = {"ref": (rng.normal(0, 1, 400), rng.choice(["a", "b", "c"], 400, p=[0.5, 0.3, 0.2])),
             "cur": (rng.normal(0.3, 1, 300), rng.choice(["a", "b", "c"], 300, p=[0.4, 0.3, 0.3]))}
    paths = []
    for name, (x, city) in sides.items():
        path = tmp_path / f"{name}.csv"
        path.write_text("x,city\n" + "".join(f"{float(value)!r},{label}\n" for value, label in zip(x, city)))
        paths.append(path)
    return paths, sides


def _textbook_psi_and_ks(reference, current, resamples, seed):
    """Both sides drawn with replacement from PCG64(seed) per resample, the reference first; PSI in
    the deciles of the whole reference (right-closed bins), KS by brute force over the pooled values."""
    edges = np.quantile(reference, np.linspace(0, 1, 11)[1:-1])
    generator = np.random.Generator(np.random.PCG64(seed))
    found = {"psi": [], "ks": []}
    for _ in range(resamples):
        r = reference[generator.integers(0, len(reference), len(reference))]
        c = current[generator.integers(0, len(current), len(current))]
        shares = [np.bincount(np.searchsorted(edges, side, side="left"), minlength=10) / len(side) for side in (r, c)]
        with np.errstate(divide="ignore", invalid="ignore"):
            found["psi"].append(float(np.sum((shares[1] - shares[0]) * np.log(shares[1] / shares[0]))))
        pooled = np.concatenate([r, c])
        found["ks"].append(float(np.max(np.abs(np.mean(r[:, None] <= pooled, axis=0)
                                               - np.mean(c[:, None] <= pooled, axis=0)))))
    return found


def test_bootstrap_intervals_are_the_textbook_loops(run_json, samples):
    (ref, cur), sides = samples
    document = run_json("drift", ref, cur, "--select", "x", "--bootstrap", "60", "--seed", "5", "--ci", "0.9")
    (x,) = document["columns"]
    textbook = _textbook_psi_and_ks(sides["ref"][0], sides["cur"][0], 60, 5)
    for key in ("psi", "ks"):
        low, high = np.percentile(textbook[key], [5, 95])
        assert x[f"{key}_low"] == pytest.approx(low, rel=1e-9) and x[f"{key}_high"] == pytest.approx(high, rel=1e-9)
    assert document["bootstrap"]["resamples"] == 60 and document["bootstrap"]["seed"] == 5
    assert document["bootstrap"]["confidence"] == 0.9 and "percentile" in document["bootstrap"]["method"]


def test_the_same_seed_gives_the_same_intervals_and_another_seed_others(run, samples):
    (ref, cur), _ = samples
    first = run("drift", ref, cur, "--categorical", "city", "--bootstrap", "30", "--seed", "1", "-f", "json")
    again = run("drift", ref, cur, "--categorical", "city", "--bootstrap", "30", "--seed", "1", "-f", "json")
    other = run("drift", ref, cur, "--categorical", "city", "--bootstrap", "30", "--seed", "2", "-f", "json")
    assert first.exit_code == 0 and first.stdout == again.stdout and first.stdout != other.stdout


def test_every_measure_has_its_interval_in_json_and_csv(run, run_json, samples):
    (ref, cur), _ = samples
    document = run_json("drift", ref, cur, "--categorical", "city", "--bootstrap", "40")
    x, city = document["columns"]
    for record in (x, city):
        assert set(INTERVAL_KEYS) <= set(record)
        for key in INTERVAL_KEYS[::2]:
            measure = key[:-4]
            if record[measure] is None:
                assert record[key] is None and record[f"{measure}_high"] is None
            else:
                assert record[key] <= record[f"{measure}_high"]
    assert x["chi2_low"] is None and city["wasserstein_1_low"] is None and city["chi2_low"] > 0
    result = run("drift", ref, cur, "--categorical", "city", "--bootstrap", "40", "-f", "csv")
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    header = list(rows[0])
    assert header.index("psi_low") == header.index("psi") + 1 and header.index("psi_high") == header.index("psi") + 2
    assert float(rows[0]["psi_low"]) == pytest.approx(x["psi_low"], rel=1e-15) and rows[1]["wasserstein_1_low"] == ""


def test_without_the_new_options_the_records_are_as_before(run_json, samples):
    (ref, cur), _ = samples
    document = run_json("drift", ref, cur, "--categorical", "city")
    assert "bootstrap" not in document
    assert not set(INTERVAL_KEYS) & set(document["columns"][0])
    assert document["columns"][0]["ks_p_value"] is None and document["columns"][1]["chi2_p_value"] is None


def test_the_table_lists_the_intervals(run, samples):
    (ref, cur), _ = samples
    result = run("drift", ref, cur, "--categorical", "city", "--bootstrap", "20", "--seed", "3", env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    assert "bootstrap: 20 resamples of both samples' rows, seed 3; 95% percentile intervals" in result.stdout
    assert "95% bootstrap intervals" in result.stdout
    focused = run("drift", ref, cur, "--categorical", "city", "--bootstrap", "20", "--column", "x",
                  env={"COLUMNS": "200"})
    line = next(line for line in focused.stdout.splitlines() if line.startswith("x (numeric)"))
    assert "PSI " in line and " [" in line and "], W₁ " in line


def test_a_confidence_of_1_spans_every_resample(run_json, samples):
    (ref, cur), _ = samples
    whole = run_json("drift", ref, cur, "--select", "x", "--bootstrap", "30", "--ci", "1")["columns"][0]
    middle = run_json("drift", ref, cur, "--select", "x", "--bootstrap", "30", "--ci", "0.5")["columns"][0]
    assert whole["psi_low"] <= middle["psi_low"] <= middle["psi_high"] <= whole["psi_high"]


def test_an_interval_reaching_inf_is_said(run, tmp_path):
    """A rare bin: some resamples leave it empty in the reference, so their KL(C‖R) is +inf."""
    ref, cur = tmp_path / "ref.csv", tmp_path / "cur.csv"
    ref.write_text("x\n" + "1\n" * 40 + "9\n")
    cur.write_text("x\n" + "1\n" * 30 + "9\n" * 10)
    result = run("drift", ref, cur, "--bins", "edges:5", "--bootstrap", "50", "-f", "json")
    (x,) = json.loads(result.stdout)["columns"]
    assert x["kl_cur_ref_high"] == "inf" and x["psi_high"] == "inf"
    table = run("drift", ref, cur, "--bins", "edges:5", "--bootstrap", "50", env={"COLUMNS": "120"})
    assert "an interval reaching +inf" in table.stdout


@pytest.mark.parametrize("args, words", [
    (["--seed", "3"], "--seed sets the bootstrap's intervals: give --bootstrap N too"),
    (["--ci", "0.9"], "--ci sets the bootstrap's intervals"),
    (["--bootstrap", "0"], "'0' is not a whole number ≥ 1; give a number of resamples such as 1000"),
    (["--bootstrap", "10", "--ci", "0"], "'0' is not a number above 0, up to 1"),
    (["--bootstrap", "10", "--ci", "1.5"], "'1.5' is not a number above 0, up to 1"),
    (["--bootstrap", "10", "--seed", "-1"], "'-1' is not a whole number ≥ 0; give a seed such as 0"),
])
def test_bad_bootstrap_options_are_usage_errors(run, samples, args, words):
    (ref, cur), _ = samples
    result = run("drift", ref, cur, *args)
    assert result.exit_code == 2 and words in result.stderr, result.stderr


def _ks_2samp(stats, x, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return stats.ks_2samp(x, y)


def test_p_values_are_scipys(run_json, samples):
    stats = needs("scipy.stats")
    (ref, cur), sides = samples
    x, city = run_json("drift", ref, cur, "--categorical", "city", "--p-values")["columns"]
    theirs = _ks_2samp(stats, sides["ref"][0], sides["cur"][0])
    assert x["ks"] == pytest.approx(theirs.statistic, abs=1e-15)
    assert x["ks_p_value"] == pytest.approx(theirs.pvalue, rel=1e-10) and x["chi2_p_value"] is None
    table = [[int(np.sum(labels == name)) for name in ("a", "b", "c")] for labels in (sides["ref"][1], sides["cur"][1])]
    expected = stats.chi2_contingency(table, correction=False)
    assert city["chi2"] == pytest.approx(expected.statistic, rel=1e-12)
    assert city["chi2_p_value"] == pytest.approx(expected.pvalue, rel=1e-10) and city["ks_p_value"] is None


def test_the_table_shows_the_p_values(run, samples):
    needs("scipy")
    (ref, cur), _ = samples
    result = run("drift", ref, cur, "--categorical", "city", "--p-values", env={"COLUMNS": "120"})
    header = next(line for line in result.stdout.splitlines() if "┃" in line and "verdict" in line)
    assert " p " in header and result.stderr == ""


def test_without_scipy_the_p_values_say_how_to_get_them(run, samples, monkeypatch):
    monkeypatch.setattr(p_values, "scipy_installed", lambda: False)
    (ref, cur), _ = samples
    result = run("drift", ref, cur, "--categorical", "city", "--p-values", "-f", "json")
    assert result.exit_code == 0 and p_values.NO_SCIPY in result.stderr
    x, city = json.loads(result.stdout)["columns"]
    assert x["ks_p_value"] is None and city["chi2_p_value"] is None and x["ks"] is not None
    table = run("drift", ref, cur, "--categorical", "city", "--p-values", env={"COLUMNS": "120"})
    assert "p-values need SciPy: pip install 'divcli[stats]'" in table.stdout


@pytest.mark.slow
@pytest.mark.parametrize("args, imported", [(["--help"], False), ([], False), (["--bootstrap", "5"], False),
                                            (["--p-values"], True)])
def test_scipy_is_imported_only_for_p_values(samples, args, imported):
    (ref, cur), _ = samples
    code = ("import sys\nfrom divcli.cli import main\nsys.argv = ['divcli'] + sys.argv[1:]\ntry:\n    main()\n"
            "except SystemExit:\n    pass\nprint('scipy' in sys.modules, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", code, "drift", str(ref), str(cur), "--categorical", "city", "-q",
                             *args], cwd=ROOT, capture_output=True, text=True)
    expected = imported and p_values.scipy_installed()
    assert result.stderr.strip().splitlines()[-1] == str(expected), result.stderr


def test_svg_draws_every_columns_two_histograms(run, samples, tmp_path):
    (ref, cur), _ = samples
    picture = tmp_path / "drift.svg"
    result = run("drift", ref, cur, "--categorical", "city", "--svg", picture, "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = json.loads(result.stdout)
    root = ET.fromstring(picture.read_text(encoding="utf-8"))
    panels = [g for g in root.iter(f"{SVG}g") if g.get("class") == "panel"]
    assert len(panels) == 2
    for panel, column in zip(panels, document["columns"]):
        bars = [rect for rect in panel.iter(f"{SVG}rect") if rect.get("class") == "bar current"]
        assert len(bars) == column["n_bins"]
        assert sum(float(bar.get("data-share")) for bar in bars) == pytest.approx(1.0, rel=1e-12)
        assert column["column"] in [text.text for text in panel.iter(f"{SVG}text")]


def test_svg_of_one_column_with_column(run, samples, tmp_path):
    (ref, cur), _ = samples
    picture = tmp_path / "city.svg"
    result = run("drift", ref, cur, "--categorical", "city", "--column", "city", "--svg", picture, "-q")
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1
    root = ET.fromstring(picture.read_text(encoding="utf-8"))
    labels = [text.text for text in root.iter(f"{SVG}text") if text.get("class") == "bin"]
    assert labels == ["a", "b", "c"] and "category" in [text.text for text in root.iter(f"{SVG}text")]


def test_the_same_run_draws_the_same_picture(run, samples, tmp_path):
    (ref, cur), _ = samples
    for name in ("a", "b"):
        assert run("drift", ref, cur, "--categorical", "city", "--svg", tmp_path / f"{name}.svg", "-q").exit_code == 0
    assert (tmp_path / "a.svg").read_bytes() == (tmp_path / "b.svg").read_bytes()


def test_svg_refuses_the_output_and_the_inputs(run, samples, tmp_path):
    (ref, cur), _ = samples
    same = tmp_path / "out.txt"
    result = run("drift", ref, cur, "--select", "x", "-o", same, "--svg", same)
    assert result.exit_code == 2 and "-o and --svg name the same file" in result.stderr
    result = run("drift", ref, cur, "--select", "x", "--svg", ref)
    assert result.exit_code == 2 and "is also the input" in result.stderr
    assert ref.read_text().startswith("x,city\n")


def test_the_documented_picture_is_current(run, tmp_path, monkeypatch):
    """docs/drift.svg, shown on the drift page, is what its command draws today (the same bytes)."""
    page = (ROOT / "docs" / "commands" / "drift.md").read_text(encoding="utf-8")
    command = page.split("<!-- drift-svg: ")[1].split(" -->")[0]
    assert command.startswith("divcli drift ") and "--svg docs/drift.svg" in command
    made = tmp_path / "drift.svg"
    monkeypatch.chdir(ROOT)  # the samples' paths are the repository's, and the title shows them as given
    result = run(*command.replace("--svg docs/drift.svg", f"--svg {made}").split()[1:])
    assert result.exit_code == 0, result.stderr
    assert made.read_bytes() == (ROOT / "docs" / "drift.svg").read_bytes(), (
        "docs/drift.svg is out of date: run the command in its comment on docs/commands/drift.md")
