"""Which factor effects are sampled centred, chosen from the data before sampling.

The pooled effects ``beta[k] ~ Normal(mu[c], tau[c])`` (c = the factor's phase and stream) can be
sampled as ``beta`` itself (*centred*) or as ``z = (beta - mu) / tau`` (*non-centred*).  The
posterior is the same; how hard it is for NUTS is not.  In the normal-normal approximation, with
``s_k`` the standard error the data alone give ``beta[k]``, the non-centred ``z[k]`` has posterior
variance ``s_k^2 / (s_k^2 + tau^2)`` and is tied to ``mu`` and ``tau`` by the likelihood when
``s_k < tau`` (the ridge that made NUTS take about 135 leapfrog steps per iteration at N = 10,000),
while the centred ``beta[k]`` has a funnel only where ``tau`` can fall below ``s_k``.  So a factor
is sampled centred when the data pin it down much more tightly than the spread of its cell
could plausibly be: **centred iff P(tau[c] < s_k / 2 | data) <= ``FUNNEL_MASS``** (2%), otherwise
non-centred.  The funnel bites where ``tau`` is well below ``s_k``, not where the two are alike; so the
rule looks at half of ``s_k``.

The choice is opt-in (``[sampler] parametrisation = "auto"``; the default stays ``"noncentred"``): at
N = 10,000 it cuts NUTS's leapfrog steps per draw from about 135 to 15, but a stream of two or three
factors, whose ``tau`` the data cannot pin down, then forms a funnel in ``(mu, tau)`` in either
parametrisation and diverges at the larger step size; with ``target_accept = 0.99`` it takes 54 steps
and diverges about as often as the default (docs/SAMPLERS.md has the table).

Both numbers come from one cheap pass per cell (a few Newton steps, no sampling):

* ``s_k``: a penalised logistic regression of the cell's *observed* stream states on the codes of
  the cell's factors (intercept prior = ``alpha``'s, effect prior = Normal with ``mu``'s mean and
  variance ``mu.sigma^2 + tau.sigma^2``, the marginal prior of one ``beta``), ``s_k`` = the sd of the
  Laplace approximation at its mode.  Hidden stream states and the windows are left out, which only
  makes ``s_k`` larger (fewer factors centred: the safe side).
* ``P(tau[c] < s)``: the posterior of ``tau[c]`` on a grid, from the normal-normal model
  ``beta_hat[k] ~ Normal(mu[c], tau[c]^2 + s_k^2)`` with ``mu[c]`` integrated over its prior and
  ``tau[c]``'s own half-normal prior.

Weak data (the shipped study: 8 cases) give ``s_k`` near the prior sd, where most of ``tau``'s mass
lies below it: every factor stays non-centred, as the default has it.  A cell
whose effects are all alike (``tau`` near 0, where the centred version diverges) keeps its mass
near 0 and stays non-centred too.  docs/PERFORMANCE.md ("large") has the measurements.
"""

from __future__ import annotations

import numpy as np

PARAMETRISATIONS = ("by-size", "guided", "noncentred", "auto", "centred")
GUIDED_FROM = 1000  # "by-size" (the default): guided from this many cases on, non-centred below
NONCENTRED, CENTRED, GUIDED = 0, 1, 2  # per factor, as the numba densities read it (fast/kernels.py)
FUNNEL_MASS = 0.02  # the largest posterior mass of tau below s_k / 2 that a centred factor may have
FUNNEL_DEPTH = 0.5  # where the funnel starts, as a fraction of s_k
_TAU_GRID = np.concatenate([np.linspace(0.0, 0.2, 81)[1:], np.linspace(0.2, 6.0, 300)[1:]])


def centred_factors(dataset, config) -> np.ndarray:
    """Boolean (factor,): which effects are sampled centred, by the model file's ``[sampler] parametrisation``.

    ``"auto"`` applies the rule of this module; ``"noncentred"`` (the default, every run before it)
    and ``"centred"`` force one parametrisation for every factor.

    Examples
    --------
    >>> from bayesstreams.data.dataset import load_dataset
    >>> from bayesstreams.model.config import load_config
    >>> from bayesstreams.model.config import config_from_text
    >>> auto = config_from_text('kind = "streams"\\n[sampler]\\nparametrisation = "auto"\\n')
    >>> int(centred_factors(load_dataset("data/trafficking_nl_2020"), auto).sum())
    0
    """
    choice = resolved_parametrisation(dataset, config)
    n_factors = len(dataset.factor_ids)
    if choice in ("noncentred", "guided") or not config.model_kind.has_streams:
        return np.zeros(n_factors, dtype=bool)
    if choice == "centred":
        return np.ones(n_factors, dtype=bool)
    return funnel_mass(dataset, config) <= FUNNEL_MASS


def resolved_parametrisation(dataset, config) -> str:
    """The model file's ``[sampler] parametrisation`` with the default ``"by-size"`` resolved by the number of
    cases: ``"guided"`` from :data:`GUIDED_FROM` cases on, ``"noncentred"`` below (the shipped study, 8 cases,
    and every run before 2026-12-06).  ``fit`` records the resolved word in ``run.json``.

    Examples
    --------
    >>> from bayesstreams.data.dataset import load_dataset
    >>> from bayesstreams.model.config import load_config
    >>> resolved_parametrisation(load_dataset("data/trafficking_nl_2020"), load_config(None))
    'noncentred'
    """
    choice = config.sampler.parametrisation
    if choice == "by-size":
        return "guided" if dataset.n_cases >= GUIDED_FROM else "noncentred"
    return choice


def effect_codes(dataset, config) -> np.ndarray:
    """Per factor, how its effect is sampled: :data:`NONCENTRED`, :data:`CENTRED` or :data:`GUIDED` (int64).

    ``"guided"`` samples every effect relative to what the data alone say about it
    (:func:`guide`; see :func:`bayesstreams.model.hierarchy.pooled_effects`); the others as
    :func:`centred_factors` chooses.

    Examples
    --------
    >>> from bayesstreams.data.dataset import load_dataset
    >>> from bayesstreams.model.config import config_from_text
    >>> guided = config_from_text('kind = "streams"\n[sampler]\nparametrisation = "guided"\n')
    >>> effect_codes(load_dataset("data/trafficking_nl_2020"), guided)[:3].tolist()
    [2, 2, 2]
    """
    if resolved_parametrisation(dataset, config) == "guided" and config.model_kind.has_streams:
        return np.full(len(dataset.factor_ids), GUIDED, dtype=np.int64)
    return centred_factors(dataset, config).astype(np.int64)


def guide(dataset, config) -> np.ndarray:
    """(factor, 2): each effect's estimate and variance from the data alone (:func:`effect_estimates`) where
    it is sampled guided, zeros elsewhere (nothing reads them)."""
    codes = effect_codes(dataset, config)
    out = np.zeros((len(codes), 2))
    if (codes == GUIDED).any():
        estimate, se = effect_estimates(dataset, config)
        out[:, 0], out[:, 1] = estimate, se ** 2
        out[codes != GUIDED] = 0.0
    return out


def cells_given_effects(centred, factor_cell) -> np.ndarray:
    """Boolean (6,), cell = 3 * phase + stream: the cells whose ``mu`` is sampled given their effects.

    A cell whose factors are all centred (and which has factors) samples ``u`` in place of ``mu``,
    ``mu = m(beta, tau) + s(tau) u`` with ``m`` and ``s`` the mean and sd of ``mu`` given the cell's
    ``beta`` and ``tau`` (module docstring): the funnel of ``(mu, tau)`` is gone, and ``mu`` leaves the
    likelihood, so ``u`` is a standard normal in the posterior.  The shipped study (no factor centred)
    has no such cell.

    Examples
    --------
    >>> cells_given_effects(np.array([True, True, False, True]), np.array([0, 0, 1, 1])).tolist()
    [True, False, False, False, False, False]
    """
    centred, factor_cell = np.asarray(centred) == CENTRED, np.asarray(factor_cell)
    present = np.bincount(factor_cell, minlength=6) > 0
    noncentred = np.bincount(factor_cell, weights=~centred, minlength=6) > 0
    return present & ~noncentred


def funnel_mass(dataset, config) -> np.ndarray:
    """Per factor, the approximate posterior probability that its cell's ``tau`` is below ``FUNNEL_DEPTH * s_k``."""
    estimate, se = effect_estimates(dataset, config)
    cell = np.asarray(dataset.factor_phase) * 3 + np.asarray(dataset.factor_stream)
    mu_prior, tau_sigma = config.prior_of("mu").params, config.prior_of("tau").params["sigma"]
    out = np.ones(len(cell))
    for c in np.unique(cell):
        members = np.flatnonzero(cell == c)
        posterior = tau_posterior(estimate[members], se[members], mu_prior["mu"], mu_prior["sigma"], tau_sigma)
        for k in members:
            out[k] = posterior[_TAU_GRID < FUNNEL_DEPTH * se[k]].sum()
    return out


def tau_posterior(estimate, se, mu_mean: float, mu_sd: float, tau_sigma: float) -> np.ndarray:
    """Weights of :data:`_TAU_GRID` under ``estimate ~ Normal(mu, tau^2 + se^2)``, ``mu ~ Normal(mu_mean, mu_sd^2)``,
    ``tau ~ HalfNormal(tau_sigma)`` (``mu`` integrated out exactly); the grid's spacing is in the weights."""
    spacing = np.gradient(_TAU_GRID)
    var = _TAU_GRID[:, None] ** 2 + np.asarray(se)[None, :] ** 2  # (grid, factor)
    precision = (1.0 / var).sum(axis=1) + 1.0 / mu_sd ** 2
    mean = ((estimate / var).sum(axis=1) + mu_mean / mu_sd ** 2) / precision
    resid = estimate[None, :] - mean[:, None]
    log_like = (-0.5 * (resid ** 2 / var + np.log(var)).sum(axis=1) - 0.5 * (mean - mu_mean) ** 2 / mu_sd ** 2
                - 0.5 * np.log(precision * mu_sd ** 2))
    log_post = log_like - 0.5 * (_TAU_GRID / tau_sigma) ** 2 + np.log(spacing)
    weights = np.exp(log_post - log_post.max())
    return weights / weights.sum()


def effect_estimates(dataset, config, steps: int = 50) -> tuple[np.ndarray, np.ndarray]:
    """Per factor, the mode and Laplace sd of its effect from its cell's observed stream states alone.

    A penalised logistic regression per cell (Newton's method), with the priors named in the
    module docstring; a factor of a cell without observed stream states keeps its prior.
    """
    s = np.asarray(dataset.s, dtype=float).reshape(dataset.n_cases, 6)
    x = np.asarray(dataset.x_filled, dtype=float)
    cell = np.asarray(dataset.factor_phase) * 3 + np.asarray(dataset.factor_stream)
    mu, tau, alpha = (config.prior_of(name).params for name in ("mu", "tau", "alpha"))
    effect_var = mu["sigma"] ** 2 + tau["sigma"] ** 2
    estimate, se = np.full(len(cell), float(mu["mu"])), np.full(len(cell), np.sqrt(effect_var))
    for c in range(6):
        members = np.flatnonzero(cell == c)
        seen = ~np.isnan(s[:, c])
        if not len(members) or not seen.any():
            continue
        design = np.column_stack([np.ones(seen.sum()), x[np.ix_(seen, members)]])
        prior_mean = np.array([alpha["mu"], *[mu["mu"]] * len(members)])
        prior_precision = np.diag([1.0 / alpha["sigma"] ** 2, *[1.0 / effect_var] * len(members)])
        coef = _newton(design, s[seen, c], prior_mean, prior_precision, steps)
        q = 1.0 / (1.0 + np.exp(-design @ coef))
        hessian = design.T @ (design * (q * (1.0 - q))[:, None]) + prior_precision
        estimate[members] = coef[1:]
        se[members] = np.sqrt(np.diag(np.linalg.inv(hessian))[1:])
    return estimate, se


def _newton(design, y, prior_mean, prior_precision, steps: int) -> np.ndarray:
    """The mode of a logistic regression with a Normal prior (concave: Newton converges from the prior mean)."""
    coef = prior_mean.copy()
    for _ in range(steps):
        q = 1.0 / (1.0 + np.exp(-design @ coef))
        gradient = design.T @ (y - q) - prior_precision @ (coef - prior_mean)
        hessian = design.T @ (design * (q * (1.0 - q))[:, None]) + prior_precision
        step = np.linalg.solve(hessian, gradient)
        coef += step
        if np.max(np.abs(step)) < 1e-8:
            break
    return coef
