"""The numba kernels of the streams model's log-density, gradient and draw expansion.

Compiled once per machine (``cache=True``: the cache lives in ``bayesstreams/fast/__pycache__``,
or numba's per-user cache folder where that is read-only; ``NUMBA_CACHE_DIR`` moves it);
later processes load the machine code in milliseconds.  Data and priors are arguments
(:class:`~bayesstreams.fast.problem.StreamsProblem`), never compiled in.  :func:`logp_grad`
serves Python callers and the C callbacks :data:`logp_cfunc` / :data:`expand_cfunc`, which
nutpie's sampler threads call without the GIL through one packed buffer.
"""

from __future__ import annotations

import math

import numpy as np
from numba import carray, cfunc, njit, types

from bayesstreams.fast.layout import HEADER, HYPER

# Compiled once per machine; later processes load the machine code from the on-disk cache.
_JIT = dict(cache=True, nogil=True, error_model="numpy")

# ---------------------------------------------------------------------------------------
# Kernels.  Offsets into theta: mu (or u, where a cell is sampled given its effects) 0, tau 6, z (or beta) 12, alpha 12+K, sigma_group 18+K,
# gamma_raw 19+K (cell-major: cell * G + group), then lambda, kappa, rho.


@njit(inline="always", **_JIT)
def _offsets(n_factors, n_groups):
    o_alpha = 12 + n_factors
    o_lam = o_alpha + 6 + (1 + 6 * n_groups if n_groups > 0 else 0)
    return o_alpha, o_alpha + 6, o_alpha + 7, o_lam


@njit(inline="always", **_JIT)
def _softplus(v):
    """log(1 + exp(v)) without overflow."""
    if v > 0.0:
        return v + math.log1p(math.exp(-v))
    return math.log1p(math.exp(v))


@njit(inline="always", **_JIT)
def _sigmoid(v):
    if v >= 0.0:
        return 1.0 / (1.0 + math.exp(-v))
    e = math.exp(v)
    return e / (1.0 + e)


@njit(inline="always", **_JIT)
def _cell_order(cell):
    """The factors of each cell (phase x stream) in codebook order: ``by_cell[start[c]:start[c + 1]]``."""
    by_cell = np.argsort(cell, kind="mergesort")
    start = np.zeros(7, dtype=np.int64)
    for k in range(cell.shape[0]):
        start[cell[k] + 1] += 1
    for c in range(6):
        start[c + 1] += start[c]
    return by_cell, start


@njit(inline="always", **_JIT)
def _cell_kinds(centred, cell):
    """Per cell: 1 where every factor is centred (``theta[c]`` is ``u``, ``mu`` given the effects:
    :func:`bayesstreams.model.centring.cells_given_effects`), 2 where every factor is guided
    (``theta[c]`` is ``mu_std``), else 0 (``theta[c]`` is ``mu``).  A cell without factors is 0."""
    kind = np.full(6, -1, dtype=np.int64)
    for k in range(cell.shape[0]):
        c = cell[k]
        if kind[c] == -1:
            kind[c] = centred[k]
        elif kind[c] != centred[k]:
            kind[c] = 0
    for c in range(6):
        if kind[c] == -1:
            kind[c] = 0
    return kind


@njit(inline="always", **_JIT)
def _guided_mean(theta, cell, guide, c, t2, m0, s0):
    """``(M, P, sum w^2, sum w^2 e)`` of a guided cell: ``mu = M + theta[c] / sqrt(P)`` (see model.hierarchy)."""
    precision, weighted, w2, w2e = 1.0 / (s0 * s0), m0 / (s0 * s0), 0.0, 0.0
    for k in range(cell.shape[0]):
        if cell[k] == c:
            w = 1.0 / (t2 + guide[k, 1])
            precision += w
            weighted += w * guide[k, 0]
            w2 += w * w
            w2e += w * w * guide[k, 0]
    return weighted / precision, precision, w2, w2e


@njit(inline="always", **_JIT)
def _effects(theta, cell, centred, guide, hyper, tau, mu, beta):
    """``mu`` (6) and ``beta`` (factor) of ``theta``, each cell and factor in its parametrisation."""
    kind = _cell_kinds(centred, cell)
    for c in range(6):
        if kind[c] == 1:
            mu[c] = _mu_given_effects(theta, cell, c, hyper[0], hyper[1])
        elif kind[c] == 2:
            mean, precision, _, _ = _guided_mean(theta, cell, guide, c, tau[c] * tau[c], hyper[0], hyper[1])
            mu[c] = mean + theta[c] / math.sqrt(precision)
        else:
            mu[c] = theta[c]
    for k in range(cell.shape[0]):
        c = cell[k]
        if centred[k] == 2:
            a = 1.0 / (tau[c] * tau[c]) + 1.0 / guide[k, 1]
            beta[k] = (mu[c] / (tau[c] * tau[c]) + guide[k, 0] / guide[k, 1]) / a + theta[12 + k] / math.sqrt(a)
        elif centred[k] == 1:
            beta[k] = theta[12 + k]
        else:
            beta[k] = mu[c] + tau[c] * theta[12 + k]
    return kind


@njit(inline="always", **_JIT)
def _guided_cell(theta, grad, cell, c, guide, tau, mu, beta, d_beta, m0, s0):
    """The prior of a guided cell's ``mu`` and effects with the change of variables' Jacobian, less the
    constants of :func:`bayesstreams.fast.problem.prior_constant`; writes its gradient (model.hierarchy)."""
    t2, log_tau = tau[c] * tau[c], theta[6 + c]
    mean, precision, w2, w2e = _guided_mean(theta, cell, guide, c, t2, m0, s0)
    dev = (mu[c] - m0) / s0
    total = -0.5 * dev * dev - 0.5 * math.log(precision)
    d_mu = -dev / s0
    d_log_tau = t2 * w2 / precision
    for k in range(cell.shape[0]):
        if cell[k] != c:
            continue
        a = 1.0 / t2 + 1.0 / guide[k, 1]
        sd = 1.0 / math.sqrt(a)
        diff = beta[k] - mu[c]
        total -= 0.5 * diff * diff / t2 + log_tau + 0.5 * math.log(a)
        g = d_beta[k] - diff / t2
        d_mu += diff / t2 + g * sd * sd / t2
        d_log_tau += diff * diff / t2 - 1.0 + sd * sd / t2
        d_log_tau += g * (2.0 / (t2 * a) * (beta[k] - sd * theta[12 + k] - mu[c]) + theta[12 + k] * sd ** 3 / t2)
        grad[12 + k] = g * sd
    scale = 1.0 / math.sqrt(precision)
    grad[c] += d_mu * scale
    d_mean = -2.0 * t2 * (w2e - mean * w2) / precision
    grad[6 + c] += d_log_tau + d_mu * (d_mean + theta[c] * t2 * scale ** 3 * w2)
    return total


@njit(inline="always", **_JIT)
def _cell_sums(theta, cell, c, shift):
    """The number of factors of cell ``c`` and the sum and sum of squares of their ``theta[12 + k] - shift``."""
    n, total, squares = 0.0, 0.0, 0.0
    for k in range(cell.shape[0]):
        if cell[k] == c:
            d = theta[12 + k] - shift
            n += 1.0
            total += d
            squares += d * d
    return n, total, squares


@njit(inline="always", **_JIT)
def _mu_given_effects(theta, cell, c, m0, s0):
    """``mu[c] = m + s u`` of a cell sampled given its effects (``theta[c]`` is ``u``; see model.hierarchy)."""
    n, total, _ = _cell_sums(theta, cell, c, 0.0)
    t2 = math.exp(2.0 * theta[6 + c])
    precision = n / t2 + 1.0 / (s0 * s0)
    return (total / t2 + m0 / (s0 * s0)) / precision + theta[c] / math.sqrt(precision)


@njit(inline="always", **_JIT)
def _effects_given_cell(theta, grad, cell, c, m0, s0):
    """log of ``Normal(beta; m0 1, tau^2 I + s0^2 1 1') Normal(u; 0, 1)`` of a cell sampled given its effects,
    less the constants :func:`bayesstreams.fast.problem.prior_constant` holds; adds its gradient."""
    n, total, squares = _cell_sums(theta, cell, c, m0)
    t2, s02 = math.exp(2.0 * theta[6 + c]), s0 * s0
    spread = t2 + n * s02
    u = theta[c]
    for k in range(cell.shape[0]):
        if cell[k] == c:
            grad[12 + k] -= (theta[12 + k] - m0 - s02 * total / spread) / t2
    grad[6 + c] += (squares / t2 - s02 * total * total * (t2 + spread) / (spread * spread * t2) - (n - 1.0)
                    - t2 / spread)
    grad[c] -= u
    return (math.log(s0) - (n - 1.0) * theta[6 + c] - 0.5 * math.log(spread)
            - 0.5 * (squares - s02 * total * total / spread) / t2 - 0.5 * u * u)


@njit(**_JIT)
def logp_grad(theta, grad, n_groups, centred, guide, cell, codes, pattern_cell, pattern_group, n_one, n_zero, row_pattern,
              all_one, w_obs, w_val, weight, hyper):
    """Log-density at ``theta`` (PyMC's unconstrained space); writes its gradient into ``grad``.

    ``centred`` (int64, factor): 1 where ``theta[12 + k]`` is ``beta[k]`` (centred), 0 where it is
    ``z[k]`` (non-centred), 2 where it is ``beta_std[k]`` (guided by ``guide[k]``, the estimate and
    variance from the data alone), as :func:`bayesstreams.model.centring.effect_codes` chose.
    """
    n_factors = cell.shape[0]
    _, o_sigma, _, o_lam = _offsets(n_factors, n_groups)
    grad[:] = 0.0
    tau = np.empty(6)
    for c in range(6):
        tau[c] = math.exp(theta[6 + c])
    beta, mu = np.empty(n_factors), np.empty(6)
    _effects(theta, cell, centred, guide, hyper, tau, mu, beta)
    sigma = math.exp(theta[o_sigma]) if n_groups > 0 else 0.0
    prob = np.empty(5)  # lambda (2), kappa (2), rho, and their gradients d_prob in the same layout
    for j in range(5):
        prob[j] = _sigmoid(theta[o_lam + j])
    d_prob = np.zeros(5)
    by_cell, start = _cell_order(cell)
    q = np.empty(codes.shape[0])
    d_pattern = np.empty(codes.shape[0])
    total = _patterns(theta, codes, pattern_cell, pattern_group, n_one, n_zero, beta, sigma, n_groups, by_cell, start,
                      q, d_pattern)
    total += _rows(row_pattern, all_one, w_obs, w_val, weight, prob, q, d_pattern, d_prob)
    d_beta = np.zeros(n_factors)
    d_sigma = _pattern_grad(theta, grad, codes, pattern_cell, pattern_group, d_pattern, sigma, n_groups, by_cell,
                            start, d_beta)
    return total + _priors(theta, grad, cell, tau, mu, beta, sigma, prob, d_beta, d_prob, d_sigma, n_groups, centred,
                           guide, hyper)


@njit(inline="always", **_JIT)
def _patterns(theta, codes, pattern_cell, pattern_group, n_one, n_zero, beta, sigma, n_groups, by_cell, start, q,
              d_pattern):
    """Per pattern: q = logistic(eta) and the observed stream states' log-probability, with d/d eta."""
    n_patterns, n_factors = codes.shape
    o_alpha, _, o_raw, _ = _offsets(n_factors, n_groups)
    total = 0.0
    for j in range(n_patterns):
        c, g = pattern_cell[j], pattern_group[j]
        eta = theta[o_alpha + c]
        for m in range(start[c], start[c + 1]):
            eta += beta[by_cell[m]] * codes[j, by_cell[m]]
        if g >= 0:
            eta += sigma * theta[o_raw + c * n_groups + g]
        # log q = -softplus(-eta) and log(1 - q) = log q - eta, from one exp and one log1p
        e = math.exp(-abs(eta))
        if eta >= 0.0:
            log_q = -math.log1p(e)
            q[j] = 1.0 / (1.0 + e)
        else:
            log_q = eta - math.log1p(e)
            q[j] = e / (1.0 + e)
        total += n_one[j] * log_q + n_zero[j] * (log_q - eta)
        d_pattern[j] = n_one[j] * (1.0 - q[j]) - n_zero[j] * q[j]
    return total


@njit(inline="always", **_JIT)
def _rows(row_pattern, all_one, w_obs, w_val, weight, prob, q, d_pattern, d_prob):
    """Window terms of every distinct row, weighted by its number of cases; adds d/d eta to d_pattern."""
    coupled, bracket, d_row = np.empty(2), np.empty(2), np.empty(3)
    total = 0.0
    for u in range(weight.shape[0]):
        for p in range(2):
            product = all_one[u, p]
            if product != 0.0:
                for c in range(3 * p, 3 * p + 3):
                    if row_pattern[u, c] >= 0:
                        product *= q[row_pattern[u, c]]
            coupled[p] = product
            bracket[p] = prob[p] + (1.0 - prob[p]) * (1.0 - prob[2 + p]) * product
        n = weight[u]
        total += n * _windows(bracket[0], bracket[1], prob[4], w_obs[u, 0], w_obs[u, 1], w_val[u, 0], w_val[u, 1],
                              d_row)
        d_prob[4] += n * d_row[2]
        for p in range(2):  # back through the brackets to the latent streams, lambda and kappa
            lam, kap, d_bracket = prob[p], prob[2 + p], n * d_row[p]
            if coupled[p] != 0.0:
                scale = d_bracket * (1.0 - lam) * (1.0 - kap) * coupled[p]
                for c in range(3 * p, 3 * p + 3):
                    j = row_pattern[u, c]
                    if j >= 0:
                        d_pattern[j] += scale * (1.0 - q[j])
            d_prob[p] += d_bracket * (1.0 - (1.0 - kap) * coupled[p])
            d_prob[2 + p] -= d_bracket * (1.0 - lam) * coupled[p]
    return total


@njit(inline="always", **_JIT)
def _windows(b1, b2, rho, w1_obs, w2_obs, w1, w2, d_row):
    """Window terms of one case (as in likelihood.case_loglik); d_row = d/d(b1, b2, rho)."""
    d_row[0] = 0.0
    d_row[1] = 0.0
    d_row[2] = 0.0
    total = 0.0
    if w1_obs != 0.0:
        if w1 == 1.0:
            total += math.log(b1)
            d_row[0] = 1.0 / b1
        else:
            total += math.log(1.0 - b1)
            d_row[0] = -1.0 / (1.0 - b1)
        if w2_obs != 0.0:
            dependency = w1 + (1.0 - w1) * rho
            both = b2 * dependency
            if w2 == 1.0:
                total += math.log(both)
                d_both = 1.0 / both
            else:
                total += math.log(1.0 - both)
                d_both = -1.0 / (1.0 - both)
            d_row[1] = d_both * dependency
            d_row[2] = d_both * b2 * (1.0 - w1)
    elif w2_obs != 0.0:  # W1 unknown: summed out
        sign = 2.0 * w2 - 1.0
        p_one = w2 * b2 + (1.0 - w2) * (1.0 - b2)
        p_rho = w2 * (b2 * rho) + (1.0 - w2) * (1.0 - b2 * rho)
        mix = b1 * p_one + (1.0 - b1) * p_rho
        total += math.log(mix)
        d_row[0] = (p_one - p_rho) / mix
        d_row[1] = sign * (b1 + (1.0 - b1) * rho) / mix
        d_row[2] = (1.0 - b1) * sign * b2 / mix
    return total


@njit(inline="always", **_JIT)
def _pattern_grad(theta, grad, codes, pattern_cell, pattern_group, d_pattern, sigma, n_groups, by_cell, start,
                  d_beta):
    """Back through eta = alpha + codes . beta (+ sigma gamma_raw) to alpha, beta and the group offsets."""
    n_patterns, n_factors = codes.shape
    o_alpha, _, o_raw, _ = _offsets(n_factors, n_groups)
    d_sigma = 0.0
    for j in range(n_patterns):
        c, g, d_eta = pattern_cell[j], pattern_group[j], d_pattern[j]
        grad[o_alpha + c] += d_eta
        for m in range(start[c], start[c + 1]):
            d_beta[by_cell[m]] += d_eta * codes[j, by_cell[m]]
        if g >= 0:
            d_sigma += d_eta * theta[o_raw + c * n_groups + g]
            grad[o_raw + c * n_groups + g] += d_eta * sigma
    return d_sigma


@njit(inline="always", **_JIT)
def _priors(theta, grad, cell, tau, mu, beta, sigma, prob, d_beta, d_prob, d_sigma, n_groups, centred, guide, hyper):
    """Prior log-densities with Jacobians and constants; completes grad through beta and the transforms."""
    n_factors = cell.shape[0]
    o_alpha, o_sigma, o_raw, o_lam = _offsets(n_factors, n_groups)
    total = hyper[12]
    kind = _cell_kinds(centred, cell)
    for k in range(n_factors):
        c = cell[k]
        if kind[c] == 2:  # guided: the cell's prior below
            continue
        if kind[c] == 1:  # the cell's effects have their joint prior below
            grad[12 + k] = d_beta[k]
        elif centred[k]:  # beta ~ Normal(mu, tau)
            z = (theta[12 + k] - theta[c]) / tau[c]
            total -= 0.5 * z * z + theta[6 + c]
            grad[c] += z / tau[c]
            grad[6 + c] += z * z - 1.0
            grad[12 + k] = d_beta[k] - z / tau[c]
        else:  # beta = mu + tau z, z ~ Normal(0, 1)
            z = theta[12 + k]
            total -= 0.5 * z * z
            grad[c] += d_beta[k]
            grad[6 + c] += d_beta[k] * z * tau[c]
            grad[12 + k] = d_beta[k] * tau[c] - z
    for c in range(6):
        if kind[c] == 1:  # mu given the effects: u ~ Normal(0, 1), the effects' marginal
            total += _effects_given_cell(theta, grad, cell, c, hyper[0], hyper[1])
        elif kind[c] == 2:
            total += _guided_cell(theta, grad, cell, c, guide, tau, mu, beta, d_beta, hyper[0], hyper[1])
        else:
            dev = (theta[c] - hyper[0]) / hyper[1]  # mu ~ Normal
            total -= 0.5 * dev * dev
            grad[c] -= dev / hyper[1]
        ratio = tau[c] / hyper[2]  # tau ~ HalfNormal, log transform
        total += theta[6 + c] - 0.5 * ratio * ratio
        grad[6 + c] += 1.0 - ratio * ratio
        dev = (theta[o_alpha + c] - hyper[3]) / hyper[4]  # alpha ~ Normal
        total -= 0.5 * dev * dev
        grad[o_alpha + c] -= dev / hyper[4]
    if n_groups > 0:
        ratio = sigma / hyper[11]
        total += theta[o_sigma] - 0.5 * ratio * ratio
        grad[o_sigma] = d_sigma * sigma + 1.0 - ratio * ratio
        for j in range(6 * n_groups):
            raw = theta[o_raw + j]
            total -= 0.5 * raw * raw
            grad[o_raw + j] -= raw
    for j in range(5):  # Beta(a, b) on the log-odds scale: a log v + b log(1 - v), Jacobian included
        a, b = hyper[5 + 2 * (j // 2)], hyper[6 + 2 * (j // 2)]
        v, value = theta[o_lam + j], prob[j]
        total -= a * _softplus(-v) + b * _softplus(v)
        grad[o_lam + j] = d_prob[j] * value * (1.0 - value) + a * (1.0 - value) - b * value
    return total


@njit(**_JIT)
def expand(theta, out, cell, n_groups, centred, guide, hyper):
    """The posterior variables of one draw, flat, in the order of :data:`EXPANDED` (group ones only with groups)."""
    n_factors = cell.shape[0]
    o_alpha, o_sigma, o_raw, o_lam = _offsets(n_factors, n_groups)
    n_raw = 6 * n_groups
    tau, mu, beta = np.empty(6), np.empty(6), np.empty(n_factors)
    for c in range(6):
        tau[c] = math.exp(theta[6 + c])
    _effects(theta, cell, centred, guide, hyper, tau, mu, beta)
    out[0:6] = mu
    for k in range(n_factors):  # z
        c = cell[k]
        out[6 + k] = (beta[k] - mu[c]) / tau[c] if centred[k] else theta[12 + k]
    pos = 6 + n_factors
    out[pos:pos + 6] = theta[o_alpha:o_alpha + 6]
    pos += 6
    out[pos:pos + n_raw] = theta[o_raw:o_raw + n_raw]  # gamma_raw (empty without groups)
    pos += n_raw
    for c in range(6):
        out[pos + c] = math.exp(theta[6 + c])  # tau
    pos += 6
    out[pos:pos + n_factors] = beta
    pos += n_factors
    if n_groups > 0:
        sigma = math.exp(theta[o_sigma])
        out[pos] = sigma
        for j in range(n_raw):
            out[pos + 1 + j] = sigma * theta[o_raw + j]  # gamma
        pos += 1 + n_raw
    for j in range(5):
        out[pos + j] = _sigmoid(theta[o_lam + j])  # lambda, kappa, rho
    return pos + 5


@njit(inline="always", **_JIT)
def _unpack(user_data):
    """The sizes and arrays of :meth:`StreamsProblem.user_data`, as views (no copies)."""
    head = carray(user_data, (HEADER,), np.int64)
    blob = carray(user_data, (head[0],), np.float64)
    n_factors, n_patterns, n_rows = head[1], head[2], head[3]
    o = head[8:20]
    cell = blob[o[0]:o[0] + n_factors].view(np.int64)
    codes = blob[o[1]:o[1] + n_patterns * n_factors].reshape((n_patterns, n_factors))
    pattern_cell = blob[o[2]:o[2] + n_patterns].view(np.int64)
    pattern_group = blob[o[3]:o[3] + n_patterns].view(np.int64)
    n_one = blob[o[4]:o[4] + n_patterns]
    n_zero = blob[o[5]:o[5] + n_patterns]
    row_pattern = blob[o[6]:o[6] + 6 * n_rows].view(np.int64).reshape((n_rows, 6))
    all_one = blob[o[7]:o[7] + 2 * n_rows].reshape((n_rows, 2))
    w_obs = blob[o[8]:o[8] + 2 * n_rows].reshape((n_rows, 2))
    w_val = blob[o[9]:o[9] + 2 * n_rows].reshape((n_rows, 2))
    weight = blob[o[10]:o[10] + n_rows]
    hyper = blob[o[11]:o[11] + len(HYPER) + 1]
    centred = blob[head[7]:head[7] + n_factors].view(np.int64)  # head[7]: where the per-factor centring starts
    guide = blob[head[7] + n_factors:head[7] + 3 * n_factors].reshape((n_factors, 2))  # and the guide after it
    sizes = (head[5], head[6], head[4], centred, guide)  # n_dim, n_expanded, n_groups, centred, guide
    return sizes, (cell, codes, pattern_cell, pattern_group, n_one, n_zero, row_pattern, all_one, w_obs, w_val,
                   weight, hyper)


# nutpie's C interface: status 0 = ok, nonzero = this point cannot be evaluated.
_LOGP_SIGNATURE = types.int64(types.uint64, types.CPointer(types.double), types.CPointer(types.double),
                              types.CPointer(types.double), types.voidptr)
_EXPAND_SIGNATURE = types.int64(types.uint64, types.uint64, types.CPointer(types.double),
                                types.CPointer(types.double), types.voidptr)


@njit(inline="always", **_JIT)
def _status(value, grad):
    """nutpie's return code of a log-density call: 4 for a non-finite value, 3 for a non-finite gradient, else 0."""
    if not np.isfinite(value):
        return 4
    for j in range(grad.shape[0]):
        if not np.isfinite(grad[j]):
            return 3
    return 0


@cfunc(_LOGP_SIGNATURE, cache=True)
def logp_cfunc(dim, theta_ptr, grad_ptr, logp_ptr, user_data):
    """``int logp(n, theta*, grad*, logp*, user_data*)`` as nutpie calls it from its sampler threads."""
    sizes, tables = _unpack(user_data)
    n_dim, _, n_groups, centred, guide = sizes
    if dim != n_dim:
        return -1
    theta = carray(theta_ptr, (n_dim,))
    grad = carray(grad_ptr, (n_dim,))
    value = logp_grad(theta, grad, n_groups, centred, guide, *tables)
    carray(logp_ptr, (1,))[0] = value
    return _status(value, grad)


@cfunc(_EXPAND_SIGNATURE, cache=True)
def expand_cfunc(dim, n_out, theta_ptr, out_ptr, user_data):
    """``int expand(n, n_out, theta*, out*, user_data*)``: the posterior variables of one draw."""
    sizes, tables = _unpack(user_data)
    n_dim, n_expanded, n_groups, centred, guide = sizes
    if dim != n_dim or n_out != n_expanded:
        return -1
    expand(carray(theta_ptr, (n_dim,)), carray(out_ptr, (n_expanded,)), tables[0], n_groups, centred, guide,
           tables[11])
    return 0
