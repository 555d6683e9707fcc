"""``divcli mi --bootstrap N --ci C --seed S``: the N pairs resampled (one multinomial draw of N over the
joint table's cells), every value recomputed on each resample, a percentile interval each, shifted
by twice the resamples' bias for the plug-in.

The references draw the same resamples here (numpy's PCG64 from ``SeedSequence(seed, spawn_key=(0,
0))``, the cells row by row) and measure them with plain float64 numpy; the coverage simulation
checks that the plug-in I's shifted intervals hold the true I as often as their level says, and that
the plain percentile interval would not."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

from divcli.computations import mi_intervals
from divcli.computations.mi import mi_document
from divcli.numerics.information import information
from divcli.vocabulary import Intervals, LogBase

pytestmark = pytest.mark.numeric

#: A 3 × 4 table of counts (N = 100): rows X's classes, columns Y's.
TABLE = np.array([[20, 5, 3, 2], [4, 18, 6, 2], [3, 4, 10, 23]], dtype=np.float64)
LITERAL = ";".join(",".join(str(int(v)) for v in row) for row in TABLE)
KEYS = ("h_x", "h_y", "h_xy", "h_x_given_y", "h_y_given_x", "mi", "nmi_arithmetic", "nmi_geometric", "nmi_min",
        "nmi_max")


def _draws(seed, table, resamples):
    """The resamples, tables × X × Y, as divcli draws them."""
    generator = np.random.Generator(np.random.PCG64(np.random.SeedSequence(seed, spawn_key=(0, 0))))
    cells = table.ravel()
    drawn = generator.multinomial(int(cells.sum()), cells / cells.sum(), size=resamples)
    return drawn.reshape(resamples, *table.shape).astype(np.float64)


def _entropy(counts):
    shares = counts / counts.sum(axis=-1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        return -np.sum(np.where(shares > 0, shares * np.log(shares), 0.0), axis=-1)


def _plugin_values(tables):
    """Each table's plug-in values in nats, plain numpy (I = H(X) + H(Y) − H(X,Y))."""
    h_x, h_y = _entropy(tables.sum(axis=2)), _entropy(tables.sum(axis=1))
    h_xy = _entropy(tables.reshape(len(tables), -1))
    mi = h_x + h_y - h_xy
    return {"h_x": h_x, "h_y": h_y, "h_xy": h_xy, "h_x_given_y": h_xy - h_y, "h_y_given_x": h_xy - h_x, "mi": mi,
            "nmi_arithmetic": mi / ((h_x + h_y) / 2), "nmi_geometric": mi / np.sqrt(h_x * h_y),
            "nmi_min": mi / np.minimum(h_x, h_y), "nmi_max": mi / np.maximum(h_x, h_y)}


def _ceiling(key, kx, ky):
    return {"h_x": math.log(kx), "h_y": math.log(ky), "h_xy": math.log(kx * ky), "h_x_given_y": math.log(kx),
            "h_y_given_x": math.log(ky), "mi": math.log(min(kx, ky))}.get(key, 1.0)


def test_the_plugins_intervals_are_the_shifted_percentiles_of_the_resamples(run_json):
    document = run_json("mi", "--joint", LITERAL, "--bootstrap", 400, "--seed", 7)
    assert document["intervals"] == {"method": "shifted percentile", "confidence": 0.95, "resamples": 400, "seed": 7}
    resampled = _plugin_values(_draws(7, TABLE, 400))
    estimates = _plugin_values(TABLE[None])
    for key in KEYS:
        shift = 2 * (estimates[key][0] - resampled[key].mean())
        expected = [min(max(end + shift, 0.0), _ceiling(key, 3, 4)) for end in np.percentile(resampled[key], [2.5, 97.5])]
        assert document[key] == pytest.approx(estimates[key][0], rel=1e-12)
        assert [document[f"{key}_low"], document[f"{key}_high"]] == pytest.approx(expected, rel=1e-9, abs=1e-12), key


def test_an_estimators_intervals_are_its_plain_percentiles_in_the_base_asked(run_json):
    document = run_json("mi", "--joint", LITERAL, "--estimator", "miller-madow", "--bootstrap", 300, "--ci", 0.9,
                        "--seed", 3, "--base", 2)
    assert document["intervals"]["method"] == "percentile"
    drawn = _draws(3, TABLE, 300)

    def miller_madow(counts):
        return _entropy(counts) + (np.count_nonzero(counts, axis=-1) - 1) / (2 * counts.sum(axis=-1))

    h_x, h_y = miller_madow(drawn.sum(axis=2)), miller_madow(drawn.sum(axis=1))
    mi = h_x + h_y - miller_madow(drawn.reshape(300, -1))
    for key, values in (("h_x", h_x), ("mi", mi)):
        expected = np.percentile(values, [5, 95]) / math.log(2)
        assert [document[f"{key}_low"], document[f"{key}_high"]] == pytest.approx(list(expected), rel=1e-9, abs=1e-12)
    nmi = mi / np.maximum(h_x, h_y)  # unitless: not divided by log 2
    assert [document["nmi_max_low"], document["nmi_max_high"]] == pytest.approx(list(np.percentile(nmi, [5, 95])),
                                                                                rel=1e-9)


def test_labels_and_their_joint_table_give_the_same_intervals(run_json, tmp_path):
    """The label pairs counted into the table (classes in sorted order) are the table's cells."""
    pairs = tmp_path / "pairs.csv"
    rows = [(f"x{i}", f"y{j}") for i in range(3) for j in range(4) for _ in range(int(TABLE[i, j]))]
    pairs.write_text("x,y\n" + "".join(f"{x},{y}\n" for x, y in reversed(rows)))
    from_labels = run_json("mi", str(pairs), "--bootstrap", 200, "--seed", 11)
    from_table = run_json("mi", "--joint", LITERAL, "--bootstrap", 200, "--seed", 11)
    for key in KEYS:
        assert from_labels[f"{key}_low"] == pytest.approx(from_table[f"{key}_low"], rel=1e-12, abs=1e-15)
        assert from_labels[f"{key}_high"] == pytest.approx(from_table[f"{key}_high"], rel=1e-12, abs=1e-15)


def test_h_xy_interval_is_entropys_of_the_cells_with_the_same_seed(run_json):
    """The table's cells are one row of counts, drawn as entropy draws its first row."""
    mi = run_json("mi", "--joint", LITERAL, "--bootstrap", 250, "--seed", 5)
    entropy = run_json("entropy", ",".join(str(int(v)) for v in TABLE.ravel()), "--p-as", "counts",
                       "--bootstrap", 250, "--seed", 5)
    row, = entropy["rows"]
    assert [mi["h_xy_low"], mi["h_xy_high"]] == pytest.approx([row["entropy_p_low"], row["entropy_p_high"]], rel=1e-12)


def test_the_same_seed_gives_the_same_intervals_whatever_the_batches(run, monkeypatch):
    args = ("mi", "--joint", LITERAL, "--bootstrap", 150, "--seed", 9, "-f", "json")
    first = json.loads(run(*args).stdout)
    monkeypatch.setattr(mi_intervals, "ELEMENTS", 12 * 7)  # 7 resamples a batch
    assert json.loads(run(*args).stdout) == first
    other = json.loads(run(*args[:-4], "--seed", 10, "-f", "json").stdout)
    assert other["mi_low"] != first["mi_low"]


def test_csv_follows_each_value_with_its_interval_and_quiet_is_unchanged(run):
    result = run("mi", "--joint", LITERAL, "--bootstrap", 100, "--seed", 1, "-f", "csv")
    assert result.exit_code == 0, result.stderr
    names = [line.split(",")[0] for line in result.stdout.splitlines()]
    assert names == ["quantity", *[name for key in KEYS for name in (key, f"{key}_low", f"{key}_high")],
                     "n", "g_statistic", "g_p_value", "dof"]
    values = dict(line.split(",") for line in result.stdout.splitlines()[1:])
    assert float(values["mi_low"]) <= float(values["mi"]) <= float(values["mi_high"])
    plain = run("mi", "--joint", LITERAL, "-q")
    assert run("mi", "--joint", LITERAL, "-q", "--bootstrap", 100).stdout == plain.stdout


def test_without_bootstrap_the_document_has_no_intervals(run_json):
    document = run_json("mi", "--joint", LITERAL)
    assert "intervals" not in document and not any(key.endswith(("_low", "_high")) for key in document)


def test_the_table_shows_value_low_high_and_says_how(run):
    result = run("mi", "--joint", LITERAL, "--bootstrap", 100, "--seed", 4, env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.stderr
    assert "95% shifted percentile bootstrap intervals [low, high] from 100 resamples of the pairs, seed 4" \
        in result.stdout
    assert "nats [low, high]" in result.stdout
    line = next(line for line in result.stdout.splitlines() if line.lstrip().startswith("I(X;Y)"))
    value, low, high = (float(part.strip(" [],│")) for part in line.split("│")[1].split())
    assert low <= value <= high


def test_a_side_that_determines_the_other_keeps_i_equal_to_its_entropy():
    """Y determines X on every resample: each resample's I is its H(X), and so are the intervals."""
    table = np.array([[30.0, 0.0], [0.0, 10.0]])
    intervals = Intervals(200, 0.95, 2)
    document = mi_document(table, LogBase.parse("e"), counts=True, x={}, y={}, intervals=intervals)
    assert document["mi_low"] == pytest.approx(document["h_x_low"], rel=1e-12)
    assert document["mi_high"] == pytest.approx(document["h_x_high"], rel=1e-12)
    assert document["nmi_min_low"] == document["nmi_min_high"] == 1.0


@pytest.mark.parametrize("args, words", [
    (("--joint", "0.2,0.3;0.1,0.4", "--bootstrap", "10"), ["--bootstrap", "probabilities", "counts"]),
    (("--joint", "0.2,0.3;0.1,0.4", "--ci", "0.9", "-q"), ["--ci", "probabilities"]),
    (("--joint", "2,3;1,4", "--seed", "3"), ["--seed", "--bootstrap N"]),
    (("--joint", "2,3;1,4", "--ci", "1"), ["--ci", "below 1"]),
    (("--joint", "2,3;1,4", "--bootstrap", "0"), ["--bootstrap", "1000"]),
    (("--joint", "2,3;1,4", "--bootstrap", "5000000"), ["--bootstrap", "1,000,000"]),
])
def test_refusals(run, args, words):
    result = run("mi", *args)
    assert result.exit_code == 2, result.stdout
    assert all(word in result.stderr for word in words), result.stderr
    assert "Traceback" not in result.stderr


def test_more_pairs_than_a_resample_can_draw_are_refused(run):
    result = run("mi", "--joint", "1e19,1;1,1", "--bootstrap", "10")
    assert result.exit_code == 1, result.stdout
    assert "literal '1e19,1;1,1'" in result.stderr and "1e+19 pairs" in result.stderr
    assert "Traceback" not in result.stderr


def _joint(strength):
    """A 3 × 4 joint distribution: X's shares, and Y given X a mixture of one skewed distribution and
    a class of its own (``strength``); 0 makes X and Y independent, 0.3 gives I ≈ 0.106 nats."""
    x = np.array([0.5, 0.3, 0.2])
    peaks = np.array([[1.0, 0, 0, 0], [0, 0, 1.0, 0], [0, 0, 0, 1.0]])
    return x[:, None] * ((1 - strength) * np.array([0.4, 0.3, 0.2, 0.1]) + strength * peaks)


def _coverage(p, samples=200, draws=300, resamples=400):
    """Of ``samples`` seeded tables of ``draws`` pairs from ``p``: how often the plug-in I's shifted
    interval holds the true I, and how often the plain percentile interval would."""
    truth = information(p).mi
    tables = np.random.default_rng(20240601).multinomial(draws, p.ravel(), size=samples).reshape(samples, *p.shape)
    shifted = plain = 0
    for seed, table in enumerate(tables.astype(np.float64)):
        document = mi_document(table, LogBase.parse("e"), counts=True, x={}, y={},
                               intervals=Intervals(resamples, 0.95, seed))
        shifted += document["mi_low"] <= truth <= document["mi_high"]
        low, high = np.percentile(mi_intervals.resampled_values(table, "plugin", resamples, seed)["mi"], [2.5, 97.5])
        plain += low <= truth <= high
    return shifted / samples, plain / samples


def test_coverage_of_the_plugin_is_honest_where_the_percentile_is_not():
    """200 tables of 300 pairs: the shifted 95% intervals hold I ≈ 0.1 in 90–99% of them and I = 0
    in at least 95%; the plain percentile interval never holds I = 0 (no resample is independent)."""
    shifted, plain = _coverage(_joint(0.3))
    assert 0.90 <= shifted <= 0.99, shifted
    shifted, plain = _coverage(_joint(0.0))
    assert shifted >= 0.95 and plain == 0.0, (shifted, plain)
    shifted, plain = _coverage(_joint(0.1))  # I ≈ 0.014: the percentile interval sits above it
    assert 0.90 <= shifted <= 0.99 and plain < 0.85, (shifted, plain)
