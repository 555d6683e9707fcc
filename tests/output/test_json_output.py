"""Every command's ``-f json`` is strict JSON on inputs that give +inf and nan: non-finite numbers
are the strings ``"inf"``, ``"-inf"``, ``"nan"`` (a value that does not exist is ``null``), never
the bare ``Infinity`` or ``NaN`` that Python's json writes and other parsers refuse."""

from __future__ import annotations

import json
import math

import pytest

from divcli.output import texts


def _refuse(constant):
    raise ValueError(f"bare {constant} in the JSON")


def strict(text: str):
    return json.loads(text, parse_constant=_refuse)


def _strings(document) -> set:
    if isinstance(document, dict):
        return set().union(*map(_strings, document.values())) if document else set()
    if isinstance(document, list):
        return set().union(*map(_strings, document)) if document else set()
    return {document} if isinstance(document, str) else set()


INF = ("kl", "0.5,0.5", "1,0")
CASES = [
    (INF, {"inf"}),
    (("kl", "0.5,0.5", "1,0", "--reduction", "none"), {"inf"}),
    (("kl", "0.5,0.5", "0,-inf", "--q-as", "logits", "-T", "2"), {"inf"}),
    (("ce", "0.5,0.5", "1,0"), {"inf"}),
    (("ce", "0;0", "1,2;3,1", "--p-as", "labels", "--q-as", "logits", "--weight", "0,1", "--reduction", "sum"),
     {"nan"}),                                                      # the mean over weights that sum to 0
    (("entropy", "0.5,0.5;1,0", "--reduction", "none"), set()),
    (("js", "1,0", "0,1", "0.5,0.5", "--weights", "0.25,0.25,0.5"), set()),
    (("compare", "0.5,0.5", "1,0"), {"inf"}),
    (("matrix", "0.5,0.5;1,0", "--measure", "kl"), {"inf"}),
    (("libraries", "0.5,0.5", "1,0"), {"inf", "nan"}),              # inf − inf in "difference"
    (("explain", "0.5,0.5", "1,0"), {"inf", "nan"}),                # the identity of +inf sides
    (("measures",), set()),
]


@pytest.mark.parametrize(("args", "non_finite"), CASES, ids=[" ".join(args) for args, _ in CASES])
def test_json_is_strict(run, args, non_finite):
    result = run(*args, "-f", "json")
    assert result.exit_code == 0, result.stderr
    document = strict(result.stdout)
    assert "Infinity" not in result.stdout and "NaN" not in result.stdout
    assert non_finite <= _strings(document), f"{non_finite} not written as strings: {result.stdout[:400]}"


def test_the_strict_parser_refuses_bare_constants():
    with pytest.raises(ValueError, match="Infinity"):
        strict('{"value": Infinity}')
    with pytest.raises(ValueError, match="NaN"):
        strict('[NaN]')


def test_json_safe_writes_non_finite_floats_as_strings():
    import numpy as np

    document = {"temperature": math.inf, "weights": (0.5, -math.inf), "rows": [{"x": np.float64("nan")}], "n": 3,
                "name": "inf"}
    text = json.dumps(texts.json_safe(document), allow_nan=False)
    assert strict(text) == {"temperature": "inf", "weights": [0.5, "-inf"], "rows": [{"x": "nan"}], "n": 3,
                            "name": "inf"}
