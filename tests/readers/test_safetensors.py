"""``.safetensors`` operands (``file.safetensors:tensor``): float64, float32, float16 and bfloat16
tensors read a block of rows at a time in the dtype they were saved in (bfloat16 as its bits, widened
exactly); the tensor named or implied; hostile headers refused in one line naming the file; and
bfloat16 in a ``.npy``, which numpy cannot read, refused with the way to save it."""

from __future__ import annotations

import os
import sys

import numpy as np
import pytest

from divcli.errors import DataError
from divcli.readers.floats import all_finite, as_float64, has_nan, is_bfloat16
from divcli.readers.reading import open_blocks, read_operand
from helpers.extras import needs
from helpers.tensors import bfloat16_bits, bfloat16_values, raw_file, write_bfloat16, write_tensors

#: bfloat16 bits and their values: one, minus two, the largest, the smallest normal and subnormal,
#: minus zero, both infinities
KNOWN_BITS = {0x3F80: 1.0, 0xC000: -2.0, 0x7F7F: 3.3895313892515355e38, 0x0080: 2.0 ** -126,
              0x0001: 2.0 ** -133, 0x8000: -0.0, 0x7F80: np.inf, 0xFF80: -np.inf}


def _logits(rows=6, classes=5, seed=3):
    return np.random.default_rng(seed).normal(0, 4, (rows, classes))


def _blocks(spec, rows=4):
    blocks = open_blocks(spec, None)
    try:
        return list(iter(lambda: blocks.read(rows), None))
    finally:
        blocks.close()


@pytest.mark.parametrize("dtype", [np.float64, np.float32, np.float16])
def test_float_tensors_are_read_in_blocks_as_stored(tmp_path, dtype):
    array = _logits().astype(dtype)
    spec = write_tensors(tmp_path / "m.safetensors", {"logits": array}) + ":logits"
    blocks = _blocks(spec)
    assert [block.rows for block in blocks] == [4, 2] and [block.first_row for block in blocks] == [0, 4]
    assert all(block.stored.dtype == dtype and block.stored.flags.c_contiguous for block in blocks)
    assert np.array_equal(np.concatenate([block.values for block in blocks]), array.astype(np.float64))
    assert np.array_equal(read_operand(spec, None).values, array.astype(np.float64))


def test_bfloat16_is_kept_as_its_bits_and_widened_exactly(tmp_path):
    bits = np.array([list(KNOWN_BITS)], dtype=np.uint16)
    spec = write_bfloat16(tmp_path / "b.safetensors", {"logits": bits})
    block = _blocks(spec)[0]
    assert block.name == f"{spec}:logits"
    assert is_bfloat16(block.stored.dtype) and block.stored.dtype.itemsize == 2
    assert np.array_equal(block.stored.view(np.uint16), bits)
    assert block.values.dtype == np.float64
    assert block.values[0].tolist() == list(KNOWN_BITS.values())
    assert np.signbit(block.values[0, 5])  # -0.0 kept
    assert block.text(0, 1) == "-2.0" and block.text(0, 6) == "inf"
    assert not all_finite(block.stored) and not has_nan(block.stored)
    assert all_finite(block.stored[:, :6])


def test_bfloat16_rounding_of_the_tests_is_torchs_and_exact_values_survive(tmp_path):
    values = _logits(40, 30)
    bits = bfloat16_bits(values)
    assert np.all(np.abs(bfloat16_values(bits) - values) <= np.abs(values) * 2.0 ** -8)
    assert np.array_equal(bfloat16_bits(bfloat16_values(bits)), bits)  # a bfloat16 value rounds to itself
    spec = write_bfloat16(tmp_path / "b.safetensors", {"logits": bits})
    assert np.array_equal(read_operand(spec, None).values, bfloat16_values(bits))
    assert np.array_equal(as_float64(bits.view(np.dtype(np.uint16, metadata={"divcli": "bfloat16"}))),
                          bfloat16_values(bits))


def test_a_nan_in_bfloat16_is_refused_at_its_row_and_item(tmp_path, run):
    bits = bfloat16_bits(_logits(3, 4))
    bits[1, 2] = 0x7FC0  # a quiet nan
    spec = write_bfloat16(tmp_path / "b.safetensors", {"logits": bits})
    result = run("lm", spec, spec)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {spec}:logits: row 2, item 3: nan is not a value\n"


def test_an_infinite_bfloat16_logit_is_refused_as_the_value_it_is(tmp_path, run):
    bits = bfloat16_bits(_logits(3, 4))
    bits[2, 0] = 0x7F80
    spec = write_bfloat16(tmp_path / "b.safetensors", {"logits": bits})
    result = run("kl", spec, spec, "--p-as", "logits", "--q-as", "logits")
    assert result.exit_code == 1 and "'inf' is not a valid logit" in result.stderr, result.stderr
    assert f"{spec}:logits" in result.stderr and result.stderr.count("\n") == 1


def test_the_tensor_may_be_left_out_when_the_file_holds_one(tmp_path, run):
    one = write_tensors(tmp_path / "one.safetensors", {"logits": _logits().astype(np.float32)})
    two = write_tensors(tmp_path / "two.safetensors", {"logits": _logits(), "labels": np.arange(6)})
    assert read_operand(one, None).name == f"{one}:logits"
    with pytest.raises(DataError) as raised:
        read_operand(two, None)
    assert str(raised.value) == (f"{two}: 2 tensors in the file; name one: {two}:labels, {two}:logits")
    with pytest.raises(DataError, match=r"two.safetensors:scores: no tensor 'scores' in the file; name one: "):
        open_blocks(f"{two}:scores", None)
    assert run("kl", f"{two}:logits", one, "--p-as", "logits", "--q-as", "logits", "-q").exit_code == 0


def test_an_integer_tensor_is_token_ids(tmp_path, run_json):
    p = write_tensors(tmp_path / "p.safetensors", {"logits": _logits(6, 5).astype(np.float16)})
    tokens = write_tensors(tmp_path / "t.safetensors", {"ids": np.array([0, 4, 2, 1, 3, 3], dtype=np.int64)})
    document = run_json("lm", p, p, "--labels", tokens)
    assert document["statistics"]["ln_ppl_ratio"] == 0.0 and document["labels"]["source"] == f"{tokens}:ids"


def test_without_the_safetensors_package_the_error_says_how_to_install_it(tmp_path, monkeypatch):
    spec = write_tensors(tmp_path / "m.safetensors", {"logits": _logits()})
    monkeypatch.setitem(sys.modules, "safetensors", None)  # import safetensors: ImportError
    with pytest.raises(DataError) as raised:
        open_blocks(spec, None)
    assert str(raised.value) == (f"{spec}: reading .safetensors needs the safetensors package, which is not "
                                 "installed; pip install \"divcli[lm]\" (safetensors)")


def test_a_file_changed_while_being_read_is_an_error(tmp_path):
    spec = write_tensors(tmp_path / "m.safetensors", {"logits": _logits(50, 4)})
    blocks = open_blocks(spec, None)
    try:
        blocks.read(10)
        with open(spec, "ab") as handle:
            handle.write(b"\0" * 8)
        with pytest.raises(DataError, match="the file changed while being read"):
            blocks.read(10)
    finally:
        blocks.close()


# --------------------------------------------------------------------------------------------
# hostile files: a one-line error naming the file, never a traceback


F32 = {"dtype": "F32", "shape": [2, 3], "data_offsets": [0, 24]}
HOSTILE = {
    "empty": (b"", "not a valid .safetensors file (header too small)"),
    "shorter than its header length": (raw_file({"logits": F32}, b"\0" * 24, length=1 << 20),
                                       "not a valid .safetensors file (invalid header length)"),
    "header length of 2**63": (b"\0\0\0\0\0\0\0\x80{}", "not a valid .safetensors file (header too large)"),
    "cut short": (raw_file({"logits": F32}, b"\0" * 10), "not a valid .safetensors file (incomplete metadata"),
    "bytes past the data": (raw_file({"logits": F32}, b"\0" * 30), "not a valid .safetensors file (incomplete"),
    "offsets past the end": (raw_file({"logits": {**F32, "data_offsets": [0, 2400]}}, b"\0" * 24),
                             "not a valid .safetensors file (invalid shape, data type, or offset"),
    "offsets not where the data is": (raw_file({"logits": {**F32, "data_offsets": [4, 28]}}, b"\0" * 28),
                                      "not a valid .safetensors file (invalid offset for tensor `logits`)"),
    "a dtype safetensors does not know": (raw_file({"logits": {**F32, "dtype": "Q4"}}, b"\0" * 24),
                                          "not a valid .safetensors file (a tensor of dtype 'Q4', which safetensors "
                                          "does not know)"),
    "a dtype divcli does not read": (raw_file({"logits": {**F32, "dtype": "F8_E4M3", "data_offsets": [0, 6]}},
                                              b"\0" * 6), ":logits: holds F8_E4M3 values; divcli reads F64, F32"),
    "a shape that overflows": (raw_file({"logits": {**F32, "shape": [1 << 40, 1 << 40]}}, b"\0" * 24),
                               "not a valid .safetensors file (overflow computing buffer size"),
    "rank 4": (raw_file({"logits": {**F32, "shape": [1, 1, 2, 3]}}, b"\0" * 24),
               ":logits: has shape (1, 1, 2, 3); divcli reads a tensor of shape ("),
    "no rows": (raw_file({"logits": {**F32, "shape": [0, 3], "data_offsets": [0, 0]}}), ":logits: has shape (0, 3)"),
    "not JSON": (b"\5\0\0\0\0\0\0\0hello", "not a valid .safetensors file (invalid JSON in header"),
    "no tensor": (raw_file({"__metadata__": {"format": "pt"}}), "the file holds no tensor"),
}


@pytest.mark.parametrize("case", list(HOSTILE))
@pytest.mark.parametrize("command", ["lm", "kl"])
def test_a_hostile_file_is_one_line_naming_it(tmp_path, run, case, command):
    needs("safetensors")
    data, words = HOSTILE[case]
    path = tmp_path / "hostile.safetensors"
    path.write_bytes(data)
    result = run(command, path, path)
    assert result.exit_code == 1 and result.stdout == "", result.stderr
    assert result.stderr.startswith(f"Error: {path}") and result.stderr.count("\n") == 1, result.stderr
    assert words in result.stderr, result.stderr
    assert "Traceback" not in result.stderr


def test_a_directory_is_an_error(tmp_path, run):
    folder = tmp_path / "d.safetensors"
    folder.mkdir()
    assert run("lm", folder, folder).stderr == f"Error: {folder}: is a directory; give a file\n"


# --------------------------------------------------------------------------------------------
# bfloat16 in a .npy: numpy cannot read it, the message says how to save it


AS_FLOAT32 = "save it as float32 (array.astype(numpy.float32)), or in a .safetensors file (bfloat16 as it is)"


def _npy(path, descr: str, data: bytes) -> str:
    header = f"{{'descr': '{descr}', 'fortran_order': False, 'shape': (2, 3), }}".encode()
    header += b" " * (-(len(header) + 11) % 64) + b"\n"
    path.write_bytes(b"\x93NUMPY\x01\x00" + len(header).to_bytes(2, "little") + header + data)
    return str(path)


@pytest.mark.parametrize("descr, what", [
    ("<V2", "holds raw 2-byte values (|V2), as numpy saves a dtype it does not know (such as ml_dtypes' bfloat16)"),
    ("bfloat16", "declares the dtype 'bfloat16', which numpy does not know"),
])
def test_bfloat16_in_a_npy_says_how_to_save_it(tmp_path, run, descr, what):
    path = _npy(tmp_path / "b.npy", descr, bytes(12))  # V2: what numpy.save writes for ml_dtypes' bfloat16
    for command in (("lm", path, path), ("kl", path, path)):
        result = run(*command)
        assert result.exit_code == 1
        assert result.stderr == f"Error: {path}: {what}; {AS_FLOAT32}\n"


def test_a_structured_npy_is_still_not_real_numbers(tmp_path, run):
    np.save(tmp_path / "s.npy", np.zeros(3, dtype=[("a", "<f4"), ("b", "<f4")]))
    result = run("kl", tmp_path / "s.npy", "uniform")
    assert result.exit_code == 1 and "not real numbers" in result.stderr and "bfloat16" not in result.stderr


def test_the_fuzz_corpus_holds_hostile_safetensors_files():
    corpus = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "fuzz_corpus")
    assert len([name for name in os.listdir(corpus) if name.endswith(".safetensors")]) >= 4


def test_the_fused_kernel_reads_bfloat16_bits_as_they_are(tmp_path):
    needs("numba")
    from divcli.numerics import fast_path
    from divcli.numerics.fused_values import BFLOAT16

    bits = bfloat16_bits(_logits(3, 4))
    block = _blocks(write_bfloat16(tmp_path / "b.safetensors", {"logits": bits}))[0]
    values, encoding = fast_path.fused().encoded(block.stored)
    assert encoding == BFLOAT16 and values.dtype == np.uint16 and np.array_equal(values, bits)
    assert "_widened" not in block.__dict__  # nothing widened to hand the kernel its rows
