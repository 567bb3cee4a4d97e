"""The VOI validation (checks/voi_validation.py; issue 24 item 4): its pieces (fast) and a small run (slow).

The pieces: an acquisition draws its outcome from the truth (a revealed cell is the code the
simulator drew; a check's reading has the chances of the reading model at the true parameters; a
new municipality comes from the simulator, and the chance of finding one of the profile, which
weighs it, is what the simulator finds), the candidates are chosen from the data as documented,
and the summary and ranking would see a prediction that is doubled or a ranking that is reversed.
"""

import numpy as np
import pandas as pd
import pytest

from bayesstreams.analysis import voi
from bayesstreams.checks import voi_validation as vv
from bayesstreams.inference.fit import resolve_model
from bayesstreams.inference.run import Run
from bayesstreams.model.priors import draw_prior
from bayesstreams.model.simulate import simulation_codebook


@pytest.fixture(scope="module")
def world():
    """One truth from the marginal model's prior, a study of 8 cases from it, and a run of prior draws on it."""
    config = resolve_model("streams-marginal")
    rng = np.random.default_rng(11)
    params, x_true, dataset = vv.simulate_study(config, simulation_codebook(), 8, 0.25, 0.8, rng)
    draws = draw_prior(config, dataset.factor_phase, dataset.factor_stream, 0, 60, np.random.default_rng(12))
    run = Run(dataset=dataset, config=config, posterior=draws, prior={})
    return params, x_true, dataset, run


def test_the_candidates_are_chosen_from_the_data_as_documented(world):
    _, _, data, _ = world
    k = data.factor_ids.index(vv.EFFECT_FACTOR)
    case = data.case_ids[0]
    target = 0 if data.w[0, 0] != 1 else 1
    for seed in range(5):
        chosen = vv.choose_candidates(data, vv.EFFECT_FACTOR, np.random.default_rng(seed), case)
        assert set(chosen) <= set(vv.ROLES) and {"new gap", "new open", "check", "check own"} <= set(chosen)
        cells = [(c.case_id, c.factor) for c in chosen.values() if c.kind != "new"]
        assert len(cells) == len(set(cells))  # one role per cell
        for role in ("reveal own", "check own"):
            if role in chosen:
                own = chosen[role]
                j = data.factor_ids.index(own.factor)
                assert own.case_id == case and data.factor_phase[j] == target
                assert np.isnan(data.x[0, j]) == (role == "reveal own")
        reveal, check, other = chosen["reveal"], chosen["check"], chosen["reveal phase 2"]
        i, j = data.case_ids.index(reveal.case_id), data.factor_ids.index(reveal.factor)
        assert np.isnan(data.x[i, j]) and data.factor_phase[j] == data.factor_phase[k]
        assert data.factor_stream[j] == data.factor_stream[k]
        i = data.case_ids.index(check.case_id)
        assert check.factor == vv.EFFECT_FACTOR and check.old == data.x[i, k] and not np.isnan(check.old)
        i, j = data.case_ids.index(other.case_id), data.factor_ids.index(other.factor)
        assert np.isnan(data.x[i, j]) and data.factor_phase[j] == 1
        assert chosen["new gap"].profile.w[0] == 0 and chosen["new open"].profile.w[0] == 1


def test_a_revealed_cell_is_the_code_the_simulator_drew_and_a_check_reads_at_the_truth(world):
    params, x_true, data, run = world
    rng = np.random.default_rng(3)
    chosen = vv.choose_candidates(data, vv.EFFECT_FACTOR, rng)
    reveal, check = chosen["reveal"], chosen["check"]
    groups = voi.outcomes(run, [reveal, check])
    outcome, weight = vv.acquire(run, reveal, groups[0], params, x_true, rng)
    i, k = data.case_ids.index(reveal.case_id), data.factor_ids.index(reveal.factor)
    assert weight == 1.0 and outcome.change.new == x_true[i, k]
    at_truth = voi.outcomes(vv.truth_run(run, params), [check])[0]
    expected = np.array([o.p_draw[0] for o in at_truth])
    assert expected[0] == pytest.approx(1 - voi.CHECK_DISAGREE)  # "same"
    labels = [o.label for o in groups[1]]
    n = 800
    seen = np.bincount([labels.index(vv.acquire(run, check, groups[1], params, x_true, rng)[0].label)
                        for _ in range(n)], minlength=len(labels)) / n
    assert np.all(np.abs(seen - expected) < 4.5 * np.sqrt(expected * (1 - expected) / n) + 1e-9), (seen, expected)


def test_a_new_municipality_is_weighed_by_how_often_the_truth_gives_its_profile(world):
    """The weight's numerator (the library's likelihood at the truth) is the share of the simulator's
    municipalities that have the profile's known parts; its denominator is the mean over the draws."""
    params, x_true, data, run = world
    for profile in (vv.gap_profile(data), vv.open_profile(data)):
        cand = voi.Candidate("new", profile=profile, n=1)
        chance = float(vv.profile_chance(voi.outcomes(vv.truth_run(run, params), [cand])[0])[0])
        _, drawn, kept = vv.simulate_profile(params, profile, data, np.random.default_rng(5), batches=20)
        share = kept / drawn
        assert abs(share - chance) < 4.5 * np.sqrt(chance * (1 - chance) / drawn) + 1e-6, (profile.key, share, chance)
        group = voi.outcomes(run, [cand])[0]
        rng = np.random.default_rng(6)
        outcome, weight = vv.acquire(run, cand, group, params, x_true, rng)
        assert weight == pytest.approx(chance / vv.profile_chance(group).mean(), rel=1e-12)
        assert outcome.label in [o.label for o in group]


def _rows(rng, scale=1.0, sims=40):
    """Rows as ``one_simulation`` gives them, realised = predicted + noise (or ``scale`` x predicted)."""
    values = {"reveal": 0.02, "check": 0.01, "reveal own": 0.03, "check own": 0.015, "new gap": 0.12,
              "new open": 0.005, "reveal phase 2": 0.0}
    assert set(values) == set(vv.ROLES)
    rows = []
    for sim in range(sims):
        for role, value in values.items():
            predicted = value * (1 + 0.3 * rng.standard_normal())
            rows.append({"sim": sim, "role": role, "query": "dependency", "weight": 1.0, "width_now": 0.8,
                         "predicted": predicted, "realised": scale * predicted + 0.02 * rng.standard_normal(),
                         "max_k": 0.2})
    return pd.DataFrame(rows)


def test_the_summary_sees_a_doubled_prediction_and_a_reversed_ranking():
    rng = np.random.default_rng(1)
    rows = _rows(rng)
    summary = vv.summarise(rows)
    gap = summary.set_index("role").loc["new gap"]
    assert abs(gap["z"]) < 3.5 and gap["z_doubled"] < -5
    ranking = vv.ranking(rows, summary).iloc[0]
    assert ranking["spearman_means"] > 0.8 and ranking["top_predicted"] == ranking["top_realised"] == "new gap"
    assert ranking["top1_rate"] > 2 * ranking["top1_chance"]
    half = vv.summarise(_rows(np.random.default_rng(1), scale=0.5)).set_index("role")
    assert half.loc["new gap", "z"] < -5  # a prediction twice the realised value fails
    reversed_rows = rows.assign(realised=lambda f: 0.15 - f["predicted"])
    assert vv.ranking(reversed_rows, vv.summarise(reversed_rows)).iloc[0]["spearman_means"] < -0.8


def test_the_verdict_passes_agreement_and_fails_a_doubled_prediction():
    rows = _rows(np.random.default_rng(2)).assign(query=lambda f: np.where(f["role"] == "reveal phase 2", "effect",
                                                                             f["query"]))
    def judged(frame):
        summary = vv.summarise(frame)
        return dict((name, passed) for name, passed, _ in
                    vv.verdict(vv.VoiValidation(frame, summary, vv.ranking(frame, summary), {})))

    assert all(judged(rows).values())
    doubled = judged(rows.assign(predicted=lambda f: 2 * f["predicted"]))
    assert not doubled["agreement"] and doubled["ranking"]
    reversed_ = judged(rows.assign(realised=lambda f: 0.15 - f["predicted"]))
    assert not reversed_["ranking"]


@pytest.mark.slow
def test_a_small_validation_predicts_the_realised_value_of_information():
    """Sixteen studies of 8 cases, eight fits each: the predicted reduction of the 90% interval equals the realised
    one (paired, within 3.5 s.e.), a doubled prediction is rejected for the informative candidate, the gap
    municipality comes first for the dependency by both, and the negative control is worth about nothing."""
    result = vv.voi_validation(n_sims=16, n_cases=8, seed=7, draws=200, tune=200)
    summary = result.summary.set_index(["role", "query"])
    assert (summary["z"].abs() <= 3.5).all(), summary[["predicted", "realised", "z"]]
    gap = summary.loc[("new gap", "dependency")]
    assert gap["predicted"] > 0.03 and gap["z_doubled"] < -3, gap
    ranking = result.ranking.set_index("query").loc["dependency"]
    assert ranking["top_predicted"] == ranking["top_realised"] == "new gap"
    checks = dict((name, passed) for name, passed, _ in vv.verdict(result))
    assert checks["negative control"] and checks["agreement"], vv.verdict(result)


def test_check_voi_refuses_a_model_without_a_code_distribution_in_one_line(tmp_path, capsys):
    from .conftest import run_cli

    code, _, err = run_cli(["check", "voi", "--out", str(tmp_path / "out"), "--model", "streams", "--sims", "2"],
                           capsys)
    assert code == 2 and "marginal or salience" in err and len(err.strip().splitlines()) == 1
    assert not (tmp_path / "out").exists()


def test_runs_of_other_simulations_pool_and_the_same_ones_are_refused():
    from bayesstreams.errors import RunError

    first, second = _rows(np.random.default_rng(5), sims=4), _rows(np.random.default_rng(6), sims=3)
    second["sim"] += 4
    parts = [vv.VoiValidation(r, vv.summarise(r), None, {"n_sims": 4, "start": 0}) for r in (first, second)]
    pooled = vv.pool(parts)
    assert pooled.settings["n_sims"] == 7 and len(pooled.rows) == len(first) + len(second)
    with pytest.raises(RunError, match="own --start"):
        vv.pool([parts[0], parts[0]])


def test_the_result_is_written_as_tables_and_a_figure(tmp_path):
    rows = _rows(np.random.default_rng(4), sims=6)
    summary = vv.summarise(rows)
    result = vv.VoiValidation(rows, summary, vv.ranking(rows, summary), {"n_sims": 6, "n_cases": 8})
    out = vv.write_validation(result, tmp_path / "voi")
    assert sorted(p.name for p in out.iterdir()) == ["predicted-realised.svg", "ranking.csv", "rows.csv",
                                                      "settings.json", "summary.csv"]
    assert pd.read_csv(out / "summary.csv")["predicted"].tolist() == pytest.approx(summary["predicted"].tolist())
    assert "6 studies of 8 cases" in (out / "predicted-realised.svg").read_text(encoding="utf-8")


@pytest.mark.slow
def test_check_voi_writes_its_tables_and_says_which_criteria_hold(tmp_path, capsys):
    from .conftest import run_cli

    out = tmp_path / "voi"
    code, text, err = run_cli(["check", "voi", "--out", str(out), "--sims", "2", "--draws", "60", "--tune", "60",
                               "--seed", "3", "--start", "4"], capsys)
    assert code in (0, 1), err
    rows = pd.read_csv(out / "rows.csv")
    assert sorted(set(rows["sim"])) == [4, 5] and set(rows["role"]) <= set(vv.ROLES)
    for name in ("agreement", "ranking", "negative control"):
        assert any(line.startswith(f"{name}: ") for line in text.splitlines()), text
    assert (code == 0) == all(": passed (" in line for line in text.splitlines()
                              if line.split(":")[0] in ("agreement", "ranking", "negative control"))
