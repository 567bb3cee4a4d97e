"""The per-stream joint of a phase (case_evidence._phase_joint) equals its masked reference to the last bit."""

from itertools import product

import numpy as np
import pytest

from bayesstreams.analysis.case_evidence import (Evidence, _phase_joint, _phase_joint_reference, case_evidence,
                                                 counterfactual)
from bayesstreams.data.dataset import load_dataset

from .conftest import STUDY
from .helpers import partly_observed_dataset

CODES = [np.array(c, dtype=float) for c in product((np.nan, 0.0, 1.0), repeat=3)]  # every pattern of 3 streams


def _same(fast: dict, reference: dict) -> None:
    assert fast.keys() == reference.keys()
    for key in reference:
        assert fast[key].shape == reference[key].shape and fast[key].dtype == reference[key].dtype, key
        assert np.array_equal(fast[key], reference[key], equal_nan=True), key


@pytest.mark.parametrize("new_shape", [(300, 3), (7, 300, 3), (7, 1, 3)])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_every_code_pattern_gives_the_reference_bits(new_shape, dtype):
    rng = np.random.default_rng(len(new_shape) * 10 + (dtype == np.float32))
    q = rng.random((300, 3)).astype(dtype)
    q[:5] = [[0.0, 1.0, 0.5], [1.0, 1.0, 1.0], [0.0, 0.0, 0.0], [1e-300, 0.3, 1 - 1e-16], [0.2, 0.2, 0.2]]
    q_new = rng.random(new_shape).astype(dtype)
    lam, kap = rng.random(300), rng.random(300)
    for codes in CODES:
        _same(_phase_joint(q, q_new, codes, lam, kap), _phase_joint_reference(q, q_new, codes, lam, kap))
        _same(_phase_joint(q, q, codes, lam, kap), _phase_joint_reference(q, q, codes, lam, kap))


@pytest.mark.parametrize("data", ["shipped", "simulated"])
def test_each_cases_counterfactuals_equal_the_reference(data, monkeypatch):
    """On the shipped study's cases and a simulated data set's (every case's own coded streams and windows)."""
    from bayesstreams.analysis import case_evidence as module

    dataset = load_dataset(STUDY) if data == "shipped" else partly_observed_dataset(n_cases=15, seed=4)
    rng = np.random.default_rng(9)
    q, lam, kap, rho = rng.random((200, 2, 3)), rng.random((200, 2)), rng.random((200, 2)), rng.random(200)
    q_new = np.clip(q + rng.normal(0, 0.2, (4, 200, 2, 3)), 0, 1)
    for i in range(dataset.n_cases):
        evidence = case_evidence(dataset, i)
        for target, w1_open in ((0, False), (1, False), (1, True)):
            fast = counterfactual(q, q_new, lam, kap, rho, evidence, target, w1_open)
            with monkeypatch.context() as patch:
                patch.setattr(module, "_phase_joint", _phase_joint_reference)
                reference = counterfactual(q, q_new, lam, kap, rho, evidence, target, w1_open)
            for a, b in zip(fast, reference):
                assert np.array_equal(a, b, equal_nan=True)


def test_codes_along_the_draws_take_the_reference():
    rng = np.random.default_rng(2)
    q, lam, kap = rng.random((50, 3)), rng.random(50), rng.random(50)
    codes = np.where(rng.random((50, 3)) < 0.5, np.nan, rng.integers(0, 2, (50, 3)).astype(float))
    _same(_phase_joint(q, q, codes, lam, kap), _phase_joint_reference(q, q, codes, lam, kap))
    assert Evidence(codes[0], np.array([np.nan, np.nan])).target == 0
