"""The exact likelihood of the two-phase streams model (MODEL.md §2), streams summed out.

One implementation serves two backends: PyTensor (inside the PyMC model) and NumPy
(pointwise log-likelihood of saved draws, queries, tests).  The math namespace is passed
in, so the formula is written once and the brute-force test checks the same code that
the sampler runs.

Notation per case ``i`` and phase ``p``: ``q[s] = logistic(eta[s])`` is the probability
that stream ``s`` is in motion; ``O`` are the streams observed, ``L`` the latent ones::

    A      = prod_{s in O} Bern(S_s | q_s)
    C      = 1{all S_O = 1} * prod_{s in L} q_s          # P(all three in motion | S_O)
    B      = lambda + (1 - lambda) (1 - kappa) C          # P(W = 1 | S_O)
    phase 2: B2 * d with d = W1 + (1 - W1) rho            # the phase dependency

A missing ``W2`` drops its term; a missing ``W1`` is summed out (two terms).
"""

from __future__ import annotations

from dataclasses import dataclass
from types import SimpleNamespace

import numpy as np


@dataclass(frozen=True)
class ObservedTerms:
    """Data arrays of the likelihood, precomputed once in NumPy (masks instead of NaN).

    Shapes: ``s_obs``, ``s_val`` (case, phase, stream); ``all_one``, ``w_obs``, ``w_val``
    (case, phase).  Missing values are filled so that no masked term is ever log(0).
    """

    s_obs: np.ndarray
    s_val: np.ndarray
    all_one: np.ndarray
    w_obs: np.ndarray
    w_val: np.ndarray


def observed_terms(s: np.ndarray, w: np.ndarray) -> ObservedTerms:
    """Masks and filled values from stream states ``s`` (case, phase, stream) and windows ``w`` (case, phase)."""
    s_obs = (~np.isnan(s)).astype(float)
    s_val = np.nan_to_num(s, nan=0.0)
    all_one = np.all(np.isnan(s) | (s == 1), axis=2).astype(float)
    w_obs = (~np.isnan(w)).astype(float)
    w_val = np.nan_to_num(w, nan=1.0)  # filled with 1: a masked d = W1 + (1 - W1) rho stays 1
    return ObservedTerms(s_obs, s_val, all_one, w_obs, w_val)


def numpy_math() -> SimpleNamespace:
    """The operations :func:`case_loglik` needs, in NumPy."""
    return SimpleNamespace(log=np.log, exp=np.exp, softplus=lambda v: np.logaddexp(0.0, v), stack=np.stack)


def pytensor_math() -> SimpleNamespace:
    """The operations :func:`case_loglik` needs, in PyTensor."""
    import pytensor.tensor as pt

    return SimpleNamespace(log=pt.log, exp=pt.exp, softplus=pt.softplus, stack=pt.stack)


def window_bracket(eta, lam, kap, terms: ObservedTerms, math):
    """``(log A, B)``: log-probability of the observed streams and ``P(W = 1 | S_O)``, per (case, phase).

    ``eta`` has shape (..., case, phase, stream); ``lam`` and ``kap`` (..., phase) broadcast
    against (case, phase) once a case axis is added by the caller.
    """
    log_q = -math.softplus(-eta)
    log_not_q = -math.softplus(eta)
    return bracket_of_log_q(log_q, log_not_q, lam, kap, terms, math)


def bracket_of_log_q(log_q, log_not_q, lam, kap, terms: ObservedTerms, math, epsilon=None):
    """:func:`window_bracket` from ``log q`` and ``log (1 - q)`` (the evidence model's ``qt``, MODEL.md §7).

    With ``epsilon`` (the stream-error rate, broadcastable against (case, phase, stream)) a coded
    stream state is the true state flipped with probability ``epsilon``: an observed stream adds
    ``log sum_t Bern(t | q) P(S | t)`` and enters the coupling through ``P(t = 1 | S)``.
    """
    if epsilon is None:
        log_a = (terms.s_obs * (terms.s_val * log_q + (1.0 - terms.s_val) * log_not_q)).sum(axis=-1)
        coupled = terms.all_one * math.exp(((1.0 - terms.s_obs) * log_q).sum(axis=-1))
    else:
        right = terms.s_val * (1.0 - epsilon) + (1.0 - terms.s_val) * epsilon   # P(S | t = 1)
        wrong = terms.s_val * epsilon + (1.0 - terms.s_val) * (1.0 - epsilon)   # P(S | t = 0)
        log_m = math.log(math.exp(log_q) * right + math.exp(log_not_q) * wrong)
        log_a = (terms.s_obs * log_m).sum(axis=-1)
        log_on = log_q + terms.s_obs * (math.log(right) - log_m)              # log P(t = 1 | S), or log q
        coupled = math.exp(log_on.sum(axis=-1))
    bracket = lam + (1.0 - lam) * (1.0 - kap) * coupled
    return log_a, bracket


def case_loglik(eta, lam, kap, rho, terms: ObservedTerms, math):
    """Log-likelihood of each case, shape (..., case).

    Parameters
    ----------
    eta : (..., case, phase, stream) linear predictor of the streams.
    lam, kap : (..., 1, phase) leak and miss, already broadcastable against (case, phase).
    rho : (..., 1) phase dependency, broadcastable against (case,).
    """
    log_a, bracket = window_bracket(eta, lam, kap, terms, math)
    return windows_loglik(log_a, bracket, rho, terms, math)


def windows_loglik(log_a, bracket, rho, terms: ObservedTerms, math):
    """Log-likelihood per case from ``log A`` and the brackets ``B`` (case, phase) of :func:`window_bracket`."""
    b1, b2 = bracket[..., 0], bracket[..., 1]
    w1, w2 = terms.w_val[:, 0], terms.w_val[:, 1]
    w1_obs, w2_obs = terms.w_obs[:, 0], terms.w_obs[:, 1]

    def log_bern(p, y):
        return y * math.log(p) + (1.0 - y) * math.log(1.0 - p)

    dependency = w1 + (1.0 - w1) * rho
    known_w1 = log_bern(b1, w1) + w2_obs * log_bern(b2 * dependency, w2)

    def p_w2(d):
        return w2 * (b2 * d) + (1.0 - w2) * (1.0 - b2 * d)

    unknown_w1 = w2_obs * math.log(b1 * p_w2(1.0) + (1.0 - b1) * p_w2(rho))
    return log_a.sum(axis=-1) + w1_obs * known_w1 + (1.0 - w1_obs) * unknown_w1


def cell_sums(x, beta, onehot):
    """``sum_k x[c, k] beta[d, k] onehot[k, m]`` (draw, case, cell): each factor's ``beta x`` added into its cell.

    The NumPy reference of the kinds' ``sums`` argument (a caller with many cases passes
    :func:`bayesstreams.fast.registry.cell_sums`, the same sums in numba).
    """
    return np.einsum("ck,dk,km->dcm", x, beta, onehot)


def stream_eta(alpha, beta, x, factor_phase, factor_stream, gamma=None, group=None, sums=None):
    """Linear predictor (draw, case, phase, stream) in NumPy from draws of alpha (draw, phase, stream) and beta (draw, factor).

    ``sums``: a function with :func:`cell_sums`' arguments and result (default: it).
    """
    n_phase, n_stream = alpha.shape[-2], alpha.shape[-1]
    onehot = np.zeros((x.shape[1], n_phase * n_stream))
    onehot[np.arange(x.shape[1]), factor_phase * n_stream + factor_stream] = 1.0
    # (draw, case, phase*stream): each factor adds beta * x to its own stream only
    contrib = (sums or cell_sums)(x, beta, onehot)
    eta = alpha[:, None, :, :] + contrib.reshape(contrib.shape[0], x.shape[0], n_phase, n_stream)
    if gamma is not None and group is not None:
        has = group >= 0
        eta[:, has] += np.moveaxis(gamma[:, :, :, group[has]], 3, 1)
    return eta


def stream_product(q: np.ndarray) -> np.ndarray:
    """``np.prod(q, axis=-1)`` bit for bit (the streams multiplied in order, left to right), two to six times faster:
    NumPy's reduction over a short last axis strides through the array once per output element."""
    q = np.asarray(q)
    out = q[..., 0] * q[..., 1] if q.shape[-1] > 1 else q[..., 0].copy()
    for s in range(2, q.shape[-1]):
        out *= q[..., s]
    return out


def window_probability(q, lam, kap):
    """``pibar`` (…, case, phase): P(W=1 | x) for phase 1 and P(W2=1 | x, W1=1) for phase 2.

    ``q`` (…, case, phase, stream); ``lam``, ``kap`` (…, phase).
    """
    coupled = stream_product(q)
    return lam[..., None, :] + (1.0 - lam[..., None, :]) * (1.0 - kap[..., None, :]) * coupled


def logistic(v):
    """The logistic function ``1 / (1 + exp(-v))`` in NumPy, stable for any ``v``.

    Within an ulp or two of the exact value, and about five times faster than the
    ``exp(-logaddexp(0, -v))`` it replaced (NumPy's ``exp`` is vectorised, ``logaddexp`` is not), which
    was off by up to about ``|v|`` ulps (``exp`` of a rounded exponent).  Below ``v`` of -709.78
    ``exp(-v)`` overflows to ``inf`` and the result is 0, where the exact value is subnormal (under
    2.3e-308): that overflow is not warned of.  tests/test_logistic.py.
    """
    with np.errstate(over="ignore"):
        out = np.exp(np.negative(v))
    if not isinstance(out, np.ndarray):  # a scalar (or 0-d) argument: its scalar, by the same operations
        return np.reciprocal(out + 1.0)
    out += 1.0
    return np.reciprocal(out, out=out)


def logistic_into(v: np.ndarray) -> np.ndarray:
    """:func:`logistic` of a float array written over it (the same ufuncs in the same order: the same bits)."""
    np.negative(v, out=v)
    with np.errstate(over="ignore"):
        np.exp(v, out=v)
    v += 1.0
    return np.reciprocal(v, out=v)


def numpy_case_loglik(eta, lam, kap, rho, terms: ObservedTerms) -> np.ndarray:
    """:func:`case_loglik` over draws in NumPy: eta (draw, case, phase, stream), lam/kap (draw, phase), rho (draw,)."""
    return case_loglik(eta, lam[:, None, :], kap[:, None, :], rho[:, None], terms, numpy_math())


def additive_case_loglik(eta_w, delta, terms: ObservedTerms, math):
    """Log-likelihood per case of the additive baseline (MODEL.md §3).

    ``eta_w`` (..., case, phase) is the window log-odds without the dependency term;
    phase 2 adds ``delta * W1``; a missing ``W1`` is summed out, a missing ``W2`` dropped.
    """
    p1 = 1.0 / (1.0 + math.exp(-eta_w[..., 0]))
    w1, w2 = terms.w_val[:, 0], terms.w_val[:, 1]
    w1_obs, w2_obs = terms.w_obs[:, 0], terms.w_obs[:, 1]

    def log_bern_logit(logit, y):
        return -(y * math.softplus(-logit) + (1.0 - y) * math.softplus(logit))

    def p_w2(logit):
        p = 1.0 / (1.0 + math.exp(-logit))
        return w2 * p + (1.0 - w2) * (1.0 - p)

    known_w1 = log_bern_logit(eta_w[..., 0], w1) + w2_obs * log_bern_logit(eta_w[..., 1] + delta * w1, w2)
    unknown_w1 = w2_obs * math.log(p1 * p_w2(eta_w[..., 1] + delta) + (1.0 - p1) * p_w2(eta_w[..., 1]))
    return w1_obs * known_w1 + (1.0 - w1_obs) * unknown_w1


def additive_eta(draws: dict, x: np.ndarray, factor_phase: np.ndarray, group: np.ndarray, sums=None) -> np.ndarray:
    """Window log-odds (sample, case, phase) of the additive model, before the delta * W1 term (``sums``: :func:`stream_eta`'s)."""
    phase_of = np.eye(2)[factor_phase]
    eta = draws["a"][:, None, :] + (sums or cell_sums)(x, draws["beta"], phase_of)
    gamma = draws.get("gamma")
    if gamma is not None:
        has = group >= 0
        eta[:, has] += np.moveaxis(gamma[:, :, group[has]], 2, 1)
    return eta
