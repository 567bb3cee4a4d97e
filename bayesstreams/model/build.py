"""Build the PyMC model of a dataset: ``build_model(dataset, config) -> pm.Model``.

No sampling happens here.  Variables carry named dims (case, factor, phase, stream,
group); factor effects are one vector, partially pooled within their phase and stream
through a non-centred parametrisation.  The likelihood is a single Potential written by
:mod:`bayesstreams.model.likelihood`, the same code that computes the pointwise
log-likelihood of saved draws in NumPy.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.model.config import ModelConfig
from bayesstreams.model.likelihood import additive_case_loglik, case_loglik, observed_terms, pytensor_math

# Parameters that every run of a kind stores in its posterior (queries read these names).
STREAMS_PARAMETERS = ("mu", "tau", "z", "beta", "alpha", "lambda", "kappa", "rho")
ADDITIVE_PARAMETERS = ("mu", "tau", "z", "beta", "a", "delta")


def stream_design(dataset) -> np.ndarray:
    """One-hot (factor, phase*stream) matrix: which stream each factor moves."""
    n_streams = 3
    design = np.zeros((len(dataset.factor_ids), 2 * n_streams))
    design[np.arange(len(dataset.factor_ids)), dataset.factor_phase * n_streams + dataset.factor_stream] = 1.0
    return design


def pooled_effects(pm, dataset, config: ModelConfig):
    """beta[k] = mu[p,s] + tau[p,s] z[k], non-centred, with dims (phase, stream) and factor."""
    mu_prior, tau_prior = config.prior("mu"), config.prior("tau")
    mu = pm.Normal("mu", mu=mu_prior["mu"], sigma=mu_prior["sigma"], dims=("phase", "stream"))
    tau = pm.HalfNormal("tau", sigma=tau_prior["sigma"], dims=("phase", "stream"))
    z = pm.Normal("z", 0.0, 1.0, dims="factor")
    fp, fs = dataset.factor_phase, dataset.factor_stream
    return pm.Deterministic("beta", mu[fp, fs] + tau[fp, fs] * z, dims="factor")


def group_offsets(pm, dataset, config: ModelConfig, dims: tuple[str, ...]):
    """gamma (dims..., group) = sigma_group * raw, or None when no groups are given."""
    if not dataset.groups:
        return None
    sigma = pm.HalfNormal("sigma_group", sigma=config.prior("sigma_group")["sigma"])
    raw = pm.Normal("gamma_raw", 0.0, 1.0, dims=(*dims, "group"))
    return pm.Deterministic("gamma", sigma * raw, dims=(*dims, "group"))


def model_coords(dataset) -> dict:
    coords = dataset.coords()
    if dataset.groups:
        coords["group"] = list(dataset.groups)
    return coords


def build_model(dataset, config: ModelConfig):
    """The PyMC model of MODEL.md §2 (kind "streams") or §3 (kind "additive")."""
    import pymc as pm
    import pytensor.tensor as pt

    x = dataset.x_filled
    terms = observed_terms(dataset.s, dataset.w)
    has_group = dataset.group >= 0
    with pm.Model(coords=model_coords(dataset)) as model:
        beta = pooled_effects(pm, dataset, config)
        if config.kind == "streams":
            alpha_prior = config.prior("alpha")
            alpha = pm.Normal("alpha", mu=alpha_prior["mu"], sigma=alpha_prior["sigma"], dims=("phase", "stream"))
            contrib = pt.dot(pt.as_tensor(x), beta[:, None] * stream_design(dataset))
            eta = alpha[None, :, :] + contrib.reshape((x.shape[0], 2, 3))
            gamma = group_offsets(pm, dataset, config, ("phase", "stream"))
            if gamma is not None:
                eta = eta + pt.as_tensor(has_group[:, None, None].astype(float)) * gamma[:, :, np.maximum(dataset.group, 0)].transpose(2, 0, 1)
            priors = {name: config.prior(name) for name in ("lambda", "kappa", "rho")}
            lam = pm.Beta("lambda", **priors["lambda"], dims="phase")
            kap = pm.Beta("kappa", **priors["kappa"], dims="phase")
            rho = pm.Beta("rho", **priors["rho"])
            loglik = case_loglik(eta, lam[None, :], kap[None, :], rho, terms, pytensor_math())
        else:
            a_prior, d_prior = config.prior("a"), config.prior("delta")
            a = pm.Normal("a", mu=a_prior["mu"], sigma=a_prior["sigma"], dims="phase")
            delta = pm.Normal("delta", mu=d_prior["mu"], sigma=d_prior["sigma"])
            phase_of = np.eye(2)[dataset.factor_phase]  # (factor, phase)
            eta_w = a[None, :] + pt.dot(pt.as_tensor(x), beta[:, None] * phase_of)
            gamma = group_offsets(pm, dataset, config, ("phase",))
            if gamma is not None:
                eta_w = eta_w + pt.as_tensor(has_group[:, None].astype(float)) * gamma[:, np.maximum(dataset.group, 0)].T
            loglik = additive_case_loglik(eta_w, delta, terms, pytensor_math())
        pm.Potential("loglik", loglik.sum())
    return model


VAR_DIMS = {
    "mu": ("phase", "stream"), "tau": ("phase", "stream"), "z": ("factor",), "beta": ("factor",),
    "alpha": ("phase", "stream"), "lambda": ("phase",), "kappa": ("phase",), "rho": (),
    "a": ("phase",), "delta": (), "sigma_group": (),
}


def var_dims(name: str, kind: str) -> tuple[str, ...]:
    """Named dims of a parameter (group offsets depend on the model kind)."""
    if name in ("gamma", "gamma_raw"):
        return ("phase", "stream", "group") if kind == "streams" else ("phase", "group")
    return VAR_DIMS[name]
