"""Fit a model to a dataset: sample, diagnose, draw the prior, compute the pointwise log-likelihood.

:func:`fit` returns a :class:`~bayesstreams.inference.run.Run` in memory; ``save_run(run, path)``
writes it atomically (:mod:`bayesstreams.inference.store`), so an interrupted fit never
leaves a half-written run.  The sampler is looked up in :mod:`bayesstreams.inference.samplers`
and the model kind in :mod:`bayesstreams.model.kinds`; nothing here depends on either.
"""

from __future__ import annotations

import platform
import sys
import time
from pathlib import Path

import numpy as np

from bayesstreams.atomic import refuse_existing
from bayesstreams.data.dataset import load_dataset
from bayesstreams.errors import UsageError
from bayesstreams.fast.registry import pointwise_loglik
from bayesstreams.inference.complete import require_complete
from bayesstreams.inference.diagnostics import diagnose
from bayesstreams.inference.imports import import_nutpie
from bayesstreams.inference.run import Run
from bayesstreams.inference.samplers import get_sampler
from bayesstreams.inference.store import save_run
from bayesstreams.model.centring import resolved_parametrisation
from bayesstreams.model.config import ModelConfig, config_from_text, load_config, settings_problems
from bayesstreams.model.kinds import KINDS, parameter_names
from bayesstreams.model.priors import draw_prior

PRIOR_DRAWS = 4000
DEFAULT_SEED = 20200601


def resolve_settings(config, draws=None, tune=None, chains=None, sampler=None) -> dict:
    """Command-line overrides on top of the model file's sampler settings."""
    settings = dict(config.sampler.__dict__)
    for key, value in (("draws", draws), ("tune", tune), ("chains", chains), ("sampler", sampler)):
        if value is not None:
            settings[key] = value
    for key, why in settings_problems(settings):
        raise UsageError(f"--{key}", why)
    return settings


def run_sampler(dataset, config, settings: dict, seed: int, progress: bool):
    """Sample with the backend ``settings["sampler"]``; returns an ArviZ DataTree."""
    return get_sampler(settings["sampler"]).sample(dataset, config, settings, seed, progress)


def flatten(trace, group: str, names: list[str]) -> dict[str, np.ndarray]:
    """(chain, draw, ...) variables of a DataTree group as (sample, ...) arrays, chain-major."""
    data = trace[group].to_dataset()
    out = {}
    for name in names:
        if name in data:
            array = np.asarray(data[name].transpose("chain", "draw", ...).values, dtype=float)
            out[name] = array.reshape(-1, *array.shape[2:])
    return out


def resolve_model(model):
    """A :class:`~bayesstreams.model.config.ModelConfig` from a config, a path, a shipped model name or ``None``.

    A name such as ``"streams-wide"`` is looked up as ``models/<name>.toml`` in the working
    directory, then in the checkout; a bare kind name (``"streams"``, ``"additive"``) that has
    no file gives that kind's default priors.

    Examples
    --------
    >>> resolve_model("streams-agnostic").prior("mu")
    {'mu': 0.0, 'sigma': 1.0}
    >>> resolve_model("additive").kind
    'additive'
    """
    if model is None or isinstance(model, ModelConfig):
        return load_config(None) if model is None else model
    path = Path(model)
    if path.suffix == ".toml" or path.exists():
        return load_config(path)
    for base in (Path.cwd(), Path(__file__).resolve().parents[2]):
        candidate = base / "models" / f"{model}.toml"
        if candidate.is_file():
            return load_config(candidate)
    if str(model) in KINDS:
        return config_from_text(f'kind = "{model}"\nname = "{model}"\n', f"<default {model} model>")
    return load_config(path)  # raises the located "does not exist" error


def fit(dataset, model=None, seed: int = DEFAULT_SEED, draws=None, tune=None, chains=None, sampler=None,
        progress: bool = False, config=None):
    """Sample and diagnose a model of ``dataset``; returns a :class:`~bayesstreams.inference.run.Run`.

    Parameters
    ----------
    dataset
        A :class:`~bayesstreams.data.dataset.Dataset` (``bayesstreams.load_dataset``) or a path to one.
    model
        A model file path, a shipped model's name (``"streams"``, ``"streams-wide"``, ``"additive"``,
        ...), a :class:`~bayesstreams.model.config.ModelConfig`, or ``None`` for the default streams model.
    seed
        Random seed: the same seed, data and model give identical draws.
    draws, tune, chains, sampler
        Override the model file's sampler settings.
    progress
        Show the sampler's progress bar.
    config
        Same as ``model`` (kept for callers that name it so).

    Returns
    -------
    Run
        Posterior and prior draws, pointwise log-likelihood, diagnostics and provenance.

    Examples
    --------
    >>> import bayesstreams as bs
    >>> small = bs.fit(bs.load_dataset("data/trafficking_nl_2020"), model="streams", seed=1, draws=200, tune=300)
    >>> small.n_samples, small.info["sampler"]
    (800, 'nutpie')
    """
    if isinstance(dataset, (str, Path)):
        dataset = load_dataset(dataset)
    config = resolve_model(config if config is not None else model)
    timings = {}
    settings = resolve_settings(config, draws, tune, chains, sampler)
    settings["parametrisation"] = resolved_parametrisation(dataset, config)  # "by-size" as this data set has it
    start = time.perf_counter()
    if settings["sampler"] == "nutpie":  # timed apart: importing nutpie is not sampling
        import_nutpie()
        timings["import_s"] = time.perf_counter() - start
        start = time.perf_counter()
    trace = run_sampler(dataset, config, settings, seed, progress)
    timings["sample_s"] = time.perf_counter() - start
    names = parameter_names(config.model_kind, bool(dataset.groups), config.evidence_features)
    posterior = flatten(trace, "posterior", names)
    require_complete(posterior, settings["chains"] * settings["draws"], f"the {settings['sampler']} sampler")
    prior = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), PRIOR_DRAWS,
                       np.random.default_rng(seed))
    start = time.perf_counter()
    loglik = pointwise_loglik(dataset, config.model_kind, posterior)
    raw = {p.name for p in config.model_kind.parameters if p.role == "raw"}
    diagnostics = diagnose(trace, [n for n in names if n not in raw or n == "z"])
    timings["post_s"] = time.perf_counter() - start
    run = Run(dataset=dataset, config=config, posterior=posterior, prior=prior, log_likelihood=loglik,
              diagnostics=diagnostics, trace=trace)
    run.info = provenance(run, seed, settings, timings)
    return run


def provenance(run, seed: int, settings: dict, timings: dict) -> dict:
    """What produced a run (the body of ``run.json`` before it is written)."""
    return {
        "seed": seed,
        "sampler": settings["sampler"],
        "settings": settings,
        "n_samples": int(run.log_likelihood.shape[0]),
        "versions": versions(),
        "dataset": {"name": run.dataset.name, "source": run.dataset.source, "hash": run.dataset.content_hash(),
                    "n_cases": run.dataset.n_cases, "not_discussed": int(np.isnan(run.dataset.x).sum())},
        "model": {"name": run.config.name, "kind": run.config.kind, "hash": run.config.model_hash(),
                  "source": run.config.source},
        "timings": timings,
        "diagnostics": run.diagnostics.to_dict(),
        "command": " ".join(sys.argv),
    }


def versions() -> dict:
    """Versions of Python and of every library that produced a run (optional ones only where installed)."""
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


def fit_and_save(dataset_path, out, model=None, seed=DEFAULT_SEED, draws=None, tune=None, chains=None, sampler=None,
                 codebook=None, force=False, progress=False, command=None):
    """Validate, fit and write a run; returns the run and the lines the CLI prints."""
    out = Path(out)
    refuse_existing(out, force)  # before the expensive part, not after it
    config = resolve_model(model)
    data = load_dataset(dataset_path, codebook=codebook)
    run = fit(data, config, seed=seed, draws=draws, tune=tune, chains=chains, sampler=sampler, progress=progress)
    save_run(run, out, force=force, command=command)
    return run, fit_lines(data, config, run, seed, out)


def fit_lines(data, config, run, seed, out: Path) -> list[str]:
    """What the CLI prints after a fit: the data, the draws, the diagnostics table, where the run went."""
    lines = [f"fitted {config.name} ({config.kind}) to {data.name}: {data.n_cases} cases, "
             f"{run.n_samples} draws, sampler {run.info['sampler']}, seed {seed}",
             *run.diagnostics.table(),
             f"run written to {out}"]
    if data.warnings:
        lines.insert(1, f"{len(data.warnings)} data warning(s); run `bayesstreams validate` to see them")
    return lines
