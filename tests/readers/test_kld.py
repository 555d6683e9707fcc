"""llama.cpp's KL-divergence dumps (readers/kld.py): the layout read as llama-perplexity writes it
(checked on hand-made records, independently of helpers.kld_files' own reader), blocks of any size,
and every hostile file refused before a block is read, with one line that names the file and what
is wrong."""

from __future__ import annotations

import numpy as np
import pytest

from divcli.errors import DataError
from divcli.readers.kld import MAX_VOCABULARY, is_dump, kld_blocks
from divcli.readers.positions import open_positions
from helpers.kld_files import MAGIC, dump, read_kld, record_width, text_for, write_kld


def record(scale: float, minimum: float, values: list[int], n_vocab: int, padding: int = 0) -> np.ndarray:
    """One position's record by hand: the float32 scale and minimum, the values, the padding."""
    out = np.full(record_width(n_vocab), padding, dtype="<u2")
    out[:4] = np.array([scale, minimum], dtype="<f4").view("<u2")
    out[4:4 + n_vocab] = values
    return out


def test_a_hand_made_dump_reads_as_minimum_plus_scale_times_value(tmp_path):
    """n_ctx 5: each chunk scores its positions 2 and 3 (from 0), which predict its tokens 3 and 4;
    an odd vocabulary's record has one uint16 of padding, never read."""
    tokens = np.array([[0, 1, 2, 1, 2], [2, 1, 0, 0, 1]])
    records = [record(0.5, -2.0, [4, 0, 2], 3, padding=0xFFFF), record(0.25, -3.0, [0, 12, 4], 3),
               record(0.0, -1.0986123, [0, 0, 0], 3), record(1.0, -5.0, [5, 3, 0], 3)]
    blocks = kld_blocks(write_kld(tmp_path / "hand.kld", tokens, np.stack(records), 3))
    try:
        rows = blocks.read(10)
        assert blocks.exhausted() and blocks.read(10) is None
    finally:
        blocks.close()
    expected = [[0.0, -2.0, -1.0], [-3.0, 0.0, -2.0], [-1.0986123] * 3, [0.0, -2.0, -5.0]]
    np.testing.assert_allclose(rows.values, expected, rtol=0, atol=1e-7)  # the minimum is a float32
    assert rows.values.dtype == np.float64 and rows.shape == (4, 3)
    assert blocks.labels().tolist() == [1, 2, 0, 1]


@pytest.mark.parametrize("n_ctx, n_vocab", [(21, 63), (8, 64), (3, 2)])
def test_blocks_of_any_size_read_the_same_positions(tmp_path, n_ctx, n_vocab):
    rng = np.random.default_rng(n_ctx)
    per_chunk = n_ctx - 1 - n_ctx // 2
    labels = rng.integers(0, n_vocab, 7 * per_chunk)
    path = dump(tmp_path / "m.kld", text_for(labels, n_ctx, n_vocab), rng.normal(size=(labels.size, n_vocab)) * 4)
    log_probs, read_labels, _ = read_kld(path)
    for rows, max_values in ((1, None), (3, None), (1000, None), (1000, 2 * n_vocab + 1)):
        blocks = kld_blocks(path)
        parts = []
        while (block := blocks.read(rows, max_values)) is not None:
            assert block.first_row == sum(part.shape[0] for part in parts)
            parts.append(block.values)
        blocks.close()
        np.testing.assert_array_equal(np.concatenate(parts), log_probs)
    assert blocks.labels().tolist() == read_labels.tolist() == labels.tolist()
    assert blocks.position() == (labels.size, labels.size)


def test_a_dump_is_known_by_its_extension_or_its_magic(tmp_path):
    tokens = np.zeros((1, 4), dtype=int)
    path = dump(tmp_path / "logits.bin", tokens, np.zeros((1, 5)))
    assert is_dump(path) and is_dump(str(tmp_path / "x.kld")) is False  # not there
    (tmp_path / "x.kld").write_bytes(b"")
    assert is_dump(str(tmp_path / "x.kld")) and not is_dump(str(tmp_path)) and not is_dump("-")
    blocks = open_positions(path, None)
    assert blocks.read(5).shape == (1, 5)
    blocks.close()


def _header(n_ctx, n_vocab, n_chunk) -> bytes:
    return MAGIC + np.array([n_ctx, n_vocab, n_chunk], dtype="<i4").tobytes()


def _valid(n_ctx=4, n_vocab=3, n_chunk=2) -> bytes:
    """A dump with nothing wrong: n_chunk chunks of n_ctx tokens, each scoring n_ctx − 1 − n_ctx//2."""
    per_chunk = n_ctx - 1 - n_ctx // 2
    records = np.stack([record(0.5, -1.0, [1] * n_vocab, n_vocab)] * (per_chunk * n_chunk))
    return _header(n_ctx, n_vocab, n_chunk) + np.zeros(n_ctx * n_chunk, "<i4").tobytes() + records.tobytes()


HOSTILE = [
    (b"", "not a llama.cpp KL-divergence dump (it does not start with _logits_)"),
    (b"_logits", "not a llama.cpp KL-divergence dump"),
    (b"\x93NUMPY" + _valid()[6:], "not a llama.cpp KL-divergence dump"),
    (_header(4, 3, 2)[:15], "cut short in its header (15 bytes of 20)"),
    (_header(2, 3, 2) + bytes(100), "the header says a context of 2 tokens, which scores no position"),
    (_header(-5, 3, 2), "the header says a context of -5 tokens"),
    (_header(4, 0, 2), "the header says a vocabulary of 0 tokens (divcli reads 1 to 16,777,216)"),
    (_header(4, 2**31 - 1, 2), "the header says a vocabulary of 2,147,483,647 tokens"),
    (_header(4, MAX_VOCABULARY + 1, 2), "the header says a vocabulary of 16,777,217 tokens"),
    (_header(4, 3, 0), "the header says 0 chunks: it holds no position"),
    (_header(4, 3, -1), "the header says -1 chunks"),
    (_header(4, 3, 2**31 - 1), "cut short: its header (n_ctx 4, n_vocab 3, n_chunk 2147483647) says "
                               "8,589,934,588 tokens (34,359,738,352 bytes) but only 0 bytes follow it"),
    (_valid()[:-1], "cut short: it holds the log-probs of 1 of its 2 chunks (83 bytes of 84"),
    (_valid()[:20 + 32], "cut short: it holds the log-probs of 0 of its 2 chunks"),
    (_valid() + b"\0\0", "2 bytes more than its header (n_ctx 4, n_vocab 3, n_chunk 2) says it holds (84 bytes)"),
    (_valid()[:20] + np.array([0, 1, 2, 0, 0, 3, 1, 0], "<i4").tobytes() + _valid()[52:],
     "token 6 of the text: chunk 2, token 2 of 4 is 3, not an id of its vocabulary of 3 tokens"),
    (_valid()[:20] + np.array([0, 0, 0, 0, 0, 0, 0, -1], "<i4").tobytes() + _valid()[52:],
     "token 8 of the text: chunk 2, token 4 of 4 is -1"),
]


@pytest.mark.parametrize("data, words", HOSTILE, ids=[words[:40] for _, words in HOSTILE])
def test_hostile_files_are_one_line_errors_before_any_block(tmp_path, data, words):
    path = tmp_path / "hostile.kld"
    path.write_bytes(data)
    with pytest.raises(DataError) as caught:
        kld_blocks(str(path))
    assert caught.value.where == str(path) and words in caught.value.what, caught.value.what
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("scale, minimum, words", [
    (float("nan"), -1.0, "scale (nan)"), (0.5, float("inf"), "minimum (inf)"), (-0.5, -1.0, "scale (-0.5)")])
def test_a_record_that_is_no_log_prob_names_its_position(tmp_path, scale, minimum, words):
    records = np.stack([record(0.5, -1.0, [1, 2, 3], 3)] * 3 + [record(scale, minimum, [1, 2, 3], 3)])
    blocks = kld_blocks(write_kld(tmp_path / "bad.kld", np.zeros((2, 5), dtype=int), records, 3))
    assert blocks.read(3).shape == (3, 3)
    with pytest.raises(DataError) as caught:
        blocks.read(3)
    blocks.close()
    assert caught.value.where.endswith("bad.kld: position 4") and words in caught.value.what


def test_a_file_changed_while_read_is_an_error(tmp_path):
    path = tmp_path / "m.kld"
    path.write_bytes(_valid())
    blocks = kld_blocks(str(path))
    with open(path, "ab") as more:
        more.write(b"\0\0")
    with pytest.raises(DataError, match="the file changed while being read"):
        blocks.read(1)
    blocks.close()
