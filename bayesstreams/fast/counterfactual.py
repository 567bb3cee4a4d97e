"""A case's counterfactual chance of its target window per draw and intervention, in numba.

The reference is :func:`bayesstreams.analysis.case_evidence.counterfactual` (MODEL.md §9):
per phase the joint of the factual and counterfactual ready states from the per-stream regions
of the noises, then the 32 combinations of both phases and the gate that agree with the known
windows.  The NumPy reference builds a dozen (intervention, draw) temporaries per phase; this
kernel computes each (intervention, draw) in registers.  The products and sums are the
reference's; only the order in which the 32 combinations are added may differ, so the results
agree to rounding (the tests hold them to 1e-12).  Used where many interventions of many
variants of a case are wanted at once (:func:`bayesstreams.analysis.advice.lever_draws_many`).
"""

from __future__ import annotations

import numpy as np
from numba import njit

_JIT = dict(cache=True, nogil=True, error_model="numpy")


@njit(inline="always", **_JIT)
def _phase_joint(q, q_new, s, lam, kap, out):
    """The joint of (ready, ready') of one phase: ``out`` = j11, j10, j01, j00."""
    mass = 1.0
    k_now = 1.0
    k_new = 1.0
    k_both = 1.0
    for i in range(3):
        a, b = q[i], q_new[i]
        low, high = min(a, b), max(a, b)
        if np.isnan(s[i]):
            k_now *= a
            k_new *= b
            k_both *= low
        elif s[i] == 1:
            mass *= a
            k_now *= a
            k_new *= low
            k_both *= low
        else:
            mass *= 1.0 - a
            k_now *= 0.0
            k_new *= high - a
            k_both *= 0.0
    coupled = (1.0 - lam) * (1.0 - kap)
    out[0] = lam * mass + coupled * k_both
    out[1] = coupled * (k_now - k_both)
    out[2] = coupled * (k_new - k_both)
    out[3] = (1.0 - lam) * kap * mass + coupled * (mass - k_now - k_new + k_both)


@njit(**_JIT)
def counterfactual_target(q, q_new, lam, kap, rho, s, w, target, w1_open):
    """``P(target' = 1 | evidence)`` per intervention and draw.

    Parameters
    ----------
    q : (draw, phase, stream) stream probabilities at the codes.
    q_new : (intervention, draw, phase, stream) under each intervention.
    lam, kap : (draw, phase); rho : (draw,).
    s : (phase, stream) coded stream states (NaN: not coded); w : (phase,) known windows (NaN: unknown).
    target : 0 (W1) or 1 (W2); w1_open : also ``do(W1 = 1)``.

    Returns
    -------
    (intervention, draw)
    """
    n_int, n_draws = q_new.shape[0], q_new.shape[1]
    out = np.empty((n_int, n_draws))
    j1 = np.empty(4)
    j2 = np.empty(4)
    ready = np.array([1, 1, 0, 0])  # the factual ready state of each entry of a joint
    ready_new = np.array([1, 0, 1, 0])
    for l in range(n_int):
        for d in range(n_draws):
            _phase_joint(q[d, 0], q_new[l, d, 0], s[0], lam[d, 0], kap[d, 0], j1)
            _phase_joint(q[d, 1], q_new[l, d, 1], s[1], lam[d, 1], kap[d, 1], j2)
            mass = 0.0
            cf = 0.0
            for o in range(4):
                r2, r2n = ready[o], ready_new[o]
                m = 0.0
                c = 0.0
                for i in range(4):
                    w1, w1n = ready[i], ready_new[i]
                    if w1_open:
                        w1n = 1
                    for gate in range(2):
                        now2 = 1 if (r2 == 1 and (w1 == 1 or gate == 1)) else 0
                        new2 = 1 if (r2n == 1 and (w1n == 1 or gate == 1)) else 0
                        if not np.isnan(w[0]) and w1 != w[0]:
                            continue
                        if not np.isnan(w[1]) and now2 != w[1]:
                            continue
                        weight = j1[i] * (rho[d] if gate == 1 else 1.0 - rho[d])
                        m += weight
                        c += weight * (w1n if target == 0 else new2)
                mass += j2[o] * m
                cf += j2[o] * c
            out[l, d] = cf / mass
    return out
