"""Many interventions on one phase of one case, evaluated from coefficients read off once (MODEL.md §9).

:func:`bayesstreams.analysis.case_evidence.counterfactual` is the reference: for every set of
factor changes it rebuilds both phases' joints and sums the 32 combinations of phases and gate.
When the sets move one phase only (a lever, a step, a plan: each is a set of factors of the
target's phase), everything but that phase's counterfactual coupling is the same for every set.
The sum over combinations is linear in the moved phase's joint, whose four cells are themselves
linear in two per-set numbers, ``k_new`` (every stream of the phase in motion in the
counterfactual world, agreeing with the coded streams) and ``k_both`` (in motion in both worlds).
So per draw

    P(target' = 1, evidence) = A + B * k_new + C * k_both,

with ``A, B, C`` read off once per case, target and ``do(W1 = 1)`` from four calls of the
reference sum (:func:`~bayesstreams.analysis.case_evidence.combine_sums`) with unit joints.  A set
then costs a handful of array operations instead of a full pass; the result equals the
reference up to rounding (tests/test_score_batch.py holds the two together to 1e-12).
"""

from __future__ import annotations

import numpy as np

from bayesstreams.analysis.case_evidence import _phase_joint, combine_sums, counterfactual

KEYS = ((1, 1), (1, 0), (0, 1), (0, 0))


def moved_phase(q_new) -> int | None:
    """The one phase that ``q_new`` (a pair of per-phase arrays from ``_Case.q_under``) moves, else None."""
    if not isinstance(q_new, tuple):
        return None
    moved = [p for p, q in enumerate(q_new) if np.ndim(q) == 3]
    return moved[0] if len(moved) == 1 else None


def coefficients(q, lam, kap, rho, evidence, target: int, w1_open: bool, moved: int) -> dict:
    """The per-draw pieces of :func:`evaluate` for interventions on phase ``moved`` (see module docs)."""
    other = 1 - moved
    j_other = _phase_joint(q[:, other], q[:, other], evidence.s[other], lam[:, other], kap[:, other])
    unit = {}
    for key in KEYS:
        j_moved = {k: (1.0 if k == key else 0.0) for k in KEYS}
        j1, j2 = (j_moved, j_other) if moved == 0 else (j_other, j_moved)
        unit[key] = combine_sums(j1, j2, rho, evidence, target, w1_open)
    q_m, s = q[:, moved], evidence.s[moved]
    lam_m, kap_m = lam[:, moved], kap[:, moved]
    coded = ~np.isnan(s)
    mass_m = np.where(coded, np.where(s == 1, q_m, 1.0 - q_m), 1.0).prod(axis=-1)
    k_now = np.where(~coded | (s == 1), q_m, 0.0).prod(axis=-1)
    coupled = (1.0 - lam_m) * (1.0 - kap_m)
    c11, c10, c01, c00 = (unit[key][0] for key in KEYS)
    # the factual world at other codes of the moved phase (q' = q): only the cells (1, 1) and (0, 0) remain
    f11, f00, m11, m00 = unit[1, 1][1], unit[0, 0][1], unit[1, 1][2], unit[0, 0][2]
    _, fact, mass = counterfactual(q, q, lam, kap, rho, evidence, target, w1_open)
    return {"a": lam_m * mass_m * c11 + coupled * k_now * c10
                 + ((1.0 - lam_m) * kap_m * mass_m + coupled * (mass_m - k_now)) * c00,
            "b": coupled * (c01 - c00), "c": coupled * (c11 - c10 - c01 + c00),
            "q": q_m, "s": s, "fact": fact, "mass": mass,
            "fact_mass": (lam_m * f11 + (1.0 - lam_m) * kap_m * f00 + coupled * f00, coupled * (f11 - f00)),
            "mass_mass": (lam_m * m11 + (1.0 - lam_m) * kap_m * m00 + coupled * m00, coupled * (m11 - m00))}


def evaluate(coef: dict, q_moved: np.ndarray):
    """``counterfactual``'s ``(counterfactual, factual, mass)`` for the moved phase at ``q_moved`` (set, draw, stream)."""
    q, s = coef["q"], coef["s"]
    k_new = k_both = 1.0
    for stream in range(q.shape[-1]):
        now, new = q[:, stream], q_moved[..., stream]
        low = np.minimum(now, new)
        if np.isnan(s[stream]):
            k_new, k_both = k_new * new, k_both * low
        elif s[stream] == 1:
            k_new, k_both = k_new * low, k_both * low
        else:  # coded still: never in motion in the factual world
            k_new, k_both = k_new * (np.maximum(now, new) - now), 0.0
    with np.errstate(invalid="ignore", divide="ignore"):
        cf = (coef["a"] + coef["b"] * k_new + coef["c"] * k_both) / coef["mass"]
    shape = np.shape(cf)
    return cf, np.broadcast_to(coef["fact"], shape), np.broadcast_to(coef["mass"], shape)


def evaluate_factual(coef: dict, q_moved: np.ndarray) -> np.ndarray:
    """``P(target = 1 | evidence)`` had the moved phase's codes been those behind ``q_moved`` (set, draw, stream).

    The reference is ``counterfactual(q', q', ...)[1]`` with ``q'`` the changed stream probabilities:
    a factual world at other codes, whose evidence mass changes with them (a find-out-first factor
    known to be ``+1``).  With ``q' = q`` the moved phase's joint keeps only its cells (1, 1) and
    (0, 0), linear in the phase's evidence mass and ``k_now``.
    """
    s = coef["s"]
    mass_m = k_now = 1.0
    for stream in range(q_moved.shape[-1]):
        new = q_moved[..., stream]
        if np.isnan(s[stream]):
            k_now = k_now * new
        elif s[stream] == 1:
            mass_m, k_now = mass_m * new, k_now * new
        else:
            mass_m, k_now = mass_m * (1.0 - new), 0.0
    (fa, fb), (ma, mb) = coef["fact_mass"], coef["mass_mass"]
    with np.errstate(invalid="ignore", divide="ignore"):
        return (fa * mass_m + fb * k_now) / (ma * mass_m + mb * k_now)
