"""A .npy/.npz block keeps the dtype it was read in (Operand.stored); its float64 values are made
only when asked for, and every check on the way says what it said on the float64 block."""

from __future__ import annotations

import pickle

import numpy as np
import pytest

from divcli.readers.binary import numpy_blocks, read_numpy
from divcli.readers.blocks import ArrayBlocks
from divcli.readers.columns import ColumnChoice
from divcli.readers.floats import all_finite, has_nan
from divcli.readers.operand import Operand
from divcli.numerics.distributions import to_distribution
from divcli.vocabulary import Conversion, Kind


def _logits(rows=5, classes=7, seed=0):
    return np.random.default_rng(seed).normal(0, 3, (rows, classes))


def _first_block(path, rows=1000, columns=None):
    blocks = numpy_blocks(str(path), columns=columns)
    try:
        return blocks.read(rows)
    finally:
        blocks.close()


def _widened(operand: Operand) -> bool:
    return "_widened" in operand.__dict__


@pytest.mark.parametrize("dtype", [np.float16, np.float32])
def test_a_float_block_is_kept_as_stored_and_widened_only_when_asked(tmp_path, dtype):
    array = _logits().astype(dtype)
    np.save(tmp_path / "z.npy", array)
    block = _first_block(tmp_path / "z.npy")
    assert block.stored.dtype == dtype and block.stored.flags.c_contiguous
    assert block.shape == (5, 7) and block.rows == 5
    assert not _widened(block)
    assert block.values.dtype == np.float64
    assert np.array_equal(block.values, array.astype(np.float64))
    assert block.values is block.values  # widened once, kept


def test_a_float64_block_is_its_own_values(tmp_path):
    np.save(tmp_path / "z.npy", _logits())
    block = _first_block(tmp_path / "z.npy")
    assert block.values is block.stored


@pytest.mark.parametrize("array, expected", [
    (np.array([3, 0, 2], dtype=np.int32), np.float64),            # labels: widened at once
    (_logits().astype(">f2"), np.float64),                         # another byte order
    (np.asfortranarray(_logits().astype(np.float16)), np.float16),  # Fortran order: C rows as stored
])
def test_integers_and_other_byte_orders_are_widened_and_fortran_rows_made_contiguous(tmp_path, array, expected):
    np.save(tmp_path / "z.npy", array)
    block = _first_block(tmp_path / "z.npy")
    assert block.stored.dtype == expected and block.stored.flags.c_contiguous
    assert np.array_equal(block.values, np.atleast_2d(array).astype(np.float64))
    assert block.integer_vector == (array.dtype.kind == "i")


def test_picked_columns_are_widened_as_they_are_read(tmp_path):
    np.save(tmp_path / "z.npy", _logits().astype(np.float16))
    block = _first_block(tmp_path / "z.npy", columns=ColumnChoice(select=("2-4",)))
    assert block.stored.dtype == np.float64 and block.shape == (5, 3)


def test_deferred_logits_are_checked_without_widening(tmp_path):
    np.save(tmp_path / "z.npy", _logits().astype(np.float16))
    block = _first_block(tmp_path / "z.npy")
    d = to_distribution(block, Kind.LOGITS, "P", Conversion(), deferred=True)
    assert (d.rows, d.classes) == (5, 7)
    assert not _widened(block)
    assert np.allclose(np.exp(d.log_p).sum(axis=1), 1.0)  # its softmax, asked for, widens it
    assert _widened(block)


def test_rows_of_an_array_read_whole_stay_as_stored(tmp_path):
    np.save(tmp_path / "z.npy", _logits(9).astype(np.float32))
    blocks = ArrayBlocks(read_numpy(str(tmp_path / "z.npy"), widen=False))
    part = blocks.read(4)
    assert part.stored.dtype == np.float32 and part.first_row == 0 and not _widened(part)
    assert np.array_equal(part.values, _logits(9).astype(np.float32)[:4].astype(np.float64))


def _error(tmp_path, array, *args):
    from click.testing import CliRunner
    from divcli.cli import cli

    np.save(tmp_path / "p.npy", array)
    np.save(tmp_path / "q.npy", np.zeros(array.shape))
    result = CliRunner().invoke(cli, ["kl", str(tmp_path / "p.npy"), str(tmp_path / "q.npy"), "--p-as", "logits",
                                      "--q-as", "logits", *args])
    return result.exit_code, result.output


@pytest.mark.parametrize("kernel", ["numpy", "fused"])
@pytest.mark.parametrize("bad", ["nan", "inf", "-inf row"])
def test_a_bad_logit_is_the_same_error_in_float16_as_in_float64(tmp_path, monkeypatch, kernel, bad):
    monkeypatch.setenv("DIVCLI_KERNEL", kernel)
    z = _logits(6, 5)
    if bad == "-inf row":
        z[3] = -np.inf
    else:
        z[4, 2] = float(bad)
    wide = _error(tmp_path, z)
    half = _error(tmp_path, z.astype(np.float16))
    assert wide[0] == half[0] != 0
    where = "row 4" if bad == "-inf row" else "row 5, item 3"
    assert half[1] == wide[1] and where in half[1]


def test_an_operand_with_its_values_still_to_widen_pickles(tmp_path):
    np.save(tmp_path / "z.npy", _logits(50, 70).astype(np.float16))
    block = _first_block(tmp_path / "z.npy")
    expected = block.values
    copy = pickle.loads(pickle.dumps(block))
    assert copy.stored.dtype == np.float16 and not _widened(copy)
    assert np.array_equal(copy.values, expected)
    assert len(pickle.dumps(block)) < expected.nbytes  # not the widened copy


def test_new_values_replace_what_was_stored():
    operand = Operand(np.ones((2, 3), dtype=np.float16), "x")
    assert operand.values.sum() == 6
    operand.values = np.full((2, 3), 2.0)  # a format of one's own rescaling what it read
    assert operand.stored.dtype == np.float64 and operand.values.sum() == 12


@pytest.mark.parametrize("dtype", [np.float16, np.float32, np.float64, np.int64])
def test_nan_and_inf_are_found_in_the_stored_dtype(dtype):
    finite = np.arange(-6, 6, dtype=dtype).reshape(3, 4)
    assert all_finite(finite) and not has_nan(finite)
    if dtype is np.int64:
        return
    for value, nan in ((np.inf, False), (-np.inf, False), (np.nan, True), (-np.nan, True)):
        bad = finite.copy()
        bad[2, 1] = value
        assert not all_finite(bad) and has_nan(bad) == nan


def test_every_float16_bit_pattern_is_checked_as_numpy_checks_it():
    every = np.arange(1 << 16, dtype=np.uint32).astype(np.uint16).view(np.float16)
    nan, finite = np.isnan(every), np.isfinite(every)
    for start in range(0, every.size, 1024):  # a nan or inf found wherever it is
        part = slice(start, start + 1024)
        assert has_nan(every[part]) == nan[part].any()
        assert all_finite(every[part]) == finite[part].all()
