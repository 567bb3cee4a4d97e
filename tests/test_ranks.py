"""Rankings with uncertainty (MODEL.md §8): P(rank 1) and P(top 3) from the draws."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from bayesstreams.analysis import ranks as ranks_module
from bayesstreams.analysis.queries import factor_importance
from bayesstreams.analysis.ranks import effect_ranks, headline_contrasts, rank_probabilities

from .fakes import NAN, X, make_dataset, random_parameters, stack_draws
from .helpers import run_doctests


def fake(codes=None, seed=0, n_sets=6):
    dataset = make_dataset(x=X if codes is None else codes)
    rng = np.random.default_rng(seed)
    return dataset, stack_draws([random_parameters(dataset, rng) for _ in range(n_sets)])


def brute_force_ranks(samples: np.ndarray, top: int) -> tuple[np.ndarray, np.ndarray]:
    """Rank by counting, draw by draw, how many items beat each item (ties: the earlier item wins)."""
    n_draws, n_items = samples.shape
    first, in_top = np.zeros(n_items), np.zeros(n_items)
    for d in range(n_draws):
        for j in range(n_items):
            beaten_by = sum(samples[d, i] > samples[d, j] or (samples[d, i] == samples[d, j] and i < j)
                            for i in range(n_items) if i != j)
            first[j] += beaten_by == 0
            in_top[j] += beaten_by < top
    return first / n_draws, in_top / n_draws


def test_rank_probabilities_match_counting():
    rng = np.random.default_rng(3)
    samples = rng.normal(size=(200, 6))
    samples[:10, 1] = samples[:10, 4]  # some ties
    got = rank_probabilities(samples, top=3)
    expected = brute_force_ranks(samples, top=3)
    np.testing.assert_allclose(got[0], expected[0])
    np.testing.assert_allclose(got[1], expected[1])


def test_rank_probabilities_sum_to_one_and_to_top_over_factors():
    dataset, posterior = fake(seed=1)
    table = effect_ranks(posterior, dataset)
    for window, own in table.groupby("window"):
        assert own["p_rank1"].sum() == pytest.approx(1.0)
        assert own["p_top3"].sum() == pytest.approx(min(3, len(own)))
        assert (own["p_top3"] >= own["p_rank1"]).all()
        assert own["rank"].tolist() == list(range(1, len(own) + 1))
        assert own["mean"].is_monotonic_decreasing


def test_ranks_use_the_common_step_and_skip_factors_without_data():
    codes = X.copy()
    codes[:, 4] = NAN                     # p2_framing: never coded
    codes[:, 1] = [1, 1, NAN, 1, 1]       # p1_media: +1 where coded; its 0 exists only through "not discussed"
    dataset, posterior = fake(codes, seed=2)
    contrasts = dict(zip(dataset.factor_ids, headline_contrasts(dataset)))
    assert contrasts["p2_framing"] is None
    assert contrasts["p1_media"] is None          # old rule: "+1 vs 0", a step through a cell nobody coded
    assert contrasts["p1_insight"] == "+1 vs -1"
    table = effect_ranks(posterior, dataset)
    assert "p2_framing" not in set(table["factor"])
    assert set(table.query("window == 'W1'")["factor"]) == {"p1_insight", "p1_media", "p1_congruence", "p1_political"}
    effects = factor_importance(posterior, dataset).query("quantity == 'ace'")
    for _, row in table.iterrows():  # every factor ranked on the same step, 0 -> +1, with that step's ACE
        expected = effects.query(f"factor == '{row['factor']}' and window == '{row['window']}' and step == '0 -> +1'")
        assert row["step"] == "0 -> +1" and row["mean"] == pytest.approx(expected["mean"].iloc[0])
        observed = contrasts[row["factor"]]
        if observed is None:
            assert pd.isna(row["observed_step"]) and np.isnan(row["observed_p_rank1"])
        else:
            own = effects.query(f"factor == '{row['factor']}' and window == '{row['window']}' "
                                f"and contrast == '{observed}'")
            assert row["observed_mean"] == pytest.approx(own["mean"].iloc[0])
    media = table.query("window == 'W1' and factor == 'p1_media'").iloc[0]
    assert media["extrapolated"]                  # 0 was never coded for it
    assert not table.query("window == 'W1' and factor == 'p1_insight'").iloc[0]["extrapolated"]
    for _, own in table.groupby("window"):        # the observed column ranks those with an observed step
        ranked = own.dropna(subset=["observed_p_rank1"])
        assert ranked["observed_p_rank1"].sum() == pytest.approx(1.0)
        assert sorted(ranked["observed_rank"].tolist()) == list(range(1, len(ranked) + 1))


def test_a_wider_observed_step_does_not_win_the_common_ranking():
    """Region orientation's P(largest) came from its -1 -> +1 step; on 0 -> +1 the larger one-step effect wins."""
    codes = X.copy()
    codes[:, 5] = [0, 1, 0, 1, 0]           # p2_collaboration: 0 and +1 only
    dataset, posterior = fake(codes, seed=5)
    n = len(posterior["beta"])
    region, collaboration = dataset.factor_ids.index("p2_region"), dataset.factor_ids.index("p2_collaboration")
    posterior["beta"][:] = 0.0
    posterior["beta"][:, region] = 1.0      # coded -1, 0 and +1: its observed step spans two codes
    posterior["beta"][:, collaboration] = 1.4 + 0.01 * np.arange(n)
    for name in ("alpha", "mu"):
        posterior[name][:] = 0.0
    dataset_codes = np.asarray(dataset.x)
    assert {-1.0, 0.0, 1.0} <= set(dataset_codes[:, region][~np.isnan(dataset_codes[:, region])])
    w2 = effect_ranks(posterior, dataset).query("window == 'W2'").set_index("factor")
    assert w2.loc["p2_region", "observed_step"] == "-1 -> +1"
    assert w2.loc["p2_collaboration", "observed_step"] == "0 -> +1"
    assert w2.loc["p2_region", "observed_p_rank1"] == 1.0        # the old ranking: the wider step wins
    assert w2.loc["p2_collaboration", "p_rank1"] == 1.0          # the common step: the larger effect wins
    assert w2.loc["p2_region", "p_rank1"] == 0.0


def test_a_factor_that_always_wins_has_rank_one_with_certainty():
    dataset, posterior = fake(seed=4)
    k = dataset.factor_ids.index("p2_region")
    posterior["beta"][:, k] = 8.0 + np.arange(len(posterior["beta"])) * 0.01
    others = [j for j in range(len(dataset.factor_ids)) if j != k]
    posterior["beta"][:, others] = 0.01
    w2 = effect_ranks(posterior, dataset).query("window == 'W2'").set_index("factor")
    assert w2.loc["p2_region", "p_rank1"] == 1.0 and w2.loc["p2_region", "rank"] == 1


def test_docstring_examples_run():
    run_doctests(ranks_module, minimum=12)


def test_brute_force_helper_is_itself_right_on_a_tiny_case():
    samples = np.array([[3.0, 1.0, 2.0], [1.0, 1.0, 0.0]])
    first, top = brute_force_ranks(samples, top=2)
    assert first.tolist() == [1.0, 0.0, 0.0] and top.tolist() == [1.0, 0.5, 0.5]
