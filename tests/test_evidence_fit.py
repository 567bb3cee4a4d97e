"""Small real fits of the evidence modes (MODEL.md §7): the shipped study and recovery of salience.

They sample with numpyro (JAX compiles the evidence graph in seconds; nutpie's numba compile of it
takes minutes, see docs/PERFORMANCE.md).
"""

from pathlib import Path

import numpy as np
import pytest

pytestmark = pytest.mark.model
pytest.importorskip("numpyro")

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def study():
    from bayesstreams.data.dataset import load_dataset

    return load_dataset(ROOT / "data" / "trafficking_nl_2020")


@pytest.mark.parametrize("model", ["streams-marginal", "streams-salience"])
def test_a_small_fit_per_mode(study, model):
    """A fully coded factor's ``code_prob`` has the conjugate posterior Dirichlet(1 + its code counts).

    In ``marginal`` mode ``code_prob[k]`` of a factor coded in every case enters the likelihood only
    through ``log Z`` (one ``log code_prob[k, c]`` per case), so its posterior mean is known exactly.
    """
    from bayesstreams.inference.fit import fit
    from bayesstreams.model.streams import KIND

    run = fit(study, model=ROOT / "models" / f"{model}.toml", seed=3, draws=300, tune=300, chains=2,
              sampler="numpyro")
    theta = run.posterior["code_prob"]
    assert theta.shape == (600, study.x.shape[1], 3)
    np.testing.assert_allclose(theta.sum(axis=-1), 1.0, atol=1e-9)
    np.testing.assert_allclose(run.log_likelihood, KIND.reference_loglik(study, run.posterior), rtol=1e-10)
    if model == "streams-marginal":
        k = list(study.factor_ids).index("p1_political_involvement")  # codes -1, 0, +1: 1, 1, 6 times
        expected = (1 + np.array([1, 1, 6])) / 11
        np.testing.assert_allclose(theta[:, k].mean(axis=0), expected, atol=0.04)
    else:
        assert {"salience_zero", "salience_nonzero"} <= set(run.posterior)


def test_salience_is_recovered_from_simulated_data(tmp_path):
    """Simulated with 0s discussed rarely (0.3) and +1/-1 often (0.85): the fit tells them apart."""
    import json

    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.model.simulate import simulate_to_folder
    from bayesstreams.inference.fit import fit
    from bayesstreams.model.config import load_config
    from bayesstreams.model.priors import draw_prior

    config = load_config(ROOT / "models" / "streams-salience.toml")
    params = {k: v[0] for k, v in draw_prior(config, np.repeat([0, 0, 0, 1, 1, 1], [6, 3, 3, 2, 6, 3]),
                                              np.repeat([0, 1, 2, 0, 1, 2], [6, 3, 3, 2, 6, 3]), 0, 1,
                                              np.random.default_rng(8)).items()}
    params.update(salience_zero=0.3, salience_nonzero=0.85)
    file = tmp_path / "params.json"
    file.write_text(json.dumps({k: np.asarray(v).tolist() for k, v in params.items()}))
    folder = simulate_to_folder(tmp_path / "sim", 60, seed=5, params_file=file, config=config)
    run = fit(load_dataset(folder), model=config, seed=2, draws=200, tune=300, chains=2, sampler="numpyro")
    zero, nonzero = run.posterior["salience_zero"], run.posterior["salience_nonzero"]
    for draws, truth in ((zero, 0.3), (nonzero, 0.85)):
        low, high = np.quantile(draws, [0.01, 0.99])
        assert low < truth < high
    assert np.mean(nonzero > zero) > 0.99
