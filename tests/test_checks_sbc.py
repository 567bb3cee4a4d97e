"""SBC: the rank statistics on known posteriors, then the reduced SBC (passes) and its negative control (fails)."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from bayesstreams.checks.sbc_stats import ecdf_table, rank_rows, summarise, thin_step, uniformity
from bayesstreams.cli.check import check_app

REDUCED = {"n_sims": 40, "n_cases": 30, "draws": 500, "tune": 500, "chains": 2, "seed": 1}


def _conjugate_ranks(n_sims: int, posterior_sd_factor: float, seed: int = 0) -> pd.DataFrame:
    """SBC rows of a normal model mu ~ N(0, 1), y ~ N(mu, 1) with 4 observations, sampled exactly.

    A factor of 1 gives the true posterior; below 1 an over-confident one.
    """
    rng = np.random.default_rng(seed)
    rows = []
    for sim in range(n_sims):
        mu = rng.normal()
        y = rng.normal(mu, 1.0, size=4)
        mean, sd = y.sum() / 5.0, np.sqrt(1.0 / 5.0) * posterior_sd_factor
        draws = rng.normal(mean, sd, size=(2, 200, 1))
        rows += rank_rows(["mu"], draws, np.array([mu]), rng, {"sim": sim, "divergences": 0, "fit_s": 0.0})
    return pd.DataFrame(rows)


def test_exact_posterior_gives_uniform_ranks_and_nominal_coverage():
    ranks = _conjugate_ranks(400, 1.0)
    summary = summarise(ranks)
    assert summary["passed"]
    assert summary["coverage_90_mean"] == pytest.approx(0.9, abs=0.04)
    assert not ecdf_table(ranks)["outside"].any()


def test_overconfident_posterior_fails():
    ranks = _conjugate_ranks(100, 0.5)
    table = uniformity(ranks)
    assert table["fails"].all() and table["p_value"].iloc[0] < 1e-6
    assert table["covered_90"].iloc[0] < 0.75 * 100
    assert ecdf_table(ranks)["outside"].any()


def test_fractional_rank_stays_within_its_rank_cell():
    rng = np.random.default_rng(3)
    draws = rng.normal(size=(2, 50, 3))
    truth = np.array([-0.2, 0.0, 3.0])
    rows = rank_rows(["a", "b", "c"], draws, truth, rng, {"sim": 0})
    for row in rows:
        assert row["rank"] / (row["n_kept"] + 1) <= row["u"] <= (row["rank"] + 1) / (row["n_kept"] + 1)
    assert rows[2]["rank"] == rows[2]["n_kept"]  # a truth above every draw ranks last


def test_thinning_follows_autocorrelation():
    rng = np.random.default_rng(0)
    iid = rng.normal(size=(2, 1000, 1))
    ar = np.zeros((2, 1000, 1))
    for t in range(1, 1000):  # AR(1) with phi = 0.9: ESS about N (1 - phi) / (1 + phi) = N / 19
        ar[:, t] = 0.9 * ar[:, t - 1] + rng.normal(size=(2, 1))
    assert thin_step(iid)[0] <= 2
    assert 10 <= thin_step(ar)[0] <= 40


def test_simulations_are_reproducible_per_index():
    from bayesstreams.checks.sbc import SBCSettings, simulate_data

    settings = SBCSettings(n_sims=3, n_cases=10)
    first, again, other = simulate_data(settings, 1), simulate_data(settings, 1), simulate_data(settings, 2)
    np.testing.assert_array_equal(first[1].x, again[1].x)
    np.testing.assert_array_equal(first[0]["beta"], again[0]["beta"])
    assert not np.array_equal(first[1].x, other[1].x)


@pytest.mark.model
def test_reduced_sbc_passes(tmp_path):
    """The CI SBC: 40 simulated data sets of 30 cases, through the command line."""
    out = tmp_path / "sbc"
    args = ["sbc", "--sims", str(REDUCED["n_sims"]), "--cases", str(REDUCED["n_cases"]), "--seed", str(REDUCED["seed"]),
            "--out", str(out)]
    result = CliRunner().invoke(check_app, args)
    assert result.exit_code == 0, result.output
    assert "PASSED" in result.stdout
    summary = json.loads((out / "summary.json").read_text())
    assert summary["passed"] and summary["n_sims"] == 40
    assert summary["n_quantities"] == 47  # 6 mu, 6 tau, 6 alpha, 2 lambda, 2 kappa, rho, 23 beta, loglik
    assert summary["fits_with_divergences"] <= 2
    assert 0.85 <= summary["coverage_90_mean"] <= 0.95
    ranks = pd.read_csv(out / "ranks.csv")
    assert len(ranks) == 40 * 47 and ranks["u"].between(0, 1).all()
    assert {"ecdf_loglik.png", "ecdf_beta.png", "ecdf_rho.png"} <= {p.name for p in (out / "figures").iterdir()}


@pytest.mark.model
def test_negative_control_fails():
    """Fitting with the likelihood halved must fail SBC, and clearly: the log-likelihood ranks pile up.

    Seeds 1, 2 and 3 all gave a loglik chi-square p-value near 1e-23 (threshold 1e-3).  This run
    also exercises ``--scheduler``: it goes to an existing cluster by its address.
    """
    from distributed import LocalCluster

    from bayesstreams.checks.cluster import default_compiledir_root
    from bayesstreams.checks.sbc import SBCSettings, run_sbc

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as cluster:
        ranks = run_sbc(SBCSettings(**REDUCED, loglik_weight=0.5), scheduler=cluster.scheduler_address)
    compiledirs = set(ranks["compiledir"])
    assert len(compiledirs) == 2  # one PyTensor compile directory per worker process
    assert all(str(default_compiledir_root()) in d for d in compiledirs)
    summary = summarise(ranks)
    assert not summary["passed"]
    assert "loglik" in summary["failing"]
    loglik = next(q for q in summary["quantities"] if q["quantity"] == "loglik")
    assert loglik["p_value"] < 1e-8
    assert loglik["covered_90"] < 0.6 * 40
