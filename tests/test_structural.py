"""Structural certainty is not evidence: probabilities under the prior beside the posterior, and the figure
of rho's prior and posterior draws exactly its table."""

import numpy as np
import pandas as pd
import pytest

from bayesstreams.analysis.structural import density_table, prior_probabilities

from .fakes import make_dataset, random_parameters, stack_draws


def _draws(dataset, seed: int, n: int = 400, flip: bool = False) -> dict:
    rng = np.random.default_rng(seed)
    sets = []
    for _ in range(n):
        params = random_parameters(dataset, rng)
        if flip:  # effects of either sign: P(beta > 0) is far from 0 and 1
            params["beta"] = rng.normal(0.0, 1.0, size=params["beta"].shape)
        sets.append(params)
    return stack_draws(sets)


def test_the_dependency_effect_is_structurally_positive_and_a_free_beta_is_not():
    dataset = make_dataset()
    rows = prior_probabilities(_draws(dataset, 1, flip=True), _draws(dataset, 2), dataset)
    by_key = {(r["name"], r["index"]): r for r in rows}
    dependency = by_key[("dependency_effect", "")]
    assert dependency["prior_p"] == 1.0 and dependency["posterior_p"] == 1.0 and dependency["structural"]
    beta = by_key[("beta", "p1_insight")]
    assert 0.2 < beta["prior_p"] < 0.8 and not beta["structural"]


def test_without_prior_draws_no_probability_is_called_structural():
    dataset = make_dataset()
    rows = prior_probabilities({}, _draws(dataset, 2, n=40), dataset)
    assert rows and all(r["prior_p"] is None and not r["structural"] for r in rows)


def test_density_table_integrates_to_one_and_follows_the_draws():
    rng = np.random.default_rng(0)
    table = density_table(rng.uniform(size=20000), rng.beta(1, 9, size=20000))
    width = table[0]["high"] - table[0]["low"]
    assert sum(r["prior"] for r in table) * width == pytest.approx(1.0)
    assert sum(r["posterior"] for r in table) * width == pytest.approx(1.0)
    assert all(r["prior"] == pytest.approx(1.0, abs=0.15) for r in table)  # uniform
    assert table[0]["posterior"] > 5 > table[-1]["posterior"]                 # piled up near 0


def test_the_rho_figure_draws_exactly_its_table():
    from matplotlib.patches import StepPatch

    from bayesstreams.reporting.figures import prior_posterior_plot
    from bayesstreams.reporting.i18n import translator

    table = pd.DataFrame({"low": [0.0, 0.5], "high": [0.5, 1.0], "prior": [1.0, 1.0], "posterior": [1.6, 0.4]})
    fig = prior_posterior_plot(table, translator("en"))
    steps = [p for p in fig.axes[0].patches if isinstance(p, StepPatch)]
    values = sorted(tuple(np.asarray(s.get_data().values)) for s in steps)
    assert values == [(1.0, 1.0), (1.6, 0.4)]
    assert all(tuple(s.get_data().edges) == (0.0, 0.5, 1.0) for s in steps)
