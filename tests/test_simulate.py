"""Simulated data sets follow the data contract and the generative model."""

import json

import numpy as np
import pytest

from bayesstreams.cli.app import main
from bayesstreams.data.dataset import load_dataset
from bayesstreams.model.likelihood import logistic, stream_eta, window_probability
from bayesstreams.model.simulate import simulate_outcomes, simulation_codebook


def test_simulate_command_writes_a_valid_dataset_and_truth(tmp_path, capsys):
    out = tmp_path / "sim"
    assert main(["simulate", "--cases", "40", "--seed", "3", "--observed-streams", "0.3", "--out", str(out)]) == 0
    dataset = load_dataset(out)
    truth = json.loads((out / "truth.json").read_text())
    assert dataset.n_cases == 40
    assert set(truth["parameters"]) >= {"mu", "tau", "z", "beta", "alpha", "lambda", "kappa", "rho"}
    assert np.array(truth["parameters"]["beta"]).shape == (23,)
    observed = np.mean(~np.isnan(dataset.s))
    assert 0.15 < observed < 0.45


def test_same_seed_same_files(tmp_path):
    for name in ("a", "b"):
        main_args = ["simulate", "--cases", "15", "--seed", "9", "--out", str(tmp_path / name)]
        assert main(main_args) == 0
    for file in ("cases.csv", "codes.csv", "streams.csv", "truth.json"):
        assert (tmp_path / "a" / file).read_text() == (tmp_path / "b" / file).read_text()


def test_simulated_window_rates_match_the_model():
    """Frequencies of W1 and of W2 given W1 agree with pibar at fixed parameters (200k cases)."""
    rng = np.random.default_rng(5)
    codebook = simulation_codebook()
    phase = np.array([f.phase - 1 for f in codebook.factors])
    stream = np.array([["problem", "policy", "politics"].index(f.stream) for f in codebook.factors])
    params = {"alpha": np.array([[0.2, -0.1, 0.4], [0.0, 0.3, -0.2]]), "beta": np.full(23, 0.6),
              "lambda": np.array([0.05, 0.1]), "kappa": np.array([0.1, 0.05]), "rho": np.array(0.3)}
    x = np.tile(rng.choice([-1.0, 0.0, 1.0], size=(1, 23)), (200_000, 1))
    s, w = simulate_outcomes(params, x, phase, stream, rng)
    pibar = window_probability(logistic(stream_eta(params["alpha"][None], params["beta"][None], x[:1], phase, stream)),
                               params["lambda"][None], params["kappa"][None])[0, 0]
    assert w[:, 0].mean() == pytest.approx(pibar[0], abs=0.005)
    assert w[w[:, 0] == 1, 1].mean() == pytest.approx(pibar[1], abs=0.006)
    assert w[w[:, 0] == 0, 1].mean() == pytest.approx(pibar[1] * 0.3, abs=0.006)
