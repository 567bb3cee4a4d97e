"""The brief's plain sentences follow the case advice: known states as known, every step now -> with it, once."""

import copy
import re

import pytest

from bayesstreams.analysis.advice import advice_to_dict, advise
from bayesstreams.reporting.brief import brief_data
from bayesstreams.reporting.brief_steps import blocks, next_step, notes, plan, sections, useful, where
from bayesstreams.reporting.brief_text import meaning
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.numbers import percent

from .helpers import partly_observed_dataset, prior_like_draws, write_fake_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from bayesstreams.inference.store import load_run

    dataset = partly_observed_dataset(n_cases=6, seed=5)
    return load_run(write_fake_run(tmp_path_factory.mktemp("run") / "run", dataset, prior_like_draws(dataset, n=150)))


@pytest.fixture(scope="module")
def advices(run):
    labels = {f.id: {"nl": f.label("nl"), "en": f.label("en")} for f in run.dataset.codebook.factors}
    return {case: advice_to_dict(advise(run, case), labels, "nl", run.dataset.codebook.actions())
            for case in run.dataset.case_ids}


def _all_sentences(parts) -> list[str]:
    return [s for part in parts for s in part.sentences + part.items + part.after]


def test_a_known_window_is_said_as_known_and_an_unknown_one_as_its_chance_given_what_is_known(advices):
    t = translator("nl")
    for advice in advices.values():
        said = where(advice, "X", t).sentences
        for entry, sentence in zip(advice["windows"], said):
            if entry["known"]:
                assert sentence == t(f"voice_known_{entry['phase']}_{entry['known']}") + "." and "%" not in sentence
            else:
                assert percent(entry["p"]["mean"], "nl") in sentence


def test_each_step_goes_from_the_advice_now_to_its_chance_with_the_step(advices):
    t = translator("en")
    shown = 0
    for advice in advices.values():
        if advice["target"] is None:
            continue
        part = next_step(advice, "X", t)
        steps = useful(advice["levers"])[:3]
        assert len(part.items) == len(steps)
        closed = advice[f"w{advice['target'][-1]}"] == 0
        for sentence, lever in zip(part.items, steps):
            assert percent(lever["with_step"]["mean"], "en") in sentence
            # a window known to be closed is not given a chance "now": the step says only where it takes it
            assert (f"from {percent(advice['p_target']['mean'], 'en')} to" in sentence) == (not closed)
            assert lever["now"]["mean"] == advice["p_target"]["mean"]
            shown += 1
    assert shown, "the fake run must give at least one case a step that helps"


def test_no_single_step_says_what_blocks_and_lists_the_steps_that_move_it(advices):
    t = translator("nl")
    advice = copy.deepcopy(next(a for a in advices.values() if a["target"] is not None and a["blocks"]))
    for lever in advice["levers"]:  # no step helps alone
        lever["gain"]["mean"] = 0.0
    part = next_step(advice, "X", t)
    assert part.items == [] and part.sentences[-1].startswith(t("voice_no_single").split("{")[0])
    said = blocks(advice, t)
    assert said.sentences[0] == t("voice_streams_explained") + "."
    expected = sum(min(len(b["steps"]), 2) for b in advice["blocks"])
    assert len(said.items) == expected
    for block, item in zip(advice["blocks"], said.items):
        if block["steps"]:
            assert percent(block["steps"][0]["stream_with_step"]["mean"], "nl") in item


def test_where_a_step_helps_the_blocking_steps_are_not_repeated(advices):
    t = translator("en")
    advice = next(a for a in advices.values() if a["target"] is not None and useful(a["levers"]))
    assert blocks(advice, t).items == []


def test_a_plan_of_the_first_single_step_is_not_said_twice_and_no_plan_gives_a_chance_of_a_chance(advices):
    t = translator("en")
    for advice in advices.values():
        if advice["target"] is None or not advice["plans"]:
            continue
        best = advice["plans"][0]
        part = plan(advice, t)
        steps = useful(advice["levers"])
        if best["size"] == 1 and steps and steps[0]["factor"] == best["factors"][0]:
            assert part is None
            continue
        assert len(part.items) == best["size"]
        assert percent(best["p_target"]["mean"], "en") in part.sentences[0]
        # the plan's chance and its range, the threshold where it is not reached: no chance that it exceeds it
        summary = best["p_target"]
        expected = [percent(summary[k], "en") for k in ("mean", "q05", "q95")]
        expected += [] if advice["plans_reach"] else [percent(advice["threshold"], "en")]
        assert sorted(re.findall(r"\d+(?:\.\d+)?%", part.sentences[0].replace("with 90% certainty", ""))) == sorted(expected)
        assert not any("%" in item for item in part.items)


def test_every_sentence_starts_with_a_capital_and_ends_as_a_sentence(run, advices):
    for lang in ("nl", "en"):
        t = translator(lang)
        for case, advice in advices.items():
            for sentence in _all_sentences(sections(advice, "Gemeente X", t)):
                assert sentence[:1].isupper(), sentence
                assert sentence[-1] in ".:", sentence
                assert not re.search(r"\.\s+[a-z]", sentence), sentence  # each sentence after a full stop is capitalised too
        brief = brief_data(run, case_id="c1", lang=lang)
        for sentence in meaning(brief, t):
            assert sentence[:1].isupper() and sentence.endswith(".")


def test_notes_on_what_the_advice_rests_on_are_shown_in_the_brief_language(advices):
    t = translator("nl")
    advice = {**next(iter(advices.values())), "notes": [{"key": "fragile", "text": {"nl": "rust op één gemeente",
                                                                                   "en": "rests on one municipality"}}]}
    assert notes(advice, t).sentences == ["Rust op één gemeente."]
    assert notes({**advice, "notes": []}, t) is None
