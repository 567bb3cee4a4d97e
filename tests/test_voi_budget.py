"""``bayesstreams next RUN --budget K``: exact refits where the reweighting is unreliable (issue 24 item 3).

:func:`bayesstreams.pipeline.robustness.next_evidence` refits the outcomes whose Pareto k exceeds
0.7, the most likely first, at most ``budget`` of them, each with the data that outcome would give,
and reads each refit in place of that outcome's reweighting.  The refits here are stand-ins whose
draws are the run's with ``rho`` scaled by a factor that depends on the data they were given (so a
refit used for another outcome, or not used, gives another expected width), and that record every
call (so the budget and the choice of outcomes are seen).
"""

import dataclasses

import numpy as np
import pytest

from bayesstreams.analysis import voi
from bayesstreams.analysis.fragility import psis_weights
from bayesstreams.pipeline import robustness

QUERIES = ["dependency", "effect:p2_political_sponsor"]


def _scale(dataset, study_cases: int) -> float:
    """The stand-in refit's factor on ``rho``: one over one plus the new cases that found W2 open."""
    return 1.0 / (1.0 + float(np.nansum(dataset.w[study_cases:, 1])))


class FakeStudy:
    """A study whose ``refit`` returns the run's draws with ``rho`` scaled by :func:`_scale`, recording each call."""

    def __init__(self, run):
        self.run, self.dataset, self.calls = run, run.dataset, []

    def refit(self, dataset, progress=False):
        self.calls.append(dataset)
        posterior = dict(self.run.posterior)
        posterior["rho"] = self.run.posterior["rho"] * _scale(dataset, len(self.dataset.case_ids))
        return dataclasses.replace(self.run, dataset=dataset, posterior=posterior, memo={})


def _profiles(dataset):
    """The gap profile and one like Gemeente 1: few candidates, so the tests stay fast."""
    return voi.proposed_profiles(dataset)[:2]


def _unreliable(run, kinds=("new",), profiles=None):
    """Every (candidate, outcome, chance) whose Pareto k exceeds 0.7, most likely first, computed here."""
    cands = voi.candidates(run.dataset, kinds, profiles)
    found = []
    for cand, group in zip(cands, voi.outcomes(run, cands)):
        if group[0].p_draw is not None:
            chance = [float(np.mean(o.p_draw)) for o in group]
        else:
            top = max(float(o.log_ratio.max()) for o in group)
            mass = [float(np.mean(np.exp(o.log_ratio - top))) for o in group]
            chance = [m / sum(mass) for m in mass]
        found += [(cand, o, p) for o, p in zip(group, chance) if psis_weights(o.log_ratio)[1] > voi.K_MAX]
    return sorted(found, key=lambda item: -item[2])


@pytest.fixture(scope="module")
def unreliable(fake_study):
    found = _unreliable(fake_study[1], profiles=_profiles(fake_study[1].dataset))
    assert len(found) >= 4, "the fake run must have outcomes whose reweighting is unreliable"
    return found


def test_the_budget_caps_the_refits_and_the_most_likely_unreliable_outcomes_go_first(fake_study, unreliable):
    run = fake_study[1]
    for budget in (0, 1, 3):
        study = FakeStudy(run)
        found = robustness.next_evidence(study, queries=["dependency"], budget=budget, kinds=("new",),
                                         profiles=_profiles(run.dataset))
        assert len(study.calls) == found.n_refits == budget
        assert int(found.frame.drop_duplicates("candidate")["refits"].sum()) == budget
        wanted = [voi.outcome_dataset(run.dataset, c, o).content_hash() for c, o, _ in unreliable[:budget]]
        assert [d.content_hash() for d in study.calls] == wanted


def test_each_refit_is_read_for_its_own_outcome_and_every_unreliable_one_is_refitted(fake_study, unreliable):
    """With budget for all: no outcome is left unreliable, and each candidate's expected width is the sum over its
    outcomes of chance x width, where a refitted outcome's width is that of its own refit (rho scaled)."""
    run = fake_study[1]
    study = FakeStudy(run)
    found = robustness.next_evidence(study, queries=["dependency"], budget=len(unreliable) + 5, kinds=("new",),
                                     profiles=_profiles(run.dataset))
    assert len(study.calls) == found.n_refits == len(unreliable)
    assert (found.frame["p_unreliable"] == 0).all()
    high = {(c.key, o.label) for c, o, _ in unreliable}
    per_cand = found.frame.drop_duplicates("candidate").set_index("candidate")["refits"]
    for cand in found.candidates:
        assert per_cand[cand.key] == sum(key[0] == cand.key for key in high)
    values = 1.0 - run.posterior["rho"]  # the dependency of the streams model, per draw
    n = len(values)
    width_of = lambda v, w: float(np.diff(voi._intervals(v, w[None])[:2], axis=0)[0, 0])  # noqa: E731
    uniform = np.full(n, 1.0 / n)
    frame = found.frame[found.frame["query"] == "dependency"].set_index("candidate")
    assert frame["width_now"].iloc[0] == pytest.approx(width_of(values, uniform), abs=1e-12)
    checked = 0
    for cand, group in zip(found.candidates, found.outcomes):
        top = max(float(o.log_ratio.max()) for o in group)
        mass = np.array([np.mean(np.exp(o.log_ratio - top)) for o in group])
        expected = 0.0
        for o, p in zip(group, mass / mass.sum()):
            if (cand.key, o.label) in high:
                scale = _scale(voi.outcome_dataset(run.dataset, cand, o), len(run.dataset.case_ids))
                expected += p * width_of(1.0 - run.posterior["rho"] * scale, uniform)
            else:
                expected += p * width_of(values, psis_weights(o.log_ratio)[0])
        assert frame.loc[cand.key, "expected_width"] == pytest.approx(expected, abs=1e-12), cand.key
        checked += any((cand.key, o.label) in high for o in group)
    assert checked >= 1


def test_a_refit_that_finds_the_same_draws_changes_no_effect_or_dependency(fake_study, unreliable):
    """The refit's draws are read on the study's data, as a reweighted outcome is: new cases do not join the
    average over cases of an effect, so a refit with the run's own draws leaves every width as it is."""
    run = fake_study[1]

    class Same(FakeStudy):
        def refit(self, dataset, progress=False):
            self.calls.append(dataset)
            return dataclasses.replace(self.run, dataset=dataset, memo={})

    study = Same(run)
    gap = _profiles(run.dataset)[:1]
    found = robustness.next_evidence(study, queries=QUERIES, budget=20, kinds=("new",), profiles=gap)
    assert found.n_refits == len(_unreliable(run, profiles=gap)) > 0
    frame = found.frame[found.frame["query"].str.startswith("effect")]
    assert len(frame) and frame["width_now"].iloc[0] > 0
    fully = [c.key for c, group in zip(found.candidates, found.outcomes)
             if all(psis_weights(o.log_ratio)[1] > voi.K_MAX for o in group)]
    assert fully, "some candidate must have every outcome refitted"
    rows = frame.set_index("candidate").loc[fully]
    np.testing.assert_allclose(rows["expected_width"], rows["width_now"], rtol=0, atol=1e-12)


def test_next_budget_on_the_command_line_refits_within_the_budget(fake_study, capsys, monkeypatch, unreliable):
    import json

    from bayesstreams.inference.study import Study

    from .conftest import run_cli

    folder, run = fake_study
    calls = []

    def refit(self, dataset, progress=False):
        calls.append(dataset)
        return FakeStudy(self.run).refit(dataset)

    monkeypatch.setattr(Study, "refit", refit)
    code, out, err = run_cli(["next", str(folder), "--query", "dependency", "--budget", "2", "--json"], capsys)
    assert code == 0, err
    records = json.loads(out)
    assert len(calls) == 2 and sum(r["refits"] for r in records) == 2
    refitted = [voi.outcome_dataset(run.dataset, c, o).content_hash() for c, o, _ in
                _unreliable(run, voi.KINDS)[:2]]
    assert [d.content_hash() for d in calls] == refitted
    calls.clear()
    code, out, _ = run_cli(["next", str(folder), "--query", "dependency", "--budget", "1"], capsys)
    assert code == 0 and len(calls) == 1 and "; 1 exact refits." in out
    code, _, err = run_cli(["next", str(folder), "--budget", "-1"], capsys)
    assert code == 2 and "Traceback" not in err
