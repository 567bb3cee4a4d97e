"""One conditioning, one baseline, everywhere (issue 25 item 1): for Gemeente 5 and Gemeente 6 the report,
the brief, ``score``, ``compare-cases`` and the what-if page give the same chance *now* and the same number
for each step, those of :func:`bayesstreams.analysis.advice.advise`, and no output gives a known window a
chance.  The fake study holds 400 draws, the page's default, so the page computes on the very same draws.

The numbers are taken where each output keeps them (``summary.json``, the brief's data and its page, the
score's data and text, the comparison, the page's payload run through Python's side of the page, which a
browser test holds to the page's script), and compared with ``advise`` on the run: an output that
predicted from the codes alone, measured a step from another baseline or gave a known window a chance
would differ.
"""

from __future__ import annotations

import html
import json
import re

import pytest

from bayesstreams.analysis.advice import advice_to_dict, advise
from bayesstreams.reporting.i18n import study_translator
from bayesstreams.reporting.numbers import percent

from .helpers import as_study

CASES = ("g5", "g6")
TOL = 1e-12


def _text(page: str) -> str:
    page = re.sub(r"<style.*?</style>|<svg.*?</svg>|<script.*?</script>", " ", page, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())


@pytest.fixture(scope="module")
def voices(fake_study, fake_study_report, tmp_path_factory):
    """Every output's numbers for g5 and g6, and the advice they must all equal."""
    from bayesstreams.analysis.compare_cases import compare_cases
    from bayesstreams.analysis.explore_data import explore_payload, explore_scores
    from bayesstreams.analysis.scoring import score_dataset
    from bayesstreams.reporting.brief import brief_data, write_brief
    from bayesstreams.reporting.score_text import format_score

    folder, run = fake_study
    report = json.loads((fake_study_report("nl") / "summary.json").read_text(encoding="utf-8"))
    payload = json.loads(json.dumps(explore_payload(run, measure_prior=False)))
    assert payload["n_draws"] == run.n_samples == 400  # the page computes on every draw of this run
    page = {score["case_id"]: score for score in explore_scores(payload, run.dataset)}
    out = tmp_path_factory.mktemp("one-voice")
    scored = score_dataset(run, run.dataset, in_data=True, measure_prior=False)  # the run's own cases, as the brief
    comparison = compare_cases(run, *CASES)
    voices = {}
    for case in CASES:
        voices[case] = {
            "advice": advice_to_dict(advise(run, case)),
            "report": next(row["advice"] for row in report["advice"] if row["case_id"] == case),
            "brief": _brief_voice(brief_data(run, case_id=case, lang="nl")),
            "brief_page": _text(write_brief(as_study(folder), out / f"{case}.html", case=case, lang="nl")
                                .read_text(encoding="utf-8")),
            "score": next(c.advice for c in scored.cases if c.case_id == case),
            "score_text": "\n".join(format_score(scored, "nl")),
            "compare": comparison.a if comparison.a.case_id == case else comparison.b,
            "page": page[case],
        }
    return run, voices


def _interval(value) -> dict | None:
    return None if value is None else {key: getattr(value, key) for key in ("mean", "q05", "q25", "q75", "q95")}


def _brief_voice(brief) -> dict:
    """The brief's own data in the advice's shape: its windows (a known one without a chance) and its steps."""
    levers = [{"factor": lever.factor, "now": _interval(lever.now), "with_step": _interval(lever.with_step),
               "gain": _interval(lever.gain)} for lever in brief.levers]
    windows = [{"window": f"W{w.phase}", "known": w.known, "p": None if w.known else _interval(w.p)}
               for w in brief.windows]
    target = next((w for w in windows if w["window"] == brief.target), None)
    now = levers[0]["now"] if levers else target and target["p"]
    return {"target": brief.target, "p_target": now, "levers": levers, "windows": windows, "short": True}


def _same(a: dict | None, b: dict | None, where: str) -> None:
    if a is None or b is None:
        assert a is None and b is None, where
        return
    for key in ("mean", "q05", "q25", "q75", "q95"):
        if key in a and key in b:
            assert a[key] == pytest.approx(b[key], abs=TOL), f"{where}.{key}"


@pytest.mark.parametrize("case", CASES)
def test_report_brief_score_and_page_hold_the_same_now_and_steps(voices, case):
    run, found = voices
    advice = found[case]["advice"]
    assert advice["target"] in ("W1", "W2") and advice["p_target"] is not None
    for name in ("report", "brief", "score", "page"):
        other = found[case][name]
        assert other["target"] == advice["target"], name
        known = next(w["known"] for w in advice["windows"] if w["window"] == advice["target"])
        if other.get("short") and known and not other["levers"]:  # the brief says a known window as known
            assert other["p_target"] is None
        else:
            _same(other.get("p_target", other.get("now")), advice["p_target"], f"{name}: now")
        for key in ("levers", "find_out_first"):
            expected = advice[key]
            if other.get("short"):  # the one-page brief: the steps that help on their own, the first three
                if key == "find_out_first":
                    continue
                expected = [e for e in expected if e["gain"]["mean"] >= 0.005][:3]
            assert [e["factor"] for e in other[key]] == [e["factor"] for e in expected], (name, key)
            for mine, theirs in zip(other[key], expected):
                for number in ("now", "with_step", "gain"):
                    _same(mine[number], theirs[number], f"{name}: {key} {mine['factor']} {number}")
                _same(mine["now"], advice["p_target"], f"{name}: {mine['factor']} starts from now")
        windows = other["windows"]
        assert [(w["window"], w["known"]) for w in windows] == [(w["window"], w["known"]) for w in advice["windows"]]
        for mine, theirs in zip(windows, advice["windows"]):
            _same(mine.get("p", mine.get("after")), theirs["p"], f"{name}: {mine['window']}")


@pytest.mark.parametrize("case", CASES)
def test_compare_cases_gives_each_side_the_advice_s_chances(voices, case):
    _, found = voices
    side, advice = found[case]["compare"], found[case]["advice"]
    for window in advice["windows"]:
        given = getattr(side, f"given_w{window['phase']}")
        _same(given, window["p"], f"compare-cases {window['window']}")  # None where the window is known


@pytest.mark.parametrize("case", CASES)
def test_the_words_carry_the_same_numbers_and_no_known_window_gets_a_chance(voices, case):
    """The brief's page and the score's text say the advice's now -> with this step; a known window is said as known."""
    run, found = voices
    advice, t = found[case]["advice"], study_translator("nl", run.dataset)
    target = advice["target"][-1]
    goal = t(f"voice_goal_{target}")
    closed = advice[f"w{target}"] == 0
    steps = [e for e in advice["levers"] if e["gain"]["mean"] >= 0.005][:3]
    plan = advice["plans"][0]
    lead = t("voice_plan_reach") if advice["plans_reach"] else t("voice_plan_closest")
    plan_said = lead.split("{range}")[0].format(goal=goal, n=t(f"voice_n_{plan['size']}"),
                                                p=percent(plan["p_target"]["mean"], "nl"), threshold="50%")
    for text in (found[case]["brief_page"], found[case]["score_text"]):
        if not steps or plan["size"] > 1:  # what it takes together, with the advice's chance of the plan
            assert plan_said.rstrip(", ") in text, plan_said
        for entry in steps:
            with_step = percent(entry["with_step"]["mean"], "nl")
            if closed:
                said = t("voice_step_closed").split("{do}. ")[1].format(goal=goal, with_step=with_step, range="")
            else:
                said = t("voice_step").split("{do}. ")[1].format(goal=goal, now=percent(advice["p_target"]["mean"], "nl"),
                                                              with_step=with_step, range="")
            assert said.rstrip(", ") in text, (entry["factor"], said)
        for window in advice["windows"]:
            if window["known"]:
                assert t(f"voice_known_{window['phase']}_{window['known']}") in text
                chance = t("voice_chance").split("{p}")[0].format(goal=t(f"voice_goal_{window['phase']}"))
                assert chance not in text, chance  # never "the chance of ... is now" for a known window
    for name in ("report", "brief", "score", "page"):
        for window in found[case][name]["windows"]:
            if window["known"]:
                assert window.get("p") is None and window.get("after") is None and window.get("before") is None, name


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_the_report_gives_the_advice_first_and_the_codes_only_levers_as_a_different_question(fake_study,
                                                                                           fake_study_report, lang):
    """Item 1 and 3: the codes-only reading stays in the report under its own name, after the advice, never
    beside it as the same; a plan's chance over the threshold is said in plausible model worlds."""
    _, run = fake_study
    t = study_translator(lang, run.dataset)
    for name in ("report.md", "report.html"):
        text = _text((fake_study_report(lang) / name).read_text(encoding="utf-8"))
        advice, codes_only = text.index(t("advice_title")), text.index(t("levers_codes_title"))
        assert advice < codes_only, name
        worlds = r"in \d+ of 10 plausible model worlds" if lang == "en" else r"in \d+ van de 10 plausibele modelwerelden"
        assert re.search(worlds, text[advice:codes_only]), name
        assert not re.search(r"chance of being over|kans dat het boven", text), name


@pytest.mark.parametrize("case", CASES)
def test_the_brief_gives_no_chance_of_a_chance(voices, case):
    _, found = voices
    page = found[case]["brief_page"]
    assert not re.search(r"modelwerelden|model worlds|kans dat het boven|chance of being over", page)
