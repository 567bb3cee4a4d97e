"""The sampler registry: one module per backend, each with ``sample(dataset, config, settings, seed, progress)``.

Every backend returns an ArviZ DataTree whose posterior carries the same names, dims and
coords, so nothing downstream knows which one ran.  ``nutpie`` is the default (and, for a
model kind with a hand-written density, the fast path of :mod:`bayesstreams.fast`);
``pymc`` is PyMC's own NUTS; ``numpyro`` runs JAX (optional extra ``bayesstreams[jax]``).
"""

from __future__ import annotations

import importlib

from bayesstreams.errors import InputError, Violation

SAMPLERS = ("nutpie", "pymc", "numpyro")


def get_sampler(name: str):
    """The backend module called ``name`` (its ``sample`` function does the work)."""
    if name not in SAMPLERS:
        raise InputError(Violation("<command line>", None, "--sampler",
                                   f"unknown sampler {name!r} (known: {', '.join(SAMPLERS)})"))
    return importlib.import_module(f"bayesstreams.inference.samplers.{name}")
