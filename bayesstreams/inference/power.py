"""Power-scaling importance weights of a run's posterior draws (the prior raised to a power).

Part of the fitted record, like the pointwise log-likelihood: computed once when a run is
fitted (or first saved), written to ``draws.npz`` and read back with it, so that measuring
prior dependence on a loaded run needs NumPy only.  Only the top-level priors are scaled
(:func:`bayesstreams.model.priors.scaled_priors`); the weights are ``arviz_stats``' Pareto-
smoothed ``(alpha - 1) * log_prior`` (its ``power_scale_lw``, as ``psense`` uses them).
"""

from __future__ import annotations

import numpy as np

from bayesstreams.model.priors import log_prior_draws, scaled_priors

ALPHAS = (0.5, 2.0)
MIN_POWER_DRAWS = 100  # Pareto smoothing needs tail draws: fewer posterior draws, no power-scaling (said in `checks`)


def scaled_log_prior(posterior: dict, config) -> np.ndarray:
    """Log density (sample,) of the top-level priors at each posterior draw (as ``psense`` scales them)."""
    parts = log_prior_draws(posterior, config)
    return np.sum([parts[name] for name in scaled_priors(config) if name in parts], axis=0)


def power_scaled_weights(log_prior: np.ndarray, chains: int, alphas=ALPHAS) -> dict[float, np.ndarray]:
    """Normalised importance weights (sample,) of the posterior draws for the prior raised to each ``alpha``.

    ``log_prior`` is the log density of the scaled priors per draw, chain-major.
    """
    from arviz_stats.base import array_stats  # lazy: arviz-stats is heavy and `score` never needs it

    log_prior = np.asarray(log_prior, dtype=float)
    chained = log_prior.reshape(chains, len(log_prior) // chains)
    out = {}
    for alpha in alphas:
        lw = np.asarray(array_stats.power_scale_lw(chained, alpha=alpha, axis=(-2, -1)), dtype=float).ravel()
        w = np.exp(lw - lw.max())
        out[alpha] = w / w.sum()
    return out


def power_weights(run, alphas=ALPHAS) -> dict[float, np.ndarray]:
    """The power-scaling weights of ``run`` for ``alphas``: the ones it holds, else computed and kept in the record.

    Empty when there are fewer than :data:`MIN_POWER_DRAWS` draws (or no ``alphas``).
    """
    held = run.power_weights
    if all(alpha in held for alpha in alphas):
        return {alpha: held[alpha] for alpha in alphas}
    if not alphas or run.n_samples < MIN_POWER_DRAWS:
        return {}
    weights = power_scaled_weights(scaled_log_prior(run.posterior, run.config), run.n_chains, alphas)
    run.power_weights = {**held, **weights}
    return weights
