"""Prior predictive check: what the priors say about windows before any window is seen.

From NumPy prior draws (:func:`bayesstreams.model.priors.draw_prior`) and the dataset's codes
``x`` (not its windows or stream states), per draw:

* ``P(W1)`` and ``P(W2)`` of every case and their average over cases (the same kernels as
  the posterior queries, :mod:`bayesstreams.analysis.queries`; ``P(W2)`` is marginal over ``W1``);
* the number of phase-1 and phase-2 windows among the dataset's cases, drawing
  ``W1 ~ Bernoulli(P(W1))`` and then ``W2`` given ``W1``;
* for the streams model, the probability ``q`` that each stream is in motion.

A prior is flagged *extreme* when more than :data:`EXTREME_MASS` (half) of its mass, pooled
over cases and draws, lies on rates below :data:`NEAR_ZERO` (0.05) or above
:data:`NEAR_ONE` (0.95), for P(W1), P(W2) or the stream probabilities.  Such a prior says
"windows (or streams) are almost certainly open or almost certainly shut" before seeing data,
which with 8 cases the data cannot overturn.  The default streams prior puts about a quarter
of its mass there; a stream intercept prior Normal(0, 10) puts about 80% of the stream
probabilities there.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bayesstreams.analysis.queries import baseline, windows
from bayesstreams.model.priors import draw_prior

NEAR_ZERO = 0.05
NEAR_ONE = 0.95
EXTREME_MASS = 0.5
PRIOR_DRAWS = 4000
QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@dataclass
class PriorPredictive:
    """Prior predictive draws: ``p_w1``, ``p_w2`` (draw, case); ``n_w1``, ``n_w2`` (draw,); ``q`` (draw, case, phase, stream) or None."""

    case_ids: tuple[str, ...]
    p_w1: np.ndarray
    p_w2: np.ndarray
    n_w1: np.ndarray
    n_w2: np.ndarray
    q: np.ndarray | None


def prior_predictive(dataset, config, n_draws: int = PRIOR_DRAWS, seed: int = 20200601) -> PriorPredictive:
    """Prior predictive window probabilities and window counts for ``dataset``'s codes under ``config``."""
    rng = np.random.default_rng(seed)
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), n_draws, rng)
    base = baseline(draws, dataset)
    w = windows(base)
    w1 = rng.random(w.p1.shape) < w.p1
    w2 = rng.random(w.p1.shape) < np.where(w1, w.p2_open, w.p2_closed)
    return PriorPredictive(tuple(dataset.case_ids), w.p1, w.p2, w1.sum(axis=1), w2.sum(axis=1), base.q)


def _row(quantity: str, kind: str, values: np.ndarray) -> dict:
    values = np.asarray(values, dtype=float).ravel()
    row = {"quantity": quantity, "kind": kind}
    row.update({f"q{int(round(100 * p)):02d}": v for p, v in zip(QUANTILES, np.quantile(values, QUANTILES))})
    if kind == "rate":
        row["near_0"] = float((values < NEAR_ZERO).mean())
        row["near_1"] = float((values > NEAR_ONE).mean())
    return row


def prior_table(pp: PriorPredictive):
    """Tidy quantiles of the prior predictive: pooled rates, averages, window counts, then each case.

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity, kind (rate | count), q05, q25, q50, q75, q95, near_0, near_1,
        extreme``; ``extreme`` is set on the pooled rates only (see the module docstring).
    """
    import pandas as pd

    rows = [_row("P(W1), all cases", "rate", pp.p_w1), _row("P(W2), all cases", "rate", pp.p_w2)]
    if pp.q is not None:
        rows.append(_row("P(stream in motion), all", "rate", pp.q))
    pooled = len(rows)
    rows += [_row("mean P(W1) over cases", "rate", pp.p_w1.mean(axis=1)),
             _row("mean P(W2) over cases", "rate", pp.p_w2.mean(axis=1)),
             _row(f"phase-1 windows (of {len(pp.case_ids)})", "count", pp.n_w1),
             _row(f"phase-2 windows (of {len(pp.case_ids)})", "count", pp.n_w2)]
    for i, case in enumerate(pp.case_ids):
        rows += [_row(f"P(W1) {case}", "rate", pp.p_w1[:, i]), _row(f"P(W2) {case}", "rate", pp.p_w2[:, i])]
    table = pd.DataFrame(rows)
    table["extreme"] = False
    table.loc[:pooled - 1, "extreme"] = (table["near_0"] + table["near_1"]).iloc[:pooled] > EXTREME_MASS
    return table


def prior_warnings(table) -> list[str]:
    """One plain sentence per extreme pooled rate (empty when the prior is not extreme)."""
    out = []
    for row in table[table["extreme"]].itertuples(index=False):
        mass = row.near_0 + row.near_1
        out.append(f"{row.quantity}: the prior puts {mass:.0%} of its mass near 0 or 1 "
                   f"({row.near_0:.0%} below {NEAR_ZERO}, {row.near_1:.0%} above {NEAR_ONE}); it claims to know "
                   f"before seeing data whether windows open or streams move; consider smaller prior scales")
    return out


def format_prior_table(table) -> list[str]:
    """The table as aligned text lines for the terminal."""
    lines = [f"{'quantity':<34}{'q05':>7}{'q25':>7}{'q50':>7}{'q75':>7}{'q95':>7}{'<0.05':>7}{'>0.95':>7}"]
    for row in table.itertuples(index=False):
        digits = 0 if row.kind == "count" else 3
        cells = "".join(f"{getattr(row, c):>7.{digits}f}" for c in ("q05", "q25", "q50", "q75", "q95"))
        tails = "" if row.kind == "count" else f"{row.near_0:>7.0%}{row.near_1:>7.0%}"
        lines.append(f"{row.quantity:<34}{cells}{tails}{'  EXTREME' if row.extreme else ''}")
    return lines


def check_prior(dataset, config, n_draws: int = PRIOR_DRAWS, seed: int = 20200601):
    """``(table, warnings)`` of the prior predictive check of ``config`` on ``dataset``."""
    table = prior_table(prior_predictive(dataset, config, n_draws, seed))
    return table, prior_warnings(table)
