"""Issue 15's small rules: --base by unit name, the operand ``uniform``, one-class rows refused, and
ce reading a column of class indices as labels."""

from __future__ import annotations

import json
import math

import pytest

from conftest import write_rows


@pytest.mark.parametrize("name, number, unit", [("bits", "2", "bits"), ("nats", "e", "nats"), ("bans", "10", "bans"),
                                                ("BITS", "2", "bits")])
def test_base_by_unit_name(run_json, name, number, unit):
    by_name = run_json("kl", "9/25,12/25,4/25", "1/3,1/3,1/3", "--base", name)
    by_number = run_json("kl", "9/25,12/25,4/25", "1/3,1/3,1/3", "--base", number)
    assert by_name["unit"] == unit == by_number["unit"]
    assert math.isclose(by_name["value"], by_number["value"], rel_tol=1e-15)


def test_base_name_that_is_no_unit(run):
    result = run("kl", "1", "1", "--base", "bytes")
    assert result.exit_code == 2 and "bits" in result.stderr and not result.stdout
