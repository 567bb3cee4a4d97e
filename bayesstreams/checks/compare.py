"""Model comparison by leave-one-case-out predictive density: PSIS-LOO and exact LOO.

What is predicted.  The streams model's likelihood covers the observed stream states *and*
the windows, the additive baseline's only the windows, so their stored log-likelihoods
are not comparable.  The default target is therefore the windows of the left-out case
given its codes, ``log p(W1_i, W2_i | x_i)`` with the streams summed out (the streams
likelihood evaluated with every stream state unobserved); the left-out case's stream
states leave the training data with it.  Under an evidence mode (MODEL.md §7) the codes'
own terms (``sum log Z``, the likelihood of the case with nothing observed) are subtracted,
so runs of different modes are compared on the windows alone.  ``target="all"`` predicts everything a model's
likelihood covers (only meaningful between models of the same observed data, e.g. two
streams models).

PSIS-LOO (``arviz_stats.loo``) reuses one posterior: the importance weights of case ``i``
come from its full log-likelihood (everything that leaves with the case), and the weighted
draws predict the target.  With 8 cases, leaving one out often moves the posterior too far
for importance sampling; the Pareto shape ``k`` of each case shows it (``k > 0.7``:
unreliable).  Exact LOO refits without the case and scores it::

    elpd_i = log mean_s exp(log p(target_i | theta_s)),  theta_s drawn from p(theta | y_{-i})

with :func:`bayesstreams.model.likelihood.pointwise_loglik` on a one-case dataset.  A refit
masks the case's observations in the ``pm.Data`` model
(:func:`bayesstreams.inference.samplers.nutpie.compile_model`), so all refits of a model share one compiled sampler.

``p_loo`` is ``lpd - elpd`` (in-sample log predictive density of the full posterior minus
the leave-one-out one), the effective number of parameters; ``se`` is
``sqrt(n var(elpd_i))`` as in ``arviz_stats.loo``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bayesstreams.errors import BayesStreamsError, RunError
from bayesstreams.inference.fit import flatten
from bayesstreams.inference.samplers.nutpie import compile_model, sample_compiled
from bayesstreams.model.kinds import parameter_names, pointwise_loglik

K_THRESHOLD = 0.7
TARGETS = ("windows", "all")
REFIT = {"draws": 500, "tune": 500, "chains": 2}


@dataclass
class Comparison:
    """``table``: one row per model; ``pointwise``: one row per (model, case)."""

    table: object
    pointwise: object


def fit_chains(fit) -> int:
    """Number of chains of a :class:`~bayesstreams.inference.run.Run` (their flattened draws are chain-major)."""
    return fit.n_chains


def _logmeanexp(values: np.ndarray, axis: int = 0) -> np.ndarray:
    from scipy.special import logsumexp

    return logsumexp(values, axis=axis) - np.log(values.shape[axis])


def windows_only(dataset):
    """The dataset with every stream state unobserved: its likelihood is ``p(W | x)``, streams summed out."""
    from dataclasses import replace

    return replace(dataset, s=np.full_like(np.asarray(dataset.s, dtype=float), np.nan), warnings=[])


def nothing_observed(dataset):
    """The dataset with no stream state and no window observed: its likelihood is the codes' evidence alone."""
    from dataclasses import replace

    return replace(windows_only(dataset), w=np.full_like(np.asarray(dataset.w, dtype=float), np.nan))


def target_loglik(dataset, kind: str, draws: dict, target: str) -> np.ndarray:
    """Pointwise log-likelihood (sample, case) of what LOO predicts (``"windows"`` or ``"all"``)."""
    if target not in TARGETS:
        raise BayesStreamsError(f"unknown LOO target {target!r} (known: {', '.join(TARGETS)})")
    if target == "all":
        return pointwise_loglik(dataset, kind, draws)
    # p(W | codes' evidence) = p(W, evidence) / p(evidence): an evidence mode's likelihood also holds the codes'
    # own terms (sum log Z, MODEL.md §7), the likelihood of a case with nothing observed; zero for the v1 model
    return pointwise_loglik(windows_only(dataset), kind, draws) - pointwise_loglik(nothing_observed(dataset), kind, draws)


def loo_tree(fit, target: str = "windows"):
    """DataTree: ``posterior`` (for the relative efficiency) and ``log_likelihood`` with ``loglik`` and ``target``."""
    import xarray as xr

    chains = fit_chains(fit)

    def chained(v):
        v = np.asarray(v, dtype=float)
        return v.reshape(chains, v.shape[0] // chains, *v.shape[1:])

    post = xr.Dataset({n: (("chain", "draw", *[f"{n}_dim_{i}" for i in range(np.ndim(v) - 1)]), chained(v))
                       for n, v in fit.posterior.items()})
    predicted = target_loglik(fit.dataset, fit.config.kind, fit.posterior, target)
    loglik = xr.Dataset({"loglik": (("chain", "draw", "case"), chained(fit.log_likelihood)),
                         "target": (("chain", "draw", "case"), chained(predicted))},
                        coords={"case": list(fit.dataset.case_ids)})
    return xr.DataTree.from_dict({"posterior": post, "log_likelihood": loglik})


def psis_loo(fit, target: str = "windows") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(elpd_i, pareto_k, lpd_i)`` per case: PSIS weights from the full log-likelihood, predicting ``target``."""
    import warnings

    import arviz_stats as azs

    tree = loo_tree(fit, target)
    with warnings.catch_warnings():  # high Pareto k is reported per case by the caller
        warnings.filterwarnings("ignore", message="Estimated shape parameter of Pareto", category=UserWarning)
        weights = azs.loo(tree, pointwise=True, var_name="loglik")
        result = azs.loo(tree, pointwise=True, var_name="target", log_weights=weights.log_weights,
                         pareto_k=weights.pareto_k)
    lpd_i = _logmeanexp(tree["log_likelihood"]["target"].transpose("chain", "draw", "case").values.reshape(
        -1, fit.dataset.n_cases))
    return np.asarray(result.elpd_i.values, dtype=float), np.asarray(weights.pareto_k.values, dtype=float), lpd_i


def one_case(dataset, i: int):
    """The dataset reduced to case ``i`` (same codebook and groups)."""
    from dataclasses import replace

    case_id = dataset.case_ids[i]
    return replace(dataset, cases=[dataset.cases[i]], codes=[c for c in dataset.codes if c["case_id"] == case_id],
                   x=dataset.x[i:i + 1], w=dataset.w[i:i + 1], s=dataset.s[i:i + 1], group=dataset.group[i:i + 1],
                   warnings=[])


def exact_elpd(fit, cases, target: str = "windows", seed: int = 20200601, **settings) -> dict[int, float]:
    """Exact leave-one-out ``elpd_i`` of ``cases``: refit without each, score its ``target`` on its own.

    ``settings`` overrides :data:`REFIT` (draws, tune, chains per refit).
    """
    settings = {**REFIT, **settings}
    kind = fit.config.model_kind
    compiled = compile_model(fit.dataset, fit.config)
    names = parameter_names(kind, bool(fit.dataset.groups), fit.config.evidence_features)
    out = {}
    for i in cases:
        data = kind.data(fit.dataset, held_out=[i], config=fit.config)
        trace = sample_compiled(compiled, data, seed=seed + i, target_accept=fit.config.sampler.target_accept,
                                **settings)
        draws = flatten(trace, "posterior", names)
        out[i] = float(_logmeanexp(target_loglik(one_case(fit.dataset, i), fit.config.kind, draws, target)[:, 0]))
    return out


def loo_of(fit, exact: str = "none", target: str = "windows", k_threshold: float = K_THRESHOLD,
           seed: int = 20200601, **settings):
    """Pointwise LOO of one fit: PSIS everywhere, exact refits where asked.

    Parameters
    ----------
    exact
        ``"none"``: PSIS-LOO only; ``"high-k"``: refit the cases with Pareto ``k > k_threshold``;
        ``"all"``: refit every case.
    target
        ``"windows"`` (default) or ``"all"``; see the module docstring.
    """
    import pandas as pd

    elpd_i, k, lpd_i = psis_loo(fit, target)
    refit = {"none": [], "high-k": list(np.flatnonzero(k > k_threshold)), "all": list(range(len(k)))}[exact]
    method = np.array(["psis"] * len(k), dtype=object)
    if refit:
        for i, value in exact_elpd(fit, refit, target, seed, **settings).items():
            elpd_i[i], method[i] = value, "exact"
    return pd.DataFrame({"model": fit.config.name, "case_id": list(fit.dataset.case_ids), "elpd_i": elpd_i,
                         "p_loo_i": lpd_i - elpd_i, "pareto_k": k, "method": method, "target": target})


def _summary_row(points, k_threshold: float) -> dict:
    n = len(points)
    methods = set(points["method"])
    method = ("exact" if methods == {"exact"} else "psis-loo" if methods == {"psis"}
              else f"psis-loo + exact where k > {k_threshold}")
    return {"model": points["model"].iloc[0], "elpd": float(points["elpd_i"].sum()),
            "se": float(np.sqrt(n * np.var(points["elpd_i"]))), "p_loo": float(points["p_loo_i"].sum()),
            "method": method, "target": points["target"].iloc[0], "n_exact": int((points["method"] == "exact").sum()),
            "max_k": float(points["pareto_k"].max()), "n_k_high": int((points["pareto_k"] > k_threshold).sum()),
            "k_per_case": ", ".join(f"{c}={k:.2f}" for c, k in zip(points["case_id"], points["pareto_k"]))}


def compare_fits(fits: list, exact: str = "none", target: str = "windows", k_threshold: float = K_THRESHOLD,
                 seed: int = 20200601, **settings) -> Comparison:
    """Compare fits of one dataset (e.g. streams vs additive) by leave-one-case-out elpd.

    Returns
    -------
    Comparison
        ``table``: ``model, elpd, se, p_loo, method, n_exact, max_k, n_k_high, k_per_case,
        elpd_diff, se_diff`` (difference to the best model, and its standard error from the
        paired pointwise differences), best first; ``pointwise``: ``model, case_id, elpd_i,
        p_loo_i, pareto_k, method, target``.
    """
    import pandas as pd

    missing = [fit.label for fit in fits if fit.log_likelihood is None]
    if missing:
        raise RunError(f"{', '.join(missing)}: no pointwise log-likelihood saved (refit with `bayesstreams fit`)")
    hashes = {fit.dataset.content_hash() for fit in fits}
    if len(hashes) > 1:
        raise BayesStreamsError("the runs were fitted to different datasets; LOO can only compare fits of the same data")
    points = [loo_of(fit, exact, target, k_threshold, seed, **settings) for fit in fits]
    table = pd.DataFrame([_summary_row(p, k_threshold) for p in points])
    best = int(table["elpd"].idxmax())
    diffs = [p["elpd_i"].to_numpy() - points[best]["elpd_i"].to_numpy() for p in points]
    table["elpd_diff"] = [float(d.sum()) for d in diffs]
    table["se_diff"] = [float(np.sqrt(len(d) * np.var(d))) for d in diffs]
    table = table.sort_values("elpd", ascending=False, ignore_index=True)
    return Comparison(table, pd.concat(points, ignore_index=True))


def format_comparison(result: Comparison, k_threshold: float = K_THRESHOLD) -> list[str]:
    """Terminal lines: what is predicted, the table, then Pareto-k per case and which estimate each model used."""
    target = result.table["target"].iloc[0]
    what = ("the windows W1, W2 of each left-out case given its codes (stream states not predicted)"
            if target == "windows" else "everything each model's likelihood covers (stream states and windows)")
    lines = [f"leave-one-case-out expected log predictive density (elpd) of {what}",
             f"{'model':<20}{'elpd':>9}{'se':>7}{'p_loo':>7}{'diff':>8}{'se_diff':>8}{'max k':>7}  method"]
    for r in result.table.itertuples(index=False):
        lines.append(f"{r.model:<20}{r.elpd:>9.2f}{r.se:>7.2f}{r.p_loo:>7.2f}{r.elpd_diff:>8.2f}{r.se_diff:>8.2f}"
                     f"{r.max_k:>7.2f}  {r.method}")
    for r in result.table.itertuples(index=False):
        lines.append(f"{r.model}: Pareto k per case: {r.k_per_case}")
        if r.n_k_high and not r.n_exact:
            lines.append(f"warning: {r.model}: {r.n_k_high} case(s) with Pareto k > {k_threshold}: "
                         f"PSIS-LOO is unreliable there; rerun with --exact-loo")
        elif r.n_exact:
            lines.append(f"{r.model}: {r.n_exact} case(s) scored by exact refits without the case")
    return lines
