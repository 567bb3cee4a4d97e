"""PyMC's own NUTS sampler, asked for by name.

Said explicitly (``nuts_sampler="pymc"``): with PyTensor's numba backend, ``pm.sample()``
would otherwise hand the model to nutpie.
"""

from __future__ import annotations

import os


def sample(dataset, config, settings: dict, seed: int, progress: bool, **kwargs):
    """Build ``config``'s PyMC model of ``dataset`` and sample it with ``pm.sample``."""
    import pymc as pm

    model = config.model_kind.build(dataset, config)
    kwargs = kwargs or {"nuts_sampler": "pymc"}
    with model:
        return pm.sample(draws=settings["draws"], tune=settings["tune"], chains=settings["chains"],
                         cores=min(settings["chains"], os.cpu_count() or 1), random_seed=seed, progressbar=progress,
                         target_accept=settings["target_accept"], compute_convergence_checks=False, **kwargs)
