"""Power-scaling importance weights of a run's posterior draws (the prior raised to a power).

Part of the fitted record, like the pointwise log-likelihood: computed once when a run is
fitted (or first saved), written to ``draws.npz`` and read back with it, so that measuring
prior dependence on a loaded run needs NumPy only.  Only the top-level priors are scaled
(:func:`bayesstreams.model.priors.scaled_priors`); the weights are the Pareto-smoothed
``(alpha - 1) * log_prior`` of arviz-stats' ``power_scale_lw``, as ``psense`` uses them
(:func:`bayesstreams.inference.mcmc_stats.power_scale_log_weights`, NumPy only).

Each power also keeps its Pareto ``k`` (:func:`power_khat`: PSIS on the raw log ratios
``(alpha - 1) * log_prior`` the weights smooth), saved beside the weights (``draws.npz`` key
``power_tilt_khat``): where ``k >= KHAT_LIMIT`` (0.7) the reweighted draws do not stand for the
scaled posterior (on the shipped study alpha = 0.5, which weights up the draws the prior holds
unlikely, has ``k`` about 0.8; alpha = 2 about 0.5), and :func:`usable_power_weights` leaves that
power out; the wide-prior refit decides instead (MODEL.md §8).
"""

from __future__ import annotations

import numpy as np

from bayesstreams.inference.mcmc_stats import power_scale_log_weights, psis
from bayesstreams.model.priors import log_prior_draws, scaled_priors

ALPHAS = (0.5, 2.0)
KHAT_LIMIT = 0.7  # Pareto k at or above which importance weights are not trusted (Vehtari et al. 2024)
MIN_POWER_DRAWS = 100  # Pareto smoothing needs tail draws: fewer posterior draws, no power-scaling (said in `checks`)


def scaled_log_prior(posterior: dict, config) -> np.ndarray:
    """Log density (sample,) of the top-level priors at each posterior draw (as ``psense`` scales them)."""
    parts = log_prior_draws(posterior, config)
    return np.sum([parts[name] for name in scaled_priors(config) if name in parts], axis=0)


def power_scaled_weights(log_prior: np.ndarray, chains: int, alphas=ALPHAS) -> dict[float, np.ndarray]:
    """Normalised importance weights (sample,) of the posterior draws for the prior raised to each ``alpha``.

    ``log_prior`` is the log density of the scaled priors per draw, chain-major.
    """
    log_prior = np.asarray(log_prior, dtype=float)
    chained = log_prior.reshape(chains, len(log_prior) // chains)
    out = {}
    for alpha in alphas:
        lw = power_scale_log_weights(chained, alpha).ravel()
        w = np.exp(lw - lw.max())
        out[alpha] = w / w.sum()
    return out


def power_khat(log_prior: np.ndarray, chains: int, alphas=ALPHAS) -> dict[float, float]:
    """Pareto ``k`` of the raw importance ratios ``exp((alpha - 1) * log_prior``) per power (PSIS, ``r_eff = 1``).

    These are the ratios the weights of :func:`power_scaled_weights` smooth: raising the prior to
    ``alpha < 1`` weights up the draws the prior holds unlikely (a heavy right tail where the
    posterior leans on the prior), ``alpha > 1`` weights up the draws it favours.  (Before
    2026-12-06 this was arviz-stats' ``psislw((alpha - 1) * log_prior)``, which smooths ``exp(-x)``:
    the ``k`` of the tilt ``2 - alpha``, so the power read and the power left out were swapped.)

    Examples
    --------
    >>> x = np.random.default_rng(0).normal(size=4000)   # draws of N(0, 1) under a N(0, 1) prior
    >>> k = power_khat(-x ** 2 / 2, chains=4)           # alpha 0.5 targets N(0, 2): wider, heavy ratios
    >>> round(k[0.5], 1), bool(k[2.0] < 0)                # k = 1 - alpha below 1; bounded ratios above
    (0.5, True)
    """
    chained = np.asarray(log_prior, dtype=float).reshape(chains, -1)
    return {alpha: float(psis((alpha - 1.0) * chained)[1]) for alpha in alphas}


def power_weights(run, alphas=ALPHAS) -> dict[float, np.ndarray]:
    """The power-scaling weights of ``run`` for ``alphas``: the ones it holds, else computed and kept in the record.

    Their Pareto ``k`` is kept beside them (``run.power_khat``), computed for a run that holds
    weights saved before ``k`` was.  Empty when there are fewer than :data:`MIN_POWER_DRAWS`
    draws (or no ``alphas``).
    """
    held, khat = run.power_weights, run.power_khat
    if not alphas or (run.n_samples < MIN_POWER_DRAWS and not all(alpha in held for alpha in alphas)):
        return {}
    if all(alpha in held and alpha in khat for alpha in alphas):
        return {alpha: held[alpha] for alpha in alphas}
    log_prior = scaled_log_prior(run.posterior, run.config)
    if not all(alpha in held for alpha in alphas):
        run.power_weights = {**held, **power_scaled_weights(log_prior, run.n_chains, alphas)}
    run.power_khat = {**khat, **power_khat(log_prior, run.n_chains, alphas)}
    return {alpha: run.power_weights[alpha] for alpha in alphas}


def usable_power_weights(run, alphas=ALPHAS) -> dict[float, np.ndarray]:
    """The power-scaling weights of ``run`` whose Pareto ``k`` is below :data:`KHAT_LIMIT`: the ones to read."""
    weights = power_weights(run, alphas)
    return {alpha: w for alpha, w in weights.items() if run.power_khat.get(alpha, np.inf) < KHAT_LIMIT}
