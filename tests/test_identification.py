"""What would identify rho (issue 23, item 4): the identifying case, its effect on rho's posterior, the report's words."""

from __future__ import annotations

import json

import numpy as np
import pytest

from bayesstreams.analysis.identification import (cases_needed, identifying_case, identifying_cases,
                                                  new_case_loglik, rho_identification)
from bayesstreams.errors import RunError
from tests.fakes import fake_run, make_dataset, random_parameters, stack_draws

N = 6000


def _draws(seed: int = 0, n: int = N) -> tuple:
    dataset = make_dataset()
    rng = np.random.default_rng(seed)
    draws = stack_draws([random_parameters(dataset, rng) for _ in range(n)])
    return dataset, draws, rng


def test_the_identifying_case_reads_rho_through_its_phase_two_window():
    """No phase-1 window, the phase-2 streams coded in motion: the phase-2 window is Bernoulli(pi2 rho) with
    pi2 = lambda2 + (1 - lambda2)(1 - kappa2), so open / closed differ by exactly log(pi2 rho) - log(1 - pi2 rho)."""
    dataset, draws, _ = _draws(n=200)
    run = fake_run(dataset, draws)
    case = identifying_case(dataset)
    assert case.w[0, 0] == 0 and np.all(case.s[0, 1] == 1) and np.all(np.isnan(case.s[0, 0]))
    assert np.all(np.isnan(case.x)) and case.n_cases == 1
    ll1, ll0 = new_case_loglik(run)
    lam, kap, rho = draws["lambda"][:, 1], draws["kappa"][:, 1], draws["rho"]
    p = (lam + (1 - lam) * (1 - kap)) * rho
    np.testing.assert_allclose(ll1 - ll0, np.log(p) - np.log1p(-p), rtol=1e-10, atol=1e-10)


def test_one_case_moves_a_flat_rho_to_beta_2_1_or_beta_1_2():
    """With lambda2 = 1 the new case's phase-2 window is a coin with chance rho: after it opens rho's posterior is
    Beta(2, 1) (mean 2/3, sd 0.236), after it stays closed Beta(1, 2); each outcome has chance 1/2."""
    dataset, draws, rng = _draws(seed=1)
    draws["rho"] = rng.uniform(size=len(draws["rho"]))
    draws["lambda"] = draws["lambda"].copy()
    draws["lambda"][:, 1] = 1.0
    prior = {"rho": rng.uniform(size=N)}
    found = rho_identification(fake_run(dataset, draws, prior), n_new=1)
    closed, opened = found.outcomes
    sd = np.sqrt(2 / 36)
    assert opened.rho["mean"] == pytest.approx(2 / 3, abs=0.015) and opened.sd == pytest.approx(sd, abs=0.01)
    assert closed.rho["mean"] == pytest.approx(1 / 3, abs=0.015) and closed.sd == pytest.approx(sd, abs=0.01)
    assert found.p_open == pytest.approx(0.5, abs=0.02) and opened.probability == pytest.approx(found.p_open)
    assert found.expected_sd == pytest.approx(sd, abs=0.01) and found.sd_now == pytest.approx(np.sqrt(1 / 12), abs=0.01)
    assert 0 < found.expected_sd_mcse < 0.01 and found.reliable
    assert found.verdict_now == "cannot_tell" and found.prior_sd == pytest.approx(np.sqrt(1 / 12), abs=0.01)


def test_the_outcomes_average_back_to_the_posterior_now():
    """Law of total expectation: sum_j P(j) E[rho | j] = E[rho] (the outcomes are the posterior predictive's)."""
    dataset, draws, rng = _draws(seed=2)
    draws["rho"] = rng.uniform(size=len(draws["rho"]))
    found = rho_identification(fake_run(dataset, draws), n_new=3)
    assert [o.n_open for o in found.outcomes] == [0, 1, 2, 3]
    assert sum(o.probability for o in found.outcomes) == pytest.approx(1.0, abs=1e-12)
    assert sum(o.probability * o.rho["mean"] for o in found.outcomes) == pytest.approx(draws["rho"].mean(), abs=0.01)
    means = [o.rho["mean"] for o in found.outcomes]
    assert means == sorted(means)  # more open phase-2 windows without phase 1: a larger rho
    assert found.expected_sd < rho_identification(fake_run(dataset, draws), n_new=1).expected_sd < found.sd_now


def test_cases_needed_is_the_fewest_that_pass_the_contraction_rule():
    dataset, draws, rng = _draws(seed=3, n=3000)
    draws["rho"] = rng.uniform(size=len(draws["rho"]))
    run = fake_run(dataset, draws, {"rho": rng.uniform(size=3000)})
    needed = cases_needed(run)
    assert needed is not None and needed.expected_sd <= needed.sd_limit
    if needed.n_new > 1:
        assert rho_identification(run, needed.n_new - 1).expected_sd > needed.sd_limit
    assert cases_needed(fake_run(dataset, draws)) is None  # no prior draws: no contraction rule to pass


def test_cases_of_the_kind_in_the_data_are_named_and_other_kinds_refused():
    s = np.full((5, 2, 3), np.nan)
    s[2, 1, :] = 1.0  # c3: no phase-1 window, phase-2 streams in motion
    s[4, 1, :2] = 1.0  # c5: only two of them coded
    assert identifying_cases(make_dataset(s=s)) == ["c3"]
    dataset = make_dataset()
    rng = np.random.default_rng(5)
    additive = fake_run(dataset, stack_draws([random_parameters(dataset, rng, "additive") for _ in range(20)]),
                        kind="additive")
    with pytest.raises(RunError, match="streams model"):
        rho_identification(additive)
    with pytest.raises(RunError, match="unknown factor"):
        identifying_case(dataset, {"nope": 1})


# ---------------------------------------------------------------------------- the report and the command


def test_in_short_does_not_state_the_dependency_effect_as_a_finding_while_rho_is_prior_driven(fake_study,
                                                                                           fake_study_report):
    """The fake study's rho is its prior (contraction): In short says the data cannot tell and why, never the
    '+N pp: a phase-1 window raises the chance ...' finding; section 4 says which case would identify rho."""
    from bayesstreams.analysis.prior_dependence import prior_dependence
    from bayesstreams.reporting.i18n import study_translator

    run = fake_study[1]
    measured = prior_dependence(run)
    assert measured.flag("rho") and measured.flag("dependency_effect")
    for lang in ("en", "nl"):
        t = study_translator(lang, run.dataset)
        text = (fake_study_report(lang) / "report.md").read_text(encoding="utf-8")
        short = text.split(f"## {t('short_title')}", 1)[1].split("\n## ", 1)[0]
        finding = t("short_dependency").split("{effect}")[0]
        assert finding not in short
        assert t("short_dependency_prior").split("{section}")[0] in short
        section = text.split(f"### {t('ident_title')}", 1)[1].split("\n## ", 1)[0]
        assert t("ident_kind") in section and t("ident_in_data_none") in section
        summary = json.loads((fake_study_report(lang) / "summary.json").read_text(encoding="utf-8"))
        found = summary["identification"]
        assert found["n_new"] == 1 and found["expected_sd"] < found["sd_now"] and found["in_data"] == []


def test_the_dependency_command_prints_the_identifying_case_and_its_json(fake_study, capsys):
    from .conftest import run_cli

    folder = fake_study[0]
    code, out, _ = run_cli(["dependency", str(folder), "--new", "2"], capsys)
    assert code == 0 and "prior-driven" in out.splitlines()[0]
    assert "whose phase-1 window stayed closed" in out and "Pareto k" in out
    assert "0 of 2 phase-2 windows open" in out and "2 of 2 phase-2 windows open" in out
    code, out, _ = run_cli(["dependency", str(folder), "--json", "--lang", "nl"], capsys)
    data = json.loads(out)
    assert code == 0 and data["rho_prior_driven"] and data["identification"]["n_new"] == 1
    assert len(data["outcomes"]["outcomes"]) == 2


# ---------------------------------------------------------------------------- validated against an exact refit


@pytest.mark.model
def test_the_reweighted_outcome_equals_a_refit_with_the_case_added(study_fit, fits):
    """The shipped study plus one identifying municipality whose phase-2 window opened, refitted exactly: rho's
    posterior mean and sd equal the reweighting's within Monte Carlo error (Pareto k of the reweighting small)."""
    import dataclasses

    from .conftest import STUDY_MODEL, STUDY_SEED

    found = rho_identification(study_fit)
    opened = found.outcomes[1]
    assert opened.n_open == 1 and opened.khat < 0.5
    data, case = study_fit.dataset, identifying_case(study_fit.dataset)
    case.w[0, 1] = 1.0
    added = dataclasses.replace(data, cases=[*data.cases, *case.cases], x=np.vstack([data.x, case.x]),
                                w=np.vstack([data.w, case.w]), s=np.concatenate([data.s, case.s]),
                                group=np.concatenate([data.group, case.group]), warnings=[])
    refit = fits.fit(added, STUDY_MODEL, seed=STUDY_SEED)
    rho = np.asarray(refit.posterior["rho"]).reshape(-1)
    assert rho.mean() == pytest.approx(opened.rho["mean"], abs=0.03)
    assert rho.std() == pytest.approx(opened.sd, abs=0.02)
    assert rho.std() < found.sd_now - 0.02  # the case narrows rho, as predicted


# ---------------------------------------------------------------------------- the report marks what it measured


def test_every_measured_step_in_the_step_table_carries_its_flag(fake_study):
    """The step table shows the ACE (+1 vs -1) and each factor's observed step: both headline numbers, each
    marked when its own flag is set and never otherwise (the other steps are not measured, so never marked)."""
    from bayesstreams.analysis.queries import STEPS, factor_importance
    from bayesstreams.analysis.ranks import headline_contrasts
    from bayesstreams.reporting.effects_view import factor_effects

    run = fake_study[1]
    dataset = run.dataset
    flagged = {("ace_w2", "p2_internal_communication"), ("ace_step_w1", "p1_insight"), ("ace_w1", "p1_media")}
    effects = factor_effects(factor_importance(run.posterior, dataset), dataset, "en",
                             lambda source, name, index="": (name, index) in flagged)
    headline = {f: STEPS[c] for f, c in zip(dataset.factor_ids, headline_contrasts(dataset)) if c is not None}
    marked = {(e.factor, s.window, s.step) for e in effects for s in e.steps if s.prior_driven}
    expected = {("p2_internal_communication", "W2", "-1 -> +1"), ("p1_media", "W1", "-1 -> +1"),
                ("p1_insight", "W1", headline["p1_insight"])}
    assert marked == expected


CERTIFYING = ("data-driven", "data driven", "door data bepaald", "door de data bepaald", "data-gedreven")


def test_report_and_brief_count_the_flagged_numbers_and_certify_none_of_the_rest(fake_study, fake_study_report,
                                                                                  tmp_path):
    """Both say how many headline numbers the rule flags (the measured count), and no word calls the rest the
    data's: the old prior-check table labelled every unflagged row 'data-driven'."""
    from bayesstreams.analysis.prior_dependence import prior_dependence
    from bayesstreams.reporting.brief import write_brief
    from bayesstreams.reporting.i18n import study_translator

    from .helpers import as_study

    run = fake_study[1]
    n, total = prior_dependence(run).count()
    assert 0 < n < total
    for lang in ("en", "nl"):
        t = study_translator(lang, run.dataset)
        count = t("short_taught").format(n=n, total=total, n_cases=run.dataset.n_cases).split(" (")[0]
        for name in ("report.md", "report.html"):
            text = (fake_study_report(lang) / name).read_text(encoding="utf-8")
            assert count in text, (lang, name)
            assert t("not_flagged") in text and not any(word in text.lower() for word in CERTIFYING), (lang, name)
        brief = write_brief(as_study(fake_study[0]), tmp_path / f"brief-{lang}.html", case="g5", lang=lang)
        text = brief.read_text(encoding="utf-8")
        caveat = t("caveat_n").format(n=run.dataset.n_cases, n_prior=n, n_total=total).split(" (")[0]
        assert caveat in text and not any(word in text.lower() for word in CERTIFYING), lang


def test_the_advice_marks_phase_one_necessity_as_prior_driven_with_rho(fake_study):
    """Both windows open: 'chance that phase 1 was necessary for phase 2' is 1 - rho, flagged with it."""
    from bayesstreams.analysis.prior_dependence import prior_dependence
    from bayesstreams.reporting.cases_view import case_advice_rows
    from bayesstreams.reporting.effects_view import PriorFlags

    run = fake_study[1]
    flags = PriorFlags(prior_dependence(run))
    assert flags("query", "dependency_necessity")
    rows = [r for r in case_advice_rows(run, "en", flags) if r["advice"]["phase1_necessary"] is not None]
    assert rows  # gemeente 2, 7, 8: both windows open
    for r in rows:
        line = next(line for line in r["lines"] if line.startswith("both windows opened"))
        assert line.endswith("; prior-driven")
    unmarked = case_advice_rows(run, "en", lambda *args: False)
    assert not any(line.endswith("prior-driven") for r in unmarked for line in r["lines"])
