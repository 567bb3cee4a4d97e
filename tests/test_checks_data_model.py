"""One PyMC builder per model kind, its data in pm.Data: swapped data give the model of the new data."""

import numpy as np
import pytest

pm = pytest.importorskip("pymc")

from bayesstreams.inference.samplers.nutpie import compile_model, sample_compiled  # noqa: E402
from bayesstreams.model.config import load_config  # noqa: E402
from bayesstreams.model.kinds import build_model, pointwise_loglik  # noqa: E402
from bayesstreams.model.priors import draw_prior  # noqa: E402

from .helpers import partly_observed_dataset, transformed_point  # noqa: E402

pytestmark = pytest.mark.model


def _points(model, n, seed):
    rng = np.random.default_rng(seed)
    start = model.initial_point()
    return [{k: v + rng.normal(0.0, 0.7, size=np.shape(v)) for k, v in start.items()} for _ in range(n)]


def _potential(model):
    import pytensor

    [potential] = model.potentials
    [graph] = model.replace_rvs_by_values([potential])
    return pytensor.function(model.value_vars, graph, on_unused_input="ignore")


@pytest.mark.parametrize("kind", ["streams", "additive"])
@pytest.mark.parametrize("groups", [False, True])
def test_swapped_data_give_the_model_of_the_new_data(kind, groups):
    """A model built for dataset A and refilled with B's arrays has B's own model's log density."""
    a = partly_observed_dataset(n_cases=15, seed=4, groups=groups)
    b = partly_observed_dataset(n_cases=15, seed=5, groups=groups)
    config = load_config(f"models/{kind}.toml")
    refilled, reference = build_model(a, config), build_model(b, config)
    assert sorted(v.name for v in reference.value_vars) == sorted(v.name for v in refilled.value_vars)
    logp_a = refilled.compile_logp()
    points = _points(reference, 4, seed=1)
    before = [logp_a(point) for point in points]
    for name, value in config.model_kind.data(b).items():
        refilled[name].set_value(value)
    logp_b, logp_ref = refilled.compile_logp(), reference.compile_logp()
    for point, old in zip(points, before):
        assert logp_b(point) == pytest.approx(logp_ref(point), rel=1e-10, abs=1e-8)
        assert logp_b(point) != pytest.approx(old, rel=1e-6)  # the data did change the density


@pytest.mark.parametrize("kind", ["streams", "additive"])
def test_held_out_case_drops_exactly_its_likelihood_term(kind):
    """Masking case i removes loglik_i (from the NumPy likelihood) and nothing else; weight 0.5 halves it."""
    dataset = partly_observed_dataset(n_cases=12, seed=7, groups=True)
    config = load_config(f"models/{kind}.toml")
    model = build_model(dataset, config)
    halved = _potential(build_model(dataset, config, loglik_weight=0.5))
    potential = _potential(model)
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 3,
                       np.random.default_rng(2))
    pointwise = pointwise_loglik(dataset, kind, draws)
    for d in range(3):
        point = transformed_point(model, draws, d)
        full = float(potential(**point))
        assert full == pytest.approx(pointwise[d].sum(), abs=1e-8)
        assert float(halved(**point)) == pytest.approx(0.5 * full, abs=1e-8)
        for name, value in config.model_kind.data(dataset, held_out=[3, 5]).items():
            model[name].set_value(value)
        assert float(potential(**point)) == pytest.approx(full - pointwise[d, [3, 5]].sum(), abs=1e-8)
        for name, value in config.model_kind.data(dataset).items():
            model[name].set_value(value)


def test_swapped_data_reach_the_compiled_sampler():
    """With every case held out the compiled sampler returns the prior; with the data it does not."""
    dataset = partly_observed_dataset(n_cases=30, seed=11, p_missing=0.0)
    dataset.s[:] = 0.0
    dataset.w[:] = 1.0  # windows open with no stream in motion: only the leak lambda explains them
    config = load_config(None)
    compiled = compile_model(dataset, config)
    empty = sample_compiled(compiled, config.model_kind.data(dataset, held_out=range(30)), draws=500, tune=300,
                            chains=2, seed=1)
    full = sample_compiled(compiled, config.model_kind.data(dataset), draws=500, tune=300, chains=2, seed=1)
    lam_empty = empty["posterior"]["lambda"].values
    lam_full = full["posterior"]["lambda"].values
    assert lam_empty.mean() == pytest.approx(0.1, abs=0.03)  # Beta(1, 9) prior mean
    assert lam_full[..., 0].mean() > 0.6  # about Beta(31, 9): mean 0.78
