"""Properties over arbitrary valid inputs (Hypothesis; derandomized in CI):

* the CSV, TSV, JSON, JSON Lines, literal and stdin paths read the same numbers;
* a number written with ``repr`` reads back exactly;
* KL ≥ 0 up to rounding, KL(P‖P) = 0, CE = H + KL, H ≤ log C, through the whole pipeline;
* permuting the classes of both operands changes nothing.
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st
from hypothesis.extra.numpy import arrays

from divcli.readers import operand
from divcli.readers.literal import parse_literal
from divcli.readers.numbers import parse_number
from divcli.readers.reading import parse_text

#: numbers computed with numpy's exp and log: make test runs them again with AVX-512 off
pytestmark = pytest.mark.numeric

finite = st.floats(allow_nan=False, allow_infinity=False)
logit = st.floats(min_value=-30, max_value=30, allow_nan=False)


def matrices(elements=logit, min_classes=1):
    shapes = st.tuples(st.integers(1, 4), st.integers(min_classes, 6))
    return shapes.flatmap(lambda shape: arrays(np.float64, shape, elements=elements))


def probability_rows(draw_matrix):
    z = draw_matrix
    p = np.exp(z - z.max(axis=1, keepdims=True))
    return p / p.sum(axis=1, keepdims=True)


@given(finite)
def test_repr_reads_back_exactly(x):
    assert parse_number(repr(x)) == x
    assert parse_number(repr(x).upper()) == x


def _texts(values: np.ndarray) -> dict[str, tuple[str, str]]:
    rows = [[repr(float(x)) for x in row] for row in values]
    return {
        "csv": ("\n".join(",".join(row) for row in rows) + "\n", ".csv"),
        "tsv": ("\r\n".join("\t".join(row) for row in rows) + "\r\n", ".tsv"),
        "txt-semicolon": ("\n".join(" ; ".join(row) for row in rows) + "\n\n", ".txt"),
        "txt-spaces": ("\n".join("  ".join(row) for row in rows), ".txt"),
        "json": (json.dumps(values.tolist()), ".json"),
        "jsonl": ("\n".join(json.dumps(row) for row in values.tolist()), ".jsonl"),
        "stdin-json": (json.dumps(values.tolist()), ""),
        "stdin-csv": ("\n".join(",".join(row) for row in rows), ""),
    }


@given(matrices(finite))
def test_every_reader_reads_the_same_numbers(values):
    for label, (text, extension) in _texts(values).items():
        read = parse_text(text, "x", extension).values
        np.testing.assert_array_equal(read, values, err_msg=label)
    literal = ";".join(",".join(repr(float(x)) for x in row) for row in values)
    np.testing.assert_array_equal(parse_literal(literal).values, values)


@settings(max_examples=40, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(matrices(min_classes=2))  # the command line refuses one class a row
def test_cli_gives_identical_numbers_from_csv_json_and_literal(run, tmp_path_factory, values):
    """``run`` and ``tmp_path_factory`` hold no state between examples; each example gets its folder."""
    p = probability_rows(values)
    q = probability_rows(values[:, ::-1])
    folder = tmp_path_factory.mktemp("same")
    outputs = set()
    for label, (p_text, extension) in _texts(p).items():
        if not extension:
            continue
        path = folder / f"p{extension}"
        path.write_text(p_text)
        outputs.add(run("kl", str(path), json.dumps(q.tolist()), "-q", "--reduction", "none").stdout)
    literal = ";".join(",".join(repr(float(x)) for x in row) for row in p)
    outputs.add(run("kl", literal, json.dumps(q.tolist()), "-q", "--reduction", "none").stdout)
    outputs.add(run("kl", "-", json.dumps(q.tolist()), "-q", "--reduction", "none", input=json.dumps(p.tolist())).stdout)
    assert len(outputs) == 1 and outputs.pop()


@given(matrices(), st.data())
def test_identities_through_the_pipeline(values, data):
    import divcli

    other = data.draw(arrays(np.float64, values.shape, elements=logit))
    kinds = dict(p_as="logits", q_as="logits")
    kl = divcli.kl_divergence(values, other, reduction="none", **kinds).sum(axis=1)
    ce = divcli.cross_entropy(values, other, reduction="none", **kinds)
    h = divcli.entropy(values, p_as="logits", reduction="none")
    assert np.all(kl >= -1e-12)
    np.testing.assert_allclose(ce, h + kl, rtol=1e-12, atol=1e-12)
    assert np.all(h <= math.log(values.shape[1]) + 1e-12)
    assert np.all(divcli.kl_divergence(values, values, reduction="none", **kinds) == 0)


@given(matrices(), st.data())
def test_permuting_classes_changes_nothing(values, data):
    import divcli

    other = data.draw(arrays(np.float64, values.shape, elements=logit))
    order = data.draw(st.permutations(range(values.shape[1])))
    kinds = dict(p_as="logits", q_as="logits", reduction="none")
    before = divcli.kl_divergence(values, other, **kinds).sum(axis=1)
    after = divcli.kl_divergence(values[:, order], other[:, order], **kinds).sum(axis=1)
    np.testing.assert_allclose(after, before, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(divcli.entropy(values[:, order], p_as="logits", reduction="none"),
                               divcli.entropy(values, p_as="logits", reduction="none"), rtol=1e-12, atol=1e-12)


@given(matrices(finite), st.sampled_from([",", "\t", ";", " "]), st.booleans())
def test_fast_and_careful_readers_agree(values, delimiter, header):
    """numpy's C parser (large files) and the careful reader read the same table identically."""
    from divcli.readers import fast as fast_reader, text as text_reader

    lines = [delimiter.join(f"c{i}" for i in range(values.shape[1]))] if header else []
    lines += [delimiter.join(repr(float(x)) for x in row) for row in values]
    text = "\n".join(lines) + "\n"
    careful = text_reader.read_delimited(text, "t", delimiter if delimiter != " " else operand.WHITESPACE)
    fast = _fast(text, delimiter)
    if fast_reader.not_for_fast(text):  # e.g. 1e-300: may underflow, so the careful reader takes it
        assert fast is None
        return
    assert fast is not None
    np.testing.assert_array_equal(fast.values, careful.values)
    assert fast.classes == careful.classes
    assert list(fast.lines) == list(careful.lines)


def _fast(text, delimiter):
    from divcli.readers import fast as fast_reader

    original = fast_reader.FAST_MIN_CHARS
    fast_reader.FAST_MIN_CHARS = 0
    try:
        return fast_reader.read_fast(text, "t", delimiter if delimiter != " " else operand.WHITESPACE)
    finally:
        fast_reader.FAST_MIN_CHARS = original
