"""The average causal effects' interventions in numba: every factor's window probabilities under one code, per draw and case.

The reference is :meth:`bayesstreams.model.streams.StreamsKind.do_factors` (the v1 streams model: no
evidence mode), which builds about twenty (draw, factor, case) temporaries per code: the stream's
log-odds gathered, the shift, the product of the other streams, the moved ``pibar``, both phases'
``pibar`` repeated per factor, and :attr:`~bayesstreams.model.windows.Windows.p2`.  Here
:func:`shifted_log_odds` writes the shifted log-odds once, the logistic stays NumPy's (its ``exp`` and
``log1p`` are NumPy's own SIMD code on this machine, not libm's: a compiled one would differ in the
last bit), and :func:`windows_under` writes ``P(W1)`` and ``P(W2)`` in one pass.  Each element is
computed by the reference's operations in the reference's order, without fused multiply-adds, so the
results are the reference's bit for bit (tests/test_ace_kernel.py holds them equal, not close).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@njit(**_JIT)
def shifted_log_odds(eta, beta, x, ks, phase, stream, value, out):
    """``out[d, j, c] = eta[d, c, phase_j, stream_j] + beta[d, k_j] * (value - x[c, k_j])`` for the factors ``ks``."""
    n_draws, n_cases = eta.shape[0], eta.shape[1]
    for d in range(n_draws):
        for j in range(ks.shape[0]):
            k, p, s = ks[j], phase[j], stream[j]
            b = beta[d, k]
            for c in range(n_cases):
                out[d, j, c] = eta[d, c, p, s] + b * (value - x[c, k])


@njit(**_JIT)
def windows_under(q_new, others, lam, kap, pibar, rho, phase, stream, p1, p2):
    """``P(W1)`` and ``P(W2)`` (draw, factor, case) with each factor's stream at ``q_new``.

    ``others[d, c, p, s]``: the product of the other streams of ``(p, s)``; ``lam``, ``kap`` (draw, phase);
    ``pibar`` (draw, case, phase) at the codes; ``rho`` (draw,).  The moved phase's ``pibar`` is
    ``lam + (1 - lam) (1 - kap) others q_new``; ``P(W2) = pibar2 P(W1) + pibar2 rho (1 - P(W1))``.
    """
    n_draws, n_factors, n_cases = q_new.shape
    for d in range(n_draws):
        r = rho[d]
        for j in range(n_factors):
            p, s = phase[j], stream[j]
            la, ka = lam[d, p], kap[d, p]
            scale = (1.0 - la) * (1.0 - ka)
            for c in range(n_cases):
                moved = la + scale * others[d, c, p, s] * q_new[d, j, c]
                if p == 0:
                    one, two = moved, pibar[d, c, 1]
                else:
                    one, two = pibar[d, c, 0], moved
                p1[d, j, c] = one
                p2[d, j, c] = two * one + two * r * (1.0 - one)


def warm() -> None:
    """Compile both kernels into numba's on-disk cache with the argument types the queries pass
    (``python -m bayesstreams.fast.adapter``, run by ``scripts/setup.sh``), so that ``analyze`` loads them."""
    n = 2
    ks, phase, stream = np.array([0, 1]), np.array([0, 1]), np.array([1, 2])
    z = np.empty((n, 2, n))
    shifted_log_odds(np.zeros((n, n, 2, 3)), np.ones((n, 2)), np.ones((n, 2)), ks, phase, stream, 1.0, z)
    windows_under(np.full((n, 2, n), 0.5), np.full((n, n, 2, 3), 0.5), np.full((n, 2), 0.1), np.full((n, 2), 0.1),
                  np.full((n, n, 2), 0.3), np.full(n, 0.2), phase, stream, np.empty_like(z), np.empty_like(z))
