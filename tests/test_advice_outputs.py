"""Advice where users meet it: profiles that carry what is known, score (text, JSON, --threshold), the brief."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest

from bayesstreams.data.profile import read_profile
from bayesstreams.errors import InputError
from bayesstreams.reporting.i18n import study_translator, translator
from bayesstreams.reporting.numbers import percent

from .conftest import run_cli
from .helpers import as_study, prior_like_draws, write_fake_run

ROOT = Path(__file__).resolve().parents[1]
STUDY = ROOT / "data" / "trafficking_nl_2020"


@pytest.fixture(scope="module")
def study_run(fake_study):
    """The shipped study with prior-like draws standing in for a posterior (no fitting)."""
    return fake_study


def _profile(tmp_path, text: str) -> Path:
    path = tmp_path / "profile.csv"
    path.write_text(text, encoding="utf-8")
    return path


PROFILE = ("case_id,name,level,w1,w2,s1_problem,s2_policy,p1_insight,p1_funding,p2_internal_communication,"
           "p2_political_sponsor\n"
           "open1,Gemeente Open,gevorderd,1,,,0,1,1,0,-1\n"
           "new,,,,,0,,-1,-1,0,0\n")


def test_a_wide_profile_keeps_name_level_windows_and_streams(study_run, tmp_path):
    _, run = study_run
    profiles = read_profile(_profile(tmp_path, PROFILE), run.dataset.codebook)
    assert profiles.case_column("name") == ["Gemeente Open", "new"]
    assert profiles.case_column("level") == ["gevorderd", ""]
    np.testing.assert_array_equal(profiles.w, [[1, np.nan], [np.nan, np.nan]])
    assert profiles.s[0, 1, 1] == 0 and profiles.s[1, 0, 0] == 0
    assert np.isnan(profiles.s).sum() == 2 * 6 - 2


def test_a_bad_known_window_is_located(study_run, tmp_path):
    _, run = study_run
    with pytest.raises(InputError) as error:
        read_profile(_profile(tmp_path, "case_id,w1,p1_insight\nx,2,1\n"), run.dataset.codebook)
    assert "profile.csv:2:w1" in str(error.value)


def test_known_windows_condition_the_score(study_run, tmp_path, capsys):
    folder, run = study_run
    path = _profile(tmp_path, PROFILE)
    code, out, _ = run_cli(["score", str(folder), str(path), "--json", "--threshold", "0.3"], capsys)
    assert code == 0
    cases = json.loads(out)["cases"]
    opened, new = cases[0]["advice"], cases[1]["advice"]
    assert opened["name"] == "Gemeente Open" and cases[0]["name"] == "Gemeente Open"
    assert opened["target"] == "W2" and new["target"] == "W1"  # w1 = 1 is known for the first only
    assert opened["levers"] and all(lever["phase"] == 2 for lever in opened["levers"] + opened["find_out_first"])
    assert all(lever["phase"] == 1 for lever in new["levers"] + new["find_out_first"])
    assert opened["threshold"] == 0.3 and all(plan["p_target"]["mean"] > 0.3 or not plan["reaches"]
                                              for plan in opened["plans"])
    # the coded phase-2 policy stream (not in motion) is the known bottleneck
    assert opened["bottlenecks"][1] == {**opened["bottlenecks"][1], "stream": "policy", "p_in_motion": 0.0,
                                        "coded": True}
    unknown = _profile(tmp_path, PROFILE.replace("gevorderd,1,", "gevorderd,,"))
    code, out, _ = run_cli(["score", str(folder), str(unknown), "--json"], capsys)
    assert json.loads(out)["cases"][0]["advice"]["target"] == "W1"


def test_score_text_shows_what_is_known_and_what_it_would_take(study_run, tmp_path, capsys):
    folder, run = study_run
    code, out, _ = run_cli(["score", str(folder), str(_profile(tmp_path, PROFILE)), "--lang", "nl"], capsys)
    t = study_translator("nl", run.dataset)
    assert code == 0
    assert t("voice_known_1_open") in out  # known, said as known: no chance for it
    code, out, _ = run_cli(["score", str(folder), str(_profile(tmp_path, PROFILE)), "--lang", "nl", "--details"],
                           capsys)
    window = t("advice_window_2")
    heads = [t(key).format(window=window, threshold="50%") for key in ("advice_plans_head", "advice_no_plan")]
    assert any(head in out for head in heads)
    assert re.search(r"in \d+ van de 10 plausibele modelwerelden", out)  # never a chance of a chance


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_score_is_short_by_default_and_says_each_thing_once(study_run, tmp_path, capsys, lang):
    """Chances now, the next window, the first steps, what to find out: each once; the rest with --details."""
    folder, run = study_run
    path = _profile(tmp_path, PROFILE)
    code, out, err = run_cli(["score", str(folder), str(path), "--lang", lang], capsys)
    assert code == 0, err
    code, raw, _ = run_cli(["score", str(folder), str(path), "--json", "--lang", lang], capsys)
    t = study_translator(lang, run.dataset)
    cases = json.loads(raw)["cases"]
    blocks = out.split("\n\n")[1:-1]  # the header, one block per case, the pointer to --details
    assert len(blocks) == len(cases)
    for block, case in zip(blocks, cases):
        advice = case["advice"]
        lines = block.splitlines()
        assert len(lines) <= 20, block
        for key in ("voice_head_where", "voice_head_next"):
            assert sum(t(key).format(name=case["name"] or case["case_id"]) in line for line in lines) == 1
        for key in ("score_codes_only_head", "score_levers", "score_weakest", "score_similar", "score_details_head"):
            assert t(key).split("{")[0].strip(":") not in block, key  # the codes-only reading is not beside the advice
        for window in advice["windows"]:  # each window once: known as known, or its chance given what is known
            if window["known"]:
                assert t(f"voice_known_{window['phase']}_{window['known']}") in block
            else:
                chance = t("voice_chance").format(goal=t(f"voice_goal_{window['phase']}"),
                                                  p=percent(window["p"]["mean"], lang), range="")
                assert sum(chance.rstrip(", ") in line for line in lines) == 1
        target = advice["target"]
        steps = [lever for lever in advice["levers"] if lever["gain"]["mean"] >= 0.005][:3]
        for lever in steps:  # now -> with this step, from the one baseline
            now, after = percent(lever["now"]["mean"], lang), percent(lever["with_step"]["mean"], lang)
            assert now == percent(advice["p_target"]["mean"], lang)
            assert [line for line in lines if lever["label"] in line and after in line], lever["factor"]
        assert target in ("W1", "W2")
    assert out.rstrip().endswith(t("score_more"))
    code, details, _ = run_cli(["score", str(folder), str(path), "--lang", lang, "--details"], capsys)
    assert t("score_codes_only_head") in details and t("score_similar") in details


def test_the_brief_of_gemeente_5_leads_with_what_it_would_take_phase_1_first(study_run, tmp_path, capsys):
    folder, run = study_run
    out = tmp_path / "g5.html"
    code, _, err = run_cli(["brief", str(folder), "--case", "gemeente 5", "--out", str(out), "--lang", "en",
                            "--threshold", "0.4"], capsys)
    assert code == 0, err
    html = out.read_text(encoding="utf-8")
    t = study_translator("en", run.dataset)  # the brief speaks of the study's own agenda ("local agenda")
    # where it stands, the next step (phase 1), what it takes together, then phase 2 once phase 1 is open
    heads = [html.index(t(key).format(name="Gemeente 5")) for key in
             ("voice_head_where", "voice_head_next", "voice_head_plan", "voice_head_then", "voice_head_meaning")]
    assert heads == sorted(heads)
    plans = html[heads[1]:heads[4]]
    assert t("voice_next_1").format(name="Gemeente 5") in plans and "40%" in plans


def test_the_brief_levers_never_target_an_open_window(study_run):
    from bayesstreams.data.support import no_data_factors
    from bayesstreams.reporting.brief import brief_data

    _, run = study_run
    no_data = no_data_factors(run.dataset)
    for i, case in enumerate(run.dataset.case_ids):
        brief = brief_data(run, case_id=case, lang="en")
        if run.dataset.w[i, 0] == 1:
            assert all(lever.phase == 2 for lever in brief.levers)
        if run.dataset.w[i, 0] == 1 and run.dataset.w[i, 1] == 1:
            assert brief.levers == []
        assert not {lever.factor for lever in brief.levers} & no_data


def test_the_report_summary_holds_each_case_advice(study_run, fake_study_report):
    _, run = study_run
    folder = fake_study_report("en")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    advice = {row["case_id"]: row["advice"] for row in summary["advice"]}
    assert set(advice) == set(run.dataset.case_ids)
    for i, case in enumerate(run.dataset.case_ids):
        expected = None if (run.dataset.w[i] == 1).all() else ("W1" if run.dataset.w[i, 0] != 1 else "W2")
        assert advice[case]["target"] == expected
    assert translator("en")("advice_title") in (folder / "report.md").read_text(encoding="utf-8")


@pytest.mark.model
def test_conditioning_changes_the_internal_communication_lever_of_gemeente_6(study_fit):
    """g6: phase 1 open, phase 2 closed, its phase-2 problem stream coded not in motion (issue 14)."""
    advice = study_fit.advice("Gemeente 6")
    assert advice.target == "W2" and all(lever["phase"] == 2 for lever in advice.levers)
    conditioned = {lever["factor"]: lever["gain"]["mean"] for lever in advice.levers}
    table = study_fit.levers("g6").query("window == 'W2'").set_index("factor")["mean"]
    # the coded stream moves only through its own factor: internal communication leads, and the
    # other phase-2 factors, whose streams are not the coded one, gain nothing on their own
    assert max(conditioned, key=conditioned.get) == "p2_internal_communication"
    assert conditioned["p2_internal_communication"] - table["p2_internal_communication"] > 0.05
    assert all(gain < 1e-9 for factor, gain in conditioned.items() if factor != "p2_internal_communication")
