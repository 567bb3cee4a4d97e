"""Power-scaling sensitivity: the NumPy log prior equals PyMC's, and the flags follow the paper's diagnosis."""

import numpy as np
import pytest

from bayesstreams.checks.sensitivity import flag, log_prior_draws, sensitivities
from bayesstreams.model.config import load_config
from bayesstreams.model.priors import draw_prior

from .helpers import partly_observed_dataset


@pytest.mark.parametrize("kind", ["streams", "additive"])
def test_log_prior_equals_pymc(kind):
    pm = pytest.importorskip("pymc")
    from bayesstreams.model.kinds import build_model

    dataset = partly_observed_dataset(n_cases=6, seed=2, groups=True)
    config = load_config(f"models/{kind}.toml")
    model = build_model(dataset, config)
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 3,
                       np.random.default_rng(5))
    ours = log_prior_draws(draws, config)
    assert set(ours) == {rv.name for rv in model.free_RVs}
    for rv in model.free_RVs:
        for d in range(3):
            expected = float(pm.logp(rv, draws[rv.name][d]).sum().eval())
            assert ours[rv.name][d] == pytest.approx(expected, rel=1e-6)  # PyMC keeps some constants in float32


def _normal_tree(prior_sd: float, n_obs: int, y_mean: float, draws: int = 4000):
    """Exact posterior draws of theta ~ N(0, prior_sd), y_i ~ N(theta, 1), with log prior and log likelihood."""
    import xarray as xr

    rng = np.random.default_rng(0)
    y = y_mean + rng.normal(size=n_obs)
    y = y - y.mean() + y_mean
    precision = 1 / prior_sd**2 + n_obs
    theta = rng.normal(y.sum() / precision, precision ** -0.5, size=(2, draws // 2))
    log_prior = -0.5 * (theta / prior_sd) ** 2
    loglik = -0.5 * (y[None, None, :] - theta[..., None]) ** 2
    return xr.DataTree.from_dict({
        "posterior": xr.Dataset({"theta": (("chain", "draw"), theta)}),
        "log_prior": xr.Dataset({"theta": (("chain", "draw"), log_prior)}),
        "log_likelihood": xr.Dataset({"y": (("chain", "draw", "obs"), loglik)}),
    })


@pytest.mark.parametrize("prior_sd, n_obs, y_mean, expected", [
    (0.1, 1, 0.0, "prior-driven"),         # strong prior, one observation: the posterior is the prior
    (0.1, 200, 2.0, "prior-data conflict"),  # strong prior far from strong data
    (100.0, 200, 2.0, ""),                   # weak prior, strong data
])
def test_flags_follow_the_diagnosis(prior_sd, n_obs, y_mean, expected):
    prior, likelihood = sensitivities(_normal_tree(prior_sd, n_obs, y_mean), ["theta"])["theta"]
    assert flag(float(prior[0]), float(likelihood[0])) == expected


def test_flag_rule():
    assert flag(0.06, 0.06) == "prior-data conflict"
    assert flag(0.06, 0.01) == "prior-driven"
    assert flag(0.01, 0.2) == ""
