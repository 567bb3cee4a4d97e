"""Convergence diagnostics and Pareto-smoothed importance weights of MCMC draws, in NumPy only.

What a fit and ``analyze`` need from arviz-stats, computed as arviz-stats 1.x computes it so that
the numbers are the same (tests/test_mcmc_stats.py holds them equal to arviz-stats to 1e-10,
relative), without its import: arviz-stats imports SciPy's statistics (about 0.8 s of a warm
``analyze``) for a rank, a normal quantile and a log-sum-exp.

* rank-normalised split R-hat, bulk and tail ESS (Vehtari, Gelman, Simpson, Carpenter and
  Buerkner 2021, "Rank-normalization, folding, and localization"): each chain split in halves,
  the draws of all chains ranked together (ties share their average rank), the ranks turned into
  normal scores with Blom's offset ``(r - 3/8) / (S + 1/4)``; R-hat the larger of the bulk and the
  folded (``|x - median|``) one; ESS by Geyer's initial positive and monotone sequences on FFT
  autocovariances; tail ESS the smaller ESS of the indicators ``x <= q`` at the quantiles 0.11 and
  0.89 (arviz-stats' default interval, ``stats.ci_prob = 0.89``, not the paper's 0.05 / 0.95).
* E-BFMI (Betancourt 2016) per chain from the sampler's energy.
* PSIS (Vehtari, Simpson, Gelman, Yao and Gabry 2024): the largest ``M`` ratios (``3 sqrt(S /
  r_eff)``, or ``S / 5`` for at most 225 effective draws) replaced by the quantiles of a generalised
  Pareto fitted to them with Zhang and Stephens' (2009) empirical-Bayes estimate and a weak prior
  pulling ``k`` to 0.5 (10 pseudo-observations), capped at the largest raw ratio; ``k`` is infinite
  when the fit's estimate is NaN (the ratios are then left as they are) and NaN when the tail's
  first quartile does not exceed its minimum.

The normal quantile is Wichura's (1988) algorithm AS 241 (PPND16, relative error about 1e-16),
so these scores can differ from SciPy's ``ndtri`` in the last bit, and R-hat and bulk ESS from
arviz-stats' in the 14th digit; tail ESS, E-BFMI and PSIS take no normal quantile.
"""

from __future__ import annotations

import warnings

import numpy as np

TAIL_ESS_PROB = 0.89  # arviz-stats' rcParams["stats.ci_prob"]: tail ESS at the quantiles 0.11 and 0.89
BLOM_OFFSET = 3 / 8
MIN_DRAWS = 4  # per chain, for R-hat and ESS (fewer: NaN)

# ---------------------------------------------------------------------------- numerical pieces

# AS 241 (Wichura 1988, Applied Statistics 37:477-484), PPND16: numerator and denominator
# coefficients, lowest power first; the denominators' constant term is 1.
_CENTRAL = ((3.3871328727963666080e0, 1.3314166789178437745e2, 1.9715909503065514427e3, 1.3731693765509461125e4,
             4.5921953931549871457e4, 6.7265770927008700853e4, 3.3430575583588128105e4, 2.5090809287301226727e3),
            (1.0, 4.2313330701600911252e1, 6.8718700749205790830e2, 5.3941960214247511077e3,
             2.1213794301586595867e4, 3.9307895800092710610e4, 2.8729085735721942674e4, 5.2264952788528545610e3))
_INTERMEDIATE = ((1.42343711074968357734e0, 4.63033784615654529590e0, 5.76949722146069140550e0,
                  3.64784832476320460504e0, 1.27045825245236838258e0, 2.41780725177450611770e-1,
                  2.27238449892691845833e-2, 7.74545014278341407640e-4),
                 (1.0, 2.05319162663775882187e0, 1.67638483018380384940e0, 6.89767334985100004550e-1,
                  1.48103976427480074590e-1, 1.51986665636164571966e-2, 5.47593808499534494600e-4,
                  1.05075007164441684324e-9))
_FAR = ((6.65790464350110377720e0, 5.46378491116411436990e0, 1.78482653991729133580e0, 2.96560571828504891230e-1,
         2.65321895265761230930e-2, 1.24266094738807843860e-3, 2.71155556874348757815e-5, 2.01033439929228813265e-7),
        (1.0, 5.99832206555887937690e-1, 1.36929880922735805310e-1, 1.48753612908506148525e-2,
         7.86869131145613259100e-4, 1.84631831751005468180e-5, 1.42151175831644588870e-7, 2.04426310338993978564e-15))


def _ratio(coefficients, r):
    """numerator(r) / denominator(r), each by Horner's rule from the highest power."""
    numerator, denominator = coefficients
    top, bottom = np.full_like(r, numerator[-1]), np.full_like(r, denominator[-1])
    for a, b in zip(numerator[-2::-1], denominator[-2::-1]):
        top = top * r + a
        bottom = bottom * r + b
    return top / bottom


def normal_quantile(p) -> np.ndarray:
    """The standard normal quantile of ``p`` (AS 241): ``-inf`` at 0, ``inf`` at 1, NaN outside [0, 1].

    Examples
    --------
    >>> normal_quantile([0.025, 0.5, 0.975]).round(6).tolist()
    [-1.959964, 0.0, 1.959964]
    """
    p = np.asarray(p, dtype=float)
    q = p - 0.5
    x = np.full(p.shape, np.nan)
    central = np.abs(q) <= 0.425
    r = 0.180625 - q[central] ** 2
    x[central] = q[central] * _ratio(_CENTRAL, r)
    outer = ~central & (p > 0) & (p < 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.sqrt(-np.log(np.minimum(p[outer], 1.0 - p[outer])))
    near = r <= 5.0
    z = np.empty_like(r)
    z[near] = _ratio(_INTERMEDIATE, r[near] - 1.6)
    z[~near] = _ratio(_FAR, r[~near] - 5.0)
    x[outer] = np.where(q[outer] < 0, -z, z)
    x[p == 0] = -np.inf
    x[p == 1] = np.inf
    return x if x.ndim else x[()]


def logsumexp(a, axis=None, keepdims: bool = False):
    """``log(sum(exp(a)))`` along ``axis``, as SciPy's (1.15 and later) computes it.

    The largest terms are taken out of the sum (``m`` of them, each ``exp(0) = 1``), so the
    result is ``a_max + log(m) + log1p(rest / m)``: exact when one term dominates.
    """
    a = np.asarray(a, dtype=float)
    a_max = np.max(a, axis=axis, keepdims=True)
    is_max = a == a_max
    m = np.sum(is_max, axis=axis, keepdims=True, dtype=float)
    with np.errstate(invalid="ignore", over="ignore"):
        rest = np.where(is_max, 0.0, np.exp(a - a_max))
    s = np.sum(rest, axis=axis, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(s == 0, s, s / m)
        out = np.log1p(s) + np.log(m) + a_max
    if not keepdims:
        out = np.squeeze(out, axis=axis) if axis is not None else out.reshape(())
    return out if out.ndim else out[()]


def average_ranks(values) -> np.ndarray:
    """Ranks 1..n of the flattened ``values``, ties sharing their average rank; NaN stays NaN, unranked."""
    flat = np.asarray(values, dtype=float).ravel()
    ranks = np.full(flat.shape, np.nan)
    ranked = ~np.isnan(flat)
    kept = flat[ranked]
    order = np.argsort(kept)  # tied values share one rank, so their order does not matter
    ordered = kept[order]
    starts = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(kept) else np.array([], dtype=int)
    bounds = np.r_[starts, len(kept)]
    group = np.repeat(np.arange(len(starts)), np.diff(bounds))
    out = np.empty(len(kept))
    out[order] = 0.5 * (bounds[1:] + bounds[:-1] + 1)[group]
    ranks[ranked] = out
    return ranks


def _next_fast_length(target: int) -> int:
    """The smallest 2-3-5-smooth integer at least ``target``: the FFT length arviz-stats pads to."""
    best = 1 << max(0, (target - 1).bit_length())  # the power of two
    power5 = 1
    while power5 < best:
        power35 = power5
        while power35 < best:
            n = power35
            while n < target:
                n *= 2
            best = min(best, n)
            power35 *= 3
        power5 *= 5
    return best


def _autocovariance(draws: np.ndarray) -> np.ndarray:
    """Autocovariance of each row at every lag (divided by the row length), by FFT."""
    n = draws.shape[1]
    centred = draws - draws.mean(1, keepdims=True)
    spectrum = np.fft.rfft(centred, n=_next_fast_length(2 * n), axis=1)
    spectrum *= np.conjugate(spectrum)
    return np.fft.irfft(spectrum, n=_next_fast_length(2 * n), axis=1)[:, :n] / n


# ---------------------------------------------------------------------------- R-hat and ESS


def _invalid(draws: np.ndarray, min_chains: int) -> bool:
    """A (chain, draw) array that gets NaN: any NaN, fewer than ``min_chains`` chains or 4 draws (1-D: one chain)."""
    shape = np.atleast_2d(draws).shape
    return bool(np.isnan(draws).any()) or shape[0] < min_chains or shape[1] < MIN_DRAWS


def split_chains(draws: np.ndarray) -> np.ndarray:
    """(2 chain, draw // 2): each chain's first and last halves as chains (an odd middle draw left out)."""
    draws = np.atleast_2d(np.asarray(draws))
    half = draws.shape[1] // 2
    return np.vstack((draws[:, :half], draws[:, -half:]))


def normal_scores(draws: np.ndarray) -> np.ndarray:
    """Rank-normalised draws: the normal quantile of ``(rank - 3/8) / (S + 1/4)`` over all chains together."""
    draws = np.asarray(draws)
    ranks = average_ranks(draws)
    return normal_quantile((ranks - BLOM_OFFSET) / (ranks.size - 2 * BLOM_OFFSET + 1)).reshape(draws.shape)


def _rhat(draws: np.ndarray) -> float:
    draws = np.asarray(draws, dtype=float)
    n = draws.shape[1]
    between = n * np.var(np.mean(draws, axis=1), axis=None, ddof=1)
    within = np.mean(np.var(draws, axis=1, ddof=1))
    return np.sqrt((between / within + n - 1) / n)


def rhat_rank(draws) -> float:
    """Rank-normalised split R-hat of one quantity's (chain, draw) draws: the larger of bulk and folded."""
    draws = np.asarray(draws)
    if _invalid(draws, min_chains=2):
        return np.nan
    split = split_chains(draws)
    bulk = _rhat(normal_scores(split))
    tail = _rhat(normal_scores(abs(split - np.median(split))))
    return max(bulk, tail)


def _ess(draws: np.ndarray, relative: bool = False) -> float:
    """ESS of (chain, draw) draws by Geyer's initial positive, then monotone, sequence of autocorrelations."""
    draws = np.asarray(draws, dtype=float)
    if (np.max(draws) - np.min(draws)) < np.finfo(float).resolution:  # constant: every draw counts
        return draws.size
    n_chain, n_draw = draws.shape
    acov = _autocovariance(draws)
    lag_mean = np.mean(np.ascontiguousarray(acov.T), axis=1)  # over chains, per lag
    mean_var = lag_mean[0] * n_draw / (n_draw - 1.0)
    var_plus = mean_var * (n_draw - 1.0) / n_draw
    if n_chain > 1:
        var_plus += np.var(draws.mean(axis=1), axis=None, ddof=1)
    rho = np.zeros(n_draw)
    rho_even, rho_odd = 1.0, 1.0 - (mean_var - lag_mean[1]) / var_plus
    rho[0], rho[1] = rho_even, rho_odd
    t = 1
    while t < (n_draw - 3) and (rho_even + rho_odd) > 0.0:  # initial positive sequence
        rho_even = 1.0 - (mean_var - lag_mean[t + 1]) / var_plus
        rho_odd = 1.0 - (mean_var - lag_mean[t + 2]) / var_plus
        if (rho_even + rho_odd) >= 0:
            rho[t + 1], rho[t + 2] = rho_even, rho_odd
        t += 2
    max_t = t - 2
    if rho_even > 0:
        rho[max_t + 1] = rho_even
    t = 1
    while t <= max_t - 2:  # initial monotone sequence
        if (rho[t + 1] + rho[t + 2]) > (rho[t - 1] + rho[t]):
            rho[t + 1] = (rho[t - 1] + rho[t]) / 2.0
            rho[t + 2] = rho[t + 1]
        t += 2
    ess = n_chain * n_draw
    tau = -1.0 + 2.0 * np.sum(rho[: max_t + 1]) + np.sum(rho[max_t + 1: max_t + 2])
    tau = max(tau, 1 / np.log10(ess))
    ess = (1 if relative else ess) / tau
    return np.nan if np.isnan(rho).any() else ess


def ess_bulk(draws, relative: bool = False) -> float:
    """Bulk ESS of one quantity's (chain, draw) draws: ESS of the rank-normalised split chains."""
    draws = np.asarray(draws)
    if _invalid(draws, min_chains=1):
        return np.nan
    return _ess(normal_scores(split_chains(draws)), relative=relative)


def ess_tail(draws, prob: float = TAIL_ESS_PROB, relative: bool = False) -> float:
    """Tail ESS: the smaller ESS of the split indicators ``draws <= q`` at the quantiles ``1 - prob`` and ``prob``."""
    draws = np.asarray(draws)
    if _invalid(draws, min_chains=1):
        return np.nan
    low, high = sorted((prob, 1 - prob))
    return min(_ess(split_chains(draws <= np.quantile(draws, q)), relative=relative) for q in (low, high))


def over_quantities(statistic, draws) -> np.ndarray:
    """``statistic`` of each quantity of (chain, draw, *shape) ``draws``: an array of ``shape``."""
    draws = np.asarray(draws)
    flat = draws.reshape(*draws.shape[:2], -1)
    return np.array([statistic(flat[:, :, j]) for j in range(flat.shape[2])], dtype=float).reshape(draws.shape[2:])


def bfmi(energy) -> np.ndarray:
    """E-BFMI per chain of the sampler's (chain, draw) energy: mean squared energy change over its variance."""
    energy = np.atleast_2d(np.asarray(energy, dtype=float))
    return np.square(np.diff(energy, axis=1)).mean(axis=1) / np.var(energy, axis=1, ddof=1)


# ---------------------------------------------------------------------------- Pareto smoothing


def psis_tail_length(n: int, r_eff: float = 1.0) -> int:
    """How many of ``n`` ratios make the tail: ``3 sqrt(n / r_eff)`` above 225 effective draws, else ``n / 5``."""
    return int(np.floor(3 * (n / r_eff) ** 0.5)) if n * r_eff > 225 else int(np.floor(n / 5))


def gpd_fit(excess: np.ndarray) -> tuple[float, float]:
    """Generalised Pareto (k, sigma) of sorted positive tail excesses: Zhang and Stephens' estimate, weak prior on k.

    ``(nan, nan)`` when the first quartile does not exceed the minimum (far from a generalised
    Pareto); ``(inf, nan)`` when the estimate of ``k`` is NaN.
    """
    prior_bs, prior_k = 3, 10
    n = len(excess)
    m_est = 30 + int(n ** 0.5)
    first_quartile = excess[int((n / 4 + 0.5) - 1)]
    if first_quartile <= excess[0]:
        return np.nan, np.nan
    b = 1 - np.sqrt(m_est / (np.arange(1, m_est + 1, dtype=float) - 0.5))
    b /= prior_bs * first_quartile
    b += 1 / excess[-1]
    k = np.mean(np.log1p(-b[:, None] * excess), axis=1)
    profile = n * (np.log(-b / k) - k - 1)
    weight = np.exp(profile - logsumexp(profile))
    kept = weight >= 10 * np.finfo(float).eps  # negligible weights dropped
    if not np.all(kept):
        weight, b = weight[kept], b[kept]
    weight /= weight.sum()
    b_post = np.sum(b * weight)
    k_post = np.mean(np.log1p(-b_post * excess))
    sigma = -k_post / b_post
    k_post = (n * k_post + prior_k * 0.5) / (n + prior_k)
    if np.isnan(k_post):
        return np.inf, np.nan
    return k_post, sigma


def gpd_quantile(p: np.ndarray, k: float, sigma: float, mu: float) -> np.ndarray:
    """Quantiles of a generalised Pareto (shape ``k``, scale ``sigma``, location ``mu``); NaN for ``sigma <= 0``."""
    if sigma <= 0:
        return np.full_like(p, np.nan)
    if k == 0:
        return mu - sigma * np.log1p(-p)
    return mu + sigma * np.expm1(-k * np.log1p(-p)) / k


def pareto_smooth(log_ratio, n_tail: int) -> tuple[np.ndarray, float]:
    """Normalised log weights of the ratios ``exp(log_ratio)`` (1-D) with their ``n_tail`` largest smoothed, and k.

    Raises ValueError for a tail under 5 ratios or of one value.  When ``k`` is not finite the
    ratios are only normalised.  Ties are ordered by NumPy's default sort, as in arviz-stats.
    """
    ary = np.asarray(log_ratio, dtype=float).copy()
    ary -= np.max(ary)
    n = len(ary)
    if n_tail < 5:
        raise ValueError("n_draws_tail must be at least 5")
    ordered = np.argsort(ary)
    in_tail = ordered[n - n_tail:]
    cutoff = ary[ordered[n - n_tail - 1]]  # the largest value below the tail
    tail = ary[in_tail]
    max_tail = np.max(tail)
    if abs(max_tail - np.min(tail)) < np.finfo(float).tiny:
        raise ValueError("All tail values are the same")
    k, sigma = gpd_fit(np.exp(tail) - np.exp(cutoff))
    if np.isfinite(k):
        with np.errstate(invalid="ignore"):
            smoothed = np.log(gpd_quantile(np.arange(0.5, n_tail) / n_tail, k, sigma, np.exp(cutoff)))
        smoothed[smoothed > max_tail] = max_tail
        ary[in_tail] = smoothed
    ary -= logsumexp(ary)
    return ary, k


def psis(log_ratio, r_eff: float = 1.0) -> tuple[np.ndarray, float]:
    """Pareto-smoothed normalised log weights of the importance ratios ``exp(log_ratio)`` (any shape, all draws), and k.

    arviz-stats' ``psislw(-log_ratio, r_eff)`` (which takes a log-likelihood and smooths ``exp(-x)``).

    Examples
    --------
    >>> log_w, k = psis(np.random.default_rng(0).normal(size=4000))
    >>> bool(abs(np.exp(log_w).sum() - 1) < 1e-12), bool(k < 0.7)
    (True, True)
    """
    log_ratio = np.asarray(log_ratio, dtype=float)
    log_w, k = pareto_smooth(log_ratio.ravel(), psis_tail_length(log_ratio.size, r_eff))
    return log_w.reshape(log_ratio.shape), k


def power_scale_log_weights(log_component, alpha: float) -> np.ndarray:
    """Pareto-smoothed log weights (shape of ``log_component``, (chain, draw)) of raising a density component to ``alpha``.

    arviz-stats' ``power_scale_lw``: the ratios ``exp((alpha - 1) * log_component)``, the tail length
    from the relative tail ESS of ``log_component`` (its draws taken as one chain), at most half and
    at least 5 draws.
    """
    log_component = np.asarray(log_component, dtype=float)
    flat = log_component.ravel()
    n = len(flat)
    n_tail = psis_tail_length(n, ess_tail(flat, prob=0.05, relative=True))
    if n_tail > n // 2:
        warnings.warn("Number of tail draws cannot be more than half the total number of draws if both tails "
                      f"are fit, changing to {n // 2}")
        n_tail = n // 2
    if n_tail < 5:
        warnings.warn("Number of tail draws cannot be less than 5. Changing to 5")
        n_tail = 5
    return pareto_smooth((alpha - 1) * flat, n_tail)[0].reshape(log_component.shape)
