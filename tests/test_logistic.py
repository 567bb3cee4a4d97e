"""The NumPy logistic and the streams' product that every query reads (bayesstreams.model.likelihood).

``logistic`` is ``1 / (1 + exp(-v))`` (NumPy's vectorised ``exp``); it replaced ``exp(-logaddexp(0, -v))``,
whose ``logaddexp`` is a scalar loop.  Held here: the two agree to a few ulps over the whole range, the
extremes are exactly 0 and 1 without a warning, NaN stays NaN, the in-place form gives the same bits, and
the value agrees with an exact rational evaluation.  ``stream_product`` is ``np.prod(q, axis=-1)`` bit for bit.
"""

from __future__ import annotations

import math
import warnings
from fractions import Fraction

import numpy as np
import pytest

from bayesstreams.model.likelihood import logistic, logistic_into, stream_product


def test_logistic_agrees_with_the_log_sum_exp_form_it_replaced():
    """Within the old form's own error: ``exp`` of a rounded ``-v - log1p(exp(v))`` is off by up to ``|v|`` ulps
    of the exponent (about 30 ulps of the result at v = -33); below v = -709.78 the true value is subnormal
    (under 2.3e-308) and the logistic gives 0."""
    v = np.concatenate([np.linspace(-745, 745, 20001), np.random.default_rng(3).normal(0, 5, 100_000)])
    old = np.exp(-np.logaddexp(0.0, -v))
    new = logistic(v)
    normal = old >= np.finfo(float).tiny
    assert np.all(np.abs(new[normal] - old[normal]) <= 1e-13 * old[normal])
    assert np.all(new[~normal] < 2.3e-308) and np.all(old[~normal] < 2.3e-308)
    middle = np.abs(v) < 2  # where the old form was exact to an ulp or two, so is this one
    assert np.all(np.abs(new[middle] - old[middle]) <= 4 * np.spacing(old[middle]))


@pytest.mark.parametrize("v", [-700.0, -300.0, -40.0, -33.3015, -7.25, -1.0, -1e-9, 0.0, 3e-5, 0.5, 2.0, 13.0, 36.0])
def test_logistic_is_within_an_ulp_or_two_of_the_exact_value(v):
    exact = 1 / (1 + Fraction(math.exp(-v)))  # exp itself is correctly rounded to within an ulp by libm
    assert abs(Fraction(float(logistic(np.float64(v)))) - exact) <= 2 * Fraction(math.ulp(float(exact)))


def test_logistic_extremes_are_exact_and_quiet():
    v = np.array([-np.inf, -1e308, -800.0, -709.7, 709.8, 800.0, 1e308, np.inf])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        found = logistic(v)
    assert found[0] == 0.0 and found[1] == 0.0 and found[2] == 0.0
    assert 0.0 < found[3] < 1e-307
    assert list(found[4:]) == [1.0, 1.0, 1.0, 1.0]
    assert np.isnan(logistic(np.array([np.nan]))).all()


def test_logistic_in_place_gives_the_same_bits_and_scalars_stay_scalars():
    v = np.random.default_rng(5).normal(0, 8, (300, 7))
    expected = logistic(v)
    copy = v.copy()
    assert logistic_into(copy) is copy and np.array_equal(copy, expected)
    assert isinstance(logistic(0.25), np.float64) and logistic(0.0) == 0.5
    assert logistic(np.array(1.5)) == expected.dtype.type(logistic(1.5))


@pytest.mark.parametrize("shape", [(4, 3), (50, 7, 2, 3), (10, 1), (6, 2), (5, 4, 6)])
def test_stream_product_is_np_prod_bit_for_bit(shape):
    q = np.random.default_rng(sum(shape)).random(shape)
    found = stream_product(q)
    assert found.shape == shape[:-1] and np.array_equal(found, np.prod(q, axis=-1))
    assert not np.shares_memory(found, q)  # a new array: writing it never changes q
