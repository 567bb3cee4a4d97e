"""What if "not discussed" means something else (MODEL.md §7): the modes side by side, and each case's range over its not-discussed cells.

The range is checked against brute force: every completion of a case's not-discussed cells,
evaluated as a dataset with those cells coded, per draw and as posterior means.  The comparison
is checked against each run's own query tables, and its flag on posteriors built to differ.
"""

import itertools
import json
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.analysis.mode_comparison import (SHIFT_LIMIT, compare_modes, mode_comparison,
                                                   not_discussed_reliance, reliance_rows)
from bayesstreams.analysis.prior_dependence import measure
from bayesstreams.analysis.queries import baseline, case_predictions, phase_dependency, windows
from bayesstreams.analysis.ranks import effect_ranks
from bayesstreams.model.config import config_from_text, load_config
from bayesstreams.model.priors import draw_prior

from bayesstreams.inference.run import Run
from bayesstreams.inference.study import Study

from .fakes import fake_run, make_dataset, random_parameters, stack_draws

from .helpers import as_study

MARGINAL = config_from_text('kind = "streams"\n[evidence]\nnot_discussed = "marginal"\n')
SALIENCE = config_from_text('kind = "streams"\n[evidence]\nnot_discussed = "salience"\n')


def draws_of(dataset, mode: str = "zero", n: int = 120, seed: int = 0, kind: str = "streams") -> dict:
    """Posterior-like draws; under an evidence mode with code probabilities (and salience) as well."""
    rng = np.random.default_rng(seed)
    sets = [random_parameters(dataset, rng, kind=kind) for _ in range(n)]
    for params in sets:
        if mode != "zero":
            params["code_prob"] = rng.dirichlet(np.ones(3), len(dataset.factor_ids))
        if mode == "salience":
            params["salience_zero"], params["salience_nonzero"] = np.array(rng.uniform(0.1, 0.5)), np.array(
                rng.uniform(0.5, 0.9))
    return stack_draws(sets)


def completions(dataset, i: int):
    """Every dataset with case ``i``'s not-discussed cells coded (-1, 0, +1 each); the other cases as they are."""
    missing = np.flatnonzero(np.isnan(dataset.x[i]))
    for values in itertools.product((-1.0, 0.0, 1.0), repeat=len(missing)):
        x = dataset.x.copy()
        x[i, missing] = values
        yield make_dataset(x, dataset.w)


@pytest.mark.parametrize("mode,kind", [("zero", "streams"), ("marginal", "streams"), ("salience", "streams"),
                                       ("zero", "additive")])
def test_the_range_is_the_extreme_completion_per_draw_and_holds_every_completion_and_the_mode_s_value(mode, kind):
    dataset = make_dataset()
    draws = draws_of(dataset, mode, kind=kind)
    rows = {(r.case_id, r.window): r for r in reliance_rows(draws, dataset)}
    now = windows(baseline(draws, dataset))
    for i, case in enumerate(dataset.case_ids):
        chances = {"W1": [], "W2": []}
        for completed in completions(dataset, i):
            w = windows(baseline(draws, completed))  # every cell coded: a point mass in every mode
            chances["W1"].append(w.p1[:, i])
            chances["W2"].append(w.p2[:, i])
        for window, own in (("W1", now.p1[:, i]), ("W2", now.p2[:, i])):
            stacked = np.stack(chances[window])  # (completion, draw)
            row = rows[case, window]
            # per draw the lowest and highest completion, averaged over the draws
            assert row.low == pytest.approx(stacked.min(axis=0).mean(), abs=1e-12)
            assert row.high == pytest.approx(stacked.max(axis=0).mean(), abs=1e-12)
            means = stacked.mean(axis=1)
            assert np.all(means >= row.low - 1e-12) and np.all(means <= row.high + 1e-12)
            assert row.low - 1e-12 <= own.mean() <= row.high + 1e-12
            assert row.mean == pytest.approx(own.mean())
            # the summaries of all cases at once are the case's own, to the bit
            assert (row.mean, row.q05, row.q95) == (float(own.mean()), *map(float, np.quantile(own, [0.05, 0.95])))
            assert row.rests == (row.high - row.low > SHIFT_LIMIT * (row.q95 - row.q05) / 2)


@pytest.mark.parametrize("mode", ["zero", "marginal", "salience"])
def test_a_case_without_not_discussed_cells_has_no_range(mode):
    dataset = make_dataset()  # c4 has every factor coded
    rows = {(r.case_id, r.window): r for r in reliance_rows(draws_of(dataset, mode), dataset)}
    for window in ("W1", "W2"):
        row = rows["c4", window]
        assert row.n_not_discussed == 0 and not row.rests
        assert row.low == pytest.approx(row.mean, abs=1e-12) and row.high == pytest.approx(row.mean, abs=1e-12)


@pytest.mark.parametrize("mode", ["zero", "marginal", "salience"])
def test_not_discussed_cells_of_factors_without_effect_leave_no_range(mode):
    dataset = make_dataset()
    draws = draws_of(dataset, mode)
    phase1 = np.asarray(dataset.factor_phase) == 0
    draws["beta"][:, phase1] = 0.0  # c3 and c5 miss phase-1 cells; those factors now do nothing
    rows = {(r.case_id, r.window): r for r in reliance_rows(draws, dataset)}
    for case in ("c3", "c5"):
        row = rows[case, "W1"]
        assert row.n_not_discussed == 1
        assert row.high - row.low == pytest.approx(0.0, abs=1e-12) and not row.rests
    assert rows["c3", "W2"].high - rows["c3", "W2"].low == pytest.approx(0.0, abs=1e-12)  # c3 misses no phase-2 cell
    assert rows["c5", "W2"].high - rows["c5", "W2"].low > 0  # c5 misses p2_region, which still acts


def test_the_counts_are_the_cells_each_window_reads():
    dataset = make_dataset()
    rows = {(r.case_id, r.window): r for r in reliance_rows(draws_of(dataset), dataset)}
    missing = np.isnan(dataset.x)
    phase1 = np.asarray(dataset.factor_phase) == 0
    for i, case in enumerate(dataset.case_ids):
        assert rows[case, "W1"].n_not_discussed == missing[i, phase1].sum()
        assert rows[case, "W2"].n_not_discussed == missing[i].sum()


# ---------------------------------------------------------------------------- across the modes


def _ranks(draws, dataset):
    return effect_ranks(draws, dataset)


def test_identical_posteriors_depend_on_nothing_and_moved_ones_are_flagged():
    dataset = make_dataset()
    draws = draws_of(dataset)
    same = compare_modes({"zero": measure(draws, dataset), "marginal": measure(draws, dataset)},
                         {"zero": _ranks(draws, dataset), "marginal": _ranks(draws, dataset)}, {}, "zero")
    assert same.modes == ["zero", "marginal"] and same.count()[0] == 0 and same.count()[1] > 0
    moved = {k: np.array(v, copy=True) for k, v in draws.items()}
    moved["beta"][:, 0] += 6.0  # p1_insight: a large effect under the other reading
    other = compare_modes({"zero": measure(draws, dataset), "marginal": measure(moved, dataset)},
                          {"zero": _ranks(draws, dataset), "marginal": _ranks(moved, dataset)}, {}, "zero")
    row = other.row("ace_step_w1", "p1_insight")
    half = (row.q95["zero"] - row.q05["zero"]) / 2
    assert row.shift_ratio == pytest.approx(abs(row.means["marginal"] - row.means["zero"]) / half)
    assert row.depends and row.shift_ratio > SHIFT_LIMIT
    assert not other.depends("ace_step_w2", "p2_region")  # a phase-2 factor's effect is untouched
    for case in dataset.case_ids:  # the rule, row by row
        r = other.row("p_w1", case)
        shift, half = abs(r.means["marginal"] - r.means["zero"]), (r.q95["zero"] - r.q05["zero"]) / 2
        assert r.depends == (shift > SHIFT_LIMIT * half)
    assert other.row("p_w1", "c3").means["marginal"] == pytest.approx(other.row("p_w1", "c3").means["zero"])  # coded 0
    leader = {m: max(((r["factor"], r["p_rank1"]) for _, r in t.iterrows() if r["window"] == "W1"),
                     key=lambda fp: fp[1])[0] for m, t in (("zero", _ranks(draws, dataset)),
                                                           ("marginal", _ranks(moved, dataset)))}
    assert other.depends("p_rank1_w1", leader["marginal"]) == (leader["zero"] != leader["marginal"])


def test_the_comparison_holds_each_run_s_own_query_results():
    dataset = make_dataset()
    zero = fake_run(dataset, draws_of(dataset, "zero", seed=1))
    marginal = Run(dataset, MARGINAL, draws_of(dataset, "marginal", seed=2), {})
    salience = Run(dataset, SALIENCE, draws_of(dataset, "salience", seed=3), {})
    table = mode_comparison(zero, [marginal, salience])
    assert table.in_force == "zero" and table.modes == ["zero", "marginal", "salience"]
    for mode, run in (("zero", zero), ("marginal", marginal), ("salience", salience)):
        cases = case_predictions(run.posterior, dataset)
        for _, r in cases[cases["quantity"].isin(["p_w1", "p_w2"])].iterrows():
            row = table.row(r["quantity"], r["case_id"])
            assert row.means[mode] == pytest.approx(r["mean"])
            assert (row.q05[mode], row.q95[mode]) == (pytest.approx(r["q05"]), pytest.approx(r["q95"]))
        dep = phase_dependency(run.posterior, dataset)
        assert table.row("dependency_effect").means[mode] == pytest.approx(
            float(dep[dep["quantity"] == "dependency_effect"]["mean"].iloc[0]))
        ranks = effect_ranks(run.posterior, dataset)
        for _, r in ranks[ranks["window"] == "W2"].iterrows():
            assert table.row("p_rank1_w2", r["factor"]).means[mode] == pytest.approx(r["p_rank1"])


def test_a_comparison_run_of_other_data_or_a_second_run_of_one_mode_is_refused():
    from bayesstreams.errors import RunError

    dataset = make_dataset()
    zero = fake_run(dataset, draws_of(dataset, seed=1))
    other_data = make_dataset(np.nan_to_num(dataset.x), dataset.w)
    with pytest.raises(RunError, match="other data"):
        mode_comparison(zero, [Run(other_data, MARGINAL, draws_of(other_data, "marginal"), {})])
    with pytest.raises(RunError, match="second run"):
        mode_comparison(zero, [fake_run(dataset, draws_of(dataset, seed=2))])


def test_the_derived_model_changes_only_the_mode():
    from bayesstreams.inference.study import mode_config, other_modes

    base = load_config(None)
    marginal = mode_config(base, "marginal")
    assert marginal.evidence_options == {**base.evidence_options, "not_discussed": "marginal"}
    assert {k: v for k, v in marginal.priors if k != "code_prob"} == dict(base.priors)
    # the same model as the shipped files of each mode, so their runs' hashes agree
    for mode in ("marginal", "salience"):
        shipped = load_config(f"models/streams-{mode}.toml")
        assert mode_config(base, mode).model_hash() == shipped.model_hash()
    back = mode_config(mode_config(base, "salience"), "zero")
    assert back.model_hash() == base.model_hash()  # the v1 model again, its hash unchanged
    assert other_modes(base) == ["marginal", "salience"] and other_modes(marginal) == ["zero", "salience"]
    additive = config_from_text('kind = "additive"\n')
    assert other_modes(additive) == []


# ---------------------------------------------------------------------------- report, brief, score: nl and en


@pytest.fixture(scope="module")
def study_runs(tmp_path_factory):
    from bayesstreams.data.dataset import load_dataset
    from bayesstreams.inference.store import load_run

    from .helpers import write_fake_run
    from .test_language import STUDY

    study = load_dataset(STUDY)
    root = tmp_path_factory.mktemp("modes")
    marginal = load_config("models/streams-marginal.toml")
    rng = np.random.default_rng(7)
    other = draw_prior(marginal, study.factor_phase, study.factor_stream, len(study.groups), 200, rng)
    own = draw_prior(load_config(None), study.factor_phase, study.factor_stream, len(study.groups), 200, rng)
    folder = write_fake_run(root / "run-marginal", study, other,
                            model_text=Path("models/streams-marginal.toml").read_text(encoding="utf-8"))
    return study, load_run(write_fake_run(root / "run", study, own)), load_run(folder)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_report_names_the_mode_in_force_and_shows_the_modes_in_its_language(study_runs, lang, tmp_path):
    from bayesstreams.reporting.i18n import study_translator
    from bayesstreams.reporting.report import write_report

    from .test_language import DECIMAL, DUTCH, ENGLISH, visible, without_data_text, words

    study, run, other = study_runs
    t = study_translator(lang, run.dataset)  # the report speaks of the study's own cases ("municipalities")
    folder = write_report(Study.of(run, modes={"marginal": other}), tmp_path / "r", lang=lang)
    html = (folder / "report.html").read_text(encoding="utf-8")
    section = html[html.index('<h2 id="modes">'):html.index('<h2 id="diagnostics">')]
    text = visible(section)
    for key in ("sec_modes", "mode_zero", "mode_marginal", "mode_salience", "mode_name_marginal"):
        assert t(key) in text
    assert t("modes_in_force").format(mode=t("mode_name_zero")) in text
    text = without_data_text(text, study)  # case names are the data's own words
    assert not words(text) & (ENGLISH if lang == "nl" else DUTCH)
    assert not DECIMAL[lang].search(text)
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    modes = summary["modes"]
    assert modes["in_force"] == "zero" and modes["modes"] == ["zero", "marginal"]
    assert modes["n_not_discussed"] == int(np.isnan(study.x).sum()) and modes["n_cells"] == study.x.size
    assert modes["n_depends"] == sum(r["depends"] for r in modes["rows"])
    rows = {(r.case_id, r.window): r for r in not_discussed_reliance(run)}
    for case in summary["cases"]:
        for nd in case["not_discussed"]:
            assert nd["low"] == pytest.approx(rows[case["case_id"], nd["window"]].low)
            assert nd["rests"] == rows[case["case_id"], nd["window"]].rests
    # the case table shows each range, and marks the chances that rest on the cells
    assert t("col_nd_range") in html and (t("nd_rests") in html) == any(r.rests for r in rows.values())


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_brief_and_the_score_say_how_much_rests_on_not_discussed_cells(study_runs, lang, tmp_path):
    from bayesstreams.analysis.scoring import score_profiles, score_to_dict
    from bayesstreams.reporting.brief import brief_data
    from bayesstreams.reporting.brief_text import advice
    from bayesstreams.reporting.i18n import translator
    from bayesstreams.reporting.score_text import format_score

    study, run, _ = study_runs
    t = translator(lang)
    rows = {(r.case_id, r.window): r for r in not_discussed_reliance(run)}
    brief = brief_data(run, "g5", lang=lang)
    widest = max(("W1", "W2"), key=lambda w: rows["g5", w].high - rows["g5", w].low)
    from bayesstreams.reporting import numbers

    sentence = t("brief_nd").format(name=brief.name, n=rows["g5", widest].n_not_discussed,
                                    window=t(f"brief_nd_window_{widest[-1]}"),
                                    low=numbers.pct(rows["g5", widest].low, lang),
                                    high=numbers.pct(rows["g5", widest].high, lang))
    assert sentence[:1].upper() + sentence[1:] in advice(brief, t).analysts
    profile = tmp_path / "profile.csv"
    profile.write_text("case_id,factor,code\nnew,p1_insight,1\nnew,p2_political_sponsor,-1\n")
    result = score_profiles(run, profile)
    case = score_to_dict(result)["cases"][0]
    assert case["not_discussed_range"]["p_w2"]["n"] == case["n_not_discussed"] == len(study.factor_ids) - 2
    lines = format_score(result, lang, details=True)
    assert any(line.strip().startswith(t("score_nd").format(n=case["n_not_discussed"], parts="")) for line in lines)



# ---------------------------------------------------------------------------- analyze: fit once, then reuse


@pytest.mark.model
def test_analyze_fits_the_comparison_runs_once_and_reuses_them(tmp_path, monkeypatch):
    """Tiny draws: the second call with the same data and model file fits no comparison run again."""
    from bayesstreams.inference import study as studies
    from bayesstreams.inference.store import read_info
    from bayesstreams.pipeline.analyze import analyze

    from .test_language import STUDY

    model = tmp_path / "tiny.toml"
    model.write_text('kind = "streams"\nname = "tiny"\n[sampler]\ndraws = 20\ntune = 30\nchains = 1\n')
    runs, out = tmp_path / "runs" / "study", tmp_path / "reports"
    analyze(STUDY, out, runs, model=model, briefs=[])
    folders = {m: studies.companion_path(runs, f"nd-{m}") for m in ("marginal", "salience")}
    first = {m: read_info(f) for m, f in folders.items()}
    for mode, info in first.items():
        assert info["model"]["hash"] == studies.mode_config(load_config(model), mode).model_hash()
        assert info["settings"]["draws"] == 20
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["modes"]["modes"] == ["zero", "marginal", "salience"]

    def refit(*args, **kwargs):
        raise AssertionError("a comparison run was refitted")

    monkeypatch.setattr(studies, "fit_companion", refit)
    analyze(STUDY, out, runs, model=model, briefs=[])
    assert {m: read_info(f) for m, f in folders.items()} == first  # the same runs, untouched
    again = json.loads((out / "summary.json").read_text(encoding="utf-8"))["modes"]
    rows = {(r["name"], r["index"]): r for r in summary["modes"]["rows"]}
    for row in again["rows"]:  # the comparison columns come from the same saved runs
        for cell, before in zip(row["cells"][1:], rows[row["name"], row["index"]]["cells"][1:]):
            assert cell == before


def test_no_mode_comparison_touches_no_comparison_folder(tmp_path, monkeypatch):
    """--no-mode-comparison: no -nd- folder is checked, fitted or written (the fit itself is stubbed)."""
    from bayesstreams.inference import study as studies
    from bayesstreams.pipeline import analyze as job

    calls = []
    monkeypatch.setattr(studies, "fit_companion", lambda *a, **k: calls.append(a))

    class Stop(Exception):
        pass

    def stop(*args, **kwargs):
        raise Stop

    monkeypatch.setattr("bayesstreams.inference.study.fit_run", stop)
    from .test_language import STUDY

    (tmp_path / "runs").mkdir()
    blocked = studies.companion_path(tmp_path / "runs" / "study", "nd-marginal")
    blocked.mkdir()  # a folder analyze did not write: it would refuse it without --force
    with pytest.raises(Stop):
        job.analyze(STUDY, tmp_path / "out", tmp_path / "runs" / "study", briefs=[], mode_comparison=False)
    from bayesstreams.errors import InputError

    with pytest.raises(InputError, match="not written by"):
        job.analyze(STUDY, tmp_path / "out", tmp_path / "runs" / "study", briefs=[])
    assert not calls
