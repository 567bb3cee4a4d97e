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

from bayesstreams.fast.registry import fast_problem
from bayesstreams.model.centring import effect_codes
from bayesstreams.model.kinds import model_coords

_MEMO: dict[str, object] = {}


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
    import nutpie

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
    import nutpie

    if data is not None:  # an array the graph never reads (e.g. x once every code is summed out) is not in it
        known = {var.name for var in compiled.shared_var_keys}
        compiled = compiled.with_data(**{name: value for name, value in data.items() if name in known})
    return nutpie.sample(compiled, draws=draws, tune=tune, chains=chains, cores=cores, seed=seed,
                         progress_bar=progress, save_warmup=False, target_accept=target_accept)


def sample(dataset, config, settings: dict, seed: int, progress: bool):
    """Sample ``config``'s model of ``dataset`` with nutpie; the fast path where the kind has one."""
    problem = fast_problem(dataset, config)
    if problem is not None:
        from bayesstreams.fast.adapter import fast_nutpie_model  # lazy: loads the numba kernels, only when the fast path samples

        compiled, data = fast_nutpie_model(problem), None
    else:
        compiled, data = compiled_model(dataset, config), config.model_kind.data(dataset, config=config)
    return sample_compiled(compiled, data, settings["draws"], settings["tune"], settings["chains"], seed,
                           cores=min(settings["chains"], os.cpu_count() or 1),
                           target_accept=settings["target_accept"], progress=progress)
