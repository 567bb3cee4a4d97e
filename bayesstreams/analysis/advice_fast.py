"""Many interventions on one phase of one case, evaluated from coefficients read off once (MODEL.md §9).

:func:`bayesstreams.analysis.case_evidence.counterfactual` is the reference: for every set of
factor changes it rebuilds both phases' joints and sums the 32 combinations of phases and gate.
When the sets move one phase only (a lever, a step, a plan: each is a set of factors of the
target's phase), everything but that phase's counterfactual coupling is the same for every set.
The sum over combinations is linear in the moved phase's joint, so per draw

    P(target' = 1, evidence) = sum_k C[k] * j[k],   P(evidence) = sum_k M[k] * j[k]

over the joint's four cells ``j[k]`` (ready, ready'), with the coefficients ``C, M`` (and ``F`` for
the factual target) read off once per case, target and ``do(W1 = 1)`` from four calls of the
reference sum (:func:`~bayesstreams.analysis.case_evidence.combine_sums`) with unit joints.  A set
then costs its phase's four cells (from ``k_new`` and ``k_both``, as ``_phase_joint`` computes
them) and three dot products of four, instead of a full pass.  The cells are computed in one
fixed order, so that where an intervention leaves the coupling alone they vanish exactly as in the
reference.  Over many cases (:func:`prepare_cases`) the coefficients come from one einsum per
quantity with a 0/1 table per case that holds its known windows.  The results equal the reference
up to rounding (tests/test_score_batch.py holds the two together to 1e-12).
"""

from __future__ import annotations

import numpy as np

from bayesstreams.analysis.case_evidence import _phase_joint, _worlds, combine_sums
from bayesstreams.model.likelihood import logistic

KEYS = ((1, 1), (1, 0), (0, 1), (0, 0))


def _arg(values, dtype=float) -> np.ndarray:
    """An argument of a kernel of :mod:`bayesstreams.fast.batch`: C-contiguous and writable, as the set-up compiled
    them (numba types a read-only view apart, which would compile anew on a user's first score)."""
    flags = getattr(values, "flags", None)  # most are already: returned as they are, without np.require's checks
    if flags is not None and flags.c_contiguous and flags.writeable and values.dtype == dtype:
        return values
    return np.require(values, dtype=dtype, requirements=["C", "W"])


def moved_phase(q_new) -> int | None:
    """The one phase that ``q_new`` (a pair of per-phase arrays from ``_Case.q_under``) moves, else None."""
    if not isinstance(q_new, tuple):
        return None
    moved = [p for p, q in enumerate(q_new) if np.ndim(q) == 3]
    return moved[0] if len(moved) == 1 else None


def products(q: np.ndarray, s: np.ndarray, new: np.ndarray | None = None):
    """The moved phase's evidence mass, ``k_now``, ``k_new`` and ``k_both`` (as ``_phase_joint`` defines them).

    Stream by stream in one fixed order, so that equal inputs give equal bits: where an intervention
    leaves a stream's coupling alone, ``k_both`` is ``k_now`` exactly and the joint's cells vanish
    exactly as in the reference (a window known open stays open with probability exactly 1).
    """
    new = q if new is None else new
    mass = k_now = k_new = k_both = 1.0
    for stream in range(q.shape[-1]):
        now, moved = q[..., stream], new[..., stream]
        low = np.minimum(now, moved)
        if np.isnan(s[stream]):
            k_now, k_new, k_both = k_now * now, k_new * moved, k_both * low
        elif s[stream] == 1:
            mass, k_now, k_new, k_both = mass * now, k_now * now, k_new * low, k_both * low
        else:  # coded still: never in motion in the factual world
            mass, k_now, k_new, k_both = mass * (1.0 - now), 0.0 * now, k_new * (np.maximum(now, moved) - now), 0.0
    return mass, k_now, k_new, k_both


def _cells(lam, kap, mass, k_now, k_new, k_both) -> tuple:
    """The four cells (ready, ready') of a phase's joint, in KEYS order, as ``_phase_joint`` computes them."""
    coupled = (1.0 - lam) * (1.0 - kap)
    return (lam * mass + coupled * k_both, coupled * (k_now - k_both), coupled * (k_new - k_both),
            (1.0 - lam) * kap * mass + coupled * (mass - k_now - k_new + k_both))


def _dot(cells: tuple, weights: np.ndarray) -> np.ndarray:
    return cells[0] * weights[0] + cells[1] * weights[1] + cells[2] * weights[2] + cells[3] * weights[3]


def coefficients(q, lam, kap, rho, evidence, target: int, w1_open: bool, moved: int) -> dict:
    """The per-draw pieces of :func:`evaluate` for interventions on phase ``moved`` (see module docs)."""
    other = 1 - moved
    j_other = _phase_joint(q[:, other], q[:, other], evidence.s[other], lam[:, other], kap[:, other])
    unit = {}
    for key in KEYS:
        j_moved = {k: (1.0 if k == key else 0.0) for k in KEYS}
        j1, j2 = (j_moved, j_other) if moved == 0 else (j_other, j_moved)
        unit[key] = combine_sums(j1, j2, rho, evidence, target, w1_open)
    per_key = np.array([[np.broadcast_to(unit[key][n], rho.shape) for key in KEYS] for n in range(3)])
    return _finish(q[:, moved], evidence.s[moved], lam[:, moved], kap[:, moved], per_key)


def _finish(q_m, s, lam_m, kap_m, per_key) -> dict:
    """The coefficients dict from the per-key sums (quantity, key, draw) of the other phase and the gate."""
    mass_m, k_now, _, _ = products(q_m, s)
    cells = _cells(lam_m, kap_m, mass_m, k_now, k_now, k_now)
    cf, fact, mass = _dot(cells, per_key[0]), _dot(cells, per_key[1]), _dot(cells, per_key[2])
    with np.errstate(invalid="ignore", divide="ignore"):
        cf, fact = cf / mass, fact / mass
    return {"q": q_m, "s": s, "lam": lam_m, "kap": kap_m, "per_key": per_key, "cf": cf, "fact": fact, "mass": mass}


def _linear(coef: dict, kernels=None) -> np.ndarray:
    """Each quantity's dot product as ``const + a_new * k_new + a_both * k_both`` (quantity, term, draw).

    The evidence mass and ``k_now`` of the moved phase are those of the factual codes whatever the set
    (``products`` reads them off ``q``), so of the joint's cells only ``k_new`` and ``k_both`` change
    with a set, linearly: ``_dot(_cells(...), w)`` expands to the three terms, computed once per case.
    A set then costs two products and two sums per quantity instead of the four cells and their dot.
    Two sets with the same ``k_new`` and ``k_both`` in a draw give the same bits there (ties stay ties),
    and where two quantities' coefficients are equal (a target known open) their ratio is exactly 1.
    ``kernels`` (:mod:`bayesstreams.fast.batch`): the same terms in numba, the same bits.
    """
    if "linear" not in coef and kernels is not None:
        out = np.empty((3, 3) + np.shape(coef["cf"]))
        kernels.linear_terms(*(_arg(coef[name]) for name in ("q", "s", "lam", "kap")),
                             _arg(coef["per_key"]), out)
        coef["linear"] = out
    if "linear" not in coef:
        lam, kap = coef["lam"], coef["kap"]
        mass_m, k_now, _, _ = products(coef["q"], coef["s"])
        coupled = (1.0 - lam) * (1.0 - kap)
        out = np.empty((3, 3) + np.shape(coef["cf"]))
        for n, w in enumerate(coef["per_key"]):
            out[n, 0] = (lam * mass_m * w[0] + coupled * k_now * w[1] + (1.0 - lam) * kap * mass_m * w[3]
                         + coupled * (mass_m - k_now) * w[3])
            out[n, 1] = coupled * (w[2] - w[3])
            out[n, 2] = coupled * (w[0] - w[1] - w[2] + w[3])
        coef["linear"] = out
    return coef["linear"]


def evaluate(coef: dict, q_moved: np.ndarray):
    """``counterfactual``'s ``(counterfactual, factual, mass)`` for the moved phase at ``q_moved`` (set, draw, stream)."""
    _, _, k_new, k_both = products(coef["q"], coef["s"], q_moved)
    terms = _linear(coef)
    cf, fact, mass = (terms[n, 0] + terms[n, 1] * k_new + terms[n, 2] * k_both for n in range(3))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cf / mass, fact / mass, mass


def evaluate_target(coef: dict, q_moved: np.ndarray, kernels=None) -> np.ndarray:
    """:func:`evaluate`'s first value alone, by the same operations: the factual chance is not computed.

    ``kernels``: :mod:`bayesstreams.fast.batch` (the caller loads it), the same operations per set
    and draw in numba, so the same bits.
    """
    if kernels is not None and np.ndim(q_moved) == 3:
        out = np.empty(np.shape(q_moved)[:2])
        kernels.evaluate_target(_arg(coef["q"]), _arg(coef["s"]),
                                _arg(np.swapaxes(q_moved, 1, 2)), _linear(coef, kernels), out)
        return out
    _, _, k_new, k_both = products(coef["q"], coef["s"], q_moved)
    terms = _linear(coef)
    cf, mass = (terms[n, 0] + terms[n, 1] * k_new + terms[n, 2] * k_both for n in (0, 2))
    with np.errstate(invalid="ignore", divide="ignore"):
        return cf / mass


def evaluate_target_columns(coef: dict, columns: np.ndarray, index: np.ndarray, kernels) -> np.ndarray:
    """:func:`evaluate_target` of the sets whose moved phase's stream ``t`` of set ``j`` is ``columns[index[j, t]]``
    (column, draw), by :func:`bayesstreams.fast.batch.evaluate_target_columns`: the values the gathered
    ``q_moved`` holds, read in place, so the same bits."""
    out = np.empty((len(index), columns.shape[1]))
    kernels.evaluate_target_columns(_arg(coef["q"]), _arg(coef["s"]), _arg(columns), _arg(index, np.int64),
                                    _linear(coef, kernels), out)
    return out


def evaluate_factual(coef: dict, q_moved: np.ndarray, kernels=None) -> np.ndarray:
    """``P(target = 1 | evidence)`` had the moved phase's codes been those behind ``q_moved`` (set, draw, stream).

    The reference is ``counterfactual(q', q', ...)[1]`` with ``q'`` the changed stream probabilities:
    a factual world at other codes, whose evidence mass changes with them (a find-out-first factor
    known to be ``+1``).  ``kernels``: as in :func:`evaluate_target`.
    """
    if "factual_linear" not in coef:  # the cells at k_new = k_both = k_now: two terms, linear in mass and k_now
        lam, kap, w = coef["lam"], coef["kap"], coef["per_key"]
        coupled = (1.0 - lam) * (1.0 - kap)
        coef["factual_linear"] = [(lam * w[n][0] + (1.0 - lam) * kap * w[n][3] + coupled * w[n][3],
                                   coupled * (w[n][0] - w[n][3])) for n in (1, 2)]
    (a1, b1), (a2, b2) = coef["factual_linear"]
    if kernels is not None and np.ndim(q_moved) == 3:
        out = np.empty(np.shape(q_moved)[:2])
        kernels.evaluate_factual(_arg(np.swapaxes(q_moved, 1, 2)), _arg(coef["s"]),
                                 *(_arg(np.broadcast_to(v, out.shape[1:]))
                                   for v in (a1, b1, a2, b2)), out)
        return out
    mass_m, k_now = _mass_and_k_now(q_moved, coef["s"])
    with np.errstate(invalid="ignore", divide="ignore"):
        return (a1 * mass_m + b1 * k_now) / (a2 * mass_m + b2 * k_now)


def _mass_and_k_now(q: np.ndarray, s: np.ndarray):
    """``products(q, s)[:2]``, without the terms of an intervention."""
    mass = k_now = 1.0
    for stream in range(q.shape[-1]):
        now = q[..., stream]
        if np.isnan(s[stream]):
            k_now = k_now * now
        elif s[stream] == 1:
            mass, k_now = mass * now, k_now * now
        else:
            mass, k_now = mass * (1.0 - now), 0.0 * now
    return mass, k_now


# ---------------------------------------------------------------------------- many cases at once
#
# Over many cases the sum over the 32 combinations is a bilinear form in the two phases' joints:
# sum_g rho_g sum_{k1, k2} T[g, case, k1, k2] j1[k1] j2[k2], with T a 0/1 table per case (does the
# combination agree with the case's known windows, and is the target window open in it).  The
# tables hold the cases' evidence, so one einsum over all cases replaces a loop of reference sums.


def _tables(w: np.ndarray, target: int, w1_open: bool) -> np.ndarray:
    """0/1 tables (quantity, gate, case, key1, key2): quantity 0 the counterfactual target, 1 the factual, 2 the mass."""
    out = np.zeros((3, 2, len(w), 4, 4))
    for a, (w1, w1n) in enumerate(KEYS):
        for b, (r2, r2n) in enumerate(KEYS):
            for gate in (0, 1):
                now, new = _worlds(w1, w1n, r2, r2n, gate, w1_open)
                ok = np.ones(len(w), dtype=bool)
                for window in range(2):
                    ok &= np.isnan(w[:, window]) | (w[:, window] == now[window])
                out[0, gate, :, a, b] = ok * bool(new[target])
                out[1, gate, :, a, b] = ok * bool(now[target])
                out[2, gate, :, a, b] = ok
    return out


def _joint(q, s, lam, kap, kernels=None) -> np.ndarray:
    """One phase's factual joint of many cases, stacked (case, key, draw): q (case, draw, stream), s (case, stream).

    ``_phase_joint(q, q, ...)``: without an intervention ``k_new = k_both = k_now``, so only the
    evidence mass and ``k_now`` are needed, each stream's evidence read per case.  ``kernels``
    (:mod:`bayesstreams.fast.batch`): the same operations in numba, the same bits.
    """
    if kernels is not None:
        out = np.empty((q.shape[0], 4, q.shape[1]))
        kernels.joint_cells(_arg(q), _arg(s), _arg(lam), _arg(kap), out)
        return out
    mass = k_now = 1.0
    for stream in range(q.shape[-1]):
        code, now = s[:, stream, None], q[..., stream]
        coded, on = ~np.isnan(code), code == 1
        mass = mass * np.where(coded, np.where(on, now, 1.0 - now), 1.0)
        k_now = k_now * np.where(~coded | on, now, 0.0)
    return np.stack(_cells(lam, kap, mass, k_now, k_now, k_now), axis=1)


def _per_key(tables: np.ndarray, joint: np.ndarray, rho: np.ndarray, moved: int, kernels=None) -> np.ndarray:
    """Coefficients of the moved phase's joint (case, key, draw): the other phase's ``joint`` summed in.

    One 0/1 table of 4 x 4 per case and gate times the other phase's four cells (:func:`_apply`);
    ``kernels`` (:mod:`bayesstreams.fast.batch`): the same sums in numba, the same bits.
    """
    table = tables if moved == 0 else np.swapaxes(tables, -1, -2)
    if kernels is not None:
        out = np.empty(joint.shape)
        kernels.per_key(_arg(table), _arg(joint), _arg(rho), out)
        return out
    return (1.0 - rho) * _apply(table[0], joint) + rho * _apply(table[1], joint)


def _apply(table: np.ndarray, joint: np.ndarray) -> np.ndarray:
    """``table @ joint`` for 0/1 tables (case, 4, 4) and cells (case, 4, draw), by sums of the cells it selects.

    A case's table depends only on which windows it knows, so there are at most nine of them: the
    cases sharing one are summed together, each output cell the sum of its selected cells in key
    order (what the matrix product computes, without its multiplications by 0 and 1).
    """
    out = np.zeros(joint.shape)
    patterns, inverse = np.unique(table.reshape(len(table), 16) != 0, axis=0, return_inverse=True)
    for n, pattern in enumerate(patterns):
        rows = np.flatnonzero(inverse.reshape(-1) == n)
        whole = len(rows) == len(table)
        cells = joint if whole else joint[rows]
        for j in range(4):
            keys = np.flatnonzero(pattern[4 * j:4 * j + 4])
            if not len(keys):
                continue
            total = cells[:, keys[0]].copy()
            for k in keys[1:]:
                total += cells[:, k]
            if whole:
                out[:, j] = total
            else:
                out[rows, j] = total
    return out


def _sum(tables: np.ndarray, j1: np.ndarray, j2: np.ndarray, rho: np.ndarray, kernels=None) -> np.ndarray:
    """The whole bilinear sum (case, draw); ``kernels``: in one numba pass, the same products and sums."""
    if kernels is not None:
        out = np.empty((j1.shape[0], j1.shape[2]))
        kernels.bilinear_sums(_arg(tables), _arg(j1), _arg(j2), _arg(rho), out)
        return out
    return (_per_key(tables, j2, rho, 0, kernels) * j1).sum(axis=1)


def _mass_and_streams(q, d, s, w, kernels=None):
    """Every case's evidence mass (case, draw) and stream posterior (case, draw, phase, stream); q (case, draw, phase, stream)."""
    lam, kap, rho = d["lambda"], d["kappa"], d["rho"]
    tables = _tables(w, 0, False)[2]
    joints = [_joint(q[:, :, p], s[:, p], lam[:, p], kap[:, p], kernels) for p in range(2)]
    mass = _sum(tables, joints[0], joints[1], rho, kernels)
    streams = np.empty(q.shape)
    for p in range(2):
        for stream in range(3):
            s_on = s[:, p].copy()
            s_on[:, stream] = 1.0
            on = list(joints)
            on[p] = _joint(q[:, :, p], s_on, lam[:, p], kap[:, p], kernels)
            with np.errstate(invalid="ignore", divide="ignore"):
                share = _sum(tables, on[0], on[1], rho, kernels) / mass
            coded = ~np.isnan(s[:, p, stream])
            streams[:, :, p, stream] = np.where(coded[:, None], s[:, p, stream, None], share)
    return mass, streams, joints


def _coefficients_cases(q, d, s, w, target: int, w1_open: bool, joints, kernels=None) -> list[dict]:
    """:func:`coefficients` of many cases at once (interventions on the target's phase), one dict per case."""
    moved = target
    lam, kap, rho = d["lambda"], d["kappa"], d["rho"]
    tables = _tables(w, target, w1_open)
    per_key = np.stack([_per_key(tables[n], joints[1 - moved], rho, moved, kernels) for n in range(3)], axis=1)
    q_m = np.ascontiguousarray(q[:, :, moved])
    if kernels is not None:  # _finish of every case in one pass, the same operations
        cf, fact, mass = (np.empty(q_m.shape[:2]) for _ in range(3))
        kernels.finish_cases(q_m, _arg(s[:, moved]), _arg(lam[:, moved]), _arg(kap[:, moved]), _arg(per_key),
                             cf, fact, mass)
        return [{"q": q_m[i], "s": s[i, moved], "lam": lam[:, moved], "kap": kap[:, moved], "per_key": per_key[i],
                 "cf": cf[i], "fact": fact[i], "mass": mass[i]} for i in range(q.shape[0])]
    return [_finish(q_m[i], s[i, moved], lam[:, moved], kap[:, moved], per_key[i]) for i in range(q.shape[0])]


def prepare_cases(base, s: np.ndarray, w: np.ndarray, targets: list, phases, rows=slice(None),
                  kernels=None) -> list[dict]:
    """The per-draw pieces of every case's advice in a few passes over all cases (batch scoring).

    Returns one dict per case, the cache of its ``_Case`` in :mod:`bayesstreams.analysis.advice`:
    ``q``, the evidence ``mass`` (the likelihood that reweights a profile's draws), the stream
    posterior, the chance of each window and the :func:`coefficients` of the interventions the
    advice evaluates (on the target's phase; on phase 2 under ``do(W1 = 1)`` when the target is W1).
    Each equals what the case computes alone, up to rounding.  ``rows`` selects the cases of
    ``base`` (and of ``s``, ``w``, ``targets``) to prepare: a caller bounds the memory by preparing
    a block of cases at a time.  ``kernels``: :mod:`bayesstreams.fast.batch` (the caller loads it), whose
    joints and per-key sums are the NumPy's bit for bit.
    """
    d = base.draws
    # advice._logistic, elementwise: the same bits as per case; cases first, so that each case's pieces are contiguous
    q = logistic(np.ascontiguousarray(np.moveaxis(base.eta[:, rows], 1, 0)))
    s, w = np.asarray(s, dtype=float)[rows], np.asarray(w, dtype=float)[rows]
    targets = list(np.asarray(targets, dtype=object)[rows])
    mass, streams, joints = _mass_and_streams(q, d, s, w, kernels)
    caches = [{"q": q[i], "mass": mass[i], "streams": streams[i]} for i in range(q.shape[0])]
    jobs = [(0, False)] + ([(1, False), (1, True)] if 2 in phases else [])
    for target, w1_open in jobs:
        rows = [i for i, t in enumerate(targets) if (t == 0 if w1_open else True)]
        if not rows:
            continue
        index = np.asarray(rows)
        coefs = _coefficients_cases(q[index], d, s[index], w[index], target, w1_open,
                                    [joint[index] for joint in joints], kernels)
        for j, i in enumerate(rows):
            coef = coefs[j]
            caches[i][("factual", target, w1_open)] = (coef["cf"], coef["fact"], coef["mass"])
            caches[i][("coefficients", target, w1_open, target)] = coef
    return caches
