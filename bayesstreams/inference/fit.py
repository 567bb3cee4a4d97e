"""Sample a model, compute diagnostics, and write a run folder atomically.

``fit`` returns a :class:`FitResult` in memory; ``write_run`` writes it (temporary folder,
then rename), so an interrupted fit never leaves a half-written run.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from bayesstreams.model.config import ModelConfig
from bayesstreams.errors import DependencyError

PRIOR_DRAWS = 4000


@dataclass
class FitResult:
    dataset: object
    config: ModelConfig
    trace: object
    posterior: dict
    prior: dict
    log_likelihood: np.ndarray
    diagnostics: object
    seed: int
    sampler: str
    settings: dict = field(default_factory=dict)
    timings: dict = field(default_factory=dict)


def resolve_settings(config: ModelConfig, draws=None, tune=None, chains=None, sampler=None) -> dict:
    """Command-line overrides on top of the model file's sampler settings."""
    settings = dict(config.sampler.__dict__)
    for key, value in (("draws", draws), ("tune", tune), ("chains", chains), ("sampler", sampler)):
        if value is not None:
            settings[key] = value
    return settings


def run_sampler(dataset, config: ModelConfig, settings: dict, seed: int, progress: bool):
    """Sample with nutpie (default), PyMC's NUTS or numpyro; returns an ArviZ DataTree.

    The streams model with nutpie takes the fast path: the hand-written log-density of
    :mod:`bayesstreams.fast.logp`, compiled once per machine and cached on disk, no PyMC
    import and no per-model compilation.  Everything else builds and samples the PyMC model.
    The draws carry the same names, dims and coords on every path.
    """
    name = settings["sampler"]
    cores = min(settings["chains"], os.cpu_count() or 1)
    fast = name == "nutpie" and config.kind == "streams"
    if name == "numpyro":
        try:
            import numpyro  # noqa: F401
        except ImportError:
            raise DependencyError("--sampler numpyro needs JAX and numpyro: pip install 'bayesstreams[jax]'") from None
    if not fast:
        from bayesstreams.model.build import build_model

        model = build_model(dataset, config)
    if name == "nutpie":
        from bayesstreams.fast import compile_cache

        if fast:
            from bayesstreams.fast.logp import streams_problem

            compiled = compile_cache.fast_nutpie_model(streams_problem(dataset, config))
        else:
            compiled = compile_cache.compiled_nutpie_model(model)
        import nutpie

        return nutpie.sample(compiled, draws=settings["draws"], tune=settings["tune"], chains=settings["chains"],
                             cores=cores, seed=seed, progress_bar=progress, save_warmup=False,
                             target_accept=settings["target_accept"])
    import pymc as pm

    if name == "numpyro":
        kwargs = {"nuts_sampler": "numpyro", "nuts": {"chain_method": jax_chain_method(settings["chains"])}}
    else:  # said explicitly: with PyTensor's numba backend, pm.sample() would otherwise hand the model to nutpie
        kwargs = {"nuts_sampler": "pymc"}
    with model:
        return pm.sample(draws=settings["draws"], tune=settings["tune"], chains=settings["chains"], cores=cores,
                         random_seed=seed, progressbar=progress, target_accept=settings["target_accept"],
                         compute_convergence_checks=False, **kwargs)


def jax_chain_method(chains: int) -> str:
    """How numpyro runs chains: one JAX device per chain when there are enough, else batched.

    Importing ``pymc.sampling.jax`` sets ``--xla_force_host_platform_device_count=100`` before
    JAX starts, so on a CPU every chain gets its own host device and the chains share the cores
    ("parallel": 2.5-3.4x faster than "vectorized" on 2 cores, docs/SAMPLERS.md).  With fewer devices
    than chains, typically one GPU, numpyro would draw the chains one after the other;
    "vectorized" batches them on the one device instead.
    """
    import pymc.sampling.jax  # noqa: F401  (sets XLA_FLAGS; must come before JAX picks its devices)
    import jax

    return "parallel" if jax.local_device_count() >= chains else "vectorized"


def flatten(trace, group: str, names: list[str]) -> dict[str, np.ndarray]:
    """(chain, draw, ...) variables of a DataTree group as (sample, ...) arrays, chain-major."""
    data = trace[group].to_dataset()
    out = {}
    for name in names:
        if name in data:
            array = np.asarray(data[name].transpose("chain", "draw", ...).values, dtype=float)
            out[name] = array.reshape(-1, *array.shape[2:])
    return out


def parameter_names(config: ModelConfig, has_groups: bool) -> list[str]:
    from bayesstreams.model.build import ADDITIVE_PARAMETERS, STREAMS_PARAMETERS

    names = list(STREAMS_PARAMETERS if config.kind == "streams" else ADDITIVE_PARAMETERS)
    return names + (["sigma_group", "gamma_raw", "gamma"] if has_groups else [])


def fit(dataset, config: ModelConfig, seed: int = 20200601, draws=None, tune=None, chains=None, sampler=None,
        progress: bool = False) -> FitResult:
    """Sample and diagnose the model of ``dataset``; compute prior draws and the pointwise log-likelihood.

    The streams model with nutpie (the default) never builds the PyMC model: it samples the
    hand-written, disk-cached log-density of :mod:`bayesstreams.fast.logp`, which the tests
    hold equal to ``build_model``'s.  Other kinds and samplers build the PyMC model.
    """
    from bayesstreams.inference.complete import require_complete
    from bayesstreams.inference.diagnostics import diagnose
    from bayesstreams.model.likelihood import pointwise_loglik
    from bayesstreams.model.priors import draw_prior

    timings = {}
    settings = resolve_settings(config, draws, tune, chains, sampler)
    start = time.perf_counter()
    if settings["sampler"] == "nutpie":  # timed apart: importing nutpie (and ArviZ with it) is not sampling
        import nutpie  # noqa: F401
        timings["import_s"] = time.perf_counter() - start
        start = time.perf_counter()
    trace = run_sampler(dataset, config, settings, seed, progress)
    timings["sample_s"] = time.perf_counter() - start
    names = parameter_names(config, bool(dataset.groups))
    posterior = flatten(trace, "posterior", names)
    require_complete(posterior, settings["chains"] * settings["draws"], f"the {settings['sampler']} sampler")
    prior = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), PRIOR_DRAWS,
                       np.random.default_rng(seed))
    start = time.perf_counter()
    if config.kind == "streams":  # numba, equal to the NumPy reference (tests/test_fastpointwise.py)
        from bayesstreams.fast.pointwise import pointwise_loglik as streams_loglik

        loglik = streams_loglik(dataset, posterior)
    else:
        loglik = pointwise_loglik(dataset, config.kind, posterior)
    diagnostics = diagnose(trace, [n for n in names if n != "gamma_raw"])
    timings["post_s"] = time.perf_counter() - start
    return FitResult(dataset, config, trace, posterior, prior, loglik, diagnostics, seed, settings["sampler"],
                     settings, timings)


def versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for name in ("bayesstreams", "pymc", "pytensor", "nutpie", "numba", "arviz", "arviz-stats", "numpy", "xarray",
                 "jax", "jaxlib", "numpyro"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            if name not in ("jax", "jaxlib", "numpyro"):  # optional: listed only where installed
                out[name] = None
    return out


def _trace_with_extras(result: FitResult):
    """The sampler's DataTree plus prior and log_likelihood groups, for ArviZ users."""
    import xarray as xr

    from bayesstreams.model.build import model_coords, var_dims

    coords = model_coords(result.dataset)
    chains = result.trace["posterior"].sizes["chain"]
    prior_vars = {}
    for name, array in result.prior.items():
        dims = var_dims(name, result.config.kind)
        prior_vars[name] = (("chain", "draw", *dims), array[None])
    used = {d for name in result.prior for d in var_dims(name, result.config.kind)}
    prior = xr.Dataset(prior_vars, coords={d: coords[d] for d in used})
    loglik = result.log_likelihood.reshape(chains, -1, result.dataset.n_cases)
    log_likelihood = xr.Dataset({"loglik": (("chain", "draw", "case"), loglik)}, coords={"case": coords["case"]})
    tree = result.trace.copy()
    tree["prior"] = xr.DataTree(prior)
    tree["log_likelihood"] = xr.DataTree(log_likelihood)
    return tree


def write_run(result: FitResult, out: str | Path, force: bool = False, command: str | None = None) -> Path:
    """Write the run folder (see :mod:`bayesstreams.inference.store`) atomically; refuse to overwrite without ``force``."""
    import tomli_w

    from bayesstreams.atomic import atomic_folder
    from bayesstreams.data.export import write_long
    from bayesstreams.inference.store import FORMAT_VERSION, file_sha256, save_draws

    out = Path(out)
    with atomic_folder(out, force=force) as tmp:
        start = time.perf_counter()
        # netCDF in memory, then one plain write: a full disk fails in Python's write, not inside
        # HDF5, which left a file handle open and crashed the interpreter at exit (status 139)
        (tmp / "trace.nc").write_bytes(_trace_with_extras(result).to_netcdf(None, engine="h5netcdf"))
        save_draws(tmp / "draws.npz", result.posterior, result.prior, result.log_likelihood)
        write_long(result.dataset, tmp / "dataset")
        (tmp / "model.toml").write_text(tomli_w.dumps(result.config.to_dict()), encoding="utf-8")
        result.timings["write_s"] = time.perf_counter() - start
        info = {
            "format_version": FORMAT_VERSION,
            "command": command or " ".join(sys.argv),
            "seed": result.seed,
            "sampler": result.sampler,
            "settings": result.settings,
            "n_samples": int(result.log_likelihood.shape[0]),
            "versions": versions(),
            "dataset": {"name": result.dataset.name, "source": result.dataset.source,
                        "hash": result.dataset.content_hash(), "n_cases": result.dataset.n_cases,
                        "not_discussed": int(np.isnan(result.dataset.x).sum())},
            "model": {"name": result.config.name, "kind": result.config.kind, "hash": result.config.model_hash(),
                      "source": result.config.source},
            "timings": {k: round(v, 3) for k, v in result.timings.items()},
            "diagnostics": result.diagnostics.to_dict(),
            "hashes": {"draws.npz": file_sha256(tmp / "draws.npz")},
            "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        (tmp / "run.json").write_text(json.dumps(info, indent=1, default=float), encoding="utf-8")
    return out
