"""What the data can tell, in the report, the brief and score (MODEL.md §8, issue 12 part A).

The shipped study has four factors without data (two never coded, two constant once not
discussed is read as 0).  The fake posterior gives exactly those factors a huge effect, so
that without the no-data rule they would top every ranking and every lever list; the tests
check first that they would, then that they never reach a headline, a lever or a brief.
"""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bayesstreams.analysis.queries import factor_importance, levers
from bayesstreams.analysis.scoring import score_dataset
from bayesstreams.data.dataset import load_dataset
from bayesstreams.inference.store import load_run
from bayesstreams.reporting.brief import brief_data, render_brief
from bayesstreams.reporting.i18n import translator
from bayesstreams.reporting.report import build_report, write_report

from .helpers import as_study, prior_like_draws, write_fake_run

ROOT = Path(__file__).resolve().parents[1]
NO_DATA = {"p2_framing", "p2_interest_group_access", "p2_long_term_goals", "p1_congruence_national"}


def table_rows(markdown: str, header_cell: str) -> list[list[str]]:
    """Cells of the first Markdown table whose header row holds ``header_cell``."""
    lines = markdown.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| ") and f"| {header_cell} |" in line)
    rows = []
    for line in lines[start + 2:]:
        if not line.startswith("|"):
            break
        rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
    return rows


@pytest.fixture(scope="module")
def study_run(tmp_path_factory):
    dataset = load_dataset(ROOT / "data" / "trafficking_nl_2020")
    posterior = prior_like_draws(dataset, n=200, seed=3)
    for k, factor in enumerate(dataset.factor_ids):
        posterior["beta"][:, k] = 6.0 if factor in NO_DATA else 0.3 * posterior["beta"][:, k]
    folder = write_fake_run(tmp_path_factory.mktemp("support") / "run", dataset, posterior,
                            prior_like_draws(dataset, n=200, seed=4))
    return folder, load_run(folder)


def test_the_fake_posterior_would_put_no_data_factors_first(study_run):
    """Guards the other tests: without the rule, no-data factors would lead the effects and levers."""
    _, run = study_run
    table = factor_importance(run.posterior, run.dataset)
    w2 = table.query("quantity == 'ace' and window == 'W2' and contrast == '+1 vs -1'")
    assert w2.sort_values("mean", ascending=False)["factor"].iloc[0] in NO_DATA
    best = levers(run.posterior, run.dataset).query("window == 'W2' and rank == 1")
    assert set(best["factor"]) & NO_DATA
    table = levers(run.posterior, run.dataset)
    # the query table labels them (p1_congruence_national is +1 everywhere, so never a lever at all)
    assert set(table.loc[table["support"] == "no data: prior only", "factor"]) == NO_DATA - {"p1_congruence_national"}


def test_no_data_factors_never_reach_a_headline_or_a_lever_of_the_report(study_run):
    _, run = study_run
    report = build_report(run, "en")
    for highlight in report.highlights_w1 + report.highlights_w2:
        assert highlight.factor not in NO_DATA
    assert len(report.highlights_w2) == 3
    for case in report.cases:
        assert case.levers and not {lever.factor for lever in case.levers} & NO_DATA
        assert [lever.rank for lever in case.levers] == list(range(1, len(case.levers) + 1))
    assert set(report.data_support.no_data) == NO_DATA
    assert {f.factor for f in report.factors if f.no_data} == NO_DATA


def test_report_text_labels_no_data_numbers_and_keeps_them_out_of_in_short(study_run, tmp_path):
    folder, run = study_run
    out = write_report(as_study(folder), tmp_path / "report", lang="en")
    markdown = (out / "report.md").read_text(encoding="utf-8")
    labels = {f.id: f.label("en") for f in run.dataset.codebook.factors}
    short = markdown.split("## In short")[1].split("\n## ")[0]
    effect_lines = [line for line in short.splitlines() if line.startswith("- Largest average effects")]
    assert len(effect_lines) == 2
    for line in effect_lines:
        assert not any(labels[f] in line for f in NO_DATA), line
        assert "P(largest)" in line and "P(top 3)" in line
    no_data_line = next(line for line in short.splitlines() if line.startswith("- No data, prior only"))
    assert all(labels[f] in no_data_line for f in NO_DATA)
    assert "3 of 4 municipalities with a phase-1 window reached phase 2, and 0 of 4 without one" in short
    # every factor row of the effects table is labelled "no data: prior only" exactly for the no-data factors
    t = translator("en")
    for header in (t("col_ace_w1"), t("col_step_neg_zero")):  # the effects table and the per-step table
        rows = table_rows(markdown, header)
        marked = {f for f in labels if any(row[0] == f"{labels[f]} *no data: prior only*" for row in rows)}
        assert marked == NO_DATA, header
    svg = ET.parse(out / "figures" / "factor_effects.svg").getroot()
    # a label may wrap (one text per line, in order): a label is one line or a few consecutive ones
    lines = [" ".join(e.itertext()).strip() for e in svg.iter("{http://www.w3.org/2000/svg}text")]
    texts = {" ".join(lines[i:j]) for i in range(len(lines)) for j in range(i + 1, min(i + 3, len(lines)) + 1)}
    in_figure = {f for f in labels if f"{labels[f]} (no data: prior only)" in texts}
    drawn_as_no_data = {g.get("id").removeprefix("nodata-") for g in svg.iter("{http://www.w3.org/2000/svg}g")
                        if (g.get("id") or "").startswith("nodata-")}
    assert in_figure == NO_DATA == drawn_as_no_data
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert {f["factor"] for f in summary["factors"] if f["support"] == "no data: prior only"} == NO_DATA
    assert summary["data_support"]["windows"]["reached_with"] == 3
    assert not {h["factor"] for h in summary["highlights_w1"] + summary["highlights_w2"]} & NO_DATA


def test_in_short_rank_probabilities_are_those_of_summary_json(study_run, tmp_path):
    folder, _ = study_run
    out = write_report(as_study(folder), tmp_path / "report", lang="en")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    markdown = (out / "report.md").read_text(encoding="utf-8")
    line = next(x for x in markdown.splitlines() if x.startswith("- Largest average effects on the phase-2"))
    shown = re.findall(r"P\(largest\) (\d+)%, P\(top 3\) (\d+)%", line)
    expected = [(f"{100 * h['p_rank1']:.0f}", f"{100 * h['p_top3']:.0f}") for h in summary["highlights_w2"]]
    assert shown == expected


def test_brief_offers_no_lever_without_data(study_run):
    _, run = study_run
    t = translator("nl")
    labels = {f.id: f.label("nl") for f in run.dataset.codebook.factors}
    for case_id in run.dataset.case_ids:
        brief = brief_data(run, case_id=case_id, lang="nl")
        assert brief.steps and not {lever.factor for lever in brief.levers} & NO_DATA  # the advice: where it stands, what it takes
        html = render_brief(brief, t)
        assert not any(labels[f] in html for f in NO_DATA), case_id


def test_score_offers_no_lever_without_data(study_run):
    from bayesstreams.analysis.scoring import score_to_dict
    from bayesstreams.reporting.score_text import format_score

    _, run = study_run
    result = score_dataset(run, run.dataset, top_levers=5)
    for case in result.cases:
        assert case.levers and not {lever["factor"] for lever in case.levers} & NO_DATA
    assert set(result.no_data) == NO_DATA and set(score_to_dict(result)["no_data"]) == NO_DATA
    for lang in ("en", "nl"):
        labels = {f.id: f.label(lang) for f in run.dataset.codebook.factors}
        lines = format_score(result, lang, details=True)
        [line] = [x for x in lines if all(labels[f] in x for f in NO_DATA)]
        assert line == translator(lang)("score_no_data").format(factors="; ".join(labels[f] for f in result.no_data))
        others = [x for x in lines if x != line]
        assert not any(labels[f] in x for x in others for f in NO_DATA), lang


def test_headlines_use_the_common_step(study_run):
    """Every headline and ranking is on 0 -> +1 (issue 23 item 6), marked extrapolated where 0 or +1 was never coded."""
    _, run = study_run
    report = build_report(run, "en")
    effect = next(f for f in report.factors if f.factor == "p2_internal_communication")
    assert effect.extrapolated("W2", "-1 -> +1") and not effect.extrapolated("W2", "0 -> +1")
    from bayesstreams.analysis.ranks import effect_ranks

    ranks = effect_ranks(run.posterior, run.dataset).query("window == 'W2'").set_index("factor")
    assert set(ranks["step"]) == {"0 -> +1"}
    assert ranks.loc["p2_region_orientation", "observed_step"] == "-1 -> +1"   # the old headline step
    assert ranks.loc["p1_congruence_values", "extrapolated"]          # +1 where coded, never 0: not discussed is no 0
    assert pd.isna(ranks.loc["p1_congruence_values", "observed_step"])
    for highlight in report.highlights_w2 + report.highlights_w1:
        assert highlight.step == "0 -> +1"
        window = "W2" if highlight in report.highlights_w2 else "W1"
        step = next(s for s in next(f for f in report.factors if f.factor == highlight.factor).steps
                    if s.window == window and s.step == highlight.step)
        assert highlight.extrapolated == step.extrapolated and highlight.ace.mean == pytest.approx(step.mean)
    assert np.isclose(sum(ranks["p_rank1"]), 1.0)


def test_the_ranking_table_is_effect_ranks_and_sums_to_one(study_run, tmp_path):
    from bayesstreams.analysis.ranks import effect_ranks

    folder, run = study_run
    out = write_report(as_study(folder), tmp_path / "report", lang="en")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    expected = effect_ranks(run.posterior, run.dataset)
    assert [(r["window"], r["factor"], r["rank"]) for r in summary["ranks"]] == \
        list(zip(expected["window"], expected["factor"], expected["rank"]))
    for window in ("W1", "W2"):
        own = [r for r in summary["ranks"] if r["window"] == window]
        assert sum(r["p_rank1"] for r in own) == pytest.approx(1.0)
        assert not {r["factor"] for r in own} & NO_DATA
    rows = table_rows((out / "report.md").read_text(encoding="utf-8"), "P(largest)")
    assert len(rows) == len(summary["ranks"])
    assert [row[5] for row in rows] == [f"{100 * r['p_rank1']:.0f}%" for r in summary["ranks"]]
    lines = (out / "tables" / "ranks.csv").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 + len(summary["ranks"])
