"""The PyMC model states MODEL.md exactly: dims, priors, and the same likelihood as NumPy."""

import numpy as np
import pytest

pm = pytest.importorskip("pymc")

from bayesstreams.model.config import load_config  # noqa: E402
from bayesstreams.model.kinds import pointwise_loglik  # noqa: E402
from bayesstreams.model.kinds import build_model  # noqa: E402
from bayesstreams.model.priors import draw_prior  # noqa: E402

from .helpers import partly_observed_dataset, transformed_point  # noqa: E402

pytestmark = pytest.mark.model


def _potential_at(model, point: dict) -> float:
    """The log-likelihood Potential at fixed parameter values (no random draws in the graph)."""
    import pytensor

    [potential] = model.potentials
    [graph] = model.replace_rvs_by_values([potential])
    fn = pytensor.function(model.value_vars, graph, on_unused_input="ignore")
    return float(fn(**{v.name: point[v.name] for v in model.value_vars}))


@pytest.mark.parametrize("kind", ["streams", "additive"])
@pytest.mark.parametrize("groups", [False, True])
def test_pytensor_likelihood_equals_numpy(kind, groups):
    dataset = partly_observed_dataset(n_cases=25, seed=3, groups=groups)
    config = load_config(f"models/{kind}.toml")
    model = build_model(dataset, config)
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 5,
                       np.random.default_rng(0))
    expected = pointwise_loglik(dataset, kind, draws).sum(axis=1)
    for i in range(5):
        got = _potential_at(model, transformed_point(model, draws, i))
        assert got == pytest.approx(expected[i], abs=1e-8)


def test_dims_and_coords_are_named():
    dataset = partly_observed_dataset(n_cases=10, seed=1)
    model = build_model(dataset, load_config(None))
    dims = model.named_vars_to_dims
    assert dims["beta"] == ("factor",)
    assert dims["mu"] == ("phase", "stream")
    assert dims["lambda"] == ("phase",)
    assert list(model.coords["factor"]) == list(dataset.factor_ids)
    assert list(model.coords["stream"]) == ["problem", "policy", "politics"]
    # one vector of factor effects, not one scalar variable per factor
    assert not any(name.startswith(dataset.factor_ids[0]) for name in model.named_vars)


@pytest.mark.parametrize("path", ["models/streams.toml", "models/additive.toml"])
def test_numpy_prior_matches_pymc_prior(path):
    """draw_prior (used for the prior group and simulation) states the model's own priors."""
    from scipy import stats

    dataset = partly_observed_dataset(n_cases=5, seed=2)
    config = load_config(path)
    model = build_model(dataset, config)
    pymc_draws = pm.sample_prior_predictive(draws=4000, model=model, random_seed=1)["prior"]
    ours = draw_prior(config, dataset.factor_phase, dataset.factor_stream, 0, 4000, np.random.default_rng(2))
    for name, values in ours.items():
        theirs = np.asarray(pymc_draws[name]).reshape(4000, -1)
        mine = values.reshape(4000, -1)
        for column in range(mine.shape[1]):
            assert stats.ks_2samp(mine[:, column], theirs[:, column]).pvalue > 1e-4, name
