"""Counterfactuals of one case given what is known of it (MODEL.md §9, abduction), exact per draw.

The streams model (MODEL.md §2) read as a structural model with independent uniform noises:
stream ``s`` of phase ``p`` is in motion iff ``U[p,s] < q[p,s]``; phase ``p``'s window is
*ready* iff it leaks (``A[p] < lambda[p]``) or all three streams are in motion and it is not
missed (``B[p] >= kappa[p]``); ``W1 = ready1`` and ``W2 = ready2 and (W1 or G)`` with
``G = 1{V < rho}``.  This gives back exactly the probabilities of §2.

A counterfactual ``do(x = x')`` changes ``q`` into ``q'`` and keeps every noise.  Given the
evidence of the case (its coded stream states and known windows; the codes are in ``q``), the
three steps of Pearl's counterfactual are exact and cheap:

* per stream, the joint of the factual and counterfactual states ``(S, S')`` has three
  regions of ``U`` (both in motion with ``min(q, q')``, one of them with ``|q' - q|``,
  neither with ``1 - max(q, q')``); a coded ``S`` keeps the regions that agree with it;
* per phase, the factual and counterfactual couplings ``(K, K')`` (all streams in motion)
  follow from the per-stream products by inclusion-exclusion, and the leak and miss give
  the joint of the two ready states;
* the two phases and ``G`` are summed over their 32 combinations; the combinations that
  contradict the known windows are dropped.

The mass of the evidence (the sum before normalising) is the case's likelihood per draw,
the weight with which a profile that is not in the data reweights the posterior draws.
Every function broadcasts over leading axes of ``q`` (plans, draws).
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import product

import numpy as np

W1, W2 = 0, 1


@dataclass(frozen=True)
class Evidence:
    """What is known of one case besides its codes.

    Attributes
    ----------
    s : (phase, stream) coded stream states, ``1``, ``0`` or NaN (not coded).
    w : (phase,) known windows, ``1``, ``0`` or NaN (unknown).
    """

    s: np.ndarray
    w: np.ndarray

    @property
    def target(self) -> int | None:
        """The first window not yet open (``W1`` if closed or unknown, else ``W2``); None if both opened."""
        for window in (W1, W2):
            if self.w[window] != 1:
                return window
        return None


def case_evidence(dataset, i: int) -> Evidence:
    """The coded stream states and known windows of case ``i`` of ``dataset``."""
    return Evidence(np.asarray(dataset.s[i], dtype=float), np.asarray(dataset.w[i], dtype=float))


def _phase_joint(q, q_new, s, lam, kap):
    """Joint (ready, ready') of each phase with the stream evidence: four arrays (..., phase).

    The streams' products are taken one stream at a time, with each stream's factor chosen by its
    code (a case's codes are known before any draw): the same factors multiplied in the same order as
    :func:`_phase_joint_reference` (a factor of 1 left out, which changes no bit), so the same numbers
    to the last bit, without the four masked arrays over every draw and stream (3-10x faster; the
    advice calls this for every lever and plan of a case).
    """
    s = np.asarray(s, dtype=float)
    if s.ndim != 1:  # codes that vary along the draws: the masked reference
        return _phase_joint_reference(q, q_new, s, lam, kap)
    mass = k_now = np.ones(np.shape(q)[:-1], dtype=np.result_type(q, 1.0))
    k_new = k_both = np.ones(np.broadcast_shapes(np.shape(q), np.shape(q_new))[:-1], dtype=np.result_type(q, q_new, 1.0))
    for j, code in enumerate(s):
        q_j, new_j = q[..., j], q_new[..., j]
        low = np.minimum(q_j, new_j)
        if np.isnan(code):  # not coded: no evidence, the stream may be in motion in either world
            k_now, k_new, k_both = k_now * q_j, k_new * new_j, k_both * low
        elif code == 1:
            mass, k_now, k_new, k_both = mass * q_j, k_now * q_j, k_new * low, k_both * low
        else:  # coded still: never in motion in the factual world
            mass, k_now, k_both = mass * (1.0 - q_j), k_now * 0.0, k_both * 0.0
            k_new = k_new * (np.maximum(q_j, new_j) - q_j)
    return _cells(mass, k_now, k_new, k_both, lam, kap)


def _cells(mass, k_now, k_new, k_both, lam, kap):
    coupled = (1.0 - lam) * (1.0 - kap)
    j11 = lam * mass + coupled * k_both
    j10 = coupled * (k_now - k_both)
    j01 = coupled * (k_new - k_both)
    j00 = (1.0 - lam) * kap * mass + coupled * (mass - k_now - k_new + k_both)
    return {(1, 1): j11, (1, 0): j10, (0, 1): j01, (0, 0): j00}


def _phase_joint_reference(q, q_new, s, lam, kap):
    """:func:`_phase_joint` with masks over every stream (codes broadcast along the draws too): the reference."""
    coded = ~np.isnan(s)
    allow = ~coded | (s == 1)  # the stream may be in motion in the factual world
    low, high = np.minimum(q, q_new), np.maximum(q, q_new)
    mass = np.where(coded, np.where(s == 1, q, 1.0 - q), 1.0).prod(axis=-1)
    k_now = np.where(allow, q, 0.0).prod(axis=-1)
    k_new = np.where(coded, np.where(s == 1, low, high - q), q_new).prod(axis=-1)
    k_both = np.where(allow, low, 0.0).prod(axis=-1)
    return _cells(mass, k_now, k_new, k_both, lam, kap)


def counterfactual(q, q_new, lam, kap, rho, evidence: Evidence, target: int, w1_open: bool = False):
    """``P(target' = 1 | evidence)``, ``P(target = 1 | evidence)`` and the evidence mass, per draw.

    Parameters
    ----------
    q, q_new : (..., phase, stream) stream probabilities at the codes and under the intervention;
        ``q_new`` may also be a pair of (..., stream) arrays, one per phase (a phase the
        intervention leaves alone then need not be broadcast over the interventions).
    lam, kap : (..., phase) leak and miss; rho : (...) phase dependency (leading axes broadcast).
    evidence : the case's coded streams and known windows.
    target : ``W1`` (0) or ``W2`` (1).
    w1_open : also set ``do(W1 = 1)`` in the counterfactual world (phase 2 once phase 1 is open).

    Returns
    -------
    (counterfactual, factual, mass), each (...): the two conditional probabilities and
    ``P(evidence | x)``, the case's likelihood.
    """
    new1, new2 = q_new if isinstance(q_new, tuple) else (q_new[..., 0, :], q_new[..., 1, :])
    j1 = _phase_joint(q[..., 0, :], new1, evidence.s[0], lam[..., 0], kap[..., 0])
    j2 = _phase_joint(q[..., 1, :], new2, evidence.s[1], lam[..., 1], kap[..., 1])
    return _combine(j1, j2, rho, evidence, target, w1_open)


def _worlds(w1, w1n, r2, r2n, gate, w1_open: bool):
    """The factual and counterfactual windows ``(W1, W2), (W1', W2')`` of one combination of noises."""
    w1n = 1 if w1_open else w1n  # the noises of phase 1 are summed out; its window is set
    return (w1, r2 and (w1 or gate)), (w1n, r2n and (w1n or gate))


def _combine(j1, j2, rho, evidence: Evidence, target: int, w1_open: bool):
    """Sum the 32 combinations of both phases and the gate, keeping those that agree with the known windows.

    The gate and the phase whose arrays are smaller (the one the interventions leave alone) are
    summed first, so the arrays broadcast over the interventions are touched only four times each.
    """
    cf, fact, mass = combine_sums(j1, j2, rho, evidence, target, w1_open)
    with np.errstate(invalid="ignore", divide="ignore"):
        return cf / mass, fact / mass, mass


def combine_sums(j1, j2, rho, evidence: Evidence, target: int, w1_open: bool):
    """:func:`_combine` before normalising: ``P(target' = 1, evidence)``, ``P(target = 1, evidence)``, ``P(evidence)``.

    Linear in each phase's joint, which lets a caller read off the coefficients of one phase's
    joint once and evaluate many interventions on that phase cheaply (:mod:`bayesstreams.analysis.advice_fast`).
    """
    known = ~np.isnan(evidence.w)
    first_small = np.size(j1[1, 1]) <= np.size(j2[1, 1])
    outer, inner = (j2, j1) if first_small else (j1, j2)
    mass = cf = fact = 0.0
    for key_out, weight_out in outer.items():
        m = c = f = 0.0
        for key_in, weight_in in inner.items():
            (w1, w1n), (r2, r2n) = (key_in, key_out) if first_small else (key_out, key_in)
            for gate in (0, 1):
                now, new = _worlds(w1, w1n, r2, r2n, gate, w1_open)
                if any(known[w] and now[w] != evidence.w[w] for w in (W1, W2)):
                    continue
                weight = weight_in * (rho if gate else 1.0 - rho)
                m = m + weight
                c = c + weight * new[target]
                f = f + weight * now[target]
        mass, cf, fact = mass + weight_out * m, cf + weight_out * c, fact + weight_out * f
    return cf, fact, mass


def evidence_mass(q, lam, kap, rho, evidence: Evidence):
    """``P(evidence | x)`` per draw: the case's likelihood (equal to exp of MODEL.md §2's case log-likelihood)."""
    return counterfactual(q, q, lam, kap, rho, evidence, W1)[2]


def stream_posterior(q, lam, kap, rho, evidence: Evidence):
    """``P(S[p,s] = 1 | evidence)`` per draw, (..., phase, stream): a coded stream keeps its code."""
    mass = evidence_mass(q, lam, kap, rho, evidence)
    out = np.empty(np.broadcast_shapes(q.shape, np.shape(mass) + (1, 1)))
    for p, s in product(range(q.shape[-2]), range(q.shape[-1])):
        if not np.isnan(evidence.s[p, s]):
            out[..., p, s] = evidence.s[p, s]
            continue
        s_on = evidence.s.copy()
        s_on[p, s] = 1.0
        with np.errstate(invalid="ignore", divide="ignore"):
            out[..., p, s] = evidence_mass(q, lam, kap, rho, Evidence(s_on, evidence.w)) / mass
    return out


def phase1_necessity(rho):
    """``P(W2 would be 0 under do(W1 = 0) | W1 = W2 = 1, evidence) = 1 - rho`` per draw (MODEL.md §9).

    With ``W1 = 1`` known, the gate ``G`` never acted, so the evidence says nothing of it;
    under ``do(W1 = 0)`` phase 2 stays open only through the gate.
    """
    return 1.0 - np.asarray(rho, dtype=float)
