"""Posterior QCA: the latent draws are exact, the posterior reduces to the classical values when all is known,
and on the shipped study the necessity of phase 1 for phase 2 is shown beside what could have refuted it."""

import itertools

import numpy as np
import pytest

from bayesstreams.analysis.qca.latent import draw_latent, thinned
from bayesstreams.analysis.qca.posterior import posterior_qca
from bayesstreams.analysis.qca.result import qca

from .fakes import FACTORS, fake_run, make_dataset, random_parameters
from .helpers import prior_like_draws

NAN = float("nan")


def _logistic(v):
    return 1.0 / (1.0 + np.exp(-v))


def _brute_force(params, dataset, i, mode, stream_error):
    """Exact marginals of case ``i``'s unknowns by enumerating every latent code, stream state and window."""
    fp, fs = dataset.factor_phase, dataset.factor_stream
    x_rec, s_rec, w_rec = dataset.x[i], dataset.s[i], dataset.w[i]
    missing = np.flatnonzero(np.isnan(x_rec))
    codes = (-1.0, 0.0, 1.0)
    fill = [codes] * len(missing) if mode == "marginal" else [(0.0,)] * len(missing)
    total = 0.0
    marg = {"s": np.zeros((2, 3)), "w": np.zeros(2), "x": np.zeros((len(missing), 3))}
    for x_fill in itertools.product(*fill):
        x = x_rec.copy()
        x[missing] = x_fill
        prior_x = np.prod([params["code_prob"][k, int(v) + 1] for k, v in zip(missing, x_fill)]) if mode == "marginal" else 1.0
        q = np.array([[_logistic(params["alpha"][p, s] + sum(params["beta"][k] * x[k] for k in range(len(x))
                                                                 if fp[k] == p and fs[k] == s)) for s in range(3)]
                      for p in range(2)])
        for t in itertools.product((0, 1), repeat=6):
            t = np.array(t).reshape(2, 3)
            m = prior_x * np.prod(np.where(t == 1, q, 1 - q))
            for p in range(2):
                for s in range(3):
                    if not np.isnan(s_rec[p, s]):
                        agree = t[p, s] == s_rec[p, s]
                        m *= (1 - params["stream_error"] if agree else params["stream_error"]) if stream_error else float(agree)
            pi = params["lambda"] + (1 - params["lambda"]) * (1 - params["kappa"]) * t.all(axis=1)
            for w1, w2 in itertools.product((0, 1), repeat=2):
                if (not np.isnan(w_rec[0]) and w1 != w_rec[0]) or (not np.isnan(w_rec[1]) and w2 != w_rec[1]):
                    continue
                open2 = pi[1] * (w1 + (1 - w1) * params["rho"])
                mm = m * (pi[0] if w1 else 1 - pi[0]) * (open2 if w2 else 1 - open2)
                total += mm
                marg["s"] += mm * t
                marg["w"] += mm * np.array([w1, w2])
                for j, v in enumerate(x_fill):
                    marg["x"][j, int(v) + 1] += mm
    return {k: v / total for k, v in marg.items()}, missing


@pytest.mark.parametrize("mode, stream_error", [("zero", False), ("marginal", True), ("marginal", False)])
def test_latent_draws_follow_the_exact_joint_of_codes_streams_and_windows(mode, stream_error):
    x = np.array([[1, NAN, 0, -1, NAN, 1, 0, NAN], [0, 1, 1, 0, -1, 0, 1, 1]], dtype=float)
    s = np.array([[[1, NAN, 0], [NAN, NAN, 1]], [[1, 1, 1], [0, 1, 1]]], dtype=float)
    w = np.array([[1, NAN], [1, 1]], dtype=float)
    dataset = make_dataset(x, w, s=s)
    params = random_parameters(dataset, np.random.default_rng(3))
    params["beta"] = params["beta"] * 2.0  # codes that matter, so a wrong conditional would show
    if mode == "marginal":
        params["code_prob"] = np.random.default_rng(4).dirichlet([2, 2, 2], size=len(FACTORS))
    if stream_error:
        params["stream_error"] = np.array(0.15)
    n = 40_000
    draws = {k: np.broadcast_to(np.asarray(v, float), (n, *np.shape(v))) for k, v in params.items()}
    latent = draw_latent(draws, dataset, n_draws=None, seed=1)
    exact, missing = _brute_force({k: np.asarray(v, float) for k, v in params.items()}, dataset, 0, mode, stream_error)

    def close(freq, p):
        se = np.sqrt(np.maximum(p * (1 - p), 1e-12) / n)
        assert np.all(np.abs(freq - p) <= 4.5 * se + 1e-9), (freq, p)

    close(latent.s[:, 0].mean(0), exact["s"])
    close(latent.w[:, 0].mean(0), exact["w"])
    for j, k in enumerate(missing):
        close(np.array([(latent.x[:, 0, k] == c).mean() for c in (-1, 0, 1)]), exact["x"][j])
    # what is known comes back as it was recorded (a coded stream only without stream_error)
    assert (latent.x[:, 1] == x[1]).all() and (latent.w[:, 1] == w[1]).all() and (latent.w[:, 0, 0] == 1).all()
    known = ~np.isnan(x[0])
    assert (latent.x[:, 0, known] == x[0, known]).all()
    if not stream_error:
        assert (latent.s[:, 1] == s[1]).all()
    else:
        assert 0 < (latent.s[:, 1] != s[1]).mean() < 0.5


def test_thinning_is_even_and_keeps_the_ends():
    assert thinned(1000, 5).tolist() == [0, 250, 500, 749, 999]
    assert thinned(7, None).tolist() == list(range(7))


def _complete_dataset():
    x = np.array([[1, 0, 1, -1, 1, 0, 0, 1], [-1, 1, 0, 1, 0, 1, -1, 0], [0, 1, -1, 1, 1, -1, 1, 1],
                  [1, 1, 1, 1, 0, 1, 1, -1], [0, -1, 0, 0, -1, 0, 0, 1], [1, 1, 0, 1, 1, 1, 1, 1]], dtype=float)
    s = np.array([[[1, 1, 1], [1, 0, 1]], [[0, 1, 1], [1, 1, 0]], [[1, 1, 1], [1, 1, 1]],
                  [[1, 0, 0], [0, 0, 1]], [[0, 0, 1], [1, 0, 0]], [[1, 1, 1], [1, 1, 1]]], dtype=float)
    w = np.array([[1, 0], [0, 0], [1, 1], [0, 0], [0, 0], [1, 1]], dtype=float)
    return make_dataset(x, w, s=s)


@pytest.mark.parametrize("outcome", ["w1", "w2", "policy_2"])
def test_with_every_cell_known_the_posterior_is_the_classical_analysis(outcome):
    dataset = _complete_dataset()
    draws = prior_like_draws(dataset, n=60, seed=2)
    post = posterior_qca(fake_run(dataset, draws), outcome, incl_cut=0.8, n_draws=None)
    classical = qca(dataset, outcome=outcome, incl_cut=0.8)
    nec = post.necessity.set_index("condition")
    for row in classical.necessity.to_dict("records"):
        for measure in ("inclN", "covN", "RoN"):
            values = nec.loc[row["condition"], [f"{measure}_mean", f"{measure}_q05", f"{measure}_q95"]].to_numpy(float)
            np.testing.assert_allclose(values, row[measure], atol=1e-12)
    tt = post.truth_table.set_index("row")
    for row in classical.truth_table.to_dict("records"):
        assert tt.loc[row["row"], "p_observed"] == 1.0 and tt.loc[row["row"], "n_mean"] == row["n"]
        assert tt.loc[row["row"], "incl_mean"] == pytest.approx(row["incl"])
        assert tt.loc[row["row"], "p_in_solution"] == (1.0 if row["OUT"] == "1" else 0.0)
    assert set(tt.index[tt["p_observed"] > 0]) == set(classical.truth_table["row"])
    for got, want in zip(post.terms.to_dict("records"), classical.terms.to_dict("records")):
        for measure in ("inclS", "PRI", "covS", "covU"):
            assert got[f"{measure}_q05"] == pytest.approx(want[measure]) == got[f"{measure}_q95"]
        assert got["p_in_solution"] == 1.0 and got["p_pass"] == float(want["inclS"] >= 0.8 - 1e-9)
    assert post.solutions["classical"].all() and (post.solutions["probability"] == 1.0).all()
    assert [r["key"] for r in post.readings if r["key"] != "necessity_tested" and r["key"] != "necessity_untested"] == []


def test_unknown_stream_states_widen_the_interval_and_cover_every_completion():
    # a stream left uncoded in two cases: the posterior's range of inclN holds the values of the completions
    dataset = _complete_dataset()
    s = dataset.s.copy()
    s[[0, 2], 1, 1] = NAN
    partial = make_dataset(dataset.x, dataset.w, s=s)
    post = posterior_qca(fake_run(partial, prior_like_draws(partial, n=400, seed=5)), "w2", n_draws=None)
    completions = []
    for a, b in itertools.product((0.0, 1.0), repeat=2):
        filled = s.copy()
        filled[0, 1, 1], filled[2, 1, 1] = a, b
        completions.append(qca(make_dataset(dataset.x, dataset.w, s=filled), outcome="w2").necessity)
    values = sorted({float(c.set_index("condition").loc["policy_2", "inclN"]) for c in completions})
    drawn = np.unique(post.draws["inclN"].sel(condition="policy_2").values)
    assert set(np.round(drawn, 12)) <= set(np.round(values, 12)) and len(drawn) > 1
    row = post.necessity.set_index("condition").loc["policy_2"]
    assert row["inclN_q05"] < row["inclN_q95"]
    # the classical table drops both cases; the posterior keeps them and says so
    assert any(r["key"] == "dropped_cases" and r["n"] == 2 for r in post.readings)


def test_the_shipped_study_shows_why_a_perfect_necessity_tells_little(fake_study):
    _, run = fake_study
    post = posterior_qca(run, "w2", n_draws=200)
    reading = next(r for r in post.readings if r["key"].startswith("necessity_"))
    assert reading["key"] == "necessity_untested" and reading["condition"] == "w1"
    assert reading["classical"] == 1.0 and reading["n_outcome"] == 3
    # the four cases without a phase-1 window never had all phase-2 streams in motion (coded 0 somewhere)
    assert reading["n_closed"] == 4 and reading["could_refute_mean"] == 0.0
    assert reading["rho_q05"] < 0.2 and reading["rho_q95"] > 0.8  # rho stays wide: the model cannot tell
    assert post.draws["inclN"].dims == ("draw", "condition") and post.draws.sizes["draw"] == 200


def test_the_run_needs_streams(fake_study):
    from bayesstreams.errors import RunError

    _, run = fake_study
    with pytest.raises(RunError, match="streams"):
        draw_latent({"beta": run.posterior["beta"], "a": np.zeros((len(run.posterior["beta"]), 2))}, run.dataset)


@pytest.mark.slow
def test_the_fitted_study_keeps_necessity_one_and_rho_uncertain(study_fit):
    post = posterior_qca(study_fit, "w2", n_draws=500)
    nec = post.necessity.set_index("condition").loc["w1"]
    assert nec["classical_inclN"] == 1.0 and nec["p_all_cases"] == 1.0  # every window is known in the study
    reading = next(r for r in post.readings if r["key"].startswith("necessity_"))
    assert reading["key"] == "necessity_untested" and reading["rho_q95"] - reading["rho_q05"] > 0.5


def test_docstring_examples_run(fake_study, monkeypatch):
    """The examples run against the shipped study with prior-like draws (``run``); each module's count is kept."""
    import doctest
    from pathlib import Path

    import bayesstreams.analysis.qca.latent as latent_module
    import bayesstreams.analysis.qca.posterior as posterior_module

    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    for module, minimum in ((latent_module, 3), (posterior_module, 2)):
        runner = doctest.DocTestRunner()
        for test in doctest.DocTestFinder().find(module):
            test.globs.update({"run": fake_study[1]})
            runner.run(test)
        result = runner.summarize(verbose=False)
        assert result.failed == 0 and result.attempted >= minimum, (module.__name__, result)
