"""Prior dependence measured (MODEL.md §8): a number a check moves is prior-driven, one it leaves is not;
power-scaling moves what the prior pulls; one flag in report, brief, score and summary.json; check runs."""

import json

import numpy as np
import pytest

from bayesstreams.analysis.prior_dependence import measure, power_scaled_weights, prior_dependence
from bayesstreams.analysis.accessor import load_study
from bayesstreams.errors import RunError

from .fakes import fake_run, make_dataset, random_parameters, stack_draws
from .helpers import as_study, write_fake_run

N_DRAWS = 400


def posterior_draws(dataset, seed: int = 0, n: int = N_DRAWS) -> dict:
    rng = np.random.default_rng(seed)
    return stack_draws([random_parameters(dataset, rng) for _ in range(n)])


def moved(draws: dict, factor: int, shift: float) -> dict:
    """The same draws with one factor's beta moved: what a wider prior would do to a prior-driven effect."""
    out = {k: np.array(v, copy=True) for k, v in draws.items()}
    out["beta"][:, factor] += shift
    return out


def test_a_number_the_wide_prior_moves_is_prior_driven_and_one_it_leaves_is_not():
    dataset = make_dataset()
    draws = posterior_draws(dataset)
    measured = measure(draws, dataset, wide=moved(draws, 0, -10.0))
    assert measured.checks == ["wide"]
    assert measured.flag("beta", "p1_insight") and not measured.flag("beta", "p1_media")
    row = measured.row("beta", "p1_insight")
    assert row["shift_wide"] == pytest.approx(10.0)  # |moved mean - mean|
    assert row["shift_ratio"] == pytest.approx(10.0 / row["half_width"])
    # p1_insight is 0 in case c3: its P(W1) does not move, while c4 (coded +1) drops
    assert measured.row("p_w1", "c3")["shift_wide"] == pytest.approx(0.0, abs=1e-12)
    assert not measured.flag("p_w1", "c3") and measured.flag("p_w1", "c4")


def test_the_threshold_is_a_quarter_of_the_90_percent_interval():
    dataset = make_dataset()
    draws = posterior_draws(dataset)
    q05, q95 = np.quantile(draws["beta"][:, 1], [0.05, 0.95])
    quarter = (q95 - q05) / 4
    below = measure(draws, dataset, wide=moved(draws, 1, 0.95 * quarter))
    above = measure(draws, dataset, wide=moved(draws, 1, 1.05 * quarter))
    assert not below.flag("beta", "p1_media") and above.flag("beta", "p1_media")


def test_power_scaling_moves_what_the_prior_pulls_and_not_what_it_leaves():
    """mu drawn far from its N(0.5, 1) prior: doubling the prior pulls it back; rho has a flat prior."""
    from bayesstreams.model.config import load_config

    dataset = make_dataset()
    rng = np.random.default_rng(4)
    sets = []
    for _ in range(2000):
        params = random_parameters(dataset, rng)
        params["mu"] = rng.normal(3.0, 1.0, size=(2, 3))
        params["rho"] = np.array(rng.uniform())
        sets.append(params)
    run = fake_run(dataset, stack_draws(sets, chains=4))
    run.config = load_config(None)
    measured = prior_dependence(run)
    # halving or doubling every top-level prior at once, this far from the draws: neither tilt's ratios are
    # reliable (k >= 0.7 both ways), so power-scaling is not read at all rather than read from bad weights
    assert min(measured.power_khat.values()) >= 0.7 and measured.checks == []
    assert "power_2_mean" not in measured.row("mu", "1, problem")
    gentle = prior_dependence(run, alphas=(0.9, 1.1))  # small steps are reliable both ways: pulled towards 0.5
    mu = gentle.row("mu", "1, problem")
    assert max(gentle.power_khat.values()) < 0.7 and mu["power_1.1_mean"] < mu["mean"] < mu["power_0.9_mean"]
    assert not gentle.flag("rho")  # a flat prior: scaling it moves nothing


@pytest.mark.parametrize("alpha", [0.3, 0.5, 0.8])
def test_power_khat_is_the_k_of_the_tilt_the_weights_make(alpha):
    """Draws of N(0, 1) whose prior is N(0, 1) and likelihood flat: the prior to the power alpha makes the target
    N(0, 1 / alpha), wider than the draws below alpha = 1, and the importance ratios exp((1 - alpha) x^2 / 2) have
    the Pareto tail k = 1 - alpha (Vehtari et al. 2024, normal proposal and target); above 1 they are bounded (k < 0).
    The k of the opposite tilt (2 - alpha), which this once computed, is negative here."""
    from bayesstreams.inference.power import power_khat

    ks = []
    for seed in range(6):
        x = np.random.default_rng(seed).normal(size=8000)
        ks.append(power_khat(-x ** 2 / 2, chains=4, alphas=(alpha, 2 - alpha)))
    assert np.mean([k[alpha] for k in ks]) == pytest.approx(1 - alpha, abs=0.1)
    assert max(k[2 - alpha] for k in ks) < 0


def test_power_scaled_weights_are_the_exact_tilt_for_a_small_alpha_step():
    rng = np.random.default_rng(1)
    log_prior = rng.normal(size=4000)
    weights = power_scaled_weights(log_prior, chains=4, alphas=(1.05,))[1.05]
    exact = np.exp(0.05 * log_prior)
    assert weights.sum() == pytest.approx(1.0)
    assert np.corrcoef(weights, exact / exact.sum())[0, 1] > 0.999


def test_a_check_run_of_other_data_is_refused():
    dataset = make_dataset()
    other = make_dataset(x=np.where(np.isnan(make_dataset().x), 0.0, make_dataset().x))
    run = fake_run(dataset, posterior_draws(dataset, n=40))
    check = fake_run(other, posterior_draws(other, n=40))
    with pytest.raises(RunError, match="other data"):
        prior_dependence(run, check)


# ---------------------------------------------------------------------------- one flag everywhere


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """A fake run and its fake wide-prior check run, which moves the effect of p1_insight."""
    dataset = make_dataset()
    draws = posterior_draws(dataset, seed=3)
    root = tmp_path_factory.mktemp("runs")
    run = write_fake_run(root / "run", dataset, draws, prior=posterior_draws(dataset, seed=9))
    check = write_fake_run(root / "check", dataset, moved(draws, 0, -10.0), prior=posterior_draws(dataset, seed=9))
    return run, check


def test_flags_agree_between_report_brief_score_and_summary_json(runs, tmp_path):
    from bayesstreams.analysis.scoring import score_dataset
    from bayesstreams.inference.store import load_run
    from bayesstreams.reporting.brief import brief_data, one_case
    from bayesstreams.reporting.report import write_report

    run_path, check_path = runs
    run, check = load_run(run_path), load_run(check_path)
    measured = prior_dependence(run, check)
    flags = {(c, p): measured.flag(f"p_w{p}", c) for c in run.dataset.case_ids for p in (1, 2)}
    assert len(set(flags.values())) == 2  # both ways, or the comparison proves nothing
    folder = write_report(load_study(run_path, wide=check_path), tmp_path / "report")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert summary["prior_check"]["checks"] == ["contraction", "wide", "power"]
    for case in summary["cases"]:
        brief = brief_data(run, case_id=case["case_id"], lang="en", check_run=check)
        score = score_dataset(run, one_case(run.dataset, case["case_id"]), check_run=check).cases[0]
        for p, window in zip((1, 2), case["windows"]):
            expected = flags[case["case_id"], p]
            assert window["prior_driven"] == expected
            # the brief shows a known window as known (no chance, so nothing to mark), the others with their flag
            assert brief.windows[p - 1].prior_driven == (expected and brief.windows[p - 1].known is None)
            assert score.prior_driven[f"p_w{p}"] == expected
    side = {(r["name"], r["index"]): r["prior_driven"] for r in summary["prior_check"]["rows"]}
    assert side[("ace_w1", "p1_insight")] == measured.flag("ace_w1", "p1_insight")
    assert summary["prior_check"]["n_prior_driven"] == measured.count()[0] > 0
    assert f"**{measured.count()[0]} of {measured.count()[1]} headline numbers are prior-driven.**" in markdown


def test_score_json_carries_the_flags(runs, tmp_path, capsys):
    from bayesstreams.cli.app import main
    from bayesstreams.inference.store import load_run

    run_path, check_path = runs
    measured = prior_dependence(load_run(run_path), load_run(check_path))
    run = load_run(run_path)
    profile = tmp_path / "p.csv"  # two new municipalities coded as c4 and c3 of the run
    rows = [",".join(["case_id", *run.dataset.factor_ids])]
    for name, i in (("new", 3), ("other", 2)):
        rows.append(",".join([name, *("" if np.isnan(v) else f"{v:.0f}" for v in run.dataset.x[i])]))
    profile.write_text("\n".join(rows) + "\n", encoding="utf-8")
    assert main(["score", str(run_path), str(profile), "--json", "--check-run", str(check_path)]) == 0
    cases = json.loads(capsys.readouterr().out)["cases"]
    by_id = {c["case_id"]: c["prior_driven"] for c in cases}
    for name, case in (("new", "c4"), ("other", "c3")):
        assert by_id[name] == {"p_w1": measured.flag("p_w1", case), "p_w2": measured.flag("p_w2", case)}
    assert by_id["new"]["p_w1"] != by_id["other"]["p_w1"]  # c4 is coded +1 on the moved factor, c3 is 0


def test_a_wide_companion_beside_the_run_is_taken_only_when_its_hashes_match(tmp_path):
    """Study.load takes the <run>-wide folder when data and model hashes match, refuses it (located) when not."""
    from bayesstreams.inference.study import companion_path, wide_config
    from bayesstreams.model.config import load_config

    dataset = make_dataset()
    run_path = write_fake_run(tmp_path / "run", dataset, posterior_draws(dataset, n=40))
    assert load_study(run_path).missing["wide"].endswith("run-wide is not there")
    beside = write_fake_run(companion_path(run_path, "wide"), dataset, posterior_draws(dataset, seed=2, n=40))
    assert beside.name == "run-wide"
    with pytest.raises(RunError, match=r"run-wide/run.json: this wide companion .* another model file"):
        load_study(run_path)  # no model hash: not known to be wide
    info = json.loads((beside / "run.json").read_text())
    wide = wide_config(load_config(None))
    assert wide.name == "streams-wide" and wide.prior("mu") == {"mu": 0.5, "sigma": 3.0}
    assert wide.prior("tau") == {"sigma": 2.0}
    info["model"] = {"hash": wide.model_hash()}
    (beside / "run.json").write_text(json.dumps(info))
    study = load_study(run_path)
    assert study.wide is not None and "wide" not in study.missing
    assert load_study(run_path, companions=False).missing["wide"] == "not looked for"
    info["dataset"]["hash"] = "0" * 64
    (beside / "run.json").write_text(json.dumps(info))
    with pytest.raises(RunError, match="was fitted to other data"):
        load_study(run_path)


def test_the_wide_model_files_widen_the_effects_and_in_the_streams_model_leak_miss_and_rho():
    """Only the priors named change, and each one to a wider prior (larger prior sd), never a narrower one."""
    from pathlib import Path

    from bayesstreams.model.config import load_config

    models = Path(__file__).resolve().parents[1] / "models"
    for kind, widened in (("streams", {"mu", "tau", "lambda", "kappa", "rho"}), ("additive", {"mu", "tau"})):
        default, wide = load_config(models / f"{kind}.toml"), load_config(models / f"{kind}-wide.toml")
        assert wide.kind == default.kind and wide.sampler == default.sampler
        changed = {p for p, h in default.priors if wide.prior(p) != dict(h)}
        assert changed == widened
        assert wide.prior("mu") == {"mu": 0.5, "sigma": 3.0} and wide.prior("tau") == {"sigma": 2.0}
        for name in changed:
            before, after = (config.prior_of(name) for config in (default, wide))
            assert after.variance() > 1.2 * before.variance(), name


def test_the_necessities_are_one_minus_the_ratio_of_chances():
    from bayesstreams.analysis.prior_dependence import dependency_necessity_draws, stream_necessity_draws

    dataset = make_dataset()
    rng = np.random.default_rng(7)
    sets = []
    for _ in range(6):
        params = random_parameters(dataset, rng)
        params["alpha"] = np.full((2, 3), 40.0)  # every stream in motion: q = 1
        params["lambda"], params["kappa"] = np.array([0.1, 0.2]), np.array([0.0, 0.5])
        sets.append(params)
    draws = stack_draws(sets)
    np.testing.assert_allclose(dependency_necessity_draws(draws, dataset), 1.0 - draws["rho"])
    necessity = stream_necessity_draws(draws, dataset).reshape(-1, 2, 3)
    # 1 - lambda / (lambda + (1 - lambda)(1 - kappa)) with the other streams certainly in motion
    np.testing.assert_allclose(necessity[:, 0, :], 1 - 0.1 / (0.1 + 0.9 * 1.0), atol=1e-9)
    np.testing.assert_allclose(necessity[:, 1, :], 1 - 0.2 / (0.2 + 0.8 * 0.5), atol=1e-9)


def test_a_stream_necessity_claim_is_judged_in_the_streams_model_and_not_in_the_additive():
    from bayesstreams.analysis.claims import claim_verdicts
    from bayesstreams.data.claims import Claim

    dataset = make_dataset()
    claim = Claim("problem", "6", "nl", "en", "stream_necessity", "positive", phase=1, stream="problem")
    streams = fake_run(dataset, posterior_draws(dataset, n=40))
    verdict = claim_verdicts(streams, [claim], measure(streams.posterior, dataset))[0]
    assert verdict.reason != "no_query" and 0.0 <= verdict.q05 <= verdict.q95 <= 1.0
    rng = np.random.default_rng(1)
    additive_draws = stack_draws([random_parameters(dataset, rng, "additive") for _ in range(40)])
    additive = fake_run(dataset, additive_draws, kind="additive")
    assert claim_verdicts(additive, [claim], measure(additive_draws, dataset))[0].reason == "no_query"


def test_report_command_takes_a_check_run(runs, tmp_path, capsys):
    from .conftest import run_cli

    run_path, check_path = runs
    code, out, err = run_cli(["report", str(run_path), "--out", str(tmp_path / "r"), "--check-run", str(check_path)],
                             capsys)
    assert code == 0, err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text(encoding="utf-8"))
    assert summary["prior_check"]["checks"] == ["contraction", "wide", "power"]
    code, _, _ = run_cli(["report", str(run_path), "--out", str(tmp_path / "r2")], capsys)
    plain = json.loads((tmp_path / "r2" / "summary.json").read_text(encoding="utf-8"))
    assert code == 0 and plain["prior_check"]["checks"] == ["contraction", "power"]  # nothing beside the run: no wide refit


def test_the_case_chances_alone_give_the_rows_of_the_full_measure():
    """``score`` measures P(W1), P(W2) only (fast); its rows are exactly those of the full measure."""
    from bayesstreams.analysis.prior_dependence import CASE_CHANCES

    dataset = make_dataset()
    draws = posterior_draws(dataset)
    wide = moved(draws, 0, -10.0)
    weights = {0.5: np.full(N_DRAWS, 1.0 / N_DRAWS), 2.0: np.linspace(1.0, 2.0, N_DRAWS) / np.linspace(1.0, 2.0, N_DRAWS).sum()}
    full = measure(draws, dataset, wide=wide, weights=weights)
    fast = measure(draws, dataset, wide=wide, weights=weights, names=CASE_CHANCES)
    assert {r["name"] for r in fast.rows} == set(CASE_CHANCES)
    expected = [r for r in full.rows if r["name"] in CASE_CHANCES]
    assert fast.rows == expected
    assert any(r["prior_driven"] for r in fast.rows) and not all(r["prior_driven"] for r in fast.rows)


# ---------------------------------------------------------------------------- pure prior, Pareto k, old companions


def test_a_posterior_that_is_its_prior_is_flagged_though_no_check_moves_it():
    """rho's posterior drawn from its own flat prior: the wide refit and power-scaling leave its mean where it is,
    yet it is the prior's; the dependency necessity (1 - rho) and effect inherit the flag (the old rule certified all)."""
    dataset = make_dataset()
    rng = np.random.default_rng(11)
    draws = posterior_draws(dataset, seed=5)
    prior = posterior_draws(dataset, seed=6)
    draws["rho"], prior["rho"] = rng.uniform(size=N_DRAWS), rng.uniform(size=N_DRAWS)
    for name in ("mu", "beta"):  # parameters the data narrowed: a tenth of the prior spread
        draws[name] = prior[name].mean(axis=0) + 0.1 * (prior[name] - prior[name].mean(axis=0))
    measured = measure(draws, dataset, wide=draws, prior=prior)
    assert measured.checks == ["contraction", "wide"]
    rho = measured.row("rho")
    assert rho["shift_ratio"] == 0.0 and rho["sd_ratio"] > 0.8 and rho["reason"] == "contraction"
    assert measured.flag("dependency_necessity") and measured.row("dependency_necessity")["reason"] == "rho"
    assert measured.flag("dependency_effect")
    assert not measured.flag("mu", "1, problem") and measured.row("mu", "1, problem")["sd_ratio"] < 0.2
    assert measured.row("ace_w1", "p1_insight")["sd_ratio"] is None  # a query: no contraction rule
    unflagged = measure(draws, dataset, wide=draws)  # without prior draws: the shift rules alone
    assert not unflagged.flag("rho") and not unflagged.flag("dependency_effect")


def test_power_scaling_is_read_only_where_pareto_k_is_below_0_7():
    from bayesstreams.inference.power import KHAT_LIMIT, usable_power_weights

    dataset = make_dataset()
    draws = posterior_draws(dataset)
    run = fake_run(dataset, draws)
    tilt = np.exp(8 * (draws["mu"][:, 0, 0] - draws["mu"][:, 0, 0].max()))  # moves mu[1, problem] far
    run.power_weights = {0.5: np.full(N_DRAWS, 1.0 / N_DRAWS), 2.0: tilt / tilt.sum()}
    run.power_khat = {0.5: 0.1, 2.0: KHAT_LIMIT}
    assert list(usable_power_weights(run)) == [0.5]
    measured = prior_dependence(run)
    assert measured.checks == ["power"] and measured.power_khat == {0.5: 0.1, 2.0: KHAT_LIMIT}
    assert not measured.flag("mu", "1, problem") and "power_2_mean" not in measured.row("mu", "1, problem")
    run.power_khat = {0.5: 0.1, 2.0: 0.69}
    assert prior_dependence(run).flag("mu", "1, problem")


def test_pareto_k_is_saved_with_the_draws_and_read_back(tmp_path):
    from bayesstreams.inference.power import power_weights
    from bayesstreams.inference.store import load_draws, save_draws
    from bayesstreams.model.config import load_config

    dataset = make_dataset()
    run = fake_run(dataset, posterior_draws(dataset), chains=4)
    run.config = load_config(None)
    weights = power_weights(run)
    assert set(weights) == set(run.power_khat) == {0.5, 2.0}
    save_draws(tmp_path / "draws.npz", run.posterior, run.prior, None, weights, run.power_khat)
    loaded = load_draws(tmp_path / "draws.npz", with_weights=True)[3]
    assert loaded.pop("khat") == pytest.approx(run.power_khat)
    assert set(loaded) == {0.5, 2.0}


def test_a_wide_companion_fitted_before_leak_miss_and_rho_were_widened_is_refused(tmp_path):
    """The old streams-wide.toml widened mu and tau only: its companion no longer matches and is refused, located."""
    import dataclasses

    from bayesstreams.inference.study import companion_path, wide_config
    from bayesstreams.model.config import load_config

    dataset = make_dataset()
    run_path = write_fake_run(tmp_path / "run", dataset, posterior_draws(dataset, n=40))
    default, wide = load_config(None), wide_config(load_config(None))
    old = dict(wide.priors)
    old.update({name: dict(default.priors)[name] for name in ("lambda", "kappa", "rho")})
    old_wide = dataclasses.replace(wide, priors=tuple(sorted(old.items())))
    beside = write_fake_run(companion_path(run_path, "wide"), dataset, posterior_draws(dataset, seed=2, n=40))
    info = json.loads((beside / "run.json").read_text())
    info["model"] = {"hash": old_wide.model_hash()}
    (beside / "run.json").write_text(json.dumps(info))
    with pytest.raises(RunError, match=r"run-wide/run.json: this wide companion .* another model file than streams-wide"):
        load_study(run_path)


@pytest.mark.model
def test_on_the_shipped_study_rho_and_the_dependency_are_flagged_and_alpha_0_5_is_not_read(study_fit):
    measured = prior_dependence(study_fit)
    # k about 0.78 for alpha = 0.5 (weighting up what the prior holds unlikely: heavy ratios), 0.49 for alpha = 2
    assert study_fit.power_khat[0.5] > 0.7 > study_fit.power_khat[2.0]
    assert "power_0.5_mean" not in measured.row("rho") and "power_2_mean" in measured.row("rho")
    for name in ("rho", "dependency_effect", "dependency_necessity"):
        assert measured.flag(name), name
    assert measured.row("rho")["sd_ratio"] > 0.9


def test_a_run_saved_with_the_opposite_tilts_k_gets_its_k_computed_again(tmp_path):
    """draws.npz files written before the fix hold 'power_khat/' (the k of the tilt 2 - alpha): never read back."""
    from bayesstreams.inference.power import power_khat, power_weights, scaled_log_prior
    from bayesstreams.inference.store import load_draws, save_draws
    from bayesstreams.model.config import load_config

    dataset = make_dataset()
    run = fake_run(dataset, stack_draws([random_parameters(dataset, np.random.default_rng(s)) for s in range(400)],
                                        chains=4))
    run.config = load_config(None)
    weights = power_weights(run)
    right = dict(run.power_khat)
    assert right == power_khat(scaled_log_prior(run.posterior, run.config), run.n_chains)
    save_draws(tmp_path / "new.npz", run.posterior, run.prior, None, weights, right)
    assert load_draws(tmp_path / "new.npz", with_weights=True)[3]["khat"] == right
    np.savez(tmp_path / "old.npz", **{f"posterior/{k}": v for k, v in run.posterior.items()},
             **{f"power_weights/{a:g}": w for a, w in weights.items()},
             **{"power_khat/0.5": np.asarray(0.01), "power_khat/2": np.asarray(5.0)})  # as written before the fix
    held = load_draws(tmp_path / "old.npz", with_weights=True)[3]
    assert "khat" not in held and set(held) == {0.5, 2.0}
    run.power_weights, run.power_khat = {a: held[a] for a in (0.5, 2.0)}, {}
    power_weights(run)  # the weights are reused, their k computed again
    assert run.power_khat == right
