"""Pointwise log-likelihood (draw, case) of the streams model from saved draws, in numba.

The same numbers as the NumPy reference :func:`bayesstreams.model.likelihood.pointwise_loglik`
(tests/test_fastpointwise.py holds them equal to 1e-10), about 20x faster and without the
(draw, case, phase, stream) temporaries: at N = 10,000 cases and 4,000 draws the NumPy
version spends ~30 s here, this one ~1-2 s.  Each stream's linear predictor is computed
once per distinct pattern of codes and group (:func:`bayesstreams.fast.tables.pattern_table`),
then every case looks its patterns up.  The window terms are the kernel the sampler uses
(:func:`bayesstreams.fast.kernels._windows`), so the sampler's density and the saved
log-likelihood cannot drift apart.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from bayesstreams.fast.kernels import _JIT, _softplus, _windows
from bayesstreams.fast.layout import N_CELLS
from bayesstreams.fast.tables import cells_and_groups, pattern_table
from bayesstreams.model.likelihood import observed_terms


def pointwise_loglik(dataset, draws: dict) -> np.ndarray:
    """Log-likelihood (sample, case) of draws of the streams model (``alpha``, ``beta``, ``lambda``, ...)."""
    cell, group = cells_and_groups(dataset)
    codes, pattern_cell, pattern_group, case_pattern = pattern_table(dataset.x_filled, cell, group)
    terms = observed_terms(dataset.s, dataset.w)
    n_samples, n_cases = draws["beta"].shape[0], dataset.n_cases
    by_cell = np.argsort(cell, kind="mergesort").astype(np.int64)
    start = np.concatenate([[0], np.cumsum(np.bincount(cell, minlength=N_CELLS))]).astype(np.int64)
    alpha = np.ascontiguousarray(draws["alpha"].reshape(n_samples, N_CELLS), dtype=np.float64)
    gamma = draws.get("gamma")
    n_groups = 0 if gamma is None else gamma.shape[-1]
    gamma = np.zeros((n_samples, N_CELLS, 1)) if gamma is None else gamma.reshape(n_samples, N_CELLS, n_groups)
    out = np.empty((n_samples, n_cases))

    def flat(array, dtype=np.float64):
        return np.ascontiguousarray(array, dtype=dtype)

    _pointwise(alpha, flat(draws["beta"]), flat(gamma), flat(draws["lambda"]), flat(draws["kappa"]),
               flat(draws["rho"]), flat(codes), flat(pattern_cell, np.int64), flat(pattern_group, np.int64),
               by_cell, start, flat(case_pattern, np.int64), flat(terms.s_obs.reshape(n_cases, N_CELLS)),
               flat(terms.s_val.reshape(n_cases, N_CELLS)), flat(terms.all_one), flat(terms.w_obs),
               flat(terms.w_val), out)
    return out


@njit(**_JIT)
def _pointwise(alpha, beta, gamma, lam, kap, rho, codes, pattern_cell, pattern_group, by_cell, start, case_pattern,
               s_obs, s_val, all_one, w_obs, w_val, out):
    n_patterns = codes.shape[0]
    log_q = np.empty(n_patterns)
    log_not_q = np.empty(n_patterns)
    bracket = np.empty(2)
    scratch = np.empty(3)
    for d in range(alpha.shape[0]):
        for j in range(n_patterns):
            c, g = pattern_cell[j], pattern_group[j]
            eta = alpha[d, c]
            for m in range(start[c], start[c + 1]):
                eta += beta[d, by_cell[m]] * codes[j, by_cell[m]]
            if g >= 0:
                eta += gamma[d, c, g]
            log_q[j] = -_softplus(-eta)
            log_not_q[j] = -_softplus(eta)
        for i in range(case_pattern.shape[0]):
            total = 0.0
            for p in range(2):
                latent = 0.0  # log of the product of q over the latent streams
                for c in range(3 * p, 3 * p + 3):
                    j = case_pattern[i, c]
                    if s_obs[i, c] != 0.0:
                        total += s_val[i, c] * log_q[j] + (1.0 - s_val[i, c]) * log_not_q[j]
                    else:
                        latent += log_q[j]
                coupled = all_one[i, p] * np.exp(latent)
                bracket[p] = lam[d, p] + (1.0 - lam[d, p]) * (1.0 - kap[d, p]) * coupled
            total += _windows(bracket[0], bracket[1], rho[d], w_obs[i, 0], w_obs[i, 1], w_val[i, 0], w_val[i, 1],
                              scratch)
            out[d, i] = total
