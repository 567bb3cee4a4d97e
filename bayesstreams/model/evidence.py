"""The evidence model (MODEL.md §7): each cell's record is a weight vector over its latent code.

Every cell ``(i, k)`` has a latent true code in ``{-1, 0, +1}`` (:data:`CODES`, in that order);
what was recorded about it is a weight vector ``w[i, k, :]`` over the three codes.  Streams are
independent given the codes, so the codes sum out exactly per stream: for the factors of stream
``(p, s)`` that are uncertain in some case, every one of the ``3^m`` joint codes is enumerated::

    Z[i,p,s]  = sum_x prod_k w[i,k](x_k)
    qt[i,p,s] = sum_x prod_k w[i,k](x_k) logistic(alpha + sum_k beta_k x_k) / Z[i,p,s]

Factors that are a point mass in every case (an observed code under consensus) add a fixed
``beta_k x_k`` and their weight to ``Z``.  One implementation serves PyTensor (inside the PyMC
model, with a leading draw axis of length 1) and NumPy (saved draws, queries, tests): every
array here carries a leading draw axis, and the math namespace is passed in.

The mode is read from the parameters a run holds (:func:`options_of_draws`), so queries and the
pointwise log-likelihood of saved draws need no model file.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import numpy as np

from bayesstreams.errors import InputError, Violation
from bayesstreams.model.likelihood import bracket_of_log_q, numpy_math, windows_loglik
from bayesstreams.model.modes import is_v1, mode_of, options_of_draws, respondents_of  # noqa: F401  (re-exported)

CODES = (-1.0, 0.0, 1.0)
CODE_LABELS = ("-1", "0", "+1")
MAX_STATES = 3 ** 9  # joint codes enumerated per stream; beyond this the exact sum is too slow to sample


def code_coords() -> dict[str, list[str]]:
    """The coordinates of the evidence parameters' code dims (``code_prob``, ``confusion``)."""
    return {"code": list(CODE_LABELS), "true_code": list(CODE_LABELS), "reported_code": list(CODE_LABELS)}


@dataclass(frozen=True)
class EvidenceData:
    """What was recorded per cell, as arrays (NumPy; ``pm.Data`` in the PyMC model).

    Attributes
    ----------
    support : (case, factor, 3) 1 where the code is possible under consensus (observed code: its
        one code; not discussed: all three).
    discussed : (case, factor) 1 where any code was recorded.
    counts : (case, factor, 3) how many respondents reported each code (latent respondents).
    """

    support: np.ndarray
    discussed: np.ndarray
    counts: np.ndarray


def respondent_counts(dataset, x: np.ndarray) -> np.ndarray:
    """(case, factor, 3) counts of each code over a dataset's respondents; the consensus code where it has none."""
    counts = np.zeros((*x.shape, 3))
    frame = dataset.respondent_codes() if hasattr(dataset, "respondent_codes") else None
    if frame is None or frame.empty:
        coded = ~np.isnan(x)
        counts[coded, np.asarray(x[coded] + 1, dtype=int)] = 1.0
        return counts
    case_pos = {c: i for i, c in enumerate(dataset.case_ids)}
    factor_pos = {f: j for j, f in enumerate(dataset.factor_ids)}
    for case, factor, code in zip(frame["case_id"], frame["factor"], frame["code"]):
        if code == code:  # a respondent who left the cell empty is no evidence
            counts[case_pos[case], factor_pos[factor], int(code) + 1] += 1.0
    return counts


def evidence_data(x: np.ndarray, counts: np.ndarray | None = None) -> EvidenceData:
    """The evidence arrays of codes ``x`` (case, factor; NaN = not discussed) and respondent counts."""
    x = np.asarray(x, dtype=float)
    discussed = ~np.isnan(x)
    support = np.ones((*x.shape, 3))
    support[discussed] = np.eye(3)[np.asarray(x[discussed] + 1, dtype=int)]
    if counts is None:
        counts = support * discussed[..., None]
    return EvidenceData(support, discussed.astype(float), np.asarray(counts, dtype=float))


def cell_weights(options: dict, data: EvidenceData, params: dict, math):
    """Weights ``w[draw, case, factor, code]`` of every cell under the evidence options.

    ``params`` holds ``code_prob`` (draw, factor, 3), ``salience_zero``/``salience_nonzero``
    (draw,) and ``confusion`` (draw, 3, 3) as the options need them; each mode and respondents
    option of :mod:`bayesstreams.model.modes` contributes its factor.
    """
    return mode_of(options).cell_weights(respondents_of(options), data, params, math)


def uncertain_factors(support: np.ndarray, factors: np.ndarray, options: dict,
                      split: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Split a stream's factors into the ones uncertain in some case (enumerated) and point masses (fixed).

    ``split=False`` enumerates every factor of the stream: the sum is the same (a point mass puts
    zero weight on the other codes), and the structure then depends on the codebook alone, so a
    compiled PyMC model can take another dataset's values (SBC, exact leave-one-out);
    :func:`batched_streams` does that for all streams at once.
    """
    if respondents_of(options).codes_latent or not split:
        return factors, factors[:0]
    several = support[:, factors, :].sum(axis=-1).max(axis=0) > 1
    return factors[several], factors[~several]


def _dot(a, b):
    return a @ b


def _log_sigmoid(v, math):
    return -math.softplus(-v)


def stream_evidence(weights, eta_fixed, beta, x_fixed, support, factors, options, math, split=True, n_factors=None):
    """``(log Z, log qt, log (1 - qt))`` of one stream, each (draw, case), by exact enumeration.

    ``eta_fixed`` (draw, case) is the stream's intercept (and group offset); ``x_fixed`` the codes
    (0 where not discussed) of its point-mass factors.
    """
    free, fixed = uncertain_factors(support, factors, options, split)
    n_factors = support.shape[1] if n_factors is None else n_factors
    log_z = 0.0
    for k in fixed:
        eta_fixed = eta_fixed + beta[:, k, None] * x_fixed[None, :, k]
        log_z = log_z + math.log(weights[:, :, k, :].sum(axis=-1))
    if 3 ** len(free) > MAX_STATES:
        raise InputError(Violation("<model>", None, "evidence",
                                   f"a stream has {len(free)} uncertain factors: {3 ** len(free)} joint codes are "
                                   f"too many to sum out exactly (at most {MAX_STATES}); use fewer factors per stream"))
    if not len(free):
        return log_z + 0.0 * eta_fixed, _log_sigmoid(eta_fixed, math), _log_sigmoid(-eta_fixed, math)
    # the joint codes in itertools.product order (first factor slowest), built as outer products: no
    # gathers, so the PyTensor graph and its gradient stay small
    mass = weights[:, :, free[0], :]
    for k in free[1:]:
        mass = (mass[:, :, :, None] * weights[:, :, k, None, :]).reshape((mass.shape[0], mass.shape[1], -1))
    design = np.zeros((n_factors, 3 ** len(free)))
    design[free] = np.array(list(itertools.product(CODES, repeat=len(free)))).T
    eta = eta_fixed[:, :, None] + _dot(beta, design)[:, None, :]
    z = mass.sum(axis=-1)
    log_q = math.log((mass * math.exp(_log_sigmoid(eta, math))).sum(axis=-1)) - math.log(z)
    log_not_q = math.log((mass * math.exp(_log_sigmoid(-eta, math))).sum(axis=-1)) - math.log(z)
    return log_z + math.log(z), log_q, log_not_q


def evidence_streams(options, data: EvidenceData, params: dict, factor_phase, factor_stream, math,
                     x, group_eta=None, split=True):
    """``(log Z (draw, case), log qt, log (1 - qt) (draw, case, phase, stream))`` of every case.

    ``params`` holds ``alpha`` (draw, phase, stream), ``beta`` (draw, factor) and the evidence
    parameters; ``x`` the codes with not-discussed cells at 0 (the point masses); ``group_eta``
    (draw, case, phase, stream) the group offsets, if any.
    """
    weights = cell_weights(options, data, params, math)
    x_fixed = x
    log_z, log_q, log_not_q = 0.0, [], []
    for p in range(2):
        rows_q, rows_nq = [], []
        for s in range(3):
            eta = params["alpha"][:, p, s, None] + 0.0 * data.discussed[None, :, 0]
            if group_eta is not None:
                eta = eta + group_eta[:, :, p, s]
            factors = np.flatnonzero((factor_phase == p) & (factor_stream == s))
            lz, lq, lnq = stream_evidence(weights, eta, params["beta"], x_fixed, data.support, factors, options, math,
                                          split, len(factor_phase))
            log_z = log_z + lz
            rows_q.append(lq)
            rows_nq.append(lnq)
        log_q.append(math.stack(rows_q, axis=-1))
        log_not_q.append(math.stack(rows_nq, axis=-1))
    return log_z, math.stack(log_q, axis=-2), math.stack(log_not_q, axis=-2)


def evidence_case_loglik(options, data: EvidenceData, params: dict, terms, factor_phase, factor_stream, x, math,
                         group_eta=None, split=True):
    """Log-likelihood (draw, case) of MODEL.md §7: ``sum log Z`` plus §2 with ``q`` replaced by ``qt``.

    ``params`` holds, with a leading draw axis, ``alpha``, ``beta``, ``lambda``, ``kappa``, ``rho``
    and the evidence parameters; ``terms`` are the observed streams and windows
    (:func:`bayesstreams.model.likelihood.observed_terms`).
    """
    if split:
        log_z, log_q, log_not_q = evidence_streams(options, data, params, factor_phase, factor_stream, math, x,
                                                   group_eta, split)
    else:
        log_z, log_q, log_not_q = batched_streams(options, data, params, factor_phase, factor_stream, math, group_eta)
    epsilon = params["stream_error"][:, None, None, None] if options["stream_error"] else None
    log_a, bracket = bracket_of_log_q(log_q, log_not_q, params["lambda"][:, None, :], params["kappa"][:, None, :],
                                      terms, math, epsilon)
    return log_z + windows_loglik(log_a, bracket, params["rho"][:, None], terms, math)


def stream_q(options, data: EvidenceData, draws: dict, x, p: int, s: int, factor_phase, factor_stream,
             group_eta=None, do=None, chunk: int = 400, point=None, qt=None) -> np.ndarray:
    """``qt`` (draw, case) of stream ``(p, s)`` in NumPy: the expected ``q`` over the latent codes.

    ``do = (k, values)`` replaces the evidence of factor ``k`` by a point mass at ``values``
    (one per case): the intervention ``do(x_k = v)`` of the queries (MODEL.md §4).
    ``point`` (case, factor; bool) replaces the evidence of those cells by a point mass at
    their value in ``x`` (the completions of not-discussed cells, ``analysis.mode_comparison``).
    ``qt`` computes one stream's ``qt`` from the weights, with :func:`expected_q`'s arguments: the
    NumPy reference by default; the layer that runs the queries hands in the numba kernel
    (:func:`bayesstreams.fast.registry.expected_q`), held equal to it by tests/test_fastlogp_modes.py.
    """
    qt = qt or expected_q
    factors = np.flatnonzero((factor_phase == p) & (factor_stream == s))
    # only the stream's own cells matter: weights, codes and interventions on those columns alone
    x = np.array(np.asarray(x, dtype=float)[:, factors])
    sub = EvidenceData(data.support[:, factors], data.discussed[:, factors], data.counts[:, factors])
    support = sub.support
    if point is not None:
        point = np.asarray(point)[:, factors]
        support = support.copy()
        support[point] = np.eye(3)[np.asarray(x[point] + 1, dtype=int)]
    at = None
    if do is not None:
        at, values = int(np.flatnonzero(factors == do[0])[0]), do[1]
        x[:, at] = values
        support = support.copy()
        support[:, at] = np.eye(3)[np.asarray(values + 1, dtype=int)]
    local = np.arange(len(factors))
    n_draws = draws["beta"].shape[0]
    out = np.empty((n_draws, x.shape[0]))
    for start in range(0, n_draws, chunk):
        part = {name: value[start:start + chunk] for name, value in draws.items()}
        part["beta"] = part["beta"][:, factors]
        if "code_prob" in part:
            part["code_prob"] = part["code_prob"][:, factors]
        weights = cell_weights(options, sub, part, numpy_math())
        weights = np.broadcast_to(weights, (len(part["beta"]), *weights.shape[1:]))
        if point is not None or do is not None:
            weights = weights.copy()
        if point is not None:
            weights[:, point, :] = support[None, point, :]
        if do is not None:
            weights[:, :, at, :] = support[None, :, at, :]
        eta = part["alpha"][:, p, s, None] + np.zeros(x.shape[0])[None]
        if group_eta is not None:
            eta = eta + group_eta[start:start + chunk, :, p, s]
        out[start:start + chunk] = qt(weights, eta, part["beta"], x, support, local, options)
    return out


STACK_BUDGET = 4_000_000  # evidence weights stacked into one kernel call (floats; 32 MB)


def stream_q_do_each(options, data: EvidenceData, draws: dict, x, p: int, s: int, factor_phase, factor_stream,
                     value: float, group_eta=None, chunk: int = 400, qt=None) -> dict[int, np.ndarray]:
    """``{k: stream_q(..., do=(k, value))}`` for every factor ``k`` of stream ``(p, s)``, in few kernel calls.

    The interventions of one stream share the cells' evidence weights, which are computed once per
    chunk of draws; the interventions are stacked along the case axis (at most :data:`STACK_BUDGET`
    weights at a time) and handed to ``qt`` together.  The numba kernel computes every (draw, case)
    on its own, so each result is bit for bit :func:`stream_q`'s; the NumPy reference enumerates a
    factor wherever some stacked case is uncertain in it, which changes the rounding only
    (tests/analysis/test_ace_fast.py holds both to the per-factor path).
    """
    qt = qt or expected_q
    factors = np.flatnonzero((factor_phase == p) & (factor_stream == s))
    x = np.asarray(x, dtype=float)[:, factors]
    sub = EvidenceData(data.support[:, factors], data.discussed[:, factors], data.counts[:, factors])
    n_cases, n_local = x.shape
    point = np.eye(3)[int(value) + 1]
    xs, supports = [], []
    for at in range(n_local):
        x_at, support = x.copy(), sub.support.copy()
        x_at[:, at], support[:, at] = value, point
        xs.append(x_at)
        supports.append(support)
    local = np.arange(n_local)
    n_draws = draws["beta"].shape[0]
    out = {int(k): np.empty((n_draws, n_cases)) for k in factors}
    for start in range(0, n_draws, chunk):
        part = {name: v[start:start + chunk] for name, v in draws.items()}
        part["beta"] = part["beta"][:, factors]
        if "code_prob" in part:
            part["code_prob"] = part["code_prob"][:, factors]
        n_part = len(part["beta"])
        weights = cell_weights(options, sub, part, numpy_math())
        weights = np.broadcast_to(weights, (n_part, *weights.shape[1:]))
        eta = part["alpha"][:, p, s, None] + np.zeros(n_cases)[None]
        if group_eta is not None:
            eta = eta + group_eta[start:start + chunk, :, p, s]
        per_call = max(1, STACK_BUDGET // max(1, n_part * n_cases * n_local * 3))
        for first in range(0, n_local, per_call):
            ats = range(first, min(n_local, first + per_call))
            stacked = np.concatenate([weights] * len(ats), axis=1)
            for j, at in enumerate(ats):
                stacked[:, j * n_cases:(j + 1) * n_cases, at, :] = point
            found = qt(stacked, np.concatenate([eta] * len(ats), axis=1), part["beta"],
                       np.concatenate([xs[at] for at in ats]), np.concatenate([supports[at] for at in ats]),
                       local, options)
            for j, at in enumerate(ats):
                out[int(factors[at])][start:start + chunk] = found[:, j * n_cases:(j + 1) * n_cases]
    return out


def expected_q(weights, eta, beta, x, support, factors, options) -> np.ndarray:
    """``qt`` (draw, case) of one stream in NumPy, the fast form of :func:`stream_evidence` for the queries.

    The reference of the numba kernel :func:`bayesstreams.fast.modes.expected_q`.
    """
    from scipy.special import expit

    free, fixed = uncertain_factors(support, factors, options)
    for k in fixed:
        eta = eta + beta[:, k, None] * x[None, :, k]
    if not len(free):
        return expit(eta)
    mass = weights[:, :, free[0], :]
    for k in free[1:]:
        mass = (mass[:, :, :, None] * weights[:, :, k, None, :]).reshape(mass.shape[0], mass.shape[1], -1)
    codes = np.array(list(itertools.product(CODES, repeat=len(free))))
    eta = eta[:, :, None] + (beta[:, free] @ codes.T)[:, None, :]
    return np.einsum("dcn,dcn->dc", mass, expit(eta)) / mass.sum(axis=-1)


def numpy_namespace():
    """The NumPy math namespace of the likelihood."""
    return numpy_math()


def slot_table(factor_phase, factor_stream) -> tuple[np.ndarray, np.ndarray]:
    """(6 streams, L slots) factor index of each stream's factors, padded, and the mask of real slots."""
    members = [np.flatnonzero((factor_phase == p) & (factor_stream == s)) for p in range(2) for s in range(3)]
    width = max(1, max(len(m) for m in members))
    if 3 ** width > MAX_STATES:
        raise InputError(Violation("<codebook>", None, "evidence",
                                   f"a stream has {width} factors: {3 ** width} joint codes are too many to sum "
                                   f"out exactly (at most {MAX_STATES}); the evidence model needs fewer factors per stream"))
    table, mask = np.zeros((6, width), dtype=int), np.zeros((6, width))
    for row, m in enumerate(members):
        table[row, :len(m)], mask[row, :len(m)] = m, 1.0
    return table, mask


def batched_streams(options, data: EvidenceData, params: dict, factor_phase, factor_stream, math, group_eta=None):
    """:func:`evidence_streams` with all six streams in one enumeration (the PyTensor graph of a fit).

    Every stream's factors fill ``L`` slots (the largest stream's count; empty slots hold a point
    mass at 0 with no effect), so the ``3^L`` joint codes of all streams are one tensor: a dozen
    operations whatever the codebook, which keeps nutpie's compile short.  The structure depends
    on the codebook alone.
    """
    table, mask = slot_table(factor_phase, factor_stream)
    weights = cell_weights(options, data, params, math)[:, :, table, :]              # (draw, case, 6, L, 3)
    pad = mask[None, None, :, :, None]
    weights = pad * weights + (1.0 - pad) * np.eye(3)[1]
    mass = weights[:, :, :, 0, :]
    for slot in range(1, table.shape[1]):
        mass = (mass[:, :, :, :, None] * weights[:, :, :, slot, None, :]).reshape(
            (mass.shape[0], mass.shape[1], 6, -1))
    codes = np.array(list(itertools.product(CODES, repeat=table.shape[1])))       # (state, L)
    beta = params["beta"][:, table] * mask[None]                                    # (draw, 6, L)
    eta = (params["alpha"].reshape((-1, 6))[:, :, None] + _dot(beta, codes.T))[:, None]  # (draw, 1, 6, state)
    if group_eta is not None:
        eta = eta + group_eta.reshape((group_eta.shape[0], group_eta.shape[1], 6))[:, :, :, None]
    z = mass.sum(axis=-1)
    log_q = math.log((mass * math.exp(_log_sigmoid(eta, math))).sum(axis=-1)) - math.log(z)
    log_not_q = math.log((mass * math.exp(_log_sigmoid(-eta, math))).sum(axis=-1)) - math.log(z)
    shape = (mass.shape[0], mass.shape[1], 2, 3)
    return math.log(z).sum(axis=-1), log_q.reshape(shape), log_not_q.reshape(shape)
