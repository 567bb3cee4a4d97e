"""The brief's plain paragraphs follow its numbers: which sentence is chosen, and the numbers in it."""

from dataclasses import replace

import pytest

from bayesstreams.reporting import numbers
from bayesstreams.reporting.brief import brief_data
from bayesstreams.reporting.brief_text import actions, meaning
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.view import Interval

from .helpers import partly_observed_dataset, prior_like_draws, write_fake_run


@pytest.fixture(scope="module")
def brief(tmp_path_factory):
    from bayesstreams.inference.store import load_run

    dataset = partly_observed_dataset(n_cases=6, seed=5)
    run = load_run(write_fake_run(tmp_path_factory.mktemp("run") / "run", dataset, prior_like_draws(dataset, n=150)))
    return brief_data(run, case_id="c1", lang="nl")


def with_gains(brief, gains, codes, actions=None):
    """The brief with three levers of the given gains, codes and actions (the sentences read only these)."""
    from bayesstreams.reporting.brief import BriefLever

    actions = actions or [f"Bel gemeente {j}" for j in range(len(gains))]
    levers = [BriefLever(f"f{j}", f"factor {j}", 2, "policy", c, Interval(g, 0.0, g / 2, 2 * g, 3 * g), 0.5, 0.05, a)
              for j, (g, c, a) in enumerate(zip(gains, codes, actions))]
    return replace(brief, levers=levers)


def test_large_gains_name_each_lever_by_its_action_and_label_with_its_gain_in_dutch_numbers(brief):
    t = translator("nl")
    b = with_gains(brief, [0.123, 0.061, 0.052], [0.0, 0.0, 0.0])
    first = actions(b, t)[0]
    assert first.startswith(t("brief_do_levers").split("{")[0])
    for j, gain in enumerate(("+12", "+6,1", "+5,2")):  # the action inside the sentence, the label beside it
        assert f"bel gemeente {j} (factor: factor {j}; {gain} procentpunt)" in first


def test_a_lever_without_an_action_is_worded_from_its_label_and_says_so(brief):
    t = translator("en")
    b = with_gains(brief, [0.123, 0.061, 0.052], [0.0, 0.0, 0.0], actions=[None, "Call the region", None])
    first = actions(b, t)[0]
    for j in (0, 2):
        generated = t("action_generated").format(label=f"factor {j}")
        assert f"{generated[:1].lower()}{generated[1:]} ({t('action_generated_note')}; " in first
    assert "call the region (factor: factor 1; +6.1 percentage points)" in first
    assert first.count(t("action_generated_note")) == 2


def test_small_gains_say_that_no_single_step_is_enough(brief):
    t = translator("nl")
    b = with_gains(brief, [0.031, 0.02, 0.01], [0.0, 0.0, 0.0])
    first = actions(b, t)[0]
    assert first == t("brief_do_small").format(threshold=5, step="bel gemeente 0 (factor: factor 0)")


@pytest.mark.parametrize("codes, key", [([-1.0, 0.0, 0.0], "brief_do_barriers_one"),
                                        ([-1.0, -1.0, 0.0], "brief_do_barriers_many"), ([0.0, 0.0, 0.0], None)])
def test_levers_that_are_barriers_today_are_named(brief, codes, key):
    t = translator("en")
    b = with_gains(brief, [0.1, 0.08, 0.06], codes)
    sentences = actions(b, t)
    blocking = [lever.label for lever, c in zip(b.levers, codes) if c < 0]
    if key is None:
        assert len(sentences) == 2  # the levers and the caution, no barrier sentence
    else:
        labels = " and ".join(blocking)
        assert sentences[1] == t(key).format(labels=labels[:1].upper() + labels[1:])


def test_meaning_quotes_the_chances_and_the_weakest_streams(brief):
    t = translator("nl")
    text = " ".join(meaning(brief, t))
    assert brief.weakest
    for window in brief.windows:
        assert f"{t('prob_' + window.word_key)} ({numbers.pct(window.p.mean)})" in text
    for stream in brief.weakest:
        assert f"{t('stream_title_' + stream.stream)} van {t('phase_short_' + str(stream.phase))} " \
               f"(kans {numbers.pct(stream.q.mean)})" in text
    assert (t("brief_means_barriers").format(n=len(brief.barriers)) in text) == bool(brief.barriers)
