"""The model of a dataset with its data as ``pm.Data``, so one compiled sampler serves many data sets.

:func:`bayesstreams.model.build.build_model` bakes the data into the graph as constants: right for
one fit, wasteful for SBC (hundreds of simulated data sets of one shape) and exact LOO (one
refit per held-out case).  :func:`build_data_model` states the same model (same priors, same
likelihood code from :mod:`bayesstreams.model.likelihood`) with every data array as a named
``pm.Data`` container; :func:`model_data` gives the arrays of a dataset to swap in with
nutpie's ``CompiledModel.with_data``.  A test checks that its log-density equals
``build_model``'s at random points, for both model kinds, with and without groups.

Two hooks serve the checks:

* ``loglik_weight`` scales the likelihood Potential (the negative control of SBC uses 0.5,
  a deliberately wrong model);
* ``held_out`` in :func:`model_data` masks every observation of the given cases, which
  removes their likelihood terms exactly (a masked term is 0), i.e. a leave-one-out refit
  with the shapes, and so the compiled sampler, unchanged.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.model.likelihood import ObservedTerms, additive_case_loglik, case_loglik, observed_terms, pytensor_math

TERM_NAMES = ("s_obs", "s_val", "all_one", "w_obs", "w_val")
# The additive baseline never reads stream states: its compiled model has no such data.
UNUSED = {"streams": (), "additive": ("s_obs", "s_val", "all_one")}


def model_data(dataset, held_out=(), kind: str = "streams") -> dict[str, np.ndarray]:
    """The data arrays of ``dataset`` keyed by their ``pm.Data`` names.

    Parameters
    ----------
    dataset
        A :class:`~bayesstreams.data.dataset.Dataset` (or anything with ``x_filled``, ``s``, ``w``, ``group``).
    held_out
        Indices of cases whose stream states and windows are treated as unobserved, which
        drops their likelihood terms.
    kind
        ``"streams"`` or ``"additive"``: the additive model gets no stream-state arrays.
    """
    s, w = np.array(dataset.s, dtype=float), np.array(dataset.w, dtype=float)
    held_out = list(held_out)
    s[held_out], w[held_out] = np.nan, np.nan
    terms = observed_terms(s, w)
    data = {name: np.asarray(getattr(terms, name), dtype=float) for name in TERM_NAMES}
    data["x"] = np.asarray(dataset.x_filled, dtype=float)
    if dataset.groups:
        data["has_group"] = (np.asarray(dataset.group) >= 0).astype(float)
        data["group_index"] = np.maximum(np.asarray(dataset.group), 0).astype("int32")  # pm.Data stores int32
    return {name: value for name, value in data.items() if name not in UNUSED[kind]}


def _containers(pm, data: dict):
    """``pm.Data`` containers for every array in ``data`` (inside a model context)."""
    return {name: pm.Data(name, value) for name, value in data.items()}


def _streams_loglik(pm, pt, dataset, config, beta, shared):
    from bayesstreams.model.build import group_offsets, stream_design

    alpha_prior = config.prior("alpha")
    alpha = pm.Normal("alpha", mu=alpha_prior["mu"], sigma=alpha_prior["sigma"], dims=("phase", "stream"))
    x = shared["x"]
    eta = alpha[None, :, :] + pt.dot(x, beta[:, None] * stream_design(dataset)).reshape((x.shape[0], 2, 3))
    gamma = group_offsets(pm, dataset, config, ("phase", "stream"))
    if gamma is not None:
        eta = eta + shared["has_group"][:, None, None] * gamma[:, :, shared["group_index"]].transpose(2, 0, 1)
    lam = pm.Beta("lambda", **config.prior("lambda"), dims="phase")
    kap = pm.Beta("kappa", **config.prior("kappa"), dims="phase")
    rho = pm.Beta("rho", **config.prior("rho"))
    terms = ObservedTerms(*(shared[name] for name in TERM_NAMES))
    return case_loglik(eta, lam[None, :], kap[None, :], rho, terms, pytensor_math())


def _additive_loglik(pm, pt, dataset, config, beta, shared):
    from bayesstreams.model.build import group_offsets

    a_prior, d_prior = config.prior("a"), config.prior("delta")
    a = pm.Normal("a", mu=a_prior["mu"], sigma=a_prior["sigma"], dims="phase")
    delta = pm.Normal("delta", mu=d_prior["mu"], sigma=d_prior["sigma"])
    eta_w = a[None, :] + pt.dot(shared["x"], beta[:, None] * np.eye(2)[dataset.factor_phase])
    gamma = group_offsets(pm, dataset, config, ("phase",))
    if gamma is not None:
        eta_w = eta_w + shared["has_group"][:, None] * gamma[:, shared["group_index"]].T
    terms = ObservedTerms(None, None, None, shared["w_obs"], shared["w_val"])
    return additive_case_loglik(eta_w, delta, terms, pytensor_math())


def build_data_model(dataset, config, loglik_weight: float = 1.0):
    """The model of MODEL.md §2 or §3 for ``dataset``'s shape, its data held in ``pm.Data``.

    Parameters
    ----------
    dataset
        Fixes the shapes, coords, codebook (which stream each factor moves) and groups.
    config
        A :class:`~bayesstreams.model.config.ModelConfig` (kind and priors).
    loglik_weight
        Multiplies the log-likelihood Potential; 1 is the model, anything else a wrong one.
    """
    import pymc as pm
    import pytensor.tensor as pt

    from bayesstreams.model.build import pooled_effects, model_coords

    with pm.Model(coords=model_coords(dataset)) as model:
        shared = _containers(pm, model_data(dataset, kind=config.kind))
        beta = pooled_effects(pm, dataset, config)
        build = _streams_loglik if config.kind == "streams" else _additive_loglik
        loglik = build(pm, pt, dataset, config, beta, shared)
        pm.Potential("loglik", loglik_weight * loglik.sum())
    return model


def compile_data_model(dataset, config, loglik_weight: float = 1.0):
    """nutpie's compiled sampler of :func:`build_data_model` (data swappable with ``with_data``)."""
    import nutpie

    return nutpie.compile_pymc_model(build_data_model(dataset, config, loglik_weight), freeze_model=False)


def sample_compiled(compiled, data: dict, draws: int, tune: int, chains: int, seed: int, cores: int = 1,
                    target_accept: float = 0.9):
    """Sample ``compiled`` with ``data`` swapped in; returns nutpie's DataTree (no warm-up draws)."""
    import nutpie

    return nutpie.sample(compiled.with_data(**data), draws=draws, tune=tune, chains=chains, cores=cores, seed=seed,
                         progress_bar=False, save_warmup=False, target_accept=target_accept)
