"""Prior-to-posterior contraction of parameters and headline queries."""

from __future__ import annotations

import numpy as np
import pytest

from bayesstreams.model.config import load_config
from bayesstreams.analysis.contraction import (
    PRIOR_DRIVEN_BELOW,
    contraction,
    contraction_sentence,
    parameter_contraction,
    query_contraction,
    what_the_data_taught,
)
from bayesstreams.errors import RunError
from bayesstreams.model.priors import draw_prior

from .fakes import fake_run, make_dataset, random_parameters, stack_draws

GROUPS = ["north", "", "south", "north", ""]


@pytest.fixture(scope="module")
def dataset():
    return make_dataset(group_labels=GROUPS)


@pytest.fixture(scope="module")
def prior(dataset):
    return draw_prior(load_config(), dataset.factor_phase, dataset.factor_stream, len(dataset.groups), 2000,
                      np.random.default_rng(0))


def test_contraction_is_one_minus_the_variance_ratio():
    prior = np.array([[-1.0, 2.0], [1.0, 2.0]])
    posterior = np.array([[-0.5, 0.0], [0.5, 4.0]])
    value = contraction(prior, posterior)
    assert value[0] == pytest.approx(0.75)
    assert np.isnan(value[1])  # no prior variance


def test_every_parameter_scalar_is_labelled(dataset, prior):
    rng = np.random.default_rng(1)
    posterior = stack_draws([random_parameters(dataset, rng, gamma_scale=0.5) for _ in range(4)])
    table = parameter_contraction(prior, posterior, dataset)
    expected_rows = sum(int(np.prod(v.shape[1:])) for k, v in posterior.items() if k in prior)
    assert len(table) == expected_rows
    beta = table[table["name"] == "beta"]
    assert list(beta["index"]) == list(dataset.factor_ids)
    assert list(table[table["name"] == "mu"]["index"])[:2] == ["1, problem", "1, policy"]
    assert "2, politics, south" in set(table[table["name"] == "gamma"]["index"])
    assert table[table["name"] == "rho"]["index"].item() == ""
    np.testing.assert_array_equal(table["prior_driven"], table["contraction"] < PRIOR_DRIVEN_BELOW)
    mu = table[(table["name"] == "mu") & (table["index"] == "2, policy")].iloc[0]
    assert mu["contraction"] == pytest.approx(1 - posterior["mu"][:, 1, 1].var() / prior["mu"][:, 1, 1].var())


def test_queries_under_the_prior_itself_show_no_contraction(dataset, prior):
    table = query_contraction(prior, prior, dataset)
    np.testing.assert_allclose(table["contraction"], 0.0, atol=1e-12)
    assert table["prior_driven"].all()
    counts = table["name"].value_counts()
    assert counts["ace_w1"] == int((dataset.factor_phase == 0).sum())
    assert counts["ace_w2"] == len(dataset.factor_ids)
    assert counts["p_w1"] == counts["p_w2"] == dataset.n_cases and counts["dependency_effect"] == 1


def test_a_posterior_at_one_point_contracts_fully(dataset, prior):
    point = random_parameters(dataset, np.random.default_rng(2), gamma_scale=0.5)
    posterior = stack_draws([point], repeat=4)
    run = fake_run(dataset, posterior, prior)
    table = what_the_data_taught(run)
    assert set(table["source"]) == {"parameter", "query"}
    np.testing.assert_allclose(table["contraction"], 1.0)
    assert not table["prior_driven"].any()
    assert contraction_sentence(table).startswith("0 of ")


def test_sentence_counts_prior_driven_values(dataset, prior):
    sentence = contraction_sentence(what_the_data_taught(fake_run(dataset, prior, prior)))
    assert "prior-driven" in sentence and "(100%)" in sentence


def test_a_run_without_prior_draws_is_refused(dataset):
    posterior = stack_draws([random_parameters(dataset, np.random.default_rng(3))], repeat=2)
    with pytest.raises(RunError, match="prior"):
        parameter_contraction({}, posterior, dataset)
