"""``bayesstreams score`` text in English and Dutch: percentages, codebook labels, a readable rank sentence.

The numbers are checked against the ScoreResult they come from (not against the text
formatter itself): a line that shows 0.28, a raw factor id, a decimal point in Dutch or a
wrong rank fails.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest

from bayesstreams.analysis.queries import case_predictions
from bayesstreams.analysis.scoring import score_profiles, score_to_dict
from bayesstreams.data.dataset import load_dataset
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.numbers import interval, percent
from bayesstreams.reporting.score_text import case_lines, format_score

from .conftest import run_cli
from .helpers import prior_like_draws, write_fake_run

STUDY = Path(__file__).resolve().parents[1] / "data" / "trafficking_nl_2020"
ENGLISH = {"chance", "window", "case", "levers", "weakest", "similar", "observed", "not discussed", "interval", " to "}
DUTCH = {"kans", "venster", "casus", "hefbomen", "zwakste", "gelijkende", "waargenomen", "niet besproken", " tot "}


@pytest.fixture(scope="module")
def scored(tmp_path_factory):
    from bayesstreams.inference.store import load_run

    study = load_dataset(STUDY)
    folder = tmp_path_factory.mktemp("score")
    run = load_run(write_fake_run(folder / "run", study, prior_like_draws(study, n=120, seed=4)))
    profile = folder / "profile.csv"
    profile.write_text("case_id,factor,code\nnew,p1_insight,+\nnew,p2_region_orientation,\u2212\n"
                       "new,p1_media,0\nstrong,p1_insight,+\n", encoding="utf-8")
    return run, profile, score_profiles(run, profile)


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_chances_are_percentages_of_the_score(scored, lang):
    _, _, result = scored
    case = result.cases[0]
    lines = case_lines(case, result, lang, details=True)
    head = lines.index("  " + translator(lang)("score_codes_only_head"))  # a different question, under its own head
    codes_only = lines[head + 1:head + 4]
    for summary, line in zip((case.p_w1, case.p_w2, case.p_w2_given_w1), codes_only):
        assert f": {percent(summary['mean'], lang)}  (" in line
        assert interval(summary["q05"], summary["q95"], lang) in line
        assert interval(summary["q25"], summary["q75"], lang) in line
    assert not re.search(r"\b0[.,]\d", "\n".join(codes_only))  # never 0.28 for 28%
    short = case_lines(case, result, lang)
    assert not [line for line in short if any(line in c for c in codes_only)]  # never beside the case's advice


@pytest.mark.parametrize("lang", ["en", "nl"])
def test_levers_are_named_by_their_codebook_label(scored, lang):
    run, _, result = scored
    case = result.cases[0]
    text = "\n".join(case_lines(case, result, lang, details=True))
    for lever in case.levers:
        assert run.dataset.codebook[lever["factor"]].label(lang) in text
        assert lever["factor"] not in text
    json_levers = score_to_dict(result, lang)["cases"][0]["levers"]
    assert [lever["label"] for lever in json_levers] == [run.dataset.codebook[lv["factor"]].label(lang)
                                                          for lv in case.levers]


def test_dutch_text_has_dutch_words_and_decimal_commas_only(scored):
    _, _, result = scored
    dutch = "\n".join(format_score(result, "nl", details=True))
    english = "\n".join(format_score(result, "en", details=True))
    assert all(word in dutch for word in DUTCH)
    assert not [w for w in ENGLISH - {"case", "interval"} if w in dutch]  # (both are Dutch words too)
    assert all(word in english for word in ENGLISH)
    numbers = re.findall(r"\d+[.,]\d+", dutch.replace(result.profile, ""))
    assert not [n for n in numbers if "." in n]
    assert "\u2212" in dutch  # the current code of a lever at -1 (region orientation), as the reports print it


def test_rank_sentence_counts_reference_cases(scored):
    run, _, result = scored
    case = result.cases[0]
    reference = case_predictions(run.posterior, run.dataset).query("quantity == 'p_w2'")["mean"].to_numpy()
    below = int((reference < case.p_w2["mean"]).sum())
    assert (case.n_reference_below, case.n_reference_tied) == (below, int((reference == case.p_w2["mean"]).sum()))
    n = result.n_reference
    for below_, tied, expected in [(n, 0, f"higher than in all {n} reference cases"),
                                   (0, 0, f"lower than in all {n} reference cases"),
                                   (3, 0, f"higher than in 3 of the {n} reference cases"),
                                   (2, 1, f"higher than in 2 of the {n} reference cases and as high as in 1")]:
        lines = case_lines(dataclasses.replace(case, n_reference_below=below_, n_reference_tied=tied), result, "en",
                           details=True)
        [line] = [x for x in lines if "its phase-2 chance is" in x]
        assert line.strip() == f"its phase-2 chance is {expected}"
        assert "0%" not in line


def test_cli_score_lang(scored, capsys):
    run, profile, result = scored
    code, out, err = run_cli(["score", str(run.path), str(profile), "--lang", "nl"], capsys)
    assert code == 0, err
    assert out.splitlines() == format_score(result, "nl")
    code, out, err = run_cli(["score", str(run.path), str(profile), "--lang", "fr"], capsys)
    assert code == 2 and "error: --lang: language 'fr' is not available" in err
