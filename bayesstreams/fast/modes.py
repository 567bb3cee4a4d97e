"""The numba kernels of the evidence modes (MODEL.md §7): log-density, gradient, expansion, pointwise.

The density of every combination the model builder accepts (``not_discussed`` zero / marginal /
salience, ``respondents`` consensus / latent, ``stream_error``) is one function of PyMC's
unconstrained parameter vector and the tables of
:class:`~bayesstreams.fast.problem.EvidenceProblem`.  Per stream pattern the joint codes of its
uncertain cells are enumerated (``3^m``, MODEL.md §7)::

    pi_t(c) = w_t(c) / W_t                          # a cell type's weights, normalised
    qt      = sum_x prod_i pi(x_i) logistic(eta0 + sum_i beta_i x_i)
    log P   = sum_cells log W + §2 with q -> qt      # (stream error: the 2^3 sum per phase)

and the gradient is written by hand: ``d qt / d log w_t(c) = H_t(c) - pi_t(c) qt`` with
``H_t(c)`` the part of ``qt`` where the cell's code is ``c``.  The v1 pieces (linear predictor,
window terms, priors of the v1 parameters) are the kernels of :mod:`bayesstreams.fast.kernels`;
the evidence priors add their Dirichlet (PyMC's simplex transform, whose log-Jacobian is
``log 3 + sum_c log p_c`` for three codes) and Beta (log-odds) terms.  The value equals
``model.compile_logp()`` and the gradient ``compile_dlogp()`` (tests/test_fastlogp_modes.py).

Cached on disk like the v1 kernels.  numba's cache is keyed on this file only: after editing a
kernel of :mod:`bayesstreams.fast.kernels` that this module inlines, clear the cache
(``bayesstreams/fast/__pycache__/*.nb[ic]``) as for ``pointwise.py``.
"""

from __future__ import annotations

import math

import numpy as np
from numba import carray, cfunc, njit

from bayesstreams.fast.kernels import (_EXPAND_SIGNATURE, _JIT, _LOGP_SIGNATURE, _cell_order, _effects, _offsets,
                                       _pattern_grad, _priors, _sigmoid, _softplus, _status, _windows)
from bayesstreams.fast.kernels import expand as _expand_v1
from bayesstreams.fast.layout import EV_FEATURES, EV_HEADER, EV_HYPER_SIZE, HYPER, N_CELLS
from bayesstreams.fast.tables import evidence_tables
from bayesstreams.model.modes import evidence_features, options_of_draws

@njit(inline="always", **_JIT)
def _ev_offsets(n_factors, n_groups, flags):
    """Offsets of the evidence blocks in theta: code_prob, salience_zero, salience_nonzero, confusion, stream_error."""
    o = _offsets(n_factors, n_groups)[3] + 5
    o_code = o
    o += 2 * n_factors * flags[0]
    o_sal = o
    o += 2 * flags[1]
    o_conf = o
    o += 6 * flags[2]
    return o_code, o_sal, o_conf, o


@njit(inline="always", **_JIT)
def _softmax3(u0, u1, log_p):
    """PyMC's simplex backward for three codes: y = (u0, u1, -u0 - u1), log p = y - logsumexp(y)."""
    y0, y1, y2 = u0, u1, -u0 - u1
    top = max(y0, max(y1, y2))
    lse = top + math.log(math.exp(y0 - top) + math.exp(y1 - top) + math.exp(y2 - top))
    log_p[0] = y0 - lse
    log_p[1] = y1 - lse
    log_p[2] = y2 - lse


@njit(inline="always", **_JIT)
def _simplex_grad(d_log_p, p, grad, at):
    """Back from d/d log p (three codes) to the two unconstrained coordinates at ``grad[at:at + 2]``."""
    total = d_log_p[0] + d_log_p[1] + d_log_p[2]
    d_y2 = d_log_p[2] - p[2] * total
    grad[at] += d_log_p[0] - p[0] * total - d_y2
    grad[at + 1] += d_log_p[1] - p[1] * total - d_y2


@njit(inline="always", **_JIT)
def _type_weights(log_code, log_sal, log_conf, type_factor, type_support, type_counts, type_discussed, flags,
                  log_w, pi, log_big_w):
    """Per cell type: log w(c), the normalised weights pi(c) and log W (log of the sum of w)."""
    for t in range(type_factor.shape[0]):
        k = type_factor[t]
        top = -np.inf
        for c in range(3):
            if type_support[t, c] == 0.0:
                log_w[t, c] = -np.inf
                continue
            v = 0.0
            if flags[0]:
                v += log_code[k, c]
            if flags[1]:
                v += log_sal[0, c] if type_discussed[t] != 0.0 else log_sal[1, c]
            if flags[2]:
                for r in range(3):
                    if type_counts[t, r] != 0.0:
                        v += type_counts[t, r] * log_conf[c, r]
            log_w[t, c] = v
            top = max(top, v)
        total = 0.0
        for c in range(3):
            if type_support[t, c] != 0.0:
                pi[t, c] = math.exp(log_w[t, c] - top)
                total += pi[t, c]
            else:
                pi[t, c] = 0.0
        for c in range(3):
            pi[t, c] /= total
        log_big_w[t] = top + math.log(total)


@njit(inline="always", **_JIT)
def _logistic_pair(e, eta):
    """``(q, 1 - q)`` at log-odds ``eta`` from ``e = exp(eta)`` (recomputed from ``eta`` where ``e`` over- or underflows)."""
    if 1e-300 < e < 1e300:
        off = 1.0 / (1.0 + e)
        return e * off, off
    a = math.exp(-abs(eta))
    if eta >= 0.0:
        on = 1.0 / (1.0 + a)
        return on, a * on
    off = 1.0 / (1.0 + a)
    return a * off, off


@njit(inline="always", **_JIT)
def _enumerate(j, eta0, beta, pattern_start, slot_type, type_factor, pi, out, slot_d_beta, slot_h, with_grad, work):
    """``(qt, 1 - qt)`` of pattern ``j`` into ``out[0:2]`` (and ``d qt / d eta0`` into ``out[2]``), by enumeration.

    With ``with_grad`` also, per uncertain slot, ``d qt / d beta`` and ``H(c)``: the parts of ``qt``
    (``slot_h[:, c]``) and of ``1 - qt`` (``slot_h[:, 3 + c]``) with the slot's code at c; both are
    kept because ``H_on(c) - pi(c) qt`` cancels where ``qt`` is near 1 (and the other where it is near 0).

    The joint codes of all slots but the last are walked depth first (an odometer, last slot
    fastest): each level keeps its prefix product, its linear predictor and ``exp`` of it, and the
    sums of its subtree; the last slot's three codes are summed in place at every prefix.  A joint
    code then costs a multiplication and a division, not an ``exp``: ``exp(eta)`` is the prefix's
    ``exp`` times ``exp(beta (c - 1))`` of the slot, both known (relative error a few ulp, as
    ``exp`` of the sum; where it over- or underflows the pair is computed from ``eta``).  ``work``
    is scratch of shape (9, m + 1) or more.
    """
    first, last = pattern_start[j], pattern_start[j + 1]
    m = last - first
    digit, prefix, eta_at, acc_on, acc_off, acc_slope = work[0], work[1], work[2], work[3], work[4], work[5]
    e_at, up, down = work[6], work[7], work[8]
    if m == 0:
        on, off = _logistic_pair(math.exp(eta0), eta0)
        out[0] = on
        out[1] = off
        out[2] = on * off
        return
    for level in range(m):
        b = beta[type_factor[slot_type[first + level]]]
        up[level] = math.exp(b)
        down[level] = 1.0 / up[level]
        if with_grad:
            slot_d_beta[first + level] = 0.0
            for c in range(6):
                slot_h[first + level, c] = 0.0
    prefix[0] = 1.0
    eta_at[0] = eta0
    e_at[0] = math.exp(eta0)
    for level in range(m + 1):
        acc_on[level] = 0.0
        acc_off[level] = 0.0
        acc_slope[level] = 0.0
    inner = m - 1  # the slot summed in place
    for level in range(inner):
        digit[level] = 0.0
        t = slot_type[first + level]
        prefix[level + 1] = prefix[level] * pi[t, 0]
        eta_at[level + 1] = eta_at[level] - beta[type_factor[t]]
        e_at[level + 1] = e_at[level] * down[level]
    t_in = slot_type[first + inner]
    b_in = beta[type_factor[t_in]]
    p0, p1, p2 = pi[t_in, 0], pi[t_in, 1], pi[t_in, 2]
    e0, e2 = down[inner], up[inner]
    h = first + inner
    while True:
        weight, eta, e = prefix[inner], eta_at[inner], e_at[inner]
        on0, off0 = _logistic_pair(e * e0, eta - b_in)
        on1, off1 = _logistic_pair(e, eta)
        on2, off2 = _logistic_pair(e * e2, eta + b_in)
        w0, w1, w2 = weight * p0, weight * p1, weight * p2
        a_on0, a_on1, a_on2 = w0 * on0, w1 * on1, w2 * on2
        a_off0, a_off1, a_off2 = w0 * off0, w1 * off1, w2 * off2
        s0, s1, s2 = a_on0 * off0, a_on1 * off1, a_on2 * off2
        if with_grad:
            slot_h[h, 0] += a_on0
            slot_h[h, 1] += a_on1
            slot_h[h, 2] += a_on2
            slot_h[h, 3] += a_off0
            slot_h[h, 4] += a_off1
            slot_h[h, 5] += a_off2
            slot_d_beta[h] += s2 - s0
        acc_on[inner] += a_on0 + a_on1 + a_on2
        acc_off[inner] += a_off0 + a_off1 + a_off2
        acc_slope[inner] += s0 + s1 + s2
        level = inner - 1
        while level >= 0:  # close the subtree of this level's digit, then move the digit on
            c = int(digit[level])
            if with_grad:
                slot_h[first + level, c] += acc_on[level + 1]
                slot_h[first + level, 3 + c] += acc_off[level + 1]
                slot_d_beta[first + level] += (c - 1.0) * acc_slope[level + 1]
            acc_on[level] += acc_on[level + 1]
            acc_off[level] += acc_off[level + 1]
            acc_slope[level] += acc_slope[level + 1]
            acc_on[level + 1] = 0.0
            acc_off[level + 1] = 0.0
            acc_slope[level + 1] = 0.0
            if c < 2:
                digit[level] = c + 1.0
                break
            digit[level] = 0.0
            level -= 1
        if level < 0:
            break
        for at in range(level, inner):  # the prefixes below the digit that moved
            t = slot_type[first + at]
            c = int(digit[at])
            prefix[at + 1] = prefix[at] * pi[t, c]
            eta_at[at + 1] = eta_at[at] + beta[type_factor[t]] * (c - 1.0)
            e_at[at + 1] = e_at[at] * (down[at] if c == 0 else (1.0 if c == 1 else up[at]))
    out[0] = acc_on[0]
    out[1] = acc_off[0]
    out[2] = acc_slope[0]


@njit(inline="always", **_JIT)
def _observed_term(q, not_q, n_one, n_zero, eps, se, d):
    """Observed stream states of a pattern: value; d = d/d (qt, 1 - qt, eps), qt and 1 - qt as two inputs."""
    total, d[0], d[1], d[2] = 0.0, 0.0, 0.0, 0.0
    if not se:
        if n_one != 0.0:
            total += n_one * math.log(q)
            d[0] = n_one / q
        if n_zero != 0.0:
            total += n_zero * math.log(not_q)
            d[1] = n_zero / not_q
        return total
    m1 = q * (1.0 - eps) + not_q * eps
    m0 = q * eps + not_q * (1.0 - eps)
    if n_one != 0.0:
        total += n_one * math.log(m1)
        d[0] += n_one * (1.0 - eps) / m1
        d[1] += n_one * eps / m1
        d[2] += n_one * (not_q - q) / m1
    if n_zero != 0.0:
        total += n_zero * math.log(m0)
        d[0] += n_zero * eps / m0
        d[1] += n_zero * (1.0 - eps) / m0
        d[2] += n_zero * (q - not_q) / m0
    return total


@njit(inline="always", **_JIT)
def _on(q, not_q, state, eps, d):
    """P(stream in motion | its record) for the coupling: qt (latent) or P(t = 1 | S = 1 / 0); d/d (qt, 1 - qt, eps)."""
    if state == 0:
        d[0], d[1], d[2] = 1.0, 0.0, 0.0
        return q
    if state == 1:
        m1 = q * (1.0 - eps) + not_q * eps
        on = q * (1.0 - eps) / m1
        d[0] = (1.0 - eps) / m1 * (1.0 - on)
        d[1] = -on * eps / m1
        d[2] = -q * not_q / (m1 * m1)
        return on
    m0 = q * eps + not_q * (1.0 - eps)
    on = q * eps / m0
    d[0] = eps / m0 * (1.0 - on)
    d[1] = -on * (1.0 - eps) / m0
    d[2] = q * not_q / (m0 * m0)
    return on


@njit(**_JIT)
def logp_grad(theta, grad, n_groups, centred, guide, cell, codes, pattern_cell, pattern_group, n_one, n_zero,
              pattern_start, slot_type, type_factor, type_support, type_counts, type_discussed, type_n, row_pattern,
              row_state, all_one, w_obs, w_val, weight, hyper, ev_hyper, flags):
    """Log-density at ``theta`` (PyMC's unconstrained space) under an evidence mode; writes its gradient into ``grad``."""
    n_factors = cell.shape[0]
    o_alpha, o_sigma, o_raw, o_lam = _offsets(n_factors, n_groups)
    o_code, o_sal, o_conf, o_eps = _ev_offsets(n_factors, n_groups, flags)
    grad[:] = 0.0
    tau = np.empty(6)
    for c in range(6):
        tau[c] = math.exp(theta[6 + c])
    beta, mu = np.empty(n_factors), np.empty(6)
    _effects(theta, cell, centred, guide, hyper, tau, mu, beta)
    sigma = math.exp(theta[o_sigma]) if n_groups > 0 else 0.0
    prob = np.empty(5)
    for j in range(5):
        prob[j] = _sigmoid(theta[o_lam + j])
    d_prob = np.zeros(5)
    # the evidence parameters on their constrained scales (logs)
    log_code = np.zeros((n_factors, 3))
    if flags[0]:
        for k in range(n_factors):
            _softmax3(theta[o_code + 2 * k], theta[o_code + 2 * k + 1], log_code[k])
    log_sal = np.zeros((2, 3))  # row 0: log P(discussed | code), row 1: log P(not discussed | code)
    sal = np.zeros(2)  # salience_zero, salience_nonzero
    if flags[1]:
        for j in range(2):
            sal[j] = _sigmoid(theta[o_sal + j])
        for c in range(3):
            u = theta[o_sal] if c == 1 else theta[o_sal + 1]
            log_sal[0, c] = -_softplus(-u)
            log_sal[1, c] = -_softplus(u)
    log_conf = np.zeros((3, 3))
    if flags[2]:
        for c in range(3):
            _softmax3(theta[o_conf + 2 * c], theta[o_conf + 2 * c + 1], log_conf[c])
    eps = _sigmoid(theta[o_eps]) if flags[3] else 0.0
    d_eps = 0.0
    n_types = type_factor.shape[0]
    log_w = np.empty((n_types, 3))
    pi = np.empty((n_types, 3))
    log_big_w = np.empty(n_types)
    _type_weights(log_code, log_sal, log_conf, type_factor, type_support, type_counts, type_discussed, flags,
                  log_w, pi, log_big_w)
    d_log_w = np.zeros((n_types, 3))
    total = 0.0
    for t in range(n_types):  # sum over cells of log W
        total += type_n[t] * log_big_w[t]
        for c in range(3):
            d_log_w[t, c] += type_n[t] * pi[t, c]
    # the patterns: eta0, the enumeration, the observed stream states
    by_cell, start = _cell_order(cell)
    n_patterns = codes.shape[0]
    q = np.empty(n_patterns)
    not_q = np.empty(n_patterns)
    slope = np.empty(n_patterns)
    d_q = np.empty(n_patterns)  # d/d qt
    d_not_q = np.empty(n_patterns)  # d/d (1 - qt), a separate input (see _enumerate)
    n_slots = slot_type.shape[0]
    slot_d_beta = np.empty(n_slots)
    slot_h = np.empty((n_slots, 6))
    scratch = np.empty(3)
    d = np.empty(3)
    work = np.empty((9, 11))
    for j in range(n_patterns):
        c, g = pattern_cell[j], pattern_group[j]
        eta = theta[o_alpha + c]
        for m in range(start[c], start[c + 1]):
            eta += beta[by_cell[m]] * codes[j, by_cell[m]]
        if g >= 0:
            eta += sigma * theta[o_raw + c * n_groups + g]
        _enumerate(j, eta, beta, pattern_start, slot_type, type_factor, pi, scratch, slot_d_beta, slot_h, True, work)
        q[j], not_q[j], slope[j] = scratch[0], scratch[1], scratch[2]
        total += _observed_term(q[j], not_q[j], n_one[j], n_zero[j], eps, flags[3], d)
        d_q[j], d_not_q[j] = d[0], d[1]
        d_eps += d[2]
    # the rows: coupling, brackets, windows
    on = np.empty(3)
    coupled = np.empty(2)
    bracket = np.empty(2)
    d_row = np.empty(3)
    for u in range(weight.shape[0]):
        for p in range(2):
            product = all_one[u, p]
            if product != 0.0:
                for s in range(3):
                    j = row_pattern[u, 3 * p + s]
                    on[s] = 1.0
                    if j >= 0:
                        on[s] = _on(q[j], not_q[j], row_state[u, 3 * p + s], eps, d)
                    product *= on[s]
            coupled[p] = product
            bracket[p] = prob[p] + (1.0 - prob[p]) * (1.0 - prob[2 + p]) * product
        n = weight[u]
        total += n * _windows(bracket[0], bracket[1], prob[4], w_obs[u, 0], w_obs[u, 1], w_val[u, 0], w_val[u, 1],
                              d_row)
        d_prob[4] += n * d_row[2]
        for p in range(2):
            lam, kap, d_bracket = prob[p], prob[2 + p], n * d_row[p]
            if all_one[u, p] != 0.0:
                d_coupled = d_bracket * (1.0 - lam) * (1.0 - kap)
                for s in range(3):
                    j = row_pattern[u, 3 * p + s]
                    if j < 0:
                        continue
                    others = all_one[u, p]
                    for r in range(3):
                        if r != s and row_pattern[u, 3 * p + r] >= 0:
                            others *= _on(q[row_pattern[u, 3 * p + r]], not_q[row_pattern[u, 3 * p + r]],
                                          row_state[u, 3 * p + r], eps, d)
                    _on(q[j], not_q[j], row_state[u, 3 * p + s], eps, d)
                    d_q[j] += d_coupled * others * d[0]
                    d_not_q[j] += d_coupled * others * d[1]
                    d_eps += d_coupled * others * d[2]
            d_prob[p] += d_bracket * (1.0 - (1.0 - kap) * coupled[p])
            d_prob[2 + p] -= d_bracket * (1.0 - lam) * coupled[p]
    # back through the enumeration: eta0 (alpha, group, fixed codes), beta of uncertain cells, log w
    d_beta = np.zeros(n_factors)
    d_pattern = np.empty(n_patterns)
    for j in range(n_patterns):
        d_eta = d_q[j] - d_not_q[j]  # d qt / d eta = -d (1 - qt) / d eta = slope
        d_pattern[j] = d_eta * slope[j]
        for i in range(pattern_start[j], pattern_start[j + 1]):
            t = slot_type[i]
            d_beta[type_factor[t]] += d_eta * slot_d_beta[i]
            for c in range(3):
                d_log_w[t, c] += (d_q[j] * (slot_h[i, c] - pi[t, c] * q[j])
                                  + d_not_q[j] * (slot_h[i, 3 + c] - pi[t, c] * not_q[j]))
    d_sigma = _pattern_grad(theta, grad, codes, pattern_cell, pattern_group, d_pattern, sigma, n_groups, by_cell,
                            start, d_beta)
    total += _priors(theta, grad, cell, tau, mu, beta, sigma, prob, d_beta, d_prob, d_sigma, n_groups, centred, guide,
                     hyper)
    return total + _evidence_priors(theta, grad, n_factors, type_factor, type_support, type_counts, type_discussed,
                                    d_log_w, log_code, sal, log_conf, eps, d_eps, o_code, o_sal, o_conf, o_eps,
                                    ev_hyper, flags)


@njit(inline="always", **_JIT)
def _evidence_priors(theta, grad, n_factors, type_factor, type_support, type_counts, type_discussed, d_log_w,
                     log_code, sal, log_conf, eps, d_eps, o_code, o_sal, o_conf, o_eps, ev_hyper, flags):
    """The evidence priors with Jacobians and constants; completes grad through the cells' log w."""
    total = ev_hyper[EV_HYPER_SIZE - 1]
    p = np.empty(3)
    d_lp = np.empty(3)
    if flags[0]:  # code_prob[k] ~ Dirichlet(a): sum_c a_c log p_c (Jacobian included)
        d_code = np.zeros((n_factors, 3))
        for t in range(type_factor.shape[0]):
            for c in range(3):
                if type_support[t, c] != 0.0:
                    d_code[type_factor[t], c] += d_log_w[t, c]
        for k in range(n_factors):
            for c in range(3):
                total += ev_hyper[c] * log_code[k, c]
                d_lp[c] = d_code[k, c] + ev_hyper[c]
                p[c] = math.exp(log_code[k, c])
            _simplex_grad(d_lp, p, grad, o_code + 2 * k)
    if flags[1]:  # salience ~ Beta on the log-odds scale; d/d log sigma and d/d log(1 - sigma) from the cells
        d_on = np.zeros(2)
        d_off = np.zeros(2)
        for t in range(type_factor.shape[0]):
            for c in range(3):
                if type_support[t, c] != 0.0:
                    j = 0 if c == 1 else 1
                    if type_discussed[t] != 0.0:
                        d_on[j] += d_log_w[t, c]
                    else:
                        d_off[j] += d_log_w[t, c]
        for j in range(2):
            a, b, v = ev_hyper[3 + 2 * j], ev_hyper[4 + 2 * j], theta[o_sal + j]
            total -= a * _softplus(-v) + b * _softplus(v)
            grad[o_sal + j] += d_on[j] * (1.0 - sal[j]) - d_off[j] * sal[j] + a * (1.0 - sal[j]) - b * sal[j]
    if flags[2]:  # confusion rows ~ Dirichlet; log w gains counts_r log confusion[c, r]
        d_conf = np.zeros((3, 3))
        for t in range(type_factor.shape[0]):
            for c in range(3):
                if type_support[t, c] != 0.0:
                    for r in range(3):
                        d_conf[c, r] += d_log_w[t, c] * type_counts[t, r]
        for c in range(3):
            for r in range(3):
                total += ev_hyper[7 + 3 * c + r] * log_conf[c, r]
                d_lp[r] = d_conf[c, r] + ev_hyper[7 + 3 * c + r]
                p[r] = math.exp(log_conf[c, r])
            _simplex_grad(d_lp, p, grad, o_conf + 2 * c)
    if flags[3]:  # stream_error ~ Beta on the log-odds scale
        a, b, v = ev_hyper[16], ev_hyper[17], theta[o_eps]
        total -= a * _softplus(-v) + b * _softplus(v)
        grad[o_eps] += d_eps * eps * (1.0 - eps) + a * (1.0 - eps) - b * eps
    return total


@njit(inline="always", **_JIT)
def _simplex_rows(theta, at, n_rows, out, pos, log_p):
    """Write ``n_rows`` three-code simplexes from their unconstrained pairs at ``theta[at:]`` into ``out[pos:]``."""
    for row in range(n_rows):
        _softmax3(theta[at + 2 * row], theta[at + 2 * row + 1], log_p)
        for c in range(3):
            out[pos + c] = math.exp(log_p[c])
        pos += 3
    return pos


@njit(**_JIT)
def expand(theta, out, cell, n_groups, centred, guide, hyper, flags):
    """The posterior variables of one draw, flat: the v1 ones (:func:`bayesstreams.fast.kernels.expand`), then
    code_prob, salience_zero, salience_nonzero, confusion, stream_error as the options use them."""
    n_factors = cell.shape[0]
    o_code, o_sal, o_conf, o_eps = _ev_offsets(n_factors, n_groups, flags)
    pos = _expand_v1(theta, out, cell, n_groups, centred, guide, hyper)
    log_p = np.empty(3)
    if flags[0]:
        pos = _simplex_rows(theta, o_code, n_factors, out, pos, log_p)
    if flags[1]:
        out[pos] = _sigmoid(theta[o_sal])
        out[pos + 1] = _sigmoid(theta[o_sal + 1])
        pos += 2
    if flags[2]:
        pos = _simplex_rows(theta, o_conf, 3, out, pos, log_p)
    if flags[3]:
        out[pos] = _sigmoid(theta[o_eps])
        pos += 1
    return pos


# ---------------------------------------------------------------------------------------
# The C callbacks nutpie calls (see bayesstreams.fast.kernels): one packed buffer.

_N_TABLES = 22


@njit(inline="always", **_JIT)
def _unpack(user_data):
    """The sizes and tables of :meth:`EvidenceProblem.user_data`, as views (no copies)."""
    head = carray(user_data, (EV_HEADER,), np.int64)
    blob = carray(user_data, (head[0],), np.float64)
    n_factors, n_patterns, n_rows, n_types, n_slots = head[5], head[6], head[7], head[8], head[9]
    o = head[16:16 + _N_TABLES]
    cell = blob[o[0]:o[1]].view(np.int64)
    codes = blob[o[1]:o[2]].reshape((n_patterns, n_factors))
    pattern_cell = blob[o[2]:o[3]].view(np.int64)
    pattern_group = blob[o[3]:o[4]].view(np.int64)
    n_one = blob[o[4]:o[5]]
    n_zero = blob[o[5]:o[6]]
    pattern_start = blob[o[6]:o[7]].view(np.int64)
    slot_type = blob[o[7]:o[7] + n_slots].view(np.int64)
    type_factor = blob[o[8]:o[9]].view(np.int64)
    type_support = blob[o[9]:o[10]].reshape((n_types, 3))
    type_counts = blob[o[10]:o[11]].reshape((n_types, 3))
    type_discussed = blob[o[11]:o[12]]
    type_n = blob[o[12]:o[13]]
    row_pattern = blob[o[13]:o[14]].view(np.int64).reshape((n_rows, 6))
    row_state = blob[o[14]:o[15]].view(np.int64).reshape((n_rows, 6))
    all_one = blob[o[15]:o[16]].reshape((n_rows, 2))
    w_obs = blob[o[16]:o[17]].reshape((n_rows, 2))
    w_val = blob[o[17]:o[18]].reshape((n_rows, 2))
    weight = blob[o[18]:o[19]]
    hyper = blob[o[19]:o[19] + len(HYPER) + 1]
    ev_hyper = blob[o[20]:o[20] + EV_HYPER_SIZE]
    flags = blob[o[21]:o[21] + 4].view(np.int64)
    centred = blob[head[4]:head[4] + n_factors].view(np.int64)  # head[4]: where the per-factor centring starts
    guide = blob[head[4] + n_factors:head[4] + 3 * n_factors].reshape((n_factors, 2))  # and the guide after it
    sizes = (head[1], head[2], head[3], centred, guide)  # n_dim, n_expanded, n_groups, centred, guide
    return sizes, (cell, codes, pattern_cell, pattern_group, n_one, n_zero, pattern_start, slot_type, type_factor,
                   type_support, type_counts, type_discussed, type_n, row_pattern, row_state, all_one, w_obs, w_val,
                   weight, hyper, ev_hyper, flags)


@cfunc(_LOGP_SIGNATURE, cache=True)
def logp_cfunc(dim, theta_ptr, grad_ptr, logp_ptr, user_data):
    """``int logp(n, theta*, grad*, logp*, user_data*)`` of the evidence modes, as nutpie calls it."""
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
           tables[19], tables[21])
    return 0


# ---------------------------------------------------------------------------------------
# The pointwise log-likelihood of saved draws.


def pointwise_loglik(dataset, draws: dict) -> np.ndarray:
    """Log-likelihood (sample, case) of draws of the streams model under an evidence mode (read from the draws).

    Equal to the NumPy reference :meth:`bayesstreams.model.streams.StreamsKind.reference_loglik`
    (tests/test_fastlogp_modes.py), case by case and draw by draw.
    """
    options = options_of_draws(draws)
    t = evidence_tables(dataset, options)
    n_samples, n_factors = draws["beta"].shape
    features = evidence_features(options)
    flags = np.array([int(name in features) for name in EV_FEATURES], dtype=np.int64)

    def flat(array, dtype=np.float64):
        return np.ascontiguousarray(array, dtype=dtype)

    def param(name, shape):
        return flat(draws[name]) if name in draws else np.ones((n_samples, *shape))

    gamma = draws.get("gamma")
    n_groups = 0 if gamma is None else gamma.shape[-1]
    gamma = np.zeros((n_samples, N_CELLS, 1)) if gamma is None else gamma.reshape(n_samples, N_CELLS, n_groups)
    terms = t["terms"]
    out = np.empty((n_samples, dataset.n_cases))
    _pointwise(flat(draws["alpha"].reshape(n_samples, N_CELLS)), flat(draws["beta"]), flat(gamma),
               flat(draws["lambda"]), flat(draws["kappa"]), flat(draws["rho"]), param("code_prob", (n_factors, 3)),
               param("salience_zero", ()), param("salience_nonzero", ()), param("confusion", (3, 3)),
               param("stream_error", ()), flags, flat(t["cell"], np.int64), flat(t["codes"]),
               flat(t["pattern_cell"], np.int64), flat(t["pattern_group"], np.int64),
               flat(t["pattern_start"], np.int64), flat(t["slot_type"], np.int64), flat(t["type_factor"], np.int64),
               flat(t["type_support"]), flat(t["type_counts"]), flat(t["type_discussed"]),
               flat(t["case_type"], np.int64), flat(t["case_pattern"], np.int64), flat(t["s_obs"]), flat(t["s_val"]),
               flat(terms.all_one), flat(terms.w_obs), flat(terms.w_val), out)
    return out


@njit(**_JIT)
def _pointwise(alpha, beta, gamma, lam, kap, rho, code_prob, sal_zero, sal_nonzero, confusion, stream_error, flags,
               cell, codes, pattern_cell, pattern_group, pattern_start, slot_type, type_factor, type_support,
               type_counts, type_discussed, case_type, case_pattern, s_obs, s_val, all_one, w_obs, w_val, out):
    n_factors = cell.shape[0]
    n_patterns, n_types = codes.shape[0], type_factor.shape[0]
    by_cell, start = _cell_order(cell)
    log_code = np.zeros((n_factors, 3))
    log_sal = np.zeros((2, 3))
    log_conf = np.zeros((3, 3))
    log_w = np.empty((n_types, 3))
    pi = np.empty((n_types, 3))
    log_big_w = np.empty(n_types)
    q = np.empty(n_patterns)
    not_q = np.empty(n_patterns)
    scratch = np.empty(3)
    d = np.empty(3)
    bracket = np.empty(2)
    dummy_beta = np.empty(0)
    dummy_h = np.empty((0, 6))
    work = np.empty((9, 11))
    for s in range(alpha.shape[0]):
        if flags[0]:
            for k in range(n_factors):
                for c in range(3):
                    log_code[k, c] = math.log(code_prob[s, k, c])
        if flags[1]:
            for c in range(3):
                v = sal_zero[s] if c == 1 else sal_nonzero[s]
                log_sal[0, c] = math.log(v)
                log_sal[1, c] = math.log1p(-v)
        if flags[2]:
            for c in range(3):
                for r in range(3):
                    log_conf[c, r] = math.log(confusion[s, c, r])
        eps = stream_error[s] if flags[3] else 0.0
        _type_weights(log_code, log_sal, log_conf, type_factor, type_support, type_counts, type_discussed, flags,
                      log_w, pi, log_big_w)
        for j in range(n_patterns):
            c, g = pattern_cell[j], pattern_group[j]
            eta = alpha[s, c]
            for m in range(start[c], start[c + 1]):
                eta += beta[s, by_cell[m]] * codes[j, by_cell[m]]
            if g >= 0:
                eta += gamma[s, c, g]
            _enumerate(j, eta, beta[s], pattern_start, slot_type, type_factor, pi, scratch, dummy_beta, dummy_h,
                       False, work)
            q[j], not_q[j] = scratch[0], scratch[1]
        for i in range(case_pattern.shape[0]):
            total = 0.0
            for k in range(n_factors):
                total += log_big_w[case_type[i, k]]
            for p in range(2):
                coupled = all_one[i, p] if not flags[3] else 1.0
                for c in range(3 * p, 3 * p + 3):
                    j = case_pattern[i, c]
                    observed = s_obs[i, c] != 0.0
                    if observed:
                        one = s_val[i, c]
                        total += _observed_term(q[j], not_q[j], one, 1.0 - one, eps, flags[3], d)
                        if flags[3]:
                            coupled *= _on(q[j], not_q[j], 1 if one == 1.0 else 2, eps, d)
                    else:
                        coupled *= q[j]
                bracket[p] = lam[s, p] + (1.0 - lam[s, p]) * (1.0 - kap[s, p]) * coupled
            total += _windows(bracket[0], bracket[1], rho[s], w_obs[i, 0], w_obs[i, 1], w_val[i, 0], w_val[i, 1],
                              scratch)
            out[s, i] = total


# ---------------------------------------------------------------------------------------
# The queries: qt of one stream per draw and case (windows.Baseline, do(x_k = v)).


def expected_q(weights: np.ndarray, eta: np.ndarray, beta: np.ndarray, x: np.ndarray, factors: np.ndarray) -> np.ndarray:
    """``qt`` (draw, case) of one stream, the numba form of :func:`bayesstreams.model.evidence.expected_q`.

    ``weights`` (draw, case, factor, 3) are the cells' evidence weights, ``eta`` (draw, case) the
    stream's intercept and group offset, ``beta`` (draw, factor), ``x`` the codes (0 where not
    discussed) and ``factors`` the stream's factors.  A cell with one code of nonzero weight is that
    code; the others are summed out (the same sum as the NumPy reference, which enumerates a factor
    wherever it is uncertain in some case).
    """
    factors = np.asarray(factors, dtype=np.int64)
    w = np.ascontiguousarray(weights[:, :, factors, :], dtype=np.float64)
    if w.shape[0] != eta.shape[0]:
        w = np.ascontiguousarray(np.broadcast_to(w, (eta.shape[0], *w.shape[1:])))
    out = np.empty(eta.shape)
    _expected_q(w, np.ascontiguousarray(eta, dtype=np.float64), np.ascontiguousarray(beta[:, factors], dtype=np.float64),
                np.ascontiguousarray(x[:, factors], dtype=np.float64), out)
    return out


@njit(**_JIT)
def _expected_q(w, eta, beta, x, out):
    n_draws, n_cases, m = w.shape[0], w.shape[1], w.shape[2]
    pi = np.empty((m, 3))
    beta_u = np.empty(m)
    index = np.arange(m)
    pattern_start = np.zeros(2, dtype=np.int64)
    scratch = np.empty(3)
    work = np.empty((9, m + 1))
    dummy_beta = np.empty(0)
    dummy_h = np.empty((0, 6))
    for d in range(n_draws):
        for i in range(n_cases):
            eta0 = eta[d, i]
            n_free = 0
            for j in range(m):
                possible = 0
                for c in range(3):
                    if w[d, i, j, c] != 0.0:
                        possible += 1
                if possible <= 1:  # a point mass: its code (x where the weight says nothing else)
                    code = x[i, j]
                    for c in range(3):
                        if w[d, i, j, c] != 0.0:
                            code = c - 1.0
                    eta0 += beta[d, j] * code
                    continue
                total = w[d, i, j, 0] + w[d, i, j, 1] + w[d, i, j, 2]
                for c in range(3):
                    pi[n_free, c] = w[d, i, j, c] / total
                beta_u[n_free] = beta[d, j]
                n_free += 1
            pattern_start[1] = n_free
            _enumerate(0, eta0, beta_u, pattern_start, index, index, pi, scratch, dummy_beta, dummy_h, False, work)
            out[d, i] = scratch[0]
