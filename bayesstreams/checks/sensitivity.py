"""Prior sensitivity: power-scaling diagnostics and a side-by-side of two priors.

Power-scaling (Kallioinen et al. 2024, ``arviz_stats.psense``): raise the prior (or the
likelihood) to a power near 1 by importance weighting the posterior draws and measure how
much each posterior quantity moves (cumulative Jensen-Shannon distance per unit of log
power).  It needs the log prior of every posterior draw, computed here in NumPy with
the priors the model kind declares (:func:`log_prior_draws`), and the pointwise
log-likelihood saved with the run.

Only the top-level priors are power-scaled (:func:`scaled_priors`): the standard-normal
``z`` and ``gamma_raw`` define the hierarchy (``beta = mu + tau z``), not a prior belief,
and scaling them would change the pooling instead (as in ``priorsense``'s ``lprior``).

Flags follow the paper's diagnosis, with its threshold 0.05 on both sensitivities:

* ``prior-data conflict``: prior and likelihood sensitivity both >= 0.05 (the two pull
  apart; the posterior is a compromise that depends on the prior's exact form);
* ``prior-driven``: prior sensitivity >= 0.05 and likelihood sensitivity < 0.05 (a strong
  prior or a weak likelihood: the number restates the prior);
* empty otherwise.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.analysis.contraction import scalar_labels
from bayesstreams.analysis.queries import baseline, dependency_draws, windows
from bayesstreams.errors import RunError
from bayesstreams.model.kinds import kind_of_draws
from bayesstreams.model.priors import log_prior_draws, scaled_priors

THRESHOLD = 0.05
HEADLINE = ("rho", "dependency_effect", "mean_p_w1", "mean_p_w2")


def headline_draws(draws: dict, dataset) -> dict[str, np.ndarray]:
    """Per draw: the dependency parameter (``rho`` or ``delta``), the dependency effect, mean P(W1), mean P(W2)."""
    w = windows(baseline(draws, dataset))
    parameter = kind_of_draws(draws).dependency_parameter
    return {parameter: np.asarray(draws[parameter], dtype=float), "dependency_effect": dependency_draws(draws, dataset),
            "mean_p_w1": w.p1.mean(axis=1), "mean_p_w2": w.p2.mean(axis=1)}


def _chained(values: np.ndarray, chains: int) -> np.ndarray:
    values = np.asarray(values, dtype=float)
    return values.reshape(chains, values.shape[0] // chains, *values.shape[1:])


def sensitivity_tree(posterior: dict, log_likelihood: np.ndarray, dataset, config, chains: int):
    """A DataTree with ``posterior`` (parameters and headline quantities), ``log_prior`` and ``log_likelihood``."""
    import xarray as xr

    raw = {p.name for p in config.model_kind.parameters if p.role == "raw"}
    quantities = {k: v for k, v in posterior.items() if k not in raw}
    quantities.update({k: v for k, v in headline_draws(posterior, dataset).items() if k not in quantities})
    post = xr.Dataset({name: (("chain", "draw", *[f"{name}_dim_{i}" for i in range(np.ndim(v) - 1)]), _chained(v, chains))
                       for name, v in quantities.items()})
    prior = xr.Dataset({name: (("chain", "draw"), _chained(v, chains))
                        for name, v in log_prior_draws(posterior, config).items()})
    loglik = xr.Dataset({"loglik": (("chain", "draw", "case"), _chained(log_likelihood, chains))})
    return xr.DataTree.from_dict({"posterior": post, "log_prior": prior, "log_likelihood": loglik})


def flag(prior: float, likelihood: float, threshold: float = THRESHOLD) -> str:
    """The paper's diagnosis of one quantity (see the module docstring)."""
    if prior >= threshold and likelihood >= threshold:
        return "prior-data conflict"
    if prior >= threshold:
        return "prior-driven"
    return ""


def sensitivities(tree, scaled_priors) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Per posterior variable of ``tree``: flattened (prior, likelihood) power-scaling sensitivities.

    Only the ``log_prior`` variables named in ``scaled_priors`` are power-scaled.
    """
    import arviz_stats as azs

    prior = azs.psense(tree, group="prior", group_var_names=list(scaled_priors))
    likelihood = azs.psense(tree, group="likelihood")
    return {str(name): (np.ravel(prior[name].values), np.ravel(likelihood[name].values))
            for name in tree["posterior"].data_vars}


def power_scaling_table(posterior: dict, log_likelihood: np.ndarray, dataset, config, chains: int):
    """Prior and likelihood power-scaling sensitivity of every parameter scalar and headline quantity.

    Returns
    -------
    pandas.DataFrame
        Columns ``name, index, prior, likelihood, flag``; one row per scalar.
    """
    import pandas as pd

    tree = sensitivity_tree(posterior, log_likelihood, dataset, config, chains)
    scaled = [name for name in scaled_priors(config) if name in tree["log_prior"].data_vars]
    rows = []
    for name, (prior, likelihood) in sensitivities(tree, scaled).items():
        labels = scalar_labels(name, tree["posterior"][name].shape[2:], dataset, config.kind)
        rows += [{"name": name, "index": label, "prior": float(p), "likelihood": float(lk), "flag": flag(p, lk)}
                 for label, p, lk in zip(labels, prior, likelihood)]
    return pd.DataFrame(rows)


def run_sensitivity(run):
    """:func:`power_scaling_table` of a loaded run (``bayesstreams.inference.store.Run``)."""
    if run.log_likelihood is None:
        raise RunError(f"{run.path}: the run holds no pointwise log-likelihood (refit with `bayesstreams fit`)")
    chains = int(run.info.get("settings", {}).get("chains", 1))
    return power_scaling_table(run.posterior, run.log_likelihood, run.dataset, run.config, chains)


def headline_comparison(fits: list) -> "pd.DataFrame":
    """Headline quantities of several fits of one dataset side by side (e.g. streams vs streams-agnostic).

    Parameters
    ----------
    fits
        Objects with ``posterior``, ``dataset`` and ``config`` (a :class:`~bayesstreams.inference.run.Run`).

    Returns
    -------
    pandas.DataFrame
        Columns ``quantity, model, mean, q05, q50, q95``.
    """
    import pandas as pd

    rows = []
    for fit in fits:
        for quantity, values in headline_draws(fit.posterior, fit.dataset).items():
            q05, q50, q95 = np.quantile(values, [0.05, 0.5, 0.95])
            rows.append({"quantity": quantity, "model": fit.config.name, "mean": float(values.mean()),
                         "q05": float(q05), "q50": float(q50), "q95": float(q95)})
    return pd.DataFrame(rows).sort_values(["quantity", "model"], kind="stable", ignore_index=True)


def sensitivity_sentence(table) -> str:
    """A plain sentence counting prior-driven and conflicting quantities."""
    n = len(table)
    driven = int((table["flag"] == "prior-driven").sum())
    conflict = int((table["flag"] == "prior-data conflict").sum())
    text = (f"{driven} of {n} quantities are prior-driven (sensitive to the prior, hardly to the data) and "
            f"{conflict} show a prior-data conflict (sensitive to both).")
    headline = table[table["name"].isin(HEADLINE) & (table["flag"] != "")]
    if len(headline):
        text += " Headline quantities flagged: " + ", ".join(f"{r.name} ({r.flag})" for r in headline.itertuples()) + "."
    return text
