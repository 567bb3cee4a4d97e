"""The shipped study equals the thesis: outcomes (5.4), levels (Tabel 4), codebook (MODEL.md section 6)."""

import csv
from pathlib import Path

import numpy as np

from bayesstreams.data.dataset import load_dataset

STUDY = Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020"
MODEL_MD_FACTORS = [
    ("p1_media", 1, "problem"), ("p1_focusing_event", 1, "problem"), ("p1_funding", 1, "problem"),
    ("p1_insight", 1, "problem"), ("p1_problem_load", 1, "problem"), ("p1_national_steering", 1, "problem"),
    ("p1_congruence_national", 1, "policy"), ("p1_congruence_values", 1, "policy"),
    ("p1_integrated_network", 1, "policy"), ("p1_interest_groups", 1, "politics"),
    ("p1_political_involvement", 1, "politics"), ("p1_external_actors", 1, "politics"),
    ("p2_framing", 2, "problem"), ("p2_internal_communication", 2, "problem"), ("p2_monitoring", 2, "policy"),
    ("p2_expert_function", 2, "policy"), ("p2_capacity", 2, "policy"), ("p2_long_term_goals", 2, "policy"),
    ("p2_embedding", 2, "policy"), ("p2_structural_collaboration", 2, "policy"),
    ("p2_interest_group_access", 2, "politics"), ("p2_political_sponsor", 2, "politics"),
    ("p2_region_orientation", 2, "politics"),
]


def test_outcomes_equal_the_thesis():
    data = load_dataset(STUDY)
    assert data.case_ids == tuple(f"g{i}" for i in range(1, 9))
    opened_1 = [c for c, w in zip(data.case_ids, data.w[:, 0]) if w == 1]
    opened_2 = [c for c, w in zip(data.case_ids, data.w[:, 1]) if w == 1]
    assert opened_1 == ["g2", "g6", "g7", "g8"]
    assert opened_2 == ["g2", "g7", "g8"]
    assert not np.isnan(data.w).any()


def test_levels_equal_tabel_4():
    data = load_dataset(STUDY)
    levels = data.case_column("level")
    assert levels == ["beginnend", "gevorderd", "gemiddeld", "gemiddeld", "beginnend", "gevorderd", "ver",
                      "gevorderd"]


def test_codebook_equals_model_md():
    data = load_dataset(STUDY)
    assert [(f.id, f.phase, f.stream) for f in data.codebook.factors] == MODEL_MD_FACTORS
    assert all(f.label_nl and f.label_en and f.description for f in data.codebook.factors)


def test_municipality_6_has_policy_and_politics_but_not_problem_in_phase_2():
    data = load_dataset(STUDY)
    g6 = data.case_ids.index("g6")
    np.testing.assert_array_equal(data.s[g6, 1], [0, 1, 1])


def test_every_coded_cell_carries_provenance():
    with open(STUDY / "codes.csv", encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 8 * 23
    for row in rows:
        coded = row["code"] != ""
        assert bool(row["quote"]) == coded and bool(row["section"]) == coded, row
        assert len(row["quote"].split()) <= 25
        if coded:
            assert row["basis"] in ("case", "group")
            assert row["section"].startswith("5.")


def _thesis_variants() -> list[str] | None:
    """The thesis text (shared/seeds, beside the checkout) with whitespace folded, hyphenation joined or kept."""
    import re

    seeds = STUDY.parents[2] / "shared" / "seeds"
    if not seeds.is_dir():  # a worktree under /work/wt: the seeds sit one level higher
        seeds = STUDY.parents[3] / "shared" / "seeds"
    found = sorted(seeds.glob("000_*.txt")) if seeds.is_dir() else []
    if not found:
        return None
    lines = [line for line in found[0].read_text(encoding="utf-8").splitlines()
             if not re.fullmatch(r"\s*\d{1,3}\s*", line)]  # page numbers interrupt sentences
    folded = re.sub(r"\s+", " ", " ".join(lines))
    return [folded, re.sub(r"(\w)- (\w)", r"\1\2", folded), re.sub(r"(\w)- (\w)", r"\1-\2", folded)]


def test_every_quote_is_copied_from_the_thesis():
    import re

    import pytest

    variants = _thesis_variants()
    if variants is None:
        pytest.skip("the thesis text (shared/seeds) is not beside this checkout")
    with open(STUDY / "codes.csv", encoding="utf-8", newline="") as handle:
        quotes = [row["quote"] for row in csv.DictReader(handle) if row["quote"]]
    missing = [q for q in quotes if not any(re.sub(r"\s+", " ", q).strip() in v for v in variants)]
    assert missing == []


def test_every_factor_but_context_has_an_action_in_both_languages_with_its_source():
    import re

    from .test_language import DUTCH, ENGLISH

    book = load_dataset(STUDY).codebook
    # an incident is chance, not policy: the one context factor of the thesis, and it has no action
    assert book.context == {"p1_focusing_event"} and book["p1_focusing_event"].action("en") == ""
    for factor in (f for f in book.factors if f.actionable):
        nl, en = factor.action("nl"), factor.action("en")
        assert nl and en and nl != en, factor.id
        assert re.search(r"\b[56]\.\d", factor.action_source), factor.id  # names its section of the thesis
        assert not set(re.findall(r"[a-z]+", en.lower())) & DUTCH, (factor.id, en)
        assert not set(re.findall(r"[a-z]+", nl.lower())) & (ENGLISH - {"case"}), (factor.id, nl)
        assert nl[0].isupper() and en[0].isupper() and not nl.endswith(".") and not en.endswith(".")
    for lang in ("nl", "en"):  # one action per factor, not one text for all
        actionable = [f for f in book.factors if f.actionable]
        assert len({f.action(lang) for f in actionable}) == len(actionable)


def test_the_actions_are_written_in_own_words_not_copied_from_the_thesis():
    """No run of six words of a Dutch action appears in the thesis (the thesis is the source, not the text)."""
    import re

    import pytest

    variants = _thesis_variants()
    if variants is None:
        pytest.skip("the thesis text (shared/seeds) is not beside this checkout")
    text = " ".join(re.findall(r"\w+", variants[1].lower()))
    for factor in load_dataset(STUDY).codebook.factors:
        words = re.findall(r"\w+", factor.action("nl").lower())
        runs = [" ".join(words[j:j + 6]) for j in range(len(words) - 5)]
        assert not [run for run in runs if f" {run} " in f" {text} "], factor.id
