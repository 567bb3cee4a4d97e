"""Statistics of SBC ranks: thinning, fractional ranks, chi-square uniformity, coverage, ECDF bands.

Thinning.  Ranks among autocorrelated draws are not uniform even for a correct sampler, so
each fit's draws are thinned to about their effective sample size: every chain keeps every
``step``-th draw with ``step = ceil(N / ESS_min)``, ``ESS_min`` the smallest bulk ESS over
the ranked quantities of that fit.

Fractional rank.  Thinning leaves a different number ``L`` of draws per fit, so the rank
``r`` (draws below the truth, ``0..L``) is mapped to ``u = (r + V) / (L + 1)``, ``V``
uniform on (0, 1): ``u`` is uniform on (0, 1) exactly when ``r`` is uniform on ``0..L``,
which puts every fit on one scale.

Decision.  Per quantity a chi-square test of ``u`` against uniform over ``B`` equal bins
(``B = n_sims // 8`` clipped to 4..20: at least about 8 simulations expected per bin); a
quantity fails when its p-value is below ``alpha / Q`` (Bonferroni over the ``Q``
quantities), and the SBC passes when no quantity fails.  Coverage counts how often the
truth lies in the central 90% posterior interval (all draws, not thinned).
"""

from __future__ import annotations

import numpy as np

ALPHA = 0.05
ECDF_PROB = 0.95


def thin_step(draws: np.ndarray) -> tuple[int, float]:
    """``(step, ESS_min)`` for draws (chain, draw, quantity): keep every ``step``-th draw of each chain."""
    import arviz_stats as azs

    ess = np.atleast_1d(azs.ess(draws, chain_axis=0, draw_axis=1, method="bulk"))
    ess_min = float(np.nanmin(ess)) if np.isfinite(ess).any() else 1.0
    n_total = draws.shape[0] * draws.shape[1]
    return max(1, int(np.ceil(n_total / max(ess_min, 1.0)))), ess_min


def rank_rows(labels: list[str], draws: np.ndarray, truth: np.ndarray, rng: np.random.Generator, info: dict) -> list[dict]:
    """One row per quantity of one fit: rank of the truth among the thinned draws, and its coverage.

    Parameters
    ----------
    labels
        Quantity names, e.g. ``"mu[1, problem]"``.
    draws
        (chain, draw, quantity) posterior draws.
    truth
        (quantity,) values the data were simulated from.
    info
        Columns shared by every row of this fit (``sim``, ``divergences``, timings).
    """
    step, ess_min = thin_step(draws)
    thinned = draws[:, ::step].reshape(-1, draws.shape[2])
    flat = draws.reshape(-1, draws.shape[2])
    ranks = (thinned < truth[None, :]).sum(axis=0)
    n_kept = thinned.shape[0]
    u = (ranks + rng.random(len(labels))) / (n_kept + 1)
    low, high = np.quantile(flat, [0.05, 0.95], axis=0)
    return [{**info, "order": q, "quantity": label, "parameter": label.split("[")[0], "truth": float(truth[q]),
             "post_mean": float(flat[:, q].mean()), "rank": int(ranks[q]), "n_kept": n_kept, "u": float(u[q]),
             "in_90": bool(low[q] <= truth[q] <= high[q]), "thin_step": step, "ess_min": round(ess_min, 1)}
            for q, label in enumerate(labels)]


def n_bins(n_sims: int) -> int:
    """Chi-square bins: about 8 or more simulations expected per bin, between 4 and 20 bins."""
    return int(np.clip(n_sims // 8, 4, 20))


def uniformity(ranks, alpha: float = ALPHA):
    """Per quantity: chi-square p-value of the fractional ranks, Bonferroni decision, 90% coverage.

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity, parameter, n_sims, bins, chi2, p_value, threshold, fails,
        covered_90, expected_90, coverage_p`` (two-sided binomial p-value of the coverage count).
    """
    import pandas as pd
    from scipy import stats

    quantities = ranks.drop_duplicates("quantity")[["quantity", "parameter"]]
    threshold = alpha / len(quantities)
    rows = []
    for quantity, parameter in quantities.itertuples(index=False):
        part = ranks[ranks["quantity"] == quantity]
        bins = n_bins(len(part))
        counts = np.histogram(part["u"], bins=bins, range=(0.0, 1.0))[0]
        chi2, p_value = stats.chisquare(counts)
        covered = int(part["in_90"].sum())
        rows.append({"quantity": quantity, "parameter": parameter, "n_sims": len(part), "bins": bins,
                     "chi2": float(chi2), "p_value": float(p_value), "threshold": threshold,
                     "fails": bool(p_value < threshold), "covered_90": covered,
                     "expected_90": 0.9 * len(part),
                     "coverage_p": float(stats.binomtest(covered, len(part), 0.9).pvalue)})
    return pd.DataFrame(rows)


def summarise(ranks, alpha: float = ALPHA) -> dict:
    """The SBC verdict and its numbers, JSON-ready (``passed``, failing quantities, divergences, ...)."""
    table = uniformity(ranks, alpha)
    fits = ranks.drop_duplicates("sim")
    return {
        "passed": bool(not table["fails"].any()),
        "alpha": alpha,
        "n_sims": int(len(fits)),
        "n_quantities": int(len(table)),
        "bonferroni_threshold": float(table["threshold"].iloc[0]),
        "failing": table.loc[table["fails"], "quantity"].tolist(),
        "min_p_value": float(table["p_value"].min()),
        "worst_quantity": str(table.loc[table["p_value"].idxmin(), "quantity"]),
        "fits_with_divergences": int((fits["divergences"] > 0).sum()),
        "coverage_90_mean": float(table["covered_90"].mean() / len(fits)),
        "thin_step_median": float(fits["thin_step"].median()),
        "ess_min_median": float(fits["ess_min"].median()),
        "fit_seconds_median": float(fits["fit_s"].median()),
        "quantities": table.to_dict(orient="records"),
    }


def ecdf_bands(n: int, prob: float = ECDF_PROB, n_simulations: int = 1000) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(x, lower, upper)``: simultaneous ``prob`` bands of the ECDF of ``n`` uniform values.

    From :func:`arviz_stats.ecdf_utils.ecdf_pit` (simulation method): under uniformity the
    whole ECDF stays inside them with probability ``prob``.  They depend on ``n`` only.
    """
    from arviz_stats.ecdf_utils import ecdf_pit

    x, _, lower, upper = ecdf_pit(np.linspace(0.0, 1.0, n), prob, n_simulations, rng=np.random.default_rng(0))
    return x, lower, upper


def ecdf_table(ranks, prob: float = ECDF_PROB):
    """ECDF minus uniform CDF of the fractional ranks per quantity, with simultaneous ``prob`` bands.

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity, parameter, x, ecdf_diff, lower, upper, outside`` (the plot input);
        ``outside`` marks points where the curve leaves the band.
    """
    import pandas as pd
    from arviz_stats.ecdf_utils import compute_ecdf

    frames, bands = [], {}
    for quantity, part in ranks.groupby("quantity", sort=False):
        n = len(part)
        if n not in bands:
            bands[n] = ecdf_bands(n, prob)
        x, lower, upper = bands[n]
        inner = compute_ecdf(part["u"].to_numpy(), x[1:-1])
        ecdf = np.concatenate(([0.0], inner, [1.0]))
        frames.append(pd.DataFrame({"quantity": quantity, "parameter": part["parameter"].iloc[0], "x": x,
                                    "ecdf_diff": ecdf - x, "lower": lower - x, "upper": upper - x,
                                    "outside": (ecdf < lower) | (ecdf > upper)}))
    return pd.concat(frames, ignore_index=True)
