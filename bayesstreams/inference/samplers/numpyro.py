"""numpyro through PyMC's JAX bridge (optional: ``pip install 'bayesstreams[jax]'``)."""

from __future__ import annotations
from bayesstreams.errors import DependencyError
from bayesstreams.inference.samplers import pymc as pymc_sampler


def chain_method(chains: int) -> str:
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


def sample(dataset, config, settings: dict, seed: int, progress: bool):
    """Sample ``config``'s PyMC model of ``dataset`` with numpyro's NUTS."""
    try:
        import numpyro  # noqa: F401
    except ImportError:
        raise DependencyError("--sampler numpyro needs JAX and numpyro: pip install 'bayesstreams[jax]'") from None
    return pymc_sampler.sample(dataset, config, settings, seed, progress, nuts_sampler="numpyro",
                               nuts={"chain_method": chain_method(settings["chains"])})
