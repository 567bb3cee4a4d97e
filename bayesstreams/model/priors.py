"""Draw parameters from a model file's prior in NumPy.

Used for the ``prior`` group of a run (contraction, prior checks), for simulation and
for SBC.  The PyMC model states the same priors; a test checks that the two agree.
"""

from __future__ import annotations

import numpy as np

from bayesstreams.model.config import ModelConfig


def draw_prior(config: ModelConfig, factor_phase: np.ndarray, factor_stream: np.ndarray,
               n_groups: int, n_draws: int, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """``n_draws`` prior draws of every parameter, keyed as in the posterior (first axis = draw)."""
    prior = config.prior
    n_factors = len(factor_phase)
    mu = rng.normal(prior("mu")["mu"], prior("mu")["sigma"], size=(n_draws, 2, 3))
    tau = np.abs(rng.normal(0.0, prior("tau")["sigma"], size=(n_draws, 2, 3)))
    z = rng.normal(0.0, 1.0, size=(n_draws, n_factors))
    out = {"mu": mu, "tau": tau, "z": z, "beta": mu[:, factor_phase, factor_stream] + tau[:, factor_phase, factor_stream] * z}
    if config.kind == "streams":
        alpha = prior("alpha")
        out["alpha"] = rng.normal(alpha["mu"], alpha["sigma"], size=(n_draws, 2, 3))
        for name, shape in (("lambda", (n_draws, 2)), ("kappa", (n_draws, 2)), ("rho", (n_draws,))):
            out[name] = rng.beta(prior(name)["alpha"], prior(name)["beta"], size=shape)
        group_dims = (2, 3)
    else:
        out["a"] = rng.normal(prior("a")["mu"], prior("a")["sigma"], size=(n_draws, 2))
        out["delta"] = rng.normal(prior("delta")["mu"], prior("delta")["sigma"], size=(n_draws,))
        group_dims = (2,)
    if n_groups:
        out["sigma_group"] = np.abs(rng.normal(0.0, prior("sigma_group")["sigma"], size=(n_draws,)))
        out["gamma_raw"] = rng.normal(0.0, 1.0, size=(n_draws, *group_dims, n_groups))
        out["gamma"] = out["sigma_group"].reshape(-1, *([1] * (len(group_dims) + 1))) * out["gamma_raw"]
    return out
