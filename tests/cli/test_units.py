"""Units everywhere: ``--base`` by every name a reader may use, bases that cannot be refused when
the command line is read, and every table's log columns in the base its header names, so a row can
be redone by hand."""

from __future__ import annotations

import math

import pytest

import divcli
from divcli.model import LogBase

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
