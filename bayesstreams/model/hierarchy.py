"""PyMC pieces every model kind shares: partially pooled factor effects and group offsets.

Factor effects are one vector ``beta[factor]``, pooled within their phase and stream by
``beta[k] ~ Normal(mu[p,s], tau[p,s])`` (MODEL.md §2), sampled non-centred (``beta[k] = mu[p,s] + tau[p,s] z[k]``)
or centred per factor as :mod:`bayesstreams.model.centring` chooses from the data; group offsets are
``gamma = sigma_group * gamma_raw``.  Priors come from the model file through
:meth:`~bayesstreams.model.config.ModelConfig.prior_of`.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.model.centring import GUIDED, cells_given_effects, centred_factors, effect_codes, guide
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
    Where a cell's factors are all centred (:func:`~bayesstreams.model.centring.cells_given_effects`)
    its ``mu`` is sampled given its effects: :func:`_effects_given_cells`.  ``parametrisation =
    "guided"``: :func:`_guided_effects`.
    """
    fp, fs = dataset.factor_phase, dataset.factor_stream
    if (effect_codes(dataset, config) == GUIDED).any():
        return _guided_effects(pm, dataset, config)
    centred = centred_factors(dataset, config)
    given = cells_given_effects(centred, np.asarray(fp) * 3 + np.asarray(fs))
    if given.any():
        return _effects_given_cells(pm, dataset, config, centred, given)
    mu = config.prior_of("mu").pymc(pm, "mu", dims=("phase", "stream"))
    tau = config.prior_of("tau").pymc(pm, "tau", dims=("phase", "stream"))
    if not centred.any():
        z = pm.Normal("z", 0.0, 1.0, dims="factor")
        return pm.Deterministic("beta", mu[fp, fs] + tau[fp, fs] * z, dims="factor")
    free = pm.Normal("beta_or_z", np.where(centred, 1.0, 0.0) * mu[fp, fs],
                     np.where(centred, 1.0, 0.0) * tau[fp, fs] + np.where(centred, 0.0, 1.0), dims="factor")
    beta = pm.Deterministic("beta", np.where(centred, 1.0, 0.0) * free
                            + np.where(centred, 0.0, 1.0) * (mu[fp, fs] + tau[fp, fs] * free), dims="factor")
    pm.Deterministic("z", (beta - mu[fp, fs]) / tau[fp, fs], dims="factor")
    return beta


def _effects_given_cells(pm, dataset, config, centred, given):
    """The pooled effects when some cells sample ``mu`` given their (centred) effects.

    In such a cell, with ``n`` factors and ``mu ~ Normal(m0, s0)``, the joint prior of ``mu`` and the
    cell's ``beta`` is written as the marginal of ``beta`` given ``tau``,
    ``Normal(m0 1, tau^2 I + s0^2 1 1')``, times ``mu``'s conditional given ``beta`` and ``tau``,
    ``Normal(m, s^2)`` with ``1/s^2 = n/tau^2 + 1/s0^2`` and ``m = s^2 (sum beta / tau^2 + m0 / s0^2)``;
    the sampler draws ``u = (mu - m) / s``, a standard normal (the same density, nothing approximated).
    The free vectors are ``mu_or_u`` (``u`` in those cells, ``mu`` elsewhere) and ``beta_or_z`` (flat;
    its prior is the potential ``effects_prior``, because the marginal couples the cell's effects).
    """
    import pytensor.tensor as pt

    fp, fs = dataset.factor_phase, dataset.factor_stream
    m0, s0 = (config.prior_of("mu").params[key] for key in ("mu", "sigma"))
    flat_given = given.reshape(2, 3)
    # mu's own prior where its cell is not given, the standard normal of u where it is
    standard = {"mu": np.where(flat_given, 0.0, m0), "sigma": np.where(flat_given, 1.0, s0)}
    free_mu = config.prior_of("mu").with_params(standard).pymc(pm, "mu_or_u", dims=CELL)
    tau = config.prior_of("tau").pymc(pm, "tau", dims=CELL)
    free = pm.Flat("beta_or_z", dims="factor")
    design = stream_design(dataset)  # (factor, cell)
    n = design.sum(axis=0)
    t2 = tau.reshape((6,)) ** 2
    in_given = design[:, given].sum(axis=1) > 0  # factors of the given cells
    dev = pt.switch(in_given, free - m0, 0.0)
    total, squares = pt.dot(dev, design), pt.dot(dev ** 2, design)
    spread = t2 + n * s0 ** 2
    marginal = (-0.5 * n * np.log(2.0 * np.pi) - 0.5 * (n - 1.0) * pt.log(t2) - 0.5 * pt.log(spread)
                - 0.5 * (squares - s0 ** 2 * total ** 2 / spread) / t2)
    precision = n / t2 + 1.0 / s0 ** 2
    cond_mean = ((total + n * m0) / t2 + m0 / s0 ** 2) / precision
    mu = pm.Deterministic("mu", pt.switch(flat_given, (cond_mean + free_mu.reshape((6,)) / pt.sqrt(precision))
                                          .reshape((2, 3)), free_mu), dims=CELL)
    loc = np.where(centred, 1.0, 0.0) * mu[fp, fs]
    scale = np.where(centred, 1.0, 0.0) * tau[fp, fs] + np.where(centred, 0.0, 1.0)
    own = pm.logp(pm.Normal.dist(loc, scale), free)  # a factor outside the given cells: its own prior
    pm.Potential("effects_prior", pt.sum(pt.switch(in_given, 0.0, own)) + pt.sum(pt.switch(given, marginal, 0.0)))
    beta = pm.Deterministic("beta", np.where(centred, 1.0, 0.0) * free
                            + np.where(centred, 0.0, 1.0) * (mu[fp, fs] + tau[fp, fs] * free), dims="factor")
    pm.Deterministic("z", (beta - mu[fp, fs]) / tau[fp, fs], dims="factor")
    return beta


def _guided_effects(pm, dataset, config):
    """The pooled effects sampled relative to what the data alone say about them (``"guided"``).

    With ``e_k``, ``v_k`` the estimate and variance of ``beta[k]`` from the data alone
    (:func:`~bayesstreams.model.centring.guide`) and the likelihood read as ``Normal(e_k, v_k)``, the
    posterior of ``beta[k]`` given ``mu``, ``tau`` is ``Normal(m_k, sd_k^2)`` with ``1/sd_k^2 = 1/tau^2 + 1/v_k``
    and ``m_k = sd_k^2 (mu/tau^2 + e_k/v_k)``, and that of ``mu`` given ``tau`` (``beta`` summed out)
    ``Normal(M, S^2)`` with ``1/S^2 = sum_k 1/(tau^2 + v_k) + 1/s0^2`` and
    ``M = S^2 (sum_k e_k/(tau^2 + v_k) + m0/s0^2)``.  The sampler draws ``beta_std = (beta - m_k) / sd_k`` and
    ``mu_std = (mu - M) / S`` (``mu`` itself in a cell without factors): an exact change of variables
    (Jacobian ``S prod_k sd_k``), whatever the data; where the approximation holds the posterior of
    ``(mu_std, beta_std)`` is close to standard normal *for every* ``tau``, so neither the centred funnel
    (``tau`` below ``sd_k``) nor the non-centred ridge (``tau`` above it) is left.  Both are flat; their
    density is the potential ``effects_prior``.
    """
    import pytensor.tensor as pt

    fp, fs = dataset.factor_phase, dataset.factor_stream
    m0, s0 = (config.prior_of("mu").params[key] for key in ("mu", "sigma"))
    estimate, variance = guide(dataset, config).T
    design = stream_design(dataset)  # (factor, cell)
    has = design.sum(axis=0) > 0
    free_mu = pm.Flat("mu_std", dims=CELL)
    tau = config.prior_of("tau").pymc(pm, "tau", dims=CELL)
    free = pm.Flat("beta_std", dims="factor")
    t2 = tau.reshape((6,)) ** 2
    w = 1.0 / (t2[fp * 3 + fs] + variance)
    precision = pt.dot(w, design) + 1.0 / s0 ** 2
    mean = (pt.dot(w * estimate, design) + m0 / s0 ** 2) / precision
    mu = pm.Deterministic("mu", pt.switch(has, mean + free_mu.reshape((6,)) / pt.sqrt(precision),
                                          free_mu.reshape((6,))).reshape((2, 3)), dims=CELL)
    mu_f, tau_f = mu[fp, fs], tau[fp, fs]
    a = 1.0 / tau_f ** 2 + 1.0 / variance
    beta = pm.Deterministic("beta", (mu_f / tau_f ** 2 + estimate / variance) / a + free / pt.sqrt(a), dims="factor")
    jacobian = pt.sum(pt.switch(has, -0.5 * pt.log(precision), 0.0)) - 0.5 * pt.sum(pt.log(a))
    pm.Potential("effects_prior", pt.sum(pm.logp(pm.Normal.dist(m0, s0), mu))
                 + pt.sum(pm.logp(pm.Normal.dist(mu_f, tau_f), beta)) + jacobian)
    pm.Deterministic("z", (beta - mu_f) / tau_f, dims="factor")
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
