"""The exact likelihood against brute-force enumeration of every latent stream state and window."""

import itertools

import numpy as np
import pytest

from bayesstreams.model.likelihood import case_loglik, logistic, numpy_math, observed_terms


def brute_force_loglik(eta, lam, kap, rho, s, w):
    """P(observed) by summing the joint over every latent stream state and missing window.

    Written from the generative model (MODEL.md §2) alone, sharing nothing with the
    closed form: S ~ Bern(q), W1 ~ Bern(pi1), W2 ~ Bern(pi2 * (W1 + (1 - W1) rho)).
    """
    q = logistic(eta)
    total = 0.0
    for states in itertools.product((0, 1), repeat=6):
        S = np.array(states, dtype=float).reshape(2, 3)
        if np.any(~np.isnan(s) & (s != S)):
            continue
        p_s = np.prod(np.where(S == 1, q, 1 - q))
        pi = lam + (1 - lam) * (1 - kap) * np.prod(S, axis=1)
        for w1, w2 in itertools.product((0, 1), repeat=2):
            if (not np.isnan(w[0]) and w[0] != w1) or (not np.isnan(w[1]) and w[1] != w2):
                continue
            p1 = pi[0] if w1 else 1 - pi[0]
            p2_open = pi[1] * (w1 + (1 - w1) * rho)
            p2 = p2_open if w2 else 1 - p2_open
            # a missing window is summed over both of its values
            total += p_s * p1 * p2
    return np.log(total)


def random_case(rng):
    s = rng.choice([0.0, 1.0, np.nan], size=(2, 3), p=[0.3, 0.4, 0.3])
    w = rng.choice([0.0, 1.0, np.nan], size=2, p=[0.35, 0.4, 0.25])
    return s, w


@pytest.mark.parametrize("seed", range(20))
def test_closed_form_equals_enumeration(seed):
    rng = np.random.default_rng(seed)
    n = 40
    eta = rng.normal(0, 2, size=(n, 2, 3))
    lam, kap = rng.uniform(0.01, 0.6, size=2), rng.uniform(0.01, 0.6, size=2)
    rho = rng.uniform(0.0, 1.0)
    cases = [random_case(rng) for _ in range(n)]
    s = np.stack([c[0] for c in cases])
    w = np.stack([c[1] for c in cases])
    closed = case_loglik(eta, lam[None, :], kap[None, :], rho, observed_terms(s, w), numpy_math())
    brute = np.array([brute_force_loglik(eta[i], lam, kap, rho, s[i], w[i]) for i in range(n)])
    np.testing.assert_allclose(closed, brute, rtol=0, atol=1e-9)


def test_every_missingness_pattern_is_covered():
    """All 3^6 stream patterns x 3^2 window patterns, at one random parameter point."""
    rng = np.random.default_rng(99)
    patterns = list(itertools.product((0.0, 1.0, np.nan), repeat=6))
    windows = list(itertools.product((0.0, 1.0, np.nan), repeat=2))
    s = np.array([p for p in patterns for _ in windows]).reshape(-1, 2, 3)
    w = np.array([wp for _ in patterns for wp in windows])
    eta = rng.normal(0, 1.5, size=(1, 2, 3)).repeat(len(s), axis=0)
    lam, kap, rho = np.array([0.1, 0.2]), np.array([0.15, 0.05]), 0.3
    closed = case_loglik(eta, lam[None, :], kap[None, :], rho, observed_terms(s, w), numpy_math())
    brute = np.array([brute_force_loglik(eta[0], lam, kap, rho, s[i], w[i]) for i in range(len(s))])
    np.testing.assert_allclose(closed, brute, rtol=0, atol=1e-9)


def test_fully_missing_case_has_zero_loglik():
    s = np.full((1, 2, 3), np.nan)
    w = np.full((1, 2), np.nan)
    out = case_loglik(np.ones((1, 2, 3)), np.array([[0.1, 0.1]]), np.array([[0.1, 0.1]]), 0.5,
                      observed_terms(s, w), numpy_math())
    assert out == pytest.approx(0.0, abs=1e-12)
