"""SBC of the evidence modes (MODEL.md §7): data from each mode's own mechanism, the reduced run and its negative control.

The model-tier tests share one two-worker cluster: both fit with the ``marginal`` model on the
same shape, so each worker compiles it once (about 100 s) and the negative control reuses it.
"""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bayesstreams.checks.sbc import SBCSettings, layout_of, quantity_draws, simulate_data
from bayesstreams.cli.check import check_app
from bayesstreams.model.config import load_config

MARGINAL = "models/streams-marginal.toml"
SALIENCE = "models/streams-salience.toml"
# 6 factors (one per stream): the evidence graph's compile is the cost, not the fits
REDUCED = {"n_sims": 32, "n_cases": 20, "draws": 300, "tune": 300, "chains": 2, "seed": 1, "layout": layout_of(1)}


def _settings(model, **extra):
    return SBCSettings(**{**REDUCED, **extra}, config=load_config(model))


def test_marginal_simulations_are_missing_at_random_with_the_rate_asked():
    settings = _settings(MARGINAL, n_cases=400, layout=layout_of(3), p_missing=0.3)
    truth, dataset, _ = simulate_data(settings, 0)
    assert set(truth) >= {"code_prob", "beta", "rho"} and "salience_zero" not in truth
    rate = np.isnan(dataset.x).mean()  # 7200 cells: the standard error of the rate is 0.005
    assert abs(rate - 0.3) < 0.02
    # at random: the rate does not depend on the factor's code distribution
    per_factor = np.isnan(dataset.x).mean(axis=0)
    assert np.all(np.abs(per_factor - 0.3) < 0.1)


def test_salience_simulations_follow_the_salience_mechanism():
    settings = _settings(SALIENCE, n_cases=2000, layout=layout_of(1))
    truth, dataset, _ = simulate_data(settings, 3)
    theta = np.asarray(truth["code_prob"])
    s0, s1 = float(truth["salience_zero"]), float(truth["salience_nonzero"])
    expected = theta[:, 1] * (1 - s0) + (1 - theta[:, 1]) * (1 - s1)  # P(not discussed) per factor
    observed = np.isnan(dataset.x).mean(axis=0)
    assert np.all(np.abs(observed - expected) < 0.04)  # 2000 cases: standard error at most 0.011
    # a discussed cell shows a 0 with P(0) s0 / (P(0) s0 + P(not 0) s1)
    discussed = ~np.isnan(dataset.x)
    zero_share = ((dataset.x == 0) & discussed).sum(axis=0) / discussed.sum(axis=0)
    assert np.all(np.abs(zero_share - theta[:, 1] * s0 / (theta[:, 1] * s0 + (1 - theta[:, 1]) * s1)) < 0.05)


def test_several_respondents_reach_the_dataset():
    settings = _settings("models/streams-marginal.toml", respondents=3)
    _, dataset, _ = simulate_data(settings, 0)
    frame = dataset.respondent_codes()
    discussed = ~np.isnan(dataset.x)
    assert len(frame) == 3 * discussed.sum()
    assert set(frame["respondent"]) == {"r1", "r2", "r3"}


def test_simulations_of_a_mode_are_reproducible_and_the_v1_ones_unchanged():
    first, again = simulate_data(_settings(SALIENCE), 2), simulate_data(_settings(SALIENCE), 2)
    np.testing.assert_array_equal(first[1].x, again[1].x)
    np.testing.assert_array_equal(first[0]["code_prob"], again[0]["code_prob"])
    v1 = SBCSettings(n_sims=3, n_cases=10)  # the zero mode: no code left undiscussed, as before
    assert not np.isnan(simulate_data(v1, 1)[1].x).any()


def test_ranked_quantities_include_the_evidence_parameters_and_the_fitted_models_loglik():
    from bayesstreams.model.kinds import get_kind

    truth, dataset, _ = simulate_data(_settings(SALIENCE), 0)
    n_chain, n_draw = 2, 5
    chain_draws = {k: np.broadcast_to(np.asarray(v, dtype=float), (n_chain, n_draw, *np.shape(v))).copy()
                   for k, v in truth.items()}
    labels, draws, values = quantity_draws(chain_draws, truth, dataset)
    n_factors = len(dataset.factor_ids)
    assert len(labels) == 6 + 6 + 6 + 2 + 2 + 1 + n_factors + 3 * n_factors + 2 + 1
    assert {"salience_zero", "salience_nonzero", "code_prob[f1_problem_1, 0]", "loglik"} <= set(labels)
    # the draws equal the truth, so every draw's value is the true value, loglik included
    np.testing.assert_allclose(draws[0, 0], values)
    direct = get_kind("streams").reference_loglik(dataset, {k: np.asarray(v)[None] for k, v in truth.items()}).sum()
    assert values[-1] == pytest.approx(direct)
    # a fit with the marginal model (no salience parameters): its loglik of the truth drops the salience terms
    marginal = {k: v for k, v in chain_draws.items() if not k.startswith("salience")}
    labels_m, _, values_m = quantity_draws(marginal, truth, dataset)
    assert "salience_zero" not in labels_m
    direct_m = get_kind("streams").reference_loglik(
        dataset, {k: np.asarray(v)[None] for k, v in truth.items() if not k.startswith("salience")}).sum()
    assert values_m[-1] == pytest.approx(direct_m) and values_m[-1] != pytest.approx(direct)


@pytest.fixture(scope="module")
def cluster():
    from distributed import LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as found:
        yield found


@pytest.mark.model
def test_reduced_marginal_sbc_passes(tmp_path, cluster):
    """The CI SBC of ``marginal``: 32 data sets of 20 cases, 40% not discussed at random, through the command."""
    out = tmp_path / "sbc"
    args = ["sbc", "--model", MARGINAL, "--sims", str(REDUCED["n_sims"]), "--cases", str(REDUCED["n_cases"]),
            "--draws", "300", "--tune", "300", "--seed", "1", "--factors-per-stream", "1", "--missing", "0.4",
            "--scheduler", cluster.scheduler_address, "--out", str(out)]
    result = CliRunner().invoke(check_app, args)
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.stdout and "not discussed at random with rate 0.4" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    # 6 mu, 6 tau, 6 alpha, 2 lambda, 2 kappa, rho, 6 beta, 18 code_prob, loglik
    assert summary["passed"] and summary["n_quantities"] == 48
    assert summary["fits_with_divergences"] <= 2
    assert 0.83 <= summary["coverage_90_mean"] <= 0.97
    ranks = pd.read_csv(out / "ranks.csv")
    assert set(ranks.loc[ranks["parameter"] == "code_prob", "quantity"]) >= {"code_prob[f1_problem_1, -1]"}
    assert "ecdf_code_prob.png" in {p.name for p in (out / "figures").iterdir()}


def _strong_salience(folder):
    """``streams-salience.toml`` with salience priors far apart: a 0 is almost never discussed, a +1 or -1 almost always."""
    text = open(SALIENCE, encoding="utf-8").read()
    text = text.replace("salience_zero = { alpha = 2.0, beta = 2.0 }", "salience_zero = { alpha = 1.0, beta = 19.0 }")
    text = text.replace("salience_nonzero = { alpha = 2.0, beta = 2.0 }", "salience_nonzero = { alpha = 19.0, beta = 1.0 }")
    path = folder / "streams-strong-salience.toml"
    path.write_text(text.replace('name = "streams-salience"', 'name = "streams-strong-salience"'), encoding="utf-8")
    return path


@pytest.mark.model
def test_salience_data_fitted_with_marginal_weights_fail(tmp_path, cluster):
    """Negative control: data whose not-discussed cells are mostly true zeros, fitted with the weights of ``marginal``.

    ``marginal`` reads the discussed cells as a fair sample of the codes; here they hold almost no
    zeros, so it puts ``code_prob[., 0]`` far below the truth, and the truth's log-likelihood (with
    its code terms) ranks low.  With the Beta(2, 2) salience priors of the shipped file the two
    mechanisms differ too little to fail at this size (32 simulations passed), so the data come from
    salience priors that keep them apart; the fit reuses the compiled marginal model of the test above.
    """
    from bayesstreams.checks.sbc import run_sbc
    from bayesstreams.checks.sbc_stats import summarise

    settings = _settings(_strong_salience(tmp_path), fit_config=load_config(MARGINAL))
    ranks = run_sbc(settings, scheduler=cluster.scheduler_address)
    summary = summarise(ranks)
    assert not summary["passed"]
    assert "loglik" in summary["failing"] or any(q.startswith("code_prob") for q in summary["failing"])
    zero_share = [q for q in summary["quantities"] if q["quantity"].startswith("code_prob") and q["quantity"].endswith(", 0]")]
    assert max(q["p_value"] for q in zero_share) < 1e-3  # every factor's P(code 0) is missed
    assert "salience_zero" not in set(ranks["parameter"])  # only what both models share is ranked


def test_a_journal_of_more_simulations_serves_a_shorter_resumed_run(tmp_path):
    from bayesstreams.checks.sbc_journal import Journal
    from bayesstreams.errors import InputError

    folder = tmp_path / ".sbc.sbc-journal"
    long_run = _settings(MARGINAL, n_sims=200).to_dict()
    journal = Journal(folder, long_run, resume=False)
    for index in range(3):
        journal.record(index, [{"sim": index, "u": 0.5}])
    shorter = Journal(folder, _settings(MARGINAL, n_sims=2).to_dict(), resume=True)
    assert sorted(shorter.finished()) == [0, 1, 2]  # run_sbc keeps those below its n_sims
    with pytest.raises(InputError, match="other settings"):
        Journal(folder, _settings(MARGINAL, n_sims=2, seed=5).to_dict(), resume=True)
