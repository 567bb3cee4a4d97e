"""Translation tables: one per language, the same keys and placeholders, every key the templates and
figures use exists, and the templates hard-code no words."""

import re
import string
from pathlib import Path

import pytest

from bayesstreams.errors import BayesStreamsError
from bayesstreams.reporting.i18n import LANGUAGES, STUDY_PLACEHOLDERS, table, translator

PACKAGE = Path(__file__).resolve().parents[1] / "bayesstreams" / "reporting"
TEMPLATES = PACKAGE / "templates"
CODE = sorted(PACKAGE.glob("*.py"))  # every module of reporting/ that words things (claims_text: the claim reasons)


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def expansions() -> dict[str, list[str]]:
    """Every value a key built from a prefix can take (``t('stream_' ~ s)`` and friends)."""
    from bayesstreams.checks.compare import TARGETS
    from bayesstreams.data.codebook import PHASES, STREAMS
    from bayesstreams.model.kinds import KINDS
    from bayesstreams.reporting.words import SCALE
    from bayesstreams.reporting.report import GLOSSARY
    from bayesstreams.model.modes import MODES
    from bayesstreams.analysis.qca.posterior import READINGS

    phases, streams = [str(p) for p in PHASES], list(STREAMS)
    return {
        "phase_": phases, "phase_short_": phases, "row_window_observed_": phases,
        "brief_nd_window_": phases, "mode_": list(MODES), "mode_name_": list(MODES),
        "nd_reading_": list(MODES), "caveat_missing_": list(MODES),
        "stream_": streams, "stream_title_": streams,
        "phase_stream_": [f"{p}_{s}" for p in phases for s in streams],
        "check_": ["rhat", "ess_bulk", "ess_tail", "divergences", "bfmi"],
        "param_": sorted({p.name for kind in KINDS.values() for p in kind.parameters}),
        "query_": ["ace_w1", "ace_w2", "ace_step_w1", "ace_step_w2", "ace_common_w1", "ace_common_w2", "dependency_effect", "p_w1", "p_w2",
                   "dependency_necessity", "stream_necessity",
                   "mu", "rho", "delta"],
        "verdict_": ["supported", "contradicted", "cannot_tell", "supported_streams_only"],
        "companion_": ["nostreams", "streamerror"], "rests_kind_": ["claim", "top3", "lever", "plan"],
        "claim_reason_": ["no_query", "no_data", "prior_driven", "spans", "prior", "step", "separating",
                          *(f"{side}_{agree}" for side in ("above", "below") for agree in ("agrees", "disagrees"))],
        "compare_intro_": list(TARGETS), "dep_": ["rho", "delta", "effect"], "dep_read_": ["rho", "delta"],
        "prob_": [key for _, key in SCALE], "forest_title_": ["w1", "w2"],
        "figure_": [f"state_{state}" for state in ("open", "closed", "unknown")],
        "plain_": ["code_pos", "code_zero", "code_neg", "code_na", "state_open", "state_closed", "state_unknown"],
        "kind_": ["streams", "additive"], "gloss_": list(GLOSSARY), "gloss_term_": list(GLOSSARY),
        "support_": ["data", "no_data", "separating"], "state_": ["open", "closed", "unknown"],
        "score_kind_": ["streams", "additive"], "score_state_": ["open", "closed", "unknown"],
        "score_check_": ["contraction", "wide", "power"],
        "explore_nd_": ["zero", "marginal", "salience"],  # the what-if page's note per evidence mode
        "explore_next_": phases, "explore_group_": [f"{p}_{s}" for p in phases for s in streams],
        "explore_worth_": ["high", "medium", "low"],  # what asking about a not-discussed cell is worth (issue 24)
        # the case advice in plain words (issue 25)
        "voice_goal_": phases, "voice_card_": phases, "voice_next_": phases, "voice_n_": ["1", "2", "3"],
        "voice_known_": [f"{p}_{state}" for p in phases for state in ("open", "closed")],
        "voice_card_known_": ["open", "closed"], "voice_stream_": streams,
        "qca_solution_": ["conservative", "parsimonious", "intermediate"],
        "qca_reading_": list(READINGS),
        # claims of size (issue 23 item 5)
        "claim_size_": ["above", "below", "spans", "prior_driven", "no_data"],
        "claim_size_short_": ["large", "small", "spans", "prior"], "size_word_": ["important", "decisive"],
        "claim_raw_": ["phase1", "other_streams", "stream_in_motion", "prior_bounds", "prior_driven"],
    }


def worded_files() -> list:
    """The templates and the code that words things; never none (a moved folder would make the checks vacuous)."""
    templates = [*TEMPLATES.glob("*.html"), *TEMPLATES.glob("*.md"), *TEMPLATES.glob("*.js")]
    assert len(templates) >= 5 and len(CODE) >= 5, (TEMPLATES, CODE)
    return [*templates, *CODE]


def used_keys() -> set[str]:
    """Keys named in the templates and in the code that draws and words things, prefixes expanded."""
    used = set()
    for path in worded_files():
        text = path.read_text(encoding="utf-8")
        used |= set(re.findall(r"""\bt\(\s*f?['"]([a-z0-9_]+)""", text))
    prefixes = expansions()
    for key in [k for k in used if k.endswith("_")]:
        used.discard(key)
        used |= {key + value for value in prefixes.get(key, [])}
    # keys reached through the value filters of render.py
    used |= {"code_pos", "code_zero", "code_neg", "code_na", "state_open", "state_closed", "state_unknown",
             "motion_yes", "motion_no", "motion_unknown"}
    # the study's words stand in for {study_unit} etc. where the data set gives none (Translator)
    used |= set(STUDY_PLACEHOLDERS)
    return used


def test_both_tables_have_the_same_keys_and_placeholders():
    en, nl = table("en"), table("nl")
    assert set(en) == set(nl)
    for key in en:
        assert en[key].strip() and nl[key].strip(), key
        assert placeholders(en[key]) == placeholders(nl[key]), key


def test_every_key_the_templates_and_figures_use_exists():
    used = used_keys()
    assert len(used) > 150
    for lang in LANGUAGES:
        missing = used - set(table(lang))
        assert not missing, (lang, sorted(missing))


def test_no_key_is_unused():
    assert set(table("en")) - used_keys() == set()


def test_every_prefix_in_the_templates_has_its_expansions_listed():
    prefixes = set()
    for path in worded_files():
        prefixes |= set(re.findall(r"""\bt\(\s*f?['"]([a-z0-9_]+_)['"{]""", path.read_text(encoding="utf-8")))
    assert prefixes, "no prefixed key found: the pattern no longer matches the templates"
    assert prefixes <= set(expansions()), prefixes - set(expansions())


def _visible_text(template: str, markdown: bool) -> str:
    text = re.sub(r"\{#.*?#\}|\{%.*?%\}|\{\{.*?\}\}", " ", template, flags=re.S)
    if not markdown:
        text = re.sub(r"<style>.*?</style>", " ", text, flags=re.S)
        text = re.sub(r"<[^>]*>", " ", text)
    return text


@pytest.mark.parametrize("name", ["report.html", "report.md", "brief.html", "_support.html", "_support.md",
                                  "_steps.html", "_steps.md", "_ranks.html", "_ranks.md"])
def test_templates_hard_code_no_words(name):
    visible = _visible_text((TEMPLATES / name).read_text(encoding="utf-8"), name.endswith(".md"))
    words = re.findall(r"[^\W\d_]{2,}", visible)
    assert words == [], words


def test_a_missing_key_or_language_is_an_error_not_a_fallback():
    t = translator("nl")
    with pytest.raises(KeyError, match="nl.json"):
        t("no_such_key")
    with pytest.raises(BayesStreamsError, match="en or nl"):
        translator("de")


def test_every_study_placeholder_is_one_the_translator_fills():
    """A mistyped ``{study_unti}`` would reach the reader (or break a later ``.format``)."""
    for lang in LANGUAGES:
        for key, text in table(lang).items():
            for name in re.findall(r"\{([Ss]tudy_[a-z_]*)\}", text):
                assert name.lower() in STUDY_PLACEHOLDERS, (lang, key, name)


def test_the_study_words_replace_the_placeholders_and_default_to_neutral_words():
    ours = translator("en", {"study_unit": "cabinet", "study_units": "cabinets", "study_evidence": "documents"})
    assert ours("brief_similar") == "Most similar cabinets in the study"
    assert ours("caveat_measurement").startswith("Codes come from documents;")
    assert translator("en")("brief_similar") == "Most similar cases in the study"
    nl = translator("nl", {"study_units": "kabinetten"})
    assert nl("brief_similar") == "Meest vergelijkbare kabinetten in het onderzoek"
    assert nl("caveat_measurement").startswith("Codes komen uit bronnen;")  # not given: the neutral word
    for lang in LANGUAGES:
        t = translator(lang, {"study_unit": "x", "study_units": "xs", "study_evidence": "ys"})
        assert not [key for key in table(lang) if "{study_" in t(key) or "{Study_" in t(key)]
