"""The numpy core: stability, zero conventions and the identities, checked with Hypothesis."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from divcli.numerics import (
    cross_entropy_terms,
    entropy_terms,
    kl_terms,
    log_softmax,
    logsumexp,
    smooth_labels,
)

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


@given(logit_rows(), logit_rows())
def test_kl_parts_equal_the_separate_terms_to_the_last_bit(zp, zq):
    from divcli.numerics import kl_parts

    rows, classes = min(zp.shape[0], zq.shape[0]), min(zp.shape[1], zq.shape[1])
    p, log_p = probs_of(zp[:rows, :classes])
    _, log_q = probs_of(zq[:rows, :classes])
    for args in ((p, log_p, log_q), np.broadcast_arrays(p[:1], log_p[:1], log_q)):  # the second: P broadcast
        fast, slow = kl_parts(*args), _reference_kl_parts(*args)
        for a, b in zip(fast, slow):
            assert a.shape == b.shape
            assert np.array_equal(a.view(np.int64), b.view(np.int64))  # every bit, signed zeros too


def test_kl_parts_keep_the_zero_conventions():
    from divcli.numerics import kl_parts

    p = np.array([[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [1.0, 0.0, 0.0]])
    q = np.array([[0.5, 0.5, 0.0], [1.0, 0.0, 0.0], [1.0, 0.0, 0.0]])
    with np.errstate(divide="ignore"):
        log_p, log_q = np.log(p), np.log(q)
    for a, b in zip(kl_parts(p, log_p, log_q), _reference_kl_parts(p, log_p, log_q)):
        assert np.array_equal(a.view(np.int64), b.view(np.int64))
    terms, entropy, cross = kl_parts(p[:1], log_p[:1], log_p[:1])
    assert np.array_equal(entropy.view(np.int64), _reference_kl_parts(p[:1], log_p[:1], log_p[:1])[1].view(np.int64))
