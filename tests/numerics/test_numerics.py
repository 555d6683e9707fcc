"""The numpy core: stability, zero conventions and the identities, checked with Hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, strategies as st
from hypothesis.extra.numpy import arrays

from divcli.numerics.plain import cross_entropy_terms, entropy_terms, kl_terms, log_softmax, logsumexp, smooth_labels

#: numbers computed with numpy's exp and log: make test runs them again with AVX-512 off
pytestmark = pytest.mark.numeric

logit = st.floats(min_value=-50, max_value=50, allow_nan=False)


def logit_rows(rows=st.integers(1, 5), classes=st.integers(2, 8)):
    return st.tuples(rows, classes).flatmap(lambda shape: arrays(np.float64, shape, elements=logit))


def probs_of(z):
    log_p = log_softmax(z, axis=1)
    return np.exp(log_p), log_p


def test_log_softmax_is_stable_for_huge_logits():
    z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1, -1e4 + 2]])
    log_p = log_softmax(z, axis=1)
    assert np.all(np.isfinite(log_p[1]))
    assert log_p[0, 0] == 0.0 and log_p[0, 1] == -1e4
    np.testing.assert_allclose(np.exp(log_p[1]), np.exp([0, 1, 2]) / np.exp([0, 1, 2]).sum(), rtol=1e-15)


def test_log_softmax_masks_minus_inf():
    log_p = log_softmax(np.array([[0.0, -np.inf, 0.0]]), axis=1)
    np.testing.assert_array_equal(log_p, [[-math.log(2), -np.inf, -math.log(2)]])


def test_logsumexp_of_masked_row():
    assert logsumexp(np.array([[-np.inf, -np.inf]]), axis=1)[0] == -np.inf
    assert logsumexp(np.array([[1000.0, 1000.0]]), axis=1)[0] == 1000 + math.log(2)


def test_zero_conventions_as_rel_entr():
    p = np.array([[0.0, 0.5, 0.5]])
    q = np.array([[0.0, 1.0, 0.0]])
    with np.errstate(divide="ignore"):
        terms = kl_terms(p, np.log(p), np.log(q))
    # 0·log(0/0) = 0; 0.5·log(0.5/1) finite; 0.5·log(0.5/0) = +inf (scipy.special.rel_entr)
    assert terms[0, 0] == 0.0
    assert terms[0, 1] == 0.5 * math.log(0.5)
    assert terms[0, 2] == math.inf
    with np.errstate(divide="ignore"):
        assert cross_entropy_terms(p, np.log(q))[0, 0] == 0.0
        assert entropy_terms(p, np.log(p))[0, 0] == 0.0


def test_hand_computed_kl():
    """The seed notebook's 0.0853, by hand: 0.36 ln(1.08) + 0.48 ln(1.44) + 0.16 ln(0.48)."""
    p = np.array([[0.36, 0.48, 0.16]])
    q = np.full((1, 3), 1 / 3)
    hand = 0.36 * math.log(1.08) + 0.48 * math.log(1.44) + 0.16 * math.log(0.48)
    assert math.isclose(kl_terms(p, np.log(p), np.log(q)).sum(), hand, rel_tol=1e-14)


def test_label_smoothing_as_torch():
    p = np.eye(4)[[1]]
    np.testing.assert_allclose(smooth_labels(p, 0.1), [[0.025, 0.925, 0.025, 0.025]])
    assert smooth_labels(p, 0.0) is p
    np.testing.assert_array_equal(smooth_labels(p, 0.1, active=np.array([False])), 0)


@given(logit_rows(), st.data())
def test_cross_entropy_is_entropy_plus_kl(z, data):
    w = data.draw(arrays(np.float64, z.shape, elements=logit))
    p, log_p = probs_of(z)
    _, log_q = probs_of(w)
    cross = cross_entropy_terms(p, log_q).sum(axis=1)
    identity = entropy_terms(p, log_p).sum(axis=1) + kl_terms(p, log_p, log_q).sum(axis=1)
    np.testing.assert_allclose(cross, identity, rtol=1e-12, atol=1e-12)


@given(logit_rows(), st.data())
def test_kl_is_non_negative(z, data):
    w = data.draw(arrays(np.float64, z.shape, elements=logit))
    p, log_p = probs_of(z)
    _, log_q = probs_of(w)
    assert np.all(kl_terms(p, log_p, log_q).sum(axis=1) >= -1e-12)


@given(logit_rows())
def test_kl_of_a_distribution_with_itself_is_zero(z):
    p, log_p = probs_of(z)
    assert np.all(kl_terms(p, log_p, log_p) == 0.0)


@given(logit_rows(), st.floats(-1e3, 1e3, allow_nan=False))
def test_logits_are_invariant_to_a_shift(z, shift):
    np.testing.assert_allclose(log_softmax(z + shift, axis=1), log_softmax(z, axis=1), rtol=1e-9, atol=1e-9)


@given(logit_rows())
def test_entropy_is_bounded_by_log_c(z):
    p, log_p = probs_of(z)
    h = entropy_terms(p, log_p).sum(axis=1)
    assert np.all(h >= -1e-12) and np.all(h <= math.log(z.shape[1]) + 1e-12)


def _reference_kl_parts(p, log_p, log_q):
    return kl_terms(p, log_p, log_q), entropy_terms(p, log_p).sum(axis=1), cross_entropy_terms(p, log_q).sum(axis=1)


def _bits(a):
    return np.ascontiguousarray(a).view(np.int64)


def _agree_as_sums(got, terms):
    """``got`` is the row sum of ``terms`` within the error of a pairwise sum of 16 or fewer values
    (and of fused products): a few ε times the sum of the terms' sizes, exact where that is 0."""
    exact = np.array([math.fsum(row) for row in terms])
    size = np.abs(terms).sum(axis=1)
    assert np.all(np.abs(got - exact) <= 8 * np.finfo(np.float64).eps * size), (got, exact)


@given(logit_rows(), logit_rows())
def test_kl_rows_give_the_terms_to_the_last_bit_and_their_sums(zp, zq):
    from divcli.numerics.plain import kl_rows

    rows, classes = min(zp.shape[0], zq.shape[0]), min(zp.shape[1], zq.shape[1])
    p, log_p = probs_of(zp[:rows, :classes])
    _, log_q = probs_of(zq[:rows, :classes])
    for args in ((p, log_p, log_q), np.broadcast_arrays(p[:1], log_p[:1], log_q)):  # the second: P broadcast
        terms, kl, entropy, cross = kl_rows(*args)
        reference, entropy_terms_, cross_terms = kl_terms(*args), entropy_terms(args[0], args[1]), \
            cross_entropy_terms(args[0], args[2])
        assert terms.shape == reference.shape and np.array_equal(_bits(terms), _bits(reference))  # signed zeros too
        _agree_as_sums(kl, terms)
        _agree_as_sums(entropy, entropy_terms_)
        _agree_as_sums(cross, cross_terms)


def test_a_rows_numbers_do_not_depend_on_the_other_rows():
    """What makes a file, its stream and its Dask shards give the same bits: a row's D, H and H(P,Q)
    are the same whatever block it is in, whether P is broadcast, and whether other rows of its
    chunk have zeros in P (which take the masked forms)."""
    from divcli.numerics.plain import CHUNK_ELEMENTS, kl_rows

    rng = np.random.default_rng(7)
    for classes in (3, 16, 17, 200):
        rows = CHUNK_ELEMENTS // classes + 5  # two chunks at least
        p, log_p = probs_of(rng.normal(0, 3, (rows, classes)))
        _, log_q = probs_of(rng.normal(0, 3, (rows, classes)))
        whole = kl_rows(p, log_p, log_q)
        zeros_p, zeros_log_p = p.copy(), log_p.copy()
        zeros_p[1, 0], zeros_log_p[1, 0] = 0.0, -np.inf  # a zero in P in row 1: its chunk goes the masked way
        with_zeros = kl_rows(zeros_p, zeros_log_p, log_q)
        for row in (0, 2, rows - 1):
            alone = kl_rows(p[row:row + 1], log_p[row:row + 1], log_q[row:row + 1])
            broadcast = kl_rows(p[row:row + 1], log_p[row:row + 1], log_q[[row, row]])
            for number in range(4):
                assert np.array_equal(_bits(whole[number][row]), _bits(alone[number][0]))
                assert np.array_equal(_bits(whole[number][row]), _bits(with_zeros[number][row]))
                assert np.array_equal(_bits(whole[number][row]), _bits(broadcast[number][1]))


def test_kl_rows_keep_the_zero_conventions():
    from divcli.numerics.plain import kl_rows

    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    q = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(divide="ignore"):
        log_p, log_q = np.log(p), np.log(q)
    terms, kl, entropy, cross = kl_rows(p, log_p, log_q)
    reference = _reference_kl_parts(p, log_p, log_q)
    assert np.array_equal(_bits(terms), _bits(reference[0]))
    assert kl[0] == math.log(2) and kl[1] == math.inf and kl[2] == 0.0
    assert entropy[0] == 0.0 and entropy[1] == math.log(2) and entropy[2] == 0.0
    assert cross[0] == math.log(2) and cross[1] == math.inf and cross[2] == 0.0
    for value in (entropy[0], entropy[2], kl[2], cross[2]):  # +0.0, as a sum: no −0.0 shown
        assert math.copysign(1.0, value) == 1.0
    terms, kl, entropy, cross = kl_rows(p[:1], log_p[:1], log_p[:1])
    assert np.array_equal(_bits(entropy), _bits(reference[1][:1]))  # one-hot: +0.0 exactly


def test_the_rows_maxima_are_numpys_nan_and_inf_included():
    from divcli.numerics.plain import CHUNK_ELEMENTS, _max_into, softmax

    rng = np.random.default_rng(11)
    for classes in (1, 2, 3, 5, 8, 15, 16, 17, 33, 129):
        z = rng.normal(0, 30, (CHUNK_ELEMENTS // classes + 3, classes))
        z[rng.random(z.shape) < 0.05] = -np.inf
        z[rng.random(z.shape) < 0.01] = np.nan
        z[rng.random(z.shape) < 0.01] = np.inf
        top = np.empty(z.shape[0])
        _max_into(z, top, np.empty(z.size))
        assert np.array_equal(top, z.max(axis=1), equal_nan=True)
        z = np.where(np.isfinite(z), z, -np.inf)
        z[:, 0] = np.where(np.isinf(z).all(axis=1), 0.0, z[:, 0])  # every row a finite logit
        _, log_p = softmax(z, axis=1, divide=False)
        np.testing.assert_allclose(log_p, log_softmax(z, axis=1), rtol=1e-14, atol=1e-13)
        for bad in (np.nan, np.inf):  # softmax sees it by the row's maximum, in any class and chunk
            spoilt = z.copy()
            spoilt[-1, classes - 1] = bad
            calls = []
            with np.errstate(invalid="ignore"):
                softmax(spoilt, axis=1, refuse=lambda: calls.append(1))
            assert calls


def test_bad_logits_are_refused_in_any_chunk_and_masks_are_not():
    from divcli.errors import DataError
    from divcli.vocabulary import Conversion, Kind
    from divcli.numerics.distributions import to_distribution
    from divcli.numerics.plain import CHUNK_ELEMENTS
    from divcli.readers.operand import Operand

    rows = 3 * CHUNK_ELEMENTS // 16
    z = np.zeros((rows, 16))
    z[5, 3] = -np.inf  # a mask: fine
    to_distribution(Operand(z, "q"), Kind.LOGITS, "Q", Conversion())
    for row, values, what in ((rows - 2, (np.nan,), "not a valid logit"), (rows // 2, (np.inf,), "not a valid logit"),
                              (rows - 1, (-np.inf,) * 16, "every logit in this row is -inf")):
        bad = z.copy()
        bad[row, 16 - len(values):] = values
        try:
            to_distribution(Operand(bad, "q"), Kind.LOGITS, "Q", Conversion())
        except DataError as error:
            assert what in str(error) and f"row {row + 1}" in str(error), str(error)
        else:
            raise AssertionError(f"{values} in row {row} was taken")


def test_empty_hands_out_an_array_again_only_when_nothing_refers_to_it(monkeypatch):
    from divcli.numerics import plain as numerics
    from divcli.numerics.plain import empty

    monkeypatch.setattr(numerics._KEPT, "arrays", [])  # this thread's arrays: none kept yet

    def address(a):
        return a.__array_interface__["data"][0]

    first = empty((300, 16))
    first[...] = 1.0
    kept = first[10:20].T  # a view: the memory is still in use
    second = empty((300, 16))
    assert not np.shares_memory(second, kept)
    second[...] = 2.0
    assert np.all(kept == 1.0)
    before = address(first)
    del first, kept
    third = empty((300, 16))  # nothing refers to the first any more: its memory again
    assert address(third) == before
    assert not np.shares_memory(third, second)
    assert empty((3, 16)).base.size < 300 * 16  # a small array does not take a large one's memory
