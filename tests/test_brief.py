"""The one-page brief: its numbers are the query and scoring numbers, words follow the scale,
profiles of new municipalities, and clear errors."""

import pytest

from bayesstreams.reporting.brief import brief_data, write_brief
from bayesstreams.errors import InputError
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.words import RANGES, SCALE, verbal, word_key

from .helpers import as_study, partly_observed_dataset, prior_like_draws, write_fake_run


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    from bayesstreams.inference.store import load_run

    dataset = partly_observed_dataset(n_cases=7, seed=2)
    folder = tmp_path_factory.mktemp("run") / "run"
    return load_run(write_fake_run(folder, dataset, prior_like_draws(dataset, n=200, seed=1),
                                   prior=prior_like_draws(dataset, n=300, seed=5)))


@pytest.fixture(scope="module")
def tables(run):
    from bayesstreams.analysis.queries import query_tables

    return query_tables(run)


def _row(table, **where):
    for column, value in where.items():
        table = table[table[column] == value]
    assert len(table) == 1, where
    return table.iloc[0]


# ---------------------------------------------------------------------------- numbers


def test_chances_are_the_case_advice_and_a_known_window_is_shown_as_known(run, tables):
    from bayesstreams.analysis.advice import advise

    for case in run.dataset.case_ids:
        brief, advice = brief_data(run, case_id=case, lang="en"), advise(run, case)
        for window, entry in zip(brief.windows, advice.windows):
            expected = _row(tables["case_predictions"], case_id=case, quantity=f"p_w{window.phase}")
            observed = expected[f"w{window.phase}"]
            assert window.known == (None if observed != observed else "open" if observed == 1 else "closed")
            if window.known:  # never a chance for a known state
                assert window.words == translator("en")(f"voice_card_known_{window.known}")
                continue
            assert (window.p.mean, window.p.q05, window.p.q95) == pytest.approx(
                (entry["p"]["mean"], entry["p"]["q05"], entry["p"]["q95"]), abs=1e-12)
            if not (run.dataset.s[run.dataset.case_ids.index(case)] == run.dataset.s[run.dataset.case_ids.index(case)]).any():
                # nothing known of the case: its chance given what is known is the codes' prediction
                assert window.p.mean == pytest.approx(expected["mean"], abs=1e-9)


def test_levers_are_the_case_advice_toward_the_next_window(run):
    from bayesstreams.analysis.advice import advise
    from bayesstreams.analysis.queries import run_baseline
    from bayesstreams.reporting.advice_text import useful_levers

    brief = brief_data(run, case_id="c4", lang="en")
    best = useful_levers(advise(run.posterior, run.dataset, "c4", base=run_baseline(run)).levers)[:3]
    assert len(brief.levers) == 3
    assert [lever.factor for lever in brief.levers] == [lever["factor"] for lever in best]
    assert [lever.gain.mean for lever in brief.levers] == pytest.approx([lv["gain"]["mean"] for lv in best], abs=1e-12)
    assert [lever.with_step.mean - lever.now.mean for lever in brief.levers] == pytest.approx(
        [lv["gain"]["mean"] for lv in best], abs=1e-12)  # now -> with this step, from one baseline
    assert brief.target == "W1" and brief.steps[1].key == "next"  # phase 1 leads
    for case in run.dataset.case_ids:
        b = brief_data(run, case_id=case, lang="en")
        phase_one_open = run.dataset.w[run.dataset.case_ids.index(case), 0] == 1
        assert not (phase_one_open and any(lever.phase == 1 for lever in b.levers))  # never toward an open window


def test_weakest_streams_and_stream_picture_are_the_query_tables(run, tables):
    brief = brief_data(run, case_id="c3", lang="en")
    bottlenecks = tables["bottlenecks"][tables["bottlenecks"]["case_id"] == "c3"]
    assert [(s.phase, s.stream) for s in brief.weakest] == list(zip(bottlenecks["phase"], bottlenecks["stream"]))
    for state in brief.streams:
        expected = _row(tables["stream_activation"], case_id="c3", phase=state.phase, stream=state.stream)
        assert state.q.mean == pytest.approx(expected["mean"], abs=1e-12)
        assert state.observed == (None if expected["observed"] != expected["observed"] else expected["observed"])


def test_similar_municipalities_exclude_the_case_itself(run):
    brief = brief_data(run, case_id="c0", lang="nl")
    assert len(brief.similar) == 3 and all(s.case_id != "c0" for s in brief.similar)
    similarity = [s.similarity for s in brief.similar]
    assert similarity == sorted(similarity, reverse=True)


def test_prior_driven_flags_are_the_measured_ones(run):
    """The brief's marks are :func:`prior_dependence`'s (power-scaling here: the fake run has no check run)."""
    from bayesstreams.analysis.prior_dependence import prior_dependence

    measured = prior_dependence(run)
    brief = brief_data(run, case_id="c1", lang="en")
    for window in brief.windows:
        assert window.prior_driven == measured.flag(f"p_w{window.phase}", "c1")
    assert (brief.n_prior_driven, brief.n_taught) == measured.count()
    assert brief.n_taught > 0


def test_a_profile_brief_scores_the_profile(run, tmp_path):
    from bayesstreams.analysis.scoring import score_profiles

    ids = run.dataset.factor_ids
    profile = tmp_path / "new.csv"
    profile.write_text("case_id," + ",".join(ids[:6]) + "\nNieuwegein,1,1,0,-1,,1\n", encoding="utf-8")
    brief = brief_data(run, profile=profile, lang="nl")
    score = score_profiles(run, profile).cases[0]
    assert brief.is_profile and brief.name == "Nieuwegein" and brief.n_not_discussed == len(ids) - 5
    assert brief.windows[1].p.mean == pytest.approx(score.p_w2["mean"], abs=1e-12)
    assert all(w.observed is None for w in brief.windows)
    assert [s.case_id for s in brief.similar] == [s["case_id"] for s in score.similar]
    html = write_brief(as_study(run.path), tmp_path / "new.html", profile=profile, lang="nl").read_text(encoding="utf-8")
    assert translator("nl")("caveat_profile") in html


def test_brief_page_shows_chances_in_numbers_and_words(run, tmp_path):
    t = translator("nl")
    html = write_brief(as_study(run.path), tmp_path / "b.html", case_id="c2").read_text(encoding="utf-8")
    brief = brief_data(run, case_id="c2", lang="nl")
    assert "@page { size: A4" in html and "<script" not in html
    for window in brief.windows:
        assert window.words.replace("<", "&lt;").replace(">", "&gt;") in html
        if not window.known:
            assert f"{100 * window.p.mean:.0f}%" in html
    for key in ("voice_head_meaning", "voice_head_next", "brief_barriers", "brief_similar", "brief_caveats",
                "voice_head_analysts"):
        assert t(key) in html


# ---------------------------------------------------------------------------- words


def test_word_scale_boundaries():
    assert [word_key(p) for p in (0.0, 0.0999, 0.10, 0.3299, 0.33, 0.6599, 0.66, 0.8999, 0.90, 1.0)] == [
        "very_unlikely", "very_unlikely", "unlikely", "unlikely", "even", "even", "likely", "likely",
        "very_likely", "very_likely"]
    assert [key for _, key in SCALE] == list(RANGES)


@pytest.mark.parametrize("lang, expected", [
    ("en", "likely (66-90%)"),
    ("nl", "waarschijnlijk (66-90%)"),
])
def test_an_interval_within_one_category_gets_one_word(lang, expected):
    words = verbal(0.8, 0.7, 0.85, translator(lang))
    assert words.text == expected and not words.spans


@pytest.mark.parametrize("lang, expected", [
    ("en", "likely (66-90%); the 90% interval runs from unlikely to very likely"),
    ("nl", "waarschijnlijk (66-90%); het 90%-interval loopt van onwaarschijnlijk tot zeer waarschijnlijk"),
])
def test_an_interval_across_categories_names_both_ends(lang, expected):
    words = verbal(0.7, 0.2, 0.95, translator(lang))
    assert words.text == expected and words.spans and (words.low_key, words.high_key) == ("unlikely", "very_likely")


# ---------------------------------------------------------------------------- errors


def test_unknown_case_missing_choice_and_bad_suffix_are_input_errors(run, tmp_path):
    with pytest.raises(InputError, match="no case 'nope' in the run's data"):
        brief_data(run, case_id="nope")
    with pytest.raises(InputError, match="--case ID or --profile FILE"):
        brief_data(run)
    with pytest.raises(InputError, match=".html, .pdf or .docx"):
        write_brief(as_study(run.path), tmp_path / "brief.txt", case_id="c1")
    profile = tmp_path / "two.csv"
    ids = run.dataset.factor_ids
    profile.write_text(f"case_id,{ids[0]}\nA,1\nB,0\n", encoding="utf-8")
    with pytest.raises(InputError, match="several cases"):
        brief_data(run, profile=profile)
    assert brief_data(run, case_id="B", profile=profile).name == "B"
