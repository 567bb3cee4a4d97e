"""Calibration of the posterior QCA (issue 27 item 4): do its intervals cover the complete-data values?

One simulation: draw one parameter set from the model file's prior, complete codes, stream states
and windows from the generative model (MODEL.md §2); hide part of the stream states and windows
(at random, as the model assumes); fit the model to what is left; run the posterior QCA of each
window with its phase's streams; and compare every necessity measure (inclN, covN, RoN of each
stream and its negation, and of ``w1`` for ``w2``) and the inclusion of each truth-table row with
its value on the **complete** data (the classical QCA with nothing hidden).

If the model, the latent draws and the set-theoretic formulas are right, the complete-data value
is a draw from the posterior of the quantity (the data were drawn from the prior predictive), so:

* the randomized PIT ``u = P(X < true) + V P(X = true)`` (``V`` uniform; ``X`` the posterior draws) is
  uniform on [0, 1], for discrete and continuous quantities alike;
* the share of ``u`` inside [0.05, 0.95] is 0.90: the nominal rate of a 90% interval.

The negative control hides stream states **not** at random (``observed_streams=(kept if off, kept if
in motion)``), which the model does not know: its intervals should then miss the complete-data
values more often than nominal.

Quantities whose posterior is a single value (they rest on known cells only) have ``u`` uniform
too, by the randomization, but say nothing: the summary counts them apart (``uncertain``).
The equal-tailed interval [q05, q95] itself includes its ends, so with a discrete posterior it
covers at least 90%; that rate is reported beside.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bayesstreams.analysis.qca.posterior import posterior_qca
from bayesstreams.analysis.qca.result import qca
from bayesstreams.checks.check_folder import write_check_folder
from bayesstreams.data.codebook import PHASES
from bayesstreams.inference.fit import fit, resolve_model
from bayesstreams.model.priors import draw_prior
from bayesstreams.model.simulate import draw_codes, hide_streams, simulate_outcomes, simulated_dataset, simulation_codebook

LEVEL = 0.9
MEASURES = ("inclN", "covN", "RoN")


@dataclass
class Coverage:
    """The rows of every simulation (pandas) and their summary per measure (pandas)."""

    rows: object
    summary: object
    settings: dict


def randomized_pit(draws: np.ndarray, true: float, u: float) -> float:
    """``P(X < true) + u P(X = true)`` over the finite draws (equality to 1e-12).

    >>> randomized_pit(np.array([0.0, 0.5, 0.5, 1.0]), 0.5, 0.5)
    0.5
    """
    draws = np.asarray(draws, float)
    draws = draws[np.isfinite(draws)]
    equal = np.abs(draws - true) <= 1e-12
    return float(((draws < true) & ~equal).mean() + u * equal.mean())


def _one(config, codebook, n_cases: int, observed_streams: float, p_window_missing: float, rng, fit_settings,
         seed: int, n_draws: int) -> list[dict]:
    shape = simulated_dataset(codebook, np.zeros((1, len(codebook.factors))), np.zeros((1, 2, 3)), np.zeros((1, 2)))
    fp, fs = shape.factor_phase, shape.factor_stream  # the codebook's factors as the model indexes them
    params = {k: np.asarray(v)[0] for k, v in draw_prior(config, fp, fs, 0, 1, rng).items()}
    x = draw_codes(n_cases, len(fp), rng)
    s, w = simulate_outcomes(params, x, fp, fs, rng)
    w_seen = w.copy()
    w_seen[rng.random(w.shape) < p_window_missing] = np.nan
    if isinstance(observed_streams, (tuple, list)):  # not at random: (kept if off, kept if in motion)
        s_seen = np.where(rng.random(s.shape) < np.where(s == 1, observed_streams[1], observed_streams[0]), s, np.nan)
    else:
        s_seen = hide_streams(s, observed_streams, rng)
    seen = simulated_dataset(codebook, x, s_seen, w_seen, name="qca-coverage")
    complete = simulated_dataset(codebook, x, s, w, name="qca-coverage-complete")
    run = fit(seen, config, seed=seed, **fit_settings)
    rows = []
    for phase in PHASES:
        outcome = f"w{phase}"
        post = posterior_qca(run, outcome, n_draws=n_draws, seed=seed)
        truth = qca(complete, outcome=outcome)
        known = truth.necessity.set_index("condition")
        for j, condition in enumerate(post.draws.coords["condition"].values):
            for measure in MEASURES:
                rows.append(_row(post.draws[measure].values[:, j], float(known.loc[condition, measure]), rng,
                                 outcome=outcome, measure=measure, item=str(condition)))
        by_row = truth.truth_table.set_index("row")
        for r in by_row.index:  # the inclusion of each configuration a complete-data case is in
            values = post.draws["row_incl"].sel(row=int(r)).values
            rows.append(_row(values, float(by_row.loc[r, "incl"]), rng, outcome=outcome, measure="row incl",
                             item=str(int(r))))
    return rows


def _row(values, true: float, rng, **labels) -> dict:
    values = np.asarray(values, float)
    finite = values[np.isfinite(values)]
    if not np.isfinite(true) or not finite.size:
        return {**labels, "true": true, "pit": np.nan, "covered": np.nan, "in_interval": np.nan, "uncertain": False}
    low, high = np.quantile(finite, [(1 - LEVEL) / 2, (1 + LEVEL) / 2])
    pit = randomized_pit(finite, true, float(rng.random()))
    return {**labels, "true": true, "mean": float(finite.mean()), "q05": float(low), "q95": float(high), "pit": pit,
            "covered": float((1 - LEVEL) / 2 <= pit <= (1 + LEVEL) / 2),
            "in_interval": float(low - 1e-12 <= true <= high + 1e-12), "uncertain": bool(finite.max() > finite.min())}


def summarise(rows):
    """Per measure: quantities, how many uncertain, the nominal-rate coverage (randomized PIT) and the interval's."""
    import pandas as pd

    frame = rows[rows["pit"].notna()]
    out = []
    for measure, group in [("all", frame), *frame.groupby("measure")]:
        uncertain = group[group["uncertain"]]
        n = len(uncertain)
        rate = float(uncertain["covered"].mean()) if n else np.nan
        # the quantities of one simulation share its data: the standard error treats simulations as clusters
        per_sim = uncertain.groupby("sim")["covered"].agg(["sum", "count"])
        se = float(np.sqrt(((per_sim["sum"] - rate * per_sim["count"]) ** 2).sum()) / n) if n else np.nan
        out.append({"measure": measure, "n": len(group), "n_uncertain": n, "coverage": rate, "coverage_se": se,
                    "interval_coverage": float(uncertain["in_interval"].mean()) if n else np.nan,
                    "pit_mean": float(uncertain["pit"].mean()) if n else np.nan})
    return pd.DataFrame(out)


def qca_coverage(n_sims: int = 100, n_cases: int = 12, seed: int = 1, model=None, observed_streams: float = 0.5,
                 p_window_missing: float = 0.15, draws: int = 300, tune: int = 300, chains: int = 2,
                 n_draws: int = 600, progress=None) -> Coverage:
    """Run the calibration (see the module docstring); ``progress(i, n)`` is called after each simulation.

    Examples
    --------
    >>> result = qca_coverage(n_sims=2, n_cases=8, draws=100, tune=100, n_draws=100)
    >>> sorted(set(result.rows["measure"])) == sorted({"inclN", "covN", "RoN", "row incl"})
    True
    """
    import pandas as pd

    config = resolve_model(model)
    codebook = simulation_codebook()
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(n_sims):
        for row in _one(config, codebook, n_cases, observed_streams, p_window_missing, rng,
                        {"draws": draws, "tune": tune, "chains": chains}, seed + i, n_draws):
            rows.append({"sim": i, **row})
        if progress is not None:
            progress(i + 1, n_sims)
    frame = pd.DataFrame(rows)
    settings = {"n_sims": n_sims, "n_cases": n_cases, "seed": seed, "model": config.name,
                "observed_streams": observed_streams, "p_window_missing": p_window_missing, "draws": draws,
                "tune": tune, "chains": chains, "n_draws": n_draws, "level": LEVEL}
    return Coverage(rows=frame, summary=summarise(frame), settings=settings)


def write_coverage(result: Coverage, out, force: bool = False):
    """Write ``rows.csv``, ``summary.csv`` and ``settings.json`` into the folder ``out`` (atomically)."""
    return write_check_folder(out, {"rows": result.rows, "summary": result.summary}, result.settings, force)
