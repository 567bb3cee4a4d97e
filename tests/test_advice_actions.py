"""Levers, plans and find-out-first read as actions (the codebook's ``action_nl``/``action_en``),
each with its factor's label beside it, in the output's language only; the find-out-first
sentence says something true and never one number twice."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from bayesstreams.analysis.advice import case_advice
from bayesstreams.inference.store import load_run
from bayesstreams.reporting.advice_text import find_out_line, step, useful_levers
from bayesstreams.reporting.i18n import translator

from .conftest import run_cli
from .helpers import as_study, partly_observed_dataset, prior_like_draws, write_fake_run

STUDY = Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020"
OTHER = {"nl": "en", "en": "nl"}
PROFILE = ("case_id,name,w1,w2,p1_insight,p1_funding,p1_media,p2_internal_communication,p2_region_orientation\n"
           "new,Gemeente Nieuw,0,,-1,-1,,0,-1\n"
           "open,Gemeente Open,1,,1,1,1,,-1\n")


@pytest.fixture(scope="module")
def study_run(fake_study):
    """The shipped study (its codebook with actions) with prior-like draws standing in for a posterior."""
    return fake_study


def _visible(page: str) -> str:
    text = re.sub(r"<style.*?</style>|<svg.*?</svg>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def _steps(run, factors, lang: str) -> list[str]:
    """How each factor must read: its action in ``lang`` with its label beside it."""
    book, t = run.dataset.codebook, translator(lang)
    return [step(book[f].action(lang), book[f].label(lang), t) for f in factors]


def _foreign_actions(run, lang: str) -> list[str]:
    return [f.action(OTHER[lang]) for f in run.dataset.codebook.factors if f.actionable]  # context has none


# ---------------------------------------------------------------------------- the brief


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_brief_of_gemeente_5_phrases_its_plans_and_levers_with_the_codebook_actions(study_run, tmp_path,
                                                                                      capsys, lang):
    folder, run = study_run
    out = tmp_path / f"g5-{lang}.html"
    code, _, err = run_cli(["brief", str(folder), "--case", "Gemeente 5", "--out", str(out), "--lang", lang], capsys)
    assert code == 0, err
    text = _visible(out.read_text(encoding="utf-8"))
    advice = case_advice(run, "Gemeente 5")
    shown = [f for plans in (advice.plans[:1], advice.then_w2_plans[:1]) for plan in plans for f in plan["factors"]]
    shown += [lever["factor"] for lever in useful_levers(advice.levers)[:3]]
    assert shown  # what it would take is always on the brief of a case with a window to open
    t = translator(lang)
    for factor, words in zip(shown, _steps(run, shown, lang)):
        book = run.dataset.codebook[factor]
        assert book.action(lang) in text and book.label(lang) in text, factor
        words = f"{book.action(lang).rstrip('.')} ({book.label(lang)})"
        assert words in text, factor  # the label right beside the action
    assert not [a for a in _foreign_actions(run, lang) if a in text]  # no action of the other language
    assert t("action_generated_note") not in text  # every shipped factor has its own action


# ---------------------------------------------------------------------------- score, text and JSON


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_score_text_phrases_levers_and_plans_with_the_actions_of_its_language_only(study_run, tmp_path, capsys, lang):
    folder, run = study_run
    profile = tmp_path / "profile.csv"
    profile.write_text(PROFILE, encoding="utf-8")
    code, out, err = run_cli(["score", str(folder), str(profile), "--lang", lang, "--details"], capsys)
    assert code == 0, err
    code, raw, _ = run_cli(["score", str(folder), str(profile), "--json", "--lang", lang], capsys)
    cases = json.loads(raw)["cases"]
    offered = {lever["factor"] for case in cases for lever in case["levers"]}
    offered |= {f for case in cases for plan in case["advice"]["plans"] for f in plan["factors"]}
    assert offered
    for factor, words in zip(sorted(offered), _steps(run, sorted(offered), lang)):
        assert words.rsplit(")", 1)[0] in out, factor  # "action (factor: label" ... then the notes of the line
    assert not [a for a in _foreign_actions(run, lang) if a in out]


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_every_action_in_score_json_is_the_codebook_s_text_for_that_very_factor(study_run, tmp_path, capsys, lang):
    """Compared factor by factor, so actions attached to the wrong factors (a shifted list) would fail."""
    folder, run = study_run
    profile = tmp_path / "profile.csv"
    profile.write_text(PROFILE, encoding="utf-8")
    code, raw, err = run_cli(["score", str(folder), str(profile), "--json", "--lang", lang], capsys)
    assert code == 0, err
    book = run.dataset.codebook
    checked = 0
    for case in json.loads(raw)["cases"]:
        advice = case["advice"]
        for entry in case["levers"] + advice["levers"] + advice["find_out_first"] + advice["necessity"]:
            assert (entry["action"] or "") == book[entry["factor"]].action(lang), entry["factor"]
            assert entry["label"] == book[entry["factor"]].label(lang)
            checked += 1
        for plan in advice["plans"] + advice["then_w2_plans"]:
            assert plan["actions"] == [book[f].action(lang) for f in plan["factors"]]
            assert plan["labels"] == [book[f].label(lang) for f in plan["factors"]]
            checked += len(plan["factors"])
    assert checked > 10
    assert len({book[f].action(lang) for f in book.ids}) == len(book.ids)  # distinct: a swap would show


def test_the_report_lever_table_carries_each_lever_s_own_action(study_run, fake_study_report):
    _, run = study_run
    folder = fake_study_report("nl")
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    book = run.dataset.codebook
    levers = [lever for case in summary["cases"] for lever in case["levers"]]
    assert levers and all(lever["action"] == book[lever["factor"]].action("nl") for lever in levers)
    for row in summary["advice"]:
        for plan in row["advice"]["plans"]:
            assert plan["actions"] == [book[f].action("nl") for f in plan["factors"]]
    markdown = (folder / "report.md").read_text(encoding="utf-8")
    assert all(f"| {lever['action']} | {lever['label']} |" in markdown for lever in levers)


def test_without_codebook_actions_the_words_come_from_the_label_and_say_so(tmp_path, capsys):
    dataset = partly_observed_dataset(n_cases=6, seed=3)
    assert not any(f.action("en") for f in dataset.codebook.factors)
    run = load_run(write_fake_run(tmp_path / "run", dataset, prior_like_draws(dataset, n=150, seed=2)))
    profile = tmp_path / "profile.csv"
    factor = dataset.codebook.factors[0]
    profile.write_text(f"case_id,factor,code\nnew,{factor.id},-1\n", encoding="utf-8")
    for lang in ("en", "nl"):
        t = translator(lang)
        code, out, err = run_cli(["score", str(run.path), str(profile), "--lang", lang, "--details"], capsys)
        assert code == 0, err
        lever_lines = [line for line in out.splitlines() if re.match(r"\s+\d\. ", line)]
        # the short advice says "general wording" (the brief's words), the analysts' lines the longer note
        assert lever_lines and all(t("action_generated_note") in line or t("voice_generated") in line
                                   for line in lever_lines)
        code, raw, _ = run_cli(["score", str(run.path), str(profile), "--json", "--lang", lang], capsys)
        assert all(lever["action"] is None for lever in json.loads(raw)["cases"][0]["levers"])


# ---------------------------------------------------------------------------- find out first


def _entry(gain0: float, gain1: float) -> dict:
    summary = lambda mean: {"mean": mean, "q05": mean, "q25": mean, "q75": mean, "q95": mean}  # noqa: E731
    return {"factor": "p1_media", "label": "media attention", "action": "Seek local media attention",
            "gain": summary(gain0), "gain_if_plus1": summary(gain1)}


@pytest.mark.parametrize("lang", ["en", "nl"])
@pytest.mark.parametrize("mode", ["zero", "marginal", "salience"])
@pytest.mark.parametrize("gain0, gain1, key", [(0.04, 0.04, "advice_find_out_plus_same"),
                                               (0.041, 0.0404, "advice_find_out_plus_same"),
                                               (0.04, 0.0, "advice_find_out_plus_none"),
                                               (0.04, 0.003, "advice_find_out_plus_none"),
                                               (0.04, 0.12, "advice_find_out_plus"),
                                               (0.04, -0.02, "advice_find_out_plus")])
def test_the_find_out_line_never_repeats_a_number_and_says_what_is_true(mode, gain0, gain1, key, lang):
    t = translator(lang)
    line = find_out_line(_entry(gain0, gain1), mode, lang)
    numbers = re.findall(r"[+\u2212]?\d+(?:[.,]\d+)?", line.split(": ", 1)[1])
    assert len(numbers) == len(set(numbers))  # one number is never said twice
    second = t(key).split("{")[0]
    assert second in line
    assert (t("advice_find_out_if0").split("{")[0] in line) == (mode == "zero")  # "if it is 0" only where it is read so
    assert (t("advice_find_out_unsure").split("}")[-1] in line) == (mode != "zero")
    assert line.startswith("Seek local media attention (" + t("advice_factor").format(label="media attention"))


def test_a_closed_window_s_find_out_line_says_nothing_is_to_gain_not_zero_points(study_run):
    """g5: phase 1 known closed, so the chance if a factor is already + is still 0 (the old line said '0 points')."""
    _, run = study_run
    advice = case_advice(run, "Gemeente 5")
    assert advice.find_out_first and all(abs(e["gain_if_plus1"]["mean"]) < 1e-9 for e in advice.find_out_first)
    t = translator("en")
    for entry in advice.find_out_first:
        line = find_out_line({**entry, "label": entry["factor"]}, advice.not_discussed, "en")
        if_plus = line.rsplit("; ", 1)[1]
        assert if_plus == t("advice_find_out_plus_none") and not re.search(r"\d", if_plus)
