"""PyMC pieces every model kind shares: partially pooled factor effects and group offsets.

Factor effects are one vector ``beta[factor]``, pooled within their phase and stream by
``beta[k] ~ Normal(mu[p,s], tau[p,s])`` (MODEL.md §2), sampled non-centred (``beta[k] = mu[p,s] + tau[p,s] z[k]``)
or centred per factor as :mod:`bayesstreams.model.centring` chooses from the data; group offsets are
``gamma = sigma_group * gamma_raw``.  Priors come from the model file through
:meth:`~bayesstreams.model.config.ModelConfig.prior_of`.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.model.centring import centred_factors
from bayesstreams.model.priors import Parameter, Prior

CELL = ("phase", "stream")
# The pooled factor effects every kind shares (MODEL.md §2): beta[k] = mu[p,s] + tau[p,s] z[k].
POOLED_PARAMETERS = (
    Parameter("mu", CELL, Prior("normal", {"mu": 0.5, "sigma": 1.0})),
    Parameter("tau", CELL, Prior("halfnormal", {"sigma": 1.0})),
    Parameter("z", ("factor",), role="raw"),
    Parameter("beta", ("factor",), role="derived"),
)
# The scale of the group offsets, shared too; the offsets' dims are the kind's own.
GROUP_SCALE = Parameter("sigma_group", (), Prior("halfnormal", {"sigma": 0.5}), groups_only=True)


def model_coords(dataset) -> dict:
    """The named coordinates of a dataset's model (case, factor, phase, stream and group when given)."""
    coords = dataset.coords()
    if dataset.groups:
        coords["group"] = list(dataset.groups)
    return coords


def stream_design(dataset) -> np.ndarray:
    """One-hot (factor, phase*stream) matrix: which stream each factor moves."""
    n_streams = 3
    design = np.zeros((len(dataset.factor_ids), 2 * n_streams))
    design[np.arange(len(dataset.factor_ids)), dataset.factor_phase * n_streams + dataset.factor_stream] = 1.0
    return design


def pooled_effects(pm, dataset, config):
    """beta (dims factor) pooled by mu, tau (dims phase, stream), each factor centred or not as chosen from the data.

    With every factor non-centred (:func:`~bayesstreams.model.centring.centred_factors`; the
    shipped study) this is ``beta = mu + tau z`` with ``z`` free, as in every earlier run.
    Otherwise one free vector ``beta_or_z`` holds ``beta[k]`` for a centred factor (prior
    ``Normal(mu, tau)``) and ``z[k]`` for a non-centred one (prior ``Normal(0, 1)``), and both
    ``beta`` and ``z`` are deterministic: the posterior keeps their names, dims and meaning.
    """
    mu = config.prior_of("mu").pymc(pm, "mu", dims=("phase", "stream"))
    tau = config.prior_of("tau").pymc(pm, "tau", dims=("phase", "stream"))
    fp, fs = dataset.factor_phase, dataset.factor_stream
    centred = centred_factors(dataset, config)
    if not centred.any():
        z = pm.Normal("z", 0.0, 1.0, dims="factor")
        return pm.Deterministic("beta", mu[fp, fs] + tau[fp, fs] * z, dims="factor")
    free = pm.Normal("beta_or_z", np.where(centred, 1.0, 0.0) * mu[fp, fs],
                     np.where(centred, 1.0, 0.0) * tau[fp, fs] + np.where(centred, 0.0, 1.0), dims="factor")
    beta = pm.Deterministic("beta", np.where(centred, 1.0, 0.0) * free
                            + np.where(centred, 0.0, 1.0) * (mu[fp, fs] + tau[fp, fs] * free), dims="factor")
    pm.Deterministic("z", (beta - mu[fp, fs]) / tau[fp, fs], dims="factor")
    return beta


def group_offsets(pm, dataset, config, dims: tuple[str, ...]):
    """gamma (dims..., group) = sigma_group * raw, or None when no groups are given."""
    if not dataset.groups:
        return None
    sigma = config.prior_of("sigma_group").pymc(pm, "sigma_group")
    raw = pm.Normal("gamma_raw", 0.0, 1.0, dims=(*dims, "group"))
    return pm.Deterministic("gamma", sigma * raw, dims=(*dims, "group"))


def data_containers(pm, data: dict) -> dict:
    """``pm.Data`` containers for every array in ``data`` (inside a model context)."""
    return {name: pm.Data(name, value) for name, value in data.items()}


def group_data(dataset) -> dict[str, np.ndarray]:
    """The group arrays of a dataset as ``pm.Data`` values (none without groups)."""
    if not dataset.groups:
        return {}
    return {"has_group": (np.asarray(dataset.group) >= 0).astype(float),
            "group_index": np.maximum(np.asarray(dataset.group), 0).astype("int32")}  # pm.Data stores int32
