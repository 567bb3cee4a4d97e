"""nutpie: the default sampler.

A model kind with a hand-written density (the streams model; :mod:`bayesstreams.fast.registry`) is sampled through
:func:`bayesstreams.fast.adapter.fast_nutpie_model`: no PyMC import, no per-model
compilation.  Any other kind builds its PyMC model (data in ``pm.Data``) and compiles it
with nutpie's numba backend once per process for a given kind, priors and data shape
(:func:`compiled_model`); a new dataset of that shape is swapped in with
``CompiledModel.with_data``, which is also what SBC and exact leave-one-out refits use.
"""

from __future__ import annotations

import hashlib
import json
import os
import time

import numpy as np

from bayesstreams.fast.registry import fast_problem
from bayesstreams.inference.imports import import_nutpie, import_xarray
from bayesstreams.model.centring import effect_codes
from bayesstreams.model.kinds import model_coords

_MEMO: dict[str, object] = {}


# sample statistics nutpie leaves out unless asked to store them (nutpie.sample's own list); never asked for here
UNSTORED_STATS = ("gradient", "unconstrained_draw", "mass_matrix_inv", "mass_matrix_eigvals", "mass_matrix_stds",
                  "divergence_start", "divergence_end", "divergence_momentum", "divergence_start_gradient",
                  "transformed_position", "transformed_gradient", "transformation_mu")
# the chain and draw columns are the group's coordinates (ArviZ keeps them as such and drops the columns)
SKIPPED_STATS = (*UNSTORED_STATS, "chain", "draw")


def to_datatree(results, coords: dict):
    """nutpie's raw (Arrow) trace as the DataTree nutpie would return: ``posterior`` and ``sample_stats``.

    The same arrays as nutpie's own conversion (``nutpie.sample._arrow_to_arviz``, a test holds
    them identical): variables ``(chain, draw, *dims)`` with the model's coords, the warm-up rows
    dropped (nutpie's Arrow trace keeps them even without ``save_warmup``), and the sampler's name
    and version as attributes.  Filled by nutpie's
    ``_add_arrow_data``, so a column's dims, shape and missing values are read as nutpie reads them.
    """
    from nutpie import __version__
    from nutpie.sample import _add_arrow_data

    xr = import_xarray()  # without importing dask.array to ask whether NumPy arrays are dask arrays

    draw_batches, stat_batches = results.get_arrow_trace()
    n_chains = len(draw_batches)
    tuning = [int(stat.column("tuning").to_numpy().sum()) for stat in stat_batches]
    length = max(draw.num_rows - n for draw, n in zip(draw_batches, tuning))
    posterior, stats, dims = {}, {}, {}
    for chain, (draw, stat, n) in enumerate(zip(draw_batches, stat_batches, tuning)):
        _add_arrow_data(posterior, length, draw.slice(n, draw.num_rows - n), chain, n_chains, dims, [])
        _add_arrow_data(stats, length, stat.slice(n, stat.num_rows - n), chain, n_chains, dims, SKIPPED_STATS)
    attrs = {"created_at": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "inference_library": "nutpie",
             "inference_library_version": __version__}
    groups = {name: xr.DataTree(_dataset(group, dims, coords, attrs))
              for name, group in (("posterior", posterior), ("sample_stats", stats))}
    return xr.DataTree(children=groups)


def _dataset(arrays: dict, dims: dict, coords: dict, attrs: dict):
    """One group: ``(chain, draw, *dims)`` variables, as ArviZ's ``from_dict`` labels them.

    An unnamed dim is ``<name>_dim_<i>``, and a dim without coords in ``coords`` is indexed
    0, 1, ... (ArviZ's default coords).
    """
    import xarray as xr

    variables, used = {}, {}
    for name, array in arrays.items():
        names = list(dims.get(name) or [f"{name}_dim_{i}" for i in range(array.ndim - 2)])
        variables[name] = (("chain", "draw", *names), array)
        used.update({d: coords[d] if d in coords else np.arange(size) for d, size in zip(names, array.shape[2:])})
    chains, draws = next(iter(arrays.values())).shape[:2]
    return xr.Dataset(variables, coords={"chain": np.arange(chains), "draw": np.arange(draws), **used},
                      attrs=dict(attrs))


def model_key(dataset, config, loglik_weight: float = 1.0) -> str:
    """What a compiled PyMC model depends on: kind, priors, coords, data shapes (not the data values), and which
    factor effects the data make centred or guided (:func:`~bayesstreams.model.centring.effect_codes`: the graph
    differs)."""
    data = config.model_kind.data(dataset, config=config)
    payload = {"model": config.model_hash(), "weight": loglik_weight,
               "centred": effect_codes(dataset, config).astype(int).tolist(),
               "coords": {k: [str(v) for v in values] for k, values in model_coords(dataset).items() if k != "case"},
               "shapes": {k: list(v.shape) for k, v in data.items()}}
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def compile_model(dataset, config, loglik_weight: float = 1.0):
    """nutpie's compiled model of ``config``'s PyMC model, its data swappable with ``with_data``."""
    nutpie = import_nutpie()

    model = config.model_kind.build(dataset, config, loglik_weight)
    return nutpie.compile_pymc_model(model, freeze_model=False)


def compiled_model(dataset, config, loglik_weight: float = 1.0):
    """:func:`compile_model`, memoised in this process per :func:`model_key` (shapes, not values)."""
    key = model_key(dataset, config, loglik_weight)
    if key not in _MEMO:
        _MEMO[key] = compile_model(dataset, config, loglik_weight)
    return _MEMO[key]


def sample_compiled(compiled, data: dict | None, draws: int, tune: int, chains: int, seed: int, cores: int = 1,
                    target_accept: float = 0.9, progress: bool = False):
    """Sample a compiled nutpie model with ``data`` swapped in (``None``: as compiled); no warm-up draws kept."""
    nutpie = import_nutpie()
    if data is not None:  # an array the graph never reads (e.g. x once every code is summed out) is not in it
        known = {var.name for var in compiled.shared_var_keys}
        compiled = compiled.with_data(**{name: value for name, value in data.items() if name in known})
    results = nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, cores=cores, seed=seed,
                            progress_bar=progress, save_warmup=False, target_accept=target_accept,
                            return_raw_trace=True)
    return to_datatree(results, compiled.coords)


def sample(dataset, config, settings: dict, seed: int, progress: bool):
    """Sample ``config``'s model of ``dataset`` with nutpie; the fast path where the kind has one."""
    import_nutpie()  # before the adapter imports nutpie's model classes
    problem = fast_problem(dataset, config)
    if problem is not None:
        from bayesstreams.fast.adapter import fast_nutpie_model  # lazy: loads the numba kernels, only when the fast path samples

        compiled, data = fast_nutpie_model(problem), None
    else:
        compiled, data = compiled_model(dataset, config), config.model_kind.data(dataset, config=config)
    return sample_compiled(compiled, data, settings["draws"], settings["tune"], settings["chains"], seed,
                           cores=min(settings["chains"], os.cpu_count() or 1),
                           target_accept=settings["target_accept"], progress=progress)
