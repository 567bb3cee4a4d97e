"""The mode study's arithmetic (bias, RMSE, coverage, elpd differences) against direct computation on tiny fakes."""

import numpy as np
import pytest

from bayesstreams.checks.mode_study import (ModeStudySettings, recovery_rows, recovery_summary, simulate_study_data,
                                            true_windows)


def test_recovery_rows_are_the_posterior_mean_error_and_the_central_90_interval():
    samples = np.column_stack([np.arange(1.0, 101.0), np.full(100, 2.0)])  # 1..100 and a constant
    rows = recovery_rows(["a", "b"], "beta", samples, np.array([96.0, 2.0]), {"mode": "m"})
    assert rows[0]["post_mean"] == pytest.approx(50.5) and rows[0]["error"] == pytest.approx(50.5 - 96.0)
    assert rows[0]["in_90"] is False  # the 95% quantile of 1..100 is 95.05 < 96
    assert rows[1]["in_90"] is True and rows[1]["error"] == 0.0
    assert rows[0]["mode"] == "m" and rows[0]["group"] == "beta"


def test_bias_rmse_and_coverage_equal_a_direct_computation():
    rng = np.random.default_rng(0)
    rows = []
    for mode in ("zero", "marginal"):
        for dataset in range(3):
            for q in range(4):
                error = float(rng.normal())
                rows.append({"truth_mechanism": "mar", "n_cases": 8, "dataset": dataset, "mode": mode, "group": "beta",
                             "quantity": f"b{q}", "truth": 0.0, "post_mean": error, "error": error,
                             "in_90": bool(rng.random() < 0.5)})
    table = recovery_summary(rows)
    for mode in ("zero", "marginal"):
        errors = np.array([r["error"] for r in rows if r["mode"] == mode])
        covered = np.array([r["in_90"] for r in rows if r["mode"] == mode])
        row = table[table["mode"] == mode].iloc[0]
        assert row["n"] == 12
        assert row["bias"] == pytest.approx(errors.mean())
        assert row["rmse"] == pytest.approx(np.sqrt(np.mean(errors ** 2)))
        assert row["coverage_90"] == pytest.approx(covered.mean())


def test_elpd_differences_are_paired_per_data_set_against_the_best_mode():
    elpd = {("zero", 0): -5.0, ("zero", 1): -7.0, ("marginal", 0): -4.0, ("marginal", 1): -7.5,
            ("salience", 0): -6.0, ("salience", 1): -9.0}
    fits = [{"truth_mechanism": "mar", "n_cases": 8, "dataset": d, "mode": m, "elpd_windows": v, "divergences": 0,
             "fit_s": 1.0, "not_discussed": 0.4} for (m, d), v in elpd.items()]
    rows = [{"truth_mechanism": "mar", "n_cases": 8, "dataset": 0, "mode": m, "group": "beta", "quantity": "b",
             "truth": 0.0, "post_mean": 0.0, "error": 0.0, "in_90": True} for m in ("zero", "marginal", "salience")]
    _, per_mode = recovery_summary(rows, fits)
    by_mode = per_mode.set_index("mode")
    # mean elpd: zero -6.0, marginal -5.75 (the best), salience -7.5
    assert by_mode.loc["marginal", "elpd_windows"] == pytest.approx(-5.75)
    assert by_mode.loc["marginal", "elpd_diff"] == 0.0
    d_zero = np.array([-5.0 - -4.0, -7.0 - -7.5])
    assert by_mode.loc["zero", "elpd_diff"] == pytest.approx(d_zero.mean())
    assert by_mode.loc["zero", "elpd_diff_se"] == pytest.approx(d_zero.std(ddof=1) / np.sqrt(2))
    # best per data set: marginal in data set 0, zero in data set 1
    assert by_mode.loc["zero", "best_share"] == 0.5 and by_mode.loc["marginal", "best_share"] == 0.5
    assert by_mode.loc["salience", "best_share"] == 0.0


def test_both_truths_record_the_same_true_codes_and_salience_hides_zeros():
    settings = ModeStudySettings(factors_per_stream=2)
    params_mar, x_mar, mar = simulate_study_data(settings, 400, 0, "mar")
    params_sal, x_sal, sal = simulate_study_data(settings, 400, 0, "salience")
    np.testing.assert_array_equal(x_mar, x_sal)  # paired: same truth, other recording
    np.testing.assert_array_equal(mar.w, sal.w)
    np.testing.assert_array_equal(params_mar["beta"], params_sal["beta"])
    assert "salience_zero" not in params_mar and params_sal["salience_zero"] == settings.salience_zero
    hidden_mar, hidden_sal = np.isnan(mar.x), np.isnan(sal.x)
    assert abs(hidden_mar.mean() - settings.p_missing) < 0.02
    # at random: a true 0 is as often hidden as any code; under salience far more often
    assert abs(hidden_mar[x_mar == 0].mean() - hidden_mar[x_mar != 0].mean()) < 0.04
    assert hidden_sal[x_sal == 0].mean() == pytest.approx(1 - settings.salience_zero, abs=0.03)
    assert hidden_sal[x_sal != 0].mean() == pytest.approx(1 - settings.salience_nonzero, abs=0.03)
    # discussed cells show their true code
    np.testing.assert_array_equal(sal.x[~hidden_sal], x_sal[~hidden_sal])


def test_true_windows_follow_the_window_formula_at_the_true_codes():
    from scipy.special import expit

    params, x_true, dataset = simulate_study_data(ModeStudySettings(), 8, 1, "mar")
    p1, p2 = true_windows(params, x_true, dataset)
    phase, stream = np.asarray(dataset.factor_phase), np.asarray(dataset.factor_stream)
    q = np.empty((8, 2, 3))
    for p in range(2):
        for s in range(3):
            members = (phase == p) & (stream == s)
            q[:, p, s] = expit(params["alpha"][p, s] + x_true[:, members] @ params["beta"][members])
    lam, kap, rho = params["lambda"], params["kappa"], params["rho"]
    pibar = lam + (1 - lam) * (1 - kap) * q.prod(axis=2)
    np.testing.assert_allclose(p1, pibar[:, 0])
    np.testing.assert_allclose(p2, pibar[:, 1] * (pibar[:, 0] + (1 - pibar[:, 0]) * rho))


def test_windows_target_of_an_evidence_mode_drops_the_codes_terms():
    """With every code discussed, marginal's p(W | evidence) is the v1 p(W | x): the log Z terms must not count."""
    from bayesstreams.checks.compare import nothing_observed, target_loglik
    from bayesstreams.checks.sbc import SBCSettings, layout_of, simulate_data
    from bayesstreams.inference.fit import resolve_model
    from bayesstreams.model.kinds import pointwise_loglik
    from bayesstreams.model.priors import draw_prior

    settings = SBCSettings(n_cases=12, layout=layout_of(2), p_missing=0.0, config=resolve_model("streams-marginal"))
    _, dataset, _ = simulate_data(settings, 0)
    assert not np.isnan(dataset.x).any()
    draws = draw_prior(settings.config, dataset.factor_phase, dataset.factor_stream, 0, 20, np.random.default_rng(1))
    v1 = {k: v for k, v in draws.items() if k != "code_prob"}
    windows = target_loglik(dataset, "streams", draws, "windows")
    np.testing.assert_allclose(windows, target_loglik(dataset, "streams", v1, "windows"), rtol=1e-9, atol=1e-9)
    # the codes' terms are there in the evidence mode's likelihood and are what was taken off
    log_z = pointwise_loglik(nothing_observed(dataset), "streams", draws)
    assert np.all(log_z < -1.0)
    np.testing.assert_allclose(pointwise_loglik(nothing_observed(dataset), "streams", v1), 0.0, atol=1e-12)
