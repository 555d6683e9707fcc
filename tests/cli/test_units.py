"""Units everywhere: ``--base`` by every name a reader may use, bases that cannot be refused when
the command line is read, and every table's log columns in the base its header names, so a row can
be redone by hand."""

from __future__ import annotations

import math

import pytest

import divcli
from divcli.vocabulary import LogBase

P, Q = "0.7,0.2,0.1", "0.6,0.3,0.1"


# --------------------------------------------------------------------------------------------
# --base: the names and the refusals


@pytest.mark.parametrize("name, value, unit", [
    *[(name, math.e, "nats") for name in ("e", "E", "nat", "nats", "ln", "LN", "2.718281828459045")],
    *[(name, 2.0, "bits") for name in ("2", "2.0", "bit", "bits", "Bits", "log2")],
    *[(name, 10.0, "bans") for name in ("10", "1e1", "ban", "bans", "log10", "dit", "dits", "hartley", "hartleys")],
    ("3", 3.0, "log-base-3 units"), ("1.5", 1.5, "log-base-1.5 units"),
])
def test_every_name_of_a_base(run_json, name, value, unit):
    nats = run_json("kl", P, Q)["value"]
    document = run_json("kl", P, Q, "--base", name)
    assert document["unit"] == unit
    assert math.isclose(document["value"], nats / math.log(value), rel_tol=1e-14)


@pytest.mark.parametrize("base", ["0.5", "0.1", "1e-3", ".9999"])
@pytest.mark.parametrize("command", [("kl", P, Q), ("ce", P, Q), ("entropy", P), ("explain", P, Q),
                                     ("libraries", P, Q), ("distill", "1,2,3", "3,2,1"), ("compare", P, Q)])
def test_a_base_below_1_is_refused_when_the_command_line_is_read(run, command, base):
    result = run(*command, "--base", base)
    assert result.exit_code == 2 and not result.stdout
    error = result.stderr.strip().splitlines()[-1]
    assert error.startswith("Error: Invalid value for '--base':") and f"'{base}' is below 1" in error
    assert "flips the sign" in error and "any number above 1" in error
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("base", ["1", "1.0", "0", "-2", "nan", "inf", "-inf", "bytes", ""])
def test_bases_that_are_no_base_are_refused(run, base):
    result = run("kl", P, Q, "--base", base)
    assert result.exit_code == 2 and not result.stdout
    assert "'--base'" in result.stderr and "any number above 1" in result.stderr and "Traceback" not in result.stderr


def test_the_python_functions_take_the_same_bases():
    assert math.isclose(divcli.entropy([[0.5, 0.25, 0.25]], base="bits"), 1.5, rel_tol=1e-15)
    assert math.isclose(divcli.entropy([[0.5, 0.25, 0.25]], base=2), 1.5, rel_tol=1e-15)
    assert math.isclose(divcli.entropy([[0.9, 0.1]], base="hartley"), divcli.entropy([[0.9, 0.1]], base=10))
    with pytest.raises(ValueError, match="flips the sign"):
        divcli.entropy([[0.5, 0.5]], base=0.5)
    with pytest.raises(ValueError, match="not a logarithm base"):
        divcli.kl_divergence([[0.5, 0.5]], [[0.5, 0.5]], base=1)


@pytest.mark.parametrize("text, log, ascii_log", [
    ("e", "log", "log"), ("nats", "log", "log"), ("2", "log₂", "log2"), ("bits", "log₂", "log2"),
    ("10", "log₁₀", "log10"), ("3", "log₃", "log3"), ("16.0", "log₁₆", "log16"), ("2.5", "log_2.5", "log_2.5"),
])
def test_the_logarithm_is_written_in_one_place(text, log, ascii_log):
    base = LogBase.parse(text)
    assert (base.log, base.ascii_log) == (log, ascii_log)
    assert ascii_log.isascii()


# --------------------------------------------------------------------------------------------
# the tables: every log column in the base, every row redone by hand

P2, Q2 = "0.7,0.2,0.1;0.1,0.1,0.8", "0.6,0.3,0.1;0.2,0.2,0.6"
WIDE = {"COLUMNS": "200"}
#: A table's numbers have six decimals: they agree with the exact ones to half a unit of the last.
SHOWN = 5.1e-7


def _table(run, *args) -> str:
    result = run(*args, env=WIDE)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.replace("┃", "│").split("│")]


def breakdowns(text: str) -> list[dict]:
    """Each per-class breakdown of a kl/ce/entropy table: its title's value, its headers, its class
    rows (header → number) and its totals row."""
    lines, found = text.splitlines(), []
    for index, line in enumerate(lines):
        if not (line.startswith("row ") and ": " in line and lines[index + 1].lstrip().startswith("class ")):
            continue
        headers = _cells(lines[index + 1])
        rows, end = [], index + 3
        while not lines[end].startswith("─"):
            rows.append(dict(zip(headers, _cells(lines[end]))))
            end += 1
        found.append({"value": float(line.split(" = ")[1].split()[0]), "headers": headers,
                      "rows": rows, "total": dict(zip(headers, _cells(lines[end + 1])))})
    assert found, text
    return found


def reported(text: str) -> float:
    """The value on the last line: ``D(P‖Q) = 0.069930 bits  (batchmean)``."""
    return float(text.strip().splitlines()[-1].split(" = ")[1].split()[0])


LOGS = {"2": ("log₂", 2.0, "bits"), "10": ("log₁₀", 10.0, "bans"), "3": ("log₃", 3.0, "log-base-3 units")}


@pytest.mark.parametrize("base", ["2", "10", "3"])
@pytest.mark.parametrize("command, args, term", [
    ("kl", (P2, Q2), "p·{log}(p/q)"),
    ("ce", (P2, Q2), "−p·{log} q"),
    ("ce", ("2;0", "1,2,3;0.5,0,-1", "--q-as", "logits"), "−p·{log} q"),
    ("entropy", (P2,), "−p·{log} p"),
])
def test_every_log_column_is_in_the_base_and_the_rows_add_up(run, base, command, args, term):
    log, value, unit = LOGS[base]
    text = _table(run, command, *args, "--base", base)
    tables = breakdowns(text)
    assert len(tables) == 2
    for table in tables:
        logs = [header for header in table["headers"] if header.startswith("log")]
        assert logs == [f"{log} {side}" for side in ("p", "q") if f"{log} {side}" in logs] and logs
        assert term.format(log=log) in table["headers"]
        for row in table["rows"]:
            for header in logs:
                probability = float(row[header[-1]])  # rounded as shown: its log moves by SHOWN / p
                assert math.isclose(float(row[header]), math.log(probability) / math.log(value),
                                    abs_tol=SHOWN + SHOWN / probability / math.log(value))
            shown_term = float(row[term.format(log=log)])
            p = float(row["p"])
            by_hand = {"kl": lambda: p * (float(row[f"{log} p"]) - float(row[f"{log} q"])),
                       "ce": lambda: -p * float(row[f"{log} q"]),
                       "entropy": lambda: -p * float(row[f"{log} p"])}[command]()
            assert math.isclose(shown_term, by_hand, abs_tol=4 * SHOWN)
        terms = [float(row[term.format(log=log)]) for row in table["rows"]]
        assert math.isclose(sum(terms), float(table["total"][term.format(log=log)]), abs_tol=len(terms) * SHOWN)
        assert math.isclose(table["value"], float(table["total"][term.format(log=log)]), abs_tol=SHOWN)
    rows = [table["value"] for table in tables]
    assert math.isclose(reported(text), sum(rows) / len(rows), abs_tol=SHOWN)
    assert unit in text.strip().splitlines()[-1]


@pytest.mark.parametrize("base", ["2", "10"])
def test_the_log_columns_are_the_nats_columns_over_the_log_of_the_base(run, base):
    log, value, _ = LOGS[base]
    nats = breakdowns(_table(run, "kl", P2, Q2))
    based = breakdowns(_table(run, "kl", P2, Q2, "--base", base))
    for natural, table in zip(nats, based):
        for row_nats, row in zip(natural["rows"], table["rows"]):
            for side in "pq":
                assert math.isclose(float(row[f"{log} {side}"]), float(row_nats[f"log {side}"]) / math.log(value),
                                    abs_tol=2 * SHOWN)


def test_nats_keep_the_plain_log(run):
    (table, _) = breakdowns(_table(run, "kl", P2, Q2))
    assert {"log p", "log q", "p·log(p/q)"} <= set(table["headers"])


# --------------------------------------------------------------------------------------------
# compare, js, matrix: values, formulas and ranges in the base; perplexity the same in every base


def compare_rows(text: str) -> dict[str, list[str]]:
    """compare's table of one row: measure → [value, unit, formula, range]."""
    lines = text.splitlines()
    start = next(index for index, line in enumerate(lines) if line.lstrip().startswith("measure "))
    rows = {}
    for line in lines[start + 2:]:
        if "│" not in line:
            break
        key, *cells = _cells(line)
        rows[key] = cells
    return rows


@pytest.mark.parametrize("base, power", [("2", "2"), ("10", "10"), ("3", "3"), ("2.5", "2.5")])
def test_compare_writes_perplexity_and_logs_in_the_base(run, base, power):
    value = float(base)
    nats = compare_rows(_table(run, "compare", P, Q))
    rows = compare_rows(_table(run, "compare", P, Q, "--base", base))
    log = LogBase.parse(base).log
    assert rows["perplexity_p"][2] == f"{power}^H(P)" and rows["perplexity_q"][2] == f"{power}^H(Q)"
    assert nats["perplexity_p"][2] == "e^H(P)"
    for key in ("perplexity_p", "perplexity_q"):  # the same number of classes in every base
        assert math.isclose(float(rows[key][0]), float(nats[key][0]), abs_tol=SHOWN)
    # b^H with H in base b, as shown: the perplexity to the table's rounding
    for key, entropy in (("perplexity_p", "entropy_p"), ("perplexity_q", "entropy_q")):
        assert math.isclose(value ** float(rows[entropy][0]), float(rows[key][0]), rel_tol=1e-5)
    assert rows["kl_pq"][2] == f"Σ p·{log}(p/q)" and rows["entropy_p"][3] == f"[0, {log} C]"
    assert rows["js_divergence"][3] == f"[0, {log} 2]"
    for key, cells in rows.items():
        if cells[1] == LogBase.parse(base).unit:
            assert math.isclose(float(cells[0]), float(nats[key][0]) / math.log(value),
                                abs_tol=SHOWN + SHOWN / math.log(value)), key


def test_compare_json_describes_the_measures_in_the_base(run_json):
    bits, nats = run_json("compare", P, Q, "--base", "bits"), run_json("compare", P, Q)
    measures = bits["measures"]
    assert measures["perplexity_p"]["formula"] == "2^H(P)" and measures["kl_pq"]["formula"] == "Σ p·log₂(p/q)"
    assert bits["value"]["perplexity_p"] == pytest.approx(nats["value"]["perplexity_p"], rel=1e-14)
    assert bits["value"]["perplexity_p"] == pytest.approx(2 ** bits["value"]["entropy_p"], rel=1e-14)


def test_js_bound_names_the_logarithm_of_its_base(run):
    text = _table(run, "js", P, Q, "--base", "10")
    (bound,) = [line for line in text.splitlines() if "bound:" in line]
    assert "JS ≤ log₁₀ 2 = " in bound
    assert math.isclose(float(bound.split(" = ")[1].split()[0]), math.log10(2), abs_tol=SHOWN)


def test_matrix_heading_writes_the_formula_in_the_base(run):
    text = _table(run, "matrix", P2, "-m", "kl", "--base", "2")
    assert text.splitlines()[0].startswith("KL divergence D(P‖Q): Σ p·log₂(p/q), between every pair")


# --------------------------------------------------------------------------------------------
# explain, libraries, distill


@pytest.mark.parametrize("base", ["2", "10"])
def test_explain_works_each_term_in_the_base(run, base):
    log, value, unit = LOGS[base]
    text = _table(run, "explain", P, Q, "--base", base)
    lines = text.splitlines()
    p = [0.7, 0.2, 0.1]
    start = next(index for index, line in enumerate(lines) if line.strip().startswith("H(P) ="))
    assert lines[start].strip() == f"H(P) = −Σ p·{log} p"
    assert lines[start + 1].strip() == f"= −(0.7·{log} 0.7 + 0.2·{log} 0.2 + 0.1·{log} 0.1)"
    terms = [float(t) for t in lines[start + 2].strip().lstrip("= ").split(" + ")]
    for term, x in zip(terms, p):
        assert math.isclose(term, -x * math.log(x) / math.log(value), abs_tol=SHOWN)
    total = float(lines[start + 3].strip().lstrip("= ").split()[0])
    assert math.isclose(total, sum(terms), abs_tol=3 * SHOWN) and lines[start + 3].strip().endswith(unit)
    assert f"JS ≤ {log} 2" in text and f"H(P) ≤ {log} C" in text


def test_libraries_quotes_every_number_in_the_base(run, run_json):
    nats = run_json("libraries", P2, Q2)
    bits = run_json("libraries", P2, Q2, "--base", "2")
    entropy_bits = run_json("entropy", P2, "--base", "2")["value"]
    rows = bits["libraries"]
    for row, row_nats in zip(rows, nats["libraries"]):  # jensenshannon is a square root: √(JS / ln 2)
        scale = math.sqrt(math.log(2)) if "jensenshannon" in row["call"] else math.log(2)
        assert row["value"] == pytest.approx(row_nats["value"] / scale, rel=1e-12)
    (why,) = [row["why"] for row in rows if row["call"] == "F.cross_entropy(Q.log(), P)"]
    assert float(why.rsplit(" ", 1)[1]) == pytest.approx(entropy_bits, rel=1e-5)


def test_distill_parts_are_in_the_base(run_json):
    args = ("distill", "1,2,3;0,1,0", "3,2,1;1,1,1", "2;1", "-T", "2", "--alpha", "0.5")
    nats, bans = run_json(*args), run_json(*args, "--base", "bans")
    assert bans["unit"] == "bans"
    for key in ("kl_at_t", "t_squared_kl", "ce", "soft_term", "hard_term", "loss"):
        assert bans[key] == pytest.approx(nats[key] / math.log(10), rel=1e-12), key
    assert bans["loss"] == pytest.approx(bans["soft_term"] + bans["hard_term"], rel=1e-14)


@pytest.mark.parametrize("base", ["2", "10"])
def test_libraries_jensenshannon_is_scipys_in_the_base(run, run_json, base):
    """SciPy's jensenshannon is a square root: in base b it is √(JS / ln b), what
    jensenshannon(P, Q, base=b) gives and divcli js --distance --base b prints (it was divided by ln b)."""
    document = run_json("libraries", "0.5,0.5", "0.3,0.7", "--base", base)
    answer = next(a for a in document["libraries"] if "jensenshannon" in a["call"])
    assert f"base={base}, axis=1" in answer["call"]
    js = run("js", "0.5,0.5", "0.3,0.7", "--distance", "--base", base, "-q")
    assert math.isclose(answer["value"], float(js.stdout), rel_tol=1e-12)
