"""divcli lm on ``.safetensors`` logits: float32, float16 and bfloat16 tensors give the statistics of
the same values in a ``.npy`` and of a plain float64 numpy computation, on numpy's kernels and on the
fused kernel; a 3-D tensor's positions say their batch and token; every command takes a tensor."""

from __future__ import annotations

import csv
import io
import json
import math

import numpy as np
import pytest

from helpers.extras import needs
from helpers.lm_data import model_outputs, reference_statistics
from helpers.tensors import bfloat16_bits, bfloat16_values, write_bfloat16, write_tensors

pytestmark = pytest.mark.numeric

#: The same values read from another file: the same statistics, to the last bits or nearly.
SAME = 1e-12
#: Against the plain computation: its standard errors come from running sums (llama.cpp's formulas),
#: which lose digits to cancellation (tests/cli/test_lm.py); every other statistic to SAME.
PLAIN_SE = 1e-9

KERNELS = ["numpy", pytest.param("fused", marks=pytest.mark.slow)]


def _close(found, expected, relative):
    if expected is None or found is None:
        return found is expected
    if math.isinf(expected):
        return found == expected
    return abs(found - expected) <= relative * max(abs(expected), 1e-300)


def _check(found: dict, expected: dict, plain: bool = False) -> None:
    wrong = {key: (found.get(key), value) for key, value in expected.items()
             if not _close(found.get(key), value, PLAIN_SE if plain and key.endswith(("_se", "correlation")) else SAME)}
    assert not wrong, wrong


@pytest.fixture(scope="module")
def tensors(tmp_path_factory):
    """Seeded logits of 2 × 60 positions over 96 tokens, saved as F32, F16 and BF16 tensors of shape
    (positions, vocab) and (batch, sequence, vocab), the same values as float32 .npy, and labels."""
    folder = tmp_path_factory.mktemp("safetensors")
    base, candidate, labels = model_outputs(120, 96, seed=11)
    np.savetxt(folder / "labels.csv", labels, fmt="%d")
    values = {}
    for tag, convert in (("f32", lambda a: a.astype(np.float32)), ("f16", lambda a: a.astype(np.float16))):
        p, q = convert(base), convert(candidate)
        write_tensors(folder / f"base-{tag}.safetensors", {"logits": p, "logits3": p.reshape(2, 60, 96)})
        write_tensors(folder / f"candidate-{tag}.safetensors", {"logits": q, "extra": np.zeros(4, np.float32)})
        values[tag] = p.astype(np.float64), q.astype(np.float64)
    p_bits, q_bits = bfloat16_bits(base), bfloat16_bits(candidate)
    write_bfloat16(folder / "base-bf16.safetensors", {"logits": p_bits, "logits3": p_bits.reshape(2, 60, 96)})
    write_bfloat16(folder / "candidate-bf16.safetensors", {"logits": q_bits})
    values["bf16"] = bfloat16_values(p_bits), bfloat16_values(q_bits)
    for tag, (p, q) in values.items():  # the same values, exactly, as float32 .npy
        assert np.array_equal(p.astype(np.float32).astype(np.float64), p)
        np.save(folder / f"base-{tag}.npy", p.astype(np.float32))
        np.save(folder / f"candidate-{tag}.npy", q.astype(np.float32))
    return folder, values, labels


@pytest.mark.parametrize("kernel", KERNELS)
@pytest.mark.parametrize("tag", ["f32", "f16", "bf16"])
def test_a_tensor_gives_the_statistics_of_its_values(run_json, tensors, monkeypatch, tag, kernel):
    if kernel == "fused":
        needs("numba")
    monkeypatch.setenv("DIVCLI_KERNEL", kernel)
    folder, values, labels = tensors
    labels_file = folder / "labels.csv"
    ours = run_json("lm", f"{folder}/base-{tag}.safetensors:logits", f"{folder}/candidate-{tag}.safetensors:logits",
                    "--labels", labels_file)
    as_npy = run_json("lm", folder / f"base-{tag}.npy", folder / f"candidate-{tag}.npy", "--labels", labels_file)
    _check(ours["statistics"], as_npy["statistics"])
    _check(ours["statistics"], reference_statistics(*values[tag], labels), plain=True)
    assert ours["p"]["source"] == f"{folder}/base-{tag}.safetensors:logits"


@pytest.mark.slow
def test_both_kernels_give_bfloat16_the_same_kl_per_position(run, tensors, monkeypatch):
    needs("numba")
    folder, _, _ = tensors
    rows = {}
    for kernel in ("numpy", "fused"):
        monkeypatch.setenv("DIVCLI_KERNEL", kernel)
        result = run("lm", f"{folder}/base-bf16.safetensors:logits", f"{folder}/candidate-bf16.safetensors:logits",
                     "--reduction", "row", "-f", "csv")
        assert result.exit_code == 0, result.stderr
        rows[kernel] = np.array([float(row["kl_divergence"]) for row in csv.DictReader(io.StringIO(result.stdout))])
    np.testing.assert_allclose(rows["fused"], rows["numpy"], rtol=SAME, atol=0)


def test_a_3d_tensor_is_batch_times_sequence_positions(run_json, tensors):
    folder, _, _ = tensors
    flat = run_json("lm", f"{folder}/base-bf16.safetensors:logits", f"{folder}/candidate-bf16.safetensors:logits")
    batched = run_json("lm", f"{folder}/base-bf16.safetensors:logits3", f"{folder}/candidate-bf16.safetensors:logits")
    _check(batched["statistics"], flat["statistics"])


def _records(result) -> list[dict]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def test_positions_of_a_3d_input_say_their_batch_and_token(run, tensors, tmp_path):
    folder, _, _ = tensors
    base3, candidate = f"{folder}/base-f16.safetensors:logits3", f"{folder}/candidate-f16.safetensors:logits"
    records = _records(run("lm", base3, candidate, "--reduction", "row", "-f", "csv"))
    assert list(records[0])[:4] == ["position", "batch", "sequence", "kl_divergence"]
    assert [(row["position"], row["batch"], row["sequence"]) for row in records[58:62]] == \
        [("59", "0", "58"), ("60", "0", "59"), ("61", "1", "0"), ("62", "1", "1")]
    worst = json.loads(run("lm", base3, candidate, "--top", "3", "-f", "json").stdout)["worst"]
    assert all(divmod(row["position"] - 1, 60) == (row["batch"], row["sequence"]) for row in worst)
    ranked = _records(run("lm", base3, candidate, "--top", "3", "-f", "csv"))
    assert list(ranked[0])[:4] == ["rank", "position", "batch", "sequence"]
    table = run("lm", base3, candidate, "--top", "3").stdout
    assert "batch" in table and "sequence" in table
    np.save(tmp_path / "base3.npy", np.load(folder / "base-f16.npy").reshape(2, 60, 96))  # a .npy the same
    assert _records(run("lm", tmp_path / "base3.npy", folder / "candidate-f16.npy", "--reduction", "row",
                        "-f", "csv"))[60]["batch"] == "1"


def test_positions_of_2d_inputs_have_no_batch(run, tensors):
    folder, _, _ = tensors
    records = _records(run("lm", f"{folder}/base-f16.safetensors:logits", f"{folder}/candidate-f16.safetensors:logits",
                           "--reduction", "row", "-f", "csv"))
    assert list(records[0]) == ["position", "kl_divergence", "p_top", "q_top", "same_top"]
    table = run("lm", folder / "base-f16.npy", folder / "candidate-f16.npy", "--top", "2").stdout
    assert "batch" not in table


def test_every_command_takes_a_tensor(run, tensors):
    folder, _, _ = tensors
    args = ("--p-as", "logits", "--q-as", "logits", "--reduction", "none", "-f", "csv")
    tensor = _records(run("kl", f"{folder}/base-bf16.safetensors:logits", f"{folder}/candidate-bf16.safetensors:logits",
                          *args))
    npy = _records(run("kl", folder / "base-bf16.npy", folder / "candidate-bf16.npy", *args))
    assert [row["kl_divergence"] for row in tensor] == [row["kl_divergence"] for row in npy]
