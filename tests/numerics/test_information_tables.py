"""Many joint tables, each checked against an independent computation: H(X), H(Y), H(X,Y), H(X|Y),
H(Y|X), I and the four NMI of divcli.numerics.information (and of ``divcli mi --joint``, every base)
against the textbook formulas evaluated in mpmath from the exact values of the cells (as many digits
as the table's span of magnitudes needs: 1 + 1e-300 is not 1 there), and against scikit-learn's
mutual_info_score and normalized_mutual_info_score on the label pairs the counts stand for.

The tables: counts small and huge (1e15, written as integer-valued floats too), probabilities with
tiny cells (1e-300), rows and columns of zeros (a class never seen), 1×N, N×1 and 1×1 tables (NMI's
0/0: scikit-learn's conventions, 1 where both sides have one class, else 0 where I = 0), tables of
probabilities a little off 1 (renormalised, and said so), with names and without."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest

from divcli.numerics.information import AVERAGES, information
from helpers.extras import needs
from helpers.files import write_rows

pytestmark = pytest.mark.numeric

KEYS = ("h_x", "h_y", "h_xy", "h_x_given_y", "h_y_given_x", "mi")


def reference(table) -> dict:
    """Every value in nats by the definitions, from the cells' exact values (Fractions), logs in
    mpmath with 40 digits more than the table's span of magnitudes; NMI with scikit-learn's special
    cases (both sides one class: 1; I = 0: 0)."""
    mpmath = needs("mpmath")
    cells = [[Fraction(float(v)) for v in row] for row in np.asarray(table, dtype=np.float64)]
    cells = [row for row in cells if any(row)]
    cells = [list(col) for col in zip(*cells) if any(col)]  # transposed: columns of Y, classes seen
    cells = [list(row) for row in zip(*cells)]
    nonzero = [v for row in cells for v in row if v]
    span = math.log10(float(sum(nonzero))) - math.log10(float(min(nonzero))) if len(nonzero) > 1 else 0
    with mpmath.workdps(40 + int(span)):
        total = sum(nonzero)
        rows, cols = [sum(row) for row in cells], [sum(col) for col in zip(*cells)]

        def term(v, w):  # −(v / total)·log(v / w), exact ratio, logged in mpmath
            return -mpmath.mpf(v.numerator) / v.denominator / (mpmath.mpf(total.numerator) / total.denominator) * \
                mpmath.log(mpmath.mpf((v / w).numerator) / (v / w).denominator)

        h_x = mpmath.fsum(term(r, total) for r in rows)
        h_y = mpmath.fsum(term(c, total) for c in cols)
        h_xy = mpmath.fsum(term(v, total) for v in nonzero)
        pairs = [(v, i, j) for i, row in enumerate(cells) for j, v in enumerate(row) if v]
        h_x_given_y = mpmath.fsum(term(v, cols[j]) for v, _, j in pairs)
        h_y_given_x = mpmath.fsum(term(v, rows[i]) for v, i, _ in pairs)
        mi = -mpmath.fsum(term(v, rows[i] * cols[j] / total) for v, i, j in pairs)
        values = {key: float(value) for key, value in zip(KEYS, (h_x, h_y, h_xy, h_x_given_y, h_y_given_x, mi))}
        means = {"arithmetic": (h_x + h_y) / 2, "geometric": mpmath.sqrt(h_x * h_y), "min": min(h_x, h_y),
                 "max": max(h_x, h_y)}
        for average, mean in means.items():
            if len(rows) == len(cols) == 1:
                values[f"nmi_{average}"] = 1.0
            else:
                values[f"nmi_{average}"] = 0.0 if values["mi"] == 0 else float(mi / mean)
    return values


def close(found: float, expected: float, rel: float = 1e-12) -> bool:
    return math.isclose(found, expected, rel_tol=rel, abs_tol=1e-300)


def _with_zeros(rng, table):
    """A row and a column of zeros put in at random places (classes never seen), half the time."""
    if rng.random() < 0.5:
        table = np.insert(table, rng.integers(0, table.shape[0] + 1), 0.0, axis=0)
        table = np.insert(table, rng.integers(0, table.shape[1] + 1), 0.0, axis=1)
    return table


def tables(seed: int = 26, each: int = 12) -> list[np.ndarray]:
    """Counts small and huge, probabilities with tiny cells, slim shapes; seeded."""
    rng = np.random.default_rng(seed)
    found = []
    for _ in range(each):
        shape = tuple(rng.integers(1, 7, 2))
        small = rng.integers(0, 25, shape).astype(np.float64)
        small[0, 0] += 1  # not all 0
        found.append(_with_zeros(rng, small))
        found.append(_with_zeros(rng, small * 1e15 + rng.integers(0, 3, shape)))  # huge counts, off by a few
        probs = rng.dirichlet(np.ones(shape[0] * shape[1])).reshape(shape)
        probs[rng.random(shape) < 0.3] = 1e-300  # tiny cells
        found.append(_with_zeros(rng, probs / probs.sum()))
    found += [np.array([[5.0, 3.0, 2.0]]), np.array([[5.0], [3.0], [2.0]]), np.array([[7.0]]),
              np.array([[0.2, 0.3, 0.5]]), np.array([[1.0, 1e-300], [1e-300, 1e-300]]),
              np.array([[0.5, 1e-300], [1e-300, 0.5]]), np.array([[0, 0, 0], [0, 4.0, 0], [0, 0, 0]]),
              np.outer([1e15, 2e15, 3e15], [1, 5]), np.array([[1e300, 1e300], [1e300, 2e300]])]
    return found


TABLES = tables()


@pytest.mark.parametrize("table", TABLES, ids=range(len(TABLES)))
def test_every_value_matches_the_definitions_in_mpmath(table):
    found, expected = information(table), reference(table)
    for key in KEYS:
        assert close(getattr(found, key), expected[key]), key
    for average in AVERAGES:
        assert close(found.normalised(average), expected[f"nmi_{average}"]), average
    assert 0 <= found.mi <= min(found.h_x, found.h_y)  # the plug-in's bounds, exactly


def _labels(table):
    """The label pairs a table of counts stands for (each cell's count of its pair)."""
    x, y = np.nonzero(table)
    counts = table[x, y].astype(int)
    return np.repeat(x, counts), np.repeat(y, counts)


SMALL = [t for t in TABLES if np.all(t == np.round(t)) and t.sum() < 2000]


@pytest.mark.parametrize("table", SMALL, ids=range(len(SMALL)))
def test_against_scikit_learn_from_the_label_pairs(table):
    metrics = needs("sklearn.metrics")
    found = information(table)
    x, y = _labels(table)
    assert math.isclose(found.mi, metrics.mutual_info_score(x, y), rel_tol=1e-12, abs_tol=1e-15)
    for average in AVERAGES:
        expected = metrics.normalized_mutual_info_score(x, y, average_method=average)
        assert math.isclose(found.normalised(average), expected, rel_tol=1e-12, abs_tol=1e-15), average


def _write(path, table, names: bool, floats: bool) -> None:
    """The table as CSV: Y's names in a header and X's in a first column, or bare numbers; counts as
    integer-valued floats (``3.0``) when ``floats``."""
    text = [[(repr(float(v)) if floats or v != int(v) else str(int(v))) for v in row] for row in table]
    if names:
        write_rows(path, [[f"x{i}", *row] for i, row in enumerate(text)],
                   header=["x", *(f"y{j}" for j in range(table.shape[1]))])
    else:
        write_rows(path, text)


@pytest.mark.parametrize("index", range(0, len(TABLES), 4))
@pytest.mark.parametrize("base", ["e", "2", "10", "3.5"])
def test_the_command_gives_the_same_from_files_of_every_shape(run_json, tmp_path, index, base):
    table = TABLES[index]
    expected = reference(table)
    scale = {"e": 1.0, "2": math.log(2), "10": math.log(10), "3.5": math.log(3.5)}[base]
    for names in (True, False):
        path = tmp_path / f"joint-{names}.csv"
        _write(path, table, names, floats=index % 8 == 0)
        document = run_json("mi", "--joint", path, "--base", base)
        for key in KEYS:
            assert close(document[key] * scale, expected[key], rel=1e-11), (key, names)
        for average in AVERAGES:
            assert close(document[f"nmi_{average}"], expected[f"nmi_{average}"], rel=1e-11), average
        whole = bool(np.all(table == np.round(table)))
        assert document["n"] == (int(table.sum()) if whole else None)
        assert document["x"]["classes"] == int(np.count_nonzero(table.sum(axis=1)))


@pytest.mark.parametrize("base", ["e", "2", "10"])
def test_labels_against_scikit_learn_at_every_base(run_json, tmp_path, base):
    metrics = needs("sklearn.metrics")
    scale = {"e": 1.0, "2": math.log(2), "10": math.log(10)}[base]
    for i, table in enumerate(SMALL[:8]):
        x, y = _labels(table)
        path = tmp_path / f"pairs{i}.csv"
        write_rows(path, [(f"a{a}", f"b{b}") for a, b in zip(x, y)], header=["x", "y"])
        document = run_json("mi", path, "--base", base)
        assert math.isclose(document["mi"] * scale, metrics.mutual_info_score(x, y), rel_tol=1e-11, abs_tol=1e-15)
        for average in AVERAGES:
            expected = metrics.normalized_mutual_info_score(x, y, average_method=average)
            assert math.isclose(document[f"nmi_{average}"], expected, rel_tol=1e-11, abs_tol=1e-15), average


def test_probabilities_off_1_are_renormalised_and_the_output_says_so(run, run_json):
    """As kl does with a row within --tolerance of 1: the table ÷ its sum, and the header and JSON say
    by how much it was off; a table summing to 1 exactly says nothing; further off is refused."""
    off = "0.25,0.25;0.25,0.2500002"
    document = run_json("mi", "--joint", off)
    expected = reference(np.array([[0.25, 0.25], [0.25, 0.2500002]]))
    assert close(document["mi"], expected["mi"], rel=1e-9) and close(document["h_xy"], expected["h_xy"])
    joint = document["inputs"]["joint"]
    assert joint["renormalised"] and math.isclose(joint["largest_deviation"], 2e-7, rel_tol=1e-6)
    assert "the table's probabilities renormalised (deviation 2.0e-07)" in run("mi", "--joint", off).stdout
    exact = run_json("mi", "--joint", "0.25,0.25;0.25,0.25")
    assert exact["inputs"]["joint"] == {"renormalised": False, "largest_deviation": 0.0}
    assert "renormalised" not in run("mi", "--joint", "0.25,0.25;0.25,0.25").stdout
    assert "inputs" not in run_json("mi", "--joint", "1,2;3,4")  # counts are divided by N, nothing to say
    refused = run("mi", "--joint", "0.25,0.25;0.25,0.26")
    assert refused.exit_code == 1 and "neither counts" in refused.stderr


def test_a_sum_past_the_largest_float_is_refused_in_a_line(run):
    result = run("mi", "--joint", "1e308,1e308;1e308,1e308")
    assert result.exit_code == 1 and "sum past the largest number" in result.stderr
    assert "Traceback" not in result.stderr
